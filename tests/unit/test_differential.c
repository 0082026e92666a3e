/*
 * test_differential.c -- ward_approve against the reference model of the
 * decision (tests/model), on randomly generated worlds.
 *
 * A world is a fresh core and a fresh model given the same trust set, the
 * same open contexts and a pool of capability chains (shared roots, every
 * depth, honest delegations and ones that break each rule of chain.h and
 * attenuate.h).  The contexts form a spawn tree: each is a session or
 * spawned from an earlier one, and is mostly opened with that parent
 * recorded (sometimes as a session, or spawned from another).  A child
 * block is mostly bound to its parent block's context, often to one
 * spawned from it (so chains run down spawn paths and keep the lineage
 * rule of context.h), and in dishonest chains to a context that breaks
 * it: any of the world's, the parent's parent, a grandchild, or one never
 * opened.  Then a few hundred operations run on both: approval
 * requests (with spliced, truncated, re-ordered and corrupted chains,
 * every operation, resources in and out of scope, nonces fresh, replayed
 * and stale, clocks inside and outside every window), revocations,
 * contexts opened and closed, the dirty ledger entries cleaned (or not).
 * Some worlds crowd a table: a ledger or revocation bucket filled with
 * other ids of the same home() (ward.h), every context slot taken, the
 * approval or audit sequence number at its end.
 *
 * After every operation the two must agree on the result; after every
 * approval request also on the audit position, the record's bytes, the
 * approval's bytes and signature, the dirty entries, the approval and
 * audit sequence numbers, the audit head, every ledger entry the model
 * holds (used, reserved, max, dirty) and the request's context (its
 * recorded parent, and the core's window against the model's set of
 * nonces; so after every open and close).  At the end of a
 * world every table is compared whole, both ways.
 *
 * Not generated, and why: a block signature that is not the one its
 * issuer made, on a block whose (id, issuer) the issuer did sign.  The
 * core's memo (crypto.c) may accept it, and ed25519_ok (crypto.h) allows
 * either answer; the model checks signature bytes.  Every bad signature
 * here is on an id its issuer never signed in that world.  WARD_E_CYCLE
 * needs a hash collision, WARD_E_CRYPTO a libsodium failure.
 *
 * Environment: WARD_DIFF_CASES (approval requests, default 100000),
 * WARD_DIFF_SEED (default below), WARD_DIFF_FROM (first world, to replay
 * the world a failure names).  'make fuzz' runs 10 million.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <time.h>

#include "capfix.h"
#include "approve.h"
#include "model.h"

#define DEFAULT_SEED 0x7761726444696666ull	/* "wardDiff" */
#define T0 1500000u			/* the middle of most windows */
#define POOL_MAX 160u
#define CHAINS_MAX 12u
#define WCTX 6u				/* contexts a world's blocks name */

#define K_CORE CAPFIX_CORE
#define K_STRANGER CAPFIX_STRANGER

static struct capfix_key keys[CAPFIX_NKEYS];

static struct ward_core core;		/* large: not on the stack */
static struct ward_audit alog;
static struct ward_request creq;
static struct ward_decision cdec;
static struct model mdl;
static struct model_outcome mout;
static const uint8_t ZERO[WARD_ID_BYTES];

static uint64_t seed;
static uint64_t world;			/* current world */
static uint64_t op_no;			/* operation within the world */
static uint64_t cases;			/* approval requests so far */
static uint64_t world_cases;		/* ... before this world */

/* ---- histograms ---------------------------------------------------------------- */

static uint64_t h_approve[WARD_REASON_LAST + 1];
static uint64_t h_revoke[WARD_REASON_LAST + 1];
static uint64_t h_open[WARD_REASON_LAST + 1];
static uint64_t h_close[WARD_REASON_LAST + 1];
static uint64_t h_register[WARD_REASON_LAST + 1];
static uint64_t h_spawn[WARD_REASON_LAST + 1];	/* opens with a parent */
static uint64_t n_worlds;
/* Reasons that name more than one case. */
static uint64_t h_ledger_malformed;	/* MALFORMED with a verified chain */
static uint64_t h_audit_full;	/* EXHAUSTED for a full audit chain */
static uint64_t h_unlogged;		/* a refusal the full audit chain lost */
static uint64_t h_dirty;		/* approvals that moved a reservation */
static uint64_t h_nonprint;		/* refused for a byte outside 0x21..0x7e alone */
/* The lineage rule (step 6), on chains that verified. */
static uint64_t h_lin_checked;		/* requests that reached it */
static uint64_t h_lin_pass_spawn;	/* kept it with a link that changes context */
static uint64_t h_lin_ok_spawn;		/* ... and were approved */
static uint64_t h_lin_ok_deep;		/* approved, two links or more change context */
static uint64_t h_lin_ok_top_closed;	/* approved, a block bound to a closed context */
static uint64_t h_lin_leaf;		/* CONTEXT: the leaf bound elsewhere */
static uint64_t h_lin_closed;		/* CONTEXT at a link to a context not open */
static uint64_t h_lin_session;		/* ... to an open context with no parent */
static uint64_t h_lin_session_zero;	/* ... from the context of zero bytes */
static uint64_t h_lin_other;		/* ... to one spawned from another */

static const char *const REASON[WARD_REASON_LAST + 1] = {
	"OK", "MALFORMED", "VERSION", "KIND", "FLAGS", "TRAILING", "OVERSIZE",
	"NONCANONICAL", "CHAIN_EMPTY", "CHAIN_TOO_LONG", "SIGNATURE",
	"PARENT_HASH", "ISSUER", "UNTRUSTED_ROOT", "ROOT_PARENT",
	"RIGHTS_WIDENED", "SCOPE_WIDENED", "WINDOW_WIDENED", "USES_WIDENED",
	"DEPTH", "NO_DELEGATE", "KIND_CHANGED", "REVOKED", "NOT_YET_VALID",
	"EXPIRED", "CONTEXT", "CONTEXT_UNKNOWN", "OP", "NOT_GRANTED",
	"OUT_OF_SCOPE", "REPLAY", "NONCE_STALE", "USES_EXHAUSTED",
	"LEDGER_FULL", "REVOKE_FULL", "CONTEXT_FULL", "CYCLE", "EXHAUSTED",
	"CRYPTO", "CONTEXT_EXISTS"
};

static const char *
rname(int r)
{
	return r >= 0 && r <= WARD_REASON_LAST ? REASON[r] : "?";
}

/* ---- randomness: xoshiro256**, seeded per world ------------------------------- */

static uint64_t rs[4];

static uint64_t
splitmix(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static void
rng_seed(uint64_t s, uint64_t w)
{
	uint64_t x = s ^ (w * 0xd1342543de82ef95ull);
	unsigned i;

	for (i = 0; i < 4; i++)
		rs[i] = splitmix(&x);
}

static uint64_t
rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static uint64_t
rnd(void)
{
	uint64_t r = rotl(rs[1] * 5, 7) * 9, t = rs[1] << 17;

	rs[2] ^= rs[0];
	rs[3] ^= rs[1];
	rs[1] ^= rs[2];
	rs[0] ^= rs[3];
	rs[2] ^= t;
	rs[3] = rotl(rs[3], 45);
	return r;
}

/* 0 .. n - 1; n == 0 means the whole range. */
static uint64_t
below(uint64_t n)
{
	return n == 0 ? rnd() : rnd() % n;
}

/* True pm times in a thousand. */
static int
pm(unsigned per_mille)
{
	return below(1000) < per_mille;
}

static void
rbytes(uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)rnd();
}

/* ---- failure ------------------------------------------------------------------- */

static void diverged(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void
diverged(const char *fmt, ...)
{
	va_list ap;

	printf("FAIL differential_ward_approve_matches_model: world %" PRIu64
	       ", operation %" PRIu64 " (approval request %" PRIu64 "): ",
	       world, op_no, cases);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n  replay: WARD_DIFF_SEED=0x%016" PRIx64 " WARD_DIFF_FROM=%" PRIu64
	       " WARD_DIFF_CASES=%" PRIu64 " %s\n", seed, world,
	       cases - world_cases + 1, "build/tests/test_differential");
	fflush(stdout);
	exit(1);
}

/* ---- the issuing side: blocks, encoded by hand from codec.h's table ------------- */

struct pblock {
	struct ward_block b;		/* as issued */
	uint8_t raw[WARD_BLOCK_MAX];
	uint32_t raw_len;
	uint8_t id[WARD_ID_BYTES];
	int good_sig;			/* signed by the key its issuer names */
};

struct pchain {
	uint32_t n;
	uint32_t blk[WARD_CHAIN_MAX];	/* pool indices, root first */
};

