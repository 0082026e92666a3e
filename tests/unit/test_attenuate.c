/*
 * test_attenuate.c -- monotonic attenuation and scope containment
 * (core/attenuate.c), one test per rule, named after the attack it tries.
 * Every refusal is checked for its exact reason code, and every rule has
 * its accepted counterpart next to the refusals, so that a test cannot pass
 * by refusing everything.
 *
 * Blocks are built directly as structs: a parent that grants everything
 * under "/work" and a child that narrows it on every rule.  Each test
 * widens one field of the child (or narrows the parent) and nothing else.
 * block_ok_rt() checks at run time what the contracts require (block_ok),
 * so that no test feeds the check a block the proof does not cover.
 */
#include "t.h"
#include "attenuate.h"

/* block_ok of ward.h, at run time. */
static int
block_ok_rt(const struct ward_block *b)
{
	uint16_t k;

	if (b->version != WARD_VERSION || b->kind < 1 ||
	    b->kind > WARD_KIND_LAST || b->r_invoke > 1 || b->r_read > 1 ||
	    b->r_write > 1 || b->r_delegate > 1 ||
	    b->depth >= WARD_CHAIN_MAX || b->not_before > b->not_after ||
	    b->scope_len < 1 || b->scope_len > WARD_SCOPE_MAX)
		return 0;
	for (k = 0; k < b->scope_len; k++)
		if (b->scope[k] < 0x21 || b->scope[k] > 0x7e)
			return 0;
	return 1;
}

static void
set_scope(struct ward_block *b, const char *s)
{
	size_t n = strlen(s);

	if (n < 1 || n > WARD_SCOPE_MAX) {
		fprintf(stderr, "bad test scope\n");
		exit(2);
	}
	memset(b->scope, 0, sizeof b->scope);
	memcpy(b->scope, s, n);
	b->scope_len = (uint16_t)n;
}

static void
block(struct ward_block *b, uint8_t kind, const char *scope)
{
	memset(b, 0, sizeof *b);
	b->version = WARD_VERSION;
	b->kind = kind;
	b->r_invoke = 1;
	b->r_read = 1;
	b->r_write = 1;
	b->r_delegate = 1;
	b->depth = 5;
	memset(b->issuer, 0x11, sizeof b->issuer);
	memset(b->holder, 0x22, sizeof b->holder);
	b->not_before = 1000;
	b->not_after = 2000;
	b->max_uses = 100;
	set_scope(b, scope);
}

static struct ward_block parent, child;

/* A parent granting everything on /work, and a child that narrows it on
 * every rule: read only, /work/a, a shorter window, fewer uses, less
 * depth. */
static void
fresh(void)
{
	block(&parent, WARD_KIND_FS, "/work");
	block(&child, WARD_KIND_FS, "/work/a");
	child.r_invoke = 0;
	child.r_write = 0;
	child.r_delegate = 0;
	child.not_before = 1100;
	child.not_after = 1900;
	child.max_uses = 10;
	child.depth = 4;
	memset(child.parent, 0x33, sizeof child.parent);
	memset(child.issuer, 0x22, sizeof child.issuer);
	memset(child.holder, 0x44, sizeof child.holder);
}

/* The check, on blocks the contract covers. */
static int
check(void)
{
	if (!block_ok_rt(&child) || !block_ok_rt(&parent)) {
		fprintf(stderr, "test built a block outside block_ok\n");
		exit(2);
	}
	return ward_attenuation_check(&child, &parent);
}

static int
within(uint8_t kind, const char *c, const char *p)
{
	return ward_scope_within(kind, (const uint8_t *)c, (uint16_t)strlen(c),
				 (const uint8_t *)p, (uint16_t)strlen(p));
}

static int
canonical(uint8_t kind, const char *s)
{
	return ward_scope_canonical(kind, (const uint8_t *)s,
				    (uint16_t)strlen(s));
}

/* ---- accepted children ------------------------------------------------- */

TEST(narrowed_child_accepted)
{
	fresh();
	EXPECT_EQ(check(), WARD_OK);
}

TEST(equal_child_accepted)
{
	fresh();
	child = parent;
	child.depth = parent.depth - 1;
	EXPECT_EQ(check(), WARD_OK);
}

