/*
 * cmd/table.c - table: keeps only the fields named, in that order, every
 * result carrying all of them (null where missing; streaming).
 *
 *	table f1, f2, ...
 *
 * Names may hold '*' wildcards, which add the matching fields in the
 * event's order.
 */

#include "sml/parse.h"
#include "sml/stage.h"

/* ---- Parsing ---- */

/*
 * Parses table f1, f2 ... into c->sc_u.fields (fl_remove 0). Returns 0 with
 * the current token at '|' or the end, or -1 with the error reported.
 */
int
cmd_table_parse(struct sml_parser *p, struct sml_command *c)
{
	struct sml_fields *fl = &c->sc_u.fields;

	if (sml_next(p) == -1)
		return -1;
	return sml_names_to_end(p, SML_NAME_WILD, &fl->fl_names, &fl->fl_n);
}

/* Frees what cmd_table_parse() stored in c (not c itself). */
void
cmd_table_clear(struct sml_command *c)
{
	sml_strs_free(c->sc_u.fields.fl_names, c->sc_u.fields.fl_n);
}

/* ---- Running ---- */

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
