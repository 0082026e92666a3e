/*
 * profile.c -- the agent profile language (docs/profiles.md).  One
 * directive a line, words separated by blanks, '#' starts a comment:
 *
 *   name NAME
 *   run PROGRAM ARG...
 *   workspace DIR
 *   allow TOOL [SCOPE] [uses N] [expires DURATION] [delegate]
 *   limit memory|tmp SIZE | pids N | cpu PERCENT | time DURATION
 *   secret NAME for HOST:PORT header HEADER [uses N] [expires DURATION]
 *   llm openai|anthropic HOST:PORT model MODEL key SECRET [max-tokens N]
 *       [budget N] [uses N] [expires DURATION]
 *
 * It also holds what both profile languages share (the gateway's is in
 * gw_profile.c): the lexer, the one parser (pf_parse_file, a table of
 * directives a language), the run line, the allow options and the one
 * table of limits.  Every error names file:line:column and gives a hint.  Not part of the
 * verified core: a profile only decides what the operator signs.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "wb.h"
#include "text.h"
#include "sandbox.h"

struct tooldef {
	const char *name;
	unsigned kind, op;
	int rd, wr;
	const char *dflt;	/* default scope, NULL: required */
	const char *what;
};

static const struct tooldef tooldefs[] = {
	{ "fs.read", WARD_KIND_FS, WARD_OP_FS_READ, 1, 0, "/workspace",
	  "read a file" },
	{ "fs.list", WARD_KIND_FS, WARD_OP_FS_READ, 1, 0, "/workspace",
	  "list a folder" },
	{ "fs.stat", WARD_KIND_FS, WARD_OP_FS_READ, 1, 0, "/workspace",
	  "describe a file" },
	{ "fs.write", WARD_KIND_FS, WARD_OP_FS_WRITE, 0, 1, "/workspace",
	  "write a file" },
	{ "exec", WARD_KIND_EXEC, WARD_OP_EXEC, 0, 0, NULL,
	  "run a program in a fresh sandbox" },
	{ "memory.read", WARD_KIND_MEM, WARD_OP_MEM_READ, 1, 0, "/",
	  "read a key of the transaction's memory" },
	{ "memory.write", WARD_KIND_MEM, WARD_OP_MEM_WRITE, 0, 1, "/",
	  "write a key of the transaction's memory" },
	{ "net", WARD_KIND_NET, WARD_OP_NET_CONNECT, 0, 0, NULL,
	  "connect to host:port" },
	{ "echo", WARD_KIND_TOOL, WARD_OP_TOOL_INVOKE, 0, 0, "echo",
	  "return its arguments (a trivial tool)" },
};

static const struct tooldef *find_tool(const char *name);

int
pf_tool_op(const char *name, unsigned *kind, unsigned *op)
{
	const struct tooldef *td = name != NULL ? find_tool(name) : NULL;

	if (td != NULL) {
		*kind = td->kind;
		*op = td->op;
	} else if (name != NULL && strcmp(name, "secret") == 0) {
		*kind = WARD_KIND_SECRET;
		*op = WARD_OP_SECRET_USE;
	} else if (name != NULL && strcmp(name, "llm.complete") == 0) {
		*kind = WARD_KIND_TOOL;
		*op = WARD_OP_TOOL_INVOKE;
	} else {
		return -1;
	}
	return 0;
}

const char *pf_tool_hint(void);
const char *
pf_tool_hint(void)
{
	return "fs.read, fs.write, fs.list, fs.stat, exec, memory.read, "
	       "memory.write, net, echo";
}

static const struct tooldef *
find_tool(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof tooldefs / sizeof tooldefs[0]; i++)
		if (strcmp(tooldefs[i].name, name) == 0)
			return &tooldefs[i];
	return NULL;
}

int
pf_error(struct pf_lexer *lx, int col, const char *hint, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	snprintf(lx->err, lx->errlen, "%s:%d:%d: error: %s\n  hint: %s",
		 lx->file, lx->line, col, msg, hint);
	return -1;
}

int
pf_next_line(struct pf_lexer *lx, FILE *f, char *line, size_t cap, char **w,
	     int *col, int *nw)
{
	size_t i;

	for (;;) {
		char *s = line;

		if (fgets(line, (int)cap, f) == NULL)
			return ferror(f) ? pf_error(lx, 1, "check the file",
						    "cannot read: %s",
						    strerror(errno)) : 0;
		lx->line++;
		if (strchr(line, '\n') == NULL && !feof(f))
			return pf_error(lx, 1, "split it: a line holds one "
					"directive", "line longer than %zu bytes",
					cap - 2);
		*nw = 0;
		for (;;) {
			while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
				s++;
			if (*s == '\0' || *s == '#')
				break;
			if (*nw == PF_MAXW)
				return pf_error(lx, (int)(s - line) + 1,
						"split the directive",
						"more than %d words", PF_MAXW);
			col[*nw] = (int)(s - line) + 1;
			w[(*nw)++] = s;
			while (*s != '\0' && *s != ' ' && *s != '\t' &&
			       *s != '\r' && *s != '\n')
				s++;
			if (*s != '\0')
				*s++ = '\0';
			for (i = 0; w[*nw - 1][i] != '\0'; i++)
				if ((unsigned char)w[*nw - 1][i] < 0x20 ||
				    (unsigned char)w[*nw - 1][i] > 0x7e)
					return pf_error(lx, col[*nw - 1] + (int)i,
							"use printable ASCII only",
							"control or non-ASCII byte");
		}
		if (*nw > 0)
			return 1;
	}
}

