/* fn/math.c - numbers: round, floor, ceil, abs, sqrt, pow, log, ln, exp,
 * min, max, random. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/timeutil.h"
#include "sml/fn/fn.h"

/* Rounds half away from zero to digits places. */
static json_t *
fn_round_to(int kind, int64_t i, double d, long long digits)
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

static uint64_t fn_rng;

static uint32_t
fn_rand32(void)
{
	if (fn_rng == 0)
		fn_rng = (uint64_t)time_now_ms() * 0x9E3779B97F4A7C15ULL ^
		    (uint64_t)getpid();
	fn_rng ^= fn_rng >> 12;
	fn_rng ^= fn_rng << 25;
	fn_rng ^= fn_rng >> 27;
	return (uint32_t)((fn_rng * 0x2545F4914F6CDD1DULL) >> 33);
}

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

/* ---- The functions ---- */

/* round(x[, digits]): halves away from zero. */
json_t *
fn_round(struct fn_call *fc)
{
	json_t *b = fc->fc_v[1];
	int64_t i1, i2;
	double d1, d2;
	int k1;

	if ((k1 = value_num_read(fc->fc_v[0], &i1, &d1)) == 0 ||
	    (b != NULL && value_num_read(b, &i2, &d2) == 0))
		return json_null();
	return fn_ret(fc, fn_round_to(k1, i1, d1,
	    b ? (long long)floor(d2) : 0));
}

/* floor() and ceil(): an integer as it is, a real rounded by f. */
static json_t *
fn_to_int(struct fn_call *fc, double (*f)(double))
{
	int64_t i;
	double d;
	int k;

	if ((k = value_num_read(fc->fc_v[0], &i, &d)) == 0)
		return json_null();
	return fn_ret(fc, k == 1 ? json_integer(i) : value_from_double(f(d)));
}

/* floor(x) */
json_t *
fn_floor(struct fn_call *fc)
{
	return fn_to_int(fc, floor);
}

/* ceil(x) */
json_t *
fn_ceil(struct fn_call *fc)
{
	return fn_to_int(fc, ceil);
}

/* abs(x): an integer stays one (but INT64_MIN, which has no opposite). */
json_t *
fn_abs(struct fn_call *fc)
{
	int64_t i;
	double d;
	int k;

	if ((k = value_num_read(fc->fc_v[0], &i, &d)) == 0)
		return json_null();
	return fn_ret(fc, k == 1 && i != INT64_MIN ?
	    json_integer(i < 0 ? -i : i) : value_from_double(fabs(d)));
}

/*
 * sqrt(), ln() and exp(): f of the number, null where f is not defined
 * (below lo, or at lo too when open).
 */
static json_t *
fn_real_of(struct fn_call *fc, double (*f)(double), double lo, int open)
{
	int64_t i;
	double d;

	if (value_num_read(fc->fc_v[0], &i, &d) == 0 || d < lo ||
	    (open && d == lo))
		return json_null();
	return fn_ret(fc, value_from_double(f(d)));
}

/* sqrt(x) */
json_t *
fn_sqrt(struct fn_call *fc)
{
	return fn_real_of(fc, sqrt, 0, 0);
}

/* ln(x) */
json_t *
fn_ln(struct fn_call *fc)
{
	return fn_real_of(fc, log, 0, 1);
}

/* exp(x) */
json_t *
fn_exp(struct fn_call *fc)
{
	return fn_real_of(fc, exp, -INFINITY, 0);
}

/* log(x[, base]): base 10 by default. */
json_t *
fn_log(struct fn_call *fc)
{
	json_t *b = fc->fc_v[1];
	int64_t i1, i2;
	double d1, d2;

	if (value_num_read(fc->fc_v[0], &i1, &d1) == 0 || d1 <= 0 ||
	    (b != NULL && (value_num_read(b, &i2, &d2) == 0 ||
	    d2 <= 0 || d2 == 1)))
		return json_null();
	return fn_ret(fc, value_from_double(b ? log(d1) / log(d2) :
	    log10(d1)));
}

/* pow(x, y) */
json_t *
fn_pow(struct fn_call *fc)
{
	int64_t i1, i2;
	double d1, d2;

	if (value_num_read(fc->fc_v[0], &i1, &d1) == 0 ||
	    value_num_read(fc->fc_v[1], &i2, &d2) == 0)
		return json_null();
	return fn_ret(fc, value_from_double(pow(d1, d2)));
}

/* min() and max() (want_max) over all the values of the arguments. */
static json_t *
fn_extreme(struct fn_call *fc, int want_max)
{
	json_t *c, *r;

	if ((c = fn_flat_args(fc)) == NULL)
		return NULL;
	r = fn_minmax(c, want_max);
	json_decref(c);
	return fn_ret(fc, r);
}

/* min(a, ...) */
json_t *
fn_min(struct fn_call *fc)
{
	return fn_extreme(fc, 0);
}

/* max(a, ...) */
json_t *
fn_max(struct fn_call *fc)
{
	return fn_extreme(fc, 1);
}

/* random(): an integer from 0 to 2^31-1. */
json_t *
fn_random(struct fn_call *fc)
{
	return fn_ret(fc, json_integer((json_int_t)(fn_rand32() & 0x7FFFFFFF)));
}

/* pi() */
json_t *
fn_pi(struct fn_call *fc)
{
	return fn_ret(fc, json_real(M_PI));
}

/* sin(x), cos(x), tan(x), asin(x), acos(x), atan(x): radians; null
 * outside the domain. */
static json_t *
fn_trig(struct fn_call *fc, double (*f)(double), double lo, double hi)
{
	int64_t i;
	double d, r;

	if (value_num_read(fc->fc_v[0], &i, &d) == 0 || d < lo || d > hi ||
	    !isfinite(r = f(d)))
		return json_null();
	return fn_ret(fc, value_from_double(r));
}

json_t *
fn_sin(struct fn_call *fc)
{
	return fn_trig(fc, sin, -INFINITY, INFINITY);
}

json_t *
fn_cos(struct fn_call *fc)
{
	return fn_trig(fc, cos, -INFINITY, INFINITY);
}

json_t *
fn_tan(struct fn_call *fc)
{
	return fn_trig(fc, tan, -INFINITY, INFINITY);
}

json_t *
fn_asin(struct fn_call *fc)
{
	return fn_trig(fc, asin, -1, 1);
}

json_t *
fn_acos(struct fn_call *fc)
{
	return fn_trig(fc, acos, -1, 1);
}

json_t *
fn_atan(struct fn_call *fc)
{
	return fn_trig(fc, atan, -INFINITY, INFINITY);
}

/* atan2(y, x) and hypot(x, y) */
static json_t *
fn_two(struct fn_call *fc, double (*f)(double, double))
{
	int64_t i1, i2;
	double d1, d2, r;

	if (value_num_read(fc->fc_v[0], &i1, &d1) == 0 ||
	    value_num_read(fc->fc_v[1], &i2, &d2) == 0 || !isfinite(r =
	    f(d1, d2)))
		return json_null();
	return fn_ret(fc, value_from_double(r));
}

json_t *
fn_atan2(struct fn_call *fc)
{
	return fn_two(fc, atan2);
}

json_t *
fn_hypot(struct fn_call *fc)
{
	return fn_two(fc, hypot);
}
