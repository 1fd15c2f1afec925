/* pivot.c - values as columns: the value sets and row x series cells that
 * timechart, chart and xyseries turn into one column per value. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sml/stage.h"

/*
 * Returns the number of value v (NULL: none, held as json null) in pl:
 * made when new and add is set (its memory accounted with run_mem), -1
 * when missing (add 0), or -2 with the run failed.
 */
long
pvals_get(struct stage *s, struct pvals *pl, const json_t *v, int add)
{
	int added = 0;
	long idx;

	buf_reset(&pl->pl_key);
	if (agg_key_put(&pl->pl_key, v) == -1 ||
	    (idx = gtab_get(&pl->pl_tab, pl->pl_key.b_data, pl->pl_key.b_len,
	    add, &added)) == -2)
		return run_fail(s->sg_run, "out of memory") - 1;
	if (idx < 0 || !added)
		return idx;
	if ((size_t)idx >= pl->pl_cap) {
		size_t cap = pl->pl_cap ? pl->pl_cap * 2 : 16;
		json_t **p = realloc(pl->pl_vals, cap * sizeof(*p));

		if (p == NULL)
			return run_fail(s->sg_run, "out of memory") - 1;
		pl->pl_vals = p;
		pl->pl_cap = cap;
	}
	if ((pl->pl_vals[idx] = v ? agg_hold(v) : json_null()) == NULL)
		return run_fail(s->sg_run, "out of memory") - 1;
	if (run_mem(s->sg_run, gtab_cost(pl->pl_key.b_len) +
	    agg_json_cost(v) + (int64_t)sizeof(json_t *)) == -1)
		return -2;
	return idx;
}

/* Orders value numbers by their values. */
static int
pvals_cmp(const void *a, const void *b, void *arg)
{
	json_t *const *vals = arg;

	return agg_value_cmp(vals[*(const long *)a], vals[*(const long *)b]);
}

/*
 * Returns the numbers 0..n of pl's values ordered by agg_value_cmp (an
 * array the caller frees), or NULL out of memory.
 */
long *
pvals_order(const struct pvals *pl)
{
	size_t n = pl->pl_tab.gt_n, i;
	long *ids, **ptrs, *out;

	ids = calloc(n ? n : 1, sizeof(*ids));
	ptrs = calloc(n ? n : 1, sizeof(*ptrs));
	out = calloc(n ? n : 1, sizeof(*out));
	if (ids == NULL || ptrs == NULL || out == NULL)
		goto fail;
	for (i = 0; i < n; i++) {
		ids[i] = (long)i;
		ptrs[i] = &ids[i];
	}
	if (agg_sort_ptrs((void **)ptrs, n, pvals_cmp, pl->pl_vals) == -1)
		goto fail;
	for (i = 0; i < n; i++)
		out[i] = *ptrs[i];
	free(ptrs);
	free(ids);
	return out;
fail:
	free(out);
	free(ptrs);
	free(ids);
	return NULL;
}

/* Frees what pl holds (not pl itself). */
void
pvals_free(struct pvals *pl)
{
	for (size_t i = 0; i < pl->pl_tab.gt_n; i++)
		json_decref(pl->pl_vals[i]);
	free(pl->pl_vals);
	pl->pl_vals = NULL;
	pl->pl_cap = 0;
	gtab_free(&pl->pl_tab);
	buf_free(&pl->pl_key);
}

/* Writes the key of the cell of row and series sr into pv_key. */
static int
pivot_key(struct pivot *pv, int64_t row, long sr)
{
	buf_reset(&pv->pv_key);
	return buf_append(&pv->pv_key, &row, sizeof(row)) == -1 ||
	    buf_append(&pv->pv_key, &sr, sizeof(sr)) == -1 ? -1 : 0;
}

/*
 * Returns the cell of row and series sr: made when new and add is set, or
 * NULL (missing with add 0; with add set, the run failed: out of memory,
 * limits.max_groups or max_memory_bytes).
 */
