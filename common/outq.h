/*
 * outq.h -- writing to a peer that may stop reading (untrusted side of
 * ward, not verified): one bounded output queue per peer, and the one rule
 * for a write that would block.  libc only (ward-call links it too).
 *
 * Used by ward-broker (each agent socket, each ward CLI connection), by
 * ward mcp (its client's stdout, each upstream server's stdin), by
 * ward-call's relay and by the ward CLI's control requests.
 *
 * The rule: a write never waits in an event loop.  What the peer does not
 * take now stays queued, and the loop asks poll() for POLLOUT only while
 * something is queued.  Once cap bytes are queued the owner takes no new
 * request from that peer (backpressure); a peer that stays at or over cap
 * for the owner's bound is cut off, and so is one for which a message
 * would take the queue past hard.  A process with no loop to return to
 * (one request, then its answer) uses oq_write_all(), which waits for
 * POLLOUT within a deadline instead.
 */
#ifndef WARD_OUTQ_H
#define WARD_OUTQ_H

#include <stddef.h>
#include <stdint.h>

#define OQ_WARN __attribute__((warn_unused_result))

struct outq {
	char *buf;
	size_t off, len, alloc;	/* queued: buf[off .. off + len) */
	size_t cap;		/* at or over: take no request from the peer */
	size_t hard;		/* never more queued than this */
	uint64_t over_ms;	/* since when over cap with no byte taken, 0 below */
	int kind;		/* 0 not known yet, 1 a socket, 2 anything else */
	int broken;		/* a write failed: the peer is gone */
};

/* An empty queue.  hard >= cap, and hard - cap must hold the largest
 * message the owner sends, or a peer that merely reads slowly is cut off. */
void oq_init(struct outq *q, size_t cap, size_t hard);
/* Drop what is queued and the memory; the limits stay. */
void oq_free(struct outq *q);

size_t oq_pending(const struct outq *q);
/* Backpressure: cap or more bytes wait for the peer. */
int oq_over(const struct outq *q);
/* At or over cap for bound_ms or longer, the peer taking no byte. */
int oq_stalled(const struct outq *q, uint64_t bound_ms);

/* Queue the n bytes at p after those already queued and write what fd
 * takes now, never waiting.  0 when queued (or written, or dropped because
 * the peer is gone: q->broken is then set and every later message is
 * dropped); -1, with nothing queued, when it would take the queue past
 * hard: the peer does not read, and the caller cuts it off.
 * fd must be a socket or have O_NONBLOCK set. */
int oq_send(struct outq *q, int fd, const void *p, size_t n) OQ_WARN;
/* Write what fd takes now (on POLLOUT): 1 bytes still queued, 0 empty,
 * -1 the peer is gone (what was queued is dropped, q->broken set). */
int oq_flush(struct outq *q, int fd);
/* Wait until the queue is empty, at most timeout_ms (-1: no limit):
 * 0 drained, -1 not (peer gone or too slow). */
int oq_drain(struct outq *q, int fd, int timeout_ms) OQ_WARN;

/* Write all n bytes, waiting for POLLOUT whenever fd takes no more, at
 * most timeout_ms in all (-1: no limit).  0, or -1 (peer gone, or not
 * drained in time).  For a blocking pipe the deadline cannot be kept:
 * write() itself waits. */
int oq_write_all(int fd, const void *p, size_t n, int timeout_ms) OQ_WARN;

/* CLOCK_MONOTONIC in milliseconds. */
uint64_t oq_now_ms(void);

#endif
