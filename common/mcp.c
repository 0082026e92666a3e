/*
 * mcp.c -- the one MCP front: JSON-RPC 2.0 line framing, error shapes and
 * version negotiation (mcp.h).  Untrusted side of ward, not verified.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mcp.h"

#ifndef WARD_RELEASE
#error "WARD_RELEASE is defined by the GNUmakefile"
#endif

const char mcp_release[] = WARD_RELEASE;

/* 2025-03-26 is left out on purpose: it is the one revision with batches,
 * which this front refuses (mcp.h). */
const char *const mcp_versions[] = {
	MCP_LATEST, "2025-06-18", "2024-11-05", NULL,
};

#define MCP_CHUNK 65536u

/* ---- framing ---------------------------------------------------------------- */

void
mcp_in_init(struct mcp_in *r, size_t max)
{
	memset(r, 0, sizeof *r);
	r->max = max;
}

void
mcp_in_free(struct mcp_in *r)
{
	free(r->b);
	r->b = NULL;
	r->len = r->cap = r->off = r->scan = 0;
	r->skipping = 0;
}

size_t
mcp_in_pending(const struct mcp_in *r)
{
	return r->len - r->off;
}

/* Room for `want` more bytes: what was handled is dropped first, and a
 * line being skipped is never kept.  0, or -1 out of memory. */
static int
room(struct mcp_in *r, size_t want)
{
	if (r->off > 0) {
		memmove(r->b, r->b + r->off, r->len - r->off);
		r->len -= r->off;
		r->scan -= r->off;
		r->off = 0;
	}
	if (r->skipping) {	/* nothing of it is kept */
		r->len = r->scan = 0;
	}
	if (r->cap - r->len < want) {
		size_t nc = r->len + want;
		char *nb;

		if (nc < r->cap * 2)
			nc = r->cap * 2;
		/* Never more than a line, a chunk and its NUL. */
		if (nc > r->max + MCP_CHUNK + 2 && r->len + want <= r->max + MCP_CHUNK + 2)
			nc = r->max + MCP_CHUNK + 2;
		nb = realloc(r->b, nc);
		if (nb == NULL)
			return -1;
		r->b = nb;
		r->cap = nc;
	}
	return 0;
}

int
mcp_in_put(struct mcp_in *r, const void *p, size_t n)
{
	if (room(r, n + 1) != 0)
		return -1;
	memcpy(r->b + r->len, p, n);
	r->len += n;
	return 0;
}

long
mcp_in_fill(struct mcp_in *r, int fd)
{
	ssize_t n;

	if (room(r, MCP_CHUNK + 1) != 0)
		return -1;
	do
		n = read(fd, r->b + r->len, MCP_CHUNK);
	while (n < 0 && errno == EINTR);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return 0;
	if (n <= 0) {
		r->eof = 1;
		return n < 0 ? -1 : 0;
	}
	r->len += (size_t)n;
	return (long)n;
}

/* The first bytes of a line being dropped. */
static void
keep_head(struct mcp_in *r, const char *from, size_t n)
{
	r->headlen = n < MCP_KEEP_ENDS ? n : MCP_KEEP_ENDS;
	memcpy(r->head, from, r->headlen);
	r->taillen = 0;
}

/* n more bytes of a line being dropped: its last MCP_KEEP_ENDS are kept,
 * across the reads it comes in. */
static void
keep_tail(struct mcp_in *r, const char *from, size_t n)
{
	if (n >= MCP_KEEP_ENDS) {
		memcpy(r->tail, from + n - MCP_KEEP_ENDS, MCP_KEEP_ENDS);
		r->taillen = MCP_KEEP_ENDS;
		return;
	}
	if (r->taillen + n > MCP_KEEP_ENDS) {
		size_t drop = r->taillen + n - MCP_KEEP_ENDS;

		memmove(r->tail, r->tail + drop, r->taillen - drop);
		r->taillen -= drop;
	}
	memcpy(r->tail + r->taillen, from, n);
	r->taillen += n;
}

