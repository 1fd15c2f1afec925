/* csvtab.h - CSV tables (lookups): a strict RFC 4180 reader and a writer. */
#ifndef AR_CSVTAB_H
#define AR_CSVTAB_H

#include <stddef.h>
#include <stdint.h>

struct buf;

/*
 * A parsed table: its header (ct_ncols names) and ct_nrows rows of
 * ct_ncols cells each, cell (r, c) at ct_cells[r * ct_ncols + c]. Every
 * string points into ct_data, one allocation holding them all, each
 * NUL-terminated (a cell may not hold NUL: the reader refuses it).
 */
struct csvtab {
	char **ct_cols;
	size_t ct_ncols;
	char **ct_cells;
	size_t ct_nrows;
	size_t *ct_lens;	/* length of each string, as ct_cols:
				 * the header's, then the cells' */
	char *ct_data;
	size_t ct_bytes;	/* memory held, for the run's accounting */
};

/*
 * Parses len bytes of CSV: a header line of distinct, non-empty column
 * names, then rows with exactly as many fields (an empty last line is
 * allowed), fields separated by ',' and lines by LF or CRLF, a field in
 * double quotes may hold commas, line breaks and "" for a quote. The text
 * must be UTF-8 without NUL. At most max_rows rows (0: no bound) and 1,000
 * columns. Returns 0 and the table in *out (free with csvtab_free), or -1
 * with the reason in err ("line 3: 2 fields, the header has 3", "more
 * than N rows", "out of memory").
 */
int csvtab_parse(const char *data, size_t len, uint64_t max_rows,
    struct csvtab **out, char *err, size_t errlen);
void csvtab_free(struct csvtab *t);

/* Returns the index of column name in t, or -1. */
long csvtab_col(const struct csvtab *t, const char *name);

/*
 * Returns 1 when name is a lookup table's name:
 * [A-Za-z0-9][A-Za-z0-9._-]{0,99}, so that NAME.csv is one file name and
 * never "..", a hidden file or a path.
 */
int csvtab_name_ok(const char *name);
/* The rule of csvtab_name_ok, for messages. */
#define CSVTAB_NAME_RULE	"a name is 1 to 100 characters of A-Z, " \
	"a-z, 0-9, '.', '_' and '-', starting with a letter or a digit"

/*
 * Appends s (len bytes) to b as one CSV field: quoted (with "" for a
 * quote) when it holds a comma, a quote, CR or LF, or starts or ends with
 * a space; as it is otherwise. Returns 0 or -1 out of memory.
 */
int csvtab_put_field(struct buf *b, const char *s, size_t len);

#endif
