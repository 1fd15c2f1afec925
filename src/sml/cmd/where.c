/*
 * cmd/where.c - where: keeps the events for which an expression is true,
 * null being false (streaming).
 *
 *	where <expression>
 *
 * A subsearch [ ... ] in the expression runs here, once, when the stage
 * is set up (before the source reads); its results, without their null
 * fields, go to the node (expr_subsearch_set), and expr.c reads them as
 * the OR over the results of the AND over their fields of field = value.
 */
#include <stdlib.h>

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
	if (sml_next(p) == -1)
		return -1;
	p->sp_sub_ok = 1;
	c->sc_u.where.wh_expr = sml_expr(p);
	p->sp_sub_ok = 0;
	if (c->sc_u.where.wh_expr == NULL)
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

/* The node being filled from a subsearch's results. */
struct where_sub {
	struct stage *wu_stage;
	json_t *wu_rows;
};

/* One result of a subsearch, its null fields dropped. 0, or -1. */
static int
where_sub_row(void *arg, const char *json, size_t len)
{
	struct where_sub *wu = arg;
	struct run *r = wu->wu_stage->sg_run;
	json_t *o = json_loadb(json, len, 0, NULL), *row, *v;
	const char *k;

	if (o == NULL || !json_is_object(o)) {
		json_decref(o);
		return run_fail(r, "where: a subsearch result is not a JSON "
		    "object");
	}
	if ((row = json_object()) == NULL) {
		json_decref(o);
		return run_fail(r, "out of memory");
	}
	json_object_foreach(o, k, v)
		if (!json_is_null(v) && json_object_set(row, k, v) == -1) {
			json_decref(o);
			json_decref(row);
			return run_fail(r, "out of memory");
		}
	json_decref(o);
	/* A result without a field to compare adds nothing (not "all"). */
	if (json_object_size(row) == 0) {
		json_decref(row);
		return 0;
	}
	if (json_array_append_new(wu->wu_rows, row) == -1)
		return run_fail(r, "out of memory");
	return run_mem(r, (int64_t)len * 4 + 64);
}

/*
 * Runs every subsearch of x and keeps its results in the node. Returns 0,
 * 1 when the run was cancelled, or -1 with the run failed.
 */
static int
where_expand(struct stage *s, struct expr *x)
{
	struct where_sub wu;
	size_t i;
	int rc;

	if (x->x_kind != EX_SUBSEARCH) {
		for (i = 0; i < x->x_nargs; i++)
			if ((rc = where_expand(s, x->x_args[i])) != 0)
				return rc;
		return 0;
	}
	/* A second run of the same tree runs it again. */
	if (x->x_cache != NULL && x->x_cache_free != NULL)
		x->x_cache_free(x->x_cache);
	x->x_cache = NULL;
	if (x->x_sub == NULL)
		return run_fail(s->sg_run, "where: no subsearch");
	wu.wu_stage = s;
	if ((wu.wu_rows = json_array()) == NULL)
		return run_fail(s->sg_run, "out of memory");
	if ((rc = run_subsearch(s->sg_run, x->x_sub, where_sub_row,
	    &wu)) != 0) {
		json_decref(wu.wu_rows);
		return rc;
	}
	if (expr_subsearch_set(x, wu.wu_rows) == -1)
		return run_fail(s->sg_run, "out of memory");
	return 0;
}

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
	/* The tree is the query's; only its subsearch nodes change. */
	return where_expand(s, c->sc_u.where.wh_expr) == 0 ? 0 : -1;
}
