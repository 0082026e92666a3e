/*
 * corec.c -- the broker's client of ward-core: one Request per call over
 * the broker socket (nanomsg REQ, server/client.c), the reply flattened
 * into struct wb_reply.  Also the operator's signed admin requests that
 * 'ward revoke' needs.  See wb.h.  Not part of the verified core.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sodium.h>

#include "ward/v1/ward.pb-c.h"
#include "client.h"
#include "journal.h"
#include "names.h"
#include "approve.h"
#include "codec.h"
#include "text.h"
#include "wb.h"

int
cc_connect(const char *url, int timeout_ms)
{
	return wc_open(url, timeout_ms);
}

void
cc_disconnect(int s)
{
	if (s >= 0)
		wc_close(s);
}

static void
flatten(const Ward__V1__Reply *p, struct wb_reply *r)
{
	memset(r, 0, sizeof *r);
	r->reason = (int)p->reason;
	snprintf(r->detail, sizeof r->detail, "%s",
		 p->detail != NULL ? p->detail : "");
	r->audit_pos = p->audit_pos;
	if (p->context.len == WARD_CTX_BYTES) {
		r->has_context = 1;
		memcpy(r->context, p->context.data, WARD_CTX_BYTES);
	}
	if (p->block_id.len == WARD_ID_BYTES) {
		r->has_block_id = 1;
		memcpy(r->block_id, p->block_id.data, WARD_ID_BYTES);
	}
	if (p->approval != NULL && p->approval->message.len <= WB_APR_MAX &&
	    p->approval->signature.len == 64) {
		r->has_approval = 1;
		r->apr_len = p->approval->message.len;
		memcpy(r->apr_msg, p->approval->message.data, r->apr_len);
		memcpy(r->apr_sig, p->approval->signature.data, 64);
	}
	r->pending_id = p->pending_id;
	r->pending_deadline = p->pending_deadline;
	if (p->status != NULL) {
		r->has_status = 1;
		r->st_records = p->status->audit_records;
		r->st_approvals = p->status->approvals;
		r->st_uptime = p->status->uptime;
		r->st_open = p->status->open_contexts;
		r->st_revoked = p->status->revoked;
		if (p->status->audit_head.len == 32)
			memcpy(r->st_head, p->status->audit_head.data, 32);
	}
	if (p->sealed_secret.len > 0 &&
	    p->sealed_secret.len <= sizeof r->sealed) {
		r->sealed_len = p->sealed_secret.len;
		memcpy(r->sealed, p->sealed_secret.data, r->sealed_len);
	}
}

int
cc_parse_reply(const uint8_t *buf, size_t len, struct wb_reply *r)
{
	Ward__V1__Reply *p = ward__v1__reply__unpack(NULL, len, buf);

	if (p == NULL)
		return -1;
	flatten(p, r);
	ward__v1__reply__free_unpacked(p, NULL);
	return 0;
}

static int
call_bytes(int s, const uint8_t *buf, size_t len, struct wb_reply *r)
{
	uint8_t *rep = NULL;
	size_t rep_len = 0;
	Ward__V1__Reply *p;

	if (s < 0 || wc_call(s, buf, len, &rep, &rep_len) != 0)
		return -1;
	p = ward__v1__reply__unpack(NULL, rep_len, rep);
	free(rep);
	if (p == NULL)
		return -1;
	flatten(p, r);
	ward__v1__reply__free_unpacked(p, NULL);
	return 0;
}

static int
call(int s, const Ward__V1__Request *q, struct wb_reply *r)
{
	uint8_t buf[8192];
	size_t len = ward__v1__request__get_packed_size(q);

	if (len > sizeof buf)
		return -1;
	ward__v1__request__pack(q, buf);
	return call_bytes(s, buf, len, r);
}

static void
chain_pb(Ward__V1__Chain *c, ProtobufCBinaryData *slots, const struct wb_chain *ch,
	 const struct wb_blk *extra)
{
	uint32_t i;

	ward__v1__chain__init(c);
	for (i = 0; i < ch->n; i++) {
		slots[i].data = (uint8_t *)ch->blk[i].raw;
		slots[i].len = ch->blk[i].len;
	}
	(void)extra;
	c->n_blocks = ch->n;
	c->blocks = slots;
}

int
cc_open_ctx(int s, const struct wb_chain *grant, struct wb_reply *r)
{
	Ward__V1__Request q = WARD__V1__REQUEST__INIT;
	Ward__V1__OpenContext oc = WARD__V1__OPEN_CONTEXT__INIT;
	Ward__V1__Chain c;
	ProtobufCBinaryData slots[WARD_CHAIN_MAX];

	chain_pb(&c, slots, grant, NULL);
	oc.grant = &c;
	q.body_case = WARD__V1__REQUEST__BODY_OPEN_CONTEXT;
	q.open_context = &oc;
	return call(s, &q, r);
}

/* The Approve request of both cc_approve and cc_pack_approve; the structs
 * are the caller's, and point into ctx, ch, res and digest. */
