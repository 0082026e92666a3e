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

/* Contract in audit.h. */
struct ward_digest
ward_audit_head(const struct ward_audit *a)
{
	struct ward_digest d;
	uint32_t k;

	/*@ loop invariant 0 <= k <= WARD_ID_BYTES;
	    loop invariant \forall integer j; 0 <= j < k ==> d.b[j] == a->head[j];
	    loop assigns k, d;
	    loop variant WARD_ID_BYTES - k;
	*/
	for (k = 0; k < WARD_ID_BYTES; k++)
		d.b[k] = a->head[k];
	return d;
}

/* Contract in audit.h.  The link is recomputed into a copy of prev and
 * compared with the head byte by byte; equal bytes are equal values
 * (val32), each step written out for the provers. */
int
ward_audit_linked(const struct ward_audit *a, struct ward_digest prev,
		  const uint8_t *rec, size_t len)
{
	uint8_t h[WARD_ID_BYTES];
	uint32_t k;

	/*@ loop invariant 0 <= k <= WARD_ID_BYTES;
	    loop invariant \forall integer j; 0 <= j < k ==> h[j] == prev.b[j];
	    loop assigns k, h[0 .. WARD_ID_BYTES - 1];
	    loop variant WARD_ID_BYTES - k;
	*/
	for (k = 0; k < WARD_ID_BYTES; k++)
		h[k] = prev.b[k];
	/*@ assert from: val32(&h[0]) == digest_val(prev); */
	if (ward_audit_hash(h, rec, len) != 0)
		return 0;
	/*@ assert link: audit_hash(val32(&h[0]), digest_val(prev), rec, len); */
	/*@ loop invariant 0 <= k <= WARD_ID_BYTES;
	    loop invariant \forall integer j; 0 <= j < k ==> h[j] == a->head[j];
	    loop assigns k;
	    loop variant WARD_ID_BYTES - k;
	*/
	for (k = 0; k < WARD_ID_BYTES; k++)
		if (h[k] != a->head[k])
			return 0;
	/*@ assert to: val32(&h[0]) == val32(&a->head[0]); */
	return 1;
}
