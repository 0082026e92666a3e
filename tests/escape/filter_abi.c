/*
 * filter_abi.c -- the sandbox's seccomp filters refuse foreign ABIs, shown
 * on every host.  The escape battery's i386 and x32 attempts need a kernel
 * that has those entries (some do not: int $0x80 faults with SIGSEGV on
 * them outside any sandbox), so this program runs the filters baked into
 * 'ward sandbox' through a classic-BPF interpreter of its own, on the
 * seccomp_data the kernel would build for each ABI, and requires the kill
 * action.  A positive control (getpid on x86_64 is allowed) shows the
 * interpreter runs the filter at all.
 *
 * Protocol: "PASS name" / "FAIL name: why", exit 1 if any failed.
 */
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

extern const struct sock_filter sb_baked_main[], sb_baked_guard[];
extern const unsigned short sb_baked_main_len, sb_baked_guard_len;

static int failures;

/* Classic BPF as the kernel's seccomp runs it: A, X, 16 scratch words,
 * loads from struct seccomp_data only.  Returns the action word, or
 * 0xffffffff for a program the kernel would not have accepted. */
static uint32_t run(const struct sock_filter *p, unsigned n, const struct seccomp_data *d)
{
	uint32_t a = 0, x = 0, mem[BPF_MEMWORDS] = { 0 };
	unsigned pc = 0, steps = 0;

	while (pc < n && steps++ < 4096) {
		const struct sock_filter *f = &p[pc++];
		uint32_t src = BPF_SRC(f->code) == BPF_X ? x : f->k;

		switch (BPF_CLASS(f->code)) {
		case BPF_LD:
			if (BPF_MODE(f->code) == BPF_ABS && BPF_SIZE(f->code) == BPF_W &&
			    f->k % 4 == 0 && f->k + 4 <= sizeof *d)
				memcpy(&a, (const char *)d + f->k, 4);
			else if (BPF_MODE(f->code) == BPF_IMM)
				a = f->k;
			else if (BPF_MODE(f->code) == BPF_MEM && f->k < BPF_MEMWORDS)
				a = mem[f->k];
			else if (BPF_MODE(f->code) == BPF_LEN)
				a = sizeof *d;
			else
				return 0xffffffffu;
			break;
		case BPF_LDX:
			if (BPF_MODE(f->code) == BPF_IMM)
				x = f->k;
			else if (BPF_MODE(f->code) == BPF_MEM && f->k < BPF_MEMWORDS)
				x = mem[f->k];
			else if (BPF_MODE(f->code) == BPF_LEN)
				x = sizeof *d;
			else
				return 0xffffffffu;
			break;
		case BPF_ST:
		case BPF_STX:
			if (f->k >= BPF_MEMWORDS)
				return 0xffffffffu;
			mem[f->k] = BPF_CLASS(f->code) == BPF_ST ? a : x;
			break;
		case BPF_ALU:
			switch (BPF_OP(f->code)) {
			case BPF_ADD: a += src; break;
			case BPF_SUB: a -= src; break;
			case BPF_MUL: a *= src; break;
			case BPF_DIV: if (src == 0) return 0; a /= src; break;
			case BPF_MOD: if (src == 0) return 0; a %= src; break;
			case BPF_AND: a &= src; break;
			case BPF_OR: a |= src; break;
			case BPF_XOR: a ^= src; break;
			case BPF_LSH: a = src < 32 ? a << src : 0; break;
			case BPF_RSH: a = src < 32 ? a >> src : 0; break;
			case BPF_NEG: a = (uint32_t)-a; break;
			default: return 0xffffffffu;
			}
			break;
		case BPF_JMP:
			if (BPF_OP(f->code) == BPF_JA) {
				pc += f->k;
				break;
			}
			{
				int t;
				switch (BPF_OP(f->code)) {
				case BPF_JEQ: t = a == src; break;
				case BPF_JGT: t = a > src; break;
				case BPF_JGE: t = a >= src; break;
				case BPF_JSET: t = (a & src) != 0; break;
				default: return 0xffffffffu;
				}
				pc += t ? f->jt : f->jf;
			}
			break;
		case BPF_RET:
			return BPF_RVAL(f->code) == BPF_A ? a : f->k;
		case BPF_MISC:
			if (BPF_MISCOP(f->code) == BPF_TAX)
				x = a;
			else
				a = x;
			break;
		default:
			return 0xffffffffu;
		}
	}
	return 0xffffffffu;	/* fell off the end or looped */
}

static const char *action_name(uint32_t r)
{
	switch (r & SECCOMP_RET_ACTION_FULL) {
	case SECCOMP_RET_KILL_PROCESS: return "kill_process";
	case SECCOMP_RET_KILL_THREAD: return "kill_thread";
	case SECCOMP_RET_TRAP: return "trap";
	case SECCOMP_RET_ERRNO: return "errno";
	case SECCOMP_RET_USER_NOTIF: return "user_notif";
	case SECCOMP_RET_TRACE: return "trace";
	case SECCOMP_RET_LOG: return "log";
	case SECCOMP_RET_ALLOW: return "allow";
	default: return "invalid";
	}
}

/* Both filters are loaded; the kernel applies the most restrictive
 * action, and for the kill actions it is enough that one of them kills. */
static void expect(const char *name, uint32_t arch, int nr, int want_kill)
{
	struct seccomp_data d;
	uint32_t m, g;
	int killed;

	memset(&d, 0, sizeof d);
	d.arch = arch;
	d.nr = nr;
	m = run(sb_baked_main, sb_baked_main_len, &d);
	g = run(sb_baked_guard, sb_baked_guard_len, &d);
	killed = (m & SECCOMP_RET_ACTION_FULL) == SECCOMP_RET_KILL_PROCESS ||
		 (g & SECCOMP_RET_ACTION_FULL) == SECCOMP_RET_KILL_PROCESS;
	if (m == 0xffffffffu || g == 0xffffffffu) {
		printf("FAIL %s: the interpreter met an instruction it does not know\n", name);
		failures++;
	} else if (want_kill ? killed
			     : ((m & SECCOMP_RET_ACTION_FULL) == SECCOMP_RET_ALLOW &&
				(g & SECCOMP_RET_ACTION_FULL) == SECCOMP_RET_ALLOW)) {
		printf("PASS %s\n", name);
	} else {
		printf("FAIL %s: main filter says %s, guard says %s\n", name,
		       action_name(m), action_name(g));
		failures++;
	}
}

int main(void)
{
	if (sb_baked_main_len == 0 || sb_baked_guard_len == 0) {
		printf("FAIL filter_abi_baked: no filter is baked into the build\n");
		return 1;
	}
	expect("filter_allows_native_getpid", AUDIT_ARCH_X86_64, 39, 0);
	expect("filter_kills_i386_getpid", AUDIT_ARCH_I386, 20, 1);
	expect("filter_kills_i386_socketcall", AUDIT_ARCH_I386, 102, 1);
	expect("filter_kills_x32_getpid", AUDIT_ARCH_X86_64, 0x40000000 | 39, 1);
	expect("filter_kills_aarch64_abi", AUDIT_ARCH_AARCH64, 172, 1);
	return failures ? 1 : 0;
}
