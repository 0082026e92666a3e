/*
 * names.c -- the one list of names (names.h).  Checked against the enums
 * and the proto by tests/unit/test_names.c.
 */
#include <string.h>

#include "names.h"
#include "ward.h"
#include "approve.h"
#include "journal.h"
#include "wire.h"

#define LEN(a) (sizeof (a) / sizeof (a)[0])

const char *const wn_reasons[] = {
	[WARD_OK] = "ok",
	[WARD_E_MALFORMED] = "malformed",
	[WARD_E_VERSION] = "version",
	[WARD_E_KIND] = "kind",
	[WARD_E_FLAGS] = "flags",
	[WARD_E_TRAILING] = "trailing",
	[WARD_E_OVERSIZE] = "oversize",
	[WARD_E_NONCANONICAL] = "noncanonical",
	[WARD_E_CHAIN_EMPTY] = "chain_empty",
	[WARD_E_CHAIN_TOO_LONG] = "chain_too_long",
	[WARD_E_SIGNATURE] = "signature",
	[WARD_E_PARENT_HASH] = "parent_hash",
	[WARD_E_ISSUER] = "issuer",
	[WARD_E_UNTRUSTED_ROOT] = "untrusted_root",
	[WARD_E_ROOT_PARENT] = "root_parent",
	[WARD_E_RIGHTS_WIDENED] = "rights_widened",
	[WARD_E_SCOPE_WIDENED] = "scope_widened",
	[WARD_E_WINDOW_WIDENED] = "window_widened",
	[WARD_E_USES_WIDENED] = "uses_widened",
	[WARD_E_DEPTH] = "depth",
	[WARD_E_NO_DELEGATE] = "no_delegate",
	[WARD_E_KIND_CHANGED] = "kind_changed",
	[WARD_E_REVOKED] = "revoked",
	[WARD_E_NOT_YET_VALID] = "not_yet_valid",
	[WARD_E_EXPIRED] = "expired",
	[WARD_E_CONTEXT] = "context",
	[WARD_E_CONTEXT_UNKNOWN] = "context_unknown",
	[WARD_E_OP] = "op",
	[WARD_E_NOT_GRANTED] = "not_granted",
	[WARD_E_OUT_OF_SCOPE] = "out_of_scope",
	[WARD_E_REPLAY] = "replay",
	[WARD_E_NONCE_STALE] = "nonce_stale",
	[WARD_E_USES_EXHAUSTED] = "uses_exhausted",
	[WARD_E_LEDGER_FULL] = "ledger_full",
	[WARD_E_REVOKE_FULL] = "revoke_full",
	[WARD_E_CONTEXT_FULL] = "context_full",
	[WARD_E_CYCLE] = "cycle",
	[WARD_E_EXHAUSTED] = "exhausted",
	[WARD_E_CRYPTO] = "crypto",
	[WARD_E_CONTEXT_EXISTS] = "context_exists",
	[WR_PROTO_MALFORMED] = "proto_malformed",
	[WR_PROTO_OVERSIZE] = "proto_oversize",
	[WR_PROTO_UNKNOWN_FIELD] = "proto_unknown_field",
	[WR_PROTO_MISSING] = "proto_missing",
	[WR_ADMIN_ONLY] = "admin_only",
	[WR_ADMIN_UNSIGNED] = "admin_unsigned",
	[WR_ADMIN_SIGNATURE] = "admin_signature",
	[WR_ADMIN_STALE] = "admin_stale",
	[WR_ADMIN_REPLAY] = "admin_replay",
	[WR_CONTEXT_REUSED] = "context_reused",
	[WR_CONTEXT_CLOSED] = "context_closed",
	[WR_TARGET] = "target",
	[WR_STATE_FULL] = "state_full",
	[WR_INTERNAL] = "internal",
	[WR_SECRET_UNKNOWN] = "secret_unknown",
	[WR_SECRET_NO_EGRESS] = "secret_no_egress",
	[WR_VAULT] = "vault",
	[WR_DEFERRED] = "deferred",
	[WR_OPERATOR_DENIED] = "operator_denied",
	[WR_DEFERRED_EXPIRED] = "deferred_expired",
	[WR_REVOKE_QUOTA] = "revoke_quota",
};
const size_t wn_reasons_len = LEN(wn_reasons);

