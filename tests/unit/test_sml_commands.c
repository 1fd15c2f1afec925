/* test_sml_commands.c - the commands as pipeline stages, end to end. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/timeutil.h"
#include "sml/sml.h"
#include "store/events.h"
#include "tap.h"

/*
 * Each query is parsed and run by sml_run over a real event store (LMDB in
 * a temporary directory) holding the small data sets below, or over
 * makeresults; the results (one compact JSON object per line), the task log
 * and the error are compared exactly. TEST_SHOW=1 prints every output.
 */

#define MAP_SIZE	(64ULL << 20)
#define T0		"2026-01-01T00:00:00Z"	/* the task range start */

/*
 * Index "ev": ids 0..9, newest first in id order (id i at 01:30 - 10*i
 * minutes), so `source ev` gives them in id order.
 */
static const char *ev_data[] = {
	"{\"@timestamp\":\"2026-01-01T01:30:00Z\",\"id\":0,\"host\":\"a\",\"n\":5,\"f\":1.5,\"user\":\"u1\",\"tags\":[\"p\",\"q\"],\"st\":\"200\"}",
	"{\"@timestamp\":\"2026-01-01T01:20:00Z\",\"id\":1,\"host\":\"b\",\"n\":3,\"f\":0.5,\"user\":\"u2\",\"tags\":[]}",
	"{\"@timestamp\":\"2026-01-01T01:10:00Z\",\"id\":2,\"host\":\"a\",\"n\":10,\"f\":2.0,\"user\":null,\"tags\":[\"q\"]}",
	"{\"@timestamp\":\"2026-01-01T01:00:00Z\",\"id\":3,\"host\":\"c\",\"n\":\"7\",\"f\":0.25,\"tags\":[\"p\",\"p\"]}",
	"{\"@timestamp\":\"2026-01-01T00:50:00Z\",\"id\":4,\"host\":\"b\",\"n\":\"x\",\"f\":1.0,\"user\":\"u1\"}",
	"{\"@timestamp\":\"2026-01-01T00:40:00Z\",\"id\":5,\"host\":\"a\",\"n\":1,\"user\":\"u3\",\"geo\":{\"c\":\"DE\",\"city\":\"B\"}}",
	"{\"@timestamp\":\"2026-01-01T00:30:00Z\",\"id\":6,\"n\":2,\"user\":\"u2\"}",
	"{\"@timestamp\":\"2026-01-01T00:20:00Z\",\"id\":7,\"host\":null,\"n\":8,\"user\":\"u1\"}",
	"{\"@timestamp\":\"2026-01-01T00:10:00Z\",\"id\":8,\"host\":\"c\",\"n\":4,\"f\":3.5,\"user\":\"u4\",\"geo\":{\"c\":\"FR\",\"city\":\"P\"}}",
	"{\"@timestamp\":\"2026-01-01T00:00:00Z\",\"id\":9,\"host\":\"a\",\"n\":6,\"f\":0.75,\"user\":\"u1\"}",
};

/* Index "nest": nested objects, a top-level dotted key, odd names. */
static const char *nest_data[] = {
	"{\"@timestamp\":\"2026-01-01T00:02:00Z\",\"id\":0,\"process\":{\"name\":\"cmd.exe\",\"pid\":4},\"a.b\":\"top\",\"a\":{\"b\":\"deep\"}}",
	"{\"@timestamp\":\"2026-01-01T00:01:00Z\",\"id\":1,\"process\":{\"name\":\"sh\"},\"x_1\":1,\"x_2\":2}",
};

static struct evstore *es;
static int show;

/* Loads the events of data (their time: their @timestamp) into index. */
static int
load(const char *index, const char **data, size_t n)
{
	struct evstore_ingest *in;
	char err[256];
	int64_t t;

	if (evstore_ingest_begin(es, index, "@timestamp", &in, err,
	    sizeof(err)) == -1)
		return -1;
	for (size_t i = 0; i < n; i++) {
		const char *p = strstr(data[i], "\"@timestamp\":\"") + 14;

		if (time_parse_iso(p, 20, &t) == -1 ||
		    evstore_ingest_add(in, t, data[i], strlen(data[i]), err,
		    sizeof(err)) == -1) {
			evstore_ingest_end(in, NULL, 0);
			return -1;
		}
	}
	return evstore_ingest_end(in, err, sizeof(err));
}

/* What a run gave. */
struct res {
	struct buf r_out;	/* results, one per line */
	struct buf r_log;	/* "WARN: msg" lines */
	int r_rc;		/* enum sml_run_result, or 9 for a parse error */
	char r_err[512];
	uint64_t r_scanned;
	int r_polls;		/* sx_poll calls */
	int r_stop_after;	/* sx_poll says stop after this many (0 never) */
};

static int
res_emit(void *arg, const char *json, size_t len)
{
	struct res *r = arg;

	buf_append(&r->r_out, json, len);
	buf_putc(&r->r_out, '\n');
	return 0;
}

static void
res_log(void *arg, enum sml_log_level lvl, const char *msg)
{
	static const char *names[] = { "DEBUG", "INFO", "WARN", "ERROR" };
	struct res *r = arg;

	if (lvl >= SML_LOG_WARN)
		buf_printf(&r->r_log, "%s: %s\n", names[lvl], msg);
}

static int
res_poll(void *arg, uint64_t scanned, double progress)
{
	struct res *r = arg;

	(void)scanned;
	(void)progress;
	r->r_polls++;
	return r->r_stop_after > 0 && r->r_polls >= r->r_stop_after;
}

static const struct sml_run_limits default_limits = {
	10000, 100, 100000, 512u << 20, 200
};

/* Runs query with limits lim (NULL: the defaults) into r. */
static void
run_into(struct res *r, const char *query, const struct sml_run_limits *lim)
{
	struct sml_limits pl = { 1000000, 100000 };
	struct sml_query *q;
	struct sml_error perr;
	struct sml_ctx ctx;
	int64_t t;

	buf_reset(&r->r_out);
	buf_reset(&r->r_log);
	buf_puts(&r->r_out, "");
	buf_puts(&r->r_log, "");
	r->r_err[0] = '\0';
	r->r_polls = 0;
	if (sml_parse(query, strlen(query), &pl, &q, &perr) == -1) {
		r->r_rc = 9;
		snprintf(r->r_err, sizeof(r->r_err), "parse: %s", perr.se_msg);
		return;
	}
	memset(&ctx, 0, sizeof(ctx));
	ctx.sx_events = es;
	time_parse_iso("2026-01-01T03:00:00Z", 20, &t);
	ctx.sx_now = t;
	time_parse_iso(T0, 20, &ctx.sx_range_start);
	time_parse_iso("2026-01-01T04:00:00Z", 20, &ctx.sx_range_end);
	ctx.sx_dt_field = "@timestamp";
	ctx.sx_limits = lim ? lim : &default_limits;
	ctx.sx_arg = r;
	ctx.sx_emit = res_emit;
	ctx.sx_log = res_log;
	ctx.sx_poll = res_poll;
	r->r_rc = sml_run(q, &ctx, &r->r_scanned, r->r_err, sizeof(r->r_err));
	sml_query_free(q);
	if (show)
		printf("# %s\n# rc %d err '%s'\n%s%s", query, r->r_rc, r->r_err,
		    r->r_out.b_data, r->r_log.b_data);
}

