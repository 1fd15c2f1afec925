/* fn/convert.c - conversions: tonumber, tostring. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sml/fn/fn.h"

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

/* ---- The functions ---- */

/* tonumber(s[, base]): the number, or null; base 2 to 36. */
json_t *
fn_tonumber(struct fn_call *fc)
{
	json_t *a = fc->fc_v[0], *b = fc->fc_v[1];
	const char *p;
	char *end;
	long long v;
	int64_t i1, i2;
	double d1, d2;
	int k1;

	if (json_is_number(a))
		return json_incref(a);
	if (!json_is_string(a))
		return json_null();
	if (b == NULL || (value_num_read(b, &i2, &d2) == 1 && i2 == 10)) {
		k1 = value_parse_number(json_string_value(a),
		    json_string_length(a), &i1, &d1);
		return fn_ret(fc, k1 == 1 ? json_integer(i1) : k1 == 2 ?
		    json_real(d1) : json_null());
	}
	if (value_num_read(b, &i2, &d2) != 1 || i2 < 2 || i2 > 36)
		return json_null();
	p = json_string_value(a);
	errno = 0;
	v = strtoll(p, &end, (int)i2);
	return fn_ret(fc, *p == '\0' || isspace((unsigned char)*p) ||
	    *end != '\0' || errno != 0 ? json_null() : json_integer(v));
}

/*
 * tostring(x[, "hex"|"commas"|"duration"]): text; without a format, a
 * string as it is and other scalars as value_string() writes them.
 */
json_t *
fn_tostring(struct fn_call *fc)
{
	json_t *a = fc->fc_v[0], *b = fc->fc_v[1], *r = NULL;
	char *s, *s2, out[80];
	int64_t i1;
	double d1;
	int k1;

	if (fn_is_null(a))
		return json_null();
	if (b == NULL) {
		if (json_is_string(a))
			return json_incref(a);
		if ((s = value_string(a)) != NULL)
			r = json_string(s);
		free(s);
		return fn_ret(fc, r);
	}
	s2 = fn_text(b);
	k1 = value_num_read(a, &i1, &d1);
	if (s2 == NULL || k1 == 0) {
		r = json_null();
	} else if (strcmp(s2, "hex") == 0) {
		if (k1 == 2 && (d1 != floor(d1) || fabs(d1) > 9e18)) {
			r = json_null();
		} else {
			if (k1 == 2)
				i1 = (int64_t)d1;
			snprintf(out, sizeof(out), "%s0x%llX",
			    i1 < 0 ? "-" : "", i1 < 0 ?
			    -(unsigned long long)i1 : (unsigned long long)i1);
			r = json_string(out);
		}
	} else if (strcmp(s2, "commas") == 0)
		r = fn_commas(k1, i1, d1);
	else if (strcmp(s2, "duration") == 0)
		r = fn_duration(d1);
	else
		r = json_null();
	free(s2);
	return fn_ret(fc, r);
}
