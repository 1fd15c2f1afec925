/* parser.c - SML parser: query text to a struct sml_query, or a located error. */
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "common/util.h"
#include "sml/commands.h"
#include "sml/lexer.h"
#include "sml/parse.h"
#include "sml/sml.h"

/* Bound used when the caller passes no limits (the configuration default). */
#define SML_DEFAULT_MAX_QUERY_BYTES	65536
/*
 * Deepest expression or condition tree, in levels of nodes, and deepest
 * nesting of parentheses, calls, IN lists, NOT and unary minus: bounds the
 * parser's recursion and that of everything that walks the tree later.
 */
#define SML_MAX_DEPTH			LEX_MAX_DEPTH
/* Most units in a span: 10^8 years still fit an int of months. */
#define SML_MAX_SPAN			100000000

/* Number of elements of array a. */
#define SML_NITEMS(a)	(sizeof(a) / sizeof((a)[0]))

static struct expr *sml_ex_or(struct sml_parser *, int *);
static struct cond *sml_cd_list(struct sml_parser *, int, int *);

/*
 * Returns the element count to grow an array of cap elements of size sz to
 * (doubling, from 4), or 0 when that would overflow.
 */
static size_t
sml_grow_cap(size_t cap, size_t sz)
{
	size_t n = cap == 0 ? 4 : cap * 2;

	return n > SIZE_MAX / sz / 2 ? 0 : n;
}

/*
 * Replaces, in place, each byte of the NUL-terminated s that is not part of
 * valid UTF-8, and each control character, with '?', so that messages are
 * safe to put in JSON and log lines whatever the query held.
 */
static void
sml_sanitize(char *s)
{
	unsigned char *u = (unsigned char *)s;
	size_t n = strlen(s), i = 0, k;

	while (i < n) {
		k = util_utf8_seq((const char *)u + i, n - i);
		if (k == 0 || (k == 1 && (u[i] < 0x20 || u[i] == 0x7f))) {
			u[i++] = '?';
			continue;
		}
		i += k;
	}
}

/*
 * Records the reason (printf-style) and byte offset off of an error, and
 * fills the caller's error with the reason followed by " at line L,
 * column C", the line, the column and the character position. Returns -1.
 */
int __attribute__((format(printf, 3, 4)))
sml_fail(struct sml_parser *p, size_t off, const char *fmt, ...)
{
	struct sml_error *err = p->sp_err;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(p->sp_reason, sizeof(p->sp_reason), fmt, ap);
	va_end(ap);
	sml_sanitize(p->sp_reason);
	p->sp_err_off = off;
	lex_locate(p->sp_text, p->sp_len, off, &err->se_line, &err->se_column,
	    &err->se_position);
	snprintf(err->se_msg, sizeof(err->se_msg), "%s at line %d, column %d",
	    p->sp_reason, err->se_line, err->se_column);
	sml_sanitize(err->se_msg);
	return -1;
}

/* Reports the lexer's pending error. Returns -1. */
static int
sml_fail_lex(struct sml_parser *p)
{
	return sml_fail(p, p->sp_lx.lx_err_off, "%s", p->sp_lx.lx_err);
}

/* Reports running out of memory (at the start of the query). Returns -1. */
int
sml_fail_nomem(struct sml_parser *p)
{
	return sml_fail(p, 0, "out of memory while parsing the query");
}

/*
 * Writes the text of token t into dst (SML_QUOTE_BUF bytes) for quoting in a
 * message: at most SML_QUOTE_MAX characters, cut at a character boundary and
 * followed by "..." when longer. Returns dst.
 */
const char *
sml_quote(const struct sml_parser *p, const struct lex_token *t, char *dst)
{
	const unsigned char *s = (const unsigned char *)p->sp_text + t->lt_off;
	size_t n = t->lt_len, i = 0, chars = 0, k;

	while (i < n && chars < SML_QUOTE_MAX) {
		k = util_utf8_seq((const char *)s + i, n - i);
		i += k > 0 ? k : 1;
		chars++;
	}
	memcpy(dst, s, i);
	strcpy(dst + i, i < n ? "..." : "");
	return dst;
}

/*
 * Writes how a message names token t into dst (SML_NAME_BUF bytes): its
 * text in single quotes, strings and quoted names as written, or "the end
 * of the query". Returns dst.
 */
const char *
sml_tokname(const struct sml_parser *p, const struct lex_token *t, char *dst)
{
	char q[SML_QUOTE_BUF];

	if (t->lt_kind == LEX_EOF)
		snprintf(dst, SML_NAME_BUF, "the end of the query");
	else if (t->lt_kind == LEX_STRING || t->lt_kind == LEX_QNAME)
		snprintf(dst, SML_NAME_BUF, "%s", sml_quote(p, t, q));
	else
		snprintf(dst, SML_NAME_BUF, "'%s'", sml_quote(p, t, q));
	return dst;
}

/*
 * Reports that what was expected at the current token, after the last
 * consumed one: "expected a field name after ','". Returns -1.
 */
int
sml_fail_expected(struct sml_parser *p, const char *what)
{
	char a[SML_NAME_BUF];

	return sml_fail(p, p->sp_tok.lt_off, "expected %s after %s", what,
	    sml_tokname(p, &p->sp_prev, a));
}

/* Reports the current token as junk: "unexpected ',' after 'x'". Returns -1. */
int
sml_fail_unexpected(struct sml_parser *p)
{
	char a[SML_NAME_BUF], b[SML_NAME_BUF];

	return sml_fail(p, p->sp_tok.lt_off, "unexpected %s after %s",
	    sml_tokname(p, &p->sp_tok, a), sml_tokname(p, &p->sp_prev, b));
}

/* Consumes the current token and reads the next. Returns 0 or -1. */
int
sml_next(struct sml_parser *p)
{
	p->sp_prev = p->sp_tok;
	p->sp_end = p->sp_tok.lt_off + p->sp_tok.lt_len;
	if (lex_next(&p->sp_lx, &p->sp_tok) == -1)
		return sml_fail_lex(p);
	return 0;
}

/*
 * Consumes the current token and reads the next as a value (see
 * lex_value(): an unquoted run up to white space or , | [ ] ( ) = < > ! " '
 * is one word). Search conditions and parameter values are read this way.
 * Returns 0 or -1.
 */
int
sml_next_value(struct sml_parser *p)
{
	p->sp_prev = p->sp_tok;
	p->sp_end = p->sp_tok.lt_off + p->sp_tok.lt_len;
	if (lex_value(&p->sp_lx, &p->sp_tok) == -1)
		return sml_fail_lex(p);
	return 0;
}

/*
 * Consumes the current item of a comma-separated list read as values and
 * the comma after it. Returns 1 with the next item current, 0 at the end
 * of the list (the token after the item current), or -1.
 */
int
sml_next_item_value(struct sml_parser *p)
{
	if (sml_next_value(p) == -1)
		return -1;
	if (p->sp_tok.lt_kind != LEX_COMMA)
		return 0;
	return sml_next_value(p) == -1 ? -1 : 1;
}

/*
 * Returns 1 when the token after the current one is of kind k. A lexical
 * error there answers 0: it is reported when that token is read.
 */
int
sml_peek_is(struct sml_parser *p, enum lex_kind k)
{
	struct lex_token t;

	return lex_peek(&p->sp_lx, &t) == 0 && t.lt_kind == k;
}

/* Returns 1 when the current token starts a key=value parameter. */
int
sml_at_param(struct sml_parser *p)
{
	return p->sp_tok.lt_kind == LEX_WORD && sml_peek_is(p, LEX_EQ);
}

/* Returns 1 when the current token is '|' or the end of the query. */
int
sml_at_end(const struct sml_parser *p)
{
	return p->sp_tok.lt_kind == LEX_PIPE || p->sp_tok.lt_kind == LEX_EOF;
}

/* Ends a command: 0 at '|' or the end, else reports junk. */
int
sml_end(struct sml_parser *p)
{
	return sml_at_end(p) ? 0 : sml_fail_unexpected(p);
}

/* Returns 1 when the current token is the word w in any case. */
int
sml_at_word_ci(const struct sml_parser *p, const char *w)
{
	const struct lex_token *t = &p->sp_tok;

	return t->lt_kind == LEX_WORD && t->lt_len == strlen(w) &&
	    strncasecmp(p->sp_text + t->lt_off, w, t->lt_len) == 0;
}

/* Returns 1 when the current token is the parameter key key (exact case). */
int
sml_at_key(const struct sml_parser *p, const char *key)
{
	return lex_is_word(p->sp_text, &p->sp_tok, key);
}

/* Returns a copy of the current token's value, or NULL (reported). */
char *
sml_copy(struct sml_parser *p)
{
	char *s;

	if ((s = lex_text(p->sp_text, &p->sp_tok)) == NULL)
		sml_fail_nomem(p);
	return s;
}

/*
 * Makes room for element n of the array at arrp (a pointer to the array
 * pointer) of elements of size sz, growing it at 0, 4, 8, 16...
 * Returns 0, or -1 (reported) with the array left as it was.
 */
int
sml_room(struct sml_parser *p, void *arrp, size_t n, size_t sz)
{
	void *a, *na;
	size_t cap;

	if (n != 0 && (n < 4 || (n & (n - 1)) != 0))
		return 0;
	if ((cap = sml_grow_cap(n < 4 ? 0 : n, sz)) == 0)
		return sml_fail_nomem(p);
	memcpy(&a, arrp, sizeof(a));
	if ((na = realloc(a, cap * sz)) == NULL)
		return sml_fail_nomem(p);
	memcpy(arrp, &na, sizeof(na));
	return 0;
}

