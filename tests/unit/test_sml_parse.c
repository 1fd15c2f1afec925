/* test_sml_parse.c - the SML lexer and parser: tokens, queries, every error. */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
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

/* ---- Printing parse trees, for exact comparisons ---- */

/* A bounded string builder. */
struct sb {
	char sb_buf[4096];
	size_t sb_n;
};

static void __attribute__((format(printf, 2, 3)))
sb_add(struct sb *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->sb_n >= sizeof(b->sb_buf) - 1)
		return;
	va_start(ap, fmt);
	n = vsnprintf(b->sb_buf + b->sb_n, sizeof(b->sb_buf) - b->sb_n, fmt,
	    ap);
	va_end(ap);
	if (n > 0)
		b->sb_n += (size_t)n;
	if (b->sb_n > sizeof(b->sb_buf) - 1)
		b->sb_n = sizeof(b->sb_buf) - 1;
}

static const char *const op_names[] = {
	"OR", "AND", "NOT", "=", "!=", "<", ">", "<=", ">=", "LIKE", "+", "-",
	".", "*", "/", "%", "NEG",
};

/*
 * Writes x as an S-expression: literals as JSON, fields as their name,
 * (op a b), (IN a b c), name(a b).
 */
static void
ex_print(struct sb *b, const struct expr *x)
{
	char *j;

	if (x == NULL) {
		sb_add(b, "<null>");
		return;
	}
	switch (x->x_kind) {
	case EX_LIT:
		j = json_dumps(x->x_lit, JSON_ENCODE_ANY | JSON_COMPACT);
		sb_add(b, "%s", j);
		free(j);
		return;
	case EX_FIELD:
		sb_add(b, "%s", x->x_name);
		return;
	case EX_UNARY:
	case EX_BINARY:
		sb_add(b, "(%s", op_names[x->x_op]);
		break;
	case EX_IN:
		sb_add(b, "(IN");
		break;
	case EX_CALL:
		sb_add(b, "%s(", sml_func_name(x->x_func));
		break;
	}
	for (size_t i = 0; i < x->x_nargs; i++) {
		if (i > 0 || x->x_kind != EX_CALL)
			sb_add(b, " ");
		ex_print(b, x->x_args[i]);
	}
	sb_add(b, ")");
}

/*
 * Writes c: f=v, f="v" (quoted), f=*, f IN(a,b), [term], ["phrase"],
 * (NOT c), (AND a b), (OR a b).
 */
static void
cd_print(struct sb *b, const struct cond *c)
{
	if (c == NULL) {
		sb_add(b, "<null>");
		return;
	}
	switch (c->c_kind) {
	case CD_CMP:
		sb_add(b, c->c_quoted ? "%s%s\"%s\"" : "%s%s%s", c->c_field,
		    op_names[c->c_op], c->c_value);
		return;
	case CD_EXISTS:
		sb_add(b, "%s=*", c->c_field);
		return;
	case CD_IN:
		sb_add(b, "%s IN(", c->c_field);
		for (size_t i = 0; i < c->c_nvalues; i++)
			sb_add(b, "%s%s", i > 0 ? "," : "", c->c_values[i]);
		sb_add(b, ")");
		return;
	case CD_TERM:
		sb_add(b, c->c_quoted ? "[\"%s\"]" : "[%s]", c->c_value);
		return;
	case CD_NOT:
		sb_add(b, "(NOT");
		break;
	case CD_AND:
		sb_add(b, "(AND");
		break;
	case CD_OR:
		sb_add(b, "(OR");
		break;
	}
	for (size_t i = 0; i < c->c_nkids; i++) {
		sb_add(b, " ");
		cd_print(b, c->c_kids[i]);
	}
	sb_add(b, ")");
}

/* Writes n strings joined by ','. */
static void
strs_print(struct sb *b, char *const *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		sb_add(b, "%s%s", i > 0 ? "," : "", v[i]);
}

/* Writes aggregations: fn[perc](field)=as, ... */
static void
aggs_print(struct sb *b, const struct agg *a, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		sb_add(b, "%s%s", i > 0 ? ", " : "", sml_agg_name(a[i].a_fn));
		if (a[i].a_fn == AGG_PERC)
			sb_add(b, "%g", a[i].a_perc);
		sb_add(b, "(%s)=%s", a[i].a_field ? a[i].a_field : "",
		    a[i].a_as);
	}
}

/* Writes the parsed arguments of command c, in a compact exact form. */
static void
cmd_print(struct sb *b, const struct sml_command *c)
{
	const struct sml_stats *st = &c->sc_u.stats;
	char *j;

	sb_add(b, "%s", c->sc_name);
	switch (c->sc_kind) {
	case SML_CMD_SOURCE:
		sb_add(b, " ");
		strs_print(b, c->sc_u.source.ss_patterns,
		    c->sc_u.source.ss_npatterns);
		sb_add(b, " ");
		cd_print(b, c->sc_u.source.ss_cond);
		break;
	case SML_CMD_MAKERESULTS:
		break;
	case SML_CMD_SEARCH:
		sb_add(b, " ");
		cd_print(b, c->sc_u.search.sr_cond);
		break;
	case SML_CMD_WHERE:
		sb_add(b, " ");
		ex_print(b, c->sc_u.where.wh_expr);
		break;
	case SML_CMD_EVAL:
		for (size_t i = 0; i < c->sc_u.eval.ev_n; i++) {
			sb_add(b, "%s%s=", i > 0 ? "; " : " ",
			    c->sc_u.eval.ev_fields[i]);
			ex_print(b, c->sc_u.eval.ev_exprs[i]);
		}
		break;
	case SML_CMD_FIELDS:
	case SML_CMD_TABLE:
		sb_add(b, " %s", c->sc_u.fields.fl_remove ? "- " : "");
		strs_print(b, c->sc_u.fields.fl_names, c->sc_u.fields.fl_n);
		break;
	case SML_CMD_RENAME:
		for (size_t i = 0; i < c->sc_u.rename.rn_n; i++)
			sb_add(b, "%s%s->%s", i > 0 ? ", " : " ",
			    c->sc_u.rename.rn_from[i], c->sc_u.rename.rn_to[i]);
		break;
	case SML_CMD_SORT:
		sb_add(b, " limit=%lld", (long long)c->sc_u.sort.so_limit);
		for (size_t i = 0; i < c->sc_u.sort.so_n; i++)
			sb_add(b, "%s%c%s", i > 0 ? "," : " ",
			    c->sc_u.sort.so_keys[i].sk_desc ? '-' : '+',
			    c->sc_u.sort.so_keys[i].sk_field);
		break;
	case SML_CMD_HEAD:
	case SML_CMD_TAIL:
		sb_add(b, " %lld", (long long)c->sc_u.head.hd_n);
		break;
	case SML_CMD_DEDUP:
		sb_add(b, " %lld ", (long long)c->sc_u.dedup.dd_n);
		strs_print(b, c->sc_u.dedup.dd_fields,
		    c->sc_u.dedup.dd_nfields);
		sb_add(b, " keepempty=%d", c->sc_u.dedup.dd_keepempty);
		break;
	case SML_CMD_STATS:
	case SML_CMD_EVENTSTATS:
	case SML_CMD_STREAMSTATS:
		sb_add(b, " ");
		aggs_print(b, st->st_aggs, st->st_naggs);
		if (st->st_nby > 0) {
			sb_add(b, " BY ");
			strs_print(b, st->st_by, st->st_nby);
		}
		if (c->sc_kind != SML_CMD_STREAMSTATS)
			break;
		sb_add(b, " window=%lld change=%d before=",
		    (long long)st->st_window, st->st_reset_on_change);
		ex_print(b, st->st_reset_before);
		sb_add(b, " after=");
		ex_print(b, st->st_reset_after);
		break;
	case SML_CMD_TOP:
	case SML_CMD_RARE:
		sb_add(b, " %lld ", (long long)c->sc_u.top.tp_n);
		strs_print(b, c->sc_u.top.tp_fields, c->sc_u.top.tp_nfields);
		if (c->sc_u.top.tp_nby > 0) {
			sb_add(b, " BY ");
			strs_print(b, c->sc_u.top.tp_by, c->sc_u.top.tp_nby);
		}
		sb_add(b, " showperc=%d", c->sc_u.top.tp_showperc);
		break;
	case SML_CMD_TIMECHART:
		sb_add(b, " span=%lldms/%dM ",
		    (long long)c->sc_u.timechart.tc_span_ms,
		    c->sc_u.timechart.tc_span_months);
		aggs_print(b, c->sc_u.timechart.tc_aggs,
		    c->sc_u.timechart.tc_naggs);
		if (c->sc_u.timechart.tc_by != NULL)
			sb_add(b, " BY %s", c->sc_u.timechart.tc_by);
		break;
	case SML_CMD_BIN:
		sb_add(b, " span=%lldms/%dM/%g %s AS %s",
		    (long long)c->sc_u.bin.bn_span_ms,
		    c->sc_u.bin.bn_span_months, c->sc_u.bin.bn_span_num,
		    c->sc_u.bin.bn_field,
		    c->sc_u.bin.bn_as ? c->sc_u.bin.bn_as : "-");
		break;
	case SML_CMD_REX:
		sb_add(b, " field=%s re=%s names=",
		    c->sc_u.rex.rx_field ? c->sc_u.rex.rx_field : "-",
		    c->sc_u.rex.rx_regex);
		strs_print(b, c->sc_u.rex.rx_names, c->sc_u.rex.rx_nnames);
		break;
	case SML_CMD_FILLNULL:
		j = json_dumps(c->sc_u.fillnull.fn_value,
		    JSON_ENCODE_ANY | JSON_COMPACT);
		sb_add(b, " value=%s ", j);
		free(j);
		strs_print(b, c->sc_u.fillnull.fn_fields, c->sc_u.fillnull.fn_n);
		break;
	case SML_CMD_REPLACE:
		for (size_t i = 0; i < c->sc_u.replace.rp_n; i++)
			sb_add(b, "%s%s->%s", i > 0 ? ", " : " ",
			    c->sc_u.replace.rp_old[i], c->sc_u.replace.rp_new[i]);
		sb_add(b, " IN ");
		strs_print(b, c->sc_u.replace.rp_fields,
		    c->sc_u.replace.rp_nfields);
		break;
	case SML_CMD_REGEX:
		sb_add(b, " field=%s %s re=%s",
		    c->sc_u.regex.re_field ? c->sc_u.regex.re_field : "-",
		    c->sc_u.regex.re_negate ? "!=" : "=~",
		    c->sc_u.regex.re_regex);
		break;
	case SML_CMD_LOOKUP:
		sb_add(b, " %s", c->sc_u.lookup.lk_name);
		for (size_t i = 0; i < c->sc_u.lookup.lk_n; i++)
			sb_add(b, "%s%s->%s", i > 0 ? ", " : " ",
			    c->sc_u.lookup.lk_cols[i],
			    c->sc_u.lookup.lk_fields[i]);
		sb_add(b, " %s", c->sc_u.lookup.lk_mode == SML_LOOKUP_ALL ?
		    "ALL" : c->sc_u.lookup.lk_mode == SML_LOOKUP_OUTPUT ?
		    "OUTPUT" : "OUTPUTNEW");
		for (size_t i = 0; i < c->sc_u.lookup.lk_nout; i++)
			sb_add(b, "%s%s->%s", i > 0 ? ", " : " ",
			    c->sc_u.lookup.lk_out_cols[i],
			    c->sc_u.lookup.lk_out_fields[i]);
		break;
	case SML_CMD_INPUTLOOKUP:
	case SML_CMD_OUTPUTLOOKUP:
		sb_add(b, " %s", c->sc_u.lookup_table.lt_name);
		break;
	case SML_CMD_MVEXPAND:
		sb_add(b, " %s limit=%lld", c->sc_u.mvexpand.mx_field,
		    (long long)c->sc_u.mvexpand.mx_limit);
		break;
	case SML_CMD_MAKEMV:
		sb_add(b, " %s delim=%s tokenizer=%s allowempty=%d",
		    c->sc_u.makemv.mm_field,
		    c->sc_u.makemv.mm_delim ? c->sc_u.makemv.mm_delim : "-",
		    c->sc_u.makemv.mm_tokenizer ? c->sc_u.makemv.mm_tokenizer :
		    "-", c->sc_u.makemv.mm_allowempty);
		break;
	case SML_CMD_NOMV:
		sb_add(b, " %s", c->sc_u.nomv.nm_field);
		break;
	case SML_CMD_SPATH:
		sb_add(b, " input=%s output=%s path=%s multi=%d steps=",
		    c->sc_u.spath.pt_input ? c->sc_u.spath.pt_input : "-",
		    c->sc_u.spath.pt_output ? c->sc_u.spath.pt_output : "-",
		    c->sc_u.spath.pt_path ? c->sc_u.spath.pt_path : "-",
		    c->sc_u.spath.pt_multi);
		for (size_t i = 0; i < c->sc_u.spath.pt_nsteps; i++) {
			const struct sml_pstep *ps = &c->sc_u.spath.pt_steps[i];

			if (ps->ps_kind == SML_PSTEP_KEY)
				sb_add(b, "[%s]", ps->ps_key);
			else if (ps->ps_kind == SML_PSTEP_INDEX)
				sb_add(b, "{%zu}", ps->ps_index);
			else
				sb_add(b, "{}");
		}
		break;
	case SML_CMD_CHART:
		sb_add(b, " limit=%lld other=%d null=%d nullstr=%s "
		    "otherstr=%s ", (long long)c->sc_u.chart.ch_limit,
		    c->sc_u.chart.ch_useother, c->sc_u.chart.ch_usenull,
		    c->sc_u.chart.ch_nullstr ? c->sc_u.chart.ch_nullstr : "-",
		    c->sc_u.chart.ch_otherstr ? c->sc_u.chart.ch_otherstr :
		    "-");
		aggs_print(b, c->sc_u.chart.ch_aggs, c->sc_u.chart.ch_naggs);
		sb_add(b, " OVER %s BY %s",
		    c->sc_u.chart.ch_row ? c->sc_u.chart.ch_row : "-",
		    c->sc_u.chart.ch_col ? c->sc_u.chart.ch_col : "-");
		break;
	case SML_CMD_XYSERIES:
	case SML_CMD_UNTABLE:
		sb_add(b, " %s %s ", c->sc_u.xyseries.xy_x,
		    c->sc_u.xyseries.xy_y);
		strs_print(b, c->sc_u.xyseries.xy_data,
		    c->sc_u.xyseries.xy_ndata);
		break;
	case SML_CMD_APPENDPIPE:
		sb_add(b, " [%zu:", c->sc_u.appendpipe.apn_sub->sq_ncmds);
		for (size_t i = 0; i < c->sc_u.appendpipe.apn_sub->sq_ncmds;
		    i++)
			sb_add(b, " %s",
			    c->sc_u.appendpipe.apn_sub->sq_cmds[i].sc_name);
		sb_add(b, "]");
		break;
	}
}

