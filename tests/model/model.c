/*
 * model.c -- the reference model of the approval decision.  What it is and
 * the order of its refusals: model.h.
 *
 * Plain, slow and unbounded on purpose: lists searched from the start,
 * integers compared as unsigned __int128 where a sum could wrap, no
 * buckets (a bucket's capacity is a count of the ids with that home).
 * Allocation failure aborts: this is a test.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "crypto.h"
#include "model.h"

typedef unsigned __int128 u128;

static const uint8_t TAG_BLOCKID[16] = "ward.v1.blockid";	/* + NUL */
static const uint8_t TAG_BLOCKSIG[16] = "ward.v1.blocksig";
static const uint8_t TAG_APPROVAL[16] = "ward.v1.approval";
static const uint8_t TAG_AUDITLNK[16] = "ward.v1.auditlnk";

static void *
grow(void *p, size_t *cap, size_t n, size_t size)
{
	if (n < *cap)
		return p;
	*cap = *cap ? 2 * *cap : 16;
	p = realloc(p, *cap * size);
	if (p == NULL) {
		fprintf(stderr, "model: out of memory\n");
		abort();
	}
	return p;
}

/* The home bucket of an id: the keyed hash of crypto.h (bucket_of in
 * ward.h, reduced mod WARD_BUCKETS).  It is the one function the contracts
 * leave abstract, so the model calls the same one. */
uint32_t
model_home(const uint8_t *id)
{
	return ward_bucket(id);
}

/* ---- the tables ---------------------------------------------------------- */

int
model_init(struct model *m, const uint8_t *sk)
{
	if (sodium_init() < 0)
		return -1;
	memset(m, 0, sizeof *m);
	memcpy(m->sk, sk, WARD_SK_BYTES);
	return 0;
}

void
model_free(struct model *m)
{
	size_t i;

	for (i = 0; i < m->n_ctx; i++)
		free(m->ctx[i].nonce);
	free(m->ctx);
	free(m->ledger);
	free(m->revoked);
	free(m->memo);
	memset(m, 0, sizeof *m);
}

int
model_trust(struct model *m, const uint8_t *pk)
{
	if (m->n_trust >= WARD_AUTH_MAX)
		return -1;
	memcpy(m->trust[m->n_trust++], pk, WARD_KEY_BYTES);
	return 0;
}

static int
trusted(const struct model *m, const uint8_t *pk)
{
	uint32_t i;

	for (i = 0; i < m->n_trust; i++)
		if (memcmp(m->trust[i], pk, WARD_KEY_BYTES) == 0)
			return 1;
	return 0;
}

static struct model_context *
ctx_get(const struct model *m, const uint8_t *id)
{
	size_t i;

	for (i = 0; i < m->n_ctx; i++)
		if (memcmp(m->ctx[i].id, id, WARD_CTX_BYTES) == 0)
			return &m->ctx[i];
	return NULL;
}

const struct model_context *
model_context(const struct model *m, const uint8_t *id)
{
	return ctx_get(m, id);
}

/* context.h, ward_context_open: known first, then full; a new context
 * records its parent (none for a session). */
int
model_context_open(struct model *m, const uint8_t *id, const uint8_t *parent)
{
	struct model_context *c;

	if (ctx_get(m, id) != NULL)
		return WARD_E_CONTEXT_EXISTS;
	if (m->n_ctx >= WARD_CTX_MAX)
		return WARD_E_CONTEXT_FULL;
	m->ctx = grow(m->ctx, &m->cap_ctx, m->n_ctx, sizeof *m->ctx);
	c = &m->ctx[m->n_ctx++];
	memset(c, 0, sizeof *c);
	memcpy(c->id, id, WARD_CTX_BYTES);
	if (parent != NULL) {
		c->has_parent = 1;
		memcpy(c->parent, parent, WARD_CTX_BYTES);
	}
	return WARD_OK;
}

