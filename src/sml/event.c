/* event.c - events in the pipeline (minimal version: text passthrough). */
#include <stdlib.h>
#include <string.h>

#include "common/evtime.h"
#include "sml/engine.h"

void
event_init(struct event *e, const char *raw, size_t len, int64_t time,
    uint64_t seq)
{
	memset(e, 0, sizeof(*e));
	e->ev_raw = raw;
	e->ev_rawlen = len;
	e->ev_time = time;
	e->ev_seq = seq;
}

void
event_init_obj(struct event *e, json_t *obj, int64_t time, uint64_t seq)
{
	memset(e, 0, sizeof(*e));
	e->ev_obj = obj;
	e->ev_dirty = 1;
	e->ev_time = time;
	e->ev_seq = seq;
}

void
event_clear(struct event *e)
{
	if (e->ev_owned)
		free((char *)e->ev_raw);
	json_decref(e->ev_obj);
	free(e->ev_cache);
	memset(e, 0, sizeof(*e));
}

struct event *
event_keep(const struct event *e)
{
	struct event *k = calloc(1, sizeof(*k));
	char *raw;

	if (k == NULL)
		return NULL;
	*k = *e;
	k->ev_cache = NULL;
	k->ev_obj = e->ev_obj ? json_incref(e->ev_obj) : NULL;
	if (e->ev_raw && !e->ev_dirty) {
		if ((raw = malloc(e->ev_rawlen + 1)) == NULL) {
			json_decref(k->ev_obj);
			free(k);
			return NULL;
		}
		memcpy(raw, e->ev_raw, e->ev_rawlen);
		raw[e->ev_rawlen] = '\0';
		k->ev_raw = raw;
		k->ev_owned = 1;
	} else {
		k->ev_raw = NULL;
		k->ev_rawlen = 0;
		k->ev_owned = 0;
	}
	return k;
}

void
event_free(struct event *e)
{
	if (e == NULL)
		return;
	event_clear(e);
	free(e);
}

json_t *
event_obj(struct event *e)
{
	if (e->ev_obj == NULL && e->ev_raw)
		e->ev_obj = json_loadb(e->ev_raw, e->ev_rawlen, 0, NULL);
	return json_is_object(e->ev_obj) ? e->ev_obj : NULL;
}

json_t *
event_get(struct event *e, const char *field)
{
	json_t *o = event_obj(e);

	return o ? field_get(o, field) : NULL;
}

int
event_set(struct event *e, const char *field, json_t *v)
{
	json_t *o = event_obj(e);

	if (o == NULL) {
		json_decref(v);
		return -1;
	}
	e->ev_dirty = 1;
	if (v == NULL || json_is_null(v)) {
		json_decref(v);
		json_object_del(o, field);
		return 0;
	}
	return json_object_set_new(o, field, v);
}

void
event_del(struct event *e, const char *field)
{
	json_t *o = event_obj(e);

	if (o && json_object_del(o, field) == 0)
		e->ev_dirty = 1;
}

const char *
event_text(struct event *e, size_t *len)
{
	if (!e->ev_dirty && e->ev_raw) {
		*len = e->ev_rawlen;
		return e->ev_raw;
	}
	if (e->ev_owned)
		free((char *)e->ev_raw);
	e->ev_raw = e->ev_obj ? json_dumps(e->ev_obj, JSON_COMPACT) : NULL;
	e->ev_owned = e->ev_raw != NULL;
	e->ev_rawlen = e->ev_raw ? strlen(e->ev_raw) : 0;
	e->ev_dirty = e->ev_raw == NULL;
	*len = e->ev_rawlen;
	return e->ev_raw;
}
