/* ingest.c - the Elasticsearch-compatible ingest API: _bulk, _doc, probes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>
#include <zlib.h>

#include "common/access.h"
#include "common/buf.h"
#include "common/config.h"
#include "common/error.h"
#include "common/timeutil.h"
#include "fcgi/handlers.h"
#include "fcgi/ingest.h"
#include "fcgi/request.h"
#include "ingest/bulk.h"
#include "ingest/doc.h"
#include "store/events.h"

#define INGEST_TEXT_TYPE	"text/plain; charset=UTF-8"
/* Elasticsearch clients (7.14 and later) check this header. */
#define INGEST_PRODUCT_HDR	"X-Elastic-Product: Elasticsearch\r\n"
/* The version shippers see; 8.x makes them send without mapping types. */
#define INGEST_ES_VERSION	"8.11.0"
#define INGEST_MAX_SEGS		4

void
ingest_reply(struct req *r, int status, const char *type, const char *data,
    size_t len)
{
	char extra[160];

	snprintf(extra, sizeof(extra), "Content-Length: %zu\r\n"
	    INGEST_PRODUCT_HDR, len);
	req_begin(r, status, type, extra);
	if (strcmp(r->rq_method, "HEAD") != 0)
		req_write(r, data, len);
}

/*
 * Sends Elasticsearch's error envelope: {"error":{"root_cause":[{"type",
 * "reason"}],"type","reason"},"status"}.
 */
static void
ingest_error(struct req *r, int status, const char *type, const char *reason)
{
	struct buf b = BUF_INIT;
	size_t rl = strlen(reason);

	if (buf_printf(&b, "{\"error\":{\"root_cause\":[{\"type\":\"%s\","
	    "\"reason\":", type) == -1 ||
	    buf_json_str(&b, reason, rl) == -1 ||
	    buf_printf(&b, "}],\"type\":\"%s\",\"reason\":", type) == -1 ||
	    buf_json_str(&b, reason, rl) == -1 ||
	    buf_printf(&b, "},\"status\":%d}", status) == -1) {
		buf_free(&b);
		req_error(r, AR_ENOMEM, "out of memory", NULL);
		return;
	}
	ingest_reply(r, status, INGEST_JSON_TYPE, b.b_data, b.b_len);
	buf_free(&b);
}

/* Answers an error code with its status and type (error.c's table). */
static void
ingest_fail(struct req *r, int e, const char *reason)
{
	ingest_error(r, ar_err_status(e), ar_err_type(e), reason);
}

/* Sends the JSON text of b (200 unless status says otherwise). */
static void
ingest_json(struct req *r, int status, const struct buf *b)
{
	ingest_reply(r, status, INGEST_JSON_TYPE, b->b_data, b->b_len);
}

/*
 * Checks who is calling: ingest must be on (auth.ingest_users names
 * someone), the web server must have set REMOTE_USER, and that user must
 * be listed. Returns 0, or -1 after answering 401 or 403.
 */
static int
ingest_auth(struct app *ap, struct req *r)
{
	char reason[300];

	if (!config_ingest_enabled(ap->ap_cfg)) {
		ingest_fail(r, AR_EFORBIDDEN, "ingest is off: auth.ingest_users "
		    "names no user");
		return -1;
	}
	if (!r->rq_has_user) {
		ingest_fail(r, AR_EAUTH, "authentication required: the web "
		    "server set no REMOTE_USER");
		return -1;
	}
	if (!config_is_ingest_user(ap->ap_cfg, r->rq_user)) {
		snprintf(reason, sizeof(reason), "user '%.100s' may not write "
		    "events (not in auth.ingest_users)", r->rq_user);
		ingest_fail(r, AR_EFORBIDDEN, reason);
		return -1;
	}
	return 0;
}

struct evstore *
ingest_events(struct app *ap, struct req *r)
{
	char dir[4200], err[512];

	if (ap->ap_events != NULL)
		return ap->ap_events;
	snprintf(dir, sizeof(dir), "%s/events", ap->ap_cfg->storage_path);
	if (evstore_open(&ap->ap_events, dir,
	    ap->ap_cfg->storage_events_map_size, err, sizeof(err)) == -1) {
		ap->ap_events = NULL;
		ingest_fail(r, AR_EUNAVAIL, err);
		return NULL;
	}
	evstore_set_block_bytes(ap->ap_events,
	    (size_t)ap->ap_cfg->storage_block_bytes);
	return ap->ap_events;
}

/*
 * A body may only be sent with a JSON or NDJSON type (Elasticsearch's own,
 * and the vendor types its 8.x clients send): a browser cannot send those
 * across sites without asking first, so a page cannot post events as a
 * logged-in user. Returns 0, or -1 after answering 415.
 */
static int
ingest_check_type(struct req *r)
{
	static const char *const ok[] = { "application/json",
	    "application/x-ndjson", "application/vnd.elasticsearch+json",
	    "application/vnd.elasticsearch+x-ndjson", NULL };
	char reason[300];

	for (const char *const *t = ok; *t; t++)
		if (req_content_type_is(r, *t))
			return 0;
	snprintf(reason, sizeof(reason), "Content-Type '%.100s' is not "
	    "supported: send application/x-ndjson or application/json",
	    r->rq_content_type);
	ingest_fail(r, AR_EMEDIA, reason);
	return -1;
}