static struct pblock pool[POOL_MAX];
static uint32_t n_pool;
static struct pchain chains[CHAINS_MAX];
static uint32_t n_chains;
static uint8_t wctx[WCTX][WARD_CTX_BYTES];
/* The spawn tree of a world: wctx[k] is spawned from wctx[wpar[k]], or is
 * a session if wpar[k] < 0.  Opening wctx[k] mostly records that parent
 * (wopen), sometimes none or another. */
static int wpar[WCTX];

/* The index of ctx among the world's contexts, or -1. */
static int
wctx_index(const uint8_t *ctx)
{
	unsigned k;

	for (k = 0; k < WCTX; k++)
		if (memcmp(wctx[k], ctx, WARD_CTX_BYTES) == 0)
			return (int)k;
	return -1;
}

/* Half the chains are issued honestly (a trusted root, every delegation
 * legitimate), half the requests are clean (the chain as issued, an
 * operation and a resource its leaf grants, a fresh nonce, a time inside
 * the leaf's window): without them, one failure in ten at each of a
 * dozen steps would leave few approvals to compare. */
static int honest;

static void
put_be(uint8_t *p, uint64_t v, unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
}

/* The wire body of b into raw (zero-filled to WARD_BLOCK_MAX), without
 * the signature; returns the body length. */
static uint32_t
encode_body(const struct ward_block *b, uint8_t *raw)
{
	memset(raw, 0, WARD_BLOCK_MAX);
	raw[0] = b->version;
	raw[1] = b->kind;
	raw[2] = b->r_invoke;
	raw[3] = b->r_read;
	raw[4] = b->r_write;
	raw[5] = b->r_delegate;
	raw[6] = b->depth;
	memcpy(raw + 7, b->parent, 32);
	memcpy(raw + 39, b->issuer, 32);
	memcpy(raw + 71, b->holder, 32);
	memcpy(raw + 103, b->context, 16);
	put_be(raw + 119, b->not_before, 8);
	put_be(raw + 127, b->not_after, 8);
	put_be(raw + 135, b->max_uses, 4);
	put_be(raw + 139, b->scope_len, 2);
	memcpy(raw + 141, b->scope, b->scope_len);
	return 141u + b->scope_len;
}

static int
key_of(const uint8_t *pk)
{
	unsigned i;

	for (i = 0; i < CAPFIX_NKEYS; i++)
		if (memcmp(keys[i].pk, pk, WARD_KEY_BYTES) == 0)
			return (int)i;
	return -1;
}

/*
 * Seal b signed by key signer (-1: random signature bytes) and put it in
 * the pool.  A block already there is shared; the index, or -1 if the
 * pool is full or the same id is there with the other kind of signature
 * (the one case the memo of crypto.c may answer either way).
 */
static int
pool_add(const struct ward_block *b, int signer)
{
	struct pblock *p;
	uint32_t body, k;
	int good;

	if (n_pool >= POOL_MAX)
		return -1;
	p = &pool[n_pool];
	p->b = *b;
	body = encode_body(b, p->raw);
	if (ward_block_id(p->id, p->raw, body) != 0)
		capfix_die("ward_block_id");
	good = signer >= 0 &&
	       memcmp(keys[signer].pk, b->issuer, WARD_KEY_BYTES) == 0;
	if (signer >= 0) {
		if (ward_block_sign(p->b.sig, p->id, keys[signer].sk) != 0)
			capfix_die("ward_block_sign");
	} else {
		rbytes(p->b.sig, WARD_SIG_BYTES);
	}
	memcpy(p->raw + body, p->b.sig, WARD_SIG_BYTES);
	p->raw_len = body + WARD_SIG_BYTES;
	p->good_sig = good;
	for (k = 0; k < n_pool; k++)
		if (memcmp(pool[k].id, p->id, WARD_ID_BYTES) == 0) {
			if (pool[k].good_sig == good && good)
				return (int)k;
			return -1;
		}
	return (int)n_pool++;
}

/* ---- scopes -------------------------------------------------------------------- */

static int
sep_of(unsigned kind)
{
	if (kind == WARD_KIND_TOOL || kind == WARD_KIND_PROMPT)
		return '.';
	if (kind == WARD_KIND_RESOURCE)
		return ':';
	if (kind == WARD_KIND_NET)
		return 0;
	return '/';
}

static const char *const COMP_PATH[] = {
	"work", "a", "b", "ab", "tmp", "etc", "workshop", "x.y", "home", "u1"
};
static const char *const COMP_TOOL[] = {
	"fs", "read", "write", "llm", "complete", "mcp", "git", "x-y"
};
/* Resources are "SERVER:URI": '/' and '.' are inside components. */
static const char *const COMP_RES[] = {
	"fx", "srv", "ui", "test", "//static/resource/1", "///tmp/a", "//x/y.z",
	"file", "a.b", "//h:8080/p"
};
static const char *const NETS[] = {
	"example.com:443", "example.com:4430", "10.0.0.1:443", "127.0.0.1:80",
	"a.b:1", "*"
};
#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

struct str {
	uint16_t len;
	uint8_t s[WARD_SCOPE_MAX];
};

static void
str_add(struct str *x, const char *t)
{
	size_t n = strlen(t);

	if (x->len + n > WARD_SCOPE_MAX)
		n = WARD_SCOPE_MAX - x->len;
	memcpy(x->s + x->len, t, n);
	x->len = (uint16_t)(x->len + n);
}

static void
str_byte(struct str *x, uint8_t c)
{
	if (x->len < WARD_SCOPE_MAX)
		x->s[x->len++] = c;
}

static const char *
comp(unsigned kind)
{
	if (kind == WARD_KIND_TOOL || kind == WARD_KIND_PROMPT)
		return COMP_TOOL[below(NELEM(COMP_TOOL))];
	if (kind == WARD_KIND_RESOURCE)
		return COMP_RES[below(NELEM(COMP_RES))];
	return COMP_PATH[below(NELEM(COMP_PATH))];
}

/* A pattern of this kind, canonical. */
static void
gen_pattern(unsigned kind, struct str *x)
{
	unsigned i, n;
	int sep = sep_of(kind);

	x->len = 0;
	if (pm(70)) {
		str_add(x, "*");
		return;
	}
	if (sep == 0) {
		str_add(x, NETS[below(NELEM(NETS))]);
		return;
	}
	if (sep == '/' && pm(kind == WARD_KIND_FS || kind == WARD_KIND_EXEC ? 900 : 300))
		str_byte(x, '/');
	n = 1 + (unsigned)below(3);
	for (i = 0; i < n; i++) {
		if (i > 0)
			str_byte(x, (uint8_t)sep);
		str_add(x, comp(kind));
	}
	if (pm(100))
		str_byte(x, (uint8_t)sep);
}

/* A pattern within p: p itself, or p and more components. */
static void
narrow(unsigned kind, const struct str *p, struct str *x)
{
	int sep = sep_of(kind);

	if (p->len == 1 && p->s[0] == '*') {
		if (pm(200))
			*x = *p;
		else
			gen_pattern(kind, x);
		return;
	}
	*x = *p;
	if (sep == 0 || pm(400))
		return;
	if (x->s[x->len - 1] != sep)
		str_byte(x, (uint8_t)sep);
	str_add(x, comp(kind));
}

/* Make a pattern not canonical: an empty, "." or ".." component. */
static void
spoil(unsigned kind, struct str *x)
{
	static const char *const BAD[] = { "..", ".", "" };
	int sep = sep_of(kind);

	if (sep == 0)
		return;
	if (x->len > 0 && x->s[x->len - 1] != sep)
		str_byte(x, (uint8_t)sep);
	str_add(x, BAD[below(NELEM(BAD))]);
	if (pm(700)) {
		str_byte(x, (uint8_t)sep);
		str_add(x, comp(kind));
	}
	if (x->len == 0)
		str_byte(x, (uint8_t)sep);
}

static void
set_scope(struct ward_block *b, const struct str *x)
{
	memset(b->scope, 0, sizeof b->scope);
	memcpy(b->scope, x->s, x->len);
	b->scope_len = x->len;
}

static void
get_scope(const struct ward_block *b, struct str *x)
{
	x->len = b->scope_len;
	memcpy(x->s, b->scope, b->scope_len);
}

/* ---- blocks -------------------------------------------------------------------- */

static uint32_t
gen_uses(void)
{
	static const uint32_t U[] = {
		0, 1, 2, 3, 5, 8, 20, 64, 65, 130, 1000, UINT32_MAX
	};

	return U[below(NELEM(U))];
}

