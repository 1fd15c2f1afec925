/* retention.c - retention.index_rules: how long and how big indices may grow. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/retention.h"
#include "common/util.h"

/* Copies the trimmed span [p, e) into out (outlen bytes). Returns 0, or -1
 * when it does not fit. */
static int
retention_span(const char *p, const char *e, char *out, size_t outlen)
{
	while (p < e && isspace((unsigned char)*p))
		p++;
	while (e > p && isspace((unsigned char)e[-1]))
		e--;
	if ((size_t)(e - p) >= outlen)
		return -1;
	memcpy(out, p, (size_t)(e - p));
	out[e - p] = '\0';
	return 0;
}

/* Parses an age ("30d", "12h", "-"). Returns 0 with *ms (0 for '-'), or -1. */
static int
retention_age(const char *s, int64_t *ms)
{
	char *end;
	long long v;
	int64_t unit;

	if (strcmp(s, "-") == 0) {
		*ms = 0;
		return 0;
	}
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || end == s || v <= 0 || !isdigit((unsigned char)*s))
		return -1;
	switch (*end) {
	case 's': unit = 1000; break;
	case 'm': unit = 60 * 1000; break;
	case 'h': unit = 3600 * 1000; break;
	case 'd': unit = 86400 * 1000LL; break;
	case 'w': unit = 7 * 86400 * 1000LL; break;
	default: return -1;
	}
	if (end[1] != '\0' || v > INT64_MAX / unit)
		return -1;
	*ms = v * unit;
	return 0;
}

/* Parses a size ("10GiB", "500M", "1024"). Returns 0 with *bytes, or -1. */
static int
retention_size(const char *s, uint64_t *bytes)
{
	char *end;
	unsigned long long v;
	int shift = 0;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || end == s || v == 0 || !isdigit((unsigned char)*s))
		return -1;
	switch (*end) {
	case 'K': shift = 10; end++; break;
	case 'M': shift = 20; end++; break;
	case 'G': shift = 30; end++; break;
	case 'T': shift = 40; end++; break;
	default: break;
	}
	if (shift > 0 && strcmp(end, "iB") == 0)
		end += 2;
	else if (strcmp(end, "B") == 0)
		end++;
	if (*end != '\0' || (shift > 0 && v > (UINT64_MAX >> shift)))
		return -1;
	*bytes = (uint64_t)v << shift;
	return 0;
}

int
retention_parse(const char *spec, struct retention_rule **out, size_t *n,
    char *err, size_t errlen)
{
	struct retention_rule *rules = NULL, *p;
	const char *s = spec, *end, *c1, *c2;
	char item[512], age[64], size[64];
	size_t cnt = 0;

	*out = NULL;
	*n = 0;
	while (s != NULL && *s != '\0') {
		struct retention_rule r;

		end = strchr(s, ',');
		if (end == NULL)
			end = s + strlen(s);
		if (retention_span(s, end, item, sizeof(item)) == -1) {
			snprintf(err, errlen, "a rule is too long");
			goto fail;
		}
		s = *end ? end + 1 : end;
		if (item[0] == '\0')
			continue;
		memset(&r, 0, sizeof(r));
		c1 = strchr(item, ':');
		c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		if (c1 == NULL || (c2 && strchr(c2 + 1, ':'))) {
			snprintf(err, errlen, "rule \"%.80s\": expected "
			    "PATTERN:AGE[:SIZE]", item);
			goto fail;
		}
		if (retention_span(item, c1, r.rr_pattern,
		    sizeof(r.rr_pattern)) == -1 || r.rr_pattern[0] == '\0' ||
		    strspn(r.rr_pattern, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghij"
		    "klmnopqrstuvwxyz0123456789._-*") != strlen(r.rr_pattern)) {
			snprintf(err, errlen, "rule \"%.80s\": the index pattern "
			    "must be letters, digits, '.', '_', '-' and '*' (at "
			    "most 200 bytes)", item);
			goto fail;
		}
		if (retention_span(c1 + 1, c2 ? c2 : c1 + 1 + strlen(c1 + 1),
		    age, sizeof(age)) == -1 ||
		    retention_age(age, &r.rr_max_age_ms) == -1) {
			snprintf(err, errlen, "rule \"%.80s\": bad age \"%.40s\" "
			    "(a positive number with s, m, h, d or w, or '-')",
			    item, age);
			goto fail;
		}
		if (c2 != NULL && (retention_span(c2 + 1, c2 + 1 +
		    strlen(c2 + 1), size, sizeof(size)) == -1 ||
		    retention_size(size, &r.rr_max_bytes) == -1)) {
			snprintf(err, errlen, "rule \"%.80s\": bad size \"%.40s\" "
			    "(a positive number of bytes, with K, M, G or T and "
			    "optionally iB)", item, size);
			goto fail;
		}
		if (r.rr_max_age_ms == 0 && r.rr_max_bytes == 0) {
			snprintf(err, errlen, "rule \"%.80s\": neither an age "
			    "nor a size", item);
			goto fail;
		}
		if ((p = realloc(rules, (cnt + 1) * sizeof(*p))) == NULL) {
			snprintf(err, errlen, "out of memory");
			goto fail;
		}
		rules = p;
		rules[cnt++] = r;
	}
	*out = rules;
	*n = cnt;
	return 0;
fail:
	free(rules);
	return -1;
}

const struct retention_rule *
retention_find(const struct retention_rule *rules, size_t n,
    const char *index)
{
	for (size_t i = 0; i < n; i++)
		if (util_glob(rules[i].rr_pattern, index))
			return &rules[i];
	return NULL;
}
