/*
 * eg_parse.c -- the pure parts of ward-egress (egress.h): what an address
 * is, what the agent asked for, what name a TLS client says it wants, and
 * whether an approval is the core's, for this destination, now; and for
 * secrets, where the agent's placeholders are, the head the server gets
 * with their values, whether a sealed value is the one the core released
 * with this approval, and the scrubbing of the answer.  No I/O;
 * every input is hostile and every read is bounded by the length given.
 */
#include <ctype.h>
#include <stdio.h>
#include <strings.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sodium.h>

#include "ward.h"
#include "approve.h"
#include "codec.h"
#include "egress.h"

/* ---- addresses -------------------------------------------------------------- */

static int
class_v4(const uint8_t a[4])
{
	if (a[0] == 127)
		return EG_ADDR_LOOPBACK;
	if (a[0] == 10 || (a[0] == 172 && (a[1] & 0xf0) == 16) ||
	    (a[0] == 192 && a[1] == 168))
		return EG_ADDR_PRIVATE;
	if (a[0] == 169 && a[1] == 254)
		return EG_ADDR_LINKLOCAL;
	if (a[0] == 100 && (a[1] & 0xc0) == 64)
		return EG_ADDR_CGNAT;
	if ((a[0] & 0xf0) == 224)
		return EG_ADDR_MULTICAST;
	if (a[0] == 0)
		return EG_ADDR_UNSPECIFIED;
	if (a[0] == 255 && a[1] == 255 && a[2] == 255 && a[3] == 255)
		return EG_ADDR_BROADCAST;
	/* 240/4 (reserved), 192.0.0/24 (protocol assignments), 198.18/15
	 * (benchmarking): nothing an agent needs to reach. */
	if ((a[0] & 0xf0) == 240 || (a[0] == 192 && a[1] == 0 && a[2] == 0) ||
	    (a[0] == 198 && (a[1] & 0xfe) == 18))
		return EG_ADDR_RESERVED;
	return EG_ADDR_PUBLIC;
}

static int
class_v6(const uint8_t a[16])
{
	static const uint8_t zero[16];
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	static const uint8_t nat64[12] = { 0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0 };

	if (memcmp(a, zero, 16) == 0)
		return EG_ADDR_UNSPECIFIED;
	if (memcmp(a, zero, 15) == 0 && a[15] == 1)
		return EG_ADDR_LOOPBACK;
	/* v4 inside v6: the v4 address decides (::ffff:127.0.0.1 is
	 * loopback), and so for the deprecated ::a.b.c.d and NAT64. */
	if (memcmp(a, mapped, 12) == 0 || memcmp(a, zero, 12) == 0 ||
	    memcmp(a, nat64, 12) == 0)
		return class_v4(a + 12);
	if ((a[0] & 0xfe) == 0xfc)
		return EG_ADDR_PRIVATE;
	if (a[0] == 0xfe && (a[1] & 0xc0) == 0x80)
		return EG_ADDR_LINKLOCAL;
	if (a[0] == 0xfe && (a[1] & 0xc0) == 0xc0)
		return EG_ADDR_PRIVATE;		/* site-local, deprecated */
	if (a[0] == 0xff)
		return EG_ADDR_MULTICAST;
	/* 2002::/16 (6to4) embeds a v4 address: judge that one. */
	if (a[0] == 0x20 && a[1] == 0x02)
		return class_v4(a + 2);
	return EG_ADDR_PUBLIC;
}

int
eg_addr_class(const struct sockaddr *sa, size_t len)
{
	if (sa == NULL || len < sizeof(sa_family_t))
		return EG_ADDR_RESERVED;
	if (sa->sa_family == AF_INET && len >= sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *in = (const void *)sa;

		return class_v4((const uint8_t *)&in->sin_addr);
	}
	if (sa->sa_family == AF_INET6 && len >= sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *in6 = (const void *)sa;

		return class_v6((const uint8_t *)&in6->sin6_addr);
	}
	return EG_ADDR_RESERVED;
}

const char *
eg_addr_class_name(int c)
{
	static const char *const names[] = {
		"public", "loopback", "private", "link_local", "cgnat",
		"multicast", "unspecified", "broadcast", "reserved",
	};

	return c >= 0 && c <= EG_ADDR_RESERVED ? names[c] : "reserved";
}

