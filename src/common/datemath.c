/* datemath.c - OpenSearch-style date math for dtStart/dtEnd/earliest/latest. */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "common/datemath.h"
#include "common/timeutil.h"

#define MS_PER_DAY	86400000LL
/*
 * Every anchor and every intermediate result stays within +-10^8 days of the
 * epoch (the range of JavaScript dates, years -271821..275760), so calendar
 * arithmetic never overflows and every result formats as a date.
 */
#define DM_LIMIT	(100000000LL * MS_PER_DAY)
/* Longest token quoted back in an error message. */
#define DM_QUOTE_MAX	24

/* Writes a formatted reason into err (when there is room) and returns -1. */
static int __attribute__((format(printf, 3, 4)))
datemath_fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/*
 * Returns the length of s[0..n) to quote in an error, and sets *more when the
 * token was cut (the caller prints "..." after it).
 */
static int
datemath_quote_len(size_t n, const char **more)
{
	*more = n > DM_QUOTE_MAX ? "..." : "";
	return (int)(n > DM_QUOTE_MAX ? DM_QUOTE_MAX : n);
}

static int
datemath_is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
	    c == '\v';
}

static int
datemath_is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int
datemath_is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Returns 1 when c is one of the units y M w d h H m s. */
static int
datemath_is_unit(char c)
{
	return c != '\0' && strchr("yMwdhHms", c) != NULL;
}

/*
 * Reads the digits of s[0..n) as a non-negative number. Returns 0 and *v, or
 * -1 when there are none, something else is there, or the value does not fit.
 */
static int
datemath_number(const char *s, size_t n, int64_t *v)
{
	int64_t r = 0;

	if (n == 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (!datemath_is_digit(s[i]))
			return -1;
		if (r > (INT64_MAX - (s[i] - '0')) / 10)
			return -1;
		r = r * 10 + (s[i] - '0');
	}
	*v = r;
	return 0;
}

/*
 * Adds n months (n may be negative) to t, keeping the time of day and
 * clamping the day of month to the length of the target month
 * (Jan 31 + 1M = Feb 28 or 29). Returns 0, or -1 when out of range.
 */
static int
datemath_add_months(int64_t t, int64_t n, int64_t *out)
{
	int64_t days, rem, y, mi;
	unsigned m, d, dmax;

	if (n > 12 * 600000 || n < -12 * 600000)
		return -1;
	days = t / MS_PER_DAY;
	rem = t % MS_PER_DAY;
	if (rem < 0) {
		rem += MS_PER_DAY;
		days--;
	}
	time_civil_from_days(days, &y, &m, &d);
	mi = y * 12 + (m - 1) + n;
	y = mi >= 0 ? mi / 12 : (mi - 11) / 12;
	m = (unsigned)(mi - y * 12) + 1;
	dmax = (unsigned)(time_days_from_civil(m == 12 ? y + 1 : y,
	    m == 12 ? 1 : m + 1, 1) - time_days_from_civil(y, m, 1));
	if (d > dmax)
		d = dmax;
	*out = time_days_from_civil(y, m, d) * MS_PER_DAY + rem;
	if (*out > DM_LIMIT || *out < -DM_LIMIT)
		return -1;
	return 0;
}

/* Returns a floor-divided by b (b > 0). */
static int64_t
datemath_floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	if (a % b != 0 && a < 0)
		q--;
	return q;
}

/*
 * Rounds t down to the start of its unit, in UTC; weeks start on Monday.
 * t is within DM_LIMIT, so the result is too (or just below, for weeks and
 * years at the very edge; callers check).
 */
static int64_t
datemath_round(int64_t t, char unit)
{
	int64_t days, y;
	unsigned m, d;

	switch (unit) {
	case 's':
		return datemath_floor_div(t, 1000) * 1000;
	case 'm':
		return datemath_floor_div(t, 60000) * 60000;
	case 'h':
	case 'H':
		return datemath_floor_div(t, 3600000) * 3600000;
	case 'd':
		return datemath_floor_div(t, MS_PER_DAY) * MS_PER_DAY;
	case 'w':
		/* 1970-01-01 was a Thursday: Monday-based weekday 3. */
		days = datemath_floor_div(t, MS_PER_DAY);
		days -= ((days + 3) % 7 + 7) % 7;
		return days * MS_PER_DAY;
	case 'M':
	case 'y':
		days = datemath_floor_div(t, MS_PER_DAY);
		time_civil_from_days(days, &y, &m, &d);
		return time_days_from_civil(y, unit == 'y' ? 1 : m, 1) *
		    MS_PER_DAY;
	}
	return t;
}

/*
 * Applies the operations of s[0..n) ("-1d+2h/h", possibly empty) to *t.
 * after names what precedes the operations, for the error when the first
 * character is not an operator. Returns 0, or -1 with a reason in err.
 */
