/*
 * cmd/where.c - where: keeps the events for which an expression is true,
 * null being false (streaming).
 *
 *	where <expression>
 */

#include "sml/parse.h"
#include "sml/stage.h"

/* ---- Parsing ---- */

/*
 * Parses where <expression> into c->sc_u.where. Returns 0 with the current
 * token at '|' or the end, or -1 with the error reported.
 */
int
cmd_where_parse(struct sml_parser *p, struct sml_command *c)
{
	if (sml_next(p) == -1 || (c->sc_u.where.wh_expr = sml_expr(p)) == NULL)
		return -1;
	return sml_end(p);
}

/* Frees what cmd_where_parse() stored in c (not c itself). */
void
cmd_where_clear(struct sml_command *c)
{
	sml_expr_free(c->sc_u.where.wh_expr);
}

/* ---- Running ---- */

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
