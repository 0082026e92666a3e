/*
 * gw.h -- ward mcp, the MCP gateway (untrusted side of ward, not verified).
 *
 *   gw_profile.c  the gateway profile language (gateway/README.md)
 *   gw_pins.c     tool definitions pinned by hash; ward mcp approve/pending
 *   gateway.c     the MCP server on stdio, the upstream servers in their
 *                 sandboxes, approvals through ward-core; cmd_mcp()
 */
#ifndef WARD_GW_H
#define WARD_GW_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <jansson.h>

#include "ward.h"

#define GW_WARN __attribute__((warn_unused_result))

#define GW_MAX_SERVERS 16
#define GW_MAX_ARGV 32
#define GW_MAX_ENV 32
#define GW_MAX_BINDS 8
#define GW_MAX_ROOTS 8
#define GW_MAX_ALLOW 32
#define GW_MAX_HDR 4
#define GW_NAME_MAX 32
#define GW_TOOL_MAX 128		/* the MCP tool-name grammar's longest name */
/* A pinned definition's name: a tool's, or "prompt:" and a prompt's (no
 * tool name has a ':', so the two never meet). */
#define GW_PIN_NAME_MAX (GW_TOOL_MAX + 7)

/* One `allow` line: becomes one root capability with scope "SERVER"
 * (`*`: all of that kind of the server) or one resource:
 *   allow TOOL          kind tool, invoke: "SERVER.TOOL" (gw_tool_resource)
 *   allow prompt NAME   kind prompt, read: "SERVER.NAME" (the same way)
 *   allow resource URI  kind resource, read: "SERVER:URI" (gw_res_resource);
 *                       a URI that ends in ':' (a scheme, "ui:") covers
 *                       every URI that goes on from it */
struct gw_allow {
	/* WARD_KIND_TOOL, _RESOURCE or _PROMPT: as above; WARD_KIND_NET:
	 * `allow net HOST:PORT` of a remote server; WARD_KIND_SECRET: its
	 * `header ... secret NAME` (scope NAME@HOST:PORT/header). */
	unsigned kind;
	char scope[WARD_SCOPE_MAX + 1];
	uint32_t uses;
	uint64_t expires_s;
	int line;
};

struct gw_server {
	char name[GW_NAME_MAX];	/* [a-z0-9-]: the prefix of its tools */
	int line;		/* of its server line */
	int argc;
	char *argv[GW_MAX_ARGV];
	char workspace[1024];	/* bound read-write at the same path, "" none */
	int nbinds;
	char *bind_src[GW_MAX_BINDS], *bind_dst[GW_MAX_BINDS];
	int nenv;
	char *env[GW_MAX_ENV];	/* NAME=VALUE, secrets included */
	int nsecret;		/* how many of env[] are secrets (the last) */
	int nroots;
	char *roots[GW_MAX_ROOTS];	/* file:// URIs given to the server */
	int nallow;
	struct gw_allow allow[GW_MAX_ALLOW];
	uint64_t mem_bytes, tmp_bytes;
	uint32_t pids, cpu;
	uint64_t timeout_s;	/* a tools/call's deadline (timeout D) */
	/* A remote server (`url`, in place of `run`): reached over MCP's
	 * Streamable HTTP by ward-mcp-remote (gateway/remote.c) in its
	 * sandbox, through ward-egress.  dest is "host:port"; each hdr is
	 * "Header: [PREFIX ]ward-secret-NAME", a placeholder that ward-egress
	 * replaces (the gateway never holds the value). */
	char url[1024];
	char dest[256];
	int tls;		/* https:// (port 443 only) */
	int nhdr;
	char *hdr[GW_MAX_HDR];
};

struct gw_profile {
	char name[64];
	char path[1024];
	unsigned page;		/* tools/list page size */
	int nservers;
	struct gw_server srv[GW_MAX_SERVERS];
};

/* ---- names (gw_profile.c) ---------------------------------------------- */

/* A server's name: 1..31 of [a-z0-9-]. */
int gw_name_ok(const char *s);
/* A tool's name in the MCP tool-name grammar (2025-11-25, "Tool names"):
 * 1..128 of A-Z a-z 0-9 _ - . (case-sensitive).  Other names are refused:
 * never offered, never pending, never pinned. */
int gw_tool_name_ok(const char *s);
/* The resource of srv's tool for ward-core: "SRV.TOOL" with each '.' of
 * TOOL written ':' (not in the grammar, so one-to-one), so that a tool's
 * scope covers that tool and no other ("fx.read" is not a prefix of
 * "fx.read:all" on a component boundary).  0, or -1 if it does not fit. */
int gw_tool_resource(char out[WARD_SCOPE_MAX + 1], const char *srv,
		     const char *tool) GW_WARN;
