/* export.h - result exports: event scan, JSON/CSV/XLSX writers, zip stream. */
#ifndef AR_EXPORT_H
#define AR_EXPORT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "common/buf.h"

struct fieldset;

/*
 * Where a writer sends its bytes. es_write returns 0, or -1 to stop (the
 * client left, a write failed); after a -1 the writer sends nothing more.
 */
struct export_sink {
	int (*es_write)(void *arg, const void *data, size_t len);
	void *es_arg;
};

/* Size of the chunks writers hand to their sink. */
#define EXPORT_CHUNK (64 * 1024)

/* ------------------------------------------------------------ event scan */

/* The kind of a leaf value of an event. */
enum export_vtype {
	EXPORT_V_STRING,
	EXPORT_V_NUMBER,
	EXPORT_V_TRUE,
	EXPORT_V_FALSE,
	EXPORT_V_NULL,
	EXPORT_V_ARRAY,		/* any array: a leaf, written as JSON text */
	EXPORT_V_OBJECT,	/* an empty object, or one nested too deep */
};

/*
 * One leaf of an event, as export_scan_event() reports it. Pointers borrow
 * the event text and the scan's name buffer: valid during the callback.
 */
struct export_leaf {
	const char *el_name;	/* dotted name, decoded, NUL-terminated */
	size_t el_name_len;
	enum export_vtype el_type;
	const char *el_val;	/* STRING: the text between the quotes, still
				 * escaped; others: the JSON text of the value */
	size_t el_val_len;
	int el_escaped;		/* STRING: el_val holds backslash escapes */
};

/* Objects nested deeper than this are leaves (EXPORT_V_OBJECT). */
#define EXPORT_SCAN_MAX_DEPTH 32

/*
 * Walks the event json (len bytes: one JSON object) and calls cb for each
 * leaf in text order: nested non-empty objects flatten to dotted names
 * ("process.parent.name"), everything else is a leaf. name is the scratch
 * buffer for the dotted names (reused between calls). Stops when cb returns
 * nonzero. Returns 0; cb's nonzero value when it stopped the walk; or -1
 * when the text is not a JSON object (some leaves may have been reported
 * already) or memory runs out. Strings are not checked for valid UTF-8 or
 * raw control characters: they are data, and the writers pass them on.
 */
int export_scan_event(const char *json, size_t len, struct buf *name,
    int (*cb)(void *arg, const struct export_leaf *), void *arg);

/* Flags of export_str_decode(). */
#define EXPORT_DEC_NUL_FFFD 0x1	/* \u0000 becomes U+FFFD (C strings) */

/*
 * Appends to out the UTF-8 text of the JSON string body s (len bytes, the
 * part between the quotes). Bad escapes and lone surrogates become U+FFFD.
 * Returns 0, or -1 out of memory.
 */
int export_str_decode(struct buf *out, const char *s, size_t len, int flags);

/*
 * Appends to out the JSON text s (len bytes) without the white space
 * outside strings. Returns 0, or -1 out of memory.
 */
int export_json_minify(struct buf *out, const char *s, size_t len);

/* ----------------------------------------------- column sets (fields.c) */
/* fields.h declares the set; these are the writers' side of it. */

/* Number of names in the set. */
size_t fieldset_count(const struct fieldset *);
/* Name i (0-based, in order of first appearance) and its length. */
const char *fieldset_name(const struct fieldset *, size_t i, size_t *len);
/* How many names were refused because the set was full. */
size_t fieldset_dropped(const struct fieldset *);
/* Returns the index of name (len bytes) in the set, or -1. */
long fieldset_lookup(const struct fieldset *, const char *name, size_t len);
/*
 * Adds one name when it is new and there is room. Returns 1 when added, 0
 * when already there or the set is full (counted as dropped), -1 out of
 * memory.
 */
int fieldset_add_name(struct fieldset *, const char *name, size_t len);
/*
 * Builds a set from the JSON array of names that fieldset_encode() wrote.
 * Returns the set (caller frees), or NULL when the text is not such an
 * array or memory runs out.
 */
struct fieldset *fieldset_decode(const char *json, size_t len,
    size_t max_fields);

/* ------------------------------------------------------ cells (cells.c) */

/* The value of one column in the row being written (borrowed from it). */
struct export_cell {
	uint64_t ec_row;	/* the row it belongs to: stale cells are blank */
	const char *ec_val;	/* as export_leaf's el_val */
	size_t ec_len;
	enum export_vtype ec_type;
	int ec_esc;		/* STRING: ec_val holds backslash escapes */
};

