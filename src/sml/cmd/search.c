/*
 * cmd/search.c - search: keeps the events that match a search condition
 * (streaming).
 *
 *	search <condition>
 *
 * The condition's parser (sml_cond(), also that of source's inline
 * condition and of searchmatch()) is the parser's; matching is search.c's.
 */

#include "sml/parse.h"
#include "sml/stage.h"

/* ---- Parsing ---- */

/*
 * Parses search <condition> into c->sc_u.search. Returns 0 with the current
 * token at '|' or the end, or -1 with the error reported.
 */
int
cmd_search_parse(struct sml_parser *p, struct sml_command *c)
{
	if (sml_next_value(p) == -1 ||
	    (c->sc_u.search.sr_cond = sml_cond(p)) == NULL)
		return -1;
	return sml_end(p);
}

/* Frees what cmd_search_parse() stored in c (not c itself). */
void
cmd_search_clear(struct sml_command *c)
{
	sml_cond_free(c->sc_u.search.sr_cond);
}

/* ---- Running ---- */

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
