/* saved.c - the saved searches API: _sme/saved_searches[/NAME[/_run|/runs]]
 * (docs/saved-searches.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/buf.h"
#include "common/config.h"
#include "common/error.h"
#include "common/log.h"
#include "common/timeutil.h"
#include "fcgi/handlers.h"
#include "fcgi/request.h"
#include "saved/savedsearch.h"
#include "store/saved.h"
#include "store/store.h"

#define SAVED_PATH	"_sme/saved_searches"

/* This worker's saved-search store, opened by its first request. */
static struct savedstore *saved_ss;

/* Opens the store once. Returns it, or NULL after answering 500. */
static struct savedstore *
saved_store_of(struct app *ap, struct req *r)
{
	char err[512];

	if (saved_ss == NULL && saved_open(&saved_ss, ap->ap_cfg, err,
	    sizeof(err)) != AR_OK) {
		log_error("%s", err);
		req_error(r, AR_EINTERNAL, "internal error", NULL);
		return NULL;
	}
	return saved_ss;
}

/* Appends ,"key":"iso" or ,"key":null. Returns 0 or -1. */
static int
saved_put_time(struct buf *b, const char *key, int64_t ms)
{
	char when[32];

	if (ms == 0)
		return buf_printf(b, ",\"%s\":null", key);
	return buf_printf(b, ",\"%s\":\"%s\"", key, time_format_iso(ms, when));
}

/* Appends ,"key":"s" or ,"key":null. Returns 0 or -1. */
static int
saved_put_str(struct buf *b, const char *key, const char *s)
{
	if (buf_printf(b, ",\"%s\":", key) == -1)
		return -1;
	return s ? buf_json_str(b, s, strlen(s)) : buf_puts(b, "null");
}

/* Appends the view of sv (docs/saved-searches.md). Returns 0 or -1. */
static int
saved_view(struct app *ap, struct buf *b, const struct saved *sv)
{
	int busy = saved_busy(ap->ap_store, sv);

	if (buf_puts(b, "{\"name\":") == -1 ||
	    buf_json_str(b, sv->sv_name, strlen(sv->sv_name)) == -1 ||
	    saved_put_str(b, "owner", sv->sv_owner) == -1 ||
	    saved_put_str(b, "query", sv->sv_query) == -1 ||
	    saved_put_str(b, "dtStart", sv->sv_dt_start) == -1 ||
	    saved_put_str(b, "dtEnd", sv->sv_dt_end) == -1 ||
	    buf_printf(b, ",\"calculateStats\":%s", sv->sv_calc_stats ?
	    "true" : "false") == -1 ||
	    saved_put_str(b, "schedule", sv->sv_schedule) == -1 ||
	    saved_put_time(b, "createdAt", sv->sv_created) == -1 ||
	    saved_put_time(b, "updatedAt", sv->sv_updated) == -1 ||
	    saved_put_time(b, "lastRunAt", sv->sv_last_run) == -1 ||
	    saved_put_time(b, "nextRunAt", sv->sv_schedule ?
	    sv->sv_next_run : 0) == -1 ||
	    saved_put_str(b, "runningTask", busy ? sv->sv_running : NULL) ==
	    -1 || buf_puts(b, ",\"runs\":[") == -1)
		return -1;
	for (size_t i = sv->sv_nruns; i-- > 0; )
		if ((i + 1 < sv->sv_nruns && buf_putc(b, ',') == -1) ||
		    buf_json_str(b, sv->sv_runs[i], strlen(sv->sv_runs[i])) ==
		    -1)
			return -1;
	return buf_printf(b, "],\"skippedRuns\":%llu}",
	    (unsigned long long)sv->sv_skipped);
}

/* Answers 404 for search name. */
static void
saved_not_found(struct req *r, const char *name)
{
	char reason[160];

	snprintf(reason, sizeof(reason), "saved search '%.80s' not found",
	    name);
	req_error(r, AR_ENOTFOUND, reason, NULL);
}