/*
 * A row's cells by column, for the writers that have columns (CSV, XLSX).
 * Owned by the writer: export_cells_init, then export_cells_scan for each
 * row, export_cells_free at the end.
 */
struct export_cells {
	const struct fieldset *ec_cols;
	size_t ec_ncols;		/* columns used (a writer's limit) */
	struct export_cell *ec_cell;	/* ec_ncols of them */
	uint64_t ec_row;		/* the row scanned last */
	long *ec_pred;			/* column of the k-th leaf last time */
	size_t ec_npred;
	size_t ec_leaf;
	struct buf ec_name;		/* the scan's dotted names */
};

/*
 * Prepares cells for the first ncols columns of cols (borrowed: it must
 * outlive them). Returns 0, or -1 out of memory.
 */
int export_cells_init(struct export_cells *, const struct fieldset *cols,
    size_t ncols);
/*
 * Fills the cells of row number row (from 1) from the event json (len
 * bytes, which must stay put while the cells are used): afterwards column
 * i has a value in this row when ec_cell[i].ec_row == row. Leaves of
 * names that are not among the columns are left out. Returns 0, or -1
 * when json is not a JSON object or memory ran out.
 */
int export_cells_scan(struct export_cells *, const char *json, size_t len,
    uint64_t row);
void export_cells_free(struct export_cells *);

/* ------------------------------------------------------------- writers */

/*
 * A writer turns events (JSON object texts) into one export file and sends
 * it to its sink. Each function returns 0, or -1 with ew_err set; ew_gone
 * is set when the -1 came from the sink (the client left), and then the
 * writer must only be freed. ew_row may be called any number of times, then
 * ew_finish once (it completes the file and flushes it to the sink), then
 * ew_free, which is also the way to abandon a writer at any point: it frees
 * everything and removes any temporary file.
 */
struct export_writer {
	int (*ew_row)(struct export_writer *, const char *json, size_t len);
	int (*ew_finish)(struct export_writer *);
	void (*ew_free)(struct export_writer *);
	uint64_t ew_rows;	/* rows written so far */
	int ew_gone;
	char ew_err[256];
};

/* What the writers need besides the sink. */
struct export_opts {
	const struct fieldset *eo_cols;	/* csv, xlsx: the columns (borrowed,
					 * must outlive the writer) */
	int eo_formula_guard;		/* csv: prefix risky text and names
					 * with ' */
	const char *eo_tmpdir;		/* xlsx: an existing directory for the
					 * temporary file (mode 0700) */
	int eo_threads;			/* xlsx: deflate threads (export_zip) */
	uint64_t eo_rows;		/* xlsx: the rows that will be written,
					 * for the sheets' dimensions; 0 when
					 * not known (none are written) */
};

/*
 * Returns a JSON writer: "[", then one event per line, "]" on its own line
 * (an empty export is "[]"). Events are sent as they are, except that line breaks
 * outside strings become spaces so each event stays on its line. NULL out
 * of memory.
 */
struct export_writer *export_json_new(const struct export_sink *,
    const struct export_opts *);

/*
 * Returns a CSV writer (RFC 4180, CRLF): a header row of the columns, then
 * one row per event. Nested objects flatten to dotted names, arrays and
 * empty objects are JSON text, missing values and null are empty, numbers
 * are their JSON text, booleans true/false. With eo_formula_guard, a text
 * value (a JSON string) starting with = + - @ tab or CR gets a ' in front,
 * and so does such a header name ("@timestamp" becomes "'@timestamp").
 * An export without rows is empty (not even a header). Values of names
 * that are not columns are left out. NULL out of memory.
 */
struct export_writer *export_csv_new(const struct export_sink *,
    const struct export_opts *);

/* Sheets hold the header and this many rows; the rest go to new sheets. */
#define EXPORT_XLSX_SHEET_ROWS 1048575u
/* Excel's limits: characters (UTF-16 units) in a cell, columns in a sheet. */
#define EXPORT_XLSX_CELL_MAX 32767
#define EXPORT_XLSX_COLS_MAX 16384
/* What ends a text cell cut at the cell limit. */
#define EXPORT_XLSX_TRUNCATED "...[truncated]"