static struct res R;

/* The results of query, newline-terminated lines ("error: ..." when it
 * failed). */
static const char *
run_lim(const char *query, const struct sml_run_limits *lim)
{
	static struct buf b;

	run_into(&R, query, lim);
	buf_reset(&b);
	if (R.r_rc == SML_RUN_ERROR || R.r_rc == 9)
		buf_printf(&b, "error: %s", R.r_err);
	else
		buf_puts(&b, R.r_out.b_data);
	return b.b_data;
}

static const char *
run(const char *query)
{
	return run_lim(query, NULL);
}

/* One query and its exact output. */
#define Q(query, want) is_str(run(query), want, "%s", query)
#define QL(lim, query, want) is_str(run_lim(query, lim), want, "%s", query)

/* ---- search, where ---- */

static void
test_filter(void)
{
	Q("source ev | search host=a | fields id",
	    "{\"id\":0}\n{\"id\":2}\n{\"id\":5}\n{\"id\":9}\n");
	Q("source ev | search NOT host=a user=u1 | fields id",
	    "{\"id\":4}\n{\"id\":7}\n");
	Q("source ev | search n>5 | fields id",
	    "{\"id\":2}\n{\"id\":3}\n{\"id\":7}\n{\"id\":9}\n");
	Q("source ev | search tags=p | fields id",
	    "{\"id\":0}\n{\"id\":3}\n");
	Q("source ev | where n > 5 AND isnum(n) | fields id",
	    "{\"id\":2}\n{\"id\":3}\n{\"id\":7}\n{\"id\":9}\n");
	Q("source ev | where isnull(host) | fields id",
	    "{\"id\":6}\n{\"id\":7}\n");
	Q("source ev | where geo.c == \"FR\" | fields id", "{\"id\":8}\n");
	Q("source ev | where nosuch > 1", "");
}

/* ---- head, tail ---- */

static void
test_head_tail(void)
{
	Q("source ev | head 2 | fields id", "{\"id\":0}\n{\"id\":1}\n");
	is_int(R.r_scanned, 2, "head stops the source after 2 events");
	Q("source ev | head 0", "");
	Q("source ev | search host=c | head 5 | fields id",
	    "{\"id\":3}\n{\"id\":8}\n");
	Q("| makeresults count=1000000 | head 3 | stats count",
	    "{\"count\":3}\n");
	Q("source ev | tail 3 | fields id",
	    "{\"id\":7}\n{\"id\":8}\n{\"id\":9}\n");
	Q("source ev | tail 0", "");
	Q("source ev | head 4 | tail 100 | fields id",
	    "{\"id\":0}\n{\"id\":1}\n{\"id\":2}\n{\"id\":3}\n");
	Q("source ev | tail 2 | head 1 | fields id", "{\"id\":8}\n");
}

/* ---- dedup ---- */

static void
test_dedup(void)
{
	Q("source ev | dedup host | fields id",
	    "{\"id\":0}\n{\"id\":1}\n{\"id\":3}\n");
	Q("source ev | dedup 2 host | fields id",
	    "{\"id\":0}\n{\"id\":1}\n{\"id\":2}\n{\"id\":3}\n{\"id\":4}\n"
	    "{\"id\":8}\n");
	Q("source ev | dedup host keepempty=true | fields id",
	    "{\"id\":0}\n{\"id\":1}\n{\"id\":3}\n{\"id\":6}\n{\"id\":7}\n");
	Q("source ev | dedup host, user | fields id",
	    "{\"id\":0}\n{\"id\":1}\n{\"id\":4}\n{\"id\":5}\n{\"id\":8}\n");
	/* "7" and 7 are different values; arrays are one value. */
	Q("| makeresults count=4 shownumbers=true | eval v = case(number == 1, 7, number == 2, \"7\", number == 3, 7, number == 4, split(\"a,b\", \",\")) | dedup v | table number, v",
	    "{\"number\":1,\"v\":7}\n{\"number\":2,\"v\":\"7\"}\n"
	    "{\"number\":4,\"v\":[\"a\",\"b\"]}\n");
	Q("source nest | dedup process.name | fields id",
	    "{\"id\":0}\n{\"id\":1}\n");
}

/* ---- eval, fields, table, rename ---- */

static void
test_fields(void)
{
	Q("| makeresults | eval a = 1, b = a + 1, a = b * 10, c = null | fields a, b, c",
	    "{\"a\":20,\"b\":2}\n");
	Q("source ev | head 1 | eval host = null, n = n * 2 | fields - @timestamp, tags",
	    "{\"id\":0,\"n\":10,\"f\":1.5,\"user\":\"u1\",\"st\":\"200\"}\n");
	Q("source ev | head 1 | fields st, id, nosuch",
	    "{\"id\":0,\"st\":\"200\"}\n");
	Q("source ev | search id=5 | fields - *e*, @*",
	    "{\"id\":5,\"host\":\"a\",\"n\":1}\n");
	Q("source ev | search id=5 | fields geo.c, id",
	    "{\"id\":5,\"geo\":{\"c\":\"DE\"}}\n");
	Q("source ev | search id=5 | fields - geo.c, @timestamp, user",
	    "{\"id\":5,\"host\":\"a\",\"n\":1,\"geo\":{\"city\":\"B\"}}\n");
	Q("source nest | head 1 | fields proc*, a.b",
	    "{\"process\":{\"name\":\"cmd.exe\",\"pid\":4},\"a.b\":\"top\"}\n");
	Q("source ev | search id=5 OR id=6 | table user, host, geo.city, nosuch",
	    "{\"user\":\"u3\",\"host\":\"a\",\"geo.city\":\"B\",\"nosuch\":null}\n"
	    "{\"user\":\"u2\",\"host\":null,\"geo.city\":null,\"nosuch\":null}\n");
	Q("source nest | table x_*, id",
	    "{\"id\":0}\n{\"x_1\":1,\"x_2\":2,\"id\":1}\n");
	Q("source nest | head 1 | table process.*",
	    "{\"process.name\":\"cmd.exe\",\"process.pid\":4}\n");
	Q("source ev | head 1 | rename host AS h, n AS id | fields - @timestamp, tags, f, st",
	    "{\"h\":\"a\",\"id\":5,\"user\":\"u1\"}\n");
	Q("source nest | rename x_* AS y_*, process.* AS p_* | fields - @timestamp",
	    "{\"id\":0,\"a.b\":\"top\",\"a\":{\"b\":\"deep\"},\"p_name\":\"cmd.exe\",\"p_pid\":4}\n"
	    "{\"id\":1,\"y_1\":1,\"y_2\":2,\"p_name\":\"sh\"}\n");
	Q("source nest | head 1 | rename a.b AS ab, process.name AS pn | table ab, a, pn, process",
	    "{\"ab\":\"top\",\"a\":{\"b\":\"deep\"},\"pn\":\"cmd.exe\",\"process\":{\"pid\":4}}\n");
	Q("| makeresults | eval src_ip = 1, dst_ip = 2 | rename *_ip AS ip_*, nosuch AS x | fields - @timestamp",
	    "{\"ip_src\":1,\"ip_dst\":2}\n");
}

