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

	if (ward_context_open(&T, id, NULL) != WARD_OK ||
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
	EXPECT_EQ(ward_context_open(&T, a, NULL), WARD_OK);
	EXPECT_EQ(ward_context_open(&T, b, NULL), WARD_OK);
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
	EXPECT_EQ(ward_context_open(&T, a, NULL), WARD_OK);
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
		EXPECT_EQ(ward_context_open(&T, id, NULL), WARD_OK);
	}
	memcpy(&T_before, &T, sizeof T);
	mkctx(id, WARD_CTX_MAX);
	EXPECT_EQ(ward_context_open(&T, id, NULL), WARD_E_CONTEXT_FULL);
	EXPECT(memcmp(&T_before, &T, sizeof T) == 0);
	/* Closing one frees a slot. */
	mkctx(id, 17);
	EXPECT_EQ(ward_context_close(&T, id), WARD_OK);
	mkctx(id, WARD_CTX_MAX);
	EXPECT_EQ(ward_context_open(&T, id, NULL), WARD_OK);
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
	EXPECT_EQ(ward_context_open(&T, a, NULL), WARD_E_CONTEXT_EXISTS);
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

/* ---- the parent of a spawn, and the lineage rule --------------------------------- */

static struct ward_chain CH;

/* A chain of n blocks (only their contexts matter to the rule) whose
 * block i is bound to ctx[i]. */
static void
chain_of(uint32_t n, const uint8_t (*ctx)[WARD_CTX_BYTES])
{
	uint32_t i;

	memset(&CH, 0, sizeof CH);
	CH.n = n;
	for (i = 0; i < n; i++)
		memcpy(CH.l[i].b.context, ctx[i], WARD_CTX_BYTES);
}

TEST(context_open_records_parent)
{
	uint8_t s[WARD_CTX_BYTES], c[WARD_CTX_BYTES], g[WARD_CTX_BYTES];
	uint8_t z[WARD_CTX_BYTES];
	uint16_t is = 0, ic = 0, ig = 0;

	ward_contexts_init(&T);
	mkctx(s, 20);
	mkctx(c, 21);
	mkctx(g, 22);
	EXPECT_EQ(ward_context_open(&T, s, NULL), WARD_OK);
	EXPECT_EQ(ward_context_open(&T, c, s), WARD_OK);
	EXPECT_EQ(ward_context_open(&T, g, c), WARD_OK);
	EXPECT_EQ(ward_context_find(&T, s, &is), WARD_OK);
	EXPECT_EQ(ward_context_find(&T, c, &ic), WARD_OK);
	EXPECT_EQ(ward_context_find(&T, g, &ig), WARD_OK);
	EXPECT_EQ(T.c[is].has_parent, 0);
	EXPECT_EQ(T.c[ic].has_parent, 1);
	EXPECT(memcmp(T.c[ic].parent, s, WARD_CTX_BYTES) == 0);
	EXPECT_EQ(T.c[ig].has_parent, 1);
	EXPECT(memcmp(T.c[ig].parent, c, WARD_CTX_BYTES) == 0);
	/* The parent need not be open; its id is what is recorded. */
	EXPECT_EQ(ward_context_close(&T, s), WARD_OK);
	EXPECT_EQ(ward_context_find(&T, c, &ic), WARD_OK);
	EXPECT_EQ(T.c[ic].has_parent, 1);
	EXPECT(memcmp(T.c[ic].parent, s, WARD_CTX_BYTES) == 0);
	/* Opening an open context again changes nothing, its parent neither. */
	memcpy(&T_before, &T, sizeof T);
	EXPECT_EQ(ward_context_open(&T, g, s), WARD_E_CONTEXT_EXISTS);
	EXPECT_EQ(ward_context_open(&T, c, NULL), WARD_E_CONTEXT_EXISTS);
	EXPECT(memcmp(&T_before, &T, sizeof T) == 0);
	/* Closed and opened again: the new parent, or none, is recorded. */
	EXPECT_EQ(ward_context_close(&T, g), WARD_OK);
	EXPECT_EQ(ward_context_open(&T, g, NULL), WARD_OK);
	EXPECT_EQ(ward_context_find(&T, g, &ig), WARD_OK);
	EXPECT_EQ(T.c[ig].has_parent, 0);
	EXPECT_EQ(ward_context_close(&T, g), WARD_OK);
	EXPECT_EQ(ward_context_open(&T, g, s), WARD_OK);
	EXPECT_EQ(ward_context_find(&T, g, &ig), WARD_OK);
	EXPECT_EQ(T.c[ig].has_parent, 1);
	EXPECT(memcmp(T.c[ig].parent, s, WARD_CTX_BYTES) == 0);
	/* A parent of sixteen zero bytes is a parent, not "none". */
	memset(z, 0, sizeof z);
	EXPECT_EQ(ward_context_close(&T, g), WARD_OK);
	EXPECT_EQ(ward_context_open(&T, g, z), WARD_OK);
	EXPECT_EQ(ward_context_find(&T, g, &ig), WARD_OK);
	EXPECT_EQ(T.c[ig].has_parent, 1);
	EXPECT(memcmp(T.c[ig].parent, z, WARD_CTX_BYTES) == 0);
	EXPECT(contexts_ok_rt(&T));
}

