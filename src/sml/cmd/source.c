/*
 * cmd/source.c - source: reads events from the event store, newest first,
 * inside the task's time range (the first command of a query).
 *
 *	source <index-pattern>[,<index-pattern>...] [qsize=<n>]
 *	    [earliest=<time>] [latest=<time>] [<condition>]
 *
 * Patterns take '*' wildcards and expand only to the indices the task's
 * owner may read (sx_may_read). The inline condition is that of search,
 * checked on the raw text first. The one command that reads the store,
 * so the one that includes store/events.h.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/datemath.h"
#include "sml/parse.h"
#include "sml/stage.h"
#include "store/events.h"

/* ---- Parsing ---- */

/* Returns 1 when the current token can be an index pattern. */
static int
source_at_pattern(struct sml_parser *p)
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
 * Parses a date math parameter of source (earliest/latest) into *dst, which
 * then owns a copy of its text. Returns 0, or -1 with the error reported.
 */
static int
source_param_time(struct sml_parser *p, const char *key, char **dst)
{
	char why[128];
	int64_t tmp;

	if (*dst != NULL)
		return sml_fail(p, p->sp_tok.lt_off,
		    "duplicate parameter '%s' for source", key);
	if ((*dst = sml_param_value(p, key)) == NULL)
		return -1;
	if (datemath_parse(*dst, 0, &tmp, why, sizeof(why)) == -1)
		return sml_fail(p, p->sp_tok.lt_off, "%s: %s", key, why);
	return 0;
}

/*
 * Parses source <pattern>[,<pattern>...] [qsize=n] [earliest=t] [latest=t]
 * [<condition>] into c->sc_u.source. Everything is read as values, so that the
 * condition's terms may hold any character but the separators. Returns 0 with
 * the current token at '|' or the end, or -1 with the error reported.
 */
int
cmd_source_parse(struct sml_parser *p, struct sml_command *c)
{
	struct sml_source *src = &c->sc_u.source;
	char *v;
	int more;

	src->ss_qsize = -1;
	if (sml_next_value(p) == -1)
		return -1;
	for (;;) {
		if (!source_at_pattern(p))
			return sml_fail_expected(p, "an index pattern");
		if ((v = sml_copy(p)) == NULL || sml_push_str(p,
		    &src->ss_patterns, &src->ss_npatterns, v) == -1)
			return -1;
		if (*v == '\0')
			return sml_fail(p, p->sp_tok.lt_off,
			    "empty index pattern");
		if ((more = sml_next_item_value(p)) == -1)
			return -1;
		if (!more)
			break;
	}
	while (!sml_at_end(p) && sml_at_param(p)) {
		struct lex_token key = p->sp_tok;

		if (sml_at_key(p, "qsize")) {
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
		} else if (sml_at_key(p, "earliest")) {
			if (source_param_time(p, "earliest",
			    &src->ss_earliest) == -1)
				return -1;
		} else if (sml_at_key(p, "latest")) {
			if (source_param_time(p, "latest",
			    &src->ss_latest) == -1)
				return -1;
		} else
			break;	/* field=value: the inline condition */
		if (sml_next_value(p) == -1)
			return -1;
	}
	if (sml_at_end(p))
		return 0;
	if (!sml_at_term(p))
		return sml_fail_unexpected(p);
	p->sp_in_source = 1;
	src->ss_cond = sml_cond(p);
	p->sp_in_source = 0;
	if (src->ss_cond == NULL)
		return -1;
	return sml_end(p);
}

/* Frees what cmd_source_parse() stored in c (not c itself). */
void
cmd_source_clear(struct sml_command *c)
{
	sml_strs_free(c->sc_u.source.ss_patterns, c->sc_u.source.ss_npatterns);
	free(c->sc_u.source.ss_earliest);
	free(c->sc_u.source.ss_latest);
	sml_cond_free(c->sc_u.source.ss_cond);
}

/* ---- Running ---- */

