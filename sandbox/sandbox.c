/*
 * sandbox.c -- spawning into the rings and supervising what runs there.
 *
 * The parent (ward, running as root) does what needs host privilege: the
 * read-only root and the idmapped workspace (built once per prepared
 * sandbox, as detached mount trees), the uid/gid maps, the cgroup leaves,
 * and the seccomp listener.  The child, pid 1 of its own namespaces, makes
 * its network and IPC namespaces, mounts a copy of the prepared root with a
 * fresh /tmp, /proc and the workspace, pivots into it, drops every
 * privilege, and execs.  They share the fd table until the child's last
 * setup step, and talk over a SOCK_SEQPACKET pair:
 *
 *   parent -> child  'G' <fds>  maps written; root, workspace, cgroup fds
 *   child  -> parent 'L' <fd>   seccomp listener fd number, to take over
 *   child  -> parent 'E' <text> setup failed (then the child exits 125)
 *   EOF                         the command was exec'd (close-on-exec)
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/sched.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <grp.h>
#include <net/if.h>
#include <sys/fsuid.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sb_internal.h"

#ifndef SECBIT_NOROOT
#define SECBIT_NOROOT (1 << 0)
#define SECBIT_NOROOT_LOCKED (1 << 1)
#define SECBIT_NO_SETUID_FIXUP (1 << 2)
#define SECBIT_NO_SETUID_FIXUP_LOCKED (1 << 3)
#define SECBIT_KEEP_CAPS_LOCKED (1 << 5)
#define SECBIT_NO_CAP_AMBIENT_RAISE (1 << 6)
#define SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED (1 << 7)
#endif

/* The explicit list of host paths the root is made of, read-only.  The
 * rest of the host (homes, /root, /srv, /var, /opt, /run, ward's state)
 * is simply not there. */
static const char *const system_ro[] = {
	"/usr",
	"/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d",
	"/etc/alternatives", "/etc/nsswitch.conf", "/etc/localtime",
	"/etc/ssl", "/etc/ca-certificates", "/etc/mime.types",
	"/etc/protocols", "/etc/services", "/etc/terminfo",
};
/* Top-level names that merged-/usr systems make symlinks. */
static const char *const usr_links[] = { "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32" };
static const char *const dev_nodes[] = { "null", "zero", "full", "random", "urandom" };

#define NDEV (sizeof dev_nodes / sizeof *dev_nodes)

struct ward_sb {
	struct ward_sb_config cfg;
	struct sb_filters filters;
	struct sb_cg_host cg;
	int landlock_abi;
	size_t notif_size, resp_size;
	/* Built once by ward_sb_prepare(), copied (open_tree) for each spawn:
	 * the read-only root, a detached mount tree on a read-only tmpfs, and
	 * the idmapped workspace (-1 without one).  -1 once a one-shot run
	 * has moved them into its sandbox. */
	int root_fd;
	int ws_fd;
	int ws_in_tmp;   /* the workspace's mount point is made in each /tmp */
	int runs;        /* ward_sb_run() calls so far */
	/* v1 cgroup leaves kept from the last spawn, emptied and reset */
	struct sb_cg_inst spare;
	int have_spare;
	/* the process that made the workspace's idmap namespace, and its stack */
	pid_t idmap_helper;
	void *idmap_stack;
};

/* parent -> child, once the id maps are written: the fds (in the table
 * they share) of this spawn's root, workspace and v1 cgroup leaves */
struct gmsg {
	char tag; /* 'G' */
	int rootfd;
	int wsfd;
	int tasks_fd[SB_CG_N];
};

struct child_ctx {
	const struct ward_sb *sb;
	char *const *argv;
	int sock;
	int rootfd; /* this spawn's copy of the root */
	int wsfd;   /* this spawn's copy of the workspace, or -1 */
	const char *ws;
};

void sb_err(char *err, size_t errlen, const char *fmt, ...)
{
	if (err == NULL || errlen == 0)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

void ward_sb_config_defaults(struct ward_sb_config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	cfg->memory_bytes = 512ull << 20;
	cfg->pids_max = 128;
	cfg->cpu_percent = 100;
	cfg->tmp_bytes = 64ull << 20;
	cfg->timeout_ms = 300000;
	cfg->fsize_bytes = 1ull << 30;
	cfg->nofile = 1024;
	cfg->host_uid = WARD_SB_HOST_ID_DEFAULT;
	cfg->host_gid = WARD_SB_HOST_ID_DEFAULT;
	cfg->hostname = "ward";
	cfg->log_fd = 2;
	cfg->proxy_sock = -1;
}

int ward_sb_parse_size(const char *s, uint64_t *out)
{
	char *end;
	errno = 0;
	if (s == NULL || *s < '0' || *s > '9')
		return -1;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno != 0)
		return -1;
	unsigned shift = 0;
	switch (*end) {
	case '\0': break;
	case 'k': case 'K': shift = 10; end++; break;
	case 'm': case 'M': shift = 20; end++; break;
	case 'g': case 'G': shift = 30; end++; break;
	default: return -1;
	}
	if (*end != '\0' || (shift && v > (~0ull >> shift)))
		return -1;
	*out = (uint64_t)v << shift;
	return 0;
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	size_t n = strlen(s);
	ssize_t w = write(fd, s, n);
	int e = errno;
	close(fd);
	errno = e;
	return w == (ssize_t)n ? 0 : -1;
}

/* The workspace's path inside the sandbox. */
static const char *ws_inside(const struct ward_sb_config *cfg)
{
	return cfg->workspace_at != NULL ? cfg->workspace_at : cfg->workspace;
}

/* ---------------------------------------------------------------- the root
 *
 * Built once per prepared sandbox, in the parent (host root), as detached
 * mount trees that no process has as its root: a small tmpfs holding the
 * mount points, the /usr symlinks, /etc/passwd, /etc/group and
 * /etc/hostname, with the read-only binds of system_ro[] and a /dev tmpfs
 * of five device nodes moved onto it; both tmpfs superblocks are then made
 * read-only, so no mount of them can ever write.  Each spawn gets a copy of
 * the tree (one open_tree call) and adds its own /tmp, /proc and workspace.
 */

#define RO_ATTR (MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV)

/* The modes of the root tree never depend on the caller's umask (the
 * broker runs under 077, which would leave /etc drwx------ and unreadable
 * to the sandbox user): what is created here is chmod'ed to its mode.
 * Only what this call created (mkdirat succeeded) is chmod'ed, so an
 * existing name -- a symlink of the template -- is never followed. */
static int mkdir_mode(int dfd, const char *name, mode_t mode)
{
	if (mkdirat(dfd, name, mode) != 0)
		return -1;
	return fchmodat(dfd, name, mode, 0);
}

/* Walks rel below dfd without following any symlink, creating missing
 * directories, then creates the last component (a directory, or an empty
 * file).  Returns an fd of the last component's parent and points *last
 * at its name.  This runs as host root: a symlink in the template (/lib64
 * -> /usr/lib64, say) must never lead it onto the host. */