int
pf_limit(struct pf_lexer *lx, char **w, const int *col, int nw,
	 struct pf_limits *l)
{
	uint64_t v;

	if (nw != 3)
		return pf_error(lx, col[0], l->time_ms != NULL ?
				"write: limit memory 256M | tmp 16M | pids 64 | "
				"cpu 50 | time 60s" : "write: limit memory 256M | "
				"tmp 16M | pids 64 | cpu 50",
				"'limit' takes a name and a value");
	if (strcmp(w[1], "memory") == 0 || strcmp(w[1], "tmp") == 0) {
		int mem = w[1][0] == 'm';

		if (ward_sb_parse_size(w[2], &v) != 0 ||
		    v < (mem ? WARD_SB_MEMORY_MIN : (1u << 20)) ||
		    v > (64ull << 30))
			return pf_error(lx, col[2], mem ? "write a size such as "
					"64M or 1G, from 4M (the smallest a "
					"sandbox is made with) to 64G" : "write a "
					"size such as 64M or 1G, from 1M to 64G",
					"bad size");
		*(mem ? l->mem_bytes : l->tmp_bytes) = v;
	} else if (strcmp(w[1], "pids") == 0) {
		if (pf_parse_uint(w[2], 4096, &v) != 0 || v < 2)
			return pf_error(lx, col[2], "2 to 4096", "bad pids limit");
		*l->pids = (uint32_t)v;
	} else if (strcmp(w[1], "cpu") == 0) {
		if (pf_parse_uint(w[2], 1600, &v) != 0 || v == 0)
			return pf_error(lx, col[2], "a percentage of one core, 1 "
					"to 1600", "bad cpu limit");
		*l->cpu = (uint32_t)v;
	} else if (strcmp(w[1], "time") == 0 && l->time_ms != NULL) {
		if (pf_parse_duration(w[2], &v) != 0)
			return pf_error(lx, col[2], "a duration such as 30s or 5m",
					"bad time limit");
		*l->time_ms = v * 1000;
	} else {
		return pf_error(lx, col[1], l->time_ms != NULL ? "one of: memory, "
				"tmp, pids, cpu, time" : "one of: memory, tmp, "
				"pids, cpu (a server runs as long as the gateway)",
				"unknown limit '%s'", w[1]);
	}
	return 0;
}

int
pf_parse_uint(const char *s, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (s == NULL || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || v > max)
		return -1;
	*out = v;
	return 0;
}

/* 30s, 10m, 2h, 1d, or plain seconds. */
int
pf_parse_duration(const char *s, uint64_t *secs)
{
	char buf[32];
	size_t n = strlen(s);
	uint64_t v, mul = 1;

	if (n == 0 || n >= sizeof buf)
		return -1;
	memcpy(buf, s, n + 1);
	switch (buf[n - 1]) {
	case 's': mul = 1; buf[n - 1] = '\0'; break;
	case 'm': mul = 60; buf[n - 1] = '\0'; break;
	case 'h': mul = 3600; buf[n - 1] = '\0'; break;
	case 'd': mul = 86400; buf[n - 1] = '\0'; break;
	default: break;
	}
	if (pf_parse_uint(buf, 365ull * 86400, &v) != 0 || v * mul == 0 ||
	    v * mul > 365ull * 86400)
		return -1;
	*secs = v * mul;
	return 0;
}

static int
scope_ok(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > WARD_SCOPE_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if (s[i] < 0x21 || s[i] > 0x7e)
			return 0;
	return 1;
}

/* A path scope must be absolute with no empty, "." or ".." component. */
static int
path_canonical(const char *s)
{
	const char *p = s;

	if (*p != '/')
		return 0;
	if (p[1] == '\0')
		return 1;
	p++;
	for (;;) {
		const char *e = strchr(p, '/');
		size_t l = e != NULL ? (size_t)(e - p) : strlen(p);

		if ((l == 0 && e != NULL && e[1] != '\0') ||
		    (l == 1 && p[0] == '.') || (l == 2 && p[0] == '.' && p[1] == '.'))
			return 0;
		if (e == NULL || e[1] == '\0')
			return 1;
		p = e + 1;
	}
}

