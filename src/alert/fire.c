/*
 * fire.c - evaluates an alert over a finished task's results and queues
 * its deliveries: the webhook document, the mail with its attachment.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "alert/alert.h"
#include "alert/internal.h"
#include "common/buf.h"
#include "common/config.h"
#include "common/timeutil.h"
#include "common/util.h"
#include "export/export.h"
#include "export/fields.h"
#include "sml/engine.h"
#include "store/store.h"

/* The most columns an attachment reads from the task's column list. */
#define FIRE_MAX_COLUMNS 100000

/* One email action's attachment being written. */
struct fire_att {
	struct export_writer *fa_w;
	FILE *fa_f;
	char fa_path[AQ_PATH_MAX];	/* the temporary file */
	int fa_failed;
};

/* State of one evaluation, for the store callbacks. */
struct fire_ctx {
	const struct alert_spec *fc_spec;
	int64_t fc_now;
	json_t *fc_thr;		/* throttle state: key -> until (ms) */
	json_t *fc_keys;	/* keys of the selected rows */
	uint64_t fc_matched;	/* rows that met the condition */
	uint64_t fc_selected;	/* ... and were not throttled */
	struct buf fc_rows;	/* webhook: JSON texts, comma separated */
	uint64_t fc_nrows;
	uint64_t fc_max_rows;
	struct fire_att *fc_att;	/* one per action (email only used) */
	struct buf fc_tmp;
	int fc_error;
	char fc_err[512];
};

/* An export sink over a FILE. */
static int
fire_file_write(void *arg, const void *data, size_t len)
{
	struct fire_att *fa = arg;

	if (fwrite(data, 1, len, fa->fa_f) != len) {
		fa->fa_failed = 1;
		return -1;
	}
	return 0;
}

/*
 * Returns the throttle key of row e (malloc'd): the text of the throttle
 * field, "" when it is missing or null; NULL out of memory.
 */
static char *
fire_key(const struct alert_spec *spec, struct event *e)
{
	json_t *v = event_get(e, spec->as_throttle_field);
	char *s;

	if (v == NULL || json_is_null(v))
		return strdup("");
	if (json_is_array(v) || json_is_object(v))
		s = value_json(v, NULL);
	else
		s = value_string(v);
	return s;
}

/* store_results_read's first callback: the task must still be DONE. */
static int
fire_begin(void *arg, const struct task *t, uint64_t from, uint64_t to)
{
	struct fire_ctx *fc = arg;

	(void)from;
	(void)to;
	if (t->t_state == TASK_DONE)
		return 0;
	snprintf(fc->fc_err, sizeof(fc->fc_err), "the task is no longer DONE");
	fc->fc_error = 1;
	return -1;
}

/* store_results_read's callback: one result row. */
static int
fire_row(void *arg, const char *json, size_t len)
{
	struct fire_ctx *fc = arg;
	const struct alert_spec *spec = fc->fc_spec;
	struct alert_action *aa;
	struct fire_att *fa;
	struct event e;
	char *key;
	json_t *until;
	size_t i;
	int rc;

	rc = alert_row_met(spec, json, len, fc->fc_now, fc->fc_err,
	    sizeof(fc->fc_err));
	if (rc < 0) {
		fc->fc_error = 1;
		return -1;
	}
	if (rc == 0)
		return 0;
	fc->fc_matched++;
	if (spec->as_throttle > 0 && spec->as_throttle_field != NULL) {
		event_init(&e, json, len, INT64_MIN, 0);
		key = fire_key(spec, &e);
		event_clear(&e);
		if (key == NULL)
			goto oom;
		until = json_object_get(fc->fc_thr, key);
		if (json_integer_value(until) > fc->fc_now) {
			free(key);
			return 0;
		}
		if (json_object_set_new(fc->fc_keys, key, json_true()) == -1) {
			free(key);
			goto oom;
		}
		free(key);
	}
	fc->fc_selected++;
	if (fc->fc_nrows < fc->fc_max_rows) {
		buf_reset(&fc->fc_tmp);
		if (export_json_minify(&fc->fc_tmp, json, len) == -1 ||
		    (fc->fc_nrows > 0 && buf_putc(&fc->fc_rows, ',') == -1) ||
		    buf_append(&fc->fc_rows, fc->fc_tmp.b_data,
		    fc->fc_tmp.b_len) == -1)
			goto oom;
		fc->fc_nrows++;
	}
	for (i = 0; i < spec->as_nactions; i++) {
		aa = &spec->as_actions[i];
		fa = &fc->fc_att[i];
		if (fa->fa_w == NULL || fa->fa_w->ew_rows >= aa->aa_results)
			continue;
		if (fa->fa_w->ew_row(fa->fa_w, json, len) == -1) {
			snprintf(fc->fc_err, sizeof(fc->fc_err),
			    "attachment: %s", fa->fa_w->ew_err);
			fc->fc_error = 1;
			return -1;
		}
	}
	return 0;
oom:
	snprintf(fc->fc_err, sizeof(fc->fc_err), "out of memory");
	fc->fc_error = 1;
	return -1;
}

