/*
 * sb_cgroup.c -- the limits ring: memory, pids and CPU cgroups.
 *
 * Each controller is taken from cgroup v2 when our own v2 cgroup delegates
 * it (it is in cgroup.subtree_control, or we are at the v2 root and it is in
 * cgroup.controllers), otherwise from the v1 hierarchy that has it.  Hybrid
 * hosts mix the two, so the choice is per controller.  A controller found
 * nowhere is reported, and ward_sb_prepare() refuses to run.
 *
 * Leaves are created under our own cgroup of each hierarchy, so the
 * sandbox stays inside whatever limits ward itself is under.
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "sb_internal.h"

static const char *const ctl_name[SB_CG_N] = { "memory", "pids", "cpu" };

struct mnt {
	char point[PATH_MAX];
	char root[PATH_MAX];
	char opts[256];
	int v2;
};

/* The path of our cgroup in the hierarchy that has ctl (v1), or the v2 one
 * when ctl is NULL. */
static int self_cgroup(const char *cgtext, const char *ctl, char *out, size_t outlen)
{
	FILE *f = fmemopen((void *)(uintptr_t)cgtext, strlen(cgtext), "r");
	if (f == NULL)
		return -1;
	char line[1024];
	int found = -1;
	while (fgets(line, sizeof line, f) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		char *c1 = strchr(line, ':');
		char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		if (c2 == NULL)
			continue;
		*c2 = '\0';
		const char *ctls = c1 + 1;
		int match = 0;
		if (ctl == NULL) {
			match = strcmp(line, "0") == 0 && ctls[0] == '\0';
		} else {
			char buf[256];
			snprintf(buf, sizeof buf, "%s", ctls);
			for (char *s = NULL, *t = strtok_r(buf, ",", &s); t != NULL;
			     t = strtok_r(NULL, ",", &s))
				if (strcmp(t, ctl) == 0)
					match = 1;
		}
		if (match) {
			snprintf(out, outlen, "%s", c2 + 1);
			found = 0;
			break;
		}
	}
	fclose(f);
	return found;
}

static int find_mount(const char *mitext, const char *ctl, struct mnt *m)
{
	FILE *f = fmemopen((void *)(uintptr_t)mitext, strlen(mitext), "r");
	if (f == NULL)
		return -1;
	char line[4096];
	int found = -1;
	while (found < 0 && fgets(line, sizeof line, f) != NULL) {
		/* id parent maj:min root point opts [optional...] - type src superopts */
		char root[PATH_MAX], point[PATH_MAX];
		if (sscanf(line, "%*s %*s %*s %4095s %4095s", root, point) != 2)
			continue;
		char *dash = strstr(line, " - ");
		if (dash == NULL)
			continue;
		char type[32], src[256], sopts[1024];
		if (sscanf(dash + 3, "%31s %255s %1023s", type, src, sopts) != 3)
			continue;
		if (ctl == NULL) {
			if (strcmp(type, "cgroup2") != 0)
				continue;
		} else {
			if (strcmp(type, "cgroup") != 0)
				continue;
			int match = 0;
			for (char *s = NULL, *t = strtok_r(sopts, ",", &s); t != NULL;
			     t = strtok_r(NULL, ",", &s))
				if (strcmp(t, ctl) == 0)
					match = 1;
			if (!match)
				continue;
		}
		snprintf(m->point, sizeof m->point, "%s", point);
		snprintf(m->root, sizeof m->root, "%s", root);
		m->v2 = ctl == NULL;
		found = 0;
	}
	fclose(f);
	return found;
}

/* point + (path relative to the mount's root) */
static int join(const struct mnt *m, const char *path, char *out, size_t outlen)
{
	size_t rl = strlen(m->root);
	const char *rel = path;
	if (strcmp(m->root, "/") != 0) {
		if (strncmp(path, m->root, rl) != 0 ||
		    (path[rl] != '\0' && path[rl] != '/'))
			return -1; /* our cgroup is not visible in this mount */
		rel = path + rl;
	}
	int n = snprintf(out, outlen, "%s%s", m->point,
			 strcmp(rel, "/") == 0 ? "" : rel);
	return n > 0 && (size_t)n < outlen ? 0 : -1;
}

