/*
 * gw_profile.c -- the gateway profile language: one directive a line,
 * words separated by blanks, '#' starts a comment.  Lines after
 * `server NAME` belong to that server.
 *
 *   name NAME                    the profile's name (default: file name)
 *   page N                       tools/list page size (default 100)
 *   server NAME                  an upstream server; NAME prefixes its tools
 *     run PROGRAM ARG...         what runs in its sandbox
 *     url http[s]://HOST:PORT/PATH  or: a remote server over Streamable
 *                                  HTTP, through ward-egress
 *     header H [PREFIX] secret NAME   a vault secret's placeholder in
 *                                  header H of each request to the url
 *     allow net HOST:PORT [uses N] [expires D]   the url's destination
 *     share DIR                  bound read-write at the same path
 *     bind SRC [DST]             bound read-only (at DST, default SRC)
 *     env NAME=VALUE             into this server's environment only
 *     secret NAME FILE           FILE's content, into this server only
 *     root URI                   answered to the server's roots/list
 *     allow TOOL|* [uses N] [expires D]   one capability: that tool
 *                                  exactly, or every tool of the server
 *     allow resource URI|SCHEME:|* [...]  reading that resource, those of
 *                                  the scheme, or every one of the server
 *     allow prompt NAME|* [...]    getting that prompt, or every one
 *     limit memory|tmp SIZE | pids N | cpu PERCENT
 *     timeout D                  a tools/call's deadline (default 2m)
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
#include "text.h"

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

int
gw_res_resource(char out[WARD_SCOPE_MAX + 1], const char *srv, const char *uri,
		const char **why)
{
	size_t n = strlen(srv), u = strlen(uri), i, start = 0;

	*why = NULL;
	if (!gw_name_ok(srv))
		*why = "not a server's name";
	else if (u == 0)
		*why = "the URI is empty";
	else if (n + 1 + u > WARD_SCOPE_MAX)
		*why = "the server's name, ':' and the URI are over 200 bytes "
		       "(the longest resource ward-core approves)";
	for (i = 0; *why == NULL && i <= u; i++) {
		if (i < u && (uri[i] < 0x21 || uri[i] > 0x7e)) {
			*why = "the URI holds a byte other than printable ASCII "
			       "(a space, a control byte or a byte over 0x7e)";
		} else if (i == u || uri[i] == ':') {
			/* The part uri[start .. i) between two ':'; the last
			 * may be empty ("ui:" covers every ui: URI). */
			size_t k = i - start;

			if ((k == 0 && i < u) ||
			    (k == 1 && uri[start] == '.') ||
			    (k == 2 && uri[start] == '.' && uri[start + 1] == '.'))
				*why = "a ':'-separated part of the URI is empty, "
				       "'.' or '..' (ward-core approves only "
				       "canonical resources)";
			start = i + 1;
		}
	}
	if (*why != NULL)
		return -1;
	memcpy(out, srv, n);
	out[n] = ':';
	memcpy(out + n + 1, uri, u + 1);
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

/* ---- the directives (the parser is profile.c's pf_parse_file) ----------- */

static struct gw_server *
gw_cur(struct pf_parse *ps)
{
	struct gw_profile *p = ps->st;

	return &p->srv[p->nservers - 1];
}

static int
gw_name(struct pf_parse *ps, char **w, const int *col, int nw)
{
	struct gw_profile *p = ps->st;

	if (nw != 2 || !gw_name_ok(w[1]))
		return pf_error(&ps->lx, col[nw == 2 ? 1 : 0], "name NAME, of "
				"lower-case letters, digits and '-'", "bad name");
	snprintf(p->name, sizeof p->name, "%s", w[1]);
	return 0;
}

static int
gw_page(struct pf_parse *ps, char **w, const int *col, int nw)
{
	struct gw_profile *p = ps->st;
	uint64_t v;

	if (nw != 2 || pf_parse_uint(w[1], 10000, &v) != 0 || v == 0)
		return pf_error(&ps->lx, col[nw == 2 ? 1 : 0], "page N with N "
				"from 1 to 10000", "bad page size");
	p->page = (unsigned)v;
	return 0;
}

