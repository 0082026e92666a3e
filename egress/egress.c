/*
 * egress.c -- ward-egress: the proxy every agent sandbox reaches at
 * 127.0.0.1:3128, and the only ward process that opens outbound
 * connections (DESIGN.md §1, docs/egress.md).
 *
 * Forked by ward-broker (as root, before it drops its own rights) with the
 * broker's end of a pair as fd 3; it reads the core's public key, becomes
 * the ward-egress account and confines itself before it reads anything an
 * agent sent.  One poll loop serves every connection:
 *
 *   agent --(CONNECT host:port | GET http://host:port/...)--> ward-egress
 *   ward-egress --EGW_ASK dest, fresh digest--> broker --> ward-core
 *   ward-core's signed approval --> broker --EGW_ANSWER--> ward-egress
 *   ward-egress checks signature, op, resource, context, digest, expiry,
 *   sequence; resolves the name itself; refuses loopback, private,
 *   link-local, CGNAT, multicast ... unless the approved resource is that
 *   literal address; connects to the address it checked; relays.
 *
 * Secrets (docs/egress.md, "Secrets"): a plain-HTTP request whose header
 * values carry placeholders (ward-secret-NAME) is held after its
 * net.connect approval until each (NAME, header) has its own secret.use
 * approval and its value, sealed by the core to ward-egress's X25519 key
 * (egress/egress.key); the values are substituted in their headers only,
 * the request goes out with Connection: close and Accept-Encoding:
 * identity, and the answer comes back with every value replaced by '*'.
 * A plain-HTTP request to port 443 that carries a secret, or goes to a
 * destination one is bound to, goes upstream over TLS (OpenSSL,
 * certificate and name checked); any other is refused.  A CONNECT tunnel to a destination the
 * broker said a secret of the transaction is bound to is intercepted
 * (docs/egress.md, "Interception"): ward-egress terminates the agent's
 * TLS with a certificate of the transaction's CA (made at its first
 * attach, key in this process's memory only, name-constrained to those
 * destinations, forgotten at its last detach), reads the request inside
 * and treats it as the plain-HTTP one; nothing else is decrypted.
 *
 * Untrusted by assumption (it parses what agents send), not verified; it
 * holds no signing key, and one decryption key: a compromised ward-egress
 * can connect where it likes (it has the network) and sees the values of
 * the secrets bound to the destinations its agents reach, but nothing it
 * does gives an agent more authority in ward.  The broker it trusts for
 * nothing but carrying messages.
 */
#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <seccomp.h>
#include <sodium.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <strings.h>

#include "ward.h"
#include "egress.h"
#include "egw.h"
#include "fdio.h"
#include "priv.h"

#define LINK_FD 3
#define LINKS_MAX 256
#define CONNS_MAX 256
/* One sandbox cannot take the proxy from the others: at most this many
 * connections each, and a request head must come within HEAD_TIMEOUT_S. */
#define CONNS_PER_LINK 32
/* ... and at most this many for one transaction (its sandboxes, a
 * listener each, together): a quarter of the table. */
#define CONNS_PER_TX (CONNS_MAX / 4)
#define HEAD_TIMEOUT_S 10
#define BUF 65536u
#define CONNECT_TIMEOUT_S 10
#define WAIT_TIMEOUT_S 60	/* from accept to the approvals and the address */
#define SNI_WAIT_MAX (5u + 16384u)

/* A connection's states, in order:
 *   C_HEAD        the agent's request head is coming
 *   C_WAIT        net.connect asked, its approval awaited
 *   C_SECRETS     (placeholders) a secret.use asked for each pair, their
 *                 approvals and sealed values awaited
 *   C_RESOLVING   the name on a resolver thread
 *   C_CONNECTING  TCP connect in progress
 *   C_TLS         (plain HTTP to port 443) the TLS handshake upstream
 *   C_SNI         (CONNECT) the first bytes held for the SNI check
 *   C_RELAY       bytes each way (through the scrubber if secrets)
 * and for a CONNECT to a destination a secret is bound to (interception),
 * after C_WAIT and before C_SECRETS:
 *   C_ACCEPT      the agent's TLS handshake, ward-egress the server with a
 *                 certificate for the host signed by its CA
 *   C_IHEAD       the request head, read inside that TLS session */
enum { C_FREE = 0, C_HEAD, C_WAIT, C_SECRETS, C_RESOLVING, C_CONNECTING, C_TLS,
       C_SNI, C_RELAY, C_ACCEPT, C_IHEAD };

_Static_assert(EG_SECRET_MAX == EGW_SECRET_MAX, "egress.h and egw.h agree");
_Static_assert(EG_SECRET_MAX + 48u + EG_SEAL_HASH <= EGW_SEALED_MAX, "a sealed value fits");

struct link {
	int used;
	int sock;		/* the pair end the sandbox's listener comes on */
	int lfd;		/* the listener, -1 until it came */
	uint32_t slot, gen;
	uint32_t job;		/* the sandbox's, + 1 */
	uint8_t ctx[16];
	char bound[EGW_BOUND_MAX];	/* the destinations intercepted */
};

struct conn {
	int state;
	int link;
	int cfd, ofd;		/* the agent's side, the server's side */
	uint32_t req;
	uint8_t digest[32];
	struct eg_req rq;
	char head[EG_HEAD_MAX];
	size_t hlen;
	size_t ulen, dlen;	/* bytes waiting, from up + uoff, down + doff */
	size_t uoff, doff;
	/* The relay proper: splice(2) through a pipe each way, the bytes in
	 * each counted (upp, dnp, at most pcap); -1: user space buffers. */
	int up_p[2], dn_p[2];
	size_t upp, dnp, pcap;
	int ceof, oeof;
	uint64_t sent, received;
	char via[64];
	time_t started;
	/* Secrets: nsec (NAME, header) pairs in secs[this connection], each
	 * asked with its request number and digest; the values come in
	 * secs[..].val (vlen > 0 once checked). */
	size_t nsec;
	uint32_t sreq[EG_PH_MAX];
	uint8_t sdig[EG_PH_MAX][32];
	/* Upstream over TLS (plain HTTP to port 443): the session, and what
	 * the handshake waits for (POLLIN or POLLOUT). */
	int tls;
	SSL *ssl;
	short tls_want;
	/* Interception: the agent's side is a TLS session ward-egress
	 * serves (cssl), and what its handshake waits for. */
	int icpt;
	SSL *cssl;
	short cssl_want;
	/* Last: a new connection clears everything before them. */
	uint8_t up[BUF], down[BUF];	/* agent->server, server->agent */
};

static struct link links[LINKS_MAX];
static struct conn *conns;
static uint8_t core_pk[32];
/* The secret values and what the scrubbers hold back, one row a
 * connection, and ward-egress's X25519 keypair: locked in memory (never
 * swapped, where the limit allows), wiped when done with. */
static struct eg_secret secs[CONNS_MAX][EG_PH_MAX];
static struct eg_scrub scrubs[CONNS_MAX];
static struct {
	int have;
	uint8_t pk[32], sk[32];
} ekey;
static char ekey_why[600];	/* why there is no key, and what to do */
static SSL_CTX *tls_ctx;
/* Interception: the key of every leaf certificate ward-egress signs, and
 * the server context the agents' TLS sessions are made from; the CAs,
 * one a transaction, are txcas (ca_attach). */
static EVP_PKEY *leaf_key;
static SSL_CTX *srv_ctx;
static struct eg_seen seen;
static uint32_t next_req = 1;
struct txca;
static struct txca *txca_of(uint32_t slot, uint32_t gen);

static void __attribute__((noreturn, format(printf, 1, 2)))
die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "ward-egress: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void
to_broker(struct egw_msg *m)
{
	if (send(LINK_FD, m, sizeof *m, MSG_NOSIGNAL) != (ssize_t)sizeof *m)
		die("the broker is gone");
}

static void __attribute__((format(printf, 2, 3)))
audit(const struct link *l, const char *fmt, ...)
{
	struct egw_msg *m = calloc(1, sizeof *m);
	va_list ap;

	if (m == NULL)
		return;
	m->op = EGW_LOG;
	m->slot = l->slot;
	m->gen = l->gen;
	va_start(ap, fmt);
	vsnprintf(m->text, sizeof m->text, fmt, ap);
	va_end(ap);
	to_broker(m);
	free(m);
}

/* ---- connections -------------------------------------------------------------- */

static void
conn_close(struct conn *c)
{
	size_t idx = (size_t)(c - conns);

	if (c->state == C_RELAY || c->state == C_SNI) {
		char names[EG_PH_MAX * (EG_NAME_MAX + 2) + 16] = "";
		size_t k, nl = 0;

		for (k = 0; k < c->nsec && nl < sizeof names; k++)
			nl += (size_t)snprintf(names + nl, sizeof names - nl, "%s%s",
					       k == 0 ? " secret.use=" : ",", secs[idx][k].name);
		audit(&links[c->link], "egress: closed net.connect %s via %s "
		      "sent=%llu received=%llu%s%s%s", c->rq.dest, c->via,
		      (unsigned long long)c->sent, (unsigned long long)c->received,
		      c->tls ? " tls" : "", c->icpt ? " intercepted" : "", names);
	}
	if (c->ssl != NULL)
		SSL_free(c->ssl);
	c->ssl = NULL;
	if (c->cssl != NULL)
		SSL_free(c->cssl);
	c->cssl = NULL;
	/* The values, what the scrubber held, the head they were put in. */
	sodium_memzero(secs[idx], sizeof secs[idx]);
	sodium_memzero(&scrubs[idx], sizeof scrubs[idx]);
	if (c->nsec > 0 || c->icpt) {
		sodium_memzero(c->up, sizeof c->up);
		sodium_memzero(c->down, sizeof c->down);
		sodium_memzero(c->head, sizeof c->head);
	}
	c->nsec = 0;
	if (c->cfd >= 0)
		close(c->cfd);
	if (c->ofd >= 0)
		close(c->ofd);
	for (int k = 0; k < 2; k++) {
		if (c->up_p[k] >= 0)
			close(c->up_p[k]);
		if (c->dn_p[k] >= 0)
			close(c->dn_p[k]);
		c->up_p[k] = c->dn_p[k] = -1;
	}
	c->state = C_FREE;
	c->cfd = c->ofd = -1;
}

