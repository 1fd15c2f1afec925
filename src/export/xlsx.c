/*
 * xlsx.c - the XLSX export: the sheets streamed as deflated XML as the rows
 * come, the rest of the package made by libxlsxwriter once they are done.
 */
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
#include <time.h>
#include <unistd.h>

#include <xlsxwriter.h>
#include <zlib.h>

#include "common/buf.h"
#include "export/export.h"

/*
 * An .xlsx file is a zip of XML parts. Nearly all of its bytes are the
 * sheets' rows, so those are written here, straight into the zip stream
 * the client receives, in the XML libxlsxwriter's constant-memory mode
 * writes (inline strings, one <row> per row, cell references). The other
 * parts (content types, relationships, workbook, styles, theme, document
 * properties) depend on the number of sheets, known only at the end:
 * libxlsxwriter makes a workbook with that many empty sheets into a small
 * temporary file, and its parts other than the sheets are copied into the
 * stream after ours. The download thus starts with its first row and
 * needs no file the size of the export.
 */

/* Temporary files are named "export-PID-XXXXXX.xlsx" (see the sweep). */
#define XLSX_TMP_PREFIX "export-"
#define XLSX_TMP_SUFFIX ".xlsx"
/* Integers up to 2^53 in magnitude are exact as doubles. */
#define XLSX_INT_EXACT "9007199254740992"
/* Deflate level of the package: the rows' XML is most of the work. */
#define XLSX_ZIP_LEVEL 1
/* Sheet XML is handed to the zip stream in pieces of about this size. */
#define XLSX_FLUSH (256 * 1024)
/* The largest libxlsxwriter package (parts other than the sheets) read. */
#define XLSX_PACKAGE_MAX (16 * 1024 * 1024)
#define XLSX_SHEET_PART "xl/worksheets/sheet"

/*
 * A sheet part around its rows: the start in three pieces (the sheet's
 * <dimension> goes after the first, tabSelected on the first sheet after
 * the second), then the end.
 */
