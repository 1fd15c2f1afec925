/* fn/time.c - times: now, time, strftime, strptime, relative_time (UTC). */
#include <ctype.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "common/timeutil.h"
#include "sml/fn/fn.h"

static const char *const fn_months[12] = { "january", "february", "march",
	"april", "may", "june", "july", "august", "september", "october",
	"november", "december" };
static const char *const fn_wdays[7] = { "sunday", "monday", "tuesday",
	"wednesday", "thursday", "friday", "saturday" };

static int
fn_mdays(int64_t y, unsigned m)
{
	static const int md[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
		30, 31 };
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 ? 28 + leap : md[m - 1];
}

/* Appends the subsecond digits of us microseconds, width digits. */
static int
fn_subsec(struct buf *b, long long us, int width)
{
	char tmp[32];
	int i;

	for (i = width; i < 6; i++)
		us /= 10;
	for (i = 6; i < width; i++)
		us *= 10;
	snprintf(tmp, sizeof(tmp), "%0*lld", width, us);
	return buf_puts(b, tmp);
}

/*
 * strftime in UTC, with Splunk's additions: %N/%3N/%6N/%9N and %Q
 * (subseconds), %f (microseconds), %s (epoch seconds), %z, %Z (UTC).
 */
static json_t *
fn_strftime_at(double t, const char *fmt)
{
	struct buf b = BUF_INIT;
	struct tm tm;
	time_t secs;
	long long tus, us;
	const char *p;
	char spec[4], out[128];
	json_t *r;
	int width;

	if (!(t >= -62135596800.0 && t <= 253402300799.0))
		return json_null();
	/* Whole microseconds: as precise as a double of epoch seconds is. */
	tus = llround(t * 1e6);
	us = tus % 1000000;
	if (us < 0)
		us += 1000000;
	secs = (time_t)((tus - us) / 1000000);
	if (gmtime_r(&secs, &tm) == NULL)
		return json_null();
	for (p = fmt; *p != '\0'; p++) {
		if (*p != '%' || p[1] == '\0') {
			if (buf_putc(&b, *p) == -1)
				goto nomem;
			continue;
		}
		p++;
		width = 0;
		if (*p >= '1' && *p <= '9' && (p[1] == 'N' || p[1] == 'Q')) {
			width = *p - '0';
			p++;
		}
		switch (*p) {
		case 'N':
			if (fn_subsec(&b, us, width ? width : 9) == -1)
				goto nomem;
			continue;
		case 'Q':
			if (fn_subsec(&b, us, width ? width : 3) == -1)
				goto nomem;
			continue;
		case 'f':
			if (fn_subsec(&b, us, 6) == -1)
				goto nomem;
			continue;
		case 's':
			if (buf_printf(&b, "%lld", (long long)secs) == -1)
				goto nomem;
			continue;
		case 'z':
			if (buf_puts(&b, "+0000") == -1)
				goto nomem;
			continue;
		case 'Z':
			if (buf_puts(&b, "UTC") == -1)
				goto nomem;
			continue;
		default:
			break;
		}
		spec[0] = '%';
		spec[1] = *p;
		spec[2] = '\0';
		out[0] = '\0';
		if (strftime(out, sizeof(out), spec, &tm) == 0)
			out[0] = '\0';
		if (buf_puts(&b, out) == -1)
			goto nomem;
	}
	r = fn_str(b.b_data ? b.b_data : "", b.b_len);
	buf_free(&b);
	return r;
nomem:
	buf_free(&b);
	return NULL;
}

/* Reads up to max digits at *sp (at least 1). Returns 0 and *v, or -1. */
static int
fn_pdigits(const char **sp, int max, long long *v, int *nd)
{
	const char *s = *sp;
	int n = 0;
	long long r = 0;

	while (n < max && *s >= '0' && *s <= '9') {
		r = r * 10 + (*s - '0');
		s++;
		n++;
	}
	if (n == 0)
		return -1;
	*sp = s;
	*v = r;
	if (nd)
		*nd = n;
	return 0;
}

/* Matches a month or weekday name (full or 3 letters) at *sp. */
static int
fn_pname(const char **sp, const char *const *names, int n)
{
	int i;
	size_t l;

	for (i = 0; i < n; i++) {
		l = strlen(names[i]);
		if (strncasecmp(*sp, names[i], l) == 0) {
			*sp += l;
			return i;
		}
	}
	for (i = 0; i < n; i++)
		if (strncasecmp(*sp, names[i], 3) == 0) {
			*sp += 3;
			return i;
		}
	return -1;
}