/* Closing drops the context and every nonce it saw. */
int
model_context_close(struct model *m, const uint8_t *id)
{
	struct model_context *c = ctx_get(m, id);
	size_t i;

	if (c == NULL)
		return WARD_E_CONTEXT_UNKNOWN;
	i = (size_t)(c - m->ctx);
	free(c->nonce);
	m->ctx[i] = m->ctx[m->n_ctx - 1];
	m->n_ctx--;
	return WARD_OK;
}

uint64_t
model_nonce_hi(const struct model_context *c)
{
	uint64_t hi = 0;
	size_t i;

	for (i = 0; i < c->n_nonce; i++)
		if (c->nonce[i] > hi)
			hi = c->nonce[i];
	return hi;
}

uint64_t
model_nonce_latest(const struct model_context *c, uint32_t k)
{
	uint64_t v = 0;
	size_t i;

	for (i = 0; i < c->n_nonce; i++)
		if (c->nonce[i] % WARD_NONCE_WINDOW == k && c->nonce[i] > v)
			v = c->nonce[i];
	return v;
}

static int
nonce_seen(const struct model_context *c, uint64_t n)
{
	size_t i;

	for (i = 0; i < c->n_nonce; i++)
		if (c->nonce[i] == n)
			return 1;
	return 0;
}

/* ward_nonce_check's behaviors: stale before replay. */
static int
nonce_check(const struct model_context *c, uint64_t n)
{
	if (n == 0 || (u128)n + WARD_NONCE_WINDOW <= model_nonce_hi(c))
		return WARD_E_NONCE_STALE;
	if (nonce_seen(c, n))
		return WARD_E_REPLAY;
	return WARD_OK;
}

static void
nonce_commit(struct model_context *c, uint64_t n)
{
	c->nonce = grow(c->nonce, &c->cap_nonce, c->n_nonce, sizeof *c->nonce);
	c->nonce[c->n_nonce++] = n;
}

int
model_is_revoked(const struct model *m, const uint8_t *id)
{
	size_t i;

	for (i = 0; i < m->n_revoked; i++)
		if (memcmp(m->revoked[i], id, WARD_ID_BYTES) == 0)
			return 1;
	/* revoke.h: a bucket a revocation found full counts as revoked
	 * whole (fail closed). */
	return m->poisoned[model_home(id)];
}

/* revoke.h: already revoked is fine; a full home bucket refuses. */
int
model_revoke(struct model *m, const uint8_t *id)
{
	size_t i, load = 0;

	if (model_is_revoked(m, id))
		return WARD_OK;
	for (i = 0; i < m->n_revoked; i++)
		if (model_home(m->revoked[i]) == model_home(id))
			load++;
	if (load >= WARD_REVOKE_WAYS) {
		m->poisoned[model_home(id)] = 1;
		return WARD_E_REVOKE_FULL;
	}
	m->revoked = grow(m->revoked, &m->cap_revoked, m->n_revoked,
			  sizeof *m->revoked);
	memcpy(m->revoked[m->n_revoked++], id, WARD_ID_BYTES);
	return WARD_OK;
}

static struct model_entry *
entry_get(const struct model *m, const uint8_t *id)
{
	size_t i;

	for (i = 0; i < m->n_ledger; i++)
		if (memcmp(m->ledger[i].id, id, WARD_ID_BYTES) == 0)
			return &m->ledger[i];
	return NULL;
}

const struct model_entry *
model_ledger_entry(const struct model *m, const uint8_t *id)
{
	return entry_get(m, id);
}

/* ledger.h, ward_ledger_find: the entry of id, or a new one with nothing
 * used or reserved; another max is malformed; a full home bucket refuses. */
