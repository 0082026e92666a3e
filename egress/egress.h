/*
 * egress.h -- ward-egress, the only part of ward that opens outbound
 * connections (DESIGN.md §1).  Untrusted by assumption, not verified: it
 * holds no key, runs under its own account, confined, and connects only
 * after it has checked the core's signature and fields on an approval of
 * exactly that destination.
 *
 * The pure parts (no I/O, tested in tests/unit/test_egress.c): the address
 * classifier (no SSRF), the request-line parser, the TLS SNI parser and the
 * approval verifier.  Every function is total: NULL and zero lengths are
 * answered, never dereferenced.
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

/* The core's approval, as ward-egress checks it before every connect:
 * signature under core_pk in the "ward.v1.approval" domain; op
 * net.connect; resource exactly res; context ctx; digest the one this
 * request was sent with (fresh random bytes of ward-egress: a replayed
 * approval cannot carry it); not expired at now; a sequence number never
 * seen before, and not older than the 64 below the highest seen (it is
 * then marked seen).  0 when all hold, else -1 and why. */
int eg_approval_check(const uint8_t *msg, size_t len, const uint8_t sig[64],
		      const uint8_t core_pk[32], const uint8_t ctx[16],
		      const char *res, const uint8_t digest[32], uint64_t now,
		      struct eg_seen *seen, const char **why)
	__attribute__((warn_unused_result));

#endif
