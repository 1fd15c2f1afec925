/* hec.c - Splunk's HTTP Event Collector: /services/collector/event, /raw,
 * /health, with tokens from ingest.hec_tokens. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/buf.h"
#include "common/config.h"
#include "common/timeutil.h"
#include "fcgi/handlers.h"
#include "fcgi/ingest.h"
#include "fcgi/request.h"
#include "ingest/doc.h"
#include "ingest/hec.h"
#include "store/events.h"

/* Sends Splunk's answer {"text":...,"code":N[,"invalid-event-number":M]}. */
static void
hec_answer(struct req *r, int status, const char *text, int code, long event)
{
	struct buf b = BUF_INIT;

	if (buf_puts(&b, "{\"text\":") == -1 ||
	    buf_json_str(&b, text, strlen(text)) == -1 ||
	    buf_printf(&b, ",\"code\":%d", code) == -1 ||
	    (event >= 0 && buf_printf(&b, ",\"invalid-event-number\":%ld",
	    event) == -1) || buf_putc(&b, '}') == -1) {
		buf_free(&b);
		ingest_reply(r, 500, INGEST_JSON_TYPE, "{\"text\":\"Internal "
		    "server error\",\"code\":8}", 41);
		return;
	}
	ingest_reply(r, status, INGEST_JSON_TYPE, b.b_data, b.b_len);
	buf_free(&b);
}

/*
 * Finds the token's index from "Authorization: Splunk TOKEN". Returns 0
 * with index filled, or -1 after answering 401 (no or malformed header)
 * or 403 (a token not in ingest.hec_tokens).
 */
static int
hec_auth(struct app *ap, struct req *r, char *index, size_t indexlen)
{
	const char *a = r->rq_authorization;

	if (*a == '\0') {
		hec_answer(r, 401, "Token is required", 2, -1);
		return -1;
	}
	if (strncasecmp(a, "Splunk ", 7) != 0 || a[7] == '\0') {
		hec_answer(r, 401, "Invalid authorization", 3, -1);
		return -1;
	}
	if (!config_hec_index(ap->ap_cfg, a + 7, index, indexlen)) {
		hec_answer(r, 403, "Invalid token", 4, -1);
		return -1;
	}
	return 0;
}

/* Returns a query parameter's malloc'd value (caller frees), or NULL. */
static char *
hec_param(struct req *r, const char *name)
{
	char *v = NULL;

	return req_query_get(r, name, &v) ? v : NULL;
}

/*
 * POST /services/collector[/event[/1.0]] and /services/collector/raw[/1.0]:
 * every event of the body in one batch, committed before the answer; an
 * invalid event refuses the whole body (Splunk would keep the events before
 * it; here a retry of the fixed body never duplicates them).
 */
