/*
 * test_egress.c -- the pure parts of ward-egress (egress/eg_parse.c), each
 * test an attack on the proxy: a destination that points back inside
 * (SSRF, in v4, v6 and v4-in-v6 spellings), a request line built to
 * confuse the parser, a ClientHello that lies about its lengths or names
 * another host, and an approval the broker forged, altered or replayed;
 * for secrets, a placeholder where it must not be, a sealed value for
 * another approval or key, and a value split across reads of the answer.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sodium.h>

#include "t.h"
#include "ward.h"
#include "approve.h"
#include "egress.h"

static int
cls(const char *a)
{
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof ss);
	if (strchr(a, ':') != NULL) {
		struct sockaddr_in6 *in6 = (void *)&ss;
		in6->sin6_family = AF_INET6;
		if (inet_pton(AF_INET6, a, &in6->sin6_addr) != 1)
			return -2;
		return eg_addr_class((struct sockaddr *)in6, sizeof *in6);
	}
	struct sockaddr_in *in = (void *)&ss;
	in->sin_family = AF_INET;
	if (inet_pton(AF_INET, a, &in->sin_addr) != 1)
		return -2;
	return eg_addr_class((struct sockaddr *)in, sizeof *in);
}

static const struct { const char *a; int c; } addrs[] = {
	{ "127.0.0.1", EG_ADDR_LOOPBACK }, { "127.255.255.254", EG_ADDR_LOOPBACK },
	{ "10.0.0.1", EG_ADDR_PRIVATE }, { "172.16.0.1", EG_ADDR_PRIVATE },
	{ "172.31.255.255", EG_ADDR_PRIVATE }, { "172.32.0.1", EG_ADDR_PUBLIC },
	{ "172.15.255.255", EG_ADDR_PUBLIC }, { "192.168.1.1", EG_ADDR_PRIVATE },
	{ "169.254.169.254", EG_ADDR_LINKLOCAL }, { "169.254.0.1", EG_ADDR_LINKLOCAL },
	{ "100.64.0.1", EG_ADDR_CGNAT }, { "100.127.255.255", EG_ADDR_CGNAT },
	{ "100.128.0.1", EG_ADDR_PUBLIC }, { "100.63.255.255", EG_ADDR_PUBLIC },
	{ "224.0.0.1", EG_ADDR_MULTICAST }, { "239.255.255.250", EG_ADDR_MULTICAST },
	{ "0.0.0.0", EG_ADDR_UNSPECIFIED }, { "0.1.2.3", EG_ADDR_UNSPECIFIED },
	{ "255.255.255.255", EG_ADDR_BROADCAST }, { "240.0.0.1", EG_ADDR_RESERVED },
	{ "198.18.0.1", EG_ADDR_RESERVED }, { "192.0.0.8", EG_ADDR_RESERVED },
	{ "93.184.216.34", EG_ADDR_PUBLIC }, { "1.1.1.1", EG_ADDR_PUBLIC },
	{ "::1", EG_ADDR_LOOPBACK }, { "::", EG_ADDR_UNSPECIFIED },
	{ "fc00::1", EG_ADDR_PRIVATE }, { "fd12:3456::1", EG_ADDR_PRIVATE },
	{ "fe80::1", EG_ADDR_LINKLOCAL }, { "febf::1", EG_ADDR_LINKLOCAL },
	{ "fec0::1", EG_ADDR_PRIVATE }, { "ff02::1", EG_ADDR_MULTICAST },
	{ "::ffff:127.0.0.1", EG_ADDR_LOOPBACK }, { "::ffff:169.254.169.254", EG_ADDR_LINKLOCAL },
	{ "::ffff:10.1.2.3", EG_ADDR_PRIVATE }, { "::ffff:8.8.8.8", EG_ADDR_PUBLIC },
	{ "::127.0.0.1", EG_ADDR_LOOPBACK }, { "64:ff9b::a9fe:a9fe", EG_ADDR_LINKLOCAL },
	{ "2002:7f00:1::1", EG_ADDR_LOOPBACK }, { "2606:4700::1111", EG_ADDR_PUBLIC },
};

TEST(ssrf_addresses_classified_v4_v6_mapped)
{
	for (size_t i = 0; i < sizeof addrs / sizeof addrs[0]; i++) {
		int c = cls(addrs[i].a);
		if (c != addrs[i].c) {
			printf("  %s: %s, expected %s\n", addrs[i].a, eg_addr_class_name(c),
			       eg_addr_class_name(addrs[i].c));
			EXPECT(c == addrs[i].c);
		}
	}
}

TEST(ssrf_malformed_sockaddr_refused)
{
	struct sockaddr_in in;
	memset(&in, 0, sizeof in);
	in.sin_family = AF_INET;
	in.sin_addr.s_addr = htonl(0x08080808);
	EXPECT_EQ(eg_addr_class(NULL, 16), EG_ADDR_RESERVED);
	EXPECT_EQ(eg_addr_class((struct sockaddr *)&in, 2), EG_ADDR_RESERVED);
	EXPECT_EQ(eg_addr_class((struct sockaddr *)&in, sizeof in), EG_ADDR_PUBLIC);
	in.sin_family = AF_UNIX;
	EXPECT_EQ(eg_addr_class((struct sockaddr *)&in, sizeof in), EG_ADDR_RESERVED);
}

TEST(literal_hosts_only_dotted_quads_and_bracketed_v6)
{
	struct sockaddr_storage ss;
	size_t l;
	EXPECT(eg_host_literal("127.0.0.1", &ss, &l) == 1 && ss.ss_family == AF_INET);
	EXPECT(eg_host_literal("[::1]", &ss, &l) == 1 && ss.ss_family == AF_INET6);
	EXPECT_EQ(eg_host_literal("127.1", &ss, &l), 0);	/* a name, resolved */
	EXPECT_EQ(eg_host_literal("0x7f000001", &ss, &l), 0);
	EXPECT_EQ(eg_host_literal("::1", &ss, &l), 0);
	EXPECT_EQ(eg_host_literal("[::1", &ss, &l), 0);
	EXPECT_EQ(eg_host_literal(NULL, &ss, &l), 0);
}

