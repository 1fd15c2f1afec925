/* fmt.c - choosing a log format, the fallback for lines that do not parse,
 * and the helpers the format parsers share. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/timeutil.h"
#include "ingest/fmt.h"

static const struct {
	const char	*name;
	enum fmt_kind	 kind;
} fmt_table[] = {
	{ "ndjson",		FMT_NDJSON },
	{ "combined",		FMT_COMBINED },
	{ "common",		FMT_COMMON },
	{ "lighttpd",		FMT_LIGHTTPD },
	{ "nginx-error",	FMT_NGINX_ERROR },
	{ "apache-error",	FMT_APACHE_ERROR },
	{ "syslog",		FMT_SYSLOG },
};

int
fmt_from_name(const char *name, enum fmt_kind *kind)
{
	for (size_t i = 0; i < sizeof(fmt_table) / sizeof(fmt_table[0]); i++)
		if (strcmp(name, fmt_table[i].name) == 0) {
			*kind = fmt_table[i].kind;
			return 0;
		}
	return -1;
}

const char *
fmt_names(void)
{
	return "ndjson, combined, common, lighttpd, nginx-error, "
	    "apache-error, syslog";
}

/*
 * Returns the length of the valid UTF-8 sequence at s[0..n), or 0 when
 * the byte at s starts none.
 */
static size_t
fmt_utf8_len(const unsigned char *s, size_t n)
{
	size_t len, k;
	unsigned int cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		cp = s[0] & 0x07;
	} else
		return 0;
	if (len > n)
		return 0;
	for (k = 1; k < len; k++) {
		if ((s[k] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[k] & 0x3f);
	}
	if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return len;
}

void
fmt_set_str(json_t *obj, const char *key, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i, k, used = 0;
	char *fixed;

	for (i = 0; i < n; i += k)
		if ((k = fmt_utf8_len(u + i, n - i)) == 0 || u[i] == 0)
			break;
	if (i == n) {
		json_object_set_new(obj, key, json_stringn(s, n));
		return;
	}
	/* Each bad byte becomes the 3 bytes of U+FFFD; NUL too. */
	if ((fixed = malloc(n * 3 + 1)) == NULL)
		return;
	for (i = 0; i < n; i += k) {
		if ((k = fmt_utf8_len(u + i, n - i)) == 0 || u[i] == 0) {
			memcpy(fixed + used, "\xef\xbf\xbd", 3);
			used += 3;
			k = 1;
		} else {
			memcpy(fixed + used, s + i, k);
			used += k;
		}
	}
	json_object_set_new(obj, key, json_stringn(fixed, used));
	free(fixed);
}

int
fmt_month(const char *s)
{
	static const char names[] = "JanFebMarAprMayJunJulAugSepOctNovDec";

	for (int m = 0; m < 12; m++)
		if (memcmp(s, names + 3 * m, 3) == 0)
			return m + 1;
	return 0;
}

long long
fmt_number(const char *s, size_t n)
{
	long long v = 0;

	if (n == 0 || n > 18)
		return -1;
	for (size_t k = 0; k < n; k++) {
		if (s[k] < '0' || s[k] > '9')
			return -1;
		v = v * 10 + (s[k] - '0');
	}
	return v;
}

int
fmt_digits(const char *s, size_t n, size_t *i, int k, int *v)
{
	int r = 0;

	for (int j = 0; j < k; j++) {
		if (*i >= n || s[*i] < '0' || s[*i] > '9')
			return -1;
		r = r * 10 + (s[(*i)++] - '0');
	}
	*v = r;
	return 0;
}