/*
 * Parses text, expecting success with ncmds commands, and prints its last
 * command into b. Returns 1 when it parsed.
 */
static int
parse_last(const char *text, size_t ncmds, struct sb *b)
{
	struct sml_query *q = NULL;
	struct sml_error e;
	int rc;

	b->sb_n = 0;
	b->sb_buf[0] = '\0';
	rc = sml_parse(text, strlen(text), &lim, &q, &e);
	ok(rc == 0 && q != NULL && q->sq_ncmds == ncmds, "parses: %s",
	    esc(text));
	if (rc != 0) {
		printf("#   error: %s\n", e.se_msg);
		return 0;
	}
	if (q->sq_ncmds > 0)
		cmd_print(b, &q->sq_cmds[q->sq_ncmds - 1]);
	sml_query_free(q);
	return 1;
}

/* Checks the last of the two commands of "makeresults | <text>". */
#define CMD(text, want) do { \
	struct sb cm_b_; \
	if (parse_last("makeresults | " text, 2, &cm_b_)) \
		is_str(cm_b_.sb_buf, (want), "  parsed as %s", esc(want)); \
} while (0)

/* Checks the condition of "source idx | search <text>". */
#define COND(text, want) do { \
	struct sb cd_b_; \
	if (parse_last("source idx | search " text, 2, &cd_b_)) \
		is_str(cd_b_.sb_buf, "search " want, "  condition %s", \
		    esc(want)); \
} while (0)

/* Checks the expression of "makeresults | where <text>". */
#define EXPR(text, want) do { \
	struct sb ex_b_; \
	if (parse_last("makeresults | where " text, 2, &ex_b_)) \
		is_str(ex_b_.sb_buf, "where " want, "  expression %s", \
		    esc(want)); \
} while (0)

/* Returns the height of x's tree. */
static int
ex_height(const struct expr *x)
{
	int h = 0, k;

	for (size_t i = 0; i < x->x_nargs; i++)
		if ((k = ex_height(x->x_args[i])) > h)
			h = k;
	return h + 1;
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
	ERR("stats count", "expected 'source' or 'makeresults' before 'stats' "
	    "at line 1, column 1", 1, 1, 0);
	ERR("| where x", "expected 'source' or 'makeresults' before 'where' "
	    "at line 1, column 3", 1, 3, 2);
	ERR("makeresults | Stats count",
	    "unknown command 'Stats' at line 1, column 15", 1, 15, 14);
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
	ERR("source idx EventID=1 qsize=5", "parameter 'qsize' of source must "
	    "come before the search condition at line 1, column 22", 1, 22, 21);
	ERR("source idx qsize=5 event.code=", "expected a value after '=' at "
	    "line 1, column 31", 1, 31, 30);
	ERR("source a b,", "unexpected ',' after 'b' at line 1, column 11", 1,
	    11, 10);
	ERR("source a (b", "unclosed '(' at line 1, column 10", 1, 10, 9);
	ERR("source a <b", "unexpected '<' after 'a' at line 1, column 10", 1,
	    10, 9);
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
	struct sml_limits small = { 500, 100 };
	struct sml_query *q;

	/* makeresults makes events under limits.max_qsize, as source reads. */
	check_err_l("makeresults count=501", 21, &small, "count must be an "
	    "integer between 1 and 500 (limits.max_qsize) at line 1, column 19",
	    1, 19, 18);
	q = parse_ok_l("makeresults count=500", 21, &small);
	ok(q != NULL && q->sq_cmds[0].sc_u.makeresults.sm_count == 500,
	    "makeresults count up to limits.max_qsize");
	sml_query_free(q);
	ERR("makeresults count=0", "count must be an integer between 1 and "
	    "10000000 (limits.max_qsize) at line 1, column 19", 1, 19, 18);
	ERR("makeresults count=10000001", "count must be an integer between "
	    "1 and 10000000 (limits.max_qsize) at line 1, column 19", 1, 19,
	    18);
	ERR("makeresults count=x", "count must be an integer between 1 and "
	    "10000000 (limits.max_qsize) at line 1, column 19", 1, 19, 18);
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
	ERR("makeresults $", "unexpected character '$' at line 1, column 13",
	    1, 13, 12);
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
	ERR("source idx\n| where x +", "expected an expression after '+' at "
	    "line 2, column 12", 2, 12, 22);
	ERR("source idx\r\n  qsize=0", "qsize must be an integer between 1 and "
	    "10000000 at line 2, column 9", 2, 9, 20);
	ERR("source пример qsize=0", "qsize must be an integer between 1 and "
	    "10000000 at line 1, column 21", 1, 21, 20);
	ERR("makeresults\n/* ünïcödé */ | stats", "expected a stats function "
	    "after 'stats' at line 2, column 22", 2, 22, 33);
	ERR("source \xff\xfe qsize=0", "qsize must be an integer between 1 and "
	    "10000000 at line 1, column 17", 1, 17, 16);
	ERR("source \"日本\" EventID=\"x", "unterminated string starting at "
	    "line 1, column 21", 1, 21, 20);
	ERR("makeresults\n\n   /*\n*/ | top x,", "expected a field name after "
	    "',' at line 4, column 12", 4, 12, 30);
	ERR("source a\n\"é", "unterminated string starting at line 2, column 1",
	    2, 1, 9);
	ERR("source idx earliest=\"now-1d\tx\"", "earliest: expected '+', "
	    "'-' or '/' at '?' at line 1, column 21", 1, 21, 20);
}

