/* executor.c - one task in its own process: run the query, write pages. */
#define _GNU_SOURCE	/* memmem */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/access.h"
#include "common/config.h"
#include "common/log.h"
#include "common/timeutil.h"
#include "export/export.h"
#include "export/fields.h"
#include "runner/taskstats.h"
#include "runner/runner.h"
#include "sml/sml.h"
#include "store/events.h"
#include "store/lookups.h"
#include "store/store.h"

/* The executor's state; its callbacks get a pointer to it. */
struct exec {
	const struct config *x_cfg;
	const struct task *x_task;
	struct store *x_store;
	struct buf x_text;	/* events of the page being filled */
	struct buf x_offs;	/* their offsets, u32 each */
	struct buf x_ixs;	/* their indices, const char * each (or NULL) */
	const char **x_ixsrc;	/* index names as the run lends them */
	char **x_ixname;	/* and our copies, valid until the end */
	size_t x_nix;
	uint32_t x_count;
	struct fieldset *x_fields;	/* columns of the results so far */
	struct buf x_names;		/* dotted names while walking a result */
	struct sbworker *x_sbw;		/* feeds x_sidebar, when it started */
	size_t x_leaf;			/* leaves of the result so far */
	struct sidebar *x_sidebar;	/* calculateStats: field statistics */
	struct timeline *x_timeline;	/* calculateStats: matches over time */
	int64_t x_first_pending;	/* monotonic ms of the oldest unflushed */
	int64_t x_last_write;		/* monotonic ms of the last write txn */
	int64_t x_last_check;
	uint64_t x_scanned;
	double x_progress;
	int x_cancel;		/* a break was asked for */
	int x_lost;		/* the task is no longer ours */
	int x_full;		/* storage full (map or disk) */
	int x_werr;		/* another failed write (EIO, a failed commit) */
	char x_why[256];	/* the store's reason for x_full / x_werr */
	int x_nomem;
	char *x_rules;		/* auth.index_access rules as the task started */
};

#define FIELDS_MAX 10000	/* columns recorded for exports */

static volatile sig_atomic_t exec_interrupted;

static void
exec_on_term(int sig)
{
	(void)sig;
	exec_interrupted = 1;
}

/*
 * Writes the pending page (if any) and the counters. Returns 0, or -1 when
 * the run must stop (lost, full, error); the reason is in the flags.
 */
static int
exec_flush(struct exec *x)
{
	struct buf page = BUF_INIT;
	uint32_t count = x->x_count;
	char *names = NULL;
	size_t nlen = 0;
	int rc;

	if (count > 0 && (buf_append(&page, &count, 4) == -1 ||
	    buf_append(&page, x->x_offs.b_data, x->x_offs.b_len) == -1 ||
	    buf_append(&page, x->x_text.b_data, x->x_text.b_len) == -1)) {
		buf_free(&page);
		x->x_nomem = 1;
		return -1;
	}
	/* The column list of exports, known before the first row: written
	 * with the page that brings new columns, in its transaction. */
	if (fieldset_dirty(x->x_fields) &&
	    (names = fieldset_encode(x->x_fields, &nlen)) == NULL) {
		buf_free(&page);
		x->x_nomem = 1;
		return -1;
	}
	rc = store_page_append(x->x_store, x->x_task->t_id,
	    x->x_task->t_token, page.b_data, page.b_len, count, x->x_scanned,
	    x->x_progress, names, nlen, &x->x_cancel);
	/* The stored page goes on to the sidebar worker, which frees it. */
	if (rc == AR_OK && count > 0 && x->x_sbw != NULL) {
		const char **ixs = malloc(count * sizeof(*ixs));

		if (ixs != NULL)
			memcpy(ixs, x->x_ixs.b_data, count * sizeof(*ixs));
		if (ixs == NULL || sbworker_push_ix(x->x_sbw, page.b_data,
		    page.b_len, ixs) == -1)
			x->x_nomem = 1;
		page = (struct buf)BUF_INIT;
	}
	buf_free(&page);
	if (x->x_nomem)
		return -1;
	free(names);
	x->x_last_write = x->x_last_check = time_mono_ms();
	if (rc == AR_ELOST) {
		x->x_lost = 1;
		return -1;
	}
	/* A page that could not be written ends the task FAILED: the run
	 * stops here and never reaches DONE with results missing. */
	if (rc != AR_OK) {
		if (rc == AR_EFULL)
			x->x_full = 1;
		else
			x->x_werr = 1;
		snprintf(x->x_why, sizeof(x->x_why), "%s", store_error());
		return -1;
	}
	buf_reset(&x->x_text);
	buf_reset(&x->x_offs);
	buf_reset(&x->x_ixs);
	x->x_count = 0;
	return 0;
}

