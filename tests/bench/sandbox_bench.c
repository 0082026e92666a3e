/*
 * sandbox_bench.c -- spawn-to-exit latency of `true`, every ring on.
 *
 * Four contenders, interleaved in rounds so that load from elsewhere on
 * the machine falls on all of them alike:
 *   ward-lib   ward_sb_run() from a prepared sandbox (what the broker does)
 *   ward-cli   `ward sandbox -q -- true` as a new process each time
 *   bwrap      `bwrap --unshare-all --die-with-parent --new-session
 *               --ro-bind / / true` (a read-only root)
 *   unshare    `unshare --user --mount --pid --fork --net --uts --ipc
 *               --cgroup true`
 * Prints p50, p99 and spawns/s for each, every p50 over bwrap's, and
 * whether ward's (library and CLI) meet the target of issue 4: a p50 of at
 * most 0.6 of bwrap's, in this same run (PASS/MISS; a figure, not a test).
 *
 * usage: sandbox_bench [ROUNDS [PER_ROUND]]   (default 15 x 20)
 */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sandbox.h"

extern char **environ;

enum { WARD_LIB, WARD_CLI, BWRAP, UNSHARE, NC };
static const char *const names[NC] = { "ward-lib", "ward-cli", "bwrap", "unshare" };

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Each run's stderr, kept to say why a run failed. */
static int errfd = -1;

