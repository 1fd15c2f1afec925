/* cmd_stats.c - stats/aggs, eventstats and streamstats: aggregations by
 * group. */
#include <stdlib.h>
#include <string.h>

#include "sml/agg.h"
#include "sml/stage.h"

/*
 * A group is a combination of BY values (agg_combos: an event lacking a BY
 * field or holding null is in none, an array BY value puts it in one group
 * per element), found by its key bytes in a hash table. It holds its BY
 * values and the state of each aggregation, never events: stats memory
 * grows with the number of groups only, bounded by limits.max_groups and
 * limits.max_memory_bytes.
 */

struct sgroup {
	json_t **g_by;		/* the BY values, held */
	int64_t g_cost;		/* run_mem of the group itself */
	struct agg_state g_st[];	/* one per aggregation */
};

/* The part the three commands share; first in each one's state. */
struct stats_common {
	const struct sml_stats *sc_st;
	struct gtab sc_tab;	/* key -> group number */
	struct sgroup **sc_groups;
	size_t sc_cap;
	struct buf sc_key;
	long *sc_idx;		/* the groups of the current event */
	size_t sc_nidx, sc_capidx;
	const json_t **sc_vals;	/* the current event's value per agg */
	int64_t sc_time;	/* ... and its time (when needed) */
	int sc_need_time;	/* an earliest() or latest() */
	uint64_t sc_seq;	/* results made */
};

static int
stats_common_init(struct stage *s, struct stats_common *sc)
{
	const struct sml_stats *st = &s->sg_cmd->sc_u.stats;

	sc->sc_st = st;
	if (st->st_naggs == 0)
		return run_fail(s->sg_run, "%s: no stats function",
		    s->sg_cmd->sc_name);
	if ((sc->sc_vals = calloc(st->st_naggs, sizeof(*sc->sc_vals))) == NULL)
		return run_fail(s->sg_run, "out of memory");
	for (size_t i = 0; i < st->st_naggs; i++)
		if (st->st_aggs[i].a_fn == AGG_EARLIEST ||
		    st->st_aggs[i].a_fn == AGG_LATEST)
			sc->sc_need_time = 1;
	return 0;
}

static void
group_free(struct stats_common *sc, struct sgroup *g, struct run *r)
{
	if (g == NULL)
		return;
	for (size_t i = 0; i < sc->sc_st->st_naggs; i++)
		agg_clear(&g->g_st[i], r);
	for (size_t i = 0; i < sc->sc_st->st_nby; i++)
		json_decref(g->g_by[i]);
	free(g->g_by);
	if (r != NULL)
		run_mem(r, -g->g_cost);
	free(g);
}

static void
stats_common_free(struct stats_common *sc)
{
	for (size_t i = 0; i < sc->sc_tab.gt_n; i++)
		group_free(sc, sc->sc_groups[i], NULL);
	free(sc->sc_groups);
	gtab_free(&sc->sc_tab);
	buf_free(&sc->sc_key);
	free(sc->sc_idx);
	free(sc->sc_vals);
}

/*
 * Returns the number of the group of the BY values vals, made when new
 * (bounded by limits.max_groups), or -1 with the run failed.
 */