/*
 * Inflates the gzip body in r (one or more members) into a new buffer of
 * at most max bytes, replacing rq_body. Returns 0, or -1 after answering
 * 400 (not gzip), 413 (inflates past max) or 500.
 */
static int
ingest_gunzip(struct req *r, uint64_t max)
{
	z_stream zs;
	char *out = NULL, *nb, reason[300];
	size_t cap, len = 0;
	int zrc;

	memset(&zs, 0, sizeof(zs));
	if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) {
		ingest_fail(r, AR_EINTERNAL, "cannot start zlib");
		return -1;
	}
	cap = r->rq_body_len < (1u << 20) ? (1u << 20) : r->rq_body_len * 4;
	if (cap > max + 1)
		cap = (size_t)max + 1;
	if ((out = malloc(cap)) == NULL)
		goto oom;
	zs.next_in = (Bytef *)r->rq_body;
	zs.avail_in = (uInt)r->rq_body_len;
	for (;;) {
		if (len == cap) {
			if (cap > max) {
				snprintf(reason, sizeof(reason), "the gzip body "
				    "inflates to more than ingest.max_body_bytes "
				    "(%llu bytes)", (unsigned long long)max);
				ingest_fail(r, AR_ETOOBIG, reason);
				goto fail;
			}
			cap = cap * 2 > max + 1 ? (size_t)max + 1 : cap * 2;
			if ((nb = realloc(out, cap)) == NULL)
				goto oom;
			out = nb;
		}
		zs.next_out = (Bytef *)out + len;
		zs.avail_out = (uInt)(cap - len);
		zrc = inflate(&zs, Z_NO_FLUSH);
		len = cap - zs.avail_out;
		if (zrc == Z_STREAM_END) {
			if (zs.avail_in == 0)
				break;
			/* Another gzip member follows. */
			if (inflateReset(&zs) != Z_OK)
				goto bad;
			continue;
		}
		if (zrc == Z_OK)
			continue;
		if (zrc == Z_BUF_ERROR && zs.avail_out > 0) {
			snprintf(reason, sizeof(reason), "the gzip body is cut "
			    "short");
			ingest_fail(r, AR_EPARSE, reason);
			goto fail;
		}
		if (zrc == Z_BUF_ERROR)
			continue;
		if (zrc == Z_MEM_ERROR)
			goto oom;
		goto bad;
	}
	inflateEnd(&zs);
	free(r->rq_body);
	r->rq_body = out;
	r->rq_body_len = len;
	return 0;
bad:
	snprintf(reason, sizeof(reason), "the body is not valid gzip "
	    "(Content-Encoding: gzip): %s", zs.msg ? zs.msg : "bad data");
	ingest_fail(r, AR_EPARSE, reason);
	goto fail;
oom:
	ingest_fail(r, AR_ENOMEM, "out of memory");
fail:
	inflateEnd(&zs);
	free(out);
	return -1;
}

int
ingest_read(struct app *ap, struct req *r, int check_type)
{
	uint64_t max = ap->ap_cfg->ingest_max_body_bytes;
	const char *ce = r->rq_content_encoding;
	char reason[300];
	int gz = 0, rc;

	if (check_type && ingest_check_type(r) == -1)
		return -1;
	if (strcasecmp(ce, "gzip") == 0 || strcasecmp(ce, "x-gzip") == 0)
		gz = 1;
	else if (*ce != '\0' && strcasecmp(ce, "identity") != 0) {
		snprintf(reason, sizeof(reason), "Content-Encoding '%.60s' is "
		    "not supported (gzip is)", ce);
		ingest_fail(r, AR_EMEDIA, reason);
		return -1;
	}
	if ((rc = req_read_body(r, max)) == AR_ETOOBIG) {
		snprintf(reason, sizeof(reason), "the body is larger than "
		    "ingest.max_body_bytes (%llu bytes)",
		    (unsigned long long)max);
		ingest_fail(r, AR_ETOOBIG, reason);
		return -1;
	}
	if (rc != AR_OK) {
		ingest_fail(r, rc, "cannot read the request body");
		return -1;
	}
	return gz ? ingest_gunzip(r, max) : 0;
}

/*
 * Appends the members Elasticsearch gives a stored document, from '{' up to
 * (not including) its closing '}': _index, _id (id, or the sequence number
 * in hex when none was given), _version, result, _shards, _seq_no,
 * _primary_term. Returns 0, or -1 out of memory.
 */
