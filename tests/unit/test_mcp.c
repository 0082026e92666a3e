/*
 * test_mcp.c -- the one MCP front (common/mcp.h): framing, the error
 * shapes, requests and notifications, ids, version negotiation, the
 * refusal shape, and sending through the bounded queue.
 */
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "t.h"
#include "mcp.h"

/* The compact JSON of j (released), for exact comparisons. */
static char *
dump(json_t *j)
{
	char *s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);

	json_decref(j);
	return s;
}

static int
same(json_t *j, const char *want)
{
	char *s = dump(j);
	int ok = s != NULL && strcmp(s, want) == 0;

	if (!ok)
		printf("  got  %s\n  want %s\n", s ? s : "(null)", want);
	free(s);
	return ok;
}

/* The reply to one line: the error, or "" when the line was accepted
 * (its kind in *kind), or "-" when nothing is answered. */
static char *
answer(const char *line, enum mcp_kind *kind)
{
	struct mcp_msg m;
	json_t *reply;
	enum mcp_kind k = mcp_parse(line, strlen(line), &m, &reply);

	if (kind != NULL)
		*kind = k;
	if (k == MCP_BAD)
		return dump(reply);
	mcp_msg_free(&m);
	return strdup(k == MCP_NONE ? "-" : "");
}

static int
answers(const char *line, const char *want)
{
	char *s = answer(line, NULL);
	int ok = strcmp(s, want) == 0;

	if (!ok)
		printf("  line %s\n  got  %s\n  want %s\n", line, s, want);
	free(s);
	return ok;
}

#define ERR(id, code, msg, detail) \
	"{\"error\":{\"code\":" #code ",\"data\":{\"detail\":\"" detail \
	"\"},\"message\":\"" msg "\"},\"id\":" id ",\"jsonrpc\":\"2.0\"}"

/* ---- framing ---- */

TEST(lines_split_across_reads_are_joined)
{
	struct mcp_in r;
	char *l;
	size_t n;

	mcp_in_init(&r, 100);
	EXPECT(mcp_in_put(&r, "{\"a\":", 5) == 0);
	EXPECT_EQ(mcp_in_next(&r, &l, &n), 0);
	EXPECT(mcp_in_put(&r, "1}\n{\"b\"", 7) == 0);
	EXPECT_EQ(mcp_in_next(&r, &l, &n), 1);
	EXPECT_EQ(n, 7);
	EXPECT(strcmp(l, "{\"a\":1}") == 0);
	EXPECT_EQ(mcp_in_next(&r, &l, &n), 0);
	EXPECT_EQ(mcp_in_pending(&r), 4);
	EXPECT(mcp_in_put(&r, ":2}\n", 4) == 0);
	EXPECT_EQ(mcp_in_next(&r, &l, &n), 1);
	EXPECT(strcmp(l, "{\"b\":2}") == 0);
	EXPECT_EQ(mcp_in_pending(&r), 0);
	mcp_in_free(&r);
}

TEST(crlf_is_one_line_end)
{
	struct mcp_in r;
	char *l;
	size_t n;

	mcp_in_init(&r, 100);
	EXPECT(mcp_in_put(&r, "{}\r\n\r\n", 6) == 0);
	EXPECT_EQ(mcp_in_next(&r, &l, &n), 1);
	EXPECT_EQ(n, 2);
	EXPECT(strcmp(l, "{}") == 0);
	EXPECT_EQ(mcp_in_next(&r, &l, &n), 1);	/* an empty line ... */
	EXPECT_EQ(n, 0);
	EXPECT(answers(l, "-"));		/* ... is not answered */
	mcp_in_free(&r);
}

