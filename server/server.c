/*
 * server.c -- ward-core: the process that holds all of ward's authority.
 *
 * Two nanomsg REP sockets, both raw (AF_SP_RAW) so that the core can take
 * many requests, decide them, make the batch durable with one fdatasync
 * (group commit) and only then release the replies:
 *
 *   admin  ipc://$WARD_HOME/run/admin/admin.sock  AdminEnvelope, signed by the
 *          operator key, timestamp within 60 s, nonce used once
 *   broker ipc://$WARD_HOME/run/core/broker.sock  Request; capability-bound
 *          requests only, nothing can be minted
 *
 * Every decision goes through the verified library (core/ headers); this file
 * decodes (wire.c), keeps the process-side tables (which contexts were ever
 * opened and by whom, admin nonces), and journals every state change as a
 * record of the audit chain (journal.h).  Nothing is released before its
 * record is on disk.  A restart replays the log.
 *
 * Not part of the verified core.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <nanomsg/nn.h>
#include <nanomsg/reqrep.h>
#include <sodium.h>

#include "approve.h"
#include "ward/v1/ward.pb-c.h"
#include "home.h"
#include "priv.h"
#include "journal.h"
#include "names.h"
#include "pending.h"
#include "wire.h"
#include "vault.h"

#define BATCH_MAX 1024u		/* requests decided per group commit */
#define CKPT_EVERY 8192u	/* records between checkpoint files */
#define CT_N 65536u		/* slots of the table of contexts ever opened */
/* At most half the slots are ever used, so that a probe stays short
 * whatever ids a broker picks (their slots come from a keyed hash, too);
 * and one session with everything spawned from it holds at most
 * CT_TREE_MAX, so that one hostile transaction cannot use up the table
 * for the others.  Past either bound new contexts are refused
 * (context_full), never approved: the table cannot forget an id without
 * letting it be opened again with an empty replay window. */
#define CT_LIMIT (CT_N / 2u)
#define CT_TREE_MAX 1024u
/* The verified table holds WARD_CTX_MAX open contexts for all sessions:
 * one session's tree may hold an eighth of them open at once. */
#define CT_TREE_OPEN_MAX (WARD_CTX_MAX / 8u)
#define AN_N 4096u		/* admin nonces remembered */
#define LINEAGE_MAX 64u
#define LIST_MAX 1024u		/* contexts in one ListContexts reply */
/* Revocations of single blocks a session's broker may have stored at once
 * (its tree's, counted at the session's root context).  The revocation set
 * is shared by every session (WARD_REVOKE_N ids, WARD_REVOKE_WAYS per
 * bucket, revoke.h): a bucket that overflows is poisoned and refuses every
 * id in it, other sessions' grants too.  Revoking costs the broker no use,
 * so without a bound one session could revoke children it minted until
 * most buckets were poisoned.  Past the bound the broker revokes its
 * context as a whole (one id) or asks the operator. */
#define REV_TREE_MAX 64u

/* A revocation into a full bucket of the revocation set (revoke.h). */
#define REVOKE_FULL_NOTE "revoked, but the revocation set's bucket of " \
	"this id is full: every block id of that bucket (about 1 in 1024, " \
	"by a key only ward-core holds) is refused until ward-core restarts"

/* ---- state ----------------------------------------------------------------- */

static struct ward_core core;	/* the verified core's state */
static struct ward_audit core_log;	/* the audit chain the core appends to */
static struct ward_request areq;
static struct ward_decision adec;
static struct wire_req wq;
static struct ward_chain vch;	/* scratch for chain checks */
static struct jr_writer jw;
static struct ward_home H;
static uint8_t core_pk[WARD_KEY_BYTES];
static uint8_t op_pk[WARD_KEY_BYTES];
static uint8_t ct_key[crypto_shorthash_KEYBYTES];
static volatile sig_atomic_t stop;
static uint64_t started;
static uint64_t last_ckpt_seq;
static int verbose;

/* Process-side context table: every context ever opened, so that a closed
 * context can never be opened again (its replay window is gone), and the
 * context each one was spawned from (lineage, cascading revocation). */
#define CT_FREE 0u
#define CT_OPEN 1u
#define CT_CLOSED 2u
struct ctent {
	uint8_t state;
	uint8_t has_parent;
	uint8_t mark;			/* scratch of close_tree */
	uint8_t id[WARD_CTX_BYTES];
	uint8_t parent[WARD_CTX_BYTES];
	uint8_t grant[WARD_ID_BYTES];
	uint32_t tree;			/* a root: contexts in its tree, itself too */
	uint32_t tree_open;		/* a root: of those, how many are open */
	uint32_t revokes;		/* a root: single-block revocations its
					 * tree's brokers stored (REV_TREE_MAX) */
};
static struct ctent *ctab;
static uint32_t ct_used, ct_open;

struct anent {
	uint8_t live;
	uint8_t nonce[WIRE_NONCE_BYTES];
	uint64_t ts;
};
static struct anent antab[AN_N];

struct pend {
	int sock;
	void *ctl;
	void *msg;
	size_t len;
};
static struct pend pend[BATCH_MAX];
static uint32_t npend;


static void __attribute__((noreturn, format(printf, 1, 2)))
die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "ward-core: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	sodium_memzero(core.sk, sizeof core.sk);
	exit(1);
}

static uint64_t
now_s(void)
{
	return (uint64_t)time(NULL);
}

/* ---- the audit chain and the journal ---------------------------------------- */

/* Append a record to the verified chain and queue it for the disk. */
static uint64_t
log_record(const uint8_t *rec, size_t len)
{
	uint8_t prev[WARD_ID_BYTES];
	uint64_t pos;

	memcpy(prev, core_log.head, sizeof prev);
	if (ward_audit_append(&core_log, rec, len, &pos) != WARD_OK)
		die("cannot extend the audit chain; stopping rather than "
		    "deciding anything unlogged");
	jr_add(&jw, pos, prev, rec, len, core_log.head);
	return pos;
}

static uint64_t
log_event(unsigned verdict, unsigned reason, unsigned kind, unsigned sock,
	  const uint8_t *ctx, const uint8_t *ctx2, const uint8_t *id,
	  uint64_t t, uint64_t nonce, const char *text)
{
	uint8_t r[JR_EV_MAX];
	size_t tl = text != NULL ? strlen(text) : 0;
	size_t i;

	if (tl > JR_TEXT_MAX)
		tl = JR_TEXT_MAX;
	memset(r, 0, JR_EV_TEXT);
	r[JR_EV_TYPE] = JR_EVENT;
	r[JR_EV_VERDICT] = (uint8_t)verdict;
	r[JR_EV_REASON] = (uint8_t)reason;
	r[JR_EV_KIND] = (uint8_t)kind;
	r[JR_EV_SOCKET] = (uint8_t)sock;
	if (ctx != NULL)
		memcpy(r + JR_EV_CTX, ctx, WARD_CTX_BYTES);
	if (ctx2 != NULL)
		memcpy(r + JR_EV_CTX2, ctx2, WARD_CTX_BYTES);
	if (id != NULL)
		memcpy(r + JR_EV_ID, id, WARD_ID_BYTES);
	ward_put_be64(r + JR_EV_TIME, t);
	ward_put_be64(r + JR_EV_NONCE, nonce);
	ward_put_be16(r + JR_EV_TLEN, (uint16_t)tl);
	for (i = 0; i < tl; i++)	/* the log holds printable text only */
		r[JR_EV_TEXT + i] = (text[i] >= 0x20 && text[i] < 0x7f) ?
				    (uint8_t)text[i] : '?';
	return log_record(r, JR_EV_TEXT + tl);
}

/* The reservation of ledger entry slot, whose block is bound to ctx. */
static void
log_reserve(uint32_t slot, const uint8_t *ctx)
{
	const struct ward_ledger_entry *e = &core.ledger.e[slot];
	uint8_t r[JR_RS_LEN_CTX];

	r[0] = JR_RESERVE;
	memcpy(r + JR_RS_ID, e->id, WARD_ID_BYTES);
	ward_put_be32(r + JR_RS_MAX, e->max);
	ward_put_be32(r + JR_RS_RESERVED, e->reserved);
	memcpy(r + JR_RS_CTX, ctx, WARD_CTX_BYTES);
	log_record(r, sizeof r);
}

/* A signed checkpoint record covering every record before it. */
static void
log_checkpoint(uint64_t t)
{
	uint8_t r[JR_CK_LEN];

	r[0] = JR_CHECKPOINT;
	ward_put_be64(r + JR_CK_SEQ, core_log.seq);
	memcpy(r + JR_CK_HEAD, core_log.head, WARD_ID_BYTES);
	ward_put_be64(r + JR_CK_TIME, t);
	if (jr_ckpt_sign(r + JR_CK_SIG, core_log.seq, core_log.head, t,
			 core.sk) != 0)
		die("cannot sign a checkpoint");
	log_record(r, sizeof r);
}

/* The checkpoint file: what is durable now.  Called after a commit. */
static void
write_ckpt_file(void)
{
	uint8_t sig[WARD_SIG_BYTES];
	uint64_t t = now_s();

	if (jw.pending != 0)
		return;
	if (jr_ckpt_sign(sig, core_log.seq, core_log.head, t, core.sk) != 0 ||
	    jr_ckpt_write(H.ckpt, H.state, core_log.seq, core_log.head, t,
			  sig) != 0)
		die("cannot write %s: %s", H.ckpt, strerror(errno));
	last_ckpt_seq = core_log.seq;
}

static void
commit(void)
{
	if (jr_commit(&jw) != 0)
		die("cannot write the audit log %s: %s; stopping before any "
		    "reply is released", H.log, strerror(errno));
}

/* ---- process-side tables --------------------------------------------------- */

static uint32_t
ct_hash(const uint8_t *id)
{
	uint8_t h[crypto_shorthash_BYTES];

	crypto_shorthash(h, id, WARD_CTX_BYTES, ct_key);
	return (uint32_t)(h[0] | h[1] << 8 | h[2] << 16 | (uint32_t)h[3] << 24) %
	       CT_N;
}

static struct ctent *
ct_find(const uint8_t *id)
{
	uint32_t i = ct_hash(id), k;

	for (k = 0; k < CT_N; k++) {
		struct ctent *e = &ctab[(i + k) % CT_N];

		if (e->state == CT_FREE)
			return NULL;
		if (memcmp(e->id, id, WARD_CTX_BYTES) == 0)
			return e;
	}
	return NULL;
}

