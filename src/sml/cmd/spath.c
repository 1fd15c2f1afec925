/*
 * cmd/spath.c - spath: extracts values from JSON, the event's own or the
 * JSON text a field holds (streaming).
 *
 *	spath [input=<field>] [output=<field>] [path=<path> | <path>]
 *
 * A path is steps separated by '.': a key, then any number of {} (every
 * element of an array) or {N} (element N, from 0); the first step may be
 * an array step alone ({}.a: the elements of a top-level array). With a
 * path, the value there goes to output (default: a field named as the path
 * is written); a path with a {} step gives an array of every value it
 * reaches. Without a path, every leaf becomes a field named by its path,
 * arrays as name{} holding their values (SPL's names): {"a":{"b":1},
 * "c":[{"d":2},{"d":3}]} gives a.b = 1 and c{}.d = [2, 3]. null values are
 * left out.
 *
 * The JSON is that of the field input when it holds a string (the event
 * passes unchanged when it is not JSON), or the value itself when it holds
 * an object or array. Without input, or with input=_raw when the event has
 * no field _raw, it is the event itself: a path reads into its nested
 * objects, and extracting every leaf adds the nested ones (the top-level
 * fields are there already).
 */
#include <stdlib.h>
#include <string.h>

#include "sml/parse.h"
#include "sml/stage.h"

/* Below this many levels, spath without a path takes an object or array
 * whole as one value rather than its leaves. */
#define SPATH_DEPTH	100

/* The largest array index of a path step. */
#define SPATH_INDEX_MAX	2147483647

/* ---- Parsing ---- */

/* Appends a step to sp. Returns 0 or -1 (reported). */
static int
spath_step(struct sml_parser *p, struct sml_spath *sp, enum sml_pstep_kind k,
    char *key, size_t index)
{
	struct sml_pstep *st;

	if (SML_ROOM(p, sp->pt_steps, sp->pt_nsteps) == -1) {
		free(key);
		return -1;
	}
	st = &sp->pt_steps[sp->pt_nsteps++];
	st->ps_kind = k;
	st->ps_key = key;
	st->ps_index = index;
	if (k == SML_PSTEP_ALL)
		sp->pt_multi = 1;
	return 0;
}

/*
 * Reads the array steps {} and {N} at s[*i] into sp. Returns 0 with *i
 * after them, -1 with the reason in *why, or -2 out of memory (reported).
 */
static int
spath_brackets(struct sml_parser *p, struct sml_spath *sp, const char *s,
    size_t *i, const char **why)
{
	size_t n;

	while (s[*i] == '{') {
		(*i)++;
		if (s[*i] == '}') {
			(*i)++;
			if (spath_step(p, sp, SML_PSTEP_ALL, NULL, 0) == -1)
				return -2;
			continue;
		}
		for (n = 0; s[*i] >= '0' && s[*i] <= '9'; (*i)++) {
			n = n * 10 + (size_t)(s[*i] - '0');
			if (n > SPATH_INDEX_MAX) {
				*why = "an index above 2147483647";
				return -1;
			}
		}
		if (s[*i] != '}') {
			*why = "'{' takes an index or nothing, then '}'";
			return -1;
		}
		(*i)++;
		if (spath_step(p, sp, SML_PSTEP_INDEX, NULL, n) == -1)
			return -2;
	}
	return 0;
}

/*
 * Parses the path text s (the value at the current token) into the steps
 * of sp. Returns 0, or -1 with the error reported at the token.
 */
static int
spath_parse_path(struct sml_parser *p, struct sml_spath *sp, const char *s)
{
	char name[SML_NAME_BUF];
	const char *why = NULL;
	size_t i = 0, k;
	char *key;
	int rc;

	for (;;) {
		for (k = i; s[k] != '\0' && s[k] != '.' && s[k] != '{' &&
		    s[k] != '}'; k++)
			;
		if (k > i) {
			if ((key = strndup(s + i, k - i)) == NULL)
				return sml_fail_nomem(p);
			if (spath_step(p, sp, SML_PSTEP_KEY, key, 0) == -1)
				return -1;
		} else if (s[k] != '{' || (i > 0 && s[i - 1] == '.')) {
			why = s[k] == '}' ? "'}' without '{'" :
			    "a step is empty";
			break;
		}
		i = k;
		if ((rc = spath_brackets(p, sp, s, &i, &why)) == -2)
			return -1;
		if (rc == -1)
			break;
		if (s[i] == '\0')
			return 0;
		if (s[i] != '.') {
			why = s[i] == '}' ? "'}' without '{'" :
			    "an array step must end its step";
			break;
		}
		i++;
	}
	return sml_fail(p, p->sp_tok.lt_off, "invalid path %s: %s",
	    sml_tokname(p, &p->sp_tok, name), why);
}

/*
 * Reads the field name value of the parameter input= or output= (the
 * current token is its key) into *out. Returns 0 with the value current,
 * or -1.
 */