TEST(over_long_line_answered_once_then_resync)
{
	struct mcp_in r;
	char big[64], *l;
	size_t n;

	memset(big, 'x', sizeof big);
	mcp_in_init(&r, 16);
	/* Exactly the limit: accepted. */
	EXPECT(mcp_in_put(&r, big, 16) == 0);
	EXPECT(mcp_in_put(&r, "\n", 1) == 0);
	EXPECT_EQ(mcp_in_next(&r, &l, &n), 1);
	EXPECT_EQ(n, 16);
	/* One over, with its newline in the same read. */
	EXPECT(mcp_in_put(&r, big, 17) == 0);
	EXPECT(mcp_in_put(&r, "\n{}\n", 4) == 0);
	EXPECT_EQ(mcp_in_next(&r, &l, &n), 2);
	EXPECT_EQ(mcp_in_next(&r, &l, &n), 1);
	EXPECT(strcmp(l, "{}") == 0);
	/* No newline in sight: answered once, never kept, then resync. */
	EXPECT(mcp_in_put(&r, big, 40) == 0);
	EXPECT_EQ(mcp_in_next(&r, &l, &n), 2);
	EXPECT(mcp_in_put(&r, big, 64) == 0);
	EXPECT_EQ(mcp_in_next(&r, &l, &n), 0);	/* not a second answer */
	EXPECT(r.cap < 16 + 65536 + 64 + 8);	/* the skipped bytes are gone */
	EXPECT_EQ(mcp_in_pending(&r), 0);
	EXPECT(mcp_in_put(&r, big, 10) == 0);
	EXPECT(mcp_in_put(&r, "\n{\"k\":1}\n", 9) == 0);
	EXPECT_EQ(mcp_in_next(&r, &l, &n), 1);
	EXPECT(strcmp(l, "{\"k\":1}") == 0);
	mcp_in_free(&r);
	EXPECT(same(mcp_too_long(16), ERR("null", -32600, "Invalid Request",
		"message longer than 16 bytes")));
}

TEST(dropped_line_end_reported_with_its_ends)
{
	struct mcp_in r;
	const char *head = "{\"result\":\"", *tail = "\"},\"jsonrpc\":\"2.0\",\"id\":42}";
	char mid[100], *l;
	size_t n;

	memset(mid, 'y', sizeof mid);
	/* Streamed: the start, middle pieces, then the end with its newline. */
	mcp_in_init(&r, 32);
	r.report_end = 1;
	EXPECT(mcp_in_put(&r, head, strlen(head)) == 0);
	EXPECT(mcp_in_put(&r, mid, sizeof mid) == 0);
	EXPECT_EQ(mcp_in_next(&r, &l, &n), 2);
	EXPECT(r.headlen > 0 && memcmp(r.head, head, strlen(head)) == 0);
	EXPECT(mcp_in_put(&r, mid, sizeof mid) == 0);
	EXPECT_EQ(mcp_in_next(&r, &l, &n), 0);
	/* The end comes in two reads, the newline with a few bytes. */
	EXPECT(mcp_in_put(&r, tail, strlen(tail) - 3) == 0);
	EXPECT_EQ(mcp_in_next(&r, &l, &n), 0);
	{
		char rest[16];

		snprintf(rest, sizeof rest, "%s\n{}\n", tail + strlen(tail) - 3);
		EXPECT(mcp_in_put(&r, rest, strlen(rest)) == 0);
	}
	EXPECT_EQ(mcp_in_next(&r, &l, &n), 3);
	EXPECT(r.taillen >= strlen(tail) &&
	       memcmp(r.tail + r.taillen - strlen(tail), tail, strlen(tail)) == 0);
	EXPECT_EQ(mcp_in_next(&r, &l, &n), 1);
	EXPECT(strcmp(l, "{}") == 0);
	mcp_in_free(&r);
	/* Whole in one read: 2, then 3, then the next line. */
	mcp_in_init(&r, 32);
	r.report_end = 1;
	EXPECT(mcp_in_put(&r, head, strlen(head)) == 0);
	EXPECT(mcp_in_put(&r, mid, 40) == 0);
	EXPECT(mcp_in_put(&r, tail, strlen(tail)) == 0);
	EXPECT(mcp_in_put(&r, "\n{}\n", 4) == 0);
	EXPECT_EQ(mcp_in_next(&r, &l, &n), 2);
	EXPECT_EQ(mcp_in_next(&r, &l, &n), 3);
	EXPECT(memcmp(r.head, head, strlen(head)) == 0);
	EXPECT(memcmp(r.tail + r.taillen - strlen(tail), tail, strlen(tail)) == 0);
	EXPECT_EQ(mcp_in_next(&r, &l, &n), 1);
	mcp_in_free(&r);
	/* Without report_end: never 3 (the broker and the relay). */
	mcp_in_init(&r, 32);
	EXPECT(mcp_in_put(&r, mid, 40) == 0);
	EXPECT(mcp_in_put(&r, "\n{}\n", 4) == 0);
	EXPECT_EQ(mcp_in_next(&r, &l, &n), 2);
	EXPECT_EQ(mcp_in_next(&r, &l, &n), 1);
	mcp_in_free(&r);
}

