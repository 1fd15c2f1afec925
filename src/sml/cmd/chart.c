/*
 * cmd/chart.c - chart: aggregations per value of a row field, split into
 * one column per value of a column field (blocking).
 *
 *	chart [limit=<n>] [useother=<bool>] [usenull=<bool>]
 *	    [nullstr=<text>] [otherstr=<text>] <agg>[, <agg>...]
 *	    [OVER <row> [BY <col>] | BY <row>[,] [<col>]]
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sml/parse.h"
#include "sml/stage.h"

#define CH_SEEN_OTHERSTR	0x20
#define CH_SEEN_OVER		0x40

/* ---- Parsing ---- */

/* Reads the parameter at the current token into ch (value left current). */
static int
chart_param(struct sml_parser *p, struct sml_chart *ch, unsigned *seen)
{
	if (sml_at_key(p, "limit"))
		return sml_param_once(p, seen, SML_SEEN_A, "chart") == -1 ||
		    sml_param_int(p, "limit", 0, "a non-negative integer",
		    &ch->ch_limit) == -1 ? -1 : 0;
	if (sml_at_key(p, "useother"))
		return sml_param_once(p, seen, SML_SEEN_B, "chart") == -1 ||
		    sml_param_bool(p, "useother", &ch->ch_useother) == -1 ?
		    -1 : 0;
	if (sml_at_key(p, "usenull"))
		return sml_param_once(p, seen, SML_SEEN_C, "chart") == -1 ||
		    sml_param_bool(p, "usenull", &ch->ch_usenull) == -1 ?
		    -1 : 0;
	if (sml_at_key(p, "nullstr")) {
		if (sml_param_once(p, seen, SML_SEEN_D, "chart") == -1)
			return -1;
		return (ch->ch_nullstr = sml_param_value(p, "nullstr")) ==
		    NULL ? -1 : 0;
	}
	if (sml_at_key(p, "otherstr")) {
		if (sml_param_once(p, seen, CH_SEEN_OTHERSTR, "chart") == -1)
			return -1;
		return (ch->ch_otherstr = sml_param_value(p, "otherstr")) ==
		    NULL ? -1 : 0;
	}
	return sml_param_unknown(p, "chart");
}

/* Reads one field name at the current token into *out and moves past it. */
static int
chart_field(struct sml_parser *p, char **out)
{
	return sml_name(p, 0, out) == -1 || sml_next(p) == -1 ? -1 : 0;
}

/*
 * Parses chart (see the top of this file) into c->sc_u.chart. Returns 0
 * with the current token at '|' or the end, or -1 with the error reported.
 */
int
cmd_chart_parse(struct sml_parser *p, struct sml_command *c)
{
	struct sml_chart *ch = &c->sc_u.chart;
	unsigned seen = 0;

	ch->ch_limit = 10;
	ch->ch_useother = 1;
	ch->ch_usenull = 1;
	if (sml_next(p) == -1)
		return -1;
	for (;;) {
		if (sml_at_param(p)) {
			if (chart_param(p, ch, &seen) == -1 ||
			    sml_next(p) == -1)
				return -1;
		} else if (sml_at_word_ci(p, "over")) {
			if (ch->ch_naggs == 0)
				return sml_fail_expected(p, "a stats function");
			if (seen & (CH_SEEN_OVER | SML_SEEN_BY))
				return sml_fail(p, p->sp_tok.lt_off, "chart: "
				    "OVER must come once, before BY");
			seen |= CH_SEEN_OVER;
			if (sml_next(p) == -1 || chart_field(p, &ch->ch_row) ==
			    -1)
				return -1;
		} else if (p->sp_tok.lt_kind == LEX_BY) {
			if (ch->ch_naggs == 0)
				return sml_fail_expected(p, "a stats function");
			if (seen & SML_SEEN_BY)
				return sml_fail(p, p->sp_tok.lt_off,
				    "duplicate BY clause");
			seen |= SML_SEEN_BY;
			if (sml_next(p) == -1 || chart_field(p, ch->ch_row ?
			    &ch->ch_col : &ch->ch_row) == -1)
				return -1;
			if (ch->ch_col == NULL) {
				if (p->sp_tok.lt_kind == LEX_COMMA &&
				    sml_next(p) == -1)
					return -1;
				if (sml_at_name(p, 0) && !sml_at_param(p) &&
				    !sml_at_word_ci(p, "over") &&
				    chart_field(p, &ch->ch_col) == -1)
					return -1;
			}
			if (p->sp_tok.lt_kind == LEX_COMMA ||
			    (sml_at_name(p, 0) && !sml_at_param(p) &&
			    !sml_at_word_ci(p, "over")))
				return sml_fail(p, p->sp_tok.lt_off, "chart "
				    "takes one row field and one column field");
		} else if (ch->ch_naggs == 0 && sml_at_agg(p)) {
			if (sml_aggs(p, &ch->ch_aggs, &ch->ch_naggs) == -1)
				return -1;
		} else
			break;
	}
	if (ch->ch_naggs == 0)
		return sml_fail_expected(p, "a stats function");
	return sml_end(p);
}

