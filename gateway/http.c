/*
 * http.c -- ward mcp's Streamable HTTP transport (http.h).  A small
 * HTTP/1.1 server for one endpoint and one session, non-blocking, in the
 * gateway's poll loop: every write goes through a bounded queue
 * (outq.h), every read is bounded, and a connection that does not send a
 * whole request in time is closed.  Not part of the verified core.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <sodium.h>

#include "http.h"
#include "mcp.h"
#include "outq.h"
#include "text.h"

#define HTTP_CONNS 32
#define HEAD_MAX 16384u
#define REQ_MS 30000L		/* a whole request (head and body) in this */
#define IDLE_MS 120000L		/* a kept-alive connection with nothing to say */
/* The event stream's latest events, kept for a resumption
 * (Last-Event-ID), and at most what waits while no stream is open. */
#define SSE_KEEP (1u << 20)
#define Q_CAP (1u << 20)

enum { C_FREE, C_HEAD, C_WAIT, C_SSE, C_CLOSING };

/* One event of the stream, "id: N\nevent: message\ndata: ...\n\n". */
struct sse_ev {
	uint64_t id;
	size_t len;
	char *b;
};

struct conn {
	int fd, state;
	char *in;
	size_t len, cap;
	long since;		/* the current request's first byte, ms */
	long last;		/* the last byte read, ms */
	json_t *wait_id;	/* C_WAIT: the request's id */
	int wait_init;		/* C_WAIT: it is initialize */
	int head_ok;		/* the current request's head passed */
	struct outq q;
};

static struct {
	int lfd, is_unix, port;
	char url[200], token[65], session[33], unix_path[108];
	int have_session;
	size_t body_max;
	struct conn c[HTTP_CONNS];
	int sse;		/* the event stream's connection, or -1 */
	/* The events kept (ids gone + 1 .. last, SSE_KEEP bytes at most),
	 * from ev[ev0] on; those after sent have been on no stream yet. */
	struct sse_ev *ev;
	size_t ev0, nev, evcap, ev_bytes, unsent_bytes;
	uint64_t last, sent, gone;
	int dropped;
	int in_process;		/* the connection process() is in, or -1 */
} H = { .lfd = -1, .sse = -1, .in_process = -1 };

/* ---- listening ------------------------------------------------------------ */

static int
write_token(const char *path, char *err, size_t errlen)
{
	char tmp[4200];
	int fd;

	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	(void)unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, H.token, 64) != 64 || write(fd, "\n", 1) != 1 ||
	    fsync(fd) != 0 || close(fd) != 0 || rename(tmp, path) != 0) {
		snprintf(err, errlen, "cannot write the bearer token to %s: %s",
			 path, strerror(errno));
		if (fd >= 0)
			(void)unlink(tmp);
		return -1;
	}
	return 0;
}

