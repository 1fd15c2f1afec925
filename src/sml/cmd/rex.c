/*
 * cmd/rex.c - rex: adds a field per named group of a regular expression's
 * first match (streaming).
 *
 *	rex [field=<f>] "<regex with (?<name>...) groups>"
 *
 * Without field=, it matches the event's JSON text. The expression is
 * checked, and its groups named, at parse time (sml_check_regex()); it is
 * compiled once for the run, and matched under limits.regex_*.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sml/parse.h"
#include "sml/stage.h"

/* ---- Parsing ---- */

/*
 * Parses rex [field=<f>] "<regex>" into c->sc_u.rex. Returns 0 with the
 * current token at '|' or the end, or -1 with the error reported.
 */
int
cmd_rex_parse(struct sml_parser *p, struct sml_command *c)
{
	struct sml_rex *rx = &c->sc_u.rex;
	unsigned seen = 0;
	size_t off;

	if (sml_next(p) == -1)
		return -1;
	for (;;) {
		if (sml_at_param(p)) {
			if (!sml_at_key(p, "field"))
				return sml_param_unknown(p, "rex");
			if (sml_param_once(p, &seen, SML_SEEN_A, "rex") == -1 ||
			    sml_next(p) == -1 || sml_next_value(p) == -1)
				return -1;
			if (p->sp_tok.lt_kind != LEX_WORD &&
			    p->sp_tok.lt_kind != LEX_QNAME)
				return sml_fail_expected(p, "a field name");
			if (sml_name(p, 0, &rx->rx_field) == -1 ||
			    sml_next(p) == -1)
				return -1;
		} else if (p->sp_tok.lt_kind == LEX_STRING &&
		    rx->rx_regex == NULL) {
			off = p->sp_tok.lt_off;
			if ((rx->rx_regex = sml_copy(p)) == NULL ||
			    sml_check_regex(p, rx->rx_regex,
			    strlen(rx->rx_regex), off, &rx->rx_names,
			    &rx->rx_nnames) == -1 || sml_next(p) == -1)
				return -1;
		} else
			break;
	}
	if (rx->rx_regex == NULL)
		return sml_fail_expected(p, "a quoted regular expression");
	return sml_end(p);
}

/* Frees what cmd_rex_parse() stored in c (not c itself). */
void
cmd_rex_clear(struct sml_command *c)
{
	free(c->sc_u.rex.rx_field);
	free(c->sc_u.rex.rx_regex);
	sml_strs_free(c->sc_u.rex.rx_names, c->sc_u.rex.rx_nnames);
}

/* ---- Running ---- */

struct rex_state {
	struct sml_rx *rs_rx;	/* the expression, its limits, the subject */
	uint32_t *rs_groups;	/* group number of each rx_names[i] */
};

/*
 * Matches the text s (len bytes) and sets a field per named group that
 * took part. Returns 1 on a match, 0 without one, -1 on an error.
 */
static int
rex_match(struct stage *s, struct event *e, const char *text, size_t len)
{
	const struct sml_rex *rx = &s->sg_cmd->sc_u.rex;
	struct rex_state *rs = s->sg_state;
	PCRE2_SIZE *ov;
	json_t **vals;
	int rc;

	if (sml_rx_subject(rs->rs_rx, text, len) == -1)
		return run_fail(s->sg_run, "out of memory");
	rc = sml_rx_exec(rs->rs_rx, len, 0, 0);
	if (rc == PCRE2_ERROR_NOMATCH)
		return 0;
	if (rc < 0) {
		char msg[256];

		/* A limit reached is not "no match": the fields would be
		 * missing from events where they are. */
		sml_regex_error(&rs->rs_rx->cr_env, rc, "rex", msg, sizeof(msg));
		return run_fail(s->sg_run, "%s", msg);
	}
	ov = pcre2_get_ovector_pointer(rs->rs_rx->cr_md);
	/* Copy the groups first: setting a field may change the text. */
	if ((vals = calloc(rx->rx_nnames, sizeof(*vals))) == NULL)
		return run_fail(s->sg_run, "out of memory");
	for (size_t i = 0; i < rx->rx_nnames; i++) {
		uint32_t g = rs->rs_groups[i];

		if (g == 0 || g >= (uint32_t)rc || ov[2 * g] == PCRE2_UNSET)
			continue;
		vals[i] = json_stringn(rs->rs_rx->cr_subj + ov[2 * g],
		    ov[2 * g + 1] - ov[2 * g]);
	}
	rc = 1;
	for (size_t i = 0; i < rx->rx_nnames; i++)
		if (vals[i] != NULL && event_set(e, rx->rx_names[i],
		    vals[i]) == -1)
			rc = -1;
	free(vals);
	return rc == -1 ? run_fail(s->sg_run, "out of memory") : 1;
}

