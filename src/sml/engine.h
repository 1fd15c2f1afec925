/* engine.h - the executor's internals: events, values, expressions, stages. */
#ifndef AR_SML_ENGINE_H
#define AR_SML_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "sml/sml.h"

/*
 * ---- Events (event.c) ----
 *
 * An event travels through the pipeline as its JSON text plus, when some
 * command needs it, a parsed Jansson object. Commands that only read a few
 * fields get them from the text without building the whole tree
 * (event_get); an event nobody changed is written out as its original bytes.
 */
struct event {
	const char *ev_raw;	/* JSON object text; borrowed unless ev_owned */
	size_t ev_rawlen;
	int ev_owned;		/* ev_raw is malloc'd by this event */
	json_t *ev_obj;		/* parsed object (owned reference) or NULL */
	int ev_dirty;		/* ev_obj was changed: ev_raw is stale */
	int64_t ev_time;	/* time from the store, INT64_MIN unknown */
	uint64_t ev_seq;	/* arrival order, for stable sorts */
	void *ev_cache;		/* event.c's cache of looked-up fields */
};

/* Sets up e over borrowed text (no copy). Free with event_clear(). */
void event_init(struct event *e, const char *raw, size_t len, int64_t time,
    uint64_t seq);
/* Sets up e over obj (reference stolen), as a changed event. */
void event_init_obj(struct event *e, json_t *obj, int64_t time, uint64_t seq);
/* Releases what e owns (not e itself). */
void event_clear(struct event *e);
/*
 * Returns a heap copy of e that owns all its data (for blocking commands
 * that keep events after the push returns), or NULL out of memory.
 * Free with event_free().
 */
struct event *event_keep(const struct event *e);
void event_free(struct event *e);

/*
 * Returns the parsed object of e (borrowed; parses the text on first use),
 * or NULL when the text is not a JSON object or memory runs out.
 */
json_t *event_obj(struct event *e);
/*
 * Returns the value of field (dotted names read nested objects; a top-level
 * key equal to the whole name wins), borrowed and valid until e changes or
 * is cleared, or NULL when missing. Reads from the text without a full
 * parse when e has not been parsed yet.
 */
json_t *event_get(struct event *e, const char *field);
/* Sets field (top-level key named exactly field) to v (reference stolen;
 * v == NULL or json null removes it). Returns 0, or -1 out of memory. */
int event_set(struct event *e, const char *field, json_t *v);
/* Removes top-level key field. */
void event_del(struct event *e, const char *field);
/*
 * Returns the event's JSON text: the original bytes when unchanged, else
 * the object serialised compactly (key order kept) and cached in e.
 * NULL out of memory.
 */
const char *event_text(struct event *e, size_t *len);

/*
 * ---- Values (value.c): the comparison and number rules of spec/sml.md ----
 */

/* Returns 1 and *d when v is a number or a string that parses completely
 * as a decimal number; else 0. */
int value_number(const json_t *v, double *d);
/* Returns a malloc'd text form of a scalar (numbers without a trailing
 * ".0" for integers, true/false, strings as is), NULL for null/missing. */
char *value_string(const json_t *v);
/*
 * Orders two values as sort does: numbers (and numeric strings) before
 * strings, numbers numerically, strings by bytes, missing/null last.
 * Returns <0, 0, >0.
 */
int value_cmp(const json_t *a, const json_t *b);
/* Returns 1 when text matches pattern with '*' wildcards; ci: ignore case. */
int value_wildcard(const char *pattern, const char *text, size_t len, int ci);

/*
 * ---- Expressions and conditions (expr.c, func.c, search.c) ----
 */

/* What evaluation needs besides the event. */
struct eval_ctx {
	int64_t ec_now;		/* the task's fixed now, ms */
	char *ec_err;		/* where a runtime error is written */
	size_t ec_errlen;
};

/*
 * Evaluates x on e. Returns a new reference (json null for null), or NULL
 * on an error (out of memory, a bad regular expression) with the reason in
 * ctx->ec_err. Never fails on data: wrong types give null.
 */
json_t *expr_eval(struct expr *x, struct event *e, struct eval_ctx *ctx);
/* Evaluates x as a condition: 1 true, 0 false (null is false), -1 error. */
int expr_true(struct expr *x, struct event *e, struct eval_ctx *ctx);

/*
 * Decides c for e: 1 match, 0 no match, -1 error. Uses the raw text where
 * it can (a bare term is a case-insensitive substring search of the text;
 * field=value is first looked for in the text) and parses only when needed.
 */
int cond_match(struct cond *c, struct event *e, struct eval_ctx *ctx);
/*
 * Returns 0 when the raw text alone proves that c cannot match (a cheap
 * pre-filter before any parsing), 1 when it may match.
 */
int cond_maybe(struct cond *c, const char *raw, size_t len);

/*
 * ---- Stages (the commands, cmd_*.c, and the pipeline, exec.c) ----
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
 * Sets up the stage of command c (sg_push etc. and sg_state). Returns 0, or
 * -1 with a reason (run_fail). Implemented per command in cmd_*.c and
 * dispatched by stage_init() in commands.c.
 */
int stage_init(struct stage *s, const struct sml_command *c);

/* Records an error for the run (printf-style). Returns -1. */
int run_fail(struct run *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
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

#endif