int
http_start(const char *addr, const char *token_path, size_t body_max,
	   char *err, size_t errlen)
{
	uint8_t rnd[32];
	int i, one = 1;

	for (i = 0; i < HTTP_CONNS; i++)
		H.c[i].fd = -1;
	H.body_max = body_max;
	randombytes_buf(rnd, sizeof rnd);
	sodium_bin2hex(H.token, sizeof H.token, rnd, sizeof rnd);
	sodium_memzero(rnd, sizeof rnd);
	if (strncmp(addr, "unix:", 5) == 0) {
		struct sockaddr_un a;
		struct stat st;
		const char *p = addr + 5;

		if (p[0] != '/' || strlen(p) >= sizeof a.sun_path) {
			snprintf(err, errlen, "--listen %s: give an absolute path "
				 "of at most %zu bytes after unix:", addr,
				 sizeof a.sun_path - 1);
			return -1;
		}
		if (lstat(p, &st) == 0) {
			if (!S_ISSOCK(st.st_mode)) {
				snprintf(err, errlen, "--listen %s: %s exists and is "
					 "not a socket; not replaced", addr, p);
				return -1;
			}
			(void)unlink(p);
		}
		memset(&a, 0, sizeof a);
		a.sun_family = AF_UNIX;
		memcpy(a.sun_path, p, strlen(p) + 1);
		H.lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (H.lfd < 0 || bind(H.lfd, (struct sockaddr *)&a, sizeof a) != 0 ||
		    chmod(p, 0600) != 0 || listen(H.lfd, 16) != 0) {
			snprintf(err, errlen, "--listen %s: %s", addr, strerror(errno));
			return -1;
		}
		H.is_unix = 1;
		snprintf(H.unix_path, sizeof H.unix_path, "%s", p);
		snprintf(H.url, sizeof H.url, "unix:%s", p);
	} else {
		const char *colon = strrchr(addr, ':');
		char host[64];
		struct sockaddr_storage ss;
		socklen_t sl;
		char *end;
		long port;
		int v6;

		if (colon == NULL || (size_t)(colon - addr) >= sizeof host) {
			snprintf(err, errlen, "--listen %s: write HOST:PORT (a "
				 "loopback address) or unix:/PATH", addr);
			return -1;
		}
		memcpy(host, addr, (size_t)(colon - addr));
		host[colon - addr] = '\0';
		port = strtol(colon + 1, &end, 10);
		if (*end != '\0' || colon[1] == '\0' || port < 0 || port > 65535) {
			snprintf(err, errlen, "--listen %s: the port is 0 to 65535 "
				 "(0: any free one)", addr);
			return -1;
		}
		if (strcmp(host, "localhost") == 0)
			snprintf(host, sizeof host, "127.0.0.1");
		if (strcmp(host, "[::1]") == 0)
			snprintf(host, sizeof host, "::1");
		v6 = strcmp(host, "::1") == 0;
		memset(&ss, 0, sizeof ss);
		if (v6) {
			struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

			s6->sin6_family = AF_INET6;
			s6->sin6_addr = in6addr_loopback;
			s6->sin6_port = htons((uint16_t)port);
			sl = sizeof *s6;
		} else {
			struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

			if (inet_pton(AF_INET, host, &s4->sin_addr) != 1 ||
			    (ntohl(s4->sin_addr.s_addr) >> 24) != 127) {
				snprintf(err, errlen, "--listen %s: only a loopback "
					 "address (127.0.0.0/8, ::1, localhost) or "
					 "a unix socket: ward mcp speaks for the "
					 "operator and is not served to a network",
					 addr);
				return -1;
			}
			s4->sin_family = AF_INET;
			s4->sin_port = htons((uint16_t)port);
			sl = sizeof *s4;
		}
		H.lfd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC |
			       SOCK_NONBLOCK, 0);
		if (H.lfd < 0 ||
		    setsockopt(H.lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) ||
		    bind(H.lfd, (struct sockaddr *)&ss, sl) != 0 ||
		    listen(H.lfd, 16) != 0 ||
		    getsockname(H.lfd, (struct sockaddr *)&ss, &sl) != 0) {
			snprintf(err, errlen, "--listen %s: %s", addr, strerror(errno));
			return -1;
		}
		H.port = ntohs(v6 ? ((struct sockaddr_in6 *)&ss)->sin6_port :
			       ((struct sockaddr_in *)&ss)->sin_port);
		snprintf(H.url, sizeof H.url, "http://%s%s%s:%d/mcp", v6 ? "[" : "",
			 host, v6 ? "]" : "", H.port);
	}
	return write_token(token_path, err, errlen);
}

const char *
http_url(void)
{
	return H.url;
}

/* ---- connections ------------------------------------------------------------ */

static void
conn_close(int i)
{
	struct conn *c = &H.c[i];

	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->state = C_FREE;
	free(c->in);
	c->in = NULL;
	c->len = c->cap = 0;
	json_decref(c->wait_id);
	c->wait_id = NULL;
	oq_free(&c->q);
	if (H.sse == i)
		H.sse = -1;
}

static void
out(struct conn *c, const char *p, size_t n)
{
	if (oq_send(&c->q, c->fd, p, n) != 0 || c->q.broken)
		c->state = C_CLOSING;	/* closed once the loop sees it */
}

/* One whole response: status, headers, body. */
static void
reply(struct conn *c, int status, const char *reason, const char *ctype,
      const char *extra, const char *body, size_t blen)
{
	char head[1024];
	int n = snprintf(head, sizeof head, "HTTP/1.1 %d %s\r\n"
			 "Content-Length: %zu\r\n%s%s%s%s\r\n", status, reason,
			 blen, ctype != NULL ? "Content-Type: " : "",
			 ctype != NULL ? ctype : "", ctype != NULL ? "\r\n" : "",
			 extra != NULL ? extra : "");

	out(c, head, (size_t)n);
	if (blen > 0)
		out(c, body, blen);
}

