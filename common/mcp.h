/*
 * mcp.h -- the one MCP front (untrusted side of ward, not verified):
 * JSON-RPC 2.0 over newline-delimited lines, as MCP's stdio transport
 * frames it.  Used by ward-broker's agent socket (broker/broker.c), by
 * `ward mcp` (gateway/gateway.c) and by ward-call (broker/ward_call.c),
 * so that the three give the same answer to the same input.
 *
 * Framing.  One message per line, ended by "\n"; a "\r" before it is
 * dropped (CRLF accepted), and a line that is empty (or only blanks) is
 * skipped without an answer.  A line longer than the front's limit is
 * never kept: it is answered once, with
 *     {"jsonrpc":"2.0","id":null,"error":{"code":-32600,
 *      "message":"Invalid Request","data":{"detail":"..."}}}
 * (its id cannot be known: nothing of it is parsed), and dropped up to
 * its newline; the next line is handled as usual (resync, no cut-off).
 *
 * Errors.  Every JSON-RPC error has one shape: code, the specification's
 * message for the code (mcp_error_text), and data.detail, a sentence for
 * the human.  -32700 (not JSON) and a request whose id cannot be read
 * answer with id null; a notification (no "id") is never answered, even
 * when its method is unknown.  An id must be a string or an integer: a
 * null id, a fraction, an object or an array is an invalid request.
 * Batches (a JSON array) are refused with -32600: no MCP revision this
 * front negotiates has them (2025-03-26, the one revision with batches,
 * is not offered; a client asking for it is answered our latest).
 *
 * Refusals.  A tool call that ward refuses is not a JSON-RPC error but a
 * tool result (mcp_refusal): isError true, the text
 *     "refused: DETAIL (reason=REASON, audit #N)"
 * and structuredContent {"refused":true,"reason":REASON,"detail":DETAIL,
 * "audit_pos":N}, audit_pos only when the refusal was logged.  A tool
 * that failed for another reason (no refusal by ward) has the text
 * "error: DETAIL (reason=REASON)" and "refused":false.
 *
 * Writes go through the peer's bounded output queue (outq.h).
 */
#ifndef WARD_MCP_H
#define WARD_MCP_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "outq.h"

#define MCP_PARSE_ERROR (-32700)
#define MCP_INVALID_REQUEST (-32600)
#define MCP_METHOD_NOT_FOUND (-32601)
#define MCP_INVALID_PARAMS (-32602)
#define MCP_INTERNAL_ERROR (-32603)
/* A request other than tools/call that ward refused (mcp_refused): its
 * result has no isError, so the refusal is a JSON-RPC error. */
#define MCP_REFUSED (-32010)

/* ward's release (WARD_RELEASE), as serverInfo and clientInfo give it. */
extern const char mcp_release[];

/* The revisions this front speaks, newest first; NULL-terminated. */
extern const char *const mcp_versions[];
#define MCP_LATEST "2025-11-25"
/* The longest line an agent may send the broker (broker.c), and so the
 * longest ward-call's relay forwards. */
#define MCP_AGENT_LINE_MAX (1u << 20)

/* ---- framing ---- */
#define MCP_KEEP_ENDS 96

struct mcp_in {
	char *b;
	size_t len, cap;	/* b[0 .. len) read, not consumed */
	size_t off;		/* the next line starts here */
	size_t scan;		/* no newline in b[off .. scan) */
	size_t max;		/* the longest line accepted, newline excluded */
	int skipping;		/* in a line over max: dropping to its newline */
	int eof;		/* the peer shut its end */
	/* With report_end set, the end of a dropped line is reported too
	 * (mcp_in_next returns 3), with its first and last bytes kept in
	 * head and tail (their lengths in headlen, taillen), so that a
	 * reader can tell whose answer it was. */
	int report_end, end_due;
	char head[MCP_KEEP_ENDS], tail[MCP_KEEP_ENDS];
	size_t headlen, taillen;
};

/* An empty reader for lines of at most max bytes. */
void mcp_in_init(struct mcp_in *r, size_t max);
void mcp_in_free(struct mcp_in *r);
/* Read once from fd (a socket or O_NONBLOCK): >0 bytes read, 0 nothing to
 * read now (or end of input: r->eof set), -1 a read error (r->eof set). */