static int
ingest_result(struct buf *b, const char *index, const char *id, uint64_t seq)
{
	if (buf_puts(b, "{\"_index\":") == -1 ||
	    buf_json_str(b, index, strlen(index)) == -1 ||
	    buf_puts(b, ",\"_id\":") == -1)
		return -1;
	if (*id != '\0') {
		if (buf_json_str(b, id, strlen(id)) == -1)
			return -1;
	} else if (buf_printf(b, "\"%016llx\"", (unsigned long long)seq) == -1)
		return -1;
	return buf_printf(b, ",\"_version\":1,\"result\":\"created\","
	    "\"_shards\":{\"total\":1,\"successful\":1,\"failed\":0},"
	    "\"_seq_no\":%llu,\"_primary_term\":1", (unsigned long long)seq);
}

/* Appends the result of a stored bulk item. -1 out of memory. */
static int
ingest_item_ok(struct buf *b, const char *action, const char *index,
    const char *id, uint64_t seq)
{
	return buf_printf(b, "{\"%s\":", action) == -1 ||
	    ingest_result(b, index, id, seq) == -1 ||
	    buf_puts(b, ",\"status\":201}}") == -1 ? -1 : 0;
}

/* Appends the result of a refused item. -1 out of memory. */
static int
ingest_item_err(struct buf *b, const char *action, const char *index,
    const char *id, int status, const char *type, const char *reason)
{
	if (buf_printf(b, "{\"%s\":{\"_index\":", action) == -1)
		return -1;
	if (*index != '\0' ? buf_json_str(b, index, strlen(index)) == -1 :
	    buf_puts(b, "null") == -1)
		return -1;
	if (buf_puts(b, ",\"_id\":") == -1 ||
	    (*id != '\0' ? buf_json_str(b, id, strlen(id)) :
	    buf_puts(b, "null")) == -1)
		return -1;
	return buf_printf(b, ",\"status\":%d,\"error\":{\"type\":\"%s\","
	    "\"reason\":", status, type) == -1 ||
	    buf_json_str(b, reason, strlen(reason)) == -1 ||
	    buf_puts(b, "}}}") == -1 ? -1 : 0;
}

/* What one stored or refused item left for the reply. */
struct ingest_one {
	int		 io_status;	/* 201, or the item's error status */
	const char	*io_type;	/* error type (static) */
	char		 io_reason[700];
	uint64_t	 io_seq;
	int		 io_storage;	/* a storage error: the batch is lost */
};

/*
 * Checks and stores one document into index within batch *eb (begun here
 * when NULL). Returns 0 with io filled (io_status 201 or a per-item error),
 * or -1 on a storage error (io_reason says it; the batch must be aborted).
 */
static int
ingest_store(struct app *ap, struct evstore *es, struct evstore_batch **eb,
    const char *index, const char *doc, size_t len, int64_t now,
    struct ingest_one *io)
{
	char field[256], iname[BULK_NAME_MAX + 1];
	const char *bad, *etype;
	char *rep = NULL;
	size_t replen;
	int64_t ms;
	int rc;

	memset(io, 0, sizeof(*io));
	io->io_status = 400;
	if ((bad = ingest_index_name_check(index)) != NULL) {
		io->io_type = "invalid_index_name_exception";
		snprintf(io->io_reason, sizeof(io->io_reason), "Invalid index "
		    "name [%.255s], %s", index, bad);
		return 0;
	}
	if (*eb == NULL && evstore_batch_begin(es, eb, io->io_reason,
	    sizeof(io->io_reason)) == -1) {
		*eb = NULL;
		io->io_storage = 1;
		return -1;
	}
	snprintf(iname, sizeof(iname), "%s", index);
	rc = evstore_batch_index(*eb, iname, ap->ap_cfg->ingest_time_field,
	    field, sizeof(field), io->io_reason, sizeof(io->io_reason));
	if (rc == 1) {
		io->io_type = "illegal_argument_exception";
		return 0;
	}
	if (rc == -1) {
		io->io_storage = 1;
		return -1;
	}
	if (ingest_doc_prepare(doc, len, field, now, &ms, &rep, &replen,
	    &etype, io->io_reason, sizeof(io->io_reason)) == -1) {
		io->io_type = etype;
		if (strcmp(etype, "internal_error") == 0)
			io->io_status = 500;
		return 0;
	}
	rc = evstore_batch_add(*eb, iname, ms, rep ? rep : doc,
	    rep ? replen : len, &io->io_seq, io->io_reason,
	    sizeof(io->io_reason));
	free(rep);
	if (rc == -1) {
		io->io_storage = 1;
		return -1;
	}
	io->io_status = 201;
	return 0;
}

/*
 * POST /_bulk and POST /{index}/_bulk: every pair of the body in one batch,
 * committed before the answer, so a 200 means every item marked 201 is on
 * disk, and a refused item keeps nothing. A body that is not a bulk body,
 * or a storage failure, keeps nothing of the request.
 */
