/*
 * ward_call.c -- ward-call, the client for shell agents inside the sandbox.
 * It speaks MCP to the broker over the socket the sandbox was given
 * ($WARD_FD, fd 3):
 *
 *   ward-call TOOL [key=value | key:=json]...   one tools/call
 *   ward-call list                              the tools this context holds
 *   ward-call mcp                               relay stdio <-> the socket,
 *                                               for stdio MCP clients
 *
 * libc and jansson (linked statically, so that it runs in any sandbox
 * whatever libraries it sees), the MCP framing of common/mcp.h.
 * Untrusted like the agent.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "outq.h"
#include "mcp.h"
#include "text.h"
#include "ward_call_llm.h"

/* What the relay holds for each direction before it stops reading the
 * other side: as much as the broker holds for an agent (broker.c), so the
 * relay is never the one that stalls first. */
#define RELAY_CAP (1u << 20)
/* The longest answer taken, as `ward mcp` takes from a server. */
#define REPLY_MAX (64u << 20)

static int sock = 3;

static int
usage(FILE *f)
{
	fprintf(f,
		"usage: ward-call TOOL [key=value | key:=json]...\n"
		"       ward-call list\n"
		"       ward-call mcp\n"
		"\n"
		"Call a tool through ward from inside a sandbox, e.g.\n"
		"  ward-call fs.read path=notes.txt\n"
		"  ward-call fs.write path=out/summary.txt content=\"$text\"\n"
		"  ward-call exec 'argv:=[\"/usr/bin/wc\",\"-l\",\"notes.txt\"]'\n"
		"The result's text goes to stdout.  'mcp' relays stdin and stdout\n"
		"to the broker so that a stdio MCP client works unchanged.\n"
		"\n"
		"exit status: 0 done, 1 refused or failed (reason on stderr),\n"
		"2 usage, 3 no broker socket ($WARD_FD).\n");
	return f == stdout ? 0 : 2;
}

/* Untrusted text out: escaped on a terminal (text.h), and on stderr
 * always; as it is when stdout is a pipe (the agent's data). */
static void
say(FILE *f, const char *s)
{
	size_t n = strlen(s);

	if (f == stdout && !isatty(1))
		fwrite(s, 1, n, f);
	else
		(void)text_fwrite(s, n, TEXT_KEEP_LINES, f);
	fputc('\n', f);
}

/* The request of the command line, or NULL (the reason printed). */
static json_t *
request(int argc, char **argv)
{
	json_t *args;
	int i;

	if (strcmp(argv[1], "list") == 0)
		return json_pack("{s:s, s:i, s:s}", "jsonrpc", "2.0", "id", 1,
				 "method", "tools/list");
	args = json_object();
	for (i = 2; i < argc; i++) {
		char *eq = strchr(argv[i], '=');
		json_error_t je;
		json_t *v;
		int raw;

		if (eq == NULL || eq == argv[i]) {
			fprintf(stderr, "ward-call: '");
			(void)text_fputs(argv[i], stderr);
			fprintf(stderr, "' is not key=value\n");
			json_decref(args);
			return NULL;
		}
		raw = eq[-1] == ':';
		*(raw ? eq - 1 : eq) = '\0';
		v = raw ? json_loads(eq + 1, JSON_DECODE_ANY, &je) :
			json_string(eq + 1);
		if (v == NULL) {
			fprintf(stderr, "ward-call: ");
			(void)text_fputs(argv[i], stderr);
			if (raw) {
				fprintf(stderr, ":= is not JSON: ");
				(void)text_fputs(je.text, stderr);
				fputc('\n', stderr);
			} else {
				fprintf(stderr, "= is not UTF-8 text\n");
			}
			json_decref(args);
			return NULL;
		}
		json_object_set_new(args, argv[i], v);
	}
	return json_pack("{s:s, s:i, s:s, s:{s:s, s:o}}", "jsonrpc", "2.0",
			 "id", 1, "method", "tools/call", "params", "name",
			 argv[1], "arguments", args);
}