/* Appends s to the string array *arr of *n; frees s on failure. */
int
sml_push_str(struct sml_parser *p, char ***arr, size_t *n, char *s)
{
	if (SML_ROOM(p, *arr, *n) == -1) {
		free(s);
		return -1;
	}
	(*arr)[(*n)++] = s;
	return 0;
}

void
sml_strs_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/*
 * Parses all of s as a decimal integer (optional '-', digits) into *out.
 * Returns 0, or -1 when s is not one or it is outside [min, max].
 */
int
sml_int(const char *s, int64_t min, int64_t max, int64_t *out)
{
	int neg = *s == '-';
	int64_t v = 0;

	s += neg;
	if (*s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		if (v > (INT64_MAX - (*s - '0')) / 10)
			return -1;
		v = v * 10 + (*s - '0');
	}
	if (neg)
		v = -v;
	if (v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

/*
 * Returns 1 when all of s is a decimal number as the lexer reads one
 * (optional '-', digits with an optional fraction or a fraction alone, an
 * optional exponent), and *integral whether it is digits only; else 0.
 */
static int
sml_decimal(const char *s, int *integral)
{
	size_t i = 0, digits = 0;

	*integral = 1;
	if (s[i] == '-')
		i++;
	for (; s[i] >= '0' && s[i] <= '9'; i++)
		digits++;
	if (s[i] == '.') {
		*integral = 0;
		for (i++; s[i] >= '0' && s[i] <= '9'; i++)
			digits++;
	}
	if (digits == 0)
		return 0;
	if (s[i] == 'e' || s[i] == 'E') {
		*integral = 0;
		i++;
		if (s[i] == '+' || s[i] == '-')
			i++;
		if (s[i] < '0' || s[i] > '9')
			return 0;
		while (s[i] >= '0' && s[i] <= '9')
			i++;
	}
	return s[i] == '\0';
}

/*
 * Returns a new JSON number for the decimal text s: an integer when the
 * text is integral and fits, else a real. NULL when s is no number or out
 * of range (*range set), or out of memory.
 */
json_t *
sml_json_number(const char *s, int *range)
{
	int integral;
	int64_t i;
	double d;

	*range = 0;
	if (!sml_decimal(s, &integral))
		return NULL;
	if (integral && sml_int(s, INT64_MIN + 1, INT64_MAX, &i) == 0)
		return json_integer(i);
	d = strtod(s, NULL);
	if (!isfinite(d)) {
		*range = 1;
		return NULL;
	}
	return json_real(d);
}

/* Returns 1 when the NUL-terminated s is valid UTF-8. */
int
sml_utf8_ok(const char *s)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t n = strlen(s), i = 0, k;

	while (i < n) {
		if ((k = util_utf8_seq((const char *)u + i, n - i)) == 0)
			return 0;
		i += k;
	}
	return 1;
}

/*
 * Returns the byte offset in the query of byte k of the contents of the
 * double-quoted string whose opening quote is at off, undoing the escapes
 * \" and \\ as lex_text() does.
 */
static size_t
sml_unescaped_off(const struct sml_parser *p, size_t off, size_t k)
{
	const char *s = p->sp_text;
	size_t i = off + 1;

	while (k > 0 && i < p->sp_len) {
		if (s[i] == '\\' && i + 1 < p->sp_len && (s[i + 1] == '"' ||
		    s[i + 1] == '\\'))
			i += 2;
		else
			i++;
		k--;
	}
	return i;
}

/*
 * Enters one level of nesting (a parenthesis, call, IN list, NOT or unary
 * minus) at byte offset at. Returns 0, or -1 with "<what> is nested too
 * deeply" when that would go past SML_MAX_DEPTH.
 */
static int
sml_enter(struct sml_parser *p, size_t at, const char *what)
{
	if (p->sp_depth >= SML_MAX_DEPTH)
		return sml_fail(p, at, "%s is nested too deeply", what);
	p->sp_depth++;
	return 0;
}

/* ---- Names ---- */

/*
 * Returns the first byte of the word t that may not stand in an unquoted
 * field name (letters, digits, '_', '.', '@', UTF-8, '-' after the start,
 * and '*' when wild), or 0 when there is none.
 */
static char
sml_bad_name_char(const struct sml_parser *p, const struct lex_token *t,
    int wild)
{
	const unsigned char *s = (const unsigned char *)p->sp_text + t->lt_off;

	for (size_t i = 0; i < t->lt_len; i++) {
		unsigned char c = s[i];

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '_' || c == '.' ||
		    c == '@' || c >= 0x80 || (c == '-' && i > 0) ||
		    (c == '*' && wild))
			continue;
		return (char)c;
	}
	return 0;
}

/* Returns 1 when the current token can start a field name in a list. */
int
sml_at_name(struct sml_parser *p, int flags)
{
	switch (p->sp_tok.lt_kind) {
	case LEX_WORD:
		return !sml_at_param(p);
	case LEX_QNAME:
		return 1;
	case LEX_STAR:
		return (flags & SML_NAME_WILD) != 0;
	default:
		return 0;
	}
}

/*
 * Reads the field name at the current token into *out, a copy the caller
 * frees: a word or a 'quoted name', with SML_NAME_WILD also '*' and words
 * holding '*'. Does not advance. Returns 0, or -1 with the error reported
 * ("expected a field name after 'BY'").
 */
int
sml_name(struct sml_parser *p, int flags, char **out)
{
	const struct lex_token *t = &p->sp_tok;
	char q[SML_QUOTE_BUF], bad;

	*out = NULL;
	switch (t->lt_kind) {
	case LEX_WORD:
		if ((bad = sml_bad_name_char(p, t, flags & SML_NAME_WILD)) != 0)
			return sml_fail(p, t->lt_off, "unquoted field name '%s' "
			    "holds '%c'", sml_quote(p, t, q), bad);
		break;
	case LEX_QNAME:
		if (t->lt_len <= 2)
			return sml_fail(p, t->lt_off, "empty field name");
		break;
	case LEX_STAR:
		if (flags & SML_NAME_WILD)
			break;
		/* FALLTHROUGH */
	default:
		return sml_fail_expected(p, "a field name");
	}
	return (*out = sml_copy(p)) == NULL ? -1 : 0;
}

/*
 * Reads a list of field names from the current token into *arr (*n of
 * them), separated by ',' or white space, up to the first token that is no
 * name. Returns 0, or -1 with the error reported.
 */
int
sml_names(struct sml_parser *p, int flags, char ***arr, size_t *n)
{
	char *s;

	for (;;) {
		if (sml_name(p, flags, &s) == -1 ||
		    sml_push_str(p, arr, n, s) == -1 || sml_next(p) == -1)
			return -1;
		if (p->sp_tok.lt_kind == LEX_COMMA) {
			if (sml_next(p) == -1)
				return -1;
			if (!sml_at_name(p, flags))
				return sml_fail_expected(p, "a field name");
			continue;
		}
		if (!sml_at_name(p, flags))
			return 0;
	}
}

/*
 * Reads a BY clause (the current token is BY) into *arr and *n; a second one is
 * an error. Returns 0 or -1.
 */
int
sml_by(struct sml_parser *p, unsigned *seen, char ***arr, size_t *n)
{
	if (*seen & SML_SEEN_BY)
		return sml_fail(p, p->sp_tok.lt_off, "duplicate BY clause");
	*seen |= SML_SEEN_BY;
	if (sml_next(p) == -1)
		return -1;
	if (!sml_at_name(p, 0))
		return sml_fail_expected(p, "a field name");
	return sml_names(p, 0, arr, n);
}

/* ---- Parameters ---- */

/*
 * Reads the value of the parameter whose key is the current token (followed
 * by '='): on return the current token is the value, which must be a word or
 * a string. Returns a copy of its text that the caller frees, or NULL with
 * the error reported ("expected a value after 'qsize='").
 */
char *
sml_param_value(struct sml_parser *p, const char *key)
{
	if (sml_next(p) == -1 || sml_next_value(p) == -1)
		return NULL;
	if (p->sp_tok.lt_kind != LEX_WORD && p->sp_tok.lt_kind != LEX_STRING) {
		sml_fail(p, p->sp_tok.lt_off, "expected a value after '%s='",
		    key);
		return NULL;
	}
	return sml_copy(p);
}

/* Reports a second use of the parameter at the current token. */
int
sml_param_once(struct sml_parser *p, unsigned *seen, unsigned bit,
    const char *cmd)
{
	char q[SML_QUOTE_BUF];

	if (*seen & bit)
		return sml_fail(p, p->sp_tok.lt_off,
		    "duplicate parameter '%s' for %s",
		    sml_quote(p, &p->sp_tok, q), cmd);
	*seen |= bit;
	return 0;
}

/* Reports the parameter at the current token as unknown. Returns -1. */
int
sml_param_unknown(struct sml_parser *p, const char *cmd)
{
	char q[SML_QUOTE_BUF];

	return sml_fail(p, p->sp_tok.lt_off, "unknown parameter '%s' for %s",
	    sml_quote(p, &p->sp_tok, q), cmd);
}

/* Reads key=true|false (any case) into *out; the value stays current. */
int
sml_param_bool(struct sml_parser *p, const char *key, int *out)
{
	char *v;

	if ((v = sml_param_value(p, key)) == NULL)
		return -1;
	if (strcasecmp(v, "true") == 0)
		*out = 1;
	else if (strcasecmp(v, "false") == 0)
		*out = 0;
	else {
		free(v);
		return sml_fail(p, p->sp_tok.lt_off, "%s must be true or false",
		    key);
	}
	free(v);
	return 0;
}

/*
 * Reads key=<integer >= min> into *out; the value stays current. what
 * names the range in the message ("a positive integer").
 */