static void
ingest_bulk(struct app *ap, struct req *r, const char *dflt)
{
	struct evstore *es;
	struct evstore_batch *eb = NULL;
	struct bulk_reader br;
	struct bulk_item it;
	struct ingest_one io;
	struct buf items = BUF_INIT, out = BUF_INIT;
	char err[800];
	const char *index, *act;
	int64_t now = time_now_ms();
	size_t n = 0, answer_max;
	int rc, errors = 0;

	if (ingest_read(ap, r, 1) == -1 || (es = ingest_events(ap, r)) == NULL)
		return;
	/* As large as the body may be, and never below 16 MiB. */
	answer_max = ap->ap_cfg->ingest_max_body_bytes < (16u << 20) ?
	    (16u << 20) : (size_t)ap->ap_cfg->ingest_max_body_bytes;
	bulk_reader_init(&br, r->rq_body, r->rq_body_len);
	while ((rc = bulk_next(&br, &it, err, sizeof(err))) == 1) {
		act = bulk_action_name(it.bi_action);
		index = it.bi_index[0] != '\0' ? it.bi_index : dflt;
		/* The answer is held until the commit: bound it as the body
		 * is bound (tiny items could make it many times the body). */
		if (items.b_len > answer_max) {
			evstore_batch_abort(eb);
			snprintf(err, sizeof(err), "the answer to this many items "
			    "(%zu so far) would pass %zu bytes: nothing was "
			    "stored; send fewer items per request", n,
			    answer_max);
			ingest_fail(r, AR_ETOOBIG, err);
			goto done;
		}
		if (n++ > 0 && buf_putc(&items, ',') == -1)
			goto oom;
		if (it.bi_action == BULK_DELETE || it.bi_action == BULK_UPDATE) {
			snprintf(io.io_reason, sizeof(io.io_reason), "the %s "
			    "action is not supported: ingest only adds events "
			    "(index or create)", act);
			if (ingest_item_err(&items, act, index, it.bi_id, 400,
			    "illegal_argument_exception", io.io_reason) == -1)
				goto oom;
			errors = 1;
			continue;
		}
		if (*index == '\0' || it.bi_index_long || it.bi_id_long) {
			if (ingest_item_err(&items, act, index, it.bi_id, 400,
			    *index == '\0' || !it.bi_index_long ?
			    "action_request_validation_exception" :
			    "invalid_index_name_exception", *index == '\0' ?
			    "Validation Failed: 1: index is missing;" :
			    it.bi_index_long ? "index name is too long "
			    "(at most 255 bytes)" : "id is too long (at most "
			    "512 bytes)") == -1)
				goto oom;
			errors = 1;
			continue;
		}
		if (ingest_store(ap, es, &eb, index, it.bi_doc, it.bi_doc_len,
		    now, &io) == -1)
			goto storage;
		if (io.io_status == 201) {
			if (ingest_item_ok(&items, act, index, it.bi_id,
			    io.io_seq) == -1)
				goto oom;
		} else {
			errors = 1;
			if (ingest_item_err(&items, act, index, it.bi_id,
			    io.io_status, io.io_type, io.io_reason) == -1)
				goto oom;
		}
	}
	if (rc == -1) {
		evstore_batch_abort(eb);
		ingest_error(r, 400, "illegal_argument_exception", err);
		goto done;
	}
	if (n == 0) {
		evstore_batch_abort(eb);
		ingest_error(r, 400, "action_request_validation_exception",
		    "Validation Failed: 1: no requests added;");
		goto done;
	}
	if (eb != NULL) {
		rc = evstore_batch_commit(eb, io.io_reason,
		    sizeof(io.io_reason));
		eb = NULL;
		if (rc == -1)
			goto storage;
	}
	if (buf_printf(&out, "{\"took\":%lld,\"errors\":%s,\"items\":[",
	    (long long)(time_mono_ms() - r->rq_t0),
	    errors ? "true" : "false") == -1 ||
	    buf_append(&out, items.b_data, items.b_len) == -1 ||
	    buf_puts(&out, "]}") == -1)
		goto oom;	/* committed: a retry would duplicate, rare */
	ingest_json(r, 200, &out);
	goto done;
storage:
	evstore_batch_abort(eb);
	snprintf(err, sizeof(err), "nothing of this request was stored: %s",
	    io.io_reason);
	ingest_fail(r, AR_EUNAVAIL, err);
	goto done;
oom:
	evstore_batch_abort(eb);
	ingest_fail(r, AR_ENOMEM, "out of memory");
done:
	buf_free(&items);
	buf_free(&out);
}

