/*
 * cmd/regex.c - regex: keeps the events whose field matches a regular
 * expression, or does not (streaming).
 *
 *	regex "<regex>"
 *	regex <field>=~"<regex>"	(also <field>="<regex>", as in SPL)
 *	regex <field>!="<regex>"
 *
 * Without a field, and for the field _raw when the event has none of that
 * name, it matches the event's JSON text. A missing or null field matches
 * no =~ and every !=. The expression is checked at parse time, compiled
 * once for the run and matched under limits.regex_*.
 */
#include <stdlib.h>
#include <string.h>

#include "sml/parse.h"
#include "sml/stage.h"

/* ---- Parsing ---- */

/*
 * Reads the operator at the current token, after the field name: '!=',
 * '=' or '=~' (a '~' right after the '='), and the value after it as a
 * value token. Returns 0 with the value current and *op its text, or -1.
 */
static int
regex_op(struct sml_parser *p, struct sml_regex *re, const char **op)
{
	size_t eq = p->sp_tok.lt_off;

	if (p->sp_tok.lt_kind == LEX_NE) {
		re->re_negate = 1;
		*op = "!=";
		return sml_next_value(p);
	}
	if (p->sp_tok.lt_kind != LEX_EQ)
		return sml_fail_expected(p, "'=~', '=' or '!='");
	*op = "=";
	if (sml_next_value(p) == -1)
		return -1;
	if (p->sp_tok.lt_kind != LEX_WORD || p->sp_tok.lt_off != eq + 1 ||
	    p->sp_text[eq + 1] != '~')
		return 0;
	*op = "=~";
	if (p->sp_tok.lt_len > 1)	/* =~abc: no quotes */
		return sml_fail(p, eq + 2, "expected a quoted regular "
		    "expression after '=~'");
	return sml_next_value(p);
}

/*
 * Parses regex [<field>(=~|=|!=)]"<regex>" into c->sc_u.regex. Returns 0
 * with the current token at '|' or the end, or -1 with the error reported.
 */
int
cmd_regex_parse(struct sml_parser *p, struct sml_command *c)
{
	struct sml_regex *re = &c->sc_u.regex;
	const char *op = NULL;
	size_t off;

	if (sml_next(p) == -1)
		return -1;
	if (p->sp_tok.lt_kind == LEX_WORD || p->sp_tok.lt_kind == LEX_QNAME) {
		if (sml_name(p, 0, &re->re_field) == -1 || sml_next(p) == -1 ||
		    regex_op(p, re, &op) == -1)
			return -1;
	}
	if (p->sp_tok.lt_kind != LEX_STRING) {
		if (op == NULL)
			return sml_fail_expected(p, "a quoted regular "
			    "expression or <field>=~\"<regex>\"");
		return sml_fail(p, p->sp_tok.lt_off, "expected a quoted "
		    "regular expression after '%s'", op);
	}
	off = p->sp_tok.lt_off;
	if ((re->re_regex = sml_copy(p)) == NULL ||
	    sml_check_regex(p, re->re_regex, strlen(re->re_regex), off, NULL,
	    NULL) == -1 || sml_next(p) == -1)
		return -1;
	return sml_end(p);
}

/* Frees what cmd_regex_parse() stored in c (not c itself). */
void
cmd_regex_clear(struct sml_command *c)
{
	free(c->sc_u.regex.re_field);
	free(c->sc_u.regex.re_regex);
}

/* ---- Running ---- */

/* The state of the stage: the struct sml_rx of the expression. */

/* Matches text (len bytes). Returns 1, 0 (no match) or -1 (a limit). */
static int
regex_text(struct stage *s, const char *text, size_t len)
{
	struct sml_rx *rx = s->sg_state;
	char msg[256];
	int rc;

	if (sml_rx_subject(rx, text, len) == -1)
		return run_fail(s->sg_run, "out of memory");
	rc = sml_rx_exec(rx, len, 0, 0);
	if (rc >= 0)
		return 1;
	if (rc == PCRE2_ERROR_NOMATCH)
		return 0;
	/* A limit reached is not "no match": the answer would be wrong. */
	sml_regex_error(&rx->cr_env, rc, "regex", msg, sizeof(msg));
	return run_fail(s->sg_run, "%s", msg);
}

/*
 * Matches the value v: a scalar by its text, an array when any scalar
 * element matches; null and objects do not match. Returns 1, 0 or -1.
 */
static int
regex_value(struct stage *s, const json_t *v)
{
	size_t i, n = json_is_array(v) ? json_array_size(v) : 1;
	const json_t *el;
	char *str;
	int rc = 0;

	for (i = 0; i < n && rc == 0; i++) {
		el = json_is_array(v) ? json_array_get(v, i) : v;
		if (json_is_null(el) || json_is_array(el) || json_is_object(el))
			continue;
		if ((str = value_string(el)) == NULL)
			return run_fail(s->sg_run, "out of memory");
		rc = regex_text(s, str, strlen(str));
		free(str);
	}
	return rc;
}

static int
regex_push(struct stage *s, struct event *e)
{
	const struct sml_regex *re = &s->sg_cmd->sc_u.regex;
	const char *name = re->re_field ? re->re_field : "_raw", *text;
	json_t *v = event_get(e, name);
	size_t len;
	int rc;

	if (v == NULL && strcmp(name, "_raw") == 0) {
		if ((text = event_text(e, &len)) == NULL)
			return run_fail(s->sg_run, "out of memory");
		rc = regex_text(s, text, len);
	} else
		rc = v == NULL ? 0 : regex_value(s, v);
	if (rc < 0)
		return -1;
	return rc != re->re_negate ? stage_emit(s, e) : 0;
}

static void
regex_free(struct stage *s)
{
	sml_rx_delete(s->sg_state);
	s->sg_state = NULL;
}

/* Compiles the expression once for the whole run. */
int
cmd_regex_init(struct stage *s, const struct sml_command *c)
{
	const struct sml_run_limits *lim = run_limits(s->sg_run);
	char err[256];

	if (c->sc_u.regex.re_regex == NULL)
		return run_fail(s->sg_run, "regex: no regular expression");
	s->sg_state = sml_rx_new(c->sc_u.regex.re_regex,
	    lim->rl_regex_match_limit, lim->rl_regex_depth_limit, err,
	    sizeof(err));
	if (s->sg_state == NULL)
		return run_fail(s->sg_run, "regex: %s", err);
	s->sg_push = regex_push;
	s->sg_free = regex_free;
	return 0;
}