int
sml_param_int(struct sml_parser *p, const char *key, int64_t min,
    const char *what, int64_t *out)
{
	char *v;
	int rc;

	if ((v = sml_param_value(p, key)) == NULL)
		return -1;
	rc = sml_int(v, min, INT64_MAX, out);
	free(v);
	if (rc == -1)
		return sml_fail(p, p->sp_tok.lt_off, "%s must be %s", key, what);
	return 0;
}

/*
 * Reads span=<n><unit> (units s m h d w M y) into *ms or *months; with num
 * != NULL a plain positive number is allowed too, into *num. The value
 * stays current. Returns 0 or -1.
 */
static int
sml_param_span(struct sml_parser *p, int64_t *ms, int *months, double *num)
{
	static const char units[] = "smhdwMy";
	static const int64_t unit_ms[] = {
		1000, 60000, 3600000, 86400000, 604800000, 0, 0,
	};
	const char *u;
	int64_t n = 0;
	size_t i = 0;
	int integral;
	char *v;

	if ((v = sml_param_value(p, "span")) == NULL)
		return -1;
	for (; v[i] >= '0' && v[i] <= '9'; i++)
		if (n <= SML_MAX_SPAN)
			n = n * 10 + (v[i] - '0');
	if (i > 0 && v[i] != '\0' && v[i + 1] == '\0' &&
	    (u = strchr(units, v[i])) != NULL && n > 0) {
		free(v);
		if (n > SML_MAX_SPAN)
			return sml_fail(p, p->sp_tok.lt_off,
			    "span must be at most %d units", SML_MAX_SPAN);
		if (*u == 'M' || *u == 'y')
			*months = (int)(n * (*u == 'y' ? 12 : 1));
		else
			*ms = n * unit_ms[u - units];
		return 0;
	}
	if (num != NULL && v[0] != '-' && sml_decimal(v, &integral) &&
	    (*num = strtod(v, NULL)) > 0 && isfinite(*num)) {
		free(v);
		return 0;
	}
	free(v);
	if (num != NULL)
		*num = 0;
	return sml_fail(p, p->sp_tok.lt_off, "span must be %sa positive "
	    "integer and a unit (s, m, h, d, w, M, y), like 1h",
	    num != NULL ? "a positive number or " : "");
}

/*
 * Reads the parameter at the current token of cmd, whose only parameter is
 * span= (sml_param_span() with ms, months and num), once (SML_SEEN_A of
 * *seen). Returns 0 with the token after the value current, or -1.
 */
int
sml_param_span_only(struct sml_parser *p, const char *cmd, unsigned *seen,
    int64_t *ms, int *months, double *num)
{
	if (!sml_at_key(p, "span"))
		return sml_param_unknown(p, cmd);
	if (sml_param_once(p, seen, SML_SEEN_A, cmd) == -1 ||
	    sml_param_span(p, ms, months, num) == -1)
		return -1;
	return sml_next(p);
}

/* ---- Regular expressions (checked here, compiled by the value layer) ---- */

/* A named group of a regular expression: its number and its name. */
struct sml_group {
	uint32_t sg_num;
	const char *sg_name;
};

static int
sml_group_cmp(const void *a, const void *b)
{
	const struct sml_group *x = a, *y = b;

	return x->sg_num < y->sg_num ? -1 : x->sg_num > y->sg_num;
}

/*
 * Compiles the regular expression re (n bytes) the way the value layer will
 * (PCRE2, PCRE2_UTF) so that a syntax error is reported at parse time, at
 * its place inside the double-quoted string at byte offset str_off. With
 * names != NULL also stores the named groups, in the order they appear,
 * into *names and *nnames (which the caller frees even on failure); none is an
 * error. Returns 0 or -1.
 */
int
sml_check_regex(struct sml_parser *p, const char *re, size_t n,
    size_t str_off, char ***names, size_t *nnames)
{
	PCRE2_UCHAR msg[128];
	PCRE2_SPTR table;
	PCRE2_SIZE eoff;
	pcre2_code *code;
	struct sml_group *g;
	uint32_t count = 0, esize = 0;
	int ecode, rc = 0;
	char *s;

	if ((code = pcre2_compile((PCRE2_SPTR)re, n, PCRE2_UTF, &ecode, &eoff,
	    NULL)) == NULL) {
		if (pcre2_get_error_message(ecode, msg, sizeof(msg)) < 0)
			snprintf((char *)msg, sizeof(msg), "error %d", ecode);
		return sml_fail(p, sml_unescaped_off(p, str_off, eoff),
		    "invalid regular expression: %s", (char *)msg);
	}
	if (names == NULL)
		goto done;
	pcre2_pattern_info(code, PCRE2_INFO_NAMECOUNT, &count);
	pcre2_pattern_info(code, PCRE2_INFO_NAMEENTRYSIZE, &esize);
	pcre2_pattern_info(code, PCRE2_INFO_NAMETABLE, &table);
	if (count == 0) {
		rc = sml_fail(p, str_off, "rex needs at least one named group "
		    "(?<name>...)");
		goto done;
	}
	/* The table is sorted by name; the order of the groups is wanted. */
	if ((g = calloc(count, sizeof(*g))) == NULL) {
		rc = sml_fail_nomem(p);
		goto done;
	}
	for (uint32_t i = 0; i < count; i++) {
		PCRE2_SPTR e = table + (size_t)i * esize;

		g[i].sg_num = (uint32_t)e[0] << 8 | e[1];
		g[i].sg_name = (const char *)e + 2;
	}
	qsort(g, count, sizeof(*g), sml_group_cmp);
	for (uint32_t i = 0; i < count && rc == 0; i++)
		if ((s = strdup(g[i].sg_name)) == NULL)
			rc = sml_fail_nomem(p);
		else
			rc = sml_push_str(p, names, nnames, s);
	free(g);
done:
	pcre2_code_free(code);
	return rc;
}

/* ---- Search conditions ---- */

static struct cond *
sml_cd_new(struct sml_parser *p, enum cond_kind k, size_t off)
{
	struct cond *c;

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		sml_fail_nomem(p);
		return NULL;
	}
	c->c_kind = k;
	c->c_off = off;
	return c;
}

/* Adds kid to c's kids; c owns it from then on, also on failure. */
static int
sml_cd_kid(struct sml_parser *p, struct cond *c, struct cond *kid)
{
	if (SML_ROOM(p, c->c_kids, c->c_nkids) == -1) {
		sml_cond_free(kid);
		return -1;
	}
	c->c_kids[c->c_nkids++] = kid;
	return 0;
}

/* Returns 1 when the current token can start a search condition. */
int
sml_at_term(const struct sml_parser *p)
{
	switch (p->sp_tok.lt_kind) {
	case LEX_WORD:
	case LEX_STRING:
	case LEX_QNAME:
	case LEX_LPAREN:
	case LEX_NOT:
		return 1;
	default:
		return 0;
	}
}

/* A binary operator: its token and the operator of its nodes. */
struct sml_binop {
	enum lex_kind bo_kind;
	const char *bo_word;	/* LEX_WORD: the word (any case) */
	enum expr_op bo_op;
};

/* The comparisons (of search conditions too) and LIKE (expressions only). */
static const struct sml_binop sml_ops_cmp[] = {
	{LEX_EQ, NULL, EXOP_EQ}, {LEX_EQEQ, NULL, EXOP_EQ},
	{LEX_NE, NULL, EXOP_NE}, {LEX_LT, NULL, EXOP_LT},
	{LEX_GT, NULL, EXOP_GT}, {LEX_LE, NULL, EXOP_LE},
	{LEX_GE, NULL, EXOP_GE}, {LEX_WORD, "like", EXOP_LIKE},
};

/* Maps a comparison token (not LIKE) to its operator. Returns 0, or -1. */
static int
sml_cmp_op(enum lex_kind k, enum expr_op *op)
{
	for (size_t i = 0; i < SML_NITEMS(sml_ops_cmp); i++)
		if (sml_ops_cmp[i].bo_word == NULL &&
		    sml_ops_cmp[i].bo_kind == k) {
			*op = sml_ops_cmp[i].bo_op;
			return 0;
		}
	return -1;
}

/* Returns 1 when the token after the current one is a comparison or IN. */
static int
sml_peek_cmp(struct sml_parser *p)
{
	struct lex_token t;
	enum expr_op op;

	if (lex_peek(&p->sp_lx, &t) == -1)
		return 0;
	return t.lt_kind == LEX_IN || sml_cmp_op(t.lt_kind, &op) == 0;
}

/*
 * Reads the IN list of c (the current token is IN): '(' values ')'.
 * Returns 0 with the token after ')' current, or -1.
 */
static int
sml_cd_in(struct sml_parser *p, struct cond *c)
{
	char *v;

	if (sml_next_value(p) == -1)
		return -1;
	if (p->sp_tok.lt_kind != LEX_LPAREN)
		return sml_fail_expected(p, "'('");
	for (;;) {
		if (sml_next_value(p) == -1)
			return -1;
		if (p->sp_tok.lt_kind != LEX_WORD &&
		    p->sp_tok.lt_kind != LEX_STRING)
			return sml_fail_expected(p, "a value");
		if ((v = sml_copy(p)) == NULL ||
		    sml_push_str(p, &c->c_values, &c->c_nvalues, v) == -1 ||
		    sml_next_value(p) == -1)
			return -1;
		if (p->sp_tok.lt_kind == LEX_RPAREN)
			return sml_next_value(p);
		if (p->sp_tok.lt_kind != LEX_COMMA)
			return sml_fail(p, p->sp_tok.lt_off, "expected ',' or ')'");
	}
}

/*
 * Parses field<op>value, field=* or field IN (...) at the current token (a
 * word or quoted name followed by the operator). Returns the node or NULL.
 */
