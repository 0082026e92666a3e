/*
 * params.c -- the digest of a call's parameters (params.h).
 */
#include <sodium.h>

#include "params.h"

void
params_digest(uint8_t d[PARAMS_DIGEST_BYTES], const uint8_t *params,
	      size_t len)
{
	crypto_generichash_state st;

	crypto_generichash_init(&st, NULL, 0, PARAMS_DIGEST_BYTES);
	/* The tag with its NUL: 15 bytes, as every digest ward ever made. */
	crypto_generichash_update(&st, (const uint8_t *)"ward.v1.params", 15);
	if (len > 0)
		crypto_generichash_update(&st, params, len);
	crypto_generichash_final(&st, d, PARAMS_DIGEST_BYTES);
}