static int
spath_name_param(struct sml_parser *p, unsigned *seen, unsigned bit,
    char **out)
{
	if (sml_param_once(p, seen, bit, "spath") == -1 || sml_next(p) == -1 ||
	    sml_next_value(p) == -1)
		return -1;
	if (p->sp_tok.lt_kind != LEX_WORD && p->sp_tok.lt_kind != LEX_QNAME)
		return sml_fail_expected(p, "a field name");
	return sml_name(p, 0, out);
}

/*
 * Parses spath [input=<f>] [output=<f>] [path=<p> | <p>] into
 * c->sc_u.spath. Returns 0 with the current token at '|' or the end, or -1
 * with the error reported.
 */
int
cmd_spath_parse(struct sml_parser *p, struct sml_command *c)
{
	struct sml_spath *sp = &c->sc_u.spath;
	size_t out_off = 0;
	unsigned seen = 0;

	if (sml_next_value(p) == -1)
		return -1;
	for (;;) {
		if (sml_at_param(p)) {
			if (sml_at_key(p, "input")) {
				if (spath_name_param(p, &seen, SML_SEEN_A,
				    &sp->pt_input) == -1)
					return -1;
			} else if (sml_at_key(p, "output")) {
				out_off = p->sp_tok.lt_off;
				if (spath_name_param(p, &seen, SML_SEEN_B,
				    &sp->pt_output) == -1)
					return -1;
			} else if (sml_at_key(p, "path")) {
				if (sml_param_once(p, &seen, SML_SEEN_C,
				    "spath") == -1 || (sp->pt_path =
				    sml_param_value(p, "path")) == NULL ||
				    spath_parse_path(p, sp, sp->pt_path) == -1)
					return -1;
			} else
				return sml_param_unknown(p, "spath");
		} else if (!(seen & SML_SEEN_C) &&
		    (p->sp_tok.lt_kind == LEX_WORD ||
		    p->sp_tok.lt_kind == LEX_STRING)) {
			seen |= SML_SEEN_C;
			if ((sp->pt_path = sml_copy(p)) == NULL ||
			    spath_parse_path(p, sp, sp->pt_path) == -1)
				return -1;
		} else
			break;
		if (sml_next_value(p) == -1)
			return -1;
	}
	if (sp->pt_output != NULL && sp->pt_path == NULL)
		return sml_fail(p, out_off, "spath: output= needs a path "
		    "(path=<path>)");
	return sml_end(p);
}

/* Frees what cmd_spath_parse() stored in c (not c itself). */
void
cmd_spath_clear(struct sml_command *c)
{
	struct sml_spath *sp = &c->sc_u.spath;

	free(sp->pt_input);
	free(sp->pt_output);
	free(sp->pt_path);
	for (size_t i = 0; i < sp->pt_nsteps; i++)
		free(sp->pt_steps[i].ps_key);
	free(sp->pt_steps);
}

/* ---- Running ---- */

/* The nodes one step of a path reaches (borrowed). */
struct spath_nodes {
	json_t **sn_v;
	size_t sn_n, sn_cap;
};

/* Appends v to ns. Returns 0, or -1 out of memory. */
static int
spath_nodes_add(struct spath_nodes *ns, json_t *v)
{
	json_t **nv;
	size_t cap;

	if (ns->sn_n == ns->sn_cap) {
		cap = ns->sn_cap ? ns->sn_cap * 2 : 8;
		if ((nv = realloc(ns->sn_v, cap * sizeof(*nv))) == NULL)
			return -1;
		ns->sn_v = nv;
		ns->sn_cap = cap;
	}
	ns->sn_v[ns->sn_n++] = v;
	return 0;
}

/* Adds to to what step st reaches from v. Returns 0, or -1 out of memory. */
static int
spath_follow(const struct sml_pstep *st, json_t *v, struct spath_nodes *to)
{
	json_t *el;
	size_t i;

	switch (st->ps_kind) {
	case SML_PSTEP_KEY:
		el = json_is_object(v) ? json_object_get(v, st->ps_key) : NULL;
		return el != NULL ? spath_nodes_add(to, el) : 0;
	case SML_PSTEP_INDEX:
		el = json_array_get(v, st->ps_index);	/* NULL: none */
		return el != NULL ? spath_nodes_add(to, el) : 0;
	case SML_PSTEP_ALL:
		json_array_foreach(v, i, el)
			if (spath_nodes_add(to, el) == -1)
				return -1;
		return 0;
	}
	return 0;
}

/*
 * Sets the output of the path from root: the value it reaches or, with a
 * {} step, an array of every value (copies; null left out). Nothing
 * reached, nothing set. Returns 0, or -1 with the run failed.
 */
