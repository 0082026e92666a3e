/*
 * test_record.c -- the audit record printers (server/record.c): the
 * text line and the JSON object of one record carry the same fields
 * under the same names, in the same order, for a decision record and an
 * event record; a resource or text holding control bytes and invalid
 * UTF-8 is escaped in the text line (no byte a terminal obeys) and is
 * valid, ASCII JSON that decodes back to the very bytes.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "t.h"
#include "approve.h"
#include "codec.h"
#include "journal.h"
#include "names.h"
#include "record.h"
#include "wire.h"
#include "text.h"

/* Control bytes, an escape sequence, a lone continuation byte, a cut
 * UTF-8 sequence, 0xff, DEL, a quote and a backslash. */
static const uint8_t EVIL[] = "/w/\x1b[2J\r\n\x80\xc3(\xff\x7f\"\\x\x00z";
#define EVIL_LEN (sizeof EVIL - 1)

static size_t
decision(uint8_t *p, unsigned verdict, unsigned op)
{
	size_t i;

	memset(p, 0, WARD_REC_OFF_RES);
	p[WARD_REC_OFF_TYPE] = JR_DECISION;
	p[WARD_REC_OFF_VERDICT] = (uint8_t)verdict;
	p[WARD_REC_OFF_REASON] = verdict == JV_ALLOWED ? WARD_OK :
				 WARD_E_OUT_OF_SCOPE;
	p[WARD_REC_OFF_OP] = (uint8_t)op;
	for (i = 0; i < 16; i++)
		p[WARD_REC_OFF_CONTEXT + i] = (uint8_t)(0xa0 + i);
	for (i = 0; i < 32; i++) {
		p[WARD_REC_OFF_LEAF + i] = (uint8_t)i;
		p[WARD_REC_OFF_DIGEST + i] = (uint8_t)(0xff - i);
	}
	ward_put_be64(p + WARD_REC_OFF_NONCE, 77);
	ward_put_be64(p + WARD_REC_OFF_TIME, 1700000000);
	ward_put_be64(p + WARD_REC_OFF_SEQ, 5);
	ward_put_be32(p + WARD_REC_OFF_USED, 3);
	ward_put_be32(p + WARD_REC_OFF_MAX, 10);
	ward_put_be16(p + WARD_REC_OFF_RLEN, (uint16_t)EVIL_LEN);
	memcpy(p + WARD_REC_OFF_RES, EVIL, EVIL_LEN);
	return WARD_REC_OFF_RES + EVIL_LEN;
}

static size_t
event(uint8_t *p, unsigned kind)
{
	size_t i;

	memset(p, 0, JR_EV_TEXT);
	p[JR_EV_TYPE] = JR_EVENT;
	p[JR_EV_VERDICT] = JV_REPORTED;
	p[JR_EV_KIND] = (uint8_t)kind;
	p[JR_EV_SOCKET] = JS_BROKER;
	for (i = 0; i < 16; i++) {
		p[JR_EV_CTX + i] = (uint8_t)(0x10 + i);
		p[JR_EV_CTX2 + i] = (uint8_t)(0x30 + i);
	}
	for (i = 0; i < 32; i++)
		p[JR_EV_ID + i] = (uint8_t)(0x50 + i);
	ward_put_be64(p + JR_EV_TIME, 1700000001);
	ward_put_be64(p + JR_EV_NONCE, 9);
	ward_put_be16(p + JR_EV_TLEN, (uint16_t)EVIL_LEN);
	memcpy(p + JR_EV_TEXT, EVIL, EVIL_LEN);
	return JR_EV_TEXT + EVIL_LEN;
}

/* ---- a small JSON reader: one flat object of strings and numbers ---- */

struct jfield {
	char key[32];
	int is_num;
	uint8_t val[1024];	/* the decoded string (code points <= 0xff as bytes) */
	size_t len;
};

static const char *
jstr(const char *s, uint8_t *out, size_t cap, size_t *len)
{
	*len = 0;
	if (*s++ != '"')
		return NULL;
	while (*s != '"') {
		unsigned c = (unsigned char)*s;

		if (c < 0x20 || c >= 0x7f || *len == cap)
			return NULL;	/* raw control or non-ASCII byte */
		if (c == '\\') {
			s++;
			switch (*s) {
			case '"': case '\\': case '/':
				c = (unsigned char)*s;
				break;
			case 'n': c = '\n'; break;
			case 't': c = '\t'; break;
			case 'r': c = '\r'; break;
			case 'b': c = '\b'; break;
			case 'f': c = '\f'; break;
			case 'u':
				if (sscanf(s + 1, "%4x", &c) != 1 || c > 0xff)
					return NULL;
				s += 4;
				break;
			default:
				return NULL;
			}
		}
		out[(*len)++] = (uint8_t)c;
		s++;
	}
	return s + 1;
}