static int run_cmd(char *const argv[])
{
	pid_t pid;
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	if (errfd >= 0 && ftruncate(errfd, 0) == 0 && lseek(errfd, 0, SEEK_SET) == 0)
		posix_spawn_file_actions_adddup2(&fa, errfd, 2);
	else
		posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	int rc = posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc != 0)
		return -1;
	int st;
	if (waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void print_err(const char *who, int rc)
{
	char buf[1024];
	ssize_t n = errfd >= 0 ? pread(errfd, buf, sizeof buf - 1, 0) : -1;
	buf[n > 0 ? n : 0] = '\0';
	fprintf(stderr, "sandbox_bench: %s: `true` failed (status %d)%s%s\n", who, rc,
		n > 0 ? ": " : "", buf);
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 15;
	int per = argc > 2 ? atoi(argv[2]) : 20;
	if (rounds < 1 || per < 1) {
		fprintf(stderr, "usage: sandbox_bench [ROUNDS [PER_ROUND]]\n");
		return 2;
	}
	if (geteuid() != 0) {
		printf("sandbox_bench: skipped, needs root (ward sandbox runs as root)\n");
		return 0;
	}
	/* build/bench/sandbox_bench -> build/ward */
	char ward[4096];
	snprintf(ward, sizeof ward, "%s", argv[0]);
	char *slash = strrchr(ward, '/');
	if (slash == NULL) {
		fprintf(stderr, "sandbox_bench: run it by its path (build/bench/sandbox_bench)\n");
		return 2;
	}
	snprintf(slash, sizeof ward - (size_t)(slash - ward), "/../ward");
	char wardabs[4096];
	if (realpath(ward, wardabs) == NULL) {
		fprintf(stderr, "sandbox_bench: %s not found; run 'make' first\n", ward);
		return 1;
	}
	errfd = memfd_create("sandbox_bench-stderr", MFD_CLOEXEC);
	int have_bwrap = access("/usr/bin/bwrap", X_OK) == 0;
	int have_unshare = access("/usr/bin/unshare", X_OK) == 0;

	char wsdir[] = "/tmp/ward-bench.XXXXXX";
	if (mkdtemp(wsdir) == NULL || chdir(wsdir) != 0) {
		perror("sandbox_bench: workspace");
		return 1;
	}

	struct ward_sb_config cfg;
	ward_sb_config_defaults(&cfg);
	cfg.workspace = wsdir;
	cfg.log_fd = -1;
	char err[WARD_SB_ERRLEN];
	struct ward_sb *sb;
	if (ward_sb_prepare(&cfg, &sb, err, sizeof err) < 0) {
		fprintf(stderr, "sandbox_bench: %s\n", err);
		return 1;
	}
	char *true_argv[] = { "/usr/bin/true", NULL };
	char *cli_argv[] = { wardabs, "sandbox", "-q", "--", "/usr/bin/true", NULL };
	char *bwrap_argv[] = { "/usr/bin/bwrap", "--unshare-all", "--die-with-parent",
			       "--new-session", "--ro-bind", "/", "/", "/usr/bin/true", NULL };
	char *unshare_argv[] = { "/usr/bin/unshare", "--user", "--mount", "--pid", "--fork",
				 "--net", "--uts", "--ipc", "--cgroup", "/usr/bin/true", NULL };

	size_t n = (size_t)rounds * (size_t)per;
	double *lat[NC];
	size_t cnt[NC] = { 0 };
	double total[NC] = { 0 };
	for (int c = 0; c < NC; c++)
		lat[c] = calloc(n, sizeof(double));

	/* warm-up: page cache, dentries, libseccomp */
	for (int i = 0; i < 5; i++) {
		struct ward_sb_result r;
		if (ward_sb_run(sb, true_argv, &r, err, sizeof err) < 0) {
			fprintf(stderr, "sandbox_bench: ward-lib: %s\n", err);
			return 1;
		}
		int rc = run_cmd(cli_argv);
		if (rc != 0) {
			print_err("ward-cli", rc);
			return 1;
		}
	}
	for (int r = 0; r < rounds; r++) {
		for (int c = 0; c < NC; c++) {
			if ((c == BWRAP && !have_bwrap) || (c == UNSHARE && !have_unshare))
				continue;
			for (int i = 0; i < per; i++) {
				double t0 = now_ms();
				int ok, rc = 0;
				if (c == WARD_LIB) {
					struct ward_sb_result res;
					ok = ward_sb_run(sb, true_argv, &res, err, sizeof err) == 0 &&
					     WIFEXITED(res.wait_status) &&
					     WEXITSTATUS(res.wait_status) == 0;
				} else {
					char *const *av = c == WARD_CLI ? cli_argv :
							  c == BWRAP ? bwrap_argv : unshare_argv;
					rc = run_cmd(av);
					ok = rc == 0;
				}
				double dt = now_ms() - t0;
				if (!ok) {
					if (c == WARD_LIB)
						fprintf(stderr, "sandbox_bench: ward-lib: `true` "
							"failed: %s\n", err);
					else
						print_err(names[c], rc);
					return 1;
				}
				lat[c][cnt[c]++] = dt;
				total[c] += dt;
			}
		}
	}
	ward_sb_free(sb);
	(void)rmdir(wsdir);

	double p50[NC] = { 0 }, p99[NC] = { 0 }, rate[NC] = { 0 };
	for (int c = 0; c < NC; c++) {
		if (cnt[c] == 0)
			continue;
		qsort(lat[c], cnt[c], sizeof(double), cmp);
		p50[c] = lat[c][cnt[c] / 2];
		size_t i99 = (cnt[c] * 99) / 100;
		p99[c] = lat[c][i99 < cnt[c] ? i99 : cnt[c] - 1];
		rate[c] = 1000.0 * (double)cnt[c] / total[c];
	}
	printf("spawn-to-exit of `true`, every ring on, %d rounds x %d, interleaved\n",
	       rounds, per);
	printf("  %-9s %9s %9s %10s %10s\n", "", "p50 ms", "p99 ms", "spawns/s", "p50/bwrap");
	for (int c = 0; c < NC; c++) {
		if (cnt[c] == 0) {
			printf("  %-9s (not installed)\n", names[c]);
			continue;
		}
		printf("  %-9s %9.2f %9.2f %10.0f", names[c], p50[c], p99[c], rate[c]);
		if (p50[BWRAP] > 0)
			printf(" %10.2f", p50[c] / p50[BWRAP]);
		printf("\n");
	}
	/* The target of issue 4: ward's p50 at most 0.6 of bwrap's, measured
	 * in this same run.  Reported, not enforced: a benchmark prints
	 * figures; the machine's load decides them as much as the code. */
	if (p50[BWRAP] > 0) {
		for (int c = WARD_LIB; c <= WARD_CLI; c++) {
			double r = p50[c] / p50[BWRAP];
			printf("  target %-9s p50 <= 0.60 x bwrap: %.2f x  %s\n", names[c], r,
			       r <= 0.60 ? "PASS" : "MISS");
		}
	} else {
		printf("  target p50 <= 0.60 x bwrap: not measured (bwrap is not installed)\n");
	}
	if (p50[UNSHARE] > 0)
		printf("  for scale: ward-lib/unshare p50 = %.2f, ward-cli/unshare p50 = %.2f\n",
		       p50[WARD_LIB] / p50[UNSHARE], p50[WARD_CLI] / p50[UNSHARE]);
	return 0;
}