/* The broker's answer: one line, framed as every MCP line (mcp.h). */
static json_t *
reply(void)
{
	struct mcp_in r;
	struct mcp_msg m;
	json_t *err = NULL;
	char *line;
	size_t len;
	int k;

	memset(&m, 0, sizeof m);
	mcp_in_init(&r, REPLY_MAX);
	for (;;) {
		k = mcp_in_next(&r, &line, &len);
		if (k == 1 && mcp_parse(line, len, &m, &err) == MCP_RESPONSE)
			break;
		json_decref(err);
		err = NULL;
		if (k == 1 && m.j != NULL)
			mcp_msg_free(&m);
		if (k == 0 && (r.eof || mcp_in_fill(&r, sock) < 0 || r.eof)) {
			mcp_in_free(&r);
			return NULL;
		}
	}
	mcp_in_free(&r);
	return m.j;
}
/* One line of a direction, forwarded whole with its newline. */
static int
forward(struct outq *q, int fd, const char *line, size_t len)
{
	if (oq_send(q, fd, line, len) != 0 || oq_send(q, fd, "\n", 1) != 0)
		return -1;
	return q->broken ? -1 : 0;
}

/* stdin -> the socket and the socket -> stdout at once, line by line,
 * neither direction waiting on the other (outq.h): an MCP client that
 * sends many requests before it reads still gets every reply, and the
 * broker, which stops reading an agent whose replies pile up, never sees
 * the relay stall.
 *
 * The socket is the sandbox's one socket to the broker, shared with the
 * agent and every other process of the sandbox: the relay never shuts it
 * down (that would end the session for all of them).  When stdin ends it
 * waits for the answer to each request it forwarded, then leaves.  A
 * line the broker would refuse unread (not JSON-RPC, too long) is
 * answered here by the same front (mcp.h) and not forwarded, so that
 * every line sent up that is a request gets exactly one answer. */
