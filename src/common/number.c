/* number.c - the decimal number grammar shared by queries and the event
 * store's block summaries (spec/sml.md, "numbers"). */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/number.h"

/* Longest text that value_parse_number reads as a number. */
#define NUMBER_TEXT_MAX	400

/*
 * Decimal numbers only: [+-] digits [. digits] [e [+-] digits], or
 * [+-] . digits [...]. No white space, no hex, no inf/nan: strtod alone
 * would take all of those.
 */
int
value_parse_number(const char *s, size_t len, int64_t *iv, double *dv)
{
	char tmp[NUMBER_TEXT_MAX + 1], *end;
	size_t i = 0, nd = 0, nf = 0, k;
	int integral = 1, neg = 0;
	double d;

	if (len == 0 || len > NUMBER_TEXT_MAX)
		return 0;
	if (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-';
		i++;
	}
	for (; i < len && s[i] >= '0' && s[i] <= '9'; i++)
		nd++;
	if (i < len && s[i] == '.') {
		integral = 0;
		for (i++; i < len && s[i] >= '0' && s[i] <= '9'; i++)
			nf++;
	}
	if (nd + nf == 0)
		return 0;
	if (i < len && (s[i] == 'e' || s[i] == 'E')) {
		size_t ne = 0;

		integral = 0;
		i++;
		if (i < len && (s[i] == '+' || s[i] == '-'))
			i++;
		for (; i < len && s[i] >= '0' && s[i] <= '9'; i++)
			ne++;
		if (ne == 0)
			return 0;
	}
	if (i != len)
		return 0;
	if (integral && nd <= 18) {
		int64_t r = 0;

		for (k = (s[0] == '+' || s[0] == '-') ? 1 : 0; k < len; k++)
			r = r * 10 + (s[k] - '0');
		if (neg)
			r = -r;
		if (iv)
			*iv = r;
		if (dv)
			*dv = (double)r;
		return 1;
	}
	memcpy(tmp, s, len);
	tmp[len] = '\0';
	if (integral) {
		long long r;

		errno = 0;
		r = strtoll(tmp, &end, 10);
		if (errno == 0 && end == tmp + len) {
			if (iv)
				*iv = r;
			if (dv)
				*dv = (double)r;
			return 1;
		}
	}
	d = strtod(tmp, &end);
	if (end != tmp + len || !isfinite(d))
		return 0;
	if (dv)
		*dv = d;
	return 2;
}

