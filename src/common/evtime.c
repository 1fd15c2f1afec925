/* evtime.c - reading an event's time field. */
#include <math.h>	/* isfinite, a macro: no libm */
#include <stdint.h>
#include <string.h>

#include <jansson.h>

#include "common/evtime.h"
#include "common/timeutil.h"

/* Numbers whose absolute value is below this are epoch seconds. */
#define EVTIME_SECONDS_BELOW	100000000000LL

/*
 * The whole path as a top-level key is tried first, so {"a.b": 1} answers
 * "a.b" even when {"a": {"b": 2}} is also there. Segments are looked up by
 * length, so the walk allocates nothing.
 */
json_t *
field_get(json_t *obj, const char *path)
{
	json_t *v, *cur;
	const char *seg, *dot;

	if (obj == NULL || path == NULL || !json_is_object(obj))
		return NULL;
	if ((v = json_object_get(obj, path)) != NULL)
		return v;
	if (strchr(path, '.') == NULL)
		return NULL;
	cur = obj;
	seg = path;
	for (;;) {
		if (!json_is_object(cur))
			return NULL;
		dot = strchr(seg, '.');
		if (dot == NULL)
			return json_object_get(cur, seg);
		cur = json_object_getn(cur, seg, (size_t)(dot - seg));
		if (cur == NULL)
			return NULL;
		seg = dot + 1;
	}
}

/* Scales a whole number of seconds or milliseconds to milliseconds. */
static int64_t
evtime_scale(int64_t n)
{
	if (n > -EVTIME_SECONDS_BELOW && n < EVTIME_SECONDS_BELOW)
		return n * 1000;
	return n;
}

/*
 * Reads "-?digits" of s[0..len) as a number. Returns 0 and *n, or -1 when s
 * is not all digits or does not fit in int64.
 */
static int
evtime_digits(const char *s, size_t len, int64_t *n)
{
	size_t i = 0;
	int neg = 0;
	int64_t r = 0;

	if (len > 0 && s[0] == '-') {
		neg = 1;
		i = 1;
	}
	if (i == len)
		return -1;
	for (; i < len; i++) {
		int dg = s[i] - '0';

		if (dg < 0 || dg > 9)
			return -1;
		/* Accumulate negatively: -INT64_MIN does not fit. */
		if (r < (INT64_MIN + dg) / 10)
			return -1;
		r = r * 10 - dg;
	}
	if (!neg) {
		if (r == INT64_MIN)
			return -1;
		r = -r;
	}
	*n = r;
	return 0;
}

int
evtime_from_json(const json_t *v, int64_t *ms)
{
	const char *s;
	size_t len;
	int64_t n;
	double d;

	if (v == NULL)
		return -1;
	if (json_is_integer(v)) {
		*ms = evtime_scale(json_integer_value(v));
		return 0;
	}
	if (json_is_real(v)) {
		d = json_real_value(v);
		if (!isfinite(d))
			return -1;
		if ((d < 0 ? -d : d) < (double)EVTIME_SECONDS_BELOW)
			d *= 1000.0;
		/* 2^63 is exactly representable; anything at or past it is not. */
		if (d >= 9223372036854775808.0 || d < -9223372036854775808.0)
			return -1;
		/* Floor without libm: truncate, then step down for negatives. */
		n = (int64_t)d;
		if ((double)n > d)
			n--;
		*ms = n;
		return 0;
	}
	if (json_is_string(v)) {
		s = json_string_value(v);
		len = json_string_length(v);
		if (evtime_digits(s, len, &n) == 0) {
			*ms = evtime_scale(n);
			return 0;
		}
		return time_parse_iso(s, len, ms);
	}
	return -1;
}
