/* exec.c - the streaming executor: builds the pipeline and feeds it. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/timeutil.h"
#include "sml/commands.h"
#include "sml/sml.h"
#include "sml/stage.h"

#define POLL_EVENTS 1000	/* poll at least every this many events */
#define POLL_MS 50		/* ... and every this many milliseconds */

static const struct sml_run_limits run_default_limits = {
	10000, 100, 100000, 512u << 20, 200, SML_DEFAULT_MAX_QSIZE, 0, 0, 0, 0, 0,
	"/usr/share/GeoIP/GeoIP.dat", "/usr/share/GeoIP/GeoIPv6.dat"
};

/*
 * A stage's first pushes are timed with the exact clock, the rest with the
 * coarse one (time_coarse_ns): two exact reads per event and stage were a
 * twelfth of a plain scan.
 */
#define EXACT_PUSHES 1024

/* Returns the clock a push reads: exact, or coarse (both reads of one
 * push read the same one). */
static inline int64_t
push_clock(int exact)
{
	return exact ? time_mono_ns() : time_coarse_ns();
}

/* A lookup table the run read (run_lookup). */
struct run_table {
	char *rt_name;
	struct csvtab *rt_tab;
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
	struct run_table *r_tables;	/* lookup tables read, once each */
	size_t r_ntables;
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
	int rc, exact;
	int64_t t0;

	s->sg_out++;
	/* A subpipeline's stages (run_pipe) are not in r_stages. */
	if (r->r_ctx->sx_match && r->r_stages &&
	    (uintptr_t)s - (uintptr_t)r->r_stages <
	    r->r_nstages * sizeof(*s) &&
	    (size_t)(s - r->r_stages) + 1 == r->r_tap)
		r->r_ctx->sx_match(r->r_ctx->sx_arg, e->ev_time);
	if (next != NULL) {
		next->sg_in++;
		r->r_cur = next;
		exact = next->sg_in <= EXACT_PUSHES;
		t0 = push_clock(exact);
		rc = next->sg_push(next, e);
		next->sg_ns += push_clock(exact) - t0;
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

/*
 * Feeds one event (borrowed) from the first command into the pipeline.
 * Returns as stage_emit.
 */
int
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
		int exact = r->r_stages[0].sg_in <= EXACT_PUSHES;
		int64_t t0 = push_clock(exact);

		rc = r->r_stages[0].sg_push(&r->r_stages[0], e);
		r->r_stages[0].sg_ns += push_clock(exact) - t0;
	}
	r->r_cur = NULL;
	return rc;
}

uint64_t
run_next_seq(struct run *r)
{
	return r->r_seq++;
}

void
run_set_progress(struct run *r, double progress)
{
	r->r_progress = progress;
}

void
run_count_read(struct run *r, size_t len)
{
	r->r_scanned++;
	r->r_bytes += len;
}

void
run_count_skipped(struct run *r, uint64_t n, uint64_t bytes)
{
	r->r_scanned += n;
	r->r_bytes += bytes;
}

struct cond *
run_first_search(const struct run *r)
{
	if (r->r_nstages > 0 && r->r_stages[0].sg_cmd != NULL &&
	    r->r_stages[0].sg_cmd->sc_kind == SML_CMD_SEARCH)
		return r->r_stages[0].sg_cmd->sc_u.search.sr_cond;
	return NULL;
}

void
run_fed_skipped(struct run *r, uint64_t n)
{
	r->r_fed += n;
	if (r->r_nstages > 0)
		r->r_stages[0].sg_in += n;
}

/* The context of a subsearch: the run's, with its results collected. */
struct subsearch {
	struct run *ss_run;		/* the outer run */
	const struct sml_ctx *ss_outer;
	int (*ss_row)(void *, const char *, size_t);
	void *ss_arg;
	int64_t ss_n, ss_max;
	int ss_over, ss_failed, ss_cancel;
};

static int
sub_emit(void *arg, const char *json, size_t len)
{
	struct subsearch *sub = arg;

	if (++sub->ss_n > sub->ss_max) {
		sub->ss_over = 1;
		return 1;
	}
	if (sub->ss_row(sub->ss_arg, json, len) != 0) {
		sub->ss_failed = 1;
		return 1;
	}
	return 0;
}

static void
sub_log(void *arg, enum sml_log_level lvl, const char *msg)
{
	struct subsearch *sub = arg;

	if (sub->ss_outer->sx_log)
		sub->ss_outer->sx_log(sub->ss_outer->sx_arg, lvl, msg);
}

/* Polls the outer task with its own counts (a subsearch's do not show). */
static int
sub_poll(void *arg, uint64_t scanned, double progress)
{
	struct subsearch *sub = arg;

	(void)scanned;
	(void)progress;
	if (run_poll_now(sub->ss_run)) {
		sub->ss_cancel = 1;
		return 1;
	}
	return 0;
}

static int
sub_may_read(void *arg, const char *index)
{
	struct subsearch *sub = arg;

	return sub->ss_outer->sx_may_read == NULL ||
	    sub->ss_outer->sx_may_read(sub->ss_outer->sx_arg, index);
}