TEST(wildcard_parent_covers_any_scope)
{
	fresh();
	set_scope(&parent, "*");
	set_scope(&child, "/etc/shadow");
	EXPECT_EQ(check(), WARD_OK);
	set_scope(&child, "*");
	EXPECT_EQ(check(), WARD_OK);
}

/* ---- delegate right ------------------------------------------------------ */

TEST(no_delegate_right_refused)
{
	fresh();
	parent.r_delegate = 0;
	EXPECT_EQ(check(), WARD_E_NO_DELEGATE);
	/* Reported first: the child also widens every other rule. */
	child = parent;
	child.r_delegate = 1;
	child.not_after = parent.not_after + 1;
	child.max_uses = parent.max_uses + 1;
	child.depth = parent.depth;
	child.kind = WARD_KIND_NET;
	EXPECT_EQ(check(), WARD_E_NO_DELEGATE);
}

/* ---- kind ---------------------------------------------------------------- */

TEST(kind_changed_refused)
{
	fresh();
	child.kind = WARD_KIND_MEM;		/* same scope bytes, other kind */
	EXPECT_EQ(check(), WARD_E_KIND_CHANGED);
	child.kind = WARD_KIND_EXEC;
	EXPECT_EQ(check(), WARD_E_KIND_CHANGED);
	child.kind = WARD_KIND_FS;
	EXPECT_EQ(check(), WARD_OK);
}

/* ---- rights -------------------------------------------------------------- */

TEST(rights_widened_invoke_refused)
{
	fresh();
	parent.r_invoke = 0;
	child.r_invoke = 1;
	EXPECT_EQ(check(), WARD_E_RIGHTS_WIDENED);
	child.r_invoke = 0;
	EXPECT_EQ(check(), WARD_OK);
}

TEST(rights_widened_read_refused)
{
	fresh();
	parent.r_read = 0;
	EXPECT_EQ(check(), WARD_E_RIGHTS_WIDENED);
	child.r_read = 0;
	EXPECT_EQ(check(), WARD_OK);
}

TEST(rights_widened_write_refused)
{
	fresh();
	parent.r_write = 0;
	child.r_write = 1;
	EXPECT_EQ(check(), WARD_E_RIGHTS_WIDENED);
	child.r_write = 0;
	EXPECT_EQ(check(), WARD_OK);
}

/* The delegate flag cannot widen on its own: a parent without it cannot
 * delegate at all, and that is the reason given. */
TEST(rights_widened_delegate_refused)
{
	fresh();
	parent.r_delegate = 0;
	child.r_delegate = 1;
	EXPECT_EQ(check(), WARD_E_NO_DELEGATE);
	child.r_delegate = 0;
	EXPECT_EQ(check(), WARD_E_NO_DELEGATE);
	parent.r_delegate = 1;
	EXPECT_EQ(check(), WARD_OK);
}

TEST(rights_kept_accepted)
{
	fresh();
	child.r_invoke = 1;
	child.r_read = 1;
	child.r_write = 1;
	child.r_delegate = 1;	/* parent holds all four */
	EXPECT_EQ(check(), WARD_OK);
}

/* ---- scope --------------------------------------------------------------- */

TEST(scope_widened_sibling_with_shared_prefix_refused)
{
	fresh();
	set_scope(&child, "/workshop");
	EXPECT_EQ(check(), WARD_E_SCOPE_WIDENED);
	set_scope(&child, "/work2/a");
	EXPECT_EQ(check(), WARD_E_SCOPE_WIDENED);
}

TEST(scope_widened_parent_of_parent_refused)
{
	fresh();
	set_scope(&parent, "/work/a");
	set_scope(&child, "/work");
	EXPECT_EQ(check(), WARD_E_SCOPE_WIDENED);
	set_scope(&child, "/");
	EXPECT_EQ(check(), WARD_E_SCOPE_WIDENED);
	set_scope(&child, "*");
	EXPECT_EQ(check(), WARD_E_SCOPE_WIDENED);
}

TEST(scope_widened_other_tree_refused)
{
	fresh();
	set_scope(&child, "/etc/passwd");
	EXPECT_EQ(check(), WARD_E_SCOPE_WIDENED);
}

