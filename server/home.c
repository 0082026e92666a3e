/*
 * home.c -- $WARD_HOME paths, permissions and key files.  See home.h.
 */
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sodium.h>

#include "home.h"
#include "priv.h"
#include "text.h"

static int
join(char *out, const char *a, const char *b)
{
	int n = snprintf(out, WH_PATH, "%s/%s", a, b);

	return n < 0 || n >= WH_PATH ? -1 : 0;
}

int
wh_resolve(struct ward_home *h, const char *dir, char *err, size_t errlen)
{
	const char *env = getenv("WARD_HOME");
	int n;

	memset(h, 0, sizeof *h);
	/* Not ~/.ward: the daemons run under accounts of their own, and a
	 * home folder is seldom open to other accounts (root's is 0700). */
	if (dir != NULL && dir[0] != '\0')
		n = snprintf(h->home, WH_PATH, "%s", dir);
	else if (env != NULL && env[0] != '\0')
		n = snprintf(h->home, WH_PATH, "%s", env);
	else
		n = snprintf(h->home, WH_PATH, "%s", WH_DEFAULT_HOME);
	if (n < 0 || n >= WH_PATH)
		return text_err(err, errlen, "ward home path too long");
	if (join(h->keys, h->home, "keys") || join(h->state, h->home, "state") ||
	    join(h->run, h->home, "run") || join(h->op_dir, h->home, "operator") ||
	    join(h->pub, h->home, "pub") || join(h->work, h->home, "work") ||
	    join(h->bstate, h->home, "broker") ||
	    join(h->egress, h->home, "egress") ||
	    join(h->egress_key, h->egress, "egress.key") ||
	    join(h->egress_pub, h->pub, "egress.pub") ||
	    join(h->run_admin, h->run, "admin") || join(h->run_core, h->run, "core") ||
	    join(h->run_broker, h->run, "broker") ||
	    join(h->ctl, h->run_broker, "broker.ctl") ||
	    join(h->lock, h->run_admin, "lock") ||
	    join(h->broker_lock, h->run_broker, "lock") ||
	    join(h->clean_lock, h->run, "clean.lock") ||
	    join(h->op_pub, h->pub, "operator.pub") ||
	    join(h->op_key, h->op_dir, "operator.key") ||
	    join(h->core_pub, h->pub, "core.pub") ||
	    join(h->core_key, h->keys, "core.key") ||
	    join(h->log, h->state, "audit.log") ||
	    join(h->ckpt, h->state, "audit.ckpt"))
		return text_err(err, errlen, "ward home path too long");
	/* nanomsg ipc addresses live in sun_path (108 bytes). */
	if (strlen(h->run_admin) + 12 > 100 || strlen(h->ctl) > 100)
		return text_err(err, errlen, "ward home path %s too long for a unix "
			    "socket (at most about 80 bytes)", h->home);
	snprintf(h->admin_url, WH_PATH, "ipc://%.100s/admin.sock", h->run_admin);
	snprintf(h->broker_url, WH_PATH, "ipc://%.100s/broker.sock", h->run_core);
	return 0;
}

/* What a path must be.  OWN: this user's and nobody else may read it
 * (0700/0600); PUB: root's or this user's, writable by nobody else. */
enum { OWN, PUB };

static int
check_one(const char *path, int dir, int must_exist, int rule, char *err,
	  size_t errlen)
{
	struct stat st;

	if (lstat(path, &st) != 0) {
		if (errno == ENOENT && !must_exist)
			return 0;
		return text_err(err, errlen, "%s: %s (run 'ward init' to create the "
			    "ward home)", path, strerror(errno));
	}
	if (dir ? !S_ISDIR(st.st_mode) : !S_ISREG(st.st_mode))
		return text_err(err, errlen, "%s: not a %s (refusing to start)", path,
			    dir ? "folder" : "regular file");
	if (rule == PUB) {
		if (st.st_uid != 0 && st.st_uid != geteuid())
			return text_err(err, errlen, "%s: owned by uid %u, neither root nor "
				    "this user (uid %u); refusing to trust it", path,
				    (unsigned)st.st_uid, (unsigned)geteuid());
		if ((st.st_mode & 022) != 0)
			return text_err(err, errlen, "%s: permissions %04o let others "
				    "write it; fix with 'chmod go-w %s'", path,
				    (unsigned)(st.st_mode & 07777), path);
		return 0;
	}
	if (st.st_uid != geteuid())
		return text_err(err, errlen, "%s: owned by uid %u, not by this user "
			    "(uid %u); refusing to start (run 'ward init' as root "
			    "to repair the layout)", path,
			    (unsigned)st.st_uid, (unsigned)geteuid());
	if ((st.st_mode & 077) != 0)
		return text_err(err, errlen, "%s: permissions %04o are too open: "
			    "nobody but its owner may read it; fix with "
			    "'chmod %s %s'", path, (unsigned)(st.st_mode & 07777),
			    dir ? "700" : "600", path);
	return 0;
}

