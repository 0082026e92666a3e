/*
 * test_handoff.c -- capabilities handed across exec to a keyless program
 * (common/handoff.c): what is written is what is read, and a handoff that
 * could have been changed (not sealed), cut, padded, or holding a block
 * for another context or holder is refused.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sodium.h>

#include "t.h"
#include "handoff.h"

static uint8_t ctx[WARD_CTX_BYTES], hpk[32], hsk[64], opk[32], osk[64];
static struct ho_grant g[3], back[HO_MAX];

static void
block(struct ho_grant *x, uint16_t srv, uint16_t allow, const char *scope,
      const uint8_t *context, const uint8_t *holder)
{
	struct ward_block *b = &x->blk.b;

	memset(x, 0, sizeof *x);
	x->srv = srv;
	x->allow = allow;
	b->version = WARD_VERSION;
	b->kind = WARD_KIND_TOOL;
	b->r_invoke = 1;
	memcpy(b->issuer, opk, 32);
	memcpy(b->holder, holder, 32);
	memcpy(b->context, context, WARD_CTX_BYTES);
	b->not_before = 1;
	b->not_after = 2000000000;
	b->max_uses = 7;
	b->scope_len = (uint16_t)strlen(scope);
	memcpy(b->scope, scope, b->scope_len);
	if (wb_seal(&x->blk, osk) != 0) {
		fprintf(stderr, "wb_seal failed\n");
		exit(2);
	}
}

static void
setup(void)
{
	if (sodium_init() < 0)
		exit(2);
	randombytes_buf(ctx, sizeof ctx);
	crypto_sign_keypair(hpk, hsk);
	crypto_sign_keypair(opk, osk);
	block(&g[0], 0, 0, "mcp:files.read", ctx, hpk);
	block(&g[1], 0, 3, "mcp:files.write", ctx, hpk);
	block(&g[2], 5, 1, "mcp:web.fetch", ctx, hpk);
}

/* The bytes of a good handoff, into buf; their length. */
static size_t
good_bytes(uint8_t *buf, size_t cap)
{
	char err[256];
	int fd = ho_write(ctx, hpk, g, 3, err, sizeof err);
	ssize_t n;

	if (fd < 0) {
		fprintf(stderr, "ho_write: %s\n", err);
		exit(2);
	}
	n = pread(fd, buf, cap, 0);
	close(fd);
	return n > 0 ? (size_t)n : 0;
}

/* A memfd holding len bytes of buf, sealed if seal. */
static int
memfd_of(const uint8_t *buf, size_t len, int seal)
{
	int fd = memfd_create("t", MFD_ALLOW_SEALING);

	if (fd < 0 || write(fd, buf, len) != (ssize_t)len)
		exit(2);
	if (seal && fcntl(fd, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK |
			  F_SEAL_GROW | F_SEAL_WRITE) != 0)
		exit(2);
	return fd;
}

static int
read_back(int fd, uint32_t *n)
{
	uint8_t c2[WARD_CTX_BYTES], k2[32];
	char err[256];
	int r = ho_read(fd, c2, k2, back, HO_MAX, n, err, sizeof err);

	close(fd);
	return r;
}

TEST(handoff_round_trip)
{
	uint8_t c2[WARD_CTX_BYTES], k2[32];
	char err[256];
	uint32_t n = 99, i;
	int fd = ho_write(ctx, hpk, g, 3, err, sizeof err);

	EXPECT(fd >= 0);
	EXPECT((fcntl(fd, F_GETFD) & FD_CLOEXEC) == 0);
	EXPECT_EQ(ho_read(fd, c2, k2, back, HO_MAX, &n, err, sizeof err), 0);
	close(fd);
	EXPECT_EQ(n, 3);
	EXPECT(memcmp(c2, ctx, sizeof ctx) == 0);
	EXPECT(memcmp(k2, hpk, sizeof hpk) == 0);
	for (i = 0; i < 3; i++) {
		EXPECT_EQ(back[i].srv, g[i].srv);
		EXPECT_EQ(back[i].allow, g[i].allow);
		EXPECT_EQ(back[i].blk.len, g[i].blk.len);
		EXPECT(memcmp(back[i].blk.id, g[i].blk.id, WARD_ID_BYTES) == 0);
		EXPECT(back[i].blk.b.scope_len == g[i].blk.b.scope_len &&
		       memcmp(back[i].blk.b.scope, g[i].blk.b.scope,
			      g[i].blk.b.scope_len) == 0);
	}
}

