/*
 * cmd/fields.c - fields: keeps (+, the default) or removes (-) fields, in
 * the event's order (streaming).
 *
 *	fields [+|-] f1, f2, ...
 *
 * Names may hold '*' wildcards; dotted names and wildcards reach into
 * nested objects.
 */
#include <stdlib.h>
#include <string.h>

#include "sml/parse.h"
#include "sml/stage.h"

/* ---- Parsing ---- */

/*
 * Parses fields [+|-] f1, f2 ... into c->sc_u.fields. Returns 0 with the
 * current token at '|' or the end, or -1 with the error reported.
 */
int
cmd_fields_parse(struct sml_parser *p, struct sml_command *c)
{
	struct sml_fields *fl = &c->sc_u.fields;

	if (sml_next(p) == -1)
		return -1;
	if (p->sp_tok.lt_kind == LEX_PLUS || p->sp_tok.lt_kind == LEX_MINUS) {
		fl->fl_remove = p->sp_tok.lt_kind == LEX_MINUS;
		if (sml_next(p) == -1)
			return -1;
	}
	return sml_names_to_end(p, SML_NAME_WILD, &fl->fl_names, &fl->fl_n);
}

/* Frees what cmd_fields_parse() stored in c (not c itself). */
void
cmd_fields_clear(struct sml_command *c)
{
	sml_strs_free(c->sc_u.fields.fl_names, c->sc_u.fields.fl_n);
}

/* ---- Running ---- */

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