static int
gw_server(struct pf_parse *ps, char **w, const int *col, int nw)
{
	struct gw_profile *p = ps->st;
	struct gw_server *cur;
	int i;

	if (nw != 2 || !gw_name_ok(w[1]))
		return pf_error(&ps->lx, col[nw == 2 ? 1 : 0], "server NAME, of "
				"lower-case letters, digits and '-' (no '_': it "
				"separates the prefix from the tool)",
				"bad server name");
	for (i = 0; i < p->nservers; i++)
		if (strcmp(p->srv[i].name, w[1]) == 0)
			return pf_error(&ps->lx, col[1], "give each server a name "
					"of its own", "server %s is declared twice",
					w[1]);
	if (p->nservers == GW_MAX_SERVERS)
		return pf_error(&ps->lx, col[0], "run another gateway for the "
				"rest", "more than %d servers", GW_MAX_SERVERS);
	cur = &p->srv[p->nservers++];
	snprintf(cur->name, sizeof cur->name, "%s", w[1]);
	cur->line = ps->lx.line;
	cur->mem_bytes = 1024ull << 20;
	cur->tmp_bytes = 64ull << 20;
	cur->pids = 128;
	cur->cpu = 100;
	cur->timeout_s = 120;
	return 0;
}

static int
gw_timeout(struct pf_parse *ps, char **w, const int *col, int nw)
{
	struct gw_server *cur = gw_cur(ps);

	if (nw != 2 || pf_parse_duration(w[1], &cur->timeout_s) != 0 ||
	    cur->timeout_s > 86400)
		return pf_error(&ps->lx, col[nw == 2 ? 1 : 0], "timeout D, a "
				"duration such as 30s or 10m, at most 1d (a "
				"tools/call not answered by then gets an error)",
				"bad timeout");
	return 0;
}

static int
gw_run(struct pf_parse *ps, char **w, const int *col, int nw)
{
	struct gw_server *cur = gw_cur(ps);
	int i;

	if (cur->argc != 0)
		return pf_error(&ps->lx, col[0], "keep one 'run' line a server",
				"a second 'run' in server %s", cur->name);
	if (pf_run_words(&ps->lx, w, col, nw, GW_MAX_ARGV - 1) != 0)
		return -1;
	for (i = 1; i < nw; i++) {
		cur->argv[cur->argc] = strdup(w[i]);
		if (cur->argv[cur->argc] == NULL)
			return pf_error(&ps->lx, col[i], "free some memory",
					"out of memory");
		cur->argc++;
	}
	return 0;
}

static int
gw_share(struct pf_parse *ps, char **w, const int *col, int nw)
{
	struct gw_server *cur = gw_cur(ps);
	char *a, rp[PATH_MAX];

	if (nw != 2)
		return pf_error(&ps->lx, col[0], "share DIR", "'share' takes one "
				"folder");
	a = abspath(ps->dir, w[1]);
	if (a == NULL || realpath(a, rp) == NULL) {
		int e = errno;

		free(a);
		return pf_error(&ps->lx, col[1], "create the folder or fix the "
				"path", "share %s: %s", w[1], strerror(e));
	}
	free(a);
	snprintf(cur->workspace, sizeof cur->workspace, "%s", rp);
	return 0;
}

static int
gw_bind(struct pf_parse *ps, char **w, const int *col, int nw)
{
	struct gw_server *cur = gw_cur(ps);
	char *src, *dst;

	if (nw != 2 && nw != 3)
		return pf_error(&ps->lx, col[0], "bind HOST_PATH [SANDBOX_PATH]",
				"'bind' takes one or two paths");
	if (cur->nbinds == GW_MAX_BINDS)
		return pf_error(&ps->lx, col[0], "bind a common parent folder",
				"more than %d binds", GW_MAX_BINDS);
	if (nw == 3 && w[2][0] != '/')
		return pf_error(&ps->lx, col[2], "write an absolute path in the "
				"sandbox", "bind destination must be absolute");
	src = abspath(ps->dir, w[1]);
	dst = src != NULL ? strdup(nw == 3 ? w[2] : src) : NULL;
	if (dst == NULL) {
		free(src);
		return pf_error(&ps->lx, col[0], "free some memory",
				"out of memory");
	}
	cur->bind_src[cur->nbinds] = src;
	cur->bind_dst[cur->nbinds] = dst;
	cur->nbinds++;
	return 0;
}

