/* ast.h - the parse tree of SML: expressions, search conditions, commands. */
#ifndef AR_SML_AST_H
#define AR_SML_AST_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/*
 * Every node records the byte offset of its text in the query (x_off), so
 * the executor can name where a runtime problem comes from. Every pointer
 * below is owned by its parent node; sml_query_free() frees the tree.
 */

/* ---- Expressions (where, eval, streamstats resets, searchmatch) ---- */

enum expr_kind {
	EX_LIT,		/* ex_lit: a JSON value (string, number, bool, null) */
	EX_FIELD,	/* ex_name: a field, dotted names read nested objects */
	EX_UNARY,	/* ex_op (EXOP_NOT, EXOP_NEG), ex_args[0] */
	EX_BINARY,	/* ex_op, ex_args[0], ex_args[1] */
	EX_IN,		/* ex_args[0] IN (ex_args[1..]) */
	EX_CALL,	/* ex_func (SML_FN_*), ex_args[0..ex_nargs) */
};

enum expr_op {
	EXOP_OR, EXOP_AND, EXOP_NOT,
	EXOP_EQ,	/* = and == */
	EXOP_NE, EXOP_LT, EXOP_GT, EXOP_LE, EXOP_GE,
	EXOP_LIKE,	/* a LIKE b, as like(a, b) */
	EXOP_ADD, EXOP_SUB, EXOP_CONCAT,	/* + - . */
	EXOP_MUL, EXOP_DIV, EXOP_MOD,
	EXOP_NEG,	/* unary - */
};

/*
 * The functions of expressions. The table of functions.c gives each its
 * name, argument counts and implementation (fn/<family>.c), a row per id
 * in this order.
 */
enum sml_func {
	SML_FN_IF, SML_FN_CASE, SML_FN_COALESCE, SML_FN_ISNULL,
	SML_FN_ISNOTNULL, SML_FN_ISNUM, SML_FN_ISSTR, SML_FN_TYPEOF,
	SML_FN_LEN, SML_FN_LOWER, SML_FN_UPPER, SML_FN_TRIM, SML_FN_LTRIM,
	SML_FN_RTRIM, SML_FN_SUBSTR, SML_FN_REPLACE, SML_FN_SPLIT,
	SML_FN_URLDECODE, SML_FN_LIKE, SML_FN_MATCH, SML_FN_SEARCHMATCH,
	SML_FN_TONUMBER, SML_FN_TOSTRING, SML_FN_ROUND, SML_FN_FLOOR,
	SML_FN_CEIL, SML_FN_ABS, SML_FN_SQRT, SML_FN_POW, SML_FN_LOG,
	SML_FN_LN, SML_FN_EXP, SML_FN_MIN, SML_FN_MAX, SML_FN_RANDOM,
	SML_FN_NOW, SML_FN_TIME, SML_FN_STRFTIME, SML_FN_STRPTIME,
	SML_FN_RELATIVE_TIME, SML_FN_MVCOUNT, SML_FN_MVINDEX, SML_FN_MVJOIN,
	SML_FN_MVAPPEND, SML_FN_CIDRMATCH, SML_FN_MD5, SML_FN_SHA1,
	SML_FN_SHA256, SML_FN_JSON_EXTRACT,
	SML_FN_NULLIF, SML_FN_VALIDATE, SML_FN_NULL, SML_FN_TRUE,
	SML_FN_FALSE, SML_FN_ISINT, SML_FN_ISBOOL, SML_FN_PI, SML_FN_SIN,
	SML_FN_COS, SML_FN_TAN, SML_FN_ASIN, SML_FN_ACOS, SML_FN_ATAN,
	SML_FN_ATAN2, SML_FN_HYPOT, SML_FN_MVDEDUP, SML_FN_MVSORT, SML_FN_MVZIP,
	SML_FN_MVRANGE,
	SML_FN__COUNT
};

/* What a function is besides its argument counts (fi_flags). */
#define SML_FNF_LAZY	0x1	/* evaluates its own arguments (if, case...) */
#define SML_FNF_PAIRS	0x2	/* takes its arguments in pairs (case) */
#define SML_FNF_REGEX	0x4	/* its second argument, a string literal, is
				 * a regular expression checked at parse time */
