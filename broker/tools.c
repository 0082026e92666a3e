/*
 * tools.c -- the built-in tools' local side: confinement of every path to
 * the transaction's workspace with openat2(RESOLVE_BENEATH |
 * RESOLVE_NO_MAGICLINKS | RESOLVE_NO_SYMLINKS), atomic writes, and the
 * exec resource encoding.  The core has already approved the effect when
 * these run; they are the broker's own second fence (the sandbox is the
 * third).  Not part of the verified core.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <jansson.h>
#include <sodium.h>

#include "wb.h"
#include "wt.h"
#include "outq.h"

static int
open_beneath(int dirfd, const char *rel, int flags, mode_t mode)
{
	struct open_how how;

	memset(&how, 0, sizeof how);
	how.flags = (uint64_t)flags | O_CLOEXEC;
	how.mode = (flags & O_CREAT) ? mode : 0;
	how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS |
		      RESOLVE_NO_SYMLINKS | RESOLVE_NO_XDEV;
	return (int)syscall(SYS_openat2, dirfd, rel[0] ? rel : ".", &how,
			    sizeof how);
}

int
wt_resource(char *res, size_t cap, const char *path, const char **rel)
{
	const char *p = path != NULL ? path : "";

	if (strncmp(p, "/workspace", 10) == 0 && (p[10] == '/' || p[10] == '\0')) {
		p += 10;
		while (*p == '/')
			p++;
	} else if (p[0] == '/') {
		/* Outside the workspace: the core will say so. */
		snprintf(res, cap, "%s", p);
		*rel = NULL;
		return 0;
	}
	if (strcmp(p, ".") == 0 || p[0] == '\0') {
		snprintf(res, cap, "/workspace");
		*rel = "";
		return 0;
	}
	if ((size_t)snprintf(res, cap, "/workspace/%s", p) >= cap)
		return -1;
	*rel = res + 11;
	return 0;
}