static long
group_get(struct stage *s, struct stats_common *sc, const json_t *const *vals)
{
	const struct sml_stats *st = sc->sc_st;
	struct run *r = s->sg_run;
	int64_t max = run_limits(r)->rl_max_groups;
	struct sgroup *g;
	long idx;

	buf_reset(&sc->sc_key);
	for (size_t i = 0; i < st->st_nby; i++)
		if (agg_key_put(&sc->sc_key, vals[i]) == -1)
			return run_fail(r, "out of memory");
	if ((idx = gtab_get(&sc->sc_tab, sc->sc_key.b_data, sc->sc_key.b_len,
	    0, NULL)) >= 0)
		return idx;
	if (max > 0 && (int64_t)sc->sc_tab.gt_n >= max)
		return run_fail(r, "%s: more than %lld groups "
		    "(limits.max_groups)", s->sg_cmd->sc_name, (long long)max);
	if (sc->sc_tab.gt_n == sc->sc_cap) {
		size_t cap = sc->sc_cap ? sc->sc_cap * 2 : 16;
		struct sgroup **p = realloc(sc->sc_groups, cap * sizeof(*p));

		if (p == NULL)
			return run_fail(r, "out of memory");
		sc->sc_groups = p;
		sc->sc_cap = cap;
	}
	g = calloc(1, sizeof(*g) + st->st_naggs * sizeof(struct agg_state));
	if (g == NULL || (st->st_nby > 0 &&
	    (g->g_by = calloc(st->st_nby, sizeof(*g->g_by))) == NULL)) {
		free(g);
		return run_fail(r, "out of memory");
	}
	g->g_cost = (int64_t)(sizeof(*g) + st->st_naggs *
	    sizeof(struct agg_state) + st->st_nby * sizeof(json_t *) +
	    sizeof(g)) + gtab_cost(sc->sc_key.b_len);
	for (size_t i = 0; i < st->st_nby; i++) {
		if ((g->g_by[i] = agg_hold(vals[i])) == NULL) {
			group_free(sc, g, NULL);
			return run_fail(r, "out of memory");
		}
		g->g_cost += agg_json_cost(g->g_by[i]);
	}
	if ((idx = gtab_get(&sc->sc_tab, sc->sc_key.b_data, sc->sc_key.b_len,
	    1, NULL)) < 0) {
		group_free(sc, g, NULL);
		return run_fail(r, "out of memory");
	}
	sc->sc_groups[idx] = g;
	if (run_mem(r, g->g_cost) == -1)
		return -1;
	return idx;
}

/* agg_combos callback: records the group of one combination. */
static int
stats_combo(void *arg, const json_t *const *vals)
{
	struct stage *s = arg;
	struct stats_common *sc = s->sg_state;
	long idx;

	if ((idx = group_get(s, sc, vals)) < 0)
		return -1;
	if (sc->sc_nidx == sc->sc_capidx) {
		size_t cap = sc->sc_capidx ? sc->sc_capidx * 2 : 8;
		long *p = realloc(sc->sc_idx, cap * sizeof(*p));

		if (p == NULL)
			return run_fail(s->sg_run, "out of memory");
		sc->sc_idx = p;
		sc->sc_capidx = cap;
	}
	sc->sc_idx[sc->sc_nidx++] = idx;
	return 0;
}

/*
 * Reads what the aggregations need from e and finds its groups into
 * sc_idx[0..sc_nidx). Returns 0, or -1 with the run failed.
 */
static int
stats_event(struct stage *s, struct stats_common *sc, struct event *e)
{
	const struct sml_stats *st = sc->sc_st;

	for (size_t i = 0; i < st->st_naggs; i++)
		sc->sc_vals[i] = st->st_aggs[i].a_field ?
		    event_get(e, st->st_aggs[i].a_field) : NULL;
	sc->sc_time = sc->sc_need_time ?
	    agg_event_time(e, run_ctx(s->sg_run)->sx_dt_field) : INT64_MIN;
	sc->sc_nidx = 0;
	if (agg_combos(e, st->st_by, st->st_nby, stats_combo, s) < 0)
		return run_fail(s->sg_run, "out of memory");
	return 0;
}

/* Adds the current event's values to group g. */
static int
group_add(struct stage *s, struct stats_common *sc, struct sgroup *g)
{
	const struct sml_stats *st = sc->sc_st;

	for (size_t i = 0; i < st->st_naggs; i++)
		if (agg_add(&g->g_st[i], &st->st_aggs[i], sc->sc_vals[i],
		    sc->sc_time, s->sg_run) == -1)
			return -1;
	return 0;
}

/* Orders groups by their BY values, as sort does. */
static int
group_cmp(const void *a, const void *b, void *arg)
{
	const struct sgroup *ga = a, *gb = b;
	const struct stats_common *sc = arg;
	int c;

	for (size_t i = 0; i < sc->sc_st->st_nby; i++)
		if ((c = agg_value_cmp(ga->g_by[i], gb->g_by[i])) != 0)
			return c;
	return 0;
}

/*
 * Sets the aggregate values of group g into obj (after what obj holds).
 * Returns 0 or -1 out of memory.
 */
