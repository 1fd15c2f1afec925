/* lexer.c - SML tokens: words, numbers, strings, operators, comments. */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "sml/lexer.h"

/* Keywords, matched case-insensitively against whole words. */
static const struct {
	const char *kw_name;
	enum lex_kind kw_kind;
} lex_keywords[] = {
	{ "AND", LEX_AND }, { "OR", LEX_OR }, { "NOT", LEX_NOT },
	{ "AS", LEX_AS }, { "BY", LEX_BY }, { "IN", LEX_IN },
};

static int
lex_is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
	    c == '\v';
}

static int
lex_is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static int
lex_is_alpha(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Characters that may start a word: letters (UTF-8 ones too), '_', '@'. */
static int
lex_is_word_start(unsigned char c)
{
	return lex_is_alpha(c) || c == '_' || c == '@' || c >= 0x80;
}

/* Characters that may continue a word. */
static int
lex_is_word_char(unsigned char c)
{
	return lex_is_word_start(c) || lex_is_digit(c) || c == '.' ||
	    c == '-' || c == '*';
}

/* Returns 1 when a token of this kind is a value an operator may follow. */
static int
lex_is_operand(enum lex_kind k)
{
	return k == LEX_WORD || k == LEX_NUMBER || k == LEX_STRING ||
	    k == LEX_QNAME || k == LEX_RPAREN || k == LEX_RBRACKET;
}

void
lex_locate(const char *text, size_t len, size_t off, int *line, int *column,
    size_t *position)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t i = 0, pos = 0, step;
	int ln = 1, col = 1;

	if (off > len)
		off = len;
	while (i < off) {
		if (s[i] == '\n') {
			if (ln < INT_MAX)
				ln++;
			col = 1;
		} else if (col < INT_MAX)
			col++;
		pos++;
		step = util_utf8_seq((const char *)s + i, len - i);
		i += step > 0 ? step : 1;
	}
	*line = ln;
	*column = col;
	*position = pos;
}

/* Sets the lexer's error (reason and offset) and returns -1. */
static int __attribute__((format(printf, 3, 4)))
lex_fail(struct lexer *lx, size_t off, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(lx->lx_err, sizeof(lx->lx_err), fmt, ap);
	va_end(ap);
	lx->lx_err_off = off;
	return -1;
}

/*
 * Returns the offset just past the closing quote of the string or name that
 * starts with the quote at s[start], or 0 when it is not terminated. Only
 * \<quote> and \\ are escapes; any other backslash is an ordinary byte.
 */
static size_t
lex_quoted_end(const char *s, size_t n, size_t start)
{
	char q = s[start];

	for (size_t i = start + 1; i < n; i++) {
		if (s[i] == '\\' && i + 1 < n && (s[i + 1] == q ||
		    s[i + 1] == '\\'))
			i++;
		else if (s[i] == q)
			return i + 1;
	}
	return 0;
}

/*
 * Returns the offset just past the "*" "/" that ends the comment starting at
 * s[start] ("/" "*"), or 0 when it is not terminated.
 */
static size_t
lex_comment_end(const char *s, size_t n, size_t start)
{
	for (size_t i = start + 2; i + 1 < n; i++)
		if (s[i] == '*' && s[i + 1] == '/')
			return i + 2;
	return 0;
}

/* Returns the kind of the quoted token starting with quote q, for messages. */
static const char *
lex_quoted_what(char q)
{
	return q == '"' ? "string" : "field name";
}

/*
 * Skips white space and comments from lx_pos. Returns 0, or -1 at an
 * unterminated comment (reported at its start).
 */
static int
lex_skip(struct lexer *lx)
{
	const char *s = lx->lx_text;
	size_t n = lx->lx_len, i = lx->lx_pos, end;

	for (;;) {
		while (i < n && lex_is_space((unsigned char)s[i]))
			i++;
		if (i + 1 < n && s[i] == '/' && s[i + 1] == '*') {
			if ((end = lex_comment_end(s, n, i)) == 0)
				return lex_fail(lx, i,
				    "unterminated comment starting");
			i = end;
			continue;
		}
		break;
	}
	lx->lx_pos = i;
	return 0;
}

