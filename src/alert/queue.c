/*
 * queue.c - the alert state under STORAGE/alerts: firings, throttling,
 * the durable delivery queue and its worker, the history.
 *
 *	alerts/lock			flock()ed by a firing and a delivery run
 *	alerts/firings/FID.json		one per firing (or throttled firing)
 *	alerts/deliveries/DID.json	one per action of a firing: its state
 *	alerts/deliveries/DID.body	what it sends (JSON document or mail)
 *	alerts/throttle/HEX.json	per alert (name in hex): key -> until
 *
 * Every file is written to a temporary name, fsync()ed, renamed and the
 * directory fsync()ed, so a record is either there whole or not at all,
 * and a delivery's body is on disk before its record.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "alert/alert.h"
#include "alert/internal.h"
#include "common/buf.h"
#include "common/config.h"
#include "common/timeutil.h"
#include "store/store.h"

int (*alert_write_fault)(const char *sub, const char *name);

/* Writes the reason into err (printf-style). Returns -1. */
int __attribute__((format(printf, 3, 4)))
aq_fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/*
 * Formats into out (len bytes) like snprintf. Returns 0, or -1 when the
 * text did not fit (out is then cut).
 */
static int __attribute__((format(printf, 3, 4)))
aq_fmt(char *out, size_t len, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(out, len, fmt, ap);
	va_end(ap);
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

/*
 * Opens the alert directories of cfg (making them 0700 when missing) and
 * takes the lock. Returns 0 and q filled, or -1 with the reason.
 */
int
aq_open(struct aq *q, const struct config *cfg, char *err, size_t errlen)
{
	static const char *const sub[] = {"", "/firings", "/deliveries",
	    "/throttle"};
	char path[AQ_PATH_MAX];
	size_t i;

	memset(q, 0, sizeof(*q));
	q->aq_fd = -1;
	if ((size_t)snprintf(q->aq_dir, sizeof(q->aq_dir), "%s/alerts",
	    cfg->storage_path) >= sizeof(q->aq_dir))
		return aq_fail(err, errlen, "the storage path is too long");
	for (i = 0; i < sizeof(sub) / sizeof(sub[0]); i++) {
		(void)aq_fmt(path, sizeof(path), "%s%s", q->aq_dir, sub[i]);
		if (mkdir(path, 0700) == -1 && errno != EEXIST)
			return aq_fail(err, errlen, "mkdir %s: %s", path,
			    strerror(errno));
	}
	(void)aq_fmt(path, sizeof(path), "%s/lock", q->aq_dir);
	if ((q->aq_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) == -1)
		return aq_fail(err, errlen, "open %s: %s", path,
		    strerror(errno));
	if (flock(q->aq_fd, LOCK_EX) == -1) {
		aq_fail(err, errlen, "lock %s: %s", path, strerror(errno));
		close(q->aq_fd);
		q->aq_fd = -1;
		return -1;
	}
	return 0;
}

/* Releases the lock. */
void
aq_close(struct aq *q)
{
	if (q->aq_fd != -1)
		close(q->aq_fd);
	q->aq_fd = -1;
}

/* fsync()s directory dir. Returns 0 or -1 (errno). */
static int
aq_sync_dir(const char *dir)
{
	int fd, rc;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

/*
 * Writes len bytes of data as file name of subdirectory sub, atomically
 * and durably. Returns 0, or -1 with the reason.
 */
int
aq_write(const struct aq *q, const char *sub, const char *name,
    const void *data, size_t len, char *err, size_t errlen)
{
	char dir[AQ_PATH_MAX], path[AQ_PATH_MAX], tmp[AQ_PATH_MAX];
	const char *p = data;
	ssize_t n;
	int fd;

	if (aq_fmt(dir, sizeof(dir), "%s/%s", q->aq_dir, sub) == -1 ||
	    aq_fmt(path, sizeof(path), "%s/%s", dir, name) == -1 ||
	    aq_fmt(tmp, sizeof(tmp), "%s/.%s.tmp", dir, name) == -1)
		return aq_fail(err, errlen, "a path is too long");
	if (alert_write_fault != NULL &&
	    (errno = alert_write_fault(sub, name)) != 0)
		return aq_fail(err, errlen, "write %s: %s", path,
		    strerror(errno));
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0600)) == -1)
		return aq_fail(err, errlen, "open %s: %s", tmp,
		    strerror(errno));
	while (len > 0) {
		if ((n = write(fd, p, len)) == -1) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		p += n;
		len -= (size_t)n;
	}
	if (fsync(fd) == -1)
		goto fail;
	if (close(fd) == -1) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) == -1 || aq_sync_dir(dir) == -1)
		goto fail;
	return 0;