static int
rex_push(struct stage *s, struct event *e)
{
	const struct sml_rex *rx = &s->sg_cmd->sc_u.rex;
	const char *text;
	json_t *v;
	char *str;
	size_t len, i;
	int rc = 0;

	if (rx->rx_field == NULL) {
		if ((text = event_text(e, &len)) == NULL)
			return run_fail(s->sg_run, "out of memory");
		if (rex_match(s, e, text, len) == -1)
			return -1;
		return stage_emit(s, e);
	}
	v = event_get(e, rx->rx_field);
	if (v == NULL || json_is_null(v))
		return stage_emit(s, e);
	/* A multivalue field: the first element that matches. */
	for (i = 0; rc == 0; i++) {
		const json_t *el = json_is_array(v) ? json_array_get(v, i) :
		    i == 0 ? v : NULL;

		if (el == NULL)
			break;
		if (json_is_null(el) || json_is_array(el) ||
		    json_is_object(el))
			continue;
		if ((str = value_string(el)) == NULL)
			return run_fail(s->sg_run, "out of memory");
		rc = rex_match(s, e, str, strlen(str));
		free(str);
	}
	if (rc < 0)
		return -1;
	return stage_emit(s, e);
}

static void
rex_free(struct stage *s)
{
	struct rex_state *rs = s->sg_state;

	if (rs == NULL)
		return;
	sml_rx_delete(rs->rs_rx);
	free(rs->rs_groups);
	free(rs);
	s->sg_state = NULL;
}

/* Compiles the regex once for the whole run. */
int
cmd_rex_init(struct stage *s, const struct sml_command *c)
{
	const struct sml_rex *rx = &c->sc_u.rex;
	const struct sml_run_limits *lim = run_limits(s->sg_run);
	struct rex_state *rs;
	char err[256];
	int n;

	if (rx->rx_regex == NULL)
		return run_fail(s->sg_run, "rex: no regular expression");
	if ((rs = calloc(1, sizeof(*rs))) == NULL)
		return run_fail(s->sg_run, "out of memory");
	s->sg_state = rs;
	s->sg_push = rex_push;
	s->sg_free = rex_free;
	if ((rs->rs_rx = sml_rx_new(rx->rx_regex, lim->rl_regex_match_limit,
	    lim->rl_regex_depth_limit, err, sizeof(err))) == NULL)
		return run_fail(s->sg_run, "rex: %s", err);
	rs->rs_groups = calloc(rx->rx_nnames ? rx->rx_nnames : 1,
	    sizeof(*rs->rs_groups));
	if (rs->rs_groups == NULL)
		return run_fail(s->sg_run, "out of memory");
	for (size_t i = 0; i < rx->rx_nnames; i++) {
		n = pcre2_substring_number_from_name(rs->rs_rx->cr_code,
		    (PCRE2_SPTR)rx->rx_names[i]);
		rs->rs_groups[i] = n > 0 ? (uint32_t)n : 0;
	}
	return 0;
}
