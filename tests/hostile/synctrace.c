/*
 * synctrace.c -- an LD_PRELOAD shim for the durability-order suite
 * (durable.c).  Loaded into ward-core, it logs to $WARD_SYNC_TRACE, in one
 * global order across threads:
 *
 *   <n> D <fd> <size> <path>   an fsync or fdatasync of fd returned 0; the
 *                              file then held size bytes (the number is
 *                              taken AFTER the call returned)
 *   <n> S <fd> <len> <hex>     bytes about to go out on a socket through
 *                              sendmsg, send, sendto, write or writev (the
 *                              number is taken BEFORE the call)
 *
 * so "D before S" means the sync had completed before the bytes could leave.
 * Only sockets are logged for sends (nanomsg signals its worker through an
 * eventfd with write(), which is not a socket).  Not part of ward: built by
 * 'make' for the test suite only.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#define SEND_MAX 65536u	/* bytes of one send logged; more is cut (marked) */

static int tfd = -1;
static uint64_t counter;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;

static ssize_t (*real_sendmsg)(int, const struct msghdr *, int);
static ssize_t (*real_send)(int, const void *, size_t, int);
static ssize_t (*real_sendto)(int, const void *, size_t, int,
			      const struct sockaddr *, socklen_t);
static ssize_t (*real_write)(int, const void *, size_t);
static ssize_t (*real_writev)(int, const struct iovec *, int);
static int (*real_fsync)(int);
static int (*real_fdatasync)(int);

static void st_init(void) __attribute__((constructor));

/* The real functions; also called from a wrapper that runs before the
 * constructor (another library's constructor may write). */
static void
syms(void)
{
	real_sendmsg = (ssize_t (*)(int, const struct msghdr *, int))
		dlsym(RTLD_NEXT, "sendmsg");
	real_send = (ssize_t (*)(int, const void *, size_t, int))
		dlsym(RTLD_NEXT, "send");
	real_sendto = (ssize_t (*)(int, const void *, size_t, int,
				   const struct sockaddr *, socklen_t))
		dlsym(RTLD_NEXT, "sendto");
	real_write = (ssize_t (*)(int, const void *, size_t))
		dlsym(RTLD_NEXT, "write");
	real_writev = (ssize_t (*)(int, const struct iovec *, int))
		dlsym(RTLD_NEXT, "writev");
	real_fsync = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
	real_fdatasync = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");
}

/* The path is copied at load time (ward-core empties its environment)
 * and the file opened at the first event: ward-core closes every
 * inherited descriptor at start, and a descriptor opened before that
 * would be closed under us and its number reused (by the audit log). */
static char tpath[512];

static void
st_init(void)
{
	const char *p = getenv("WARD_SYNC_TRACE");

	if (real_fdatasync == NULL)
		syms();
	if (p != NULL && *p != '\0' && strlen(p) < sizeof tpath)
		memcpy(tpath, p, strlen(p) + 1);
}

static void
st_open(void)
{
	if (tfd < 0 && tpath[0] != '\0')
		tfd = (int)syscall(SYS_openat, AT_FDCWD, tpath,
				   O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
}

/* One line, one write(2) on an O_APPEND file: lines never interleave. */
static void
emit(const char *line, size_t n)
{
	size_t off = 0;

	st_open();
	while (tfd >= 0 && off < n) {
		long w = syscall(SYS_write, tfd, line + off, n - off);

		if (w <= 0)
			return;
		off += (size_t)w;
	}
}

static int
is_socket(int fd)
{
	struct stat st;

	return fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode);
}

static void
log_send(int fd, const struct iovec *iov, size_t niov)
{
	static const char hx[] = "0123456789abcdef";
	size_t total = 0, k = 0, i, j, len;
	char *line;
	int saved = errno;
	uint64_t n;

	st_open();
	if (tfd < 0 || !is_socket(fd))
		goto out;
	for (i = 0; i < niov; i++)
		total += iov[i].iov_len;
	len = total < SEND_MAX ? total : SEND_MAX;
	line = malloc(64 + 2 * len + 2);
	if (line == NULL)
		goto out;
	pthread_mutex_lock(&mu);
	n = ++counter;
	k = (size_t)snprintf(line, 64, "%llu S %d %zu%s ", (unsigned long long)n,
			     fd, total, total > len ? "+" : "");
	for (i = 0; i < niov && len > 0; i++) {
		const unsigned char *b = iov[i].iov_base;

		for (j = 0; j < iov[i].iov_len && len > 0; j++, len--) {
			line[k++] = hx[b[j] >> 4];
			line[k++] = hx[b[j] & 15];
		}
	}
	line[k++] = '\n';
	emit(line, k);
	pthread_mutex_unlock(&mu);
	free(line);
out:
	errno = saved;
}

static void
log_sync(int fd)
{
	char path[64], target[512], line[640];
	struct stat st;
	ssize_t tl;
	int saved = errno, k;

	st_open();
	if (tfd < 0)
		goto out;
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	tl = readlink(path, target, sizeof target - 1);
	if (tl < 0)
		tl = 0;
	target[tl] = '\0';
	if (fstat(fd, &st) != 0)
		st.st_size = -1;
	pthread_mutex_lock(&mu);
	k = snprintf(line, sizeof line, "%llu D %d %lld %s\n",
		     (unsigned long long)++counter, fd, (long long)st.st_size,
		     target);
	emit(line, (size_t)k < sizeof line ? (size_t)k : sizeof line - 1);
	pthread_mutex_unlock(&mu);
out:
	errno = saved;
}

#define RESOLVE() do { if (real_fdatasync == NULL) syms(); } while (0)

ssize_t
sendmsg(int fd, const struct msghdr *m, int flags)
{
	RESOLVE();
	if (m != NULL)
		log_send(fd, m->msg_iov, m->msg_iovlen);
	return real_sendmsg(fd, m, flags);
}

ssize_t
send(int fd, const void *buf, size_t len, int flags)
{
	struct iovec v = { (void *)buf, len };

	RESOLVE();
	log_send(fd, &v, 1);
	return real_send(fd, buf, len, flags);
}

ssize_t
sendto(int fd, const void *buf, size_t len, int flags,
       const struct sockaddr *to, socklen_t tolen)
{
	struct iovec v = { (void *)buf, len };

	RESOLVE();
	log_send(fd, &v, 1);
	return real_sendto(fd, buf, len, flags, to, tolen);
}

ssize_t
write(int fd, const void *buf, size_t len)
{
	struct iovec v = { (void *)buf, len };

	RESOLVE();
	log_send(fd, &v, 1);
	return real_write(fd, buf, len);
}

ssize_t
writev(int fd, const struct iovec *iov, int n)
{
	RESOLVE();
	if (n > 0)
		log_send(fd, iov, (size_t)n);
	return real_writev(fd, iov, n);
}

int
fsync(int fd)
{
	int r;

	RESOLVE();
	r = real_fsync(fd);
	if (r == 0)
		log_sync(fd);
	return r;
}

int
fdatasync(int fd)
{
	int r;

	RESOLVE();
	r = real_fdatasync(fd);
	if (r == 0)
		log_sync(fd);
	return r;
}
