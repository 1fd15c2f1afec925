/* request.h - one HTTP request as the responder sees it over FastCGI. */
#ifndef AR_REQUEST_H
#define AR_REQUEST_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"

/*
 * Parsed parameters of the current request. Strings are owned by the
 * request (copied from the FastCGI parameters) and live until req_free().
 */
struct req {
	void *rq_fcgx;		/* the FCGX_Request */
	char *rq_method;
	char *rq_path;		/* percent-decoded, from "_sme/" on, or the
				 * whole path when it has no "_sme/"; on
				 * the ingest API the whole path ("/...") */
	int rq_api_ingest;	/* the web server set ASYNCREQ_API=ingest:
				 * the Elasticsearch-compatible ingest API
				 * at the root of its own server block */
	char *rq_content_encoding; /* Content-Encoding ("" when none) */
	char *rq_authorization;	/* the Authorization header ("" when none;
				 * a secret: never logged or echoed) */
	char *rq_query;		/* raw query string ("" when none) */
	char *rq_user;		/* REMOTE_USER or "anonymous" */
	int rq_has_user;	/* REMOTE_USER was set */
	uint64_t rq_content_length;
	int rq_has_length;
	char *rq_body;		/* after req_read_body, NUL-terminated */
	size_t rq_body_len;
	int rq_status;		/* status sent (for the access log) */
	uint64_t rq_bytes;	/* body bytes sent */
	int rq_gone;		/* a write failed: the client left */
	int rq_started;		/* headers were sent */
	int64_t rq_t0;		/* monotonic ms at start */
	const char *rq_allow;	/* static: Allow header of a 405 */
	const char *rq_invalid;	/* static: "method", "path" or "query
				 * string" when that text (decoded) is not
				 * UTF-8; NULL when all is */
	int rq_bad_user;	/* REMOTE_USER is not UTF-8 */
	char *rq_content_type;	/* CONTENT_TYPE ("" when none) */
	char *rq_origin;	/* the Origin header ("" when none) */
	int rq_has_origin;	/* an Origin header was sent */
	int rq_has_xrw;		/* an X-Requested-With header was sent */
	char *rq_self_origin;	/* "scheme://host[:port]" of this request */
};

/* Fills r from the FastCGI request fcgx. Returns 0, or -1 out of memory. */
int req_init(struct req *r, void *fcgx);
void req_free(struct req *r);

/*
 * Returns 1 when the Content-Type is application/json, parameters such as
 * "; charset=utf-8" allowed, the type compared case-insensitively; 0
 * otherwise (none, text/plain, a form, ...).
 */
int req_content_type_json(const struct req *r);

/*
 * Returns 1 when the Content-Type is type (compared as
 * req_content_type_json does: case-insensitively, parameters allowed), 0
 * otherwise.
 */
int req_content_type_is(const struct req *r, const char *type);

/*
 * Returns 1 when the Origin header names the origin the request was sent
 * to (rq_self_origin; a default port written out is the same origin), 0
 * otherwise. Meaningful only when rq_has_origin.
 */
int req_origin_same(const struct req *r);

/*
 * Reads the body, refusing (without reading it) one declared larger than
 * max. Returns AR_OK, AR_ETOOBIG, or AR_ENOMEM/AR_EINTERNAL.
 */
int req_read_body(struct req *r, uint64_t max);

/*
 * Looks up query-string parameter name: returns 1 and a malloc'd decoded
 * value in *val (caller frees), 0 when absent.
 */
int req_query_get(const struct req *r, const char *name, char **val);

/*
 * Checks that every query-string parameter is in the NULL-terminated list
 * allowed and appears once. Returns 0, or -1 with a reason in err.
 */
int req_query_check(const struct req *r, const char *const *allowed,
    char *err, size_t errlen);

/* Sends the status line and headers; extra is "" or "Name: v\r\n"... */
void req_begin(struct req *r, int status, const char *content_type,
    const char *extra);
/* Writes body bytes; returns 0, or -1 once the client is gone. */
int req_write(struct req *r, const void *data, size_t len);
/* Sends a whole JSON reply: status, headers and body. */
void req_reply(struct req *r, int status, const struct buf *body);
/*
 * Sends the error envelope {"error":{"type","reason"[,extra]},"status"} for
 * code e. extra is NULL or JSON members text to add inside "error"
 * (e.g. "\"line\":1,\"column\":5,\"position\":4").
 */
void req_error(struct req *r, int e, const char *reason, const char *extra);

#endif