/* Returns the number of fields, or -1 if s is not such an object. */
static int
jparse(const char *s, struct jfield *f, int max)
{
	int n = 0;
	size_t kl;

	if (*s++ != '{')
		return -1;
	while (*s != '}') {
		if (n == max)
			return -1;
		if (n > 0 && *s++ != ',')
			return -1;
		s = jstr(s, (uint8_t *)f[n].key, sizeof f[n].key - 1, &kl);
		if (s == NULL || *s++ != ':')
			return -1;
		f[n].key[kl] = '\0';
		if (*s == '"') {
			f[n].is_num = 0;
			s = jstr(s, f[n].val, sizeof f[n].val, &f[n].len);
			if (s == NULL)
				return -1;
		} else {
			f[n].is_num = 1;
			f[n].len = 0;
			while (*s >= '0' && *s <= '9' && f[n].len < 30)
				f[n].val[f[n].len++] = (uint8_t)*s++;
			if (f[n].len == 0)
				return -1;
		}
		n++;
	}
	return s[1] == '\0' ? n : -1;
}

static int
printable_only(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f)
			return 0;
	return 1;
}

/* The text line and the JSON object of r carry the same fields: the
 * JSON's keys are ar_fields' names in order; the text line holds each
 * value, the untrusted bytes escaped, under the same name (seq, time,
 * type and verdict in front, without names). */
static void
same_fields(const char *t_name, const uint8_t *rec, size_t len)
{
	struct jr_rec r = { .seq = 42, .rec = rec, .len = (uint32_t)len };
	struct ar_rec a;
	struct ar_field f[AR_FIELDS_MAX];
	static struct jfield j[AR_FIELDS_MAX + 1];
	static char text[AR_LINE_MAX], json[AR_LINE_MAX], want[2 * AR_LINE_MAX];
	const char *at;
	size_t n, i;
	int jn, saw_bytes = 0;

	ar_decode(&r, &a);
	n = ar_fields(&a, f);
	ar_text(&a, text, sizeof text);
	ar_json(&a, json, sizeof json);
	EXPECT(printable_only(text));
	EXPECT(printable_only(json));
	jn = jparse(json, j, AR_FIELDS_MAX + 1);
	EXPECT_EQ(jn, (long long)n);
	if (jn != (int)n) {
		printf("  json: %s\n", json);
		return;
	}
	EXPECT(strncmp(text, "#42", 3) == 0);
	at = text + 3;
	for (i = 0; i < n; i++) {
		char v[AR_LINE_MAX];

		EXPECT(strcmp(j[i].key, f[i].name) == 0);
		EXPECT_EQ(j[i].is_num, f[i].t == AF_NUM);
		/* The value JSON carries, as the text line shows it. */
		if (f[i].t == AF_BYTES) {
			saw_bytes = 1;
			EXPECT_EQ(j[i].len, EVIL_LEN);
			EXPECT(memcmp(j[i].val, EVIL, EVIL_LEN) == 0);
			(void)text_escape(v, sizeof v, j[i].val, j[i].len, 0);
		} else {
			memcpy(v, j[i].val, j[i].len);
			v[j[i].len] = '\0';
		}
		if (strcmp(f[i].name, "seq") == 0) {
			EXPECT(strcmp(v, "42") == 0);
			continue;
		}
		if (strcmp(f[i].name, "time") == 0 ||
		    strcmp(f[i].name, "type") == 0 ||
		    strcmp(f[i].name, "verdict") == 0)
			snprintf(want, sizeof want, "  %s", v);
		else
			snprintf(want, sizeof want, "%s=%s", f[i].name, v);
		at = strstr(at, want);
		EXPECT(at != NULL);
		if (at == NULL) {
			printf("  no '%s' in order in: %s\n", want, text);
			return;
		}
		at += strlen(want);
	}
	EXPECT(*at == '\0');
	EXPECT(saw_bytes);
}

static int
has_field(const uint8_t *rec, size_t len, const char *name)
{
	struct jr_rec r = { .seq = 1, .rec = rec, .len = (uint32_t)len };
	struct ar_rec a;
	struct ar_field f[AR_FIELDS_MAX];
	size_t n, i;

	ar_decode(&r, &a);
	n = ar_fields(&a, f);
	for (i = 0; i < n; i++)
		if (strcmp(f[i].name, name) == 0)
			return 1;
	return 0;
}

TEST(decision_allowed_text_and_json_carry_the_same_fields)
{
	uint8_t p[WARD_AUDIT_REC_MAX];

	same_fields(t_name, p, decision(p, JV_ALLOWED, WARD_OP_FS_READ));
	EXPECT(has_field(p, decision(p, JV_ALLOWED, WARD_OP_FS_READ), "uses"));
}

TEST(decision_blocked_text_and_json_carry_the_same_fields)
{
	uint8_t p[WARD_AUDIT_REC_MAX];
	size_t n = decision(p, JV_BLOCKED, WARD_OP_NET_CONNECT);

	same_fields(t_name, p, n);
	EXPECT(has_field(p, n, "reason") && has_field(p, n, "digest") &&
	       has_field(p, n, "block") && has_field(p, n, "nonce") &&
	       has_field(p, n, "context") && has_field(p, n, "op"));
}