/* POST /{index}/_doc[/{id}], PUT|POST /{index}/_create/{id}: one event. */
static void
ingest_doc(struct app *ap, struct req *r, const char *index, const char *id)
{
	struct evstore *es;
	struct evstore_batch *eb = NULL;
	struct ingest_one io;
	struct buf b = BUF_INIT;
	char err[800];
	const char *d;
	size_t dn;

	if (ingest_read(ap, r, 1) == -1 || (es = ingest_events(ap, r)) == NULL)
		return;
	d = r->rq_body;
	dn = r->rq_body_len;
	while (dn > 0 && strchr(" \t\r\n", d[0]) != NULL)
		d++, dn--;
	while (dn > 0 && strchr(" \t\r\n", d[dn - 1]) != NULL)
		dn--;
	if (dn == 0) {
		ingest_error(r, 400, "parse_exception", "request body is "
		    "required");
		return;
	}
	if (strlen(id) > BULK_ID_MAX) {
		ingest_error(r, 400, "action_request_validation_exception",
		    "id is too long (at most 512 bytes)");
		return;
	}
	if (ingest_store(ap, es, &eb, index, d, dn, time_now_ms(), &io) == -1) {
		evstore_batch_abort(eb);
		snprintf(err, sizeof(err), "nothing was stored: %s",
		    io.io_reason);
		ingest_fail(r, AR_EUNAVAIL, err);
		return;
	}
	if (io.io_status != 201) {
		evstore_batch_abort(eb);
		ingest_error(r, io.io_status, io.io_type, io.io_reason);
		return;
	}
	if (evstore_batch_commit(eb, io.io_reason, sizeof(io.io_reason)) ==
	    -1) {
		snprintf(err, sizeof(err), "nothing was stored: %s",
		    io.io_reason);
		ingest_fail(r, AR_EUNAVAIL, err);
		return;
	}
	if (ingest_result(&b, index, id, io.io_seq) == -1 ||
	    buf_putc(&b, '}') == -1) {
		buf_free(&b);
		ingest_fail(r, AR_ENOMEM, "out of memory");
		return;
	}
	ingest_reply(r, 201, INGEST_JSON_TYPE, b.b_data, b.b_len);
	buf_free(&b);
}

/* GET / (and HEAD /): the document shippers read the version from. */
static void
ingest_root(struct req *r)
{
	static const char doc[] =
	    "{\"name\":\"asyncreq\",\"cluster_name\":\"asyncreq\","
	    "\"cluster_uuid\":\"asyncreq-ingest\",\"version\":{\"number\":\""
	    INGEST_ES_VERSION "\",\"build_flavor\":\"default\","
	    "\"build_type\":\"asyncreq\",\"build_hash\":\"asyncreq\","
	    "\"build_date\":\"2023-11-04T10:04:57.184859352Z\","
	    "\"build_snapshot\":false,\"lucene_version\":\"9.8.0\","
	    "\"minimum_wire_compatibility_version\":\"7.17.0\","
	    "\"minimum_index_compatibility_version\":\"7.0.0\"},"
	    "\"tagline\":\"You Know, for Search\"}";

	ingest_reply(r, 200, INGEST_JSON_TYPE, doc, sizeof(doc) - 1);
}

struct ingest_cat {
	struct buf	*ic_b;
	int		 ic_json;
	size_t		 ic_n;
	int		 ic_oom;
	const char	*ic_access;	/* rules to filter by; NULL: all */
	const char	*ic_user;
};

/*
 * Returns the auth.index_access rules the caller's listings are filtered
 * by, or NULL when it sees every index (an admin, or no rule).
 */
static const char *
ingest_cat_access(const struct app *ap, const struct req *r)
{
	if (config_is_admin(ap->ap_cfg, r->rq_user) ||
	    !access_configured(ap->ap_cfg->index_rules))
		return NULL;
	return ap->ap_cfg->index_rules;
}

/* Counts (and in c->ic_b writes) the indices the caller may read. */
static int
ingest_cat_cb(void *arg, const char *name, uint64_t count)
{
	struct ingest_cat *c = arg;
	int rc;

	if (c->ic_access != NULL && !access_may_read(c->ic_access, c->ic_user,
	    name))
		return 0;
	if (c->ic_json)
		rc = buf_printf(c->ic_b, "%s{\"health\":\"green\",\"status\":"
		    "\"open\",\"index\":\"%s\",\"uuid\":\"%s\",\"pri\":\"1\","
		    "\"rep\":\"0\",\"docs.count\":\"%llu\",\"docs.deleted\":"
		    "\"0\"}", c->ic_n ? "," : "", name, name,
		    (unsigned long long)count);
	else
		rc = buf_printf(c->ic_b, "green open %s %s 1 0 %llu 0\n",
		    name, name, (unsigned long long)count);
	c->ic_n++;
	if (rc == -1)
		c->ic_oom = 1;
	return rc == -1;
}

/*
 * Writes the rows of GET /_cat/indices into b: Elasticsearch's columns
 * with the store's real numbers (docs.count, store.size in bytes), and in
 * JSON the times of the oldest and newest event (asyncreq.oldest,
 * asyncreq.newest, null when empty). Only the indices user may read under
 * the rules access are listed (all when access is NULL). Returns 0 or -1.
 */