/* Frees what cmd_chart_parse() stored in c (not c itself). */
void
cmd_chart_clear(struct sml_command *c)
{
	struct sml_chart *ch = &c->sc_u.chart;

	sml_aggs_free(ch->ch_aggs, ch->ch_naggs);
	free(ch->ch_row);
	free(ch->ch_col);
	free(ch->ch_nullstr);
	free(ch->ch_otherstr);
}

/* ---- Running ---- */

/*
 * An event is in the row of each value of the row field (an array: each
 * element; missing or null: in none) and the column of each value of the
 * column field, by its text (404 and "404" are one column); without one,
 * in the NULL column with usenull. Cells are
 * aggregated as they come (struct pivot). With limit=N and more than N
 * columns, the N with the largest sums of the first aggregation's values
 * stay (ties: in value order); with useother the others are aggregated
 * again as one OTHER column, from the input events chart keeps for that
 * (only when limit > 0 and useother). Rows in value order; columns in
 * value order, then NULL, then OTHER; a cell without events is null.
 */

struct ch_state {
	struct pivot ch_pv;		/* row number x series -> cell */
	struct pvals ch_rows;		/* the row values */
	const json_t **ch_vals;		/* the current event's agg values */
	int64_t ch_time;
	int ch_need_time;
	int ch_nullcol;			/* the event is in the NULL column */
	const long *ch_map;		/* 2nd pass: series -> its column */
	int ch_keep;			/* keep the events for a 2nd pass */
	struct evlist ch_ev;		/* ... here */
};

/*
 * Returns the column value of v, its text as a string (a column is named
 * by it, so 404 and "404" are one column), a new reference; NULL for
 * NULL or out of memory.
 */
static json_t *
ch_col_value(const json_t *v)
{
	char *text;
	json_t *out;

	if (v == NULL)
		return NULL;
	if (json_is_string(v))
		return json_incref((json_t *)v);
	if ((text = value_string(v)) == NULL &&
	    (text = value_json(v, NULL)) == NULL)
		return NULL;
	out = json_string(text);
	free(text);
	return out;
}

/* agg_combos callback: adds the current event to its cell. */
static int
ch_combo(void *arg, const json_t *const *vals)
{
	struct stage *s = arg;
	const struct sml_chart *ch = &s->sg_cmd->sc_u.chart;
	struct ch_state *cs = s->sg_state;
	struct pivot_cell *cell;
	json_t *col;
	long row = 0, sr = 0;

	if (ch->ch_row != NULL &&
	    (row = pvals_get(s, &cs->ch_rows, vals[0], 1)) < 0)
		return -1;
	if (ch->ch_col != NULL) {
		if ((col = ch_col_value(cs->ch_nullcol ? NULL : vals[1])) ==
		    NULL && !cs->ch_nullcol)
			return run_fail(s->sg_run, "out of memory");
		sr = pvals_get(s, &cs->ch_pv.pv_series, col,
		    cs->ch_map == NULL);
		json_decref(col);
		if (sr < 0)
			return sr == -1 ? run_fail(s->sg_run, "chart: a "
			    "column came in the second pass only") : -1;
		if (cs->ch_map != NULL)
			sr = cs->ch_map[sr];
	}
	if ((cell = pivot_cell(s, &cs->ch_pv, row, sr, 1)) == NULL)
		return -1;
	return pivot_cell_add(s, &cs->ch_pv, cell, cs->ch_vals, cs->ch_time);
}

