/* fuzz_formats.c - libFuzzer target: the log file format parsers of
 * "asyncreq ingest --format" on arbitrary lines. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/timeutil.h"
#include "ingest/fmt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * The first byte picks the format, the rest is the line. Whatever the
 * line, fmt_line must give (1 parsed or 0 kept) a JSON object that Jansson
 * reads, whose first member is the time field holding a time the store
 * reads, and which has "_parse_error" exactly when the line did not parse.
 * Anything else aborts, which libFuzzer reports as a crash.
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum fmt_kind kinds[] = { FMT_NDJSON, FMT_COMBINED,
	    FMT_COMMON, FMT_LIGHTTPD, FMT_NGINX_ERROR, FMT_APACHE_ERROR,
	    FMT_SYSLOG };
	json_error_t jerr;
	json_t *o, *tv;
	char *out = NULL;
	size_t outlen = 0;
	int64_t ms;
	int rc;

	if (size < 1)
		return 0;
	rc = fmt_line(kinds[data[0] % 7], (const char *)data + 1, size - 1,
	    "@timestamp", 1796292000000LL, &out, &outlen);
	if (rc == -1)
		return 0;	/* out of memory */
	if (out == NULL || strlen(out) != outlen)
		abort();
	if ((o = json_loadb(out, outlen, 0, &jerr)) == NULL ||
	    !json_is_object(o))
		abort();
	if (strncmp(out, "{\"@timestamp\":\"", 15) != 0)
		abort();
	tv = json_object_get(o, "@timestamp");
	if (!json_is_string(tv) || time_parse_iso(json_string_value(tv),
	    json_string_length(tv), &ms) == -1)
		abort();
	if ((json_object_get(o, "_parse_error") != NULL) != (rc == 0))
		abort();
	if (data[0] % 7 == 0 && rc != 0)
		abort();	/* ndjson: only the fallback */
	json_decref(o);
	free(out);
	return 0;
}