static int
group_put_aggs(const struct stats_common *sc, struct sgroup *g, json_t *obj)
{
	const struct sml_stats *st = sc->sc_st;
	json_t *v;

	for (size_t i = 0; i < st->st_naggs; i++)
		if ((v = agg_result(&g->g_st[i], &st->st_aggs[i])) == NULL ||
		    json_object_set_new(obj, st->st_aggs[i].a_as, v) == -1)
			return -1;
	return 0;
}

/* ---- stats <agg>[, ...] [BY f...] (blocking) ---- */

static int
stats_push(struct stage *s, struct event *e)
{
	struct stats_common *sc = s->sg_state;

	if (stats_event(s, sc, e) == -1)
		return -1;
	for (size_t i = 0; i < sc->sc_nidx; i++)
		if (group_add(s, sc, sc->sc_groups[sc->sc_idx[i]]) == -1)
			return -1;
	return 0;
}

/* One result per group, by the BY values ascending. */
static int
stats_finish(struct stage *s)
{
	struct stats_common *sc = s->sg_state;
	const struct sml_stats *st = sc->sc_st;
	struct run *r = s->sg_run;
	struct sgroup **order;
	json_t *obj;
	size_t n, i;
	int rc = 0;

	/* No BY: exactly one result, also for no input. */
	if (st->st_nby == 0 && sc->sc_tab.gt_n == 0 &&
	    group_get(s, sc, NULL) < 0)
		return -1;
	n = sc->sc_tab.gt_n;
	if ((order = malloc((n ? n : 1) * sizeof(*order))) == NULL)
		return run_fail(r, "out of memory");
	if (n > 0)
		memcpy(order, sc->sc_groups, n * sizeof(*order));
	if (agg_sort_ptrs((void **)order, n, group_cmp, sc) == -1) {
		free(order);
		return run_fail(r, "out of memory");
	}
	for (i = 0; i < n && rc == 0; i++) {
		if ((obj = json_object()) == NULL) {
			rc = run_fail(r, "out of memory");
			break;
		}
		for (size_t j = 0; j < st->st_nby; j++)
			if (json_object_set(obj, st->st_by[j],
			    order[i]->g_by[j]) == -1)
				rc = -1;
		if (rc == 0 && group_put_aggs(sc, order[i], obj) == -1)
			rc = -1;
		rc = stage_emit_row(s, obj, rc == 0, INT64_MIN, sc->sc_seq++);
	}
	free(order);
	return rc < 0 ? -1 : 0;
}

static void
stats_free(struct stage *s)
{
	struct stats_common *sc = s->sg_state;

	if (sc == NULL)
		return;
	stats_common_free(sc);
	free(sc);
	s->sg_state = NULL;
}

int
cmd_stats_init(struct stage *s, const struct sml_command *c)
{
	struct stats_common *sc;

	(void)c;
	if ((sc = calloc(1, sizeof(*sc))) == NULL)
		return run_fail(s->sg_run, "out of memory");
	s->sg_state = sc;
	s->sg_free = stats_free;
	if (stats_common_init(s, sc) == -1)
		return -1;
	s->sg_push = stats_push;
	s->sg_finish = stats_finish;
	return 0;
}

/* ---- eventstats (blocking: holds the events) ---- */

struct es_item {
	struct event *ei_ev;
	long ei_group;		/* the event's (first) group, -1 none */
	int64_t ei_cost;
};

struct eventstats_state {
	struct stats_common es_c;
	struct es_item *es_items;
	size_t es_n, es_cap;
	json_t **es_res;	/* per group: its aggregates, made once */
};