#define SML_FNF_COND	0x8	/* its argument must be a string literal, a
				 * search condition checked at parse time */

struct fn_call;		/* fn/fn.h */

/* One function: a row of the table of functions.c. */
struct sml_func_info {
	enum sml_func fi_id;
	const char *fi_name;
	int fi_min;
	int fi_max;	/* -1: any */
	unsigned fi_flags;	/* SML_FNF_* */
	/* Returns a new reference, or NULL with the reason (fn/fn.h). */
	json_t *(*fi_eval)(struct fn_call *);
};
/* Returns the function named name (case-insensitive), or NULL. */
const struct sml_func_info *sml_func_lookup(const char *name);
/* Returns the function of id f (static), or NULL when there is none. */
const struct sml_func_info *sml_func_of(enum sml_func f);
/* Returns the name of function f ("substr"), static; "?" for none. */
const char *sml_func_name(enum sml_func f);

struct expr {
	enum expr_kind x_kind;
	size_t x_off;
	enum expr_op x_op;
	enum sml_func x_func;
	json_t *x_lit;		/* EX_LIT */
	char *x_name;		/* EX_FIELD */
	struct expr **x_args;
	size_t x_nargs;
	void *x_cache;		/* executor's: compiled regex, parsed search */
	void (*x_cache_free)(void *);
};

/* ---- Search conditions (search, source inline, searchmatch) ---- */

enum cond_kind {
	CD_CMP,		/* c_field c_op c_value */
	CD_IN,		/* c_field IN (c_values) */
	CD_EXISTS,	/* c_field=* */
	CD_TERM,	/* bare term or quoted phrase c_value, may hold '*' */
	CD_NOT,		/* c_kids[0] */
	CD_AND,		/* c_kids[0..n) */
	CD_OR,
};

struct cond {
	enum cond_kind c_kind;
	size_t c_off;
	char *c_field;
	enum expr_op c_op;	/* EXOP_EQ, NE, LT, GT, LE, GE */
	char *c_value;		/* literal text, escapes resolved */
	int c_quoted;		/* c_value was a quoted string */
	char **c_values;	/* CD_IN */
	size_t c_nvalues;
	struct cond **c_kids;
	size_t c_nkids;
	void *c_cache;		/* executor's */
	void (*c_cache_free)(void *);
};

/* ---- Aggregations (stats, eventstats, streamstats, timechart) ---- */

enum agg_fn {
	AGG_COUNT, AGG_DC, AGG_SUM, AGG_AVG, AGG_MIN, AGG_MAX, AGG_RANGE,
	AGG_MEDIAN, AGG_PERC, AGG_STDEV, AGG_VAR, AGG_VALUES, AGG_LIST,
	AGG_FIRST, AGG_LAST, AGG_EARLIEST, AGG_LATEST,
};

struct agg {
	enum agg_fn a_fn;
	size_t a_off;
	char *a_field;		/* NULL for bare count */
	double a_perc;		/* AGG_PERC: 0..100 (perc95 -> 95) */
	char *a_as;		/* output name: AS name, or "fn(field)" / "count" */
};

/*
 * Looks up the aggregation function name (case-insensitive; aliases
 * distinct_count and mean; perc<N> with N from 0 to 100, "perc99.9").
 * Returns 0 with *fn (and *perc for AGG_PERC, else 0), -1 when there is no
 * such function, -2 for "perc" with a missing or bad percentile.
 */
int sml_agg_lookup(const char *name, enum agg_fn *fn, double *perc);
/* Returns the canonical name of fn ("avg", "perc"), static. */
const char *sml_agg_name(enum agg_fn fn);

/*
 * Destructors of the parse tree (ast.c). Each frees the node, everything
 * it owns and, when x_cache/c_cache is set, calls its cache_free on it.
 * NULL is a no-op. sml_aggs_free() frees what n aggregations own and the
 * array itself.
 */
