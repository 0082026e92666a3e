/*
 * wire.c -- protobuf (ward.v1) into fixed structs, every bound checked.
 * Contract in wire.h.
 */
#include <stdio.h>
#include <string.h>

#include "ward/v1/ward.pb-c.h"
#include "codec.h"
#include "text.h"
#include "wire.h"

/* ---- a fixed arena for protobuf-c ------------------------------------------ */

struct arena {
	size_t used;
	_Alignas(16) uint8_t mem[WIRE_ARENA];
};

static struct arena arena;

static void *
arena_alloc(void *data, size_t size)
{
	struct arena *a = data;
	size_t need = (size + 15u) & ~(size_t)15u;

	if (need < size || need > sizeof a->mem - a->used)
		return NULL;	/* protobuf-c then fails the unpack */
	a->used += need;
	return a->mem + a->used - need;
}

static void
arena_free(void *data, void *p)
{
	(void)data;
	(void)p;	/* the whole arena is reset per message */
}

static ProtobufCAllocator arena_allocator = {
	.alloc = arena_alloc, .free = arena_free, .allocator_data = &arena,
};

static int
say(char *d, size_t dlen, int reason, const char *msg)
{
	snprintf(d, dlen, "%s", msg);
	return reason;
}

/* ---- field checks ---------------------------------------------------------- */

static int
unknown(const ProtobufCMessage *m)
{
	return m != NULL && m->n_unknown_fields != 0;
}

static int
get_fixed(uint8_t *dst, size_t n, ProtobufCBinaryData f, int *has,
	  const char *name, char *d, size_t dlen)
{
	char msg[128];

	if (f.len == 0) {
		if (has != NULL)
			*has = 0;
		return 0;
	}
	if (f.len != n) {
		snprintf(msg, sizeof msg, "field %s must be %zu bytes, got %zu",
			 name, n, f.len);
		return say(d, dlen, f.len > n ? WR_PROTO_OVERSIZE :
			   WR_PROTO_MALFORMED, msg);
	}
	memcpy(dst, f.data, n);
	if (has != NULL)
		*has = 1;
	return 0;
}

static int
get_chain(struct wire_req *out, const Ward__V1__Chain *c, int required,
	  char *d, size_t dlen)
{
	size_t i;

	if (c == NULL) {
		if (required)
			return say(d, dlen, WR_PROTO_MISSING, "chain is missing");
		return 0;
	}
	if (unknown(&c->base))
		return say(d, dlen, WR_PROTO_UNKNOWN_FIELD,
			   "unknown field in Chain");
	if (c->n_blocks == 0)
		return say(d, dlen, WARD_E_CHAIN_EMPTY, "chain has no block");
	if (c->n_blocks > WARD_CHAIN_MAX)
		return say(d, dlen, WARD_E_CHAIN_TOO_LONG,
			   "chain longer than 8 blocks");
	for (i = 0; i < c->n_blocks; i++) {
		if (c->blocks[i].len > WARD_BLOCK_MAX)
			return say(d, dlen, WR_PROTO_OVERSIZE,
				   "a chain block is longer than 405 bytes");
		if (c->blocks[i].len == 0)
			return say(d, dlen, WARD_E_MALFORMED,
				   "a chain block is empty");
		memcpy(out->chain.l[i].raw, c->blocks[i].data, c->blocks[i].len);
		out->chain.l[i].raw_len = (uint32_t)c->blocks[i].len;
	}
	out->chain.n = (uint32_t)c->n_blocks;
	out->has_chain = 1;
	return 0;
}

static int
printable(const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] < 0x20 || p[i] > 0x7e)
			return 0;
	return 1;
}

/* ---- one body each --------------------------------------------------------- */

