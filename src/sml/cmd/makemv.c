/*
 * cmd/makemv.c - makemv: splits a string field into a multivalue (array)
 * field (streaming).
 *
 *	makemv [delim="<text>"|tokenizer="<regex>"] [allowempty=<bool>]
 *	    <field>
 *
 * delim (default a space) splits at each occurrence of the text; tokenizer
 * takes a value from each match of the regular expression, left to right:
 * its first group, or the whole match when it has none. Empty values are
 * left out unless allowempty=true. A number or boolean is split as its
 * text; a missing or null field, an array or an object stays as it is.
 */
#define _GNU_SOURCE	/* memmem */
#include <stdlib.h>
#include <string.h>

#include "sml/parse.h"
#include "sml/stage.h"

/* ---- Parsing ---- */

/*
 * Reads the value of the parameter delim= or tokenizer= at the current
 * token into *out, refusing the other one when it was seen (bits of
 * *seen: SML_SEEN_A delim, SML_SEEN_B tokenizer). Leaves the value
 * current. Returns 0 or -1.
 */
static int
makemv_split_param(struct sml_parser *p, unsigned *seen, int tok, char **out)
{
	const char *key = tok ? "tokenizer" : "delim";
	size_t off;

	if (sml_param_once(p, seen, tok ? SML_SEEN_B : SML_SEEN_A, "makemv") ==
	    -1)
		return -1;
	if (*seen & (tok ? SML_SEEN_A : SML_SEEN_B))
		return sml_fail(p, p->sp_tok.lt_off, "makemv takes delim= or "
		    "tokenizer=, not both");
	if ((*out = sml_param_value(p, key)) == NULL)
		return -1;
	off = p->sp_tok.lt_off;
	if (!tok)
		return (*out)[0] == '\0' ? sml_fail(p, off, "delim must not be "
		    "empty") : 0;
	if (p->sp_tok.lt_kind != LEX_STRING)
		return sml_fail(p, off, "tokenizer must be a quoted regular "
		    "expression");
	return sml_check_regex(p, *out, strlen(*out), off, NULL, NULL);
}

/*
 * Parses makemv [delim="<text>"|tokenizer="<regex>"] [allowempty=<bool>]
 * <field> (parameters before or after the field) into c->sc_u.makemv.
 * Returns 0 with the current token at '|' or the end, or -1 with the error
 * reported.
 */
int
cmd_makemv_parse(struct sml_parser *p, struct sml_command *c)
{
	struct sml_makemv *mm = &c->sc_u.makemv;
	unsigned seen = 0;

	if (sml_next(p) == -1)
		return -1;
	for (;;) {
		if (sml_at_param(p)) {
			if (sml_at_key(p, "delim")) {
				if (makemv_split_param(p, &seen, 0,
				    &mm->mm_delim) == -1)
					return -1;
			} else if (sml_at_key(p, "tokenizer")) {
				if (makemv_split_param(p, &seen, 1,
				    &mm->mm_tokenizer) == -1)
					return -1;
			} else if (sml_at_key(p, "allowempty")) {
				if (sml_param_once(p, &seen, SML_SEEN_C,
				    "makemv") == -1 || sml_param_bool(p,
				    "allowempty", &mm->mm_allowempty) == -1)
					return -1;
			} else
				return sml_param_unknown(p, "makemv");
			if (sml_next(p) == -1)
				return -1;
		} else if (mm->mm_field == NULL && sml_at_name(p, 0)) {
			if (sml_name(p, 0, &mm->mm_field) == -1 ||
			    sml_next(p) == -1)
				return -1;
		} else
			break;
	}
	if (mm->mm_field == NULL)
		return sml_fail_expected(p, "a field name");
	if (mm->mm_delim == NULL && mm->mm_tokenizer == NULL &&
	    (mm->mm_delim = strdup(" ")) == NULL)
		return sml_fail_nomem(p);
	return sml_end(p);
}

/* Frees what cmd_makemv_parse() stored in c (not c itself). */
void
cmd_makemv_clear(struct sml_command *c)
{
	free(c->sc_u.makemv.mm_field);
	free(c->sc_u.makemv.mm_delim);
	free(c->sc_u.makemv.mm_tokenizer);
}

/* ---- Running ---- */

/* The state: the tokenizer's struct sml_rx (none with delim). */

/*
 * Appends s[0..n) to arr unless it is empty and empty values are left
 * out. Returns 0, or -1 out of memory.
 */
static int
makemv_add(const struct sml_makemv *mm, json_t *arr, const char *s, size_t n)
{
	if (n == 0 && !mm->mm_allowempty)
		return 0;
	return json_array_append_new(arr, json_stringn(s, n));
}

