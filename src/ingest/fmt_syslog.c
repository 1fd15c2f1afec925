/* fmt_syslog.c - syslog lines: RFC 5424 and RFC 3164 (BSD), told apart
 * per line, with or without the <PRI> a file written by a syslog daemon
 * leaves out. */
#include <string.h>
#include <time.h>

#include "common/timeutil.h"
#include "ingest/fmt.h"

static const char *const facilities[24] = {
	"kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news",
	"uucp", "cron", "authpriv", "ftp", "ntp", "security", "console",
	"solaris-cron", "local0", "local1", "local2", "local3", "local4",
	"local5", "local6", "local7"
};
static const char *const severities[8] = {
	"emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"
};

/* Reads "<PRI>" (0..191, no leading zeros) at *i. Returns PRI, or -1. */
static int
sl_pri(const char *s, size_t n, size_t *i)
{
	size_t k = 1;
	int v = 0;

	if (n < 3 || s[0] != '<')
		return -1;
	while (k < n && k <= 4 && s[k] >= '0' && s[k] <= '9')
		v = v * 10 + (s[k++] - '0');
	if (k == 1 || k > 4 || k >= n || s[k] != '>' || v > 191 ||
	    (s[1] == '0' && k > 2))
		return -1;
	*i = k + 1;
	return v;
}

/* Returns the end of the space-delimited token at i. */
static size_t
sl_word_end(const char *s, size_t n, size_t i)
{
	while (i < n && s[i] != ' ')
		i++;
	return i;
}

/*
 * Sets "pid" to s[b..e): a number when it is all digits (as in the error
 * logs), else the text (RFC 5424's PROCID may be any word).
 */
static void
sl_pid(json_t *obj, const char *s, size_t b, size_t e)
{
	long long v = 0;
	size_t k;

	if (e - b == 1 && s[b] == '-')
		return;
	for (k = b; k < e && k - b < 18 && s[k] >= '0' && s[k] <= '9'; k++)
		v = v * 10 + (s[k] - '0');
	if (k == e && e > b)
		json_object_set_new(obj, "pid", json_integer(v));
	else
		fmt_set_str(obj, "pid", s + b, e - b);
}

/* Sets key to s[b..e) unless it is 5424's NILVALUE "-". */
static void
sl_set(json_t *obj, const char *key, const char *s, size_t b, size_t e)
{
	if (e - b == 1 && s[b] == '-')
		return;
	fmt_set_str(obj, key, s + b, e - b);
}

/*
 * Reads STRUCTURED-DATA at *i: "-" or one or more
 * [SD-ID PARAM="value" ...] elements, values with \" \\ \] escapes, into
 * obj["structured_data"] as {SD-ID: {PARAM: value}}. Returns 0, or -1.
 */
static int
sl_sd(const char *s, size_t n, size_t *i, json_t *obj)
{
	json_t *sd, *el;
	char val[8192];
	size_t j = *i, b;

	if (j < n && s[j] == '-') {
		*i = j + 1;
		return 0;
	}
	if (j >= n || s[j] != '[' || (sd = json_object()) == NULL)
		return -1;
	while (j < n && s[j] == '[') {
		char id[64];

		b = ++j;
		while (j < n && s[j] != ' ' && s[j] != ']' && s[j] != '=' &&
		    s[j] != '"')
			j++;
		if (j == b || j - b >= sizeof(id) || j >= n)
			goto fail;
		memcpy(id, s + b, j - b);
		id[j - b] = '\0';
		if ((el = json_object()) == NULL)
			goto fail;
		json_object_set_new(sd, id, el);
		while (j < n && s[j] == ' ') {
			char name[64];
			size_t vl = 0;

			b = ++j;
			while (j < n && s[j] != '=' && s[j] != ' ' &&
			    s[j] != ']' && s[j] != '"')
				j++;
			if (j == b || j - b >= sizeof(name) || j + 1 >= n ||
			    s[j] != '=' || s[j + 1] != '"')
				goto fail;
			memcpy(name, s + b, j - b);
			name[j - b] = '\0';
			j += 2;
			while (j < n && s[j] != '"') {
				if (s[j] == '\\' && j + 1 < n &&
				    (s[j + 1] == '"' || s[j + 1] == '\\' ||
				    s[j + 1] == ']'))
					j++;
				if (vl == sizeof(val))
					goto fail;
				val[vl++] = s[j++];
			}
			if (j >= n)
				goto fail;
			j++;
			fmt_set_str(el, name, val, vl);
		}
		if (j >= n || s[j] != ']')
			goto fail;
		j++;
	}
	json_object_set_new(obj, "structured_data", sd);
	*i = j;
	return 0;
fail:
	json_decref(sd);
	return -1;
}

