/*
 * cmd/top.c - top and rare: the most (top) or least (rare) frequent
 * combinations of values of the fields, with count and percent, per BY
 * group (blocking). One file: the two differ only in the order of counts.
 *
 *	top [<n>] f1[, f2...] [BY g...] [showperc=<bool>] [limit=<n>]
 *	rare [<n>] f1[, f2...] [BY g...] [showperc=<bool>] [limit=<n>]
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sml/parse.h"
#include "sml/stage.h"

/* ---- Parsing ---- */

/*
 * Parses top or rare, [n] f1[, f2...] [BY g...] [showperc=bool] [limit=n],
 * into c->sc_u.top. Returns 0 with the current token at '|' or the end, or -1
 * with the error reported.
 */
int
cmd_top_parse(struct sml_parser *p, struct sml_command *c)
{
	struct sml_top *tp = &c->sc_u.top;
	unsigned seen = 0;
	int given;

	tp->tp_n = 10;
	tp->tp_showperc = 1;
	if (sml_next(p) == -1 ||
	    sml_count_arg(p, c->sc_name, 0, &tp->tp_n, &given) == -1)
		return -1;
	if (given)
		seen |= SML_SEEN_A;
	for (;;) {
		if (sml_at_param(p)) {
			if (sml_at_key(p, "limit")) {
				if (sml_param_once(p, &seen, SML_SEEN_A,
				    c->sc_name) == -1 || sml_param_int(p,
				    "limit", 0, "a non-negative integer",
				    &tp->tp_n) == -1)
					return -1;
			} else if (sml_at_key(p, "showperc")) {
				if (sml_param_once(p, &seen, SML_SEEN_B,
				    c->sc_name) == -1 || sml_param_bool(p,
				    "showperc", &tp->tp_showperc) == -1)
					return -1;
			} else
				return sml_param_unknown(p, c->sc_name);
			if (sml_next(p) == -1)
				return -1;
		} else if (sml_at_name(p, 0) && !(seen & SML_SEEN_BY)) {
			if (sml_names(p, 0, &tp->tp_fields,
			    &tp->tp_nfields) == -1)
				return -1;
		} else if (p->sp_tok.lt_kind == LEX_BY) {
			if (tp->tp_nfields == 0)
				return sml_fail_expected(p, "a field name");
			if (sml_by(p, &seen, &tp->tp_by, &tp->tp_nby) == -1)
				return -1;
		} else
			break;
	}
	if (tp->tp_nfields == 0)
		return sml_fail_expected(p, "a field name");
	return sml_end(p);
}

/* Frees what cmd_top_parse() stored in c (not c itself). */
void
cmd_top_clear(struct sml_command *c)
{
	sml_strs_free(c->sc_u.top.tp_fields, c->sc_u.top.tp_nfields);
	sml_strs_free(c->sc_u.top.tp_by, c->sc_u.top.tp_nby);
}

/* ---- Running ---- */

/*
 * Counts each combination of the fields' values (an array value counts
 * each distinct element, as stats BY does) per BY group. Percent is
 * 100 x count / the events of the group that have all the fields. Rows:
 * by BY values ascending, then count descending (top) or ascending (rare),
 * ties by the values ascending; n per group (0: all). Every combination
 * costs memory, bounded by limits.max_groups and limits.max_memory_bytes.
 */

struct top_row {
	json_t **tr_vals;	/* BY values, then the fields' values, held */
	int64_t tr_count;
	long tr_group;		/* its BY group (number in tp_groups) */
};

struct top_state {
	struct gtab tp_rows_tab;	/* BY key + fields key -> row */
	struct top_row **tp_rows;
	size_t tp_cap;
	struct gtab tp_groups;		/* BY key -> group */
	int64_t *tp_totals;		/* events with all fields, per group */
	size_t tp_gcap;
	struct buf tp_key;
	size_t tp_bylen;		/* bytes of the BY part of tp_key */
	const json_t *const *tp_by;	/* the BY values being counted */
	long tp_group;			/* ... and their group */
	int tp_seen;			/* the event had all the fields */
};

static void
row_free(const struct sml_top *tp, struct top_row *row)
{
	if (row == NULL)
		return;
	for (size_t i = 0; i < tp->tp_nby + tp->tp_nfields; i++)
		json_decref(row->tr_vals[i]);
	free(row->tr_vals);
	free(row);
}

