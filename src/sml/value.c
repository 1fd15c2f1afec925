/* value.c - the number, text, order and wildcard rules of spec/sml.md. */
#define _GNU_SOURCE	/* memmem */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/util.h"
#include "sml/engine.h"

/*
 * Reads v as a number. Returns 1 (an integer in *iv and *dv), 2 (a real in
 * *dv, 0 in *iv) or 0 (not a number, both 0).
 */
int
value_num_read(const json_t *v, int64_t *iv, double *dv)
{
	*iv = 0;
	*dv = 0;
	if (v == NULL)
		return 0;
	switch (json_typeof(v)) {
	case JSON_INTEGER:
		*iv = json_integer_value(v);
		*dv = (double)*iv;
		return 1;
	case JSON_REAL:
		*dv = json_real_value(v);
		return 2;
	case JSON_STRING:
		return value_parse_number(json_string_value(v),
		    json_string_length(v), iv, dv);
	default:
		return 0;
	}
}

int
value_number(const json_t *v, double *d)
{
	int64_t i;
	double x;

	if (value_num_read(v, &i, &x) == 0)
		return 0;
	if (d)
		*d = x;
	return 1;
}

/* Orders integer i against real d exactly (no rounding of i to double). */
static int
value_cmp_int_real(int64_t i, double d)
{
	int64_t t;
	double frac;

	if (isnan(d))
		return -1;
	if (d >= 9223372036854775808.0)
		return -1;
	if (d < -9223372036854775808.0)
		return 1;
	t = (int64_t)d;		/* truncates toward zero */
	if (i != t)
		return i < t ? -1 : 1;
	frac = d - (double)t;
	return frac > 0 ? -1 : frac < 0 ? 1 : 0;
}

int
value_num_cmp3(int ka, int64_t ia, double da, int kb, int64_t ib, double db)
{
	if (ka == 1 && kb == 1)
		return ia < ib ? -1 : ia > ib;
	if (ka == 1)
		return value_cmp_int_real(ia, db);
	if (kb == 1)
		return -value_cmp_int_real(ib, da);
	return da < db ? -1 : da > db;
}

int
value_num_cmp(const json_t *a, const json_t *b, int *cmp)
{
	int64_t ia = 0, ib = 0;
	double da = 0, db = 0;
	int ka, kb;

	if ((ka = value_num_read(a, &ia, &da)) == 0 ||
	    (kb = value_num_read(b, &ib, &db)) == 0)
		return 0;
	*cmp = value_num_cmp3(ka, ia, da, kb, ib, db);
	return 1;
}

/*
 * Writes d the shortest way that reads back as the same double, integral
 * values without a fraction ("3", not "3.0"). out holds at least 32 bytes.
 */
void
value_fmt_real(double d, char *out, size_t outlen)
{
	int prec;

	if (d == 0) {
		snprintf(out, outlen, "0");
		return;
	}
	if (d == floor(d) && fabs(d) < 1e15) {
		snprintf(out, outlen, "%.0f", d);
		return;
	}
	for (prec = 15; prec < 17; prec++) {
		snprintf(out, outlen, "%.*g", prec, d);
		if (strtod(out, NULL) == d)
			return;
	}
	snprintf(out, outlen, "%.17g", d);
}

char *
value_string(const json_t *v)
{
	char tmp[64];
	char *s;

	if (v == NULL)
		return NULL;
	switch (json_typeof(v)) {
	case JSON_STRING:
		if ((s = malloc(json_string_length(v) + 1)) == NULL)
			return NULL;
		memcpy(s, json_string_value(v), json_string_length(v) + 1);
		return s;
	case JSON_INTEGER:
		snprintf(tmp, sizeof(tmp), "%" JSON_INTEGER_FORMAT,
		    json_integer_value(v));
		return strdup(tmp);
	case JSON_REAL:
		value_fmt_real(json_real_value(v), tmp, sizeof(tmp));
		return strdup(tmp);
	case JSON_TRUE:
		return strdup("true");
	case JSON_FALSE:
		return strdup("false");
	case JSON_NULL:
		return NULL;
	default:
		return json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	}
}

/* The sort class of v: 0 number, 1 string or boolean, 2 array or object,
 * 3 null or missing. */
int
value_sort_class(const json_t *v)
{
	double d;

	if (v == NULL || json_is_null(v))
		return 3;
	if (json_is_number(v))
		return 0;
	if (json_is_string(v))
		return value_number(v, &d) ? 0 : 1;
	if (json_is_boolean(v))
		return 1;
	return 2;
}

/* The text of a string or boolean, borrowed. */
static const char *
value_text(const json_t *v, size_t *len)
{
	if (json_is_string(v)) {
		*len = json_string_length(v);
		return json_string_value(v);
	}
	if (json_is_true(v)) {
		*len = 4;
		return "true";
	}
	*len = 5;
	return "false";
}

