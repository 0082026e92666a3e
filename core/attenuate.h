/*
 * attenuate.h -- monotonic attenuation and scope containment (property (a)).
 *
 * A chain is root first, and each child block may only narrow its parent:
 * no right the parent lacks, a scope inside the parent's, a validity window
 * inside the parent's, no more uses, strictly less remaining depth, and the
 * parent must hold the delegate right.  ward_attenuation_check accepts
 * exactly the children that satisfy the predicate attenuated below, and
 * says which rule a refused child broke.
 *
 * Scope containment is by component: "/work" covers "/work" and "/work/a"
 * but not "/workshop".  Prefix containment only means something when the
 * child cannot climb back out with "..": "/work/../etc" lies within "/work"
 * here.  So the core also refuses scopes that are not canonical
 * (ward_scope_canonical): chain verification applies it to every block
 * before any attenuation check (WARD_E_NONCANONICAL), and approval to
 * every resource before it is matched against the leaf's scope.  A
 * canonical pattern is also printable ASCII without the space (0x21 ..
 * 0x7e, the range block_ok gives a block's scope), so that no resource
 * an approval names holds a control byte, a space, DEL or a byte >= 0x80.
 */
#ifndef WARD_ATTENUATE_H
#define WARD_ATTENUATE_H

#include "ward.h"

