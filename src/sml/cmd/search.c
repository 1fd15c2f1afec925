/*
 * cmd/search.c - search: keeps the events that match a search condition
 * (streaming).
 *
 *	search <condition>
 *
 * The condition's parser (sml_cond(), also that of source's inline
 * condition and of searchmatch()) is the parser's; matching is search.c's.
 * A subsearch [ ... ] in the condition runs here, once, when the stage is
 * set up (before the source reads), and becomes the OR over its results
 * of the AND over each result's fields: f=v as search matches it (case
 * ignored, '*' wildcards), an array value an OR over its elements, a field
 * named search a search condition, one named query a phrase.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sml/parse.h"
#include "sml/stage.h"

/* ---- Parsing ---- */

/*
 * Parses search <condition> into c->sc_u.search. Returns 0 with the current
 * token at '|' or the end, or -1 with the error reported.
 */
int
cmd_search_parse(struct sml_parser *p, struct sml_command *c)
{
	if (sml_next_value(p) == -1)
		return -1;
	p->sp_sub_ok = 1;
	c->sc_u.search.sr_cond = sml_cond(p);
	p->sp_sub_ok = 0;
	if (c->sc_u.search.sr_cond == NULL)
		return -1;
	return sml_end(p);
}

/* Frees what cmd_search_parse() stored in c (not c itself). */
void
cmd_search_clear(struct sml_command *c)
{
	sml_cond_free(c->sc_u.search.sr_cond);
}

/* ---- Running ---- */

/* The node being filled from a subsearch's results. */
struct search_sub {
	struct stage *su_stage;
	struct cond *su_or;		/* CD_OR, a kid per result */
};

/* Returns a new node of kind k (zeroed), or NULL out of memory. */
static struct cond *
search_node(enum cond_kind k, size_t off)
{
	struct cond *c = calloc(1, sizeof(*c));

	if (c != NULL) {
		c->c_kind = k;
		c->c_off = off;
	}
	return c;
}

/* Adds kid (owned from then on, also on failure) to c. 0, or -1. */
static int
search_kid(struct cond *c, struct cond *kid)
{
	struct cond **k;

	if (kid == NULL)
		return -1;
	if ((k = realloc(c->c_kids, (c->c_nkids + 1) * sizeof(*k))) == NULL) {
		sml_cond_free(kid);
		return -1;
	}
	c->c_kids = k;
	k[c->c_nkids++] = kid;
	return 0;
}

/*
 * Returns a new field=value node for the scalar v (as text: numbers
 * written as the result has them), NULL when v is no scalar (kept out)
 * or out of memory (*nomem set).
 */
static struct cond *
search_cmp(const char *field, const json_t *v, size_t off, int *nomem)
{
	char buf[64];
	const char *t;
	struct cond *c;

	switch (json_typeof(v)) {
	case JSON_STRING:
		t = json_string_value(v);
		break;
	case JSON_INTEGER:
		snprintf(buf, sizeof(buf), "%lld",
		    (long long)json_integer_value(v));
		t = buf;
		break;
	case JSON_REAL:
		value_fmt_real(json_real_value(v), buf, sizeof(buf));
		t = buf;
		break;
	case JSON_TRUE:
		t = "true";
		break;
	case JSON_FALSE:
		t = "false";
		break;
	default:
		return NULL;
	}
	if ((c = search_node(CD_CMP, off)) == NULL ||
	    (c->c_field = strdup(field)) == NULL ||
	    (c->c_value = strdup(t)) == NULL) {
		sml_cond_free(c);
		*nomem = 1;
		return NULL;
	}
	c->c_op = EXOP_EQ;
	c->c_quoted = 1;
	return c;
}

/*
 * Returns the node one field of a result gives (see the top of the
 * file), NULL when it gives none (null, an object, an empty array) or on
 * error (*rc -1, the run failed).
 */
