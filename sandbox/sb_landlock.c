/*
 * sb_landlock.c -- the Landlock ring: read/write allowlists on the paths of
 * the sandbox's own root, TCP denied, abstract unix sockets and signals
 * scoped to the sandbox, each to the extent the running kernel's ABI has it.
 *
 * The constants newer than this system's <linux/landlock.h> are spelled out
 * here with their ABI version; they are part of the kernel's stable ABI.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/landlock.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sb_internal.h"

#define LL_FS_TRUNCATE (1ULL << 14)  /* ABI 3 */
#define LL_FS_IOCTL_DEV (1ULL << 15) /* ABI 5 */
#define LL_NET_BIND_TCP (1ULL << 0)  /* ABI 4 */
#define LL_NET_CONNECT_TCP (1ULL << 1)
#define LL_SCOPE_ABSTRACT_UNIX (1ULL << 0) /* ABI 6 */
#define LL_SCOPE_SIGNAL (1ULL << 1)

struct ll_attr {
	uint64_t handled_access_fs;
	uint64_t handled_access_net;
	uint64_t scoped;
};

#define LL_READ (LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_READ_FILE | \
		 LANDLOCK_ACCESS_FS_READ_DIR)

int sb_landlock_abi(void)
{
	return (int)syscall(SYS_landlock_create_ruleset, NULL, 0,
			    LANDLOCK_CREATE_RULESET_VERSION);
}

int ward_sb_landlock_abi(void)
{
	return sb_landlock_abi();
}

static uint64_t fs_all(int abi)
{
	uint64_t a = (LANDLOCK_ACCESS_FS_MAKE_SYM << 1) - 1; /* ABI 1 */
	if (abi >= 2)
		a |= LANDLOCK_ACCESS_FS_REFER;
	if (abi >= 3)
		a |= LL_FS_TRUNCATE;
	if (abi >= 5)
		a |= LL_FS_IOCTL_DEV;
	return a;
}

static int add_path(int rs, const char *path, uint64_t access, char *err,
		    size_t errlen)
{
	struct landlock_path_beneath_attr pb = { .allowed_access = access };
	pb.parent_fd = open(path, O_PATH | O_CLOEXEC);
	if (pb.parent_fd < 0) {
		if (errno == ENOENT)
			return 0; /* nothing there to allow */
		sb_err(err, errlen, "landlock: cannot open %s: %s", path,
		       strerror(errno));
		return -1;
	}
	/* A rule on a non-directory may only carry file rights. */
	struct stat st;
	if (fstat(pb.parent_fd, &st) == 0 && !S_ISDIR(st.st_mode))
		pb.allowed_access &= LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE |
				     LANDLOCK_ACCESS_FS_READ_FILE | LL_FS_TRUNCATE |
				     LL_FS_IOCTL_DEV;
	int rc = (int)syscall(SYS_landlock_add_rule, rs, LANDLOCK_RULE_PATH_BENEATH,
			      &pb, 0);
	int e = errno;
	close(pb.parent_fd);
	if (rc != 0) {
		sb_err(err, errlen, "landlock: cannot add the rule for %s: %s",
		       path, strerror(e));
		return -1;
	}
	return 0;
}

int sb_landlock_apply(int abi, const char *const *ro, size_t nro,
		      const char *const *rw, size_t nrw,
		      const char *const *dev, size_t ndev, unsigned connect_port,
		      char *err, size_t errlen)
{
	struct ll_attr attr = { .handled_access_fs = fs_all(abi) };
	size_t size = sizeof(uint64_t);
	if (abi >= 4) {
		attr.handled_access_net = LL_NET_BIND_TCP | LL_NET_CONNECT_TCP;
		size = 2 * sizeof(uint64_t);
	}
	if (abi >= 6) {
		attr.scoped = LL_SCOPE_ABSTRACT_UNIX | LL_SCOPE_SIGNAL;
		size = sizeof attr;
	}
	int rs = (int)syscall(SYS_landlock_create_ruleset, &attr, size, 0);
	if (rs < 0) {
		sb_err(err, errlen, "landlock: cannot create a ruleset (ABI %d): %s",
		       abi, strerror(errno));
		return -1;
	}
	uint64_t all = attr.handled_access_fs;
	uint64_t file_rw = LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_WRITE_FILE |
			   (abi >= 3 ? LL_FS_TRUNCATE : 0) |
			   (abi >= 5 ? LL_FS_IOCTL_DEV : 0);
	int ret = -1;
	for (size_t i = 0; i < nro; i++)
		if (add_path(rs, ro[i], strcmp(ro[i], "/") == 0 ?
			     LANDLOCK_ACCESS_FS_READ_DIR : LL_READ, err, errlen) < 0)
			goto out;
	for (size_t i = 0; i < nrw; i++)
		if (add_path(rs, rw[i], all, err, errlen) < 0)
			goto out;
	for (size_t i = 0; i < ndev; i++)
		if (add_path(rs, dev[i], file_rw, err, errlen) < 0)
			goto out;
	if (abi >= 4 && connect_port != 0) {
		/* struct landlock_net_port_attr, rule type 2 (ABI 4) */
		struct { uint64_t allowed_access, port; } np = {
			LL_NET_CONNECT_TCP, connect_port };
		if (syscall(SYS_landlock_add_rule, rs, 2, &np, 0) != 0) {
			sb_err(err, errlen, "landlock: cannot allow the proxy port "
			       "%u: %s", connect_port, strerror(errno));
			goto out;
		}
	}
	if (syscall(SYS_landlock_restrict_self, rs, 0) != 0) {
		sb_err(err, errlen, "landlock: restrict_self failed: %s",
		       strerror(errno));
		goto out;
	}
	ret = 0;
out:
	close(rs);
	return ret;
}
