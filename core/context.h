/*
 * context.h -- open contexts (transactions) and their replay windows.
 *
 * A context is a 16-byte id; at most WARD_CTX_MAX are open at once, each at
 * most once (contexts_ok).  Every effect request carries a nonce, and the
 * core refuses a nonce it has seen for that context: each context keeps the
 * highest nonce seen (hi) and a window of the last WARD_NONCE_WINDOW ones,
 * slot n % W holding the latest nonce n seen with that residue.
 *
 * A nonce is refused (nonce_refused) if it is zero, older than the window,
 * or recorded in it.  ward_nonce_commit only ever adds to the refused set:
 * once a nonce is refused it stays refused for as long as the context is
 * open, which is what makes a replay impossible.  Closing a context drops
 * its window; ids of contexts are fresh, never reused.
 *
 * A context opened by a spawn records the context it was spawned from, its
 * parent.  The ancestors of a context are its parent, the parent's parent,
 * and so on, through contexts that are open (ctx_lineage below).  The
 * lineage rule of the decision (approve.h) is stated over that relation:
 * every block of a chain is bound to the request's context or to one of its
 * ancestors, so a delegation cannot carry authority into a transaction that
 * was not spawned from the one it was made in.
 */
#ifndef WARD_CONTEXT_H
#define WARD_CONTEXT_H

#include "ward.h"

/*
 * open is a uint32_t, not a uint8_t: WP keeps one memory per integer type,
 * so opening and closing a slot leave the memory of the ids untouched and
 * the provers see at once that the ids, hence ctx_unique's twins, are the
 * same.  For the same reason ward_context_find returns the slot through a
 * uint16_t: no table of the core holds a uint16_t, so writing the slot
 * number leaves every validity predicate the same term.
 */
struct ward_context {
	uint32_t open;			/* 1: slot in use */
	uint32_t has_parent;		/* 1: opened by a spawn from parent */
	uint8_t id[WARD_CTX_BYTES];
	uint8_t parent[WARD_CTX_BYTES];	/* the context it was spawned from */
	uint64_t hi;			/* highest nonce committed */
	uint64_t seen[WARD_NONCE_WINDOW];	/* seen[n % W] == n: n seen */
};

struct ward_contexts {
	struct ward_context c[WARD_CTX_MAX];
};

