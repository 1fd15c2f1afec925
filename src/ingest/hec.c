/* hec.c - Splunk HTTP Event Collector bodies turned into stored events. */
#include <math.h>	/* isfinite, a macro: no libm */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/evtime.h"
#include "common/timeutil.h"
#include "common/util.h"
#include "ingest/hec.h"

void
hec_reader_init(struct hec_reader *hr, const char *body, size_t len, int raw)
{
	hr->hr_p = body;
	hr->hr_end = body + len;
	hr->hr_n = 0;
	hr->hr_raw = raw;
}

static int
hec_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/*
 * Reads HEC's "time": epoch seconds as a number or a string of one.
 * Returns 0 and *ms, or -1.
 */
static int
hec_time(json_t *v, int64_t *ms)
{
	double d;
	char *end;

	if (json_is_integer(v)) {
		json_int_t s = json_integer_value(v);

		if (s > INT64_MAX / 1000 || s < INT64_MIN / 1000)
			return -1;
		*ms = (int64_t)s * 1000;
		return 0;
	}
	if (json_is_real(v))
		d = json_real_value(v);
	else if (json_is_string(v) && json_string_length(v) > 0) {
		d = strtod(json_string_value(v), &end);
		if (*end != '\0')
			return -1;
	} else
		return -1;
	if (!isfinite(d) || d > 9.2e15 || d < -9.2e15)
		return -1;
	d *= 1000.0;
	*ms = (int64_t)d;
	if ((double)*ms > d)
		(*ms)--;
	return 0;
}

/* Sets key of doc to a copy of the string s unless doc has it. -1 OOM. */
static int
hec_default(json_t *doc, const char *key, json_t *v)
{
	if (v == NULL || json_object_get(doc, key) != NULL)
		return 0;
	return json_object_set(doc, key, v);
}

/*
 * Finishes doc (owned, decref'd here): the defaults, the time, dumped to
 * ev. Returns 1, or -1 with code/err.
 */
static int
hec_finish(json_t *doc, json_t *hec_time_v, const struct hec_defaults *d,
    struct hec_event *ev, int *code, char *err, size_t errlen)
{
	char iso[32];
	json_t *tv;
	int missing = 0;

	if (hec_time_v != NULL) {
		if (hec_time(hec_time_v, &ev->he_ms) == -1) {
			*code = HEC_INVALID_FORMAT;
			snprintf(err, errlen, "\"time\" must be epoch seconds");
			goto fail;
		}
		if (json_object_set_new(doc, d->hd_time_field,
		    json_string(time_format_iso(ev->he_ms, iso))) == -1)
			goto oom;
	} else if ((tv = json_object_get(doc, d->hd_time_field)) == NULL ||
	    evtime_from_json(tv, &ev->he_ms) == -1) {
		ev->he_ms = d->hd_now_ms;
		missing = 1;
		if (tv != NULL && json_object_set(doc, "_time_original",
		    tv) == -1)
			goto oom;
		if (json_object_set_new(doc, d->hd_time_field,
		    json_string(time_format_iso(ev->he_ms, iso))) == -1)
			goto oom;
	}
	if (missing && json_object_set_new(doc, "_time_missing",
	    json_true()) == -1)
		goto oom;
	if ((ev->he_json = json_dumps(doc, JSON_COMPACT)) == NULL)
		goto oom;
	ev->he_len = strlen(ev->he_json);
	json_decref(doc);
	return 1;
oom:
	*code = HEC_INVALID_FORMAT;
	snprintf(err, errlen, "out of memory");
fail:
	json_decref(doc);
	return -1;
}

/* Adds the query-string defaults (host, source, sourcetype). -1 OOM. */
static int
hec_query_defaults(json_t *doc, const struct hec_defaults *d)
{
	const char *keys[] = { "host", "source", "sourcetype" };
	const char *vals[] = { d->hd_host, d->hd_source, d->hd_sourcetype };

	for (int i = 0; i < 3; i++) {
		json_t *s;

		if (vals[i] == NULL || json_object_get(doc, keys[i]) != NULL)
			continue;
		if ((s = json_string(vals[i])) == NULL ||
		    json_object_set_new(doc, keys[i], s) == -1)
			return -1;
	}
	return 0;
}

/* /raw: the next line that is not blank. */
static int
hec_next_raw(struct hec_reader *hr, const struct hec_defaults *d,
    struct hec_event *ev, int *code, char *err, size_t errlen)
{
	const char *p, *e, *nl;
	json_t *doc;