/* ---- fillnull, replace ---- */

static void
test_fill_replace(void)
{
	Q("source ev | search id<3 | fillnull value=none user, nosuch | table id, user, nosuch",
	    "{\"id\":0,\"user\":\"u1\",\"nosuch\":\"none\"}\n"
	    "{\"id\":1,\"user\":\"u2\",\"nosuch\":\"none\"}\n"
	    "{\"id\":2,\"user\":\"none\",\"nosuch\":\"none\"}\n");
	Q("| makeresults count=3 shownumbers=true | eval a = if(number == 2, 5, null), b = if(number == 3, 7, null) | fillnull | fields - @timestamp",
	    "{\"number\":1}\n{\"number\":2,\"a\":5}\n{\"number\":3,\"b\":7,\"a\":0}\n");
	Q("| makeresults | eval a = null, b = 1 | fillnull value=2.5 a, geo.x | fields - @timestamp",
	    "{\"b\":1,\"a\":2.5,\"geo.x\":2.5}\n");
	Q("source ev | head 3 | replace \"a\" WITH \"A\", \"b\" WITH \"B\" IN host | table host",
	    "{\"host\":\"A\"}\n{\"host\":\"B\"}\n{\"host\":\"A\"}\n");
	Q("source ev | head 1 | replace \"u*\" WITH \"user-*\", \"20*\" WITH \"*!\" | fields user, st, tags",
	    "{\"user\":\"user-1\",\"tags\":[\"p\",\"q\"],\"st\":\"0!\"}\n");
	Q("source ev | head 1 | replace \"p\" WITH \"P\" IN tags | table tags",
	    "{\"tags\":[\"P\",\"q\"]}\n");
	Q("source ev | search id=5 | replace \"D*\" WITH \"d*\" IN geo.c | table geo",
	    "{\"geo\":{\"c\":\"dE\",\"city\":\"B\"}}\n");
	Q("source ev | head 1 | replace \"5\" WITH \"five\" IN n | table n",
	    "{\"n\":\"five\"}\n");
}

/* ---- rex ---- */

static void
test_rex(void)
{
	Q("source ev | head 3 | rex field=user \"u(?<num>\\d)\" | table id, num",
	    "{\"id\":0,\"num\":\"1\"}\n{\"id\":1,\"num\":\"2\"}\n"
	    "{\"id\":2,\"num\":null}\n");
	Q("source ev | head 2 | rex \"\\\"host\\\":\\\"(?<h>\\w+)\\\",\\\"n\\\":(?<nn>\\d+)\" | table h, nn",
	    "{\"h\":\"a\",\"nn\":\"5\"}\n{\"h\":\"b\",\"nn\":\"3\"}\n");
	Q("source ev | head 1 | rex field=tags \"(?<t>q)\" | table t",
	    "{\"t\":\"q\"}\n");
	Q("source ev | head 1 | rex field=id \"(?<a>x)?(?<b>0)\" | table a, b",
	    "{\"a\":null,\"b\":\"0\"}\n");
}

/* ---- bin ---- */

static void
test_bin(void)
{
	Q("source ev | head 3 | bin span=1h @timestamp | table @timestamp",
	    "{\"@timestamp\":\"2026-01-01T01:00:00.000Z\"}\n"
	    "{\"@timestamp\":\"2026-01-01T01:00:00.000Z\"}\n"
	    "{\"@timestamp\":\"2026-01-01T01:00:00.000Z\"}\n");
	Q("source ev | head 2 | bin span=15m @timestamp AS slot | table id, slot",
	    "{\"id\":0,\"slot\":\"2026-01-01T01:30:00.000Z\"}\n"
	    "{\"id\":1,\"slot\":\"2026-01-01T01:15:00.000Z\"}\n");
	Q("| makeresults | eval t = 1767225599 | bin span=1d t | table t",
	    "{\"t\":\"2025-12-31T00:00:00.000Z\"}\n");
	Q("| makeresults | eval t = \"2026-03-17T10:00:00Z\" | bin span=1M t AS m | bin span=1w t AS w | table m, w",
	    "{\"m\":\"2026-03-01T00:00:00.000Z\",\"w\":\"2026-03-16T00:00:00.000Z\"}\n");
	Q("source ev | head 4 | bin span=4 n | table n",
	    "{\"n\":4}\n{\"n\":0}\n{\"n\":8}\n{\"n\":4}\n");
	Q("source ev | head 3 | bin span=0.5 f AS g | table f, g",
	    "{\"f\":1.5,\"g\":1.5}\n{\"f\":0.5,\"g\":0.5}\n{\"f\":2.0,\"g\":2.0}\n");
	Q("| makeresults | eval a = -7, b = 0.3, c = 2.7 | bin span=5 a | bin span=0.1 b | bin c | table a, b, c",
	    "{\"a\":-10,\"b\":0.3,\"c\":2.0}\n");
	/* Not what the span needs: left as it is. */
	Q("source ev | search id=4 | bin span=10 n AS m | table n, m",
	    "{\"n\":\"x\",\"m\":null}\n");
}

/* ---- sort ---- */

static void
test_sort(void)
{
	static const struct sml_run_limits small = { 3, 100, 100000,
	    512u << 20, 200 };

	Q("source ev | sort n | table id, n",
	    "{\"id\":5,\"n\":1}\n{\"id\":6,\"n\":2}\n{\"id\":1,\"n\":3}\n"
	    "{\"id\":8,\"n\":4}\n{\"id\":0,\"n\":5}\n{\"id\":9,\"n\":6}\n"
	    "{\"id\":3,\"n\":\"7\"}\n{\"id\":7,\"n\":8}\n{\"id\":2,\"n\":10}\n"
	    "{\"id\":4,\"n\":\"x\"}\n");
	/* Descending: numbers, then strings, then missing; stable. */
	Q("source ev | sort -n | table id",
	    "{\"id\":2}\n{\"id\":7}\n{\"id\":3}\n{\"id\":9}\n{\"id\":0}\n"
	    "{\"id\":8}\n{\"id\":1}\n{\"id\":6}\n{\"id\":5}\n{\"id\":4}\n");
	Q("source ev | sort -host, id | table host, id",
	    "{\"host\":\"c\",\"id\":3}\n{\"host\":\"c\",\"id\":8}\n"
	    "{\"host\":\"b\",\"id\":1}\n{\"host\":\"b\",\"id\":4}\n"
	    "{\"host\":\"a\",\"id\":0}\n{\"host\":\"a\",\"id\":2}\n"
	    "{\"host\":\"a\",\"id\":5}\n{\"host\":\"a\",\"id\":9}\n"
	    "{\"host\":null,\"id\":6}\n{\"host\":null,\"id\":7}\n");
	Q("source ev | sort limit=2 f | table id",
	    "{\"id\":3}\n{\"id\":1}\n");
	is_str(R.r_log.b_data, "WARN: sort: kept the first 2 of 10 events in "
	    "sort order (limit 2); 8 events dropped\n", "sort limit= warns");
	QL(&small, "source ev | sort host | table id",
	    "{\"id\":0}\n{\"id\":2}\n{\"id\":5}\n");
	is_str(R.r_log.b_data, "WARN: sort: kept the first 3 of 10 events in "
	    "sort order (limit 3); 7 events dropped\n",
	    "sme.core.sort_limit warns with the number dropped");
	QL(&small, "| makeresults count=1000 shownumbers=true | eval k = (number * 7919) % 1000 | sort -k | table k",
	    "{\"k\":999}\n{\"k\":998}\n{\"k\":997}\n");
	Q("source ev | sort host | head 1 | table id", "{\"id\":0}\n");
	is_str(R.r_log.b_data, "", "no WARN when nothing is dropped");
	Q("source nest | sort -process.pid | table id", "{\"id\":0}\n{\"id\":1}\n");
}

