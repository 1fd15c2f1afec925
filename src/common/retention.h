/* retention.h - retention.index_rules: how long and how big indices may grow. */
#ifndef AR_RETENTION_H
#define AR_RETENTION_H

#include <stddef.h>
#include <stdint.h>

/* One rule: indices matching the pattern keep at most this much. */
struct retention_rule {
	char		 rr_pattern[201];
	int64_t		 rr_max_age_ms;		/* 0: no age limit */
	uint64_t	 rr_max_bytes;		/* 0: no size limit */
};

/*
 * Parses "PATTERN:AGE[:SIZE], ..." (AGE a number with s, m, h, d or w, or
 * '-' for none; SIZE a number with K, M, G or T, optionally followed by
 * "iB" or "B", binary either way). Returns 0 with *out (malloc'd, the
 * caller frees it; NULL when spec is empty) and *n, or -1 with the reason
 * in err.
 */
int retention_parse(const char *spec, struct retention_rule **out, size_t *n,
    char *err, size_t errlen);

/* Returns the first rule whose pattern matches index, or NULL. */
const struct retention_rule *retention_find(const struct retention_rule *,
    size_t n, const char *index);

#endif