/*@
  // ---- scope patterns ---------------------------------------------------
  // The component separator of a kind; 0 for kinds matched only whole
  // (net is host:port, and any unknown kind).
  logic integer scope_sep(integer kind) =
    kind == WARD_KIND_FS ? '/' :
    kind == WARD_KIND_MEM ? '/' :
    kind == WARD_KIND_SECRET ? '/' :
    kind == WARD_KIND_EXEC ? '/' :
    kind == WARD_KIND_RESOURCE ? ':' :
    kind == WARD_KIND_PROMPT ? '.' :
    kind == WARD_KIND_TOOL ? '.' : 0;

  // The pattern that covers every resource of its kind.
  predicate scope_wild{L}(uint8_t *p, integer plen) =
    plen == 1 && p[0] == '*';

  // c extends p by whole components: p is a proper prefix of c and the
  // boundary falls on a separator ("/work" and "/work/" cover "/work/a",
  // "/work" does not cover "/workshop").
  predicate scope_prefix{L}(integer kind, uint8_t *c, integer clen,
                            uint8_t *p, integer plen) =
    scope_sep(kind) != 0 &&
    0 < plen < clen &&
    same_bytes(c, p, plen) &&
    (p[plen - 1] == scope_sep(kind) || c[plen] == scope_sep(kind));

  // Child pattern c lies within parent pattern p.
  predicate scope_within{L}(integer kind, uint8_t *c, integer clen,
                            uint8_t *p, integer plen) =
    scope_wild(p, plen) ||
    (clen == plen && same_bytes(c, p, plen)) ||
    scope_prefix(kind, c, clen, p, plen);

  // Byte k of s, with a separator standing before and after the pattern.
  logic integer scope_at{L}(integer sep, uint8_t *s, integer len,
                            integer k) =
    0 <= k && k < len ? s[k] : sep;

  // Position j of s (0 <= j < len) starts a component -- it follows a
  // separator, or the start -- that is empty (except a single leading
  // '/', which makes an absolute path), or is "." or "..".
  predicate scope_bad_at{L}(integer sep, uint8_t *s, integer len,
                            integer j) =
    scope_at(sep, s, len, j - 1) == sep &&
    ((s[j] == sep && !(j == 0 && sep == '/')) ||
     (s[j] == '.' && scope_at(sep, s, len, j + 1) == sep) ||
     (s[j] == '.' && j + 1 < len && s[j + 1] == '.' &&
        scope_at(sep, s, len, j + 2) == sep));

  // Every byte is printable ASCII other than the space, 0x21 .. 0x7e:
  // the range of a block's scope (block_ok), so that a resource holds no
  // control byte (NUL, TAB, CR, LF, ESC), no space, no DEL and no byte
  // >= 0x80.  Quantified over the offset k, with s[k] the trigger.
  predicate scope_printable{L}(uint8_t *s, integer len) =
    \forall integer k; 0 <= k < len ==> 0x21 <= s[k] <= 0x7e;

  // Printable, and no empty, "." or ".." component, so that a prefix of
  // components means containment: "/a/../b" and "/a//b" are refused,
  // "/a/b/" and "/a" are fine (a trailing separator is), and so is
  // "fs.read" for a tool, but not "fs..read" or ".fs".  Kinds without a
  // separator are matched whole: any printable pattern is canonical.
  predicate scope_canonical{L}(integer kind, uint8_t *s, integer len) =
    scope_printable(s, len) &&
    (scope_sep(kind) == 0 ||
     (\forall integer j; 0 <= j < len ==>
        !scope_bad_at(scope_sep(kind), s, len, j)));

  // ---- attenuation ------------------------------------------------------
  predicate rights_within{L}(struct ward_block *c, struct ward_block *p) =
    c->r_invoke <= p->r_invoke &&
    c->r_read <= p->r_read &&
    c->r_write <= p->r_write &&
    c->r_delegate <= p->r_delegate;

  predicate window_within{L}(struct ward_block *c, struct ward_block *p) =
    p->not_before <= c->not_before && c->not_after <= p->not_after;

  // c is a legitimate delegation of p.
  predicate attenuated{L}(struct ward_block *c, struct ward_block *p) =
    p->r_delegate == 1 &&
    c->kind == p->kind &&
    rights_within(c, p) &&
    scope_within(c->kind, &c->scope[0], c->scope_len,
                 &p->scope[0], p->scope_len) &&
    window_within(c, p) &&
    c->max_uses <= p->max_uses &&
    c->depth < p->depth;

  // Why c is not a legitimate delegation of p, for each of the seven
  // reasons of attenuation: the rule that reason names, broken.  Other
  // reasons: nothing said.
  predicate atten_cause{L}(struct ward_block *c, struct ward_block *p,
                           integer r) =
    (r == WARD_E_NO_DELEGATE ==> p->r_delegate != 1) &&
    (r == WARD_E_KIND_CHANGED ==> c->kind != p->kind) &&
    (r == WARD_E_RIGHTS_WIDENED ==> !rights_within(c, p)) &&
    (r == WARD_E_SCOPE_WIDENED ==> c->scope_len <= WARD_SCOPE_MAX &&
       !scope_within(c->kind, &c->scope[0], c->scope_len,
                     &p->scope[0], p->scope_len)) &&
    (r == WARD_E_WINDOW_WIDENED ==> !window_within(c, p)) &&
    (r == WARD_E_USES_WIDENED ==> c->max_uses > p->max_uses) &&
    (r == WARD_E_DEPTH ==> c->depth >= p->depth);

  // The rules ward_attenuation_check checks before it refuses r, in its
  // order, all kept, and r's rule broken: r is the first rule c breaks.
  // What lets chain.h state a chain's refusal as the first rule broken
  // (chain_first), from this ensures alone (first) rather than from the
  // eight behaviors below.
  predicate atten_first{L}(struct ward_block *c, struct ward_block *p,
                           integer r) =
    (r == WARD_E_NO_DELEGATE ==> p->r_delegate != 1) &&
    (WARD_E_RIGHTS_WIDENED <= r <= WARD_E_KIND_CHANGED &&
     r != WARD_E_NO_DELEGATE ==> p->r_delegate == 1) &&
    (r == WARD_E_KIND_CHANGED ==> c->kind != p->kind) &&
    (WARD_E_RIGHTS_WIDENED <= r <= WARD_E_DEPTH ==> c->kind == p->kind) &&
    (r == WARD_E_RIGHTS_WIDENED ==> !rights_within(c, p)) &&
    (WARD_E_SCOPE_WIDENED <= r <= WARD_E_DEPTH ==> rights_within(c, p)) &&
    (r == WARD_E_SCOPE_WIDENED ==>
       !scope_within(c->kind, &c->scope[0], c->scope_len,
                     &p->scope[0], p->scope_len)) &&
    (WARD_E_WINDOW_WIDENED <= r <= WARD_E_DEPTH ==>
       scope_within(c->kind, &c->scope[0], c->scope_len,
                    &p->scope[0], p->scope_len)) &&
    (r == WARD_E_WINDOW_WIDENED ==> !window_within(c, p)) &&
    (WARD_E_USES_WIDENED <= r <= WARD_E_DEPTH ==> window_within(c, p)) &&
    (r == WARD_E_USES_WIDENED ==> c->max_uses > p->max_uses) &&
    (r == WARD_E_DEPTH ==>
       c->max_uses <= p->max_uses && c->depth >= p->depth);
*/