void sml_expr_free(struct expr *x);
void sml_cond_free(struct cond *c);
void sml_aggs_free(struct agg *a, size_t n);

/* ---- Commands ---- */

struct sml_search {
	struct cond *sr_cond;
};

struct sml_where {
	struct expr *wh_expr;
};

struct sml_eval {
	char **ev_fields;	/* assigned names, left to right */
	struct expr **ev_exprs;
	size_t ev_n;
};

/* fields [+|-] f1, f2 ... (wildcards) and table f1, f2 ... */
struct sml_fields {
	int fl_remove;		/* fields - */
	char **fl_names;
	size_t fl_n;
};

struct sml_rename {
	char **rn_from;		/* may hold '*' */
	char **rn_to;		/* same number of '*' as its rn_from */
	size_t rn_n;
};

struct sml_sort_key {
	char *sk_field;
	int sk_desc;
};

struct sml_sort {
	int64_t so_limit;	/* -1: sme.core.sort_limit */
	struct sml_sort_key *so_keys;
	size_t so_n;
};

/* head [n] and tail [n] */
struct sml_head {
	int64_t hd_n;		/* default 10 */
};

struct sml_dedup {
	int64_t dd_n;		/* default 1 */
	char **dd_fields;
	size_t dd_nfields;
	int dd_keepempty;
};

/* transaction f1[, f2...] [maxspan=] [maxpause=] [maxevents=]
 * [startswith="cond"] [endswith="cond"] */
struct sml_transaction {
	char **tr_fields;
	size_t tr_nfields;
	int64_t tr_maxspan;	/* ms; -1: none */
	int64_t tr_maxpause;	/* ms; -1: none */
	int64_t tr_maxevents;	/* default 1000 */
	int64_t tr_maxopen;	/* maxopentxn, default 5000 */
	struct cond *tr_start;	/* NULL: none */
	struct cond *tr_end;
};

/* join [type=inner|left] [max=n] f1[, f2...] [ <subsearch> ] */
struct sml_join {
	int jn_left;		/* type=left: unmatched events pass */
	int64_t jn_max;		/* rows joined per event; 0: all (default 1) */
	char **jn_fields;
	size_t jn_nfields;
	struct sml_query *jn_sub;
};

/* append [ <subsearch> ] */
struct sml_append {
	struct sml_query *ap_sub;
};

/* stats, aggs, eventstats, streamstats */
struct sml_stats {
	struct agg *st_aggs;
	size_t st_naggs;
	char **st_by;
	size_t st_nby;
	/* streamstats only */
	struct expr *st_reset_before;
	struct expr *st_reset_after;
	int st_reset_on_change;
	int64_t st_window;	/* 0: all */
};

/* top and rare */
struct sml_top {
	int64_t tp_n;		/* default 10 */
	char **tp_fields;
	size_t tp_nfields;
	char **tp_by;
	size_t tp_nby;
	int tp_showperc;	/* default 1 */
};

struct sml_timechart {
	int64_t tc_span_ms;	/* 0: chosen like the timeline */
	int tc_span_months;	/* span in calendar months (1M, 1y = 12) */
	struct agg *tc_aggs;
	size_t tc_naggs;
	char *tc_by;		/* NULL when no BY */
};

struct sml_bin {
	int64_t bn_span_ms;	/* time span, or 0 */
	int bn_span_months;
	double bn_span_num;	/* numeric span when bn_span_ms == 0 */
	char *bn_field;
	char *bn_as;		/* NULL: replace the field */
};

struct sml_rex {
	char *rx_field;		/* NULL: the raw event text */
	char *rx_regex;
	char **rx_names;	/* named groups, in order */
	size_t rx_nnames;
};

struct sml_fillnull {
	json_t *fn_value;	/* default 0 */
	char **fn_fields;	/* none: every field seen so far */
	size_t fn_n;
};

struct sml_replace {
	char **rp_old;		/* wildcard patterns */
	char **rp_new;
	size_t rp_n;
	char **rp_fields;	/* none: every field */
	size_t rp_nfields;
};

