/* exec.c - the streaming executor: runs a parsed query against the store. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/datemath.h"
#include "common/evtime.h"
#include "common/timeutil.h"
#include "sml/sml.h"
#include "store/events.h"

#define POLL_EVENTS 1000	/* poll at least every this many events */
#define POLL_MS 50		/* ... and every this many milliseconds */

/* State of one run, shared by the commands of the pipeline. */
struct run {
	struct sml_ctx *r_ctx;
	uint64_t r_scanned;	/* events read from the store */
	uint64_t r_since_poll;
	int64_t r_last_poll;	/* monotonic ms */
	double r_progress;
	int r_stop;		/* a callback asked to stop */
	char *r_err;
	size_t r_errlen;
};

/* Calls the caller's poll when due. Returns nonzero when asked to stop. */
static int
run_poll(struct run *r, int force)
{
	int64_t now;

	if (!force && ++r->r_since_poll < 64)
		return 0;
	now = time_mono_ms();
	if (!force && r->r_since_poll < POLL_EVENTS &&
	    now - r->r_last_poll < POLL_MS)
		return 0;
	r->r_since_poll = 0;
	r->r_last_poll = now;
	if (r->r_ctx->sx_poll && r->r_ctx->sx_poll(r->r_ctx->sx_arg,
	    r->r_scanned, r->r_progress) != 0)
		r->r_stop = 1;
	return r->r_stop;
}

/* Passes one result to the caller. Returns nonzero to stop. */
static int
run_emit(struct run *r, const char *json, size_t len)
{
	if (r->r_ctx->sx_emit(r->r_ctx->sx_arg, json, len) != 0)
		r->r_stop = 1;
	return r->r_stop;
}

