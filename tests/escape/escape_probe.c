/*
 * escape_probe.c -- runs INSIDE 'ward sandbox' and tries to get out.
 *
 * One line per attempt: "PASS name" when the attempt was contained in the
 * expected way, "FAIL name: what happened" otherwise.  Each expectation is
 * the specific refusal of the ring that should stop it, so that turning a
 * ring off turns its tests into failures.  The host side of the battery
 * (tests/suites/escape-battery) checks what reached the host.
 *
 * usage: escape_probe OUTSIDE_DIR TCP_PORT UDP_PORT UNIX_PATH ABSTRACT_NAME
 *                     HOST_PID HOSTNAME PIDS_MAX TMP_BYTES
 */
#include <dirent.h>
#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <linux/keyctl.h>
#include <linux/perf_event.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

extern char **environ;

static int failures, total;
static const char *outside, *unix_path, *abstract_name, *host_name;
static int tcp_port, udp_port;
static long host_pid, pids_max, tmp_bytes;

static void result(const char *name, int ok, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void result(const char *name, int ok, const char *fmt, ...)
{
	total++;
	if (ok) {
		printf("PASS %s\n", name);
	} else {
		failures++;
		char why[256];
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(why, sizeof why, fmt, ap);
		va_end(ap);
		printf("FAIL %s: %s\n", name, why);
	}
	fflush(stdout);
}

/* rc < 0 with errno one of the listed values (list ends with 0). */
static void refused(const char *name, long rc, int e, ...)
{
	int err = errno;
	if (rc >= 0) {
		result(name, 0, "succeeded (returned %ld)", rc);
		return;
	}
	va_list ap;
	va_start(ap, e);
	int ok = 0;
	for (int x = e; x != 0; x = va_arg(ap, int))
		if (x == err)
			ok = 1;
	va_end(ap);
	result(name, ok, "refused, but with %s (errno %d), not the expected ring's answer",
	       strerror(err), err);
}

#define REFUSED(name, call, ...) do { errno = 0; long rc_ = (long)(call); \
	refused(name, rc_, __VA_ARGS__, 0); } while (0)

static char *path_in(const char *dir, const char *leaf)
{
	static char buf[4][4096];
	static int k;
	k = (k + 1) % 4;
	snprintf(buf[k], sizeof buf[k], "%s/%s", dir, leaf);
	return buf[k];
}

/* Runs fn in a child; returns its wait status (or -1). */
static int in_child(void (*fn)(void), int seconds)
{
	pid_t p = fork();
	if (p < 0)
		return -1;
	if (p == 0) {
		alarm((unsigned)seconds);
		fn();
		_exit(0);
	}
	int st;
	if (waitpid(p, &st, 0) != p)
		return -1;
	return st;
}

/* ---- file system ------------------------------------------------------ */

