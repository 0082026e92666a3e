/*
 * egress_link.c -- ward-broker's side of ward-egress (common/egw.h): it
 * has the spawner (which keeps root) start ward-egress, and start it again
 * after it died, for new transactions, with backoff; gives it each agent
 * transaction's
 * proxy listener (through a pair whose other end goes to the sandbox),
 * and carries its questions to ward-core and the core's answers back.
 * The broker decides nothing here: ward-egress checks every approval under
 * the core's key itself.  Untrusted, not verified.
 */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "egw.h"
#include "egress_link.h"
#include "fdio.h"
#include "wb.h"

/* ---- a transaction's interception CA (docs/egress.md, "Interception") ---- */

static char el_ca_at[4096];	/* run/broker (el_ca_dir) */
static void el_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ward-egress's messages that came while el_attach waited for its CA:
 * el_recv gives them first, in order. */
#define EL_Q 64
static struct egw_msg *el_q[EL_Q];
static int el_qn;

int
el_pending(void)
{
	return el_qn > 0;
}

void
el_ca_dir(const char *dir)
{
	snprintf(el_ca_at, sizeof el_ca_at, "%s", dir);
}

static void
el_ca_name(uint32_t slot, uint32_t gen, char *out, size_t cap)
{
	snprintf(out, cap, "ca-%u-%u.pem", slot, gen);
}

/* The certificate of m (EGW_CA) written to run/broker/name: 0, or -1
 * (not one PEM certificate, or not written). */