static struct ctent *
ct_insert(const uint8_t *id)
{
	uint32_t i = ct_hash(id), k;

	if (ct_used + 1 >= CT_LIMIT)
		return NULL;
	for (k = 0; k < CT_N; k++) {
		struct ctent *e = &ctab[(i + k) % CT_N];

		if (e->state == CT_FREE) {
			memset(e, 0, sizeof *e);
			memcpy(e->id, id, WARD_CTX_BYTES);
			ct_used++;
			return e;
		}
	}
	return NULL;
}

/* Is anc the context ctx itself or one it was spawned from? */
static int
ct_lineage(const uint8_t *ctx, const uint8_t *anc)
{
	const struct ctent *e;
	uint32_t k;

	for (k = 0; k < LINEAGE_MAX; k++) {
		if (memcmp(ctx, anc, WARD_CTX_BYTES) == 0)
			return 1;
		e = ct_find(ctx);
		if (e == NULL || !e->has_parent)
			return 0;
		ctx = e->parent;
	}
	return 0;
}

/* The session a context descends from (itself for a session), or NULL. */
static struct ctent *
ct_root(const uint8_t *ctx)
{
	struct ctent *e = ct_find(ctx);
	uint32_t k;

	for (k = 0; e != NULL && e->has_parent && k < LINEAGE_MAX; k++)
		e = ct_find(e->parent);
	return e;
}

/* Open ctx in the verified table and ours (recovery and live). */
static int
ctx_open(const uint8_t *ctx, const uint8_t *parent, const uint8_t *grant)
{
	struct ctent *e = ct_find(ctx), *root = NULL;
	int r;

	if (e != NULL)
		return e->state == CT_OPEN ? WARD_E_CONTEXT_EXISTS :
		       WR_CONTEXT_REUSED;
	if (ct_used + 1 >= CT_LIMIT)
		return WR_STATE_FULL;
	if (parent != NULL) {
		root = ct_root(parent);
		if (root == NULL)
			return WARD_E_CONTEXT_UNKNOWN;
		if (root->tree >= CT_TREE_MAX || root->tree_open >= CT_TREE_OPEN_MAX)
			return WARD_E_CONTEXT_FULL;
	}
	r = ward_context_open(&core.contexts, ctx, parent);
	if (r != WARD_OK)
		return r;
	e = ct_insert(ctx);
	e->state = CT_OPEN;
	e->tree = 1;
	e->tree_open = 1;
	if (parent != NULL) {
		e->has_parent = 1;
		memcpy(e->parent, parent, WARD_CTX_BYTES);
		root->tree++;
		root->tree_open++;
	}
	memcpy(e->grant, grant, WARD_ID_BYTES);
	ct_open++;
	return WARD_OK;
}

static void
ctx_close(const uint8_t *ctx)
{
	struct ctent *e = ct_find(ctx);

	if (ward_context_close(&core.contexts, ctx) != WARD_OK && e == NULL)
		return;
	if (e != NULL && e->state == CT_OPEN) {
		struct ctent *root = ct_root(ctx);

		e->state = CT_CLOSED;
		ct_open--;
		if (root != NULL && root->tree_open > 0)
			root->tree_open--;
	}
}

static int
trust_add(const uint8_t *key)
{
	uint32_t i;

	for (i = 0; i < core.trust.n; i++)
		if (memcmp(core.trust.key[i], key, WARD_KEY_BYTES) == 0)
			return WARD_OK;
	if (core.trust.n >= WARD_AUTH_MAX)
		return WR_STATE_FULL;
	memcpy(core.trust.key[core.trust.n++], key, WARD_KEY_BYTES);
	return WARD_OK;
}

/* 1 if seen, else remember it (0), or -1 if the table is full. */
static int
admin_nonce(const uint8_t *nonce, uint64_t ts, uint64_t now)
{
	struct anent *free_slot = NULL;
	uint32_t i;

	for (i = 0; i < AN_N; i++) {
		struct anent *e = &antab[i];

		if (e->live && e->ts + 2 * WIRE_ADMIN_WINDOW < now)
			e->live = 0;	/* its timestamp is refused anyway */
		if (!e->live) {
			if (free_slot == NULL)
				free_slot = e;
			continue;
		}
		if (memcmp(e->nonce, nonce, WIRE_NONCE_BYTES) == 0)
			return 1;
	}
	if (free_slot == NULL)
		return -1;
	free_slot->live = 1;
	free_slot->ts = ts;
	memcpy(free_slot->nonce, nonce, WIRE_NONCE_BYTES);
	return 0;
}

/* ---- replies --------------------------------------------------------------- */

struct out {
	int reason;
	char detail[256];
	int has_pos;
	uint64_t pos;
	int has_approval;
	int has_status;
	int has_ckpt;
	uint64_t ck_seq, ck_time;
	uint8_t ck_head[WARD_ID_BYTES];
	uint8_t ck_sig[WARD_SIG_BYTES];
	int has_block_id;
	uint8_t block_id[WARD_ID_BYTES];
	int has_ctx;
	uint8_t ctx[WARD_CTX_BYTES];
	int has_list;		/* ListContexts: listed[0 .. n_list - 1] */
	uint32_t n_list;
	int list_truncated;
	int block_revoked;
	int has_sealed;		/* approve of secret.use: the sealed value */
	size_t sealed_len;
	uint8_t sealed[VAULT_SEALED_MAX];
	int has_names;		/* secret_list */
	uint64_t pending_id, pending_deadline;	/* deferred (pending.h) */
	int has_pending_list;
};

static struct out o;
/* The entries a ListContexts reply names; read when the reply is packed,
 * right after the request is decided, before any other request. */
static const struct ctent *listed[LIST_MAX];

static int
refused(int reason, const char *fmt, ...)
{
	va_list ap;

	o.reason = reason;
	va_start(ap, fmt);
	vsnprintf(o.detail, sizeof o.detail, fmt, ap);
	va_end(ap);
	return reason;
}

/* Live entries of the use ledger (for Status: a full scan, not on any
 * hot path). */
static uint32_t
ledger_live(void)
{
	uint32_t k, n = 0;

	for (k = 0; k < WARD_LEDGER_N; k++)
		n += core.ledger.e[k].live == 1;
	return n;
}

/* The ContextInfo of each listed context, pointing into ctab. */
static void
pack_list(Ward__V1__Reply *rep)
{
	static Ward__V1__ContextInfo ci[LIST_MAX];
	static Ward__V1__ContextInfo *cp[LIST_MAX];
	uint32_t i;

	for (i = 0; i < o.n_list; i++) {
		const struct ctent *e = listed[i];

		ward__v1__context_info__init(&ci[i]);
		ci[i].context.data = (uint8_t *)e->id;
		ci[i].context.len = WARD_CTX_BYTES;
		ci[i].open = e->state == CT_OPEN;
		if (e->has_parent) {
			ci[i].parent.data = (uint8_t *)e->parent;
			ci[i].parent.len = WARD_CTX_BYTES;
		}
		ci[i].grant.data = (uint8_t *)e->grant;
		ci[i].grant.len = WARD_ID_BYTES;
		ci[i].grant_revoked = ward_is_revoked(&core.revoked, e->grant) == 1;
		cp[i] = &ci[i];
	}
	rep->n_contexts = o.n_list;
	rep->contexts = cp;
	rep->contexts_truncated = o.list_truncated != 0;
	rep->block_revoked = o.block_revoked != 0;
}

/* The calls waiting for the operator (PendingAnswer, answer 0), pointing
 * into pending.c's table. */
static void
pack_pending(Ward__V1__Reply *rep)
{
	static Ward__V1__PendingCall pc[PD_N];
	static Ward__V1__PendingCall *pp[PD_N];
	const struct pd_call *t = pd_table();
	uint32_t i, n = 0;

	for (i = 0; i < PD_N; i++) {
		const struct pd_call *c = &t[i];

		if (c->state != PD_WAITING && c->state != PD_APPROVED)
			continue;
		ward__v1__pending_call__init(&pc[n]);
		pc[n].id = c->id;
		pc[n].context.data = (uint8_t *)c->ctx;
		pc[n].context.len = WARD_CTX_BYTES;
		pc[n].op = c->op;
		pc[n].resource.data = (uint8_t *)c->res;
		pc[n].resource.len = c->rlen;
		pc[n].digest.data = (uint8_t *)c->digest;
		pc[n].digest.len = WARD_ID_BYTES;
		pc[n].nonce = c->nonce;
		pc[n].params.data = (uint8_t *)c->params;
		pc[n].params.len = c->plen;
		pc[n].created = c->created;
		pc[n].deadline = c->deadline;
		pc[n].state = c->state;
		pc[n].block_id.data = (uint8_t *)c->leaf;
		pc[n].block_id.len = WARD_ID_BYTES;
		pp[n] = &pc[n];
		n++;
	}
	rep->n_pending = n;
	rep->pending = pp;
}