int
eg_host_literal(const char *host, struct sockaddr_storage *sa, size_t *salen)
{
	char v6[INET6_ADDRSTRLEN + 2];
	size_t n;

	if (host == NULL || sa == NULL || salen == NULL)
		return 0;
	memset(sa, 0, sizeof *sa);
	n = strlen(host);
	if (n >= 2 && host[0] == '[' && host[n - 1] == ']' && n - 2 < sizeof v6) {
		struct sockaddr_in6 *in6 = (void *)sa;

		memcpy(v6, host + 1, n - 2);
		v6[n - 2] = '\0';
		if (inet_pton(AF_INET6, v6, &in6->sin6_addr) != 1)
			return 0;
		in6->sin6_family = AF_INET6;
		*salen = sizeof *in6;
		return 1;
	}
	{
		struct sockaddr_in *in = (void *)sa;

		/* inet_pton takes dotted quads only (no "127.1", no octal). */
		if (inet_pton(AF_INET, host, &in->sin_addr) != 1)
			return 0;
		in->sin_family = AF_INET;
		*salen = sizeof *in;
		return 1;
	}
}

/* ---- the request -------------------------------------------------------------- */

/* host:port into r (host lower case); 0 or -1. */
static int
parse_hostport(const char *s, size_t n, unsigned dflt_port, struct eg_req *r)
{
	size_t hl, i;
	unsigned long port = 0;
	const char *colon = NULL;

	if (n == 0)
		return -1;
	if (s[0] == '[') {
		const char *close = memchr(s, ']', n);

		if (close == NULL)
			return -1;
		hl = (size_t)(close - s) + 1;
		if (hl < n && s[hl] != ':')
			return -1;
		if (hl < n)
			colon = s + hl;
		for (i = 1; i + 1 < hl; i++)
			if (!isxdigit((unsigned char)s[i]) && s[i] != ':' &&
			    s[i] != '.')
				return -1;
	} else {
		for (i = 0; i < n && s[i] != ':'; i++)
			if (!isalnum((unsigned char)s[i]) && s[i] != '.' &&
			    s[i] != '-')
				return -1;
		hl = i;
		if (i < n)
			colon = s + i;
	}
	if (hl == 0 || hl > EG_HOST_MAX)
		return -1;
	if (colon != NULL) {
		const char *d = colon + 1, *end = s + n;

		if (d == end || *d == '0' || end - d > 5)
			return -1;
		for (; d < end; d++) {
			if (*d < '0' || *d > '9')
				return -1;
			port = port * 10 + (unsigned long)(*d - '0');
		}
	} else {
		port = dflt_port;
	}
	if (port < 1 || port > 65535)
		return -1;
	for (i = 0; i < hl; i++)
		r->host[i] = (char)tolower((unsigned char)s[i]);
	r->host[hl] = '\0';
	r->port = (unsigned)port;
	snprintf(r->dest, sizeof r->dest, "%s:%u", r->host, r->port);
	return 0;
}

static const char *const methods[] = {
	"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS",
};

