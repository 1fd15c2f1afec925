/* parse.h - the parser API that the parser of each command (cmd/) uses. */
#ifndef AR_SML_PARSE_H
#define AR_SML_PARSE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "sml/lexer.h"
#include "sml/sml.h"

/*
 * A command's parser gets the parser with the command's name as the current
 * token and the zeroed command to fill. It reads its arguments with the
 * primitives below and returns 0 with the current token at '|' or the end
 * of the query (sml_end()), or -1 with the error reported (sml_fail() and
 * friends: the message and its line and column are what the user sees).
 * What it stored in the command is owned by the query, also on failure:
 * sml_query_free() calls the command's clear function.
 */

/* Characters of query text quoted back in a message ("unknown command"). */
#define SML_QUOTE_MAX			48
/* Room for a quoted piece: SML_QUOTE_MAX characters of 4 bytes, "...". */
#define SML_QUOTE_BUF			(SML_QUOTE_MAX * 4 + 4)
/* Room for a token named in a message: a quoted piece in quotes. */
#define SML_NAME_BUF			(SML_QUOTE_BUF + 3)
/* Flags of sml_name(). */
#define SML_NAME_WILD	0x1	/* '*' wildcards allowed, a lone '*' too */

/* Bits of the parameters a command has seen, for duplicates. */
#define SML_SEEN_A	0x01
#define SML_SEEN_B	0x02
#define SML_SEEN_C	0x04
#define SML_SEEN_D	0x08
#define SML_SEEN_BY	0x10

/* The state of one sml_parse() or sml_parse_cond() call. */
struct sml_parser {
	const char *sp_text;
	size_t sp_len;
	struct lexer sp_lx;
	struct lex_token sp_tok;	/* the current token, not yet consumed */
	struct lex_token sp_prev;	/* the last consumed token */
	size_t sp_end;			/* end of the last consumed token */
	int64_t sp_max_qsize;
	size_t sp_cmd_cap;
	int sp_depth;			/* nesting being parsed, SML_MAX_DEPTH */
	int sp_in_source;		/* parsing the inline condition of source */
	struct sml_query *sp_q;
	struct sml_error *sp_err;
	char sp_reason[200];		/* the last error, without its place */
	size_t sp_err_off;		/* and its byte offset */
	int sp_nofirst;			/* a subpipeline: no first command */
};

/* Makes room for element n of arr (see sml_room()). Returns 0 or -1. */
#define SML_ROOM(p, arr, n) sml_room((p), &(arr), (n), sizeof(*(arr)))

/* ---- Errors, reported with their place ---- */

/*
 * Records the reason (printf-style) and byte offset off of an error, and
 * fills the caller's error with the reason followed by " at line L,
 * column C", the line, the column and the character position. Returns -1.
 */
