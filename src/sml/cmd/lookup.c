/*
 * cmd/lookup.c - lookup: adds the columns of a lookup table's matching rows
 * to each event (streaming), and the parser of inputlookup and
 * outputlookup's table name.
 *
 *	lookup NAME col [AS field][, col2 [AS field2]...]
 *	    [OUTPUT|OUTPUTNEW col [AS field][, ...]]
 *
 * An event matches a row when, for every col, the text of its field (the
 * col's own name, or the AS field; a number as it is written, true or
 * false) equals the row's cell. A matching row sets every other column of
 * the table (or the OUTPUT ones, replacing; or the OUTPUTNEW ones, only
 * where the event has no value), as strings, skipping empty cells; several
 * matching rows give an array of their values in table order. An event
 * without a match, or whose field is missing, null, an array or an
 * object, passes unchanged. The table is read once per task (run_lookup).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sml/parse.h"
#include "sml/stage.h"

/* ---- Parsing ---- */

/*
 * Reads the table name at the current token (a word, a number or a
 * quoted string) into *out, checked (csvtab_name_ok), and moves past
 * it. Returns 0, or -1 with the error reported.
 */
static int
lookup_parse_name(struct sml_parser *p, char **out)
{
	struct lex_token t = p->sp_tok;
	char q[SML_QUOTE_BUF];

	if (t.lt_kind != LEX_WORD && t.lt_kind != LEX_NUMBER &&
	    t.lt_kind != LEX_STRING && t.lt_kind != LEX_QNAME)
		return sml_fail_expected(p, "a lookup table name");
	if ((*out = sml_copy(p)) == NULL)
		return -1;
	if (!csvtab_name_ok(*out))
		return sml_fail(p, t.lt_off, "invalid lookup name %s: "
		    CSVTAB_NAME_RULE, sml_tokname(p, &t, q));
	return sml_next(p);
}

/* Returns 1 when the current token is OUTPUT or OUTPUTNEW (any case). */
static int
lookup_at_output(const struct sml_parser *p)
{
	return p->sp_tok.lt_kind == LEX_WORD &&
	    (sml_at_word_ci(p, "output") || sml_at_word_ci(p, "outputnew"));
}

/*
 * Reads col [AS field][, col [AS field]...] into *cols and *fields (*n),
 * up to a token that is no name, or OUTPUT/OUTPUTNEW when stop_output.
 * Returns 0 or -1 with the error reported.
 */
static int
lookup_parse_pairs(struct sml_parser *p, int stop_output, char ***cols,
    char ***fields, size_t *n)
{
	char *col = NULL, *field = NULL;

	for (;;) {
		if (!sml_at_name(p, 0) || (stop_output && lookup_at_output(p)))
			return sml_fail_expected(p, "a column name");
		if (sml_name(p, 0, &col) == -1 || sml_next(p) == -1)
			goto fail;
		if (p->sp_tok.lt_kind == LEX_AS) {
			if (sml_next(p) == -1 || sml_name(p, 0, &field) == -1 ||
			    sml_next(p) == -1)
				goto fail;
		} else if ((field = strdup(col)) == NULL) {
			sml_fail_nomem(p);
			goto fail;
		}
		if (SML_ROOM(p, *cols, *n) == -1 ||
		    SML_ROOM(p, *fields, *n) == -1)
			goto fail;
		(*cols)[*n] = col;
		(*fields)[(*n)++] = field;
		col = field = NULL;
		if (p->sp_tok.lt_kind == LEX_COMMA) {
			if (sml_next(p) == -1)
				return -1;
		} else if (!sml_at_name(p, 0) ||
		    (stop_output && lookup_at_output(p)))
			return 0;
	}
fail:
	free(col);
	free(field);
	return -1;
}

/*
 * Parses lookup NAME col [AS f]... [OUTPUT|OUTPUTNEW col [AS f]...] into
 * c->sc_u.lookup. Returns 0 with the current token at '|' or the end, or
 * -1 with the error reported.
 */