int
mcp_in_next(struct mcp_in *r, char **line, size_t *len)
{
	if (r->end_due) {
		r->end_due = 0;
		return 3;
	}
	for (;;) {
		char *nl = r->len > r->scan ?
			memchr(r->b + r->scan, '\n', r->len - r->scan) : NULL;
		size_t start = r->off, n;

		if (nl == NULL) {
			r->scan = r->len;
			if (!r->skipping && r->len - r->off > r->max) {
				/* No newline in sight: answered now, dropped
				 * up to its end, never kept. */
				keep_head(r, r->b + r->off, r->len - r->off);
				keep_tail(r, r->b + r->off, r->len - r->off);
				r->skipping = 1;
				r->off = r->scan = r->len;
				return 2;
			}
			if (r->skipping) {
				/* What the tail may need of this piece. */
				if (r->len > r->off)
					keep_tail(r, r->b + r->off, r->len - r->off);
				r->off = r->scan = r->len;
			}
			return 0;
		}
		n = (size_t)(nl - (r->b + start));
		r->off = r->scan = (size_t)(nl - r->b) + 1;
		if (r->skipping) {	/* the end of an over-long line */
			r->skipping = 0;
			keep_tail(r, r->b + start, n);
			if (r->report_end)
				return 3;
			continue;
		}
		if (n > r->max) {
			keep_head(r, r->b + start, n);
			keep_tail(r, r->b + start, n);
			r->end_due = r->report_end;
			return 2;
		}
		if (n > 0 && r->b[start + n - 1] == '\r')
			n--;
		r->b[start + n] = '\0';
		*line = r->b + start;
		*len = n;
		return 1;
	}
}

/* ---- messages --------------------------------------------------------------- */

const char *
mcp_error_text(int code)
{
	switch (code) {
	case MCP_PARSE_ERROR: return "Parse error";
	case MCP_INVALID_REQUEST: return "Invalid Request";
	case MCP_METHOD_NOT_FOUND: return "Method not found";
	case MCP_INVALID_PARAMS: return "Invalid params";
	case MCP_INTERNAL_ERROR: return "Internal error";
	default: return "Server error";
	}
}

static json_t *
error_v(json_t *id, int code, const char *fmt, va_list ap)
{
	json_t *e = json_pack("{s:i, s:s}", "code", code, "message",
			      mcp_error_text(code));

	if (fmt != NULL) {
		char d[1024];

		vsnprintf(d, sizeof d, fmt, ap);
		json_object_set_new(e, "data", json_pack("{s:s}", "detail", d));
	}
	return json_pack("{s:s, s:O, s:o}", "jsonrpc", "2.0", "id",
			 id != NULL ? id : json_null(), "error", e);
}

json_t *
mcp_error(json_t *id, int code, const char *fmt, ...)
{
	va_list ap;
	json_t *j;

	va_start(ap, fmt);
	j = error_v(id, code, fmt, ap);
	va_end(ap);
	return j;
}

json_t *
mcp_result(json_t *id, json_t *result)
{
	return json_pack("{s:s, s:O, s:o}", "jsonrpc", "2.0", "id",
			 id != NULL ? id : json_null(), "result",
			 result != NULL ? result : json_object());
}

json_t *
mcp_too_long(size_t max)
{
	return mcp_error(NULL, MCP_INVALID_REQUEST, "message longer than %zu "
			 "bytes", max);
}

static int
blank(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
			return 0;
	return 1;
}

static int
id_ok(json_t *id)
{
	return json_is_string(id) || json_is_integer(id);
}