/* ---- stats ---- */

static void
test_stats(void)
{
	Q("source ev | stats count", "{\"count\":10}\n");
	Q("source ev | search nosuch=1 | stats count, sum(n), values(n), dc(n)",
	    "{\"count\":0,\"sum(n)\":null,\"values(n)\":null,\"dc(n)\":0}\n");
	Q("source ev | search nosuch=1 | stats count BY host", "");
	Q("source ev | stats count, count(user) AS cu, dc(user) BY host",
	    "{\"host\":\"a\",\"count\":4,\"cu\":3,\"dc(user)\":2}\n"
	    "{\"host\":\"b\",\"count\":2,\"cu\":2,\"dc(user)\":2}\n"
	    "{\"host\":\"c\",\"count\":2,\"cu\":1,\"dc(user)\":1}\n");
	Q("source ev | stats sum(n), avg(n), min(n), max(n), range(n)",
	    "{\"sum(n)\":46,\"avg(n)\":5.111111111111111,\"min(n)\":1,"
	    "\"max(n)\":10,\"range(n)\":9}\n");
	Q("source ev | stats sum(f), min(f), max(f), range(f), avg(f)",
	    "{\"sum(f)\":9.5,\"min(f)\":0.25,\"max(f)\":3.5,\"range(f)\":3.25,"
	    "\"avg(f)\":1.3571428571428572}\n");
	Q("source ev | stats median(n), perc25(n), perc90(n), perc100(n), var(n), stdev(n)",
	    "{\"median(n)\":5,\"perc25(n)\":3,\"perc90(n)\":8.4,"
	    "\"perc100(n)\":10,\"var(n)\":8.61111111111111,"
	    "\"stdev(n)\":2.934469476943168}\n");
	Q("source ev | search id<2 | stats median(n), var(n), stdev(f)",
	    "{\"median(n)\":4,\"var(n)\":2.0,\"stdev(f)\":0.7071067811865476}\n");
	Q("source ev | search id=0 | stats var(n), stdev(n), avg(n)",
	    "{\"var(n)\":null,\"stdev(n)\":null,\"avg(n)\":5.0}\n");
	Q("source ev | stats values(host) AS h, list(host) AS l, values(tags) AS t",
	    "{\"h\":[\"a\",\"b\",\"c\"],\"l\":[\"a\",\"b\",\"a\",\"c\",\"b\",\"a\","
	    "\"c\",\"a\"],\"t\":[\"p\",\"q\"]}\n");
	Q("source ev | stats values(n) AS v, dc(n) AS d",
	    "{\"v\":[1,2,3,4,5,6,\"7\",8,10,\"x\"],\"d\":10}\n");
	Q("source ev | sort n | stats first(id), last(id), earliest(id), latest(id) BY host",
	    "{\"host\":\"a\",\"first(id)\":5,\"last(id)\":2,"
	    "\"earliest(id)\":9,\"latest(id)\":0}\n"
	    "{\"host\":\"b\",\"first(id)\":1,\"last(id)\":4,"
	    "\"earliest(id)\":4,\"latest(id)\":1}\n"
	    "{\"host\":\"c\",\"first(id)\":8,\"last(id)\":3,"
	    "\"earliest(id)\":8,\"latest(id)\":3}\n");
	/* An array BY value: one group per distinct element; [] in none. */
	Q("source ev | stats count, values(id) AS ids BY tags",
	    "{\"tags\":\"p\",\"count\":2,\"ids\":[0,3]}\n"
	    "{\"tags\":\"q\",\"count\":2,\"ids\":[0,2]}\n");
	Q("source ev | stats count BY host, user",
	    "{\"host\":\"a\",\"user\":\"u1\",\"count\":2}\n"
	    "{\"host\":\"a\",\"user\":\"u3\",\"count\":1}\n"
	    "{\"host\":\"b\",\"user\":\"u1\",\"count\":1}\n"
	    "{\"host\":\"b\",\"user\":\"u2\",\"count\":1}\n"
	    "{\"host\":\"c\",\"user\":\"u4\",\"count\":1}\n");
	/* Groups in sort order: numbers (numeric strings too), strings. */
	Q("source ev | search id<5 | stats count BY n",
	    "{\"n\":3,\"count\":1}\n{\"n\":5,\"count\":1}\n"
	    "{\"n\":\"7\",\"count\":1}\n{\"n\":10,\"count\":1}\n"
	    "{\"n\":\"x\",\"count\":1}\n");
	Q("source ev | stats count BY geo.c",
	    "{\"geo.c\":\"DE\",\"count\":1}\n{\"geo.c\":\"FR\",\"count\":1}\n");
	Q("source ev | aggs count AS 'all events', sum(n) AS s",
	    "{\"all events\":10,\"s\":46}\n");
}

/* ---- eventstats, streamstats ---- */