/* export_scan_event's callback: one leaf of a result, for the column list
 * and the sidebar. */
static int
exec_leaf(void *arg, const struct export_leaf *l)
{
	struct exec *x = arg;

	if (fieldset_add_name(x->x_fields, l->el_name, l->el_name_len) == -1 ||
	    (x->x_sidebar && x->x_sbw == NULL &&
	    sidebar_leaf(x->x_sidebar, x->x_leaf++, l) == -1))
		return -1;
	return 0;
}

/*
 * Returns our copy of the index name the run lent (src), in double quotes
 * (index names need no escapes), made on first sight and kept until the executor ends (the sidebar worker reads it after
 * the run), or NULL (src NULL, or out of memory).
 */
static const char *
exec_index_name(struct exec *x, const char *src)
{
	const char **ps;
	char **pn;

	if (src == NULL)
		return NULL;
	for (size_t i = x->x_nix; i-- > 0;)
		if (x->x_ixsrc[i] == src)
			return x->x_ixname[i];
	if ((ps = realloc(x->x_ixsrc, (x->x_nix + 1) * sizeof(*ps))) == NULL)
		return NULL;
	x->x_ixsrc = ps;
	if ((pn = realloc(x->x_ixname, (x->x_nix + 1) * sizeof(*pn))) == NULL)
		return NULL;
	x->x_ixname = pn;
	/* Quoted, as the sidebar reads a string leaf inside its quotes. */
	if ((pn[x->x_nix] = malloc(strlen(src) + 3)) == NULL)
		return NULL;
	sprintf(pn[x->x_nix], "\"%s\"", src);
	ps[x->x_nix] = src;
	return pn[x->x_nix++];
}

/*
 * sml_ctx.sx_emit_index: adds a result to the page, with the index it was
 * read from for the sidebar's _index (unless the event has an _index of its
 * own); flushes a full page.
 */
static int
exec_emit(void *arg, const char *json, size_t len, const char *index)
{
	struct exec *x = arg;
	uint32_t off = (uint32_t)x->x_text.b_len;
	const char *ix = NULL;

	if (index != NULL && x->x_sidebar != NULL &&
	    memmem(json, len, "\"_index\"", 8) == NULL &&
	    (ix = exec_index_name(x, index)) == NULL) {
		x->x_nomem = 1;
		return -1;
	}
	/* One walk of the result's text feeds both its columns and its
	 * statistics. */
	x->x_leaf = 0;
	if (x->x_sidebar && x->x_sbw == NULL)
		sidebar_begin(x->x_sidebar);
	if (buf_append(&x->x_offs, &off, 4) == -1 ||
	    buf_append(&x->x_ixs, &ix, sizeof(ix)) == -1 ||
	    buf_append(&x->x_text, json, len) == -1 ||
	    export_scan_event(json, len, &x->x_names, exec_leaf, x) != 0) {
		x->x_nomem = 1;
		return -1;
	}
	if (ix != NULL && x->x_sbw == NULL) {
		struct export_leaf l = { "_index", 6, EXPORT_V_STRING, ix + 1,
		    strlen(ix) - 2, 0 };

		if (sidebar_leaf(x->x_sidebar, x->x_leaf++, &l) == -1) {
			x->x_nomem = 1;
			return -1;
		}
	}
	if (x->x_count++ == 0)
		x->x_first_pending = time_mono_ms();
	if (x->x_text.b_len >= x->x_cfg->runner_page_bytes ||
	    x->x_count >= 10000)
		return exec_flush(x) == -1 || x->x_cancel;
	return 0;
}

/*
 * Returns 1 when the task's owner may read index: admins read all, and
 * auth.index_access and auth.index_access_file (x_rules) decide for the
 * others.
 */
static int
exec_may_read(void *arg, const char *index)
{
	struct exec *x = arg;

	if (config_is_admin(x->x_cfg, x->x_task->t_owner))
		return 1;
	return access_may_read(x->x_rules, x->x_task->t_owner, index);
}

/*
 * sml_ctx.sx_poll: flushes results older than runner.flush_ms so readers
 * see them while the task runs, and checks for a break every call (the
 * executor calls it at least every 50 ms).
 */
