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

/*
 * Reads the 4 hex digits at s (a JSON \u escape's). Returns 0 and *out, or
 * -1 when one is not a hex digit.
 */
int util_hex4(const char *s, unsigned *out);

/* Big-endian integers in byte buffers (the stores' keys and values). */
static inline void
util_put_be32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

static inline uint32_t
util_get_be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

static inline void
util_put_be64(unsigned char *p, uint64_t v)
{
	util_put_be32(p, (uint32_t)(v >> 32));
	util_put_be32(p + 4, (uint32_t)v);
}

static inline uint64_t
util_get_be64(const unsigned char *p)
{
	return (uint64_t)util_get_be32(p) << 32 | util_get_be32(p + 4);
}

/* Room util_fmt_real needs, with the NUL. */
#define UTIL_REAL_MAX 32

/*
 * Writes d (finite) into out (UTIL_REAL_MAX bytes) as a JSON real: the
 * shortest text that reads back as the same double, with ".0" when it would
 * look like an integer ("3.0", "0.1", "1e+20").
 */
void util_fmt_real(double d, char *out);

#endif