int
model_ledger_register(struct model *m, const uint8_t *id, uint32_t max)
{
	struct model_entry *e = entry_get(m, id);
	size_t i, load = 0;

	if (e != NULL)
		return e->max == max ? WARD_OK : WARD_E_MALFORMED;
	for (i = 0; i < m->n_ledger; i++)
		if (model_home(m->ledger[i].id) == model_home(id))
			load++;
	if (load >= WARD_LEDGER_WAYS)
		return WARD_E_LEDGER_FULL;
	m->ledger = grow(m->ledger, &m->cap_ledger, m->n_ledger,
			 sizeof *m->ledger);
	e = &m->ledger[m->n_ledger++];
	memset(e, 0, sizeof *e);
	memcpy(e->id, id, WARD_ID_BYTES);
	e->max = max;
	return WARD_OK;
}

void
model_ledger_clean(struct model *m, const uint8_t *id)
{
	struct model_entry *e = entry_get(m, id);

	if (e != NULL)
		e->dirty = 0;
}

/* ---- the audit chain (audit.h) ---------------------------------------------- */

static int
audit_append(struct model *m, const uint8_t *rec, size_t len, uint64_t *pos)
{
	crypto_generichash_state st;

	if (m->audit_seq == UINT64_MAX)
		return WARD_E_EXHAUSTED;
	if (crypto_generichash_init(&st, NULL, 0, WARD_ID_BYTES) != 0 ||
	    crypto_generichash_update(&st, TAG_AUDITLNK, sizeof TAG_AUDITLNK) != 0 ||
	    crypto_generichash_update(&st, m->audit_head, WARD_ID_BYTES) != 0 ||
	    crypto_generichash_update(&st, rec, len) != 0 ||
	    crypto_generichash_final(&st, m->audit_head, WARD_ID_BYTES) != 0)
		return WARD_E_CRYPTO;
	*pos = m->audit_seq++;
	return WARD_OK;
}

/* ---- blocks: the wire table of codec.h ---------------------------------------- */

struct mblock {
	unsigned version, kind, r_invoke, r_read, r_write, r_delegate, depth;
	uint8_t parent[WARD_ID_BYTES];
	uint8_t issuer[WARD_KEY_BYTES];
	uint8_t holder[WARD_KEY_BYTES];
	uint8_t context[WARD_CTX_BYTES];
	uint64_t not_before, not_after;
	uint32_t max_uses;
	unsigned scope_len;
	uint8_t scope[WARD_SCOPE_MAX];
	uint8_t sig[WARD_SIG_BYTES];
	uint8_t id[WARD_ID_BYTES];
};