static int
gw_env(struct pf_parse *ps, char **w, const int *col, int nw)
{
	struct gw_server *cur = gw_cur(ps);

	if (nw != 2 || strchr(w[1], '=') == NULL || w[1][0] == '=')
		return pf_error(&ps->lx, col[nw == 2 ? 1 : 0], "env NAME=VALUE "
				"(one word: no spaces in the value)",
				"bad env line");
	if (cur->nenv >= GW_MAX_ENV - 4)
		return pf_error(&ps->lx, col[0], "pass fewer variables",
				"more than %d env lines", GW_MAX_ENV - 4);
	cur->env[cur->nenv] = strdup(w[1]);
	if (cur->env[cur->nenv] == NULL)
		return pf_error(&ps->lx, col[0], "free some memory",
				"out of memory");
	cur->nenv++;
	return 0;
}

static int
gw_secret(struct pf_parse *ps, char **w, const int *col, int nw)
{
	struct gw_server *cur = gw_cur(ps);
	char *a, *v = NULL, *e;
	size_t n;

	if (nw != 3)
		return pf_error(&ps->lx, col[0], "secret NAME FILE", "'secret' "
				"takes a name and a file");
	if (cur->nenv >= GW_MAX_ENV - 4)
		return pf_error(&ps->lx, col[0], "pass fewer variables",
				"more than %d env and secret lines",
				GW_MAX_ENV - 4);
	a = abspath(ps->dir, w[2]);
	if (a == NULL || read_secret(a, &v) != 0) {
		int err = errno;

		free(a);
		return pf_error(&ps->lx, col[2], "the file holds the value, "
				"readable by root only", "cannot read the secret "
				"%s from %s: %s", w[1], w[2], strerror(err));
	}
	free(a);
	n = strlen(w[1]) + strlen(v) + 2;
	e = malloc(n);
	if (e != NULL)
		snprintf(e, n, "%s=%s", w[1], v);
	explicit_bzero(v, strlen(v));
	free(v);
	if (e == NULL)
		return pf_error(&ps->lx, col[0], "free some memory",
				"out of memory");
	cur->env[cur->nenv++] = e;
	cur->nsecret++;
	return 0;
}

static int
gw_root(struct pf_parse *ps, char **w, const int *col, int nw)
{
	struct gw_server *cur = gw_cur(ps);

	if (nw != 2 || cur->nroots == GW_MAX_ROOTS ||
	    strncmp(w[1], "file:///", 8) != 0)
		return pf_error(&ps->lx, col[nw == 2 ? 1 : 0], "root "
				"file:///absolute/path", "bad root (or more "
				"than %d a server)", GW_MAX_ROOTS);
	cur->roots[cur->nroots] = strdup(w[1]);
	if (cur->roots[cur->nroots] == NULL)
		return pf_error(&ps->lx, col[0], "free some memory",
				"out of memory");
	cur->nroots++;
	return 0;
}

static int gw_allow_net(struct pf_parse *ps, char **w, const int *col, int nw);

/* allow TOOL|*, allow resource URI|SCHEME:|*, allow prompt NAME|*, each
 * with [uses N] [expires D].  "resource" or "prompt" followed by an
 * option or by nothing is the tool of that name.  `allow net HOST:PORT`
 * is the destination of a remote server (a ':' is in no tool's name). */