int
eg_parse_request(const char *buf, size_t len, struct eg_req *r, const char **why)
{
	const char *end, *sp1, *sp2, *eol, *target, *ver;
	const char *dummy;
	size_t i, ml, tl;

	if (why == NULL)
		why = &dummy;
	*why = "malformed request";
	if (r == NULL || (buf == NULL && len > 0))
		return -1;
	memset(r, 0, sizeof *r);
	if (len > EG_HEAD_MAX)
		len = EG_HEAD_MAX;
	end = NULL;
	for (i = 0; i + 3 < len; i++)
		if (memcmp(buf + i, "\r\n\r\n", 4) == 0) {
			end = buf + i + 4;
			break;
		}
	if (end == NULL) {
		if (len >= EG_HEAD_MAX) {
			*why = "request head too long";
			return -1;
		}
		/* Fail early on a first line that is not a request. */
		for (i = 0; i < len; i++)
			if (buf[i] == '\0' || (unsigned char)buf[i] >= 0x80) {
				*why = "not a text request";
				return -1;
			}
		return 1;
	}
	r->head_len = (size_t)(end - buf);
	eol = memchr(buf, '\r', r->head_len);
	if (eol == NULL || eol[1] != '\n')
		return -1;
	sp1 = memchr(buf, ' ', (size_t)(eol - buf));
	if (sp1 == NULL)
		return -1;
	target = sp1 + 1;
	sp2 = memchr(target, ' ', (size_t)(eol - target));
	if (sp2 == NULL)
		return -1;
	ver = sp2 + 1;
	if ((size_t)(eol - ver) != 8 || (memcmp(ver, "HTTP/1.1", 8) != 0 &&
					 memcmp(ver, "HTTP/1.0", 8) != 0)) {
		*why = "not HTTP/1.x";
		return -1;
	}
	ml = (size_t)(sp1 - buf);
	tl = (size_t)(sp2 - target);
	if (tl == 0)
		return -1;
	for (i = 0; i < tl; i++)
		if ((unsigned char)target[i] <= 0x20 || (unsigned char)target[i] >= 0x7f)
			return -1;
	if (ml == 7 && memcmp(buf, "CONNECT", 7) == 0) {
		r->is_connect = 1;
		/* CONNECT names the port: there is no default to guess. */
		if (memchr(target, ':', tl) == NULL || target[tl - 1] == ']' ||
		    parse_hostport(target, tl, 0, r) != 0) {
			*why = "CONNECT needs host:port";
			return -1;
		}
		return 0;
	}
	for (i = 0; i < sizeof methods / sizeof methods[0]; i++)
		if (strlen(methods[i]) == ml && memcmp(buf, methods[i], ml) == 0)
			break;
	if (i == sizeof methods / sizeof methods[0]) {
		*why = "method not served";
		return -1;
	}
	if (tl < 8 || strncasecmp(target, "http://", 7) != 0) {
		*why = "a proxy request needs an absolute http:// URI (or CONNECT)";
		return -1;
	}
	{
		const char *auth = target + 7, *tend = target + tl;
		const char *path = auth;
		size_t al;

		while (path < tend && *path != '/' && *path != '?' && *path != '#')
			path++;
		al = (size_t)(path - auth);
		/* No user:password@ (it would hide the host from a reader). */
		if (memchr(auth, '@', al) != NULL || parse_hostport(auth, al, 80, r) != 0) {
			*why = "bad host in the URI";
			return -1;
		}
		if (path < tend && *path == '#')
			return -1;
		if ((size_t)snprintf(r->line, sizeof r->line, "%.*s %s%.*s HTTP/1.%c",
				     (int)ml, buf, path < tend && *path == '/' ? "" : "/",
				     (int)(tend - path), path, ver[7]) >= sizeof r->line)
			return -1;
	}
	return 0;
}

/* ---- TLS ClientHello ------------------------------------------------------------- */

int
eg_sni(const uint8_t *p, size_t n, char *out, size_t cap)
{
	size_t rl, hl, off, end, l, ext_end;

	if (out == NULL || cap == 0)
		return -1;
	out[0] = '\0';
	if (p == NULL || n == 0)
		return 1;
	if (p[0] != 0x16)
		return 2;	/* not a handshake record: not TLS */
	if (n < 5)
		return 1;
	if (p[1] != 3)
		return -1;
	rl = ((size_t)p[3] << 8) | p[4];
	if (rl < 4 || rl > 16384)
		return -1;
	if (n < 5 + rl)
		return 1;
	p += 5;			/* within the one record: p[0..rl) */
	if (p[0] != 1)
		return -1;	/* not a ClientHello */
	hl = ((size_t)p[1] << 16) | ((size_t)p[2] << 8) | p[3];
	if (hl > rl - 4)
		return -1;	/* a ClientHello over several records */
	end = 4 + hl;
	off = 4 + 2 + 32;	/* version, random */
	if (off + 1 > end)
		return -1;
	off += 1 + p[off];	/* session id */
	if (off + 2 > end)
		return -1;
	off += 2 + (((size_t)p[off] << 8) | p[off + 1]);	/* cipher suites */
	if (off + 1 > end)
		return -1;
	off += 1 + p[off];	/* compression methods */
	if (off == end)
		return 3;	/* no extensions */
	if (off + 2 > end)
		return -1;
	ext_end = off + 2 + (((size_t)p[off] << 8) | p[off + 1]);
	if (ext_end > end)
		return -1;
	off += 2;
	while (off + 4 <= ext_end) {
		unsigned type = ((unsigned)p[off] << 8) | p[off + 1];

		l = ((size_t)p[off + 2] << 8) | p[off + 3];
		off += 4;
		if (off + l > ext_end)
			return -1;
		if (type == 0) {
			size_t lo = off, le = off + l, nl, i;

			if (lo + 2 > le || lo + 2 + (((size_t)p[lo] << 8) | p[lo + 1]) != le)
				return -1;
			lo += 2;
			/* The first host_name entry; a list of several is
			 * refused (RFC 6066 allows one name a type). */
			if (lo + 3 > le || p[lo] != 0)
				return -1;
			nl = ((size_t)p[lo + 1] << 8) | p[lo + 2];
			lo += 3;
			if (nl == 0 || lo + nl != le || nl >= cap)
				return -1;
			for (i = 0; i < nl; i++) {
				uint8_t c = p[lo + i];

				if (!isalnum(c) && c != '.' && c != '-')
					return -1;
				out[i] = (char)tolower(c);
			}
			out[nl] = '\0';
			return 0;
		}
		off += l;
	}
	if (off != ext_end)
		return -1;
	return 3;
}

