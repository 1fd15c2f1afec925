/* datemath.h - OpenSearch-style date math for dtStart/dtEnd/earliest/latest. */
#ifndef AR_DATEMATH_H
#define AR_DATEMATH_H

#include <stddef.h>
#include <stdint.h>

/*
 * Evaluates expr against now_ms:
 *   now, now-15m, now+1h, now-1d/d, now/w, now-1M/M (chains allowed:
 *   now-1d+2h/h), units y M w d h H m s (M month, m minute, h and H hours);
 *   an ISO date or date-time (see time_parse_iso), optionally followed by
 *   "||" and math ("2026-11-28||+1d/d");
 *   epoch milliseconds as a digit string (optionally negative).
 * Rounding ("/unit") rounds down in UTC; weeks start on Monday.
 * Leading/trailing white space is ignored.
 * Returns 0 and sets *out, or -1 with a reason in err such as
 * "unknown unit 'x'", "missing number before unit", "not a date".
 */
int datemath_parse(const char *expr, int64_t now_ms, int64_t *out,
    char *err, size_t errlen);

#endif
