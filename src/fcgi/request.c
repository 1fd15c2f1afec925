/* request.c - FastCGI parameters, body, query string and replies. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <fcgiapp.h>

#include "common/error.h"
#include "common/timeutil.h"
#include "common/util.h"
#include "fcgi/request.h"

#define JSON_TYPE "application/json; charset=utf-8"

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Returns a malloc'd percent-decoded copy of s[0..len) ('+' is a space when
 * plus is set), or NULL out of memory. A bad escape stays as written; a
 * decoded NUL becomes '?' so C strings stay whole.
 */
static char *
pct_decode(const char *s, size_t len, int plus)
{
	char *out = malloc(len + 1), *o = out;
	int hi, lo;

	if (out == NULL)
		return NULL;
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '%' && i + 2 < len &&
		    (hi = hexval((unsigned char)s[i + 1])) >= 0 &&
		    (lo = hexval((unsigned char)s[i + 2])) >= 0) {
			*o = (char)(hi << 4 | lo);
			if (*o == '\0')
				*o = '?';
			o++;
			i += 2;
		} else if (plus && s[i] == '+')
			*o++ = ' ';
		else
			*o++ = s[i];
	}
	*o = '\0';
	return out;
}

static char *
param_dup(FCGX_Request *f, const char *name)
{
	const char *v = FCGX_GetParam(name, f->envp);

	return strdup(v ? v : "");
}

/*
 * Returns the origin this request was sent to, "scheme://host[:port]", as
 * a browser writes it in an Origin header: the scheme from HTTPS (or
 * REQUEST_SCHEME), the host and any port from HTTP_HOST (else
 * SERVER_NAME), SERVER_PORT when the host names no port, the port left out
 * when it is the scheme's default, all in lower case. Returns a malloc'd
 * string (caller frees), or NULL out of memory.
 */
static char *
self_origin(FCGX_Request *f)
{
	const char *https = FCGX_GetParam("HTTPS", f->envp);
	const char *scheme = FCGX_GetParam("REQUEST_SCHEME", f->envp);
	const char *host = FCGX_GetParam("HTTP_HOST", f->envp);
	const char *port = NULL, *dflt, *p;
	struct buf b = BUF_INIT;
	size_t dl;
	int tls;

	tls = (https && *https && strcasecmp(https, "off") != 0) ||
	    (scheme && strcasecmp(scheme, "https") == 0);
	dflt = tls ? ":443" : ":80";
	dl = strlen(dflt);
	if (host == NULL || *host == '\0')
		host = FCGX_GetParam("SERVER_NAME", f->envp);
	/* Some web servers pass the Host without its port (nginx's
	 * "fastcgi_param HTTP_HOST $host"): take the port it listens on. */
	if (host == NULL || (p = strrchr(host, ':')) == NULL ||
	    strchr(p, ']') != NULL)
		port = FCGX_GetParam("SERVER_PORT", f->envp);
	if (buf_printf(&b, "%s://%s", tls ? "https" : "http",
	    host ? host : "") == -1 ||
	    (port && *port && buf_printf(&b, ":%s", port) == -1)) {
		buf_free(&b);
		return NULL;
	}
	/* "Host: example:80" is the origin "http://example". */
	if (b.b_len > dl && strcmp(b.b_data + b.b_len - dl, dflt) == 0)
		b.b_data[b.b_len -= dl] = '\0';
	for (char *c = b.b_data; *c; c++)
		if (*c >= 'A' && *c <= 'Z')
			*c = (char)(*c - 'A' + 'a');
	return b.b_data;
}

