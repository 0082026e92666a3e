/*
 * fdio.c -- SCM_RIGHTS send and receive (fdio.h).
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fdio.h"

union fdio_ctl {
	char b[CMSG_SPACE(FDIO_MAX * sizeof(int))];
	struct cmsghdr align;
};

ssize_t
fdio_send(int s, const void *p, size_t n, const int *fds, int nfds)
{
	struct msghdr mh;
	struct iovec iov = { (void *)(uintptr_t)p, n };
	union fdio_ctl u;
	ssize_t w;

	if (nfds < 0 || nfds > FDIO_MAX) {
		errno = EINVAL;
		return -1;
	}
	memset(&mh, 0, sizeof mh);
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	if (nfds > 0) {
		struct cmsghdr *c;

		memset(&u, 0, sizeof u);
		mh.msg_control = u.b;
		mh.msg_controllen = CMSG_SPACE((size_t)nfds * sizeof(int));
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN((size_t)nfds * sizeof(int));
		memcpy(CMSG_DATA(c), fds, (size_t)nfds * sizeof(int));
	}
	do
		w = sendmsg(s, &mh, MSG_NOSIGNAL);
	while (w < 0 && errno == EINTR);
	return w;
}

ssize_t
fdio_recv(int s, void *p, size_t cap, int *fds, int maxfds, int *nfds,
	  int flags)
{
	struct msghdr mh;
	struct iovec iov = { p, cap };
	union fdio_ctl u;
	struct cmsghdr *c;
	ssize_t n;

	*nfds = 0;
	if (maxfds > FDIO_MAX)
		maxfds = FDIO_MAX;
	memset(&mh, 0, sizeof mh);
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = u.b;
	mh.msg_controllen = sizeof u.b;
	do
		n = recvmsg(s, &mh, MSG_CMSG_CLOEXEC | flags);
	while (n < 0 && errno == EINTR);
	if (n <= 0)
		return n;
	for (c = CMSG_FIRSTHDR(&mh); c != NULL; c = CMSG_NXTHDR(&mh, c)) {
		const int *got = (const int *)(const void *)CMSG_DATA(c);
		int k, x;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		k = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
		for (x = 0; x < k; x++) {
			if (*nfds < maxfds)
				fds[(*nfds)++] = got[x];
			else
				close(got[x]);
		}
	}
	return n;
}
