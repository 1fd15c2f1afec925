/*
 * cmd/stats.c - stats (and its alias aggs): one result per group of BY
 * values, holding the group's aggregates (blocking).
 *
 *	stats <agg>[, <agg>...] [BY f1[, f2...]]
 *	aggs <agg>[, <agg>...] [BY f1[, f2...]]
 *
 * <agg> is fn[(field)] [AS name] (docs/sml.md, statistical functions).
 * Without BY, exactly one result, also for no input. The groups are those
 * of stats_groups.c, shared with eventstats and streamstats.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sml/parse.h"
#include "sml/stage.h"

/* ---- Parsing ---- */

/*
 * Parses stats or aggs, <agg>[, <agg>...] [BY f1, f2...], into c->sc_u.stats
 * (sml_stats_args(), as eventstats and streamstats). Returns 0 with the
 * current token at '|' or the end, or -1 with the error reported.
 */
int
cmd_stats_parse(struct sml_parser *p, struct sml_command *c)
{
	return sml_stats_args(p, c, NULL);
}

/* Frees what cmd_stats_parse() stored in c (not c itself). */
void
cmd_stats_clear(struct sml_command *c)
{
	sml_stats_clear(c);
}

/* ---- Running ---- */

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

static int
stats_push(struct stage *s, struct event *e)
{
	struct stats_common *sc = s->sg_state;

	if (stats_event(s, sc, e) == -1)
		return -1;
	for (size_t i = 0; i < sc->sc_nidx; i++)
		if (stats_group_add(s, sc, sc->sc_groups[sc->sc_idx[i]]) == -1)
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
	    stats_group_get(s, sc, NULL) < 0)
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
		if (rc == 0 && stats_group_put_aggs(sc, order[i], obj) == -1)
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
