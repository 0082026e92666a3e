/*
 * cmd_init.c -- 'ward init': the operator key, the core key and an empty
 * audit log in a new $WARD_HOME.  Not part of the verified core.
 */
#include <dirent.h>
#include <errno.h>
#include <pwd.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sodium.h>

#include "ward_cli.h"
#include "home.h"
#include "journal.h"
#include "priv.h"
#include "text.h"

static int
init_usage(FILE *f)
{
	fprintf(f,
		"usage: ward init [--home DIR]\n"
		"\n"
		"Create a ward home (--home, else $WARD_HOME, else /var/lib/ward).  Run it\n"
		"as root: it also creates the system accounts ward-core,\n"
		"ward-broker, ward-egress and ward-gateway when they are missing, and\n"
		"the daemons (and the gateway of 'ward mcp') run under them.  Run again on\n"
		"an existing home, it adds an account a newer ward needs.\n"
		"  operator/operator.key  the operator key (root 0600): it signs\n"
		"      grants (root capabilities) and every admin request; only the\n"
		"      ward CLI reads it\n"
		"  pub/operator.pub, pub/core.pub  the public keys (0644)\n"
		"  egress/egress.key, pub/egress.pub  ward-egress's X25519 keys:\n"
		"                      the core seals secret values to it\n"
		"  keys/core.key          the core's key (ward-core 0600): it signs\n"
		"      approvals and audit checkpoints\n"
		"  state/audit.log        an empty audit log (ward-core 0600)\n"
		"  run/admin/, run/core/, run/broker/  the daemons' sockets\n"
		"The broker's account can reach neither keys/ nor state/ nor the\n"
		"admin socket.  Refuses to touch a home that already has keys,\n"
		"except to add ward-egress's key pair to a home made without it.\n"
		"\n"
		"The home must be an absolute path without a symbolic link in it.\n"
		"ward init makes it (root 0711) when it does not exist; it never\n"
		"changes a folder that exists: one that is not root's and 0711, or\n"
		"that holds anything but ward's own folders, is refused (exit 4).\n");
	return f == stdout ? WX_OK : WX_USAGE;
}

/* The folders a home holds (server/home.h): an existing folder may
 * hold these (a ward init that stopped half-way), nothing else. */
static int
ward_name(const char *n)
{
	static const char *const names[] = { "operator", "pub", "keys", "state",
		"run", "work", "broker", "agents", "log", NULL };
	int i;

	for (i = 0; names[i] != NULL; i++)
		if (strcmp(n, names[i]) == 0)
			return 1;
	return 0;
}

/* May ward init make its home at path?  A path that does not exist is
 * made 0711 (below a parent without a link in it); one that exists must
 * already be what ward needs, since ward init changes no folder it did
 * not make.  0, or a message and WX_INPUT.  *made says we made it. */
static int
check_home(const char *path, int *made)
{
	char real[PATH_MAX], parent[PATH_MAX], b[4 * PATH_MAX], *sl;
	struct stat st;
	struct dirent *e;
	DIR *d;

	*made = 0;
	snprintf(parent, sizeof parent, "%s", path);
	sl = strrchr(parent, '/');
	if (sl == parent)
		sl[1] = '\0';
	else if (sl != NULL)
		*sl = '\0';
	if (realpath(parent, real) == NULL) {
		fprintf(stderr, "ward init: the folder above %s cannot be "
			"reached: %s\n  make it first (ward init makes only the "
			"home itself)\n", text_str(b, sizeof b, path),
			strerror(errno));
		return WX_INPUT;
	}
	if (strcmp(real, parent) != 0) {
		fprintf(stderr, "ward init: %s has a symbolic link in it (%s is "
			"%s); give the real path\n", text_str(b, sizeof b, path),
			parent, real);
		return WX_INPUT;
	}
	if (lstat(path, &st) != 0) {
		if (errno != ENOENT) {
			fprintf(stderr, "ward init: %s: %s\n",
				text_str(b, sizeof b, path), strerror(errno));
			return WX_INPUT;
		}
		if (mkdir(path, 0711) != 0) {
			fprintf(stderr, "ward init: cannot create %s: %s\n",
				text_str(b, sizeof b, path), strerror(errno));
			return WX_INPUT;
		}
		*made = 1;
		return 0;
	}
	if (S_ISLNK(st.st_mode)) {
		fprintf(stderr, "ward init: %s is a symbolic link; refusing to "
			"make a home through it\n  give the real path of a folder "
			"that does not exist yet\n", text_str(b, sizeof b, path));
		return WX_INPUT;
	}
	if (!S_ISDIR(st.st_mode)) {
		fprintf(stderr, "ward init: %s exists and is not a folder\n",
			text_str(b, sizeof b, path));
		return WX_INPUT;
	}
	if (st.st_uid != 0 || st.st_gid != 0 || (st.st_mode & 07777) != 0711) {
		fprintf(stderr, "ward init: %s exists with owner %u:%u and mode "
			"%04o; a ward home must be root's (0:0) and 0711, and ward "
			"init does not change a folder it did not make\n  give a "
			"path that does not exist (ward init makes it), or fix it "
			"yourself: chown 0:0 DIR && chmod 0711 DIR\n",
			text_str(b, sizeof b, path), (unsigned)st.st_uid,
			(unsigned)st.st_gid, (unsigned)(st.st_mode & 07777));
		return WX_INPUT;
	}
	d = opendir(path);
	if (d == NULL) {
		fprintf(stderr, "ward init: %s: %s\n", text_str(b, sizeof b, path),
			strerror(errno));
		return WX_INPUT;
	}
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0 ||
		    ward_name(e->d_name))
			continue;
		fprintf(stderr, "ward init: %s already holds '%s', which ward did "
			"not make; refusing to make a home among other files\n  "
			"give a path that does not exist (ward init makes it)\n",
			text_str(b, sizeof b, path),
			text_str(real, sizeof real, e->d_name));
		closedir(d);
		return WX_INPUT;
	}
	closedir(d);
	return 0;
}

