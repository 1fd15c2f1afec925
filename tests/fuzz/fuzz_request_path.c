/* fuzz_request_path.c - libFuzzer target: path and query-string decoding and routing. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_fcgi.h"
#include "common/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define PREFIX "_sme/async_requests/"

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
 * The reference decoder, written from request.c's contract: %XX with two
 * hex digits is the byte, a bad escape stays as written, a decoded NUL is
 * '?', '+' is a space when plus is set. Returns a malloc'd string.
 */
static char *
ref_decode(const char *s, size_t len, int plus)
{
	char *out = malloc(len + 1), *o = out;

	if (out == NULL)
		fake_broken("out of memory", NULL, 0);
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '%' && len - i >= 3 && hexval(s[i + 1]) >= 0 &&
		    hexval(s[i + 2]) >= 0) {
			*o = (char)(hexval(s[i + 1]) << 4 | hexval(s[i + 2]));
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

/* The routes of handlers.c: name, method, whether an id follows. */
static const struct {
	const char *name, *method;
	int id;
} routes[] = {
	{"request", "POST", 0}, {"status", "GET", 1}, {"status", "GET", 0},
	{"response", "GET", 1}, {"logs", "GET", 1}, {"break", "POST", 1},
	{"break", "POST", 0}, {"delete", "DELETE", 1},
	{"file_download", "POST", 1}, {"health", "GET", 0},
	{"whoami", "GET", 0},
};

/*
 * Checks the query string qs as the reference reads it: what
 * req_query_get() answers for each of names, and whether
 * req_query_check() with allowed accepts it. Returns 1 when the check
 * passes.
 */
static int
ref_query_check(const char *qs, const char *const *allowed)
{
	unsigned seen = 0;
	const char *p = qs;

	while (*p) {
		const char *amp = strchr(p, '&');
		size_t len = amp ? (size_t)(amp - p) : strlen(p);

		if (len > 0) {
			const char *eq = memchr(p, '=', len);
			char *k = ref_decode(p, eq ? (size_t)(eq - p) : len, 1);
			int i;

			for (i = 0; allowed[i] && strcmp(k, allowed[i]) != 0;
			    i++)
				;
			free(k);
			if (allowed[i] == NULL || (seen & (1u << i)))
				return 0;
			seen |= 1u << i;
		}
		p += len + (amp != NULL);
	}
	return 1;
}

/* Returns the reference value of parameter name in qs (malloc'd) or NULL. */
static char *
ref_query_get(const char *qs, const char *name)
{
	const char *p = qs;

	while (*p) {
		const char *amp = strchr(p, '&');
		size_t len = amp ? (size_t)(amp - p) : strlen(p);

		if (len > 0) {
			const char *eq = memchr(p, '=', len);
			char *k = ref_decode(p, eq ? (size_t)(eq - p) : len, 1);
			int match = strcmp(k, name) == 0;

			free(k);
			if (match)
				return eq ? ref_decode(eq + 1, len -
				    (size_t)(eq - p) - 1, 1) : ref_decode("", 0, 1);
		}
		p += len + (amp != NULL);
	}
	return NULL;
}

/*
 * The input: one byte of options (bits 0-1: method GET, POST, DELETE or
 * PUT; bit 2: a REMOTE_USER; bit 3: the text is REQUEST_URI as it is, else
 * it follows "/_sme/async_requests/"; bit 4: no REQUEST_URI but
 * SCRIPT_NAME, PATH_INFO and QUERY_STRING), then the URI (up to a NUL).
 * auth.require_user is on, the store is empty, no runner runs. Checks,
 * besides memory safety and the form of every reply (fake_fcgi.h):
 * - the decoded path and the query parameters equal the reference
 *   decoder's (so a decoded value is never longer than its text, holds no
 *   NUL, and a text without '%' or '+' is unchanged);
 * - req_query_check() accepts exactly the query strings whose parameters
 *   are all known and given once, and a refusal has a message;
 * - the route taken equals the reference routing: 404 off the prefix, for
 *   an unknown name, a missing or extra id or an id with '/'; 405 with an
 *   Allow header of the route's method; 401 without a user; 404 for an id
 *   that is not a task id; 400 for parameters on endpoints that take none;
 * - every JSON reply is valid UTF-8 when the decoded request is (or
 *   always, with FUZZ_STRICT_UTF8=1 in the environment).
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const methods[] = {"GET", "POST", "DELETE", "PUT"};
	static const char *const status_allowed[] = {"status", NULL};
	static const char *const response_allowed[] = {"from", "size", "to",
	    NULL};
	static const char *const none[] = {NULL};
	char *uri, *envp[10], *e_method, *e_uri, *e_sn, *e_pi, *e_qs, *dpath,
	    *dall, *q, *path, *id, *slash, *got, *want, err[256];
	const char *method, *qs, *sme, *rpath;
	struct fake_reply rep;
	struct req r;
	FCGX_Request f;
	int n = 0, user, raw, cgi, strict, expect = 0, rt = -1, name_known;
	size_t ulen, plen;

	if (size < 1)
		return 0;
	fake_setup(1 << 20);
	fake_cfg.auth_require_user = 1;
	method = methods[data[0] & 3];
	user = data[0] & 4;
	raw = data[0] & 8;
	cgi = data[0] & 16;
	ulen = strnlen((const char *)data + 1, size - 1);
	if ((uri = malloc(ulen + sizeof("/" PREFIX))) == NULL)
		return 0;
	snprintf(uri, ulen + sizeof("/" PREFIX), "%s%.*s", raw ? "" :
	    "/" PREFIX, (int)ulen, (const char *)data + 1);
	ulen = strlen(uri);
	q = strchr(uri, '?');
	plen = q ? (size_t)(q - uri) : ulen;
	qs = q ? q + 1 : "";

	e_method = malloc(strlen(method) + 16);
	sprintf(e_method, "REQUEST_METHOD=%s", method);
	envp[n++] = e_method;
	e_uri = e_sn = e_pi = e_qs = NULL;
	if (!cgi) {
		e_uri = malloc(ulen + 16);
		sprintf(e_uri, "REQUEST_URI=%s", uri);
		envp[n++] = e_uri;
	} else {
		/* The CGI way: no decoding of SCRIPT_NAME and PATH_INFO. */
		e_sn = strdup("SCRIPT_NAME=");
		e_pi = malloc(plen + 16);
		sprintf(e_pi, "PATH_INFO=%.*s", (int)plen, uri);
		e_qs = malloc(strlen(qs) + 16);
		sprintf(e_qs, "QUERY_STRING=%s", qs);
		envp[n++] = e_sn;
		envp[n++] = e_pi;
		envp[n++] = e_qs;
	}
	if (user)
		envp[n++] = "REMOTE_USER=alice";
	/* What a same-site client sends (no CSRF refusal to route around). */
	envp[n++] = "CONTENT_TYPE=application/json";
	envp[n++] = "HTTP_X_REQUESTED_WITH=XMLHttpRequest";
	envp[n] = NULL;

	/* Decoding, through req_init as the responder does it. */
	dpath = cgi ? strndup(uri, plen) : ref_decode(uri, plen, 0);
	sme = strstr(dpath, "/_sme/");
	rpath = sme ? sme + 1 : dpath;
	memset(&f, 0, sizeof(f));
	f.envp = envp;
	if (req_init(&r, &f) == -1)
		fake_broken("req_init failed", uri, ulen);
	if (strcmp(r.rq_path, rpath) != 0)
		fake_broken("the decoded path differs from the reference", uri,
		    ulen);
	if (strcmp(r.rq_query, qs) != 0)
		fake_broken("the query string is not kept as it is", uri, ulen);
	if (strlen(r.rq_path) > plen)
		fake_broken("a decoded path longer than its text", uri, ulen);
	for (const char *const *nm = (const char *const[]){"status", "from",
	    "size", "to", "", " ", NULL}; *nm; nm++) {
		int has = req_query_get(&r, *nm, &got);

		want = ref_query_get(qs, *nm);
		if (has != (want != NULL) || (has && strcmp(got, want) != 0))
			fake_broken("a query parameter differs from the "
			    "reference", uri, ulen);
		if (has && strlen(got) > strlen(qs))
			fake_broken("a decoded value longer than the query",
			    uri, ulen);
		if (has)
			free(got);
		free(want);
	}
	for (const char *const *const *al = (const char *const *const[]){
	    status_allowed, response_allowed, none, NULL}; *al; al++) {
		memset(err, 0, sizeof(err));
		int ok = req_query_check(&r, *al, err, sizeof(err)) == 0;

		if (ok != ref_query_check(qs, *al))
			fake_broken("req_query_check differs from the reference",
			    uri, ulen);
		if (!ok && err[0] == '\0')
			fake_broken("a refused query without a message", uri,
			    ulen);
	}
	req_free(&r);

	/* Routing, through handle_request. */
	/* Query parameters are decoded the CGI way too. */
	dall = ref_decode(qs, strlen(qs), 1);
	strict = (ref_utf8_ok((const unsigned char *)dpath, strlen(dpath)) &&
	    ref_utf8_ok((const unsigned char *)dall, strlen(dall))) ||
	    getenv("FUZZ_STRICT_UTF8") != NULL;
	fake_request(envp, "", 0, strict, &rep);
	path = NULL;
	name_known = 0;
	if (strncmp(rpath, "_sme/lookups", 12) == 0 &&
	    (rpath[12] == '\0' || rpath[12] == '/'))
		expect = 0;	/* the lookups API (its own routes, lookups.sh) */
	else if (strncmp(rpath, "_sme/saved_searches", 19) == 0 &&
	    (rpath[19] == '\0' || rpath[19] == '/'))
		expect = 0;	/* saved searches (their own routes, saved.sh) */
	else if (strncmp(rpath, PREFIX, strlen(PREFIX)) != 0 ||
	    strlen(rpath) >= 512)
		expect = 404;
	else {
		path = strdup(rpath + strlen(PREFIX));
		if (*path && path[strlen(path) - 1] == '/')
			path[strlen(path) - 1] = '\0';
		id = (slash = strchr(path, '/')) ? slash + 1 : NULL;
		if (slash)
			*slash = '\0';
		for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++)
			if (strcmp(routes[i].name, path) == 0) {
				name_known = 1;
				if (routes[i].id == (id != NULL)) {
					rt = (int)i;
					break;
				}
			}
		if (rt < 0 || (id && (*id == '\0' || strchr(id, '/'))))
			expect = 404;
		else if (strcmp(method, routes[rt].method) != 0)
			expect = 405;
		else if (!user && strcmp(routes[rt].name, "health") != 0)
			expect = 401;
		else if (id && !util_task_id_ok(id))
			expect = 404;
		else if (strcmp(routes[rt].name, "response") != 0 &&
		    !(strcmp(routes[rt].name, "status") == 0 && !id) &&
		    !ref_query_check(qs, none))
			expect = 400;
	}
	/* Text that is not UTF-8 may be refused before routing. */
	if (expect != 0 && rep.fr_status != expect && !(!strict &&
	    rep.fr_status == 400))
		fake_broken("the reply's status differs from the reference "
		    "routing", rep.fr_raw.b_data, rep.fr_raw.b_len);
	if (expect == 405 && rep.fr_status == 405) {
		char allow[64];

		snprintf(allow, sizeof(allow), "\r\nAllow: %s\r\n",
		    routes[rt].method);
		if (memmem(rep.fr_raw.b_data, rep.fr_raw.b_len, allow,
		    strlen(allow)) == NULL)
			fake_broken("a 405 without the route's Allow header",
			    rep.fr_raw.b_data, rep.fr_raw.b_len);
	}
	(void)name_known;
	fake_reply_free(&rep);
	free(path);
	free(dall);
	free(dpath);
	free(e_method);
	free(e_uri);
	free(e_sn);
	free(e_pi);
	free(e_qs);
	free(uri);
	return 0;
}
