/*
 * cmd/timechart.c - timechart: aggregations per time bucket of the time
 * field, oldest first, zero-filled (blocking).
 *
 *	timechart [span=<n><unit>] <agg>[, <agg>...] [BY f]
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sml/parse.h"
#include "sml/stage.h"

/* ---- Parsing ---- */

/*
 * Parses timechart [span=<n><unit>] <agg>[, ...] [BY f] into
 * c->sc_u.timechart. Returns 0 with the current token at '|' or the end, or -1
 * with the error reported.
 */
int
cmd_timechart_parse(struct sml_parser *p, struct sml_command *c)
{
	struct sml_timechart *tc = &c->sc_u.timechart;
	unsigned seen = 0;

	if (sml_next(p) == -1)
		return -1;
	for (;;) {
		if (sml_at_param(p)) {
			if (sml_param_span_only(p, "timechart", &seen,
			    &tc->tc_span_ms, &tc->tc_span_months, NULL) == -1)
				return -1;
		} else if (p->sp_tok.lt_kind == LEX_BY) {
			if (tc->tc_naggs == 0)
				return sml_fail_expected(p, "a stats function");
			if (seen & SML_SEEN_BY)
				return sml_fail(p, p->sp_tok.lt_off,
				    "duplicate BY clause");
			seen |= SML_SEEN_BY;
			if (sml_next(p) == -1 ||
			    sml_name(p, 0, &tc->tc_by) == -1 ||
			    sml_next(p) == -1)
				return -1;
			if (p->sp_tok.lt_kind == LEX_COMMA ||
			    sml_at_name(p, 0))
				return sml_fail(p, p->sp_tok.lt_off,
				    "timechart takes a single BY field");
		} else if (tc->tc_naggs == 0 && sml_at_agg(p)) {
			if (sml_aggs(p, &tc->tc_aggs, &tc->tc_naggs) == -1)
				return -1;
		} else
			break;
	}
	if (tc->tc_naggs == 0)
		return sml_fail_expected(p, "a stats function");
	return sml_end(p);
}

/* Frees what cmd_timechart_parse() stored in c (not c itself). */
void
cmd_timechart_clear(struct sml_command *c)
{
	sml_aggs_free(c->sc_u.timechart.tc_aggs, c->sc_u.timechart.tc_naggs);
	free(c->sc_u.timechart.tc_by);
}

/* ---- Running ---- */

/*
 * The time of an event is its task time field (dtFieldName), else the time
 * the store gave it; an event with neither is left out. Buckets are aligned
 * in UTC (weeks to Monday, months to the 1st); without span= the interval
 * is the timeline's (timespan_auto over the task's range with
 * stats.timeline_max_buckets). One result per bucket from the bucket
 * holding the range start to the one holding its end (widened to events
 * outside it), oldest first: {"_time": bucket start (ISO-8601), then one
 * column per aggregation, or with BY f one per value of f (ascending; named
 * "<agg>: <value>" when there are several aggregations)}. Buckets and
 * series without events hold 0 for count and dc, null for the others.
 * Cells (bucket x series with events) and buckets are bounded by
 * limits.max_groups.
 */

struct tc_state {
	struct timespan tc_span;
	int64_t tc_lo, tc_hi;		/* first and last bucket starts */
	struct pivot tc_pv;		/* bucket x series cells */
	const json_t **tc_vals;		/* the current event's agg values */
	int64_t tc_time;
	int64_t tc_bucket;
};

/* agg_combos callback: adds the current event to its cell in one series. */
static int
tc_combo(void *arg, const json_t *const *vals)
{
	struct stage *s = arg;
	const struct sml_timechart *tc = &s->sg_cmd->sc_u.timechart;
	struct tc_state *ts = s->sg_state;
	struct pivot_cell *cell;
	long sr;

	if ((sr = pvals_get(s, &ts->tc_pv.pv_series, tc->tc_by ? vals[0] :
	    NULL, 1)) < 0 ||
	    (cell = pivot_cell(s, &ts->tc_pv, ts->tc_bucket, sr, 1)) == NULL)
		return -1;
	return pivot_cell_add(s, &ts->tc_pv, cell, ts->tc_vals, ts->tc_time);
}

