/*
 * test_vault.c -- ward-core's vault (server/vault.c): a value set is kept
 * across a restart, is never in the vault file in the clear, is released
 * only sealed to ward-egress's key with the hash of the approval it is
 * for, cannot be moved to another name by editing the file, and a damaged
 * or loosely owned file stops the core instead of being half read.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sodium.h>

#include "t.h"
#include "home.h"
#include "vault.h"

static char base[64], keys[96], state[96], pub[96];
static uint8_t epk[crypto_box_PUBLICKEYBYTES], esk[crypto_box_SECRETKEYBYTES];
static const char VAL[] = "sk-live-0123456789abcdef";

static void
fresh(int with_egress)
{
	char cmd[256], err[256], p[128];

	snprintf(cmd, sizeof cmd, "rm -rf %s", base);
	if (base[0] != '\0' && system(cmd) != 0)
		exit(2);
	snprintf(base, sizeof base, "/tmp/ward-vault-XXXXXX");
	if (mkdtemp(base) == NULL)
		exit(2);
	snprintf(keys, sizeof keys, "%s/keys", base);
	snprintf(state, sizeof state, "%s/state", base);
	snprintf(pub, sizeof pub, "%s/pub", base);
	if (mkdir(keys, 0700) || mkdir(state, 0700) || mkdir(pub, 0755))
		exit(2);
	if (with_egress) {
		crypto_box_keypair(epk, esk);
		snprintf(p, sizeof p, "%s/egress.pub", pub);
		if (wh_write_key(p, epk, sizeof epk, err, sizeof err) != 0 ||
		    chmod(p, 0644) != 0)
			exit(2);
	}
}

static int
file_has(const char *path, const void *needle, size_t n)
{
	static uint8_t buf[1 << 20];
	FILE *f = fopen(path, "rb");
	size_t len, i;

	if (f == NULL)
		return -1;
	len = fread(buf, 1, sizeof buf, f);
	fclose(f);
	for (i = 0; i + n <= len; i++)
		if (memcmp(buf + i, needle, n) == 0)
			return 1;
	return 0;
}

TEST(set_survives_restart_and_file_holds_no_value)
{
	char err[256], vp[128];
	const char *names[VAULT_MAX];
	uint32_t n;

	fresh(1);
	EXPECT_EQ(vault_open(keys, state, pub, err, sizeof err), 0);
	EXPECT_EQ(vault_set("OPENAI_KEY", (const uint8_t *)VAL, strlen(VAL),
			    err, sizeof err), 0);
	EXPECT_EQ(vault_set("A_FIRST", (const uint8_t *)"x", 1, err, sizeof err), 0);
	EXPECT_EQ(vault_open(keys, state, pub, err, sizeof err), 0);
	vault_names(names, &n);
	EXPECT_EQ(n, 2);
	EXPECT(n == 2 && strcmp(names[0], "A_FIRST") == 0 &&
	       strcmp(names[1], "OPENAI_KEY") == 0);
	snprintf(vp, sizeof vp, "%s/vault", state);
	EXPECT_EQ(file_has(vp, VAL, strlen(VAL)), 0);
	EXPECT_EQ(file_has(vp, "OPENAI_KEY", 10), 1);
}

TEST(sealed_only_to_egress_with_the_approvals_hash)
{
	uint8_t out[VAULT_SEALED_MAX], pt[VAULT_SEALED_MAX], h[32];
	uint8_t other_pk[32], other_sk[32];
	const uint8_t apr[] = "an approval message";
	char err[256];
	size_t len = 0;

	fresh(1);
	EXPECT_EQ(vault_open(keys, state, pub, err, sizeof err), 0);
	EXPECT_EQ(vault_set("K", (const uint8_t *)VAL, strlen(VAL), err,
			    sizeof err), 0);
	EXPECT_EQ(vault_seal("K", apr, sizeof apr, out, &len), 0);
	EXPECT_EQ(len, crypto_box_SEALBYTES + 32 + strlen(VAL));
	EXPECT_EQ(crypto_box_seal_open(pt, out, len, epk, esk), 0);
	crypto_generichash(h, 32, apr, sizeof apr, NULL, 0);
	EXPECT(memcmp(pt, h, 32) == 0);
	EXPECT(memcmp(pt + 32, VAL, strlen(VAL)) == 0);
	crypto_box_keypair(other_pk, other_sk);
	EXPECT(crypto_box_seal_open(pt, out, len, other_pk, other_sk) != 0);
	EXPECT(vault_seal("NOPE", apr, sizeof apr, out, &len) != 0);
	/* A value is never in the clear in the sealed bytes either. */
	EXPECT(memmem(out, len, VAL, strlen(VAL)) == NULL);
}

