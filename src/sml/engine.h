/* engine.h - the executor's internals: events, values, expressions. */
#ifndef AR_SML_ENGINE_H
#define AR_SML_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "common/number.h"
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
	const char *ev_index;	/* the index it was read from (borrowed,
				 * valid for the run), NULL for built rows */
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
 * Returns the parsed object of e for changing it in place (borrowed): never
 * shared with a kept copy (copied first when it is), and e is marked changed.
 * NULL as event_obj. Commands change events only through this, event_set
 * and event_del.
 */
json_t *event_obj_mut(struct event *e);
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
/*
 * As event_set, but on an event still in its text the change is only
 * logged (event_get answers from the log) and made when the whole event is
 * needed (event_obj, event_text, event_keep): for a command that adds a
 * few fields to every event (lookup, join), most of them read by name
 * later if at all.
 */
int event_put(struct event *e, const char *field, json_t *v);
/* Removes top-level key field. */
void event_del(struct event *e, const char *field);
/*
 * Returns the event's JSON text: the original bytes when unchanged, else
 * the object serialised compactly (key order kept) and cached in e.
 * NULL out of memory.
 */
const char *event_text(struct event *e, size_t *len);
/*
 * A row built on demand (transaction): el_get returns the value of a
 * top-level field (a new reference, NULL when missing), or sets *whole when
 * only the whole object can answer (a dotted name); el_obj returns the
 * whole object (a new reference, NULL out of memory). Both are called only
 * while the maker of the row holds el_arg: event_keep builds the object.
 */
struct event_lazy {
	json_t *(*el_get)(void *arg, const char *field, int *whole);
	json_t *(*el_obj)(void *arg);
	void *el_arg;
};
/* Sets up e over lz (borrowed), as a changed event whose fields are asked
 * of lz. Returns 0, or -1 out of memory. Free with event_clear(). */
int event_init_lazy(struct event *e, const struct event_lazy *lz,
    int64_t time, uint64_t seq);
struct buf;
/*
 * Writes to out (reset first) the text of a JSON object of the top-level
 * members of e named in fields[0..n), as e's text has them (the first
 * member of each name, in the order of fields; missing ones left out).
 * Returns 0, 1 when
 * e is not an unchanged text that can be read so (take event_text), or -1
 * out of memory.
 */
int event_project(struct event *e, char *const *fields, size_t n,
    struct buf *out);

/*
 * ---- Values (value.c): the comparison and number rules of spec/sml.md ----
 */

/* Returns 1 and *d when v is a number or a string that parses completely
 * as a decimal number; else 0. */
int value_number(const json_t *v, double *d);
/*
 * Reads v (NULL: missing) as a number: a JSON number, or a string that
 * value_parse_number() reads. Returns 1 for an integer (*iv, and *dv the
 * same as a double), 2 for a real (*dv; *iv 0), 0 for anything else (both
 * 0).
 */
int value_num_read(const json_t *v, int64_t *iv, double *dv);
/* Returns a malloc'd text form of a scalar (numbers without a trailing
 * ".0" for integers, true/false, strings as is), NULL for null/missing. */
char *value_string(const json_t *v);
/*
 * Orders two values as sort does: numbers (and numeric strings) before
 * strings, numbers numerically, strings by bytes, missing/null last.
 * Returns <0, 0, >0.
 */
int value_cmp(const json_t *a, const json_t *b);
/*
 * Returns the sort class of v, the first thing value_cmp() orders by: 0
 * number or numeric string, 1 other string or boolean, 2 array or object,
 * 3 null or missing.
 */
int value_sort_class(const json_t *v);
/* Returns 1 when text matches pattern with '*' wildcards; ci: ignore case. */
int value_wildcard(const char *pattern, const char *text, size_t len, int ci);
/* Returns 1 when text matches the LIKE pattern: '%' any run, '_' one
 * UTF-8 character, everything else itself (case-sensitive). */
