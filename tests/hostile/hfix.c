/*
 * hfix.c -- see hfix.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <sodium.h>

#include "codec.h"
#include "crypto.h"
#include "client.h"
#include "home.h"
#include "hfix.h"

void
hf_die(const char *what)
{
	printf("FAIL fixture: %s\n", what);
	fflush(stdout);
	exit(1);
}

void
hf_key(struct hkey *k, uint8_t seed)
{
	uint8_t s[32];

	memset(s, seed, sizeof s);
	if (crypto_sign_seed_keypair(k->pk, k->sk, s) != 0)
		hf_die("crypto_sign_seed_keypair");
}

void
hf_random_key(struct hkey *k)
{
	crypto_sign_keypair(k->pk, k->sk);
}

void
hf_block(struct ward_block *b, const uint8_t *issuer, const uint8_t *holder,
	 const uint8_t *ctx, uint64_t now, uint32_t uses)
{
	memset(b, 0, sizeof *b);
	b->version = WARD_VERSION;
	b->kind = WARD_KIND_FS;
	b->r_invoke = b->r_read = b->r_write = b->r_delegate = 1;
	b->depth = WARD_CHAIN_MAX - 1;
	memcpy(b->issuer, issuer, WARD_KEY_BYTES);
	memcpy(b->holder, holder, WARD_KEY_BYTES);
	memcpy(b->context, ctx, WARD_CTX_BYTES);
	b->not_before = now - 3600;
	b->not_after = now + 3600;
	b->max_uses = uses;
	memcpy(b->scope, "/work", 5);
	b->scope_len = 5;
}

void
hf_seal(struct hblk *x, const uint8_t *sk)
{
	size_t len = 0, body;

	memset(x->b.sig, 0, sizeof x->b.sig);
	if (ward_block_encode(x->raw, sizeof x->raw, &x->b, &len) != WARD_OK)
		hf_die("ward_block_encode");
	body = WARD_BLOCK_HDR + x->b.scope_len;
	if (ward_block_id(x->id, x->raw, body) != 0 ||
	    ward_block_sign(x->b.sig, x->id, sk) != 0)
		hf_die("block id / sign");
	memcpy(x->raw + body, x->b.sig, WARD_SIG_BYTES);
	x->len = (uint32_t)len;
}

void
hf_child(struct hblk *c, const struct hblk *parent, const uint8_t *holder)
{
	c->b = parent->b;
	memcpy(c->b.parent, parent->id, WARD_ID_BYTES);
	memcpy(c->b.issuer, parent->b.holder, WARD_KEY_BYTES);
	memcpy(c->b.holder, holder, WARD_KEY_BYTES);
	if (c->b.depth > 0)
		c->b.depth--;
}

static void
run(char *const argv[])
{
	pid_t p = fork();
	int st;

	if (p < 0)
		hf_die("fork");
	if (p == 0) {
		int fd = open("/dev/null", O_WRONLY);

		dup2(fd, 1);
		execv(argv[0], argv);
		_exit(127);
	}
	if (waitpid(p, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
		hf_die(argv[0]);
}

void
hc_init(struct hcore *c, const char *tag)
{
	struct ward_home h;
	char err[512];

	memset(c, 0, sizeof *c);
	if (sodium_init() < 0)
		hf_die("sodium_init");
	snprintf(c->home, sizeof c->home, "%s/ward-%s-%d",
		 getenv("WARD_TEST_TMP") ? getenv("WARD_TEST_TMP") : "/tmp", tag,
		 (int)getpid());
	{
		char cmd[300];

		snprintf(cmd, sizeof cmd, "rm -rf '%s'", c->home);
		if (system(cmd) != 0)
			hf_die("rm -rf home");
	}
	{
		char *argv[] = { "build/ward", "init", "--home", c->home, NULL };

		run(argv);
	}
	if (wh_resolve(&h, c->home, err, sizeof err) != 0 ||
	    wh_read_key(h.op_key, c->op.sk, 64, err, sizeof err) != 0 ||
	    wh_read_key(h.op_pub, c->op.pk, 32, err, sizeof err) != 0 ||
	    wh_read_key(h.core_pub, c->core_pk, 32, err, sizeof err) != 0)
		hf_die(err);
	snprintf(c->admin, sizeof c->admin, "%s", h.admin_url);
	snprintf(c->broker, sizeof c->broker, "%s", h.broker_url);
	snprintf(c->log, sizeof c->log, "%s", h.log);
}

int
hc_start(struct hcore *c)
{
	char err_path[300];
	int i, st;

	snprintf(err_path, sizeof err_path, "%s/core.err", c->home);
	c->pid = fork();
	if (c->pid < 0)
		hf_die("fork");
	if (c->pid == 0) {
		int fd = open(err_path, O_WRONLY | O_CREAT | O_APPEND, 0600);
		char *argv[] = { "build/ward-core", "--home", c->home, NULL };

		dup2(fd, 2);
		execv(argv[0], argv);
		_exit(127);
	}
	/* Ready when status answers on the broker socket. */
	for (i = 0; i < 500; i++) {
		Ward__V1__Request q = WARD__V1__REQUEST__INIT;
		Ward__V1__Status s = WARD__V1__STATUS__INIT;
		Ward__V1__Reply *r;
		int sk;

		if (waitpid(c->pid, &st, WNOHANG) == c->pid) {
			c->pid = 0;
			return -1;
		}
		sk = wc_open(c->broker, 100);
		if (sk < 0)
			hf_die("wc_open");
		q.body_case = WARD__V1__REQUEST__BODY_STATUS;
		q.status = &s;
		r = hq_call(sk, &q);
		wc_close(sk);
		if (r != NULL) {
			ward__v1__reply__free_unpacked(r, NULL);
			return 0;
		}
		usleep(20000);
	}
	hf_die("ward-core did not answer within 10 s");
}

