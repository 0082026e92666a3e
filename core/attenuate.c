/*
 * attenuate.c -- monotonic attenuation and scope containment.
 *
 * Proved with WP against the contracts in attenuate.h.  The order of the
 * checks in ward_attenuation_check is part of the contract: each refused
 * child gets the reason of the first rule it breaks.
 */
#include "attenuate.h"

/* The separator of a kind, 0 if its patterns are matched whole. */
/*@ assigns \nothing;
    ensures \result == scope_sep(kind);
*/
static uint8_t
sep_of(uint8_t kind)
{
	uint8_t sep = 0;

	if (kind == WARD_KIND_FS || kind == WARD_KIND_MEM ||
	    kind == WARD_KIND_SECRET || kind == WARD_KIND_EXEC)
		sep = '/';
	else if (kind == WARD_KIND_TOOL)
		sep = '.';
	return sep;
}

int
ward_scope_within(uint8_t kind, const uint8_t *c, uint16_t clen,
		  const uint8_t *p, uint16_t plen)
{
	uint8_t sep = sep_of(kind);
	uint32_t i;
	int r = 0;

	if (plen == 1 && p[0] == '*') {
		r = 1;
		goto out;
	}
	/* A longer child needs a separator kind and a non-empty parent. */
	if (clen < plen || (clen > plen && (sep == 0 || plen == 0)))
		goto out;
	/*@ loop invariant 0 <= i <= plen;
	    loop invariant \forall integer k; 0 <= k < i ==> c[k] == p[k];
	    loop assigns i;
	    loop variant plen - i;
	*/
	for (i = 0; i < plen; i++) {
		if (c[i] != p[i])
			goto out;
	}
	if (clen == plen || p[plen - 1] == sep || c[plen] == sep)
		r = 1;
out:
	return r;
}

/* 1 if position i of s shows s is not canonical (see scope_bad_at). */
/*@ requires i < len;
    requires \valid_read(s + (0 .. len - 1));
    assigns \nothing;
    ensures \result == 0 || \result == 1;
    ensures \result == 1 <==> scope_bad_at(sep, s, len, i);
*/
static int
bad_at(uint8_t sep, const uint8_t *s, uint32_t len, uint32_t i)
{
	int start = i == 0 || s[i - 1] == sep;
	int r = 0;

	if (s[i] == sep) {
		/* Empty component; a leading '/' is an absolute path. */
		if ((i == 0 && sep != '/') || (i > 0 && s[i - 1] == sep))
			r = 1;
	} else if (s[i] == '.' && start) {
		if (i + 1 == len || s[i + 1] == sep)
			r = 1;		/* "." */
		else if (s[i + 1] == '.' &&
			 (i + 2 == len || s[i + 2] == sep))
			r = 1;		/* ".." */
	}
	return r;
}

int
ward_scope_canonical(uint8_t kind, const uint8_t *s, uint16_t len)
{
	uint8_t sep = sep_of(kind);
	uint32_t i;
	int r = 1;

	if (sep == 0)
		goto out;
	/*@ loop invariant 0 <= i <= len;
	    loop invariant \forall integer k; 0 <= k < i ==>
	      !scope_bad_at(sep, s, len, k);
	    loop assigns i;
	    loop variant len - i;
	*/
	for (i = 0; i < len; i++) {
		if (bad_at(sep, s, len, i)) {
			r = 0;
			goto out;
		}
	}
out:
	return r;
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
	else if (child->r_invoke > parent->r_invoke ||
		 child->r_read > parent->r_read ||
		 child->r_write > parent->r_write)
		r = WARD_E_RIGHTS_WIDENED;	/* delegate: parent's is 1 here */
	else if (ward_scope_within(child->kind, child->scope, child->scope_len,
				   parent->scope, parent->scope_len) != 1)
		r = WARD_E_SCOPE_WIDENED;
	else if (child->not_before < parent->not_before ||
		 child->not_after > parent->not_after)
		r = WARD_E_WINDOW_WIDENED;
	else if (child->max_uses > parent->max_uses)
		r = WARD_E_USES_WIDENED;
	else if (child->depth >= parent->depth)
		r = WARD_E_DEPTH;
	else
		r = WARD_OK;
	return r;
}