/* Frees the attachment writers and removes their files. */
static void
fire_att_free(struct fire_ctx *fc)
{
	struct fire_att *fa;
	size_t i;

	if (fc->fc_att == NULL)
		return;
	for (i = 0; i < fc->fc_spec->as_nactions; i++) {
		fa = &fc->fc_att[i];
		if (fa->fa_w != NULL)
			fa->fa_w->ew_free(fa->fa_w);
		if (fa->fa_f != NULL)
			fclose(fa->fa_f);
		if (fa->fa_path[0] != '\0')
			unlink(fa->fa_path);
	}
	free(fc->fc_att);
	fc->fc_att = NULL;
}

/*
 * Makes the attachment writers of the email actions, writing to
 * temporary files under the deliveries directory. Returns 0 or -1.
 */
static int
fire_att_open(const struct config *cfg, const struct aq *q,
    struct fire_ctx *fc, const char *fid, const struct fieldset *cols,
    const char *tmpdir, char *err, size_t errlen)
{
	const struct alert_spec *spec = fc->fc_spec;
	struct export_sink sink;
	struct export_opts eo;
	struct fire_att *fa;
	char why[256];
	size_t i;

	if ((fc->fc_att = calloc(spec->as_nactions, sizeof(*fc->fc_att))) ==
	    NULL)
		return aq_fail(err, errlen, "out of memory");
	for (i = 0; i < spec->as_nactions; i++) {
		fa = &fc->fc_att[i];
		if (spec->as_actions[i].aa_kind != ALERT_EMAIL ||
		    spec->as_actions[i].aa_attach == ALERT_ATTACH_NONE)
			continue;
		snprintf(fa->fa_path, sizeof(fa->fa_path), "%s/deliveries/"
		    ".%s-%zu.att", q->aq_dir, fid, i + 1);
		if ((fa->fa_f = fopen(fa->fa_path, "w+e")) == NULL)
			return aq_fail(err, errlen, "open %s: %s", fa->fa_path,
			    strerror(errno));
		sink.es_write = fire_file_write;
		sink.es_arg = fa;
		memset(&eo, 0, sizeof(eo));
		eo.eo_cols = cols;
		eo.eo_formula_guard = cfg->export_csv_formula_guard;
		eo.eo_tmpdir = tmpdir;
		eo.eo_threads = 0;
		if (spec->as_actions[i].aa_attach == ALERT_ATTACH_CSV)
			fa->fa_w = export_csv_new(&sink, &eo);
		else
			fa->fa_w = export_xlsx_new(&sink, &eo, why,
			    sizeof(why));
		if (fa->fa_w == NULL)
			return aq_fail(err, errlen, "attachment writer: out of "
			    "memory or no temporary file");
	}
	return 0;
}

