/*
 * cmd/replace.c - replace: replaces values that match a pattern as a whole
 * (streaming).
 *
 *	replace "<old>" WITH "<new>"[, "<old>" WITH "<new>"...] [IN f1, f2...]
 *
 * '*' in old is a wildcard, and a '*' in new stands for what it matched;
 * without IN, in every field.
 */
#include <stdlib.h>
#include <string.h>

#include "sml/parse.h"
#include "sml/stage.h"

/* ---- Parsing ---- */

/*
 * Parses replace "<old>" WITH "<new>"[, ...] [IN f1, f2...] into
 * c->sc_u.replace. Returns 0 with the current token at '|' or the end, or -1
 * with the error reported.
 */
int
cmd_replace_parse(struct sml_parser *p, struct sml_command *c)
{
	struct sml_replace *rp = &c->sc_u.replace;
	char *old = NULL, *new = NULL;
	int more;

	if (sml_next_value(p) == -1)
		return -1;
	for (;;) {
		if (p->sp_tok.lt_kind != LEX_STRING &&
		    p->sp_tok.lt_kind != LEX_WORD)
			return sml_fail_expected(p, "a value");
		if ((old = sml_copy(p)) == NULL || sml_next_value(p) == -1)
			goto fail;
		if (!sml_at_word_ci(p, "with")) {
			sml_fail_expected(p, "WITH");
			goto fail;
		}
		if (sml_next_value(p) == -1)
			goto fail;
		if (p->sp_tok.lt_kind != LEX_STRING &&
		    p->sp_tok.lt_kind != LEX_WORD) {
			sml_fail_expected(p, "a value");
			goto fail;
		}
		if ((new = sml_copy(p)) == NULL ||
		    SML_ROOM(p, rp->rp_old, rp->rp_n) == -1 ||
		    SML_ROOM(p, rp->rp_new, rp->rp_n) == -1)
			goto fail;
		rp->rp_old[rp->rp_n] = old;
		rp->rp_new[rp->rp_n++] = new;
		old = new = NULL;
		if ((more = sml_next_item_value(p)) == -1)
			return -1;
		if (!more)
			break;
	}
	if (p->sp_tok.lt_kind == LEX_IN) {
		if (sml_next(p) == -1)
			return -1;
		if (!sml_at_name(p, 0))
			return sml_fail_expected(p, "a field name");
		if (sml_names(p, 0, &rp->rp_fields, &rp->rp_nfields) == -1)
			return -1;
	}
	return sml_end(p);
fail:
	free(old);
	free(new);
	return -1;
}

/* Frees what cmd_replace_parse() stored in c (not c itself). */
void
cmd_replace_clear(struct sml_command *c)
{
	sml_strs_free(c->sc_u.replace.rp_old, c->sc_u.replace.rp_n);
	sml_strs_free(c->sc_u.replace.rp_new, c->sc_u.replace.rp_n);
	sml_strs_free(c->sc_u.replace.rp_fields, c->sc_u.replace.rp_nfields);
}

/* ---- Running ---- */

/*
 * Returns the replacement of scalar v by the first pair whose pattern
 * matches its whole text (a new string), NULL when none does; *err is set
 * when memory runs out.
 */
static json_t *
replace_scalar(const struct sml_replace *rp, const json_t *v, int *err)
{
	size_t cs[16], ce[16], ncap, len;
	struct buf b = BUF_INIT;
	json_t *out = NULL;
	char *text;

	if (json_is_array(v) || json_is_object(v) || json_is_null(v))
		return NULL;
	if ((text = value_string(v)) == NULL) {
		*err = 1;
		return NULL;
	}
	len = strlen(text);
	for (size_t i = 0; i < rp->rp_n; i++) {
		ncap = star_count(rp->rp_old[i]);
		if (ncap > 16)
			ncap = 16;
		if (!glob_capture(rp->rp_old[i], text, len, cs, ce, ncap))
			continue;
		if (glob_fill(&b, rp->rp_new[i], text, cs, ce, ncap) == -1 ||
		    (out = json_stringn(b.b_data ? b.b_data : "",
		    b.b_len)) == NULL)
			*err = 1;
		break;
	}
	buf_free(&b);
	free(text);
	return out;
}

static json_t *replace_value(const struct sml_replace *, const json_t *,
    int *, int);

/*
 * Replaces within el, an element or member of v at depth: returns 1 with
 * the new value in *nv, v copied into *out on the first change (*out owns
 * the copy); 0 when nothing changed; -1 when the copy ran out of memory
 * (*err set).
 */
static int
replace_kid(const struct sml_replace *rp, const json_t *v, const json_t *el,
    int *err, int depth, json_t **out, json_t **nv)
{
	if ((*nv = replace_value(rp, el, err, depth + 1)) == NULL)
		return 0;
	if (*out == NULL && (*out = json_deep_copy(v)) == NULL) {
		json_decref(*nv);
		*err = 1;
		return -1;
	}
	return 1;
}

/*
 * Returns v with every value replaced (arrays element by element, objects
 * member by member) as a new value sharing nothing with v, or NULL when
 * nothing changed (*err set when memory ran out).
 */
static json_t *
replace_value(const struct sml_replace *rp, const json_t *v, int *err,
    int depth)
{
	json_t *out = NULL, *nv, *el;
	const char *key;
	size_t i;
	int rc;

	if (json_is_array(v)) {
		json_array_foreach(v, i, el) {
			if ((rc = replace_kid(rp, v, el, err, depth, &out,
			    &nv)) == -1)
				return NULL;
			if (rc == 1)
				json_array_set_new(out, i, nv);
		}
		return out;
	}
	if (json_is_object(v)) {
		if (depth >= FIELD_DEPTH)
			return NULL;
		json_object_foreach((json_t *)v, key, el) {
			if ((rc = replace_kid(rp, v, el, err, depth, &out,
			    &nv)) == -1)
				return NULL;
			if (rc == 1)
				json_object_set_new(out, key, nv);
		}
		return out;
	}
	return replace_scalar(rp, v, err);
}

static int
replace_push(struct stage *s, struct event *e)
{
	const struct sml_replace *rp = &s->sg_cmd->sc_u.replace;
	json_t *o, *nv, *v;
	const char *key;
	int err = 0;

	if (rp->rp_nfields > 0) {
		for (size_t i = 0; i < rp->rp_nfields && !err; i++) {
			if ((v = event_get(e, rp->rp_fields[i])) == NULL)
				continue;
			if ((nv = replace_value(rp, v, &err, 0)) != NULL &&
			    field_put(e, rp->rp_fields[i], nv) == -1)
				err = 1;
		}
	} else if ((o = event_obj(e)) != NULL &&
	    (nv = replace_value(rp, o, &err, 0)) != NULL) {
		/* Member by member, so every field keeps its place. */
		if ((o = event_obj_mut(e)) == NULL)
			err = 1;
		else
			json_object_foreach(nv, key, v)
				if (json_object_set(o, key, v) == -1)
					err = 1;
		json_decref(nv);
	}
	if (err)
		return run_fail(s->sg_run, "out of memory");
	return stage_emit(s, e);
}

int
cmd_replace_init(struct stage *s, const struct sml_command *c)
{
	(void)c;
	s->sg_push = replace_push;
	return 0;
}
