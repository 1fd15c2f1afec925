/*
 * cmd/dedup.c - dedup: keeps the first n events (default 1) of each
 * combination of values of the fields (streaming, a set of the
 * combinations seen).
 *
 *	dedup [<n>] f1[, f2...] [keepempty=<bool>]
 *
 * Events that lack one of the fields, or hold null, are dropped, or kept
 * with keepempty=true.
 */
#include <stdint.h>
#include <stdlib.h>

#include "sml/parse.h"
#include "sml/stage.h"

/* ---- Parsing ---- */

/*
 * Parses dedup [n] f1[, f2...] [keepempty=bool] into c->sc_u.dedup. Returns 0
 * with the current token at '|' or the end, or -1 with the error reported.
 */
int
cmd_dedup_parse(struct sml_parser *p, struct sml_command *c)
{
	struct sml_dedup *dd = &c->sc_u.dedup;
	unsigned seen = 0;
	int given;

	dd->dd_n = 1;
	if (sml_next(p) == -1 ||
	    sml_count_arg(p, "dedup", 1, &dd->dd_n, &given) == -1)
		return -1;
	for (;;) {
		if (sml_at_param(p)) {
			if (!sml_at_key(p, "keepempty"))
				return sml_param_unknown(p, "dedup");
			if (sml_param_once(p, &seen, SML_SEEN_A, "dedup") ==
			    -1 || sml_param_bool(p, "keepempty",
			    &dd->dd_keepempty) == -1 || sml_next(p) == -1)
				return -1;
		} else if (sml_at_name(p, 0)) {
			if (sml_names(p, 0, &dd->dd_fields,
			    &dd->dd_nfields) == -1)
				return -1;
		} else
			break;
	}
	if (dd->dd_nfields == 0)
		return sml_fail_expected(p, "a field name");
	return sml_end(p);
}

/* Frees what cmd_dedup_parse() stored in c (not c itself). */
void
cmd_dedup_clear(struct sml_command *c)
{
	sml_strs_free(c->sc_u.dedup.dd_fields, c->sc_u.dedup.dd_nfields);
}

/* ---- Running ---- */

struct dedup_state {
	struct gtab ds_seen;	/* combinations of values seen */
	int64_t *ds_count;	/* events passed per combination */
	size_t ds_cap;
	struct buf ds_key;
};

static int
dedup_push(struct stage *s, struct event *e)
{
	const struct sml_dedup *dd = &s->sg_cmd->sc_u.dedup;
	struct dedup_state *ds = s->sg_state;
	json_t *v;
	long idx;
	int added;

	buf_reset(&ds->ds_key);
	for (size_t i = 0; i < dd->dd_nfields; i++) {
		v = event_get(e, dd->dd_fields[i]);
		if (v == NULL || json_is_null(v))
			return dd->dd_keepempty ? stage_emit(s, e) : 0;
		if (agg_key_put(&ds->ds_key, v) == -1)
			return run_fail(s->sg_run, "out of memory");
	}
	idx = gtab_get(&ds->ds_seen, ds->ds_key.b_data, ds->ds_key.b_len, 1,
	    &added);
	if (idx == -2)
		return run_fail(s->sg_run, "out of memory");
	if (added) {
		if ((size_t)idx >= ds->ds_cap) {
			size_t cap = ds->ds_cap ? ds->ds_cap * 2 : 64;
			int64_t *p = realloc(ds->ds_count, cap * sizeof(*p));

			if (p == NULL)
				return run_fail(s->sg_run, "out of memory");
			ds->ds_count = p;
			ds->ds_cap = cap;
		}
		ds->ds_count[idx] = 0;
		if (run_mem(s->sg_run, gtab_cost(ds->ds_key.b_len) +
		    (int64_t)sizeof(int64_t)) == -1)
			return -1;
	}
	if (ds->ds_count[idx] >= dd->dd_n)
		return 0;
	ds->ds_count[idx]++;
	return stage_emit(s, e);
}

static void
dedup_free(struct stage *s)
{
	struct dedup_state *ds = s->sg_state;

	if (ds == NULL)
		return;
	gtab_free(&ds->ds_seen);
	free(ds->ds_count);
	buf_free(&ds->ds_key);
	free(ds);
	s->sg_state = NULL;
}

int
cmd_dedup_init(struct stage *s, const struct sml_command *c)
{
	if (c->sc_u.dedup.dd_nfields == 0)
		return run_fail(s->sg_run, "dedup: no field");
	if ((s->sg_state = calloc(1, sizeof(struct dedup_state))) == NULL)
		return run_fail(s->sg_run, "out of memory");
	s->sg_push = dedup_push;
	s->sg_free = dedup_free;
	return 0;
}
