/* ingest.h - what the ingest APIs (ingest.c, hec.c) share. */
#ifndef AR_FCGI_INGEST_H
#define AR_FCGI_INGEST_H

#include <stddef.h>

struct app;
struct req;
struct evstore;

#define INGEST_JSON_TYPE	"application/json; charset=UTF-8"

/*
 * Sends status with data[0..len) as type (no body for HEAD), with the
 * X-Elastic-Product header. A vanished client is noted in r.
 */
void ingest_reply(struct req *, int status, const char *type,
    const char *data, size_t len);

/*
 * Opens the event store on first use and keeps it in the app. Returns it
 * (owned by the app), or NULL after answering 503 in the Elasticsearch
 * error envelope.
 */
struct evstore *ingest_events(struct app *, struct req *);

/*
 * Reads the body into r (Content-Type checked first when check_type),
 * inflating a gzip one, at most ingest.max_body_bytes either way. Returns
 * 0 with rq_body, or -1 after answering in the Elasticsearch error
 * envelope (415, 413, 400, 500).
 */
int ingest_read(struct app *, struct req *, int check_type);

/* POST /services/collector/... (hec.c): Splunk's HTTP Event Collector. */
void handle_hec(struct app *, struct req *, const char *const *seg,
    size_t nseg);

#endif
