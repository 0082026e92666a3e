/*
 * test_names.c -- the one list of names (server/names.c) against what
 * it names: the enum and the defines of core/ward.h, server/journal.h
 * and server/wire.h, and the enums of proto/ward/v1/ward.proto, read
 * from the tree (run from its top, as tests/run does).  Every value has
 * a name, no name is left over, names are unique, and the proto's
 * REASON_X = N is named x at N: a code renumbered or added on one side
 * only fails here, not in a log line.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "t.h"
#include "ward.h"
#include "journal.h"
#include "names.h"

#define MAXV 256

struct val {
	char name[64];		/* what follows the prefix, as written */
	long num;
};

struct vals {
	struct val v[MAXV];
	size_t n;
	int found;		/* the file could be read */
};

/* Collects "PREFIXNAME = N," lines (enum) or "#define PREFIXNAME N"
 * lines, between the line holding `from` (NULL: the start) and the next
 * line starting with "}" when from is given. */
static void
scan(const char *path, const char *from, const char *prefix, int define,
     struct vals *out)
{
	char line[512];
	FILE *f = fopen(path, "r");
	int in = from == NULL;
	size_t pl = strlen(prefix);

	memset(out, 0, sizeof *out);
	if (f == NULL)
		return;
	out->found = 1;
	while (fgets(line, sizeof line, f) != NULL) {
		char *p = line, name[128];
		long num;

		if (!in) {
			in = strstr(line, from) != NULL;
			continue;
		}
		if (from != NULL && line[0] == '}')
			break;
		while (*p == ' ' || *p == '\t')
			p++;
		if (define) {
			if (strncmp(p, "#define ", 8) != 0)
				continue;
			p += 8;
		}
		if (strncmp(p, prefix, pl) != 0)
			continue;
		if ((define ? sscanf(p + pl, "%127[A-Z0-9_] %li", name, &num) :
		     sscanf(p + pl, "%127[A-Z0-9_] = %li", name, &num)) != 2 ||
		    strlen(name) >= 64 ||
		    strcmp(name, "LAST") == 0 ||
		    strcmp(name, "REASON_LAST") == 0 || out->n == MAXV)
			continue;
		snprintf(out->v[out->n].name, sizeof out->v[out->n].name, "%s",
			 name);
		out->v[out->n].num = num;
		out->n++;
	}
	fclose(f);
}

/* NAME_OF_IT -> name_of_it; with dot, the first '_' becomes '.'. */
static void
lower(char *out, const char *in, int dot)
{
	int first = 1;

	for (; *in != '\0'; in++, out++) {
		*out = (char)tolower((unsigned char)*in);
		if (dot && first && *in == '_') {
			*out = '.';
			first = 0;
		}
	}
	*out = '\0';
}

static int
unique(const char *const *t, size_t n)
{
	size_t i, j;

	for (i = 0; i < n; i++)
		for (j = i + 1; j < n; j++)
			if (t[i] != NULL && t[j] != NULL && strcmp(t[i], t[j]) == 0)
				return 0;
	return 1;
}

/* Every value of vs is named in t as its lower-cased name (or only
 * named, when derive is 0); returns the number of mismatches and prints
 * the first. */
static int
check(const char *t_name, const struct vals *vs, const char *const *t,
      size_t tlen, int derive, int dot, const char *where)
{
	char want[64];
	size_t i;
	int bad = 0;

	for (i = 0; i < vs->n; i++) {
		const struct val *v = &vs->v[i];
		const char *got = v->num >= 0 && (size_t)v->num < tlen ?
				  t[v->num] : NULL;

		lower(want, v->name, dot);
		if (got == NULL || (derive && strcmp(got, want) != 0)) {
			if (bad++ == 0)
				printf("  %s: %s%s = %ld is named %s, expected %s\n",
				       t_name, where, v->name, v->num,
				       got ? got : "(nothing)", want);
		}
	}
	return bad;
}