static int
exec_poll(void *arg, uint64_t scanned, double progress)
{
	struct exec *x = arg;
	int64_t now = time_mono_ms();
	struct task t;

	x->x_scanned = scanned;
	x->x_progress = progress;
	if (exec_interrupted)
		return 1;
	if ((x->x_count > 0 &&
	    now - x->x_first_pending >= x->x_cfg->runner_flush_ms) ||
	    now - x->x_last_write >= 1000)
		return exec_flush(x) == -1 || x->x_cancel;
	/* A read transaction is cheap: look for a break or a delete. */
	if (store_task_get(x->x_store, x->x_task->t_id, &t) != AR_OK) {
		x->x_lost = 1;
		return 1;
	}
	if (t.t_state != TASK_RUNNING || t.t_token != x->x_task->t_token)
		x->x_lost = 1;
	x->x_cancel = t.t_cancel;
	task_clear(&t);
	return x->x_lost || x->x_cancel;
}

/* sml_ctx.sx_match: one event of the search part, for the timeline. */
static void
exec_match(void *arg, int64_t t)
{
	struct exec *x = arg;

	timeline_add(x->x_timeline, t);
}

/* Stores the stats document doc of kind (NULL: skipped) and frees it. */
static void
exec_put_doc(struct exec *x, const char *kind, char *doc, size_t len)
{
	if (doc == NULL)
		return;
	if (store_stats_put(x->x_store, x->x_task->t_id, x->x_task->t_token,
	    kind, doc, len) != AR_OK)
		log_warn("task %s: cannot store its %s", x->x_task->t_id, kind);
	free(doc);
}

/*
 * Writes the sidebar, timeline and cost of the run (while the task is
 * still RUNNING under our token, just before it ends), and the cost as
 * task log lines.
 */
static void
exec_write_stats(struct exec *x, struct sml_cost *cost)
{
	const struct task *t = x->x_task;
	struct task now;
	size_t len;
	char *doc;

	if (x->x_sidebar) {
		doc = sidebar_json(x->x_sidebar, &len);
		exec_put_doc(x, "sidebar", doc, len);
	}
	if (x->x_timeline) {
		doc = timeline_json(x->x_timeline, &len);
		exec_put_doc(x, "timeline", doc, len);
	}
	if (t->t_cost == COST_OFF || cost->co_cmds == NULL)
		return;
	if (store_task_get(x->x_store, t->t_id, &now) != AR_OK)
		return;
	doc = cost_json(cost, &now, t->t_cost == COST_DEBUG, &len);
	for (size_t i = 0; i < cost->co_ncmds; i++) {
		const struct sml_cmd_cost *c = &cost->co_cmds[i];
		char line[256];

		snprintf(line, sizeof(line), "cost: %s: %.3f ms, %llu events "
		    "in, %llu out", c->cc_name, c->cc_ms,
		    (unsigned long long)c->cc_in, (unsigned long long)c->cc_out);
		if (t->t_cost == COST_DEBUG)
			snprintf(line + strlen(line), sizeof(line) - strlen(line),
			    ", %llu bytes read, peak memory %llu bytes",
			    (unsigned long long)c->cc_bytes,
			    (unsigned long long)c->cc_peak_mem);
		store_log_append(x->x_store, t->t_id, t->t_cost == COST_DEBUG ?
		    "DEBUG" : "INFO", line);
	}
	if (t->t_cost == COST_DEBUG)
		for (size_t i = 0; i < cost->co_nindices; i++) {
			char line[600];

			snprintf(line, sizeof(line), "cost: index %s (pattern "
			    "%s): %llu events scanned",
			    cost->co_indices[i].ic_index,
			    cost->co_indices[i].ic_pattern,
			    (unsigned long long)cost->co_indices[i].ic_scanned);
			store_log_append(x->x_store, t->t_id, "DEBUG", line);
		}
	if (t->t_cost == COST_DEBUG) {
		char line[200];

		snprintf(line, sizeof(line), "cost: results %llu pages, %llu "
		    "bytes; queued %lld ms", (unsigned long long)now.t_pages,
		    (unsigned long long)now.t_result_bytes,
		    (long long)(now.t_started - now.t_created));
		store_log_append(x->x_store, t->t_id, "DEBUG", line);
	}
	{
		char line[128];

		snprintf(line, sizeof(line), "cost: total %.3f ms",
		    cost->co_total_ms);
		store_log_append(x->x_store, t->t_id, "INFO", line);
	}
	task_clear(&now);
	exec_put_doc(x, "cost", doc, len);
}