enum mcp_kind
mcp_parse(const char *line, size_t len, struct mcp_msg *m, json_t **reply)
{
	json_error_t je;
	json_t *j, *jv;

	memset(m, 0, sizeof *m);
	*reply = NULL;
	if (blank(line, len))
		return MCP_NONE;
	j = json_loadb(line, len, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &je);
	if (j == NULL) {
		*reply = mcp_error(NULL, MCP_PARSE_ERROR, "%s (column %d)",
				   je.text, je.column);
		return MCP_BAD;
	}
	if (json_is_array(j)) {
		*reply = mcp_error(NULL, MCP_INVALID_REQUEST, "batches are not "
				   "supported");
		json_decref(j);
		return MCP_BAD;
	}
	if (!json_is_object(j)) {
		*reply = mcp_error(NULL, MCP_INVALID_REQUEST, "a message is a "
				   "JSON object");
		json_decref(j);
		return MCP_BAD;
	}
	m->j = j;
	m->id = json_object_get(j, "id");
	m->method = json_string_value(json_object_get(j, "method"));
	m->params = json_object_get(j, "params");
	jv = json_object_get(j, "jsonrpc");
	if (!json_is_string(jv) || strcmp(json_string_value(jv), "2.0") != 0) {
		*reply = mcp_error(id_ok(m->id) ? m->id : NULL, MCP_INVALID_REQUEST,
				   "\"jsonrpc\" must be \"2.0\"");
		goto bad;
	}
	if (m->id != NULL && !id_ok(m->id)) {
		*reply = mcp_error(NULL, MCP_INVALID_REQUEST, "an id is a string "
				   "or an integer");
		goto bad;
	}
	if (json_object_get(j, "method") != NULL && m->method == NULL) {
		*reply = mcp_error(m->id, MCP_INVALID_REQUEST, "\"method\" must "
				   "be a string");
		goto bad;
	}
	if (m->method == NULL) {
		if (m->id != NULL && (json_object_get(j, "result") != NULL ||
				      json_object_get(j, "error") != NULL))
			return MCP_RESPONSE;
		*reply = mcp_error(m->id, MCP_INVALID_REQUEST, "no \"method\"");
		goto bad;
	}
	if (m->params != NULL && !json_is_object(m->params) &&
	    !json_is_array(m->params)) {
		if (m->id == NULL)
			goto quiet;	/* a notification is never answered */
		*reply = mcp_error(m->id, MCP_INVALID_REQUEST, "\"params\" must "
				   "be an object or an array");
		goto bad;
	}
	return m->id == NULL ? MCP_NOTIFICATION : MCP_REQUEST;
quiet:
	mcp_msg_free(m);
	return MCP_NONE;
bad:
	mcp_msg_free(m);
	return MCP_BAD;
}

void
mcp_msg_of(struct mcp_msg *m, json_t *j)
{
	m->j = json_incref(j);
	m->id = json_object_get(j, "id");
	m->method = json_string_value(json_object_get(j, "method"));
	m->params = json_object_get(j, "params");
}

int
mcp_dispatch(const struct mcp_method *tab, void *ctx, struct mcp_msg *m,
	     json_t **reply)
{
	*reply = NULL;
	for (; m->method != NULL && tab->name != NULL; tab++)
		if (strcmp(tab->name, m->method) == 0) {
			tab->fn(ctx, m);
			return 1;
		}
	if (m->id != NULL)
		*reply = mcp_error(m->id, MCP_METHOD_NOT_FOUND, "no method %s",
				   m->method != NULL ? m->method : "(none)");
	return 0;
}

void
mcp_msg_free(struct mcp_msg *m)
{
	json_decref(m->j);
	memset(m, 0, sizeof *m);
}

json_t *
mcp_tool_ok(json_t *structured, const char *text)
{
	json_t *r = json_pack("{s:[{s:s, s:s}], s:b}", "content", "type", "text",
			      "text", text, "isError", 0);

	if (structured != NULL)
		json_object_set_new(r, "structuredContent", structured);
	return r;
}

