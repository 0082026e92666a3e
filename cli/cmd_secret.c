/*
 * cmd_secret.c -- ward secret set|list|rm: the operator's side of the
 * core's vault (server/vault.h, DESIGN.md §4b).  The value is read from
 * standard input (never from argv, where every process can read it), sealed
 * here to the core's key, and sent as a signed admin request; nothing here
 * prints, logs or keeps it.  Not part of the verified core.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include <sodium.h>

#include "ward_cli.h"
#include "cmd_ctl.h"
#include "home.h"
#include "text.h"
#include "wb.h"

#define SECRET_MAX 1024u

static int
secret_usage(FILE *f)
{
	fprintf(f,
		"usage: ward secret [--home DIR] set NAME   (the value on standard input)\n"
		"       ward secret [--home DIR] list\n"
		"       ward secret [--home DIR] rm NAME\n"
		"\n"
		"The vault is ward-core's: values are kept encrypted (at rest and in\n"
		"memory) under a key only ward-core's account can read, are never\n"
		"logged, and leave the core only sealed to ward-egress's key, for one\n"
		"counted and logged approval of secret.use NAME@HOST:PORT/HEADER that\n"
		"a profile's 'secret' line grants.  An agent sees only a placeholder.\n"
		"\n"
		"  set NAME   store or replace NAME (1-64 of A-Z a-z 0-9 _); the value\n"
		"             (1-%u bytes) is read from standard input, one trailing\n"
		"             newline dropped; on a terminal it is not echoed\n"
		"  list       the names held, one a line (never the values)\n"
		"  rm NAME    forget NAME\n"
		"Each is a request signed with the operator key; ward-core is started\n"
		"if it is not running, and logs the name (never the value).\n"
		"\n"
		"exit status: 0 done, 2 usage, 3 no ward home, 4 bad name or value,\n"
		"or no such secret (rm), 5 ward-core unreachable, 6 refused by it.\n",
		SECRET_MAX);
	return f == stdout ? WX_OK : WX_USAGE;
}

static int
name_ok(const char *n)
{
	return text_secret_name_ok(n, strlen(n));
}

/* The value from standard input: 0 with *len, or -1 with a message. */
static int
read_value(uint8_t *v, size_t cap, size_t *len)
{
	struct termios old, quiet;
	int tty = isatty(0), echo_off = 0;
	ssize_t n;

	*len = 0;
	if (tty) {
		fprintf(stderr, "value (not echoed, end with Enter): ");
		if (tcgetattr(0, &old) == 0) {
			quiet = old;
			quiet.c_lflag &= ~(tcflag_t)ECHO;
			echo_off = tcsetattr(0, TCSAFLUSH, &quiet) == 0;
		}
	}
	for (;;) {
		n = read(0, v + *len, cap + 1 - *len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		*len += (size_t)n;
		if (tty && memchr(v, '\n', *len) != NULL)
			break;
		if (*len == cap + 1)
			break;
	}
	if (echo_off) {
		(void)tcsetattr(0, TCSAFLUSH, &old);
		fprintf(stderr, "\n");
	}
	if (n < 0) {
		fprintf(stderr, "ward secret: cannot read the value: %s\n",
			strerror(errno));
		return -1;
	}
	if (tty) {
		uint8_t *nl = memchr(v, '\n', *len);

		if (nl != NULL)
			*len = (size_t)(nl - v) + 1;
	}
	if (*len > 0 && v[*len - 1] == '\n')
		(*len)--;
	if (*len > 0 && v[*len - 1] == '\r')
		(*len)--;
	for (size_t i = 0; i < *len && i <= cap; i++)
		if (v[i] < 0x20 || v[i] == 0x7f) {
			fprintf(stderr, "ward secret: byte %zu of the value is a "
				"control byte (0x%02x); a secret goes in an HTTP "
				"header, where ward-egress refuses them\n  nothing "
				"was stored\n", i, v[i]);
			return -1;
		}
	if (*len == 0 || *len > cap) {
		fprintf(stderr, "ward secret: the value must be 1 to %u bytes "
			"on standard input (got %s)\n  nothing was stored\n",
			SECRET_MAX, *len == 0 ? "none" : "more");
		return -1;
	}
	return 0;
}

static int
refused(const char *what, const struct wb_reply *r)
{
	char db[1024];

	fprintf(stderr, "ward secret %s: the core refused: %s (%s, audit #%llu)\n",
		what, text_str(db, sizeof db, r->detail),
		cc_reason_name(r->reason), (unsigned long long)r->audit_pos);
	return WX_REFUSED;
}

int
cmd_secret(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "home", required_argument, NULL, 'H' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct ward_home h;
	struct wb_reply r;
	uint8_t sk[64], core_pk[32], value[SECRET_MAX + 1];
	char err[512], names[64][65];
	const char *dir = NULL, *verb, *name = NULL;
	size_t vlen = 0;
	uint32_t n, k;
	int c, rc = WX_UNAVAILABLE;

	while ((c = cli_getopt(argc, argv, "secret", "+h", lo)) != -1) {
		switch (c) {
		case 'H':
			dir = optarg;
			break;
		case 'h':
			return secret_usage(stdout);
		default:
			return WX_USAGE;
		}
	}
	if (optind >= argc)
		return cli_usage_error("secret", "no verb given; expected set, "
				       "list or rm");
	verb = argv[optind++];
	if (strcmp(verb, "set") != 0 && strcmp(verb, "list") != 0 &&
	    strcmp(verb, "rm") != 0)
		return cli_usage_error("secret", "unknown verb '%s'; expected set, "
				       "list or rm", verb);
	if (strcmp(verb, "list") != 0) {
		if (optind >= argc)
			return cli_usage_error("secret", "%s needs a NAME", verb);
		name = argv[optind++];
		if (!name_ok(name))
			return cli_usage_error("secret", "'%s' is not a secret name; "
					       "a name is 1 to 64 of A-Z a-z 0-9 _",
					       name);
	}
	if (optind < argc)
		return cli_extra_arg("secret", argv[optind],
				     name != NULL ? "one NAME" : "nothing after list");
	if (cli_home_open(&h, dir, "secret") != 0)
		return WX_HOME;
	if (wh_read_key(h.op_key, sk, 64, err, sizeof err) != 0 ||
	    wh_read_key(h.core_pub, core_pk, 32, err, sizeof err) != 0) {
		fprintf(stderr, "ward secret: %s\n", err);
		return WX_HOME;
	}
	(void)sodium_mlock(value, sizeof value);
	if (strcmp(verb, "set") == 0 && read_value(value, SECRET_MAX, &vlen) != 0) {
		rc = WX_INPUT;
		goto out;
	}
	if (cli_start_core(&h, sk) != 0)
		goto out;
	if (strcmp(verb, "set") == 0) {
		if (cc_admin_secret_set(h.admin_url, sk, core_pk, name, value, vlen,
					&r) != 0) {
			fprintf(stderr, "ward secret set: ward-core does not answer "
				"on %s\n  nothing was stored\n", h.admin_url);
			goto out;
		}
		if (r.reason != 0) {
			rc = refused("set", &r);
			goto out;
		}
		printf("secret %s stored (audit #%llu)\n", name,
		       (unsigned long long)r.audit_pos);
	} else if (strcmp(verb, "rm") == 0) {
		if (cc_admin_secret_rm(h.admin_url, sk, name, &r) != 0) {
			fprintf(stderr, "ward secret rm: ward-core does not answer "
				"on %s\n  nothing was removed\n", h.admin_url);
			goto out;
		}
		if (r.reason != 0) {
			rc = strcmp(cc_reason_name(r.reason), "secret_unknown") == 0 ?
			     (refused("rm", &r), WX_INPUT) : refused("rm", &r);
			goto out;
		}
		printf("secret %s removed (audit #%llu)\n", name,
		       (unsigned long long)r.audit_pos);
	} else {
		if (cc_admin_secret_list(h.admin_url, sk, names, &n, &r) != 0) {
			fprintf(stderr, "ward secret list: ward-core does not answer "
				"on %s (or its answer is malformed)\n", h.admin_url);
			goto out;
		}
		if (r.reason != 0) {
			rc = refused("list", &r);
			goto out;
		}
		for (k = 0; k < n; k++)	/* checked A-Z a-z 0-9 _ by cc_ */
			printf("%s\n", names[k]);
	}
	rc = WX_OK;
out:
	sodium_munlock(value, sizeof value);
	sodium_memzero(sk, sizeof sk);
	return rc;
}
