/*
 * cmd/makeresults.c - makeresults: makes count events (default 1) holding
 * @timestamp = the task's now (the first command of a query).
 *
 *	makeresults [count=<n>] [shownumbers=<bool>]
 *
 * With shownumbers=true, a field number from 1 to count. count is at most
 * limits.max_qsize, the cap source has, and never above SML_MAX_COUNT.
 */
#include <stdint.h>
#include <stdlib.h>

#include "sml/parse.h"
#include "sml/stage.h"

/* ---- Parsing ---- */

/* Largest makeresults count. */
#define SML_MAX_COUNT			1000000000

/*
 * Returns the largest makeresults count: SML_MAX_COUNT, or limits.max_qsize
 * when that is lower (makeresults makes events as source reads them, under
 * the same cap).
 */
static int64_t
makeresults_max(const struct sml_parser *p)
{
	return p->sp_max_qsize < SML_MAX_COUNT ? p->sp_max_qsize :
	    SML_MAX_COUNT;
}

/*
 * Parses makeresults [count=n] [shownumbers=bool] into c->sc_u.makeresults.
 * Returns 0 with the current token at '|' or the end, or -1 with the error
 * reported.
 */
int
cmd_makeresults_parse(struct sml_parser *p, struct sml_command *c)
{
	struct sml_makeresults *mr = &c->sc_u.makeresults;
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
			if (sml_int(v, 1, makeresults_max(p),
			    &mr->sm_count) == -1) {
				free(v);
				return sml_fail(p, p->sp_tok.lt_off,
				    "count must be an integer between 1 and "
				    "%lld%s", (long long)makeresults_max(p),
				    p->sp_max_qsize < SML_MAX_COUNT ?
				    " (limits.max_qsize)" : "");
			}
			free(v);
		} else if (lex_is_word(p->sp_text, &key, "shownumbers")) {
			if (seen_shownumbers++)
				return sml_fail(p, key.lt_off, "duplicate "
				    "parameter 'shownumbers' for makeresults");
			if (sml_param_bool(p, "shownumbers",
			    &mr->sm_shownumbers) == -1)
				return -1;
		} else
			return sml_fail(p, key.lt_off,
			    "unknown parameter '%s' for makeresults",
			    sml_quote(p, &key, q));
		if (sml_next(p) == -1)
			return -1;
	}
	return 0;
}

/* ---- Running ---- */

/*
 * Runs makeresults c: feeds count events with @timestamp = now (and
 * number) to the pipeline. Returns SML_RUN_DONE, SML_RUN_STOPPED when asked
 * to stop, or SML_RUN_ERROR with the run failed.
 */
enum sml_run_result
cmd_makeresults_run(struct run *r, const struct sml_command *c)
{
	const struct sml_makeresults *mr = &c->sc_u.makeresults;
	struct buf b = BUF_INIT;
	struct event ev;
	char when[32];
	int rc;

	time_format_iso(run_ctx(r)->sx_now, when);
	for (int64_t i = 1; i <= mr->sm_count; i++) {
		buf_reset(&b);
		if ((mr->sm_shownumbers ?
		    buf_printf(&b, "{\"@timestamp\":\"%s\",\"number\":%lld}",
		    when, (long long)i) :
		    buf_printf(&b, "{\"@timestamp\":\"%s\"}", when)) == -1) {
			buf_free(&b);
			run_fail(r, "out of memory");
			return SML_RUN_ERROR;
		}
		run_set_progress(r, (double)i / (double)mr->sm_count);
		event_init(&ev, b.b_data, b.b_len, run_ctx(r)->sx_now, run_next_seq(r));
		rc = run_feed(r, &ev);
		event_clear(&ev);
		if (rc < 0) {
			buf_free(&b);
			return SML_RUN_ERROR;
		}
		if (rc > 0 || run_poll_now(r)) {
			buf_free(&b);
			return run_stopped(r) ? SML_RUN_STOPPED : SML_RUN_DONE;
		}
	}
	buf_free(&b);
	return SML_RUN_DONE;
}