static void
gen_window(struct ward_block *b)
{
	unsigned r = (unsigned)below(100);

	if (r < 65) {
		b->not_before = T0 - below(3000);
		b->not_after = T0 + below(3000);
	} else if (r < 75) {
		b->not_before = 0;
		b->not_after = UINT64_MAX;
	} else if (r < 85) {
		b->not_before = T0 + 1 + below(5000);
		b->not_after = b->not_before + below(5000);
	} else if (r < 92) {
		b->not_after = T0 - 1 - below(5000);
		b->not_before = b->not_after - below(5000);
	} else {
		b->not_after = UINT64_MAX - below(50);
		b->not_before = b->not_after - below(100);
	}
}

static void
gen_root(struct ward_block *b)
{
	static const unsigned ISSUER[] = {
		1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 3, K_STRANGER
	};
	struct str x;

	memset(b, 0, sizeof *b);
	b->version = WARD_VERSION;
	b->kind = (uint8_t)(1 + below(WARD_KIND_LAST));
	b->r_invoke = (uint8_t)pm(900);
	b->r_read = (uint8_t)pm(900);
	b->r_write = (uint8_t)pm(850);
	b->r_delegate = (uint8_t)pm(930);
	b->depth = (uint8_t)(pm(750) ? WARD_CHAIN_MAX - 1 : below(WARD_CHAIN_MAX));
	memcpy(b->issuer, keys[honest ? 1 : ISSUER[below(NELEM(ISSUER))]].pk,
	       WARD_KEY_BYTES);
	memcpy(b->holder, keys[2 + below(11)].pk, WARD_KEY_BYTES);
	memcpy(b->context, wctx[pm(600) ? 0 : below(WCTX)], WARD_CTX_BYTES);
	gen_window(b);
	b->max_uses = gen_uses();
	if (honest && b->max_uses < 20)
		b->max_uses = 20 + (uint32_t)below(200);
	gen_pattern(b->kind, &x);
	if (honest) {
		b->r_delegate = 1;
		b->depth = WARD_CHAIN_MAX - 1;
	}
	if (!honest && pm(30))
		spoil(b->kind, &x);
	set_scope(b, &x);
	if (!honest && pm(30))		/* a "root" that names a parent */
		rbytes(b->parent, WARD_ID_BYTES);
}

/* The context a child of p is bound to: mostly p's; often a context the
 * spawn tree has spawned from p's, a step down a spawn path (the lineage
 * rule of context.h holds if that context is open with its parent
 * recorded); and, off the honest path, one that breaks the rule whatever
 * the table holds or may: p's own parent (upward), a grandchild (a step
 * skipped), any context of the world, or one never opened. */
static void
child_context(const struct ward_block *p, uint8_t *ctx)
{
	int pi = wctx_index(p->context), gk[WCTX];
	uint32_t kids[WCTX], nk = 0, ng = 0, j;
	unsigned r = (unsigned)below(1000);

	memcpy(ctx, p->context, WARD_CTX_BYTES);
	for (j = 0; pi >= 0 && j < WCTX; j++)
		if (wpar[j] == pi)
			kids[nk++] = j;
	for (j = 0; pi >= 0 && j < WCTX; j++)
		if (wpar[j] >= 0 && wpar[wpar[j]] == pi)
			gk[ng++] = (int)j;
	if (r < 300) {
		if (nk > 0)
			memcpy(ctx, wctx[kids[below(nk)]], WARD_CTX_BYTES);
	} else if (honest || r >= 470) {
		/* the parent's context */
	} else if (r < 380) {
		memcpy(ctx, wctx[below(WCTX)], WARD_CTX_BYTES);
	} else if (r < 410) {
		if (pi >= 0 && wpar[pi] >= 0)
			memcpy(ctx, wctx[wpar[pi]], WARD_CTX_BYTES);
	} else if (r < 440) {
		if (ng > 0)
			memcpy(ctx, wctx[gk[below(ng)]], WARD_CTX_BYTES);
	} else if (r < 455) {
		rbytes(ctx, WARD_CTX_BYTES);
	}
}

/* A child of pool block pi: an honest delegation, then perhaps one broken
 * rule.  Returns the key to sign with (-1: random bytes). */
static int
gen_child(uint32_t pi, struct ward_block *c)
{
	const struct ward_block *p = &pool[pi].b;
	uint64_t span;
	struct str ps, x;
	int signer;

	*c = *p;
	memcpy(c->parent, pool[pi].id, WARD_ID_BYTES);
	memcpy(c->issuer, p->holder, WARD_KEY_BYTES);
	memcpy(c->holder, keys[2 + below(11)].pk, WARD_KEY_BYTES);
	c->r_invoke = (uint8_t)(p->r_invoke && pm(950));
	c->r_read = (uint8_t)(p->r_read && pm(950));
	c->r_write = (uint8_t)(p->r_write && pm(950));
	c->r_delegate = (uint8_t)(p->r_delegate && (honest || pm(850)));
	if (p->depth == 0)
		c->depth = 0;
	else if (honest)
		c->depth = (uint8_t)(p->depth - 1);
	else
		c->depth = (uint8_t)(p->depth - 1 - (pm(200) ? below(p->depth) : 0));
	child_context(p, c->context);
	span = p->not_after - p->not_before;
	if (pm(500))
		c->not_before = p->not_before + below(span < 1000 ? span + 1 : 1000);
	span = p->not_after - c->not_before;
	if (pm(500))
		c->not_after = p->not_after - below(span < 1000 ? span + 1 : 1000);
	c->max_uses = pm(honest ? 700 : 400) ? p->max_uses :
		      (uint32_t)below((uint64_t)p->max_uses + 1);
	get_scope(p, &ps);
	narrow(c->kind, &ps, &x);
	set_scope(c, &x);
	signer = key_of(c->issuer);

	if (honest || !pm(180))
		return signer;
	switch (below(11)) {
	case 0:				/* a right the parent lacks */
		if (!p->r_invoke)
			c->r_invoke = 1;
		else if (!p->r_read)
			c->r_read = 1;
		else if (!p->r_write)
			c->r_write = 1;
		else
			c->r_delegate = 1;
		break;
	case 1:
		c->kind = (uint8_t)(1 + (p->kind % WARD_KIND_LAST));
		break;
	case 2:				/* a scope beside or above the parent's */
		if (pm(300)) {
			gen_pattern(c->kind, &x);
		} else {
			get_scope(p, &x);
			str_add(&x, "x");
		}
		set_scope(c, &x);
		break;
	case 3:
		if (p->not_before > 100)
			c->not_before = p->not_before - 1 - below(100);
		else if (p->not_before > 0)
			c->not_before = p->not_before - 1;
		else if (p->not_after < UINT64_MAX)
			c->not_after = p->not_after + 1;
		if (c->not_before > c->not_after)
			c->not_after = c->not_before;
		break;
	case 4:
		if (p->max_uses < UINT32_MAX)
			c->max_uses = p->max_uses + 1;
		break;
	case 5:
		c->depth = (uint8_t)(p->depth + below(WARD_CHAIN_MAX - p->depth));
		break;
	case 6:
		rbytes(c->parent, WARD_ID_BYTES);
		if (pm(300))
			memset(c->parent, 0, WARD_ID_BYTES);
		break;
	case 7:				/* issued by someone else, who signs */
		memcpy(c->issuer, keys[1 + below(12)].pk, WARD_KEY_BYTES);
		signer = key_of(c->issuer);
		break;
	case 8:				/* signed by a key it does not name */
		signer = pm(500) ? -1 : (int)(1 + below(13));
		if (signer >= 0 && memcmp(keys[signer].pk, c->issuer, 32) == 0)
			signer = K_STRANGER;
		break;
	case 9:
		get_scope(c, &x);
		spoil(c->kind, &x);
		set_scope(c, &x);
		break;
	default:			/* delegated from a block that may not */
		break;
	}
	return signer;
}

/* A pool of chains: fresh roots, and prefixes of earlier chains grown
 * further (so siblings share ancestors and their use counts). */
static void
gen_pool(void)
{
	struct ward_block b;
	uint32_t c, target;
	int k;

	n_pool = 0;
	n_chains = 2 + (uint32_t)below(CHAINS_MAX - 1);
	for (c = 0; c < n_chains; c++) {
		struct pchain *ch = &chains[c];

		ch->n = 0;
		honest = pm(500);
		if (c > 0 && pm(450)) {
			const struct pchain *base = &chains[below(c)];

			ch->n = 1 + (uint32_t)below(base->n);
			memcpy(ch->blk, base->blk, ch->n * sizeof ch->blk[0]);
		} else {
			do {
				gen_root(&b);
				k = pool_add(&b, key_of(b.issuer));
			} while (k < 0 && n_pool < POOL_MAX);
			if (k < 0)
				capfix_die("pool full");
			ch->blk[ch->n++] = (uint32_t)k;
		}
		target = pm(500) ? 1 + (uint32_t)below(4) : 1 + (uint32_t)below(WARD_CHAIN_MAX);
		while (ch->n < target) {
			int signer = gen_child(ch->blk[ch->n - 1], &b);

			k = pool_add(&b, signer);
			if (k < 0)
				break;
			ch->blk[ch->n++] = (uint32_t)k;
		}
	}
}

