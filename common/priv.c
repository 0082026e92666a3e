/*
 * priv.c -- accounts, clean daemon start, and whole-process confinement.
 * See priv.h.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/landlock.h>
#include <pwd.h>
#include <sched.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <seccomp.h>

#include "priv.h"
#include "text.h"

/* The Landlock ABI of this kernel may be newer than the headers of the
 * build machine (Debian 12 ships 6.1's): the fields and flags used here
 * are spelled out with their ABI numbers. */
struct wp_ll_attr {
	uint64_t handled_access_fs;
	uint64_t handled_access_net;	/* ABI 4 */
	uint64_t scoped;		/* ABI 6 */
};
#define WP_LL_REFER (1ULL << 13)		/* ABI 2 */
#define WP_LL_TRUNCATE (1ULL << 14)		/* ABI 3 */
#define WP_LL_IOCTL_DEV (1ULL << 15)		/* ABI 5 */
#define WP_LL_NET_BIND_TCP (1ULL << 0)		/* ABI 4 */
#define WP_LL_NET_CONNECT_TCP (1ULL << 1)	/* ABI 4 */
#define WP_LL_SCOPE_ABSTRACT_UNIX (1ULL << 0)	/* ABI 6 */
#define WP_LL_SCOPE_SIGNAL (1ULL << 1)		/* ABI 6 */
#ifndef LANDLOCK_CREATE_RULESET_VERSION
#define LANDLOCK_CREATE_RULESET_VERSION (1U << 0)
#endif

#define LL_READ (LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR)
#define LL_WRITE (LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_REMOVE_DIR | \
	LANDLOCK_ACCESS_FS_REMOVE_FILE | LANDLOCK_ACCESS_FS_MAKE_CHAR | \
	LANDLOCK_ACCESS_FS_MAKE_DIR | LANDLOCK_ACCESS_FS_MAKE_REG | \
	LANDLOCK_ACCESS_FS_MAKE_SOCK | LANDLOCK_ACCESS_FS_MAKE_FIFO | \
	LANDLOCK_ACCESS_FS_MAKE_BLOCK | LANDLOCK_ACCESS_FS_MAKE_SYM)
#define LL_FILE (LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_WRITE_FILE | \
	LANDLOCK_ACCESS_FS_EXECUTE | WP_LL_TRUNCATE | WP_LL_IOCTL_DEV)

int
wp_account(const char *name, uid_t *uid, gid_t *gid, char *err, size_t errlen)
{
	struct passwd *pw;

	errno = 0;
	pw = getpwnam(name);
	if (pw == NULL)
		return text_err(err, errlen, "there is no account %s (%s): run 'ward "
			    "init' or tools/install-deps as root to create it",
			    name, errno ? strerror(errno) : "not in the user database");
	if (pw->pw_uid == 0 || pw->pw_gid == 0)
		return text_err(err, errlen, "account %s has uid or gid 0; ward's daemons "
			    "must not run as root (%s)", name, "fix the account");
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
	return 0;
}

int
wp_account_ensure(const char *name, char *err, size_t errlen)
{
	uid_t u;
	gid_t g;
	pid_t p;
	int st;

	if (getpwnam(name) != NULL)
		return wp_account(name, &u, &g, err, errlen);
	if (geteuid() != 0)
		return text_err(err, errlen, "the account %s does not exist and only root "
			    "can create it: run 'ward init' as root once (%s)", name,
			    "ward's daemons run under accounts of their own");
	p = fork();
	if (p < 0)
		return text_err(err, errlen, "cannot create account %s: %s", name,
			    strerror(errno));
	if (p == 0) {
		int dn = open("/dev/null", O_WRONLY);

		if (dn >= 0)
			dup2(dn, 1);
		execl("/usr/sbin/useradd", "useradd", "--system", "--user-group",
		      "--no-create-home", "--home-dir", "/nonexistent", "--shell",
		      "/usr/sbin/nologin", "--comment", "ward daemon", name,
		      (char *)NULL);
		_exit(127);
	}
	if (waitpid(p, &st, 0) != p || !WIFEXITED(st) ||
	    (WEXITSTATUS(st) != 0 && WEXITSTATUS(st) != 9 /* exists: a race */))
		return text_err(err, errlen, "useradd %s failed (%s); create the system "
			    "account by hand, with no shell and no home",
			    name, "see its message above");
	return wp_account(name, &u, &g, err, errlen);
}