static void
queue_reply(int sock, void *ctl)
{
	Ward__V1__Reply rep = WARD__V1__REPLY__INIT;
	Ward__V1__Approval ap = WARD__V1__APPROVAL__INIT;
	Ward__V1__StatusInfo st = WARD__V1__STATUS_INFO__INIT;
	Ward__V1__CheckpointInfo ck = WARD__V1__CHECKPOINT_INFO__INIT;
	size_t n;
	void *m;

	rep.reason = (Ward__V1__Reason)o.reason;
	rep.detail = o.detail;
	if (o.has_pos)
		rep.audit_pos = o.pos;
	if (o.has_approval) {
		ap.message.data = adec.msg;
		ap.message.len = adec.msg_len;
		ap.signature.data = adec.sig;
		ap.signature.len = WARD_SIG_BYTES;
		ap.audit_pos = adec.audit_pos;
		rep.approval = &ap;
	}
	if (o.has_status) {
		st.audit_records = core_log.seq;
		st.audit_head.data = core_log.head;
		st.audit_head.len = WARD_ID_BYTES;
		st.approvals = core.approval_seq;
		st.open_contexts = ct_open;
		st.revoked = core.revoked.count;
		st.core_key.data = core_pk;
		st.core_key.len = WARD_KEY_BYTES;
		st.uptime = now_s() - started;
		st.trusted_keys = core.trust.n;
		st.commits = jw.syncs;
		st.ledger_entries = ledger_live();
		st.ledger_capacity = WARD_LEDGER_N;
		rep.status = &st;
	}
	if (o.has_ckpt) {
		ck.seq = o.ck_seq;
		ck.head.data = o.ck_head;
		ck.head.len = WARD_ID_BYTES;
		ck.time = o.ck_time;
		ck.signature.data = o.ck_sig;
		ck.signature.len = WARD_SIG_BYTES;
		rep.checkpoint = &ck;
	}
	if (o.has_block_id) {
		rep.block_id.data = o.block_id;
		rep.block_id.len = WARD_ID_BYTES;
	}
	if (o.has_ctx) {
		rep.context.data = o.ctx;
		rep.context.len = WARD_CTX_BYTES;
	}
	if (o.has_list)
		pack_list(&rep);
	if (o.has_pending_list)
		pack_pending(&rep);
	rep.pending_id = o.pending_id;
	rep.pending_deadline = o.pending_deadline;
	if (o.has_sealed) {
		rep.sealed_secret.data = o.sealed;
		rep.sealed_secret.len = o.sealed_len;
	}
	if (o.has_names) {
		static const char *nm[VAULT_MAX];
		static ProtobufCBinaryData nb[VAULT_MAX];
		uint32_t i, nn;

		vault_names(nm, &nn);
		for (i = 0; i < nn; i++) {
			nb[i].data = (uint8_t *)nm[i];
			nb[i].len = strlen(nm[i]);
		}
		rep.n_secrets = nn;
		rep.secrets = nb;
	}
	n = ward__v1__reply__get_packed_size(&rep);
	m = nn_allocmsg(n ? n : 1, 0);
	if (m == NULL)
		die("out of memory for a reply");
	ward__v1__reply__pack(&rep, m);
	pend[npend].sock = sock;
	pend[npend].ctl = ctl;
	pend[npend].msg = m;
	pend[npend].len = n;
	npend++;
}

/* Release the batch: only after commit().  A client that went away or
 * does not read loses its reply; nobody else waits for it. */
static void
flush_replies(void)
{
	uint32_t i;

	for (i = 0; i < npend; i++) {
		struct nn_msghdr h;
		struct nn_iovec iov;

		memset(&h, 0, sizeof h);
		iov.iov_base = &pend[i].msg;
		iov.iov_len = NN_MSG;
		h.msg_iov = &iov;
		h.msg_iovlen = 1;
		h.msg_control = &pend[i].ctl;
		h.msg_controllen = NN_MSG;
		if (nn_sendmsg(pend[i].sock, &h, NN_DONTWAIT) < 0) {
			nn_freemsg(pend[i].msg);
			if (pend[i].ctl != NULL)
				nn_freemsg(pend[i].ctl);
		}
	}
	npend = 0;
}

/* ---- handlers -------------------------------------------------------------- */

/* Copy the n links in use, not the whole fixed array. */
static void
chain_copy(struct ward_chain *dst, const struct ward_chain *src)
{
	uint32_t i;

	dst->n = src->n;
	for (i = 0; i < src->n && i < WARD_CHAIN_MAX; i++) {
		dst->l[i].raw_len = src->l[i].raw_len;
		memcpy(dst->l[i].raw, src->l[i].raw, src->l[i].raw_len);
	}
}

/* Verify wq.chain (raw) into vch at now; reason or WARD_OK. */
static int
verify_chain(uint64_t now)
{
	chain_copy(&vch, &wq.chain);
	return ward_chain_verify(&vch, &core.trust, &core.revoked, now);
}

static int
h_open(unsigned sock, uint64_t now)
{
	const struct ward_link *leaf;
	int r = verify_chain(now);

	if (r != WARD_OK) {
		refused(r, "open context: the grant does not verify (%s)",
			wn_reason((unsigned)r));
		o.pos = log_event(JV_BLOCKED, (unsigned)r, JK_OPEN, sock, NULL,
				  NULL, NULL, now, 0, o.detail);
		return r;
	}
	leaf = &vch.l[vch.n - 1];
	/* A session is opened from an operator grant, a chain of one block.
	 * A delegation gets a context of its own through spawn, which records
	 * the context it came from: every context but a session has a parent,
	 * so revoking a session reaches every context descended from it. */
	if (vch.n != 1) {
		r = WARD_E_CONTEXT;
		refused(r, "open context: a context is opened from an operator "
			"grant (a chain of one block); a delegated chain gets its "
			"context through spawn");
		o.pos = log_event(JV_BLOCKED, (unsigned)r, JK_OPEN, sock,
				  leaf->b.context, NULL, leaf->id, now, 0, o.detail);
		return r;
	}
	r = ctx_open(leaf->b.context, NULL, leaf->id);
	if (r != WARD_OK) {
		refused(r, "open context: %s",
			r == WR_CONTEXT_REUSED ? "this context id was opened "
			"before; context ids are never reused" :
			r == WARD_E_CONTEXT_EXISTS ? "already open" :
			"no room for another context: this ward home has "
			"opened as many as its core remembers (32768); start "
			"a new home with 'ward init'");
		o.pos = log_event(JV_BLOCKED, (unsigned)r, JK_OPEN, sock,
				  leaf->b.context, NULL, leaf->id, now, 0, o.detail);
		return r;
	}
	o.pos = log_event(JV_ALLOWED, WARD_OK, JK_OPEN, sock, leaf->b.context,
			  NULL, leaf->id, now, 0, "context opened from grant");
	o.has_ctx = 1;
	memcpy(o.ctx, leaf->b.context, WARD_CTX_BYTES);
	o.has_block_id = 1;
	memcpy(o.block_id, leaf->id, WARD_ID_BYTES);
	return WARD_OK;
}

/* ---- the vault (vault.h) --------------------------------------------------- */

/* The secret's name in a secret.use resource "NAME@host:port/header";
 * 0 when the resource has no such name. */
static size_t
secret_name(char name[VAULT_NAME_MAX + 1])
{
	size_t i;

	for (i = 0; i < wq.resource_len && i < VAULT_NAME_MAX &&
	     wq.resource[i] != '@'; i++)
		name[i] = (char)wq.resource[i];
	name[i] = '\0';
	if (i == 0 || i >= wq.resource_len || wq.resource[i] != '@' ||
	    !vault_name_ok(wq.resource, i))
		return 0;
	return i;
}

/* Before the decision: a secret.use the core could not honour (no such
 * secret, no ward-egress key to seal it to) is refused without spending a
 * use, and logged.  Which names the vault holds is told only to a caller
 * whose chain verifies and whose leaf grants secret.use of exactly this
 * resource in this context (it holds a capability naming the secret
 * already); anyone else gets the decision's own refusal, as for any
 * resource it holds no capability for. */
static int
secret_refused(unsigned sock, uint64_t now)
{
	char name[VAULT_NAME_MAX + 1];
	const struct ward_block *leaf;
	int r = 0;

	if (secret_name(name) == 0)
		return 0;	/* not NAME@...: the decision refuses it */
	if (vault_has(name) && vault_has_egress())
		return 0;
	if (verify_chain(now) != WARD_OK || vch.n == 0)
		return 0;
	leaf = &vch.l[vch.n - 1].b;
	if (leaf->kind != WARD_KIND_SECRET || leaf->r_read != 1 ||
	    memcmp(leaf->context, wq.context, WARD_CTX_BYTES) != 0 ||
	    ward_scope_within(WARD_KIND_SECRET, wq.resource, wq.resource_len,
			      leaf->scope, leaf->scope_len) != 1)
		return 0;
	if (!vault_has(name))
		r = refused(WR_SECRET_UNKNOWN, "secret.use: the vault holds no "
			    "secret %s ('ward secret set %s' stores one)", name, name);
	else
		r = refused(WR_SECRET_NO_EGRESS, "secret.use: no ward-egress key "
			    "(%s/egress.pub) to seal the value to; 'ward init' "
			    "makes one", H.pub);
	o.pos = log_event(JV_BLOCKED, (unsigned)r, JK_APPROVE, sock, wq.context,
			  NULL, NULL, now, wq.nonce, o.detail);
	return 1;
}

/* After an approval of secret.use: the value, sealed to ward-egress's key
 * with the approval's hash, goes in the reply.  The use is spent and
 * logged already; a value that cannot be sealed is an internal error,
 * and the approval is withheld. */
static void
secret_release(void)
{
	char name[VAULT_NAME_MAX + 1];

	if (secret_name(name) == 0 ||
	    vault_seal(name, adec.msg, adec.msg_len, o.sealed,
		       &o.sealed_len) != 0) {
		o.has_approval = 0;
		refused(WR_INTERNAL, "secret.use: the value of %s could not be "
			"sealed; nothing was released", name);
		return;
	}
	o.has_sealed = 1;
}

/* Admin only: set, list, remove.  The value arrives sealed to the core's
 * X25519 key and is opened here only to be encrypted under the vault's
 * key; the log names the secret, never its value. */