/* regex "<re>", regex <field>=~"<re>" (or =), regex <field>!="<re>" */
struct sml_regex {
	char *re_field;		/* NULL: _raw, the event's JSON text */
	char *re_regex;
	int re_negate;		/* !=: keeps the events not matching */
};

/* What lookup sets from a matching row (lk_mode). */
enum sml_lookup_mode {
	SML_LOOKUP_ALL,		/* every column but the matched ones */
	SML_LOOKUP_OUTPUT,	/* the OUTPUT columns, replacing */
	SML_LOOKUP_OUTPUTNEW,	/* the OUTPUTNEW columns, where absent */
};

/*
 * lookup NAME col [AS field][, col2 [AS field2]...]
 *     [OUTPUT|OUTPUTNEW col [AS field][, ...]]
 */
struct sml_lookup {
	char *lk_name;		/* the table, a valid lookup name */
	char **lk_cols;		/* the columns matched ... */
	char **lk_fields;	/* ... against these event fields */
	size_t lk_n;
	enum sml_lookup_mode lk_mode;
	char **lk_out_cols;	/* OUTPUT(NEW): the columns set ... */
	char **lk_out_fields;	/* ... as these fields */
	size_t lk_nout;
};

/* inputlookup NAME, outputlookup NAME */
struct sml_lookup_table {
	char *lt_name;		/* a valid lookup name */
};

/* mvexpand <field> [limit=<n>] */
struct sml_mvexpand {
	char *mx_field;
	int64_t mx_limit;	/* 0: every value */
};

/* makemv [delim="<text>"|tokenizer="<regex>"] [allowempty=<bool>] <field> */
struct sml_makemv {
	char *mm_field;
	char *mm_delim;		/* the separator (" " by default) */
	char *mm_tokenizer;	/* or this regex (mm_delim NULL), or NULL */
	int mm_allowempty;	/* keep empty values */
};

/* nomv <field> */
struct sml_nomv {
	char *nm_field;
};

/* iplocation [prefix=<string>] [allfields=<bool>] <field> */
struct sml_iplocation {
	char *il_field;
	char *il_prefix;	/* before each added name, or NULL */
	int il_all;		/* allfields=true */
};

/* A step of a spath path: a key, {N} or {}. */
enum sml_pstep_kind {
	SML_PSTEP_KEY,		/* ps_key of an object */
	SML_PSTEP_INDEX,	/* element ps_index (from 0) of an array */
	SML_PSTEP_ALL,		/* every element of an array */
};

struct sml_pstep {
	enum sml_pstep_kind ps_kind;
	char *ps_key;
	size_t ps_index;
};

/* spath [input=<f>] [output=<f>] [path=<p> | <p>] */
struct sml_spath {
	char *pt_input;		/* NULL: _raw, the event itself */
	char *pt_output;	/* NULL: the path names the field */
	char *pt_path;		/* as written; NULL: every leaf */
	struct sml_pstep *pt_steps;
	size_t pt_nsteps;
	int pt_multi;		/* a {} step: the value is an array */
};

/*
 * chart [limit=] [useother=] [usenull=] [nullstr=] [otherstr=] <agg>[, ...]
 *     [OVER row] [BY col] | [BY row[,] col]
 */
struct sml_chart {
	struct agg *ch_aggs;
	size_t ch_naggs;
	char *ch_row;		/* NULL: one row */
	char *ch_col;		/* NULL: no column split */
	int64_t ch_limit;	/* columns kept, default 10; 0: all */
	int ch_useother;	/* default 1: the rest in one column */
	int ch_usenull;		/* default 1: no column value, a column */
	char *ch_nullstr;	/* NULL: "NULL" */
	char *ch_otherstr;	/* NULL: "OTHER" */
};

/* xyseries <x> <y-name> <y-data>[, ...] and untable <x> <name> <value> */
struct sml_xyseries {
	char *xy_x;
	char *xy_y;
	char **xy_data;		/* untable: exactly one, the value field */
	size_t xy_ndata;
};

/* appendpipe [ <subpipeline> ] */
struct sml_appendpipe {
	struct sml_query *apn_sub;	/* commands without a first one */
};

#endif