/*
 * Returns the length of the number at s[0..n) (digits, optional fraction,
 * optional exponent; or a fraction alone, ".5"), or 0 when none starts there.
 */
static size_t
lex_number_len(const unsigned char *s, size_t n)
{
	size_t i = 0, k, idigits, fdigits = 0;

	while (i < n && lex_is_digit(s[i]))
		i++;
	idigits = i;
	if (i + 1 < n && s[i] == '.' && lex_is_digit(s[i + 1])) {
		i++;
		while (i < n && lex_is_digit(s[i])) {
			i++;
			fdigits++;
		}
	}
	if (idigits == 0 && fdigits == 0)
		return 0;
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		k = i + 1;
		if (k < n && (s[k] == '+' || s[k] == '-'))
			k++;
		if (k < n && lex_is_digit(s[k])) {
			while (k < n && lex_is_digit(s[k]))
				k++;
			i = k;
		}
	}
	return i;
}

/* Returns the keyword kind of s[0..n), or LEX_WORD when it is none. */
static enum lex_kind
lex_keyword(const char *s, size_t n)
{
	for (size_t i = 0; i < sizeof(lex_keywords) / sizeof(lex_keywords[0]);
	    i++) {
		const char *kw = lex_keywords[i].kw_name;
		size_t j;

		if (strlen(kw) != n)
			continue;
		for (j = 0; j < n; j++)
			if ((s[j] & ~0x20) != kw[j])
				break;
		if (j == n)
			return lex_keywords[i].kw_kind;
	}
	return LEX_WORD;
}

/* Returns the end of the run of word characters starting at s[i]. */
static size_t
lex_word_end(const unsigned char *s, size_t n, size_t i)
{
	while (i < n && lex_is_word_char(s[i]))
		i++;
	return i;
}

/* Returns 1 when byte c stops an unquoted parameter value. */
static int
lex_is_value_stop(unsigned char c)
{
	return c < 0x20 || c == 0x7f || c == ' ' || strchr(",|[]()=<>!\"'",
	    c) != NULL;
}

/*
 * Reads one token from lx_pos into *t; in value mode an unquoted run is read
 * as one parameter value (see lex_value()). On success moves lx_pos past it
 * and records its kind in lx_prev. On failure leaves both alone, so reading
 * again reports the same error.
 */
