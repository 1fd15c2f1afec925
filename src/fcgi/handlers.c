/* handlers.c - routing and the endpoints of the Background Tasks API. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

#include <jansson.h>

#include "common/buf.h"
#include "common/config.h"
#include "common/datemath.h"
#include "common/error.h"
#include "common/jsontype.h"
#include "common/log.h"
#include "common/timeutil.h"
#include "common/util.h"
#include "fcgi/handlers.h"
#include "fcgi/request.h"
#include "sml/sml.h"
#include "store/events.h"
#include "store/store.h"

#define PREFIX "_sme/async_requests/"
#define JSON_TYPE "application/json; charset=utf-8"

int
app_open(struct app *ap, const struct config *cfg, char *err, size_t errlen)
{
	memset(ap, 0, sizeof(*ap));
	ap->ap_cfg = cfg;
	ap->ap_wake_fd = -1;
	if (strcmp(cfg->http_access_log, "syslog") == 0)
		openlog("asyncreq-fcgi", LOG_PID, LOG_DAEMON);
	if (store_open(&ap->ap_store, cfg, err, errlen) != AR_OK)
		return -1;
	snprintf(ap->ap_lock_path, sizeof(ap->ap_lock_path), "%s/runner.lock",
	    cfg->storage_path);
	ap->ap_wake_addr.sun_family = AF_UNIX;
	ap->ap_wake_ok = snprintf(ap->ap_wake_addr.sun_path,
	    sizeof(ap->ap_wake_addr.sun_path), "%s/runner.sock",
	    cfg->storage_path) < (int)sizeof(ap->ap_wake_addr.sun_path);
	ap->ap_wake_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	return 0;
}

void
app_close(struct app *ap)
{
	store_close(ap->ap_store);
	evstore_close(ap->ap_events);
	ap->ap_events = NULL;
	if (ap->ap_wake_fd != -1)
		close(ap->ap_wake_fd);
	ap->ap_store = NULL;
}

/* Nudges the runner; a lost datagram only costs its poll interval. */
static void
app_wake_runner(struct app *ap)
{
	if (ap->ap_wake_fd != -1 && ap->ap_wake_ok)
		(void)sendto(ap->ap_wake_fd, "w", 1, MSG_DONTWAIT,
		    (struct sockaddr *)&ap->ap_wake_addr,
		    sizeof(ap->ap_wake_addr));
}

/*
 * Returns the pid of the runner holding the runner lock, or 0 when no
 * runner is alive.
 */
static int
app_runner_pid(struct app *ap)
{
	struct flock fl;
	int fd, pid = 0;

	if ((fd = open(ap->ap_lock_path, O_RDONLY | O_CLOEXEC)) == -1)
		return 0;
	memset(&fl, 0, sizeof(fl));
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	if (fcntl(fd, F_GETLK, &fl) == 0 && fl.l_type != F_UNLCK)
		pid = (int)fl.l_pid;
	close(fd);
	return pid;
}

/*
 * Starts asyncreq-runner for this storage directory (runner.start_on_demand,
 * for shared hosting where no supervisor runs daemons): the program named
 * by runner.program, or the asyncreq-runner beside this executable, with
 * the same configuration file, detached in its own session. Waits up to
 * 2 s for it to take the lock. Returns its pid, or 0.
 */
static int
app_start_runner(struct app *ap)
{
	const struct config *cfg = ap->ap_cfg;
	char prog[4096], *slash;
	ssize_t n;
	pid_t pid;
	int64_t deadline;

	if (cfg->runner_program[0] != '\0')
		snprintf(prog, sizeof(prog), "%s", cfg->runner_program);
	else {
		if ((n = readlink("/proc/self/exe", prog, sizeof(prog) - 32)) <= 0)
			return 0;
		prog[n] = '\0';
		if ((slash = strrchr(prog, '/')) == NULL)
			return 0;
		strcpy(slash + 1, "asyncreq-runner");
	}
	if ((pid = fork()) == -1)
		return 0;
	if (pid == 0) {
		/* Double fork: the runner is no child of a worker that may
		 * be recycled, and has no controlling terminal. */
		setsid();
		if (fork() != 0)
			_exit(0);
		int fd = open("/dev/null", O_RDWR);
		if (fd != -1) {
			dup2(fd, 0);
			dup2(fd, 1);
			if (fd > 2)
				close(fd);
		}
		for (int i = 3; i < 1024; i++)
			close(i);
		execl(prog, prog, "-c", cfg->config_file, (char *)NULL);
		_exit(127);
	}
	waitpid(pid, NULL, 0);
	log_info("started the runner on demand: %s -c %s", prog,
	    cfg->config_file);
	for (deadline = time_mono_ms() + 2000; time_mono_ms() < deadline;
	    usleep(10000))
		if ((pid = app_runner_pid(ap)) != 0)
			return (int)pid;
	return 0;
}

/* Appends "key":"iso time" or "key":null. */
static int
put_time(struct buf *b, const char *key, int64_t ms)
{
	char when[32];

	if (ms == 0)
		return buf_printf(b, ",\"%s\":null", key);
	return buf_printf(b, ",\"%s\":\"%s\"", key, time_format_iso(ms, when));
}

/* Appends ,"key":"string". */
static int
put_str(struct buf *b, const char *key, const char *s)
{
	if (buf_printf(b, ",\"%s\":", key) == -1)
		return -1;
	return s ? buf_json_str(b, s, strlen(s)) : buf_puts(b, "null");
}