void
wp_daemon_start(void)
{
	/* Descriptors 0-2 are the log and /dev/null that 'ward run' gave. */
	if (syscall(SYS_close_range, 3U, ~0U, 0U) != 0) {
		int fd;

		for (fd = 3; fd < 1024; fd++)
			(void)close(fd);
	}
	(void)clearenv();
	(void)setenv("PATH", "/usr/sbin:/usr/bin:/sbin:/bin", 1);
	if (chdir("/") != 0)
		_exit(127);
	umask(077);
}

static int
drop(const char *account, const char *group_of, char *err, size_t errlen)
{
	uid_t uid, r, e, s, xu;
	gid_t gid, rg, eg, sg, gl[2];
	int ng = 1;

	if (wp_account(account, &uid, &gid, err, errlen) != 0)
		return -1;
	gl[0] = gid;
	if (group_of != NULL &&
	    wp_account(group_of, &xu, &gl[ng++], err, errlen) != 0)
		return -1;
	if (getresuid(&r, &e, &s) != 0 || getresgid(&rg, &eg, &sg) != 0)
		return text_err(err, errlen, "getresuid: %s", strerror(errno));
	if (r == uid && e == uid && s == uid && rg == gid && eg == gid && sg == gid)
		return 0;
	if (e != 0)
		return text_err(err, errlen, "this daemon runs under the account %s: start "
			    "it as root (it switches to %s at once) or as that account",
			    account, account);
	if (setgroups((size_t)ng, gl) != 0 || setresgid(gid, gid, gid) != 0 ||
	    setresuid(uid, uid, uid) != 0)
		return text_err(err, errlen, "cannot switch to the account %s: %s", account,
			    strerror(errno));
	if (getresuid(&r, &e, &s) != 0 || r != uid || e != uid || s != uid ||
	    getresgid(&rg, &eg, &sg) != 0 || rg != gid || eg != gid || sg != gid ||
	    setuid(0) == 0)
		return text_err(err, errlen, "switching to the account %s did not take "
			    "(%s)", account, "refusing to run with root's ids");
	return 0;
}

int
wp_drop(const char *account, char *err, size_t errlen)
{
	return drop(account, NULL, err, errlen);
}

int
wp_drop_with(const char *account, const char *group_of, char *err, size_t errlen)
{
	return drop(account, group_of, err, errlen);
}

int
wp_thread_count(void)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	int n = 0;

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static int
add_rule(int rs, const char *path, uint64_t access, uint64_t handled, char *err,
	 size_t errlen)
{
	struct landlock_path_beneath_attr pb;
	struct stat st;
	int fd = open(path, O_PATH | O_CLOEXEC);
	int rc;

	if (fd < 0)
		return text_err(err, errlen, "cannot open %s for a Landlock rule: %s",
			    path, strerror(errno));
	memset(&pb, 0, sizeof pb);
	pb.parent_fd = fd;
	pb.allowed_access = access & handled;
	if (fstat(fd, &st) == 0 && !S_ISDIR(st.st_mode))
		pb.allowed_access &= LL_FILE;	/* a file: file rights only */
	rc = (int)syscall(SYS_landlock_add_rule, rs, LANDLOCK_RULE_PATH_BENEATH, &pb, 0);
	close(fd);
	if (rc != 0)
		return text_err(err, errlen, "Landlock rule for %s: %s", path,
			    strerror(errno));
	return 0;
}