void
hc_stop(struct hcore *c, int sig)
{
	int st;

	if (c->pid <= 0)
		return;
	kill(c->pid, sig);
	waitpid(c->pid, &st, 0);
	c->pid = 0;
}

void
hc_cleanup(struct hcore *c)
{
	char cmd[300];

	hc_stop(c, SIGTERM);
	if (getenv("WARD_KEEP_HOME") != NULL)
		return;
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", c->home);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", c->home);
}

void
hq_chain(Ward__V1__Chain *ch, ProtobufCBinaryData *slots,
	 const struct hblk *blk, uint32_t n)
{
	uint32_t i;

	ward__v1__chain__init(ch);
	for (i = 0; i < n; i++) {
		slots[i].data = (uint8_t *)blk[i].raw;
		slots[i].len = blk[i].len;
	}
	ch->n_blocks = n;
	ch->blocks = slots;
}

Ward__V1__Reply *
hq_call_raw(int s, const uint8_t *buf, size_t len)
{
	Ward__V1__Reply *r;
	uint8_t *rep;
	size_t rl;

	if (wc_call(s, buf, len, &rep, &rl) != 0)
		return NULL;
	r = ward__v1__reply__unpack(NULL, rl, rep);
	free(rep);
	return r;
}

Ward__V1__Reply *
hq_call(int s, const Ward__V1__Request *q)
{
	size_t n = ward__v1__request__get_packed_size(q);
	uint8_t *buf = malloc(n ? n : 1);
	Ward__V1__Reply *r;

	if (buf == NULL)
		hf_die("malloc");
	ward__v1__request__pack(q, buf);
	r = hq_call_raw(s, buf, n);
	free(buf);
	return r;
}

Ward__V1__Reply *
hq_admin(int s, const struct hkey *op, const Ward__V1__Request *q)
{
	size_t n = ward__v1__request__get_packed_size(q), el;
	uint8_t *buf = malloc(n ? n : 1), *env;
	Ward__V1__Reply *r;

	if (buf == NULL)
		hf_die("malloc");
	ward__v1__request__pack(q, buf);
	env = wc_admin_wrap(op->sk, buf, n, (uint64_t)time(NULL), NULL, &el);
	free(buf);
	if (env == NULL)
		hf_die("wc_admin_wrap");
	r = hq_call_raw(s, env, el);
	free(env);
	return r;
}

Ward__V1__Reply *
hq_approve(int s, const uint8_t *ctx, const struct hblk *chain, uint32_t n,
	   uint32_t op, const char *res, uint64_t nonce)
{
	Ward__V1__Request q = WARD__V1__REQUEST__INIT;
	Ward__V1__Approve a = WARD__V1__APPROVE__INIT;
	Ward__V1__Chain ch;
	ProtobufCBinaryData slots[WARD_CHAIN_MAX];
	uint8_t digest[32];

	memset(digest, 0x5a, sizeof digest);
	hq_chain(&ch, slots, chain, n);
	a.context.data = (uint8_t *)ctx;
	a.context.len = WARD_CTX_BYTES;
	a.chain = &ch;
	a.op = op;
	a.resource.data = (uint8_t *)res;
	a.resource.len = strlen(res);
	a.digest.data = digest;
	a.digest.len = sizeof digest;
	a.nonce = nonce;
	q.body_case = WARD__V1__REQUEST__BODY_APPROVE;
	q.approve = &a;
	return hq_call(s, &q);
}

Ward__V1__Reply *
hq_open(int s, const struct hblk *chain, uint32_t n)
{
	Ward__V1__Request q = WARD__V1__REQUEST__INIT;
	Ward__V1__OpenContext oc = WARD__V1__OPEN_CONTEXT__INIT;
	Ward__V1__Chain ch;
	ProtobufCBinaryData slots[WARD_CHAIN_MAX];

	hq_chain(&ch, slots, chain, n);
	oc.grant = &ch;
	q.body_case = WARD__V1__REQUEST__BODY_OPEN_CONTEXT;
	q.open_context = &oc;
	return hq_call(s, &q);
}

Ward__V1__Reply *
hq_list(int s, const struct hkey *op, const uint8_t *ctx,
	const uint8_t *block_id)
{
	Ward__V1__Request q = WARD__V1__REQUEST__INIT;
	Ward__V1__ListContexts lc = WARD__V1__LIST_CONTEXTS__INIT;

	if (ctx != NULL) {
		lc.context.data = (uint8_t *)ctx;
		lc.context.len = WARD_CTX_BYTES;
	}
	if (block_id != NULL) {
		lc.block_id.data = (uint8_t *)block_id;
		lc.block_id.len = WARD_ID_BYTES;
	}
	q.body_case = WARD__V1__REQUEST__BODY_LIST_CONTEXTS;
	q.list_contexts = &lc;
	return op != NULL ? hq_admin(s, op, &q) : hq_call(s, &q);
}

const Ward__V1__ContextInfo *
hq_listed(const Ward__V1__Reply *r, const uint8_t *ctx)
{
	size_t i;

	for (i = 0; r != NULL && i < r->n_contexts; i++)
		if (r->contexts[i]->context.len == WARD_CTX_BYTES &&
		    memcmp(r->contexts[i]->context.data, ctx,
			   WARD_CTX_BYTES) == 0)
			return r->contexts[i];
	return NULL;
}