/* Collects matched index names, without duplicates. */
struct index_list {
	const char *il_cur;	/* the pattern being matched */
	const char **il_pattern;	/* the pattern of each name */
	char **il_names;
	size_t il_n;
	size_t il_cap;
	uint64_t il_events;
	const struct sml_ctx *il_ctx;	/* for sx_may_read, or NULL */
	int il_hidden;		/* matches the owner may not read */
};

static int
index_list_add(void *arg, const char *name, uint64_t count)
{
	struct index_list *il = arg;
	char **p;

	if (il->il_ctx != NULL && il->il_ctx->sx_may_read != NULL &&
	    !il->il_ctx->sx_may_read(il->il_ctx->sx_arg, name)) {
		il->il_hidden++;
		return 0;
	}

	for (size_t i = 0; i < il->il_n; i++)
		if (strcmp(il->il_names[i], name) == 0)
			return 0;
	if (il->il_n == il->il_cap) {
		size_t cap = il->il_cap ? il->il_cap * 2 : 8;
		const char **pp;

		if ((p = realloc(il->il_names, cap * sizeof(*p))) == NULL)
			return -1;
		il->il_names = p;
		if ((pp = realloc(il->il_pattern, cap * sizeof(*pp))) == NULL)
			return -1;
		il->il_pattern = pp;
		il->il_cap = cap;
	}
	if ((il->il_names[il->il_n] = strdup(name)) == NULL)
		return -1;
	il->il_pattern[il->il_n] = il->il_cur;
	il->il_n++;
	il->il_events += count;
	return 0;
}

static void
index_list_free(struct index_list *il)
{
	for (size_t i = 0; i < il->il_n; i++)
		free(il->il_names[i]);
	free(il->il_names);
	free(il->il_pattern);
}

/*
 * Evaluates a source's earliest/latest (text may be NULL: keep *ms).
 * Returns 0, or -1 with the reason in r.
 */
static int
source_time(struct run *r, const char *name, const char *text, int64_t *ms)
{
	char why[200];

	if (text == NULL)
		return 0;
	if (datemath_parse(text, run_ctx(r)->sx_now, ms, why, sizeof(why)) == 0)
		return 0;
	return run_fail(r, "%s '%s' is not a valid date: %s", name, text,
	    why);
}

/*
 * Returns 1 when the event's field (JSON text json) holds a time in
 * [start, end), setting *t; else 0.
 */
static int
event_in_range(const char *json, size_t len, const char *field, int64_t start,
    int64_t end, int64_t *t)
{
	json_t *o = json_loadb(json, len, 0, NULL);
	int in = 0;

	if (o && evtime_from_json(field_get(o, field), t) == 0)
		in = *t >= start && *t < end;
	json_decref(o);
	return in;
}

/*
 * Adds to the run's counts the events (and bytes) of blocks the scan
 * skipped by their summaries since the last call, and to cost; seen[2 * i]
 * and seen[2 * i + 1] hold what was counted of index i so far. Returns the
 * number of events added.
 */
static uint64_t
source_count_skipped(struct run *r, const struct evstore_scan *scan,
    struct sml_index_cost *cost, size_t n, uint64_t *seen)
{
	uint64_t ev, by, added = 0;

	for (size_t i = 0; seen != NULL && i < n; i++) {
		evstore_scan_skipped(scan, i, &ev, &by);
		if (ev == seen[2 * i])
			continue;
		run_count_skipped(r, ev - seen[2 * i], by - seen[2 * i + 1]);
		cost[i].ic_scanned += ev - seen[2 * i];
		added += ev - seen[2 * i];
		seen[2 * i] = ev;
		seen[2 * i + 1] = by;
	}
	return added;
}

/*
 * The condition blocks may be skipped by: the source's inline one, else
 * that of a search right after the source (whose events a skipped block
 * would only have fed to that search to be dropped), when the source has
 * no qsize (events of a skipped block count at once, which qsize= would
 * see). Sets *fed when it is the search's: skipped events then count as
 * fed to it, so every count (the cost's events in and out) stays as
 * without skipping.
 */
