/*
 * cmd/appendpipe.c - appendpipe: passes the events on, then runs the
 * subpipeline over them once the input has ended and passes on its
 * results too.
 *
 *	appendpipe [ <command> [| <command>...] ]
 *
 * The subpipeline has no first command (source, makeresults): its input is
 * appendpipe's. appendpipe keeps a copy of each event until the end,
 * accounted with run_mem, so limits.max_memory_bytes bounds it.
 */
#include <stdint.h>
#include <stdlib.h>

#include "sml/parse.h"
#include "sml/stage.h"

int
cmd_appendpipe_parse(struct sml_parser *p, struct sml_command *c)
{
	if (sml_next(p) == -1 ||
	    sml_subpipeline(p, &c->sc_u.appendpipe.apn_sub) == -1)
		return -1;
	return sml_end(p);
}

/* Frees what cmd_appendpipe_parse() stored in c (not c itself). */
void
cmd_appendpipe_clear(struct sml_command *c)
{
	sml_query_free(c->sc_u.appendpipe.apn_sub);
}

/* The events kept for the subpipeline. */
struct apn_state {
	struct event **an_ev;
	size_t an_n, an_cap;
	int64_t an_mem;
};

static int
apn_push(struct stage *s, struct event *e)
{
	struct apn_state *as = s->sg_state;
	struct event *kept;
	int64_t cost;

	if (as->an_n == as->an_cap) {
		size_t cap = as->an_cap ? as->an_cap * 2 : 64;
		struct event **p = realloc(as->an_ev, cap * sizeof(*p));

		if (p == NULL)
			return run_fail(s->sg_run, "out of memory");
		as->an_ev = p;
		as->an_cap = cap;
	}
	/* Kept before it goes on: a later command may change it. */
	if ((kept = agg_keep_event(e, &cost)) == NULL)
		return run_fail(s->sg_run, "out of memory");
	as->an_ev[as->an_n++] = kept;
	cost += (int64_t)sizeof(kept);
	as->an_mem += cost;
	if (run_mem(s->sg_run, cost) == -1)
		return -1;
	return stage_emit(s, e);
}

/* Frees the kept events, releasing their memory from r when not NULL. */
static void
apn_clear(struct apn_state *as, struct run *r)
{
	for (size_t i = 0; i < as->an_n; i++)
		event_free(as->an_ev[i]);
	free(as->an_ev);
	as->an_ev = NULL;
	as->an_n = as->an_cap = 0;
	if (r != NULL)
		run_mem(r, -as->an_mem);
	as->an_mem = 0;
}

static int
apn_finish(struct stage *s)
{
	struct apn_state *as = s->sg_state;
	int rc;

	rc = run_pipe(s, s->sg_cmd->sc_u.appendpipe.apn_sub, as->an_ev,
	    as->an_n);
	apn_clear(as, s->sg_run);
	return rc < 0 ? -1 : 0;
}

static void
apn_free(struct stage *s)
{
	struct apn_state *as = s->sg_state;

	if (as == NULL)
		return;
	apn_clear(as, NULL);
	free(as);
	s->sg_state = NULL;
}

int
cmd_appendpipe_init(struct stage *s, const struct sml_command *c)
{
	struct apn_state *as;

	if (c->sc_u.appendpipe.apn_sub == NULL)
		return run_fail(s->sg_run, "appendpipe: no subpipeline");
	if ((as = calloc(1, sizeof(*as))) == NULL)
		return run_fail(s->sg_run, "out of memory");
	s->sg_state = as;
	s->sg_push = apn_push;
	s->sg_finish = apn_finish;
	s->sg_free = apn_free;
	return 0;
}