/* Answers store error rc for search name. */
static void
saved_fail(struct req *r, int rc, const char *name)
{
	if (rc == AR_ENOTFOUND)
		saved_not_found(r, name);
	else if (rc == AR_EFULL)
		req_error(r, AR_EFULL, "storage is full", NULL);
	else
		req_error(r, AR_EINTERNAL, "internal error", NULL);
}

/* Answers one search as 200 (or status) with its view. */
static void
saved_reply_one(struct app *ap, struct savedstore *ss, struct req *r,
    const char *owner, const char *name, int status)
{
	struct buf b = BUF_INIT;
	struct saved sv;
	int rc;

	if ((rc = saved_get(ss, owner, name, &sv)) != AR_OK) {
		saved_fail(r, rc, name);
		return;
	}
	if (saved_view(ap, &b, &sv) == 0)
		req_reply(r, status, &b);
	else
		req_error(r, AR_ENOMEM, "out of memory", NULL);
	saved_clear(&sv);
	buf_free(&b);
}

/* saved_list's callback of GET _sme/saved_searches. */
struct saved_list_ctx {
	struct app *sl_app;
	struct buf *sl_buf;
	int sl_n;
	int sl_err;
};

static int
saved_list_one(void *arg, const struct saved *sv)
{
	struct saved_list_ctx *sl = arg;

	if ((sl->sl_n++ && buf_putc(sl->sl_buf, ',') == -1) ||
	    saved_view(sl->sl_app, sl->sl_buf, sv) == -1) {
		sl->sl_err = 1;
		return -1;
	}
	return 0;
}

/* GET _sme/saved_searches: the owner's (an admin without ?owner: all). */
static void
saved_list_all(struct app *ap, struct savedstore *ss, struct req *r,
    const char *owner)
{
	struct buf b = BUF_INIT;
	struct saved_list_ctx sl = {ap, &b, 0, 0};
	int rc;

	buf_puts(&b, "{\"saved_searches\":[");
	rc = saved_list(ss, owner, saved_list_one, &sl);
	if (rc != AR_OK)
		req_error(r, AR_EINTERNAL, "internal error", NULL);
	else if (sl.sl_err || buf_puts(&b, "]}") == -1)
		req_error(r, AR_ENOMEM, "out of memory", NULL);
	else
		req_reply(r, 200, &b);
	buf_free(&b);
}

/* POST (name NULL) or PUT .../NAME: stores a definition. */
static void
saved_write(struct app *ap, struct savedstore *ss, struct req *r,
    const char *owner, const char *name)
{
	const struct config *cfg = ap->ap_cfg;
	struct saved_qerr qe;
	struct saved sv;
	json_t *body;
	char reason[600], extra[128];
	int rc;

	if ((body = handler_body_object(ap, r, saved_def_members)) == NULL)
		return;
	rc = saved_def_parse(cfg, body, name, owner, saved_clock_ms(), &sv,
	    &qe, reason, sizeof(reason));
	json_decref(body);
	if (rc == AR_EQUERY) {
		snprintf(extra, sizeof(extra), "\"line\":%d,\"column\":%d,"
		    "\"position\":%zu", qe.sq_line, qe.sq_column,
		    qe.sq_position);
		req_error(r, AR_EQUERY, reason, extra);
		goto out;
	}
	if (rc != AR_OK) {
		req_error(r, rc, reason, NULL);
		goto out;
	}
	rc = saved_put(ss, &sv, name == NULL,
	    cfg->schedule_max_saved_per_user, reason, sizeof(reason));
	if (rc != AR_OK) {
		if (*reason)
			req_error(r, rc, reason, NULL);
		else
			saved_fail(r, rc, sv.sv_name);
		goto out;
	}
	/* The runner computes the next run (in schedule.timezone); with
	 * runner.start_on_demand a schedule starts it. */
	if (sv.sv_schedule != NULL && cfg->runner_start_on_demand)
		(void)handler_runner_ready(ap);
	handler_wake_runner(ap);
	saved_reply_one(ap, ss, r, owner, sv.sv_name, name ? 200 : 201);
out:
	saved_clear(&sv);
}