/* Appends the status object of t. Returns 0 or -1 out of memory. */
static int
status_object(struct buf *b, const struct task *t)
{
	double progress = t->t_progress;

	if (task_state_final(t->t_state))
		progress = 1.0;
	else if (t->t_state == TASK_QUEUED)
		progress = 0.0;
	else if (progress > 0.9999)
		progress = 0.9999;
	if (buf_puts(b, "{\"id\":") == -1 ||
	    buf_json_str(b, t->t_id, strlen(t->t_id)) == -1 ||
	    put_str(b, "status", task_state_name(t->t_state)) == -1 ||
	    put_str(b, "owner", t->t_owner) == -1 ||
	    put_str(b, "query", t->t_query) == -1 ||
	    put_str(b, "dtFieldName", t->t_dt_field) == -1 ||
	    put_str(b, "dtStart", t->t_dt_start) == -1 ||
	    put_str(b, "dtEnd", t->t_dt_end) == -1 ||
	    put_time(b, "rangeStart", t->t_range_start) == -1 ||
	    put_time(b, "rangeEnd", t->t_range_end) == -1 ||
	    buf_printf(b, ",\"calculateStats\":%s",
	    t->t_calc_stats ? "true" : "false") == -1 ||
	    put_str(b, "calculateExecutionCost", task_cost_name(t->t_cost)) ||
	    put_time(b, "createdAt", t->t_created) == -1 ||
	    put_time(b, "startedAt", t->t_started) == -1 ||
	    put_time(b, "finishedAt", t->t_finished) == -1 ||
	    put_time(b, "expiresAt", t->t_expires) == -1 ||
	    buf_printf(b, ",\"progress\":%.4g,\"scannedEvents\":%llu,"
	    "\"resultCount\":%llu", progress,
	    (unsigned long long)t->t_scanned,
	    (unsigned long long)t->t_results) == -1 ||
	    put_str(b, "error", task_state_final(t->t_state) ? t->t_error :
	    NULL) == -1 || buf_putc(b, '}') == -1)
		return -1;
	return 0;
}

/*
 * Loads task id for the caller. Returns AR_OK, or AR_ENOTFOUND for an
 * unknown id and for another user's task alike (answered the same way).
 */
int
handler_task_for_caller(struct app *ap, struct req *r, const char *id, struct task *t)
{
	int rc = store_task_get(ap->ap_store, id, t);

	if (rc != AR_OK)
		return rc;
	if (strcmp(t->t_owner, r->rq_user) != 0 &&
	    !config_is_admin(ap->ap_cfg, r->rq_user)) {
		task_clear(t);
		return AR_ENOTFOUND;
	}
	return AR_OK;
}

static void
reply_not_found(struct req *r, const char *id)
{
	char reason[160];

	snprintf(reason, sizeof(reason), "task '%.64s' not found", id);
	req_error(r, AR_ENOTFOUND, reason, NULL);
}

void
handler_reply_store_error(struct req *r, int rc, const char *id)
{
	if (rc == AR_ENOTFOUND)
		reply_not_found(r, id);
	else if (rc == AR_EFULL)
		req_error(r, AR_EFULL, "storage is full (storage.map_size or "
		    "the disk of storage.path); delete tasks to make room",
		    NULL);
	else
		req_error(r, AR_EINTERNAL, "internal error", NULL);
}

/*
 * Answers 405 for method m on r's path, naming allow (also its Allow
 * header; allow must outlive the answer: a literal).
 */
void
handler_refuse_method(struct req *r, const char *m, const char *allow)
{
	char reason[320];

	r->rq_allow = allow;
	snprintf(reason, sizeof(reason), "method %.16s is not allowed on "
	    "/%.200s; use %s", m, r->rq_path, allow);
	req_error(r, AR_EMETHOD, reason, NULL);
}

/*
 * Returns 1 after answering 401 when cfg requires a user and the web
 * server set none; else 0.
 */
int
handler_refuse_anonymous(const struct config *cfg, struct req *r)
{
	if (!cfg->auth_require_user || r->rq_has_user)
		return 0;
	req_error(r, AR_EAUTH, "authentication required: the web server "
	    "set no REMOTE_USER (auth.require_user = true)", NULL);
	return 1;
}

/*
 * Reads the body of r as a JSON object whose members are all named in the
 * NULL-terminated list known. Returns the object (a new reference: the
 * caller decrefs it), or NULL after answering the error (413, 500, 400
 * parse_exception, 400 illegal_argument_exception).
 */
json_t *
handler_body_object(struct app *ap, struct req *r, const char *const *known)
{
	const struct config *cfg = ap->ap_cfg;
	json_error_t jerr;
	json_t *body, *v;
	const char *key;
	char reason[512];
	int rc, i;

	rc = req_read_body(r, cfg->http_max_body_bytes);
	if (rc == AR_ETOOBIG) {
		snprintf(reason, sizeof(reason), "request body is larger than "
		    "http.max_body_bytes (%llu bytes)",
		    (unsigned long long)cfg->http_max_body_bytes);
		req_error(r, AR_ETOOBIG, reason, NULL);
		return NULL;
	}
	if (rc != AR_OK) {
		req_error(r, AR_EINTERNAL, "cannot read the request body", NULL);
		return NULL;
	}
	body = json_loadb(r->rq_body, r->rq_body_len, JSON_REJECT_DUPLICATES,
	    &jerr);
	if (body == NULL) {
		snprintf(reason, sizeof(reason), "request body is not valid "
		    "JSON: %s at line %d, column %d", jerr.text, jerr.line,
		    jerr.column);
		req_error(r, AR_EPARSE, reason, NULL);
		return NULL;
	}
	if (!json_is_object(body)) {
		snprintf(reason, sizeof(reason), "request body must be a JSON "
		    "object, not %s", json_type_name(body));
		req_error(r, AR_EPARSE, reason, NULL);
		goto fail;
	}
	json_object_foreach(body, key, v) {
		for (i = 0; known[i] && strcmp(key, known[i]) != 0; i++)
			;
		if (known[i] == NULL) {
			snprintf(reason, sizeof(reason), "unknown field "
			    "'%.200s' in request body", key);
			req_error(r, AR_EINVAL, reason, NULL);
			goto fail;
		}
	}
	return body;
fail:
	json_decref(body);
	return NULL;
}