static void
test_conditions(void)
{
	struct sb b;

	COND("EventID=1", "EventID=1");
	COND("a=1 b=2 c=3", "(AND a=1 b=2 c=3)");
	COND("a=1 OR b=2 c=3", "(OR a=1 (AND b=2 c=3))");
	COND("NOT a=1 b=2", "(AND (NOT a=1) b=2)");
	COND("NOT (a=1 OR b=2)", "(NOT (OR a=1 b=2))");
	COND("a=1 AND b=2 OR c=3 AND NOT d=4",
	    "(OR (AND a=1 b=2) (AND c=3 (NOT d=4)))");
	COND("(a OR b) c", "(AND (OR [a] [b]) [c])");
	COND("a OR (b c) OR d", "(OR [a] (AND [b] [c]) [d])");
	COND("x!=5 y<3 z>=2.5 w<=-1 v>0", "(AND x!=5 y<3 z>=2.5 w<=-1 v>0)");
	COND("f=*", "f=*");
	COND("f=\"*\"", "f=\"*\"");
	COND("f!=*", "f!=*");
	COND("user IN (alice, \"bob smith\", 3)", "user IN(alice,bob smith,3)");
	COND("user in(a)", "user IN(a)");
	COND("error \"disk full\" *fail*", "(AND [error] [\"disk full\"] "
	    "[*fail*])");
	COND("C:\\Windows\\* cmd.exe", "(AND [C:\\Windows\\*] [cmd.exe])");
	COND("file.path=\"*\\\\temp\\\\*\"", "file.path=\"*\\temp\\*\"");
	COND("Image=C:\\x\\y.exe", "Image=C:\\x\\y.exe");
	COND("'field with space'=x", "field with space=x");
	COND("a=1 and b=2 or not c=3", "(OR (AND a=1 b=2) (NOT c=3))");
	COND("process.parent.name=explorer.exe @timestamp>2026-01-01",
	    "(AND process.parent.name=explorer.exe @timestamp>2026-01-01)");
	COND("x = 5", "x=5");
	COND("x==5", "x=5");
	COND("NOT NOT a", "(NOT (NOT [a]))");
	COND("a=1 /* c */ b=2", "(AND a=1 b=2)");
	COND("((a))", "[a]");
	COND("x=-3 y=$5", "(AND x=-3 y=$5)");
	COND("x=\"a \\\"q\\\"\"", "x=\"a \"q\"\"");
	COND("4624 $x", "(AND [4624] [$x])");
	COND("\"a\" OR b", "(OR [\"a\"] [b])");
	COND("*", "[*]");
	COND("NOT(x=1)AND(y=2)", "(AND (NOT x=1) y=2)");

	/* Conditions written directly after source. */
	if (parse_last("source idx EventID=1", 1, &b))
		is_str(b.sb_buf, "source idx EventID=1", "  inline condition");
	if (parse_last("source a,b qsize=5 EventID=1 OR EventID=3", 1, &b))
		is_str(b.sb_buf, "source a,b (OR EventID=1 EventID=3)",
		    "  after parameters");
	if (parse_last("source idx", 1, &b))
		is_str(b.sb_buf, "source idx <null>", "  no condition");
	/* A lower-case field is a condition, not an unknown parameter. */
	if (parse_last("source idx user=bob", 1, &b))
		is_str(b.sb_buf, "source idx user=bob", "  lower-case field");
	if (parse_last("source idx 'user'=bob", 1, &b))
		is_str(b.sb_buf, "source idx user=bob", "  quoted field");
	if (parse_last("source idx user IN (a,b)", 1, &b))
		is_str(b.sb_buf, "source idx user IN(a,b)", "  IN");
	if (parse_last("source a (b)", 1, &b))
		is_str(b.sb_buf, "source a [b]", "  parenthesized term");
	if (parse_last("source idx $", 1, &b))
		is_str(b.sb_buf, "source idx [$]", "  any character in a term");
	if (parse_last("source idx NOT x=1 | head 5", 2, &b))
		is_str(b.sb_buf, "head 5", "  then a pipe");
}

static void
test_expressions(void)
{
	EXPR("a + b * c", "(+ a (* b c))");
	EXPR("a * b + c", "(+ (* a b) c)");
	EXPR("a - b - c", "(- (- a b) c)");
	EXPR("a . b . c", "(. (. a b) c)");
	EXPR("a + b . c - d", "(- (. (+ a b) c) d)");
	EXPR("a * b / c % d", "(% (/ (* a b) c) d)");
	EXPR("-a * b", "(* (NEG a) b)");
	EXPR("- - a", "(NEG (NEG a))");
	EXPR("-(a)", "(NEG a)");
	EXPR("x = -3", "(= x -3)");
	EXPR("x -3", "(- x 3)");
	EXPR("1 - -2.5", "(- 1 -2.5)");
	EXPR("NOT a = 1 AND b OR c", "(OR (AND (NOT (= a 1)) b) c)");
	EXPR("NOT NOT x", "(NOT (NOT x))");
	EXPR("a OR b OR c", "(OR (OR a b) c)");
	EXPR("a OR b OR c OR d", "(OR (OR a b) (OR c d))");
	EXPR("a AND b OR c AND d", "(OR (AND a b) (AND c d))");
	EXPR("a and b and c", "(AND (AND a b) c)");
	EXPR("a < b + 1", "(< a (+ b 1))");
	EXPR("a == 1 != b", "(!= (= a 1) b)");
	EXPR("a<=1 OR a>=2 OR a>3 OR a<4",
	    "(OR (OR (<= a 1) (>= a 2)) (OR (> a 3) (< a 4)))");
	EXPR("(a + b) * c", "(* (+ a b) c)");
	EXPR("a % 2 = 0", "(= (% a 2) 0)");
	EXPR("x IN (1, \"a\", y + 1)", "(IN x 1 \"a\" (+ y 1))");
	EXPR("x + 1 in (2) AND y", "(AND (IN (+ x 1) 2) y)");
	EXPR("NOT x IN (1)", "(NOT (IN x 1))");
	EXPR("x LIKE \"a%\" AND y like \"b_\"",
	    "(AND (LIKE x \"a%\") (LIKE y \"b_\"))");
	EXPR("x = 1.5e3 OR x = 007 OR x = true OR x = NULL OR x = False",
	    "(OR (OR (OR (= x 1500.0) (= x 7)) (= x true)) "
	    "(OR (= x null) (= x false)))");
	EXPR("x = 9223372036854775807", "(= x 9223372036854775807)");
	EXPR("x = 99999999999999999999", "(= x 1e20)");
	EXPR("x = .5", "(= x 0.5)");
	EXPR("'a b' = \"a b\"", "(= a b \"a b\")");
	EXPR("@timestamp > 5 AND process.name = \"cmd.exe\"",
	    "(AND (> @timestamp 5) (= process.name \"cmd.exe\"))");
	EXPR("x . \"s\"", "(. x \"s\")");
	EXPR("if(x > 1, \"big\", \"small\")", "if((> x 1) \"big\" \"small\")");
	EXPR("substr(s, 1, 2) . upper(t)", "(. substr(s 1 2) upper(t))");
	EXPR("LEN(s) = 3", "(= len(s) 3)");
	EXPR("now() - 3600", "(- now() 3600)");
	EXPR("random()", "random()");
	EXPR("coalesce(a, b, c, d)", "coalesce(a b c d)");
	EXPR("case(a = 1, \"x\", true, \"y\")",
	    "case((= a 1) \"x\" true \"y\")");
	EXPR("match(s, \"^\\d+$\")", "match(s \"^\\\\d+$\")");
	EXPR("replace(s, \"(a)\", \"\\1\")", "replace(s \"(a)\" \"\\\\1\")");
	EXPR("searchmatch(\"EventID=1 user=bob\")",
	    "searchmatch(\"EventID=1 user=bob\")");
	EXPR("isnull(if(a, b, c))", "isnull(if(a b c))");
	EXPR("min(1, 2) + max(3)", "(+ min(1 2) max(3))");
	EXPR("true", "true");
	EXPR("\"\"", "\"\"");
}

/* Builds "<prefix><rep x n><suffix>" into buf. */
static const char *
repeat(char *buf, size_t len, const char *prefix, const char *rep, int n,
    const char *suffix)
{
	size_t o = (size_t)snprintf(buf, len, "%s", prefix);

	for (int i = 0; i < n && o < len; i++)
		o += (size_t)snprintf(buf + o, len - o, "%s", rep);
	if (o < len)
		snprintf(buf + o, len - o, "%s", suffix);
	return buf;
}

static void
test_depth(void)
{
	static char buf[40000];
	struct sml_query *q = NULL;
	struct sml_error e;
	int rc;

	/* Chains of NOT and unary minus: 63 fine, 64 and 65 too deep. */
	repeat(buf, sizeof(buf), "makeresults | where ", "NOT ", 63, "x");
	ok(sml_parse(buf, strlen(buf), &lim, &q, &e) == 0, "63 NOT");
	sml_query_free(q);
	ERR(repeat(buf, sizeof(buf), "makeresults | where ", "NOT ", 64, "x"),
	    "expression is nested too deeply at line 1, column 21", 1, 21, 20);
	ERR(repeat(buf, sizeof(buf), "makeresults | where ", "NOT ", 65, "x"),
	    "expression is nested too deeply at line 1, column 277", 1, 277,
	    276);
	ERR(repeat(buf, sizeof(buf), "makeresults | where ", "- ", 200, "x"),
	    "expression is nested too deeply at line 1, column 149", 1, 149,
	    148);
	ERR(repeat(buf, sizeof(buf), "makeresults | search ", "NOT ", 70, "x"),
	    "search condition is nested too deeply at line 1, column 278", 1,
	    278, 277);
	/* A left-deep chain of + is as deep as it is long. */
	repeat(buf, sizeof(buf), "makeresults | where x", " + 1", 63, "");
	ok(sml_parse(buf, strlen(buf), &lim, &q, &e) == 0, "63 '+'");
	sml_query_free(q);
	ERR(repeat(buf, sizeof(buf), "makeresults | where x", " + 1", 64, ""),
	    "expression is nested too deeply at line 1, column 275", 1, 275,
	    274);
	/* Calls nest too. */
	ERR(repeat(buf, sizeof(buf), "makeresults | where ", "abs(", 64,
	    "x))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))"),
	    "expression is nested too deeply at line 1, column 21", 1, 21, 20);
	/* 64 parentheses are fine: they make no node. */
	repeat(buf, sizeof(buf), "makeresults | where ", "(", 64,
	    "x))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))");
	rc = sml_parse(buf, strlen(buf), &lim, &q, &e);
	ok(rc == 0, "64 parentheses");
	sml_query_free(q);
	/* AND and OR chains are balanced: 5000 terms, 14 levels. */
	repeat(buf, sizeof(buf), "makeresults | where x=0", " OR x=1", 4999,
	    "");
	rc = sml_parse(buf, strlen(buf), &lim, &q, &e);
	ok(rc == 0 && ex_height(q->sq_cmds[1].sc_u.where.wh_expr) == 15,
	    "5000 ORs make a tree 15 levels deep");
	sml_query_free(q);
	/* Flat lists of any length. */
	repeat(buf, sizeof(buf), "makeresults | search ", "a ", 10000, "");
	rc = sml_parse(buf, strlen(buf), &lim, &q, &e);
	ok(rc == 0 && q->sq_cmds[1].sc_u.search.sr_cond->c_nkids == 10000,
	    "10000 terms side by side");
	sml_query_free(q);
	repeat(buf, sizeof(buf), "makeresults | eval ", "a=1,", 5000, "b=2");
	rc = sml_parse(buf, strlen(buf), &lim, &q, &e);
	ok(rc == 0 && q->sq_cmds[1].sc_u.eval.ev_n == 5001,
	    "5001 assignments");
	sml_query_free(q);
}

