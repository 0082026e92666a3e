/*
 * sb_probe.c -- what the host offers, for 'ward sandbox --probe'.  Each
 * feature is tried for real (a user namespace created, an idmapped mount
 * set up and thrown away), not guessed from version numbers.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sb_internal.h"

static int try_userns(int *err_out)
{
	struct clone_args ca = {
		.flags = CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET |
			 CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWCGROUP,
		.exit_signal = SIGCHLD,
	};
	pid_t pid = (pid_t)syscall(SYS_clone3, &ca, sizeof ca);
	if (pid < 0) {
		*err_out = errno;
		return 0;
	}
	if (pid == 0)
		_exit(0);
	int st;
	(void)waitpid(pid, &st, 0);
	return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

static int try_idmap(const char *dir)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) != 0)
		return 0;
	struct clone_args ca = { .flags = CLONE_NEWUSER, .exit_signal = SIGCHLD };
	pid_t pid = (pid_t)syscall(SYS_clone3, &ca, sizeof ca);
	if (pid == 0) {
		char c;
		close(p[1]);
		_exit(read(p[0], &c, 1) < 0 ? 1 : 0);
	}
	close(p[0]);
	int ok = 0;
	if (pid > 0) {
		char path[64];
		snprintf(path, sizeof path, "/proc/%ld/uid_map", (long)pid);
		int fd = open(path, O_WRONLY | O_CLOEXEC);
		if (fd >= 0) {
			ok = write(fd, "0 2000000000 1\n", 15) == 15;
			close(fd);
		}
		snprintf(path, sizeof path, "/proc/%ld/gid_map", (long)pid);
		fd = open(path, O_WRONLY | O_CLOEXEC);
		if (fd >= 0) {
			ok = ok && write(fd, "0 2000000000 1\n", 15) == 15;
			close(fd);
		}
		snprintf(path, sizeof path, "/proc/%ld/ns/user", (long)pid);
		int ufd = ok ? open(path, O_RDONLY | O_CLOEXEC) : -1;
		int tfd = open_tree(AT_FDCWD, dir, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
		ok = 0;
		if (ufd >= 0 && tfd >= 0) {
			struct mount_attr a = { .attr_set = MOUNT_ATTR_IDMAP,
						.userns_fd = (uint64_t)ufd };
			ok = mount_setattr(tfd, "", AT_EMPTY_PATH, &a, sizeof a) == 0;
		}
		if (ufd >= 0)
			close(ufd);
		if (tfd >= 0)
			close(tfd);
	}
	close(p[1]);
	if (pid > 0)
		(void)waitpid(pid, NULL, 0);
	return ok;
}

void ward_sb_probe_host(struct ward_sb_probe *p, const char *workspace)
{
	memset(p, 0, sizeof *p);
	p->landlock_abi = sb_landlock_abi();
	if (p->landlock_abi < 0)
		p->landlock_errno = errno;
	p->seccomp_filter = prctl(PR_GET_SECCOMP, 0, 0, 0, 0) >= 0 &&
			    syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0,
				    &(uint32_t){ SECCOMP_RET_KILL_PROCESS }) == 0;
	struct seccomp_notif_sizes sz;
	p->seccomp_notify = syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sz) == 0 &&
			    syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0,
				    &(uint32_t){ SECCOMP_RET_USER_NOTIF }) == 0;
	p->userns = try_userns(&p->userns_errno);
	p->filter_baked = sb_seccomp_baked_matches();
	p->idmap = try_idmap(workspace != NULL ? workspace : "/");

	struct sb_cg_host h;
	sb_cg_detect(&h);
	char *outs[SB_CG_N] = { p->cgroup_memory, p->cgroup_pids, p->cgroup_cpu };
	static const char *const names[SB_CG_N] = { "memory", "pids", "cpu" };
	size_t off = 0;
	for (int i = 0; i < SB_CG_N; i++) {
		if (h.version[i] != 0)
			snprintf(outs[i], 16, "v%d", h.version[i]);
		int n = snprintf(p->cgroup_detail + off, sizeof p->cgroup_detail - off,
				 "%s%s: %s", i ? "\n" : "", names[i],
				 h.version[i] ? h.parent[i] : h.why[i]);
		if (n > 0 && (size_t)n < sizeof p->cgroup_detail - off)
			off += (size_t)n;
	}
}
