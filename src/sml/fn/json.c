/* fn/json.c - JSON: json_extract. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sml/fn/fn.h"

/* json_extract: a dotted path with [n] indices, optional leading "$". */
static json_t *
fn_json_path(const json_t *x, const char *path)
{
	json_t *root = NULL, *cur, *r;
	const char *p = path;
	char *end;
	size_t n;
	long idx;

	if (json_is_string(x)) {
		root = json_loadb(json_string_value(x), json_string_length(x),
		    JSON_DECODE_ANY, NULL);
		if (root == NULL)
			return json_null();
		cur = root;
	} else if (json_is_object(x) || json_is_array(x))
		cur = (json_t *)x;
	else
		return json_null();
	if (*p == '$')
		p++;
	while (cur != NULL && *p != '\0') {
		if (*p == '.') {
			p++;
			continue;
		}
		if (*p == '[') {
			errno = 0;
			idx = strtol(p + 1, &end, 10);
			if (end == p + 1 || *end != ']' ||
			    !json_is_array(cur)) {
				cur = NULL;
				break;
			}
			if (idx < 0)
				idx += (long)json_array_size(cur);
			cur = idx < 0 ? NULL : json_array_get(cur, (size_t)idx);
			p = end + 1;
			continue;
		}
		n = strcspn(p, ".[");
		cur = json_is_object(cur) ? json_object_getn(cur, p, n) : NULL;
		p += n;
	}
	r = cur ? json_incref(cur) : json_null();
	json_decref(root);
	return r;
}

/* ---- The functions ---- */

/*
 * json_extract(x, path): the value at path ("a.b[0]", a leading "$"
 * allowed) in x, an object or array or the JSON text of one.
 */
json_t *
fn_json_extract(struct fn_call *fc)
{
	json_t *a = fc->fc_v[0], *r;
	char *s2;

	if (fn_is_null(a) || (s2 = fn_text(fc->fc_v[1])) == NULL)
		return json_null();
	r = fn_json_path(a, s2);
	free(s2);
	return fn_ret(fc, r);
}
