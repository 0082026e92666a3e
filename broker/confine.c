/*
 * confine.c -- the broker's own profile, applied after start-up (wb.h).
 * The broker is untrusted and parses everything agents send, so a bug in
 * it must not hand an agent the host: after this it cannot execute a
 * program, open a non-unix socket, create namespaces, mount, trace, load
 * modules or BPF, and it can only touch the files beneath the folders it
 * serves (Landlock).  Sandboxes are built by the spawner, forked before.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/landlock.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <seccomp.h>

#include "wb.h"

#define LL_READ (LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR)
#define LL_WRITE (LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_REMOVE_DIR | \
	LANDLOCK_ACCESS_FS_REMOVE_FILE | LANDLOCK_ACCESS_FS_MAKE_CHAR | \
	LANDLOCK_ACCESS_FS_MAKE_DIR | LANDLOCK_ACCESS_FS_MAKE_REG | \
	LANDLOCK_ACCESS_FS_MAKE_SOCK | LANDLOCK_ACCESS_FS_MAKE_FIFO | \
	LANDLOCK_ACCESS_FS_MAKE_BLOCK | LANDLOCK_ACCESS_FS_MAKE_SYM)
#define LL_ALL (LL_READ | LL_WRITE | LANDLOCK_ACCESS_FS_EXECUTE)

static int
add_rule(int rs, const char *path, uint64_t access, char *err, size_t errlen)
{
	struct landlock_path_beneath_attr pb;
	int fd = open(path, O_PATH | O_CLOEXEC);
	int rc;

	if (fd < 0) {
		snprintf(err, errlen, "cannot open %s for a Landlock rule: %s", path,
			 strerror(errno));
		return -1;
	}
	memset(&pb, 0, sizeof pb);
	pb.parent_fd = fd;
	pb.allowed_access = access;
	rc = (int)syscall(SYS_landlock_add_rule, rs, LANDLOCK_RULE_PATH_BENEATH,
			  &pb, 0);
	if (rc != 0 && errno == EINVAL) {
		/* A file, not a folder: only file rights apply. */
		pb.allowed_access = access & (LANDLOCK_ACCESS_FS_READ_FILE |
					      LANDLOCK_ACCESS_FS_WRITE_FILE);
		rc = (int)syscall(SYS_landlock_add_rule, rs,
				  LANDLOCK_RULE_PATH_BENEATH, &pb, 0);
	}
	close(fd);
	if (rc != 0) {
		snprintf(err, errlen, "Landlock rule for %s: %s", path,
			 strerror(errno));
		return -1;
	}
	return 0;
}

static int
landlock(const char *const *rw, const char *const *ro, char *err, size_t errlen)
{
	struct landlock_ruleset_attr ra;
	int rs, i;

	memset(&ra, 0, sizeof ra);
	ra.handled_access_fs = LL_ALL;
	rs = (int)syscall(SYS_landlock_create_ruleset, &ra, sizeof ra, 0);
	if (rs < 0) {
		snprintf(err, errlen, "Landlock is not available (%s); the broker "
			 "will not run unconfined", strerror(errno));
		return -1;
	}
	for (i = 0; rw[i] != NULL; i++)
		if (add_rule(rs, rw[i], LL_READ | LL_WRITE, err, errlen) != 0)
			goto fail;
	for (i = 0; ro[i] != NULL; i++)
		if (add_rule(rs, ro[i], LL_READ, err, errlen) != 0)
			goto fail;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
	    syscall(SYS_landlock_restrict_self, rs, 0) != 0) {
		snprintf(err, errlen, "landlock_restrict_self: %s", strerror(errno));
		goto fail;
	}
	close(rs);
	return 0;
fail:
	close(rs);
	return -1;
}