/* An error the client can read: JSON-RPC's shape, id null. */
static void
refuse(struct conn *c, int status, const char *reason, const char *extra,
       const char *fmt, ...)
{
	char d[512], *s;
	json_t *e;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(d, sizeof d, fmt, ap);
	va_end(ap);
	e = mcp_error(NULL, MCP_INVALID_REQUEST, "%s", d);
	s = json_dumps(e, JSON_COMPACT);
	json_decref(e);
	{
		char h[256];

		/* The connection ends with this answer: said, so that a
		 * client does not send the next request on it. */
		snprintf(h, sizeof h, "%sConnection: close\r\n", extra != NULL ?
			 extra : "");
		reply(c, status, reason, "application/json", h, s, s != NULL ?
		      strlen(s) : 0);
	}
	free(s);
	c->state = C_CLOSING;
}

/* The value of header name in head (NUL-terminated lines), or NULL. */
static const char *
header(const char *head, const char *name, char *buf, size_t cap)
{
	size_t n = strlen(name);
	const char *l = strstr(head, "\r\n");

	while (l != NULL && l[2] != '\r' && l[2] != '\0') {
		const char *s = l + 2, *e = strstr(s, "\r\n");

		if (e == NULL)
			return NULL;
		if ((size_t)(e - s) > n && s[n] == ':' &&
		    strncasecmp(s, name, n) == 0) {
			const char *v = s + n + 1;
			size_t k;

			while (*v == ' ' || *v == '\t')
				v++;
			k = (size_t)(e - v);
			while (k > 0 && (v[k - 1] == ' ' || v[k - 1] == '\t'))
				k--;
			if (k >= cap)
				k = cap - 1;
			memcpy(buf, v, k);
			buf[k] = '\0';
			return buf;
		}
		l = e;
	}
	return NULL;
}

/* Host and Origin name this listener (DNS rebinding), else refused. */
static int
local_names_ok(const char *head, struct conn *c)
{
	char v[256], want[3][80];
	int i, ok;

	if (header(head, "Origin", v, sizeof v) != NULL) {
		ok = 0;
		snprintf(want[0], sizeof want[0], "http://127.0.0.1:%d", H.port);
		snprintf(want[1], sizeof want[1], "http://localhost:%d", H.port);
		snprintf(want[2], sizeof want[2], "http://[::1]:%d", H.port);
		for (i = 0; i < 3 && !H.is_unix; i++)
			ok |= strcmp(v, want[i]) == 0;
		if (!ok) {
			refuse(c, 403, "Forbidden", NULL, "Origin %.100s is not "
			       "this gateway's", v);
			return -1;
		}
	}
	if (H.is_unix)
		return 0;
	if (header(head, "Host", v, sizeof v) == NULL) {
		refuse(c, 400, "Bad Request", NULL, "no Host header");
		return -1;
	}
	snprintf(want[0], sizeof want[0], "127.0.0.1:%d", H.port);
	snprintf(want[1], sizeof want[1], "localhost:%d", H.port);
	snprintf(want[2], sizeof want[2], "[::1]:%d", H.port);
	for (ok = 0, i = 0; i < 3; i++)
		ok |= strcmp(v, want[i]) == 0;
	if (!ok) {
		refuse(c, 403, "Forbidden", NULL, "Host %.100s is not this "
		       "gateway's", v);
		return -1;
	}
	return 0;
}

/* ---- the event stream ---------------------------------------------------------
 *
 * Each event has an id (1, 2, ... in this session).  The latest events,
 * SSE_KEEP bytes at most, are kept: a GET with Last-Event-ID gets again
 * those after that id (MCP 2025-11-25, "Resumability and Redelivery"),
 * a GET without it those no stream has had yet.  While no stream is open,
 * an event that would push one not yet sent out of the kept ones is
 * dropped instead (and said once). */

static void
sse_drop_oldest(void)
{
	struct sse_ev *e = &H.ev[H.ev0];

	H.gone = e->id;
	H.ev_bytes -= e->len;
	if (e->id > H.sent)
		H.unsent_bytes -= e->len;
	free(e->b);
	H.ev0++;
	H.nev--;
}