/* Adds event e to its cells. Returns 0, or -1 with the run failed. */
static int
ch_event(struct stage *s, struct event *e)
{
	const struct sml_chart *ch = &s->sg_cmd->sc_u.chart;
	struct ch_state *cs = s->sg_state;
	char *fields[2];
	size_t n = 0;
	long k;

	if (ch->ch_row != NULL)
		fields[n++] = ch->ch_row;
	if (ch->ch_col != NULL)
		fields[n++] = ch->ch_col;
	for (size_t i = 0; i < ch->ch_naggs; i++)
		cs->ch_vals[i] = ch->ch_aggs[i].a_field ?
		    event_get(e, ch->ch_aggs[i].a_field) : NULL;
	cs->ch_time = cs->ch_need_time ?
	    agg_event_time(e, run_ctx(s->sg_run)->sx_dt_field) : INT64_MIN;
	cs->ch_nullcol = 0;
	k = agg_combos(e, fields, n, ch_combo, s);
	if (k == 0 && ch->ch_col != NULL && ch->ch_usenull) {
		/* No column value: the NULL column, if the row has one. */
		cs->ch_nullcol = 1;
		k = agg_combos(e, fields, n - 1, ch_combo, s);
	}
	return k < 0 ? run_fail(s->sg_run, "out of memory") : 0;
}

static int
ch_push(struct stage *s, struct event *e)
{
	struct ch_state *cs = s->sg_state;

	if (ch_event(s, e) == -1)
		return -1;
	return cs->ch_keep ? evlist_keep(s, &cs->ch_ev, e) : 0;
}

/* The ranking of the columns for limit=: their sums, and their values. */
struct ch_rank {
	const double *rk_sum;
	json_t *const *rk_vals;
};

/* Orders series numbers by sum, largest first, then by value. */
static int
ch_rank_cmp(const void *a, const void *b, void *arg)
{
	const struct ch_rank *rk = arg;
	long x = *(const long *)a, y = *(const long *)b;

	if (rk->rk_sum[x] != rk->rk_sum[y])
		return rk->rk_sum[x] > rk->rk_sum[y] ? -1 : 1;
	return agg_value_cmp(rk->rk_vals[x], rk->rk_vals[y]);
}

/*
 * Picks the limit columns to keep into keep[] (1 kept, 0 not) of the n
 * series. Returns 0, or -1 out of memory.
 */
static int
ch_pick(struct ch_state *cs, const struct sml_chart *ch, size_t n, char *keep)
{
	struct ch_rank rk;
	double *sum, d;
	long *ids, **ptrs;
	int rc = -1;

	sum = calloc(n, sizeof(*sum));
	ids = calloc(n, sizeof(*ids));
	ptrs = calloc(n, sizeof(*ptrs));
	if (sum == NULL || ids == NULL || ptrs == NULL)
		goto out;
	for (size_t i = 0; i < cs->ch_pv.pv_tab.gt_n; i++) {
		struct pivot_cell *cell = cs->ch_pv.pv_cells[i];
		json_t *v = agg_result(&cell->pc_st[0], &ch->ch_aggs[0]);

		if (v == NULL)
			goto out;
		if (value_number(v, &d))
			sum[cell->pc_series] += d;
		json_decref(v);
	}
	for (size_t i = 0; i < n; i++) {
		ids[i] = (long)i;
		ptrs[i] = &ids[i];
	}
	rk.rk_sum = sum;
	rk.rk_vals = cs->ch_pv.pv_series.pl_vals;
	if (agg_sort_ptrs((void **)ptrs, n, ch_rank_cmp, &rk) == -1)
		goto out;
	memset(keep, 0, n);
	for (size_t i = 0; i < n && (int64_t)i < ch->ch_limit; i++)
		keep[*ptrs[i]] = 1;
	rc = 0;
out:
	free(ptrs);
	free(ids);
	free(sum);
	return rc;
}

