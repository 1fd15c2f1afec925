/* exec.c - the streaming executor: builds the pipeline and feeds it. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/datemath.h"
#include "common/evtime.h"
#include "common/timeutil.h"
#include "sml/stage.h"
#include "sml/sml.h"
#include "store/events.h"

#define POLL_EVENTS 1000	/* poll at least every this many events */
#define POLL_MS 50		/* ... and every this many milliseconds */

static const struct sml_run_limits run_default_limits = {
	10000, 100, 100000, 512u << 20, 200, SML_DEFAULT_MAX_QSIZE, 0, 0
};

/* State of one run, shared by the commands of the pipeline. */
struct run {
	struct sml_ctx *r_ctx;
	const struct sml_run_limits *r_limits;
	struct eval_ctx r_eval;
	struct stage *r_stages;		/* r_nstages, the first fed by source */
	size_t r_nstages;
	size_t r_tap;		/* events into this stage (r_nstages: the
				 * results) are the search part's matches */
	struct stage *r_cur;	/* the stage running now (for run_mem) */
	uint64_t r_bytes;	/* bytes of events read from the store */
	uint64_t r_fed;		/* events the source passed on */
	struct sml_index_cost *r_idx;	/* events scanned per index */
	size_t r_nidx;
	uint64_t r_scanned;	/* events read from the store */
	uint64_t r_seq;		/* events created, for arrival order */
	uint64_t r_since_poll;
	int64_t r_last_poll;	/* monotonic ms */
	double r_progress;
	int64_t r_mem;		/* bytes held by blocking commands */
	int r_stop;		/* a callback asked to stop */
	int r_failed;		/* run_fail was called */
	char *r_err;
	size_t r_errlen;
};

/* Calls the caller's poll when due. Returns nonzero when asked to stop. */
static int
run_poll(struct run *r, int force)
{
	int64_t now;

	if (!force && ++r->r_since_poll < 64)
		return r->r_stop;
	now = time_mono_ms();
	if (!force && r->r_since_poll < POLL_EVENTS &&
	    now - r->r_last_poll < POLL_MS)
		return r->r_stop;
	r->r_since_poll = 0;
	r->r_last_poll = now;
	if (r->r_ctx->sx_poll && r->r_ctx->sx_poll(r->r_ctx->sx_arg,
	    r->r_scanned, r->r_progress) != 0)
		r->r_stop = 1;
	return r->r_stop;
}

int
run_poll_now(struct run *r)
{
	return run_poll(r, 0);
}

int
run_fail(struct run *r, const char *fmt, ...)
{
	va_list ap;

	if (r->r_failed)
		return -1;	/* keep the first reason */
	va_start(ap, fmt);
	vsnprintf(r->r_err, r->r_errlen, fmt, ap);
	va_end(ap);
	r->r_failed = 1;
	return -1;
}

int
run_eval_fail(struct run *r)
{
	char msg[512];

	/* The eval context writes into the run's own error buffer: copy the
	 * reason out before run_fail writes it back. */
	snprintf(msg, sizeof(msg), "%s", r->r_eval.ec_err != NULL &&
	    r->r_eval.ec_err[0] != '\0' ? r->r_eval.ec_err : "out of memory");
	return run_fail(r, "%s", msg);
}

void
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

const struct sml_ctx *
run_ctx(const struct run *r)
{
	return r->r_ctx;
}

const struct sml_run_limits *
run_limits(const struct run *r)
{
	return r->r_limits;
}

struct eval_ctx *
run_eval_ctx(struct run *r)
{
	return &r->r_eval;
}

int
run_mem(struct run *r, int64_t bytes)
{
	r->r_mem += bytes;
	if (r->r_cur != NULL) {
		r->r_cur->sg_mem += bytes;
		if (r->r_cur->sg_mem > r->r_cur->sg_mem_peak)
			r->r_cur->sg_mem_peak = r->r_cur->sg_mem;
	}
	if (bytes > 0 && (uint64_t)r->r_mem > r->r_limits->rl_max_memory)
		return run_fail(r, "the task needs more memory than "
		    "limits.max_memory_bytes (%llu bytes)",
		    (unsigned long long)r->r_limits->rl_max_memory);
	return 0;
}

/* Hands one result to the caller. Returns sx_emit's (or sx_emit_index's). */
static int
run_emit(struct run *r, const struct event *e, const char *text, size_t len)
{
	if (r->r_ctx->sx_emit_index != NULL)
		return r->r_ctx->sx_emit_index(r->r_ctx->sx_arg, text, len,
		    e->ev_index);
	return r->r_ctx->sx_emit(r->r_ctx->sx_arg, text, len);
}