/* ---- the approval ------------------------------------------------------------------ */

int
eg_approval_check(const uint8_t *msg, size_t len, const uint8_t sig[64],
		  const uint8_t core_pk[32], const uint8_t ctx[16],
		  unsigned op, const char *res, const uint8_t digest[32],
		  uint64_t now, struct eg_seen *seen, const char **why)
{
	uint8_t buf[16 + WARD_APR_MAX];
	size_t rl;
	uint64_t seq;
	const char *dummy;

	if (why == NULL)
		why = &dummy;
	*why = "malformed approval";
	if (msg == NULL || sig == NULL || core_pk == NULL || ctx == NULL ||
	    res == NULL || digest == NULL || seen == NULL)
		return -1;
	rl = strlen(res);
	if (rl == 0 || rl > WARD_SCOPE_MAX || len != WARD_APR_OFF_RES + rl)
		return -1;
	memcpy(buf, "ward.v1.approval", 16);
	memcpy(buf + 16, msg, len);
	if (crypto_sign_verify_detached(sig, buf, 16 + len, core_pk) != 0) {
		*why = "signature does not verify under the core's key";
		return -1;
	}
	if (op > 0xff || msg[WARD_APR_OFF_OP] != op) {
		*why = op == WARD_OP_SECRET_USE ? "not a secret.use approval" :
		       "not a net.connect approval";
		return -1;
	}
	if (ward_get_be16(msg + WARD_APR_OFF_RLEN) != rl ||
	    memcmp(msg + WARD_APR_OFF_RES, res, rl) != 0) {
		*why = "approval for another destination";
		return -1;
	}
	if (sodium_memcmp(msg + WARD_APR_OFF_CONTEXT, ctx, WARD_CTX_BYTES) != 0) {
		*why = "approval for another context";
		return -1;
	}
	if (sodium_memcmp(msg + WARD_APR_OFF_DIGEST, digest, 32) != 0) {
		*why = "approval for another request (replayed)";
		return -1;
	}
	if (ward_get_be64(msg + WARD_APR_OFF_EXPIRY) < now) {
		*why = "approval expired";
		return -1;
	}
	seq = ward_get_be64(msg + WARD_APR_OFF_SEQ);
	if (seq > seen->max) {
		uint64_t shift = seq - seen->max;

		/* The old max becomes bit shift - 1. */
		seen->bits = shift > 64 ? 0 : shift == 64 ? 1ULL << 63 :
			     (seen->bits << shift) | (1ULL << (shift - 1));
		if (seen->max == 0)
			seen->bits = 0;	/* nothing was seen yet */
		seen->max = seq;
		return 0;
	}
	if (seq == seen->max || seen->max - seq > 64 ||
	    (seen->bits >> (seen->max - seq - 1)) & 1) {
		*why = "approval sequence number already seen or too old (replayed)";
		return -1;
	}
	seen->bits |= 1ULL << (seen->max - seq - 1);
	return 0;
}

/* ---- secrets ------------------------------------------------------------------------ */

