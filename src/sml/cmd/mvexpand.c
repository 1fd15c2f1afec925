/*
 * cmd/mvexpand.c - mvexpand: one event per value of a multivalue (array)
 * field (streaming).
 *
 *	mvexpand <field> [limit=<n>]
 *
 * Each event it makes holds one element in the field's place, in order;
 * null elements are left out, and limit=n keeps the first n values (0, the
 * default: all). An event whose field is missing, null, a scalar or an
 * array without a value passes unchanged. The events go on one at a time,
 * so memory stays that of the event whatever the size of the array.
 */
#include <stdlib.h>

#include "sml/parse.h"
#include "sml/stage.h"

/* ---- Parsing ---- */

/*
 * Parses mvexpand <field> [limit=<n>] (the parameter before or after the
 * field) into c->sc_u.mvexpand. Returns 0 with the current token at '|' or
 * the end, or -1 with the error reported.
 */
int
cmd_mvexpand_parse(struct sml_parser *p, struct sml_command *c)
{
	struct sml_mvexpand *mx = &c->sc_u.mvexpand;
	unsigned seen = 0;

	if (sml_next(p) == -1)
		return -1;
	for (;;) {
		if (sml_at_param(p)) {
			if (!sml_at_key(p, "limit"))
				return sml_param_unknown(p, "mvexpand");
			if (sml_param_once(p, &seen, SML_SEEN_A, "mvexpand") ==
			    -1 || sml_param_int(p, "limit", 0,
			    "a non-negative integer", &mx->mx_limit) == -1 ||
			    sml_next(p) == -1)
				return -1;
		} else if (mx->mx_field == NULL && sml_at_name(p, 0)) {
			if (sml_name(p, 0, &mx->mx_field) == -1 ||
			    sml_next(p) == -1)
				return -1;
		} else
			break;
	}
	if (mx->mx_field == NULL)
		return sml_fail_expected(p, "a field name");
	return sml_end(p);
}

/* Frees what cmd_mvexpand_parse() stored in c (not c itself). */
void
cmd_mvexpand_clear(struct sml_command *c)
{
	free(c->sc_u.mvexpand.mx_field);
}

/* ---- Running ---- */

/* Returns 1 when the array v holds an element that is not null. */
static int
mvexpand_any(const json_t *v)
{
	for (size_t i = 0; i < json_array_size(v); i++)
		if (!json_is_null(json_array_get(v, i)))
			return 1;
	return 0;
}

static int
mvexpand_push(struct stage *s, struct event *e)
{
	const struct sml_mvexpand *mx = &s->sg_cmd->sc_u.mvexpand;
	json_t *v = event_get(e, mx->mx_field), *arr, *el;
	int64_t made = 0;
	size_t i;
	int rc = 0;

	if (!json_is_array(v) || !mvexpand_any(v))
		return stage_emit(s, e);
	/* Held here: the first copy replaces the array in the event. */
	arr = json_incref(v);
	for (i = 0; i < json_array_size(arr) && rc == 0; i++) {
		el = json_array_get(arr, i);
		if (json_is_null(el))
			continue;
		if (mx->mx_limit > 0 && made == mx->mx_limit)
			break;
		made++;
		if (field_put(e, mx->mx_field, json_incref(el)) == -1)
			rc = run_fail(s->sg_run, "out of memory");
		else if ((rc = stage_emit(s, e)) == 0 &&
		    run_poll_now(s->sg_run))
			rc = 1;
	}
	json_decref(arr);
	return rc;
}

int
cmd_mvexpand_init(struct stage *s, const struct sml_command *c)
{
	if (c->sc_u.mvexpand.mx_field == NULL)
		return run_fail(s->sg_run, "mvexpand: no field");
	s->sg_push = mvexpand_push;
	return 0;
}