static void
approve_req(Ward__V1__Request *q, Ward__V1__Approve *a, Ward__V1__Chain *c,
	    ProtobufCBinaryData slots[WARD_CHAIN_MAX],
	    const uint8_t ctx[WARD_CTX_BYTES], const struct wb_chain *ch,
	    unsigned op, const char *res, const uint8_t digest[WARD_ID_BYTES],
	    uint64_t nonce, const uint8_t *params, size_t plen)
{
	chain_pb(c, slots, ch, NULL);
	a->params.data = (uint8_t *)params;
	a->params.len = params != NULL ? plen : 0;
	a->context.data = (uint8_t *)ctx;
	a->context.len = WARD_CTX_BYTES;
	a->chain = c;
	a->op = op;
	a->resource.data = (uint8_t *)res;
	a->resource.len = strlen(res);
	a->digest.data = (uint8_t *)digest;
	a->digest.len = WARD_ID_BYTES;
	a->nonce = nonce;
	q->body_case = WARD__V1__REQUEST__BODY_APPROVE;
	q->approve = a;
}

int
cc_approve(int s, const uint8_t ctx[WARD_CTX_BYTES], const struct wb_chain *ch,
	   unsigned op, const char *res, const uint8_t digest[WARD_ID_BYTES],
	   uint64_t nonce, struct wb_reply *r)
{
	Ward__V1__Request q = WARD__V1__REQUEST__INIT;
	Ward__V1__Approve a = WARD__V1__APPROVE__INIT;
	Ward__V1__Chain c;
	ProtobufCBinaryData slots[WARD_CHAIN_MAX];

	approve_req(&q, &a, &c, slots, ctx, ch, op, res, digest, nonce, NULL, 0);
	return call(s, &q, r);
}

int
cc_approve_p(int s, const uint8_t ctx[WARD_CTX_BYTES], const struct wb_chain *ch,
	     unsigned op, const char *res, const uint8_t digest[WARD_ID_BYTES],
	     uint64_t nonce, const uint8_t *params, size_t plen,
	     struct wb_reply *r)
{
	Ward__V1__Request q = WARD__V1__REQUEST__INIT;
	Ward__V1__Approve a = WARD__V1__APPROVE__INIT;
	Ward__V1__Chain c;
	ProtobufCBinaryData slots[WARD_CHAIN_MAX];

	approve_req(&q, &a, &c, slots, ctx, ch, op, res, digest, nonce, params,
		    plen);
	return call(s, &q, r);
}

long
cc_pack_approve(uint8_t *buf, size_t cap, const uint8_t ctx[WARD_CTX_BYTES],
		const struct wb_chain *ch, unsigned op, const char *res,
		const uint8_t digest[WARD_ID_BYTES], uint64_t nonce)
{
	Ward__V1__Request q = WARD__V1__REQUEST__INIT;
	Ward__V1__Approve a = WARD__V1__APPROVE__INIT;
	Ward__V1__Chain c;
	ProtobufCBinaryData slots[WARD_CHAIN_MAX];
	size_t len;

	approve_req(&q, &a, &c, slots, ctx, ch, op, res, digest, nonce, NULL, 0);
	len = ward__v1__request__get_packed_size(&q);
	if (len > cap)
		return -1;
	ward__v1__request__pack(&q, buf);
	return (long)len;
}