static int
datemath_apply(const char *s, size_t n, const char *after, int64_t *t,
    char *err, size_t errlen)
{
	static const struct {
		char unit;
		int64_t ms;
	} fixed[] = {
		{ 's', 1000 }, { 'm', 60000 }, { 'h', 3600000 },
		{ 'H', 3600000 }, { 'd', MS_PER_DAY }, { 'w', 7 * MS_PER_DAY },
	};
	size_t i = 0, j, k;
	int64_t num, step, v = *t;
	const char *more;
	char op, unit;
	int ql;

	while (i < n) {
		op = s[i];
		if (op != '+' && op != '-' && op != '/') {
			if (after != NULL)
				return datemath_fail(err, errlen,
				    "expected '+', '-' or '/' after '%s'",
				    after);
			return datemath_fail(err, errlen,
			    "expected '+', '-' or '/' at '%c'", op);
		}
		i++;
		/* The number (none for rounding). */
		for (j = i; j < n && datemath_is_digit(s[j]); j++)
			;
		if (op == '/' && j > i)
			return datemath_fail(err, errlen,
			    "unexpected number after '/'");
		/* The unit: a run of letters, so "min" is named whole. */
		for (k = j; k < n && datemath_is_alpha(s[k]); k++)
			;
		if (k == j) {
			if (op == '/')
				return datemath_fail(err, errlen,
				    "missing unit after '/'");
			if (j == i)
				return datemath_fail(err, errlen,
				    "missing number after '%c'", op);
			ql = datemath_quote_len(j - i, &more);
			return datemath_fail(err, errlen,
			    "missing unit after '%c%.*s%s'", op, ql, s + i, more);
		}
		if (k - j != 1 || !datemath_is_unit(s[j])) {
			ql = datemath_quote_len(k - j, &more);
			return datemath_fail(err, errlen, "unknown unit '%.*s%s'",
			    ql, s + j, more);
		}
		unit = s[j];
		if (op != '/' && j == i)
			return datemath_fail(err, errlen,
			    "missing number before unit '%c'", unit);
		if (op == '/') {
			v = datemath_round(v, unit);
		} else {
			if (datemath_number(s + i, j - i, &num) == -1) {
				ql = datemath_quote_len(j - i, &more);
				return datemath_fail(err, errlen,
				    "number too large: '%.*s%s'", ql, s + i,
				    more);
			}
			if (op == '-')
				num = -num;
			if (unit == 'M' || unit == 'y') {
				if (unit == 'y' &&
				    __builtin_mul_overflow(num, 12, &num))
					goto range;
				if (datemath_add_months(v, num, &v) == -1)
					goto range;
			} else {
				step = 0;
				for (size_t u = 0; u < sizeof(fixed) /
				    sizeof(fixed[0]); u++)
					if (fixed[u].unit == unit)
						step = fixed[u].ms;
				if (__builtin_mul_overflow(num, step, &step) ||
				    __builtin_add_overflow(v, step, &v))
					goto range;
			}
		}
		if (v > DM_LIMIT || v < -DM_LIMIT)
			goto range;
		i = k;
		after = NULL;
	}
	*t = v;
	return 0;
range:
	return datemath_fail(err, errlen, "date out of range");
}

/*
 * Reads an anchor date: epoch milliseconds ("-?digits") or an ISO date or
 * date-time. Returns 0 and *t, or -1 with a reason in err.
 */
static int
datemath_anchor(const char *s, size_t n, int64_t *t, char *err, size_t errlen)
{
	const char *more;
	int64_t v;
	int ql;

	if (n == 0)
		return datemath_fail(err, errlen, "empty date");
	if (s[0] == '-' || datemath_is_digit(s[0])) {
		size_t i = s[0] == '-';

		while (i < n && datemath_is_digit(s[i]))
			i++;
		if (i == n && n > (size_t)(s[0] == '-')) {
			if (datemath_number(s + (s[0] == '-'),
			    n - (s[0] == '-'), &v) == -1 || v > DM_LIMIT)
				return datemath_fail(err, errlen,
				    "date out of range");
			*t = s[0] == '-' ? -v : v;
			return 0;
		}
	}
	if (time_parse_iso(s, n, t) == 0)
		return 0;
	ql = datemath_quote_len(n, &more);
	return datemath_fail(err, errlen, "not a date: '%.*s%s'", ql, s, more);
}

int
datemath_parse(const char *expr, int64_t now_ms, int64_t *out,
    char *err, size_t errlen)
{
	const char *s, *bar;
	size_t n;
	int64_t t;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (expr == NULL)
		return datemath_fail(err, errlen, "empty date");
	s = expr;
	n = strlen(s);
	while (n > 0 && datemath_is_space(*s)) {
		s++;
		n--;
	}
	while (n > 0 && datemath_is_space(s[n - 1]))
		n--;
	if (n == 0)
		return datemath_fail(err, errlen, "empty date");

	if (n >= 3 && memcmp(s, "now", 3) == 0) {
		if (now_ms > DM_LIMIT || now_ms < -DM_LIMIT)
			return datemath_fail(err, errlen, "date out of range");
		t = now_ms;
		if (datemath_apply(s + 3, n - 3, "now", &t, err, errlen) == -1)
			return -1;
	} else if ((bar = memchr(s, '|', n)) != NULL) {
		size_t an = (size_t)(bar - s);

		if (an + 1 >= n || bar[1] != '|')
			return datemath_fail(err, errlen,
			    "expected '||' after the date");
		if (datemath_anchor(s, an, &t, err, errlen) == -1)
			return -1;
		if (datemath_apply(bar + 2, n - an - 2, "||", &t, err,
		    errlen) == -1)
			return -1;
	} else if (datemath_anchor(s, n, &t, err, errlen) == -1)
		return -1;
	*out = t;
	return 0;
}