int
value_cmp(const json_t *a, const json_t *b)
{
	int ca = value_sort_class(a), cb = value_sort_class(b), r = 0;
	const char *sa, *sb;
	size_t la, lb;
	char *da, *db;

	if (ca != cb)
		return ca < cb ? -1 : 1;
	switch (ca) {
	case 0:
		value_num_cmp(a, b, &r);
		return r;
	case 1:
		sa = value_text(a, &la);
		sb = value_text(b, &lb);
		r = memcmp(sa, sb, la < lb ? la : lb);
		if (r != 0)
			return r < 0 ? -1 : 1;
		return la < lb ? -1 : la > lb;
	case 2:
		/* Rare: compare the compact texts, so the order is total. */
		da = json_dumps(a, JSON_COMPACT | JSON_ENCODE_ANY);
		db = json_dumps(b, JSON_COMPACT | JSON_ENCODE_ANY);
		r = da && db ? strcmp(da, db) : 0;
		free(da);
		free(db);
		return r < 0 ? -1 : r > 0;
	default:
		return 0;
	}
}

static inline unsigned char
value_lc(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

/* Compares n bytes; ci: ASCII case folded. Returns 1 when equal. */
static int
value_eqn(const char *a, const char *b, size_t n, int ci)
{
	size_t i;

	if (!ci)
		return memcmp(a, b, n) == 0;
	for (i = 0; i < n; i++)
		if (value_lc((unsigned char)a[i]) !=
		    value_lc((unsigned char)b[i]))
			return 0;
	return 1;
}

/* Returns the first place in t[0..tl) where p[0..pl) occurs, or NULL. */
static const char *
value_find(const char *t, size_t tl, const char *p, size_t pl, int ci)
{
	unsigned char f, fu;
	size_t i;

	if (pl == 0)
		return t;
	if (pl > tl)
		return NULL;
	if (!ci)
		return memmem(t, tl, p, pl);
	f = value_lc((unsigned char)p[0]);
	fu = f >= 'a' && f <= 'z' ? f - 32 : f;
	for (i = 0; i + pl <= tl; i++) {
		unsigned char c = (unsigned char)t[i];

		if ((c == f || c == fu) &&
		    value_eqn(t + i + 1, p + 1, pl - 1, 1))
			return t + i;
	}
	return NULL;
}

/*
 * The pieces between stars must occur in order: the first at the start
 * (unless the pattern starts with '*'), the last at the end (unless it ends
 * with '*'), each middle one at its leftmost place after the previous. The
 * leftmost choice is always right for '*'-only patterns, so the match is
 * O(len * pattern) at worst, never exponential.
 */
int
value_wildcard(const char *pattern, const char *text, size_t len, int ci)
{
	const char *p = pattern, *star, *last;
	const char *t = text, *tend = text + len, *hit;
	size_t pl;

	star = strchr(p, '*');
	if (star == NULL)
		return strlen(p) == len && value_eqn(p, text, len, ci);
	/* The head, before the first star. */
	pl = (size_t)(star - p);
	if (pl > len || !value_eqn(p, t, pl, ci))
		return 0;
	t += pl;
	p = star + 1;
	/* The tail, after the last star. */
	last = strrchr(p - 1, '*') + 1;
	pl = strlen(last);
	if (pl > (size_t)(tend - t) || !value_eqn(last, tend - pl, pl, ci))
		return 0;
	tend -= pl;
	/* The middle pieces, leftmost first. */
	while (p < last) {
		star = strchr(p, '*');
		pl = (size_t)(star - p);
		if (pl > 0) {
			hit = value_find(t, (size_t)(tend - t), p, pl, ci);
			if (hit == NULL)
				return 0;
			t = hit + pl;
		}
		p = star + 1;
	}
	return 1;
}

json_t *
value_from_double(double d)
{
	if (!isfinite(d))
		return json_null();
	if (d == floor(d) && fabs(d) <= 9007199254740992.0)
		return json_integer((json_int_t)d);
	return json_real(d);
}

/* Returns the byte length of the UTF-8 character at s (1 for bad bytes). */
static size_t
value_u8len(const char *s, const char *end)
{
	unsigned char c = (unsigned char)*s;
	size_t n = c < 0xC0 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4, i;

	if (n > (size_t)(end - s))
		return 1;
	for (i = 1; i < n; i++)
		if (((unsigned char)s[i] & 0xC0) != 0x80)
			return 1;
	return n;
}

/*
 * Greedy with one backtrack point (the last '%'), as wildcard matchers do:
 * O(len * pattern) at worst. '_' is one UTF-8 character.
 */
int
value_like(const char *pattern, const char *text, size_t len)
{
	const char *p = pattern, *t = text, *end = text + len;
	const char *sp = NULL, *st = NULL;

	while (t < end) {
		if (*p == '_') {
			p++;
			t += value_u8len(t, end);
		} else if (*p == '%') {
			sp = ++p;
			st = t;
		} else if (*p != '\0' && *p == *t) {
			p++;
			t++;
		} else if (sp != NULL) {
			p = sp;
			st += value_u8len(st, end);
			t = st;
		} else
			return 0;
	}
	while (*p == '%')
		p++;
	return *p == '\0';
}

/* Appends v as compact JSON. Returns 0, or -1 out of memory. */
static int
value_json_put(struct buf *b, const json_t *v)
{
	char tmp[64];
	const char *key;
	json_t *el;
	size_t i, n = 0;

	switch (json_typeof(v)) {
	case JSON_OBJECT:
		if (buf_putc(b, '{') == -1)
			return -1;
		json_object_foreach((json_t *)v, key, el) {
			if ((n++ > 0 && buf_putc(b, ',') == -1) ||
			    buf_json_str(b, key, strlen(key)) == -1 ||
			    buf_putc(b, ':') == -1 ||
			    value_json_put(b, el) == -1)
				return -1;
		}
		return buf_putc(b, '}');
	case JSON_ARRAY:
		if (buf_putc(b, '[') == -1)
			return -1;
		json_array_foreach(v, i, el)
			if ((i > 0 && buf_putc(b, ',') == -1) ||
			    value_json_put(b, el) == -1)
				return -1;
		return buf_putc(b, ']');
	case JSON_STRING:
		return buf_json_str(b, json_string_value(v),
		    json_string_length(v));
	case JSON_INTEGER:
		return buf_printf(b, "%" JSON_INTEGER_FORMAT,
		    json_integer_value(v));
	case JSON_REAL:
		/* Still a real when read back ("3.0", not "3"). */
		util_fmt_real(json_real_value(v), tmp);
		return buf_puts(b, tmp);
	case JSON_TRUE:
		return buf_puts(b, "true");
	case JSON_FALSE:
		return buf_puts(b, "false");
	default:
		return buf_puts(b, "null");
	}
}

char *
value_json(const json_t *v, size_t *len)
{
	struct buf b = BUF_INIT;

	if (v == NULL || value_json_put(&b, v) == -1 || b.b_data == NULL) {
		buf_free(&b);
		return NULL;
	}
	if (len)
		*len = b.b_len;
	return b.b_data;
}

/* Reads 4 hex digits. Returns their value, or -1. */
static long
value_hex4(const char *s)
{
	long v = 0;
	int k, h;

	for (k = 0; k < 4; k++) {
		h = s[k] >= '0' && s[k] <= '9' ? s[k] - '0' :
		    s[k] >= 'a' && s[k] <= 'f' ? s[k] - 'a' + 10 :
		    s[k] >= 'A' && s[k] <= 'F' ? s[k] - 'A' + 10 : -1;
		if (h < 0)
			return -1;
		v = v << 4 | h;
	}
	return v;
}

/*
 * \uXXXX with surrogate pairs to UTF-8; \u0000 is refused as the parser
 * refuses it (no JSON_ALLOW_NUL).
 */
long
value_unescape(const char *s, size_t n, char *out, size_t cap)
{
	size_t i = 0, o = 0;
	long cp, lo;

	while (i < n) {
		unsigned char c = (unsigned char)s[i];

		if (o + 4 > cap)
			return -1;
		if (c != '\\') {
			out[o++] = (char)c;
			i++;
			continue;
		}
		if (++i >= n)
			return -1;
		switch (s[i++]) {
		case '"': out[o++] = '"'; continue;
		case '\\': out[o++] = '\\'; continue;
		case '/': out[o++] = '/'; continue;
		case 'b': out[o++] = '\b'; continue;
		case 'f': out[o++] = '\f'; continue;
		case 'n': out[o++] = '\n'; continue;
		case 'r': out[o++] = '\r'; continue;
		case 't': out[o++] = '\t'; continue;
		case 'u': break;
		default: return -1;
		}
		if (i + 4 > n || (cp = value_hex4(s + i)) < 0)
			return -1;
		i += 4;
		if (cp >= 0xD800 && cp <= 0xDBFF) {
			if (i + 6 > n || s[i] != '\\' || s[i + 1] != 'u' ||
			    (lo = value_hex4(s + i + 2)) < 0xDC00 ||
			    lo > 0xDFFF)
				return -1;
			i += 6;
			cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
		} else if (cp >= 0xDC00 && cp <= 0xDFFF)
			return -1;
		if (cp == 0)
			return -1;	/* the parser refuses \u0000 */
		if (cp < 0x80)
			out[o++] = (char)cp;
		else if (cp < 0x800) {
			out[o++] = (char)(0xC0 | cp >> 6);
			out[o++] = (char)(0x80 | (cp & 0x3F));
		} else if (cp < 0x10000) {
			out[o++] = (char)(0xE0 | cp >> 12);
			out[o++] = (char)(0x80 | (cp >> 6 & 0x3F));
			out[o++] = (char)(0x80 | (cp & 0x3F));
		} else {
			out[o++] = (char)(0xF0 | cp >> 18);
			out[o++] = (char)(0x80 | (cp >> 12 & 0x3F));
			out[o++] = (char)(0x80 | (cp >> 6 & 0x3F));
			out[o++] = (char)(0x80 | (cp & 0x3F));
		}
	}
	return (long)o;
}
