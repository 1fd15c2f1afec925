/* fieldpath.c - field paths and '*' patterns, for the commands that change
 * fields (fields, table, rename, fillnull, replace, bin). */
#include <stdint.h>
#include <string.h>

#include "sml/stage.h"

/*
 * Finds field name in object o as event_get does (a top-level key equal to
 * the whole name wins, else the dots walk nested objects). Returns the
 * value (borrowed) with the object holding it in *parent and its key in
 * *key / *klen (pointing into name), or NULL when missing.
 */
static json_t *
path_find(json_t *o, const char *name, json_t **parent, const char **key,
    size_t *klen)
{
	const char *seg = name, *dot;
	json_t *v;

	if ((v = json_object_get(o, name)) != NULL) {
		*parent = o;
		*key = name;
		*klen = strlen(name);
		return v;
	}
	for (;;) {
		if (!json_is_object(o))
			return NULL;
		if ((dot = strchr(seg, '.')) == NULL) {
			*parent = o;
			*key = seg;
			*klen = strlen(seg);
			return json_object_get(o, seg);
		}
		if ((o = json_object_getn(o, seg, (size_t)(dot - seg))) == NULL)
			return NULL;
		seg = dot + 1;
	}
}

/*
 * Sets field name of e to v (reference stolen): where the field is now (a
 * top-level key, or a nested path that exists), else as a new top-level key
 * named name. Returns 0, or -1 out of memory.
 */
int
field_put(struct event *e, const char *name, json_t *v)
{
	json_t *o, *parent;
	const char *key;
	size_t klen;

	if (strchr(name, '.') == NULL)
		return event_set(e, name, v);
	if ((o = event_obj(e)) == NULL) {
		json_decref(v);
		return -1;
	}
	if (json_object_get(o, name) != NULL ||
	    path_find(o, name, &parent, &key, &klen) == NULL)
		return event_set(e, name, v);
	if ((o = event_obj_mut(e)) == NULL ||
	    path_find(o, name, &parent, &key, &klen) == NULL) {
		json_decref(v);
		return -1;
	}
	return json_object_setn_new(parent, key, klen, v);
}

/* Returns 1 when s holds a '*'. */
int
has_star(const char *s)
{
	return strchr(s, '*') != NULL;
}

/*
 * Matches text (len bytes) against pattern, where '*' matches any run,
 * case-sensitively. On a match returns 1 and, for the i-th '*' (up to
 * ncap), the matched run as text[cs[i]..ce[i]). The earlier stars take the
 * shortest runs that let the rest match. Linear backtracking: only the last
 * star is ever widened.
 */
int
glob_capture(const char *pat, const char *text, size_t len, size_t *cs,
    size_t *ce, size_t ncap)
{
	size_t pi = 0, ti = 0, star_p = SIZE_MAX, star_t = 0, k = 0,
	    last = SIZE_MAX;

	while (ti < len) {
		if (pat[pi] == '*') {
			if (k < ncap) {
				cs[k] = ce[k] = ti;
			}
			last = k++;
			star_p = ++pi;
			star_t = ti;
			continue;
		}
		if (pat[pi] != '\0' && pat[pi] == text[ti]) {
			pi++;
			ti++;
			continue;
		}
		if (star_p == SIZE_MAX)
			return 0;
		pi = star_p;
		ti = ++star_t;
		if (last < ncap)
			ce[last] = star_t;
		k = last + 1;
	}
	while (pat[pi] == '*') {
		if (k < ncap)
			cs[k] = ce[k] = len;
		k++;
		pi++;
	}
	return pat[pi] == '\0';
}

/* The number of '*' in s. */
size_t
star_count(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += *s == '*';
	return n;
}

/*
 * Appends to b the template tpl with its i-th '*' replaced by the i-th
 * captured run of text (cs/ce, ncap runs); '*' beyond them stay as written.
 */
int
glob_fill(struct buf *b, const char *tpl, const char *text, const size_t *cs,
    const size_t *ce, size_t ncap)
{
	size_t k = 0;

	for (; *tpl; tpl++) {
		if (*tpl == '*' && k < ncap) {
			if (buf_append(b, text + cs[k], ce[k] - cs[k]) == -1)
				return -1;
			k++;
		} else if (buf_putc(b, *tpl) == -1)
			return -1;
	}
	return 0;
}
