/*
 * wt.h -- the built-in tools' local side (tools.c), for ward-broker.
 */
#ifndef WARD_WT_H
#define WARD_WT_H

#include <stddef.h>
#include <jansson.h>

#define WT_READ_MAX (1u << 20)	/* longest file fs.read returns */

/* The resource an fs path names: "notes.txt", "/workspace/notes.txt" ->
 * "/workspace/notes.txt" with *rel = "notes.txt"; any other absolute path
 * is its own resource with *rel = NULL (outside the workspace: the core
 * refuses it as out of scope).  -1 if it does not fit. */
int wt_resource(char *res, size_t cap, const char *path, const char **rel);

/* On failure the fs tools set *reason to the refusal's name ("io",
 * "is_a_folder", "not_a_file", "symlink_in_path", "no_parent") and err
 * to a sentence. */

/* A regular file's text.  A folder is refused (is_a_folder), and so is a
 * FIFO, socket or device (not_a_file): never opened for reading, so
 * never waited on. */
json_t *wt_fs_read(int wsfd, const char *rel, const char **reason, char *err,
		   size_t errlen);
/* Writes rel whole, atomically.  Missing parent folders are created, but
 * only those inside the capability's scope: mkscope is the scope below the
 * workspace ("" for all of it, "out" for /workspace/out; NULL: create
 * none).  No component of rel, the file included, may be a symbolic link
 * (symlink_in_path): a link could lead out of the workspace. */
int wt_fs_write(int wsfd, const char *rel, const char *mkscope, const char *data,
		size_t len, const char **reason, char *err, size_t errlen);
json_t *wt_fs_list(int wsfd, const char *rel, char *err, size_t errlen);
json_t *wt_fs_stat(int wsfd, const char *rel, char *err, size_t errlen);

/* ---- commit.c: writes verified at the end of a transaction ---- */

#define WT_REL_MAX 512
enum { WT_WRITE = 1, WT_MKDIR, WT_DELETE, WT_RMDIR, WT_REFUSED };

/* One difference between a transaction's copy and its workspace: a file
 * written, a folder made, a file deleted, a folder removed, or something
 * refused at commit (why: symlink, hard_link, fifo, socket, device,
 * setuid, name_not_printable, path_too_long).  rel is below the
 * workspace. */
struct wt_change {
	int kind;
	const char *why;
	char rel[WT_REL_MAX];
};
struct wt_changes {
	struct wt_change *v;
	size_t n, cap;
	int truncated;		/* more than 4096: the rest is not listed */
};

/* The copy of the workspace (wsfd) the transaction's sandboxes and fs
 * tools see, at live (a path beside the workspace); its fd, or -1. */
int wt_live_make(int wsfd, const char *live, char *err, size_t errlen);
void wt_live_remove(const char *live);
/* Every change, in an order that applies: a folder before what is in it,
 * what is in a folder before the folder's removal. 0, or -1 if
 * truncated. */
int wt_changes(int wsfd, int livefd, struct wt_changes *cs);
void wt_changes_free(struct wt_changes *cs);
/* Apply one approved change to the workspace: a file written whole and
 * renamed into place, never through a link; no parent folder made.  0 or
 * -1 (reason, err). */
int wt_apply(int wsfd, int livefd, const struct wt_change *c,
	     const char **reason, char *err, size_t errlen);

/* BLAKE2b-256 of a regular file of the copy (never through a link): 0,
 * or -1 when rel is not one. */
int wt_file_hash(int livefd, const char *rel, unsigned char h[32]);

#endif
