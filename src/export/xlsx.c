/* xlsx.c - the XLSX export: libxlsxwriter in constant memory, via a temp file. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <xlsxwriter.h>

#include "common/buf.h"
#include "export/export.h"

/* Temporary files are named "export-PID-XXXXXX.xlsx" (see the sweep). */
#define XLSX_TMP_PREFIX "export-"
#define XLSX_TMP_SUFFIX ".xlsx"
/* Integers up to 2^53 in magnitude are exact as doubles. */
#define XLSX_INT_EXACT 9007199254740992LL

struct xlsx_cell {
	uint64_t xc_row;	/* the row it belongs to: stale cells are blank */
	const char *xc_val;
	size_t xc_len;
	enum export_vtype xc_type;
	int xc_esc;
};

struct xlsx_writer {
	struct export_writer xw_w;	/* first: the writer is cast to it */
	struct export_sink xw_sink;
	lxw_workbook *xw_wb;		/* NULL once closed */
	lxw_worksheet *xw_ws;		/* the sheet being filled */
	uint32_t xw_sheet_rows;		/* data rows in it */
	const struct fieldset *xw_cols;
	size_t xw_ncols;		/* columns written (Excel's limit) */
	struct xlsx_cell *xw_cells;
	struct buf xw_name;
	struct buf xw_tmp;
	struct buf xw_esc;		/* scratch of xlsx_escape_literal */
	char *xw_path;			/* the file, until it is unlinked */
};

static void
xlsx_fail(struct xlsx_writer *xw, const char *what, lxw_error e)
{
	snprintf(xw->xw_w.ew_err, sizeof(xw->xw_w.ew_err), "%s: %s", what,
	    lxw_strerror(e));
}

/*
 * Cuts the NUL-terminated text in b to Excel's cell limit, counted in
 * UTF-16 units as Excel counts, ending it with the truncation marker.
 */
static void
xlsx_cut(struct buf *b)
{
	const size_t keep = EXPORT_XLSX_CELL_MAX - (sizeof(EXPORT_XLSX_TRUNCATED) - 1);
	size_t units = 0, i, cut = 0;
	unsigned char c;

	if (b->b_len <= EXPORT_XLSX_CELL_MAX)	/* bytes >= units */
		return;
	for (i = 0; i < b->b_len; i++) {
		c = (unsigned char)b->b_data[i];
		if ((c & 0xc0) == 0x80)
			continue;		/* continuation byte */
		if (units <= keep)
			cut = i;		/* a sequence starts here */
		units += c >= 0xf0 ? 2 : 1;
	}
	if (units <= EXPORT_XLSX_CELL_MAX)
		return;
	b->b_len = cut;
	b->b_data[cut] = '\0';
	/* The reserve cannot fail: the buffer only shrank. */
	buf_puts(b, EXPORT_XLSX_TRUNCATED);
}

