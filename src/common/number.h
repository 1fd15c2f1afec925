/* number.h - the decimal number grammar of spec/sml.md. */
#ifndef AR_NUMBER_H
#define AR_NUMBER_H

#include <stddef.h>
#include <stdint.h>

/*
 * Reads s[0..len) as a decimal number (no white space, hex, inf or nan).
 * Returns 1 for an integer that fits int64 (*iv and *dv set), 2 for any
 * other number (*dv set), 0 when s is not a number. iv/dv may be NULL.
 * Queries compare numbers by it, and the event store's block summaries
 * file numbers by it, so that both agree on what is a number.
 */
int value_parse_number(const char *s, size_t len, int64_t *iv, double *dv);

#endif