static int
tc_push(struct stage *s, struct event *e)
{
	const struct sml_timechart *tc = &s->sg_cmd->sc_u.timechart;
	struct tc_state *ts = s->sg_state;
	int64_t t;
	char *by[1];

	if (evtime_from_json(event_get(e, run_ctx(s->sg_run)->sx_dt_field),
	    &t) == -1) {
		if (e->ev_time == INT64_MIN)
			return 0;	/* no time: in no bucket */
		t = e->ev_time;
	}
	ts->tc_time = t;
	ts->tc_bucket = timespan_floor(&ts->tc_span, t);
	if (ts->tc_bucket < ts->tc_lo)
		ts->tc_lo = ts->tc_bucket;
	if (ts->tc_bucket > ts->tc_hi)
		ts->tc_hi = ts->tc_bucket;
	for (size_t i = 0; i < tc->tc_naggs; i++)
		ts->tc_vals[i] = tc->tc_aggs[i].a_field ?
		    event_get(e, tc->tc_aggs[i].a_field) : NULL;
	by[0] = tc->tc_by;
	if (agg_combos(e, by, tc->tc_by ? 1 : 0, tc_combo, s) < 0)
		return run_fail(s->sg_run, "out of memory");
	return 0;
}

/* Makes the column names: per series and aggregation. NULL out of memory. */
static char **
tc_columns(const struct sml_timechart *tc, struct tc_state *ts,
    const long *order, size_t nseries)
{
	char **cols;
	size_t i, j, n = nseries * tc->tc_naggs;

	if ((cols = calloc(n ? n : 1, sizeof(*cols))) == NULL)
		return NULL;
	for (i = 0; i < nseries; i++)
		for (j = 0; j < tc->tc_naggs; j++)
			cols[i * tc->tc_naggs + j] = pivot_column(
			    tc->tc_naggs > 1 ? tc->tc_aggs[j].a_as : NULL,
			    ts->tc_pv.pv_series.pl_vals[order[i]], NULL);
	for (i = 0; i < n; i++)
		if (cols[i] == NULL) {
			for (j = 0; j < n; j++)
				free(cols[j]);
			free(cols);
			return NULL;
		}
	return cols;
}

static int
tc_finish(struct stage *s)
{
	const struct sml_timechart *tc = &s->sg_cmd->sc_u.timechart;
	struct tc_state *ts = s->sg_state;
	struct run *r = s->sg_run;
	int64_t max = run_limits(r)->rl_max_groups, nb, b;
	size_t nseries = tc->tc_by ? ts->tc_pv.pv_series.pl_tab.gt_n : 1, i, j;
	long *order = NULL, none = 0;
	char **cols = NULL, iso[32];
	struct pivot_cell *cell;
	uint64_t seq = 0;
	json_t *obj, *v;
	int rc = 0;

	if (ts->tc_lo > ts->tc_hi)
		return 0;	/* no range and no event */
	nb = ts->tc_span.ts_months > 0 ?
	    timespan_count(&ts->tc_span, ts->tc_lo, ts->tc_hi + 1) :
	    (ts->tc_hi - ts->tc_lo) / ts->tc_span.ts_ms + 1;
	if (max > 0 && nb > max)
		return run_fail(r, "timechart: span=%s gives %lld buckets, "
		    "more than limits.max_groups (%lld)", ts->tc_span.ts_label,
		    (long long)nb, (long long)max);
	/* Series in value order (without BY: the one series, if any). */
	if (tc->tc_by != NULL &&
	    ((order = pvals_order(&ts->tc_pv.pv_series)) == NULL ||
	    (nseries > 0 && (cols = tc_columns(tc, ts, order,
	    nseries)) == NULL))) {
		rc = run_fail(r, "out of memory");
		goto out;
	}
	for (b = ts->tc_lo; b <= ts->tc_hi && rc == 0;
	    b = timespan_next(&ts->tc_span, b)) {
		if ((obj = json_object()) == NULL ||
		    json_object_set_new(obj, "_time",
		    json_string(time_format_iso(b, iso))) == -1) {
			json_decref(obj);
			rc = run_fail(r, "out of memory");
			break;
		}
		for (i = 0; i < nseries && rc == 0; i++) {
			cell = pivot_cell(s, &ts->tc_pv, b,
			    order ? order[i] : none, 0);
			for (j = 0; j < tc->tc_naggs; j++) {
				const struct agg *a = &tc->tc_aggs[j];

				if (cell != NULL)
					v = agg_result(&cell->pc_st[j], a);
				else if (a->a_fn == AGG_COUNT ||
				    a->a_fn == AGG_DC)
					v = json_integer(0);
				else
					v = json_null();
				if (v == NULL || json_object_set_new(obj,
				    cols ? cols[i * tc->tc_naggs + j] : a->a_as,
				    v) == -1)
					rc = run_fail(r, "out of memory");
			}
		}
		rc = stage_emit_row(s, obj, rc == 0, b, seq++);
	}
out:
	if (cols != NULL)
		for (i = 0; i < nseries * tc->tc_naggs; i++)
			free(cols[i]);
	free(cols);
	free(order);
	return rc < 0 ? -1 : 0;
}