static struct cond *
sml_cd_field(struct sml_parser *p)
{
	struct lex_token ft = p->sp_tok;
	enum expr_op op = EXOP_EQ;
	struct cond *c;
	char *name;

	if (p->sp_in_source && (lex_is_word(p->sp_text, &ft, "qsize") ||
	    lex_is_word(p->sp_text, &ft, "earliest") ||
	    lex_is_word(p->sp_text, &ft, "latest"))) {
		char q[SML_QUOTE_BUF];

		sml_fail(p, ft.lt_off, "parameter '%s' of source must come "
		    "before the search condition", sml_quote(p, &ft, q));
		return NULL;
	}
	if (sml_name(p, 0, &name) == -1)
		return NULL;
	if ((c = sml_cd_new(p, CD_CMP, ft.lt_off)) == NULL) {
		free(name);
		return NULL;
	}
	c->c_field = name;
	c->c_op = EXOP_EQ;
	if (sml_next_value(p) == -1)
		goto fail;
	if (p->sp_tok.lt_kind == LEX_IN) {
		c->c_kind = CD_IN;
		if (sml_cd_in(p, c) == -1)
			goto fail;
		return c;
	}
	(void)sml_cmp_op(p->sp_tok.lt_kind, &op);
	c->c_op = op;
	if (sml_next_value(p) == -1)
		goto fail;
	if (p->sp_tok.lt_kind != LEX_WORD && p->sp_tok.lt_kind != LEX_STRING) {
		sml_fail_expected(p, "a value");
		goto fail;
	}
	if (op == EXOP_EQ && lex_is_word(p->sp_text, &p->sp_tok, "*"))
		c->c_kind = CD_EXISTS;
	else {
		c->c_quoted = p->sp_tok.lt_kind == LEX_STRING;
		if ((c->c_value = sml_copy(p)) == NULL)
			goto fail;
	}
	if (sml_next_value(p) == -1)
		goto fail;
	return c;
fail:
	sml_cond_free(c);
	return NULL;
}

/*
 * Parses a term: a comparison, a bare term or phrase, or a parenthesized
 * condition. *h receives the height of the tree. Returns it or NULL.
 */
static struct cond *
sml_cd_primary(struct sml_parser *p, int *h)
{
	struct lex_token t = p->sp_tok;
	char a[SML_NAME_BUF];
	struct cond *c;

	*h = 1;
	switch (t.lt_kind) {
	case LEX_LPAREN:
		if (sml_enter(p, t.lt_off, "search condition") == -1 ||
		    sml_next_value(p) == -1)
			return NULL;
		if (!sml_at_term(p)) {
			sml_fail_expected(p, "a search condition");
			return NULL;
		}
		if ((c = sml_cd_list(p, 1, h)) == NULL)
			return NULL;
		if (p->sp_tok.lt_kind != LEX_RPAREN) {
			sml_fail(p, p->sp_tok.lt_off, "expected ')'");
			sml_cond_free(c);
			return NULL;
		}
		p->sp_depth--;
		if (sml_next_value(p) == -1) {
			sml_cond_free(c);
			return NULL;
		}
		return c;
	case LEX_WORD:
	case LEX_QNAME:
		if (sml_peek_cmp(p))
			return sml_cd_field(p);
		if (t.lt_kind == LEX_QNAME) {
			sml_fail(p, p->sp_tok.lt_off, "expected a comparison "
			    "after %s", sml_tokname(p, &t, a));
			return NULL;
		}
		/* FALLTHROUGH */
	case LEX_STRING:
		if ((c = sml_cd_new(p, CD_TERM, t.lt_off)) == NULL)
			return NULL;
		c->c_quoted = t.lt_kind == LEX_STRING;
		if ((c->c_value = sml_copy(p)) == NULL ||
		    sml_next_value(p) == -1) {
			sml_cond_free(c);
			return NULL;
		}
		return c;
	default:
		sml_fail_expected(p, "a search condition");
		return NULL;
	}
}

/* Parses [NOT]... term. */
static struct cond *
sml_cd_not(struct sml_parser *p, int *h)
{
	size_t at = p->sp_tok.lt_off;
	struct cond *c, *kid;
	int hk;

	if (p->sp_tok.lt_kind != LEX_NOT)
		return sml_cd_primary(p, h);
	if (sml_enter(p, at, "search condition") == -1 ||
	    sml_next_value(p) == -1)
		return NULL;
	if ((kid = sml_cd_not(p, &hk)) == NULL)
		return NULL;
	p->sp_depth--;
	if (hk + 1 > SML_MAX_DEPTH) {
		sml_cond_free(kid);
		sml_fail(p, at, "search condition is nested too deeply");
		return NULL;
	}
	if ((c = sml_cd_new(p, CD_NOT, at)) == NULL) {
		sml_cond_free(kid);
		return NULL;
	}
	if (sml_cd_kid(p, c, kid) == -1) {
		sml_cond_free(c);
		return NULL;
	}
	*h = hk + 1;
	return c;
}

/*
 * Parses an OR list of AND lists (is_or) or an AND list of NOT terms:
 * "a b AND c" is one CD_AND of three kids; a single item is returned as is.
 */
static struct cond *
sml_cd_list(struct sml_parser *p, int is_or, int *h)
{
	struct cond *c, *kid;
	int hk, hmax;

	kid = is_or ? sml_cd_list(p, 0, h) : sml_cd_not(p, h);
	if (kid == NULL)
		return NULL;
	if (is_or ? p->sp_tok.lt_kind != LEX_OR :
	    p->sp_tok.lt_kind != LEX_AND && !sml_at_term(p))
		return kid;
	if ((c = sml_cd_new(p, is_or ? CD_OR : CD_AND, kid->c_off)) == NULL) {
		sml_cond_free(kid);
		return NULL;
	}
	hmax = *h;
	if (sml_cd_kid(p, c, kid) == -1)
		goto fail;
	for (;;) {
		if (p->sp_tok.lt_kind == (is_or ? LEX_OR : LEX_AND)) {
			if (sml_next_value(p) == -1)
				goto fail;
		} else if (is_or || !sml_at_term(p))
			break;
		if ((kid = is_or ? sml_cd_list(p, 0, &hk) :
		    sml_cd_not(p, &hk)) == NULL || sml_cd_kid(p, c, kid) == -1)
			goto fail;
		if (hk > hmax)
			hmax = hk;
	}
	if (hmax + 1 > SML_MAX_DEPTH) {
		sml_fail(p, c->c_off, "search condition is nested too deeply");
		goto fail;
	}
	*h = hmax + 1;
	return c;
fail:
	sml_cond_free(c);
	return NULL;
}

/*
 * Parses the search condition starting at the current token (read as a
 * value), up to the first token that cannot continue it. Returns a new
 * tree that the caller frees with sml_cond_free(), or NULL with the error
 * reported.
 */
struct cond *
sml_cond(struct sml_parser *p)
{
	int h;

	if (!sml_at_term(p)) {
		sml_fail_expected(p, "a search condition");
		return NULL;
	}
	return sml_cd_list(p, 1, &h);
}

static int sml_cond_text(struct sml_parser *p, struct cond **out);
static int sml_parse_pipeline(struct sml_parser *p);
static void sml_parser_init(struct sml_parser *p, const char *text,
    size_t len, struct sml_error *err);

/*
 * Parses the bracketed query at the current token '[' into *out: a whole
 * query, or with nofirst a subpipeline (commands without a first one).
 * what names it in messages. Returns 0 or -1.
 */
static int
sml_bracketed(struct sml_parser *p, struct sml_query **out, int nofirst,
    const char *what)
{
	struct sml_parser in;
	struct sml_error e;
	size_t start, end, open_at = p->sp_tok.lt_off;
	int depth = 1;

	*out = NULL;
	if (p->sp_tok.lt_kind != LEX_LBRACKET)
		return sml_fail_expected(p, nofirst ? "'[' and a subpipeline" :
		    "'[' and a subsearch");
	start = open_at + 1;
	for (;;) {
		if (sml_next(p) == -1)
			return -1;
		if (p->sp_tok.lt_kind == LEX_EOF)
			return sml_fail(p, open_at, "unclosed '[': the "
			    "%s has no ']'", what);
		if (p->sp_tok.lt_kind == LEX_LBRACKET)
			depth++;
		else if (p->sp_tok.lt_kind == LEX_RBRACKET && --depth == 0)
			break;
	}
	end = p->sp_tok.lt_off;
	sml_parser_init(&in, p->sp_text + start, end - start, &e);
	in.sp_max_qsize = p->sp_max_qsize;
	in.sp_nofirst = nofirst;
	if ((in.sp_q = calloc(1, sizeof(*in.sp_q))) == NULL ||
	    (in.sp_q->sq_text = malloc(end - start + 1)) == NULL) {
		sml_query_free(in.sp_q);
		return sml_fail_nomem(p);
	}
	memcpy(in.sp_q->sq_text, p->sp_text + start, end - start);
	in.sp_q->sq_text[end - start] = '\0';
	if (sml_parse_pipeline(&in) == -1) {
		sml_query_free(in.sp_q);
		return sml_fail(p, start + in.sp_err_off, "%s: %s", what,
		    in.sp_reason);
	}
	*out = in.sp_q;
	return sml_next(p);	/* past ']' */
}

int
sml_subsearch(struct sml_parser *p, struct sml_query **out)
{
	return sml_bracketed(p, out, 0, "subsearch");
}

int
sml_subpipeline(struct sml_parser *p, struct sml_query **out)
{
	return sml_bracketed(p, out, 1, "subpipeline");
}