int
req_init(struct req *r, void *fcgx)
{
	FCGX_Request *f = fcgx;
	const char *uri, *q, *sme, *user, *cl;
	char *path = NULL;
	size_t plen;

	memset(r, 0, sizeof(*r));
	r->rq_fcgx = fcgx;
	r->rq_t0 = time_mono_ms();
	r->rq_method = param_dup(f, "REQUEST_METHOD");
	uri = FCGX_GetParam("REQUEST_URI", f->envp);
	if (uri && *uri) {
		q = strchr(uri, '?');
		plen = q ? (size_t)(q - uri) : strlen(uri);
		path = pct_decode(uri, plen, 0);
		r->rq_query = strdup(q ? q + 1 : "");
	} else {
		/* No REQUEST_URI: SCRIPT_NAME + PATH_INFO, QUERY_STRING. */
		const char *sn = FCGX_GetParam("SCRIPT_NAME", f->envp);
		const char *pi = FCGX_GetParam("PATH_INFO", f->envp);
		size_t a = sn ? strlen(sn) : 0, b = pi ? strlen(pi) : 0;

		if ((path = malloc(a + b + 1)) != NULL) {
			memcpy(path, sn ? sn : "", a);
			memcpy(path + a, pi ? pi : "", b);
			path[a + b] = '\0';
		}
		r->rq_query = param_dup(f, "QUERY_STRING");
	}
	if (path == NULL || r->rq_method == NULL || r->rq_query == NULL) {
		free(path);
		return -1;
	}
	/* Request text reaches JSON replies (error messages, stored task
	 * owners): what is not UTF-8 is refused before it is used. */
	if (!util_utf8_valid(r->rq_method, strlen(r->rq_method)))
		r->rq_invalid = "method";
	else if (!util_utf8_valid(path, strlen(path)))
		r->rq_invalid = "path";
	else {
		char *dq = pct_decode(r->rq_query, strlen(r->rq_query), 1);

		if (dq == NULL) {
			free(path);
			return -1;
		}
		/* '&' and '=' are ASCII: the whole decoded string is UTF-8
		 * exactly when every decoded name and value is. */
		if (!util_utf8_valid(dq, strlen(dq)))
			r->rq_invalid = "query string";
		free(dq);
	}
	/* Route on the part from "_sme/" on, whatever the mount prefix; the
	 * ingest API (its own server block) on the whole path. The
	 * parameter is set by the web server's configuration, never by a
	 * client (headers arrive as HTTP_*). */
	q = FCGX_GetParam("ASYNCREQ_API", f->envp);
	r->rq_api_ingest = q != NULL && strcmp(q, "ingest") == 0;
	sme = r->rq_api_ingest ? NULL : strstr(path, "/_sme/");
	r->rq_path = strdup(sme ? sme + 1 : path);
	free(path);
	/* The last REMOTE_USER wins, so a web server configuration can
	 * override the one its stock parameter file passes (nginx sets
	 * $remote_user from any Authorization header, checked or not). */
	user = NULL;
	for (char **e = f->envp; e && *e; e++)
		if (strncmp(*e, "REMOTE_USER=", 12) == 0)
			user = *e + 12;
	r->rq_has_user = user && *user;
	r->rq_user = strdup(r->rq_has_user ? user : "anonymous");
	if (r->rq_has_user && !util_utf8_valid(user, strlen(user)))
		r->rq_bad_user = 1;
	r->rq_content_type = param_dup(f, "CONTENT_TYPE");
	r->rq_content_encoding = param_dup(f, "HTTP_CONTENT_ENCODING");
	r->rq_authorization = param_dup(f, "HTTP_AUTHORIZATION");
	r->rq_origin = param_dup(f, "HTTP_ORIGIN");
	r->rq_has_origin = FCGX_GetParam("HTTP_ORIGIN", f->envp) != NULL;
	r->rq_has_xrw = FCGX_GetParam("HTTP_X_REQUESTED_WITH", f->envp) !=
	    NULL;
	r->rq_self_origin = self_origin(f);
	if (r->rq_content_type == NULL || r->rq_content_encoding == NULL ||
	    r->rq_authorization == NULL ||
	    r->rq_origin == NULL ||
	    r->rq_self_origin == NULL)
		return -1;
	cl = FCGX_GetParam("CONTENT_LENGTH", f->envp);
	if (cl && *cl) {
		r->rq_has_length = 1;
		r->rq_content_length = strtoull(cl, NULL, 10);
	}
	return r->rq_path && r->rq_user ? 0 : -1;
}

