/*
 * outq.c -- bounded output queues, and the one rule for a write that
 * would block (outq.h).  libc only.  Not part of the verified core.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "outq.h"

/* A queue that empties gives back a buffer bigger than this, so that an
 * idle peer holds nothing of an earlier burst. */
#define OQ_KEEP (64u * 1024u)

uint64_t
oq_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* One write: the bytes written, 0 when fd takes nothing now (EAGAIN), -1
 * when the peer is gone.  A socket is written with send(), so that
 * neither SIGPIPE nor a socket left blocking can stop the caller; anything
 * else (a pipe) with write(), which is why it must be O_NONBLOCK. */
static ssize_t
write1(int *kind, int fd, const char *p, size_t n)
{
	for (;;) {
		ssize_t w;

		if (*kind != 2) {
			w = send(fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);
			if (w < 0 && errno == ENOTSOCK) {
				*kind = 2;
				continue;
			}
			if (w >= 0)
				*kind = 1;
		} else {
			w = write(fd, p, n);
		}
		if (w > 0)
			return w;
		if (w == 0)
			return -1;	/* no progress on a non-empty write */
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return 0;
		return -1;
	}
}

/* Wait until fd takes bytes again, until end (oq_now_ms; 0: no limit).
 * 0, or -1 when end has passed. */
static int
wait_out(int fd, uint64_t end)
{
	for (;;) {
		struct pollfd p = { fd, POLLOUT, 0 };
		int ms = -1, r;

		if (end != 0) {
			uint64_t now = oq_now_ms();

			if (now >= end)
				return -1;
			ms = end - now > 60000u ? 60000 : (int)(end - now);
		}
		r = poll(&p, 1, ms);
		if (r > 0)
			return 0;	/* writable, or an error the write reports */
		if (r < 0 && errno != EINTR)
			return -1;
	}
}

/* The queue's stall clock: started when len reaches cap, stopped when it
 * falls below, started again whenever the peer takes bytes. */
static void
mark(struct outq *q)
{
	if (q->len < q->cap)
		q->over_ms = 0;
	else if (q->over_ms == 0)
		q->over_ms = oq_now_ms() | 1u;
}

static void
drop(struct outq *q)
{
	free(q->buf);
	q->buf = NULL;
	q->off = q->len = q->alloc = 0;
	q->over_ms = 0;
}

void
oq_init(struct outq *q, size_t cap, size_t hard)
{
	memset(q, 0, sizeof *q);
	q->cap = cap;
	q->hard = hard < cap ? cap : hard;
}

void
oq_free(struct outq *q)
{
	drop(q);
}

size_t
oq_pending(const struct outq *q)
{
	return q->len;
}

int
oq_over(const struct outq *q)
{
	return q->len >= q->cap;
}

int
oq_stalled(const struct outq *q, uint64_t bound_ms)
{
	uint64_t now = oq_now_ms();

	/* over_ms is a time | 1 (0 means "not over"), so it may lie 1 ms
	 * ahead of now: never a stall, never a wrapped difference. */
	return q->over_ms != 0 && now > q->over_ms && now - q->over_ms >= bound_ms;
}

static int
append(struct outq *q, const char *p, size_t n)
{
	if (q->alloc - q->off - q->len < n) {
		if (q->off > 0) {
			memmove(q->buf, q->buf + q->off, q->len);
			q->off = 0;
		}
		if (q->alloc - q->len < n) {
			size_t na = q->alloc != 0 ? q->alloc : 4096;
			char *nb;

			while (na - q->len < n)
				na *= 2;	/* len + n <= hard: no overflow */
			nb = realloc(q->buf, na);
			if (nb == NULL)
				return -1;
			q->buf = nb;
			q->alloc = na;
		}
	}
	memcpy(q->buf + q->off + q->len, p, n);
	q->len += n;
	return 0;
}

int
oq_send(struct outq *q, int fd, const void *p, size_t n)
{
	const char *s = p;

	if (q->broken || n == 0)
		return 0;
	if (n > q->hard - q->len)
		return -1;
	if (q->len == 0) {
		/* Nothing waits: straight out, and only the rest is queued. */
		ssize_t w = write1(&q->kind, fd, s, n);

		if (w < 0) {
			q->broken = 1;
			return 0;
		}
		s += w;
		n -= (size_t)w;
		if (n == 0)
			return 0;
	}
	if (append(q, s, n) != 0)
		return -1;
	mark(q);
	return 0;
}

int
oq_flush(struct outq *q, int fd)
{
	size_t before = q->len;

	while (q->len > 0) {
		ssize_t w = write1(&q->kind, fd, q->buf + q->off, q->len);

		if (w < 0) {
			drop(q);
			q->broken = 1;
			return -1;
		}
		if (w == 0)
			break;
		q->off += (size_t)w;
		q->len -= (size_t)w;
	}
	if (q->len == 0) {
		q->off = 0;
		if (q->alloc > OQ_KEEP)
			drop(q);
	}
	/* A peer that takes bytes is reading, however slowly, and however
	 * large the message: the stall clock starts again. */
	if (q->len < before)
		q->over_ms = 0;
	mark(q);
	return q->len > 0;
}

int
oq_drain(struct outq *q, int fd, int timeout_ms)
{
	uint64_t end = timeout_ms >= 0 ? (oq_now_ms() + (uint64_t)timeout_ms) | 1u : 0;

	for (;;) {
		int r = oq_flush(q, fd);

		if (r <= 0)
			return r;
		if (wait_out(fd, end) != 0)
			return -1;
	}
}

int
oq_write_all(int fd, const void *p, size_t n, int timeout_ms)
{
	const char *s = p;
	uint64_t end = timeout_ms >= 0 ? (oq_now_ms() + (uint64_t)timeout_ms) | 1u : 0;
	int kind = 0;

	while (n > 0) {
		ssize_t w = write1(&kind, fd, s, n);

		if (w < 0)
			return -1;
		if (w == 0) {
			if (wait_out(fd, end) != 0)
				return -1;
			continue;
		}
		s += w;
		n -= (size_t)w;
	}
	return 0;
}
