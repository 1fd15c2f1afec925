/* sml.h - the SML query language: parse tree and the streaming executor. */
#ifndef AR_SML_H
#define AR_SML_H

#include <stddef.h>
#include <stdint.h>

#include "sml/ast.h"

struct evstore;

/* A syntax or semantic error with its place in the query text. */
struct sml_error {
	char se_msg[256];	/* "expected ')' at line 1, column 31" style */
	int se_line;		/* 1-based */
	int se_column;		/* 1-based, in characters */
	size_t se_position;	/* 0-based character offset */
};

/* limits.max_qsize when the caller passes no limits (the default). */
#define SML_DEFAULT_MAX_QSIZE	10000000

/* Bounds the parser enforces (values come from the configuration). */
struct sml_limits {
	int64_t sl_max_qsize;		/* limits.max_qsize */
	size_t sl_max_query_bytes;	/* limits.max_query_bytes */
};

/*
 * Bounds the executor enforces (from the configuration), and the settings
 * it needs; sml_ctx.sx_limits points to one.
 */
struct sml_run_limits {
	int64_t rl_sort_limit;		/* sme.core.sort_limit */
	int64_t rl_list_limit;		/* sme.core.list_limit */
	int64_t rl_max_groups;		/* limits.max_groups */
	uint64_t rl_max_memory;		/* limits.max_memory_bytes */
	int64_t rl_timeline_buckets;	/* stats.timeline_max_buckets */
	int64_t rl_max_qsize;		/* limits.max_qsize: source's cap */
	uint32_t rl_regex_match_limit;	/* limits.regex_match_limit (0: the
					 * default, 10000000) */
	uint32_t rl_regex_depth_limit;	/* limits.regex_depth_limit (0: the
					 * default, 1000000) */
	uint64_t rl_max_lookup_bytes;	/* limits.max_lookup_bytes (0: the
					 * default, 64 MiB) */
	uint64_t rl_max_lookup_rows;	/* limits.max_lookup_rows (0: the
					 * default, 1000000) */
	int64_t rl_max_subsearch;	/* limits.max_subsearch_results (0:
					 * the default, 10000) */
	const char *rl_geoip_v4;	/* geoip.database (borrowed) */
	const char *rl_geoip_v6;	/* geoip.database_v6 (borrowed) */
};

struct config;
/*
 * Fills the parser's and the executor's bounds from the configuration (the
 * runner's executor and `asyncreq query` use the same). Either may be NULL.
 */
void sml_limits_from_config(const struct config *cfg, struct sml_limits *pl,
    struct sml_run_limits *rl);

enum sml_cmd_kind {
	SML_CMD_SOURCE,
	SML_CMD_MAKERESULTS,
	SML_CMD_SEARCH,		/* sc_u.search */
	SML_CMD_WHERE,		/* sc_u.where */
	SML_CMD_EVAL,		/* sc_u.eval */
	SML_CMD_FIELDS,		/* sc_u.fields */
	SML_CMD_TABLE,		/* sc_u.fields (fl_remove 0) */
	SML_CMD_RENAME,		/* sc_u.rename */
	SML_CMD_SORT,		/* sc_u.sort */
	SML_CMD_HEAD,		/* sc_u.head */
	SML_CMD_TAIL,		/* sc_u.head */
	SML_CMD_DEDUP,		/* sc_u.dedup */
	SML_CMD_STATS,		/* sc_u.stats (also "aggs") */
	SML_CMD_EVENTSTATS,	/* sc_u.stats */
	SML_CMD_STREAMSTATS,	/* sc_u.stats */
	SML_CMD_TOP,		/* sc_u.top */
	SML_CMD_RARE,		/* sc_u.top */
	SML_CMD_TIMECHART,	/* sc_u.timechart */
	SML_CMD_BIN,		/* sc_u.bin */
	SML_CMD_REX,		/* sc_u.rex */
	SML_CMD_FILLNULL,	/* sc_u.fillnull */
	SML_CMD_REPLACE,	/* sc_u.replace */
	SML_CMD_TRANSACTION,	/* sc_u.transaction */
	SML_CMD_JOIN,		/* sc_u.join */
	SML_CMD_APPEND,		/* sc_u.append */
	SML_CMD_REGEX,		/* sc_u.regex */
	SML_CMD_LOOKUP,		/* sc_u.lookup */
	SML_CMD_INPUTLOOKUP,	/* sc_u.lookup_table */
	SML_CMD_OUTPUTLOOKUP,	/* sc_u.lookup_table */
	SML_CMD_MVEXPAND,	/* sc_u.mvexpand */
	SML_CMD_MAKEMV,		/* sc_u.makemv */
	SML_CMD_NOMV,		/* sc_u.nomv */
	SML_CMD_SPATH,		/* sc_u.spath */
	SML_CMD_IPLOCATION,	/* sc_u.iplocation */
	SML_CMD_CHART,		/* sc_u.chart */
	SML_CMD_XYSERIES,	/* sc_u.xyseries */
	SML_CMD_UNTABLE,	/* sc_u.xyseries (one data field) */
	SML_CMD_APPENDPIPE,	/* sc_u.appendpipe */
};