static void
tc_free(struct stage *s)
{
	struct tc_state *ts = s->sg_state;

	if (ts == NULL)
		return;
	pivot_free(&ts->tc_pv);
	free(ts->tc_vals);
	free(ts);
	s->sg_state = NULL;
}

/* Writes span= of tc the way it reads best ("90s", "1h", "1M"). */
static void
tc_label(const struct sml_timechart *tc, char *out, size_t outlen)
{
	static const struct { int64_t u_ms; char u_c; } units[] = {
		{ 604800000, 'w' }, { 86400000, 'd' }, { 3600000, 'h' },
		{ 60000, 'm' }, { 1000, 's' },
	};
	char tmp[48];

	snprintf(tmp, sizeof(tmp), "%lldms", (long long)tc->tc_span_ms);
	if (tc->tc_span_months > 0)
		snprintf(tmp, sizeof(tmp), "%dM", tc->tc_span_months);
	else
		for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
			if (tc->tc_span_ms % units[i].u_ms == 0) {
				snprintf(tmp, sizeof(tmp), "%lld%c",
				    (long long)(tc->tc_span_ms / units[i].u_ms),
				    units[i].u_c);
				break;
			}
	snprintf(out, outlen, "%.*s", (int)outlen - 1, tmp);
}

int
cmd_timechart_init(struct stage *s, const struct sml_command *c)
{
	const struct sml_timechart *tc = &c->sc_u.timechart;
	const struct sml_ctx *ctx = run_ctx(s->sg_run);
	int64_t max = run_limits(s->sg_run)->rl_max_groups, nb;
	struct tc_state *ts;

	if (tc->tc_naggs == 0)
		return run_fail(s->sg_run, "timechart: no stats function");
	if ((ts = calloc(1, sizeof(*ts))) == NULL ||
	    (ts->tc_vals = calloc(tc->tc_naggs, sizeof(json_t *))) == NULL) {
		free(ts);
		return run_fail(s->sg_run, "out of memory");
	}
	ts->tc_pv.pv_aggs = tc->tc_aggs;
	ts->tc_pv.pv_naggs = tc->tc_naggs;
	ts->tc_pv.pv_what = "bucket";
	s->sg_state = ts;
	s->sg_push = tc_push;
	s->sg_finish = tc_finish;
	s->sg_free = tc_free;
	if (tc->tc_span_ms > 0 || tc->tc_span_months > 0) {
		ts->tc_span.ts_ms = tc->tc_span_ms;
		ts->tc_span.ts_months = tc->tc_span_months;
		tc_label(tc, ts->tc_span.ts_label,
		    sizeof(ts->tc_span.ts_label));
	} else
		timespan_auto(ctx->sx_range_start, ctx->sx_range_end,
		    run_limits(s->sg_run)->rl_timeline_buckets, &ts->tc_span);
	if (ctx->sx_range_end > ctx->sx_range_start) {
		ts->tc_lo = timespan_floor(&ts->tc_span, ctx->sx_range_start);
		ts->tc_hi = timespan_floor(&ts->tc_span,
		    ctx->sx_range_end - 1);
	} else {
		/* No range: only the buckets of the events. */
		ts->tc_lo = INT64_MAX;
		ts->tc_hi = INT64_MIN;
	}
	nb = timespan_count(&ts->tc_span, ctx->sx_range_start,
	    ctx->sx_range_end);
	if (max > 0 && nb > max)
		return run_fail(s->sg_run, "timechart: span=%s gives %lld "
		    "buckets over the time range, more than "
		    "limits.max_groups (%lld)", ts->tc_span.ts_label,
		    (long long)nb, (long long)max);
	return 0;
}
