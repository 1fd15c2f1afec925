/* task_record.c - the task record: struct task <-> its JSON text in LMDB. */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "store/store.h"

static const char *const state_names[] = {
	"QUEUED", "RUNNING", "DONE", "FAILED", "CANCELLED"
};
static const char *const cost_names[] = {"OFF", "INFO", "DEBUG"};

const char *
task_state_name(enum task_state s)
{
	return (unsigned)s < 5 ? state_names[s] : "UNKNOWN";
}

int
task_state_parse(const char *s)
{
	for (int i = 0; i < 5; i++)
		if (strcmp(s, state_names[i]) == 0)
			return i;
	return -1;
}

int
task_state_final(enum task_state s)
{
	return s == TASK_DONE || s == TASK_FAILED || s == TASK_CANCELLED;
}

const char *
task_cost_name(enum cost_level c)
{
	return (unsigned)c < 3 ? cost_names[c] : "OFF";
}

void
task_clear(struct task *t)
{
	free(t->t_owner);
	free(t->t_query);
	free(t->t_dt_field);
	free(t->t_dt_start);
	free(t->t_dt_end);
	free(t->t_error);
	memset(t, 0, sizeof(*t));
}

/*
 * The record is a JSON object with short keys. It is private to the store:
 * the API's status object is built from struct task by the responder.
 */
char *
task_record_encode(const struct task *t, size_t *len)
{
	json_t *o;
	char *s;

	o = json_pack("{s:s, s:i, s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:I,"
	    " s:b, s:i, s:I, s:I, s:I, s:I, s:f, s:I, s:I, s:I, s:I,"
	    " s:b, s:I, s:I, s:i, s:i, s:i, s:i}",
	    "id", t->t_id, "state", (int)t->t_state,
	    "owner", t->t_owner ? t->t_owner : "",
	    "query", t->t_query ? t->t_query : "",
	    "dtf", t->t_dt_field ? t->t_dt_field : "",
	    "dts", t->t_dt_start ? t->t_dt_start : "",
	    "dte", t->t_dt_end ? t->t_dt_end : "",
	    "now", (json_int_t)t->t_now,
	    "rs", (json_int_t)t->t_range_start,
	    "re", (json_int_t)t->t_range_end,
	    "stats", t->t_calc_stats, "cost", (int)t->t_cost,
	    "created", (json_int_t)t->t_created,
	    "started", (json_int_t)t->t_started,
	    "finished", (json_int_t)t->t_finished,
	    "expires", (json_int_t)t->t_expires,
	    "progress", t->t_progress,
	    "scanned", (json_int_t)t->t_scanned,
	    "results", (json_int_t)t->t_results,
	    "rbytes", (json_int_t)t->t_result_bytes,
	    "pages", (json_int_t)t->t_pages,
	    "cancel", t->t_cancel,
	    "cancel_at", (json_int_t)t->t_cancel_at,
	    "token", (json_int_t)t->t_token,
	    "rpid", t->t_runner_pid, "epid", t->t_exec_pid,
	    "loglines", (int)t->t_log_lines,
	    "logdrop", (int)t->t_log_dropped);
	if (o == NULL)
		return NULL;
	if (t->t_error && json_object_set_new(o, "error",
	    json_string(t->t_error)) == -1) {
		json_decref(o);
		return NULL;
	}
	s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (s)
		*len = strlen(s);
	return s;
}

/* Returns a malloc'd copy of string member key of o, or NULL. */
static char *
rec_str(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? strdup(s) : NULL;
}

static int64_t
rec_int(json_t *o, const char *key)
{
	return (int64_t)json_integer_value(json_object_get(o, key));
}

int
task_record_decode(const char *data, size_t len, struct task *t)
{
	json_t *o;
	const char *id;

	memset(t, 0, sizeof(*t));
	if ((o = json_loadb(data, len, 0, NULL)) == NULL)
		return -1;
	id = json_string_value(json_object_get(o, "id"));
	if (id == NULL || strlen(id) > TASK_ID_LEN) {
		json_decref(o);
		return -1;
	}
	strcpy(t->t_id, id);
	t->t_state = (enum task_state)rec_int(o, "state");
	t->t_owner = rec_str(o, "owner");
	t->t_query = rec_str(o, "query");
	t->t_dt_field = rec_str(o, "dtf");
	t->t_dt_start = rec_str(o, "dts");
	t->t_dt_end = rec_str(o, "dte");
	t->t_error = rec_str(o, "error");
	t->t_now = rec_int(o, "now");
	t->t_range_start = rec_int(o, "rs");
	t->t_range_end = rec_int(o, "re");
	t->t_calc_stats = json_is_true(json_object_get(o, "stats"));
	t->t_cost = (enum cost_level)rec_int(o, "cost");
	t->t_created = rec_int(o, "created");
	t->t_started = rec_int(o, "started");
	t->t_finished = rec_int(o, "finished");
	t->t_expires = rec_int(o, "expires");
	t->t_progress = json_number_value(json_object_get(o, "progress"));
	t->t_scanned = (uint64_t)rec_int(o, "scanned");
	t->t_results = (uint64_t)rec_int(o, "results");
	t->t_result_bytes = (uint64_t)rec_int(o, "rbytes");
	t->t_pages = (uint64_t)rec_int(o, "pages");
	t->t_cancel = json_is_true(json_object_get(o, "cancel"));
	t->t_cancel_at = rec_int(o, "cancel_at");
	t->t_token = (uint64_t)rec_int(o, "token");
	t->t_runner_pid = (int)rec_int(o, "rpid");
	t->t_exec_pid = (int)rec_int(o, "epid");
	t->t_log_lines = (uint32_t)rec_int(o, "loglines");
	t->t_log_dropped = (uint32_t)rec_int(o, "logdrop");
	json_decref(o);
	if (t->t_owner == NULL || t->t_query == NULL || t->t_dt_field == NULL ||
	    t->t_dt_start == NULL || t->t_dt_end == NULL) {
		task_clear(t);
		return -1;
	}
	return 0;
}
