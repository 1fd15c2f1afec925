/* alert.h - alerts on a run's results: the spec, firing, the durable
 * delivery queue (webhook, email) and the history (docs/alerts.md). */
#ifndef AR_ALERT_H
#define AR_ALERT_H

#include <stddef.h>
#include <stdint.h>

struct config;
struct store;

/* Bounds of a spec (docs/alerts.md, "Limits"). */
#define ALERT_NAME_MAX		100	/* bytes of an alert's name */
#define ALERT_WHERE_MAX		4096	/* bytes of a where expression */
#define ALERT_FIELD_MAX		256	/* bytes of the throttle field name */
#define ALERT_URL_MAX		2048	/* bytes of a webhook url */
#define ALERT_SUBJECT_MAX	200	/* bytes of a mail subject */
#define ALERT_ADDR_MAX		254	/* bytes of one mail address */
#define ALERT_ACTIONS_MAX	8
#define ALERT_TO_MAX		20	/* addresses of one email action */
#define ALERT_SPEC_MAX		65536	/* bytes of the spec's JSON text */
#define ALERT_WEBHOOK_ROWS_MAX	1000	/* results in a webhook document */
#define ALERT_WEBHOOK_ROWS_DEF	10
#define ALERT_MAIL_ROWS_MAX	1000000	/* rows of a mail attachment */
#define ALERT_MAIL_ROWS_DEF	10000
#define ALERT_THROTTLE_MAX	(366LL * 86400)	/* seconds */

enum alert_cond { ALERT_COND_ALWAYS, ALERT_COND_RESULTS, ALERT_COND_WHERE };
enum alert_cmp { ALERT_GT, ALERT_GE, ALERT_LT, ALERT_LE, ALERT_EQ, ALERT_NE };
enum alert_kind { ALERT_WEBHOOK, ALERT_EMAIL };
enum alert_attach { ALERT_ATTACH_NONE, ALERT_ATTACH_CSV, ALERT_ATTACH_XLSX };

/* One action. Strings are owned by the spec. */
struct alert_action {
	enum alert_kind aa_kind;
	char *aa_url;		/* webhook: http://host[:port]/path */
	char **aa_to;		/* email: the recipients */
	size_t aa_nto;
	char *aa_subject;	/* email: NULL for the default */
	enum alert_attach aa_attach;
	uint64_t aa_results;	/* webhook: results in the document; email:
				 * rows in the attachment */
};

struct alert_where;

/*
 * A parsed alert spec (the member "alert" of a saved search). Owned by the
 * caller; alert_spec_free() releases what it holds.
 */
struct alert_spec {
	enum alert_cond as_cond;
	enum alert_cmp as_cmp;		/* RESULTS */
	int64_t as_value;		/* RESULTS */
	char *as_where;			/* WHERE: the expression text */
	struct alert_where *as_expr;	/* WHERE: compiled */
	int64_t as_throttle;		/* seconds; 0 = no throttling */
	char *as_throttle_field;	/* NULL: the alert as a whole */
	struct alert_action *as_actions;
	size_t as_nactions;
};

/*
 * Parses and checks the JSON text of a spec (len bytes) into *spec
 * (zeroed first), compiling a where condition with the SML expression
 * parser. Returns 0, or -1 with a message naming the member at fault in
 * err ("alert.actions[1].url: only http:// urls are supported"); *spec
 * is then empty.
 */
int alert_spec_parse(const char *json, size_t len, struct alert_spec *spec,
    char *err, size_t errlen);
void alert_spec_free(struct alert_spec *);

/*
 * Returns 1 when n results meet a RESULTS condition (always 1 for ALWAYS;
 * for WHERE, 1 when n > 0, n being the rows that matched).
 */
int alert_count_met(const struct alert_spec *, uint64_t n);

/*
 * Evaluates a WHERE condition on one result row (JSON object text, len
 * bytes) with now (ms) as the time of now(). Returns 1 true, 0 false
 * (null is false; every row is true for other conditions), or -1 with
 * the runtime error in err.
 */
int alert_row_met(const struct alert_spec *, const char *json, size_t len,
    int64_t now, char *err, size_t errlen);

