/* lookups.c - the lookup tables API: _sme/lookups[/NAME] (docs/api.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/config.h"
#include "common/error.h"
#include "common/timeutil.h"
#include "fcgi/handlers.h"
#include "fcgi/request.h"
#include "store/lookups.h"

#define LOOKUPS_PATH	"_sme/lookups"
#define CSV_TYPE	"text/csv; charset=utf-8"

/* Answers the HTTP status a lookup_* function gave, with its reason. */
static void
lookups_fail(struct req *r, int status, const char *why)
{
	int e = status == 400 ? AR_EINVAL : status == 404 ? AR_ENOTFOUND :
	    status == 413 ? AR_ETOOBIG : status == 507 ? AR_EFULL :
	    AR_EINTERNAL;

	req_error(r, e, why, NULL);
}

/* lookup_list's callback: one table of the list. */
static int
lookups_list_one(void *arg, const struct lookup_info *li)
{
	struct buf *b = arg;
	char when[32];

	if (b->b_data[b->b_len - 1] != '[' && buf_putc(b, ',') == -1)
		return -1;
	if (buf_puts(b, "{\"name\":") == -1 ||
	    buf_json_str(b, li->li_name, strlen(li->li_name)) == -1 ||
	    buf_puts(b, ",\"owner\":") == -1 ||
	    (li->li_shared ? buf_puts(b, "null") : buf_json_str(b,
	    li->li_owner, strlen(li->li_owner))) == -1)
		return -1;
	if (buf_printf(b, ",\"shared\":%s,\"bytes\":%llu,\"rows\":",
	    li->li_shared ? "true" : "false",
	    (unsigned long long)li->li_bytes) == -1 ||
	    (li->li_rows < 0 ? buf_puts(b, "null") : buf_printf(b, "%lld",
	    (long long)li->li_rows)) == -1 ||
	    buf_printf(b, ",\"modified\":\"%s\"}",
	    time_format_iso(li->li_modified, when)) == -1)
		return -1;
	return 0;
}

/*
 * Checks the request of a state change: X-Requested-With or a same-origin
 * Origin (as every state change of the API), and for PUT a body typed
 * text/csv. A cross-site page can send neither a PUT nor a DELETE nor
 * X-Requested-With without a CORS preflight, which this service never
 * answers, so text/csv is as safe here as application/json elsewhere.
 * Returns 0, or -1 after answering 415 or 403.
 */
static int
lookups_csrf(struct req *r, int put)
{
	if (put && !req_content_type_is(r, "text/csv")) {
		req_error(r, AR_EMEDIA, "a lookup table must be sent with "
		    "Content-Type: text/csv", NULL);
		return -1;
	}
	if (!r->rq_has_xrw && !(r->rq_has_origin && req_origin_same(r))) {
		req_error(r, AR_EFORBIDDEN, "cross-site request refused: a "
		    "request that changes state must send an X-Requested-With "
		    "header (any value) or a same-origin Origin header", NULL);
		return -1;
	}
	return 0;
}

/*
 * Reads ?shared=true|false into *shared. Returns 0, or -1 after answering
 * 400 (another parameter or value) or 403 (shared=true on a write by a
 * user who is not an admin).
 */
static int
lookups_shared(struct app *ap, struct req *r, int write, int *shared)
{
	static const char *const allowed[] = {"shared", NULL};
	char why[300], *v = NULL;

	*shared = 0;
	if (req_query_check(r, allowed, why, sizeof(why)) == -1) {
		req_error(r, AR_EINVAL, why, NULL);
		return -1;
	}
	if (req_query_get(r, "shared", &v)) {
		if (strcmp(v, "true") == 0)
			*shared = 1;
		else if (strcmp(v, "false") != 0) {
			free(v);
			req_error(r, AR_EINVAL, "shared must be true or false",
			    NULL);
			return -1;
		}
		free(v);
	}
	if (*shared && write && !config_is_admin(ap->ap_cfg, r->rq_user)) {
		req_error(r, AR_EFORBIDDEN, "only an admin (auth.admin_users) "
		    "may write a shared lookup table", NULL);
		return -1;
	}
	return 0;
}

/* GET _sme/lookups: the caller's tables and the shared ones. */
static void
lookups_list(struct app *ap, struct req *r, const struct lookup_limits *lim)
{
	struct buf b = BUF_INIT;
	char why[512];

	if (buf_puts(&b, "{\"lookups\":[") == -1 ||
	    lookup_list(ap->ap_cfg->storage_path, r->rq_user, lim,
	    lookups_list_one, &b, why, sizeof(why)) == -1 ||
	    buf_puts(&b, "]}") == -1) {
		req_error(r, AR_EINTERNAL, *why ? why : "out of memory", NULL);
		buf_free(&b);
		return;
	}
	req_reply(r, 200, &b);
	buf_free(&b);
}