/*
 * Aggregates the kept events again with the columns not in keep[] (of n)
 * as one, series n. Returns 0, or -1 with the run failed.
 */
static int
ch_other_pass(struct stage *s, struct ch_state *cs, size_t n,
    const char *keep)
{
	long *map;
	int rc = 0;

	if ((map = calloc(n, sizeof(*map))) == NULL)
		return run_fail(s->sg_run, "out of memory");
	for (size_t i = 0; i < n; i++)
		map[i] = keep[i] ? (long)i : (long)n;
	pivot_cells_free(&cs->ch_pv, s->sg_run);
	cs->ch_map = map;
	for (size_t i = 0; i < cs->ch_ev.el_n && rc == 0; i++) {
		rc = ch_event(s, cs->ch_ev.el_ev[i]);
		if (rc == 0 && run_poll_now(s->sg_run))
			rc = 1;
	}
	cs->ch_map = NULL;
	free(map);
	return rc;
}

/*
 * Makes the columns: cols[] (naggs names per series of sr[0..nsr)) and
 * their series numbers. Returns 0, or -1 out of memory.
 */
static int
ch_columns(const struct sml_chart *ch, struct ch_state *cs, const long *sr,
    size_t nsr, long other, char **cols)
{
	const char *nullstr = ch->ch_nullstr ? ch->ch_nullstr : "NULL";
	const char *otherstr = ch->ch_otherstr ? ch->ch_otherstr : "OTHER";

	for (size_t i = 0; i < nsr; i++)
		for (size_t j = 0; j < ch->ch_naggs; j++) {
			const json_t *v = ch->ch_col == NULL ||
			    sr[i] == other ? NULL :
			    cs->ch_pv.pv_series.pl_vals[sr[i]];
			const char *label = sr[i] == other ? otherstr :
			    json_is_null(v) ? nullstr : NULL;

			if (ch->ch_col == NULL)
				cols[i * ch->ch_naggs + j] =
				    strdup(ch->ch_aggs[j].a_as);
			else
				cols[i * ch->ch_naggs + j] = pivot_column(
				    ch->ch_naggs > 1 ? ch->ch_aggs[j].a_as :
				    NULL, v, label);
			if (cols[i * ch->ch_naggs + j] == NULL)
				return -1;
		}
	return 0;
}

/* Emits one row per row value (rorder, nrows; none: one row). */
static int
ch_emit(struct stage *s, struct ch_state *cs, const long *rorder,
    size_t nrows, const long *sr, size_t nsr, char *const *cols)
{
	const struct sml_chart *ch = &s->sg_cmd->sc_u.chart;
	struct agg_state empty;
	struct pivot_cell *cell;
	uint64_t seq = 0;
	json_t *obj, *v;
	int rc = 0;

	memset(&empty, 0, sizeof(empty));
	for (size_t r = 0; r < nrows && rc == 0; r++) {
		long row = rorder ? rorder[r] : 0;
		int ok = 1;

		if ((obj = json_object()) == NULL)
			return run_fail(s->sg_run, "out of memory");
		if (ch->ch_row != NULL && json_object_set(obj, ch->ch_row,
		    cs->ch_rows.pl_vals[row]) == -1)
			ok = 0;
		for (size_t i = 0; i < nsr && ok; i++) {
			cell = pivot_cell(s, &cs->ch_pv, row, sr[i], 0);
			for (size_t j = 0; j < ch->ch_naggs && ok; j++) {
				const struct agg *a = &ch->ch_aggs[j];

				if (cell != NULL)
					v = agg_result(&cell->pc_st[j], a);
				else if (ch->ch_col == NULL)
					v = agg_result(&empty, a);
				else
					v = json_null();
				if (v == NULL || json_object_set_new(obj,
				    cols[i * ch->ch_naggs + j], v) == -1)
					ok = 0;
			}
		}
		rc = stage_emit_row(s, obj, ok, INT64_MIN, seq++);
	}
	return rc;
}

