/*
 * egress.h -- ward-egress, the only part of ward that opens outbound
 * connections (DESIGN.md §1).  Untrusted by assumption, not verified: it
 * holds no signing key (one X25519 key, which opens only the secret values
 * the core sealed to it), runs under its own account, confined, and
 * connects only after it has checked the core's signature and fields on
 * an approval of exactly that destination.
 *
 * The pure parts (no I/O, tested in tests/unit/test_egress.c): the address
 * classifier (no SSRF), the request-line parser, the TLS SNI parser, the
 * approval verifier, and for secrets the placeholder scan, the header
 * substitution, the sealed-value check and the response scrubber.  Every
 * function is total: NULL and zero lengths are answered, never
 * dereferenced.
 */
#ifndef WARD_EGRESS_H
#define WARD_EGRESS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define EG_HOST_MAX 190u	/* host part of a destination */
#define EG_DEST_MAX 200u	/* "host:port", as a net scope names it */
#define EG_HEAD_MAX 8192u	/* request line and headers */


/* Where an address points.  EG_ADDR_PUBLIC is the only class ward-egress
 * connects to for a name; a literal address named by the approval itself
 * is connected to whatever its class (the capability named it). */
enum eg_addr_class {
	EG_ADDR_PUBLIC = 0,
	EG_ADDR_LOOPBACK,
	EG_ADDR_PRIVATE,	/* 10/8, 172.16/12, 192.168/16, fc00::/7 */
	EG_ADDR_LINKLOCAL,	/* 169.254/16 (metadata), fe80::/10 */
	EG_ADDR_CGNAT,		/* 100.64/10 */
	EG_ADDR_MULTICAST,	/* 224/4, ff00::/8 */
	EG_ADDR_UNSPECIFIED,	/* 0/8, :: */
	EG_ADDR_BROADCAST,	/* 255.255.255.255 */
	EG_ADDR_RESERVED,	/* 240/4, other families, malformed */
};

/* The class of an AF_INET or AF_INET6 address (v4-mapped ::ffff:a.b.c.d,
 * v4-compatible ::a.b.c.d and NAT64 64:ff9b::/96 as their v4 address);
 * EG_ADDR_RESERVED for NULL, a short length or another family. */
int eg_addr_class(const struct sockaddr *sa, size_t len);
const char *eg_addr_class_name(int c);

/* A request from the agent's side of the proxy. */
struct eg_req {
	int is_connect;			/* CONNECT host:port */
	char host[EG_HOST_MAX + 1];	/* lower case; a v6 literal in [] */
	unsigned port;
	char dest[EG_DEST_MAX + 1];	/* "host:port", the resource approved */
	size_t head_len;		/* bytes up to and with the blank line */
	/* absolute-URI requests: the request line as the server gets it
	 * ("GET /path HTTP/1.1") */
	char line[EG_HEAD_MAX];
};

/* Parses buf[0..len): 0 with *r filled when the head (up to "\r\n\r\n")
 * is complete and well formed, 1 when more bytes are needed (and len <
 * EG_HEAD_MAX), -1 when it is not a request ward-egress serves (the
 * reason in why). */
int eg_parse_request(const char *buf, size_t len, struct eg_req *r,
		     const char **why) __attribute__((warn_unused_result));

/* A host (no port) is an IP literal: 1 (and *sa filled), else 0. */
int eg_host_literal(const char *host, struct sockaddr_storage *sa, size_t *salen);

/* The server name of a TLS ClientHello at p[0..n): 0 with the name in out
 * (lower case), 1 when more bytes are needed, 2 when the bytes are not a
 * TLS handshake record (not TLS: no name to check), 3 when it is a
 * ClientHello with no server name, -1 when it is malformed or does not fit
 * one record. */
int eg_sni(const uint8_t *p, size_t n, char *out, size_t cap)
	__attribute__((warn_unused_result));

/* The approval sequence numbers seen: the highest, and which of the 64
 * below it (answers may come back out of order, never twice). */
struct eg_seen {
	uint64_t max;
	uint64_t bits;		/* bit i: max - 1 - i seen */
};

/* The core's approval, as ward-egress checks it before every connect and
 * every secret it substitutes: signature under core_pk in the
 * "ward.v1.approval" domain; op exactly op (WARD_OP_NET_CONNECT, or
 * WARD_OP_SECRET_USE for secret.use); resource exactly res; context ctx; digest the one this
 * request was sent with (fresh random bytes of ward-egress: a replayed
 * approval cannot carry it); not expired at now; a sequence number never
 * seen before, and not older than the 64 below the highest seen (it is
 * then marked seen).  0 when all hold, else -1 and why. */
int eg_approval_check(const uint8_t *msg, size_t len, const uint8_t sig[64],
		      const uint8_t core_pk[32], const uint8_t ctx[16],
		      unsigned op, const char *res, const uint8_t digest[32],
		      uint64_t now, struct eg_seen *seen, const char **why)
	__attribute__((warn_unused_result));

/* ---- secrets (docs/egress.md, "Secrets") ------------------------------------ */