TEST(tool_invoke_names_the_tool)
{
	uint8_t p[WARD_AUDIT_REC_MAX];
	size_t n = decision(p, JV_ALLOWED, WARD_OP_TOOL_INVOKE);

	same_fields(t_name, p, n);
	EXPECT(has_field(p, n, "tool"));
	EXPECT(!has_field(p, decision(p, JV_ALLOWED, WARD_OP_FS_READ), "tool"));
}

TEST(event_text_and_json_carry_the_same_fields)
{
	uint8_t p[WARD_AUDIT_REC_MAX];
	size_t n = event(p, JK_LOG);

	same_fields(t_name, p, n);
	EXPECT(has_field(p, n, "event") && has_field(p, n, "via") &&
	       has_field(p, n, "text") && has_field(p, n, "block"));
	n = event(p, JK_SPAWN);
	same_fields(t_name, p, n);
	EXPECT(has_field(p, n, "parent"));
}

TEST(revoke_event_says_whether_its_context_is_bound)
{
	uint8_t p[WARD_AUDIT_REC_MAX];
	size_t n = event(p, JK_REVOKE);

	ward_put_be64(p + JR_EV_REV_BOUND, 1);
	same_fields(t_name, p, n);
	EXPECT(has_field(p, n, "bound_context") && !has_field(p, n, "nonce"));
	ward_put_be64(p + JR_EV_REV_BOUND, 0);
	EXPECT(!has_field(p, n, "bound_context") && !has_field(p, n, "nonce"));
}

TEST(deferred_and_ask_events_carry_the_same_fields)
{
	uint8_t p[WARD_AUDIT_REC_MAX];
	size_t n = event(p, JK_DEFER);

	p[JR_EV_VERDICT] = JV_DEFERRED;
	p[JR_EV_REASON] = WR_DEFERRED;
	same_fields(t_name, p, n);
	/* The call's id, its deadline and its digest, never a "block". */
	EXPECT(has_field(p, n, "pending") && has_field(p, n, "deadline") &&
	       has_field(p, n, "digest") && !has_field(p, n, "block") &&
	       has_field(p, n, "text"));
	n = event(p, JK_ASK);
	p[JR_EV_VERDICT] = JV_ALLOWED;
	same_fields(t_name, p, n);
	EXPECT(has_field(p, n, "ask_seconds") && has_field(p, n, "not_after") &&
	       has_field(p, n, "block"));
}

TEST(json_of_any_bytes_is_valid_and_decodes_back)
{
	uint8_t in[256], out[2048];
	static char e[TEXT_JSON_ESC_MAX * 256 + 3];
	size_t i, len;

	for (i = 0; i < 256; i++)
		in[i] = (uint8_t)i;
	e[0] = '"';
	EXPECT_EQ(text_json_escape(e + 1, sizeof e - 2, in, 256), 0);
	strcat(e, "\"");
	EXPECT(printable_only(e));
	EXPECT(jstr(e, out, sizeof out, &len) != NULL);
	EXPECT_EQ(len, 256);
	EXPECT(memcmp(in, out, 256) == 0);
	EXPECT_EQ(text_json_escape(e, 6, in, 1), -1);
	EXPECT(e[0] == '\0');
}

TEST(short_and_unknown_records_print_without_reading_past_them)
{
	uint8_t p[WARD_AUDIT_REC_MAX];
	struct jr_rec r = { .seq = 3, .rec = p, .len = 10 };
	char text[AR_LINE_MAX], json[AR_LINE_MAX];
	struct jfield j[AR_FIELDS_MAX];

	decision(p, JV_ALLOWED, WARD_OP_FS_READ);
	ar_format(&r, 0, text, sizeof text);
	ar_format(&r, 1, json, sizeof json);
	EXPECT(strstr(text, "damaged=short") != NULL);
	EXPECT(jparse(json, j, AR_FIELDS_MAX) > 0);
	p[0] = 99;
	ar_format(&r, 1, json, sizeof json);
	EXPECT(jparse(json, j, AR_FIELDS_MAX) > 0);
	EXPECT(strstr(json, "\"type_code\":99") != NULL);
}

int
main(void)
{
	RUN(decision_allowed_text_and_json_carry_the_same_fields);
	RUN(decision_blocked_text_and_json_carry_the_same_fields);
	RUN(tool_invoke_names_the_tool);
	RUN(event_text_and_json_carry_the_same_fields);
	RUN(json_of_any_bytes_is_valid_and_decodes_back);
	RUN(short_and_unknown_records_print_without_reading_past_them);
	RUN(deferred_and_ask_events_carry_the_same_fields);
	RUN(revoke_event_says_whether_its_context_is_bound);
	T_EXIT();
}
