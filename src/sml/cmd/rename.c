/*
 * cmd/rename.c - rename: renames fields (streaming).
 *
 *	rename a AS b[, c AS d...]
 *
 * Wildcards are allowed on both sides, with the same number of '*': the
 * runs the '*' of a match stand for in the new name.
 */
#include <stdlib.h>
#include <string.h>

#include "sml/parse.h"
#include "sml/stage.h"

/* ---- Parsing ---- */

/* Returns the number of '*' in s. */
static size_t
rename_stars(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		n += *s == '*';
	return n;
}

/*
 * Parses rename a AS b[, c AS d...] into c->sc_u.rename. Returns 0 with the
 * current token at '|' or the end, or -1 with the error reported.
 */
int
cmd_rename_parse(struct sml_parser *p, struct sml_command *c)
{
	struct sml_rename *rn = &c->sc_u.rename;
	char *from = NULL, *to = NULL;

	if (sml_next(p) == -1)
		return -1;
	for (;;) {
		if (!sml_at_name(p, SML_NAME_WILD))
			return sml_fail_expected(p, "a field name");
		if (sml_name(p, SML_NAME_WILD, &from) == -1 ||
		    sml_next(p) == -1)
			goto fail;
		if (p->sp_tok.lt_kind != LEX_AS) {
			sml_fail_expected(p, "AS");
			goto fail;
		}
		if (sml_next(p) == -1 ||
		    sml_name(p, SML_NAME_WILD, &to) == -1)
			goto fail;
		if (rename_stars(from) != rename_stars(to)) {
			char q[SML_QUOTE_BUF];

			sml_fail(p, p->sp_tok.lt_off, "'%s' must have as many "
			    "'*' as '%s'", sml_quote(p, &p->sp_tok, q), from);
			goto fail;
		}
		if (SML_ROOM(p, rn->rn_from, rn->rn_n) == -1 ||
		    SML_ROOM(p, rn->rn_to, rn->rn_n) == -1)
			goto fail;
		rn->rn_from[rn->rn_n] = from;
		rn->rn_to[rn->rn_n++] = to;
		from = to = NULL;
		if (sml_next(p) == -1)
			return -1;
		if (p->sp_tok.lt_kind == LEX_COMMA) {
			if (sml_next(p) == -1)
				return -1;
		} else if (!sml_at_name(p, SML_NAME_WILD))
			return sml_end(p);
	}
fail:
	free(from);
	free(to);
	return -1;
}

/* Frees what cmd_rename_parse() stored in c (not c itself). */
void
cmd_rename_clear(struct sml_command *c)
{
	sml_strs_free(c->sc_u.rename.rn_from, c->sc_u.rename.rn_n);
	sml_strs_free(c->sc_u.rename.rn_to, c->sc_u.rename.rn_n);
}

/* ---- Running ---- */

/* One field to rename: where it is, and its new name. */
struct rn_match {
	json_t *rm_chain[FIELD_DEPTH + 1];	/* objects from the top */
	char *rm_keys[FIELD_DEPTH + 1];		/* key of each in the last */
	size_t rm_depth;		/* rm_chain[rm_depth] holds it */
	char *rm_to;
};

struct rn_list {
	struct rn_match *rl_m;
	size_t rl_n, rl_cap;
};

static void
rn_list_free(struct rn_list *l)
{
	for (size_t i = 0; i < l->rl_n; i++) {
		for (size_t d = 0; d <= l->rl_m[i].rm_depth; d++)
			free(l->rl_m[i].rm_keys[d]);
		free(l->rl_m[i].rm_to);
	}
	free(l->rl_m);
	memset(l, 0, sizeof(*l));
}

/* Records a match: the chain of objects down to key in chain[depth]. */
static int
rn_add(struct rn_list *l, json_t **chain, const char **keys, size_t depth,
    const char *to, size_t tolen)
{
	struct rn_match *m;

	if (l->rl_n == l->rl_cap) {
		size_t cap = l->rl_cap ? l->rl_cap * 2 : 4;

		if ((m = realloc(l->rl_m, cap * sizeof(*m))) == NULL)
			return -1;
		l->rl_m = m;
		l->rl_cap = cap;
	}
	m = &l->rl_m[l->rl_n];
	memset(m, 0, sizeof(*m));
	m->rm_depth = depth;
	l->rl_n++;
	for (size_t d = 0; d <= depth; d++) {
		m->rm_chain[d] = chain[d];
		if ((m->rm_keys[d] = strdup(keys[d])) == NULL)
			return -1;
	}
	if ((m->rm_to = strndup(to, tolen)) == NULL)
		return -1;
	return 0;
}

/*
 * Finds the fields of o (named prefix + key, chain[depth] == o) matching
 * the pattern from, and records them with their new names (to, with the
 * runs the stars matched). Returns 0 or -1 out of memory.
 */
static int
rn_walk(struct rn_list *l, json_t **chain, const char **keys, size_t depth,
    struct buf *prefix, const char *from, const char *to)
{
	size_t base = prefix->b_len, nstar = star_count(from);
	size_t cs[16], ce[16];
	struct buf nb = BUF_INIT;
	const char *key;
	json_t *v;
	int rc = 0;

