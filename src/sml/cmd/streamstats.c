/*
 * cmd/streamstats.c - streamstats: adds to each event the aggregates of its
 * group over the events seen so far (streaming).
 *
 *	streamstats <agg>[, <agg>...] [BY f1, ...] [reset_before=(<expr>)]
 *	    [reset_after=(<expr>)] [reset_on_change=<bool>] [window=<n>]
 *
 * The parameters may stand before or after the aggregations.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sml/parse.h"
#include "sml/stage.h"

/* ---- Parsing ---- */

/*
 * Reads reset_before=(<expr>) or reset_after=(...) (the current token is
 * the key) into *dst. Returns 0 with the token after ')' current, or -1.
 */
static int
streamstats_reset_param(struct sml_parser *p, const char *key,
    struct expr **dst)
{
	int h;

	if (sml_next(p) == -1 || sml_next(p) == -1)
		return -1;
	if (p->sp_tok.lt_kind != LEX_LPAREN)
		return sml_fail(p, p->sp_tok.lt_off, "expected '(' after "
		    "'%s='", key);
	/* Only the parenthesized expression: what follows is no part of it. */
	if ((*dst = sml_ex_primary(p, &h)) == NULL)
		return -1;
	return 0;
}

/*
 * Reads the parameter of streamstats at the current token (its key) into
 * c->sc_u.stats, each at most once (*seen). Returns 0 with the token after its
 * value current, or -1 with the error reported.
 */
static int
streamstats_param(struct sml_parser *p, struct sml_command *c, unsigned *seen)
{
	struct sml_stats *st = &c->sc_u.stats;

	if (sml_at_key(p, "window")) {
		if (sml_param_once(p, seen, SML_SEEN_A, c->sc_name) == -1 ||
		    sml_param_int(p, "window", 0, "a non-negative integer",
		    &st->st_window) == -1)
			return -1;
	} else if (sml_at_key(p, "reset_on_change")) {
		if (sml_param_once(p, seen, SML_SEEN_B, c->sc_name) == -1 ||
		    sml_param_bool(p, "reset_on_change",
		    &st->st_reset_on_change) == -1)
			return -1;
	} else if (sml_at_key(p, "reset_before")) {
		return sml_param_once(p, seen, SML_SEEN_C, c->sc_name) == -1 ||
		    streamstats_reset_param(p, "reset_before",
		    &st->st_reset_before) == -1 ? -1 : 0;
	} else if (sml_at_key(p, "reset_after")) {
		return sml_param_once(p, seen, SML_SEEN_D, c->sc_name) == -1 ||
		    streamstats_reset_param(p, "reset_after",
		    &st->st_reset_after) == -1 ? -1 : 0;
	} else
		return sml_param_unknown(p, c->sc_name);
	return sml_next(p);
}

/*
 * Parses streamstats: the arguments of stats (sml_stats_args()) and its
 * parameters, into c->sc_u.stats. Returns 0 with the current token at '|' or
 * the end, or -1 with the error reported.
 */
int
cmd_streamstats_parse(struct sml_parser *p, struct sml_command *c)
{
	return sml_stats_args(p, c, streamstats_param);
}

/* Frees what cmd_streamstats_parse() stored in c (not c itself). */
void
cmd_streamstats_clear(struct sml_command *c)
{
	sml_stats_clear(c);
}

/* ---- Running ---- */

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
				if (stats_group_add(s, sc,
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
