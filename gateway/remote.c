/*
 * remote.c -- ward-mcp-remote: a remote MCP server (a profile's `url`),
 * seen by ward-gateway as a stdio server.  It runs in the server's ward
 * sandbox like any other (gateway/upstream.c, egress_gw.c): no network
 * but the egress proxy on 127.0.0.1:3128, no file of the host but its own
 * binary.  Untrusted, not verified; it holds nothing secret.
 *
 *   gateway --(JSON-RPC, one message a line, stdin/stdout)--> this bridge
 *   bridge --(POST http://HOST:PORT/PATH, absolute form)--> ward-egress
 *   ward-egress: net.connect approval (the session's context), secret.use
 *   approval for each ward-secret-NAME placeholder in a header, the value
 *   put in its place (TLS opened upstream for https, port 443)
 *   --> the remote server, MCP Streamable HTTP (2025-11-25)
 *
 * Each message the gateway sends is one POST (Content-Type
 * application/json; Accept: application/json, text/event-stream;
 * Mcp-Session-Id once the server gave one; MCP-Protocol-Version once
 * initialize agreed on one; the profile's headers, placeholders only), on
 * a connection of its own (ward-egress serves one request a connection):
 * one core approval a request, counted and logged.  The answer is JSON
 * (one message, or an array of them) or an event stream whose events'
 * data are messages (responses, notifications, the server's requests);
 * each goes to the gateway as one line.  202: nothing.  A request that
 * fails (refused by ward-egress, HTTP error, no answer in time, too
 * large) is answered with a JSON-RPC error for its id; a session the
 * server forgot (404 with a session id) ends the bridge, so that the
 * gateway starts it again and initializes anew.  At the end of input:
 * DELETE of the session.
 *
 * Bounds: a head of 16 KiB, a message of 64 MiB, 32 requests at once, and
 * a request's exchange lasts --timeout seconds at most (ten times the
 * call's deadline), and the GET stream is given up when it sends nothing
 * that long.
 * Requests are answered on threads of their own, so a slow call holds up
 * no other; notifications and responses are sent in order, before the
 * next line is read.  What the server sends unasked outside a request
 * comes on the GET stream, opened after notifications/initialized
 * (get_stream).
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <jansson.h>

#define RM_MSG_MAX (64u << 20)
#define RM_HEAD_MAX (16 << 10)
#define RM_INFLIGHT 32
#define RM_HDRS 4

static const char *url_dest;		/* "host:port" */
static const char *url_path;		/* "/path..." */
static char *hdrs[RM_HDRS];
static int nhdrs;
static int idle_s = 1200;
static struct sockaddr_in proxy;

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int inflight;
static char session[256];		/* Mcp-Session-Id, "" none yet */
static char version[64];		/* MCP-Protocol-Version, "" none yet */
static int get_started;			/* the GET stream's thread runs */