static uint64_t
be(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;
	unsigned i;

	for (i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

/* Decode one link, refusing in the order codec.h states (after the
 * link's own bound: a raw length past its buffer), and compute its id. */
static int
decode(const uint8_t *raw, uint32_t len, struct mblock *b)
{
	crypto_generichash_state st;
	uint64_t slen, nb, na;
	unsigned k;

	if (len > WARD_BLOCK_MAX)
		return WARD_E_OVERSIZE;
	if (len < 141 + 64)
		return WARD_E_MALFORMED;
	if (raw[0] != WARD_VERSION)
		return WARD_E_VERSION;
	if (raw[1] < 1 || raw[1] > WARD_KIND_LAST)
		return WARD_E_KIND;
	for (k = 2; k <= 5; k++)
		if (raw[k] > 1)
			return WARD_E_FLAGS;
	nb = be(raw + 119, 8);
	na = be(raw + 127, 8);
	slen = be(raw + 139, 2);
	if (raw[6] >= WARD_CHAIN_MAX || slen == 0 || nb > na)
		return WARD_E_NONCANONICAL;
	if (slen > WARD_SCOPE_MAX)
		return WARD_E_OVERSIZE;
	if (len > 141 + slen + 64)
		return WARD_E_TRAILING;
	if (len < 141 + slen + 64)
		return WARD_E_MALFORMED;
	for (k = 0; k < slen; k++)
		if (raw[141 + k] < 0x21 || raw[141 + k] > 0x7e)
			return WARD_E_NONCANONICAL;
	memset(b, 0, sizeof *b);
	b->version = raw[0];
	b->kind = raw[1];
	b->r_invoke = raw[2];
	b->r_read = raw[3];
	b->r_write = raw[4];
	b->r_delegate = raw[5];
	b->depth = raw[6];
	memcpy(b->parent, raw + 7, 32);
	memcpy(b->issuer, raw + 39, 32);
	memcpy(b->holder, raw + 71, 32);
	memcpy(b->context, raw + 103, 16);
	b->not_before = nb;
	b->not_after = na;
	b->max_uses = (uint32_t)be(raw + 135, 4);
	b->scope_len = (unsigned)slen;
	memcpy(b->scope, raw + 141, slen);
	memcpy(b->sig, raw + 141 + slen, 64);
	/* The id: BLAKE2b-256 of the tag and the body (crypto.h). */
	if (crypto_generichash_init(&st, NULL, 0, WARD_ID_BYTES) != 0 ||
	    crypto_generichash_update(&st, TAG_BLOCKID, 16) != 0 ||
	    crypto_generichash_update(&st, raw, 141 + slen) != 0 ||
	    crypto_generichash_final(&st, b->id, WARD_ID_BYTES) != 0)
		return WARD_E_CRYPTO;
	return WARD_OK;
}

/* pk signed "ward.v1.blocksig" || id: a pure function of its inputs, so
 * remembered (linear search). */
static int
sig_ok(struct model *m, const uint8_t *sig, const uint8_t *id,
       const uint8_t *pk)
{
	uint8_t msg[16 + WARD_ID_BYTES];
	struct model_memo *e;
	size_t i;

	for (i = 0; i < m->n_memo; i++) {
		e = &m->memo[i];
		if (memcmp(e->sig, sig, 64) == 0 && memcmp(e->id, id, 32) == 0 &&
		    memcmp(e->pk, pk, 32) == 0)
			return e->ok;
	}
	memcpy(msg, TAG_BLOCKSIG, 16);
	memcpy(msg + 16, id, WARD_ID_BYTES);
	m->memo = grow(m->memo, &m->cap_memo, m->n_memo, sizeof *m->memo);
	e = &m->memo[m->n_memo++];
	memcpy(e->sig, sig, 64);
	memcpy(e->id, id, 32);
	memcpy(e->pk, pk, 32);
	e->ok = crypto_sign_verify_detached(sig, msg, sizeof msg, pk) == 0;
	return e->ok;
}

/* ---- scopes: the predicates of attenuate.h ------------------------------------ */

static int
sep_of(unsigned kind)
{
	switch (kind) {
	case WARD_KIND_FS:
	case WARD_KIND_MEM:
	case WARD_KIND_SECRET:
	case WARD_KIND_EXEC:
		return '/';
	case WARD_KIND_RESOURCE:
		return ':';
	case WARD_KIND_TOOL:
	case WARD_KIND_PROMPT:
		return '.';
	default:
		return 0;
	}
}

/* scope_within: p is "*", or c equals p, or c extends p by whole
 * components. */
static int
scope_within(unsigned kind, const uint8_t *c, size_t clen, const uint8_t *p,
	     size_t plen)
{
	int sep = sep_of(kind);

	if (plen == 1 && p[0] == '*')
		return 1;
	if (clen == plen && memcmp(c, p, plen) == 0)
		return 1;
	return sep != 0 && 0 < plen && plen < clen &&
	       memcmp(c, p, plen) == 0 &&
	       (p[plen - 1] == sep || c[plen] == sep);
}

/* scope_at: byte k, with a separator before and after the pattern. */
static int
scope_at(int sep, const uint8_t *s, size_t len, long k)
{
	return k >= 0 && (size_t)k < len ? s[k] : sep;
}

/* scope_printable: every byte printable ASCII other than the space. */
static int
scope_printable(const uint8_t *s, size_t len)
{
	size_t k;

	for (k = 0; k < len; k++)
		if (s[k] < 0x21 || s[k] > 0x7e)
			return 0;
	return 1;
}

/* scope_canonical: printable, and no empty (but a leading '/'), "." or
 * ".." component. */
static int
scope_canonical(unsigned kind, const uint8_t *s, size_t len)
{
	int sep = sep_of(kind);
	long j;

	if (!scope_printable(s, len))
		return 0;
	if (sep == 0)
		return 1;
	for (j = 0; (size_t)j < len; j++) {
		if (scope_at(sep, s, len, j - 1) != sep)
			continue;
		if (s[j] == sep && !(j == 0 && sep == '/'))
			return 0;
		if (s[j] == '.' && scope_at(sep, s, len, j + 1) == sep)
			return 0;
		if (s[j] == '.' && (size_t)j + 1 < len && s[j + 1] == '.' &&
		    scope_at(sep, s, len, j + 2) == sep)
			return 0;
	}
	return 1;
}

/* ---- a chain (chain.h, attenuate.h) ------------------------------------------- */

/* ward_attenuation_check: the first rule broken, in its behaviors' order. */
static int
attenuation(const struct mblock *c, const struct mblock *p)
{
	if (p->r_delegate != 1)
		return WARD_E_NO_DELEGATE;
	if (c->kind != p->kind)
		return WARD_E_KIND_CHANGED;
	if (c->r_invoke > p->r_invoke || c->r_read > p->r_read ||
	    c->r_write > p->r_write || c->r_delegate > p->r_delegate)
		return WARD_E_RIGHTS_WIDENED;
	if (!scope_within(c->kind, c->scope, c->scope_len, p->scope,
			  p->scope_len))
		return WARD_E_SCOPE_WIDENED;
	if (c->not_before < p->not_before || c->not_after > p->not_after)
		return WARD_E_WINDOW_WIDENED;
	if (c->max_uses > p->max_uses)
		return WARD_E_USES_WIDENED;
	if (c->depth >= p->depth)
		return WARD_E_DEPTH;
	return WARD_OK;
}

static int
all_zero(const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] != 0)
			return 0;
	return 1;
}