/* A full table refuses a spawn as it refuses a session. */
TEST(context_full_refuses_spawn)
{
	uint8_t id[WARD_CTX_BYTES], p[WARD_CTX_BYTES];
	uint32_t i;

	ward_contexts_init(&T);
	mkctx(p, 0);
	for (i = 0; i < WARD_CTX_MAX; i++) {
		mkctx(id, i);
		EXPECT_EQ(ward_context_open(&T, id, i == 0 ? NULL : p), WARD_OK);
	}
	memcpy(&T_before, &T, sizeof T);
	mkctx(id, WARD_CTX_MAX);
	EXPECT_EQ(ward_context_open(&T, id, p), WARD_E_CONTEXT_FULL);
	EXPECT(memcmp(&T_before, &T, sizeof T) == 0);
}

/*
 * The world of the lineage tests: session S; A spawned from S; B spawned
 * from A; U, a session unrelated to them; W, spawned from U.
 */
enum { S, A, B, U, W, X, NCTX };
static uint8_t L[NCTX][WARD_CTX_BYTES];

static void
lineage_world(void)
{
	unsigned i;

	ward_contexts_init(&T);
	for (i = 0; i < NCTX; i++)
		mkctx(L[i], 40 + i);
	if (ward_context_open(&T, L[S], NULL) != WARD_OK ||
	    ward_context_open(&T, L[A], L[S]) != WARD_OK ||
	    ward_context_open(&T, L[B], L[A]) != WARD_OK ||
	    ward_context_open(&T, L[U], NULL) != WARD_OK ||
	    ward_context_open(&T, L[W], L[U]) != WARD_OK) {
		printf("FAIL lineage_world: ward_context_open\n");
		exit(2);
	}
}

/* ward_context_lineage of a chain whose blocks are bound to the contexts
 * k[0 .. n - 1] of L, for a request in context req. */
static int
lineage(uint32_t n, const unsigned *k, unsigned req)
{
	uint8_t c[WARD_CHAIN_MAX][WARD_CTX_BYTES];
	uint32_t i;
	int r;

	for (i = 0; i < n; i++)
		memcpy(c[i], L[k[i]], WARD_CTX_BYTES);
	chain_of(n, (const uint8_t (*)[WARD_CTX_BYTES])c);
	memcpy(&T_before, &T, sizeof T);
	r = ward_context_lineage(&T, &CH, L[req]);
	if (memcmp(&T_before, &T, sizeof T) != 0)
		return -1;		/* it must change nothing */
	return r;
}

TEST(lineage_same_context_chain)
{
	static const unsigned one[] = { A };
	static const unsigned all[] = { A, A, A, A, A, A, A, A };

	lineage_world();
	EXPECT_EQ(lineage(1, one, A), 1);
	EXPECT_EQ(lineage(WARD_CHAIN_MAX, all, A), 1);
	/* Unrelated sessions are no obstacle when every block is in ctx. */
	EXPECT_EQ(lineage(3, (const unsigned[]){ U, U, U }, U), 1);
}

TEST(lineage_spawn_path)
{
	lineage_world();
	/* S -> A -> B, one step per link. */
	EXPECT_EQ(lineage(3, (const unsigned[]){ S, A, B }, B), 1);
	/* Several blocks per context on the way down. */
	EXPECT_EQ(lineage(6, (const unsigned[]){ S, S, A, A, B, B }, B), 1);
	EXPECT_EQ(lineage(2, (const unsigned[]){ A, B }, B), 1);
	EXPECT_EQ(lineage(2, (const unsigned[]){ U, W }, W), 1);
	/* The topmost ancestor may be closed: only the slot of each child
	 * context records the link. */
	EXPECT_EQ(ward_context_close(&T, L[S]), WARD_OK);
	EXPECT_EQ(lineage(3, (const unsigned[]){ S, A, B }, B), 1);
}

