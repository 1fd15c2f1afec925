/* fmt_errorlog.c - the nginx error_log and the Apache ErrorLog. */
#include <string.h>

#include "ingest/fmt.h"

/* Finds needle in s[0..n); returns its offset or -1. */
static long
err_find(const char *s, size_t n, const char *needle)
{
	size_t k = strlen(needle);

	for (size_t i = 0; i + k <= n; i++)
		if (memcmp(s + i, needle, k) == 0)
			return (long)i;
	return -1;
}

/*
 * Reads nginx's trailing context ", client: 1.2.3.4, server: x,
 * request: "GET / HTTP/1.1", host: "h"" from s[0..n) into obj; values in
 * quotes lose them.
 */
static void
nginx_context(json_t *obj, const char *s, size_t n)
{
	static const char *keys[] = { "client", "server", "request",
	    "upstream", "host", "referrer", NULL };
	size_t i = 0;

	while (i < n) {
		const char *key = NULL;
		size_t kl = 0, b, e;

		if (n - i < 2 || s[i] != ',' || s[i + 1] != ' ')
			return;
		i += 2;
		for (int k = 0; keys[k] != NULL; k++) {
			kl = strlen(keys[k]);
			if (n - i > kl + 2 && memcmp(s + i, keys[k], kl) == 0 &&
			    s[i + kl] == ':' && s[i + kl + 1] == ' ') {
				key = keys[k];
				break;
			}
		}
		if (key == NULL)
			return;
		i += kl + 2;
		if (s[i] == '"') {
			b = ++i;
			while (i < n && s[i] != '"')
				i++;
			e = i;
			if (i < n)
				i++;
		} else {
			b = i;
			while (i < n && s[i] != ',')
				i++;
			e = i;
		}
		fmt_set_str(obj, key, s + b, e - b);
	}
}

/*
 * "2026/12/03 10:50:24 [error] 1234#5678: *9 message, client: ...".
 * The time is local time.
 */
static int
nginx_error(const char *s, size_t n, json_t *obj, char *ts, size_t tslen)
{
	static const char *levels[] = { "debug", "info", "notice", "warn",
	    "error", "crit", "alert", "emerg", NULL };
	size_t i = 0, b;
	int y, mo, d, h, mi, se, lv = -1;
	long long pid, tid;
	long ctx;

	if (fmt_digits(s, n, &i, 4, &y) == -1 || i >= n || s[i++] != '/' ||
	    fmt_digits(s, n, &i, 2, &mo) == -1 || i >= n || s[i++] != '/' ||
	    fmt_digits(s, n, &i, 2, &d) == -1 || i >= n || s[i++] != ' ' ||
	    fmt_digits(s, n, &i, 2, &h) == -1 || i >= n || s[i++] != ':' ||
	    fmt_digits(s, n, &i, 2, &mi) == -1 || i >= n || s[i++] != ':' ||
	    fmt_digits(s, n, &i, 2, &se) == -1 || i + 1 >= n ||
	    s[i++] != ' ' || s[i++] != '[')
		return -1;
	for (int k = 0; levels[k] != NULL; k++) {
		size_t kl = strlen(levels[k]);

		if (n - i > kl && memcmp(s + i, levels[k], kl) == 0 &&
		    s[i + kl] == ']') {
			lv = k;
			i += kl + 1;
			break;
		}
	}
	if (lv == -1 || i >= n || s[i++] != ' ')
		return -1;
	b = i;
	while (i < n && s[i] >= '0' && s[i] <= '9')
		i++;
	if ((pid = fmt_number(s + b, i - b)) == -1 || i >= n || s[i++] != '#')
		return -1;
	b = i;
	while (i < n && s[i] >= '0' && s[i] <= '9')
		i++;
	if ((tid = fmt_number(s + b, i - b)) == -1 || i + 1 >= n ||
	    s[i++] != ':' || s[i++] != ' ')
		return -1;
	if (fmt_time_local(ts, tslen, y, mo, d, h, mi, se, NULL, 0, NULL) == -1)
		return -1;
	fmt_set_str(obj, "severity", levels[lv], strlen(levels[lv]));
	json_object_set_new(obj, "pid", json_integer(pid));
	json_object_set_new(obj, "tid", json_integer(tid));
	if (i < n && s[i] == '*') {
		b = ++i;
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
		if (i > b && i < n && s[i] == ' ') {
			json_object_set_new(obj, "connection",
			    json_integer(fmt_number(s + b, i - b)));
			i++;
		} else
			i = b - 1;
	}
	ctx = err_find(s + i, n - i, ", client: ");
	if (ctx == -1) {
		fmt_set_str(obj, "message", s + i, n - i);
		return 0;
	}
	fmt_set_str(obj, "message", s + i, (size_t)ctx);
	nginx_context(obj, s + i + ctx, n - i - (size_t)ctx);
	return 0;
}

/*
 * "[Thu Dec 03 10:50:24.123456 2026] [core:error] [pid 12:tid 34]
 * [client 127.0.0.1:5555] AH00128: message" (2.4), or 2.2's
 * "[Thu Dec 03 10:50:24 2026] [error] [client 1.2.3.4] message".
 * The time is local time.
 */