/*
 * Passes e to the stage after s, or to the caller's sx_emit when s is the
 * last. Returns 0, 1 (stop: no more input wanted), or -1 (error).
 */
int
stage_emit(struct stage *s, struct event *e)
{
	struct run *r = s->sg_run;
	struct stage *next = s->sg_next;
	const char *text;
	size_t len;
	int rc;
	int64_t t0;

	s->sg_out++;
	if (r->r_ctx->sx_match && r->r_stages &&
	    (size_t)(s - r->r_stages) + 1 == r->r_tap)
		r->r_ctx->sx_match(r->r_ctx->sx_arg, e->ev_time);
	if (next != NULL) {
		next->sg_in++;
		r->r_cur = next;
		t0 = time_mono_ns();
		rc = next->sg_push(next, e);
		next->sg_ns += time_mono_ns() - t0;
		r->r_cur = s;
		return rc;
	}
	if ((text = event_text(e, &len)) == NULL)
		return run_fail(r, "out of memory");
	if (run_emit(r, e, text, len) != 0) {
		r->r_stop = 1;
		return 1;
	}
	return 0;
}

/*
 * Emits a row that a blocking command's finish() built: obj (reference
 * stolen) as a new event of time and seq, then polls for cancellation.
 * ok 0: building obj ran out of memory, so it is dropped and the run
 * fails. Returns 0 to go on, 1 to stop (no more rows wanted, or the run
 * is cancelled), -1 on error.
 */
int
stage_emit_row(struct stage *s, json_t *obj, int ok, int64_t time,
    uint64_t seq)
{
	struct event ev;
	int rc;

	if (!ok) {
		json_decref(obj);
		return run_fail(s->sg_run, "out of memory");
	}
	event_init_obj(&ev, obj, time, seq);
	rc = stage_emit(s, &ev);
	event_clear(&ev);
	if (rc == 0 && run_poll_now(s->sg_run))
		return 1;
	return rc;
}

/* Feeds one event from a source command into the pipeline. Returns as
 * stage_emit. */
static int
run_feed(struct run *r, struct event *e)
{
	int rc;

	r->r_fed++;
	if (r->r_tap == 0 && r->r_ctx->sx_match)
		r->r_ctx->sx_match(r->r_ctx->sx_arg, e->ev_time);
	if (r->r_nstages == 0) {
		const char *text;
		size_t len;

		if ((text = event_text(e, &len)) == NULL)
			return run_fail(r, "out of memory");
		if (run_emit(r, e, text, len) != 0) {
			r->r_stop = 1;
			return 1;
		}
		return 0;
	}
	r->r_stages[0].sg_in++;
	r->r_cur = &r->r_stages[0];
	{
		int64_t t0 = time_mono_ns();
		rc = r->r_stages[0].sg_push(&r->r_stages[0], e);
		r->r_stages[0].sg_ns += time_mono_ns() - t0;
	}
	r->r_cur = NULL;
	return rc;
}

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
	if (datemath_parse(text, r->r_ctx->sx_now, ms, why, sizeof(why)) == 0)
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
	struct event ev;
	size_t idx_base = 0;

	if (source_time(r, "earliest", src->ss_earliest, &start) == -1 ||
	    source_time(r, "latest", src->ss_latest, &end) == -1)
		return SML_RUN_ERROR;
	/* No qsize: the configured limits.max_qsize is the cap. */
	qsize = src->ss_qsize > 0 ? (uint64_t)src->ss_qsize :
	    r->r_limits->rl_max_qsize > 0 ? (uint64_t)r->r_limits->rl_max_qsize :
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
	idx_base = r->r_nidx;
	if (il.il_n > 0) {
		struct sml_index_cost *p = realloc(r->r_idx,
		    (r->r_nidx + il.il_n) * sizeof(*p));

		if (p == NULL) {
			run_fail(r, "out of memory");
			goto out;
		}
		r->r_idx = p;
		for (size_t i = 0; i < il.il_n; i++) {
			p[r->r_nidx].ic_pattern = strdup(il.il_pattern[i]);
			p[r->r_nidx].ic_index = strdup(il.il_names[i]);
			p[r->r_nidx].ic_scanned = 0;
			r->r_nidx++;
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
			run_fail(r, "reading the event store failed");
			goto out;
		}
		r->r_scanned++;
		r->r_bytes += len;
		if (idx_base + ino < r->r_nidx)
			r->r_idx[idx_base + ino].ic_scanned++;
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
		/* The inline condition: cheap text check first. */
		if (src->ss_cond && !cond_maybe(src->ss_cond, json, len)) {
			emitted--;
			if (run_poll(r, 0)) {
				res = SML_RUN_STOPPED;
				goto out;
			}
			continue;
		}
		event_init(&ev, json, len, t, r->r_seq++);
		if (idx_base + ino < r->r_nidx)
			ev.ev_index = r->r_idx[idx_base + ino].ic_index;
		rc = 1;
		if (src->ss_cond && (rc = cond_match(src->ss_cond, &ev,
		    &r->r_eval)) <= 0) {
			event_clear(&ev);
			emitted--;
			if (rc < 0) {
				run_eval_fail(r);
				goto out;
			}
			if (run_poll(r, 0)) {
				res = SML_RUN_STOPPED;
				goto out;
			}
			continue;
		}
		rc = run_feed(r, &ev);
		event_clear(&ev);
		if (rc < 0)
			goto out;
		if (rc > 0 || run_poll(r, 0)) {
			res = r->r_stop ? SML_RUN_STOPPED : SML_RUN_DONE;
			if (!r->r_stop)
				run_log(r, SML_LOG_INFO, "source stopped early: "
				    "no more events needed");
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
	struct event ev;
	char when[32];
	int rc;

	time_format_iso(r->r_ctx->sx_now, when);
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
		r->r_progress = (double)i / (double)mr->sm_count;
		event_init(&ev, b.b_data, b.b_len, r->r_ctx->sx_now, r->r_seq++);
		rc = run_feed(r, &ev);
		event_clear(&ev);
		if (rc < 0) {
			buf_free(&b);
			return SML_RUN_ERROR;
		}
		if (rc > 0 || run_poll(r, 0)) {
			buf_free(&b);
			return r->r_stop ? SML_RUN_STOPPED : SML_RUN_DONE;
		}
	}
	buf_free(&b);
	return SML_RUN_DONE;
}