/*@
  // Nonce n is refused in slot i: zero, older than the window, or seen.
  predicate nonce_refused{L}(struct ward_contexts *t, integer i, integer n) =
    n == 0 || n + WARD_NONCE_WINDOW <= t->c[i].hi ||
    t->c[i].seen[n % WARD_NONCE_WINDOW] == n;

  // Context slot i holds the 16 bytes at id.
  predicate ctx_is{L}(struct ward_contexts *t, integer i, uint8_t *id) =
    \forall integer j; 0 <= j < WARD_CTX_BYTES ==> t->c[i].id[j] == id[j];

  predicate ctx_twins{L}(struct ward_contexts *t, integer a, integer b) =
    \forall integer j; 0 <= j < WARD_CTX_BYTES ==>
      t->c[a].id[j] == t->c[b].id[j];

  // Slots are written by index: the provers handle indices into one base
  // pointer far better than pointers into the table.  What reads only
  // open and what reads only the window are separate predicates, so a
  // write to one leaves the other the same term.
  predicate ctx_open_ok{L}(struct ward_contexts *t, integer i) =
    t->c[i].open == 0 || t->c[i].open == 1;

  // Every window slot holds zero or a nonce of its residue, never above hi.
  predicate ctx_win_ok{L}(struct ward_contexts *t, integer i) =
    \forall integer k; 0 <= k < WARD_NONCE_WINDOW ==>
      (t->c[i].seen[k] % WARD_NONCE_WINDOW == k || t->c[i].seen[k] == 0) &&
      t->c[i].seen[k] <= t->c[i].hi;

  predicate ctx_ok{L}(struct ward_contexts *t, integer i) =
    ctx_open_ok(t, i) && ctx_win_ok(t, i);

  // No two open slots hold the same id.
  predicate ctx_unique{L}(struct ward_contexts *t) =
    \forall integer a, b; 0 <= a < WARD_CTX_MAX && 0 <= b < WARD_CTX_MAX &&
      t->c[a].open == 1 && t->c[b].open == 1 && ctx_twins(t, a, b) ==>
        a == b;

  // The validity predicate of the table.
  predicate contexts_ok{L}(struct ward_contexts *t) =
    (\forall integer i; 0 <= i < WARD_CTX_MAX ==> ctx_open_ok(t, i)) &&
    (\forall integer i; 0 <= i < WARD_CTX_MAX ==> ctx_win_ok(t, i)) &&
    ctx_unique(t);

  predicate ctx_known{L}(struct ward_contexts *t, uint8_t *id) =
    \exists integer i; 0 <= i < WARD_CTX_MAX &&
      t->c[i].open == 1 && ctx_is(t, i, id);

  predicate ctx_full{L}(struct ward_contexts *t) =
    \forall integer i; 0 <= i < WARD_CTX_MAX ==> t->c[i].open == 1;

  // No context opened or closed and no nonce recorded between L1 and L2:
  // every slot's open flag and nonce window are the same.
  predicate ctx_windows_kept{L1, L2}(struct ward_contexts *t) =
    (\forall integer i; 0 <= i < WARD_CTX_MAX ==>
       \at(t->c[i].open, L2) == \at(t->c[i].open, L1) &&
       \at(t->c[i].hi, L2) == \at(t->c[i].hi, L1)) &&
    (\forall integer i, k; 0 <= i < WARD_CTX_MAX && 0 <= k < WARD_NONCE_WINDOW ==>
       \at(t->c[i].seen[k], L2) == \at(t->c[i].seen[k], L1));

  // Slot i is the same at L1 and L2.
  predicate ctx_same{L1, L2}(struct ward_contexts *t, integer i) =
    \at(t->c[i].open, L1) == \at(t->c[i].open, L2) &&
    \at(t->c[i].has_parent, L1) == \at(t->c[i].has_parent, L2) &&
    \at(t->c[i].hi, L1) == \at(t->c[i].hi, L2) &&
    (\forall integer j; 0 <= j < WARD_CTX_BYTES ==>
       \at(t->c[i].id[j], L1) == \at(t->c[i].id[j], L2)) &&
    (\forall integer j; 0 <= j < WARD_CTX_BYTES ==>
       \at(t->c[i].parent[j], L1) == \at(t->c[i].parent[j], L2)) &&
    (\forall integer k; 0 <= k < WARD_NONCE_WINDOW ==>
       \at(t->c[i].seen[k], L1) == \at(t->c[i].seen[k], L2));

  // ---- lineage ----------------------------------------------------------
  // Slot k was opened by a spawn from the context whose 16 bytes are at p.
  predicate ctx_parent_is{L}(struct ward_contexts *t, integer k, uint8_t *p) =
    t->c[k].has_parent == 1 &&
    \forall integer j; 0 <= j < WARD_CTX_BYTES ==> t->c[k].parent[j] == p[j];

  // The ancestor relation: the context at a is the context at c, or an
  // ancestor of it, through open contexts of the table.  Inductive: the
  // least relation closed under these three rules, so a pair is in it only
  // if a finite number of parent steps leads from c to a.
  inductive ctx_lineage{L}(struct ward_contexts *t, uint8_t *c, uint8_t *a) {
    case lin_self{L}: \forall struct ward_contexts *t, uint8_t *c, *a;
      same_bytes(c, a, WARD_CTX_BYTES) ==> ctx_lineage(t, c, a);
    case lin_same{L}: \forall struct ward_contexts *t, uint8_t *c, *b, *a;
      ctx_lineage(t, c, b) ==> same_bytes(b, a, WARD_CTX_BYTES) ==>
        ctx_lineage(t, c, a);
    case lin_up{L}: \forall struct ward_contexts *t, uint8_t *c, *b, *a,
                           integer k;
      ctx_lineage(t, c, b) ==> 0 <= k < WARD_CTX_MAX ==>
      t->c[k].open == 1 ==> ctx_is(t, k, b) ==> ctx_parent_is(t, k, a) ==>
        ctx_lineage(t, c, a);
  }

  // Link i of a chain (0 < i) is bound to the context of link i - 1, or to
  // a context the table records as spawned from it.
  predicate link_lineage{L}(struct ward_contexts *t, struct ward_chain *ch,
                            integer i) =
    same_bytes(&ch->l[i - 1].b.context[0], &ch->l[i].b.context[0],
               WARD_CTX_BYTES) ||
    \exists integer k; 0 <= k < WARD_CTX_MAX && t->c[k].open == 1 &&
      ctx_is(t, k, &ch->l[i].b.context[0]) &&
      ctx_parent_is(t, k, &ch->l[i - 1].b.context[0]);

  // The lineage rule, link by link: the leaf is bound to ctx, and each
  // block to its child's context or to that context's parent.  It implies
  // ctx_lineage(t, ctx, block's context) for every block
  // (ward_lineage_ancestry below), and is what the C checks.
  predicate chain_lineage{L}(struct ward_contexts *t, struct ward_chain *ch,
                             uint8_t *ctx) =
    1 <= ch->n <= WARD_CHAIN_MAX &&
    same_bytes(&ch->l[ch->n - 1].b.context[0], ctx, WARD_CTX_BYTES) &&
    \forall integer i; 0 < i < ch->n ==> link_lineage(t, ch, i);
*/

