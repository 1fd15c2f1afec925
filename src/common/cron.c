/* cron.c - 5-field cron expressions: parsing and the next fire time. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "common/cron.h"

/* The nine-year horizon of cron_next: long enough for 29 February. */
#define CRON_HORIZON	(9LL * 366 * 86400)

static const char *const cron_field_names[5] = {
	"minute", "hour", "day-of-month", "month", "day-of-week"
};
static const int cron_lo[5] = {0, 0, 1, 1, 0};
static const int cron_hi[5] = {59, 23, 31, 12, 7};
static const char *const cron_months[12] = {
	"jan", "feb", "mar", "apr", "may", "jun",
	"jul", "aug", "sep", "oct", "nov", "dec"
};
static const char *const cron_days[7] = {
	"sun", "mon", "tue", "wed", "thu", "fri", "sat"
};

static const struct {
	const char *cn_name;
	const char *cn_expr;
} cron_nicknames[] = {
	{"@yearly", "0 0 1 1 *"}, {"@annually", "0 0 1 1 *"},
	{"@monthly", "0 0 1 * *"}, {"@weekly", "0 0 * * 0"},
	{"@daily", "0 0 * * *"}, {"@midnight", "0 0 * * *"},
	{"@hourly", "0 * * * *"},
};

/*
 * Reads one value of field f at *sp (a number, or a month or day name)
 * into *v and moves *sp past it. Returns 0, or -1 with err set.
 */
static int
cron_value(const char **sp, int f, int *v, const char *item, char *err,
    size_t errlen)
{
	const char *s = *sp;
	long n = 0;
	int i, len;

	if (isdigit((unsigned char)*s)) {
		for (len = 0; isdigit((unsigned char)s[len]) && len < 4; len++)
			n = n * 10 + (s[len] - '0');
		if (isdigit((unsigned char)s[len]) || n < cron_lo[f] ||
		    n > cron_hi[f]) {
			snprintf(err, errlen, "field %d (%s): %.*s is out of "
			    "range %d-%d", f + 1, cron_field_names[f],
			    (int)strspn(s, "0123456789"), s, cron_lo[f],
			    f == 4 ? 6 : cron_hi[f]);
			if (f == 4)
				snprintf(err, errlen, "field 5 (day-of-week): "
				    "%.*s is out of range 0-7 (0 and 7 are "
				    "Sunday)", (int)strspn(s, "0123456789"),
				    s);
			return -1;
		}
		*v = (int)n;
		*sp = s + len;
		return 0;
	}
	if (isalpha((unsigned char)*s) && (f == 3 || f == 4)) {
		for (i = 0; i < (f == 3 ? 12 : 7); i++)
			if (strncasecmp(s, f == 3 ? cron_months[i] :
			    cron_days[i], 3) == 0 &&
			    !isalpha((unsigned char)s[3])) {
				*v = f == 3 ? i + 1 : i;
				*sp = s + 3;
				return 0;
			}
	}
	snprintf(err, errlen, "field %d (%s): '%s' is not %s", f + 1,
	    cron_field_names[f], item, f == 3 ? "a month (1-12 or jan-dec)" :
	    f == 4 ? "a day of the week (0-7 or sun-sat)" : "a number");
	return -1;
}

/*
 * Parses field f (text of len bytes) into the bit set *bits. Returns 0,
 * or -1 with err set.
 */