/* A net scope: HOST:PORT, a host of letters, digits, '.', '-' and a port
 * from 1 to 65535 without a leading zero.  (A leading '*.' is refused
 * before: ward-core matches net scopes exactly.) */
int
pf_net_scope_ok(const char *s)
{
	const char *c = strrchr(s, ':'), *h = s;
	unsigned long port = 0;
	const char *d;

	if (c == NULL || c == s || c[1] == '\0' || c[1] == '0')
		return 0;
	for (d = c + 1; *d != '\0'; d++) {
		if (*d < '0' || *d > '9' || d - c > 5)
			return 0;
		port = port * 10 + (unsigned long)(*d - '0');
	}
	if (port < 1 || port > 65535)
		return 0;
	if (strncmp(h, "*.", 2) == 0)
		h += 2;
	if (h == c)
		return 0;
	for (; h < c; h++)
		if (!isalnum((unsigned char)*h) && *h != '.' && *h != '-')
			return 0;
	return 1;
}


/* ---- the one parser ------------------------------------------------------ */

static const struct pf_directive *
find_directive(const struct pf_lang *lang, const char *word)
{
	const struct pf_directive *d;

	for (d = lang->d; d->word != NULL; d++)
		if (strcmp(d->word, word) == 0)
			return d;
	return NULL;
}

int
pf_parse_file(const char *path, const struct pf_lang *lang, void *st,
	      char *err, size_t errlen)
{
	struct pf_parse ps;
	char line[4096];
	char *w[PF_MAXW], *slash;
	int col[PF_MAXW];
	FILE *f;
	int nw, got, rc = -1;

	memset(&ps, 0, sizeof ps);
	ps.lx.file = path;
	ps.lx.err = err;
	ps.lx.errlen = errlen;
	ps.lang = lang;
	ps.st = st;
	if (realpath(path, ps.dir) == NULL ||
	    (f = fopen(path, "re")) == NULL) {
		snprintf(err, errlen, "%s: cannot read the %s: %s\n  hint: give "
			 "the path of a %s (%s)", path, lang->what,
			 strerror(errno), lang->what, lang->doc);
		return -1;
	}
	slash = strrchr(ps.dir, '/');
	if (slash != NULL && slash != ps.dir)
		*slash = '\0';
	while ((got = pf_next_line(&ps.lx, f, line, sizeof line, w, col,
				   &nw)) > 0) {
		const struct pf_directive *d = find_directive(lang, w[0]);

		if (d == NULL) {
			pf_error(&ps.lx, col[0], lang->directives,
				 "unknown directive '%s'", w[0]);
			goto out;
		}
		if (d->flags & PF_RETIRED) {
			pf_error(&ps.lx, col[0], d->hint, "'%s' is now '%s'",
				 w[0], d->now);
			goto out;
		}
		if ((d->flags & PF_IN_BLOCK) && !ps.in_block) {
			char hint[128];

			snprintf(hint, sizeof hint, "start the %s's block first: "
				 "%s NAME", lang->block, lang->block);
			pf_error(&ps.lx, col[0], hint, "'%s' outside a %s", w[0],
				 lang->block);
			goto out;
		}
		if (d->fn(&ps, w, col, nw) != 0)
			goto out;
		if (d->flags & PF_OPENS_BLOCK)
			ps.in_block = 1;
	}
	if (got < 0)
		goto out;
	if (ps.lx.line == 0)
		ps.lx.line = 1;
	rc = lang->finish(&ps);
out:
	fclose(f);
	return rc;
}

int
pf_is_gateway(const char *path)
{
	struct pf_lexer lx;
	char line[4096], err[256];
	char *w[PF_MAXW];
	int col[PF_MAXW], nw, got, r = 0;
	FILE *f = fopen(path, "re");

	if (f == NULL)
		return 0;
	lx.file = path;
	lx.line = 0;
	lx.err = err;
	lx.errlen = sizeof err;
	while (r == 0 && (got = pf_next_line(&lx, f, line, sizeof line, w, col,
					     &nw)) > 0)
		r = strcmp(w[0], "server") == 0;
	fclose(f);
	return r;
}

int
pf_run_words(struct pf_lexer *lx, char **w, const int *col, int nw, int max)
{
	int i;

	if (nw < 2)
		return pf_error(lx, col[0], "write: run PROGRAM ARG... (for an "
				"agent, run python3 /agent/agent.py: the "
				"profile's folder is /agent in the sandbox)",
				"'run' needs a program");
	if (nw - 1 > max)
		return pf_error(lx, col[max + 1], "pass fewer arguments, or run a "
				"script that holds the command line",
				"more than %d words in 'run'", max);
	for (i = 1; i < nw; i++) {
		const char *q = strpbrk(w[i], "\"'");

		if (q != NULL)
			return pf_error(lx, col[i] + (int)(q - w[i]), "words are "
					"split at blanks and quotes are not read: "
					"put the command line in a script beside "
					"the profile and run that (an agent's: "
					"run /bin/sh /agent/start.sh)",
					"a quote in 'run'");
	}
	return 0;
}