struct pivot_cell *
pivot_cell(struct stage *s, struct pivot *pv, int64_t row, long sr, int add)
{
	int64_t max = run_limits(s->sg_run)->rl_max_groups;
	struct pivot_cell *cell;
	size_t sz = sizeof(*cell) + pv->pv_naggs * sizeof(struct agg_state);
	long idx;

	if (pivot_key(pv, row, sr) == -1) {
		if (add)
			run_fail(s->sg_run, "out of memory");
		return NULL;
	}
	idx = gtab_get(&pv->pv_tab, pv->pv_key.b_data, pv->pv_key.b_len, 0,
	    NULL);
	if (idx >= 0)
		return pv->pv_cells[idx];
	if (!add)
		return NULL;
	if (max > 0 && (int64_t)pv->pv_tab.gt_n >= max) {
		run_fail(s->sg_run, "%s: more than %lld groups of %s and value "
		    "(limits.max_groups)", s->sg_cmd->sc_name, (long long)max,
		    pv->pv_what);
		return NULL;
	}
	if (pv->pv_tab.gt_n == pv->pv_cap) {
		size_t cap = pv->pv_cap ? pv->pv_cap * 2 : 64;
		struct pivot_cell **p = realloc(pv->pv_cells, cap * sizeof(*p));

		if (p == NULL) {
			run_fail(s->sg_run, "out of memory");
			return NULL;
		}
		pv->pv_cells = p;
		pv->pv_cap = cap;
	}
	if ((cell = calloc(1, sz)) == NULL) {
		run_fail(s->sg_run, "out of memory");
		return NULL;
	}
	cell->pc_row = row;
	cell->pc_series = sr;
	cell->pc_cost = (int64_t)(sz + sizeof(cell)) +
	    gtab_cost(pv->pv_key.b_len);
	if ((idx = gtab_get(&pv->pv_tab, pv->pv_key.b_data, pv->pv_key.b_len,
	    1, NULL)) < 0) {
		free(cell);
		run_fail(s->sg_run, "out of memory");
		return NULL;
	}
	pv->pv_cells[idx] = cell;
	if (run_mem(s->sg_run, cell->pc_cost) == -1)
		return NULL;
	return cell;
}

/*
 * Adds one event's values vals (one per aggregation, borrowed) of time t
 * to cell c. Returns 0, or -1 with the run failed.
 */
int
pivot_cell_add(struct stage *s, struct pivot *pv, struct pivot_cell *c,
    const json_t *const *vals, int64_t t)
{
	for (size_t i = 0; i < pv->pv_naggs; i++)
		if (agg_add(&c->pc_st[i], &pv->pv_aggs[i], vals[i], t,
		    s->sg_run) == -1)
			return -1;
	return 0;
}

/* Frees the cells of pv (releasing their memory from r when not NULL). */
void
pivot_cells_free(struct pivot *pv, struct run *r)
{
	for (size_t i = 0; i < pv->pv_tab.gt_n; i++) {
		struct pivot_cell *cell = pv->pv_cells[i];

		for (size_t j = 0; j < pv->pv_naggs; j++)
			agg_clear(&cell->pc_st[j], r);
		if (r != NULL)
			run_mem(r, -cell->pc_cost);
		free(cell);
	}
	free(pv->pv_cells);
	pv->pv_cells = NULL;
	pv->pv_cap = 0;
	gtab_free(&pv->pv_tab);
}

/* Frees what pv holds (not pv itself). */
void
pivot_free(struct pivot *pv)
{
	pivot_cells_free(pv, NULL);
	pvals_free(&pv->pv_series);
	buf_free(&pv->pv_key);
}

/*
 * Returns the name of a column: label (when not NULL) or the text of value
 * v, after "<prefix>: " when prefix is not NULL. A string the caller
 * frees, or NULL out of memory.
 */
char *
pivot_column(const char *prefix, const json_t *v, const char *label)
{
	struct buf b = BUF_INIT;
	char *text = NULL, *out = NULL;

	if (label == NULL && (text = value_string(v)) == NULL &&
	    (text = value_json(v, NULL)) == NULL)
		return NULL;
	if ((prefix == NULL || buf_printf(&b, "%s: ", prefix) == 0) &&
	    buf_puts(&b, label ? label : text) == 0)
		out = strdup(b.b_data ? b.b_data : "");
	free(text);
	buf_free(&b);
	return out;
}