/* ---- requests ------------------------------------------------------------------ */

static uint8_t lraw[WARD_CHAIN_MAX][WARD_BLOCK_MAX];
static uint32_t lraw_len[WARD_CHAIN_MAX];
static uint8_t resource[WARD_SCOPE_MAX];

/* A corruption that the decoder must refuse. */
static void
corrupt(uint32_t i)
{
	uint8_t *r = lraw[i];
	uint32_t slen = (uint32_t)r[139] << 8 | r[140];

	switch (below(11)) {
	case 0:
		r[0] = (uint8_t)(pm(500) ? 0 : 2 + below(254));
		break;
	case 1:
		r[1] = (uint8_t)(pm(500) ? 0 : WARD_KIND_LAST + 1 + below(249));
		break;
	case 2:
		r[2 + below(4)] = (uint8_t)(2 + below(254));
		break;
	case 3:
		r[6] = (uint8_t)(WARD_CHAIN_MAX + below(248));
		break;
	case 4:
		r[139] = r[140] = 0;
		break;
	case 5:
		put_be(r + 119, UINT64_MAX - below(3), 8);
		put_be(r + 127, below(T0), 8);
		break;
	case 6:
		put_be(r + 139, WARD_SCOPE_MAX + 1 + below(65535 - WARD_SCOPE_MAX), 2);
		break;
	case 7:
		if (lraw_len[i] < WARD_BLOCK_MAX) {
			lraw_len[i] += 1 + (uint32_t)below(WARD_BLOCK_MAX - lraw_len[i]);
			break;
		}
		/* fall through */
	case 8:
		lraw_len[i] -= 1 + (uint32_t)below(64);
		break;
	case 9:
		lraw_len[i] = (uint32_t)below(WARD_BLOCK_HDR + WARD_SIG_BYTES);
		break;
	default:
		if (slen >= 1 && slen <= WARD_SCOPE_MAX) {
			static const uint8_t BAD[] = { 0x00, 0x20, 0x7f, 0x80, 0xff, 0x0a };

			r[141 + below(slen)] = BAD[below(NELEM(BAD))];
		}
		break;
	}
}

/* The links of a request: chain c, perhaps spliced or corrupted.  Sets
 * *n (which may be 0 or past WARD_CHAIN_MAX). */
static void
gen_links(const struct pchain *c, uint32_t *n)
{
	uint32_t blk[WARD_CHAIN_MAX], i, j, t, m;

	m = c->n;
	memcpy(blk, c->blk, sizeof blk);
	if (pm(120) && m > 1)			/* an honest prefix */
		m = 1 + (uint32_t)below(m - 1);
	*n = m;
	t = honest ? 1000 : (uint32_t)below(1000);
	if (t < 15 && m >= 2) {			/* a link dropped */
		j = (uint32_t)below(m);
		for (i = j; i + 1 < m; i++)
			blk[i] = blk[i + 1];
		*n = --m;
	} else if (t < 27 && m >= 2) {		/* two links swapped */
		j = (uint32_t)below(m - 1);
		i = blk[j];
		blk[j] = blk[j + 1];
		blk[j + 1] = i;
	} else if (t < 42) {			/* a link from elsewhere */
		blk[below(m)] = (uint32_t)below(n_pool);
	} else if (t < 52 && m < WARD_CHAIN_MAX) {	/* a stranger appended */
		blk[m] = (uint32_t)below(n_pool);
		*n = ++m;
	}
	for (i = 0; i < m; i++) {
		memcpy(lraw[i], pool[blk[i]].raw, WARD_BLOCK_MAX);
		lraw_len[i] = pool[blk[i]].raw_len;
	}
	if (t >= 52 && t < 90)
		corrupt((uint32_t)below(m));
	else if (t >= 90 && t < 96)
		lraw_len[below(m)] = WARD_BLOCK_MAX + 1 + (uint32_t)below(2000);
	else if (t >= 96 && t < 104)
		*n = 0;
	else if (t >= 104 && t < 112)
		*n = pm(500) ? WARD_CHAIN_MAX + 1 + (uint32_t)below(3) : UINT32_MAX;
}

/* A resource, mostly near the leaf's scope. */
static uint16_t
gen_resource(const struct ward_block *leaf, unsigned kind)
{
	static const uint8_t WEIRD[] = { 0x00, 0x09, 0x0a, 0x0d, 0x1b, 0x20,
					 0x7f, 0x80, 0xff };
	struct str x;
	int sep = sep_of(kind);
	unsigned r = (unsigned)below(100);

	get_scope(leaf, &x);
	if (x.len == 1 && x.s[0] == '*' && r < 62)
		r = 50;
	if (r < 35) {
		struct str y;

		narrow(kind, &x, &y);
		if (pm(300))
			narrow(kind, &y, &x);
		else
			x = y;
	} else if (r < 50) {
		/* the scope itself */
	} else if (r < 62) {
		gen_pattern(pm(800) ? kind : 1 + (unsigned)below(WARD_KIND_LAST), &x);
	} else if (r < 67) {
		spoil(kind, &x);
	} else if (r < 72) {
		if (sep != 0)
			str_byte(&x, (uint8_t)sep);
		str_byte(&x, WEIRD[below(NELEM(WEIRD))]);
		if (pm(500))
			str_add(&x, "a");
	} else if (r < 77) {
		str_add(&x, "x");
	} else if (r < 80) {
		if (x.len > 1)
			x.len = (uint16_t)(1 + below(x.len - 1));
	} else if (r < 86) {
		if (pm(800))
			narrow(kind, &x, &x);
		else if (pm(500))
			return 0;
		else
			return (uint16_t)(WARD_SCOPE_MAX + 1 + below(65535 - WARD_SCOPE_MAX));
	} else if (r < 89) {
		if (sep != 0)
			str_byte(&x, (uint8_t)sep);
		while (x.len < WARD_SCOPE_MAX - below(2))
			str_byte(&x, 'a');
	} else if (r < 94) {
		x.len = 0;
		str_add(&x, "*");
	} else if (sep != 0) {
		str_byte(&x, (uint8_t)sep);
	}
	memcpy(resource, x.s, x.len);
	return x.len;
}

static uint8_t
gen_op(unsigned kind)
{
	static const uint8_t BY_KIND[WARD_KIND_LAST + 1][3] = {
		{ 0, 0, 0 },
		{ WARD_OP_TOOL_INVOKE, WARD_OP_TOOL_INVOKE, WARD_OP_TOOL_INVOKE },
		{ WARD_OP_FS_READ, WARD_OP_FS_WRITE, WARD_OP_FS_READ },
		{ WARD_OP_NET_CONNECT, WARD_OP_NET_CONNECT, WARD_OP_NET_CONNECT },
		{ WARD_OP_MEM_READ, WARD_OP_MEM_WRITE, WARD_OP_MEM_READ },
		{ WARD_OP_SECRET_USE, WARD_OP_SECRET_USE, WARD_OP_SECRET_USE },
		{ WARD_OP_EXEC, WARD_OP_EXEC, WARD_OP_EXEC },
		{ WARD_OP_RESOURCE_READ, WARD_OP_RESOURCE_READ, WARD_OP_TOOL_INVOKE },
		{ WARD_OP_PROMPT_GET, WARD_OP_PROMPT_GET, WARD_OP_RESOURCE_READ },
	};
	unsigned r = (unsigned)below(100);

	if (r < 88 && kind >= 1 && kind <= WARD_KIND_LAST)
		return BY_KIND[kind][below(3)];
	if (r < 98)
		return (uint8_t)(1 + below(WARD_OP_LAST));
	return (uint8_t)(pm(500) ? 0 : WARD_OP_LAST + 1 + below(255 - WARD_OP_LAST));
}

static uint64_t
gen_nonce(const uint8_t *ctx)
{
	const struct model_context *c = model_context(&mdl, ctx);
	uint64_t hi = c != NULL ? model_nonce_hi(c) : 0, n;
	unsigned r = (unsigned)below(100);

	if (r < 50) {
		n = hi + 1 + below(3);
		return n < hi ? UINT64_MAX : n;
	}
	if (r < 60)
		return hi - below(hi < 64 ? hi + 1 : 64);
	if (r < 70 && c != NULL && c->n_nonce > 0)
		return c->nonce[below(c->n_nonce)];
	if (r < 76)
		return hi >= 64 ? hi - 64 - below(hi - 64 < 100 ? hi - 64 + 1 : 100) : 0;
	if (r < 80)
		return hi >= 64 ? hi - 64 + below(2) : 1;
	if (r < 84)
		return 0;
	if (r < 90)
		return UINT64_MAX - below(70);
	return rnd();
}

