/* fn/mv.c - multivalues (arrays): mvcount, mvindex, mvjoin, mvappend,
 * mvdedup, mvsort, mvzip, mvrange. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sml/fn/fn.h"

/* ---- The functions ---- */

/* mvcount(x): the number of values, 1 for a scalar, null for null. */
json_t *
fn_mvcount(struct fn_call *fc)
{
	json_t *a = fc->fc_v[0];

	if (fn_is_null(a))
		return json_null();
	return fn_ret(fc, json_integer(json_is_array(a) ?
	    (json_int_t)json_array_size(a) : 1));
}

/* mvindex(x, start[, end]): a value, or the values start..end (0-based). */
json_t *
fn_mvindex(struct fn_call *fc)
{
	json_t *a = fc->fc_v[0], *c = fc->fc_v[2], *r;
	int64_t cnt, lo, hi, i1, i2;
	double d1, d2;

	if (fn_is_null(a) || value_num_read(fc->fc_v[1], &i1, &d1) != 1 ||
	    (c != NULL && value_num_read(c, &i2, &d2) != 1))
		return json_null();
	cnt = json_is_array(a) ? (int64_t)json_array_size(a) : 1;
	lo = i1 < 0 ? cnt + i1 : i1;
	hi = c == NULL ? lo : i2 < 0 ? cnt + i2 : i2;
	if (hi >= cnt)
		hi = cnt - 1;
	if (lo < 0 || lo >= cnt || hi < lo)
		return json_null();
	if (!json_is_array(a))
		return json_incref(a);
	if (hi == lo)
		return json_incref(json_array_get(a, (size_t)lo));
	if ((r = json_array()) == NULL)
		return FN_NOMEM(fc->fc_ctx);
	for (; lo <= hi; lo++)
		if (json_array_append(r, json_array_get(a, (size_t)lo)) == -1) {
			json_decref(r);
			return FN_NOMEM(fc->fc_ctx);
		}
	return r;
}

/* mvjoin(x, sep): the values that are not null, joined by sep. */
json_t *
fn_mvjoin(struct fn_call *fc)
{
	json_t *a = fc->fc_v[0], *one, *r;
	struct buf bb = BUF_INIT;
	char *s, *s2;
	size_t i, n, k = 0;

	if (fn_is_null(a) || (s2 = fn_text(fc->fc_v[1])) == NULL)
		return json_null();
	n = json_is_array(a) ? json_array_size(a) : 1;
	for (i = 0; i < n; i++) {
		one = json_is_array(a) ? json_array_get(a, i) : a;
		if (fn_is_null(one))
			continue;
		if ((s = value_string(one)) == NULL ||
		    (k++ > 0 && buf_puts(&bb, s2) == -1) ||
		    buf_puts(&bb, s) == -1) {
			free(s);
			free(s2);
			buf_free(&bb);
			return FN_NOMEM(fc->fc_ctx);
		}
		free(s);
	}
	r = fn_str(bb.b_data ? bb.b_data : "", bb.b_len);
	buf_free(&bb);
	free(s2);
	return fn_ret(fc, r);
}

/* mvappend(a, ...): all the values of the arguments, nulls left out. */
json_t *
fn_mvappend(struct fn_call *fc)
{
	json_t *c;

	if ((c = fn_flat_args(fc)) == NULL)
		return NULL;
	if (json_array_size(c) == 0) {
		json_decref(c);
		return json_null();
	}
	return c;
}

/* Returns value i of x (borrowed): an element of an array, or x itself,
 * the one value of a scalar. */
static json_t *
fn_mv_get(json_t *x, size_t i)
{
	return json_is_array(x) ? json_array_get(x, i) : x;
}

/* Returns the number of values of x: 0 for null. */
static size_t
fn_mv_count(const json_t *x)
{
	return fn_is_null(x) ? 0 : json_is_array(x) ? json_array_size(x) : 1;
}

/* mvdedup(x): the values with repeats left out, in their first order. */
json_t *
fn_mvdedup(struct fn_call *fc)
{
	json_t *a = fc->fc_v[0], *r, *v;
	size_t n = fn_mv_count(a), i, j;

	if (n == 0)
		return json_null();
	if (!json_is_array(a))
		return json_incref(a);
	if ((r = json_array()) == NULL)
		return FN_NOMEM(fc->fc_ctx);
	/* Quadratic: a multivalue field holds a handful of values. */
	for (i = 0; i < n; i++) {
		v = fn_mv_get(a, i);
		for (j = 0; j < json_array_size(r); j++)
			if (json_equal(json_array_get(r, j), v))
				break;
		if (j == json_array_size(r) &&
		    json_array_append(r, v) == -1) {
			json_decref(r);
			return FN_NOMEM(fc->fc_ctx);
		}
	}
	return r;
}

