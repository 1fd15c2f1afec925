/* test_sml_parse.c - the SML lexer and parser: tokens, queries, every error. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sml/lexer.h"
#include "sml/sml.h"
#include "tap.h"

/* The configuration defaults. */
static const struct sml_limits lim = { 10000000, 65536 };

/*
 * Returns len bytes of text printable on one TAP line (control and NUL bytes
 * escaped, long texts cut), in one of two static buffers used in turn.
 */
static const char *
esc_n(const char *text, size_t len)
{
	static char bufs[2][160];
	static int which;
	char *b = bufs[which ^= 1];
	size_t o = 0, i;

	for (i = 0; i < len && o + 8 < sizeof(bufs[0]); i++) {
		unsigned char c = (unsigned char)text[i];

		if (c == '\n')
			o += (size_t)snprintf(b + o, 8, "\\n");
		else if (c < 0x20 || c == 0x7f)
			o += (size_t)snprintf(b + o, 8, "\\x%02x", c);
		else
			b[o++] = (char)c;
	}
	if (i < len) {
		memcpy(b + o, "...", 3);
		o += 3;
	}
	b[o] = '\0';
	return b;
}

#define esc(text) esc_n((text), strlen(text))

/* Short names of the token kinds, in enum order, for token dumps. */
static const char *const kind_names[] = {
	"EOF", "WORD", "NUMBER", "STRING", "QNAME", "PIPE", "COMMA", "LPAREN",
	"RPAREN", "LBRACKET", "RBRACKET", "EQ", "EQEQ", "NE", "LT", "GT", "LE",
	"GE", "PLUS", "MINUS", "STAR", "SLASH", "PERCENT", "DOT", "AND", "OR",
	"NOT", "AS", "BY", "IN",
};

/*
 * Lexes len bytes of text and writes its tokens to out as
 * "WORD(a) PIPE NUMBER(-3) EOF", or "... ERR(reason@offset)". Returns out.
 */
static const char *
dump(const char *text, size_t len, char *out, size_t outlen)
{
	struct lexer lx;
	struct lex_token t;
	size_t o = 0;

	out[0] = '\0';
	lex_init(&lx, text, len);
	for (int i = 0; i < 200 && o < outlen; i++) {
		if (lex_next(&lx, &t) == -1) {
			snprintf(out + o, outlen - o, "%sERR(%s@%zu)",
			    i > 0 ? " " : "", lx.lx_err, lx.lx_err_off);
			break;
		}
		o += (size_t)snprintf(out + o, outlen - o, "%s%s",
		    i > 0 ? " " : "", kind_names[t.lt_kind]);
		if (o < outlen && (t.lt_kind == LEX_WORD ||
		    t.lt_kind == LEX_NUMBER || t.lt_kind == LEX_STRING ||
		    t.lt_kind == LEX_QNAME))
			o += (size_t)snprintf(out + o, outlen - o, "(%.*s)",
			    (int)t.lt_len, text + t.lt_off);
		if (t.lt_kind == LEX_EOF)
			break;
	}
	return out;
}

#define TOKENS(text, want) do { \
	char tk_b_[1024]; \
	is_str(dump((text), strlen(text), tk_b_, sizeof(tk_b_)), (want), \
	    "tokens of %s", esc(text)); \
} while (0)

/* Returns the resolved text of the first token of text (freed by caller). */
static char *
first_text(const char *text)
{
	struct lexer lx;
	struct lex_token t;

	lex_init(&lx, text, strlen(text));
	if (lex_next(&lx, &t) == -1)
		return NULL;
	return lex_text(text, &t);
}

#define FIRST_TEXT(text, want) do { \
	char *ft_v_ = first_text(text); \
	is_str(ft_v_, (want), "value of %s", esc(text)); \
	free(ft_v_); \
} while (0)

/*
 * Parses len bytes of text with limits l, expecting success with one
 * command. Returns the query (freed by the caller) or NULL.
 */
static struct sml_query *
parse_ok_l(const char *text, size_t len, const struct sml_limits *l)
{
	struct sml_query *q = NULL;
	struct sml_error e;
	int rc;

	rc = sml_parse(text, len, l, &q, &e);
	ok(rc == 0 && q != NULL && q->sq_ncmds == 1, "parses: %s", esc_n(text, len));
	if (rc != 0) {
		printf("#   error: %s\n", e.se_msg);
		return NULL;
	}
	return q;
}

