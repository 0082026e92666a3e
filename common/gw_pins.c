/*
 * gw_pins.c -- tool definitions pinned by hash: the store that
 * ward-gateway reads and adds pending definitions to, and that the
 * operator's `ward mcp approve` (cli/cmd_mcp.c) writes pins into.
 *
 * The gateway never trusts the last definition it saw: a tool is offered
 * to the client only while the hash of its current definition equals the
 * hash the operator approved.  A changed definition (a rug pull), a new
 * tool and a renamed one all land in NAME.pending and stay quarantined
 * until `ward mcp approve`, which writes NAME.pins and records each
 * approval in the audit log (as an operator event under a context of its
 * own).  Not part of the verified core.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sodium.h>
#include <jansson.h>

#include "gw.h"
#include "wb.h"
#include "home.h"
#include "text.h"
#include "outq.h"

/* BLAKE2b of a tag (with its NUL) and a definition, in hex. */
static int
tagged_hash(char hex[65], const char *tag, size_t tag_len,
	    const char *canonical_json)
{
	crypto_generichash_state st;
	uint8_t d[32];

	if (crypto_generichash_init(&st, NULL, 0, sizeof d) != 0 ||
	    crypto_generichash_update(&st, (const uint8_t *)tag, tag_len) != 0 ||
	    crypto_generichash_update(&st, (const uint8_t *)canonical_json,
				      strlen(canonical_json)) != 0 ||
	    crypto_generichash_final(&st, d, sizeof d) != 0)
		return -1;
	sodium_bin2hex(hex, 65, d, sizeof d);
	return 0;
}

int
gw_tool_hash(char hex[65], const char *canonical_json)
{
	static const char tag[] = "ward.mcp.tool.v1";

	return tagged_hash(hex, tag, sizeof tag, canonical_json);
}

int
gw_def_hash(char hex[65], const char *name, const char *canonical_json)
{
	static const char tag[] = "ward.mcp.prompt.v1";
	int prompt = 0;

	if (gw_pin_name(name, &prompt) == NULL)
		return -1;
	if (!prompt)
		return gw_tool_hash(hex, canonical_json);
	return tagged_hash(hex, tag, sizeof tag, canonical_json);
}

const char *
gw_pin_name(const char *name, int *prompt)
{
	*prompt = strncmp(name, "prompt:", 7) == 0;
	if (*prompt)
		name += 7;
	return gw_tool_name_ok(name) ? name : NULL;
}

static uint64_t
stamp_of(const char *path)
{
	struct stat st;

	if (stat(path, &st) != 0)
		return 0;
	return (uint64_t)st.st_ino * 1000003u ^ (uint64_t)st.st_size * 7919u ^
	       (uint64_t)st.st_mtim.tv_sec * 1000000000u ^
	       (uint64_t)st.st_mtim.tv_nsec;
}

static void
pins_clear(struct gw_pins *ps)
{
	free(ps->v);
	ps->v = NULL;
	ps->n = 0;
}

/* ---- the files: one JSON object a line, read strictly ------------------ */

/* One line of a pin or pending file. */
struct rec {
	char srv[GW_NAME_MAX];
	char tool[GW_PIN_NAME_MAX + 1];	/* a tool's name, or "prompt:NAME" */
	char hex[65];
};

