/*
 * cmd/eventstats.c - eventstats: adds its group's aggregates to every event,
 * in the events' order (blocking: holds the events).
 *
 *	eventstats <agg>[, <agg>...] [BY f1[, f2...]]
 *
 * The arguments of stats. Events in no group pass unchanged.
 */
#include <stdint.h>
#include <stdlib.h>

#include "sml/parse.h"
#include "sml/stage.h"

/* ---- Parsing ---- */

/*
 * Parses eventstats <agg>[, <agg>...] [BY f1, f2...] into c->sc_u.stats
 * (sml_stats_args(), as stats). Returns 0 with the current token at '|' or the
 * end, or -1 with the error reported.
 */
int
cmd_eventstats_parse(struct sml_parser *p, struct sml_command *c)
{
	return sml_stats_args(p, c, NULL);
}

/* Frees what cmd_eventstats_parse() stored in c (not c itself). */
void
cmd_eventstats_clear(struct sml_command *c)
{
	sml_stats_clear(c);
}

/* ---- Running ---- */

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
		if (stats_group_add(s, sc, sc->sc_groups[sc->sc_idx[i]]) == -1)
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
				    stats_group_put_aggs(sc,
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