	for (;;) {
		if (hr->hr_p >= hr->hr_end)
			return 0;
		p = hr->hr_p;
		nl = memchr(p, '\n', (size_t)(hr->hr_end - p));
		e = nl ? nl : hr->hr_end;
		hr->hr_p = nl ? nl + 1 : hr->hr_end;
		while (e > p && hec_space(e[-1]))
			e--;
		if (e > p)
			break;
	}
	hr->hr_n++;
	if (!util_utf8_valid(p, (size_t)(e - p))) {
		*code = HEC_INVALID_FORMAT;
		snprintf(err, errlen, "the line is not valid UTF-8");
		return -1;
	}
	if ((doc = json_object()) == NULL ||
	    json_object_set_new(doc, "message",
	    json_stringn(p, (size_t)(e - p))) == -1 ||
	    hec_query_defaults(doc, d) == -1) {
		json_decref(doc);
		*code = HEC_INVALID_FORMAT;
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return hec_finish(doc, NULL, d, ev, code, err, errlen);
}

int
hec_next(struct hec_reader *hr, const struct hec_defaults *d,
    struct hec_event *ev, int *code, char *err, size_t errlen)
{
	json_error_t jerr;
	json_t *root = NULL, *event, *doc = NULL, *v, *fields;
	const char *key;
	int rc = -1;

	memset(ev, 0, sizeof(*ev));
	if (hr->hr_raw)
		return hec_next_raw(hr, d, ev, code, err, errlen);
	while (hr->hr_p < hr->hr_end && hec_space(*hr->hr_p))
		hr->hr_p++;
	if (hr->hr_p >= hr->hr_end)
		return 0;
	hr->hr_n++;
	*code = HEC_INVALID_FORMAT;
	if (!util_utf8_valid(hr->hr_p, (size_t)(hr->hr_end - hr->hr_p))) {
		snprintf(err, errlen, "the body is not valid UTF-8");
		hr->hr_p = hr->hr_end;
		return -1;
	}
	root = json_loadb(hr->hr_p, (size_t)(hr->hr_end - hr->hr_p),
	    JSON_DISABLE_EOF_CHECK, &jerr);
	if (root == NULL) {
		snprintf(err, errlen, "not JSON: %s", jerr.text);
		hr->hr_p = hr->hr_end;
		return -1;
	}
	hr->hr_p += jerr.position;
	if (!json_is_object(root)) {
		snprintf(err, errlen, "an event must be a JSON object");
		goto out;
	}
	if ((event = json_object_get(root, "event")) == NULL ||
	    json_is_null(event)) {
		*code = HEC_EVENT_REQUIRED;
		snprintf(err, errlen, "Event field is required");
		goto out;
	}
	if ((json_is_string(event) && json_string_length(event) == 0) ||
	    (json_is_object(event) && json_object_size(event) == 0)) {
		*code = HEC_EVENT_BLANK;
		snprintf(err, errlen, "Event field cannot be blank");
		goto out;
	}
	if ((v = json_object_get(root, "index")) != NULL &&
	    (!json_is_string(v) || strcmp(json_string_value(v),
	    d->hd_index) != 0)) {
		*code = HEC_INCORRECT_INDEX;
		snprintf(err, errlen, "this token writes to "
		    "'%s' only", d->hd_index);
		goto out;
	}
	if (json_is_object(event))
		doc = json_copy(event);
	else if ((doc = json_object()) != NULL &&
	    json_object_set(doc, "message", event) == -1) {
		json_decref(doc);
		doc = NULL;
	}
	if (doc == NULL)
		goto oom;
	if (hec_default(doc, "host", json_object_get(root, "host")) == -1 ||
	    hec_default(doc, "source", json_object_get(root, "source")) == -1 ||
	    hec_default(doc, "sourcetype", json_object_get(root,
	    "sourcetype")) == -1 || hec_query_defaults(doc, d) == -1)
		goto oom;
	if ((fields = json_object_get(root, "fields")) != NULL) {
		if (!json_is_object(fields)) {
			snprintf(err, errlen, "\"fields\" must be an object");
			goto out;
		}
		json_object_foreach(fields, key, v)
			if (hec_default(doc, key, v) == -1)
				goto oom;
	}
	rc = hec_finish(doc, json_object_get(root, "time"), d, ev, code, err,
	    errlen);
	doc = NULL;
	goto out;
oom:
	snprintf(err, errlen, "out of memory");
out:
	json_decref(doc);
	json_decref(root);
	return rc;
}