static int
cron_field(const char *text, size_t len, int f, uint64_t *bits, char *err,
    size_t errlen)
{
	char item[64], field[128];
	const char *s, *end;
	int a, b, step;

	*bits = 0;
	snprintf(field, sizeof(field), "%.*s", (int)len, text);
	for (s = field; ; s = end + 1) {
		end = strchr(s, ',');
		if (end == NULL)
			end = s + strlen(s);
		snprintf(item, sizeof(item), "%.*s", (int)(end - s), s);
		if (*item == '\0') {
			snprintf(err, errlen, "field %d (%s): '%s' has an "
			    "empty list item", f + 1, cron_field_names[f],
			    field);
			return -1;
		}
		s = item;
		if (*s == '*') {
			a = cron_lo[f];
			b = f == 4 ? 6 : cron_hi[f];
			s++;
		} else {
			if (cron_value(&s, f, &a, item, err, errlen) == -1)
				return -1;
			b = a;
			if (*s == '-') {
				s++;
				if (cron_value(&s, f, &b, item, err, errlen) ==
				    -1)
					return -1;
				if (b < a) {
					snprintf(err, errlen, "field %d (%s): "
					    "range '%s' ends before it starts",
					    f + 1, cron_field_names[f], item);
					return -1;
				}
			} else if (*s == '/')
				b = f == 4 ? 6 : cron_hi[f];
		}
		step = 1;
		if (*s == '/') {
			s++;
			step = 0;
			while (isdigit((unsigned char)*s) && step <= 1000)
				step = step * 10 + (*s++ - '0');
			if (step < 1 || step > cron_hi[f]) {
				snprintf(err, errlen, "field %d (%s): step in "
				    "'%s' must be a number from 1 to %d", f + 1,
				    cron_field_names[f], item, cron_hi[f]);
				return -1;
			}
		}
		if (*s != '\0') {
			snprintf(err, errlen, "field %d (%s): '%s' is not "
			    "*, N, N-M or one of them with /STEP", f + 1,
			    cron_field_names[f], item);
			return -1;
		}
		for (int v = a; v <= b; v += step)
			*bits |= 1ULL << (f == 4 && v == 7 ? 0 : v);
		if (*end == '\0')
			break;
	}
	return 0;
}

int
cron_parse(const char *expr, struct cron *c, char *err, size_t errlen)
{
	const char *s = expr, *start[6];
	size_t len[6];
	uint64_t bits[5];
	int n = 0;

	memset(c, 0, sizeof(*c));
	while (isspace((unsigned char)*s))
		s++;
	if (*s == '@') {
		size_t l = strcspn(s, " \t\n");

		for (size_t i = 0; i < sizeof(cron_nicknames) /
		    sizeof(cron_nicknames[0]); i++)
			if (strlen(cron_nicknames[i].cn_name) == l &&
			    strncasecmp(s, cron_nicknames[i].cn_name, l) == 0 &&
			    s[l + strspn(s + l, " \t\n")] == '\0')
				return cron_parse(cron_nicknames[i].cn_expr, c,
				    err, errlen);
		snprintf(err, errlen, "'%.40s' is not one of @yearly, "
		    "@annually, @monthly, @weekly, @daily, @midnight, "
		    "@hourly", s);
		return -1;
	}
	while (*s != '\0' && n < 6) {
		start[n] = s;
		len[n] = strcspn(s, " \t\n");
		s += len[n];
		n++;
		while (isspace((unsigned char)*s))
			s++;
	}
	if (n != 5 || *s != '\0') {
		snprintf(err, errlen, "a schedule has 5 fields (minute hour "
		    "day-of-month month day-of-week) or is a name such as "
		    "@hourly; '%.60s' has %s%d", expr, n > 5 ? "more than " :
		    "", n > 5 ? 5 : n);
		return -1;
	}
	for (int f = 0; f < 5; f++) {
		if (len[f] >= 100) {
			snprintf(err, errlen, "field %d (%s) is longer than 99 "
			    "characters", f + 1, cron_field_names[f]);
			return -1;
		}
		if (cron_field(start[f], len[f], f, &bits[f], err, errlen) ==
		    -1)
			return -1;
	}
	c->cr_min = bits[0];
	c->cr_hour = (uint32_t)bits[1];
	c->cr_dom = (uint32_t)bits[2];
	c->cr_mon = (uint16_t)bits[3];
	c->cr_dow = (uint8_t)bits[4];
	c->cr_dom_star = *start[2] == '*';
	c->cr_dow_star = *start[4] == '*';
	return 0;
}

/* Converts t to calendar fields, local or UTC. */
static void
cron_tm(time_t t, int utc, struct tm *tm)
{
	if (utc)
		gmtime_r(&t, tm);
	else
		localtime_r(&t, tm);
}

/*
 * Returns the first instant of day (y, mon, mday), normalised: local
 * midnight, or the first instant after it when a DST change skips it.
 */