#define parse_ok(text) parse_ok_l((text), strlen(text), &lim)

/* Checks that text (len bytes) fails with exactly msg at line/col/pos. */
static void
check_err_l(const char *text, size_t len, const struct sml_limits *l,
    const char *msg, int line, int col, size_t pos)
{
	struct sml_query *q = (struct sml_query *)&q;
	struct sml_error e;
	int rc;

	rc = sml_parse(text, len, l, &q, &e);
	ok(rc == -1 && q == NULL, "fails: %s", esc_n(text, len));
	is_str(e.se_msg, msg, "message for %s", esc_n(text, len));
	ok(e.se_line == line && e.se_column == col && e.se_position == pos,
	    "line %d, column %d, position %zu", line, col, pos);
	if (e.se_line != line || e.se_column != col || e.se_position != pos)
		printf("#   got line %d, column %d, position %zu\n", e.se_line,
		    e.se_column, e.se_position);
	if (rc == 0)
		sml_query_free(q);
}

#define ERR(text, msg, line, col, pos) \
	check_err_l((text), strlen(text), &lim, (msg), (line), (col), (pos))

/* Checks a parsed source command: patterns joined by '|', qsize, times. */
static void
check_source(const char *text, const char *patterns, int64_t qsize,
    const char *earliest, const char *latest, size_t off, size_t len)
{
	struct sml_query *q = parse_ok(text);
	const struct sml_command *c;
	const struct sml_source *s;
	char joined[512] = "";

	if (q == NULL)
		return;
	c = &q->sq_cmds[0];
	s = &c->sc_u.source;
	ok(c->sc_kind == SML_CMD_SOURCE && strcmp(c->sc_name, "source") == 0,
	    "  is source");
	for (size_t i = 0; i < s->ss_npatterns; i++) {
		if (i > 0)
			strcat(joined, "|");
		strcat(joined, s->ss_patterns[i]);
	}
	is_str(joined, patterns, "  patterns");
	is_int(s->ss_qsize, qsize, "  qsize");
	is_str(s->ss_earliest, earliest, "  earliest");
	is_str(s->ss_latest, latest, "  latest");
	is_int(c->sc_off, off, "  sc_off");
	is_int(c->sc_len, len, "  sc_len");
	ok(strcmp(q->sq_text, text) == 0, "  sq_text is a copy");
	sml_query_free(q);
}

/* Checks a parsed makeresults command. */
static void
check_makeresults(const char *text, int64_t count, int shownumbers,
    size_t off, size_t len)
{
	struct sml_query *q = parse_ok(text);
	const struct sml_command *c;

	if (q == NULL)
		return;
	c = &q->sq_cmds[0];
	ok(c->sc_kind == SML_CMD_MAKERESULTS &&
	    strcmp(c->sc_name, "makeresults") == 0, "  is makeresults");
	is_int(c->sc_u.makeresults.sm_count, count, "  count");
	is_int(c->sc_u.makeresults.sm_shownumbers, shownumbers,
	    "  shownumbers");
	is_int(c->sc_off, off, "  sc_off");
	is_int(c->sc_len, len, "  sc_len");
	sml_query_free(q);
}

