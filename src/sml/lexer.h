/* lexer.h - SML tokens: the lexical rules of spec/sml.md, for the parser. */
#ifndef AR_SML_LEXER_H
#define AR_SML_LEXER_H

#include <stddef.h>

/*
 * Deepest nesting of '(' and '[' that lex_check() accepts. The parser's
 * recursion (expressions, subsearches) must stay within it, so that no input
 * can grow the C stack without bound.
 */
#define LEX_MAX_DEPTH	64

/* Longest lexer error reason, without the position. */
#define LEX_ERR_MAX	128

enum lex_kind {
	LEX_EOF,	/* end of the text; lt_off == the text length */
	LEX_WORD,	/* name, term or pattern: a-z A-Z 0-9 _ . @ - * UTF-8 */
	LEX_NUMBER,	/* 12  -3  1.5e3  .5 */
	LEX_STRING,	/* "..." with \" and \\ escapes */
	LEX_QNAME,	/* '...': a field name, \' and \\ escapes */
	LEX_PIPE,	/* | */
	LEX_COMMA,	/* , */
	LEX_LPAREN,	/* ( */
	LEX_RPAREN,	/* ) */
	LEX_LBRACKET,	/* [ */
	LEX_RBRACKET,	/* ] */
	LEX_EQ,		/* = */
	LEX_EQEQ,	/* == */
	LEX_NE,		/* != */
	LEX_LT,		/* < */
	LEX_GT,		/* > */
	LEX_LE,		/* <= */
	LEX_GE,		/* >= */
	LEX_PLUS,	/* + */
	LEX_MINUS,	/* - */
	LEX_STAR,	/* * standing alone */
	LEX_SLASH,	/* / */
	LEX_PERCENT,	/* % */
	LEX_DOT,	/* . standing alone */
	LEX_AND,	/* keywords, any case */
	LEX_OR,
	LEX_NOT,
	LEX_AS,
	LEX_BY,
	LEX_IN,
};

/*
 * One token: its kind and where its text lies in the query, quotes included
 * for LEX_STRING and LEX_QNAME. Tokens borrow the text; lex_text() copies.
 */
struct lex_token {
	enum lex_kind lt_kind;
	size_t lt_off;		/* byte offset of the first byte */
	size_t lt_len;		/* byte length */
};

/*
 * The lexer state: a cursor over borrowed text (which may hold any bytes,
 * NUL included) and a one-token lookahead. Set up with lex_init(); nothing
 * to free.
 */
struct lexer {
	const char *lx_text;
	size_t lx_len;
	size_t lx_pos;			/* next byte to read */
	enum lex_kind lx_prev;		/* last token handed out or peeked */
	int lx_has_peek;
	struct lex_token lx_peek;
	enum lex_kind lx_peek_prev;	/* lx_prev before the peeked token */
	size_t lx_err_off;		/* where the last error is */
	char lx_err[LEX_ERR_MAX];	/* its reason, "unexpected character '$'" */
};

/* Starts lexing len bytes of text, which must outlive the lexer. */
void lex_init(struct lexer *, const char *text, size_t len);

/*
 * Reads the next token into *t, skipping white space and comments. Returns 0,
 * or -1 with the reason in lx_err and its byte offset in lx_err_off. The
 * reasons read well with " at line L, column C" appended:
 * "unterminated string starting", "unexpected character '$'",
 * "expected '=' after '!'", "unexpected NUL byte", "unexpected byte 0x07".
 *
 * Words: letters, digits, '_', '.', '@', bytes >= 0x80 (UTF-8 letters) and,
 * after the first character, '-'. '*' belongs to a word when it touches
 * word characters ("sysmon-*", "*temp*", "a*b"); a '*' standing alone is
 * LEX_STAR, so operators need spaces around them ("a * b"). Likewise '.'
 * followed by a letter starts a word (".kibana"); "a . b" is LEX_DOT.
 * A number ("12", "1.5e3", "1e+3", ".5") that no word character follows is
 * LEX_NUMBER; otherwise the run is a word ("10.0.0.1", "2026-11-28", "3-5").
 * '-' directly before a digit is part of the number unless the previous token
 * is an operand (word, number, string, name, ')' or ']'): "x = -3" has the
 * number -3, "x -3" is x minus 3. Keywords are words equal to AND OR NOT AS
 * BY IN in any case.
 */
int lex_next(struct lexer *, struct lex_token *t);

/* Like lex_next() but leaves the token to be read again. */
int lex_peek(struct lexer *, struct lex_token *t);

/*
 * Reads the value of a key=value parameter (call it right after the '='):
 * skips white space and comments, then returns a LEX_STRING for a quoted
 * value, or a LEX_WORD spanning every byte up to white space, a comment, or
 * one of , | [ ] ( ) = < > ! " ' (so "now-1d/d" and
 * "2026-11-28T10:00:00Z" need no quotes), or a keyword kind when that run is
 * a keyword. When no value starts here, returns the token that does (',',
 * '|', end of text...), for the caller to reject. A pending peek is dropped
 * and its text read again as a value. Returns 0, or -1 as lex_next().
 */
int lex_value(struct lexer *, struct lex_token *t);

/*
 * Checks the whole text before parsing, in one linear pass: strings, field
 * names and comments are terminated, '(' and '[' are balanced and nested at
 * most LEX_MAX_DEPTH deep, and no NUL byte occurs. Returns 0, or -1 with a
 * reason in err (errlen bytes) and its byte offset in *err_off, at the start
 * of what is wrong: "unterminated comment starting", "unclosed '('",
 * "unmatched ']'", "nesting deeper than 64 levels", "unexpected NUL byte".
 */
int lex_check(const char *text, size_t len, size_t *err_off, char *err,
    size_t errlen);

/*
 * Returns a NUL-terminated copy of the token's value that the caller frees:
 * the contents of a string or quoted name with its escapes resolved (only
 * \" or \' and \\; any other backslash stays), or the token text as written.
 * Returns NULL when out of memory.
 */
char *lex_text(const char *text, const struct lex_token *t);

/* Returns 1 when t is a LEX_WORD spelled exactly word, else 0. */
int lex_is_word(const char *text, const struct lex_token *t, const char *word);

/* Returns a static description of a kind for messages: "'|'", "a string". */
const char *lex_kind_name(enum lex_kind);

/*
 * Maps byte offset off of text to a 1-based line, a 1-based column and a
 * 0-based offset from the start, both counted in characters: UTF-8
 * sequences count once, an invalid byte counts as one character. Lines end at
 * '\n'. Linear in off.
 */
void lex_locate(const char *text, size_t len, size_t off, int *line,
    int *column, size_t *position);

#endif