TEST(scope_within_component_boundary_accepted)
{
	fresh();
	set_scope(&child, "/work");
	EXPECT_EQ(check(), WARD_OK);
	set_scope(&child, "/work/");
	EXPECT_EQ(check(), WARD_OK);
	set_scope(&child, "/work/a/b/c");
	EXPECT_EQ(check(), WARD_OK);
	set_scope(&parent, "/work/");		/* trailing separator */
	set_scope(&child, "/work/a");
	EXPECT_EQ(check(), WARD_OK);
	set_scope(&parent, "/");
	EXPECT_EQ(check(), WARD_OK);
}

TEST(scope_widened_net_host_change_refused)
{
	fresh();
	parent.kind = child.kind = WARD_KIND_NET;
	set_scope(&parent, "api.example.com:443");
	set_scope(&child, "evil.example.com:443");
	EXPECT_EQ(check(), WARD_E_SCOPE_WIDENED);
	set_scope(&child, "api.example.com:4433");	/* no prefix for net */
	EXPECT_EQ(check(), WARD_E_SCOPE_WIDENED);
	set_scope(&child, "api.example.com:80");
	EXPECT_EQ(check(), WARD_E_SCOPE_WIDENED);
	set_scope(&child, "api.example.com:443");
	EXPECT_EQ(check(), WARD_OK);
}

TEST(scope_tool_prefix_on_dot_boundary)
{
	fresh();
	parent.kind = child.kind = WARD_KIND_TOOL;
	set_scope(&parent, "fs");
	set_scope(&child, "fs.read");
	EXPECT_EQ(check(), WARD_OK);
	set_scope(&child, "fsx.read");
	EXPECT_EQ(check(), WARD_E_SCOPE_WIDENED);
	set_scope(&child, "fs/read");		/* '/' is no tool separator */
	EXPECT_EQ(check(), WARD_E_SCOPE_WIDENED);
}

TEST(scope_within_edge_cases)
{
	/* Both lengths may be zero. */
	EXPECT_EQ(ward_scope_within(WARD_KIND_FS, NULL, 0, NULL, 0), 1);
	EXPECT_EQ(ward_scope_within(WARD_KIND_FS, (const uint8_t *)"/a", 2,
				    NULL, 0), 0);
	EXPECT_EQ(ward_scope_within(WARD_KIND_FS, NULL, 0,
				    (const uint8_t *)"/a", 2), 0);
	EXPECT_EQ(ward_scope_within(WARD_KIND_FS, NULL, 0,
				    (const uint8_t *)"*", 1), 1);
	/* Only a whole "*" is the wildcard. */
	EXPECT_EQ(within(WARD_KIND_FS, "/work/a", "/work/*"), 0);
	EXPECT_EQ(within(WARD_KIND_FS, "/a", "**"), 0);
	/* A longer parent never covers a shorter child. */
	EXPECT_EQ(within(WARD_KIND_FS, "/wor", "/work"), 0);
	/* Unknown kinds are matched whole. */
	EXPECT_EQ(within(0, "/work/a", "/work"), 0);
	EXPECT_EQ(within(WARD_KIND_LAST + 1, "/work", "/work"), 1);
	/* Other separator kinds. */
	EXPECT_EQ(within(WARD_KIND_MEM, "ns/a", "ns"), 1);
	EXPECT_EQ(within(WARD_KIND_SECRET, "db/pw", "db"), 1);
	EXPECT_EQ(within(WARD_KIND_SECRET, "dbx", "db"), 0);
	EXPECT_EQ(within(WARD_KIND_EXEC, "/usr/bin/ls", "/usr/bin"), 1);
}

/* ---- window -------------------------------------------------------------- */

TEST(window_widened_earlier_start_refused)
{
	fresh();
	child.not_before = parent.not_before - 1;
	EXPECT_EQ(check(), WARD_E_WINDOW_WIDENED);
	child.not_before = parent.not_before;
	EXPECT_EQ(check(), WARD_OK);
}

TEST(window_widened_later_end_refused)
{
	fresh();
	child.not_after = parent.not_after + 1;
	EXPECT_EQ(check(), WARD_E_WINDOW_WIDENED);
	child.not_after = parent.not_after;
	EXPECT_EQ(check(), WARD_OK);
}

