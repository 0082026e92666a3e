/*
 * commit.c -- writes verified at the end of a transaction (issue 17,
 * point 1).  The sandboxes of a transaction never see its workspace: they
 * see a private copy of it (WORKSPACE.live), and so do the fs tools, so
 * that an agent reads back what it wrote.  When the transaction ends well,
 * every difference between the copy and the workspace is one change, and
 * each change is one core approval of fs.write before it is applied
 * (broker.c); what is refused stays out.  When it ends badly, nothing is
 * applied.  The copy is then removed.  Not part of the verified core.
 *
 * Only regular files and folders are changes.  A symbolic link, a hard
 * link (a file with more than one name), a device, FIFO or socket, a file
 * with its setuid or setgid bit, and a name that a resource cannot carry
 * (a byte outside 0x21 .. 0x7e) are refused at commit, never followed.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sodium.h>

#include "wt.h"
#include "outq.h"

#define CHANGES_MAX 4096u	/* more is refused as one change: too_many */
#define FILE_MAX (256u << 20)	/* a file committed is read whole */

static int
name_ok(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x21 || (unsigned char)*s > 0x7e)
			return 0;
	return 1;
}

static int
add(struct wt_changes *cs, int kind, const char *rel, const char *why)
{
	struct wt_change *c;

	if (cs->n == CHANGES_MAX) {
		cs->truncated = 1;
		return -1;
	}
	if (cs->n == cs->cap) {
		size_t nc = cs->cap == 0 ? 64 : cs->cap * 2;
		struct wt_change *nv = realloc(cs->v, nc * sizeof *nv);

		if (nv == NULL)
			return -1;
		cs->v = nv;
		cs->cap = nc;
	}
	c = &cs->v[cs->n++];
	memset(c, 0, sizeof *c);
	c->kind = kind;
	c->why = why;
	snprintf(c->rel, sizeof c->rel, "%s", rel);
	return 0;
}

/* 1 if the two regular files hold the same bytes. */
static int
same_file(int afd, int bfd, const struct stat *as, const struct stat *bs)
{
	char x[65536], y[65536];
	ssize_t n, m;

	if (as->st_size != bs->st_size)
		return 0;
	for (;;) {
		n = read(afd, x, sizeof x);
		if (n <= 0)
			return n == 0;
		m = read(bfd, y, (size_t)n);
		if (m != n || memcmp(x, y, (size_t)n) != 0)
			return 0;
	}
}