/* Returns the condition as text, for documents and logs (malloc'd). */
static char *
fire_cond_text(const struct alert_spec *spec)
{
	static const char *const cmps[] = {">", ">=", "<", "<=", "==", "!="};
	struct buf b = BUF_INIT;

	switch (spec->as_cond) {
	case ALERT_COND_ALWAYS:
		buf_puts(&b, "always");
		break;
	case ALERT_COND_RESULTS:
		buf_printf(&b, "results %s %lld", cmps[spec->as_cmp],
		    (long long)spec->as_value);
		break;
	case ALERT_COND_WHERE:
		buf_printf(&b, "where %s", spec->as_where);
		break;
	}
	return b.b_data;
}

/* Appends to b the link to task id's results. */
static int
fire_link(struct buf *b, const struct config *cfg, const char *id)
{
	const char *base = cfg->alert_base_url ? cfg->alert_base_url : "";
	size_t l = strlen(base);

	while (l > 0 && base[l - 1] == '/')
		l--;
	return buf_printf(b, "%.*s/_sme/async_requests/response/%s", (int)l,
	    base, id);
}

/*
 * Builds the webhook document of delivery did into b. Returns 0 or -1
 * out of memory.
 */
static int
fire_webhook_doc(struct buf *b, const struct config *cfg, const char *alert,
    const char *fid, const char *did, const struct task *t,
    const char *cond, const struct fire_ctx *fc, uint64_t rows)
{
	char t1[32], t2[32], t3[32];
	struct buf link = BUF_INIT;
	int rc;

	if (fire_link(&link, cfg, t->t_id) == -1)
		return -1;
	rc = buf_puts(b, "{\"alert\":") == -1 ||
	    buf_json_str(b, alert, strlen(alert)) == -1 ||
	    buf_printf(b, ",\"firing\":\"%s\",\"delivery\":\"%s\","
	    "\"fired_at\":\"%s\",\"condition\":", fid, did,
	    time_format_iso(fc->fc_now, t1)) == -1 ||
	    buf_json_str(b, cond, strlen(cond)) == -1 ||
	    buf_puts(b, ",\"search\":{\"query\":") == -1 ||
	    buf_json_str(b, t->t_query, strlen(t->t_query)) == -1 ||
	    buf_puts(b, ",\"owner\":") == -1 ||
	    buf_json_str(b, t->t_owner, strlen(t->t_owner)) == -1 ||
	    buf_printf(b, "},\"run\":{\"id\":\"%s\",\"state\":\"%s\","
	    "\"created\":\"%s\",\"finished\":\"%s\",\"results\":%llu},"
	    "\"matched\":%llu,\"results\":[", t->t_id,
	    task_state_name(t->t_state), time_format_iso(t->t_created, t2),
	    time_format_iso(t->t_finished, t3),
	    (unsigned long long)t->t_results,
	    (unsigned long long)rows) == -1 ? -1 : 0;
	if (rc == 0)
		rc = buf_append(b, fc->fc_rows.b_data ? fc->fc_rows.b_data : "",
		    fc->fc_rows.b_len) == -1 ||
		    buf_puts(b, "],\"link\":") == -1 ||
		    buf_json_str(b, link.b_data, link.b_len) == -1 ||
		    buf_puts(b, "}") == -1 ? -1 : 0;
	buf_free(&link);
	return rc;
}

/*
 * Writes the body of webhook action i of the firing: the first
 * aa_results of the document's rows. Returns 0 or -1.
 */