static void
test_lexer_tokens(void)
{
	TOKENS("a | b , ( ) [ ] = == != < > <= >= + - * / % .",
	    "WORD(a) PIPE WORD(b) COMMA LPAREN RPAREN LBRACKET RBRACKET EQ "
	    "EQEQ NE LT GT LE GE PLUS MINUS STAR SLASH PERCENT DOT EOF");
	TOKENS("a|b,c=d==e!=f<=g>=h<i>j",
	    "WORD(a) PIPE WORD(b) COMMA WORD(c) EQ WORD(d) EQEQ WORD(e) NE "
	    "WORD(f) LE WORD(g) GE WORD(h) LT WORD(i) GT WORD(j) EOF");
	TOKENS("12, -3, 1.5e3, 1e+3, 1E-3, .5, 007",
	    "NUMBER(12) COMMA NUMBER(-3) COMMA NUMBER(1.5e3) COMMA "
	    "NUMBER(1e+3) COMMA NUMBER(1E-3) COMMA NUMBER(.5) COMMA "
	    "NUMBER(007) EOF");
	TOKENS("10.0.0.1 2026-11-28 3-5 0x1F 1e 12. 4624abc",
	    "WORD(10.0.0.1) WORD(2026-11-28) WORD(3-5) WORD(0x1F) WORD(1e) "
	    "WORD(12.) WORD(4624abc) EOF");
	TOKENS("sysmon_operational-* *temp* @timestamp event.code "
	    "process.parent.name a*b .kibana _x-y",
	    "WORD(sysmon_operational-*) WORD(*temp*) WORD(@timestamp) "
	    "WORD(event.code) WORD(process.parent.name) WORD(a*b) "
	    "WORD(.kibana) WORD(_x-y) EOF");
	TOKENS("привет naïve \xe2\x82\xac" "5",
	    "WORD(привет) WORD(naïve) WORD(\xe2\x82\xac" "5) EOF");
	TOKENS("count(*) f=* a * b",
	    "WORD(count) LPAREN STAR RPAREN WORD(f) EQ STAR WORD(a) STAR "
	    "WORD(b) EOF");
	TOKENS("and Or NOT as By in band ORx",
	    "AND OR NOT AS BY IN WORD(band) WORD(ORx) EOF");
	/* '-' before a digit: a sign unless an operand precedes it. */
	TOKENS("x -3", "WORD(x) MINUS NUMBER(3) EOF");
	TOKENS("x = -3", "WORD(x) EQ NUMBER(-3) EOF");
	TOKENS("(-3) - -2.5", "LPAREN NUMBER(-3) RPAREN MINUS NUMBER(-2.5) EOF");
	TOKENS("sort -count -3x",
	    "WORD(sort) MINUS WORD(count) MINUS WORD(3x) EOF");
	TOKENS("\"a b\" 'c d' \"\"",
	    "STRING(\"a b\") QNAME('c d') STRING(\"\") EOF");
	TOKENS("a/* x */b /* y */ c/**/d",
	    "WORD(a) WORD(b) WORD(c) WORD(d) EOF");
	TOKENS("sysmon-*/* c */ /*/ still comment */x",
	    "WORD(sysmon-*) WORD(x) EOF");
	TOKENS("a\n|\r\n\tb\f\vc", "WORD(a) PIPE WORD(b) WORD(c) EOF");
	TOKENS("", "EOF");
	TOKENS("  /* only */  ", "EOF");
}

static void
test_lexer_strings(void)
{
	FIRST_TEXT("\"a \\\"b\\\" \\\\ \\d+ \\n\"", "a \"b\" \\ \\d+ \\n");
	FIRST_TEXT("\"*\\\\temp\\\\*\"", "*\\temp\\*");
	FIRST_TEXT("'field with space'", "field with space");
	FIRST_TEXT("'it\\'s \\\"x\\\"'", "it's \\\"x\\\"");
	FIRST_TEXT("\"multi\nline /* not a comment */\"",
	    "multi\nline /* not a comment */");
	FIRST_TEXT("\"\"", "");
	FIRST_TEXT("sysmon-*", "sysmon-*");
}

static void
test_lexer_errors(void)
{
	char b[256];

	TOKENS("a ! b", "WORD(a) ERR(expected '=' after '!'@2)");
	TOKENS("a $", "WORD(a) ERR(unexpected character '$'@2)");
	TOKENS("x \"abc", "WORD(x) ERR(unterminated string starting@2)");
	TOKENS("x \"abc\\\"", "WORD(x) ERR(unterminated string starting@2)");
	TOKENS("x 'abc", "WORD(x) ERR(unterminated field name starting@2)");
	TOKENS("x /* abc *", "WORD(x) ERR(unterminated comment starting@2)");
	TOKENS("a \x01", "WORD(a) ERR(unexpected byte 0x01@2)");
	is_str(dump("a \0b", 4, b, sizeof(b)),
	    "WORD(a) ERR(unexpected NUL byte@2)", "NUL byte");
	is_str(dump("\"a\0b\"", 5, b, sizeof(b)),
	    "ERR(unexpected NUL byte@2)", "NUL byte in a string");
}

