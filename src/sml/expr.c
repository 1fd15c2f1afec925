/* expr.c - evaluating expressions: operators, null and multivalue rules. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sml/engine.h"

/*
 * The rules of spec/sml.md "Expressions": null propagates through
 * arithmetic, comparisons on null are false, arithmetic on a non-number or
 * a division by zero gives null, "+" on two strings concatenates, "=" is
 * exact and case-sensitive (numerically when both sides are numbers or
 * numeric strings), an array operand of a comparison matches when any
 * element does. Computed numbers are integers when integral.
 */

int
expr_truthy(const json_t *v)
{
	if (v == NULL)
		return 0;
	switch (json_typeof(v)) {
	case JSON_NULL:
	case JSON_FALSE:
		return 0;
	case JSON_TRUE:
		return 1;
	case JSON_INTEGER:
		return json_integer_value(v) != 0;
	case JSON_REAL:
		return json_real_value(v) != 0;
	case JSON_STRING:
		return json_string_length(v) > 0;
	case JSON_ARRAY:
		return json_array_size(v) > 0;
	default:
		return 1;
	}
}

/* Writes "out of memory" for the caller; returns NULL. */
static json_t *
expr_nomem(struct eval_ctx *ctx)
{
	if (ctx && ctx->ec_err && ctx->ec_errlen)
		snprintf(ctx->ec_err, ctx->ec_errlen, "out of memory");
	return NULL;
}

/* The text of a scalar for "=": strings as they are, others formatted. */
static const char *
expr_text(const json_t *v, size_t *len, char *buf, size_t buflen)
{
	switch (json_typeof(v)) {
	case JSON_STRING:
		*len = json_string_length(v);
		return json_string_value(v);
	case JSON_INTEGER:
		snprintf(buf, buflen, "%" JSON_INTEGER_FORMAT,
		    json_integer_value(v));
		break;
	case JSON_REAL:
		value_fmt_real(json_real_value(v), buf, buflen);
		break;
	case JSON_TRUE:
		snprintf(buf, buflen, "true");
		break;
	case JSON_FALSE:
		snprintf(buf, buflen, "false");
		break;
	default:
		return NULL;
	}
	*len = strlen(buf);
	return buf;
}

/* Compares two non-null, non-array values with op. Returns 1 or 0. */
static int
expr_cmp_scalar(enum expr_op op, const json_t *a, const json_t *b)
{
	char ba[64], bb[64];
	const char *sa, *sb;
	size_t la, lb;
	int c, eq;

	if (value_num_cmp(a, b, &c)) {
		switch (op) {
		case EXOP_EQ: return c == 0;
		case EXOP_NE: return c != 0;
		case EXOP_LT: return c < 0;
		case EXOP_GT: return c > 0;
		case EXOP_LE: return c <= 0;
		case EXOP_GE: return c >= 0;
		default: return 0;
		}
	}
	if (op != EXOP_EQ && op != EXOP_NE)
		return 0;
	if (json_is_object(a) || json_is_object(b))
		eq = json_equal((json_t *)a, (json_t *)b);
	else {
		sa = expr_text(a, &la, ba, sizeof(ba));
		sb = expr_text(b, &lb, bb, sizeof(bb));
		eq = sa && sb && la == lb && memcmp(sa, sb, la) == 0;
	}
	return op == EXOP_EQ ? eq : !eq;
}

/*
 * Compares a with b; an array on either side matches when any element
 * does; null (or missing) matches nothing.
 */
static int
expr_compare(enum expr_op op, const json_t *a, const json_t *b)
{
	size_t i;

	if (a == NULL || b == NULL || json_is_null(a) || json_is_null(b))
		return 0;
	if (json_is_array(a)) {
		for (i = 0; i < json_array_size(a); i++)
			if (expr_compare(op, json_array_get(a, i), b))
				return 1;
		return 0;
	}
	if (json_is_array(b)) {
		for (i = 0; i < json_array_size(b); i++)
			if (expr_compare(op, a, json_array_get(b, i)))
				return 1;
		return 0;
	}
	return expr_cmp_scalar(op, a, b);
}

/* Concatenates the texts of a and b; null when either is null. */
static json_t *
expr_concat(const json_t *a, const json_t *b)
{
	char *sa, *sb, *s;
	size_t la, lb;
	json_t *r = NULL;

	if (a == NULL || b == NULL || json_is_null(a) || json_is_null(b))
		return json_null();
	sa = value_string(a);
	sb = value_string(b);
	if (sa && sb) {
		la = strlen(sa);
		lb = strlen(sb);
		if ((s = malloc(la + lb + 1)) != NULL) {
			memcpy(s, sa, la);
			memcpy(s + la, sb, lb + 1);
			r = json_stringn_nocheck(s, la + lb);
			free(s);
		}
	}
	free(sa);
	free(sb);
	return r;
}

/* Integer arithmetic where it fits; else 0 and the caller uses doubles. */
static int
expr_int_op(enum expr_op op, int64_t a, int64_t b, int64_t *r)
{
	switch (op) {
	case EXOP_ADD:
		return !__builtin_add_overflow(a, b, r);
	case EXOP_SUB:
		return !__builtin_sub_overflow(a, b, r);
	case EXOP_MUL:
		return !__builtin_mul_overflow(a, b, r);
	case EXOP_DIV:
		if (b == -1 && a == INT64_MIN)
			return 0;
		if (a % b != 0)
			return 0;
		*r = a / b;
		return 1;
	case EXOP_MOD:
		*r = b == -1 ? 0 : a % b;
		return 1;
	default:
		return 0;
	}
}