/* The resource of srv's MCP resource uri for ward-core: "SRV:URI".  A
 * URI is 1 or more of printable ASCII without the space (0x21 .. 0x7e),
 * and no ':'-separated part of it is empty, "." or ".." (ward-core's
 * canonical form, core/attenuate.h): "a::b" cannot be approved.  0, or
 * -1 with the reason in why (a static string). */
int gw_res_resource(char out[WARD_SCOPE_MAX + 1], const char *srv,
		    const char *uri, const char **why) GW_WARN;
/* s, at most max bytes of it, with every byte but printable ASCII (and
 * '\' and '"') written \xHH, "..." after a cut: safe to print.  Returns
 * out.  A local stand-in until the shared escaper (common/text.c). */
const char *gw_esc(char *out, size_t outlen, const char *s, size_t max);

/* Parse the profile at path (with the one parser, profile.c).  0, or -1
 * with "file:line:col: error: ...\n  hint: ..." in err.  gw_profile_free() frees the strings. */
int gw_profile_load(const char *path, struct gw_profile *p, char *err,
		    size_t errlen) GW_WARN;
void gw_profile_free(struct gw_profile *p);

/* ---- gw_pins.c ---------------------------------------------------------- */

/* The approved hash of each tool, per profile, in $WARD_HOME/mcp/NAME.pins,
 * and the definitions seen but not approved in NAME.pending: one JSON
 * object a line,
 *   {"server":"fs","tool":"read_text_file","blake2b":"<64 hex>"}
 *   {"server":"fs","tool":"read_text_file","blake2b":"<64 hex>","definition":{...}}
 * (a prompt's with "prompt" in place of "tool"; in memory and on the
 * command line its name is "prompt:NAME", gw_pin_name), read strictly: a line that is not exactly that (an older ward's
 * "SERVER TOOL HEX" included) makes the whole file an error that names
 * the file and the line, and pins nothing. */
struct gw_pins {
	char path[1100], pending[1100];
	size_t n;
	struct gw_pin { char srv[GW_NAME_MAX]; char tool[GW_PIN_NAME_MAX + 1]; char hex[65]; } *v;
	uint64_t stamp;		/* of the file when read (ino, size, mtime) */
	char err[1600];		/* why the pins are unusable ("" they are not) */
	/* gw_pending_add's memory: "SERVER TOOL" -> the hash on the last
	 * pending line of that tool, as of pend_stamp, so that the file is
	 * read once a change, not once a tool. */
	json_t *pend_last;
	uint64_t pend_stamp;
};

/* 0, or -1 with the reason in ps->err (errno for the file's own errors). */
int gw_pins_open(struct gw_pins *ps, const char *home, const char *profile_name) GW_WARN;
/* Reread the pins if the file changed: 1 changed, 0 same, -1 error (in
 * ps->err; then no tool is pinned until the file is fixed). */
int gw_pins_reload(struct gw_pins *ps);
/* The approved hash of srv/tool, or NULL. */
const char *gw_pin_get(const struct gw_pins *ps, const char *srv, const char *tool);
/* Record a definition (a tool object whose name is tool) that waits for
 * approval: 1 recorded, 0 it was already the tool's latest, -1 error (in
 * err). */
int gw_pending_add(struct gw_pins *ps, const char *srv, const char *tool,
		   const char *hex, json_t *def, char *err, size_t errlen);
void gw_pins_free(struct gw_pins *ps);

/* The hash of a full tool definition: BLAKE2b-256 over a domain tag and
 * its canonical JSON (sorted keys, compact), as 64 hex digits. */
int gw_tool_hash(char hex[65], const char *canonical_json) GW_WARN;
/* The same for a pinned name (gw_pin_name_ok): a prompt's definition is
 * hashed under a tag of its own, so that no tool definition can stand for
 * a prompt's or the other way round. */
int gw_def_hash(char hex[65], const char *name, const char *canonical_json) GW_WARN;
/* A pinned name: a tool's name, or "prompt:" and a prompt's name (both in
 * the tool-name grammar, gw_tool_name_ok).  Returns the bare name (the
 * server's), or NULL; *prompt is 1 for a prompt. */
const char *gw_pin_name(const char *name, int *prompt);

/* What waits for approval: the last pending definition of each tool
 * (*v malloc'd, *n of them).  0, or -1 and err. */
int gw_pending_latest(const struct gw_pins *ps, struct gw_pin **v, size_t *n,
		      char *err, size_t errlen) GW_WARN;
/* Pin a definition (ward mcp approve): one line appended, synced. */
int gw_pin_write(const struct gw_pins *ps, const char *srv, const char *tool,
		 const char *hex) GW_WARN;

#endif