static void
test_commands(void)
{
	struct sml_query *q = NULL;
	struct sml_error e;
	static const struct {
		const char *name;
		size_t off, len;
	} want[] = {
		{ "source", 0, 8 }, { "search", 11, 10 }, { "stats", 24, 16 },
		{ "sort", 43, 11 }, { "head", 57, 6 },
	};
	const char *text =
	    "source a | search x=1 | stats count BY h | sort -count | head 3";

	CMD("eval a = 1, b = a * 2, 'c d' = \"x\" . a",
	    "eval a=1; b=(* a 2); c d=(. \"x\" a)");
	CMD("eval x = null", "eval x=null");
	CMD("eval x.y=-1", "eval x.y=-1");
	CMD("fields a, b*, 'c d'", "fields a,b*,c d");
	CMD("fields - a b", "fields - a,b");
	CMD("fields -a", "fields - a");
	CMD("fields + *", "fields *");
	CMD("table a, b, c", "table a,b,c");
	CMD("table *", "table *");
	CMD("rename a AS b, process.* AS p_*", "rename a->b, process.*->p_*");
	CMD("rename 'a b' as c", "rename a b->c");
	CMD("rename x AS y z AS w", "rename x->y, z->w");
	CMD("rename *a* AS b*c*", "rename *a*->b*c*");
	CMD("sort -count", "sort limit=-1 -count");
	CMD("sort - count, +x, y", "sort limit=-1 -count,+x,+y");
	CMD("sort limit=5 a -b", "sort limit=5 +a,-b");
	CMD("sort a limit = 3", "sort limit=3 +a");
	CMD("sort -'a b'", "sort limit=-1 -a b");
	CMD("head", "head 10");
	CMD("head 5", "head 5");
	CMD("head 0", "head 0");
	CMD("tail", "tail 10");
	CMD("tail 3", "tail 3");
	CMD("dedup a", "dedup 1 a keepempty=0");
	CMD("dedup 3 a, b keepempty=true", "dedup 3 a,b keepempty=1");
	CMD("dedup keepempty=TRUE a b", "dedup 1 a,b keepempty=1");
	CMD("stats count", "stats count()=count");
	CMD("stats count, count(x), dc(y) AS n BY a, b",
	    "stats count()=count, count(x)=count(x), dc(y)=n BY a,b");
	CMD("aggs avg(x) mean(y) perc95(z) perc99.9(z) median(z)",
	    "aggs avg(x)=avg(x), avg(y)=mean(y), perc95(z)=perc95(z), "
	    "perc99.9(z)=perc99.9(z), median(z)=median(z)");
	CMD("stats distinct_count(x), sum(x), min(x), max(x), range(x), "
	    "stdev(x), var(x), values(x), list(x), first(x), last(x), "
	    "earliest(x), latest(x)",
	    "stats dc(x)=distinct_count(x), sum(x)=sum(x), min(x)=min(x), "
	    "max(x)=max(x), range(x)=range(x), stdev(x)=stdev(x), "
	    "var(x)=var(x), values(x)=values(x), list(x)=list(x), "
	    "first(x)=first(x), last(x)=last(x), earliest(x)=earliest(x), "
	    "latest(x)=latest(x)");
	CMD("stats Count AS c by host", "stats count()=c BY host");
	CMD("stats AVG( 'a b' ) BY 'c d'", "stats avg(a b)=AVG(a b) BY c d");
	CMD("stats perc0(x), perc100(x) as p",
	    "stats perc0(x)=perc0(x), perc100(x)=p");
	CMD("eventstats max(x) BY h", "eventstats max(x)=max(x) BY h");
	CMD("streamstats window=2 reset_on_change=false count BY x",
	    "streamstats count()=count BY x window=2 change=0 before=<null> "
	    "after=<null>");
	CMD("streamstats count",
	    "streamstats count()=count window=0 change=0 before=<null> "
	    "after=<null>");
	CMD("streamstats sum(x) window=3 BY h reset_on_change=true "
	    "reset_before=(x > 5) reset_after=(isnull(y))",
	    "streamstats sum(x)=sum(x) BY h window=3 change=1 before=(> x 5) "
	    "after=isnull(y)");
	CMD("top host", "top 10 host showperc=1");
	CMD("top 3 a, b BY c showperc=false", "top 3 a,b BY c showperc=0");
	CMD("top limit=0 x", "top 0 x showperc=1");
	CMD("rare x BY y, z", "rare 10 x BY y,z showperc=1");
	CMD("timechart count", "timechart span=0ms/0M count()=count");
	CMD("timechart span=5m avg(x) BY host",
	    "timechart span=300000ms/0M avg(x)=avg(x) BY host");
	CMD("timechart span=1M count", "timechart span=0ms/1M count()=count");
	CMD("timechart count span=2y", "timechart span=0ms/24M count()=count");
	CMD("timechart span=1w dc(u), count BY 'h h'",
	    "timechart span=604800000ms/0M dc(u)=dc(u), count()=count BY h h");
	CMD("timechart span=30s count", "timechart span=30000ms/0M "
	    "count()=count");
	CMD("timechart span=2h count", "timechart span=7200000ms/0M "
	    "count()=count");
	CMD("timechart span=1d count", "timechart span=86400000ms/0M "
	    "count()=count");
	CMD("bin _time", "bin span=0ms/0M/0 _time AS -");
	CMD("bin span=1h _time AS hour", "bin span=3600000ms/0M/0 _time AS hour");
	CMD("bin span=10 bytes", "bin span=0ms/0M/10 bytes AS -");
	CMD("bin bytes span=0.5", "bin span=0ms/0M/0.5 bytes AS -");
	CMD("rex \"(?<user>\\w+)@(?<domain>[^ ]+)\"",
	    "rex field=- re=(?<user>\\w+)@(?<domain>[^ ]+) names=user,domain");
	CMD("rex field=CommandLine \"(?<z>a)(?<a>b)\"",
	    "rex field=CommandLine re=(?<z>a)(?<a>b) names=z,a");
	CMD("rex field='a b' \"(?P<x>.)(?'y'.)\"",
	    "rex field=a b re=(?P<x>.)(?'y'.) names=x,y");
	CMD("rex \"\\\"(?<q>[^\\\"]*)\\\"\"",
	    "rex field=- re=\"(?<q>[^\"]*)\" names=q");
	CMD("fillnull", "fillnull value=0 ");
	CMD("fillnull value=N/A a, b", "fillnull value=\"N/A\" a,b");
	CMD("fillnull value=2.5", "fillnull value=2.5 ");
	CMD("fillnull value=\"0\" x", "fillnull value=\"0\" x");
	CMD("fillnull value=-1 x y", "fillnull value=-1 x,y");
	CMD("replace \"a*\" WITH \"b*\", x WITH y IN f1, f2",
	    "replace a*->b*, x->y IN f1,f2");
	CMD("replace 127.0.0.1 with localhost", "replace 127.0.0.1->localhost IN ");
	CMD("replace \"C:\\\\x\" With \"\"", "replace C:\\x-> IN ");
	CMD("lookup codes status", "lookup codes status->status ALL");
	CMD("lookup \"my-t.2\" a AS x, b AS y OUTPUT c AS d, e",
	    "lookup my-t.2 a->x, b->y OUTPUT c->d, e->e");
	CMD("lookup t a outputnew b", "lookup t a->a OUTPUTNEW b->b");
	CMD("outputlookup t_1", "outputlookup t_1");
	CMD("search x=1", "search x=1");
	CMD("where x", "where x");

	/* Every command's place and span in the query. */
	if (sml_parse(text, strlen(text), &lim, &q, &e) == 0 &&
	    q->sq_ncmds == 5) {
		int good = 1;

		for (size_t i = 0; i < 5; i++)
			good &= strcmp(q->sq_cmds[i].sc_name, want[i].name) == 0 &&
			    q->sq_cmds[i].sc_off == want[i].off &&
			    q->sq_cmds[i].sc_len == want[i].len;
		ok(good, "five commands: names, offsets, lengths");
	} else
		ok(0, "five commands parse");
	sml_query_free(q);
}