static int
landlock(const struct wp_profile *p, char *err, size_t errlen)
{
	struct wp_ll_attr ra;
	size_t rsize = sizeof ra;
	int abi, rs, i;

	abi = (int)syscall(SYS_landlock_create_ruleset, NULL, 0,
			   LANDLOCK_CREATE_RULESET_VERSION);
	if (abi < 1)
		return text_err(err, errlen, "Landlock is not available (%s); %s",
			    strerror(errno), "the daemon will not run unconfined");
	memset(&ra, 0, sizeof ra);
	ra.handled_access_fs = LL_READ | LL_WRITE | LANDLOCK_ACCESS_FS_EXECUTE;
	if (abi >= 2)
		ra.handled_access_fs |= WP_LL_REFER;
	if (abi >= 3)
		ra.handled_access_fs |= WP_LL_TRUNCATE;
	if (abi >= 5)
		ra.handled_access_fs |= WP_LL_IOCTL_DEV;
	if (abi >= 4)
		ra.handled_access_net = WP_LL_NET_BIND_TCP | WP_LL_NET_CONNECT_TCP;
	if (abi >= 6)
		ra.scoped = WP_LL_SCOPE_ABSTRACT_UNIX | WP_LL_SCOPE_SIGNAL;
	else if (abi >= 4)
		rsize = offsetof(struct wp_ll_attr, scoped);
	else
		rsize = offsetof(struct wp_ll_attr, handled_access_net);
	rs = (int)syscall(SYS_landlock_create_ruleset, &ra, rsize, 0);
	if (rs < 0)
		return text_err(err, errlen, "landlock_create_ruleset: %s",
			    strerror(errno));
	for (i = 0; p->rw != NULL && p->rw[i] != NULL; i++)
		if (add_rule(rs, p->rw[i], LL_READ | LL_WRITE | WP_LL_TRUNCATE,
			     ra.handled_access_fs, err, errlen) != 0)
			goto bad;
	for (i = 0; p->ro != NULL && p->ro[i] != NULL; i++)
		if (add_rule(rs, p->ro[i], LL_READ, ra.handled_access_fs, err,
			     errlen) != 0)
			goto bad;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
	    syscall(SYS_landlock_restrict_self, rs, 0) != 0) {
		text_err(err, errlen, "landlock_restrict_self: %s", strerror(errno));
		goto bad;
	}
	close(rs);
	return 0;
bad:
	close(rs);
	return -1;
}

/* Killed in every process of ward that confines itself, the spawner too:
 * nothing ward does needs them, and each is a way into the kernel or
 * into another process. */
static const int kill_always[] = {
	SCMP_SYS(ptrace), SCMP_SYS(process_vm_writev), SCMP_SYS(init_module),
	SCMP_SYS(finit_module), SCMP_SYS(delete_module), SCMP_SYS(kexec_load),
	SCMP_SYS(kexec_file_load), SCMP_SYS(bpf), SCMP_SYS(perf_event_open),
	SCMP_SYS(keyctl), SCMP_SYS(add_key), SCMP_SYS(request_key),
	SCMP_SYS(userfaultfd), SCMP_SYS(io_uring_setup), SCMP_SYS(io_uring_enter),
	SCMP_SYS(io_uring_register), SCMP_SYS(open_by_handle_at),
	SCMP_SYS(name_to_handle_at), SCMP_SYS(reboot), SCMP_SYS(swapon),
	SCMP_SYS(swapoff), SCMP_SYS(acct), SCMP_SYS(iopl), SCMP_SYS(ioperm),
	SCMP_SYS(kcmp), SCMP_SYS(pidfd_getfd),
};

/* A filter that allows by default, kills kill_always and the n calls of
 * more, and kills other ABIs; loaded on every thread (TSYNC). */
