/* store.h - the task store: tasks, queue, result pages, logs, in LMDB. */
#ifndef AR_STORE_H
#define AR_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "common/util.h"

struct config;
struct store;

enum task_state {
	TASK_QUEUED,
	TASK_RUNNING,
	TASK_DONE,
	TASK_FAILED,
	TASK_CANCELLED,
};

enum cost_level { COST_OFF, COST_INFO, COST_DEBUG };

/*
 * One task. Strings are owned by the struct (task_clear frees them).
 * Times are epoch ms; 0 means "not yet" (null in JSON).
 */
struct task {
	char t_id[TASK_ID_LEN + 1];
	enum task_state t_state;
	char *t_owner;
	char *t_query;
	char *t_dt_field;
	char *t_dt_start;
	char *t_dt_end;
	int64_t t_now;		/* the fixed "now" of the task */
	int64_t t_range_start;
	int64_t t_range_end;
	int t_calc_stats;
	enum cost_level t_cost;
	int64_t t_created;
	int64_t t_started;
	int64_t t_finished;
	int64_t t_expires;
	double t_progress;
	uint64_t t_scanned;
	uint64_t t_results;
	uint64_t t_result_bytes;
	uint64_t t_pages;
	char *t_error;		/* FAILED: reason; CANCELLED: short reason */
	int t_cancel;		/* a break was asked for while RUNNING */
	int64_t t_cancel_at;	/* when it was asked */
	uint64_t t_token;	/* claim token of the executor that runs it */
	int t_runner_pid;
	int t_exec_pid;
	uint32_t t_log_lines;	/* lines stored */
	uint32_t t_log_dropped;	/* lines dropped over limits.max_log_lines */
};

/* Returns the state's name ("QUEUED" ...), static storage. */
const char *task_state_name(enum task_state);
/* Parses a state name (case-sensitive, as the API writes them); -1 if none. */
int task_state_parse(const char *);
/* Returns 1 for DONE, FAILED and CANCELLED. */
int task_state_final(enum task_state);
const char *task_cost_name(enum cost_level);
/* Frees the strings of t and zeroes it. */
void task_clear(struct task *t);

/*
 * Serialises t as the task record (JSON text, owned by the caller, free()).
 * Returns NULL when memory runs out.
 */
char *task_record_encode(const struct task *t, size_t *len);
/* Parses a task record into t (zeroed first). Returns 0 or -1. */
int task_record_decode(const char *data, size_t len, struct task *t);

/*
 * Opens (creating when missing) the task environment in
 * cfg->storage_path/tasks. Each process opens its own after fork().
 * Returns AR_OK and *out, or an error with a reason in err.
 */
int store_open(struct store **out, const struct config *cfg,
    char *err, size_t errlen);
void store_close(struct store *);

/* Space in use and the map size, in bytes. Returns AR_OK or an error. */
int store_space(struct store *, uint64_t *used, uint64_t *map);

/*
 * Disk space of the filesystem holding the task store: *avail bytes free
 * for this process (statvfs f_bavail) plus the store's reusable free
 * pages, and *full set when creates are refused for lack of it (under
 * twice storage.min_free_disk; page writes are refused under once).
 * Returns AR_OK or AR_EINTERNAL (statvfs failed).
 */
int store_disk(struct store *, uint64_t *avail, int *full);

/*
 * The reason of this process's last failed store write, for messages:
 * LMDB's or the system's text ("No space left on device") or which
 * reserve a write would have broken. Static storage; "" when none.
 */
const char *store_error(void);

/*
 * Failure injection. The task store calls store_fault, when it is set,
 * before each write-path LMDB call: STORE_OP_PUT before a put,
 * STORE_OP_COMMIT before a commit (a commit is where LMDB writes and syncs
 * the pages, so a failed write(), short write or fsync shows there),
 * STORE_OP_READ before a read of result pages or stats documents. A
 * nonzero return (an errno value such as ENOSPC or EIO, or an LMDB code
 * such as MDB_MAP_FULL) makes that call fail with it; the transaction is
 * then aborted as on a real failure. NULL (the default) costs one test.
 */
enum store_op { STORE_OP_PUT, STORE_OP_COMMIT, STORE_OP_READ };
extern int (*store_fault)(enum store_op op);

/*
 * Stores a new QUEUED task (t->t_id is chosen here) with its first log line.
 * Errors: AR_EINVAL (owner empty or longer than 256 bytes), AR_EBUSY (reason
 * names the limit), AR_EFULL, AR_EINTERNAL.
 */
int store_task_create(struct store *, struct task *t, char *err, size_t errlen);

/* Reads task id into *t (caller clears). AR_ENOTFOUND when absent. */
int store_task_get(struct store *, const char *id, struct task *t);

/*
 * Calls cb for each task, newest first: those of owner, or all when owner is
 * NULL; only those in state when state >= 0. cb borrows t; returns 0 to go
 * on. Returns AR_OK or an error.
 */
int store_task_list(struct store *, const char *owner, int state,
    int (*cb)(void *arg, const struct task *t), void *arg);

/*
 * Asks task id to stop. A QUEUED task becomes CANCELLED at once; a RUNNING
 * one gets its cancel flag. reason ("cancelled by the user", "cancelled by
 * admin NAME") is the task's error once it is CANCELLED, whatever its
 * executor reports, and is written in the task log. *state_out receives
 * the resulting state. AR_ESTATE when the task is already final,
 * AR_ENOTFOUND when absent.
 */
int store_task_break(struct store *, const char *id, const char *reason,
    enum task_state *state_out);