static int
spath_path(struct stage *s, struct event *e, json_t *root)
{
	const struct sml_spath *sp = &s->sg_cmd->sc_u.spath;
	struct spath_nodes a = { NULL, 0, 0 }, b = { NULL, 0, 0 }, t;
	json_t *out = NULL;
	size_t i, j;
	int rc = -1;

	if (spath_nodes_add(&a, root) == -1)
		goto done;
	for (i = 0; i < sp->pt_nsteps && a.sn_n > 0; i++) {
		b.sn_n = 0;
		for (j = 0; j < a.sn_n; j++)
			if (spath_follow(&sp->pt_steps[i], a.sn_v[j], &b) == -1)
				goto done;
		t = a;
		a = b;
		b = t;
	}
	if (sp->pt_multi) {
		if ((out = json_array()) == NULL)
			goto done;
		for (j = 0; j < a.sn_n; j++)
			if (!json_is_null(a.sn_v[j]) &&
			    json_array_append_new(out,
			    json_deep_copy(a.sn_v[j])) == -1)
				goto done;
		if (json_array_size(out) == 0) {
			rc = 0;
			goto done;
		}
	} else if (a.sn_n == 0 || json_is_null(a.sn_v[0])) {
		rc = 0;
		goto done;
	} else if ((out = json_deep_copy(a.sn_v[0])) == NULL)
		goto done;
	rc = event_set(e, sp->pt_output ? sp->pt_output : sp->pt_path, out);
	out = NULL;
done:
	json_decref(out);
	free(a.sn_v);
	free(b.sn_v);
	return rc == -1 ? run_fail(s->sg_run, "out of memory") : 0;
}

/*
 * Adds a copy of the leaf v under name (multi: a name with {}, whose
 * values gather into an array) to acc. Returns 0, or -1 out of memory.
 */
static int
spath_leaf(json_t *acc, const char *name, const json_t *v, int multi)
{
	json_t *arr, *copy;

	if ((copy = json_deep_copy(v)) == NULL)
		return -1;
	if (!multi)
		return json_object_set_new(acc, name, copy);
	arr = json_object_get(acc, name);
	if (!json_is_array(arr)) {
		if ((arr = json_array()) == NULL ||
		    json_object_set_new(acc, name, arr) == -1) {
			json_decref(copy);
			return -1;
		}
	}
	return json_array_append_new(arr, copy);
}

/*
 * Adds the leaves of v, whose path name is in b, to acc: objects and
 * arrays are walked (SPATH_DEPTH levels), null is left out. Returns 0, or
 * -1 out of memory.
 */
static int
spath_leaves(json_t *acc, struct buf *b, const json_t *v, int multi, int depth)
{
	size_t len = b->b_len, i;
	const char *key;
	json_t *el;
	int rc = 0;

	if (json_is_null(v))
		return 0;
	if (depth >= SPATH_DEPTH || (!json_is_object(v) && !json_is_array(v)))
		return len > 0 ? spath_leaf(acc, b->b_data, v, multi) : 0;
	if (json_is_array(v)) {
		if (buf_puts(b, "{}") == -1)
			return -1;
		json_array_foreach(v, i, el)
			if ((rc = spath_leaves(acc, b, el, 1, depth + 1)) == -1)
				break;
	} else {
		json_object_foreach((json_t *)v, key, el) {
			b->b_len = len;
			if ((len > 0 && buf_putc(b, '.') == -1) ||
			    buf_puts(b, key) == -1 ||
			    spath_leaves(acc, b, el, multi, depth + 1) == -1) {
				rc = -1;
				break;
			}
		}
	}
	b->b_len = len;
	if (b->b_data != NULL)
		b->b_data[len] = '\0';
	return rc;
}

/*
 * Sets a field per leaf of root; self: root is the event, whose top-level
 * fields stay as they are. Returns 0, or -1 with the run failed.
 */
static int
spath_all(struct stage *s, struct event *e, const json_t *root, int self)
{
	struct buf b = BUF_INIT;
	json_t *acc, *v;
	const char *key;
	int rc;

	if ((acc = json_object()) == NULL)
		return run_fail(s->sg_run, "out of memory");
	rc = spath_leaves(acc, &b, root, 0, 0);
	buf_free(&b);
	json_object_foreach(acc, key, v) {
		if (rc == -1)
			break;
		if (self && json_object_get(event_obj(e), key) != NULL)
			continue;
		rc = event_set(e, key, json_incref(v));
	}
	json_decref(acc);
	return rc == -1 ? run_fail(s->sg_run, "out of memory") : 0;
}

static int
spath_push(struct stage *s, struct event *e)
{
	const struct sml_spath *sp = &s->sg_cmd->sc_u.spath;
	const char *in = sp->pt_input ? sp->pt_input : "_raw";
	json_t *v = event_get(e, in), *root = v;
	int self = 0, rc;

	if (v == NULL && strcmp(in, "_raw") == 0) {
		if ((root = event_obj(e)) == NULL)
			return stage_emit(s, e);
		self = 1;
	} else if (v == NULL || json_is_null(v))
		return stage_emit(s, e);
	else if (json_is_string(v)) {
		/* Not JSON: the event passes unchanged, as in SPL. */
		root = json_loadb(json_string_value(v), json_string_length(v),
		    JSON_DECODE_ANY, NULL);
		if (root == NULL)
			return stage_emit(s, e);
	} else
		json_incref(root);	/* setting fields may free v */
	rc = sp->pt_path ? spath_path(s, e, root) :
	    spath_all(s, e, root, self);
	if (!self)
		json_decref(root);
	return rc == -1 ? -1 : stage_emit(s, e);
}

int
cmd_spath_init(struct stage *s, const struct sml_command *c)
{
	(void)c;
	s->sg_push = spath_push;
	return 0;
}
