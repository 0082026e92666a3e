/*
 * test_text.c -- common/text.c, the one way ward prints untrusted text:
 * nothing a terminal obeys gets through, and two different inputs never
 * print alike (terminal injection, and the audit lines that hid which
 * bytes a resource held).
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "t.h"
#include "text.h"

#define MAXIN 64
#define OUTCAP (TEXT_ESC_MAX * MAXIN + 1)

/* A fixed-seed generator: the same strings on every run. */
static uint64_t rng = 0x9e3779b97f4a7c15ull;

static unsigned
rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned)(rng >> 32);
}

/* Only what a terminal prints as it is: 0x20-0x7e, and with
 * TEXT_KEEP_LINES '\n' and '\t'. */
static int
printable_only(const char *s, unsigned flags)
{
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c >= 0x20 && c < 0x7f)
			continue;
		if ((flags & TEXT_KEEP_LINES) && (c == '\n' || c == '\t'))
			continue;
		return 0;
	}
	return 1;
}

/* The inverse of the escaping, written from text.h's table: -1 when s is
 * not something text_escape() can produce (a cut, a bad escape, a raw
 * control byte). */
static int
unescape(const char *s, unsigned flags, unsigned char *out, size_t cap,
	 size_t *n)
{
	unsigned v;

	*n = 0;
	while (*s != '\0') {
		unsigned char c = (unsigned char)*s;

		if (*n == cap)
			return -1;
		if (c == '\\' && s[1] == '\\') {
			out[(*n)++] = '\\';
			s += 2;
		} else if (c == '\\' && s[1] == 'x' &&
			   strchr("0123456789abcdef", s[2]) != NULL && s[2] &&
			   strchr("0123456789abcdef", s[3]) != NULL && s[3]) {
			if (sscanf(s + 2, "%2x", &v) != 1)
				return -1;
			if ((v >= 0x20 && v < 0x7f) ||
			    ((flags & TEXT_KEEP_LINES) && (v == '\n' || v == '\t')))
				return -1;	/* not how that byte is spelled */
			out[(*n)++] = (unsigned char)v;
			s += 4;
		} else if (c == '\\') {
			return -1;
		} else if ((c >= 0x20 && c < 0x7f) ||
			   ((flags & TEXT_KEEP_LINES) && (c == '\n' || c == '\t'))) {
			out[(*n)++] = c;
			s++;
		} else {
			return -1;
		}
	}
	return 0;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int
escapes_to(const char *in, size_t len, unsigned flags, const char *want)
{
	char out[OUTCAP];

	return text_escape(out, sizeof out, in, len, flags) == 0 &&
	       strcmp(out, want) == 0;
}

TEST(terminal_injection_escapes_visible)
{
	EXPECT(escapes_to("a\x1b[8mb", 6, 0, "a\\x1b[8mb"));
	EXPECT(escapes_to("\x1b]0;owned\x07", 10, 0, "\\x1b]0;owned\\x07"));
	EXPECT(escapes_to("\x9b" "2J", 3, 0, "\\x9b2J"));	/* C1 CSI */
	EXPECT(escapes_to("a\0b", 3, 0, "a\\x00b"));
	EXPECT(escapes_to("\x7f\x80\xff", 3, 0, "\\x7f\\x80\\xff"));
	EXPECT(escapes_to("caf\xc3\xa9", 5, 0, "caf\\xc3\\xa9"));
	EXPECT(escapes_to("l1\nl2\tx", 7, 0, "l1\\x0al2\\x09x"));
	EXPECT(escapes_to("l1\nl2\tx", 7, TEXT_KEEP_LINES, "l1\nl2\tx"));
	EXPECT(escapes_to("ok\rBLOCKED", 10, TEXT_KEEP_LINES, "ok\\x0dBLOCKED"));
	EXPECT(escapes_to("/workspace/a b?", 15, 0, "/workspace/a b?"));
}

/* "?" and "\x1b" typed literally are not an ESC, and a literal backslash
 * is not the start of an escape. */
TEST(escape_distinguishes_literal_spellings)
{
	EXPECT(escapes_to("?", 1, 0, "?"));
	EXPECT(escapes_to("\\", 1, 0, "\\\\"));
	EXPECT(escapes_to("\\x1b", 4, 0, "\\\\x1b"));
	EXPECT(!escapes_to("\x1b", 1, 0, "?"));
	EXPECT(!escapes_to("\\x1b", 4, 0, "\\x1b"));
}

/* escape(a) == escape(b) implies a == b: every string of up to 4 bytes
 * over an alphabet chosen to collide (the escape's own characters among
 * them), pairwise, and the escape decodes back to its input on random
 * strings of every byte. */
TEST(escape_injective)
{
	static const unsigned char alpha[] = { '\\', 'x', '1', 'b', 0x1b, '\n',
					       '?', 0x80, '\t', '\r' };
	enum { A = sizeof alpha, N = 1 + A + A * A + A * A * A + A * A * A * A };
	static char esc[2][N][4 * TEXT_ESC_MAX + 1];
	static const char *sorted[N];
	unsigned char in[MAXIN], back[MAXIN];
	char out[OUTCAP];
	size_t i, j, n, len;
	unsigned f, r;

	for (f = 0; f < 2; f++) {
		for (i = 0; i < N; i++) {
			size_t x = i, l = 0;
			unsigned char s[4];

			/* i -> the i-th string: length, then digits. */
			if (x == 0)
				l = 0;
			else if ((x -= 1) < A)
				l = 1;
			else if ((x -= A) < A * A)
				l = 2;
			else if ((x -= A * A) < A * A * A)
				l = 3;
			else {
				x -= A * A * A;
				l = 4;
			}
			for (j = 0; j < l; j++, x /= A)
				s[j] = alpha[x % A];
			EXPECT(text_escape(esc[f][i], sizeof esc[f][i], s, l,
					   f ? TEXT_KEEP_LINES : 0) == 0);
		}
		for (i = 0; i < N; i++)
			sorted[i] = esc[f][i];
		qsort(sorted, N, sizeof sorted[0], cmp_str);
		for (i = 0; i + 1 < N; i++)
			EXPECT(strcmp(sorted[i], sorted[i + 1]) != 0);
	}
	for (r = 0; r < 20000; r++) {
		f = r & 1 ? TEXT_KEEP_LINES : 0;
		len = rnd() % MAXIN;
		for (i = 0; i < len; i++)
			in[i] = (unsigned char)rnd();
		EXPECT(text_escape(out, sizeof out, in, len, f) == 0);
		EXPECT(printable_only(out, f));
		EXPECT(unescape(out, f, back, sizeof back, &n) == 0);
		EXPECT(n == len && memcmp(back, in, len) == 0);
	}
}

/* Cut output says so, with a mark no full escape contains, and never
 * splits an escape (no half "\x1" that a reader could take for a byte). */
TEST(escape_cut_is_marked)
{
	unsigned char in[MAXIN], back[MAXIN];
	char out[OUTCAP], full[OUTCAP];
	size_t cap, len, n, i;
	unsigned r;

	EXPECT(text_escape(NULL, 0, "x", 1, 0) == -1);
	EXPECT(text_escape(out, 6, "\x1b\x1b\x1b", 3, 0) == -1);
	EXPECT(strcmp(out, "\\...") == 0);
	EXPECT(text_escape(out, 9, "\x1b\x1b\x1b", 3, 0) == -1);
	EXPECT(strcmp(out, "\\x1b\\...") == 0);
	EXPECT(text_escape(out, 3, "abcdef", 6, 0) == -1);
	EXPECT(strcmp(out, "\\.") == 0);
	EXPECT(text_escape(out, 13, "\x1b\x1b\x1b", 3, 0) == 0);
	EXPECT(strcmp(out, "\\x1b\\x1b\\x1b") == 0);
	for (r = 0; r < 5000; r++) {
		len = 1 + rnd() % (MAXIN - 1);
		for (i = 0; i < len; i++)
			in[i] = (unsigned char)rnd();
		EXPECT(text_escape(full, sizeof full, in, len, 0) == 0);
		cap = 1 + rnd() % (strlen(full) + 1);
		if (text_escape(out, cap, in, len, 0) == 0) {
			EXPECT(strcmp(out, full) == 0);
			continue;
		}
		EXPECT(strlen(out) < cap);
		EXPECT(printable_only(out, 0));
		/* With room for "\." at least, the cut is visible. */
		if (cap > 2)
			EXPECT(unescape(out, 0, back, sizeof back, &n) == -1);
		if (cap > TEXT_CUT_LEN) {
			size_t k = strlen(out) - TEXT_CUT_LEN;

			EXPECT(strcmp(out + k, TEXT_CUT) == 0);
			EXPECT(strncmp(out, full, k) == 0);
			out[k] = '\0';	/* what precedes the mark is whole */
			EXPECT(unescape(out, 0, back, sizeof back, &n) == 0);
			EXPECT(n < len && memcmp(back, in, n) == 0);
		}
	}
}

/* text_fwrite writes the same bytes as text_escape, and all of them. */
TEST(escape_to_file_whole)
{
	static unsigned char in[20000];
	static char want[TEXT_ESC_MAX * sizeof in + 1], got[sizeof want];
	FILE *f = tmpfile();
	size_t i, n;

	EXPECT(f != NULL);
	if (f == NULL)
		return;
	for (i = 0; i < sizeof in; i++)
		in[i] = (unsigned char)rnd();
	EXPECT(text_escape(want, sizeof want, in, sizeof in, TEXT_KEEP_LINES) == 0);
	EXPECT(text_fwrite(in, sizeof in, TEXT_KEEP_LINES, f) == 0);
	EXPECT(text_fputs("a\x1b" "b", f) == 0);
	rewind(f);
	n = fread(got, 1, sizeof got - 1, f);
	got[n] = '\0';
	fclose(f);
	EXPECT(n == strlen(want) + 6);
	EXPECT(strncmp(got, want, strlen(want)) == 0);
	EXPECT(strcmp(got + strlen(want), "a\\x1bb") == 0);
}

/* JSON: one code point per byte, so different bytes stay different and
 * ASCII stays as it was. */
TEST(json_bytes_injective)
{
	unsigned char in[MAXIN];
	char out[2 * MAXIN + 1];
	size_t n, len, i, k;
	unsigned r;

	EXPECT(text_json_bytes(out, sizeof out, &n, "/a b?", 5) == 0);
	EXPECT(n == 5 && strcmp(out, "/a b?") == 0);
	EXPECT(text_json_bytes(out, sizeof out, &n, "\xe9\x1b", 2) == 0);
	EXPECT(n == 3 && memcmp(out, "\xc3\xa9\x1b", 3) == 0);
	EXPECT(text_json_bytes(out, 3, &n, "\xe9\xe9", 2) == -1);
	EXPECT(n == 0 && out[0] == '\0');
	for (r = 0; r < 5000; r++) {
		len = rnd() % MAXIN;
		for (i = 0; i < len; i++)
			in[i] = (unsigned char)rnd();
		EXPECT(text_json_bytes(out, sizeof out, &n, in, len) == 0);
		/* decode UTF-8 code points < 256 back to bytes */
		for (i = 0, k = 0; i < n; k++) {
			unsigned char c = (unsigned char)out[i];
			unsigned v = c < 0x80 ? c : ((c & 0x1fu) << 6) |
				     ((unsigned char)out[i + 1] & 0x3fu);

			EXPECT(k < len && v == in[k]);
			i += c < 0x80 ? 1 : 2;
		}
		EXPECT(k == len);
	}
}

TEST(json_line_escapes_del)
{
	FILE *f = tmpfile();
	char got[64];
	size_t n;

	EXPECT(f != NULL);
	if (f == NULL)
		return;
	EXPECT(text_json_line("{\"r\":\"a\x7f" "b\\u001b\"}", f) == 0);
	rewind(f);
	n = fread(got, 1, sizeof got - 1, f);
	got[n] = '\0';
	fclose(f);
	EXPECT(strcmp(got, "{\"r\":\"a\\u007fb\\u001b\"}\n") == 0);
}

/* An exec's output that is not UTF-8 (a binary, a Latin-1 file) must
 * still make valid JSON: bad bytes become U+FFFD, good text is kept. */
TEST(utf8_lossy_replaces_only_bad_bytes)
{
	static const struct {
		const char *in;
		size_t len;
		const char *want;
	} v[] = {
		{ "plain ascii", 11, "plain ascii" },
		{ "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 14,
		  "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80" },
		{ "a\xffz", 3, "a\xef\xbf\xbdz" },		/* never UTF-8 */
		{ "\x80", 1, "\xef\xbf\xbd" },		/* stray continuation */
		{ "\xc0\xaf", 2, "\xef\xbf\xbd\xef\xbf\xbd" },	/* overlong '/' */
		{ "\xed\xa0\x80", 3,				/* a surrogate */
		  "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" },
		{ "\xf4\x90\x80\x80", 4,			/* past U+10FFFF */
		  "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" },
		{ "x\xe2\x82", 3, "x\xef\xbf\xbd\xef\xbf\xbd" },	/* cut short */
	};
	char out[64];
	size_t n, i;

	for (i = 0; i < sizeof v / sizeof v[0]; i++) {
		EXPECT(text_utf8_lossy(out, sizeof out, &n, v[i].in, v[i].len) == 0);
		EXPECT_EQ(n, strlen(v[i].want));
		EXPECT(strcmp(out, v[i].want) == 0);
	}
	/* 3 * len + 1 always fits; less may not, and then out is empty. */
	EXPECT(text_utf8_lossy(out, 10, &n, "\xff\xff\xff", 3) == 0);
	EXPECT(text_utf8_lossy(out, 9, &n, "\xff\xff\xff", 3) == -1);
	EXPECT(out[0] == '\0' && n == 0);
}

TEST(error_formatter_terminates_and_returns_minus_one)
{
	char e[8];

	memset(e, 'x', sizeof e);
	EXPECT_EQ(text_err(e, sizeof e, "%s %d", "abcdef", 12345), -1);
	EXPECT(strcmp(e, "abcdef ") == 0);
	EXPECT_EQ(text_err(NULL, 0, "x"), -1);
}

int
main(void)
{
	RUN(terminal_injection_escapes_visible);
	RUN(escape_distinguishes_literal_spellings);
	RUN(escape_injective);
	RUN(escape_cut_is_marked);
	RUN(escape_to_file_whole);
	RUN(json_bytes_injective);
	RUN(json_line_escapes_del);
	RUN(utf8_lossy_replaces_only_bad_bytes);
	RUN(error_formatter_terminates_and_returns_minus_one);
	T_EXIT();
}