static void
test_lexer_value(void)
{
	static const char text[] = "k=now-1d/d|x = 2026-11-28T10:00:00+03:00,"
	    " v= \"q\" w=AND z=/* c */,";
	struct lexer lx;
	struct lex_token t;
	char *v;
	int good = 1;

	lex_init(&lx, text, strlen(text));
	good &= lex_next(&lx, &t) == 0 && lex_is_word(text, &t, "k");
	good &= lex_next(&lx, &t) == 0 && t.lt_kind == LEX_EQ;
	good &= lex_value(&lx, &t) == 0 && t.lt_kind == LEX_WORD;
	v = lex_text(text, &t);
	is_str(v, "now-1d/d", "value: now-1d/d");
	free(v);
	good &= lex_next(&lx, &t) == 0 && t.lt_kind == LEX_PIPE;
	good &= lex_next(&lx, &t) == 0 && lex_is_word(text, &t, "x");
	/* A peeked token is read again as a value. */
	good &= lex_peek(&lx, &t) == 0 && t.lt_kind == LEX_EQ;
	good &= lex_next(&lx, &t) == 0 && t.lt_kind == LEX_EQ;
	good &= lex_peek(&lx, &t) == 0 && lex_is_word(text, &t,
	    "2026-11-28T10");
	good &= lex_value(&lx, &t) == 0 && t.lt_kind == LEX_WORD;
	v = lex_text(text, &t);
	is_str(v, "2026-11-28T10:00:00+03:00", "value: ISO date, after peek");
	free(v);
	good &= lex_next(&lx, &t) == 0 && t.lt_kind == LEX_COMMA;
	good &= lex_next(&lx, &t) == 0 && lex_is_word(text, &t, "v");
	good &= lex_next(&lx, &t) == 0 && t.lt_kind == LEX_EQ;
	good &= lex_value(&lx, &t) == 0 && t.lt_kind == LEX_STRING;
	good &= lex_next(&lx, &t) == 0 && lex_is_word(text, &t, "w");
	good &= lex_next(&lx, &t) == 0 && t.lt_kind == LEX_EQ;
	good &= lex_value(&lx, &t) == 0 && t.lt_kind == LEX_AND;
	good &= lex_next(&lx, &t) == 0 && lex_is_word(text, &t, "z");
	good &= lex_next(&lx, &t) == 0 && t.lt_kind == LEX_EQ;
	good &= lex_value(&lx, &t) == 0 && t.lt_kind == LEX_COMMA;
	good &= lex_next(&lx, &t) == 0 && t.lt_kind == LEX_EOF &&
	    t.lt_off == strlen(text);
	ok(good, "value mode: words, strings, keywords, no value");
}

static void
test_lexer_locate(void)
{
	int line, col;
	size_t pos;

	lex_locate("ab\ncd", 5, 4, &line, &col, &pos);
	ok(line == 2 && col == 2 && pos == 4, "locate: second line");
	/* é is 2 bytes, € 3: 'x' is byte 6, character 3. */
	lex_locate("\xc3\xa9\n\xe2\x82\xacx", 7, 6, &line, &col, &pos);
	ok(line == 2 && col == 2 && pos == 3, "locate: UTF-8 counts once");
	/* Invalid bytes, a truncated sequence, an overlong form: 1 each. */
	lex_locate("\xff\xfe\xe2\x82x\xc0\xafy", 8, 7, &line, &col, &pos);
	ok(line == 1 && col == 8 && pos == 7, "locate: invalid bytes");
	lex_locate("\xf0\x9f\x98\x80z", 5, 4, &line, &col, &pos);
	ok(line == 1 && col == 2 && pos == 1, "locate: 4-byte sequence");
}

static void
test_lexer_check(void)
{
	char why[128], deep[200];
	size_t off = 0;

	ok(lex_check("(a [b] \"(\" ')' /* ( */ c)", 25, &off, why,
	    sizeof(why)) == 0, "check: balanced, brackets in strings ignored");
	ok(lex_check("((a)", 4, &off, why, sizeof(why)) == -1 && off == 0 &&
	    strcmp(why, "unclosed '('") == 0, "check: unclosed '('");
	ok(lex_check("a ]", 3, &off, why, sizeof(why)) == -1 && off == 2 &&
	    strcmp(why, "unmatched ']'") == 0, "check: unmatched ']'");
	ok(lex_check("x ([a)", 6, &off, why, sizeof(why)) == -1 && off == 3 &&
	    strcmp(why, "unclosed '['") == 0, "check: crossed brackets");
	memset(deep, '(', 65);
	ok(lex_check(deep, 65, &off, why, sizeof(why)) == -1 && off == 64 &&
	    strcmp(why, "nesting deeper than 64 levels") == 0,
	    "check: depth limit");
	memset(deep, '(', 64);
	memset(deep + 64, ')', 64);
	ok(lex_check(deep, 128, &off, why, sizeof(why)) == 0,
	    "check: 64 levels are fine");
}