static int
gw_allow_line(struct pf_parse *ps, char **w, const int *col, int nw)
{
	struct gw_server *cur = gw_cur(ps);
	struct gw_allow *a;
	int at = 1;
	char e[200];

	if (nw < 2)
		return pf_error(&ps->lx, col[0], "allow TOOL|*, allow resource "
				"URI|SCHEME:|*, or allow prompt NAME|* [uses N] "
				"[expires 30s|10m|2h|1d]", "'allow' needs a tool");
	if (cur->nallow == GW_MAX_ALLOW)
		return pf_error(&ps->lx, col[0], "allow * for every tool",
				"more than %d allow lines", GW_MAX_ALLOW);
	a = &cur->allow[cur->nallow];
	if (strcmp(w[1], "net") == 0 && nw >= 3 && strchr(w[2], ':') != NULL)
		return gw_allow_net(ps, w, col, nw);
	a->kind = WARD_KIND_TOOL;
	if (nw >= 3 && strcmp(w[2], "uses") != 0 &&
	    strcmp(w[2], "expires") != 0) {
		if (strcmp(w[1], "resource") == 0)
			a->kind = WARD_KIND_RESOURCE;
		else if (strcmp(w[1], "prompt") == 0)
			a->kind = WARD_KIND_PROMPT;
		else
			return pf_error(&ps->lx, col[2], "allow TOOL [uses N] "
					"[expires D], allow resource URI ..., or "
					"allow prompt NAME ...", "unexpected '%s' "
					"after the tool's name",
					gw_esc(e, sizeof e, w[2], 64));
		at = 2;
	}
	/* `*` is all of that kind of the server; anything else is one
	 * tool's or prompt's exact name, or a resource's URI (exact, or a
	 * scheme "ui:"). */
	if (strcmp(w[at], "*") == 0) {
		memcpy(a->scope, cur->name, sizeof cur->name);
	} else if (a->kind == WARD_KIND_RESOURCE) {
		const char *why;

		if (strchr(w[at], '*') != NULL)
			return pf_error(&ps->lx, col[at], "allow resource names a "
					"URI exactly, or a scheme with its ':' "
					"(allow resource ui:), or * for every "
					"resource of the server", "a '*' inside a "
					"URI is not a wildcard");
		if (gw_res_resource(a->scope, cur->name, w[at], &why) != 0)
			return pf_error(&ps->lx, col[at], "allow resource URI, "
					"URI printable ASCII without spaces, at "
					"most 200 bytes with the server's name",
					"bad resource URI '%s' in allow: %s",
					gw_esc(e, sizeof e, w[at], 64), why);
	} else if (gw_tool_resource(a->scope, cur->name, w[at]) != 0) {
		return pf_error(&ps->lx, col[at], a->kind == WARD_KIND_PROMPT ?
				"allow prompt NAME names one prompt exactly "
				"(1 to 128 of A-Z a-z 0-9 _ - .; no wildcard), "
				"or allow prompt * for every prompt" :
				"allow TOOL names one tool exactly (1 to 128 of "
				"A-Z a-z 0-9 _ - .; no wildcard), or allow * for "
				"every tool of the server", "bad %s name '%s' in "
				"allow", a->kind == WARD_KIND_PROMPT ? "prompt" :
				"tool", gw_esc(e, sizeof e, w[at], 64));
	}
	a->uses = 1000000;
	a->expires_s = 86400;
	a->line = ps->lx.line;
	if (pf_allow_opts(&ps->lx, w, col, nw, at + 1, &a->uses, &a->expires_s,
			  NULL) != 0)
		return -1;
	cur->nallow++;
	return 0;
}

/* ---- remote servers (gateway/remote.c, gateway/egress_gw.c) ------------ */

/* url http://HOST:PORT/PATH or https://HOST[:443]/PATH: the server is
 * ward-mcp-remote in its sandbox, which reaches that URL through
 * ward-egress (one net.connect approval a request). */