int
cmd_lookup_parse(struct sml_parser *p, struct sml_command *c)
{
	struct sml_lookup *lk = &c->sc_u.lookup;

	if (sml_next(p) == -1 ||
	    lookup_parse_name(p, &lk->lk_name) == -1 ||
	    lookup_parse_pairs(p, 1, &lk->lk_cols, &lk->lk_fields,
	    &lk->lk_n) == -1)
		return -1;
	if (lookup_at_output(p)) {
		lk->lk_mode = sml_at_word_ci(p, "output") ? SML_LOOKUP_OUTPUT :
		    SML_LOOKUP_OUTPUTNEW;
		if (sml_next(p) == -1 ||
		    lookup_parse_pairs(p, 0, &lk->lk_out_cols,
		    &lk->lk_out_fields, &lk->lk_nout) == -1)
			return -1;
	}
	return sml_end(p);
}

/* Frees what cmd_lookup_parse() stored in c (not c itself). */
void
cmd_lookup_clear(struct sml_command *c)
{
	struct sml_lookup *lk = &c->sc_u.lookup;

	free(lk->lk_name);
	sml_strs_free(lk->lk_cols, lk->lk_n);
	sml_strs_free(lk->lk_fields, lk->lk_n);
	sml_strs_free(lk->lk_out_cols, lk->lk_nout);
	sml_strs_free(lk->lk_out_fields, lk->lk_nout);
}

/*
 * Parses inputlookup NAME or outputlookup NAME into c->sc_u.lookup_table.
 * Returns 0 with the current token at '|' or the end, or -1.
 */
static int
lookup_table_parse(struct sml_parser *p, struct sml_command *c)
{
	if (sml_next(p) == -1 ||
	    lookup_parse_name(p, &c->sc_u.lookup_table.lt_name) == -1)
		return -1;
	return sml_end(p);
}

int
cmd_inputlookup_parse(struct sml_parser *p, struct sml_command *c)
{
	return lookup_table_parse(p, c);
}

int
cmd_outputlookup_parse(struct sml_parser *p, struct sml_command *c)
{
	return lookup_table_parse(p, c);
}

/* Frees what inputlookup's or outputlookup's parse stored in c. */
void
cmd_lookup_table_clear(struct sml_command *c)
{
	free(c->sc_u.lookup_table.lt_name);
}

/* ---- Running ---- */

struct lookup_state {
	const struct csvtab *ls_tab;
	long *ls_match;		/* column of each matched pair */
	long *ls_out;		/* column of each output */
	const char **ls_out_fields;
	size_t ls_nout;
	struct gtab ls_keys;	/* key of a row's matched cells -> number */
	long *ls_first;		/* per key number: its first row */
	long *ls_next;		/* per row: the next row of the same key */
	struct buf ls_key;
	int64_t ls_mem;
	json_t **ls_vals;	/* per key number and output: its value when
				 * one string (made on first use), or NULL */
};

/* Appends one part of a key: its length (4 bytes), then its bytes. */
static int
lookup_key_part(struct buf *b, const char *s, size_t len)
{
	uint32_t n = (uint32_t)len;

	return buf_append(b, &n, sizeof(n)) == -1 ||
	    buf_append(b, s, len) == -1 ? -1 : 0;
}

static void
lookup_free(struct stage *s)
{
	struct lookup_state *ls = s->sg_state;

	if (ls == NULL)
		return;
	free(ls->ls_match);
	free(ls->ls_out);
	free(ls->ls_out_fields);
	free(ls->ls_first);
	free(ls->ls_next);
	/* The shared outputs, one per key and output: before the keys go. */
	if (ls->ls_vals != NULL)
		for (size_t i = 0; i < ls->ls_keys.gt_n * ls->ls_nout; i++)
			json_decref(ls->ls_vals[i]);
	free(ls->ls_vals);
	gtab_free(&ls->ls_keys);
	buf_free(&ls->ls_key);
	free(ls);
	s->sg_state = NULL;
}

/*
 * Sets the outputs of the rows of key number key (the first row, chained
 * by ls_next) on e. A value of one string is made once per key and shared
 * (strings are not changed in place). Returns 0, or -1 with the run
 * failed.
 */