static int
req(const char *s, struct eg_req *r)
{
	const char *why;
	return eg_parse_request(s, strlen(s), r, &why);
}

TEST(request_connect_parsed)
{
	struct eg_req r;
	EXPECT_EQ(req("CONNECT Example.ORG:443 HTTP/1.1\r\nHost: x\r\n\r\n", &r), 0);
	EXPECT(r.is_connect && strcmp(r.dest, "example.org:443") == 0 && r.port == 443);
	EXPECT_EQ(r.head_len, 45);
	EXPECT_EQ(req("CONNECT [::1]:8080 HTTP/1.1\r\n\r\n", &r), 0);
	EXPECT(strcmp(r.dest, "[::1]:8080") == 0);
}

TEST(request_absolute_uri_rewritten_for_the_server)
{
	struct eg_req r;
	EXPECT_EQ(req("GET http://127.0.0.1:18080/a/b?c=d HTTP/1.1\r\nHost: h\r\n\r\n", &r), 0);
	EXPECT(!r.is_connect && strcmp(r.dest, "127.0.0.1:18080") == 0);
	EXPECT(strcmp(r.line, "GET /a/b?c=d HTTP/1.1") == 0);
	EXPECT_EQ(req("POST http://host.example HTTP/1.0\r\n\r\n", &r), 0);
	EXPECT(strcmp(r.dest, "host.example:80") == 0 && strcmp(r.line, "POST / HTTP/1.0") == 0);
}

TEST(request_incomplete_waits)
{
	struct eg_req r;
	EXPECT_EQ(req("CONNECT a:1 HTTP/1.1\r\n", &r), 1);
	EXPECT_EQ(req("", &r), 1);
}

TEST(request_hostile_lines_refused)
{
	static const char *const bad[] = {
		"CONNECT example.org HTTP/1.1\r\n\r\n",		/* no port */
		"CONNECT example.org:0 HTTP/1.1\r\n\r\n",
		"CONNECT example.org:65536 HTTP/1.1\r\n\r\n",
		"CONNECT example.org:0443 HTTP/1.1\r\n\r\n",
		"CONNECT example.org:443x HTTP/1.1\r\n\r\n",
		"CONNECT exa_mple.org:443 HTTP/1.1\r\n\r\n",
		"CONNECT example.org:443 HTTP/2\r\n\r\n",
		"CONNECT  example.org:443 HTTP/1.1\r\n\r\n",
		"CONNECT [::1] HTTP/1.1\r\n\r\n",
		"CONNECT [::1:443 HTTP/1.1\r\n\r\n",
		"CONNECT [zz::1]:443 HTTP/1.1\r\n\r\n",
		"CONNECT :443 HTTP/1.1\r\n\r\n",
		"GET http://user:pw@evil.example/ HTTP/1.1\r\n\r\n",
		"GET http://good.example@127.0.0.1/ HTTP/1.1\r\n\r\n",
		"GET https://example.org/ HTTP/1.1\r\n\r\n",
		"GET /relative HTTP/1.1\r\n\r\n",
		"GET ftp://example.org/ HTTP/1.1\r\n\r\n",
		"TRACE http://example.org/ HTTP/1.1\r\n\r\n",
		"GET http://example.org/\x01 HTTP/1.1\r\n\r\n",
		"GET http:// HTTP/1.1\r\n\r\n",
		"GET\r\n\r\n",
		"\r\n\r\n",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct eg_req r;
		int rc = req(bad[i], &r);
		if (rc != -1)
			printf("  accepted: %s\n", bad[i]);
		EXPECT_EQ(rc, -1);
	}
}

TEST(request_head_bounded)
{
	static char big[EG_HEAD_MAX + 64];
	struct eg_req r;
	const char *why;
	memset(big, 'a', sizeof big);
	memcpy(big, "CONNECT a:1 HTTP/1.1\r\nX: ", 25);
	EXPECT_EQ(eg_parse_request(big, sizeof big, &r, &why), -1);
	EXPECT_EQ(eg_parse_request(big, 100, &r, &why), 1);
	big[50] = '\0';
	EXPECT_EQ(eg_parse_request(big, 100, &r, &why), -1);	/* NUL byte */
	EXPECT_EQ(eg_parse_request(NULL, 0, &r, &why), 1);
	EXPECT_EQ(eg_parse_request(NULL, 5, &r, &why), -1);
}

/* A ClientHello with the given server name (NULL: no SNI extension). */
static size_t
hello(uint8_t *b, const char *name)
{
	size_t o = 0, hs, ext, rec;
	b[o++] = 0x16; b[o++] = 3; b[o++] = 1; rec = o; o += 2;
	b[o++] = 1; hs = o; o += 3;
	b[o++] = 3; b[o++] = 3;
	memset(b + o, 0x11, 32); o += 32;
	b[o++] = 0;			/* session id */
	b[o++] = 0; b[o++] = 2; b[o++] = 0x13; b[o++] = 1;	/* one suite */
	b[o++] = 1; b[o++] = 0;		/* null compression */
	ext = o; o += 2;
	/* an unrelated extension first */
	b[o++] = 0; b[o++] = 0x0b; b[o++] = 0; b[o++] = 2; b[o++] = 1; b[o++] = 0;
	if (name != NULL) {
		size_t n = strlen(name);
		b[o++] = 0; b[o++] = 0;
		b[o++] = (uint8_t)((n + 5) >> 8); b[o++] = (uint8_t)(n + 5);
		b[o++] = (uint8_t)((n + 3) >> 8); b[o++] = (uint8_t)(n + 3);
		b[o++] = 0;
		b[o++] = (uint8_t)(n >> 8); b[o++] = (uint8_t)n;
		memcpy(b + o, name, n); o += n;
	}
	b[ext] = (uint8_t)((o - ext - 2) >> 8); b[ext + 1] = (uint8_t)(o - ext - 2);
	b[hs] = 0; b[hs + 1] = (uint8_t)((o - hs - 3) >> 8); b[hs + 2] = (uint8_t)(o - hs - 3);
	b[rec] = (uint8_t)((o - rec - 2) >> 8); b[rec + 1] = (uint8_t)(o - rec - 2);
	return o;
}