/* An answer to the agent, then the end of its connection. */
static void
refuse(struct conn *c, int code, const char *what, const char *why)
{
	char b[1300];
	int n = snprintf(b, sizeof b, "HTTP/1.1 %d %s\r\nContent-Type: text/plain\r\n"
			 "Connection: close\r\n\r\nward: %s\n", code, what, why);

	if (n > 0 && c->cssl != NULL) {
		/* Intercepted: the answer inside the agent's TLS session, if
		 * there is one yet (else nothing: the 200 went). */
		if (SSL_is_init_finished(c->cssl)) {
			ERR_clear_error();
			(void)SSL_write(c->cssl, b, (size_t)n < sizeof b ? n : (int)sizeof b - 1);
			(void)SSL_shutdown(c->cssl);
			ERR_clear_error();
		}
	} else if (n > 0)
		(void)send(c->cfd, b, (size_t)n < sizeof b ? (size_t)n : sizeof b - 1,
			   MSG_NOSIGNAL | MSG_DONTWAIT);
	c->state = C_HEAD;	/* nothing to log: nothing was relayed */
	conn_close(c);
}

static void
accept_on(int li)
{
	int fd = accept4(links[li].lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	int i, mine = 0, tx = 0;

	if (fd < 0)
		return;
	for (i = 0; i < CONNS_MAX; i++) {
		mine += conns[i].state != C_FREE && conns[i].link == li;
		tx += conns[i].state != C_FREE &&
		      links[conns[i].link].slot == links[li].slot &&
		      links[conns[i].link].gen == links[li].gen;
	}
	for (i = 0; i < CONNS_MAX; i++)
		if (conns[i].state == C_FREE)
			break;
	if (i == CONNS_MAX || mine >= CONNS_PER_LINK || tx >= CONNS_PER_TX) {
		close(fd);	/* full: refused, the agent may retry */
		return;
	}
	memset(&conns[i], 0, offsetof(struct conn, up));
	conns[i].state = C_HEAD;
	conns[i].link = li;
	conns[i].cfd = fd;
	conns[i].ofd = -1;
	conns[i].up_p[0] = conns[i].up_p[1] = conns[i].dn_p[0] = conns[i].dn_p[1] = -1;
	conns[i].started = time(NULL);
}

/* Asks the broker for the core's approval of eop on res, with a fresh
 * request number and digest: 0, or -1 (the agent refused). */
static int
ask(struct conn *c, unsigned eop, const char *res, uint32_t *req, uint8_t digest[32])
{
	struct egw_msg *m = calloc(1, sizeof *m);

	if (m == NULL) {
		refuse(c, 503, "Service Unavailable", "out of memory");
		return -1;
	}
	randombytes_buf(digest, 32);
	*req = next_req++;
	m->op = EGW_ASK;
	m->eop = eop;
	m->slot = links[c->link].slot;
	m->gen = links[c->link].gen;
	m->req = *req;
	memcpy(m->digest, digest, 32);
	snprintf(m->dest, sizeof m->dest, "%s", res);
	to_broker(m);
	free(m);
	return 0;
}

/* The secret.use resource of pair k: "NAME@host:port/header" (0), or -1
 * when it does not fit a resource. */
static int
secret_res(const struct conn *c, size_t k, char *out, size_t cap)
{
	const struct eg_secret *e = &secs[c - conns][k];
	int n = snprintf(out, cap, "%s@%s/%s", e->name, c->rq.dest, e->header);

	return n > 0 && (size_t)n < cap && (size_t)n <= WARD_SCOPE_MAX ? 0 : -1;
}

/* A plain-HTTP request's placeholders: where they are (header values
 * only), that there is a key to open their values with, and that their
 * resources fit.  0 (c->nsec pairs, maybe none), or -1 (refused, logged). */
static int
placeholders_ok(struct conn *c)
{
	size_t idx = (size_t)(c - conns), k;
	const char *why = NULL;
	char res[WARD_SCOPE_MAX + 8], t[1100];

	if (eg_placeholders(c->head, c->rq.head_len, secs[idx], EG_PH_MAX, &c->nsec,
			    &why) != 0) {
		c->nsec = 0;
		audit(&links[c->link], "egress: BLOCKED secret.use %s "
		      "reason=bad_placeholder (%s)", c->rq.dest, why);
		snprintf(t, sizeof t, "request to %s refused: %s; nothing was sent",
			 c->rq.dest, why);
		refuse(c, 403, "Forbidden", t);
		return -1;
	}
	if (c->nsec > 0 && !ekey.have) {
		audit(&links[c->link], "egress: BLOCKED secret.use %s reason=no_key",
		      c->rq.dest);
		snprintf(t, sizeof t, "request to %s carries a secret placeholder, "
			 "but %s", c->rq.dest, ekey_why);
		refuse(c, 403, "Forbidden", t);
		return -1;
	}
	for (k = 0; k < c->nsec; k++)
		if (secret_res(c, k, res, sizeof res) != 0) {
			audit(&links[c->link], "egress: BLOCKED secret.use %s "
			      "reason=resource_too_long", c->rq.dest);
			refuse(c, 403, "Forbidden", "secret name, destination and "
			       "header are too long for one resource");
			return -1;
		}
	return 0;
}

static void
head_readable(struct conn *c)
{
	const char *why = NULL;
	ssize_t n = recv(c->cfd, c->head + c->hlen, sizeof c->head - c->hlen, 0);
	int rc;

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		conn_close(c);
		return;
	}
	c->hlen += (size_t)n;
	rc = eg_parse_request(c->head, c->hlen, &c->rq, &why);
	if (rc == 1)
		return;
	if (rc != 0) {
		refuse(c, 400, "Bad Request", why);
		return;
	}
	c->tls = !c->rq.is_connect && c->rq.port == 443;
	/* A tunnel to a destination a secret is bound to is intercepted
	 * (after its net.connect approval); every other stays a tunnel. */
	c->icpt = c->rq.is_connect &&
		  txca_of(links[c->link].slot, links[c->link].gen) != NULL &&
		  eg_bound_has(links[c->link].bound, c->rq.dest);
	if (!c->rq.is_connect && placeholders_ok(c) != 0)
		return;
	/* TLS is opened only for hosts a secret is bound to (DESIGN.md
	 * §4b): plain HTTP to port 443 carries one, or goes to one. */
	if (c->tls && c->nsec == 0 && !eg_bound_has(links[c->link].bound, c->rq.dest)) {
		refuse(c, 400, "Bad Request", "plain HTTP to port 443 is sent on "
		       "over TLS only for a destination a secret is bound to; use "
		       "https:// (a CONNECT tunnel, TLS end to end)");
		return;
	}
	if (ask(c, WARD_OP_NET_CONNECT, c->rq.dest, &c->req, c->digest) == 0)
		c->state = C_WAIT;
}

static void
set_port(struct sockaddr_storage *sa, unsigned port)
{
	if (sa->ss_family == AF_INET)
		((struct sockaddr_in *)sa)->sin_port = htons((uint16_t)port);
	else
		((struct sockaddr_in6 *)sa)->sin6_port = htons((uint16_t)port);
}

/* The first public address host resolves to (port set): 0, or -1 with
 * why.  Called on a resolver thread: touches nothing shared. */
