/* parser.c - SML parser: query text to a struct sml_query, or a located error. */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/datemath.h"
#include "sml/lexer.h"
#include "sml/sml.h"

/* Bounds used when the caller passes no limits (the configuration defaults). */
#define SML_DEFAULT_MAX_QSIZE		10000000
#define SML_DEFAULT_MAX_QUERY_BYTES	65536
/* Largest makeresults count. */
#define SML_MAX_COUNT			1000000000
/* Characters of query text quoted back in a message ("unknown command"). */
#define SML_QUOTE_MAX			48
/* Room for a quoted piece: SML_QUOTE_MAX characters of 4 bytes, "...". */
#define SML_QUOTE_BUF			(SML_QUOTE_MAX * 4 + 4)

/* The commands of spec/sml.md that this version parses but does not run. */
static const char *const sml_unsupported[] = {
	"search", "where", "eval", "fields", "table", "rename", "sort", "head",
	"tail", "dedup", "stats", "aggs", "eventstats", "streamstats", "top",
	"rare", "timechart", "bin", "rex", "fillnull", "replace",
};

/* The state of one sml_parse() call. */
struct sml_parser {
	const char *sp_text;
	size_t sp_len;
	struct lexer sp_lx;
	struct lex_token sp_tok;	/* the current token, not yet consumed */
	size_t sp_end;			/* end of the last consumed token */
	int64_t sp_max_qsize;
	size_t sp_cmd_cap;
	struct sml_query *sp_q;
	struct sml_error *sp_err;
};

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
		k = lex_utf8_seq(u + i, n - i);
		if (k == 0 || (k == 1 && (u[i] < 0x20 || u[i] == 0x7f))) {
			u[i++] = '?';
			continue;
		}
		i += k;
	}
}

/*
 * Fills err with the reason (printf-style) followed by " at line L,
 * column C" for byte offset off of text, and the line, column and character
 * position. Returns -1.
 */
static int __attribute__((format(printf, 5, 6)))
sml_fail_text(struct sml_error *err, const char *text, size_t len, size_t off,
    const char *fmt, ...)
{
	char reason[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	lex_locate(text, len, off, &err->se_line, &err->se_column,
	    &err->se_position);
	snprintf(err->se_msg, sizeof(err->se_msg), "%s at line %d, column %d",
	    reason, err->se_line, err->se_column);
	sml_sanitize(err->se_msg);
	return -1;
}

#define sml_fail(p, off, ...) \
	sml_fail_text((p)->sp_err, (p)->sp_text, (p)->sp_len, (off), __VA_ARGS__)

/* Reports the lexer's pending error. Returns -1. */
static int
sml_fail_lex(struct sml_parser *p)
{
	return sml_fail(p, p->sp_lx.lx_err_off, "%s", p->sp_lx.lx_err);
}

/* Reports running out of memory (at the start of the query). Returns -1. */
static int
sml_fail_nomem(struct sml_parser *p)
{
	return sml_fail(p, 0, "out of memory while parsing the query");
}

/*
 * Writes the text of token t into dst (SML_QUOTE_BUF bytes) for quoting in a
 * message: at most SML_QUOTE_MAX characters, cut at a character boundary and
 * followed by "..." when longer. Returns dst.
 */
static const char *
sml_quote(const struct sml_parser *p, const struct lex_token *t, char *dst)
{
	const unsigned char *s = (const unsigned char *)p->sp_text + t->lt_off;
	size_t n = t->lt_len, i = 0, chars = 0, k;

	while (i < n && chars < SML_QUOTE_MAX) {
		k = lex_utf8_seq(s + i, n - i);
		i += k > 0 ? k : 1;
		chars++;
	}
	memcpy(dst, s, i);
	strcpy(dst + i, i < n ? "..." : "");
	return dst;
}

/* Consumes the current token and reads the next. Returns 0 or -1. */
static int
sml_next(struct sml_parser *p)
{
	p->sp_end = p->sp_tok.lt_off + p->sp_tok.lt_len;
	if (lex_next(&p->sp_lx, &p->sp_tok) == -1)
		return sml_fail_lex(p);
	return 0;
}

/*
 * Consumes the current token (a '=') and reads a parameter value (see
 * lex_value()). Returns 0 or -1.
 */
static int
sml_next_value(struct sml_parser *p)
{
	p->sp_end = p->sp_tok.lt_off + p->sp_tok.lt_len;
	if (lex_value(&p->sp_lx, &p->sp_tok) == -1)
		return sml_fail_lex(p);
	return 0;
}

/*
 * Returns 1 when the token after the current one is of kind k. A lexical
 * error there answers 0: it is reported when that token is read.
 */
static int
sml_peek_is(struct sml_parser *p, enum lex_kind k)
{
	struct lex_token t;

	return lex_peek(&p->sp_lx, &t) == 0 && t.lt_kind == k;
}

/* Returns 1 when the current token starts a key=value parameter. */
static int
sml_at_param(struct sml_parser *p)
{
	return p->sp_tok.lt_kind == LEX_WORD && sml_peek_is(p, LEX_EQ);
}

/* Returns 1 when the current token is '|' or the end of the query. */
static int
sml_at_end(const struct sml_parser *p)
{
	return p->sp_tok.lt_kind == LEX_PIPE || p->sp_tok.lt_kind == LEX_EOF;
}

/*
 * Returns 1 when the word t looks like a parameter name (lower-case letters
 * and '_' only), so that "source idx foo=1" names an unknown parameter while
 * "source idx EventID=1" is a search condition.
 */
static int
sml_param_shaped(const struct sml_parser *p, const struct lex_token *t)
{
	const char *s = p->sp_text + t->lt_off;

	for (size_t i = 0; i < t->lt_len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || s[i] == '_'))
			return 0;
	return t->lt_len > 0;
}