/*@ requires \valid(t);
    assigns t->c[0 .. WARD_CTX_MAX - 1];
    ensures contexts_ok(t);
    ensures \forall integer i; 0 <= i < WARD_CTX_MAX ==> t->c[i].open == 0;
*/
void ward_contexts_init(struct ward_contexts *t);

/* Open a context with an empty window, recording parent (NULL for a
 * session, which has none).  Open contexts are never touched. */
/*@ requires \valid(t) && contexts_ok(t);
    requires \valid_read(id + (0 .. WARD_CTX_BYTES - 1));
    requires \separated(t, id + (0 .. WARD_CTX_BYTES - 1));
    requires parent == \null ||
      (\valid_read(parent + (0 .. WARD_CTX_BYTES - 1)) &&
       \separated(t, parent + (0 .. WARD_CTX_BYTES - 1)));
    assigns t->c[0 .. WARD_CTX_MAX - 1];
    ensures contexts_ok(t);
    ensures \result == WARD_OK || \result == WARD_E_CONTEXT_EXISTS ||
            \result == WARD_E_CONTEXT_FULL;
    ensures \forall integer i; 0 <= i < WARD_CTX_MAX &&
      \at(t->c[i].open, Pre) == 1 ==> ctx_same{Pre, Post}(t, i);

    behavior exists:
      assumes ctx_known(t, id);
      assigns \nothing;
      ensures \result == WARD_E_CONTEXT_EXISTS;
    behavior opened:
      assumes !ctx_known(t, id) && !ctx_full(t);
      ensures \result == WARD_OK;
      ensures \exists integer i; 0 <= i < WARD_CTX_MAX &&
        \at(t->c[i].open, Pre) != 1 &&
        t->c[i].open == 1 && ctx_is(t, i, id) && t->c[i].hi == 0 &&
        (\forall integer k; 0 <= k < WARD_NONCE_WINDOW ==>
           t->c[i].seen[k] == 0) &&
        (parent == \null ==> t->c[i].has_parent == 0) &&
        (parent != \null ==> ctx_parent_is(t, i, parent));
    behavior full:
      assumes !ctx_known(t, id) && ctx_full(t);
      assigns \nothing;
      ensures \result == WARD_E_CONTEXT_FULL;
    complete behaviors;
    disjoint behaviors;
*/
int ward_context_open(struct ward_contexts *t, const uint8_t *id,
		      const uint8_t *parent)
	__attribute__((warn_unused_result));

/*@ requires \valid_read(t) && contexts_ok(t);
    requires \valid_read(id + (0 .. WARD_CTX_BYTES - 1));
    requires \valid(idx);
    requires \separated(idx, t, id + (0 .. WARD_CTX_BYTES - 1));
    assigns *idx;
    ensures \result == WARD_OK || \result == WARD_E_CONTEXT_UNKNOWN;

    behavior known:
      assumes ctx_known(t, id);
      ensures \result == WARD_OK;
      ensures *idx < WARD_CTX_MAX && t->c[*idx].open == 1 &&
              ctx_is(t, *idx, id);
    behavior unknown:
      assumes !ctx_known(t, id);
      assigns \nothing;
      ensures \result == WARD_E_CONTEXT_UNKNOWN;
    complete behaviors;
    disjoint behaviors;
*/
int ward_context_find(const struct ward_contexts *t, const uint8_t *id,
		      uint16_t *idx)
	__attribute__((warn_unused_result));