static int
eventstats_push(struct stage *s, struct event *e)
{
	struct eventstats_state *es = s->sg_state;
	struct stats_common *sc = &es->es_c;
	struct es_item *it;
	int64_t cost;

	if (stats_event(s, sc, e) == -1)
		return -1;
	for (size_t i = 0; i < sc->sc_nidx; i++)
		if (group_add(s, sc, sc->sc_groups[sc->sc_idx[i]]) == -1)
			return -1;
	if (es->es_n == es->es_cap) {
		size_t cap = es->es_cap ? es->es_cap * 2 : 64;

		if (run_mem(s->sg_run, (int64_t)((cap - es->es_cap) *
		    sizeof(*it))) == -1)
			return -1;
		if ((it = realloc(es->es_items, cap * sizeof(*it))) == NULL)
			return run_fail(s->sg_run, "out of memory");
		es->es_items = it;
		es->es_cap = cap;
	}
	it = &es->es_items[es->es_n];
	if ((it->ei_ev = agg_keep_event(e, &cost)) == NULL)
		return run_fail(s->sg_run, "out of memory");
	it->ei_group = sc->sc_nidx > 0 ? sc->sc_idx[0] : -1;
	it->ei_cost = cost;
	es->es_n++;
	return run_mem(s->sg_run, cost);
}

/* The events in their order, each with its group's aggregates added. */
static int
eventstats_finish(struct stage *s)
{
	struct eventstats_state *es = s->sg_state;
	struct stats_common *sc = &es->es_c;
	struct run *r = s->sg_run;
	struct es_item *it;
	const char *key;
	json_t *res, *v;
	int rc = 0;

	if (sc->sc_tab.gt_n > 0 &&
	    (es->es_res = calloc(sc->sc_tab.gt_n, sizeof(json_t *))) == NULL)
		return run_fail(r, "out of memory");
	for (size_t i = 0; i < es->es_n && rc == 0; i++) {
		it = &es->es_items[i];
		if (it->ei_group >= 0) {
			res = es->es_res[it->ei_group];
			if (res == NULL) {
				if ((res = json_object()) == NULL ||
				    group_put_aggs(sc,
				    sc->sc_groups[it->ei_group], res) == -1) {
					json_decref(res);
					rc = run_fail(r, "out of memory");
					break;
				}
				es->es_res[it->ei_group] = res;
			}
			json_object_foreach(res, key, v)
				if (event_set(it->ei_ev, key, agg_hold(v)) ==
				    -1)
					rc = run_fail(r, "out of memory");
		}
		if (rc == 0)
			rc = stage_emit(s, it->ei_ev);
		run_mem(r, -it->ei_cost);
		event_free(it->ei_ev);
		it->ei_ev = NULL;
		if (rc == 0 && run_poll_now(r))
			break;
	}
	return rc < 0 ? -1 : 0;
}

static void
eventstats_free(struct stage *s)
{
	struct eventstats_state *es = s->sg_state;

	if (es == NULL)
		return;
	if (es->es_res != NULL)
		for (size_t i = 0; i < es->es_c.sc_tab.gt_n; i++)
			json_decref(es->es_res[i]);
	free(es->es_res);
	for (size_t i = 0; i < es->es_n; i++)
		event_free(es->es_items[i].ei_ev);
	free(es->es_items);
	stats_common_free(&es->es_c);
	free(es);
	s->sg_state = NULL;
}

int
cmd_eventstats_init(struct stage *s, const struct sml_command *c)
{
	struct eventstats_state *es;

	(void)c;
	if ((es = calloc(1, sizeof(*es))) == NULL)
		return run_fail(s->sg_run, "out of memory");
	s->sg_state = es;
	s->sg_free = eventstats_free;
	if (stats_common_init(s, &es->es_c) == -1)
		return -1;
	s->sg_push = eventstats_push;
	s->sg_finish = eventstats_finish;
	return 0;
}

/* ---- streamstats (streaming) ---- */

/*
 * Each event gets the aggregates of its group over the events seen so far,
 * itself included. reset_before / reset_after empty every group's state
 * before / after an event for which the expression is true;
 * reset_on_change does it when the event's group differs from the previous
 * grouped event's. window=n keeps one window of the last n grouped events
 * (as Splunk's default global=true): an event's aggregates are those of its
 * group's events among them, recomputed per event (O(n) each).
 */

struct ss_entry {
	json_t **se_vals;	/* per agg, held (NULL missing) */
	long *se_groups;
	size_t se_ngroups;
	int64_t se_time;
	int64_t se_cost;
};

struct streamstats_state {
	struct stats_common ss_c;
	long ss_prev;			/* the previous event's group */
	struct ss_entry *ss_win;	/* ring of window entries */
	size_t ss_first, ss_n;
	struct agg_state *ss_scratch;	/* per agg, for window sums */
};

