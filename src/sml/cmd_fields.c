/* cmd_fields.c - commands that change fields: fields, table, rename,
 * fillnull, replace, rex, bin. All stream. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pcre2.h>

#include "common/buf.h"
#include "common/evtime.h"
#include "common/timespan.h"
#include "common/timeutil.h"
#include "sml/agg.h"
#include "sml/stage.h"
#include "sml/regex.h"

#define FIELD_DEPTH	32	/* nested objects walked by wildcards */

/* ---- Field paths ---- */

/*
 * Finds field name in object o as event_get does (a top-level key equal to
 * the whole name wins, else the dots walk nested objects). Returns the
 * value (borrowed) with the object holding it in *parent and its key in
 * *key / *klen (pointing into name), or NULL when missing.
 */
static json_t *
path_find(json_t *o, const char *name, json_t **parent, const char **key,
    size_t *klen)
{
	const char *seg = name, *dot;
	json_t *v;

	if ((v = json_object_get(o, name)) != NULL) {
		*parent = o;
		*key = name;
		*klen = strlen(name);
		return v;
	}
	for (;;) {
		if (!json_is_object(o))
			return NULL;
		if ((dot = strchr(seg, '.')) == NULL) {
			*parent = o;
			*key = seg;
			*klen = strlen(seg);
			return json_object_get(o, seg);
		}
		if ((o = json_object_getn(o, seg, (size_t)(dot - seg))) == NULL)
			return NULL;
		seg = dot + 1;
	}
}

/*
 * Sets field name of e to v (reference stolen): where the field is now (a
 * top-level key, or a nested path that exists), else as a new top-level key
 * named name. Returns 0, or -1 out of memory.
 */
static int
field_put(struct event *e, const char *name, json_t *v)
{
	json_t *o, *parent;
	const char *key;
	size_t klen;

	if (strchr(name, '.') == NULL)
		return event_set(e, name, v);
	if ((o = event_obj(e)) == NULL) {
		json_decref(v);
		return -1;
	}
	if (json_object_get(o, name) != NULL ||
	    path_find(o, name, &parent, &key, &klen) == NULL)
		return event_set(e, name, v);
	if ((o = event_obj_mut(e)) == NULL ||
	    path_find(o, name, &parent, &key, &klen) == NULL) {
		json_decref(v);
		return -1;
	}
	return json_object_setn_new(parent, key, klen, v);
}

/* Returns 1 when s holds a '*'. */
static int
has_star(const char *s)
{
	return strchr(s, '*') != NULL;
}

/*
 * Matches text (len bytes) against pattern, where '*' matches any run,
 * case-sensitively. On a match returns 1 and, for the i-th '*' (up to
 * ncap), the matched run as text[cs[i]..ce[i]). The earlier stars take the
 * shortest runs that let the rest match. Linear backtracking: only the last
 * star is ever widened.
 */
static int
glob_capture(const char *pat, const char *text, size_t len, size_t *cs,
    size_t *ce, size_t ncap)
{
	size_t pi = 0, ti = 0, star_p = SIZE_MAX, star_t = 0, k = 0,
	    last = SIZE_MAX;

	while (ti < len) {
		if (pat[pi] == '*') {
			if (k < ncap) {
				cs[k] = ce[k] = ti;
			}
			last = k++;
			star_p = ++pi;
			star_t = ti;
			continue;
		}
		if (pat[pi] != '\0' && pat[pi] == text[ti]) {
			pi++;
			ti++;
			continue;
		}
		if (star_p == SIZE_MAX)
			return 0;
		pi = star_p;
		ti = ++star_t;
		if (last < ncap)
			ce[last] = star_t;
		k = last + 1;
	}
	while (pat[pi] == '*') {
		if (k < ncap)
			cs[k] = ce[k] = len;
		k++;
		pi++;
	}
	return pat[pi] == '\0';
}

/* The number of '*' in s. */
static size_t
star_count(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += *s == '*';
	return n;
}