static scmp_filter_ctx
filter_new(const int *more, size_t n)
{
	scmp_filter_ctx f = seccomp_init(SCMP_ACT_ALLOW);
	size_t i;
	int rc = 0;

	if (f == NULL)
		return NULL;
	rc |= seccomp_attr_set(f, SCMP_FLTATR_CTL_TSYNC, 1);
	rc |= seccomp_attr_set(f, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
	for (i = 0; i < sizeof kill_always / sizeof kill_always[0]; i++)
		rc |= seccomp_rule_add(f, SCMP_ACT_KILL_PROCESS, kill_always[i], 0);
	for (i = 0; i < n; i++)
		rc |= seccomp_rule_add(f, SCMP_ACT_KILL_PROCESS, more[i], 0);
	if (rc != 0) {
		seccomp_release(f);
		return NULL;
	}
	return f;
}

static int
filter_load(scmp_filter_ctx f, int rc, char *err, size_t errlen)
{
	if (rc != 0 || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
	    seccomp_load(f) != 0) {
		seccomp_release(f);
		return text_err(err, errlen, "cannot load the seccomp filter");
	}
	seccomp_release(f);
	return 0;
}

static int
seccomp(const struct wp_profile *p, char *err, size_t errlen)
{
	/* Besides kill_always: no program, no mount or namespace, no other
	 * identity, no reading another process. */
	static const int kill_these[] = {
		SCMP_SYS(execve), SCMP_SYS(execveat), SCMP_SYS(mount),
		SCMP_SYS(umount2), SCMP_SYS(pivot_root), SCMP_SYS(chroot),
		SCMP_SYS(unshare), SCMP_SYS(setns), SCMP_SYS(process_vm_readv),
		SCMP_SYS(fsopen), SCMP_SYS(fsmount), SCMP_SYS(fsconfig),
		SCMP_SYS(move_mount), SCMP_SYS(open_tree), SCMP_SYS(mount_setattr),
		SCMP_SYS(setuid), SCMP_SYS(setgid), SCMP_SYS(setreuid),
		SCMP_SYS(setresuid), SCMP_SYS(setregid), SCMP_SYS(setresgid),
		SCMP_SYS(setgroups), SCMP_SYS(setfsuid), SCMP_SYS(setfsgid),
		SCMP_SYS(quotactl), SCMP_SYS(personality), SCMP_SYS(pidfd_open),
		SCMP_SYS(memfd_secret),
	};
	static const int ns_flags[] = { CLONE_NEWNS, CLONE_NEWUSER, CLONE_NEWNET,
					CLONE_NEWPID, CLONE_NEWIPC, CLONE_NEWUTS,
					CLONE_NEWCGROUP };
	scmp_filter_ctx f = filter_new(kill_these,
				       sizeof kill_these / sizeof kill_these[0]);
	size_t i;
	int rc = 0;

	if (f == NULL)
		return text_err(err, errlen, "cannot build the seccomp filter");
	/* Unix sockets only: no network, no netlink, no raw packets. */
	rc |= seccomp_rule_add(f, SCMP_ACT_ERRNO(EAFNOSUPPORT), SCMP_SYS(socket), 1,
			       SCMP_A0(SCMP_CMP_NE, AF_UNIX));
	rc |= seccomp_rule_add(f, SCMP_ACT_ERRNO(EAFNOSUPPORT), SCMP_SYS(socketpair), 1,
			       SCMP_A0(SCMP_CMP_NE, AF_UNIX));
	/* clone3 cannot be inspected: ENOSYS, and the C library falls back
	 * to clone, whose flags can. */
	rc |= seccomp_rule_add(f, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
	for (i = 0; i < sizeof ns_flags / sizeof ns_flags[0]; i++)
		rc |= seccomp_rule_add(f, SCMP_ACT_KILL_PROCESS, SCMP_SYS(clone), 1,
				       SCMP_A0(SCMP_CMP_MASKED_EQ, (uint64_t)ns_flags[i],
					       (uint64_t)ns_flags[i]));
	if (!p->allow_fork) {
		/* Threads only: a new process would be one more thing an
		 * attacker holds. */
		rc |= seccomp_rule_add(f, SCMP_ACT_KILL_PROCESS, SCMP_SYS(clone), 1,
				       SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, 0));
		rc |= seccomp_rule_add(f, SCMP_ACT_KILL_PROCESS, SCMP_SYS(fork), 0);
		rc |= seccomp_rule_add(f, SCMP_ACT_KILL_PROCESS, SCMP_SYS(vfork), 0);
	}
	return filter_load(f, rc, err, errlen);
}

int
wp_confine(const struct wp_profile *p, char *err, size_t errlen)
{
	int n = wp_thread_count();

	if (n != 1) {
		snprintf(err, errlen, "confinement must come before any thread "
			 "exists (this process has %d); Landlock binds only the "
			 "calling thread", n);
		return -1;
	}
	if (landlock(p, err, errlen) != 0)
		return -1;
	return seccomp(p, err, errlen);
}

int
wp_confine_privileged(char *err, size_t errlen)
{
	/* kill_always alone: process_vm_readv stays (the sandbox's
	 * supervisor reads a refused connect's address with it), and so do
	 * exec, mounts, namespaces and set*id, which building a sandbox
	 * needs. */
	scmp_filter_ctx f = filter_new(NULL, 0);

	if (f == NULL)
		return text_err(err, errlen, "cannot build the spawner's seccomp filter");
	return filter_load(f, 0, err, errlen);
}