/* Returns 1 when s (len bytes left) starts with an "_xHHHH_" escape. */
static int
xlsx_is_escape(const char *s, size_t len)
{
	if (len < 7 || s[0] != '_' || s[1] != 'x' || s[6] != '_')
		return 0;
	for (int i = 2; i < 6; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f') || (s[i] >= 'A' && s[i] <= 'F')))
			return 0;
	return 1;
}

/*
 * Copies the text of t with each literal "_xHHHH_" turned into
 * "_x005F_xHHHH_": in a cell, "_xHHHH_" means the character U+HHHH
 * (ECMA-376 ST_Xstring), which libxlsxwriter uses for control characters
 * but does not guard against in the text itself. Returns 0 or -1.
 */
static int
xlsx_escape_literal(struct buf *t, struct buf *scratch)
{
	const char *p = t->b_data, *end = t->b_data + t->b_len, *u;

	if ((u = memchr(p, '_', t->b_len)) == NULL)
		return 0;
	buf_reset(scratch);
	for (; u != NULL; u = memchr(p, '_', (size_t)(end - p))) {
		if (buf_append(scratch, p, (size_t)(u - p)) == -1)
			return -1;
		if (xlsx_is_escape(u, (size_t)(end - u)) &&
		    buf_puts(scratch, "_x005F") == -1)
			return -1;
		if (buf_putc(scratch, '_') == -1)
			return -1;
		p = u + 1;
	}
	if (buf_append(scratch, p, (size_t)(end - p)) == -1)
		return -1;
	buf_reset(t);
	return buf_append(t, scratch->b_data, scratch->b_len);
}

/* Writes text s (len bytes, no NUL inside) as a text cell. */
static int
xlsx_text(struct xlsx_writer *xw, lxw_row_t row, lxw_col_t col,
    const char *s, size_t len)
{
	struct buf *t = &xw->xw_tmp;
	lxw_error e;

	if (len == 0)
		return 0;		/* an empty text cell is a blank one */
	if (s != t->b_data) {
		buf_reset(t);
		if (buf_append(t, s, len) == -1) {
			strcpy(xw->xw_w.ew_err, "out of memory");
			return -1;
		}
	}
	/* Escape first: libxlsxwriter measures the escaped text. */
	if (xlsx_escape_literal(t, &xw->xw_esc) == -1) {
		strcpy(xw->xw_w.ew_err, "out of memory");
		return -1;
	}
	xlsx_cut(t);
	if ((e = worksheet_write_string(xw->xw_ws, row, col, t->b_data,
	    NULL)) != LXW_NO_ERROR) {
		xlsx_fail(xw, "cannot write a text cell", e);
		return -1;
	}
	return 0;
}

/*
 * Reads a JSON number as a double when the cell can hold it exactly
 * enough: integers within +-2^53, other numbers within a double's range.
 * Returns 0, or -1 when the number must be written as text.
 */
static int
xlsx_number(const char *s, size_t len, double *out)
{
	char tmp[64], *end;
	long long v;

	if (len == 0 || len >= sizeof(tmp))
		return -1;
	memcpy(tmp, s, len);
	tmp[len] = '\0';
	errno = 0;
	if (strpbrk(tmp, ".eE") == NULL) {
		v = strtoll(tmp, &end, 10);
		if (errno || *end || v > XLSX_INT_EXACT || v < -XLSX_INT_EXACT)
			return -1;
		*out = (double)v;
		return 0;
	}
	*out = strtod(tmp, &end);
	return errno || *end || !isfinite(*out) ? -1 : 0;
}

static int
xlsx_cell_write(struct xlsx_writer *xw, lxw_row_t row, lxw_col_t col,
    const struct xlsx_cell *c)
{
	struct buf *t = &xw->xw_tmp;
	double d;
	lxw_error e;

	switch (c->xc_type) {
	case EXPORT_V_STRING:
		if (!c->xc_esc && memchr(c->xc_val, '\0', c->xc_len) == NULL)
			return xlsx_text(xw, row, col, c->xc_val, c->xc_len);
		buf_reset(t);
		if (export_str_decode(t, c->xc_val, c->xc_len,
		    EXPORT_DEC_NUL_FFFD) == -1)
			break;
		return xlsx_text(xw, row, col, t->b_data, t->b_len);
	case EXPORT_V_NUMBER:
		if (xlsx_number(c->xc_val, c->xc_len, &d) == -1)
			return xlsx_text(xw, row, col, c->xc_val, c->xc_len);
		if ((e = worksheet_write_number(xw->xw_ws, row, col, d,
		    NULL)) != LXW_NO_ERROR) {
			xlsx_fail(xw, "cannot write a number cell", e);
			return -1;
		}
		return 0;
	case EXPORT_V_TRUE:
	case EXPORT_V_FALSE:
		return xlsx_text(xw, row, col, c->xc_val, c->xc_len);
	case EXPORT_V_NULL:
		return 0;
	case EXPORT_V_ARRAY:
	case EXPORT_V_OBJECT:
		buf_reset(t);
		if (export_json_minify(t, c->xc_val, c->xc_len) == -1)
			break;
		return xlsx_text(xw, row, col, t->b_data, t->b_len);
	}
	strcpy(xw->xw_w.ew_err, "out of memory");
	return -1;
}

/* Starts a new sheet with the header row. Returns 0 or -1. */
static int
xlsx_sheet(struct xlsx_writer *xw)
{
	const char *n;
	size_t len;

	if ((xw->xw_ws = workbook_add_worksheet(xw->xw_wb, NULL)) == NULL) {
		strcpy(xw->xw_w.ew_err, "cannot add a worksheet");
		return -1;
	}
	xw->xw_sheet_rows = 0;
	for (size_t i = 0; i < xw->xw_ncols; i++) {
		n = fieldset_name(xw->xw_cols, i, &len);
		if (memchr(n, '\0', len) != NULL)
			len = strlen(n);
		if (xlsx_text(xw, 0, (lxw_col_t)i, n, len) == -1)
			return -1;
	}
	return 0;
}

static int
xlsx_leaf(void *arg, const struct export_leaf *l)
{
	struct xlsx_writer *xw = arg;
	long i = fieldset_lookup(xw->xw_cols, l->el_name, l->el_name_len);
	struct xlsx_cell *c;

	if (i < 0 || (size_t)i >= xw->xw_ncols)
		return 0;
	c = &xw->xw_cells[i];
	c->xc_row = xw->xw_w.ew_rows + 1;
	c->xc_val = l->el_val;
	c->xc_len = l->el_val_len;
	c->xc_type = l->el_type;
	c->xc_esc = l->el_escaped;
	return 0;
}

static int
xlsx_row(struct export_writer *w, const char *json, size_t len)
{
	struct xlsx_writer *xw = (struct xlsx_writer *)w;
	uint64_t row = w->ew_rows + 1;
	lxw_row_t r;

	if (xw->xw_wb == NULL)
		return -1;
	if ((xw->xw_ws == NULL ||
	    xw->xw_sheet_rows == EXPORT_XLSX_SHEET_ROWS) && xlsx_sheet(xw) == -1)
		return -1;
	if (xw->xw_ncols > 0 && export_scan_event(json, len, &xw->xw_name,
	    xlsx_leaf, xw) != 0) {
		snprintf(w->ew_err, sizeof(w->ew_err), "cannot read result "
		    "%llu: not a JSON object, or out of memory",
		    (unsigned long long)w->ew_rows);
		return -1;
	}
	r = ++xw->xw_sheet_rows;
	for (size_t i = 0; i < xw->xw_ncols; i++)
		if (xw->xw_cells[i].xc_row == row && xlsx_cell_write(xw, r,
		    (lxw_col_t)i, &xw->xw_cells[i]) == -1)
			return -1;
	w->ew_rows = row;
	return 0;
}

/* Closes the workbook: the file is complete. Returns 0 or -1. */
static int
xlsx_close(struct xlsx_writer *xw)
{
	lxw_error e;

	if (xw->xw_wb == NULL)
		return 0;
	e = workbook_close(xw->xw_wb);	/* frees it, whatever the outcome */
	xw->xw_wb = NULL;
	if (e != LXW_NO_ERROR) {
		xlsx_fail(xw, "cannot write the xlsx file", e);
		return -1;
	}
	return 0;
}

static int
xlsx_finish(struct export_writer *w)
{
	struct xlsx_writer *xw = (struct xlsx_writer *)w;
	char *chunk = NULL;
	struct stat sb;
	ssize_t n;
	int fd = -1, rc = -1;

	if (xw->xw_wb == NULL)
		return -1;
	/* An export without rows is one empty sheet. */
	if (xw->xw_ws == NULL &&
	    workbook_add_worksheet(xw->xw_wb, NULL) == NULL) {
		strcpy(w->ew_err, "cannot add a worksheet");
		return -1;
	}
	if (xlsx_close(xw) == -1)
		return -1;
	/* From here the file lives only as long as fd. */
	fd = open(xw->xw_path, O_RDONLY | O_CLOEXEC);
	unlink(xw->xw_path);
	free(xw->xw_path);
	xw->xw_path = NULL;
	if (fd == -1 || fstat(fd, &sb) == -1) {
		snprintf(w->ew_err, sizeof(w->ew_err), "cannot read the xlsx "
		    "file back: %s", strerror(errno));
		goto out;
	}
	if ((chunk = malloc(EXPORT_CHUNK)) == NULL) {
		strcpy(w->ew_err, "out of memory");
		goto out;
	}
	if (xw->xw_sink.es_length)
		xw->xw_sink.es_length(xw->xw_sink.es_arg, (uint64_t)sb.st_size);
	for (;;) {
		n = read(fd, chunk, EXPORT_CHUNK);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			snprintf(w->ew_err, sizeof(w->ew_err), "cannot read the "
			    "xlsx file back: %s", strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		if (xw->xw_sink.es_write(xw->xw_sink.es_arg, chunk,
		    (size_t)n) == -1) {
			w->ew_gone = 1;
			strcpy(w->ew_err, "the client went away");
			goto out;
		}
	}
	rc = 0;
out:
	free(chunk);
	if (fd != -1)
		close(fd);
	return rc;
}

static void
xlsx_free(struct export_writer *w)
{
	struct xlsx_writer *xw = (struct xlsx_writer *)w;

	if (xw == NULL)
		return;
	/* workbook_close is the only call that releases everything the
	 * workbook holds (its temporary files included). */
	if (xw->xw_wb)
		workbook_close(xw->xw_wb);
	if (xw->xw_path) {
		unlink(xw->xw_path);
		free(xw->xw_path);
	}
	buf_free(&xw->xw_name);
	buf_free(&xw->xw_tmp);
	buf_free(&xw->xw_esc);
	free(xw->xw_cells);
	free(xw);
}

struct export_writer *
export_xlsx_new(const struct export_sink *sink, const struct export_opts *o,
    char *err, size_t errlen)
{
	struct xlsx_writer *xw = calloc(1, sizeof(*xw));
	lxw_workbook_options wo;
	struct buf path = BUF_INIT;
	int fd;

	if (xw == NULL)
		goto nomem;
	xw->xw_sink = *sink;
	xw->xw_cols = o->eo_cols;
	xw->xw_ncols = o->eo_cols ? fieldset_count(o->eo_cols) : 0;
	if (xw->xw_ncols > EXPORT_XLSX_COLS_MAX)
		xw->xw_ncols = EXPORT_XLSX_COLS_MAX;
	if ((xw->xw_cells = calloc(xw->xw_ncols ? xw->xw_ncols : 1,
	    sizeof(*xw->xw_cells))) == NULL)
		goto nomem;
	if (buf_printf(&path, "%s/" XLSX_TMP_PREFIX "%ld-XXXXXX"
	    XLSX_TMP_SUFFIX, o->eo_tmpdir, (long)getpid()) == -1)
		goto nomem;
	/* mkstemps reserves a fresh name; libxlsxwriter rewrites the file. */
	if ((fd = mkstemps(path.b_data, (int)strlen(XLSX_TMP_SUFFIX))) == -1) {
		snprintf(err, errlen, "cannot create a temporary file in %s: "
		    "%s", o->eo_tmpdir, strerror(errno));
		goto fail;
	}
	close(fd);
	xw->xw_path = path.b_data;
	path.b_data = NULL;
	memset(&wo, 0, sizeof(wo));
	wo.constant_memory = LXW_TRUE;
	wo.tmpdir = (char *)(uintptr_t)o->eo_tmpdir;
	wo.use_zip64 = LXW_TRUE;
	if ((xw->xw_wb = workbook_new_opt(xw->xw_path, &wo)) == NULL) {
		snprintf(err, errlen, "cannot start an xlsx workbook in %s",
		    o->eo_tmpdir);
		goto fail;
	}
	xw->xw_w.ew_row = xlsx_row;
	xw->xw_w.ew_finish = xlsx_finish;
	xw->xw_w.ew_free = xlsx_free;
	return &xw->xw_w;
nomem:
	snprintf(err, errlen, "out of memory");
fail:
	buf_free(&path);
	xlsx_free(xw ? &xw->xw_w : NULL);
	return NULL;
}

int
export_xlsx_sweep(const char *dir)
{
	struct buf p = BUF_INIT;
	struct dirent *de;
	DIR *d;
	long pid;
	char *end;
	int n = 0;

	if ((d = opendir(dir)) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, XLSX_TMP_PREFIX,
		    strlen(XLSX_TMP_PREFIX)) != 0)
			continue;
		pid = strtol(de->d_name + strlen(XLSX_TMP_PREFIX), &end, 10);
		/* Only files of processes that are gone: a live one may be
		 * building its file right now. */
		if (*end != '-' || pid <= 0 ||
		    !(kill((pid_t)pid, 0) == -1 && errno == ESRCH))
			continue;
		buf_reset(&p);
		if (buf_printf(&p, "%s/%s", dir, de->d_name) == 0 &&
		    unlink(p.b_data) == 0)
			n++;
	}
	closedir(d);
	buf_free(&p);
	return n;
}