static const char xlsx_sheet_head[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
    "<worksheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/"
    "2006/main\" xmlns:r=\"http://schemas.openxmlformats.org/"
    "officeDocument/2006/relationships\">";
static const char xlsx_sheet_head2[] = "<sheetViews><sheetView";
static const char xlsx_sheet_head3[] =
    " workbookViewId=\"0\"/></sheetViews>"
    "<sheetFormatPr defaultRowHeight=\"15\"/><sheetData>";
static const char xlsx_sheet_tail[] =
    "</sheetData><pageMargins left=\"0.7\" right=\"0.7\" top=\"0.75\" "
    "bottom=\"0.75\" header=\"0.3\" footer=\"0.3\"/></worksheet>";

#define XLSX_LIT(b, s) buf_append((b), (s), sizeof(s) - 1)

struct xlsx_writer {
	struct export_writer xw_w;	/* first: the writer is cast to it */
	struct export_zip *xw_zip;	/* the package, streamed to the sink */
	struct buf xw_xml;		/* sheet XML not yet compressed */
	unsigned xw_sheets;		/* sheets begun */
	int xw_open;			/* sheet xw_sheets is being written */
	uint32_t xw_sheet_rows;		/* data rows in it */
	struct export_cells xw_cells;	/* the columns written (up to Excel's
					 * limit); the row being written */
	char (*xw_ref)[4];		/* column letters, "A" to "XFD" */
	struct buf xw_tmp;		/* a cell's decoded text */
	char *xw_path;			/* the package file, until unlinked */
	char *xw_tmpdir;
	time_t xw_mtime;
	uint64_t xw_rows_due;		/* rows the caller will write, or 0 */
};

/*
 * Bytes the text escape must look at: XML's < > &, control characters
 * other than tab and line feed (libxlsxwriter's _xHHHH_ escapes; a CR
 * would read back as a line feed), '_' (a literal "_xHHHH_") and 0xEF (the
 * first byte of U+FFFE and U+FFFF, which XML does not allow).
 */
static const unsigned char xlsx_special[256] = {
	[0x00] = 1, [0x01] = 1, [0x02] = 1, [0x03] = 1, [0x04] = 1, [0x05] = 1,
	[0x06] = 1, [0x07] = 1, [0x08] = 1, [0x0b] = 1, [0x0c] = 1, [0x0d] = 1,
	[0x0e] = 1, [0x0f] = 1, [0x10] = 1, [0x11] = 1, [0x12] = 1, [0x13] = 1,
	[0x14] = 1, [0x15] = 1, [0x16] = 1, [0x17] = 1, [0x18] = 1, [0x19] = 1,
	[0x1a] = 1, [0x1b] = 1, [0x1c] = 1, [0x1d] = 1, [0x1e] = 1, [0x1f] = 1,
	['<'] = 1, ['>'] = 1, ['&'] = 1, ['_'] = 1, [0xef] = 1,
};

static void
xlsx_fail(struct xlsx_writer *xw, const char *what)
{
	snprintf(xw->xw_w.ew_err, sizeof(xw->xw_w.ew_err), "%s", what);
}

/* Records why the zip stream stopped. Returns -1. */
static int
xlsx_zip_fail(struct xlsx_writer *xw)
{
	if (export_zip_gone(xw->xw_zip)) {
		xw->xw_w.ew_gone = 1;
		xlsx_fail(xw, "the client went away");
	} else
		xlsx_fail(xw, "out of memory");
	return -1;
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
xlsx_is_escape(const unsigned char *s, size_t len)
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
 * Appends the UTF-8 text s (len bytes) as the content of an XML element of
 * a cell: & < > as entities, control characters as "_xHHHH_" (ECMA-376
 * ST_Xstring), U+FFFE and U+FFFF likewise, and a literal "_xHHHH_" guarded
 * as "_x005F_xHHHH_" so that it reads back as written. Returns 0 or -1.
 */
static int
xlsx_put_escaped(struct buf *b, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + len;
	const unsigned char *run = p;
	char esc[8];
	const char *rep;
	size_t rlen, skip;

	for (; p < end; p++) {
		if (!xlsx_special[*p])
			continue;
		skip = 1;
		switch (*p) {
		case '<':
			rep = "&lt;", rlen = 4;
			break;
		case '>':
			rep = "&gt;", rlen = 4;
			break;
		case '&':
			rep = "&amp;", rlen = 5;
			break;
		case '_':
			if (!xlsx_is_escape(p, (size_t)(end - p)))
				continue;
			rep = "_x005F", rlen = 6, skip = 0;
			break;
		case 0xef:
			if (end - p < 3 || p[1] != 0xbf ||
			    (p[2] != 0xbe && p[2] != 0xbf))
				continue;
			rep = p[2] == 0xbe ? "_xFFFE_" : "_xFFFF_", rlen = 7;
			skip = 3;
			break;
		default:
			snprintf(esc, sizeof(esc), "_x%04X_", *p);
			rep = esc, rlen = 7;
			break;
		}
		if (buf_append(b, run, (size_t)(p - run)) == -1 ||
		    buf_append(b, rep, rlen) == -1)
			return -1;
		run = p + skip;		/* a guarded '_' stays in the run */
		if (skip > 1)
			p += skip - 1;
	}
	return buf_append(b, run, (size_t)(end - run));
}

/* Appends the reference start of a cell: <c r="B12" */
static int
xlsx_put_ref(struct xlsx_writer *xw, size_t col, const char *row,
    size_t row_len)
{
	struct buf *b = &xw->xw_xml;

	return XLSX_LIT(b, "<c r=\"") == -1 ||
	    buf_puts(b, xw->xw_ref[col]) == -1 ||
	    buf_append(b, row, row_len) == -1 ? -1 : 0;
}

/*
 * Appends a text cell of the UTF-8 text s (len bytes, no NUL), cut to
 * Excel's limit. An empty text is a blank cell: nothing. Returns 0 or -1.
 */
static int
xlsx_put_text(struct xlsx_writer *xw, size_t col, const char *row,
    size_t row_len, const char *s, size_t len)
{
	struct buf *b = &xw->xw_xml, *t = &xw->xw_tmp;
	unsigned char first, last;

	if (len == 0)
		return 0;
	if (len > EXPORT_XLSX_CELL_MAX) {
		if (s != t->b_data) {
			buf_reset(t);
			if (buf_append(t, s, len) == -1)
				return -1;
		}
		xlsx_cut(t);
		s = t->b_data;
		len = t->b_len;
	}
	first = (unsigned char)s[0];
	last = (unsigned char)s[len - 1];
	/* Leading or trailing white space is kept only when asked to be. */
	if (xlsx_put_ref(xw, col, row, row_len) == -1 ||
	    ((first == ' ' || (first >= '\t' && first <= '\r') ||
	    last == ' ' || (last >= '\t' && last <= '\r')) ?
	    XLSX_LIT(b, "\" t=\"inlineStr\"><is><t xml:space=\"preserve\">") :
	    XLSX_LIT(b, "\" t=\"inlineStr\"><is><t>")) == -1 ||
	    xlsx_put_escaped(b, s, len) == -1 ||
	    XLSX_LIT(b, "</t></is></c>") == -1)
		return -1;
	return 0;
}

/*
 * Returns 1 when the JSON number s (len bytes) makes a numeric cell as it
 * is: integers within +-2^53, other numbers a double holds (not 1e999).
 * Anything else is written as text, so no digit is lost.
 */
static int
xlsx_number_ok(const char *s, size_t len)
{
	char tmp[64], *end;
	const char *d = s;
	size_t n = len;
	double v;

	if (len == 0 || len >= sizeof(tmp))
		return 0;
	if (memchr(s, '.', len) == NULL && memchr(s, 'e', len) == NULL &&
	    memchr(s, 'E', len) == NULL) {
		if (*d == '-')
			d++, n--;
		if (n == 0 || n > sizeof(XLSX_INT_EXACT) - 1)
			return 0;
		for (size_t i = 0; i < n; i++)
			if (d[i] < '0' || d[i] > '9')
				return 0;
		return n < sizeof(XLSX_INT_EXACT) - 1 ||
		    memcmp(d, XLSX_INT_EXACT, n) <= 0;
	}
	memcpy(tmp, s, len);
	tmp[len] = '\0';
	errno = 0;
	v = strtod(tmp, &end);
	return errno == 0 && *end == '\0' && isfinite(v);
}

/* Appends cell c of column col. Returns 0 or -1 (out of memory). */
static int
xlsx_put_cell(struct xlsx_writer *xw, size_t col, const char *row,
    size_t row_len, const struct export_cell *c)
{
	struct buf *b = &xw->xw_xml, *t = &xw->xw_tmp;

	switch (c->ec_type) {
	case EXPORT_V_STRING:
		if (!c->ec_esc && memchr(c->ec_val, '\0', c->ec_len) == NULL)
			return xlsx_put_text(xw, col, row, row_len, c->ec_val,
			    c->ec_len);
		buf_reset(t);
		if (export_str_decode(t, c->ec_val, c->ec_len,
		    EXPORT_DEC_NUL_FFFD) == -1)
			return -1;
		return xlsx_put_text(xw, col, row, row_len, t->b_data,
		    t->b_len);
	case EXPORT_V_NUMBER:
		if (!xlsx_number_ok(c->ec_val, c->ec_len))
			return xlsx_put_text(xw, col, row, row_len, c->ec_val,
			    c->ec_len);
		return xlsx_put_ref(xw, col, row, row_len) == -1 ||
		    XLSX_LIT(b, "\"><v>") == -1 ||
		    buf_append(b, c->ec_val, c->ec_len) == -1 ||
		    XLSX_LIT(b, "</v></c>") == -1 ? -1 : 0;
	case EXPORT_V_TRUE:
	case EXPORT_V_FALSE:
		return xlsx_put_text(xw, col, row, row_len, c->ec_val,
		    c->ec_len);
	case EXPORT_V_NULL:
		return 0;
	case EXPORT_V_ARRAY:
	case EXPORT_V_OBJECT:
		buf_reset(t);
		if (export_json_minify(t, c->ec_val, c->ec_len) == -1)
			return -1;
		return xlsx_put_text(xw, col, row, row_len, t->b_data,
		    t->b_len);
	}
	return -1;
}

/*
 * Sends the sheet XML gathered so far into the zip stream when there is
 * XLSX_FLUSH of it, or any of it with all set. Returns 0 or -1.
 */
static int
xlsx_flush(struct xlsx_writer *xw, int all)
{
	struct buf *b = &xw->xw_xml;

	if (b->b_len == 0 || (!all && b->b_len < XLSX_FLUSH))
		return 0;
	if (export_zip_entry_write(xw->xw_zip, b->b_data, b->b_len) == -1)
		return xlsx_zip_fail(xw);
	buf_reset(b);
	return 0;
}

/* Ends the open sheet: its last rows and closing tags. Returns 0 or -1. */
static int
xlsx_sheet_end(struct xlsx_writer *xw)
{
	if (!xw->xw_open)
		return 0;
	xw->xw_open = 0;
	if (XLSX_LIT(&xw->xw_xml, xlsx_sheet_tail) == -1) {
		xlsx_fail(xw, "out of memory");
		return -1;
	}
	if (xlsx_flush(xw, 1) == -1)
		return -1;
	if (export_zip_entry_end(xw->xw_zip) == -1)
		return xlsx_zip_fail(xw);
	return 0;
}

/*
 * Appends the sheet's <dimension>, the range its cells span, when the
 * number of rows is known: as libxlsxwriter writes it, "A1" for a sheet
 * without cells. Readers that stream (openpyxl's read-only mode) take the
 * sheet's size from it. Returns 0 or -1.
 */
static int
xlsx_put_dimension(struct xlsx_writer *xw, int header)
{
	struct buf *b = &xw->xw_xml;
	uint64_t done = (uint64_t)(xw->xw_sheets - 1) * EXPORT_XLSX_SHEET_ROWS;
	uint64_t rows;

	if (xw->xw_rows_due == 0)
		return 0;
	if (!header || xw->xw_cells.ec_ncols == 0 || xw->xw_rows_due <= done)
		return XLSX_LIT(b, "<dimension ref=\"A1\"/>");
	rows = xw->xw_rows_due - done;
	if (rows > EXPORT_XLSX_SHEET_ROWS)
		rows = EXPORT_XLSX_SHEET_ROWS;
	return buf_printf(b, "<dimension ref=\"A1:%s%llu\"/>",
	    xw->xw_ref[xw->xw_cells.ec_ncols - 1], (unsigned long long)rows + 1);
}

/*
 * Starts the next sheet, with the header row of the columns when header
 * is set (the first sheet is the one selected). Returns 0 or -1.
 */
static int
xlsx_sheet_begin(struct xlsx_writer *xw, int header)
{
	struct buf *b = &xw->xw_xml;
	char name[64];
	const char *n;
	size_t len;

	if (xlsx_sheet_end(xw) == -1)
		return -1;
	snprintf(name, sizeof(name), XLSX_SHEET_PART "%u.xml",
	    ++xw->xw_sheets);
	if (export_zip_entry_begin(xw->xw_zip, name, UINT64_MAX,
	    xw->xw_mtime) == -1)
		return xlsx_zip_fail(xw);
	xw->xw_open = 1;
	xw->xw_sheet_rows = 0;
	if (XLSX_LIT(b, xlsx_sheet_head) == -1 ||
	    xlsx_put_dimension(xw, header) == -1 ||
	    XLSX_LIT(b, xlsx_sheet_head2) == -1 ||
	    (xw->xw_sheets == 1 && XLSX_LIT(b, " tabSelected=\"1\"") == -1) ||
	    XLSX_LIT(b, xlsx_sheet_head3) == -1)
		goto nomem;
	if (!header || xw->xw_cells.ec_ncols == 0)
		return 0;
	if (XLSX_LIT(b, "<row r=\"1\">") == -1)
		goto nomem;
	for (size_t i = 0; i < xw->xw_cells.ec_ncols; i++) {
		n = fieldset_name(xw->xw_cells.ec_cols, i, &len);
		if (memchr(n, '\0', len) != NULL)
			len = strlen(n);
		if (xlsx_put_text(xw, i, "1", 1, n, len) == -1)
			goto nomem;
	}
	if (XLSX_LIT(b, "</row>") == -1)
		goto nomem;
	return 0;
nomem:
	xlsx_fail(xw, "out of memory");
	return -1;
}

static int
xlsx_row(struct export_writer *w, const char *json, size_t len)
{
	struct xlsx_writer *xw = (struct xlsx_writer *)w;
	struct buf *b = &xw->xw_xml;
	uint64_t row = w->ew_rows + 1;
	char num[24];
	int nlen;

	if ((!xw->xw_open || xw->xw_sheet_rows == EXPORT_XLSX_SHEET_ROWS) &&
	    xlsx_sheet_begin(xw, 1) == -1)
		return -1;
	if (export_cells_scan(&xw->xw_cells, json, len, row) == -1) {
		snprintf(w->ew_err, sizeof(w->ew_err), "cannot read result "
		    "%llu: not a JSON object, or out of memory",
		    (unsigned long long)w->ew_rows);
		return -1;
	}
	/* Row 1 of each sheet is the header. */
	nlen = snprintf(num, sizeof(num), "%u", ++xw->xw_sheet_rows + 1);
	if (XLSX_LIT(b, "<row r=\"") == -1 ||
	    buf_append(b, num, (size_t)nlen) == -1 || XLSX_LIT(b, "\">") == -1)
		goto nomem;
	for (size_t i = 0; i < xw->xw_cells.ec_ncols; i++)
		if (xw->xw_cells.ec_cell[i].ec_row == row &&
		    xlsx_put_cell(xw, i, num, (size_t)nlen,
		    &xw->xw_cells.ec_cell[i]) == -1)
			goto nomem;
	if (XLSX_LIT(b, "</row>") == -1)
		goto nomem;
	w->ew_rows = row;
	return xlsx_flush(xw, 0);
nomem:
	strcpy(w->ew_err, "out of memory");
	return -1;
}

static inline uint32_t
rd16(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8;
}

static inline uint32_t
rd32(const unsigned char *p)
{
	return rd16(p) | rd16(p + 2) << 16;
}

/* Returns 1 when name is a sheet part: "xl/worksheets/sheetN.xml". */
static int
xlsx_is_sheet_part(const unsigned char *name, size_t len)
{
	size_t pre = sizeof(XLSX_SHEET_PART) - 1, i = pre;

	if (len < pre + 5 || memcmp(name, XLSX_SHEET_PART, pre) != 0 ||
	    memcmp(name + len - 4, ".xml", 4) != 0)
		return 0;
	for (; i < len - 4; i++)
		if (name[i] < '0' || name[i] > '9')
			return 0;
	return 1;
}

/*
 * Copies one part of libxlsxwriter's package (the zip in pkg, size bytes)
 * into the stream: cd is its central directory record. Returns 0 or -1.
 */
static int
xlsx_copy_part(struct xlsx_writer *xw, const unsigned char *pkg, size_t size,
    const unsigned char *cd, struct buf *name, struct buf *data)
{
	uint32_t method = rd16(cd + 10), crc = rd32(cd + 16);
	size_t csize = rd32(cd + 20), usize = rd32(cd + 24);
	size_t nlen = rd16(cd + 28), off = rd32(cd + 42), at;
	z_stream z;
	int rc;

	if (xlsx_is_sheet_part(cd + 46, nlen))
		return 0;		/* ours are in the stream already */
	if (off > size || size - off < 30 || rd32(pkg + off) != 0x04034b50u)
		return -1;
	at = off + 30 + rd16(pkg + off + 26) + rd16(pkg + off + 28);
	if (at > size || size - at < csize || usize > XLSX_PACKAGE_MAX)
		return -1;
	buf_reset(name);
	buf_reset(data);
	if (buf_append(name, cd + 46, nlen) == -1 ||
	    buf_reserve(data, usize + 1) == -1)
		return -1;
	if (method == 0 && csize == usize)
		memcpy(data->b_data, pkg + at, usize);
	else if (method == Z_DEFLATED) {
		memset(&z, 0, sizeof(z));
		if (inflateInit2(&z, -MAX_WBITS) != Z_OK)
			return -1;
		z.next_in = (Bytef *)(uintptr_t)(pkg + at);
		z.avail_in = (uInt)csize;
		z.next_out = (Bytef *)data->b_data;
		z.avail_out = (uInt)usize + 1;
		rc = inflate(&z, Z_FINISH);
		inflateEnd(&z);
		if (rc != Z_STREAM_END || z.total_out != usize)
			return -1;
	} else
		return -1;
	if (crc32(0, (const Bytef *)data->b_data, (uInt)usize) != crc)
		return -1;
	if (export_zip_entry_begin(xw->xw_zip, name->b_data, usize,
	    xw->xw_mtime) == -1 ||
	    export_zip_entry_write(xw->xw_zip, data->b_data, usize) == -1 ||
	    export_zip_entry_end(xw->xw_zip) == -1)
		return xlsx_zip_fail(xw);
	return 0;
}

/*
 * Reads the package file fd (size bytes) and copies its parts other than
 * the sheets into the stream. Returns 0 or -1 with the reason set.
 */
static int
xlsx_copy_package(struct xlsx_writer *xw, int fd, size_t size)
{
	struct buf pkg = BUF_INIT, name = BUF_INIT, data = BUF_INIT;
	const unsigned char *p, *cd;
	size_t got = 0, n, cd_off, i;
	ssize_t r;
	int rc = -1;

	if (size < 22 || size > XLSX_PACKAGE_MAX ||
	    buf_reserve(&pkg, size) == -1)
		goto bad;
	while (got < size) {
		r = read(fd, pkg.b_data + got, size - got);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			goto bad;
		got += (size_t)r;
	}
	p = (const unsigned char *)pkg.b_data;
	/* The end record: the last 22 bytes, as libxlsxwriter writes no
	 * archive comment. */
	cd = p + size - 22;
	if (rd32(cd) != 0x06054b50u)
		goto bad;
	n = rd16(cd + 10);
	cd_off = rd32(cd + 16);
	for (i = 0; i < n; i++) {
		if (cd_off > size || size - cd_off < 46 ||
		    rd32(p + cd_off) != 0x02014b50u)
			goto bad;
		cd = p + cd_off;
		if (size - cd_off - 46 < rd16(cd + 28))
			goto bad;
		if (xlsx_copy_part(xw, p, size, cd, &name, &data) == -1) {
			if (xw->xw_w.ew_err[0] == '\0')
				goto bad;
			goto out;
		}
		cd_off += 46 + rd16(cd + 28) + rd16(cd + 30) + rd16(cd + 32);
	}
	rc = 0;
	goto out;
bad:
	xlsx_fail(xw, "cannot read the workbook parts libxlsxwriter made");
out:
	buf_free(&pkg);
	buf_free(&name);
	buf_free(&data);
	return rc;
}

/*
 * Has libxlsxwriter make a workbook of xw_sheets empty sheets in the
 * temporary file, then copies its other parts into the stream. Returns 0
 * or -1 with the reason set.
 */
static int
xlsx_package(struct xlsx_writer *xw)
{
	lxw_workbook_options wo;
	lxw_workbook *wb;
	lxw_error e;
	struct stat sb;
	int fd, rc;

	memset(&wo, 0, sizeof(wo));
	wo.tmpdir = xw->xw_tmpdir;
	if ((wb = workbook_new_opt(xw->xw_path, &wo)) == NULL) {
		xlsx_fail(xw, "cannot start the workbook");
		return -1;
	}
	for (unsigned i = 0; i < xw->xw_sheets; i++)
		if (workbook_add_worksheet(wb, NULL) == NULL) {
			workbook_close(wb);
			xlsx_fail(xw, "cannot add a worksheet");
			return -1;
		}
	if ((e = workbook_close(wb)) != LXW_NO_ERROR) {	/* frees wb */
		snprintf(xw->xw_w.ew_err, sizeof(xw->xw_w.ew_err),
		    "cannot write the workbook: %s", lxw_strerror(e));
		return -1;
	}
	fd = open(xw->xw_path, O_RDONLY | O_CLOEXEC);
	unlink(xw->xw_path);
	free(xw->xw_path);
	xw->xw_path = NULL;
	if (fd == -1 || fstat(fd, &sb) == -1) {
		snprintf(xw->xw_w.ew_err, sizeof(xw->xw_w.ew_err),
		    "cannot read the workbook back: %s", strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	rc = xlsx_copy_package(xw, fd, (size_t)sb.st_size);
	close(fd);
	return rc;
}

static int
xlsx_finish(struct export_writer *w)
{
	struct xlsx_writer *xw = (struct xlsx_writer *)w;

	/* An export without rows is one empty sheet. */
	if (xw->xw_sheets == 0 && xlsx_sheet_begin(xw, 0) == -1)
		return -1;
	if (xlsx_sheet_end(xw) == -1 || xlsx_package(xw) == -1)
		return -1;
	if (export_zip_finish(xw->xw_zip) == -1)
		return xlsx_zip_fail(xw);
	return 0;
}

static void
xlsx_free(struct export_writer *w)
{
	struct xlsx_writer *xw = (struct xlsx_writer *)w;

	if (xw == NULL)
		return;
	export_zip_free(xw->xw_zip);
	if (xw->xw_path) {
		unlink(xw->xw_path);
		free(xw->xw_path);
	}
	free(xw->xw_tmpdir);
	buf_free(&xw->xw_xml);
	export_cells_free(&xw->xw_cells);
	buf_free(&xw->xw_tmp);
	free(xw->xw_ref);
	free(xw);
}

/* Fills ref[i] with the letters of column i: A..Z, AA..ZZ, AAA.. */
static void
xlsx_refs(char (*ref)[4], size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char tmp[4];
		size_t k = 0, v = i + 1;

		while (v > 0 && k < 3) {
			tmp[k++] = (char)('A' + (v - 1) % 26);
			v = (v - 1) / 26;
		}
		for (size_t j = 0; j < k; j++)
			ref[i][j] = tmp[k - 1 - j];
		ref[i][k] = '\0';
	}
}

struct export_writer *
export_xlsx_new(const struct export_sink *sink, const struct export_opts *o,
    char *err, size_t errlen)
{
	struct xlsx_writer *xw = calloc(1, sizeof(*xw));
	struct buf path = BUF_INIT;
	size_t n;
	int fd;

	if (xw == NULL)
		goto nomem;
	n = o->eo_cols ? fieldset_count(o->eo_cols) : 0;
	if (n > EXPORT_XLSX_COLS_MAX)
		n = EXPORT_XLSX_COLS_MAX;
	if (export_cells_init(&xw->xw_cells, o->eo_cols, n) == -1 ||
	    (xw->xw_ref = calloc(n ? n : 1, sizeof(*xw->xw_ref))) == NULL ||
	    (xw->xw_tmpdir = strdup(o->eo_tmpdir)) == NULL ||
	    buf_reserve(&xw->xw_xml, XLSX_FLUSH + 4096) == -1)
		goto nomem;
	xlsx_refs(xw->xw_ref, xw->xw_cells.ec_ncols);
	xw->xw_mtime = time(NULL);
	xw->xw_rows_due = o->eo_rows;
	/* The package's file is reserved now, so that a temporary directory
	 * that does not work fails the download before it starts. */
	if (buf_printf(&path, "%s/" XLSX_TMP_PREFIX "%ld-XXXXXX"
	    XLSX_TMP_SUFFIX, o->eo_tmpdir, (long)getpid()) == -1)
		goto nomem;
	if ((fd = mkstemps(path.b_data, (int)strlen(XLSX_TMP_SUFFIX))) == -1) {
		snprintf(err, errlen, "cannot create a temporary file in %s: "
		    "%s", o->eo_tmpdir, strerror(errno));
		goto fail;
	}
	close(fd);
	xw->xw_path = path.b_data;
	path.b_data = NULL;
	if ((xw->xw_zip = export_zip_new(sink, XLSX_ZIP_LEVEL,
	    o->eo_threads)) == NULL)
		goto nomem;
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