static int
h_secret(unsigned sock, uint64_t now)
{
	uint8_t xsk[crypto_box_SECRETKEYBYTES], xpk[crypto_box_PUBLICKEYBYTES];
	uint8_t val[WIRE_SEALED_MAX];
	char err[256], text[160];
	int r;

	if (sock != JS_ADMIN) {
		refused(WR_ADMIN_ONLY, "the vault is the operator's, on the admin "
			"socket");
		o.pos = log_event(JV_BLOCKED, WR_ADMIN_ONLY, JK_SECRET, sock, NULL,
				  NULL, NULL, now, 0, o.detail);
		return o.reason;
	}
	if (wq.kind == WQ_SECRET_LIST) {
		o.has_names = 1;
		o.has_pos = 0;
		snprintf(o.detail, sizeof o.detail, "secrets listed");
		return WARD_OK;
	}
	if (wq.kind == WQ_SECRET_RM) {
		r = vault_rm(wq.name, err, sizeof err);
		if (r != 0) {
			refused(r > 0 ? WR_SECRET_UNKNOWN : WR_VAULT, "secret %s: %s",
				wq.name, r > 0 ? "no such secret" : err);
			o.pos = log_event(JV_BLOCKED, (unsigned)o.reason, JK_SECRET,
					  sock, NULL, NULL, NULL, now, 0, o.detail);
			return o.reason;
		}
		snprintf(text, sizeof text, "secret %s removed", wq.name);
		o.pos = log_event(JV_ALLOWED, WARD_OK, JK_SECRET, sock, NULL, NULL,
				  NULL, now, 0, text);
		snprintf(o.detail, sizeof o.detail, "%s", text);
		return WARD_OK;
	}
	r = -1;
	(void)sodium_mlock(val, sizeof val);
	if (crypto_sign_ed25519_pk_to_curve25519(xpk, core_pk) == 0 &&
	    crypto_sign_ed25519_sk_to_curve25519(xsk, core.sk) == 0 &&
	    wq.sealed_len > crypto_box_SEALBYTES &&
	    crypto_box_seal_open(val, wq.sealed, wq.sealed_len, xpk, xsk) == 0)
		r = vault_set(wq.name, val, wq.sealed_len - crypto_box_SEALBYTES,
			      err, sizeof err);
	else
		snprintf(err, sizeof err, "the value is not sealed to this "
			 "core's key (pub/core.pub)");
	sodium_memzero(xsk, sizeof xsk);
	sodium_munlock(val, sizeof val);
	if (r != 0) {
		refused(WR_VAULT, "secret %s refused: %s", wq.name, err);
		o.pos = log_event(JV_BLOCKED, WR_VAULT, JK_SECRET, sock, NULL, NULL,
				  NULL, now, 0, o.detail);
		return o.reason;
	}
	snprintf(text, sizeof text, "secret %s set", wq.name);
	o.pos = log_event(JV_ALLOWED, WARD_OK, JK_SECRET, sock, NULL, NULL, NULL,
			  now, 0, text);
	snprintf(o.detail, sizeof o.detail, "%s", text);
	return WARD_OK;
}

/* The answer of pending.c, into the reply. */
static int
pd_reply(int r, const struct pd_out *po)
{
	o.reason = r;
	snprintf(o.detail, sizeof o.detail, "%s", po->detail);
	o.pos = po->pos;
	o.pending_id = po->id;
	o.pending_deadline = po->deadline;
	return r;
}

/* The context the block of ledger entry slot is bound to: that of the
 * approved chain's link with its id (every dirty entry is one of them). */
static const uint8_t *
block_ctx(uint32_t slot)
{
	uint32_t j;

	for (j = 0; j < areq.chain.n && j < WARD_CHAIN_MAX; j++)
		if (memcmp(areq.chain.l[j].id, core.ledger.e[slot].id,
			   WARD_ID_BYTES) == 0)
			return areq.chain.l[j].b.context;
	die("a reserved ledger entry is not a block of the approved chain");
}

static int
h_approve(unsigned sock, uint64_t now)
{
	uint8_t prev[WARD_ID_BYTES];
	struct pd_out po;
	uint32_t i;
	int r;

	/* A call under a chain the operator marked 'ask' waits for the
	 * operator's answer first (pending.h). */
	r = pd_gate(&wq, sock, now, &po);
	if (r != PD_GO)
		return pd_reply(r, &po);

	/* The lineage rule is the verified library's (approve.h): every
	 * block of the chain is bound to this context or to one it was
	 * spawned from, as the core's context table records. */
	memset(&areq.context, 0, sizeof areq.context);
	memcpy(areq.context, wq.context, WARD_CTX_BYTES);
	areq.op = wq.op;
	areq.resource_len = wq.resource_len;
	memcpy(areq.resource, wq.resource, wq.resource_len);
	memcpy(areq.digest, wq.digest, WARD_ID_BYTES);
	areq.nonce = wq.nonce;
	areq.now = now;
	chain_copy(&areq.chain, &wq.chain);
	if (wq.op == WARD_OP_SECRET_USE && secret_refused(sock, now))
		return o.reason;
	memcpy(prev, core_log.head, sizeof prev);
	r = ward_approve(&core, &core_log, &areq, &adec);
	pd_used(po.used);	/* the operator's answer served this call */
	if (adec.audit_pos != UINT64_MAX) {
		jr_add(&jw, adec.audit_pos, prev, adec.rec, adec.rec_len,
		       core_log.head);
		o.pos = adec.audit_pos;
	} else {
		o.pos = log_event(JV_BLOCKED, (unsigned)r, JK_APPROVE, sock,
				  wq.context, NULL, NULL, now, wq.nonce,
				  "approve: refused before the core could log it");
	}
	/* A refusal leaves the ledger as it found it (ward_approve takes
	 * back the entries it registered: refused_uses, approve.h), so
	 * refusals, which cost their sender nothing, cannot fill the ledger
	 * every session shares. */
	if (r != WARD_OK)
		return refused(r, "approve refused: %s", wn_reason((unsigned)r));
	/* Persist-before-release: the reservations go into this batch,
	 * which is on disk before the approval leaves. */
	for (i = 0; i < adec.n_dirty; i++) {
		log_reserve(adec.dirty[i], block_ctx(adec.dirty[i]));
		ward_ledger_clean(&core.ledger, adec.dirty[i]);
	}
	o.has_approval = 1;
	snprintf(o.detail, sizeof o.detail, "approved");
	if (wq.op == WARD_OP_SECRET_USE)
		secret_release();
	return WARD_OK;
}

static int
h_attenuate(unsigned sock, uint64_t now)
{
	const struct ward_link *parent, *child;
	uint16_t idx;
	int r;

	if (wq.chain.n >= WARD_CHAIN_MAX) {
		refused(WARD_E_CHAIN_TOO_LONG, "attenuate: the chain is already "
			"8 blocks long; it cannot be extended");
		o.pos = log_event(JV_BLOCKED, WARD_E_CHAIN_TOO_LONG, JK_ATTENUATE,
				  sock, NULL, NULL, NULL, now, 0, o.detail);
		return o.reason;
	}
	memcpy(wq.chain.l[wq.chain.n].raw, wq.child, wq.child_len);
	wq.chain.l[wq.chain.n].raw_len = wq.child_len;
	wq.chain.n++;
	r = verify_chain(now);
	if (r != WARD_OK) {
		refused(r, "attenuate: the delegation is refused (%s)",
			wn_reason((unsigned)r));
		o.pos = log_event(JV_BLOCKED, (unsigned)r, JK_ATTENUATE, sock,
				  NULL, NULL, NULL, now, 0, o.detail);
		return r;
	}
	parent = &vch.l[vch.n - 2];
	child = &vch.l[vch.n - 1];
	if (ward_context_find(&core.contexts, parent->b.context, &idx) != WARD_OK) {
		refused(WARD_E_CONTEXT_UNKNOWN, "attenuate: the parent's context "
			"is not open");
		o.pos = log_event(JV_BLOCKED, WARD_E_CONTEXT_UNKNOWN, JK_ATTENUATE,
				  sock, parent->b.context, NULL, child->id, now, 0,
				  o.detail);
		return o.reason;
	}
	o.has_block_id = 1;
	memcpy(o.block_id, child->id, WARD_ID_BYTES);
	if (!wq.open_child) {
		if (memcmp(child->b.context, parent->b.context, WARD_CTX_BYTES) != 0) {
			refused(WARD_E_CONTEXT, "attenuate: the child is bound to "
				"another context; only a spawn (open_child_context) "
				"may move it to a fresh one");
			o.pos = log_event(JV_BLOCKED, WARD_E_CONTEXT, JK_ATTENUATE,
					  sock, child->b.context, parent->b.context,
					  child->id, now, 0, o.detail);
			return o.reason;
		}
		o.pos = log_event(JV_ALLOWED, WARD_OK, JK_ATTENUATE, sock,
				  child->b.context, parent->b.context, child->id,
				  now, 0, "delegation verified");
		return WARD_OK;
	}
	r = ctx_open(child->b.context, parent->b.context, child->id);
	if (r != WARD_OK) {
		refused(r, "spawn: cannot open the child's context (%s)",
			wn_reason((unsigned)r));
		o.pos = log_event(JV_BLOCKED, (unsigned)r, JK_SPAWN, sock,
				  child->b.context, parent->b.context, child->id,
				  now, 0, o.detail);
		return r;
	}
	o.has_ctx = 1;
	memcpy(o.ctx, child->b.context, WARD_CTX_BYTES);
	o.pos = log_event(JV_ALLOWED, WARD_OK, JK_SPAWN, sock, child->b.context,
			  parent->b.context, child->id, now, 0,
			  "child context opened");
	return WARD_OK;
}

/* Close ctx and every context spawned from it, logging each.  Spawning
 * takes one more block of chain each time, so the tree is at most
 * WARD_CHAIN_MAX levels deep: one pass over the table per level. */
static int
close_tree(unsigned sock, const uint8_t *ctx, uint64_t now, int revoke)
{
	struct ctent *e = ct_find(ctx), *p;
	uint32_t i, level;
	int grew = 1;

	if (e == NULL)
		return WARD_E_CONTEXT_UNKNOWN;
	/* The operator's revocation of a context also revokes its grant,
	 * kept for ever, so that 'ward status' and 'ward revoke' can show
	 * it.  A broker's does not store it: the grant is bound to ctx,
	 * which this closes, and nothing bound to a closed context can be
	 * used again (ct_dead); storing it would only let a broker that
	 * spawns and revokes contexts fill the set every session shares. */
	if (revoke && sock == JS_ADMIN) {
		/* Revoked whatever the answer: a full bucket fails closed
		 * (revoke.h), and the event is logged so that the revocation
		 * is replayed at the next start. */
		int full = ward_revoke(&core.revoked, e->grant) != WARD_OK;

		o.pos = log_event(JV_ALLOWED, WARD_OK, JK_REVOKE, sock, ctx, NULL,
				  e->grant, now, 0, full ? REVOKE_FULL_NOTE :
				  "grant of a revoked context");
	}
	for (i = 0; i < CT_N; i++)
		ctab[i].mark = 0;
	e->mark = 1;
	for (level = 0; level <= LINEAGE_MAX && grew; level++) {
		grew = 0;
		for (i = 0; i < CT_N; i++) {
			if (ctab[i].state == CT_FREE || ctab[i].mark ||
			    !ctab[i].has_parent)
				continue;
			p = ct_find(ctab[i].parent);
			if (p != NULL && p->mark) {
				ctab[i].mark = 1;
				grew = 1;
			}
		}
	}
	for (i = 0; i < CT_N; i++) {
		if (!ctab[i].mark || ctab[i].state != CT_OPEN)
			continue;
		ctx_close(ctab[i].id);
		o.pos = log_event(JV_ALLOWED, WARD_OK, JK_CLOSE, sock, ctab[i].id,
				  NULL, NULL, now, 0, revoke ? "context revoked" :
				  "context closed");
	}
	return WARD_OK;
}

