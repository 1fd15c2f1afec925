/* fmt_access.c - web server access logs: "common", "combined" (nginx and
 * Apache) and lighttpd's default format. */
#include <stdlib.h>
#include <string.h>

#include "ingest/fmt.h"

struct scan {
	const char	*s;
	size_t		 n;
	size_t		 i;
};

/* Returns the next space-delimited token in *tok / *len, or -1 at the end. */
static int
scan_word(struct scan *sc, const char **tok, size_t *len)
{
	size_t b;

	if (sc->i >= sc->n || sc->s[sc->i] == ' ')
		return -1;
	b = sc->i;
	while (sc->i < sc->n && sc->s[sc->i] != ' ')
		sc->i++;
	*tok = sc->s + b;
	*len = sc->i - b;
	return 0;
}

/* Consumes one space; returns -1 when there is none. */
static int
scan_space(struct scan *sc)
{
	if (sc->i >= sc->n || sc->s[sc->i] != ' ')
		return -1;
	sc->i++;
	return 0;
}

/*
 * Reads a "quoted" field into a malloc'd *out (caller frees) with \" and
 * \\ unescaped (Apache writes those; nginx writes \x22, kept as is).
 * Returns 0, or -1 when there is no closing quote or no memory.
 */
static int
scan_quoted(struct scan *sc, char **out, size_t *len)
{
	size_t used = 0;
	char *buf;

	if (sc->i >= sc->n || sc->s[sc->i] != '"')
		return -1;
	sc->i++;
	if ((buf = malloc(sc->n - sc->i + 1)) == NULL)
		return -1;
	while (sc->i < sc->n) {
		char c = sc->s[sc->i++];

		if (c == '"') {
			buf[used] = '\0';
			*out = buf;
			*len = used;
			return 0;
		}
		if (c == '\\' && sc->i < sc->n &&
		    (sc->s[sc->i] == '"' || sc->s[sc->i] == '\\'))
			c = sc->s[sc->i++];
		buf[used++] = c;
	}
	free(buf);
	return -1;
}

/*
 * Reads "[10/Oct/2000:13:55:36 -0700]" into ts as ISO-8601 with the offset.
 * Returns 0, or -1.
 */
static int
scan_clf_time(struct scan *sc, char *ts, size_t tslen)
{
	const char *s = sc->s;
	size_t i = sc->i, n = sc->n;
	int day, mon, year, hh, mm, ss, oh, om, sign;

	if (i >= n || s[i++] != '[')
		return -1;
	if (fmt_digits(s, n, &i, 2, &day) == -1 || i + 5 > n || s[i] != '/' ||
	    (mon = fmt_month(s + i + 1)) == 0 || s[i + 4] != '/')
		return -1;
	i += 5;
	if (fmt_digits(s, n, &i, 4, &year) == -1 || i >= n || s[i++] != ':' ||
	    fmt_digits(s, n, &i, 2, &hh) == -1 || i >= n || s[i++] != ':' ||
	    fmt_digits(s, n, &i, 2, &mm) == -1 || i >= n || s[i++] != ':' ||
	    fmt_digits(s, n, &i, 2, &ss) == -1 || i + 2 > n || s[i++] != ' ')
		return -1;
	if (s[i] != '+' && s[i] != '-')
		return -1;
	sign = s[i++] == '-' ? -1 : 1;
	if (fmt_digits(s, n, &i, 2, &oh) == -1 ||
	    fmt_digits(s, n, &i, 2, &om) == -1 || i >= n || s[i++] != ']' ||
	    om > 59)
		return -1;
	if (fmt_time(ts, tslen, year, mon, day, hh, mm, ss, NULL, 0,
	    sign * (oh * 60 + om)) == -1)
		return -1;
	sc->i = i;
	return 0;
}

/*
 * Splits request line "GET /path HTTP/1.1" into method, path and protocol
 * when it has those three parts; otherwise (a scanner's garbage, "-") it
 * is kept whole as "request".
 */
