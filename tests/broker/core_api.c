/*
 * core_api.c -- the broker's view of a context's lifetime, against a
 * running ward-core ($WARD_HOME): a handle works while its context is
 * open, and is dead once the context closes -- approvals are refused, and
 * the context cannot be opened again.  Run by tests/suites/broker-
 * integration (handles_are_dead_after_the_context_closes).
 */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <sodium.h>

#include "wb.h"
#include "home.h"

static int
fail(const char *what, const struct wb_reply *r)
{
	printf("FAIL: %s (reason %s: %s)\n", what, r != NULL ?
	       cc_reason_name(r->reason) : "-", r != NULL ? r->detail : "");
	return 1;
}

int
main(void)
{
	struct ward_home h;
	struct wb_chain ch;
	struct wb_reply r;
	uint8_t op_sk[64], op_pk[32], hk_pk[32], hk_sk[64], ctx[16], d[32];
	char err[512];
	uint64_t now = (uint64_t)time(NULL);
	int s;

	if (sodium_init() < 0 || wh_resolve(&h, NULL, err, sizeof err) != 0 ||
	    wh_read_key(h.op_key, op_sk, 64, err, sizeof err) != 0) {
		printf("FAIL: setup: %s\n", err);
		return 1;
	}
	crypto_sign_ed25519_sk_to_pk(op_pk, op_sk);
	crypto_sign_keypair(hk_pk, hk_sk);
	randombytes_buf(ctx, sizeof ctx);
	memset(&ch, 0, sizeof ch);
	ch.n = 1;
	ch.blk[0].b.version = WARD_VERSION;
	ch.blk[0].b.kind = WARD_KIND_FS;
	ch.blk[0].b.r_read = 1;
	memcpy(ch.blk[0].b.issuer, op_pk, 32);
	memcpy(ch.blk[0].b.holder, hk_pk, 32);
	memcpy(ch.blk[0].b.context, ctx, 16);
	ch.blk[0].b.not_before = now - 60;
	ch.blk[0].b.not_after = now + 600;
	ch.blk[0].b.max_uses = 10;
	memcpy(ch.blk[0].b.scope, "/workspace", 10);
	ch.blk[0].b.scope_len = 10;
	if (wb_seal(&ch.blk[0], op_sk) != 0)
		return fail("seal", NULL);
	memset(d, 7, sizeof d);
	s = cc_connect(h.broker_url, 5000);
	if (s < 0 || cc_open_ctx(s, &ch, &r) != 0)
		return fail("no core", NULL);
	if (r.reason != 0)
		return fail("open context", &r);
	if (cc_approve(s, ctx, &ch, WARD_OP_FS_READ, "/workspace/a", d, 1, &r) != 0 ||
	    r.reason != 0)
		return fail("approval while open", &r);
	if (cc_close(s, ctx, &ch, &r) != 0 || r.reason != 0)
		return fail("close", &r);
	if (cc_approve(s, ctx, &ch, WARD_OP_FS_READ, "/workspace/a", d, 2, &r) != 0)
		return fail("no answer after close", NULL);
	if (r.reason == 0 || r.has_approval)
		return fail("an approval after the context closed", &r);
	if (cc_open_ctx(s, &ch, &r) != 0)
		return fail("no answer to reopen", NULL);
	if (r.reason == 0)
		return fail("the closed context was opened again", &r);
	printf("ok: after close, approval refused and reopen refused\n");
	cc_disconnect(s);
	return 0;
}