TEST(window_widened_both_sides_refused)
{
	fresh();
	child.not_before = 0;
	child.not_after = UINT64_MAX;
	EXPECT_EQ(check(), WARD_E_WINDOW_WIDENED);
}

/* ---- uses ---------------------------------------------------------------- */

TEST(uses_widened_refused)
{
	fresh();
	child.max_uses = parent.max_uses + 1;
	EXPECT_EQ(check(), WARD_E_USES_WIDENED);
	child.max_uses = UINT32_MAX;
	EXPECT_EQ(check(), WARD_E_USES_WIDENED);
	child.max_uses = parent.max_uses;
	EXPECT_EQ(check(), WARD_OK);
}

/* ---- depth --------------------------------------------------------------- */

TEST(depth_not_decreasing_equal_refused)
{
	fresh();
	child.depth = parent.depth;
	EXPECT_EQ(check(), WARD_E_DEPTH);
}

TEST(depth_not_decreasing_greater_refused)
{
	fresh();
	child.depth = parent.depth + 1;
	EXPECT_EQ(check(), WARD_E_DEPTH);
}

TEST(depth_exhausted_parent_refused)
{
	fresh();
	parent.depth = 0;
	child.depth = 0;
	EXPECT_EQ(check(), WARD_E_DEPTH);
	parent.depth = 1;
	EXPECT_EQ(check(), WARD_OK);
}

/* ---- order of the reasons ---------------------------------------------- */

TEST(first_broken_rule_is_the_reason)
{
	/* Widen every rule, then repair them one by one in the order of the
	 * checks: the reason moves down the list. */
	fresh();
	parent.r_delegate = 0;
	parent.r_write = 0;
	child.kind = WARD_KIND_MEM;
	child.r_write = 1;
	set_scope(&child, "/workshop");
	child.not_after = parent.not_after + 1;
	child.max_uses = parent.max_uses + 1;
	child.depth = parent.depth;
	EXPECT_EQ(check(), WARD_E_NO_DELEGATE);
	parent.r_delegate = 1;
	EXPECT_EQ(check(), WARD_E_KIND_CHANGED);
	child.kind = WARD_KIND_FS;
	EXPECT_EQ(check(), WARD_E_RIGHTS_WIDENED);
	child.r_write = 0;
	EXPECT_EQ(check(), WARD_E_SCOPE_WIDENED);
	set_scope(&child, "/work/shop");
	EXPECT_EQ(check(), WARD_E_WINDOW_WIDENED);
	child.not_after = parent.not_after;
	EXPECT_EQ(check(), WARD_E_USES_WIDENED);
	child.max_uses = parent.max_uses;
	EXPECT_EQ(check(), WARD_E_DEPTH);
	child.depth = parent.depth - 1;
	EXPECT_EQ(check(), WARD_OK);
}

/* ---- canonical scopes -------------------------------------------------- */

TEST(scope_canonical_refuses_dotdot_escape)
{
	EXPECT_EQ(canonical(WARD_KIND_FS, "/a/../b"), 0);
	EXPECT_EQ(canonical(WARD_KIND_FS, "/work/../etc"), 0);
	EXPECT_EQ(canonical(WARD_KIND_FS, ".."), 0);
	EXPECT_EQ(canonical(WARD_KIND_FS, "/a/.."), 0);
	EXPECT_EQ(canonical(WARD_KIND_FS, "../a"), 0);
	EXPECT_EQ(canonical(WARD_KIND_MEM, "ns/../other"), 0);
	EXPECT_EQ(canonical(WARD_KIND_EXEC, "/usr/bin/../../bin/sh"), 0);
	/* The escape the rule exists for: textually inside /work. */
	EXPECT_EQ(within(WARD_KIND_FS, "/work/../etc", "/work"), 1);
}

TEST(scope_canonical_refuses_dot_component)
{
	EXPECT_EQ(canonical(WARD_KIND_FS, "/a/./b"), 0);
	EXPECT_EQ(canonical(WARD_KIND_FS, "."), 0);
	EXPECT_EQ(canonical(WARD_KIND_FS, "/a/."), 0);
	EXPECT_EQ(canonical(WARD_KIND_FS, "./a"), 0);
	EXPECT_EQ(canonical(WARD_KIND_SECRET, "db/./pw"), 0);
}