static uint64_t
gen_now(const struct pchain *c, uint32_t m)
{
	const struct ward_block *b;
	uint64_t span;
	unsigned r = (unsigned)below(100);

	if (m == 0 || m > c->n)
		m = c->n;
	b = &pool[c->blk[pm(700) ? m - 1 : below(m)]].b;
	span = b->not_after - b->not_before;
	if (r < 70)
		return b->not_before + below(span == UINT64_MAX ? 0 : span + 1);
	if (r < 73)
		return b->not_before > 0 ? b->not_before - 1 : 0;
	if (r < 76)
		return b->not_before;
	if (r < 80)
		return b->not_after;
	if (r < 84)
		return b->not_after < UINT64_MAX ? b->not_after + 1 : UINT64_MAX;
	if (r < 88)
		return T0;
	if (r < 90)
		return 0;
	if (r < 92)
		return UINT64_MAX;
	if (r < 95)
		return UINT64_MAX - below(40);
	return b->not_after >= 40 ? b->not_after - below(40) : b->not_after;
}

/* ---- comparing ----------------------------------------------------------------- */

/* The resource for a failure message: printable ASCII as is, other bytes
 * as \xNN (untrusted bytes never reach a terminal raw). */
static void
printable(char *out, const uint8_t *p, size_t n)
{
	static const char d[] = "0123456789abcdef";
	size_t i;

	if (n > WARD_SCOPE_MAX)
		n = 0;
	for (i = 0; i < n; i++) {
		if (p[i] >= 0x20 && p[i] < 0x7f && p[i] != '\\' && p[i] != '"') {
			*out++ = (char)p[i];
			continue;
		}
		*out++ = '\\';
		*out++ = 'x';
		*out++ = d[p[i] >> 4];
		*out++ = d[p[i] & 15];
	}
	*out = '\0';
}

static void
hex(char *out, const uint8_t *p, size_t n)
{
	capfix_hex(out, p, n);
}

/* The core's live ledger entry of id, found in its home bucket only
 * (ledger.h: an entry never lives elsewhere), or NULL. */
static const struct ward_ledger_entry *
core_entry(const uint8_t *id)
{
	uint32_t h = model_home(id), k;

	for (k = h * WARD_LEDGER_WAYS; k < (h + 1) * WARD_LEDGER_WAYS; k++)
		if (core.ledger.e[k].live == 1 &&
		    memcmp(core.ledger.e[k].id, id, WARD_ID_BYTES) == 0)
			return &core.ledger.e[k];
	return NULL;
}

static void
compare_entry(const struct model_entry *me)
{
	const struct ward_ledger_entry *ce = core_entry(me->id);
	char h[65];

	hex(h, me->id, WARD_ID_BYTES);
	if (ce == NULL)
		diverged("ledger: the model has an entry for %s, the core none", h);
	if (ce->used != me->used || ce->reserved != me->reserved ||
	    ce->max != me->max || (ce->dirty == 1) != (me->dirty != 0))
		diverged("ledger entry %s: core used %u reserved %u max %u dirty %u, "
			 "model used %u reserved %u max %u dirty %d", h, ce->used,
			 ce->reserved, ce->max, ce->dirty, me->used, me->reserved,
			 me->max, me->dirty);
}

static void
compare_context(const uint8_t *id)
{
	const struct model_context *mc = model_context(&mdl, id);
	uint16_t idx = 0;
	int r = ward_context_find(&core.contexts, id, &idx);
	uint32_t k;

	if ((r == WARD_OK) != (mc != NULL))
		diverged("context: core find says %s, the model %s", rname(r),
			 mc != NULL ? "open" : "not open");
	if (mc == NULL)
		return;
	if (core.contexts.c[idx].has_parent != (mc->has_parent ? 1u : 0u))
		diverged("context: core has_parent %u, model %s",
			 core.contexts.c[idx].has_parent,
			 mc->has_parent ? "a parent" : "none");
	if (mc->has_parent && memcmp(core.contexts.c[idx].parent, mc->parent,
				     WARD_CTX_BYTES) != 0) {
		char a[33], b[33];

		hex(a, core.contexts.c[idx].parent, WARD_CTX_BYTES);
		hex(b, mc->parent, WARD_CTX_BYTES);
		diverged("context: core parent %s, model %s", a, b);
	}
	if (core.contexts.c[idx].hi != model_nonce_hi(mc))
		diverged("context: core hi %" PRIu64 ", model's highest nonce %" PRIu64,
			 core.contexts.c[idx].hi, model_nonce_hi(mc));
	for (k = 0; k < WARD_NONCE_WINDOW; k++)
		if (core.contexts.c[idx].seen[k] != model_nonce_latest(mc, k))
			diverged("context: window slot %u holds %" PRIu64
				 ", the model's latest nonce of that residue is %" PRIu64,
				 k, core.contexts.c[idx].seen[k], model_nonce_latest(mc, k));
}

static void
compare_audit(void)
{
	if (alog.seq != mdl.audit_seq)
		diverged("audit seq: core %" PRIu64 ", model %" PRIu64, alog.seq,
			 mdl.audit_seq);
	if (memcmp(alog.head, mdl.audit_head, WARD_ID_BYTES) != 0)
		diverged("audit head differs");
	if (core.approval_seq != mdl.approval_seq)
		diverged("approval seq: core %" PRIu64 ", model %" PRIu64,
			 core.approval_seq, mdl.approval_seq);
}

/* Every table, whole, both ways. */
static void
compare_all(void)
{
	uint32_t k, live = 0, open = 0;
	size_t i;
	char h[65];

	for (k = 0; k < WARD_LEDGER_N; k++) {
		if (core.ledger.e[k].live != 1)
			continue;
		live++;
		if (model_ledger_entry(&mdl, core.ledger.e[k].id) == NULL) {
			hex(h, core.ledger.e[k].id, WARD_ID_BYTES);
			diverged("ledger: the core has an entry for %s, the model none", h);
		}
	}
	for (i = 0; i < mdl.n_ledger; i++)
		compare_entry(&mdl.ledger[i]);
	if (live != mdl.n_ledger)
		diverged("ledger: core %u live entries, model %zu", live, mdl.n_ledger);
	live = 0;
	for (k = 0; k < WARD_REVOKE_N; k++) {
		if (core.revoked.live[k] != 1)
			continue;
		live++;
		if (!model_is_revoked(&mdl, core.revoked.id[k]))
			diverged("revocation: the core holds an id the model does not");
	}
	for (i = 0; i < mdl.n_revoked; i++)
		if (ward_is_revoked(&core.revoked, mdl.revoked[i]) != 1)
			diverged("revocation: the model holds an id the core does not");
	if (live != mdl.n_revoked || core.revoked.count != mdl.n_revoked)
		diverged("revocation: core %u live (count %u), model %zu", live,
			 core.revoked.count, mdl.n_revoked);
	for (k = 0; k < WARD_CTX_MAX; k++)
		open += core.contexts.c[k].open == 1;
	if (open != mdl.n_ctx)
		diverged("contexts: core %u open, model %zu", open, mdl.n_ctx);
	for (i = 0; i < mdl.n_ctx; i++)
		compare_context(mdl.ctx[i].id);
	compare_audit();
}

/* ---- operations on both -------------------------------------------------------- */

/* Open id, spawned from parent (NULL: a session). */
static void
op_open(const uint8_t *id, const uint8_t *parent)
{
	int rc = ward_context_open(&core.contexts, id, parent);
	int rm = model_context_open(&mdl, id, parent);

	if (rc != rm)
		diverged("context open: core %s, model %s", rname(rc), rname(rm));
	h_open[rc]++;
	if (parent != NULL)
		h_spawn[rc]++;
	compare_context(id);
}

/* Open wctx[k]: mostly as the spawn tree says, sometimes as a session or
 * spawned from another context (a parent the chains' path does not
 * follow). */
static void
wopen(uint32_t k)
{
	unsigned r = (unsigned)below(1000);
	uint32_t o;

	if (r < 900) {
		op_open(wctx[k], wpar[k] >= 0 ? wctx[wpar[k]] : NULL);
	} else if (r < 950) {
		op_open(wctx[k], NULL);
	} else {
		o = (uint32_t)below(WCTX);
		if ((int)o == wpar[k])
			o = (o + 1) % WCTX;
		op_open(wctx[k], wctx[o]);
	}
}

