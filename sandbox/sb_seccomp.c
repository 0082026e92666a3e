/*
 * sb_seccomp.c -- the seccomp ring: an allowlist built with libseccomp,
 * compiled once per ward_sb_prepare() and loaded by each child as raw BPF
 * (no libseccomp work after fork).
 *
 * Only the native architecture (x86_64) is in the filter, so an i386
 * (int 0x80) or x32 system call takes the bad-architecture action: the
 * process is killed.  Whatever is not listed fails with ENOSYS, which lets
 * libc fall back (clone3 -> clone, for instance).  The calls that the
 * issue names are refused explicitly with EPERM so the refusal is visible.
 * clone3 is deliberately left to ENOSYS: its flags sit behind a pointer the
 * filter cannot read, and glibc (so every threaded program, node included)
 * falls back to clone only on ENOSYS; clone's flags are checked below.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sb_internal.h"

/* Plain allow, no argument checks.  Everything a shell, coreutils, python
 * or node needs, and nothing that reaches outside the namespaces. */
static const char *const allow_plain[] = {
	"read", "write", "readv", "writev", "pread64", "pwrite64", "preadv",
	"pwritev", "preadv2", "pwritev2", "open", "openat", "close",
	"close_range", "creat", "stat", "fstat", "lstat", "newfstatat", "statx",
	"statfs", "fstatfs", "lseek", "mmap", "mprotect", "munmap", "mremap",
	"msync", "mincore", "madvise", "brk", "rt_sigaction", "rt_sigprocmask",
	"rt_sigreturn", "rt_sigpending", "rt_sigtimedwait", "rt_sigqueueinfo",
	"rt_tgsigqueueinfo", "rt_sigsuspend", "sigaltstack", "ioctl",
	"access", "faccessat", "faccessat2", "pipe", "pipe2", "select",
	"pselect6", "poll", "ppoll", "epoll_create", "epoll_create1",
	"epoll_ctl", "epoll_wait", "epoll_pwait", "epoll_pwait2", "sched_yield",
	"dup", "dup2", "dup3", "pause", "nanosleep", "clock_nanosleep",
	"getitimer", "setitimer", "alarm", "getpid", "gettid", "getppid",
	"sendfile", "accept", "accept4", "recvfrom", "recvmsg", "recvmmsg",
	"shutdown", "bind", "listen", "getsockname", "getpeername",
	"setsockopt", "getsockopt", "clone", "fork", "vfork", "execve",
	"execveat", "exit", "exit_group", "wait4", "waitid", "kill", "tkill",
	"tgkill", "uname", "fcntl", "flock", "fsync", "fdatasync", "syncfs",
	"sync_file_range", "truncate", "ftruncate", "fallocate", "getdents",
	"getdents64", "getcwd", "chdir", "fchdir", "rename", "renameat",
	"renameat2", "mkdir", "mkdirat", "rmdir", "link", "linkat", "unlink",
	"unlinkat", "symlink", "symlinkat", "readlink", "readlinkat", "chmod",
	"fchmod", "fchmodat", "chown", "fchown", "lchown", "fchownat", "umask",
	"mknod", "mknodat", "gettimeofday", "time", "clock_gettime",
	"clock_getres", "getrlimit", "setrlimit", "prlimit64", "getrusage",
	"sysinfo", "times", "getuid", "getgid", "geteuid", "getegid", "setuid",
	"setgid", "setreuid", "setregid", "setresuid", "setresgid",
	"getresuid", "getresgid", "getgroups", "setgroups", "setfsuid",
	"setfsgid", "setpgid", "getpgid", "getpgrp", "setsid", "getsid",
	"capget", "capset", "utime", "utimes", "utimensat", "futimesat",
	"getpriority", "setpriority", "sched_setparam", "sched_getparam",
	"sched_setscheduler", "sched_getscheduler", "sched_get_priority_max",
	"sched_get_priority_min", "sched_rr_get_interval", "sched_setaffinity",
	"sched_getaffinity", "sched_setattr", "sched_getattr", "mlock",
	"mlock2", "munlock", "mlockall", "munlockall", "prctl", "arch_prctl",
	"readahead", "getxattr", "lgetxattr", "fgetxattr", "listxattr",
	"llistxattr", "flistxattr", "setxattr", "lsetxattr", "fsetxattr",
	"removexattr", "lremovexattr", "fremovexattr", "futex", "futex_waitv",
	"set_robust_list", "get_robust_list", "set_tid_address",
	"restart_syscall", "fadvise64", "timer_create", "timer_settime",
	"timer_gettime", "timer_getoverrun", "timer_delete", "timerfd_create",
	"timerfd_settime", "timerfd_gettime", "signalfd", "signalfd4",
	"eventfd", "eventfd2", "inotify_init", "inotify_init1",
	"inotify_add_watch", "inotify_rm_watch", "splice", "tee", "vmsplice",
	"copy_file_range", "getrandom", "memfd_create", "membarrier", "rseq",
	"getcpu", "pidfd_open", "pidfd_send_signal", "get_mempolicy",
	"set_mempolicy", "mbind", "pkey_alloc", "pkey_free", "pkey_mprotect",
	"shmget", "shmat", "shmdt", "shmctl", "semget", "semop", "semtimedop",
	"semctl", "msgget", "msgsnd", "msgrcv", "msgctl", "mq_open",
	"mq_unlink", "mq_timedsend", "mq_timedreceive", "mq_notify",
	"mq_getsetattr", "io_setup", "io_destroy", "io_submit", "io_cancel",
	"io_getevents", "io_pgetevents", "landlock_create_ruleset",
	"landlock_add_rule", "landlock_restrict_self", "seccomp",
	"socketpair", "unshare",
};

