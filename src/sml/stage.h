/* stage.h - the stage API that the run-time code of each command uses. */
#ifndef AR_SML_STAGE_H
#define AR_SML_STAGE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/*
 * With parse.h, the one header a command file includes: the events,
 * values and expressions (engine.h), the aggregation machinery (agg.h),
 * regular expressions under the limits (regex.h), and the buffers and
 * time helpers of common/ that commands use.
 */
#include "common/buf.h"
#include "common/csvtab.h"
#include "common/evtime.h"
#include "common/timespan.h"
#include "common/timeutil.h"
#include "sml/agg.h"
#include "sml/engine.h"
#include "sml/regex.h"

/*
 * ---- Stages: a command after the first in the pipeline (exec.c) ----
 */

struct run;	/* one execution: context, limits, counters (exec.c) */

/*
 * One command of the pipeline. push() gets an event borrowed for the call:
 * it passes it on (stage_emit), drops it, or keeps a copy (event_keep).
 * Returns 0 to go on, 1 when no more input is wanted (head is full), -1 on
 * an error set with run_fail(). finish() is called once at the end of the
 * input (blocking commands emit here); free() releases the state.
 */
struct stage {
	const struct sml_command *sg_cmd;
	struct stage *sg_next;		/* NULL: the sink */
	struct run *sg_run;
	void *sg_state;
	int (*sg_push)(struct stage *, struct event *);
	int (*sg_finish)(struct stage *);
	void (*sg_free)(struct stage *);
	uint64_t sg_in;			/* events in and out, for the cost */
	uint64_t sg_out;
	int64_t sg_ns;			/* time spent in this stage and after */
	int64_t sg_mem;			/* bytes held now (run_mem) */
	int64_t sg_mem_peak;		/* ... and at most */
};

/* Passes e to the stage after s (or the sink). Returns as push(). */
int stage_emit(struct stage *s, struct event *e);
/*
 * Emits a row that a blocking command's finish() built: obj (reference
 * stolen) as a new event of time and seq, then polls for cancellation
 * (run_poll_now). ok 0: building obj ran out of memory, so it is dropped
 * and the run fails with "out of memory". Returns 0 to go on, 1 to stop
 * (no more rows wanted, or the run is cancelled), -1 on error.
 */
int stage_emit_row(struct stage *s, json_t *obj, int ok, int64_t time,
    uint64_t seq);

/*
 * Sets up the stage of command c (sg_push etc. and sg_state) with the init
 * function of its row of the table (commands.c). Returns 0, or -1 with a
 * reason (run_fail).
 */
int stage_init(struct stage *s, const struct sml_command *c);

/*
 * ---- The commands: one file each, cmd/<name>.c, and a row in the table
 * of commands.c ----
 *
 * cmd_<name>_init() sets up the stage of c as stage_init() does, returning
 * as it. A first command has cmd_<name>_run() instead, which sml_run()
 * calls: it makes the events and feeds them with run_feed(), and returns
 * SML_RUN_DONE, SML_RUN_STOPPED when asked to stop, or SML_RUN_ERROR with
 * the run failed.
 */
enum sml_run_result cmd_source_run(struct run *, const struct sml_command *);
enum sml_run_result cmd_makeresults_run(struct run *,
    const struct sml_command *);
int cmd_search_init(struct stage *, const struct sml_command *);
int cmd_where_init(struct stage *, const struct sml_command *);
int cmd_eval_init(struct stage *, const struct sml_command *);
int cmd_fields_init(struct stage *, const struct sml_command *);
int cmd_table_init(struct stage *, const struct sml_command *);
int cmd_rename_init(struct stage *, const struct sml_command *);
int cmd_sort_init(struct stage *, const struct sml_command *);
int cmd_head_init(struct stage *, const struct sml_command *);
int cmd_tail_init(struct stage *, const struct sml_command *);
int cmd_dedup_init(struct stage *, const struct sml_command *);
int cmd_transaction_init(struct stage *, const struct sml_command *);
int cmd_join_init(struct stage *, const struct sml_command *);
int cmd_append_init(struct stage *, const struct sml_command *);
int cmd_stats_init(struct stage *, const struct sml_command *);
int cmd_eventstats_init(struct stage *, const struct sml_command *);
int cmd_streamstats_init(struct stage *, const struct sml_command *);
int cmd_top_init(struct stage *, const struct sml_command *);
int cmd_timechart_init(struct stage *, const struct sml_command *);
int cmd_bin_init(struct stage *, const struct sml_command *);
int cmd_rex_init(struct stage *, const struct sml_command *);
int cmd_fillnull_init(struct stage *, const struct sml_command *);
int cmd_replace_init(struct stage *, const struct sml_command *);
int cmd_regex_init(struct stage *, const struct sml_command *);
int cmd_lookup_init(struct stage *, const struct sml_command *);
enum sml_run_result cmd_inputlookup_run(struct run *,
    const struct sml_command *);