/* source <pattern>[,<pattern>...] [qsize=n] [earliest=t] [latest=t] */
struct sml_source {
	char **ss_patterns;	/* index patterns, '*' wildcards */
	size_t ss_npatterns;
	int64_t ss_qsize;	/* -1 when not given */
	char *ss_earliest;	/* date math text, NULL when not given */
	char *ss_latest;
	struct cond *ss_cond;	/* inline condition, NULL when none */
};

/* makeresults [count=n] [shownumbers=bool] */
struct sml_makeresults {
	int64_t sm_count;	/* default 1 */
	int sm_shownumbers;	/* default 0 */
};

struct sml_command {
	enum sml_cmd_kind sc_kind;
	const char *sc_name;	/* static: the command name ("stats", "aggs") */
	size_t sc_off;		/* byte offset of the command in the query */
	size_t sc_len;		/* byte length of its text, trimmed */
	union {
		struct sml_source source;
		struct sml_makeresults makeresults;
		struct sml_search search;
		struct sml_where where;
		struct sml_eval eval;
		struct sml_fields fields;
		struct sml_rename rename;
		struct sml_sort sort;
		struct sml_head head;
		struct sml_dedup dedup;
		struct sml_stats stats;
		struct sml_top top;
		struct sml_timechart timechart;
		struct sml_bin bin;
		struct sml_rex rex;
		struct sml_fillnull fillnull;
		struct sml_replace replace;
		struct sml_transaction transaction;
		struct sml_join join;
		struct sml_append append;
		struct sml_regex regex;
		struct sml_lookup lookup;
		struct sml_lookup_table lookup_table;
		struct sml_mvexpand mvexpand;
		struct sml_makemv makemv;
		struct sml_nomv nomv;
		struct sml_spath spath;
		struct sml_iplocation iplocation;
		struct sml_chart chart;
		struct sml_xyseries xyseries;
		struct sml_appendpipe appendpipe;
	} sc_u;
};

struct sml_query {
	struct sml_command *sq_cmds;
	size_t sq_ncmds;
	char *sq_text;		/* copy of the query text */
};

/*
 * Parses len bytes of text. Returns 0 and a query in *out that the caller
 * frees with sml_query_free(), or -1 and fills err. A query of only white
 * space/comments is an error ("empty query"), and so is an unknown command
 * name, or a first command other than source or makeresults.
 */
int sml_parse(const char *text, size_t len, const struct sml_limits *lim,
    struct sml_query **out, struct sml_error *err);
void sml_query_free(struct sml_query *);

/*
 * Parses len bytes of text as a search condition, the syntax of `search`
 * (for searchmatch(), whose literal argument sml_parse() has already
 * checked). Returns 0 and the condition in *out, which the caller frees
 * with sml_cond_free(), or -1 and fills err, its place counted in text.
 */
int sml_parse_cond(const char *text, size_t len, struct cond **out,
    struct sml_error *err);

/* Task log levels used by sml_ctx.log. */
enum sml_log_level { SML_LOG_DEBUG, SML_LOG_INFO, SML_LOG_WARN, SML_LOG_ERROR };

/*
 * What the executor needs from its caller (the runner's executor process, or
 * the `asyncreq query` command). Callbacks return 0 to go on; nonzero stops.
 */