/*
 * Returns the member name of body, which must be there and be a string
 * (borrowed from body), or NULL after answering 400
 * illegal_argument_exception.
 */
json_t *
handler_body_string(struct req *r, json_t *body, const char *name)
{
	char reason[256];
	json_t *v;

	if ((v = json_object_get(body, name)) == NULL) {
		snprintf(reason, sizeof(reason), "field '%s' is required",
		    name);
		req_error(r, AR_EINVAL, reason, NULL);
		return NULL;
	}
	if (!json_is_string(v)) {
		snprintf(reason, sizeof(reason), "field '%s' must be a string, "
		    "not %s", name, json_type_name(v));
		req_error(r, AR_EINVAL, reason, NULL);
		return NULL;
	}
	return v;
}

/*
 * Reads the optional boolean member name of body into *out (left as it is
 * when absent). Returns 0, or -1 after answering 400
 * illegal_argument_exception when it is not a boolean.
 */
int
handler_body_bool(struct req *r, json_t *body, const char *name, int *out)
{
	char reason[256];
	json_t *v;

	if ((v = json_object_get(body, name)) == NULL)
		return 0;
	if (!json_is_boolean(v)) {
		snprintf(reason, sizeof(reason), "field '%s' must be a "
		    "boolean, not %s", name, json_type_name(v));
		req_error(r, AR_EINVAL, reason, NULL);
		return -1;
	}
	*out = json_is_true(v);
	return 0;
}

/*
 * Reads a date field (string, or a number of epoch ms) of the create body
 * into a malloc'd text. Returns 0, or -1 with reason set.
 */
static int
body_date(json_t *v, const char *name, char **out, char *reason,
    size_t rlen)
{
	char num[32];

	if (json_is_string(v)) {
		*out = strdup(json_string_value(v));
		return *out ? 0 : -1;
	}
	if (json_is_integer(v)) {
		snprintf(num, sizeof(num), "%lld",
		    (long long)json_integer_value(v));
		*out = strdup(num);
		return *out ? 0 : -1;
	}
	snprintf(reason, rlen, "field '%s' must be a string or a number of "
	    "epoch milliseconds, not %s", name, json_type_name(v));
	return -1;
}

