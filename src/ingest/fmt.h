/* fmt.h - log file formats: one text line in, one JSON object text out. */
#ifndef AR_INGEST_FMT_H
#define AR_INGEST_FMT_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

enum fmt_kind {
	FMT_NDJSON,		/* one JSON object a line: stored as sent */
	FMT_COMBINED,		/* nginx / Apache "combined" access log */
	FMT_COMMON,		/* Apache "common" (NCSA) access log */
	FMT_LIGHTTPD,		/* lighttpd's default access log */
	FMT_NGINX_ERROR,	/* nginx error_log */
	FMT_APACHE_ERROR,	/* Apache 2.2 / 2.4 ErrorLog */
	FMT_SYSLOG		/* RFC 3164 or RFC 5424, told apart per line */
};

/*
 * Looks up a format by its --format name ("ndjson", "combined", "common",
 * "lighttpd", "nginx-error", "apache-error", "syslog"). Returns 0 and *kind,
 * or -1 for an unknown name.
 */
int fmt_from_name(const char *name, enum fmt_kind *kind);

/* Returns the --format names joined by ", " (static). */
const char *fmt_names(void);

/*
 * Turns one line[0..n) (no '\n'; a trailing '\r' is ignored) of format kind
 * into one JSON object (FMT_NDJSON: only the fallback below, for a line that
 * is not a JSON object): the line's time, as ISO-8601 text
 * with its offset, under time_field first, then the named fields.
 * Times without a zone in the line (error logs, RFC 3164) are local time
 * (TZ); RFC 3164 has no year either: now_ms's year, or the one before when
 * that puts the time more than a day after now_ms. A line that does not
 * parse becomes {time_field: now, "message": line, "_parse_error": why,
 * "_time_missing": true}. Invalid UTF-8 bytes become U+FFFD.
 * Returns 1 for a parsed line, 0 for one kept unparsed, with *out a
 * malloc'd NUL-terminated text (caller frees) of *outlen bytes; -1 when out
 * of memory.
 */
int fmt_line(enum fmt_kind kind, const char *line, size_t n,
    const char *time_field, int64_t now_ms, char **out, size_t *outlen);

/*
 * The parsers behind fmt_line. Each adds its named fields to obj and
 * writes the line's time as ISO-8601 into ts[0..tslen); ts is left empty
 * when the line is valid but has no readable time (RFC 3164 section 4.3.2).
 * Returns 0, or -1 with *why (static) when the line is not of the format.
 */
int fmt_access_parse(enum fmt_kind kind, const char *s, size_t n,
    json_t *obj, char *ts, size_t tslen, const char **why);
int fmt_errorlog_parse(enum fmt_kind kind, const char *s, size_t n,
    json_t *obj, char *ts, size_t tslen, const char **why);
int fmt_syslog_parse(const char *s, size_t n, int64_t now_ms, json_t *obj,
    char *ts, size_t tslen, const char **why);

/* Helpers shared by the parsers (fmt.c). */

/* Sets obj[key] to s[0..n) as a string, invalid UTF-8 replaced. */
void fmt_set_str(json_t *obj, const char *key, const char *s, size_t n);

/*
 * Returns the month (1..12) of the English abbreviation s[0..3), or 0.
 */
int fmt_month(const char *s);

/*
 * Writes "YYYY-MM-DDTHH:MM:SS[.frac]+HH:MM" into ts. frac (may be NULL)
 * holds fraclen digits; off_min is the offset east of UTC in minutes,
 * less than a day either way (as time_parse_iso() reads them). Returns 0,
 * or -1 when a field is out of range or ts is too small.
 */
int fmt_time(char *ts, size_t tslen, int year, int mon, int day, int hour,
    int min, int sec, const char *frac, size_t fraclen, int off_min);

/*
 * As fmt_time for a wall-clock time of the local zone (TZ), whose offset
 * at that time it finds. Returns 0, or -1 for a time that does not exist.
 * *epoch (may be NULL) gets the time in seconds since the epoch.
 */
int fmt_time_local(char *ts, size_t tslen, int year, int mon, int day,
    int hour, int min, int sec, const char *frac, size_t fraclen,
    int64_t *epoch);

/* Reads exactly k digits of s at *i. Returns 0 and *v, or -1. */
int fmt_digits(const char *s, size_t n, size_t *i, int k, int *v);

/* Returns the value of the all-digit s[0..n), or -1 (also when empty or
 * longer than 18 digits). */
long long fmt_number(const char *s, size_t n);

#endif