static void fs_attacks(void)
{
	REFUSED("read_etc_shadow", open("/etc/shadow", O_RDONLY), ENOENT);
	REFUSED("read_root_ssh_key", open("/root/.ssh/id_ed25519", O_RDONLY), ENOENT);
	REFUSED("list_root_home", open("/root", O_RDONLY | O_DIRECTORY), ENOENT);
	REFUSED("list_home", open("/home", O_RDONLY | O_DIRECTORY), ENOENT);
	REFUSED("read_srv_canary", open("/srv/ward-escape-canary", O_RDONLY), ENOENT);
	REFUSED("read_world_readable_outside_workspace",
		open(path_in(outside, "victim"), O_RDONLY), ENOENT);
	REFUSED("read_dotdot_outside_workspace", open("../outside/victim", O_RDONLY), ENOENT);
	REFUSED("read_via_proc_root", open(path_in("/proc/1/root", outside + 1), O_RDONLY),
		ENOENT);
	REFUSED("read_var_state", open("/var/lib", O_RDONLY | O_DIRECTORY), ENOENT);
	REFUSED("read_sys", open("/sys/kernel", O_RDONLY | O_DIRECTORY), ENOENT);

	/* symlink planted in the workspace pointing outside, then used */
	(void)unlink("esc_link");
	if (symlink(path_in(outside, "victim"), "esc_link") != 0) {
		result("symlink_escape_write", 0, "cannot even create a symlink: %s",
		       strerror(errno));
	} else {
		REFUSED("symlink_escape_write", open("esc_link", O_WRONLY | O_APPEND), ENOENT);
		(void)unlink("esc_link");
	}
	(void)unlink("esc_link2");
	if (symlink("../outside", "esc_link2") == 0) {
		REFUSED("symlink_dotdot_escape", open("esc_link2/victim", O_RDONLY), ENOENT);
		(void)unlink("esc_link2");
	}
	REFUSED("hardlink_system_file_into_workspace", link("/usr/bin/true", "esc_hl"), EXDEV);
	REFUSED("hardlink_outside_file", link(path_in(outside, "victim"), "esc_hl2"), ENOENT);
	REFUSED("unlink_outside", unlink(path_in(outside, "victim")), ENOENT);
	REFUSED("rmdir_outside", rmdir(path_in(outside, "emptydir")), ENOENT);
	REFUSED("chmod_outside", chmod(path_in(outside, "victim"), 0777), ENOENT);
	REFUSED("rename_outside", rename(path_in(outside, "victim"), "stolen"), ENOENT);
	REFUSED("rename_workspace_file_out", rename("esc_mine", "/tmp/../esc_mine"), ENOENT,
		EROFS, EXDEV);
	REFUSED("write_etc", open("/etc/ward-escape", O_WRONLY | O_CREAT, 0644), EROFS);
	REFUSED("write_etc_passwd", open("/etc/passwd", O_WRONLY | O_APPEND), EROFS, EACCES);
	REFUSED("write_usr", open("/usr/bin/ward-escape", O_WRONLY | O_CREAT, 0755), EROFS);
	REFUSED("chmod_usr_binary", chmod("/usr/bin/true", 04777), EPERM, EROFS);
	REFUSED("write_root_dir", mkdir("/root", 0700), EROFS);
	REFUSED("write_new_top_level", open("/ward-escape", O_WRONLY | O_CREAT, 0644), EROFS);
	REFUSED("write_host_tmp_path", open(path_in(outside, "../ward-escape-pwned"),
					    O_WRONLY | O_CREAT, 0644), ENOENT);

	/* setuid bits in the idmapped workspace would be the host owner's */
	int fd = open("esc_suid", O_WRONLY | O_CREAT | O_TRUNC, 0755);
	if (fd >= 0)
		close(fd);
	REFUSED("setuid_bit_in_workspace", chmod("esc_suid", 04755), EPERM);
	REFUSED("setgid_bit_in_workspace", chmod("esc_suid", 02755), EPERM);
	REFUSED("create_setuid_file", open("esc_suid2", O_WRONLY | O_CREAT, 04755), EPERM);
	(void)unlink("esc_suid");

	REFUSED("mknod_char_device", mknod("/tmp/esc_mem", S_IFCHR | 0666, makedev(1, 1)),
		EPERM);
	REFUSED("mknod_block_device", mknod("/tmp/esc_sda", S_IFBLK | 0666, makedev(8, 0)),
		EPERM);
	REFUSED("open_dev_mem", open("/dev/mem", O_RDONLY), ENOENT);
	REFUSED("open_dev_kmsg", open("/dev/kmsg", O_RDONLY), ENOENT);

	/* Landlock: /proc is mounted writable, Landlock gives no write there */
	REFUSED("landlock_proc_self_write", open("/proc/self/comm", O_WRONLY), EACCES);
	REFUSED("landlock_dev_write_outside_nodes", open("/dev/ward-escape",
							 O_WRONLY | O_CREAT, 0644), EACCES, EROFS);
	REFUSED("proc_core_pattern", open("/proc/sys/kernel/core_pattern", O_WRONLY),
		EROFS, EACCES);
	REFUSED("proc_sysrq_trigger", open("/proc/sysrq-trigger", O_WRONLY), ENOENT, EROFS,
		EACCES);
	REFUSED("proc_sys_hostname", open("/proc/sys/kernel/hostname", O_WRONLY), EROFS,
		EACCES);

	/* and the things that must keep working */
	fd = open("esc_mine", O_WRONLY | O_CREAT | O_TRUNC, 0644);
	result("workspace_is_writable", fd >= 0 && write(fd, "ok\n", 3) == 3, "%s",
	       strerror(errno));
	if (fd >= 0)
		close(fd);
	fd = open("/dev/null", O_RDWR);
	result("dev_null_usable", fd >= 0, "%s", strerror(errno));
	if (fd >= 0)
		close(fd);
}

/* ---- processes, identity, inheritance ---------------------------------- */