static int
gw_url(struct pf_parse *ps, char **w, const int *col, int nw)
{
	struct gw_server *cur = gw_cur(ps);
	const char *u, *hs, *he, *pe;
	const char *use = "url http://HOST:PORT/PATH, or https://HOST/PATH "
			  "(port 443: ward-egress opens TLS only there)";
	size_t i, n;

	if (nw != 2)
		return pf_error(&ps->lx, col[0], use, "'url' takes one URL");
	if (cur->url[0] != '\0')
		return pf_error(&ps->lx, col[0], "keep one 'url' line a server",
				"a second 'url' in server %s", cur->name);
	u = w[1];
	n = strlen(u);
	for (i = 0; i < n; i++)
		if (u[i] <= 0x20 || u[i] >= 0x7f || u[i] == '#' || u[i] == '\\')
			break;
	if (i < n || n >= sizeof cur->url)
		return pf_error(&ps->lx, col[1], use, "bad url (a byte that is "
				"not printable ASCII, a fragment, or too long)");
	if (strncmp(u, "http://", 7) == 0)
		hs = u + 7;
	else if (strncmp(u, "https://", 8) == 0)
		hs = u + 8, cur->tls = 1;
	else
		return pf_error(&ps->lx, col[1], use, "the url's scheme is "
				"neither http nor https");
	pe = strchr(hs, '/');
	if (pe == NULL)
		pe = hs + strlen(hs);
	he = memchr(hs, ':', (size_t)(pe - hs));
	if (memchr(hs, '@', (size_t)(pe - hs)) != NULL || hs[0] == '[')
		return pf_error(&ps->lx, col[1], "put credentials in a 'header "
				"... secret NAME' line, and name an IPv4 address "
				"or a host", "the url's authority has user "
				"information or an IPv6 literal");
	if (he == NULL && !cur->tls)
		return pf_error(&ps->lx, col[1], "write the port: "
				"http://HOST:PORT/PATH", "the url has no port");
	if (he == NULL)
		snprintf(cur->dest, sizeof cur->dest, "%.*s:443", (int)(pe - hs), hs);
	else
		snprintf(cur->dest, sizeof cur->dest, "%.*s", (int)(pe - hs), hs);
	for (i = 0; cur->dest[i] != '\0'; i++)
		if (cur->dest[i] >= 'A' && cur->dest[i] <= 'Z')
			cur->dest[i] = (char)(cur->dest[i] - 'A' + 'a');
	if (!pf_net_scope_ok(cur->dest) || strncmp(cur->dest, "*.", 2) == 0)
		return pf_error(&ps->lx, col[1], use, "the url's host:port '%s' "
				"is not a host and a port from 1 to 65535",
				cur->dest);
	if (cur->tls && strcmp(strrchr(cur->dest, ':'), ":443") != 0)
		return pf_error(&ps->lx, col[1], "use port 443, or http:// to a "
				"server ward-egress may reach in clear",
				"https on port %s: ward-egress opens TLS for a "
				"remote server on port 443 only",
				strrchr(cur->dest, ':') + 1);
	memcpy(cur->url, u, n);
	cur->url[n] = '\0';
	if (pe[0] == '\0' && n + 1 < sizeof cur->url) {
		cur->url[n] = '/';
		cur->url[n + 1] = '\0';
	}
	return 0;
}

/* header HEADER [PREFIX] secret NAME [uses N] [expires D]: each request
 * to the url carries "HEADER: [PREFIX ]ward-secret-NAME", and ward-egress
 * puts the vault's value there after a secret.use approval of
 * NAME@HOST:PORT/header (docs/secrets.md). */