int
wh_check_perms(const struct ward_home *h, int need_secret, char *err,
	       size_t errlen)
{
	if (check_one(h->home, 1, 1, PUB, err, errlen) ||
	    check_one(h->pub, 1, 1, PUB, err, errlen) ||
	    check_one(h->run, 1, 1, PUB, err, errlen) ||
	    check_one(h->keys, 1, 1, OWN, err, errlen) ||
	    check_one(h->state, 1, 1, OWN, err, errlen) ||
	    check_one(h->run_admin, 1, 1, OWN, err, errlen) ||
	    check_one(h->op_pub, 0, 1, PUB, err, errlen) ||
	    check_one(h->core_pub, 0, 1, PUB, err, errlen) ||
	    check_one(h->core_key, 0, need_secret, OWN, err, errlen) ||
	    check_one(h->log, 0, 0, OWN, err, errlen) ||
	    check_one(h->ckpt, 0, 0, OWN, err, errlen))
		return -1;
	return 0;
}

/* One folder of the layout, made if missing with its owner and mode
 * set through a descriptor opened without following links, so that
 * nothing planted by an account below root is ever chowned.  An existing
 * folder is repaired only when repair is set ('ward init'); a daemon
 * refuses one that is not as it must be, and says how to fix it. */
static int
fix_dir(const char *path, mode_t mode, uid_t uid, gid_t gid, int repair,
	char *err, size_t errlen)
{
	struct stat st;
	int fd, made;

	made = mkdir(path, mode & 0777) == 0;
	if (!made && errno != EEXIST)
		return text_err(err, errlen, "cannot create %s: %s", path, strerror(errno));
	fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return text_err(err, errlen, "%s: not a plain folder (%s); refusing to "
			    "use it", path, strerror(errno));
	if (fstat(fd, &st) != 0) {
		close(fd);
		return text_err(err, errlen, "%s: %s", path, strerror(errno));
	}
	if (!made && !repair &&
	    (st.st_uid != uid || st.st_gid != gid || (st.st_mode & 07777) != mode)) {
		close(fd);
		return text_err(err, errlen, "%s: owner %u:%u mode %04o, but ward needs "
			    "%u:%u %04o; refusing to start (fix with 'chown %u:%u "
			    "%s && chmod %04o %s')", path, (unsigned)st.st_uid,
			    (unsigned)st.st_gid, (unsigned)(st.st_mode & 07777),
			    (unsigned)uid, (unsigned)gid, (unsigned)mode,
			    (unsigned)uid, (unsigned)gid, path, (unsigned)mode, path);
	}
	if (fchown(fd, uid, gid) != 0 || fchmod(fd, mode) != 0) {
		text_err(err, errlen, "cannot set the owner and mode of %s: %s", path,
		     strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

/* The daemons' accounts reach the home through every folder above it:
 * each must let others through (o+x). */
static int
reachable(const char *home, char *err, size_t errlen)
{
	char p[PATH_MAX], *slash;
	struct stat st;

	if (realpath(home, p) == NULL) {
		if (errno != ENOENT)
			return text_err(err, errlen, "%s: %s", home, strerror(errno));
		snprintf(p, sizeof p, "%s", home);
	}
	while ((slash = strrchr(p, '/')) != NULL) {
		if (slash == p)
			slash[1] = '\0';
		else
			*slash = '\0';
		if (stat(p, &st) == 0 && (st.st_mode & 0001) == 0)
			return text_err(err, errlen, "%s: mode %04o lets other accounts "
				    "not through, so ward-core and ward-broker cannot "
				    "reach the ward home %s below it; fix with 'chmod "
				    "o+x %s' or put the home elsewhere", p,
				    (unsigned)(st.st_mode & 07777), home, p);
		if (slash == p)
			break;
	}
	return 0;
}

int
wh_layout(const struct ward_home *h, int repair, char *err, size_t errlen)
{
	char old[WH_PATH + 32];
	uid_t cu, bu, eu;
	gid_t cg, bg, eg;

	if (geteuid() != 0)
		return text_err(err, errlen, "preparing %s needs root (the daemons "
			    "switch to their own accounts)", h->home);
	snprintf(old, sizeof old, "%.*s/operator.key", WH_PATH - 20, h->keys);
	if (access(old, F_OK) == 0)
		return text_err(err, errlen, "%s has the layout of an older ward (the "
			    "operator key in keys/, where ward-core's account "
			    "reads); make a new home with 'ward init'", h->home);
	if (wp_account(WP_CORE_ACCOUNT, &cu, &cg, err, errlen) != 0 ||
	    wp_account(WP_BROKER_ACCOUNT, &bu, &bg, err, errlen) != 0 ||
	    wp_account(WP_EGRESS_ACCOUNT, &eu, &eg, err, errlen) != 0)
		return -1;
	if (reachable(h->home, err, errlen) != 0)
		return -1;
	if (fix_dir(h->home, 0711, 0, 0, repair, err, errlen) ||
	    fix_dir(h->op_dir, 0700, 0, 0, repair, err, errlen) ||
	    fix_dir(h->pub, 0755, 0, 0, repair, err, errlen) ||
	    fix_dir(h->keys, 0700, cu, cg, repair, err, errlen) ||
	    fix_dir(h->state, 0700, cu, cg, repair, err, errlen) ||
	    fix_dir(h->run, 0711, 0, 0, repair, err, errlen) ||
	    fix_dir(h->run_admin, 0700, cu, cg, repair, err, errlen) ||
	    fix_dir(h->run_core, 02750, cu, bg, repair, err, errlen) ||
	    fix_dir(h->run_broker, 0700, bu, bg, repair, err, errlen) ||
	    fix_dir(h->work, 0711, 0, 0, repair, err, errlen) ||
	    fix_dir(h->bstate, 0700, bu, bg, repair, err, errlen) ||
	    fix_dir(h->egress, 0700, eu, eg, repair, err, errlen))
		return -1;
	return 0;
}

int
wh_read_key(const char *path, uint8_t *out, size_t n, char *err,
	    size_t errlen)
{
	char text[2 * 64 + 4];
	size_t bin = 0;
	ssize_t got;
	int fd, rc = -1;

	if (n > 64)
		return text_err(err, errlen, "%s: key too long", path);
	if (check_one(path, 0, 1, n == 32 ? PUB : OWN, err, errlen) != 0)
		return -1;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return text_err(err, errlen, "%s: %s", path, strerror(errno));
	got = read(fd, text, sizeof text - 1);
	close(fd);
	if (got < 0) {
		text_err(err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	text[got] = '\0';
	if (got > 0 && text[got - 1] == '\n')
		text[--got] = '\0';
	if ((size_t)got != 2 * n ||
	    sodium_hex2bin(out, n, text, (size_t)got, NULL, &bin, NULL) != 0 ||
	    bin != n) {
		text_err(err, errlen, "%s: not a key of %zu bytes in hex", path, n);
		goto out;
	}
	rc = 0;
out:
	sodium_memzero(text, sizeof text);
	return rc;
}

int
wh_write_key(const char *path, const uint8_t *data, size_t n, char *err,
	     size_t errlen)
{
	char text[2 * 64 + 2];
	size_t len;
	int fd, rc = -1;

	if (n > 64)
		return text_err(err, errlen, "%s: key too long", path);
	sodium_bin2hex(text, sizeof text, data, n);
	len = strlen(text);
	text[len++] = '\n';
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		text_err(err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (write(fd, text, len) != (ssize_t)len || fsync(fd) != 0) {
		text_err(err, errlen, "%s: %s", path, strerror(errno));
		close(fd);
		goto out;
	}
	close(fd);
	rc = 0;
out:
	sodium_memzero(text, sizeof text);
	return rc;
}

int
wh_sync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc;

	if (fd < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc == 0 ? 0 : -1;
}