static int
fire_webhook(const struct config *cfg, const struct aq *q, const char *alert,
    const char *fid, const char *did, const struct task *t,
    const char *cond, struct fire_ctx *fc, uint64_t rows, uint64_t nrows,
    char *err, size_t errlen)
{
	struct fire_ctx sub = *fc;
	struct buf doc = BUF_INIT, cut = BUF_INIT;
	const char *p;
	char name[96];
	uint64_t k;
	int rc;

	/* The rows are one-line JSON texts joined by ','; keep nrows. */
	if (nrows < fc->fc_nrows) {
		p = fc->fc_rows.b_data;
		for (k = 0; k < nrows; k++) {
			/* Skip one object: count brackets outside strings. */
			int depth = 0, str = 0;

			do {
				if (str) {
					if (*p == '\\')
						p++;
					else if (*p == '"')
						str = 0;
				} else if (*p == '"')
					str = 1;
				else if (*p == '{' || *p == '[')
					depth++;
				else if (*p == '}' || *p == ']')
					depth--;
				p++;
			} while (depth > 0 || str);
			if (k + 1 < nrows)
				p++;	/* the ',' */
		}
		if (buf_append(&cut, fc->fc_rows.b_data,
		    (size_t)(p - fc->fc_rows.b_data)) == -1)
			return aq_fail(err, errlen, "out of memory");
		sub.fc_rows = cut;
	}
	if (fire_webhook_doc(&doc, cfg, alert, fid, did, t, cond, &sub,
	    rows) == -1) {
		buf_free(&cut);
		buf_free(&doc);
		return aq_fail(err, errlen, "out of memory");
	}
	snprintf(name, sizeof(name), "%s.body", did);
	rc = aq_write(q, "deliveries", name, doc.b_data, doc.b_len, err,
	    errlen);
	buf_free(&cut);
	buf_free(&doc);
	return rc;
}

/*
 * Writes the mail of email action aa: headers, the text, the finished
 * attachment fa. Returns 0 or -1.
 */
static int
fire_email(const struct config *cfg, const struct aq *q, const char *alert,
    const char *did, const struct task *t, const char *cond,
    const struct alert_action *aa, struct fire_att *fa, uint64_t rows,
    int64_t now, char *err, size_t errlen)
{
	struct alert_mail m;
	struct buf text = BUF_INIT, subj = BUF_INIT, link = BUF_INIT;
	char name[96], t1[32], *base = NULL;
	int rc = -1;

	if (fa->fa_w != NULL) {
		if (fa->fa_w->ew_finish(fa->fa_w) == -1 ||
		    fflush(fa->fa_f) == EOF || fa->fa_failed)
			return aq_fail(err, errlen, "attachment: %s",
			    fa->fa_failed ? strerror(errno) : fa->fa_w->ew_err);
	}
	if (fire_link(&link, cfg, t->t_id) == -1 ||
	    buf_printf(&text, "The alert '%s' fired at %s.\n\n"
	    "Condition: %s\nRows: %llu\nSearch: %s\nRun: %s (%llu results)\n"
	    "Results: %s\n", alert, time_format_iso(now, t1), cond,
	    (unsigned long long)rows, t->t_query, t->t_id,
	    (unsigned long long)t->t_results, link.b_data) == -1 ||
	    (aa->aa_subject == NULL && buf_printf(&subj, "asyncreq alert: %s",
	    alert) == -1) ||
	    (base = export_file_name_clean(alert, strlen(alert), 100)) ==
	    NULL) {
		aq_fail(err, errlen, "out of memory");
		goto out;
	}
	memset(&m, 0, sizeof(m));
	m.am_id = did;
	m.am_from = cfg->alert_from;
	m.am_to = (const char *const *)aa->aa_to;
	m.am_nto = aa->aa_nto;
	m.am_subject = aa->aa_subject ? aa->aa_subject : subj.b_data;
	m.am_text = text.b_data;
	m.am_date = now;
	m.am_att = fa->fa_w != NULL ? fa->fa_f : NULL;
	m.am_att_base = base;
	m.am_att_xlsx = aa->aa_attach == ALERT_ATTACH_XLSX;
	snprintf(name, sizeof(name), "%s.body", did);
	rc = alert_mail_write(q, name, &m, err, errlen);
out:
	free(base);
	buf_free(&text);
	buf_free(&subj);
	buf_free(&link);
	return rc;
}

/*
 * Loads the task's column list (for attachments). Returns the set, or
 * NULL when there is none (no rows) or it cannot be read.
 */