static int walk_create(int dfd, const char *rel, int is_dir, char *buf, size_t buflen,
		       const char **last)
{
	if ((size_t)snprintf(buf, buflen, "%s", rel) >= buflen) {
		errno = ENAMETOOLONG;
		return -1;
	}
	int cur = fcntl(dfd, F_DUPFD_CLOEXEC, 0);
	if (cur < 0)
		return -1;
	char *s = buf;
	for (;;) {
		while (*s == '/')
			s++;
		char *e = strchr(s, '/');
		if (e == NULL)
			break;
		*e = '\0';
		if (mkdir_mode(cur, s, 0755) != 0 && errno != EEXIST)
			goto fail;
		int next = openat(cur, s, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (next < 0)
			goto fail;
		close(cur);
		cur = next;
		s = e + 1;
	}
	if (*s == '\0' || strcmp(s, ".") == 0 || strcmp(s, "..") == 0) {
		errno = EINVAL;
		goto fail;
	}
	if (is_dir) {
		if (mkdir_mode(cur, s, 0755) != 0 && errno != EEXIST)
			goto fail;
	} else {
		int fd = openat(cur, s, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
		if (fd < 0)
			goto fail;
		int rc = fchmod(fd, 0644);
		close(fd);
		if (rc != 0)
			goto fail;
	}
	*last = s;
	return cur;
fail:;
	int e = errno;
	close(cur);
	errno = e;
	return -1;
}

/* Binds host path src read-only at dst (absolute) in the tree rootfd. */
static int bind_into(int rootfd, const char *src, const char *dst, int optional, char *err,
		     size_t errlen)
{
	int fd = open_tree(AT_FDCWD, src, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
	if (fd < 0) {
		if (errno == ENOENT && optional)
			return 0;
		sb_err(err, errlen, "cannot bind %s: %s", src, strerror(errno));
		return -1;
	}
	/* Private: nothing mounted on the host later shows up inside. */
	struct mount_attr a = { .attr_set = RO_ATTR, .propagation = MS_PRIVATE };
	struct stat st;
	char buf[PATH_MAX];
	const char *last = NULL;
	int pfd = -1, rc = -1;
	if (mount_setattr(fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &a, sizeof a) != 0)
		sb_err(err, errlen, "cannot make %s read-only: %s", src, strerror(errno));
	else if (fstat(fd, &st) != 0)
		sb_err(err, errlen, "cannot stat %s: %s", src, strerror(errno));
	else if ((pfd = walk_create(rootfd, dst, S_ISDIR(st.st_mode), buf, sizeof buf,
				    &last)) < 0)
		sb_err(err, errlen, "cannot create the mount point %s: %s", dst, strerror(errno));
	else if (move_mount(fd, "", pfd, last, MOVE_MOUNT_F_EMPTY_PATH) != 0)
		sb_err(err, errlen, "cannot mount %s: %s", dst, strerror(errno));
	else
		rc = 0;
	if (pfd >= 0)
		close(pfd);
	close(fd);
	return rc;
}

/* A detached tmpfs; *fsfd keeps its context for seal_tmpfs(). */
static int new_tmpfs(const char *size, const char *inodes, unsigned attrs, int *fsfd)
{
	int fs = fsopen("tmpfs", FSOPEN_CLOEXEC);
	if (fs < 0)
		return -1;
	if (fsconfig(fs, FSCONFIG_SET_STRING, "size", size, 0) != 0 ||
	    fsconfig(fs, FSCONFIG_SET_STRING, "nr_inodes", inodes, 0) != 0 ||
	    fsconfig(fs, FSCONFIG_SET_STRING, "mode", "0755", 0) != 0 ||
	    fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) != 0) {
		int e = errno;
		close(fs);
		errno = e;
		return -1;
	}
	int m = fsmount(fs, FSMOUNT_CLOEXEC, attrs);
	if (m < 0) {
		int e = errno;
		close(fs);
		errno = e;
		return -1;
	}
	*fsfd = fs;
	return m;
}

/* The superblock read-only (not just this mount), and the mount too. */
static int seal_tmpfs(int fs, int m)
{
	struct mount_attr a = { .attr_set = MOUNT_ATTR_RDONLY };
	if (fsconfig(fs, FSCONFIG_SET_FLAG, "ro", NULL, 0) != 0 ||
	    fsconfig(fs, FSCONFIG_CMD_RECONFIGURE, NULL, NULL, 0) != 0 ||
	    mount_setattr(m, "", AT_EMPTY_PATH, &a, sizeof a) != 0)
		return -1;
	return 0;
}

static int put_file_at(int dfd, const char *rel, const char *text)
{
	int fd = openat(dfd, rel, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	size_t n = strlen(text);
	ssize_t w = write(fd, text, n);
	int rc = fchmod(fd, 0644); /* not narrowed by the umask */
	close(fd);
	return w == (ssize_t)n && rc == 0 ? 0 : -1;
}

static int in_tmp(const char *p)
{
	return strncmp(p, "/tmp", 4) == 0 && (p[4] == '\0' || p[4] == '/');
}

static int build_dev(char *err, size_t errlen)
{
	int fs = -1;
	int dev = new_tmpfs("16k", "64", MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC, &fs);
	if (dev < 0) {
		sb_err(err, errlen, "cannot make the /dev tmpfs: %s", strerror(errno));
		return -1;
	}
	for (size_t i = 0; i < NDEV; i++) {
		char host[32];
		struct stat st;
		snprintf(host, sizeof host, "/dev/%s", dev_nodes[i]);
		if (stat(host, &st) != 0 || !S_ISCHR(st.st_mode)) {
			sb_err(err, errlen, "cannot make /dev/%s: the host's is not a character "
			       "device", dev_nodes[i]);
			goto fail;
		}
		/* fchmodat: the umask must not narrow 0666 */
		if (mknodat(dev, dev_nodes[i], S_IFCHR | 0666, st.st_rdev) != 0 ||
		    fchmodat(dev, dev_nodes[i], 0666, 0) != 0) {
			sb_err(err, errlen, "cannot make /dev/%s: %s", dev_nodes[i],
			       strerror(errno));
			goto fail;
		}
	}
	static const char *const devlinks[][2] = {
		{ "fd", "/proc/self/fd" }, { "stdin", "/proc/self/fd/0" },
		{ "stdout", "/proc/self/fd/1" }, { "stderr", "/proc/self/fd/2" },
	};
	for (size_t i = 0; i < 4; i++)
		if (symlinkat(devlinks[i][1], dev, devlinks[i][0]) != 0) {
			sb_err(err, errlen, "cannot create /dev/%s: %s", devlinks[i][0],
			       strerror(errno));
			goto fail;
		}
	if (seal_tmpfs(fs, dev) != 0) {
		sb_err(err, errlen, "cannot make /dev read-only: %s", strerror(errno));
		goto fail;
	}
	close(fs);
	return dev;
fail:
	close(fs);
	close(dev);
	return -1;
}

static int build_root(struct ward_sb *sb, char *err, size_t errlen)
{
	const struct ward_sb_config *cfg = &sb->cfg;
	int fs = -1, dev = -1, rc = -1;
	int root = new_tmpfs("1m", "4096", MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, &fs);
	if (root < 0) {
		sb_err(err, errlen, "cannot make the root tmpfs: %s", strerror(errno));
		return -1;
	}
	static const char *const dirs[] = { "usr", "etc", "proc", "dev", "tmp" };
	for (size_t i = 0; i < sizeof dirs / sizeof *dirs; i++)
		if (mkdir_mode(root, dirs[i], 0755) != 0) {
			sb_err(err, errlen, "cannot create /%s in the new root: %s", dirs[i],
			       strerror(errno));
			goto out;
		}
	for (size_t i = 0; i < sizeof usr_links / sizeof *usr_links; i++) {
		char target[PATH_MAX];
		ssize_t n = readlink(usr_links[i], target, sizeof target - 1);
		if (n > 0) {
			target[n] = '\0';
			if (symlinkat(target, root, usr_links[i] + 1) != 0) {
				sb_err(err, errlen, "cannot create the link %s: %s", usr_links[i],
				       strerror(errno));
				goto out;
			}
		} else if (n < 0 && errno == EINVAL) {
			/* a real directory: bind it like /usr */
			if (bind_into(root, usr_links[i], usr_links[i], 1, err, errlen) != 0)
				goto out;
		}
	}
	char pw[256], gr[128];
	snprintf(pw, sizeof pw, "ward:x:%u:%u:ward sandbox:/tmp:/bin/sh\n",
		 WARD_SB_INNER_ID, WARD_SB_INNER_ID);
	snprintf(gr, sizeof gr, "ward:x:%u:\n", WARD_SB_INNER_ID);
	if (put_file_at(root, "etc/passwd", pw) != 0 || put_file_at(root, "etc/group", gr) != 0 ||
	    put_file_at(root, "etc/hostname", cfg->hostname) != 0) {
		sb_err(err, errlen, "cannot write /etc/passwd in the new root: %s",
		       strerror(errno));
		goto out;
	}
	for (size_t i = 0; i < sizeof system_ro / sizeof *system_ro; i++)
		if (bind_into(root, system_ro[i], system_ro[i], 1, err, errlen) != 0)
			goto out;
	for (size_t i = 0; i < cfg->nbinds; i++)
		if (bind_into(root, cfg->binds[i].src, cfg->binds[i].dst, 0, err, errlen) != 0)
			goto out;
	dev = build_dev(err, errlen);
	if (dev < 0)
		goto out;
	if (move_mount(dev, "", root, "dev", MOVE_MOUNT_F_EMPTY_PATH) != 0) {
		sb_err(err, errlen, "cannot mount /dev: %s", strerror(errno));
		goto out;
	}
	/* The workspace's mount point, unless it lies in each spawn's /tmp. */
	if (cfg->workspace != NULL && !in_tmp(ws_inside(cfg))) {
		char buf[PATH_MAX];
		const char *last;
		int pfd = walk_create(root, ws_inside(cfg), 1, buf, sizeof buf, &last);
		if (pfd < 0) {
			sb_err(err, errlen, "cannot create the workspace mount point %s: %s",
			       ws_inside(cfg), strerror(errno));
			goto out;
		}
		close(pfd);
	}
	if (seal_tmpfs(fs, root) != 0) {
		sb_err(err, errlen, "cannot make the root read-only: %s", strerror(errno));
		goto out;
	}
	sb->root_fd = root;
	root = -1;
	rc = 0;
out:
	if (dev >= 0)
		close(dev);
	if (fs >= 0)
		close(fs);
	if (root >= 0)
		close(root);
	return rc;
}

/* A user namespace that maps host from_uid to to_uid, for the idmapped
 * workspace.  Its process only has to exist: the maps are written and the
 * namespace opened right after clone, whether or not it has run yet.  It
 * shares our memory (nothing is copied) and runs on a stack of its own
 * until it exits; ward_sb_free() reaps it (exit signal 0, so a SIGCHLD
 * handler of the caller never sees it). */
#define IDMAP_STACK 16384

static int idmap_child(void *arg)
{
	(void)arg;
	return 0;
}

static int idmap_userns(struct ward_sb *sb, uid_t from_uid, uid_t to_uid, gid_t from_gid,
			gid_t to_gid, char *err, size_t errlen)
{
	sb->idmap_stack = mmap(NULL, IDMAP_STACK, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (sb->idmap_stack == MAP_FAILED) {
		sb->idmap_stack = NULL;
		sb_err(err, errlen, "out of memory");
		return -1;
	}
	pid_t pid = clone(idmap_child, (char *)sb->idmap_stack + IDMAP_STACK,
			  CLONE_NEWUSER | CLONE_VM, NULL);
	if (pid < 0) {
		sb_err(err, errlen, "cannot create a user namespace for the workspace "
		       "idmap: %s", strerror(errno));
		return -1;
	}
	sb->idmap_helper = pid;
	char path[64], map[64];
	int ufd = -1;
	snprintf(path, sizeof path, "/proc/%ld/uid_map", (long)pid);
	snprintf(map, sizeof map, "%u %u 1\n", from_uid, to_uid);
	if (write_file(path, map) != 0)
		goto out;
	snprintf(path, sizeof path, "/proc/%ld/gid_map", (long)pid);
	snprintf(map, sizeof map, "%u %u 1\n", from_gid, to_gid);
	if (write_file(path, map) != 0)
		goto out;
	snprintf(path, sizeof path, "/proc/%ld/ns/user", (long)pid);
	ufd = open(path, O_RDONLY | O_CLOEXEC);
out:
	if (ufd < 0)
		sb_err(err, errlen, "cannot set up the workspace idmap: %s", strerror(errno));
	return ufd;
}

/* The workspace, idmapped so that files of its owner are the sandbox
 * user's, as a detached tree in sb->ws_fd. */
static int build_workspace(struct ward_sb *sb, char *err, size_t errlen)
{
	const struct ward_sb_config *cfg = &sb->cfg;
	struct stat st;
	errno = 0;
	if (stat(cfg->workspace, &st) != 0 || !S_ISDIR(st.st_mode)) {
		sb_err(err, errlen, "refused: the workspace %s is not a directory (%s)",
		       cfg->workspace, errno ? strerror(errno) : "not a directory");
		return -1;
	}
	int ufd = idmap_userns(sb, st.st_uid, cfg->host_uid, st.st_gid, cfg->host_gid, err, errlen);
	if (ufd < 0)
		return -1;
	int fd = open_tree(AT_FDCWD, cfg->workspace, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC |
			   AT_RECURSIVE);
	if (fd < 0) {
		sb_err(err, errlen, "cannot bind the workspace %s: %s", cfg->workspace,
		       strerror(errno));
		close(ufd);
		return -1;
	}
	struct mount_attr a = {
		.attr_set = MOUNT_ATTR_IDMAP | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV |
			    (cfg->workspace_ro ? MOUNT_ATTR_RDONLY : 0),
		.userns_fd = (uint64_t)ufd,
		.propagation = MS_PRIVATE,
	};
	if (mount_setattr(fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &a, sizeof a) != 0) {
		sb_err(err, errlen, "refused: cannot idmap the workspace %s (%s); its file "
		       "system must support idmapped mounts (ext4, xfs, btrfs, tmpfs on "
		       "Linux >= 6.3), or the sandbox user could not write to it",
		       cfg->workspace, strerror(errno));
		close(fd);
		close(ufd);
		return -1;
	}
	close(ufd);
	sb->ws_fd = fd;
	return 0;
}

static int build_trees(struct ward_sb *sb, char *err, size_t errlen)
{
	if (build_root(sb, err, errlen) < 0)
		return -1;
	if (sb->cfg.workspace != NULL && build_workspace(sb, err, errlen) < 0)
		return -1;
	return 0;
}

/* ---------------------------------------------------------------- prepare */

int ward_sb_prepare(const struct ward_sb_config *cfg, struct ward_sb **out,
		    char *err, size_t errlen)
{
	*out = NULL;
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (cfg->host_uid == 0 || cfg->host_gid == 0) {
		sb_err(err, errlen, "refused: the sandbox must not run as host uid or gid 0; "
		       "give a non-zero --uid");
		return -1;
	}
	if (cfg->memory_bytes < WARD_SB_MEMORY_MIN || cfg->pids_max < 1 || cfg->cpu_percent < 1 ||
	    cfg->tmp_bytes < 4096 || cfg->nofile < 16) {
		sb_err(err, errlen, "refused: a limit is too small to run anything "
		       "(memory >= 4M, pids >= 1, cpu >= 1%%, tmp >= 4K, nofile >= 16)");
		return -1;
	}
	if (cfg->workspace != NULL && cfg->workspace[0] != '/') {
		sb_err(err, errlen, "refused: the workspace path must be absolute");
		return -1;
	}
	if (cfg->workspace_at != NULL && (cfg->workspace_at[0] != '/' ||
					  strcmp(cfg->workspace_at, "/") == 0 ||
					  strstr(cfg->workspace_at, "..") != NULL)) {
		sb_err(err, errlen, "refused: the workspace's path inside the sandbox "
		       "must be absolute, not /, without '..'");
		return -1;
	}
	for (size_t i = 0; i < cfg->nbinds; i++)
		if (cfg->binds[i].src[0] != '/' || cfg->binds[i].dst[0] != '/' ||
		    strstr(cfg->binds[i].dst, "..") != NULL) {
			sb_err(err, errlen, "refused: bind %s:%s: both paths must be "
			       "absolute, without '..'", cfg->binds[i].src, cfg->binds[i].dst);
			return -1;
		}
	if (geteuid() != 0) {
		sb_err(err, errlen, "refused: ward sandbox needs to run as root (it writes "
		       "uid maps, idmaps the workspace and creates cgroups), then runs "
		       "the command as uid %u", cfg->host_uid);
		return -1;
	}

	struct ward_sb *sb = calloc(1, sizeof *sb);
	if (sb == NULL) {
		sb_err(err, errlen, "out of memory");
		return -1;
	}
	sb->cfg = *cfg;
	sb->root_fd = -1;
	sb->ws_fd = -1;

	sb->landlock_abi = sb_landlock_abi();
	if (sb->landlock_abi < 1 && !cfg->allow_no_landlock) {
		sb_err(err, errlen, "refused: Landlock is not available on this kernel "
		       "(%s), so the filesystem ring cannot be enforced; enable Landlock "
		       "(CONFIG_SECURITY_LANDLOCK and lsm=landlock,...) or pass "
		       "--allow-no-landlock to run without that ring",
		       strerror(errno));
		goto fail;
	}

	struct seccomp_notif_sizes sizes;
	if (syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sizes) != 0) {
		sb_err(err, errlen, "refused: seccomp user notification is not available "
		       "(%s); the network-reporting ring needs Linux >= 5.0 with "
		       "CONFIG_SECCOMP_FILTER", strerror(errno));
		goto fail;
	}
	sb->notif_size = sizes.seccomp_notif;
	sb->resp_size = sizes.seccomp_notif_resp;
	if (sb->notif_size < sizeof(struct seccomp_notif))
		sb->notif_size = sizeof(struct seccomp_notif);
	if (sb->resp_size < sizeof(struct seccomp_notif_resp))
		sb->resp_size = sizeof(struct seccomp_notif_resp);

	sb_cg_detect(&sb->cg);
	static const char *const names[SB_CG_N] = { "memory", "pids", "cpu" };
	for (int i = 0; i < SB_CG_N; i++)
		if (sb->cg.version[i] == 0) {
			sb_err(err, errlen, "refused: the %s cgroup controller cannot be used "
			       "(%s), so the limits ring cannot be enforced; mount the v1 %s "
			       "hierarchy or delegate it in cgroup v2 (see 'ward sandbox --probe')",
			       names[i], sb->cg.why[i], names[i]);
			goto fail;
		}

	if (sb_seccomp_build(&sb->filters, err, errlen) < 0)
		goto fail;
	if (cfg->workspace != NULL) {
		struct stat st;
		errno = 0;
		if (stat(cfg->workspace, &st) != 0 || !S_ISDIR(st.st_mode)) {
			sb_err(err, errlen, "refused: the workspace %s is not a directory (%s)",
			       cfg->workspace, errno ? strerror(errno) : "not a directory");
			goto fail;
		}
		sb->ws_in_tmp = in_tmp(ws_inside(cfg));
	}
	if (build_trees(sb, err, errlen) < 0)
		goto fail;
	*out = sb;
	return 0;
fail:
	ward_sb_free(sb);
	return -1;
}

void ward_sb_free(struct ward_sb *sb)
{
	if (sb == NULL)
		return;
	sb_seccomp_free(&sb->filters);
	if (sb->root_fd >= 0)
		close(sb->root_fd);
	if (sb->ws_fd >= 0)
		close(sb->ws_fd);
	if (sb->have_spare)
		sb_cg_destroy(&sb->spare);
	if (sb->idmap_helper > 0)
		(void)waitpid(sb->idmap_helper, NULL, __WALL);
	if (sb->idmap_stack != NULL)
		munmap(sb->idmap_stack, IDMAP_STACK);
	free(sb);
}


/* ------------------------------------------------------------------ child */

static void child_fail(int sock, const char *fmt, ...)
	__attribute__((noreturn, format(printf, 2, 3)));

static void child_fail(int sock, const char *fmt, ...)
{
	char msg[WARD_SB_ERRLEN];
	msg[0] = 'E';
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg + 1, sizeof msg - 1, fmt, ap);
	va_end(ap);
	(void)send(sock, msg, strlen(msg), MSG_NOSIGNAL);
	_exit(125);
}

/* mkdir -p of an absolute path below root (root itself exists). */
static int mkdirs(const char *root, const char *path, mode_t mode)
{
	char p[PATH_MAX];
	int n = snprintf(p, sizeof p, "%s%s", root, path);
	if (n < 0 || (size_t)n >= sizeof p)
		return -1;
	size_t rl = strlen(root);
	for (char *s = p + rl + 1; *s != '\0'; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, mode) != 0 && errno != EEXIST)
			return -1;
		*s = '/';
	}
	if (mkdir(p, mode) != 0 && errno != EEXIST)
		return -1;
	return 0;
}
static int setattr(int dfd, const char *path, unsigned flags, uint64_t set)
{
	struct mount_attr a = { .attr_set = set };
	return mount_setattr(dfd, path, flags, &a, sizeof a);
}