static void
exec_log(void *arg, enum sml_log_level lvl, const char *msg)
{
	static const char *const names[] = {"DEBUG", "INFO", "WARN", "ERROR"};
	struct exec *x = arg;

	store_log_append(x->x_store, x->x_task->t_id, names[lvl], msg);
}

/*
 * Ends the task with state and a message, and exits: 0 when the end is
 * written (or the task was no longer ours), 3 when it could not be, and
 * the runner then fails the task. A failed write may leave the
 * environment unusable (LMDB refuses every transaction after a failed
 * meta page write), so a failed end is tried once more on a fresh one.
 */
static void __attribute__((noreturn))
exec_end(struct exec *x, enum task_state state, const char *error,
    const char *level, const char *msg)
{
	char err[512];
	int rc = store_task_finish(x->x_store, x->x_task->t_id,
	    x->x_task->t_token, state, error, level, msg);

	if (rc != AR_OK && rc != AR_ELOST) {
		store_close(x->x_store);
		x->x_store = NULL;
		if (store_open(&x->x_store, x->x_cfg, err, sizeof(err)) ==
		    AR_OK)
			rc = store_task_finish(x->x_store, x->x_task->t_id,
			    x->x_task->t_token, state, error, level, msg);
		if (rc != AR_OK && rc != AR_ELOST)
			log_error("task %s: cannot write its end (%s): %s",
			    x->x_task->t_id, task_state_name(state),
			    store_error());
	}
	store_close(x->x_store);
	_exit(rc == AR_OK || rc == AR_ELOST ? 0 : 3);
}