static void
ss_entry_clear(struct stats_common *sc, struct ss_entry *en, struct run *r)
{
	for (size_t i = 0; i < sc->sc_st->st_naggs; i++)
		json_decref(en->se_vals[i]);
	free(en->se_vals);
	free(en->se_groups);
	if (r != NULL)
		run_mem(r, -en->se_cost);
	memset(en, 0, sizeof(*en));
}

/* Empties every group's state and the window. */
static void
streamstats_reset(struct stage *s, struct streamstats_state *ss)
{
	struct stats_common *sc = &ss->ss_c;
	size_t w = (size_t)sc->sc_st->st_window;

	for (size_t i = 0; i < sc->sc_tab.gt_n; i++)
		for (size_t j = 0; j < sc->sc_st->st_naggs; j++)
			agg_clear(&sc->sc_groups[i]->g_st[j], s->sg_run);
	for (size_t i = 0; i < ss->ss_n; i++)
		ss_entry_clear(sc, &ss->ss_win[(ss->ss_first + i) % w],
		    s->sg_run);
	ss->ss_first = ss->ss_n = 0;
}

/* Adds the current event to the window (the oldest leaves when full). */
static int
streamstats_window_add(struct stage *s, struct streamstats_state *ss)
{
	struct stats_common *sc = &ss->ss_c;
	size_t w = (size_t)sc->sc_st->st_window, slot;
	struct ss_entry *en;

	if (ss->ss_n == w) {
		ss_entry_clear(sc, &ss->ss_win[ss->ss_first], s->sg_run);
		ss->ss_first = (ss->ss_first + 1) % w;
		ss->ss_n--;
	}
	slot = (ss->ss_first + ss->ss_n) % w;
	en = &ss->ss_win[slot];
	en->se_vals = calloc(sc->sc_st->st_naggs, sizeof(json_t *));
	en->se_groups = malloc(sc->sc_nidx * sizeof(long));
	if (en->se_vals == NULL || en->se_groups == NULL) {
		ss_entry_clear(sc, en, NULL);
		return run_fail(s->sg_run, "out of memory");
	}
	ss->ss_n++;
	memcpy(en->se_groups, sc->sc_idx, sc->sc_nidx * sizeof(long));
	en->se_ngroups = sc->sc_nidx;
	en->se_time = sc->sc_time;
	en->se_cost = (int64_t)(sizeof(*en) + sc->sc_st->st_naggs *
	    sizeof(json_t *) + sc->sc_nidx * sizeof(long));
	for (size_t i = 0; i < sc->sc_st->st_naggs; i++) {
		if (sc->sc_vals[i] == NULL)
			continue;
		if ((en->se_vals[i] = agg_hold(sc->sc_vals[i])) == NULL)
			return run_fail(s->sg_run, "out of memory");
		en->se_cost += agg_json_cost(en->se_vals[i]);
	}
	return run_mem(s->sg_run, en->se_cost);
}

/* Computes group g's aggregates over the window into ss_scratch. */
static int
streamstats_window_sum(struct stage *s, struct streamstats_state *ss, long g)
{
	struct stats_common *sc = &ss->ss_c;
	const struct sml_stats *st = sc->sc_st;
	size_t w = (size_t)st->st_window;
	struct ss_entry *en;

	for (size_t j = 0; j < st->st_naggs; j++)
		agg_clear(&ss->ss_scratch[j], s->sg_run);
	for (size_t i = 0; i < ss->ss_n; i++) {
		en = &ss->ss_win[(ss->ss_first + i) % w];
		for (size_t k = 0; k < en->se_ngroups; k++) {
			if (en->se_groups[k] != g)
				continue;
			for (size_t j = 0; j < st->st_naggs; j++)
				if (agg_add(&ss->ss_scratch[j], &st->st_aggs[j],
				    en->se_vals[j], en->se_time,
				    s->sg_run) == -1)
					return -1;
			break;
		}
	}
	return 0;
}

