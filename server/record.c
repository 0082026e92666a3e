/*
 * record.c -- the audit record decoder and its two printers (record.h).
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "record.h"
#include "approve.h"
#include "codec.h"
#include "names.h"
#include "text.h"

/* Where the fields that decision and event records share sit in each. */
struct layout {
	size_t min, verdict, reason, ctx, id, time, nonce, blen, bytes;
};

static const struct layout DECISION = {
	WARD_REC_OFF_RES, WARD_REC_OFF_VERDICT, WARD_REC_OFF_REASON,
	WARD_REC_OFF_CONTEXT, WARD_REC_OFF_LEAF, WARD_REC_OFF_TIME,
	WARD_REC_OFF_NONCE, WARD_REC_OFF_RLEN, WARD_REC_OFF_RES
};
static const struct layout EVENT = {
	JR_EV_TEXT, JR_EV_VERDICT, JR_EV_REASON, JR_EV_CTX, JR_EV_ID,
	JR_EV_TIME, JR_EV_NONCE, JR_EV_TLEN, JR_EV_TEXT
};

/* The shared fields; 0, or -1 if the record is too short. */
static int
common(const struct jr_rec *r, const struct layout *l, struct ar_rec *a)
{
	const uint8_t *p = r->rec;
	size_t n;

	if (r->len < l->min) {
		a->damaged = 1;
		return -1;
	}
	a->verdict = p[l->verdict];
	a->reason = p[l->reason];
	memcpy(a->context, p + l->ctx, WARD_CTX_BYTES);
	memcpy(a->block, p + l->id, WARD_ID_BYTES);
	a->time = ward_get_be64(p + l->time);
	a->nonce = ward_get_be64(p + l->nonce);
	n = ward_get_be16(p + l->blen);
	if (n > r->len - l->bytes)
		n = r->len - l->bytes;
	a->bytes = p + l->bytes;
	a->nbytes = n;
	return 0;
}

void
ar_decode(const struct jr_rec *r, struct ar_rec *a)
{
	const uint8_t *p = r->rec;

	memset(a, 0, sizeof *a);
	a->seq = r->seq;
	a->type = r->len > 0 ? p[0] : 0;
	switch (a->type) {
	case JR_DECISION:
		if (common(r, &DECISION, a) != 0)
			return;
		a->op = p[WARD_REC_OFF_OP];
		memcpy(a->digest, p + WARD_REC_OFF_DIGEST, WARD_ID_BYTES);
		a->approval = ward_get_be64(p + WARD_REC_OFF_SEQ);
		a->uses = ward_get_be32(p + WARD_REC_OFF_USED);
		a->max_uses = ward_get_be32(p + WARD_REC_OFF_MAX);
		return;
	case JR_EVENT:
		if (common(r, &EVENT, a) != 0)
			return;
		a->event = p[JR_EV_KIND];
		a->via = p[JR_EV_SOCKET];
		memcpy(a->context2, p + JR_EV_CTX2, WARD_CTX_BYTES);
		if (a->event == JK_DEFER) {
			/* Its id field is the call's digest (journal.h). */
			a->pending = ward_get_be64(p + JR_EV_PD_ID);
			a->deadline = ward_get_be64(p + JR_EV_PD_DEADLINE);
			memcpy(a->digest, a->block, WARD_ID_BYTES);
			memset(a->block, 0, WARD_ID_BYTES);
		} else if (a->event == JK_ASK) {
			a->ask_seconds = ward_get_be32(p + JR_EV_ASK_DEADLINE);
			a->not_after = ward_get_be64(p + JR_EV_ASK_NOT_AFTER);
		}
		return;
	case JR_RESERVE:
		if (r->len < JR_RS_LEN) {
			a->damaged = 1;
			return;
		}
		memcpy(a->block, p + JR_RS_ID, WARD_ID_BYTES);
		a->max_uses = ward_get_be32(p + JR_RS_MAX);
		a->reserved = ward_get_be32(p + JR_RS_RESERVED);
		if (r->len >= JR_RS_LEN_CTX)
			memcpy(a->context, p + JR_RS_CTX, WARD_CTX_BYTES);
		return;
	case JR_CHECKPOINT:
		if (r->len < JR_CK_LEN)
			a->damaged = 1;
		else
			a->time = ward_get_be64(p + JR_CK_TIME);
		return;
	default:
		return;
	}
}

static const char *
type_name(unsigned t)
{
	switch (t) {
	case JR_DECISION:
		return "decision";
	case JR_EVENT:
		return "event";
	case JR_RESERVE:
		return "reserve";
	case JR_CHECKPOINT:
		return "checkpoint";
	default:
		return "unknown";
	}
}