/* Orders two values by their text, bytewise (mvsort, as SPL does). */
static int
fn_mv_textcmp(const void *pa, const void *pb)
{
	const json_t *a = *(json_t *const *)pa, *b = *(json_t *const *)pb;
	char *sa = value_string(a), *sb = value_string(b);
	int c;

	if (sa == NULL || sb == NULL)
		c = (sa == NULL) - (sb == NULL);
	else
		c = strcmp(sa, sb);
	free(sa);
	free(sb);
	return c;
}

/* mvsort(x): the values in lexicographic order of their text. */
json_t *
fn_mvsort(struct fn_call *fc)
{
	json_t *a = fc->fc_v[0], *r, **v;
	size_t n = fn_mv_count(a), i;
	int ok = 1;

	if (n == 0)
		return json_null();
	if (!json_is_array(a))
		return json_incref(a);
	if ((v = malloc(n * sizeof(*v))) == NULL)
		return FN_NOMEM(fc->fc_ctx);
	for (i = 0; i < n; i++)
		v[i] = fn_mv_get(a, i);
	qsort(v, n, sizeof(*v), fn_mv_textcmp);
	if ((r = json_array()) == NULL)
		ok = 0;
	for (i = 0; ok && i < n; i++)
		ok = json_array_append(r, v[i]) == 0;
	free(v);
	if (!ok) {
		json_decref(r);
		return FN_NOMEM(fc->fc_ctx);
	}
	return r;
}

/* mvzip(x, y[, sep]): the i-th values of x and y joined by sep (","),
 * as many as the shorter has. */
json_t *
fn_mvzip(struct fn_call *fc)
{
	json_t *a = fc->fc_v[0], *b = fc->fc_v[1], *r, *s;
	size_t n = fn_mv_count(a), m = fn_mv_count(b), i;
	char *sep, *ta, *tb;
	struct buf bb = BUF_INIT;

	if (n == 0 || m == 0)
		return json_null();
	sep = fc->fc_v[2] != NULL ? fn_text(fc->fc_v[2]) : strdup(",");
	if (sep == NULL)
		return fc->fc_v[2] != NULL ? json_null() :
		    FN_NOMEM(fc->fc_ctx);
	if ((r = json_array()) == NULL) {
		free(sep);
		return FN_NOMEM(fc->fc_ctx);
	}
	for (i = 0; i < n && i < m; i++) {
		ta = value_string(fn_mv_get(a, i));
		tb = value_string(fn_mv_get(b, i));
		bb.b_len = 0;
		if (buf_puts(&bb, ta ? ta : "") == -1 ||
		    buf_puts(&bb, sep) == -1 ||
		    buf_puts(&bb, tb ? tb : "") == -1 ||
		    (s = fn_str(bb.b_data, bb.b_len)) == NULL ||
		    json_array_append_new(r, s) == -1) {
			free(ta);
			free(tb);
			free(sep);
			buf_free(&bb);
			json_decref(r);
			return FN_NOMEM(fc->fc_ctx);
		}
		free(ta);
		free(tb);
	}
	free(sep);
	buf_free(&bb);
	return r;
}

#define FN_MVRANGE_MAX	100000	/* most values mvrange() makes */

/* mvrange(start, end[, step]): the numbers from start up to, not
 * including, end (down when step is negative). */
json_t *
fn_mvrange(struct fn_call *fc)
{
	int64_t lo, hi, st = 1, n;
	double d;
	json_t *r;

	if (value_num_read(fc->fc_v[0], &lo, &d) != 1 ||
	    value_num_read(fc->fc_v[1], &hi, &d) != 1 ||
	    (fc->fc_v[2] != NULL && value_num_read(fc->fc_v[2], &st,
	    &d) != 1) || st == 0)
		return json_null();
	if ((st > 0 && lo >= hi) || (st < 0 && lo <= hi))
		return json_null();
	/* The count without overflow: the span in unsigned arithmetic. */
	n = (int64_t)(((st > 0 ? (uint64_t)hi - (uint64_t)lo :
	    (uint64_t)lo - (uint64_t)hi) - 1) / (st > 0 ? (uint64_t)st :
	    -(uint64_t)st) + 1);
	if (n > FN_MVRANGE_MAX || n <= 0)
		return fn_fail(fc->fc_ctx, "mvrange: more than %d values",
		    FN_MVRANGE_MAX);
	if ((r = json_array()) == NULL)
		return FN_NOMEM(fc->fc_ctx);
	for (int64_t k = 0; k < n; k++)
		if (json_array_append_new(r, json_integer(lo + k * st)) == -1) {
			json_decref(r);
			return FN_NOMEM(fc->fc_ctx);
		}
	return r;
}