/*
 * Builds the stages of commands 1.. of q (command 0 is the source).
 * Returns 0, or -1 with the reason recorded.
 */
static int
run_build(struct run *r, const struct sml_query *q)
{
	size_t n = q->sq_ncmds > 0 ? q->sq_ncmds - 1 : 0;

	/* The search part ends at the first transforming command. */
	r->r_tap = n;
	for (size_t i = 0; i < n; i++) {
		enum sml_cmd_kind k = q->sq_cmds[i + 1].sc_kind;

		if (k == SML_CMD_STATS || k == SML_CMD_TOP ||
		    k == SML_CMD_RARE || k == SML_CMD_TIMECHART) {
			r->r_tap = i;
			break;
		}
	}
	if (n == 0)
		return 0;
	if ((r->r_stages = calloc(n, sizeof(*r->r_stages))) == NULL)
		return run_fail(r, "out of memory");
	for (size_t i = 0; i < n; i++) {
		struct stage *s = &r->r_stages[i];

		s->sg_cmd = &q->sq_cmds[i + 1];
		s->sg_run = r;
		s->sg_next = i + 1 < n ? &r->r_stages[i + 1] : NULL;
		r->r_nstages = i + 1;
		if (stage_init(s, s->sg_cmd) == -1)
			return -1;
	}
	return 0;
}

/*
 * Ends the input: calls each stage's finish in order, so a blocking
 * command emits into the ones after it. Returns 0, 1 (stopped) or -1.
 */
static int
run_finish(struct run *r)
{
	for (size_t i = 0; i < r->r_nstages; i++) {
		struct stage *s = &r->r_stages[i];
		int64_t t0 = time_mono_ns();
		int rc;

		r->r_cur = s;
		rc = s->sg_finish ? s->sg_finish(s) : 0;
		r->r_cur = NULL;
		s->sg_ns += time_mono_ns() - t0;
		if (rc < 0)
			return -1;
		if (r->r_stop)
			return 1;
	}
	return 0;
}

/*
 * Fills cost from the run's counters (before run_free). Stage times nest
 * (a push runs the pushes after it), so a command's own time is its time
 * less the next one's. Returns 0 or -1 out of memory.
 */
static int
run_cost(struct run *r, const struct sml_query *q, int64_t total_ns,
    struct sml_cost *cost)
{
	size_t n = r->r_nstages + 1;
	struct sml_cmd_cost *c;

