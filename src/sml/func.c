/* func.c - the functions of SML expressions (the SML_FUNCS table). */
#define _GNU_SOURCE	/* memmem, strncasecmp */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <pcre2.h>

#include "common/buf.h"
#include "common/timeutil.h"
#include "sml/engine.h"
#include "sml/regex.h"

/*
 * Every function takes its arguments as values (json_t) and returns a new
 * reference; wrong types and null give null (functions that test something
 * give null for null input too, which a condition reads as false). String
 * functions read numbers and booleans as their text. lower, upper, trim,
 * ltrim, rtrim, urldecode and replace work on each element of an array;
 * match, like and cidrmatch are true when any element matches.
 *
 * Regular expressions are compiled once per query when the pattern is a
 * literal (cached in the call node, x_cache), else once per call.
 */

/* ---- Helpers ---- */

static json_t *
fn_fail(struct eval_ctx *ctx, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Writes a runtime error for the caller. Returns NULL. */
static json_t *
fn_fail(struct eval_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	if (ctx && ctx->ec_err && ctx->ec_errlen) {
		va_start(ap, fmt);
		vsnprintf(ctx->ec_err, ctx->ec_errlen, fmt, ap);
		va_end(ap);
	}
	return NULL;
}

#define FN_NOMEM(ctx)	fn_fail((ctx), "out of memory")

static int
fn_isnull(const json_t *v)
{
	return v == NULL || json_is_null(v);
}

/* A new string value of s[0..n); null when s is not valid UTF-8. */
static json_t *
fn_str(const char *s, size_t n)
{
	json_t *r = json_stringn(s, n);

	return r ? r : json_null();
}

/*
 * Ends a string function that built its result in b from the text s:
 * returns a new string value of b's bytes (as fn_str), or NULL when ok is
 * 0 (memory ran out while building). Frees s and b in any case.
 */
static json_t *
fn_str_built(char *s, struct buf *b, int ok)
{
	json_t *r = NULL;

	if (ok)
		r = fn_str(b->b_data ? b->b_data : "", b->b_len);
	free(s);
	buf_free(b);
	return r;
}

/* The text of a scalar (malloc'd), NULL for null, arrays and objects. */
static char *
fn_text(const json_t *v)
{
	if (v == NULL || json_is_null(v) || json_is_array(v) ||
	    json_is_object(v))
		return NULL;
	return value_string(v);
}

/* Returns the byte length of the UTF-8 character at s (1 for bad bytes). */
static size_t
fn_u8len(const unsigned char *s, const unsigned char *end)
{
	size_t n = *s < 0xC0 ? 1 : *s < 0xE0 ? 2 : *s < 0xF0 ? 3 : 4, i;

	if (n > (size_t)(end - s))
		return 1;
	for (i = 1; i < n; i++)
		if ((s[i] & 0xC0) != 0x80)
			return 1;
	return n;
}

/* Decodes the character at s (n bytes from fn_u8len). */
static uint32_t
fn_u8dec(const unsigned char *s, size_t n)
{
	switch (n) {
	case 2: return (uint32_t)(s[0] & 0x1F) << 6 | (s[1] & 0x3F);
	case 3: return (uint32_t)(s[0] & 0x0F) << 12 |
	    (uint32_t)(s[1] & 0x3F) << 6 | (s[2] & 0x3F);
	case 4: return (uint32_t)(s[0] & 0x07) << 18 |
	    (uint32_t)(s[1] & 0x3F) << 12 | (uint32_t)(s[2] & 0x3F) << 6 |
	    (s[3] & 0x3F);
	default: return s[0];
	}
}

/* Appends code point cp as UTF-8. Returns 0 or -1. */
static int
fn_u8put(struct buf *b, uint32_t cp)
{
	char o[4];
	size_t n;

	if (cp < 0x80) {
		o[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		o[0] = (char)(0xC0 | cp >> 6);
		o[1] = (char)(0x80 | (cp & 0x3F));
		n = 2;
	} else if (cp < 0x10000) {
		o[0] = (char)(0xE0 | cp >> 12);
		o[1] = (char)(0x80 | (cp >> 6 & 0x3F));
		o[2] = (char)(0x80 | (cp & 0x3F));
		n = 3;
	} else {
		o[0] = (char)(0xF0 | cp >> 18);
		o[1] = (char)(0x80 | (cp >> 12 & 0x3F));
		o[2] = (char)(0x80 | (cp >> 6 & 0x3F));
		o[3] = (char)(0x80 | (cp & 0x3F));
		n = 4;
	}
	return buf_append(b, o, n);
}

/* Counts the UTF-8 characters of s[0..n). */
static size_t
fn_u8count(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + n;
	size_t c = 0;

	while (p < end) {
		p += fn_u8len(p, end);
		c++;
	}
	return c;
}

/*
 * Simple case mapping: ASCII, Latin-1, Latin Extended-A, Greek and
 * Cyrillic - the scripts of Windows user and host names in practice.
 */
static uint32_t
fn_case(uint32_t c, int up)
{
	if (up) {
		if ((c >= 'a' && c <= 'z') || (c >= 0xE0 && c <= 0xFE &&
		    c != 0xF7) || (c >= 0x3B1 && c <= 0x3C9 && c != 0x3C2) ||
		    (c >= 0x430 && c <= 0x44F))
			return c - 32;
		if (c == 0xFF)
			return 0x178;
		if (c >= 0x450 && c <= 0x45F)
			return c - 80;
		if (((c >= 0x100 && c <= 0x137) || (c >= 0x14A && c <= 0x177))
		    && (c & 1))
			return c - 1;
		if (((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E))
		    && !(c & 1))
			return c - 1;
		return c;
	}
	if ((c >= 'A' && c <= 'Z') || (c >= 0xC0 && c <= 0xDE &&
	    c != 0xD7) || (c >= 0x391 && c <= 0x3A9 && c != 0x3A2) ||
	    (c >= 0x410 && c <= 0x42F))
		return c + 32;
	if (c == 0x178)
		return 0xFF;
	if (c >= 0x400 && c <= 0x40F)
		return c + 80;
	if (((c >= 0x100 && c <= 0x137) || (c >= 0x14A && c <= 0x177)) &&
	    !(c & 1))
		return c + 1;
	if (((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E)) &&
	    (c & 1))
		return c + 1;
	return c;
}

/* ---- Elementwise string functions ---- */

enum fn_str_op { FS_LOWER, FS_UPPER, FS_TRIM, FS_LTRIM, FS_RTRIM,
	FS_URLDECODE };

/* Returns 1 when code point c is in the set text set[0..n). */
static int
fn_in_set(uint32_t c, const char *set, size_t n)
{
	const unsigned char *p = (const unsigned char *)set, *end = p + n;
	size_t k;

	while (p < end) {
		k = fn_u8len(p, end);
		if (fn_u8dec(p, k) == c)
			return 1;
		p += k;
	}
	return 0;
}

static int
fn_hexval(int c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ?
	    c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* Applies op to one scalar. Returns a new reference or NULL (no memory). */
static json_t *
fn_strop1(enum fn_str_op op, const json_t *v, const char *set, size_t setn)
{
	char *s = fn_text(v);
	const unsigned char *p, *end, *a, *z;
	struct buf b = BUF_INIT;
	size_t n, k;
	int h1, h2;

	if (s == NULL)
		return json_null();
	n = strlen(s);
	p = (const unsigned char *)s;
	end = p + n;
	switch (op) {
	case FS_LOWER:
	case FS_UPPER:
		while (p < end) {
			k = fn_u8len(p, end);
			if (k == 1 && *p >= 0x80) {
				if (buf_append(&b, p, 1) == -1)
					goto nomem;
			} else if (fn_u8put(&b, fn_case(fn_u8dec(p, k),
			    op == FS_UPPER)) == -1)
				goto nomem;
			p += k;
		}
		break;
	case FS_TRIM:
	case FS_LTRIM:
	case FS_RTRIM:
		a = p;
		z = end;
		if (op != FS_RTRIM)
			while (a < z) {
				k = fn_u8len(a, z);
				if (!fn_in_set(fn_u8dec(a, k), set, setn))
					break;
				a += k;
			}
		if (op != FS_LTRIM)
			while (z > a) {
				const unsigned char *q = z - 1;

				while (q > a && (*q & 0xC0) == 0x80 &&
				    z - q < 4)
					q--;
				k = fn_u8len(q, z);
				if (q + k != z)
					q = z - 1, k = 1;
				if (!fn_in_set(fn_u8dec(q, k), set, setn))
					break;
				z = q;
			}
		if (buf_append(&b, a, (size_t)(z - a)) == -1)
			goto nomem;
		break;
	case FS_URLDECODE:
		while (p < end) {
			if (*p == '%' && end - p >= 3 &&
			    (h1 = fn_hexval(p[1])) >= 0 &&
			    (h2 = fn_hexval(p[2])) >= 0) {
				if (buf_putc(&b, (char)(h1 << 4 | h2)) == -1)
					goto nomem;
				p += 3;
				continue;
			}
			if (buf_putc(&b, *p == '+' ? ' ' : (char)*p) == -1)
				goto nomem;
			p++;
		}
		break;
	}
	return fn_str_built(s, &b, 1);
nomem:
	return fn_str_built(s, &b, 0);
}

/* Applies op to v, or to each element of an array v. */
static json_t *
fn_strop(enum fn_str_op op, const json_t *v, const char *set, size_t setn)
{
	json_t *r, *el;
	size_t i;

	if (!json_is_array(v))
		return fn_strop1(op, v, set, setn);
	if ((r = json_array()) == NULL)
		return NULL;
	for (i = 0; i < json_array_size(v); i++) {
		if ((el = fn_strop1(op, json_array_get(v, i), set, setn)) ==
		    NULL || json_array_append_new(r, el) == -1) {
			json_decref(r);
			return NULL;
		}
	}
	return r;
}

/* ---- Regular expressions ---- */

struct fn_rx {
	pcre2_code *rx_code;
	pcre2_match_data *rx_md;
	struct sml_regex_env rx_env;	/* the limits, the JIT stack */
};

static void
fn_rx_free(void *arg)
{
	struct fn_rx *rx = arg;

	if (rx == NULL)
		return;
	pcre2_match_data_free(rx->rx_md);
	pcre2_code_free(rx->rx_code);
	sml_regex_env_free(&rx->rx_env);
	free(rx);
}

/*
 * Returns the compiled regex of argument argi of x whose value is pat:
 * cached in x when the argument is a literal (*tmp 0), else fresh (*tmp 1,
 * the caller frees it). NULL with the reason in ctx on a bad pattern.
 */
static struct fn_rx *
fn_rx_get(struct expr *x, size_t argi, const json_t *pat,
    struct eval_ctx *ctx, int *tmp)
{
	int lit = x->x_args[argi]->x_kind == EX_LIT, ecode;
	PCRE2_SIZE eoff;
	PCRE2_UCHAR msg[128];
	struct fn_rx *rx;
	char *p;
	uint32_t opts = PCRE2_UTF;

	*tmp = !lit;
	if (lit && x->x_cache != NULL)
		return x->x_cache;
	if ((p = fn_text(pat)) == NULL) {
		fn_fail(ctx, "the regular expression of %s at offset %zu is "
		    "not a string", x->x_func == SML_FN_MATCH ? "match" :
		    "replace", x->x_off);
		return NULL;
	}
#ifdef PCRE2_MATCH_INVALID_UTF
	opts |= PCRE2_MATCH_INVALID_UTF;
#endif
	if ((rx = calloc(1, sizeof(*rx))) == NULL) {
		free(p);
		FN_NOMEM(ctx);
		return NULL;
	}
	rx->rx_code = pcre2_compile((PCRE2_SPTR)p, PCRE2_ZERO_TERMINATED, opts,
	    &ecode, &eoff, NULL);
	if (rx->rx_code == NULL) {
		pcre2_get_error_message(ecode, msg, sizeof(msg));
		fn_fail(ctx, "bad regular expression \"%s\" at offset %zu: %s "
		    "(at character %zu of the pattern)", p, x->x_off,
		    (const char *)msg, (size_t)eoff);
		free(p);
		free(rx);
		return NULL;
	}
	free(p);
	sml_regex_jit(rx->rx_code);
	rx->rx_md = pcre2_match_data_create_from_pattern(rx->rx_code, NULL);
	if (rx->rx_md == NULL || sml_regex_env_init(&rx->rx_env,
	    ctx ? ctx->ec_rx_match_limit : 0,
	    ctx ? ctx->ec_rx_depth_limit : 0) == -1) {
		fn_rx_free(rx);
		FN_NOMEM(ctx);
		return NULL;
	}
	if (lit) {
		x->x_cache = rx;
		x->x_cache_free = fn_rx_free;
	}
	return rx;
}

/*
 * The text of v as a regex subject: fn_text with 32 spare bytes after the
 * end, since the JIT-compiled matcher reads ahead in 16-byte loads.
 */
static char *
fn_subject(const json_t *v)
{
	char *s = fn_text(v), *p;

	if (s == NULL)
		return NULL;
	if ((p = realloc(s, strlen(s) + 33)) == NULL) {
		free(s);
		return NULL;
	}
	memset(p + strlen(p) + 1, 0, 32);
	return p;
}

/*
 * Fails the call fn ("match()") for the result rc of pcre2_match(), an
 * error other than no match: a limit reached is not an answer.
 */
static void
fn_rx_fail(struct fn_rx *rx, int rc, const char *fn, struct eval_ctx *ctx)
{
	if (ctx && ctx->ec_err && ctx->ec_errlen)
		sml_regex_error(&rx->rx_env, rc, fn, ctx->ec_err,
		    ctx->ec_errlen);
}

/*
 * Returns 1 when rx matches somewhere in v (any element), 0 if not, -1
 * when the matcher failed (a limit reached) with the reason in ctx.
 */
static int
fn_rx_match(struct fn_rx *rx, const json_t *v, struct eval_ctx *ctx)
{
	char *s;
	size_t i;
	int r;

	if (json_is_array(v)) {
		for (i = 0; i < json_array_size(v); i++)
			if ((r = fn_rx_match(rx, json_array_get(v, i),
			    ctx)) != 0)
				return r;
		return 0;
	}
	if ((s = fn_subject(v)) == NULL)
		return 0;
	r = pcre2_match(rx->rx_code, (PCRE2_SPTR)s, strlen(s), 0, 0,
	    rx->rx_md, rx->rx_env.rg_mctx);
	free(s);
	if (r >= 0)
		return 1;
	if (r == PCRE2_ERROR_NOMATCH)
		return 0;
	fn_rx_fail(rx, r, "match()", ctx);
	return -1;
}

/* Appends repl with \0..\9 replaced by the groups of the match. */
static int
fn_rx_repl(struct buf *b, const char *s, const char *repl,
    const PCRE2_SIZE *ov, int ngroups)
{
	const char *r;

	for (r = repl; *r != '\0'; r++) {
		if (r[0] == '\\' && r[1] >= '0' && r[1] <= '9') {
			int g = r[1] - '0';

			r++;
			if (g < ngroups && ov[2 * g] != PCRE2_UNSET &&
			    buf_append(b, s + ov[2 * g],
			    ov[2 * g + 1] - ov[2 * g]) == -1)
				return -1;
			continue;
		}
		if (r[0] == '\\' && r[1] == '\\')
			r++;
		if (buf_putc(b, *r) == -1)
			return -1;
	}
	return 0;
}

/*
 * replace() on one scalar: every match of rx replaced by repl. Returns a
 * new reference, or NULL with the reason in ctx (out of memory, the
 * matcher failed on a limit).
 */
static json_t *
fn_replace1(struct fn_rx *rx, const json_t *v, const char *repl,
    struct eval_ctx *ctx)
{
	char *s = fn_subject(v);
	struct buf b = BUF_INIT;
	PCRE2_SIZE *ov, off = 0, last = 0, n;
	json_t *r;
	int rc = PCRE2_ERROR_NOMATCH;

	if (s == NULL)
		return json_null();
	n = strlen(s);
	ov = pcre2_get_ovector_pointer(rx->rx_md);
	while (off <= n && (rc = pcre2_match(rx->rx_code, (PCRE2_SPTR)s, n,
	    off, 0, rx->rx_md, rx->rx_env.rg_mctx)) >= 0) {
		if (ov[0] < last || ov[1] < ov[0])
			break;	/* \K games: stop rather than loop */
		if (buf_append(&b, s + last, ov[0] - last) == -1 ||
		    fn_rx_repl(&b, s, repl, ov, rc == 0 ? 10 : rc) == -1)
			goto nomem;
		if (ov[1] == ov[0]) {
			size_t k;

			if (ov[0] >= n) {
				last = n;
				break;
			}
			k = fn_u8len((const unsigned char *)s + ov[0],
			    (const unsigned char *)s + n);
			if (buf_append(&b, s + ov[0], k) == -1)
				goto nomem;
			off = last = ov[0] + k;
		} else
			off = last = ov[1];
	}
	if (rc < 0 && rc != PCRE2_ERROR_NOMATCH) {
		fn_rx_fail(rx, rc, "replace()", ctx);
		fn_str_built(s, &b, 0);
		return NULL;
	}
	if (last < n && buf_append(&b, s + last, n - last) == -1)
		goto nomem;
	if ((r = fn_str_built(s, &b, 1)) == NULL)
		FN_NOMEM(ctx);
	return r;
nomem:
	fn_str_built(s, &b, 0);
	return FN_NOMEM(ctx);
}

/* replace() on each element of an array. Returns as fn_replace1. */
static json_t *
fn_replace_all(struct fn_rx *rx, const json_t *arr, const char *repl,
    struct eval_ctx *ctx)
{
	json_t *r = json_array(), *el, *one;
	size_t i;

	if (r == NULL)
		return FN_NOMEM(ctx);
	json_array_foreach(arr, i, el) {
		if ((one = fn_replace1(rx, el, repl, ctx)) == NULL) {
			json_decref(r);
			return NULL;
		}
		if (json_array_append_new(r, one) == -1) {
			json_decref(r);
			return FN_NOMEM(ctx);
		}
	}
	return r;
}

/* ---- Hashes: MD5 (RFC 1321), SHA-1 (FIPS 180-4), SHA-256 ---- */

#define ROL32(x, n)	(((x) << (n)) | ((x) >> (32 - (n))))
#define ROR32(x, n)	(((x) >> (n)) | ((x) << (32 - (n))))

static void
fn_md5_block(uint32_t h[4], const unsigned char *p)
{
	static const uint32_t k[64] = {
		0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf,
		0x4787c62a, 0xa8304613, 0xfd469501, 0x698098d8, 0x8b44f7af,
		0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193, 0xa679438e,
		0x49b40821, 0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa,
		0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8, 0x21e1cde6,
		0xc33707d6, 0xf4d50d87, 0x455a14ed, 0xa9e3e905, 0xfcefa3f8,
		0x676f02d9, 0x8d2a4c8a, 0xfffa3942, 0x8771f681, 0x6d9d6122,
		0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70,
		0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05, 0xd9d4d039,
		0xe6db99e5, 0x1fa27cf8, 0xc4ac5665, 0xf4292244, 0x432aff97,
		0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d,
		0x85845dd1, 0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1,
		0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391,
	};
	static const unsigned char r[64] = {
		7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22,
		5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20,
		4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23,
		6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21,
	};
	uint32_t w[16], a = h[0], b = h[1], c = h[2], d = h[3], f, t;
	int i, g;

	for (i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] | (uint32_t)p[4 * i + 1] << 8 |
		    (uint32_t)p[4 * i + 2] << 16 | (uint32_t)p[4 * i + 3] << 24;
	for (i = 0; i < 64; i++) {
		if (i < 16) {
			f = (b & c) | (~b & d);
			g = i;
		} else if (i < 32) {
			f = (d & b) | (~d & c);
			g = (5 * i + 1) & 15;
		} else if (i < 48) {
			f = b ^ c ^ d;
			g = (3 * i + 5) & 15;
		} else {
			f = c ^ (b | ~d);
			g = (7 * i) & 15;
		}
		t = d;
		d = c;
		c = b;
		b = b + ROL32(a + f + k[i] + w[g], r[i]);
		a = t;
	}
	h[0] += a;
	h[1] += b;
	h[2] += c;
	h[3] += d;
}

static void
fn_sha1_block(uint32_t h[5], const unsigned char *p)
{
	uint32_t w[80], a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f,
	    k, t;
	int i;

	for (i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
		    (uint32_t)p[4 * i + 2] << 8 | (uint32_t)p[4 * i + 3];
	for (i = 16; i < 80; i++)
		w[i] = ROL32(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
	for (i = 0; i < 80; i++) {
		if (i < 20) {
			f = (b & c) | (~b & d);
			k = 0x5a827999;
		} else if (i < 40) {
			f = b ^ c ^ d;
			k = 0x6ed9eba1;
		} else if (i < 60) {
			f = (b & c) | (b & d) | (c & d);
			k = 0x8f1bbcdc;
		} else {
			f = b ^ c ^ d;
			k = 0xca62c1d6;
		}
		t = ROL32(a, 5) + f + e + k + w[i];
		e = d;
		d = c;
		c = ROL32(b, 30);
		b = a;
		a = t;
	}
	h[0] += a;
	h[1] += b;
	h[2] += c;
	h[3] += d;
	h[4] += e;
}

static void
fn_sha256_block(uint32_t h[8], const unsigned char *p)
{
	static const uint32_t k[64] = {
		0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b,
		0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01,
		0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7,
		0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc,
		0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152,
		0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
		0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
		0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
		0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819,
		0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08,
		0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f,
		0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
		0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
	};
	uint32_t w[64], s[8], t1, t2;
	int i;

	for (i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
		    (uint32_t)p[4 * i + 2] << 8 | (uint32_t)p[4 * i + 3];
	for (i = 16; i < 64; i++)
		w[i] = w[i - 16] + (ROR32(w[i - 15], 7) ^ ROR32(w[i - 15], 18) ^
		    (w[i - 15] >> 3)) + w[i - 7] + (ROR32(w[i - 2], 17) ^
		    ROR32(w[i - 2], 19) ^ (w[i - 2] >> 10));
	memcpy(s, h, sizeof(s));
	for (i = 0; i < 64; i++) {
		t1 = s[7] + (ROR32(s[4], 6) ^ ROR32(s[4], 11) ^
		    ROR32(s[4], 25)) + ((s[4] & s[5]) ^ (~s[4] & s[6])) +
		    k[i] + w[i];
		t2 = (ROR32(s[0], 2) ^ ROR32(s[0], 13) ^ ROR32(s[0], 22)) +
		    ((s[0] & s[1]) ^ (s[0] & s[2]) ^ (s[1] & s[2]));
		memmove(s + 1, s, 7 * sizeof(s[0]));
		s[4] += t1;
		s[0] = t1 + t2;
	}
	for (i = 0; i < 8; i++)
		h[i] += s[i];
}

enum fn_hash { FH_MD5, FH_SHA1, FH_SHA256 };

/* Writes the lower-case hex digest of m[0..n) into out (>= 65 bytes). */
static void
fn_hash(enum fn_hash alg, const unsigned char *m, size_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";
	uint32_t h[8];
	unsigned char blk[128], dig[32];
	size_t i, nw, full = n / 64 * 64, rest = n - full, tail;
	uint64_t bits = (uint64_t)n * 8;
	void (*block)(uint32_t *, const unsigned char *);

	switch (alg) {
	case FH_MD5:
		h[0] = 0x67452301; h[1] = 0xefcdab89;
		h[2] = 0x98badcfe; h[3] = 0x10325476;
		nw = 4;
		block = fn_md5_block;
		break;
	case FH_SHA1:
		h[0] = 0x67452301; h[1] = 0xefcdab89; h[2] = 0x98badcfe;
		h[3] = 0x10325476; h[4] = 0xc3d2e1f0;
		nw = 5;
		block = fn_sha1_block;
		break;
	default:
		h[0] = 0x6a09e667; h[1] = 0xbb67ae85; h[2] = 0x3c6ef372;
		h[3] = 0xa54ff53a; h[4] = 0x510e527f; h[5] = 0x9b05688c;
		h[6] = 0x1f83d9ab; h[7] = 0x5be0cd19;
		nw = 8;
		block = fn_sha256_block;
		break;
	}
	for (i = 0; i < full; i += 64)
		block(h, m + i);
	memset(blk, 0, sizeof(blk));
	memcpy(blk, m + full, rest);
	blk[rest] = 0x80;
	tail = rest + 1 + 8 <= 64 ? 64 : 128;
	for (i = 0; i < 8; i++) {
		if (alg == FH_MD5)
			blk[tail - 8 + i] = (unsigned char)(bits >> (8 * i));
		else
			blk[tail - 1 - i] = (unsigned char)(bits >> (8 * i));
	}
	for (i = 0; i < tail; i += 64)
		block(h, blk + i);
	for (i = 0; i < nw; i++) {
		if (alg == FH_MD5) {
			dig[4 * i] = (unsigned char)h[i];
			dig[4 * i + 1] = (unsigned char)(h[i] >> 8);
			dig[4 * i + 2] = (unsigned char)(h[i] >> 16);
			dig[4 * i + 3] = (unsigned char)(h[i] >> 24);
		} else {
			dig[4 * i] = (unsigned char)(h[i] >> 24);
			dig[4 * i + 1] = (unsigned char)(h[i] >> 16);
			dig[4 * i + 2] = (unsigned char)(h[i] >> 8);
			dig[4 * i + 3] = (unsigned char)h[i];
		}
	}
	for (i = 0; i < nw * 4; i++) {
		out[2 * i] = hex[dig[i] >> 4];
		out[2 * i + 1] = hex[dig[i] & 15];
	}
	out[nw * 8] = '\0';
}

/* ---- Time ---- */

static const char *const fn_months[12] = { "january", "february", "march",
	"april", "may", "june", "july", "august", "september", "october",
	"november", "december" };
static const char *const fn_wdays[7] = { "sunday", "monday", "tuesday",
	"wednesday", "thursday", "friday", "saturday" };

static int
fn_mdays(int64_t y, unsigned m)
{
	static const int md[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
		30, 31 };
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 ? 28 + leap : md[m - 1];
}

/* Appends the subsecond digits of us microseconds, width digits. */
static int
fn_subsec(struct buf *b, long long us, int width)
{
	char tmp[32];
	int i;

	for (i = width; i < 6; i++)
		us /= 10;
	for (i = 6; i < width; i++)
		us *= 10;
	snprintf(tmp, sizeof(tmp), "%0*lld", width, us);
	return buf_puts(b, tmp);
}

/*
 * strftime in UTC, with Splunk's additions: %N/%3N/%6N/%9N and %Q
 * (subseconds), %f (microseconds), %s (epoch seconds), %z, %Z (UTC).
 */
static json_t *
fn_strftime(double t, const char *fmt)
{
	struct buf b = BUF_INIT;
	struct tm tm;
	time_t secs;
	long long tus, us;
	const char *p;
	char spec[4], out[128];
	json_t *r;
	int width;

	if (!(t >= -62135596800.0 && t <= 253402300799.0))
		return json_null();
	/* Whole microseconds: as precise as a double of epoch seconds is. */
	tus = llround(t * 1e6);
	us = tus % 1000000;
	if (us < 0)
		us += 1000000;
	secs = (time_t)((tus - us) / 1000000);
	if (gmtime_r(&secs, &tm) == NULL)
		return json_null();
	for (p = fmt; *p != '\0'; p++) {
		if (*p != '%' || p[1] == '\0') {
			if (buf_putc(&b, *p) == -1)
				goto nomem;
			continue;
		}
		p++;
		width = 0;
		if (*p >= '1' && *p <= '9' && (p[1] == 'N' || p[1] == 'Q')) {
			width = *p - '0';
			p++;
		}
		switch (*p) {
		case 'N':
			if (fn_subsec(&b, us, width ? width : 9) == -1)
				goto nomem;
			continue;
		case 'Q':
			if (fn_subsec(&b, us, width ? width : 3) == -1)
				goto nomem;
			continue;
		case 'f':
			if (fn_subsec(&b, us, 6) == -1)
				goto nomem;
			continue;
		case 's':
			if (buf_printf(&b, "%lld", (long long)secs) == -1)
				goto nomem;
			continue;
		case 'z':
			if (buf_puts(&b, "+0000") == -1)
				goto nomem;
			continue;
		case 'Z':
			if (buf_puts(&b, "UTC") == -1)
				goto nomem;
			continue;
		default:
			break;
		}
		spec[0] = '%';
		spec[1] = *p;
		spec[2] = '\0';
		out[0] = '\0';
		if (strftime(out, sizeof(out), spec, &tm) == 0)
			out[0] = '\0';
		if (buf_puts(&b, out) == -1)
			goto nomem;
	}
	r = fn_str(b.b_data ? b.b_data : "", b.b_len);
	buf_free(&b);
	return r;
nomem:
	buf_free(&b);
	return NULL;
}

/* Reads up to max digits at *sp (at least 1). Returns 0 and *v, or -1. */
static int
fn_pdigits(const char **sp, int max, long long *v, int *nd)
{
	const char *s = *sp;
	int n = 0;
	long long r = 0;

	while (n < max && *s >= '0' && *s <= '9') {
		r = r * 10 + (*s - '0');
		s++;
		n++;
	}
	if (n == 0)
		return -1;
	*sp = s;
	*v = r;
	if (nd)
		*nd = n;
	return 0;
}

/* Matches a month or weekday name (full or 3 letters) at *sp. */
static int
fn_pname(const char **sp, const char *const *names, int n)
{
	int i;
	size_t l;

	for (i = 0; i < n; i++) {
		l = strlen(names[i]);
		if (strncasecmp(*sp, names[i], l) == 0) {
			*sp += l;
			return i;
		}
	}
	for (i = 0; i < n; i++)
		if (strncasecmp(*sp, names[i], 3) == 0) {
			*sp += 3;
			return i;
		}
	return -1;
}

/* strptime in UTC (with %z offsets); returns epoch seconds or null. */
static json_t *
fn_strptime(const char *s, const char *fmt)
{
	long long y = 1970, mon = 1, d = 1, H = 0, M = 0, S = 0, v, yday = -1;
	long long off = 0, epoch = 0;
	double frac = 0;
	int pm = -1, nd, have_epoch = 0, have_frac = 0, width, sign, i;
	const char *f;
	int64_t days;

	for (f = fmt; *f != '\0'; f++) {
		if (isspace((unsigned char)*f)) {
			while (isspace((unsigned char)*s))
				s++;
			continue;
		}
		if (*f != '%' || f[1] == '\0') {
			if (*s != *f)
				return json_null();
			s++;
			continue;
		}
		f++;
		width = 0;
		if (*f >= '1' && *f <= '9' && (f[1] == 'N' || f[1] == 'Q')) {
			width = *f - '0';
			f++;
		}
		switch (*f) {
		case 'Y':
			sign = *s == '-' ? (s++, -1) : 1;
			if (fn_pdigits(&s, 4, &y, NULL) == -1)
				return json_null();
			y *= sign;
			break;
		case 'y':
			if (fn_pdigits(&s, 2, &y, NULL) == -1)
				return json_null();
			y += y < 69 ? 2000 : 1900;
			break;
		case 'm':
			if (fn_pdigits(&s, 2, &mon, NULL) == -1)
				return json_null();
			break;
		case 'd':
		case 'e':
			while (*f == 'e' && *s == ' ')
				s++;
			if (fn_pdigits(&s, 2, &d, NULL) == -1)
				return json_null();
			break;
		case 'j':
			if (fn_pdigits(&s, 3, &yday, NULL) == -1 || yday < 1 ||
			    yday > 366)
				return json_null();
			break;
		case 'H':
		case 'I':
			if (fn_pdigits(&s, 2, &H, NULL) == -1)
				return json_null();
			break;
		case 'M':
			if (fn_pdigits(&s, 2, &M, NULL) == -1)
				return json_null();
			break;
		case 'S':
			if (fn_pdigits(&s, 2, &S, NULL) == -1)
				return json_null();
			break;
		case 'T':
			if (fn_pdigits(&s, 2, &H, NULL) == -1 || *s++ != ':' ||
			    fn_pdigits(&s, 2, &M, NULL) == -1 || *s++ != ':' ||
			    fn_pdigits(&s, 2, &S, NULL) == -1)
				return json_null();
			break;
		case 'R':
			if (fn_pdigits(&s, 2, &H, NULL) == -1 || *s++ != ':' ||
			    fn_pdigits(&s, 2, &M, NULL) == -1)
				return json_null();
			break;
		case 'F':
			if (fn_pdigits(&s, 4, &y, NULL) == -1 ||
			    *s++ != '-' ||
			    fn_pdigits(&s, 2, &mon, NULL) == -1 ||
			    *s++ != '-' || fn_pdigits(&s, 2, &d, NULL) == -1)
				return json_null();
			break;
		case 'D':
			if (fn_pdigits(&s, 2, &mon, NULL) == -1 ||
			    *s++ != '/' || fn_pdigits(&s, 2, &d, NULL) == -1 ||
			    *s++ != '/' || fn_pdigits(&s, 2, &y, NULL) == -1)
				return json_null();
			y += y < 69 ? 2000 : 1900;
			break;
		case 'b':
		case 'B':
		case 'h':
			if ((i = fn_pname(&s, fn_months, 12)) < 0)
				return json_null();
			mon = i + 1;
			break;
		case 'a':
		case 'A':
			if (fn_pname(&s, fn_wdays, 7) < 0)
				return json_null();
			break;
		case 'p':
			if (strncasecmp(s, "am", 2) == 0)
				pm = 0;
			else if (strncasecmp(s, "pm", 2) == 0)
				pm = 1;
			else
				return json_null();
			s += 2;
			break;
		case 'N':
		case 'Q':
		case 'f':
			if (fn_pdigits(&s, width ? width : *f == 'Q' ? 3 :
			    *f == 'f' ? 6 : 9, &v, &nd) == -1)
				return json_null();
			frac = (double)v / pow(10, nd);
			have_frac = 1;
			break;
		case 's':
			sign = *s == '-' ? (s++, -1) : 1;
			if (fn_pdigits(&s, 12, &epoch, NULL) == -1)
				return json_null();
			epoch *= sign;
			have_epoch = 1;
			break;
		case 'z':
			if (*s == 'Z' || *s == 'z') {
				s++;
				break;
			}
			if (*s != '+' && *s != '-')
				return json_null();
			sign = *s++ == '-' ? -1 : 1;
			if (fn_pdigits(&s, 2, &v, NULL) == -1)
				return json_null();
			off = v * 3600;
			if (*s == ':')
				s++;
			if (*s >= '0' && *s <= '9') {
				if (fn_pdigits(&s, 2, &v, NULL) == -1)
					return json_null();
				off += v * 60;
			}
			off *= sign;
			break;
		case 'Z':
			while (isalpha((unsigned char)*s))
				s++;
			break;
		case '%':
			if (*s++ != '%')
				return json_null();
			break;
		default:
			return json_null();
		}
	}
	if (have_epoch)
		days = 0;
	else {
		if (pm >= 0) {
			if (H < 1 || H > 12)
				return json_null();
			H = H % 12 + (pm ? 12 : 0);
		}
		if (yday > 0) {
			days = time_days_from_civil(y, 1, 1) + yday - 1;
		} else {
			if (mon < 1 || mon > 12 || d < 1 ||
			    d > fn_mdays(y, (unsigned)mon))
				return json_null();
			days = time_days_from_civil(y, (unsigned)mon,
			    (unsigned)d);
		}
		if (H > 23 || M > 59 || S > 60)
			return json_null();
		epoch = days * 86400 + H * 3600 + M * 60 + S - off;
	}
	if (have_frac && frac > 0)
		return json_real((double)epoch + frac);
	return json_integer(epoch);
}

/* Adds n months to the civil date of secs (day clamped to the month). */
static double
fn_add_months(double t, long long n)
{
	double fl = floor(t), frac = t - fl;
	int64_t secs = (int64_t)fl, days = secs >= 0 ? secs / 86400 :
	    -((-secs + 86399) / 86400), tod = secs - days * 86400, y;
	unsigned m, d;
	long long mi;

	time_civil_from_days(days, &y, &m, &d);
	mi = (long long)y * 12 + (m - 1) + n;
	y = mi >= 0 ? mi / 12 : -((-mi + 11) / 12);
	m = (unsigned)(mi - y * 12) + 1;
	if ((int)d > fn_mdays(y, m))
		d = (unsigned)fn_mdays(y, m);
	return (double)(time_days_from_civil(y, m, d) * 86400 + tod) + frac;
}

/* Reads a relative_time unit at *sp. Returns seconds (>0), -1 month,
 * -3 quarter, -12 year, 0 when unknown. */
static long
fn_unit(const char **sp, int *weekday)
{
	static const struct { const char *name; long v; } units[] = {
		{ "seconds", 1 }, { "second", 1 }, { "secs", 1 }, { "sec", 1 },
		{ "s", 1 }, { "minutes", 60 }, { "minute", 60 },
		{ "mins", 60 }, { "min", 60 }, { "months", -1 },
		{ "month", -1 }, { "mon", -1 }, { "m", 60 },
		{ "hours", 3600 }, { "hour", 3600 }, { "hrs", 3600 },
		{ "hr", 3600 }, { "h", 3600 }, { "days", 86400 },
		{ "day", 86400 }, { "d", 86400 }, { "weeks", 604800 },
		{ "week", 604800 }, { "w", 604800 }, { "quarters", -3 },
		{ "quarter", -3 }, { "qtrs", -3 }, { "qtr", -3 }, { "q", -3 },
		{ "years", -12 }, { "year", -12 }, { "yrs", -12 },
		{ "yr", -12 }, { "y", -12 },
	};
	const char *s = *sp;
	size_t i, l;

	*weekday = -1;
	/* w0..w7: a week starting on that day (0 and 7 Sunday). */
	if ((s[0] == 'w' || s[0] == 'W') && s[1] >= '0' && s[1] <= '7') {
		*weekday = (s[1] - '0') % 7;
		*sp = s + 2;
		return 604800;
	}
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		l = strlen(units[i].name);
		if (strncasecmp(s, units[i].name, l) != 0 ||
		    isalpha((unsigned char)s[l]))
			continue;
		*sp = s + l;
		return units[i].v;
	}
	return 0;
}

/* Snaps t down to the start of its unit (UTC). */
static double
fn_snap(double t, long unit, int weekday)
{
	int64_t secs = (int64_t)floor(t), days, y;
	unsigned m, d;
	long wd;

	if (unit > 0 && unit < 604800)
		return (double)(secs - ((secs % unit) + unit) % unit);
	days = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
	if (unit == 604800) {
		/* 1970-01-01 was a Thursday (4). */
		wd = (long)(((days % 7) + 7 + 4) % 7);
		days -= ((wd - (weekday < 0 ? 0 : weekday)) + 7) % 7;
		return (double)(days * 86400);
	}
	time_civil_from_days(days, &y, &m, &d);
	if (unit == -3)
		m = (m - 1) / 3 * 3 + 1;
	else if (unit == -12)
		m = 1;
	return (double)(time_days_from_civil(y, m, 1) * 86400);
}

/* relative_time(t, "-1d@d"): offsets and snaps, left to right. */
static json_t *
fn_relative(double t, const char *s)
{
	long unit;
	long long n;
	int sign, weekday;

	while (*s == ' ')
		s++;
	if (strcasecmp(s, "now") == 0 || *s == '\0')
		return value_from_double(t);
	while (*s != '\0') {
		if (*s == '@') {
			s++;
			if ((unit = fn_unit(&s, &weekday)) == 0)
				return json_null();
			t = fn_snap(t, unit, weekday);
			continue;
		}
		if (*s != '+' && *s != '-')
			return json_null();
		sign = *s++ == '-' ? -1 : 1;
		n = 1;
		if (*s >= '0' && *s <= '9' && fn_pdigits(&s, 9, &n, NULL) == -1)
			return json_null();
		if ((unit = fn_unit(&s, &weekday)) == 0 || weekday >= 0)
			return json_null();
		if (unit > 0)
			t += (double)sign * (double)n * (double)unit;
		else
			t = fn_add_months(t, sign * n * -unit);
	}
	return value_from_double(t);
}

/* ---- Multivalue, network, JSON ---- */

/* Appends v (each element when an array; nulls skipped) to arr. */
static int
fn_flatten(json_t *arr, json_t *v)
{
	size_t i;

	if (fn_isnull(v))
		return 0;
	if (!json_is_array(v))
		return json_array_append(arr, v);
	for (i = 0; i < json_array_size(v); i++)
		if (!fn_isnull(json_array_get(v, i)) &&
		    json_array_append(arr, json_array_get(v, i)) == -1)
			return -1;
	return 0;
}

/* cidrmatch on one scalar ip. Returns 1, 0. */
static int
fn_cidr1(const char *cidr, const json_t *ipv)
{
	unsigned char net[16], ip[16];
	char tmp[64], *slash;
	const char *ips;
	int fam, bits, maxbits, i;
	long lb;

	if (!json_is_string(ipv) || strlen(cidr) >= sizeof(tmp))
		return 0;
	ips = json_string_value(ipv);
	strcpy(tmp, cidr);
	slash = strchr(tmp, '/');
	if (slash != NULL)
		*slash++ = '\0';
	fam = strchr(tmp, ':') ? AF_INET6 : AF_INET;
	maxbits = fam == AF_INET6 ? 128 : 32;
	if (inet_pton(fam, tmp, net) != 1 || inet_pton(fam, ips, ip) != 1)
		return 0;
	bits = maxbits;
	if (slash != NULL) {
		char *end;

		errno = 0;
		lb = strtol(slash, &end, 10);
		if (*slash == '\0' || *end != '\0' || lb < 0 || lb > maxbits)
			return 0;
		bits = (int)lb;
	}
	for (i = 0; bits > 0; i++, bits -= 8) {
		unsigned char mask = bits >= 8 ? 0xFF :
		    (unsigned char)(0xFF << (8 - bits));

		if ((net[i] & mask) != (ip[i] & mask))
			return 0;
	}
	return 1;
}

static int
fn_cidr(const char *cidr, const json_t *ip)
{
	size_t i;

	if (json_is_array(ip)) {
		for (i = 0; i < json_array_size(ip); i++)
			if (fn_cidr1(cidr, json_array_get(ip, i)))
				return 1;
		return 0;
	}
	return fn_cidr1(cidr, ip);
}

/* json_extract: a dotted path with [n] indices, optional leading "$". */
static json_t *
fn_json_extract(const json_t *x, const char *path)
{
	json_t *root = NULL, *cur, *r;
	const char *p = path;
	char *end;
	size_t n;
	long idx;

	if (json_is_string(x)) {
		root = json_loadb(json_string_value(x), json_string_length(x),
		    JSON_DECODE_ANY, NULL);
		if (root == NULL)
			return json_null();
		cur = root;
	} else if (json_is_object(x) || json_is_array(x))
		cur = (json_t *)x;
	else
		return json_null();
	if (*p == '$')
		p++;
	while (cur != NULL && *p != '\0') {
		if (*p == '.') {
			p++;
			continue;
		}
		if (*p == '[') {
			errno = 0;
			idx = strtol(p + 1, &end, 10);
			if (end == p + 1 || *end != ']' ||
			    !json_is_array(cur)) {
				cur = NULL;
				break;
			}
			if (idx < 0)
				idx += (long)json_array_size(cur);
			cur = idx < 0 ? NULL : json_array_get(cur, (size_t)idx);
			p = end + 1;
			continue;
		}
		n = strcspn(p, ".[");
		cur = json_is_object(cur) ? json_object_getn(cur, p, n) : NULL;
		p += n;
	}
	r = cur ? json_incref(cur) : json_null();
	json_decref(root);
	return r;
}

/* ---- Number formatting ---- */

/* tostring(x, "commas"): thousands separators, reals to 2 decimals. */
static json_t *
fn_commas(int kind, int64_t i, double d)
{
	char digits[64], out[96], *o = out;
	const char *p, *dot;
	size_t nint, k;

	if (kind == 1)
		snprintf(digits, sizeof(digits), "%lld", (long long)i);
	else if (d == floor(d) && fabs(d) < 1e15)
		snprintf(digits, sizeof(digits), "%.0f", d);
	else if (fabs(d) < 1e15)
		snprintf(digits, sizeof(digits), "%.2f", d);
	else {
		value_fmt_real(d, digits, sizeof(digits));
		return json_string(digits);
	}
	p = digits;
	if (*p == '-')
		*o++ = *p++;
	dot = strchr(p, '.');
	nint = dot ? (size_t)(dot - p) : strlen(p);
	for (k = 0; k < nint; k++) {
		if (k > 0 && (nint - k) % 3 == 0)
			*o++ = ',';
		*o++ = p[k];
	}
	strcpy(o, p + nint);
	return json_string(out);
}

/* tostring(x, "duration"): seconds as [D+]HH:MM:SS. */
static json_t *
fn_duration(double d)
{
	char out[64];
	long long s = (long long)floor(fabs(d)), days = s / 86400;

	s %= 86400;
	if (days > 0)
		snprintf(out, sizeof(out), "%s%lld+%02lld:%02lld:%02lld",
		    d < 0 ? "-" : "", days, s / 3600, s / 60 % 60, s % 60);
	else
		snprintf(out, sizeof(out), "%s%02lld:%02lld:%02lld",
		    d < 0 ? "-" : "", s / 3600, s / 60 % 60, s % 60);
	return json_string(out);
}

/* Rounds half away from zero to digits places. */
static json_t *
fn_round(int kind, int64_t i, double d, long long digits)
{
	double p, r;

	if (kind == 1 && digits >= 0)
		return json_integer(i);
	if (digits > 15 || digits < -15)
		return kind == 1 ? json_integer(i) : value_from_double(d);
	p = pow(10, (double)digits);
	r = round(d * p) / p;
	/* d * p can land just below a half (2.675 * 100 = 267.4999...). */
	if (fabs(d * p - trunc(d * p) - copysign(0.5, d)) < 1e-9 &&
	    fabs(d) < 1e15)
		r = (trunc(d * p) + copysign(1, d)) / p;
	return value_from_double(r);
}

/*
 * Reads a time argument as epoch seconds: a number (or numeric string) is
 * seconds; an ISO-8601 string (an event's @timestamp) is read as a date.
 */
static int
fn_time_arg(const json_t *v, double *t)
{
	int64_t i, ms;

	if (value_num_read(v, &i, t) != 0)
		return 1;
	if (json_is_string(v) && time_parse_iso(json_string_value(v),
	    json_string_length(v), &ms) == 0) {
		*t = ms % 1000 == 0 ? (double)(ms / 1000) : (double)ms / 1000;
		return 1;
	}
	return 0;
}

/* ---- The xorshift generator of random() ---- */

static uint64_t fn_rng;

static uint32_t
fn_random(void)
{
	if (fn_rng == 0)
		fn_rng = (uint64_t)time_now_ms() * 0x9E3779B97F4A7C15ULL ^
		    (uint64_t)getpid();
	fn_rng ^= fn_rng >> 12;
	fn_rng ^= fn_rng << 25;
	fn_rng ^= fn_rng >> 27;
	return (uint32_t)((fn_rng * 0x2545F4914F6CDD1DULL) >> 33);
}

/* ---- searchmatch ---- */

static void
fn_cond_free(void *arg)
{
	sml_cond_free(arg);
}

/*
 * The condition of searchmatch(text), parsed with the syntax of search:
 * once per query when text is a literal (cached in x), else per call
 * (*tmp set: the caller frees it). NULL for a null text (*failed 0) or a
 * syntax error (*failed 1, the reason in ctx).
 */
static struct cond *
fn_searchmatch_cond(struct expr *x, const json_t *text, struct eval_ctx *ctx,
    int *tmp, int *failed)
{
	struct cond *c = NULL;
	struct sml_error err;
	char *s;

	*failed = 0;
	*tmp = x->x_args[0]->x_kind != EX_LIT;
	if (!*tmp && x->x_cache != NULL)
		return x->x_cache;
	if ((s = fn_text(text)) == NULL)
		return NULL;
	memset(&err, 0, sizeof(err));
	if (sml_parse_cond(s, strlen(s), &c, &err) != 0) {
		*failed = 1;
		fn_fail(ctx, "searchmatch at offset %zu: %s", x->x_off,
		    err.se_msg);
		free(s);
		return NULL;
	}
	free(s);
	if (!*tmp) {
		x->x_cache = c;
		x->x_cache_free = fn_cond_free;
	}
	return c;
}

/* ---- The dispatcher ---- */

/* Evaluates argument i of x. */
#define ARG(i)	expr_eval(x->x_args[(i)], e, ctx)

/* min() and max(): numeric when all are numbers, else by text. */
static json_t *
fn_minmax(json_t *vals, int want_max)
{
	json_t *best = NULL, *v;
	int allnum = 1, c;
	size_t i;
	double d;
	char *sb = NULL, *sv;

	json_array_foreach(vals, i, v)
		if (!value_number(v, &d))
			allnum = 0;
	json_array_foreach(vals, i, v) {
		if (best == NULL) {
			best = v;
			continue;
		}
		if (allnum) {
			value_num_cmp(v, best, &c);
		} else {
			if (sb == NULL && (sb = value_string(best)) == NULL)
				return NULL;
			if ((sv = value_string(v)) == NULL) {
				free(sb);
				return NULL;
			}
			c = strcmp(sv, sb);
			if ((want_max && c > 0) || (!want_max && c < 0)) {
				free(sb);
				sb = sv;
			} else
				free(sv);
		}
		if ((want_max && c > 0) || (!want_max && c < 0))
			best = v;
	}
	free(sb);
	return best ? json_incref(best) : json_null();
}

json_t *
func_eval(struct expr *x, struct event *e, struct eval_ctx *ctx)
{
	json_t *a = NULL, *b = NULL, *c = NULL, *r = NULL, *el;
	char *s = NULL, *s2 = NULL, out[80];
	int64_t i1, i2;
	double d1, d2;
	int k1, k2, tmp, t;
	size_t i, n;
	struct fn_rx *rx;
	struct cond *cd;

	switch (x->x_func) {
	case SML_FN_IF:
		if ((t = expr_true(x->x_args[0], e, ctx)) < 0)
			return NULL;
		return ARG(t ? 1 : 2);
	case SML_FN_CASE:
		for (i = 0; i + 1 < x->x_nargs; i += 2) {
			if ((t = expr_true(x->x_args[i], e, ctx)) < 0)
				return NULL;
			if (t)
				return ARG(i + 1);
		}
		/* An odd last argument is the default. */
		return i < x->x_nargs ? ARG(i) : json_null();
	case SML_FN_COALESCE:
		for (i = 0; i < x->x_nargs; i++) {
			if ((a = ARG(i)) == NULL || !json_is_null(a))
				return a;
			json_decref(a);
		}
		return json_null();
	case SML_FN_RANDOM:
		return json_integer((json_int_t)(fn_random() & 0x7FFFFFFF));
	case SML_FN_NOW:
		/* ec_now is in ms: floor to whole seconds. */
		i1 = ctx ? ctx->ec_now : 0;
		return json_integer(i1 >= 0 ? i1 / 1000 :
		    -((-i1 + 999) / 1000));
	case SML_FN_TIME: {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		return json_real((double)ts.tv_sec + (double)(ts.tv_nsec /
		    1000) / 1e6);
	}
	case SML_FN_MIN:
	case SML_FN_MAX:
	case SML_FN_MVAPPEND:
		if ((c = json_array()) == NULL)
			return FN_NOMEM(ctx);
		for (i = 0; i < x->x_nargs; i++) {
			if ((a = ARG(i)) == NULL) {
				json_decref(c);
				return NULL;
			}
			t = fn_flatten(c, a);
			json_decref(a);
			if (t == -1) {
				json_decref(c);
				return FN_NOMEM(ctx);
			}
		}
		if (x->x_func == SML_FN_MVAPPEND) {
			if (json_array_size(c) == 0) {
				json_decref(c);
				return json_null();
			}
			return c;
		}
		r = fn_minmax(c, x->x_func == SML_FN_MAX);
		json_decref(c);
		return r ? r : FN_NOMEM(ctx);
	case SML_FN_SEARCHMATCH:
		if ((a = ARG(0)) == NULL)
			return NULL;
		cd = fn_searchmatch_cond(x, a, ctx, &tmp, &t);
		json_decref(a);
		if (cd == NULL)
			return t ? NULL : json_null();
		t = e ? cond_match(cd, e, ctx) : 0;
		if (tmp)
			sml_cond_free(cd);
		return t < 0 ? NULL : json_boolean(t);
	default:
		break;
	}

	/* The rest evaluate all their arguments first (at most 3 used). */
	if (x->x_nargs > 0 && (a = ARG(0)) == NULL)
		return NULL;
	if (x->x_nargs > 1 && (b = ARG(1)) == NULL)
		goto err;
	if (x->x_nargs > 2 && (c = ARG(2)) == NULL)
		goto err;

	switch (x->x_func) {
	case SML_FN_ISNULL:
		r = json_boolean(fn_isnull(a));
		break;
	case SML_FN_ISNOTNULL:
		r = json_boolean(!fn_isnull(a));
		break;
	case SML_FN_ISNUM:
		r = json_boolean(value_number(a, &d1));
		break;
	case SML_FN_ISSTR:
		r = json_boolean(json_is_string(a));
		break;
	case SML_FN_TYPEOF:
		/* SPL's names; null and missing are "Invalid". */
		switch (a ? json_typeof(a) : JSON_NULL) {
		case JSON_STRING: r = json_string("String"); break;
		case JSON_INTEGER:
		case JSON_REAL: r = json_string("Number"); break;
		case JSON_TRUE:
		case JSON_FALSE: r = json_string("Boolean"); break;
		case JSON_ARRAY: r = json_string("Multivalue"); break;
		case JSON_OBJECT: r = json_string("Object"); break;
		default: r = json_string("Invalid"); break;
		}
		break;
	case SML_FN_LEN:
		if ((s = fn_text(a)) == NULL)
			r = json_null();
		else
			r = json_integer((json_int_t)fn_u8count(s, strlen(s)));
		break;
	case SML_FN_LOWER:
		r = fn_strop(FS_LOWER, a, NULL, 0);
		break;
	case SML_FN_UPPER:
		r = fn_strop(FS_UPPER, a, NULL, 0);
		break;
	case SML_FN_TRIM:
	case SML_FN_LTRIM:
	case SML_FN_RTRIM:
		if (b != NULL && fn_isnull(b)) {
			r = json_null();
			break;
		}
		s2 = b ? fn_text(b) : NULL;
		r = fn_strop(x->x_func == SML_FN_TRIM ? FS_TRIM :
		    x->x_func == SML_FN_LTRIM ? FS_LTRIM : FS_RTRIM, a,
		    s2 ? s2 : " \t\n\r\v\f", s2 ? strlen(s2) : 6);
		break;
	case SML_FN_URLDECODE:
		r = fn_strop(FS_URLDECODE, a, NULL, 0);
		break;
	case SML_FN_SUBSTR: {
		const unsigned char *p, *end, *st;
		int64_t cnt, start, len = INT64_MAX;

		if ((s = fn_text(a)) == NULL ||
		    (k1 = value_num_read(b, &i1, &d1)) == 0 ||
		    (c != NULL && value_num_read(c, &i2, &d2) == 0)) {
			r = json_null();
			break;
		}
		n = strlen(s);
		cnt = (int64_t)fn_u8count(s, n);
		start = k1 == 1 ? i1 : (int64_t)floor(d1);
		if (c != NULL) {
			len = value_num_read(c, &i2, &d2) == 1 ? i2 :
			    (int64_t)floor(d2);
			if (len < 0) {
				r = json_null();
				break;
			}
		}
		if (start < 0)
			start = cnt + start + 1;
		if (start < 1)
			start = 1;
		p = (const unsigned char *)s;
		end = p + n;
		for (cnt = 1; cnt < start && p < end; cnt++)
			p += fn_u8len(p, end);
		st = p;
		for (cnt = 0; cnt < len && p < end; cnt++)
			p += fn_u8len(p, end);
		r = fn_str((const char *)st, (size_t)(p - st));
		break;
	}
	case SML_FN_REPLACE:
		if (fn_isnull(a) || fn_isnull(b) || fn_isnull(c)) {
			r = json_null();
			break;
		}
		if ((rx = fn_rx_get(x, 1, b, ctx, &tmp)) == NULL)
			goto err;
		if ((s2 = fn_text(c)) == NULL)
			r = json_null();
		else if (json_is_array(a))
			r = fn_replace_all(rx, a, s2, ctx);
		else
			r = fn_replace1(rx, a, s2, ctx);
		if (tmp)
			fn_rx_free(rx);
		if (r == NULL)
			goto err;	/* the reason is in ctx */
		break;
	case SML_FN_MATCH:
		if (fn_isnull(a) || fn_isnull(b)) {
			r = json_null();
			break;
		}
		if ((rx = fn_rx_get(x, 1, b, ctx, &tmp)) == NULL)
			goto err;
		t = fn_rx_match(rx, a, ctx);
		if (tmp)
			fn_rx_free(rx);
		if (t < 0)
			goto err;	/* the reason is in ctx */
		r = json_boolean(t);
		break;
	case SML_FN_LIKE:
		if (fn_isnull(a) || fn_isnull(b) || (s2 = fn_text(b)) == NULL) {
			r = json_null();
			break;
		}
		t = 0;
		if (json_is_array(a)) {
			json_array_foreach(a, i, el)
				if ((s = fn_text(el)) != NULL) {
					t = value_like(s2, s, strlen(s));
					free(s);
					s = NULL;
					if (t)
						break;
				}
		} else if ((s = fn_text(a)) != NULL)
			t = value_like(s2, s, strlen(s));
		r = json_boolean(t);
		break;
	case SML_FN_SPLIT:
		if ((s = fn_text(a)) == NULL || (s2 = fn_text(b)) == NULL) {
			r = json_null();
			break;
		}
		if ((r = json_array()) == NULL)
			break;
		{
			const char *p = s, *end = s + strlen(s), *q;
			size_t sl = strlen(s2);

			while (p <= end) {
				if (sl == 0 && p == end)
					break;
				if (sl == 0)
					q = p + fn_u8len(
					    (const unsigned char *)p,
					    (const unsigned char *)end);
				else if ((q = memmem(p, (size_t)(end - p), s2,
				    sl)) == NULL)
					q = end;
				el = fn_str(p, (size_t)(q - p));
				p = q + sl;
				if (el == NULL ||
				    json_array_append_new(r, el) == -1) {
					json_decref(r);
					r = NULL;
					break;
				}
			}
		}
		break;
	case SML_FN_TONUMBER:
		if (json_is_number(a)) {
			r = json_incref(a);
			break;
		}
		if (!json_is_string(a)) {
			r = json_null();
			break;
		}
		if (b == NULL ||
		    (value_num_read(b, &i2, &d2) == 1 && i2 == 10)) {
			k1 = value_parse_number(json_string_value(a),
			    json_string_length(a), &i1, &d1);
			r = k1 == 1 ? json_integer(i1) : k1 == 2 ?
			    json_real(d1) : json_null();
			break;
		}
		if (value_num_read(b, &i2, &d2) != 1 || i2 < 2 || i2 > 36) {
			r = json_null();
			break;
		}
		{
			const char *p = json_string_value(a);
			char *end;
			long long v;

			errno = 0;
			v = strtoll(p, &end, (int)i2);
			r = *p == '\0' || isspace((unsigned char)*p) ||
			    *end != '\0' || errno != 0 ? json_null() :
			    json_integer(v);
		}
		break;
	case SML_FN_TOSTRING:
		if (fn_isnull(a)) {
			r = json_null();
			break;
		}
		if (b == NULL) {
			if (json_is_string(a))
				r = json_incref(a);
			else if ((s = value_string(a)) != NULL)
				r = json_string(s);
			break;
		}
		s2 = fn_text(b);
		k1 = value_num_read(a, &i1, &d1);
		if (s2 == NULL || k1 == 0) {
			r = json_null();
		} else if (strcmp(s2, "hex") == 0) {
			if (k1 == 2 && (d1 != floor(d1) || fabs(d1) > 9e18)) {
				r = json_null();
				break;
			}
			if (k1 == 2)
				i1 = (int64_t)d1;
			snprintf(out, sizeof(out), "%s0x%llX",
			    i1 < 0 ? "-" : "", i1 < 0 ?
			    -(unsigned long long)i1 : (unsigned long long)i1);
			r = json_string(out);
		} else if (strcmp(s2, "commas") == 0)
			r = fn_commas(k1, i1, d1);
		else if (strcmp(s2, "duration") == 0)
			r = fn_duration(d1);
		else
			r = json_null();
		break;
	case SML_FN_ROUND:
		if ((k1 = value_num_read(a, &i1, &d1)) == 0 ||
		    (b != NULL && value_num_read(b, &i2, &d2) == 0)) {
			r = json_null();
			break;
		}
		r = fn_round(k1, i1, d1, b ? (long long)floor(d2) : 0);
		break;
	case SML_FN_FLOOR:
	case SML_FN_CEIL:
	case SML_FN_ABS:
	case SML_FN_SQRT:
	case SML_FN_LN:
	case SML_FN_EXP:
		if ((k1 = value_num_read(a, &i1, &d1)) == 0) {
			r = json_null();
			break;
		}
		switch (x->x_func) {
		case SML_FN_FLOOR:
			r = k1 == 1 ? json_integer(i1) :
			    value_from_double(floor(d1));
			break;
		case SML_FN_CEIL:
			r = k1 == 1 ? json_integer(i1) :
			    value_from_double(ceil(d1));
			break;
		case SML_FN_ABS:
			r = k1 == 1 && i1 != INT64_MIN ?
			    json_integer(i1 < 0 ? -i1 : i1) :
			    value_from_double(fabs(d1));
			break;
		case SML_FN_SQRT:
			r = d1 < 0 ? json_null() : value_from_double(sqrt(d1));
			break;
		case SML_FN_LN:
			r = d1 <= 0 ? json_null() : value_from_double(log(d1));
			break;
		default:
			r = value_from_double(exp(d1));
			break;
		}
		break;
	case SML_FN_LOG:
		if (value_num_read(a, &i1, &d1) == 0 || d1 <= 0 ||
		    (b != NULL && (value_num_read(b, &i2, &d2) == 0 ||
		    d2 <= 0 || d2 == 1))) {
			r = json_null();
			break;
		}
		r = value_from_double(b ? log(d1) / log(d2) : log10(d1));
		break;
	case SML_FN_POW:
		if ((k1 = value_num_read(a, &i1, &d1)) == 0 ||
		    (k2 = value_num_read(b, &i2, &d2)) == 0) {
			r = json_null();
			break;
		}
		r = value_from_double(pow(d1, d2));
		break;
	case SML_FN_STRFTIME:
		if (!fn_time_arg(a, &d1) || (s2 = fn_text(b)) == NULL) {
			r = json_null();
			break;
		}
		r = fn_strftime(d1, s2);
		break;
	case SML_FN_STRPTIME:
		if ((s = fn_text(a)) == NULL || (s2 = fn_text(b)) == NULL) {
			r = json_null();
			break;
		}
		r = fn_strptime(s, s2);
		break;
	case SML_FN_RELATIVE_TIME:
		if (!fn_time_arg(a, &d1) || (s2 = fn_text(b)) == NULL) {
			r = json_null();
			break;
		}
		r = fn_relative(d1, s2);
		break;
	case SML_FN_MVCOUNT:
		r = fn_isnull(a) ? json_null() : json_integer(json_is_array(a) ?
		    (json_int_t)json_array_size(a) : 1);
		break;
	case SML_FN_MVINDEX: {
		int64_t cnt, lo, hi;

		if (fn_isnull(a) || value_num_read(b, &i1, &d1) != 1 ||
		    (c != NULL && value_num_read(c, &i2, &d2) != 1)) {
			r = json_null();
			break;
		}
		cnt = json_is_array(a) ? (int64_t)json_array_size(a) : 1;
		lo = i1 < 0 ? cnt + i1 : i1;
		hi = c == NULL ? lo : i2 < 0 ? cnt + i2 : i2;
		if (hi >= cnt)
			hi = cnt - 1;
		if (lo < 0 || lo >= cnt || hi < lo) {
			r = json_null();
			break;
		}
		if (!json_is_array(a)) {
			r = json_incref(a);
			break;
		}
		if (hi == lo) {
			r = json_incref(json_array_get(a, (size_t)lo));
			break;
		}
		if ((r = json_array()) == NULL)
			break;
		for (; lo <= hi; lo++)
			if (json_array_append(r, json_array_get(a,
			    (size_t)lo)) == -1) {
				json_decref(r);
				r = NULL;
				break;
			}
		break;
	}
	case SML_FN_MVJOIN: {
		struct buf bb = BUF_INIT;
		json_t *one;
		size_t k = 0;

		if (fn_isnull(a) || (s2 = fn_text(b)) == NULL) {
			r = json_null();
			break;
		}
		n = json_is_array(a) ? json_array_size(a) : 1;
		for (i = 0; i < n; i++) {
			one = json_is_array(a) ? json_array_get(a, i) : a;
			if (fn_isnull(one))
				continue;
			if ((s = value_string(one)) == NULL ||
			    (k++ > 0 && buf_puts(&bb, s2) == -1) ||
			    buf_puts(&bb, s) == -1) {
				buf_free(&bb);
				goto nomem;
			}
			free(s);
			s = NULL;
		}
		r = fn_str(bb.b_data ? bb.b_data : "", bb.b_len);
		buf_free(&bb);
		break;
	}
	case SML_FN_CIDRMATCH:
		if (fn_isnull(a) || fn_isnull(b) || (s = fn_text(a)) == NULL) {
			r = json_null();
			break;
		}
		r = json_boolean(fn_cidr(s, b));
		break;
	case SML_FN_MD5:
	case SML_FN_SHA1:
	case SML_FN_SHA256:
		if (fn_isnull(a) || (s = value_string(a)) == NULL) {
			r = json_null();
			break;
		}
		fn_hash(x->x_func == SML_FN_MD5 ? FH_MD5 :
		    x->x_func == SML_FN_SHA1 ? FH_SHA1 : FH_SHA256,
		    (const unsigned char *)s, strlen(s), out);
		r = json_string(out);
		break;
	case SML_FN_JSON_EXTRACT:
		if (fn_isnull(a) || (s2 = fn_text(b)) == NULL) {
			r = json_null();
			break;
		}
		r = fn_json_extract(a, s2);
		break;
	default:
		r = json_null();
		break;
	}
	free(s);
	free(s2);
	json_decref(a);
	json_decref(b);
	json_decref(c);
	return r ? r : FN_NOMEM(ctx);
nomem:
	free(s);
	free(s2);
	json_decref(a);
	json_decref(b);
	json_decref(c);
	return FN_NOMEM(ctx);
err:
	free(s);
	free(s2);
	json_decref(a);
	json_decref(b);
	json_decref(c);
	return NULL;
}
