/* fuzz_export_scan.c - libFuzzer target: the export's event scan, column set and cells. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/buf.h"
#include "export/export.h"
#include "export/fields.h"
#include "ref_utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
broken(const char *what)
{
	fprintf(stderr, "fuzz_export_scan: %s\n", what);
	abort();
}

/* One leaf as the scan reported it, names copied. */
struct got {
	char *g_name;
	size_t g_nlen;
	enum export_vtype g_type;
	const char *g_val;
	size_t g_vlen;
	int g_esc;
};

struct line {
	const char *l_text;
	size_t l_len;
	int l_utf8;
	int l_ok;		/* scanned whole */
	struct got *l_got;
	size_t l_n, l_cap;
};

/*
 * Scan callback: checks the leaf against the text it came from and keeps
 * it. Returns 0.
 */
static int
collect(void *arg, const struct export_leaf *l)
{
	struct line *ln = arg;
	const char *end = ln->l_text + ln->l_len;
	struct got *g;

	if (l->el_name == NULL || l->el_name[l->el_name_len] != '\0')
		broken("a leaf name is not terminated");
	if (l->el_val < ln->l_text || l->el_val + l->el_val_len > end)
		broken("a leaf value is outside the event");
	switch (l->el_type) {
	case EXPORT_V_STRING:
		if (l->el_val == ln->l_text || l->el_val[-1] != '"' ||
		    l->el_val + l->el_val_len >= end ||
		    l->el_val[l->el_val_len] != '"')
			broken("a string leaf is not between quotes");
		if (!l->el_escaped &&
		    memchr(l->el_val, '\\', l->el_val_len) != NULL)
			broken("a string with a backslash is not marked escaped");
		break;
	case EXPORT_V_TRUE:
		if (l->el_val_len != 4 || memcmp(l->el_val, "true", 4) != 0)
			broken("a true leaf is not 'true'");
		break;
	case EXPORT_V_FALSE:
		if (l->el_val_len != 5 || memcmp(l->el_val, "false", 5) != 0)
			broken("a false leaf is not 'false'");
		break;
	case EXPORT_V_NULL:
		if (l->el_val_len != 4 || memcmp(l->el_val, "null", 4) != 0)
			broken("a null leaf is not 'null'");
		break;
	case EXPORT_V_NUMBER:
		if (l->el_val_len == 0 || (l->el_val[0] != '-' &&
		    (l->el_val[0] < '0' || l->el_val[0] > '9')))
			broken("a number leaf does not start a number");
		break;
	/* Composites are skipped by counting brackets, not parsed (too deep
	 * objects are opaque text): only their ends are known. */
	case EXPORT_V_ARRAY:
	case EXPORT_V_OBJECT:
		if (l->el_val_len < 2 || l->el_val[0] !=
		    (l->el_type == EXPORT_V_ARRAY ? '[' : '{') ||
		    (l->el_val[l->el_val_len - 1] != ']' &&
		    l->el_val[l->el_val_len - 1] != '}'))
			broken("a composite leaf is not bracketed");
		break;
	default:
		broken("a leaf of no known type");
	}
	if (ln->l_utf8 && !ref_utf8_ok((const unsigned char *)l->el_name,
	    l->el_name_len))
		broken("a column name of valid UTF-8 text is not valid UTF-8");
	if (ln->l_n == ln->l_cap) {
		size_t cap = ln->l_cap ? ln->l_cap * 2 : 16;
		struct got *ng = realloc(ln->l_got, cap * sizeof(*ng));

		if (ng == NULL)
			broken("out of memory");
		ln->l_got = ng;
		ln->l_cap = cap;
	}
	g = &ln->l_got[ln->l_n++];
	if ((g->g_name = malloc(l->el_name_len + 1)) == NULL)
		broken("out of memory");
	memcpy(g->g_name, l->el_name, l->el_name_len + 1);
	g->g_nlen = l->el_name_len;
	g->g_type = l->el_type;
	g->g_val = l->el_val;
	g->g_vlen = l->el_val_len;
	g->g_esc = l->el_escaped;
	return 0;
}

