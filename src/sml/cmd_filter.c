/* cmd_filter.c - commands that pass or drop events: search, where, head,
 * tail, dedup. */
#include <stdlib.h>
#include <string.h>

#include "sml/agg.h"
#include "sml/stage.h"

/* ---- search <condition> (streaming) ---- */

static int
search_push(struct stage *s, struct event *e)
{
	struct cond *c = s->sg_cmd->sc_u.search.sr_cond;
	int rc;

	/* The cheap look at the text first, while it is the event's. */
	if (!e->ev_dirty && e->ev_raw != NULL &&
	    !cond_maybe(c, e->ev_raw, e->ev_rawlen))
		return 0;
	if ((rc = cond_match(c, e, run_eval_ctx(s->sg_run))) < 0)
		return run_eval_fail(s->sg_run);
	return rc ? stage_emit(s, e) : 0;
}

int
cmd_search_init(struct stage *s, const struct sml_command *c)
{
	if (c->sc_u.search.sr_cond == NULL)
		return run_fail(s->sg_run, "search: no condition");
	s->sg_push = search_push;
	return 0;
}

/* ---- where <expression> (streaming) ---- */

static int
where_push(struct stage *s, struct event *e)
{
	int rc = expr_true(s->sg_cmd->sc_u.where.wh_expr, e,
	    run_eval_ctx(s->sg_run));

	if (rc < 0)
		return run_eval_fail(s->sg_run);
	return rc ? stage_emit(s, e) : 0;
}

int
cmd_where_init(struct stage *s, const struct sml_command *c)
{
	if (c->sc_u.where.wh_expr == NULL)
		return run_fail(s->sg_run, "where: no expression");
	s->sg_push = where_push;
	return 0;
}

/* ---- head [n] (streaming; stops the input when full) ---- */

struct head_state {
	int64_t hs_seen;
};

static int
head_push(struct stage *s, struct event *e)
{
	struct head_state *hs = s->sg_state;
	int64_t n = s->sg_cmd->sc_u.head.hd_n;
	int rc;

	if (hs->hs_seen >= n)
		return 1;
	hs->hs_seen++;
	if ((rc = stage_emit(s, e)) != 0)
		return rc;
	return hs->hs_seen >= n ? 1 : 0;
}

static void
state_free(struct stage *s)
{
	free(s->sg_state);
	s->sg_state = NULL;
}

int
cmd_head_init(struct stage *s, const struct sml_command *c)
{
	(void)c;
	if ((s->sg_state = calloc(1, sizeof(struct head_state))) == NULL)
		return run_fail(s->sg_run, "out of memory");
	s->sg_push = head_push;
	s->sg_free = state_free;
	return 0;
}

/* ---- tail [n] (blocking: a ring of the last n events) ---- */

struct tail_state {
	struct event **ts_ring;
	int64_t *ts_cost;	/* run_mem of each held event */
	size_t ts_cap;		/* slots allocated, at most n */
	size_t ts_first;	/* the oldest held event */
	size_t ts_n;		/* events held */
};

/* Grows the ring (not yet wrapped: ts_first is 0). Returns 0 or -1. */
static int
tail_grow(struct stage *s, struct tail_state *ts, size_t limit)
{
	size_t cap = ts->ts_cap ? ts->ts_cap * 2 : 64;
	struct event **ring;
	int64_t *cost;

	if (cap > limit)
		cap = limit;
	if (run_mem(s->sg_run, (int64_t)((cap - ts->ts_cap) *
	    (sizeof(*ring) + sizeof(*cost)))) == -1)
		return -1;
	if ((ring = realloc(ts->ts_ring, cap * sizeof(*ring))) == NULL)
		return run_fail(s->sg_run, "out of memory");
	ts->ts_ring = ring;
	if ((cost = realloc(ts->ts_cost, cap * sizeof(*cost))) == NULL)
		return run_fail(s->sg_run, "out of memory");
	ts->ts_cost = cost;
	ts->ts_cap = cap;
	return 0;
}

static int
tail_push(struct stage *s, struct event *e)
{
	struct tail_state *ts = s->sg_state;
	size_t limit = (size_t)s->sg_cmd->sc_u.head.hd_n, slot;
	struct event *k;
	int64_t cost;

	if (limit == 0)
		return 0;
	if (ts->ts_n < limit && ts->ts_n == ts->ts_cap &&
	    tail_grow(s, ts, limit) == -1)
		return -1;
	if ((k = agg_keep_event(e, &cost)) == NULL)
		return run_fail(s->sg_run, "out of memory");
	if (ts->ts_n < limit) {
		slot = ts->ts_n++;
	} else {
		/* Full: the oldest makes room. */
		slot = ts->ts_first;
		run_mem(s->sg_run, -ts->ts_cost[slot]);
		event_free(ts->ts_ring[slot]);
		ts->ts_first = (ts->ts_first + 1) % ts->ts_cap;
	}
	ts->ts_ring[slot] = k;
	ts->ts_cost[slot] = cost;
	return run_mem(s->sg_run, cost);
}

