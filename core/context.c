/*
 * context.c -- open contexts and their replay windows.  Contracts in
 * context.h; this file carries the contracts of its static helpers, loop
 * annotations, and asserts that guide the provers.
 */
#include "context.h"

/*@ requires \valid_read(t);
    requires i < WARD_CTX_MAX;
    requires \valid_read(id + (0 .. WARD_CTX_BYTES - 1));
    assigns \nothing;
    ensures \result == 0 || \result == 1;
    ensures \result == 1 <==> ctx_is(t, i, id);
*/
static int
ctx_entry_is(const struct ward_contexts *t, uint32_t i, const uint8_t *id)
{
	uint32_t j;

	/*@ loop invariant 0 <= j <= WARD_CTX_BYTES;
	    loop invariant \forall integer q; 0 <= q < j ==> t->c[i].id[q] == id[q];
	    loop assigns j;
	    loop variant WARD_CTX_BYTES - j;
	*/
	for (j = 0; j < WARD_CTX_BYTES; j++) {
		if (t->c[i].id[j] != id[j])
			return 0;
	}
	return 1;
}

/* The open slot of id, or WARD_CTX_MAX if it is not open. */
/*@ requires \valid_read(t);
    requires \valid_read(id + (0 .. WARD_CTX_BYTES - 1));
    assigns \nothing;
    ensures \result <= WARD_CTX_MAX;
    ensures \result < WARD_CTX_MAX ==>
      t->c[\result].open == 1 && ctx_is(t, \result, id);
    ensures \result == WARD_CTX_MAX ==> !ctx_known(t, id);
*/
static uint32_t
ctx_lookup(const struct ward_contexts *t, const uint8_t *id)
{
	uint32_t i;

	/*@ loop invariant 0 <= i <= WARD_CTX_MAX;
	    loop invariant \forall integer q; 0 <= q < i ==>
	      !(t->c[q].open == 1 && ctx_is(t, q, id));
	    loop assigns i;
	    loop variant WARD_CTX_MAX - i;
	*/
	for (i = 0; i < WARD_CTX_MAX; i++) {
		if (t->c[i].open == 1 && ctx_entry_is(t, i, id) == 1)
			return i;
	}
	return WARD_CTX_MAX;
}

/* A free slot, or WARD_CTX_MAX if every slot is open. */
/*@ requires \valid_read(t);
    assigns \nothing;
    ensures \result <= WARD_CTX_MAX;
    ensures \result < WARD_CTX_MAX ==> t->c[\result].open != 1;
    ensures \result == WARD_CTX_MAX ==> ctx_full(t);
*/
static uint32_t
ctx_free_slot(const struct ward_contexts *t)
{
	uint32_t i;

	/*@ loop invariant 0 <= i <= WARD_CTX_MAX;
	    loop invariant \forall integer q; 0 <= q < i ==> t->c[q].open == 1;
	    loop assigns i;
	    loop variant WARD_CTX_MAX - i;
	*/
	for (i = 0; i < WARD_CTX_MAX; i++) {
		if (t->c[i].open != 1)
			return i;
	}
	return WARD_CTX_MAX;
}

/* A closed slot with an empty window. */
/*@ requires \valid(t);
    requires i < WARD_CTX_MAX;
    assigns t->c[i].open, t->c[i].hi, t->c[i].seen[0 .. WARD_NONCE_WINDOW - 1];
    ensures t->c[i].open == 0 && t->c[i].hi == 0;
    ensures \forall integer k; 0 <= k < WARD_NONCE_WINDOW ==>
      t->c[i].seen[k] == 0;
    ensures ctx_ok(t, i);
*/
static void
ctx_reset(struct ward_contexts *t, uint32_t i)
{
	uint32_t k;

	t->c[i].open = 0;
	t->c[i].hi = 0;
	/*@ loop invariant 0 <= k <= WARD_NONCE_WINDOW;
	    loop invariant \forall integer q; 0 <= q < k ==> t->c[i].seen[q] == 0;
	    loop invariant t->c[i].open == 0 && t->c[i].hi == 0;
	    loop assigns k, t->c[i].seen[0 .. WARD_NONCE_WINDOW - 1];
	    loop variant WARD_NONCE_WINDOW - k;
	*/
	for (k = 0; k < WARD_NONCE_WINDOW; k++)
		t->c[i].seen[k] = 0;
}