static void
test_parse_cond(void)
{
	struct sml_error e;
	struct cond *c = (struct cond *)&c;
	struct sb b = { .sb_n = 0 };
	int rc;

	rc = sml_parse_cond("a=1 (b OR \"c d\")", 16, &c, &e);
	ok(rc == 0 && c != NULL, "sml_parse_cond: parses");
	if (rc == 0)
		cd_print(&b, c);
	is_str(b.sb_buf, "(AND a=1 (OR [b] [\"c d\"]))", "  tree");
	ok(rc == 0 && c->c_off == 0 && c->c_kids[1]->c_off == 5 &&
	    c->c_kids[1]->c_kids[1]->c_off == 10, "  offsets");
	sml_cond_free(c);
	c = (struct cond *)&c;
	rc = sml_parse_cond("x IN (1,", 8, &c, &e);
	ok(rc == -1 && c == NULL, "sml_parse_cond: error");
	is_str(e.se_msg, "unclosed '(' at line 1, column 6", "  message");
	ok(e.se_line == 1 && e.se_column == 6 && e.se_position == 5,
	    "  place");
	rc = sml_parse_cond(" ", 1, &c, &e);
	is_str(e.se_msg, "empty search condition at line 1, column 1",
	    "sml_parse_cond: empty");
	rc = sml_parse_cond("a | b", 5, &c, &e);
	is_str(e.se_msg, "unexpected '|' after 'a' at line 1, column 3",
	    "sml_parse_cond: no pipeline");
	rc = sml_parse_cond(", a", 3, &c, &e);
	is_str(e.se_msg, "expected a search condition at line 1, column 1",
	    "sml_parse_cond: no condition");
	sml_cond_free(NULL);
	sml_expr_free(NULL);
	sml_aggs_free(NULL, 0);
	ok(1, "destructors take NULL");
}

static void
test_offsets(void)
{
	const char *text = "makeresults | where a + abs(b) > 2 | stats "
	    "count, avg(x) AS m";
	struct sml_query *q = NULL;
	struct sml_error e;
	const struct expr *x;
	const struct agg *a;
	enum agg_fn fn;
	double perc;

	if (sml_parse(text, strlen(text), &lim, &q, &e) != 0) {
		ok(0, "offsets: parses");
		return;
	}
	x = q->sq_cmds[1].sc_u.where.wh_expr;
	ok(x->x_off == 20 && x->x_args[0]->x_off == 20 &&
	    x->x_args[0]->x_args[1]->x_off == 24 &&
	    x->x_args[0]->x_args[1]->x_args[0]->x_off == 28 &&
	    x->x_args[1]->x_off == 33, "expression offsets: starts of the text");
	a = q->sq_cmds[2].sc_u.stats.st_aggs;
	ok(a[0].a_off == 43 && a[1].a_off == 50, "aggregation offsets");
	sml_query_free(q);
	ok(sml_func_lookup("SubStr") != NULL &&
	    sml_func_lookup("SubStr")->fi_id == SML_FN_SUBSTR &&
	    sml_func_lookup("json_extract")->fi_max == 2 &&
	    sml_func_lookup("nope") == NULL && sml_func_lookup(NULL) == NULL,
	    "sml_func_lookup");
	ok(sml_agg_lookup("MEAN", &fn, &perc) == 0 && fn == AGG_AVG &&
	    sml_agg_lookup("perc99.5", &fn, &perc) == 0 && fn == AGG_PERC &&
	    perc == 99.5 && sml_agg_lookup("perc", &fn, &perc) == -2 &&
	    sml_agg_lookup("perc1e2", &fn, &perc) == -2 &&
	    sml_agg_lookup("mode", &fn, &perc) == -1, "sml_agg_lookup");
	is_str(sml_agg_name(AGG_DC), "dc", "sml_agg_name");
}

static void
test_errors_expressions(void)
{
	ERR("makeresults | where", "expected an expression after 'where' at "
	    "line 1, column 20", 1, 20, 19);
	ERR("makeresults | where x +", "expected an expression after '+' at "
	    "line 1, column 24", 1, 24, 23);
	ERR("makeresults | where (x y)", "expected ')' at line 1, column 24", 1,
	    24, 23);
	ERR("makeresults | where foo(1)", "unknown function 'foo' at line 1, "
	    "column 21", 1, 21, 20);
	ERR("makeresults | where substr(s)", "function 'substr' takes 2 to 3 "
	    "arguments, not 1 at line 1, column 21", 1, 21, 20);
	ERR("makeresults | where if(a, b)", "function 'if' takes 3 arguments, "
	    "not 2 at line 1, column 21", 1, 21, 20);
	ERR("makeresults | where now(1)", "function 'now' takes no arguments, "
	    "not 1 at line 1, column 21", 1, 21, 20);
	ERR("makeresults | where coalesce()", "function 'coalesce' takes at "
	    "least 1 argument, not 0 at line 1, column 21", 1, 21, 20);
	ERR("makeresults | where len(a, b)", "function 'len' takes 1 argument, "
	    "not 2 at line 1, column 21", 1, 21, 20);
	ERR("makeresults | where case(a, 1, b)", "function 'case' takes pairs "
	    "of arguments, not 3 at line 1, column 21", 1, 21, 20);
	ERR("makeresults | where f(x", "unclosed '(' at line 1, column 22", 1,
	    22, 21);
	ERR("makeresults | where x = \"abc", "unterminated string starting at "
	    "line 1, column 25", 1, 25, 24);
	ERR("makeresults | where len(a b)", "expected ',' or ')' at line 1, "
	    "column 27", 1, 27, 26);
	ERR("makeresults | where len(a,)", "expected an expression after ',' at "
	    "line 1, column 27", 1, 27, 26);
	ERR("makeresults | where x IN 1", "expected '(' after 'IN' at line 1, "
	    "column 26", 1, 26, 25);
	ERR("makeresults | where x IN ()", "expected an expression after '(' "
	    "at line 1, column 27", 1, 27, 26);
	ERR("makeresults | where x IN (1 2)", "expected ',' or ')' at line 1, "
	    "column 29", 1, 29, 28);
	ERR("makeresults | where x*2 > 1", "unexpected '*' in 'x*2' (write "
	    "a * b to multiply) at line 1, column 21", 1, 21, 20);
	ERR("makeresults | where x = 1 y", "unexpected 'y' after '1' at line 1, "
	    "column 27", 1, 27, 26);
	ERR("makeresults | where x = 1e999", "number out of range: 1e999 at "
	    "line 1, column 25", 1, 25, 24);
	ERR("makeresults | where match(x, \"(\")", "invalid regular "
	    "expression: missing closing parenthesis at line 1, column 32", 1,
	    32, 31);
	ERR("makeresults | where replace(x, \"\\\\\\\\\\\\\", \"\")",
	    "invalid regular expression: \\ at end of pattern at line 1, "
	    "column 39", 1, 39, 38);
	ERR("makeresults | where searchmatch(x)", "searchmatch needs a quoted "
	    "search condition at line 1, column 33", 1, 33, 32);
	ERR("makeresults | where searchmatch(\"a=\")", "searchmatch: expected "
	    "a value after '=' at line 1, column 36", 1, 36, 35);
	ERR("makeresults | where searchmatch(\"\\\"x\\\" (\")", "searchmatch: "
	    "unclosed '(' at line 1, column 40", 1, 40, 39);
	ERR("makeresults | where searchmatch(\"\")", "searchmatch: empty search "
	    "condition at line 1, column 34", 1, 34, 33);
	ERR("makeresults | where ''", "empty field name at line 1, column 21",
	    1, 21, 20);
	ERR("makeresults | where x = \"\xff\"", "string is not valid UTF-8 at "
	    "line 1, column 25", 1, 25, 24);
	ERR("makeresults | where x = ,", "expected an expression after '=' at "
	    "line 1, column 25", 1, 25, 24);
	ERR("makeresults | where NOT", "expected an expression after 'NOT' at "
	    "line 1, column 24", 1, 24, 23);
	ERR("makeresults | where a LIKE", "expected an expression after 'LIKE' "
	    "at line 1, column 27", 1, 27, 26);
	/* Lexical errors inside AND/OR chains and calls (once freed twice). */
	ERR("makeresults | where a OR!b", "expected '=' after '!' at line 1, "
	    "column 25", 1, 25, 24);
	ERR("makeresults | where if(a AND b OR !c, 1, 2)", "expected '=' after "
	    "'!' at line 1, column 35", 1, 35, 34);
	ERR("makeresults | where a AND b $", "unexpected character '$' at line "
	    "1, column 29", 1, 29, 28);
	ERR("makeresults | eval", "expected a field name after 'eval' at line "
	    "1, column 19", 1, 19, 18);
	ERR("makeresults | eval x", "expected '=' after 'x' at line 1, column "
	    "21", 1, 21, 20);
	ERR("makeresults | eval x==1", "expected '=' after 'x' at line 1, "
	    "column 21", 1, 21, 20);
	ERR("makeresults | eval x=", "expected an expression after '=' at line "
	    "1, column 22", 1, 22, 21);
	ERR("makeresults | eval x=1,", "expected a field name after ',' at "
	    "line 1, column 24", 1, 24, 23);
	ERR("makeresults | eval x=1 y=2", "unexpected 'y' after '1' at line 1, "
	    "column 24", 1, 24, 23);
	ERR("makeresults | eval 1=2", "expected a field name after 'eval' at "
	    "line 1, column 20", 1, 20, 19);
	ERR("makeresults | eval a*=2", "unquoted field name 'a*' holds '*' at "
	    "line 1, column 20", 1, 20, 19);
}

static void
test_errors_search(void)
{
	ERR("makeresults | search", "expected a search condition after "
	    "'search' at line 1, column 21", 1, 21, 20);
	ERR("makeresults | search a OR", "expected a search condition after "
	    "'OR' at line 1, column 26", 1, 26, 25);
	ERR("makeresults | search a AND | head", "expected a search condition "
	    "after 'AND' at line 1, column 28", 1, 28, 27);
	ERR("makeresults | search x=", "expected a value after '=' at line 1, "
	    "column 24", 1, 24, 23);
	ERR("makeresults | search x>=(", "unclosed '(' at line 1, column 25",
	    1, 25, 24);
	ERR("makeresults | search x IN (a b)", "expected ',' or ')' at line 1, "
	    "column 30", 1, 30, 29);
	ERR("makeresults | search x IN a", "expected '(' after 'IN' at line 1, "
	    "column 27", 1, 27, 26);
	ERR("makeresults | search x IN ()", "expected a value after '(' at "
	    "line 1, column 28", 1, 28, 27);
	ERR("makeresults | search 'x'", "expected a comparison after 'x' at "
	    "line 1, column 22", 1, 22, 21);
	ERR("makeresults | search a:b=1", "unquoted field name 'a:b' holds ':' "
	    "at line 1, column 22", 1, 22, 21);
	ERR("makeresults | search a, b", "unexpected ',' after 'a' at line 1, "
	    "column 23", 1, 23, 22);
	ERR("makeresults | search (a", "unclosed '(' at line 1, column 22", 1,
	    22, 21);
	ERR("makeresults | search x=AND", "expected a value after '=' at line "
	    "1, column 24", 1, 24, 23);
	ERR("makeresults | search ()", "expected a search condition after "
	    "'(' at line 1, column 23", 1, 23, 22);
	ERR("makeresults | search a = \"b\" = c", "unexpected '=' after \"b\" at "
	    "line 1, column 30", 1, 30, 29);
	ERR("makeresults | search a ! b", "expected '=' after '!' at line 1, "
	    "column 24", 1, 24, 23);
	ERR("makeresults | search \"a", "unterminated string starting at line 1, "
	    "column 22", 1, 22, 21);
	ERR("source idx | search (a b", "unclosed '(' at line 1, column 21", 1,
	    21, 20);
}

