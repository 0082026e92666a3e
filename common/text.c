/*
 * text.c -- the one way ward prints text it did not write (text.h).
 * Not part of the verified core.
 */
#include <stdio.h>
#include <string.h>

#include "text.h"

static const char hexdig[] = "0123456789abcdef";

/* The spelling of one byte: 1, 2 or 4 characters in p. */
static size_t
esc1(unsigned char c, unsigned flags, char p[TEXT_ESC_MAX])
{
	if (c == '\\') {
		p[0] = '\\';
		p[1] = '\\';
		return 2;
	}
	if ((c >= 0x20 && c < 0x7f) ||
	    ((flags & TEXT_KEEP_LINES) && (c == '\n' || c == '\t'))) {
		p[0] = (char)c;
		return 1;
	}
	p[0] = '\\';
	p[1] = 'x';
	p[2] = hexdig[c >> 4];
	p[3] = hexdig[c & 15];
	return 4;
}

int
text_escape(char *out, size_t cap, const void *in, size_t len, unsigned flags)
{
	const unsigned char *s = in;
	char p[TEXT_ESC_MAX];
	size_t i, k = 0, n, total = 0, budget;
	int cut;

	if (cap == 0 || out == NULL)
		return -1;
	if (s == NULL)
		len = 0;
	for (i = 0; i < len; i++)
		total += esc1(s[i], flags, p);
	cut = total > cap - 1;
	/* Room for the mark when it will be needed. */
	budget = !cut ? cap - 1 : cap - 1 > TEXT_CUT_LEN ?
		 cap - 1 - TEXT_CUT_LEN : 0;
	for (i = 0; i < len; i++) {
		n = esc1(s[i], flags, p);
		if (k + n > budget)
			break;
		memcpy(out + k, p, n);
		k += n;
	}
	if (cut) {
		n = cap - 1 - k < TEXT_CUT_LEN ? cap - 1 - k : TEXT_CUT_LEN;
		memcpy(out + k, TEXT_CUT, n);
		k += n;
	}
	out[k] = '\0';
	return cut ? -1 : 0;
}

const char *
text_str(char *out, size_t cap, const char *s)
{
	if (cap == 0)
		return "";
	if (s == NULL)
		s = "(none)";
	text_escape(out, cap, s, strlen(s), 0);
	return out;
}

int
text_fwrite(const void *in, size_t len, unsigned flags, FILE *f)
{
	const unsigned char *s = in;
	char buf[4096], p[TEXT_ESC_MAX];
	size_t i, k = 0, n;

	if (s == NULL)
		len = 0;
	for (i = 0; i < len; i++) {
		n = esc1(s[i], flags, p);
		if (k + n > sizeof buf) {
			if (fwrite(buf, 1, k, f) != k)
				return -1;
			k = 0;
		}
		memcpy(buf + k, p, n);
		k += n;
	}
	if (k > 0 && fwrite(buf, 1, k, f) != k)
		return -1;
	return 0;
}

int
text_fputs(const char *s, FILE *f)
{
	return text_fwrite(s, s != NULL ? strlen(s) : 0, 0, f);
}

void
text_vline(FILE *f, const char *prefix, const char *fmt, va_list ap)
{
	char msg[4096], esc[4 * sizeof msg + TEXT_CUT_LEN + 1];
	int n;

	n = vsnprintf(msg, sizeof msg, fmt, ap);
	if (n < 0)
		n = 0;
	if ((size_t)n < sizeof msg)
		text_escape(esc, sizeof esc, msg, (size_t)n, 0);
	else {
		/* The message itself was cut: say so with the same mark. */
		text_escape(esc, sizeof esc, msg, sizeof msg - 1, 0);
		memcpy(esc + strlen(esc), TEXT_CUT, TEXT_CUT_LEN + 1);
	}
	fprintf(f, "%s%s\n", prefix != NULL ? prefix : "", esc);
}

