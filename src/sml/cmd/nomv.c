/*
 * cmd/nomv.c - nomv: joins a multivalue (array) field into one string, the
 * values separated by newlines, as SPL does (streaming).
 *
 *	nomv <field>
 *
 * Strings join as they are, numbers and booleans as their text, arrays and
 * objects as their compact JSON; null elements are left out. A missing
 * field or a scalar stays as it is.
 */
#include <stdlib.h>
#include <string.h>

#include "sml/parse.h"
#include "sml/stage.h"

/* ---- Parsing ---- */

/*
 * Parses nomv <field> into c->sc_u.nomv. Returns 0 with the current token
 * at '|' or the end, or -1 with the error reported.
 */
int
cmd_nomv_parse(struct sml_parser *p, struct sml_command *c)
{
	if (sml_next(p) == -1)
		return -1;
	if (!sml_at_name(p, 0))
		return sml_fail_expected(p, "a field name");
	if (sml_name(p, 0, &c->sc_u.nomv.nm_field) == -1 || sml_next(p) == -1)
		return -1;
	return sml_end(p);
}

/* Frees what cmd_nomv_parse() stored in c (not c itself). */
void
cmd_nomv_clear(struct sml_command *c)
{
	free(c->sc_u.nomv.nm_field);
}

/* ---- Running ---- */

/* Appends the text of el to b as nomv joins it. Returns 0 or -1. */
static int
nomv_put(struct buf *b, const json_t *el)
{
	char *t;
	size_t n;
	int rc;

	if (json_is_string(el))
		return buf_append(b, json_string_value(el),
		    json_string_length(el));
	if (json_is_array(el) || json_is_object(el))
		t = value_json(el, &n);
	else {
		t = value_string(el);
		n = t != NULL ? strlen(t) : 0;
	}
	if (t == NULL)
		return -1;
	rc = buf_append(b, t, n);
	free(t);
	return rc;
}

static int
nomv_push(struct stage *s, struct event *e)
{
	const char *field = s->sg_cmd->sc_u.nomv.nm_field;
	json_t *v = event_get(e, field), *el, *str;
	struct buf b = BUF_INIT;
	size_t i, k = 0;

	if (!json_is_array(v))
		return stage_emit(s, e);
	json_array_foreach(v, i, el) {
		if (json_is_null(el))
			continue;
		if ((k++ > 0 && buf_putc(&b, '\n') == -1) ||
		    nomv_put(&b, el) == -1) {
			buf_free(&b);
			return run_fail(s->sg_run, "out of memory");
		}
	}
	str = json_stringn(b.b_data ? b.b_data : "", b.b_len);
	buf_free(&b);
	if (str == NULL || field_put(e, field, str) == -1)
		return run_fail(s->sg_run, "out of memory");
	return stage_emit(s, e);
}

int
cmd_nomv_init(struct stage *s, const struct sml_command *c)
{
	if (c->sc_u.nomv.nm_field == NULL)
		return run_fail(s->sg_run, "nomv: no field");
	s->sg_push = nomv_push;
	return 0;
}