	memset(cost, 0, sizeof(*cost));
	if ((c = calloc(n, sizeof(*c))) == NULL)
		return -1;
	for (size_t i = 0; i < n; i++) {
		const struct sml_command *cmd = &q->sq_cmds[i];
		int64_t mine, after = i < r->r_nstages ? r->r_stages[i].sg_ns : 0;

		c[i].cc_name = cmd->sc_name;
		c[i].cc_off = cmd->sc_off;
		c[i].cc_len = cmd->sc_len;
		if (i == 0) {
			mine = total_ns - after;
			c[i].cc_out = r->r_fed;
			c[i].cc_bytes = r->r_bytes;
		} else {
			struct stage *s = &r->r_stages[i - 1];

			mine = s->sg_ns - after;
			c[i].cc_in = s->sg_in;
			c[i].cc_out = s->sg_out;
			c[i].cc_peak_mem = (uint64_t)s->sg_mem_peak;
		}
		c[i].cc_ms = (double)(mine > 0 ? mine : 0) / 1e6;
	}
	cost->co_cmds = c;
	cost->co_ncmds = n;
	cost->co_indices = r->r_idx;
	cost->co_nindices = r->r_nidx;
	cost->co_total_ms = (double)total_ns / 1e6;
	r->r_idx = NULL;
	r->r_nidx = 0;
	return 0;
}

void
sml_cost_free(struct sml_cost *cost)
{
	for (size_t i = 0; i < cost->co_nindices; i++) {
		free(cost->co_indices[i].ic_pattern);
		free(cost->co_indices[i].ic_index);
	}
	free(cost->co_indices);
	free(cost->co_cmds);
	memset(cost, 0, sizeof(*cost));
}

static void
run_free(struct run *r)
{
	for (size_t i = 0; i < r->r_nstages; i++)
		if (r->r_stages[i].sg_free)
			r->r_stages[i].sg_free(&r->r_stages[i]);
	free(r->r_stages);
	r->r_stages = NULL;
	r->r_nstages = 0;
	for (size_t i = 0; i < r->r_nidx; i++) {
		free(r->r_idx[i].ic_pattern);
		free(r->r_idx[i].ic_index);
	}
	free(r->r_idx);
	r->r_idx = NULL;
	r->r_nidx = 0;
}

enum sml_run_result
sml_run(const struct sml_query *q, struct sml_ctx *ctx, uint64_t *scanned,
    char *err, size_t errlen)
{
	struct run r;
	enum sml_run_result res;
	int64_t t_start = time_mono_ns();

	memset(&r, 0, sizeof(r));
	r.r_ctx = ctx;
	r.r_limits = ctx->sx_limits ? ctx->sx_limits : &run_default_limits;
	r.r_last_poll = time_mono_ms();
	r.r_err = err;
	r.r_errlen = errlen;
	r.r_eval.ec_now = ctx->sx_now;
	r.r_eval.ec_err = err;
	r.r_eval.ec_errlen = errlen;
	r.r_eval.ec_rx_match_limit = r.r_limits->rl_regex_match_limit;
	r.r_eval.ec_rx_depth_limit = r.r_limits->rl_regex_depth_limit;
	*err = '\0';
	*scanned = 0;
	if (q->sq_ncmds == 0) {
		snprintf(err, errlen, "empty query");
		return SML_RUN_ERROR;
	}
	if (run_build(&r, q) == -1) {
		run_free(&r);
		return SML_RUN_ERROR;
	}
	if (ctx->sx_cost)
		memset(ctx->sx_cost, 0, sizeof(*ctx->sx_cost));
	switch (q->sq_cmds[0].sc_kind) {
	case SML_CMD_SOURCE:
		res = exec_source(&r, &q->sq_cmds[0].sc_u.source);
		break;
	case SML_CMD_MAKERESULTS:
		res = exec_makeresults(&r, &q->sq_cmds[0].sc_u.makeresults);
		break;
	default:
		run_fail(&r, "command '%s' cannot start a query",
		    q->sq_cmds[0].sc_name);
		res = SML_RUN_ERROR;
		break;
	}
	if (r.r_failed)
		res = SML_RUN_ERROR;
	if (res == SML_RUN_DONE) {
		int rc = run_finish(&r);

		res = rc < 0 || r.r_failed ? SML_RUN_ERROR :
		    rc > 0 ? SML_RUN_STOPPED : SML_RUN_DONE;
	}
	if (res == SML_RUN_DONE && run_poll(&r, 1))
		res = SML_RUN_STOPPED;
	if (ctx->sx_cost && run_cost(&r, q, time_mono_ns() - t_start,
	    ctx->sx_cost) == -1) {
		snprintf(err, errlen, "out of memory");
		res = SML_RUN_ERROR;
	}
	run_free(&r);
	*scanned = r.r_scanned;
	return res;
}