static int
name_byte(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9') || c == '_';
}

/* A header name byte (RFC 9110 token). */
static int
token_byte(unsigned char c)
{
	return c > 0x20 && c < 0x7f && strchr("\"(),/:;<=>?@[\\]{}", c) == NULL;
}

#define PH_LEN (sizeof EG_PH_PREFIX - 1)

/* Where the next placeholder starts in p[0..n), or NULL. */
static const char *
ph_find(const char *p, size_t n)
{
	return n < PH_LEN ? NULL : memmem(p, n, EG_PH_PREFIX, PH_LEN);
}

/* The NAME after a placeholder's prefix at p[0..n): its length, 0 when
 * there is none or it is longer than EG_NAME_MAX. */
static size_t
ph_name(const char *p, size_t n)
{
	size_t k = 0;

	while (k < n && name_byte((unsigned char)p[k]))
		k++;
	return k <= EG_NAME_MAX ? k : 0;
}

/* Header names a rewritten head drops: it puts its own Host (the one the
 * approval names: a shared front end routes by it), Connection and
 * Accept-Encoding; and Range, If-Range, Upgrade, TE, Keep-Alive. */
/* Header name p[0..n) is w (lower case), compared as a lenient server
 * would: case and '_' for '-' alike (CGI-style servers read
 * Accept_Encoding as Accept-Encoding). */
static int
hname_is(const char *p, size_t n, const char *w)
{
	size_t k;

	if (strlen(w) != n)
		return 0;
	for (k = 0; k < n; k++) {
		char c = (char)tolower((unsigned char)p[k]);

		if ((c == '_' ? '-' : c) != w[k])
			return 0;
	}
	return 1;
}

static int
hop_header(const char *p, size_t n)
{
	/* Range and If-Range too: an answer cut to the agent's choosing
	 * would carry pieces of a value the scrubber cannot recognise. */
	static const char *const drop[] = {
		"host", "connection", "proxy-connection", "keep-alive", "te",
		"accept-encoding", "upgrade", "range", "if-range",
	};
	size_t i;

	for (i = 0; i < sizeof drop / sizeof drop[0]; i++)
		if (hname_is(p, n, drop[i]))
			return 1;
	return 0;
}

