/*
 * bench.c -- the broker's benchmark (make bench, via tests/broker/bench.sh).
 *
 *   broker_bench agent N   inside a ward sandbox: N tools/call of the
 *                          trivial built-in tool 'echo', one at a time,
 *                          agent -> broker -> core (approval, durable audit
 *                          record) -> tool -> agent; p50, p99, calls/s
 *   broker_bench core N    outside: the bare approval round trip to
 *                          ward-core (broker.sock), the same request the
 *                          broker makes, for comparison
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sodium.h>

#include "wb.h"
#include "home.h"

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int
cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void
report(const char *what, uint64_t *lat, int n, uint64_t total)
{
	qsort(lat, (size_t)n, sizeof lat[0], cmp);
	printf("%-58s p50 %7.1f us  p99 %7.1f us  %8.0f calls/s  (n=%d)\n", what,
	       lat[n / 2] / 1e3, lat[(n * 99) / 100] / 1e3,
	       n / (total / 1e9), n);
}

static int
agent(int n)
{
	const char *fdv = getenv("WARD_FD");
	int fd = fdv != NULL ? atoi(fdv) : -1, i, warm = n / 10 + 10;
	uint64_t *lat = calloc((size_t)n, sizeof *lat), t0, total = 0;
	char req[256], buf[65536];
	size_t have = 0;

	if (fd < 0 || lat == NULL) {
		fprintf(stderr, "broker_bench agent: no WARD_FD\n");
		return 1;
	}
	for (i = -warm; i < n; i++) {
		int len = snprintf(req, sizeof req, "{\"jsonrpc\":\"2.0\",\"id\":%d,"
				   "\"method\":\"tools/call\",\"params\":{\"name\":"
				   "\"echo\",\"arguments\":{\"i\":%d}}}\n", i + warm,
				   i);
		char *nl = NULL;

		t0 = now_ns();
		if (write(fd, req, (size_t)len) != len)
			return 1;
		while ((nl = memchr(buf, '\n', have)) == NULL) {
			ssize_t r = read(fd, buf + have, sizeof buf - have);

			if (r <= 0)
				return 1;
			have += (size_t)r;
		}
		if (i >= 0) {
			lat[i] = now_ns() - t0;
			total += lat[i];
		}
		if (strstr(buf, "\"isError\":false") == NULL || nl - buf < 10) {
			fprintf(stderr, "broker_bench agent: call %d refused: %.*s\n",
				i, (int)(nl - buf), buf);
			return 1;
		}
		have -= (size_t)(nl + 1 - buf);
		memmove(buf, nl + 1, have);
	}
	report("tool_call echo: agent->broker->core->tool->agent", lat, n, total);
	free(lat);
	return 0;
}

static int
core(int n)
{
	struct ward_home h;
	struct wb_chain ch;
	struct wb_reply r;
	uint8_t op_sk[64], op_pk[32], hk_pk[32], hk_sk[64], ctx[16], d[32];
	uint64_t *lat = calloc((size_t)n, sizeof *lat), t0, total = 0;
	uint64_t now = (uint64_t)time(NULL);
	char err[512];
	int s, i, warm = n / 10 + 10;

	if (lat == NULL || sodium_init() < 0 ||
	    wh_resolve(&h, NULL, err, sizeof err) != 0 ||
	    wh_read_key(h.op_key, op_sk, 64, err, sizeof err) != 0) {
		fprintf(stderr, "broker_bench core: %s\n", err);
		return 1;
	}
	crypto_sign_ed25519_sk_to_pk(op_pk, op_sk);
	crypto_sign_keypair(hk_pk, hk_sk);
	randombytes_buf(ctx, sizeof ctx);
	memset(&ch, 0, sizeof ch);
	ch.n = 1;
	ch.blk[0].b.version = WARD_VERSION;
	ch.blk[0].b.kind = WARD_KIND_TOOL;
	ch.blk[0].b.r_invoke = 1;
	memcpy(ch.blk[0].b.issuer, op_pk, 32);
	memcpy(ch.blk[0].b.holder, hk_pk, 32);
	memcpy(ch.blk[0].b.context, ctx, 16);
	ch.blk[0].b.not_before = now - 60;
	ch.blk[0].b.not_after = now + 3600;
	ch.blk[0].b.max_uses = (uint32_t)(n + warm + 10);
	memcpy(ch.blk[0].b.scope, "echo", 4);
	ch.blk[0].b.scope_len = 4;
	if (wb_seal(&ch.blk[0], op_sk) != 0)
		return 1;
	sodium_memzero(op_sk, sizeof op_sk);
	memset(d, 7, sizeof d);
	s = cc_connect(h.broker_url, 5000);
	if (s < 0 || cc_open_ctx(s, &ch, &r) != 0 || r.reason != 0) {
		fprintf(stderr, "broker_bench core: cannot open a context (is "
			"ward-core running?)\n");
		return 1;
	}
	for (i = -warm; i < n; i++) {
		t0 = now_ns();
		if (cc_approve(s, ctx, &ch, WARD_OP_TOOL_INVOKE, "echo", d,
			       (uint64_t)(i + warm + 1), &r) != 0 || r.reason != 0) {
			fprintf(stderr, "broker_bench core: approval %d refused: %s\n",
				i, r.detail);
			return 1;
		}
		if (i >= 0) {
			lat[i] = now_ns() - t0;
			total += lat[i];
		}
	}
	report("bare core approval round trip: broker.sock (same run)", lat, n,
	       total);
	if (cc_close(s, ctx, &ch, &r) != 0)
		fprintf(stderr, "broker_bench core: close: no answer\n");
	cc_disconnect(s);
	free(lat);
	return 0;
}

int
main(int argc, char **argv)
{
	int n = argc > 2 ? atoi(argv[2]) : 2000;

	if (argc < 2 || n <= 0) {
		fprintf(stderr, "usage: broker_bench agent|core [N]\n");
		return 2;
	}
	if (strcmp(argv[1], "agent") == 0)
		return agent(n);
	if (strcmp(argv[1], "core") == 0)
		return core(n);
	fprintf(stderr, "usage: broker_bench agent|core [N]\n");
	return 2;
}