/*
 * Reads an RFC 3339 time at s[b..e) into ts, checked by the store's own
 * parser; "-" leaves ts empty. Returns 0, or -1.
 */
static int
sl_iso(const char *s, size_t b, size_t e, char *ts, size_t tslen)
{
	int64_t ms;

	if (e - b == 1 && s[b] == '-')
		return 0;
	if (e - b < 20 || e - b >= tslen || s[b + 10] != 'T' ||
	    time_parse_iso(s + b, e - b, &ms) == -1)
		return -1;
	/* RFC 3339 requires a zone; a bare local time is not 5424. */
	if (s[e - 1] != 'Z' && !(e - b > 6 && (s[e - 6] == '+' ||
	    s[e - 6] == '-') && s[e - 3] == ':'))
		return -1;
	memcpy(ts, s + b, e - b);
	ts[e - b] = '\0';
	return 0;
}

/* "1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID SD [MSG]" after the PRI. */
static int
sl_5424(const char *s, size_t n, size_t i, json_t *obj, char *ts,
    size_t tslen)
{
	size_t f[5][2], e;

	/* VERSION is 1 today; any 1..999 is read the same way. */
	while (i < n && s[i] >= '0' && s[i] <= '9')
		i++;
	if (i >= n || s[i++] != ' ')
		return -1;
	for (int k = 0; k < 5; k++) {
		e = sl_word_end(s, n, i);
		if (e == i || e >= n)
			return -1;
		f[k][0] = i;
		f[k][1] = e;
		i = e + 1;
	}
	if (sl_iso(s, f[0][0], f[0][1], ts, tslen) == -1)
		return -1;
	sl_set(obj, "host", s, f[1][0], f[1][1]);
	sl_set(obj, "app", s, f[2][0], f[2][1]);
	sl_pid(obj, s, f[3][0], f[3][1]);
	sl_set(obj, "msgid", s, f[4][0], f[4][1]);
	if (sl_sd(s, n, &i, obj) == -1)
		return -1;
	if (i < n) {
		if (s[i++] != ' ')
			return -1;
		/* A UTF-8 MSG starts with a BOM. */
		if (n - i >= 3 && memcmp(s + i, "\xef\xbb\xbf", 3) == 0)
			i += 3;
		fmt_set_str(obj, "message", s + i, n - i);
	}
	return 0;
}

/*
 * Reads "Mmm dd hh:mm:ss" at *i into ts (local time; the year: now_ms's,
 * or the one before when that is more than a day ahead of now_ms). Returns
 * 0, or -1 when there is no such time.
 */
static int
sl_bsd_time(const char *s, size_t n, size_t *i, int64_t now_ms, char *ts,
    size_t tslen)
{
	size_t j = *i;
	int mo, d, h, mi, se, year;
	time_t now = (time_t)(now_ms / 1000);
	struct tm tm;
	int64_t t;

	if (n - j < 15 || (mo = fmt_month(s + j)) == 0 || s[j + 3] != ' ')
		return -1;
	j += 4;
	if (s[j] == ' ') {
		j++;
		if (fmt_digits(s, n, &j, 1, &d) == -1)
			return -1;
	} else if (fmt_digits(s, n, &j, 2, &d) == -1)
		return -1;
	if (j >= n || s[j++] != ' ' ||
	    fmt_digits(s, n, &j, 2, &h) == -1 || j >= n || s[j++] != ':' ||
	    fmt_digits(s, n, &j, 2, &mi) == -1 || j >= n || s[j++] != ':' ||
	    fmt_digits(s, n, &j, 2, &se) == -1)
		return -1;
	if (localtime_r(&now, &tm) == NULL)
		return -1;
	year = tm.tm_year + 1900;
	if (fmt_time_local(ts, tslen, year, mo, d, h, mi, se, NULL, 0,
	    &t) == -1 || t > (int64_t)now + 86400) {
		/* Feb 29 of a year that has none is last year's, too. */
		year--;
		if (fmt_time_local(ts, tslen, year, mo, d, h, mi, se, NULL, 0,
		    &t) == -1)
			return -1;
	}
	*i = j;
	return 0;
}