static int
resolve_name(const char *host, unsigned port, struct sockaddr_storage *sa,
	     size_t *salen, char *why, size_t wl)
{
	struct addrinfo hints, *res = NULL, *ai;
	int cls = -1, rc;

	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_ADDRCONFIG;
	rc = getaddrinfo(host, NULL, &hints, &res);
	if (rc != 0) {
		snprintf(why, wl, "cannot resolve %.190s: %s", host, gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		int k = eg_addr_class(ai->ai_addr, ai->ai_addrlen);

		if (k == EG_ADDR_PUBLIC && ai->ai_addrlen <= sizeof *sa) {
			memcpy(sa, ai->ai_addr, ai->ai_addrlen);
			*salen = ai->ai_addrlen;
			set_port(sa, port);
			freeaddrinfo(res);
			return 0;
		}
		if (cls < 0)
			cls = k;
	}
	freeaddrinfo(res);
	snprintf(why, wl, "ssrf_%s: %.190s resolves to a %s address, which only "
		 "a capability naming that literal address may reach",
		 eg_addr_class_name(cls), host, eg_addr_class_name(cls));
	return -1;
}

/* Names are resolved on threads of their own, so that a slow answer
 * holds up only its connection: at most RESOLVE_MAX at once, each result
 * one write (smaller than PIPE_BUF, so whole) on res_pipe. */
#define RESOLVE_MAX 16

struct resolve_res {
	int idx;
	uint32_t req;
	int ok;
	size_t salen;
	struct sockaddr_storage sa;
	char why[512];
};

struct resolve_job {
	struct resolve_res r;
	char host[EG_HOST_MAX + 1];
	unsigned port;
};

static int res_pipe[2] = { -1, -1 };
static int resolving;

static void *
resolver(void *arg)
{
	struct resolve_job *j = arg;

	j->r.ok = resolve_name(j->host, j->port, &j->r.sa, &j->r.salen, j->r.why,
			       sizeof j->r.why) == 0;
	if (write(res_pipe[1], &j->r, sizeof j->r) != (ssize_t)sizeof j->r)
		abort();	/* the loop would wait for it forever */
	free(j);
	return NULL;
}

static void connect_to(struct conn *c, struct sockaddr_storage *sa, size_t salen);
static void ask_secrets(struct conn *c);
static void intercept_start(struct conn *c);
static void accept_step(struct conn *c);
static void ihead_readable(struct conn *c);
static ssize_t ag_recv(struct conn *c, void *b, size_t n);

/* The approval checked: on to the address (the literal the approval
 * names, or the name resolved on a thread). */
static void
go_connect(struct conn *c)
{
	struct sockaddr_storage sa;
	size_t salen = 0;

	if (eg_host_literal(c->rq.host, &sa, &salen)) {
		/* The literal the approval names, whatever its class: the
		 * capability named it. */
		set_port(&sa, c->rq.port);
		connect_to(c, &sa, salen);
		return;
	}
	{
		struct resolve_job *j = calloc(1, sizeof *j);
		pthread_attr_t at;
		pthread_t th;
		int rc = -1;

		if (j != NULL && resolving < RESOLVE_MAX &&
		    pthread_attr_init(&at) == 0) {
			j->r.idx = (int)(c - conns);
			j->r.req = c->req;
			snprintf(j->host, sizeof j->host, "%s", c->rq.host);
			j->port = c->rq.port;
			(void)pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
			(void)pthread_attr_setstacksize(&at, 256 << 10);
			rc = pthread_create(&th, &at, resolver, j);
			pthread_attr_destroy(&at);
		}
		if (rc != 0) {
			free(j);
			refuse(c, 503, "Service Unavailable", "too many names being "
			       "resolved at once; try again");
			return;
		}
		resolving++;
		c->state = C_RESOLVING;
	}
}

/* The broker's words, printable bytes only. */
static void
printable(char *t, size_t cap, const char *from)
{
	size_t k;

	snprintf(t, cap, "%s", from);
	for (k = 0; t[k] != '\0'; k++)
		if ((unsigned char)t[k] < 0x20 || (unsigned char)t[k] > 0x7e)
			t[k] = '?';
}

/* The answer to secret.use of pair k of c: the approval (op secret.use,
 * resource NAME@host:port/header, this pair's digest) and the value
 * sealed with it.  When every pair has its value, on to the connect. */
static void
secret_answered(struct conn *c, size_t k, struct egw_msg *m)
{
	struct eg_secret *e = &secs[c - conns][k];
	char res[WARD_SCOPE_MAX + 8], why[700], t[sizeof m->text + 16];
	const char *bad = NULL;
	size_t j;

	if (secret_res(c, k, res, sizeof res) != 0)
		return;		/* checked before it was asked */
	if (m->reason != 0) {
		printable(t, sizeof t, m->text);
		audit(&links[c->link], "egress: BLOCKED secret.use %s reason=refused (%s)",
		      res, t);
		snprintf(why, sizeof why, "secret.use %s: %s; nothing was sent", res, t);
		refuse(c, 403, "Forbidden", why);
		return;
	}
	if (m->apr_len > sizeof m->apr ||
	    eg_approval_check(m->apr, m->apr_len, m->sig, core_pk, links[c->link].ctx,
			      WARD_OP_SECRET_USE, res, c->sdig[k],
			      (uint64_t)time(NULL), &seen, &bad) != 0)
		goto refused;
	if (!ekey.have || m->sealed_len > sizeof m->sealed) {
		bad = ekey.have ? "sealed value too long" : "ward-egress has no key";
		goto refused;
	}
	if (eg_sealed_open(m->sealed, m->sealed_len, ekey.pk, ekey.sk, m->apr, m->apr_len,
			   e->val, sizeof e->val, &e->vlen, &bad) != 0)
		goto refused;
	for (j = 0; j < c->nsec; j++)
		if (secs[c - conns][j].vlen == 0)
			return;		/* more to come */
	go_connect(c);
	return;
refused:
	audit(&links[c->link], "egress: BLOCKED secret.use %s reason=bad_approval (%s)",
	      res, bad);
	snprintf(why, sizeof why, "secret.use %s: the approval or its sealed value "
		 "does not verify (%s); nothing was sent", res, bad);
	refuse(c, 403, "Forbidden", why);
}

static void
answered(struct egw_msg *m)
{
	struct conn *c = NULL;
	char why[300];
	const char *bad = NULL;
	size_t k;
	int i;

	m->text[sizeof m->text - 1] = '\0';
	for (i = 0; i < CONNS_MAX && c == NULL; i++) {
		if (conns[i].state == C_WAIT && conns[i].req == m->req)
			c = &conns[i];
		else if (conns[i].state == C_SECRETS)
			for (k = 0; k < conns[i].nsec; k++)
				if (conns[i].sreq[k] == m->req && secs[i][k].vlen == 0) {
					secret_answered(&conns[i], k, m);
					return;
				}
	}
	if (c == NULL)
		return;		/* its agent went meanwhile */
	if (m->reason != 0) {
		char t[sizeof m->text + 16];

		printable(t, sizeof t, m->text);
		refuse(c, 403, "Forbidden", t);
		return;
	}
	if (m->apr_len > sizeof m->apr ||
	    eg_approval_check(m->apr, m->apr_len, m->sig, core_pk,
			      links[c->link].ctx, WARD_OP_NET_CONNECT, c->rq.dest, c->digest,
			      (uint64_t)time(NULL), &seen, &bad) != 0) {
		audit(&links[c->link], "egress: BLOCKED net.connect %s "
		      "reason=bad_approval (%s)", c->rq.dest, bad);
		snprintf(why, sizeof why, "net.connect %s: the approval does not "
			 "verify (%s); nothing was connected", c->rq.dest, bad);
		refuse(c, 403, "Forbidden", why);
		return;
	}
	if (c->icpt) {
		intercept_start(c);
		return;
	}
	ask_secrets(c);
}

/* Each (NAME, header) its own secret.use question, all at once; none:
 * on to the connect. */
static void
ask_secrets(struct conn *c)
{
	size_t k;

	if (c->nsec == 0) {
		go_connect(c);
		return;
	}
	c->state = C_SECRETS;
	for (k = 0; k < c->nsec; k++) {
		char res[WARD_SCOPE_MAX + 8];

		if (secret_res(c, k, res, sizeof res) != 0) {
			refuse(c, 403, "Forbidden", "secret.use resource too long");
			return;
		}
		if (ask(c, WARD_OP_SECRET_USE, res, &c->sreq[k], c->sdig[k]) != 0)
			return;
	}
}

/* A resolver thread's answer. */
static void
resolved(void)
{
	struct resolve_res r;
	struct conn *c;

	while (read(res_pipe[0], &r, sizeof r) == (ssize_t)sizeof r) {
		resolving--;
		if (r.idx < 0 || r.idx >= CONNS_MAX)
			continue;
		c = &conns[r.idx];
		if (c->state != C_RESOLVING || c->req != r.req)
			continue;	/* its agent went meanwhile */
		r.why[sizeof r.why - 1] = '\0';
		if (!r.ok) {
			audit(&links[c->link], "egress: BLOCKED net.connect %s "
			      "reason=%s", c->rq.dest, r.why);
			refuse(c, 403, "Forbidden", r.why);
			continue;
		}
		connect_to(c, &r.sa, r.salen);
	}
}

/* Connect to the address that was checked, and to no other. */
static void
connect_to(struct conn *c, struct sockaddr_storage *sap, size_t salen)
{
	struct sockaddr_storage sa = *sap;
	char why[300], a[INET6_ADDRSTRLEN];
	int fd;

	if (sa.ss_family == AF_INET)
		inet_ntop(AF_INET, &((struct sockaddr_in *)&sa)->sin_addr, a, sizeof a);
	else
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&sa)->sin6_addr, a, sizeof a);
	snprintf(c->via, sizeof c->via, sa.ss_family == AF_INET ? "%s" : "[%s]", a);
	fd = socket(sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || (connect(fd, (struct sockaddr *)&sa, (socklen_t)salen) != 0 &&
		       errno != EINPROGRESS)) {
		snprintf(why, sizeof why, "net.connect %s: cannot connect to %s: %s",
			 c->rq.dest, c->via, strerror(errno));
		if (fd >= 0)
			close(fd);
		audit(&links[c->link], "egress: failed net.connect %s via %s",
		      c->rq.dest, c->via);
		refuse(c, 502, "Bad Gateway", why);
		return;
	}
	c->ofd = fd;
	c->state = C_CONNECTING;
	c->started = time(NULL);
}

/* Into the relay proper: a pipe each way for splice(2).  Without them
 * (out of descriptors) the user space buffers carry on. */
static void
relay_start(struct conn *c)
{
	int sz;

	c->state = C_RELAY;
	if (c->tls || c->nsec > 0) {
		/* The bytes pass through user space: TLS, the scrubber. */
		eg_scrub_init(&scrubs[c - conns], secs[c - conns], c->nsec);
		return;
	}
	if (pipe2(c->up_p, O_NONBLOCK | O_CLOEXEC) != 0)
		return;
	if (pipe2(c->dn_p, O_NONBLOCK | O_CLOEXEC) != 0) {
		close(c->up_p[0]);
		close(c->up_p[1]);
		c->up_p[0] = c->up_p[1] = -1;
		return;
	}
	(void)fcntl(c->up_p[1], F_SETPIPE_SZ, 1 << 18);
	(void)fcntl(c->dn_p[1], F_SETPIPE_SZ, 1 << 18);
	sz = fcntl(c->up_p[1], F_GETPIPE_SZ);
	c->pcap = sz > 0 ? (size_t)sz : 65536;
	sz = fcntl(c->dn_p[1], F_GETPIPE_SZ);
	if (sz > 0 && (size_t)sz < c->pcap)
		c->pcap = (size_t)sz;
}

/* A TLS handshake step: on to the relay when it is done; the poll events
 * it waits for, or the agent refused (the certificate, the name). */
static void
tls_step(struct conn *c)
{
	int rc, e;

	ERR_clear_error();
	rc = SSL_connect(c->ssl);
	if (rc == 1) {
		relay_start(c);
		return;
	}
	e = SSL_get_error(c->ssl, rc);
	if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
		c->tls_want = e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT;
		return;
	}
	{
		char why[400], es[160] = "";
		long v = SSL_get_verify_result(c->ssl);
		unsigned long le = ERR_peek_last_error();

		if (v != X509_V_OK)
			snprintf(es, sizeof es, "certificate: %s",
				 X509_verify_cert_error_string(v));
		else if (le != 0)
			ERR_error_string_n(le, es, sizeof es);
		else
			snprintf(es, sizeof es, "handshake failed");
		audit(&links[c->link], "egress: failed net.connect %s via %s "
		      "reason=tls (%s)", c->rq.dest, c->via, es);
		snprintf(why, sizeof why, "net.connect %s: TLS to %s failed: %s; "
			 "nothing was sent", c->rq.dest, c->via, es);
		ERR_clear_error();
		refuse(c, 502, "Bad Gateway", why);
	}
}

/* Plain HTTP to port 443: TLS upstream, the server's certificate checked
 * against the system's store (and egress/ca.pem) and the host: its name
 * (also sent as SNI) or, for a literal, its address. */
static void
tls_start(struct conn *c)
{
	char ip[EG_HOST_MAX + 1];
	struct sockaddr_storage sa;
	size_t salen;
	int ok;

	c->ssl = tls_ctx != NULL ? SSL_new(tls_ctx) : NULL;
	ok = c->ssl != NULL && SSL_set_fd(c->ssl, c->ofd) == 1;
	if (ok && eg_host_literal(c->rq.host, &sa, &salen)) {
		size_t hl = strlen(c->rq.host);

		if (c->rq.host[0] == '[')
			snprintf(ip, sizeof ip, "%.*s", (int)(hl - 2), c->rq.host + 1);
		else
			snprintf(ip, sizeof ip, "%s", c->rq.host);
		ok = X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(c->ssl), ip) == 1;
	} else if (ok) {
		ok = SSL_set1_host(c->ssl, c->rq.host) == 1 &&
		     SSL_set_tlsext_host_name(c->ssl, c->rq.host) == 1;
	}
	if (!ok) {
		ERR_clear_error();
		refuse(c, 502, "Bad Gateway", "cannot set up TLS");
		return;
	}
	SSL_set_verify(c->ssl, SSL_VERIFY_PEER, NULL);
	SSL_set_connect_state(c->ssl);
	if (c->icpt) {
		int one = 1;

		(void)setsockopt(c->ofd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	}
	c->state = C_TLS;
	c->started = time(NULL);
	tls_step(c);
}