static int
dec_approve(struct wire_req *out, const Ward__V1__Approve *m, char *d,
	    size_t dlen)
{
	int r, has = 0;

	if (unknown(&m->base))
		return say(d, dlen, WR_PROTO_UNKNOWN_FIELD, "unknown field in Approve");
	if ((r = get_fixed(out->context, WARD_CTX_BYTES, m->context,
			   &out->has_context, "context", d, dlen)) != 0)
		return r;
	if (!out->has_context)
		return say(d, dlen, WR_PROTO_MISSING, "approve: context is missing");
	if ((r = get_chain(out, m->chain, 1, d, dlen)) != 0)
		return r;
	/* op is a uint32 on the wire and a byte in the core: range first. */
	if (m->op < 1 || m->op > WARD_OP_LAST)
		return say(d, dlen, WARD_E_OP, "approve: unknown operation");
	out->op = (uint8_t)m->op;
	if (m->resource.len == 0)
		return say(d, dlen, WR_PROTO_MISSING, "approve: resource is missing");
	if (m->resource.len > WARD_SCOPE_MAX)
		return say(d, dlen, WR_PROTO_OVERSIZE,
			   "approve: resource longer than 200 bytes");
	/* Printable ASCII without the space, as scopes are (ward.proto): a
	 * resource is printed in the audit log and on terminals, and two
	 * resources must never print alike. */
	for (size_t i = 0; i < m->resource.len; i++)
		if (m->resource.data[i] < 0x21 || m->resource.data[i] > 0x7e) {
			snprintf(d, dlen, "approve: resource byte %zu is 0x%02x; "
				 "resources are printable ASCII (0x21-0x7e)", i,
				 m->resource.data[i]);
			return WARD_E_NONCANONICAL;
		}
	memcpy(out->resource, m->resource.data, m->resource.len);
	out->resource_len = (uint16_t)m->resource.len;
	if ((r = get_fixed(out->digest, WARD_ID_BYTES, m->digest, &has,
			   "digest", d, dlen)) != 0)
		return r;
	if (!has)
		return say(d, dlen, WR_PROTO_MISSING, "approve: digest is missing");
	out->nonce = m->nonce;
	if (m->params.len > WIRE_PARAMS_MAX)
		return say(d, dlen, WR_PROTO_OVERSIZE,
			   "approve: params longer than 4096 bytes");
	if (m->params.len > 0)
		memcpy(out->params, m->params.data, m->params.len);
	out->params_len = (uint16_t)m->params.len;
	return 0;
}

/* A secret's name: 1 .. 64 of A-Z a-z 0-9 _ (vault.h). */
static int
get_name(struct wire_req *out, ProtobufCBinaryData n, char *d, size_t dlen)
{
	if (n.len == 0)
		return say(d, dlen, WR_PROTO_MISSING, "secret: name is missing");
	if (n.len > WIRE_SECRET_NAME_MAX)
		return say(d, dlen, WR_PROTO_OVERSIZE,
			   "secret: name longer than 64 bytes");
	if (!text_secret_name_ok(n.data, n.len))
		return say(d, dlen, WR_PROTO_MALFORMED, "secret: a name "
			   "is A-Z a-z 0-9 _ only");
	memcpy(out->name, n.data, n.len);
	out->name[n.len] = '\0';
	out->name_len = (uint8_t)n.len;
	return 0;
}