/* PUT _sme/lookups/NAME[?shared=true]: stores the body as the table. */
static void
lookups_put(struct app *ap, struct req *r, const char *name, int shared,
    const struct lookup_limits *lim)
{
	struct buf b = BUF_INIT;
	char why[512];
	uint64_t rows;
	int status, rc;

	if ((rc = req_read_body(r, lim->ll_max_bytes)) != AR_OK) {
		if (rc == AR_ETOOBIG)
			snprintf(why, sizeof(why), "the table is more than "
			    "limits.max_lookup_bytes (%llu bytes)",
			    (unsigned long long)lim->ll_max_bytes);
		else
			snprintf(why, sizeof(why), "cannot read the request "
			    "body");
		req_error(r, rc, why, NULL);
		return;
	}
	if (lookup_put(ap->ap_cfg->storage_path, r->rq_user, shared, name,
	    r->rq_body ? r->rq_body : "", r->rq_body_len, lim, &rows, &status,
	    why, sizeof(why)) == -1) {
		lookups_fail(r, status, why);
		return;
	}
	buf_puts(&b, "{\"name\":");
	buf_json_str(&b, name, strlen(name));
	buf_printf(&b, ",\"shared\":%s,\"bytes\":%zu,\"rows\":%llu}",
	    shared ? "true" : "false", r->rq_body_len,
	    (unsigned long long)rows);
	req_reply(r, 200, &b);
	buf_free(&b);
}

/* GET _sme/lookups/NAME: the CSV, the caller's own else the shared one. */
static void
lookups_get(struct app *ap, struct req *r, const char *name, int shared,
    const struct lookup_limits *lim)
{
	char why[512], *data;
	size_t len;
	int status;

	if (lookup_get(ap->ap_cfg->storage_path, r->rq_user, shared, 1, name,
	    lim->ll_max_bytes, &data, &len, NULL, &status, why,
	    sizeof(why)) == -1) {
		lookups_fail(r, status, why);
		return;
	}
	req_begin(r, 200, CSV_TYPE, "");
	if (req_write(r, data, len) == 0)
		r->rq_bytes = len;
	free(data);
}

/* DELETE _sme/lookups/NAME[?shared=true]. */
static void
lookups_delete(struct app *ap, struct req *r, const char *name, int shared)
{
	struct buf b = BUF_INIT;
	char why[512];
	int status;

	if (lookup_delete(ap->ap_cfg->storage_path, r->rq_user, shared, name,
	    &status, why, sizeof(why)) == -1) {
		lookups_fail(r, status, why);
		return;
	}
	buf_puts(&b, "{\"name\":");
	buf_json_str(&b, name, strlen(name));
	buf_printf(&b, ",\"shared\":%s,\"deleted\":true}",
	    shared ? "true" : "false");
	req_reply(r, 200, &b);
	buf_free(&b);
}

int
handle_lookups(struct app *ap, struct req *r)
{
	const struct config *cfg = ap->ap_cfg;
	struct lookup_limits lim = { cfg->limits_max_lookup_bytes,
	    (uint64_t)cfg->limits_max_lookup_rows };
	const char *rest, *m = r->rq_method, *allow;
	int shared, write;

	if (strncmp(r->rq_path, LOOKUPS_PATH, strlen(LOOKUPS_PATH)) != 0)
		return 0;
	rest = r->rq_path + strlen(LOOKUPS_PATH);
	if (*rest != '\0' && *rest != '/')
		return 0;
	if (*rest == '/')
		rest++;
	allow = *rest == '\0' ? "GET" : "GET, PUT, DELETE";
	if (strcmp(m, "GET") != 0 && (*rest == '\0' ||
	    (strcmp(m, "PUT") != 0 && strcmp(m, "DELETE") != 0))) {
		handler_refuse_method(r, m, allow);
		return 1;
	}
	if (handler_refuse_anonymous(cfg, r))
		return 1;
	write = strcmp(m, "GET") != 0;
	if ((write && lookups_csrf(r, strcmp(m, "PUT") == 0) == -1) ||
	    lookups_shared(ap, r, write, &shared) == -1)
		return 1;
	if (*rest == '\0')
		lookups_list(ap, r, &lim);
	else if (strcmp(m, "PUT") == 0)
		lookups_put(ap, r, rest, shared, &lim);
	else if (strcmp(m, "DELETE") == 0)
		lookups_delete(ap, r, rest, shared);
	else
		lookups_get(ap, r, rest, shared, &lim);
	return 1;
}