/* POST request: validates the body, parses the query, stores the task. */
static void
handle_create(struct app *ap, struct req *r)
{
	static const char *const known[] = {"query", "dtFieldName", "dtStart",
	    "dtEnd", "calculateStats", "calculateExecutionCost", NULL};
	const struct config *cfg = ap->ap_cfg;
	struct task t;
	struct sml_query *q = NULL;
	struct sml_error perr;
	struct sml_limits lim;
	struct buf b = BUF_INIT;
	json_t *body, *v;
	char reason[768], why[256], extra[128], a[32], z[32];
	int rc;

	memset(&t, 0, sizeof(t));
	if ((body = handler_body_object(ap, r, known)) == NULL)
		return;
	/* query */
	if ((v = handler_body_string(r, body, "query")) == NULL)
		goto out;
	t.t_query = strdup(json_string_value(v));
	/* dtFieldName */
	if ((v = json_object_get(body, "dtFieldName")) != NULL &&
	    (!json_is_string(v) || json_string_length(v) == 0 ||
	    json_string_length(v) > 256)) {
		snprintf(reason, sizeof(reason), "field 'dtFieldName' must be a "
		    "non-empty string of at most 256 bytes");
		req_error(r, AR_EINVAL, reason, NULL);
		goto out;
	}
	t.t_dt_field = strdup(v ? json_string_value(v) : cfg->dt_field_name);
	/* dtStart, dtEnd */
	if ((v = json_object_get(body, "dtStart")) != NULL) {
		if (body_date(v, "dtStart", &t.t_dt_start, reason,
		    sizeof(reason)) == -1) {
			req_error(r, AR_EINVAL, reason, NULL);
			goto out;
		}
	} else
		t.t_dt_start = strdup(cfg->dt_start);
	if ((v = json_object_get(body, "dtEnd")) != NULL) {
		if (body_date(v, "dtEnd", &t.t_dt_end, reason,
		    sizeof(reason)) == -1) {
			req_error(r, AR_EINVAL, reason, NULL);
			goto out;
		}
	} else
		t.t_dt_end = strdup(cfg->dt_end);
	/* calculateStats, calculateExecutionCost */
	if (handler_body_bool(r, body, "calculateStats", &t.t_calc_stats) ==
	    -1)
		goto out;
	if ((v = json_object_get(body, "calculateExecutionCost")) != NULL) {
		const char *s = json_string_value(v);

		if (s && strcasecmp(s, "OFF") == 0)
			t.t_cost = COST_OFF;
		else if (s && strcasecmp(s, "INFO") == 0)
			t.t_cost = COST_INFO;
		else if (s && strcasecmp(s, "DEBUG") == 0)
			t.t_cost = COST_DEBUG;
		else {
			snprintf(reason, sizeof(reason), "field "
			    "'calculateExecutionCost' must be one of \"OFF\", "
			    "\"INFO\", \"DEBUG\"");
			req_error(r, AR_EINVAL, reason, NULL);
			goto out;
		}
	}
	if (t.t_query == NULL || t.t_dt_field == NULL || t.t_dt_start == NULL ||
	    t.t_dt_end == NULL || (t.t_owner = strdup(r->rq_user)) == NULL) {
		req_error(r, AR_ENOMEM, "out of memory", NULL);
		goto out;
	}
	/* Dates: now is fixed here, once, for the life of the task. */
	t.t_now = t.t_created = time_now_ms();
	if (datemath_parse(t.t_dt_start, t.t_now, &t.t_range_start, why,
	    sizeof(why)) == -1) {
		snprintf(reason, sizeof(reason), "dtStart '%.200s' is not a "
		    "valid date: %s", t.t_dt_start, why);
		req_error(r, AR_EINVAL, reason, NULL);
		goto out;
	}
	if (datemath_parse(t.t_dt_end, t.t_now, &t.t_range_end, why,
	    sizeof(why)) == -1) {
		snprintf(reason, sizeof(reason), "dtEnd '%.200s' is not a "
		    "valid date: %s", t.t_dt_end, why);
		req_error(r, AR_EINVAL, reason, NULL);
		goto out;
	}
	if (t.t_range_start > t.t_range_end) {
		snprintf(reason, sizeof(reason), "dtStart (%s) is after dtEnd "
		    "(%s)", time_format_iso(t.t_range_start, a),
		    time_format_iso(t.t_range_end, z));
		req_error(r, AR_EINVAL, reason, NULL);
		goto out;
	}
	/* The query must parse before anything is stored. */
	lim.sl_max_qsize = cfg->limits_max_qsize;
	lim.sl_max_query_bytes = (size_t)cfg->limits_max_query_bytes;
	if (sml_parse(t.t_query, strlen(t.t_query), &lim, &q, &perr) == -1) {
		snprintf(extra, sizeof(extra), "\"line\":%d,\"column\":%d,"
		    "\"position\":%zu", perr.se_line, perr.se_column,
		    perr.se_position);
		req_error(r, AR_EQUERY, perr.se_msg, extra);
		goto out;
	}
	sml_query_free(q);
	if (app_runner_pid(ap) == 0 && (!cfg->runner_start_on_demand ||
	    app_start_runner(ap) == 0)) {
		req_error(r, AR_EUNAVAIL, "the runner is not running: no "
		    "asyncreq-runner holds the lock of this storage directory; "
		    "start asyncreq-runner", NULL);
		goto out;
	}
	rc = store_task_create(ap->ap_store, &t, reason, sizeof(reason));
	if (rc != AR_OK) {
		req_error(r, rc, reason, NULL);
		goto out;
	}
	app_wake_runner(ap);
	if (buf_puts(&b, "{\"id\":") == 0 &&
	    buf_json_str(&b, t.t_id, strlen(t.t_id)) == 0 &&
	    buf_puts(&b, ",\"status\":\"QUEUED\"}") == 0)
		req_reply(r, 201, &b);
	else
		req_error(r, AR_ENOMEM, "out of memory", NULL);
out:
	buf_free(&b);
	task_clear(&t);
	json_decref(body);
}

/* GET status/{id} */
static void
handle_status_one(struct app *ap, struct req *r, const char *id)
{
	struct buf b = BUF_INIT;
	struct task t;
	int rc;

	if ((rc = handler_task_for_caller(ap, r, id, &t)) != AR_OK) {
		handler_reply_store_error(r, rc, id);
		return;
	}
	if (status_object(&b, &t) == 0)
		req_reply(r, 200, &b);
	else
		req_error(r, AR_ENOMEM, "out of memory", NULL);
	task_clear(&t);
	buf_free(&b);
}

struct list_ctx {
	struct buf *lc_buf;
	int lc_n;
	int lc_err;
};

static int
list_cb(void *arg, const struct task *t)
{
	struct list_ctx *lc = arg;

	if ((lc->lc_n++ && buf_putc(lc->lc_buf, ',') == -1) ||
	    status_object(lc->lc_buf, t) == -1) {
		lc->lc_err = 1;
		return -1;
	}
	return 0;
}

/* GET status[?status=STATE] */
static void
handle_status_all(struct app *ap, struct req *r)
{
	static const char *const allowed[] = {"status", NULL};
	struct buf b = BUF_INIT;
	struct list_ctx lc = {&b, 0, 0};
	char reason[256], *want = NULL;
	int state = -1;

	if (req_query_check(r, allowed, reason, sizeof(reason)) == -1) {
		req_error(r, AR_EINVAL, reason, NULL);
		return;
	}
	if (req_query_get(r, "status", &want)) {
		if ((state = task_state_parse(want)) < 0) {
			snprintf(reason, sizeof(reason), "status '%.64s' is not "
			    "one of QUEUED, RUNNING, DONE, FAILED, CANCELLED",
			    want);
			free(want);
			req_error(r, AR_EINVAL, reason, NULL);
			return;
		}
		free(want);
	}
	buf_puts(&b, "{\"tasks\":[");
	store_task_list(ap->ap_store, config_is_admin(ap->ap_cfg, r->rq_user) ?
	    NULL : r->rq_user, state, list_cb, &lc);
	if (lc.lc_err || buf_puts(&b, "]}") == -1)
		req_error(r, AR_ENOMEM, "out of memory", NULL);
	else
		req_reply(r, 200, &b);
	buf_free(&b);
}