TEST(fill_reads_a_socket_and_sees_its_end)
{
	struct mcp_in r;
	int sv[2];
	char *l;
	size_t n;

	EXPECT(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) == 0);
	mcp_in_init(&r, 100);
	EXPECT_EQ(mcp_in_fill(&r, sv[0]), 0);	/* nothing yet: no wait */
	EXPECT(!r.eof);
	EXPECT_EQ(write(sv[1], "{}\n", 3), 3);
	EXPECT_EQ(mcp_in_fill(&r, sv[0]), 3);
	EXPECT_EQ(mcp_in_next(&r, &l, &n), 1);
	close(sv[1]);
	EXPECT_EQ(mcp_in_fill(&r, sv[0]), 0);
	EXPECT(r.eof);
	close(sv[0]);
	mcp_in_free(&r);
}

/* ---- every error, its exact shape ---- */

TEST(parse_error_has_null_id)
{
	char *s = answer("{not json", NULL);

	EXPECT(strncmp(s, "{\"error\":{\"code\":-32700,\"data\":{\"detail\":", 40) == 0);
	EXPECT(strstr(s, "\"message\":\"Parse error\"},\"id\":null,") != NULL);
	free(s);
}

TEST(invalid_requests_exact_shapes)
{
	EXPECT(answers("[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}]",
		ERR("null", -32600, "Invalid Request", "batches are not supported")));
	EXPECT(answers("42", ERR("null", -32600, "Invalid Request",
				 "a message is a JSON object")));
	EXPECT(answers("{\"jsonrpc\":\"1.0\",\"id\":8,\"method\":\"ping\"}",
		ERR("8", -32600, "Invalid Request", "\\\"jsonrpc\\\" must be \\\"2.0\\\"")));
	EXPECT(answers("{\"id\":\"a\",\"method\":\"ping\"}",
		ERR("\"a\"", -32600, "Invalid Request", "\\\"jsonrpc\\\" must be \\\"2.0\\\"")));
	EXPECT(answers("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":7}",
		ERR("1", -32600, "Invalid Request", "\\\"method\\\" must be a string")));
	EXPECT(answers("{\"jsonrpc\":\"2.0\",\"id\":1}",
		ERR("1", -32600, "Invalid Request", "no \\\"method\\\"")));
	EXPECT(answers("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"x\",\"params\":3}",
		ERR("1", -32600, "Invalid Request",
		    "\\\"params\\\" must be an object or an array")));
	/* Duplicate keys are ambiguous: not JSON we accept. */
	{
		char *d = answer("{\"jsonrpc\":\"2.0\",\"id\":1,\"id\":2,"
				 "\"method\":\"x\"}", NULL);

		EXPECT(strstr(d, "\"code\":-32700") != NULL);
		free(d);
	}
}

TEST(error_builders_exact_shapes)
{
	json_t *id = json_string("q");

	EXPECT(same(mcp_error(id, MCP_METHOD_NOT_FOUND, "no method %s", "a/b"),
		ERR("\"q\"", -32601, "Method not found", "no method a/b")));
	EXPECT(same(mcp_error(id, MCP_INVALID_PARAMS, "bad"),
		ERR("\"q\"", -32602, "Invalid params", "bad")));
	EXPECT(same(mcp_error(id, MCP_INTERNAL_ERROR, "%s", "oops"),
		ERR("\"q\"", -32603, "Internal error", "oops")));
	EXPECT(same(mcp_error(NULL, MCP_PARSE_ERROR, NULL),
		"{\"error\":{\"code\":-32700,\"message\":\"Parse error\"},"
		"\"id\":null,\"jsonrpc\":\"2.0\"}"));
	EXPECT(same(mcp_result(id, json_object()),
		"{\"id\":\"q\",\"jsonrpc\":\"2.0\",\"result\":{}}"));
	json_decref(id);
}

/* ---- ids, requests, notifications ---- */

/* The kind of one line (its reply, if any, dropped). */
static enum mcp_kind
kind_of(const char *line)
{
	enum mcp_kind k;

	free(answer(line, &k));
	return k;
}

TEST(id_types)
{
	static const char *const bad[] = { "null", "1.5", "{}", "[1]" };
	char line[128];
	size_t i;

	EXPECT(kind_of("{\"jsonrpc\":\"2.0\",\"id\":\"s-1\",\"method\":\"ping\"}")
	       == MCP_REQUEST);
	EXPECT(kind_of("{\"jsonrpc\":\"2.0\",\"id\":-7,\"method\":\"ping\"}")
	       == MCP_REQUEST);
	for (i = 0; i < sizeof bad / sizeof *bad; i++) {
		snprintf(line, sizeof line, "{\"jsonrpc\":\"2.0\",\"id\":%s,"
			 "\"method\":\"ping\"}", bad[i]);
		EXPECT(answers(line, ERR("null", -32600, "Invalid Request",
					 "an id is a string or an integer")));
	}
}

