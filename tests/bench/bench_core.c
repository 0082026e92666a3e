/*
 * bench_core.c -- what a decision of the verified core costs, next to the
 * cost of the cryptography it cannot avoid.
 *
 * Every line is timed with clock_gettime(CLOCK_MONOTONIC): the iteration
 * count is doubled until one run takes at least 0.3 s, then three runs of
 * that count are timed and the median is printed.  The process CPU time
 * over the same runs is printed beside it as a share of the wall time, so
 * that a busy machine shows in the table instead of in the conclusions.  A benchmark prints; it
 * never fails the build (the targets at the end say PASS or MISS).
 *
 * "Uncached" means the block-signature memo of crypto.c is empty at the
 * start of each operation: ward_sig_memo_clear() is called before every
 * one.  The clear (a sodium_memzero of the whole memo) is timed on its own
 * and subtracted; both the gross and the net figure are printed.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sodium.h>

#include "../unit/capfix.h"
#include "attenuate.h"

#if defined(__has_include)
#if __has_include("ledger.h") && __has_include("context.h")
#define BENCH_APPROVE 1
#endif
#endif
#ifndef BENCH_APPROVE
#define BENCH_APPROVE 0
#endif

#if BENCH_APPROVE
#include "approve.h"
#endif

#define MIN_RUN_S 0.3

static volatile int sink;	/* keeps results alive */