static void
access_request(json_t *obj, const char *r, size_t n)
{
	const char *sp1, *sp2;

	sp1 = memchr(r, ' ', n);
	sp2 = sp1 != NULL ? memchr(sp1 + 1, ' ', n - (size_t)(sp1 + 1 - r)) :
	    NULL;
	if (sp1 == NULL || sp2 == NULL || sp1 == r || sp2 == sp1 + 1 ||
	    memchr(sp2 + 1, ' ', n - (size_t)(sp2 + 1 - r)) != NULL ||
	    (size_t)(sp2 + 1 - r) == n) {
		if (n == 1 && r[0] == '-')
			return;
		fmt_set_str(obj, "request", r, n);
		return;
	}
	fmt_set_str(obj, "method", r, (size_t)(sp1 - r));
	fmt_set_str(obj, "path", sp1 + 1, (size_t)(sp2 - sp1 - 1));
	fmt_set_str(obj, "protocol", sp2 + 1, n - (size_t)(sp2 + 1 - r));
}

/* Sets key to s[0..n) unless it is "-" (the log's "no value"). */
static void
access_set(json_t *obj, const char *key, const char *s, size_t n)
{
	if (n == 1 && s[0] == '-')
		return;
	fmt_set_str(obj, key, s, n);
}

/* Reads the optional trailing request time: seconds, "0.003" (nginx's
 * $request_time, Apache's %T). Anything else is kept as "extra". */
static void
access_trailer(json_t *obj, const char *s, size_t n)
{
	char buf[32], *end;
	double d;
	size_t k, dots = 0;

	while (n > 0 && s[0] == ' ') {
		s++;
		n--;
	}
	if (n == 0)
		return;
	for (k = 0; k < n; k++) {
		if (s[k] == '.')
			dots++;
		else if (s[k] < '0' || s[k] > '9')
			break;
	}
	if (k == n && dots <= 1 && n < sizeof(buf) && s[0] != '.') {
		memcpy(buf, s, n);
		buf[n] = '\0';
		d = strtod(buf, &end);
		if (*end == '\0') {
			json_object_set_new(obj, "duration", json_real(d));
			return;
		}
	}
	fmt_set_str(obj, "extra", s, n);
}

int
fmt_access_parse(enum fmt_kind kind, const char *s, size_t n, json_t *obj,
    char *ts, size_t tslen, const char **why)
{
	struct scan sc = { s, n, 0 };
	const char *host, *ident, *user, *status, *bytes;
	size_t hostl, identl, userl, statusl, bytesl, reql, refl, ual;
	char *req = NULL, *ref = NULL, *ua = NULL;
	long long st, by;

	*why = kind == FMT_COMMON ? "not a common access log line" :
	    kind == FMT_COMBINED ? "not a combined access log line" :
	    "not a lighttpd access log line";
	if (scan_word(&sc, &host, &hostl) == -1 || scan_space(&sc) == -1 ||
	    scan_word(&sc, &ident, &identl) == -1 || scan_space(&sc) == -1 ||
	    scan_word(&sc, &user, &userl) == -1 || scan_space(&sc) == -1 ||
	    scan_clf_time(&sc, ts, tslen) == -1 || scan_space(&sc) == -1 ||
	    scan_quoted(&sc, &req, &reql) == -1 || scan_space(&sc) == -1 ||
	    scan_word(&sc, &status, &statusl) == -1 || scan_space(&sc) == -1 ||
	    scan_word(&sc, &bytes, &bytesl) == -1)
		goto fail;
	if (statusl != 3 || (st = fmt_number(status, statusl)) < 100)
		goto fail;
	if (bytesl == 1 && bytes[0] == '-')
		by = 0;		/* "-": no body was sent */
	else if ((by = fmt_number(bytes, bytesl)) == -1)
		goto fail;
	if (kind != FMT_COMMON) {
		if (scan_space(&sc) == -1 ||
		    scan_quoted(&sc, &ref, &refl) == -1 ||
		    scan_space(&sc) == -1 ||
		    scan_quoted(&sc, &ua, &ual) == -1)
			goto fail;
	} else if (sc.i < sc.n)
		goto fail;
	access_set(obj, "client", host, hostl);
	if (kind == FMT_LIGHTTPD)
		access_set(obj, "host", ident, identl);
	else
		access_set(obj, "ident", ident, identl);
	access_set(obj, "user", user, userl);
	access_request(obj, req, reql);
	json_object_set_new(obj, "status", json_integer(st));
	json_object_set_new(obj, "bytes", json_integer(by));
	if (kind != FMT_COMMON) {
		access_set(obj, "referrer", ref, refl);
		access_set(obj, "user_agent", ua, ual);
		access_trailer(obj, s + sc.i, n - sc.i);
	}
	free(req);
	free(ref);
	free(ua);
	return 0;
fail:
	free(req);
	free(ref);
	free(ua);
	ts[0] = '\0';
	return -1;
}
