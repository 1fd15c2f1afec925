/* savedsearch.c - saved searches: definitions, runs, the schedule clock. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/config.h"
#include "common/cron.h"
#include "common/datemath.h"
#include "common/error.h"
#include "common/timeutil.h"
#include "saved/savedsearch.h"
#include "sml/sml.h"
#include "common/jsontype.h"
#include "store/saved.h"
#include "store/store.h"

const char *const saved_def_members[] = {"name", "query", "dtStart",
    "dtEnd", "calculateStats", "schedule", NULL};

/*
 * Reads date member key of body (a string of date math, default def)
 * into *out, checking that it resolves. Returns 0, or -1 with err.
 */
static int
saved_def_date(json_t *body, const char *key, const char *def,
    int64_t now_ms, char **out, char *err, size_t errlen)
{
	json_t *v = json_object_get(body, key);
	char why[256];
	int64_t t;

	if (v != NULL && !json_is_string(v)) {
		snprintf(err, errlen, "field '%s' must be a string, not %s",
		    key, json_type_name(v));
		return -1;
	}
	if ((*out = strdup(v ? json_string_value(v) : def)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (datemath_parse(*out, now_ms, &t, why, sizeof(why)) == -1) {
		snprintf(err, errlen, "%s '%.200s' is not a valid date: %s",
		    key, *out, why);
		return -1;
	}
	return 0;
}

/*
 * Checks schedule text s: it parses, fires, and not more often than
 * schedule.min_interval_seconds. Returns 0, or -1 with err.
 */
static int
saved_def_schedule(const struct config *cfg, const char *s, int64_t now_ms,
    char *err, size_t errlen)
{
	struct cron c;
	char why[256];
	int64_t next, gap;

	if (cron_parse(s, &c, why, sizeof(why)) == -1) {
		snprintf(err, errlen, "schedule '%.100s' is not a cron "
		    "expression: %s", s, why);
		return -1;
	}
	if (cron_next(&c, now_ms / 1000, 1, &next) == -1) {
		snprintf(err, errlen, "schedule '%.100s' never fires (no such "
		    "day)", s);
		return -1;
	}
	if (cron_min_gap_ok(&c, cfg->schedule_min_interval_seconds, &gap) ==
	    -1) {
		snprintf(err, errlen, "schedule '%.100s' runs %lld s apart; "
		    "schedule.min_interval_seconds is %lld s", s,
		    (long long)gap,
		    (long long)cfg->schedule_min_interval_seconds);
		return -1;
	}
	return 0;
}

int
saved_def_parse(const struct config *cfg, json_t *body, const char *name,
    const char *owner, int64_t now_ms, struct saved *sv,
    struct saved_qerr *qe, char *err, size_t errlen)
{
	struct sml_query *q = NULL;
	struct sml_error perr;
	struct sml_limits lim;
	const char *key;
	json_t *v;
	int64_t a, z;
	char ta[32], tz[32], why[64];
	int i;

	memset(sv, 0, sizeof(*sv));
	json_object_foreach(body, key, v) {
		for (i = 0; saved_def_members[i] &&
		    strcmp(key, saved_def_members[i]) != 0; i++)
			;
		if (saved_def_members[i] == NULL) {
			snprintf(err, errlen, "unknown field '%.200s' in "
			    "request body", key);
			return AR_EINVAL;
		}
	}
	v = json_object_get(body, "name");
	if (name == NULL && v == NULL) {
		snprintf(err, errlen, "field 'name' is required");
		return AR_EINVAL;
	}
	if (v != NULL && !json_is_string(v)) {
		snprintf(err, errlen, "field 'name' must be a string, not %s",
		    json_type_name(v));
		return AR_EINVAL;
	}
	if (name != NULL && v != NULL &&
	    strcmp(json_string_value(v), name) != 0) {
		snprintf(err, errlen, "field 'name' ('%.80s') is not the name "
		    "in the path ('%s'); a saved search cannot be renamed",
		    json_string_value(v), name);
		return AR_EINVAL;
	}
	if (name == NULL)
		name = json_string_value(v);
	if (!saved_name_ok(name)) {
		snprintf(err, errlen, "saved search name '%.80s' must be 1 to "
		    "%d letters, digits, '_', '-' or '.', not starting with "
		    "'.' or '-'", name, SAVED_NAME_MAX);
		return AR_EINVAL;
	}
	if ((v = json_object_get(body, "query")) == NULL) {
		snprintf(err, errlen, "field 'query' is required");
		return AR_EINVAL;
	}
	if (!json_is_string(v)) {
		snprintf(err, errlen, "field 'query' must be a string, not %s",
		    json_type_name(v));
		return AR_EINVAL;
	}
	if ((sv->sv_name = strdup(name)) == NULL ||
	    (sv->sv_owner = strdup(owner)) == NULL ||
	    (sv->sv_query = strdup(json_string_value(v))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return AR_ENOMEM;
	}
	if (saved_def_date(body, "dtStart", cfg->dt_start, now_ms,
	    &sv->sv_dt_start, err, errlen) == -1 ||
	    saved_def_date(body, "dtEnd", cfg->dt_end, now_ms,
	    &sv->sv_dt_end, err, errlen) == -1)
		return AR_EINVAL;
	datemath_parse(sv->sv_dt_start, now_ms, &a, why, sizeof(why));
	datemath_parse(sv->sv_dt_end, now_ms, &z, why, sizeof(why));
	if (a > z) {
		snprintf(err, errlen, "dtStart (%s) is after dtEnd (%s)",
		    time_format_iso(a, ta), time_format_iso(z, tz));
		return AR_EINVAL;
	}
	if ((v = json_object_get(body, "calculateStats")) != NULL) {
		if (!json_is_boolean(v)) {
			snprintf(err, errlen, "field 'calculateStats' must be "
			    "a boolean, not %s", json_type_name(v));
			return AR_EINVAL;
		}
		sv->sv_calc_stats = json_is_true(v);
	}
	if ((v = json_object_get(body, "schedule")) != NULL &&
	    !json_is_null(v)) {
		if (!json_is_string(v)) {
			snprintf(err, errlen, "field 'schedule' must be a "
			    "string (a cron expression) or null, not %s",
			    json_type_name(v));
			return AR_EINVAL;
		}
		if (saved_def_schedule(cfg, json_string_value(v), now_ms, err,
		    errlen) == -1)
			return AR_EINVAL;
		if ((sv->sv_schedule = strdup(json_string_value(v))) == NULL) {
			snprintf(err, errlen, "out of memory");
			return AR_ENOMEM;
		}
	}
	sml_limits_from_config(cfg, &lim, NULL);
	if (sml_parse(sv->sv_query, strlen(sv->sv_query), &lim, &q,
	    &perr) == -1) {
		snprintf(err, errlen, "%s", perr.se_msg);
		qe->sq_line = perr.se_line;
		qe->sq_column = perr.se_column;
		qe->sq_position = perr.se_position;
		return AR_EQUERY;
	}
	sml_query_free(q);
	sv->sv_created = sv->sv_updated = time_now_ms();
	return AR_OK;
}

int
saved_busy(struct store *st, const struct saved *sv)
{
	struct task t;
	int busy;

	if (sv->sv_running[0] == '\0' ||
	    store_task_get(st, sv->sv_running, &t) != AR_OK)
		return 0;
	busy = !task_state_final(t.t_state);
	task_clear(&t);
	return busy;
}

int
saved_task_create(struct store *st, const struct config *cfg,
    const struct saved *sv, int64_t at_ms, const char *why,
    char id[TASK_ID_LEN + 1], char *err, size_t errlen)
{
	struct task t;
	char reason[256];
	int rc = AR_ENOMEM;

	memset(&t, 0, sizeof(t));
	snprintf(err, errlen, "out of memory");
	if ((t.t_owner = strdup(sv->sv_owner)) == NULL ||
	    (t.t_query = strdup(sv->sv_query)) == NULL ||
	    (t.t_dt_field = strdup(cfg->dt_field_name)) == NULL ||
	    (t.t_dt_start = strdup(sv->sv_dt_start)) == NULL ||
	    (t.t_dt_end = strdup(sv->sv_dt_end)) == NULL)
		goto out;
	t.t_calc_stats = sv->sv_calc_stats;
	t.t_now = at_ms;
	t.t_created = time_now_ms();
	rc = AR_EINVAL;
	if (datemath_parse(t.t_dt_start, at_ms, &t.t_range_start, reason,
	    sizeof(reason)) == -1 || datemath_parse(t.t_dt_end, at_ms,
	    &t.t_range_end, reason, sizeof(reason)) == -1) {
		snprintf(err, errlen, "a date of the saved search does not "
		    "resolve: %s", reason);
		goto out;
	}
	if (t.t_range_start > t.t_range_end) {
		snprintf(err, errlen, "dtStart is after dtEnd");
		goto out;
	}
	if ((rc = store_task_create(st, &t, err, errlen)) != AR_OK)
		goto out;
	memcpy(id, t.t_id, TASK_ID_LEN + 1);
	if (why != NULL)
		store_log_append(st, t.t_id, "INFO", why);
out:
	task_clear(&t);
	return rc;
}

int
saved_record_run(const struct config *cfg, struct saved *sv,
    const char *id, int64_t at_ms, char dropped[TASK_ID_LEN + 1])
{
	size_t n;

	dropped[0] = '\0';
	if (saved_add_run(sv, id, (size_t)cfg->schedule_runs_kept,
	    (char (*)[TASK_ID_LEN + 1])dropped, &n) == -1)
		return -1;
	if (n == 0)
		dropped[0] = '\0';
	snprintf(sv->sv_running, sizeof(sv->sv_running), "%s", id);
	sv->sv_last_run = at_ms;
	return 0;
}

/* What saved_run_now's update needs and answers. */
struct run_now {
	struct store *rn_store;
	const struct config *rn_cfg;
	int64_t rn_now;
	char *rn_id;
	char rn_dropped[TASK_ID_LEN + 1];
	char *rn_err;
	size_t rn_errlen;
};

/* saved_update's callback of saved_run_now. */
static int
run_now_fn(void *arg, struct saved *sv)
{
	struct run_now *rn = arg;
	char why[200], when[32];
	int rc;

	if (saved_busy(rn->rn_store, sv)) {
		snprintf(rn->rn_err, rn->rn_errlen, "saved search '%s' is "
		    "still running (task %s); a search never runs twice at "
		    "once", sv->sv_name, sv->sv_running);
		return AR_ESTATE;
	}
	snprintf(why, sizeof(why), "run of saved search '%.64s', started "
	    "by hand for %s", sv->sv_name, time_format_iso(rn->rn_now, when));
	if ((rc = saved_task_create(rn->rn_store, rn->rn_cfg, sv, rn->rn_now,
	    why, rn->rn_id, rn->rn_err, rn->rn_errlen)) != AR_OK)
		return rc;
	if (saved_record_run(rn->rn_cfg, sv, rn->rn_id, rn->rn_now,
	    rn->rn_dropped) == -1) {
		store_task_delete(rn->rn_store, rn->rn_id);
		return AR_ENOMEM;
	}
	return AR_OK;
}

int
saved_run_now(struct savedstore *ss, struct store *st,
    const struct config *cfg, const char *owner, const char *name,
    int64_t now_ms, char id[TASK_ID_LEN + 1], char *err, size_t errlen)
{
	struct run_now rn = {st, cfg, now_ms, id, "", err, errlen};
	int rc;

	*err = '\0';
	rc = saved_update(ss, owner, name, run_now_fn, &rn);
	if (rc == AR_ENOTFOUND && *err == '\0')
		snprintf(err, errlen, "saved search '%.80s' not found", name);
	else if (rc != AR_OK && *err == '\0')
		snprintf(err, errlen, "the saved searches cannot be written");
	if (rc == AR_OK && rn.rn_dropped[0] != '\0')
		(void)store_task_delete(st, rn.rn_dropped);
	return rc;
}

int64_t
saved_clock_ms(void)
{
	const char *path = getenv("AR_TEST_CLOCK_FILE");
	char line[64];
	FILE *f;
	long long s;

	if (path == NULL || *path == '\0' || (f = fopen(path, "r")) == NULL)
		return time_now_ms();
	if (fgets(line, sizeof(line), f) == NULL ||
	    sscanf(line, "%lld", &s) != 1) {
		fclose(f);
		return time_now_ms();
	}
	fclose(f);
	return (int64_t)s * 1000;
}
