/* download.c - POST file_download/{id}: a task's results as a file, streamed. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include <jansson.h>

#include "common/buf.h"
#include "common/config.h"
#include "common/error.h"
#include "common/jsontype.h"
#include "common/log.h"
#include "export/export.h"
#include "export/fields.h"
#include "fcgi/handlers.h"
#include "fcgi/request.h"
#include "store/store.h"

/* Deflate level of compressed downloads: speed over the last few percent. */
#define DL_ZIP_LEVEL 1
/* The most columns a download reads from a task's column list. */
#define DL_MAX_COLUMNS 1000000
#define DL_DEFAULT_SIZE 10000

enum dl_format { DL_JSON, DL_CSV, DL_XLSX };

static const struct {
	const char *df_ext;	/* file_type and file extension */
	const char *df_type;	/* Content-Type */
} dl_formats[] = {
	[DL_JSON] = {"json", "application/json"},
	[DL_CSV] = {"csv", "text/csv; charset=utf-8"},
	[DL_XLSX] = {"xlsx", "application/vnd.openxmlformats-officedocument."
	    "spreadsheetml.sheet"},
};

/* The validated body of a download request. */
struct dl_params {
	char *dp_name;		/* cleaned base name (malloc'd) */
	enum dl_format dp_format;
	int dp_compress;
	int dp_all;
	uint64_t dp_size;
};

/* The response seen as a sink: the headers go out with the first byte. */
struct dl_out {
	struct req *do_req;
	const char *do_type;
	const char *do_disp;	/* Content-Disposition value */
	int do_empty;		/* the file is empty: Content-Length: 0 */
};


/* State of one streamed download, for the store callbacks. */
struct dl_ctx {
	struct export_writer *dc_w;
	int dc_failed;		/* the writer failed (reason in dc_w) */
	int dc_not_final;	/* the task was not final in the read */
};

/* Sends the status line and headers of the file. */
static void
dl_headers(struct dl_out *o)
{
	struct buf b = BUF_INIT;

	if (buf_printf(&b, "Content-Disposition: %s\r\n"
	    "X-Content-Type-Options: nosniff\r\n", o->do_disp) == -1 ||
	    (o->do_empty && buf_puts(&b, "Content-Length: 0\r\n") == -1)) {
		/* Out of memory: the file still goes, under a plain name. */
		buf_free(&b);
		req_begin(o->do_req, 200, o->do_type, "Content-Disposition: "
		    "attachment\r\n");
		return;
	}
	req_begin(o->do_req, 200, o->do_type, b.b_data);
	buf_free(&b);
}

static int
dl_write(void *arg, const void *data, size_t len)
{
	struct dl_out *o = arg;

	if (!o->do_req->rq_started)
		dl_headers(o);
	return req_write(o->do_req, data, len);
}

static int
dl_begin(void *arg, const struct task *t, uint64_t from, uint64_t to)
{
	struct dl_ctx *dc = arg;

	(void)from;
	(void)to;
	/* Final states never change back: this only guards a store bug. */
	if (!task_state_final(t->t_state)) {
		dc->dc_not_final = 1;
		return -1;
	}
	return 0;
}

/* store_results_read's callback: one result to the writer. */
static int
dl_row(void *arg, const char *json, size_t len)
{
	struct dl_ctx *dc = arg;

	if (dc->dc_w->ew_row(dc->dc_w, json, len) == -1) {
		dc->dc_failed = 1;
		return -1;
	}
	return 0;
}

/*
 * Reads and checks the body into *dp. Returns 0, or -1 after answering the
 * error (413, 400 parse_exception, 400 illegal_argument_exception).
 */