/* Slot i's id, and its parent (none when parent is NULL). */
/*@ requires \valid(t);
    requires i < WARD_CTX_MAX;
    requires \valid_read(id + (0 .. WARD_CTX_BYTES - 1));
    requires \separated(t, id + (0 .. WARD_CTX_BYTES - 1));
    requires parent == \null ||
      (\valid_read(parent + (0 .. WARD_CTX_BYTES - 1)) &&
       \separated(t, parent + (0 .. WARD_CTX_BYTES - 1)));
    assigns t->c[i].id[0 .. WARD_CTX_BYTES - 1], t->c[i].has_parent,
            t->c[i].parent[0 .. WARD_CTX_BYTES - 1];
    ensures ctx_is(t, i, id);
    ensures parent == \null ==> t->c[i].has_parent == 0;
    ensures parent != \null ==> ctx_parent_is(t, i, parent);
*/
static void
ctx_fill(struct ward_contexts *t, uint32_t i, const uint8_t *id,
	 const uint8_t *parent)
{
	uint32_t j;

	/*@ loop invariant 0 <= j <= WARD_CTX_BYTES;
	    loop invariant \forall integer q; 0 <= q < j ==> t->c[i].id[q] == id[q];
	    loop invariant parent != \null ==>
	      \forall integer q; 0 <= q < j ==> t->c[i].parent[q] == parent[q];
	    loop assigns j, t->c[i].id[0 .. WARD_CTX_BYTES - 1],
	                 t->c[i].parent[0 .. WARD_CTX_BYTES - 1];
	    loop variant WARD_CTX_BYTES - j;
	*/
	for (j = 0; j < WARD_CTX_BYTES; j++) {
		t->c[i].id[j] = id[j];
		t->c[i].parent[j] = parent != NULL ? parent[j] : 0;
	}
	t->c[i].has_parent = parent != NULL;
}

void
ward_contexts_init(struct ward_contexts *t)
{
	uint32_t i;

	/*@ loop invariant 0 <= i <= WARD_CTX_MAX;
	    loop invariant \forall integer q; 0 <= q < i ==> t->c[q].open == 0;
	    loop invariant \forall integer q; 0 <= q < i ==> ctx_win_ok(t, q);
	    loop assigns i, t->c[0 .. WARD_CTX_MAX - 1];
	    loop variant WARD_CTX_MAX - i;
	*/
	for (i = 0; i < WARD_CTX_MAX; i++)
		ctx_reset(t, i);
}