static int
gw_header(struct pf_parse *ps, char **w, const int *col, int nw)
{
	struct gw_server *cur = gw_cur(ps);
	const char *use = "header HEADER [PREFIX] secret NAME [uses N] "
			  "[expires D], after the url line: header Authorization "
			  "Bearer secret GH_TOKEN";
	const char *pre = NULL, *name;
	struct gw_allow *a;
	char low[80];
	size_t i, hl;
	int k, n;

	if (cur->url[0] == '\0')
		return pf_error(&ps->lx, col[0], use, "'header' is for a remote "
				"server: put it after the server's url line");
	if (nw >= 4 && strcmp(w[2], "secret") == 0) {
		name = w[3];
		k = 4;
	} else if (nw >= 5 && strcmp(w[3], "secret") == 0) {
		pre = w[2];
		name = w[4];
		k = 5;
	} else {
		return pf_error(&ps->lx, col[0], use, "a header line names the "
				"header and the secret");
	}
	hl = strlen(w[1]);
	for (i = 0; i < hl; i++)
		if (!((w[1][i] >= 'A' && w[1][i] <= 'Z') || (w[1][i] >= 'a' &&
		      w[1][i] <= 'z') || (w[1][i] >= '0' && w[1][i] <= '9') ||
		      w[1][i] == '-'))
			break;
	if (hl == 0 || hl > 64 || i < hl)
		return pf_error(&ps->lx, col[1], use, "bad header name (letters, "
				"digits and '-', at most 64)");
	for (i = 0; pre != NULL && pre[i] != '\0'; i++)
		if (!((pre[i] >= 'A' && pre[i] <= 'Z') || (pre[i] >= 'a' &&
		      pre[i] <= 'z') || (pre[i] >= '0' && pre[i] <= '9')) || i == 32)
			return pf_error(&ps->lx, col[2], use, "bad prefix (one "
					"word of letters and digits, such as Bearer)");
	if (!text_secret_name_ok(name, strlen(name)))
		return pf_error(&ps->lx, col[k - 1], "a secret's name is 1 to 64 "
				"of A-Z a-z 0-9 _, as 'ward secret set NAME' "
				"stored it", "bad secret name");
	if (cur->nhdr == GW_MAX_HDR || cur->nallow == GW_MAX_ALLOW)
		return pf_error(&ps->lx, col[0], "send fewer headers",
				"more than %d header lines", GW_MAX_HDR);
	for (i = 0; i <= hl; i++)
		low[i] = (char)(w[1][i] >= 'A' && w[1][i] <= 'Z' ?
				w[1][i] - 'A' + 'a' : w[1][i]);
	if (strcmp(low, "host") == 0 || strcmp(low, "connection") == 0 ||
	    strcmp(low, "content-length") == 0 || strcmp(low, "content-type") == 0 ||
	    strcmp(low, "accept") == 0 || strncmp(low, "mcp-", 4) == 0 ||
	    strncmp(low, "proxy-", 6) == 0 || strcmp(low, "transfer-encoding") == 0 ||
	    strcmp(low, "accept-encoding") == 0)
		return pf_error(&ps->lx, col[1], "name a credential header such as "
				"Authorization or X-Api-Key", "header %s is set by "
				"ward-mcp-remote or ward-egress", w[1]);
	a = &cur->allow[cur->nallow];
	memset(a, 0, sizeof *a);
	a->kind = WARD_KIND_SECRET;
	{
		char sc[sizeof a->scope + 256];

		n = snprintf(sc, sizeof sc, "%s@%s/%s", name, cur->dest, low);
		if (n > 0 && (size_t)n < sizeof a->scope)
			memcpy(a->scope, sc, (size_t)n + 1);
	}
	if (n < 0 || (size_t)n >= sizeof a->scope)
		return pf_error(&ps->lx, col[k - 1], "shorten the name or the host",
				"NAME@HOST:PORT/HEADER is longer than %u bytes",
				WARD_SCOPE_MAX);
	a->uses = 1000000;
	a->expires_s = 86400;
	a->line = ps->lx.line;
	if (pf_allow_opts(&ps->lx, w, col, nw, k, &a->uses, &a->expires_s,
			  NULL) != 0)
		return -1;
	n = snprintf(NULL, 0, "%s: %s%sward-secret-%s", w[1], pre != NULL ? pre : "",
		     pre != NULL ? " " : "", name);
	cur->hdr[cur->nhdr] = malloc((size_t)n + 1);
	if (cur->hdr[cur->nhdr] == NULL)
		return pf_error(&ps->lx, col[0], "free some memory", "out of memory");
	snprintf(cur->hdr[cur->nhdr], (size_t)n + 1, "%s: %s%sward-secret-%s", w[1],
		 pre != NULL ? pre : "", pre != NULL ? " " : "", name);
	cur->nhdr++;
	cur->nallow++;
	return 0;
}