static int
hex_ok(const char *s)
{
	size_t i;

	for (i = 0; i < 64; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return s[64] == '\0';
}

/* A pin line is {"server","tool","blake2b"} (a prompt's has "prompt"
 * instead of "tool"); a pending line has the
 * definition too, whose name is the tool and whose hash is blake2b (so
 * that what is approved is the hash of a definition a server offered).
 * No other key, no other type, nothing after the object.  0, or -1 with
 * the reason in why. */
static int
parse_line(const char *line, size_t len, int pending, struct rec *r,
	   char *why, size_t wl)
{
	json_error_t e;
	json_t *o, *v, *def = NULL;
	const char *k, *srv = NULL, *tool = NULL, *prompt = NULL, *hex = NULL;
	char esc[200], h[65], *canon, pname[GW_PIN_NAME_MAX + 8];
	int rc = -1;

	if (len == 0 || line[len - 1] != '\n') {
		snprintf(why, wl, "the line is cut (no newline at its end)");
		return -1;
	}
	len--;
	if (len == 0 || line[0] != '{') {
		snprintf(why, wl, "not a JSON object%s", len > 0 ? " (the "
			 "SERVER TOOL HASH lines of older wards are not read any "
			 "more: a tool name with a blank in it could forge one)" :
			 "");
		return -1;
	}
	o = json_loadb(line, len, JSON_REJECT_DUPLICATES, &e);
	if (!json_is_object(o)) {
		snprintf(why, wl, "not a valid JSON object (column %d)", e.column);
		goto out;
	}
	json_object_foreach(o, k, v) {
		if (strcmp(k, "server") == 0)
			srv = json_string_value(v);
		else if (strcmp(k, "tool") == 0)
			tool = json_string_value(v);
		else if (strcmp(k, "prompt") == 0)
			prompt = json_string_value(v);
		else if (strcmp(k, "blake2b") == 0)
			hex = json_string_value(v);
		else if (pending && strcmp(k, "definition") == 0)
			def = json_is_object(v) ? v : NULL;
		else {
			snprintf(why, wl, "unknown key \"%s\"",
				 gw_esc(esc, sizeof esc, k, 40));
			goto out;
		}
	}
	if (srv == NULL || !gw_name_ok(srv)) {
		snprintf(why, wl, "\"server\" is missing or not a server's name");
		goto out;
	}
	if ((tool == NULL) == (prompt == NULL) ||
	    !gw_tool_name_ok(tool != NULL ? tool : prompt)) {
		snprintf(why, wl, "\"tool\" (or \"prompt\") is missing, both are "
			 "given, or it is not a name (1 to %d of A-Z a-z 0-9 _ - .)",
			 GW_TOOL_MAX);
		goto out;
	}
	snprintf(pname, sizeof pname, "%s%s", prompt != NULL ? "prompt:" : "",
		 tool != NULL ? tool : prompt);
	if (hex == NULL || !hex_ok(hex)) {
		snprintf(why, wl, "\"blake2b\" is missing or not 64 lower-case "
			 "hex digits");
		goto out;
	}
	if (pending) {
		const char *nm = json_string_value(json_object_get(def, "name"));

		if (def == NULL || nm == NULL ||
		    strcmp(nm, tool != NULL ? tool : prompt) != 0) {
			snprintf(why, wl, "\"definition\" is missing, or not the "
				 "definition of %s %s", tool != NULL ? "tool" :
				 "prompt", tool != NULL ? tool : prompt);
			goto out;
		}
		canon = json_dumps(def, JSON_COMPACT | JSON_SORT_KEYS);
		if (canon == NULL || gw_def_hash(h, pname, canon) != 0 ||
		    strcmp(h, hex) != 0) {
			free(canon);
			snprintf(why, wl, "\"blake2b\" is not the hash of the "
				 "definition on the line");
			goto out;
		}
		free(canon);
	}
	snprintf(r->srv, sizeof r->srv, "%s", srv);
	snprintf(r->tool, sizeof r->tool, "%s", pname);
	memcpy(r->hex, hex, 65);
	rc = 0;
out:
	json_decref(o);
	return rc;
}

/* Every line of path to add(); a missing file has none.  0, or -1 with
 * "FILE:LINE: error: ...\n  hint: ..." in err. */
static int
read_lines(const char *path, int pending, int (*add)(void *, const struct rec *),
	   void *arg, char *err, size_t errlen)
{
	FILE *f = fopen(path, "re");
	char *line = NULL, why[400];
	size_t cap = 0;
	ssize_t n;
	unsigned long ln = 0;
	int rc = 0;

	if (f == NULL) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	while ((n = getline(&line, &cap, f)) > 0) {
		struct rec r;

		ln++;
		if (parse_line(line, (size_t)n, pending, &r, why, sizeof why) != 0) {
			if (pending)
				snprintf(err, errlen, "%s:%lu: error: %s\n  hint: "
					 "the file only holds what waits for approval: "
					 "remove it (rm %s) and run 'ward mcp' again, which "
					 "lists the servers' tools anew", path, ln, why,
					 path);
			else
				snprintf(err, errlen, "%s:%lu: error: %s\n  hint: "
					 "nothing is pinned while a line is not {\"server\":"
					 "...,\"tool\":...,\"blake2b\":...} as 'ward mcp "
					 "approve' writes it.  Move the file away (mv %s "
					 "%s.old), run 'ward mcp' once so that the servers' "
					 "tools are listed, check them with 'ward mcp "
					 "pending' and approve them again with 'ward mcp "
					 "approve'", path, ln, why, path, path);
			rc = -1;
			break;
		}
		if (add(arg, &r) != 0) {
			snprintf(err, errlen, "%s: out of memory", path);
			rc = -1;
			break;
		}
	}
	if (rc == 0 && ferror(f)) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		rc = -1;
	}
	free(line);
	fclose(f);
	return rc;
}