int
ward_context_open(struct ward_contexts *t, const uint8_t *id,
		  const uint8_t *parent)
{
	uint32_t i;

	if (ctx_lookup(t, id) < WARD_CTX_MAX)
		return WARD_E_CONTEXT_EXISTS;
	i = ctx_free_slot(t);
	if (i == WARD_CTX_MAX)
		return WARD_E_CONTEXT_FULL;
	ctx_reset(t, i);
	ctx_fill(t, i, id, parent);
	t->c[i].open = 1;
	/*@ assert his: \forall integer q; 0 <= q < WARD_CTX_MAX && q != i ==>
	      t->c[q].hi == \at(t->c[q].hi, Pre);
	*/
	/*@ assert seens: \forall integer q, k; 0 <= q < WARD_CTX_MAX && q != i &&
	      0 <= k < WARD_NONCE_WINDOW ==>
	        t->c[q].seen[k] == \at(t->c[q].seen[k], Pre);
	*/
	/*@ assert win_pre: \forall integer q; 0 <= q < WARD_CTX_MAX ==>
	      \at(ctx_win_ok(t, q), Pre);
	*/
	/*@ assert win_others: \forall integer q; 0 <= q < WARD_CTX_MAX && q != i ==>
	      ctx_win_ok(t, q);
	*/
	/*@ assert others: \forall integer q; 0 <= q < WARD_CTX_MAX && q != i ==>
	      ctx_same{Pre, Here}(t, q);
	*/
	/*@ assert opens: \forall integer q; 0 <= q < WARD_CTX_MAX && q != i ==>
	      t->c[q].open == \at(t->c[q].open, Pre);
	*/
	/*@ assert ids: \forall integer q, j; 0 <= q < WARD_CTX_MAX && q != i &&
	      0 <= j < WARD_CTX_BYTES ==> t->c[q].id[j] == \at(t->c[q].id[j], Pre);
	*/
	/*@ assert self: ctx_ok(t, i); */
	/*@ assert open_ok: \forall integer q; 0 <= q < WARD_CTX_MAX ==>
	      ctx_open_ok(t, q);
	*/
	/*@ assert win_ok: \forall integer q; 0 <= q < WARD_CTX_MAX ==>
	      ctx_win_ok(t, q);
	*/
	/*@ assert twins: \forall integer q; 0 <= q < WARD_CTX_MAX && q != i &&
	      t->c[q].open == 1 ==> !ctx_twins(t, q, i);
	*/
	/*@ assert twins_others: \forall integer a, b; 0 <= a < WARD_CTX_MAX &&
	      0 <= b < WARD_CTX_MAX && a != i && b != i && ctx_twins(t, a, b) ==>
	        \at(ctx_twins(t, a, b), Pre);
	*/
	/*@ assert unique: ctx_unique(t); */
	return WARD_OK;
}

int
ward_context_find(const struct ward_contexts *t, const uint8_t *id,
		  uint16_t *idx)
{
	uint32_t i = ctx_lookup(t, id);

	if (i == WARD_CTX_MAX)
		return WARD_E_CONTEXT_UNKNOWN;
	*idx = (uint16_t)i;
	return WARD_OK;
}

int
ward_context_close(struct ward_contexts *t, const uint8_t *id)
{
	uint32_t i = ctx_lookup(t, id);

	if (i == WARD_CTX_MAX)
		return WARD_E_CONTEXT_UNKNOWN;
	/* Ids are unique among open slots: i is the only one to close. */
	/*@ assert only: \forall integer q; 0 <= q < WARD_CTX_MAX && q != i &&
	      t->c[q].open == 1 ==> !ctx_twins(t, q, i);
	*/
	/*@ assert only_id: \forall integer q; 0 <= q < WARD_CTX_MAX && q != i &&
	      t->c[q].open == 1 ==> !ctx_is(t, q, id);
	*/
	t->c[i].open = 0;
	/*@ assert opens: \forall integer q; 0 <= q < WARD_CTX_MAX && q != i ==>
	      t->c[q].open == \at(t->c[q].open, Pre);
	*/
	/*@ assert others: \forall integer q; 0 <= q < WARD_CTX_MAX && q != i ==>
	      ctx_same{Pre, Here}(t, q);
	*/
	/*@ assert gone: \forall integer q; 0 <= q < WARD_CTX_MAX && q != i &&
	      t->c[q].open == 1 ==> !ctx_is(t, q, id);
	*/
	/*@ assert open_ok: \forall integer q; 0 <= q < WARD_CTX_MAX ==>
	      ctx_open_ok(t, q);
	*/
	/*@ assert unique: ctx_unique(t); */
	return WARD_OK;
}

int
ward_nonce_check(const struct ward_contexts *t, uint32_t i, uint64_t n)
{
	if (n == 0)
		return WARD_E_NONCE_STALE;
	if (t->c[i].hi >= WARD_NONCE_WINDOW && n <= t->c[i].hi - WARD_NONCE_WINDOW)
		return WARD_E_NONCE_STALE;
	if (t->c[i].seen[n % WARD_NONCE_WINDOW] == n)
		return WARD_E_REPLAY;
	return WARD_OK;
}

