/*
 * text.h -- the one way ward prints text it did not write.
 *
 * Whatever an agent, the broker, an MCP server or an audit record says is
 * printed through these functions, never with a bare printf("%s"): a
 * terminal obeys the escape sequences in what it is given (hide the lines
 * that follow, rewrite the window title, move the cursor over a BLOCKED
 * line), and a log line must say which bytes were really there.
 *
 * The escaping is visible and injective, so two different inputs never
 * print alike:
 *   a byte 0x20-0x7e other than '\'   itself
 *   '\'                               \\
 *   any other byte (0x00-0x1f, 0x7f, 0x80-0xff)
 *                                     \xHH (two lower-case hex digits)
 * so a literal "?" or "\x1b" in the input reads "?" and "\\x1b".  With
 * TEXT_KEEP_LINES, '\n' and '\t' pass as they are (an agent's output,
 * which is lines); '\r' is always escaped, so no line can overwrite
 * another.  Output cut short ends with TEXT_CUT, which no escaping
 * produces.
 *
 * Not part of the verified core; used by the CLI, ward-core, ward-broker
 * and the gateway.
 */
#ifndef WARD_TEXT_H
#define WARD_TEXT_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

#define TEXT_WARN __attribute__((warn_unused_result))

/* Flags. */
#define TEXT_KEEP_LINES 1u	/* '\n' and '\t' pass through unescaped */

/* The mark at the end of escaped text that did not fit: a backslash
 * followed by a dot, which no escape begins with. */
#define TEXT_CUT "\\..."
#define TEXT_CUT_LEN 4u

/* The most one input byte becomes. */
#define TEXT_ESC_MAX 4u

/* Escapes in[0..len) into out, NUL-terminated (out may be NULL only when
 * cap == 0).  When the escaped text does not fit in cap - 1 bytes, the
 * whole escapes that fit are followed by TEXT_CUT (or as much of it as
 * fits, if cap < TEXT_CUT_LEN + 1).  in may be NULL when len == 0.
 * Returns 0 when all of in was written, -1 when it was cut (a printer
 * may ignore it: the mark is in the text). */
int text_escape(char *out, size_t cap, const void *in, size_t len,
		unsigned flags);

/* text_escape() of the string s (no flags), for a printf argument:
 *   fprintf(stderr, "refused: %s\n", text_str(b, sizeof b, why));
 * NULL prints as "(none)".  Returns out. */
const char *text_str(char *out, size_t cap, const char *s);

/* Writes in[0..len) escaped to f, whole.  0, or -1 on a write error. */
int text_fwrite(const void *in, size_t len, unsigned flags, FILE *f);

/* text_fwrite() of the string s, no flags ("fputs"). */
int text_fputs(const char *s, FILE *f);

/* One log line: prefix (trusted, written as it is), then the formatted
 * message escaped whole (no flags; cut with TEXT_CUT past 4 KiB), then
 * '\n'.  For the die() and note() of a process whose messages carry
 * names and reasons it was sent. */
void text_vline(FILE *f, const char *prefix, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

/* Bytes to a JSON string value, injectively: each byte becomes the code
 * point of the same number (U+0000-U+00FF), in UTF-8.  ASCII is
 * unchanged; printed with JSON_ENSURE_ASCII, a byte 0x80-0xff reads
 * \u00XX.  out gets the UTF-8 and a NUL, *olen its length without the
 * NUL; cap >= 2 * len + 1 always fits.  Returns 0, or -1 when it does not
 * fit (out is then empty). */
int text_json_bytes(char *out, size_t cap, size_t *olen, const void *in,
		    size_t len) TEXT_WARN;

/* Bytes a program wrote (an exec's stdout or stderr) to valid UTF-8 for
 * a JSON string: every well-formed UTF-8 sequence is kept as it is, and
 * each byte that does not belong to one (a stray continuation byte, an
 * overlong form, a surrogate, past U+10FFFF, a sequence cut short)
 * becomes U+FFFD.  Lossy, unlike text_json_bytes(), but text that was
 * UTF-8 reads the same.  out gets the UTF-8 and a NUL, *olen its length
 * without the NUL (a NUL byte of in is kept: use the length); cap >= 3 *
 * len + 1 always fits.  Returns 0, or -1 when it does not fit (out is
 * then empty). */
int text_utf8_lossy(char *out, size_t cap, size_t *olen, const void *in,
		    size_t len) TEXT_WARN;

/* Bytes to the inside of a JSON string (no quotes), in ASCII, with the
 * mapping of text_json_bytes() (each byte the code point of the same
 * number): 0x20-0x7e other than '"' and '\' as themselves, '"' and '\'
 * as \" and \\, any other byte as \u00XX.  So the output is valid JSON
 * for any bytes (invalid UTF-8 included), holds no byte a terminal
 * obeys, and two inputs that differ print differently.  out gets a NUL;
 * cap >= 6 * len + 1 always fits.  Returns 0, or -1 when it does not fit
 * (out is then empty). */
#define TEXT_JSON_ESC_MAX 6u
int text_json_escape(char *out, size_t cap, const void *in, size_t len)
	TEXT_WARN;

/* Prints json (a JSON text dumped with JSON_ENSURE_ASCII, so ASCII) and a
 * '\n' to f, with DEL, the one control byte jansson leaves raw inside a
 * string, written as \u007f.  0, or -1 on a write error. */
int text_json_line(const char *json, FILE *f);

/* 1 if s[0..len) is a secret's name: 1 .. 64 of A-Z a-z 0-9 _ (the
 * vault's, a profile's secret line, the CLI's, the protocol's). */
#define TEXT_SECRET_NAME_MAX 64u
int text_secret_name_ok(const void *s, size_t len);

/* An error message, formatted into err (errlen bytes, always
 * terminated): the error of every function that reports through a
 * caller's buffer.  Returns -1, for 'return text_err(...)'. */
int text_err(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
