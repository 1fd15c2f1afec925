/* fn/info.c - what a value is: isnull, isnotnull, isnum, isstr, typeof. */

#include "sml/fn/fn.h"

/* ---- The functions ---- */

/* isnull(x): whether x is missing or null. */
json_t *
fn_isnull(struct fn_call *fc)
{
	return json_boolean(fn_is_null(fc->fc_v[0]));
}

/* isnotnull(x): whether x is there and not null. */
json_t *
fn_isnotnull(struct fn_call *fc)
{
	return json_boolean(!fn_is_null(fc->fc_v[0]));
}

/* isnum(x): whether x is a number or a numeric string. */
json_t *
fn_isnum(struct fn_call *fc)
{
	double d;

	return json_boolean(value_number(fc->fc_v[0], &d));
}

/* isstr(x): whether x is a string. */
json_t *
fn_isstr(struct fn_call *fc)
{
	return json_boolean(json_is_string(fc->fc_v[0]));
}

/* typeof(x): SPL's names of the types; null and missing are "Invalid". */
json_t *
fn_typeof(struct fn_call *fc)
{
	json_t *a = fc->fc_v[0];
	const char *t;

	switch (a ? json_typeof(a) : JSON_NULL) {
	case JSON_STRING: t = "String"; break;
	case JSON_INTEGER:
	case JSON_REAL: t = "Number"; break;
	case JSON_TRUE:
	case JSON_FALSE: t = "Boolean"; break;
	case JSON_ARRAY: t = "Multivalue"; break;
	case JSON_OBJECT: t = "Object"; break;
	default: t = "Invalid"; break;
	}
	return fn_ret(fc, json_string(t));
}

/* isint(x): whether x is an integer (a number, or text of one). */
json_t *
fn_isint(struct fn_call *fc)
{
	int64_t i;
	double d;

	if (fn_is_null(fc->fc_v[0]))
		return json_false();
	return json_boolean(value_num_read(fc->fc_v[0], &i, &d) == 1);
}

/* isbool(x): whether x is true or false. */
json_t *
fn_isbool(struct fn_call *fc)
{
	return json_boolean(json_is_boolean(fc->fc_v[0]));
}