static int read_file(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return 0;
}

static int has_word(const char *list, const char *w)
{
	size_t wl = strlen(w);
	for (const char *p = list; (p = strstr(p, w)) != NULL; p += wl)
		if ((p == list || p[-1] == ' ') &&
		    (p[wl] == '\0' || p[wl] == ' ' || p[wl] == '\n'))
			return 1;
	return 0;
}

/* The whole of a /proc file, NUL-terminated; NULL on failure. */
static char *slurp(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	size_t cap = 16384, len = 0;
	char *buf = malloc(cap);
	while (buf != NULL) {
		ssize_t n = read(fd, buf + len, cap - len - 1);
		if (n <= 0) {
			if (n < 0) {
				free(buf);
				buf = NULL;
			}
			break;
		}
		len += (size_t)n;
		if (cap - len - 1 == 0) {
			char *nb = realloc(buf, cap * 2);
			if (nb == NULL)
				free(buf);
			buf = nb;
			cap *= 2;
		}
	}
	close(fd);
	if (buf != NULL)
		buf[len] = '\0';
	return buf;
}

void sb_cg_detect(struct sb_cg_host *h)
{
	memset(h, 0, sizeof *h);
	/* Each read once: the kernel formats them anew on every open. */
	char *mi = slurp("/proc/self/mountinfo");
	char *cgt = slurp("/proc/self/cgroup");
	if (mi == NULL || cgt == NULL) {
		for (int i = 0; i < SB_CG_N; i++)
			snprintf(h->why[i], sizeof h->why[i], "cannot read /proc/self/%s",
				 mi == NULL ? "mountinfo" : "cgroup");
		free(mi);
		free(cgt);
		return;
	}
	struct mnt v2m;
	char v2dir[PATH_MAX] = "";
	char v2path[PATH_MAX];
	char subtree[512] = "", avail[512] = "";
	int v2root = 0;
	if (find_mount(mi, NULL, &v2m) == 0 && self_cgroup(cgt, NULL, v2path, sizeof v2path) == 0 &&
	    join(&v2m, v2path, v2dir, sizeof v2dir) == 0) {
		char p[PATH_MAX + 32];
		snprintf(p, sizeof p, "%s/cgroup.subtree_control", v2dir);
		(void)read_file(p, subtree, sizeof subtree);
		snprintf(p, sizeof p, "%s/cgroup.controllers", v2dir);
		(void)read_file(p, avail, sizeof avail);
		v2root = strcmp(v2path, "/") == 0;
	} else {
		v2dir[0] = '\0';
	}
	for (int i = 0; i < SB_CG_N; i++) {
		const char *c = ctl_name[i];
		if (v2dir[0] != '\0' &&
		    (has_word(subtree, c) || (v2root && has_word(avail, c)))) {
			h->version[i] = 2;
			snprintf(h->parent[i], sizeof h->parent[i], "%s", v2dir);
			continue;
		}
		struct mnt m;
		char path[PATH_MAX];
		if (find_mount(mi, c, &m) == 0 && self_cgroup(cgt, c, path, sizeof path) == 0 &&
		    join(&m, path, h->parent[i], sizeof h->parent[i]) == 0 &&
		    access(h->parent[i], W_OK) == 0) {
			h->version[i] = 1;
			continue;
		}
		h->parent[i][0] = '\0';
		snprintf(h->why[i], sizeof h->why[i],
			 "no writable v1 hierarchy and not delegated in v2%s%s",
			 v2dir[0] ? " at " : "", v2dir[0] ? v2dir : "");
	}
	free(mi);
	free(cgt);
}

/* Leaves of ward processes that were killed before they could clean up:
 * named ward-PID-N, PID no longer alive.  rmdir only succeeds on an empty
 * cgroup, so a live sandbox is never touched. */
