/*
 * durable.c -- persist-before-release, observed from outside: no reply
 * leaves ward-core before the fsync/fdatasync that makes its audit record
 * durable.
 *
 * ward-core runs with an LD_PRELOAD shim (synctrace.c) that logs, in one
 * global order, every completed sync with the size of the synced file, and
 * every byte about to go out on a socket.  Clients then open a context,
 * approve concurrently (so that batches hold many replies), get refusals,
 * send an admin request and close the context, keeping every reply's bytes
 * and the audit position it names.  After the core stopped, for each reply:
 * find the send that carried its bytes, and require that before it a sync
 * of the audit log had completed with the file already holding the whole
 * frame of the named record (offsets read back from the log on disk).
 *
 *   approval_reply_sent_only_after_its_record_is_synced
 *   refusal_reply_sent_only_after_its_record_is_synced
 *   context_reply_sent_only_after_its_record_is_synced   (open, admin, close)
 */
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sodium.h>

#include "approve.h"
#include "client.h"
#include "hfix.h"
#include "journal.h"

#define THREADS 4
#define PER_THREAD 20
#define MAX_REPLIES 256
#define MAX_RECS 4096

enum cls { CL_APPROVAL, CL_REFUSAL, CL_CONTEXT, CL_N };

static const char *const test_name[CL_N] = {
	"approval_reply_sent_only_after_its_record_is_synced",
	"refusal_reply_sent_only_after_its_record_is_synced",
	"context_reply_sent_only_after_its_record_is_synced",
};

struct reply {
	enum cls cls;
	uint64_t pos;
	uint8_t *bytes;
	size_t len;
};

static struct hcore C;
static struct hkey agent, agent2;
/* One context per client (each has its own nonce window). */
struct grant {
	struct hblk ch[2];
	uint8_t ctx[16];
};
static struct grant g[THREADS + 1];
static uint64_t now;

static struct reply replies[MAX_REPLIES];
static int n_replies;
static pthread_mutex_t rmu = PTHREAD_MUTEX_INITIALIZER;
static char setup_err[256];

/* Send q on s; keep the reply if it names an audit record. */
static Ward__V1__Reply *
call(int s, const uint8_t *req, size_t len, enum cls cls)
{
	Ward__V1__Reply *r;
	uint8_t *rep;
	size_t rl;

	if (wc_call(s, req, len, &rep, &rl) != 0)
		return NULL;
	r = ward__v1__reply__unpack(NULL, rl, rep);
	if (r == NULL) {
		free(rep);
		return NULL;
	}
	pthread_mutex_lock(&rmu);
	if (n_replies < MAX_REPLIES) {
		replies[n_replies].cls = cls;
		replies[n_replies].pos = r->audit_pos;
		replies[n_replies].bytes = rep;
		replies[n_replies].len = rl;
		n_replies++;
		rep = NULL;
	}
	pthread_mutex_unlock(&rmu);
	free(rep);
	return r;
}

static Ward__V1__Reply *
call_q(int s, const Ward__V1__Request *q, enum cls cls)
{
	uint8_t buf[16384];
	size_t n = ward__v1__request__get_packed_size(q);

	if (n > sizeof buf)
		hf_die("request too large");
	ward__v1__request__pack(q, buf);
	return call(s, buf, n, cls);
}

static Ward__V1__Reply *
approve(int s, const struct grant *gr, const char *res, uint64_t nonce,
	enum cls cls)
{
	Ward__V1__Request q = WARD__V1__REQUEST__INIT;
	Ward__V1__Approve a = WARD__V1__APPROVE__INIT;
	Ward__V1__Chain c;
	ProtobufCBinaryData slots[2];
	uint8_t digest[32];