static void proc_attacks(void)
{
	/* host processes: only our own namespace is visible */
	DIR *d = opendir("/proc");
	int npids = 0, host_seen = 0;
	struct dirent *de;
	while (d != NULL && (de = readdir(d)) != NULL) {
		char *end;
		long pid = strtol(de->d_name, &end, 10);
		if (*end != '\0' || pid <= 0)
			continue;
		npids++;
		char p[64], cmd[256] = "";
		snprintf(p, sizeof p, "/proc/%ld/cmdline", pid);
		int fd = open(p, O_RDONLY);
		if (fd >= 0) {
			ssize_t n = read(fd, cmd, sizeof cmd - 1);
			cmd[n > 0 ? n : 0] = '\0';
			close(fd);
		}
		if (strstr(cmd, "escape_host") != NULL || strstr(cmd, "escape-battery") != NULL)
			host_seen = 1;
	}
	if (d != NULL)
		closedir(d);
	result("see_host_processes", !host_seen && npids <= 3 && getpid() == 1,
	       "%d processes visible, host harness visible=%d, own pid %d", npids,
	       host_seen, (int)getpid());
	REFUSED("signal_host_process", kill((pid_t)host_pid, 0), ESRCH);

	int leaked = 0;
	for (char **e = environ; *e != NULL; e++)
		if (strncmp(*e, "WARD_ESCAPE_DECLARED=", 21) != 0 &&
		    strncmp(*e, "WARD_ESCAPE_HOST_I386=", 22) != 0)
			leaked++;
	result("inherited_environment", leaked == 0 && getenv("WARD_ESCAPE_SECRET") == NULL &&
	       getenv("WARD_ESCAPE_DECLARED") != NULL,
	       "%d undeclared variables visible", leaked);

	int open_fds = 0, first = -1;
	for (int fd = 3; fd < 1024; fd++)
		if (fcntl(fd, F_GETFD) >= 0) {
			open_fds++;
			if (first < 0)
				first = fd;
		}
	result("inherited_file_descriptor", open_fds == 0, "%d fds open beyond 0-2 (first %d)",
	       open_fds, first);

	char buf[4096];
	int fd = open("/proc/self/status", O_RDONLY);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
	if (fd >= 0)
		close(fd);
	buf[n > 0 ? n : 0] = '\0';
	static const char *const capf[] = { "CapInh:", "CapPrm:", "CapEff:", "CapBnd:",
					    "CapAmb:" };
	int caps_ok = n > 0;
	for (size_t i = 0; i < 5; i++) {
		char *l = strstr(buf, capf[i]);
		if (l == NULL || strtoull(l + strlen(capf[i]), NULL, 16) != 0)
			caps_ok = 0;
	}
	result("capabilities_left", caps_ok, "a capability set is not empty");
	char *nnp = strstr(buf, "NoNewPrivs:");
	result("no_new_privs", nnp != NULL && atoi(nnp + 11) == 1, "NoNewPrivs is not 1");
	result("runs_as_unprivileged_uid", getuid() == 1000 && geteuid() == 1000 &&
	       getgid() == 1000, "uid %d euid %d gid %d", (int)getuid(), (int)geteuid(),
	       (int)getgid());
	REFUSED("setuid_root", setuid(0), EPERM, EINVAL);
	result("new_session", getsid(0) == getpid(), "sid %d pid %d", (int)getsid(0),
	       (int)getpid());
	REFUSED("controlling_tty", open("/dev/tty", O_RDWR), ENOENT, ENXIO);

	struct utsname u;
	result("hostname_isolated", uname(&u) == 0 && strcmp(u.nodename, host_name) != 0,
	       "nodename is the host's (%s)", u.nodename);
	REFUSED("sethostname", sethostname("pwned", 5), EPERM);
}

/* ---- network ------------------------------------------------------------ */

