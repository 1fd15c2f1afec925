/* timespan.h - calendar-aligned time buckets for timelines and timechart. */
#ifndef AR_TIMESPAN_H
#define AR_TIMESPAN_H

#include <stdint.h>

/* A bucket width: a fixed number of ms, or a number of calendar months. */
struct timespan {
	int64_t ts_ms;		/* > 0 for s, m, h, d, w */
	int ts_months;		/* > 0 for M (1) and y (12) */
	char ts_label[16];	/* "30s", "1h", "1M", "1y" */
};

/*
 * Picks the smallest of 1s 5s 10s 30s 1m 5m 10m 30m 1h 3h 12h 1d 1w 1M 1y
 * that cuts [start, end) into at most max_buckets aligned buckets; when
 * none does, the fewest whole years ("2y", "10y", ...) that do. Returns the
 * number of buckets.
 */
int64_t timespan_auto(int64_t start, int64_t end, int64_t max_buckets,
    struct timespan *out);

/* Returns the start of the bucket holding t: aligned in UTC, weeks to
 * Monday, months to the 1st, years to January 1st. */
int64_t timespan_floor(const struct timespan *, int64_t t);
/* Returns the start of the bucket after the one starting at b. */
int64_t timespan_next(const struct timespan *, int64_t b);
/* Returns the number of buckets from the one holding start to the one
 * holding end - 1 (0 when end <= start). */
int64_t timespan_count(const struct timespan *, int64_t start, int64_t end);

#endif
