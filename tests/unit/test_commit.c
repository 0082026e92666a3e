/*
 * test_commit.c -- broker/commit.c: the changes between a transaction's
 * copy and its workspace, in an order that applies, and what is refused
 * at commit (links, FIFOs, hard links, setuid files, unprintable names).
 * Runs as root in a folder of its own (the setuid bit needs it).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "t.h"
#include "wt.h"

static char base[256];

static void
put(const char *dir, const char *rel, const char *text)
{
	char p[600];
	FILE *f;

	snprintf(p, sizeof p, "%s/%s/%s", base, dir, rel);
	f = fopen(p, "w");
	if (f != NULL) {
		fputs(text, f);
		fclose(f);
	}
}

static const struct wt_change *
find(const struct wt_changes *cs, int kind, const char *rel, size_t *at)
{
	size_t i;

	for (i = 0; i < cs->n; i++)
		if (cs->v[i].kind == kind && strcmp(cs->v[i].rel, rel) == 0) {
			if (at != NULL)
				*at = i;
			return &cs->v[i];
		}
	return NULL;
}

static int
slurp_eq(const char *rel, const char *want)
{
	char p[600], buf[256];
	FILE *f;
	size_t n;

	snprintf(p, sizeof p, "%s/ws/%s", base, rel);
	f = fopen(p, "r");
	if (f == NULL)
		return 0;
	n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	return strcmp(buf, want) == 0;
}

TEST(changes_listed_ordered_refused_and_applied)
{
	char ws[300], live[300], p[600], err[300];
	struct wt_changes cs;
	const struct wt_change *c;
	const char *reason;
	size_t i, mk = 0, wr = 0, del = 0, rm = 0;
	int wsfd, lfd;
	struct stat st;

	snprintf(ws, sizeof ws, "%s/ws", base);
	snprintf(live, sizeof live, "%s/ws.live", base);
	EXPECT(mkdir(ws, 0755) == 0 && mkdir(live, 0755) == 0);
	snprintf(p, sizeof p, "%s/d", ws);
	EXPECT(mkdir(p, 0755) == 0);
	put("ws", "a.txt", "a\n");
	put("ws", "d/x.txt", "x\n");
	put("ws", "same.txt", "same\n");
	wsfd = open(ws, O_RDONLY | O_DIRECTORY);
	lfd = wt_live_make(wsfd, live, err, sizeof err);
	EXPECT(wsfd >= 0 && lfd >= 0);
	/* What an agent does in its copy. */
	put("ws.live", "a.txt", "changed\n");
	put("ws.live", "b.txt", "new\n");
	snprintf(p, sizeof p, "%s/n", live);
	EXPECT(mkdir(p, 0755) == 0);
	put("ws.live", "n/y.txt", "y\n");
	snprintf(p, sizeof p, "%s/d/x.txt", live);
	EXPECT(unlink(p) == 0);
	snprintf(p, sizeof p, "%s/d", live);
	EXPECT(rmdir(p) == 0);
	EXPECT(symlinkat("/etc", lfd, "l") == 0);
	EXPECT(mkfifoat(lfd, "f", 0644) == 0);
	put("ws.live", "h1", "h\n");
	EXPECT(linkat(lfd, "h1", lfd, "h2", 0) == 0);
	put("ws.live", "s", "s\n");
	EXPECT(fchmodat(lfd, "s", 04755, 0) == 0);
	put("ws.live", "sp ace", "q\n");

	EXPECT(wt_changes(wsfd, lfd, &cs) == 0);
	EXPECT(find(&cs, WT_WRITE, "a.txt", NULL) != NULL);
	EXPECT(find(&cs, WT_WRITE, "b.txt", NULL) != NULL);
	EXPECT(find(&cs, WT_WRITE, "same.txt", NULL) == NULL);	/* unchanged */
	EXPECT(find(&cs, WT_MKDIR, "n", &mk) != NULL);
	EXPECT(find(&cs, WT_WRITE, "n/y.txt", &wr) != NULL);
	EXPECT(mk < wr);		/* the folder before what is in it */
	EXPECT(find(&cs, WT_DELETE, "d/x.txt", &del) != NULL);
	EXPECT(find(&cs, WT_RMDIR, "d", &rm) != NULL);
	EXPECT(del < rm);		/* its content before the folder */
	c = find(&cs, WT_REFUSED, "l", NULL);
	EXPECT(c != NULL && strcmp(c->why, "symlink") == 0);
	c = find(&cs, WT_REFUSED, "f", NULL);
	EXPECT(c != NULL && strcmp(c->why, "fifo") == 0);
	c = find(&cs, WT_REFUSED, "h1", NULL);
	EXPECT(c != NULL && strcmp(c->why, "hard_link") == 0);
	c = find(&cs, WT_REFUSED, "s", NULL);
	EXPECT(c != NULL && strcmp(c->why, "setuid") == 0);
	c = find(&cs, WT_REFUSED, "sp ace", NULL);
	EXPECT(c != NULL && strcmp(c->why, "name_not_printable") == 0);

	/* Applying every change that is not refused (as if all approved). */
	for (i = 0; i < cs.n; i++)
		if (cs.v[i].kind != WT_REFUSED)
			EXPECT(wt_apply(wsfd, lfd, &cs.v[i], &reason, err,
					sizeof err) == 0);
	EXPECT(slurp_eq("a.txt", "changed\n"));
	EXPECT(slurp_eq("b.txt", "new\n"));
	EXPECT(slurp_eq("n/y.txt", "y\n"));
	EXPECT(fstatat(wsfd, "d", &st, AT_SYMLINK_NOFOLLOW) != 0);
	EXPECT(fstatat(wsfd, "l", &st, AT_SYMLINK_NOFOLLOW) != 0);
	EXPECT(fstatat(wsfd, "f", &st, AT_SYMLINK_NOFOLLOW) != 0);
	EXPECT(fstatat(wsfd, "s", &st, AT_SYMLINK_NOFOLLOW) != 0);
	wt_changes_free(&cs);
	/* After: the copy and the workspace differ only by what was refused. */
	EXPECT(wt_changes(wsfd, lfd, &cs) == 0);
	for (i = 0; i < cs.n; i++)
		EXPECT(cs.v[i].kind == WT_REFUSED);
	wt_changes_free(&cs);
	close(lfd);
	wt_live_remove(live);
	lfd = open(live, O_RDONLY | O_DIRECTORY);
	EXPECT(lfd < 0);	/* emptied and gone (its parent is ours here) */
	close(wsfd);
}