static int
ingest_cat_list(struct evstore *es, struct buf *b, int json,
    const char *access, const char *user)
{
	struct evstore_index_info *ii;
	char err[512], t1[40], t2[40];
	size_t n, rows = 0;
	int rc = 0;

	if (evstore_indices(es, "*", &ii, &n, err, sizeof(err)) == -1)
		return -1;
	if (json)
		rc = buf_putc(b, '[');
	for (size_t i = 0; i < n && rc == 0; i++) {
		unsigned long long cnt = ii[i].ii_events, sz = ii[i].ii_bytes;

		if (access != NULL && !access_may_read(access, user,
		    ii[i].ii_name))
			continue;
		if (!json) {
			rc = buf_printf(b, "green open %s %s 1 0 %llu 0 %llu "
			    "%llu\n", ii[i].ii_name, ii[i].ii_name, cnt, sz,
			    sz);
			continue;
		}
		if (ii[i].ii_oldest == INT64_MIN) {
			strcpy(t1, "null");
			strcpy(t2, "null");
		} else {
			t1[0] = t2[0] = '"';
			time_format_iso(ii[i].ii_oldest, t1 + 1);
			time_format_iso(ii[i].ii_newest, t2 + 1);
			strcat(t1, "\"");
			strcat(t2, "\"");
		}
		rc = buf_printf(b, "%s{\"health\":\"green\",\"status\":"
		    "\"open\",\"index\":\"%s\",\"uuid\":\"%s\",\"pri\":\"1\","
		    "\"rep\":\"0\",\"docs.count\":\"%llu\",\"docs.deleted\":"
		    "\"0\",\"store.size\":\"%llu\",\"pri.store.size\":\"%llu\","
		    "\"asyncreq.oldest\":%s,\"asyncreq.newest\":%s}",
		    rows ? "," : "", ii[i].ii_name, ii[i].ii_name, cnt, sz, sz,
		    t1, t2);
		rows++;
	}
	if (json && rc == 0)
		rc = buf_putc(b, ']');
	free(ii);
	return rc == -1 ? -1 : 0;
}

/*
 * DELETE /{index}: an admin (auth.admin_users) deletes an index and its
 * events. Answers {"acknowledged":true}, 404 index_not_found_exception,
 * 401/403 for anyone else.
 */
static void
ingest_delete_index(struct app *ap, struct req *r, const char *index)
{
	static const char ack[] = "{\"acknowledged\":true}";
	char err[512], reason[400];
	struct evstore *es;
	int rc;

	if (!r->rq_has_user) {
		ingest_fail(r, AR_EAUTH, "authentication required: the web "
		    "server set no REMOTE_USER");
		return;
	}
	if (!config_is_admin(ap->ap_cfg, r->rq_user)) {
		snprintf(reason, sizeof(reason), "user '%.100s' may not delete "
		    "indices (not in auth.admin_users)", r->rq_user);
		ingest_fail(r, AR_EFORBIDDEN, reason);
		return;
	}
	if ((es = ingest_events(ap, r)) == NULL)
		return;
	if (!evstore_index_name_ok(index) ||
	    (rc = evstore_delete_index(es, index, err, sizeof(err))) == 1) {
		snprintf(reason, sizeof(reason), "no such index [%.200s]",
		    index);
		ingest_error(r, 404, "index_not_found_exception", reason);
		return;
	}
	if (rc != 0) {
		ingest_fail(r, AR_EINTERNAL, err);
		return;
	}
	ingest_reply(r, 200, INGEST_JSON_TYPE, ack, sizeof(ack) - 1);
}

/*
 * GET /_cat/indices[?format=json] and GET /_cluster/health: the indices the
 * caller may read (auth.index_access; admins all), names being the
 * store's: no character needs escaping.
 */
static void
ingest_cat(struct app *ap, struct req *r, int health)
{
	struct evstore *es;
	struct buf b = BUF_INIT;
	struct ingest_cat c = { &b, 0, 0, 0, ingest_cat_access(ap, r),
	    r->rq_user };
	char *fmt = NULL;
	int n;

	if ((es = ingest_events(ap, r)) == NULL)
		return;
	if (req_query_get(r, "format", &fmt) && strcmp(fmt, "json") == 0)
		c.ic_json = 1;
	free(fmt);
	if (health) {
		struct buf scratch = BUF_INIT;

		c.ic_b = &scratch;
		n = evstore_match(es, "*", ingest_cat_cb, &c);
		buf_free(&scratch);
		if (n >= 0)
			n = (int)c.ic_n;	/* those the caller may read */
		if (n < 0 || buf_printf(&b, "{\"cluster_name\":\"asyncreq\","
		    "\"status\":\"green\",\"timed_out\":false,"
		    "\"number_of_nodes\":1,\"number_of_data_nodes\":1,"
		    "\"active_primary_shards\":%d,\"active_shards\":%d,"
		    "\"relocating_shards\":0,\"initializing_shards\":0,"
		    "\"unassigned_shards\":0,\"delayed_unassigned_shards\":0,"
		    "\"number_of_pending_tasks\":0,"
		    "\"number_of_in_flight_fetch\":0,"
		    "\"task_max_waiting_in_queue_millis\":0,"
		    "\"active_shards_percent_as_number\":100.0}", n, n) == -1)
			goto fail;
		ingest_json(r, 200, &b);
		buf_free(&b);
		return;
	}
	if (ingest_cat_list(es, &b, c.ic_json, c.ic_access, c.ic_user) == -1)
		goto fail;
	if (c.ic_json)
		ingest_json(r, 200, &b);
	else
		ingest_reply(r, 200, INGEST_TEXT_TYPE, b.b_data, b.b_len);
	buf_free(&b);
	return;
fail:
	buf_free(&b);
	ingest_fail(r, AR_EINTERNAL, "cannot list the indices");
}