int
sml_param_duration(struct sml_parser *p, const char *key, int64_t *ms)
{
	static const char units[] = "smhdw";
	static const int64_t unit_ms[] = {1000, 60000, 3600000, 86400000,
	    604800000};
	const char *u;
	int64_t n = 0;
	size_t i = 0;
	char *v;

	if ((v = sml_param_value(p, key)) == NULL)
		return -1;
	for (; v[i] >= '0' && v[i] <= '9'; i++)
		if (n <= SML_MAX_SPAN)
			n = n * 10 + (v[i] - '0');
	if (i > 0 && v[i] != '\0' && v[i + 1] == '\0' &&
	    (u = strchr(units, v[i])) != NULL && n > 0 && n <= SML_MAX_SPAN) {
		*ms = n * unit_ms[u - units];
		free(v);
		return 0;
	}
	free(v);
	return sml_fail(p, p->sp_tok.lt_off, "%s must be a positive integer "
	    "(at most %d) and a unit (s, m, h, d, w), like 30m", key,
	    SML_MAX_SPAN);
}

int
sml_param_cond(struct sml_parser *p, const char *key, struct cond **out)
{
	struct sml_parser in;
	struct sml_error e;
	size_t at;
	char *v;

	*out = NULL;
	at = p->sp_tok.lt_off;
	if ((v = sml_param_value(p, key)) == NULL)
		return -1;
	if (p->sp_tok.lt_kind != LEX_STRING) {
		free(v);
		return sml_fail(p, p->sp_tok.lt_off, "%s needs a quoted search "
		    "condition, like %s=\"EventID=4624\"", key, key);
	}
	at = p->sp_tok.lt_off;
	memset(&in, 0, sizeof(in));
	in.sp_text = v;
	in.sp_len = strlen(v);
	in.sp_err = &e;
	if (sml_cond_text(&in, out) == 0) {
		free(v);
		return 0;
	}
	free(v);
	return sml_fail(p, sml_unescaped_off(p, at, in.sp_err_off), "%s: %s",
	    key, in.sp_reason);
}

/*
 * Parses all of p's text as a search condition into *out. Returns 0, or -1
 * with the reason in p->sp_reason at p->sp_err_off.
 */
static int
sml_cond_text(struct sml_parser *p, struct cond **out)
{
	char why[LEX_ERR_MAX];
	size_t bad;
	int h;

	*out = NULL;
	if (lex_check(p->sp_text, p->sp_len, &bad, why, sizeof(why)) == -1)
		return sml_fail(p, bad, "%s", why);
	lex_init(&p->sp_lx, p->sp_text, p->sp_len);
	if (sml_next_value(p) == -1)
		return -1;
	if (p->sp_tok.lt_kind == LEX_EOF)
		return sml_fail(p, 0, "empty search condition");
	if (!sml_at_term(p))
		return sml_fail(p, p->sp_tok.lt_off,
		    "expected a search condition");
	if ((*out = sml_cd_list(p, 1, &h)) == NULL)
		return -1;
	if (p->sp_tok.lt_kind != LEX_EOF) {
		sml_cond_free(*out);
		*out = NULL;
		return sml_fail_unexpected(p);
	}
	return 0;
}

/* ---- Expressions ---- */

static struct expr *
sml_ex_new(struct sml_parser *p, enum expr_kind k, size_t off)
{
	struct expr *x;

	if ((x = calloc(1, sizeof(*x))) == NULL) {
		sml_fail_nomem(p);
		return NULL;
	}
	x->x_kind = k;
	x->x_off = off;
	return x;
}

/* Adds arg to x's arguments; x owns it from then on, also on failure. */
static int
sml_ex_arg(struct sml_parser *p, struct expr *x, struct expr *arg)
{
	if (SML_ROOM(p, x->x_args, x->x_nargs) == -1) {
		sml_expr_free(arg);
		return -1;
	}
	x->x_args[x->x_nargs++] = arg;
	return 0;
}

/*
 * Returns a new unary (b == NULL) or binary node with operator op over a
 * and b, which it owns in any case; ha/hb are their heights, *h receives
 * the node's. at: the operator's offset, where a too deep tree is
 * reported. A binary node's x_off is its left operand's. NULL on error.
 */
static struct expr *
sml_ex_op(struct sml_parser *p, enum expr_op op, size_t at, struct expr *a,
    int ha, struct expr *b, int hb, int *h)
{
	int hh = 1 + (ha > hb ? ha : hb);
	struct expr *x;

	if (hh > SML_MAX_DEPTH) {
		sml_fail(p, at, "expression is nested too deeply");
		goto fail;
	}
	if ((x = sml_ex_new(p, b != NULL ? EX_BINARY : EX_UNARY,
	    b != NULL ? a->x_off : at)) == NULL)
		goto fail;
	x->x_op = op;
	if (sml_ex_arg(p, x, a) == -1) {
		sml_expr_free(b);
		sml_expr_free(x);
		return NULL;
	}
	if (b != NULL && sml_ex_arg(p, x, b) == -1) {
		sml_expr_free(x);
		return NULL;
	}
	*h = hh;
	return x;
fail:
	sml_expr_free(a);
	sml_expr_free(b);
	return NULL;
}

/* Returns a literal node for v (reference stolen; NULL: out of memory). */
static struct expr *
sml_ex_lit(struct sml_parser *p, json_t *v, size_t off)
{
	struct expr *x;

	if (v == NULL) {
		sml_fail_nomem(p);
		return NULL;
	}
	if ((x = sml_ex_new(p, EX_LIT, off)) == NULL) {
		json_decref(v);
		return NULL;
	}
	x->x_lit = v;
	return x;
}

/* Parses the number or string at the current token as a literal. */
static struct expr *
sml_ex_literal(struct sml_parser *p)
{
	struct lex_token t = p->sp_tok;
	struct expr *x;
	json_t *v;
	int range;
	char *s;

	if ((s = sml_copy(p)) == NULL)
		return NULL;
	if (t.lt_kind == LEX_STRING) {
		if (!sml_utf8_ok(s)) {
			free(s);
			sml_fail(p, t.lt_off, "string is not valid UTF-8");
			return NULL;
		}
		v = json_string(s);
	} else if ((v = sml_json_number(s, &range)) == NULL && range) {
		char q[SML_QUOTE_BUF];

		free(s);
		sml_fail(p, t.lt_off, "number out of range: %s",
		    sml_quote(p, &t, q));
		return NULL;
	}
	free(s);
	if ((x = sml_ex_lit(p, v, t.lt_off)) == NULL)
		return NULL;
	if (sml_next(p) == -1) {
		sml_expr_free(x);
		return NULL;
	}
	return x;
}

/* Reports a wrong number n of arguments to fi, at the name's offset. */
static int
sml_fail_nargs(struct sml_parser *p, const struct sml_func_info *fi,
    size_t n, size_t off)
{
	const char *name = fi->fi_name;

	if ((fi->fi_flags & SML_FNF_PAIRS) && n > 2 && n % 2 == 1)
		return sml_fail(p, off, "function '%s' takes pairs of "
		    "arguments, not %zu", name, n);
	if (fi->fi_min == fi->fi_max && fi->fi_min == 0)
		return sml_fail(p, off, "function '%s' takes no arguments, "
		    "not %zu", name, n);
	if (fi->fi_min == fi->fi_max)
		return sml_fail(p, off, "function '%s' takes %d argument%s, "
		    "not %zu", name, fi->fi_min, fi->fi_min == 1 ? "" : "s", n);
	if (fi->fi_max < 0)
		return sml_fail(p, off, "function '%s' takes at least %d "
		    "argument%s, not %zu", name, fi->fi_min,
		    fi->fi_min == 1 ? "" : "s", n);
	return sml_fail(p, off, "function '%s' takes %d to %d arguments, "
	    "not %zu", name, fi->fi_min, fi->fi_max, n);
}

/* Returns 1 when x is a string literal. */
static int
sml_ex_is_string(const struct expr *x)
{
	return x->x_kind == EX_LIT && json_is_string(x->x_lit);
}

/*
 * Checks what can be checked of a call before running it (the flags of its
 * function): a literal regular expression as second argument (match(),
 * replace()), and the literal condition of searchmatch(), which must be a
 * string. Returns 0 or -1.
 */
static int
sml_ex_check_call(struct sml_parser *p, const struct expr *x)
{
	const struct sml_func_info *fi = sml_func_of(x->x_func);
	struct sml_parser in;
	struct sml_error e;
	struct cond *c;
	const struct expr *a;

	if (fi != NULL && (fi->fi_flags & SML_FNF_REGEX)) {
		a = x->x_args[1];
		if (!sml_ex_is_string(a))
			return 0;
		return sml_check_regex(p, json_string_value(a->x_lit),
		    json_string_length(a->x_lit), a->x_off, NULL, NULL);
	}
	if (fi != NULL && (fi->fi_flags & SML_FNF_COND)) {
		a = x->x_args[0];
		if (!sml_ex_is_string(a))
			return sml_fail(p, a->x_off, "%s needs a quoted search "
			    "condition", fi->fi_name);
		memset(&in, 0, sizeof(in));
		in.sp_text = json_string_value(a->x_lit);
		in.sp_len = json_string_length(a->x_lit);
		in.sp_err = &e;
		if (sml_cond_text(&in, &c) == 0) {
			sml_cond_free(c);
			return 0;
		}
		return sml_fail(p, sml_unescaped_off(p, a->x_off,
		    in.sp_err_off), "%s: %s", fi->fi_name, in.sp_reason);
	}
	return 0;
}

/*
 * Ends the parenthesized arguments of x, a call or an IN list, at its ')':
 * fails when x over arguments at most hmax high is nested too deeply
 * (reported at at) and, for a call, what sml_ex_check_call() refuses; then
 * leaves the nesting and reads past ')'. Returns 0 with *h the height of
 * x, or -1.
 */