static void
hec_store(struct app *ap, struct req *r, int raw, const char *index)
{
	struct hec_defaults d;
	struct hec_reader hr;
	struct hec_event ev;
	struct evstore *es;
	struct evstore_batch *eb = NULL;
	char field[256], err[700], *host, *source, *stype, *qindex;
	const char *bad;
	uint64_t seq;
	size_t n = 0;
	int rc, code;

	host = hec_param(r, "host");
	source = hec_param(r, "source");
	stype = hec_param(r, "sourcetype");
	qindex = hec_param(r, "index");
	if (qindex != NULL && strcmp(qindex, index) != 0) {
		hec_answer(r, 400, "Incorrect index", HEC_INCORRECT_INDEX, -1);
		goto done;
	}
	if ((bad = ingest_index_name_check(index)) != NULL) {
		snprintf(err, sizeof(err), "the token's index '%s' in "
		    "ingest.hec_tokens cannot be written: %s", index, bad);
		hec_answer(r, 500, err, 8, -1);
		goto done;
	}
	if (ingest_read(ap, r, 0) == -1 || (es = ingest_events(ap, r)) == NULL)
		goto done;
	if (evstore_batch_begin(es, &eb, err, sizeof(err)) == -1) {
		eb = NULL;
		hec_answer(r, 503, "Server is busy", 9, -1);
		goto done;
	}
	rc = evstore_batch_index(eb, index, ap->ap_cfg->ingest_time_field,
	    field, sizeof(field), err, sizeof(err));
	if (rc != 0) {
		hec_answer(r, rc == 1 ? 500 : 503, rc == 1 ? err :
		    "Server is busy", rc == 1 ? 8 : 9, -1);
		goto done;
	}
	d.hd_host = host;
	d.hd_source = source;
	d.hd_sourcetype = stype;
	d.hd_index = index;
	d.hd_time_field = field;
	d.hd_now_ms = time_now_ms();
	hec_reader_init(&hr, r->rq_body, r->rq_body_len, raw);
	while ((rc = hec_next(&hr, &d, &ev, &code, err, sizeof(err))) == 1) {
		n++;
		rc = evstore_batch_add(eb, index, ev.he_ms, ev.he_json,
		    ev.he_len, &seq, err, sizeof(err));
		free(ev.he_json);
		if (rc == -1) {
			hec_answer(r, 503, "Server is busy", 9, -1);
			goto done;
		}
	}
	if (rc == -1) {
		char text[800];
		static const char *const names[] = {
			[HEC_INVALID_FORMAT] = "Invalid data format",
			[HEC_INCORRECT_INDEX] = "Incorrect index",
			[HEC_EVENT_REQUIRED] = "Event field is required",
			[HEC_EVENT_BLANK] = "Event field cannot be blank",
		};
		const char *name = code >= 0 && code <= HEC_EVENT_BLANK &&
		    names[code] ? names[code] : "Invalid data format";

		/* Splunk's text, and what was wrong, in one string. */
		if (strcmp(err, name) == 0)
			snprintf(text, sizeof(text), "%s", name);
		else
			snprintf(text, sizeof(text), "%s: %s", name, err);
		hec_answer(r, 400, text, code, (long)hr.hr_n - 1);
		goto done;
	}
	if (n == 0) {
		hec_answer(r, 400, "No data", HEC_NO_DATA, -1);
		goto done;
	}
	rc = evstore_batch_commit(eb, err, sizeof(err));
	eb = NULL;
	if (rc == -1) {
		hec_answer(r, 503, "Server is busy", 9, -1);
		goto done;
	}
	hec_answer(r, 200, "Success", 0, -1);
done:
	evstore_batch_abort(eb);
	free(host);
	free(source);
	free(stype);
	free(qindex);
}

void
handle_hec(struct app *ap, struct req *r, const char *const *seg, size_t nseg)
{
	char index[256];
	int raw = 0;

	/* seg[0..1] are "services", "collector". */
	if (nseg == 3 && strcmp(seg[2], "health") == 0 &&
	    (strcmp(r->rq_method, "GET") == 0 ||
	    strcmp(r->rq_method, "HEAD") == 0)) {
		if (config_hec_enabled(ap->ap_cfg))
			hec_answer(r, 200, "HEC is healthy", 17, -1);
		else
			hec_answer(r, 400, "HEC is disabled: ingest.hec_tokens "
			    "lists no token", 18, -1);
		return;
	}
	if (nseg == 2 || ((nseg == 3 || nseg == 4) &&
	    strcmp(seg[2], "event") == 0 &&
	    (nseg == 3 || strcmp(seg[3], "1.0") == 0)))
		raw = 0;
	else if ((nseg == 3 || nseg == 4) && strcmp(seg[2], "raw") == 0 &&
	    (nseg == 3 || strcmp(seg[3], "1.0") == 0))
		raw = 1;
	else {
		hec_answer(r, 404, "The requested URL was not found on this "
		    "server.", 404, -1);
		return;
	}
	if (strcmp(r->rq_method, "POST") != 0) {
		hec_answer(r, 405, "Method not allowed: use POST", 405, -1);
		return;
	}
	if (!config_hec_enabled(ap->ap_cfg)) {
		hec_answer(r, 403, "Token disabled: ingest.hec_tokens lists no "
		    "token", 1, -1);
		return;
	}
	if (hec_auth(ap, r, index, sizeof(index)) == -1)
		return;
	hec_store(ap, r, raw, index);
}
