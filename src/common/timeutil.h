/* timeutil.h - clocks, ISO-8601 formatting and parsing, calendar arithmetic. */
#ifndef AR_TIMEUTIL_H
#define AR_TIMEUTIL_H

#include <stddef.h>
#include <stdint.h>

/* Returns the wall clock in milliseconds since the epoch. */
int64_t time_now_ms(void);
/* Returns a monotonic clock in milliseconds (for durations). */
int64_t time_mono_ms(void);
/* Returns a monotonic clock in nanoseconds (for command costs). */
int64_t time_mono_ns(void);
/*
 * Returns the same clock as of its last tick (a few milliseconds), at a
 * fifth of the cost: summed over many short intervals its differences
 * still add up to their time on average (an interval crosses a tick with
 * the chance of its length), which is how the costs of commands use it.
 */
int64_t time_coarse_ns(void);

/*
 * Writes ms as "2026-11-28T10:49:16.123Z" (24 chars + NUL) into out, which
 * must hold at least 32 bytes. Returns out.
 */
char *time_format_iso(int64_t ms, char *out);

/*
 * Parses an ISO-8601 date or date-time of len bytes: "2026-11-28",
 * "2026-11-28T10:00", "2026-11-28T10:00:00", with optional fraction
 * (".123", up to 9 digits, extra digits truncated to ms), optional zone "Z",
 * "+03:00", "+0300", "-03". A space is accepted in place of 'T'. No zone
 * means UTC. Returns 0 and sets *ms, or -1 when the text is not such a date
 * (including out-of-range fields such as month 13 or Feb 30).
 */
int time_parse_iso(const char *s, size_t len, int64_t *ms);

/* Returns days since 1970-01-01 of a proleptic Gregorian civil date. */
int64_t time_days_from_civil(int64_t y, unsigned m, unsigned d);
/* Converts days since the epoch to a civil date. */
void time_civil_from_days(int64_t days, int64_t *y, unsigned *m, unsigned *d);

#endif