#define NEWROOT "/tmp"

static void close_others(int sock, const struct ward_sb_config *cfg)
{
	/* keep: 0,1,2 (/dev/null by now with close_stdio), the passed fds,
	 * and sock until exec */
	int keep[WARD_SB_MAX_FDS + 4];
	size_t n = 0;
	for (int i = 0; i < 3; i++)
		keep[n++] = i;
	for (size_t i = 0; i < cfg->npass_fds; i++)
		keep[n++] = cfg->pass_fds[i];
	keep[n++] = sock;
	/* sort */
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && keep[j - 1] > keep[j]; j--) {
			int t = keep[j];
			keep[j] = keep[j - 1];
			keep[j - 1] = t;
		}
	unsigned lo = 0;
	for (size_t i = 0; i < n; i++) {
		if ((unsigned)keep[i] > lo)
			(void)syscall(SYS_close_range, lo, (unsigned)keep[i] - 1, 0);
		lo = (unsigned)keep[i] + 1;
	}
	(void)syscall(SYS_close_range, lo, ~0u, 0);
	for (size_t i = 0; i < cfg->npass_fds; i++) {
		int fl = fcntl(cfg->pass_fds[i], F_GETFD);
		if (fl >= 0)
			(void)fcntl(cfg->pass_fds[i], F_SETFD, fl & ~FD_CLOEXEC);
	}
}