static void
test_source_valid(void)
{
	check_source("source sysmon_operational-*", "sysmon_operational-*", -1,
	    NULL, NULL, 0, 27);
	check_source("source a,b", "a|b", -1, NULL, NULL, 0, 10);
	check_source("source a , b ,c", "a|b|c", -1, NULL, NULL, 0, 15);
	check_source("source a ,b, \"c d\"", "a|b|c d", -1, NULL, NULL, 0, 18);
	check_source("source idx qsize=5", "idx", 5, NULL, NULL, 0, 18);
	check_source("source idx qsize = 5", "idx", 5, NULL, NULL, 0, 20);
	check_source("source idx qsize=10000000", "idx", 10000000, NULL, NULL,
	    0, 25);
	check_source("source idx earliest=now-1d latest=now", "idx", -1,
	    "now-1d", "now", 0, 37);
	check_source("source idx earliest=now-1d/d latest=now/d qsize=7", "idx",
	    7, "now-1d/d", "now/d", 0, 49);
	check_source("source idx earliest=2026-11-28T10:00:00Z "
	    "latest=\"2026-11-28||+1d\"", "idx", -1, "2026-11-28T10:00:00Z",
	    "2026-11-28||+1d", 0, 65);
	check_source("| source idx", "idx", -1, NULL, NULL, 2, 10);
	check_source("/* lead */\nsource /* c */ idx\n  qsize=3 /* tail */\n",
	    "idx", 3, NULL, NULL, 11, 28);
	check_source("  source\n\tidx  ", "idx", -1, NULL, NULL, 2, 11);
	check_source("source \"my index\",\"a\\\"b\"", "my index|a\"b", -1,
	    NULL, NULL, 0, 24);
	check_source("source *", "*", -1, NULL, NULL, 0, 8);
	check_source("source *-logs,logs-*-2024.01.*", "*-logs|logs-*-2024.01.*",
	    -1, NULL, NULL, 0, 30);
	check_source("source 2024", "2024", -1, NULL, NULL, 0, 11);
	check_source("source .kibana", ".kibana", -1, NULL, NULL, 0, 14);
	check_source("source идекс", "идекс", -1, NULL, NULL, 0, 17);
}

static void
test_makeresults_valid(void)
{
	struct sml_limits small = { 500, 40 };
	struct sml_query *q;

	check_makeresults("makeresults", 1, 0, 0, 11);
	check_makeresults("| makeresults count=3 shownumbers=true", 3, 1, 2, 36);
	check_makeresults("makeresults shownumbers=FALSE count=1000000", 1000000,
	    0, 0, 43);
	check_makeresults("  makeresults  ", 1, 0, 2, 11);
	check_makeresults("|makeresults count = 2 /* c */", 2, 0, 1, 21);
	check_makeresults("makeresults\ncount=\"4\"\nshownumbers=True", 4, 1, 0,
	    38);
	q = parse_ok_l("source i qsize=500", 18, &small);
	ok(q != NULL && q->sq_cmds[0].sc_u.source.ss_qsize == 500,
	    "qsize up to the configured maximum");
	sml_query_free(q);
	q = parse_ok_l("makeresults", 11, NULL);
	ok(q != NULL && q->sq_cmds[0].sc_u.makeresults.sm_count == 1,
	    "no limits: the defaults apply");
	sml_query_free(q);
	sml_query_free(NULL);
	ok(1, "sml_query_free(NULL) is a no-op");
}

