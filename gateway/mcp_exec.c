/*
 * mcp_exec.c -- ward-mcp-exec, the first program of every upstream MCP
 * server's sandbox: it stacks one seccomp filter that turns clone3 into
 * ENOSYS, then execs the server.
 *
 * Why: the sandbox's allowlist refuses clone3 with EPERM (sandbox/
 * sb_seccomp.c), and glibc (2.34 and later) falls back to clone only on
 * ENOSYS, so pthread_create fails and Node.js aborts at start.  When
 * several filters give an errno, the kernel returns the data of the most
 * recently installed one, so this filter changes the errno and nothing
 * else: clone3 stays refused, clone with CLONE_NEW* flags is still refused
 * by the sandbox's guard filter.  Runs inside the sandbox with
 * no_new_privs already set; needs nothing but libc.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

int
main(int argc, char **argv)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_clone3, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { sizeof f / sizeof f[0], f };

	if (argc < 2) {
		fprintf(stderr, "usage: ward-mcp-exec PROGRAM [ARG...]\n");
		return 125;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
	    syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0) {
		fprintf(stderr, "ward-mcp-exec: cannot install the clone3 "
			"filter: %s\n", strerror(errno));
		return 125;
	}
	execvp(argv[1], argv + 1);
	fprintf(stderr, "ward-mcp-exec: cannot run %s: %s\n", argv[1],
		strerror(errno));
	return 127;
}