/* Splits str (len bytes) at each delim into arr. Returns 0 or -1. */
static int
makemv_delim(const struct sml_makemv *mm, json_t *arr, const char *str,
    size_t len)
{
	size_t dl = strlen(mm->mm_delim);
	const char *p = str, *end = str + len, *q;

	for (;;) {
		q = memmem(p, (size_t)(end - p), mm->mm_delim, dl);
		if (q == NULL)
			return makemv_add(mm, arr, p, (size_t)(end - p));
		if (makemv_add(mm, arr, p, (size_t)(q - p)) == -1)
			return -1;
		p = q + dl;
	}
}

/*
 * Puts into arr a value per match of the tokenizer in str (len bytes): the
 * first group (when it took no part, an empty value) or, for an expression
 * without groups, the whole match. Returns 0, or -1 with the run failed.
 */
static int
makemv_tokens(struct stage *s, json_t *arr, const char *str, size_t len)
{
	const struct sml_makemv *mm = &s->sg_cmd->sc_u.makemv;
	struct sml_rx *rx = s->sg_state;
	uint32_t groups = 0;
	PCRE2_SIZE *ov;
	size_t start = 0, g;
	char msg[256];
	int rc;

	if (sml_rx_subject(rx, str, len) == -1)
		return run_fail(s->sg_run, "out of memory");
	pcre2_pattern_info(rx->cr_code, PCRE2_INFO_CAPTURECOUNT, &groups);
	g = groups > 0 ? 1 : 0;
	ov = pcre2_get_ovector_pointer(rx->cr_md);
	while (start <= len) {
		rc = sml_rx_exec(rx, len, start, 0);
		if (rc == PCRE2_ERROR_NOMATCH)
			break;
		if (rc < 0) {
			sml_regex_error(&rx->cr_env, rc, "makemv", msg,
			    sizeof(msg));
			return run_fail(s->sg_run, "%s", msg);
		}
		/* A group that took no part is unset: an empty value, with
		 * no pointer made from the unset offset. */
		if (ov[2 * g] == PCRE2_UNSET)
			rc = makemv_add(mm, arr, rx->cr_subj, 0);
		else
			rc = makemv_add(mm, arr, rx->cr_subj + ov[2 * g],
			    ov[2 * g + 1] - ov[2 * g]);
		if (rc == -1)
			return run_fail(s->sg_run, "out of memory");
		if (ov[1] > ov[0])
			start = ov[1];
		else {
			/* An empty match: go on after the next character. */
			start = ov[1] + 1;
			while (start < len &&
			    ((unsigned char)str[start] & 0xc0) == 0x80)
				start++;
		}
	}
	return 0;
}

static int
makemv_push(struct stage *s, struct event *e)
{
	const struct sml_makemv *mm = &s->sg_cmd->sc_u.makemv;
	json_t *v = event_get(e, mm->mm_field), *arr;
	char *str;
	int rc;

	if (v == NULL || json_is_null(v) || json_is_array(v) ||
	    json_is_object(v))
		return stage_emit(s, e);
	if ((str = value_string(v)) == NULL || (arr = json_array()) == NULL) {
		free(str);
		return run_fail(s->sg_run, "out of memory");
	}
	if (mm->mm_tokenizer != NULL)
		rc = makemv_tokens(s, arr, str, strlen(str));
	else if ((rc = makemv_delim(mm, arr, str, strlen(str))) == -1)
		rc = run_fail(s->sg_run, "out of memory");
	free(str);
	if (rc == -1) {
		json_decref(arr);
		return -1;
	}
	if (field_put(e, mm->mm_field, arr) == -1)
		return run_fail(s->sg_run, "out of memory");
	return stage_emit(s, e);
}

static void
makemv_free(struct stage *s)
{
	sml_rx_delete(s->sg_state);
	s->sg_state = NULL;
}

/* Compiles the tokenizer, when there is one, once for the whole run. */
int
cmd_makemv_init(struct stage *s, const struct sml_command *c)
{
	const struct sml_makemv *mm = &c->sc_u.makemv;
	const struct sml_run_limits *lim = run_limits(s->sg_run);
	char err[256];

	if (mm->mm_field == NULL ||
	    (mm->mm_delim == NULL) == (mm->mm_tokenizer == NULL))
		return run_fail(s->sg_run, "makemv: no field, or not one of "
		    "delim and tokenizer");
	s->sg_push = makemv_push;
	if (mm->mm_tokenizer == NULL)
		return 0;
	s->sg_state = sml_rx_new(mm->mm_tokenizer, lim->rl_regex_match_limit,
	    lim->rl_regex_depth_limit, err, sizeof(err));
	if (s->sg_state == NULL)
		return run_fail(s->sg_run, "makemv: %s", err);
	s->sg_free = makemv_free;
	return 0;
}