static int
tail_finish(struct stage *s)
{
	struct tail_state *ts = s->sg_state;
	size_t slot;
	int rc = 0;

	while (ts->ts_n > 0 && rc == 0) {
		slot = ts->ts_first;
		rc = stage_emit(s, ts->ts_ring[slot]);
		run_mem(s->sg_run, -ts->ts_cost[slot]);
		event_free(ts->ts_ring[slot]);
		ts->ts_ring[slot] = NULL;
		ts->ts_first = (ts->ts_first + 1) % ts->ts_cap;
		ts->ts_n--;
		if (rc == 0 && run_poll_now(s->sg_run))
			break;
	}
	return rc < 0 ? -1 : 0;
}

static void
tail_free(struct stage *s)
{
	struct tail_state *ts = s->sg_state;

	if (ts == NULL)
		return;
	for (size_t i = 0; i < ts->ts_n; i++)
		event_free(ts->ts_ring[(ts->ts_first + i) % ts->ts_cap]);
	free(ts->ts_ring);
	free(ts->ts_cost);
	free(ts);
	s->sg_state = NULL;
}

int
cmd_tail_init(struct stage *s, const struct sml_command *c)
{
	(void)c;
	if ((s->sg_state = calloc(1, sizeof(struct tail_state))) == NULL)
		return run_fail(s->sg_run, "out of memory");
	s->sg_push = tail_push;
	s->sg_finish = tail_finish;
	s->sg_free = tail_free;
	return 0;
}

/* ---- dedup [n] f1, f2... [keepempty=bool] (streaming, a seen-set) ---- */

struct dedup_state {
	struct gtab ds_seen;	/* combinations of values seen */
	int64_t *ds_count;	/* events passed per combination */
	size_t ds_cap;
	struct buf ds_key;
};

static int
dedup_push(struct stage *s, struct event *e)
{
	const struct sml_dedup *dd = &s->sg_cmd->sc_u.dedup;
	struct dedup_state *ds = s->sg_state;
	json_t *v;
	long idx;
	int added;

	buf_reset(&ds->ds_key);
	for (size_t i = 0; i < dd->dd_nfields; i++) {
		v = event_get(e, dd->dd_fields[i]);
		if (v == NULL || json_is_null(v))
			return dd->dd_keepempty ? stage_emit(s, e) : 0;
		if (agg_key_put(&ds->ds_key, v) == -1)
			return run_fail(s->sg_run, "out of memory");
	}
	idx = gtab_get(&ds->ds_seen, ds->ds_key.b_data, ds->ds_key.b_len, 1,
	    &added);
	if (idx == -2)
		return run_fail(s->sg_run, "out of memory");
	if (added) {
		if ((size_t)idx >= ds->ds_cap) {
			size_t cap = ds->ds_cap ? ds->ds_cap * 2 : 64;
			int64_t *p = realloc(ds->ds_count, cap * sizeof(*p));

			if (p == NULL)
				return run_fail(s->sg_run, "out of memory");
			ds->ds_count = p;
			ds->ds_cap = cap;
		}
		ds->ds_count[idx] = 0;
		if (run_mem(s->sg_run, gtab_cost(ds->ds_key.b_len) +
		    (int64_t)sizeof(int64_t)) == -1)
			return -1;
	}
	if (ds->ds_count[idx] >= dd->dd_n)
		return 0;
	ds->ds_count[idx]++;
	return stage_emit(s, e);
}

static void
dedup_free(struct stage *s)
{
	struct dedup_state *ds = s->sg_state;

	if (ds == NULL)
		return;
	gtab_free(&ds->ds_seen);
	free(ds->ds_count);
	buf_free(&ds->ds_key);
	free(ds);
	s->sg_state = NULL;
}

int
cmd_dedup_init(struct stage *s, const struct sml_command *c)
{
	if (c->sc_u.dedup.dd_nfields == 0)
		return run_fail(s->sg_run, "dedup: no field");
	if ((s->sg_state = calloc(1, sizeof(struct dedup_state))) == NULL)
		return run_fail(s->sg_run, "out of memory");
	s->sg_push = dedup_push;
	s->sg_free = dedup_free;
	return 0;
}