/*
 * Returns an XLSX writer: the package streams to the sink as a zip made as
 * it goes (deflate level 1): each sheet's XML row by row, as libxlsxwriter's
 * constant-memory mode writes it, then, in ew_finish, the other parts of
 * the package, which libxlsxwriter makes for that many sheets into a small
 * temporary file in eo_tmpdir. That file is reserved when the writer is
 * made (so an unusable eo_tmpdir fails before anything is sent), unlinked
 * as soon as it is read, and removed by ew_free in every other outcome;
 * only a crash leaves it behind (export_xlsx_sweep() removes those). Cells: the
 * header row on each sheet; numbers numeric (integers beyond +-2^53 and
 * numbers a double cannot hold are text), everything else text, null and
 * missing blank; text over EXPORT_XLSX_CELL_MAX is cut and ends with
 * EXPORT_XLSX_TRUNCATED; an export without rows is one empty sheet.
 * Returns NULL with a reason in err (the file cannot be created, out of
 * memory).
 */
struct export_writer *export_xlsx_new(const struct export_sink *,
    const struct export_opts *, char *err, size_t errlen);

/*
 * Removes temporary files in dir left by xlsx writers of processes that
 * no longer exist. Returns how many were removed.
 */
int export_xlsx_sweep(const char *dir);

/* ---------------------------------------------------- output buffering */

/*
 * A buffer in front of a sink: writers append to eo_buf and call
 * export_out_maybe_flush() after each row. Owned by the writer.
 */
struct export_out {
	struct buf eo_buf;
	struct export_sink eo_sink;
	int eo_failed;		/* the sink returned -1 */
};

void export_out_init(struct export_out *, const struct export_sink *);
/* Sends the buffered bytes. Returns 0, or -1 once the sink failed. */
int export_out_flush(struct export_out *);
/* Flushes when EXPORT_CHUNK bytes or more are buffered. Same returns. */
int export_out_maybe_flush(struct export_out *);
/*
 * For the writer w that owns o: flushes o, all of it when all is set, else
 * as export_out_maybe_flush(). Returns 0, or -1 with ew_gone set and ew_err
 * "the client went away" once the sink failed.
 */
int export_out_writer_flush(struct export_writer *w, struct export_out *o,
    int all);
void export_out_free(struct export_out *);

/* ------------------------------------------------------- zip stream */

struct export_zip;

/*
 * Returns a zip writer sending the archive to out as it is made: entries
 * are raw deflate at level (0-9) with data descriptors, so nothing is
 * seeked back and no entry is held whole. threads worker threads deflate
 * (pdeflate.h; 0: the caller's thread). ZIP64 records are written only
 * for an entry or archive past 4 GiB. NULL out of memory.
 */
struct export_zip *export_zip_new(const struct export_sink *out, int level,
    int threads);

/*
 * Starts entry name (UTF-8, flagged as such when not ASCII), modified at
 * mtime. size is its uncompressed length when known in advance (ZIP64 is
 * then announced in the local header when it needs it), else UINT64_MAX.
 * Returns 0, or -1 (sink failed, out of memory, an entry is open).
 */
int export_zip_entry_begin(struct export_zip *, const char *name,
    uint64_t size, time_t mtime);
/* Compresses len bytes into the open entry. Returns 0 or -1. */
int export_zip_entry_write(struct export_zip *, const void *data, size_t len);
/* Ends the open entry (data descriptor). Returns 0 or -1. */
int export_zip_entry_end(struct export_zip *);
/*
 * Ends any open entry, writes the central directory and flushes.
 * Returns 0 or -1.
 */
int export_zip_finish(struct export_zip *);
/* Returns 1 when the failure came from the sink (the client left). */
int export_zip_gone(const struct export_zip *);
void export_zip_free(struct export_zip *);
/* Fills sink so that writing to it writes into the open entry. */
void export_zip_sink(struct export_zip *, struct export_sink *sink);
/*
 * Tests only: treats sizes and offsets >= limit as not fitting 32 bits
 * (default 0xFFFFFFFF), to exercise the ZIP64 records on small archives.
 */
void export_zip_set_zip64_limit(struct export_zip *, uint64_t limit);

/* ------------------------------------------------------- file names */

/*
 * Returns the cleaned base name of a download (malloc'd, caller frees;
 * NULL out of memory): path separators, quotes, control characters
 * (C0, DEL, C1, line/paragraph separators, bidirectional overrides) and
 * invalid UTF-8 are dropped, then leading dots; the result is cut to at
 * most max_bytes bytes without splitting a UTF-8 sequence; an empty result
 * becomes "results".
 */
char *export_file_name_clean(const char *name, size_t len, size_t max_bytes);

/*
 * Returns the value of a Content-Disposition header for the file
 * base.ext (base already cleaned): attachment; filename="..." with non-ASCII
 * characters replaced by '_', plus filename*=UTF-8''... (RFC 5987) when
 * base is not ASCII. malloc'd, caller frees; NULL out of memory.
 */
char *export_content_disposition(const char *base, const char *ext);

#endif