/* Refused with EPERM: the calls the threat model names. */
static const char *const deny_eperm[] = {
	/* io_uring bypasses the seccomp view of system calls */
	"io_uring_setup", "io_uring_enter", "io_uring_register",
	/* namespaces and the mount table */
	"setns", "mount", "umount2", "pivot_root", "chroot",
	"move_mount", "open_tree", "fsopen", "fsconfig", "fsmount", "fspick",
	"mount_setattr",
	/* kernel attack surface */
	"bpf", "perf_event_open", "userfaultfd", "add_key", "request_key",
	"keyctl",
	/* other processes' memory */
	"ptrace", "process_vm_readv", "process_vm_writev", "process_madvise",
	"pidfd_getfd", "kcmp",
	/* takes its mode behind a pointer, so the setuid check cannot see it;
	 * libc does not need it */
	"openat2", "fchmodat2",
	/* the machine itself */
	"kexec_load", "kexec_file_load", "init_module", "finit_module",
	"delete_module", "open_by_handle_at", "name_to_handle_at",
	"clock_settime", "clock_adjtime", "settimeofday", "adjtimex",
	"sethostname", "setdomainname", "iopl", "ioperm", "reboot", "swapon",
	"swapoff", "acct", "quotactl", "syslog", "vhangup", "modify_ldt",
	"uselib", "ustat", "sysfs", "lookup_dcookie", "fanotify_init",
	"migrate_pages", "move_pages", "memfd_secret", "nfsservctl",
};

/* clone/unshare flags that create namespaces: refused. */
static const uint64_t ns_flags[] = {
	CLONE_NEWUSER, CLONE_NEWNS, CLONE_NEWPID, CLONE_NEWNET, CLONE_NEWUTS,
	CLONE_NEWIPC, CLONE_NEWCGROUP,
};

static int add(scmp_filter_ctx c, uint32_t act, const char *name,
	       unsigned n, const struct scmp_arg_cmp *cmp, char *err,
	       size_t errlen)
{
	int nr = seccomp_syscall_resolve_name(name);
	if (nr == __NR_SCMP_ERROR)
		return 0; /* unknown to this libseccomp: stays denied */
	int rc = seccomp_rule_add_array(c, act, nr, n, cmp);
	if (rc < 0) {
		sb_err(err, errlen, "seccomp: cannot add the rule for %s: %s",
		       name, strerror(-rc));
		return -1;
	}
	return 0;
}

static int add1(scmp_filter_ctx c, uint32_t act, const char *name,
		struct scmp_arg_cmp a, char *err, size_t errlen)
{
	return add(c, act, name, 1, &a, err, errlen);
}

static int add2(scmp_filter_ctx c, uint32_t act, const char *name,
		struct scmp_arg_cmp a, struct scmp_arg_cmp b, char *err,
		size_t errlen)
{
	struct scmp_arg_cmp v[2] = { a, b };
	return add(c, act, name, 2, v, err, errlen);
}

