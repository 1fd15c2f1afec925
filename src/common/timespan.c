/* timespan.c - calendar-aligned time buckets for timelines and timechart. */
#include <stdio.h>
#include <string.h>

#include "common/timespan.h"
#include "common/timeutil.h"

#define SEC 1000LL
#define MIN (60 * SEC)
#define HOUR (60 * MIN)
#define DAY (24 * HOUR)
#define WEEK (7 * DAY)
#define MONDAY0 (4 * DAY)	/* 1970-01-05, the first Monday */

static const struct timespan timespan_steps[] = {
	{SEC, 0, "1s"}, {5 * SEC, 0, "5s"}, {10 * SEC, 0, "10s"},
	{30 * SEC, 0, "30s"}, {MIN, 0, "1m"}, {5 * MIN, 0, "5m"},
	{10 * MIN, 0, "10m"}, {30 * MIN, 0, "30m"}, {HOUR, 0, "1h"},
	{3 * HOUR, 0, "3h"}, {12 * HOUR, 0, "12h"}, {DAY, 0, "1d"},
	{WEEK, 0, "1w"}, {0, 1, "1M"}, {0, 12, "1y"},
};

/* Floor division that rounds toward minus infinity. */
static int64_t
floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* Returns the months since 1970-01 of the month holding t. */
static int64_t
month_index(int64_t t)
{
	int64_t y;
	unsigned m, d;

	time_civil_from_days(floor_div(t, DAY), &y, &m, &d);
	return (y - 1970) * 12 + (int64_t)m - 1;
}

/* Returns the ms of the first instant of month index mi. */
static int64_t
month_start(int64_t mi)
{
	int64_t y = 1970 + floor_div(mi, 12);
	unsigned m = (unsigned)(mi - floor_div(mi, 12) * 12) + 1;

	return time_days_from_civil(y, m, 1) * DAY;
}

int64_t
timespan_floor(const struct timespan *ts, int64_t t)
{
	int64_t mi;

	if (ts->ts_months > 0) {
		mi = month_index(t);
		return month_start(floor_div(mi, ts->ts_months) * ts->ts_months);
	}
	if (ts->ts_ms % WEEK == 0)
		return floor_div(t - MONDAY0, ts->ts_ms) * ts->ts_ms + MONDAY0;
	return floor_div(t, ts->ts_ms) * ts->ts_ms;
}

int64_t
timespan_next(const struct timespan *ts, int64_t b)
{
	if (ts->ts_months > 0)
		return month_start(month_index(b) + ts->ts_months);
	return b + ts->ts_ms;
}

int64_t
timespan_count(const struct timespan *ts, int64_t start, int64_t end)
{
	int64_t a, z;

	if (end <= start)
		return 0;
	a = timespan_floor(ts, start);
	z = timespan_floor(ts, end - 1);
	if (ts->ts_months > 0)
		return (month_index(z) - month_index(a)) / ts->ts_months + 1;
	return (z - a) / ts->ts_ms + 1;
}

int64_t
timespan_auto(int64_t start, int64_t end, int64_t max_buckets,
    struct timespan *out)
{
	size_t n = sizeof(timespan_steps) / sizeof(timespan_steps[0]);
	int64_t c = 0;

	int64_t years;

	for (size_t i = 0; i < n; i++) {
		*out = timespan_steps[i];
		c = timespan_count(out, start, end);
		if (c <= max_buckets)
			return c;
	}
	/* Longer than max_buckets years: buckets of several years, aligned
	 * to multiples of them since 1970. */
	if (max_buckets < 1)
		max_buckets = 1;
	for (years = c / max_buckets; years < INT32_MAX / 12; years++) {
		if (years < 2)
			continue;
		out->ts_ms = 0;
		out->ts_months = (int)(years * 12);
		snprintf(out->ts_label, sizeof(out->ts_label), "%lldy",
		    (long long)years);
		c = timespan_count(out, start, end);
		if (c <= max_buckets)
			break;
	}
	return c;
}