/* Removes task id with its results, logs and stats. AR_ENOTFOUND. */
int store_task_delete(struct store *, const char *id);

/* Counts of QUEUED and RUNNING tasks. */
int store_queue_counts(struct store *, uint64_t *queued, uint64_t *running);

/*
 * Runner: claims the next QUEUED task fairly across users, in one write
 * transaction and O(log n): the oldest task of the user with the fewest
 * RUNNING tasks, ties to the user served least recently, then to the
 * oldest queued task; a user who already has runner.max_running_per_user
 * (config_running_per_user) tasks RUNNING is passed over, even when
 * slots are free. Makes the task RUNNING with token and runner_pid and
 * fills *t (the caller clears it). Returns AR_OK, AR_ENOTFOUND (nothing
 * to claim: the queue is empty or every waiting user is at the cap), or
 * an error.
 */
int store_task_claim(struct store *, uint64_t token, int runner_pid,
    struct task *t);
/* Runner: records the executor's pid of a claimed task. */
int store_task_set_exec(struct store *, const char *id, uint64_t token,
    int exec_pid);

/*
 * Executor: appends one page of results (count events, the JSON texts laid
 * out as described in tasks.c) and updates the counters, in one transaction;
 * with fields (not NULL) also replaces the task's "fields" document (the
 * column list of exports) in it, so the list always covers the pages.
 * Returns AR_OK, AR_ELOST (the task is no longer ours: deleted, failed by
 * the runner, or cancelled), AR_EFULL, or AR_EINTERNAL.
 * *cancel is set when a break was asked for.
 */
/*
 * Calls cb for the events of a page (the layout store_page_append takes:
 * u32 count, u32 offsets[count], the texts; len bytes), from event skip on
 * and at most max of them, until cb returns nonzero. Sets *n to the calls
 * made. Returns 0, 1 when cb stopped it, or -1 for a malformed page.
 */
int store_page_walk(const void *page, size_t len, uint64_t skip,
    uint64_t max, int (*cb)(void *, const char *, size_t), void *arg,
    uint64_t *n);

int store_page_append(struct store *, const char *id, uint64_t token,
    const char *data, size_t len, uint32_t count, uint64_t scanned,
    double progress, const char *fields, size_t fields_len,
    int *cancel);

/* Executor: updates progress counters only; same returns as above. */
int store_task_progress(struct store *, const char *id, uint64_t token,
    uint64_t scanned, double progress, int *cancel);

/*
 * Ends task id with a final state and error text (may be NULL), when it is
 * still RUNNING under token (token 0: any token, used by the runner for
 * recovery). Sets finishedAt and expiresAt, progress 1 for DONE. Appends the
 * log line msg (may be NULL) at level. Returns AR_OK, AR_ELOST, AR_ENOTFOUND.
 */
int store_task_finish(struct store *, const char *id, uint64_t token,
    enum task_state state, const char *error, const char *level,
    const char *msg);

/* Appends one task log line. Returns AR_OK or an error. */
int store_log_append(struct store *, const char *id, const char *level,
    const char *msg);

/*
 * Streams the log lines of task id: cb gets each as JSON object text.
 */
int store_log_read(struct store *, const char *id,
    int (*cb)(void *arg, const char *json, size_t len), void *arg);

/*
 * Streams results [from, to) of task id (to = UINT64_MAX: to the end) inside
 * one read transaction: cb gets each event's JSON text, borrowed for the
 * call only (from the map, or from a buffer reused for the next page). The task record read in that same transaction is put in *t so
 * counts and events agree. cb returns nonzero to stop (client gone).
 * Returns AR_OK, AR_ENOTFOUND, or an error.
 */
int store_results_read(struct store *, const char *id, uint64_t from,
    uint64_t to, struct task *t,
    int (*begin)(void *arg, const struct task *t, uint64_t from, uint64_t to),
    int (*cb)(void *arg, const char *json, size_t len), void *arg);

/*
 * Executor: stores a per-task document of kind ("fields", "sidebar",
 * "timeline", "cost") while the task runs under token. Returns AR_OK,
 * AR_ELOST, AR_EFULL, or AR_EINTERNAL.
 */
int store_stats_put(struct store *, const char *id, uint64_t token,
    const char *kind, const char *data, size_t len);
/*
 * Reads the document of kind for task id into a malloc'd copy (caller
 * frees) of *len bytes. Returns AR_OK or AR_ENOTFOUND.
 */
int store_stats_get(struct store *, const char *id, const char *kind,
    char **data, size_t *len);

/* Runner: fails every RUNNING task (after a runner restart). Returns count. */
int store_recover(struct store *, const char *reason);
/*
 * Runner, at start (after store_recover): rebuilds the indices of fair
 * claiming (each user's queue, RUNNING count and turn) from the queue and
 * the RUNNING tasks, in one write transaction, O(n log n) in those tasks;
 * who was served last is forgotten. Returns AR_OK or an error.
 */
int store_fair_rebuild(struct store *);

/*
 * Runner, at start: deletes the result pages whose task is gone (a delete
 * that stopped between removing the task and purging its pages). Returns
 * how many tasks' pages it purged.
 */
int store_purge_orphans(struct store *);

/* Runner: deletes final tasks whose expiry time is <= now. Returns count. */
int store_expire(struct store *, int64_t now_ms, int max);

/* Returns the number of live read transactions (reader slots in use) of
 * every process on this store: a leak shows up here. */
int store_reader_count(struct store *);

/* Runner: clears stale reader slots of dead processes. */
void store_reader_check(struct store *);

#endif
