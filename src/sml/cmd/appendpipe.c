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

static int
apn_push(struct stage *s, struct event *e)
{
	/* Kept before it goes on: a later command may change it. */
	if (evlist_keep(s, s->sg_state, e) == -1)
		return -1;
	return stage_emit(s, e);
}

static int
apn_finish(struct stage *s)
{
	struct evlist *l = s->sg_state;
	int rc;

	rc = run_pipe(s, s->sg_cmd->sc_u.appendpipe.apn_sub, l->el_ev,
	    l->el_n);
	evlist_free(l, s->sg_run);
	return rc < 0 ? -1 : 0;
}

static void
apn_free(struct stage *s)
{
	struct evlist *l = s->sg_state;

	if (l == NULL)
		return;
	evlist_free(l, NULL);
	free(l);
	s->sg_state = NULL;
}

int
cmd_appendpipe_init(struct stage *s, const struct sml_command *c)
{
	struct evlist *l;

	if (c->sc_u.appendpipe.apn_sub == NULL)
		return run_fail(s->sg_run, "appendpipe: no subpipeline");
	if ((l = calloc(1, sizeof(*l))) == NULL)
		return run_fail(s->sg_run, "out of memory");
	s->sg_state = l;
	s->sg_push = apn_push;
	s->sg_finish = apn_finish;
	s->sg_free = apn_free;
	return 0;
}
