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

json_t *wt_fs_read(int wsfd, const char *rel, char *err, size_t errlen);
int wt_fs_write(int wsfd, const char *rel, const char *data, size_t len,
		char *err, size_t errlen);
json_t *wt_fs_list(int wsfd, const char *rel, char *err, size_t errlen);
json_t *wt_fs_stat(int wsfd, const char *rel, char *err, size_t errlen);

#endif
