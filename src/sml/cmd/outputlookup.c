/*
 * cmd/outputlookup.c - outputlookup: writes the results reaching it as a
 * lookup table of the task's owner, and passes them on.
 *
 *	outputlookup NAME
 *
 * The columns are the top-level fields of the results in the order they
 * first appear; a string is written as it is, a number or a boolean as
 * its text, an array or an object as its compact JSON, null or a missing
 * field as an empty cell. The table replaces the owner's table NAME once
 * the input ends (a shared table of that name stays, and the owner's now
 * comes first); no result writes no table (a warning says so). Bounded by
 * limits.max_lookup_bytes and limits.max_lookup_rows: more fails the task.
 * The parser is lookup's (cmd/lookup.c).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sml/parse.h"
#include "sml/stage.h"

struct outputlookup_state {
	struct gtab ol_cols;	/* column name -> number */
	struct buf ol_cells;	/* per row: count (4), then (column (4),
				 * length (4), bytes) per cell */
	size_t ol_rows;
	uint64_t ol_bytes;	/* the cells' bytes: the CSV is no smaller */
	int64_t ol_mem;
};

/* Accounts the growth of the cells' buffer. Returns 0 or -1 (failed). */
static int
outputlookup_mem(struct stage *s, struct outputlookup_state *ol)
{
	int64_t now = (int64_t)ol->ol_cells.b_cap;

	if (now == ol->ol_mem)
		return 0;
	if (run_mem(s->sg_run, now - ol->ol_mem) == -1)
		return -1;
	ol->ol_mem = now;
	return 0;
}

static int
outputlookup_push(struct stage *s, struct event *e)
{
	struct outputlookup_state *ol = s->sg_state;
	struct buf *b = &ol->ol_cells;
	size_t at = b->b_len;
	uint32_t n = 0;
	const char *key;
	json_t *obj, *v;

	if ((obj = event_obj(e)) == NULL)
		return run_fail(s->sg_run, "out of memory");
	if (++ol->ol_rows > run_lookup_max_rows(s->sg_run))
		return run_fail(s->sg_run, "outputlookup: the table would "
		    "have more than %llu rows (limits.max_lookup_rows)",
		    (unsigned long long)run_lookup_max_rows(s->sg_run));
	if (buf_append(b, &n, sizeof(n)) == -1)
		goto nomem;
	json_object_foreach(obj, key, v) {
		size_t klen = strlen(key);
		char *txt;
		size_t len;
		uint32_t u[2];
		long col;
		int rc;

		if (klen == 0 || json_is_null(v))
			continue;
		if ((col = gtab_get(&ol->ol_cols, key, klen, 1, NULL)) < 0)
			goto nomem;
		if (json_is_string(v)) {
			txt = NULL;
			len = json_string_length(v);
		} else if (json_is_array(v) || json_is_object(v))
			txt = value_json(v, &len);
		else if ((txt = value_string(v)) != NULL)
			len = strlen(txt);
		if (!json_is_string(v) && txt == NULL)
			goto nomem;
		u[0] = (uint32_t)col;
		u[1] = (uint32_t)len;
		rc = buf_append(b, u, sizeof(u)) == -1 || buf_append(b,
		    txt != NULL ? txt : json_string_value(v), len) == -1;
		free(txt);
		if (rc)
			goto nomem;
		n++;
		if ((ol->ol_bytes += len + 1) > run_lookup_max_bytes(s->sg_run))
			return run_fail(s->sg_run, "outputlookup: the table "
			    "would be more than %llu bytes "
			    "(limits.max_lookup_bytes)", (unsigned long long)
			    run_lookup_max_bytes(s->sg_run));
	}
	memcpy(b->b_data + at, &n, sizeof(n));
	if (outputlookup_mem(s, ol) == -1)
		return -1;
	return stage_emit(s, e);
nomem:
	return run_fail(s->sg_run, "out of memory");
}

/* Writes the table as CSV and stores it. Returns 0 or -1 (failed). */
static int
outputlookup_finish(struct stage *s)
{
	struct outputlookup_state *ol = s->sg_state;
	const char *name = s->sg_cmd->sc_u.lookup_table.lt_name;
	size_t ncols = ol->ol_cols.gt_n, at = 0;
	const char **cells = NULL;
	size_t *lens = NULL;
	struct buf csv = BUF_INIT;
	int rc = -1;

	if (ol->ol_rows == 0 || ncols == 0) {
		run_log(s->sg_run, SML_LOG_WARN, "outputlookup: no results "
		    "with a field: lookup '%s' is not written", name);
		return 0;
	}
	if ((cells = calloc(ncols, sizeof(*cells))) == NULL ||
	    (lens = calloc(ncols, sizeof(*lens))) == NULL)
		goto nomem;
	for (size_t c = 0; c < ncols; c++) {
		const struct gkey *k = &ol->ol_cols.gt_keys[c];

		if ((c > 0 && buf_putc(&csv, ',') == -1) ||
		    csvtab_put_field(&csv, k->gk_data, k->gk_len) == -1)
			goto nomem;
	}
	if (buf_putc(&csv, '\n') == -1)
		goto nomem;
	for (size_t r = 0; r < ol->ol_rows; r++) {
		uint32_t n, u[2];

		memset(lens, 0, ncols * sizeof(*lens));
		memcpy(&n, ol->ol_cells.b_data + at, sizeof(n));
		at += sizeof(n);
		for (uint32_t i = 0; i < n; i++) {
			memcpy(u, ol->ol_cells.b_data + at, sizeof(u));
			at += sizeof(u);
			cells[u[0]] = ol->ol_cells.b_data + at;
			lens[u[0]] = u[1];
			at += u[1];
		}
		for (size_t c = 0; c < ncols; c++)
			if ((c > 0 && buf_putc(&csv, ',') == -1) ||
			    (lens[c] > 0 && csvtab_put_field(&csv, cells[c],
			    lens[c]) == -1))
				goto nomem;
		/* A row of one empty cell must not read as the end. */
		if ((ncols == 1 && lens[0] == 0 && buf_puts(&csv, "\"\"") ==
		    -1) || buf_putc(&csv, '\n') == -1)
			goto nomem;
	}
	rc = run_lookup_put(s->sg_run, "outputlookup", name, csv.b_data,
	    csv.b_len, ol->ol_rows);
	goto done;
nomem:
	run_fail(s->sg_run, "out of memory");
done:
	free(cells);
	free(lens);
	buf_free(&csv);
	return rc;
}

static void
outputlookup_free(struct stage *s)
{
	struct outputlookup_state *ol = s->sg_state;

	if (ol == NULL)
		return;
	gtab_free(&ol->ol_cols);
	buf_free(&ol->ol_cells);
	free(ol);
	s->sg_state = NULL;
}

/* Sets up outputlookup c. Returns 0, or -1 with the run failed. */
int
cmd_outputlookup_init(struct stage *s, const struct sml_command *c)
{
	struct outputlookup_state *ol;

	(void)c;
	if ((ol = calloc(1, sizeof(*ol))) == NULL)
		return run_fail(s->sg_run, "out of memory");
	s->sg_state = ol;
	s->sg_push = outputlookup_push;
	s->sg_finish = outputlookup_finish;
	s->sg_free = outputlookup_free;
	return 0;
}