/* Every name in t[lo..hi) is for a value of vs. */
static int
no_extra(const struct vals *vs, const char *const *t, size_t lo, size_t hi)
{
	size_t i, j;

	for (i = lo; i < hi; i++) {
		int seen = 0;

		if (t[i] == NULL)
			continue;
		for (j = 0; j < vs->n; j++)
			seen |= vs->v[j].num == (long)i;
		if (!seen) {
			printf("  name '%s' at %zu is for no value\n", t[i], i);
			return 0;
		}
	}
	return 1;
}

TEST(reasons_match_ward_h_enum)
{
	struct vals vs;
	long i;

	scan("core/ward.h", "enum ward_reason {", "WARD_", 0, &vs);
	EXPECT(vs.found);
	/* WARD_OK and WARD_E_*: the prefix of a name is E_ or nothing. */
	for (i = 0; i < (long)vs.n; i++)
		if (strncmp(vs.v[i].name, "E_", 2) == 0)
			memmove(vs.v[i].name, vs.v[i].name + 2,
				strlen(vs.v[i].name + 2) + 1);
	EXPECT_EQ(vs.n, WARD_REASON_LAST + 1);
	for (i = 0; i < (long)vs.n; i++)
		EXPECT_EQ(vs.v[i].num, i);	/* no gap, in order */
	EXPECT_EQ(check(t_name, &vs, wn_reasons, wn_reasons_len, 1, 0,
			"WARD_E_"), 0);
	EXPECT(no_extra(&vs, wn_reasons, 0, 100));
}

TEST(reasons_match_wire_h_process_codes)
{
	struct vals vs;

	scan("server/wire.h", NULL, "WR_", 1, &vs);
	EXPECT(vs.found);
	EXPECT(vs.n >= 14);
	EXPECT_EQ(check(t_name, &vs, wn_reasons, wn_reasons_len, 1, 0, "WR_"), 0);
	EXPECT(no_extra(&vs, wn_reasons, 100, wn_reasons_len));
}

TEST(reasons_match_proto_enum)
{
	struct vals vs;
	size_t i;

	scan("proto/ward/v1/ward.proto", "enum Reason {", "REASON_", 0, &vs);
	EXPECT(vs.found);
	EXPECT(vs.n >= 15);
	EXPECT_EQ(check(t_name, &vs, wn_reasons, wn_reasons_len, 1, 0,
			"REASON_"), 0);
	/* The proto lists the process's codes (100..) and REASON_OK; the
	 * core's 1..39 are ward.h's by the same numbers (its comment). */
	EXPECT(no_extra(&vs, wn_reasons, 100, wn_reasons_len));
	for (i = 0; i < vs.n; i++)
		EXPECT(vs.v[i].num == 0 || vs.v[i].num >= 100);
}

TEST(every_proto_enum_has_a_table)
{
	char line[512];
	FILE *f = fopen("proto/ward/v1/ward.proto", "r");
	int enums = 0;

	EXPECT(f != NULL);
	if (f == NULL)
		return;
	while (fgets(line, sizeof line, f) != NULL) {
		char name[64];

		if (sscanf(line, " enum %63[A-Za-z0-9_] {", name) != 1)
			continue;
		enums++;
		if (strcmp(name, "Reason") != 0) {
			printf("  proto enum %s has no names table in "
			       "server/names.c and no check here\n", name);
			EXPECT(0);
		}
	}
	fclose(f);
	EXPECT_EQ(enums, 1);
}

TEST(ops_match_ward_h)
{
	struct vals vs;

	scan("core/ward.h", NULL, "WARD_OP_", 1, &vs);
	EXPECT_EQ(vs.n, WARD_OP_LAST);
	EXPECT_EQ(wn_ops_len, WARD_OP_LAST + 1);
	EXPECT(wn_ops[0] == NULL);
	EXPECT_EQ(check(t_name, &vs, wn_ops, wn_ops_len, 1, 1, "WARD_OP_"), 0);
	EXPECT(no_extra(&vs, wn_ops, 0, wn_ops_len));
	EXPECT(strcmp(wn_op(0), "op?") == 0 && strcmp(wn_op(99), "op?") == 0);
}

