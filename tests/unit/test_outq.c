/*
 * test_outq.c -- the broker's and the gateway's bounded output queues
 * (broker/outq.c): a peer is "stalled" only after it has been over the
 * cap, taking no byte, for the whole bound.  Built from the source file
 * itself, as the unit tests link only the verified library.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <unistd.h>

#include "t.h"
#include "../../common/outq.c"
#include "../../common/outq.h"

/* A pipe nobody reads, non-blocking: whatever does not fit is queued. */
static int
full_pipe(int p[2])
{
	char junk[4096];

	if (pipe2(p, O_NONBLOCK) != 0)
		return -1;
	memset(junk, 'j', sizeof junk);
	while (write(p[1], junk, sizeof junk) > 0)
		;
	return 0;
}

/* The over-cap clock started this very millisecond: no stall yet.  (The
 * clock is stored as a time | 1, which may be 1 ms ahead of now; a
 * difference that wrapped made every such check a stall.) */
TEST(fresh_queue_over_cap_is_not_stalled)
{
	static char msg[8192];
	struct outq q;
	int p[2], i, stalled = 0;

	EXPECT(full_pipe(p) == 0);
	memset(msg, 'm', sizeof msg);
	for (i = 0; i < 2000; i++) {
		oq_init(&q, 1024, 1 << 20);
		EXPECT(oq_send(&q, p[1], msg, sizeof msg) == 0);
		EXPECT(oq_over(&q));
		stalled += oq_stalled(&q, 10000);
		oq_free(&q);
	}
	EXPECT_EQ(stalled, 0);
	close(p[0]);
	close(p[1]);
}

/* A peer that keeps taking bytes, however slowly, is never stalled. */
TEST(slow_reader_is_not_stalled)
{
	static char msg[1 << 16], sink[16384];
	struct outq q;
	int p[2];

	EXPECT(full_pipe(p) == 0);
	memset(msg, 'm', sizeof msg);
	oq_init(&q, 1024, 1 << 20);
	EXPECT(oq_send(&q, p[1], msg, sizeof msg) == 0);
	usleep(30000);
	EXPECT(oq_stalled(&q, 20));		/* nothing taken for 30 ms */
	EXPECT(read(p[0], sink, sizeof sink) > 0);
	EXPECT(oq_flush(&q, p[1]) == 1);	/* some taken, still over */
	EXPECT(oq_over(&q));
	EXPECT(!oq_stalled(&q, 20));		/* the clock started again */
	oq_free(&q);
	close(p[0]);
	close(p[1]);
}

int
main(void)
{
	RUN(fresh_queue_over_cap_is_not_stalled);
	RUN(slow_reader_is_not_stalled);
	return t_failed != 0;
}