/* May a broker store the revocation of block id, bound to context bctx?
 * WARD_OK, or the reason it may not (refused and logged here).  Only a
 * block bound to an open context of this core needs storing (ct_dead: a
 * block bound to a closed one can never be used again), and each session
 * stores at most REV_TREE_MAX.  The operator's revocations are not
 * limited. */
static int
revoke_quota(unsigned sock, const uint8_t *id, const uint8_t *bctx,
	     uint64_t now)
{
	const struct ctent *e = ct_find(bctx), *root = ct_root(bctx);

	if (sock != JS_BROKER)
		return WARD_OK;
	/* Every revocation stored counts.  The id is not revoked yet, nor
	 * is its bucket poisoned: verify_chain refused the chain otherwise. */
	if (e == NULL || root == NULL) {
		refused(WARD_E_CONTEXT_UNKNOWN, "revoke: the block is bound to a "
			"context this core never opened; the operator can "
			"revoke it by id (ward revoke <cap-id>)");
	} else if (e->state != CT_OPEN) {
		refused(WR_CONTEXT_CLOSED, "revoke: the block is bound to a "
			"closed context, and nothing bound to a closed context "
			"can be used again: there is nothing to revoke");
	} else if (root->revokes >= REV_TREE_MAX) {
		refused(WR_REVOKE_QUOTA, "revoke: this session has revoked %u "
			"blocks, as many as one session may (the revocation set "
			"is shared by every session); revoke a context as a "
			"whole (whole_context), or ask the operator",
			REV_TREE_MAX);
	} else {
		return WARD_OK;
	}
	o.pos = log_event(JV_BLOCKED, o.reason, JK_REVOKE, sock, bctx, NULL,
			  id, now, 0, o.detail);
	return o.reason;
}

static int
h_revoke(unsigned sock, uint64_t now)
{
	const uint8_t *id, *ctx = NULL;
	int r, bound;

	if (!wq.has_chain && sock != JS_ADMIN) {
		refused(WR_ADMIN_ONLY, "revoke by bare id is for the operator "
			"(admin socket); the broker must show the chain");
		o.pos = log_event(JV_BLOCKED, WR_ADMIN_ONLY, JK_REVOKE, sock,
				  wq.has_context ? wq.context : NULL, NULL,
				  wq.has_block_id ? wq.block_id : NULL, now, 0,
				  o.detail);
		return o.reason;
	}
	if (wq.has_chain) {
		r = verify_chain(now);
		if (r != WARD_OK) {
			refused(r, "revoke: the chain does not verify (%s)",
				wn_reason((unsigned)r));
			o.pos = log_event(JV_BLOCKED, (unsigned)r, JK_REVOKE, sock,
					  NULL, NULL, NULL, now, 0, o.detail);
			return r;
		}
		if (wq.whole_context) {
			ctx = vch.l[vch.n - 1].b.context;
		} else {
			if (wq.target >= vch.n) {
				refused(WR_TARGET, "revoke: target %u is not a block "
					"of the chain (it has %u)", wq.target, vch.n);
				o.pos = log_event(JV_BLOCKED, WR_TARGET, JK_REVOKE,
						  sock, NULL, NULL, NULL, now, 0,
						  o.detail);
				return o.reason;
			}
			r = revoke_quota(sock, vch.l[wq.target].id,
					 vch.l[wq.target].b.context, now);
			if (r != WARD_OK)
				return r;
			id = vch.l[wq.target].id;
			ctx = vch.l[wq.target].b.context;
			goto revoke_id;
		}
	} else if (wq.has_context) {
		ctx = wq.context;
	} else {
		id = wq.block_id;
		goto revoke_id;
	}
	r = close_tree(sock, ctx, now, 1);
	if (r != WARD_OK) {
		refused(r, "revoke context: %s", wn_reason((unsigned)r));
		o.pos = log_event(JV_BLOCKED, (unsigned)r, JK_REVOKE, sock, ctx,
				  NULL, NULL, now, 0, o.detail);
		return r;
	}
	snprintf(o.detail, sizeof o.detail, "context revoked");
	return WARD_OK;
revoke_id:
	/* Revoked whatever the answer: a full bucket fails closed (revoke.h),
	 * and the event is logged so that the revocation is replayed at the
	 * next start. */
	bound = ctx != NULL && sock == JS_BROKER;
	if (bound)
		ct_root(ctx)->revokes++;
	r = ward_revoke(&core.revoked, id);
	o.has_block_id = 1;
	memcpy(o.block_id, id, WARD_ID_BYTES);
	/* A broker's record says that ctx is the context the block is bound
	 * to: a restart forgets the revocation once that context is closed
	 * (rev_replay).  The operator's are kept for ever. */
	o.pos = log_event(JV_ALLOWED, WARD_OK, JK_REVOKE, sock, ctx, NULL, id,
			  now, (uint64_t)bound, r == WARD_OK ?
			  "block revoked, with every descendant" : REVOKE_FULL_NOTE);
	snprintf(o.detail, sizeof o.detail, "%s",
		 r == WARD_OK ? "revoked" : REVOKE_FULL_NOTE);
	return WARD_OK;
}

static int
h_close(unsigned sock, uint64_t now)
{
	int r;

	if (!wq.has_chain && sock != JS_ADMIN) {
		refused(WR_ADMIN_ONLY, "close by bare context id is for the "
			"operator; the broker must show a chain bound to it");
		o.pos = log_event(JV_BLOCKED, WR_ADMIN_ONLY, JK_CLOSE, sock,
				  wq.context, NULL, NULL, now, 0, o.detail);
		return o.reason;
	}
	if (wq.has_chain) {
		r = verify_chain(now);
		if (r == WARD_OK &&
		    memcmp(vch.l[vch.n - 1].b.context, wq.context, WARD_CTX_BYTES))
			r = WARD_E_CONTEXT;
		if (r != WARD_OK) {
			refused(r, "close: the chain does not show authority over "
				"this context (%s)", wn_reason((unsigned)r));
			o.pos = log_event(JV_BLOCKED, (unsigned)r, JK_CLOSE, sock,
					  wq.context, NULL, NULL, now, 0, o.detail);
			return r;
		}
	}
	{
		struct ctent *e = ct_find(wq.context);

		if (e == NULL || e->state != CT_OPEN) {
			r = e == NULL ? WARD_E_CONTEXT_UNKNOWN : WR_CONTEXT_CLOSED;
			refused(r, "close: the context is not open");
			o.pos = log_event(JV_BLOCKED, (unsigned)r, JK_CLOSE, sock,
					  wq.context, NULL, NULL, now, 0, o.detail);
			return r;
		}
	}
	r = close_tree(sock, wq.context, now, 0);
	snprintf(o.detail, sizeof o.detail, "context closed");
	return r;
}

static int
h_log(unsigned sock, uint64_t now)
{
	char text[JR_TEXT_MAX + 1];
	uint16_t idx;

	if (ward_context_find(&core.contexts, wq.context, &idx) != WARD_OK) {
		refused(WARD_E_CONTEXT_UNKNOWN, "log: the context is not open");
		o.pos = log_event(JV_BLOCKED, WARD_E_CONTEXT_UNKNOWN, JK_LOG, sock,
				  wq.context, NULL, NULL, now, 0, o.detail);
		return o.reason;
	}
	memcpy(text, wq.text, wq.text_len);
	text[wq.text_len] = '\0';
	o.pos = log_event(JV_REPORTED, WARD_OK, JK_LOG, sock, wq.context, NULL,
			  NULL, now, 0, text);
	snprintf(o.detail, sizeof o.detail, "logged");
	return WARD_OK;
}

static int
h_checkpoint(unsigned sock, uint64_t now)
{
	(void)sock;
	o.has_ckpt = 1;
	o.ck_seq = core_log.seq;
	memcpy(o.ck_head, core_log.head, WARD_ID_BYTES);
	o.ck_time = now;
	if (jr_ckpt_sign(o.ck_sig, o.ck_seq, o.ck_head, now, core.sk) != 0)
		die("cannot sign a checkpoint");
	o.pos = core_log.seq;
	log_checkpoint(now);
	snprintf(o.detail, sizeof o.detail, "checkpoint written");
	return WARD_OK;
}

static int
h_trust(unsigned sock, uint64_t now)
{
	int r;

	if (sock != JS_ADMIN) {
		refused(WR_ADMIN_ONLY, "trusting a key mints authority: only the "
			"operator can, on the admin socket");
		o.pos = log_event(JV_BLOCKED, WR_ADMIN_ONLY, JK_TRUST, sock, NULL,
				  NULL, wq.key, now, 0, o.detail);
		return o.reason;
	}
	r = trust_add(wq.key);
	if (r != WARD_OK) {
		refused(r, "trust: already %u trusted keys", WARD_AUTH_MAX);
		o.pos = log_event(JV_BLOCKED, (unsigned)r, JK_TRUST, sock, NULL,
				  NULL, wq.key, now, 0, o.detail);
		return r;
	}
	o.pos = log_event(JV_ALLOWED, WARD_OK, JK_TRUST, sock, NULL, NULL,
			  wq.key, now, 0, "key trusted as an issuer of roots");
	snprintf(o.detail, sizeof o.detail, "trusted");
	return WARD_OK;
}

/* ListContexts: what the core knows of contexts, for the operator's CLI
 * (ward revoke, ward status), which must not take a session or a grant
 * from the broker's word.  Read-only; the admin record that authenticated
 * the request is its only trace. */