static int
sml_ex_close(struct sml_parser *p, const struct expr *x, size_t at,
    int hmax, int *h)
{
	if (hmax + 1 > SML_MAX_DEPTH)
		return sml_fail(p, at, "expression is nested too deeply");
	if (x->x_kind == EX_CALL && sml_ex_check_call(p, x) == -1)
		return -1;
	p->sp_depth--;
	if (sml_next(p) == -1)
		return -1;
	*h = hmax + 1;
	return 0;
}

/* Parses a call; the current token is the function's name, then '('. */
static struct expr *
sml_ex_call(struct sml_parser *p, int *h)
{
	struct lex_token name = p->sp_tok;
	const struct sml_func_info *fi;
	char q[SML_QUOTE_BUF], *s;
	struct expr *x, *a;
	int ha, hmax = 0;

	if ((s = sml_copy(p)) == NULL)
		return NULL;
	fi = sml_func_lookup(s);
	free(s);
	if (fi == NULL) {
		sml_fail(p, name.lt_off, "unknown function '%s'",
		    sml_quote(p, &name, q));
		return NULL;
	}
	if (sml_enter(p, name.lt_off, "expression") == -1 ||
	    (x = sml_ex_new(p, EX_CALL, name.lt_off)) == NULL)
		return NULL;
	x->x_func = fi->fi_id;
	if (sml_next(p) == -1 || sml_next(p) == -1)
		goto fail;
	while (p->sp_tok.lt_kind != LEX_RPAREN) {
		if ((a = sml_ex_or(p, &ha)) == NULL || sml_ex_arg(p, x, a) == -1)
			goto fail;
		if (ha > hmax)
			hmax = ha;
		if (p->sp_tok.lt_kind == LEX_RPAREN)
			break;
		if (p->sp_tok.lt_kind != LEX_COMMA) {
			sml_fail(p, p->sp_tok.lt_off, "expected ',' or ')'");
			goto fail;
		}
		if (sml_next(p) == -1)
			goto fail;
		if (p->sp_tok.lt_kind == LEX_RPAREN) {
			sml_fail_expected(p, "an expression");
			goto fail;
		}
	}
	if (x->x_nargs < (size_t)fi->fi_min || (fi->fi_max >= 0 &&
	    x->x_nargs > (size_t)fi->fi_max) ||
	    ((fi->fi_flags & SML_FNF_PAIRS) && x->x_nargs % 2 == 1)) {
		sml_fail_nargs(p, fi, x->x_nargs, name.lt_off);
		goto fail;
	}
	if (sml_ex_close(p, x, name.lt_off, hmax, h) == -1)
		goto fail;
	return x;
fail:
	sml_expr_free(x);
	return NULL;
}

/*
 * Parses an operand: a literal, a field, a call or a parenthesized
 * expression. *h receives the height of its tree. Returns a new tree that
 * the caller frees with sml_expr_free(), or NULL with the error reported.
 */
struct expr *
sml_ex_primary(struct sml_parser *p, int *h)
{
	struct lex_token t = p->sp_tok;
	char q[SML_QUOTE_BUF], *name;
	struct expr *x;
	json_t *v = NULL;

	*h = 1;
	switch (t.lt_kind) {
	case LEX_NUMBER:
	case LEX_STRING:
		return sml_ex_literal(p);
	case LEX_LPAREN:
		if (sml_enter(p, t.lt_off, "expression") == -1 ||
		    sml_next(p) == -1 || (x = sml_ex_or(p, h)) == NULL)
			return NULL;
		if (p->sp_tok.lt_kind != LEX_RPAREN) {
			sml_fail(p, p->sp_tok.lt_off, "expected ')'");
			sml_expr_free(x);
			return NULL;
		}
		p->sp_depth--;
		if (sml_next(p) == -1) {
			sml_expr_free(x);
			return NULL;
		}
		return x;
	case LEX_WORD:
		if (sml_peek_is(p, LEX_LPAREN))
			return sml_ex_call(p, h);
		if (sml_at_word_ci(p, "true"))
			v = json_true();
		else if (sml_at_word_ci(p, "false"))
			v = json_false();
		else if (sml_at_word_ci(p, "null"))
			v = json_null();
		if (v != NULL) {
			if ((x = sml_ex_lit(p, v, t.lt_off)) != NULL &&
			    sml_next(p) == -1) {
				sml_expr_free(x);
				return NULL;
			}
			return x;
		}
		if (memchr(p->sp_text + t.lt_off, '*', t.lt_len) != NULL) {
			sml_fail(p, t.lt_off, "unexpected '*' in '%s' (write "
			    "a * b to multiply)", sml_quote(p, &t, q));
			return NULL;
		}
		/* FALLTHROUGH */
	case LEX_QNAME:
		if (sml_name(p, 0, &name) == -1)
			return NULL;
		if ((x = sml_ex_new(p, EX_FIELD, t.lt_off)) == NULL) {
			free(name);
			return NULL;
		}
		x->x_name = name;
		if (sml_next(p) == -1) {
			sml_expr_free(x);
			return NULL;
		}
		return x;
	default:
		sml_fail_expected(p, "an expression");
		return NULL;
	}
}

/*
 * Parses [k]... sub: each prefix operator k (unary minus, NOT) a level of
 * nesting and a node of op over what follows. *h receives the height.
 */
static struct expr *
sml_ex_prefix(struct sml_parser *p, enum lex_kind k, enum expr_op op,
    struct expr *(*sub)(struct sml_parser *, int *), int *h)
{
	size_t at = p->sp_tok.lt_off;
	struct expr *a;
	int ha;

	if (p->sp_tok.lt_kind != k)
		return sub(p, h);
	if (sml_enter(p, at, "expression") == -1 || sml_next(p) == -1 ||
	    (a = sml_ex_prefix(p, k, op, sub, &ha)) == NULL)
		return NULL;
	p->sp_depth--;
	return sml_ex_op(p, op, at, a, ha, NULL, 0, h);
}

/* Parses [-]... operand. */
static struct expr *
sml_ex_unary(struct sml_parser *p, int *h)
{
	return sml_ex_prefix(p, LEX_MINUS, EXOP_NEG, sml_ex_primary, h);
}

/*
 * Parses the list of "a IN (b, c)"; the current token is IN and a (of
 * height *h) the left operand, which the result owns in any case.
 */
static struct expr *
sml_ex_in(struct sml_parser *p, struct expr *a, int *h)
{
	size_t at = p->sp_tok.lt_off;
	struct expr *x, *b;
	int hb, hmax = *h;

	if ((x = sml_ex_new(p, EX_IN, a->x_off)) == NULL) {
		sml_expr_free(a);
		return NULL;
	}
	if (sml_ex_arg(p, x, a) == -1 || sml_next(p) == -1)
		goto fail;
	if (p->sp_tok.lt_kind != LEX_LPAREN) {
		sml_fail_expected(p, "'('");
		goto fail;
	}
	if (sml_enter(p, p->sp_tok.lt_off, "expression") == -1)
		goto fail;
	for (;;) {
		if (sml_next(p) == -1 || (b = sml_ex_or(p, &hb)) == NULL ||
		    sml_ex_arg(p, x, b) == -1)
			goto fail;
		if (hb > hmax)
			hmax = hb;
		if (p->sp_tok.lt_kind == LEX_RPAREN)
			break;
		if (p->sp_tok.lt_kind != LEX_COMMA) {
			sml_fail(p, p->sp_tok.lt_off, "expected ',' or ')'");
			goto fail;
		}
	}
	if (sml_ex_close(p, x, at, hmax, h) == -1)
		goto fail;
	return x;
fail:
	sml_expr_free(x);
	return NULL;
}

/* The additive and the multiplicative operators. */
static const struct sml_binop sml_ops_add[] = {
	{LEX_PLUS, NULL, EXOP_ADD}, {LEX_MINUS, NULL, EXOP_SUB},
	{LEX_DOT, NULL, EXOP_CONCAT},
};

static const struct sml_binop sml_ops_mul[] = {
	{LEX_STAR, NULL, EXOP_MUL}, {LEX_SLASH, NULL, EXOP_DIV},
	{LEX_PERCENT, NULL, EXOP_MOD},
};

/* A level of left-associative binary operators. */
struct sml_level {
	const struct sml_binop *lv_ops;
	size_t lv_nops;
	int lv_in;		/* "a IN (...)" binds at this level too */
};

/*
 * The binary levels, loosest first: each parses its operands at the next
 * one, the last at sml_ex_unary().
 */
static const struct sml_level sml_levels[] = {
	{sml_ops_cmp, SML_NITEMS(sml_ops_cmp), 1},	/* = < ... LIKE, IN */
	{sml_ops_add, SML_NITEMS(sml_ops_add), 0},	/* + - . */
	{sml_ops_mul, SML_NITEMS(sml_ops_mul), 0},	/* * / % */
};

/* Returns 0 with *op when the current token is an operator of lv, else -1. */
static int
sml_level_op(const struct sml_parser *p, const struct sml_level *lv,
    enum expr_op *op)
{
	const struct sml_binop *bo;

	for (bo = lv->lv_ops; bo < lv->lv_ops + lv->lv_nops; bo++)
		if (bo->bo_word != NULL ? sml_at_word_ci(p, bo->bo_word) :
		    p->sp_tok.lt_kind == bo->bo_kind) {
			*op = bo->bo_op;
			return 0;
		}
	return -1;
}

static struct expr *sml_ex_binary(struct sml_parser *, size_t, int *);

/* Parses an operand of binary level lvl. */
static struct expr *
sml_ex_operand(struct sml_parser *p, size_t lvl, int *h)
{
	if (lvl + 1 < SML_NITEMS(sml_levels))
		return sml_ex_binary(p, lvl + 1, h);
	return sml_ex_unary(p, h);
}

