/*
 * cmd/inputlookup.c - inputlookup: the rows of a lookup table as events
 * (the first command of a query).
 *
 *	inputlookup NAME
 *
 * Each row becomes an object of its non-empty cells, as strings, in the
 * order of the columns, in table order. The events have no time. The
 * parser is lookup's (cmd/lookup.c).
 */
#include <stdint.h>

#include "sml/parse.h"
#include "sml/stage.h"

/*
 * Runs inputlookup c: feeds the table's rows to the pipeline. Returns
 * SML_RUN_DONE, SML_RUN_STOPPED when asked to stop, or SML_RUN_ERROR with
 * the run failed.
 */
enum sml_run_result
cmd_inputlookup_run(struct run *r, const struct sml_command *c)
{
	const struct csvtab *t;

	if ((t = run_lookup(r, "inputlookup",
	    c->sc_u.lookup_table.lt_name)) == NULL)
		return SML_RUN_ERROR;
	for (size_t row = 0; row < t->ct_nrows; row++) {
		json_t *obj = json_object();
		struct event ev;
		int rc;

		if (obj == NULL)
			goto nomem;
		for (size_t col = 0; col < t->ct_ncols; col++) {
			size_t k = row * t->ct_ncols + col;
			size_t len = t->ct_lens[t->ct_ncols + k];

			if (len > 0 && json_object_set_new(obj, t->ct_cols[col],
			    json_stringn(t->ct_cells[k], len)) == -1) {
				json_decref(obj);
				goto nomem;
			}
		}
		run_set_progress(r, (double)(row + 1) / (double)t->ct_nrows);
		event_init_obj(&ev, obj, INT64_MIN, run_next_seq(r));
		rc = run_feed(r, &ev);
		event_clear(&ev);
		if (rc < 0)
			return SML_RUN_ERROR;
		if (rc > 0 || run_poll_now(r))
			return run_stopped(r) ? SML_RUN_STOPPED : SML_RUN_DONE;
	}
	return SML_RUN_DONE;
nomem:
	run_fail(r, "out of memory");
	return SML_RUN_ERROR;
}