static struct cond *
source_skip_cond(const struct run *r, const struct sml_source *src,
    int *fed)
{
	struct cond *c;

	*fed = 0;
	if (src->ss_cond)
		return src->ss_cond;
	if (src->ss_qsize <= 0 && (c = run_first_search(r)) != NULL) {
		*fed = 1;
		return c;
	}
	return NULL;
}

/*
 * Runs source c: reads the matching indices newest first inside the range,
 * up to qsize events, and feeds them to the pipeline. Returns SML_RUN_DONE,
 * SML_RUN_STOPPED when asked to stop, or SML_RUN_ERROR with the run failed.
 */
enum sml_run_result
cmd_source_run(struct run *r, const struct sml_command *c)
{
	const struct sml_source *src = &c->sc_u.source;
	const struct sml_ctx *ctx = run_ctx(r);
	struct index_list il = {0};
	struct evstore_scan *scan = NULL;
	int64_t start = ctx->sx_range_start, end = ctx->sx_range_end, t;
	uint64_t emitted = 0, qsize;
	enum sml_run_result res = SML_RUN_ERROR;
	const char *json;
	size_t len, ino;
	int rc, by_field = 0;
	struct event ev;
	struct sml_index_cost *cost = NULL;	/* per matched index */
	char why[512];
	double progress;
	uint64_t *skipped = NULL;	/* see source_count_skipped */
	struct cond *skip_cond;
	int skip_fed;

	if (source_time(r, "earliest", src->ss_earliest, &start) == -1 ||
	    source_time(r, "latest", src->ss_latest, &end) == -1)
		return SML_RUN_ERROR;
	/* No qsize: the configured limits.max_qsize is the cap. */
	qsize = src->ss_qsize > 0 ? (uint64_t)src->ss_qsize :
	    run_limits(r)->rl_max_qsize > 0 ?
	    (uint64_t)run_limits(r)->rl_max_qsize :
	    UINT64_MAX;
	for (size_t i = 0; i < src->ss_npatterns; i++) {
		size_t before = il.il_n;
		int n;

		il.il_cur = src->ss_patterns[i];
		il.il_ctx = ctx;
		il.il_hidden = 0;
		n = ctx->sx_events ? evstore_match(ctx->sx_events,
		    src->ss_patterns[i], index_list_add, &il) : 0;
		if (n > 0)	/* forbidden indices are not there at all */
			n -= il.il_hidden;

		if (n < 0) {
			run_fail(r, "cannot list the indices of the event "
			    "store");
			goto out;
		}
		if (n == 0)
			run_log(r, SML_LOG_WARN, "source %s: no index matched",
			    src->ss_patterns[i]);
		else
			run_log(r, SML_LOG_INFO, "source %s: %d %s matched%s",
			    src->ss_patterns[i], n,
			    n == 1 ? "index" : "indices",
			    il.il_n - before < (size_t)n ?
			    " (some already matched)" : "");
	}
	if (il.il_n == 0 || start >= end) {
		res = SML_RUN_DONE;
		goto out;
	}
	/* An index keyed by another field than the task's dtFieldName is
	 * read whole, and each event's dtFieldName decides. */
	for (size_t i = 0; i < il.il_n && !by_field; i++) {
		char field[512];

		if (evstore_index_time_field(ctx->sx_events, il.il_names[i],
		    field, sizeof(field)) == 0 &&
		    strcmp(field, ctx->sx_dt_field) != 0) {
			by_field = 1;
			run_log(r, SML_LOG_INFO, "index %s is keyed by %s, not "
			    "%s: reading it whole", il.il_names[i], field,
			    ctx->sx_dt_field);
		}
	}
	/* One cost entry per matched index, under the first pattern that
	 * matched it. */
	if ((cost = run_index_costs(r, il.il_n)) == NULL) {
		run_fail(r, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < il.il_n; i++) {
		cost[i].ic_pattern = strdup(il.il_pattern[i]);
		cost[i].ic_index = strdup(il.il_names[i]);
		cost[i].ic_scanned = 0;
	}
	if (evstore_scan_open(ctx->sx_events, (const char *const *)il.il_names,
	    il.il_n, by_field ? INT64_MIN : start, by_field ? INT64_MAX : end,
	    &scan, why, sizeof(why)) == -1) {
		run_fail(r, "%s", why);
		goto out;
	}
	/* Blocks whose summaries rule out the condition are not read; their
	 * events count as scanned (they were, by their summary). Not for an
	 * index read whole: its events' own time field decides. */
	skip_cond = source_skip_cond(r, src, &skip_fed);
	if (skip_cond && !by_field &&
	    (skipped = calloc(2 * il.il_n, sizeof(*skipped))) != NULL)
		evstore_scan_filter(scan, cond_block_maybe, skip_cond);
	while (emitted < qsize) {
		rc = evstore_scan_next(scan, &json, &len, &t, &ino);
		if (skipped != NULL) {
			uint64_t d = source_count_skipped(r, scan, cost,
			    il.il_n, skipped);

			if (skip_fed && d > 0) {
				run_fed_skipped(r, d);
				emitted += d;
				if (emitted >= qsize)
					break;	/* as if they were read */
			}
		}
		if (rc == 0)
			break;
		if (rc < 0) {
			run_fail(r, "reading the event store failed");
			goto out;
		}
		run_count_read(r, len);
		if (ino < il.il_n)
			cost[ino].ic_scanned++;
		if (by_field && !event_in_range(json, len, ctx->sx_dt_field,
		    start, end, &t)) {
			if (run_poll_now(r)) {
				res = SML_RUN_STOPPED;
				goto out;
			}
			continue;
		}
		emitted++;
		progress = (double)(end - t) / (double)(end - start);
		if (progress < 0.0 || progress > 1.0)
			progress = progress < 0.0 ? 0.0 : 1.0;
		if (qsize != UINT64_MAX &&
		    (double)emitted / (double)qsize > progress)
			progress = (double)emitted / (double)qsize;
		run_set_progress(r, progress);
		/* The inline condition: cheap text check first. */
		if (src->ss_cond && !cond_maybe(src->ss_cond, json, len)) {
			emitted--;
			if (run_poll_now(r)) {
				res = SML_RUN_STOPPED;
				goto out;
			}
			continue;
		}
		event_init(&ev, json, len, t, run_next_seq(r));
		if (ino < il.il_n)
			ev.ev_index = cost[ino].ic_index;
		rc = 1;
		if (src->ss_cond && (rc = cond_match(src->ss_cond, &ev,
		    run_eval_ctx(r))) <= 0) {
			event_clear(&ev);
			emitted--;
			if (rc < 0) {
				run_eval_fail(r);
				goto out;
			}
			if (run_poll_now(r)) {
				res = SML_RUN_STOPPED;
				goto out;
			}
			continue;
		}
		rc = run_feed(r, &ev);
		event_clear(&ev);
		if (rc < 0)
			goto out;
		if (rc > 0 || run_poll_now(r)) {
			res = run_stopped(r) ? SML_RUN_STOPPED : SML_RUN_DONE;
			if (!run_stopped(r))
				run_log(r, SML_LOG_INFO, "source stopped early: "
				    "no more events needed");
			goto out;
		}
	}
	if (emitted >= qsize && qsize != UINT64_MAX)
		run_log(r, SML_LOG_WARN, "qsize=%llu reached; source stopped "
		    "early", (unsigned long long)qsize);
	res = SML_RUN_DONE;
out:
	if (scan)
		evstore_scan_close(scan);
	free(skipped);
	index_list_free(&il);
	return res;
}
