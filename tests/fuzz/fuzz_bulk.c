/* fuzz_bulk.c - libFuzzer target: the _bulk framing and a document's checks
 * on arbitrary bytes. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/evtime.h"
#include "common/util.h"
#include "ingest/bulk.h"
#include "ingest/doc.h"
#include "ingest/jscan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * jscan's promise: what it vouches for, Jansson accepts as an object, and
 * the member it found is the one field_get finds. Aborts otherwise.
 */
static void
check_jscan(const char *s, size_t n)
{
	enum jscan_kind kind;
	const char *v;
	size_t vl;
	json_error_t jerr;
	json_t *o, *tv;

	if (!util_utf8_valid(s, n) ||
	    !jscan_object(s, n, "@timestamp", &kind, &v, &vl))
		return;
	if ((o = json_loadb(s, n, 0, &jerr)) == NULL || !json_is_object(o))
		abort();
	tv = json_object_get(o, "@timestamp");
	if ((kind == JSCAN_NONE) != (tv == NULL))
		abort();
	if (kind == JSCAN_STRING && (!json_is_string(tv) ||
	    json_string_length(tv) != vl ||
	    memcmp(json_string_value(tv), v, vl) != 0))
		abort();
	if (kind == JSCAN_INTEGER && !json_is_integer(tv))
		abort();
	if (kind == JSCAN_REAL && !json_is_real(tv))
		abort();
	json_decref(o);
}

/*
 * Checks jscan on the whole input and on each document, then walks the
 * input as a bulk body. Every item must point inside the input,
 * carry NUL-terminated names, and its document (checked with
 * ingest_doc_prepare, whose replacement text is freed) must be refused with
 * a type and a reason or accepted; a refused body must say why. Anything
 * else aborts, which libFuzzer reports as a crash.
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *body = (const char *)data, *etype;
	struct bulk_reader br;
	struct bulk_item it;
	char err[512], derr[512], *rep;
	size_t replen, n = 0;
	int64_t ms;
	int rc;

	check_jscan(body, size);
	bulk_reader_init(&br, body, size);
	while ((rc = bulk_next(&br, &it, err, sizeof(err))) == 1) {
		if (memchr(it.bi_index, '\0', sizeof(it.bi_index)) == NULL ||
		    memchr(it.bi_id, '\0', sizeof(it.bi_id)) == NULL)
			abort();
		(void)ingest_index_name_check(it.bi_index);
		if (it.bi_doc != NULL) {
			check_jscan(it.bi_doc, it.bi_doc_len);
			if (it.bi_doc < body || it.bi_doc_len == 0 ||
			    it.bi_doc + it.bi_doc_len > body + size)
				abort();
			derr[0] = '\0';
			if (ingest_doc_prepare(it.bi_doc, it.bi_doc_len,
			    "@timestamp", 1000, &ms, &rep, &replen, &etype,
			    derr, sizeof(derr)) == 0)
				free(rep);
			else if (etype == NULL || derr[0] == '\0')
				abort();
		}
		if (++n > size)
			abort();	/* no progress */
	}
	if (rc == -1 && (memchr(err, '\0', sizeof(err)) == NULL ||
	    strncmp(err, "line ", 5) != 0))
		abort();
	return 0;
}