static struct cond *
search_field(struct search_sub *su, const char *k, json_t *v, int *rc)
{
	struct run *r = su->su_stage->sg_run;
	size_t off = su->su_or->c_off, i;
	struct sml_error err;
	struct cond *c = NULL, *el;
	json_t *x;
	int nomem = 0;

	if (json_is_string(v) && strcmp(k, "search") == 0) {
		if (sml_parse_cond(json_string_value(v), json_string_length(v),
		    &c, &err) == -1) {
			*rc = run_fail(r, "search: the search field of a "
			    "subsearch result is no search condition: %s",
			    err.se_msg);
			return NULL;
		}
		return c;
	}
	if (json_is_string(v) && strcmp(k, "query") == 0) {
		if ((c = search_node(CD_TERM, off)) == NULL ||
		    (c->c_value = strdup(json_string_value(v))) == NULL)
			goto nomem;
		c->c_quoted = 1;
		return c;
	}
	if (!json_is_array(v)) {
		if ((c = search_cmp(k, v, off, &nomem)) == NULL && nomem)
			goto nomem;
		return c;
	}
	json_array_foreach(v, i, x) {
		if ((el = search_cmp(k, x, off, &nomem)) == NULL) {
			if (nomem)
				goto nomem;
			continue;
		}
		if (c == NULL && (c = search_node(CD_OR, off)) == NULL) {
			sml_cond_free(el);
			goto nomem;
		}
		if (search_kid(c, el) == -1)
			goto nomem;
	}
	return c;
nomem:
	sml_cond_free(c);
	*rc = run_fail(r, "out of memory");
	return NULL;
}

/* One result of a subsearch: an AND of its fields under the OR. 0 or -1. */
static int
search_sub_row(void *arg, const char *json, size_t len)
{
	struct search_sub *su = arg;
	struct run *r = su->su_stage->sg_run;
	struct cond *and = NULL, *kid;
	json_t *o = json_loadb(json, len, 0, NULL), *v;
	const char *k;
	int rc = 0;

	if (o == NULL || !json_is_object(o)) {
		json_decref(o);
		return run_fail(r, "search: a subsearch result is not a JSON "
		    "object");
	}
	if ((and = search_node(CD_AND, su->su_or->c_off)) == NULL)
		goto nomem;
	json_object_foreach(o, k, v) {
		if ((kid = search_field(su, k, v, &rc)) == NULL) {
			if (rc < 0)
				goto fail;
			continue;
		}
		if (search_kid(and, kid) == -1)
			goto nomem;
	}
	json_decref(o);
	o = NULL;
	/* A result without a field to match adds nothing (not "all"). */
	if (and->c_nkids == 0) {
		sml_cond_free(and);
		return 0;
	}
	if (and->c_nkids == 1) {
		kid = and->c_kids[0];
		and->c_nkids = 0;
		sml_cond_free(and);
		and = kid;
	}
	if (search_kid(su->su_or, and) == -1)
		return run_fail(r, "out of memory");
	return run_mem(r, (int64_t)len * 4 + 64);
nomem:
	rc = run_fail(r, "out of memory");
fail:
	json_decref(o);
	sml_cond_free(and);
	return rc;
}

/* Returns 1 when c is field=value without wildcards, for an IN list. */
static int
search_foldable(const struct cond *c)
{
	return c->c_kind == CD_CMP && c->c_op == EXOP_EQ &&
	    c->c_value != NULL && strchr(c->c_value, '*') == NULL &&
	    c->c_field != NULL;
}

/*
 * Moves the value of foldable c into the IN list of its field among the
 * first n kids of or (made, at or's end, when there is none), and frees c.
 * Returns 0, or -1 out of memory (c freed).
 */
static int
search_fold_one(struct cond *or, struct cond *c)
{
	struct cond *in = NULL;
	char **v;
	size_t i;

	for (i = 0; i < or->c_nkids; i++)
		if (or->c_kids[i]->c_kind == CD_IN &&
		    strcmp(or->c_kids[i]->c_field, c->c_field) == 0) {
			in = or->c_kids[i];
			break;
		}
	if (in == NULL) {
		if ((in = search_node(CD_IN, c->c_off)) == NULL ||
		    search_kid(or, in) == -1) {
			sml_cond_free(c);
			return -1;
		}
		in->c_field = c->c_field;
		c->c_field = NULL;
	}
	if ((v = realloc(in->c_values, (in->c_nvalues + 1) *
	    sizeof(*v))) == NULL) {
		sml_cond_free(c);
		return -1;
	}
	in->c_values = v;
	v[in->c_nvalues++] = c->c_value;
	c->c_value = NULL;
	sml_cond_free(c);
	return 0;
}

