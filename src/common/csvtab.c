/* csvtab.c - CSV tables (lookups): a strict RFC 4180 reader and a writer. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/csvtab.h"
#include "common/util.h"

#define CSVTAB_MAX_COLS	1000

/*
 * Returns -1 with "line N: why" in err. The line is the 1-based line of
 * the text where the record starts.
 */
static int
csvtab_fail(char *err, size_t errlen, size_t line, const char *why)
{
	snprintf(err, errlen, "line %zu: %s", line, why);
	return -1;
}

/* Adds offset off to the growable array *a (n used, *cap). 0 or -1. */
static int
csvtab_push(size_t **a, size_t *n, size_t *cap, size_t off)
{
	if (*n == *cap) {
		size_t nc = *cap ? *cap * 2 : 64;
		size_t *p = realloc(*a, nc * sizeof(*p));

		if (p == NULL)
			return -1;
		*a = p;
		*cap = nc;
	}
	(*a)[(*n)++] = off;
	return 0;
}

int
csvtab_parse(const char *data, size_t len, uint64_t max_rows,
    struct csvtab **out, char *err, size_t errlen)
{
	struct csvtab *t = NULL;
	size_t *offs = NULL, *lens = NULL, noffs = 0, cap = 0, nlens = 0;
	size_t capl = 0, ncols = 0, infield = 0, line = 1, recline = 1, o = 0;
	size_t i = 0;
	char *d = NULL;

	*out = NULL;
	if (!util_utf8_valid(data, len)) {
		snprintf(err, errlen, "the table is not valid UTF-8");
		return -1;
	}
	if (memchr(data, '\0', len) != NULL) {
		snprintf(err, errlen, "the table holds a NUL byte");
		return -1;
	}
	if (len == 0) {
		snprintf(err, errlen, "the table is empty: it needs a header "
		    "line");
		return -1;
	}
	/* Decoded cells are never longer than their text, plus a NUL each:
	 * at most one field per byte, and one more. */
	if ((d = malloc(2 * len + 2)) == NULL)
		goto nomem;
	while (i <= len) {
		size_t start = o;

		/* One field, from data[i]. */
		if (i < len && data[i] == '"') {
			i++;
			for (;;) {
				if (i >= len) {
					csvtab_fail(err, errlen, recline,
					    "a quoted field is not closed");
					goto fail;
				}
				if (data[i] == '"') {
					if (i + 1 < len && data[i + 1] == '"') {
						d[o++] = '"';
						i += 2;
						continue;
					}
					i++;
					break;
				}
				if (data[i] == '\n')
					line++;
				d[o++] = data[i++];
			}
			if (i < len && data[i] != ',' && data[i] != '\n' &&
			    !(data[i] == '\r' && i + 1 < len &&
			    data[i + 1] == '\n')) {
				csvtab_fail(err, errlen, line, "text after a "
				    "closing quote (a quote inside a field "
				    "is written \"\")");
				goto fail;
			}
		} else {
			while (i < len && data[i] != ',' && data[i] != '\n' &&
			    !(data[i] == '\r' && i + 1 < len &&
			    data[i + 1] == '\n')) {
				if (data[i] == '"' || data[i] == '\r') {
					csvtab_fail(err, errlen, line,
					    data[i] == '"' ? "a quote inside "
					    "an unquoted field" : "a carriage "
					    "return not followed by a line "
					    "feed");
					goto fail;
				}
				d[o++] = data[i++];
			}
		}
		d[o++] = '\0';
		if (csvtab_push(&offs, &noffs, &cap, start) == -1 ||
		    csvtab_push(&lens, &nlens, &capl, o - 1 - start) == -1)
			goto nomem;
		infield++;
		if (i < len && data[i] == ',') {
			i++;
			continue;
		}
		/* End of a record: a line break or the end of the text. */
		if (ncols == 0) {
			if (infield > CSVTAB_MAX_COLS) {
				csvtab_fail(err, errlen, recline, "more than "
				    "1000 columns");
				goto fail;
			}
			ncols = infield;
		} else if (infield != ncols) {
			char why[96];

			/* An empty last line ends the text. */
			if (infield == 1 && lens[nlens - 1] == 0 && i >= len) {
				noffs--;
				nlens--;
				break;
			}
			snprintf(why, sizeof(why), "%zu field%s, the header "
			    "has %zu", infield, infield == 1 ? "" : "s", ncols);
			csvtab_fail(err, errlen, recline, why);
			goto fail;
		}
		infield = 0;
		if (noffs / ncols - 1 > (max_rows ? max_rows : (uint64_t)-1)) {
			snprintf(err, errlen, "more than %llu rows",
			    (unsigned long long)max_rows);
			goto fail;
		}
		if (i >= len)
			break;
		i += data[i] == '\r' ? 2 : 1;
		line++;
		recline = line;
		if (i == len)
			break;
	}
	if ((t = calloc(1, sizeof(*t))) == NULL ||
	    (t->ct_cols = malloc(noffs * sizeof(char *))) == NULL)
		goto nomem;
	t->ct_data = d;
	d = NULL;
	t->ct_lens = lens;
	lens = NULL;
	t->ct_ncols = ncols;
	t->ct_nrows = noffs / ncols - 1;
	t->ct_cells = t->ct_cols + ncols;
	for (size_t k = 0; k < noffs; k++)
		t->ct_cols[k] = t->ct_data + offs[k];
	t->ct_bytes = sizeof(*t) + 2 * len + 2 + noffs * (sizeof(char *) +
	    sizeof(size_t));
	for (size_t c = 0; c < ncols; c++) {
		if (t->ct_cols[c][0] == '\0') {
			snprintf(err, errlen, "line 1: column %zu has no name",
			    c + 1);
			goto fail;
		}
		for (size_t k = 0; k < c; k++)
			if (strcmp(t->ct_cols[c], t->ct_cols[k]) == 0) {
				snprintf(err, errlen, "line 1: the column "
				    "name '%.100s' appears twice",
				    t->ct_cols[c]);
				goto fail;
			}
	}
	free(offs);
	*out = t;
	return 0;
nomem:
	snprintf(err, errlen, "out of memory");
fail:
	csvtab_free(t);
	free(lens);
	free(d);
	free(offs);
	return -1;
}

void
csvtab_free(struct csvtab *t)
{
	if (t == NULL)
		return;
	free(t->ct_cols);
	free(t->ct_lens);
	free(t->ct_data);
	free(t);
}

long
csvtab_col(const struct csvtab *t, const char *name)
{
	for (size_t c = 0; c < t->ct_ncols; c++)
		if (strcmp(t->ct_cols[c], name) == 0)
			return (long)c;
	return -1;
}

int
csvtab_name_ok(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > 100)
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i];
		int alnum = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9');

		if (!alnum && (i == 0 || (c != '.' && c != '_' && c != '-')))
			return 0;
	}
	return 1;
}

int
csvtab_put_field(struct buf *b, const char *s, size_t len)
{
	int quote = len > 0 && (s[0] == ' ' || s[len - 1] == ' ');

	for (size_t i = 0; i < len && !quote; i++)
		if (s[i] == ',' || s[i] == '"' || s[i] == '\r' || s[i] == '\n')
			quote = 1;
	if (!quote)
		return buf_append(b, s, len);
	if (buf_putc(b, '"') == -1)
		return -1;
	for (size_t i = 0; i < len; i++)
		if ((s[i] == '"' && buf_putc(b, '"') == -1) ||
		    buf_putc(b, s[i]) == -1)
			return -1;
	return buf_putc(b, '"');
}
