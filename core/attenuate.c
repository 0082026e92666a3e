/*
 * attenuate.c -- monotonic attenuation and scope containment.
 *
 * Proved with WP against the contracts in attenuate.h.  The order of the
 * checks in ward_attenuation_check is part of the contract: a refused
 * child gets the reason of the first rule it breaks.
 *
 * Each branch costs the proof a smoke test (about two prover-seconds), so
 * where C's || would split one test into several branches the 0/1 results
 * of comparisons are added up instead.
 */
#include "attenuate.h"

/* The separator of each kind (see scope_sep); 0: matched whole. */
static const uint8_t SEP[WARD_KIND_LAST + 1] = {
	[WARD_KIND_TOOL] = '.',
	[WARD_KIND_FS] = '/',
	[WARD_KIND_NET] = 0,
	[WARD_KIND_MEM] = '/',
	[WARD_KIND_SECRET] = '/',
	[WARD_KIND_EXEC] = '/',
	[WARD_KIND_RESOURCE] = ':',
	[WARD_KIND_PROMPT] = '.',
};

/* The requires is true of every call; it is stated because WP generates
 * a function's smoke tests only when the function has a precondition or a
 * selected goal, and proofs/prove runs the smoke tests on their own. */
/*@ requires \valid_read(SEP + (0 .. WARD_KIND_LAST));
    assigns \nothing;
    ensures \result == scope_sep(kind);
*/
static uint8_t
sep_of(uint8_t kind)
{
	uint8_t sep = 0;

	if (kind <= WARD_KIND_LAST)
		sep = SEP[kind];
	return sep;
}

int
ward_scope_within(uint8_t kind, const uint8_t *c, uint16_t clen,
		  const uint8_t *p, uint16_t plen)
{
	uint8_t sep = sep_of(kind);
	uint32_t i = 0;
	int r = 0;

	if (plen <= clen) {
		/*@ loop invariant 0 <= i <= plen;
		    loop invariant same_bytes(c, p, i);
		    loop assigns i;
		    loop variant plen - i;
		*/
		while (i < plen && c[i] == p[i])
			i++;
		if (i == plen && clen == plen)
			r = 1;
		/* A proper prefix must end on a component boundary. */
		if (i == plen && plen < clen && plen > 0 && sep != 0 &&
		    (p[plen - 1] == sep) + (c[plen] == sep) > 0)
			r = 1;
	}
	if (plen == 1 && p[0] == '*')
		r = 1;
	return r;
}

int
ward_scope_canonical(uint8_t kind, const uint8_t *s, uint16_t len)
{
	uint8_t sep = sep_of(kind);
	/* One pass, each byte read once.  At step k, position j = k - 2 is
	 * judged from the bytes around it, with a separator standing before
	 * and after s (scope_at):
	 *   w3 = at(j - 1), w2 = at(j), w1 = at(j + 1), d = at(j + 2). */
	uint8_t w3 = sep, w2 = sep, w1 = sep, d;
	uint32_t k;
	int bad;
	int ok = 1;
	/* 1 while every byte read so far is in 0x21 .. 0x7e. */
	int pr = 1;

	/*@ loop invariant 0 <= k <= len + 2;
	    loop invariant w1 == scope_at(sep, s, len, k - 1);
	    loop invariant w2 == scope_at(sep, s, len, k - 2);
	    loop invariant w3 == scope_at(sep, s, len, k - 3);
	    loop invariant ok == 0 || ok == 1;
	    loop invariant ok == 1 <==>
	      (\forall integer j; 0 <= j < k - 2 ==>
	         !scope_bad_at(sep, s, len, j));
	    loop invariant pr == 0 || pr == 1;
	    loop invariant pr == 1 <==>
	      (\forall integer j; 0 <= j < k && j < len ==>
	         0x21 <= s[j] <= 0x7e);
	    loop assigns k, d, bad, w1, w2, w3, ok, pr;
	    loop variant len + 2 - k;
	*/
	for (k = 0; k < (uint32_t)len + 2; k++) {
		d = sep;
		if (k < len) {
			d = s[k];
			/* pr && 0x21 <= d <= 0x7e, summed: no branch */
			pr = pr + (d >= 0x21) + (d <= 0x7e) == 3;
		}
		bad = 0;
		if (k >= 2 && w3 == sep) {
			/* j starts a component.  Empty, but a leading '/': */
			if (w2 == sep && (k > 2) + (sep != '/') > 0)
				bad = 1;
			/* "." */
			if (w2 == '.' && w1 == sep)
				bad = 1;
			/* ".." */
			if (w2 == '.' && w1 == '.' && k <= len && d == sep)
				bad = 1;
		}
		/*@ assert k >= 2 ==>
		      (bad == 1 <==> scope_bad_at(sep, s, len, k - 2)); */
		/*@ assert k < 2 ==> bad == 0; */
		/*@ assert split: (\forall integer j; 0 <= j < k - 1 ==>
		      !scope_bad_at(sep, s, len, j)) <==>
		    ((\forall integer j; 0 <= j < k - 2 ==>
		       !scope_bad_at(sep, s, len, j)) &&
		     (k >= 2 ==> !scope_bad_at(sep, s, len, k - 2)));
		*/
		ok = ok - bad == 1;	/* ok && !bad */
		w3 = w2;
		w2 = w1;
		w1 = d;
	}
	if (sep == 0)
		ok = 1;		/* matched whole: no component to judge */
	/*@ assert pr == 1 <==> scope_printable(s, len); */
	return ok + pr == 2;	/* ok && pr */
}

int
ward_attenuation_check(const struct ward_block *child,
		       const struct ward_block *parent)
{
	int r;

	if (parent->r_delegate != 1)
		r = WARD_E_NO_DELEGATE;
	else if (child->kind != parent->kind)
		r = WARD_E_KIND_CHANGED;
	/* Summed, not ||-ed: the delegate branch of an || could never be
	 * taken here (the parent's flag is 1), and the smoke tests would
	 * report it as dead code. */
	else if ((child->r_invoke <= parent->r_invoke) +
		 (child->r_read <= parent->r_read) +
		 (child->r_write <= parent->r_write) +
		 (child->r_delegate <= parent->r_delegate) < 4)
		r = WARD_E_RIGHTS_WIDENED;
	else if (ward_scope_within(child->kind, child->scope, child->scope_len,
				   parent->scope, parent->scope_len) != 1)
		r = WARD_E_SCOPE_WIDENED;
	else if ((parent->not_before <= child->not_before) +
		 (child->not_after <= parent->not_after) < 2)
		r = WARD_E_WINDOW_WIDENED;
	else if (child->max_uses > parent->max_uses)
		r = WARD_E_USES_WIDENED;
	else if (child->depth >= parent->depth)
		r = WARD_E_DEPTH;
	else
		r = WARD_OK;
	return r;
}