TEST(sni_read_from_client_hello)
{
	uint8_t b[512];
	char name[256];
	size_t n = hello(b, "Example.ORG");
	EXPECT_EQ(eg_sni(b, n, name, sizeof name), 0);
	EXPECT(strcmp(name, "example.org") == 0);
	n = hello(b, NULL);
	EXPECT_EQ(eg_sni(b, n, name, sizeof name), 3);
	EXPECT_EQ(eg_sni((const uint8_t *)"GET / HTTP/1.1\r\n", 16, name, sizeof name), 2);
}

TEST(sni_truncated_waits_for_more)
{
	uint8_t b[512];
	char name[256];
	size_t n = hello(b, "example.org");
	for (size_t k = 0; k < n; k++)
		EXPECT_EQ(eg_sni(b, k, name, sizeof name), 1);
}

TEST(sni_lying_lengths_refused)
{
	uint8_t b[512], m[512];
	char name[256];
	size_t n = hello(b, "example.org");
	/* Every length field made larger or smaller by one, or 0xff: a
	 * refusal or a correct read, never a read past the record. */
	for (size_t i = 0; i < n; i++) {
		static const int deltas[] = { 1, -1, 0x7f };
		for (size_t d = 0; d < 3; d++) {
			memcpy(m, b, n);
			m[i] = (uint8_t)(m[i] + deltas[d]);
			int rc = eg_sni(m, n, name, sizeof name);
			EXPECT(rc >= -1 && rc <= 3);
			EXPECT(strlen(name) < sizeof name);
			if (rc == 0)
				EXPECT(strlen(name) == 11 || i >= n - 11);
		}
	}
	/* A name with bytes a host name cannot hold. */
	n = hello(b, "evil.example\x01");
	EXPECT_EQ(eg_sni(b, n, name, sizeof name), -1);
	/* A name too long for the caller's buffer. */
	n = hello(b, "example.org");
	EXPECT_EQ(eg_sni(b, n, name, 5), -1);
	EXPECT_EQ(eg_sni(NULL, 0, name, sizeof name), 1);
	EXPECT_EQ(eg_sni(b, n, NULL, 0), -1);
}

TEST(sni_random_bytes_bounded)
{
	uint8_t b[600];
	char name[256];
	uint64_t x = 0x243f6a8885a308d3ull;
	for (int k = 0; k < 20000; k++) {
		size_t n = hello(b, "a.example");
		for (int j = 0; j < 4; j++) {
			x ^= x << 13; x ^= x >> 7; x ^= x << 17;
			b[(x >> 8) % n] = (uint8_t)x;
		}
		int rc = eg_sni(b, n, name, sizeof name);
		EXPECT(rc >= -1 && rc <= 3);
	}
}

/* ---- approvals ---- */

static uint8_t pk[32], sk[64], pk2[32], sk2[64];
static const uint8_t ctx[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };
static const uint8_t dig[32] = { 9, 9, 9 };