static int
zero(const uint8_t *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (b[i] != 0)
			return 0;
	return 1;
}

struct flist {
	struct ar_field *f;
	size_t n;
};

static void
add(struct flist *l, const char *name, enum ar_ftype t, uint64_t num,
    const char *str, const uint8_t *bin, size_t len)
{
	if (l->n >= AR_FIELDS_MAX)
		return;
	l->f[l->n].name = name;
	l->f[l->n].t = t;
	l->f[l->n].num = num;
	l->f[l->n].str = str;
	l->f[l->n].bin = bin;
	l->f[l->n].len = len;
	l->n++;
}

#define NUM(l, k, v) add(l, k, AF_NUM, (uint64_t)(v), NULL, NULL, 0)
#define NAME(l, k, v) add(l, k, AF_NAME, 0, v, NULL, 0)
#define HEX(l, k, b, n) add(l, k, AF_HEX, 0, NULL, b, n)
#define HEXNZ(l, k, b, n) do { if (!zero(b, n)) HEX(l, k, b, n); } while (0)

size_t
ar_fields(const struct ar_rec *a, struct ar_field f[AR_FIELDS_MAX])
{
	struct flist l = { f, 0 };

	NUM(&l, "seq", a->seq);
	if (!a->damaged && (a->type == JR_DECISION || a->type == JR_EVENT ||
			    a->type == JR_CHECKPOINT))
		add(&l, "time", AF_TIME, a->time, NULL, NULL, 0);
	NAME(&l, "type", type_name(a->type));
	if (a->damaged) {
		NAME(&l, "damaged", "short");
		return l.n;
	}
	switch (a->type) {
	case JR_DECISION:
		NAME(&l, "verdict", wn_verdict(a->verdict));
		NAME(&l, "op", wn_op(a->op));
		NAME(&l, "reason", wn_reason(a->reason));
		HEX(&l, "context", a->context, WARD_CTX_BYTES);
		HEXNZ(&l, "block", a->block, WARD_ID_BYTES);
		HEX(&l, "digest", a->digest, WARD_ID_BYTES);
		NUM(&l, "nonce", a->nonce);
		if (a->verdict == JV_ALLOWED) {
			NUM(&l, "approval", a->approval);
			NUM(&l, "uses", a->uses);
			NUM(&l, "max_uses", a->max_uses);
		}
		/* For tool.invoke the resource is the tool's name: say so
		 * under the glossary's word too. */
		if (a->op == WARD_OP_TOOL_INVOKE)
			add(&l, "tool", AF_BYTES, 0, NULL, a->bytes, a->nbytes);
		add(&l, "resource", AF_BYTES, 0, NULL, a->bytes, a->nbytes);
		break;
	case JR_EVENT:
		NAME(&l, "verdict", wn_verdict(a->verdict));
		NAME(&l, "event", wn_event(a->event));
		NAME(&l, "reason", wn_reason(a->reason));
		NAME(&l, "via", wn_via(a->via));
		HEXNZ(&l, "context", a->context, WARD_CTX_BYTES);
		if (a->event == JK_SPAWN)
			HEXNZ(&l, "parent", a->context2, WARD_CTX_BYTES);
		else if (a->event == JK_ADMIN)
			HEXNZ(&l, "admin_nonce", a->context2, WARD_CTX_BYTES);
		else if (a->event == JK_DEFER) {
			if (a->pending != 0) {
				NUM(&l, "pending", a->pending);
				add(&l, "deadline", AF_TIME, a->deadline, NULL,
				    NULL, 0);
			}
			HEXNZ(&l, "digest", a->digest, WARD_ID_BYTES);
		} else if (a->event == JK_ASK) {
			NUM(&l, "ask_seconds", a->ask_seconds);
			add(&l, "not_after", AF_TIME, a->not_after, NULL, NULL,
			    0);
		} else
			HEXNZ(&l, "context2", a->context2, WARD_CTX_BYTES);
		HEXNZ(&l, a->event == JK_TRUST ? "key" : "block", a->block,
		      WARD_ID_BYTES);
		/* A revoke event's nonce field only says that its context
		 * is the one the block is bound to (journal.h): a broker's
		 * revocation, forgotten at the first start after that
		 * context is closed. */
		if (a->event == JK_REVOKE) {
			if (a->nonce != 0)
				NUM(&l, "bound_context", a->nonce);
		} else if (a->nonce != 0)
			NUM(&l, "nonce", a->nonce);
		add(&l, "text", AF_BYTES, 0, NULL, a->bytes, a->nbytes);
		break;
	case JR_RESERVE:
		HEXNZ(&l, "context", a->context, WARD_CTX_BYTES);
		HEX(&l, "block", a->block, WARD_ID_BYTES);
		NUM(&l, "reserved", a->reserved);
		NUM(&l, "max_uses", a->max_uses);
		break;
	case JR_CHECKPOINT:
		NUM(&l, "covers", a->seq);
		break;
	default:
		NUM(&l, "type_code", a->type);
		break;
	}
	return l.n;
}