/*
 * Appends to b the template tpl with its i-th '*' replaced by the i-th
 * captured run of text (cs/ce, ncap runs); '*' beyond them stay as written.
 */
static int
glob_fill(struct buf *b, const char *tpl, const char *text, const size_t *cs,
    const size_t *ce, size_t ncap)
{
	size_t k = 0;

	for (; *tpl; tpl++) {
		if (*tpl == '*' && k < ncap) {
			if (buf_append(b, text + cs[k], ce[k] - cs[k]) == -1)
				return -1;
			k++;
		} else if (buf_putc(b, *tpl) == -1)
			return -1;
	}
	return 0;
}

/* ---- fields [+|-] f1, f2 ... ---- */

/*
 * Returns 1 when the field named full matches one of the names. Inside a
 * nested object (nested set) a name that is the whole name of a top-level
 * key (shadow[i], found before any change) names that key, not this field.
 */
static int
names_match(char *const *names, size_t n, const char *full, size_t len,
    int nested, const unsigned char *shadow)
{
	for (size_t i = 0; i < n; i++)
		if (!(nested && shadow[i]) &&
		    value_wildcard(names[i], full, len, 0))
			return 1;
	return 0;
}

/* Returns 1 when a name could match a field inside the object named full
 * (a wildcard, or a dotted name below it). */
static int
names_below(char *const *names, size_t n, const char *full, size_t len)
{
	for (size_t i = 0; i < n; i++)
		if (has_star(names[i]) || (strncmp(names[i], full, len) == 0 &&
		    names[i][len] == '.'))
			return 1;
	return 0;
}

/*
 * Keeps (keep 1) or removes (keep 0) the members of o named prefix + key
 * that match the names, going into nested objects a name may reach (fields +
 * drops a nested object left with nothing kept). With dry set o is not
 * changed. Returns 1 when o changes (would change), 0 when not, -1 out of
 * memory; *left receives the number of members that stay.
 */
static int
fields_filter(json_t *o, const unsigned char *shadow, struct buf *prefix,
    char *const *names, size_t n, int keep, int dry, int depth, size_t *left)
{
	size_t base = prefix->b_len, inner;
	const char *key;
	json_t *v;
	void *tmp;
	int changed = 0, rc, hit;

	*left = 0;
	json_object_foreach_safe(o, tmp, key, v) {
		prefix->b_len = base;
		if (buf_puts(prefix, key) == -1)
			return -1;
		hit = names_match(names, n, prefix->b_data, prefix->b_len,
		    depth > 0, shadow);
		if (!hit && json_is_object(v) && depth < FIELD_DEPTH &&
		    names_below(names, n, prefix->b_data, prefix->b_len)) {
			if (buf_putc(prefix, '.') == -1)
				return -1;
			if ((rc = fields_filter(v, shadow, prefix, names, n,
			    keep, dry, depth + 1, &inner)) < 0)
				return -1;
			changed |= rc;
			if (keep && inner == 0) {
				changed = 1;
				if (!dry)
					json_object_del(o, key);
			} else
				(*left)++;
			continue;
		}
		if (hit == keep) {
			(*left)++;
			continue;
		}
		changed = 1;
		if (!dry)
			json_object_del(o, key);
	}
	prefix->b_len = base;
	return changed;
}

static int
fields_push(struct stage *s, struct event *e)
{
	const struct sml_fields *fl = &s->sg_cmd->sc_u.fields;
	struct buf prefix = BUF_INIT;
	unsigned char *shadow;
	size_t left;
	json_t *o;
	int rc;

	if ((o = event_obj(e)) == NULL)
		return stage_emit(s, e);	/* not an object */
	if ((shadow = calloc(fl->fl_n, 1)) == NULL)
		return run_fail(s->sg_run, "out of memory");
	for (size_t i = 0; i < fl->fl_n; i++)
		shadow[i] = !has_star(fl->fl_names[i]) &&
		    json_object_get(o, fl->fl_names[i]) != NULL;
	rc = fields_filter(o, shadow, &prefix, fl->fl_names, fl->fl_n,
	    !fl->fl_remove, 1, 0, &left);
	if (rc == 1) {
		buf_reset(&prefix);
		if ((o = event_obj_mut(e)) == NULL)
			rc = -1;
		else
			rc = fields_filter(o, shadow, &prefix, fl->fl_names,
			    fl->fl_n, !fl->fl_remove, 0, 0, &left);
	}
	free(shadow);
	buf_free(&prefix);
	if (rc < 0)
		return run_fail(s->sg_run, "out of memory");
	return stage_emit(s, e);
}

