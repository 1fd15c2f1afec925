/* handlers.h - routing and the endpoints of the Background Tasks API. */
#ifndef AR_HANDLERS_H
#define AR_HANDLERS_H

#include <sys/un.h>

struct config;
struct evstore;
struct store;
struct req;

/* What a worker keeps between requests (opened after fork). */
struct app {
	const struct config *ap_cfg;
	struct store *ap_store;
	int ap_wake_fd;			/* datagram socket to wake the runner */
	struct sockaddr_un ap_wake_addr;
	int ap_wake_ok;
	char ap_lock_path[4200];	/* STORAGE/runner.lock */
	struct evstore *ap_events;	/* event store, opened by the first
					 * ingest request (ingest.c) */
};

/* Opens the task store for this process. Returns 0, or -1 with err. */
int app_open(struct app *, const struct config *, char *err, size_t errlen);
void app_close(struct app *);

/* Answers one request completely (writes status, headers and body). */
void handle_request(struct app *, struct req *);

/*
 * Loads task id when the caller may see it (its owner or an admin).
 * Returns AR_OK with *t filled (caller clears), or AR_ENOTFOUND for an
 * unknown id and another user's task alike.
 */
struct task;
int handler_task_for_caller(struct app *, struct req *, const char *id,
    struct task *t);
/* Answers a store error code (404, 503, 500) for task id. */
void handler_reply_store_error(struct req *, int rc, const char *id);

/*
 * Answers 405 for method m, naming allow (a literal: it outlives the
 * answer as the Allow header).
 */
void handler_refuse_method(struct req *, const char *m, const char *allow);

/* Returns 1 after answering 401 when a user is required and none is set. */
int handler_refuse_anonymous(const struct config *, struct req *);

/* Request bodies (JSON objects); common/jsontype.h names a value's type. */
struct json_t;
/*
 * Reads the body as a JSON object whose members are all named in the
 * NULL-terminated list known. Returns the object (a new reference: the
 * caller decrefs it), or NULL after answering the error (413 when larger
 * than http.max_body_bytes, 500 when it cannot be read, 400
 * parse_exception when it is not a JSON object, 400
 * illegal_argument_exception for an unknown member).
 */
struct json_t *handler_body_object(struct app *, struct req *,
    const char *const *known);
/*
 * Returns the member name of body, which must be there and be a string
 * (borrowed from body), or NULL after answering 400
 * illegal_argument_exception ("field 'x' is required", "field 'x' must be
 * a string, not ...").
 */
struct json_t *handler_body_string(struct req *, struct json_t *body,
    const char *name);
/*
 * Reads the optional boolean member name of body into *out (left as it is
 * when absent). Returns 0, or -1 after answering 400
 * illegal_argument_exception when it is not a boolean.
 */
int handler_body_bool(struct req *, struct json_t *body, const char *name,
    int *out);

/*
 * The Elasticsearch-compatible ingest API (ingest.c): answers any request
 * that came through a server block setting ASYNCREQ_API=ingest.
 */
void handle_ingest(struct app *, struct req *);

/* POST file_download/{id}: the task's results as a file (download.c). */
void handle_download(struct app *, struct req *, const char *id);
/*
 * Answers a request under _sme/lookups (lookups.c): returns 1 when the
 * path is one of it (the request is answered), 0 when it is not.
 */
int handle_lookups(struct app *, struct req *);
/*
 * Answers a request under _sme/saved_searches (saved.c): returns 1 when
 * the path is one of it (the request is answered), 0 when it is not.
 */
int handle_saved(struct app *, struct req *);
/*
 * Returns 1 when an asyncreq-runner holds the runner lock (starting one
 * when runner.start_on_demand is set), else 0.
 */
int handler_runner_ready(struct app *);
/* Nudges the runner (a lost datagram costs its poll interval). */
void handler_wake_runner(struct app *);

#endif