	memset(digest, 0x5a, sizeof digest);
	hq_chain(&c, slots, gr->ch, 2);
	a.context.data = (uint8_t *)gr->ctx;
	a.context.len = 16;
	a.chain = &c;
	a.op = WARD_OP_FS_READ;
	a.resource.data = (uint8_t *)res;
	a.resource.len = strlen(res);
	a.digest.data = digest;
	a.digest.len = sizeof digest;
	a.nonce = nonce;
	q.body_case = WARD__V1__REQUEST__BODY_APPROVE;
	q.approve = &a;
	return call_q(s, &q, cls);
}

static void
note_setup(const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&rmu);
	if (setup_err[0] == '\0') {
		va_start(ap, fmt);
		vsnprintf(setup_err, sizeof setup_err, fmt, ap);
		va_end(ap);
	}
	pthread_mutex_unlock(&rmu);
}

/* A context opened from a fresh operator grant, on socket s. */
static int
open_grant(int s, struct grant *gr)
{
	Ward__V1__Request q = WARD__V1__REQUEST__INIT;
	Ward__V1__OpenContext oc = WARD__V1__OPEN_CONTEXT__INIT;
	Ward__V1__Chain c;
	ProtobufCBinaryData slots[1];
	Ward__V1__Reply *r;
	int ok;

	randombytes_buf(gr->ctx, sizeof gr->ctx);
	hf_block(&gr->ch[0].b, C.op.pk, agent.pk, gr->ctx, now, 1000);
	hf_seal(&gr->ch[0], C.op.sk);
	hf_child(&gr->ch[1], &gr->ch[0], agent2.pk);
	hf_seal(&gr->ch[1], agent.sk);
	hq_chain(&c, slots, gr->ch, 1);
	oc.grant = &c;
	q.body_case = WARD__V1__REQUEST__BODY_OPEN_CONTEXT;
	q.open_context = &oc;
	r = call_q(s, &q, CL_CONTEXT);
	ok = r != NULL && r->reason == 0;
	if (!ok)
		note_setup("cannot open a context from an operator grant: %s",
			   r ? r->detail : "no reply");
	if (r)
		ward__v1__reply__free_unpacked(r, NULL);
	return ok ? 0 : -1;
}

static void *
worker(void *arg)
{
	struct grant *gr = arg;
	int s = wc_open(C.broker, 10000), i;

	if (s < 0) {
		note_setup("cannot connect a client");
		return NULL;
	}
	if (open_grant(s, gr) == 0)
		for (i = 0; i < PER_THREAD; i++) {
			Ward__V1__Reply *r = approve(s, gr, "/work/d.txt",
						     1 + (uint64_t)i, CL_APPROVAL);

			if (r == NULL || r->reason != 0 || r->approval == NULL)
				note_setup("an approval was refused: %s",
					   r ? r->detail : "no reply");
			if (r)
				ward__v1__reply__free_unpacked(r, NULL);
		}
	wc_close(s);
	return NULL;
}