TEST(scope_canonical_refuses_empty_component)
{
	EXPECT_EQ(canonical(WARD_KIND_FS, "/a//b"), 0);
	EXPECT_EQ(canonical(WARD_KIND_FS, "//a"), 0);
	EXPECT_EQ(canonical(WARD_KIND_FS, "/a//"), 0);
	EXPECT_EQ(canonical(WARD_KIND_TOOL, "fs..read"), 0);
	EXPECT_EQ(canonical(WARD_KIND_TOOL, ".fs"), 0);
	EXPECT_EQ(canonical(WARD_KIND_TOOL, ".."), 0);
}

TEST(scope_canonical_accepts_plain_paths)
{
	EXPECT_EQ(canonical(WARD_KIND_FS, "/a/b/"), 1);
	EXPECT_EQ(canonical(WARD_KIND_FS, "/a"), 1);
	EXPECT_EQ(canonical(WARD_KIND_FS, "/"), 1);
	EXPECT_EQ(canonical(WARD_KIND_FS, "a/b"), 1);
	EXPECT_EQ(canonical(WARD_KIND_FS, "*"), 1);
	/* Dots inside a name are no "." or ".." component. */
	EXPECT_EQ(canonical(WARD_KIND_FS, "/a/.hidden"), 1);
	EXPECT_EQ(canonical(WARD_KIND_FS, "/a/..b"), 1);
	EXPECT_EQ(canonical(WARD_KIND_FS, "/a/b.."), 1);
	EXPECT_EQ(canonical(WARD_KIND_FS, "/a/..."), 1);
	EXPECT_EQ(canonical(WARD_KIND_TOOL, "fs.read"), 1);
	EXPECT_EQ(canonical(WARD_KIND_TOOL, "fs."), 1);
	/* Kinds matched whole have no components. */
	EXPECT_EQ(canonical(WARD_KIND_NET, "../..:443"), 1);
	EXPECT_EQ(ward_scope_canonical(WARD_KIND_FS, NULL, 0), 1);
}

/* A resource with one byte outside 0x21 .. 0x7e in an in-scope path: a
 * terminal escape, a line break for a log, a NUL for a C string, a tab, a
 * space, DEL, a UTF-8 byte.  The library refuses each (the process's
 * decoder is not the only guard), for every kind, wherever the byte
 * stands.  The path without it is canonical and within the scope, and a
 * byte that is neither a separator nor a '.' cannot make a component
 * empty, "." or "..": the byte alone is the reason. */
TEST(non_printable_resource_refused_by_the_library)
{
	static const uint8_t BAD[] = { 0x00, 0x09, 0x0a, 0x0d, 0x1b, 0x20,
				       0x7f, 0x80, 0xff };
	static const struct {
		uint8_t kind;
		const char *scope, *res;
	} C[] = {
		{ WARD_KIND_FS, "/work", "/work/a.txt" },
		{ WARD_KIND_FS, "*", "/etc/passwd" },
		{ WARD_KIND_TOOL, "fs", "fs.read" },
		{ WARD_KIND_NET, "example.org:443", "example.org:443" },
		{ WARD_KIND_NET, "*", "example.org:443" },
		{ WARD_KIND_MEM, "ns", "ns/key" },
		{ WARD_KIND_SECRET, "db", "db/pw" },
		{ WARD_KIND_EXEC, "/usr/bin", "/usr/bin/git" },
	};
	uint8_t buf[64];
	size_t c, b, at, n;

	for (c = 0; c < sizeof C / sizeof C[0]; c++) {
		n = strlen(C[c].res);
		EXPECT_EQ(canonical(C[c].kind, C[c].res), 1);
		EXPECT_EQ(within(C[c].kind, C[c].res, C[c].scope), 1);
		for (b = 0; b < sizeof BAD; b++) {
			/* In place of each byte, after the last, and alone. */
			for (at = 0; at <= n; at++) {
				memcpy(buf, C[c].res, n);
				buf[at] = BAD[b];
				if (ward_scope_canonical(C[c].kind, buf,
							 (uint16_t)(n + (at == n))) != 0 &&
				    !t_cur_failed) {
					printf("FAIL %s: kind %u: \"%s\" with byte 0x%02x "
					       "at %zu is canonical\n", t_name,
					       C[c].kind, C[c].res, BAD[b], at);
					t_cur_failed = 1;
				}
			}
			EXPECT_EQ(ward_scope_canonical(C[c].kind, &BAD[b], 1), 0);
		}
	}
	/* The ends of the range are printable. */
	EXPECT_EQ(canonical(WARD_KIND_FS, "/work/!~"), 1);
	EXPECT_EQ(canonical(WARD_KIND_NET, "!~"), 1);
}