static void
connected(struct conn *c)
{
	int e = 0;
	socklen_t el = sizeof e;
	static const char ok[] = "HTTP/1.1 200 Connection Established\r\n\r\n";

	if (getsockopt(c->ofd, SOL_SOCKET, SO_ERROR, &e, &el) != 0 || e != 0) {
		char why[300];

		snprintf(why, sizeof why, "net.connect %s: cannot connect to %s: %s",
			 c->rq.dest, c->via, strerror(e));
		audit(&links[c->link], "egress: failed net.connect %s via %s",
		      c->rq.dest, c->via);
		refuse(c, 502, "Bad Gateway", why);
		return;
	}
	if (c->rq.is_connect) {
		/* The bytes after the head (a client that did not wait for
		 * the 200) are the start of the tunnel. */
		size_t rest = c->hlen - c->rq.head_len;

		memcpy(c->up, c->head + c->rq.head_len, rest);
		c->ulen = rest;
		memcpy(c->down, ok, sizeof ok - 1);
		c->dlen = sizeof ok - 1;
		c->state = C_SNI;
	} else {
		/* The request line the server expects, then the rest of the
		 * head and what followed it, as the agent sent them. */
		const char *eol = strstr(c->head, "\r\n");
		size_t ll = strlen(c->rq.line), rest = c->hlen - (size_t)(eol - c->head);

		if (c->nsec > 0 || c->icpt) {
			/* The values in their headers, Connection: close,
			 * Accept-Encoding: identity; then the body's start. */
			const char *bad = NULL;
			size_t hl = 0, body = c->hlen - c->rq.head_len;

			char host[EG_DEST_MAX + 1];

			/* The approved host; its port unless the scheme's. */
			snprintf(host, sizeof host, "%s",
				 c->rq.port == 80 || c->rq.port == 443 ? c->rq.host : c->rq.dest);
			if (eg_rewrite_head(c->head, c->rq.head_len, c->rq.line, host,
					    secs[c - conns], c->nsec, (char *)c->up,
					    sizeof c->up - body, &hl, &bad) != 0) {
				audit(&links[c->link], "egress: BLOCKED secret.use %s "
				      "reason=rewrite (%s)", c->rq.dest, bad);
				refuse(c, 400, "Bad Request", bad);
				return;
			}
			memcpy(c->up + hl, c->head + c->rq.head_len, body);
			c->ulen = hl + body;
		} else {
			if (ll + rest > sizeof c->up) {
				refuse(c, 400, "Bad Request", "request too long");
				return;
			}
			memcpy(c->up, c->rq.line, ll);
			memcpy(c->up + ll, eol, rest);
			c->ulen = ll + rest;
		}
		if (c->tls)
			tls_start(c);
		else
			relay_start(c);
	}
}

/* CONNECT: the first bytes of the tunnel, held back until they show
 * whether they are a TLS ClientHello, and if so for which name. */
static void
sni_check(struct conn *c)
{
	char name[256];
	char host[EG_HOST_MAX + 1];
	int rc = eg_sni(c->up, c->ulen, name, sizeof name);

	if (rc == 1 && c->ulen < sizeof c->up)
		return;
	snprintf(host, sizeof host, "%s", c->rq.host);
	if (rc == 0 && strcmp(name, host) != 0) {
		audit(&links[c->link], "egress: BLOCKED net.connect %s "
		      "reason=sni_mismatch (TLS server name %s)", c->rq.dest, name);
		c->state = C_HEAD;	/* nothing relayed */
		conn_close(c);
		return;
	}
	if (rc == -1 || rc == 1) {
		audit(&links[c->link], "egress: BLOCKED net.connect %s "
		      "reason=bad_client_hello", c->rq.dest);
		c->state = C_HEAD;
		conn_close(c);
		return;
	}
	relay_start(c);
}

/* Move bytes: what can be read into a buffer with room, what can be
 * written out of one with bytes.  Half-closes pass through. */
#define SPL (SPLICE_F_NONBLOCK | SPLICE_F_MOVE)

/* The relay with pipes: what the user space buffers still hold goes
 * first (the rewritten request head, the 200, the first bytes held for
 * the SNI check), then splice(2) each way.  Every call is tried: the
 * sockets and pipes do not block. */
static int
pump_splice(struct conn *c)
{
	ssize_t n;
	int moved = 0;

	if (c->ulen > 0) {
		n = send(c->ofd, c->up + c->uoff, c->ulen, MSG_NOSIGNAL);
		if (n > 0) {
			c->uoff = c->ulen == (size_t)n ? 0 : c->uoff + (size_t)n;
			c->ulen -= (size_t)n;
			c->sent += (uint64_t)n;
			moved = 1;
		} else if (n < 0 && errno != EAGAIN && errno != EINTR) {
			conn_close(c);
			return -1;
		}
	}
	if (c->dlen > 0) {
		n = send(c->cfd, c->down + c->doff, c->dlen, MSG_NOSIGNAL);
		if (n > 0) {
			c->doff = c->dlen == (size_t)n ? 0 : c->doff + (size_t)n;
			c->dlen -= (size_t)n;
			moved = 1;
		} else if (n < 0 && errno != EAGAIN && errno != EINTR) {
			conn_close(c);
			return -1;
		}
	}
	if (!c->ceof && c->upp < c->pcap) {
		n = splice(c->cfd, NULL, c->up_p[1], NULL, c->pcap - c->upp, SPL);
		if (n > 0) {
			c->upp += (size_t)n;
			moved = 1;
		} else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
			c->ceof = 1;
		}
	}
	if (c->ulen == 0 && c->upp > 0) {
		n = splice(c->up_p[0], NULL, c->ofd, NULL, c->upp, SPL);
		if (n > 0) {
			c->upp -= (size_t)n;
			c->sent += (uint64_t)n;
			moved = 1;
		} else if (n < 0 && errno != EAGAIN && errno != EINTR) {
			conn_close(c);
			return -1;
		}
	}
	if (!c->oeof && c->dnp < c->pcap) {
		n = splice(c->ofd, NULL, c->dn_p[1], NULL, c->pcap - c->dnp, SPL);
		if (n > 0) {
			c->dnp += (size_t)n;
			c->received += (uint64_t)n;
			moved = 1;
		} else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
			c->oeof = 1;
		}
	}
	if (c->dlen == 0 && c->dnp > 0) {
		n = splice(c->dn_p[0], NULL, c->cfd, NULL, c->dnp, SPL);
		if (n > 0) {
			c->dnp -= (size_t)n;
			moved = 1;
		} else if (n < 0 && errno != EAGAIN && errno != EINTR) {
			conn_close(c);
			return -1;
		}
	}
	if (c->ceof && c->ulen == 0 && c->upp == 0)
		(void)shutdown(c->ofd, SHUT_WR);
	if (c->oeof && c->dlen == 0 && c->dnp == 0)
		(void)shutdown(c->cfd, SHUT_WR);
	if (c->ceof && c->oeof && c->ulen == 0 && c->dlen == 0 && c->upp == 0 &&
	    c->dnp == 0) {
		conn_close(c);
		return -1;
	}
	return moved;
}

/* To the server and from it: the socket, or the TLS session over it.
 * As send/recv: > 0 bytes, 0 the end (reading), -1 with errno (EAGAIN:
 * try again when poll says so). */
static ssize_t
io_send(SSL *ssl, int fd, const void *b, size_t n)
{
	int rc, e;

	if (ssl == NULL)
		return send(fd, b, n, MSG_NOSIGNAL);
	ERR_clear_error();
	rc = SSL_write(ssl, b, n > INT32_MAX ? INT32_MAX : (int)n);
	if (rc > 0)
		return rc;
	e = SSL_get_error(ssl, rc);
	errno = e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE ? EAGAIN : EIO;
	ERR_clear_error();
	return -1;
}

static ssize_t
io_recv(SSL *ssl, int fd, void *b, size_t n)
{
	int rc, e;

	if (ssl == NULL)
		return recv(fd, b, n, 0);
	ERR_clear_error();
	rc = SSL_read(ssl, b, n > INT32_MAX ? INT32_MAX : (int)n);
	if (rc > 0)
		return rc;
	e = SSL_get_error(ssl, rc);
	ERR_clear_error();
	if (e == SSL_ERROR_ZERO_RETURN)
		return 0;
	errno = e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE ? EAGAIN : EIO;
	return -1;
}

static ssize_t
up_send(struct conn *c, const void *b, size_t n)
{
	return io_send(c->ssl, c->ofd, b, n);
}

static ssize_t
up_recv(struct conn *c, void *b, size_t n)
{
	return io_recv(c->ssl, c->ofd, b, n);
}

/* Decrypted bytes waiting in the TLS session, and room to take them. */
static int
tls_pending(const struct conn *c)
{
	return c->state == C_RELAY &&
	       ((c->ssl != NULL && !c->oeof &&
		 c->dlen + scrubs[c - conns].tlen + 16384 < BUF &&
		 SSL_has_pending(c->ssl)) ||
		(c->cssl != NULL && !c->ceof && c->ulen < BUF &&
		 SSL_has_pending(c->cssl)));
}

/* To the agent and from it: the socket, or (intercepted) the TLS session
 * ward-egress serves over it; as up_send and up_recv. */
static ssize_t
ag_send(struct conn *c, const void *b, size_t n)
{
	return io_send(c->cssl, c->cfd, b, n);
}

static ssize_t
ag_recv(struct conn *c, void *b, size_t n)
{
	return io_recv(c->cssl, c->cfd, b, n);
}