static void
test_errors_query(void)
{
	struct sml_limits small = { 500, 10 };
	char big[65537 + 1];

	ERR("", "empty query at line 1, column 1", 1, 1, 0);
	ERR("  \n /* c */ \n", "empty query at line 1, column 1", 1, 1, 0);
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ERR(big, "query is longer than 65536 bytes at line 1, column 1", 1, 1,
	    0);
	check_err_l("makeresults count=1", 19, &small,
	    "query is longer than 10 bytes at line 1, column 1", 1, 1, 0);
	ERR("|", "expected a command name after '|' at line 1, column 2", 1, 2,
	    1);
	ERR("source idx |",
	    "expected a command name after '|' at line 1, column 13", 1, 13,
	    12);
	ERR("source idx | ",
	    "expected a command name after '|' at line 1, column 14", 1, 14,
	    13);
	ERR("| | makeresults",
	    "expected a command name after '|' at line 1, column 3", 1, 3, 2);
	ERR("makeresults | 5",
	    "expected a command name after '|' at line 1, column 15", 1, 15,
	    14);
	ERR("\"makeresults\"", "expected a command name at line 1, column 1",
	    1, 1, 0);
	ERR("AND", "expected a command name at line 1, column 1", 1, 1, 0);
	ERR("foo", "unknown command 'foo' at line 1, column 1", 1, 1, 0);
	ERR("makeresults | foo bar",
	    "unknown command 'foo' at line 1, column 15", 1, 15, 14);
	ERR("Source idx", "unknown command 'Source' at line 1, column 1", 1, 1,
	    0);
	ERR("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	    "unknown command 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "...' at line 1, column 1", 1, 1, 0);
	ERR("\xff\xfe", "unknown command '?" "?' at line 1, column 1", 1, 1, 0);
	ERR("stats count", "command 'stats' is not supported yet at line 1, "
	    "column 1", 1, 1, 0);
	ERR("makeresults | stats count",
	    "command 'stats' is not supported yet at line 1, column 15", 1, 15,
	    14);
	ERR("source idx | aggs count",
	    "command 'aggs' is not supported yet at line 1, column 14", 1, 14,
	    13);
	ERR("makeresults | makeresults",
	    "'makeresults' must be the first command at line 1, column 15", 1,
	    15, 14);
	ERR("makeresults | source idx",
	    "'source' must be the first command at line 1, column 15", 1, 15,
	    14);
}

static void
test_errors_source(void)
{
	struct sml_limits small = { 500, 65536 };

	ERR("source", "expected an index pattern after 'source' at line 1, "
	    "column 7", 1, 7, 6);
	ERR("source | makeresults", "expected an index pattern after 'source' "
	    "at line 1, column 8", 1, 8, 7);
	ERR("source qsize=5", "expected an index pattern after 'source' at "
	    "line 1, column 8", 1, 8, 7);
	ERR("source a,", "expected an index pattern after ',' at line 1, "
	    "column 10", 1, 10, 9);
	ERR("source a, ,b", "expected an index pattern after ',' at line 1, "
	    "column 11", 1, 11, 10);
	ERR("source 'a'", "expected an index pattern after 'source' at line 1, "
	    "column 8", 1, 8, 7);
	ERR("source \"\"", "empty index pattern at line 1, column 8", 1, 8, 7);
	ERR("source idx EventID=1", "inline search conditions in source are "
	    "not supported yet at line 1, column 12", 1, 12, 11);
	ERR("source idx qsize=5 event.code=1", "inline search conditions in "
	    "source are not supported yet at line 1, column 20", 1, 20, 19);
	ERR("source a b", "inline search conditions in source are not "
	    "supported yet at line 1, column 10", 1, 10, 9);
	ERR("source a (b)", "inline search conditions in source are not "
	    "supported yet at line 1, column 10", 1, 10, 9);
	ERR("source idx foo=1", "unknown parameter 'foo' for source at line 1, "
	    "column 12", 1, 12, 11);
	ERR("source idx qsize=0", "qsize must be an integer between 1 and "
	    "10000000 at line 1, column 18", 1, 18, 17);
	ERR("source idx qsize=10000001", "qsize must be an integer between 1 "
	    "and 10000000 at line 1, column 18", 1, 18, 17);
	ERR("source idx qsize=1.5", "qsize must be an integer between 1 and "
	    "10000000 at line 1, column 18", 1, 18, 17);
	ERR("source idx qsize=-3", "qsize must be an integer between 1 and "
	    "10000000 at line 1, column 18", 1, 18, 17);
	ERR("source idx qsize=99999999999999999999", "qsize must be an integer "
	    "between 1 and 10000000 at line 1, column 18", 1, 18, 17);
	check_err_l("source idx qsize=501", 20, &small, "qsize must be an "
	    "integer between 1 and 500 at line 1, column 18", 1, 18, 17);
	ERR("source idx qsize=", "expected a value after 'qsize=' at line 1, "
	    "column 18", 1, 18, 17);
	ERR("source idx qsize= | makeresults", "expected a value after "
	    "'qsize=' at line 1, column 19", 1, 19, 18);
	ERR("source idx qsize=1 qsize=2", "duplicate parameter 'qsize' for "
	    "source at line 1, column 20", 1, 20, 19);
	ERR("source idx earliest=now latest=now earliest=now", "duplicate "
	    "parameter 'earliest' for source at line 1, column 36", 1, 36, 35);
	ERR("source idx earliest=yesterday", "earliest: not a date: "
	    "'yesterday' at line 1, column 21", 1, 21, 20);
	ERR("source idx latest=now-1x", "latest: unknown unit 'x' at line 1, "
	    "column 19", 1, 19, 18);
	ERR("source idx earliest = \"now-\"", "earliest: missing number after "
	    "'-' at line 1, column 23", 1, 23, 22);
	ERR("source idx earliest=AND", "expected a value after 'earliest=' at "
	    "line 1, column 21", 1, 21, 20);
}