static void
workload(void)
{
	Ward__V1__Request q = WARD__V1__REQUEST__INIT;
	Ward__V1__CloseContext cc = WARD__V1__CLOSE_CONTEXT__INIT;
	Ward__V1__Revoke rv = WARD__V1__REVOKE__INIT;
	Ward__V1__Chain c;
	ProtobufCBinaryData slots[2];
	pthread_t th[THREADS];
	struct grant *own = &g[THREADS];
	Ward__V1__Reply *r;
	uint8_t junk[32], req[256], *env;
	size_t n, el;
	int B, A, i;

	B = wc_open(C.broker, 10000);
	A = wc_open(C.admin, 10000);
	if (B < 0 || A < 0)
		hf_die("cannot connect");

	/* Approvals from several clients at once: batches of many replies. */
	for (i = 0; i < THREADS; i++)
		pthread_create(&th[i], NULL, worker, &g[i]);
	for (i = 0; i < THREADS; i++)
		pthread_join(th[i], NULL);

	/* Refusals, each with a BLOCKED record. */
	if (open_grant(B, own) != 0)
		hf_die(setup_err);
	for (i = 0; i < 8; i++) {
		r = approve(B, own, "/etc/passwd", 1 + (uint64_t)i, CL_REFUSAL);
		if (r == NULL || r->reason == 0)
			note_setup("an out-of-scope request was not refused");
		if (r)
			ward__v1__reply__free_unpacked(r, NULL);
	}

	/* An operator request: revoke an id nobody uses. */
	randombytes_buf(junk, sizeof junk);
	rv.block_id.data = junk;
	rv.block_id.len = sizeof junk;
	q.body_case = WARD__V1__REQUEST__BODY_REVOKE;
	q.revoke = &rv;
	n = ward__v1__request__pack(&q, req);
	env = wc_admin_wrap(C.op.sk, req, n, (uint64_t)time(NULL), NULL, &el);
	if (env == NULL)
		hf_die("wc_admin_wrap");
	r = call(A, env, el, CL_CONTEXT);
	free(env);
	if (r == NULL || r->reason != 0)
		note_setup("the operator's revoke was refused: %s",
			   r ? r->detail : "no reply");
	if (r)
		ward__v1__reply__free_unpacked(r, NULL);

	/* Close. */
	ward__v1__request__init(&q);
	hq_chain(&c, slots, own->ch, 2);
	cc.context.data = own->ctx;
	cc.context.len = 16;
	cc.chain = &c;
	q.body_case = WARD__V1__REQUEST__BODY_CLOSE_CONTEXT;
	q.close_context = &cc;
	r = call_q(B, &q, CL_CONTEXT);
	if (r == NULL || r->reason != 0)
		note_setup("close was refused: %s", r ? r->detail : "no reply");
	if (r)
		ward__v1__reply__free_unpacked(r, NULL);
	wc_close(B);
	wc_close(A);
}

/* ---- the log on disk: where each record's frame ends ---------------------- */

static uint64_t rec_end[MAX_RECS];
static uint64_t n_recs;

static int
note_end(const struct jr_rec *r, void *arg)
{
	(void)arg;
	if (r->seq < MAX_RECS) {
		rec_end[r->seq] = r->off + JR_FRAME_OVER + r->len;
		if (r->seq + 1 > n_recs)
			n_recs = r->seq + 1;
	}
	return 0;
}

/* ---- the trace ------------------------------------------------------------ */

struct ev {
	uint64_t n;
	char kind;		/* 'D' or 'S' */
	long long size;		/* D: file size after the sync */
	char *hex;		/* S: the bytes */
};

static struct ev *evs;
static size_t n_evs;
static char log_real[PATH_MAX];

static int
read_trace(const char *path)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0, alloc = 0;
	ssize_t got;

	if (f == NULL)
		return -1;
	while ((got = getline(&line, &cap, f)) > 0) {
		unsigned long long n;
		char kind;
		int fd, off = 0;
		long long v;

		if (line[got - 1] == '\n')
			line[got - 1] = '\0';
		if (sscanf(line, "%llu %c %d %lld%*[+]%n", &n, &kind, &fd, &v,
			   &off) < 4)
			continue;
		if (off == 0 && sscanf(line, "%llu %c %d %lld%n", &n, &kind, &fd,
				       &v, &off) < 4)
			continue;
		while (line[off] == ' ')
			off++;
		if (kind == 'D' && strcmp(line + off, log_real) != 0)
			continue;	/* a sync of another file */
		if (n_evs == alloc) {
			alloc = alloc ? 2 * alloc : 1024;
			evs = realloc(evs, alloc * sizeof *evs);
			if (evs == NULL)
				hf_die("out of memory");
		}
		evs[n_evs].n = n;
		evs[n_evs].kind = kind;
		evs[n_evs].size = v;
		evs[n_evs].hex = kind == 'S' ? strdup(line + off) : NULL;
		n_evs++;
	}
	free(line);
	fclose(f);
	return 0;
}

static void
to_hex(char *out, const uint8_t *b, size_t n)
{
	static const char hx[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hx[b[i] >> 4];
		out[2 * i + 1] = hx[b[i] & 15];
	}
	out[2 * n] = '\0';
}