static int
pump_once(struct conn *c, short crev, short orev)
{
	ssize_t n;
	int moved = 0;

	if (c->state == C_RELAY && c->up_p[0] >= 0)
		return pump_splice(c);

	if ((crev & (POLLIN | POLLHUP | POLLERR)) && !c->ceof && c->ulen < BUF) {
		if (c->uoff + c->ulen == BUF) {
			memmove(c->up, c->up + c->uoff, c->ulen);
			c->uoff = 0;
		}
		n = ag_recv(c, c->up + c->uoff + c->ulen, BUF - c->uoff - c->ulen);
		if (n > 0) {
			c->ulen += (size_t)n;
			moved = 1;
		} else if (n == 0 || (errno != EAGAIN && errno != EINTR))
			c->ceof = 1;
	}
	if (c->state == C_SNI) {
		sni_check(c);
		if (c->state != C_RELAY && c->state != C_SNI)
			return -1;
	}
	if (c->state == C_RELAY && c->ulen > 0 && (orev & POLLOUT)) {
		n = up_send(c, c->up + c->uoff, c->ulen);
		if (n > 0) {
			c->uoff = c->ulen == (size_t)n ? 0 : c->uoff + (size_t)n;
			c->ulen -= (size_t)n;
			c->sent += (uint64_t)n;
			moved = 1;
		} else if (n < 0 && errno != EAGAIN && errno != EINTR) {
			conn_close(c);
			return -1;
		}
	}
	if ((orev & (POLLIN | POLLHUP | POLLERR)) && !c->oeof && c->dlen < BUF &&
	    c->state == C_RELAY) {
		struct eg_scrub *z = &scrubs[c - conns];
		size_t room;

		if (c->doff > 0 && (c->doff + c->dlen == BUF || c->nsec > 0)) {
			memmove(c->down, c->down + c->doff, c->dlen);
			c->doff = 0;
		}
		room = BUF - c->doff - c->dlen;
		if (c->nsec == 0) {
			n = up_recv(c, c->down + c->doff + c->dlen, room);
			if (n > 0) {
				c->dlen += (size_t)n;
				c->received += (uint64_t)n;
				moved = 1;
			}
		} else if (room > z->tlen) {
			/* Through the scrubber: what it holds back, then
			 * what came, values replaced by '*'. */
			uint8_t tmp[16384];
			size_t w;

			n = up_recv(c, tmp, room - z->tlen < sizeof tmp ?
				    room - z->tlen : sizeof tmp);
			if (n > 0) {
				w = eg_scrub(z, tmp, (size_t)n, 0,
					     c->down + c->doff + c->dlen, room);
				sodium_memzero(tmp, (size_t)n);
				if (w == (size_t)-1) {
					conn_close(c);
					return -1;
				}
				c->dlen += w;
				c->received += (uint64_t)n;
				moved = 1;
			}
		} else {
			n = -1;
			errno = EAGAIN;
		}
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
			c->oeof = 1;
	}
	if (c->oeof && c->nsec > 0 && scrubs[c - conns].tlen > 0) {
		/* The end: what the scrubber held cannot start a value now. */
		struct eg_scrub *z = &scrubs[c - conns];

		if (c->doff > 0) {
			memmove(c->down, c->down + c->doff, c->dlen);
			c->doff = 0;
		}
		if (BUF - c->dlen >= z->tlen) {
			size_t w = eg_scrub(z, NULL, 0, 1, c->down + c->dlen, BUF - c->dlen);

			if (w != (size_t)-1)
				c->dlen += w;
		}
	}
	if (c->dlen > 0 && (crev & POLLOUT)) {
		n = ag_send(c, c->down + c->doff, c->dlen);
		if (n > 0) {
			c->doff = c->dlen == (size_t)n ? 0 : c->doff + (size_t)n;
			c->dlen -= (size_t)n;
			moved = 1;
		} else if (n < 0 && errno != EAGAIN && errno != EINTR) {
			conn_close(c);
			return -1;
		}
	}
	if (c->state == C_RELAY && c->ceof && c->ulen == 0 && c->ssl == NULL)
		(void)shutdown(c->ofd, SHUT_WR);
	if (c->oeof && c->dlen == 0 && scrubs[c - conns].tlen == 0) {
		if (c->cssl != NULL && !(SSL_get_shutdown(c->cssl) & SSL_SENT_SHUTDOWN)) {
			ERR_clear_error();
			(void)SSL_shutdown(c->cssl);	/* close_notify */
			ERR_clear_error();
		}
		(void)shutdown(c->cfd, SHUT_WR);
	}
	if (c->ceof && c->oeof && c->ulen == 0 && c->dlen == 0 &&
	    scrubs[c - conns].tlen == 0) {
		conn_close(c);
		return -1;
	}
	if (c->state == C_SNI && c->ceof) {
		conn_close(c);
		return -1;
	}
	return moved;
}

/* Poll said which side is ready; while bytes move, try both sides again
 * (the sockets do not block) before going back to poll: a bounded number
 * of rounds, so that one busy connection does not starve the others. */
static void
pump(struct conn *c, short crev, short orev)
{
	int round;

	for (round = 0; round < 8; round++) {
		if (pump_once(c, crev, orev) <= 0 || c->state != C_RELAY)
			return;
		crev = orev = POLLIN | POLLOUT;
	}
}



/* ---- interception (docs/egress.md, "Interception") -------------------------------- */

/* The time t + secs as an ASN1_TIME set in the certificate (0), or -1. */
static int
cert_times(X509 *x, long before, long after)
{
	return X509_gmtime_adj(X509_getm_notBefore(x), before) != NULL &&
	       X509_gmtime_adj(X509_getm_notAfter(x), after) != NULL ? 0 : -1;
}

static int
cert_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX v;
	X509_EXTENSION *e;
	int ok;

	X509V3_set_ctx(&v, issuer, x, NULL, NULL, 0);
	e = X509V3_EXT_conf_nid(NULL, &v, nid, value);
	if (e == NULL)
		return -1;
	ok = X509_add_ext(x, e, -1) == 1;
	X509_EXTENSION_free(e);
	return ok ? 0 : -1;
}

/* A new certificate: v3, a random 64-bit serial, subject CN=cn, pubkey. */
static X509 *
cert_new(const char *cn, EVP_PKEY *pub)
{
	X509 *x = X509_new();
	uint8_t ser[8];
	BIGNUM *bn = NULL;
	X509_NAME *nm;
	int ok;

	if (x == NULL)
		return NULL;
	randombytes_buf(ser, sizeof ser);
	ser[0] &= 0x7f;
	ser[0] |= 0x40;		/* positive, eight bytes */
	bn = BN_bin2bn(ser, sizeof ser, NULL);
	nm = X509_get_subject_name(x);
	ok = bn != NULL && X509_set_version(x, 2) == 1 &&
	     BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) != NULL &&
	     X509_NAME_add_entry_by_txt(nm, "CN", MBSTRING_UTF8,
					(const unsigned char *)cn, -1, -1, 0) == 1 &&
	     X509_set_pubkey(x, pub) == 1;
	BN_free(bn);
	if (!ok) {
		X509_free(x);
		return NULL;
	}
	return x;
}

/* The transactions' CAs (docs/egress.md, "Interception"): one a
 * transaction, made at the attach of its first sandbox and forgotten
 * when its last sandbox detaches.  Its key is made here, in this
 * process's memory only (never written, never sent: the broker gets the
 * certificate); the certificate is valid CA_DAYS, CA:TRUE with path
 * length 0, keyCertSign only, and name-constrained to the destinations
 * the broker said the transaction's secrets are bound to.  The key of
 * every leaf certificate (one, made at start) and the server context
 * are shared. */
#define CA_DAYS 2
#define LEAF_SECS (24L * 3600L)

struct txca {
	int used;
	uint32_t slot, gen;
	EVP_PKEY *key;
	X509 *cert;
};
static struct txca txcas[LINKS_MAX];

static void
ca_init(void)
{
	leaf_key = EVP_EC_gen("P-256");
	if (leaf_key == NULL || (srv_ctx = SSL_CTX_new(TLS_server_method())) == NULL ||
	    SSL_CTX_set_min_proto_version(srv_ctx, TLS1_2_VERSION) != 1) {
		fprintf(stderr, "ward-egress: cannot set up TLS interception (OpenSSL); "
			"tunnels to destinations a secret is bound to stay plain tunnels\n");
		if (srv_ctx != NULL)
			SSL_CTX_free(srv_ctx);
		srv_ctx = NULL;
		ERR_clear_error();
		return;
	}
	SSL_CTX_set_options(srv_ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_IGNORE_UNEXPECTED_EOF);
	SSL_CTX_set_mode(srv_ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
			 SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	ERR_clear_error();
}

/* The name constraints of a transaction's CA, from the destinations
 * bound ("host:port ..."): each name permitted (and its subdomains, as
 * RFC 5280 reads a DNS constraint), each literal address permitted
 * alone; a sentinel for a kind with none, so that none of that kind is
 * permitted.  0, or -1 (too long, a host that cannot be written so). */
static int
ca_constraints(const char *bound, char *out, size_t cap)
{
	size_t ol, dn = 0, ipn = 0;
	const char *p;
	int n;

	ol = (size_t)snprintf(out, cap, "critical");
	for (p = bound; *p != '\0';) {
		char host[EG_HOST_MAX + 1];
		struct sockaddr_storage sa;
		size_t tl, hl, salen;
		const char *colon;

		while (*p == ' ')
			p++;
		tl = strcspn(p, " ");
		if (tl == 0)
			break;
		colon = tl > 0 ? (const char *)memrchr(p, ':', tl) : NULL;
		hl = colon != NULL ? (size_t)(colon - p) : tl;
		if (hl == 0 || hl > EG_HOST_MAX)
			return -1;
		memcpy(host, p, hl);
		host[hl] = '\0';
		p += tl;
		if (strcspn(host, ",;\\\"' ") != hl)
			return -1;
		if (eg_host_literal(host, &sa, &salen)) {
			char a[INET6_ADDRSTRLEN];

			if (sa.ss_family == AF_INET) {
				inet_ntop(AF_INET, &((struct sockaddr_in *)&sa)->sin_addr, a, sizeof a);
				n = snprintf(out + ol, cap - ol, ",permitted;IP:%s/255.255.255.255", a);
			} else {
				inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&sa)->sin6_addr, a, sizeof a);
				n = snprintf(out + ol, cap - ol, ",permitted;IP:%s/"
					     "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", a);
			}
			ipn++;
		} else {
			n = snprintf(out + ol, cap - ol, ",permitted;DNS:%s", host);
			dn++;
		}
		if (n < 0 || (size_t)n >= cap - ol)
			return -1;
		ol += (size_t)n;
	}
	n = snprintf(out + ol, cap - ol, "%s%s", dn == 0 ? ",permitted;DNS:invalid" : "",
		     ipn == 0 ? ",permitted;IP:0.0.0.0/255.255.255.255" : "");
	return n >= 0 && (size_t)n < cap - ol ? 0 : -1;
}

/* The CA of the transaction slot/gen, NULL when it has none. */
static struct txca *
txca_of(uint32_t slot, uint32_t gen)
{
	int i;

	for (i = 0; i < LINKS_MAX; i++)
		if (txcas[i].used && txcas[i].slot == slot && txcas[i].gen == gen)
			return &txcas[i];
	return NULL;
}

static void
txca_forget(struct txca *t)
{
	EVP_PKEY_free(t->key);	/* OpenSSL clears the private key */
	X509_free(t->cert);
	memset(t, 0, sizeof *t);
}

/* The attach of a sandbox of slot/gen (bound: its secrets'
 * destinations): its transaction's CA, made now for the first, and the
 * certificate to the broker (EGW_CA, req the attach's; pem_len 0 when
 * there is none), which waits for it before it starts the sandbox. */