static int
lex_scan(struct lexer *lx, struct lex_token *t, int value)
{
	const unsigned char *s = (const unsigned char *)lx->lx_text;
	size_t n = lx->lx_len, i, end, len;
	enum lex_kind k;
	const char *nul;

	if (lex_skip(lx) == -1)
		return -1;
	i = lx->lx_pos;
	end = i + 1;
	if (i >= n) {
		k = LEX_EOF;
		end = n;
		goto done;
	}
	if (value && !lex_is_value_stop(s[i]) &&
	    !(s[i] == '/' && i + 1 < n && s[i + 1] == '*')) {
		for (end = i; end < n && !lex_is_value_stop(s[end]); end++)
			if (s[end] == '/' && end + 1 < n && s[end + 1] == '*')
				break;
		k = lex_keyword(lx->lx_text + i, end - i);
		goto done;
	}
	switch (s[i]) {
	case '"':
	case '\'':
		if ((end = lex_quoted_end(lx->lx_text, n, i)) == 0)
			return lex_fail(lx, i, "unterminated %s starting",
			    lex_quoted_what((char)s[i]));
		if ((nul = memchr(s + i, '\0', end - i)) != NULL)
			return lex_fail(lx, (size_t)(nul - lx->lx_text),
			    "unexpected NUL byte");
		k = s[i] == '"' ? LEX_STRING : LEX_QNAME;
		break;
	case '|': k = LEX_PIPE; break;
	case ',': k = LEX_COMMA; break;
	case '(': k = LEX_LPAREN; break;
	case ')': k = LEX_RPAREN; break;
	case '[': k = LEX_LBRACKET; break;
	case ']': k = LEX_RBRACKET; break;
	case '+': k = LEX_PLUS; break;
	case '%': k = LEX_PERCENT; break;
	case '/': k = LEX_SLASH; break;	/* comments are skipped above */
	case '=':
		k = LEX_EQ;
		if (i + 1 < n && s[i + 1] == '=') {
			k = LEX_EQEQ;
			end++;
		}
		break;
	case '!':
		if (i + 1 >= n || s[i + 1] != '=')
			return lex_fail(lx, i, "expected '=' after '!'");
		k = LEX_NE;
		end++;
		break;
	case '<':
	case '>':
		k = s[i] == '<' ? LEX_LT : LEX_GT;
		if (i + 1 < n && s[i + 1] == '=') {
			k = s[i] == '<' ? LEX_LE : LEX_GE;
			end++;
		}
		break;
	case '-':
		k = LEX_MINUS;
		if (lex_is_operand(lx->lx_prev))
			break;
		len = lex_number_len(s + i + 1, n - i - 1);
		if (len > 0 && (i + 1 + len >= n ||
		    !lex_is_word_char(s[i + 1 + len]))) {
			k = LEX_NUMBER;
			end = i + 1 + len;
		}
		break;
	case '*':
		k = LEX_STAR;
		if (i + 1 < n && lex_is_word_char(s[i + 1])) {
			k = LEX_WORD;
			end = lex_word_end(s, n, i);
		}
		break;
	case '.':
		k = LEX_DOT;
		if (i + 1 < n && (lex_is_word_start(s[i + 1]) ||
		    lex_is_digit(s[i + 1]) || s[i + 1] == '*'))
			goto word;
		break;
	case '\0':
		return lex_fail(lx, i, "unexpected NUL byte");
	default:
		if (lex_is_word_start(s[i]) || lex_is_digit(s[i]))
			goto word;
		if (s[i] > 0x20 && s[i] < 0x7f)
			return lex_fail(lx, i, "unexpected character '%c'",
			    s[i]);
		return lex_fail(lx, i, "unexpected byte 0x%02x", s[i]);
	}
	goto done;
word:
	/* A number when no word character follows it, else a word. */
	len = lex_number_len(s + i, n - i);
	if (len > 0 && (i + len >= n || !lex_is_word_char(s[i + len]))) {
		k = LEX_NUMBER;
		end = i + len;
	} else {
		end = lex_word_end(s, n, i);
		k = lex_keyword(lx->lx_text + i, end - i);
	}
done:
	t->lt_kind = k;
	t->lt_off = i;
	t->lt_len = end - i;
	lx->lx_pos = end;
	lx->lx_prev = k;
	return 0;
}

void
lex_init(struct lexer *lx, const char *text, size_t len)
{
	memset(lx, 0, sizeof(*lx));
	lx->lx_text = text;
	lx->lx_len = len;
	lx->lx_prev = LEX_PIPE;		/* as at the start of a command */
}

int
lex_next(struct lexer *lx, struct lex_token *t)
{
	if (lx->lx_has_peek) {
		*t = lx->lx_peek;
		lx->lx_has_peek = 0;
		return 0;
	}
	return lex_scan(lx, t, 0);
}

int
lex_peek(struct lexer *lx, struct lex_token *t)
{
	enum lex_kind prev = lx->lx_prev;

	if (!lx->lx_has_peek) {
		if (lex_scan(lx, &lx->lx_peek, 0) == -1)
			return -1;
		lx->lx_has_peek = 1;
		lx->lx_peek_prev = prev;
	}
	*t = lx->lx_peek;
	return 0;
}

int
lex_value(struct lexer *lx, struct lex_token *t)
{
	if (lx->lx_has_peek) {
		lx->lx_pos = lx->lx_peek.lt_off;
		lx->lx_prev = lx->lx_peek_prev;
		lx->lx_has_peek = 0;
	}
	return lex_scan(lx, t, 1);
}

/* Sets err/err_off for lex_check() and returns -1. */
static int __attribute__((format(printf, 5, 6)))
lex_check_fail(size_t *err_off, size_t off, char *err, size_t errlen,
    const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	*err_off = off;
	return -1;
}