/* DELETE .../NAME: the search; its runs stay tasks until they expire. */
static void
saved_remove(struct savedstore *ss, struct req *r, const char *owner,
    const char *name)
{
	struct buf b = BUF_INIT;
	int rc;

	if ((rc = saved_delete(ss, owner, name)) != AR_OK) {
		saved_fail(r, rc, name);
		return;
	}
	buf_puts(&b, "{\"name\":");
	buf_json_str(&b, name, strlen(name));
	buf_puts(&b, ",\"deleted\":true}");
	req_reply(r, 200, &b);
	buf_free(&b);
}

/* POST .../NAME/_run: a run now, as an ordinary task. */
static void
saved_run(struct app *ap, struct savedstore *ss, struct req *r,
    const char *owner, const char *name)
{
	struct buf b = BUF_INIT;
	char id[TASK_ID_LEN + 1], reason[512];
	int rc;

	if (!handler_runner_ready(ap)) {
		req_error(r, AR_EUNAVAIL, "the runner is not running: no "
		    "asyncreq-runner holds the lock of this storage directory; "
		    "start asyncreq-runner", NULL);
		return;
	}
	rc = saved_run_now(ss, ap->ap_store, ap->ap_cfg, owner, name,
	    saved_clock_ms(), id, reason, sizeof(reason));
	if (rc != AR_OK) {
		req_error(r, rc == AR_ENOMEM ? AR_EINTERNAL : rc, reason,
		    NULL);
		return;
	}
	handler_wake_runner(ap);
	buf_puts(&b, "{\"name\":");
	buf_json_str(&b, name, strlen(name));
	buf_printf(&b, ",\"id\":\"%s\",\"status\":\"QUEUED\"}", id);
	req_reply(r, 201, &b);
	buf_free(&b);
}

/* GET .../NAME/runs: the kept runs, newest first, with their states. */
static void
saved_runs(struct app *ap, struct savedstore *ss, struct req *r,
    const char *owner, const char *name)
{
	struct buf b = BUF_INIT;
	struct saved sv;
	struct task t;
	int rc;

	if ((rc = saved_get(ss, owner, name, &sv)) != AR_OK) {
		saved_fail(r, rc, name);
		return;
	}
	buf_puts(&b, "{\"name\":");
	buf_json_str(&b, name, strlen(name));
	buf_puts(&b, ",\"runs\":[");
	for (size_t i = sv.sv_nruns; i-- > 0; ) {
		if (i + 1 < sv.sv_nruns)
			buf_putc(&b, ',');
		buf_printf(&b, "{\"id\":\"%s\"", sv.sv_runs[i]);
		if (store_task_get(ap->ap_store, sv.sv_runs[i], &t) != AR_OK) {
			/* Expired or deleted. */
			buf_puts(&b, ",\"status\":null}");
			continue;
		}
		saved_put_str(&b, "status", task_state_name(t.t_state));
		saved_put_time(&b, "scheduledFor", t.t_now);
		saved_put_time(&b, "createdAt", t.t_created);
		saved_put_time(&b, "finishedAt", t.t_finished);
		buf_printf(&b, ",\"resultCount\":%llu",
		    (unsigned long long)t.t_results);
		saved_put_str(&b, "error", task_state_final(t.t_state) ?
		    t.t_error : NULL);
		buf_putc(&b, '}');
		task_clear(&t);
	}
	if (buf_puts(&b, "]}") == 0)
		req_reply(r, 200, &b);
	else
		req_error(r, AR_ENOMEM, "out of memory", NULL);
	saved_clear(&sv);
	buf_free(&b);
}

/* Returns 1 when method m is one of the comma-separated list allow. */
static int
saved_method_in(const char *m, const char *allow)
{
	size_t n = strlen(m);

	for (const char *p = allow; *p; p += strspn(p, ", ")) {
		size_t l = strcspn(p, ",");

		if (l == n && strncmp(p, m, n) == 0)
			return 1;
		p += l;
	}
	return 0;
}

/*
 * Checks the CSRF headers of a state change: a body typed
 * application/json (POST create, PUT), else X-Requested-With or a
 * same-origin Origin (DELETE, _run). Returns 0, or -1 after answering.
 */
