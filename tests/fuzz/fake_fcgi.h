/*
 * fake_fcgi.h - an in-memory FastCGI request for the responder's fuzz
 * targets: handle_request() reads its parameters and body from memory and
 * writes its reply into a buffer, against a real (empty) task store in a
 * temporary directory; then the reply is checked. Included by
 * fuzz_request_body.c and fuzz_request_path.c only.
 */
#ifndef FUZZ_FAKE_FCGI_H
#define FUZZ_FAKE_FCGI_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <fcgiapp.h>
#include <jansson.h>

#include "common/buf.h"
#include "common/config.h"
#include "common/error.h"
#include "fcgi/handlers.h"
#include "fcgi/request.h"
#include "ref_utf8.h"

static void
fake_broken(const char *what, const char *ctx, size_t n)
{
	fprintf(stderr, "fuzz: %s (%.*s)\n", what, (int)(n > 300 ? 300 : n),
	    ctx ? ctx : "");
	abort();
}

/* The process's responder: configuration, an empty store, no runner. */
static struct config fake_cfg;
static struct app fake_app;

/*
 * Opens the store in a new temporary directory (removed at exit by
 * nobody: it is small; run.sh runs under a temporary TMPDIR). The runner
 * is never started, so a valid create is answered 503 and nothing is ever
 * stored. max_body is http.max_body_bytes.
 */