/* The allow options; ask not NULL: the agent profile's `ask [D]` too. */
static int
allow_opts(struct pf_lexer *lx, char **w, const int *col, int nw, int k,
	   uint32_t *uses, uint64_t *expires, int *delegate, uint32_t *ask)
{
	const char *after = ask != NULL ? "after the scope come: uses N, "
		"expires DURATION, delegate, ask [DURATION]" :
		delegate != NULL ? "after the scope come: uses N, "
		"expires DURATION, delegate" : "after the tool come: uses N, "
		"expires DURATION";

	for (; k < nw; k++) {
		uint64_t v;

		if (strcmp(w[k], "ask") == 0 && ask != NULL) {
			/* Every use waits for the operator's answer, for at
			 * most the duration after it (default 5 minutes). */
			*ask = PF_ASK_DEFAULT;
			if (k + 1 < nw && w[k + 1][0] >= '0' && w[k + 1][0] <= '9') {
				if (pf_parse_duration(w[k + 1], &v) != 0 ||
				    v > PF_ASK_MAX)
					return pf_error(lx, col[k + 1], "write how "
							"long the operator has to "
							"answer, such as 30s, 10m or "
							"2h (at most 1d)",
							"bad ask deadline");
				*ask = (uint32_t)v;
				k++;
			}
			continue;
		}

		if (strcmp(w[k], "uses") == 0) {
			if (k + 1 >= nw || pf_parse_uint(w[k + 1], 1000000,
							 &v) != 0 || v == 0)
				return pf_error(lx, k + 1 < nw ? col[k + 1] :
						col[k] + 4, "write: uses N with N "
						"from 1 to 1000000", "bad use count");
			*uses = (uint32_t)v;
			k++;
		} else if (strcmp(w[k], "expires") == 0) {
			if (k + 1 >= nw || pf_parse_duration(w[k + 1], &v) != 0)
				return pf_error(lx, k + 1 < nw ? col[k + 1] :
						col[k] + 7, "write a duration such as "
						"30s, 10m, 2h or 1d (at most 365d)",
						"bad expiry");
			*expires = v;
			k++;
		} else if (strcmp(w[k], "delegate") == 0 && delegate != NULL) {
			*delegate = 1;
		} else {
			return pf_error(lx, col[k], after, "unexpected '%s'", w[k]);
		}
	}
	return 0;
}

int
pf_allow_opts(struct pf_lexer *lx, char **w, const int *col, int nw, int k,
	      uint32_t *uses, uint64_t *expires, int *delegate)
{
	return allow_opts(lx, w, col, nw, k, uses, expires, delegate, NULL);
}

/* ---- the agent profile's directives -------------------------------------- */

struct agent_st {
	struct pf_profile *p;
	int seen_run;
	const char *path;
};

static int
ag_name(struct pf_parse *ps, char **w, const int *col, int nw)
{
	struct agent_st *a = ps->st;

	if (nw != 2)
		return pf_error(&ps->lx, col[0], "write: name NAME",
				"'name' takes exactly one name");
	snprintf(a->p->name, sizeof a->p->name, "%s", w[1]);
	return 0;
}

static int
ag_run(struct pf_parse *ps, char **w, const int *col, int nw)
{
	struct agent_st *a = ps->st;
	int i;

	if (a->seen_run)
		return pf_error(&ps->lx, col[0], "keep one 'run' line",
				"a second 'run' (first on an earlier line)");
	if (pf_run_words(&ps->lx, w, col, nw, PF_MAX_ARGV) != 0)
		return -1;
	a->seen_run = 1;
	a->p->argc = nw - 1;
	for (i = 1; i < nw; i++)
		snprintf(a->p->argv[i - 1], sizeof a->p->argv[0], "%s", w[i]);
	return 0;
}

static int
ag_workspace(struct pf_parse *ps, char **w, const int *col, int nw)
{
	struct pf_profile *p = ((struct agent_st *)ps->st)->p;
	struct stat st;
	char full[1024], real[PATH_MAX];
	size_t dl = strlen(p->dir), n;

	if (nw != 2)
		return pf_error(&ps->lx, col[0], "write: workspace DIR (relative "
				"to the profile's folder)", "'workspace' takes "
				"one folder");
	/* The seed is copied into every run's workspace: a folder of the
	 * profile's own, never any host folder a profile names. */
	n = strlen(w[1]);
	if (w[1][0] == '/' || strcmp(w[1], "..") == 0 ||
	    strncmp(w[1], "../", 3) == 0 || strstr(w[1], "/../") != NULL ||
	    (n >= 3 && strcmp(w[1] + n - 3, "/..") == 0))
		return pf_error(&ps->lx, col[1], "put the seed folder beside the "
				"profile and name it relative to the profile's "
				"folder (workspace seed)", "workspace seed '%s' "
				"is outside the profile's folder", w[1]);
	snprintf(full, sizeof full, "%s/%s", p->dir, w[1]);
	if (stat(full, &st) != 0 || !S_ISDIR(st.st_mode))
		return pf_error(&ps->lx, col[1], "create the folder or fix the "
				"path", "workspace seed %s is not a folder", full);
	if (realpath(full, real) == NULL || strncmp(real, p->dir, dl) != 0 ||
	    real[dl] != '/')
		return pf_error(&ps->lx, col[1], "the seed must be a folder inside "
				"the profile's folder, not a symbolic link out "
				"of it", "workspace seed %s leads outside the "
				"profile's folder", full);
	snprintf(p->workspace, sizeof p->workspace, "%s", full);
	return 0;
}