static time_t
cron_day_start(int y, int mon, int mday, int utc)
{
	struct tm tm, chk;
	time_t t;

	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y;
	tm.tm_mon = mon;
	tm.tm_mday = mday;
	tm.tm_isdst = -1;
	if (utc)
		return timegm(&tm);
	t = mktime(&tm);
	/* mktime may answer the hour before a skipped midnight. */
	for (int i = 0; i < 4; i++) {
		cron_tm(t, 0, &chk);
		if (chk.tm_year > tm.tm_year || (chk.tm_year == tm.tm_year &&
		    chk.tm_yday >= tm.tm_yday))
			break;
		t += 3600;
	}
	return t;
}

/* Returns 1 when the day of tm matches c (Vixie's OR rule). */
static int
cron_day_ok(const struct cron *c, const struct tm *tm)
{
	int dom = (c->cr_dom >> tm->tm_mday) & 1;
	int dow = (c->cr_dow >> tm->tm_wday) & 1;

	if (!c->cr_dom_star && !c->cr_dow_star)
		return dom || dow;
	return dom && dow;
}

/*
 * Returns 1 when the local wall time of t (fields tm) already happened
 * earlier: t is in the hour that a DST change back repeats.
 */
static int
cron_repeated(time_t t, const struct tm *tm)
{
	struct tm before, p;
	long d;

	cron_tm(t - 86400, 0, &before);
	d = before.tm_gmtoff - tm->tm_gmtoff;
	if (d <= 0 || d >= 86400)
		return 0;
	cron_tm(t - d, 0, &p);
	return p.tm_year == tm->tm_year && p.tm_yday == tm->tm_yday &&
	    p.tm_hour == tm->tm_hour && p.tm_min == tm->tm_min;
}

int
cron_next(const struct cron *c, int64_t after, int utc, int64_t *next)
{
	time_t t, end = (time_t)(after + CRON_HORIZON), n;
	struct tm tm;

	t = (time_t)((after - (after % 60 + 60) % 60) + 60);
	while (t <= end) {
		cron_tm(t, utc, &tm);
		if (!((c->cr_mon >> (tm.tm_mon + 1)) & 1)) {
			n = cron_day_start(tm.tm_year, tm.tm_mon + 1, 1, utc);
			t = n > t ? n : t + 60;
			continue;
		}
		if (!cron_day_ok(c, &tm)) {
			n = cron_day_start(tm.tm_year, tm.tm_mon,
			    tm.tm_mday + 1, utc);
			t = n > t ? n : t + 60;
			continue;
		}
		if (!((c->cr_hour >> tm.tm_hour) & 1)) {
			t += 3600 - tm.tm_min * 60 - tm.tm_sec;
			continue;
		}
		if (!((c->cr_min >> tm.tm_min) & 1) || tm.tm_sec != 0 ||
		    (!utc && cron_repeated(t, &tm))) {
			t += 60 - tm.tm_sec;
			continue;
		}
		*next = (int64_t)t;
		return 0;
	}
	return -1;
}

int
cron_min_gap_ok(const struct cron *c, int64_t limit, int64_t *gap)
{
	int64_t first = -1, prev = -1, t, n, best = INT64_MAX, end;

	/* Within a day: every day that fires has all the day's times. */
	for (int h = 0; h < 24; h++)
		for (int m = 0; m < 60; m++) {
			if (!((c->cr_hour >> h) & 1) || !((c->cr_min >> m) & 1))
				continue;
			t = (h * 60 + m) * 60;
			if (prev >= 0 && t - prev < best)
				best = t - prev;
			if (first < 0)
				first = t;
			prev = t;
		}
	if (best < limit) {
		*gap = best;
		return -1;
	}
	/* Across midnight the gap is at least last-to-first. */
	if (first < 0 || 86400 - prev + first >= limit)
		return 0;
	/* Rare: find out whether two firing days follow each other. */
	t = 1704067200 - 60;	/* 2023-12-31T23:59:00Z */
	end = t + 4LL * 366 * 86400;
	for (prev = -1; t < end && cron_next(c, t, 1, &n) == 0; t = n) {
		if (prev >= 0 && n - prev < limit) {
			*gap = n - prev;
			return -1;
		}
		prev = n;
	}
	return 0;
}
