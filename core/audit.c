/*
 * audit.c -- the audit hash chain.  Contracts are in audit.h.
 */
#include "audit.h"

void
ward_audit_init(struct ward_audit *a)
{
	uint32_t k;

	a->seq = 0;
	/*@ loop invariant 0 <= k <= WARD_ID_BYTES;
	    loop invariant \forall integer j; 0 <= j < k ==> a->head[j] == 0;
	    loop assigns k, a->head[0 .. WARD_ID_BYTES - 1];
	    loop variant WARD_ID_BYTES - k;
	*/
	for (k = 0; k < WARD_ID_BYTES; k++)
		a->head[k] = 0;
}

int
ward_audit_append(struct ward_audit *a, const uint8_t *rec, size_t len,
		  uint64_t *pos)
{
	if (a->seq == UINT64_MAX)
		return WARD_E_EXHAUSTED;
	/*
	 * The hash is the last byte written: WP does not carry an abstract
	 * predicate over bytes through later writes of bytes, and seq and
	 * pos are 64-bit cells.
	 */
	if (ward_audit_hash(a->head, rec, len) != 0)
		return WARD_E_CRYPTO;
	*pos = a->seq;
	a->seq++;
	return WARD_OK;
}