struct sml_ctx {
	struct evstore *sx_events;	/* may be NULL for makeresults only */
	int64_t sx_now;			/* the task's fixed now, ms */
	int64_t sx_range_start;		/* inclusive, ms */
	int64_t sx_range_end;		/* exclusive, ms */
	const char *sx_dt_field;	/* the task's dtFieldName */
	const struct sml_run_limits *sx_limits;	/* NULL: defaults */
	void *sx_arg;
	/* One result: JSON object text, len bytes. Nonzero: stop (error). */
	int (*sx_emit)(void *arg, const char *json, size_t len);
	/*
	 * Optional, used instead of sx_emit when set: the same, with the
	 * index the result was read from (borrowed for the call; NULL for a
	 * row a command built), which the sidebar reports as _index.
	 */
	int (*sx_emit_index)(void *arg, const char *json, size_t len,
	    const char *index);
	/* One task log line. */
	void (*sx_log)(void *arg, enum sml_log_level, const char *msg);
	/*
	 * Called at least every 1000 events and every 50 ms with the events
	 * scanned so far and a progress in [0, 1]. Nonzero: stop (cancel).
	 */
	int (*sx_poll)(void *arg, uint64_t scanned, double progress);
	/*
	 * Optional: called with the time of each event the search part of
	 * the query matched (the events that reach the first transforming
	 * command: stats, top, rare, timechart; or the results when there is
	 * none). Feeds the timeline.
	 */
	void (*sx_match)(void *arg, int64_t time_ms);
	/*
	 * Optional: returns 1 when the task's owner may read index, else 0.
	 * source expands its patterns only to readable indices, so a pattern
	 * naming only forbidden ones answers like one naming none. NULL: all.
	 */
	int (*sx_may_read)(void *arg, const char *index);
	/*
	 * Optional (NULL: lookup, inputlookup and outputlookup fail), with
	 * sx_lookup_arg (store/lookups.h has both for the store): reads
	 * lookup table name for the task's owner (their own, else a shared
	 * one), at most max_bytes. Returns 0 and its CSV text in *data
	 * (malloc'd; the run frees it) and *len, or -1 with the reason in
	 * err (errlen bytes).
	 */
	int (*sx_lookup_get)(void *arg, const char *name, uint64_t max_bytes,
	    char **data, size_t *len, char *err, size_t errlen);
	/*
	 * Optional, the same: stores len bytes of CSV as the owner's table
	 * name, replacing one of that name (outputlookup). 0, or -1 with
	 * the reason in err.
	 */
	int (*sx_lookup_put)(void *arg, const char *name, const char *data,
	    size_t len, char *err, size_t errlen);
	void *sx_lookup_arg;
	/* Optional: filled by sml_run with what each command cost. */
	struct sml_cost *sx_cost;
};

/* What one command cost (the source is the first). */
struct sml_cmd_cost {
	const char *cc_name;	/* static */
	size_t cc_off;		/* its text in the query */
	size_t cc_len;
	double cc_ms;		/* time in this command alone */
	uint64_t cc_in;		/* events in and out */
	uint64_t cc_out;
	uint64_t cc_bytes;	/* bytes of events read (source) */
	uint64_t cc_peak_mem;	/* largest memory held (blocking commands) */
};

/* Events scanned per index matched by a source pattern. */
struct sml_index_cost {
	char *ic_pattern;
	char *ic_index;
	uint64_t ic_scanned;
};

/* The cost of a run; sml_cost_free releases what sml_run put in it. */
struct sml_cost {
	struct sml_cmd_cost *co_cmds;
	size_t co_ncmds;
	struct sml_index_cost *co_indices;
	size_t co_nindices;
	double co_total_ms;
};
void sml_cost_free(struct sml_cost *);

enum sml_run_result { SML_RUN_DONE = 0, SML_RUN_STOPPED = 1, SML_RUN_ERROR = -1 };

/*
 * Runs q. Returns SML_RUN_DONE when the query finished, SML_RUN_STOPPED when
 * sx_poll or sx_emit asked to stop, or SML_RUN_ERROR with a reason in err.
 * *scanned receives the number of events read from the store.
 */
enum sml_run_result sml_run(const struct sml_query *q, struct sml_ctx *ctx,
    uint64_t *scanned, char *err, size_t errlen);

#endif
