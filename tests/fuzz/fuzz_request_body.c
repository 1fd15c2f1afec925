/* fuzz_request_body.c - libFuzzer target: the JSON bodies of POST request and file_download. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fake_fcgi.h"
#include "sml/sml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* http.max_body_bytes here: below -max_len, so 413 is reached too. */
#define MAX_BODY 2048

static int
known(const char *key, const char *const *names)
{
	for (int i = 0; names[i]; i++)
		if (strcmp(key, names[i]) == 0)
			return 1;
	return 0;
}

/* Returns 1 when sml_parse() accepts q with the configured limits. */
static int
query_parses(const char *q)
{
	struct sml_limits lim = {
		.sl_max_qsize = fake_cfg.limits_max_qsize,
		.sl_max_query_bytes = (size_t)fake_cfg.limits_max_query_bytes,
	};
	struct sml_query *sq = NULL;
	struct sml_error err;

	if (sml_parse(q, strlen(q), &lim, &sq, &err) == -1)
		return 0;
	sml_query_free(sq);
	return 1;
}

/*
 * The input: one byte (bit 0: POST file_download/{id} instead of POST
 * request; bit 1: no CONTENT_LENGTH, the body is read to its end), then
 * the body. The request goes through handle_request() as from a web server,
 * with an empty store and no runner. Checks, besides the form of every
 * reply (fake_fcgi.h) and memory safety:
 * - 413 exactly when the body is over http.max_body_bytes;
 * - 400 parse_exception exactly when Jansson (rejecting duplicate keys)
 *   does not read the body as an object;
 * - an object with a member of another name: 400
 *   illegal_argument_exception;
 * - request: 503 (accepted, but no runner) only with a string query that
 *   sml_parse() accepts, and always for an object of just such a query;
 *   400 query_parsing_exception only for a query it refuses, with the
 *   line, column and position of the error;
 * - file_download: 404 (accepted, but no such task) only with string
 *   file_name and file_type json, csv or xlsx, and always for an object
 *   of just those two;
 * - every JSON reply is valid UTF-8 when the body is (or always, with
 *   FUZZ_STRICT_UTF8=1 in the environment).
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const create_keys[] = {"query", "dtFieldName",
	    "dtStart", "dtEnd", "calculateStats", "calculateExecutionCost",
	    NULL};
	static const char *const dl_keys[] = {"file_name", "file_type",
	    "compress_results", "download_all_results",
	    "download_results_size", NULL};
	char clen[64], *envp[8];
	const char *body, *type, *key;
	struct fake_reply rep;
	json_t *ref, *v;
	int dl, strict, n = 0, unknown = 0, simple;
	size_t len;

	if (size < 1)
		return 0;
	fake_setup(MAX_BODY);
	dl = data[0] & 1;
	body = (const char *)data + 1;
	len = size - 1;
	envp[n++] = "REQUEST_METHOD=POST";
	envp[n++] = dl ? "REQUEST_URI=/_sme/async_requests/file_download/"
	    "0123456789abcdef0123456789abcdef" :
	    "REQUEST_URI=/_sme/async_requests/request";
	envp[n++] = "REMOTE_USER=alice";
	envp[n++] = "CONTENT_TYPE=application/json";
	envp[n++] = "HTTP_X_REQUESTED_WITH=XMLHttpRequest";
	if (!(data[0] & 2)) {
		snprintf(clen, sizeof(clen), "CONTENT_LENGTH=%zu", len);
		envp[n++] = clen;
	}
	envp[n] = NULL;
	strict = ref_utf8_ok((const unsigned char *)body, len) ||
	    getenv("FUZZ_STRICT_UTF8") != NULL;
	fake_request(envp, body, len, strict, &rep);
	type = fake_reply_type(&rep);

	if ((rep.fr_status == 413) != (len > MAX_BODY))
		fake_broken("413 is not exactly the bodies over the limit",
		    rep.fr_body, rep.fr_body_len);
	if (len > MAX_BODY)
		goto out;
	ref = json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL);
	if ((strcmp(type, "parse_exception") == 0) !=
	    (ref == NULL || !json_is_object(ref)))
		fake_broken("parse_exception is not exactly the bodies that "
		    "are no JSON object", rep.fr_body, rep.fr_body_len);
	if (ref == NULL || !json_is_object(ref)) {
		json_decref(ref);
		goto out;
	}
	json_object_foreach(ref, key, v)
		unknown |= !known(key, dl ? dl_keys : create_keys);
	if (unknown && !(rep.fr_status == 400 &&
	    strcmp(type, "illegal_argument_exception") == 0))
		fake_broken("an unknown member is not refused", rep.fr_body,
		    rep.fr_body_len);
	if (!dl) {
		v = json_object_get(ref, "query");
		simple = json_object_size(ref) == 1 && json_is_string(v) &&
		    query_parses(json_string_value(v));
		if (rep.fr_status == 503 && !(json_is_string(v) &&
		    query_parses(json_string_value(v))))
			fake_broken("a create without a valid query is accepted",
			    rep.fr_body, rep.fr_body_len);
		if (simple && rep.fr_status != 503)
			fake_broken("a create of a valid query is refused",
			    rep.fr_body, rep.fr_body_len);
		if (strcmp(type, "query_parsing_exception") == 0) {
			json_t *e = json_object_get(rep.fr_json, "error");

			if (!json_is_string(v) ||
			    query_parses(json_string_value(v)))
				fake_broken("a valid query is refused",
				    rep.fr_body, rep.fr_body_len);
			if (json_integer_value(json_object_get(e, "line")) < 1 ||
			    json_integer_value(json_object_get(e, "column")) < 1 ||
			    !json_is_integer(json_object_get(e, "position")))
				fake_broken("a query error without its place",
				    rep.fr_body, rep.fr_body_len);
		}
	} else {
		json_t *fn = json_object_get(ref, "file_name");
		json_t *ft = json_object_get(ref, "file_type");
		int ok_type = json_is_string(ft) &&
		    (strcasecmp(json_string_value(ft), "json") == 0 ||
		    strcasecmp(json_string_value(ft), "csv") == 0 ||
		    strcasecmp(json_string_value(ft), "xlsx") == 0);

		simple = json_object_size(ref) == 2 && json_is_string(fn) &&
		    ok_type;
		if (rep.fr_status == 404 && !(json_is_string(fn) && ok_type))
			fake_broken("a download without its name and type is "
			    "accepted", rep.fr_body, rep.fr_body_len);
		if (simple && rep.fr_status != 404)
			fake_broken("a download of a name and type is refused",
			    rep.fr_body, rep.fr_body_len);
	}
	json_decref(ref);
out:
	fake_reply_free(&rep);
	return 0;
}