static void
be(uint8_t *p, uint64_t v, int n)
{
	for (int i = n - 1; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

static size_t
apr(uint8_t *m, uint8_t sig[64], const uint8_t *key, uint64_t seq, const uint8_t *c,
    unsigned op, const char *res, uint64_t expiry)
{
	uint8_t buf[16 + WARD_APR_MAX];
	size_t rl = strlen(res), len = WARD_APR_OFF_RES + rl;
	memset(m, 0, WARD_APR_MAX);
	be(m + WARD_APR_OFF_SEQ, seq, 8);
	memcpy(m + WARD_APR_OFF_CONTEXT, c, 16);
	m[WARD_APR_OFF_OP] = (uint8_t)op;
	memcpy(m + WARD_APR_OFF_DIGEST, dig, 32);
	be(m + WARD_APR_OFF_NONCE, 1, 8);
	be(m + WARD_APR_OFF_ISSUED, 1000, 8);
	be(m + WARD_APR_OFF_EXPIRY, expiry, 8);
	be(m + WARD_APR_OFF_RLEN, rl, 2);
	memcpy(m + WARD_APR_OFF_RES, res, rl);
	memcpy(buf, "ward.v1.approval", 16);
	memcpy(buf + 16, m, len);
	crypto_sign_detached(sig, NULL, buf, 16 + len, key);
	return len;
}

static int
check(const uint8_t *m, size_t len, const uint8_t sig[64], const char *res,
      const uint8_t *c, const uint8_t *d, struct eg_seen *last)
{
	const char *why;
	return eg_approval_check(m, len, sig, pk, c, WARD_OP_NET_CONNECT, res, d, 2000,
				 last, &why);
}

TEST(approval_good_accepted)
{
	uint8_t m[WARD_APR_MAX], sig[64];
	struct eg_seen last = { 0, 0 };
	size_t n = apr(m, sig, sk, 5, ctx, WARD_OP_NET_CONNECT, "127.0.0.1:8080", 3000);
	EXPECT_EQ(check(m, n, sig, "127.0.0.1:8080", ctx, dig, &last), 0);
	EXPECT_EQ(last.max, 5);
}

TEST(approval_forged_or_altered_refused)
{
	uint8_t m[WARD_APR_MAX], sig[64], other[16];
	uint8_t d2[32] = { 8 };
	struct eg_seen last = { 0, 0 };
	size_t n;
	memcpy(other, ctx, 16);
	other[15] ^= 1;
	/* another destination than the one asked for */
	n = apr(m, sig, sk, 5, ctx, WARD_OP_NET_CONNECT, "10.0.0.1:8080", 3000);
	EXPECT_EQ(check(m, n, sig, "127.0.0.1:8080", ctx, dig, &last), -1);
	/* a prefix of it */
	n = apr(m, sig, sk, 5, ctx, WARD_OP_NET_CONNECT, "127.0.0.1:80", 3000);
	EXPECT_EQ(check(m, n, sig, "127.0.0.1:8080", ctx, dig, &last), -1);
	/* another context */
	n = apr(m, sig, sk, 5, other, WARD_OP_NET_CONNECT, "127.0.0.1:8080", 3000);
	EXPECT_EQ(check(m, n, sig, "127.0.0.1:8080", ctx, dig, &last), -1);
	/* another operation (an fs.read approval passed off) */
	n = apr(m, sig, sk, 5, ctx, WARD_OP_FS_READ, "127.0.0.1:8080", 3000);
	EXPECT_EQ(check(m, n, sig, "127.0.0.1:8080", ctx, dig, &last), -1);
	/* another request's digest */
	n = apr(m, sig, sk, 5, ctx, WARD_OP_NET_CONNECT, "127.0.0.1:8080", 3000);
	EXPECT_EQ(check(m, n, sig, "127.0.0.1:8080", ctx, d2, &last), -1);
	/* expired */
	n = apr(m, sig, sk, 5, ctx, WARD_OP_NET_CONNECT, "127.0.0.1:8080", 1999);
	EXPECT_EQ(check(m, n, sig, "127.0.0.1:8080", ctx, dig, &last), -1);
	/* signed by a key that is not the core's */
	n = apr(m, sig, sk2, 5, ctx, WARD_OP_NET_CONNECT, "127.0.0.1:8080", 3000);
	EXPECT_EQ(check(m, n, sig, "127.0.0.1:8080", ctx, dig, &last), -1);
	/* the core's, then one byte changed (the resource, after signing) */
	n = apr(m, sig, sk, 5, ctx, WARD_OP_NET_CONNECT, "127.0.0.1:8080", 3000);
	m[WARD_APR_OFF_RES + 12] = '9';
	EXPECT_EQ(check(m, n, sig, "127.0.0.1:8090", ctx, dig, &last), -1);
	/* a bad signature */
	n = apr(m, sig, sk, 5, ctx, WARD_OP_NET_CONNECT, "127.0.0.1:8080", 3000);
	sig[3] ^= 0x40;
	EXPECT_EQ(check(m, n, sig, "127.0.0.1:8080", ctx, dig, &last), -1);
	/* a length that is not the resource's */
	n = apr(m, sig, sk, 5, ctx, WARD_OP_NET_CONNECT, "127.0.0.1:8080", 3000);
	EXPECT_EQ(check(m, n + 1, sig, "127.0.0.1:8080", ctx, dig, &last), -1);
	EXPECT_EQ(check(m, n - 1, sig, "127.0.0.1:8080", ctx, dig, &last), -1);
	EXPECT_EQ(check(NULL, n, sig, "127.0.0.1:8080", ctx, dig, &last), -1);
	EXPECT_EQ(last.max, 0);	/* nothing refused moved the sequence */
	/* and the untouched one still passes: the refusals above were for
	 * the change, not for the test's own mistake */
	EXPECT_EQ(check(m, n, sig, "127.0.0.1:8080", ctx, dig, &last), 0);
}

static int
seq_ok(uint64_t seq, struct eg_seen *last)
{
	uint8_t m[WARD_APR_MAX], sig[64];
	size_t n = apr(m, sig, sk, seq, ctx, WARD_OP_NET_CONNECT, "a.example:443", 3000);
	return check(m, n, sig, "a.example:443", ctx, dig, last);
}

TEST(approval_replayed_refused)
{
	struct eg_seen last = { 0, 0 };
	EXPECT_EQ(seq_ok(7, &last), 0);
	EXPECT_EQ(seq_ok(7, &last), -1);	/* the same approval again */
	/* Answers come back out of order (several core sockets): an older
	 * one not seen yet passes once. */
	EXPECT_EQ(seq_ok(6, &last), 0);
	EXPECT_EQ(seq_ok(6, &last), -1);
	EXPECT_EQ(seq_ok(8, &last), 0);
	EXPECT_EQ(seq_ok(7, &last), -1);
	EXPECT_EQ(seq_ok(100, &last), 0);
	EXPECT_EQ(seq_ok(36, &last), 0);	/* 64 below the highest */
	EXPECT_EQ(seq_ok(35, &last), -1);	/* older than the window */
	EXPECT_EQ(seq_ok(8, &last), -1);
	EXPECT_EQ(seq_ok(99, &last), 0);
	EXPECT_EQ(seq_ok(100, &last), -1);
	EXPECT_EQ(seq_ok(99, &last), -1);
	EXPECT_EQ(seq_ok(36, &last), -1);
	EXPECT_EQ(seq_ok(1000, &last), 0);	/* a jump past the window */
	EXPECT_EQ(seq_ok(999, &last), 0);
	EXPECT_EQ(seq_ok(100, &last), -1);
	EXPECT_EQ(seq_ok(999, &last), -1);
	EXPECT_EQ(seq_ok(1064, &last), 0);	/* shift of exactly 64 */
	EXPECT_EQ(seq_ok(1000, &last), -1);	/* the old max, at bit 63 */
	EXPECT_EQ(seq_ok(999, &last), -1);
}

/* ---- secrets ---- */

static int
ph(const char *head, struct eg_secret *out, size_t *n)
{
	const char *why;
	return eg_placeholders(head, strlen(head), out, EG_PH_MAX, n, &why);
}

TEST(secret_placeholders_found_in_header_values)
{
	struct eg_secret s[EG_PH_MAX];
	size_t n = 9;
	EXPECT_EQ(ph("GET http://a.example/ HTTP/1.1\r\nHost: a.example\r\n\r\n", s, &n), 0);
	EXPECT_EQ(n, 0);
	EXPECT_EQ(ph("GET http://a.example/ HTTP/1.1\r\nAuthorization: Bearer "
		      "ward-secret-OPENAI_KEY\r\nX-Two: ward-secret-B-and ward-secret-B\r\n"
		      "x-two: ward-secret-B\r\n\r\n", s, &n), 0);
	EXPECT_EQ(n, 2);
	EXPECT(strcmp(s[0].name, "OPENAI_KEY") == 0 && strcmp(s[0].header, "authorization") == 0);
	EXPECT(strcmp(s[1].name, "B") == 0 && strcmp(s[1].header, "x-two") == 0);
	/* the same secret in two headers: two pairs, two approvals */
	EXPECT_EQ(ph("POST http://a.example/ HTTP/1.1\r\nA: ward-secret-K\r\n"
		      "B: ward-secret-K\r\n\r\n", s, &n), 0);
	EXPECT_EQ(n, 2);
}

TEST(secret_placeholder_in_url_or_header_name_refused)
{
	struct eg_secret s[EG_PH_MAX];
	size_t n;
	/* in the URL: it would reach the server's logs as the value */
	EXPECT_EQ(ph("GET http://a.example/?k=ward-secret-K HTTP/1.1\r\nHost: a\r\n\r\n", s, &n), -1);
	EXPECT_EQ(ph("GET http://ward-secret-K.example/ HTTP/1.1\r\nHost: a\r\n\r\n", s, &n), -1);
	/* in a header the rewrite replaces: Host routes on a shared front end */
	EXPECT_EQ(ph("GET http://a.example/ HTTP/1.1\r\nHost: ward-secret-K\r\n\r\n", s, &n), -1);
	EXPECT_EQ(ph("GET http://a.example/ HTTP/1.1\r\nConnection: ward-secret-K\r\n\r\n", s, &n), -1);
	/* in a header name */
	EXPECT_EQ(ph("GET http://a.example/ HTTP/1.1\r\nX-ward-secret-K: 1\r\n\r\n", s, &n), -1);
	/* in a line without a colon, or a folded one */
	EXPECT_EQ(ph("GET http://a.example/ HTTP/1.1\r\nward-secret-K\r\n\r\n", s, &n), -1);
	EXPECT_EQ(ph("GET http://a.example/ HTTP/1.1\r\nA: b\r\n ward-secret-K\r\n\r\n", s, &n), -1);
	EXPECT_EQ(ph("GET http://a.example/ HTTP/1.1\r\nA: ward-secret-K\r\nConnection: a\r\n b\r\n\r\n",
		     s, &n), -1);
	/* a bare LF: the server may read another header line there */
	EXPECT_EQ(ph("GET http://a.example/ HTTP/1.1\r\nX: a\nAuthorization: ward-secret-K\r\n\r\n",
		     s, &n), -1);
	EXPECT_EQ(ph("GET http://a.example/ HTTP/1.1\r\nX: a\rB: ward-secret-K\r\n\r\n", s, &n), -1);
	/* no NAME, or one too long */
	EXPECT_EQ(ph("GET http://a.example/ HTTP/1.1\r\nX: ward-secret-\r\n\r\n", s, &n), -1);
	EXPECT_EQ(ph("GET http://a.example/ HTTP/1.1\r\nX: ward-secret-"
		     "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\r\n\r\n",
		     s, &n), -1);
	/* more than four pairs */
	EXPECT_EQ(ph("GET http://a.example/ HTTP/1.1\r\nA: ward-secret-A\r\nB: ward-secret-A\r\n"
		     "C: ward-secret-A\r\nD: ward-secret-A\r\nE: ward-secret-A\r\n\r\n", s, &n), -1);
	EXPECT_EQ(n, 0);
	EXPECT_EQ(eg_placeholders(NULL, 5, s, EG_PH_MAX, &n, NULL), -1);
	EXPECT_EQ(eg_placeholders("x", 1, s, EG_PH_MAX, NULL, NULL), -1);
}

static void
value(struct eg_secret *s, const char *name, const char *hdr, const char *v)
{
	memset(s, 0, sizeof *s);
	snprintf(s->name, sizeof s->name, "%s", name);
	snprintf(s->header, sizeof s->header, "%s", hdr);
	s->vlen = strlen(v);
	memcpy(s->val, v, s->vlen);
}

TEST(secret_substituted_in_its_header_only)
{
	/* the agent's Host (another site on a shared front end) replaced */
	static const char head[] = "POST http://a.example/v1 HTTP/1.1\r\nHost: evil.example\r\n"
		"Authorization: Bearer ward-secret-K\r\nConnection: keep-alive\r\n"
		"Accept-Encoding: gzip\r\nX-Other: ward-secret-O\r\nContent-Length: 2\r\n\r\n";
	static const char want[] = "POST /v1 HTTP/1.1\r\nHost: a.example\r\n"
		"Authorization: Bearer sk-123\r\nX-Other: v2 v2\r\nContent-Length: 2\r\n"
		"Connection: close\r\nAccept-Encoding: identity\r\n\r\n";
	struct eg_secret s[2];
	char out[1024];
	size_t ol;
	const char *why;
	value(&s[0], "K", "authorization", "sk-123");
	value(&s[1], "O", "x-other", "v2 v2");
	EXPECT_EQ(eg_rewrite_head(head, sizeof head - 1, "POST /v1 HTTP/1.1", "a.example", s, 2, out,
				  sizeof out, &ol, &why), 0);
	EXPECT_EQ(ol, sizeof want - 1);
	EXPECT(memcmp(out, want, sizeof want - 1) == 0);
	/* the value of K bound to another header: not substituted here */
	value(&s[0], "K", "x-api-key", "sk-123");
	EXPECT_EQ(eg_rewrite_head(head, sizeof head - 1, "POST /v1 HTTP/1.1", "a.example", s, 2, out,
				  sizeof out, &ol, &why), -1);
	/* too long for the buffer */
	value(&s[0], "K", "authorization", "sk-123");
	EXPECT_EQ(eg_rewrite_head(head, sizeof head - 1, "POST /v1 HTTP/1.1", "a.example", s, 2, out,
				  40, &ol, &why), -1);
	/* a value not there yet */
	s[1].vlen = 0;
	EXPECT_EQ(eg_rewrite_head(head, sizeof head - 1, "POST /v1 HTTP/1.1", "a.example", s, 2, out,
				  sizeof out, &ol, &why), -1);
}

/* Found by review: what a lenient server reads as Host, Accept-Encoding
 * or Transfer-Encoding in a secret-bearing request never passes. */
TEST(secret_request_headers_as_a_lenient_server_reads_them)
{
	static const char *const refused[] = {
		"Host : evil.example\r\n",		/* space before the colon */
		"Host\t: evil.example\r\n",
		"Connection : keep-alive\r\n",
		"NoColonHere\r\n",
		"Transfer-Encoding: chunked\r\n",	/* dropped, the body would smuggle */
		"Transfer_Encoding: chunked\r\n",
	};
	static const char *const dropped[] = {
		"Accept_Encoding: gzip\r\n", "ACCEPT-ENCODING: br\r\n",
		"Range: bytes=0-3\r\n", "If-Range: x\r\n", "Upgrade: h2c\r\n",
	};
	struct eg_secret s[1];
	char head[512], out[1024];
	size_t i, ol;
	const char *why;

	value(&s[0], "K", "authorization", "sk-123");
	for (i = 0; i < sizeof refused / sizeof refused[0]; i++) {
		snprintf(head, sizeof head, "GET http://a.example/ HTTP/1.1\r\n%s"
			 "Authorization: Bearer ward-secret-K\r\n\r\n", refused[i]);
		EXPECT_EQ(eg_rewrite_head(head, strlen(head), "GET / HTTP/1.1", "a.example",
					  s, 1, out, sizeof out, &ol, &why), -1);
	}
	for (i = 0; i < sizeof dropped / sizeof dropped[0]; i++) {
		snprintf(head, sizeof head, "GET http://a.example/ HTTP/1.1\r\n%s"
			 "Authorization: Bearer ward-secret-K\r\n\r\n", dropped[i]);
		EXPECT_EQ(eg_rewrite_head(head, strlen(head), "GET / HTTP/1.1", "a.example",
					  s, 1, out, sizeof out, &ol, &why), 0);
		EXPECT(memmem(out, ol, dropped[i], strlen(dropped[i])) == NULL);
		EXPECT(memmem(out, ol, "Accept-Encoding: identity\r\n", 27) != NULL);
	}
}

static size_t
scrub_all(const char *text, const size_t *cuts, size_t ncuts, struct eg_secret *s, size_t n,
	  char *out)
{
	struct eg_scrub z;
	size_t at = 0, o = 0, k, w;
	eg_scrub_init(&z, s, n);
	for (k = 0; k <= ncuts; k++) {
		size_t to = k < ncuts ? cuts[k] : strlen(text);
		w = eg_scrub(&z, (const uint8_t *)text + at, to - at, 0, (uint8_t *)out + o, 4096);
		if (w == (size_t)-1)
			return (size_t)-1;
		o += w;
		at = to;
	}
	w = eg_scrub(&z, NULL, 0, 1, (uint8_t *)out + o, 4096);
	o += w;
	out[o] = '\0';
	return o;
}

TEST(secret_scrubbed_from_response_across_reads)
{
	struct eg_secret s[2];
	char out[4096];
	static const char text[] = "HTTP/1.1 200 OK\r\n\r\nyou sent Bearer sk-123456 and sk-12 "
		"and again sk-123456!";
	static const char want[] = "HTTP/1.1 200 OK\r\n\r\nyou sent Bearer ********* and sk-12 "
		"and again *********!";
	value(&s[0], "K", "authorization", "sk-123456");
	/* every way of cutting the answer in two reads, and in three */
	for (size_t a = 0; a <= sizeof text - 1; a++) {
		size_t cuts[2] = { a, a + (sizeof text - 1 - a) / 2 };
		EXPECT_EQ(scrub_all(text, cuts, 1, s, 1, out), sizeof text - 1);
		EXPECT(strcmp(out, want) == 0);
		EXPECT_EQ(scrub_all(text, cuts, 2, s, 1, out), sizeof text - 1);
		EXPECT(strcmp(out, want) == 0);
	}
	/* a value ending the stream, a prefix held back then let go */
	{
		size_t cut = 5;
		EXPECT_EQ(scrub_all("abc sk-123456", &cut, 1, s, 1, out), 13);
		EXPECT(strcmp(out, "abc *********") == 0);
		EXPECT_EQ(scrub_all("abc sk-1234", &cut, 1, s, 1, out), 11);
		EXPECT(strcmp(out, "abc sk-1234") == 0);
	}
	/* two values, one the prefix of the other: the longer wins */
	value(&s[1], "L", "x", "sk-123456789");
	{
		size_t cut = 9;
		EXPECT_EQ(scrub_all("x sk-123456789 sk-123456x", &cut, 1, s, 2, out), 25);
		EXPECT(strcmp(out, "x ************ *********x") == 0);
	}
	/* an output too small consumes nothing */
	{
		struct eg_scrub z;
		eg_scrub_init(&z, s, 2);
		EXPECT_EQ(eg_scrub(&z, (const uint8_t *)"abcdef", 6, 0, (uint8_t *)out, 3),
			  (size_t)-1);
		EXPECT_EQ(eg_scrub(NULL, NULL, 0, 1, (uint8_t *)out, 3), (size_t)-1);
	}
}

static uint8_t epk[32], esk[32], epk2[32], esk2[32];

static size_t
seal(uint8_t *box, const uint8_t *to, const uint8_t *a, size_t al, const char *v)
{
	uint8_t plain[32 + 1200];
	size_t vl = strlen(v);
	crypto_generichash(plain, 32, a, al, NULL, 0);
	memcpy(plain + 32, v, vl);
	crypto_box_seal(box, plain, 32 + vl, to);
	return crypto_box_SEALBYTES + 32 + vl;
}

TEST(secret_sealed_value_bound_to_its_approval_and_key)
{
	uint8_t m[WARD_APR_MAX], m2[WARD_APR_MAX], sig[64], box[48 + 32 + 1100], val[EG_SECRET_MAX];
	size_t n = apr(m, sig, sk, 5, ctx, WARD_OP_SECRET_USE,
		       "K@a.example:443/authorization", 3000), bl, vl = 7;
	size_t n2 = apr(m2, sig, sk, 6, ctx, WARD_OP_SECRET_USE,
			"K@a.example:443/authorization", 3000);
	const char *why;
	char big[1100];
	bl = seal(box, epk, m, n, "sk-123");
	EXPECT_EQ(eg_sealed_open(box, bl, epk, esk, m, n, val, sizeof val, &vl, &why), 0);
	EXPECT(vl == 6 && memcmp(val, "sk-123", 6) == 0);
	/* sealed with the hash of another approval (another request's) */
	bl = seal(box, epk, m2, n2, "sk-123");
	EXPECT_EQ(eg_sealed_open(box, bl, epk, esk, m, n, val, sizeof val, &vl, &why), -1);
	EXPECT_EQ(vl, 0);
	/* the right hash, but a wrong byte after it: the box does not open */
	bl = seal(box, epk, m, n, "sk-123");
	box[bl - 1] ^= 1;
	EXPECT_EQ(eg_sealed_open(box, bl, epk, esk, m, n, val, sizeof val, &vl, &why), -1);
	/* sealed to another key than ward-egress's */
	bl = seal(box, epk2, m, n, "sk-123");
	EXPECT_EQ(eg_sealed_open(box, bl, epk, esk, m, n, val, sizeof val, &vl, &why), -1);
	/* a value that would add a header line */
	bl = seal(box, epk, m, n, "sk\r\nX-Evil: 1");
	EXPECT_EQ(eg_sealed_open(box, bl, epk, esk, m, n, val, sizeof val, &vl, &why), -1);
	/* empty, or longer than EG_SECRET_MAX */
	bl = seal(box, epk, m, n, "");
	EXPECT_EQ(eg_sealed_open(box, bl, epk, esk, m, n, val, sizeof val, &vl, &why), -1);
	memset(big, 'a', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	bl = seal(box, epk, m, n, big);
	EXPECT_EQ(eg_sealed_open(box, bl, epk, esk, m, n, val, sizeof val, &vl, &why), -1);
	EXPECT_EQ(eg_sealed_open(NULL, bl, epk, esk, m, n, val, sizeof val, &vl, &why), -1);
	/* and the good one still opens */
	bl = seal(box, epk, m, n, "sk-123");
	EXPECT_EQ(eg_sealed_open(box, bl, epk, esk, m, n, val, sizeof val, &vl, &why), 0);
}

TEST(secret_approval_for_another_op_refused)
{
	uint8_t m[WARD_APR_MAX], sig[64];
	struct eg_seen last = { 0, 0 };
	const char *why;
	const char *res = "K@a.example:443/authorization";
	/* a net.connect approval passed off as secret.use, and back */
	size_t n = apr(m, sig, sk, 5, ctx, WARD_OP_NET_CONNECT, res, 3000);
	EXPECT_EQ(eg_approval_check(m, n, sig, pk, ctx, WARD_OP_SECRET_USE, res, dig, 2000,
				    &last, &why), -1);
	n = apr(m, sig, sk, 5, ctx, WARD_OP_SECRET_USE, "a.example:443", 3000);
	EXPECT_EQ(eg_approval_check(m, n, sig, pk, ctx, WARD_OP_NET_CONNECT, "a.example:443",
				    dig, 2000, &last, &why), -1);
	/* secret.use of another secret or header */
	n = apr(m, sig, sk, 5, ctx, WARD_OP_SECRET_USE, "K@a.example:443/x-api-key", 3000);
	EXPECT_EQ(eg_approval_check(m, n, sig, pk, ctx, WARD_OP_SECRET_USE, res, dig, 2000,
				    &last, &why), -1);
	n = apr(m, sig, sk, 5, ctx, WARD_OP_SECRET_USE, res, 3000);
	EXPECT_EQ(eg_approval_check(m, n, sig, pk, ctx, WARD_OP_SECRET_USE, res, dig, 2000,
				    &last, &why), 0);
}

/* Interception: only a destination the broker named is intercepted (a
 * prefix, a suffix or another port is not it). */
TEST(intercept_bound_destinations_exact)
{
	const char *l = "api.openai.com:443  127.0.0.1:8443 ";

	EXPECT_EQ(eg_bound_has(l, "api.openai.com:443"), 1);
	EXPECT_EQ(eg_bound_has(l, "API.OpenAI.com:443"), 1);
	EXPECT_EQ(eg_bound_has(l, "127.0.0.1:8443"), 1);
	EXPECT_EQ(eg_bound_has(l, "api.openai.com:4433"), 0);
	EXPECT_EQ(eg_bound_has(l, "i.openai.com:443"), 0);
	EXPECT_EQ(eg_bound_has(l, "openai.com:443"), 0);
	EXPECT_EQ(eg_bound_has(l, "127.0.0.1:844"), 0);
	EXPECT_EQ(eg_bound_has(l, ""), 0);
	EXPECT_EQ(eg_bound_has("", "api.openai.com:443"), 0);
	EXPECT_EQ(eg_bound_has(NULL, "a:1"), 0);
	EXPECT_EQ(eg_bound_has(l, NULL), 0);
}

/* A request inside an intercepted tunnel becomes the absolute-form one
 * of the tunnel's destination, whatever its Host says, body kept; an
 * absolute or authority target, an overlong head, are refused. */
TEST(intercept_origin_form_request_made_absolute)
{
	static const char in[] = "POST /v1/chat?x=1 HTTP/1.1\r\nHost: evil.example\r\n"
				 "Authorization: Bearer ward-secret-K\r\n\r\n{}";
	char out[EG_HEAD_MAX], big[EG_HEAD_MAX + 10];
	struct eg_req r;
	const char *why;
	size_t ol = 0;

	EXPECT_EQ(eg_origin_head(in, sizeof in - 1, "api.x.com:443", out, sizeof out, &ol, &why), 0);
	EXPECT(ol == sizeof in - 1 + 7 + 13);
	EXPECT(memcmp(out, "POST http://api.x.com:443/v1/chat?x=1 HTTP/1.1\r\nHost: evil",
		      58) == 0);
	EXPECT(memcmp(out + ol - 2, "{}", 2) == 0);
	EXPECT_EQ(eg_parse_request(out, ol, &r, &why), 0);
	EXPECT_EQ(strcmp(r.dest, "api.x.com:443"), 0);
	EXPECT_EQ(strcmp(r.line, "POST /v1/chat?x=1 HTTP/1.1"), 0);
	EXPECT_EQ(r.is_connect, 0);
	/* not complete yet */
	EXPECT_EQ(eg_origin_head(in, 20, "api.x.com:443", out, sizeof out, &ol, &why), 1);
	/* not origin-form */
	EXPECT_EQ(eg_origin_head("GET http://other/ HTTP/1.1\r\n\r\n", 30, "a:443", out,
				 sizeof out, &ol, &why), -1);
	EXPECT_EQ(eg_origin_head("CONNECT b:443 HTTP/1.1\r\n\r\n", 26, "a:443", out,
				 sizeof out, &ol, &why), -1);
	EXPECT_EQ(eg_origin_head(" /x HTTP/1.1\r\n\r\n", 16, "a:443", out, sizeof out, &ol,
				 &why), -1);
	EXPECT_EQ(eg_origin_head("GET\r\n /x\r\n\r\n", 12, "a:443", out, sizeof out, &ol,
				 &why), -1);
	/* too long, or no room */
	memset(big, 'a', sizeof big);
	memcpy(big, "GET /", 5);
	EXPECT_EQ(eg_origin_head(big, sizeof big, "a:443", out, sizeof out, &ol, &why), -1);
	EXPECT_EQ(eg_origin_head(in, sizeof in - 1, "api.x.com:443", out, 40, &ol, &why), -1);
	EXPECT_EQ(eg_origin_head(NULL, 0, "a:443", out, sizeof out, &ol, &why), -1);
	EXPECT_EQ(eg_origin_head(in, sizeof in - 1, "", out, sizeof out, &ol, &why), -1);
}

int
main(void)
{
	if (sodium_init() < 0)
		return 2;
	crypto_sign_keypair(pk, sk);
	crypto_sign_keypair(pk2, sk2);
	crypto_box_keypair(epk, esk);
	crypto_box_keypair(epk2, esk2);
	RUN(ssrf_addresses_classified_v4_v6_mapped);
	RUN(ssrf_malformed_sockaddr_refused);
	RUN(literal_hosts_only_dotted_quads_and_bracketed_v6);
	RUN(request_connect_parsed);
	RUN(request_absolute_uri_rewritten_for_the_server);
	RUN(request_incomplete_waits);
	RUN(request_hostile_lines_refused);
	RUN(request_head_bounded);
	RUN(sni_read_from_client_hello);
	RUN(sni_truncated_waits_for_more);
	RUN(sni_lying_lengths_refused);
	RUN(sni_random_bytes_bounded);
	RUN(approval_good_accepted);
	RUN(approval_forged_or_altered_refused);
	RUN(approval_replayed_refused);
	RUN(secret_placeholders_found_in_header_values);
	RUN(secret_placeholder_in_url_or_header_name_refused);
	RUN(secret_substituted_in_its_header_only);
	RUN(secret_request_headers_as_a_lenient_server_reads_them);
	RUN(secret_scrubbed_from_response_across_reads);
	RUN(secret_sealed_value_bound_to_its_approval_and_key);
	RUN(secret_approval_for_another_op_refused);
	RUN(intercept_bound_destinations_exact);
	RUN(intercept_origin_form_request_made_absolute);
	T_EXIT();
}