static void
ca_attach(uint32_t slot, uint32_t gen, uint32_t req, const char *bound)
{
	struct txca *t = txca_of(slot, gen);
	struct egw_msg *m = calloc(1, sizeof *m);
	char nc[EGW_BOUND_MAX * 2 + 200];
	BIO *b = NULL;
	char *p = NULL;
	long pl = 0;
	int i;

	if (m == NULL)
		die("out of memory");
	m->op = EGW_CA;
	m->slot = slot;
	m->gen = gen;
	m->req = req;
	for (i = 0; t == NULL && srv_ctx != NULL && i < LINKS_MAX; i++)
		if (!txcas[i].used) {
			struct txca *n = &txcas[i];

			n->key = EVP_EC_gen("P-256");
			if (n->key == NULL || ca_constraints(bound, nc, sizeof nc) != 0 ||
			    (n->cert = cert_new("ward-egress interception CA", n->key)) == NULL ||
			    X509_set_issuer_name(n->cert, X509_get_subject_name(n->cert)) != 1 ||
			    cert_times(n->cert, -300, CA_DAYS * 24L * 3600L) != 0 ||
			    cert_ext(n->cert, n->cert, NID_basic_constraints,
				     "critical,CA:TRUE,pathlen:0") != 0 ||
			    cert_ext(n->cert, n->cert, NID_key_usage,
				     "critical,keyCertSign,cRLSign") != 0 ||
			    cert_ext(n->cert, n->cert, NID_subject_key_identifier, "hash") != 0 ||
			    cert_ext(n->cert, n->cert, NID_name_constraints, nc) != 0 ||
			    X509_sign(n->cert, n->key, EVP_sha256()) <= 0) {
				fprintf(stderr, "ward-egress: cannot make a transaction's "
					"interception CA (OpenSSL); its tunnels stay plain\n");
				txca_forget(n);
				ERR_clear_error();
				break;
			}
			n->used = 1;
			n->slot = slot;
			n->gen = gen;
			t = n;
		}
	if (t != NULL && ((b = BIO_new(BIO_s_mem())) == NULL ||
			  PEM_write_bio_X509(b, t->cert) != 1 ||
			  (pl = BIO_get_mem_data(b, &p)) <= 0 || (size_t)pl >= sizeof m->pem))
		pl = 0;
	if (pl > 0) {
		memcpy(m->pem, p, (size_t)pl);
		m->pem_len = (uint32_t)pl;
	}
	BIO_free(b);
	ERR_clear_error();
	to_broker(m);
	free(m);
}

/* A leaf certificate for host (a name, or a v4 or [v6] literal) signed by
 * the CA: serverAuth, the name or address as its one subjectAltName,
 * valid a day at most (never past the CA).  NULL on failure. */
static X509 *
leaf_for(const struct txca *ca, const char *host)
{
	char san[EG_HOST_MAX + 8], ip[EG_HOST_MAX + 1];
	struct sockaddr_storage sa;
	size_t salen, hl = strlen(host);
	X509 *x;

	if (eg_host_literal(host, &sa, &salen)) {
		if (host[0] == '[')
			snprintf(ip, sizeof ip, "%.*s", (int)(hl - 2), host + 1);
		else
			snprintf(ip, sizeof ip, "%s", host);
		snprintf(san, sizeof san, "IP:%s", ip);
	} else {
		snprintf(ip, sizeof ip, "%s", host);
		snprintf(san, sizeof san, "DNS:%s", host);
	}
	/* Not the host as CN: only the subjectAltName names it (a CN that
	 * looks like a name would be checked against the constraints). */
	x = cert_new("ward-egress intercepted", leaf_key);
	if (x == NULL)
		return NULL;
	if (X509_set_issuer_name(x, X509_get_subject_name(ca->cert)) != 1 ||
	    cert_times(x, -300, LEAF_SECS) != 0 ||
	    (ASN1_TIME_compare(X509_get0_notAfter(ca->cert), X509_get0_notAfter(x)) < 0 &&
	     X509_set1_notAfter(x, X509_get0_notAfter(ca->cert)) != 1) ||
	    cert_ext(x, ca->cert, NID_basic_constraints, "critical,CA:FALSE") != 0 ||
	    cert_ext(x, ca->cert, NID_key_usage, "critical,digitalSignature") != 0 ||
	    cert_ext(x, ca->cert, NID_ext_key_usage, "serverAuth") != 0 ||
	    cert_ext(x, ca->cert, NID_subject_alt_name, san) != 0 ||
	    cert_ext(x, ca->cert, NID_subject_key_identifier, "hash") != 0 ||
	    cert_ext(x, ca->cert, NID_authority_key_identifier, "keyid:always") != 0 ||
	    X509_sign(x, ca->key, EVP_sha256()) <= 0) {
		X509_free(x);
		return NULL;
	}
	return x;
}

/* The tunnel's net.connect approved, to a destination a secret is bound
 * to: 200 to the agent, then ward-egress is the TLS server it talks to,
 * with a certificate for the CONNECT host signed by its CA. */
static void
intercept_start(struct conn *c)
{
	static const char ok[] = "HTTP/1.1 200 Connection Established\r\n\r\n";
	X509 *x;

	if (c->hlen != c->rq.head_len) {
		/* The client did not wait for the 200: its first bytes are
		 * with the head; refused rather than guessed at. */
		audit(&links[c->link], "egress: BLOCKED net.connect %s "
		      "reason=intercept (bytes before the 200)", c->rq.dest);
		refuse(c, 400, "Bad Request", "send nothing after CONNECT before its 200");
		return;
	}
	{
		const struct txca *ca = txca_of(links[c->link].slot, links[c->link].gen);

		x = ca != NULL ? leaf_for(ca, c->rq.host) : NULL;
	}
	c->cssl = x != NULL ? SSL_new(srv_ctx) : NULL;
	if (c->cssl == NULL || SSL_use_certificate(c->cssl, x) != 1 ||
	    SSL_use_PrivateKey(c->cssl, leaf_key) != 1 || SSL_set_fd(c->cssl, c->cfd) != 1) {
		X509_free(x);
		ERR_clear_error();
		if (c->cssl != NULL)
			SSL_free(c->cssl);
		c->cssl = NULL;
		refuse(c, 502, "Bad Gateway", "cannot set up the interception");
		return;
	}
	X509_free(x);
	SSL_set_accept_state(c->cssl);
	{
		/* TLS records are written as they come: no Nagle wait (with
		 * the client's delayed ACK, 40 ms) between two of them. */
		int one = 1;

		(void)setsockopt(c->cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	}
	if (send(c->cfd, ok, sizeof ok - 1, MSG_NOSIGNAL | MSG_DONTWAIT) !=
	    (ssize_t)(sizeof ok - 1)) {
		c->state = C_HEAD;
		conn_close(c);
		return;
	}
	snprintf(c->via, sizeof c->via, "-");
	c->state = C_ACCEPT;
	c->started = time(NULL);
	c->hlen = 0;
	accept_step(c);
}

/* A step of the agent's TLS handshake; done: the server name it sent
 * must be the CONNECT host, then its request head. */
static void
accept_step(struct conn *c)
{
	const char *sni;
	int rc, e;

	ERR_clear_error();
	rc = SSL_accept(c->cssl);
	if (rc != 1) {
		e = SSL_get_error(c->cssl, rc);
		ERR_clear_error();
		if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
			c->cssl_want = e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT;
			return;
		}
		/* The agent did not trust the CA, or is not TLS. */
		audit(&links[c->link], "egress: failed net.connect %s "
		      "reason=intercept_handshake (the agent's TLS)", c->rq.dest);
		c->state = C_HEAD;
		conn_close(c);
		return;
	}
	sni = SSL_get_servername(c->cssl, TLSEXT_NAMETYPE_host_name);
	if (sni != NULL && strcasecmp(sni, c->rq.host) != 0) {
		char t[256];

		printable(t, sizeof t, sni);
		audit(&links[c->link], "egress: BLOCKED net.connect %s "
		      "reason=sni_mismatch (TLS server name %s)", c->rq.dest, t);
		c->state = C_HEAD;
		conn_close(c);
		return;
	}
	c->state = C_IHEAD;
	c->ulen = 0;
	ihead_readable(c);
}

/* The request inside the intercepted tunnel ("POST /v1/... HTTP/1.1"),
 * read raw into up, then made the absolute-form request the plain-HTTP
 * path takes, for the same destination: the same placeholder rules,
 * secret.use questions, rewrite and scrubbing; upstream always TLS. */
static void
ihead_readable(struct conn *c)
{
	const char *why = NULL;
	char dest[EG_DEST_MAX + 1];
	ssize_t n;
	int rc;

	for (;;) {
		size_t room = EG_HEAD_MAX - 256 - c->ulen;

		if (room == 0)
			break;
		n = ag_recv(c, c->up + c->ulen, room);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			break;
		if (n <= 0) {
			c->state = C_HEAD;
			conn_close(c);
			return;
		}
		c->ulen += (size_t)n;
	}
	rc = eg_origin_head((const char *)c->up, c->ulen, c->rq.dest, c->head,
			    sizeof c->head, &c->hlen, &why);
	if (rc == 1 && c->ulen < EG_HEAD_MAX - 256)
		return;
	if (rc == 1) {
		why = "request head too long";
		rc = -1;
	}
	snprintf(dest, sizeof dest, "%s", c->rq.dest);
	if (rc == 0)
		rc = eg_parse_request(c->head, c->hlen, &c->rq, &why);
	if (rc == 0 && (c->rq.is_connect || strcmp(c->rq.dest, dest) != 0)) {
		why = "not a request for the tunnel's destination";
		rc = -1;
	}
	sodium_memzero(c->up, c->ulen);
	c->ulen = 0;
	if (rc != 0) {
		snprintf(c->rq.dest, sizeof c->rq.dest, "%s", dest);
		audit(&links[c->link], "egress: BLOCKED net.connect %s "
		      "reason=intercept_request (%s)", dest, why ? why : "malformed");
		refuse(c, 400, "Bad Request", why ? why : "malformed request");
		return;
	}
	c->tls = 1;
	if (placeholders_ok(c) != 0)
		return;
	ask_secrets(c);
}

/* ---- the broker's messages ---------------------------------------------------------- */

static void
link_end(int li)
{
	int i;

	for (i = 0; i < CONNS_MAX; i++)
		if (conns[i].state != C_FREE && conns[i].link == li)
			conn_close(&conns[i]);
	if (links[li].lfd >= 0)
		close(links[li].lfd);
	if (links[li].sock >= 0)
		close(links[li].sock);
	{
		/* The transaction's last sandbox: its CA is forgotten. */
		uint32_t slot = links[li].slot, gen = links[li].gen;
		struct txca *t = txca_of(slot, gen);

		memset(&links[li], 0, sizeof links[li]);
		links[li].sock = links[li].lfd = -1;
		for (i = 0; i < LINKS_MAX; i++)
			if (links[i].used && links[i].slot == slot && links[i].gen == gen)
				break;
		if (i == LINKS_MAX && t != NULL)
			txca_forget(t);
	}
}

