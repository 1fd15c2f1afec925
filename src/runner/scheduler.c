/* scheduler.c - starts the runs of scheduled saved searches, as tasks. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/config.h"
#include "common/cron.h"
#include "common/log.h"
#include "common/timeutil.h"
#include "runner/runner.h"
#include "saved/savedsearch.h"
#include "store/saved.h"
#include "store/store.h"

/* The most missed fire times counted after downtime (then "many"). */
#define SCHED_MAX_MISSED	1000000

static struct savedstore *sched_ss;

/* A search to look at in this tick: owner and name. */
struct sched_due {
	char *sd_owner;
	char *sd_name;
};

struct sched_list {
	struct sched_due *sl_v;
	size_t sl_n, sl_cap;
	int64_t sl_now;
	int sl_scheduled;	/* searches with a schedule */
};

int
scheduler_init(const struct config *cfg)
{
	const char *tz = cfg->schedule_timezone, *dir = getenv("TZDIR");
	char path[4200], err[512];

	snprintf(path, sizeof(path), "%s/%s", dir ? dir : "/usr/share/zoneinfo",
	    tz);
	if (strcmp(tz, "UTC") != 0 && (tz[0] == '/' || strstr(tz, "..") ||
	    access(path, R_OK) != 0)) {
		log_warn("schedule.timezone '%s' is not in the tz database "
		    "(%s); schedules run in UTC", tz, path);
		tz = "UTC";
	}
	setenv("TZ", tz, 1);
	tzset();
	if (saved_open(&sched_ss, cfg, err, sizeof(err)) != AR_OK) {
		log_error("%s; no saved search will run on its schedule", err);
		return -1;
	}
	return 0;
}

void
scheduler_close(void)
{
	saved_close(sched_ss);
	sched_ss = NULL;
}

/* saved_list's callback: notes the scheduled searches that need a look. */
static int
sched_collect(void *arg, const struct saved *sv)
{
	struct sched_list *sl = arg;
	void *p;

	if (sv->sv_schedule == NULL)
		return 0;
	sl->sl_scheduled++;
	if (sv->sv_next_run != 0 && sv->sv_next_run > sl->sl_now)
		return 0;
	if (sl->sl_n == sl->sl_cap) {
		size_t cap = sl->sl_cap ? sl->sl_cap * 2 : 16;

		if ((p = realloc(sl->sl_v, cap * sizeof(*sl->sl_v))) == NULL)
			return -1;
		sl->sl_v = p;
		sl->sl_cap = cap;
	}
	if ((sl->sl_v[sl->sl_n].sd_owner = strdup(sv->sv_owner)) == NULL ||
	    (sl->sl_v[sl->sl_n].sd_name = strdup(sv->sv_name)) == NULL) {
		free(sl->sl_v[sl->sl_n].sd_owner);
		return -1;
	}
	sl->sl_n++;
	return 0;
}

/* What sched_fn needs and leaves. */
struct sched_run {
	const struct config *sr_cfg;
	struct store *sr_store;
	int64_t sr_now;
	char sr_dropped[TASK_ID_LEN + 1];
};

/*
 * saved_update's callback: the search's next run when it has none yet;
 * else, when due, one run for the latest fire time that has passed (the
 * missed ones before it are only counted), or a skip while the previous
 * run is still QUEUED or RUNNING; then the next run after now.
 */
static int
sched_fn(void *arg, struct saved *sv)
{
	struct sched_run *sr = arg;
	struct cron c;
	char err[256], why[512], when[32], id[TASK_ID_LEN + 1];
	int64_t now = sr->sr_now / 1000, fire, f, next;
	long missed = 0;

	if (sv->sv_schedule == NULL || cron_parse(sv->sv_schedule, &c, err,
	    sizeof(err)) == -1)
		return -1;
	if (cron_next(&c, now, 0, &next) == -1)
		next = 0;
	if (sv->sv_next_run == 0) {
		sv->sv_next_run = next * 1000;
		return AR_OK;
	}
	if (sv->sv_next_run > sr->sr_now)
		return -1;
	/* Due: find the latest fire time <= now. */
	fire = sv->sv_next_run / 1000;
	while (missed < SCHED_MAX_MISSED && cron_next(&c, fire, 0, &f) == 0 &&
	    f <= now) {
		fire = f;
		missed++;
	}
	sv->sv_next_run = next * 1000;
	time_format_iso(fire * 1000, when);
	if (saved_busy(sr->sr_store, sv)) {
		sv->sv_skipped++;
		snprintf(why, sizeof(why), "the scheduled run of saved search "
		    "'%s' for %s was skipped: this run is still going (a "
		    "search never runs twice at once)", sv->sv_name, when);
		store_log_append(sr->sr_store, sv->sv_running, "WARN", why);
		log_info("saved search %s/%s: run for %s skipped: task %s "
		    "still runs", sv->sv_owner, sv->sv_name, when,
		    sv->sv_running);
		return AR_OK;
	}
	if (missed > 0)
		snprintf(why, sizeof(why), "scheduled run of saved search "
		    "'%s' (schedule '%s') for %s, caught up: %ld earlier "
		    "scheduled time(s) passed while the runner was not running "
		    "and are not run", sv->sv_name, sv->sv_schedule, when,
		    missed);
	else
		snprintf(why, sizeof(why), "scheduled run of saved search "
		    "'%s' (schedule '%s') for %s", sv->sv_name,
		    sv->sv_schedule, when);
	if (saved_task_create(sr->sr_store, sr->sr_cfg, sv, fire * 1000, why,
	    id, err, sizeof(err)) != AR_OK) {
		sv->sv_skipped++;
		log_warn("saved search %s/%s: the run for %s cannot start: %s",
		    sv->sv_owner, sv->sv_name, when, err);
		return AR_OK;
	}
	if (saved_record_run(sr->sr_cfg, sv, id, fire * 1000,
	    sr->sr_dropped) == -1) {
		store_task_delete(sr->sr_store, id);
		return AR_ENOMEM;
	}
	log_info("saved search %s/%s: task %s for %s%s", sv->sv_owner,
	    sv->sv_name, id, when, missed ? " (caught up)" : "");
	return AR_OK;
}

int
scheduler_tick(const struct config *cfg, struct store *st)
{
	struct sched_list sl;
	struct sched_run sr;
	int rc;

	if (sched_ss == NULL)
		return 0;
	memset(&sl, 0, sizeof(sl));
	sl.sl_now = saved_clock_ms();
	if (saved_list(sched_ss, NULL, sched_collect, &sl) != AR_OK)
		log_warn("cannot list the saved searches");
	for (size_t i = 0; i < sl.sl_n; i++) {
		memset(&sr, 0, sizeof(sr));
		sr.sr_cfg = cfg;
		sr.sr_store = st;
		sr.sr_now = sl.sl_now;
		rc = saved_update(sched_ss, sl.sl_v[i].sd_owner,
		    sl.sl_v[i].sd_name, sched_fn, &sr);
		if (rc != AR_OK && rc != AR_ENOTFOUND)
			log_warn("saved search %s/%s: cannot update its record",
			    sl.sl_v[i].sd_owner, sl.sl_v[i].sd_name);
		if (sr.sr_dropped[0] != '\0')
			(void)store_task_delete(st, sr.sr_dropped);
		free(sl.sl_v[i].sd_owner);
		free(sl.sl_v[i].sd_name);
	}
	free(sl.sl_v);
	return sl.sl_scheduled;
}