static void
test_errors_makeresults(void)
{
	ERR("makeresults count=0", "count must be an integer between 1 and "
	    "1000000 at line 1, column 19", 1, 19, 18);
	ERR("makeresults count=1000001", "count must be an integer between 1 "
	    "and 1000000 at line 1, column 19", 1, 19, 18);
	ERR("makeresults count=x", "count must be an integer between 1 and "
	    "1000000 at line 1, column 19", 1, 19, 18);
	ERR("makeresults shownumbers=yes", "shownumbers must be true or false "
	    "at line 1, column 25", 1, 25, 24);
	ERR("makeresults foo=1", "unknown parameter 'foo' for makeresults at "
	    "line 1, column 13", 1, 13, 12);
	ERR("makeresults 5", "expected count=<n> or shownumbers=<bool> for "
	    "makeresults at line 1, column 13", 1, 13, 12);
	ERR("makeresults count=2 count=3", "duplicate parameter 'count' for "
	    "makeresults at line 1, column 21", 1, 21, 20);
	ERR("makeresults count", "expected count=<n> or shownumbers=<bool> for "
	    "makeresults at line 1, column 13", 1, 13, 12);
}

static void
test_errors_lexical(void)
{
	char deep[128] = "source a | where ";

	ERR("source \"idx", "unterminated string starting at line 1, column 8",
	    1, 8, 7);
	ERR("source 'idx", "unterminated field name starting at line 1, "
	    "column 8", 1, 8, 7);
	ERR("source idx /* x", "unterminated comment starting at line 1, "
	    "column 12", 1, 12, 11);
	ERR("source idx | stats count(x", "unclosed '(' at line 1, column 25",
	    1, 25, 24);
	ERR("source idx | stats count(x))", "unmatched ')' at line 1, column "
	    "28", 1, 28, 27);
	ERR("source idx | eval x=[a)", "unclosed '[' at line 1, column 21", 1,
	    21, 20);
	ERR("source idx $", "unexpected character '$' at line 1, column 12", 1,
	    12, 11);
	ERR("source idx ! x", "expected '=' after '!' at line 1, column 12", 1,
	    12, 11);
	check_err_l("makeresults\0", 12, &lim, "unexpected NUL byte at line 1, "
	    "column 12", 1, 12, 11);
	check_err_l("makeresults /* \0 */", 19, &lim, "unexpected NUL byte at "
	    "line 1, column 16", 1, 16, 15);
	memset(deep + 17, '(', 65);
	deep[17 + 65] = 'x';
	deep[17 + 66] = '\0';
	ERR(deep, "nesting deeper than 64 levels at line 1, column 82", 1, 82,
	    81);
}

static void
test_errors_positions(void)
{
	ERR("source idx\n| where x", "command 'where' is not supported yet at "
	    "line 2, column 3", 2, 3, 13);
	ERR("source idx\r\n  qsize=0", "qsize must be an integer between 1 and "
	    "10000000 at line 2, column 9", 2, 9, 20);
	ERR("source пример qsize=0", "qsize must be an integer between 1 and "
	    "10000000 at line 1, column 21", 1, 21, 20);
	ERR("makeresults\n/* ünïcödé */ | stats", "command 'stats' is not "
	    "supported yet at line 2, column 17", 2, 17, 28);
	ERR("source \xff\xfe qsize=0", "qsize must be an integer between 1 and "
	    "10000000 at line 1, column 17", 1, 17, 16);
	ERR("source \"日本\" EventID=1", "inline search conditions in source are not "
	    "supported yet at line 1, column 13", 1, 13, 12);
	ERR("makeresults\n\n   /*\n*/ | top x", "command 'top' is not "
	    "supported yet at line 4, column 6", 4, 6, 24);
	ERR("source a\n\"é", "unterminated string starting at line 2, column 1",
	    2, 1, 9);
	ERR("source idx earliest=\"now-1d\tx\"", "earliest: expected '+', "
	    "'-' or '/' at '?' at line 1, column 21", 1, 21, 20);
}