static int
dl_parse(struct app *ap, struct req *r, struct dl_params *dp)
{
	static const char *const known[] = {"file_name", "file_type",
	    "compress_results", "download_all_results",
	    "download_results_size", NULL};
	const struct config *cfg = ap->ap_cfg;
	json_t *body, *v;
	const char *s;
	char reason[512];
	int i;

	memset(dp, 0, sizeof(*dp));
	dp->dp_size = DL_DEFAULT_SIZE;
	if ((body = handler_body_object(ap, r, known)) == NULL)
		return -1;
	/* file_name */
	if ((v = handler_body_string(r, body, "file_name")) == NULL)
		goto fail;
	dp->dp_name = export_file_name_clean(json_string_value(v),
	    json_string_length(v), (size_t)cfg->export_max_file_name_bytes);
	if (dp->dp_name == NULL) {
		req_error(r, AR_ENOMEM, "out of memory", NULL);
		goto fail;
	}
	/* file_type */
	if ((v = handler_body_string(r, body, "file_type")) == NULL)
		goto fail;
	s = json_string_value(v);
	for (i = 0; i < (int)(sizeof(dl_formats) / sizeof(dl_formats[0]));
	    i++)
		if (strcasecmp(s, dl_formats[i].df_ext) == 0)
			break;
	if (i == (int)(sizeof(dl_formats) / sizeof(dl_formats[0]))) {
		snprintf(reason, sizeof(reason), "field 'file_type' must be "
		    "one of \"json\", \"csv\", \"xlsx\", not '%.40s'", s);
		req_error(r, AR_EINVAL, reason, NULL);
		goto fail;
	}
	dp->dp_format = (enum dl_format)i;
	/* compress_results, download_all_results */
	if (handler_body_bool(r, body, "compress_results",
	    &dp->dp_compress) == -1 ||
	    handler_body_bool(r, body, "download_all_results",
	    &dp->dp_all) == -1)
		goto fail;
	/* download_results_size */
	if ((v = json_object_get(body, "download_results_size")) != NULL) {
		if (!json_is_integer(v) || json_integer_value(v) < 1) {
			snprintf(reason, sizeof(reason), "field "
			    "'download_results_size' must be an integer >= 1, "
			    "not %s", json_is_integer(v) ? "a smaller one" :
			    json_type_name(v));
			req_error(r, AR_EINVAL, reason, NULL);
			goto fail;
		}
		dp->dp_size = (uint64_t)json_integer_value(v);
	}
	json_decref(body);
	return 0;
fail:
	free(dp->dp_name);
	dp->dp_name = NULL;
	json_decref(body);
	return -1;
}

/*
 * Loads the task's column list into *cols. Returns 0, or -1 after
 * answering the error.
 */
static int
dl_columns(struct app *ap, struct req *r, const char *id,
    struct fieldset **cols)
{
	char *data = NULL;
	size_t len = 0;
	int rc;

	rc = store_stats_get(ap->ap_store, id, "fields", &data, &len);
	if (rc == AR_ENOTFOUND) {
		log_error("download %s: the task has results but no recorded "
		    "column list", id);
		req_error(r, AR_EINTERNAL, "the task has no recorded column "
		    "list", NULL);
		return -1;
	}
	if (rc != AR_OK) {
		handler_reply_store_error(r, rc, id);
		return -1;
	}
	*cols = fieldset_decode(data, len, DL_MAX_COLUMNS);
	free(data);
	if (*cols == NULL) {
		log_error("download %s: the recorded column list does not "
		    "parse", id);
		req_error(r, AR_EINTERNAL, "internal error", NULL);
		return -1;
	}
	return 0;
}

/*
 * Makes STORAGE/tmp (0700) for the xlsx temporary files and removes those
 * that dead workers left. Returns the path (malloc'd) or NULL.
 */
static char *
dl_tmpdir(const struct config *cfg)
{
	struct buf b = BUF_INIT;

	if (buf_printf(&b, "%s/tmp", cfg->storage_path) == -1)
		return NULL;
	if (mkdir(b.b_data, 0700) == -1 && errno != EEXIST) {
		log_error("download: cannot create %s: %s", b.b_data,
		    strerror(errno));
		buf_free(&b);
		return NULL;
	}
	export_xlsx_sweep(b.b_data);
	return b.b_data;
}

/*
 * Validates the body, checks the caller may see task id and that it is
 * final, then streams the file: writer -> [zip entry] -> response. The
 * headers go out with the first byte, so anything that fails before
 * still gets a proper error answer; after that a failure can only end the
 * response early, and is logged.
 */