static int
lookup_apply(struct stage *s, struct lookup_state *ls, long key,
    struct event *e)
{
	const struct csvtab *t = ls->ls_tab;
	const struct sml_lookup *lk = &s->sg_cmd->sc_u.lookup;
	long row = ls->ls_first[key];
	json_t **one;

	if (ls->ls_vals == NULL) {
		size_t n = ls->ls_keys.gt_n * ls->ls_nout;

		if (run_mem(s->sg_run, (int64_t)(n * sizeof(json_t *))) == -1)
			return -1;
		if ((ls->ls_vals = calloc(n ? n : 1, sizeof(json_t *))) == NULL)
			return run_fail(s->sg_run, "out of memory");
	}
	for (size_t o = 0; o < ls->ls_nout; o++) {
		const char *field = ls->ls_out_fields[o];
		json_t *v = NULL, *cur;
		size_t nv = 0;

		if (lk->lk_mode == SML_LOOKUP_OUTPUTNEW &&
		    (cur = event_get(e, field)) != NULL && !json_is_null(cur))
			continue;
		one = &ls->ls_vals[(size_t)key * ls->ls_nout + o];
		if (*one != NULL) {
			if (event_put(e, field, json_incref(*one)) == -1)
				return run_fail(s->sg_run, "out of memory");
			continue;
		}
		for (long r = row; r >= 0; r = ls->ls_next[r]) {
			size_t k = (size_t)r * t->ct_ncols + (size_t)ls->ls_out[o];
			json_t *cell;

			if (t->ct_lens[t->ct_ncols + k] == 0)
				continue;
			if ((cell = json_stringn(t->ct_cells[k],
			    t->ct_lens[t->ct_ncols + k])) == NULL)
				goto nomem;
			if (nv == 0)
				v = cell;
			else {
				if (nv == 1) {
					json_t *a = json_array();

					if (a == NULL || json_array_append_new(a,
					    v) == -1) {
						json_decref(a);
						json_decref(cell);
						goto nomem;
					}
					v = a;
				}
				if (json_array_append_new(v, cell) == -1)
					goto nomem;
			}
			nv++;
		}
		if (nv == 1 && json_is_string(v))
			*one = json_incref(v);
		if (nv > 0 && event_put(e, field, v) == -1)
			return run_fail(s->sg_run, "out of memory");
		continue;
nomem:
		json_decref(v);
		return run_fail(s->sg_run, "out of memory");
	}
	return 0;
}

static int
lookup_push(struct stage *s, struct event *e)
{
	struct lookup_state *ls = s->sg_state;
	const struct sml_lookup *lk = &s->sg_cmd->sc_u.lookup;
	long k;

	buf_reset(&ls->ls_key);
	for (size_t i = 0; i < lk->lk_n; i++) {
		json_t *v = event_get(e, lk->lk_fields[i]);
		char *txt;
		int rc;

		if (v == NULL || json_is_null(v) || json_is_array(v) ||
		    json_is_object(v))
			return stage_emit(s, e);
		if (json_is_string(v)) {
			/* Its text as it is (value_string would copy it). */
			rc = lookup_key_part(&ls->ls_key, json_string_value(v),
			    strlen(json_string_value(v)));
		} else {
			if ((txt = value_string(v)) == NULL)
				return run_fail(s->sg_run, "out of memory");
			rc = lookup_key_part(&ls->ls_key, txt, strlen(txt));
			free(txt);
		}
		if (rc == -1)
			return run_fail(s->sg_run, "out of memory");
	}
	k = gtab_get(&ls->ls_keys, ls->ls_key.b_data, ls->ls_key.b_len, 0,
	    NULL);
	if (k == -2)
		return run_fail(s->sg_run, "out of memory");
	if (k >= 0 && lookup_apply(s, ls, k, e) == -1)
		return -1;
	return stage_emit(s, e);
}

/*
 * Finds column name of table name in t. Returns its index, or -1 with the
 * run failed.
 */