fail:
	aq_fail(err, errlen, "write %s: %s", path, strerror(errno));
	if (fd != -1)
		close(fd);
	unlink(tmp);
	return -1;
}

/* Returns the path of file name in subdirectory sub (static storage). */
const char *
aq_path(const struct aq *q, const char *sub, const char *name)
{
	static char path[AQ_PATH_MAX];

	if (aq_fmt(path, sizeof(path), "%s/%s/%s", q->aq_dir, sub,
	    name) == -1)
		path[0] = '\0';
	return path;
}

/* Writes the JSON value v as file name of sub. Returns 0 or -1. */
int
aq_write_json(const struct aq *q, const char *sub, const char *name,
    const json_t *v, char *err, size_t errlen)
{
	char *text = json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER);
	int rc;

	if (text == NULL)
		return aq_fail(err, errlen, "out of memory");
	rc = aq_write(q, sub, name, text, strlen(text), err, errlen);
	free(text);
	return rc;
}

/* Reads file name of sub as JSON. Returns a new reference or NULL. */
json_t *
aq_read_json(const struct aq *q, const char *sub, const char *name)
{
	json_error_t je;

	return json_load_file(aq_path(q, sub, name), 0, &je);
}

static int
aq_name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)b, *(char *const *)a);
}

/*
 * Lists the names in sub ending in suffix, without it, sorted newest
 * (greatest) first. Returns the count and *names (each and the array
 * malloc'd; aq_names_free), or -1 with the reason.
 */
long
aq_list(const struct aq *q, const char *sub, const char *suffix,
    char ***names, char *err, size_t errlen)
{
	char dir[AQ_PATH_MAX], **v = NULL, **nv;
	struct dirent *de;
	size_t n = 0, cap = 0, sl = strlen(suffix), l;
	DIR *d;

	*names = NULL;
	(void)aq_fmt(dir, sizeof(dir), "%s/%s", q->aq_dir, sub);
	if ((d = opendir(dir)) == NULL)
		return aq_fail(err, errlen, "opendir %s: %s", dir,
		    strerror(errno));
	while ((de = readdir(d)) != NULL) {
		l = strlen(de->d_name);
		if (de->d_name[0] == '.' || l <= sl ||
		    strcmp(de->d_name + l - sl, suffix) != 0)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			if ((nv = realloc(v, cap * sizeof(*v))) == NULL)
				goto oom;
			v = nv;
		}
		if ((v[n] = strndup(de->d_name, l - sl)) == NULL)
			goto oom;
		n++;
	}
	closedir(d);
	if (n > 0)
		qsort(v, n, sizeof(*v), aq_name_cmp);
	*names = v;
	return (long)n;
oom:
	closedir(d);
	aq_names_free(v, n);
	return aq_fail(err, errlen, "out of memory");
}