long
cc_pack_approve_p(uint8_t *buf, size_t cap, const uint8_t ctx[WARD_CTX_BYTES],
		  const struct wb_chain *ch, unsigned op, const char *res,
		  const uint8_t digest[WARD_ID_BYTES], uint64_t nonce,
		  const uint8_t *params, size_t plen)
{
	Ward__V1__Request q = WARD__V1__REQUEST__INIT;
	Ward__V1__Approve a = WARD__V1__APPROVE__INIT;
	Ward__V1__Chain c;
	ProtobufCBinaryData slots[WARD_CHAIN_MAX];
	size_t len;

	approve_req(&q, &a, &c, slots, ctx, ch, op, res, digest, nonce, params,
		    plen);
	len = ward__v1__request__get_packed_size(&q);
	if (len > cap)
		return -1;
	ward__v1__request__pack(&q, buf);
	return (long)len;
}

int
cc_attenuate(int s, const struct wb_chain *ch, const struct wb_blk *child,
	     int open_child, struct wb_reply *r)
{
	Ward__V1__Request q = WARD__V1__REQUEST__INIT;
	Ward__V1__Attenuate a = WARD__V1__ATTENUATE__INIT;
	Ward__V1__Chain c;
	ProtobufCBinaryData slots[WARD_CHAIN_MAX];

	chain_pb(&c, slots, ch, NULL);
	a.chain = &c;
	a.child.data = (uint8_t *)child->raw;
	a.child.len = child->len;
	a.open_child_context = open_child != 0;
	q.body_case = WARD__V1__REQUEST__BODY_ATTENUATE;
	q.attenuate = &a;
	return call(s, &q, r);
}

int
cc_close(int s, const uint8_t ctx[WARD_CTX_BYTES], const struct wb_chain *ch,
	 struct wb_reply *r)
{
	Ward__V1__Request q = WARD__V1__REQUEST__INIT;
	Ward__V1__CloseContext cl = WARD__V1__CLOSE_CONTEXT__INIT;
	Ward__V1__Chain c;
	ProtobufCBinaryData slots[WARD_CHAIN_MAX];

	chain_pb(&c, slots, ch, NULL);
	cl.context.data = (uint8_t *)ctx;
	cl.context.len = WARD_CTX_BYTES;
	cl.chain = &c;
	q.body_case = WARD__V1__REQUEST__BODY_CLOSE_CONTEXT;
	q.close_context = &cl;
	return call(s, &q, r);
}

/* The LogEvent request of both cc_log and cc_pack_log: text made printable
 * and cut at 256 bytes into t, the structs the caller's. */
static void
log_req(Ward__V1__Request *q, Ward__V1__LogEvent *e, char t[257],
	const uint8_t ctx[WARD_CTX_BYTES], const char *text)
{
	size_t i, n = strlen(text);

	if (n > 256)
		n = 256;
	for (i = 0; i < n; i++)	/* the core takes printable text only */
		t[i] = (text[i] >= 0x20 && text[i] < 0x7f) ? text[i] : '?';
	t[n] = '\0';
	if (n == 0) {
		t[0] = '-';
		t[1] = '\0';
		n = 1;
	}
	e->context.data = (uint8_t *)ctx;
	e->context.len = WARD_CTX_BYTES;
	e->text.data = (uint8_t *)t;
	e->text.len = n;
	q->body_case = WARD__V1__REQUEST__BODY_LOG_EVENT;
	q->log_event = e;
}

int
cc_log(int s, const uint8_t ctx[WARD_CTX_BYTES], const char *text,
       struct wb_reply *r)
{
	Ward__V1__Request q = WARD__V1__REQUEST__INIT;
	Ward__V1__LogEvent e = WARD__V1__LOG_EVENT__INIT;
	char t[257];

	log_req(&q, &e, t, ctx, text);
	return call(s, &q, r);
}

long
cc_pack_log(uint8_t *buf, size_t cap, const uint8_t ctx[WARD_CTX_BYTES],
	    const char *text)
{
	Ward__V1__Request q = WARD__V1__REQUEST__INIT;
	Ward__V1__LogEvent e = WARD__V1__LOG_EVENT__INIT;
	char t[257];
	size_t len;

	log_req(&q, &e, t, ctx, text);
	len = ward__v1__request__get_packed_size(&q);
	if (len > cap)
		return -1;
	ward__v1__request__pack(&q, buf);
	return (long)len;
}

int
cc_status(int s, struct wb_reply *r)
{
	Ward__V1__Request q = WARD__V1__REQUEST__INIT;
	Ward__V1__Status st = WARD__V1__STATUS__INIT;

	q.body_case = WARD__V1__REQUEST__BODY_STATUS;
	q.status = &st;
	return call(s, &q, r);
}