static int
saved_csrf(struct req *r, int body)
{
	if (body && !req_content_type_json(r)) {
		req_error(r, AR_EMEDIA, "the request body must be sent with "
		    "Content-Type: application/json", NULL);
		return -1;
	}
	if (!body && !r->rq_has_xrw && !(r->rq_has_origin &&
	    req_origin_same(r))) {
		req_error(r, AR_EFORBIDDEN, "cross-site request refused: a "
		    "request that changes state must send an X-Requested-With "
		    "header (any value) or a same-origin Origin header", NULL);
		return -1;
	}
	return 0;
}

int
handle_saved(struct app *ap, struct req *r)
{
	static const char *const allowed[] = {"owner", NULL};
	const struct config *cfg = ap->ap_cfg;
	struct savedstore *ss;
	const char *m = r->rq_method, *allow, *owner;
	char path[512], reason[400], *name = NULL, *sub = NULL, *slash;
	char *want = NULL;
	size_t len;
	int admin;

	len = strlen(SAVED_PATH);
	if (strncmp(r->rq_path, SAVED_PATH, len) != 0 ||
	    (r->rq_path[len] != '\0' && r->rq_path[len] != '/'))
		return 0;
	if (strlen(r->rq_path) >= sizeof(path)) {
		req_error(r, AR_ENOTFOUND, "no such endpoint", NULL);
		return 1;
	}
	strcpy(path, r->rq_path + len);
	len = strlen(path);
	if (len > 0 && path[len - 1] == '/')
		path[--len] = '\0';
	if (path[0] == '/') {
		name = path + 1;
		if ((slash = strchr(name, '/')) != NULL) {
			*slash = '\0';
			sub = slash + 1;
		}
	}
	if ((name && *name == '\0') || (sub && strcmp(sub, "_run") != 0 &&
	    strcmp(sub, "runs") != 0)) {
		snprintf(reason, sizeof(reason), "no such endpoint: /%.200s",
		    r->rq_path);
		req_error(r, AR_ENOTFOUND, reason, NULL);
		return 1;
	}
	allow = name == NULL ? "GET, POST" : sub == NULL ? "GET, PUT, DELETE" :
	    strcmp(sub, "_run") == 0 ? "POST" : "GET";
	if (!saved_method_in(m, allow)) {
		handler_refuse_method(r, m, allow);
		return 1;
	}
	if (handler_refuse_anonymous(cfg, r))
		return 1;
	if (strcmp(m, "GET") != 0 && saved_csrf(r, strcmp(m, "POST") == 0 ?
	    sub == NULL : strcmp(m, "PUT") == 0) == -1)
		return 1;
	if (req_query_check(r, allowed, reason, sizeof(reason)) == -1) {
		req_error(r, AR_EINVAL, reason, NULL);
		return 1;
	}
	/* ?owner=USER: an admin's way to another user's searches. */
	admin = config_is_admin(cfg, r->rq_user);
	owner = r->rq_user;
	if (req_query_get(r, "owner", &want))
		owner = want;
	if (name && !saved_name_ok(name)) {
		saved_not_found(r, name);
		goto out;
	}
	if (strcmp(owner, r->rq_user) != 0 && !admin) {
		if (name)
			saved_not_found(r, name);
		else
			req_error(r, AR_EFORBIDDEN, "only an admin "
			    "(auth.admin_users) may list another user's saved "
			    "searches", NULL);
		goto out;
	}
	if ((ss = saved_store_of(ap, r)) == NULL)
		goto out;
	if (name == NULL && strcmp(m, "GET") == 0)
		saved_list_all(ap, ss, r, admin && want == NULL ? NULL : owner);
	else if (name == NULL)
		saved_write(ap, ss, r, owner, NULL);
	else if (sub && strcmp(sub, "_run") == 0)
		saved_run(ap, ss, r, owner, name);
	else if (sub)
		saved_runs(ap, ss, r, owner, name);
	else if (strcmp(m, "GET") == 0)
		saved_reply_one(ap, ss, r, owner, name, 200);
	else if (strcmp(m, "PUT") == 0)
		saved_write(ap, ss, r, owner, name);
	else
		saved_remove(ss, r, owner, name);
out:
	free(want);
	return 1;
}