/* Decodes a string leaf; checks UTF-8 in, UTF-8 out. Caller frees *out. */
static void
check_string(const struct line *ln, const struct got *g, struct buf *out)
{
	buf_reset(out);
	if (export_str_decode(out, g->g_val, g->g_vlen, EXPORT_DEC_NUL_FFFD) ==
	    -1)
		broken("out of memory");
	if (ln->l_utf8 && !ref_utf8_ok((const unsigned char *)out->b_data,
	    out->b_len))
		broken("a decoded string of valid UTF-8 text is not UTF-8");
	/* Raw NUL bytes are data; escaped ones are replaced. */
	if (out->b_len && memchr(g->g_val, '\0', g->g_vlen) == NULL &&
	    memchr(out->b_data, '\0', out->b_len) != NULL)
		broken("EXPORT_DEC_NUL_FFFD left a NUL");
}

/*
 * Walks the Jansson tree of an object the way the scan flattens it and
 * compares it with the leaves got[*k...]: same names, types and values, in
 * the same order.
 */
static void
reference(json_t *obj, struct buf *prefix, int depth, const struct line *ln,
    size_t *k)
{
	const char *key;
	json_t *v;
	size_t base = prefix->b_len;
	struct buf dec = BUF_INIT;

	json_object_foreach(obj, key, v) {
		prefix->b_len = base;
		if (buf_append(prefix, key, strlen(key)) == -1)
			broken("out of memory");
		if (json_is_object(v) && json_object_size(v) > 0 &&
		    depth + 1 < EXPORT_SCAN_MAX_DEPTH) {
			if (buf_putc(prefix, '.') == -1)
				broken("out of memory");
			reference(v, prefix, depth + 1, ln, k);
			continue;
		}
		if (*k >= ln->l_n)
			broken("the scan reports fewer leaves than Jansson");
		const struct got *g = &ln->l_got[(*k)++];

		if (g->g_nlen != prefix->b_len ||
		    memcmp(g->g_name, prefix->b_data, g->g_nlen) != 0)
			broken("a leaf name differs from Jansson's");
		switch (json_typeof(v)) {
		case JSON_STRING:
			if (g->g_type != EXPORT_V_STRING)
				broken("a string is not a string leaf");
			buf_reset(&dec);
			if (export_str_decode(&dec, g->g_val, g->g_vlen, 0) ==
			    -1)
				broken("out of memory");
			if (dec.b_len != json_string_length(v) || (dec.b_len &&
			    memcmp(dec.b_data, json_string_value(v),
			    dec.b_len) != 0))
				broken("a decoded string differs from Jansson's");
			break;
		case JSON_INTEGER: case JSON_REAL:
			if (g->g_type != EXPORT_V_NUMBER)
				broken("a number is not a number leaf");
			{
				json_t *n = json_loadb(g->g_val, g->g_vlen,
				    JSON_DECODE_ANY, NULL);

				if (n == NULL || !json_equal(n, v))
					broken("a number leaf differs from Jansson's");
				json_decref(n);
			}
			break;
		case JSON_TRUE:
			if (g->g_type != EXPORT_V_TRUE)
				broken("true is not a true leaf");
			break;
		case JSON_FALSE:
			if (g->g_type != EXPORT_V_FALSE)
				broken("false is not a false leaf");
			break;
		case JSON_NULL:
			if (g->g_type != EXPORT_V_NULL)
				broken("null is not a null leaf");
			break;
		case JSON_ARRAY: case JSON_OBJECT:
			if (g->g_type != (json_is_array(v) ? EXPORT_V_ARRAY :
			    EXPORT_V_OBJECT))
				broken("a composite leaf of the wrong type");
			{
				json_t *n = json_loadb(g->g_val, g->g_vlen,
				    JSON_ALLOW_NUL, NULL);

				if (n == NULL || !json_equal(n, v))
					broken("a composite leaf differs from Jansson's");
				json_decref(n);
			}
			break;
		}
	}
	prefix->b_len = base;
	buf_free(&dec);
}