void
handle_download(struct app *ap, struct req *r, const char *id)
{
	const struct config *cfg = ap->ap_cfg;
	struct dl_params dp;
	struct task t;
	struct fieldset *cols = NULL;
	struct export_zip *zip = NULL;
	struct export_writer *w = NULL;
	struct export_sink out, sink;
	struct export_opts eo;
	struct dl_out o;
	struct dl_ctx dc;
	struct buf entry = BUF_INIT;
	char *disp = NULL, *tmpdir = NULL, reason[512];
	const char *ext;
	int rc, failed = 0;

	memset(&t, 0, sizeof(t));
	if (dl_parse(ap, r, &dp) == -1)
		return;
	/* Ownership first, so another user's task is a plain 404. */
	if ((rc = handler_task_for_caller(ap, r, id, &t)) != AR_OK) {
		handler_reply_store_error(r, rc, id);
		goto out;
	}
	if (!task_state_final(t.t_state)) {
		snprintf(reason, sizeof(reason), "task '%s' is %s: its results "
		    "can be downloaded once it is DONE, FAILED or CANCELLED",
		    t.t_id, task_state_name(t.t_state));
		req_error(r, AR_ESTATE, reason, NULL);
		goto out;
	}
	if (dp.dp_format != DL_JSON && t.t_results > 0 &&
	    dl_columns(ap, r, id, &cols) == -1)
		goto out;
	ext = dl_formats[dp.dp_format].df_ext;
	disp = export_content_disposition(dp.dp_name,
	    dp.dp_compress ? "zip" : ext);
	if (disp == NULL) {
		req_error(r, AR_ENOMEM, "out of memory", NULL);
		goto out;
	}
	if (dp.dp_format == DL_XLSX && (tmpdir = dl_tmpdir(cfg)) == NULL) {
		req_error(r, AR_EINTERNAL, "internal error", NULL);
		goto out;
	}

	/* The chain: writer -> [zip entry] -> response. */
	memset(&o, 0, sizeof(o));
	o.do_req = r;
	o.do_type = dp.dp_compress ? "application/zip" :
	    dl_formats[dp.dp_format].df_type;
	o.do_disp = disp;
	out.es_write = dl_write;
	out.es_arg = &o;
	sink = out;
	if (dp.dp_compress) {
		if (buf_printf(&entry, "%s.%s", dp.dp_name, ext) == -1 ||
		    (zip = export_zip_new(&out, DL_ZIP_LEVEL,
		    (int)cfg->export_deflate_threads)) == NULL ||
		    export_zip_entry_begin(zip, entry.b_data, UINT64_MAX,
		    time(NULL)) == -1) {
			req_error(r, AR_ENOMEM, "out of memory", NULL);
			goto out;
		}
		export_zip_sink(zip, &sink);
	}
	memset(&eo, 0, sizeof(eo));
	eo.eo_cols = cols;
	eo.eo_formula_guard = cfg->export_csv_formula_guard;
	eo.eo_tmpdir = tmpdir;
	eo.eo_threads = (int)cfg->export_deflate_threads;
	eo.eo_rows = dp.dp_all || dp.dp_size > t.t_results ? t.t_results :
	    dp.dp_size;
	switch (dp.dp_format) {
	case DL_JSON:
		w = export_json_new(&sink, &eo);
		break;
	case DL_CSV:
		w = export_csv_new(&sink, &eo);
		break;
	case DL_XLSX:
		w = export_xlsx_new(&sink, &eo, reason, sizeof(reason));
		if (w == NULL)
			log_error("download %s: %s", id, reason);
		break;
	}
	if (w == NULL) {
		req_error(r, AR_EINTERNAL, "internal error", NULL);
		goto out;
	}

	memset(&dc, 0, sizeof(dc));
	dc.dc_w = w;
	task_clear(&t);
	rc = store_results_read(ap->ap_store, id, 0,
	    dp.dp_all ? UINT64_MAX : dp.dp_size, &t, dl_begin, dl_row, &dc);
	if (rc == AR_OK && dc.dc_not_final) {
		req_error(r, AR_ESTATE, "the task is not final", NULL);
		goto out;
	}
	if (rc != AR_OK) {
		if (!r->rq_started) {
			handler_reply_store_error(r, rc, id);
			goto out;
		}
		log_error("download %s: reading the results failed (%d)", id,
		    rc);
		goto out;
	}
	if (dc.dc_failed || w->ew_finish(w) == -1)
		failed = 1;
	else if (zip && export_zip_finish(zip) == -1) {
		failed = 1;
		if (!export_zip_gone(zip))
			snprintf(w->ew_err, sizeof(w->ew_err), "zip: out of "
			    "memory");
		w->ew_gone = export_zip_gone(zip);
	}
	if (failed) {
		if (w->ew_gone || r->rq_gone)
			log_debug("download %s: the client went away", id);
		else
			log_error("download %s: %s", id, w->ew_err);
		if (!r->rq_started)
			req_error(r, AR_EINTERNAL, "internal error", NULL);
		goto out;
	}
	if (!r->rq_started) {		/* an empty file (csv without rows) */
		o.do_empty = 1;
		dl_headers(&o);
	}
out:
	if (w)
		w->ew_free(w);
	export_zip_free(zip);
	fieldset_free(cols);
	buf_free(&entry);
	free(tmpdir);
	free(disp);
	free(dp.dp_name);
	task_clear(&t);
}