/* The scope of an allow line: its rules by the tool's kind. */
static int
ag_scope(struct pf_parse *ps, const struct tooldef *td, const char *s, int c)
{
	if (!scope_ok(s))
		return pf_error(&ps->lx, c, "a scope is 1..200 printable bytes",
				"bad scope");
	if ((td->kind == WARD_KIND_FS || td->kind == WARD_KIND_EXEC ||
	     td->kind == WARD_KIND_MEM) && !path_canonical(s))
		return pf_error(&ps->lx, c, td->kind == WARD_KIND_FS ?
				"write an absolute path under /workspace, without "
				"'.', '..' or '//'" : "write an absolute path "
				"without '.', '..' or '//'", "scope '%s' is not "
				"a canonical absolute path", s);
	if (td->kind == WARD_KIND_NET && strncmp(s, "*.", 2) == 0)
		return pf_error(&ps->lx, c, "name each host: allow net "
				"api.example.com:443 (ward-core matches a net "
				"scope exactly, so a wildcard would match no host)",
				"wildcard net scope '%s'", s);
	if (td->kind == WARD_KIND_NET && !pf_net_scope_ok(s))
		return pf_error(&ps->lx, c, "name host:port, the port from 1 to "
				"65535: allow net example.org:443",
				"scope '%s' is not host:port", s);
	if (td->kind == WARD_KIND_TOOL && strcmp(s, td->name) != 0)
		return pf_error(&ps->lx, c, "leave the scope out", "the scope of "
				"tool %s can only be its name", td->name);
	return 0;
}

static int
ag_allow(struct pf_parse *ps, char **w, const int *col, int nw)
{
	struct pf_profile *p = ((struct agent_st *)ps->st)->p;
	const struct tooldef *td;
	struct pf_cap *c;
	int k = 2;

	if (nw < 2)
		return pf_error(&ps->lx, col[0], pf_tool_hint(), "'allow' needs a "
				"tool name");
	td = find_tool(w[1]);
	if (td == NULL)
		return pf_error(&ps->lx, col[1], pf_tool_hint(), "unknown tool "
				"'%s'", w[1]);
	if (p->ncaps == PF_MAX_CAPS)
		return pf_error(&ps->lx, col[0], "merge tools", "more than %d "
				"tools", PF_MAX_CAPS);
	c = &p->caps[p->ncaps];
	memset(c, 0, sizeof *c);
	snprintf(c->tool, sizeof c->tool, "%s", td->name);
	c->kind = td->kind;
	c->op = td->op;
	c->uses = 100;
	c->expires_s = 3600;
	c->line = ps->lx.line;
	if (nw > 2 && strcmp(w[2], "uses") != 0 && strcmp(w[2], "expires") != 0 &&
	    strcmp(w[2], "delegate") != 0 && strcmp(w[2], "ask") != 0) {
		if (ag_scope(ps, td, w[2], col[2]) != 0)
			return -1;
		snprintf(c->scope, sizeof c->scope, "%s", w[2]);
		k = 3;
	} else if (td->dflt != NULL) {
		snprintf(c->scope, sizeof c->scope, "%s", td->dflt);
	} else {
		return pf_error(&ps->lx, col[1] + (int)strlen(w[1]), td->kind ==
				WARD_KIND_EXEC ? "name the program: allow exec "
				"/usr/bin/wc (optionally with leading arguments: "
				"/usr/bin/wc/-l)" : "name host:port: allow net "
				"example.org:443", "tool %s needs a scope", td->name);
	}
	if (allow_opts(&ps->lx, w, col, nw, k, &c->uses, &c->expires_s,
		       &c->delegate, &c->ask_s) != 0)
		return -1;
	/* The operator answers a call the broker holds open: fs.write is
	 * decided when the transaction ends (its changes are committed
	 * then, with no agent waiting), and a connection by ward-egress,
	 * which sends no parameters the operator could read. */
	if (c->ask_s != 0 && (c->op == WARD_OP_FS_WRITE ||
			      c->kind == WARD_KIND_NET)) {
		int i;

		for (i = k; i < nw && strcmp(w[i], "ask") != 0; i++)
			;
		return pf_error(&ps->lx, col[i < nw ? i : 0], "ask is for the "
				"tools an agent calls and waits on: fs.read, "
				"fs.list, fs.stat, exec, memory.read, "
				"memory.write, echo", "'ask' on %s: %s", td->name,
				c->op == WARD_OP_FS_WRITE ? "writes are "
				"committed when the transaction ends, with no "
				"call held open" : "connections are approved for "
				"ward-egress, which shows no parameters");
	}
	p->ncaps++;
	return 0;
}