static int export_bpf(scmp_filter_ctx c, struct sock_fprog *out, char *err,
		      size_t errlen)
{
	int fd = memfd_create("ward-seccomp", MFD_CLOEXEC);
	if (fd < 0) {
		sb_err(err, errlen, "seccomp: memfd_create: %s", strerror(errno));
		return -1;
	}
	int rc = seccomp_export_bpf(c, fd);
	off_t len = lseek(fd, 0, SEEK_END);
	if (rc < 0 || len <= 0 || len % (off_t)sizeof(struct sock_filter) != 0 ||
	    len > 65536 * (off_t)sizeof(struct sock_filter)) {
		sb_err(err, errlen, "seccomp: cannot export the filter (%s)",
		       rc < 0 ? strerror(-rc) : "bad length");
		close(fd);
		return -1;
	}
	struct sock_filter *prog = malloc((size_t)len);
	if (prog == NULL || pread(fd, prog, (size_t)len, 0) != len) {
		sb_err(err, errlen, "seccomp: cannot read the exported filter");
		free(prog);
		close(fd);
		return -1;
	}
	close(fd);
	out->filter = prog;
	out->len = (unsigned short)(len / (off_t)sizeof(struct sock_filter));
	return 0;
}

static int build_main(struct sock_fprog *out, char *err, size_t errlen)
{
	int ret = -1;
	scmp_filter_ctx c = seccomp_init(SCMP_ACT_ERRNO(ENOSYS));
	if (c == NULL) {
		sb_err(err, errlen, "seccomp: seccomp_init failed");
		return -1;
	}
	/* i386 and x32 are not in the filter: calling them kills. */
	/* A binary tree of syscall numbers, not a linear list: fewer
	 * instructions per call, and the kernel's per-syscall cache is
	 * computed faster at load time. */
	if (seccomp_attr_set(c, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS) < 0 ||
	    seccomp_attr_set(c, SCMP_FLTATR_CTL_NNP, 0) < 0 ||
	    seccomp_attr_set(c, SCMP_FLTATR_CTL_OPTIMIZE, 2) < 0)
		goto out;
	for (size_t i = 0; i < sizeof allow_plain / sizeof *allow_plain; i++)
		if (add(c, SCMP_ACT_ALLOW, allow_plain[i], 0, NULL, err, errlen) < 0)
			goto out;
	for (size_t i = 0; i < sizeof deny_eperm / sizeof *deny_eperm; i++)
		if (add(c, SCMP_ACT_ERRNO(EPERM), deny_eperm[i], 0, NULL, err, errlen) < 0)
			goto out;

	/* socket(): AF_UNIX; AF_INET and AF_INET6 (only in the empty network
	 * namespace, their connect/send is reported and refused below, raw
	 * types are refused by the guard).  Every other family: EAFNOSUPPORT. */
	static const int fam_ok[] = { AF_UNIX, AF_INET, AF_INET6 };
	for (size_t i = 0; i < 3; i++)
		if (add1(c, SCMP_ACT_ALLOW, "socket",
			 SCMP_A0(SCMP_CMP_EQ, (uint64_t)fam_ok[i]), err, errlen) < 0)
			goto out;
	for (int f = 0; f < 11; f++) {
		if (f == AF_UNIX || f == AF_INET || f == AF_INET6)
			continue;
		if (add1(c, SCMP_ACT_ERRNO(EAFNOSUPPORT), "socket",
			 SCMP_A0(SCMP_CMP_EQ, (uint64_t)f), err, errlen) < 0)
			goto out;
	}
	if (add1(c, SCMP_ACT_ERRNO(EAFNOSUPPORT), "socket",
		 SCMP_A0(SCMP_CMP_GE, 11), err, errlen) < 0)
		goto out;

	/* Network attempts go to the supervisor, which reports them. */
	if (add(c, SCMP_ACT_NOTIFY, "connect", 0, NULL, err, errlen) < 0 ||
	    add(c, SCMP_ACT_NOTIFY, "sendmsg", 0, NULL, err, errlen) < 0 ||
	    add(c, SCMP_ACT_NOTIFY, "sendmmsg", 0, NULL, err, errlen) < 0)
		goto out;
	/* sendto() without an address is a plain write on a connected socket.
	 * The notification must come from this filter: a listener belongs to
	 * the filter it was created with. */
	if (add1(c, SCMP_ACT_ALLOW, "sendto", SCMP_A4(SCMP_CMP_EQ, 0), err, errlen) < 0 ||
	    add1(c, SCMP_ACT_NOTIFY, "sendto", SCMP_A4(SCMP_CMP_NE, 0), err, errlen) < 0)
		goto out;
	/* personality: only the query and plain Linux. */
	if (add1(c, SCMP_ACT_ALLOW, "personality", SCMP_A0(SCMP_CMP_EQ, 0), err, errlen) < 0 ||
	    add1(c, SCMP_ACT_ALLOW, "personality",
		 SCMP_A0(SCMP_CMP_EQ, 0xffffffffu), err, errlen) < 0)
		goto out;
	ret = export_bpf(c, out, err, errlen);
out:
	if (ret < 0 && err[0] == '\0')
		sb_err(err, errlen, "seccomp: cannot configure the filter");
	seccomp_release(c);
	return ret;
}