	json_object_foreach(chain[depth], key, v) {
		prefix->b_len = base;
		if (buf_puts(prefix, key) == -1)
			return -1;
		keys[depth] = key;
		if (glob_capture(from, prefix->b_data, prefix->b_len, cs, ce,
		    nstar < 16 ? nstar : 16)) {
			buf_reset(&nb);
			if (glob_fill(&nb, to, prefix->b_data, cs, ce,
			    nstar < 16 ? nstar : 16) == -1 || buf_putc(&nb,
			    '\0') == -1 || rn_add(l, chain, keys, depth,
			    nb.b_data, nb.b_len - 1) == -1) {
				rc = -1;
				break;
			}
		} else if (json_is_object(v) && depth < FIELD_DEPTH) {
			chain[depth + 1] = v;
			if (buf_putc(prefix, '.') == -1 || rn_walk(l, chain,
			    keys, depth + 1, prefix, from, to) == -1) {
				rc = -1;
				break;
			}
		}
	}
	buf_free(&nb);
	prefix->b_len = base;
	return rc;
}

/*
 * Renames top-level key from of o to to, keeping its place; an existing
 * member named to is replaced. Returns 0 or -1 out of memory.
 */
static int
rn_top(json_t *o, const char *from, const char *to)
{
	json_t *copy, *v;
	const char *key;
	int rc = 0;

	if (strcmp(from, to) == 0)
		return 0;
	if ((copy = json_copy(o)) == NULL)
		return -1;
	json_object_clear(o);
	json_object_foreach(copy, key, v) {
		if (strcmp(key, to) == 0)
			continue;
		if (json_object_set(o, strcmp(key, from) == 0 ? to : key,
		    v) == -1)
			rc = -1;
	}
	json_decref(copy);
	return rc;
}

/* Applies one recorded rename to o (the event's top object). */
static int
rn_apply(json_t *o, struct rn_match *m)
{
	json_t *parent = m->rm_chain[m->rm_depth], *v;

	if (m->rm_depth == 0)
		return rn_top(o, m->rm_keys[0], m->rm_to);
	if ((v = json_object_get(parent, m->rm_keys[m->rm_depth])) == NULL)
		return 0;	/* moved by an earlier rename */
	json_incref(v);
	json_object_del(parent, m->rm_keys[m->rm_depth]);
	/* Objects the move left empty go too. */
	for (size_t d = m->rm_depth; d > 0; d--) {
		if (json_object_size(m->rm_chain[d]) > 0)
			break;
		json_object_del(m->rm_chain[d - 1], m->rm_keys[d - 1]);
	}
	return json_object_set_new(o, m->rm_to, v);
}

/*
 * Collects into l the fields of o that the pair (from, to) renames: with
 * wildcards every field (top-level key or nested path) matching from, else
 * the one field named from (a top-level key, else the nested path). Returns
 * 0 or -1 out of memory.
 */
static int
rn_collect(struct rn_list *l, json_t *o, const char *from, const char *to)
{
	json_t *chain[FIELD_DEPTH + 1];
	const char *keys[FIELD_DEPTH + 1];
	struct buf prefix = BUF_INIT;
	size_t depth = 0;
	char *path, *dot;
	int rc = 0;

	chain[0] = o;
	if (has_star(from)) {
		rc = rn_walk(l, chain, keys, 0, &prefix, from, to);
		buf_free(&prefix);
		return rc;
	}
	if (json_object_get(o, from) != NULL) {
		keys[0] = from;
		return rn_add(l, chain, keys, 0, to, strlen(to));
	}
	/* The nested path: one object per dot. */
	if ((path = strdup(from)) == NULL)
		return -1;
	keys[0] = path;
	while ((dot = strchr(keys[depth], '.')) != NULL) {
		*dot = '\0';
		chain[depth + 1] = json_object_get(chain[depth], keys[depth]);
		if (!json_is_object(chain[depth + 1]) ||
		    depth + 1 >= FIELD_DEPTH)
			goto out;
		keys[++depth] = dot + 1;
	}
	if (json_object_get(chain[depth], keys[depth]) != NULL)
		rc = rn_add(l, chain, keys, depth, to, strlen(to));
out:
	free(path);
	return rc;
}

static int
rename_push(struct stage *s, struct event *e)
{
	const struct sml_rename *rn = &s->sg_cmd->sc_u.rename;
	struct rn_list l = {0};
	json_t *o, *m;
	int rc = 0;

	for (size_t i = 0; i < rn->rn_n && rc == 0; i++) {
		rn_list_free(&l);
		if ((o = event_obj(e)) == NULL)
			break;	/* not an object: nothing to rename */
		if ((rc = rn_collect(&l, o, rn->rn_from[i], rn->rn_to[i])) ==
		    -1 || l.rl_n == 0)
			continue;
		if ((m = event_obj_mut(e)) == NULL) {
			rc = -1;
			break;
		}
		/* A shared object was copied: find the fields in the copy. */
		if (m != o) {
			rn_list_free(&l);
			if ((rc = rn_collect(&l, m, rn->rn_from[i],
			    rn->rn_to[i])) == -1)
				break;
		}
		for (size_t j = 0; j < l.rl_n && rc == 0; j++)
			rc = rn_apply(m, &l.rl_m[j]);
	}
	rn_list_free(&l);
	if (rc != 0)
		return run_fail(s->sg_run, "out of memory");
	return stage_emit(s, e);
}

int
cmd_rename_init(struct stage *s, const struct sml_command *c)
{
	const struct sml_rename *rn = &c->sc_u.rename;

	for (size_t i = 0; i < rn->rn_n; i++)
		if (star_count(rn->rn_from[i]) != star_count(rn->rn_to[i]))
			return run_fail(s->sg_run, "rename: '%s' and '%s' need "
			    "as many '*'", rn->rn_from[i], rn->rn_to[i]);
	s->sg_push = rename_push;
	return 0;
}
