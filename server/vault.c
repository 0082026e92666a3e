/*
 * vault.c -- ward-core's secrets, encrypted at rest and in memory
 * (vault.h).  Trusted, not proved.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sodium.h>

#include "home.h"
#include "text.h"
#include "vault.h"

#define VF_MAGIC "WARDVLT1"
#define VF_CT_MAX (VAULT_VALUE_MAX + crypto_aead_xchacha20poly1305_ietf_ABYTES)

struct ventry {
	uint8_t name_len;
	char name[VAULT_NAME_MAX + 1];
	uint8_t nonce[crypto_aead_xchacha20poly1305_ietf_NPUBBYTES];
	uint16_t ct_len;
	uint8_t ct[VF_CT_MAX];
};

static struct ventry vt[VAULT_MAX];
static uint32_t vn;
static uint8_t vkey[crypto_aead_xchacha20poly1305_ietf_KEYBYTES];
static uint8_t egress_pk[crypto_box_PUBLICKEYBYTES];
static int have_egress;
static char vpath[WH_PATH + 16], vtmp[WH_PATH + 16], vdir[WH_PATH];

int
vault_name_ok(const uint8_t *name, size_t len)
{
	return text_secret_name_ok(name, len);
}

static struct ventry *
find(const char *name)
{
	uint32_t i;

	for (i = 0; i < vn; i++)
		if (strcmp(vt[i].name, name) == 0)
			return &vt[i];
	return NULL;
}

int
vault_has(const char *name)
{
	return find(name) != NULL;
}

int
vault_has_egress(void)
{
	return have_egress;
}

void
vault_names(const char *names[VAULT_MAX], uint32_t *n)
{
	uint32_t i;

	for (i = 0; i < vn; i++)
		names[i] = vt[i].name;
	*n = vn;
}

/* The whole vault to vtmp, synced, renamed over vpath, folder synced. */
static int
save(char *err, size_t errlen)
{
	uint8_t hdr[12];
	uint32_t i;
	int fd, ok = 1;

	fd = open(vtmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return text_err(err, errlen, "%s: %s", vtmp, strerror(errno));
	memcpy(hdr, VF_MAGIC, 8);
	hdr[8] = (uint8_t)(vn >> 24);
	hdr[9] = (uint8_t)(vn >> 16);
	hdr[10] = (uint8_t)(vn >> 8);
	hdr[11] = (uint8_t)vn;
	ok = write(fd, hdr, sizeof hdr) == (ssize_t)sizeof hdr;
	for (i = 0; ok && i < vn; i++) {
		const struct ventry *e = &vt[i];
		uint8_t h[1 + VAULT_NAME_MAX + sizeof e->nonce + 2];
		size_t k = 0;

		h[k++] = e->name_len;
		memcpy(h + k, e->name, e->name_len);
		k += e->name_len;
		memcpy(h + k, e->nonce, sizeof e->nonce);
		k += sizeof e->nonce;
		h[k++] = (uint8_t)(e->ct_len >> 8);
		h[k++] = (uint8_t)e->ct_len;
		ok = write(fd, h, k) == (ssize_t)k &&
		     write(fd, e->ct, e->ct_len) == (ssize_t)e->ct_len;
	}
	if (!ok || fsync(fd) != 0) {
		text_err(err, errlen, "%s: %s", vtmp, strerror(errno));
		close(fd);
		unlink(vtmp);
		return -1;
	}
	close(fd);
	if (rename(vtmp, vpath) != 0 || wh_sync_dir(vdir) != 0) {
		text_err(err, errlen, "%s: %s", vpath, strerror(errno));
		unlink(vtmp);
		return -1;
	}
	return 0;
}

static int
load(char *err, size_t errlen)
{
	static uint8_t buf[12 + VAULT_MAX * (1 + VAULT_NAME_MAX + 24 + 2 + VF_CT_MAX) + 1];
	struct stat st;
	size_t len = 0, k;
	uint32_t n, i;
	ssize_t r;
	int fd = open(vpath, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

	vn = 0;
	if (fd < 0 && errno == ENOENT)
		return 0;
	if (fd < 0)
		return text_err(err, errlen, "%s: %s", vpath, strerror(errno));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    st.st_uid != geteuid() || (st.st_mode & 077) != 0) {
		close(fd);
		return text_err(err, errlen, "%s: must be a plain file of "
				"ward-core's, mode 0600", vpath);
	}
	while ((r = read(fd, buf + len, sizeof buf - len)) > 0)
		len += (size_t)r;
	close(fd);
	if (r < 0 || len == sizeof buf || len < 12 || memcmp(buf, VF_MAGIC, 8) != 0)
		return text_err(err, errlen, "%s: not a ward vault (or damaged); "
				"move it away and set the secrets again", vpath);
	n = (uint32_t)buf[8] << 24 | (uint32_t)buf[9] << 16 |
	    (uint32_t)buf[10] << 8 | buf[11];
	if (n > VAULT_MAX)
		return text_err(err, errlen, "%s: damaged (count)", vpath);
	k = 12;
	for (i = 0; i < n; i++) {
		struct ventry *e = &vt[i];
		uint8_t nl;

		if (k + 1 > len)
			goto bad;
		nl = buf[k++];
		if (k + nl + sizeof e->nonce + 2 > len ||
		    !vault_name_ok(buf + k, nl))
			goto bad;
		e->name_len = nl;
		memcpy(e->name, buf + k, nl);
		e->name[nl] = '\0';
		k += nl;
		memcpy(e->nonce, buf + k, sizeof e->nonce);
		k += sizeof e->nonce;
		e->ct_len = (uint16_t)(buf[k] << 8 | buf[k + 1]);
		k += 2;
		if (e->ct_len <= crypto_aead_xchacha20poly1305_ietf_ABYTES ||
		    e->ct_len > VF_CT_MAX || k + e->ct_len > len)
			goto bad;
		memcpy(e->ct, buf + k, e->ct_len);
		k += e->ct_len;
		vn = i + 1;
	}
	if (k != len)
		goto bad;
	return 0;
bad:
	vn = 0;
	return text_err(err, errlen, "%s: damaged entry; move it away and set "
			"the secrets again", vpath);
}

int
vault_open(const char *keys_dir, const char *state_dir, const char *pub_dir,
	   char *err, size_t errlen)
{
	char kpath[WH_PATH + 16], ppath[WH_PATH + 16];
	uint8_t raw[64];

	if (snprintf(kpath, sizeof kpath, "%s/vault.key", keys_dir) >= (int)sizeof kpath ||
	    snprintf(ppath, sizeof ppath, "%s/egress.pub", pub_dir) >= (int)sizeof ppath ||
	    snprintf(vpath, sizeof vpath, "%s/vault", state_dir) >= (int)sizeof vpath ||
	    snprintf(vtmp, sizeof vtmp, "%s/vault.tmp", state_dir) >= (int)sizeof vtmp ||
	    snprintf(vdir, sizeof vdir, "%s", state_dir) >= (int)sizeof vdir)
		return text_err(err, errlen, "vault: path too long");
	if (access(kpath, F_OK) != 0 && errno == ENOENT) {
		randombytes_buf(raw, sizeof raw);
		if (wh_write_key(kpath, raw, sizeof raw, err, errlen) != 0 ||
		    wh_sync_dir(keys_dir) != 0) {
			sodium_memzero(raw, sizeof raw);
			return -1;
		}
	} else if (wh_read_key(kpath, raw, sizeof raw, err, errlen) != 0) {
		return -1;
	}
	crypto_generichash(vkey, sizeof vkey, raw, sizeof raw,
			   (const uint8_t *)"ward.v1.vault", 13);
	sodium_memzero(raw, sizeof raw);
	(void)sodium_mlock(vkey, sizeof vkey);
	have_egress = 0;
	if (access(ppath, F_OK) == 0) {
		if (wh_read_key(ppath, egress_pk, sizeof egress_pk, err, errlen) != 0)
			return -1;
		have_egress = 1;
	}
	return load(err, errlen);
}

int
vault_set(const char *name, const uint8_t *value, size_t len, char *err,
	  size_t errlen)
{
	struct ventry save_e, *e;
	size_t nl = name != NULL ? strlen(name) : 0;
	unsigned long long cl;
	uint32_t i, at;
	int fresh;

	if (!vault_name_ok((const uint8_t *)name, nl))
		return text_err(err, errlen, "a secret's name is 1 to %u of "
				"A-Z a-z 0-9 _", VAULT_NAME_MAX);
	if (value == NULL || len == 0 || len > VAULT_VALUE_MAX)
		return text_err(err, errlen, "a secret's value is 1 to %u bytes",
				VAULT_VALUE_MAX);
	/* It goes in an HTTP header: no control byte (ward-egress would
	 * refuse it at every use). */
	for (i = 0; i < len; i++)
		if (value[i] < 0x20 || value[i] == 0x7f)
			return text_err(err, errlen, "a secret's value goes in an "
					"HTTP header: byte %u is a control byte "
					"(0x%02x); store it without", (unsigned)i,
					value[i]);
	e = find(name);
	fresh = e == NULL;
	if (fresh) {
		if (vn == VAULT_MAX)
			return text_err(err, errlen, "the vault holds %u secrets "
					"already; remove one first", VAULT_MAX);
		/* Sorted by name. */
		for (at = 0; at < vn && strcmp(vt[at].name, name) < 0; at++)
			;
		for (i = vn; i > at; i--)
			vt[i] = vt[i - 1];
		vn++;
		e = &vt[at];
		memset(e, 0, sizeof *e);
		e->name_len = (uint8_t)nl;
		memcpy(e->name, name, nl + 1);
	}
	save_e = *e;
	randombytes_buf(e->nonce, sizeof e->nonce);
	crypto_aead_xchacha20poly1305_ietf_encrypt(e->ct, &cl, value, len,
		(const uint8_t *)e->name, e->name_len, NULL, e->nonce, vkey);
	e->ct_len = (uint16_t)cl;
	if (save(err, errlen) != 0) {
		if (fresh) {
			at = (uint32_t)(e - vt);
			for (i = at; i + 1 < vn; i++)
				vt[i] = vt[i + 1];
			vn--;
		} else {
			*e = save_e;
		}
		return -1;
	}
	return 0;
}

int
vault_rm(const char *name, char *err, size_t errlen)
{
	struct ventry *e = find(name);
	struct ventry gone;
	uint32_t i, at;

	if (e == NULL)
		return 1;
	at = (uint32_t)(e - vt);
	gone = *e;
	for (i = at; i + 1 < vn; i++)
		vt[i] = vt[i + 1];
	vn--;
	if (save(err, errlen) != 0) {
		for (i = vn; i > at; i--)
			vt[i] = vt[i - 1];
		vt[at] = gone;
		vn++;
		return -1;
	}
	sodium_memzero(&vt[vn], sizeof vt[vn]);
	return 0;
}

int
vault_seal(const char *name, const uint8_t *apr, size_t apr_len, uint8_t *out,
	   size_t *outlen)
{
	uint8_t pt[32 + VAULT_VALUE_MAX];
	const struct ventry *e = find(name);
	unsigned long long vl;
	int rc = -1;

	if (e == NULL || !have_egress || apr == NULL)
		return -1;
	(void)sodium_mlock(pt, sizeof pt);
	crypto_generichash(pt, 32, apr, apr_len, NULL, 0);
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(pt + 32, &vl, NULL, e->ct,
			e->ct_len, (const uint8_t *)e->name, e->name_len,
			e->nonce, vkey) == 0 && vl <= VAULT_VALUE_MAX &&
	    crypto_box_seal(out, pt, 32 + vl, egress_pk) == 0) {
		*outlen = crypto_box_SEALBYTES + 32 + vl;
		rc = 0;
	}
	sodium_munlock(pt, sizeof pt);	/* zeroes it */
	return rc;
}