/* secret NAME for HOST:PORT header HEADER [uses N] [expires D]: the
 * capability secret.use NAME@HOST:PORT/header (header in lower case), one
 * approval each time ward-egress puts the value in that header of a
 * request to that destination.  The agent's environment holds NAME =
 * ward-secret-NAME, a placeholder, never the value (docs/secrets.md). */
static int
ag_secret(struct pf_parse *ps, char **w, const int *col, int nw)
{
	struct pf_profile *p = ((struct agent_st *)ps->st)->p;
	const char *use = "write: secret NAME for HOST:PORT header HEADER "
			  "[uses N] [expires DURATION]";
	struct pf_cap *c;
	size_t i, nl;
	int n;

	if (nw < 6 || strcmp(w[2], "for") != 0 || strcmp(w[4], "header") != 0)
		return pf_error(&ps->lx, col[0], use, "a secret line names the "
				"secret, its destination and its header");
	if (!text_secret_name_ok(w[1], strlen(w[1])))
		return pf_error(&ps->lx, col[1], "a secret's name is 1 to 64 of "
				"A-Z a-z 0-9 _, as 'ward secret set NAME' stored it",
				"bad secret name '%s'", w[1]);
	/* The placeholder is the variable NAME of the agent's environment:
	 * never one that ward sets itself. */
	if (strcmp(w[1], "PATH") == 0 || strcmp(w[1], "HOME") == 0 ||
	    strcmp(w[1], "LANG") == 0 || strncmp(w[1], "WARD_", 5) == 0 ||
	    strncmp(w[1], "PYTHON", 6) == 0 || strcasecmp(w[1], "HTTP_PROXY") == 0 ||
	    strcasecmp(w[1], "HTTPS_PROXY") == 0 || strcasecmp(w[1], "ALL_PROXY") == 0 ||
	    strcasecmp(w[1], "NO_PROXY") == 0)
		return pf_error(&ps->lx, col[1], "name it otherwise: the agent's "
				"environment gets NAME=ward-secret-NAME, and ward "
				"sets this variable itself", "secret name '%s' is a "
				"variable of the sandbox's environment", w[1]);
	if (strncmp(w[3], "*.", 2) == 0 || !pf_net_scope_ok(w[3]))
		return pf_error(&ps->lx, col[3], "name one host:port, the port from "
				"1 to 65535: secret KEY for api.example.com:443 "
				"header Authorization", "destination '%s' is not "
				"host:port", w[3]);
	nl = strlen(w[5]);
	for (i = 0; i < nl; i++)
		if (!isalnum((unsigned char)w[5][i]) && w[5][i] != '-')
			break;
	if (nl == 0 || nl > 64 || i < nl)
		return pf_error(&ps->lx, col[5], "name the header alone, such as "
				"Authorization or X-Api-Key (letters, digits, '-'); "
				"the client writes the rest of its value around "
				"the placeholder", "bad header name '%s'", w[5]);
	if (p->ncaps == PF_MAX_CAPS)
		return pf_error(&ps->lx, col[0], "merge tools", "more than %d "
				"tools", PF_MAX_CAPS);
	c = &p->caps[p->ncaps];
	memset(c, 0, sizeof *c);
	snprintf(c->tool, sizeof c->tool, "secret");
	c->kind = WARD_KIND_SECRET;
	c->op = WARD_OP_SECRET_USE;
	c->uses = 100;
	c->expires_s = 3600;
	c->line = ps->lx.line;
	n = snprintf(c->scope, sizeof c->scope, "%s@%s/%s", w[1], w[3], w[5]);
	if (n < 0 || (size_t)n >= sizeof c->scope)
		return pf_error(&ps->lx, col[1], "shorten the name or the host",
				"NAME@HOST:PORT/HEADER is longer than %u bytes",
				WARD_SCOPE_MAX);
	for (i = (size_t)(strrchr(c->scope, '/') - c->scope); c->scope[i]; i++)
		c->scope[i] = (char)tolower((unsigned char)c->scope[i]);
	if (pf_allow_opts(&ps->lx, w, col, nw, 6, &c->uses, &c->expires_s,
			  NULL) != 0)
		return -1;
	p->ncaps++;
	return 0;
}

