/*
 * cmd/eval.c - eval: sets fields to the values of expressions (streaming).
 *
 *	eval <field>=<expression>[, <field>=<expression>...]
 *
 * Left to right: a later assignment sees an earlier one. A null value
 * removes the field.
 */
#include <stdlib.h>

#include "sml/parse.h"
#include "sml/stage.h"

/* ---- Parsing ---- */

/*
 * Parses eval <field>=<expression>[, ...] into c->sc_u.eval. Returns 0 with
 * the current token at '|' or the end, or -1 with the error reported.
 */
int
cmd_eval_parse(struct sml_parser *p, struct sml_command *c)
{
	struct sml_eval *ev = &c->sc_u.eval;
	struct expr *x;
	char *name;

	if (sml_next(p) == -1)
		return -1;
	for (;;) {
		if (sml_name(p, 0, &name) == -1)
			return -1;
		if (sml_next(p) == -1) {
			free(name);
			return -1;
		}
		if (p->sp_tok.lt_kind != LEX_EQ) {
			free(name);
			return sml_fail_expected(p, "'='");
		}
		if (sml_next(p) == -1 || (x = sml_expr(p)) == NULL) {
			free(name);
			return -1;
		}
		if (SML_ROOM(p, ev->ev_fields, ev->ev_n) == -1 ||
		    SML_ROOM(p, ev->ev_exprs, ev->ev_n) == -1) {
			free(name);
			sml_expr_free(x);
			return -1;
		}
		ev->ev_fields[ev->ev_n] = name;
		ev->ev_exprs[ev->ev_n++] = x;
		if (p->sp_tok.lt_kind != LEX_COMMA)
			return sml_end(p);
		if (sml_next(p) == -1)
			return -1;
	}
}

/* Frees what cmd_eval_parse() stored in c (not c itself). */
void
cmd_eval_clear(struct sml_command *c)
{
	for (size_t i = 0; i < c->sc_u.eval.ev_n; i++)
		sml_expr_free(c->sc_u.eval.ev_exprs[i]);
	free(c->sc_u.eval.ev_exprs);
	sml_strs_free(c->sc_u.eval.ev_fields, c->sc_u.eval.ev_n);
}

/* ---- Running ---- */

static int
eval_push(struct stage *s, struct event *e)
{
	const struct sml_eval *ev = &s->sg_cmd->sc_u.eval;
	struct eval_ctx *ec = run_eval_ctx(s->sg_run);
	json_t *v;

	for (size_t i = 0; i < ev->ev_n; i++) {
		if ((v = expr_eval(ev->ev_exprs[i], e, ec)) == NULL)
			return run_eval_fail(s->sg_run);
		/* null removes the field (event_set). */
		if (event_set(e, ev->ev_fields[i], v) == -1)
			return run_fail(s->sg_run, "out of memory");
	}
	return stage_emit(s, e);
}

int
cmd_eval_init(struct stage *s, const struct sml_command *c)
{
	(void)c;
	s->sg_push = eval_push;
	return 0;
}