/*
 * Parses a from/to parameter: digits only, fitting in 64 bits. Returns 0,
 * 1 when absent, or -1 with a reason.
 */
static int
range_param(struct req *r, const char *name, uint64_t *out, char *reason,
    size_t rlen)
{
	char *v, *end;
	unsigned long long n;

	if (!req_query_get(r, name, &v))
		return 1;
	errno = 0;
	n = strtoull(v, &end, 10);
	if (*v == '\0' || strspn(v, "0123456789") != strlen(v) || errno) {
		snprintf(reason, rlen, "'%s' must be a non-negative integer "
		    "that fits in 64 bits, not '%.40s'", name, v);
		free(v);
		return -1;
	}
	free(v);
	*out = n;
	return 0;
}

/* Streaming state of a response/{id} reply. */
struct resp_ctx {
	struct req *rc_req;
	struct buf rc_head;
	uint64_t rc_n;
};

static int
resp_begin(void *arg, const struct task *t, uint64_t from, uint64_t to)
{
	struct resp_ctx *rc = arg;
	struct buf *b = &rc->rc_head;

	if (buf_puts(b, "{\"id\":") == -1 ||
	    buf_json_str(b, t->t_id, strlen(t->t_id)) == -1 ||
	    buf_printf(b, ",\"status\":\"%s\",\"isPartial\":%s,\"total\":%llu,"
	    "\"from\":%llu,\"to\":%llu,\"events\":[",
	    task_state_name(t->t_state),
	    task_state_final(t->t_state) ? "false" : "true",
	    (unsigned long long)t->t_results, (unsigned long long)from,
	    (unsigned long long)to) == -1)
		return -1;
	req_begin(rc->rc_req, 200, JSON_TYPE, NULL);
	return req_write(rc->rc_req, b->b_data, b->b_len);
}

static int
resp_event(void *arg, const char *json, size_t len)
{
	struct resp_ctx *rc = arg;

	if (rc->rc_n++ && req_write(rc->rc_req, ",", 1) == -1)
		return -1;
	return req_write(rc->rc_req, json, len);
}

/*
 * Appends ,"name":<the task's stats document of kind>, or null while the
 * task is not final (the documents are written as it ends).
 */
static void
resp_doc(struct app *ap, struct buf *b, const struct task *t,
    const char *name, const char *kind)
{
	char *doc = NULL;
	size_t len;

	buf_printf(b, ",\"%s\":", name);
	if (task_state_final(t->t_state) &&
	    store_stats_get(ap->ap_store, t->t_id, kind, &doc, &len) == AR_OK)
		buf_append(b, doc, len);
	else
		buf_puts(b, "null");
	free(doc);
}

/* GET response/{id}?from&to: streams the results from the result pages. */
static void
handle_response(struct app *ap, struct req *r, const char *id)
{
	static const char *const allowed[] = {"from", "to", NULL};
	struct resp_ctx rc = {r, BUF_INIT, 0};
	struct task t;
	uint64_t from = 0, to = UINT64_MAX;
	char reason[256];
	int hf, ht, e;

	if (req_query_check(r, allowed, reason, sizeof(reason)) == -1) {
		req_error(r, AR_EINVAL, reason, NULL);
		return;
	}
	if ((hf = range_param(r, "from", &from, reason, sizeof(reason))) < 0 ||
	    (ht = range_param(r, "to", &to, reason, sizeof(reason))) < 0) {
		req_error(r, AR_EINVAL, reason, NULL);
		return;
	}
	if (hf == 0 && ht == 0 && from > to) {
		snprintf(reason, sizeof(reason), "'from' (%llu) is greater than "
		    "'to' (%llu)", (unsigned long long)from,
		    (unsigned long long)to);
		req_error(r, AR_EINVAL, reason, NULL);
		return;
	}
	/* Ownership first, so another user's id is a plain 404. */
	if ((e = handler_task_for_caller(ap, r, id, &t)) != AR_OK) {
		handler_reply_store_error(r, e, id);
		return;
	}
	task_clear(&t);
	e = store_results_read(ap->ap_store, id, from, to, &t, resp_begin,
	    resp_event, &rc);
	if (e != AR_OK && !r->rq_started)
		handler_reply_store_error(r, e, id);
	else if (r->rq_started) {
		struct buf tail = BUF_INIT;

		buf_puts(&tail, "]");
		if (t.t_calc_stats) {
			resp_doc(ap, &tail, &t, "sidebar", "sidebar");
			resp_doc(ap, &tail, &t, "timeline", "timeline");
		}
		if (t.t_cost != COST_OFF)
			resp_doc(ap, &tail, &t, "executionCost", "cost");
		buf_puts(&tail, "}");
		req_write(r, tail.b_data, tail.b_len);
		buf_free(&tail);
	}
	task_clear(&t);
	buf_free(&rc.rc_head);
}

struct logs_ctx {
	struct req *lg_req;
	int lg_n;
};

static int
logs_line(void *arg, const char *json, size_t len)
{
	struct logs_ctx *lg = arg;

	if (lg->lg_n++ && req_write(lg->lg_req, ",", 1) == -1)
		return -1;
	return req_write(lg->lg_req, json, len);
}

