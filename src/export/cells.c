/* cells.c - one row of an export: the leaves of an event matched to the columns. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "export/export.h"

/* The most leaf positions whose column is remembered. */
#define CELLS_MAX_PRED 4096

int
export_cells_init(struct export_cells *ec, const struct fieldset *cols,
    size_t ncols)
{
	memset(ec, 0, sizeof(*ec));
	ec->ec_cols = cols;
	ec->ec_ncols = ncols;
	ec->ec_cell = calloc(ncols ? ncols : 1, sizeof(*ec->ec_cell));
	ec->ec_pred = malloc(CELLS_MAX_PRED * sizeof(*ec->ec_pred));
	if (ec->ec_cell == NULL || ec->ec_pred == NULL) {
		export_cells_free(ec);
		return -1;
	}
	return 0;
}

/*
 * Scan callback: puts the leaf in its column's cell. Rows of one task
 * mostly repeat the same fields in the same order, so the column the
 * k-th leaf went to last time is tried first (one comparison instead of
 * a hash lookup).
 */
static int
cells_leaf(void *arg, const struct export_leaf *l)
{
	struct export_cells *ec = arg;
	size_t k = ec->ec_leaf++, nlen;
	const char *n;
	long i = -1;
	struct export_cell *c;

	if (k < ec->ec_npred && ec->ec_pred[k] >= 0) {
		n = fieldset_name(ec->ec_cols, (size_t)ec->ec_pred[k], &nlen);
		if (nlen == l->el_name_len &&
		    memcmp(n, l->el_name, nlen) == 0)
			i = ec->ec_pred[k];
	}
	if (i < 0) {
		i = fieldset_lookup(ec->ec_cols, l->el_name, l->el_name_len);
		if (i >= 0 && (size_t)i >= ec->ec_ncols)
			i = -1;		/* a column past the writer's limit */
		if (k < CELLS_MAX_PRED) {
			while (ec->ec_npred <= k)
				ec->ec_pred[ec->ec_npred++] = -1;
			ec->ec_pred[k] = i;
		}
		if (i < 0)
			return 0;
	}
	c = &ec->ec_cell[i];
	c->ec_row = ec->ec_row;
	c->ec_val = l->el_val;
	c->ec_len = l->el_val_len;
	c->ec_type = l->el_type;
	c->ec_esc = l->el_escaped;
	return 0;
}

int
export_cells_scan(struct export_cells *ec, const char *json, size_t len,
    uint64_t row)
{
	ec->ec_row = row;
	ec->ec_leaf = 0;
	if (ec->ec_ncols == 0)
		return 0;
	return export_scan_event(json, len, &ec->ec_name, cells_leaf, ec) ==
	    0 ? 0 : -1;
}

void
export_cells_free(struct export_cells *ec)
{
	free(ec->ec_cell);
	free(ec->ec_pred);
	buf_free(&ec->ec_name);
	memset(ec, 0, sizeof(*ec));
}