/* One signed admin request; the unpacked reply (free it with
 * ward__v1__reply__free_unpacked), or NULL when the core did not answer. */
static Ward__V1__Reply *
admin_call_raw(const char *url, const uint8_t sk[WARD_SK_BYTES],
	       const Ward__V1__Request *q)
{
	uint8_t buf[8192], *env, *rep = NULL;
	size_t len = ward__v1__request__get_packed_size(q), env_len = 0;
	size_t rep_len = 0;
	Ward__V1__Reply *p = NULL;
	int s;

	if (len > sizeof buf || !wc_listening(url))
		return NULL;
	ward__v1__request__pack(q, buf);
	env = wc_admin_wrap(sk, buf, len, (uint64_t)time(NULL), NULL, &env_len);
	if (env == NULL)
		return NULL;
	s = wc_open(url, 5000);
	if (s >= 0 && wc_call(s, env, env_len, &rep, &rep_len) == 0) {
		p = ward__v1__reply__unpack(NULL, rep_len, rep);
		free(rep);
	}
	if (s >= 0)
		wc_close(s);
	free(env);
	return p;
}

static int
admin_call(const char *url, const uint8_t sk[WARD_SK_BYTES],
	   const Ward__V1__Request *q, struct wb_reply *r)
{
	Ward__V1__Reply *p = admin_call_raw(url, sk, q);

	if (p == NULL)
		return -1;
	flatten(p, r);
	ward__v1__reply__free_unpacked(p, NULL);
	return 0;
}

int
cc_admin_revoke(const char *url, const uint8_t sk[WARD_SK_BYTES],
		const uint8_t *ctx, const uint8_t *block_id, struct wb_reply *r)
{
	Ward__V1__Request q = WARD__V1__REQUEST__INIT;
	Ward__V1__Revoke rv = WARD__V1__REVOKE__INIT;

	if (ctx != NULL) {
		rv.context.data = (uint8_t *)ctx;
		rv.context.len = WARD_CTX_BYTES;
	} else {
		rv.block_id.data = (uint8_t *)block_id;
		rv.block_id.len = WARD_ID_BYTES;
	}
	q.body_case = WARD__V1__REQUEST__BODY_REVOKE;
	q.revoke = &rv;
	return admin_call(url, sk, &q, r);
}

int
cc_admin_status(const char *url, const uint8_t sk[WARD_SK_BYTES],
		struct wb_reply *r)
{
	Ward__V1__Request q = WARD__V1__REQUEST__INIT;
	Ward__V1__Status st = WARD__V1__STATUS__INIT;

	q.body_case = WARD__V1__REQUEST__BODY_STATUS;
	q.status = &st;
	return admin_call(url, sk, &q, r);
}

int
cc_admin_secret_set(const char *url, const uint8_t sk[WARD_SK_BYTES],
		    const uint8_t core_pk[32], const char *name,
		    const uint8_t *value, size_t len, struct wb_reply *r)
{
	Ward__V1__Request q = WARD__V1__REQUEST__INIT;
	Ward__V1__SecretSet ss = WARD__V1__SECRET_SET__INIT;
	uint8_t xpk[crypto_box_PUBLICKEYBYTES];
	uint8_t sealed[crypto_box_SEALBYTES + 1024];
	int rc;

	if (len == 0 || len > 1024 ||
	    crypto_sign_ed25519_pk_to_curve25519(xpk, core_pk) != 0 ||
	    crypto_box_seal(sealed, value, len, xpk) != 0)
		return -1;
	ss.name.data = (uint8_t *)name;
	ss.name.len = strlen(name);
	ss.sealed.data = sealed;
	ss.sealed.len = crypto_box_SEALBYTES + len;
	q.body_case = WARD__V1__REQUEST__BODY_SECRET_SET;
	q.secret_set = &ss;
	rc = admin_call(url, sk, &q, r);
	sodium_memzero(sealed, sizeof sealed);
	return rc;
}

int
cc_admin_secret_rm(const char *url, const uint8_t sk[WARD_SK_BYTES],
		   const char *name, struct wb_reply *r)
{
	Ward__V1__Request q = WARD__V1__REQUEST__INIT;
	Ward__V1__SecretRemove sr = WARD__V1__SECRET_REMOVE__INIT;

	sr.name.data = (uint8_t *)name;
	sr.name.len = strlen(name);
	q.body_case = WARD__V1__REQUEST__BODY_SECRET_REMOVE;
	q.secret_remove = &sr;
	return admin_call(url, sk, &q, r);
}

