/*
 * priv.h -- privilege separation for ward's daemons, as OpenSSH does it:
 * each daemon runs under a system account of its own, starts clean (no
 * inherited environment, descriptors or working folder), and confines
 * itself, every thread of it, before it parses anything from outside.
 *
 * Used by ward-core, ward-broker and 'ward init'.  Not part of the
 * verified core; trusted (ward-core runs it).
 */
#ifndef WARD_COMMON_PRIV_H
#define WARD_COMMON_PRIV_H

#include <stddef.h>
#include <sys/types.h>

/* The accounts.  'ward init' (and tools/install-deps) create them when
 * missing: system accounts with no shell, no home and a group each. */
#define WP_CORE_ACCOUNT "ward-core"
#define WP_BROKER_ACCOUNT "ward-broker"
/* ward-egress, the one process with the network (egress/egress.c). */
#define WP_EGRESS_ACCOUNT "ward-egress"
/* ward-gateway (`ward mcp`) once it has forked its launcher
 * (gateway/launcher.h): no key, no state; the core's socket folder
 * through the ward-broker group (wp_drop_with). */
#define WP_GATEWAY_ACCOUNT "ward-gateway"

/* uid and gid of an account; -1 with a message that says how to create
 * it when there is none. */
int wp_account(const char *name, uid_t *uid, gid_t *gid, char *err, size_t errlen)
	__attribute__((warn_unused_result));

/* Create the account if it does not exist (useradd --system, no login
 * shell, no home folder, a group of the same name).  Needs root. */
int wp_account_ensure(const char *name, char *err, size_t errlen)
	__attribute__((warn_unused_result));

/* A daemon's clean start: every descriptor above 2 closed, the
 * environment emptied (PATH only), cwd "/", umask 077. */
void wp_daemon_start(void);

/* Become the account for good: supplementary groups dropped, real,
 * effective and saved ids all set, and checked.  A process that already
 * runs as the account is left as it is; any other non-root process is
 * refused (it would run the daemon with the operator's authority). */
int wp_drop(const char *account, char *err, size_t errlen)
	__attribute__((warn_unused_result));

/* wp_drop, with the group of the account group_of as the one
 * supplementary group (ward-gateway reaches the core's socket folder,
 * run/core, 02750 ward-core:ward-broker, through it). */
int wp_drop_with(const char *account, const char *group_of, char *err,
		 size_t errlen)
	__attribute__((warn_unused_result));

/* What a daemon may touch once confined. */
struct wp_profile {
	const char *const *rw;	/* folders (or files) read and written, NULL-ended */
	const char *const *ro;	/* read only, NULL-ended */
	int allow_fork;		/* 0: clone without CLONE_THREAD kills (no fork) */
};

/* Confine the whole process: Landlock (the folders above only, no TCP
 * bind or connect, no signals or abstract sockets outside the domain
 * where the kernel has those scopes) and a seccomp filter (no exec, no
 * ptrace, no namespaces or mounts, no setuid, no sockets but AF_UNIX,
 * foreign ABIs kill), with no_new_privs.  Refuses when the process has
 * more than one thread: Landlock applies to the calling thread only, so
 * confinement comes before any thread exists; the seccomp filter is also
 * loaded with TSYNC. */
int wp_confine(const struct wp_profile *p, char *err, size_t errlen)
	__attribute__((warn_unused_result));

/* The spawner's profile: it keeps root to build sandboxes (namespaces,
 * mounts, cgroups, exec), so no Landlock; a seccomp filter with
 * no_new_privs kills what no sandbox build needs (ptrace,
 * process_vm_writev, modules, kexec, bpf, perf, kernel keys, io_uring,
 * userfaultfd, handles, reboot, swap, iopl), on every thread. */
int wp_confine_privileged(char *err, size_t errlen)
	__attribute__((warn_unused_result));

/* Number of threads of this process (from /proc/self/task); -1 if
 * unknown. */
int wp_thread_count(void);

#endif