void
aq_names_free(char **names, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

/* Returns the name of alert name's throttle file (static storage). */
const char *
aq_throttle_name(const char *name)
{
	static char out[2 * ALERT_NAME_MAX + 8];
	static const char hex[] = "0123456789abcdef";
	size_t i;
	char *p = out;

	for (i = 0; name[i] != '\0' && i < ALERT_NAME_MAX; i++) {
		*p++ = hex[(unsigned char)name[i] >> 4];
		*p++ = hex[(unsigned char)name[i] & 15];
	}
	strcpy(p, ".json");
	return out;
}

/* Logs one line in task id's log, when there is a store and the task. */
void
aq_task_log(struct store *st, const char *id, const char *level,
    const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	va_list ap;
	int rc;

	if (st == NULL)
		return;
	va_start(ap, fmt);
	rc = buf_reserve(&b, 512);
	if (rc == 0)
		rc = vsnprintf(b.b_data, b.b_cap, fmt, ap) < 0 ? -1 : 0;
	va_end(ap);
	if (rc == 0)
		(void)store_log_append(st, id, level, b.b_data);
	buf_free(&b);
}

/* ---- The worker. */

/* Returns the string member key of o, or "" (borrowed). */
static const char *
aq_str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "";
}

/*
 * Attempts delivery d (its record, changed in place) at now. Returns 0
 * when delivered, or -1 with the reason in err.
 */
static int
aq_attempt(const struct config *cfg, const struct aq *q, json_t *d,
    char *err, size_t errlen)
{
	const char *id = aq_str(d, "id"), *type = aq_str(d, "type");
	char body[AQ_PATH_MAX];
	char *data = NULL;
	size_t len = 0;
	FILE *f;
	int rc;

	snprintf(body, sizeof(body), "%s", aq_path(q, "deliveries",
	    aq_str(d, "body")));
	if (strcmp(type, "email") == 0)
		return alert_sendmail(cfg->alert_sendmail, body,
		    (int)cfg->alert_timeout_seconds, err, errlen);
	if ((f = fopen(body, "re")) == NULL)
		return aq_fail(err, errlen, "open %s: %s", body,
		    strerror(errno));
	if (fseek(f, 0, SEEK_END) == 0 && ftell(f) >= 0) {
		len = (size_t)ftell(f);
		rewind(f);
		if ((data = malloc(len + 1)) != NULL &&
		    fread(data, 1, len, f) != len) {
			free(data);
			data = NULL;
		}
	}
	fclose(f);
	if (data == NULL)
		return aq_fail(err, errlen, "read %s failed", body);
	rc = alert_webhook_post(aq_str(d, "target"), id, data, len,
	    (int)cfg->alert_timeout_seconds, err, errlen);
	free(data);
	return rc;
}

/*
 * Removes the firings older than alert.keep_seconds at now whose
 * deliveries are all done (delivered or failed), with their delivery
 * records and bodies: records first, so a crash leaves at worst a firing
 * whose deliveries are gone, shown without them.
 */
static void
aq_prune(const struct config *cfg, const struct aq *q, int64_t now)
{
	char **names = NULL, name[AQ_PATH_MAX], err[256];
	json_t *f, *ids, *v, *d;
	int64_t before = now - cfg->alert_keep_seconds * 1000;
	long n, i;
	size_t k;
	int done;

	if ((n = aq_list(q, "firings", ".json", &names, err,
	    sizeof(err))) <= 0)
		return;
	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "%s.json", names[i]);
		if ((f = aq_read_json(q, "firings", name)) == NULL)
			continue;
		if (json_integer_value(json_object_get(f, "at")) >= before) {
			json_decref(f);
			continue;
		}
		done = 1;
		ids = json_object_get(f, "deliveries");
		json_array_foreach(ids, k, v) {
			snprintf(name, sizeof(name), "%s.json",
			    json_string_value(v) ? json_string_value(v) : "");
			if ((d = aq_read_json(q, "deliveries", name)) == NULL)
				continue;
			if (strcmp(aq_str(d, "state"), "pending") == 0)
				done = 0;
			json_decref(d);
		}
		if (done) {
			json_array_foreach(ids, k, v) {
				if (!json_is_string(v))
					continue;
				snprintf(name, sizeof(name), "%s.json",
				    json_string_value(v));
				(void)unlink(aq_path(q, "deliveries", name));
				snprintf(name, sizeof(name), "%s.body",
				    json_string_value(v));
				(void)unlink(aq_path(q, "deliveries", name));
			}
			snprintf(name, sizeof(name), "%s.json", names[i]);
			(void)unlink(aq_path(q, "firings", name));
		}
		json_decref(f);
	}
	aq_names_free(names, (size_t)n);
}