json_t *
mcp_refusal(int refused, const char *reason, uint64_t pos, int has_pos,
	    const char *fmt, ...)
{
	char text[1280], msg[1024];
	va_list ap;
	json_t *sc;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (has_pos)
		snprintf(text, sizeof text, "%s: %s (reason=%s, audit #%llu)",
			 refused ? "refused" : "error", msg, reason,
			 (unsigned long long)pos);
	else
		snprintf(text, sizeof text, "%s: %s (reason=%s)",
			 refused ? "refused" : "error", msg, reason);
	sc = json_pack("{s:b, s:s, s:s}", "refused", refused, "reason", reason,
		       "detail", msg);
	if (has_pos)
		json_object_set_new(sc, "audit_pos", json_integer((json_int_t)pos));
	return json_pack("{s:[{s:s, s:s}], s:b, s:o}", "content", "type", "text",
			 "text", text, "isError", 1, "structuredContent", sc);
}

json_t *
mcp_refused(json_t *id, const char *reason, uint64_t pos, int has_pos,
	    const char *fmt, ...)
{
	char text[1280], msg[1024];
	va_list ap;
	json_t *d, *e;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (has_pos)
		snprintf(text, sizeof text, "refused: %s (reason=%s, audit #%llu)",
			 msg, reason, (unsigned long long)pos);
	else
		snprintf(text, sizeof text, "refused: %s (reason=%s)", msg, reason);
	d = json_pack("{s:b, s:s, s:s}", "refused", 1, "reason", reason,
		      "detail", msg);
	if (has_pos)
		json_object_set_new(d, "audit_pos", json_integer((json_int_t)pos));
	e = json_pack("{s:i, s:s, s:o}", "code", MCP_REFUSED, "message", text,
		      "data", d);
	return json_pack("{s:s, s:O, s:o}", "jsonrpc", "2.0", "id",
			 id != NULL ? id : json_null(), "error", e);
}

/* ---- initialize ------------------------------------------------------------- */

const char *
mcp_negotiate(const char *want)
{
	size_t i;

	if (want == NULL)
		return NULL;
	for (i = 0; mcp_versions[i] != NULL; i++)
		if (strcmp(want, mcp_versions[i]) == 0)
			return mcp_versions[i];
	return MCP_LATEST;
}

json_t *
mcp_initialize(json_t *id, json_t *params, int list_changed,
	       const char *title, const char *instructions)
{
	const char *v = mcp_negotiate(json_string_value(
		json_object_get(params, "protocolVersion")));
	json_t *info, *r;

	if (!json_is_object(params) || v == NULL)
		return mcp_error(id, MCP_INVALID_PARAMS, "initialize: "
				 "\"protocolVersion\" (a string) is required");
	info = json_pack("{s:s, s:s}", "name", "ward", "version", WARD_RELEASE);
	if (title != NULL)
		json_object_set_new(info, "title", json_string(title));
	r = json_pack("{s:s, s:{s:{s:b}}, s:o}", "protocolVersion", v,
		      "capabilities", "tools", "listChanged", list_changed,
		      "serverInfo", info);
	if (instructions != NULL)
		json_object_set_new(r, "instructions", json_string(instructions));
	return mcp_result(id, r);
}

/* ---- sending ---------------------------------------------------------------- */

char *
mcp_line(json_t *m, size_t *n)
{
	char *s = json_dumps(m, JSON_COMPACT | JSON_REAL_PRECISION(17));

	if (s == NULL)
		return NULL;
	*n = strlen(s);
	s[(*n)++] = '\n';	/* json_dumps leaves room for the NUL */
	return s;
}

int
mcp_send(struct outq *q, int fd, json_t *m)
{
	size_t n;
	char *s = m != NULL ? mcp_line(m, &n) : NULL;
	int rc = 0;

	json_decref(m);
	if (s != NULL && !q->broken)
		rc = oq_send(q, fd, s, n);
	free(s);
	return rc;
}