static struct fieldset *
fire_columns(struct store *st, const struct task *t)
{
	struct fieldset *cols;
	char *data = NULL;
	size_t len = 0;

	if (t->t_results == 0 ||
	    store_stats_get(st, t->t_id, "fields", &data, &len) != AR_OK)
		return NULL;
	cols = fieldset_decode(data, len, FIRE_MAX_COLUMNS);
	free(data);
	return cols;
}

/* Makes STORAGE/tmp (0700). Returns the path (malloc'd) or NULL. */
static char *
fire_tmpdir(const struct config *cfg)
{
	struct buf b = BUF_INIT;

	if (buf_printf(&b, "%s/tmp", cfg->storage_path) == -1)
		return NULL;
	if (mkdir(b.b_data, 0700) == -1 && errno != EEXIST) {
		buf_free(&b);
		return NULL;
	}
	return b.b_data;
}

/*
 * Removes the delivery records and bodies of the n actions of firing fid,
 * records first, then its firing record; a file that is not there is no
 * error.
 */
static void
fire_unqueue(const struct aq *q, const char *fid, size_t n)
{
	char name[96];
	size_t i;

	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "%s-%zu.json", fid, i + 1);
		(void)unlink(aq_path(q, "deliveries", name));
		snprintf(name, sizeof(name), "%s-%zu.body", fid, i + 1);
		(void)unlink(aq_path(q, "deliveries", name));
	}
	snprintf(name, sizeof(name), "%s.json", fid);
	(void)unlink(aq_path(q, "firings", name));
}

/* Returns the firing's record (new reference) or NULL. */
static json_t *
fire_record(const char *fid, const char *alert, const struct task *t,
    int64_t now, const char *outcome, uint64_t rows)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:I, s:s, s:I, s:[]}", "id",
	    fid, "alert", alert, "owner", t->t_owner ? t->t_owner : "",
	    "task", t->t_id, "at", (json_int_t)now, "outcome", outcome,
	    "rows", (json_int_t)rows, "deliveries");
}

int
alert_fire(const struct config *cfg, struct store *st, const char *alert,
    const struct alert_spec *spec, const char *task_id, int64_t now,
    struct alert_fired *out, char *err, size_t errlen)
{
	struct fire_ctx fc;
	struct task t;
	struct aq q;
	struct fieldset *cols = NULL;
	json_t *fire = NULL, *d, *until, *v;
	char rnd[TASK_ID_LEN + 1], fid[40], did[64], name[96], when[32];
	char *cond = NULL, *tmpdir = NULL;
	const char *thr_name, *key;
	void *iter;
	struct alert_action *aa;
	uint64_t rows, max = 0;
	size_t i;
	char why[256];
	int rc = -1, met, throttled, locked = 0, queued = 0;