static int
streamstats_push(struct stage *s, struct event *e)
{
	struct streamstats_state *ss = s->sg_state;
	struct stats_common *sc = &ss->ss_c;
	const struct sml_stats *st = sc->sc_st;
	struct eval_ctx *ec = run_eval_ctx(s->sg_run);
	struct agg_state *res;
	int rc, after = 0;
	long g;
	json_t *v;

	if (st->st_reset_before != NULL) {
		if ((rc = expr_true(st->st_reset_before, e, ec)) < 0)
			return run_eval_fail(s->sg_run);
		if (rc)
			streamstats_reset(s, ss);
	}
	if (stats_event(s, sc, e) == -1)
		return -1;
	if (sc->sc_nidx > 0) {
		g = sc->sc_idx[0];
		if (st->st_reset_on_change && ss->ss_prev >= 0 &&
		    ss->ss_prev != g)
			streamstats_reset(s, ss);
		ss->ss_prev = g;
		if (st->st_window > 0) {
			if (streamstats_window_add(s, ss) == -1 ||
			    streamstats_window_sum(s, ss, g) == -1)
				return -1;
			res = ss->ss_scratch;
		} else {
			for (size_t i = 0; i < sc->sc_nidx; i++)
				if (group_add(s, sc,
				    sc->sc_groups[sc->sc_idx[i]]) == -1)
					return -1;
			res = sc->sc_groups[g]->g_st;
		}
		for (size_t j = 0; j < st->st_naggs; j++)
			if ((v = agg_result(&res[j],
			    &st->st_aggs[j])) == NULL ||
			    event_set(e, st->st_aggs[j].a_as, v) == -1)
				return run_fail(s->sg_run, "out of memory");
	}
	if (st->st_reset_after != NULL &&
	    (after = expr_true(st->st_reset_after, e, ec)) < 0)
		return run_eval_fail(s->sg_run);
	rc = stage_emit(s, e);
	if (after)
		streamstats_reset(s, ss);
	return rc;
}

static void
streamstats_free(struct stage *s)
{
	struct streamstats_state *ss = s->sg_state;
	struct stats_common *sc;
	size_t w;

	if (ss == NULL)
		return;
	sc = &ss->ss_c;
	w = sc->sc_st ? (size_t)sc->sc_st->st_window : 0;
	for (size_t i = 0; i < ss->ss_n; i++)
		ss_entry_clear(sc, &ss->ss_win[(ss->ss_first + i) % w], NULL);
	free(ss->ss_win);
	if (ss->ss_scratch != NULL)
		for (size_t j = 0; j < sc->sc_st->st_naggs; j++)
			agg_clear(&ss->ss_scratch[j], NULL);
	free(ss->ss_scratch);
	stats_common_free(sc);
	free(ss);
	s->sg_state = NULL;
}

int
cmd_streamstats_init(struct stage *s, const struct sml_command *c)
{
	const struct sml_stats *st = &c->sc_u.stats;
	struct streamstats_state *ss;

	if ((ss = calloc(1, sizeof(*ss))) == NULL)
		return run_fail(s->sg_run, "out of memory");
	s->sg_state = ss;
	s->sg_free = streamstats_free;
	ss->ss_prev = -1;
	if (stats_common_init(s, &ss->ss_c) == -1)
		return -1;
	if (st->st_window < 0)
		return run_fail(s->sg_run, "streamstats: window must not be "
		    "negative");
	if (st->st_window > 0) {
		if ((uint64_t)st->st_window >
		    SIZE_MAX / sizeof(struct ss_entry))
			return run_fail(s->sg_run, "streamstats: window=%lld "
			    "is too large", (long long)st->st_window);
		/* The ring grows with the memory accounting of its entries;
		 * its slots are allocated up front, so charge them too. */
		if (run_mem(s->sg_run, st->st_window *
		    (int64_t)sizeof(struct ss_entry)) == -1)
			return -1;
		ss->ss_win = calloc((size_t)st->st_window, sizeof(*ss->ss_win));
		ss->ss_scratch = calloc(st->st_naggs, sizeof(*ss->ss_scratch));
		if (ss->ss_win == NULL || ss->ss_scratch == NULL)
			return run_fail(s->sg_run, "out of memory");
	}
	s->sg_push = streamstats_push;
	return 0;
}