int
eg_placeholders(const char *head, size_t len, struct eg_secret *out, size_t cap,
		size_t *n, const char **why)
{
	const char *dummy, *line, *end, *eol, *colon, *q;
	size_t i;

	if (why == NULL)
		why = &dummy;
	*why = "malformed request head";
	if (n == NULL || (head == NULL && len > 0) || (out == NULL && cap > 0))
		return -1;
	*n = 0;
	if (cap > EG_PH_MAX)
		cap = EG_PH_MAX;
	if (head == NULL || ph_find(head, len) == NULL)
		return 0;	/* nothing to substitute: the head as it was */
	/* A head with a placeholder is read line by line as the server will
	 * read it: no control byte but CR LF at the ends of lines (and
	 * tabs), so no line ward-egress does not see. */
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)head[i];

		if ((c < 0x20 && c != '\t' && c != '\r' && c != '\n') || c == 0x7f ||
		    (c == '\r' && (i + 1 >= len || head[i + 1] != '\n')) ||
		    (c == '\n' && (i == 0 || head[i - 1] != '\r'))) {
			*why = "a request carrying a secret placeholder has a control "
			       "byte or a bare CR or LF in its head";
			return -1;
		}
	}
	end = head + len;
	eol = memmem(head, len, "\r\n", 2);
	if (eol == NULL)
		return -1;
	if (ph_find(head, (size_t)(eol - head)) != NULL) {
		*why = "secret placeholder in the request line (the URL): a "
		       "placeholder is substituted in a bound header's value only";
		return -1;
	}
	for (line = eol + 2; line < end; line = eol + 2) {
		size_t hl, k;
		char hname[EG_HNAME_MAX + 1];

		eol = memmem(line, (size_t)(end - line), "\r\n", 2);
		if (eol == NULL)
			return -1;
		if (eol == line)
			break;		/* the blank line */
		if (line[0] == ' ' || line[0] == '\t') {
			/* obs-fold: the server would join it to the line
			 * before, which the rewrite may drop. */
			*why = "a request carrying a secret placeholder has a folded "
			       "header line";
			return -1;
		}
		q = ph_find(line, (size_t)(eol - line));
		if (q == NULL)
			continue;
		colon = memchr(line, ':', (size_t)(eol - line));
		if (line[0] == ' ' || line[0] == '\t' || colon == NULL) {
			*why = "secret placeholder in a folded header line or one "
			       "without a colon";
			return -1;
		}
		if (q < colon) {
			*why = "secret placeholder in a header name: a placeholder "
			       "is substituted in a bound header's value only";
			return -1;
		}
		hl = (size_t)(colon - line);
		if (hl == 0 || hl > EG_HNAME_MAX) {
			*why = "header name empty or too long for a secret";
			return -1;
		}
		for (k = 0; k < hl; k++) {
			if (!token_byte((unsigned char)line[k])) {
				*why = "bad header name";
				return -1;
			}
			hname[k] = (char)tolower((unsigned char)line[k]);
		}
		hname[hl] = '\0';
		if (hop_header(line, hl)) {
			*why = "secret placeholder in a header ward-egress replaces "
			       "(Host, Connection, Accept-Encoding, ...)";
			return -1;
		}
		while (q != NULL) {
			const char *nm = q + PH_LEN;
			size_t nl = ph_name(nm, (size_t)(eol - nm)), j;

			if (nl == 0) {
				*why = "secret placeholder without a NAME of 1 to 64 "
				       "letters, digits or '_'";
				return -1;
			}
			for (j = 0; j < *n; j++)
				if (strcmp(out[j].header, hname) == 0 &&
				    strlen(out[j].name) == nl &&
				    memcmp(out[j].name, nm, nl) == 0)
					break;
			if (j == *n) {
				if (*n >= cap) {
					*why = "more than 4 secret placeholders "
					       "(name, header) in one request";
					*n = 0;
					return -1;
				}
				memset(&out[j], 0, sizeof out[j]);
				memcpy(out[j].name, nm, nl);
				out[j].name[nl] = '\0';
				memcpy(out[j].header, hname, hl + 1);
				(*n)++;
			}
			q = ph_find(nm + nl, (size_t)(eol - (nm + nl)));
		}
	}
	return 0;
}

struct sink {
	char *p;
	size_t cap, len;
	int full;
};

static void
put(struct sink *o, const void *b, size_t n)
{
	if (o->full || n > o->cap - o->len) {
		o->full = 1;
		return;
	}
	memcpy(o->p + o->len, b, n);
	o->len += n;
}