	memset(out, 0, sizeof(*out));
	memset(&t, 0, sizeof(t));
	memset(&fc, 0, sizeof(fc));
	fc.fc_spec = spec;
	fc.fc_now = now;
	if (alert == NULL || *alert == '\0' || strlen(alert) > ALERT_NAME_MAX)
		return aq_fail(err, errlen, "an alert name is 1 to %d bytes",
		    ALERT_NAME_MAX);
	if (store_task_get(st, task_id, &t) != AR_OK)
		return aq_fail(err, errlen, "task '%.64s' not found", task_id);
	if (t.t_state != TASK_DONE) {
		aq_fail(err, errlen, "task '%s' is %s: alerts are evaluated "
		    "on DONE tasks", t.t_id, task_state_name(t.t_state));
		goto out;
	}
	if (util_task_id(rnd) == -1) {
		aq_fail(err, errlen, "no random source");
		goto out;
	}
	snprintf(fid, sizeof(fid), "%013lld-%.8s", (long long)now, rnd);
	if (aq_open(&q, cfg, err, errlen) == -1)
		goto out;
	locked = 1;
	thr_name = aq_throttle_name(alert);
	if ((fc.fc_thr = aq_read_json(&q, "throttle", thr_name)) == NULL ||
	    !json_is_object(fc.fc_thr)) {
		json_decref(fc.fc_thr);
		fc.fc_thr = json_object();
	}
	fc.fc_keys = json_object();
	if ((cond = fire_cond_text(spec)) == NULL || fc.fc_thr == NULL ||
	    fc.fc_keys == NULL) {
		aq_fail(err, errlen, "out of memory");
		goto out;
	}
	for (i = 0; i < spec->as_nactions; i++)
		if (spec->as_actions[i].aa_kind == ALERT_WEBHOOK &&
		    spec->as_actions[i].aa_results > max)
			max = spec->as_actions[i].aa_results;
	fc.fc_max_rows = max;
	cols = fire_columns(st, &t);
	for (i = 0; i < spec->as_nactions; i++)
		if (spec->as_actions[i].aa_kind == ALERT_EMAIL &&
		    spec->as_actions[i].aa_attach != ALERT_ATTACH_NONE &&
		    t.t_results > 0 && cols == NULL) {
			aq_fail(err, errlen, "task '%s' has results but no "
			    "readable column list", t.t_id);
			goto out;
		}
	if ((tmpdir = fire_tmpdir(cfg)) == NULL ||
	    fire_att_open(cfg, &q, &fc, fid, cols, tmpdir, err, errlen) == -1)
		goto out;

	task_clear(&t);
	if (store_results_read(st, task_id, 0, UINT64_MAX, &t, fire_begin,
	    fire_row, &fc) != AR_OK && !fc.fc_error) {
		aq_fail(err, errlen, "reading the results of task '%s' failed",
		    task_id);
		goto out;
	}
	if (fc.fc_error) {
		aq_fail(err, errlen, "evaluating the alert: %s", fc.fc_err);
		goto out;
	}
	met = alert_count_met(spec, spec->as_cond == ALERT_COND_RESULTS ?
	    t.t_results : fc.fc_matched);
	if (!met) {
		out->af_outcome = ALERT_NOT_MET;
		rc = 0;
		goto out;
	}
	rows = spec->as_throttle_field ? fc.fc_selected : fc.fc_matched;
	out->af_rows = rows;
	snprintf(out->af_id, sizeof(out->af_id), "%s", fid);
	/* Throttled: within the period, for the alert or for every value. */
	until = json_object_get(fc.fc_thr, "");
	if (spec->as_throttle_field != NULL && fc.fc_matched > 0)
		throttled = fc.fc_selected == 0;
	else
		throttled = spec->as_throttle > 0 &&
		    json_integer_value(until) > now;
	if (throttled) {
		out->af_outcome = ALERT_THROTTLED;
		if ((fire = fire_record(fid, alert, &t, now, "throttled",
		    fc.fc_matched)) == NULL) {
			aq_fail(err, errlen, "out of memory");
			goto out;
		}
		snprintf(name, sizeof(name), "%s.json", fid);
		if (aq_write_json(&q, "firings", name, fire, err, errlen) == -1)
			goto out;
		aq_task_log(st, task_id, "INFO", "alert '%s': condition %s met "
		    "by %llu rows, throttled (firing %s)", alert, cond,
		    (unsigned long long)fc.fc_matched, fid);
		rc = 0;
		goto out;
	}

