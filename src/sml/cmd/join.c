/*
 * cmd/join.c - join: adds to each event the fields of the subsearch's
 * results that have the same values of the fields (a hash join; the
 * subsearch runs first, once).
 *
 *	join [type=inner|left] [max=<n>] f1[, f2...] [ <subsearch> ]
 *
 * type=inner (the default) drops the events no result matches, type=left
 * passes them unchanged. max (default 1; 0: all) is how many matching
 * results, in the subsearch's order, make an event each: the event's
 * fields with the result's over them. Events and results without one of
 * the fields (or with null) match nothing. The subsearch may give at most
 * limits.max_subsearch_results results; they count against
 * limits.max_memory_bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sml/parse.h"
#include "sml/stage.h"

/* ---- Parsing ---- */

int
cmd_join_parse(struct sml_parser *p, struct sml_command *c)
{
	struct sml_join *jn = &c->sc_u.join;
	unsigned seen = 0;
	char *v;

	jn->jn_max = 1;
	if (sml_next(p) == -1)
		return -1;
	for (;;) {
		if (sml_at_param(p)) {
			if (sml_at_key(p, "type")) {
				if (sml_param_once(p, &seen, SML_SEEN_A,
				    "join") == -1 ||
				    (v = sml_param_value(p, "type")) == NULL)
					return -1;
				if (strcmp(v, "inner") != 0 &&
				    strcmp(v, "left") != 0 &&
				    strcmp(v, "outer") != 0) {
					free(v);
					return sml_fail(p, p->sp_tok.lt_off,
					    "type must be inner or left");
				}
				jn->jn_left = strcmp(v, "inner") != 0;
				free(v);
			} else if (sml_at_key(p, "max")) {
				if (sml_param_once(p, &seen, SML_SEEN_B,
				    "join") == -1 ||
				    sml_param_int(p, "max", 0,
				    "0 (all) or a positive integer",
				    &jn->jn_max) == -1)
					return -1;
			} else
				return sml_param_unknown(p, "join");
			if (sml_next(p) == -1)
				return -1;
		} else if (sml_at_name(p, 0) && jn->jn_nfields == 0) {
			if (sml_names(p, 0, &jn->jn_fields,
			    &jn->jn_nfields) == -1)
				return -1;
		} else
			break;
	}
	if (jn->jn_nfields == 0)
		return sml_fail_expected(p, "a field name");
	if (sml_subsearch(p, &jn->jn_sub) == -1)
		return -1;
	return sml_end(p);
}

/* Frees what cmd_join_parse() stored in c (not c itself). */
void
cmd_join_clear(struct sml_command *c)
{
	sml_strs_free(c->sc_u.join.jn_fields, c->sc_u.join.jn_nfields);
	sml_query_free(c->sc_u.join.jn_sub);
}

/* ---- Running ---- */

/* The subsearch's results by the values of the fields. */
struct join_state {
	struct stage *js_stage;
	struct gtab js_keys;		/* values -> js_rows slot */
	json_t **js_rows;		/* per slot: an array of results */
	size_t js_cap;
	struct buf js_key;
};

/* Puts the key of obj's (or e's) values of the fields into js_key.
 * Returns 1, 0 when one is missing or null, -1 out of memory. */
static int
join_key(struct join_state *js, const struct sml_join *jn, json_t *obj,
    struct event *e)
{
	json_t *v;

	buf_reset(&js->js_key);
	for (size_t i = 0; i < jn->jn_nfields; i++) {
		v = obj ? field_get(obj, jn->jn_fields[i]) :
		    event_get(e, jn->jn_fields[i]);
		if (v == NULL || json_is_null(v))
			return 0;
		if (agg_key_put(&js->js_key, v) == -1)
			return -1;
	}
	return 1;
}

/* One result of the subsearch: filed under its values. 0 or -1. */
static int
join_row(void *arg, const char *json, size_t len)
{
	struct join_state *js = arg;
	struct stage *s = js->js_stage;
	const struct sml_join *jn = &s->sg_cmd->sc_u.join;
	json_t *o = json_loadb(json, len, 0, NULL);
	long idx;
	int rc, added;

	if (o == NULL || !json_is_object(o)) {
		json_decref(o);
		return run_fail(s->sg_run, "join: a subsearch result is not a "
		    "JSON object");
	}
	if ((rc = join_key(js, jn, o, NULL)) <= 0) {
		json_decref(o);
		return rc < 0 ? run_fail(s->sg_run, "out of memory") : 0;
	}
	idx = gtab_get(&js->js_keys, js->js_key.b_data, js->js_key.b_len, 1,
	    &added);
	if (idx == -2) {
		json_decref(o);
		return run_fail(s->sg_run, "out of memory");
	}
	if ((size_t)idx >= js->js_cap) {
		size_t cap = js->js_cap ? js->js_cap * 2 : 64;
		json_t **p = realloc(js->js_rows, cap * sizeof(*p));

		if (p == NULL) {
			json_decref(o);
			return run_fail(s->sg_run, "out of memory");
		}
		memset(p + js->js_cap, 0, (cap - js->js_cap) * sizeof(*p));
		js->js_rows = p;
		js->js_cap = cap;
	}
	if (js->js_rows[idx] == NULL && (js->js_rows[idx] = json_array()) ==
	    NULL) {
		json_decref(o);
		return run_fail(s->sg_run, "out of memory");
	}
	if (json_array_append_new(js->js_rows[idx], o) == -1)
		return run_fail(s->sg_run, "out of memory");
	return run_mem(s->sg_run, (int64_t)len * 4 + 64 +
	    (added ? gtab_cost(js->js_key.b_len) : 0));
}