const char *const wn_ops[] = {
	[WARD_OP_TOOL_INVOKE] = "tool.invoke",
	[WARD_OP_FS_READ] = "fs.read",
	[WARD_OP_FS_WRITE] = "fs.write",
	[WARD_OP_NET_CONNECT] = "net.connect",
	[WARD_OP_MEM_READ] = "mem.read",
	[WARD_OP_MEM_WRITE] = "mem.write",
	[WARD_OP_SECRET_USE] = "secret.use",
	[WARD_OP_EXEC] = "exec",
	[WARD_OP_RESOURCE_READ] = "resource.read",
	[WARD_OP_PROMPT_GET] = "prompt.get",
};
const size_t wn_ops_len = LEN(wn_ops);

const char *const wn_kinds[] = {
	[WARD_KIND_TOOL] = "tool",
	[WARD_KIND_FS] = "fs",
	[WARD_KIND_NET] = "net",
	[WARD_KIND_MEM] = "mem",
	[WARD_KIND_SECRET] = "secret",
	[WARD_KIND_EXEC] = "exec",
	[WARD_KIND_RESOURCE] = "resource",
	[WARD_KIND_PROMPT] = "prompt",
};
const size_t wn_kinds_len = LEN(wn_kinds);

const char *const wn_events[] = {
	[JK_UNKNOWN] = "request",
	[JK_OPEN] = "context.open",
	[JK_APPROVE] = "approve",
	[JK_ATTENUATE] = "attenuate",
	[JK_REVOKE] = "revoke",
	[JK_CLOSE] = "context.close",
	[JK_LOG] = "log",
	[JK_STATUS] = "status",
	[JK_CHECKPOINT] = "checkpoint",
	[JK_TRUST] = "trust",
	[JK_SPAWN] = "spawn",
	[JK_ADMIN] = "admin",
	[JK_START] = "start",
	[JK_RECOVER] = "recover",
	[JK_LIST] = "context.list",
	[JK_SECRET] = "secret",
	[JK_ASK] = "ask",
	[JK_DEFER] = "deferred",
};
const size_t wn_events_len = LEN(wn_events);

/* The core's decision records and the process's event records share the
 * first two verdicts (approve.h, journal.h). */
_Static_assert(JV_ALLOWED == WARD_VERDICT_ALLOWED &&
	       JV_BLOCKED == WARD_VERDICT_BLOCKED, "verdict codes differ");
const char *const wn_verdicts[] = {
	[JV_ALLOWED] = "ALLOWED",
	[JV_BLOCKED] = "BLOCKED",
	[JV_REPORTED] = "REPORTED",
	[JV_DEFERRED] = "DEFERRED",
};
const size_t wn_verdicts_len = LEN(wn_verdicts);

const char *const wn_vias[] = {
	[JS_CORE] = "core",
	[JS_ADMIN] = "admin",
	[JS_BROKER] = "broker",
};
const size_t wn_vias_len = LEN(wn_vias);

static const char *
pick(const char *const *t, size_t n, unsigned i, const char *none)
{
	return i < n && t[i] != NULL ? t[i] : none;
}

const char *
wn_reason(unsigned r)
{
	return pick(wn_reasons, wn_reasons_len, r, "unknown_reason");
}

const char *
wn_op(unsigned op)
{
	return pick(wn_ops, wn_ops_len, op, "op?");
}

const char *
wn_kind(unsigned kind)
{
	return pick(wn_kinds, wn_kinds_len, kind, "kind?");
}

const char *
wn_event(unsigned k)
{
	return pick(wn_events, wn_events_len, k, "unknown");
}

const char *
wn_verdict(unsigned v)
{
	return pick(wn_verdicts, wn_verdicts_len, v, "verdict?");
}

const char *
wn_via(unsigned s)
{
	return pick(wn_vias, wn_vias_len, s, "via?");
}

int
wn_kind_from(const char *s)
{
	size_t k;

	for (k = 0; s != NULL && k < wn_kinds_len; k++)
		if (wn_kinds[k] != NULL && strcmp(s, wn_kinds[k]) == 0)
			return (int)k;
	return -1;
}