void
executor_main(const struct config *cfg, const struct task *t)
{
	struct exec x;
	struct sml_query *q = NULL;
	struct sml_error perr;
	struct sml_limits plim;
	struct sml_run_limits lim;
	struct sml_cost cost;
	struct sml_ctx ctx;
	struct lookup_user lu;
	struct evstore *ev = NULL;
	struct rlimit rl;
	struct sigaction sa;
	char err[512], msg[640], path[4200];
	uint64_t scanned = 0;
	int64_t t0 = time_mono_ms();
	enum sml_run_result res;

	/* Die with the runner: a new runner fails what we leave RUNNING. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = exec_on_term;
	sigaction(SIGTERM, &sa, NULL);
	sa.sa_handler = SIG_DFL;
	sigaction(SIGCHLD, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	/* Private memory of this task (heap, not the LMDB maps). */
	rl.rlim_cur = rl.rlim_max = cfg->limits_max_memory_bytes;
	setrlimit(RLIMIT_DATA, &rl);

	memset(&x, 0, sizeof(x));
	x.x_cfg = cfg;
	x.x_task = t;
	x.x_last_write = x.x_last_check = t0;
	if (store_open(&x.x_store, cfg, err, sizeof(err)) != AR_OK) {
		log_error("executor: %s", err);
		_exit(3);
	}
	store_task_set_exec(x.x_store, t->t_id, t->t_token, (int)getpid());
	if ((x.x_fields = fieldset_new(FIELDS_MAX)) == NULL)
		exec_end(&x, TASK_FAILED, "out of memory", "ERROR",
		    "out of memory");
	sml_limits_from_config(cfg, &plim, &lim);
	if (sml_parse(t->t_query, strlen(t->t_query), &plim, &q, &perr) == -1) {
		snprintf(msg, sizeof(msg), "query error: %s", perr.se_msg);
		exec_end(&x, TASK_FAILED, msg, "ERROR", msg);
	}
	snprintf(path, sizeof(path), "%s/events", cfg->storage_path);
	if (evstore_open(&ev, path, cfg->storage_events_map_size, err,
	    sizeof(err)) == -1) {
		snprintf(msg, sizeof(msg), "event store: %s", err);
		exec_end(&x, TASK_FAILED, msg, "ERROR", msg);
	}
	memset(&ctx, 0, sizeof(ctx));
	ctx.sx_events = ev;
	ctx.sx_now = t->t_now;
	ctx.sx_range_start = t->t_range_start;
	ctx.sx_range_end = t->t_range_end;
	ctx.sx_dt_field = t->t_dt_field;
	ctx.sx_arg = &x;
	ctx.sx_emit_index = exec_emit;
	ctx.sx_log = exec_log;
	ctx.sx_poll = exec_poll;
	/* Lookup tables: the owner's, else the shared ones. */
	lookup_user_init(&lu, cfg, t->t_owner);
	ctx.sx_lookup_get = lookup_sml_get;
	ctx.sx_lookup_put = lookup_sml_put;
	ctx.sx_lookup_arg = &lu;
	/* The access file as it is now: an edit needs no restart. */
	if (config_access_rules(cfg, &x.x_rules, err, sizeof(err)) == -1) {
		log_error("task %s: %s", t->t_id, err);
		exec_end(&x, TASK_FAILED, err, "ERROR", err);
	}
	if (access_configured(x.x_rules))
		ctx.sx_may_read = exec_may_read;
	if (t->t_calc_stats) {
		x.x_sidebar = sidebar_new(cfg->stats_sidebar_top,
		    cfg->stats_sidebar_exact_distinct);
		x.x_timeline = timeline_new(t->t_range_start, t->t_range_end,
		    cfg->stats_timeline_max_buckets, t->t_dt_field);
		if (x.x_sidebar == NULL || x.x_timeline == NULL)
			exec_end(&x, TASK_FAILED, "out of memory", "ERROR",
			    "out of memory");
		/* Without a thread the sidebar is fed from exec_emit. */
		x.x_sbw = sbworker_start(x.x_sidebar,
		    16 * (size_t)cfg->runner_page_bytes);
		ctx.sx_match = exec_match;
	}
	memset(&cost, 0, sizeof(cost));
	if (t->t_cost != COST_OFF)
		ctx.sx_cost = &cost;
	ctx.sx_limits = &lim;
	res = sml_run(q, &ctx, &scanned, err, sizeof(err));
	x.x_scanned = scanned;
	if (res != SML_RUN_ERROR && !x.x_lost && !x.x_full && !x.x_nomem)
		exec_flush(&x);
	if (sbworker_finish(x.x_sbw) == -1)
		x.x_nomem = 1;
	x.x_sbw = NULL;
	if (!x.x_lost && !x.x_full && !x.x_werr)
		exec_write_stats(&x, &cost);
	sml_cost_free(&cost);
	sidebar_free(x.x_sidebar);
	buf_free(&x.x_names);
	buf_free(&x.x_ixs);
	for (size_t i = 0; i < x.x_nix; i++)
		free(x.x_ixname[i]);
	free(x.x_ixname);
	free(x.x_ixsrc);
	timeline_free(x.x_timeline);
	evstore_close(ev);
	sml_query_free(q);
	if (x.x_lost)
		exec_end(&x, TASK_FAILED, "lost", "ERROR", NULL);
	if (x.x_nomem || (res == SML_RUN_ERROR &&
	    strstr(err, "out of memory"))) {
		snprintf(msg, sizeof(msg), "out of memory: the task needed more "
		    "than limits.max_memory_bytes (%llu bytes)",
		    (unsigned long long)cfg->limits_max_memory_bytes);
		exec_end(&x, TASK_FAILED, msg, "ERROR", msg);
	}
	if (x.x_full) {
		snprintf(msg, sizeof(msg), "storage is full (%s); results "
		    "written so far are kept", x.x_why);
		exec_end(&x, TASK_FAILED, msg, "ERROR", msg);
	}
	if (x.x_werr) {
		snprintf(msg, sizeof(msg), "storage write failed (%s); results "
		    "written so far are kept", x.x_why);
		exec_end(&x, TASK_FAILED, msg, "ERROR", msg);
	}
	if (res == SML_RUN_ERROR) {
		exec_end(&x, TASK_FAILED, err, "ERROR", err);
	}
	if (exec_interrupted)
		exec_end(&x, TASK_FAILED, "interrupted: the runner was stopped",
		    "ERROR", "interrupted: the runner was stopped");
	if (x.x_cancel) {
		struct task now;

		snprintf(msg, sizeof(msg), "cancelled: %llu results kept",
		    (unsigned long long)(store_task_get(x.x_store, t->t_id,
		    &now) == AR_OK ? now.t_results : 0));
		task_clear(&now);
		exec_end(&x, TASK_CANCELLED, "cancelled by the user", "INFO",
		    msg);
	}
	{
		struct task now;
		uint64_t results = 0;

		if (store_task_get(x.x_store, t->t_id, &now) == AR_OK)
			results = now.t_results;
		task_clear(&now);
		snprintf(msg, sizeof(msg), "done: %llu results, %llu events "
		    "scanned in %lld ms", (unsigned long long)results,
		    (unsigned long long)scanned,
		    (long long)(time_mono_ms() - t0));
	}
	exec_end(&x, TASK_DONE, NULL, "INFO", msg);
}