static int
h_list(unsigned sock, uint64_t now)
{
	const struct ctent *e = NULL;
	uint32_t i;

	if (sock != JS_ADMIN) {
		refused(WR_ADMIN_ONLY, "list contexts is for the operator, on the "
			"admin socket");
		o.pos = log_event(JV_BLOCKED, WR_ADMIN_ONLY, JK_LIST, sock, NULL,
				  NULL, NULL, now, 0, o.detail);
		return o.reason;
	}
	o.has_pos = 0;
	o.has_list = 1;
	if (wq.has_block_id)
		o.block_revoked = ward_is_revoked(&core.revoked, wq.block_id) == 1;
	if (wq.has_context) {
		e = ct_find(wq.context);
		if (e == NULL) {
			snprintf(o.detail, sizeof o.detail, "no such context");
			return WARD_OK;
		}
		listed[o.n_list++] = e;
	}
	for (i = 0; i < CT_N; i++) {
		const struct ctent *c = &ctab[i];

		if (c->state == CT_FREE || c == e)
			continue;
		if (e == NULL ? c->state != CT_OPEN :
		    !c->has_parent || !ct_lineage(c->parent, wq.context))
			continue;
		if (o.n_list == LIST_MAX) {
			o.list_truncated = 1;
			break;
		}
		listed[o.n_list++] = c;
	}
	snprintf(o.detail, sizeof o.detail, "%u context%s", o.n_list,
		 o.n_list == 1 ? "" : "s");
	return WARD_OK;
}

static int
h_ask(unsigned sock, uint64_t now)
{
	struct pd_out po;

	return pd_reply(pd_ask(&wq, sock, now, &po), &po);
}

static int
h_pending(unsigned sock, uint64_t now)
{
	struct pd_out po;
	int r = pd_answer(&wq, sock, now, &po);

	pd_reply(r, &po);
	if (r == WARD_OK && wq.answer == 0) {
		/* A read-only query: the admin record is its only trace. */
		o.has_pos = 0;
		o.has_pending_list = 1;
	}
	return r;
}

static const unsigned kind_of[] = {
	[WQ_NONE] = JK_UNKNOWN, [WQ_OPEN] = JK_OPEN, [WQ_APPROVE] = JK_APPROVE,
	[WQ_ATTENUATE] = JK_ATTENUATE, [WQ_REVOKE] = JK_REVOKE,
	[WQ_CLOSE] = JK_CLOSE, [WQ_LOG] = JK_LOG, [WQ_STATUS] = JK_STATUS,
	[WQ_CHECKPOINT] = JK_CHECKPOINT, [WQ_TRUST] = JK_TRUST,
	[WQ_LIST] = JK_LIST, [WQ_SECRET_SET] = JK_SECRET,
	[WQ_SECRET_LIST] = JK_SECRET, [WQ_SECRET_RM] = JK_SECRET,
	[WQ_ASK] = JK_ASK, [WQ_PENDING] = JK_DEFER,
};

/* Decode and decide one request.  o is filled for the reply. */
static void
handle_request(unsigned sock, const uint8_t *buf, size_t len, uint64_t now)
{
	char detail[200];
	int r = wire_decode_request(buf, len, &wq, detail, sizeof detail);

	if (r != 0) {
		refused(r, "request refused: %s", detail);
		o.pos = log_event(JV_BLOCKED, (unsigned)r,
				  kind_of[wq.kind], sock,
				  wq.has_context ? wq.context : NULL, NULL, NULL,
				  now, 0, o.detail);
		o.has_pos = 1;
		return;
	}
	o.has_pos = 1;
	switch (wq.kind) {
	case WQ_OPEN: h_open(sock, now); break;
	case WQ_APPROVE: h_approve(sock, now); break;
	case WQ_ATTENUATE: h_attenuate(sock, now); break;
	case WQ_REVOKE: h_revoke(sock, now); break;
	case WQ_CLOSE: h_close(sock, now); break;
	case WQ_LOG: h_log(sock, now); break;
	case WQ_CHECKPOINT: h_checkpoint(sock, now); break;
	case WQ_TRUST: h_trust(sock, now); break;
	case WQ_LIST: h_list(sock, now); break;
	case WQ_SECRET_SET:
	case WQ_SECRET_LIST:
	case WQ_SECRET_RM: h_secret(sock, now); break;
	case WQ_ASK: h_ask(sock, now); break;
	case WQ_PENDING: h_pending(sock, now); break;
	case WQ_STATUS:
	default:
		o.has_status = 1;
		o.has_pos = 0;
		snprintf(o.detail, sizeof o.detail, "status");
		break;
	}
}

static void
handle_admin(const uint8_t *buf, size_t len, uint64_t now)
{
	static uint8_t signed_buf[40 + WIRE_MSG_MAX];
	struct wire_admin a;
	char detail[200];
	size_t n;
	int r = wire_decode_admin(buf, len, &a, detail, sizeof detail);

	o.has_pos = 1;
	if (r != 0) {
		refused(r, "admin request refused: %s", detail);
		o.pos = log_event(JV_BLOCKED, (unsigned)r, JK_ADMIN, JS_ADMIN, NULL,
				  NULL, NULL, now, 0, o.detail);
		return;
	}
	n = wire_admin_signed_bytes(signed_buf, a.timestamp, a.nonce,
				    a.request, a.request_len);
	if (crypto_sign_verify_detached(a.sig, signed_buf, n, op_pk) != 0) {
		refused(WR_ADMIN_SIGNATURE, "admin request refused: the signature "
			"does not verify under the operator key (keys/operator.pub)");
		o.pos = log_event(JV_BLOCKED, WR_ADMIN_SIGNATURE, JK_ADMIN,
				  JS_ADMIN, NULL, a.nonce, NULL, now, a.timestamp,
				  o.detail);
		return;
	}
	if (a.timestamp + WIRE_ADMIN_WINDOW < now ||
	    a.timestamp > now + WIRE_ADMIN_WINDOW) {
		refused(WR_ADMIN_STALE, "admin request refused: its timestamp is "
			"more than %u s from the core's clock (check the clock)",
			WIRE_ADMIN_WINDOW);
		o.pos = log_event(JV_BLOCKED, WR_ADMIN_STALE, JK_ADMIN, JS_ADMIN,
				  NULL, a.nonce, NULL, now, a.timestamp, o.detail);
		return;
	}
	r = admin_nonce(a.nonce, a.timestamp, now);
	if (r != 0) {
		r = r > 0 ? WR_ADMIN_REPLAY : WR_STATE_FULL;
		refused(r, r == WR_ADMIN_REPLAY ? "admin request refused: this "
			"nonce was used before (a replayed request)" :
			"admin request refused: too many admin requests in the "
			"last two minutes");
		o.pos = log_event(JV_BLOCKED, (unsigned)r, JK_ADMIN, JS_ADMIN,
				  NULL, a.nonce, NULL, now, a.timestamp, o.detail);
		return;
	}
	/* The nonce is journalled before the request acts. */
	log_event(JV_ALLOWED, WARD_OK, JK_ADMIN, JS_ADMIN, NULL, a.nonce, NULL,
		  now, a.timestamp, "operator request authenticated");
	handle_request(JS_ADMIN, a.request, a.request_len, now);
}

/* ---- what pending.c borrows (pending.h, struct pd_hooks) ------------------- */

static const uint8_t *
pd_session(const uint8_t *ctx)
{
	const struct ctent *e = ct_find(ctx), *root;

	if (e == NULL || e->state != CT_OPEN)
		return NULL;
	root = ct_root(ctx);
	return root != NULL ? root->id : NULL;
}

static int
pd_nonce_fresh(const uint8_t *ctx, uint64_t nonce)
{
	uint16_t idx;

	if (ward_context_find(&core.contexts, ctx, &idx) != WARD_OK)
		return WARD_E_CONTEXT_UNKNOWN;
#ifdef WARD_NONCE_BY_SLOT
	return ward_nonce_check(&core.contexts, idx, nonce);
#else
	return ward_nonce_check(&core.contexts.c[idx], nonce);
#endif
}

static void replay_nonce(uint32_t idx, uint64_t nonce);

static void
pd_nonce_spend(const uint8_t *ctx, uint64_t nonce)
{
	uint16_t idx;

	if (ward_context_find(&core.contexts, ctx, &idx) == WARD_OK)
		replay_nonce(idx, nonce);
}

static int
pd_verify(uint64_t now, const struct ward_chain **out)
{
	int r = verify_chain(now);

	*out = &vch;
	return r;
}

/* ---- recovery -------------------------------------------------------------- */

/* The nonce window of an approval, replayed from its record.  The library
 * is changing this API from a context pointer to (table, slot); srv.mk
 * probes which one core/context.h declares. */
static void
replay_nonce(uint32_t idx, uint64_t nonce)
{
#ifdef WARD_NONCE_BY_SLOT
	if (ward_nonce_check(&core.contexts, idx, nonce) == WARD_OK)
		ward_nonce_commit(&core.contexts, idx, nonce);
#else
	if (ward_nonce_check(&core.contexts.c[idx], nonce) == WARD_OK)
		ward_nonce_commit(&core.contexts.c[idx], nonce);
#endif
}

/* Room for one more of the n items of size sz at *v (capacity *cap),
 * read from the log: a start that cannot hold them stops. */
static void *
grow(void *v, size_t *cap, size_t n, size_t sz, const char *what)
{
	size_t c = *cap ? 2 * *cap : 1024;

	if (n < *cap)
		return v;
	v = realloc(v, c * sz);
	if (v == NULL)
		die("out of memory reading the %s of the log", what);
	*cap = c;
	return v;
}

/* Is ctx a context this core opened and has closed since?  Nothing bound to
 * it can be used again: contexts never reopen, and every use needs the
 * request's context open and each block bound to it or to an ancestor
 * (approved_lineage, approve.h; closing closes every descendant). */
static int
ct_dead(const uint8_t *ctx)
{
	const struct ctent *e = ct_find(ctx);

	return e != NULL && e->state != CT_OPEN;
}

/* Finish the closes a crash interrupted.  close_tree logs one JK_CLOSE
 * record per context, so a crash (or a full disk) between two of them can
 * leave a context open under a closed ancestor.  Such a context is closed
 * now, and logged, before rev_replay and rs_replay forget what is bound to
 * closed contexts: otherwise a block bound to the closed ancestor, still
 * usable through the open descendant, would lose its revocation and its
 * use count. */