int sml_fail(struct sml_parser *p, size_t off, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Reports running out of memory (at the start of the query). Returns -1. */
int sml_fail_nomem(struct sml_parser *p);

/*
 * Writes the text of token t into dst (SML_QUOTE_BUF bytes) for quoting in a
 * message: at most SML_QUOTE_MAX characters, cut at a character boundary and
 * followed by "..." when longer. Returns dst.
 */
const char *sml_quote(const struct sml_parser *p, const struct lex_token *t,
    char *dst);

/*
 * Writes how a message names token t into dst (SML_NAME_BUF bytes): its
 * text in single quotes, strings and quoted names as written, or "the end
 * of the query". Returns dst.
 */
const char *sml_tokname(const struct sml_parser *p, const struct lex_token *t,
    char *dst);

/*
 * Reports that what was expected at the current token, after the last
 * consumed one: "expected a field name after ','". Returns -1.
 */
int sml_fail_expected(struct sml_parser *p, const char *what);

/* Reports the current token as junk: "unexpected ',' after 'x'". Returns -1. */
int sml_fail_unexpected(struct sml_parser *p);

/* ---- Tokens ---- */

/* Consumes the current token and reads the next. Returns 0 or -1. */
int sml_next(struct sml_parser *p);

/*
 * Consumes the current token and reads the next as a value (see
 * lex_value(): an unquoted run up to white space or , | [ ] ( ) = < > ! " '
 * is one word). Search conditions and parameter values are read this way.
 * Returns 0 or -1.
 */
int sml_next_value(struct sml_parser *p);

/*
 * Consumes the current item of a comma-separated list read as values and
 * the comma after it. Returns 1 with the next item current, 0 at the end
 * of the list (the token after the item current), or -1.
 */
int sml_next_item_value(struct sml_parser *p);

/*
 * Returns 1 when the token after the current one is of kind k. A lexical
 * error there answers 0: it is reported when that token is read.
 */
int sml_peek_is(struct sml_parser *p, enum lex_kind k);

/* Returns 1 when the current token starts a key=value parameter. */
int sml_at_param(struct sml_parser *p);

/* Returns 1 when the current token is '|' or the end of the query. */
int sml_at_end(const struct sml_parser *p);

/* Ends a command: 0 at '|' or the end, else reports junk. */
int sml_end(struct sml_parser *p);

/* Returns 1 when the current token is the word w in any case. */
int sml_at_word_ci(const struct sml_parser *p, const char *w);

/* Returns 1 when the current token is the parameter key key (exact case). */
int sml_at_key(const struct sml_parser *p, const char *key);

/* ---- Values and arrays ---- */

/* Returns a copy of the current token's value, or NULL (reported). */
char *sml_copy(struct sml_parser *p);

/*
 * Makes room for element n of the array at arrp (a pointer to the array
 * pointer) of elements of size sz, growing it at 0, 4, 8, 16...
 * Returns 0, or -1 (reported) with the array left as it was.
 */
int sml_room(struct sml_parser *p, void *arrp, size_t n, size_t sz);

/* Appends s to the string array *arr of *n; frees s on failure. */
int sml_push_str(struct sml_parser *p, char ***arr, size_t *n, char *s);

/* Frees the n strings of v and v itself (NULL: nothing). */
void sml_strs_free(char **v, size_t n);

/*
 * Parses all of s as a decimal integer (optional '-', digits) into *out.
 * Returns 0, or -1 when s is not one or it is outside [min, max].
 */
int sml_int(const char *s, int64_t min, int64_t max, int64_t *out);

/*
 * Returns a new JSON number for the decimal text s: an integer when the
 * text is integral and fits, else a real. NULL when s is no number or out
 * of range (*range set), or out of memory.
 */
json_t *sml_json_number(const char *s, int *range);

/* Returns 1 when the NUL-terminated s is valid UTF-8. */
int sml_utf8_ok(const char *s);

/* ---- Field names ---- */

/* Returns 1 when the current token can start a field name in a list. */
int sml_at_name(struct sml_parser *p, int flags);

/*
 * Reads the field name at the current token into *out, a copy the caller
 * frees: a word or a 'quoted name', with SML_NAME_WILD also '*' and words
 * holding '*'. Does not advance. Returns 0, or -1 with the error reported
 * ("expected a field name after 'BY'").
 */
int sml_name(struct sml_parser *p, int flags, char **out);

/*
 * Reads a list of field names from the current token into *arr (*n of
 * them), separated by ',' or white space, up to the first token that is no
 * name. Returns 0, or -1 with the error reported.
 */
int sml_names(struct sml_parser *p, int flags, char ***arr, size_t *n);

/*
 * Reads a BY clause (the current token is BY) into *arr and *n; a second one is
 * an error. Returns 0 or -1.
 */
int sml_by(struct sml_parser *p, unsigned *seen, char ***arr, size_t *n);

/* ---- Parameters (key=value) ---- */

/*
 * Reads the value of the parameter whose key is the current token (followed
 * by '='): on return the current token is the value, which must be a word or
 * a string. Returns a copy of its text that the caller frees, or NULL with
 * the error reported ("expected a value after 'qsize='").
 */
char *sml_param_value(struct sml_parser *p, const char *key);

/* Reports a second use of the parameter at the current token. */
int sml_param_once(struct sml_parser *p, unsigned *seen, unsigned bit,
    const char *cmd);

/* Reports the parameter at the current token as unknown. Returns -1. */
int sml_param_unknown(struct sml_parser *p, const char *cmd);

/* Reads key=true|false (any case) into *out; the value stays current. */
int sml_param_bool(struct sml_parser *p, const char *key, int *out);

/*
 * Reads key=<integer >= min> into *out; the value stays current. what
 * names the range in the message ("a positive integer").
 */
int sml_param_int(struct sml_parser *p, const char *key, int64_t min,
    const char *what, int64_t *out);

/*
 * Reads the parameter at the current token of cmd, whose only parameter is
 * span= (sml_param_span() with ms, months and num), once (SML_SEEN_A of
 * *seen). Returns 0 with the token after the value current, or -1.
 */
int sml_param_span_only(struct sml_parser *p, const char *cmd, unsigned *seen,
    int64_t *ms, int *months, double *num);

/*
 * Reads key=<n><unit> (units s m h d w: a duration) into *ms; the value
 * stays current. Returns 0 or -1 ("maxspan must be ...").
 */
int sml_param_duration(struct sml_parser *p, const char *key, int64_t *ms);

/*
 * Reads key="<search condition>" (a quoted string) into *out, a new tree
 * the caller frees with sml_cond_free(); an error inside the string is
 * reported at its place in the query. The value stays current. Returns 0
 * or -1.
 */
int sml_param_cond(struct sml_parser *p, const char *key, struct cond **out);

/*
 * Parses a subsearch: the current token is '['; the query up to the
 * matching ']' is parsed as a whole query (errors at their place in the
 * outer text) into *out, which the caller frees with sml_query_free().
 * Leaves the token after ']' current. Returns 0 or -1.
 */
int sml_subsearch(struct sml_parser *p, struct sml_query **out);

/* ---- Regular expressions, search conditions, expressions ---- */

/*
 * Compiles the regular expression re (n bytes) the way the value layer will
 * (PCRE2, PCRE2_UTF) so that a syntax error is reported at parse time, at
 * its place inside the double-quoted string at byte offset str_off. With
 * names != NULL also stores the named groups, in the order they appear,
 * into *names and *nnames (which the caller frees even on failure); none is an
 * error. Returns 0 or -1.
 */
int sml_check_regex(struct sml_parser *p, const char *re, size_t n,
    size_t str_off, char ***names, size_t *nnames);

/* Returns 1 when the current token can start a search condition. */
int sml_at_term(const struct sml_parser *p);

/*
 * Parses the search condition starting at the current token (read as a
 * value), up to the first token that cannot continue it. Returns a new
 * tree that the caller frees with sml_cond_free(), or NULL with the error
 * reported.
 */
struct cond *sml_cond(struct sml_parser *p);

/*
 * Parses an operand: a literal, a field, a call or a parenthesized
 * expression. *h receives the height of its tree. Returns a new tree that
 * the caller frees with sml_expr_free(), or NULL with the error reported.
 */
struct expr *sml_ex_primary(struct sml_parser *p, int *h);

/*
 * Parses an expression at the current token. Returns a new tree that the
 * caller frees with sml_expr_free(), or NULL with the error reported.
 */
struct expr *sml_expr(struct sml_parser *p);

/* ---- What several commands share ---- */

/*
 * Reads the optional count at the current token (a number) of dedup, top
 * and rare into *out: an integer >= min. Returns 0 (1 in *seen when there
 * was one) or -1.
 */
int sml_count_arg(struct sml_parser *p, const char *cmd, int64_t min,
    int64_t *out, int *seen);

/* Returns 1 when the current token can start an aggregation. */
int sml_at_agg(struct sml_parser *p);

/*
 * Parses a list of aggregations, separated by ',' or white space, at the
 * current token into *arr and *n. Returns 0 or -1.
 */
int sml_aggs(struct sml_parser *p, struct agg **arr, size_t *n);

/*
 * Reads the rest of head or tail, [n] (default 10), into c->sc_u.head.
 * Returns 0 with the current token at '|' or the end, or -1 with the error
 * reported.
 */
int sml_head_count(struct sml_parser *p, struct sml_command *c);

/*
 * Reads the rest of a command as a list of field names, at least one,
 * separated by ',' or white space, into *arr and *n (fields, table).
 * Returns 0 with the current token at '|' or the end, or -1 with the error
 * reported.
 */
int sml_names_to_end(struct sml_parser *p, int flags, char ***arr, size_t *n);

/*
 * Reads the rest of stats, aggs, eventstats or streamstats, <agg>[,
 * <agg>...] [BY f1, f2...], into c->sc_u.stats. param, when not NULL, reads
 * a parameter of the command (the current token is its key; streamstats),
 * before or after the aggregations; without it a parameter is unknown.
 * Returns 0 with the current token at '|' or the end, or -1 with the error
 * reported.
 */
int sml_stats_args(struct sml_parser *p, struct sml_command *c,
    int (*param)(struct sml_parser *, struct sml_command *, unsigned *));
/* Frees what sml_stats_args() stored in c (not c itself). */
void sml_stats_clear(struct sml_command *c);

/*
 * ---- The commands: one file each, cmd/<name>.c, and a row in the table
 * of commands.c ----
 *
 * cmd_<name>_parse() parses the command at its name into c (see the top of
 * this file); cmd_<name>_clear() frees what the parse stored in c, not c
 * itself (NULL in the table when there is nothing to free).
 */
int cmd_source_parse(struct sml_parser *, struct sml_command *);
void cmd_source_clear(struct sml_command *);
int cmd_makeresults_parse(struct sml_parser *, struct sml_command *);
int cmd_search_parse(struct sml_parser *, struct sml_command *);
void cmd_search_clear(struct sml_command *);
int cmd_where_parse(struct sml_parser *, struct sml_command *);
void cmd_where_clear(struct sml_command *);
int cmd_eval_parse(struct sml_parser *, struct sml_command *);
void cmd_eval_clear(struct sml_command *);
int cmd_head_parse(struct sml_parser *, struct sml_command *);
int cmd_tail_parse(struct sml_parser *, struct sml_command *);
int cmd_dedup_parse(struct sml_parser *, struct sml_command *);
void cmd_dedup_clear(struct sml_command *);
int cmd_transaction_parse(struct sml_parser *, struct sml_command *);
void cmd_transaction_clear(struct sml_command *);
int cmd_join_parse(struct sml_parser *, struct sml_command *);
void cmd_join_clear(struct sml_command *);
int cmd_append_parse(struct sml_parser *, struct sml_command *);
void cmd_append_clear(struct sml_command *);
int cmd_fields_parse(struct sml_parser *, struct sml_command *);
void cmd_fields_clear(struct sml_command *);
int cmd_table_parse(struct sml_parser *, struct sml_command *);
void cmd_table_clear(struct sml_command *);
int cmd_rename_parse(struct sml_parser *, struct sml_command *);
void cmd_rename_clear(struct sml_command *);
int cmd_fillnull_parse(struct sml_parser *, struct sml_command *);
void cmd_fillnull_clear(struct sml_command *);
int cmd_replace_parse(struct sml_parser *, struct sml_command *);
void cmd_replace_clear(struct sml_command *);
int cmd_rex_parse(struct sml_parser *, struct sml_command *);
void cmd_rex_clear(struct sml_command *);
int cmd_bin_parse(struct sml_parser *, struct sml_command *);
void cmd_bin_clear(struct sml_command *);
int cmd_sort_parse(struct sml_parser *, struct sml_command *);
void cmd_sort_clear(struct sml_command *);
int cmd_top_parse(struct sml_parser *, struct sml_command *);
void cmd_top_clear(struct sml_command *);
int cmd_timechart_parse(struct sml_parser *, struct sml_command *);
void cmd_timechart_clear(struct sml_command *);
int cmd_stats_parse(struct sml_parser *, struct sml_command *);
void cmd_stats_clear(struct sml_command *);
int cmd_eventstats_parse(struct sml_parser *, struct sml_command *);
void cmd_eventstats_clear(struct sml_command *);
int cmd_streamstats_parse(struct sml_parser *, struct sml_command *);
void cmd_streamstats_clear(struct sml_command *);
int cmd_regex_parse(struct sml_parser *, struct sml_command *);
void cmd_regex_clear(struct sml_command *);
int cmd_lookup_parse(struct sml_parser *, struct sml_command *);
void cmd_lookup_clear(struct sml_command *);
int cmd_inputlookup_parse(struct sml_parser *, struct sml_command *);
int cmd_outputlookup_parse(struct sml_parser *, struct sml_command *);
void cmd_lookup_table_clear(struct sml_command *);
int cmd_mvexpand_parse(struct sml_parser *, struct sml_command *);
void cmd_mvexpand_clear(struct sml_command *);
int cmd_makemv_parse(struct sml_parser *, struct sml_command *);
void cmd_makemv_clear(struct sml_command *);
int cmd_nomv_parse(struct sml_parser *, struct sml_command *);
void cmd_nomv_clear(struct sml_command *);
int cmd_spath_parse(struct sml_parser *, struct sml_command *);
void cmd_spath_clear(struct sml_command *);
int cmd_iplocation_parse(struct sml_parser *, struct sml_command *);
void cmd_iplocation_clear(struct sml_command *);
int cmd_chart_parse(struct sml_parser *, struct sml_command *);
void cmd_chart_clear(struct sml_command *);
int cmd_xyseries_parse(struct sml_parser *, struct sml_command *);
void cmd_xyseries_clear(struct sml_command *);
int cmd_untable_parse(struct sml_parser *, struct sml_command *);
int cmd_appendpipe_parse(struct sml_parser *, struct sml_command *);
void cmd_appendpipe_clear(struct sml_command *);

/*
 * Parses a subpipeline: the current token is '['; the commands up to the
 * matching ']' (none of them a first command such as source) are parsed
 * into *out (errors at their place in the outer text), which the caller
 * frees with sml_query_free(). Leaves the token after ']' current.
 * Returns 0 or -1.
 */
int sml_subpipeline(struct sml_parser *p, struct sml_query **out);

/*
 * Reads the fields of xyseries or untable (the current token is the
 * command's name), separated by ',' or white space, at least three and at
 * most max, into c->sc_u.xyseries (cmd/xyseries.c). Returns 0 with the
 * current token at '|' or the end, or -1 with the error reported.
 */
int sml_xy_fields(struct sml_parser *p, struct sml_command *c, size_t max);

#endif
