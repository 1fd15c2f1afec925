/*
 * cmd/xyseries.c - xyseries: turns rows of x, y-name and y-data values
 * into one row per x value with a column per y-name value (blocking).
 *
 *	xyseries <x-field> <y-name-field> <y-data-field>[, <y-data-field>...]
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sml/parse.h"
#include "sml/stage.h"

/* ---- Parsing ---- */

/*
 * Reads the fields of xyseries or untable (the current token is the
 * command's name), separated by ',' or white space, at most max of them
 * and at least three, into c->sc_u.xyseries. Returns 0 with the current
 * token at '|' or the end, or -1 with the error reported.
 */
int
sml_xy_fields(struct sml_parser *p, struct sml_command *c, size_t max)
{
	static const char *const what[] = {
		"an x field", "a y-name field", "a y-data field",
	};
	struct sml_xyseries *xy = &c->sc_u.xyseries;
	size_t n = 0;
	char *name;

	if (sml_next(p) == -1)
		return -1;
	while (n < max && sml_at_name(p, 0) && !sml_at_param(p)) {
		if (sml_name(p, 0, &name) == -1)
			return -1;
		if (n == 0)
			xy->xy_x = name;
		else if (n == 1)
			xy->xy_y = name;
		else if (sml_push_str(p, &xy->xy_data, &xy->xy_ndata,
		    name) == -1)
			return -1;
		if (sml_next(p) == -1)
			return -1;
		n++;
		if (p->sp_tok.lt_kind == LEX_COMMA) {
			if (sml_next(p) == -1)
				return -1;
			if (!sml_at_name(p, 0) || sml_at_param(p) || n == max)
				return sml_fail_expected(p, n < 3 ? what[n] :
				    "a y-data field");
		}
	}
	if (sml_at_param(p))
		return sml_param_unknown(p, c->sc_name);
	if (n < 3)
		return sml_fail_expected(p, what[n]);
	return sml_end(p);
}

int
cmd_xyseries_parse(struct sml_parser *p, struct sml_command *c)
{
	return sml_xy_fields(p, c, SIZE_MAX);
}

/* Frees what cmd_xyseries_parse() stored in c (not c itself); untable's
 * too. */
void
cmd_xyseries_clear(struct sml_command *c)
{
	struct sml_xyseries *xy = &c->sc_u.xyseries;

	free(xy->xy_x);
	free(xy->xy_y);
	sml_strs_free(xy->xy_data, xy->xy_ndata);
}

/* ---- Running ---- */

/*
 * A row without the x or the y-name field (or with it null) is left out.
 * Each other row sets, in the row of its x value, the column named by its
 * y-name value ("<y-data>: <y-name value>" with several y-data fields) to
 * its y-data value; a later row with the same x and y-name values wins, a
 * missing or null y-data value sets nothing. Rows and columns come in the
 * order their values first came; a cell nothing set is null. Rows held
 * are accounted with run_mem.
 */

struct xy_state {
	struct pvals xs_rows;		/* the x values */
	json_t **xs_cells;		/* per row: column name -> value */
	size_t xs_cap;
	struct pvals xs_cols;		/* the column names (strings) */
};

/* Sets column name of row row to v (borrowed). Returns 0 or -1. */
static int
xy_set(struct stage *s, struct xy_state *xs, long row, const char *name,
    const json_t *v)
{
	json_t *n, *held;
	long col;

	if ((n = json_string(name)) == NULL)
		return run_fail(s->sg_run, "out of memory");
	col = pvals_get(s, &xs->xs_cols, n, 1);
	json_decref(n);
	if (col < 0)
		return -1;
	if ((held = agg_hold(v)) == NULL ||
	    json_object_set_new(xs->xs_cells[row], name, held) == -1)
		return run_fail(s->sg_run, "out of memory");
	return run_mem(s->sg_run, agg_json_cost(v) +
	    (int64_t)strlen(name) + 48);
}

