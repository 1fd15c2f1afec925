/* runner.h - the runner: supervisor of executor processes, one per task. */
#ifndef AR_RUNNER_H
#define AR_RUNNER_H

#include <stdint.h>

struct config;
struct store;
struct task;

/*
 * Runs the supervisor loop until SIGTERM/SIGINT (or idle exit). The caller
 * holds the runner lock. Returns the process exit status.
 */
int supervisor_run(const struct config *cfg, int lock_fd);

/*
 * In a freshly forked child: runs task t (claimed under t->t_token) to its
 * end and records the outcome. Never returns; exits the process.
 */
void executor_main(const struct config *cfg, const struct task *t)
    __attribute__((noreturn));

/*
 * One pass of index retention (index_retention.c): the events of deleted
 * indices, then retention.index_rules, for at most budget_ms. Returns 1
 * when work is left, 0 when done, -1 on an error (logged).
 */
int index_retention_sweep(const struct config *cfg, int64_t budget_ms);

/*
 * The scheduler of saved searches (scheduler.c). scheduler_init sets TZ
 * to schedule.timezone (UTC when the tz database lacks it, with a
 * warning) and opens STORAGE/saved; returns 0, or -1 (logged: nothing
 * is scheduled). scheduler_tick, called from the supervisor's loop,
 * starts the runs that are due by saved_clock_ms() and computes the next
 * run of new schedules; returns the number of scheduled searches.
 */
int scheduler_init(const struct config *cfg);
int scheduler_tick(const struct config *cfg, struct store *st);
void scheduler_close(void);

#endif