static void reap_stale(const char *parent)
{
	DIR *d = opendir(parent);
	if (d == NULL)
		return;
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		long pid;
		unsigned n;
		if (strncmp(de->d_name, "ward-", 5) != 0 ||
		    sscanf(de->d_name + 5, "%ld-%u", &pid, &n) != 2 || pid <= 0)
			continue;
		if (kill((pid_t)pid, 0) == 0 || errno != ESRCH)
			continue;
		char p[PATH_MAX + 300];
		snprintf(p, sizeof p, "%s/%s", parent, de->d_name);
		(void)rmdir(p);
	}
	closedir(d);
}

static int write_str(const char *dir, const char *file, const char *val,
		     char *err, size_t errlen)
{
	char p[PATH_MAX + 64];
	snprintf(p, sizeof p, "%s/%s", dir, file);
	int fd = open(p, O_WRONLY | O_CLOEXEC);
	if (fd < 0) {
		sb_err(err, errlen, "cgroup: cannot open %s: %s", p, strerror(errno));
		return -1;
	}
	size_t n = strlen(val);
	ssize_t w = write(fd, val, n);
	int e = errno;
	close(fd);
	if (w != (ssize_t)n) {
		sb_err(err, errlen, "cgroup: cannot write '%s' to %s: %s", val, p,
		       w < 0 ? strerror(e) : "short write");
		return -1;
	}
	return 0;
}

void sb_cg_reap_stale(const struct sb_cg_host *h)
{
	for (int i = 0; i < SB_CG_N; i++) {
		int dup = 0;
		for (int j = 0; j < i; j++)
			if (strcmp(h->parent[j], h->parent[i]) == 0)
				dup = 1;
		if (h->version[i] != 0 && !dup)
			reap_stale(h->parent[i]);
	}
}

static void inst_init(struct sb_cg_inst *inst)
{
	memset(inst, 0, sizeof *inst);
	inst->v2_dirfd = -1;
	inst->lock_fd = -1;
	for (int i = 0; i < SB_CG_N; i++)
		inst->tasks_fd[i] = -1;
}

/* Makes (or, pooled, reuses) the leaves called name and sets the limits.
 * On failure, own leaves are removed; pooled ones stay for later. */