/* "" if reply r left after a sync that covered its record, else why. */
static const char *
check_reply(const struct reply *r)
{
	static char why[300];
	char *hex = malloc(2 * r->len + 1);
	uint64_t send_n = 0, need;
	size_t i;
	int found = 0;

	if (hex == NULL)
		hf_die("out of memory");
	to_hex(hex, r->bytes, r->len);
	for (i = 0; i < n_evs; i++)
		if (evs[i].kind == 'S' && strstr(evs[i].hex, hex) != NULL &&
		    (!found || evs[i].n < send_n)) {
			send_n = evs[i].n;
			found = 1;
		}
	free(hex);
	if (!found)
		return "its bytes are in no send the shim saw";
	if (r->pos >= n_recs) {
		snprintf(why, sizeof why, "it names audit record %llu, which is "
			 "not on disk", (unsigned long long)r->pos);
		return why;
	}
	need = rec_end[r->pos];
	for (i = 0; i < n_evs; i++)
		if (evs[i].kind == 'D' && evs[i].n < send_n &&
		    evs[i].size >= 0 && (uint64_t)evs[i].size >= need)
			return "";
	snprintf(why, sizeof why, "the reply naming audit record %llu (frame "
		 "ending at byte %llu) was sent (event %llu) before any sync of "
		 "the audit log covering it", (unsigned long long)r->pos,
		 (unsigned long long)need, (unsigned long long)send_n);
	return why;
}

int
main(void)
{
	char trace[300], shim[PATH_MAX];
	struct jr_result res;
	int cnt[CL_N] = { 0 }, bad[CL_N] = { 0 }, failures = 0, i, k, syncs = 0;
	char why[CL_N][300];

	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	hc_init(&C, "durable");
	if (realpath("build/hostile/synctrace.so", shim) == NULL)
		hf_die("build/hostile/synctrace.so is missing (run make)");
	/* In state/: the one folder ward-core may write once confined. */
	snprintf(trace, sizeof trace, "%s/state/sync.trace", C.home);
	setenv("LD_PRELOAD", shim, 1);
	setenv("WARD_SYNC_TRACE", trace, 1);
	if (hc_start(&C) != 0)
		hf_die("ward-core did not start under the trace shim");
	unsetenv("LD_PRELOAD");
	unsetenv("WARD_SYNC_TRACE");
	now = (uint64_t)time(NULL);
	hf_key(&agent, 21);
	hf_key(&agent2, 22);

	workload();
	hc_stop(&C, SIGTERM);
	if (setup_err[0] != '\0')
		hf_die(setup_err);

	if (realpath(C.log, log_real) == NULL)
		hf_die("the audit log is missing");
	if (jr_scan(C.log, C.core_pk, note_end, NULL, &res) != 0 || !res.ok)
		hf_die(res.why[0] != '\0' ? res.why : "the audit log does not verify");
	if (read_trace(trace) != 0)
		hf_die("no trace: the shim did not load into ward-core");
	for (i = 0; i < (int)n_evs; i++)
		syncs += evs[i].kind == 'D';

	for (k = 0; k < n_replies; k++) {
		const char *w = check_reply(&replies[k]);
		enum cls c = replies[k].cls;

		cnt[c]++;
		if (*w != '\0' && bad[c]++ == 0)
			snprintf(why[c], sizeof why[c], "%s", w);
	}
	for (i = 0; i < CL_N; i++) {
		if (cnt[i] == 0) {
			printf("FAIL %s: no reply of this kind was checked\n",
			       test_name[i]);
			failures++;
		} else if (bad[i] > 0) {
			printf("FAIL %s: %d of %d replies left early (%d syncs of "
			       "the log seen); first: %s\n", test_name[i], bad[i],
			       cnt[i], syncs, why[i]);
			failures++;
		} else {
			printf("PASS %s\n", test_name[i]);
		}
	}
	hc_cleanup(&C);
	return failures ? 1 : 0;
}
