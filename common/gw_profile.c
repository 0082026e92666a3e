/*
 * gw_profile.c -- the gateway profile language: one directive a line,
 * words separated by blanks, '#' starts a comment.  Lines after
 * `server NAME` belong to that server.
 *
 *   name NAME                    the profile's name (default: file name)
 *   page N                       tools/list page size (default 100)
 *   server NAME                  an upstream server; NAME prefixes its tools
 *     run PROGRAM ARG...         what runs in its sandbox
 *     workspace DIR              bound read-write at the same path
 *     bind SRC [DST]             bound read-only (at DST, default SRC)
 *     env NAME=VALUE             into this server's environment only
 *     secret NAME FILE           FILE's content, into this server only
 *     root URI                   answered to the server's roots/list
 *     allow TOOL|* [uses N] [expires D]   one capability: that tool
 *                                  exactly, or every tool of the server
 *     limit memory|tmp SIZE | pids N | cpu PERCENT
 *
 * Relative paths are relative to the profile's folder.  Not part of the
 * verified core: a profile only decides what the operator signs.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gw.h"
#include "wb.h"
#include "sandbox.h"

/* ---- names ---------------------------------------------------------------- */

int
gw_name_ok(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n >= GW_NAME_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
		      s[i] == '-'))
			return 0;
	return 1;
}

