/*
 * cmd/fillnull.c - fillnull: sets missing and null fields to a value
 * (default 0; streaming).
 *
 *	fillnull [value=<v>] [f1, f2...]
 *
 * Without fields, every field seen in the results so far.
 */
#include <stdlib.h>
#include <string.h>

#include "sml/parse.h"
#include "sml/stage.h"

/* ---- Parsing ---- */

/*
 * Parses fillnull [value=<v>] [f1, f2...] into c->sc_u.fillnull. Returns 0
 * with the current token at '|' or the end, or -1 with the error reported.
 */
int
cmd_fillnull_parse(struct sml_parser *p, struct sml_command *c)
{
	struct sml_fillnull *fn = &c->sc_u.fillnull;
	unsigned seen = 0;
	json_t *v;
	char *s;
	int range;

	if ((fn->fn_value = json_integer(0)) == NULL)
		return sml_fail_nomem(p);
	if (sml_next(p) == -1)
		return -1;
	for (;;) {
		if (sml_at_param(p)) {
			if (!sml_at_key(p, "value"))
				return sml_param_unknown(p, "fillnull");
			if (sml_param_once(p, &seen, SML_SEEN_A, "fillnull") ==
			    -1 || (s = sml_param_value(p, "value")) == NULL)
				return -1;
			if (!sml_utf8_ok(s)) {
				free(s);
				return sml_fail(p, p->sp_tok.lt_off,
				    "value is not valid UTF-8");
			}
			v = NULL;
			if (p->sp_tok.lt_kind == LEX_WORD)
				v = sml_json_number(s, &range);
			if (v == NULL)
				v = json_string(s);
			free(s);
			if (v == NULL)
				return sml_fail_nomem(p);
			json_decref(fn->fn_value);
			fn->fn_value = v;
			if (sml_next(p) == -1)
				return -1;
		} else if (sml_at_name(p, 0)) {
			if (sml_names(p, 0, &fn->fn_fields, &fn->fn_n) == -1)
				return -1;
		} else
			break;
	}
	return sml_end(p);
}

/* Frees what cmd_fillnull_parse() stored in c (not c itself). */
void
cmd_fillnull_clear(struct sml_command *c)
{
	if (c->sc_u.fillnull.fn_value != NULL)
		json_decref(c->sc_u.fillnull.fn_value);
	sml_strs_free(c->sc_u.fillnull.fn_fields, c->sc_u.fillnull.fn_n);
}

/* ---- Running ---- */

struct fillnull_state {
	struct gtab fs_seen;	/* without a field list: names seen so far */
};

/* Sets field name to a copy of the fill value when missing or null. */
static int
fillnull_one(struct stage *s, struct event *e, const char *name)
{
	json_t *v = event_get(e, name), *fill;

	if (v != NULL && !json_is_null(v))
		return 0;
	fill = json_deep_copy(s->sg_cmd->sc_u.fillnull.fn_value);
	if (fill == NULL || field_put(e, name, fill) == -1)
		return run_fail(s->sg_run, "out of memory");
	return 0;
}

static int
fillnull_push(struct stage *s, struct event *e)
{
	const struct sml_fillnull *fn = &s->sg_cmd->sc_u.fillnull;
	struct fillnull_state *fs = s->sg_state;
	const char *key;
	json_t *o, *v;
	int added;
	long rc;

	if (fn->fn_n > 0) {
		for (size_t i = 0; i < fn->fn_n; i++)
			if (fillnull_one(s, e, fn->fn_fields[i]) == -1)
				return -1;
		return stage_emit(s, e);
	}
	/* Every field seen in the results so far, this one included. */
	if ((o = event_obj(e)) == NULL)
		return stage_emit(s, e);
	json_object_foreach(o, key, v) {
		rc = gtab_get(&fs->fs_seen, key, strlen(key) + 1, 1, &added);
		if (rc == -2)
			return run_fail(s->sg_run, "out of memory");
		if (added && run_mem(s->sg_run, gtab_cost(strlen(key))) == -1)
			return -1;
	}
	for (size_t i = 0; i < fs->fs_seen.gt_n; i++) {
		key = fs->fs_seen.gt_keys[i].gk_data;
		v = json_object_get(o, key);
		if (v != NULL && !json_is_null(v))
			continue;
		if (event_set(e, key, json_deep_copy(fn->fn_value)) == -1 ||
		    (o = event_obj(e)) == NULL)
			return run_fail(s->sg_run, "out of memory");
	}
	return stage_emit(s, e);
}

static void
fillnull_free(struct stage *s)
{
	struct fillnull_state *fs = s->sg_state;

	if (fs == NULL)
		return;
	gtab_free(&fs->fs_seen);
	free(fs);
	s->sg_state = NULL;
}

int
cmd_fillnull_init(struct stage *s, const struct sml_command *c)
{
	if (c->sc_u.fillnull.fn_value == NULL)
		return run_fail(s->sg_run, "fillnull: no value");
	if ((s->sg_state = calloc(1, sizeof(struct fillnull_state))) == NULL)
		return run_fail(s->sg_run, "out of memory");
	s->sg_push = fillnull_push;
	s->sg_free = fillnull_free;
	return 0;
}