static int
apache_error(const char *s, size_t n, json_t *obj, char *ts, size_t tslen)
{
	size_t i = 0, b, e, fracl = 0;
	const char *frac = NULL;
	int mo, d, h, mi, se, y;

	/* "[Www Mmm dd hh:mm:ss[.frac] yyyy]" */
	if (n < 26 || s[0] != '[' || s[4] != ' ' ||
	    (mo = fmt_month(s + 5)) == 0 || s[8] != ' ')
		return -1;
	i = 9;
	if (s[i] == ' ') {
		i++;
		if (fmt_digits(s, n, &i, 1, &d) == -1)
			return -1;
	} else if (fmt_digits(s, n, &i, 2, &d) == -1)
		return -1;
	if (i >= n || s[i++] != ' ' ||
	    fmt_digits(s, n, &i, 2, &h) == -1 || i >= n || s[i++] != ':' ||
	    fmt_digits(s, n, &i, 2, &mi) == -1 || i >= n || s[i++] != ':' ||
	    fmt_digits(s, n, &i, 2, &se) == -1)
		return -1;
	if (i < n && s[i] == '.') {
		frac = s + ++i;
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
		fracl = (size_t)(s + i - frac);
		if (fracl == 0 || fracl > 9)
			return -1;
	}
	if (i >= n || s[i++] != ' ' || fmt_digits(s, n, &i, 4, &y) == -1 ||
	    i >= n || s[i++] != ']')
		return -1;
	if (fmt_time_local(ts, tslen, y, mo, d, h, mi, se, frac, fracl,
	    NULL) == -1)
		return -1;
	/* The bracketed fields, then the message. */
	while (i + 1 < n && s[i] == ' ' && s[i + 1] == '[') {
		const char *f, *colon;
		size_t fl;

		b = i + 2;
		for (e = b; e < n && s[e] != ']'; e++)
			;
		if (e >= n)
			break;
		f = s + b;
		fl = e - b;
		if (fl > 4 && memcmp(f, "pid ", 4) == 0) {
			const char *p = f + 4, *t = memchr(p, ':', fl - 4);
			size_t pl = t != NULL ? (size_t)(t - p) : fl - 4;
			long long v;

			if ((v = fmt_number(p, pl)) >= 0)
				json_object_set_new(obj, "pid",
				    json_integer(v));
			if (t != NULL && fl - 4 - pl > 5 &&
			    memcmp(t, ":tid ", 5) == 0 &&
			    (v = fmt_number(t + 5, fl - 4 - pl - 5)) >= 0)
				json_object_set_new(obj, "tid",
				    json_integer(v));
		} else if (fl > 7 && memcmp(f, "client ", 7) == 0)
			fmt_set_str(obj, "client", f + 7, fl - 7);
		else if (fl > 7 && memcmp(f, "remote ", 7) == 0)
			fmt_set_str(obj, "remote", f + 7, fl - 7);
		else if (json_object_get(obj, "severity") == NULL) {
			colon = memchr(f, ':', fl);
			if (colon != NULL) {
				fmt_set_str(obj, "module", f,
				    (size_t)(colon - f));
				fmt_set_str(obj, "severity", colon + 1,
				    fl - (size_t)(colon + 1 - f));
			} else
				fmt_set_str(obj, "severity", f, fl);
		} else
			break;
		i = e + 1;
	}
	if (i < n && s[i] == ' ')
		i++;
	/* "(2)No such file or directory: " is the system's error. */
	if (i < n && s[i] == '(') {
		size_t j = i + 1;
		long colon;

		while (j < n && s[j] >= '0' && s[j] <= '9')
			j++;
		if (j > i + 1 && j < n && s[j] == ')' &&
		    (colon = err_find(s + j, n - j, ": ")) > 1) {
			fmt_set_str(obj, "os_error", s + i,
			    j + (size_t)colon - i);
			i = j + (size_t)colon + 2;
		}
	}
	/* "AH00128: " is the message's code. */
	if (n - i > 9 && s[i] == 'A' && s[i + 1] == 'H' &&
	    fmt_number(s + i + 2, 5) >= 0 && s[i + 7] == ':' &&
	    s[i + 8] == ' ') {
		fmt_set_str(obj, "code", s + i, 7);
		i += 9;
	}
	fmt_set_str(obj, "message", s + i, n - i);
	return 0;
}

int
fmt_errorlog_parse(enum fmt_kind kind, const char *s, size_t n,
    json_t *obj, char *ts, size_t tslen, const char **why)
{
	int rc;

	if (kind == FMT_NGINX_ERROR) {
		*why = "not an nginx error log line";
		rc = nginx_error(s, n, obj, ts, tslen);
	} else {
		*why = "not an Apache error log line";
		rc = apache_error(s, n, obj, ts, tslen);
	}
	if (rc == -1)
		ts[0] = '\0';
	return rc;
}