int value_like(const char *pattern, const char *text, size_t len);
/* value_parse_number() is in common/number.h (the store uses it too). */
/* Orders two numbers exactly, without rounding integers to double: kind 1
 * (integer iX) or 2 (real dX), as value_parse_number returns. <0, 0, >0. */
int value_num_cmp3(int ka, int64_t ia, double da, int kb, int64_t ib,
    double db);
/* Returns 1 and *cmp (<0, 0, >0) when both a and b are numbers or numeric
 * strings (integers compared exactly); else 0. */
int value_num_cmp(const json_t *a, const json_t *b, int *cmp);
/* Writes d the shortest way that reads back the same, integral values
 * without ".0" (outlen >= 32). */
void value_fmt_real(double d, char *out, size_t outlen);
/* Returns a new number: an integer when d is integral (|d| <= 2^53), else
 * a real; json null when d is not finite. NULL out of memory. */
json_t *value_from_double(double d);
/*
 * Returns v (NULL: none) as compact JSON text (malloc'd, *len its length
 * when len is not NULL), key order kept, reals written the shortest way
 * that reads back the same ("2.68", "3.0"), or NULL out of memory. The
 * text event_text writes for a changed event.
 */
char *value_json(const json_t *v, size_t *len);
/*
 * Decodes the body of a JSON string (the bytes between the quotes) s[0..n)
 * into out (cap bytes). Returns the decoded length, or -1 when an escape is
 * bad, is \u0000, or out is too small (it needs at most n bytes).
 */
long value_unescape(const char *s, size_t n, char *out, size_t cap);

/*
 * ---- Expressions and conditions (expr.c, functions.c and fn/, search.c) ----
 */

/* What evaluation needs besides the event. */
struct eval_ctx {
	int64_t ec_now;		/* the task's fixed now, ms */
	char *ec_err;		/* where a runtime error is written */
	size_t ec_errlen;
	uint32_t ec_rx_match_limit;	/* limits.regex_match_limit (0: the
					 * default) for match(), replace() */
	uint32_t ec_rx_depth_limit;	/* limits.regex_depth_limit (0: ...) */
};

/*
 * Evaluates x on e. Returns a new reference (json null for null), or NULL
 * on an error (out of memory, a bad regular expression, a regular
 * expression that hit its match limit on this event) with the reason in
 * ctx->ec_err. Never fails on data otherwise: wrong types give null.
 */
json_t *expr_eval(struct expr *x, struct event *e, struct eval_ctx *ctx);
/* Evaluates x as a condition: 1 true, 0 false (null is false), -1 error. */
int expr_true(struct expr *x, struct event *e, struct eval_ctx *ctx);
/* Returns 1 when a == b holds as in expressions (numbers numerically, an
 * array when an element does, null never), else 0. */
int expr_equal(const json_t *a, const json_t *b);

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
struct block_hdr;
/* Returns 0 when no event of a block with header h (store/block.h) can
 * match condition cond (a struct cond *), from the block's summaries; 1
 * when one may. The filter of evstore_scan_filter. */
int cond_block_maybe(void *cond, const struct block_hdr *h);
/* Evaluates the function call x (EX_CALL) as expr_eval does (functions.c). */
json_t *func_eval(struct expr *x, struct event *e, struct eval_ctx *ctx);
/* The truth of a value: null false, booleans as they are, numbers nonzero,
 * strings and arrays non-empty, objects true. */
int expr_truthy(const json_t *v);
/*
 * Writes the hash-set key of a number (kind 1 integer i, 2 real d; 9
 * bytes) into k: keys are equal exactly when value_num_cmp3 finds the
 * numbers equal (an integral real is keyed as its integer). Returns 9.
 * The sets of subsearch results use it (search.c, expr.c).
 */
size_t value_numkey(int kind, int64_t i, double d, char *k);
/*
 * Indexes the results of a where subsearch (rows, a JSON array of objects
 * without null values; reference stolen) for x (EX_SUBSEARCH): sets
 * x_cache to what expr_eval matches events against. Returns 0, or -1 out
 * of memory (rows released).
 */
int expr_subsearch_set(struct expr *x, json_t *rows);

#endif
