/* test_request.c - request parameters: UTF-8 refusals, the request's own
 * origin, the Content-Type and Origin checks against cross-site requests. */
#include <stdlib.h>
#include <string.h>

#include <fcgiapp.h>

#include "fcgi/request.h"
#include "tap.h"

/*
 * Fills r from the FastCGI parameters env (NULL-terminated "NAME=value"
 * strings, borrowed). Returns req_init's result; the caller calls
 * req_free(r).
 */
static int
load(struct req *r, FCGX_Request *f, char **env)
{
	memset(f, 0, sizeof(*f));
	f->envp = env;
	return req_init(r, f);
}

int
main(void)
{
	FCGX_Request f;
	struct req r;

	{
		char *env[] = {"REQUEST_METHOD=GET",
		    "REQUEST_URI=/_sme/async_requests/status/%ff%fe", NULL};
		ok(load(&r, &f, env) == 0, "path %%ff%%fe: loads");
		is_str(r.rq_invalid ? r.rq_invalid : "(none)", "path",
		    "path %%ff%%fe: the path is not UTF-8");
		req_free(&r);
	}
	{
		char *env[] = {"REQUEST_METHOD=GET",
		    "REQUEST_URI=/_sme/async_requests/status?status=%ff", NULL};
		load(&r, &f, env);
		is_str(r.rq_invalid ? r.rq_invalid : "(none)", "query string",
		    "status=%%ff: the query string is not UTF-8");
		req_free(&r);
	}
	{
		char *env[] = {"REQUEST_METHOD=GET", "REQUEST_URI=/_sme/"
		    "async_requests/status/%c3%a9?status=%c3%a9", NULL};
		load(&r, &f, env);
		ok(r.rq_invalid == NULL, "%%c3%%a9 in path and query is UTF-8");
		is_str(r.rq_path, "_sme/async_requests/status/\xc3\xa9",
		    "the path is decoded");
		req_free(&r);
	}
	{
		char *env[] = {"REQUEST_METHOD=GET", "REQUEST_URI=/_sme/x",
		    "REMOTE_USER=\xff\xfeuser", NULL};
		load(&r, &f, env);
		ok(r.rq_bad_user && r.rq_invalid == NULL,
		    "REMOTE_USER \\xff\\xfeuser is refused");
		req_free(&r);
	}
	{
		char *env[] = {"REQUEST_METHOD=GET", "REQUEST_URI=/_sme/x",
		    "REMOTE_USER=j\xc3\xbcrgen", NULL};
		load(&r, &f, env);
		ok(!r.rq_bad_user, "REMOTE_USER j\xc3\xbcrgen is UTF-8");
		req_free(&r);
	}
	/* The request's own origin. */
	{
		char *env[] = {"REQUEST_METHOD=POST", "REQUEST_URI=/_sme/x",
		    "REQUEST_SCHEME=http", "HTTP_HOST=Example.test",
		    "SERVER_PORT=8080", "HTTP_ORIGIN=http://example.test:8080",
		    NULL};
		load(&r, &f, env);
		is_str(r.rq_self_origin, "http://example.test:8080",
		    "host without a port: SERVER_PORT, lower case");
		ok(r.rq_has_origin && req_origin_same(&r), "same origin");
		ok(!r.rq_has_xrw, "no X-Requested-With");
		req_free(&r);
	}
	{
		char *env[] = {"REQUEST_METHOD=POST", "REQUEST_URI=/_sme/x",
		    "HTTPS=on", "HTTP_HOST=example.test:443",
		    "SERVER_PORT=8443", "HTTP_ORIGIN=https://EXAMPLE.test:443",
		    "HTTP_X_REQUESTED_WITH=x", NULL};
		load(&r, &f, env);
		is_str(r.rq_self_origin, "https://example.test",
		    "https, the default port left out, HTTP_HOST's port wins");
		ok(req_origin_same(&r), "Origin with the default port written "
		    "out is the same origin");
		ok(r.rq_has_xrw, "X-Requested-With seen");
		req_free(&r);
	}
	{
		char *env[] = {"REQUEST_METHOD=POST", "REQUEST_URI=/_sme/x",
		    "HTTP_HOST=[::1]", "SERVER_PORT=8080",
		    "HTTP_ORIGIN=http://[::1]:8081", NULL};
		load(&r, &f, env);
		is_str(r.rq_self_origin, "http://[::1]:8080",
		    "IPv6 host without a port: SERVER_PORT");
		ok(!req_origin_same(&r), "another port is another origin");
		req_free(&r);
	}
	{
		char *env[] = {"REQUEST_METHOD=POST", "REQUEST_URI=/_sme/x",
		    "HTTP_HOST=127.0.0.1:8080", "HTTP_ORIGIN=null", NULL};
		load(&r, &f, env);
		ok(!req_origin_same(&r), "Origin null is not the same origin");
		req_free(&r);
	}
	/* Content-Type. */
	{
		static const struct {
			const char *ct;
			int json;
		} cases[] = {
			{"CONTENT_TYPE=application/json", 1},
			{"CONTENT_TYPE=application/json; charset=utf-8", 1},
			{"CONTENT_TYPE=Application/JSON;charset=UTF-8", 1},
			{"CONTENT_TYPE=application/json ", 1},
			{"CONTENT_TYPE=text/plain", 0},
			{"CONTENT_TYPE=application/x-www-form-urlencoded", 0},
			{"CONTENT_TYPE=multipart/form-data; boundary=x", 0},
			{"CONTENT_TYPE=application/jsonp", 0},
			{"CONTENT_TYPE=application/json-seq", 0},
			{"CONTENT_TYPE=", 0},
		};
		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			char *env[] = {"REQUEST_METHOD=POST",
			    "REQUEST_URI=/_sme/x", (char *)cases[i].ct, NULL};
			load(&r, &f, env);
			is_int(req_content_type_json(&r), cases[i].json,
			    "%s", cases[i].ct);
			req_free(&r);
		}
		char *env[] = {"REQUEST_METHOD=POST", "REQUEST_URI=/_sme/x",
		    NULL};
		load(&r, &f, env);
		is_int(req_content_type_json(&r), 0, "no CONTENT_TYPE");
		req_free(&r);
	}
	return done_testing();
}