TEST(handoff_is_sealed)
{
	char err[256];
	int fd = ho_write(ctx, hpk, g, 3, err, sizeof err);

	EXPECT(fd >= 0);
	EXPECT(write(fd, "x", 1) < 0);
	EXPECT(ftruncate(fd, 10) != 0);
	close(fd);
}

TEST(unsealed_handoff_refused)
{
	uint8_t buf[8192];
	size_t len = good_bytes(buf, sizeof buf);
	uint32_t n;

	EXPECT(len > 0);
	EXPECT_EQ(read_back(memfd_of(buf, len, 0), &n), -1);
	EXPECT_EQ(read_back(memfd_of(buf, len, 1), &n), 0);
}

TEST(cut_or_padded_handoff_refused)
{
	uint8_t buf[8192];
	size_t len = good_bytes(buf, sizeof buf);
	uint32_t n;

	EXPECT_EQ(read_back(memfd_of(buf, len - 1, 1), &n), -1);
	EXPECT_EQ(read_back(memfd_of(buf, 100, 1), &n), -1);
	buf[len] = 0;
	EXPECT_EQ(read_back(memfd_of(buf, len + 1, 1), &n), -1);
	/* A count larger than the blocks that follow. */
	buf[8 + WARD_CTX_BYTES + 32] = 4;
	EXPECT_EQ(read_back(memfd_of(buf, len, 1), &n), -1);
}

TEST(tampered_block_refused)
{
	uint8_t buf[8192];
	size_t len = good_bytes(buf, sizeof buf);
	size_t first = 8 + WARD_CTX_BYTES + 32 + 4 + 8;
	uint32_t n;

	/* The first block's version byte: no longer decodes. */
	buf[first] ^= 0xff;
	EXPECT_EQ(read_back(memfd_of(buf, len, 1), &n), -1);
}

TEST(block_of_another_context_or_holder_refused)
{
	uint8_t other[WARD_CTX_BYTES], opk2[32], osk2[64];
	char err[256];
	uint32_t n;
	int fd;

	memcpy(other, ctx, sizeof other);
	other[0] ^= 1;
	block(&g[1], 0, 3, "mcp:files.write", other, hpk);
	fd = ho_write(ctx, hpk, g, 3, err, sizeof err);
	EXPECT_EQ(read_back(fd, &n), -1);
	crypto_sign_keypair(opk2, osk2);
	block(&g[1], 0, 3, "mcp:files.write", ctx, opk2);
	fd = ho_write(ctx, hpk, g, 3, err, sizeof err);
	EXPECT_EQ(read_back(fd, &n), -1);
	block(&g[1], 0, 3, "mcp:files.write", ctx, hpk);
	fd = ho_write(ctx, hpk, g, 3, err, sizeof err);
	EXPECT_EQ(read_back(fd, &n), 0);
}

TEST(too_many_refused)
{
	char err[256];

	EXPECT_EQ(ho_write(ctx, hpk, g, HO_MAX + 1, err, sizeof err), -1);
	EXPECT(strstr(err, "at most") != NULL);
}

int
main(void)
{
	setup();
	RUN(handoff_round_trip);
	RUN(handoff_is_sealed);
	RUN(unsealed_handoff_refused);
	RUN(cut_or_padded_handoff_refused);
	RUN(tampered_block_refused);
	RUN(block_of_another_context_or_holder_refused);
	RUN(too_many_refused);
	T_EXIT();
}