static void
test_eventstats(void)
{
	Q("source ev | head 3 | eventstats count, max(n) AS m | table id, count, m",
	    "{\"id\":0,\"count\":3,\"m\":10}\n{\"id\":1,\"count\":3,\"m\":10}\n"
	    "{\"id\":2,\"count\":3,\"m\":10}\n");
	Q("source ev | search id>4 | eventstats sum(n) AS s BY host | table id, host, s",
	    "{\"id\":5,\"host\":\"a\",\"s\":7}\n{\"id\":6,\"host\":null,\"s\":null}\n"
	    "{\"id\":7,\"host\":null,\"s\":null}\n{\"id\":8,\"host\":\"c\",\"s\":4}\n"
	    "{\"id\":9,\"host\":\"a\",\"s\":7}\n");
	Q("source ev | search nosuch=1 | eventstats count", "");
	Q("source ev | head 4 | streamstats count, sum(n) AS s | table id, count, s",
	    "{\"id\":0,\"count\":1,\"s\":5}\n{\"id\":1,\"count\":2,\"s\":8}\n"
	    "{\"id\":2,\"count\":3,\"s\":18}\n{\"id\":3,\"count\":4,\"s\":25}\n");
	Q("source ev | head 6 | streamstats count AS c BY host | table id, c",
	    "{\"id\":0,\"c\":1}\n{\"id\":1,\"c\":1}\n{\"id\":2,\"c\":2}\n"
	    "{\"id\":3,\"c\":1}\n{\"id\":4,\"c\":2}\n{\"id\":5,\"c\":3}\n");
	Q("source ev | head 5 | streamstats max(n) AS m window=2 | table id, m",
	    "{\"id\":0,\"m\":5}\n{\"id\":1,\"m\":5}\n{\"id\":2,\"m\":10}\n"
	    "{\"id\":3,\"m\":10}\n{\"id\":4,\"m\":7}\n");
	/* A global window: the last 3 grouped events, per group among them. */
	Q("source ev | head 6 | streamstats count AS c window=3 BY host | table id, c",
	    "{\"id\":0,\"c\":1}\n{\"id\":1,\"c\":1}\n{\"id\":2,\"c\":2}\n"
	    "{\"id\":3,\"c\":1}\n{\"id\":4,\"c\":1}\n{\"id\":5,\"c\":1}\n");
	Q("| makeresults count=5 shownumbers=true | streamstats sum(number) AS s reset_before=(number == 3) reset_after=(number == 4) | table number, s",
	    "{\"number\":1,\"s\":1}\n{\"number\":2,\"s\":3}\n{\"number\":3,\"s\":3}\n"
	    "{\"number\":4,\"s\":7}\n{\"number\":5,\"s\":5}\n");
	Q("source ev | head 6 | streamstats count AS c BY host reset_on_change=true | table id, c",
	    "{\"id\":0,\"c\":1}\n{\"id\":1,\"c\":1}\n{\"id\":2,\"c\":1}\n"
	    "{\"id\":3,\"c\":1}\n{\"id\":4,\"c\":1}\n{\"id\":5,\"c\":1}\n");
	Q("source ev | search id>=5 | streamstats dc(host) AS d, values(user) AS u | table id, d, u",
	    "{\"id\":5,\"d\":1,\"u\":[\"u3\"]}\n{\"id\":6,\"d\":1,\"u\":[\"u2\",\"u3\"]}\n"
	    "{\"id\":7,\"d\":1,\"u\":[\"u1\",\"u2\",\"u3\"]}\n"
	    "{\"id\":8,\"d\":2,\"u\":[\"u1\",\"u2\",\"u3\",\"u4\"]}\n"
	    "{\"id\":9,\"d\":2,\"u\":[\"u1\",\"u2\",\"u3\",\"u4\"]}\n");
	Q("source ev | search id>=6 | streamstats count BY host | table id, count",
	    "{\"id\":6,\"count\":null}\n{\"id\":7,\"count\":null}\n"
	    "{\"id\":8,\"count\":1}\n{\"id\":9,\"count\":1}\n");
}

/* ---- top, rare ---- */

static void
test_top(void)
{
	Q("source ev | top host",
	    "{\"host\":\"a\",\"count\":4,\"percent\":50.0}\n"
	    "{\"host\":\"b\",\"count\":2,\"percent\":25.0}\n"
	    "{\"host\":\"c\",\"count\":2,\"percent\":25.0}\n");
	/* 8 events have a user (null and missing do not count). */
	Q("source ev | rare 2 user",
	    "{\"user\":\"u3\",\"count\":1,\"percent\":12.5}\n"
	    "{\"user\":\"u4\",\"count\":1,\"percent\":12.5}\n");
	Q("source ev | top 1 user BY host showperc=false",
	    "{\"host\":\"a\",\"user\":\"u1\",\"count\":2}\n"
	    "{\"host\":\"b\",\"user\":\"u1\",\"count\":1}\n"
	    "{\"host\":\"c\",\"user\":\"u4\",\"count\":1}\n");
	Q("source ev | top tags",
	    "{\"tags\":\"p\",\"count\":2,\"percent\":66.66666666666667}\n"
	    "{\"tags\":\"q\",\"count\":2,\"percent\":66.66666666666667}\n");
	/* 6 events have both fields; top 0: every combination. */
	Q("source ev | top 0 host, user",
	    "{\"host\":\"a\",\"user\":\"u1\",\"count\":2,\"percent\":33.333333333333336}\n"
	    "{\"host\":\"a\",\"user\":\"u3\",\"count\":1,\"percent\":16.666666666666668}\n"
	    "{\"host\":\"b\",\"user\":\"u1\",\"count\":1,\"percent\":16.666666666666668}\n"
	    "{\"host\":\"b\",\"user\":\"u2\",\"count\":1,\"percent\":16.666666666666668}\n"
	    "{\"host\":\"c\",\"user\":\"u4\",\"count\":1,\"percent\":16.666666666666668}\n");
	Q("source ev | search nosuch=1 | top host", "");
}

/* ---- timechart ---- */

static void
test_timechart(void)
{
	Q("source ev | timechart span=1h count, sum(n) AS s",
	    "{\"_time\":\"2026-01-01T00:00:00.000Z\",\"count\":6,\"s\":21}\n"
	    "{\"_time\":\"2026-01-01T01:00:00.000Z\",\"count\":4,\"s\":25}\n"
	    "{\"_time\":\"2026-01-01T02:00:00.000Z\",\"count\":0,\"s\":null}\n"
	    "{\"_time\":\"2026-01-01T03:00:00.000Z\",\"count\":0,\"s\":null}\n");
	Q("source ev | timechart span=2h count BY host",
	    "{\"_time\":\"2026-01-01T00:00:00.000Z\",\"a\":4,\"b\":2,\"c\":2}\n"
	    "{\"_time\":\"2026-01-01T02:00:00.000Z\",\"a\":0,\"b\":0,\"c\":0}\n");
	Q("source ev | timechart span=2h count, max(n) BY host",
	    "{\"_time\":\"2026-01-01T00:00:00.000Z\",\"count: a\":4,\"max(n): a\":10,"
	    "\"count: b\":2,\"max(n): b\":3,\"count: c\":2,\"max(n): c\":7}\n"
	    "{\"_time\":\"2026-01-01T02:00:00.000Z\",\"count: a\":0,\"max(n): a\":null,"
	    "\"count: b\":0,\"max(n): b\":null,\"count: c\":0,\"max(n): c\":null}\n");
	/* The auto span for 4 hours and 200 buckets: 5m (1m gives 240). */
	Q("source ev | timechart count | head 3",
	    "{\"_time\":\"2026-01-01T00:00:00.000Z\",\"count\":1}\n"
	    "{\"_time\":\"2026-01-01T00:05:00.000Z\",\"count\":0}\n"
	    "{\"_time\":\"2026-01-01T00:10:00.000Z\",\"count\":1}\n");
	run("source ev | timechart count");
	is_int(R.r_rc, SML_RUN_DONE, "timechart over the range runs");
	{
		size_t rows = 0;

		for (const char *p = R.r_out.b_data; *p; p++)
			rows += *p == '\n';
		is_int(rows, 48, "... 48 buckets of 5m over 4 hours");
	}
	Q("source ev | search id=0 | timechart span=1d count",
	    "{\"_time\":\"2026-01-01T00:00:00.000Z\",\"count\":1}\n");
	Q("source ev | timechart span=1M dc(host) AS d",
	    "{\"_time\":\"2026-01-01T00:00:00.000Z\",\"d\":3}\n");
}