static void __attribute__((format(printf, 1, 2)))
say(const char *fmt, ...)
{
	va_list ap;

	/* The gateway prints our stderr escaped, as the server's. */
	fputs("ward-mcp-remote: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* One message to the gateway: compact JSON, one line, whole. */
static void
emit(json_t *m)
{
	char *s = json_dumps(m, JSON_COMPACT | JSON_ENCODE_ANY);
	size_t n, off = 0;

	if (s == NULL)
		return;
	n = strlen(s);
	pthread_mutex_lock(&mu);
	s[n] = '\n';
	while (off < n + 1) {
		ssize_t w = write(1, s + off, n + 1 - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	pthread_mutex_unlock(&mu);
	free(s);
}

/* A JSON-RPC error for the request id (NULL: none, nothing sent). */
static void __attribute__((format(printf, 2, 3)))
fail(json_t *id, const char *fmt, ...)
{
	char msg[600];
	va_list ap;
	size_t i;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	/* It quotes the server (a reason phrase, a line of its body):
	 * printable ASCII only, so that the error is valid JSON text and
	 * says what it says on any terminal. */
	for (i = 0; msg[i] != '\0'; i++)
		if (msg[i] < 0x20 || msg[i] > 0x7e)
			msg[i] = '?';
	say("%s", msg);
	if (id == NULL)
		return;
	emit(json_pack("{s:s, s:O, s:{s:i, s:s, s:{s:s}}}", "jsonrpc", "2.0", "id",
		       id, "error", "code", -32603, "message", msg, "data",
		       "reason", "remote_failed"));
}

/* ---- one HTTP exchange through the proxy ---------------------------------- */

struct conn {
	int fd;
	char *buf;		/* bytes read, not consumed */
	size_t len, off, cap;
	int eof;
	/* the body's framing */
	int chunked;
	long long left;		/* Content-Length left, or of this chunk; -1 */
	int chunks_done;
	/* A request's whole exchange ends by then (ten times the call's
	 * deadline, which progress cannot pass at the gateway either);
	 * 0: the GET stream, bounded by idle_s alone. */
	long long until_ms;
	int no_proxy;		/* the proxy refused the connection */
};

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Bytes to read within idle_s, and before the exchange's end (until_ms,
 * 0: none): 0, or -1. */
static int
wait_in(const struct conn *c)
{
	struct pollfd p = { c->fd, POLLIN, 0 };
	long long t;
	int r;

	do {
		t = (long long)idle_s * 1000;
		if (c->until_ms != 0 && c->until_ms - now_ms() < t)
			t = c->until_ms - now_ms();
		if (t <= 0)
			return -1;
		r = poll(&p, 1, (int)t);
	} while (r < 0 && errno == EINTR);
	return r > 0 ? 0 : -1;
}

/* More bytes into c->buf: 1 read, 0 end, -1 error or time out. */
static int
fill(struct conn *c)
{
	ssize_t n;

	if (c->eof)
		return 0;
	if (c->off > 0 && c->off == c->len)
		c->off = c->len = 0;
	if (c->len == c->cap) {
		if (c->off > 0) {
			memmove(c->buf, c->buf + c->off, c->len - c->off);
			c->len -= c->off;
			c->off = 0;
		} else {
			return -1;
		}
	}
	if (wait_in(c) != 0)
		return -1;
	n = read(c->fd, c->buf + c->len, c->cap - c->len);
	if (n < 0)
		return errno == EINTR ? 1 : -1;
	if (n == 0) {
		c->eof = 1;
		return 0;
	}
	c->len += (size_t)n;
	return 1;
}

/* A line of the chunked framing (the size line, the CRLF after a chunk),
 * at most 1 KiB: 0 and its text in out, or -1. */
static int
frame_line(struct conn *c, char *out, size_t cap)
{
	for (;;) {
		char *nl = memchr(c->buf + c->off, '\n', c->len - c->off);

		if (nl != NULL) {
			size_t n = (size_t)(nl - (c->buf + c->off));

			if (n >= cap)
				return -1;
			memcpy(out, c->buf + c->off, n);
			out[n] = '\0';
			if (n > 0 && out[n - 1] == '\r')
				out[n - 1] = '\0';
			c->off += n + 1;
			return 0;
		}
		if (c->len - c->off > 1024 || fill(c) <= 0)
			return -1;
	}
}

/* Up to cap bytes of the body: >0 how many, 0 its end, -1 error. */
static long
body_read(struct conn *c, char *out, size_t cap)
{
	size_t n;

	if (c->chunked && c->left == 0) {
		char line[1100];

		if (c->chunks_done)
			return 0;
		/* Blank lines: the CRLF after the previous chunk's data. */
		do {
			if (frame_line(c, line, sizeof line) != 0)
				return -1;
		} while (line[0] == '\0');
		c->left = strtoll(line, NULL, 16);
		if (c->left < 0)
			return -1;
		if (c->left == 0) {
			c->chunks_done = 1;
			return 0;
		}
	}
	if (!c->chunked && c->left == 0)
		return 0;
	if (c->off == c->len) {
		int r = fill(c);

		if (r < 0)
			return -1;
		if (r == 0)
			return c->left < 0 ? 0 : -1;	/* cut short */
	}
	n = c->len - c->off;
	if (n > cap)
		n = cap;
	if (c->left >= 0 && (long long)n > c->left)
		n = (size_t)c->left;
	memcpy(out, c->buf + c->off, n);
	c->off += n;
	if (c->left > 0)
		c->left -= (long long)n;
	return (long)n;
}

static int
connect_proxy(void)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;

	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&proxy, sizeof proxy) != 0) {
		close(fd);
		return -1;
	}
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	/* A server that does not read the request holds a write no longer
	 * than it may stay silent. */
	{
		struct timeval tv = { idle_s, 0 };

		(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	}
	return fd;
}

static int
write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* A header's value in the head (name lower case, ": " after it), copied
 * to out (printable ASCII only, else ""). */
static void
head_get(const char *head, const char *name, char *out, size_t cap)
{
	const char *p = head;
	size_t nl = strlen(name);

	out[0] = '\0';
	while ((p = strchr(p, '\n')) != NULL) {
		const char *e;
		size_t i, n;

		p++;
		if (strncasecmp(p, name, nl) != 0 || p[nl] != ':')
			continue;
		p += nl + 1;
		while (*p == ' ' || *p == '\t')
			p++;
		e = strpbrk(p, "\r\n");
		n = e != NULL ? (size_t)(e - p) : strlen(p);
		if (n >= cap)
			return;
		for (i = 0; i < n; i++)
			if (p[i] < 0x20 || p[i] > 0x7e)
				return;
		memcpy(out, p, n);
		out[n] = '\0';
		return;
	}
}

/* Send method (POST with body, or DELETE) and read the answer's head:
 * 0 and the status in *status, c ready for the body; -1 and why. */
static int
exchange(struct conn *c, const char *method, const char *body, size_t blen,
	 int *status, char *ctype, size_t ctcap, char *sid, size_t sidcap,
	 char *why, size_t whycap)
{
	char *head = malloc(RM_HEAD_MAX + 8192);
	char te[64], cl[32];
	size_t hl = 0;
	int k, n;
	char *end;

	c->cap = 256u << 10;
	c->buf = malloc(c->cap);
	c->fd = -1;
	if (strcmp(method, "GET") != 0)
		c->until_ms = now_ms() + (long long)idle_s * 1000;
	if (head == NULL || c->buf == NULL) {
		free(head);
		snprintf(why, whycap, "out of memory");
		return -1;
	}
	pthread_mutex_lock(&mu);
	n = snprintf(head, RM_HEAD_MAX, "%s http://%s%s HTTP/1.1\r\nHost: %s\r\n"
		     "Accept: application/json, text/event-stream\r\n"
		     "Connection: close\r\n%s%s%s%s%s%s", method, url_dest, url_path,
		     url_dest, session[0] ? "Mcp-Session-Id: " : "", session,
		     session[0] ? "\r\n" : "", version[0] ? "MCP-Protocol-Version: " : "",
		     version, version[0] ? "\r\n" : "");
	pthread_mutex_unlock(&mu);
	for (k = 0; k < nhdrs && n > 0 && n < RM_HEAD_MAX; k++)
		n += snprintf(head + n, RM_HEAD_MAX - (size_t)n, "%s\r\n", hdrs[k]);
	if (n > 0 && n < RM_HEAD_MAX && body != NULL)
		n += snprintf(head + n, RM_HEAD_MAX - (size_t)n, "Content-Type: "
			      "application/json\r\nContent-Length: %zu\r\n", blen);
	if (n > 0 && n < RM_HEAD_MAX)
		n += snprintf(head + n, RM_HEAD_MAX - (size_t)n, "\r\n");
	if (n <= 0 || n >= RM_HEAD_MAX) {
		free(head);
		snprintf(why, whycap, "request head too long");
		return -1;
	}
	c->fd = connect_proxy();
	if (c->fd < 0) {
		c->no_proxy = 1;
		free(head);
		snprintf(why, whycap, "cannot reach the egress proxy (%s); the "
			 "server has no network without it", strerror(errno));
		return -1;
	}
	if (write_all(c->fd, head, (size_t)n) != 0 ||
	    (body != NULL && write_all(c->fd, body, blen) != 0)) {
		/* The proxy may have answered and closed: read it. */
	}
	/* The head of the answer. */
	for (;;) {
		char *e = NULL;

		if (c->len > 0)
			e = memmem(c->buf, c->len, "\r\n\r\n", 4);
		if (e != NULL) {
			hl = (size_t)(e - c->buf) + 4;
			break;
		}
		if (c->len >= RM_HEAD_MAX) {
			free(head);
			snprintf(why, whycap, "the answer's head passes %d bytes",
				 RM_HEAD_MAX);
			return -1;
		}
		if (fill(c) <= 0) {
			free(head);
			snprintf(why, whycap, "no answer (%s)", c->eof ?
				 "the connection closed" : "nothing in time");
			return -1;
		}
	}
	memcpy(head, c->buf, hl);
	head[hl] = '\0';
	c->off = hl;
	if (strncmp(head, "HTTP/1.", 7) != 0 || strlen(head) < 12) {
		free(head);
		snprintf(why, whycap, "the answer is not HTTP/1.x");
		return -1;
	}
	*status = (int)strtol(head + 9, &end, 10);
	head_get(head, "content-type", ctype, ctcap);
	head_get(head, "mcp-session-id", sid, sidcap);
	head_get(head, "transfer-encoding", te, sizeof te);
	head_get(head, "content-length", cl, sizeof cl);
	c->chunked = strcasecmp(te, "chunked") == 0;
	c->left = c->chunked ? 0 : cl[0] != '\0' ? strtoll(cl, NULL, 10) : -1;
	if (!c->chunked && c->left > (long long)RM_MSG_MAX) {
		free(head);
		snprintf(why, whycap, "the answer passes %u MiB", RM_MSG_MAX >> 20);
		return -1;
	}
	/* The status line's reason and the first line of the body go in the
	 * error: ward-egress says there what it refused and why. */
	{
		size_t rl = strcspn(head + 9, "\r\n");

		snprintf(why, whycap, "HTTP %.*s", (int)(rl > 100 ? 100 : rl), head + 9);
	}
	free(head);
	return 0;
}

static void
conn_free(struct conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	free(c->buf);
	memset(c, 0, sizeof *c);
	c->fd = -1;
}

/* Each message of a JSON body (one, or an array) to the gateway.
 * 0, or -1 when it is not JSON. */
static int
emit_json(const char *s, size_t n, int *answered, json_t *id, int is_init)
{
	json_error_t e;
	json_t *v = json_loadb(s, n, JSON_DECODE_ANY, &e), *x;
	size_t i;

	if (v == NULL || !(json_is_object(v) || json_is_array(v))) {
		json_decref(v);
		return -1;
	}
	if (json_is_object(v)) {
		if (id != NULL && json_equal(json_object_get(v, "id"), id) &&
		    json_object_get(v, "method") == NULL) {
			const char *pv = json_string_value(json_object_get(
				json_object_get(v, "result"), "protocolVersion"));
			size_t k;

			*answered = 1;
			/* The version initialize agreed on goes in every later
			 * request (MCP-Protocol-Version), before the gateway
			 * can send one. */
			for (k = 0; pv != NULL && pv[k] != '\0'; k++)
				if (pv[k] <= 0x20 || pv[k] > 0x7e || k > 32)
					pv = NULL;
			if (pv != NULL && strstr(pv, "ward-secret-") != NULL)
				pv = NULL;
			if (is_init && pv != NULL) {
				pthread_mutex_lock(&mu);
				snprintf(version, sizeof version, "%s", pv);
				pthread_mutex_unlock(&mu);
			}
		}
		emit(v);
	} else {
		json_array_foreach(v, i, x) {
			if (id != NULL && json_equal(json_object_get(x, "id"), id) &&
			    json_object_get(x, "method") == NULL)
				*answered = 1;
			emit(x);
		}
	}
	json_decref(v);
	return 0;
}

/* An event stream's messages to the gateway: "data:" lines joined with
 * \n, dispatched at a blank line; other fields (event, id, retry) and
 * comments skipped.  For a request (id), it stops once answered (the
 * server should close the stream then; we do not wait for it).  0: the
 * end (or answered), -1: broke off or timed out, -2: an event too large. */
static long
sse_pump(struct conn *c, json_t *id, int is_init, int *answered)
{
	char *chunk = malloc(65536), *line = NULL, *body = NULL;
	size_t ll = 0, lcap = 0, blen = 0, bcap = 0;
	long r, rc = 0;

	if (chunk == NULL)
		return -1;
	while ((r = body_read(c, chunk, 65536)) > 0) {
		long i;

		for (i = 0; i < r; i++) {
			char ch = chunk[i];

			if (ch != '\n') {
				if (ll + 2 > lcap) {
					size_t nc = lcap ? lcap * 2 : 4096;
					char *nl;

					if (nc > RM_MSG_MAX + 16 ||
					    (nl = realloc(line, nc)) == NULL) {
						rc = -2;
						goto out;
					}
					line = nl;
					lcap = nc;
				}
				line[ll++] = ch;
				continue;
			}
			if (ll > 0 && line[ll - 1] == '\r')
				ll--;
			if (ll == 0) {
				if (blen > 0 && emit_json(body, blen, answered, id,
							  is_init) != 0)
					say("an event of %s is not JSON: dropped",
					    url_dest);
				blen = 0;
				if (*answered && id != NULL)
					goto out;
			} else if (ll >= 5 && memcmp(line, "data:", 5) == 0) {
				size_t off = ll > 5 && line[5] == ' ' ? 6 : 5;
				size_t add = ll - off + (blen > 0);

				if (blen + add > RM_MSG_MAX) {
					rc = -2;
					goto out;
				}
				if (blen + add + 1 > bcap) {
					size_t nc = (blen + add + 1) * 2;
					char *nb = realloc(body, nc);

					if (nb == NULL) {
						rc = -2;
						goto out;
					}
					body = nb;
					bcap = nc;
				}
				if (blen > 0)
					body[blen++] = '\n';
				memcpy(body + blen, line + off, ll - off);
				blen += ll - off;
			}
			ll = 0;
		}
	}
	rc = r < 0 ? -1 : 0;
out:
	free(chunk);
	free(line);
	free(body);
	return rc;
}

/* One message of the gateway's to the server; its answers to the
 * gateway.  id: the request's (NULL for a notification or a response). */
static void
post(const char *msg, size_t len, json_t *id, int is_init)
{
	struct conn c;
	char ctype[128], sid[256], why[600], *body = NULL;
	size_t blen = 0, bcap = 0;
	int status = 0, answered = 0;
	long r;

	memset(&c, 0, sizeof c);
	if (exchange(&c, "POST", msg, len, &status, ctype, sizeof ctype, sid,
		     sizeof sid, why, sizeof why) != 0) {
		fail(id, "remote server %s: %s", url_dest, why);
		/* ward-egress is gone (its listener with it): ended, so that
		 * the gateway starts this server again, with a ward-egress
		 * started again (fail closed meanwhile). */
		if (c.no_proxy) {
			say("no egress proxy: exiting, to be started again");
			exit(1);
		}
		goto out;
	}
	if (status == 404 && session[0] != '\0' && !is_init) {
		/* The server forgot the session: the gateway starts this
		 * bridge again, which initializes anew. */
		fail(id, "remote server %s: the session is gone (404); starting "
		     "again", url_dest);
		exit(1);
	}
	if (status == 202 && id == NULL)
		goto out;
	if (status < 200 || status > 299) {
		char line[200];
		long k = body_read(&c, line, sizeof line - 1);
		size_t i;

		line[k > 0 ? k : 0] = '\0';
		for (i = 0; line[i] != '\0'; i++)
			if (line[i] == '\r' || line[i] == '\n')
				line[i] = ' ';
		fail(id, "remote server %s: %s%s%s", url_dest, why, line[0] ? ": " : "",
		     line);
		goto out;
	}
	/* A session id (or, below, a version) is sent back in a header of
	 * every request: one that holds a placeholder would have ward-egress
	 * ask for a secret in it (the core refuses: no secret is bound to
	 * that header), so it is refused here first. */
	if (is_init && strstr(sid, "ward-secret-") != NULL) {
		fail(id, "remote server %s: its Mcp-Session-Id holds a secret's "
		     "placeholder; refused", url_dest);
		goto out;
	}
	if (is_init && sid[0] != '\0') {
		pthread_mutex_lock(&mu);
		snprintf(session, sizeof session, "%s", sid);
		pthread_mutex_unlock(&mu);
	}
	if (strncasecmp(ctype, "text/event-stream", 17) == 0) {
		r = sse_pump(&c, id, is_init, &answered);
		if (r == -2)
			fail(id, "remote server %s: an event passes %u MiB", url_dest,
			     RM_MSG_MAX >> 20);
		else if (r < 0 && !answered)
			fail(id, "remote server %s: the event stream broke off "
			     "or sent nothing in time (%d s)", url_dest, idle_s);
		else if (id != NULL && !answered)
			fail(id, "remote server %s: the event stream ended without "
			     "the answer", url_dest);
		goto out;
	}
	/* application/json: the whole body, then its messages. */
	for (;;) {
		if (blen + 65536 > bcap) {
			size_t nc = bcap ? bcap * 2 : 131072;

			if (blen > RM_MSG_MAX) {
				fail(id, "remote server %s: the answer passes %u MiB",
				     url_dest, RM_MSG_MAX >> 20);
				goto out;
			}
			if ((body = realloc(body, nc)) == NULL) {
				fail(id, "out of memory");
				goto out;
			}
			bcap = nc;
		}
		r = body_read(&c, body + blen, 65536);
		if (r <= 0)
			break;
		blen += (size_t)r;
	}
	if (r < 0)
		fail(id, "remote server %s: the answer broke off or stalled %d s",
		     url_dest, idle_s);
	else if (blen == 0 && id == NULL)
		;
	else if (emit_json(body, blen, &answered, id, is_init) != 0)
		fail(id, "remote server %s: the answer is not JSON (%s)", url_dest,
		     ctype[0] ? ctype : "no Content-Type");
	else if (id != NULL && !answered)
		fail(id, "remote server %s: the answer does not answer the "
		     "request", url_dest);
out:
	free(body);
	conn_free(&c);
}

/* The GET stream (2025-11-25, "Listening for Messages from the Server"):
 * what the server sends unasked outside a request (list_changed, log
 * messages, its own requests), to the gateway.  Opened once the session
 * is initialized (initialize gave an id, notifications/initialized
 * sent); 405: the server offers none, and it is not asked
 * again; when it ends or fails, opened again after 1, 2, 4 ... 60 s.
 * Each opening is one connection through ward-egress: one approval. */
static void *
get_stream(void *arg)
{
	unsigned delay = 1;

	(void)arg;
	for (;;) {
		struct conn c;
		char ctype[128], sid[8], why[600];
		int status = 0, answered = 0;
		long long t0 = now_ms();

		memset(&c, 0, sizeof c);
		if (exchange(&c, "GET", NULL, 0, &status, ctype, sizeof ctype, sid,
			     sizeof sid, why, sizeof why) == 0) {
			if (status == 405) {
				conn_free(&c);
				return NULL;
			}
			if (status == 200 &&
			    strncasecmp(ctype, "text/event-stream", 17) == 0)
				(void)sse_pump(&c, NULL, 0, &answered);
			else
				say("the GET stream of %s: %s", url_dest, why);
		} else {
			say("the GET stream of %s: %s", url_dest, why);
		}
		conn_free(&c);
		/* Up a minute: from 1 s again. */
		delay = now_ms() - t0 > 60000 ? 1 : delay * 2 > 60 ? 60 : delay * 2;
		sleep(delay);
	}
	return NULL;
}

/* ---- requests on threads, the rest in order ------------------------------- */

struct job {
	char *msg;
	size_t len;
	json_t *id;
	int is_init;
};

static void *
job_run(void *arg)
{
	struct job *j = arg;

	post(j->msg, j->len, j->id, j->is_init);
	free(j->msg);
	json_decref(j->id);
	free(j);
	pthread_mutex_lock(&mu);
	inflight--;
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
	return NULL;
}

static void
handle(char *line, size_t len)
{
	json_error_t e;
	json_t *m = json_loadb(line, len, 0, &e), *id;
	const char *method;
	struct job *j;
	pthread_t th;

	if (m == NULL || !json_is_object(m)) {
		json_decref(m);
		return;		/* the gateway sends only JSON-RPC */
	}
	method = json_string_value(json_object_get(m, "method"));
	id = json_object_get(m, "id");
	if (method == NULL || id == NULL) {
		/* A notification or a response: in order. */
		post(line, len, NULL, 0);
		/* The GET stream, once the session is initialized. */
		pthread_mutex_lock(&mu);
		if (method != NULL && strcmp(method, "notifications/initialized") == 0 &&
		    session[0] != '\0' && !get_started) {
			get_started = 1;
			if (pthread_create(&th, NULL, get_stream, NULL) == 0)
				pthread_detach(th);
		}
		pthread_mutex_unlock(&mu);
		json_decref(m);
		return;
	}
	if (strcmp(method, "initialize") == 0) {
		/* In order: its answer gives the session and the version
		 * (the gateway sends nothing more before it). */
		post(line, len, id, 1);
		json_decref(m);
		return;
	}
	j = calloc(1, sizeof *j);
	if (j == NULL || (j->msg = malloc(len)) == NULL) {
		free(j);
		fail(id, "out of memory");
		json_decref(m);
		return;
	}
	memcpy(j->msg, line, len);
	j->len = len;
	j->id = json_incref(id);
	pthread_mutex_lock(&mu);
	while (inflight >= RM_INFLIGHT)
		pthread_cond_wait(&cv, &mu);
	inflight++;
	pthread_mutex_unlock(&mu);
	if (pthread_create(&th, NULL, job_run, j) != 0) {
		pthread_mutex_lock(&mu);
		inflight--;
		pthread_mutex_unlock(&mu);
		fail(id, "cannot start a thread");
		free(j->msg);
		json_decref(j->id);
		free(j);
	} else {
		pthread_detach(th);
	}
	json_decref(m);
}

int
main(int argc, char **argv)
{
	static char dest[300];
	const char *url = NULL, *px = getenv("HTTP_PROXY");
	char *buf;
	size_t len = 0, cap = 1u << 16;
	int i, skip = 0;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--url") == 0 && i + 1 < argc)
			url = argv[++i];
		else if (strcmp(argv[i], "--timeout") == 0 && i + 1 < argc)
			idle_s = atoi(argv[++i]);
		else if (strcmp(argv[i], "--header") == 0 && i + 1 < argc &&
			 nhdrs < RM_HDRS)
			hdrs[nhdrs++] = argv[++i];
		else {
			say("usage: ward-mcp-remote --url http[s]://HOST:PORT/PATH "
			    "[--timeout S] [--header 'H: V']... (run by ward mcp)");
			return 2;
		}
	}
	if (idle_s <= 0)
		idle_s = 1200;
	if (url == NULL || (strncmp(url, "http://", 7) != 0 &&
			    strncmp(url, "https://", 8) != 0)) {
		say("no --url http[s]://HOST:PORT/PATH");
		return 2;
	}
	/* The absolute form to ward-egress is always http://host:port/...;
	 * for https (port 443) ward-egress opens TLS upstream itself. */
	url += url[4] == 's' ? 8 : 7;
	url_path = strchr(url, '/');
	if (url_path == NULL)
		url_path = "/";
	snprintf(dest, sizeof dest, "%.*s%s", (int)strcspn(url, "/"), url,
		 memchr(url, ':', strcspn(url, "/")) != NULL ? "" : ":443");
	url_dest = dest;
	memset(&proxy, 0, sizeof proxy);
	proxy.sin_family = AF_INET;
	proxy.sin_port = htons(3128);
	proxy.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (px != NULL && strncmp(px, "http://127.0.0.1:", 17) == 0)
		proxy.sin_port = htons((uint16_t)atoi(px + 17));
	signal(SIGPIPE, SIG_IGN);
	buf = malloc(cap);
	if (buf == NULL)
		return 1;
	/* One message a line, at most RM_MSG_MAX: a longer one is dropped
	 * (the gateway sends none). */
	for (;;) {
		ssize_t n;
		char *nl;

		if (len == cap) {
			if (cap > RM_MSG_MAX) {
				say("a message passes %u MiB: dropped", RM_MSG_MAX >> 20);
				skip = 1;
				len = 0;
			} else {
				char *nb = realloc(buf, cap * 2);

				if (nb == NULL)
					return 1;
				buf = nb;
				cap *= 2;
			}
		}
		n = read(0, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
		while ((nl = memchr(buf, '\n', len)) != NULL) {
			size_t l = (size_t)(nl - buf);

			if (!skip && l > 0)
				handle(buf, l);
			skip = 0;
			memmove(buf, nl + 1, len - l - 1);
			len -= l + 1;
		}
	}
	/* The end of the session (2025-11-25: DELETE with its id). */
	if (session[0] != '\0') {
		struct conn c;
		char ct[64], sid[8], why[200];
		int st;

		memset(&c, 0, sizeof c);
		if (exchange(&c, "DELETE", NULL, 0, &st, ct, sizeof ct, sid,
			     sizeof sid, why, sizeof why) != 0)
			say("DELETE of the session: %s", why);
		conn_free(&c);
	}
	free(buf);
	return 0;
}