static int
ch_finish(struct stage *s)
{
	const struct sml_chart *ch = &s->sg_cmd->sc_u.chart;
	struct ch_state *cs = s->sg_state;
	size_t n = ch->ch_col ? cs->ch_pv.pv_series.pl_tab.gt_n : 1;
	size_t nrows = ch->ch_row ? cs->ch_rows.pl_tab.gt_n : 1, nsr = 0;
	long *order = NULL, *rorder = NULL, *sr = NULL, other = -1;
	char *keep = NULL, **cols = NULL;
	int rc = 0, any_other = 0;

	if ((keep = malloc(n ? n : 1)) == NULL ||
	    (sr = calloc(n + 1, sizeof(*sr))) == NULL)
		goto nomem;
	memset(keep, 1, n ? n : 1);
	if (ch->ch_col != NULL && ch->ch_limit > 0 &&
	    (int64_t)n > ch->ch_limit) {
		if (ch_pick(cs, ch, n, keep) == -1)
			goto nomem;
		if (ch->ch_useother) {
			if ((rc = ch_other_pass(s, cs, n, keep)) != 0)
				goto out;
			any_other = 1;
			other = (long)n;
		}
	}
	evlist_free(&cs->ch_ev, s->sg_run);
	if (ch->ch_col != NULL) {
		if ((order = pvals_order(&cs->ch_pv.pv_series)) == NULL)
			goto nomem;
		for (size_t i = 0; i < n; i++)
			if (keep[order[i]])
				sr[nsr++] = order[i];
		if (any_other)
			sr[nsr++] = other;
	} else
		sr[nsr++] = 0;
	if (ch->ch_row != NULL &&
	    (rorder = pvals_order(&cs->ch_rows)) == NULL)
		goto nomem;
	if ((cols = calloc(nsr * ch->ch_naggs + 1, sizeof(*cols))) == NULL ||
	    ch_columns(ch, cs, sr, nsr, other, cols) == -1)
		goto nomem;
	rc = ch_emit(s, cs, rorder, nrows, sr, nsr, cols);
	goto out;
nomem:
	rc = run_fail(s->sg_run, "out of memory");
out:
	if (cols != NULL)
		for (size_t i = 0; i < nsr * ch->ch_naggs; i++)
			free(cols[i]);
	free(cols);
	free(rorder);
	free(order);
	free(sr);
	free(keep);
	return rc < 0 ? -1 : 0;
}

static void
ch_free(struct stage *s)
{
	struct ch_state *cs = s->sg_state;

	if (cs == NULL)
		return;
	evlist_free(&cs->ch_ev, NULL);
	pivot_free(&cs->ch_pv);
	pvals_free(&cs->ch_rows);
	free(cs->ch_vals);
	free(cs);
	s->sg_state = NULL;
}

int
cmd_chart_init(struct stage *s, const struct sml_command *c)
{
	const struct sml_chart *ch = &c->sc_u.chart;
	struct ch_state *cs;

	if (ch->ch_naggs == 0)
		return run_fail(s->sg_run, "chart: no stats function");
	if ((cs = calloc(1, sizeof(*cs))) == NULL ||
	    (cs->ch_vals = calloc(ch->ch_naggs, sizeof(json_t *))) == NULL) {
		free(cs);
		return run_fail(s->sg_run, "out of memory");
	}
	cs->ch_pv.pv_aggs = ch->ch_aggs;
	cs->ch_pv.pv_naggs = ch->ch_naggs;
	cs->ch_pv.pv_what = "row";
	for (size_t i = 0; i < ch->ch_naggs; i++)
		if (ch->ch_aggs[i].a_fn == AGG_EARLIEST ||
		    ch->ch_aggs[i].a_fn == AGG_LATEST)
			cs->ch_need_time = 1;
	s->sg_state = cs;
	s->sg_push = ch_push;
	s->sg_finish = ch_finish;
	s->sg_free = ch_free;
	/* Events are kept only when an OTHER column may need them. */
	cs->ch_keep = ch->ch_col != NULL && ch->ch_limit > 0 &&
	    ch->ch_useother;
	return 0;
}