static void
test_errors_commands(void)
{
	ERR("makeresults | fields", "expected a field name after 'fields' at "
	    "line 1, column 21", 1, 21, 20);
	ERR("makeresults | fields -", "expected a field name after '-' at line "
	    "1, column 23", 1, 23, 22);
	ERR("makeresults | table a,", "expected a field name after ',' at line "
	    "1, column 23", 1, 23, 22);
	ERR("makeresults | table a = b", "expected a field name after 'table' "
	    "at line 1, column 21", 1, 21, 20);
	ERR("makeresults | table - a", "expected a field name after 'table' "
	    "at line 1, column 21", 1, 21, 20);
	ERR("makeresults | rename a b", "expected AS after 'a' at line 1, "
	    "column 24", 1, 24, 23);
	ERR("makeresults | rename a AS", "expected a field name after 'AS' at "
	    "line 1, column 26", 1, 26, 25);
	ERR("makeresults | rename process.* AS p_", "'p_' must have as many "
	    "'*' as 'process.*' at line 1, column 35", 1, 35, 34);
	ERR("makeresults | sort", "expected a field name after 'sort' at line "
	    "1, column 19", 1, 19, 18);
	ERR("makeresults | sort limit=0 x", "limit must be a positive integer "
	    "at line 1, column 26", 1, 26, 25);
	ERR("makeresults | sort x, ", "expected a field name after ',' at line "
	    "1, column 23", 1, 23, 22);
	ERR("makeresults | sort foo=1 x", "unknown parameter 'foo' for sort at "
	    "line 1, column 20", 1, 20, 19);
	ERR("makeresults | sort limit=1 limit=2 x", "duplicate parameter "
	    "'limit' for sort at line 1, column 28", 1, 28, 27);
	ERR("makeresults | sort 5 x", "expected a field name after 'sort' at "
	    "line 1, column 20", 1, 20, 19);
	ERR("makeresults | head x", "head needs a non-negative integer, not "
	    "'x' at line 1, column 20", 1, 20, 19);
	ERR("makeresults | head -1", "head needs a non-negative integer, not "
	    "'-1' at line 1, column 20", 1, 20, 19);
	ERR("makeresults | tail 1.5", "tail needs a non-negative integer, not "
	    "'1.5' at line 1, column 20", 1, 20, 19);
	ERR("makeresults | head (5)", "head needs a non-negative integer, not "
	    "'(' at line 1, column 20", 1, 20, 19);
	ERR("makeresults | head 5 6", "unexpected '6' after '5' at line 1, "
	    "column 22", 1, 22, 21);
	ERR("makeresults | dedup", "expected a field name after 'dedup' at "
	    "line 1, column 20", 1, 20, 19);
	ERR("makeresults | dedup 0 x", "dedup needs a positive integer, not "
	    "'0' at line 1, column 21", 1, 21, 20);
	ERR("makeresults | dedup x keepempty=maybe", "keepempty must be true "
	    "or false at line 1, column 33", 1, 33, 32);
	ERR("makeresults | dedup x consecutive=true", "unknown parameter "
	    "'consecutive' for dedup at line 1, column 23", 1, 23, 22);
	ERR("makeresults | stats", "expected a stats function after 'stats' "
	    "at line 1, column 20", 1, 20, 19);
	ERR("makeresults | stats foo(x)", "unknown stats function 'foo' at "
	    "line 1, column 21", 1, 21, 20);
	ERR("makeresults | stats avg", "function 'avg' needs a field at line "
	    "1, column 21", 1, 21, 20);
	ERR("makeresults | stats count BY", "expected a field name after 'BY' "
	    "at line 1, column 29", 1, 29, 28);
	ERR("makeresults | stats count by a,", "expected a field name after "
	    "',' at line 1, column 32", 1, 32, 31);
	ERR("makeresults | stats count(x", "unclosed '(' at line 1, column 26",
	    1, 26, 25);
	ERR("makeresults | stats count(x y)", "expected ')' at line 1, column "
	    "29", 1, 29, 28);
	ERR("makeresults | stats perc101(x)", "expected a percentile from 0 to "
	    "100 in 'perc101', like perc95 at line 1, column 21", 1, 21, 20);
	ERR("makeresults | stats perc(x)", "expected a percentile from 0 to "
	    "100 in 'perc', like perc95 at line 1, column 21", 1, 21, 20);
	ERR("makeresults | stats count window=3", "unknown parameter 'window' "
	    "for stats at line 1, column 27", 1, 27, 26);
	ERR("makeresults | stats window=3 count", "unknown parameter 'window' "
	    "for stats at line 1, column 21", 1, 21, 20);
	ERR("makeresults | stats count,", "expected a stats function after ',' "
	    "at line 1, column 27", 1, 27, 26);
	ERR("makeresults | stats count AS", "expected a field name after 'AS' "
	    "at line 1, column 29", 1, 29, 28);
	ERR("makeresults | stats count BY a BY b", "duplicate BY clause at "
	    "line 1, column 32", 1, 32, 31);
	ERR("makeresults | stats count()", "expected a field name after '(' at "
	    "line 1, column 27", 1, 27, 26);
	ERR("makeresults | stats BY x", "expected a stats function after "
	    "'stats' at line 1, column 21", 1, 21, 20);
	ERR("makeresults | streamstats count reset_before=x>1", "expected '(' "
	    "after 'reset_before=' at line 1, column 46", 1, 46, 45);
	ERR("makeresults | streamstats count reset_after=(x) + 1", "unexpected "
	    "'+' after ')' at line 1, column 49", 1, 49, 48);
	ERR("makeresults | streamstats count window=-1", "window must be a "
	    "non-negative integer at line 1, column 40", 1, 40, 39);
	ERR("makeresults | streamstats count reset_on_change=1",
	    "reset_on_change must be true or false at line 1, column 49", 1,
	    49, 48);
	ERR("makeresults | streamstats count window=1 window=2", "duplicate "
	    "parameter 'window' for streamstats at line 1, column 42", 1, 42,
	    41);
	ERR("makeresults | eventstats count reset_after=(x)", "unknown "
	    "parameter 'reset_after' for eventstats at line 1, column 32", 1,
	    32, 31);
	ERR("makeresults | top", "expected a field name after 'top' at line 1, "
	    "column 18", 1, 18, 17);
	ERR("makeresults | top 5 limit=3 x", "duplicate parameter 'limit' for "
	    "top at line 1, column 21", 1, 21, 20);
	ERR("makeresults | top x showperc=yes", "showperc must be true or false "
	    "at line 1, column 30", 1, 30, 29);
	ERR("makeresults | rare x BY", "expected a field name after 'BY' at "
	    "line 1, column 24", 1, 24, 23);
	ERR("makeresults | top 1.5 x", "top needs a non-negative integer, not "
	    "'1.5' at line 1, column 19", 1, 19, 18);
	ERR("makeresults | top BY x", "expected a field name after 'top' at "
	    "line 1, column 19", 1, 19, 18);
	ERR("makeresults | top x countfield=c", "unknown parameter 'countfield' "
	    "for top at line 1, column 21", 1, 21, 20);
	ERR("makeresults | timechart", "expected a stats function after "
	    "'timechart' at line 1, column 24", 1, 24, 23);
	ERR("makeresults | timechart span=5 count", "span must be a positive "
	    "integer and a unit (s, m, h, d, w, M, y), like 1h at line 1, "
	    "column 30", 1, 30, 29);
	ERR("makeresults | timechart span=5min count", "span must be a "
	    "positive integer and a unit (s, m, h, d, w, M, y), like 1h at "
	    "line 1, column 30", 1, 30, 29);
	ERR("makeresults | timechart span=0h count", "span must be a positive "
	    "integer and a unit (s, m, h, d, w, M, y), like 1h at line 1, "
	    "column 30", 1, 30, 29);
	ERR("makeresults | timechart span=200000000d count", "span must be at "
	    "most 100000000 units at line 1, column 30", 1, 30, 29);
	ERR("makeresults | timechart count BY a, b", "timechart takes a single "
	    "BY field at line 1, column 35", 1, 35, 34);
	ERR("makeresults | timechart limit=5 count", "unknown parameter 'limit' "
	    "for timechart at line 1, column 25", 1, 25, 24);
	ERR("makeresults | bin", "expected a field name after 'bin' at line 1, "
	    "column 18", 1, 18, 17);
	ERR("makeresults | bin span=-1 x", "span must be a positive number or "
	    "a positive integer and a unit (s, m, h, d, w, M, y), like 1h at "
	    "line 1, column 24", 1, 24, 23);
	ERR("makeresults | bin x AS", "expected a field name after 'AS' at "
	    "line 1, column 23", 1, 23, 22);
	ERR("makeresults | bin x y", "unexpected 'y' after 'x' at line 1, "
	    "column 21", 1, 21, 20);
	ERR("makeresults | rex", "expected a quoted regular expression after "
	    "'rex' at line 1, column 18", 1, 18, 17);
	ERR("makeresults | rex \"(\\d+)\"", "rex needs at least one named group "
	    "(?<name>...) at line 1, column 19", 1, 19, 18);
	ERR("makeresults | rex \"(?<x>a\"", "invalid regular expression: "
	    "missing closing parenthesis at line 1, column 26", 1, 26, 25);
	ERR("makeresults | rex field= \"(?<x>.)\"", "expected a field name "
	    "after '=' at line 1, column 26", 1, 26, 25);
	ERR("makeresults | rex mode=sed \"s/a/b/\"", "unknown parameter 'mode' "
	    "for rex at line 1, column 19", 1, 19, 18);
	ERR("makeresults | rex \"(?<x>a)\" \"(?<y>b)\"", "unexpected "
	    "\"(?<y>b)\" after \"(?<x>a)\" at line 1, column 29", 1, 29, 28);
	ERR("makeresults | fillnull value=", "expected a value after 'value=' "
	    "at line 1, column 30", 1, 30, 29);
	ERR("makeresults | fillnull x value=1 value=2", "duplicate parameter "
	    "'value' for fillnull at line 1, column 34", 1, 34, 33);
	ERR("makeresults | fillnull foo=1", "unknown parameter 'foo' for "
	    "fillnull at line 1, column 24", 1, 24, 23);
	ERR("makeresults | replace", "expected a value after 'replace' at line "
	    "1, column 22", 1, 22, 21);
	ERR("makeresults | lookup \"../x\" a", "invalid lookup name "
	    "\"../x\": a name is 1 to 100 characters of A-Z, a-z, 0-9, '.', "
	    "'_' and '-', starting with a letter or a digit at line 1, "
	    "column 22", 1, 22, 21);
	ERR("makeresults | lookup t", "expected a column name after 't' at "
	    "line 1, column 23", 1, 23, 22);
	ERR("makeresults | lookup t a OUTPUT", "expected a column name after "
	    "'OUTPUT' at line 1, column 32", 1, 32, 31);
	ERR("inputlookup", "expected a lookup table name after 'inputlookup' "
	    "at line 1, column 12", 1, 12, 11);
	ERR("makeresults | replace \"a\" \"b\"", "expected WITH after \"a\" at "
	    "line 1, column 27", 1, 27, 26);
	ERR("makeresults | replace \"a\" WITH", "expected a value after 'WITH' "
	    "at line 1, column 31", 1, 31, 30);
	ERR("makeresults | replace \"a\" WITH \"b\" IN", "expected a field name "
	    "after 'IN' at line 1, column 38", 1, 38, 37);
	ERR("makeresults | replace \"a\" WITH \"b\",", "expected a value after "
	    "',' at line 1, column 36", 1, 36, 35);
	ERR("makeresults | Head 5", "unknown command 'Head' at line 1, column "
	    "15", 1, 15, 14);
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
		if ((k = util_utf8_seq((const char *)m + i, strlen(e.se_msg) - i)) == 0 ||
		    m[i] < 0x20)
			return 0;
	return 1;
}