static void drop_caps(int sock)
{
	/* Bounding set first (needs CAP_SETPCAP), then the securebits that
	 * stop uid 0 from ever meaning anything again, then the ids. */
	for (int c = 0; c < 64; c++)
		if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) != 0 && errno != EINVAL)
			child_fail(sock, "cannot drop capability %d from the bounding set: %s",
				   c, strerror(errno));
	if (prctl(PR_SET_SECUREBITS, SECBIT_NOROOT | SECBIT_NOROOT_LOCKED |
		  SECBIT_NO_SETUID_FIXUP | SECBIT_NO_SETUID_FIXUP_LOCKED |
		  SECBIT_KEEP_CAPS_LOCKED | SECBIT_NO_CAP_AMBIENT_RAISE |
		  SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED, 0, 0, 0) != 0)
		child_fail(sock, "cannot lock the securebits: %s", strerror(errno));
	if (setgroups(0, NULL) != 0)
		child_fail(sock, "setgroups: %s", strerror(errno));
	if (setresgid(WARD_SB_INNER_ID, WARD_SB_INNER_ID, WARD_SB_INNER_ID) != 0 ||
	    setresuid(WARD_SB_INNER_ID, WARD_SB_INNER_ID, WARD_SB_INNER_ID) != 0)
		child_fail(sock, "cannot switch to uid/gid %u: %s", WARD_SB_INNER_ID,
			   strerror(errno));
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0)
		child_fail(sock, "cannot clear the ambient capabilities: %s", strerror(errno));
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2];
	memset(d, 0, sizeof d);
	if (syscall(SYS_capset, &h, d) != 0)
		child_fail(sock, "cannot clear the capability sets: %s", strerror(errno));
}