static void
ct_finish_closes(uint64_t now)
{
	const struct ctent *p;
	uint32_t i, k;
	size_t n = 0;

	for (i = 0; i < CT_N; i++) {
		if (ctab[i].state != CT_OPEN)
			continue;
		p = &ctab[i];
		for (k = 0; p != NULL && p->has_parent && k < LINEAGE_MAX; k++) {
			p = ct_find(p->parent);
			if (p != NULL && p->state != CT_OPEN)
				break;
		}
		/* An ancestor not in the table cannot happen (replay refuses
		 * a spawn from an unknown parent); if it did, closing is the
		 * safe side. */
		if (p != NULL && p->state == CT_OPEN)
			continue;
		ctx_close(ctab[i].id);
		log_event(JV_ALLOWED, WARD_OK, JK_CLOSE, JS_CORE, ctab[i].id,
			  NULL, NULL, now, 0, "context closed: finishing the close of an "
			  "ancestor, which a crash interrupted");
		n++;
	}
	if (n > 0)
		fprintf(stderr, "ward-core: closed %zu context(s) open under a "
			"closed ancestor, finishing a close a crash "
			"interrupted\n", n);
}

/* The revocations read from the log, applied after it (rev_replay). */
struct rev_rec {
	uint8_t id[WARD_ID_BYTES];
	uint8_t ctx[WARD_CTX_BYTES];
	uint8_t bound;			/* ctx is the context id is bound to */
	uint64_t seq;
};
static struct rev_rec *rev_log;
static size_t rev_n, rev_cap;

static void
rev_defer(const uint8_t *p, uint64_t seq)
{
	struct rev_rec *x;

	rev_log = grow(rev_log, &rev_cap, rev_n, sizeof *x, "revocations");
	x = &rev_log[rev_n++];
	memcpy(x->id, p + JR_EV_ID, WARD_ID_BYTES);
	memcpy(x->ctx, p + JR_EV_CTX, WARD_CTX_BYTES);
	/* Only a broker's: records written before the operator's were told
	 * apart (4151b0d to 5f68cca) mark the operator's chain revocations
	 * too, and those are kept for ever. */
	x->bound = ward_get_be64(p + JR_EV_REV_BOUND) == 1 &&
		   p[JR_EV_SOCKET] == JS_BROKER;
	x->seq = seq;
}

/* Re-revoke what the log revoked, in its order, but for the blocks bound to
 * a context closed by now (ct_dead): storing them would only fill the set
 * that every session shares.  Each session's broker revocations are
 * counted again against REV_TREE_MAX.  Returns how many were forgotten. */
static size_t
rev_replay(void)
{
	size_t i, gone = 0;

	for (i = 0; i < rev_n; i++) {
		const struct rev_rec *x = &rev_log[i];
		struct ctent *root = x->bound ? ct_root(x->ctx) : NULL;

		if (x->bound && ct_dead(x->ctx)) {
			gone++;
			continue;
		}
		if (root != NULL)
			root->revokes++;
		/* A full bucket (the buckets differ from the last run's: a
		 * new key) poisons it: the id is revoked either way
		 * (revoke.h). */
		if (ward_revoke(&core.revoked, x->id) != WARD_OK)
			fprintf(stderr, "ward-core: audit record %llu: %s\n",
				(unsigned long long)x->seq, REVOKE_FULL_NOTE);
	}
	free(rev_log);
	rev_log = NULL;
	rev_n = rev_cap = 0;
	return gone;
}

/* The reservations read from the log, restored after it (rs_replay). */
struct rs_rec {
	uint8_t id[WARD_ID_BYTES];
	uint8_t ctx[WARD_CTX_BYTES];
	uint8_t has_ctx;
	uint32_t max, reserved;
	uint64_t seq;
};
static struct rs_rec *rs_log;
static size_t rs_n, rs_cap;

static void
rs_defer(const uint8_t *p, size_t len, uint64_t seq)
{
	struct rs_rec *x;

	rs_log = grow(rs_log, &rs_cap, rs_n, sizeof *x, "reservations");
	x = &rs_log[rs_n++];
	memcpy(x->id, p + JR_RS_ID, WARD_ID_BYTES);
	x->has_ctx = len == JR_RS_LEN_CTX;
	if (x->has_ctx)
		memcpy(x->ctx, p + JR_RS_CTX, WARD_CTX_BYTES);
	x->max = ward_get_be32(p + JR_RS_MAX);
	x->reserved = ward_get_be32(p + JR_RS_RESERVED);
	x->seq = seq;
}

/* Restore the use reservations, in the log's order, but for the blocks
 * bound to a context closed by now (ct_dead): their entries would only
 * fill the ledger every session shares, for the life of the home.  Returns
 * how many were skipped. */
static size_t
rs_replay(void)
{
	size_t i, gone = 0;
	int r;

	for (i = 0; i < rs_n; i++) {
		const struct rs_rec *x = &rs_log[i];

		if (x->has_ctx && ct_dead(x->ctx)) {
			gone++;
			continue;
		}
		r = ward_ledger_restore(&core.ledger, x->id, x->max,
					x->reserved);
		/* The buckets differ from the last run's (a new key), so a
		 * bucket may be full now where it was not then.  That fails
		 * closed: the block is refused with ledger_full for the life
		 * of this process. */
		if (r == WARD_E_LEDGER_FULL)
			fprintf(stderr, "ward-core: audit record %llu: the use "
				"ledger's bucket for this block is full after "
				"the restart; the block is refused (ledger_full) "
				"until the next one\n", (unsigned long long)x->seq);
		else if (r != WARD_OK)
			die("audit record %llu: cannot restore a use reservation",
			    (unsigned long long)x->seq);
	}
	free(rs_log);
	rs_log = NULL;
	rs_n = rs_cap = 0;
	return gone;
}

struct replay_state {
	uint64_t ck_seq;
	uint8_t ck_head[WARD_ID_BYTES];
	int ck_matched;
	uint64_t now;
};

static int
replay(const struct jr_rec *rr, void *arg)
{
	struct replay_state *s = arg;
	const uint8_t *p = rr->rec;
	uint16_t idx;

	if (s->ck_seq != 0 && rr->seq + 1 == s->ck_seq &&
	    memcmp(rr->head, s->ck_head, WARD_ID_BYTES) == 0)
		s->ck_matched = 1;
	switch (p[0]) {
	case JR_DECISION:
		if (rr->len < WARD_REC_OFF_RES ||
		    p[WARD_REC_OFF_VERDICT] != WARD_VERDICT_ALLOWED)
			break;
		if (ward_context_find(&core.contexts, p + WARD_REC_OFF_CONTEXT,
				      &idx) == WARD_OK)
			replay_nonce(idx, ward_get_be64(p + WARD_REC_OFF_NONCE));
		if (ward_get_be64(p + WARD_REC_OFF_SEQ) > core.approval_seq)
			core.approval_seq = ward_get_be64(p + WARD_REC_OFF_SEQ);
		break;
	case JR_RESERVE:
		if (rr->len != JR_RS_LEN && rr->len != JR_RS_LEN_CTX)
			die("audit record %llu: bad reservation record",
			    (unsigned long long)rr->seq);
		/* Restored once the whole log is read (rs_replay). */
		rs_defer(p, rr->len, rr->seq);
		break;
	case JR_EVENT:
		pd_replay(p, rr->len, s->now);
		if (rr->len < JR_EV_TEXT || p[JR_EV_VERDICT] != JV_ALLOWED)
			break;
		switch (p[JR_EV_KIND]) {
		case JK_OPEN:
			if (ctx_open(p + JR_EV_CTX, NULL, p + JR_EV_ID) != WARD_OK)
				die("audit record %llu: cannot reopen a context",
				    (unsigned long long)rr->seq);
			break;
		case JK_SPAWN:
			if (ctx_open(p + JR_EV_CTX, p + JR_EV_CTX2,
				     p + JR_EV_ID) != WARD_OK)
				die("audit record %llu: cannot reopen a context",
				    (unsigned long long)rr->seq);
			break;
		case JK_CLOSE:
			ctx_close(p + JR_EV_CTX);
			break;
		case JK_REVOKE:
			/* Applied once the whole log is read, when it is known
			 * which contexts are closed (rev_replay). */
			rev_defer(p, rr->seq);
			break;
		case JK_TRUST:
			if (trust_add(p + JR_EV_ID) != WARD_OK)
				die("audit record %llu: cannot restore a trusted key",
				    (unsigned long long)rr->seq);
			break;
		case JK_ADMIN: {
			uint64_t ts = ward_get_be64(p + JR_EV_NONCE);

			if (ts + 2 * WIRE_ADMIN_WINDOW >= s->now)
				(void)admin_nonce(p + JR_EV_CTX2, ts, s->now);
			break;
		}
		default:
			break;
		}
		break;
	default:
		break;
	}
	return 0;
}