long mcp_in_fill(struct mcp_in *r, int fd);
/* Append n bytes as if read (tests, and callers that read themselves). */
int mcp_in_put(struct mcp_in *r, const void *p, size_t n);
/* The next line: 1 a line (*line NUL-terminated in place, *len without
 * its "\r\n"; valid until the next call that reads into r), 2 a line over
 * r->max was dropped (answer it with mcp_too_long), 3 (only with
 * r->report_end) the end of that dropped line, its ends in r->head and
 * r->tail, 0 no complete line. */
int mcp_in_next(struct mcp_in *r, char **line, size_t *len);
/* Bytes read and not handled yet. */
size_t mcp_in_pending(const struct mcp_in *r);

/* ---- messages ---- */

enum mcp_kind {
	MCP_NONE,		/* an empty line: nothing to do */
	MCP_BAD,		/* *reply is the error to send */
	MCP_REQUEST,		/* method and id */
	MCP_NOTIFICATION,	/* method, no id: never answered */
	MCP_RESPONSE,		/* result or error, and an id */
};

struct mcp_msg {
	json_t *j;		/* the message (owned) */
	json_t *id;		/* borrowed from j, NULL if none */
	const char *method;	/* borrowed from j */
	json_t *params;		/* borrowed; an object or an array, or NULL */
};

/* Parse and check one line.  MCP_BAD: *reply (owned) is the error to
 * send; otherwise m->j is owned by the caller (mcp_msg_free). */
enum mcp_kind mcp_parse(const char *line, size_t len, struct mcp_msg *m,
			json_t **reply);
void mcp_msg_free(struct mcp_msg *m);

/* m from a message already checked by mcp_parse (one kept aside and
 * handled later): j's reference is taken (m->j, mcp_msg_free). */
void mcp_msg_of(struct mcp_msg *m, json_t *j);

/* The methods a front serves: each a name and its handler, ended by a
 * NULL name.  ctx is the caller's (the broker: the transaction; the
 * gateway: nothing).  A handler answers a request itself. */
struct mcp_method {
	const char *name;
	void (*fn)(void *ctx, struct mcp_msg *m);
};
/* Call m's handler in tab.  None: a request gets -32601 (in *reply, to
 * send), a notification nothing.  1 handled, 0 not. */
int mcp_dispatch(const struct mcp_method *tab, void *ctx, struct mcp_msg *m,
		 json_t **reply);

/* The specification's message for a code ("Parse error", ...). */
const char *mcp_error_text(int code);
/* {"jsonrpc":"2.0","id":ID,"error":{"code","message","data":{"detail"}}}
 * (id NULL: null; detail NULL: no data). */
json_t *mcp_error(json_t *id, int code, const char *detail_fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* {"jsonrpc":"2.0","id":ID,"result":RESULT} (result stolen). */
json_t *mcp_result(json_t *id, json_t *result);
/* The answer to a line over max bytes. */
json_t *mcp_too_long(size_t max);

/* A tool's result: text, and structured content (stolen, may be NULL). */
json_t *mcp_tool_ok(json_t *structured, const char *text);
/* A refusal by ward (logged at audit_pos when has_pos), or a tool's
 * failure (refused:false) when refused is 0: see the top of this file. */
json_t *mcp_refusal(int refused, const char *reason, uint64_t pos,
		    int has_pos, const char *detail_fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* The refusal of a request whose result cannot carry one (resources/read,
 * prompts/get, ...): {"code":-32010,"message":"refused: DETAIL
 * (reason=REASON, audit #N)","data":{"refused":true,"reason","detail",
 * "audit_pos"}}, audit_pos only when has_pos: the message itself says
 * what was refused and why, since clients show the message. */
json_t *mcp_refused(json_t *id, const char *reason, uint64_t pos, int has_pos,
		    const char *detail_fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* ---- initialize ---- */

/* The version to answer a client that asked for `want` (NULL if it did
 * not say): want when supported, else MCP_LATEST; NULL when want is
 * NULL (the request is invalid: protocolVersion is required). */
const char *mcp_negotiate(const char *want);
/* The answer to initialize: a result, or the -32602 error when params
 * has no protocolVersion string.  title and instructions may be NULL. */
json_t *mcp_initialize(json_t *id, json_t *params, int list_changed,
		       const char *title, const char *instructions);

/* ---- sending ---- */

/* m as one line into q (then what fd takes now); m is released.
 * 0 queued (or dropped: the peer is gone, q->broken), -1 past q's hard
 * limit (the caller cuts the peer off). */
int mcp_send(struct outq *q, int fd, json_t *m) OQ_WARN;
/* m as one line, malloc'd, newline included (*n its length); m is kept. */
char *mcp_line(json_t *m, size_t *n);

#endif