static int build_guard(struct sock_fprog *out, char *err, size_t errlen)
{
	int ret = -1;
	scmp_filter_ctx c = seccomp_init(SCMP_ACT_ALLOW);
	if (c == NULL) {
		sb_err(err, errlen, "seccomp: seccomp_init failed");
		return -1;
	}
	if (seccomp_attr_set(c, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS) < 0 ||
	    seccomp_attr_set(c, SCMP_FLTATR_CTL_NNP, 0) < 0)
		goto out;
	/* ioctl's request is an unsigned int: compare the low 32 bits only,
	 * so junk in the high bits cannot slip TIOCSTI past the filter. */
	if (add1(c, SCMP_ACT_ERRNO(EPERM), "ioctl",
		 SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffu, TIOCSTI), err, errlen) < 0 ||
	    add1(c, SCMP_ACT_ERRNO(EPERM), "ioctl",
		 SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffu, TIOCLINUX), err, errlen) < 0)
		goto out;
	/* No namespaces from inside: clone and unshare with any CLONE_NEW*. */
	for (size_t i = 0; i < sizeof ns_flags / sizeof *ns_flags; i++) {
		if (add1(c, SCMP_ACT_ERRNO(EPERM), "clone",
			 SCMP_A0(SCMP_CMP_MASKED_EQ, ns_flags[i], ns_flags[i]), err, errlen) < 0 ||
		    add1(c, SCMP_ACT_ERRNO(EPERM), "unshare",
			 SCMP_A0(SCMP_CMP_MASKED_EQ, ns_flags[i], ns_flags[i]), err, errlen) < 0)
			goto out;
	}
	/* unshare(CLONE_NEWTIME) (0x80 is part of CSIGNAL for clone). */
	if (add1(c, SCMP_ACT_ERRNO(EPERM), "unshare",
		 SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_NEWTIME, CLONE_NEWTIME), err, errlen) < 0)
		goto out;
	/* No set-user-ID or set-group-ID bits: the workspace is idmapped to
	 * its host owner, so a setuid file made here would be the owner's
	 * (root's, often) on the host.  Every call that takes a mode. */
	static const struct { const char *name; unsigned arg; } modes[] = {
		{ "chmod", 1 }, { "fchmod", 1 }, { "fchmodat", 2 }, { "open", 2 },
		{ "openat", 3 }, { "creat", 1 }, { "mkdir", 1 }, { "mkdirat", 2 },
		{ "mknod", 1 }, { "mknodat", 2 },
	};
	for (size_t i = 0; i < sizeof modes / sizeof *modes; i++)
		for (unsigned b = 0; b < 2; b++) {
			uint64_t bit = b ? S_ISGID : S_ISUID;
			if (add1(c, SCMP_ACT_ERRNO(EPERM), modes[i].name,
				 SCMP_CMP(modes[i].arg, SCMP_CMP_MASKED_EQ, bit, bit),
				 err, errlen) < 0)
				goto out;
		}
	/* Raw and packet-like inet sockets. */
	static const int inet[] = { AF_INET, AF_INET6 };
	static const int bad_types[] = { SOCK_RAW, SOCK_SEQPACKET, SOCK_RDM, SOCK_PACKET };
	for (size_t i = 0; i < 2; i++)
		for (size_t t = 0; t < 4; t++)
			if (add2(c, SCMP_ACT_ERRNO(EPERM), "socket",
				 SCMP_A0(SCMP_CMP_EQ, (uint64_t)inet[i]),
				 SCMP_A1(SCMP_CMP_MASKED_EQ, 0xf, (uint64_t)bad_types[t]),
				 err, errlen) < 0)
				goto out;
	/* socketpair: AF_UNIX is the only family that has it anyway. */
	if (add1(c, SCMP_ACT_ERRNO(EAFNOSUPPORT), "socketpair",
		 SCMP_A0(SCMP_CMP_NE, AF_UNIX), err, errlen) < 0)
		goto out;
	/* Device nodes. */
	if (add1(c, SCMP_ACT_ERRNO(EPERM), "mknod",
		 SCMP_A1(SCMP_CMP_MASKED_EQ, S_IFMT, S_IFCHR), err, errlen) < 0 ||
	    add1(c, SCMP_ACT_ERRNO(EPERM), "mknod",
		 SCMP_A1(SCMP_CMP_MASKED_EQ, S_IFMT, S_IFBLK), err, errlen) < 0 ||
	    add1(c, SCMP_ACT_ERRNO(EPERM), "mknodat",
		 SCMP_A2(SCMP_CMP_MASKED_EQ, S_IFMT, S_IFCHR), err, errlen) < 0 ||
	    add1(c, SCMP_ACT_ERRNO(EPERM), "mknodat",
		 SCMP_A2(SCMP_CMP_MASKED_EQ, S_IFMT, S_IFBLK), err, errlen) < 0)
		goto out;
	ret = export_bpf(c, out, err, errlen);
