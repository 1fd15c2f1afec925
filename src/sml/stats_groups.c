/* stats_groups.c - the groups of stats, eventstats and streamstats: BY
 * values to a group and its aggregation states. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sml/stage.h"

/*
 * Sets up sc (zeroed, in s's state) for the command of s. Returns 0, or -1
 * with the run failed (no aggregation, out of memory).
 */
int
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

/* Frees g (NULL: nothing), releasing its memory from r when r is not NULL. */
static void
stats_group_free(struct stats_common *sc, struct sgroup *g, struct run *r)
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

/* Frees what sc holds (not sc itself): the groups, their table. */
void
stats_common_free(struct stats_common *sc)
{
	for (size_t i = 0; i < sc->sc_tab.gt_n; i++)
		stats_group_free(sc, sc->sc_groups[i], NULL);
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
long
stats_group_get(struct stage *s, struct stats_common *sc,
    const json_t *const *vals)
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
			stats_group_free(sc, g, NULL);
			return run_fail(r, "out of memory");
		}
		g->g_cost += agg_json_cost(g->g_by[i]);
	}
	if ((idx = gtab_get(&sc->sc_tab, sc->sc_key.b_data, sc->sc_key.b_len,
	    1, NULL)) < 0) {
		stats_group_free(sc, g, NULL);
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

	if ((idx = stats_group_get(s, sc, vals)) < 0)
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
int
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

/*
 * Adds the current event's values (stats_event()) to group g. Returns 0, or
 * -1 with the run failed.
 */
int
stats_group_add(struct stage *s, struct stats_common *sc, struct sgroup *g)
{
	const struct sml_stats *st = sc->sc_st;

	for (size_t i = 0; i < st->st_naggs; i++)
		if (agg_add(&g->g_st[i], &st->st_aggs[i], sc->sc_vals[i],
		    sc->sc_time, s->sg_run) == -1)
			return -1;
	return 0;
}

/*
 * Sets the aggregate values of group g into obj (after what obj holds).
 * Returns 0 or -1 out of memory.
 */
int
stats_group_put_aggs(const struct stats_common *sc, struct sgroup *g,
    json_t *obj)
{
	const struct sml_stats *st = sc->sc_st;
	json_t *v;

	for (size_t i = 0; i < st->st_naggs; i++)
		if ((v = agg_result(&g->g_st[i], &st->st_aggs[i])) == NULL ||
		    json_object_set_new(obj, st->st_aggs[i].a_as, v) == -1)
			return -1;
	return 0;
}