static void
iso_time(uint64_t t, char *out, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(out, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(out, len, "%llu", (unsigned long long)t);
}

/* Appends to out at *k, never past outlen (the line is then cut). */
static void
put(char *out, size_t outlen, size_t *k, const char *s)
{
	size_t n = strlen(s);

	if (*k >= outlen)
		return;
	if (n > outlen - 1 - *k)
		n = outlen - 1 - *k;
	memcpy(out + *k, s, n);
	*k += n;
	out[*k] = '\0';
}

static void
hex(char *out, const uint8_t *b, size_t n)
{
	static const char d[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = d[b[i] >> 4];
		out[2 * i + 1] = d[b[i] & 0xfu];
	}
	out[2 * n] = '\0';
}

/* A field's value for the text line, or the inside of its JSON string. */
static void
value(const struct ar_field *f, int json, char *v, size_t cap)
{
	switch (f->t) {
	case AF_NUM:
		snprintf(v, cap, "%llu", (unsigned long long)f->num);
		break;
	case AF_NAME:
		snprintf(v, cap, "%s", f->str);
		break;
	case AF_TIME:
		iso_time(f->num, v, cap);
		break;
	case AF_HEX:
		if (2 * f->len + 1 <= cap)
			hex(v, f->bin, f->len);
		else
			v[0] = '\0';
		break;
	case AF_BYTES:
		/* cap holds any record's bytes escaped: never cut. */
		if (!json)
			(void)text_escape(v, cap, f->bin, f->len, 0);
		else if (text_json_escape(v, cap, f->bin, f->len) != 0)
			v[0] = '\0';
		break;
	}
}

#define AR_VALUE_MAX (TEXT_JSON_ESC_MAX * WARD_AUDIT_REC_MAX + 1)

/* The text line: "#SEQ  TIME  TYPE  VERDICT  name=value ...". */
static void
text_field(const struct ar_field *f, const struct ar_field *prev,
	   const char *v, char *out, size_t outlen, size_t *k)
{
	const char *n = f->name;

	if (strcmp(n, "seq") == 0) {
		put(out, outlen, k, "#");
	} else if (strcmp(n, "time") == 0 || strcmp(n, "type") == 0 ||
		   strcmp(n, "verdict") == 0) {
		put(out, outlen, k, "  ");
	} else {
		put(out, outlen, k, prev != NULL &&
		    strcmp(prev->name, "verdict") == 0 ? "  " : " ");
		put(out, outlen, k, n);
		put(out, outlen, k, "=");
	}
	put(out, outlen, k, v);
}

/* The JSON object: "name":value, a number bare, the rest quoted. */
static void
json_field(const struct ar_field *f, const struct ar_field *prev,
	   const char *v, char *out, size_t outlen, size_t *k)
{
	int q = f->t != AF_NUM;

	put(out, outlen, k, prev != NULL ? ",\"" : "{\"");
	put(out, outlen, k, f->name);
	put(out, outlen, k, q ? "\":\"" : "\":");
	put(out, outlen, k, v);
	if (q)
		put(out, outlen, k, "\"");
}

/* Both printers: one walk of one field list. */
static void
render(const struct ar_rec *a, int json, char *out, size_t outlen)
{
	struct ar_field f[AR_FIELDS_MAX];
	char v[AR_VALUE_MAX];
	size_t n = ar_fields(a, f), i, k = 0;

	if (outlen == 0)
		return;
	out[0] = '\0';
	for (i = 0; i < n; i++) {
		value(&f[i], json, v, sizeof v);
		(json ? json_field : text_field)(&f[i], i > 0 ? &f[i - 1] : NULL,
						 v, out, outlen, &k);
	}
	if (json)
		put(out, outlen, &k, n > 0 ? "}" : "{}");
}

void
ar_text(const struct ar_rec *a, char *out, size_t outlen)
{
	render(a, 0, out, outlen);
}

void
ar_json(const struct ar_rec *a, char *out, size_t outlen)
{
	render(a, 1, out, outlen);
}

void
ar_format(const struct jr_rec *r, int json, char *out, size_t outlen)
{
	struct ar_rec a;

	ar_decode(r, &a);
	if (json)
		ar_json(&a, out, outlen);
	else
		ar_text(&a, out, outlen);
}