int
lex_check(const char *text, size_t len, size_t *err_off, char *err,
    size_t errlen)
{
	size_t open[LEX_MAX_DEPTH], depth = 0, i = 0, end;
	const char *nul;
	char c;

	while (i < len) {
		c = text[i];
		if (c == '\0')
			return lex_check_fail(err_off, i, err, errlen,
			    "unexpected NUL byte");
		if (c == '"' || c == '\'' || (c == '/' && i + 1 < len &&
		    text[i + 1] == '*')) {
			if (c == '/') {
				if ((end = lex_comment_end(text, len, i)) == 0)
					return lex_check_fail(err_off, i, err,
					    errlen,
					    "unterminated comment starting");
			} else if ((end = lex_quoted_end(text, len, i)) == 0)
				return lex_check_fail(err_off, i, err, errlen,
				    "unterminated %s starting",
				    lex_quoted_what(c));
			if ((nul = memchr(text + i, '\0', end - i)) != NULL)
				return lex_check_fail(err_off,
				    (size_t)(nul - text), err, errlen,
				    "unexpected NUL byte");
			i = end;
			continue;
		}
		if (c == '(' || c == '[') {
			if (depth == LEX_MAX_DEPTH)
				return lex_check_fail(err_off, i, err, errlen,
				    "nesting deeper than %d levels",
				    LEX_MAX_DEPTH);
			open[depth++] = i;
		} else if (c == ')' || c == ']') {
			if (depth == 0)
				return lex_check_fail(err_off, i, err, errlen,
				    "unmatched '%c'", c);
			if (text[open[depth - 1]] != (c == ')' ? '(' : '['))
				return lex_check_fail(err_off, open[depth - 1],
				    err, errlen, "unclosed '%c'",
				    text[open[depth - 1]]);
			depth--;
		}
		i++;
	}
	if (depth > 0)
		return lex_check_fail(err_off, open[depth - 1], err, errlen,
		    "unclosed '%c'", text[open[depth - 1]]);
	return 0;
}

char *
lex_text(const char *text, const struct lex_token *t)
{
	const char *s = text + t->lt_off;
	size_t n = t->lt_len, j = 0;
	char *out, q;

	if ((out = malloc(n + 1)) == NULL)
		return NULL;
	if ((t->lt_kind == LEX_STRING || t->lt_kind == LEX_QNAME) && n >= 2) {
		q = s[0];
		for (size_t i = 1; i + 1 < n; i++) {
			if (s[i] == '\\' && i + 2 < n && (s[i + 1] == q ||
			    s[i + 1] == '\\'))
				i++;
			out[j++] = s[i];
		}
	} else {
		memcpy(out, s, n);
		j = n;
	}
	out[j] = '\0';
	return out;
}

int
lex_is_word(const char *text, const struct lex_token *t, const char *word)
{
	return t->lt_kind == LEX_WORD && strlen(word) == t->lt_len &&
	    memcmp(text + t->lt_off, word, t->lt_len) == 0;
}

const char *
lex_kind_name(enum lex_kind k)
{
	switch (k) {
	case LEX_EOF: return "the end of the query";
	case LEX_WORD: return "a word";
	case LEX_NUMBER: return "a number";
	case LEX_STRING: return "a string";
	case LEX_QNAME: return "a quoted field name";
	case LEX_PIPE: return "'|'";
	case LEX_COMMA: return "','";
	case LEX_LPAREN: return "'('";
	case LEX_RPAREN: return "')'";
	case LEX_LBRACKET: return "'['";
	case LEX_RBRACKET: return "']'";
	case LEX_EQ: return "'='";
	case LEX_EQEQ: return "'=='";
	case LEX_NE: return "'!='";
	case LEX_LT: return "'<'";
	case LEX_GT: return "'>'";
	case LEX_LE: return "'<='";
	case LEX_GE: return "'>='";
	case LEX_PLUS: return "'+'";
	case LEX_MINUS: return "'-'";
	case LEX_STAR: return "'*'";
	case LEX_SLASH: return "'/'";
	case LEX_PERCENT: return "'%'";
	case LEX_DOT: return "'.'";
	case LEX_AND: return "AND";
	case LEX_OR: return "OR";
	case LEX_NOT: return "NOT";
	case LEX_AS: return "AS";
	case LEX_BY: return "BY";
	case LEX_IN: return "IN";
	}
	return "a token";
}
