/*
 * fdio.h -- passing file descriptors over a Unix socket (SCM_RIGHTS), the
 * one send and the one receive of ward-broker, its spawner and the ward
 * CLI.  Untrusted side of ward, not verified.  A write that may block
 * follows the output queue's rule (outq.h: oq_send, oq_write_all).
 */
#ifndef WARD_FDIO_H
#define WARD_FDIO_H

#include <stddef.h>
#include <sys/types.h>

/* The most descriptors one message carries. */
#define FDIO_MAX 5

/* sendmsg() of n bytes at p with nfds (<= FDIO_MAX) descriptors, retried
 * on EINTR, never raising SIGPIPE: what sendmsg returned (bytes sent, or
 * -1 and errno).  The descriptors go with the first byte sent. */
ssize_t fdio_send(int s, const void *p, size_t n, const int *fds, int nfds);
/* recvmsg() of at most cap bytes into p, retried on EINTR, descriptors
 * close-on-exec; flags as recvmsg's (MSG_DONTWAIT).  At most maxfds
 * (<= FDIO_MAX) are kept in fds (*nfds of them); any beyond are closed.
 * What recvmsg returned. */
ssize_t fdio_recv(int s, void *p, size_t cap, int *fds, int maxfds,
		  int *nfds, int flags);

#endif