int
cmd_fields_init(struct stage *s, const struct sml_command *c)
{
	if (c->sc_u.fields.fl_n == 0)
		return run_fail(s->sg_run, "%s: no field", c->sc_name);
	s->sg_push = fields_push;
	return 0;
}

/* ---- table f1, f2 ... ---- */

/*
 * Adds to out, named by their dotted paths, the members of o (named
 * prefix + key) that match pattern, not yet in out; goes into nested
 * objects that do not match. Returns 0 or -1 out of memory.
 */
static int
table_wild(json_t *out, json_t *o, struct buf *prefix, const char *pattern,
    int depth)
{
	size_t base = prefix->b_len;
	const char *key;
	json_t *v;
	int rc = 0;

	json_object_foreach(o, key, v) {
		prefix->b_len = base;
		if (buf_puts(prefix, key) == -1)
			return -1;
		if (value_wildcard(pattern, prefix->b_data, prefix->b_len, 0)) {
			if (json_object_get(out, prefix->b_data) == NULL &&
			    json_object_set_new(out, prefix->b_data,
			    agg_hold(v)) == -1)
				return -1;
		} else if (json_is_object(v) && depth < FIELD_DEPTH) {
			if (buf_putc(prefix, '.') == -1 ||
			    (rc = table_wild(out, v, prefix, pattern,
			    depth + 1)) == -1)
				return -1;
		}
	}
	prefix->b_len = base;
	return rc;
}

static int
table_push(struct stage *s, struct event *e)
{
	const struct sml_fields *fl = &s->sg_cmd->sc_u.fields;
	struct buf prefix = BUF_INIT;
	struct event ne;
	json_t *out, *v, *o;
	int rc = 0;

	if ((out = json_object()) == NULL)
		return run_fail(s->sg_run, "out of memory");
	for (size_t i = 0; i < fl->fl_n && rc == 0; i++) {
		const char *name = fl->fl_names[i];

		if (has_star(name)) {
			if ((o = event_obj(e)) != NULL) {
				buf_reset(&prefix);
				rc = table_wild(out, o, &prefix, name, 0);
			}
			continue;
		}
		if (json_object_get(out, name) != NULL)
			continue;
		/* Copies of containers: the new event must not share what a
		 * later command may change in place. */
		v = event_get(e, name);
		rc = json_object_set_new(out, name, v ? agg_hold(v) :
		    json_null());
	}
	buf_free(&prefix);
	if (rc != 0) {
		json_decref(out);
		return run_fail(s->sg_run, "out of memory");
	}
	/* A new event: cheaper than emptying the old one's tree. */
	event_init_obj(&ne, out, e->ev_time, e->ev_seq);
	rc = stage_emit(s, &ne);
	event_clear(&ne);
	return rc;
}

int
cmd_table_init(struct stage *s, const struct sml_command *c)
{
	if (c->sc_u.fields.fl_n == 0)
		return run_fail(s->sg_run, "table: no field");
	s->sg_push = table_push;
	return 0;
}

/* ---- rename a AS b, ... (wildcards with the same number of '*') ---- */

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

/* ---- fillnull [value=v] [f1, f2 ...] ---- */

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

/* ---- replace "old" WITH "new"[, ...] [IN f1, ...] ---- */

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

/* ---- rex [field=f] "regex" ---- */

