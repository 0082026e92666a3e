/*
 * names.h -- the one list of names for the codes of ward: reasons, ops,
 * resource kinds, audit event kinds, verdicts and the socket a request
 * came by.  Every printer (the audit log's, the CLI's, the broker's, the
 * gateway's, the test tools') takes its names from here, and each table
 * is written with designated initializers beside the enum it names
 * ([WARD_E_REPLAY] = "replay"), so no name can slip to another position.
 *
 * The numbers are those of core/ward.h (reasons 0 .. WARD_REASON_LAST,
 * WARD_OP_*, WARD_KIND_*), server/wire.h (reasons from 100, which are
 * enum Reason of proto/ward/v1/ward.proto) and server/journal.h (JK_*,
 * JV_*, JS_*).  tests/unit/test_names.c checks every table against those
 * headers and the proto: every value named, names unique, the proto's
 * REASON_X = N named x at N.  Words for people: docs/glossary.md.
 *
 * Not part of the verified core.
 */
#ifndef WARD_SRV_NAMES_H
#define WARD_SRV_NAMES_H

#include <stddef.h>

/* The tables, indexed by code; a NULL entry is no code.  For the test
 * and for parsers (wn_kind_from); printers use the functions below. */
extern const char *const wn_reasons[];
extern const size_t wn_reasons_len;
extern const char *const wn_ops[];
extern const size_t wn_ops_len;
extern const char *const wn_kinds[];
extern const size_t wn_kinds_len;
extern const char *const wn_events[];
extern const size_t wn_events_len;
extern const char *const wn_verdicts[];
extern const size_t wn_verdicts_len;
extern const char *const wn_vias[];
extern const size_t wn_vias_len;

/* The name of a code; never NULL: an unknown code reads
 * "unknown_reason", "op?", "kind?", "unknown", "verdict?", "via?". */
const char *wn_reason(unsigned r);	/* enum ward_reason and WR_* */
const char *wn_op(unsigned op);		/* WARD_OP_*: "fs.read" */
const char *wn_kind(unsigned kind);	/* WARD_KIND_*: "fs" */
const char *wn_event(unsigned k);	/* JK_*: "context.open" */
const char *wn_verdict(unsigned v);	/* JV_* = WARD_VERDICT_*: "ALLOWED" */
const char *wn_via(unsigned s);		/* JS_*: "broker" */

/* The code of a resource kind's name, or -1. */
int wn_kind_from(const char *s);

#endif