/*
 * The input: one byte of parameters (the column set's size limit and how
 * many columns the cells use), then events, one per line. Each event is
 * scanned; checks, beyond memory safety:
 * - each leaf points into its event: strings between quotes, literals
 *   spelled out, composites bracketed; names are terminated;
 * - from valid UTF-8 text, every column name and decoded string is valid
 *   UTF-8 (escapes and surrogates are turned into UTF-8 or U+FFFD);
 * - when Jansson reads the event (with no NUL byte) as an object without
 *   duplicate keys, the scan succeeds and reports exactly Jansson's
 *   leaves, flattened the documented way, with equal values;
 * - the column set keeps each name once, in order, up to its limit, and
 *   counts the rest as dropped; it encodes to a JSON array that decodes to
 *   the same names (a name that is not UTF-8: to a UTF-8 one);
 * - the cells of each row hold, for each column, the last leaf of that name
 *   in the event, and nothing for the others.
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct line lines[64];
	size_t nlines = 0, max_fields, ncols, len, i, j, k;
	struct fieldset *fs, *fs2;
	struct export_cells ec;
	struct buf name = BUF_INIT, tmp = BUF_INIT;
	const char *p, *end, *nl;
	char *enc;

	if (size < 1)
		return 0;
	max_fields = (data[0] & 0x0f) == 0 ? 1000 : (data[0] & 0x0f);
	ncols = data[0] >> 4;
	p = (const char *)data + 1;
	end = (const char *)data + size;
	while (p < end && nlines < 64) {
		nl = memchr(p, '\n', (size_t)(end - p));
		len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		memset(&lines[nlines], 0, sizeof(lines[0]));
		lines[nlines].l_text = p;
		lines[nlines].l_len = len;
		lines[nlines].l_utf8 = ref_utf8_ok((const unsigned char *)p, len);
		nlines++;
		p += len + (nl != NULL);
	}
	if ((fs = fieldset_new(max_fields)) == NULL)
		return 0;

	for (i = 0; i < nlines; i++) {
		struct line *ln = &lines[i];
		json_t *ref;
		int rc;

		rc = export_scan_event(ln->l_text, ln->l_len, &name, collect,
		    ln);
		if (rc != 0 && rc != -1)
			broken("the scan returns neither 0 nor -1");
		ln->l_ok = rc == 0;
		for (k = 0; k < ln->l_n; k++)
			if (ln->l_got[k].g_type == EXPORT_V_STRING)
				check_string(ln, &ln->l_got[k], &tmp);
		/* Jansson skips a NUL byte between tokens: no reference. */
		ref = memchr(ln->l_text, '\0', ln->l_len) ? NULL :
		    json_loadb(ln->l_text, ln->l_len, JSON_REJECT_DUPLICATES,
		    NULL);
		if (ref != NULL && json_is_object(ref)) {
			struct buf prefix = BUF_INIT;

			if (rc != 0)
				broken("the scan refuses an object Jansson reads");
			if (buf_reserve(&prefix, 64) == -1)
				broken("out of memory");
			k = 0;
			reference(ref, &prefix, 0, ln, &k);
			if (k != ln->l_n)
				broken("the scan reports more leaves than Jansson");
			buf_free(&prefix);
		}
		json_decref(ref);
		if (rc == 0)
			if (fieldset_add_event(fs, ln->l_text, ln->l_len) != 0)
				broken("the column set refuses a scanned event");
	}

	/* The set: each name once, in order of first appearance, up to its
	 * limit; only events scanned whole were added. */
	{
		size_t want = 0, dropped = 0;
		struct fieldset *seen = fieldset_new(SIZE_MAX);

		if (seen == NULL)
			broken("out of memory");
		for (i = 0; i < nlines; i++) {
			struct line *ln = &lines[i];

			if (!ln->l_ok)
				continue;
			for (k = 0; k < ln->l_n; k++) {
				struct got *g = &ln->l_got[k];
				size_t nlen;
				const char *n;

				if (fieldset_lookup(seen, g->g_name,
				    g->g_nlen) >= 0)
					continue;
				if (fieldset_add_name(seen, g->g_name,
				    g->g_nlen) != 1)
					broken("out of memory");
				if (want >= max_fields) {
					dropped++;
					continue;
				}
				if (want >= fieldset_count(fs))
					broken("the column set lacks a name");
				n = fieldset_name(fs, want, &nlen);
				if (nlen != g->g_nlen ||
				    memcmp(n, g->g_name, nlen) != 0)
					broken("the column set differs from "
					    "the names scanned");
				want++;
			}
		}
		if (fieldset_count(fs) != want)
			broken("the column set holds other names");
		if (dropped > 0 && fieldset_dropped(fs) == 0)
			broken("names over the limit are not counted dropped");
		fieldset_free(seen);
	}
	for (i = 0; i < fieldset_count(fs); i++) {
		const char *n = fieldset_name(fs, i, &len);

		if (fieldset_lookup(fs, n, len) != (long)i)
			broken("a column is not found at its index");
	}
	if ((enc = fieldset_encode(fs, &len)) != NULL) {
		if ((fs2 = fieldset_decode(enc, len, max_fields)) == NULL) {
			int all_utf8 = 1;

			for (i = 0; i < nlines; i++)
				all_utf8 &= lines[i].l_utf8;
			if (all_utf8)
				broken("the encoded column set does not decode");
		} else {
			int names_utf8 = 1;

			for (i = 0; i < fieldset_count(fs); i++) {
				const char *a = fieldset_name(fs, i, &len);

				names_utf8 &= ref_utf8_ok((const unsigned char *)a,
				    len);
			}
			for (i = 0; i < fieldset_count(fs2); i++) {
				const char *b = fieldset_name(fs2, i, &len);

				if (!ref_utf8_ok((const unsigned char *)b, len))
					broken("a decoded column is not UTF-8");
			}
			/* Names that are not UTF-8 may come back with
			 * U+FFFD (buf_json_str), and so merge; UTF-8 ones
			 * come back as they were. */
			if (!names_utf8) {
				if (fieldset_count(fs2) > fieldset_count(fs))
					broken("the decoded column set grew");
			} else if (fieldset_count(fs2) != fieldset_count(fs))
				broken("the decoded column set has another size");
			for (i = 0; names_utf8 && i < fieldset_count(fs); i++) {
				size_t l1, l2;
				const char *a = fieldset_name(fs, i, &l1);
				const char *b = fieldset_name(fs2, i, &l2);

				if (l1 != l2 || memcmp(a, b, l1) != 0)
					broken("a decoded column differs");
			}
			fieldset_free(fs2);
		}
		free(enc);
	}

	/* Cells: row by row, each column's last leaf of its name. */
	if (ncols > fieldset_count(fs))
		ncols = fieldset_count(fs);
	if (export_cells_init(&ec, fs, ncols) == 0) {
		uint64_t row = 0;

		for (i = 0; i < nlines; i++) {
			struct line *ln = &lines[i];
			int rc;

			for (int twice = 0; twice < 2; twice++) {
				row++;
				rc = export_cells_scan(&ec, ln->l_text,
				    ln->l_len, row);
				if (rc != 0 || ncols == 0)
					continue;
				for (j = 0; j < ncols; j++) {
					size_t nlen;
					const char *n = fieldset_name(fs, j,
					    &nlen);
					const struct got *last = NULL;

					for (k = 0; k < ln->l_n; k++)
						if (ln->l_got[k].g_nlen == nlen &&
						    memcmp(ln->l_got[k].g_name,
						    n, nlen) == 0)
							last = &ln->l_got[k];
					if (last == NULL) {
						if (ec.ec_cell[j].ec_row == row)
							broken("a cell is set "
							    "without its leaf");
						continue;
					}
					if (ec.ec_cell[j].ec_row != row ||
					    ec.ec_cell[j].ec_val != last->g_val ||
					    ec.ec_cell[j].ec_len != last->g_vlen ||
					    ec.ec_cell[j].ec_type != last->g_type ||
					    ec.ec_cell[j].ec_esc != last->g_esc)
						broken("a cell is not its "
						    "column's last leaf");
				}
			}
		}
		export_cells_free(&ec);
	}

	for (i = 0; i < nlines; i++) {
		for (k = 0; k < lines[i].l_n; k++)
			free(lines[i].l_got[k].g_name);
		free(lines[i].l_got);
	}
	fieldset_free(fs);
	buf_free(&name);
	buf_free(&tmp);
	return 0;
}