/*
 * Parses all of s as a decimal integer (optional '-', digits) into *out.
 * Returns 0, or -1 when s is not one or it is outside [min, max].
 */
static int
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
 * Reads the value of the parameter whose key is the current token (followed
 * by '='): on return the current token is the value, which must be a word or
 * a string. Returns a copy of its text that the caller frees, or NULL with
 * the error reported ("expected a value after 'qsize='").
 */
static char *
sml_param_value(struct sml_parser *p, const char *key)
{
	char *v;

	if (sml_next(p) == -1 || sml_next_value(p) == -1)
		return NULL;
	if (p->sp_tok.lt_kind != LEX_WORD && p->sp_tok.lt_kind != LEX_STRING) {
		sml_fail(p, p->sp_tok.lt_off, "expected a value after '%s='",
		    key);
		return NULL;
	}
	if ((v = lex_text(p->sp_text, &p->sp_tok)) == NULL)
		sml_fail_nomem(p);
	return v;
}

/*
 * Parses a date math parameter of source (earliest/latest) into *dst, which
 * then owns a copy of its text. Returns 0, or -1 with the error reported.
 */
static int
sml_param_time(struct sml_parser *p, const char *key, char **dst)
{
	char why[128];
	int64_t tmp;
	size_t off;

	if (*dst != NULL)
		return sml_fail(p, p->sp_tok.lt_off,
		    "duplicate parameter '%s' for source", key);
	if ((*dst = sml_param_value(p, key)) == NULL)
		return -1;
	off = p->sp_tok.lt_off;
	if (datemath_parse(*dst, 0, &tmp, why, sizeof(why)) == -1)
		return sml_fail(p, off, "%s: %s", key, why);
	return sml_next(p);
}

/*
 * Returns 1 when the current token can be an index pattern: a word, number,
 * string or a lone '*' that is not the key of a parameter.
 */
static int
sml_at_pattern(struct sml_parser *p)
{
	switch (p->sp_tok.lt_kind) {
	case LEX_WORD:
		return !sml_peek_is(p, LEX_EQ);
	case LEX_NUMBER:
	case LEX_STRING:
	case LEX_STAR:
		return 1;
	default:
		return 0;
	}
}

/*
 * Parses the arguments of source; the current token is its name. Fills src
 * (which owns what it holds, even on failure). Returns 0 with the current
 * token at '|' or the end, or -1 with the error reported.
 */
