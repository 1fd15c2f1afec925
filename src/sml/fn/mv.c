/* fn/mv.c - multivalues (arrays): mvcount, mvindex, mvjoin, mvappend. */
#include <stdint.h>
#include <stdlib.h>

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