#define REX_PAD		32		/* JIT code reads ahead this far */

struct rex_state {
	pcre2_code *rs_code;
	pcre2_match_data *rs_md;
	struct sml_regex_env rs_env;	/* the limits, the JIT stack */
	uint32_t *rs_groups;	/* group number of each rx_names[i] */
	struct buf rs_subj;	/* the subject, padded for the JIT */
};

/*
 * Matches the text s (len bytes) and sets a field per named group that
 * took part. Returns 1 on a match, 0 without one, -1 on an error.
 */
static int
rex_match(struct stage *s, struct event *e, const char *text, size_t len)
{
	const struct sml_rex *rx = &s->sg_cmd->sc_u.rex;
	struct rex_state *rs = s->sg_state;
	PCRE2_SIZE *ov;
	json_t **vals;
	int rc;

	buf_reset(&rs->rs_subj);
	if (buf_append(&rs->rs_subj, text, len) == -1 ||
	    buf_reserve(&rs->rs_subj, REX_PAD) == -1)
		return run_fail(s->sg_run, "out of memory");
	memset(rs->rs_subj.b_data + len, 0, REX_PAD);
	rc = pcre2_match(rs->rs_code, (PCRE2_SPTR)rs->rs_subj.b_data, len, 0, 0,
	    rs->rs_md, rs->rs_env.rg_mctx);
	if (rc == PCRE2_ERROR_NOMATCH)
		return 0;
	if (rc < 0) {
		char msg[256];

		/* A limit reached is not "no match": the fields would be
		 * missing from events where they are. */
		sml_regex_error(&rs->rs_env, rc, "rex", msg, sizeof(msg));
		return run_fail(s->sg_run, "%s", msg);
	}
	ov = pcre2_get_ovector_pointer(rs->rs_md);
	/* Copy the groups first: setting a field may change the text. */
	if ((vals = calloc(rx->rx_nnames, sizeof(*vals))) == NULL)
		return run_fail(s->sg_run, "out of memory");
	for (size_t i = 0; i < rx->rx_nnames; i++) {
		uint32_t g = rs->rs_groups[i];

		if (g == 0 || g >= (uint32_t)rc || ov[2 * g] == PCRE2_UNSET)
			continue;
		vals[i] = json_stringn(rs->rs_subj.b_data + ov[2 * g],
		    ov[2 * g + 1] - ov[2 * g]);
	}
	rc = 1;
	for (size_t i = 0; i < rx->rx_nnames; i++)
		if (vals[i] != NULL && event_set(e, rx->rx_names[i],
		    vals[i]) == -1)
			rc = -1;
	free(vals);
	return rc == -1 ? run_fail(s->sg_run, "out of memory") : 1;
}

static int
rex_push(struct stage *s, struct event *e)
{
	const struct sml_rex *rx = &s->sg_cmd->sc_u.rex;
	const char *text;
	json_t *v;
	char *str;
	size_t len, i;
	int rc = 0;

	if (rx->rx_field == NULL) {
		if ((text = event_text(e, &len)) == NULL)
			return run_fail(s->sg_run, "out of memory");
		if (rex_match(s, e, text, len) == -1)
			return -1;
		return stage_emit(s, e);
	}
	v = event_get(e, rx->rx_field);
	if (v == NULL || json_is_null(v))
		return stage_emit(s, e);
	/* A multivalue field: the first element that matches. */
	for (i = 0; rc == 0; i++) {
		const json_t *el = json_is_array(v) ? json_array_get(v, i) :
		    i == 0 ? v : NULL;

		if (el == NULL)
			break;
		if (json_is_null(el) || json_is_array(el) ||
		    json_is_object(el))
			continue;
		if ((str = value_string(el)) == NULL)
			return run_fail(s->sg_run, "out of memory");
		rc = rex_match(s, e, str, strlen(str));
		free(str);
	}
	if (rc < 0)
		return -1;
	return stage_emit(s, e);
}

