/* fuzz_datemath.c - libFuzzer target: datemath_parse() on arbitrary text. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/datemath.h"
#include "common/timeutil.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MS_PER_DAY	86400000LL
/* datemath.c's bound on every anchor and result (+-10^8 days). */
#define DM_LIMIT	(100000000LL * MS_PER_DAY)

/* Aborts with a note on stderr (libFuzzer saves the input). */
static void
broken(const char *what, const char *expr)
{
	fprintf(stderr, "fuzz_datemath: %s: expr '%s'\n", what, expr);
	abort();
}

/*
 * Evaluates expr at now; returns 0 with *out, or -1 after checking that the
 * error is well formed (a non-empty, terminated message).
 */
static int
eval(const char *expr, int64_t now, int64_t *out, char *err, size_t errlen)
{
	memset(err, 0x5a, errlen);
	if (datemath_parse(expr, now, out, err, errlen) == 0)
		return 0;
	if (memchr(err, '\0', errlen) == NULL || err[0] == '\0')
		broken("an error without a message", expr);
	return -1;
}

static int
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
	    c == '\v';
}

/*
 * The input: 8 bytes of "now" (folded into the range datemath accepts),
 * then the expression (up to its first NUL). Checks, beyond memory safety:
 * - an error has a message (and a 1-byte error buffer stays terminated);
 * - the answer is reproducible: the same text at the same now gives the
 *   same result or the same error;
 * - a result is within +-10^8 days, and one in years 0..9999 formats as
 *   ISO text that evaluates back to the same instant;
 * - white space around the text changes nothing;
 * - an expression not anchored on "now" does not depend on now;
 * - rounding is idempotent: EXPR/u/u == EXPR/u for every unit u, and the
 *   rounded instant is at most the unrounded one.
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char units[] = "yMwdhHms";
	char err[256], err2[256], iso[32], *expr, *pad, *ext;
	int64_t now = 0, r, r2, lo, hi;
	uint64_t raw = 0;
	int rc, rc2;
	size_t n, s, e;

	if (size >= 8) {
		memcpy(&raw, data, 8);
		now = (int64_t)(raw % (uint64_t)(2 * DM_LIMIT + 1)) - DM_LIMIT;
		data += 8;
		size -= 8;
	}
	if ((expr = malloc(size + 1)) == NULL)
		return 0;
	memcpy(expr, data, size);
	expr[size] = '\0';
	n = strlen(expr);

	rc = eval(expr, now, &r, err, sizeof(err));
	rc2 = eval(expr, now, &r2, err2, sizeof(err2));
	if (rc != rc2 || (rc == 0 && r != r2) ||
	    (rc == -1 && strcmp(err, err2) != 0))
		broken("not reproducible", expr);
	{
		char tiny[1] = {'x'};
		int64_t r3;

		if (datemath_parse(expr, now, &r3, tiny, 1) != rc ||
		    (rc == -1 && tiny[0] != '\0') || (rc == 0 && r3 != r))
			broken("a 1-byte error buffer changes the outcome", expr);
		if (datemath_parse(expr, now, &r3, NULL, 0) != rc)
			broken("no error buffer changes the outcome", expr);
	}
	if (rc == 0 && (r > DM_LIMIT || r < -DM_LIMIT))
		broken("a result out of range", expr);

	/* Round trip through ISO text, for 4-digit years. */
	lo = time_days_from_civil(0, 1, 1) * MS_PER_DAY;
	hi = time_days_from_civil(10000, 1, 1) * MS_PER_DAY;
	if (rc == 0 && r >= lo && r < hi) {
		time_format_iso(r, iso);
		if (eval(iso, now, &r2, err2, sizeof(err2)) == -1 || r2 != r)
			broken("the ISO text of the result reads back different",
			    expr);
	}

	/* Padding with white space. */
	if ((pad = malloc(n + 5)) != NULL) {
		snprintf(pad, n + 5, " \t%s\n ", expr);
		rc2 = eval(pad, now, &r2, err2, sizeof(err2));
		if (rc2 != rc || (rc == 0 && r2 != r))
			broken("white space around the text changes it", expr);
		free(pad);
	}

	for (s = 0; s < n && is_space(expr[s]); s++)
		;
	for (e = n; e > s && is_space(expr[e - 1]); e--)
		;
	/* Independence from now. */
	if (e - s < 3 || memcmp(expr + s, "now", 3) != 0) {
		int64_t other = now > 0 ? now - 12345678901LL : now + 98765432109LL;

		rc2 = eval(expr, other, &r2, err2, sizeof(err2));
		if (rc2 != rc || (rc == 0 && r2 != r))
			broken("a date without 'now' depends on now", expr);
	}

	/* Idempotent rounding, where math may follow ("now..." or "...||"). */
	if (rc == 0 && ((e - s >= 3 && memcmp(expr + s, "now", 3) == 0) ||
	    memmem(expr + s, e - s, "||", 2) != NULL) &&
	    (ext = malloc(e - s + 5)) != NULL) {
		for (const char *u = units; *u; u++) {
			int64_t once, twice;

			snprintf(ext, e - s + 5, "%.*s/%c", (int)(e - s),
			    expr + s, *u);
			if (eval(ext, now, &once, err2, sizeof(err2)) == -1) {
				/* Only the edge of the range may refuse. */
				if (r > -DM_LIMIT + 367 * MS_PER_DAY)
					broken("rounding a valid date fails", ext);
				continue;
			}
			if (once > r)
				broken("rounding went up", ext);
			snprintf(ext, e - s + 5, "%.*s/%c/%c", (int)(e - s),
			    expr + s, *u, *u);
			if (eval(ext, now, &twice, err2, sizeof(err2)) == -1 ||
			    twice != once)
				broken("rounding twice differs from once", ext);
		}
		free(ext);
	}
	free(expr);
	return 0;
}