int
run_subsearch(struct run *r, const struct sml_query *q,
    int (*row)(void *arg, const char *json, size_t len), void *arg)
{
	const struct sml_ctx *outer = r->r_ctx;
	struct subsearch sub;
	struct sml_ctx ctx = *outer;
	enum sml_run_result res;
	uint64_t scanned = 0;
	char err[512];

	memset(&sub, 0, sizeof(sub));
	sub.ss_run = r;
	sub.ss_outer = outer;
	sub.ss_row = row;
	sub.ss_arg = arg;
	sub.ss_max = r->r_limits->rl_max_subsearch > 0 ?
	    r->r_limits->rl_max_subsearch : 10000;
	ctx.sx_arg = &sub;
	ctx.sx_emit = sub_emit;
	ctx.sx_emit_index = NULL;
	ctx.sx_log = sub_log;
	ctx.sx_poll = sub_poll;
	ctx.sx_match = NULL;
	ctx.sx_may_read = sub_may_read;
	err[0] = '\0';
	res = sml_run(q, &ctx, &scanned, err, sizeof(err));
	r->r_scanned += scanned;
	if (sub.ss_failed)
		return -1;
	if (sub.ss_over)
		return run_fail(r, "subsearch: more than %lld results "
		    "(limits.max_subsearch_results)", (long long)sub.ss_max);
	if (sub.ss_cancel || (res == SML_RUN_STOPPED && r->r_stop))
		return 1;
	if (res == SML_RUN_ERROR)
		return run_fail(r, "subsearch: %s", err);
	return 0;
}

int
run_stopped(const struct run *r)
{
	return r->r_stop;
}