/* llm API HOST:PORT model MODEL key SECRET [max-tokens N] [budget N]
 * [uses N] [expires D]: the built-in tool llm.complete (docs/llm.md),
 * one tool.invoke approval a call, sent through ward-egress with the
 * secret's placeholder, which needs its own 'allow net' and 'secret'
 * lines (checked at the end). */
static int
ag_llm(struct pf_parse *ps, char **w, const int *col, int nw)
{
	struct pf_profile *p = ((struct agent_st *)ps->st)->p;
	const char *use = "write: llm openai|anthropic HOST:PORT model MODEL "
			  "key SECRET [max-tokens N] [budget N] [uses N] "
			  "[expires DURATION]";
	struct pf_llm *l = &p->llm;
	struct pf_cap *c;
	uint64_t v;
	int k;

	if (l->set)
		return pf_error(&ps->lx, col[0], "keep one 'llm' line",
				"a second 'llm' line");
	if (nw < 7 || strcmp(w[3], "model") != 0 || strcmp(w[5], "key") != 0)
		return pf_error(&ps->lx, col[0], use, "an llm line names the "
				"API, the endpoint, the model and the key");
	if (strcmp(w[1], "openai") != 0 && strcmp(w[1], "anthropic") != 0)
		return pf_error(&ps->lx, col[1], "openai (any OpenAI-compatible "
				"chat completions endpoint) or anthropic (the "
				"messages API)", "unknown API '%s'", w[1]);
	if (strncmp(w[2], "*.", 2) == 0 || !pf_net_scope_ok(w[2]))
		return pf_error(&ps->lx, col[2], "name host:port: llm openai "
				"api.openai.com:443 model gpt-4o-mini key "
				"OPENAI_KEY", "endpoint '%s' is not host:port", w[2]);
	if (strlen(w[4]) >= sizeof l->model || strlen(w[6]) >= sizeof l->key)
		return pf_error(&ps->lx, col[4], use, "model or key name too long");
	snprintf(l->api, sizeof l->api, "%s", w[1]);
	snprintf(l->dest, sizeof l->dest, "%s", w[2]);
	snprintf(l->model, sizeof l->model, "%s", w[4]);
	snprintf(l->key, sizeof l->key, "%s", w[6]);
	l->max_tokens = 1024;
	l->budget = 100000;
	if (p->ncaps == PF_MAX_CAPS)
		return pf_error(&ps->lx, col[0], "merge tools", "more than %d "
				"tools", PF_MAX_CAPS);
	c = &p->caps[p->ncaps];
	memset(c, 0, sizeof *c);
	snprintf(c->tool, sizeof c->tool, "llm.complete");
	snprintf(c->scope, sizeof c->scope, "llm.complete");
	c->kind = WARD_KIND_TOOL;
	c->op = WARD_OP_TOOL_INVOKE;
	c->uses = 100;
	c->expires_s = 3600;
	c->line = ps->lx.line;
	/* Its own options first; the rest are every tool's. */
	for (k = 7; k + 1 < nw; k += 2) {
		if (strcmp(w[k], "max-tokens") == 0) {
			if (pf_parse_uint(w[k + 1], 1000000, &v) != 0 || v == 0)
				return pf_error(&ps->lx, col[k + 1], "write: "
						"max-tokens N, N from 1 to 1000000",
						"bad max-tokens");
			l->max_tokens = (uint32_t)v;
		} else if (strcmp(w[k], "budget") == 0) {
			if (pf_parse_uint(w[k + 1], 1000000000, &v) != 0 || v == 0)
				return pf_error(&ps->lx, col[k + 1], "write: budget "
						"N, the tokens (in and out) a "
						"transaction may spend, 1 to 10^9",
						"bad budget");
			l->budget = v;
		} else {
			break;
		}
	}
	if (pf_allow_opts(&ps->lx, w, col, nw, k, &c->uses, &c->expires_s,
			  NULL) != 0)
		return -1;
	l->set = 1;
	p->ncaps++;
	return 0;
}

static int
ag_limit(struct pf_parse *ps, char **w, const int *col, int nw)
{
	struct pf_profile *p = ((struct agent_st *)ps->st)->p;
	struct pf_limits lim = { &p->mem_bytes, &p->tmp_bytes, &p->time_ms,
				 &p->pids, &p->cpu };

	return pf_limit(&ps->lx, w, col, nw, &lim);
}