int
cc_admin_secret_list(const char *url, const uint8_t sk[WARD_SK_BYTES],
		     char names[64][65], uint32_t *n, struct wb_reply *r)
{
	Ward__V1__Request q = WARD__V1__REQUEST__INIT;
	Ward__V1__SecretList sl = WARD__V1__SECRET_LIST__INIT;
	Ward__V1__Reply *p;
	size_t i;
	int rc = 0;

	q.body_case = WARD__V1__REQUEST__BODY_SECRET_LIST;
	q.secret_list = &sl;
	p = admin_call_raw(url, sk, &q);
	if (p == NULL)
		return -1;
	flatten(p, r);
	*n = 0;
	if (p->n_secrets > 64)
		rc = -1;
	for (i = 0; rc == 0 && i < p->n_secrets; i++) {
		size_t l = p->secrets[i].len;

		if (!text_secret_name_ok(p->secrets[i].data, l)) {
			rc = -1;
			break;
		}
		memcpy(names[i], p->secrets[i].data, l);
		names[i][l] = '\0';
		*n = (uint32_t)i + 1;
	}
	ward__v1__reply__free_unpacked(p, NULL);
	return rc;
}

int
cc_admin_ask(const char *url, const uint8_t sk[WARD_SK_BYTES],
	     const uint8_t block_id[WARD_ID_BYTES], uint32_t deadline,
	     uint64_t not_after, struct wb_reply *r)
{
	Ward__V1__Request q = WARD__V1__REQUEST__INIT;
	Ward__V1__AskMark m = WARD__V1__ASK_MARK__INIT;

	m.block_id.data = (uint8_t *)block_id;
	m.block_id.len = WARD_ID_BYTES;
	m.deadline = deadline;
	m.not_after = not_after;
	q.body_case = WARD__V1__REQUEST__BODY_ASK_MARK;
	q.ask_mark = &m;
	return admin_call(url, sk, &q, r);
}

int
cc_admin_answer(const char *url, const uint8_t sk[WARD_SK_BYTES],
		uint64_t id, int approve, struct wb_reply *r)
{
	Ward__V1__Request q = WARD__V1__REQUEST__INIT;
	Ward__V1__PendingAnswer m = WARD__V1__PENDING_ANSWER__INIT;

	m.answer = approve ? 1 : 2;
	m.id = id;
	q.body_case = WARD__V1__REQUEST__BODY_PENDING_ANSWER;
	q.pending_answer = &m;
	return admin_call(url, sk, &q, r);
}

int
cc_admin_pending(const char *url, const uint8_t sk[WARD_SK_BYTES],
		 struct wb_pendlist *out)
{
	Ward__V1__Request q = WARD__V1__REQUEST__INIT;
	Ward__V1__PendingAnswer m = WARD__V1__PENDING_ANSWER__INIT;
	Ward__V1__Reply *p;
	size_t i;
	int rc = 0;

	q.body_case = WARD__V1__REQUEST__BODY_PENDING_ANSWER;
	q.pending_answer = &m;
	p = admin_call_raw(url, sk, &q);
	if (p == NULL)
		return -1;
	flatten(p, &out->r);
	out->n = 0;
	if (p->n_pending > WB_PEND_MAX)
		rc = -1;
	for (i = 0; rc == 0 && i < p->n_pending; i++) {
		const Ward__V1__PendingCall *c = p->pending[i];
		struct wb_pendinfo *d = &out->c[i];

		if (c->context.len != WARD_CTX_BYTES ||
		    c->digest.len != WARD_ID_BYTES ||
		    c->block_id.len != WARD_ID_BYTES ||
		    c->resource.len > WARD_SCOPE_MAX ||
		    c->params.len > sizeof d->params) {
			rc = -1;
			break;
		}
		memset(d, 0, sizeof *d);
		d->id = c->id;
		memcpy(d->context, c->context.data, WARD_CTX_BYTES);
		d->op = c->op;
		memcpy(d->resource, c->resource.data, c->resource.len);
		d->rlen = c->resource.len;
		memcpy(d->digest, c->digest.data, WARD_ID_BYTES);
		d->nonce = c->nonce;
		memcpy(d->params, c->params.data, c->params.len);
		d->plen = c->params.len;
		d->created = c->created;
		d->deadline = c->deadline;
		d->state = c->state;
		memcpy(d->block_id, c->block_id.data, WARD_ID_BYTES);
		out->n++;
	}
	ward__v1__reply__free_unpacked(p, NULL);
	return rc;
}