static int
el_ca_write(const struct egw_msg *m, const char *name)
{
	static const char begin[] = "-----BEGIN CERTIFICATE-----\n";
	char path[4200], tmp[4300];
	size_t n = m->pem_len, i;
	int fd, ok;

	if (n < sizeof begin || n >= sizeof m->pem ||
	    strncmp(m->pem, begin, sizeof begin - 1) != 0)
		return -1;
	for (i = 0; i < n; i++)
		if (m->pem[i] != '\n' && (m->pem[i] < 0x20 || m->pem[i] > 0x7e))
			return -1;
	snprintf(path, sizeof path, "%s/%s", el_ca_at, name);
	snprintf(tmp, sizeof tmp, "%s/.%s.new", el_ca_at, name);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
	ok = fd >= 0 && write(fd, m->pem, n) == (ssize_t)n;
	if (fd < 0 || close(fd) != 0 || !ok || rename(tmp, path) != 0) {
		el_say("cannot write ward-egress's CA certificate to %s: %s; the "
		       "sandbox gets no CA to trust (TLS to destinations a secret is "
		       "bound to fails)", path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

/* Wait (ms at most) for ward-egress's message op of slot/gen/req, into m:
 * 0 when it came, -1 when not (time, ward-egress gone, or no room to keep
 * the others).  Its other messages meanwhile are kept, in order, for
 * el_recv. */
static int
el_await(int eg, uint32_t op, uint32_t slot, uint32_t gen, uint32_t req,
	 struct egw_msg *m, long ms)
{
	struct timespec t0, t1;
	long left = ms;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (left > 0) {
		struct pollfd pf = { eg, POLLIN, 0 };
		int fds[FDIO_MAX], nfds = 0, i;
		ssize_t n;

		if (poll(&pf, 1, (int)left) != 1)
			return -1;
		n = fdio_recv(eg, m, sizeof *m, fds, FDIO_MAX, &nfds, MSG_DONTWAIT);
		for (i = 0; i < nfds; i++)
			close(fds[i]);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n != (ssize_t)sizeof *m)
			return -1;	/* gone: el_recv will say so */
		if (m->op == op && m->slot == slot && m->gen == gen && m->req == req)
			return 0;
		if (m->op != EGW_CA && m->op != EGW_DETACH) {
			/* Kept; with no room left, the rest stay unread
			 * (in the pair, in order) and the wait ends. */
			if (el_qn == EL_Q || (el_q[el_qn] = malloc(sizeof *m)) == NULL)
				return -1;
			memcpy(el_q[el_qn++], m, sizeof *m);
			if (el_qn == EL_Q)
				return -1;
		}
		clock_gettime(CLOCK_MONOTONIC, &t1);
		left = ms - ((t1.tv_sec - t0.tv_sec) * 1000 +
			     (t1.tv_nsec - t0.tv_nsec) / 1000000);
	}
	return -1;
}

/* After an attach with bound destinations: ward-egress's EGW_CA for it
 * (3 s at most), other messages kept; the file written, its name in ca. */
static void
el_ca_await(int eg, uint32_t slot, uint32_t gen, uint32_t req, char *ca, size_t cap)
{
	struct egw_msg *m = calloc(1, sizeof *m);
	char name[64];

	if (m != NULL && el_ca_at[0] != '\0' &&
	    el_await(eg, EGW_CA, slot, gen, req, m, 3000) == 0) {
		el_ca_name(slot, gen, name, sizeof name);
		if (m->pem_len > 0 && el_ca_write(m, name) == 0)
			snprintf(ca, cap, "%s", name);
	}
	free(m);
}

int
el_ca_env(struct sp_msg *sm, int k, const char *bound)
{
	/* SSL_CERT_FILE replaces OpenSSL's store, and REQUESTS_CA_BUNDLE,
	 * CURL_CA_BUNDLE, GIT_SSL_CAINFO theirs: the bundle holds the
	 * system's CAs too.  NODE_EXTRA_CA_CERTS adds to Node's own. */
	static const char *const names[] = {
		"SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE",
		"NODE_EXTRA_CA_CERTS", "GIT_SSL_CAINFO", "AWS_CA_BUNDLE",
	};
	size_t i;

	for (i = 0; bound != NULL && bound[0] != '\0' &&
		    i < sizeof names / sizeof names[0] && k < WB_ENV_MAX; i++)
		snprintf(sm->env[k++], sizeof sm->env[0], "%s=%s", names[i], WB_CA_PATH);
	return k;
}


int
el_attach(int eg, uint32_t slot, uint32_t gen, int job, const uint8_t ctx[16],
	  const char *bound, char *ca, size_t ca_cap, int *sandbox_end)
{
	struct egw_msg *m;
	int pp[2], rc;

	*sandbox_end = -1;
	if (ca_cap > 0)
		ca[0] = '\0';
	if (eg < 0)
		return -1;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pp) != 0)
		return -1;
	m = calloc(1, sizeof *m);
	if (m == NULL) {
		close(pp[0]);
		close(pp[1]);
		return -1;
	}
	m->op = EGW_ATTACH;
	m->slot = slot;
	m->gen = gen;
	m->req = (uint32_t)job + 1;
	memcpy(m->ctx, ctx, 16);
	if (bound != NULL)
		snprintf(m->bound, sizeof m->bound, "%s", bound);
	rc = fdio_send(eg, m, sizeof *m, &pp[0], 1) == (ssize_t)sizeof *m ? 0 : -1;
	free(m);
	close(pp[0]);
	if (rc != 0) {
		close(pp[1]);
		return -1;
	}
	*sandbox_end = pp[1];
	if (bound != NULL && bound[0] != '\0')
		el_ca_await(eg, slot, gen, (uint32_t)job + 1, ca, ca_cap);
	return 0;
}

int
el_detach(int eg, uint32_t slot, uint32_t gen, int job)
{
	struct egw_msg *m;
	int rc;

	if (eg < 0)
		return 0;
	if ((m = calloc(1, sizeof *m)) == NULL)
		return -1;
	m->op = EGW_DETACH;
	m->slot = slot;
	m->gen = gen;
	m->req = job < 0 ? 0 : (uint32_t)job + 1;
	rc = fdio_send(eg, m, sizeof *m, NULL, 0) == (ssize_t)sizeof *m ? 0 : -1;
	/* The whole transaction: ward-egress closes its connections, sends
	 * their lines, then says it is done (EGW_DETACH back); the lines are
	 * kept for el_kept_log, so that they reach the audit log before the
	 * transaction's context closes. */
	if (rc == 0 && job < 0)
		rc = el_await(eg, EGW_DETACH, slot, gen, 0, m, 2000);
	free(m);
	if (job < 0 && el_ca_at[0] != '\0') {
		/* The transaction ended: its CA's certificate goes too. */
		char name[64], path[4200];

		el_ca_name(slot, gen, name, sizeof name);
		snprintf(path, sizeof path, "%s/%s", el_ca_at, name);
		(void)unlink(path);
	}
	return rc;
}