/* Keep event id (b, n bytes, taken), the oldest going to make room; one
 * longer than SSE_KEEP is not kept, and no event before it can be had
 * again either. */
static void
sse_keep(uint64_t id, char *b, size_t n)
{
	while (H.nev > 0 && (H.ev_bytes + n > SSE_KEEP || n > SSE_KEEP))
		sse_drop_oldest();
	if (n > SSE_KEEP) {
		H.gone = id;
		free(b);
		return;
	}
	if (H.ev0 + H.nev == H.evcap) {
		if (H.ev0 > 0) {
			memmove(H.ev, H.ev + H.ev0, H.nev * sizeof *H.ev);
			H.ev0 = 0;
		} else {
			size_t nc = H.evcap != 0 ? 2 * H.evcap : 64;
			struct sse_ev *ne = realloc(H.ev, nc * sizeof *ne);

			if (ne == NULL) {
				H.gone = id;	/* not kept: cannot be had again */
				free(b);
				return;
			}
			H.ev = ne;
			H.evcap = nc;
		}
	}
	H.ev[H.ev0 + H.nev++] = (struct sse_ev){ id, n, b };
	H.ev_bytes += n;
	if (id > H.sent)
		H.unsent_bytes += n;
}

/* The kept events after id from on the open stream; all sent then. */
static void
sse_send_after(uint64_t from)
{
	size_t i;

	for (i = H.ev0; i < H.ev0 + H.nev && H.sse >= 0; i++)
		if (H.ev[i].id > from)
			out(&H.c[H.sse], H.ev[i].b, H.ev[i].len);
	H.sent = H.last;
	H.unsent_bytes = 0;
}

/* GET: the event stream opens on c (slot i), from the events after
 * Last-Event-ID if the client sent one (it lost a stream: that stream,
 * if still open here, is closed), else from those no stream has had. */
static void
sse_open(struct conn *c, int i, const char *head)
{
	static const char h[] = "HTTP/1.1 200 OK\r\n"
		"Content-Type: text/event-stream\r\n"
		"Cache-Control: no-cache\r\n\r\n";
	char v[32], *e;
	uint64_t from = H.sent;
	int resume = header(head, "Last-Event-ID", v, sizeof v) != NULL;

	if (resume) {
		errno = 0;
		from = strtoull(v, &e, 10);
		if (v[0] < '0' || v[0] > '9' || *e != '\0' || errno != 0 ||
		    from > H.last) {
			refuse(c, 400, "Bad Request", NULL, "Last-Event-ID %.20s "
			       "is not an event of this session", v);
			return;
		}
		if (H.sse >= 0)
			conn_close(H.sse);
	} else if (H.sse >= 0) {
		refuse(c, 409, "Conflict", NULL, "an event stream is already "
		       "open (to take its place, resume it with Last-Event-ID)");
		return;
	}
	if (from < H.gone)
		gw_note("http: the event stream resumed after event %llu, but "
			"events %llu to %llu were no longer kept (only the last "
			"%u KiB are)", (unsigned long long)from,
			(unsigned long long)from + 1, (unsigned long long)H.gone,
			SSE_KEEP >> 10);
	out(c, h, sizeof h - 1);
	c->state = C_SSE;
	H.sse = i;
	sse_send_after(from);
}

/* A message the gateway sends unasked: an event, on the stream if one is
 * open, kept for a resumption or for the next stream. */
static void
sse_event(const char *s)
{
	size_t n = strlen(s) + 64;
	char *ev;

	if (H.sse < 0 && H.unsent_bytes + n > SSE_KEEP) {
		if (!H.dropped)
			gw_note("http: no event stream is open and %u KiB of "
				"messages waits for one: later ones are dropped",
				SSE_KEEP >> 10);
		H.dropped = 1;
		return;
	}
	ev = malloc(n);
	if (ev == NULL)
		return;
	n = (size_t)snprintf(ev, n, "id: %llu\nevent: message\ndata: %s\n\n",
			     (unsigned long long)++H.last, s);
	if (H.sse >= 0) {
		out(&H.c[H.sse], ev, n);
		H.sent = H.last;
	}
	sse_keep(H.last, ev, n);
}

