/*
 * vault.h -- ward-core's secrets (DESIGN.md §4b).  Part of the trusted
 * computing base, not proved.
 *
 * A secret is a name ([A-Za-z0-9_], 1 .. VAULT_NAME_MAX) and a value (1 ..
 * VAULT_VALUE_MAX bytes).  Values are kept encrypted, in memory as on disk
 * (XChaCha20-Poly1305 with the name as associated data, so that an entry
 * cannot be moved to another name), under a key derived from
 * keys/vault.key, which only ward-core's account can read.  A value is
 * decrypted only to be sealed to ward-egress's X25519 key (pub/egress.pub)
 * for one approval of secret.use, and wiped at once.  The vault file
 * (state/vault) is replaced whole, through a synced temporary file and a
 * rename, so that a crash leaves either the old vault or the new one.
 *
 * Nothing here ever logs, prints or returns a value.
 */
#ifndef WARD_SRV_VAULT_H
#define WARD_SRV_VAULT_H

#include <stddef.h>
#include <stdint.h>

#define VAULT_NAME_MAX 64u
#define VAULT_VALUE_MAX 1024u	/* EGW_SECRET_MAX */
#define VAULT_MAX 64u		/* secrets in one home */

/* Load keys/vault.key (made, 64 random bytes, on the first start), the
 * vault file and, if there is one, pub/egress.pub.  -1 with err on a file
 * that is there but wrong (the core then refuses to start). */
int vault_open(const char *keys_dir, const char *state_dir,
	       const char *pub_dir, char *err, size_t errlen)
	__attribute__((warn_unused_result));

/* 1 if name is a valid secret name. */
int vault_name_ok(const uint8_t *name, size_t len);

/* Store (replace) a secret; the value is copied encrypted and the file
 * rewritten and synced before this returns.  0, or -1 with err (full,
 * bad name or value, disk). */
int vault_set(const char *name, const uint8_t *value, size_t len,
	      char *err, size_t errlen) __attribute__((warn_unused_result));

/* Remove one: 0, 1 when there was none, -1 on a disk error (err). */
int vault_rm(const char *name, char *err, size_t errlen)
	__attribute__((warn_unused_result));

/* The names held, sorted; *n of them (at most VAULT_MAX). */
void vault_names(const char *names[VAULT_MAX], uint32_t *n);

int vault_has(const char *name);
int vault_has_egress(void);

/* The sealed value of name for one approval message: crypto_box_seal to
 * ward-egress's key of BLAKE2b-256(apr) || value, into out (at least
 * VAULT_SEALED_MAX bytes).  0 with *outlen, or -1 (no such secret, no
 * egress key, a failed decryption). */
#define VAULT_SEALED_MAX (48u + 32u + VAULT_VALUE_MAX)
int vault_seal(const char *name, const uint8_t *apr, size_t apr_len,
	       uint8_t *out, size_t *outlen)
	__attribute__((warn_unused_result));

#endif
