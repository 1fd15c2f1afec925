/* timeline.c - counts of matched events per aligned bucket of the range. */
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/timespan.h"
#include "common/timeutil.h"
#include "runner/taskstats.h"

struct timeline {
	struct timespan tl_span;
	int64_t tl_start;	/* first bucket start (aligned) */
	int64_t tl_range_start;
	int64_t tl_range_end;
	uint64_t *tl_counts;
	int64_t tl_n;
	int64_t *tl_starts;	/* bucket starts (calendar spans vary) */
	char *tl_field;
};

struct timeline *
timeline_new(int64_t start, int64_t end, int64_t max_buckets,
    const char *dt_field)
{
	struct timeline *tl = calloc(1, sizeof(*tl));
	int64_t b;

	if (tl == NULL)
		return NULL;
	tl->tl_range_start = start;
	tl->tl_range_end = end;
	tl->tl_n = timespan_auto(start, end, max_buckets, &tl->tl_span);
	tl->tl_counts = calloc((size_t)tl->tl_n + 1, sizeof(*tl->tl_counts));
	tl->tl_starts = calloc((size_t)tl->tl_n + 1, sizeof(*tl->tl_starts));
	tl->tl_field = strdup(dt_field);
	if (!tl->tl_counts || !tl->tl_starts || !tl->tl_field) {
		timeline_free(tl);
		return NULL;
	}
	b = tl->tl_start = timespan_floor(&tl->tl_span, start);
	for (int64_t i = 0; i < tl->tl_n; i++) {
		tl->tl_starts[i] = b;
		b = timespan_next(&tl->tl_span, b);
	}
	return tl;
}

void
timeline_free(struct timeline *tl)
{
	if (tl == NULL)
		return;
	free(tl->tl_counts);
	free(tl->tl_starts);
	free(tl->tl_field);
	free(tl);
}

void
timeline_add(struct timeline *tl, int64_t t)
{
	int64_t lo = 0, hi = tl->tl_n - 1;

	if (t < tl->tl_range_start || t >= tl->tl_range_end || tl->tl_n == 0)
		return;
	if (tl->tl_span.ts_months == 0) {
		lo = (timespan_floor(&tl->tl_span, t) - tl->tl_start) /
		    tl->tl_span.ts_ms;
	} else {
		/* Months differ in length: binary search the starts. */
		while (lo < hi) {
			int64_t mid = (lo + hi + 1) / 2;
			if (tl->tl_starts[mid] <= t)
				lo = mid;
			else
				hi = mid - 1;
		}
	}
	if (lo >= 0 && lo < tl->tl_n)
		tl->tl_counts[lo]++;
}

char *
timeline_json(struct timeline *tl, size_t *len)
{
	struct buf b = BUF_INIT;
	char when[32];
	int fail = 0;

	fail |= buf_printf(&b, "{\"interval\":\"%s\",\"fields\":[",
	    tl->tl_span.ts_label);
	for (int64_t i = 0; i < tl->tl_n && !fail; i++) {
		fail |= buf_puts(&b, i ? ",{" : "{");
		fail |= buf_json_str(&b, tl->tl_field, strlen(tl->tl_field));
		fail |= buf_printf(&b, ":\"%s\",\"count\":%llu}",
		    time_format_iso(tl->tl_starts[i], when),
		    (unsigned long long)tl->tl_counts[i]);
	}
	fail |= buf_puts(&b, "]}");
	if (fail) {
		buf_free(&b);
		return NULL;
	}
	*len = b.b_len;
	return b.b_data;
}