void
ward_nonce_commit(struct ward_contexts *t, uint32_t i, uint64_t n)
{
	uint64_t hi = t->c[i].hi;
	/*@ ghost uint64_t old = t->c[i].seen[n % WARD_NONCE_WINDOW]; */

	/* The nonce it replaces is 0, or congruent to n and a full window
	 * below max(hi, n): it stays refused as too old.  The window's
	 * invariant is unfolded first, before any write (measured: stated
	 * after the writes, the next step took z3 21 s and failed under
	 * load). */
	/*@ assert pre_win: \forall integer q, k; 0 <= q < WARD_CTX_MAX &&
	      0 <= k < WARD_NONCE_WINDOW ==>
	        (t->c[q].seen[k] % WARD_NONCE_WINDOW == k ||
	         t->c[q].seen[k] == 0) &&
	        t->c[q].seen[k] <= t->c[q].hi;
	*/
	/*@ assert old == 0 || old % WARD_NONCE_WINDOW == n % WARD_NONCE_WINDOW; */
	/*@ assert old <= hi; */
	/*@ assert old == 0 || old == n || old + WARD_NONCE_WINDOW <= n ||
	      n + WARD_NONCE_WINDOW <= old;
	*/
	if (n > hi)
		hi = n;
	t->c[i].hi = hi;
	t->c[i].seen[n % WARD_NONCE_WINDOW] = n;
	/*@ assert old == 0 || old == n || old + WARD_NONCE_WINDOW <= hi; */
	/*@ assert his: \forall integer q; 0 <= q < WARD_CTX_MAX && q != i ==>
	      t->c[q].hi == \at(t->c[q].hi, Pre);
	*/
	/*@ assert seens: \forall integer q, k; 0 <= q < WARD_CTX_MAX && q != i &&
	      0 <= k < WARD_NONCE_WINDOW ==>
	        t->c[q].seen[k] == \at(t->c[q].seen[k], Pre);
	*/
	/*@ assert mine: \forall integer k; 0 <= k < WARD_NONCE_WINDOW &&
	      k != n % WARD_NONCE_WINDOW ==>
	        t->c[i].seen[k] == \at(t->c[i].seen[k], Pre);
	*/
	/*@ assert hi_grew: t->c[i].hi >= \at(t->c[i].hi, Pre) && t->c[i].hi >= n; */
	/*@ assert others_flat: \forall integer q, k; 0 <= q < WARD_CTX_MAX &&
	      q != i && 0 <= k < WARD_NONCE_WINDOW ==>
	        (t->c[q].seen[k] % WARD_NONCE_WINDOW == k || t->c[q].seen[k] == 0) &&
	        t->c[q].seen[k] <= t->c[q].hi;
	*/
	/*@ assert self_flat: \forall integer k; 0 <= k < WARD_NONCE_WINDOW ==>
	      (t->c[i].seen[k] % WARD_NONCE_WINDOW == k || t->c[i].seen[k] == 0) &&
	      t->c[i].seen[k] <= t->c[i].hi;
	*/
	/*@ assert win_ok: \forall integer q; 0 <= q < WARD_CTX_MAX ==>
	      ctx_win_ok(t, q);
	*/
}

/* Are the 16 bytes at a and b the same? */
/*@ requires \valid_read(a + (0 .. WARD_CTX_BYTES - 1));
    requires \valid_read(b + (0 .. WARD_CTX_BYTES - 1));
    assigns \nothing;
    ensures \result == 0 || \result == 1;
    ensures \result == 1 <==> same_bytes(a, b, WARD_CTX_BYTES);
*/
static int
ctx_bytes_eq(const uint8_t *a, const uint8_t *b)
{
	uint32_t k;

	/*@ loop invariant 0 <= k <= WARD_CTX_BYTES;
	    loop invariant \forall integer j; 0 <= j < k ==> a[j] == b[j];
	    loop assigns k;
	    loop variant WARD_CTX_BYTES - k;
	*/
	for (k = 0; k < WARD_CTX_BYTES; k++)
		if (a[k] != b[k])
			return 0;
	return 1;
}