static void
op_close(const uint8_t *id)
{
	int rc = ward_context_close(&core.contexts, id);
	int rm = model_context_close(&mdl, id);

	if (rc != rm)
		diverged("context close: core %s, model %s", rname(rc), rname(rm));
	h_close[rc]++;
	compare_context(id);
}

static void
op_revoke(const uint8_t *id)
{
	int rc = ward_revoke(&core.revoked, id);
	int rm = model_revoke(&mdl, id);

	if (rc != rm)
		diverged("revoke: core %s, model %s", rname(rc), rname(rm));
	if (ward_is_revoked(&core.revoked, id) != model_is_revoked(&mdl, id))
		diverged("revoke: the core and the model disagree whether it holds");
	h_revoke[rc]++;
}

/* The resource holds a byte outside 0x21 .. 0x7e, and with every such
 * byte made an 'a' the leaf the core decoded would allow it: the byte
 * range is the only reason for the refusal.  Read after an OUT_OF_SCOPE,
 * when the chain has verified. */
static int
nonprint_alone(uint16_t len)
{
	const struct ward_block *b = &creq.chain.l[creq.chain.n - 1].b;
	uint8_t fixed[WARD_SCOPE_MAX];
	int bad = 0;
	uint16_t k;

	for (k = 0; k < len; k++) {
		fixed[k] = resource[k];
		if (resource[k] < 0x21 || resource[k] > 0x7e) {
			fixed[k] = 'a';
			bad = 1;
		}
	}
	return bad && model_scope_allows(b->kind, fixed, len, b->scope,
					 b->scope_len);
}

/* What the lineage rule met in a request whose chain verified (the
 * blocks as ward_approve decoded them), for the histogram only: the
 * verdict itself is the model's to check. */
static void
lineage_stats(int rc, const uint8_t *ctx)
{
	const struct ward_chain *ch = &creq.chain;
	const struct model_context *mc;
	uint32_t i, cross = 0, closed = 0;

	h_lin_checked++;
	for (i = 0; i < ch->n; i++)
		closed += model_context(&mdl, ch->l[i].b.context) == NULL;
	for (i = 1; i < ch->n; i++)
		cross += memcmp(ch->l[i - 1].b.context, ch->l[i].b.context,
				WARD_CTX_BYTES) != 0;
	if (rc != WARD_E_CONTEXT) {
		if (cross > 0)
			h_lin_pass_spawn++;
		if (rc == WARD_OK && cross > 0)
			h_lin_ok_spawn++;
		if (rc == WARD_OK && cross > 1)
			h_lin_ok_deep++;
		if (rc == WARD_OK && closed > 0)
			h_lin_ok_top_closed++;
		return;
	}
	if (memcmp(ch->l[ch->n - 1].b.context, ctx, WARD_CTX_BYTES) != 0) {
		h_lin_leaf++;
		return;
	}
	/* The first link that breaks it, and what the table holds there. */
	for (i = 1; i < ch->n; i++) {
		if (memcmp(ch->l[i - 1].b.context, ch->l[i].b.context,
			   WARD_CTX_BYTES) == 0)
			continue;
		mc = model_context(&mdl, ch->l[i].b.context);
		if (mc == NULL) {
			h_lin_closed++;
			return;
		}
		if (!mc->has_parent) {
			h_lin_session++;
			if (memcmp(ch->l[i - 1].b.context, ZERO,
				   WARD_CTX_BYTES) == 0)
				h_lin_session_zero++;
			return;
		}
		if (memcmp(mc->parent, ch->l[i - 1].b.context,
			   WARD_CTX_BYTES) != 0) {
			h_lin_other++;
			return;
		}
	}
}

/* An entry put in the ledger from outside a decision (as crash recovery
 * or a hostile journal would). */
static void
op_register(const uint8_t *id, uint32_t max)
{
	uint16_t slot = 0, fresh = 0;
	int had = model_ledger_entry(&mdl, id) != NULL;
	int rc = ward_ledger_find(&core.ledger, id, max, &slot, &fresh);
	int rm = model_ledger_register(&mdl, id, max);
	const struct model_entry *me = model_ledger_entry(&mdl, id);

	if (rc != rm)
		diverged("ledger register: core %s, model %s", rname(rc), rname(rm));
	if (fresh != (rc == WARD_OK && !had))
		diverged("ledger register: core says fresh %u, the model %s an entry",
			 fresh, had ? "had" : "had no");
	if (me != NULL)
		compare_entry(me);
	h_register[rc]++;
}

/* An id of the same home bucket as id, and otherwise random: ground
 * under the keyed bucket, which this process (the core's stand-in) holds
 * the key of; about WARD_BUCKETS tries. */
static void
same_home(uint8_t *out, const uint8_t *id)
{
	uint32_t h = model_home(id);

	do
		rbytes(out, WARD_ID_BYTES);
	while (model_home(out) != h);
}

/* A request the leaf grants: the operation its kind and rights allow, a
 * resource within its scope, the next nonce, a time inside its window. */
static void
clean_request(struct model_request *mr, const struct ward_block *leaf)
{
	static const uint8_t OPS[] = {
		WARD_OP_TOOL_INVOKE, WARD_OP_FS_READ, WARD_OP_FS_WRITE,
		WARD_OP_NET_CONNECT, WARD_OP_MEM_READ, WARD_OP_MEM_WRITE,
		WARD_OP_SECRET_USE, WARD_OP_EXEC, WARD_OP_RESOURCE_READ,
		WARD_OP_PROMPT_GET
	};
	static const uint8_t KIND[] = { 1, 2, 2, 3, 4, 4, 5, 6, 7, 8 };
	static const uint8_t RIGHT[] = { 0, 1, 2, 0, 1, 2, 1, 0, 1, 1 }; /* i r w */
	const struct model_context *c = model_context(&mdl, mr->context);
	const uint8_t rights[3] = { leaf->r_invoke, leaf->r_read, leaf->r_write };
	struct str x, y;
	uint64_t span = leaf->not_after - leaf->not_before, hi;
	unsigned i, start = (unsigned)below(NELEM(OPS));

	for (i = 0; i < NELEM(OPS); i++) {
		unsigned k = (start + i) % NELEM(OPS);

		if (KIND[k] == leaf->kind && rights[RIGHT[k]] == 1) {
			mr->op = OPS[k];
			break;
		}
	}
	get_scope(leaf, &x);
	narrow(leaf->kind, &x, &y);
	memcpy(resource, y.s, y.len);
	mr->resource_len = y.len;
	hi = c != NULL ? model_nonce_hi(c) : 0;
	mr->nonce = hi < UINT64_MAX ? hi + 1 : hi;
	mr->now = leaf->not_before + below(span == UINT64_MAX ? 0 : span + 1);
}