/* GET logs/{id} */
static void
handle_logs(struct app *ap, struct req *r, const char *id)
{
	struct logs_ctx lg = {r, 0};
	struct buf b = BUF_INIT;
	struct task t;
	int rc;

	if ((rc = handler_task_for_caller(ap, r, id, &t)) != AR_OK) {
		handler_reply_store_error(r, rc, id);
		return;
	}
	task_clear(&t);
	buf_puts(&b, "{\"id\":");
	buf_json_str(&b, id, strlen(id));
	buf_puts(&b, ",\"logs\":[");
	req_begin(r, 200, JSON_TYPE, NULL);
	req_write(r, b.b_data, b.b_len);
	store_log_read(ap->ap_store, id, logs_line, &lg);
	req_write(r, "]}", 2);
	buf_free(&b);
}

/*
 * Waits up to runner.cancel_latency_ms for task id to leave RUNNING.
 * Returns its state then (RUNNING when it did not stop in time), or -1
 * when it vanished.
 */
static int
break_wait(struct app *ap, const char *id)
{
	int64_t deadline = time_mono_ms() + ap->ap_cfg->runner_cancel_latency_ms;
	struct task t;
	int state;

	for (;;) {
		if (store_task_get(ap->ap_store, id, &t) != AR_OK)
			return -1;
		state = (int)t.t_state;
		task_clear(&t);
		if (state != TASK_RUNNING || time_mono_ms() >= deadline)
			return state;
		usleep(5000);
	}
}

/* POST break/{id} */
static void
handle_break_one(struct app *ap, struct req *r, const char *id)
{
	struct buf b = BUF_INIT;
	enum task_state st;
	struct task t;
	char reason[160], why[160];
	int rc, state;

	if ((rc = handler_task_for_caller(ap, r, id, &t)) != AR_OK) {
		handler_reply_store_error(r, rc, id);
		return;
	}
	/* Say who cancelled: the owner, or an admin by name. */
	if (strcmp(t.t_owner, r->rq_user) == 0)
		snprintf(why, sizeof(why), "cancelled by the user");
	else
		snprintf(why, sizeof(why), "cancelled by admin %.128s",
		    r->rq_user);
	task_clear(&t);
	rc = store_task_break(ap->ap_store, id, why, &st);
	if (rc == AR_ESTATE) {
		snprintf(reason, sizeof(reason), "task '%s' has already "
		    "finished (%s)", id, task_state_name(st));
		req_error(r, AR_ESTATE, reason, NULL);
		return;
	}
	if (rc != AR_OK) {
		handler_reply_store_error(r, rc, id);
		return;
	}
	app_wake_runner(ap);
	state = st == TASK_RUNNING ? break_wait(ap, id) : (int)st;
	if (state < 0) {
		reply_not_found(r, id);
		return;
	}
	buf_puts(&b, "{\"id\":");
	buf_json_str(&b, id, strlen(id));
	buf_printf(&b, ",\"status\":\"%s\"}", state == TASK_RUNNING ?
	    "CANCELLING" : task_state_name((enum task_state)state));
	req_reply(r, state == TASK_RUNNING ? 202 : 200, &b);
	buf_free(&b);
}

struct ids {
	char (*id_v)[TASK_ID_LEN + 1];
	size_t id_n;
	size_t id_cap;
};

static int
ids_cb(void *arg, const struct task *t)
{
	struct ids *ids = arg;
	void *p;

	if (task_state_final(t->t_state))
		return 0;
	if (ids->id_n == ids->id_cap) {
		size_t cap = ids->id_cap ? ids->id_cap * 2 : 16;
		if ((p = realloc(ids->id_v, cap * sizeof(*ids->id_v))) == NULL)
			return -1;
		ids->id_v = p;
		ids->id_cap = cap;
	}
	memcpy(ids->id_v[ids->id_n++], t->t_id, TASK_ID_LEN + 1);
	return 0;
}

/* POST break: stops every unfinished task of the caller. */
static void
handle_break_all(struct app *ap, struct req *r)
{
	struct ids ids = {NULL, 0, 0};
	struct buf b = BUF_INIT;
	enum task_state st;
	size_t n = 0;

	store_task_list(ap->ap_store, r->rq_user, -1, ids_cb, &ids);
	buf_puts(&b, "{\"cancelled\":[");
	for (size_t i = 0; i < ids.id_n; i++) {
		if (store_task_break(ap->ap_store, ids.id_v[i],
		    "cancelled by the user", &st) != AR_OK)
			continue;
		if (n++)
			buf_putc(&b, ',');
		buf_json_str(&b, ids.id_v[i], strlen(ids.id_v[i]));
	}
	buf_puts(&b, "]}");
	if (n > 0) {
		app_wake_runner(ap);
		for (size_t i = 0; i < ids.id_n; i++)
			break_wait(ap, ids.id_v[i]);
	}
	req_reply(r, 200, &b);
	buf_free(&b);
	free(ids.id_v);
}

/* DELETE delete/{id} */
static void
handle_delete(struct app *ap, struct req *r, const char *id)
{
	struct buf b = BUF_INIT;
	struct task t;
	int rc;

	if ((rc = handler_task_for_caller(ap, r, id, &t)) != AR_OK) {
		handler_reply_store_error(r, rc, id);
		return;
	}
	task_clear(&t);
	if ((rc = store_task_delete(ap->ap_store, id)) != AR_OK) {
		handler_reply_store_error(r, rc, id);
		return;
	}
	buf_puts(&b, "{\"id\":");
	buf_json_str(&b, id, strlen(id));
	buf_puts(&b, ",\"deleted\":true}");
	req_reply(r, 200, &b);
	buf_free(&b);
}