static int
chain_verify(struct model *m, const struct model_request *req,
	     struct mblock *b)
{
	uint32_t i, j;
	int r;

	if (req->n == 0)
		return WARD_E_CHAIN_EMPTY;
	if (req->n > WARD_CHAIN_MAX)
		return WARD_E_CHAIN_TOO_LONG;
	for (i = 0; i < req->n; i++) {
		r = decode(req->raw[i], req->raw_len[i], &b[i]);
		if (r != WARD_OK)
			return r;
	}
	for (i = 0; i < req->n; i++) {
		if (!scope_canonical(b[i].kind, b[i].scope, b[i].scope_len))
			return WARD_E_NONCANONICAL;
		if (!sig_ok(m, b[i].sig, b[i].id, b[i].issuer))
			return WARD_E_SIGNATURE;
		if (model_is_revoked(m, b[i].id))
			return WARD_E_REVOKED;
		if (req->now < b[i].not_before)
			return WARD_E_NOT_YET_VALID;
		if (req->now > b[i].not_after)
			return WARD_E_EXPIRED;
		if (i == 0) {
			if (!all_zero(b[0].parent, WARD_ID_BYTES))
				return WARD_E_ROOT_PARENT;
			if (!trusted(m, b[0].issuer))
				return WARD_E_UNTRUSTED_ROOT;
			continue;
		}
		if (memcmp(b[i].parent, b[i - 1].id, WARD_ID_BYTES) != 0)
			return WARD_E_PARENT_HASH;
		if (memcmp(b[i].issuer, b[i - 1].holder, WARD_KEY_BYTES) != 0)
			return WARD_E_ISSUER;
		r = attenuation(&b[i], &b[i - 1]);
		if (r != WARD_OK)
			return r;
		for (j = 0; j < i; j++)
			if (memcmp(b[j].id, b[i].id, WARD_ID_BYTES) == 0)
				return WARD_E_CYCLE;
	}
	return WARD_OK;
}