static int
relay(void)
{
	struct outq up, down;		/* to the broker, to stdout */
	struct mcp_in in, from;		/* stdin, the socket */
	int fl = fcntl(1, F_GETFL), fl0 = fcntl(0, F_GETFL);
	unsigned long owed = 0;		/* requests sent, not answered */
	int rc = 1;

	mcp_in_init(&in, MCP_AGENT_LINE_MAX);
	mcp_in_init(&from, REPLY_MAX);
	oq_init(&up, RELAY_CAP, RELAY_CAP + MCP_AGENT_LINE_MAX + 1);
	oq_init(&down, RELAY_CAP, RELAY_CAP + REPLY_MAX + 1);
	signal(SIGPIPE, SIG_IGN);
	if (fl >= 0)
		(void)fcntl(1, F_SETFL, fl | O_NONBLOCK);	/* put back below */
	if (fl0 >= 0)
		(void)fcntl(0, F_SETFL, fl0 | O_NONBLOCK);
	for (;;) {
		struct pollfd p[3];
		char *line;
		size_t len;
		int k;

		/* Whole lines each way: stdin's first, checked by the front. */
		while ((k = mcp_in_next(&in, &line, &len)) != 0) {
			struct mcp_msg m = { NULL, NULL, NULL, NULL };
			json_t *reply = NULL;
			enum mcp_kind kind = MCP_BAD;

			if (k == 2)
				reply = mcp_too_long(MCP_AGENT_LINE_MAX);
			else
				kind = mcp_parse(line, len, &m, &reply);
			if (kind == MCP_BAD) {
				if (reply != NULL && mcp_send(&down, 1, reply) != 0)
					goto out;
				continue;
			}
			if (kind != MCP_NONE) {
				owed += kind == MCP_REQUEST;
				mcp_msg_free(&m);
				if (forward(&up, sock, line, len) != 0)
					goto out;
			}
		}
		while ((k = mcp_in_next(&from, &line, &len)) != 0) {
			struct mcp_msg m = { NULL, NULL, NULL, NULL };
			json_t *reply = NULL;

			if (k == 2)
				continue;	/* over REPLY_MAX: not an answer */
			if (mcp_parse(line, len, &m, &reply) == MCP_RESPONSE &&
			    owed > 0)
				owed--;
			json_decref(reply);
			if (m.j != NULL)
				mcp_msg_free(&m);
			if (forward(&down, 1, line, len) != 0)
				goto out;
		}
		/* What to wait for, from the queues as the lines above left
		 * them (a line forwarded to stdout may be waiting there). */
		p[0] = (struct pollfd){ !in.eof && !oq_over(&up) &&
					!oq_over(&down) ? 0 : -1, POLLIN, 0 };
		p[1] = (struct pollfd){ sock, (short)((!from.eof &&
			!oq_over(&down) ? POLLIN : 0) |
			(oq_pending(&up) > 0 ? POLLOUT : 0)), 0 };
		p[2] = (struct pollfd){ oq_pending(&down) > 0 ? 1 : -1,
					POLLOUT, 0 };
		if ((in.eof && owed == 0 && oq_pending(&up) == 0) || from.eof) {
			/* Done, or the broker is gone: what is owed to stdout
			 * is written, then the relay leaves. */
			if (oq_pending(&down) == 0) {
				rc = 0;
				break;
			}
			p[0].fd = -1;
			p[1].fd = -1;
		}
		if (p[1].events == 0)
			p[1].fd = -1;
		if (poll(p, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[2].revents != 0 && oq_flush(&down, 1) < 0)
			break;
		if ((p[1].revents & ~POLLIN) != 0 && oq_pending(&up) > 0 &&
		    oq_flush(&up, sock) < 0)
			break;
		if ((p[1].revents & ~POLLOUT) != 0 && !from.eof)
			(void)mcp_in_fill(&from, sock);
		if (p[0].revents != 0 && !in.eof)
			(void)mcp_in_fill(&in, 0);
	}
out:
	if (fl >= 0)
		(void)fcntl(1, F_SETFL, fl);
	if (fl0 >= 0)
		(void)fcntl(0, F_SETFL, fl0);
	oq_free(&up);
	oq_free(&down);
	mcp_in_free(&in);
	mcp_in_free(&from);
	return rc;
}

int
main(int argc, char **argv)
{
	const char *fdv = getenv("WARD_FD");
	json_t *q, *rep, *res, *e;
	size_t n, i;
	char *line;
	int is_err, rc;

	if (argc < 2)
		return usage(stderr);
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)
		return usage(stdout);
	/* The broker's own use, for llm.complete: the request on fd 3. */
	if (strcmp(argv[1], "llm") == 0 && argc == 2 && fdv == NULL)
		return call_llm();
	if (fdv != NULL)
		sock = atoi(fdv);
	if (fdv == NULL || sock < 0 || write(sock, "", 0) < 0) {
		fprintf(stderr, "ward-call: no broker socket (WARD_FD); ward-call "
			"only works inside a ward sandbox\n");
		return 3;
	}
	if (strcmp(argv[1], "mcp") == 0)
		return relay();
	q = request(argc, argv);
	if (q == NULL)
		return 2;
	line = mcp_line(q, &n);
	json_decref(q);
	rc = line == NULL || oq_write_all(sock, line, n, -1) != 0;
	free(line);
	if (rc) {
		fprintf(stderr, "ward-call: the broker is gone\n");
		return 3;
	}
	rep = reply();
	if (rep == NULL) {
		fprintf(stderr, "ward-call: no answer from the broker\n");
		return 3;
	}
	e = json_object_get(rep, "error");
	res = json_object_get(rep, "result");
	if (e != NULL) {
		const char *d = json_string_value(json_object_get(
			json_object_get(e, "data"), "detail"));
		const char *msg = json_string_value(json_object_get(e, "message"));

		fprintf(stderr, "ward-call: ");
		(void)text_fputs(msg != NULL ? msg : "error", stderr);
		if (d != NULL) {
			fprintf(stderr, ": ");
			(void)text_fputs(d, stderr);
		}
		fputc('\n', stderr);
		json_decref(rep);
		return 1;
	}
	if (strcmp(argv[1], "list") == 0) {
		json_t *t;

		json_array_foreach(json_object_get(res, "tools"), i, t) {
			const char *name = json_string_value(json_object_get(t, "name"));

			if (name != NULL)
				say(stdout, name);
		}
		json_decref(rep);
		return 0;
	}
	is_err = json_is_true(json_object_get(res, "isError"));
	{
		json_t *c;

		json_array_foreach(json_object_get(res, "content"), i, c) {
			const char *t = json_string_value(json_object_get(c, "text"));

			if (t != NULL) {
				say(is_err ? stderr : stdout, t);
				break;
			}
		}
	}
	json_decref(rep);
	return is_err ? 1 : 0;
}