/* 1 if child pattern c lies within parent pattern p for this kind, else 0.
 * Either length may be zero (then the pointer is not read). */
/*@ requires \valid_read(c + (0 .. clen - 1));
    requires \valid_read(p + (0 .. plen - 1));
    assigns \nothing;
    ensures \result == 0 || \result == 1;
    ensures \result == 1 <==> scope_within(kind, c, clen, p, plen);
*/
int ward_scope_within(uint8_t kind, const uint8_t *c, uint16_t clen,
		      const uint8_t *p, uint16_t plen)
	__attribute__((warn_unused_result));

/* 1 if every byte of s is in 0x21 .. 0x7e and s has no empty, "." or
 * ".." component for this kind, else 0.  A zero length is canonical
 * (block_ok refuses it on its own). */
/*@ requires \valid_read(s + (0 .. len - 1));
    assigns \nothing;
    ensures \result == 0 || \result == 1;
    ensures \result == 1 <==> scope_canonical(kind, s, len);
*/
int ward_scope_canonical(uint8_t kind, const uint8_t *s, uint16_t len)
	__attribute__((warn_unused_result));

/* WARD_OK if child is a legitimate delegation of parent, else the first
 * rule it breaks, in the order of the behaviors below. */
/*@ requires \valid_read(child) && block_ok(child);
    requires \valid_read(parent) && block_ok(parent);
    assigns \nothing;
    ensures \result == WARD_OK <==> attenuated(child, parent);
    ensures why: atten_cause(child, parent, \result);
    ensures first: atten_first(child, parent, \result);
    ensures \result == WARD_OK ||
      WARD_E_RIGHTS_WIDENED <= \result <= WARD_E_KIND_CHANGED;

    behavior no_delegate:
      assumes parent->r_delegate != 1;
      ensures \result == WARD_E_NO_DELEGATE;
    behavior kind_changed:
      assumes parent->r_delegate == 1;
      assumes child->kind != parent->kind;
      ensures \result == WARD_E_KIND_CHANGED;
    behavior rights_widened:
      assumes parent->r_delegate == 1;
      assumes child->kind == parent->kind;
      assumes !rights_within(child, parent);
      ensures \result == WARD_E_RIGHTS_WIDENED;
    behavior scope_widened:
      assumes parent->r_delegate == 1;
      assumes child->kind == parent->kind;
      assumes rights_within(child, parent);
      assumes !scope_within(child->kind, &child->scope[0], child->scope_len,
                            &parent->scope[0], parent->scope_len);
      ensures \result == WARD_E_SCOPE_WIDENED;
    behavior window_widened:
      assumes parent->r_delegate == 1;
      assumes child->kind == parent->kind;
      assumes rights_within(child, parent);
      assumes scope_within(child->kind, &child->scope[0], child->scope_len,
                           &parent->scope[0], parent->scope_len);
      assumes !window_within(child, parent);
      ensures \result == WARD_E_WINDOW_WIDENED;
    behavior uses_widened:
      assumes parent->r_delegate == 1;
      assumes child->kind == parent->kind;
      assumes rights_within(child, parent);
      assumes scope_within(child->kind, &child->scope[0], child->scope_len,
                           &parent->scope[0], parent->scope_len);
      assumes window_within(child, parent);
      assumes child->max_uses > parent->max_uses;
      ensures \result == WARD_E_USES_WIDENED;
    behavior depth_not_decreasing:
      assumes parent->r_delegate == 1;
      assumes child->kind == parent->kind;
      assumes rights_within(child, parent);
      assumes scope_within(child->kind, &child->scope[0], child->scope_len,
                           &parent->scope[0], parent->scope_len);
      assumes window_within(child, parent);
      assumes child->max_uses <= parent->max_uses;
      assumes child->depth >= parent->depth;
      ensures \result == WARD_E_DEPTH;
    behavior accepted:
      assumes attenuated(child, parent);
      ensures \result == WARD_OK;
    complete behaviors;
    disjoint behaviors;
*/
int ward_attenuation_check(const struct ward_block *child,
			   const struct ward_block *parent)
	__attribute__((warn_unused_result));

#endif /* WARD_ATTENUATE_H */
