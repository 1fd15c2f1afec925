/* doc.c - an ingested document checked and given its time; index names. */
#include <stdio.h>
#include <stdlib.h>
#include <errno.h>
#include <string.h>

#include <jansson.h>

#include "common/evtime.h"
#include "common/timeutil.h"
#include "common/util.h"
#include "ingest/doc.h"
#include "ingest/jscan.h"
#include "store/events.h"

int
ingest_doc_fast(const char *doc, size_t len, const char *time_field,
    int64_t *ms)
{
	enum jscan_kind kind;
	const char *v;
	size_t vlen;
	json_t *tv = NULL;
	char num[64];
	int rc = -1;

	if (!util_utf8_valid(doc, len) ||
	    !jscan_object(doc, len, time_field, &kind, &v, &vlen))
		return -1;
	switch (kind) {
	case JSCAN_STRING:
		tv = json_stringn_nocheck(v, vlen);
		break;
	case JSCAN_INTEGER:
	case JSCAN_REAL:
		if (vlen >= sizeof(num))
			return -1;
		memcpy(num, v, vlen);
		num[vlen] = '\0';
		errno = 0;
		tv = kind == JSCAN_INTEGER ? json_integer(strtoll(num, NULL,
		    10)) : json_real(strtod(num, NULL));
		if (errno != 0) {
			json_decref(tv);
			return -1;
		}
		break;
	default:
		return -1;
	}
	if (tv != NULL && evtime_from_json(tv, ms) == 0)
		rc = 0;
	json_decref(tv);
	return rc;
}

int
ingest_doc_prepare(const char *doc, size_t len, const char *time_field,
    int64_t now_ms, int64_t *ms, char **out, size_t *outlen,
    const char **etype, char *err, size_t errlen)
{
	json_error_t jerr;
	json_t *obj, *tv;
	char iso[32];
	int rc = -1;

	*out = NULL;
	*outlen = 0;
	*etype = "mapper_parsing_exception";
	if (ingest_doc_fast(doc, len, time_field, ms) == 0)
		return 0;
	if (!util_utf8_valid(doc, len)) {
		snprintf(err, errlen, "failed to parse: the document is not "
		    "valid UTF-8");
		return -1;
	}
	if ((obj = json_loadb(doc, len, 0, &jerr)) == NULL) {
		snprintf(err, errlen, "failed to parse: the document is not "
		    "JSON: %s (column %d)", jerr.text, jerr.column);
		return -1;
	}
	if (!json_is_object(obj)) {
		snprintf(err, errlen, "failed to parse: the document must be a "
		    "JSON object");
		goto done;
	}
	tv = field_get(obj, time_field);
	if (tv != NULL && evtime_from_json(tv, ms) == 0) {
		rc = 0;
		goto done;
	}
	/* No readable time: the receipt time, and fields that say so. */
	*ms = now_ms;
	if (tv != NULL && json_object_set(obj, "_time_original", tv) == -1)
		goto oom;
	if (json_object_set_new(obj, time_field,
	    json_string(time_format_iso(now_ms, iso))) == -1 ||
	    json_object_set_new(obj, "_time_missing", json_true()) == -1)
		goto oom;
	if ((*out = json_dumps(obj, JSON_COMPACT)) == NULL)
		goto oom;
	*outlen = strlen(*out);
	rc = 0;
	goto done;
oom:
	*etype = "internal_error";
	snprintf(err, errlen, "out of memory");
done:
	json_decref(obj);
	return rc;
}

const char *
ingest_index_name_check(const char *name)
{
	size_t n = strlen(name);

	if (n == 0)
		return "must not be empty";
	if (n > 255)
		return "index name is too long, (at most 255 bytes)";
	if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return "must not be '.' or '..'";
	if (strchr("_-+", name[0]) != NULL)
		return "must not start with '_', '-', or '+'";
	if (strpbrk(name, "\\/*?\"<>|, #:") != NULL)
		return "must not contain the following characters "
		    "[\\, /, *, ?, \", <, >, |, ' ', ',', #, :]";
	for (const char *p = name; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			return "must be lowercase";
	if (!evstore_index_name_ok(name))
		return "may hold only ASCII letters, digits, '.', '_' and '-', "
		    "and must not start with '.' (at most 200 bytes)";
	return NULL;
}