static void set_rlimits(int sock, const struct ward_sb_config *cfg)
{
	struct { int res; rlim_t v; } l[] = {
		{ RLIMIT_CORE, 0 },
		{ RLIMIT_NOFILE, cfg->nofile },
		{ RLIMIT_NPROC, cfg->pids_max },
		{ RLIMIT_FSIZE, cfg->fsize_bytes },
		{ RLIMIT_MEMLOCK, 64 << 10 },
		{ RLIMIT_MSGQUEUE, 0 },
		{ RLIMIT_SIGPENDING, 1024 },
	};
	for (size_t i = 0; i < sizeof l / sizeof *l; i++) {
		struct rlimit r = { l[i].v, l[i].v };
		if (setrlimit(l[i].res, &r) != 0)
			child_fail(sock, "setrlimit(%d): %s", l[i].res, strerror(errno));
	}
	if (cfg->timeout_ms > 0) {
		/* CPU seconds can never exceed wall seconds times the quota. */
		rlim_t s = (rlim_t)((cfg->timeout_ms + 999) / 1000) *
			   (cfg->cpu_percent + 99) / 100 + 1;
		struct rlimit r = { s, s };
		if (setrlimit(RLIMIT_CPU, &r) != 0)
			child_fail(sock, "setrlimit(CPU): %s", strerror(errno));
	}
}

static void exec_cmd(int sock, char *const argv[], char *const envp[])
{
	const char *cmd = argv[0];
	if (strchr(cmd, '/') != NULL) {
		execve(cmd, argv, envp);
		child_fail(sock, "cannot execute %s inside the sandbox: %s", cmd,
			   strerror(errno));
	}
	const char *path = "/usr/local/bin:/usr/bin:/bin";
	for (size_t i = 0; envp[i] != NULL; i++)
		if (strncmp(envp[i], "PATH=", 5) == 0)
			path = envp[i] + 5;
	int last = ENOENT;
	char buf[PATH_MAX];
	for (const char *p = path; *p != '\0';) {
		size_t len = strcspn(p, ":");
		if (len > 0 && (size_t)snprintf(buf, sizeof buf, "%.*s/%s", (int)len, p, cmd) <
				       sizeof buf) {
			execve(buf, argv, envp);
			if (errno != ENOENT && errno != ENOTDIR)
				last = errno;
		}
		p += len;
		if (*p == ':')
			p++;
	}
	child_fail(sock, "cannot execute %s inside the sandbox: %s (looked in %s)", cmd,
		   strerror(last), path);
}

/* In the sandbox's fresh network namespace: lo up, a listener on
 * 127.0.0.1:WARD_SB_PROXY_PORT, sent to the egress side over psock and
 * closed here (the fd table is still the parent's: closed there too).
 * The agent can only connect to it; ward-egress accepts on it. */