TEST(id_echoed_exactly)
{
	struct mcp_msg m;
	json_t *reply;
	const char *l = "{\"jsonrpc\":\"2.0\",\"id\":9007199254740993,\"method\":\"x\"}";

	EXPECT(mcp_parse(l, strlen(l), &m, &reply) == MCP_REQUEST);
	EXPECT(same(mcp_error(m.id, MCP_METHOD_NOT_FOUND, "no method %s", m.method),
		ERR("9007199254740993", -32601, "Method not found", "no method x")));
	mcp_msg_free(&m);
}

TEST(notifications_never_answered)
{
	EXPECT(kind_of("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}")
	       == MCP_NOTIFICATION);
	/* Even with params the protocol does not allow. */
	EXPECT(kind_of("{\"jsonrpc\":\"2.0\",\"method\":\"x\",\"params\":1}") == MCP_NONE);
	EXPECT(kind_of("{\"jsonrpc\":\"2.0\",\"id\":3,\"result\":{}}") == MCP_RESPONSE);
	EXPECT(kind_of("   \t") == MCP_NONE);
}

/* ---- the method table ---- */

static int calls;

static void
h_count(void *ctx, struct mcp_msg *m)
{
	(void)m;
	calls += *(int *)ctx;
}

TEST(dispatch_by_table)
{
	static const struct mcp_method tab[] = {
		{ "a/b", h_count }, { "c", h_count }, { NULL, NULL },
	};
	static const char *const lines[] = {
		"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"c\"}",
		"{\"jsonrpc\":\"2.0\",\"method\":\"a/b\"}",
		"{\"jsonrpc\":\"2.0\",\"method\":\"zz\"}",
		"{\"jsonrpc\":\"2.0\",\"id\":\"q\",\"method\":\"a\"}",
	};
	static const int handled[] = { 1, 1, 0, 0 };
	int one = 1;
	size_t i;

	calls = 0;
	for (i = 0; i < sizeof lines / sizeof *lines; i++) {
		struct mcp_msg m;
		json_t *reply;

		EXPECT(mcp_parse(lines[i], strlen(lines[i]), &m, &reply) >= MCP_REQUEST);
		EXPECT_EQ(mcp_dispatch(tab, &one, &m, &reply), handled[i]);
		if (i < 3)	/* handled, or a notification: no answer */
			EXPECT(reply == NULL);
		else
			EXPECT(same(reply, ERR("\"q\"", -32601, "Method not found",
					       "no method a")));
		mcp_msg_free(&m);
	}
	EXPECT_EQ(calls, 2);
}

/* ---- initialize ---- */

static json_t *
init_with(const char *params)
{
	json_t *p = params != NULL ? json_loads(params, 0, NULL) : NULL;
	json_t *id = json_integer(0);
	json_t *r = mcp_initialize(id, p, 0, NULL, NULL);

	json_decref(p);
	json_decref(id);
	return r;
}

TEST(initialize_negotiates_version)
{
	EXPECT(same(init_with("{\"protocolVersion\":\"2025-06-18\"}"),
		"{\"id\":0,\"jsonrpc\":\"2.0\",\"result\":{\"capabilities\":"
		"{\"tools\":{\"listChanged\":false}},\"protocolVersion\":"
		"\"2025-06-18\",\"serverInfo\":{\"name\":\"ward\",\"version\":\""
		WARD_RELEASE "\"}}}"));
	EXPECT(strcmp(mcp_negotiate("2024-11-05"), "2024-11-05") == 0);
	EXPECT(strcmp(mcp_negotiate(MCP_LATEST), MCP_LATEST) == 0);
	/* Unknown, and the batch revision we do not offer: our latest. */
	EXPECT(strcmp(mcp_negotiate("1999-01-01"), MCP_LATEST) == 0);
	EXPECT(strcmp(mcp_negotiate("2025-03-26"), MCP_LATEST) == 0);
	EXPECT(mcp_negotiate(NULL) == NULL);
	EXPECT(same(init_with("{\"protocolVersion\":\"2030-01-01\"}"),
		"{\"id\":0,\"jsonrpc\":\"2.0\",\"result\":{\"capabilities\":"
		"{\"tools\":{\"listChanged\":false}},\"protocolVersion\":\""
		MCP_LATEST "\",\"serverInfo\":{\"name\":\"ward\",\"version\":\""
		WARD_RELEASE "\"}}}"));
}

TEST(initialize_without_version_is_invalid_params)
{
	const char *want = ERR("0", -32602, "Invalid params",
		"initialize: \\\"protocolVersion\\\" (a string) is required");

	EXPECT(same(init_with("{}"), want));
	EXPECT(same(init_with("{\"protocolVersion\":20250618}"), want));
	EXPECT(same(init_with(NULL), want));
}