#define EG_PH_PREFIX "ward-secret-"	/* the agent's placeholder: PREFIX NAME */
#define EG_NAME_MAX 64u		/* NAME = [A-Za-z0-9_]{1,64} */
#define EG_HNAME_MAX 64u	/* a header name a secret goes in */
#define EG_PH_MAX 4u		/* distinct (NAME, header) pairs a request */
#define EG_SECRET_MAX 1024u	/* = EGW_SECRET_MAX (common/egw.h) */
#define EG_SEAL_HASH 32u	/* BLAKE2b-256 of the approval, sealed first */

/* One placeholder of a request: which secret, in which header, and once
 * the core released it, its value (vlen 0 until then). */
struct eg_secret {
	char name[EG_NAME_MAX + 1];
	char header[EG_HNAME_MAX + 1];	/* lower case */
	size_t vlen;
	uint8_t val[EG_SECRET_MAX];
};

/* The placeholders of a request head head[0..len) (request line, header
 * lines, blank line): each distinct (NAME, header) pair into out[0..*n),
 * *n = 0 when there is none.  -1 (and why) when a placeholder is anywhere
 * but in a header field's value (the request line, a header name, a line
 * without a colon or a folded one, a header the rewrite replaces: Host,
 * Connection, Accept-Encoding ...), when its NAME is empty or longer than
 * EG_NAME_MAX, when the head carrying one has a control byte (a bare CR or
 * LF would let the server see other lines than ward-egress), or when there
 * are more than cap (at most EG_PH_MAX) pairs. */
int eg_placeholders(const char *head, size_t len, struct eg_secret *out,
		    size_t cap, size_t *n, const char **why)
	__attribute__((warn_unused_result));

/* The head the server gets for a request whose placeholders s[0..n) all
 * have their values: the request line `line`, "Host: " host (the
 * approved host, whatever Host the agent wrote: a shared front end routes
 * by it), then the agent's header lines with every placeholder of
 * s[k].name in a header named s[k].header replaced by s[k].val, without
 * Host, Connection, Proxy-Connection, Keep-Alive, TE and Accept-Encoding,
 * then "Connection: close" and "Accept-Encoding: identity" (an answer
 * that can be scrubbed), then the blank line.  0
 * with out[0..*outlen), or -1 (and why) when it does not fit cap, a
 * placeholder has no value among s, or the head is not one
 * eg_placeholders accepted. */
int eg_rewrite_head(const char *head, size_t len, const char *line,
		    const char *host, const struct eg_secret *s, size_t n, char *out,
		    size_t cap, size_t *outlen, const char **why)
	__attribute__((warn_unused_result));

/* The core's sealed answer to a secret.use: crypto_box_seal to
 * (pk, sk), ward-egress's X25519 keypair, of BLAKE2b-256(apr[0..apr_len))
 * then the value.  0 with the value in val[0..*vlen) when the box opens,
 * its hash is that of this very approval (so a value sealed for another
 * approval, another secret or another request is refused), and the value
 * is 1..cap (at most EG_SECRET_MAX) bytes with no control byte (no CR or
 * LF to add header lines).  Else -1 and why; nothing opened stays in
 * memory but val. */
int eg_sealed_open(const uint8_t *sealed, size_t n, const uint8_t pk[32],
		   const uint8_t sk[32], const uint8_t *apr, size_t apr_len,
		   uint8_t *val, size_t cap, size_t *vlen, const char **why)
	__attribute__((warn_unused_result));

/* The response scrubber: every occurrence of a value of s[0..n) in the
 * bytes relayed to the agent becomes as many '*', also when it spans two
 * reads (the bytes that could start one are held back in tail). */
struct eg_scrub {
	const struct eg_secret *s;
	size_t n;
	size_t tlen;
	uint8_t tail[EG_SECRET_MAX];
};

void eg_scrub_init(struct eg_scrub *z, const struct eg_secret *s, size_t n);

/* Feeds in[0..len): writes to out the bytes that can go to the agent,
 * scrubbed, and returns their count; holds back in z->tail what could be
 * the start of a value (none when final: the stream ended).  out must
 * hold z->tlen + len bytes; if cap is smaller, nothing is consumed and
 * (size_t)-1 is returned. */
size_t eg_scrub(struct eg_scrub *z, const uint8_t *in, size_t len, int final,
		uint8_t *out, size_t cap) __attribute__((warn_unused_result));

/* ---- interception (docs/egress.md, "Interception") ---------------------------- */

/* dest ("host:port") is one of the space-separated destinations of list
 * (what the broker said a secret of the transaction is bound to): 1, else
 * 0 (case-insensitive; NULL and empty are 0). */
int eg_bound_has(const char *list, const char *dest);

/* A request read inside an intercepted tunnel to dest, in[0..len)
 * ("POST /v1/x HTTP/1.1\r\n..." and maybe the body's start), made the
 * absolute-form request eg_parse_request takes ("POST http://dest/v1/x
 * HTTP/1.1\r\n...", the rest as it came): 0 with out[0..*outlen), 1 when
 * the head is not complete yet (and would still fit), -1 (and why) when
 * the target is not origin-form (/...), or it does not fit cap or
 * EG_HEAD_MAX. */
int eg_origin_head(const char *in, size_t len, const char *dest, char *out,
		   size_t cap, size_t *outlen, const char **why)
	__attribute__((warn_unused_result));

#endif