static int
dec_body(struct wire_req *out, const Ward__V1__Request *q, char *d, size_t dlen)
{
	int r;

	switch (q->body_case) {
	case WARD__V1__REQUEST__BODY_OPEN_CONTEXT:
		out->kind = WQ_OPEN;
		if (unknown(&q->open_context->base))
			return say(d, dlen, WR_PROTO_UNKNOWN_FIELD,
				   "unknown field in OpenContext");
		return get_chain(out, q->open_context->grant, 1, d, dlen);
	case WARD__V1__REQUEST__BODY_APPROVE:
		out->kind = WQ_APPROVE;
		return dec_approve(out, q->approve, d, dlen);
	case WARD__V1__REQUEST__BODY_ATTENUATE: {
		const Ward__V1__Attenuate *m = q->attenuate;

		out->kind = WQ_ATTENUATE;
		if (unknown(&m->base))
			return say(d, dlen, WR_PROTO_UNKNOWN_FIELD,
				   "unknown field in Attenuate");
		if ((r = get_chain(out, m->chain, 1, d, dlen)) != 0)
			return r;
		if (m->child.len == 0)
			return say(d, dlen, WR_PROTO_MISSING,
				   "attenuate: child block is missing");
		if (m->child.len > WARD_BLOCK_MAX)
			return say(d, dlen, WR_PROTO_OVERSIZE,
				   "attenuate: child longer than 405 bytes");
		memcpy(out->child, m->child.data, m->child.len);
		out->child_len = (uint32_t)m->child.len;
		out->open_child = m->open_child_context ? 1 : 0;
		return 0;
	}
	case WARD__V1__REQUEST__BODY_REVOKE: {
		const Ward__V1__Revoke *m = q->revoke;

		out->kind = WQ_REVOKE;
		if (unknown(&m->base))
			return say(d, dlen, WR_PROTO_UNKNOWN_FIELD,
				   "unknown field in Revoke");
		if ((r = get_chain(out, m->chain, 0, d, dlen)) != 0 ||
		    (r = get_fixed(out->block_id, WARD_ID_BYTES, m->block_id,
				   &out->has_block_id, "block_id", d, dlen)) != 0 ||
		    (r = get_fixed(out->context, WARD_CTX_BYTES, m->context,
				   &out->has_context, "context", d, dlen)) != 0)
			return r;
		out->target = m->target;
		out->whole_context = m->whole_context ? 1 : 0;
		if (out->has_chain + out->has_block_id + out->has_context != 1)
			return say(d, dlen, WR_PROTO_MISSING, "revoke: give exactly "
				   "one of chain, block_id, context");
		return 0;
	}
	case WARD__V1__REQUEST__BODY_CLOSE_CONTEXT: {
		const Ward__V1__CloseContext *m = q->close_context;

		out->kind = WQ_CLOSE;
		if (unknown(&m->base))
			return say(d, dlen, WR_PROTO_UNKNOWN_FIELD,
				   "unknown field in CloseContext");
		if ((r = get_fixed(out->context, WARD_CTX_BYTES, m->context,
				   &out->has_context, "context", d, dlen)) != 0 ||
		    (r = get_chain(out, m->chain, 0, d, dlen)) != 0)
			return r;
		if (!out->has_context)
			return say(d, dlen, WR_PROTO_MISSING,
				   "close: context is missing");
		return 0;
	}
	case WARD__V1__REQUEST__BODY_LOG_EVENT: {
		const Ward__V1__LogEvent *m = q->log_event;

		out->kind = WQ_LOG;
		if (unknown(&m->base))
			return say(d, dlen, WR_PROTO_UNKNOWN_FIELD,
				   "unknown field in LogEvent");
		if ((r = get_fixed(out->context, WARD_CTX_BYTES, m->context,
				   &out->has_context, "context", d, dlen)) != 0)
			return r;
		if (!out->has_context || m->text.len == 0)
			return say(d, dlen, WR_PROTO_MISSING,
				   "log: context and text are required");
		if (m->text.len > sizeof out->text)
			return say(d, dlen, WR_PROTO_OVERSIZE,
				   "log: text longer than 256 bytes");
		if (!printable(m->text.data, m->text.len))
			return say(d, dlen, WR_PROTO_MALFORMED,
				   "log: text must be printable ASCII");
		memcpy(out->text, m->text.data, m->text.len);
		out->text_len = (uint16_t)m->text.len;
		return 0;
	}
	case WARD__V1__REQUEST__BODY_STATUS:
		out->kind = WQ_STATUS;
		if (unknown(&q->status->base))
			return say(d, dlen, WR_PROTO_UNKNOWN_FIELD,
				   "unknown field in Status");
		return 0;
	case WARD__V1__REQUEST__BODY_CHECKPOINT:
		out->kind = WQ_CHECKPOINT;
		if (unknown(&q->checkpoint->base))
			return say(d, dlen, WR_PROTO_UNKNOWN_FIELD,
				   "unknown field in Checkpoint");
		return 0;
	case WARD__V1__REQUEST__BODY_TRUST_KEY: {
		int has = 0;

		out->kind = WQ_TRUST;
		if (unknown(&q->trust_key->base))
			return say(d, dlen, WR_PROTO_UNKNOWN_FIELD,
				   "unknown field in TrustKey");
		if ((r = get_fixed(out->key, WARD_KEY_BYTES, q->trust_key->key,
				   &has, "key", d, dlen)) != 0)
			return r;
		if (!has)
			return say(d, dlen, WR_PROTO_MISSING, "trust: key is missing");
		return 0;
	}
	case WARD__V1__REQUEST__BODY_LIST_CONTEXTS: {
		const Ward__V1__ListContexts *m = q->list_contexts;

		out->kind = WQ_LIST;
		if (unknown(&m->base))
			return say(d, dlen, WR_PROTO_UNKNOWN_FIELD,
				   "unknown field in ListContexts");
		if ((r = get_fixed(out->context, WARD_CTX_BYTES, m->context,
				   &out->has_context, "context", d, dlen)) != 0)
			return r;
		return get_fixed(out->block_id, WARD_ID_BYTES, m->block_id,
				 &out->has_block_id, "block_id", d, dlen);
	}
	case WARD__V1__REQUEST__BODY_SECRET_SET: {
		const Ward__V1__SecretSet *m = q->secret_set;

		out->kind = WQ_SECRET_SET;
		if (unknown(&m->base))
			return say(d, dlen, WR_PROTO_UNKNOWN_FIELD,
				   "unknown field in SecretSet");
		if ((r = get_name(out, m->name, d, dlen)) != 0)
			return r;
		if (m->sealed.len == 0)
			return say(d, dlen, WR_PROTO_MISSING,
				   "secret set: the sealed value is missing");
		if (m->sealed.len > WIRE_SEALED_MAX)
			return say(d, dlen, WR_PROTO_OVERSIZE, "secret set: a "
				   "value is at most 1024 bytes");
		memcpy(out->sealed, m->sealed.data, m->sealed.len);
		out->sealed_len = (uint16_t)m->sealed.len;
		return 0;
	}
	case WARD__V1__REQUEST__BODY_SECRET_LIST:
		out->kind = WQ_SECRET_LIST;
		if (unknown(&q->secret_list->base))
			return say(d, dlen, WR_PROTO_UNKNOWN_FIELD,
				   "unknown field in SecretList");
		return 0;
	case WARD__V1__REQUEST__BODY_SECRET_REMOVE:
		out->kind = WQ_SECRET_RM;
		if (unknown(&q->secret_remove->base))
			return say(d, dlen, WR_PROTO_UNKNOWN_FIELD,
				   "unknown field in SecretRemove");
		return get_name(out, q->secret_remove->name, d, dlen);
	case WARD__V1__REQUEST__BODY_ASK_MARK: {
		const Ward__V1__AskMark *m = q->ask_mark;

		out->kind = WQ_ASK;
		if (unknown(&m->base))
			return say(d, dlen, WR_PROTO_UNKNOWN_FIELD,
				   "unknown field in AskMark");
		if ((r = get_fixed(out->block_id, WARD_ID_BYTES, m->block_id,
				   &out->has_block_id, "block_id", d, dlen)) != 0)
			return r;
		if (!out->has_block_id)
			return say(d, dlen, WR_PROTO_MISSING,
				   "ask: block_id is missing");
		if (m->deadline < 1 || m->deadline > 86400)
			return say(d, dlen, WR_PROTO_MALFORMED, "ask: the "
				   "deadline is 1 to 86400 seconds");
		out->ask_deadline = m->deadline;
		out->ask_not_after = m->not_after;
		return 0;
	}
	case WARD__V1__REQUEST__BODY_PENDING_ANSWER: {
		const Ward__V1__PendingAnswer *m = q->pending_answer;

		out->kind = WQ_PENDING;
		if (unknown(&m->base))
			return say(d, dlen, WR_PROTO_UNKNOWN_FIELD,
				   "unknown field in PendingAnswer");
		if (m->answer > 2)
			return say(d, dlen, WR_PROTO_MALFORMED, "pending: answer "
				   "is 0 (list), 1 (approve) or 2 (deny)");
		if (m->answer != 0 && m->id == 0)
			return say(d, dlen, WR_PROTO_MISSING,
				   "pending: the id of the call is missing");
		out->answer = m->answer;
		out->pending_id = m->id;
		return 0;
	}
	default:
		return say(d, dlen, WR_PROTO_MISSING,
			   "request has no body this version knows");
	}
}

