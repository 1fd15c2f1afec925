/* doc.h - an ingested document checked and given its time; index names. */
#ifndef AR_INGEST_DOC_H
#define AR_INGEST_DOC_H

#include <stddef.h>
#include <stdint.h>

/*
 * The common case without a parse tree: doc[0..len) is UTF-8, one JSON
 * object jscan vouches for, with a readable time in the top-level member
 * time_field. Returns 0 with the time in *ms, or -1 when a full parse must
 * decide (the document may still be good: the answer is only slower).
 */
int ingest_doc_fast(const char *doc, size_t len, const char *time_field,
    int64_t *ms);

/*
 * Checks document doc[0..len) (one JSON object, UTF-8) and reads its time
 * from time_field (ISO-8601 with any offset, epoch seconds or
 * milliseconds; dots walk nested objects). Returns 0 with the time in
 * *ms and *out NULL when the document is stored as it was sent; 0 with a
 * malloc'd replacement text in *out and *outlen (caller frees) when the
 * document has no readable time: it then gets now_ms, written into
 * time_field, with "_time_missing": true, and "_time_original" holding an
 * unreadable value that was there. Returns -1 with an Elasticsearch error
 * type (static) in *etype and a reason in err for a document that is not
 * UTF-8, not JSON, or not an object, or on running out of memory.
 */
int ingest_doc_prepare(const char *doc, size_t len, const char *time_field,
    int64_t now_ms, int64_t *ms, char **out, size_t *outlen,
    const char **etype, char *err, size_t errlen);

/*
 * Checks an index name by Elasticsearch's rules and the event store's:
 * not empty, at most 255 bytes, lower case, not starting with '_', '-' or
 * '+', not "." or "..", none of \ / * ? " < > | , # : or a space, and
 * only ASCII letters, digits, '.', '_' and '-' (evstore_index_name_ok).
 * Returns NULL when name may be written to, else the reason (static).
 */
const char *ingest_index_name_check(const char *name);

#endif
