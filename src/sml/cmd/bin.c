/*
 * cmd/bin.c - bin: rounds a time (to ISO-8601) or a number down to the
 * start of its bucket (streaming).
 *
 *	bin [span=<n><unit>|<number>] <field> [AS <name>]
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sml/parse.h"
#include "sml/stage.h"

/* ---- Parsing ---- */

/*
 * Parses bin [span=<n><unit>|<number>] <field> [AS <name>] into c->sc_u.bin.
 * Returns 0 with the current token at '|' or the end, or -1 with the error
 * reported.
 */
int
cmd_bin_parse(struct sml_parser *p, struct sml_command *c)
{
	struct sml_bin *bn = &c->sc_u.bin;
	unsigned seen = 0;

	if (sml_next(p) == -1)
		return -1;
	for (;;) {
		if (sml_at_param(p)) {
			if (sml_param_span_only(p, "bin", &seen,
			    &bn->bn_span_ms, &bn->bn_span_months,
			    &bn->bn_span_num) == -1)
				return -1;
		} else if (bn->bn_field == NULL && sml_at_name(p, 0)) {
			if (sml_name(p, 0, &bn->bn_field) == -1 ||
			    sml_next(p) == -1)
				return -1;
			if (p->sp_tok.lt_kind != LEX_AS)
				continue;
			if (sml_next(p) == -1 ||
			    sml_name(p, 0, &bn->bn_as) == -1 ||
			    sml_next(p) == -1)
				return -1;
		} else
			break;
	}
	if (bn->bn_field == NULL)
		return sml_fail_expected(p, "a field name");
	return sml_end(p);
}

/* Frees what cmd_bin_parse() stored in c (not c itself). */
void
cmd_bin_clear(struct sml_command *c)
{
	free(c->sc_u.bin.bn_field);
	free(c->sc_u.bin.bn_as);
}

/* ---- Running ---- */

/*
 * Results: with a time span (s m h d w M y) the value is read as a time (an
 * ISO-8601 string or epoch seconds/milliseconds, as the time field) and
 * becomes the bucket start as an ISO-8601 UTC string with milliseconds
 * ("2026-01-01T02:00:00.000Z"), like timechart's _time. With a numeric span
 * the value is a number (or numeric string) rounded down to a multiple of
 * the span: an integer when the value and the span are integers, else a
 * real. Without span a number is rounded down to an integer (span 1) and a
 * time to the span timechart would choose for the task's range. A value
 * that is not what the span needs is left as it is (and AS sets nothing).
 */
struct bin_state {
	struct timespan bs_auto;	/* the span for times without span= */
	int bs_decimals;		/* decimals of a numeric span */
};

static void
bin_free(struct stage *s)
{
	free(s->sg_state);
	s->sg_state = NULL;
}

/* Floor division of integers, toward minus infinity. */
static int64_t
bin_floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* The bucket of v, a new value, or NULL when v does not fit the span. */
static json_t *
bin_value(struct stage *s, const json_t *v)
{
	const struct sml_bin *bn = &s->sg_cmd->sc_u.bin;
	struct bin_state *bs = s->sg_state;
	struct timespan ts = {0};
	double d = 0, span = bn->bn_span_num, p, q, r, sp;
	int64_t i = 0, t;
	char iso[32];
	int k = 0;

	if (json_is_number(v) || json_is_string(v)) {
		if (json_is_integer(v)) {
			k = 1;
			i = json_integer_value(v);
			d = (double)i;
		} else if (json_is_real(v)) {
			k = 2;
			d = json_real_value(v);
		} else
			k = value_parse_number(json_string_value(v),
			    json_string_length(v), &i, &d);
	}
	if (bn->bn_span_ms > 0 || bn->bn_span_months > 0 ||
	    (span <= 0 && k == 0)) {
		if (evtime_from_json(v, &t) == -1)
			return NULL;
		if (bn->bn_span_ms > 0 || bn->bn_span_months > 0) {
			ts.ts_ms = bn->bn_span_ms;
			ts.ts_months = bn->bn_span_months;
		} else
			ts = bs->bs_auto;
		return json_string(time_format_iso(timespan_floor(&ts, t),
		    iso));
	}
	if (k == 0)
		return NULL;
	if (span <= 0)
		span = 1;
	if (k == 1 && span == floor(span) && span <= 9007199254740992.0)
		return json_integer(bin_floor_div(i, (int64_t)span) *
		    (int64_t)span);
	/*
	 * In decimal steps, so that binary fractions do not put a value on
	 * a bucket boundary below it (0.3 / 0.1 is 2.9999999999999996).
	 */
	p = bs->bs_decimals > 0 ? pow(10, bs->bs_decimals) : 1;
	q = d * p;
	sp = round(span * p);
	if (bs->bs_decimals == 0)
		sp = span;
	if (fabs(q - round(q)) < 1e-9 * fmax(1, fabs(q)))
		q = round(q);
	q /= sp;
	if (fabs(q - round(q)) < 1e-9 * fmax(1, fabs(q)))
		q = round(q);
	r = floor(q) * sp / p;
	return json_real(r);
}

static int
bin_push(struct stage *s, struct event *e)
{
	const struct sml_bin *bn = &s->sg_cmd->sc_u.bin;
	json_t *v = event_get(e, bn->bn_field), *nv;
	int rc;

	if (v == NULL || json_is_null(v) || json_is_array(v) ||
	    json_is_object(v))
		return stage_emit(s, e);
	if ((nv = bin_value(s, v)) == NULL)
		return stage_emit(s, e);
	rc = bn->bn_as ? event_set(e, bn->bn_as, nv) :
	    field_put(e, bn->bn_field, nv);
	if (rc == -1)
		return run_fail(s->sg_run, "out of memory");
	return stage_emit(s, e);
}

int
cmd_bin_init(struct stage *s, const struct sml_command *c)
{
	const struct sml_bin *bn = &c->sc_u.bin;
	const struct sml_ctx *ctx = run_ctx(s->sg_run);
	struct bin_state *bs;
	char txt[64], *dot;

	if (bn->bn_field == NULL)
		return run_fail(s->sg_run, "bin: no field");
	if ((bs = calloc(1, sizeof(*bs))) == NULL)
		return run_fail(s->sg_run, "out of memory");
	s->sg_state = bs;
	s->sg_push = bin_push;
	s->sg_free = bin_free;
	timespan_auto(ctx->sx_range_start, ctx->sx_range_end,
	    run_limits(s->sg_run)->rl_timeline_buckets, &bs->bs_auto);
	if (bn->bn_span_num > 0 && bn->bn_span_num != floor(bn->bn_span_num)) {
		value_fmt_real(bn->bn_span_num, txt, sizeof(txt));
		if (strpbrk(txt, "eE") == NULL && (dot = strchr(txt, '.')))
			bs->bs_decimals = (int)strlen(dot + 1);
	}
	return 0;
}