/* Canonical, the obvious way: split at the separator and look at each
 * component.  Only the first (before a leading '/') and the last (after a
 * trailing separator) may be empty. */
static int
canonical_by_split(char sep, const char *s)
{
	size_t n = strlen(s), start = 0, i, first = 1;

	for (i = 0; i <= n; i++) {
		size_t len;
		int last;

		if (i < n && s[i] != sep)
			continue;
		len = i - start;
		last = i == n;
		if (len == 0 && !(first && sep == '/') && !(last && !first))
			return 0;
		if (len == 1 && s[start] == '.')
			return 0;
		if (len == 2 && s[start] == '.' && s[start + 1] == '.')
			return 0;
		first = 0;
		start = i + 1;
	}
	return 1;
}

/* Every string of up to 7 bytes over {'/', '.', 'a'}, for a '/' kind and
 * for tools: the proved one-pass check agrees with splitting. */
TEST(scope_canonical_agrees_with_component_split)
{
	static const uint8_t kinds[2] = { WARD_KIND_FS, WARD_KIND_TOOL };
	static const char seps[2] = { '/', '.' };
	static const char alpha[3] = { '/', '.', 'a' };
	char buf[8];
	unsigned kk, len, code, total, k;

	for (kk = 0; kk < 2; kk++) {
		for (len = 1; len <= 7; len++) {
			total = 1;
			for (k = 0; k < len; k++)
				total *= 3;
			for (code = 0; code < total; code++) {
				unsigned v = code;

				for (k = 0; k < len; k++) {
					buf[k] = alpha[v % 3];
					v /= 3;
				}
				buf[len] = 0;
				if (canonical(kinds[kk], buf) !=
				    canonical_by_split(seps[kk], buf)) {
					fprintf(stderr, "disagree on kind %u \"%s\"\n",
						kinds[kk], buf);
					EXPECT(0);
					return;
				}
			}
		}
	}
}

int
main(void)
{
	RUN(narrowed_child_accepted);
	RUN(equal_child_accepted);
	RUN(wildcard_parent_covers_any_scope);
	RUN(no_delegate_right_refused);
	RUN(kind_changed_refused);
	RUN(rights_widened_invoke_refused);
	RUN(rights_widened_read_refused);
	RUN(rights_widened_write_refused);
	RUN(rights_widened_delegate_refused);
	RUN(rights_kept_accepted);
	RUN(scope_widened_sibling_with_shared_prefix_refused);
	RUN(scope_widened_parent_of_parent_refused);
	RUN(scope_widened_other_tree_refused);
	RUN(scope_within_component_boundary_accepted);
	RUN(scope_widened_net_host_change_refused);
	RUN(scope_tool_prefix_on_dot_boundary);
	RUN(scope_within_edge_cases);
	RUN(window_widened_earlier_start_refused);
	RUN(window_widened_later_end_refused);
	RUN(window_widened_both_sides_refused);
	RUN(uses_widened_refused);
	RUN(depth_not_decreasing_equal_refused);
	RUN(depth_not_decreasing_greater_refused);
	RUN(depth_exhausted_parent_refused);
	RUN(first_broken_rule_is_the_reason);
	RUN(scope_canonical_refuses_dotdot_escape);
	RUN(scope_canonical_refuses_dot_component);
	RUN(scope_canonical_refuses_empty_component);
	RUN(scope_canonical_accepts_plain_paths);
	RUN(non_printable_resource_refused_by_the_library);
	RUN(scope_canonical_agrees_with_component_split);
	T_EXIT();
}