TEST(lineage_leaf_in_other_context)
{
	lineage_world();
	/* Leaf bound to A, request in B (spawned from A): still refused, the
	 * leaf must be bound to the request's own context. */
	EXPECT_EQ(lineage(1, (const unsigned[]){ A }, B), 0);
	EXPECT_EQ(lineage(2, (const unsigned[]){ S, A }, B), 0);
	EXPECT_EQ(lineage(3, (const unsigned[]){ B, B, B }, A), 0);
	EXPECT_EQ(lineage(1, (const unsigned[]){ U }, S), 0);
}

TEST(lineage_block_bound_to_unrelated_context)
{
	lineage_world();
	/* A block in the middle bound to an unrelated open session. */
	EXPECT_EQ(lineage(3, (const unsigned[]){ S, U, B }, B), 0);
	EXPECT_EQ(lineage(3, (const unsigned[]){ U, A, B }, B), 0);
	/* To an unrelated spawned context. */
	EXPECT_EQ(lineage(3, (const unsigned[]){ S, W, B }, B), 0);
	/* To a context never opened. */
	EXPECT_EQ(lineage(3, (const unsigned[]){ S, X, B }, B), 0);
	EXPECT_EQ(lineage(2, (const unsigned[]){ X, B }, B), 0);
	/* Upward (B's block delegating to one bound to its parent A), or a
	 * step skipped (S straight to B): neither is a recorded spawn. */
	EXPECT_EQ(lineage(3, (const unsigned[]){ B, A, A }, A), 0);
	EXPECT_EQ(lineage(2, (const unsigned[]){ S, B }, B), 0);
	/* Back and forth along the path. */
	EXPECT_EQ(lineage(4, (const unsigned[]){ S, A, S, A }, A), 0);
}

TEST(lineage_intermediate_context_closed)
{
	lineage_world();
	EXPECT_EQ(lineage(3, (const unsigned[]){ S, A, B }, B), 1);
	EXPECT_EQ(ward_context_close(&T, L[A]), WARD_OK);
	EXPECT_EQ(lineage(3, (const unsigned[]){ S, A, B }, B), 0);
	/* Reopened as a session, A no longer records S. */
	EXPECT_EQ(ward_context_open(&T, L[A], NULL), WARD_OK);
	EXPECT_EQ(lineage(3, (const unsigned[]){ S, A, B }, B), 0);
	EXPECT_EQ(lineage(2, (const unsigned[]){ A, B }, B), 1);
	/* Reopened as spawned from S, the path is whole again. */
	EXPECT_EQ(ward_context_close(&T, L[A]), WARD_OK);
	EXPECT_EQ(ward_context_open(&T, L[A], L[S]), WARD_OK);
	EXPECT_EQ(lineage(3, (const unsigned[]){ S, A, B }, B), 1);
}

TEST(lineage_wrong_recorded_parent)
{
	lineage_world();
	/* W records U as its parent, not S. */
	EXPECT_EQ(lineage(2, (const unsigned[]){ S, W }, W), 0);
	/* B records A, not S; A records S, not U. */
	EXPECT_EQ(lineage(2, (const unsigned[]){ S, B }, B), 0);
	EXPECT_EQ(lineage(3, (const unsigned[]){ U, A, B }, B), 0);
	/* Reopen A spawned from U: now U -> A holds, S -> A does not. */
	EXPECT_EQ(ward_context_close(&T, L[A]), WARD_OK);
	EXPECT_EQ(ward_context_open(&T, L[A], L[U]), WARD_OK);
	EXPECT_EQ(lineage(3, (const unsigned[]){ U, A, B }, B), 1);
	EXPECT_EQ(lineage(3, (const unsigned[]){ S, A, B }, B), 0);
	/* A session's parent field says nothing: a session opened after a
	 * spawn was closed in its slot still records no parent. */
	EXPECT_EQ(ward_context_close(&T, L[B]), WARD_OK);
	EXPECT_EQ(ward_context_open(&T, L[B], NULL), WARD_OK);
	EXPECT_EQ(lineage(2, (const unsigned[]){ A, B }, B), 0);
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
	RUN(context_open_records_parent);
	RUN(context_full_refuses_spawn);
	RUN(lineage_same_context_chain);
	RUN(lineage_spawn_path);
	RUN(lineage_leaf_in_other_context);
	RUN(lineage_block_bound_to_unrelated_context);
	RUN(lineage_intermediate_context_closed);
	RUN(lineage_wrong_recorded_parent);
	T_EXIT();
}
