/* access.c - auth.index_access: which users may read which indices. */
#include <stdio.h>
#include <string.h>

#include "common/access.h"
#include "common/util.h"

#define ACCESS_NAME_MAX	200

/*
 * Walks the rules of spec, calling cb with each (user, pattern) pair as
 * trimmed spans. cb returns nonzero to stop. Returns NULL when the walk
 * ended (all rules, or cb stopped), else a static reason the spec is bad
 * and *at the offset of the bad rule.
 */
static const char *
access_walk(const char *spec, int (*cb)(void *, const char *, size_t,
    const char *, size_t), void *arg, size_t *at)
{
	const char *p = spec, *end, *eq, *u, *ue, *q, *qe, *c;

	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == ';')
			p++;
		if (*p == '\0')
			return NULL;
		*at = (size_t)(p - spec);
		end = strchr(p, ';');
		if (end == NULL)
			end = p + strlen(p);
		eq = memchr(p, '=', (size_t)(end - p));
		if (eq == NULL)
			return "a rule is USER=PATTERN[,PATTERN...]";
		u = p;
		ue = eq;
		while (ue > u && (ue[-1] == ' ' || ue[-1] == '\t'))
			ue--;
		if (ue == u)
			return "a rule names no user";
		if (memchr(u, ',', (size_t)(ue - u)) != NULL)
			return "a user name holds a ','";
		for (q = eq + 1; q < end; q = c + 1) {
			while (q < end && (*q == ' ' || *q == '\t'))
				q++;
			c = q < end ? memchr(q, ',', (size_t)(end - q)) : NULL;
			if (c == NULL)
				c = end;
			qe = c;
			while (qe > q && (qe[-1] == ' ' || qe[-1] == '\t'))
				qe--;
			if (qe == q)
				return "an empty index pattern";
			if ((size_t)(qe - q) > ACCESS_NAME_MAX)
				return "an index pattern longer than 200 bytes";
			for (const char *x = q; x < qe; x++)
				if (strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghij"
				    "klmnopqrstuvwxyz0123456789._-*", *x) == NULL)
					return "an index pattern holds a character "
					    "index names cannot (letters, digits, "
					    "'.', '_', '-' and '*')";
			if (cb != NULL && cb(arg, u, (size_t)(ue - u), q,
			    (size_t)(qe - q)) != 0)
				return NULL;
			if (c == end)
				break;
		}
		if (*end == '\0')
			return NULL;
		p = end + 1;
	}
}

int
access_check(const char *spec, char *err, size_t errlen)
{
	const char *why;
	size_t at = 0;

	if (spec == NULL || (why = access_walk(spec, NULL, NULL, &at)) == NULL)
		return 0;
	snprintf(err, errlen, "%s (at \"%.40s\")", why, spec + at);
	return -1;
}

/* Stops at the first rule. */
static int
access_any_cb(void *arg, const char *u, size_t ul, const char *q, size_t ql)
{
	(void)u, (void)ul, (void)q, (void)ql;
	*(int *)arg = 1;
	return 1;
}

int
access_configured(const char *spec)
{
	size_t at;
	int any = 0;

	if (spec != NULL)
		(void)access_walk(spec, access_any_cb, &any, &at);
	return any;
}

struct access_find {
	const char	*af_user;
	const char	*af_index;
	int		 af_ok;
};

/* Stops when a rule of the user matches the index. */
static int
access_find_cb(void *arg, const char *u, size_t ul, const char *q, size_t ql)
{
	struct access_find *af = arg;
	char pat[ACCESS_NAME_MAX + 1];

	if (strlen(af->af_user) != ul || memcmp(af->af_user, u, ul) != 0)
		return 0;
	memcpy(pat, q, ql);
	pat[ql] = '\0';
	if (util_glob(pat, af->af_index)) {
		af->af_ok = 1;
		return 1;
	}
	return 0;
}

int
access_may_read(const char *spec, const char *user, const char *index)
{
	struct access_find af = { user != NULL ? user : "", index, 0 };
	size_t at;

	if (!access_configured(spec))
		return 1;
	if (access_walk(spec, access_find_cb, &af, &at) != NULL)
		return 0;	/* a bad spec reads nothing (it is checked at load) */
	return af.af_ok;
}
