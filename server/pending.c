/*
 * pending.c -- deferred approvals in ward-core (pending.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sodium.h>

#include "pending.h"
#include "attenuate.h"
#include "chain.h"
#include "codec.h"
#include "journal.h"
#include "names.h"
#include "params.h"

/* ---- the marked blocks ------------------------------------------------------ */

/* Open addressing by a keyed hash (no grinding: the key is drawn at start
 * and never leaves the process).  Never more than half full: when it
 * would be, the marks whose block has expired are dropped (a rebuild);
 * if it is still half full, the mark is refused (fail closed: ward run
 * then refuses to start the session). */
struct mark {
	uint8_t live;
	uint8_t id[WARD_ID_BYTES];
	uint32_t deadline;
	uint64_t not_after;
};

static struct mark marks[PD_MARK_N];
static uint32_t n_marks;
static uint8_t mark_key[crypto_shorthash_KEYBYTES];

static struct pd_call calls[PD_N];
static uint64_t last_id;
static struct pd_hooks H;
static struct ward_chain scratch;

static uint32_t
mark_slot(const uint8_t *id)
{
	uint8_t h[crypto_shorthash_BYTES];

	crypto_shorthash(h, id, WARD_ID_BYTES, mark_key);
	return (uint32_t)(h[0] | h[1] << 8 | h[2] << 16 | (uint32_t)h[3] << 24) %
	       PD_MARK_N;
}

static struct mark *
mark_find(const uint8_t *id)
{
	uint32_t i = mark_slot(id), k;

	for (k = 0; k < PD_MARK_N; k++) {
		struct mark *m = &marks[(i + k) % PD_MARK_N];

		if (!m->live)
			return NULL;
		if (memcmp(m->id, id, WARD_ID_BYTES) == 0)
			return m;
	}
	return NULL;
}

static int
mark_put(const uint8_t *id, uint32_t deadline, uint64_t not_after)
{
	uint32_t i = mark_slot(id), k;

	for (k = 0; k < PD_MARK_N; k++) {
		struct mark *m = &marks[(i + k) % PD_MARK_N];

		if (m->live && memcmp(m->id, id, WARD_ID_BYTES) != 0)
			continue;
		if (!m->live) {
			m->live = 1;
			memcpy(m->id, id, WARD_ID_BYTES);
			n_marks++;
		}
		/* Marked twice: the shorter deadline. */
		if (m->deadline == 0 || deadline < m->deadline)
			m->deadline = deadline;
		if (not_after > m->not_after)
			m->not_after = not_after;
		return 0;
	}
	return -1;
}

/* Drop the marks of expired blocks (no chain through them verifies). */
static void
mark_rebuild(uint64_t now)
{
	static struct mark old[PD_MARK_N];
	uint32_t i;

	memcpy(old, marks, sizeof marks);
	memset(marks, 0, sizeof marks);
	n_marks = 0;
	for (i = 0; i < PD_MARK_N; i++)
		if (old[i].live && old[i].not_after >= now)
			(void)mark_put(old[i].id, old[i].deadline,
				       old[i].not_after);
}

static int
mark_add(const uint8_t *id, uint32_t deadline, uint64_t not_after,
	 uint64_t now)
{
	if (mark_find(id) == NULL && n_marks + 1 > PD_MARK_N / 2)
		mark_rebuild(now);
	if (mark_find(id) == NULL && n_marks + 1 > PD_MARK_N / 2)
		return -1;
	return mark_put(id, deadline, not_after);
}

/* The shortest deadline of a marked block of the decoded chain, 0 if none
 * is marked. */
static uint32_t
chain_mark(const struct ward_chain *ch)
{
	uint32_t i, d = 0;

	for (i = 0; i < ch->n && i < WARD_CHAIN_MAX; i++) {
		const struct mark *m = mark_find(ch->l[i].id);

		if (m != NULL && (d == 0 || m->deadline < d))
			d = m->deadline;
	}
	return d;
}

/* ---- the calls held ---------------------------------------------------------- */

void
pd_init(const struct pd_hooks *h)
{
	H = *h;
	randombytes_buf(mark_key, sizeof mark_key);
	memset(marks, 0, sizeof marks);
	memset(calls, 0, sizeof calls);
	n_marks = 0;
	last_id = 0;
}

const struct pd_call *
pd_table(void)
{
	return calls;
}

