/*
 * grant.c -- capability blocks as their issuer builds them (the operator
 * for the roots of a run, the broker for a spawn_child delegation), and
 * hex.  See wb.h.  Not part of the verified core: the core decodes and
 * checks every block itself.
 */
#include <string.h>
#include <sodium.h>

#include "wb.h"
#include "codec.h"
#include "crypto.h"

int
wb_seal(struct wb_blk *x, const uint8_t sk[WARD_SK_BYTES])
{
	size_t len = 0, body;

	memset(x->b.sig, 0, sizeof x->b.sig);
	if (ward_block_encode(x->raw, sizeof x->raw, &x->b, &len) != WARD_OK)
		return -1;
	body = WARD_BLOCK_HDR + x->b.scope_len;
	if (ward_block_id(x->id, x->raw, body) != 0 ||
	    ward_block_sign(x->b.sig, x->id, sk) != 0)
		return -1;
	memcpy(x->raw + body, x->b.sig, WARD_SIG_BYTES);
	x->len = (uint32_t)len;
	return 0;
}

int
wb_unseal(struct wb_blk *x)
{
	if (x->len < WARD_WIRE_MIN || x->len > WARD_BLOCK_MAX ||
	    ward_block_decode(&x->b, x->raw, x->len) != WARD_OK)
		return -1;
	return ward_block_id(x->id, x->raw, x->len - WARD_SIG_BYTES) == 0 ? 0 : -1;
}

void
wb_hex(char *out, const uint8_t *in, size_t n)
{
	sodium_bin2hex(out, 2 * n + 1, in, n);
}

int
wb_unhex(uint8_t *out, size_t n, const char *in)
{
	size_t got = 0;

	if (in == NULL || strlen(in) != 2 * n)
		return -1;
	if (sodium_hex2bin(out, n, in, 2 * n, NULL, &got, NULL) != 0 || got != n)
		return -1;
	return 0;
}

long
wb_unhex_var(uint8_t *out, size_t cap, const char *in)
{
	size_t got = 0, l = in != NULL ? strlen(in) : 0;

	if (l == 0 || l % 2 != 0 || l / 2 > cap)
		return -1;
	if (sodium_hex2bin(out, cap, in, l, NULL, &got, NULL) != 0 || got != l / 2)
		return -1;
	return (long)got;
}

