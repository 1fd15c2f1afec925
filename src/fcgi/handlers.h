/* handlers.h - routing and the endpoints of the Background Tasks API. */
#ifndef AR_HANDLERS_H
#define AR_HANDLERS_H

#include <sys/un.h>

struct config;
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

/* POST file_download/{id}: the task's results as a file (download.c). */
void handle_download(struct app *, struct req *, const char *id);

#endif
