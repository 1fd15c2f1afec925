/* access.c - auth.index_access: which users may read which indices. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/access.h"
#include "common/util.h"

#define ACCESS_NAME_MAX	200
/* Longest line of an access file, and the most rules text it may hold. */
#define ACCESS_LINE_MAX	8192
#define ACCESS_FILE_MAX	(1024 * 1024)

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

/*
 * Cuts the comment off line (a '#' first or after a blank) and the blanks
 * around what is left. Returns the rule text, inside line.
 */
static char *
access_line_trim(char *line)
{
	char *p = line, *e;

	while (*p == ' ' || *p == '\t')
		p++;
	for (e = p; *e != '\0'; e++)
		if (*e == '#' && (e == p || e[-1] == ' ' || e[-1] == '\t'))
			break;
	while (e > p && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == ';'))
		e--;
	*e = '\0';
	return p;
}

int
access_load_file(const char *path, char **rules, char *err, size_t errlen)
{
	char *line = NULL, *r, *out = NULL, *grown;
	size_t cap = 0, len = 0, rl;
	unsigned lineno = 0;
	char why[300];
	ssize_t n;
	FILE *fp;
	int rc = -1;

	*rules = NULL;
	if ((fp = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	for (;;) {
		errno = 0;
		if ((n = getline(&line, &cap, fp)) == -1)
			break;
		lineno++;
		if (n > 0 && line[n - 1] == '\n')
			line[--n] = '\0';
		if (n > 0 && line[n - 1] == '\r')
			line[--n] = '\0';
		if (n > ACCESS_LINE_MAX) {
			snprintf(err, errlen, "%s:%u: line is longer than %d "
			    "bytes", path, lineno, ACCESS_LINE_MAX);
			goto done;
		}
		if (memchr(line, '\0', (size_t)n) != NULL) {
			snprintf(err, errlen, "%s:%u: line holds a NUL byte",
			    path, lineno);
			goto done;
		}
		r = line;
		if (lineno == 1 && strncmp(r, "\xef\xbb\xbf", 3) == 0)
			r += 3;
		r = access_line_trim(r);
		if (*r == '\0')
			continue;
		if (access_check(r, why, sizeof(why)) == -1) {
			snprintf(err, errlen, "%s:%u: %s", path, lineno, why);
			goto done;
		}
		rl = strlen(r);
		if (len + rl + 2 > ACCESS_FILE_MAX) {
			snprintf(err, errlen, "%s:%u: the rules exceed %d bytes",
			    path, lineno, ACCESS_FILE_MAX);
			goto done;
		}
		if ((grown = realloc(out, len + rl + 2)) == NULL) {
			snprintf(err, errlen, "%s: out of memory", path);
			goto done;
		}
		out = grown;
		if (len > 0)
			out[len++] = ';';
		memcpy(out + len, r, rl + 1);
		len += rl;
	}
	if (ferror(fp)) {
		snprintf(err, errlen, "%s: %s", path,
		    strerror(errno ? errno : EIO));
		goto done;
	}
	if (out == NULL) {
		snprintf(err, errlen, "%s: holds no rule (USER=PATTERN"
		    "[,PATTERN...]); an empty file would let everyone read "
		    "every index", path);
		goto done;
	}
	*rules = out;
	out = NULL;
	rc = 0;
done:
	free(out);
	free(line);
	fclose(fp);
	return rc;
}