/*
 * Rewrites the OR of a subsearch's results so that the results of one
 * field=value (and the elements of one field's array) are one IN list per
 * field, which search.c matches through a hash set: the same answers,
 * without a walk over every result for each event. The other results keep
 * their order. Returns 0, or -1 out of memory (the run failed).
 */
static int
search_fold(struct run *r, struct cond *or)
{
	struct cond **kids = or->c_kids, *k;
	size_t n = or->c_nkids, i, j;
	int rc = 0;

	or->c_kids = NULL;
	or->c_nkids = 0;
	for (i = 0; i < n; i++) {
		k = kids[i];
		kids[i] = NULL;
		if (rc == -1) {
			sml_cond_free(k);
			continue;
		}
		if (search_foldable(k)) {
			rc = search_fold_one(or, k);
			continue;
		}
		if (k->c_kind == CD_OR) {
			for (j = 0; j < k->c_nkids; j++)
				if (!search_foldable(k->c_kids[j]))
					break;
			if (j == k->c_nkids) {
				for (j = 0; j < k->c_nkids && rc == 0; j++) {
					rc = search_fold_one(or, k->c_kids[j]);
					k->c_kids[j] = NULL;
				}
				for (; j < k->c_nkids; j++)
					sml_cond_free(k->c_kids[j]);
				k->c_nkids = 0;
				sml_cond_free(k);
				continue;
			}
		}
		rc = search_kid(or, k);
	}
	free(kids);
	return rc == 0 ? 0 : run_fail(r, "out of memory");
}

/*
 * Runs every subsearch of c (not inside what an earlier run expanded) and
 * sets each one's c_kids[0] to what its results match. Returns 0, 1 when
 * the run was cancelled, or -1 with the run failed.
 */
static int
search_expand(struct stage *s, struct cond *c)
{
	struct search_sub su;
	size_t i;
	int rc;

	if (c->c_kind != CD_SUBSEARCH) {
		if (c->c_kind != CD_AND && c->c_kind != CD_OR &&
		    c->c_kind != CD_NOT)
			return 0;
		for (i = 0; i < c->c_nkids; i++)
			if ((rc = search_expand(s, c->c_kids[i])) != 0)
				return rc;
		return 0;
	}
	/* A second run of the same tree runs it again. */
	for (i = 0; i < c->c_nkids; i++)
		sml_cond_free(c->c_kids[i]);
	c->c_nkids = 0;
	su.su_stage = s;
	if ((su.su_or = search_node(CD_OR, c->c_off)) == NULL ||
	    search_kid(c, su.su_or) == -1)
		return run_fail(s->sg_run, "out of memory");
	if (c->c_sub == NULL)
		return run_fail(s->sg_run, "search: no subsearch");
	if ((rc = run_subsearch(s->sg_run, c->c_sub, search_sub_row,
	    &su)) != 0)
		return rc;
	return search_fold(s->sg_run, su.su_or);
}

static int
search_push(struct stage *s, struct event *e)
{
	struct cond *c = s->sg_cmd->sc_u.search.sr_cond;
	int rc;

	/* The cheap look at the text first, while it is the event's. */
	if (!e->ev_dirty && e->ev_raw != NULL &&
	    !cond_maybe(c, e->ev_raw, e->ev_rawlen))
		return 0;
	if ((rc = cond_match(c, e, run_eval_ctx(s->sg_run))) < 0)
		return run_eval_fail(s->sg_run);
	return rc ? stage_emit(s, e) : 0;
}

int
cmd_search_init(struct stage *s, const struct sml_command *c)
{
	if (c->sc_u.search.sr_cond == NULL)
		return run_fail(s->sg_run, "search: no condition");
	s->sg_push = search_push;
	/* The tree is the query's; only its subsearch nodes change. */
	return search_expand(s, (struct cond *)c->sc_u.search.sr_cond) == 0 ?
	    0 : -1;
}