/* A POST's message, its body complete. */
static void
handle_post(struct conn *c, const char *head, char *body, size_t blen)
{
	char sid[80], ct[128];
	struct mcp_msg m;
	json_t *rep = NULL;
	enum mcp_kind k;
	int is_init;

	if (header(head, "Content-Type", ct, sizeof ct) == NULL ||
	    strncasecmp(ct, "application/json", 16) != 0) {
		refuse(c, 415, "Unsupported Media Type", NULL, "a POST carries "
		       "one JSON-RPC message as application/json");
		return;
	}
	k = mcp_parse(body, blen, &m, &rep);
	if (k == MCP_BAD || k == MCP_NONE) {
		char *s = rep != NULL ? json_dumps(rep, JSON_COMPACT) : NULL;

		json_decref(rep);
		reply(c, 400, "Bad Request", "application/json", NULL, s,
		      s != NULL ? strlen(s) : 0);
		free(s);
		return;
	}
	is_init = k == MCP_REQUEST && strcmp(m.method, "initialize") == 0;
	if (!is_init) {
		if (header(head, "Mcp-Session-Id", sid, sizeof sid) == NULL) {
			mcp_msg_free(&m);
			refuse(c, 400, "Bad Request", NULL, "no Mcp-Session-Id: "
			       "initialize first");
			return;
		}
		if (!H.have_session || strcmp(sid, H.session) != 0) {
			mcp_msg_free(&m);
			refuse(c, 404, "Not Found", NULL, "no such session");
			return;
		}
	}
	if (k == MCP_REQUEST) {
		int i;

		for (i = 0; i < HTTP_CONNS; i++)
			if (H.c[i].state == C_WAIT &&
			    json_equal(H.c[i].wait_id, m.id)) {
				mcp_msg_free(&m);
				refuse(c, 409, "Conflict", NULL, "a request with "
				       "this id is still waiting for its answer");
				return;
			}
		c->state = C_WAIT;
		c->wait_id = json_incref(m.id);
		c->wait_init = is_init;
		if (is_init && !H.have_session) {
			uint8_t r[16];

			randombytes_buf(r, sizeof r);
			sodium_bin2hex(H.session, sizeof H.session, r, sizeof r);
			H.have_session = 1;
		}
	} else {
		reply(c, 202, "Accepted", NULL, NULL, NULL, 0);
	}
	mcp_msg_free(&m);
	gw_client_line(body, blen);
}

