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
 * libc only, so that it runs in any sandbox.  Untrusted like the agent.
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

/* What the relay holds for each direction before it stops reading the
 * other side: as much as the broker holds for an agent (broker.c), so the
 * relay is never the one that stalls first. */
#define RELAY_CAP (1u << 20)
#define RELAY_CHUNK 65536u

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

struct buf {
	char *p;
	size_t n, cap;
};

static void
put(struct buf *b, const char *s, size_t n)
{
	if (b->n + n + 1 > b->cap) {
		size_t nc = (b->cap + n + 1) * 2;
		char *np = realloc(b->p, nc);

		if (np == NULL) {
			fprintf(stderr, "ward-call: out of memory\n");
			exit(1);
		}
		b->p = np;
		b->cap = nc;
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = '\0';
}

static void
puts_(struct buf *b, const char *s)
{
	put(b, s, strlen(s));
}

static void
put_str(struct buf *b, const char *s)
{
	char esc[8];

	put(b, "\"", 1);
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			put(b, esc, 2);
		} else if (c < 0x20) {
			snprintf(esc, sizeof esc, "\\u%04x", c);
			put(b, esc, 6);
		} else {
			put(b, (const char *)&c, 1);
		}
	}
	put(b, "\"", 1);
}

/* Read one line from the socket (the reply). */
static char *
read_line(void)
{
	struct buf b = { NULL, 0, 0 };
	char c[4096];

	for (;;) {
		ssize_t n = read(sock, c, sizeof c);
		char *nl;

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return b.p;
		put(&b, c, (size_t)n);
		nl = memchr(b.p, '\n', b.n);
		if (nl != NULL) {
			*nl = '\0';
			return b.p;
		}
	}
}

/* Print the JSON string starting at s (just after its opening quote). */
static void
print_json_string(FILE *f, const char *s)
{
	for (; *s != '\0' && *s != '"'; s++) {
		if (*s != '\\') {
			fputc(*s, f);
			continue;
		}
		s++;
		switch (*s) {
		case 'n': fputc('\n', f); break;
		case 't': fputc('\t', f); break;
		case 'r': fputc('\r', f); break;
		case 'b': fputc('\b', f); break;
		case 'f': fputc('\f', f); break;
		case 'u': {
			unsigned v = 0;
			int k;

			for (k = 1; k <= 4 && s[k] != '\0'; k++)
				v = v * 16 + (unsigned)(s[k] <= '9' ? s[k] - '0' :
					(s[k] | 0x20) - 'a' + 10);
			if (v < 0x80)
				fputc((int)v, f);
			else
				fputc('?', f);
			s += 4;
			break;
		}
		case '\0': return;
		default: fputc(*s, f);
		}
	}
}

/* stdin -> the socket and the socket -> stdout at once, neither direction
 * waiting on the other (outq.h): an MCP client that sends many requests
 * before it reads still gets every reply, and the broker, which stops
 * reading an agent whose replies pile up, never sees the relay stall. */
