/*
 * t.h -- the unit-test protocol.  Each test program prints one line per
 * test, "PASS name" or "FAIL name: why", and exits non-zero if any test
 * failed.  tests/run counts the lines.  Name each test after the property
 * it checks or the attack it tries.
 */
#ifndef WARD_T_H
#define WARD_T_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int t_failed;
static int t_cur_failed;

/* Inside a test: record a failed expectation, keep going. */
#define EXPECT(cond) do { \
	if (!(cond)) { \
		if (!t_cur_failed) \
			printf("FAIL %s: %s:%d: %s\n", t_name, __FILE__, __LINE__, #cond); \
		t_cur_failed = 1; \
	} \
} while (0)

#define EXPECT_EQ(a, b) do { \
	long long t_a_ = (long long)(a), t_b_ = (long long)(b); \
	if (t_a_ != t_b_) { \
		if (!t_cur_failed) \
			printf("FAIL %s: %s:%d: %s == %lld, expected %lld\n", \
			       t_name, __FILE__, __LINE__, #a, t_a_, t_b_); \
		t_cur_failed = 1; \
	} \
} while (0)

/* Define a test: TEST(name) { ... } and list it in RUN(). */
#define TEST(name) static void name(const char *t_name)

#define RUN(name) do { \
	t_cur_failed = 0; \
	name(#name); \
	if (t_cur_failed) t_failed++; \
	else printf("PASS %s\n", #name); \
} while (0)

#define T_EXIT() return t_failed ? 1 : 0

/* Decode a hex string into out; aborts the program on a malformed vector. */
static inline void
t_hex(unsigned char *out, size_t n, const char *hex)
{
	size_t i;

	if (strlen(hex) != 2 * n) {
		fprintf(stderr, "bad hex vector length\n");
		exit(2);
	}
	for (i = 0; i < n; i++) {
		unsigned v;
		if (sscanf(hex + 2 * i, "%2x", &v) != 1) {
			fprintf(stderr, "bad hex vector\n");
			exit(2);
		}
		out[i] = (unsigned char)v;
	}
}

#endif