/* ---- more edges: renames onto fields, nested changes, defaults ---- */

static void
test_edges(void)
{
	/* Onto an existing field: it is replaced, the new one in place. */
	Q("source ev | head 1 | rename host AS user | fields - @timestamp, tags",
	    "{\"id\":0,\"user\":\"a\",\"n\":5,\"f\":1.5,\"st\":\"200\"}\n");
	/* Nested fields move out; the object they leave empty goes. */
	Q("source ev | search id=5 | rename geo.c AS country, geo.city AS city | fields - @timestamp",
	    "{\"id\":5,\"host\":\"a\",\"n\":1,\"user\":\"u3\",\"country\":\"DE\",\"city\":\"B\"}\n");
	Q("source ev | search id=5 | replace \"*E\" WITH \"*e\" | table geo, user",
	    "{\"geo\":{\"c\":\"De\",\"city\":\"B\"},\"user\":\"u3\"}\n");
	/* The top-level key "a.b" is the field a.b; the nested one stays. */
	Q("source nest | head 1 | fields - a.b, process.pid, @timestamp",
	    "{\"id\":0,\"process\":{\"name\":\"cmd.exe\"},\"a\":{\"b\":\"deep\"}}\n");
	Q("source ev | top 2 user BY host",
	    "{\"host\":\"a\",\"user\":\"u1\",\"count\":2,\"percent\":66.66666666666667}\n"
	    "{\"host\":\"a\",\"user\":\"u3\",\"count\":1,\"percent\":33.333333333333336}\n"
	    "{\"host\":\"b\",\"user\":\"u1\",\"count\":1,\"percent\":50.0}\n"
	    "{\"host\":\"b\",\"user\":\"u2\",\"count\":1,\"percent\":50.0}\n"
	    "{\"host\":\"c\",\"user\":\"u4\",\"count\":1,\"percent\":100.0}\n");
	Q("| makeresults count=2 | timechart span=1h count",
	    "{\"_time\":\"2026-01-01T00:00:00.000Z\",\"count\":0}\n"
	    "{\"_time\":\"2026-01-01T01:00:00.000Z\",\"count\":0}\n"
	    "{\"_time\":\"2026-01-01T02:00:00.000Z\",\"count\":0}\n"
	    "{\"_time\":\"2026-01-01T03:00:00.000Z\",\"count\":2}\n");
	/* Without the time field: the time the store gave the event. */
	Q("source ev | table id | timechart span=2h count",
	    "{\"_time\":\"2026-01-01T00:00:00.000Z\",\"count\":10}\n"
	    "{\"_time\":\"2026-01-01T02:00:00.000Z\",\"count\":0}\n");
	/* bin without span: a time takes timechart's span (5m here). */
	Q("| makeresults | eval t = \"2026-01-01T01:03:20Z\" | bin t | table t",
	    "{\"t\":\"2026-01-01T01:00:00.000Z\"}\n");
	Q("| makeresults count=4 shownumbers=true | stats median(number), perc75(number), perc0(number), avg(number), stdev(number)",
	    "{\"median(number)\":2.5,\"perc75(number)\":3.25,\"perc0(number)\":1,"
	    "\"avg(number)\":2.5,\"stdev(number)\":1.2909944487358056}\n");
	Q("| makeresults count=4 shownumbers=true | eval v = case(number == 1, \"b\", number == 2, 3, number == 3, \"10\", number == 4, 2.5) | stats values(v), list(v), min(v), max(v), sum(v)",
	    "{\"values(v)\":[2.5,3,\"10\",\"b\"],\"list(v)\":[\"b\",3,\"10\",2.5],"
	    "\"min(v)\":2.5,\"max(v)\":10,\"sum(v)\":15.5}\n");
	Q("source ev | head 5 | streamstats first(n) AS f, last(n) AS l, earliest(id) AS e, latest(id) AS t | table id, f, l, e, t",
	    "{\"id\":0,\"f\":5,\"l\":5,\"e\":0,\"t\":0}\n"
	    "{\"id\":1,\"f\":5,\"l\":3,\"e\":1,\"t\":0}\n"
	    "{\"id\":2,\"f\":5,\"l\":10,\"e\":2,\"t\":0}\n"
	    "{\"id\":3,\"f\":5,\"l\":\"7\",\"e\":3,\"t\":0}\n"
	    "{\"id\":4,\"f\":5,\"l\":\"x\",\"e\":4,\"t\":0}\n");
	/* An array is one value for dedup. */
	Q("source ev | dedup tags | fields id",
	    "{\"id\":0}\n{\"id\":1}\n{\"id\":2}\n{\"id\":3}\n");
	Q("source ev | head | stats count", "{\"count\":10}\n");
	Q("source ev | search id>0 | tail | stats count, min(id)",
	    "{\"count\":9,\"min(id)\":1}\n");
}

/* ---- every limit ---- */

