/*
 * ward_call_llm.c -- 'ward-call llm', the request of the built-in tool
 * llm.complete (broker.c, t_llm), run by the broker in a fresh sandbox of
 * the transaction: the request (url, header, value, body, version) comes
 * on fd 3; it goes out as one HTTP/1.0 POST through the egress proxy
 * ($HTTP_PROXY), with the key's placeholder in the API's header, for
 * ward-egress to replace after its own approval; the answer goes to stdout
 * as {"status": N, "body": "..."}.  It never sees a key.  Untrusted like
 * the agent; the broker believes only the token counts it reads back,
 * and only to stop early (the budget).
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <jansson.h>

#include "ward_call_llm.h"

#define REQ_MAX (4u << 20)
#define ANS_MAX (16u << 20)
#define WAIT_S 300

static int __attribute__((format(printf, 1, 2)))
fail(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "ward-call llm: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	return 1;
}

/* The proxy's address from http://A.B.C.D:PORT. */
static int
proxy_addr(struct sockaddr_in *sa)
{
	const char *p = getenv("HTTP_PROXY");
	char host[64];
	const char *c;
	size_t hl;

	if (p == NULL || strncmp(p, "http://", 7) != 0)
		return -1;
	p += 7;
	c = strrchr(p, ':');
	if (c == NULL || (hl = (size_t)(c - p)) >= sizeof host)
		return -1;
	memcpy(host, p, hl);
	host[hl] = '\0';
	memset(sa, 0, sizeof *sa);
	sa->sin_family = AF_INET;
	sa->sin_port = htons((uint16_t)atoi(c + 1));
	return inet_pton(AF_INET, host, &sa->sin_addr) == 1 ? 0 : -1;
}

static int
write_all(int fd, const char *b, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, b, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		b += w;
		n -= (size_t)w;
	}
	return 0;
}

/* A chunked body decoded in place; its new length, or -1. */
static long
dechunk(char *b, size_t n)
{
	size_t r = 0, w = 0;

	for (;;) {
		char *end;
		unsigned long sz = strtoul(b + r, &end, 16);

		if (end == b + r)
			return -1;
		while ((size_t)(end - b) < n && *end != '\n')
			end++;
		if ((size_t)(end - b) >= n)
			return -1;
		r = (size_t)(end - b) + 1;
		if (sz == 0)
			return (long)w;
		if (sz > n - r)
			return -1;
		memmove(b + w, b + r, sz);
		w += sz;
		r += sz;
		if (r + 2 > n || b[r] != '\r' || b[r + 1] != '\n')
			return -1;
		r += 2;
	}
}

int
call_llm(void)
{
	static char req[REQ_MAX + 1];
	struct sockaddr_in sa;
	json_t *q, *out;
	const char *url, *hdr, *val, *ver, *host, *path;
	char *body, *head, *ans = NULL, *sep, *dump;
	size_t rl = 0, al = 0, hlen;
	ssize_t n;
	time_t until = time(NULL) + WAIT_S;
	int s, status = 0;

	while ((n = read(3, req + rl, REQ_MAX - rl)) > 0)
		rl += (size_t)n;
	if (n < 0 || rl == 0 || rl == REQ_MAX)
		return fail("no request on fd 3 (%s)", "started by the broker only");
	req[rl] = '\0';
	q = json_loads(req, 0, NULL);
	url = q != NULL ? json_string_value(json_object_get(q, "url")) : NULL;
	hdr = q != NULL ? json_string_value(json_object_get(q, "header")) : NULL;
	val = q != NULL ? json_string_value(json_object_get(q, "value")) : NULL;
	ver = q != NULL ? json_string_value(json_object_get(q, "version")) : NULL;
	if (url == NULL || hdr == NULL || val == NULL ||
	    strncmp(url, "http://", 7) != 0 ||
	    json_object_get(q, "body") == NULL)
		return fail("malformed request%s", "");
	host = url + 7;
	path = strchr(host, '/');
	if (path == NULL)
		return fail("malformed url %s", url);
	body = json_dumps(json_object_get(q, "body"), JSON_COMPACT);
	if (body == NULL || proxy_addr(&sa) != 0)
		return fail("no egress proxy in HTTP_PROXY%s", "");
	hlen = strlen(url) + strlen(hdr) + strlen(val) + 400 +
	       (size_t)(path - host) + (ver != NULL ? strlen(ver) : 0);
	head = malloc(hlen);
	if (head == NULL)
		return fail("out of memory%s", "");
	snprintf(head, hlen, "POST %s HTTP/1.0\r\nHost: %.*s\r\n"
		 "Content-Type: application/json\r\nContent-Length: %zu\r\n"
		 "%s: %s\r\n%s%s%sAccept-Encoding: identity\r\n"
		 "Connection: close\r\n\r\n", url, (int)(path - host), host,
		 strlen(body), hdr, val, ver != NULL ? "anthropic-version: " : "",
		 ver != NULL ? ver : "", ver != NULL ? "\r\n" : "");
	s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0 || connect(s, (struct sockaddr *)&sa, sizeof sa) != 0)
		return fail("cannot reach the egress proxy: %s", strerror(errno));
	if (write_all(s, head, strlen(head)) != 0 ||
	    write_all(s, body, strlen(body)) != 0)
		return fail("the proxy closed the connection: %s", strerror(errno));
	for (;;) {
		struct pollfd p = { s, POLLIN, 0 };
		char *nb;

		if (time(NULL) > until)
			return fail("no answer within %d s", WAIT_S);
		if (poll(&p, 1, 1000) <= 0)
			continue;
		nb = al + 65536 <= ANS_MAX ? realloc(ans, al + 65536 + 1) : NULL;
		if (nb == NULL)
			return fail("the answer is longer than 16 MiB");
		ans = nb;
		n = read(s, ans + al, 65536);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		al += (size_t)n;
	}
	close(s);
	if (ans == NULL || al < 12 || sscanf(ans, "HTTP/1.%*c %d", &status) != 1)
		return fail("not an HTTP answer%s", "");
	ans[al] = '\0';
	sep = strstr(ans, "\r\n\r\n");
	if (sep == NULL)
		return fail("an answer without a body%s", "");
	*sep = '\0';
	sep += 4;
	al -= (size_t)(sep - ans);
	{
		/* Header names are case-insensitive. */
		char *h;

		for (h = ans; *h; h++)
			if (*h >= 'A' && *h <= 'Z')
				*h = (char)(*h - 'A' + 'a');
		if (strstr(ans, "\ntransfer-encoding: chunked") != NULL) {
			long dl = dechunk(sep, al);

			if (dl < 0)
				return fail("a malformed chunked answer%s", "");
			al = (size_t)dl;
		}
	}
	out = json_pack("{s:i, s:s%}", "status", status, "body", sep, al);
	dump = out != NULL ? json_dumps(out, JSON_COMPACT) : NULL;
	if (dump == NULL)
		return fail("the answer is not text (%s)", "UTF-8");
	printf("%s\n", dump);
	return fflush(stdout) == 0 ? 0 : 1;
}