/* ---- the decision -------------------------------------------------------------- */

/* op_kind and op_granted of ward.h. */
static int
op_granted(const struct mblock *leaf, unsigned op)
{
	switch (op) {
	case WARD_OP_TOOL_INVOKE:
		return leaf->kind == WARD_KIND_TOOL && leaf->r_invoke == 1;
	case WARD_OP_FS_READ:
		return leaf->kind == WARD_KIND_FS && leaf->r_read == 1;
	case WARD_OP_FS_WRITE:
		return leaf->kind == WARD_KIND_FS && leaf->r_write == 1;
	case WARD_OP_NET_CONNECT:
		return leaf->kind == WARD_KIND_NET && leaf->r_invoke == 1;
	case WARD_OP_MEM_READ:
		return leaf->kind == WARD_KIND_MEM && leaf->r_read == 1;
	case WARD_OP_MEM_WRITE:
		return leaf->kind == WARD_KIND_MEM && leaf->r_write == 1;
	case WARD_OP_SECRET_USE:
		return leaf->kind == WARD_KIND_SECRET && leaf->r_read == 1;
	case WARD_OP_EXEC:
		return leaf->kind == WARD_KIND_EXEC && leaf->r_invoke == 1;
	case WARD_OP_RESOURCE_READ:
		return leaf->kind == WARD_KIND_RESOURCE && leaf->r_read == 1;
	case WARD_OP_PROMPT_GET:
		return leaf->kind == WARD_KIND_PROMPT && leaf->r_read == 1;
	default:
		return 0;
	}
}

static void
put(uint8_t *p, uint64_t v, unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
}

/* The record of a decision, at the offsets of approve.h. */
static void
record(struct model_outcome *out, const struct model_request *req,
       unsigned verdict, unsigned reason, const uint8_t *leaf, uint64_t seq,
       uint32_t used, uint32_t max)
{
	uint8_t *r = out->rec;

	memset(r, 0, sizeof out->rec);
	r[WARD_REC_OFF_TYPE] = WARD_REC_DECISION;
	r[WARD_REC_OFF_VERDICT] = (uint8_t)verdict;
	r[WARD_REC_OFF_REASON] = (uint8_t)reason;
	r[WARD_REC_OFF_OP] = req->op;
	memcpy(r + WARD_REC_OFF_CONTEXT, req->context, WARD_CTX_BYTES);
	if (leaf != NULL)
		memcpy(r + WARD_REC_OFF_LEAF, leaf, WARD_ID_BYTES);
	memcpy(r + WARD_REC_OFF_DIGEST, req->digest, WARD_ID_BYTES);
	put(r + WARD_REC_OFF_NONCE, req->nonce, 8);
	put(r + WARD_REC_OFF_TIME, req->now, 8);
	put(r + WARD_REC_OFF_SEQ, seq, 8);
	put(r + WARD_REC_OFF_USED, used, 4);
	put(r + WARD_REC_OFF_MAX, max, 4);
	put(r + WARD_REC_OFF_RLEN, req->resource_len, 2);
	memcpy(r + WARD_REC_OFF_RES, req->resource, req->resource_len);
	out->rec_len = (uint16_t)(WARD_REC_OFF_RES + req->resource_len);
}

static int
refuse(struct model *m, struct model_outcome *out,
       const struct model_request *req, int reason, const uint8_t *leaf)
{
	record(out, req, WARD_VERDICT_BLOCKED, (unsigned)reason, leaf, 0, 0, 0);
	if (audit_append(m, out->rec, out->rec_len, &out->audit_pos) != WARD_OK)
		out->audit_pos = UINT64_MAX;
	return out->reason = reason;
}