TEST(kinds_match_ward_h)
{
	struct vals vs;

	scan("core/ward.h", NULL, "WARD_KIND_", 1, &vs);
	EXPECT_EQ(vs.n, WARD_KIND_LAST);
	EXPECT_EQ(wn_kinds_len, WARD_KIND_LAST + 1);
	EXPECT_EQ(check(t_name, &vs, wn_kinds, wn_kinds_len, 1, 0,
			"WARD_KIND_"), 0);
	EXPECT(no_extra(&vs, wn_kinds, 0, wn_kinds_len));
	EXPECT_EQ(wn_kind_from("fs"), WARD_KIND_FS);
	EXPECT_EQ(wn_kind_from("nope"), -1);
}

TEST(events_match_journal_h_enum)
{
	struct vals vs;
	long i;

	scan("server/journal.h", "enum jr_kind {", "JK_", 0, &vs);
	EXPECT_EQ(vs.n, JK_LAST + 1);
	EXPECT_EQ(wn_events_len, JK_LAST + 1);
	for (i = 0; i < (long)vs.n; i++)
		EXPECT_EQ(vs.v[i].num, i);
	EXPECT_EQ(check(t_name, &vs, wn_events, wn_events_len, 0, 0, "JK_"), 0);
	EXPECT(no_extra(&vs, wn_events, 0, wn_events_len));
}

TEST(verdicts_and_vias_match_journal_h)
{
	struct vals vs;

	scan("server/journal.h", NULL, "JV_", 1, &vs);
	EXPECT_EQ(vs.n, 4);	/* allowed, blocked, reported, deferred */
	EXPECT_EQ(check(t_name, &vs, wn_verdicts, wn_verdicts_len, 0, 0, "JV_"),
		  0);
	EXPECT(no_extra(&vs, wn_verdicts, 0, wn_verdicts_len));
	scan("server/journal.h", NULL, "JS_", 1, &vs);
	EXPECT_EQ(vs.n, 3);
	EXPECT_EQ(check(t_name, &vs, wn_vias, wn_vias_len, 0, 0, "JS_"), 0);
	EXPECT(no_extra(&vs, wn_vias, 0, wn_vias_len));
}

TEST(names_are_unique_in_each_table)
{
	EXPECT(unique(wn_reasons, wn_reasons_len));
	EXPECT(unique(wn_ops, wn_ops_len));
	EXPECT(unique(wn_kinds, wn_kinds_len));
	EXPECT(unique(wn_events, wn_events_len));
	EXPECT(unique(wn_verdicts, wn_verdicts_len));
	EXPECT(unique(wn_vias, wn_vias_len));
}

TEST(unknown_codes_read_as_unknown)
{
	EXPECT(strcmp(wn_reason(40), "unknown_reason") == 0);
	EXPECT(strcmp(wn_reason(255), "unknown_reason") == 0);
	EXPECT(strcmp(wn_reason(WARD_E_REPLAY), "replay") == 0);
	EXPECT(strcmp(wn_event(200), "unknown") == 0);
	EXPECT(strcmp(wn_verdict(0), "verdict?") == 0);
}

int
main(void)
{
	RUN(reasons_match_ward_h_enum);
	RUN(reasons_match_wire_h_process_codes);
	RUN(reasons_match_proto_enum);
	RUN(every_proto_enum_has_a_table);
	RUN(ops_match_ward_h);
	RUN(kinds_match_ward_h);
	RUN(events_match_journal_h_enum);
	RUN(verdicts_and_vias_match_journal_h);
	RUN(names_are_unique_in_each_table);
	RUN(unknown_codes_read_as_unknown);
	T_EXIT();
}
