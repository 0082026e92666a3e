/*
 * params.h -- the digest of a call's parameters, the one function that
 * computes it for every side: the broker (what it asks the core to
 * approve), ward-core (a deferred call's parameters, shown to the operator
 * only if they hash to the digest the core was asked about) and the tests.
 *
 * The parameters are the bytes  TOOL NUL JSON  (the tool's name, a NUL,
 * then the call's arguments as compact JSON with sorted keys), and the
 * digest is BLAKE2b-256 of "ward.v1.params" NUL || those bytes.
 *
 * Not part of the verified core.
 */
#ifndef WARD_SRV_PARAMS_H
#define WARD_SRV_PARAMS_H

#include <stddef.h>
#include <stdint.h>

#define PARAMS_DIGEST_BYTES 32u

void params_digest(uint8_t d[PARAMS_DIGEST_BYTES], const uint8_t *params,
		   size_t len);

#endif