static void
fake_setup(uint64_t max_body)
{
	static int done;
	char tmpl[4096], err[512];

	if (done)
		return;
	done = 1;
	snprintf(tmpl, sizeof(tmpl), "%s/asyncreq-fuzz-store.XXXXXX",
	    getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (mkdtemp(tmpl) == NULL)
		fake_broken("mkdtemp failed", tmpl, strlen(tmpl));
	config_defaults(&fake_cfg);
	fake_cfg.storage_path = strdup(tmpl);
	free(fake_cfg.http_access_log);
	fake_cfg.http_access_log = strdup("off");
	fake_cfg.runner_start_on_demand = 0;
	fake_cfg.http_max_body_bytes = max_body;
	fake_cfg.storage_map_size = 16 << 20;
	if (app_open(&fake_app, &fake_cfg, err, sizeof(err)) == -1)
		fake_broken("cannot open the store", err, strlen(err));
}

struct fake_out {
	unsigned char fo_chunk[512];
	struct buf fo_data;
};

/* Writer's buffer is full (or flushed): moves it to fo_data. */
static void
fake_empty(FCGX_Stream *s, int do_close)
{
	struct fake_out *o = s->data;

	(void)do_close;
	if (buf_append(&o->fo_data, o->fo_chunk,
	    (size_t)(s->wrNext - o->fo_chunk)) == -1)
		s->isClosed = 1;
	s->wrNext = o->fo_chunk;
}

/* Reader ran dry: the body is all in memory, so it is the end. */
static void
fake_fill(FCGX_Stream *s)
{
	s->isClosed = 1;
	s->rdNext = s->stop;
}

/* A reply as the web server would see it. */
struct fake_reply {
	int fr_status;
	struct buf fr_raw;	/* headers and body */
	const char *fr_body;	/* into fr_raw */
	size_t fr_body_len;
	json_t *fr_json;	/* the body parsed, or NULL */
};

/*
 * Runs one request: envp (NULL-terminated "NAME=value" strings) and a body
 * of len bytes. Fills *rep (caller calls fake_reply_free) and checks the
 * reply's form: a status line, headers ending in a blank line, a
 * Content-Length equal to the body, and a JSON body that parses (after
 * invalid UTF-8 bytes are masked, unless strict_utf8) as an object; for
 * errors, {"error":{"type","reason"},"status"} with a non-empty reason,
 * the type and status of one error code, and the HTTP status equal to the
 * body's (but health's 503 report). Also no 5xx other than 503 (the runner
 * is not running).
 */
static void
fake_request(char **envp, const char *body, size_t len, int strict_utf8,
    struct fake_reply *rep)
{
	FCGX_Request f;
	FCGX_Stream in, out;
	struct fake_out o;
	struct req r;
	const char *p, *hend, *cl;
	char *masked;
	json_error_t jerr;
	json_t *e, *ty, *re, *st;

	memset(rep, 0, sizeof(*rep));
	memset(&f, 0, sizeof(f));
	memset(&in, 0, sizeof(in));
	memset(&out, 0, sizeof(out));
	memset(&o, 0, sizeof(o));
	in.rdNext = in.stopUnget = (unsigned char *)body;
	in.stop = (unsigned char *)body + len;
	in.isReader = 1;
	in.fillBuffProc = fake_fill;
	out.wrNext = o.fo_chunk;
	out.stop = o.fo_chunk + sizeof(o.fo_chunk);
	out.emptyBuffProc = fake_empty;
	out.data = &o;
	f.in = &in;
	f.out = &out;
	f.envp = envp;
	f.ipcFd = -1;
	if (req_init(&r, &f) == -1) {
		req_free(&r);
		fake_broken("req_init failed", NULL, 0);
	}
	handle_request(&fake_app, &r);
	fake_empty(&out, 1);
	req_free(&r);
	rep->fr_raw = o.fo_data;
	p = rep->fr_raw.b_data;
	if (p == NULL || rep->fr_raw.b_len < 12 ||
	    memcmp(p, "Status: ", 8) != 0)
		fake_broken("no status line", p, rep->fr_raw.b_len);
	rep->fr_status = atoi(p + 8);
	if ((hend = memmem(p, rep->fr_raw.b_len, "\r\n\r\n", 4)) == NULL)
		fake_broken("headers do not end", p, rep->fr_raw.b_len);
	rep->fr_body = hend + 4;
	rep->fr_body_len = rep->fr_raw.b_len - (size_t)(rep->fr_body - p);
	if (rep->fr_status >= 500 && rep->fr_status != 503)
		fake_broken("a 5xx reply", p, rep->fr_raw.b_len);
	if (memmem(p, (size_t)(hend - p), "Content-Type: application/json",
	    30) == NULL)
		return;		/* a download: not this fuzzer's business */
	cl = memmem(p, (size_t)(hend - p), "\r\nContent-Length: ", 18);
	if (cl == NULL || strtoull(cl + 18, NULL, 10) != rep->fr_body_len)
		fake_broken("Content-Length is not the body's length", p,
		    rep->fr_raw.b_len);
	if (!ref_utf8_ok((const unsigned char *)rep->fr_body,
	    rep->fr_body_len)) {
		if (strict_utf8)
			fake_broken("a JSON reply is not valid UTF-8",
			    rep->fr_body, rep->fr_body_len);
		if ((masked = malloc(rep->fr_body_len + 1)) == NULL)
			fake_broken("out of memory", NULL, 0);
		for (size_t i = 0; i < rep->fr_body_len; i++)
			masked[i] = (unsigned char)rep->fr_body[i] >= 0x80 ?
			    'x' : rep->fr_body[i];
		rep->fr_json = json_loadb(masked, rep->fr_body_len, 0, &jerr);
		free(masked);
	} else
		rep->fr_json = json_loadb(rep->fr_body, rep->fr_body_len, 0,
		    &jerr);
	if (rep->fr_json == NULL || !json_is_object(rep->fr_json))
		fake_broken("a JSON reply is not a JSON object", rep->fr_body,
		    rep->fr_body_len);
	if (rep->fr_status < 400)
		return;
	e = json_object_get(rep->fr_json, "error");
	/* GET health answers 503 with its own report, not an error. */
	if (e == NULL && rep->fr_status == 503 &&
	    json_is_string(json_object_get(rep->fr_json, "status")))
		return;
	ty = json_object_get(e, "type");
	re = json_object_get(e, "reason");
	st = json_object_get(rep->fr_json, "status");
	if (!json_is_string(ty) || !json_is_string(re) ||
	    json_string_length(re) == 0 || !json_is_integer(st) ||
	    json_integer_value(st) != rep->fr_status)
		fake_broken("a malformed error", rep->fr_body, rep->fr_body_len);
	for (int c = AR_EINVAL; c < AR__COUNT; c++)
		if (ar_err_status(c) == rep->fr_status &&
		    strcmp(ar_err_type(c), json_string_value(ty)) == 0)
			return;
	fake_broken("an error of no known type and status", rep->fr_body,
	    rep->fr_body_len);
}

/* Returns the error type of a reply ("" when it is no error). */
static const char *
fake_reply_type(const struct fake_reply *rep)
{
	json_t *ty = json_object_get(json_object_get(rep->fr_json, "error"),
	    "type");

	return json_is_string(ty) ? json_string_value(ty) : "";
}

/* Returns the error reason of a reply ("" when it is no error). */
static const char * __attribute__((unused))
fake_reply_reason(const struct fake_reply *rep)
{
	json_t *re = json_object_get(json_object_get(rep->fr_json, "error"),
	    "reason");

	return json_is_string(re) ? json_string_value(re) : "";
}

static void
fake_reply_free(struct fake_reply *rep)
{
	json_decref(rep->fr_json);
	buf_free(&rep->fr_raw);
	memset(rep, 0, sizeof(*rep));
}

#endif