/* GET health: for monitoring; no user needed. */
static void
handle_health(struct app *ap, struct req *r)
{
	struct buf b = BUF_INIT;
	uint64_t queued = 0, running = 0, used = 0, map = 0, avail = 0;
	int pid = app_runner_pid(ap), degraded, disk_full = 0;
	double pct;

	store_queue_counts(ap->ap_store, &queued, &running);
	store_space(ap->ap_store, &used, &map);
	/* The disk as well as the map: a map larger than the free disk
	 * fills the disk first. */
	store_disk(ap->ap_store, &avail, &disk_full);
	pct = map ? 100.0 * (double)used / (double)map : 0.0;
	degraded = pid == 0 || pct > 90.0 || disk_full;
	buf_printf(&b, "{\"status\":\"%s\",\"runner\":{\"pid\":",
	    degraded ? "degraded" : "ok");
	buf_printf(&b, pid ? "%d" : "null", pid);
	buf_printf(&b, ",\"alive\":%s},\"queue\":{\"queued\":%llu,"
	    "\"running\":%llu},\"storage\":{\"used_bytes\":%llu,"
	    "\"map_bytes\":%llu,\"percent\":%.1f,\"disk_free_bytes\":%llu,"
	    "\"disk_full\":%s}}", pid ? "true" : "false",
	    (unsigned long long)queued, (unsigned long long)running,
	    (unsigned long long)used, (unsigned long long)map, pct,
	    (unsigned long long)avail, disk_full ? "true" : "false");
	req_reply(r, degraded ? 503 : 200, &b);
	buf_free(&b);
}

/*
 * GET whoami: the caller as asyncreq sees it, for the search page's
 * header: {"user": NAME, "admin": BOOL}. NAME is REMOTE_USER, or
 * "anonymous" without one.
 */
static void
handle_whoami(struct app *ap, struct req *r)
{
	struct buf b = BUF_INIT;

	buf_puts(&b, "{\"user\":");
	buf_json_str(&b, r->rq_user, strlen(r->rq_user));
	buf_printf(&b, ",\"admin\":%s}", config_is_admin(ap->ap_cfg,
	    r->rq_user) ? "true" : "false");
	req_reply(r, 200, &b);
	buf_free(&b);
}

/*
 * The routing table: endpoint name, method, whether an id follows, and the
 * request headers it needs against cross-site request forgery.
 */
enum id_rule { ID_NONE, ID_REQUIRED };
enum csrf_rule {
	CSRF_NONE,	/* GET: changes nothing */
	CSRF_BODY,	/* takes a JSON body: Content-Type application/json,
			 * which no cross-site form can send */
	CSRF_HEADER	/* changes state without a body: X-Requested-With,
			 * or an Origin equal to the request's own */
};
static const struct route {
	const char *rt_name;
	const char *rt_method;
	enum id_rule rt_id;
	int rt_no_user;	/* answered without a user (health) */
	enum csrf_rule rt_csrf;
} routes[] = {
	{"request", "POST", ID_NONE, 0, CSRF_BODY},
	{"status", "GET", ID_REQUIRED, 0, CSRF_NONE},
	{"status", "GET", ID_NONE, 0, CSRF_NONE},
	{"response", "GET", ID_REQUIRED, 0, CSRF_NONE},
	{"logs", "GET", ID_REQUIRED, 0, CSRF_NONE},
	{"break", "POST", ID_REQUIRED, 0, CSRF_HEADER},
	{"break", "POST", ID_NONE, 0, CSRF_HEADER},
	{"delete", "DELETE", ID_REQUIRED, 0, CSRF_HEADER},
	{"file_download", "POST", ID_REQUIRED, 0, CSRF_BODY},
	{"health", "GET", ID_NONE, 1, CSRF_NONE},
	{"whoami", "GET", ID_NONE, 0, CSRF_NONE},
};

/*
 * Checks the request headers route rt needs against cross-site request
 * forgery (docs/api.md, "Request headers"). Returns 0, or -1 after
 * answering 415 (a body that is not typed application/json) or 403 (a
 * state change without X-Requested-With or a same-origin Origin).
 */
static int
csrf_check(struct req *r, const struct route *rt)
{
	int has_body = r->rq_has_length && r->rq_content_length > 0;

	if ((rt->rt_csrf == CSRF_BODY || (has_body && rt->rt_csrf !=
	    CSRF_NONE)) && !req_content_type_json(r)) {
		req_error(r, AR_EMEDIA, *r->rq_content_type ? "the request "
		    "body must be sent with Content-Type: application/json" :
		    "the request body must be sent with Content-Type: "
		    "application/json (no Content-Type was given)", NULL);
		return -1;
	}
	if (rt->rt_csrf == CSRF_HEADER && !r->rq_has_xrw &&
	    !(r->rq_has_origin && req_origin_same(r))) {
		req_error(r, AR_EFORBIDDEN, r->rq_has_origin ? "cross-site "
		    "request refused: the Origin header is not the origin of "
		    "this service; send X-Requested-With or a same-origin "
		    "Origin header" : "cross-site request refused: a request "
		    "that changes state must send an X-Requested-With header "
		    "(any value) or a same-origin Origin header", NULL);
		return -1;
	}
	return 0;
}