static void
rex_free(struct stage *s)
{
	struct rex_state *rs = s->sg_state;

	if (rs == NULL)
		return;
	pcre2_match_data_free(rs->rs_md);
	sml_regex_env_free(&rs->rs_env);
	pcre2_code_free(rs->rs_code);
	free(rs->rs_groups);
	buf_free(&rs->rs_subj);
	free(rs);
	s->sg_state = NULL;
}

/* Compiles the regex once for the whole run. */
int
cmd_rex_init(struct stage *s, const struct sml_command *c)
{
	const struct sml_rex *rx = &c->sc_u.rex;
	const struct sml_run_limits *lim;
	struct rex_state *rs;
	PCRE2_UCHAR msg[128];
	PCRE2_SIZE eoff;
	uint32_t opts = PCRE2_UTF;
	int ecode, n;

#ifdef PCRE2_MATCH_INVALID_UTF
	opts |= PCRE2_MATCH_INVALID_UTF;
#endif
	if (rx->rx_regex == NULL)
		return run_fail(s->sg_run, "rex: no regular expression");
	if ((rs = calloc(1, sizeof(*rs))) == NULL)
		return run_fail(s->sg_run, "out of memory");
	s->sg_state = rs;
	s->sg_push = rex_push;
	s->sg_free = rex_free;
	rs->rs_code = pcre2_compile((PCRE2_SPTR)rx->rx_regex,
	    PCRE2_ZERO_TERMINATED, opts, &ecode, &eoff, NULL);
	if (rs->rs_code == NULL) {
		if (pcre2_get_error_message(ecode, msg, sizeof(msg)) < 0)
			snprintf((char *)msg, sizeof(msg), "error %d", ecode);
		return run_fail(s->sg_run, "rex: invalid regular expression: "
		    "%s at character %zu", (const char *)msg, (size_t)eoff);
	}
	sml_regex_jit(rs->rs_code);
	rs->rs_md = pcre2_match_data_create_from_pattern(rs->rs_code, NULL);
	rs->rs_groups = calloc(rx->rx_nnames ? rx->rx_nnames : 1,
	    sizeof(*rs->rs_groups));
	lim = run_limits(s->sg_run);
	if (rs->rs_md == NULL || rs->rs_groups == NULL ||
	    sml_regex_env_init(&rs->rs_env, lim->rl_regex_match_limit,
	    lim->rl_regex_depth_limit) == -1)
		return run_fail(s->sg_run, "out of memory");
	for (size_t i = 0; i < rx->rx_nnames; i++) {
		n = pcre2_substring_number_from_name(rs->rs_code,
		    (PCRE2_SPTR)rx->rx_names[i]);
		rs->rs_groups[i] = n > 0 ? (uint32_t)n : 0;
	}
	return 0;
}

/* ---- bin [span=...] field [AS name] ---- */

/*
 * Results: with a time span (s m h d w M y) the value is read as a time (an
 * ISO-8601 string or epoch seconds/milliseconds, as the time field) and
 * becomes the bucket start as an ISO-8601 UTC string with milliseconds
 * ("2026-01-01T02:00:00.000Z"), like timechart's _time. With a numeric span
 * the value is a number (or numeric string) rounded down to a multiple of
 * the span: an integer when the value and the span are integers, else a
 * real. Without span a number is rounded down to an integer (span 1) and a
 * time to the span timechart would choose for the task's range. A value
 * that is not what the span needs is left as it is (and AS sets nothing).
 */
struct bin_state {
	struct timespan bs_auto;	/* the span for times without span= */
	int bs_decimals;		/* decimals of a numeric span */
};

static void
bin_free(struct stage *s)
{
	free(s->sg_state);
	s->sg_state = NULL;
}