static void
broker_readable(void)
{
	struct egw_msg *m = calloc(1, sizeof *m);
	int fds[FDIO_MAX], nfds = 0, i;
	ssize_t n;

	if (m == NULL)
		die("out of memory");
	n = fdio_recv(LINK_FD, m, sizeof *m, fds, FDIO_MAX, &nfds, 0);
	if (n == 0)
		exit(0);	/* the broker is gone: so are we */
	if (n != (ssize_t)sizeof *m) {
		for (i = 0; i < nfds; i++)
			close(fds[i]);
		free(m);
		if (n < 0 && errno == EINTR)
			return;
		die("a message of the broker is not one (%zd bytes)", n);
	}
	if (m->op == EGW_ATTACH && nfds == 1) {
		for (i = 0; i < LINKS_MAX && links[i].used; i++)
			;
		if (i == LINKS_MAX) {
			close(fds[0]);
			if (m->bound[0] != '\0') {
				m->op = EGW_CA;	/* none: the broker waits no more */
				m->pem_len = 0;
				to_broker(m);
			}
		} else {
			links[i].used = 1;
			links[i].sock = fds[0];
			links[i].lfd = -1;
			links[i].slot = m->slot;
			links[i].gen = m->gen;
			links[i].job = m->req;
			memcpy(links[i].ctx, m->ctx, 16);
			m->bound[sizeof m->bound - 1] = '\0';
			memcpy(links[i].bound, m->bound, sizeof links[i].bound);
			/* A transaction with a secret bound: its CA (the
			 * broker waits for the answer); else none, and no
			 * tunnel of it is intercepted. */
			if (m->bound[0] != '\0')
				ca_attach(m->slot, m->gen, m->req, m->bound);
		}
		nfds = 0;
	} else if (m->op == EGW_DETACH) {
		for (i = 0; i < LINKS_MAX; i++)
			if (links[i].used && links[i].slot == m->slot &&
			    links[i].gen == m->gen &&
			    (m->req == 0 || links[i].job == m->req))
				link_end(i);
		/* The whole transaction: each connection's line went (above,
		 * in order on this pair); say so, so that the broker can log
		 * them before the transaction's context closes. */
		if (m->req == 0)
			to_broker(m);
	} else if (m->op == EGW_ANSWER) {
		answered(m);
	}
	for (i = 0; i < nfds; i++)
		close(fds[i]);
	free(m);
}

/* The sandbox's listener, sent once over the pair the broker gave. */
static void
listener_came(int li)
{
	char b;
	int fds[FDIO_MAX], nfds = 0, i, type = 0;
	socklen_t tl = sizeof type;
	ssize_t n = fdio_recv(links[li].sock, &b, 1, fds, FDIO_MAX, &nfds,
			      MSG_DONTWAIT);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0 || nfds != 1 || links[li].lfd >= 0 ||
	    getsockopt(fds[0], SOL_SOCKET, SO_TYPE, &type, &tl) != 0 ||
	    type != SOCK_STREAM) {
		for (i = 0; i < nfds; i++)
			close(fds[i]);
		close(links[li].sock);	/* one listener, once */
		links[li].sock = -1;
		return;
	}
	fcntl(fds[0], F_SETFL, O_NONBLOCK);
	links[li].lfd = fds[0];
	close(links[li].sock);
	links[li].sock = -1;
}

/* ---- start ------------------------------------------------------------------------- */

static void
read_core_pk(const char *home)
{
	char path[4200], hex[128];
	size_t bl = 0;
	FILE *f;

	snprintf(path, sizeof path, "%s/pub/core.pub", home);
	f = fopen(path, "re");
	if (f == NULL)
		die("cannot read the core's public key %s: %s", path, strerror(errno));
	if (fgets(hex, sizeof hex, f) == NULL ||
	    sodium_hex2bin(core_pk, sizeof core_pk, hex, strlen(hex), " \r\n",
			   &bl, NULL) != 0 || bl != sizeof core_pk)
		die("%s is not a hex Ed25519 public key", path);
	fclose(f);
}

/* ward-egress's X25519 secret key ($WARD_HOME/egress/egress.key, 64 hex
 * digits, made by 'ward init'), read as root before the drop.  Without
 * it ward-egress runs, and refuses every request carrying a placeholder
 * with ekey_why. */
static void
read_egress_key(const char *home)
{
	char path[4200], hex[160];
	size_t bl = 0;
	struct stat st;
	ssize_t n = -1;
	int fd;
	FILE *f;

	/* read(2) into our own buffer, wiped after: no stdio buffer of the
	 * library keeps the key's text. */
	snprintf(path, sizeof path, "%s/egress/egress.key", home);
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		snprintf(ekey_why, sizeof ekey_why, "ward-egress has no key to open "
			 "secrets with (%.300s: %s); run 'ward init', which makes it, "
			 "then restart ward", path, strerror(errno));
		return;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (st.st_mode & 077) != 0) {
		snprintf(ekey_why, sizeof ekey_why, "ward-egress's key %.300s can be "
			 "read by others than its owner: make it 0600 (or run 'ward "
			 "init' again), then restart ward", path);
	} else if ((n = read(fd, hex, sizeof hex - 1)) <= 0 ||
		   (hex[n] = '\0', sodium_hex2bin(ekey.sk, sizeof ekey.sk, hex,
						  (size_t)n, " \r\n", &bl, NULL)) != 0 ||
		   bl != sizeof ekey.sk ||
		   crypto_scalarmult_base(ekey.pk, ekey.sk) != 0) {
		snprintf(ekey_why, sizeof ekey_why, "ward-egress's key %.300s is not "
			 "64 hex digits: run 'ward init' to make it again", path);
		sodium_memzero(ekey.sk, sizeof ekey.sk);
	} else {
		ekey.have = 1;
	}
	sodium_memzero(hex, sizeof hex);
	close(fd);
	/* The core seals to pub/egress.pub: a key that is not its secret
	 * half would open nothing, so say so now, and what to do. */
	snprintf(path, sizeof path, "%s/pub/egress.pub", home);
	if (ekey.have && (f = fopen(path, "re")) != NULL) {
		uint8_t pub[32];

		if (fgets(hex, sizeof hex, f) == NULL ||
		    sodium_hex2bin(pub, sizeof pub, hex, strlen(hex), " \r\n", &bl,
				   NULL) != 0 || bl != sizeof pub ||
		    sodium_memcmp(pub, ekey.pk, sizeof pub) != 0) {
			snprintf(ekey_why, sizeof ekey_why, "%.300s is not the public "
				 "half of ward-egress's key (the core seals secrets to "
				 "it): run 'ward init' to make the pair again", path);
			ekey.have = 0;
			sodium_memzero(&ekey, sizeof ekey);
		}
		fclose(f);
	}
	if (!ekey.have)
		fprintf(stderr, "ward-egress: %s\n", ekey_why);
}

/* The TLS client context, made before the drop: the system's store, and
 * $WARD_HOME/egress/ca.pem if there is one (a local CA, for tests); TLS
 * 1.2 at least, the peer always verified. */