static void net_attacks(void)
{
	struct sockaddr_in in = { .sin_family = AF_INET, .sin_port = htons((uint16_t)tcp_port) };
	in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	int s = socket(AF_INET, SOCK_STREAM, 0);
	REFUSED("tcp_connect_host_loopback", connect(s, (void *)&in, sizeof in), EACCES);
	close(s);

	struct sockaddr_in6 in6 = { .sin6_family = AF_INET6,
				    .sin6_port = htons((uint16_t)tcp_port) };
	in6.sin6_addr = in6addr_loopback;
	s = socket(AF_INET6, SOCK_STREAM, 0);
	REFUSED("tcp6_connect_host_loopback", connect(s, (void *)&in6, sizeof in6), EACCES);
	close(s);

	in.sin_port = htons((uint16_t)udp_port);
	s = socket(AF_INET, SOCK_DGRAM, 0);
	REFUSED("udp_sendto_host_loopback", sendto(s, "x", 1, 0, (void *)&in, sizeof in),
		EACCES);
	struct iovec iov = { "y", 1 };
	struct msghdr mh = { .msg_name = &in, .msg_namelen = sizeof in, .msg_iov = &iov,
			     .msg_iovlen = 1 };
	REFUSED("udp_sendmsg_host_loopback", sendmsg(s, &mh, 0), EACCES);
	close(s);

	s = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in any = { .sin_family = AF_INET, .sin_port = htons(8080) };
	REFUSED("tcp_listen_inside", bind(s, (void *)&any, sizeof any), EACCES);
	close(s);

	struct sockaddr_un un = { .sun_family = AF_UNIX };
	snprintf(un.sun_path, sizeof un.sun_path, "%s", unix_path);
	s = socket(AF_UNIX, SOCK_STREAM, 0);
	REFUSED("unix_socket_host_path", connect(s, (void *)&un, sizeof un), ENOENT);
	close(s);
	static const char *const docker[] = { "/var/run/docker.sock", "/run/docker.sock" };
	for (int i = 0; i < 2; i++) {
		snprintf(un.sun_path, sizeof un.sun_path, "%s", docker[i]);
		s = socket(AF_UNIX, SOCK_STREAM, 0);
		REFUSED(i ? "docker_sock_run" : "docker_sock_var_run",
			connect(s, (void *)&un, sizeof un), ENOENT);
		close(s);
	}
	memset(un.sun_path, 0, sizeof un.sun_path);
	size_t al = strlen(abstract_name);
	memcpy(un.sun_path + 1, abstract_name, al);
	s = socket(AF_UNIX, SOCK_STREAM, 0);
	REFUSED("unix_socket_host_abstract",
		connect(s, (void *)&un, (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + al)),
		ECONNREFUSED, EPERM);
	close(s);

	REFUSED("raw_socket", socket(AF_INET, SOCK_RAW, IPPROTO_ICMP), EPERM);
	REFUSED("raw6_socket", socket(AF_INET6, SOCK_RAW, IPPROTO_ICMPV6), EPERM);
	REFUSED("packet_socket", socket(17 /* AF_PACKET */, SOCK_RAW, 0), EAFNOSUPPORT);
	REFUSED("netlink_socket", socket(16 /* AF_NETLINK */, SOCK_RAW, 0), EAFNOSUPPORT);
	REFUSED("vsock_socket", socket(40 /* AF_VSOCK */, SOCK_STREAM, 0), EAFNOSUPPORT);
}

/* ---- system calls --------------------------------------------------------- */

static void i386_getpid(void)
{
	long r;
	__asm__ volatile("int $0x80" : "=a"(r) : "a"(20L) : "memory");
	_exit(r > 0 ? 0 : 3);
}