/* agg_combos callback over the fields: counts one combination. */
static int
top_field_combo(void *arg, const json_t *const *vals)
{
	struct stage *s = arg;
	const struct sml_top *tp = &s->sg_cmd->sc_u.top;
	struct top_state *ts = s->sg_state;
	int64_t max = run_limits(s->sg_run)->rl_max_groups, cost;
	struct top_row *row;
	long idx;
	size_t i, nv = tp->tp_nby + tp->tp_nfields;

	ts->tp_seen = 1;
	ts->tp_key.b_len = ts->tp_bylen;
	for (i = 0; i < tp->tp_nfields; i++)
		if (agg_key_put(&ts->tp_key, vals[i]) == -1)
			return run_fail(s->sg_run, "out of memory");
	idx = gtab_get(&ts->tp_rows_tab, ts->tp_key.b_data, ts->tp_key.b_len,
	    0, NULL);
	if (idx >= 0) {
		ts->tp_rows[idx]->tr_count++;
		return 0;
	}
	if (max > 0 && (int64_t)ts->tp_rows_tab.gt_n >= max)
		return run_fail(s->sg_run, "%s: more than %lld groups "
		    "(limits.max_groups)", s->sg_cmd->sc_name, (long long)max);
	if (ts->tp_rows_tab.gt_n == ts->tp_cap) {
		size_t cap = ts->tp_cap ? ts->tp_cap * 2 : 16;
		struct top_row **p = realloc(ts->tp_rows, cap * sizeof(*p));

		if (p == NULL)
			return run_fail(s->sg_run, "out of memory");
		ts->tp_rows = p;
		ts->tp_cap = cap;
	}
	if ((row = calloc(1, sizeof(*row))) == NULL ||
	    (row->tr_vals = calloc(nv, sizeof(json_t *))) == NULL) {
		free(row);
		return run_fail(s->sg_run, "out of memory");
	}
	cost = (int64_t)(sizeof(*row) + nv * sizeof(json_t *) +
	    sizeof(row)) + gtab_cost(ts->tp_key.b_len);
	for (i = 0; i < nv; i++) {
		const json_t *v = i < tp->tp_nby ? ts->tp_by[i] :
		    vals[i - tp->tp_nby];

		if ((row->tr_vals[i] = agg_hold(v)) == NULL) {
			row_free(tp, row);
			return run_fail(s->sg_run, "out of memory");
		}
		cost += agg_json_cost(v);
	}
	row->tr_count = 1;
	row->tr_group = ts->tp_group;
	if ((idx = gtab_get(&ts->tp_rows_tab, ts->tp_key.b_data,
	    ts->tp_key.b_len, 1, NULL)) < 0) {
		row_free(tp, row);
		return run_fail(s->sg_run, "out of memory");
	}
	ts->tp_rows[idx] = row;
	return run_mem(s->sg_run, cost);
}

/* agg_combos callback over the BY fields: counts the fields in a group. */
static int
top_by_combo(void *arg, const json_t *const *vals)
{
	struct stage *s = arg;
	const struct sml_top *tp = &s->sg_cmd->sc_u.top;
	struct top_state *ts = s->sg_state;
	int added;
	long g;

	buf_reset(&ts->tp_key);
	for (size_t i = 0; i < tp->tp_nby; i++)
		if (agg_key_put(&ts->tp_key, vals[i]) == -1)
			return run_fail(s->sg_run, "out of memory");
	ts->tp_bylen = ts->tp_key.b_len;
	if ((g = gtab_get(&ts->tp_groups, ts->tp_key.b_data, ts->tp_key.b_len,
	    1, &added)) < 0)
		return run_fail(s->sg_run, "out of memory");
	if (added) {
		if ((size_t)g >= ts->tp_gcap) {
			size_t cap = ts->tp_gcap ? ts->tp_gcap * 2 : 16;
			int64_t *p = realloc(ts->tp_totals, cap * sizeof(*p));

			if (p == NULL)
				return run_fail(s->sg_run, "out of memory");
			ts->tp_totals = p;
			ts->tp_gcap = cap;
		}
		ts->tp_totals[g] = 0;
		if (run_mem(s->sg_run, gtab_cost(ts->tp_key.b_len) +
		    (int64_t)sizeof(int64_t)) == -1)
			return -1;
	}
	ts->tp_by = vals;
	ts->tp_group = g;
	return 0;
}

/* The event being counted, for the nested combinations. */
struct top_event {
	struct stage *te_s;
	struct event *te_e;
};

static int
top_by_then_fields(void *arg, const json_t *const *vals)
{
	struct top_event *te = arg;
	struct stage *s = te->te_s;
	const struct sml_top *tp = &s->sg_cmd->sc_u.top;
	struct top_state *ts = s->sg_state;

	if (top_by_combo(s, vals) == -1)
		return -1;
	ts->tp_seen = 0;
	if (agg_combos(te->te_e, tp->tp_fields, tp->tp_nfields,
	    top_field_combo, s) < 0)
		return -1;
	if (ts->tp_seen)
		ts->tp_totals[ts->tp_group]++;
	return 0;
}

