/*
 * test_context.c -- contexts and their replay windows: a nonce is accepted
 * at most once per context, stale and zero nonces never.
 */
#include <stdint.h>
#include <string.h>

#include "t.h"
#include "context.h"

static struct ward_contexts T, T_before;

static void
mkctx(uint8_t id[WARD_CTX_BYTES], unsigned tag)
{
	memset(id, 0xc0, WARD_CTX_BYTES);
	id[0] = (uint8_t)(tag & 0xff);
	id[1] = (uint8_t)(tag >> 8);
}

/* contexts_ok, checked at run time. */
static int
contexts_ok_rt(const struct ward_contexts *t)
{
	size_t i, q, k;

	for (i = 0; i < WARD_CTX_MAX; i++) {
		const struct ward_context *c = &t->c[i];

		if (c->open > 1)
			return 0;
		for (k = 0; k < WARD_NONCE_WINDOW; k++) {
			if (c->seen[k] != 0 && c->seen[k] % WARD_NONCE_WINDOW != k)
				return 0;
			if (c->seen[k] > c->hi)
				return 0;
		}
		for (q = i + 1; q < WARD_CTX_MAX; q++)
			if (c->open && t->c[q].open &&
			    memcmp(c->id, t->c[q].id, WARD_CTX_BYTES) == 0)
				return 0;
	}
	return 1;
}

/* The nonce calls take a slot index of the table T. */
static int
nchk(const struct ward_context *c, uint64_t n)
{
	return ward_nonce_check(&T, (uint32_t)(c - T.c), n);
}

static void
ncommit(const struct ward_context *c, uint64_t n)
{
	ward_nonce_commit(&T, (uint32_t)(c - T.c), n);
}

/* Check then commit, as the kernel does. */
static int
use_nonce(struct ward_context *c, uint64_t n)
{
	int rc = nchk(c, n);

	if (rc == WARD_OK)
		ncommit(c, n);
	return rc;
}

static struct ward_context *
opened(const uint8_t id[WARD_CTX_BYTES])
{
	uint16_t idx;

	if (ward_context_open(&T, id) != WARD_OK ||
	    ward_context_find(&T, id, &idx) != WARD_OK)
		return NULL;
	return &T.c[idx];
}

TEST(context_open_find_close)
{
	uint8_t a[WARD_CTX_BYTES], b[WARD_CTX_BYTES];
	uint16_t ia, ib;

	ward_contexts_init(&T);
	mkctx(a, 1);
	mkctx(b, 2);
	EXPECT_EQ(ward_context_open(&T, a), WARD_OK);
	EXPECT_EQ(ward_context_open(&T, b), WARD_OK);
	EXPECT_EQ(ward_context_find(&T, a, &ia), WARD_OK);
	EXPECT_EQ(ward_context_find(&T, b, &ib), WARD_OK);
	EXPECT(ia != ib);
	EXPECT(memcmp(T.c[ia].id, a, WARD_CTX_BYTES) == 0);
	EXPECT_EQ(T.c[ia].hi, 0);
	EXPECT_EQ(ward_context_close(&T, a), WARD_OK);
	EXPECT_EQ(ward_context_find(&T, a, &ia), WARD_E_CONTEXT_UNKNOWN);
	EXPECT_EQ(ward_context_find(&T, b, &ib), WARD_OK);
	EXPECT(contexts_ok_rt(&T));
}

TEST(context_unknown_refused)
{
	uint8_t a[WARD_CTX_BYTES];
	uint16_t idx = 12345;

	ward_contexts_init(&T);
	mkctx(a, 3);
	EXPECT_EQ(ward_context_find(&T, a, &idx), WARD_E_CONTEXT_UNKNOWN);
	EXPECT_EQ(idx, 12345);
	EXPECT_EQ(ward_context_close(&T, a), WARD_E_CONTEXT_UNKNOWN);
	EXPECT_EQ(ward_context_open(&T, a), WARD_OK);
	EXPECT_EQ(ward_context_close(&T, a), WARD_OK);
	EXPECT_EQ(ward_context_close(&T, a), WARD_E_CONTEXT_UNKNOWN);
}

TEST(context_table_full_refused)
{
	uint8_t id[WARD_CTX_BYTES];
	unsigned i;

	ward_contexts_init(&T);
	for (i = 0; i < WARD_CTX_MAX; i++) {
		mkctx(id, i);
		EXPECT_EQ(ward_context_open(&T, id), WARD_OK);
	}
	memcpy(&T_before, &T, sizeof T);
	mkctx(id, WARD_CTX_MAX);
	EXPECT_EQ(ward_context_open(&T, id), WARD_E_CONTEXT_FULL);
	EXPECT(memcmp(&T_before, &T, sizeof T) == 0);
	/* Closing one frees a slot. */
	mkctx(id, 17);
	EXPECT_EQ(ward_context_close(&T, id), WARD_OK);
	mkctx(id, WARD_CTX_MAX);
	EXPECT_EQ(ward_context_open(&T, id), WARD_OK);
	EXPECT(contexts_ok_rt(&T));
}

TEST(context_exists_refused_window_kept)
{
	uint8_t a[WARD_CTX_BYTES];
	struct ward_context *c;

	ward_contexts_init(&T);
	mkctx(a, 4);
	c = opened(a);
	EXPECT(c != NULL);
	if (c == NULL)
		return;
	EXPECT_EQ(use_nonce(c, 9), WARD_OK);
	/* Opening it again must not reset its window. */
	memcpy(&T_before, &T, sizeof T);
	EXPECT_EQ(ward_context_open(&T, a), WARD_E_CONTEXT_EXISTS);
	EXPECT(memcmp(&T_before, &T, sizeof T) == 0);
	EXPECT_EQ(use_nonce(c, 9), WARD_E_REPLAY);
}