static void
tls_init(const char *home)
{
	char path[4200];

	if (OPENSSL_init_ssl(0, NULL) != 1 ||
	    (tls_ctx = SSL_CTX_new(TLS_client_method())) == NULL ||
	    SSL_CTX_set_min_proto_version(tls_ctx, TLS1_2_VERSION) != 1 ||
	    SSL_CTX_set_default_verify_paths(tls_ctx) != 1)
		die("cannot set up TLS (OpenSSL)");
	snprintf(path, sizeof path, "%s/egress/ca.pem", home);
	if (access(path, F_OK) == 0 &&
	    SSL_CTX_load_verify_locations(tls_ctx, path, NULL) != 1)
		die("%s is not a PEM certificate file; remove it or fix it", path);
	SSL_CTX_set_verify(tls_ctx, SSL_VERIFY_PEER, NULL);
	SSL_CTX_set_mode(tls_ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
			 SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	/* Servers that close without close_notify: the HTTP framing, which
	 * the agent's client checks, says whether the answer was whole. */
	SSL_CTX_set_options(tls_ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
	/* No renegotiation: a write then never waits for a read, which the
	 * poll events (POLLOUT for bytes to send) assume. */
	SSL_CTX_set_options(tls_ctx, SSL_OP_NO_RENEGOTIATION);
	ERR_clear_error();
}

/* Landlock (the raw ABI, as sandbox/sb_landlock.c uses it): read-only
 * files under what the resolver needs (/etc, /usr, /lib*, systemd's
 * resolv.conf), no write anywhere, no TCP bind; abstract unix sockets and
 * signals scoped (ABI 6).  A kernel without Landlock: ward-egress does not
 * run (no silent downgrade), and agents get no network. */
static void
landlock_ro(void)
{
	static const char *const ro[] = {
		"/etc", "/usr", "/lib", "/lib64", "/run/systemd/resolve",
	};
	struct { uint64_t fs, net, scoped; } attr = { 0, 0, 0 };
	size_t size = sizeof(uint64_t), i;
	long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, 1u /* VERSION */);
	int rs;

	if (abi < 1)
		die("cannot confine myself: this kernel has no Landlock");
	attr.fs = (1ULL << 13) - 1;			/* ABI 1: bits 0-12 */
	if (abi >= 2)
		attr.fs |= 1ULL << 13;			/* refer */
	if (abi >= 3)
		attr.fs |= 1ULL << 14;			/* truncate */
	if (abi >= 5)
		attr.fs |= 1ULL << 15;			/* ioctl_dev */
	if (abi >= 4) {
		attr.net = 1ULL << 0;			/* bind_tcp */
		size = 2 * sizeof(uint64_t);
	}
	if (abi >= 6) {
		attr.scoped = 3;			/* abstract unix, signal */
		size = sizeof attr;
	}
	rs = (int)syscall(SYS_landlock_create_ruleset, &attr, size, 0);
	if (rs < 0)
		die("cannot confine myself: landlock: %s", strerror(errno));
	for (i = 0; i < sizeof ro / sizeof ro[0]; i++) {
		struct __attribute__((packed)) {
			uint64_t allowed;
			int32_t fd;
		} pb;
		struct stat st;

		pb.fd = open(ro[i], O_PATH | O_CLOEXEC);
		if (pb.fd < 0)
			continue;	/* nothing there to allow */
		/* read_file (1 << 2), and read_dir (1 << 3) on a folder */
		pb.allowed = 1ULL << 2;
		if (fstat(pb.fd, &st) == 0 && S_ISDIR(st.st_mode))
			pb.allowed |= 1ULL << 3;
		if (syscall(SYS_landlock_add_rule, rs, 1 /* PATH_BENEATH */, &pb, 0) != 0)
			die("cannot confine myself: landlock rule for %s: %s", ro[i],
			    strerror(errno));
		close(pb.fd);
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
	    syscall(SYS_landlock_restrict_self, rs, 0) != 0)
		die("cannot confine myself: landlock: %s", strerror(errno));
	close(rs);
}

/* Confined for good: no exec, no new privileges, no namespaces, mounts,
 * ptrace or id changes, no fork (threads only); foreign ABIs kill.  What
 * stays: sockets (it is the one process with the network), reading files
 * (the resolver's /etc/hosts, /etc/resolv.conf), its own memory. */
static void
confine(void)
{
	static const int kill_these[] = {
		SCMP_SYS(execve), SCMP_SYS(execveat), SCMP_SYS(ptrace),
		SCMP_SYS(process_vm_readv), SCMP_SYS(process_vm_writev),
		SCMP_SYS(unshare), SCMP_SYS(setns), SCMP_SYS(mount),
		SCMP_SYS(umount2), SCMP_SYS(pivot_root), SCMP_SYS(chroot),
		SCMP_SYS(setuid), SCMP_SYS(setgid), SCMP_SYS(setreuid),
		SCMP_SYS(setregid), SCMP_SYS(setresuid), SCMP_SYS(setresgid),
		SCMP_SYS(setgroups), SCMP_SYS(fork), SCMP_SYS(vfork),
		SCMP_SYS(bpf), SCMP_SYS(perf_event_open), SCMP_SYS(init_module),
		SCMP_SYS(finit_module), SCMP_SYS(kexec_load), SCMP_SYS(keyctl),
		SCMP_SYS(add_key), SCMP_SYS(request_key), SCMP_SYS(userfaultfd),
		SCMP_SYS(io_uring_setup), SCMP_SYS(open_by_handle_at),
		SCMP_SYS(listen), SCMP_SYS(mknod), SCMP_SYS(mknodat),
	};
	scmp_filter_ctx f = seccomp_init(SCMP_ACT_ALLOW);
	size_t i;
	int rc = f == NULL ? -1 : 0;

	for (i = 0; rc == 0 && i < sizeof kill_these / sizeof kill_these[0]; i++)
		rc = seccomp_rule_add(f, SCMP_ACT_KILL_PROCESS, kill_these[i], 0);
	if (rc == 0)
		rc = seccomp_rule_add(f, SCMP_ACT_KILL_PROCESS, SCMP_SYS(clone), 1,
				      SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, 0));
	if (rc == 0)
		rc = seccomp_rule_add(f, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
	if (rc == 0)
		rc = seccomp_attr_set(f, SCMP_FLTATR_CTL_TSYNC, 1);
	if (rc == 0)
		rc = seccomp_attr_set(f, SCMP_FLTATR_CTL_NNP, 1);
	if (rc == 0)
		rc = seccomp_load(f);
	if (f != NULL)
		seccomp_release(f);
	if (rc != 0 || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		die("cannot confine myself (seccomp: %d)", rc);
}

int
main(int argc, char **argv)
{
	const char *home = NULL;
	char err[512];
	int i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--home") == 0 && i + 1 < argc)
			home = argv[++i];
		else
			die("usage: ward-egress --home DIR (started by ward-broker, "
			    "with its pair as fd 3)");
	}
	if (home == NULL || fcntl(LINK_FD, F_GETFD) < 0)
		die("started by ward-broker only (--home DIR, the pair as fd 3)");
	/* Nothing inherited but the pair and the standard streams. */
	(void)close_range(LINK_FD + 1, ~0u, 0);
	if (sodium_init() < 0)
		die("libsodium failed to initialise");
	prctl(PR_SET_NAME, "ward-egress");
	read_core_pk(home);
	/* The values and the key never swapped out (best effort: the limit
	 * may not allow it). */
	(void)mlock(secs, sizeof secs);
	(void)mlock(scrubs, sizeof scrubs);
	(void)mlock(&ekey, sizeof ekey);
	read_egress_key(home);
	tls_init(home);
	ca_init();
	/* Six descriptors a relayed connection (two sockets, two pipes). */
	{
		struct rlimit rl;

		if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
			rl.rlim_cur = rl.rlim_max;
			(void)setrlimit(RLIMIT_NOFILE, &rl);
		}
	}
	if (wp_drop(WP_EGRESS_ACCOUNT, err, sizeof err) != 0)
		die("%s", err);
	/* After the id change, which clears it. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0 ||
	    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
		die("prctl: %s", strerror(errno));
	if (getppid() == 1)
		die("the broker is gone");
	signal(SIGPIPE, SIG_IGN);
	if (pipe2(res_pipe, O_NONBLOCK | O_CLOEXEC) != 0)
		die("pipe: %s", strerror(errno));
	landlock_ro();
	confine();
	conns = calloc(CONNS_MAX, sizeof *conns);
	if (conns == NULL)
		die("out of memory");
	for (i = 0; i < CONNS_MAX; i++) {
		conns[i].cfd = conns[i].ofd = -1;
		conns[i].up_p[0] = conns[i].up_p[1] = -1;
		conns[i].dn_p[0] = conns[i].dn_p[1] = -1;
	}
	for (i = 0; i < LINKS_MAX; i++)
		links[i].sock = links[i].lfd = -1;
	for (;;) {
		struct pollfd pf[2 + LINKS_MAX + 2 * CONNS_MAX];
		int who[sizeof pf / sizeof pf[0]], n = 0, k, tmo = 1000;
		time_t now = time(NULL);

		pf[n].fd = LINK_FD; pf[n].events = POLLIN; who[n++] = -1;
		pf[n].fd = res_pipe[0]; pf[n].events = POLLIN; who[n++] = -2;
		for (k = 0; k < LINKS_MAX; k++) {
			if (!links[k].used)
				continue;
			if (links[k].sock >= 0) {
				pf[n].fd = links[k].sock; pf[n].events = POLLIN;
				who[n++] = 10000 + k;
			} else if (links[k].lfd >= 0) {
				pf[n].fd = links[k].lfd; pf[n].events = POLLIN;
				who[n++] = 20000 + k;
			}
		}
		for (k = 0; k < CONNS_MAX; k++) {
			struct conn *c = &conns[k];

			if (c->state == C_FREE)
				continue;
			if ((c->state == C_CONNECTING || c->state == C_TLS) &&
			    now - c->started > CONNECT_TIMEOUT_S) {
				c->state = C_HEAD;
				refuse(c, 504, "Gateway Timeout", "connect timed out");
				continue;
			}
			if ((c->state == C_HEAD || c->state == C_ACCEPT ||
			     c->state == C_IHEAD) && now - c->started > HEAD_TIMEOUT_S) {
				refuse(c, 408, "Request Timeout", "no request in time");
				continue;
			}
			/* Waiting for an answer (the core's, the resolver's) is
			 * bounded too: a slot is not held for ever. */
			if ((c->state == C_WAIT || c->state == C_SECRETS ||
			     c->state == C_RESOLVING) &&
			    now - c->started > WAIT_TIMEOUT_S) {
				refuse(c, 504, "Gateway Timeout", "no approval or "
				       "address in time; nothing was sent");
				continue;
			}
			pf[n].fd = c->cfd;
			pf[n].events = (short)((c->state == C_HEAD || c->state == C_IHEAD ||
				((c->state == C_RELAY || c->state == C_SNI) &&
				 !c->ceof && (c->up_p[0] >= 0 ? c->upp < c->pcap :
					      c->ulen < BUF)) ? POLLIN : 0) |
				(c->dlen > 0 || c->dnp > 0 ? POLLOUT : 0));
			if (c->state == C_ACCEPT)
				pf[n].events = c->cssl_want;
			who[n++] = k;
			if (c->ofd >= 0) {
				pf[n].fd = c->ofd;
				pf[n].events = (short)(c->state == C_CONNECTING ?
					POLLOUT : c->state == C_TLS ? c->tls_want :
					((c->state == C_RELAY && !c->oeof &&
					(c->dn_p[0] >= 0 ? c->dnp < c->pcap :
					 c->dlen + scrubs[k].tlen < BUF) ? POLLIN : 0) |
					(c->state == C_RELAY && (c->ulen > 0 ||
					 c->upp > 0) ? POLLOUT : 0)));
				who[n++] = 1000 + k;
			}
			/* Bytes TLS has read and not given yet: poll would
			 * not say so. */
			if (tls_pending(c))
				tmo = 0;
		}
		if (poll(pf, (nfds_t)n, tmo) < 0) {
			if (errno == EINTR)
				continue;
			die("poll: %s", strerror(errno));
		}
		for (k = 0; k < n; k++) {
			int w = who[k];
			struct conn *c;
			short orev = 0;

			if (pf[k].revents == 0)
				continue;
			if (w == -2) {
				resolved();
			} else if (w == -1) {
				broker_readable();
			} else if (w >= 20000) {
				if (links[w - 20000].lfd == pf[k].fd)
					accept_on(w - 20000);
			} else if (w >= 10000) {
				if (links[w - 10000].sock == pf[k].fd)
					listener_came(w - 10000);
			} else if (w >= 1000) {
				c = &conns[w - 1000];
				if (c->ofd != pf[k].fd)
					continue;
				if (c->state == C_CONNECTING)
					connected(c);
				else if (c->state == C_TLS)
					tls_step(c);
				else if (c->state == C_RELAY || c->state == C_SNI)
					pump(c, 0, pf[k].revents);
			} else {
				c = &conns[w];
				if (c->cfd != pf[k].fd)
					continue;
				if (c->state == C_HEAD)
					head_readable(c);
				else if (c->state == C_ACCEPT)
					accept_step(c);
				else if (c->state == C_IHEAD)
					ihead_readable(c);
				else if (c->state == C_RELAY || c->state == C_SNI) {
					/* Both sides in one go when both are ready. */
					if (k + 1 < n && who[k + 1] == 1000 + w) {
						orev = pf[k + 1].revents;
						pf[k + 1].revents = 0;
					}
					pump(c, pf[k].revents, orev);
				} else if (pf[k].revents & (POLLHUP | POLLERR))
					conn_close(c);
			}
		}
		for (k = 0; k < CONNS_MAX; k++)
			if (tls_pending(&conns[k]))
				pump(&conns[k], POLLIN | POLLOUT, POLLIN | POLLOUT);
	}
}