/* ASCII by hand, not <ctype.h>: a locale must not widen the grammar. */
int
gw_tool_name_ok(const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++) {
		char c = s[i];

		if (i == GW_TOOL_MAX ||
		    !((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		      (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.'))
			return 0;
	}
	return i > 0;
}

int
gw_tool_resource(char out[WARD_SCOPE_MAX + 1], const char *srv, const char *tool)
{
	size_t n = strlen(srv), k = 0;

	if (!gw_name_ok(srv) || !gw_tool_name_ok(tool) ||
	    n + 1 + strlen(tool) > WARD_SCOPE_MAX)
		return -1;
	memcpy(out, srv, n);
	out[n++] = '.';
	for (k = 0; tool[k] != '\0'; k++)
		out[n++] = tool[k] == '.' ? ':' : tool[k];
	out[n] = '\0';
	return 0;
}

const char *
gw_esc(char *out, size_t outlen, const char *s, size_t max)
{
	static const char hx[] = "0123456789abcdef";
	size_t i, o = 0;

	if (outlen == 0)
		return out;
	for (i = 0; s[i] != '\0'; i++) {
		unsigned char c = (unsigned char)s[i];

		if (i == max || o + 8 >= outlen) {
			if (o + 4 <= outlen) {
				memcpy(out + o, "...", 3);
				o += 3;
			}
			break;
		}
		if (c > 0x20 && c < 0x7f && c != '\\' && c != '"') {
			out[o++] = (char)c;
		} else {
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hx[c >> 4];
			out[o++] = hx[c & 15];
		}
	}
	out[o] = '\0';
	return out;
}

/* ---- the profile ------------------------------------------------------------ */


static char *
abspath(const char *dir, const char *p)
{
	char buf[PATH_MAX];

	if (p[0] == '/')
		return strdup(p);
	snprintf(buf, sizeof buf, "%s/%s", dir, p);
	return strdup(buf);
}

static int
read_secret(const char *path, char **out)
{
	FILE *f = fopen(path, "re");
	char buf[4096];
	size_t n;

	if (f == NULL)
		return -1;
	n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		n--;
	buf[n] = '\0';
	*out = strdup(buf);
	explicit_bzero(buf, sizeof buf);
	return *out != NULL ? 0 : -1;
}

int
gw_profile_load(const char *path, struct gw_profile *p, char *err, size_t errlen)
{
	struct pf_lexer lx = { path, 0, err, errlen };
	struct pf_limits lim;
	FILE *f;
	char line[4096], dir[PATH_MAX], *w[PF_MAXW], *s, *sl;
	int col[PF_MAXW], nw, rc = -1, i, got;
	struct gw_server *cur = NULL;

	memset(p, 0, sizeof *p);
	p->page = 100;
	snprintf(p->path, sizeof p->path, "%s", path);
	if (realpath(path, dir) == NULL) {
		snprintf(err, errlen, "%s: %s\n  hint: give the path of a gateway "
			 "profile (gateway/README.md)", path, strerror(errno));
		return -1;
	}
	sl = strrchr(dir, '/');
	s = sl != NULL ? sl + 1 : dir;
	snprintf(p->name, sizeof p->name, "%.*s", (int)strcspn(s, "."), s);
	if (sl != NULL)
		*sl = '\0';
	f = fopen(path, "re");
	if (f == NULL) {
		snprintf(err, errlen, "%s: %s\n  hint: check the path", path,
			 strerror(errno));
		return -1;
	}
	while ((got = pf_next_line(&lx, f, line, sizeof line, w, col, &nw)) > 0) {
		if (strcmp(w[0], "name") == 0) {
			if (nw != 2 || !gw_name_ok(w[1])) {
				pf_error(&lx, col[nw == 2 ? 1 : 0], "name NAME, of "
					 "lower-case letters, digits and '-'",
					 "bad name");
				goto out;
			}
			snprintf(p->name, sizeof p->name, "%s", w[1]);
		} else if (strcmp(w[0], "page") == 0) {
			uint64_t v;

			if (nw != 2 || pf_parse_uint(w[1], 10000, &v) != 0 ||
			    v == 0) {
				pf_error(&lx, col[nw == 2 ? 1 : 0], "page N with N "
					 "from 1 to 10000", "bad page size");
				goto out;
			}
			p->page = (unsigned)v;
		} else if (strcmp(w[0], "server") == 0) {
			if (nw != 2 || !gw_name_ok(w[1])) {
				pf_error(&lx, col[nw == 2 ? 1 : 0], "server NAME, of "
					 "lower-case letters, digits and '-' (no "
					 "'_': it separates the prefix from the "
					 "tool)", "bad server name");
				goto out;
			}
			for (i = 0; i < p->nservers; i++)
				if (strcmp(p->srv[i].name, w[1]) == 0) {
					pf_error(&lx, col[1], "give each server a name "
						 "of its own", "server %s is declared "
						 "twice", w[1]);
					goto out;
				}
			if (p->nservers == GW_MAX_SERVERS) {
				pf_error(&lx, col[0], "run another gateway for the "
					 "rest", "more than %d servers",
					 GW_MAX_SERVERS);
				goto out;
			}
			cur = &p->srv[p->nservers++];
			snprintf(cur->name, sizeof cur->name, "%s", w[1]);
			cur->mem_bytes = 1024ull << 20;
			cur->tmp_bytes = 64ull << 20;
			cur->pids = 128;
			cur->cpu = 100;
		} else if (cur == NULL) {
			pf_error(&lx, col[0], "start the server's block with: "
				 "server NAME", "'%s' outside a server", w[0]);
			goto out;
		} else if (strcmp(w[0], "run") == 0) {
			if (nw < 2 || cur->argc != 0 || nw - 1 > GW_MAX_ARGV - 1) {
				pf_error(&lx, col[0], "one run line per server: run "
					 "PROGRAM ARG...", "bad run line (a second "
					 "one, none, or more than %d words)",
					 GW_MAX_ARGV - 1);
				goto out;
			}
			for (i = 1; i < nw; i++) {
				if (strpbrk(w[i], "\"'") != NULL) {
					pf_error(&lx, col[i], "words are split at "
						 "spaces and quotes are not read: "
						 "run a script that holds the "
						 "command line", "a quote in 'run'");
					goto out;
				}
				cur->argv[cur->argc++] = strdup(w[i]);
			}
		} else if (strcmp(w[0], "workspace") == 0) {
			/* An agent's workspace is a seed that is copied; a
			 * server's host folder is shared as it is: one word
			 * for each (docs/glossary.md). */
			pf_error(&lx, col[0], "write: share DIR (a host folder the "
				 "server reads and writes in place; 'workspace' is "
				 "an agent's seed, copied for each run)",
				 "'workspace' in a server is now 'share'");
			goto out;
		} else if (strcmp(w[0], "share") == 0) {
			char *a, rp[PATH_MAX];

			if (nw != 2) {
				pf_error(&lx, col[0], "share DIR", "'share' takes one "
					 "folder");
				goto out;
			}
			a = abspath(dir, w[1]);
			if (a == NULL || realpath(a, rp) == NULL) {
				pf_error(&lx, col[1], "create the folder or fix the "
					 "path", "workspace %s: %s", w[1],
					 strerror(errno));
				free(a);
				goto out;
			}
			free(a);
			snprintf(cur->workspace, sizeof cur->workspace, "%s", rp);
		} else if (strcmp(w[0], "bind") == 0) {
			if (nw != 2 && nw != 3) {
				pf_error(&lx, col[0], "bind HOST_PATH [SANDBOX_PATH]",
					 "'bind' takes one or two paths");
				goto out;
			}
			if (cur->nbinds == GW_MAX_BINDS) {
				pf_error(&lx, col[0], "bind a common parent folder",
					 "more than %d binds", GW_MAX_BINDS);
				goto out;
			}
			cur->bind_src[cur->nbinds] = abspath(dir, w[1]);
			cur->bind_dst[cur->nbinds] = strdup(nw == 3 ? w[2] :
				cur->bind_src[cur->nbinds]);
			if (cur->bind_dst[cur->nbinds][0] != '/') {
				pf_error(&lx, col[nw == 3 ? 2 : 1], "write an absolute "
					 "path in the sandbox", "bind destination "
					 "must be absolute");
				cur->nbinds++;
				goto out;
			}
			cur->nbinds++;
		} else if (strcmp(w[0], "env") == 0) {
			if (nw != 2 || strchr(w[1], '=') == NULL || w[1][0] == '=') {
				pf_error(&lx, col[nw == 2 ? 1 : 0], "env NAME=VALUE "
					 "(one word: no spaces in the value)",
					 "bad env line");
				goto out;
			}
			if (cur->nenv >= GW_MAX_ENV - 4) {
				pf_error(&lx, col[0], "pass fewer variables",
					 "more than %d env lines", GW_MAX_ENV - 4);
				goto out;
			}
			cur->env[cur->nenv++] = strdup(w[1]);
		} else if (strcmp(w[0], "secret") == 0) {
			char *a, *v = NULL, *e;
			size_t n;

			if (nw != 3) {
				pf_error(&lx, col[0], "secret NAME FILE", "'secret' "
					 "takes a name and a file");
				goto out;
			}
			a = abspath(dir, w[2]);
			if (cur->nenv >= GW_MAX_ENV - 4 || a == NULL ||
			    read_secret(a, &v) != 0) {
				pf_error(&lx, col[2], "the file holds the value, "
					 "readable by root only", "cannot read the "
					 "secret %s from %s: %s", w[1], w[2],
					 strerror(errno));
				free(a);
				goto out;
			}
			free(a);
			n = strlen(w[1]) + strlen(v) + 2;
			e = malloc(n);
			if (e == NULL) {
				free(v);
				goto out;
			}
			snprintf(e, n, "%s=%s", w[1], v);
			explicit_bzero(v, strlen(v));
			free(v);
			cur->env[cur->nenv++] = e;
			cur->nsecret++;
		} else if (strcmp(w[0], "root") == 0) {
			if (nw != 2 || cur->nroots == GW_MAX_ROOTS ||
			    strncmp(w[1], "file:///", 8) != 0) {
				pf_error(&lx, col[nw == 2 ? 1 : 0], "root "
					 "file:///absolute/path", "bad root (or more "
					 "than %d a server)", GW_MAX_ROOTS);
				goto out;
			}
			cur->roots[cur->nroots++] = strdup(w[1]);
		} else if (strcmp(w[0], "allow") == 0) {
			struct gw_allow *a;
			int k;

			if (nw < 2) {
				pf_error(&lx, col[0], "allow TOOL|* [uses N] "
					 "[expires 30s|10m|2h|1d]", "'allow' needs a "
					 "tool");
				goto out;
			}
			if (cur->nallow == GW_MAX_ALLOW) {
				pf_error(&lx, col[0], "allow * for every tool",
					 "more than %d allow lines", GW_MAX_ALLOW);
				goto out;
			}
			a = &cur->allow[cur->nallow];
			/* `*` is every tool of the server; anything else is one
			 * tool's exact name (there is no prefix form). */
			if (strcmp(w[1], "*") == 0) {
				memcpy(a->scope, cur->name, sizeof cur->name);
			} else if (gw_tool_resource(a->scope, cur->name, w[1]) != 0) {
				char e[200];

				pf_error(&lx, col[1], "allow TOOL names one tool "
					 "exactly (1 to 128 of A-Z a-z 0-9 _ - .; no "
					 "wildcard), or allow * for every tool of "
					 "the server", "bad tool name '%s' in allow",
					 gw_esc(e, sizeof e, w[1], 64));
				goto out;
			}
			a->uses = 1000000;
			a->expires_s = 86400;
			a->line = lx.line;
			for (k = 2; k + 1 < nw; k += 2) {
				uint64_t v;

				if (strcmp(w[k], "uses") == 0 &&
				    pf_parse_uint(w[k + 1], 1000000, &v) == 0 && v > 0)
					a->uses = (uint32_t)v;
				else if (strcmp(w[k], "expires") == 0 &&
					 pf_parse_duration(w[k + 1], &v) == 0)
					a->expires_s = v;
				else
					break;
			}
			if (k != nw) {
				pf_error(&lx, col[k < nw ? k : nw - 1], "allow TOOL|* "
					 "[uses N from 1 to 1000000] [expires "
					 "30s|10m|2h|1d]", "bad allow line");
				goto out;
			}
			cur->nallow++;
		} else if (strcmp(w[0], "limit") == 0) {
			lim.mem_bytes = &cur->mem_bytes;
			lim.tmp_bytes = &cur->tmp_bytes;
			lim.time_ms = NULL;
			lim.pids = &cur->pids;
			lim.cpu = &cur->cpu;
			if (pf_limit(&lx, w, col, nw, &lim) != 0)
				goto out;
		} else {
			pf_error(&lx, col[0], "directives are: name, page, server; "
				 "in a server: run, share, bind, env, secret, "
				 "root, allow, limit (gateway/README.md)",
				 "unknown directive '%s'", w[0]);
			goto out;
		}
	}
	if (got < 0)
		goto out;
	if (p->nservers == 0) {
		lx.line = lx.line > 0 ? lx.line : 1;
		pf_error(&lx, 1, "server NAME, then run PROGRAM ARG...",
			 "no server");
		goto out;
	}
	for (i = 0; i < p->nservers; i++) {
		struct gw_server *v = &p->srv[i];

		if (v->argc == 0) {
			snprintf(err, errlen, "%s: error: server %s has no run "
				 "line\n  hint: add: run PROGRAM ARG... in its "
				 "block", path, v->name);
			goto out;
		}
		if (v->nallow == 0) {
			memcpy(v->allow[0].scope, v->name, sizeof v->name);
			v->allow[0].uses = 1000000;
			v->allow[0].expires_s = 86400;
			v->nallow = 1;
		}
	}
	rc = 0;
out:
	fclose(f);
	if (rc != 0)
		gw_profile_free(p);
	return rc;
}

void
gw_profile_free(struct gw_profile *p)
{
	int i, k;

	for (i = 0; i < p->nservers; i++) {
		struct gw_server *v = &p->srv[i];

		for (k = 0; k < v->argc; k++)
			free(v->argv[k]);
		for (k = 0; k < v->nbinds; k++) {
			free(v->bind_src[k]);
			free(v->bind_dst[k]);
		}
		for (k = 0; k < v->nenv; k++) {
			explicit_bzero(v->env[k], strlen(v->env[k]));
			free(v->env[k]);
		}
		for (k = 0; k < v->nroots; k++)
			free(v->roots[k]);
	}
	p->nservers = 0;
}