/* ---- the refusal shape ---- */

TEST(refusal_shape)
{
	EXPECT(same(mcp_refusal(1, "not_granted", 12, 1, "fs.read %s", "x"),
		"{\"content\":[{\"text\":\"refused: fs.read x (reason=not_granted, "
		"audit #12)\",\"type\":\"text\"}],\"isError\":true,"
		"\"structuredContent\":{\"audit_pos\":12,\"detail\":\"fs.read x\","
		"\"reason\":\"not_granted\",\"refused\":true}}"));
	EXPECT(same(mcp_refusal(0, "io", 0, 0, "disk"),
		"{\"content\":[{\"text\":\"error: disk (reason=io)\",\"type\":"
		"\"text\"}],\"isError\":true,\"structuredContent\":{\"detail\":"
		"\"disk\",\"reason\":\"io\",\"refused\":false}}"));
}

TEST(refused_error_says_what_and_why_in_its_message)
{
	json_t *id = json_integer(7);

	/* Clients show an error's message: the refusal is in it. */
	EXPECT(same(mcp_refused(id, "out_of_scope", 41, 1, "resources/read %s",
				"fx:ui://a"),
		"{\"error\":{\"code\":-32010,\"data\":{\"audit_pos\":41,"
		"\"detail\":\"resources/read fx:ui://a\",\"reason\":"
		"\"out_of_scope\",\"refused\":true},\"message\":\"refused: "
		"resources/read fx:ui://a (reason=out_of_scope, audit #41)\"},"
		"\"id\":7,\"jsonrpc\":\"2.0\"}"));
	EXPECT(same(mcp_refused(id, "core_unreachable", 0, 0, "x"),
		"{\"error\":{\"code\":-32010,\"data\":{\"detail\":\"x\","
		"\"reason\":\"core_unreachable\",\"refused\":true},\"message\":"
		"\"refused: x (reason=core_unreachable)\"},\"id\":7,"
		"\"jsonrpc\":\"2.0\"}"));
	json_decref(id);
}

/* ---- sending ---- */

TEST(send_is_one_line_through_the_queue)
{
	struct outq q;
	int sv[2];
	char b[256];
	ssize_t n;

	EXPECT(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) == 0);
	oq_init(&q, 1024, 2048);
	EXPECT(mcp_send(&q, sv[0], mcp_result(NULL, json_pack("{s:s}", "a", "b\nc"))) == 0);
	n = read(sv[1], b, sizeof b - 1);
	EXPECT(n > 0);
	b[n > 0 ? n : 0] = '\0';
	EXPECT(strcmp(b, "{\"jsonrpc\":\"2.0\",\"id\":null,\"result\":{\"a\":\"b\\nc\"}}\n") == 0);
	oq_free(&q);
	close(sv[0]);
	close(sv[1]);
	/* A peer that reads nothing: past the hard limit the message is
	 * refused and nothing of it is queued (the caller cuts it off). */
	{
		static char big[4096];
		int p[2];

		memset(big, 'x', sizeof big - 1);
		EXPECT(pipe2(p, O_NONBLOCK) == 0);
		while (write(p[1], big, sizeof big) > 0)
			;
		oq_init(&q, 16, 64);
		EXPECT(mcp_send(&q, p[1], mcp_result(NULL, json_string("short"))) == 0);
		EXPECT_EQ(oq_pending(&q), 45);	/* the line, newline included */
		EXPECT(mcp_send(&q, p[1], mcp_result(NULL, json_string(big))) == -1);
		EXPECT_EQ(oq_pending(&q), 45);	/* the line, newline included */
		oq_free(&q);
		close(p[0]);
		close(p[1]);
	}
}

int
main(void)
{
	RUN(refused_error_says_what_and_why_in_its_message);
	RUN(lines_split_across_reads_are_joined);
	RUN(crlf_is_one_line_end);
	RUN(over_long_line_answered_once_then_resync);
	RUN(dropped_line_end_reported_with_its_ends);
	RUN(fill_reads_a_socket_and_sees_its_end);
	RUN(parse_error_has_null_id);
	RUN(invalid_requests_exact_shapes);
	RUN(error_builders_exact_shapes);
	RUN(id_types);
	RUN(id_echoed_exactly);
	RUN(notifications_never_answered);
	RUN(dispatch_by_table);
	RUN(initialize_negotiates_version);
	RUN(initialize_without_version_is_invalid_params);
	RUN(refusal_shape);
	RUN(send_is_one_line_through_the_queue);
	T_EXIT();
}