static int
top_push(struct stage *s, struct event *e)
{
	const struct sml_top *tp = &s->sg_cmd->sc_u.top;
	struct top_event te = { s, e };

	if (agg_combos(e, tp->tp_by, tp->tp_nby, top_by_then_fields, &te) < 0)
		return run_fail(s->sg_run, "out of memory");
	return 0;
}

struct top_order {
	const struct sml_top *to_tp;
	int to_rare;
};

static int
row_cmp(const void *a, const void *b, void *arg)
{
	const struct top_row *ra = a, *rb = b;
	const struct top_order *to = arg;
	size_t i, nby = to->to_tp->tp_nby;
	int c;

	for (i = 0; i < nby; i++)
		if ((c = agg_value_cmp(ra->tr_vals[i], rb->tr_vals[i])) != 0)
			return c;
	if (ra->tr_count != rb->tr_count)
		return (ra->tr_count > rb->tr_count) == !to->to_rare ? -1 : 1;
	for (; i < nby + to->to_tp->tp_nfields; i++)
		if ((c = agg_value_cmp(ra->tr_vals[i], rb->tr_vals[i])) != 0)
			return c;
	return 0;
}

static int
top_finish(struct stage *s)
{
	const struct sml_top *tp = &s->sg_cmd->sc_u.top;
	struct top_state *ts = s->sg_state;
	struct top_order to = { tp, s->sg_cmd->sc_kind == SML_CMD_RARE };
	struct run *r = s->sg_run;
	size_t n = ts->tp_rows_tab.gt_n, i, j, nv = tp->tp_nby + tp->tp_nfields;
	struct top_row **order, *row;
	long group = -1;
	int64_t shown = 0;
	uint64_t seq = 0;
	json_t *obj;
	int rc = 0;

	if (n == 0)
		return 0;
	if ((order = malloc(n * sizeof(*order))) == NULL)
		return run_fail(r, "out of memory");
	memcpy(order, ts->tp_rows, n * sizeof(*order));
	if (agg_sort_ptrs((void **)order, n, row_cmp, &to) == -1) {
		free(order);
		return run_fail(r, "out of memory");
	}
	for (i = 0; i < n && rc == 0; i++) {
		row = order[i];
		if (row->tr_group != group) {
			group = row->tr_group;
			shown = 0;
		}
		if (tp->tp_n > 0 && shown >= tp->tp_n)
			continue;
		shown++;
		if ((obj = json_object()) == NULL) {
			rc = run_fail(r, "out of memory");
			break;
		}
		for (j = 0; j < nv; j++)
			if (json_object_set(obj, j < tp->tp_nby ? tp->tp_by[j] :
			    tp->tp_fields[j - tp->tp_nby],
			    row->tr_vals[j]) == -1)
				rc = -1;
		if (json_object_set_new(obj, "count",
		    json_integer(row->tr_count)) == -1)
			rc = -1;
		if (tp->tp_showperc && json_object_set_new(obj, "percent",
		    json_real(100.0 * (double)row->tr_count /
		    (double)ts->tp_totals[row->tr_group])) == -1)
			rc = -1;
		rc = stage_emit_row(s, obj, rc == 0, INT64_MIN, seq++);
	}
	free(order);
	return rc < 0 ? -1 : 0;
}

static void
top_free(struct stage *s)
{
	struct top_state *ts = s->sg_state;

	if (ts == NULL)
		return;
	for (size_t i = 0; i < ts->tp_rows_tab.gt_n; i++)
		row_free(&s->sg_cmd->sc_u.top, ts->tp_rows[i]);
	free(ts->tp_rows);
	gtab_free(&ts->tp_rows_tab);
	gtab_free(&ts->tp_groups);
	free(ts->tp_totals);
	buf_free(&ts->tp_key);
	free(ts);
	s->sg_state = NULL;
}

int
cmd_top_init(struct stage *s, const struct sml_command *c)
{
	if (c->sc_u.top.tp_nfields == 0)
		return run_fail(s->sg_run, "%s: no field", c->sc_name);
	if ((s->sg_state = calloc(1, sizeof(struct top_state))) == NULL)
		return run_fail(s->sg_run, "out of memory");
	s->sg_push = top_push;
	s->sg_finish = top_finish;
	s->sg_free = top_free;
	return 0;
}