/* allow net HOST:PORT [uses N] [expires D]: a capability of kind net,
 * one use a request of the remote server (ward-egress asks for each
 * connection).  Exactly the url's host:port (checked at the end). */
static int
gw_allow_net(struct pf_parse *ps, char **w, const int *col, int nw)
{
	struct gw_server *cur = gw_cur(ps);
	struct gw_allow *a = &cur->allow[cur->nallow];
	size_t i;

	if (strncmp(w[2], "*.", 2) == 0 || !pf_net_scope_ok(w[2]) ||
	    strlen(w[2]) >= sizeof a->scope)
		return pf_error(&ps->lx, col[2], "name the url's host:port, the "
				"port from 1 to 65535: allow net mcp.example.com:443",
				"scope '%s' is not host:port", w[2]);
	memset(a, 0, sizeof *a);
	a->kind = WARD_KIND_NET;
	snprintf(a->scope, sizeof a->scope, "%s", w[2]);
	for (i = 0; a->scope[i] != '\0'; i++)
		if (a->scope[i] >= 'A' && a->scope[i] <= 'Z')
			a->scope[i] = (char)(a->scope[i] - 'A' + 'a');
	a->uses = 1000000;
	a->expires_s = 86400;
	a->line = ps->lx.line;
	if (pf_allow_opts(&ps->lx, w, col, nw, 3, &a->uses, &a->expires_s,
			  NULL) != 0)
		return -1;
	cur->nallow++;
	return 0;
}

/* A remote server's lines agree: url xor run, the url's destination
 * granted by an allow net line, allow net only with a url.  0 or -1. */
static int
gw_remote_check(struct pf_parse *ps, struct gw_server *v)
{
	int k, net = 0;

	ps->lx.line = v->line;
	if (v->argc != 0 && v->url[0] != '\0')
		return pf_error(&ps->lx, 1, "keep 'run' for a server on this "
				"host, 'url' for a remote one", "server %s has "
				"both a run and a url line", v->name);
	for (k = 0; k < v->nallow; k++) {
		if (v->allow[k].kind != WARD_KIND_NET)
			continue;
		if (v->url[0] == '\0') {
			ps->lx.line = v->allow[k].line;
			return pf_error(&ps->lx, 1, "give the server a url line, "
					"or remove it: a server on this host has no "
					"network", "allow net in server %s, which has "
					"no url", v->name);
		}
		if (strcmp(v->allow[k].scope, v->dest) == 0)
			net = 1;
	}
	if (v->url[0] != '\0' && !net) {
		char hint[300];

		snprintf(hint, sizeof hint, "add to its block: allow net %s", v->dest);
		return pf_error(&ps->lx, 1, hint, "server %s's url goes to %s, "
				"which no allow net line of its block grants",
				v->name, v->dest);
	}
	return 0;
}

static int
gw_limit(struct pf_parse *ps, char **w, const int *col, int nw)
{
	struct gw_server *cur = gw_cur(ps);
	struct pf_limits lim = { &cur->mem_bytes, &cur->tmp_bytes, NULL,
				 &cur->pids, &cur->cpu };

	return pf_limit(&ps->lx, w, col, nw, &lim);
}