static int
seccomp(char *err, size_t errlen)
{
	static const int kill_these[] = {
		SCMP_SYS(execve), SCMP_SYS(execveat), SCMP_SYS(ptrace),
		SCMP_SYS(mount), SCMP_SYS(umount2), SCMP_SYS(pivot_root),
		SCMP_SYS(chroot), SCMP_SYS(unshare), SCMP_SYS(setns),
		SCMP_SYS(init_module), SCMP_SYS(finit_module),
		SCMP_SYS(delete_module), SCMP_SYS(kexec_load),
		SCMP_SYS(kexec_file_load), SCMP_SYS(bpf),
		SCMP_SYS(perf_event_open), SCMP_SYS(keyctl), SCMP_SYS(add_key),
		SCMP_SYS(request_key), SCMP_SYS(userfaultfd),
		SCMP_SYS(io_uring_setup), SCMP_SYS(io_uring_enter),
		SCMP_SYS(io_uring_register), SCMP_SYS(process_vm_readv),
		SCMP_SYS(process_vm_writev), SCMP_SYS(open_by_handle_at),
		SCMP_SYS(name_to_handle_at), SCMP_SYS(fsopen), SCMP_SYS(fsmount),
		SCMP_SYS(fsconfig), SCMP_SYS(move_mount), SCMP_SYS(open_tree),
		SCMP_SYS(mount_setattr), SCMP_SYS(reboot), SCMP_SYS(swapon),
		SCMP_SYS(swapoff), SCMP_SYS(setuid), SCMP_SYS(setgid),
		SCMP_SYS(setreuid), SCMP_SYS(setresuid), SCMP_SYS(setregid),
		SCMP_SYS(setresgid), SCMP_SYS(setgroups), SCMP_SYS(acct),
		SCMP_SYS(quotactl), SCMP_SYS(iopl), SCMP_SYS(ioperm),
		SCMP_SYS(personality), SCMP_SYS(kcmp), SCMP_SYS(pidfd_getfd),
	};
	scmp_filter_ctx f = seccomp_init(SCMP_ACT_ALLOW);
	size_t i;
	int rc = 0;

	if (f == NULL) {
		snprintf(err, errlen, "seccomp_init failed");
		return -1;
	}
	/* Other ABIs than ours are a way around any filter. */
	rc |= seccomp_attr_set(f, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
	for (i = 0; i < sizeof kill_these / sizeof kill_these[0]; i++)
		rc |= seccomp_rule_add(f, SCMP_ACT_KILL_PROCESS, kill_these[i], 0);
	/* Unix sockets only: no network, no netlink, no raw packets. */
	rc |= seccomp_rule_add(f, SCMP_ACT_ERRNO(EAFNOSUPPORT), SCMP_SYS(socket), 1,
			       SCMP_A0(SCMP_CMP_NE, AF_UNIX));
	/* No namespaces through clone either; clone3 cannot be inspected, so
	 * it says ENOSYS and the C library falls back to clone. */
	rc |= seccomp_rule_add(f, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
	rc |= seccomp_rule_add(f, SCMP_ACT_KILL_PROCESS, SCMP_SYS(clone), 1,
			       SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_NEWNS, CLONE_NEWNS));
	rc |= seccomp_rule_add(f, SCMP_ACT_KILL_PROCESS, SCMP_SYS(clone), 1,
			       SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_NEWUSER, CLONE_NEWUSER));
	rc |= seccomp_rule_add(f, SCMP_ACT_KILL_PROCESS, SCMP_SYS(clone), 1,
			       SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_NEWNET, CLONE_NEWNET));
	rc |= seccomp_rule_add(f, SCMP_ACT_KILL_PROCESS, SCMP_SYS(clone), 1,
			       SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_NEWPID, CLONE_NEWPID));
	if (rc != 0 || seccomp_load(f) != 0) {
		snprintf(err, errlen, "cannot load the broker's seccomp filter");
		seccomp_release(f);
		return -1;
	}
	seccomp_release(f);
	return 0;
}

int
wb_confine(const char *const *rw, const char *const *ro, char *err,
	   size_t errlen)
{
	if (landlock(rw, ro, err, errlen) != 0)
		return -1;
	return seccomp(err, errlen);
}