static int fill_leaves(const struct sb_cg_host *h, const struct ward_sb_config *cfg,
		       struct sb_cg_inst *inst, const char *name, int pooled, char *err,
		       size_t errlen)
{
	char val[64];
	for (int i = 0; i < SB_CG_N; i++) {
		if (h->version[i] == 0) {
			sb_err(err, errlen, "cgroup: the %s controller is unavailable (%s)",
			       ctl_name[i], h->why[i]);
			goto fail;
		}
		char leaf[PATH_MAX];
		int n = snprintf(leaf, sizeof leaf, "%s/%s", h->parent[i], name);
		if (n < 0 || (size_t)n >= sizeof leaf) {
			sb_err(err, errlen, "cgroup: path too long under %s", h->parent[i]);
			goto fail;
		}
		/* v2 controllers share one leaf. */
		int dup = 0;
		for (int j = 0; j < i; j++)
			if (strcmp(inst->leaf[j], leaf) == 0)
				dup = 1;
		if (!dup && mkdir(leaf, 0700) != 0 && !(pooled && errno == EEXIST)) {
			sb_err(err, errlen, "cgroup: cannot create %s: %s", leaf,
			       strerror(errno));
			goto fail;
		}
		snprintf(inst->leaf[i], sizeof inst->leaf[i], "%s", leaf);
		inst->nleaf = i + 1;
		int v2 = h->version[i] == 2;
		switch (i) {
		case SB_CG_MEMORY:
			snprintf(val, sizeof val, "%llu", (unsigned long long)cfg->memory_bytes);
			if (v2) {
				if (write_str(leaf, "memory.max", val, err, errlen) < 0 ||
				    write_str(leaf, "memory.swap.max", "0", err, errlen) < 0)
					goto fail;
			} else {
				char p[PATH_MAX + 64];
				snprintf(p, sizeof p, "%s/memory.memsw.limit_in_bytes", leaf);
				int memsw = access(p, F_OK) == 0;
				/* The limit may not exceed memsw: a reused leaf that had a
				 * lower one needs memsw raised first. */
				if (write_str(leaf, "memory.limit_in_bytes", val, NULL, 0) < 0 &&
				    (!memsw || write_str(leaf, "memory.memsw.limit_in_bytes", val,
							 err, errlen) < 0 ||
				     write_str(leaf, "memory.limit_in_bytes", val, err, errlen) < 0))
					goto fail;
				if (memsw && write_str(leaf, "memory.memsw.limit_in_bytes", val, err,
						       errlen) < 0)
					goto fail;
				if (pooled && write_str(leaf, "memory.max_usage_in_bytes", "0", err,
							errlen) < 0)
					goto fail;
			}
			break;
		case SB_CG_PIDS:
			snprintf(val, sizeof val, "%u", cfg->pids_max);
			if (write_str(leaf, "pids.max", val, err, errlen) < 0)
				goto fail;
			break;
		case SB_CG_CPU: {
			unsigned long quota = (unsigned long)cfg->cpu_percent * 1000ul;
			if (v2) {
				snprintf(val, sizeof val, "%lu 100000", quota);
				if (write_str(leaf, "cpu.max", val, err, errlen) < 0)
					goto fail;
			} else {
				snprintf(val, sizeof val, "%lu", quota);
				if (write_str(leaf, "cpu.cfs_period_us", "100000", err, errlen) < 0 ||
				    write_str(leaf, "cpu.cfs_quota_us", val, err, errlen) < 0)
					goto fail;
			}
			break;
		}
		}
		if (v2) {
			if (inst->v2_dirfd < 0)
				inst->v2_dirfd = open(leaf, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			if (inst->v2_dirfd < 0) {
				sb_err(err, errlen, "cgroup: cannot open %s: %s", leaf,
				       strerror(errno));
				goto fail;
			}
		} else {
			char p[PATH_MAX + 16];
			snprintf(p, sizeof p, "%s/tasks", leaf);
			inst->tasks_fd[i] = open(p, O_WRONLY | O_CLOEXEC);
			if (inst->tasks_fd[i] < 0) {
				sb_err(err, errlen, "cgroup: cannot open %s: %s", p,
				       strerror(errno));
				goto fail;
			}
		}
	}
	return 0;
fail:
	sb_cg_destroy(inst);
	return -1;
}

/* The pool: leaves called ward-pool-K, kept between spawns and between
 * ward processes, because making and removing v1 leaves costs more than
 * the rest of a spawn (a fresh leaf's first attach, and the offlining
 * work after rmdir that holds the cgroup lock).  A leaf is taken with an
 * exclusive flock on its pids directory, so one sandbox at a time uses it;
 * the lock goes with the process, so a killed ward frees it.  A leaf with
 * a process still in it (a killed ward's sandbox, dying) is skipped.  The
 * limits are written anew each time it is taken. */
#define SB_CG_POOL 16

static int claim_pooled(const struct sb_cg_host *h, const struct ward_sb_config *cfg,
			struct sb_cg_inst *inst)
{
	for (unsigned k = 0; k < SB_CG_POOL; k++) {
		char name[32], lp[PATH_MAX + 64], p[PATH_MAX + 96], buf[32];
		snprintf(name, sizeof name, "ward-pool-%u", k);
		snprintf(lp, sizeof lp, "%s/%s", h->parent[SB_CG_PIDS], name);
		int lfd = open(lp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (lfd < 0 && errno == ENOENT &&
		    (mkdir(lp, 0700) == 0 || errno == EEXIST))
			lfd = open(lp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (lfd < 0)
			return -1;
		if (flock(lfd, LOCK_EX | LOCK_NB) != 0) {
			close(lfd);
			continue;
		}
		snprintf(p, sizeof p, "%s/pids.current", lp);
		if (read_file(p, buf, sizeof buf) != 0 || buf[0] != '0' ||
		    strtoull(buf, NULL, 10) != 0) {
			close(lfd);
			continue;
		}
		inst_init(inst);
		inst->lock_fd = lfd;
		if (fill_leaves(h, cfg, inst, name, 1, NULL, 0) == 0)
			return 0; /* fill_leaves released the lock on failure */
	}
	return -1;
}

int sb_cg_create(const struct sb_cg_host *h, const struct ward_sb_config *cfg,
		 struct sb_cg_inst *inst, char *err, size_t errlen)
{
	static unsigned seq;
	int all_v1 = 1;
	for (int i = 0; i < SB_CG_N; i++)
		if (h->version[i] != 1)
			all_v1 = 0;
	/* v2 peaks cannot be reset for everyone: fresh leaves there. */
	if (all_v1 && claim_pooled(h, cfg, inst) == 0)
		return 0;
	/* Only leaves of this kind can be left behind by a killed ward (the
	 * pool's are meant to stay), so this is the time to remove those. */
	if (seq == 0)
		sb_cg_reap_stale(h);
	inst_init(inst);
	char name[64];
	snprintf(name, sizeof name, "ward-%ld-%u", (long)getpid(), seq++);
	return fill_leaves(h, cfg, inst, name, 0, err, errlen);
}



int sb_cg_enter_self(const struct sb_cg_inst *inst)
{
	for (int i = 0; i < SB_CG_N; i++)
		if (inst->tasks_fd[i] >= 0 && write(inst->tasks_fd[i], "0", 1) != 1)
			return -1;
	return 0;
}

void sb_cg_usage(const struct sb_cg_inst *inst, struct ward_sb_result *res)
{
	if (inst->nleaf <= SB_CG_MEMORY || inst->leaf[SB_CG_MEMORY][0] == '\0')
		return;
	char p[PATH_MAX + 64], buf[64];
	snprintf(p, sizeof p, "%s/memory.max_usage_in_bytes", inst->leaf[SB_CG_MEMORY]);
	if (read_file(p, buf, sizeof buf) != 0) {
		snprintf(p, sizeof p, "%s/memory.peak", inst->leaf[SB_CG_MEMORY]);
		if (read_file(p, buf, sizeof buf) != 0)
			return;
	}
	res->mem_peak_bytes = strtoull(buf, NULL, 10);
}

int sb_cg_recycle(struct sb_cg_inst *inst)
{
	/* v2 peaks cannot be reset for everyone: fresh leaves there. */
	if (inst->v2_dirfd >= 0 || inst->nleaf != SB_CG_N)
		return -1;
	for (int i = 0; i < SB_CG_N; i++)
		if (inst->leaf[i][0] == '\0' || inst->tasks_fd[i] < 0)
			return -1;
	char p[PATH_MAX + 64], buf[64];
	snprintf(p, sizeof p, "%s/pids.current", inst->leaf[SB_CG_PIDS]);
	if (read_file(p, buf, sizeof buf) != 0 || strtoull(buf, NULL, 10) != 0 ||
	    buf[0] != '0')
		return -1;
	if (write_str(inst->leaf[SB_CG_MEMORY], "memory.max_usage_in_bytes", "0", NULL, 0) != 0)
		return -1;
	return 0;
}

void sb_cg_destroy(struct sb_cg_inst *inst)
{
	for (int i = 0; i < SB_CG_N; i++)
		if (inst->tasks_fd[i] >= 0) {
			close(inst->tasks_fd[i]);
			inst->tasks_fd[i] = -1;
		}
	if (inst->v2_dirfd >= 0) {
		close(inst->v2_dirfd);
		inst->v2_dirfd = -1;
	}
	if (inst->lock_fd >= 0) {
		/* pooled: the leaves stay for the next sandbox */
		close(inst->lock_fd);
		inst->lock_fd = -1;
		memset(inst->leaf, 0, sizeof inst->leaf);
		inst->nleaf = 0;
		return;
	}
	for (int i = inst->nleaf - 1; i >= 0; i--) {
		if (inst->leaf[i][0] == '\0')
			continue;
		/* The last processes of the namespace may still be exiting. */
		for (int t = 0; t < 200; t++) {
			if (rmdir(inst->leaf[i]) == 0 || errno == ENOENT)
				break;
			if (errno != EBUSY)
				break;
			struct timespec ts = { 0, 1000000 };
			nanosleep(&ts, NULL);
		}
		for (int j = 0; j < i; j++)
			if (strcmp(inst->leaf[j], inst->leaf[i]) == 0)
				inst->leaf[j][0] = '\0';
		inst->leaf[i][0] = '\0';
	}
	inst->nleaf = 0;
}