/*
 * "TIMESTAMP HOSTNAME TAG[PID]: MSG" after the PRI (RFC 3164 4.1.2-3);
 * TIMESTAMP may also be RFC 3339 (rsyslog's file format). Without a
 * TIMESTAMP the rest is all MSG, when there was a PRI (4.3.2); else -1.
 */
static int
sl_3164(const char *s, size_t n, size_t i, int has_pri, int64_t now_ms,
    json_t *obj, char *ts, size_t tslen)
{
	size_t e, t;

	e = sl_word_end(s, n, i);
	if (sl_bsd_time(s, n, &i, now_ms, ts, tslen) == 0)
		;
	else if (e - i >= 20 && sl_iso(s, i, e, ts, tslen) == 0 &&
	    ts[0] != '\0')
		i = e;
	else {
		ts[0] = '\0';
		if (!has_pri)
			return -1;
		fmt_set_str(obj, "message", s + i, n - i);
		return 0;
	}
	if (i >= n || s[i] != ' ')
		return -1;
	i++;
	e = sl_word_end(s, n, i);
	if (e == i)
		return -1;
	fmt_set_str(obj, "host", s + i, e - i);
	i = e < n ? e + 1 : e;
	/* TAG: up to 32 alphanumerics (and the usual ._-/), then [PID] or ':' */
	for (t = i; t < n && t - i <= 48 && s[t] != '[' && s[t] != ':' &&
	    s[t] != ' '; t++)
		;
	if (t > i && t < n && (s[t] == '[' || s[t] == ':')) {
		size_t p = t, pe;

		if (s[t] == '[') {
			for (pe = t + 1; pe < n && s[pe] != ']'; pe++)
				;
			if (pe < n && pe + 1 < n && s[pe + 1] == ':') {
				fmt_set_str(obj, "app", s + i, t - i);
				sl_pid(obj, s, t + 1, pe);
				p = pe + 2;
			} else
				p = i;	/* not a TAG: all MSG */
		} else {
			fmt_set_str(obj, "app", s + i, t - i);
			p = t + 1;
		}
		if (p != i && p < n && s[p] == ' ')
			p++;
		i = p;
	}
	fmt_set_str(obj, "message", s + i, n - i);
	return 0;
}

int
fmt_syslog_parse(const char *s, size_t n, int64_t now_ms, json_t *obj,
    char *ts, size_t tslen, const char **why)
{
	size_t i = 0, k;
	int pri;

	*why = "not a syslog line";
	ts[0] = '\0';
	if ((pri = sl_pri(s, n, &i)) >= 0) {
		json_object_set_new(obj, "facility",
		    json_string(facilities[pri >> 3]));
		json_object_set_new(obj, "severity",
		    json_string(severities[pri & 7]));
		/* "<PRI>1 " (VERSION: 1-3 digits, no leading zero): 5424. */
		for (k = i; k < n && k - i < 4 && s[k] >= '0' && s[k] <= '9';
		    k++)
			;
		if (k > i && k - i <= 3 && s[i] != '0' && k < n &&
		    s[k] == ' ') {
			if (sl_5424(s, n, i, obj, ts, tslen) == 0)
				return 0;
			*why = "not an RFC 5424 syslog line";
			ts[0] = '\0';
			return -1;
		}
	}
	if (sl_3164(s, n, i, pri >= 0, now_ms, obj, ts, tslen) == 0)
		return 0;
	ts[0] = '\0';
	return -1;
}
