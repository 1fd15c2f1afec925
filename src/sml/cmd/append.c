/*
 * cmd/append.c - append: passes the events on, then the results of the
 * subsearch (run once the input has ended).
 *
 *	append [ <subsearch> ]
 *
 * The subsearch may give at most limits.max_subsearch_results results.
 */
#include <stdint.h>
#include <stdlib.h>

#include "sml/parse.h"
#include "sml/stage.h"

int
cmd_append_parse(struct sml_parser *p, struct sml_command *c)
{
	if (sml_next(p) == -1 ||
	    sml_subsearch(p, &c->sc_u.append.ap_sub) == -1)
		return -1;
	return sml_end(p);
}

/* Frees what cmd_append_parse() stored in c (not c itself). */
void
cmd_append_clear(struct sml_command *c)
{
	sml_query_free(c->sc_u.append.ap_sub);
}

/* What append_row needs: its stage and the next arrival number. */
struct append_state {
	struct stage *as_stage;
	uint64_t as_seq;
	int as_stop;
};

static int
append_push(struct stage *s, struct event *e)
{
	return stage_emit(s, e);
}

/* One result of the subsearch, passed on after the input. 0 or -1. */
static int
append_row(void *arg, const char *json, size_t len)
{
	struct append_state *as = arg;
	struct stage *s = as->as_stage;
	json_t *o;
	int64_t t = INT64_MIN;

	if (as->as_stop)
		return 0;
	if ((o = json_loadb(json, len, 0, NULL)) == NULL ||
	    !json_is_object(o)) {
		json_decref(o);
		return run_fail(s->sg_run, "append: a subsearch result is "
		    "not a JSON object");
	}
	(void)evtime_from_json(field_get(o, run_ctx(s->sg_run)->sx_dt_field),
	    &t);
	switch (stage_emit_row(s, o, 1, t, as->as_seq++)) {
	case 0:
		return 0;
	case 1:
		as->as_stop = 1;	/* no more wanted: the rest is dropped */
		return 0;
	default:
		return -1;
	}
}

static int
append_finish(struct stage *s)
{
	int rc = run_subsearch(s->sg_run, s->sg_cmd->sc_u.append.ap_sub,
	    append_row, s->sg_state);

	return rc < 0 ? -1 : 0;
}

static void
append_free(struct stage *s)
{
	free(s->sg_state);
	s->sg_state = NULL;
}

int
cmd_append_init(struct stage *s, const struct sml_command *c)
{
	struct append_state *as;

	if (c->sc_u.append.ap_sub == NULL)
		return run_fail(s->sg_run, "append: no subsearch");
	if ((as = calloc(1, sizeof(*as))) == NULL)
		return run_fail(s->sg_run, "out of memory");
	as->as_stage = s;
	as->as_seq = (uint64_t)1 << 62;	/* after the input's */
	s->sg_state = as;
	s->sg_push = append_push;
	s->sg_finish = append_finish;
	s->sg_free = append_free;
	return 0;
}