TEST(no_egress_key_nothing_released)
{
	uint8_t out[VAULT_SEALED_MAX];
	char err[256];
	size_t len = 0;

	fresh(0);
	EXPECT_EQ(vault_open(keys, state, pub, err, sizeof err), 0);
	EXPECT_EQ(vault_has_egress(), 0);
	EXPECT_EQ(vault_set("K", (const uint8_t *)VAL, strlen(VAL), err,
			    sizeof err), 0);
	EXPECT(vault_seal("K", (const uint8_t *)"a", 1, out, &len) != 0);
}

/* Renaming an entry in the file (same length) does not move the value:
 * the name is the encryption's associated data. */
TEST(entry_moved_to_another_name_does_not_open)
{
	uint8_t out[VAULT_SEALED_MAX];
	char err[256], vp[128];
	uint8_t buf[4096];
	size_t len = 0, n, i;
	FILE *f;

	fresh(1);
	EXPECT_EQ(vault_open(keys, state, pub, err, sizeof err), 0);
	EXPECT_EQ(vault_set("AAAA", (const uint8_t *)VAL, strlen(VAL), err,
			    sizeof err), 0);
	snprintf(vp, sizeof vp, "%s/vault", state);
	f = fopen(vp, "rb");
	n = f != NULL ? fread(buf, 1, sizeof buf, f) : 0;
	if (f != NULL)
		fclose(f);
	for (i = 0; i + 4 <= n; i++)
		if (memcmp(buf + i, "AAAA", 4) == 0)
			memcpy(buf + i, "BBBB", 4);
	f = fopen(vp, "wb");
	EXPECT(f != NULL && fwrite(buf, 1, n, f) == n);
	if (f != NULL)
		fclose(f);
	EXPECT_EQ(vault_open(keys, state, pub, err, sizeof err), 0);
	EXPECT_EQ(vault_has("BBBB"), 1);
	EXPECT(vault_seal("BBBB", (const uint8_t *)"a", 1, out, &len) != 0);
}

TEST(damaged_or_loose_file_refused)
{
	char err[256], vp[128];
	FILE *f;

	fresh(1);
	EXPECT_EQ(vault_open(keys, state, pub, err, sizeof err), 0);
	EXPECT_EQ(vault_set("K", (const uint8_t *)VAL, strlen(VAL), err,
			    sizeof err), 0);
	snprintf(vp, sizeof vp, "%s/vault", state);
	EXPECT_EQ(truncate(vp, 30), 0);
	EXPECT_EQ(vault_open(keys, state, pub, err, sizeof err), -1);
	EXPECT(strstr(err, "vault") != NULL);
	f = fopen(vp, "wb");
	if (f != NULL)
		fclose(f);
	EXPECT_EQ(chmod(vp, 0644), 0);
	EXPECT_EQ(vault_open(keys, state, pub, err, sizeof err), -1);
	EXPECT(strstr(err, "0600") != NULL);
}

TEST(bad_names_and_values_refused)
{
	char err[256], big[VAULT_VALUE_MAX + 1];

	fresh(1);
	EXPECT_EQ(vault_open(keys, state, pub, err, sizeof err), 0);
	EXPECT(vault_set("bad-name", (const uint8_t *)"x", 1, err, sizeof err) != 0);
	EXPECT(vault_set("", (const uint8_t *)"x", 1, err, sizeof err) != 0);
	EXPECT(vault_set("K", (const uint8_t *)"", 0, err, sizeof err) != 0);
	memset(big, 'v', sizeof big);
	EXPECT(vault_set("K", (const uint8_t *)big, sizeof big, err, sizeof err) != 0);
	EXPECT_EQ(vault_set("K", (const uint8_t *)big, sizeof big - 1, err,
			    sizeof err), 0);
	EXPECT_EQ(vault_rm("K", err, sizeof err), 0);
	EXPECT_EQ(vault_rm("K", err, sizeof err), 1);
	EXPECT_EQ(vault_has("K"), 0);
}

int
main(void)
{
	char cmd[128];

	if (sodium_init() < 0)
		return 2;
	RUN(set_survives_restart_and_file_holds_no_value);
	RUN(sealed_only_to_egress_with_the_approvals_hash);
	RUN(no_egress_key_nothing_released);
	RUN(entry_moved_to_another_name_does_not_open);
	RUN(damaged_or_loose_file_refused);
	RUN(bad_names_and_values_refused);
	snprintf(cmd, sizeof cmd, "rm -rf %s", base);
	if (system(cmd) != 0)
		return 2;
	T_EXIT();
}