/*
 * GET /_cat/health[?format=json] (rsyslog's omelasticsearch asks it before
 * it sends): one green line, as Elasticsearch's.
 */
static void
ingest_cat_health(struct app *ap, struct req *r)
{
	struct buf b = BUF_INIT, scratch = BUF_INIT;
	struct ingest_cat c = { &scratch, 0, 0, 0, ingest_cat_access(ap, r),
	    r->rq_user };
	int64_t now = time_now_ms();
	char *fmt = NULL;
	int n, json = 0, rc;
	struct evstore *es;

	if ((es = ingest_events(ap, r)) == NULL)
		return;
	if (req_query_get(r, "format", &fmt) && strcmp(fmt, "json") == 0)
		json = 1;
	free(fmt);
	n = evstore_match(es, "*", ingest_cat_cb, &c);
	buf_free(&scratch);
	n = n < 0 ? 0 : (int)c.ic_n;	/* those the caller may read */
	if (json)
		rc = buf_printf(&b, "[{\"epoch\":\"%lld\",\"timestamp\":"
		    "\"-\",\"cluster\":\"asyncreq\",\"status\":\"green\","
		    "\"node.total\":\"1\",\"node.data\":\"1\",\"shards\":"
		    "\"%d\",\"pri\":\"%d\",\"relo\":\"0\",\"init\":\"0\","
		    "\"unassign\":\"0\",\"pending_tasks\":\"0\","
		    "\"active_shards_percent\":\"100.0%%\"}]",
		    (long long)(now / 1000), n, n);
	else
		rc = buf_printf(&b, "%lld - asyncreq green 1 1 %d %d 0 0 0 0 - "
		    "100.0%%\n", (long long)(now / 1000), n, n);
	if (rc == -1) {
		buf_free(&b);
		ingest_fail(r, AR_ENOMEM, "out of memory");
		return;
	}
	ingest_reply(r, 200, json ? INGEST_JSON_TYPE : INGEST_TEXT_TYPE,
	    b.b_data, b.b_len);
	buf_free(&b);
}

/*
 * Template and lifecycle probes (_template, _index_template,
 * _component_template, _ilm/policy, _ingest/pipeline): asyncreq keeps no
 * mappings, so a read finds nothing (404, as Elasticsearch answers for a
 * missing one) and a write is acknowledged and ignored; either way a
 * shipper proceeds to send.
 */
static void
ingest_template(struct req *r, const char *what, const char *name)
{
	static const char ack[] = "{\"acknowledged\":true}";
	char reason[400];

	if (strcmp(r->rq_method, "PUT") == 0 ||
	    strcmp(r->rq_method, "POST") == 0) {
		if (ingest_check_type(r) == -1)
			return;
		ingest_reply(r, 200, INGEST_JSON_TYPE, ack, sizeof(ack) - 1);
		return;
	}
	if (strcmp(r->rq_method, "DELETE") == 0) {
		ingest_reply(r, 200, INGEST_JSON_TYPE, ack, sizeof(ack) - 1);
		return;
	}
	snprintf(reason, sizeof(reason), "%s [%.200s] missing", what,
	    name ? name : "*");
	ingest_error(r, 404, "resource_not_found_exception", reason);
}

/* Returns 1 when the method is one of the NUL-separated list. */
static int
ingest_method(const struct req *r, const char *a, const char *b)
{
	return strcmp(r->rq_method, a) == 0 ||
	    (b != NULL && strcmp(r->rq_method, b) == 0);
}