static DIR *
dir_at(int base, const char *rel)
{
	int fd = openat(base, rel[0] ? rel : ".", O_RDONLY | O_DIRECTORY |
			O_NOFOLLOW | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;

	if (d == NULL && fd >= 0)
		close(fd);
	return d;
}

/* The next entry of d but . and ..: its path below the workspace in p;
 * 1, 2 when that path does not fit (e holds the name), 0 at the end. */
static int
next_entry(DIR *d, const char *rel, char p[WT_REL_MAX], struct dirent **e)
{
	do {
		*e = readdir(d);
		if (*e == NULL)
			return 0;
	} while (strcmp((*e)->d_name, ".") == 0 || strcmp((*e)->d_name, "..") == 0);
	return (size_t)snprintf(p, WT_REL_MAX, "%s%s%s", rel, rel[0] ? "/" : "",
				(*e)->d_name) >= WT_REL_MAX ? 2 : 1;
}

/* The entries of the workspace folder rel that the copy lacks (livefd -1:
 * all of them, the copy lacks the folder): deleted, a folder's content
 * before the folder. */
static void
walk_gone(int wsfd, int livefd, const char *rel, struct wt_changes *cs)
{
	DIR *d = dir_at(wsfd, rel);
	struct dirent *e;
	char p[WT_REL_MAX];
	int k;

	while (d != NULL && (k = next_entry(d, rel, p, &e)) != 0) {
		struct stat st, ls;

		if (k != 1 || fstatat(wsfd, p, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
		    (livefd >= 0 && fstatat(livefd, p, &ls, AT_SYMLINK_NOFOLLOW) == 0))
			continue;
		if (S_ISDIR(st.st_mode)) {
			walk_gone(wsfd, -1, p, cs);
			(void)add(cs, WT_RMDIR, p, NULL);
		} else {
			(void)add(cs, WT_DELETE, p, NULL);
		}
	}
	if (d != NULL)
		closedir(d);
}

/* Compare the copy's folder rel with the workspace's (which may lack it). */
static void
walk(int livefd, int wsfd, const char *rel, int ws_has, struct wt_changes *cs)
{
	DIR *d = dir_at(livefd, rel);
	struct dirent *e;
	char p[WT_REL_MAX];
	int k;

	while (d != NULL && (k = next_entry(d, rel, p, &e)) != 0) {
		struct stat ls, ws;
		int have;

		if (k != 1) {
			(void)add(cs, WT_REFUSED, rel, "path_too_long");
			continue;
		}
		if (fstatat(livefd, p, &ls, AT_SYMLINK_NOFOLLOW) != 0)
			continue;
		have = ws_has && fstatat(wsfd, p, &ws, AT_SYMLINK_NOFOLLOW) == 0;
		if (!name_ok(e->d_name)) {
			(void)add(cs, WT_REFUSED, p, "name_not_printable");
			continue;
		}
		if (S_ISDIR(ls.st_mode)) {
			if (have && !S_ISDIR(ws.st_mode))
				(void)add(cs, WT_DELETE, p, NULL);
			if (!have || !S_ISDIR(ws.st_mode))
				(void)add(cs, WT_MKDIR, p, NULL);
			walk(livefd, wsfd, p, have && S_ISDIR(ws.st_mode), cs);
			continue;
		}
		if (!S_ISREG(ls.st_mode)) {
			/* The workspace holds none (it is a copy of files
			 * and folders): each is new, and refused. */
			(void)add(cs, WT_REFUSED, p, S_ISLNK(ls.st_mode) ?
				  "symlink" : S_ISFIFO(ls.st_mode) ? "fifo" :
				  S_ISSOCK(ls.st_mode) ? "socket" : "device");
			continue;
		}
		if (ls.st_nlink > 1) {
			(void)add(cs, WT_REFUSED, p, "hard_link");
			continue;
		}
		if (ls.st_mode & (S_ISUID | S_ISGID)) {
			(void)add(cs, WT_REFUSED, p, "setuid");
			continue;
		}
		if (have && S_ISREG(ws.st_mode)) {
			int a = openat(livefd, p, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
			int b = openat(wsfd, p, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
			int same = a >= 0 && b >= 0 && same_file(a, b, &ls, &ws);

			if (a >= 0)
				close(a);
			if (b >= 0)
				close(b);
			if (same)
				continue;
		} else if (have && S_ISDIR(ws.st_mode)) {
			walk_gone(wsfd, -1, p, cs);
			(void)add(cs, WT_RMDIR, p, NULL);
		} else if (have) {
			(void)add(cs, WT_DELETE, p, NULL);
		}
		(void)add(cs, WT_WRITE, p, NULL);
	}
	if (d != NULL)
		closedir(d);
	if (ws_has)
		walk_gone(wsfd, livefd, rel, cs);	/* what the copy lost */
}

int
wt_changes(int wsfd, int livefd, struct wt_changes *cs)
{
	memset(cs, 0, sizeof *cs);
	walk(livefd, wsfd, "", 1, cs);
	return cs->truncated ? -1 : 0;
}

void
wt_changes_free(struct wt_changes *cs)
{
	free(cs->v);
	memset(cs, 0, sizeof *cs);
}

int
wt_apply(int wsfd, int livefd, const struct wt_change *c, const char **reason,
	 char *err, size_t errlen)
{
	const char *base = strrchr(c->rel, '/');
	char parent[WT_REL_MAX];
	int dfd, fd, rc = -1;

	*reason = "io";
	snprintf(parent, sizeof parent, "%.*s", base != NULL ?
		 (int)(base - c->rel) : 0, c->rel);
	base = base != NULL ? base + 1 : c->rel;
	if (c->kind == WT_WRITE) {
		struct stat st;
		char *buf;
		size_t got = 0;

		fd = openat(livefd, c->rel, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
		    st.st_nlink > 1 || (size_t)st.st_size > FILE_MAX) {
			snprintf(err, errlen, "%s changed while it was committed, "
				 "or is over %u MiB", c->rel, FILE_MAX >> 20);
			if (fd >= 0)
				close(fd);
			return -1;
		}
		buf = malloc((size_t)st.st_size + 1);
		while (buf != NULL && got < (size_t)st.st_size) {
			ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);

			if (n <= 0)
				break;
			got += (size_t)n;
		}
		close(fd);
		if (buf == NULL || got != (size_t)st.st_size) {
			free(buf);
			snprintf(err, errlen, "cannot read %s", c->rel);
			return -1;
		}
		/* No parent folder is made here: each is a change of its own,
		 * approved before the files in it. */
		rc = wt_fs_write(wsfd, c->rel, NULL, buf, got, reason, err, errlen);
		free(buf);
		return rc;
	}
	dfd = parent[0] != '\0' ? openat(wsfd, parent, O_RDONLY | O_DIRECTORY |
					 O_NOFOLLOW | O_CLOEXEC) :
	      fcntl(wsfd, F_DUPFD_CLOEXEC, 0);
	if (dfd < 0) {
		*reason = "no_parent";
		snprintf(err, errlen, "the folder of %s is not there (its own "
			 "change was refused)", c->rel);
		return -1;
	}
	if (c->kind == WT_MKDIR)
		rc = mkdirat(dfd, base, 0755) == 0 || errno == EEXIST ? 0 : -1;
	else if (c->kind == WT_DELETE)
		rc = unlinkat(dfd, base, 0) == 0 || errno == ENOENT ? 0 : -1;
	else if (c->kind == WT_RMDIR)
		rc = unlinkat(dfd, base, AT_REMOVEDIR) == 0 || errno == ENOENT ?
		     0 : -1;
	if (rc != 0)
		snprintf(err, errlen, "%s: %s", c->rel, strerror(errno));
	close(dfd);
	return rc;
}

/* ---- the copy ------------------------------------------------------------------ */

static int
copy_dir(int from, int to)
{
	DIR *d;
	struct dirent *e;
	int fd = fcntl(from, F_DUPFD_CLOEXEC, 0), rc = 0;

	if (fd < 0 || (d = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	/* A duplicate shares the folder's read position with from: start
	 * from the first entry, whoever read it last. */
	rewinddir(d);
	while (rc == 0 && (e = readdir(d)) != NULL) {
		struct stat st;

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (fstatat(from, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			int a, b;

			if (mkdirat(to, e->d_name, st.st_mode & 0777) != 0) {
				rc = -1;
				break;
			}
			a = openat(from, e->d_name, O_RDONLY | O_DIRECTORY |
				   O_NOFOLLOW | O_CLOEXEC);
			b = openat(to, e->d_name, O_RDONLY | O_DIRECTORY |
				   O_NOFOLLOW | O_CLOEXEC);
			rc = a >= 0 && b >= 0 ? copy_dir(a, b) : -1;
			if (a >= 0)
				close(a);
			if (b >= 0)
				close(b);
		} else if (S_ISREG(st.st_mode)) {
			int a = openat(from, e->d_name, O_RDONLY | O_NOFOLLOW |
				       O_CLOEXEC);
			int b = openat(to, e->d_name, O_WRONLY | O_CREAT | O_EXCL |
				       O_NOFOLLOW | O_CLOEXEC, st.st_mode & 0777);
			char buf[65536];
			ssize_t n = 0;

			while (a >= 0 && b >= 0 && (n = read(a, buf, sizeof buf)) > 0)
				if (oq_write_all(b, buf, (size_t)n, -1) != 0) {
					n = -1;
					break;
				}
			if (a < 0 || b < 0 || n < 0)
				rc = -1;
			if (a >= 0)
				close(a);
			if (b >= 0)
				close(b);
		}
		/* Anything else stays out of the copy: the workspace is
		 * made of files and folders (cli/cmd_run.c). */
	}
	closedir(d);
	return rc;
}

static void
remove_in(int dfd)
{
	DIR *d;
	struct dirent *e;
	int fd = fcntl(dfd, F_DUPFD_CLOEXEC, 0);

	if (fd < 0 || (d = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		return;
	}
	rewinddir(d);	/* the position is shared with dfd */
	while ((e = readdir(d)) != NULL) {
		struct stat st;

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (fstatat(dfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			int sub = openat(dfd, e->d_name, O_RDONLY | O_DIRECTORY |
					 O_NOFOLLOW | O_CLOEXEC);

			if (sub >= 0) {
				remove_in(sub);
				close(sub);
			}
			(void)unlinkat(dfd, e->d_name, AT_REMOVEDIR);
		} else {
			(void)unlinkat(dfd, e->d_name, 0);
		}
	}
	closedir(d);
}

int
wt_live_make(int wsfd, const char *live, char *err, size_t errlen)
{
	int lfd;

	/* The folder is made by ward run (cli/cmd_run.c) for our account:
	 * work/ is not ours to write.  Emptied first. */
	lfd = open(live, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (lfd < 0) {
		snprintf(err, errlen, "cannot open the transaction's copy %s: %s "
			 "(ward run makes it beside the workspace)", live,
			 strerror(errno));
		return -1;
	}
	remove_in(lfd);
	if (copy_dir(wsfd, lfd) != 0) {
		snprintf(err, errlen, "cannot copy the workspace to %s: %s", live,
			 strerror(errno));
		remove_in(lfd);
		close(lfd);
		return -1;
	}
	return lfd;
}

/* Empties the copy; the folder itself is ward run's to remove (ward
 * clean). */
void
wt_live_remove(const char *live)
{
	int fd = open(live, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (fd >= 0) {
		remove_in(fd);
		close(fd);
	}
	(void)rmdir(live);
}

int
wt_file_hash(int livefd, const char *rel, unsigned char h[32])
{
	crypto_generichash_state st;
	char buf[65536];
	struct stat sb;
	ssize_t n;
	int fd = openat(livefd, rel, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		return -1;
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		close(fd);
		return -1;
	}
	crypto_generichash_init(&st, NULL, 0, 32);
	while ((n = read(fd, buf, sizeof buf)) > 0)
		crypto_generichash_update(&st, (const unsigned char *)buf, (size_t)n);
	close(fd);
	if (n < 0)
		return -1;
	crypto_generichash_final(&st, h, 32);
	return 0;
}