int
eg_rewrite_head(const char *head, size_t len, const char *line, const char *host,
		const struct eg_secret *s, size_t n, char *out, size_t cap, size_t *outlen,
		const char **why)
{
	static const char tail[] = "Connection: close\r\nAccept-Encoding: identity\r\n\r\n";
	struct eg_secret chk[EG_PH_MAX];
	struct sink o = { out, cap, 0, 0 };
	const char *dummy, *l, *end, *eol;
	size_t found = 0, i;
	int rc = -1;

	if (why == NULL)
		why = &dummy;
	*why = "malformed request head";
	if (outlen != NULL)
		*outlen = 0;
	if (head == NULL || line == NULL || host == NULL || out == NULL || outlen == NULL ||
	    (s == NULL && n > 0) || n > EG_PH_MAX)
		return -1;
	/* The same scan as eg_placeholders, and every pair it finds among s
	 * with a value. */
	if (eg_placeholders(head, len, chk, EG_PH_MAX, &found, why) != 0)
		goto out;
	for (i = 0; i < found; i++) {
		size_t j;

		for (j = 0; j < n; j++)
			if (strcmp(chk[i].name, s[j].name) == 0 &&
			    strcmp(chk[i].header, s[j].header) == 0 && s[j].vlen > 0)
				break;
		if (j == n) {
			*why = "a secret placeholder has no value";
			goto out;
		}
	}
	put(&o, line, strlen(line));
	put(&o, "\r\nHost: ", 8);
	put(&o, host, strlen(host));
	put(&o, "\r\n", 2);
	end = head + len;
	eol = memmem(head, len, "\r\n", 2);
	if (eol == NULL)
		goto out;
	for (l = eol + 2; l < end; l = eol + 2) {
		const char *colon, *p, *q;
		size_t hl;

		eol = memmem(l, (size_t)(end - l), "\r\n", 2);
		if (eol == NULL)
			goto out;
		if (eol == l)
			break;
		colon = memchr(l, ':', (size_t)(eol - l));
		hl = colon != NULL ? (size_t)(colon - l) : 0;
		/* A request carrying a secret: every line a header field as
		 * the standard writes it, name ":" value, the name a token (no
		 * "Host : x" for a lenient server to read as Host). */
		for (i = 0; i < hl && token_byte((unsigned char)l[i]); i++)
			;
		if (colon == NULL || hl == 0 || i < hl) {
			*why = "a request carrying a secret placeholder has a header "
			       "line that is not NAME: VALUE (a name of token "
			       "characters, no space before the colon)";
			goto out;
		}
		if (hname_is(l, hl, "transfer-encoding")) {
			/* Dropped, the body would read as another request. */
			*why = "a request carrying a secret placeholder must give its "
			       "body's length (Content-Length), not Transfer-Encoding";
			goto out;
		}
		if (hop_header(l, hl))
			continue;
		p = l;
		q = ph_find(p, (size_t)(eol - p));
		while (q != NULL) {
			const char *nm = q + PH_LEN;
			size_t nl = ph_name(nm, (size_t)(eol - nm)), j;

			for (j = 0; j < n; j++)
				if (strlen(s[j].name) == nl && memcmp(s[j].name, nm, nl) == 0 &&
				    strlen(s[j].header) == hl &&
				    strncasecmp(s[j].header, l, hl) == 0)
					break;
			if (j == n || nl == 0)
				goto out;	/* eg_placeholders saw to it */
			put(&o, p, (size_t)(q - p));
			put(&o, s[j].val, s[j].vlen);
			p = nm + nl;
			q = ph_find(p, (size_t)(eol - p));
		}
		put(&o, p, (size_t)(eol + 2 - p));
	}
	put(&o, tail, sizeof tail - 1);
	if (o.full) {
		*why = "request head too long with its secrets";
		goto out;
	}
	*outlen = o.len;
	rc = 0;
out:
	sodium_memzero(chk, sizeof chk);
	if (rc != 0 && out != NULL)
		sodium_memzero(out, o.len);
	return rc;
}

int
eg_sealed_open(const uint8_t *sealed, size_t n, const uint8_t pk[32], const uint8_t sk[32],
	       const uint8_t *apr, size_t apr_len, uint8_t *val, size_t cap, size_t *vlen,
	       const char **why)
{
	uint8_t plain[EG_SEAL_HASH + EG_SECRET_MAX], h[EG_SEAL_HASH];
	const char *dummy;
	size_t pl, i;
	int rc = -1;

	if (why == NULL)
		why = &dummy;
	*why = "malformed sealed value";
	if (vlen != NULL)
		*vlen = 0;
	if (sealed == NULL || pk == NULL || sk == NULL || apr == NULL || val == NULL ||
	    vlen == NULL || apr_len == 0)
		return -1;
	if (cap > EG_SECRET_MAX)
		cap = EG_SECRET_MAX;
	if (n < crypto_box_SEALBYTES + EG_SEAL_HASH + 1 ||
	    n > crypto_box_SEALBYTES + EG_SEAL_HASH + cap) {
		*why = "sealed value of a bad length";
		return -1;
	}
	pl = n - crypto_box_SEALBYTES;
	if (crypto_box_seal_open(plain, sealed, n, pk, sk) != 0) {
		*why = "the sealed value does not open with ward-egress's key";
		goto out;
	}
	crypto_generichash(h, sizeof h, apr, apr_len, NULL, 0);
	if (sodium_memcmp(h, plain, EG_SEAL_HASH) != 0) {
		*why = "the sealed value was released with another approval";
		goto out;
	}
	for (i = EG_SEAL_HASH; i < pl; i++)
		if (plain[i] < 0x20 || plain[i] == 0x7f) {
			*why = "the secret's value has a control byte (it goes in "
			       "a header)";
			goto out;
		}
	memcpy(val, plain + EG_SEAL_HASH, pl - EG_SEAL_HASH);
	*vlen = pl - EG_SEAL_HASH;
	rc = 0;
out:
	sodium_memzero(plain, sizeof plain);
	return rc;
}