/*
 * Writes one access log line (method, path, status, body bytes, duration,
 * user) to stderr or syslog, as http.access_log says.
 */
static void
access_log(struct app *ap, struct req *r)
{
	const char *to = ap->ap_cfg->http_access_log;
	long long ms = (long long)(time_mono_ms() - r->rq_t0);
	/* The ingest API's paths keep their leading '/'. */
	const char *slash = r->rq_path[0] == '/' ? "" : "/";

	if (strcmp(to, "stderr") == 0)
		log_msg(LOG_LVL_INFO, "%s %s%s %d %llu %lldms user=%s",
		    r->rq_method, slash, r->rq_path, r->rq_status,
		    (unsigned long long)r->rq_bytes, ms, r->rq_user);
	else if (strcmp(to, "syslog") == 0)
		syslog(LOG_INFO, "%s %s%s %d %llu %lldms user=%s", r->rq_method,
		    slash, r->rq_path, r->rq_status,
		    (unsigned long long)r->rq_bytes, ms, r->rq_user);
}

void
handle_request(struct app *ap, struct req *r)
{
	static const char *const none[] = {NULL};
	char path[512], reason[700], *id, *slash;
	const struct route *rt = NULL;
	int name_known = 0, has_id;
	size_t len;

	/* Nothing that is not UTF-8 may reach a reply: say what it is, and
	 * do not quote it. */
	if (r->rq_invalid) {
		snprintf(reason, sizeof(reason), "%s is not valid UTF-8",
		    r->rq_invalid);
		req_error(r, AR_EINVAL, reason, NULL);
		goto out;
	}
	if (r->rq_bad_user) {
		req_error(r, AR_EFORBIDDEN, "the user name (REMOTE_USER) is not "
		    "valid UTF-8", NULL);
		goto out;
	}
	if (r->rq_api_ingest) {
		handle_ingest(ap, r);
		goto out;
	}
	if (handle_lookups(ap, r))
		goto out;
	if (handle_saved(ap, r))
		goto out;
	if (strncmp(r->rq_path, PREFIX, strlen(PREFIX)) != 0 ||
	    strlen(r->rq_path) >= sizeof(path)) {
		snprintf(reason, sizeof(reason), "no such endpoint: /%.200s",
		    r->rq_path);
		req_error(r, AR_ENOTFOUND, reason, NULL);
		goto out;
	}
	strcpy(path, r->rq_path + strlen(PREFIX));
	len = strlen(path);
	if (len > 0 && path[len - 1] == '/')	/* "status/" == "status" */
		path[--len] = '\0';
	id = NULL;
	if ((slash = strchr(path, '/')) != NULL) {
		*slash = '\0';
		id = slash + 1;
	}
	has_id = id != NULL;
	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		if (strcmp(routes[i].rt_name, path) != 0)
			continue;
		name_known = 1;
		if ((routes[i].rt_id == ID_REQUIRED) == has_id) {
			rt = &routes[i];
			break;
		}
	}
	if (rt == NULL || (id && (*id == '\0' || strchr(id, '/')))) {
		snprintf(reason, sizeof(reason), "no such endpoint: /%.200s%s",
		    r->rq_path, name_known && !has_id ?
		    " (this endpoint needs a task id)" : "");
		req_error(r, AR_ENOTFOUND, reason, NULL);
		goto out;
	}
	if (strcmp(r->rq_method, rt->rt_method) != 0) {
		handler_refuse_method(r, r->rq_method, rt->rt_method);
		goto out;
	}
	if (!rt->rt_no_user && handler_refuse_anonymous(ap->ap_cfg, r))
		goto out;
	if (csrf_check(r, rt) == -1)
		goto out;
	if (id && !util_task_id_ok(id)) {
		reply_not_found(r, id);
		goto out;
	}
	/* Endpoints other than status and response take no parameters. */
	if (strcmp(rt->rt_name, "response") != 0 && !(rt->rt_id == ID_NONE &&
	    strcmp(rt->rt_name, "status") == 0) &&
	    req_query_check(r, none, reason, sizeof(reason)) == -1) {
		req_error(r, AR_EINVAL, reason, NULL);
		goto out;
	}
	if (strcmp(rt->rt_name, "request") == 0)
		handle_create(ap, r);
	else if (strcmp(rt->rt_name, "status") == 0)
		id ? handle_status_one(ap, r, id) : handle_status_all(ap, r);
	else if (strcmp(rt->rt_name, "response") == 0)
		handle_response(ap, r, id);
	else if (strcmp(rt->rt_name, "logs") == 0)
		handle_logs(ap, r, id);
	else if (strcmp(rt->rt_name, "break") == 0)
		id ? handle_break_one(ap, r, id) : handle_break_all(ap, r);
	else if (strcmp(rt->rt_name, "delete") == 0)
		handle_delete(ap, r, id);
	else if (strcmp(rt->rt_name, "health") == 0)
		handle_health(ap, r);
	else if (strcmp(rt->rt_name, "whoami") == 0)
		handle_whoami(ap, r);
	else
		handle_download(ap, r, id);
out:
	access_log(ap, r);
}

/* Returns 1 when a runner holds the lock (started on demand if so set). */
int
handler_runner_ready(struct app *ap)
{
	return app_runner_pid(ap) != 0 || (ap->ap_cfg->runner_start_on_demand &&
	    app_start_runner(ap) != 0);
}

void
handler_wake_runner(struct app *ap)
{
	app_wake_runner(ap);
}