/* regex, spath, mvexpand, makemv, nomv: what they parse to and their errors. */
static void
test_cmds_mv_json(void)
{
	CMD("regex \"^a\\d\"", "regex field=- =~ re=^a\\d");
	CMD("regex url=~\"^/api\"", "regex field=url =~ re=^/api");
	CMD("regex url=~ \"x\"", "regex field=url =~ re=x");
	CMD("regex url=\"x\"", "regex field=url =~ re=x");
	CMD("regex url!=\"x\"", "regex field=url != re=x");
	CMD("regex 'a b'=~\"x\"", "regex field=a b =~ re=x");
	CMD("regex _raw=~\"x\"", "regex field=_raw =~ re=x");
	ERR("makeresults | regex", "expected a quoted regular expression or "
	    "<field>=~\"<regex>\" after 'regex' at line 1, column 20", 1, 20,
	    19);
	ERR("makeresults | regex url", "expected '=~', '=' or '!=' after 'url' "
	    "at line 1, column 24", 1, 24, 23);
	ERR("makeresults | regex url=~x", "expected a quoted regular "
	    "expression after '=~' at line 1, column 26", 1, 26, 25);
	ERR("makeresults | regex url= ~\"x\"", "expected a quoted regular "
	    "expression after '=' at line 1, column 26", 1, 26, 25);
	ERR("makeresults | regex url!=x", "expected a quoted regular "
	    "expression after '!=' at line 1, column 26", 1, 26, 25);
	ERR("makeresults | regex url=~\"(\"", "invalid regular expression: "
	    "missing closing parenthesis at line 1, column 28", 1, 28, 27);
	ERR("makeresults | regex \"a\" \"b\"", "unexpected \"b\" after "
	    "\"a\" at line 1, column 25", 1, 25, 24);
	ERR("makeresults | regex url=~\"a\" | regex", "expected a quoted "
	    "regular expression or <field>=~\"<regex>\" after 'regex' at line "
	    "1, column 37", 1, 37, 36);

	CMD("mvexpand tags", "mvexpand tags limit=0");
	CMD("mvexpand limit=2 user.groups", "mvexpand user.groups limit=2");
	CMD("mvexpand 'a b' limit = 0", "mvexpand a b limit=0");
	ERR("makeresults | mvexpand", "expected a field name after 'mvexpand' "
	    "at line 1, column 23", 1, 23, 22);
	ERR("makeresults | mvexpand limit=2", "expected a field name after "
	    "'2' at line 1, column 31", 1, 31, 30);
	ERR("makeresults | mvexpand x limit=-1", "limit must be a non-negative "
	    "integer at line 1, column 32", 1, 32, 31);
	ERR("makeresults | mvexpand x limit=1 limit=2", "duplicate parameter "
	    "'limit' for mvexpand at line 1, column 34", 1, 34, 33);
	ERR("makeresults | mvexpand x y", "unexpected 'y' after 'x' at line 1, "
	    "column 26", 1, 26, 25);
	ERR("makeresults | mvexpand x max=1", "unknown parameter 'max' for "
	    "mvexpand at line 1, column 26", 1, 26, 25);

	CMD("makemv msg", "makemv msg delim=  tokenizer=- allowempty=0");
	CMD("makemv delim=\",\" allowempty=true f",
	    "makemv f delim=, tokenizer=- allowempty=1");
	CMD("makemv f delim=:: allowempty=false",
	    "makemv f delim=:: tokenizer=- allowempty=0");
	CMD("makemv tokenizer=\"(\\w+),?\" f",
	    "makemv f delim=- tokenizer=(\\w+),? allowempty=0");
	ERR("makeresults | makemv", "expected a field name after 'makemv' at "
	    "line 1, column 21", 1, 21, 20);
	ERR("makeresults | makemv tokenizer=\"a\" delim=\",\" f", "makemv "
	    "takes delim= or tokenizer=, not both at line 1, column 36", 1, 36,
	    35);
	ERR("makeresults | makemv delim=\"\" f", "delim must not be empty at "
	    "line 1, column 28", 1, 28, 27);
	ERR("makeresults | makemv delim= f", "expected a field name after 'f' "
	    "at line 1, column 30", 1, 30, 29);
	ERR("makeresults | makemv delim=, f", "expected a value after 'delim=' "
	    "at line 1, column 28", 1, 28, 27);
	ERR("makeresults | makemv tokenizer=\"[\" f", "invalid regular "
	    "expression: missing terminating ] for character class at line 1, "
	    "column 34", 1, 34, 33);
	ERR("makeresults | makemv tokenizer=x f", "tokenizer must be a quoted "
	    "regular expression at line 1, column 32", 1, 32, 31);
	ERR("makeresults | makemv delim=a delim=b f", "duplicate parameter "
	    "'delim' for makemv at line 1, column 30", 1, 30, 29);
	ERR("makeresults | makemv allowempty=1 f", "allowempty must be true or "
	    "false at line 1, column 33", 1, 33, 32);
	ERR("makeresults | makemv setsv=true f", "unknown parameter 'setsv' for "
	    "makemv at line 1, column 22", 1, 22, 21);

	CMD("nomv tags", "nomv tags");
	CMD("nomv 'a b'", "nomv a b");
	ERR("makeresults | nomv", "expected a field name after 'nomv' at line "
	    "1, column 19", 1, 19, 18);
	ERR("makeresults | nomv a, b", "unexpected ',' after 'a' at line 1, "
	    "column 21", 1, 21, 20);
	ERR("makeresults | nomv x=1", "expected a field name after 'nomv' at "
	    "line 1, column 20", 1, 20, 19);

	CMD("spath", "spath input=- output=- path=- multi=0 steps=");
	CMD("spath input=j", "spath input=j output=- path=- multi=0 steps=");
	CMD("spath a.b{}.c{2}", "spath input=- output=- path=a.b{}.c{2} "
	    "multi=1 steps=[a][b]{}[c]{2}");
	CMD("spath output=x path={0}{}.k input='a b'", "spath input=a b "
	    "output=x path={0}{}.k multi=1 steps={0}{}[k]");
	CMD("spath \"a b.c\"", "spath input=- output=- path=a b.c multi=0 "
	    "steps=[a b][c]");
	CMD("spath path=@x:y/z", "spath input=- output=- path=@x:y/z multi=0 "
	    "steps=[@x:y/z]");
	ERR("makeresults | spath a..b", "invalid path 'a..b': a step is empty "
	    "at line 1, column 21", 1, 21, 20);
	ERR("makeresults | spath a.", "invalid path 'a.': a step is empty at "
	    "line 1, column 21", 1, 21, 20);
	ERR("makeresults | spath .a", "invalid path '.a': a step is empty at "
	    "line 1, column 21", 1, 21, 20);
	ERR("makeresults | spath a.{}", "invalid path 'a.{}': a step is empty "
	    "at line 1, column 21", 1, 21, 20);
	ERR("makeresults | spath a{", "invalid path 'a{': '{' takes an index or "
	    "nothing, then '}' at line 1, column 21", 1, 21, 20);
	ERR("makeresults | spath a{-1}", "invalid path 'a{-1}': '{' takes an "
	    "index or nothing, then '}' at line 1, column 21", 1, 21, 20);
	ERR("makeresults | spath a}", "invalid path 'a}': '}' without '{' at "
	    "line 1, column 21", 1, 21, 20);
	ERR("makeresults | spath a{}x", "invalid path 'a{}x': an array step "
	    "must end its step at line 1, column 21", 1, 21, 20);
	ERR("makeresults | spath a{2147483648}", "invalid path 'a{2147483648}': "
	    "an index above 2147483647 at line 1, column 21", 1, 21, 20);
	ERR("makeresults | spath output=o", "spath: output= needs a path "
	    "(path=<path>) at line 1, column 21", 1, 21, 20);
	ERR("makeresults | spath input=", "expected a field name after '=' at "
	    "line 1, column 27", 1, 27, 26);
	ERR("makeresults | spath input=a input=b", "duplicate parameter 'input' "
	    "for spath at line 1, column 29", 1, 29, 28);
	ERR("makeresults | spath a b", "unexpected 'b' after 'a' at line 1, "
	    "column 23", 1, 23, 22);
	ERR("makeresults | spath path=", "expected a value after 'path=' at "
	    "line 1, column 26", 1, 26, 25);
	ERR("makeresults | spath mode=json", "unknown parameter 'mode' for "
	    "spath at line 1, column 21", 1, 21, 20);
}