/* 1 when the object has a null member (event_set would delete it). */
static int
join_has_null(json_t *row)
{
	const char *k;
	json_t *v;

	json_object_foreach(row, k, v)
		if (json_is_null(v))
			return 1;
	return 0;
}

/*
 * Emits e (still its unchanged text) joined with the first n of rows: each
 * an event over e's text with the row's fields set on it (event_put logs
 * them: e is not parsed unless a later stage needs the whole object).
 * Returns as stage_emit.
 */
static int
join_emit_text(struct stage *s, struct event *e, json_t *rows, size_t n)
{
	json_t *row, *v, *base;
	const char *k;
	int rc;

	for (size_t i = 0; i < n; i++) {
		struct event je;

		row = json_array_get(rows, i);
		if (join_has_null(row)) {
			/* Nulls are set, not deleted: on the object. */
			if ((base = json_loadb(e->ev_raw, e->ev_rawlen, 0,
			    NULL)) == NULL || !json_is_object(base)) {
				json_decref(base);
				return run_fail(s->sg_run, "out of memory");
			}
			json_object_foreach(row, k, v)
				if (json_object_set(base, k, v) == -1) {
					json_decref(base);
					return run_fail(s->sg_run,
					    "out of memory");
				}
			event_init_obj(&je, base, e->ev_time, e->ev_seq);
		} else {
			event_init(&je, e->ev_raw, e->ev_rawlen, e->ev_time,
			    e->ev_seq);
			json_object_foreach(row, k, v)
				if (event_put(&je, k, json_incref(v)) == -1) {
					event_clear(&je);
					return run_fail(s->sg_run,
					    "out of memory");
				}
		}
		je.ev_index = e->ev_index;
		rc = stage_emit(s, &je);
		event_clear(&je);
		if (rc != 0)
			return rc;
	}
	return 0;
}

static int
join_push(struct stage *s, struct event *e)
{
	const struct sml_join *jn = &s->sg_cmd->sc_u.join;
	struct join_state *js = s->sg_state;
	json_t *rows, *row, *out, *base, *v;
	const char *k;
	long idx;
	size_t i, n;
	int rc;

	if ((rc = join_key(js, jn, NULL, e)) < 0)
		return run_fail(s->sg_run, "out of memory");
	idx = rc == 0 ? -1 : gtab_get(&js->js_keys, js->js_key.b_data,
	    js->js_key.b_len, 0, NULL);
	rows = idx >= 0 ? js->js_rows[idx] : NULL;
	if (rows == NULL)
		return jn->jn_left ? stage_emit(s, e) : 0;
	n = json_array_size(rows);
	if (jn->jn_max > 0 && (size_t)jn->jn_max < n)
		n = (size_t)jn->jn_max;
	if (!e->ev_dirty && e->ev_obj == NULL && e->ev_raw != NULL)
		return join_emit_text(s, e, rows, n);
	if ((base = event_obj(e)) == NULL)
		return run_fail(s->sg_run, "out of memory");
	for (i = 0; i < n; i++) {
		struct event je;

		row = json_array_get(rows, i);
		if ((out = json_deep_copy(base)) == NULL)
			return run_fail(s->sg_run, "out of memory");
		json_object_foreach(row, k, v)
			if (json_object_set(out, k, v) == -1) {
				json_decref(out);
				return run_fail(s->sg_run, "out of memory");
			}
		event_init_obj(&je, out, e->ev_time, e->ev_seq);
		je.ev_index = e->ev_index;
		rc = stage_emit(s, &je);
		event_clear(&je);
		if (rc != 0)
			return rc;
	}
	return 0;
}

static void
join_free(struct stage *s)
{
	struct join_state *js = s->sg_state;

	if (js == NULL)
		return;
	for (size_t i = 0; i < js->js_cap; i++)
		json_decref(js->js_rows[i]);
	free(js->js_rows);
	gtab_free(&js->js_keys);
	buf_free(&js->js_key);
	free(js);
	s->sg_state = NULL;
}

int
cmd_join_init(struct stage *s, const struct sml_command *c)
{
	struct join_state *js;
	int rc;

	if (c->sc_u.join.jn_sub == NULL || c->sc_u.join.jn_nfields == 0)
		return run_fail(s->sg_run, "join: no subsearch");
	if ((js = calloc(1, sizeof(*js))) == NULL)
		return run_fail(s->sg_run, "out of memory");
	js->js_stage = s;
	s->sg_state = js;
	s->sg_push = join_push;
	s->sg_free = join_free;
	rc = run_subsearch(s->sg_run, c->sc_u.join.jn_sub, join_row, js);
	return rc == 0 ? 0 : -1;
}