int
model_scope_allows(unsigned kind, const uint8_t *res, size_t len,
		   const uint8_t *scope, size_t slen)
{
	return scope_canonical(kind, res, len) &&
	       scope_within(kind, res, len, scope, slen);
}

/* link_lineage of context.h: block i (0 < i) is bound to the context of
 * block i - 1, or to a context open in the table that records block
 * i - 1's context as the one it was spawned from. */
static int
link_lineage(const struct model *m, const struct mblock *b, uint32_t i)
{
	size_t k;

	if (memcmp(b[i - 1].context, b[i].context, WARD_CTX_BYTES) == 0)
		return 1;
	for (k = 0; k < m->n_ctx; k++)
		if (memcmp(m->ctx[k].id, b[i].context, WARD_CTX_BYTES) == 0 &&
		    m->ctx[k].has_parent &&
		    memcmp(m->ctx[k].parent, b[i - 1].context,
			   WARD_CTX_BYTES) == 0)
			return 1;
	return 0;
}

/* chain_lineage of context.h: the leaf is bound to ctx, and every link
 * keeps link_lineage. */
static int
chain_lineage(const struct model *m, const struct mblock *b, uint32_t n,
	      const uint8_t *ctx)
{
	uint32_t i;

	if (n < 1 || n > WARD_CHAIN_MAX)
		return 0;
	if (memcmp(b[n - 1].context, ctx, WARD_CTX_BYTES) != 0)
		return 0;
	for (i = 1; i < n; i++)
		if (!link_lineage(m, b, i))
			return 0;
	return 1;
}

/* Steps 1 to 8 of model.h: everything that refuses without a write. */
static int
check(struct model *m, const struct model_request *req, struct mblock *b,
      int *verified)
{
	const struct model_context *ctx;
	const struct mblock *leaf;
	int r;

	*verified = 0;
	if (req->op < 1 || req->op > WARD_OP_LAST)
		return WARD_E_OP;
	ctx = ctx_get(m, req->context);
	if (ctx == NULL)
		return WARD_E_CONTEXT_UNKNOWN;
	r = chain_verify(m, req, b);
	if (r != WARD_OK)
		return r;
	*verified = 1;
	leaf = &b[req->n - 1];
	if (!chain_lineage(m, b, req->n, req->context))
		return WARD_E_CONTEXT;
	if (!op_granted(leaf, req->op))
		return WARD_E_NOT_GRANTED;
	if (!scope_canonical(leaf->kind, req->resource, req->resource_len) ||
	    !scope_within(leaf->kind, req->resource, req->resource_len,
			  leaf->scope, leaf->scope_len))
		return WARD_E_OUT_OF_SCOPE;
	r = nonce_check(ctx, req->nonce);
	if (r != WARD_OK)
		return r;
	if (m->approval_seq == UINT64_MAX || m->audit_seq == UINT64_MAX)
		return WARD_E_EXHAUSTED;
	return WARD_OK;
}

/* Step 9: one use of every block of the chain, or none.  Each block's
 * entry is registered as it is reached (so an earlier block's new entry
 * takes a way of its bucket before a later block's is looked for); a
 * refusal then takes back every entry this spend registered, and the
 * ledger is as the request found it (approve.h, refused_uses). */
static int
spend(struct model *m, const struct mblock *b, uint32_t n)
{
	struct model_entry *e;
	size_t before = m->n_ledger;
	uint32_t i;
	int r = WARD_OK;

	/* New entries are appended, so those of this spend are the ones at
	 * before and after. */
	for (i = 0; i < n && r == WARD_OK; i++)
		r = model_ledger_register(m, b[i].id, b[i].max_uses);
	for (i = 0; i < n && r == WARD_OK; i++) {
		e = entry_get(m, b[i].id);
		if ((uint64_t)e->used + 1 > e->max)
			r = WARD_E_USES_EXHAUSTED;
	}
	if (r != WARD_OK) {
		m->n_ledger = before;
		return r;
	}
	for (i = 0; i < n; i++) {
		e = entry_get(m, b[i].id);
		if ((uint64_t)e->used + 1 > e->reserved) {
			uint64_t want = (uint64_t)e->used + WARD_RESERVE_STEP;

			e->reserved = want < e->max ? (uint32_t)want : e->max;
			e->dirty = 1;
		}
		e->used++;
	}
	return WARD_OK;
}