int
req_origin_same(const struct req *r)
{
	const char *o = r->rq_origin;
	size_t n = strlen(o);

	/* Compared case-insensitively; a default port written out in the
	 * Origin header is the same origin. */
	if (strcasecmp(o, r->rq_self_origin) == 0)
		return 1;
	if (n > 3 && strncasecmp(o, "http://", 7) == 0 &&
	    strcmp(o + n - 3, ":80") == 0)
		return strlen(r->rq_self_origin) == n - 3 &&
		    strncasecmp(o, r->rq_self_origin, n - 3) == 0;
	if (n > 4 && strncasecmp(o, "https://", 8) == 0 &&
	    strcmp(o + n - 4, ":443") == 0)
		return strlen(r->rq_self_origin) == n - 4 &&
		    strncasecmp(o, r->rq_self_origin, n - 4) == 0;
	return 0;
}

int
req_content_type_json(const struct req *r)
{
	return req_content_type_is(r, "application/json");
}

int
req_content_type_is(const struct req *r, const char *type)
{
	const char *ct = r->rq_content_type;
	size_t n = strlen(type);

	while (*ct == ' ' || *ct == '\t')
		ct++;
	if (strncasecmp(ct, type, n) != 0)
		return 0;
	ct += n;
	while (*ct == ' ' || *ct == '\t')
		ct++;
	return *ct == '\0' || *ct == ';';
}

void
req_free(struct req *r)
{
	free(r->rq_method);
	free(r->rq_path);
	free(r->rq_query);
	free(r->rq_user);
	free(r->rq_body);
	free(r->rq_content_type);
	free(r->rq_content_encoding);
	free(r->rq_authorization);
	free(r->rq_origin);
	free(r->rq_self_origin);
	memset(r, 0, sizeof(*r));
}

int
req_read_body(struct req *r, uint64_t max)
{
	FCGX_Request *f = r->rq_fcgx;
	size_t cap, len = 0;
	char *b, *nb;
	int n;

	if (r->rq_has_length && r->rq_content_length > max)
		return AR_ETOOBIG;
	cap = r->rq_has_length ? (size_t)r->rq_content_length + 1 : 4096;
	if ((b = malloc(cap)) == NULL)
		return AR_ENOMEM;
	for (;;) {
		if (len + 1 >= cap) {
			if (cap > max + 1) {
				free(b);
				return AR_ETOOBIG;
			}
			if ((nb = realloc(b, cap * 2)) == NULL) {
				free(b);
				return AR_ENOMEM;
			}
			b = nb;
			cap *= 2;
		}
		n = FCGX_GetStr(b + len, (int)(cap - 1 - len), f->in);
		if (n <= 0)
			break;
		len += (size_t)n;
		if (len > max) {
			free(b);
			return AR_ETOOBIG;
		}
	}
	b[len] = '\0';
	r->rq_body = b;
	r->rq_body_len = len;
	return AR_OK;
}

/* Calls cb for each "name=value" pair of the query string. */
static int
query_each(const char *qs, int (*cb)(void *, const char *, size_t,
    const char *, size_t), void *arg)
{
	const char *p = qs, *amp, *eq;
	size_t len;

	while (*p) {
		amp = strchr(p, '&');
		len = amp ? (size_t)(amp - p) : strlen(p);
		if (len > 0) {
			eq = memchr(p, '=', len);
			if (cb(arg, p, eq ? (size_t)(eq - p) : len,
			    eq ? eq + 1 : p + len,
			    eq ? len - (size_t)(eq - p) - 1 : 0) != 0)
				return -1;
		}
		p += len + (amp ? 1 : 0);
	}
	return 0;
}

struct qget {
	const char *name;
	char *val;
};

static int
qget_cb(void *arg, const char *k, size_t kl, const char *v, size_t vl)
{
	struct qget *g = arg;
	char *key = pct_decode(k, kl, 1);
	int match = key && strcmp(key, g->name) == 0;

	free(key);
	if (match && g->val == NULL)
		g->val = pct_decode(v, vl, 1);
	return 0;
}