static void i386_socketcall(void)
{
	long args[3] = { 2, 1, 0 }; /* AF_INET, SOCK_STREAM, 0 */
	long r;
	/* socketcall(SYS_SOCKET, args); the pointer must fit in 32 bits */
	long *a32 = mmap((void *)0x10000000, 4096, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (a32 == MAP_FAILED)
		_exit(4);
	int *ia = (int *)a32;
	for (int i = 0; i < 3; i++)
		ia[i] = (int)args[i];
	__asm__ volatile("int $0x80" : "=a"(r) : "a"(102L), "b"(1L), "c"(ia) : "memory");
	_exit(r >= 0 ? 0 : 3);
}

static void x32_getpid(void)
{
	long r = syscall(0x40000000L | 39);
	_exit(r > 0 ? 0 : 3);
}

static void killed_by_sigsys(const char *name, void (*fn)(void))
{
	int st = in_child(fn, 5);
	result(name, st != -1 && WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS,
	       "not killed by SIGSYS (status 0x%x)", st);
}

static void tracee(void)
{
	pause();
}

static void sys_attacks(void)
{
	char c = 'x';
	REFUSED("tiocsti", ioctl(0, TIOCSTI, &c), EPERM);
	REFUSED("tiocsti_high_bits", syscall(SYS_ioctl, 0, (1UL << 32) | TIOCSTI, &c), EPERM);
	REFUSED("tioclinux", ioctl(0, TIOCLINUX, &c), EPERM);

	/* The harness ran the same calls outside any sandbox first
	 * (--host-abi): a host without the i386 entry faults with SIGSEGV
	 * there, and a sandbox cannot be said to refuse what the host lacks.
	 * tests/escape/filter_abi checks the filter itself on every host. */
	const char *host_i386 = getenv("WARD_ESCAPE_HOST_I386");
	if (host_i386 != NULL && strcmp(host_i386, "yes") != 0) {
		printf("SKIP i386_int80: the host has no i386 entry (%s outside any "
		       "sandbox); filter_abi checks the filter instead\n", host_i386);
		printf("SKIP i386_socketcall: as i386_int80\n");
	} else {
		killed_by_sigsys("i386_int80", i386_getpid);
		killed_by_sigsys("i386_socketcall", i386_socketcall);
	}
	killed_by_sigsys("x32_syscall", x32_getpid);

	REFUSED("io_uring_setup", syscall(425 /* io_uring_setup */, 8, &(char[120]){ 0 }),
		EPERM);
	REFUSED("unshare_user_ns", unshare(CLONE_NEWUSER), EPERM);
	REFUSED("unshare_mount_ns", unshare(CLONE_NEWNS), EPERM);
	REFUSED("clone_user_ns", syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0),
		EPERM);
	REFUSED("clone3", syscall(435 /* clone3 */, &(uint64_t[11]){ 0 }, 88), EPERM, ENOSYS);
	int nsfd = open("/proc/self/ns/net", O_RDONLY);
	REFUSED("setns", setns(nsfd, 0), EPERM);
	if (nsfd >= 0)
		close(nsfd);
	REFUSED("mount_tmpfs", mount("none", "/tmp", "tmpfs", 0, NULL), EPERM);
	REFUSED("umount_workspace", umount2(".", MNT_DETACH), EPERM);
	REFUSED("chroot", chroot("/tmp"), EPERM);
	REFUSED("pivot_root", syscall(SYS_pivot_root, "/tmp", "/tmp"), EPERM);
	REFUSED("bpf", syscall(SYS_bpf, 0, &(char[128]){ 0 }, 128), EPERM);
	struct perf_event_attr pa = { .type = PERF_TYPE_SOFTWARE, .size = sizeof pa,
				      .config = PERF_COUNT_SW_CPU_CLOCK };
	REFUSED("perf_event_open", syscall(SYS_perf_event_open, &pa, 0, -1, -1, 0), EPERM);
	REFUSED("userfaultfd", syscall(SYS_userfaultfd, 0), EPERM);
	REFUSED("add_key", syscall(SYS_add_key, "user", "esc", "x", 1,
				   KEY_SPEC_SESSION_KEYRING), EPERM);
	REFUSED("keyctl", syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, 0), EPERM);

	pid_t t = fork();
	if (t == 0) {
		alarm(10);
		tracee();
		_exit(0);
	}
	REFUSED("ptrace_attach", ptrace(PTRACE_ATTACH, t, 0, 0), EPERM);
	char rb[16];
	struct iovec l = { rb, sizeof rb }, r = { (void *)&c, 1 };
	REFUSED("process_vm_readv", process_vm_readv(t, &l, 1, &r, 1, 0), EPERM);
	REFUSED("process_vm_writev", process_vm_writev(t, &l, 1, &r, 1, 0), EPERM);
	kill(t, SIGKILL);
	waitpid(t, NULL, 0);
	REFUSED("ptrace_traceme", ptrace(PTRACE_TRACEME, 0, 0, 0), EPERM);

	REFUSED("open_by_handle_at", syscall(SYS_open_by_handle_at, AT_FDCWD,
					     &(char[136]){ 0 }, O_RDONLY), EPERM);
	REFUSED("name_to_handle_at", syscall(SYS_name_to_handle_at, AT_FDCWD, ".",
					     &(char[136]){ 0 }, &(int){ 0 }, 0), EPERM);
	struct timespec ts = { 1, 0 };
	REFUSED("clock_settime", clock_settime(CLOCK_REALTIME, &ts), EPERM);
	REFUSED("settimeofday", settimeofday(&(struct timeval){ 1, 0 }, NULL), EPERM);
	REFUSED("iopl", syscall(SYS_iopl, 3), EPERM);
	REFUSED("ioperm", syscall(SYS_ioperm, 0x60, 1, 1), EPERM);
	REFUSED("init_module", syscall(SYS_init_module, "x", 1, ""), EPERM);
	REFUSED("finit_module", syscall(SYS_finit_module, 0, "", 0), EPERM);
	REFUSED("delete_module", syscall(SYS_delete_module, "ext4", 0), EPERM);
	REFUSED("kexec_load", syscall(SYS_kexec_load, 0, 0, NULL, 0), EPERM);
	REFUSED("syslog_read_kernel_log", syscall(SYS_syslog, 3, rb, sizeof rb), EPERM);
	REFUSED("modify_ldt", syscall(SYS_modify_ldt, 1, rb, 16), EPERM);
	REFUSED("personality_read_implies_exec", syscall(SYS_personality, 0x0400000), EPERM,
		ENOSYS);
	REFUSED("swapon", syscall(SYS_swapon, "/tmp/x", 0), EPERM);
	REFUSED("reboot", syscall(SYS_reboot, 0xfee1dead, 672274793, 0x4321fedc, NULL), EPERM);
}