static int
xy_push(struct stage *s, struct event *e)
{
	const struct sml_xyseries *xy = &s->sg_cmd->sc_u.xyseries;
	struct xy_state *xs = s->sg_state;
	json_t *x = event_get(e, xy->xy_x), *y = event_get(e, xy->xy_y), *v;
	char *name;
	long row;
	int rc;

	if (x == NULL || json_is_null(x) || y == NULL || json_is_null(y))
		return 0;
	if ((row = pvals_get(s, &xs->xs_rows, x, 1)) < 0)
		return -1;
	if ((size_t)row >= xs->xs_cap) {
		size_t cap = xs->xs_cap ? xs->xs_cap * 2 : 16;
		json_t **p = realloc(xs->xs_cells, cap * sizeof(*p));

		if (p == NULL)
			return run_fail(s->sg_run, "out of memory");
		memset(p + xs->xs_cap, 0, (cap - xs->xs_cap) * sizeof(*p));
		xs->xs_cells = p;
		xs->xs_cap = cap;
	}
	if (xs->xs_cells[row] == NULL &&
	    (xs->xs_cells[row] = json_object()) == NULL)
		return run_fail(s->sg_run, "out of memory");
	for (size_t i = 0; i < xy->xy_ndata; i++) {
		/* y and x are borrowed from e: read v before any change. */
		if ((v = event_get(e, xy->xy_data[i])) == NULL ||
		    json_is_null(v))
			continue;
		if ((name = pivot_column(xy->xy_ndata > 1 ? xy->xy_data[i] :
		    NULL, y, NULL)) == NULL)
			return run_fail(s->sg_run, "out of memory");
		rc = xy_set(s, xs, row, name, v);
		free(name);
		if (rc == -1)
			return -1;
	}
	return 0;
}

static int
xy_finish(struct stage *s)
{
	const struct sml_xyseries *xy = &s->sg_cmd->sc_u.xyseries;
	struct xy_state *xs = s->sg_state;
	size_t ncols = xs->xs_cols.pl_tab.gt_n;
	json_t *obj, *v;
	int rc = 0;

	for (size_t r = 0; r < xs->xs_rows.pl_tab.gt_n && rc == 0; r++) {
		int ok = (obj = json_object()) != NULL &&
		    json_object_set(obj, xy->xy_x,
		    xs->xs_rows.pl_vals[r]) == 0;

		for (size_t c = 0; c < ncols && ok; c++) {
			const char *name = json_string_value(
			    xs->xs_cols.pl_vals[c]);

			v = json_object_get(xs->xs_cells[r], name);
			if (json_object_set(obj, name, v ? v : json_null()) ==
			    -1)
				ok = 0;
		}
		if (obj == NULL)
			return run_fail(s->sg_run, "out of memory");
		rc = stage_emit_row(s, obj, ok, INT64_MIN, r);
	}
	return rc < 0 ? -1 : 0;
}

static void
xy_free(struct stage *s)
{
	struct xy_state *xs = s->sg_state;

	if (xs == NULL)
		return;
	for (size_t i = 0; i < xs->xs_cap; i++)
		json_decref(xs->xs_cells[i]);
	free(xs->xs_cells);
	pvals_free(&xs->xs_rows);
	pvals_free(&xs->xs_cols);
	free(xs);
	s->sg_state = NULL;
}

int
cmd_xyseries_init(struct stage *s, const struct sml_command *c)
{
	struct xy_state *xs;

	if (c->sc_u.xyseries.xy_ndata == 0)
		return run_fail(s->sg_run, "xyseries: no y-data field");
	if ((xs = calloc(1, sizeof(*xs))) == NULL)
		return run_fail(s->sg_run, "out of memory");
	s->sg_state = xs;
	s->sg_push = xy_push;
	s->sg_finish = xy_finish;
	s->sg_free = xy_free;
	return 0;
}