static int
sml_parse_source(struct sml_parser *p, struct sml_source *src)
{
	const char *after = "'source'";
	char q[SML_QUOTE_BUF], *v, **np;
	size_t cap = 0;

	src->ss_qsize = -1;
	if (sml_next(p) == -1)
		return -1;
	for (;;) {
		if (!sml_at_pattern(p))
			return sml_fail(p, p->sp_tok.lt_off,
			    "expected an index pattern after %s", after);
		if (src->ss_npatterns == cap) {
			if ((cap = sml_grow_cap(cap, sizeof(*np))) == 0 ||
			    (np = realloc(src->ss_patterns,
			    cap * sizeof(*np))) == NULL)
				return sml_fail_nomem(p);
			src->ss_patterns = np;
		}
		if ((v = lex_text(p->sp_text, &p->sp_tok)) == NULL)
			return sml_fail_nomem(p);
		src->ss_patterns[src->ss_npatterns++] = v;
		if (*v == '\0')
			return sml_fail(p, p->sp_tok.lt_off,
			    "empty index pattern");
		if (sml_next(p) == -1)
			return -1;
		if (p->sp_tok.lt_kind != LEX_COMMA)
			break;
		after = "','";
		if (sml_next(p) == -1)
			return -1;
	}
	while (!sml_at_end(p)) {
		struct lex_token key = p->sp_tok;

		if (!sml_at_param(p))
			goto condition;
		if (lex_is_word(p->sp_text, &key, "qsize")) {
			if (src->ss_qsize != -1)
				return sml_fail(p, key.lt_off,
				    "duplicate parameter 'qsize' for source");
			if ((v = sml_param_value(p, "qsize")) == NULL)
				return -1;
			if (sml_int(v, 1, p->sp_max_qsize, &src->ss_qsize) ==
			    -1) {
				free(v);
				return sml_fail(p, p->sp_tok.lt_off,
				    "qsize must be an integer between 1 and "
				    "%lld", (long long)p->sp_max_qsize);
			}
			free(v);
			if (sml_next(p) == -1)
				return -1;
		} else if (lex_is_word(p->sp_text, &key, "earliest")) {
			if (sml_param_time(p, "earliest", &src->ss_earliest) ==
			    -1)
				return -1;
		} else if (lex_is_word(p->sp_text, &key, "latest")) {
			if (sml_param_time(p, "latest", &src->ss_latest) == -1)
				return -1;
		} else if (sml_param_shaped(p, &key))
			return sml_fail(p, key.lt_off,
			    "unknown parameter '%s' for source",
			    sml_quote(p, &key, q));
		else
			goto condition;
	}
	return 0;
condition:
	return sml_fail(p, p->sp_tok.lt_off,
	    "inline search conditions in source are not supported yet");
}

/*
 * Parses the arguments of makeresults; the current token is its name.
 * Returns 0 with the current token at '|' or the end, or -1 with the error
 * reported.
 */
static int
sml_parse_makeresults(struct sml_parser *p, struct sml_makeresults *mr)
{
	int seen_count = 0, seen_shownumbers = 0;
	char q[SML_QUOTE_BUF], *v;

	mr->sm_count = 1;
	mr->sm_shownumbers = 0;
	if (sml_next(p) == -1)
		return -1;
	while (!sml_at_end(p)) {
		struct lex_token key = p->sp_tok;

		if (!sml_at_param(p))
			return sml_fail(p, key.lt_off, "expected count=<n> or "
			    "shownumbers=<bool> for makeresults");
		if (lex_is_word(p->sp_text, &key, "count")) {
			if (seen_count++)
				return sml_fail(p, key.lt_off, "duplicate "
				    "parameter 'count' for makeresults");
			if ((v = sml_param_value(p, "count")) == NULL)
				return -1;
			if (sml_int(v, 1, SML_MAX_COUNT, &mr->sm_count) == -1) {
				free(v);
				return sml_fail(p, p->sp_tok.lt_off,
				    "count must be an integer between 1 and %d",
				    SML_MAX_COUNT);
			}
			free(v);
		} else if (lex_is_word(p->sp_text, &key, "shownumbers")) {
			if (seen_shownumbers++)
				return sml_fail(p, key.lt_off, "duplicate "
				    "parameter 'shownumbers' for makeresults");
			if ((v = sml_param_value(p, "shownumbers")) == NULL)
				return -1;
			if (strcasecmp(v, "true") == 0)
				mr->sm_shownumbers = 1;
			else if (strcasecmp(v, "false") == 0)
				mr->sm_shownumbers = 0;
			else {
				free(v);
				return sml_fail(p, p->sp_tok.lt_off,
				    "shownumbers must be true or false");
			}
			free(v);
		} else
			return sml_fail(p, key.lt_off,
			    "unknown parameter '%s' for makeresults",
			    sml_quote(p, &key, q));
		if (sml_next(p) == -1)
			return -1;
	}
	return 0;
}

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
 * place in the pipeline (0 for the first). Returns 0 with the current token at '|' or the end,
 * or -1 with the error reported.
 */
