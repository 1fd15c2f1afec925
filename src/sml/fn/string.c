/* fn/string.c - text: len, lower, upper, trim, ltrim, rtrim, substr,
 * split, urldecode (UTF-8 aware). */
#define _GNU_SOURCE	/* memmem */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sml/fn/fn.h"

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
fn_case_map(uint32_t c, int up)
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
			} else if (fn_u8put(&b, fn_case_map(fn_u8dec(p, k),
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

/* ---- The functions ---- */

/* len(s): the length in characters. */
json_t *
fn_len(struct fn_call *fc)
{
	char *s;
	json_t *r;

	if ((s = fn_text(fc->fc_v[0])) == NULL)
		return json_null();
	r = json_integer((json_int_t)fn_u8count(s, strlen(s)));
	free(s);
	return fn_ret(fc, r);
}

/* lower(s) */
json_t *
fn_lower(struct fn_call *fc)
{
	return fn_ret(fc, fn_strop(FS_LOWER, fc->fc_v[0], NULL, 0));
}

/* upper(s) */
json_t *
fn_upper(struct fn_call *fc)
{
	return fn_ret(fc, fn_strop(FS_UPPER, fc->fc_v[0], NULL, 0));
}

/* trim, ltrim and rtrim (op): s[, chars], white space by default. */
static json_t *
fn_trim_op(struct fn_call *fc, enum fn_str_op op)
{
	json_t *b = fc->fc_v[1], *r;
	char *s2;

	if (b != NULL && fn_is_null(b))
		return json_null();
	s2 = b ? fn_text(b) : NULL;
	r = fn_strop(op, fc->fc_v[0], s2 ? s2 : " \t\n\r\v\f",
	    s2 ? strlen(s2) : 6);
	free(s2);
	return fn_ret(fc, r);
}

/* trim(s[, chars]) */
json_t *
fn_trim(struct fn_call *fc)
{
	return fn_trim_op(fc, FS_TRIM);
}

/* ltrim(s[, chars]) */
json_t *
fn_ltrim(struct fn_call *fc)
{
	return fn_trim_op(fc, FS_LTRIM);
}

/* rtrim(s[, chars]) */
json_t *
fn_rtrim(struct fn_call *fc)
{
	return fn_trim_op(fc, FS_RTRIM);
}

/* urldecode(s): percent-decoding, '+' as a space. */
json_t *
fn_urldecode(struct fn_call *fc)
{
	return fn_ret(fc, fn_strop(FS_URLDECODE, fc->fc_v[0], NULL, 0));
}

/* substr(s, start[, len]): 1-based; a negative start counts from the end. */
json_t *
fn_substr(struct fn_call *fc)
{
	json_t *b = fc->fc_v[1], *c = fc->fc_v[2], *r;
	const unsigned char *p, *end, *st;
	int64_t cnt, start, len = INT64_MAX, i1, i2;
	double d1, d2;
	size_t n;
	char *s;
	int k1;

	if ((s = fn_text(fc->fc_v[0])) == NULL ||
	    (k1 = value_num_read(b, &i1, &d1)) == 0 ||
	    (c != NULL && value_num_read(c, &i2, &d2) == 0)) {
		free(s);
		return json_null();
	}
	n = strlen(s);
	cnt = (int64_t)fn_u8count(s, n);
	start = k1 == 1 ? i1 : (int64_t)floor(d1);
	if (c != NULL) {
		len = value_num_read(c, &i2, &d2) == 1 ? i2 :
		    (int64_t)floor(d2);
		if (len < 0) {
			free(s);
			return json_null();
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
	free(s);
	return fn_ret(fc, r);
}

/* split(s, sep): a multivalue; an empty sep splits into characters. */
json_t *
fn_split(struct fn_call *fc)
{
	const char *p, *end, *q;
	char *s = NULL, *s2 = NULL;
	json_t *r, *el;
	size_t sl;

	if ((s = fn_text(fc->fc_v[0])) == NULL ||
	    (s2 = fn_text(fc->fc_v[1])) == NULL) {
		free(s);
		return json_null();
	}
	if ((r = json_array()) == NULL)
		goto done;
	p = s;
	end = s + strlen(s);
	sl = strlen(s2);
	while (p <= end) {
		if (sl == 0 && p == end)
			break;
		if (sl == 0)
			q = p + fn_u8len((const unsigned char *)p,
			    (const unsigned char *)end);
		else if ((q = memmem(p, (size_t)(end - p), s2, sl)) == NULL)
			q = end;
		el = fn_str(p, (size_t)(q - p));
		p = q + sl;
		if (el == NULL || json_array_append_new(r, el) == -1) {
			json_decref(r);
			r = NULL;
			break;
		}
	}
done:
	free(s);
	free(s2);
	return fn_ret(fc, r);
}