/* The next request of c, if whole: handled, and its bytes consumed. */
static void
process(int i)
{
	struct conn *c = &H.c[i];
	int outer = H.in_process;

	H.in_process = i;
	while (c->state == C_HEAD && c->len > 0) {
		char *end, *head, method[8], path[64], ver[16], v[256], *body;
		size_t hlen, blen = 0;
		int n;

		end = memmem(c->in, c->len, "\r\n\r\n", 4);
		if (end == NULL) {
			if (c->len > HEAD_MAX)
				refuse(c, 431, "Request Header Fields Too Large",
				       NULL, "a request head is %u bytes at most",
				       HEAD_MAX);
			break;
		}
		hlen = (size_t)(end - c->in) + 4;
		if (hlen > HEAD_MAX) {
			refuse(c, 431, "Request Header Fields Too Large", NULL,
			       "a request head is %u bytes at most", HEAD_MAX);
			break;
		}
		head = c->in;
		head[hlen - 2] = '\0';	/* the head ends with its last CRLF */
		if (memchr(head, '\0', hlen - 2) != NULL ||
		    sscanf(head, "%7s %63s %15s%n", method, path, ver, &n) != 3 ||
		    strncmp(ver, "HTTP/1.", 7) != 0) {
			refuse(c, 400, "Bad Request", NULL, "not an HTTP/1.x "
			       "request");
			break;
		}
		if (header(head, "Transfer-Encoding", v, sizeof v) != NULL) {
			refuse(c, 501, "Not Implemented", NULL, "send the body "
			       "with Content-Length, not chunked");
			break;
		}
		if (header(head, "Content-Length", v, sizeof v) != NULL) {
			char *e;
			unsigned long long l = strtoull(v, &e, 10);

			if (*e != '\0' || v[0] < '0' || v[0] > '9' ||
			    l > H.body_max) {
				refuse(c, 413, "Content Too Large", NULL, "a body "
				       "is %zu bytes at most", H.body_max);
				break;
			}
			blen = (size_t)l;
		}
		/* The endpoint, the names and the token, as soon as the head
		 * is here: nobody without the token makes the gateway hold a
		 * body. */
		if (!c->head_ok) {
			if (strcmp(path, "/mcp") != 0 &&
			    strncmp(path, "/mcp?", 5) != 0) {
				refuse(c, 404, "Not Found", NULL, "the endpoint is "
				       "/mcp");
				break;
			}
			if (local_names_ok(head, c) != 0)
				break;
			if (header(head, "Authorization", v, sizeof v) == NULL ||
			    strncmp(v, "Bearer ", 7) != 0 || strlen(v + 7) != 64 ||
			    sodium_memcmp(v + 7, H.token, 64) != 0) {
				refuse(c, 401, "Unauthorized",
				       "WWW-Authenticate: Bearer\r\n", "a bearer "
				       "token is required (the one ward mcp wrote "
				       "at start)");
				break;
			}
			c->head_ok = 1;
		}
		if (c->len < hlen + blen) {
			head[hlen - 2] = '\r';	/* read again when more comes */
			break;		/* the body is still coming */
		}
		body = c->in + hlen;
		/* Whatever the outcome, the request is then consumed. */
		c->head_ok = 0;
		if (strcmp(method, "POST") == 0) {
			char save = body[blen];

			body[blen] = '\0';	/* room: cap > len (below) */
			handle_post(c, head, body, blen);
			if (c->state != C_FREE && c->in != NULL)
				c->in[hlen + blen] = save;
		} else if (strcmp(method, "GET") == 0) {
			char sid[80];

			if (header(head, "Accept", v, sizeof v) == NULL ||
			    strstr(v, "text/event-stream") == NULL) {
				refuse(c, 406, "Not Acceptable", NULL, "GET opens "
				       "a text/event-stream");
			} else if (header(head, "Mcp-Session-Id", sid, sizeof sid)
				   == NULL || !H.have_session ||
				   strcmp(sid, H.session) != 0) {
				refuse(c, 404, "Not Found", NULL, "no such session");
			} else {
				sse_open(c, i, head);
			}
		} else if (strcmp(method, "DELETE") == 0) {
			char sid[80];

			if (header(head, "Mcp-Session-Id", sid, sizeof sid) == NULL ||
			    !H.have_session || strcmp(sid, H.session) != 0) {
				refuse(c, 404, "Not Found", NULL, "no such session");
			} else {
				reply(c, 200, "OK", NULL, NULL, NULL, 0);
				gw_client_gone();
			}
		} else {
			refuse(c, 405, "Method Not Allowed",
			       "Allow: GET, POST, DELETE\r\n", "use POST, GET or "
			       "DELETE on /mcp");
		}
		if (c->state == C_FREE)
			break;
		memmove(c->in, c->in + hlen + blen, c->len - hlen - blen);
		c->len -= hlen + blen;
		c->since = 0;
	}
	H.in_process = outer;
}

/* ---- the poll loop's side ---------------------------------------------------- */

int
http_pollfds(struct pollfd *pf, int *tags, int max)
{
	int n = 0, i, free_slot = 0;

	for (i = 0; i < HTTP_CONNS; i++) {
		struct conn *c = &H.c[i];

		if (c->fd < 0) {
			free_slot = 1;
			continue;
		}
		if (n == max)
			break;
		pf[n].fd = c->fd;
		pf[n].events = (short)((c->state == C_CLOSING ? 0 : POLLIN) |
				       (oq_pending(&c->q) > 0 ? POLLOUT : 0));
		tags[n++] = i;
	}
	if (H.lfd >= 0 && free_slot && n < max) {
		pf[n].fd = H.lfd;
		pf[n].events = POLLIN;
		tags[n++] = -1;
	}
	return n;
}

static void
accept_one(long now_ms)
{
	int fd = accept4(H.lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK), i;

	if (fd < 0)
		return;
	for (i = 0; i < HTTP_CONNS && H.c[i].fd >= 0; i++)
		;
	if (i == HTTP_CONNS) {
		close(fd);
		return;
	}
	memset(&H.c[i], 0, sizeof H.c[i]);
	H.c[i].fd = fd;
	H.c[i].state = C_HEAD;
	H.c[i].since = now_ms;
	H.c[i].last = now_ms;
	oq_init(&H.c[i].q, Q_CAP, Q_CAP + H.body_max + 4096);
}

