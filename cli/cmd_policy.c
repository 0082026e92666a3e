/*
 * cmd_policy.c -- ward policy check FILE...: check agent and gateway
 * profiles with the validators ward run and ward mcp use; file:line:column
 * errors with a hint.  Not part of the verified core.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <jansson.h>
#include <sodium.h>

#include "ward_cli.h"
#include "approve.h"
#include "codec.h"
#include "home.h"
#include "journal.h"
#include "names.h"
#include "record.h"
#include "priv.h"
#include "wb.h"
#include "outq.h"
#include "fdio.h"
#include "sandbox.h"
#include "text.h"
#include "cmd_ctl.h"
#include "gw.h"


/* ---- ward policy ------------------------------------------------------------- */

static int
policy_usage(FILE *f)
{
	fprintf(f,
		"usage: ward policy check FILE...\n"
		"\n"
		"Check profiles with the validator ward run and ward mcp use: agent\n"
		"profiles (docs/profiles.md) and gateway profiles, the ones with\n"
		"server lines (gateway/README.md).  Each error is printed as\n"
		"file:line:column: error: what, with a hint on the next line.  A\n"
		"profile that checks prints what it would grant.\n"
		"\n"
		"exit status: 0 every file checks, 2 usage, 4 a file does not,\n"
		"8 a file cannot be read.\n");
	return f == stdout ? WX_OK : WX_USAGE;
}

/* A gateway profile, through ward mcp's own loader. */
/* What a gateway profile's capability line is, by its kind. */
static const char *
line_of_kind(unsigned kind)
{
	switch (kind) {
	case WARD_KIND_NET:
		return "allow net";
	case WARD_KIND_SECRET:
		return "secret";
	case WARD_KIND_RESOURCE:
		return "allow resource.read";
	case WARD_KIND_PROMPT:
		return "allow prompt.get";
	default:
		return "allow tool.invoke";
	}
}

static int
check_gateway(const char *path)
{
	struct gw_profile *g = calloc(1, sizeof *g);
	char err[1024], b1[256], b2[256];
	int s, i;

	if (g == NULL)
		return WX_FAILED;
	if (gw_profile_load(path, g, err, sizeof err) != 0) {
		fprintf(stderr, "%s\n", err);
		free(g);
		return WX_INPUT;
	}
	printf("%s: ok: gateway %s, %d server%s\n", text_str(b1, sizeof b1, path),
	       g->name, g->nservers, g->nservers == 1 ? "" : "s");
	for (s = 0; s < g->nservers; s++) {
		const struct gw_server *v = &g->srv[s];

		if (v->url[0] != '\0')
			printf("  server %s is remote: %s, through ward-egress\n",
			       v->name, text_str(b2, sizeof b2, v->url));
		else
			printf("  server %s runs %s%s\n", v->name,
			       text_str(b2, sizeof b2, v->argv[0]),
			       v->argc > 1 ? " ..." : "");
		/* One capability a line: its op, then its scope. */
		for (i = 0; i < v->nallow; i++)
			printf("    %-19s %-28s uses %u, expires %llus\n",
			       line_of_kind(v->allow[i].kind),
			       text_str(b2, sizeof b2, v->allow[i].scope),
			       v->allow[i].uses,
			       (unsigned long long)v->allow[i].expires_s);
	}
	gw_profile_free(g);
	free(g);
	return WX_OK;
}

int
cmd_policy(int argc, char **argv)
{
	struct pf_profile *p;
	char err[1024];
	int i, j, rc = WX_OK;

	static const struct option lo[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int c;

	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 ||
			  strcmp(argv[1], "-h") == 0))
		return policy_usage(stdout);
	if (argc < 2)
		return cli_usage_error("policy", "no subcommand; expected check "
				       "FILE...");
	if (strcmp(argv[1], "check") != 0)
		return cli_usage_error("policy", "unknown subcommand '%s'; "
				       "expected check FILE...", argv[1]);
	while ((c = cli_getopt(argc - 1, argv + 1, "policy", "h", lo)) != -1) {
		if (c == 'h')
			return policy_usage(stdout);
		return WX_USAGE;
	}
	if (optind >= argc - 1)
		return cli_usage_error("policy", "no file given; expected check "
				       "FILE...");
	p = malloc(sizeof *p);
	if (p == NULL)
		return WX_FAILED;
	for (i = 1 + optind; i < argc; i++) {
		if (access(argv[i], R_OK) != 0) {
			fprintf(stderr, "ward policy: cannot read %s: %s\n",
				text_str(err, sizeof err, argv[i]), strerror(errno));
			if (rc == WX_OK)
				rc = WX_UNREADABLE;
			continue;
		}
		if (pf_is_gateway(argv[i])) {
			int g = check_gateway(argv[i]);

			if (g != WX_OK && rc == WX_OK)
				rc = g;
			continue;
		}
		if (pf_load(argv[i], p, err, sizeof err) != 0) {
			fprintf(stderr, "%s\n", err);
			rc = WX_INPUT;
			continue;
		}
		printf("%s: ok: name %s, runs", argv[i], p->name);
		for (j = 0; j < p->argc; j++)
			printf(" %s", p->argv[j]);
		printf("\n");
		for (j = 0; j < p->ncaps; j++) {
			printf("  %-5s %-12s %-24s uses %u, expires %llus%s",
			       p->caps[j].kind == WARD_KIND_SECRET ? "grant" :
			       "allow", p->caps[j].kind == WARD_KIND_SECRET ?
			       "secret.use" : p->caps[j].tool, p->caps[j].scope,
			       p->caps[j].uses,
			       (unsigned long long)p->caps[j].expires_s,
			       p->caps[j].delegate ? ", delegable" : "");
			if (p->caps[j].ask_s != 0)
				printf(", ask: the operator answers each use "
				       "within %us", p->caps[j].ask_s);
			printf("\n");
		}
		if (p->llm.set)
			printf("  llm.complete: %s %s model %s key %s, max-tokens "
			       "%u a call, budget %llu tokens a session\n",
			       p->llm.api, p->llm.dest, p->llm.model, p->llm.key,
			       p->llm.max_tokens,
			       (unsigned long long)p->llm.budget);
		printf("  limits: memory %lluM, tmp %lluM, pids %u, cpu %u%%, "
		       "time %llus\n", (unsigned long long)(p->mem_bytes >> 20),
		       (unsigned long long)(p->tmp_bytes >> 20), p->pids, p->cpu,
		       (unsigned long long)(p->time_ms / 1000));
	}
	free(p);
	return rc;
}