static int
relay(void)
{
	struct outq up, down;		/* to the broker, to stdout */
	char *b = malloc(RELAY_CHUNK);
	int fl = fcntl(1, F_GETFL), in_open = 1, sock_open = 1, shut = 0;
	int rc = 1;

	if (b == NULL)
		return 1;
	oq_init(&up, RELAY_CAP, RELAY_CAP + RELAY_CHUNK);
	oq_init(&down, RELAY_CAP, RELAY_CAP + RELAY_CHUNK);
	signal(SIGPIPE, SIG_IGN);
	if (fl >= 0)
		(void)fcntl(1, F_SETFL, fl | O_NONBLOCK);	/* put back below */
	for (;;) {
		struct pollfd p[3] = {
			{ in_open && !oq_over(&up) ? 0 : -1, POLLIN, 0 },
			{ sock, (short)((sock_open && !oq_over(&down) ? POLLIN : 0) |
				(oq_pending(&up) > 0 ? POLLOUT : 0)), 0 },
			{ oq_pending(&down) > 0 ? 1 : -1, POLLOUT, 0 },
		};
		ssize_t n;

		if (!in_open && !shut && oq_pending(&up) == 0) {
			/* stdin closed and all of it sent: let the answers drain. */
			shutdown(sock, SHUT_WR);
			shut = 1;
		}
		if (!sock_open && oq_pending(&down) == 0) {
			rc = 0;
			break;
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
		if ((p[1].revents & ~POLLOUT) != 0 && sock_open && !oq_over(&down)) {
			n = read(sock, b, RELAY_CHUNK);
			if (n > 0) {
				if (oq_send(&down, 1, b, (size_t)n) != 0 || down.broken)
					break;
			} else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
				sock_open = 0;
			}
		}
		if (p[0].revents != 0 && in_open) {
			n = read(0, b, RELAY_CHUNK);
			if (n > 0) {
				if (oq_send(&up, sock, b, (size_t)n) != 0 || up.broken)
					break;
			} else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
				in_open = 0;
			}
		}
	}
	if (fl >= 0)
		(void)fcntl(1, F_SETFL, fl);
	oq_free(&up);
	oq_free(&down);
	free(b);
	return rc;
}

int
main(int argc, char **argv)
{
	const char *fdv = getenv("WARD_FD");
	struct buf q = { NULL, 0, 0 };
	char *rep, *t;
	int i, is_err;

	if (argc < 2)
		return usage(stderr);
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)
		return usage(stdout);
	if (fdv != NULL)
		sock = atoi(fdv);
	if (fdv == NULL || sock < 0 || write(sock, "", 0) < 0) {
		fprintf(stderr, "ward-call: no broker socket (WARD_FD); ward-call "
			"only works inside a ward sandbox\n");
		return 3;
	}
	if (strcmp(argv[1], "mcp") == 0)
		return relay();
	if (strcmp(argv[1], "list") == 0) {
		puts_(&q, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\"}\n");
	} else {
		puts_(&q, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\","
			  "\"params\":{\"name\":");
		put_str(&q, argv[1]);
		puts_(&q, ",\"arguments\":{");
		for (i = 2; i < argc; i++) {
			char *eq = strchr(argv[i], '=');
			int raw;

			if (eq == NULL || eq == argv[i]) {
				fprintf(stderr, "ward-call: '%s' is not key=value\n",
					argv[i]);
				return 2;
			}
			raw = eq > argv[i] && eq[-1] == ':';
			*(raw ? eq - 1 : eq) = '\0';
			if (i > 2)
				puts_(&q, ",");
			put_str(&q, argv[i]);
			puts_(&q, ":");
			if (raw)
				puts_(&q, eq + 1);
			else
				put_str(&q, eq + 1);
		}
		puts_(&q, "}}}\n");
	}
	if (oq_write_all(sock, q.p, q.n, -1) != 0) {
		fprintf(stderr, "ward-call: the broker is gone\n");
		return 3;
	}
	free(q.p);
	rep = read_line();
	if (rep == NULL) {
		fprintf(stderr, "ward-call: no answer from the broker\n");
		return 3;
	}
	if (strcmp(argv[1], "list") == 0) {
		for (t = strstr(rep, "\"name\":\""); t != NULL;
		     t = strstr(t + 8, "\"name\":\"")) {
			print_json_string(stdout, t + 8);
			fputc('\n', stdout);
		}
		free(rep);
		return 0;
	}
	if (strstr(rep, "\"error\":{") != NULL && strstr(rep, "\"result\"") == NULL) {
		t = strstr(rep, "\"message\":\"");
		fprintf(stderr, "ward-call: ");
		if (t != NULL)
			print_json_string(stderr, t + 11);
		fputc('\n', stderr);
		free(rep);
		return 1;
	}
	is_err = strstr(rep, "\"isError\":true") != NULL;
	t = strstr(rep, "\"text\":\"");
	if (t != NULL) {
		print_json_string(is_err ? stderr : stdout, t + 8);
		fputc('\n', is_err ? stderr : stdout);
	}
	free(rep);
	return is_err ? 1 : 0;
}