static int
gw_finish(struct pf_parse *ps)
{
	struct gw_profile *p = ps->st;
	int i;

	if (p->nservers == 0)
		return pf_error(&ps->lx, 1, "server NAME, then run PROGRAM "
				"ARG...", "no server");
	for (i = 0; i < p->nservers; i++) {
		struct gw_server *v = &p->srv[i];

		int k, mcp = 0;

		if (v->argc == 0 && v->url[0] == '\0') {
			ps->lx.line = v->line;
			return pf_error(&ps->lx, 1, "add: run PROGRAM ARG... (or url "
					"URL, for a remote server) in its block",
					"server %s has no run line", v->name);
		}
		if (gw_remote_check(ps, v) != 0)
			return -1;
		for (k = 0; k < v->nallow; k++)
			mcp += v->allow[k].kind == WARD_KIND_TOOL ||
			       v->allow[k].kind == WARD_KIND_RESOURCE ||
			       v->allow[k].kind == WARD_KIND_PROMPT;
		/* No tool, resource or prompt line: every tool, resource and
		 * prompt of the server; with any, only what they allow.  They
		 * go first (before a remote server's net and secret lines). */
		if (mcp == 0) {
			static const uint8_t kinds[] = { WARD_KIND_TOOL,
				WARD_KIND_RESOURCE, WARD_KIND_PROMPT };

			if (v->nallow > GW_MAX_ALLOW - 3)
				return pf_error(&ps->lx, 1, "allow * for every "
						"tool", "more than %d allow lines",
						GW_MAX_ALLOW);
			memmove(&v->allow[3], &v->allow[0],
				(size_t)v->nallow * sizeof v->allow[0]);
			for (k = 0; k < 3; k++) {
				memset(&v->allow[k], 0, sizeof v->allow[k]);
				v->allow[k].kind = kinds[k];
				memcpy(v->allow[k].scope, v->name, sizeof v->name);
				v->allow[k].uses = 1000000;
				v->allow[k].expires_s = 86400;
			}
			v->nallow += 3;
		}
	}
	return 0;
}

/* An agent's workspace is a seed that is copied; a server's host folder
 * is shared as it is: one word for each (docs/glossary.md). */
static const struct pf_directive gw_directives[] = {
	{ "name", 0, gw_name, NULL, NULL },
	{ "page", 0, gw_page, NULL, NULL },
	{ "server", PF_OPENS_BLOCK, gw_server, NULL, NULL },
	{ "run", PF_IN_BLOCK, gw_run, NULL, NULL },
	{ "url", PF_IN_BLOCK, gw_url, NULL, NULL },
	{ "header", PF_IN_BLOCK, gw_header, NULL, NULL },
	{ "share", PF_IN_BLOCK, gw_share, NULL, NULL },
	{ "bind", PF_IN_BLOCK, gw_bind, NULL, NULL },
	{ "env", PF_IN_BLOCK, gw_env, NULL, NULL },
	{ "secret", PF_IN_BLOCK, gw_secret, NULL, NULL },
	{ "root", PF_IN_BLOCK, gw_root, NULL, NULL },
	{ "allow", PF_IN_BLOCK, gw_allow_line, NULL, NULL },
	{ "limit", PF_IN_BLOCK, gw_limit, NULL, NULL },
	{ "timeout", PF_IN_BLOCK, gw_timeout, NULL, NULL },
	{ "workspace", PF_RETIRED, NULL, "share", "write: share DIR (a host "
	  "folder the server reads and writes in place; 'workspace' is an "
	  "agent's seed, copied for each run)" },
	{ NULL, 0, NULL, NULL, NULL }
};

static const struct pf_lang gw_lang = {
	"gateway profile", "gateway/README.md", "server", gw_directives,
	"directives are: name, page, server; in a server: run (or url, "
	"header), share, bind, env, secret, root, allow, limit, timeout "
	"(gateway/README.md)", gw_finish
};

int
gw_profile_load(const char *path, struct gw_profile *p, char *err, size_t errlen)
{
	const char *b = strrchr(path, '/');

	memset(p, 0, sizeof *p);
	p->page = 100;
	snprintf(p->path, sizeof p->path, "%s", path);
	b = b != NULL ? b + 1 : path;
	snprintf(p->name, sizeof p->name, "%.*s", (int)strcspn(b, "."), b);
	if (pf_parse_file(path, &gw_lang, p, err, errlen) != 0) {
		gw_profile_free(p);
		return -1;
	}
	return 0;
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
		for (k = 0; k < v->nhdr; k++)
			free(v->hdr[k]);
	}
	p->nservers = 0;
}