/* Floor division of integers, toward minus infinity. */
static int64_t
bin_floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* The bucket of v, a new value, or NULL when v does not fit the span. */
static json_t *
bin_value(struct stage *s, const json_t *v)
{
	const struct sml_bin *bn = &s->sg_cmd->sc_u.bin;
	struct bin_state *bs = s->sg_state;
	struct timespan ts = {0};
	double d = 0, span = bn->bn_span_num, p, q, r, sp;
	int64_t i = 0, t;
	char iso[32];
	int k = 0;

	if (json_is_number(v) || json_is_string(v)) {
		if (json_is_integer(v)) {
			k = 1;
			i = json_integer_value(v);
			d = (double)i;
		} else if (json_is_real(v)) {
			k = 2;
			d = json_real_value(v);
		} else
			k = value_parse_number(json_string_value(v),
			    json_string_length(v), &i, &d);
	}
	if (bn->bn_span_ms > 0 || bn->bn_span_months > 0 ||
	    (span <= 0 && k == 0)) {
		if (evtime_from_json(v, &t) == -1)
			return NULL;
		if (bn->bn_span_ms > 0 || bn->bn_span_months > 0) {
			ts.ts_ms = bn->bn_span_ms;
			ts.ts_months = bn->bn_span_months;
		} else
			ts = bs->bs_auto;
		return json_string(time_format_iso(timespan_floor(&ts, t),
		    iso));
	}
	if (k == 0)
		return NULL;
	if (span <= 0)
		span = 1;
	if (k == 1 && span == floor(span) && span <= 9007199254740992.0)
		return json_integer(bin_floor_div(i, (int64_t)span) *
		    (int64_t)span);
	/*
	 * In decimal steps, so that binary fractions do not put a value on
	 * a bucket boundary below it (0.3 / 0.1 is 2.9999999999999996).
	 */
	p = bs->bs_decimals > 0 ? pow(10, bs->bs_decimals) : 1;
	q = d * p;
	sp = round(span * p);
	if (bs->bs_decimals == 0)
		sp = span;
	if (fabs(q - round(q)) < 1e-9 * fmax(1, fabs(q)))
		q = round(q);
	q /= sp;
	if (fabs(q - round(q)) < 1e-9 * fmax(1, fabs(q)))
		q = round(q);
	r = floor(q) * sp / p;
	return json_real(r);
}

static int
bin_push(struct stage *s, struct event *e)
{
	const struct sml_bin *bn = &s->sg_cmd->sc_u.bin;
	json_t *v = event_get(e, bn->bn_field), *nv;
	int rc;

	if (v == NULL || json_is_null(v) || json_is_array(v) ||
	    json_is_object(v))
		return stage_emit(s, e);
	if ((nv = bin_value(s, v)) == NULL)
		return stage_emit(s, e);
	rc = bn->bn_as ? event_set(e, bn->bn_as, nv) :
	    field_put(e, bn->bn_field, nv);
	if (rc == -1)
		return run_fail(s->sg_run, "out of memory");
	return stage_emit(s, e);
}

int
cmd_bin_init(struct stage *s, const struct sml_command *c)
{
	const struct sml_bin *bn = &c->sc_u.bin;
	const struct sml_ctx *ctx = run_ctx(s->sg_run);
	struct bin_state *bs;
	char txt[64], *dot;

	if (bn->bn_field == NULL)
		return run_fail(s->sg_run, "bin: no field");
	if ((bs = calloc(1, sizeof(*bs))) == NULL)
		return run_fail(s->sg_run, "out of memory");
	s->sg_state = bs;
	s->sg_push = bin_push;
	s->sg_free = bin_free;
	timespan_auto(ctx->sx_range_start, ctx->sx_range_end,
	    run_limits(s->sg_run)->rl_timeline_buckets, &bs->bs_auto);
	if (bn->bn_span_num > 0 && bn->bn_span_num != floor(bn->bn_span_num)) {
		value_fmt_real(bn->bn_span_num, txt, sizeof(txt));
		if (strpbrk(txt, "eE") == NULL && (dot = strchr(txt, '.')))
			bs->bs_decimals = (int)strlen(dot + 1);
	}
	return 0;
}
