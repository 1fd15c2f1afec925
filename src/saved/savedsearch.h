/* savedsearch.h - saved searches: definitions, runs, the schedule clock. */
#ifndef AR_SAVEDSEARCH_H
#define AR_SAVEDSEARCH_H

#include <stddef.h>
#include <stdint.h>

#include "common/util.h"

struct config;
struct saved;
struct savedstore;
struct store;
struct json_t;

/* The members a definition may have (NULL-terminated, static). */
extern const char *const saved_def_members[];

/* Where a query does not parse (saved_def_parse's AR_EQUERY). */
struct saved_qerr {
	int sq_line;
	int sq_column;
	size_t sq_position;
};

/*
 * Reads the JSON object body as the definition of saved search name of
 * owner (name NULL: the body's "name" member, required) into *sv (which
 * the caller clears): query (required, checked with sml_parse), dtStart
 * and dtEnd (date math, default the sme.core.global_dt_params ones),
 * calculateStats, schedule (a cron expression or null, checked against
 * schedule.min_interval_seconds); dates are checked against now_ms.
 * Sets created and updated to the wall clock.
 * Returns AR_OK, or AR_EINVAL (an unknown or wrong member, a bad name,
 * date or schedule) or AR_EQUERY (with *qe) with the reason in err.
 */
int saved_def_parse(const struct config *cfg, struct json_t *body,
    const char *name, const char *owner, int64_t now_ms, struct saved *sv,
    struct saved_qerr *qe, char *err, size_t errlen);

/*
 * Returns 1 when the last run of sv (its running task) is QUEUED or
 * RUNNING in st, else 0 (finished, deleted, or none).
 */
int saved_busy(struct store *st, const struct saved *sv);

/*
 * Creates the task of one run of sv for time at_ms (the "now" its
 * dtStart and dtEnd are resolved against), owned by sv's owner, with the
 * log line why first after the store's own. Puts its id in id. Returns
 * AR_OK, or store_task_create's errors with a reason in err (AR_EINVAL
 * when a date no longer resolves).
 */
int saved_task_create(struct store *st, const struct config *cfg,
    const struct saved *sv, int64_t at_ms, const char *why,
    char id[TASK_ID_LEN + 1], char *err, size_t errlen);

/*
 * Records run id of sv for at_ms: the last run and the running task, and
 * the kept runs (schedule.runs_kept); the run that drops out is copied to
 * dropped ("" none) for the caller to delete once the record is stored.
 * Returns 0, or -1 out of memory.
 */
int saved_record_run(const struct config *cfg, struct saved *sv,
    const char *id, int64_t at_ms, char dropped[TASK_ID_LEN + 1]);

/*
 * Runs saved search name of owner now (POST .../_run, asyncreq saved
 * run): refused while its last run is QUEUED or RUNNING, so one search
 * never runs twice at once. Puts the new task's id in id. Returns AR_OK,
 * AR_ENOTFOUND, AR_ESTATE (still running; err names the task), or
 * saved_task_create's errors, with a reason in err.
 */
int saved_run_now(struct savedstore *ss, struct store *st,
    const struct config *cfg, const char *owner, const char *name,
    int64_t now_ms, char id[TASK_ID_LEN + 1], char *err, size_t errlen);

/*
 * The clock of schedules, in epoch ms: the wall clock, or, when the
 * environment variable AR_TEST_CLOCK_FILE names a file (for tests only),
 * the epoch seconds written in that file, read at each call (so a test
 * moves time by rewriting it). Falls back to the wall clock when the
 * file cannot be read.
 */
int64_t saved_clock_ms(void);

#endif