int
text_json_bytes(char *out, size_t cap, size_t *olen, const void *in,
		size_t len)
{
	const unsigned char *s = in;
	size_t i, k = 0;

	*olen = 0;
	if (cap == 0 || out == NULL)
		return -1;
	out[0] = '\0';
	if (s == NULL)
		len = 0;
	for (i = 0; i < len; i++) {
		if (k + (s[i] < 0x80 ? 1 : 2) > cap - 1) {
			out[0] = '\0';
			return -1;
		}
		if (s[i] < 0x80)
			out[k++] = (char)s[i];
		else {
			out[k++] = (char)(0xc0 | (s[i] >> 6));
			out[k++] = (char)(0x80 | (s[i] & 0x3f));
		}
	}
	out[k] = '\0';
	*olen = k;
	return 0;
}

int
text_json_escape(char *out, size_t cap, const void *in, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = in;
	size_t i, k = 0;

	if (cap == 0)
		return -1;
	for (i = 0; i < len; i++) {
		unsigned char c = s[i];

		if (cap - k < TEXT_JSON_ESC_MAX + 1)
			goto full;
		if (c == '"' || c == '\\') {
			out[k++] = '\\';
			out[k++] = (char)c;
		} else if (c >= 0x20 && c < 0x7f) {
			out[k++] = (char)c;
		} else {
			memcpy(out + k, "\\u00", 4);
			out[k + 4] = hex[c >> 4];
			out[k + 5] = hex[c & 0xfu];
			k += 6;
		}
	}
	out[k] = '\0';
	return 0;
full:
	out[0] = '\0';
	return -1;
}

int
text_json_line(const char *json, FILE *f)
{
	const char *s = json, *d;

	while ((d = strchr(s, 0x7f)) != NULL) {
		if (fwrite(s, 1, (size_t)(d - s), f) != (size_t)(d - s) ||
		    fputs("\\u007f", f) == EOF)
			return -1;
		s = d + 1;
	}
	if (fputs(s, f) == EOF || fputc('\n', f) == EOF)
		return -1;
	return 0;
}

/* The length of the well-formed UTF-8 sequence at s[0..n), or 0. */
static size_t
utf8_seq(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	size_t need, i;
	unsigned long cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		need = 2;
		cp = c & 0x1fu;
	} else if (c >= 0xe0 && c <= 0xef) {
		need = 3;
		cp = c & 0x0fu;
	} else if (c >= 0xf0 && c <= 0xf4) {
		need = 4;
		cp = c & 0x07u;
	} else {
		return 0;
	}
	if (n < need)
		return 0;
	for (i = 1; i < need; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3fu);
	}
	if ((need == 3 && cp < 0x800) || (need == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return need;
}

int
text_utf8_lossy(char *out, size_t cap, size_t *olen, const void *in,
		size_t len)
{
	const unsigned char *s = in;
	size_t i = 0, k = 0, n;

	*olen = 0;
	if (cap == 0)
		return -1;
	out[0] = '\0';
	while (i < len) {
		n = utf8_seq(s + i, len - i);
		if (n == 0) {
			if (cap - k < 4)
				goto full;
			memcpy(out + k, "\xef\xbf\xbd", 3);
			k += 3;
			i++;
			continue;
		}
		if (cap - k < n + 1)
			goto full;
		memcpy(out + k, s + i, n);
		k += n;
		i += n;
	}
	out[k] = '\0';
	*olen = k;
	return 0;
full:
	out[0] = '\0';
	return -1;
}

int
text_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return -1;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

int
text_secret_name_ok(const void *s, size_t len)
{
	const unsigned char *p = s;
	size_t i;

	if (p == NULL || len == 0 || len > TEXT_SECRET_NAME_MAX)
		return 0;
	for (i = 0; i < len; i++)
		if (!((p[i] >= 'A' && p[i] <= 'Z') || (p[i] >= 'a' && p[i] <= 'z') ||
		      (p[i] >= '0' && p[i] <= '9') || p[i] == '_'))
			return 0;
	return 1;
}