void
handle_ingest(struct app *ap, struct req *r)
{
	static const char license[] = "{\"license\":{\"status\":\"active\","
	    "\"uid\":\"asyncreq\",\"type\":\"basic\",\"issue_date\":"
	    "\"2023-01-01T00:00:00.000Z\",\"issue_date_in_millis\":"
	    "1672531200000,\"max_nodes\":1000,\"max_resource_units\":null,"
	    "\"issued_to\":\"asyncreq\",\"issuer\":\"asyncreq\","
	    "\"start_date_in_millis\":-1}}";
	static const char xpack[] = "{\"build\":{\"hash\":\"asyncreq\","
	    "\"date\":\"2023-11-04T10:04:57.184859352Z\"},\"license\":"
	    "{\"uid\":\"asyncreq\",\"type\":\"basic\",\"mode\":\"basic\","
	    "\"status\":\"active\"},\"features\":{}}";
	char path[1024], reason[1200], *seg[INGEST_MAX_SEGS + 1], *p;
	size_t nseg = 0, len;

	len = strlen(r->rq_path);
	if (len >= sizeof(path)) {
		ingest_fail(r, AR_ENOTFOUND, "no such endpoint (path too long)");
		return;
	}
	memcpy(path, r->rq_path, len + 1);
	/* Segments between slashes; empty ones ("//", a trailing '/') are
	 * skipped, as Elasticsearch does. */
	for (p = strtok(path, "/"); p != NULL; p = strtok(NULL, "/")) {
		if (nseg == INGEST_MAX_SEGS) {
			nseg++;
			break;
		}
		seg[nseg++] = p;
	}
	/* Splunk's collector authenticates by token, not by REMOTE_USER. */
	if (nseg >= 2 && strcmp(seg[0], "services") == 0 &&
	    strcmp(seg[1], "collector") == 0) {
		handle_hec(ap, r, (const char *const *)seg, nseg);
		return;
	}
	/* Index administration is for admins, who need not be writers. */
	if (nseg == 1 && seg[0][0] != '_' && ingest_method(r, "DELETE",
	    NULL)) {
		ingest_delete_index(ap, r, seg[0]);
		return;
	}
	if (nseg == 2 && strcmp(seg[0], "_cat") == 0 &&
	    strcmp(seg[1], "indices") == 0 && ingest_method(r, "GET", "HEAD") &&
	    r->rq_has_user && config_is_admin(ap->ap_cfg, r->rq_user)) {
		ingest_cat(ap, r, 0);
		return;
	}
	if (ingest_auth(ap, r) == -1)
		return;
	if (nseg == 0 && ingest_method(r, "GET", "HEAD")) {
		ingest_root(r);
		return;
	}
	if (nseg >= 1 && nseg <= 3 && seg[0][0] == '_') {
		const char *s0 = seg[0];

		if (nseg == 1 && strcmp(s0, "_bulk") == 0 &&
		    ingest_method(r, "POST", "PUT")) {
			ingest_bulk(ap, r, "");
			return;
		}
		if (nseg == 2 && strcmp(s0, "_cluster") == 0 &&
		    strcmp(seg[1], "health") == 0 &&
		    ingest_method(r, "GET", "HEAD")) {
			ingest_cat(ap, r, 1);
			return;
		}
		if (nseg == 2 && strcmp(s0, "_cat") == 0 &&
		    strcmp(seg[1], "health") == 0 &&
		    ingest_method(r, "GET", "HEAD")) {
			ingest_cat_health(ap, r);
			return;
		}
		if (nseg == 2 && strcmp(s0, "_cat") == 0 &&
		    strcmp(seg[1], "indices") == 0 &&
		    ingest_method(r, "GET", "HEAD")) {
			ingest_cat(ap, r, 0);
			return;
		}
		if (nseg == 1 && strcmp(s0, "_license") == 0 &&
		    ingest_method(r, "GET", "HEAD")) {
			ingest_reply(r, 200, INGEST_JSON_TYPE, license,
			    sizeof(license) - 1);
			return;
		}
		if (nseg == 1 && strcmp(s0, "_xpack") == 0 &&
		    ingest_method(r, "GET", "HEAD")) {
			ingest_reply(r, 200, INGEST_JSON_TYPE, xpack,
			    sizeof(xpack) - 1);
			return;
		}
		if (strcmp(s0, "_template") == 0 ||
		    strcmp(s0, "_index_template") == 0 ||
		    strcmp(s0, "_component_template") == 0) {
			ingest_template(r, "index template", nseg > 1 ?
			    seg[1] : NULL);
			return;
		}
		if ((strcmp(s0, "_ilm") == 0 || strcmp(s0, "_ingest") == 0) &&
		    nseg >= 2 && (strcmp(seg[1], "policy") == 0 ||
		    strcmp(seg[1], "pipeline") == 0)) {
			ingest_template(r, s0[1] == 'i' && s0[2] == 'l' ?
			    "lifecycle policy" : "pipeline", nseg > 2 ?
			    seg[2] : NULL);
			return;
		}
	}
	if (nseg == 2 && strcmp(seg[1], "_bulk") == 0 &&
	    ingest_method(r, "POST", "PUT")) {
		ingest_bulk(ap, r, seg[0]);
		return;
	}
	if ((nseg == 2 && strcmp(seg[1], "_doc") == 0 &&
	    ingest_method(r, "POST", NULL)) ||
	    (nseg == 3 && (strcmp(seg[1], "_doc") == 0 ||
	    strcmp(seg[1], "_create") == 0) &&
	    ingest_method(r, "POST", "PUT"))) {
		ingest_doc(ap, r, seg[0], nseg == 3 ? seg[2] : "");
		return;
	}
	if (nseg >= 2 && nseg <= 3 && (strcmp(seg[nseg - 1], "_bulk") == 0 ||
	    strcmp(seg[1], "_doc") == 0 || strcmp(seg[1], "_create") == 0)) {
		snprintf(reason, sizeof(reason), "Incorrect HTTP method for uri "
		    "[%.1000s] and method [%.16s], allowed: [POST, PUT]",
		    r->rq_path, r->rq_method);
		ingest_error(r, 405, "method_not_allowed", reason);
		return;
	}
	snprintf(reason, sizeof(reason), "no handler for %.16s %.1000s on the "
	    "ingest API (see docs/ingest.md)", r->rq_method, r->rq_path);
	ingest_error(r, 404, "resource_not_found_exception", reason);
}