static struct pd_call *
find_call(const struct wire_req *q, const uint8_t *leaf)
{
	uint32_t i;

	for (i = 0; i < PD_N; i++) {
		struct pd_call *c = &calls[i];

		if (c->state != PD_FREE && c->nonce == q->nonce &&
		    c->op == q->op && c->rlen == q->resource_len &&
		    memcmp(c->ctx, q->context, WARD_CTX_BYTES) == 0 &&
		    memcmp(c->digest, q->digest, WARD_ID_BYTES) == 0 &&
		    memcmp(c->leaf, leaf, WARD_ID_BYTES) == 0 &&
		    memcmp(c->res, q->resource, c->rlen) == 0)
			return c;
	}
	return NULL;
}

static struct pd_call *
by_id(uint64_t id)
{
	uint32_t i;

	for (i = 0; i < PD_N; i++)
		if (calls[i].state != PD_FREE && calls[i].id == id)
			return &calls[i];
	return NULL;
}

/* "what: fs.read /workspace/notes.txt" for the log (printable ASCII). */
static void
call_text(char *t, size_t n, const char *what, const struct pd_call *c)
{
	snprintf(t, n, "%s: %s %.*s", what, wn_op(c->op), (int)c->rlen,
		 (const char *)c->res);
}

static uint64_t
log_call(unsigned verdict, unsigned reason, unsigned sock,
	 const struct pd_call *c, uint64_t now, const char *what)
{
	uint8_t x[WARD_CTX_BYTES];
	char text[JR_TEXT_MAX];

	ward_put_be64(x, c->id);
	ward_put_be64(x + 8, c->deadline);
	call_text(text, sizeof text, what, c);
	return H.log(verdict, reason, JK_DEFER, sock, c->ctx, x, c->digest, now,
		     c->nonce, text);
}

