/* jscan.h - a strict JSON object checker for the ingest fast path. */
#ifndef AR_JSCAN_H
#define AR_JSCAN_H

#include <stddef.h>

enum jscan_kind {
	JSCAN_NONE,	/* the key is not a top-level member */
	JSCAN_STRING,	/* a string without escapes: the bytes between quotes */
	JSCAN_INTEGER,	/* an integer of at most 18 digits */
	JSCAN_REAL,	/* a number with a fraction or exponent */
	JSCAN_OTHER	/* any other value (escaped string, object, ...) */
};

/*
 * Checks that s[0..len) (already known to be UTF-8) is one JSON object, by
 * rules at least as strict as Jansson's decoder, and finds the value of
 * the top-level member named key (the last one, as Jansson keeps). Returns
 * 1 when the text is certainly valid, with *kind and the value's text in
 * *v and *vlen (for JSCAN_STRING without the quotes); 0 when it cannot say
 * (then ask Jansson: the text may be invalid, or valid in a way this
 * checker does not vouch for: \u escapes of surrogates or NUL, very long
 * integers, huge exponents, deep nesting). Allocates nothing.
 */
int jscan_object(const char *s, size_t len, const char *key,
    enum jscan_kind *kind, const char **v, size_t *vlen);

#endif
