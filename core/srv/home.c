/*
 * home.c -- $WARD_HOME paths, permissions and key files.  See home.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sodium.h>

#include "home.h"

static int
fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

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
	const char *user = getenv("HOME");
	int n;

	memset(h, 0, sizeof *h);
	if (dir != NULL && dir[0] != '\0')
		n = snprintf(h->home, WH_PATH, "%s", dir);
	else if (env != NULL && env[0] != '\0')
		n = snprintf(h->home, WH_PATH, "%s", env);
	else if (user != NULL && user[0] != '\0')
		n = snprintf(h->home, WH_PATH, "%s/.ward", user);
	else
		return fail(err, errlen, "no ward home: set WARD_HOME or pass --home DIR");
	if (n < 0 || n >= WH_PATH)
		return fail(err, errlen, "ward home path too long");
	/* nanomsg ipc addresses live in sun_path (108 bytes). */
	if (join(h->keys, h->home, "keys") || join(h->state, h->home, "state") ||
	    join(h->run, h->home, "run") ||
	    join(h->op_pub, h->keys, "operator.pub") ||
	    join(h->op_key, h->keys, "operator.key") ||
	    join(h->core_pub, h->keys, "core.pub") ||
	    join(h->core_key, h->keys, "core.key") ||
	    join(h->log, h->state, "audit.log") ||
	    join(h->ckpt, h->state, "audit.ckpt"))
		return fail(err, errlen, "ward home path too long");
	n = snprintf(h->admin_url, WH_PATH, "ipc://%s/admin.sock", h->run);
	if (n < 0 || strlen(h->run) + 12 > 100)
		return fail(err, errlen, "ward home path %s too long for a unix "
			    "socket (at most about 85 bytes)", h->home);
	n = snprintf(h->broker_url, WH_PATH, "ipc://%s/broker.sock", h->run);
	(void)n;
	return 0;
}

static int
check_one(const char *path, int dir, int must_exist, char *err, size_t errlen)
{
	struct stat st;

	if (lstat(path, &st) != 0) {
		if (errno == ENOENT && !must_exist)
			return 0;
		return fail(err, errlen, "%s: %s (run 'ward init' to create the "
			    "ward home)", path, strerror(errno));
	}
	if (dir ? !S_ISDIR(st.st_mode) : !S_ISREG(st.st_mode))
		return fail(err, errlen, "%s: not a %s (refusing to start)", path,
			    dir ? "folder" : "regular file");
	if (st.st_uid != geteuid())
		return fail(err, errlen, "%s: owned by uid %u, not by this user "
			    "(uid %u); refusing to start", path,
			    (unsigned)st.st_uid, (unsigned)geteuid());
	if ((st.st_mode & 077) != 0)
		return fail(err, errlen, "%s: permissions %04o are too open: "
			    "nobody but its owner may read it; fix with "
			    "'chmod %s %s'", path, (unsigned)(st.st_mode & 07777),
			    dir ? "700" : "600", path);
	return 0;
}

int
wh_check_perms(const struct ward_home *h, int need_secret, char *err,
	       size_t errlen)
{
	if (check_one(h->home, 1, 1, err, errlen) ||
	    check_one(h->keys, 1, 1, err, errlen) ||
	    check_one(h->state, 1, 1, err, errlen) ||
	    check_one(h->run, 1, 1, err, errlen) ||
	    check_one(h->op_pub, 0, 1, err, errlen) ||
	    check_one(h->op_key, 0, 0, err, errlen) ||
	    check_one(h->core_pub, 0, 1, err, errlen) ||
	    check_one(h->core_key, 0, need_secret, err, errlen) ||
	    check_one(h->log, 0, 0, err, errlen) ||
	    check_one(h->ckpt, 0, 0, err, errlen))
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
		return fail(err, errlen, "%s: key too long", path);
	if (check_one(path, 0, 1, err, errlen) != 0)
		return -1;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return fail(err, errlen, "%s: %s", path, strerror(errno));
	got = read(fd, text, sizeof text - 1);
	close(fd);
	if (got < 0) {
		fail(err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	text[got] = '\0';
	if (got > 0 && text[got - 1] == '\n')
		text[--got] = '\0';
	if ((size_t)got != 2 * n ||
	    sodium_hex2bin(out, n, text, (size_t)got, NULL, &bin, NULL) != 0 ||
	    bin != n) {
		fail(err, errlen, "%s: not a key of %zu bytes in hex", path, n);
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
		return fail(err, errlen, "%s: key too long", path);
	sodium_bin2hex(text, sizeof text, data, n);
	len = strlen(text);
	text[len++] = '\n';
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		fail(err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (write(fd, text, len) != (ssize_t)len || fsync(fd) != 0) {
		fail(err, errlen, "%s: %s", path, strerror(errno));
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
