/*
 * record.h -- one decoder of an audit record (journal.h) into a struct,
 * and the two printers over it, text and JSON, which print the same
 * fields under the same names (docs/glossary.md) because both walk one
 * list of fields (ar_fields).  Every command that prints records uses
 * them: 'ward audit show', 'ward audit' and its --json and --follow.
 *
 * Untrusted bytes (a decision's resource, an event's text) go through
 * common/text.h: text_escape() in the text line (no byte a terminal
 * obeys; \xHH), text_json_escape() in JSON (ASCII, valid JSON for any
 * bytes; each byte the code point of the same number).
 *
 * Not part of the verified core.
 */
#ifndef WARD_SRV_RECORD_H
#define WARD_SRV_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "ward.h"
#include "journal.h"

/* A record, decoded.  Which fields mean something depends on type; the
 * field list (ar_fields) says which are printed. */
struct ar_rec {
	uint64_t seq;		/* position in the log */
	unsigned type;		/* JR_DECISION, JR_EVENT, JR_RESERVE, ... */
	int damaged;		/* 1: too short for its type */
	unsigned verdict;	/* JV_* (= WARD_VERDICT_* for decisions) */
	unsigned reason;	/* names.h wn_reason */
	unsigned op;		/* decision: WARD_OP_* */
	unsigned event;		/* event: JK_* */
	unsigned via;		/* event: JS_* */
	uint64_t time;		/* seconds since the epoch */
	uint64_t nonce;		/* decision: the request's; admin event: its timestamp */
	uint64_t approval;	/* decision: approval number, 0 if blocked */
	uint32_t uses, max_uses;	/* decision: leaf uses after it, its max */
	uint32_t reserved;	/* reserve: the watermark */
	uint8_t context[WARD_CTX_BYTES];
	uint8_t context2[WARD_CTX_BYTES];	/* event: parent, or admin nonce */
	uint8_t block[WARD_ID_BYTES];	/* leaf / block id, or a key (trust) */
	uint8_t digest[WARD_ID_BYTES];	/* decision: the parameters' digest */
	uint64_t pending;	/* deferred event: the call's id */
	uint64_t deadline;	/* deferred event: refused after this time */
	uint32_t ask_seconds;	/* ask event: the operator's time to answer */
	uint64_t not_after;	/* ask event: the mark is forgotten after it */
	const uint8_t *bytes;	/* resource (decision) or text (event) */
	size_t nbytes;
};

/* Decode r (a good record from jr_scan) into out.  out->bytes points
 * into r->rec. */
void ar_decode(const struct jr_rec *r, struct ar_rec *out);

/* One field of a record as both printers see it. */
enum ar_ftype {
	AF_NUM,		/* num */
	AF_NAME,	/* str: a name from names.h, trusted ASCII */
	AF_TIME,	/* num: seconds, printed as ISO 8601 UTC */
	AF_HEX,		/* bin[0..len) as lower-case hex */
	AF_BYTES	/* bin[0..len): untrusted, escaped */
};

struct ar_field {
	const char *name;	/* the glossary's word */
	enum ar_ftype t;
	uint64_t num;
	const char *str;
	const uint8_t *bin;
	size_t len;
};

#define AR_FIELDS_MAX 20

/* The fields of a, in print order (untrusted bytes last, so that a text
 * line can be split at the first '=' of each field).  Returns how many
 * were written to f (at most AR_FIELDS_MAX). */
size_t ar_fields(const struct ar_rec *a, struct ar_field f[AR_FIELDS_MAX]);

/* The longest line either printer writes, with its NUL: the untrusted
 * bytes at most twice (a tool.invoke's resource is its tool), 6 bytes
 * each in JSON, and the fixed fields. */
#define AR_LINE_MAX (12 * WARD_AUDIT_REC_MAX + 2048)

/* One line for people:
 *   #SEQ  TIME  TYPE  VERDICT  name=value name=value ...
 * (TIME and VERDICT only when the record has them); untrusted bytes
 * escaped by text_escape(). */
void ar_text(const struct ar_rec *a, char *out, size_t outlen);

/* One JSON object, ASCII, no newline:
 *   {"seq":N,"time":"...","type":"decision","verdict":"ALLOWED",...}
 * numbers as JSON numbers, everything else as strings. */
void ar_json(const struct ar_rec *a, char *out, size_t outlen);

/* Decode and print in one call: json 0 for ar_text, 1 for ar_json. */
void ar_format(const struct jr_rec *r, int json, char *out, size_t outlen);

#endif
