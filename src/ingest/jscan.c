/* jscan.c - a strict JSON object checker for the ingest fast path. */
#include <string.h>

#include "ingest/jscan.h"

#define JSCAN_MAX_DEPTH	512

struct jscan {
	const char	*js_p;
	const char	*js_end;
	int		 js_depth;
};

static void
jscan_ws(struct jscan *j)
{
	while (j->js_p < j->js_end && (*j->js_p == ' ' || *j->js_p == '\t' ||
	    *j->js_p == '\n' || *j->js_p == '\r'))
		j->js_p++;
}

static int
jscan_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	    (c >= 'A' && c <= 'F');
}

/*
 * Reads a string at js_p (on its '"'). Returns 1 with its contents in
 * *v and *vlen and *esc set when it had escapes, or 0.
 */
static int
jscan_string(struct jscan *j, const char **v, size_t *vlen, int *esc)
{
	const char *p = j->js_p + 1;

	*esc = 0;
	while (p < j->js_end) {
		unsigned char c = (unsigned char)*p;

		if (c == '"') {
			*v = j->js_p + 1;
			*vlen = (size_t)(p - *v);
			j->js_p = p + 1;
			return 1;
		}
		if (c < 0x20)
			return 0;
		if (c == '\\') {
			*esc = 1;
			if (p + 1 >= j->js_end)
				return 0;
			c = (unsigned char)p[1];
			if (c == 'u') {
				unsigned hi;

				if (p + 5 >= j->js_end || !jscan_hex(p[2]) ||
				    !jscan_hex(p[3]) || !jscan_hex(p[4]) ||
				    !jscan_hex(p[5]))
					return 0;
				/* Surrogates and NUL: Jansson's call. */
				hi = (unsigned)(p[2] | 0x20);
				if (memcmp(p + 2, "0000", 4) == 0 ||
				    (hi == 'd' && strchr("89abcdefABCDEF", p[3])))
					return 0;
				p += 6;
				continue;
			}
			if (strchr("\"\\/bfnrt", (int)c) == NULL || c == '\0')
				return 0;
			p += 2;
			continue;
		}
		p++;
	}
	return 0;
}

/*
 * Reads a number. Returns JSCAN_INTEGER or JSCAN_REAL, or JSCAN_NONE when
 * it is not one this checker vouches for.
 */
static enum jscan_kind
jscan_number(struct jscan *j)
{
	const char *p = j->js_p, *e = j->js_end, *d, *intd;
	int real = 0, exp = 0, digits, neg = 0;

	if (p < e && *p == '-') {
		neg = 1;
		p++;
	}
	d = intd = p;
	if (p < e && *p == '0')
		p++;
	else if (p < e && *p >= '1' && *p <= '9')
		while (p < e && *p >= '0' && *p <= '9')
			p++;
	else
		return JSCAN_NONE;
	digits = (int)(p - d);
	if (p < e && *p == '.') {
		real = 1;
		p++;
		d = p;
		while (p < e && *p >= '0' && *p <= '9')
			p++;
		if (p == d)
			return JSCAN_NONE;
		digits += (int)(p - d);
	}
	if (p < e && (*p == 'e' || *p == 'E')) {
		real = 1;
		p++;
		if (p < e && (*p == '+' || *p == '-'))
			p++;
		d = p;
		while (p < e && *p >= '0' && *p <= '9') {
			if (exp < 10000)
				exp = exp * 10 + (*p - '0');
			p++;
		}
		if (p == d)
			return JSCAN_NONE;
	}
	/*
	 * No overflow for Jansson's strtod, nor past int64 for its integer:
	 * 19 digits are compared with INT64_MAX / -INT64_MIN digit by digit
	 * (Windows events carry Keywords of -9223372036854775808).
	 */
	if (!real && digits == 19 && memcmp(intd, neg ?
	    "9223372036854775808" : "9223372036854775807", 19) > 0)
		return JSCAN_NONE;
	if ((!real && digits > 19) || (real && (digits > 40 || exp > 250)))
		return JSCAN_NONE;
	j->js_p = p;
	return real ? JSCAN_REAL : JSCAN_INTEGER;
}