/* strptime in UTC (with %z offsets); returns epoch seconds or null. */
static json_t *
fn_strptime_text(const char *s, const char *fmt)
{
	long long y = 1970, mon = 1, d = 1, H = 0, M = 0, S = 0, v, yday = -1;
	long long off = 0, epoch = 0;
	double frac = 0;
	int pm = -1, nd, have_epoch = 0, have_frac = 0, width, sign, i;
	const char *f;
	int64_t days;

	for (f = fmt; *f != '\0'; f++) {
		if (isspace((unsigned char)*f)) {
			while (isspace((unsigned char)*s))
				s++;
			continue;
		}
		if (*f != '%' || f[1] == '\0') {
			if (*s != *f)
				return json_null();
			s++;
			continue;
		}
		f++;
		width = 0;
		if (*f >= '1' && *f <= '9' && (f[1] == 'N' || f[1] == 'Q')) {
			width = *f - '0';
			f++;
		}
		switch (*f) {
		case 'Y':
			sign = *s == '-' ? (s++, -1) : 1;
			if (fn_pdigits(&s, 4, &y, NULL) == -1)
				return json_null();
			y *= sign;
			break;
		case 'y':
			if (fn_pdigits(&s, 2, &y, NULL) == -1)
				return json_null();
			y += y < 69 ? 2000 : 1900;
			break;
		case 'm':
			if (fn_pdigits(&s, 2, &mon, NULL) == -1)
				return json_null();
			break;
		case 'd':
		case 'e':
			while (*f == 'e' && *s == ' ')
				s++;
			if (fn_pdigits(&s, 2, &d, NULL) == -1)
				return json_null();
			break;
		case 'j':
			if (fn_pdigits(&s, 3, &yday, NULL) == -1 || yday < 1 ||
			    yday > 366)
				return json_null();
			break;
		case 'H':
		case 'I':
			if (fn_pdigits(&s, 2, &H, NULL) == -1)
				return json_null();
			break;
		case 'M':
			if (fn_pdigits(&s, 2, &M, NULL) == -1)
				return json_null();
			break;
		case 'S':
			if (fn_pdigits(&s, 2, &S, NULL) == -1)
				return json_null();
			break;
		case 'T':
			if (fn_pdigits(&s, 2, &H, NULL) == -1 || *s++ != ':' ||
			    fn_pdigits(&s, 2, &M, NULL) == -1 || *s++ != ':' ||
			    fn_pdigits(&s, 2, &S, NULL) == -1)
				return json_null();
			break;
		case 'R':
			if (fn_pdigits(&s, 2, &H, NULL) == -1 || *s++ != ':' ||
			    fn_pdigits(&s, 2, &M, NULL) == -1)
				return json_null();
			break;
		case 'F':
			if (fn_pdigits(&s, 4, &y, NULL) == -1 ||
			    *s++ != '-' ||
			    fn_pdigits(&s, 2, &mon, NULL) == -1 ||
			    *s++ != '-' || fn_pdigits(&s, 2, &d, NULL) == -1)
				return json_null();
			break;
		case 'D':
			if (fn_pdigits(&s, 2, &mon, NULL) == -1 ||
			    *s++ != '/' || fn_pdigits(&s, 2, &d, NULL) == -1 ||
			    *s++ != '/' || fn_pdigits(&s, 2, &y, NULL) == -1)
				return json_null();
			y += y < 69 ? 2000 : 1900;
			break;
		case 'b':
		case 'B':
		case 'h':
			if ((i = fn_pname(&s, fn_months, 12)) < 0)
				return json_null();
			mon = i + 1;
			break;
		case 'a':
		case 'A':
			if (fn_pname(&s, fn_wdays, 7) < 0)
				return json_null();
			break;
		case 'p':
			if (strncasecmp(s, "am", 2) == 0)
				pm = 0;
			else if (strncasecmp(s, "pm", 2) == 0)
				pm = 1;
			else
				return json_null();
			s += 2;
			break;
		case 'N':
		case 'Q':
		case 'f':
			if (fn_pdigits(&s, width ? width : *f == 'Q' ? 3 :
			    *f == 'f' ? 6 : 9, &v, &nd) == -1)
				return json_null();
			frac = (double)v / pow(10, nd);
			have_frac = 1;
			break;
		case 's':
			sign = *s == '-' ? (s++, -1) : 1;
			if (fn_pdigits(&s, 12, &epoch, NULL) == -1)
				return json_null();
			epoch *= sign;
			have_epoch = 1;
			break;
		case 'z':
			if (*s == 'Z' || *s == 'z') {
				s++;
				break;
			}
			if (*s != '+' && *s != '-')
				return json_null();
			sign = *s++ == '-' ? -1 : 1;
			if (fn_pdigits(&s, 2, &v, NULL) == -1)
				return json_null();
			off = v * 3600;
			if (*s == ':')
				s++;
			if (*s >= '0' && *s <= '9') {
				if (fn_pdigits(&s, 2, &v, NULL) == -1)
					return json_null();
				off += v * 60;
			}
			off *= sign;
			break;
		case 'Z':
			while (isalpha((unsigned char)*s))
				s++;
			break;
		case '%':
			if (*s++ != '%')
				return json_null();
			break;
		default:
			return json_null();
		}
	}
	if (have_epoch)
		days = 0;
	else {
		if (pm >= 0) {
			if (H < 1 || H > 12)
				return json_null();
			H = H % 12 + (pm ? 12 : 0);
		}
		if (yday > 0) {
			days = time_days_from_civil(y, 1, 1) + yday - 1;
		} else {
			if (mon < 1 || mon > 12 || d < 1 ||
			    d > fn_mdays(y, (unsigned)mon))
				return json_null();
			days = time_days_from_civil(y, (unsigned)mon,
			    (unsigned)d);
		}
		if (H > 23 || M > 59 || S > 60)
			return json_null();
		epoch = days * 86400 + H * 3600 + M * 60 + S - off;
	}
	if (have_frac && frac > 0)
		return json_real((double)epoch + frac);
	return json_integer(epoch);
}