/* + - * / % on a and b. Returns a new reference, NULL out of memory. */
static json_t *
expr_arith(enum expr_op op, const json_t *a, const json_t *b)
{
	int64_t ia = 0, ib = 0, ir;
	double da = 0, db = 0, r;
	int ka, kb;

	if (a == NULL || b == NULL || json_is_null(a) || json_is_null(b))
		return json_null();
	ka = value_num_read(a, &ia, &da);
	kb = value_num_read(b, &ib, &db);
	if (ka == 0 || kb == 0) {
		if (op == EXOP_ADD && json_is_string(a) && json_is_string(b))
			return expr_concat(a, b);
		return json_null();
	}
	if ((op == EXOP_DIV || op == EXOP_MOD) && db == 0)
		return json_null();
	if (ka == 1 && kb == 1 && expr_int_op(op, ia, ib, &ir))
		return json_integer(ir);
	switch (op) {
	case EXOP_ADD: r = da + db; break;
	case EXOP_SUB: r = da - db; break;
	case EXOP_MUL: r = da * db; break;
	case EXOP_DIV: r = da / db; break;
	case EXOP_MOD: r = fmod(da, db); break;
	default: return json_null();
	}
	return value_from_double(r);
}

/* Unary minus: numbers only. */
static json_t *
expr_neg(const json_t *a)
{
	int64_t i = 0;
	double d = 0;

	switch (value_num_read(a, &i, &d)) {
	case 1:
		if (i != INT64_MIN)
			return json_integer(-i);
		return json_real(-d);
	case 2:
		return value_from_double(-d);
	default:
		return json_null();
	}
}

/* Returns a new boolean, NULL when b < 0 (an error). */
static json_t *
expr_bool(int b)
{
	return b < 0 ? NULL : json_boolean(b);
}

/* Matches a (array: any element) against a LIKE pattern value. */
static int
expr_like(const json_t *a, const json_t *pat)
{
	char *p, *s;
	size_t i;
	int r;

	if (json_is_array(a)) {
		for (i = 0; i < json_array_size(a); i++)
			if (expr_like(json_array_get(a, i), pat) == 1)
				return 1;
		return 0;
	}
	if (a == NULL || json_is_null(a) || json_is_object(a) ||
	    (p = value_string(pat)) == NULL)
		return 0;
	if ((s = value_string(a)) == NULL) {
		free(p);
		return 0;
	}
	r = value_like(p, s, strlen(s));
	free(p);
	free(s);
	return r;
}

json_t *
expr_eval(struct expr *x, struct event *e, struct eval_ctx *ctx)
{
	json_t *a, *b, *r, *v;
	size_t i;
	int t;

	switch (x->x_kind) {
	case EX_LIT:
		return x->x_lit ? json_incref(x->x_lit) : json_null();
	case EX_FIELD:
		v = e ? event_get(e, x->x_name) : NULL;
		return v ? json_incref(v) : json_null();
	case EX_CALL:
		return func_eval(x, e, ctx);
	case EX_UNARY:
		if (x->x_nargs < 1)
			return json_null();
		if (x->x_op == EXOP_NOT) {
			t = expr_true(x->x_args[0], e, ctx);
			return expr_bool(t < 0 ? t : !t);
		}
		if ((a = expr_eval(x->x_args[0], e, ctx)) == NULL)
			return NULL;
		r = expr_neg(a);
		json_decref(a);
		return r ? r : expr_nomem(ctx);
	case EX_IN:
		if (x->x_nargs < 1)
			return json_false();
		if ((a = expr_eval(x->x_args[0], e, ctx)) == NULL)
			return NULL;
		t = 0;
		for (i = 1; i < x->x_nargs && t == 0; i++) {
			if ((b = expr_eval(x->x_args[i], e, ctx)) == NULL) {
				t = -1;
				break;
			}
			t = expr_compare(EXOP_EQ, a, b);
			json_decref(b);
		}
		json_decref(a);
		return expr_bool(t);
	case EX_BINARY:
		break;
	default:
		return json_null();
	}
	if (x->x_nargs < 2)
		return json_null();
	if (x->x_op == EXOP_AND || x->x_op == EXOP_OR) {
		t = expr_true(x->x_args[0], e, ctx);
		if (t < 0)
			return NULL;
		if (t == (x->x_op == EXOP_OR))
			return json_boolean(t);
		return expr_bool(expr_true(x->x_args[1], e, ctx));
	}
	if ((a = expr_eval(x->x_args[0], e, ctx)) == NULL)
		return NULL;
	if ((b = expr_eval(x->x_args[1], e, ctx)) == NULL) {
		json_decref(a);
		return NULL;
	}
	switch (x->x_op) {
	case EXOP_EQ:
	case EXOP_NE:
	case EXOP_LT:
	case EXOP_GT:
	case EXOP_LE:
	case EXOP_GE:
		r = json_boolean(expr_compare(x->x_op, a, b));
		break;
	case EXOP_LIKE:
		r = json_is_null(a) || json_is_null(b) ? json_null() :
		    json_boolean(expr_like(a, b));
		break;
	case EXOP_CONCAT:
		r = expr_concat(a, b);
		break;
	case EXOP_ADD:
	case EXOP_SUB:
	case EXOP_MUL:
	case EXOP_DIV:
	case EXOP_MOD:
		r = expr_arith(x->x_op, a, b);
		break;
	default:
		r = json_null();
		break;
	}
	json_decref(a);
	json_decref(b);
	return r ? r : expr_nomem(ctx);
}

int
expr_true(struct expr *x, struct event *e, struct eval_ctx *ctx)
{
	json_t *v = expr_eval(x, e, ctx);
	int t;

	if (v == NULL)
		return -1;
	t = expr_truthy(v);
	json_decref(v);
	return t;
}

int
expr_equal(const json_t *a, const json_t *b)
{
	return expr_compare(EXOP_EQ, a, b);
}
