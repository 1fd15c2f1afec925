/*
 * cmd/tail.c - tail: keeps the last n events (default 10), in their
 * order (blocking: a ring of n events).
 *
 *	tail [<n>]
 */
#include <stdint.h>
#include <stdlib.h>

#include "sml/parse.h"
#include "sml/stage.h"

/* ---- Parsing ---- */

/*
 * Parses tail [<n>] into c->sc_u.head (with sml_head_count(), as head).
 * Returns 0 with the current token at '|' or the end, or -1 with the error
 * reported.
 */
int
cmd_tail_parse(struct sml_parser *p, struct sml_command *c)
{
	return sml_head_count(p, c);
}

/* ---- Running ---- */

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