int
wire_decode_request(const uint8_t *buf, size_t len, struct wire_req *out,
		    char *d, size_t dlen)
{
	Ward__V1__Request *q;
	int r;

	out->kind = WQ_NONE;
	out->has_chain = 0;
	out->chain.n = 0;
	out->has_context = 0;
	out->has_block_id = 0;
	out->child_len = 0;
	out->resource_len = 0;
	out->text_len = 0;
	out->params_len = 0;
	d[0] = '\0';
	if (len > WIRE_MSG_MAX)
		return say(d, dlen, WR_PROTO_OVERSIZE,
			   "request longer than 8192 bytes");
	if (len == 0)
		return say(d, dlen, WR_PROTO_MALFORMED, "empty request");
	arena.used = 0;
	q = ward__v1__request__unpack(&arena_allocator, len, buf);
	if (q == NULL)
		return say(d, dlen, WR_PROTO_MALFORMED,
			   "not a ward.v1.Request (malformed or truncated protobuf)");
	if (unknown(&q->base))
		r = say(d, dlen, WR_PROTO_UNKNOWN_FIELD, "unknown field in Request");
	else
		r = dec_body(out, q, d, dlen);
	arena.used = 0;
	return r;
}

int
wire_decode_admin(const uint8_t *buf, size_t len, struct wire_admin *out,
		  char *d, size_t dlen)
{
	Ward__V1__AdminEnvelope *e;
	int r = 0;

	memset(out, 0, sizeof *out);
	d[0] = '\0';
	if (len > WIRE_MSG_MAX + 256)
		return say(d, dlen, WR_PROTO_OVERSIZE,
			   "admin request longer than 8448 bytes");
	if (len == 0)
		return say(d, dlen, WR_PROTO_MALFORMED, "empty admin request");
	arena.used = 0;
	e = ward__v1__admin_envelope__unpack(&arena_allocator, len, buf);
	if (e == NULL)
		return say(d, dlen, WR_PROTO_MALFORMED,
			   "not a ward.v1.AdminEnvelope (malformed or truncated)");
	if (unknown(&e->base)) {
		r = say(d, dlen, WR_PROTO_UNKNOWN_FIELD,
			"unknown field in AdminEnvelope");
		goto out;
	}
	if (e->signature.len == 0) {
		r = say(d, dlen, WR_ADMIN_UNSIGNED, "admin request carries no "
			"operator signature");
		goto out;
	}
	if (e->signature.len != 64 || e->nonce.len != WIRE_NONCE_BYTES) {
		r = say(d, dlen, WR_PROTO_MALFORMED, "admin request: signature "
			"must be 64 bytes and nonce 16");
		goto out;
	}
	if (e->request.len == 0 || e->request.len > WIRE_MSG_MAX) {
		r = say(d, dlen, e->request.len ? WR_PROTO_OVERSIZE :
			WR_PROTO_MISSING, "admin request: inner request missing "
			"or longer than 8192 bytes");
		goto out;
	}
	/* The request bytes point into buf: protobuf-c copies bytes fields
	 * into the arena, so find them by value, which the caller keeps. */
	out->has_sig = 1;
	memcpy(out->nonce, e->nonce.data, WIRE_NONCE_BYTES);
	memcpy(out->sig, e->signature.data, 64);
	out->timestamp = e->timestamp;
	out->request_len = e->request.len;
	out->request = NULL;
	{
		/* The arena copy stays valid until the next decode. */
		static uint8_t copy[WIRE_MSG_MAX];

		memcpy(copy, e->request.data, e->request.len);
		out->request = copy;
	}
out:
	arena.used = 0;
	return r;
}

size_t
wire_admin_signed_bytes(uint8_t *out, uint64_t ts,
			const uint8_t nonce[WIRE_NONCE_BYTES],
			const uint8_t *req, size_t req_len)
{
	static const uint8_t tag[16] = "ward.v1.adminreq";

	memcpy(out, tag, 16);
	ward_put_be64(out + 16, ts);
	memcpy(out + 24, nonce, WIRE_NONCE_BYTES);
	memcpy(out + 40, req, req_len);
	return 40 + req_len;
}