/*
 * Parses operand (op operand)... at binary level lvl, where op is one of
 * the level's operators (and IN (...) where it binds), into a
 * left-associative tree. *h receives its height. Returns it or NULL.
 */
static struct expr *
sml_ex_binary(struct sml_parser *p, size_t lvl, int *h)
{
	const struct sml_level *lv = &sml_levels[lvl];
	struct expr *a, *b;
	enum expr_op op;
	size_t at;
	int hb;

	if ((a = sml_ex_operand(p, lvl, h)) == NULL)
		return NULL;
	for (;;) {
		if (lv->lv_in && p->sp_tok.lt_kind == LEX_IN) {
			if ((a = sml_ex_in(p, a, h)) == NULL)
				return NULL;
			continue;
		}
		if (sml_level_op(p, lv, &op) == -1)
			return a;
		at = p->sp_tok.lt_off;
		if (sml_next(p) == -1 ||
		    (b = sml_ex_operand(p, lvl, &hb)) == NULL) {
			sml_expr_free(a);
			return NULL;
		}
		if ((a = sml_ex_op(p, op, at, a, *h, b, hb, h)) == NULL)
			return NULL;
	}
}

/* Parses a comparison: add (= == != < > <= >= LIKE add | IN (...))... */
static struct expr *
sml_ex_cmp(struct sml_parser *p, int *h)
{
	return sml_ex_binary(p, 0, h);
}

/* Parses [NOT]... cmp. */
static struct expr *
sml_ex_not(struct sml_parser *p, int *h)
{
	return sml_ex_prefix(p, LEX_NOT, EXOP_NOT, sml_ex_cmp, h);
}

/* An operand of an AND or OR chain, with its height and operator. */
struct sml_item {
	struct expr *it_x;
	int it_h;
	size_t it_at;		/* offset of the operator before it */
};

/*
 * Builds a balanced tree of operator op over items [lo, hi), in order,
 * taking them (set to NULL as they are used). AND and OR are associative,
 * so a long chain needs only logarithmic depth. NULL on error.
 */
static struct expr *
sml_ex_balance(struct sml_parser *p, enum expr_op op, struct sml_item *it,
    size_t lo, size_t hi, int *h)
{
	size_t mid = lo + (hi - lo + 1) / 2;
	struct expr *a, *b;
	int ha, hb;

	if (hi - lo == 1) {
		a = it[lo].it_x;
		it[lo].it_x = NULL;
		*h = it[lo].it_h;
		return a;
	}
	if ((a = sml_ex_balance(p, op, it, lo, mid, &ha)) == NULL)
		return NULL;
	if ((b = sml_ex_balance(p, op, it, mid, hi, &hb)) == NULL) {
		sml_expr_free(a);
		return NULL;
	}
	return sml_ex_op(p, op, it[mid].it_at, a, ha, b, hb, h);
}

/* Parses sub (k sub)... into a balanced tree of op. */
static struct expr *
sml_ex_chain(struct sml_parser *p, enum lex_kind k, enum expr_op op,
    struct expr *(*sub)(struct sml_parser *, int *), int *h)
{
	struct sml_item *it = NULL;
	struct expr *x = NULL;
	size_t n = 0, at = 0;
	int hx = 0;

	if ((x = sub(p, h)) == NULL || p->sp_tok.lt_kind != k)
		return x;
	for (;;) {
		if (SML_ROOM(p, it, n) == -1) {
			sml_expr_free(x);
			x = NULL;
			goto done;
		}
		it[n].it_x = x;
		it[n].it_h = n == 0 ? *h : hx;
		it[n++].it_at = at;
		if (p->sp_tok.lt_kind != k)
			break;
		at = p->sp_tok.lt_off;
		x = NULL;
		if (sml_next(p) == -1 || (x = sub(p, &hx)) == NULL)
			goto done;
	}
	x = sml_ex_balance(p, op, it, 0, n, h);
done:
	for (size_t i = 0; i < n; i++)
		sml_expr_free(it[i].it_x);
	free(it);
	return x;
}

static struct expr *
sml_ex_and(struct sml_parser *p, int *h)
{
	return sml_ex_chain(p, LEX_AND, EXOP_AND, sml_ex_not, h);
}

/* Parses a whole expression; *h receives the height of its tree. */
static struct expr *
sml_ex_or(struct sml_parser *p, int *h)
{
	return sml_ex_chain(p, LEX_OR, EXOP_OR, sml_ex_and, h);
}

/*
 * Parses an expression at the current token. Returns a new tree that the
 * caller frees with sml_expr_free(), or NULL with the error reported.
 */
struct expr *
sml_expr(struct sml_parser *p)
{
	int h;

	return sml_ex_or(p, &h);
}

/* ---- What several commands share (their parsers are in cmd/) ---- */

/*
 * Reads the rest of a command as a list of field names, at least one,
 * separated by ',' or white space, into *arr and *n (fields, table). Returns 0
 * with the current token at '|' or the end, or -1 with the error reported.
 */
int
sml_names_to_end(struct sml_parser *p, int flags, char ***arr, size_t *n)
{
	if (!sml_at_name(p, flags))
		return sml_fail_expected(p, "a field name");
	if (sml_names(p, flags, arr, n) == -1)
		return -1;
	return sml_end(p);
}

/*
 * Reads the rest of head or tail, [n] (default 10), into c->sc_u.head. Returns
 * 0 with the current token at '|' or the end, or -1 with the error reported.
 */
int
sml_head_count(struct sml_parser *p, struct sml_command *c)
{
	char a[SML_NAME_BUF], *v;
	int rc;

	c->sc_u.head.hd_n = 10;
	if (sml_next_value(p) == -1)
		return -1;
	if (sml_at_end(p))
		return 0;
	if (p->sp_tok.lt_kind == LEX_WORD) {
		if ((v = sml_copy(p)) == NULL)
			return -1;
		rc = sml_int(v, 0, INT64_MAX, &c->sc_u.head.hd_n);
		free(v);
	} else
		rc = -1;
	if (rc == -1)
		return sml_fail(p, p->sp_tok.lt_off, "%s needs a non-negative "
		    "integer, not %s", c->sc_name,
		    sml_tokname(p, &p->sp_tok, a));
	if (sml_next(p) == -1)
		return -1;
	return sml_end(p);
}

/*
 * Reads the optional count at the current token (a number) of dedup, top
 * and rare into *out: an integer >= min. Returns 0 (1 in *seen when there
 * was one) or -1.
 */
int
sml_count_arg(struct sml_parser *p, const char *cmd, int64_t min,
    int64_t *out, int *seen)
{
	char q[SML_QUOTE_BUF], *v;
	int rc;

	*seen = 0;
	if (p->sp_tok.lt_kind != LEX_NUMBER)
		return 0;
	if ((v = sml_copy(p)) == NULL)
		return -1;
	rc = sml_int(v, min, INT64_MAX, out);
	free(v);
	if (rc == -1)
		return sml_fail(p, p->sp_tok.lt_off, "%s needs a %s integer, "
		    "not '%s'", cmd, min > 0 ? "positive" : "non-negative",
		    sml_quote(p, &p->sp_tok, q));
	*seen = 1;
	return sml_next(p);
}

/*
 * Parses one aggregation, fn[(field)] [AS name], at the current token (a
 * word) into a, which owns what it holds even on failure.
 */
static int
sml_agg(struct sml_parser *p, struct agg *a)
{
	struct lex_token fn = p->sp_tok;
	char q[SML_QUOTE_BUF], *name, *as;
	size_t len;
	int rc;

	a->a_off = fn.lt_off;
	if ((name = sml_copy(p)) == NULL)
		return -1;
	if ((rc = sml_agg_lookup(name, &a->a_fn, &a->a_perc)) != 0) {
		free(name);
		if (rc == -2)
			return sml_fail(p, fn.lt_off, "expected a percentile "
			    "from 0 to 100 in '%s', like perc95",
			    sml_quote(p, &fn, q));
		return sml_fail(p, fn.lt_off, "unknown stats function '%s'",
		    sml_quote(p, &fn, q));
	}
	if (sml_next(p) == -1)
		goto fail;
	if (p->sp_tok.lt_kind == LEX_LPAREN) {
		if (sml_next(p) == -1 || sml_name(p, 0, &a->a_field) == -1 ||
		    sml_next(p) == -1)
			goto fail;
		if (p->sp_tok.lt_kind != LEX_RPAREN) {
			sml_fail(p, p->sp_tok.lt_off, "expected ')'");
			goto fail;
		}
		if (sml_next(p) == -1)
			goto fail;
	} else if (a->a_fn != AGG_COUNT) {
		sml_fail(p, fn.lt_off, "function '%s' needs a field",
		    sml_quote(p, &fn, q));
		goto fail;
	}
	if (a->a_field == NULL)
		a->a_as = name;
	else {
		len = strlen(name) + strlen(a->a_field) + 3;
		if ((a->a_as = malloc(len)) == NULL) {
			sml_fail_nomem(p);
			goto fail;
		}
		snprintf(a->a_as, len, "%s(%s)", name, a->a_field);
		free(name);
	}
	name = NULL;
	if (p->sp_tok.lt_kind == LEX_AS) {
		if (sml_next(p) == -1 || sml_name(p, 0, &as) == -1)
			return -1;
		free(a->a_as);
		a->a_as = as;
		if (sml_next(p) == -1)
			return -1;
	}
	return 0;
fail:
	free(name);
	return -1;
}

/* Returns 1 when the current token can start an aggregation. */
int
sml_at_agg(struct sml_parser *p)
{
	return p->sp_tok.lt_kind == LEX_WORD && !sml_at_param(p) &&
	    !sml_at_word_ci(p, "over");	/* chart's OVER ends the list */
}