struct sml_index_cost *
run_index_costs(struct run *r, size_t n)
{
	struct sml_index_cost *p;

	if ((p = realloc(r->r_idx, (r->r_nidx + n) * sizeof(*p))) == NULL)
		return NULL;
	r->r_idx = p;
	memset(p + r->r_nidx, 0, n * sizeof(*p));
	r->r_nidx += n;
	return p + r->r_nidx - n;
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
		const struct sml_cmd_def *d;

		d = sml_cmd_of(q->sq_cmds[i + 1].sc_kind);
		if (d != NULL && (d->cd_flags & SML_CMDF_TRANSFORMING)) {
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
 * less the next one's. A stage timed by the coarse clock can read more
 * than the one around it; its time is then capped at the outer one, so
 * no command's time is negative and they add up to at most total_ns.
 * Returns 0 or -1 out of memory.
 */
static int
run_cost(struct run *r, const struct sml_query *q, int64_t total_ns,
    struct sml_cost *cost)
{
	size_t n = r->r_nstages + 1;
	struct sml_cmd_cost *c;
	int64_t outer = total_ns;	/* the time of the stage around */

	memset(cost, 0, sizeof(*cost));
	if ((c = calloc(n, sizeof(*c))) == NULL)
		return -1;
	for (size_t i = 0; i < n; i++) {
		const struct sml_command *cmd = &q->sq_cmds[i];
		int64_t after = i < r->r_nstages ? r->r_stages[i].sg_ns : 0;

		if (after > outer)
			after = outer;

		c[i].cc_name = cmd->sc_name;
		c[i].cc_off = cmd->sc_off;
		c[i].cc_len = cmd->sc_len;
		if (i == 0) {
			c[i].cc_out = r->r_fed;
			c[i].cc_bytes = r->r_bytes;
		} else {
			struct stage *s = &r->r_stages[i - 1];

			c[i].cc_in = s->sg_in;
			c[i].cc_out = s->sg_out;
			c[i].cc_peak_mem = (uint64_t)s->sg_mem_peak;
		}
		c[i].cc_ms = (double)(outer > after ? outer - after : 0) / 1e6;
		outer = after;
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

uint64_t
run_lookup_max_bytes(const struct run *r)
{
	return r->r_limits->rl_max_lookup_bytes ?
	    r->r_limits->rl_max_lookup_bytes : 64u << 20;
}

uint64_t
run_lookup_max_rows(const struct run *r)
{
	return r->r_limits->rl_max_lookup_rows ?
	    r->r_limits->rl_max_lookup_rows : 1000000;
}

const struct csvtab *
run_lookup(struct run *r, const char *cmd, const char *name)
{
	struct run_table *p;
	struct csvtab *t;
	char why[300], *data = NULL;
	size_t len = 0;

	for (size_t i = 0; i < r->r_ntables; i++)
		if (strcmp(r->r_tables[i].rt_name, name) == 0)
			return r->r_tables[i].rt_tab;
	if (r->r_ctx->sx_lookup_get == NULL) {
		run_fail(r, "%s: lookup tables are not available here", cmd);
		return NULL;
	}
	if (r->r_ctx->sx_lookup_get(r->r_ctx->sx_lookup_arg, name,
	    run_lookup_max_bytes(r), &data, &len, why, sizeof(why)) == -1) {
		run_fail(r, "%s: %s", cmd, why);
		return NULL;
	}
	if (csvtab_parse(data, len, run_lookup_max_rows(r), &t, why,
	    sizeof(why)) == -1) {
		free(data);
		if (strncmp(why, "more than ", 10) == 0)
			run_fail(r, "%s: lookup '%s' has %s "
			    "(limits.max_lookup_rows)", cmd, name, why);
		else
			run_fail(r, "%s: lookup '%s' is not a valid table: %s",
			    cmd, name, why);
		return NULL;
	}
	free(data);
	if (run_mem(r, (int64_t)t->ct_bytes) == -1 ||
	    (p = realloc(r->r_tables, (r->r_ntables + 1) *
	    sizeof(*p))) == NULL) {
		csvtab_free(t);
		if (!r->r_failed)
			run_fail(r, "out of memory");
		return NULL;
	}
	r->r_tables = p;
	if ((p[r->r_ntables].rt_name = strdup(name)) == NULL) {
		csvtab_free(t);
		run_fail(r, "out of memory");
		return NULL;
	}
	p[r->r_ntables++].rt_tab = t;
	return t;
}

int
run_lookup_put(struct run *r, const char *cmd, const char *name,
    const char *data, size_t len, size_t rows)
{
	char why[300];

	if (r->r_ctx->sx_lookup_put == NULL)
		return run_fail(r, "%s: lookup tables are not available here",
		    cmd);
	if (len > run_lookup_max_bytes(r))
		return run_fail(r, "%s: the table would be %zu bytes, more "
		    "than limits.max_lookup_bytes (%llu)", cmd, len,
		    (unsigned long long)run_lookup_max_bytes(r));
	if (rows > run_lookup_max_rows(r))
		return run_fail(r, "%s: the table would have %zu rows, more "
		    "than limits.max_lookup_rows (%llu)", cmd, rows,
		    (unsigned long long)run_lookup_max_rows(r));
	if (r->r_ctx->sx_lookup_put(r->r_ctx->sx_lookup_arg, name, data, len, why,
	    sizeof(why)) == -1)
		return run_fail(r, "%s: %s", cmd, why);
	/* A later read of the table in this run sees the new one. */
	for (size_t i = 0; i < r->r_ntables; i++)
		if (strcmp(r->r_tables[i].rt_name, name) == 0)
			r->r_tables[i].rt_name[0] = '\0';
	return 0;
}

static void
run_free(struct run *r)
{
	for (size_t i = 0; i < r->r_ntables; i++) {
		free(r->r_tables[i].rt_name);
		csvtab_free(r->r_tables[i].rt_tab);
	}
	free(r->r_tables);
	r->r_tables = NULL;
	r->r_ntables = 0;
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
	const struct sml_cmd_def *first;
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
	first = sml_cmd_of(q->sq_cmds[0].sc_kind);
	if (first != NULL && first->cd_run != NULL)
		res = first->cd_run(&r, &q->sq_cmds[0]);
	else {
		run_fail(&r, "command '%s' cannot start a query",
		    q->sq_cmds[0].sc_name);
		res = SML_RUN_ERROR;
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

/*
 * Runs the commands of q (none a first command) over the n events ev (each
 * borrowed for its push) as stages of s's run, their output passed on to
 * the stage after s, then ends them (their finish). Returns 0, 1 when no
 * more output is wanted or the run was asked to stop, -1 with the run
 * failed.
 */
int
run_pipe(struct stage *s, const struct sml_query *q, struct event **ev,
    size_t n)
{
	struct run *r = s->sg_run;
	struct stage *st, *saved = r->r_cur;
	size_t ns = q->sq_ncmds, built = 0, i;
	int rc = 0;

	if (ns == 0)
		return 0;
	if ((st = calloc(ns, sizeof(*st))) == NULL)
		return run_fail(r, "out of memory");
	for (i = 0; i < ns && rc == 0; i++) {
		st[i].sg_cmd = &q->sq_cmds[i];
		st[i].sg_run = r;
		st[i].sg_next = i + 1 < ns ? &st[i + 1] : s->sg_next;
		built = i + 1;
		r->r_cur = &st[i];
		rc = stage_init(&st[i], st[i].sg_cmd);
	}
	for (i = 0; i < n && rc == 0; i++) {
		r->r_cur = &st[0];
		st[0].sg_in++;
		rc = st[0].sg_push(&st[0], ev[i]);
		if (rc == 0 && run_poll_now(r))
			rc = 1;
	}
	if (rc == 1 && !r->r_stop)
		rc = 0;		/* no more input wanted: end the stages */
	for (i = 0; i < ns && rc == 0; i++) {
		r->r_cur = &st[i];
		if (st[i].sg_finish != NULL)
			rc = st[i].sg_finish(&st[i]);
		if (rc == 0 && r->r_stop)
			rc = 1;
	}
	for (i = 0; i < built; i++)
		if (st[i].sg_free != NULL)
			st[i].sg_free(&st[i]);
	free(st);
	r->r_cur = saved;
	return rc < 0 || r->r_failed ? -1 : rc;
}