/*
 * The delay in seconds before attempt number attempt + 1, after attempt
 * failed attempts (from 1): base * 2^(attempt-1), at most max.
 */
int64_t alert_backoff(int64_t base, int64_t max, int attempt);

/* What alert_fire() did. */
enum alert_outcome {
	ALERT_NOT_MET,		/* the condition was false: nothing queued */
	ALERT_THROTTLED,	/* met, but within the throttle period */
	ALERT_FIRED,		/* deliveries queued */
};

struct alert_fired {
	enum alert_outcome af_outcome;
	char af_id[40];		/* the firing's id (FIRED, THROTTLED) */
	uint64_t af_rows;	/* rows the firing is about */
	size_t af_deliveries;
};

/*
 * Evaluates spec for the alert called name (1 to ALERT_NAME_MAX bytes)
 * over the results of task_id, which must be DONE, at time now (ms). When
 * it fires, builds every action's document (webhook JSON, mail message
 * with its attachment) and writes one delivery record per action under
 * STORAGE/alerts, synced, before returning: nothing is sent here
 * (alert_deliver() sends). Writes the firing or the throttling in the
 * task's log and the history. Returns 0 and *out, or -1 with the reason
 * in err (task missing or not DONE, I/O, memory).
 */
int alert_fire(const struct config *, struct store *, const char *name,
    const struct alert_spec *spec, const char *task_id, int64_t now,
    struct alert_fired *out, char *err, size_t errlen);

/* What one alert_deliver() run did. */
struct alert_delivered {
	unsigned ad_attempted;
	unsigned ad_delivered;
	unsigned ad_retry;	/* failed, will be tried again */
	unsigned ad_failed;	/* failed for the last time */
};

/*
 * Attempts every pending delivery whose time has come at now (ms), one at
 * a time, under the queue's lock (so two runs never send one delivery at
 * once): 2xx from the webhook or exit 0 from the sendmail command marks
 * it delivered; anything else schedules the next attempt after
 * alert_backoff() (alert.retry_base_seconds, alert.retry_max_seconds),
 * or, after alert.max_attempts, marks it failed. Failures go to the task
 * log (when the task still exists; st may be NULL). Then removes the
 * firings older than alert.keep_seconds whose deliveries are all done,
 * with their records. Returns 0 and *out, or -1 with the reason in err
 * (the queue cannot be read, a record cannot be written).
 */
int alert_deliver(const struct config *, struct store *st, int64_t now,
    struct alert_delivered *out, char *err, size_t errlen);

/*
 * The alert history: a JSON array (malloc'd text, caller frees) of the
 * firings, newest first, of alert name (NULL: all) on runs of owner (the
 * task's owner; NULL: anyone's), at most max, each with its deliveries
 * and their states (docs/alerts.md, "The history"). Returns NULL with the
 * reason in err.
 */
char *alert_history(const struct config *, const char *name,
    const char *owner, size_t max, char *err, size_t errlen);

/*
 * Sends body (len bytes, JSON) to an http:// url with a POST, the
 * delivery id in X-Asyncreq-Delivery, within timeout_s seconds. Returns
 * 0 for a 2xx answer, or -1 with the reason in err ("HTTP 500",
 * "connect: Connection refused", "timed out").
 */
int alert_webhook_post(const char *url, const char *id, const char *body,
    size_t len, int timeout_s, char *err, size_t errlen);

/*
 * Pipes the file path (a whole mail message) to the shell command cmd,
 * waiting at most timeout_s seconds. Returns 0 when it exits with 0, or
 * -1 with the reason in err ("exit status 75", "killed after 30 s").
 */
int alert_sendmail(const char *cmd, const char *path, int timeout_s,
    char *err, size_t errlen);

/*
 * Failure injection: when set, every write of a file under STORAGE/alerts
 * first calls it with the subdirectory ("deliveries", "firings",
 * "throttle") and the file name; a nonzero return (an errno value) makes
 * that write fail with it, before anything is written. NULL by default.
 */
extern int (*alert_write_fault)(const char *sub, const char *name);

#endif