static void
test_limits(void)
{
	struct sml_run_limits g3 = { 10000, 100, 3, 512u << 20, 200 };
	struct sml_run_limits l2 = { 10000, 2, 100000, 512u << 20, 200 };
	struct sml_run_limits m1 = { 10000000, 100, 10000000, 1u << 20, 200 };
	struct sml_run_limits b4 = { 10000, 100, 100000, 512u << 20, 4 };
	const char *big = "| makeresults count=20000 shownumbers=true | eval "
	    "pad = \"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\" . number";
	const char *mem = "error: the task needs more memory than "
	    "limits.max_memory_bytes (1048576 bytes)";
	char q[512];

	QL(&g3, "source ev | stats count BY host",
	    "{\"host\":\"a\",\"count\":4}\n{\"host\":\"b\",\"count\":2}\n"
	    "{\"host\":\"c\",\"count\":2}\n");
	QL(&g3, "source ev | stats count BY user",
	    "error: stats: more than 3 groups (limits.max_groups)");
	QL(&g3, "source ev | aggs count BY id",
	    "error: aggs: more than 3 groups (limits.max_groups)");
	QL(&g3, "source ev | eventstats count BY user",
	    "error: eventstats: more than 3 groups (limits.max_groups)");
	QL(&g3, "source ev | streamstats count BY id",
	    "error: streamstats: more than 3 groups (limits.max_groups)");
	QL(&g3, "source ev | top user",
	    "error: top: more than 3 groups (limits.max_groups)");
	QL(&g3, "source ev | rare id",
	    "error: rare: more than 3 groups (limits.max_groups)");
	QL(&g3, "source ev | timechart span=2h count BY user",
	    "error: timechart: more than 3 groups of bucket and value "
	    "(limits.max_groups)");
	QL(&g3, "source ev | timechart span=30m count",
	    "error: timechart: span=30m gives 8 buckets over the time range, "
	    "more than limits.max_groups (3)");
	QL(&l2, "source ev | stats values(n) AS v, list(n) AS l",
	    "{\"v\":[1,2],\"l\":[5,3]}\n");
	/* stats.timeline_max_buckets 4: 1h buckets over the 4 hours. */
	QL(&b4, "source ev | timechart count",
	    "{\"_time\":\"2026-01-01T00:00:00.000Z\",\"count\":6}\n"
	    "{\"_time\":\"2026-01-01T01:00:00.000Z\",\"count\":4}\n"
	    "{\"_time\":\"2026-01-01T02:00:00.000Z\",\"count\":0}\n"
	    "{\"_time\":\"2026-01-01T03:00:00.000Z\",\"count\":0}\n");
	/* limits.max_memory_bytes for every command that holds data. */
	snprintf(q, sizeof(q), "%s | sort pad | head 1 | table number", big);
	QL(&m1, q, mem);
	snprintf(q, sizeof(q), "%s | tail 20000 | stats count", big);
	QL(&m1, q, mem);
	snprintf(q, sizeof(q), "%s | eventstats count | head 1 | table count",
	    big);
	QL(&m1, q, mem);
	snprintf(q, sizeof(q), "%s | stats count BY pad", big);
	QL(&m1, q, mem);
	snprintf(q, sizeof(q), "%s | stats dc(pad)", big);
	QL(&m1, q, mem);
	QL(&m1, "| makeresults count=200000 shownumbers=true | stats perc50(number)",
	    mem);
	snprintf(q, sizeof(q), "%s | dedup pad | stats count", big);
	QL(&m1, q, mem);
	snprintf(q, sizeof(q), "%s | top pad", big);
	QL(&m1, q, mem);
	snprintf(q, sizeof(q), "%s | streamstats count BY pad | stats count", big);
	QL(&m1, q, mem);
	snprintf(q, sizeof(q), "%s | streamstats count AS c window=20000 | stats max(c)", big);
	QL(&m1, q, mem);
	snprintf(q, sizeof(q), "%s | stats values(pad) AS v | eval n = mvcount(v)"
	    " | table n", big);
	QL(&m1, q, "{\"n\":100}\n");
	snprintf(q, sizeof(q), "%s | stats count, sum(number) AS s", big);
	QL(&m1, q, "{\"count\":20000,\"s\":200010000}\n");
	snprintf(q, sizeof(q), "%s | sort -number | head 2 | table number", big);
	QL(&default_limits, q, "{\"number\":20000}\n{\"number\":19999}\n");
}

/* ---- cancellation, errors ---- */

static void
test_cancel(void)
{
	R.r_stop_after = 3;
	run("| makeresults count=100000 shownumbers=true | sort -number");
	is_int(R.r_rc, SML_RUN_STOPPED, "a poll asking to stop stops the run");
	is_str(R.r_out.b_data, "", "... before any result");
	R.r_stop_after = 0;
	run("| makeresults count=3 | where match(@timestamp, \"(\" . \"\")");
	is_int(R.r_rc, SML_RUN_ERROR, "a bad regex at run time is an error");
}

/* ---- regex, spath, mvexpand, makemv, nomv ---- */

static void
test_mv_json(void)
{
	Q("source ev | regex user=~\"^u[12]$\" | fields id",
	    "{\"id\":0}\n{\"id\":1}\n{\"id\":4}\n{\"id\":6}\n"
	    "{\"id\":7}\n{\"id\":9}\n");
	Q("source ev | regex user!=\"^u[12]$\" | fields id",
	    "{\"id\":2}\n{\"id\":3}\n{\"id\":5}\n{\"id\":8}\n");
	Q("source ev | regex n=\"^[0-9]$\" | fields id",
	    "{\"id\":0}\n{\"id\":1}\n{\"id\":3}\n{\"id\":5}\n"
	    "{\"id\":6}\n{\"id\":7}\n{\"id\":8}\n{\"id\":9}\n");
	Q("source ev | regex tags=\"q\" | fields id",
	    "{\"id\":0}\n{\"id\":2}\n");
	Q("source ev | regex geo=~\"DE\" | fields id", "");
	Q("source ev | regex \"\\\"city\\\":\" | fields id",
	    "{\"id\":5}\n{\"id\":8}\n");
	/* The raw text of a changed event is its new text. */
	Q("source ev | head 2 | eval z = \"zz\" | regex _raw=~\"\\\"z\\\":\" | fields id",
	    "{\"id\":0}\n{\"id\":1}\n");
	Q("source nest | regex a.b=\"^deep$\" | fields id", "");
	Q("source nest | regex process.name=\"^sh$\" | fields id",
	    "{\"id\":1}\n");

	Q("source ev | head 4 | mvexpand tags | fields id, tags",
	    "{\"id\":0,\"tags\":\"p\"}\n{\"id\":0,\"tags\":\"q\"}\n"
	    "{\"id\":1,\"tags\":[]}\n{\"id\":2,\"tags\":\"q\"}\n"
	    "{\"id\":3,\"tags\":\"p\"}\n{\"id\":3,\"tags\":\"p\"}\n");
	Q("source ev | mvexpand tags | head 2 | fields id, tags",
	    "{\"id\":0,\"tags\":\"p\"}\n{\"id\":0,\"tags\":\"q\"}\n");
	is_int(R.r_scanned, 1, "head stops mvexpand and the source");
	Q("source ev | search id=4 | mvexpand tags | fields id, tags",
	    "{\"id\":4}\n");
	/* Kept copies of the events it made stay as they were made. */
	Q("source ev | head 1 | mvexpand tags | sort -tags | fields tags",
	    "{\"tags\":\"q\"}\n{\"tags\":\"p\"}\n");
	Q("source ev | head 1 | mvexpand tags | eventstats count | fields tags, count",
	    "{\"tags\":\"p\",\"count\":2}\n{\"tags\":\"q\",\"count\":2}\n");
	Q("| makeresults count=1000 | eval v = split(\"a,b,c,d,e,f,g,h,i,j\", \",\") | mvexpand v | mvexpand v | stats count, dc(v)",
	    "{\"count\":10000,\"dc(v)\":10}\n");

	Q("source ev | head 3 | makemv delim=\"0\" st | makemv n | fields id, n, st",
	    "{\"id\":0,\"n\":[\"5\"],\"st\":[\"2\"]}\n{\"id\":1,\"n\":[\"3\"]}\n"
	    "{\"id\":2,\"n\":[\"10\"]}\n");
	Q("source ev | search id=5 | makemv geo | makemv tags | makemv delim=\"u\" allowempty=true user | fields geo, user, tags",
	    "{\"user\":[\"\",\"3\"],\"geo\":{\"c\":\"DE\",\"city\":\"B\"}}\n");
	Q("source ev | search id=5 | makemv tokenizer=\"(.)\" geo.city | fields geo",
	    "{\"geo\":{\"c\":\"DE\",\"city\":[\"B\"]}}\n");
	Q("| makeresults | eval s = \"a--b----c\" | makemv delim=\"--\" allowempty=true s | table s",
	    "{\"s\":[\"a\",\"b\",\"\",\"c\"]}\n");
	Q("| makeresults | eval s = \"ab\" | makemv tokenizer=\"x*\" allowempty=true s | table s",
	    "{\"s\":[\"\",\"\",\"\"]}\n");

	Q("source ev | head 4 | nomv tags | fields id, tags",
	    "{\"id\":0,\"tags\":\"p\\nq\"}\n{\"id\":1,\"tags\":\"\"}\n"
	    "{\"id\":2,\"tags\":\"q\"}\n{\"id\":3,\"tags\":\"p\\np\"}\n");
	Q("source ev | search id=5 | nomv geo | nomv tags | nomv user | fields geo, user",
	    "{\"user\":\"u3\",\"geo\":{\"c\":\"DE\",\"city\":\"B\"}}\n");

	Q("source ev | search id=5 OR id=8 | spath output=c path=geo.c | fields id, c",
	    "{\"id\":5,\"c\":\"DE\"}\n{\"id\":8,\"c\":\"FR\"}\n");
	Q("source ev | head 2 | spath | fields - @timestamp",
	    "{\"id\":0,\"host\":\"a\",\"n\":5,\"f\":1.5,\"user\":\"u1\",\"tags\":[\"p\",\"q\"],\"st\":\"200\",\"tags{}\":[\"p\",\"q\"]}\n"
	    "{\"id\":1,\"host\":\"b\",\"n\":3,\"f\":0.5,\"user\":\"u2\",\"tags\":[]}\n");
	/* A value copied out of the event is not shared with it. */
	Q("source ev | search id=5 | spath output=g path=geo | replace \"DE\" WITH \"X\" IN g.c | fields geo, g",
	    "{\"geo\":{\"c\":\"DE\",\"city\":\"B\"},\"g\":{\"c\":\"X\",\"city\":\"B\"}}\n");
	Q("source ev | search id=5 | spath output=g path=geo | rename g.c AS gc | fields geo, g, gc",
	    "{\"geo\":{\"c\":\"DE\",\"city\":\"B\"},\"g\":{\"city\":\"B\"},\"gc\":\"DE\"}\n");
	Q("| makeresults | eval j = \"{\\\"a\\\":[[1,2],[3,null]],\\\"b\\\":{}}\" | spath input=j | spath input=j output=x path=a{}{1} | spath input=j output=y path=a{1}{0} | fields - @timestamp, j",
	    "{\"a{}{}\":[1,2,3],\"x\":[2],\"y\":3}\n");
	Q("| makeresults | eval j = \"[]\" | spath input=j | spath input=j output=x path={} | fields - @timestamp", "{\"j\":\"[]\"}\n");
	Q("source ev | head 1 | spath input=n | spath input=tags | fields - @timestamp, host, f, user, st",
	    "{\"id\":0,\"n\":5,\"tags\":[\"p\",\"q\"],\"{}\":[\"p\",\"q\"]}\n");
}