/* Append one line with a single write (O_APPEND: whole lines, whoever
 * else appends). */
static int
append_line(const char *path, json_t *o, int sync)
{
	char *s = json_dumps(o, JSON_COMPACT);
	size_t n;
	int fd, rc = 0;

	if (s == NULL)
		return -1;
	n = strlen(s);
	s[n++] = '\n';		/* json_dumps leaves room for the NUL */
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (fd < 0) {
		free(s);
		return -1;
	}
	if (oq_write_all(fd, s, n, -1) != 0)	/* the one write-all loop */
		rc = -1;
	if (rc == 0 && sync && fsync(fd) != 0)
		rc = -1;
	if (close(fd) != 0)
		rc = -1;
	free(s);
	return rc;
}

static int
pin_add(void *arg, const struct rec *r)
{
	struct gw_pins *ps = arg;

	if (ps->n % 64 == 0) {
		struct gw_pin *nv = realloc(ps->v, (ps->n + 64) * sizeof *nv);

		if (nv == NULL)
			return -1;
		ps->v = nv;
	}
	memcpy(ps->v[ps->n].srv, r->srv, sizeof r->srv);
	memcpy(ps->v[ps->n].tool, r->tool, sizeof r->tool);
	memcpy(ps->v[ps->n].hex, r->hex, sizeof r->hex);
	ps->n++;
	return 0;
}

/* All or nothing: a file with one bad line pins nothing. */
static int
pins_read(struct gw_pins *ps)
{
	pins_clear(ps);
	ps->err[0] = '\0';
	ps->stamp = stamp_of(ps->path);
	if (read_lines(ps->path, 0, pin_add, ps, ps->err, sizeof ps->err) != 0) {
		pins_clear(ps);
		return -1;
	}
	return 0;
}

int
gw_pins_open(struct gw_pins *ps, const char *home, const char *profile_name)
{
	char dir[1024];

	memset(ps, 0, sizeof *ps);
	snprintf(dir, sizeof dir, "%s/mcp", home);
	snprintf(ps->path, sizeof ps->path, "%s/%s.pins", dir, profile_name);
	snprintf(ps->pending, sizeof ps->pending, "%s/%s.pending", dir,
		 profile_name);
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		snprintf(ps->err, sizeof ps->err, "%s: %s", dir, strerror(errno));
		return -1;
	}
	return pins_read(ps);
}

int
gw_pins_reload(struct gw_pins *ps)
{
	if (stamp_of(ps->path) == ps->stamp)
		return 0;
	return pins_read(ps) == 0 ? 1 : -1;
}

const char *
gw_pin_get(const struct gw_pins *ps, const char *srv, const char *tool)
{
	size_t i;

	/* The last line for a tool wins: approve appends. */
	for (i = ps->n; i-- > 0;)
		if (strcmp(ps->v[i].srv, srv) == 0 && strcmp(ps->v[i].tool, tool) == 0)
			return ps->v[i].hex;
	return NULL;
}

/* The definition each tool offers now: the last pending line of each. */
struct latest {
	struct rec *v;
	size_t n, cap;
};

static int
latest_add(void *arg, const struct rec *r)
{
	struct latest *l = arg;
	size_t i;

	for (i = 0; i < l->n; i++)
		if (strcmp(l->v[i].srv, r->srv) == 0 &&
		    strcmp(l->v[i].tool, r->tool) == 0)
			break;
	if (i == l->n) {
		if (l->n == l->cap) {
			struct rec *nv;

			l->cap = l->cap ? l->cap * 2 : 64;
			nv = realloc(l->v, l->cap * sizeof *nv);
			if (nv == NULL)
				return -1;
			l->v = nv;
		}
		l->n++;
	}
	l->v[i] = *r;
	return 0;
}

