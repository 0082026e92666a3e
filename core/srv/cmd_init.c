/*
 * cmd_init.c -- 'ward init': the operator key, the core key and an empty
 * audit log in a new $WARD_HOME.  Not part of the verified core.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sodium.h>

#include "ward_cli.h"
#include "home.h"
#include "journal.h"
#include "priv.h"

static int
init_usage(FILE *f)
{
	fprintf(f,
		"usage: ward init [--home DIR]\n"
		"\n"
		"Create a ward home (--home, else $WARD_HOME, else /var/lib/ward).  Run it\n"
		"as root: it also creates the system accounts ward-core and\n"
		"ward-broker when they are missing, and the daemons run under them.\n"
		"  operator/operator.key  the operator key (root 0600): it signs\n"
		"      grants (root capabilities) and every admin request; only the\n"
		"      ward CLI reads it\n"
		"  pub/operator.pub, pub/core.pub  the public keys (0644)\n"
		"  keys/core.key          the core's key (ward-core 0600): it signs\n"
		"      approvals and audit checkpoints\n"
		"  state/audit.log        an empty audit log (ward-core 0600)\n"
		"  run/admin/, run/core/, run/broker/  the daemons' sockets\n"
		"The broker's account can reach neither keys/ nor state/ nor the\n"
		"admin socket.  Refuses to touch a home that already has keys.\n");
	return f == stdout ? 0 : 2;
}

static int
mkdir_700(const char *p)
{
	if (mkdir(p, 0700) != 0 && errno != EEXIST) {
		fprintf(stderr, "ward init: cannot create %s: %s\n", p,
			strerror(errno));
		return -1;
	}
	if (chmod(p, 0700) != 0) {
		fprintf(stderr, "ward init: chmod %s: %s\n", p, strerror(errno));
		return -1;
	}
	return 0;
}

int
cmd_init(int argc, char **argv)
{
	struct ward_home h;
	uint8_t op_pk[32], op_sk[64], core_pk[32], core_sk[64];
	uint8_t hdr[JR_FILE_HDR];
	const char *dir = NULL;
	char err[512];
	int i, fd, rc = 1;
	uid_t cu;
	gid_t cg;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--home") == 0 && i + 1 < argc)
			dir = argv[++i];
		else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return init_usage(stdout);
		else
			return init_usage(stderr);
	}
	umask(077);
	if (sodium_init() < 0) {
		fprintf(stderr, "ward init: libsodium failed to initialise\n");
		return 1;
	}
	if (wh_resolve(&h, dir, err, sizeof err) != 0) {
		fprintf(stderr, "ward init: %s\n", err);
		return 1;
	}
	if (access(h.op_pub, F_OK) == 0 || access(h.core_key, F_OK) == 0 ||
	    access(h.log, F_OK) == 0) {
		fprintf(stderr, "ward init: %s is already initialised (keys or "
			"audit log present); refusing to overwrite them\n", h.home);
		return 1;
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
	    wp_account(WP_CORE_ACCOUNT, &cu, &cg, err, sizeof err) != 0) {
		fprintf(stderr, "ward init: %s\n", err);
		return 1;
	}
	if (mkdir_700(h.home) || wh_layout(&h, 1, err, sizeof err) != 0) {
		fprintf(stderr, "ward init: %s\n", err);
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
