/* fn/fn.h - what the functions of expressions (fn/, one file per family)
 * share, and their implementations, which the table of functions.c lists. */
#ifndef AR_SML_FN_H
#define AR_SML_FN_H

#include <stddef.h>

#include <jansson.h>

#include "common/buf.h"
#include "sml/engine.h"

/*
 * Every function takes its arguments as values (json_t) and returns a new
 * reference; wrong types and null give null (functions that test something
 * give null for null input too, which a condition reads as false). String
 * functions read numbers and booleans as their text. lower, upper, trim,
 * ltrim, rtrim, urldecode and replace work on each element of an array;
 * match, like and cidrmatch are true when any element matches.
 *
 * Regular expressions are compiled once per query when the pattern is a
 * literal (cached in the call node, x_cache), else once per call.
 */

/*
 * One call being evaluated (func_eval(), functions.c). The arguments are
 * evaluated before the implementation runs, the first three into fc_v
 * (NULL past the last; owned by func_eval, which releases them after),
 * unless the function is SML_FNF_LAZY: then fc_v is all NULL and it
 * evaluates what it needs itself (fn_arg()).
 */
struct fn_call {
	struct expr *fc_x;		/* the call: its arguments, x_cache */
	struct event *fc_e;		/* the event (may be NULL) */
	struct eval_ctx *fc_ctx;	/* now, limits, where errors go */
	json_t *fc_v[3];		/* the values of arguments 0..2 */
};

/*
 * An implementation: returns a new reference (json null for null), or NULL
 * with the reason written by fn_fail() (fn_ret() writes "out of memory").
 */
typedef json_t *fn_impl(struct fn_call *fc);

/* ---- Helpers (fn/common.c) ---- */

/* Writes a runtime error for the caller (when ctx has room). Returns NULL. */
json_t *fn_fail(struct eval_ctx *ctx, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
#define FN_NOMEM(ctx)	fn_fail((ctx), "out of memory")
/* Returns r, or NULL with "out of memory" for the caller when r is NULL. */
json_t *fn_ret(struct fn_call *fc, json_t *r);
/* Evaluates argument i of the call. Returns as expr_eval(). */
json_t *fn_arg(struct fn_call *fc, size_t i);
/*
 * Evaluates every argument and returns a new array of their values, each
 * element of an array value in its place, nulls left out (min, max,
 * mvappend), or NULL with the reason for the caller.
 */
json_t *fn_flat_args(struct fn_call *fc);
/* Returns 1 when v is missing (NULL) or json null. */
int fn_is_null(const json_t *v);
/* Returns a new string value of s[0..n); null when s is not valid UTF-8. */
json_t *fn_str(const char *s, size_t n);
/*
 * Ends a string function that built its result in b from the text s:
 * returns a new string value of b's bytes (as fn_str), or NULL when ok is
 * 0 (memory ran out while building). Frees s and b in any case.
 */
json_t *fn_str_built(char *s, struct buf *b, int ok);
/* Returns the text of a scalar (malloc'd), NULL for null, arrays and
 * objects. */
char *fn_text(const json_t *v);
/* Returns the byte length of the UTF-8 character at s (1 for bad bytes). */
size_t fn_u8len(const unsigned char *s, const unsigned char *end);

/* ---- The implementations, by family (fn/<family>.c) ---- */

/* cond.c: conditions */
fn_impl fn_if, fn_case, fn_coalesce, fn_like, fn_searchmatch, fn_cidrmatch,
    fn_nullif, fn_validate, fn_null, fn_true, fn_false;
/* info.c: what a value is */
fn_impl fn_isnull, fn_isnotnull, fn_isnum, fn_isstr, fn_typeof, fn_isint,
    fn_isbool;
/* string.c: text */
fn_impl fn_len, fn_lower, fn_upper, fn_trim, fn_ltrim, fn_rtrim, fn_substr,
    fn_split, fn_urldecode;
/* regex.c: regular expressions */
fn_impl fn_match, fn_replace;
/* convert.c: conversions */
fn_impl fn_tonumber, fn_tostring;
/* math.c: numbers */
fn_impl fn_round, fn_floor, fn_ceil, fn_abs, fn_sqrt, fn_pow, fn_log, fn_ln,
    fn_exp, fn_min, fn_max, fn_random, fn_pi, fn_sin, fn_cos, fn_tan, fn_asin,
    fn_acos, fn_atan, fn_atan2, fn_hypot;
/* time.c: times */
fn_impl fn_now, fn_time, fn_strftime, fn_strptime, fn_relative_time;
/* mv.c: multivalues */
fn_impl fn_mvcount, fn_mvindex, fn_mvjoin, fn_mvappend, fn_mvdedup,
    fn_mvsort, fn_mvzip, fn_mvrange;
/* hash.c: digests */
fn_impl fn_md5, fn_sha1, fn_sha256;
/* json.c: JSON */
fn_impl fn_json_extract;

#endif