static int
last_add(void *arg, const struct rec *r)
{
	char key[GW_NAME_MAX + GW_PIN_NAME_MAX + 2];

	snprintf(key, sizeof key, "%s %s", r->srv, r->tool);
	return json_object_set_new(arg, key, json_string(r->hex));
}

/* A line is added unless the last one for that tool has the same hash. */
int
gw_pending_add(struct gw_pins *ps, const char *srv, const char *tool,
	       const char *hex, json_t *def, char *err, size_t errlen)
{
	char key[GW_NAME_MAX + GW_PIN_NAME_MAX + 2];
	uint64_t st = stamp_of(ps->pending);
	const char *last, *bare;
	json_t *o;
	int rc, prompt;

	if (!gw_name_ok(srv) || (bare = gw_pin_name(tool, &prompt)) == NULL ||
	    !json_is_object(def)) {
		snprintf(err, errlen, "not a tool that can be pinned");
		return -1;
	}
	if (ps->pend_last == NULL || st != ps->pend_stamp) {
		json_t *m = json_object();

		if (m == NULL || read_lines(ps->pending, 1, last_add, m, err,
					    errlen) != 0) {
			json_decref(m);
			return -1;
		}
		json_decref(ps->pend_last);
		ps->pend_last = m;
		ps->pend_stamp = st;
	}
	/* A space is in neither name: the key is unambiguous. */
	snprintf(key, sizeof key, "%s %s", srv, tool);
	last = json_string_value(json_object_get(ps->pend_last, key));
	if (last != NULL && strcmp(last, hex) == 0)
		return 0;
	o = json_pack("{s:s, s:s, s:s, s:O}", "server", srv, prompt ? "prompt" :
		      "tool", bare, "blake2b", hex, "definition", def);
	rc = o != NULL && append_line(ps->pending, o, 0) == 0 ? 1 : -1;
	json_decref(o);
	if (rc < 0) {
		snprintf(err, errlen, "%s: %s", ps->pending, strerror(errno));
		return -1;
	}
	json_object_set_new(ps->pend_last, key, json_string(hex));
	ps->pend_stamp = stamp_of(ps->pending);
	return 1;
}

void
gw_pins_free(struct gw_pins *ps)
{
	pins_clear(ps);
	json_decref(ps->pend_last);
	ps->pend_last = NULL;
}

/* The definition each tool offers now: the last pending line of each
 * tool, in the order first seen. */
int
gw_pending_latest(const struct gw_pins *ps, struct gw_pin **v, size_t *n,
		  char *err, size_t errlen)
{
	struct latest lt = { NULL, 0, 0 };
	size_t k;

	*v = NULL;
	*n = 0;
	if (read_lines(ps->pending, 1, latest_add, &lt, err, errlen) != 0) {
		free(lt.v);
		return -1;
	}
	if (lt.n > 0) {
		*v = calloc(lt.n, sizeof **v);
		if (*v == NULL) {
			free(lt.v);
			snprintf(err, errlen, "%s: out of memory", ps->pending);
			return -1;
		}
	}
	for (k = 0; k < lt.n; k++) {
		memcpy((*v)[k].srv, lt.v[k].srv, sizeof lt.v[k].srv);
		memcpy((*v)[k].tool, lt.v[k].tool, sizeof lt.v[k].tool);
		memcpy((*v)[k].hex, lt.v[k].hex, sizeof lt.v[k].hex);
	}
	*n = lt.n;
	free(lt.v);
	return 0;
}

/* Pin one definition: a line appended to the pins file and synced. */
int
gw_pin_write(const struct gw_pins *ps, const char *srv, const char *tool,
	     const char *hex)
{
	int prompt, rc;
	const char *bare = gw_pin_name(tool, &prompt);
	json_t *o = bare == NULL ? NULL : json_pack("{s:s, s:s, s:s}", "server",
			srv, prompt ? "prompt" : "tool", bare, "blake2b", hex);

	if (o == NULL)
		return -1;
	rc = append_line(ps->path, o, 1);
	json_decref(o);
	return rc;
}