int
el_kept_log(uint32_t slot, uint32_t gen, struct egw_msg *m)
{
	int i;

	for (i = 0; i < el_qn; i++)
		if (el_q[i]->op == EGW_LOG && el_q[i]->slot == slot &&
		    el_q[i]->gen == gen)
			break;
	if (i == el_qn)
		return 1;
	memcpy(m, el_q[i], sizeof *m);
	free(el_q[i]);
	memmove(el_q + i, el_q + i + 1, (size_t)(el_qn - i - 1) * sizeof el_q[0]);
	el_qn--;
	m->text[sizeof m->text - 1] = '\0';
	return 0;
}

int
el_recv(int eg, struct egw_msg *m)
{
	int fds[FDIO_MAX], nfds = 0, i;
	ssize_t n;

	if (el_qn > 0) {
		/* What came while el_attach waited, first. */
		memcpy(m, el_q[0], sizeof *m);
		free(el_q[0]);
		memmove(el_q, el_q + 1, (size_t)(el_qn - 1) * sizeof el_q[0]);
		el_qn--;
		m->dest[sizeof m->dest - 1] = '\0';
		m->text[sizeof m->text - 1] = '\0';
		return 0;
	}
	n = fdio_recv(eg, m, sizeof *m, fds, FDIO_MAX, &nfds, MSG_DONTWAIT);
	for (i = 0; i < nfds; i++)
		close(fds[i]);	/* ward-egress sends none */
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 1;
	if (n != (ssize_t)sizeof *m)
		return -1;
	m->dest[sizeof m->dest - 1] = '\0';
	m->text[sizeof m->text - 1] = '\0';
	return 0;
}

int
el_send(int eg, const struct egw_msg *m)
{
	return fdio_send(eg, m, sizeof *m, NULL, 0) == (ssize_t)sizeof *m ? 0 : -1;
}

/* ---- starting ward-egress through the spawner, and again after it died ---- */

static int el_restarts;			/* how many times it was started again */
static time_t el_started_at;		/* CLOCK_MONOTONIC seconds */
static time_t el_down_since;		/* 0: up (or never started) */
static int el_delay = 1;		/* seconds to wait before the next start */

static time_t
mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

static void __attribute__((format(printf, 1, 2)))
el_say(const char *fmt, ...)
{
	va_list ap;

	/* Loud whatever the verbosity: log/ward-broker.log. */
	fputs("ward-broker: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fflush(stderr);
}

int
el_spawn(int sp)
{
	struct sp_msg *m;
	int sv[2], rc;

	if (sp < 0 || socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
		return -1;
	m = calloc(1, sizeof *m);
	if (m == NULL) {
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	m->op = SP_EGRESS;
	rc = sp_send(sp, m, &sv[1], 1);
	free(m);
	close(sv[1]);
	if (rc != 0) {
		close(sv[0]);
		return -1;
	}
	el_started_at = mono();
	el_down_since = 0;
	return sv[0];
}

int
el_lost(int eg)
{
	time_t now = mono();

	if (eg >= 0)
		close(eg);
	/* Died soon after a start: wait twice as long before the next
	 * (1, 2, 4 ... 60 s); after a minute up, from 1 s again. */
	if (now - el_started_at < 60)
		el_delay = el_restarts == 0 ? 1 : (el_delay * 2 > 60 ? 60 : el_delay * 2);
	else
		el_delay = 1;
	el_down_since = now;
	el_say("ward-egress is gone: every connection of the running sandboxes "
	       "is refused (fail closed); it starts again for new sandboxes in "
	       "%d s at the earliest", el_delay);
	return -1;
}

int
el_ensure(int eg, int sp)
{
	if (eg >= 0 || el_down_since == 0 || mono() - el_down_since < el_delay)
		return eg;
	eg = el_spawn(sp);
	if (eg < 0) {
		el_down_since = mono();
		el_say("ward-egress could not be started again: new transactions "
		       "get no network (fail closed)");
		return -1;
	}
	el_restarts++;
	el_say("ward-egress started again (restart %d) for sandboxes started "
	       "from now on; those started before it died keep no proxy",
	       el_restarts);
	return eg;
}