/* Adds n months to the civil date of secs (day clamped to the month). */
static double
fn_add_months(double t, long long n)
{
	double fl = floor(t), frac = t - fl;
	int64_t secs = (int64_t)fl, days = secs >= 0 ? secs / 86400 :
	    -((-secs + 86399) / 86400), tod = secs - days * 86400, y;
	unsigned m, d;
	long long mi;

	time_civil_from_days(days, &y, &m, &d);
	mi = (long long)y * 12 + (m - 1) + n;
	y = mi >= 0 ? mi / 12 : -((-mi + 11) / 12);
	m = (unsigned)(mi - y * 12) + 1;
	if ((int)d > fn_mdays(y, m))
		d = (unsigned)fn_mdays(y, m);
	return (double)(time_days_from_civil(y, m, d) * 86400 + tod) + frac;
}

/* Reads a relative_time unit at *sp. Returns seconds (>0), -1 month,
 * -3 quarter, -12 year, 0 when unknown. */
static long
fn_unit(const char **sp, int *weekday)
{
	static const struct { const char *name; long v; } units[] = {
		{ "seconds", 1 }, { "second", 1 }, { "secs", 1 }, { "sec", 1 },
		{ "s", 1 }, { "minutes", 60 }, { "minute", 60 },
		{ "mins", 60 }, { "min", 60 }, { "months", -1 },
		{ "month", -1 }, { "mon", -1 }, { "m", 60 },
		{ "hours", 3600 }, { "hour", 3600 }, { "hrs", 3600 },
		{ "hr", 3600 }, { "h", 3600 }, { "days", 86400 },
		{ "day", 86400 }, { "d", 86400 }, { "weeks", 604800 },
		{ "week", 604800 }, { "w", 604800 }, { "quarters", -3 },
		{ "quarter", -3 }, { "qtrs", -3 }, { "qtr", -3 }, { "q", -3 },
		{ "years", -12 }, { "year", -12 }, { "yrs", -12 },
		{ "yr", -12 }, { "y", -12 },
	};
	const char *s = *sp;
	size_t i, l;

	*weekday = -1;
	/* w0..w7: a week starting on that day (0 and 7 Sunday). */
	if ((s[0] == 'w' || s[0] == 'W') && s[1] >= '0' && s[1] <= '7') {
		*weekday = (s[1] - '0') % 7;
		*sp = s + 2;
		return 604800;
	}
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		l = strlen(units[i].name);
		if (strncasecmp(s, units[i].name, l) != 0 ||
		    isalpha((unsigned char)s[l]))
			continue;
		*sp = s + l;
		return units[i].v;
	}
	return 0;
}

