/*
 * clock.c -- a test's clock for ward-gateway (tests/gateway/suite.mjs).
 * Loaded with LD_PRELOAD (ward mcp execs ward-gateway with its
 * environment), it moves CLOCK_MONOTONIC on by the seconds that the file
 * named by WARD_GW_TEST_CLOCK holds, so that a test can show what the
 * gateway does once a server has run for a minute without waiting that
 * minute.  The gateway's timers run on that clock (gw_now); the time of
 * day, by which it checks an approval's expiry, is left as it is.  The
 * file is mapped at
 * load, before the gateway confines itself (Landlock would refuse the
 * open later, and descriptors it does not know are closed); the test
 * rewrites it in place, never shorter (a mapping past the end of a file
 * faults).  Nothing of ward reads that variable: the skew exists only in
 * a process this was loaded into.  Not part of ward.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

static const volatile char *skew_map;

__attribute__((constructor)) static void
skew_open(void)
{
	const char *p = getenv("WARD_GW_TEST_CLOCK");
	void *m;
	int fd;

	if (p == NULL || (fd = open(p, O_RDONLY | O_CLOEXEC)) < 0)
		return;
	m = mmap(NULL, 32, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (m != MAP_FAILED)
		skew_map = m;
}

static long
skew(void)
{
	char b[32];
	size_t i;

	if (skew_map == NULL)
		return 0;
	for (i = 0; i + 1 < sizeof b && skew_map[i] >= ' '; i++)
		b[i] = skew_map[i];
	b[i] = '\0';
	return strtol(b, NULL, 10);
}

int
clock_gettime(clockid_t clk, struct timespec *ts)
{
	static int (*real)(clockid_t, struct timespec *);
	int rc;

	if (real == NULL)
		real = (int (*)(clockid_t, struct timespec *))dlsym(RTLD_NEXT,
								   "clock_gettime");
	rc = real(clk, ts);
	if (rc == 0 && clk == CLOCK_MONOTONIC)
		ts->tv_sec += (time_t)skew();
	return rc;
}