/* ---- resources ---------------------------------------------------------- */

static int bomb_pipe[2];

static void fork_bomb(void)
{
	setpgid(0, 0);
	long n = 0;
	int err = 0;
	for (long i = 0; i < 100000; i++) {
		pid_t p = fork();
		if (p == 0) {
			pause();
			_exit(0);
		}
		if (p < 0) {
			err = errno;
			break;
		}
		n++;
	}
	long msg[2] = { n, err };
	if (write(bomb_pipe[1], msg, sizeof msg) != (ssize_t)sizeof msg)
		_exit(2);
	signal(SIGTERM, SIG_IGN);
	kill(0, SIGKILL);
	_exit(0);
}

static void memory_bomb(void)
{
	for (;;) {
		char *p = malloc(1 << 20);
		if (p == NULL)
			_exit(3);
		memset(p, 1, 1 << 20);
	}
}

static void res_attacks(void)
{
	if (pipe(bomb_pipe) != 0)
		return;
	int st = in_child(fork_bomb, 20);
	long msg[2] = { -1, 0 };
	if (read(bomb_pipe[0], msg, sizeof msg) != (ssize_t)sizeof msg)
		msg[0] = -1;
	close(bomb_pipe[0]);
	close(bomb_pipe[1]);
	result("fork_bomb", msg[0] >= 0 && msg[0] < pids_max && msg[1] == EAGAIN,
	       "forked %ld before failing with errno %ld (pids limit %ld, status 0x%x)",
	       msg[0], msg[1], pids_max, st);

	st = in_child(memory_bomb, 30);
	result("memory_bomb", st != -1 && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL,
	       "the bomb was not OOM-killed (status 0x%x)", st);

	int fd = open("/tmp/esc_fill", O_WRONLY | O_CREAT | O_TRUNC, 0600);
	static char chunk[1 << 16];
	long written = 0;
	int err = 0;
	memset(chunk, 'f', sizeof chunk);
	while (fd >= 0 && written < (1L << 31)) {
		ssize_t w = write(fd, chunk, sizeof chunk);
		if (w <= 0) {
			err = errno;
			break;
		}
		written += w;
	}
	if (fd >= 0)
		close(fd);
	unlink("/tmp/esc_fill");
	result("fill_tmp", err == ENOSPC && written <= tmp_bytes,
	       "wrote %ld bytes to /tmp (cap %ld), stopped by errno %d", written, tmp_bytes, err);
}

/* --host-abi: whether this host has the i386 entry at all, learned outside
 * any sandbox.  Prints "yes", or what happened instead. */
static int host_abi(void)
{
	int st = in_child(i386_getpid, 5);

	if (st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0)
		printf("yes\n");
	else if (st != -1 && WIFSIGNALED(st))
		printf("int $0x80 died of signal %d\n", WTERMSIG(st));
	else
		printf("int $0x80 ended with status 0x%x\n", (unsigned)st);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "--host-abi") == 0)
		return host_abi();
	if (argc != 10) {
		fprintf(stderr, "usage: escape_probe OUTSIDE TCP UDP UNIX ABSTRACT HOSTPID "
			"HOSTNAME PIDS TMPBYTES\n");
		return 2;
	}
	outside = argv[1];
	tcp_port = atoi(argv[2]);
	udp_port = atoi(argv[3]);
	unix_path = argv[4];
	abstract_name = argv[5];
	host_pid = atol(argv[6]);
	host_name = argv[7];
	pids_max = atol(argv[8]);
	tmp_bytes = atol(argv[9]);
	signal(SIGPIPE, SIG_IGN);

	fs_attacks();
	proc_attacks();
	net_attacks();
	sys_attacks();
	res_attacks();
	printf("# %d attempts, %d not contained\n", total, failures);
	return failures ? 1 : 0;
}