static int
ag_finish(struct pf_parse *ps)
{
	struct agent_st *a = ps->st;
	struct pf_profile *p = a->p;

	if (!a->seen_run)
		return pf_error(&ps->lx, 1, "add a line such as: run python3 "
				"/agent/agent.py", "the profile never says what "
				"to run");
	if (p->ncaps == 0)
		return pf_error(&ps->lx, 1, "add a line such as: allow fs.read "
				"/workspace uses 10", "the profile grants no tool "
				"at all");
	/* llm.complete goes out through ward-egress like any request: it
	 * needs the connection and the key's header. */
	if (p->llm.set) {
		const char *hdr = strcmp(p->llm.api, "anthropic") == 0 ?
				  "x-api-key" : "authorization";
		char want[WARD_SCOPE_MAX + 80], hint[400];
		int j, net = 0, sec = 0;

		snprintf(want, sizeof want, "%s@%s/%s", p->llm.key, p->llm.dest, hdr);
		for (j = 0; j < p->ncaps; j++) {
			net |= p->caps[j].kind == WARD_KIND_NET &&
			       strcmp(p->caps[j].scope, p->llm.dest) == 0;
			sec |= p->caps[j].kind == WARD_KIND_SECRET &&
			       strcmp(p->caps[j].scope, want) == 0;
		}
		if (!net || !sec) {
			for (j = 0; j < p->ncaps; j++)
				if (strcmp(p->caps[j].tool, "llm.complete") == 0)
					ps->lx.line = p->caps[j].line;
			snprintf(hint, sizeof hint, "add: %s%s%s%s%s%s%s%s",
				 net ? "" : "allow net ", net ? "" : p->llm.dest,
				 net || sec ? "" : " and ", sec ? "" : "secret ",
				 sec ? "" : p->llm.key, sec ? "" : " for ",
				 sec ? "" : p->llm.dest, sec ? "" :
				 strcmp(hdr, "x-api-key") == 0 ? " header X-Api-Key" :
				 " header Authorization");
			return pf_error(&ps->lx, 1, hint, "the llm line's endpoint "
					"needs %s", !net ? "an 'allow net' line" :
					"a 'secret' line for its key");
		}
	}
	/* A secret goes only where the agent may connect. */
	for (int i = 0; i < p->ncaps; i++) {
		const char *at = strchr(p->caps[i].scope, '@');
		size_t dl;
		int j;

		if (p->caps[i].kind != WARD_KIND_SECRET || at == NULL)
			continue;
		dl = (size_t)(strrchr(at, '/') - (at + 1));
		for (j = 0; j < p->ncaps; j++)
			if (p->caps[j].kind == WARD_KIND_NET &&
			    strlen(p->caps[j].scope) == dl &&
			    strncmp(p->caps[j].scope, at + 1, dl) == 0)
				break;
		if (j == p->ncaps) {
			char hint[300];

			snprintf(hint, sizeof hint, "add: allow net %.*s (ward-egress "
				 "sends the secret only on a connection the "
				 "profile allows)", (int)dl, at + 1);
			ps->lx.line = p->caps[i].line;
			return pf_error(&ps->lx, 1, hint, "secret line, but no "
					"'allow net' line for %.*s", (int)dl, at + 1);
		}
	}
	if (p->name[0] == '\0') {
		const char *b = strrchr(a->path, '/');

		snprintf(p->name, sizeof p->name, "%s", b != NULL ? b + 1 :
			 a->path);
		if (strchr(p->name, '.') != NULL)
			*strchr(p->name, '.') = '\0';
	}
	return 0;
}

/* The words of an earlier ward are refused, naming the word that
 * replaced them (the gateway profiles' word too, docs/glossary.md). */
static const struct pf_directive agent_directives[] = {
	{ "name", 0, ag_name, NULL, NULL },
	{ "run", 0, ag_run, NULL, NULL },
	{ "workspace", 0, ag_workspace, NULL, NULL },
	{ "allow", 0, ag_allow, NULL, NULL },
	{ "limit", 0, ag_limit, NULL, NULL },
	{ "secret", 0, ag_secret, NULL, NULL },
	{ "llm", 0, ag_llm, NULL, NULL },
	{ "agent", PF_RETIRED, NULL, "name", "write: name NAME (the word is "
	  "the gateway profiles' too)" },
	{ "tool", PF_RETIRED, NULL, "allow", "write: allow TOOL [SCOPE] [uses "
	  "N] [expires D] [delegate] (the word is the gateway profiles' too)" },
	{ NULL, 0, NULL, NULL, NULL }
};

static const struct pf_lang agent_lang = {
	"profile", "see docs/profiles.md", NULL, agent_directives,
	"directives are: name, run, workspace, allow, limit, secret, llm",
	ag_finish
};

int
pf_load(const char *path, struct pf_profile *p, char *err, size_t errlen)
{
	struct agent_st a = { p, 0, path };
	char *slash;

	memset(p, 0, sizeof *p);
	snprintf(p->path, sizeof p->path, "%s", path);
	if (realpath(path, p->dir) != NULL) {
		slash = strrchr(p->dir, '/');
		if (slash != NULL && slash != p->dir)
			*slash = '\0';
	}
	p->mem_bytes = 256ull << 20;
	p->tmp_bytes = 16ull << 20;
	p->time_ms = 60000;
	p->pids = 64;
	p->cpu = 100;
	return pf_parse_file(path, &agent_lang, &a, err, errlen);
}