static int jscan_value(struct jscan *, enum jscan_kind *, const char **,
    size_t *);

/* Reads an object or array (js_p on '{' or '['). Returns 1 or 0. */
static int
jscan_compound(struct jscan *j, const char *key, enum jscan_kind *kind,
    const char **kv, size_t *kvlen)
{
	int obj = *j->js_p == '{';
	char close = obj ? '}' : ']';
	enum jscan_kind k;
	const char *v, *name;
	size_t vl, nl;
	int esc;

	if (++j->js_depth > JSCAN_MAX_DEPTH)
		return 0;
	j->js_p++;
	jscan_ws(j);
	if (j->js_p < j->js_end && *j->js_p == close) {
		j->js_p++;
		j->js_depth--;
		return 1;
	}
	for (;;) {
		int match = 0;

		if (obj) {
			if (j->js_p >= j->js_end || *j->js_p != '"' ||
			    !jscan_string(j, &name, &nl, &esc))
				return 0;
			/* An escaped name might spell the key: Jansson. */
			if (key != NULL && esc)
				return 0;
			match = key != NULL && strlen(key) == nl &&
			    memcmp(name, key, nl) == 0;
			jscan_ws(j);
			if (j->js_p >= j->js_end || *j->js_p != ':')
				return 0;
			j->js_p++;
			jscan_ws(j);
		}
		if (!jscan_value(j, &k, &v, &vl))
			return 0;
		if (match) {
			*kind = k;
			*kv = v;
			*kvlen = vl;
		}
		jscan_ws(j);
		if (j->js_p >= j->js_end)
			return 0;
		if (*j->js_p == close) {
			j->js_p++;
			j->js_depth--;
			return 1;
		}
		if (*j->js_p != ',')
			return 0;
		j->js_p++;
		jscan_ws(j);
	}
}

/* Reads any value. Returns 1 with its kind and text, or 0. */
static int
jscan_value(struct jscan *j, enum jscan_kind *kind, const char **v,
    size_t *vlen)
{
	const char *start = j->js_p;
	enum jscan_kind dummy;
	const char *dv;
	size_t dl;
	int esc;

	if (j->js_p >= j->js_end)
		return 0;
	switch (*j->js_p) {
	case '"':
		if (!jscan_string(j, v, vlen, &esc))
			return 0;
		*kind = esc ? JSCAN_OTHER : JSCAN_STRING;
		return 1;
	case '{':
	case '[':
		if (!jscan_compound(j, NULL, &dummy, &dv, &dl))
			return 0;
		break;
	case 't':
	case 'f':
	case 'n': {
		static const char *const lit[] = { "true", "false", "null" };

		for (int i = 0; i < 3; i++) {
			size_t l = strlen(lit[i]);

			if ((size_t)(j->js_end - j->js_p) >= l &&
			    memcmp(j->js_p, lit[i], l) == 0) {
				j->js_p += l;
				goto other;
			}
		}
		return 0;
	}
	default:
		if ((*kind = jscan_number(j)) == JSCAN_NONE)
			return 0;
		*v = start;
		*vlen = (size_t)(j->js_p - start);
		return 1;
	}
other:
	*kind = JSCAN_OTHER;
	*v = start;
	*vlen = (size_t)(j->js_p - start);
	return 1;
}

int
jscan_object(const char *s, size_t len, const char *key,
    enum jscan_kind *kind, const char **v, size_t *vlen)
{
	struct jscan j = { s, s + len, 0 };

	*kind = JSCAN_NONE;
	*v = NULL;
	*vlen = 0;
	jscan_ws(&j);
	if (j.js_p >= j.js_end || *j.js_p != '{')
		return 0;
	if (!jscan_compound(&j, key, kind, v, vlen))
		return 0;
	jscan_ws(&j);
	return j.js_p == j.js_end;
}