int
model_approve(struct model *m, const struct model_request *req,
	      struct model_outcome *out)
{
	struct mblock b[WARD_CHAIN_MAX];
	const struct model_entry *le;
	const uint8_t *leaf;
	uint8_t buf[16 + WARD_APR_MAX];
	uint8_t *g = out->msg;
	u128 expiry;
	uint32_t i;
	int r, verified;

	memset(out, 0, sizeof *out);
	out->audit_pos = UINT64_MAX;
	if (req->resource_len < 1 || req->resource_len > WARD_SCOPE_MAX)
		return out->reason = WARD_E_OVERSIZE;
	r = check(m, req, b, &verified);
	leaf = verified ? b[req->n - 1].id : NULL;
	if (r != WARD_OK)
		return refuse(m, out, req, r, leaf);
	r = spend(m, b, req->n);
	if (r != WARD_OK)
		return refuse(m, out, req, r, leaf);
	nonce_commit(ctx_get(m, req->context), req->nonce);

	le = entry_get(m, leaf);
	record(out, req, WARD_VERDICT_ALLOWED, WARD_OK, leaf,
	       m->approval_seq + 1, le->used, le->max);
	for (i = 0; i < req->n; i++)
		if (entry_get(m, b[i].id)->dirty)
			memcpy(out->dirty[out->n_dirty++], b[i].id, WARD_ID_BYTES);
	r = audit_append(m, out->rec, out->rec_len, &out->audit_pos);
	if (r != WARD_OK) {
		out->audit_pos = UINT64_MAX;
		return out->reason = r;
	}

	/* The approval: valid for WARD_APPROVAL_TTL, never past the leaf. */
	expiry = (u128)req->now + WARD_APPROVAL_TTL;
	if (expiry > b[req->n - 1].not_after)
		expiry = b[req->n - 1].not_after;
	memset(out->msg, 0, sizeof out->msg);
	put(g + WARD_APR_OFF_SEQ, m->approval_seq + 1, 8);
	memcpy(g + WARD_APR_OFF_CONTEXT, req->context, WARD_CTX_BYTES);
	memcpy(g + WARD_APR_OFF_LEAF, leaf, WARD_ID_BYTES);
	g[WARD_APR_OFF_OP] = req->op;
	memcpy(g + WARD_APR_OFF_DIGEST, req->digest, WARD_ID_BYTES);
	put(g + WARD_APR_OFF_NONCE, req->nonce, 8);
	put(g + WARD_APR_OFF_ISSUED, req->now, 8);
	put(g + WARD_APR_OFF_EXPIRY, (uint64_t)expiry, 8);
	put(g + WARD_APR_OFF_AUDIT, out->audit_pos, 8);
	put(g + WARD_APR_OFF_RLEN, req->resource_len, 2);
	memcpy(g + WARD_APR_OFF_RES, req->resource, req->resource_len);
	out->msg_len = (uint16_t)(WARD_APR_OFF_RES + req->resource_len);
	memcpy(buf, TAG_APPROVAL, 16);
	memcpy(buf + 16, out->msg, out->msg_len);
	if (crypto_sign_detached(out->sig, NULL, buf, 16u + out->msg_len,
				 m->sk) != 0) {
		out->msg_len = 0;
		return out->reason = WARD_E_CRYPTO;
	}
	m->approval_seq++;
	return out->reason = WARD_OK;
}
