/* util.h - small helpers: task ids, glob matching, bounded number parsing,
 * UTF-8 validation. */
#ifndef AR_UTIL_H
#define AR_UTIL_H

#include <stddef.h>
#include <stdint.h>

#define TASK_ID_LEN 22	/* 128 random bits, base64url, no padding */

/* Writes a new task id (TASK_ID_LEN chars + NUL) from getrandom(2) into out.
 * Returns 0, or -1 when the random source fails. */
int util_task_id(char out[TASK_ID_LEN + 1]);
/* Returns 1 when s looks like a task id (22..64 chars of [A-Za-z0-9_-]). */
int util_task_id_ok(const char *s);

/* Returns 1 when name matches pattern, where '*' matches any run. */
int util_glob(const char *pattern, const char *name);

/*
 * Parses all of s as a decimal integer in [min, max]. Returns 0 and *out, or
 * -1 (not a number, trailing garbage, out of range).
 */
int util_parse_i64(const char *s, int64_t min, int64_t max, int64_t *out);

/*
 * Returns the length (1 to 4) of the well-formed UTF-8 sequence at the
 * start of s[0..len), or 0 when it is not one: a stray continuation byte,
 * an overlong form, a surrogate, a code point above U+10FFFF, a sequence
 * cut short, or len 0.
 */
size_t util_utf8_seq(const char *s, size_t len);

/*
 * Returns 1 when all of s[0..len) is well-formed UTF-8 (RFC 3629), 0
 * otherwise. The one check applied to request text (path, query string,
 * REMOTE_USER) before any of it can reach a JSON reply.
 */
int util_utf8_valid(const char *s, size_t len);

/* Room util_fmt_real needs, with the NUL. */
#define UTIL_REAL_MAX 32

/*
 * Writes d (finite) into out (UTIL_REAL_MAX bytes) as a JSON real: the
 * shortest text that reads back as the same double, with ".0" when it would
 * look like an integer ("3.0", "0.1", "1e+20").
 */
void util_fmt_real(double d, char *out);

#endif
