/*
 * profile.c -- the agent profile language (docs/profiles.md).  One
 * directive a line, words separated by blanks, '#' starts a comment:
 *
 *   agent NAME
 *   run PROGRAM ARG...
 *   workspace DIR
 *   tool NAME [SCOPE] [uses N] [expires DURATION] [delegate]
 *   limit memory|tmp SIZE | pids N | cpu PERCENT | time DURATION
 *
 * Every error names file:line:column and gives a hint.  Not part of the
 * verified core: a profile only decides what the operator signs.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "wb.h"
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

/* A net scope: HOST:PORT, a host of letters, digits, '.', '-' (or '*.'
 * first, the one wildcard form) and a port from 1 to 65535 without a
 * leading zero. */
static int
net_scope_ok(const char *s)
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


int
pf_load(const char *path, struct pf_profile *p, char *err, size_t errlen)
{
	struct pf_lexer lx = { path, 0, err, errlen };
	struct pf_limits lim;
	char line[1024];
	char *w[PF_MAXW];
	int col[PF_MAXW];
	FILE *f;
	int nw, i, seen_run = 0, rc = -1;
	char *slash;

	memset(p, 0, sizeof *p);
	snprintf(p->path, sizeof p->path, "%s", path);
	if (realpath(path, p->dir) == NULL) {
		snprintf(err, errlen, "%s: cannot read the profile: %s\n  hint: "
			 "give the path of a profile file (see docs/profiles.md)",
			 path, strerror(errno));
		return -1;
	}
	slash = strrchr(p->dir, '/');
	if (slash != NULL && slash != p->dir)
		*slash = '\0';
	p->mem_bytes = 256ull << 20;
	p->tmp_bytes = 16ull << 20;
	p->time_ms = 60000;
	p->pids = 64;
	p->cpu = 100;
	lim.mem_bytes = &p->mem_bytes;
	lim.tmp_bytes = &p->tmp_bytes;
	lim.time_ms = &p->time_ms;
	lim.pids = &p->pids;
	lim.cpu = &p->cpu;
	f = fopen(path, "re");
	if (f == NULL) {
		snprintf(err, errlen, "%s: cannot open the profile: %s\n  hint: "
			 "check the path", path, strerror(errno));
		return -1;
	}
	for (;;) {
		int got = pf_next_line(&lx, f, line, sizeof line, w, col, &nw);

		if (got < 0)
			goto out;
		if (got == 0)
			break;
		/* The words of an earlier ward: refused, naming the word
		 * that replaced them (the same word as a gateway profile's,
		 * docs/glossary.md). */
		if (strcmp(w[0], "agent") == 0 || strcmp(w[0], "tool") == 0) {
			pf_error(&lx, col[0], w[0][0] == 'a' ? "write: name NAME "
				 "(the word is the gateway profiles' too)" :
				 "write: allow TOOL [SCOPE] [uses N] [expires D] "
				 "[delegate] (the word is the gateway profiles' too)",
				 "'%s' is now '%s'", w[0], w[0][0] == 'a' ? "name" :
				 "allow");
			goto out;
		}
		if (strcmp(w[0], "name") == 0) {
			if (nw != 2) {
				pf_error(&lx, col[0], "write: name NAME",
				     "'name' takes exactly one name");
				goto out;
			}
			snprintf(p->name, sizeof p->name, "%s", w[1]);
		} else if (strcmp(w[0], "run") == 0) {
			if (nw < 2) {
				pf_error(&lx, col[0], "write: run python3 /agent/agent.py "
				     "(the profile's folder is /agent in the sandbox)",
				     "'run' needs a program");
				goto out;
			}
			if (nw - 1 > PF_MAX_ARGV) {
				pf_error(&lx, col[PF_MAX_ARGV + 1], "pass fewer arguments",
				     "more than %d words in 'run'", PF_MAX_ARGV);
				goto out;
			}
			if (seen_run) {
				pf_error(&lx, col[0], "keep one 'run' line",
				     "a second 'run' (first on an earlier line)");
				goto out;
			}
			for (i = 1; i < nw; i++) {
				const char *q = strpbrk(w[i], "\"'");

				if (q != NULL) {
					pf_error(&lx, col[i] + (int)(q - w[i]),
					     "words are split at spaces and quotes "
					     "are not read: put the command in a "
					     "script in the profile's folder and run "
					     "that (run /bin/sh /agent/start.sh)",
					     "a quote in 'run'");
					goto out;
				}
			}
			seen_run = 1;
			p->argc = nw - 1;
			for (i = 1; i < nw; i++)
				snprintf(p->argv[i - 1], sizeof p->argv[0], "%s", w[i]);
		} else if (strcmp(w[0], "workspace") == 0) {
			struct stat st;
			char full[1024];

			if (nw != 2) {
				pf_error(&lx, col[0], "write: workspace DIR (relative to "
				     "the profile's folder)", "'workspace' takes one "
				     "folder");
				goto out;
			}
			/* The seed is copied into every run's workspace: a
			 * folder of the profile's own, never any host folder
			 * a profile names. */
			if (w[1][0] == '/' || strcmp(w[1], "..") == 0 ||
			    strncmp(w[1], "../", 3) == 0 ||
			    strstr(w[1], "/../") != NULL ||
			    (strlen(w[1]) >= 3 &&
			     strcmp(w[1] + strlen(w[1]) - 3, "/..") == 0)) {
				pf_error(&lx, col[1], "put the seed folder beside the "
				     "profile and name it relative to the "
				     "profile's folder (workspace seed)",
				     "workspace seed '%s' is outside the "
				     "profile's folder", w[1]);
				goto out;
			}
			snprintf(full, sizeof full, "%s/%s", p->dir, w[1]);
			if (stat(full, &st) != 0 || !S_ISDIR(st.st_mode)) {
				pf_error(&lx, col[1], "create the folder or fix the path",
				     "workspace seed %s is not a folder", full);
				goto out;
			}
			{
				char real[PATH_MAX];
				size_t dl = strlen(p->dir);

				if (realpath(full, real) == NULL ||
				    strncmp(real, p->dir, dl) != 0 ||
				    real[dl] != '/') {
					pf_error(&lx, col[1], "the seed must be a folder "
					     "inside the profile's folder, not a "
					     "symbolic link out of it",
					     "workspace seed %s leads outside the "
					     "profile's folder", full);
					goto out;
				}
			}
			snprintf(p->workspace, sizeof p->workspace, "%s", full);
		} else if (strcmp(w[0], "allow") == 0) {
			const struct tooldef *td;
			struct pf_cap *c;
			int k = 2;

			if (nw < 2) {
				pf_error(&lx, col[0], pf_tool_hint(), "'allow' needs a "
				     "tool name");
				goto out;
			}
			td = find_tool(w[1]);
			if (td == NULL) {
				pf_error(&lx, col[1], pf_tool_hint(), "unknown tool '%s'",
				     w[1]);
				goto out;
			}
			if (p->ncaps == PF_MAX_CAPS) {
				pf_error(&lx, col[0], "merge tools", "more than %d tools",
				     PF_MAX_CAPS);
				goto out;
			}
			c = &p->caps[p->ncaps];
			memset(c, 0, sizeof *c);
			snprintf(c->tool, sizeof c->tool, "%s", td->name);
			c->kind = td->kind;
			c->op = td->op;
			c->uses = 100;
			c->expires_s = 3600;
			c->line = lx.line;
			if (nw > 2 && strcmp(w[2], "uses") != 0 &&
			    strcmp(w[2], "expires") != 0 &&
			    strcmp(w[2], "delegate") != 0) {
				if (!scope_ok(w[2])) {
					pf_error(&lx, col[2], "a scope is 1..200 printable "
					     "bytes", "bad scope");
					goto out;
				}
				if (td->kind == WARD_KIND_FS || td->kind == WARD_KIND_EXEC ||
				    td->kind == WARD_KIND_MEM) {
					if (!path_canonical(w[2])) {
						pf_error(&lx, col[2], td->kind == WARD_KIND_FS ?
						     "write an absolute path under /workspace, "
						     "without '.', '..' or '//'" :
						     "write an absolute path without '.', "
						     "'..' or '//'",
						     "scope '%s' is not a canonical absolute "
						     "path", w[2]);
						goto out;
					}
				}
				if (td->kind == WARD_KIND_NET && !net_scope_ok(w[2])) {
					pf_error(&lx, col[2], "name host:port, the port from "
					     "1 to 65535: allow net example.org:443",
					     "scope '%s' is not host:port", w[2]);
					goto out;
				}
				if (td->kind == WARD_KIND_TOOL &&
				    strcmp(w[2], td->name) != 0) {
					pf_error(&lx, col[2], "leave the scope out",
					     "the scope of tool %s can only be its name",
					     td->name);
					goto out;
				}
				snprintf(c->scope, sizeof c->scope, "%s", w[2]);
				k = 3;
			} else if (td->dflt != NULL) {
				snprintf(c->scope, sizeof c->scope, "%s", td->dflt);
			} else {
				pf_error(&lx, col[1] + (int)strlen(w[1]), td->kind ==
				     WARD_KIND_EXEC ? "name the program: allow exec "
				     "/usr/bin/wc (optionally with leading arguments: "
				     "/usr/bin/wc/-l)" : "name host:port: allow net "
				     "example.org:443",
				     "tool %s needs a scope", td->name);
				goto out;
			}
			for (; k < nw; k++) {
				uint64_t v;

				if (strcmp(w[k], "uses") == 0) {
					if (k + 1 >= nw || pf_parse_uint(w[k + 1],
					    1000000, &v) != 0 || v == 0) {
						pf_error(&lx, k + 1 < nw ? col[k + 1] :
						     col[k] + 4, "write: uses N with N "
						     "from 1 to 1000000", "bad use count");
						goto out;
					}
					c->uses = (uint32_t)v;
					k++;
				} else if (strcmp(w[k], "expires") == 0) {
					if (k + 1 >= nw ||
					    pf_parse_duration(w[k + 1], &v) != 0) {
						pf_error(&lx, k + 1 < nw ? col[k + 1] :
						     col[k] + 7, "write a duration such as "
						     "30s, 10m, 2h or 1d (at most 365d)",
						     "bad expiry");
						goto out;
					}
					c->expires_s = v;
					k++;
				} else if (strcmp(w[k], "delegate") == 0) {
					c->delegate = 1;
				} else {
					pf_error(&lx, col[k], "after the scope come: uses N, "
					     "expires DURATION, delegate",
					     "unexpected '%s'", w[k]);
					goto out;
				}
			}
			p->ncaps++;
		} else if (strcmp(w[0], "limit") == 0) {
			if (pf_limit(&lx, w, col, nw, &lim) != 0)
				goto out;
		} else {
			pf_error(&lx, col[0], "directives are: name, run, workspace, "
			     "allow, limit", "unknown directive '%s'", w[0]);
			goto out;
		}
	}
	if (!seen_run) {
		lx.line = lx.line > 0 ? lx.line : 1;
		pf_error(&lx, 1, "add a line such as: run python3 /agent/agent.py",
		     "the profile never says what to run");
		goto out;
	}
	if (p->ncaps == 0) {
		lx.line = lx.line > 0 ? lx.line : 1;
		pf_error(&lx, 1, "add a line such as: allow fs.read /workspace uses 10",
		     "the profile grants no tool at all");
		goto out;
	}
	if (p->name[0] == '\0') {
		const char *b = strrchr(path, '/');

		snprintf(p->name, sizeof p->name, "%s", b != NULL ? b + 1 : path);
		if (strchr(p->name, '.') != NULL)
			*strchr(p->name, '.') = '\0';
	}
	rc = 0;
out:
	fclose(f);
	return rc;
}