/*
 * Parses a list of aggregations, separated by ',' or white space, at the
 * current token into *arr and *n. Returns 0 or -1.
 */
int
sml_aggs(struct sml_parser *p, struct agg **arr, size_t *n)
{
	if (!sml_at_agg(p))
		return sml_fail_expected(p, "a stats function");
	for (;;) {
		if (SML_ROOM(p, *arr, *n) == -1)
			return -1;
		memset(&(*arr)[*n], 0, sizeof(**arr));
		if (sml_agg(p, &(*arr)[(*n)++]) == -1)
			return -1;
		if (p->sp_tok.lt_kind == LEX_COMMA) {
			if (sml_next(p) == -1)
				return -1;
			if (!sml_at_agg(p))
				return sml_fail_expected(p, "a stats function");
		} else if (!sml_at_agg(p))
			return 0;
	}
}

/* Reads the parameter at the current token with param, or reports it. */
static int
sml_stats_param(struct sml_parser *p, struct sml_command *c,
    int (*param)(struct sml_parser *, struct sml_command *, unsigned *),
    unsigned *seen)
{
	if (param == NULL)
		return sml_param_unknown(p, c->sc_name);
	return param(p, c, seen);
}

/*
 * Reads the rest of stats, aggs, eventstats or streamstats, <agg>[, <agg>...]
 * [BY f1, f2...], into c->sc_u.stats. param, when not NULL, reads a parameter
 * of the command (the current token is its key; streamstats), before or after
 * the aggregations; without it a parameter is unknown. Returns 0 with the
 * current token at '|' or the end, or -1 with the error reported.
 */
int
sml_stats_args(struct sml_parser *p, struct sml_command *c,
    int (*param)(struct sml_parser *, struct sml_command *, unsigned *))
{
	struct sml_stats *st = &c->sc_u.stats;
	unsigned seen = 0;

	if (sml_next(p) == -1)
		return -1;
	while (sml_at_param(p))
		if (sml_stats_param(p, c, param, &seen) == -1)
			return -1;
	if (sml_aggs(p, &st->st_aggs, &st->st_naggs) == -1)
		return -1;
	for (;;) {
		if (p->sp_tok.lt_kind == LEX_BY) {
			if (sml_by(p, &seen, &st->st_by, &st->st_nby) == -1)
				return -1;
		} else if (sml_at_param(p)) {
			if (sml_stats_param(p, c, param, &seen) == -1)
				return -1;
		} else
			return sml_end(p);
	}
}

/* Frees what sml_stats_args() stored in c (not c itself). */
void
sml_stats_clear(struct sml_command *c)
{
	sml_aggs_free(c->sc_u.stats.st_aggs, c->sc_u.stats.st_naggs);
	sml_strs_free(c->sc_u.stats.st_by, c->sc_u.stats.st_nby);
	sml_expr_free(c->sc_u.stats.st_reset_before);
	sml_expr_free(c->sc_u.stats.st_reset_after);
}

/* ---- The pipeline: commands through the table of commands.c ---- */

/*
 * Appends a zeroed command of kind k to the query. Returns it (owned by the
 * query), or NULL with the error reported.
 */
static struct sml_command *
sml_add_command(struct sml_parser *p, enum sml_cmd_kind k, const char *name)
{
	struct sml_query *q = p->sp_q;
	struct sml_command *c;

	if (q->sq_ncmds == p->sp_cmd_cap) {
		size_t cap = sml_grow_cap(p->sp_cmd_cap, sizeof(*c));

		if (cap == 0 || (c = realloc(q->sq_cmds, cap * sizeof(*c))) ==
		    NULL) {
			sml_fail_nomem(p);
			return NULL;
		}
		q->sq_cmds = c;
		p->sp_cmd_cap = cap;
	}
	c = &q->sq_cmds[q->sq_ncmds++];
	memset(c, 0, sizeof(*c));
	c->sc_kind = k;
	c->sc_name = name;
	c->sc_off = p->sp_tok.lt_off;
	return c;
}

/*
 * Parses one command; the current token is its name (a word) and nth its
 * place in the pipeline (0 for the first). Returns 0 with the current token
 * at '|' or the end, or -1 with the error reported.
 */
static int
sml_parse_command(struct sml_parser *p, size_t nth)
{
	struct lex_token name = p->sp_tok;
	const struct sml_cmd_def *d = NULL;
	struct sml_command *c;
	char q[SML_QUOTE_BUF];
	int first, rc;

	for (size_t i = 0; i < sml_ncmds; i++)
		if (lex_is_word(p->sp_text, &name, sml_cmds[i].cd_name))
			d = &sml_cmds[i];
	if (d == NULL)
		return sml_fail(p, name.lt_off, "unknown command '%s'",
		    sml_quote(p, &name, q));
	first = (d->cd_flags & SML_CMDF_FIRST) != 0;
	if (p->sp_nofirst && first)
		return sml_fail(p, name.lt_off, "'%s' cannot start a "
		    "subpipeline: it runs over the rows of the command "
		    "before it", d->cd_name);
	if (p->sp_nofirst)
		nth++;	/* its first command is after one */
	if (nth > 0 && first)
		return sml_fail(p, name.lt_off,
		    "'%s' must be the first command", d->cd_name);
	if (nth == 0 && !first)
		return sml_fail(p, name.lt_off, "expected 'source' or "
		    "'makeresults' before '%s'", d->cd_name);
	if ((c = sml_add_command(p, d->cd_kind, d->cd_name)) == NULL)
		return -1;
	rc = d->cd_parse(p, c);
	c->sc_len = p->sp_end - c->sc_off;
	return rc;
}

/* Parses the pipeline of p's text into p->sp_q. Returns 0 or -1. */
static int
sml_parse_pipeline(struct sml_parser *p)
{
	size_t nth = 0, bad;
	char why[LEX_ERR_MAX];

	if (lex_check(p->sp_text, p->sp_len, &bad, why, sizeof(why)) == -1)
		return sml_fail(p, bad, "%s", why);
	lex_init(&p->sp_lx, p->sp_text, p->sp_len);
	if (sml_next(p) == -1)
		return -1;
	if (p->sp_tok.lt_kind == LEX_EOF)
		return sml_fail(p, 0, "empty query");
	if (p->sp_tok.lt_kind != LEX_PIPE && p->sp_tok.lt_kind != LEX_WORD)
		return sml_fail(p, p->sp_tok.lt_off, "expected a command name");
	while (p->sp_tok.lt_kind != LEX_EOF) {
		if (p->sp_tok.lt_kind == LEX_PIPE) {
			if (sml_next(p) == -1)
				return -1;
			if (p->sp_tok.lt_kind != LEX_WORD)
				return sml_fail(p, p->sp_tok.lt_off,
				    "expected a command name after '|'");
		}
		if (sml_parse_command(p, nth++) == -1)
			return -1;
	}
	return 0;
}

/* Sets up p over len bytes of text, reporting into err. */
static void
sml_parser_init(struct sml_parser *p, const char *text, size_t len,
    struct sml_error *err)
{
	memset(err, 0, sizeof(*err));
	memset(p, 0, sizeof(*p));
	p->sp_text = text != NULL ? text : "";
	p->sp_len = text != NULL ? len : 0;
	p->sp_err = err;
	p->sp_max_qsize = SML_DEFAULT_MAX_QSIZE;
}

int
sml_parse(const char *text, size_t len, const struct sml_limits *lim,
    struct sml_query **out, struct sml_error *err)
{
	struct sml_error spare;
	struct sml_parser p;
	size_t max_bytes = SML_DEFAULT_MAX_QUERY_BYTES;

	if (err == NULL)
		err = &spare;
	*out = NULL;
	sml_parser_init(&p, text, len, err);
	if (lim != NULL) {
		max_bytes = lim->sl_max_query_bytes;
		p.sp_max_qsize = lim->sl_max_qsize;
	}
	if (p.sp_len > max_bytes)
		return sml_fail(&p, 0, "query is longer than %zu bytes",
		    max_bytes);
	if ((p.sp_q = calloc(1, sizeof(*p.sp_q))) == NULL ||
	    (p.sp_q->sq_text = malloc(p.sp_len + 1)) == NULL) {
		sml_query_free(p.sp_q);
		return sml_fail_nomem(&p);
	}
	memcpy(p.sp_q->sq_text, p.sp_text, p.sp_len);
	p.sp_q->sq_text[p.sp_len] = '\0';
	if (sml_parse_pipeline(&p) == -1) {
		sml_query_free(p.sp_q);
		return -1;
	}
	*out = p.sp_q;
	return 0;
}

int
sml_parse_cond(const char *text, size_t len, struct cond **out,
    struct sml_error *err)
{
	struct sml_error spare;
	struct sml_parser p;

	if (err == NULL)
		err = &spare;
	sml_parser_init(&p, text, len, err);
	if (p.sp_len > SML_DEFAULT_MAX_QUERY_BYTES) {
		*out = NULL;
		return sml_fail(&p, 0, "search condition is longer than %d "
		    "bytes", SML_DEFAULT_MAX_QUERY_BYTES);
	}
	return sml_cond_text(&p, out);
}

/* Frees what command c owns (not c itself): its clear of the table. */
static void
sml_command_clear(struct sml_command *c)
{
	const struct sml_cmd_def *d = sml_cmd_of(c->sc_kind);

	if (d != NULL && d->cd_clear != NULL)
		d->cd_clear(c);
}

void
sml_query_free(struct sml_query *q)
{
	if (q == NULL)
		return;
	for (size_t i = 0; i < q->sq_ncmds; i++)
		sml_command_clear(&q->sq_cmds[i]);
	free(q->sq_cmds);
	free(q->sq_text);
	free(q);
}
