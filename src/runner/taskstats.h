/* taskstats.h - a task's sidebar, timeline and execution cost documents. */
#ifndef AR_TASKSTATS_H
#define AR_TASKSTATS_H

#include <stddef.h>
#include <stdint.h>

struct sml_cost;
struct task;

/*
 * Sidebar (sidebar.c): statistics of every field of the results, fed one
 * result at a time. Memory per field is bounded whatever the cardinality:
 * exact distinct counts up to exact_distinct values, then a HyperLogLog
 * estimate; top values from a bounded heavy-hitter table (exact while a
 * field has at most max(exact_distinct, 1000) distinct values).
 */
struct sidebar;
struct sidebar *sidebar_new(int64_t top_n, int64_t exact_distinct);
void sidebar_free(struct sidebar *);
/*
 * Adds one result (JSON object text; one that is not an object is not
 * counted). Returns 0, or -1 out of memory.
 */
int sidebar_add(struct sidebar *, const char *json, size_t len);
/*
 * The same in parts, for a caller that walks the result itself with
 * export_scan_event() (the runner, which also collects the column list):
 * sidebar_begin() once per result, then sidebar_leaf() for its leaves,
 * numbered from 0. sidebar_leaf returns 0, or -1 out of memory.
 */
struct export_leaf;
void sidebar_begin(struct sidebar *);
int sidebar_leaf(struct sidebar *, size_t i, const struct export_leaf *);
/* Returns the sidebar JSON (malloc'd, caller frees), or NULL. */
char *sidebar_json(struct sidebar *, size_t *len);
/* Returns the bytes the sidebar holds (for tests of its bound). */
size_t sidebar_memory(const struct sidebar *);

/*
 * Sidebar worker (sidebar_worker.c): feeds a sidebar from result pages on a
 * thread of its own, so that its work overlaps the executor's storage
 * waits. Until sbworker_finish() only the worker touches the sidebar.
 */
struct sbworker;
/* Starts the thread; pages queue up to max_bytes (a push past that waits).
 * Returns the worker, or NULL (no memory, or no thread). */
struct sbworker *sbworker_start(struct sidebar *, size_t max_bytes);
/*
 * Hands over page (malloc'd, laid out as the executor writes it: count,
 * offsets, texts; len bytes): the worker frees it. Returns 0, or -1 when
 * the worker ran out of memory.
 */
int sbworker_push(struct sbworker *, char *page, size_t len);
/*
 * The same, with ixs (malloc'd, one entry per result of the page, the
 * worker frees the array): the index each result was read from, in double
 * quotes ("web-1"), counted as the field _index, or NULL. The names must stay valid until
 * sbworker_finish().
 */
int sbworker_push_ix(struct sbworker *, char *page, size_t len,
    const char **ixs);
/* Waits until every page is counted, ends the thread and frees the worker.
 * Returns 0, or -1 when the worker ran out of memory. */
int sbworker_finish(struct sbworker *);

/*
 * Timeline (timeline.c): counts of matched events per aligned bucket over
 * [start, end), interval chosen for at most max_buckets buckets.
 */
struct timeline;
struct timeline *timeline_new(int64_t start, int64_t end, int64_t max_buckets,
    const char *dt_field);
void timeline_free(struct timeline *);
void timeline_add(struct timeline *, int64_t t);
char *timeline_json(struct timeline *, size_t *len);

/*
 * Execution cost (cost.c): the JSON document of spec/api.md for a run, at
 * level "INFO" or "DEBUG" (debug adds bytes, memory, indices, pages, queue
 * time). query is the task's query text (command texts are cut from it).
 * Returns a malloc'd text, or NULL.
 */
char *cost_json(const struct sml_cost *, const struct task *t, int debug,
    size_t *len);

#endif
