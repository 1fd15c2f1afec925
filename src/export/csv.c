/* csv.c - the CSV export: RFC 4180, CRLF, flattened columns, formula guard. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "export/export.h"

struct csv_writer {
	struct export_writer cw_w;	/* first: the writer is cast to it */
	struct export_out cw_out;
	struct export_cells cw_cells;	/* the columns; the row being written */
	struct buf cw_tmp;	/* a decoded or minified value */
	int cw_guard;
};

/* Bytes that make a field need quotes. */
static const unsigned char csv_special[256] = {
	[','] = 1, ['"'] = 1, ['\r'] = 1, ['\n'] = 1,
};

/* Returns 1 when text s would be run as a formula by a spreadsheet. */
static inline int
csv_risky(const char *s, size_t len)
{
	return len > 0 && (s[0] == '=' || s[0] == '+' || s[0] == '-' ||
	    s[0] == '@' || s[0] == '\t' || s[0] == '\r');
}

/* Appends without a capacity check: csv_row reserved the room. */
static inline void
put(struct buf *b, const void *p, size_t n)
{
	memcpy(b->b_data + b->b_len, p, n);
	b->b_len += n;
}

/*
 * Appends one field, quoted when it must be, with the guard when asked.
 * Needs room for 2 * len + 3 bytes.
 */
static void
csv_field(struct buf *b, const char *s, size_t len, int guard)
{
	size_t i, start;

	for (i = 0; i < len; i++)
		if (csv_special[(unsigned char)s[i]])
			break;
	if (i == len) {
		if (guard)
			b->b_data[b->b_len++] = '\'';
		put(b, s, len);
		return;
	}
	b->b_data[b->b_len++] = '"';
	if (guard)
		b->b_data[b->b_len++] = '\'';
	for (i = start = 0; i < len; i++) {
		if (s[i] != '"')
			continue;
		put(b, s + start, i + 1 - start);
		start = i;	/* the quote is written again: doubled */
	}
	put(b, s + start, len - start);
	b->b_data[b->b_len++] = '"';
}

static int
csv_header(struct csv_writer *cw)
{
	struct buf *b = &cw->cw_out.eo_buf;
	const char *n;
	size_t len;

	for (size_t i = 0; i < cw->cw_cells.ec_ncols; i++) {
		n = fieldset_name(cw->cw_cells.ec_cols, i, &len);
		if (buf_reserve(b, 2 * len + 8) == -1)
			return -1;
		if (i)
			b->b_data[b->b_len++] = ',';
		/* Names get the values' guard: timechart ... by f makes
		 * event values into names, and ingested keys are anything. */
		csv_field(b, n, len, cw->cw_guard && csv_risky(n, len));
	}
	return buf_append(b, "\r\n", 2);
}

/*
 * Appends one cell. Needs room for 2 * (the value's length) + 3 bytes:
 * decoding and minifying never make a value longer.
 */
static int
csv_cell_write(struct csv_writer *cw, const struct export_cell *c)
{
	struct buf *b = &cw->cw_out.eo_buf, *t = &cw->cw_tmp;
	const char *s = c->ec_val;
	size_t len = c->ec_len;

	switch (c->ec_type) {
	case EXPORT_V_STRING:
		if (c->ec_esc) {
			buf_reset(t);
			if (export_str_decode(t, s, len, 0) == -1)
				return -1;
			s = t->b_data;
			len = t->b_len;
		}
		csv_field(b, s, len, cw->cw_guard && csv_risky(s, len));
		return 0;
	case EXPORT_V_NUMBER:
	case EXPORT_V_TRUE:
	case EXPORT_V_FALSE:
		put(b, s, len);
		return 0;
	case EXPORT_V_NULL:
		return 0;
	case EXPORT_V_ARRAY:
	case EXPORT_V_OBJECT:
		buf_reset(t);
		if (export_json_minify(t, s, len) == -1)
			return -1;
		csv_field(b, t->b_data, t->b_len, 0);
		return 0;
	}
	return 0;
}

static int
csv_row(struct export_writer *w, const char *json, size_t len)
{
	struct csv_writer *cw = (struct csv_writer *)w;
	struct buf *b = &cw->cw_out.eo_buf;
	uint64_t row = w->ew_rows + 1;

	if (w->ew_rows == 0 && csv_header(cw) == -1)
		goto nomem;
	if (export_cells_scan(&cw->cw_cells, json, len, row) == -1) {
		snprintf(w->ew_err, sizeof(w->ew_err), "cannot read result "
		    "%llu: not a JSON object, or out of memory",
		    (unsigned long long)w->ew_rows);
		return -1;
	}
	/* Each value goes to one cell at most, so this bounds the row. */
	if (len > (SIZE_MAX - 64) / 2 - 4 * cw->cw_cells.ec_ncols ||
	    buf_reserve(b, 2 * len + 4 * cw->cw_cells.ec_ncols + 8) == -1)
		goto nomem;
	for (size_t i = 0; i < cw->cw_cells.ec_ncols; i++) {
		if (i)
			b->b_data[b->b_len++] = ',';
		if (cw->cw_cells.ec_cell[i].ec_row == row &&
		    csv_cell_write(cw, &cw->cw_cells.ec_cell[i]) == -1)
			goto nomem;
	}
	put(b, "\r\n", 2);
	b->b_data[b->b_len] = '\0';
	w->ew_rows = row;
	return export_out_writer_flush(w, &cw->cw_out, 0);
nomem:
	strcpy(w->ew_err, "out of memory");
	return -1;
}

static int
csv_finish(struct export_writer *w)
{
	struct csv_writer *cw = (struct csv_writer *)w;

	return export_out_writer_flush(w, &cw->cw_out, 1);
}

static void
csv_free(struct export_writer *w)
{
	struct csv_writer *cw = (struct csv_writer *)w;

	if (cw == NULL)
		return;
	export_out_free(&cw->cw_out);
	export_cells_free(&cw->cw_cells);
	buf_free(&cw->cw_tmp);
	free(cw);
}

struct export_writer *
export_csv_new(const struct export_sink *sink, const struct export_opts *o)
{
	struct csv_writer *cw = calloc(1, sizeof(*cw));

	if (cw == NULL)
		return NULL;
	export_out_init(&cw->cw_out, sink);
	cw->cw_guard = o->eo_formula_guard;
	if (export_cells_init(&cw->cw_cells, o->eo_cols,
	    o->eo_cols ? fieldset_count(o->eo_cols) : 0) == -1 ||
	    buf_reserve(&cw->cw_out.eo_buf, EXPORT_CHUNK * 2) == -1) {
		csv_free(&cw->cw_w);
		return NULL;
	}
	cw->cw_w.ew_row = csv_row;
	cw->cw_w.ew_finish = csv_finish;
	cw->cw_w.ew_free = csv_free;
	return &cw->cw_w;
}
