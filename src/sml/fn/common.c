/* fn/common.c - what the functions of expressions share: errors, the
 * evaluation of arguments, the text of a value. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "sml/fn/fn.h"

json_t *
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

json_t *
fn_ret(struct fn_call *fc, json_t *r)
{
	return r != NULL ? r : FN_NOMEM(fc->fc_ctx);
}

json_t *
fn_arg(struct fn_call *fc, size_t i)
{
	return expr_eval(fc->fc_x->x_args[i], fc->fc_e, fc->fc_ctx);
}

/* Returns 1 when v is missing (NULL) or json null. */
int
fn_is_null(const json_t *v)
{
	return v == NULL || json_is_null(v);
}

/* Returns a new string value of s[0..n); null when s is not valid UTF-8. */
json_t *
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
json_t *
fn_str_built(char *s, struct buf *b, int ok)
{
	json_t *r = NULL;

	if (ok)
		r = fn_str(b->b_data ? b->b_data : "", b->b_len);
	free(s);
	buf_free(b);
	return r;
}

/* Returns the text of a scalar (malloc'd), NULL for null, arrays and
 * objects. */
char *
fn_text(const json_t *v)
{
	if (v == NULL || json_is_null(v) || json_is_array(v) ||
	    json_is_object(v))
		return NULL;
	return value_string(v);
}

/* Returns the byte length of the UTF-8 character at s (1 for bad bytes). */
size_t
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

/* Appends v (each element when an array; nulls skipped) to arr. */
static int
fn_flatten(json_t *arr, json_t *v)
{
	size_t i;

	if (fn_is_null(v))
		return 0;
	if (!json_is_array(v))
		return json_array_append(arr, v);
	for (i = 0; i < json_array_size(v); i++)
		if (!fn_is_null(json_array_get(v, i)) &&
		    json_array_append(arr, json_array_get(v, i)) == -1)
			return -1;
	return 0;
}

json_t *
fn_flat_args(struct fn_call *fc)
{
	json_t *c, *a;
	int t;

	if ((c = json_array()) == NULL)
		return FN_NOMEM(fc->fc_ctx);
	for (size_t i = 0; i < fc->fc_x->x_nargs; i++) {
		if ((a = fn_arg(fc, i)) == NULL) {
			json_decref(c);
			return NULL;
		}
		t = fn_flatten(c, a);
		json_decref(a);
		if (t == -1) {
			json_decref(c);
			return FN_NOMEM(fc->fc_ctx);
		}
	}
	return c;
}