/* chart, xyseries, untable, appendpipe: what they parse to, their errors. */
static void
test_cmds_chart(void)
{
	CMD("chart count by host", "chart limit=10 other=1 null=1 nullstr=- "
	    "otherstr=- count()=count OVER host BY -");
	CMD("chart count over host by method", "chart limit=10 other=1 "
	    "null=1 nullstr=- otherstr=- count()=count OVER host BY method");
	CMD("chart count BY host, method", "chart limit=10 other=1 null=1 "
	    "nullstr=- otherstr=- count()=count OVER host BY method");
	CMD("chart limit=3 useother=false count, avg(x) AS a OVER h BY m "
	    "usenull=false nullstr=none otherstr=\"the rest\"", "chart limit=3 "
	    "other=0 null=0 nullstr=none otherstr=the rest count()=count, "
	    "avg(x)=a OVER h BY m");
	CMD("chart dc(x)", "chart limit=10 other=1 null=1 nullstr=- "
	    "otherstr=- dc(x)=dc(x) OVER - BY -");
	CMD("xyseries host method count", "xyseries host method count");
	CMD("xyseries h, m, c1, c2", "xyseries h m c1,c2");
	CMD("untable host name value", "untable host name value");
	CMD("appendpipe [ stats count | eval x=1 ]",
	    "appendpipe [2: stats eval]");
	CMD("appendpipe [| head 1 ]", "appendpipe [1: head]");
	ERR("makeresults | chart", "expected a stats function after 'chart' "
	    "at line 1, column 20", 1, 20, 19);
	ERR("makeresults | chart over x", "expected a stats function after "
	    "'chart' at line 1, column 21", 1, 21, 20);
	ERR("makeresults | chart count by", "expected a field name after "
	    "'by' at line 1, column 29", 1, 29, 28);
	ERR("makeresults | chart count over", "expected a field name after "
	    "'over' at line 1, column 31", 1, 31, 30);
	ERR("makeresults | chart count by a b c", "chart takes one row field "
	    "and one column field at line 1, column 34", 1, 34, 33);
	ERR("makeresults | chart count over a by b, c", "chart takes one row "
	    "field and one column field at line 1, column 38", 1, 38, 37);
	ERR("makeresults | chart count over a over b", "chart: OVER must come "
	    "once, before BY at line 1, column 34", 1, 34, 33);
	ERR("makeresults | chart count by a by b", "duplicate BY clause at "
	    "line 1, column 32", 1, 32, 31);
	ERR("makeresults | chart limit=x count", "limit must be a "
	    "non-negative integer at line 1, column 27", 1, 27, 26);
	ERR("makeresults | chart limit=1 limit=2 count", "duplicate parameter "
	    "'limit' for chart at line 1, column 29", 1, 29, 28);
	ERR("makeresults | chart useother=no count", "useother must be true "
	    "or false at line 1, column 30", 1, 30, 29);
	ERR("makeresults | chart count span=1h", "unknown parameter 'span' for "
	    "chart at line 1, column 27", 1, 27, 26);
	ERR("makeresults | xyseries", "expected an x field after 'xyseries' at "
	    "line 1, column 23", 1, 23, 22);
	ERR("makeresults | xyseries a", "expected a y-name field after 'a' at "
	    "line 1, column 25", 1, 25, 24);
	ERR("makeresults | xyseries a b,", "expected a y-data field after ',' "
	    "at line 1, column 28", 1, 28, 27);
	ERR("makeresults | xyseries a b c sep=x", "unknown parameter 'sep' for "
	    "xyseries at line 1, column 30", 1, 30, 29);
	ERR("makeresults | untable a b", "expected a y-data field after 'b' at "
	    "line 1, column 26", 1, 26, 25);
	ERR("makeresults | untable a b c, d", "expected a y-data field after "
	    "',' at line 1, column 30", 1, 30, 29);
	ERR("makeresults | untable a b c d", "unexpected 'd' after 'c' at line "
	    "1, column 29", 1, 29, 28);
	ERR("makeresults | appendpipe", "expected '[' and a subpipeline after "
	    "'appendpipe' at line 1, column 25", 1, 25, 24);
	ERR("makeresults | appendpipe [ stats count", "unclosed '[' at line "
	    "1, column 26", 1, 26, 25);
	ERR("makeresults | appendpipe [ ]", "subpipeline: empty query at line "
	    "1, column 27", 1, 27, 26);
	ERR("makeresults | appendpipe [ makeresults ]", "subpipeline: "
	    "'makeresults' cannot start a subpipeline: it runs over the rows "
	    "of the command before it at line 1, column 28", 1, 28, 27);
	ERR("makeresults | appendpipe [ stats count | source x ]",
	    "subpipeline: 'source' cannot start a subpipeline: it runs over "
	    "the rows of the command before it at line 1, column 42", 1, 42,
	    41);
	ERR("makeresults | appendpipe [ stat count ]", "subpipeline: unknown "
	    "command 'stat' at line 1, column 28", 1, 28, 27);
	ERR("makeresults | appendpipe [ head 1 ] x", "unexpected 'x' after ']' "
	    "at line 1, column 37", 1, 37, 36);
}

static void
test_robustness(void)
{
	static const char *const valid[] = {
		"/* c */ | source \"a b\",c-* qsize = 5 earliest=now-1d/d "
		    "latest=\"now\"\n",
		"| makeresults count=3 shownumbers=true /* x */",
		"source идекс,'x' | stats count(x) BY y",
		"source i A=1 NOT (b IN (c, \"d\") OR e>=-2) f=* \"g h\" | "
		    "search x!=C:\\y z<3",
		"makeresults | where NOT a = 1 AND b IN (1, \"x\") OR "
		    "substr(s, 1, 2) . 'c d' LIKE \"a%\" | eval x = -(a + b) "
		    "* c % 2, y = if(isnull(x), null, true)",
		"makeresults | where searchmatch(\"a=1 (b OR c)\") AND "
		    "match(x, \"^(a|b)+$\") | fields - a, b* | table c",
		"makeresults | rename a AS b, c* AS d* | sort limit=5 -a, +b c "
		    "| head 5 | tail | dedup 2 a, b keepempty=true",
		"makeresults | stats count, avg(x) AS m, perc95(y) BY a, b | "
		    "streamstats window=3 dc(z) BY a reset_before=(a > 1) "
		    "reset_after=(b) reset_on_change=false",
		"makeresults | top 3 a, b BY c showperc=false | rare x | "
		    "timechart span=5m count BY h | bin span=1h t AS u",
		"makeresults | rex field=x \"(?<a>\\d+)-(?<b>.)\" | fillnull "
		    "value=\"n/a\" a, b | replace \"a*\" WITH \"b*\", x WITH y "
		    "IN f",
		"makeresults | regex x=~\"^a\" | regex y!=\"b\" | spath "
		    "input=j output=o path=a{}.b{0} | mvexpand o limit=2 | makemv "
		    "delim=\",\" allowempty=true s | makemv tokenizer=\"(\\w+)\" t "
		    "| nomv s",
		"makeresults | chart limit=2 useother=false count over a by b "
		    "| untable a n v | xyseries a n v | appendpipe [ stats "
		    "count | eval a=\"total\" ]",
	};
	static const char *const frags[] = {
		"source", "makeresults", " ", "|", ",", "=", "qsize", "count",
		"earliest", "\"", "'", "/*", "*/", "(", ")", "[", "]", "\\",
		"\xc3\xa9", "\xff", "\n", "-", "1", "*", "now-1d", "!", "AND",
		"shownumbers", "true", "stats", ".", "e", "+", "\0",
		"where", "eval", "search", "NOT", "OR", "IN", "BY", "AS",
		"x", "if(", "substr(", "searchmatch(", "count(", "perc9",
		"sort", "head", "dedup", "top", "timechart", "span=", "bin",
		"rex", "\"(?<a>x)\"", "fillnull", "replace", "WITH",
		"streamstats", "reset_before=", "window=", "rename", "fields",
		"table", "<", ">=", "!=", "==", "LIKE", "%", "/", "'a b'",
		"\"s\"", "5", "-3", "null", "1e999", "| makeresults | ",
		"regex", "=~", "spath", "input=", "path=", "a{}.b", "{0}",
		"mvexpand", "limit=", "makemv", "delim=", "tokenizer=", "nomv",
		"chart", "over", "useother=", "usenull=", "nullstr=",
		"otherstr=", "xyseries", "untable", "appendpipe", "[ ",
	};
	char buf[256];
	size_t n, len, bad = 0, runs = 0;

	for (size_t v = 0; v < sizeof(valid) / sizeof(valid[0]); v++) {
		struct sml_query *q = NULL;
		struct sml_error e;

		if (v < 3)
			continue;	/* the first ones hold mistakes */
		ok(sml_parse(valid[v], strlen(valid[v]), &lim, &q, &e) == 0,
		    "valid: %s", esc(valid[v]));
		if (q == NULL)
			printf("#   error: %s\n", e.se_msg);
		sml_query_free(q);
	}
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
	test_conditions();
	test_expressions();
	test_depth();
	test_commands();
	test_parse_cond();
	test_offsets();
	test_errors_expressions();
	test_errors_search();
	test_errors_commands();
	test_cmds_mv_json();
	test_cmds_chart();
	test_robustness();
	return done_testing();
}