void
eg_scrub_init(struct eg_scrub *z, const struct eg_secret *s, size_t n)
{
	if (z == NULL)
		return;
	memset(z, 0, sizeof *z);
	z->s = n > 0 && n <= EG_PH_MAX ? s : NULL;
	z->n = z->s != NULL ? n : 0;
}

size_t
eg_scrub(struct eg_scrub *z, const uint8_t *in, size_t len, int final, uint8_t *out,
	 size_t cap)
{
	size_t total, i, hold, k;

	if (z == NULL || out == NULL || (in == NULL && len > 0) ||
	    z->tlen > sizeof z->tail || cap < z->tlen || len > cap - z->tlen)
		return (size_t)-1;
	memcpy(out, z->tail, z->tlen);
	if (len > 0)
		memcpy(out + z->tlen, in, len);
	total = z->tlen + len;
	sodium_memzero(z->tail, z->tlen);
	z->tlen = 0;
	hold = total;
	for (i = 0; i < total;) {
		size_t best = 0, rem = total - i;
		int partial = 0;

		for (k = 0; k < z->n; k++) {
			size_t vl = z->s[k].vlen;

			if (vl == 0 || vl > EG_SECRET_MAX)
				continue;
			if (rem >= vl) {
				if (vl > best && memcmp(out + i, z->s[k].val, vl) == 0)
					best = vl;
			} else if (!final && memcmp(out + i, z->s[k].val, rem) == 0) {
				partial = 1;
			}
		}
		if (partial) {
			/* Could be the start of a value: wait for more. */
			hold = i;
			break;
		}
		if (best > 0) {
			memset(out + i, '*', best);
			i += best;
		} else {
			i++;
		}
	}
	/* rem < a value's length <= EG_SECRET_MAX: it fits the tail. */
	z->tlen = total - hold;
	memcpy(z->tail, out + hold, z->tlen);
	sodium_memzero(out + hold, z->tlen);
	return hold;
}

/* ---- interception (docs/egress.md, "Interception") ------------------------------ */

int
eg_bound_has(const char *list, const char *dest)
{
	size_t dl;
	const char *p;

	if (list == NULL || dest == NULL || (dl = strlen(dest)) == 0)
		return 0;
	for (p = list; *p != '\0';) {
		size_t tl;

		while (*p == ' ')
			p++;
		tl = strcspn(p, " ");
		if (tl == dl && strncasecmp(p, dest, dl) == 0)
			return 1;
		p += tl;
	}
	return 0;
}

int
eg_origin_head(const char *in, size_t len, const char *dest, char *out, size_t cap,
	       size_t *outlen, const char **why)
{
	const char *dummy, *eol, *sp1;
	size_t dl, ml;
	int n;

	if (why == NULL)
		why = &dummy;
	*why = "malformed request head";
	if (outlen != NULL)
		*outlen = 0;
	if (in == NULL || dest == NULL || out == NULL || outlen == NULL || cap == 0)
		return -1;
	dl = strlen(dest);
	if (dl == 0 || dl > EG_DEST_MAX)
		return -1;
	if (memmem(in, len, "\r\n\r\n", 4) == NULL) {
		if (len + 7 + dl < EG_HEAD_MAX && len + 7 + dl < cap)
			return 1;
		*why = "request head too long";
		return -1;
	}
	eol = memmem(in, len, "\r\n", 2);
	sp1 = memchr(in, ' ', (size_t)(eol - in));
	if (sp1 == NULL || sp1 == in || sp1 + 1 >= eol || sp1[1] != '/') {
		*why = "a request inside an intercepted tunnel needs an origin-form "
		       "target (/path)";
		return -1;
	}
	ml = (size_t)(sp1 - in);
	if (len + 7 + dl >= cap || len + 7 + dl >= EG_HEAD_MAX) {
		*why = "request head too long";
		return -1;
	}
	n = snprintf(out, cap, "%.*s http://%s", (int)ml, in, dest);
	if (n < 0 || (size_t)n != ml + 8 + dl)
		return -1;
	memcpy(out + n, sp1 + 1, len - ml - 1);
	*outlen = (size_t)n + len - ml - 1;
	return 0;
}