static int
say(struct pd_out *o, int reason, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int
say(struct pd_out *o, int reason, const char *fmt, ...)
{
	va_list ap;

	o->reason = reason;
	va_start(ap, fmt);
	vsnprintf(o->detail, sizeof o->detail, fmt, ap);
	va_end(ap);
	return reason;
}

/* A refused call's nonce is spent: it can never be held or approved
 * again, whatever is sent later (and across a restart: pd_replay). */
static void
refuse_call(struct pd_call *c, uint8_t state, unsigned reason, unsigned sock,
	    uint64_t now, const char *what)
{
	c->state = state;
	c->gone = now + PD_TOMB_S;
	H.nonce_spend(c->ctx, c->nonce);
	c->pos = log_call(JV_BLOCKED, reason, sock, c, now, what);
}

/* Does the leaf grant op at all (its kind and right)?  A pre-check only,
 * so that the operator is never asked about a call ward_approve must
 * refuse anyway (it decides, with the proved rule, op_allowed in
 * core/approve.c, which this mirrors). */
static int
leaf_grants(const struct ward_block *b, unsigned op)
{
	switch (op) {
	case WARD_OP_TOOL_INVOKE:
		return b->kind == WARD_KIND_TOOL && b->r_invoke;
	case WARD_OP_FS_READ:
		return b->kind == WARD_KIND_FS && b->r_read;
	case WARD_OP_FS_WRITE:
		return b->kind == WARD_KIND_FS && b->r_write;
	case WARD_OP_NET_CONNECT:
		return b->kind == WARD_KIND_NET && b->r_invoke;
	case WARD_OP_MEM_READ:
		return b->kind == WARD_KIND_MEM && b->r_read;
	case WARD_OP_MEM_WRITE:
		return b->kind == WARD_KIND_MEM && b->r_write;
	case WARD_OP_SECRET_USE:
		return b->kind == WARD_KIND_SECRET && b->r_read;
	case WARD_OP_EXEC:
		return b->kind == WARD_KIND_EXEC && b->r_invoke;
	case WARD_OP_RESOURCE_READ:
		return b->kind == WARD_KIND_RESOURCE && b->r_read;
	case WARD_OP_PROMPT_GET:
		return b->kind == WARD_KIND_PROMPT && b->r_read;
	default:
		return 0;
	}
}

/* A new call under a marked chain: verify it, check its parameters, hold
 * it.  PD_GO for anything ward_approve must refuse on its own. */
static int
hold(const struct wire_req *q, unsigned sock, uint64_t now, uint32_t secs,
     struct pd_out *o)
{
	const struct ward_chain *ch;
	const struct ward_link *leaf;
	const uint8_t *sess;
	uint8_t d[WARD_ID_BYTES];
	struct pd_call *c = NULL, tmp;
	uint32_t i, mine = 0;

	/* What ward_approve would refuse, it refuses (and logs) itself:
	 * nothing is held for a call that cannot be approved.  Each check
	 * below that lets the call go on (PD_GO) is one ward_approve makes
	 * and refuses on, so a marked call never goes through unheld. */
	if (H.verify(now, &ch) != WARD_OK)
		return PD_GO;
	leaf = &ch->l[ch->n - 1];
	sess = H.session(q->context);
	if (sess == NULL || H.nonce_fresh(q->context, q->nonce) != WARD_OK ||
	    !leaf_grants(&leaf->b, q->op) ||
	    ward_scope_within(leaf->b.kind, q->resource, q->resource_len,
			      leaf->b.scope, leaf->b.scope_len) != 1)
		return PD_GO;
	memset(&tmp, 0, sizeof tmp);
	tmp.op = q->op;
	tmp.rlen = q->resource_len;
	memcpy(tmp.res, q->resource, q->resource_len);
	memcpy(tmp.ctx, q->context, WARD_CTX_BYTES);
	memcpy(tmp.digest, q->digest, WARD_ID_BYTES);
	tmp.nonce = q->nonce;
	tmp.deadline = now + secs;
	/* The operator answers what the core shows, so the parameters must
	 * be those of the digest the approval will be signed over. */
	if (q->params_len == 0) {
		say(o, WR_PROTO_MISSING, "deferred call refused: it must be "
		    "answered by the operator, who must see its parameters, "
		    "and the request carries none (or they are longer than "
		    "4096 bytes)");
		o->pos = log_call(JV_BLOCKED, WR_PROTO_MISSING, sock, &tmp, now,
				  "refused, no parameters to show");
		return o->reason;
	}
	params_digest(d, q->params, q->params_len);
	if (sodium_memcmp(d, q->digest, WARD_ID_BYTES) != 0) {
		say(o, WR_PROTO_MALFORMED, "deferred call refused: its "
		    "parameters do not hash to its digest");
		o->pos = log_call(JV_BLOCKED, WR_PROTO_MALFORMED, sock, &tmp, now,
				  "refused, parameters do not match the digest");
		return o->reason;
	}
	for (i = 0; i < PD_N; i++) {
		if (calls[i].state == PD_FREE) {
			if (c == NULL)
				c = &calls[i];
		} else if (memcmp(calls[i].session, sess, WARD_CTX_BYTES) == 0) {
			mine++;
		}
	}
	if (c == NULL || mine >= PD_PER_SESSION) {
		say(o, WR_STATE_FULL, "deferred call refused: %s", c == NULL ?
		    "128 calls already wait for the operator" : "this session "
		    "already has 16 calls waiting for the operator");
		o->pos = log_call(JV_BLOCKED, WR_STATE_FULL, sock, &tmp, now,
				  "refused, too many calls waiting");
		return o->reason;
	}
	*c = tmp;
	c->state = PD_WAITING;
	c->id = ++last_id;
	c->created = now;
	memcpy(c->session, sess, WARD_CTX_BYTES);
	memcpy(c->leaf, leaf->id, WARD_ID_BYTES);
	c->plen = q->params_len;
	memcpy(c->params, q->params, q->params_len);
	c->pos = log_call(JV_DEFERRED, WR_DEFERRED, sock, c, now,
			  "held for the operator");
	o->pos = c->pos;
	o->id = c->id;
	o->deadline = c->deadline;
	return say(o, WR_DEFERRED, "deferred: call %llu waits for the "
		   "operator (ward pending; ward approve %llu) until %llu",
		   (unsigned long long)c->id, (unsigned long long)c->id,
		   (unsigned long long)c->deadline);
}

int
pd_gate(const struct wire_req *q, unsigned sock, uint64_t now,
	struct pd_out *o)
{
	struct pd_call *c;
	uint32_t secs, i;

	memset(o, 0, sizeof *o);
	if (n_marks == 0)
		return PD_GO;
	/* The ids of the chain as sent (decoding only: no signature yet).
	 * A chain that does not decode is ward_approve's to refuse. */
	scratch.n = q->chain.n;
	for (i = 0; i < q->chain.n && i < WARD_CHAIN_MAX; i++) {
		scratch.l[i].raw_len = q->chain.l[i].raw_len;
		memcpy(scratch.l[i].raw, q->chain.l[i].raw,
		       q->chain.l[i].raw_len);
	}
	if (ward_chain_decode(&scratch) != WARD_OK)
		return PD_GO;
	secs = chain_mark(&scratch);
	if (secs == 0)
		return PD_GO;
	c = find_call(q, scratch.l[scratch.n - 1].id);
	if (c == NULL)
		return hold(q, sock, now, secs, o);
	o->id = c->id;
	o->deadline = c->deadline;
	switch (c->state) {
	case PD_APPROVED:
		/* Approved in time, and run in time too: the sweep refuses
		 * an approved call not sent again before its deadline. */
		if (now <= c->deadline) {
			o->used = c;
			return PD_GO;
		}
		refuse_call(c, PD_EXPIRED, WR_DEFERRED_EXPIRED, JS_CORE, now,
			    "approved, not sent again by the deadline");
		o->pos = c->pos;
		memset(c, 0, sizeof *c);
		return say(o, WR_DEFERRED_EXPIRED, "deferred call refused: it "
			   "was approved but not sent again before its deadline");
	case PD_DENIED:
	case PD_EXPIRED: {
		unsigned r = c->state == PD_DENIED ? WR_OPERATOR_DENIED :
			     WR_DEFERRED_EXPIRED;

		o->pos = log_call(JV_BLOCKED, r, sock, c, now, c->state ==
				  PD_DENIED ? "refused, the operator denied it" :
				  "refused, no answer by the deadline");
		say(o, (int)r, "deferred call %llu refused: %s",
		    (unsigned long long)c->id, c->state == PD_DENIED ?
		    "the operator denied it" : "the operator did not answer "
		    "before its deadline");
		memset(c, 0, sizeof *c);
		return o->reason;
	}
	default:
		if (now > c->deadline) {
			refuse_call(c, PD_EXPIRED, WR_DEFERRED_EXPIRED, JS_CORE,
				    now, "no answer by the deadline");
			o->pos = c->pos;
			memset(c, 0, sizeof *c);
			return say(o, WR_DEFERRED_EXPIRED, "deferred call refused:"
				   " the operator did not answer before its "
				   "deadline");
		}
		o->pos = c->pos;
		return say(o, WR_DEFERRED, "deferred: call %llu still waits for "
			   "the operator", (unsigned long long)c->id);
	}
}

void
pd_used(struct pd_call *c)
{
	if (c != NULL)
		memset(c, 0, sizeof *c);
}

int
pd_ask(const struct wire_req *q, unsigned sock, uint64_t now, struct pd_out *o)
{
	uint8_t x[WARD_CTX_BYTES];

	memset(o, 0, sizeof *o);
	memset(x, 0, sizeof x);
	ward_put_be32(x, q->ask_deadline);
	ward_put_be64(x + 4, q->ask_not_after);
	if (sock != JS_ADMIN) {
		say(o, WR_ADMIN_ONLY, "marking a capability 'ask' is for the "
		    "operator, on the admin socket");
		o->pos = H.log(JV_BLOCKED, WR_ADMIN_ONLY, JK_ASK, sock, NULL, x,
			       q->block_id, now, 0, o->detail);
		return o->reason;
	}
	if (q->ask_not_after < now) {
		say(o, WARD_E_EXPIRED, "ask: the block has already expired");
		o->pos = H.log(JV_BLOCKED, WARD_E_EXPIRED, JK_ASK, sock, NULL, x,
			       q->block_id, now, 0, o->detail);
		return o->reason;
	}
	if (mark_add(q->block_id, q->ask_deadline, q->ask_not_after, now) != 0) {
		say(o, WR_STATE_FULL, "ask: 2048 capabilities are marked and "
		    "none has expired yet");
		o->pos = H.log(JV_BLOCKED, WR_STATE_FULL, JK_ASK, sock, NULL, x,
			       q->block_id, now, 0, o->detail);
		return o->reason;
	}
	o->pos = H.log(JV_ALLOWED, WARD_OK, JK_ASK, sock, NULL, x, q->block_id,
		       now, 0, "every call under this block asks the operator");
	return say(o, WARD_OK, "marked");
}

int
pd_answer(const struct wire_req *q, unsigned sock, uint64_t now,
	  struct pd_out *o)
{
	struct pd_call *c;

	memset(o, 0, sizeof *o);
	if (sock != JS_ADMIN) {
		say(o, WR_ADMIN_ONLY, "deferred calls are listed and answered "
		    "by the operator only, on the admin socket");
		o->pos = H.log(JV_BLOCKED, WR_ADMIN_ONLY, JK_DEFER, sock, NULL,
			       NULL, NULL, now, q->pending_id, o->detail);
		return o->reason;
	}
	if (q->answer == 0)
		return say(o, WARD_OK, "listed");
	c = by_id(q->pending_id);
	if (c == NULL || c->state != PD_WAITING) {
		say(o, WR_TARGET, "no call %llu waits for an answer%s",
		    (unsigned long long)q->pending_id, c == NULL ? "" :
		    c->state == PD_APPROVED ? " (it was approved)" :
		    c->state == PD_DENIED ? " (it was denied)" :
		    " (its deadline passed)");
		o->pos = H.log(JV_BLOCKED, WR_TARGET, JK_DEFER, sock, NULL, NULL,
			       NULL, now, q->pending_id, o->detail);
		return o->reason;
	}
	o->id = c->id;
	o->deadline = c->deadline;
	if (now > c->deadline) {
		refuse_call(c, PD_EXPIRED, WR_DEFERRED_EXPIRED, JS_CORE, now,
			    "no answer by the deadline");
		o->pos = c->pos;
		return say(o, WR_DEFERRED_EXPIRED, "call %llu: its deadline "
			   "passed before the answer came; it is refused",
			   (unsigned long long)c->id);
	}
	if (q->answer == 2) {
		refuse_call(c, PD_DENIED, WR_OPERATOR_DENIED, sock, now,
			    "denied by the operator");
		o->pos = c->pos;
		return say(o, WARD_OK, "call %llu denied",
			   (unsigned long long)c->id);
	}
	c->state = PD_APPROVED;
	c->pos = log_call(JV_ALLOWED, WARD_OK, sock, c, now,
			  "approved by the operator");
	o->pos = c->pos;
	return say(o, WARD_OK, "call %llu approved: it runs when the broker "
		   "sends it again", (unsigned long long)c->id);
}

unsigned
pd_sweep(uint64_t now)
{
	unsigned n = 0;
	uint32_t i;

	for (i = 0; i < PD_N; i++) {
		struct pd_call *c = &calls[i];

		if (c->state == PD_FREE)
			continue;
		if (c->state == PD_DENIED || c->state == PD_EXPIRED) {
			if (now > c->gone)
				memset(c, 0, sizeof *c);
			continue;
		}
		if (H.session(c->ctx) == NULL) {
			/* Closed or revoked: no call of it can run. */
			log_call(JV_BLOCKED, WR_CONTEXT_CLOSED, JS_CORE, c, now,
				 "dropped, its context is closed");
			memset(c, 0, sizeof *c);
			n++;
		} else if (now > c->deadline) {
			refuse_call(c, PD_EXPIRED, WR_DEFERRED_EXPIRED, JS_CORE,
				    now, "no answer by the deadline");
			n++;
		}
	}
	return n;
}

void
pd_replay(const uint8_t *p, size_t len, uint64_t now)
{
	if (len < JR_EV_TEXT || p[0] != JR_EVENT)
		return;
	if (p[JR_EV_KIND] == JK_ASK && p[JR_EV_VERDICT] == JV_ALLOWED) {
		uint64_t na = ward_get_be64(p + JR_EV_ASK_NOT_AFTER);

		if (na >= now && mark_add(p + JR_EV_ID, ward_get_be32(p +
				JR_EV_ASK_DEADLINE), na, now) != 0)
			fprintf(stderr, "ward-core: the table of 'ask' marks is "
				"full at start; a marked block is dropped\n");
		return;
	}
	if (p[JR_EV_KIND] != JK_DEFER)
		return;
	if (ward_get_be64(p + JR_EV_PD_ID) > last_id)
		last_id = ward_get_be64(p + JR_EV_PD_ID);
	/* A refused call's nonce stays spent. */
	if (p[JR_EV_VERDICT] == JV_BLOCKED &&
	    (p[JR_EV_REASON] == WR_OPERATOR_DENIED ||
	     p[JR_EV_REASON] == WR_DEFERRED_EXPIRED))
		H.nonce_spend(p + JR_EV_CTX, ward_get_be64(p + JR_EV_NONCE));
}