out:
	if (ret < 0 && err[0] == '\0')
		sb_err(err, errlen, "seccomp: cannot configure the guard filter");
	seccomp_release(c);
	return ret;
}

/* Baked at build time by gen_filter (which itself links empty ones). */
extern const struct sock_filter sb_baked_main[], sb_baked_guard[];
extern const unsigned short sb_baked_main_len, sb_baked_guard_len;

static int copy_prog(struct sock_fprog *out, const struct sock_filter *src, unsigned short len)
{
	out->filter = malloc(len * sizeof *src);
	if (out->filter == NULL)
		return -1;
	memcpy(out->filter, src, len * sizeof *src);
	out->len = len;
	return 0;
}

int sb_seccomp_build(struct sb_filters *f, char *err, size_t errlen)
{
	memset(f, 0, sizeof *f);
	if (sb_baked_main_len > 0 && sb_baked_guard_len > 0) {
		if (copy_prog(&f->main, sb_baked_main, sb_baked_main_len) < 0 ||
		    copy_prog(&f->guard, sb_baked_guard, sb_baked_guard_len) < 0) {
			sb_seccomp_free(f);
			sb_err(err, errlen, "out of memory");
			return -1;
		}
		return 0;
	}
	return sb_seccomp_compile(f, err, errlen);
}

int sb_seccomp_baked_matches(void)
{
	if (sb_baked_main_len == 0 || sb_baked_guard_len == 0)
		return -1;
	struct sb_filters fresh;
	char err[256];
	if (sb_seccomp_compile(&fresh, err, sizeof err) < 0)
		return 0;
	int same = fresh.main.len == sb_baked_main_len &&
		   fresh.guard.len == sb_baked_guard_len &&
		   memcmp(fresh.main.filter, sb_baked_main,
			  sb_baked_main_len * sizeof *sb_baked_main) == 0 &&
		   memcmp(fresh.guard.filter, sb_baked_guard,
			  sb_baked_guard_len * sizeof *sb_baked_guard) == 0;
	sb_seccomp_free(&fresh);
	return same;
}

int sb_seccomp_compile(struct sb_filters *f, char *err, size_t errlen)
{
	memset(f, 0, sizeof *f);
	if (build_main(&f->main, err, errlen) < 0)
		return -1;
	if (build_guard(&f->guard, err, errlen) < 0) {
		sb_seccomp_free(f);
		return -1;
	}
	return 0;
}

void sb_seccomp_free(struct sb_filters *f)
{
	free(f->main.filter);
	free(f->guard.filter);
	memset(f, 0, sizeof *f);
}

int sb_seccomp_install(const struct sb_filters *f)
{
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &f->guard) != 0)
		return -1;
	long fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
			  SECCOMP_FILTER_FLAG_NEW_LISTENER, &f->main);
	return (int)fd;
}
