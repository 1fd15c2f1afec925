/* fuzz_bulk.c - libFuzzer target: the _bulk framing and a document's checks
 * on arbitrary bytes. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/bulk.h"
#include "ingest/doc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * Walks the input as a bulk body. Every item must point inside the input,
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

	bulk_reader_init(&br, body, size);
	while ((rc = bulk_next(&br, &it, err, sizeof(err))) == 1) {
		if (memchr(it.bi_index, '\0', sizeof(it.bi_index)) == NULL ||
		    memchr(it.bi_id, '\0', sizeof(it.bi_id)) == NULL)
			abort();
		(void)ingest_index_name_check(it.bi_index);
		if (it.bi_doc != NULL) {
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
