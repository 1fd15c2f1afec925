/* bulk.c - the framing of an Elasticsearch _bulk body (NDJSON pairs). */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "common/util.h"
#include "ingest/bulk.h"

/* Metadata members Elasticsearch clients send that change nothing here. */
static const char *const bulk_ignored[] = {
	"_type", "routing", "_routing", "pipeline", "require_alias",
	"require_data_stream", "version", "version_type", "if_seq_no",
	"if_primary_term", "retry_on_conflict", "dynamic_templates", "_source",
	"list_executed_pipelines", "op_type", NULL
};

static const char *const bulk_names[] = {
	[BULK_INDEX] = "index", [BULK_CREATE] = "create",
	[BULK_DELETE] = "delete", [BULK_UPDATE] = "update"
};

const char *
bulk_action_name(enum bulk_action a)
{
	return bulk_names[a];
}

void
bulk_reader_init(struct bulk_reader *br, const char *body, size_t len)
{
	br->br_p = body;
	br->br_end = body + len;
	br->br_line = 0;
}

static int
bulk_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/*
 * Takes the next line that is not blank, trimmed. Returns 1 with *s, *n and
 * its number in *line, or 0 at the end of the body.
 */
static int
bulk_line(struct bulk_reader *br, const char **s, size_t *n, size_t *line)
{
	const char *p, *nl, *e;

	while (br->br_p < br->br_end) {
		p = br->br_p;
		nl = memchr(p, '\n', (size_t)(br->br_end - p));
		e = nl ? nl : br->br_end;
		br->br_p = nl ? nl + 1 : br->br_end;
		br->br_line++;
		while (p < e && bulk_space(*p))
			p++;
		while (e > p && bulk_space(e[-1]))
			e--;
		if (e > p) {
			*s = p;
			*n = (size_t)(e - p);
			*line = br->br_line;
			return 1;
		}
	}
	return 0;
}

/*
 * Returns 1 when line s[0..n) begins like an action line: '{', then the
 * first member named index, create, delete or update whose value is an
 * object. Looks at the text only, so a document is never parsed twice.
 */
static int
bulk_looks_like_action(const char *s, size_t n)
{
	const char *p = s, *e = s + n;
	size_t k;

	if (p == e || *p++ != '{')
		return 0;
	while (p < e && bulk_space(*p))
		p++;
	if (p == e || *p++ != '"')
		return 0;
	for (k = 0; k < 4; k++) {
		size_t l = strlen(bulk_names[k]);

		if ((size_t)(e - p) > l && memcmp(p, bulk_names[k], l) == 0 &&
		    p[l] == '"') {
			p += l + 1;
			break;
		}
	}
	if (k == 4)
		return 0;
	while (p < e && bulk_space(*p))
		p++;
	if (p == e || *p++ != ':')
		return 0;
	while (p < e && bulk_space(*p))
		p++;
	return p < e && *p == '{';
}

/*
 * Copies string member v of the action's metadata into out (max bytes and
 * the NUL), flagging *cut when it was longer. Returns 0, or -1 with a
 * reason when v is not a string.
 */
static int
bulk_meta_str(const char *name, json_t *v, char *out, size_t max, int *cut,
    size_t line, char *err, size_t errlen)
{
	size_t len;

	if (!json_is_string(v)) {
		snprintf(err, errlen, "line %zu: the action's %s must be a "
		    "string", line, name);
		return -1;
	}
	len = json_string_length(v);
	*cut = len > max;
	if (len > max)
		len = max;
	/* Cut at a character boundary: the name may reach a reply. */
	while (len > 0 && !util_utf8_valid(json_string_value(v), len))
		len--;
	memcpy(out, json_string_value(v), len);
	out[len] = '\0';
	if (memchr(out, '\0', len) != NULL) {
		snprintf(err, errlen, "line %zu: the action's %s holds a NUL "
		    "character", line, name);
		return -1;
	}
	return 0;
}

/*
 * Reads action line s[0..n) into item. Returns 0, or -1 with a reason.
 */
static int
bulk_action(const char *s, size_t n, size_t line, struct bulk_item *item,
    char *err, size_t errlen)
{
	json_error_t jerr;
	json_t *root, *meta, *v;
	const char *key, *name;
	size_t k;
	int rc = -1;

	if ((root = json_loadb(s, n, JSON_REJECT_DUPLICATES, &jerr)) == NULL) {
		snprintf(err, errlen, "line %zu: the action line is not JSON: "
		    "%s (column %d)", line, jerr.text, jerr.column);
		return -1;
	}
	if (!json_is_object(root) || json_object_size(root) != 1) {
		snprintf(err, errlen, "line %zu: an action line must be a "
		    "JSON object with one member (index, create, delete or "
		    "update)", line);
		goto out;
	}
	json_object_foreach(root, key, meta)
		break;
	for (k = 0; k < 4; k++)
		if (strcmp(key, bulk_names[k]) == 0)
			break;
	if (k == 4) {
		snprintf(err, errlen, "line %zu: unknown action '%.60s' "
		    "(expected index, create, delete or update; is this a "
		    "document without its action line?)", line, key);
		goto out;
	}
	if (!json_is_object(meta)) {
		snprintf(err, errlen, "line %zu: the %s action's metadata must "
		    "be an object", line, key);
		goto out;
	}
	memset(item, 0, sizeof(*item));
	item->bi_action = (enum bulk_action)k;
	item->bi_line = line;
	json_object_foreach(meta, name, v) {
		if (strcmp(name, "_index") == 0) {
			if (bulk_meta_str("_index", v, item->bi_index,
			    BULK_NAME_MAX, &item->bi_index_long, line, err,
			    errlen) == -1)
				goto out;
		} else if (strcmp(name, "_id") == 0) {
			if (bulk_meta_str("_id", v, item->bi_id, BULK_ID_MAX,
			    &item->bi_id_long, line, err, errlen) == -1)
				goto out;
		} else {
			const char *const *ig;

			for (ig = bulk_ignored; *ig; ig++)
				if (strcmp(name, *ig) == 0)
					break;
			if (*ig == NULL) {
				snprintf(err, errlen, "line %zu: the %s action "
				    "has an unknown parameter '%.60s'", line,
				    key, name);
				goto out;
			}
		}
	}
	rc = 0;
out:
	json_decref(root);
	return rc;
}

int
bulk_next(struct bulk_reader *br, struct bulk_item *item, char *err,
    size_t errlen)
{
	const char *s, *d;
	size_t n, dn, line, dline;

	if (!bulk_line(br, &s, &n, &line))
		return 0;
	if (bulk_action(s, n, line, item, err, errlen) == -1)
		return -1;
	if (item->bi_action == BULK_DELETE)
		return 1;
	if (!bulk_line(br, &d, &dn, &dline)) {
		snprintf(err, errlen, "line %zu: the %s action is not followed "
		    "by a document", line, bulk_names[item->bi_action]);
		return -1;
	}
	if (bulk_looks_like_action(d, dn)) {
		snprintf(err, errlen, "line %zu: the %s action of line %zu is "
		    "followed by another action line, not a document", dline,
		    bulk_names[item->bi_action], line);
		return -1;
	}
	item->bi_doc = d;
	item->bi_doc_len = dn;
	return 1;
}