int
alert_deliver(const struct config *cfg, struct store *st, int64_t now,
    struct alert_delivered *out, char *err, size_t errlen)
{
	struct aq q;
	char **names = NULL, name[AQ_PATH_MAX], why[512], when[32];
	json_t *d;
	long n, i;
	int64_t attempts, next, wait;
	const char *task, *alert, *id;

	memset(out, 0, sizeof(*out));
	if (aq_open(&q, cfg, err, errlen) == -1)
		return -1;
	if ((n = aq_list(&q, "deliveries", ".json", &names, err,
	    errlen)) < 0) {
		aq_close(&q);
		return -1;
	}
	/* Oldest first: the list is newest first. */
	for (i = n - 1; i >= 0; i--) {
		snprintf(name, sizeof(name), "%s.json", names[i]);
		if ((d = aq_read_json(&q, "deliveries", name)) == NULL)
			continue;
		next = json_integer_value(json_object_get(d, "next_at"));
		if (strcmp(aq_str(d, "state"), "pending") != 0 || next > now) {
			json_decref(d);
			continue;
		}
		id = aq_str(d, "id");
		task = aq_str(d, "task");
		alert = aq_str(d, "alert");
		attempts = json_integer_value(json_object_get(d,
		    "attempts")) + 1;
		out->ad_attempted++;
		why[0] = '\0';
		if (aq_attempt(cfg, &q, d, why, sizeof(why)) == 0) {
			json_object_set_new(d, "state",
			    json_string("delivered"));
			json_object_set_new(d, "delivered_at",
			    json_integer(now));
			json_object_set_new(d, "last_error", json_null());
			out->ad_delivered++;
			aq_task_log(st, task, "INFO", "alert '%s': delivery %s "
			    "(%s %s) delivered at attempt %lld", alert, id,
			    aq_str(d, "type"), aq_str(d, "target"),
			    (long long)attempts);
		} else if (attempts >= cfg->alert_max_attempts) {
			json_object_set_new(d, "state", json_string("failed"));
			json_object_set_new(d, "last_error", json_string(why));
			out->ad_failed++;
			aq_task_log(st, task, "ERROR", "alert '%s': delivery "
			    "%s (%s %s) failed for good after %lld attempts: "
			    "%s", alert, id, aq_str(d, "type"),
			    aq_str(d, "target"), (long long)attempts, why);
		} else {
			wait = alert_backoff(cfg->alert_retry_base_seconds,
			    cfg->alert_retry_max_seconds, (int)attempts);
			json_object_set_new(d, "next_at",
			    json_integer(now + wait * 1000));
			json_object_set_new(d, "last_error", json_string(why));
			out->ad_retry++;
			aq_task_log(st, task, "WARN", "alert '%s': delivery %s "
			    "(%s %s) attempt %lld failed: %s; next attempt at "
			    "%s", alert, id, aq_str(d, "type"),
			    aq_str(d, "target"), (long long)attempts, why,
			    time_format_iso(now + wait * 1000, when));
		}
		json_object_set_new(d, "attempts", json_integer(attempts));
		json_object_set_new(d, "last_attempt", json_integer(now));
		/*
		 * A crash before this write sends it again on the next run:
		 * at worst a duplicate with the same delivery id.
		 */
		if (aq_write_json(&q, "deliveries", name, d, err,
		    errlen) == -1) {
			json_decref(d);
			aq_names_free(names, (size_t)n);
			aq_close(&q);
			return -1;
		}
		json_decref(d);
	}
	aq_names_free(names, (size_t)n);
	aq_prune(cfg, &q, now);
	aq_close(&q);
	return 0;
}