static long
lookup_col(struct stage *s, const struct csvtab *t, const char *name)
{
	long c = csvtab_col(t, name);

	if (c < 0)
		run_fail(s->sg_run, "lookup: table '%s' has no column '%s'",
		    s->sg_cmd->sc_u.lookup.lk_name, name);
	return c;
}

/*
 * Sets up lookup c: reads its table (run_lookup), checks its columns and
 * indexes its rows by the matched cells. Returns 0, or -1 with the run
 * failed.
 */
int
cmd_lookup_init(struct stage *s, const struct sml_command *c)
{
	const struct sml_lookup *lk = &c->sc_u.lookup;
	struct lookup_state *ls;
	const struct csvtab *t;
	long *last = NULL;

	if ((t = run_lookup(s->sg_run, "lookup", lk->lk_name)) == NULL)
		return -1;
	if ((ls = calloc(1, sizeof(*ls))) == NULL)
		return run_fail(s->sg_run, "out of memory");
	s->sg_state = ls;
	s->sg_push = lookup_push;
	s->sg_free = lookup_free;
	ls->ls_tab = t;
	if ((ls->ls_match = calloc(lk->lk_n, sizeof(long))) == NULL ||
	    (ls->ls_out = calloc(t->ct_ncols + lk->lk_nout,
	    sizeof(long))) == NULL ||
	    (ls->ls_out_fields = calloc(t->ct_ncols + lk->lk_nout,
	    sizeof(char *))) == NULL)
		return run_fail(s->sg_run, "out of memory");
	for (size_t i = 0; i < lk->lk_n; i++)
		if ((ls->ls_match[i] = lookup_col(s, t, lk->lk_cols[i])) < 0)
			return -1;
	if (lk->lk_mode == SML_LOOKUP_ALL) {
		for (size_t col = 0; col < t->ct_ncols; col++) {
			size_t i;

			for (i = 0; i < lk->lk_n; i++)
				if (ls->ls_match[i] == (long)col)
					break;
			if (i < lk->lk_n)
				continue;
			ls->ls_out[ls->ls_nout] = (long)col;
			ls->ls_out_fields[ls->ls_nout++] = t->ct_cols[col];
		}
	} else
		for (size_t o = 0; o < lk->lk_nout; o++) {
			if ((ls->ls_out[o] = lookup_col(s, t,
			    lk->lk_out_cols[o])) < 0)
				return -1;
			ls->ls_out_fields[o] = lk->lk_out_fields[o];
			ls->ls_nout++;
		}
	/* The index: rows of equal keys chained in table order. */
	ls->ls_mem = (int64_t)(t->ct_nrows * 2 * sizeof(long));
	if (run_mem(s->sg_run, ls->ls_mem) == -1)
		return -1;
	if ((ls->ls_next = malloc((t->ct_nrows + 1) * sizeof(long))) == NULL ||
	    (ls->ls_first = malloc((t->ct_nrows + 1) * sizeof(long))) == NULL ||
	    (last = malloc((t->ct_nrows + 1) * sizeof(long))) == NULL)
		goto nomem;
	for (size_t r = 0; r < t->ct_nrows; r++) {
		int added;
		long k;

		buf_reset(&ls->ls_key);
		for (size_t i = 0; i < lk->lk_n; i++) {
			size_t cell = r * t->ct_ncols + (size_t)ls->ls_match[i];

			if (lookup_key_part(&ls->ls_key, t->ct_cells[cell],
			    t->ct_lens[t->ct_ncols + cell]) == -1)
				goto nomem;
		}
		if ((k = gtab_get(&ls->ls_keys, ls->ls_key.b_data,
		    ls->ls_key.b_len, 1, &added)) < 0)
			goto nomem;
		if (added && run_mem(s->sg_run,
		    gtab_cost(ls->ls_key.b_len)) == -1) {
			free(last);
			return -1;
		}
		ls->ls_next[r] = -1;
		if (added)
			ls->ls_first[k] = (long)r;
		else
			ls->ls_next[last[k]] = (long)r;
		last[k] = (long)r;
	}
	free(last);
	return 0;
nomem:
	free(last);
	return run_fail(s->sg_run, "out of memory");
}