static void
run_log(struct run *r, enum sml_log_level lvl, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
run_log(struct run *r, enum sml_log_level lvl, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (r->r_ctx->sx_log == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	r->r_ctx->sx_log(r->r_ctx->sx_arg, lvl, msg);
}

/* Collects matched index names, without duplicates. */
struct index_list {
	char **il_names;
	size_t il_n;
	size_t il_cap;
	uint64_t il_events;
};

static int
index_list_add(void *arg, const char *name, uint64_t count)
{
	struct index_list *il = arg;
	char **p;

	for (size_t i = 0; i < il->il_n; i++)
		if (strcmp(il->il_names[i], name) == 0)
			return 0;
	if (il->il_n == il->il_cap) {
		size_t cap = il->il_cap ? il->il_cap * 2 : 8;
		if ((p = realloc(il->il_names, cap * sizeof(*p))) == NULL)
			return -1;
		il->il_names = p;
		il->il_cap = cap;
	}
	if ((il->il_names[il->il_n] = strdup(name)) == NULL)
		return -1;
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
	if (datemath_parse(text, r->r_ctx->sx_now, ms, why, sizeof(why)) == 0)
		return 0;
	snprintf(r->r_err, r->r_errlen, "%s '%s' is not a valid date: %s",
	    name, text, why);
	return -1;
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
 * source: reads the matching indices newest first inside the range, up to
 * qsize events. Returns SML_RUN_* .
 */
static enum sml_run_result
exec_source(struct run *r, const struct sml_source *src)
{
	struct sml_ctx *ctx = r->r_ctx;
	struct index_list il = {0};
	struct evstore_scan *scan = NULL;
	int64_t start = ctx->sx_range_start, end = ctx->sx_range_end, t;
	uint64_t emitted = 0, qsize;
	enum sml_run_result res = SML_RUN_ERROR;
	const char *json;
	size_t len, ino;
	int rc, by_field = 0;

	if (source_time(r, "earliest", src->ss_earliest, &start) == -1 ||
	    source_time(r, "latest", src->ss_latest, &end) == -1)
		return SML_RUN_ERROR;
	qsize = src->ss_qsize > 0 ? (uint64_t)src->ss_qsize : UINT64_MAX;
	for (size_t i = 0; i < src->ss_npatterns; i++) {
		size_t before = il.il_n;
		int n = ctx->sx_events ? evstore_match(ctx->sx_events,
		    src->ss_patterns[i], index_list_add, &il) : 0;

		if (n < 0) {
			snprintf(r->r_err, r->r_errlen,
			    "cannot list the indices of the event store");
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
	if (evstore_scan_open(ctx->sx_events, (const char *const *)il.il_names,
	    il.il_n, by_field ? INT64_MIN : start, by_field ? INT64_MAX : end,
	    &scan, r->r_err, r->r_errlen) == -1)
		goto out;
	while (emitted < qsize) {
		rc = evstore_scan_next(scan, &json, &len, &t, &ino);
		if (rc == 0)
			break;
		if (rc < 0) {
			snprintf(r->r_err, r->r_errlen,
			    "reading the event store failed");
			goto out;
		}
		r->r_scanned++;
		if (by_field && !event_in_range(json, len, ctx->sx_dt_field,
		    start, end, &t)) {
			if (run_poll(r, 0)) {
				res = SML_RUN_STOPPED;
				goto out;
			}
			continue;
		}
		emitted++;
		r->r_progress = (double)(end - t) / (double)(end - start);
		if (r->r_progress < 0.0 || r->r_progress > 1.0)
			r->r_progress = r->r_progress < 0.0 ? 0.0 : 1.0;
		if (qsize != UINT64_MAX &&
		    (double)emitted / (double)qsize > r->r_progress)
			r->r_progress = (double)emitted / (double)qsize;
		if (run_emit(r, json, len) || run_poll(r, 0)) {
			res = SML_RUN_STOPPED;
			goto out;
		}
	}
	if (emitted == qsize && qsize != UINT64_MAX)
		run_log(r, SML_LOG_WARN, "qsize=%llu reached; source stopped "
		    "early", (unsigned long long)qsize);
	res = SML_RUN_DONE;
out:
	if (scan)
		evstore_scan_close(scan);
	index_list_free(&il);
	return res;
}

/* makeresults: count events with @timestamp = now (and number). */
static enum sml_run_result
exec_makeresults(struct run *r, const struct sml_makeresults *mr)
{
	struct buf b = BUF_INIT;
	char when[32];

	time_format_iso(r->r_ctx->sx_now, when);
	for (int64_t i = 1; i <= mr->sm_count; i++) {
		buf_reset(&b);
		if ((mr->sm_shownumbers ?
		    buf_printf(&b, "{\"@timestamp\":\"%s\",\"number\":%lld}",
		    when, (long long)i) :
		    buf_printf(&b, "{\"@timestamp\":\"%s\"}", when)) == -1) {
			snprintf(r->r_err, r->r_errlen, "out of memory");
			buf_free(&b);
			return SML_RUN_ERROR;
		}
		r->r_progress = (double)i / (double)mr->sm_count;
		if (run_emit(r, b.b_data, b.b_len) || run_poll(r, 0)) {
			buf_free(&b);
			return SML_RUN_STOPPED;
		}
	}
	buf_free(&b);
	return SML_RUN_DONE;
}

enum sml_run_result
sml_run(const struct sml_query *q, struct sml_ctx *ctx, uint64_t *scanned,
    char *err, size_t errlen)
{
	struct run r = {ctx, 0, 0, time_mono_ms(), 0.0, 0, err, errlen};
	enum sml_run_result res;

	*err = '\0';
	if (q->sq_ncmds == 0) {
		snprintf(err, errlen, "empty query");
		return SML_RUN_ERROR;
	}
	switch (q->sq_cmds[0].sc_kind) {
	case SML_CMD_SOURCE:
		res = exec_source(&r, &q->sq_cmds[0].sc_u.source);
		break;
	case SML_CMD_MAKERESULTS:
		res = exec_makeresults(&r, &q->sq_cmds[0].sc_u.makeresults);
		break;
	default:
		snprintf(err, errlen, "command '%s' cannot start a query",
		    q->sq_cmds[0].sc_name);
		res = SML_RUN_ERROR;
		break;
	}
	if (res == SML_RUN_DONE && run_poll(&r, 1))
		res = SML_RUN_STOPPED;
	*scanned = r.r_scanned;
	return res;
}