TEST(nonce_replay_refused)
{
	uint8_t a[WARD_CTX_BYTES], b[WARD_CTX_BYTES];
	struct ward_context *ca, *cb;

	ward_contexts_init(&T);
	mkctx(a, 5);
	mkctx(b, 6);
	ca = opened(a);
	cb = opened(b);
	EXPECT(ca != NULL && cb != NULL);
	if (ca == NULL || cb == NULL)
		return;
	EXPECT_EQ(use_nonce(ca, 1), WARD_OK);
	EXPECT_EQ(use_nonce(ca, 1), WARD_E_REPLAY);
	EXPECT_EQ(use_nonce(ca, 2), WARD_OK);
	EXPECT_EQ(use_nonce(ca, 1), WARD_E_REPLAY);
	EXPECT_EQ(use_nonce(ca, 2), WARD_E_REPLAY);
	/* Windows are per context. */
	EXPECT_EQ(use_nonce(cb, 1), WARD_OK);
	/* check alone records nothing. */
	EXPECT_EQ(nchk(ca, 3), WARD_OK);
	EXPECT_EQ(nchk(ca, 3), WARD_OK);
	EXPECT(contexts_ok_rt(&T));
}

TEST(nonce_stale_refused)
{
	uint8_t a[WARD_CTX_BYTES];
	struct ward_context *c;

	ward_contexts_init(&T);
	mkctx(a, 7);
	c = opened(a);
	EXPECT(c != NULL);
	if (c == NULL)
		return;
	EXPECT_EQ(use_nonce(c, 1000), WARD_OK);
	/* 1000 - 64 is a full window below: never seen, still refused. */
	EXPECT_EQ(use_nonce(c, 1000 - WARD_NONCE_WINDOW), WARD_E_NONCE_STALE);
	EXPECT_EQ(use_nonce(c, 1), WARD_E_NONCE_STALE);
	EXPECT_EQ(use_nonce(c, 1000 - WARD_NONCE_WINDOW + 1), WARD_OK);
	EXPECT(contexts_ok_rt(&T));
}

TEST(nonce_zero_refused)
{
	uint8_t a[WARD_CTX_BYTES];
	struct ward_context *c;

	ward_contexts_init(&T);
	mkctx(a, 8);
	c = opened(a);
	EXPECT(c != NULL);
	if (c == NULL)
		return;
	EXPECT_EQ(use_nonce(c, 0), WARD_E_NONCE_STALE);
	EXPECT_EQ(c->hi, 0);
}

TEST(nonce_out_of_order_within_window_accepted)
{
	uint8_t a[WARD_CTX_BYTES];
	struct ward_context *c;
	uint64_t n;

	ward_contexts_init(&T);
	mkctx(a, 9);
	c = opened(a);
	EXPECT(c != NULL);
	if (c == NULL)
		return;
	EXPECT_EQ(use_nonce(c, 100), WARD_OK);
	EXPECT_EQ(use_nonce(c, 90), WARD_OK);
	EXPECT_EQ(use_nonce(c, 95), WARD_OK);
	EXPECT_EQ(use_nonce(c, 37), WARD_OK);
	for (n = 38; n < 100; n++)
		if (n != 90 && n != 95)
			EXPECT_EQ(use_nonce(c, n), WARD_OK);
	for (n = 37; n <= 100; n++)
		EXPECT_EQ(use_nonce(c, n), WARD_E_REPLAY);
	EXPECT_EQ(c->hi, 100);
	EXPECT(contexts_ok_rt(&T));
}

TEST(nonce_window_slide)
{
	uint8_t a[WARD_CTX_BYTES];
	struct ward_context *c;
	uint64_t n, m;

	ward_contexts_init(&T);
	mkctx(a, 10);
	c = opened(a);
	EXPECT(c != NULL);
	if (c == NULL)
		return;
	/* Every other nonce, far beyond one window. */
	for (n = 2; n < 10 * WARD_NONCE_WINDOW; n += 2)
		EXPECT_EQ(use_nonce(c, n), WARD_OK);
	/* Once a nonce is used or skipped out of the window it never comes
	 * back: every used one is refused, whatever slot overwrote it. */
	for (m = 0; m < 10 * WARD_NONCE_WINDOW; m += 2)
		EXPECT(nchk(c, m) != WARD_OK);
	/* Skipped odd nonces inside the window are still usable, older not. */
	n = c->hi;
	EXPECT_EQ(nchk(c, n - 1), WARD_OK);
	EXPECT_EQ(nchk(c, n - WARD_NONCE_WINDOW + 1), WARD_OK);
	EXPECT_EQ(nchk(c, n - WARD_NONCE_WINDOW - 1), WARD_E_NONCE_STALE);
	/* A jump ahead slides the window past everything before it. */
	EXPECT_EQ(use_nonce(c, n + 5 * WARD_NONCE_WINDOW), WARD_OK);
	EXPECT_EQ(nchk(c, n - 1), WARD_E_NONCE_STALE);
	EXPECT_EQ(nchk(c, n + 5 * WARD_NONCE_WINDOW), WARD_E_REPLAY);
	EXPECT_EQ(nchk(c, n + 5 * WARD_NONCE_WINDOW - 1), WARD_OK);
	EXPECT(contexts_ok_rt(&T));
}

int
main(void)
{
	RUN(context_open_find_close);
	RUN(context_unknown_refused);
	RUN(context_table_full_refused);
	RUN(context_exists_refused_window_kept);
	RUN(nonce_replay_refused);
	RUN(nonce_stale_refused);
	RUN(nonce_zero_refused);
	RUN(nonce_out_of_order_within_window_accepted);
	RUN(nonce_window_slide);
	T_EXIT();
}