/* ward-egress's X25519 keypair: the core seals secret values to the
 * public half (pub/egress.pub, root 0644); the secret half
 * (egress/egress.key) is ward-egress's own, 0600. */
static int
egress_keypair(const struct ward_home *h, char *err, size_t errlen)
{
	uint8_t pk[crypto_box_PUBLICKEYBYTES], sk[crypto_box_SECRETKEYBYTES];
	uid_t eu;
	gid_t eg;
	int rc = -1;

	if (wp_account(WP_EGRESS_ACCOUNT, &eu, &eg, err, errlen) != 0)
		return -1;
	crypto_box_keypair(pk, sk);
	if (wh_write_key(h->egress_key, sk, sizeof sk, err, errlen) == 0 &&
	    wh_write_key(h->egress_pub, pk, sizeof pk, err, errlen) == 0) {
		if (chown(h->egress_key, eu, eg) != 0 ||
		    chmod(h->egress_pub, 0644) != 0 ||
		    wh_sync_dir(h->egress) != 0 || wh_sync_dir(h->pub) != 0)
			snprintf(err, errlen, "%s: %s", h->egress_key,
				 strerror(errno));
		else
			rc = 0;
	}
	sodium_memzero(sk, sizeof sk);
	return rc;
}

int
cmd_init(int argc, char **argv)
{
	struct ward_home h;
	uint8_t op_pk[32], op_sk[64], core_pk[32], core_sk[64];
	uint8_t hdr[JR_FILE_HDR];
	static const struct option lo[] = {
		{ "home", required_argument, NULL, 'H' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *dir = NULL, *env = getenv("WARD_HOME");
	char err[512], b[1024];
	int c, fd, made, rc = 1;
	uid_t cu;
	gid_t cg;

	while ((c = cli_getopt(argc, argv, "init", "h", lo)) != -1) {
		switch (c) {
		case 'H':
			dir = optarg;
			break;
		case 'h':
			return init_usage(stdout);
		default:
			return WX_USAGE;
		}
	}
	if (optind < argc)
		return cli_extra_arg("init", argv[optind], "only --home DIR");
	if (dir != NULL && dir[0] != '/')
		return cli_usage_error("init", "--home '%s' is not an absolute "
				       "path; expected one such as /var/lib/ward",
				       dir);
	if (dir == NULL && env != NULL && env[0] != '/')
		return cli_usage_error("init", "WARD_HOME '%s' is not an absolute "
				       "path; expected one such as /var/lib/ward",
				       env);
	umask(077);
	if (sodium_init() < 0) {
		fprintf(stderr, "ward init: libsodium failed to initialise\n");
		return 1;
	}
	{
		/* /var/lib/ward/ is /var/lib/ward: no trailing slash. */
		char want[WH_PATH];
		size_t n;

		snprintf(want, sizeof want, "%s", dir != NULL ? dir :
			 env != NULL && env[0] != '\0' ? env : WH_DEFAULT_HOME);
		n = strlen(want);
		while (n > 1 && want[n - 1] == '/')
			want[--n] = '\0';
		if (wh_resolve(&h, want, err, sizeof err) != 0) {
			fprintf(stderr, "ward init: %s\n",
				text_str(b, sizeof b, err));
			return WX_USAGE;
		}
	}
	if (access(h.op_pub, F_OK) == 0 && geteuid() == 0 &&
	    getpwnam(WP_GATEWAY_ACCOUNT) == NULL) {
		/* A home made before ward-gateway ran under an account of its
		 * own ('ward mcp'): add the account alone. */
		if (wp_account_ensure(WP_GATEWAY_ACCOUNT, err, sizeof err) != 0) {
			fprintf(stderr, "ward init: %s\n", text_str(b, sizeof b, err));
			return 1;
		}
		printf("ward home:    %s (added the account %s, which 'ward mcp' "
		       "runs its gateway under)\n", h.home, WP_GATEWAY_ACCOUNT);
		if (access(h.egress_pub, F_OK) == 0)
			return 0;
	}
	if (access(h.op_pub, F_OK) == 0 && access(h.egress_pub, F_OK) != 0 &&
	    errno == ENOENT && geteuid() == 0) {
		/* A home made before ward-egress had a key: add it alone. */
		if (wp_account_ensure(WP_EGRESS_ACCOUNT, err, sizeof err) != 0 ||
		    wh_layout(&h, 0, err, sizeof err) != 0 ||
		    egress_keypair(&h, err, sizeof err) != 0) {
			fprintf(stderr, "ward init: %s\n", text_str(b, sizeof b, err));
			return 1;
		}
		printf("ward home:    %s (already initialised; added the "
		       "ward-egress key %s)\n", h.home, h.egress_pub);
		return 0;
	}
	if (access(h.op_pub, F_OK) == 0 || access(h.core_key, F_OK) == 0 ||
	    access(h.log, F_OK) == 0) {
		fprintf(stderr, "ward init: %s is already initialised (keys or "
			"audit log present); refusing to overwrite them\n",
			text_str(b, sizeof b, h.home));
		return WX_INPUT;
	}
	if (geteuid() != 0) {
		fprintf(stderr, "ward init: run it as root: ward's daemons run "
			"under system accounts of their own (%s, %s), which "
			"only root can create and switch to\n", WP_CORE_ACCOUNT,
			WP_BROKER_ACCOUNT);
		return 1;
	}
	if (wp_account_ensure(WP_CORE_ACCOUNT, err, sizeof err) != 0 ||
	    wp_account_ensure(WP_BROKER_ACCOUNT, err, sizeof err) != 0 ||
	    wp_account_ensure(WP_EGRESS_ACCOUNT, err, sizeof err) != 0 ||
	    wp_account_ensure(WP_GATEWAY_ACCOUNT, err, sizeof err) != 0 ||
	    wp_account(WP_CORE_ACCOUNT, &cu, &cg, err, sizeof err) != 0) {
		fprintf(stderr, "ward init: %s\n", err);
		return 1;
	}
	if ((rc = check_home(h.home, &made)) != 0)
		return rc;
	rc = 1;
	if (wh_layout(&h, 1, err, sizeof err) != 0) {
		fprintf(stderr, "ward init: %s\n", err);
		if (made)
			(void)rmdir(h.home);
		return 1;
	}
	crypto_sign_keypair(op_pk, op_sk);
	crypto_sign_keypair(core_pk, core_sk);
	if (wh_write_key(h.op_key, op_sk, 64, err, sizeof err) != 0 ||
	    wh_write_key(h.op_pub, op_pk, 32, err, sizeof err) != 0 ||
	    wh_write_key(h.core_key, core_sk, 64, err, sizeof err) != 0 ||
	    wh_write_key(h.core_pub, core_pk, 32, err, sizeof err) != 0) {
		fprintf(stderr, "ward init: %s\n", err);
		goto out;
	}
	if (egress_keypair(&h, err, sizeof err) != 0) {
		fprintf(stderr, "ward init: %s\n", err);
		goto out;
	}
	if (chmod(h.op_pub, 0644) != 0 || chmod(h.core_pub, 0644) != 0 ||
	    chown(h.core_key, cu, cg) != 0) {
		fprintf(stderr, "ward init: cannot set the owner and mode of the "
			"keys: %s\n", strerror(errno));
		goto out;
	}
	memcpy(hdr, JR_MAGIC, 8);
	memcpy(hdr + 8, core_pk, 32);
	fd = open(h.log, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0 || fchown(fd, cu, cg) != 0 ||
	    write(fd, hdr, sizeof hdr) != (ssize_t)sizeof hdr || fsync(fd) != 0) {
		fprintf(stderr, "ward init: %s: %s\n", h.log, strerror(errno));
		if (fd >= 0)
			close(fd);
		goto out;
	}
	close(fd);
	if (wh_sync_dir(h.keys) != 0 || wh_sync_dir(h.state) != 0 ||
	    wh_sync_dir(h.op_dir) != 0 || wh_sync_dir(h.pub) != 0 ||
	    wh_sync_dir(h.home) != 0) {
		fprintf(stderr, "ward init: cannot sync %s: %s\n", h.home,
			strerror(errno));
		goto out;
	}
	{
		char hex[65];

		sodium_bin2hex(hex, sizeof hex, op_pk, 32);
		printf("ward home:    %s\n", h.home);
		printf("operator key: %s\n", hex);
		sodium_bin2hex(hex, sizeof hex, core_pk, 32);
		printf("core key:     %s\n", hex);
		printf("next: 'ward run' starts ward-core (as %s) and ward-broker "
		       "(as %s) when they are not running\n", WP_CORE_ACCOUNT,
		       WP_BROKER_ACCOUNT);
	}
	rc = 0;
out:
	sodium_memzero(op_sk, sizeof op_sk);
	sodium_memzero(core_sk, sizeof core_sk);
	return rc;
}
