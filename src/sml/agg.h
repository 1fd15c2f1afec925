/* agg.h - the stats functions' running state, group tables and keys. */
#ifndef AR_SML_AGG_H
#define AR_SML_AGG_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "common/buf.h"
#include "sml/engine.h"

struct run;	/* stage.h */

/*
 * Shared by the blocking and grouping commands (stats, eventstats,
 * streamstats, top, rare, timechart, dedup): a hash table of byte-string
 * keys, the key encoding of values, the order of values, and the state of
 * one aggregation function. Memory they hold is accounted with run_mem() by
 * the caller's run, so a task that would grow past limits.max_memory_bytes
 * fails instead.
 */

/* ---- Group tables ---- */

/*
 * A hash table of byte-string keys, numbered 0.. in insertion order. The
 * table owns copies of its keys.
 */
struct gtab {
	size_t gt_n;		/* keys held */
	size_t gt_cap;		/* slots, a power of two (0: none yet) */
	uint32_t *gt_slots;	/* key number + 1, 0 empty */
	struct gkey *gt_keys;	/* gt_n keys, in insertion order */
	size_t gt_keycap;
};

struct gkey {
	char *gk_data;
	size_t gk_len;
	uint64_t gk_hash;
};

#define GTAB_INIT {0, 0, NULL, NULL, 0}

/*
 * Finds key (len bytes). When it is missing and add is set, inserts a copy
 * and sets *added. Returns the key's number, -1 when missing (add 0), or -2
 * out of memory. *added may be NULL.
 */
long gtab_get(struct gtab *t, const void *key, size_t len, int add,
    int *added);
/* Forgets every key (keeps the slots allocated). */
void gtab_reset(struct gtab *t);
/* Frees what t holds; t may be reused after gtab_free. */
void gtab_free(struct gtab *t);
/* The bytes gtab_get costs when it adds a key of len bytes (estimate). */
int64_t gtab_cost(size_t len);

/* ---- Keys and values ---- */

/*
 * Appends the key form of v (NULL: missing) to b: equal values give equal
 * bytes, and different JSON values different bytes (the string "5" and the
 * number 5 are different keys). Returns 0, or -1 out of memory.
 */
int agg_key_put(struct buf *b, const json_t *v);
/*
 * Orders values as sort does (value_cmp: numbers and numeric strings
 * numerically, then strings and booleans by bytes, missing/null last),
 * breaking its ties between different values (5, 5.0 and "5") by type then
 * text, so that only values with the same key compare equal.
 */
int agg_value_cmp(const json_t *a, const json_t *b);
/*
 * Returns a reference to v to hold beyond the event it came from: scalars
 * are shared, arrays and objects copied (a later command may change an
 * event's nested objects in place). NULL out of memory.
 */
json_t *agg_hold(const json_t *v);
/*
 * Sorts the n pointers of a, stably, by cmp (arg passed through). Returns
 * 0, or -1 out of memory (a unchanged).
 */
int agg_sort_ptrs(void **a, size_t n,
    int (*cmp)(const void *, const void *, void *), void *arg);
/* Estimates the bytes a Jansson value takes (for run_mem). */
int64_t agg_json_cost(const json_t *v);
/*
 * Returns the event time of e: ev_time when the store gave one, else the
 * task's time field (dt_field) read as a time; INT64_MIN when neither.
 */
int64_t agg_event_time(struct event *e, const char *dt_field);

/*
 * Calls fn once for each combination of the values of fields[0..n) in e,
 * the values in vals (borrowed, n entries). An event that lacks a field or
 * has it null gives none; a field holding an array gives one combination
 * per distinct non-null element (none for []). With n == 0 fn is called
 * once. Returns the number of combinations, or -1 when fn failed (its
 * return value -1) or memory ran out (the caller reports it).
 */
long agg_combos(struct event *e, char *const *fields, size_t n,
    int (*fn)(void *arg, const json_t *const *vals), void *arg);

/*
 * Keeps a copy of e for a blocking command, as compact as it can: the text
 * only (the parsed tree is dropped, it is parsed again when read). Returns
 * the copy, to free with event_free(), and its cost in *cost; NULL out of
 * memory.
 */
struct event *agg_keep_event(struct event *e, int64_t *cost);

/* ---- Aggregation state ---- */

/*
 * The running state of one aggregation (struct agg) over the values it is
 * given. Zero-initialized it is empty; agg_clear() empties it again.
 */
struct agg_state {
	int64_t as_count;	/* events (count) or values seen */
	int64_t as_mem;		/* bytes accounted with run_mem */
	/* sum, avg, min, max, range, stdev, var */
	int64_t as_nnum;	/* numeric values seen */
	int64_t as_isum;	/* integer sum while !as_notint */
	int as_notint;		/* a real seen, or the integer sum overflowed */
	/*
	 * Sums in double-double arithmetic (about 106 bits), so sum, avg, var
	 * and stdev come out as the exact value rounded once, the same on
	 * every machine: hi + lo, |lo| <= ulp(hi) / 2.
	 */
	double as_sum_hi, as_sum_lo;	/* the values */
	double as_sq_hi, as_sq_lo;	/* their squares */
	int as_mink, as_maxk;	/* 0 none, 1 integer, 2 real */
	int64_t as_mini, as_maxi;
	double as_mind, as_maxd;
	/* median, perc */
	double *as_nums;	/* as_nums[0..as_nsorted) is sorted */
	size_t as_nnums, as_capnums, as_nsorted;
	/* dc */
	struct gtab as_set;
	/* values (sorted, distinct) and list: as_vals[0..as_nvals) */
	json_t **as_vals;
	size_t as_nvals, as_capvals;
	/* first, last, earliest, latest */
	json_t *as_val;
	int64_t as_time;
};

/*
 * Adds one event's value v (borrowed; NULL or null when the field is
 * missing) of aggregation a to st, with the event's time t (INT64_MIN:
 * unknown). Bare count ignores v. An array value counts as its elements for
 * the numeric functions, dc, values and list, as one value for count(f),
 * first, last, earliest and latest. Returns 0, or -1 with the run failed
 * (out of memory, or limits.max_memory_bytes).
 */
int agg_add(struct agg_state *st, const struct agg *a, const json_t *v,
    int64_t t, struct run *r);
/*
 * Returns the value of st as aggregation a (a new reference): count and dc
 * integers, avg, stdev and var reals, min/max/sum/range integers when every
 * value was one, values/list arrays, json null when there is no value.
 * NULL out of memory.
 */
json_t *agg_result(struct agg_state *st, const struct agg *a);
/* Empties st, releasing its memory and its run_mem accounting. */
void agg_clear(struct agg_state *st, struct run *r);

#endif