int cmd_outputlookup_init(struct stage *, const struct sml_command *);
int cmd_mvexpand_init(struct stage *, const struct sml_command *);
int cmd_makemv_init(struct stage *, const struct sml_command *);
int cmd_nomv_init(struct stage *, const struct sml_command *);
int cmd_spath_init(struct stage *, const struct sml_command *);
int cmd_iplocation_init(struct stage *, const struct sml_command *);
int cmd_chart_init(struct stage *, const struct sml_command *);
int cmd_xyseries_init(struct stage *, const struct sml_command *);
int cmd_untable_init(struct stage *, const struct sml_command *);
int cmd_appendpipe_init(struct stage *, const struct sml_command *);

/*
 * ---- The run: what any command's stage may ask of it (exec.c) ----
 */

/* Records an error for the run (printf-style). Returns -1. */
int run_fail(struct run *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/*
 * Records the error an expression or condition left in the run's eval
 * context (or "out of memory" when it left none). Returns -1.
 */
int run_eval_fail(struct run *r);
/* Writes a task log line (printf-style). */
void run_log(struct run *r, enum sml_log_level lvl, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The context of the run (now, range, dt field, limits). */
const struct sml_ctx *run_ctx(const struct run *r);
const struct sml_run_limits *run_limits(const struct run *r);
struct eval_ctx *run_eval_ctx(struct run *r);
/*
 * Accounts bytes of memory a blocking command holds (negative to release).
 * Returns 0, or -1 (with run_fail naming limits.max_memory_bytes) when the
 * task would go over its limit.
 */
int run_mem(struct run *r, int64_t bytes);
/* Called by long loops in finish(): polls for cancellation. Nonzero: stop. */
int run_poll_now(struct run *r);

/*
 * ---- Lookup tables (exec.c): lookup, inputlookup, outputlookup ----
 */

/*
 * Returns lookup table name as the task's owner sees it (sx_lookup_get),
 * read and parsed once per run (a second command on it gets the same),
 * its memory accounted with run_mem; or NULL with the run failed, the
 * reason after "cmd: " (no such table, over limits.max_lookup_bytes or
 * limits.max_lookup_rows, invalid CSV).
 */
const struct csvtab *run_lookup(struct run *r, const char *cmd,
    const char *name);
/* Return the bounds of a table: limits.max_lookup_bytes and
 * limits.max_lookup_rows. */
uint64_t run_lookup_max_bytes(const struct run *r);
uint64_t run_lookup_max_rows(const struct run *r);
/*
 * Stores len bytes of CSV (rows rows) as the owner's table name
 * (sx_lookup_put), within the limits. Returns 0, or -1 with the run
 * failed, the reason after "cmd: ".
 */
int run_lookup_put(struct run *r, const char *cmd, const char *name,
    const char *data, size_t len, size_t rows);

/*
 * ---- For the first command (source, makeresults), which makes the events
 * and feeds them to the stages: run by sml_run() through cmd_<name>_run()
 * instead of a stage ----
 */

/*
 * Feeds e (borrowed for the call) to the first stage, or to the caller when
 * the query has no other command. Returns as stage_emit().
 */
int run_feed(struct run *r, struct event *e);
/* Returns the arrival number of the next event made (ev_seq). */
uint64_t run_next_seq(struct run *r);
/* Sets the progress, in [0, 1], that the next sx_poll call reports. */
void run_set_progress(struct run *r, double progress);
/* Counts one event of len bytes read from the store. */
void run_count_read(struct run *r, size_t len);
/* Counts n events of bytes bytes the store skipped by a block's summary
 * as read (they were, by their summary). */
void run_count_skipped(struct run *r, uint64_t n, uint64_t bytes);
/*
 * Returns the condition of a search that is the first command after the
 * source, or NULL. Events a block filter rules out by it would only have
 * gone to that search to be dropped: run_fed_skipped(r, n) counts n of
 * them as fed to it, so the cost's events in and out stay as they were.
 */
struct cond *run_first_search(const struct run *r);
void run_fed_skipped(struct run *r, uint64_t n);
/*
 * Runs subsearch q to its end in the run's context (the same store, range,
 * user and limits), handing each result to row(arg, json, len) (0 to go
 * on, -1 on error with the run failed). More than
 * limits.max_subsearch_results results fail the run naming the setting.
 * Returns 0; 1 when the run was asked to stop (cancelled); -1 with the
 * run failed ("subsearch: ...").
 */
int run_subsearch(struct run *r, const struct sml_query *q,
    int (*row)(void *arg, const char *json, size_t len), void *arg);

/* Returns nonzero once a callback (sx_poll, sx_emit) asked to stop. */
int run_stopped(const struct run *r);
/*
 * Adds n zeroed entries to the run's cost per index (sml_cost.co_indices,
 * whose strings the run frees). Returns the first of them, owned by the run
 * and valid until the next call, or NULL out of memory (nothing added).
 */
struct sml_index_cost *run_index_costs(struct run *r, size_t n);

/*
 * ---- Field paths and '*' patterns (fieldpath.c), for the commands that
 * change fields ----
 */

#define FIELD_DEPTH	32	/* nested objects walked by wildcards */

/*
 * Sets field name of e to v (reference stolen): where the field is now (a
 * top-level key, or a nested path that exists), else as a new top-level key
 * named name. Returns 0, or -1 out of memory.
 */
int field_put(struct event *e, const char *name, json_t *v);

/* Returns 1 when s holds a '*'. */
int has_star(const char *s);

/*
 * Matches text (len bytes) against pattern, where '*' matches any run,
 * case-sensitively. On a match returns 1 and, for the i-th '*' (up to
 * ncap), the matched run as text[cs[i]..ce[i]). The earlier stars take the
 * shortest runs that let the rest match. Linear backtracking: only the last
 * star is ever widened.
 */
int glob_capture(const char *pat, const char *text, size_t len, size_t *cs,
    size_t *ce, size_t ncap);

/* The number of '*' in s. */
size_t star_count(const char *s);

/*
 * Appends to b the template tpl with its i-th '*' replaced by the i-th
 * captured run of text (cs/ce, ncap runs); '*' beyond them stay as written.
 */
int glob_fill(struct buf *b, const char *tpl, const char *text,
    const size_t *cs, const size_t *ce, size_t ncap);

/*
 * ---- The groups of stats, eventstats and streamstats (stats_groups.c) ----
 */

/*
 * A group is a combination of BY values (agg_combos: an event lacking a BY
 * field or holding null is in none, an array BY value puts it in one group
 * per element), found by its key bytes in a hash table. It holds its BY
 * values and the state of each aggregation, never events: stats memory
 * grows with the number of groups only, bounded by limits.max_groups and
 * limits.max_memory_bytes.
 */

struct sgroup {
	json_t **g_by;		/* the BY values, held */
	int64_t g_cost;		/* run_mem of the group itself */
	struct agg_state g_st[];	/* one per aggregation */
};

/* The part the three commands share; first in each one's state. */
struct stats_common {
	const struct sml_stats *sc_st;
	struct gtab sc_tab;	/* key -> group number */
	struct sgroup **sc_groups;
	size_t sc_cap;
	struct buf sc_key;
	long *sc_idx;		/* the groups of the current event */
	size_t sc_nidx, sc_capidx;
	const json_t **sc_vals;	/* the current event's value per agg */
	int64_t sc_time;	/* ... and its time (when needed) */
	int sc_need_time;	/* an earliest() or latest() */
	uint64_t sc_seq;	/* results made */
};

/*
 * Sets up sc (zeroed, in s's state) for the command of s. Returns 0, or -1
 * with the run failed (no aggregation, out of memory).
 */
int stats_common_init(struct stage *s, struct stats_common *sc);
/* Frees what sc holds (not sc itself): the groups, their table. */
void stats_common_free(struct stats_common *sc);
/*
 * Returns the number of the group of the BY values vals, made when new
 * (bounded by limits.max_groups), or -1 with the run failed.
 */
long stats_group_get(struct stage *s, struct stats_common *sc,
    const json_t *const *vals);
/*
 * Reads what the aggregations need from e and finds its groups into
 * sc_idx[0..sc_nidx). Returns 0, or -1 with the run failed.
 */
int stats_event(struct stage *s, struct stats_common *sc, struct event *e);
/*
 * Adds the current event's values (stats_event()) to group g. Returns 0, or
 * -1 with the run failed.
 */
int stats_group_add(struct stage *s, struct stats_common *sc,
    struct sgroup *g);
/*
 * Sets the aggregate values of group g into obj (after what obj holds).
 * Returns 0 or -1 out of memory.
 */
int stats_group_put_aggs(const struct stats_common *sc, struct sgroup *g,
    json_t *obj);

/*
 * ---- Pivots (pivot.c): values as columns, for timechart, chart and
 * xyseries ----
 */

/*
 * A set of distinct values (the series of a BY field, the rows of chart),
 * numbered 0.. in the order they first came, each held (agg_hold).
 */
struct pvals {
	struct gtab pl_tab;	/* key -> number */
	json_t **pl_vals;	/* pl_tab.gt_n values (json null for none) */
	size_t pl_cap;
	struct buf pl_key;
};

/*
 * Returns the number of value v (NULL: none, held as json null) in pl:
 * made when new and add is set (its memory accounted with run_mem), -1
 * when missing (add 0), or -2 with the run failed.
 */
long pvals_get(struct stage *s, struct pvals *pl, const json_t *v, int add);
/*
 * Returns the numbers 0..n of pl's values ordered by agg_value_cmp (an
 * array the caller frees), or NULL out of memory.
 */
long *pvals_order(const struct pvals *pl);
/* Frees what pl holds (not pl itself). */
void pvals_free(struct pvals *pl);

/* The aggregation states of one row and series. */
struct pivot_cell {
	int64_t pc_row;		/* a time bucket, a row number */
	long pc_series;
	int64_t pc_cost;	/* run_mem of the cell itself */
	struct agg_state pc_st[];	/* one per aggregation */
};

/* The cells of row x series with events, bounded by limits.max_groups. */
struct pivot {
	const struct agg *pv_aggs;
	size_t pv_naggs;
	const char *pv_what;	/* "bucket", "row": names the limit */
	struct pvals pv_series;
	struct gtab pv_tab;	/* row + series key -> cell */
	struct pivot_cell **pv_cells;
	size_t pv_cap;
	struct buf pv_key;
};

/*
 * Returns the cell of row and series sr: made when new and add is set, or
 * NULL (missing with add 0; with add set, the run failed: out of memory,
 * limits.max_groups or max_memory_bytes).
 */
struct pivot_cell *pivot_cell(struct stage *s, struct pivot *pv,
    int64_t row, long sr, int add);
/*
 * Adds one event's values vals (one per aggregation, borrowed) of time t
 * to cell c. Returns 0, or -1 with the run failed.
 */
int pivot_cell_add(struct stage *s, struct pivot *pv, struct pivot_cell *c,
    const json_t *const *vals, int64_t t);
/* Frees the cells of pv (releasing their memory from r when not NULL). */
void pivot_cells_free(struct pivot *pv, struct run *r);
/* Frees what pv holds (not pv itself). */
void pivot_free(struct pivot *pv);
/*
 * Returns the name of a column: label (when not NULL) or the text of value
 * v, after "<prefix>: " when prefix is not NULL. A string the caller
 * frees, or NULL out of memory.
 */
char *pivot_column(const char *prefix, const json_t *v, const char *label);

/*
 * ---- Kept events (evlist.c): chart's second pass, appendpipe ----
 */

/* Events kept until the input ends; zeroed, it is empty. */
struct evlist {
	struct event **el_ev;	/* el_n copies, in arrival order */
	size_t el_n, el_cap;
	int64_t el_mem;		/* run_mem they hold */
};

/*
 * Appends a compact copy of e (agg_keep_event) to l, accounting it with
 * run_mem. Returns 0, or -1 with the run failed (out of memory,
 * limits.max_memory_bytes).
 */
int evlist_keep(struct stage *s, struct evlist *l, struct event *e);
/* Frees the events of l (not l), releasing their memory from r if not NULL. */
void evlist_free(struct evlist *l, struct run *r);

/*
 * ---- Subpipelines (exec.c), for appendpipe ----
 */

/*
 * Runs the commands of q (none a first command) over the n events ev (each
 * borrowed for its push) as stages of s's run, their output passed on to
 * the stage after s, then ends them (their finish). Returns 0, 1 when no
 * more output is wanted or the run was asked to stop, -1 with the run
 * failed.
 */
int run_pipe(struct stage *s, const struct sml_query *q, struct event **ev,
    size_t n);

#endif