/* Close a context: its slot becomes free, its window is dropped. */
/*@ requires \valid(t) && contexts_ok(t);
    requires \valid_read(id + (0 .. WARD_CTX_BYTES - 1));
    requires \separated(t, id + (0 .. WARD_CTX_BYTES - 1));
    assigns t->c[0 .. WARD_CTX_MAX - 1].open;
    ensures contexts_ok(t);
    ensures \result == WARD_OK || \result == WARD_E_CONTEXT_UNKNOWN;
    ensures !ctx_known(t, id);
    ensures \forall integer i; 0 <= i < WARD_CTX_MAX && !ctx_is(t, i, id) ==>
      t->c[i].open == \at(t->c[i].open, Pre);

    behavior known:
      assumes ctx_known(t, id);
      ensures \result == WARD_OK;
    behavior unknown:
      assumes !ctx_known(t, id);
      assigns \nothing;
      ensures \result == WARD_E_CONTEXT_UNKNOWN;
    complete behaviors;
    disjoint behaviors;
*/
int ward_context_close(struct ward_contexts *t, const uint8_t *id)
	__attribute__((warn_unused_result));

/* May nonce n be used in the open context of slot i?  Changes nothing:
 * the caller commits the nonce once the approval is logged. */
/*@ requires \valid_read(t) && contexts_ok(t);
    requires i < WARD_CTX_MAX;
    assigns \nothing;
    ensures \result == WARD_OK || \result == WARD_E_REPLAY ||
            \result == WARD_E_NONCE_STALE;
    ensures \result == WARD_OK <==> !nonce_refused(t, i, n);

    behavior fresh:
      assumes !nonce_refused(t, i, n);
      ensures \result == WARD_OK;
    behavior stale:
      assumes n == 0 || n + WARD_NONCE_WINDOW <= t->c[i].hi;
      ensures \result == WARD_E_NONCE_STALE;
    behavior replay:
      assumes n != 0 && n + WARD_NONCE_WINDOW > t->c[i].hi &&
              t->c[i].seen[n % WARD_NONCE_WINDOW] == n;
      ensures \result == WARD_E_REPLAY;
    complete behaviors;
    disjoint behaviors;
*/
int ward_nonce_check(const struct ward_contexts *t, uint32_t i, uint64_t n)
	__attribute__((warn_unused_result));

/* Record nonce n as seen in slot i.  The refused set only grows; no other
 * slot changes. */
/*@ requires \valid(t) && contexts_ok(t);
    requires i < WARD_CTX_MAX;
    requires !nonce_refused(t, i, n);
    assigns t->c[i].hi, t->c[i].seen[n % WARD_NONCE_WINDOW];
    ensures contexts_ok(t);
    ensures nonce_refused(t, i, n);
    ensures \forall integer m;
      nonce_refused{Pre}(t, i, m) ==> nonce_refused{Post}(t, i, m);
    ensures t->c[i].hi == \max(\old(t->c[i].hi), n);
*/
void ward_nonce_commit(struct ward_contexts *t, uint32_t i, uint64_t n);

/* The lineage rule (chain_lineage): 1 if the chain's leaf is bound to ctx
 * and each block to its child's context or to the parent the table records
 * for that context, else 0.  The chain must be decoded (ward_chain_verify,
 * chain.h).  Changes nothing. */
/*@ requires \valid_read(t) && contexts_ok(t);
    requires \valid_read(ch) && 1 <= ch->n <= WARD_CHAIN_MAX;
    requires \valid_read(ctx + (0 .. WARD_CTX_BYTES - 1));
    assigns \nothing;
    ensures \result == 0 || \result == 1;
    ensures \result == 1 <==> chain_lineage(t, ch, ctx);
*/
int ward_context_lineage(const struct ward_contexts *t,
			 const struct ward_chain *ch, const uint8_t *ctx)
	__attribute__((warn_unused_result));

/* The lineage rule gives the ancestor relation: a proof by induction on
 * the chain, written as a ghost function whose loop is the induction.  It
 * runs nowhere; the proof of ward_approve calls it in ghost code. */
/*@ ghost
  /@ requires \valid_read(t);
     requires \valid_read(ch) && \valid_read(ctx + (0 .. WARD_CTX_BYTES - 1));
     requires chain_lineage(t, ch, ctx);
     assigns \nothing;
     ensures \forall integer i; 0 <= i < ch->n ==>
       ctx_lineage(t, ctx, &ch->l[i].b.context[0]);
  @/
  void ward_lineage_ancestry(const struct ward_contexts *t,
                             const struct ward_chain *ch, const uint8_t *ctx);
*/

#endif /* WARD_CONTEXT_H */