	/* Bodies, then delivery records, then the firing: all synced. */
	if ((fire = fire_record(fid, alert, &t, now, "fired", rows)) ==
	    NULL) {
		aq_fail(err, errlen, "out of memory");
		goto out;
	}
	queued = 1;
	for (i = 0; i < spec->as_nactions; i++) {
		aa = &spec->as_actions[i];
		snprintf(did, sizeof(did), "%s-%zu", fid, i + 1);
		if (aa->aa_kind == ALERT_WEBHOOK)
			rc = fire_webhook(cfg, &q, alert, fid, did, &t, cond,
			    &fc, rows, aa->aa_results, err, errlen);
		else
			rc = fire_email(cfg, &q, alert, did, &t, cond, aa,
			    &fc.fc_att[i], rows, now, err, errlen);
		if (rc == -1)
			goto out;
		rc = -1;
		snprintf(name, sizeof(name), "%s.body", did);
		d = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:I, "
		    "s:I, s:I, s:n, s:n, s:s}", "id", did, "firing", fid,
		    "alert", alert, "task", task_id, "type",
		    aa->aa_kind == ALERT_WEBHOOK ? "webhook" : "email",
		    "target", aa->aa_kind == ALERT_WEBHOOK ? aa->aa_url :
		    aa->aa_to[0], "state", "pending", "attempts",
		    (json_int_t)0, "created", (json_int_t)now, "next_at",
		    (json_int_t)now, "last_attempt", (json_int_t)0,
		    "delivered_at", "last_error", "body", name);
		if (d != NULL && aa->aa_kind == ALERT_EMAIL && aa->aa_nto > 1) {
			struct buf to = BUF_INIT;
			size_t k;

			for (k = 0; k < aa->aa_nto; k++)
				buf_printf(&to, "%s%s", k ? "," : "",
				    aa->aa_to[k]);
			json_object_set_new(d, "target",
			    json_string(to.b_data ? to.b_data : ""));
			buf_free(&to);
		}
		if (d == NULL) {
			aq_fail(err, errlen, "out of memory");
			goto out;
		}
		snprintf(name, sizeof(name), "%s.json", did);
		if (aq_write_json(&q, "deliveries", name, d, err,
		    errlen) == -1) {
			json_decref(d);
			goto out;
		}
		json_decref(d);
		json_array_append_new(json_object_get(fire, "deliveries"),
		    json_string(did));
		out->af_deliveries++;
	}
	snprintf(name, sizeof(name), "%s.json", fid);
	if (aq_write_json(&q, "firings", name, fire, err, errlen) == -1)
		goto out;
	queued = 0;
	/* Throttling starts now: for each value fired on, or the alert. */
	if (spec->as_throttle > 0) {
		v = json_integer(now + spec->as_throttle * 1000);
		if (spec->as_throttle_field != NULL && fc.fc_matched > 0) {
			json_object_foreach(fc.fc_keys, key, until)
				json_object_set(fc.fc_thr, key, v);
		} else
			json_object_set(fc.fc_thr, "", v);
		json_decref(v);
		/* Drop the periods that are over, so the file stays small. */
		json_object_foreach_safe(fc.fc_thr, iter, key, until)
			if (json_integer_value(until) <= now)
				json_object_del(fc.fc_thr, key);
		/*
		 * The deliveries are queued: failing now would have the
		 * caller fire again and send twice. The alert is then not
		 * throttled, which the task log says.
		 */
		if (aq_write_json(&q, "throttle", thr_name, fc.fc_thr, why,
		    sizeof(why)) == -1)
			aq_task_log(st, task_id, "WARN", "alert '%s': the "
			    "throttle state was not saved: %s", alert, why);
	}
	aq_task_log(st, task_id, "INFO", "alert '%s': condition %s met, fired "
	    "%s on %llu rows at %s: %zu deliveries queued", alert, cond, fid,
	    (unsigned long long)rows, time_format_iso(now, when),
	    out->af_deliveries);
	out->af_outcome = ALERT_FIRED;
	rc = 0;
out:
	/* A firing that failed half way takes back what it queued. */
	if (queued)
		fire_unqueue(&q, fid, spec->as_nactions);
	fire_att_free(&fc);
	if (locked)
		aq_close(&q);
	json_decref(fire);
	json_decref(fc.fc_thr);
	json_decref(fc.fc_keys);
	buf_free(&fc.fc_rows);
	buf_free(&fc.fc_tmp);
	fieldset_free(cols);
	free(tmpdir);
	free(cond);
	task_clear(&t);
	return rc;
}