/* Snaps t down to the start of its unit (UTC). */
static double
fn_snap(double t, long unit, int weekday)
{
	int64_t secs = (int64_t)floor(t), days, y;
	unsigned m, d;
	long wd;

	if (unit > 0 && unit < 604800)
		return (double)(secs - ((secs % unit) + unit) % unit);
	days = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
	if (unit == 604800) {
		/* 1970-01-01 was a Thursday (4). */
		wd = (long)(((days % 7) + 7 + 4) % 7);
		days -= ((wd - (weekday < 0 ? 0 : weekday)) + 7) % 7;
		return (double)(days * 86400);
	}
	time_civil_from_days(days, &y, &m, &d);
	if (unit == -3)
		m = (m - 1) / 3 * 3 + 1;
	else if (unit == -12)
		m = 1;
	return (double)(time_days_from_civil(y, m, 1) * 86400);
}

/* relative_time(t, "-1d@d"): offsets and snaps, left to right. */
static json_t *
fn_relative_to(double t, const char *s)
{
	long unit;
	long long n;
	int sign, weekday;

	while (*s == ' ')
		s++;
	if (strcasecmp(s, "now") == 0 || *s == '\0')
		return value_from_double(t);
	while (*s != '\0') {
		if (*s == '@') {
			s++;
			if ((unit = fn_unit(&s, &weekday)) == 0)
				return json_null();
			t = fn_snap(t, unit, weekday);
			continue;
		}
		if (*s != '+' && *s != '-')
			return json_null();
		sign = *s++ == '-' ? -1 : 1;
		n = 1;
		if (*s >= '0' && *s <= '9' && fn_pdigits(&s, 9, &n, NULL) == -1)
			return json_null();
		if ((unit = fn_unit(&s, &weekday)) == 0 || weekday >= 0)
			return json_null();
		if (unit > 0)
			t += (double)sign * (double)n * (double)unit;
		else
			t = fn_add_months(t, sign * n * -unit);
	}
	return value_from_double(t);
}

/*
 * Reads a time argument as epoch seconds: a number (or numeric string) is
 * seconds; an ISO-8601 string (an event's @timestamp) is read as a date.
 */
static int
fn_time_arg(const json_t *v, double *t)
{
	int64_t i, ms;

	if (value_num_read(v, &i, t) != 0)
		return 1;
	if (json_is_string(v) && time_parse_iso(json_string_value(v),
	    json_string_length(v), &ms) == 0) {
		*t = ms % 1000 == 0 ? (double)(ms / 1000) : (double)ms / 1000;
		return 1;
	}
	return 0;
}

/* ---- The functions ---- */

/* now(): the task's fixed now, epoch seconds. */
json_t *
fn_now(struct fn_call *fc)
{
	/* ec_now is in ms: floor to whole seconds. */
	int64_t ms = fc->fc_ctx ? fc->fc_ctx->ec_now : 0;

	return fn_ret(fc, json_integer(ms >= 0 ? ms / 1000 :
	    -((-ms + 999) / 1000)));
}

/* time(): the current time, epoch seconds with microseconds. */
json_t *
fn_time(struct fn_call *fc)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return fn_ret(fc, json_real((double)ts.tv_sec +
	    (double)(ts.tv_nsec / 1000) / 1e6));
}

/* strftime() and relative_time(): f of a time argument and a text. */
static json_t *
fn_time_and_text(struct fn_call *fc, json_t *(*f)(double, const char *))
{
	json_t *r;
	char *s2;
	double t;

	if (!fn_time_arg(fc->fc_v[0], &t) ||
	    (s2 = fn_text(fc->fc_v[1])) == NULL)
		return json_null();
	r = f(t, s2);
	free(s2);
	return fn_ret(fc, r);
}

/* strftime(t, fmt) */
json_t *
fn_strftime(struct fn_call *fc)
{
	return fn_time_and_text(fc, fn_strftime_at);
}

/* relative_time(t, "-1d@d") */
json_t *
fn_relative_time(struct fn_call *fc)
{
	return fn_time_and_text(fc, fn_relative_to);
}

/* strptime(s, fmt): epoch seconds, or null. */
json_t *
fn_strptime(struct fn_call *fc)
{
	char *s = NULL, *s2 = NULL;
	json_t *r;

	if ((s = fn_text(fc->fc_v[0])) == NULL ||
	    (s2 = fn_text(fc->fc_v[1])) == NULL) {
		free(s);
		return json_null();
	}
	r = fn_strptime_text(s, s2);
	free(s);
	free(s2);
	return fn_ret(fc, r);
}