TEST(a_write_never_goes_through_a_link_in_the_workspace)
{
	char ws[300], live[300], p[600], err[300];
	struct wt_changes cs;
	const struct wt_change *c;
	const char *reason;
	int wsfd, lfd;

	snprintf(ws, sizeof ws, "%s/ws2", base);
	snprintf(live, sizeof live, "%s/ws2.live", base);
	EXPECT(mkdir(ws, 0755) == 0 && mkdir(live, 0755) == 0);
	wsfd = open(ws, O_RDONLY | O_DIRECTORY);
	lfd = wt_live_make(wsfd, live, err, sizeof err);
	snprintf(p, sizeof p, "%s/out", live);
	EXPECT(mkdir(p, 0755) == 0);
	put("ws2.live", "out/f.txt", "f\n");
	EXPECT(wt_changes(wsfd, lfd, &cs) == 0);
	/* Between the listing and the commit, something plants a link where
	 * the folder will be made: the write must not follow it. */
	{
		char target[400], planted[600];

		snprintf(target, sizeof target, "%s/elsewhere", base);
		EXPECT(mkdir(target, 0755) == 0);
		snprintf(p, sizeof p, "%s/out", ws);
		EXPECT(symlink(target, p) == 0);
		c = find(&cs, WT_WRITE, "out/f.txt", NULL);
		EXPECT(c != NULL);
		if (c != NULL)
			EXPECT(wt_apply(wsfd, lfd, c, &reason, err, sizeof err) != 0);
		snprintf(planted, sizeof planted, "%s/f.txt", target);
		EXPECT(access(planted, F_OK) != 0);
	}
	wt_changes_free(&cs);
	close(lfd);
	close(wsfd);
}

/* A child's copy is made from its parent's copy, whose folder was read
 * (emptied, listed) through the same open file before: the copy must hold
 * every entry all the same (a duplicated descriptor shares the read
 * position). */
TEST(a_copy_of_a_copy_is_whole)
{
	char ws[300], l1[300], l2[300], p[600], err[300];
	struct stat st;
	int wsfd, a, b;

	snprintf(ws, sizeof ws, "%s/cws", base);
	snprintf(l1, sizeof l1, "%s/cws.live", base);
	snprintf(l2, sizeof l2, "%s/cws.kid", base);
	EXPECT(mkdir(ws, 0755) == 0 && mkdir(l1, 0755) == 0 && mkdir(l2, 0755) == 0);
	snprintf(p, sizeof p, "%s/sub", ws);
	EXPECT(mkdir(p, 0755) == 0);
	put("cws", "sub/inner.txt", "inner\n");
	put("cws", "top.txt", "top\n");
	wsfd = open(ws, O_RDONLY | O_DIRECTORY);
	a = wt_live_make(wsfd, l1, err, sizeof err);
	b = a >= 0 ? wt_live_make(a, l2, err, sizeof err) : -1;
	EXPECT(a >= 0 && b >= 0);
	snprintf(p, sizeof p, "%s/sub/inner.txt", l2);
	EXPECT(stat(p, &st) == 0);
	snprintf(p, sizeof p, "%s/top.txt", l2);
	EXPECT(stat(p, &st) == 0);
	/* And again from the same descriptor. */
	wt_live_remove(l2);
	EXPECT(mkdir(l2, 0755) == 0);
	b = wt_live_make(a, l2, err, sizeof err);
	snprintf(p, sizeof p, "%s/sub/inner.txt", l2);
	EXPECT(b >= 0 && stat(p, &st) == 0);
	close(wsfd);
	if (a >= 0)
		close(a);
	if (b >= 0)
		close(b);
}

int
main(void)
{
	char cmd[300];

	if (geteuid() != 0) {
		printf("PASS commit_needs_root_skipped\n");
		return 0;
	}
	snprintf(base, sizeof base, "/tmp/ward-test-commit.XXXXXX");
	if (mkdtemp(base) == NULL)
		return 1;
	RUN(changes_listed_ordered_refused_and_applied);
	RUN(a_write_never_goes_through_a_link_in_the_workspace);
	RUN(a_copy_of_a_copy_is_whole);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", base);
	if (system(cmd) != 0)
		return 1;
	return t_failed ? 1 : 0;
}