static void
recover(void)
{
	struct replay_state s;
	struct jr_result res;
	uint8_t sig[WARD_SIG_BYTES];
	uint64_t ck_t;
	char why[256];
	size_t forgot, skipped;
	int fd, have;

	memset(&s, 0, sizeof s);
	s.now = now_s();
	have = jr_ckpt_read(H.ckpt, &s.ck_seq, s.ck_head, &ck_t, sig, why,
			    sizeof why);
	if (have < 0)
		die("%s; refusing to start (run 'ward audit verify')", why);
	if (have == 1 && jr_ckpt_check(sig, s.ck_seq, s.ck_head, ck_t, core_pk) != 0)
		die("%s: the checkpoint signature does not verify under the core "
		    "key; refusing to start (run 'ward audit verify')", H.ckpt);
	if (have == 0)
		s.ck_seq = 0;
	if (jr_scan(H.log, core_pk, replay, &s, &res) != 0)
		die("%s; refusing to start", res.why);
	if (!res.ok && !res.torn)
		die("audit log %s is damaged at record %llu (byte %zu): %s; "
		    "refusing to start (run 'ward audit verify')", H.log,
		    (unsigned long long)res.bad_rec, res.bad_off, res.why);
	if (s.ck_seq > res.records)
		die("audit log %s holds %llu records but the signed checkpoint "
		    "covers %llu: records were deleted or the log truncated; "
		    "refusing to start", H.log, (unsigned long long)res.records,
		    (unsigned long long)s.ck_seq);
	if (s.ck_seq > 0 && !s.ck_matched)
		die("audit log %s does not match its signed checkpoint at record "
		    "%llu: the log was rewritten; refusing to start", H.log,
		    (unsigned long long)(s.ck_seq - 1));
	core_log.seq = res.records;
	memcpy(core_log.head, res.head, WARD_ID_BYTES);
	fd = open(H.log, O_WRONLY | O_APPEND | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		die("%s: %s", H.log, strerror(errno));
	jw.fd = fd;
	jw.committed = res.records;
	if (!res.ok) {
		/* An unfinished write at the very end: it was never made
		 * durable, so nothing in it was ever released.  Drop it. */
		char text[128];

		if (ftruncate(fd, (off_t)res.good_bytes) != 0 || fsync(fd) != 0)
			die("%s: cannot drop the unfinished last record: %s",
			    H.log, strerror(errno));
		snprintf(text, sizeof text, "dropped an unfinished record at byte "
			 "%zu (a crash during a write)", res.good_bytes);
		fprintf(stderr, "ward-core: %s\n", text);
		log_event(JV_ALLOWED, WARD_OK, JK_RECOVER, JS_CORE, NULL, NULL,
			  NULL, s.now, 0, text);
	}
	ct_finish_closes(s.now);
	forgot = rev_replay();
	skipped = rs_replay();
	log_event(JV_ALLOWED, WARD_OK, JK_START, JS_CORE, NULL, NULL, core_pk,
		  s.now, 0, "ward-core started");
	commit();
	write_ckpt_file();
	if (verbose)
		fprintf(stderr, "ward-core: recovered %llu records, %u open "
			"contexts, %u revoked blocks (%zu more forgotten: bound "
			"to closed contexts), %zu reservations of blocks of "
			"closed contexts skipped, %llu approvals\n",
			(unsigned long long)res.records, ct_open,
			core.revoked.count, forgot, skipped,
			(unsigned long long)core.approval_seq);
}

/* ---- start-up -------------------------------------------------------------- */

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int
open_socket(const char *url)
{
	int s = nn_socket(AF_SP_RAW, NN_REP);
	int max = WIRE_RECV_MAX;

	if (s < 0)
		die("nn_socket: %s", nn_strerror(nn_errno()));
	if (nn_setsockopt(s, NN_SOL_SOCKET, NN_RCVMAXSIZE, &max, sizeof max) < 0)
		die("nn_setsockopt: %s", nn_strerror(nn_errno()));
	unlink(url + strlen("ipc://"));
	if (nn_bind(s, url) < 0)
		die("cannot listen on %s: %s", url, nn_strerror(nn_errno()));
	return s;
}

static int
usage(FILE *f)
{
	fprintf(f,
		"usage: ward-core [--home DIR] [--verbose]\n"
		"\n"
		"The trusted core of ward.  Holds the core key, decides every\n"
		"effect, and keeps the audit log.  Listens on\n"
		"  ipc://$WARD_HOME/run/admin/admin.sock  operator-signed requests\n"
		"  ipc://$WARD_HOME/run/core/broker.sock  capability-bound requests\n"
		"Started as root, it switches to the account ward-core at once\n"
		"and confines itself (Landlock, seccomp) before any thread exists.\n"
		"Home: --home, else $WARD_HOME, else /var/lib/ward (create it with\n"
		"'ward init').  Refuses to start if a key or state file is\n"
		"readable by anyone but its owner, or if the audit log does not\n"
		"verify.  SIGTERM or SIGINT: finish the batch, checkpoint, exit.\n");
	return f == stdout ? 0 : 2;
}

int
main(int argc, char **argv)
{
	struct pollfd pf[2];
	int sock[2];
	const char *dir = NULL;
	char err[512];
	int i, lock;
	size_t fdlen = sizeof(int);

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--home") == 0 && i + 1 < argc)
			dir = argv[++i];
		else if (strcmp(argv[i], "--verbose") == 0)
			verbose = 1;
		else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return usage(stdout);
		else
			return usage(stderr);
	}
	/* A clean start: no inherited descriptors or environment, cwd /. */
	wp_daemon_start();
	/* No core dumps, no ptrace by other processes of this user: the
	 * core key lives in this process. */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
		die("cannot make the process undumpable: %s", strerror(errno));
	if (sodium_init() < 0)
		die("libsodium failed to initialise");
	if (wh_resolve(&H, dir, err, sizeof err) != 0)
		die("%s", err);
	/* Started as root: repair the folders, then become ward-core for
	 * good.  Nothing below runs with root's ids. */
	if (geteuid() == 0 && wh_layout(&H, 0, err, sizeof err) != 0)
		die("%s", err);
	if (wp_drop(WP_CORE_ACCOUNT, err, sizeof err) != 0 ||
	    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0 ||
	    wh_check_perms(&H, 1, err, sizeof err) != 0)
		die("%s", err);
	lock = open(H.lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (lock < 0 || flock(lock, LOCK_EX | LOCK_NB) != 0)
		die("another ward-core is running on %s (or %s cannot be "
		    "locked)", H.home, H.lock);
	/* The secret key stays in locked memory, never swapped, never dumped. */
	if (sodium_mlock(&core, sizeof core) != 0 && verbose)
		fprintf(stderr, "ward-core: warning: cannot lock the key in "
			"memory\n");
	if (wh_read_key(H.core_key, core.sk, WARD_SK_BYTES, err, sizeof err) != 0 ||
	    wh_read_key(H.core_pub, core_pk, WARD_KEY_BYTES, err, sizeof err) != 0 ||
	    wh_read_key(H.op_pub, op_pk, WARD_KEY_BYTES, err, sizeof err) != 0)
		die("%s", err);
	{
		uint8_t pk[WARD_KEY_BYTES];

		crypto_sign_ed25519_sk_to_pk(pk, core.sk);
		if (memcmp(pk, core_pk, WARD_KEY_BYTES) != 0)
			die("%s does not hold the secret key of %s", H.core_key,
			    H.core_pub);
	}
	/* The vault's key may be made here, while keys/ is still writable. */
	if (vault_open(H.keys, H.state, H.pub, err, sizeof err) != 0)
		die("%s", err);
	/* Confined before any thread exists (nanomsg makes its threads with
	 * the first socket, below): the key and state folders, the two
	 * socket folders, the public keys; no exec, no other socket family. */
	{
		const char *rw[] = { H.state, H.run_admin, H.run_core, NULL };
		const char *ro[] = { H.keys, H.pub, NULL };
		struct wp_profile prof = { rw, ro, 0 };

		if (wp_confine(&prof, err, sizeof err) != 0)
			die("cannot confine myself: %s", err);
	}
	ctab = calloc(CT_N, sizeof *ctab);
	if (ctab == NULL)
		die("out of memory");
	randombytes_buf(ct_key, sizeof ct_key);
	/* The bucket key of the revocation set and the ledger: drawn before
	 * either table holds an entry, kept for the life of the process. */
	if (ward_bucket_key_init() != 0)
		die("cannot draw the bucket key (libsodium)");
	core.trust.n = 1;
	memcpy(core.trust.key[0], op_pk, WARD_KEY_BYTES);
	ward_revset_init(&core.revoked);
	ward_ledger_init(&core.ledger);
	ward_contexts_init(&core.contexts);
	ward_audit_init(&core_log);
	core.approval_seq = 0;
	started = now_s();
	{
		static const struct pd_hooks hooks = {
			log_event, pd_session, pd_nonce_fresh, pd_nonce_spend,
			pd_verify
		};

		pd_init(&hooks);
	}
	recover();

	signal(SIGPIPE, SIG_IGN);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	sock[0] = open_socket(H.admin_url);
	/* The broker's socket is its group's to connect to (run/core is
	 * ward-core:ward-broker 2750); the admin socket's folder is ours. */
	umask(007);
	sock[1] = open_socket(H.broker_url);
	umask(077);
	for (i = 0; i < 2; i++) {
		if (nn_getsockopt(sock[i], NN_SOL_SOCKET, NN_RCVFD, &pf[i].fd,
				  &fdlen) < 0)
			die("nn_getsockopt: %s", nn_strerror(nn_errno()));
		pf[i].events = POLLIN;
	}
	fprintf(stderr, "ward-core: ready on %s and %s\n", H.admin_url,
		H.broker_url);

	while (!stop) {
		uint32_t n = 0;
		int got = 1;

		if (poll(pf, 2, 250) < 0 && errno != EINTR)
			die("poll: %s", strerror(errno));
		/* Take what is waiting on both sockets, in turn, up to a
		 * batch; decide each; then one commit for all of them. */
		while (got && n < BATCH_MAX) {
			got = 0;
			for (i = 0; i < 2 && n < BATCH_MAX; i++) {
				struct nn_msghdr h;
				struct nn_iovec iov;
				void *body = NULL, *ctl = NULL;
				int len;

				memset(&h, 0, sizeof h);
				iov.iov_base = &body;
				iov.iov_len = NN_MSG;
				h.msg_iov = &iov;
				h.msg_iovlen = 1;
				h.msg_control = &ctl;
				h.msg_controllen = NN_MSG;
				len = nn_recvmsg(sock[i], &h, NN_DONTWAIT);
				if (len < 0)
					continue;
				got = 1;
				n++;
				memset(&o, 0, sizeof o);
				if (i == 0)
					handle_admin(body, (size_t)len, now_s());
				else
					handle_request(JS_BROKER, body, (size_t)len,
						       now_s());
				nn_freemsg(body);
				queue_reply(sock[i], ctl);
			}
		}
		/* Deferred calls past their deadline are refused, and
		 * logged, whether or not anything else came. */
		if (pd_sweep(now_s()) == 0 && n == 0)
			continue;
		commit();
		flush_replies();
		if (core_log.seq - last_ckpt_seq >= CKPT_EVERY)
			write_ckpt_file();
	}
	/* Clean stop: a signed checkpoint in the log and in the file. */
	log_checkpoint(now_s());
	commit();
	write_ckpt_file();
	nn_close(sock[0]);
	nn_close(sock[1]);
	sodium_memzero(core.sk, sizeof core.sk);
	if (verbose)
		fprintf(stderr, "ward-core: stopped after %llu records, %llu "
			"syncs\n", (unsigned long long)core_log.seq,
			(unsigned long long)jw.syncs);
	return 0;
}