static void
op_approve(void)
{
	const struct pchain *c = &chains[below(n_chains)];
	const struct ward_block *leaf;
	struct model_request mr;
	uint32_t n, i, m;
	unsigned r;
	int rc, rm;
	char a[65], b[65];

	honest = pm(500);
	gen_links(c, &n);
	m = n >= 1 && n <= c->n ? n : c->n;
	leaf = &pool[c->blk[m - 1]].b;

	memset(&mr, 0, sizeof mr);
	r = honest ? 0 : (unsigned)below(100);
	if (r < 85)
		memcpy(mr.context, leaf->context, WARD_CTX_BYTES);
	else if (r < 92)
		memcpy(mr.context, wctx[below(WCTX)], WARD_CTX_BYTES);
	else if (r < 95)
		rbytes(mr.context, WARD_CTX_BYTES);
	else
		memcpy(mr.context, pool[c->blk[0]].b.context, WARD_CTX_BYTES);
	mr.op = gen_op(pm(900) ? leaf->kind : 1 + (unsigned)below(WARD_KIND_LAST));
	mr.resource_len = gen_resource(leaf, leaf->kind);
	mr.resource = resource;
	rbytes(mr.digest, WARD_ID_BYTES);
	mr.nonce = gen_nonce(mr.context);
	mr.now = gen_now(c, m);
	if (honest)
		clean_request(&mr, leaf);
	mr.n = n;
	for (i = 0; i < WARD_CHAIN_MAX; i++) {
		mr.raw[i] = lraw[i];
		mr.raw_len[i] = i < n ? lraw_len[i] : 0;
	}

	memset(&creq, 0, sizeof creq);
	memcpy(creq.context, mr.context, WARD_CTX_BYTES);
	creq.op = mr.op;
	creq.resource_len = mr.resource_len;
	memcpy(creq.resource, resource, WARD_SCOPE_MAX);
	memcpy(creq.digest, mr.digest, WARD_ID_BYTES);
	creq.nonce = mr.nonce;
	creq.now = mr.now;
	creq.chain.n = n;
	for (i = 0; i < WARD_CHAIN_MAX && i < n; i++) {
		memcpy(creq.chain.l[i].raw, lraw[i], WARD_BLOCK_MAX);
		creq.chain.l[i].raw_len = lraw_len[i];
	}

	rc = ward_approve(&core, &alog, &creq, &cdec);
	rm = model_approve(&mdl, &mr, &mout);
	cases++;
	if (rc < 0 || rc > WARD_REASON_LAST)
		diverged("ward_approve returned %d", rc);
	if (rc != rm) {
		char res[4 * WARD_SCOPE_MAX + 1];

		printable(res, resource, mr.resource_len);
		diverged("reason: core %s (%d), model %s (%d); op %u, chain of %u, "
			 "resource \"%s\" (%u bytes), nonce %" PRIu64 ", now %" PRIu64,
			 rname(rc), rc, rname(rm), rm, mr.op, n, res,
			 mr.resource_len, mr.nonce, mr.now);
	}
	h_approve[rc]++;
	if (rc == WARD_E_MALFORMED && mout.rec_len > 0 &&
	    memcmp(mout.rec + WARD_REC_OFF_LEAF, ZERO, WARD_ID_BYTES) != 0)
		h_ledger_malformed++;
	/* A full audit chain is refused before the spend (approve.h,
	 * refused_exhausted): never the ALLOWED record of spent uses. */
	if (rc == WARD_E_EXHAUSTED && cdec.rec_len > 0 &&
	    cdec.rec[WARD_REC_OFF_VERDICT] != WARD_VERDICT_BLOCKED)
		diverged("EXHAUSTED with a record that is not BLOCKED");
	if (rc == WARD_E_EXHAUSTED && cdec.audit_pos == UINT64_MAX &&
	    cdec.rec_len > 0)
		h_audit_full++;
	if (rc != WARD_OK && rc != WARD_E_EXHAUSTED && mout.rec_len > 0 &&
	    mout.audit_pos == UINT64_MAX)
		h_unlogged++;
	if (rc == WARD_OK && mout.n_dirty > 0)
		h_dirty++;
	if (rc == WARD_E_OUT_OF_SCOPE && nonprint_alone(mr.resource_len))
		h_nonprint++;
	if (mout.rec_len > 0 &&
	    memcmp(mout.rec + WARD_REC_OFF_LEAF, ZERO, WARD_ID_BYTES) != 0)
		lineage_stats(rc, mr.context);
	if (cdec.audit_pos != mout.audit_pos)
		diverged("%s: audit position core %" PRIu64 ", model %" PRIu64,
			 rname(rc), cdec.audit_pos, mout.audit_pos);
	if (cdec.rec_len != mout.rec_len ||
	    memcmp(cdec.rec, mout.rec, mout.rec_len) != 0) {
		for (i = 0; i < mout.rec_len && cdec.rec[i] == mout.rec[i]; i++)
			;
		diverged("%s: record differs (core %u bytes, model %u, first "
			 "difference at byte %u)", rname(rc), cdec.rec_len,
			 mout.rec_len, i);
	}
	if (cdec.msg_len != mout.msg_len ||
	    memcmp(cdec.msg, mout.msg, mout.msg_len) != 0) {
		for (i = 0; i < mout.msg_len && cdec.msg[i] == mout.msg[i]; i++)
			;
		diverged("%s: approval message differs (core %u bytes, model %u, "
			 "first difference at byte %u)", rname(rc), cdec.msg_len,
			 mout.msg_len, i);
	}
	if (rc == WARD_OK && memcmp(cdec.sig, mout.sig, WARD_SIG_BYTES) != 0)
		diverged("approval signature differs");
	if (cdec.n_dirty != mout.n_dirty)
		diverged("%s: core lists %u dirty entries, model %u", rname(rc),
			 cdec.n_dirty, mout.n_dirty);
	for (i = 0; i < cdec.n_dirty; i++) {
		if (cdec.dirty[i] >= WARD_LEDGER_N)
			diverged("dirty slot %u out of range", cdec.dirty[i]);
		if (memcmp(core.ledger.e[cdec.dirty[i]].id, mout.dirty[i],
			   WARD_ID_BYTES) != 0) {
			hex(a, core.ledger.e[cdec.dirty[i]].id, WARD_ID_BYTES);
			hex(b, mout.dirty[i], WARD_ID_BYTES);
			diverged("dirty entry %u: core %s, model %s", i, a, b);
		}
	}
	compare_audit();
	for (i = 0; i < mdl.n_ledger; i++)
		compare_entry(&mdl.ledger[i]);
	compare_context(mr.context);

	/* The caller persists the reservations, then cleans (mostly). */
	if (rc == WARD_OK && pm(850))
		for (i = 0; i < cdec.n_dirty; i++) {
			ward_ledger_clean(&core.ledger, cdec.dirty[i]);
			model_ledger_clean(&mdl, mout.dirty[i]);
		}
}

/* ---- a world ------------------------------------------------------------------- */

static void
set_trust(void)
{
	static const unsigned CAND[] = { 1, 2, 3, 4 };
	static const unsigned PROB[] = { 970, 700, 500, 100 };
	unsigned i;

	core.trust.n = 0;
	mdl.n_trust = 0;
	for (i = 0; i < NELEM(CAND); i++) {
		if (!pm(PROB[i]))
			continue;
		memcpy(core.trust.key[core.trust.n++], keys[CAND[i]].pk,
		       WARD_KEY_BYTES);
		if (model_trust(&mdl, keys[CAND[i]].pk) != 0)
			capfix_die("model_trust");
	}
}

static void
run_world(uint64_t w, uint64_t max_cases)
{
	uint8_t id[WARD_ID_BYTES], ctx[WARD_CTX_BYTES];
	uint64_t ops, o;
	uint32_t i, k, fill;

	world = w;
	world_cases = cases;
	op_no = 0;
	rng_seed(seed, w);
	n_worlds++;
	ward_sig_memo_clear();
	memset(&core, 0, sizeof core);
	memcpy(core.sk, keys[K_CORE].sk, WARD_SK_BYTES);
	ward_revset_init(&core.revoked);
	ward_ledger_init(&core.ledger);
	ward_contexts_init(&core.contexts);
	ward_audit_init(&alog);
	model_free(&mdl);
	if (model_init(&mdl, keys[K_CORE].sk) != 0)
		capfix_die("model_init");
	set_trust();
	if (pm(50))
		core.approval_seq = mdl.approval_seq = UINT64_MAX - below(3);
	if (pm(40))
		alog.seq = mdl.audit_seq = UINT64_MAX - below(3);

	for (i = 0; i < WCTX; i++) {
		rbytes(wctx[i], WARD_CTX_BYTES);
		if (i == 0)
			wpar[i] = -1;
		else if (i == 1)
			wpar[i] = pm(300) ? -1 : 0;
		else
			wpar[i] = pm(80) ? -1 : (int)below(i);
	}
	/* Some world has a context of sixteen zero bytes: what a session's
	 * parent field may hold, which only has_parent tells from a parent. */
	if (pm(200))
		memset(wctx[pm(500) ? 0 : below(WCTX)], 0, WARD_CTX_BYTES);
	for (i = 0; i < WCTX; i++)
		if (pm(i + 1 < WCTX ? 990 : 800))
			wopen(i);
	gen_pool();

	/* Crowded tables. */
	if (pm(120)) {				/* a ledger bucket */
		const struct pchain *c = &chains[below(n_chains)];

		k = c->blk[pm(600) ? 0 : below(c->n)];
		fill = WARD_LEDGER_WAYS - 2 + (uint32_t)below(3);
		for (i = 0; i < fill; i++) {
			same_home(id, pool[k].id);
			op_register(id, gen_uses());
		}
	}
	if (pm(30)) {				/* an entry with another max */
		const struct pchain *c = &chains[below(n_chains)];

		k = c->blk[below(c->n)];
		op_register(pool[k].id, pool[k].b.max_uses ^ (1u + (uint32_t)below(7)));
	}
	if (pm(100)) {				/* a revocation bucket */
		k = (uint32_t)below(n_pool);
		fill = WARD_REVOKE_WAYS - 1 + (uint32_t)below(2);
		for (i = 0; i < fill; i++) {
			same_home(id, pool[k].id);
			op_revoke(id);
		}
		if (pm(500))
			op_revoke(pool[k].id);
	}
	if (pm(50)) {				/* every context slot */
		fill = WARD_CTX_MAX - 8 + (uint32_t)below(16);
		for (i = 0; i < fill; i++) {
			rbytes(ctx, WARD_CTX_BYTES);
			op_open(ctx, pm(300) ? wctx[below(WCTX)] : NULL);
		}
	}

	ops = 20 + below(280);
	for (o = 0; o < ops && cases < max_cases; o++) {
		unsigned r = (unsigned)below(1000);

		op_no++;
		if (r < 940) {
			op_approve();
		} else if (r < 946) {
			if (pm(700))
				op_revoke(pool[below(n_pool)].id);
			else if (pm(500))
				op_revoke(pool[below(n_pool)].b.parent);
			else {
				rbytes(id, WARD_ID_BYTES);
				op_revoke(id);
			}
		} else if (r < 980) {
			if (pm(900))
				wopen((uint32_t)below(WCTX));
			else {
				rbytes(ctx, WARD_CTX_BYTES);
				op_open(ctx, pm(500) ? wctx[below(WCTX)] : NULL);
			}
		} else if (r < 990) {
			/* Closed, and often opened again at once: a fresh
			 * window (and parent) under the same id.  Left
			 * closed, a context in the middle of a spawn path
			 * breaks the lineage of the chains that cross it. */
			k = (uint32_t)below(WCTX);
			op_close(wctx[k]);
			if (pm(450))
				wopen(k);
		} else if (r < 995) {
			set_trust();
		} else {
			k = (uint32_t)below(n_pool);
			same_home(id, pool[k].id);
			op_register(id, gen_uses());
		}
	}
	compare_all();
}