/* One link of the rule: link_lineage(t, ch, i). */
/*@ requires \valid_read(t) && contexts_ok(t);
    requires \valid_read(ch) && 0 < i < WARD_CHAIN_MAX;
    assigns \nothing;
    ensures \result == 0 || \result == 1;
    ensures \result == 1 <==> link_lineage(t, ch, i);
*/
static int
link_lineage_ok(const struct ward_contexts *t, const struct ward_chain *ch,
		uint32_t i)
{
	const uint8_t *up = ch->l[i - 1].b.context;
	const uint8_t *me = ch->l[i].b.context;
	uint32_t k;

	if (ctx_bytes_eq(up, me) == 1)
		return 1;
	k = ctx_lookup(t, me);
	if (k == WARD_CTX_MAX)
		return 0;
	/* The open slot of an id is unique (ctx_unique): k is the only one
	 * that can record a parent for it. */
	/*@ assert only: \forall integer q; 0 <= q < WARD_CTX_MAX &&
	      t->c[q].open == 1 && ctx_is(t, q, me) ==> ctx_twins(t, q, k);
	*/
	/*@ assert one: \forall integer q; 0 <= q < WARD_CTX_MAX &&
	      t->c[q].open == 1 && ctx_is(t, q, me) ==> q == k;
	*/
	if (t->c[k].has_parent != 1)
		return 0;
	return ctx_bytes_eq(t->c[k].parent, up);
}

int
ward_context_lineage(const struct ward_contexts *t,
		     const struct ward_chain *ch, const uint8_t *ctx)
{
	uint32_t i;

	if (ctx_bytes_eq(ch->l[ch->n - 1].b.context, ctx) != 1)
		return 0;
	/*@ loop invariant 1 <= i <= ch->n;
	    loop invariant \forall integer q; 0 < q < i ==>
	      link_lineage(t, ch, q);
	    loop assigns i;
	    loop variant ch->n - i;
	*/
	for (i = 1; i < ch->n; i++)
		if (link_lineage_ok(t, ch, i) != 1)
			return 0;
	return 1;
}

/*@ ghost
  void ward_lineage_ancestry(const struct ward_contexts *t,
                             const struct ward_chain *ch, const uint8_t *ctx)
  {
    uint32_t i = ch->n - 1;
    /@ loop invariant 0 <= i < ch->n;
       loop invariant \forall integer j; i <= j < ch->n ==>
         ctx_lineage(t, ctx, &ch->l[j].b.context[0]);
       loop assigns i;
       loop variant i;
    @/
    while (i > 0) {
      /@ assert here: ctx_lineage(t, ctx, &ch->l[i].b.context[0]); @/
      /@ assert link: link_lineage(t, ch, i); @/
      /@ assert sym: same_bytes(&ch->l[i - 1].b.context[0],
                                &ch->l[i].b.context[0], WARD_CTX_BYTES) ==>
            same_bytes(&ch->l[i].b.context[0],
                       &ch->l[i - 1].b.context[0], WARD_CTX_BYTES); @/
      /@ assert same: same_bytes(&ch->l[i - 1].b.context[0],
                                 &ch->l[i].b.context[0], WARD_CTX_BYTES) ==>
            ctx_lineage(t, ctx, &ch->l[i - 1].b.context[0]); @/
      /@ assert up: !same_bytes(&ch->l[i - 1].b.context[0],
                                &ch->l[i].b.context[0], WARD_CTX_BYTES) ==>
            ctx_lineage(t, ctx, &ch->l[i - 1].b.context[0]); @/
      i--;
    }
  }
*/