/* ---- The history. */

/* Returns time ms as an ISO text json string, or null for 0. */
static json_t *
aq_time(json_t *v)
{
	char when[32];

	if (!json_is_integer(v) || json_integer_value(v) == 0)
		return json_null();
	return json_string(time_format_iso(json_integer_value(v), when));
}

/* Returns the history entry of delivery record d (new reference). */
static json_t *
aq_history_delivery(json_t *d)
{
	json_t *o = json_object();
	static const char *const copy[] = {"id", "type", "target", "state",
	    "attempts", "last_error", NULL};
	size_t i;

	if (o == NULL)
		return NULL;
	for (i = 0; copy[i] != NULL; i++)
		json_object_set(o, copy[i], json_object_get(d, copy[i]) ?
		    json_object_get(d, copy[i]) : json_null());
	json_object_set_new(o, "last_attempt",
	    aq_time(json_object_get(d, "last_attempt")));
	json_object_set_new(o, "next_attempt",
	    strcmp(aq_str(d, "state"), "pending") == 0 ?
	    aq_time(json_object_get(d, "next_at")) : json_null());
	json_object_set_new(o, "delivered_at",
	    aq_time(json_object_get(d, "delivered_at")));
	return o;
}

char *
alert_history(const struct config *cfg, const char *alert,
    const char *owner, size_t max, char *err, size_t errlen)
{
	struct aq q;
	char **names = NULL, name[AQ_PATH_MAX], *text = NULL;
	json_t *arr = json_array(), *f, *o, *dl, *ids, *v, *d;
	long n, i;
	size_t k, got = 0;

	if (arr == NULL) {
		aq_fail(err, errlen, "out of memory");
		return NULL;
	}
	if (aq_open(&q, cfg, err, errlen) == -1) {
		json_decref(arr);
		return NULL;
	}
	if ((n = aq_list(&q, "firings", ".json", &names, err, errlen)) < 0)
		goto out;
	for (i = 0; i < n && got < max; i++) {
		snprintf(name, sizeof(name), "%s.json", names[i]);
		if ((f = aq_read_json(&q, "firings", name)) == NULL)
			continue;
		if ((alert != NULL && strcmp(aq_str(f, "alert"), alert) != 0) ||
		    (owner != NULL && strcmp(aq_str(f, "owner"), owner) != 0)) {
			json_decref(f);
			continue;
		}
		o = json_pack("{s:O, s:O, s:s, s:O, s:o, s:O, s:O}",
		    "id", json_object_get(f, "id"),
		    "alert", json_object_get(f, "alert"),
		    "owner", aq_str(f, "owner"),
		    "task", json_object_get(f, "task"),
		    "at", aq_time(json_object_get(f, "at")),
		    "outcome", json_object_get(f, "outcome"),
		    "rows", json_object_get(f, "rows"));
		if (o == NULL) {
			json_decref(f);
			continue;
		}
		dl = json_array();
		ids = json_object_get(f, "deliveries");
		json_array_foreach(ids, k, v) {
			snprintf(name, sizeof(name), "%s.json",
			    json_string_value(v) ? json_string_value(v) : "");
			if ((d = aq_read_json(&q, "deliveries", name)) == NULL)
				continue;
			json_array_append_new(dl, aq_history_delivery(d));
			json_decref(d);
		}
		json_object_set_new(o, "deliveries", dl);
		json_array_append_new(arr, o);
		json_decref(f);
		got++;
	}
	if ((text = json_dumps(arr, JSON_COMPACT | JSON_PRESERVE_ORDER)) ==
	    NULL)
		aq_fail(err, errlen, "out of memory");
out:
	if (n > 0)
		aq_names_free(names, (size_t)n);
	json_decref(arr);
	aq_close(&q);
	return text;
}