int
cc_admin_list(const char *url, const uint8_t sk[WARD_SK_BYTES],
	      const uint8_t *ctx, const uint8_t *block_id, struct wb_ctxlist *out)
{
	Ward__V1__Request q = WARD__V1__REQUEST__INIT;
	Ward__V1__ListContexts lc = WARD__V1__LIST_CONTEXTS__INIT;
	Ward__V1__Reply *p;
	size_t i;
	int rc = 0;

	if (ctx != NULL) {
		lc.context.data = (uint8_t *)ctx;
		lc.context.len = WARD_CTX_BYTES;
	}
	if (block_id != NULL) {
		lc.block_id.data = (uint8_t *)block_id;
		lc.block_id.len = WARD_ID_BYTES;
	}
	q.body_case = WARD__V1__REQUEST__BODY_LIST_CONTEXTS;
	q.list_contexts = &lc;
	p = admin_call_raw(url, sk, &q);
	if (p == NULL)
		return -1;
	flatten(p, &out->r);
	out->n = 0;
	out->truncated = p->contexts_truncated;
	out->block_revoked = p->block_revoked;
	if (p->n_contexts > WB_LIST_MAX)
		rc = -1;
	for (i = 0; rc == 0 && i < p->n_contexts; i++) {
		const Ward__V1__ContextInfo *c = p->contexts[i];
		struct wb_ctxinfo *d = &out->c[i];

		if (c->context.len != WARD_CTX_BYTES ||
		    c->grant.len != WARD_ID_BYTES ||
		    (c->parent.len != 0 && c->parent.len != WARD_CTX_BYTES)) {
			rc = -1;
			break;
		}
		memset(d, 0, sizeof *d);
		memcpy(d->context, c->context.data, WARD_CTX_BYTES);
		memcpy(d->grant, c->grant.data, WARD_ID_BYTES);
		d->has_parent = c->parent.len != 0;
		if (d->has_parent)
			memcpy(d->parent, c->parent.data, WARD_CTX_BYTES);
		d->open = c->open != 0;
		d->grant_revoked = c->grant_revoked != 0;
		out->n++;
	}
	ward__v1__reply__free_unpacked(p, NULL);
	return rc;
}

int
cc_approval_ok(const struct wb_reply *r, const uint8_t core_pk[32],
	       const uint8_t ctx[WARD_CTX_BYTES], unsigned op, const char *res,
	       const uint8_t digest[WARD_ID_BYTES], uint64_t nonce)
{
	uint8_t buf[16 + WB_APR_MAX];
	const uint8_t *m = r->apr_msg;
	size_t rl = strlen(res);

	if (!r->has_approval || r->apr_len < WARD_APR_OFF_RES ||
	    r->apr_len != WARD_APR_OFF_RES + rl)
		return -1;
	memcpy(buf, "ward.v1.approval", 16);
	memcpy(buf + 16, m, r->apr_len);
	if (core_pk != NULL &&
	    crypto_sign_verify_detached(r->apr_sig, buf, 16 + r->apr_len,
					core_pk) != 0)
		return -1;
	if (memcmp(m + WARD_APR_OFF_CONTEXT, ctx, WARD_CTX_BYTES) != 0 ||
	    m[WARD_APR_OFF_OP] != op ||
	    memcmp(m + WARD_APR_OFF_DIGEST, digest, WARD_ID_BYTES) != 0 ||
	    ward_get_be64(m + WARD_APR_OFF_NONCE) != nonce ||
	    ward_get_be16(m + WARD_APR_OFF_RLEN) != rl ||
	    memcmp(m + WARD_APR_OFF_RES, res, rl) != 0 ||
	    ward_get_be64(m + WARD_APR_OFF_EXPIRY) < (uint64_t)time(NULL))
		return -1;
	return 0;
}

const char *
cc_reason_name(int reason)
{
	if (reason < 0)
		return "core_unreachable";
	return wn_reason((unsigned)reason);
}