/* A small deterministic generator (xorshift64*), so runs repeat. */
static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t
rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

/*
 * Parses len bytes and checks the outcome is consistent: 0 with a query whose
 * command spans lie inside the text, or -1 with no query and a located,
 * valid UTF-8 message. Returns 1 when it is.
 */
static int
parse_sane(const char *text, size_t len)
{
	struct sml_query *q = NULL;
	struct sml_error e;
	const unsigned char *m;
	size_t i, k;
	int rc;

	rc = sml_parse(text, len, &lim, &q, &e);
	if (rc == 0) {
		if (q == NULL || q->sq_ncmds == 0)
			return 0;
		for (i = 0; i < q->sq_ncmds; i++)
			if (q->sq_cmds[i].sc_off + q->sq_cmds[i].sc_len > len)
				return 0;
		sml_query_free(q);
		return 1;
	}
	if (rc != -1 || q != NULL || e.se_msg[0] == '\0' || e.se_line < 1 ||
	    e.se_column < 1 || e.se_position > len)
		return 0;
	m = (const unsigned char *)e.se_msg;
	for (i = 0; m[i] != '\0'; i += k)
		if ((k = lex_utf8_seq(m + i, strlen(e.se_msg) - i)) == 0 ||
		    m[i] < 0x20)
			return 0;
	return 1;
}

static void
test_robustness(void)
{
	static const char *const valid[] = {
		"/* c */ | source \"a b\",c-* qsize = 5 earliest=now-1d/d "
		    "latest=\"now\"\n",
		"| makeresults count=3 shownumbers=true /* x */",
		"source идекс,'x' | stats count(x) BY y",
	};
	static const char *const frags[] = {
		"source", "makeresults", " ", "|", ",", "=", "qsize", "count",
		"earliest", "\"", "'", "/*", "*/", "(", ")", "[", "]", "\\",
		"\xc3\xa9", "\xff", "\n", "-", "1", "*", "now-1d", "!", "AND",
		"shownumbers", "true", "stats", ".", "e", "+", "\0",
	};
	char buf[256];
	size_t n, len, bad = 0, runs = 0;

	for (size_t v = 0; v < sizeof(valid) / sizeof(valid[0]); v++)
		for (len = 0; len <= strlen(valid[v]); len++, runs++)
			bad += !parse_sane(valid[v], len);
	ok(bad == 0, "every prefix of %zu valid queries (%zu runs)",
	    sizeof(valid) / sizeof(valid[0]), runs);

	bad = runs = 0;
	for (int r = 0; r < 20000; r++, runs++) {
		len = rng() % sizeof(buf);
		for (n = 0; n < len; n++)
			buf[n] = (char)(rng() & 0xff);
		bad += !parse_sane(buf, len);
	}
	ok(bad == 0, "%zu random byte strings", runs);

	bad = runs = 0;
	for (int r = 0; r < 20000; r++, runs++) {
		size_t parts = rng() % 16;

		for (len = 0, n = 0; n < parts; n++) {
			const char *f = frags[rng() % (sizeof(frags) /
			    sizeof(frags[0]))];
			size_t fl = f[0] == '\0' ? 1 : strlen(f);

			if (len + fl > sizeof(buf))
				break;
			memcpy(buf + len, f, fl);
			len += fl;
		}
		bad += !parse_sane(buf, len);
	}
	ok(bad == 0, "%zu random token strings", runs);
}

int
main(void)
{
	test_lexer_tokens();
	test_lexer_strings();
	test_lexer_errors();
	test_lexer_value();
	test_lexer_locate();
	test_lexer_check();
	test_source_valid();
	test_makeresults_valid();
	test_errors_query();
	test_errors_source();
	test_errors_makeresults();
	test_errors_lexical();
	test_errors_positions();
	test_robustness();
	return done_testing();
}