/* ---- main ---------------------------------------------------------------------- */

static uint64_t
env_u64(const char *name, uint64_t dflt)
{
	const char *v = getenv(name);
	char *end;
	unsigned long long x;

	if (v == NULL || *v == '\0')
		return dflt;
	x = strtoull(v, &end, 0);
	if (*end != '\0') {
		printf("FAIL differential_ward_approve_matches_model: %s=%s is not a "
		       "number\n", name, v);
		exit(2);
	}
	return (uint64_t)x;
}

/* The reasons ward_approve can give that a run of this size must reach. */
static int
unreachable(int r)
{
	return r == WARD_E_REVOKE_FULL || r == WARD_E_CONTEXT_FULL ||
	       r == WARD_E_CONTEXT_EXISTS || r == WARD_E_CYCLE ||
	       r == WARD_E_CRYPTO;
}

int
main(void)
{
	uint64_t want, from, w;
	struct timespec t0, t1;
	double secs;
	int r, missing = 0;
	char miss[512] = "";

	if (sodium_init() < 0)
		capfix_die("sodium_init");
	for (r = 0; r < (int)CAPFIX_NKEYS; r++)
		capfix_key(&keys[r], (uint8_t)r);
	seed = env_u64("WARD_DIFF_SEED", DEFAULT_SEED);
	want = env_u64("WARD_DIFF_CASES", 100000);
	from = env_u64("WARD_DIFF_FROM", 0);
	printf("differential: seed 0x%016" PRIx64 ", %" PRIu64 " approval requests "
	       "from world %" PRIu64 " (WARD_DIFF_SEED, WARD_DIFF_CASES, "
	       "WARD_DIFF_FROM)\n", seed, want, from);
	fflush(stdout);

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (w = from; cases < want; w++)
		run_world(w, want);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	model_free(&mdl);

	printf("differential: %" PRIu64 " approval requests in %" PRIu64
	       " worlds, %.1f s\n", cases, n_worlds, secs);
	printf("  ward_approve verdicts:\n");
	for (r = 0; r <= WARD_REASON_LAST; r++)
		if (h_approve[r] > 0)
			printf("    %-16s %10" PRIu64 "  %5.2f%%\n", rname(r),
			       h_approve[r], 100.0 * (double)h_approve[r] / (double)cases);
	printf("  revoke: OK %" PRIu64 ", REVOKE_FULL %" PRIu64 "\n",
	       h_revoke[WARD_OK], h_revoke[WARD_E_REVOKE_FULL]);
	printf("  context open: OK %" PRIu64 ", CONTEXT_EXISTS %" PRIu64
	       ", CONTEXT_FULL %" PRIu64 "; close: OK %" PRIu64
	       ", CONTEXT_UNKNOWN %" PRIu64 "\n", h_open[WARD_OK],
	       h_open[WARD_E_CONTEXT_EXISTS], h_open[WARD_E_CONTEXT_FULL],
	       h_close[WARD_OK], h_close[WARD_E_CONTEXT_UNKNOWN]);
	printf("  ledger register: OK %" PRIu64 ", MALFORMED %" PRIu64
	       ", LEDGER_FULL %" PRIu64 "\n", h_register[WARD_OK],
	       h_register[WARD_E_MALFORMED], h_register[WARD_E_LEDGER_FULL]);
	printf("  of which: MALFORMED from the ledger (an entry with another max) "
	       "%" PRIu64 ", EXHAUSTED with the audit chain full (refused "
	       "before the spend) %" PRIu64 ", refusals the full audit chain "
	       "could not record %" PRIu64 ", approvals that moved a reservation "
	       "%" PRIu64 "\n", h_ledger_malformed, h_audit_full, h_unlogged,
	       h_dirty);
	printf("  non-printable resources refused for that alone (OUT_OF_SCOPE) "
	       "%" PRIu64 "\n", h_nonprint);
	printf("  context open with a parent (spawn): OK %" PRIu64 ", "
	       "CONTEXT_EXISTS %" PRIu64 ", CONTEXT_FULL %" PRIu64 "\n",
	       h_spawn[WARD_OK], h_spawn[WARD_E_CONTEXT_EXISTS],
	       h_spawn[WARD_E_CONTEXT_FULL]);
	printf("  lineage rule, on %" PRIu64 " verified chains: kept with a "
	       "change of context %" PRIu64 " (approved %" PRIu64 ", of which "
	       "two changes or more %" PRIu64 ", a block's context closed %"
	       PRIu64 "); CONTEXT %" PRIu64 ": leaf elsewhere %" PRIu64
	       ", a link to a context not open %" PRIu64 ", to a session %"
	       PRIu64 " (from the context of zero bytes %" PRIu64 "), to a "
	       "context spawned from another %" PRIu64 "\n",
	       h_lin_checked, h_lin_pass_spawn, h_lin_ok_spawn, h_lin_ok_deep,
	       h_lin_ok_top_closed, h_approve[WARD_E_CONTEXT], h_lin_leaf,
	       h_lin_closed, h_lin_session, h_lin_session_zero, h_lin_other);
	printf("PASS differential_ward_approve_matches_model\n");

	/* Below this many requests the rarest reasons may not come up. */
	if (cases < 50000) {
		printf("differential: coverage not checked below 50000 requests\n");
		return 0;
	}
	for (r = 0; r <= WARD_REASON_LAST; r++)
		if (!unreachable(r) && h_approve[r] == 0) {
			missing++;
			strncat(miss, " ", sizeof miss - strlen(miss) - 1);
			strncat(miss, rname(r), sizeof miss - strlen(miss) - 1);
		}
	if (h_ledger_malformed == 0 || h_audit_full == 0 ||
	    h_unlogged == 0 || h_dirty == 0) {
		missing++;
		strncat(miss, " (a sub-case of MALFORMED, EXHAUSTED or OK)",
			sizeof miss - strlen(miss) - 1);
	}
	if (h_lin_ok_spawn == 0 || h_lin_ok_deep == 0 ||
	    h_lin_ok_top_closed == 0 || h_lin_leaf == 0 || h_lin_closed == 0 ||
	    h_lin_session == 0 || h_lin_session_zero == 0 || h_lin_other == 0) {
		missing++;
		strncat(miss, " CONTEXT/OK(a case of the lineage rule)",
			sizeof miss - strlen(miss) - 1);
	}
	if (h_spawn[WARD_OK] == 0) {
		missing++;
		strncat(miss, " OK(a spawn)", sizeof miss - strlen(miss) - 1);
	}
	if (h_nonprint == 0) {
		missing++;
		strncat(miss, " OUT_OF_SCOPE(a non-printable resource the path "
			"rules allow)", sizeof miss - strlen(miss) - 1);
	}
	if (h_revoke[WARD_E_REVOKE_FULL] == 0) {
		missing++;
		strncat(miss, " REVOKE_FULL(revoke)", sizeof miss - strlen(miss) - 1);
	}
	if (h_open[WARD_E_CONTEXT_FULL] == 0 || h_open[WARD_E_CONTEXT_EXISTS] == 0) {
		missing++;
		strncat(miss, " CONTEXT_FULL/EXISTS(open)", sizeof miss - strlen(miss) - 1);
	}
	if (missing > 0) {
		printf("FAIL differential_generator_reaches_every_reason: never "
		       "produced:%s\n", miss);
		return 1;
	}
	printf("PASS differential_generator_reaches_every_reason\n");
	return 0;
}