json_t *
wt_fs_read(int wsfd, const char *rel, const char **reason, char *err,
	   size_t errlen)
{
	char *buf;
	size_t len = 0, cap = WT_READ_MAX;
	ssize_t n;
	json_t *out;
	struct stat st, st2;
	int fd, pfd = open_beneath(wsfd, rel, O_PATH | O_NOFOLLOW, 0);

	*reason = "io";
	if (pfd < 0) {
		if (errno == ELOOP)
			*reason = "symlink_in_path";
		snprintf(err, errlen, "cannot open %s: %s%s", rel[0] ? rel : ".",
			 strerror(errno), errno == ELOOP ? " (fs.read never "
			 "follows symbolic links)" : "");
		return NULL;
	}
	/* Looked at before it is opened for reading: a FIFO would block the
	 * broker, and a folder reads as nothing. */
	if (fstat(pfd, &st) != 0 || !S_ISREG(st.st_mode)) {
		int dir = S_ISDIR(st.st_mode);

		close(pfd);
		*reason = dir ? "is_a_folder" : "not_a_file";
		snprintf(err, errlen, dir ? "%s is a folder: fs.read reads files "
			 "(fs.list lists a folder)" : "%s is not a regular file "
			 "(a FIFO, socket or device): fs.read reads files only",
			 rel[0] ? rel : ".");
		return NULL;
	}
	fd = open_beneath(wsfd, rel, O_RDONLY | O_NOFOLLOW | O_NONBLOCK, 0);
	if (fd < 0 || fstat(fd, &st2) != 0 || st2.st_ino != st.st_ino ||
	    st2.st_dev != st.st_dev || !S_ISREG(st2.st_mode)) {
		/* Swapped between the look and the open: no guess. */
		snprintf(err, errlen, "cannot open %s: %s", rel, fd < 0 ?
			 strerror(errno) : "it changed while it was opened");
		if (fd >= 0)
			close(fd);
		close(pfd);
		return NULL;
	}
	close(pfd);
	buf = malloc(cap + 1);
	if (buf == NULL) {
		close(fd);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	while (len < cap && (n = read(fd, buf + len, cap - len)) > 0)
		len += (size_t)n;
	close(fd);
	out = json_stringn(buf, len);	/* NULL unless valid UTF-8 */
	if (out == NULL)
		snprintf(err, errlen, "%s is not UTF-8 text (%zu bytes)", rel, len);
	free(buf);
	return out;
}

/* May the folder rel[0..n) be created under a capability whose scope
 * below the workspace is mkscope? */
static int
may_create(const char *mkscope, const char *rel, size_t n)
{
	size_t sl;

	if (mkscope == NULL)
		return 0;
	sl = strlen(mkscope);
	return sl == 0 || (n >= sl && strncmp(rel, mkscope, sl) == 0 &&
			   (n == sl || rel[sl] == '/'));
}

/* The folder of rel, walked one component at a time from wsfd without
 * following any link, creating what is missing where mkscope allows.  An
 * fd of it, or -1 (reason and err set). */
static int
walk_parents(int wsfd, const char *rel, const char *mkscope, const char **reason,
	     char *err, size_t errlen)
{
	char comp[256];
	const char *s = rel, *e;
	int cur = fcntl(wsfd, F_DUPFD_CLOEXEC, 0), next;

	while (cur >= 0 && (e = strchr(s, '/')) != NULL) {
		size_t n = (size_t)(e - s);

		if (n == 0) {		/* "a//b" */
			s = e + 1;
			continue;
		}
		if (n >= sizeof comp || (n == 1 && s[0] == '.') ||
		    (n == 2 && s[0] == '.' && s[1] == '.')) {
			*reason = "invalid_params";
			snprintf(err, errlen, "%s: '.', '..' and over-long names "
				 "are not allowed in a path", rel);
			close(cur);
			return -1;
		}
		memcpy(comp, s, n);
		comp[n] = '\0';
		next = open_beneath(cur, comp, O_RDONLY | O_DIRECTORY, 0);
		if (next < 0 && errno == ENOENT && may_create(mkscope, rel,
							     (size_t)(e - rel))) {
			if (mkdirat(cur, comp, 0755) != 0 && errno != EEXIST) {
				snprintf(err, errlen, "cannot create the folder "
					 "%.*s: %s", (int)(e - rel), rel,
					 strerror(errno));
				close(cur);
				return -1;
			}
			next = open_beneath(cur, comp, O_RDONLY | O_DIRECTORY, 0);
		}
		if (next < 0) {
			int er = errno;

			if (er == ELOOP) {
				*reason = "symlink_in_path";
				snprintf(err, errlen, "%.*s is a symbolic link: fs.write "
					 "never follows one (it could lead out of the "
					 "workspace); nothing was written",
					 (int)(e - rel), rel);
			} else if (er == ENOENT) {
				*reason = "no_parent";
				snprintf(err, errlen, "the folder %.*s does not exist, "
					 "and it lies outside the capability's scope, "
					 "so fs.write does not create it", (int)(e - rel),
					 rel);
			} else {
				snprintf(err, errlen, "cannot open the folder %.*s: %s",
					 (int)(e - rel), rel, strerror(er));
			}
			close(cur);
			return -1;
		}
		close(cur);
		cur = next;
		s = e + 1;
	}
	if (cur < 0)
		snprintf(err, errlen, "cannot open the workspace: %s", strerror(errno));
	return cur;
}

int
wt_fs_write(int wsfd, const char *rel, const char *mkscope, const char *data,
	    size_t len, const char **reason, char *err, size_t errlen)
{
	char tmp[64];
	const char *base;
	int dfd, fd;
	struct stat st;

	*reason = "io";
	if (rel[0] == '\0') {
		snprintf(err, errlen, "cannot write the workspace itself");
		return -1;
	}
	base = strrchr(rel, '/');
	base = base != NULL ? base + 1 : rel;
	if (base[0] == '\0' || strcmp(base, ".") == 0 || strcmp(base, "..") == 0) {
		snprintf(err, errlen, "%s names no file", rel);
		return -1;
	}
	dfd = walk_parents(wsfd, rel, mkscope, reason, err, errlen);
	if (dfd < 0)
		return -1;
	if (fstatat(dfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    !S_ISREG(st.st_mode)) {
		int lnk = S_ISLNK(st.st_mode);

		*reason = lnk ? "symlink_in_path" : S_ISDIR(st.st_mode) ?
			  "is_a_folder" : "not_a_file";
		snprintf(err, errlen, lnk ? "%s is a symbolic link: fs.write never "
			 "follows or replaces one; nothing was written" :
			 "%s is not a regular file; nothing was written", rel);
		close(dfd);
		return -1;
	}
	snprintf(tmp, sizeof tmp, ".ward-tmp-%08x", randombytes_random());
	fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		    0644);
	if (fd < 0) {
		snprintf(err, errlen, "cannot create %s: %s", rel, strerror(errno));
		close(dfd);
		return -1;
	}
	/* The one write-all loop (outq.h): EINTR retried, no short write. */
	if (oq_write_all(fd, data, len, -1) != 0) {
		snprintf(err, errlen, "cannot write %s: %s", rel, strerror(errno));
		close(fd);
		unlinkat(dfd, tmp, 0);
		close(dfd);
		return -1;
	}
	/* Written whole, then renamed: a reader sees the old file or the new
	 * one, never half of it. */
	if (fsync(fd) != 0 || close(fd) != 0 ||
	    renameat(dfd, tmp, dfd, base) != 0) {
		snprintf(err, errlen, "cannot commit %s: %s", rel, strerror(errno));
		unlinkat(dfd, tmp, 0);
		close(dfd);
		return -1;
	}
	close(dfd);
	return 0;
}

static const char *
type_name(mode_t m)
{
	return S_ISREG(m) ? "file" : S_ISDIR(m) ? "dir" : S_ISLNK(m) ? "symlink" :
	       "other";
}

json_t *
wt_fs_list(int wsfd, const char *rel, char *err, size_t errlen)
{
	int fd = open_beneath(wsfd, rel, O_RDONLY | O_DIRECTORY, 0);
	DIR *d;
	struct dirent *e;
	json_t *arr;

	if (fd < 0 || (d = fdopendir(fd)) == NULL) {
		snprintf(err, errlen, "cannot list %s: %s", rel[0] ? rel : ".",
			 strerror(errno));
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	arr = json_array();
	while ((e = readdir(d)) != NULL && json_array_size(arr) < 1000) {
		struct stat st;

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0 ||
		    strncmp(e->d_name, ".ward-tmp-", 10) == 0)
			continue;
		if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
			continue;
		json_array_append_new(arr, json_pack("{s:s, s:s, s:I}", "name",
			e->d_name, "type", type_name(st.st_mode), "size",
			(json_int_t)st.st_size));
	}
	closedir(d);
	return arr;
}

json_t *
wt_fs_stat(int wsfd, const char *rel, char *err, size_t errlen)
{
	int fd = open_beneath(wsfd, rel, O_PATH | O_NOFOLLOW, 0);
	struct stat st;

	if (fd < 0 || fstat(fd, &st) != 0) {
		snprintf(err, errlen, "cannot stat %s: %s", rel[0] ? rel : ".",
			 strerror(errno));
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	close(fd);
	return json_pack("{s:s, s:I, s:i, s:I}", "type", type_name(st.st_mode),
			 "size", (json_int_t)st.st_size, "mode",
			 (int)(st.st_mode & 07777), "mtime",
			 (json_int_t)st.st_mtime);
}

/* One argument as a canonical path component: unreserved bytes as they
 * are, everything else (and a leading '.', so "." and ".." cannot occur)
 * as %XX.  An empty argument is "%00"... never produced by a real argv
 * byte, so the encoding stays injective. */
static int
enc_arg(char *out, size_t cap, size_t *pos, const char *a)
{
	static const char hx[] = "0123456789ABCDEF";
	size_t i;

	if (a[0] == '\0') {
		if (*pos + 3 > cap)
			return -1;
		memcpy(out + *pos, "%00", 3);
		*pos += 3;
		return 0;
	}
	for (i = 0; a[i] != '\0'; i++) {
		unsigned char c = (unsigned char)a[i];
		int plain = (c > 0x20 && c < 0x7f && c != '/' && c != '%' &&
			     !(c == '.' && i == 0));

		if (*pos + (plain ? 1 : 3) > cap)
			return -1;
		if (plain) {
			out[(*pos)++] = (char)c;
		} else {
			out[(*pos)++] = '%';
			out[(*pos)++] = hx[c >> 4];
			out[(*pos)++] = hx[c & 15];
		}
	}
	return 0;
}

int
wt_exec_resource(char *out, size_t cap, const char *const *argv, int argc)
{
	size_t pos, lim = cap - 1 < WARD_SCOPE_MAX ? cap - 1 : WARD_SCOPE_MAX;
	int i;

	if (argc < 1 || argv[0][0] != '/' || strlen(argv[0]) > lim)
		return -1;
	pos = strlen(argv[0]);
	memcpy(out, argv[0], pos);
	for (i = 1; i < argc; i++) {
		if (pos + 1 > lim)
			return -1;
		out[pos++] = '/';
		if (enc_arg(out, lim, &pos, argv[i]) != 0)
			return -1;
	}
	out[pos] = '\0';
	return 0;
}