void
http_event(int tag, short revents, long now_ms)
{
	struct conn *c;

	if (tag < 0) {
		accept_one(now_ms);
		return;
	}
	c = &H.c[tag];
	if ((revents & POLLOUT) && oq_flush(&c->q, c->fd) < 0)
		c->state = C_CLOSING;
	if ((revents & (POLLIN | POLLHUP | POLLERR)) && c->state != C_CLOSING) {
		size_t want = 65536;
		ssize_t n;

		if (c->cap - c->len < want + 1) {
			size_t nc = c->len + want + 1;
			char *nb;

			if (nc > HEAD_MAX + H.body_max + want + 1) {
				c->state = C_CLOSING;	/* pipelined past limits */
				goto done;
			}
			nb = realloc(c->in, nc);
			if (nb == NULL) {
				c->state = C_CLOSING;
				goto done;
			}
			c->in = nb;
			c->cap = nc;
		}
		n = read(c->fd, c->in + c->len, want);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
			conn_close(tag);
			return;
		}
		if (n > 0) {
			c->last = now_ms;
			if (c->len == 0 || c->since == 0)
				c->since = now_ms;
			c->len += (size_t)n;
			if (c->state == C_HEAD)
				process(tag);
		}
	}
done:
	if (c->state == C_CLOSING && oq_pending(&c->q) == 0)
		conn_close(tag);
}

void
http_emit(json_t *m)
{
	json_t *id = json_object_get(m, "id");
	char *s;
	int i;

	if (id != NULL && json_object_get(m, "method") == NULL) {
		/* A response: to the POST that waits for it, or nowhere. */
		for (i = 0; i < HTTP_CONNS; i++) {
			struct conn *c = &H.c[i];
			char extra[80] = "";

			if (c->state != C_WAIT || !json_equal(c->wait_id, id))
				continue;
			s = json_dumps(m, JSON_COMPACT | JSON_REAL_PRECISION(17));
			if (c->wait_init)
				snprintf(extra, sizeof extra, "Mcp-Session-Id: %s\r\n",
					 H.session);
			reply(c, 200, "OK", "application/json", extra, s,
			      s != NULL ? strlen(s) : 0);
			free(s);
			json_decref(c->wait_id);
			c->wait_id = NULL;
			if (c->state == C_WAIT)
				c->state = C_HEAD;
			if (H.in_process != i)
				process(i);	/* a request pipelined behind it */
			json_decref(m);
			return;
		}
		json_decref(m);	/* its POST went away */
		return;
	}
	s = json_dumps(m, JSON_COMPACT | JSON_REAL_PRECISION(17));
	json_decref(m);
	if (s != NULL)
		sse_event(s);
	free(s);
}

void
http_sweep(long now_ms)
{
	int i;

	for (i = 0; i < HTTP_CONNS; i++) {
		struct conn *c = &H.c[i];

		if (c->fd < 0)
			continue;
		if (c->state == C_HEAD && c->len > 0 && c->since != 0 &&
		    now_ms - c->since > REQ_MS)
			conn_close(i);	/* a request that never completes */
		else if (c->state == C_HEAD && c->len == 0 &&
			 now_ms - c->last > IDLE_MS)
			conn_close(i);	/* kept alive, then never used */
		else if (c->state == C_CLOSING && oq_pending(&c->q) == 0)
			conn_close(i);
	}
}

void
http_stop(void)
{
	int i;

	for (i = 0; i < HTTP_CONNS; i++)
		if (H.c[i].fd >= 0) {
			if (oq_drain(&H.c[i].q, H.c[i].fd, 1000) != 0)
				gw_note("http: a client did not read its last answer");
			conn_close(i);
		}
	if (H.lfd >= 0)
		close(H.lfd);
	H.lfd = -1;
	if (H.is_unix)
		(void)unlink(H.unix_path);
	while (H.nev > 0)
		sse_drop_oldest();
	free(H.ev);
	H.ev = NULL;
	sodium_memzero(H.token, sizeof H.token);
}
