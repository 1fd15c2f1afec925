/* timeutil.c - clocks, ISO-8601 formatting and parsing, calendar arithmetic. */
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "common/timeutil.h"

#define MS_PER_DAY	86400000LL

int64_t
time_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
time_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Howard Hinnant's days_from_civil: eras of 400 years (146097 days) starting
 * on March 1st, so the leap day is the last day of its year. Valid for every
 * y whose day count fits in int64 (|y| well below 2^50).
 */
int64_t
time_days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;				/* [0, 399] */
	doy = (153 * (int64_t)(m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;	/* [0, 146096] */
	return era * 146097 + doe - 719468;
}

/* The inverse of time_days_from_civil (same algorithm, same range). */
void
time_civil_from_days(int64_t days, int64_t *y, unsigned *m, unsigned *d)
{
	int64_t z, era, doe, yoe, doy, mp;

	z = days + 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;					/* [0, 146096] */
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);		/* [0, 365] */
	mp = (5 * doy + 2) / 153;				/* [0, 11] */
	*d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
	*m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

/*
 * Formats with floor division so that times before 1970 print the right
 * calendar fields ("1969-12-31T23:59:59.999Z" for -1). The 32 bytes of out
 * hold even the extreme int64 values (9-digit years with a sign).
 */
char *
time_format_iso(int64_t ms, char *out)
{
	int64_t days, rem, y;
	unsigned m, d;

	days = ms / MS_PER_DAY;
	rem = ms % MS_PER_DAY;
	if (rem < 0) {
		rem += MS_PER_DAY;
		days--;
	}
	time_civil_from_days(days, &y, &m, &d);
	snprintf(out, 32, "%04lld-%02u-%02uT%02d:%02d:%02d.%03dZ",
	    (long long)y, m, d, (int)(rem / 3600000),
	    (int)(rem / 60000 % 60), (int)(rem / 1000 % 60), (int)(rem % 1000));
	return out;
}

/* Returns 1 when y is a leap year of the proleptic Gregorian calendar. */
static int
time_is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Returns the number of days of month m (1..12) of year y. */
static unsigned
time_month_days(int64_t y, unsigned m)
{
	static const unsigned char mdays[12] =
	    { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	if (m == 2 && time_is_leap(y))
		return 29;
	return mdays[m - 1];
}

/*
 * Reads exactly n decimal digits at s[*i] (bounded by len) into *v.
 * Returns 0 and advances *i, or -1 when fewer than n digits are there.
 */
static int
time_digits(const char *s, size_t len, size_t *i, int n, int *v)
{
	int r = 0;

	for (int k = 0; k < n; k++) {
		if (*i >= len || s[*i] < '0' || s[*i] > '9')
			return -1;
		r = r * 10 + (s[(*i)++] - '0');
	}
	*v = r;
	return 0;
}

/*
 * The grammar is deliberately narrow: YYYY-MM-DD, then optionally T (or a
 * space) HH:MM[:SS[.fraction]] and a zone. Every field is range checked
 * against the real calendar, so "2026-02-29" and "24:00" are rejected.
 */
int
time_parse_iso(const char *s, size_t len, int64_t *ms)
{
	size_t i = 0;
	int y, mo, d, h = 0, mi = 0, sec = 0, frac = 0, off = 0;
	int oh, om, sign;

	if (s == NULL)
		return -1;
	if (time_digits(s, len, &i, 4, &y) == -1 || i >= len || s[i++] != '-' ||
	    time_digits(s, len, &i, 2, &mo) == -1 || i >= len ||
	    s[i++] != '-' || time_digits(s, len, &i, 2, &d) == -1)
		return -1;
	if (mo < 1 || mo > 12 || d < 1 ||
	    (unsigned)d > time_month_days(y, (unsigned)mo))
		return -1;
	if (i < len) {
		if (s[i] != 'T' && s[i] != ' ')
			return -1;
		i++;
		if (time_digits(s, len, &i, 2, &h) == -1 || i >= len ||
		    s[i++] != ':' || time_digits(s, len, &i, 2, &mi) == -1)
			return -1;
		if (h > 23 || mi > 59)
			return -1;
		if (i < len && s[i] == ':') {
			i++;
			if (time_digits(s, len, &i, 2, &sec) == -1 || sec > 59)
				return -1;
			if (i < len && s[i] == '.') {
				int nd = 0;

				i++;
				while (i < len && s[i] >= '0' && s[i] <= '9') {
					if (nd < 3)
						frac = frac * 10 + (s[i] - '0');
					nd++;
					i++;
				}
				if (nd < 1 || nd > 9)
					return -1;
				for (; nd < 3; nd++)
					frac *= 10;
			}
		}
		if (i < len) {
			if (s[i] == 'Z') {
				i++;
			} else if (s[i] == '+' || s[i] == '-') {
				sign = s[i++] == '-' ? -1 : 1;
				if (time_digits(s, len, &i, 2, &oh) == -1)
					return -1;
				om = 0;
				if (i < len) {
					if (s[i] == ':')
						i++;
					if (time_digits(s, len, &i, 2,
					    &om) == -1)
						return -1;
				}
				if (oh > 23 || om > 59)
					return -1;
				off = sign * (oh * 60 + om);
			} else
				return -1;
		}
		if (i != len)
			return -1;
	}
	*ms = time_days_from_civil(y, (unsigned)mo, (unsigned)d) * MS_PER_DAY +
	    (int64_t)h * 3600000 + (int64_t)mi * 60000 + (int64_t)sec * 1000 +
	    frac - (int64_t)off * 60000;
	return 0;
}

int64_t
time_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t
time_coarse_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}