static void proxy_listener(int sock, int psock)
{
	struct ifreq ifr;
	struct sockaddr_in a;
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	memset(&ifr, 0, sizeof ifr);
	snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "lo");
	if (s < 0 || ioctl(s, SIOCGIFFLAGS, &ifr) != 0)
		child_fail(sock, "cannot read the flags of lo: %s", strerror(errno));
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(s, SIOCSIFFLAGS, &ifr) != 0)
		child_fail(sock, "cannot bring lo up: %s", strerror(errno));
	close(s);
	int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_port = htons(WARD_SB_PROXY_PORT);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof a) != 0 || listen(l, 64) != 0)
		child_fail(sock, "cannot listen on %s:%u for the egress proxy: %s",
			   WARD_SB_PROXY_ADDR, WARD_SB_PROXY_PORT, strerror(errno));
	union {
		char b[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	char tag = 'P';
	struct iovec iov = { &tag, 1 };
	struct msghdr mh;
	memset(&mh, 0, sizeof mh);
	memset(&u, 0, sizeof u);
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = u.b;
	mh.msg_controllen = sizeof u.b;
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &l, sizeof l);
	/* No egress process (or it is gone): no proxy, every connection
	 * refused -- ward fails closed; the agent still runs. */
	(void)sendmsg(psock, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
	close(l);
}

static int child_main(void *arg)
{
	struct child_ctx *cx = arg;
	const struct ward_sb *sb = cx->sb;
	const struct ward_sb_config *cfg = &sb->cfg;
	int sock = cx->sock;

	/* The network and IPC namespaces (the costly ones to make) are made
	 * here, owned by the new user namespace as with clone3, while the
	 * parent writes the id maps. */
	if (unshare(CLONE_NEWNET | CLONE_NEWIPC) != 0)
		child_fail(sock, "cannot create the network and IPC namespaces: %s",
			   strerror(errno));
	if (cfg->proxy_sock > 2)
		proxy_listener(sock, cfg->proxy_sock);
	struct gmsg g;
	if (recv(sock, &g, sizeof g, 0) != (ssize_t)sizeof g || g.tag != 'G')
		_exit(125); /* the parent gave up */
	cx->rootfd = g.rootfd;
	cx->wsfd = g.wsfd;
	struct sb_cg_inst cgi;
	memset(&cgi, 0, sizeof cgi);
	for (int i = 0; i < SB_CG_N; i++)
		cgi.tasks_fd[i] = g.tasks_fd[i];

	/* From here on, files are created as the sandbox user (mapped), in
	 * file systems of this user namespace. */
	(void)setfsgid(WARD_SB_INNER_ID);
	(void)setfsuid(WARD_SB_INNER_ID);

	/* The prepared root (a copy of it, already read-only), then what is
	 * fresh in every spawn: /tmp, /proc, the workspace. */
	if (move_mount(cx->rootfd, "", AT_FDCWD, NEWROOT, MOVE_MOUNT_F_EMPTY_PATH) != 0)
		child_fail(sock, "cannot mount the root: %s", strerror(errno));
	char path[PATH_MAX];
	char opts[96];
	snprintf(opts, sizeof opts, "size=%llu,mode=1777",
		 (unsigned long long)cfg->tmp_bytes);
	if (mount("ward-tmp", NEWROOT "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, opts) != 0)
		child_fail(sock, "cannot mount /tmp: %s", strerror(errno));
	if (mount("proc", NEWROOT "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) != 0)
		child_fail(sock, "cannot mount /proc: %s", strerror(errno));
	/* The writable knobs of /proc, read-only even for a process that
	 * somehow had the rights. */
	static const char *const proc_ro[] = { "/proc/sys", "/proc/sysrq-trigger" };
	for (size_t i = 0; i < 2; i++) {
		snprintf(path, sizeof path, NEWROOT "%s", proc_ro[i]);
		if (access(path, F_OK) != 0 && errno == ENOENT)
			continue; /* a kernel without magic SysRq has no trigger */
		if (mount(path, path, NULL, MS_BIND | MS_REC, NULL) != 0 ||
		    setattr(AT_FDCWD, path, AT_RECURSIVE, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID |
			    MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC) != 0)
			child_fail(sock, "cannot make %s read-only: %s", proc_ro[i],
				   strerror(errno));
	}
	if (cx->wsfd >= 0) {
		/* Under /tmp the mount point is made in this spawn's /tmp; else
		 * the prepared root has it. */
		if (sb->ws_in_tmp && mkdirs(NEWROOT, cx->ws, 0755) != 0)
			child_fail(sock, "cannot create the workspace mount point %s: %s",
				   cx->ws, strerror(errno));
		snprintf(path, sizeof path, NEWROOT "%s", cx->ws);
		if (move_mount(cx->wsfd, "", AT_FDCWD, path, MOVE_MOUNT_F_EMPTY_PATH) != 0)
			child_fail(sock, "cannot mount the workspace %s: %s", cx->ws,
				   strerror(errno));
		/* not closed here: the fd table is shared with the parent */
	}

	if (chdir(NEWROOT) != 0 || syscall(SYS_pivot_root, ".", ".") != 0 ||
	    umount2(".", MNT_DETACH) != 0 || chdir("/") != 0)
		child_fail(sock, "cannot switch to the new root: %s", strerror(errno));
	if (setattr(AT_FDCWD, "/", 0, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID |
		    MOUNT_ATTR_NODEV) != 0)
		child_fail(sock, "cannot make the root read-only: %s", strerror(errno));
	if (sethostname(cfg->hostname, strlen(cfg->hostname)) != 0)
		child_fail(sock, "cannot set the hostname: %s", strerror(errno));
	if (chdir(cx->ws != NULL ? cx->ws : "/") != 0)
		child_fail(sock, "cannot enter the workspace: %s", strerror(errno));

	set_rlimits(sock, cfg);

	/* Landlock (CAP_SYS_ADMIN in this namespace stands in for
	 * no_new_privs, which comes later). */
	if (sb->landlock_abi >= 1) {
		const char *ro[8 + WARD_SB_MAX_BINDS];
		size_t nro = 0;
		static const char *const sys[] = { "/usr", "/etc", "/proc", "/dev" };
		for (size_t i = 0; i < 4; i++)
			ro[nro++] = sys[i];
		for (size_t i = 0; i < cfg->nbinds; i++)
			ro[nro++] = cfg->binds[i].dst;
		const char *rw[2];
		size_t nrw = 0;
		rw[nrw++] = "/tmp";
		if (cx->ws != NULL) {
			if (cfg->workspace_ro)
				ro[nro++] = cx->ws;
			else
				rw[nrw++] = cx->ws;
		}
		const char *dev[NDEV];
		char devp[NDEV][32];
		for (size_t i = 0; i < NDEV; i++) {
			snprintf(devp[i], sizeof devp[i], "/dev/%s", dev_nodes[i]);
			dev[i] = devp[i];
		}
		/* Listing "/" (and below it) is fine: the mount namespace already
		 * decided what exists.  File contents stay per-path. */
		ro[nro++] = "/";
		char err[WARD_SB_ERRLEN];
		if (sb_landlock_apply(sb->landlock_abi, ro, nro, rw, nrw, dev, NDEV,
				      cfg->proxy_sock > 2 ? WARD_SB_PROXY_PORT : 0, err,
				      sizeof err) != 0)
			child_fail(sock, "%s", err);
	}

	if (sb_cg_enter_self(&cgi) != 0)
		child_fail(sock, "cannot enter the sandbox cgroups: %s", strerror(errno));
	/* After entering the cpu cgroup: in the root one, a new session
	 * would also get a new scheduler autogroup, and moving there can cost
	 * a few milliseconds of waiting for the CPU on a busy host. */
	if (setsid() < 0)
		child_fail(sock, "setsid: %s", strerror(errno));
	if (unshare(CLONE_NEWCGROUP) != 0)
		child_fail(sock, "cannot create the cgroup namespace: %s", strerror(errno));

	drop_caps(sock);
	/* After the id change, which clears it. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0 ||
	    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
	    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
		child_fail(sock, "prctl: %s", strerror(errno));

	char *envp[WARD_SB_MAX_ENV + 1];
	for (size_t i = 0; i < cfg->nenv; i++)
		envp[i] = (char *)cfg->env[i];
	envp[cfg->nenv] = NULL;

	/* The fd table is still the parent's (CLONE_FILES), so the listener
	 * lands in the parent's table too; then this process takes a private
	 * copy, closes everything it does not pass on, and tells the parent
	 * the listener's number.  No round trip. */
	int lfd = sb_seccomp_install(&sb->filters);
	if (lfd < 0)
		child_fail(sock, "cannot load the seccomp filter: %s", strerror(errno));
	if (unshare(CLONE_FILES) != 0)
		child_fail(sock, "cannot unshare the fd table: %s", strerror(errno));
	close(lfd);
	if (cfg->close_stdio) {
		int fd = open("/dev/null", O_RDWR);
		if (fd < 0)
			child_fail(sock, "cannot open /dev/null: %s", strerror(errno));
		for (int i = 0; i < 3; i++)
			if (fd != i)
				(void)dup2(fd, i);
		if (fd > 2)
			close(fd);
	}
	close_others(sock, cfg);
	char msg[1 + sizeof(int)];
	msg[0] = 'L';
	memcpy(msg + 1, &lfd, sizeof lfd);
	if (send(sock, msg, sizeof msg, MSG_NOSIGNAL) != (ssize_t)sizeof msg)
		_exit(125);
	exec_cmd(sock, cx->argv, envp);
	return 125;
}

/* ----------------------------------------------------------------- parent */

static void log_line(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void log_line(int fd, const char *fmt, ...)
{
	if (fd < 0)
		return;
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (n > 0 && write(fd, buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1) < 0)
		return; /* the log is gone; the refusal stands regardless */
}

static ssize_t peek(pid_t pid, uint64_t addr, void *buf, size_t len)
{
	struct iovec local = { buf, len };
	struct iovec remote = { (void *)(uintptr_t)addr, len };
	return process_vm_readv(pid, &local, 1, &remote, 1, 0);
}

/* Formats a socket address; returns 1 when it is a unix address (which
 * the mount namespace and Landlock already confine), 0 for a network one. */
static int fmt_addr(const struct sockaddr_storage *ss, size_t len, char *out, size_t outlen)
{
	char a[INET6_ADDRSTRLEN];
	if (len < sizeof(sa_family_t)) {
		snprintf(out, outlen, "(no address)");
		return 0;
	}
	switch (ss->ss_family) {
	case AF_UNIX:
		return 1;
	case AF_INET: {
		const struct sockaddr_in *in = (const void *)ss;
		inet_ntop(AF_INET, &in->sin_addr, a, sizeof a);
		snprintf(out, outlen, "%s:%u", a, ntohs(in->sin_port));
		return 0;
	}
	case AF_INET6: {
		const struct sockaddr_in6 *in6 = (const void *)ss;
		inet_ntop(AF_INET6, &in6->sin6_addr, a, sizeof a);
		snprintf(out, outlen, "[%s]:%u", a, ntohs(in6->sin6_port));
		return 0;
	}
	default:
		snprintf(out, outlen, "family=%u", ss->ss_family);
		return 0;
	}
}

/* Reads the destination of a connect/sendto/sendmsg/sendmmsg.  Returns 1
 * when there is no network destination (no address, or a unix one). */
static int read_dest(pid_t pid, const struct seccomp_data *d, char *out, size_t outlen)
{
	struct sockaddr_storage ss;
	uint64_t addr = 0, alen = 0;
	memset(&ss, 0, sizeof ss);
	if (d->nr == __NR_connect) {
		addr = d->args[1];
		alen = d->args[2];
	} else if (d->nr == __NR_sendto) {
		addr = d->args[4];
		alen = d->args[5];
	} else if (d->nr == __NR_sendmsg || d->nr == __NR_sendmmsg) {
		unsigned n = d->nr == __NR_sendmsg ? 1 : (unsigned)d->args[2];
		if (n > 64)
			n = 64; /* the rest cannot leave the empty namespace either */
		for (unsigned i = 0; i < n; i++) {
			struct msghdr mh;
			uint64_t at = d->args[1] + (d->nr == __NR_sendmsg ? 0 :
						   i * sizeof(struct mmsghdr));
			if (peek(pid, at, &mh, sizeof mh) != (ssize_t)sizeof mh)
				break;
			if (mh.msg_name == NULL)
				continue;
			size_t l = mh.msg_namelen < sizeof ss ? mh.msg_namelen : sizeof ss;
			if (peek(pid, (uintptr_t)mh.msg_name, &ss, l) != (ssize_t)l)
				break;
			if (!fmt_addr(&ss, l, out, outlen))
				return 0;
		}
		return 1;
	}
	if (addr == 0)
		return 1;
	size_t l = alen < sizeof ss ? (size_t)alen : sizeof ss;
	if (l < sizeof(sa_family_t) || peek(pid, addr, &ss, l) != (ssize_t)l) {
		snprintf(out, outlen, "(unreadable address)");
		return 0;
	}
	return fmt_addr(&ss, l, out, outlen);
}

static void handle_notif(struct ward_sb *sb, int nfd, struct ward_sb_result *res)
{
	struct seccomp_notif *req = calloc(1, sb->notif_size);
	struct seccomp_notif_resp *resp = calloc(1, sb->resp_size);
	if (req == NULL || resp == NULL)
		goto out;
	if (ioctl(nfd, SECCOMP_IOCTL_NOTIF_RECV, req) != 0)
		goto out; /* the target died meanwhile */
	char dest[160] = "";
	int benign = read_dest((pid_t)req->pid, &req->data, dest, sizeof dest);
	resp->id = req->id;
	if (ioctl(nfd, SECCOMP_IOCTL_NOTIF_ID_VALID, &req->id) != 0)
		goto out;
	char proxy[64];
	snprintf(proxy, sizeof proxy, WARD_SB_PROXY_ADDR ":%u", WARD_SB_PROXY_PORT);
	if (!benign && req->data.nr == __NR_connect && sb->cfg.proxy_sock > 2 &&
	    strcmp(dest, proxy) == 0) {
		/* The proxy: allowed.  Should the agent rewrite the address
		 * before the kernel reads it again, the empty namespace has
		 * nothing but its own loopback to reach. */
		resp->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
	} else if (benign) {
		/* Unix sockets and plain sends: the kernel's own checks decide
		 * (mount namespace, Landlock scoping); nothing to report. */
		resp->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
	} else {
		resp->error = -EACCES;
		res->blocked++;
		log_line(sb->cfg.log_fd, "BLOCKED net.%s %s reason=proxy_bypass\n",
			 req->data.nr == __NR_connect ? "connect" : "send", dest);
	}
	(void)ioctl(nfd, SECCOMP_IOCTL_NOTIF_SEND, resp);
out:
	free(req);
	free(resp);
}

int ward_sb_run(struct ward_sb *sb, char *const argv[], struct ward_sb_result *res,
		char *err, size_t errlen)
{
	const struct ward_sb_config *cfg = &sb->cfg;
	memset(res, 0, sizeof *res);
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (argv == NULL || argv[0] == NULL || argv[0][0] == '\0') {
		sb_err(err, errlen, "refused: no command to run");
		return -1;
	}
	for (size_t i = 0; i < cfg->npass_fds; i++)
		if (fcntl(cfg->pass_fds[i], F_GETFD) < 0) {
			sb_err(err, errlen, "refused: fd %d is to be passed but is not open",
			       cfg->pass_fds[i]);
			return -1;
		}
	if (cfg->one_shot && sb->runs > 0) {
		sb_err(err, errlen, "refused: this sandbox was prepared for one run "
		       "(one_shot) and has run; prepare another");
		return -1;
	}
	if (sb->root_fd < 0) {
		sb_err(err, errlen, "refused: the prepared root is gone; prepare another "
		       "sandbox");
		return -1;
	}
	sb->runs++;

	struct child_ctx *cx = calloc(1, sizeof *cx);
	if (cx == NULL) {
		sb_err(err, errlen, "out of memory");
		return -1;
	}
	int ret = -1, pidfd = -1, nfd = -1;
	int sv[2] = { -1, -1 };
	pid_t pid = -1;
	struct sb_cg_inst cg;
	memset(&cg, 0, sizeof cg);
	cg.v2_dirfd = -1;
	cg.lock_fd = -1;
	for (int i = 0; i < SB_CG_N; i++)
		cg.tasks_fd[i] = -1;
	cx->sb = sb;
	cx->argv = argv;
	cx->rootfd = -1;
	cx->wsfd = -1;
	cx->ws = cfg->workspace != NULL ? ws_inside(cfg) : NULL;
	/* This spawn's root and workspace: the trees built by
	 * ward_sb_prepare() themselves for a one-shot sandbox, else copies of
	 * them (one call each). */
	if (cfg->one_shot) {
		cx->rootfd = sb->root_fd;
		cx->wsfd = sb->ws_fd;
		sb->root_fd = -1;
		sb->ws_fd = -1;
	} else {
		cx->rootfd = open_tree(sb->root_fd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC |
				       AT_EMPTY_PATH | AT_RECURSIVE);
		if (cx->rootfd < 0) {
			sb_err(err, errlen, "cannot copy the prepared root: %s", strerror(errno));
			goto out;
		}
		if (sb->ws_fd >= 0) {
			cx->wsfd = open_tree(sb->ws_fd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC |
					     AT_EMPTY_PATH | AT_RECURSIVE);
			if (cx->wsfd < 0) {
				sb_err(err, errlen, "cannot copy the prepared workspace: %s",
				       strerror(errno));
				goto out;
			}
		}
	}
	/* The cgroup leaves, before clone: v2 ones are needed then
	 * (CLONE_INTO_CGROUP), and on a busy host a child that finds
	 * everything ready runs through faster than one that waits for the
	 * parent.  Leaves kept from the last spawn are ready already. */
	if (sb->have_spare) {
		cg = sb->spare;
		sb->have_spare = 0;
	} else if (sb_cg_create(&sb->cg, cfg, &cg, err, errlen) < 0) {
		goto out;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
		sb_err(err, errlen, "socketpair: %s", strerror(errno));
		goto out;
	}
	/* The child's end must not collide with a passed fd. */
	int maxpass = 2;
	for (size_t i = 0; i < cfg->npass_fds; i++)
		if (cfg->pass_fds[i] > maxpass)
			maxpass = cfg->pass_fds[i];
	if (sv[1] <= maxpass) {
		int nd = fcntl(sv[1], F_DUPFD_CLOEXEC, maxpass + 1);
		if (nd < 0) {
			sb_err(err, errlen, "fcntl: %s", strerror(errno));
			goto out;
		}
		close(sv[1]);
		sv[1] = nd;
	}
	cx->sock = sv[1];

	uint64_t t0 = now_ns();
	struct clone_args ca = {
		.flags = CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS |
			 CLONE_PIDFD | CLONE_FILES,
		.pidfd = (uint64_t)(uintptr_t)&pidfd,
		.exit_signal = SIGCHLD,
	};
	if (cg.v2_dirfd >= 0) {
		ca.flags |= CLONE_INTO_CGROUP;
		ca.cgroup = (uint64_t)cg.v2_dirfd;
	}
	pid = (pid_t)syscall(SYS_clone3, &ca, sizeof ca);
	if (pid < 0) {
		sb_err(err, errlen, "cannot create the namespaces: %s", strerror(errno));
		goto out;
	}
	if (pid == 0)
		_exit(child_main(cx));
	/* Until the child unshares the fd table, closing anything here would
	 * close it there too: sv[1], the root and the workspace stay open
	 * until 'L'. */

	char path[64], map[64];
	snprintf(map, sizeof map, "%u %u 1\n", WARD_SB_INNER_ID, cfg->host_uid);
	snprintf(path, sizeof path, "/proc/%ld/uid_map", (long)pid);
	if (write_file(path, map) != 0) {
		sb_err(err, errlen, "cannot write the uid map: %s", strerror(errno));
		goto kill;
	}
	snprintf(map, sizeof map, "%u %u 1\n", WARD_SB_INNER_ID, cfg->host_gid);
	snprintf(path, sizeof path, "/proc/%ld/gid_map", (long)pid);
	if (write_file(path, map) != 0) {
		sb_err(err, errlen, "cannot write the gid map: %s", strerror(errno));
		goto kill;
	}
	/* Everything the child needs is in the fd table it shares. */
	struct gmsg gm = { .tag = 'G', .rootfd = cx->rootfd, .wsfd = cx->wsfd };
	for (int i = 0; i < SB_CG_N; i++)
		gm.tasks_fd[i] = cg.tasks_fd[i];
	if (send(sv[0], &gm, sizeof gm, MSG_NOSIGNAL) != (ssize_t)sizeof gm) {
		sb_err(err, errlen, "the sandbox child died during setup");
		goto kill;
	}

	/* Supervise: setup messages, seccomp notifications, exit, timeout. */
	uint64_t deadline = cfg->timeout_ms ? t0 + cfg->timeout_ms * 1000000ull : 0;
	int exited = 0;
	while (!exited) {
		struct pollfd pf[3] = {
			{ .fd = pidfd, .events = POLLIN },
			{ .fd = sv[0], .events = POLLIN },
			{ .fd = nfd, .events = POLLIN },
		};
		int timeout = -1;
		if (deadline) {
			uint64_t now = now_ns();
			if (now >= deadline) {
				res->timed_out = 1;
				(void)syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
				deadline = 0;
				continue;
			}
			timeout = (int)((deadline - now + 999999) / 1000000);
		}
		if (cfg->cancel != NULL && *cfg->cancel && !res->cancelled) {
			res->cancelled = 1;
			(void)syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
		}
		int n = poll(pf, 3, timeout);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			sb_err(err, errlen, "poll: %s", strerror(errno));
			goto kill;
		}
		if (pf[1].revents) {
			char msg[WARD_SB_ERRLEN];
			ssize_t m = recv(sv[0], msg, sizeof msg - 1, 0);
			if (m > 0 && msg[0] == 'L' && m == 1 + (ssize_t)sizeof(int)) {
				/* The child has its own fd table now: the listener is
				 * ours, and our copies of its fds can go. */
				memcpy(&nfd, msg + 1, sizeof nfd);
				close(sv[1]);
				sv[1] = -1;
				if (cx->rootfd >= 0) {
					close(cx->rootfd);
					cx->rootfd = -1;
				}
				if (cx->wsfd >= 0) {
					close(cx->wsfd);
					cx->wsfd = -1;
				}
			} else if (m > 0 && msg[0] == 'E') {
				msg[m] = '\0';
				sb_err(err, errlen, "sandbox setup failed: %s", msg + 1);
				res->setup_failed = 1;
			} else {
				/* EOF: exec'd (or died); stop watching the socket. */
				close(sv[0]);
				sv[0] = -1;
			}
		}
		if (nfd >= 0 && (pf[2].revents & POLLIN))
			handle_notif(sb, nfd, res);
		if (nfd >= 0 && (pf[2].revents & (POLLHUP | POLLERR))) {
			close(nfd);
			nfd = -1;
		}
		if (pf[0].revents & POLLIN)
			exited = 1;
	}
	struct rusage ru;
	if (wait4(pid, &res->wait_status, 0, &ru) != pid) {
		sb_err(err, errlen, "wait4: %s", strerror(errno));
		goto out;
	}
	pid = -1;
	res->wall_ns = now_ns() - t0;
	res->utime = ru.ru_utime;
	res->stime = ru.ru_stime;
	res->maxrss_kb = ru.ru_maxrss;
	sb_cg_usage(&cg, res);
	ret = res->setup_failed ? -1 : 0;
	/* Empty leaves, their peak counters reset, serve the next spawn. */
	if (!cfg->one_shot && !sb->have_spare && sb_cg_recycle(&cg) == 0) {
		sb->spare = cg;
		sb->have_spare = 1;
		memset(&cg, 0, sizeof cg);
		cg.v2_dirfd = -1;
	cg.lock_fd = -1;
		for (int i = 0; i < SB_CG_N; i++)
			cg.tasks_fd[i] = -1;
	}
	goto out;
kill:
	if (pidfd >= 0)
		(void)syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
	else if (pid > 0)
		(void)kill(pid, SIGKILL);
	if (pid > 0)
		(void)waitpid(pid, NULL, 0);
	pid = -1;
out:
	if (nfd >= 0)
		close(nfd);
	if (pidfd >= 0)
		close(pidfd);
	if (sv[0] >= 0)
		close(sv[0]);
	if (sv[1] >= 0)
		close(sv[1]);
	if (cx->rootfd >= 0)
		close(cx->rootfd);
	if (cx->wsfd >= 0)
		close(cx->wsfd);
	sb_cg_destroy(&cg);
	free(cx);
	return ret;
}