static int
sml_parse_command(struct sml_parser *p, size_t nth)
{
	struct lex_token name = p->sp_tok;
	struct sml_command *c;
	char q[SML_QUOTE_BUF];
	int rc;

	if (lex_is_word(p->sp_text, &name, "source") ||
	    lex_is_word(p->sp_text, &name, "makeresults")) {
		int is_source = p->sp_text[name.lt_off] == 's';
		const char *cname = is_source ? "source" : "makeresults";

		if (nth > 0)
			return sml_fail(p, name.lt_off,
			    "'%s' must be the first command", cname);
		if ((c = sml_add_command(p, is_source ? SML_CMD_SOURCE :
		    SML_CMD_MAKERESULTS, cname)) == NULL)
			return -1;
		rc = is_source ? sml_parse_source(p, &c->sc_u.source) :
		    sml_parse_makeresults(p, &c->sc_u.makeresults);
		c->sc_len = p->sp_end - c->sc_off;
		return rc;
	}
	for (size_t i = 0; i < sizeof(sml_unsupported) /
	    sizeof(sml_unsupported[0]); i++)
		if (lex_is_word(p->sp_text, &name, sml_unsupported[i]))
			return sml_fail(p, name.lt_off,
			    "command '%s' is not supported yet",
			    sml_unsupported[i]);
	return sml_fail(p, name.lt_off, "unknown command '%s'",
	    sml_quote(p, &name, q));
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

int
sml_parse(const char *text, size_t len, const struct sml_limits *lim,
    struct sml_query **out, struct sml_error *err)
{
	struct sml_error spare;
	struct sml_parser p;
	size_t max_bytes = SML_DEFAULT_MAX_QUERY_BYTES;

	if (err == NULL)
		err = &spare;
	memset(err, 0, sizeof(*err));
	*out = NULL;
	if (text == NULL)
		len = 0;
	memset(&p, 0, sizeof(p));
	p.sp_text = text != NULL ? text : "";
	p.sp_len = len;
	p.sp_err = err;
	p.sp_max_qsize = SML_DEFAULT_MAX_QSIZE;
	if (lim != NULL) {
		max_bytes = lim->sl_max_query_bytes;
		p.sp_max_qsize = lim->sl_max_qsize;
	}
	if (len > max_bytes)
		return sml_fail(&p, 0, "query is longer than %zu bytes",
		    max_bytes);
	if ((p.sp_q = calloc(1, sizeof(*p.sp_q))) == NULL ||
	    (p.sp_q->sq_text = malloc(len + 1)) == NULL) {
		sml_query_free(p.sp_q);
		return sml_fail_nomem(&p);
	}
	memcpy(p.sp_q->sq_text, p.sp_text, len);
	p.sp_q->sq_text[len] = '\0';
	if (sml_parse_pipeline(&p) == -1) {
		sml_query_free(p.sp_q);
		return -1;
	}
	*out = p.sp_q;
	return 0;
}

void
sml_query_free(struct sml_query *q)
{
	if (q == NULL)
		return;
	for (size_t i = 0; i < q->sq_ncmds; i++) {
		struct sml_command *c = &q->sq_cmds[i];

		if (c->sc_kind != SML_CMD_SOURCE)
			continue;
		for (size_t j = 0; j < c->sc_u.source.ss_npatterns; j++)
			free(c->sc_u.source.ss_patterns[j]);
		free(c->sc_u.source.ss_patterns);
		free(c->sc_u.source.ss_earliest);
		free(c->sc_u.source.ss_latest);
	}
	free(q->sq_cmds);
	free(q->sq_text);
	free(q);
}
