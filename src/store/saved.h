/* saved.h - saved searches: their records in STORAGE/saved (LMDB). */
#ifndef AR_SAVED_H
#define AR_SAVED_H

#include <stddef.h>
#include <stdint.h>

#include "common/util.h"

struct config;
struct store;
struct savedstore;

#define SAVED_NAME_MAX	64

/*
 * One saved search (docs/DESIGN.md, "Saved searches"). Strings are owned
 * by the struct (saved_clear frees them); times are epoch ms, 0 "none".
 * The definition (query ... schedule) is what a client writes; the rest
 * is kept by the store and the scheduler.
 */
struct saved {
	char *sv_owner;
	char *sv_name;
	char *sv_query;
	char *sv_dt_start;	/* date math, relative to the run's time */
	char *sv_dt_end;
	char *sv_schedule;	/* cron expression; NULL: run by hand only */
	int sv_calc_stats;
	int64_t sv_created;
	int64_t sv_updated;
	int64_t sv_last_run;	/* the time the last run was started for */
	int64_t sv_next_run;	/* next scheduled time; 0: not computed yet
				 * (the runner computes it) or no schedule */
	uint64_t sv_skipped;	/* scheduled runs skipped: one still ran */
	char sv_running[TASK_ID_LEN + 1];	/* last run's task, "" none */
	char (*sv_runs)[TASK_ID_LEN + 1];	/* kept runs, oldest first */
	size_t sv_nruns;
};

/* Frees the strings of sv and zeroes it. */
void saved_clear(struct saved *sv);

/*
 * Returns 1 when name is 1 to SAVED_NAME_MAX bytes of [A-Za-z0-9_.-] not
 * starting with '.' or '-', else 0.
 */
int saved_name_ok(const char *name);

/*
 * Appends id to the runs of sv, dropping the oldest beyond keep; the ids
 * dropped are copied to dropped (room for one; "" when none). Returns 0,
 * or -1 out of memory.
 */
int saved_add_run(struct saved *sv, const char *id, size_t keep,
    char dropped[][TASK_ID_LEN + 1], size_t *ndropped);

/*
 * Opens (creating when missing) the environment STORAGE/saved. Each
 * process opens its own, once. Returns AR_OK and *out, or an error with
 * a reason in err.
 */
int saved_open(struct savedstore **out, const struct config *cfg,
    char *err, size_t errlen);
void saved_close(struct savedstore *);

/* Reads search name of owner into *sv (caller clears). AR_ENOTFOUND. */
int saved_get(struct savedstore *, const char *owner, const char *name,
    struct saved *sv);

/*
 * Calls cb for each saved search of owner (all when owner is NULL), by
 * owner then name; cb borrows sv and returns 0 to go on. Returns AR_OK
 * or an error.
 */
int saved_list(struct savedstore *, const char *owner,
    int (*cb)(void *arg, const struct saved *sv), void *arg);

/*
 * Stores the definition of sv. create: a new search, AR_ESTATE when one
 * of that name exists, AR_EBUSY when its owner has max_per_user already.
 * Else a replacement: AR_ENOTFOUND when absent; the kept members (created,
 * runs, running, last run, skipped) stay, and the next run stays when the
 * schedule did not change (else it is 0 again). Errors carry a reason in
 * err. Returns AR_OK, those, or AR_EFULL / AR_EINTERNAL.
 */
int saved_put(struct savedstore *, const struct saved *sv, int create,
    int64_t max_per_user, char *err, size_t errlen);

/* Deletes search name of owner. AR_OK or AR_ENOTFOUND. */
int saved_delete(struct savedstore *, const char *owner, const char *name);

/*
 * Reads, changes and writes search name of owner in one write transaction,
 * so no other process changes it in between: fn gets the record and
 * returns AR_OK to store it as fn left it, -1 to leave it unchanged, or
 * an error code to return. fn may use other stores (the task store): this
 * store's writers wait meanwhile. Returns AR_OK, AR_ENOTFOUND, fn's error,
 * or a store error.
 */
int saved_update(struct savedstore *, const char *owner, const char *name,
    int (*fn)(void *arg, struct saved *sv), void *arg);

#endif