static double
clock_s(clockid_t id)
{
	struct timespec ts;

	if (clock_gettime(id, &ts) != 0) {
		perror("clock_gettime");
		exit(1);
	}
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double cpu_share;	/* CPU time / wall time of the last measure() */

/* Wall seconds for n operations; adds the CPU seconds used to *cpu. */
static double
run(void (*op)(void *), void *arg, uint64_t n, double *cpu)
{
	double t0 = clock_s(CLOCK_MONOTONIC);
	double c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
	uint64_t i;

	for (i = 0; i < n; i++)
		op(arg);
	*cpu += clock_s(CLOCK_PROCESS_CPUTIME_ID) - c0;
	return clock_s(CLOCK_MONOTONIC) - t0;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Seconds per operation: median of three runs of at least MIN_RUN_S. */
static double
measure(void (*op)(void *), void *arg, uint64_t *iters)
{
	uint64_t n = 1;
	double t[3], cpu = 0, wall = 0;
	int k;

	while (run(op, arg, n, &cpu) < MIN_RUN_S)
		n *= 2;
	cpu = 0;
	for (k = 0; k < 3; k++) {
		t[k] = run(op, arg, n, &cpu);
		wall += t[k];
		t[k] /= (double)n;
	}
	cpu_share = cpu / wall;
	qsort(t, 3, sizeof t[0], cmp_double);
	if (iters != NULL)
		*iters = n;
	return t[1];
}

static void
line(const char *what, double s, uint64_t n, const char *note)
{
	printf("  %-44s %10.2f %12.0f %10llu %5.0f%%  %s\n", what, s * 1e6,
	       1.0 / s, (unsigned long long)n, 100.0 * cpu_share, note);
}

/* ---- the operations ------------------------------------------------------ */

static uint8_t msg48[48];
static uint8_t sig48[WARD_SIG_BYTES];
static struct capfix fx[WARD_CHAIN_MAX + 1];	/* fx[d]: a chain of depth d */

static void
op_sign(void *arg)
{
	(void)arg;
	sink += crypto_sign_detached(sig48, NULL, msg48, sizeof msg48,
				     fx[1].key[CAPFIX_OPERATOR].sk);
}

static void
op_verify(void *arg)
{
	(void)arg;
	sink += crypto_sign_verify_detached(sig48, msg48, sizeof msg48,
					    fx[1].key[CAPFIX_OPERATOR].pk);
}

static void
op_clear(void *arg)
{
	(void)arg;
	ward_sig_memo_clear();
}

static void
op_chain_cached(void *arg)
{
	struct capfix *f = arg;

	sink += ward_chain_verify(&f->ch, &f->trust, &f->rv, CAPFIX_NOW);
}

static void
op_chain_uncached(void *arg)
{
	struct capfix *f = arg;

	ward_sig_memo_clear();
	sink += ward_chain_verify(&f->ch, &f->trust, &f->rv, CAPFIX_NOW);
}

static void
op_attenuation(void *arg)
{
	struct capfix *f = arg;

	sink += ward_attenuation_check(&f->blk[1], &f->blk[0]);
}

#if BENCH_APPROVE
static struct ward_core core;
static struct ward_audit alog;
static struct ward_request req;
static struct ward_decision dec;
static int approve_failed;

static void
op_approve_cached(void *arg)
{
	(void)arg;
	req.nonce++;
	if (ward_approve(&core, &alog, &req, &dec) != WARD_OK)
		approve_failed = 1;
}

static void
op_approve_uncached(void *arg)
{
	(void)arg;
	ward_sig_memo_clear();
	req.nonce++;
	if (ward_approve(&core, &alog, &req, &dec) != WARD_OK)
		approve_failed = 1;
}

/* A replayed nonce: the chain is checked (memo warm), the refusal's
 * record built, checked against the request (log_refusal) and appended. */
static int refuse_wrong;

static void
op_refuse_replay(void *arg)
{
	(void)arg;
	if (ward_approve(&core, &alog, &req, &dec) != WARD_E_REPLAY ||
	    dec.audit_pos == UINT64_MAX)
		refuse_wrong = 1;
}

/* The approval setup of test_approve.c, with a budget that the benchmark
 * cannot exhaust.  Returns 0 on success. */
static int
approve_setup(void)
{
	struct capfix *f = &fx[3];
	uint32_t i;

	for (i = 0; i < f->ch.n; i++)
		f->blk[i].max_uses = UINT32_MAX;
	capfix_reseal(f, 0);
	memset(&core, 0, sizeof core);
	memcpy(core.sk, f->key[CAPFIX_CORE].sk, WARD_SK_BYTES);
	core.trust = f->trust;
	ward_revset_init(&core.revoked);
	ward_ledger_init(&core.ledger);
	ward_contexts_init(&core.contexts);
	ward_audit_init(&alog);
	if (ward_context_open(&core.contexts, CAPFIX_CTX, NULL) != WARD_OK)
		return -1;
	memset(&req, 0, sizeof req);
	memcpy(req.context, CAPFIX_CTX, WARD_CTX_BYTES);
	req.op = WARD_OP_FS_READ;
	memcpy(req.resource, "/work/a.txt", 11);
	req.resource_len = 11;
	memset(req.digest, 0x11, sizeof req.digest);
	req.nonce = 0;
	req.now = CAPFIX_NOW;
	req.chain = f->ch;
	req.nonce++;
	return ward_approve(&core, &alog, &req, &dec) == WARD_OK ? 0 : -1;
}
#endif

/* A ratio and its target; a negative ratio was not measured. */
static void
target(const char *what, double ratio, double limit)
{
	if (ratio < 0)
		printf("  %-42s =   n/a  (target <= %.1f)  not measured\n",
		       what, limit);
	else
		printf("  %-42s = %5.2f  (target <= %.1f)  %s\n", what, ratio,
		       limit, ratio <= limit ? "PASS" : "MISS");
}

int
main(void)
{
	static const uint32_t depths[3] = { 1, 3, 8 };
	double t_sign, t_verify, t_clear, t_att;
	double t_cached[WARD_CHAIN_MAX + 1], t_unc[WARD_CHAIN_MAX + 1];
	uint64_t n;
	char what[64];
	uint32_t k;

	if (sodium_init() < 0 || ward_bucket_key_init() != 0) {
		fprintf(stderr, "bench_core: sodium_init failed\n");
		return 1;
	}
	for (k = 0; k < 3; k++) {
		capfix_init(&fx[depths[k]]);
		capfix_build(&fx[depths[k]], depths[k]);
		ward_sig_memo_clear();
		if (ward_chain_verify(&fx[depths[k]].ch, &fx[depths[k]].trust,
				      &fx[depths[k]].rv, CAPFIX_NOW) != WARD_OK) {
			fprintf(stderr, "bench_core: fixture chain refused\n");
			return 1;
		}
	}
	memset(msg48, 0x42, sizeof msg48);
	op_sign(NULL);

	printf("ward core benchmark (median of 3 runs of >= %.1f s each%s)\n",
	       MIN_RUN_S,
#ifdef __OPTIMIZE__
	       ""
#else
	       "; NOT OPTIMIZED, build with -O2"
#endif
	      );
	printf("  cpu = process CPU time / wall time over the timed runs; "
	       "well under 100%% means\n  the machine was busy and the "
	       "figures are pessimistic.\n");
	printf("  %-44s %10s %12s %10s %6s\n", "operation", "us/op", "ops/s",
	       "iters/run", "cpu");

	printf("the limit (libsodium, 48-byte message)\n");
	t_sign = measure(op_sign, NULL, &n);
	line("Ed25519 sign (crypto_sign_detached)", t_sign, n, "");
	t_verify = measure(op_verify, NULL, &n);
	line("Ed25519 verify (crypto_sign_verify_detached)", t_verify, n, "");
	if (sink != 0)
		printf("  (a libsodium call failed)\n");

	printf("chain verification (ward_chain_verify)\n");
	t_clear = measure(op_clear, NULL, &n);
	line("memo clear (ward_sig_memo_clear), alone", t_clear, n,
	     "subtracted below");
	for (k = 0; k < 3; k++) {
		struct capfix *f = &fx[depths[k]];
		double gross;

		sink = 0;
		ward_sig_memo_clear();
		op_chain_cached(f);
		t_cached[depths[k]] = measure(op_chain_cached, f, &n);
		snprintf(what, sizeof what, "depth %u, cached (memo warm)",
			 depths[k]);
		line(what, t_cached[depths[k]], n, "");
		gross = measure(op_chain_uncached, f, &n);
		t_unc[depths[k]] = gross - t_clear;
		snprintf(what, sizeof what, "depth %u, uncached (clear + verify)",
			 depths[k]);
		line(what, gross, n, "gross");
		snprintf(what, sizeof what, "depth %u, uncached, net of clear",
			 depths[k]);
		line(what, t_unc[depths[k]], n, "");
		if (sink != 0)
			printf("  (a verification failed: the figures are wrong)\n");
	}

	printf("attenuation\n");
	sink = 0;
	t_att = measure(op_attenuation, &fx[3], &n);
	line("ward_attenuation_check, one parent/child pair", t_att, n, "");
	if (sink != 0)
		printf("  (the check refused: the figure is wrong)\n");

	printf("approval decision (ward_approve, depth 3, fs.read)\n");
	{
		double r1 = -1, r2 = -1;
#if BENCH_APPROVE
		double t_ac, t_au, t_rr, gross;

		if (approve_setup() != 0) {
			printf("  approve: setup refused, not measured\n");
		} else {
			t_ac = measure(op_approve_cached, NULL, &n);
			line("approve, cached chain, fresh nonce", t_ac, n, "");
			gross = measure(op_approve_uncached, NULL, &n);
			t_au = gross - t_clear;
			line("approve, uncached (clear + approve)", gross, n,
			     "gross");
			line("approve, uncached, net of clear", t_au, n, "");
			if (approve_failed)
				printf("  (an approval was refused: the figures "
				       "are wrong)\n");
			t_rr = measure(op_refuse_replay, NULL, &n);
			line("refuse, replayed nonce, record logged", t_rr, n,
			     "");
			if (refuse_wrong)
				printf("  (a replay was not refused and logged: "
				       "the figure is wrong)\n");
			printf("  %-42s = %5.2f\n",
			       "refuse replayed / approve cached", t_rr / t_ac);
			r1 = t_ac / t_sign;
			r2 = t_au / (3.0 * t_verify + t_sign);
		}
#else
		printf("  approve: not built yet (core/ledger.h or "
		       "core/context.h missing)\n");
#endif
		printf("targets\n");
		target("approve cached depth 3 / one sign", r1, 1.5);
		target("approve uncached / (3 verify + 1 sign)", r2, 1.2);
	}
	printf("other ratios\n");
	for (k = 0; k < 3; k++) {
		snprintf(what, sizeof what, "chain depth %u uncached / %u verify",
			 depths[k], depths[k]);
		printf("  %-42s = %5.2f\n", what,
		       t_unc[depths[k]] / (depths[k] * t_verify));
	}
	for (k = 0; k < 3; k++) {
		snprintf(what, sizeof what, "chain depth %u cached / one verify",
			 depths[k]);
		printf("  %-42s = %5.2f\n", what, t_cached[depths[k]] / t_verify);
	}
	printf("  %-42s = %5.2f\n", "attenuation check / one verify",
	       t_att / t_verify);
	return 0;
}
