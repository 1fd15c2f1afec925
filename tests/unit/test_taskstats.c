/* test_taskstats.c - sidebar, timeline and cost documents, exactly. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/timespan.h"
#include "common/timeutil.h"
#include "runner/taskstats.h"
#include "sml/sml.h"
#include "store/store.h"
#include "tap.h"

static int64_t
iso(const char *s)
{
	int64_t ms = 0;

	time_parse_iso(s, strlen(s), &ms);
	return ms;
}

static void
add(struct sidebar *sb, const char *json)
{
	sidebar_add(sb, json, strlen(json));
}

static char *
timeline_of(int64_t start, int64_t end, int64_t max, const int64_t *times,
    size_t n)
{
	struct timeline *tl = timeline_new(start, end, max, "@timestamp");
	size_t len;
	char *out;

	for (size_t i = 0; i < n; i++)
		timeline_add(tl, times[i]);
	out = timeline_json(tl, &len);
	timeline_free(tl);
	return out;
}

int
main(void)
{
	struct sidebar *sb;
	struct timespan ts;
	size_t len;
	char *doc, line[128];

	/* The example of spec/api.md. */
	sb = sidebar_new(10, 10000);
	add(sb, "{\"EventID\":1,\"Hostname\":\"WORKSTATION5\"}");
	add(sb, "{\"EventID\":3,\"Hostname\":\"WORKSTATION5\"}");
	add(sb, "{\"EventID\":1,\"Hostname\":\"WORKSTATION5\"}");
	add(sb, "{\"EventID\":3,\"Hostname\":\"WORKSTATION5\"}");
	add(sb, "{\"EventID\":1,\"Hostname\":\"WORKSTATION5\"}");
	doc = sidebar_json(sb, &len);
	is_str(doc, "{\"totalEvents\":5,\"fields\":["
	    "{\"name\":\"EventID\",\"type\":\"number\",\"count\":5,"
	    "\"distinct\":2,\"top\":[{\"value\":1,\"count\":3,"
	    "\"percent\":60.0},{\"value\":3,\"count\":2,\"percent\":40.0}],"
	    "\"min\":1,\"max\":3,\"avg\":1.8},"
	    "{\"name\":\"Hostname\",\"type\":\"string\",\"count\":5,"
	    "\"distinct\":1,\"top\":[{\"value\":\"WORKSTATION5\",\"count\":5,"
	    "\"percent\":100.0}]}]}", "sidebar of the spec's example");
	free(doc);
	sidebar_free(sb);

	/* Nested names, types, nulls, ties ordered by value, top limit. */
	sb = sidebar_new(2, 10000);
	add(sb, "{\"p\":{\"name\":\"b\",\"pid\":2},\"x\":null,"
	    "\"m\":1,\"t\":[1,2],\"e\":{}}");
	add(sb, "{\"p\":{\"name\":\"a\",\"pid\":2.5},\"m\":\"one\","
	    "\"t\":[1,2],\"b\":true}");
	add(sb, "{\"p\":{\"name\":\"c\"}}");
	doc = sidebar_json(sb, &len);
	is_str(doc, "{\"totalEvents\":3,\"fields\":["
	    "{\"name\":\"b\",\"type\":\"boolean\",\"count\":1,\"distinct\":1,"
	    "\"top\":[{\"value\":true,\"count\":1,\"percent\":100.0}]},"
	    "{\"name\":\"e\",\"type\":\"object\",\"count\":1,\"distinct\":1,"
	    "\"top\":[{\"value\":{},\"count\":1,\"percent\":100.0}]},"
	    "{\"name\":\"m\",\"type\":\"mixed\",\"count\":2,\"distinct\":2,"
	    "\"top\":[{\"value\":1,\"count\":1,\"percent\":50.0},"
	    "{\"value\":\"one\",\"count\":1,\"percent\":50.0}]},"
	    "{\"name\":\"p.name\",\"type\":\"string\",\"count\":3,"
	    "\"distinct\":3,\"top\":[{\"value\":\"a\",\"count\":1,"
	    "\"percent\":33.333333333333336},{\"value\":\"b\",\"count\":1,"
	    "\"percent\":33.333333333333336}]},"
	    "{\"name\":\"p.pid\",\"type\":\"number\",\"count\":2,"
	    "\"distinct\":2,\"top\":[{\"value\":2,\"count\":1,"
	    "\"percent\":50.0},{\"value\":2.5,\"count\":1,\"percent\":50.0}],"
	    "\"min\":2,\"max\":2.5,\"avg\":2.25},"
	    "{\"name\":\"t\",\"type\":\"array\",\"count\":2,\"distinct\":1,"
	    "\"top\":[{\"value\":[1,2],\"count\":2,\"percent\":100.0}]}]}",
	    "sidebar: nested names, every type, null skipped, top limited");
	free(doc);
	sidebar_free(sb);

	/* Read from the text: equal values written differently count as one
	 * (escapes, "1.50" and "1.5", spacing in arrays); escaped keys;
	 * results that are not JSON objects, and numbers out of range, are
	 * not counted; a "\\u0000" is a string like any other. */
	sb = sidebar_new(10, 10000);
	add(sb, "{\"s\":\"\\u00e9t\\u00e9\",\"n\":1.50,\"a\":[1, 2],"
	    "\"k\\u0031\":{ \"x\" : -0 },\"q\":\"say \\\"hi\\\"\"}");
	add(sb, " {\"s\":\"\xc3\xa9t\xc3\xa9\",\"n\":1.5,\"a\":[1,2],"
	    "\"k1\":{\"x\":0},\"q\":\"say \\u0022hi\\\"\"} ");
	add(sb, "{\"n\":1e999,\"s\":\"\\u0000\",\"a\":[99999999999999999999]}");
	add(sb, "[1,2]");
	add(sb, "{\"broken\":");
	add(sb, "{\"x\":1} trailing");
	doc = sidebar_json(sb, &len);
	is_str(doc, "{\"totalEvents\":3,\"fields\":["
	    "{\"name\":\"a\",\"type\":\"array\",\"count\":2,\"distinct\":1,"
	    "\"top\":[{\"value\":[1,2],\"count\":2,\"percent\":100.0}]},"
	    "{\"name\":\"k1.x\",\"type\":\"number\",\"count\":2,"
	    "\"distinct\":1,\"top\":[{\"value\":0,\"count\":2,"
	    "\"percent\":100.0}],\"min\":0,\"max\":0,\"avg\":0.0},"
	    "{\"name\":\"n\",\"type\":\"number\",\"count\":2,\"distinct\":1,"
	    "\"top\":[{\"value\":1.5,\"count\":2,\"percent\":100.0}],"
	    "\"min\":1.5,\"max\":1.5,\"avg\":1.5},"
	    "{\"name\":\"q\",\"type\":\"string\",\"count\":2,\"distinct\":1,"
	    "\"top\":[{\"value\":\"say \\\"hi\\\"\",\"count\":2,"
	    "\"percent\":100.0}]},"
	    "{\"name\":\"s\",\"type\":\"string\",\"count\":3,\"distinct\":2,"
	    "\"top\":[{\"value\":\"\xc3\xa9t\xc3\xa9\",\"count\":2,"
	    "\"percent\":66.66666666666667},{\"value\":\"\\u0000\",\"count\":1,"
	    "\"percent\":33.333333333333336}]}]}",
	    "sidebar read from the text: one value however it is written");
	free(doc);
	sidebar_free(sb);

	/* The worker thread gives the same sidebar as feeding it directly,
	 * through a queue far smaller than the pages pushed. */
	{
		struct sidebar *direct = sidebar_new(10, 100);
		struct sidebar *threaded = sidebar_new(10, 100);
		struct sbworker *w = sbworker_start(threaded, 4096);
		char *d1, *d2;
		int pushed = 0;

		for (int p = 0; p < 50; p++) {
			struct buf page = BUF_INIT, text = BUF_INIT;
			uint32_t count = 40, offs[40];

			for (uint32_t i = 0; i < count; i++) {
				char ev[160];
				int n = snprintf(ev, sizeof(ev),
				    "{\"p\":%d,\"i\":%u,\"u\":\"v%d\","
				    "\"o\":{\"k\":%.1f}}", p, i, p * 40 + (int)i,
				    (p % 7) / 2.0);

				offs[i] = (uint32_t)text.b_len;
				buf_append(&text, ev, (size_t)n);
				add(direct, ev);
			}
			buf_append(&page, &count, 4);
			buf_append(&page, offs, sizeof(offs));
			buf_append(&page, text.b_data, text.b_len);
			buf_free(&text);
			pushed += sbworker_push(w, page.b_data, page.b_len) == 0;
		}
		is_int(pushed, 50, "worker: 50 pages pushed");
		is_int(sbworker_finish(w), 0, "worker: finished");
		d1 = sidebar_json(direct, &len);
		d2 = sidebar_json(threaded, &len);
		ok(d1 && d2 && strcmp(d1, d2) == 0 &&
		    strstr(d1, "\"totalEvents\":2000,") != NULL,
		    "worker: same sidebar as direct feeding (2000 results)");
		free(d1);
		free(d2);
		sidebar_free(direct);
		sidebar_free(threaded);
	}

	/* A million distinct values: bounded memory, estimate within 2 %. */
	sb = sidebar_new(10, 10000);
	for (int i = 0; i < 1000000; i++) {
		int n = snprintf(line, sizeof(line), "{\"u\":\"user-%d\","
		    "\"k\":%d}", i, i % 7);
		sidebar_add(sb, line, (size_t)n);
	}
	ok(sidebar_memory(sb) < 64u << 20, "1M distinct values: %zu bytes "
	    "held (< 64 MiB)", sidebar_memory(sb));
	doc = sidebar_json(sb, &len);
	{
		const char *d = strstr(doc, "\"name\":\"u\"");
		unsigned long long est = 0;

		if (d && (d = strstr(d, "\"distinct\":")))
			est = strtoull(d + 11, NULL, 10);
		ok(est > 980000 && est < 1020000, "distinct estimate %llu "
		    "within 2%% of 1000000", est);
		ok(strstr(doc, "\"name\":\"u\",\"type\":\"string\","
		    "\"count\":1000000,\"distinct\":") != NULL &&
		    strstr(doc, "\"distinctIsEstimate\":true") != NULL,
		    "estimate flagged distinctIsEstimate");
		ok(strstr(doc, "{\"name\":\"k\",\"type\":\"number\","
		    "\"count\":1000000,\"distinct\":7,\"top\":[{\"value\":0,"
		    "\"count\":142858,") != NULL, "low-cardinality field exact "
		    "beside it");
	}
	free(doc);
	sidebar_free(sb);

	/* Interval choice and alignment. */
	is_int(timespan_auto(iso("2026-11-28T10:00:00Z"),
	    iso("2026-11-28T10:15:00Z"), 200, &ts), 180, "15 min: 180 buckets");
	is_str(ts.ts_label, "5s", "15 min: 5s");
	is_int(timespan_auto(iso("2026-11-27T10:00:00Z"),
	    iso("2026-11-28T10:00:00Z"), 200, &ts), 144, "1 day: 144 buckets");
	is_str(ts.ts_label, "10m", "1 day: 10m");
	is_int(timespan_auto(iso("2025-11-28T10:00:00Z"),
	    iso("2026-11-28T10:00:00Z"), 200, &ts), 53, "1 year, 200 max: 53");
	is_str(ts.ts_label, "1w", "1 year, 200 max: weekly");
	is_int(timespan_floor(&ts, iso("2026-11-28T10:00:00Z")),
	    iso("2026-11-23T00:00:00Z"), "weeks start on Monday");
	is_int(timespan_auto(iso("2025-11-28T10:00:00Z"),
	    iso("2026-11-28T10:00:00Z"), 50, &ts), 13, "1 year, 50 max: 13");
	is_str(ts.ts_label, "1M", "1 year, 50 max: monthly");
	is_int(timespan_floor(&ts, iso("2026-02-28T23:59:59Z")),
	    iso("2026-02-01T00:00:00Z"), "months start on the 1st");
	is_int(timespan_next(&ts, iso("2026-01-01T00:00:00Z")),
	    iso("2026-02-01T00:00:00Z"), "next month");
	is_int(timespan_floor(&ts, iso("1969-12-31T23:00:00Z")),
	    iso("1969-12-01T00:00:00Z"), "month before the epoch");

	/* Longer than max_buckets years: several years a bucket. */
	is_int(timespan_auto(0, iso("2026-06-01T00:00:00Z"), 2, &ts), 2,
	    "1970..2026, 2 max: 2 buckets");
	is_str(ts.ts_label, "29y", "1970..2026, 2 max: 29y");
	is_int(timespan_auto(0, iso("2500-01-01T00:00:00Z"), 200, &ts), 177,
	    "1970..2500, 200 max: 177 buckets");
	is_str(ts.ts_label, "3y", "1970..2500, 200 max: 3y");
	{
		int64_t t[] = {iso("1980-05-01T00:00:00Z"),
		    iso("2025-12-31T23:59:59Z")};

		doc = timeline_of(0, iso("2026-06-01T00:00:00Z"), 2, t, 2);
		is_str(doc, "{\"interval\":\"29y\",\"fields\":["
		    "{\"@timestamp\":\"1970-01-01T00:00:00.000Z\",\"count\":1},"
		    "{\"@timestamp\":\"1999-01-01T00:00:00.000Z\",\"count\":1}]}",
		    "timeline over 56 years in 2 buckets keeps every event");
		free(doc);
	}

	/* Timeline documents: zero-filled, keyed by the dt field. */
	{
		int64_t t[] = {iso("2026-11-28T10:00:00Z"),
		    iso("2026-11-28T10:00:29.999Z"),
		    iso("2026-11-28T10:01:15Z"), iso("2026-11-28T10:02:00Z"),
		    iso("2026-11-28T09:59:59Z")};

		doc = timeline_of(iso("2026-11-28T10:00:00Z"),
		    iso("2026-11-28T10:02:00Z"), 4, t, 5);
		is_str(doc, "{\"interval\":\"30s\",\"fields\":["
		    "{\"@timestamp\":\"2026-11-28T10:00:00.000Z\",\"count\":2},"
		    "{\"@timestamp\":\"2026-11-28T10:00:30.000Z\",\"count\":0},"
		    "{\"@timestamp\":\"2026-11-28T10:01:00.000Z\",\"count\":1},"
		    "{\"@timestamp\":\"2026-11-28T10:01:30.000Z\",\"count\":0}]}",
		    "timeline: 30s, zero-filled, range end excluded");
		free(doc);
	}
	{
		int64_t t[] = {iso("2025-12-31T23:59:59Z"),
		    iso("2026-01-01T00:00:00Z"), iso("2026-02-15T00:00:00Z"),
		    iso("2026-03-31T12:00:00Z")};

		doc = timeline_of(iso("2025-12-15T00:00:00Z"),
		    iso("2026-04-01T00:00:00Z"), 4, t, 4);
		is_str(doc, "{\"interval\":\"1M\",\"fields\":["
		    "{\"@timestamp\":\"2025-12-01T00:00:00.000Z\",\"count\":1},"
		    "{\"@timestamp\":\"2026-01-01T00:00:00.000Z\",\"count\":1},"
		    "{\"@timestamp\":\"2026-02-01T00:00:00.000Z\",\"count\":1},"
		    "{\"@timestamp\":\"2026-03-01T00:00:00.000Z\",\"count\":1}]}",
		    "timeline: months aligned to the 1st");
		free(doc);
	}

	/* Cost document: exact shape, command texts cut from the query. */
	{
		struct sml_cmd_cost cc[2] = {
			{"source", 0, 12, 2.5, 0, 10, 4096, 0},
			{"head", 15, 6, 0.25, 10, 3, 0, 0},
		};
		struct sml_index_cost ic = {"i*", "idx", 10};
		struct sml_cost co = {cc, 2, &ic, 1, 3.0};
		struct task t;

		memset(&t, 0, sizeof(t));
		t.t_query = "source idx*  | head 3";
		t.t_created = 1000;
		t.t_started = 1250;
		t.t_pages = 1;
		t.t_result_bytes = 99;
		doc = cost_json(&co, &t, 0, &len);
		is_str(doc, "{\"level\":\"INFO\",\"totalMs\":3.000,\"commands\":["
		    "{\"command\":\"source\",\"text\":\"source idx* \",\"ms\":2.500,"
		    "\"eventsIn\":0,\"eventsOut\":10},{\"command\":\"head\","
		    "\"text\":\"head 3\",\"ms\":0.250,\"eventsIn\":10,"
		    "\"eventsOut\":3}]}", "cost at INFO");
		free(doc);
		doc = cost_json(&co, &t, 1, &len);
		ok(doc && strstr(doc, "\"bytesRead\":4096,\"peakMemoryBytes\":0") &&
		    strstr(doc, "\"indices\":[{\"pattern\":\"i*\",\"index\":"
		    "\"idx\",\"eventsScanned\":10}],\"resultPages\":1,"
		    "\"resultBytes\":99,\"queueMs\":250,\"peakMemoryBytes\":"),
		    "cost at DEBUG adds bytes, memory, indices, pages, queue");
		free(doc);
	}
	return done_testing();
}