/* ---- chart, xyseries, untable, appendpipe ---- */

static void
test_chart_pivots(void)
{
	struct sml_run_limits g3 = { 10000, 100, 3, 512u << 20, 200 };
	struct sml_run_limits m1 = { 10000000, 100, 10000000, 1u << 20, 200 };
	const char *big = "| makeresults count=20000 shownumbers=true | eval "
	    "pad = \"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\" . number, "
	    "g = number % 2";
	const char *mem = "error: the task needs more memory than "
	    "limits.max_memory_bytes (1048576 bytes)";
	char q[512];

	/* Events 2 and 3 have no user (the NULL column), 6 and 7 no host. */
	Q("source ev | chart count over host by user",
	    "{\"host\":\"a\",\"u1\":2,\"u2\":null,\"u3\":1,\"u4\":null,"
	    "\"NULL\":1}\n"
	    "{\"host\":\"b\",\"u1\":1,\"u2\":1,\"u3\":null,\"u4\":null,"
	    "\"NULL\":null}\n"
	    "{\"host\":\"c\",\"u1\":null,\"u2\":null,\"u3\":null,\"u4\":1,"
	    "\"NULL\":1}\n");
	/* An array: each distinct element (event 3's p once, event 1's none). */
	Q("source ev | chart count by tags",
	    "{\"tags\":\"p\",\"count\":2}\n{\"tags\":\"q\",\"count\":2}\n");
	QL(&g3, "source ev | chart count over host by user",
	    "error: chart: more than 3 groups of row and value "
	    "(limits.max_groups)");
	Q("source ev | untable id k v | head 2",
	    "{\"id\":0,\"k\":\"@timestamp\",\"v\":\"2026-01-01T01:30:00Z\"}\n"
	    "{\"id\":0,\"k\":\"host\",\"v\":\"a\"}\n");
	is_int(R.r_scanned, 1, "head stops untable and the source");
	Q("source ev | head 2 | appendpipe [ head 1 | eval id = -1 ] | "
	    "fields id", "{\"id\":0}\n{\"id\":1}\n{\"id\":-1}\n");
	Q("source ev | head 2 | appendpipe [ head 1 ] | head 2 | fields id",
	    "{\"id\":0}\n{\"id\":1}\n");
	/* What they hold counts against limits.max_memory_bytes. */
	snprintf(q, sizeof(q), "%s | chart count over g by g", big);
	QL(&m1, q, mem);
	snprintf(q, sizeof(q), "%s | chart useother=false count over g by g",
	    big);
	QL(&m1, q, "{\"g\":0,\"0\":10000,\"1\":null}\n"
	    "{\"g\":1,\"0\":null,\"1\":10000}\n");
	snprintf(q, sizeof(q), "%s | xyseries number pad g", big);
	QL(&m1, q, mem);
	snprintf(q, sizeof(q), "%s | appendpipe [ stats count ] | stats count",
	    big);
	QL(&m1, q, mem);
	snprintf(q, sizeof(q), "%s | untable number k v | stats count", big);
	QL(&m1, q, "{\"count\":60000}\n");
}

int
main(void)
{
	char dir[] = "/tmp/test_sml_commands.XXXXXX", err[256];

	show = getenv("TEST_SHOW") != NULL;
	if (mkdtemp(dir) == NULL) {
		printf("Bail out! mkdtemp\n");
		return 1;
	}
	if (evstore_open(&es, dir, MAP_SIZE, err, sizeof(err)) == -1 ||
	    load("ev", ev_data, sizeof(ev_data) / sizeof(ev_data[0])) == -1 ||
	    load("nest", nest_data, sizeof(nest_data) /
	    sizeof(nest_data[0])) == -1) {
		printf("Bail out! event store: %s\n", err);
		return 1;
	}
	test_filter();
	test_head_tail();
	test_dedup();
	test_fields();
	test_fill_replace();
	test_rex();
	test_bin();
	test_sort();
	test_stats();
	test_eventstats();
	test_top();
	test_timechart();
	test_edges();
	test_limits();
	test_cancel();
	test_mv_json();
	test_chart_pivots();
	evstore_close(es);
	buf_free(&R.r_out);
	buf_free(&R.r_log);
	{
		char cmd[300];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			printf("# could not remove %s\n", dir);
	}
	return done_testing();
}
