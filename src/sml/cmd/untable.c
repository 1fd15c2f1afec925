/*
 * cmd/untable.c - untable: the inverse of xyseries, one row per field of
 * each row besides the x field (streaming).
 *
 *	untable <x-field> <name-field> <value-field>
 *
 * Each field of a row other than <x-field>, in the row's order, becomes a
 * row {<x-field>: the row's x value, <name-field>: the field's name,
 * <value-field>: its value}; null values give no row, and a row without
 * the x field gives rows without it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sml/parse.h"
#include "sml/stage.h"

int
cmd_untable_parse(struct sml_parser *p, struct sml_command *c)
{
	return sml_xy_fields(p, c, 3);
}

/* Emits the row {x, name: key, value: v} made from e. 0, 1 or -1. */
static int
untable_row(struct stage *s, struct event *e, const json_t *x,
    const char *key, const json_t *v)
{
	const struct sml_xyseries *xy = &s->sg_cmd->sc_u.xyseries;
	struct event ev;
	json_t *obj;
	int rc;

	if ((obj = json_object()) == NULL ||
	    (x != NULL && json_object_set_new(obj, xy->xy_x,
	    agg_hold(x)) == -1) ||
	    json_object_set_new(obj, xy->xy_y, json_string(key)) == -1 ||
	    json_object_set_new(obj, xy->xy_data[0], agg_hold(v)) == -1) {
		json_decref(obj);
		return run_fail(s->sg_run, "out of memory");
	}
	event_init_obj(&ev, obj, e->ev_time, e->ev_seq);
	rc = stage_emit(s, &ev);
	event_clear(&ev);
	if (rc == 0 && run_poll_now(s->sg_run))
		rc = 1;
	return rc;
}

static int
untable_push(struct stage *s, struct event *e)
{
	const struct sml_xyseries *xy = &s->sg_cmd->sc_u.xyseries;
	json_t *obj, *x, *v;
	const char *key;
	int rc = 0;

	if ((obj = event_obj(e)) == NULL)
		return run_fail(s->sg_run, "untable: an event is not a JSON "
		    "object");
	/* Held: the rows made share nothing with e. */
	obj = json_incref(obj);
	x = event_get(e, xy->xy_x);
	if (x != NULL && (x = agg_hold(x)) == NULL) {
		json_decref(obj);
		return run_fail(s->sg_run, "out of memory");
	}
	json_object_foreach(obj, key, v) {
		if (strcmp(key, xy->xy_x) == 0 || json_is_null(v))
			continue;
		if ((rc = untable_row(s, e, x, key, v)) != 0)
			break;
	}
	json_decref(x);
	json_decref(obj);
	return rc;
}

int
cmd_untable_init(struct stage *s, const struct sml_command *c)
{
	if (c->sc_u.xyseries.xy_ndata != 1)
		return run_fail(s->sg_run, "untable: needs a value field");
	s->sg_push = untable_push;
	return 0;
}