static int
fmt_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int
fmt_time(char *ts, size_t tslen, int year, int mon, int day, int hour,
    int min, int sec, const char *frac, size_t fraclen, int off_min)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };
	int dim, w, a;

	if (year < 1 || year > 9999 || mon < 1 || mon > 12 || day < 1 ||
	    hour > 23 || min > 59 || sec > 60 || off_min <= -24 * 60 ||
	    off_min >= 24 * 60 || fraclen > 9)
		return -1;
	dim = mdays[mon - 1] + (mon == 2 && fmt_leap(year));
	if (day > dim)
		return -1;
	if (sec == 60)
		sec = 59;	/* a leap second: the store has none */
	a = off_min < 0 ? -off_min : off_min;
	w = snprintf(ts, tslen, "%04d-%02d-%02dT%02d:%02d:%02d%s%.*s%c%02d:%02d",
	    year, mon, day, hour, min, sec, fraclen > 0 ? "." : "",
	    (int)fraclen, frac != NULL ? frac : "", off_min < 0 ? '-' : '+',
	    a / 60, a % 60);
	return w < 0 || (size_t)w >= tslen ? -1 : 0;
}

int
fmt_time_local(char *ts, size_t tslen, int year, int mon, int day,
    int hour, int min, int sec, const char *frac, size_t fraclen,
    int64_t *epoch)
{
	struct tm tm;
	time_t t;
	long off;

	memset(&tm, 0, sizeof(tm));
	tm.tm_year = year - 1900;
	tm.tm_mon = mon - 1;
	tm.tm_mday = day;
	tm.tm_hour = hour;
	tm.tm_min = min;
	tm.tm_sec = sec == 60 ? 59 : sec;
	tm.tm_isdst = -1;
	if ((t = mktime(&tm)) == (time_t)-1)
		return -1;
	off = (long)(timegm(&tm) - t) / 60;
	if (epoch != NULL)
		*epoch = (int64_t)t;
	/* mktime normalises a time skipped by a DST change: take it as is. */
	return fmt_time(ts, tslen, tm.tm_year + 1900, tm.tm_mon + 1,
	    tm.tm_mday, tm.tm_hour, tm.tm_min, sec == 60 ? 60 : tm.tm_sec,
	    frac, fraclen, (int)off);
}

/* Returns obj as compact text in *out (malloc'd), or -1 out of memory. */
static int
fmt_dump(json_t *obj, char **out, size_t *outlen)
{
	char *text = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER |
	    JSON_REAL_PRECISION(9));

	json_decref(obj);
	if (text == NULL)
		return -1;
	*out = text;
	*outlen = strlen(text);
	return 0;
}

int
fmt_line(enum fmt_kind kind, const char *line, size_t n,
    const char *time_field, int64_t now_ms, char **out, size_t *outlen)
{
	char ts[64], nowts[40];
	const char *why = "unknown format";
	json_t *obj;
	int rc = -1;

	*out = NULL;
	*outlen = 0;
	if (n > 0 && line[n - 1] == '\r')
		n--;
	if ((obj = json_object()) == NULL)
		return -1;
	/* The time comes first; its value is set once the line is read. */
	json_object_set_new(obj, time_field, json_null());
	ts[0] = '\0';
	switch (kind) {
	case FMT_COMBINED:
	case FMT_COMMON:
	case FMT_LIGHTTPD:
		rc = fmt_access_parse(kind, line, n, obj, ts, sizeof(ts), &why);
		break;
	case FMT_NGINX_ERROR:
	case FMT_APACHE_ERROR:
		rc = fmt_errorlog_parse(kind, line, n, obj, ts, sizeof(ts),
		    &why);
		break;
	case FMT_SYSLOG:
		rc = fmt_syslog_parse(line, n, now_ms, obj, ts, sizeof(ts),
		    &why);
		break;
	case FMT_NDJSON:
		/* Only a line that is no JSON object comes here. */
		why = "not a JSON object";
		break;
	}
	time_format_iso(now_ms, nowts);
	if (rc == 0) {
		if (ts[0] != '\0')
			json_object_set_new(obj, time_field, json_string(ts));
		else {
			json_object_set_new(obj, time_field,
			    json_string(nowts));
			json_object_set_new(obj, "_time_missing", json_true());
		}
		return fmt_dump(obj, out, outlen) == -1 ? -1 : 1;
	}
	json_object_clear(obj);
	json_object_set_new(obj, time_field, json_string(nowts));
	fmt_set_str(obj, "message", line, n);
	json_object_set_new(obj, "_parse_error", json_string(why));
	json_object_set_new(obj, "_time_missing", json_true());
	return fmt_dump(obj, out, outlen) == -1 ? -1 : 0;
}