int
req_query_get(const struct req *r, const char *name, char **val)
{
	struct qget g = {name, NULL};

	query_each(r->rq_query, qget_cb, &g);
	*val = g.val;
	return g.val != NULL;
}

struct qcheck {
	const char *const *allowed;
	unsigned seen;
	char *err;
	size_t errlen;
};

static int
qcheck_cb(void *arg, const char *k, size_t kl, const char *v, size_t vl)
{
	struct qcheck *c = arg;
	char *key = pct_decode(k, kl, 1);
	int i;

	(void)v;
	(void)vl;
	if (key == NULL)
		return -1;
	for (i = 0; c->allowed[i]; i++)
		if (strcmp(key, c->allowed[i]) == 0)
			break;
	if (c->allowed[i] == NULL) {
		snprintf(c->err, c->errlen, "unknown query parameter '%.100s'",
		    key);
		free(key);
		return -1;
	}
	if (c->seen & (1u << i)) {
		snprintf(c->err, c->errlen, "query parameter '%s' is given "
		    "more than once", key);
		free(key);
		return -1;
	}
	c->seen |= 1u << i;
	free(key);
	return 0;
}

int
req_query_check(const struct req *r, const char *const *allowed, char *err,
    size_t errlen)
{
	struct qcheck c = {allowed, 0, err, errlen};

	return query_each(r->rq_query, qcheck_cb, &c);
}

void
req_begin(struct req *r, int status, const char *content_type,
    const char *extra)
{
	FCGX_Request *f = r->rq_fcgx;

	r->rq_status = status;
	r->rq_started = 1;
	if (FCGX_FPrintF(f->out, "Status: %d %s\r\nContent-Type: %s\r\n"
	    "Cache-Control: no-store\r\n%s\r\n", status, ar_http_reason(status),
	    content_type, extra ? extra : "") < 0)
		r->rq_gone = 1;
}

int
req_write(struct req *r, const void *data, size_t len)
{
	FCGX_Request *f = r->rq_fcgx;

	if (r->rq_gone)
		return -1;
	while (len > 0) {
		int chunk = len > (1 << 30) ? 1 << 30 : (int)len;
		if (FCGX_PutStr(data, chunk, f->out) != chunk) {
			r->rq_gone = 1;
			return -1;
		}
		data = (const char *)data + chunk;
		len -= (size_t)chunk;
		r->rq_bytes += (uint64_t)chunk;
	}
	return 0;
}

void
req_reply(struct req *r, int status, const struct buf *body)
{
	char extra[64];

	snprintf(extra, sizeof(extra), "Content-Length: %zu\r\n", body->b_len);
	req_begin(r, status, JSON_TYPE, extra);
	req_write(r, body->b_data, body->b_len);
}

void
req_error(struct req *r, int e, const char *reason, const char *extra)
{
	struct buf b = BUF_INIT;
	int status = ar_err_status(e);

	if (buf_printf(&b, "{\"error\":{\"type\":\"%s\",\"reason\":",
	    ar_err_type(e)) == -1 ||
	    buf_json_str(&b, reason, strlen(reason)) == -1 ||
	    (extra && buf_printf(&b, ",%s", extra) == -1) ||
	    buf_printf(&b, "},\"status\":%d}", status) == -1) {
		buf_free(&b);
		static const char oom[] = "{\"error\":{\"type\":"
		    "\"internal_error\",\"reason\":\"out of memory\"},"
		    "\"status\":500}";
		req_begin(r, 500, JSON_TYPE, NULL);
		req_write(r, oom, sizeof(oom) - 1);
		return;
	}
	if (status == 405 && r->rq_allow) {
		char hdr[128];
		snprintf(hdr, sizeof(hdr), "Content-Length: %zu\r\nAllow: %s\r\n",
		    b.b_len, r->rq_allow);
		req_begin(r, status, JSON_TYPE, hdr);
		req_write(r, b.b_data, b.b_len);
	} else
		req_reply(r, status, &b);
	buf_free(&b);
}
