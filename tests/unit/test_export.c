/* test_export.c - column sets, JSON/CSV/XLSX writers, the zip stream, file names. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <xlsxwriter.h>
#include <zlib.h>

#include "common/buf.h"
#include "export/export.h"
#include "export/fields.h"
#include "tap.h"

/* ------------------------------------------------------------ helpers */

/* A sink that collects everything in a buffer, failing after fail_after. */
struct mem_sink {
	struct buf ms_buf;
	size_t ms_fail_after;	/* 0: never */
};

static int
mem_write(void *arg, const void *data, size_t len)
{
	struct mem_sink *m = arg;

	if (m->ms_fail_after && m->ms_buf.b_len + len > m->ms_fail_after)
		return -1;
	return buf_append(&m->ms_buf, data, len);
}

static void
mem_sink_init(struct mem_sink *m, struct export_sink *s)
{
	memset(m, 0, sizeof(*m));
	s->es_write = mem_write;
	s->es_arg = m;
}

/* The set's names joined with '|'. */
static char *
names(const struct fieldset *fs)
{
	static char out[4096];
	size_t o = 0, len;
	const char *n;

	out[0] = '\0';
	for (size_t i = 0; i < fieldset_count(fs); i++) {
		n = fieldset_name(fs, i, &len);
		if (o + len + 2 >= sizeof(out))
			break;
		if (i)
			out[o++] = '|';
		memcpy(out + o, n, len);
		o += len;
		out[o] = '\0';
	}
	return out;
}

static int
add(struct fieldset *fs, const char *json)
{
	return fieldset_add_event(fs, json, strlen(json));
}

static unsigned
rd16(const unsigned char *p)
{
	return (unsigned)p[0] | (unsigned)p[1] << 8;
}

static uint32_t
rd32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

static uint64_t
rd64(const unsigned char *p)
{
	return rd32(p) | (uint64_t)rd32(p + 4) << 32;
}

/* Inflates raw deflate data; returns a malloc'd copy and its length. */
static char *
inflate_raw(const unsigned char *in, size_t len, size_t *outlen)
{
	z_stream z;
	size_t cap = 1 << 16;
	char *out = malloc(cap);
	int rc;

	memset(&z, 0, sizeof(z));
	inflateInit2(&z, -MAX_WBITS);
	z.next_in = (Bytef *)(uintptr_t)in;
	z.avail_in = (uInt)len;
	z.next_out = (Bytef *)out;
	z.avail_out = (uInt)cap;
	rc = inflate(&z, Z_FINISH);
	*outlen = cap - z.avail_out;
	inflateEnd(&z);
	if (rc != Z_STREAM_END) {
		free(out);
		return NULL;
	}
	return out;
}

/* Writes data to a new file in dir; returns its path (static). */
static const char *
save(const char *dir, const char *name, const void *data, size_t len)
{
	static char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "wb")) == NULL)
		return NULL;
	fwrite(data, 1, len, f);
	fclose(f);
	return path;
}

/* Runs a shell command quietly; returns its exit status, -1 if not run. */
static int
run(const char *fmt, const char *arg)
{
	char cmd[1024];
	int rc;

	snprintf(cmd, sizeof(cmd), fmt, arg);
	rc = system(cmd);
	return rc == -1 ? -1 : WEXITSTATUS(rc);
}

static int
have(const char *prog)
{
	return run("command -v %s >/dev/null 2>&1", prog) == 0;
}

static int
count_fds(void)
{
	return tap_count_dir("/proc/self/fd");
}

/* ------------------------------------------------------------ tests */

static void
test_fields(void)
{
	struct fieldset *fs = fieldset_new(100), *fs2;
	char *enc, deep[512];
	size_t len;
	int i;

	is_int(add(fs, "{\"a\":1,\"b\":{\"c\":\"x\",\"d\":{\"e\":true}},"
	    "\"f\":[1,{\"g\":2}],\"h\":null,\"i\":{},\"j\":-0.5e+3}"), 0,
	    "fields: nested event scans");
	is_str(names(fs), "a|b.c|b.d.e|f|h|i|j",
	    "fields: nested objects flatten to dotted names, arrays and {} "
	    "are leaves");
	add(fs, "{\"z\":1,\"a\":2,\"b\":{\"y\":0}}");
	is_str(names(fs), "a|b.c|b.d.e|f|h|i|j|z|b.y",
	    "fields: order of first appearance across events");
	ok(fieldset_dirty(fs), "fields: dirty after new names");
	enc = fieldset_encode(fs, &len);
	is_str(enc, "[\"a\",\"b.c\",\"b.d.e\",\"f\",\"h\",\"i\",\"j\",\"z\","
	    "\"b.y\"]", "fields: encode as a JSON array");
	is_int(len, strlen(enc), "fields: encoded length");
	ok(!fieldset_dirty(fs), "fields: encode clears dirty");
	add(fs, "{\"a\":5,\"b\":{\"c\":\"again\"}}");
	ok(!fieldset_dirty(fs), "fields: known names leave it clean");
	free(enc);
	fieldset_free(fs);

	fs = fieldset_new(100);
	is_int(add(fs, " { \"a\" : { \"b\" : 1 } ,\n\t\"c\" : [ 1 , \"]\" ] ,"
	    "\"s\":\"}{\\\"\" } "), 0, "fields: white space and brackets "
	    "inside strings");
	is_str(names(fs), "a.b|c|s", "fields: names despite white space");
	add(fs, "{\"q\\\"k\":1,\"\\u00e9t\\u00e9\":2,\"c\\\\d\":3,"
	    "\"\\ud83d\\ude80\":4}");
	is_str(names(fs), "a.b|c|s|q\"k|\xc3\xa9t\xc3\xa9|c\\d|\xf0\x9f\x9a\x80",
	    "fields: escaped keys are decoded (quotes, \\u, surrogates)");
	enc = fieldset_encode(fs, &len);
	is_str(enc, "[\"a.b\",\"c\",\"s\",\"q\\\"k\",\"\xc3\xa9t\xc3\xa9\","
	    "\"c\\\\d\",\"\xf0\x9f\x9a\x80\"]", "fields: encode escapes");
	fs2 = fieldset_decode(enc, len, 100);
	ok(fs2 != NULL, "fields: decode the encoded list");
	if (fs2) {
		is_str(names(fs2), names(fs), "fields: decode round trip");
		is_int(fieldset_lookup(fs2, "q\"k", 3), 3, "fields: lookup");
		is_int(fieldset_lookup(fs2, "nope", 4), -1,
		    "fields: lookup of an unknown name");
	}
	fieldset_free(fs2);
	free(enc);
	ok(fieldset_decode("{\"a\":1}", 7, 10) == NULL,
	    "fields: decode refuses a non-array");
	ok(fieldset_decode("[1]", 3, 10) == NULL,
	    "fields: decode refuses non-strings");
	fieldset_free(fs);

	fs = fieldset_new(100);
	is_int(add(fs, "[1,2]"), -1, "fields: an array is not an event");
	is_int(add(fs, "{\"a\":}"), -1, "fields: missing value");
	is_int(add(fs, "{\"a\":1"), -1, "fields: unterminated object");
	is_int(add(fs, "{\"a\":1} x"), -1, "fields: trailing garbage");
	is_int(add(fs, "{\"a\":\"x}"), -1, "fields: unterminated string");
	is_int(add(fs, ""), -1, "fields: empty text");
	is_int(add(fs, "{\"a\":tru}"), -1, "fields: bad literal");
	is_int(add(fs, "{}"), 0, "fields: empty object is an event");
	fieldset_free(fs);

	fs = fieldset_new(2);
	add(fs, "{\"a\":1,\"b\":2,\"c\":3}");
	is_str(names(fs), "a|b", "fields: max_fields bounds the set");
	is_int(fieldset_dropped(fs), 1, "fields: the rest is counted dropped");
	fieldset_free(fs);

	/* Deeper than the scan's limit: the rest is one leaf. */
	fs = fieldset_new(100);
	strcpy(deep, "{");
	for (i = 0; i < EXPORT_SCAN_MAX_DEPTH + 3; i++)
		strcat(deep, "\"k\":{");
	strcat(deep, "\"v\":1");
	for (i = 0; i < EXPORT_SCAN_MAX_DEPTH + 3; i++)
		strcat(deep, "}");
	strcat(deep, "}");
	is_int(add(fs, deep), 0, "fields: very deep nesting scans");
	is_int(fieldset_count(fs), 1, "fields: it ends in one leaf");
	fieldset_free(fs);

	/* Many names: the hash table grows and still finds each one. */
	fs = fieldset_new(100000);
	for (i = 0; i < 5000; i++) {
		char ev[64];

		snprintf(ev, sizeof(ev), "{\"f%d\":%d}", i, i);
		add(fs, ev);
	}
	is_int(fieldset_count(fs), 5000, "fields: 5000 names kept");
	for (i = 0; i < 5000; i++) {
		char n[16];

		snprintf(n, sizeof(n), "f%d", i);
		if (fieldset_lookup(fs, n, strlen(n)) != i)
			break;
	}
	is_int(i, 5000, "fields: each of 5000 names found at its index");
	fieldset_free(fs);
}

static void
test_decode(void)
{
	struct buf b = BUF_INIT;

	export_str_decode(&b, "a\\\"b\\\\c\\/d\\n\\t\\u00e9\\ud83d\\ude80",
	    strlen("a\\\"b\\\\c\\/d\\n\\t\\u00e9\\ud83d\\ude80"), 0);
	is_str(b.b_data, "a\"b\\c/d\n\t\xc3\xa9\xf0\x9f\x9a\x80",
	    "decode: escapes and a surrogate pair");
	buf_reset(&b);
	export_str_decode(&b, "x\\ud800y", 8, 0);
	is_str(b.b_data, "x\xef\xbf\xbdy", "decode: lone surrogate is U+FFFD");
	buf_reset(&b);
	export_str_decode(&b, "\\u0000", 6, EXPORT_DEC_NUL_FFFD);
	is_str(b.b_data, "\xef\xbf\xbd", "decode: NUL as U+FFFD when asked");
	buf_reset(&b);
	/* A backslash before a multibyte character: one U+FFFD for both,
	 * no stray continuation byte (found by tests/fuzz export_scan). */
	export_str_decode(&b, "a\\\xc3\xa9" "b\\\xe2\x82\xac", 9, 0);
	is_str(b.b_data, "a\xef\xbf\xbd" "b\xef\xbf\xbd",
	    "decode: a bad escape of a multibyte character is one U+FFFD");
	buf_reset(&b);
	export_json_minify(&b, "[ 1 ,\n \"a b\" , { \"c\" : null } ]", 31);
	is_str(b.b_data, "[1,\"a b\",{\"c\":null}]",
	    "minify: white space outside strings only");
	buf_free(&b);
}

/* Runs events through a writer into memory; returns the output. */
static char *
export_events(struct export_writer *(*mk)(const struct export_sink *,
    const struct export_opts *), const struct fieldset *cols, int guard,
    const char *const *events, size_t *outlen)
{
	struct mem_sink m;
	struct export_sink s;
	struct export_opts o = {.eo_cols = cols, .eo_formula_guard = guard};
	struct export_writer *w;
	int rc = 0;

	mem_sink_init(&m, &s);
	w = mk(&s, &o);
	for (size_t i = 0; events[i]; i++)
		rc |= w->ew_row(w, events[i], strlen(events[i]));
	rc |= w->ew_finish(w);
	w->ew_free(w);
	if (rc) {
		buf_free(&m.ms_buf);
		return NULL;
	}
	*outlen = m.ms_buf.b_len;
	return m.ms_buf.b_data ? m.ms_buf.b_data : strdup("");
}

static struct fieldset *
cols_of(const char *const *events)
{
	struct fieldset *fs = fieldset_new(1000);

	for (size_t i = 0; events[i]; i++)
		add(fs, events[i]);
	return fs;
}

static void
test_csv(void)
{
	static const char *const ev[] = {
		"{\"s\":\"plain\",\"q\":\"say \\\"hi\\\"\",\"n\":-1.5e3,"
		    "\"t\":true,\"f\":false,\"z\":null,\"arr\":[1, \"a,b\"],"
		    "\"o\":{\"p\":\"x\"}}",
		"{\"s\":\"=1+2\",\"q\":\"line1\\nline2\",\"o\":{\"p\":\"+x\"},"
		    "\"extra\":\"-y\"}",
		"{\"s\":\"@x\",\"q\":\"\\tx\",\"extra\":\"\\rz\",\"n\":-7,"
		    "\"arr\":[],\"e\":{}}",
		"{\"s\":\"caf\\u00e9 \xe2\x82\xac\",\"q\":\"a,b\"}",
		NULL,
	};
	static const char *const none[] = {NULL};
	/* Names made from event values (timechart ... by f) or ingested
	 * keys: each formula starter, a quote to double, a plain name. */
	static const char *const risky_head[] = {
		"{\"=HYPERLINK(\\\"http://x\\\",\\\"y\\\")\":1,\"+a\":2,"
		    "\"-b\":3,\"@timestamp\":4,\"\\tc\":5,\"\\rd\":6,\"ok\":7}",
		NULL};
	struct fieldset *cols = cols_of(ev);
	char *out;
	size_t len;

	out = export_events(export_csv_new, cols, 1, ev, &len);
	is_str(out,
	    "s,q,n,t,f,z,arr,o.p,extra,e\r\n"
	    "plain,\"say \"\"hi\"\"\",-1.5e3,true,false,,\"[1,\"\"a,b\"\"]\",x,,"
	    "\r\n"
	    "'=1+2,\"line1\nline2\",,,,,,'+x,'-y,\r\n"
	    "'@x,'\tx,-7,,,,[],,\"'\rz\",{}\r\n"
	    "caf\xc3\xa9 \xe2\x82\xac,\"a,b\",,,,,,,,\r\n",
	    "csv: header, quoting, CRLF, guard, numbers, booleans, arrays, "
	    "missing");
	free(out);
	out = export_events(export_csv_new, cols, 0, ev + 1, &len);
	ok(out && strncmp(out, "s,q,n,t,f,z,arr,o.p,extra,e\r\n=1+2,", 34) == 0,
	    "csv: no guard when export.csv_formula_guard is off");
	free(out);
	out = export_events(export_csv_new, cols, 1, none, &len);
	ok(out && len == 0, "csv: no rows is an empty file");
	free(out);
	fieldset_free(cols);
	cols = cols_of(risky_head);
	out = export_events(export_csv_new, cols, 1, risky_head, &len);
	is_str(out, "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\",'+a,'-b,"
	    "'@timestamp,'\tc,\"'\rd\",ok\r\n1,2,3,4,5,6,7\r\n",
	    "csv: header names get the values' formula guard");
	free(out);
	out = export_events(export_csv_new, cols, 0, risky_head, &len);
	is_str(out, "\"=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\",+a,-b,"
	    "@timestamp,\tc,\"\rd\",ok\r\n1,2,3,4,5,6,7\r\n",
	    "csv: and are written as they are with the guard off");
	free(out);
	fieldset_free(cols);
}

static void
test_json(void)
{
	static const char *const ev[] = {"{\"a\":1}", "{\"b\":\n\"x\"}", NULL};
	static const char *const none[] = {NULL};
	char *out;
	size_t len;

	out = export_events(export_json_new, NULL, 0, ev, &len);
	is_str(out, "[\n{\"a\":1},\n{\"b\": \"x\"}\n]",
	    "json: an array, one event per line");
	free(out);
	out = export_events(export_json_new, NULL, 0, none, &len);
	is_str(out, "[]", "json: no rows is []");
	free(out);
}

static void
test_client_gone(void)
{
	static const char row[] = "{\"a\":\"0123456789012345678901234567890\"}";
	struct mem_sink m;
	struct export_sink s;
	struct export_opts o = {.eo_cols = NULL};
	struct export_writer *w;
	int rc = 0, i;

	mem_sink_init(&m, &s);
	m.ms_fail_after = 1;
	w = export_json_new(&s, &o);
	for (i = 0; i < 100000 && rc == 0; i++)
		rc = w->ew_row(w, row, strlen(row));
	ok(rc == -1 && w->ew_gone, "json: a failing sink stops the writer "
	    "as gone");
	ok(i < 100000 && i * (int)sizeof(row) < 3 * EXPORT_CHUNK,
	    "json: it stops within a few chunks");
	w->ew_free(w);
	buf_free(&m.ms_buf);
}

/* Parses the single-entry archive z; checks its records. */
static void
check_zip(const unsigned char *z, size_t len, const char *name,
    const char *data, int zip64, size_t entries, const char *what)
{
	size_t nlen = strlen(name), dlen = strlen(data), ulen;
	const unsigned char *e = z + len - 22, *c, *l;
	uint64_t cd_off, csize, usize, loff;
	uint32_t crc = (uint32_t)crc32(0, (const Bytef *)data, (uInt)dlen);
	unsigned flags = 0x0008;
	char *back;

	for (size_t i = 0; i < nlen; i++)
		if ((unsigned char)name[i] >= 0x80)
			flags |= 0x0800;
	ok(len > 22 && rd32(z) == 0x04034b50, "%s: local header first", what);
	is_int(rd16(z + 6), flags, "%s: flags (data descriptor%s)", what,
	    flags & 0x800 ? ", UTF-8" : "");
	is_int(rd16(z + 8), 8, "%s: deflate", what);
	ok(rd32(z + 14) == 0 && rd32(z + 18) == 0 && rd32(z + 22) == 0,
	    "%s: local crc and sizes are zero (in the descriptor)", what);
	ok(rd16(z + 26) == nlen && memcmp(z + 30, name, nlen) == 0,
	    "%s: entry name", what);
	is_int(rd32(e), 0x06054b50, "%s: end record last", what);
	if (zip64) {
		const unsigned char *loc = e - 20, *e64;

		is_int(rd32(loc), 0x07064b50, "%s: ZIP64 locator", what);
		e64 = z + rd64(loc + 8);
		is_int(rd32(e64), 0x06064b50, "%s: ZIP64 end record", what);
		ok(rd16(e + 10) == 0xffff && rd32(e + 16) == 0xffffffff,
		    "%s: end record defers to ZIP64", what);
		cd_off = rd64(e64 + 48);
		is_int(rd64(e64 + 32), entries, "%s: entries", what);
	} else {
		is_int(rd16(e + 10), entries, "%s: entries", what);
		cd_off = rd32(e + 16);
	}
	c = z + cd_off;
	is_int(rd32(c), 0x02014b50, "%s: central directory entry", what);
	is_int(rd32(c + 16), crc, "%s: CRC-32 of the data", what);
	csize = rd32(c + 20);
	usize = rd32(c + 24);
	loff = rd32(c + 42);
	if (zip64) {
		const unsigned char *x = c + 46 + nlen;

		ok(csize == 0xffffffff && usize == 0xffffffff &&
		    loff == 0xffffffff, "%s: sizes in the ZIP64 extra", what);
		ok(rd16(x) == 1 && rd16(x + 2) == 24, "%s: ZIP64 extra field",
		    what);
		usize = rd64(x + 4);
		csize = rd64(x + 12);
		loff = rd64(x + 20);
		is_int(rd16(c + 6), 45, "%s: version needed 4.5", what);
	}
	is_int(usize, dlen, "%s: uncompressed size", what);
	is_int(loff, 0, "%s: local header offset", what);
	l = z + 30 + nlen + rd16(z + 28);
	back = inflate_raw(l, (size_t)csize, &ulen);
	ok(back && ulen == dlen && memcmp(back, data, dlen) == 0,
	    "%s: data inflates back", what);
	free(back);
	l += csize;
	is_int(rd32(l), 0x08074b50, "%s: data descriptor", what);
	is_int(rd32(l + 4), crc, "%s: descriptor CRC", what);
	if (zip64)
		ok(rd64(l + 8) == csize && rd64(l + 16) == usize,
		    "%s: descriptor with 64-bit sizes", what);
	else
		ok(rd32(l + 8) == csize && rd32(l + 12) == usize,
		    "%s: descriptor with 32-bit sizes", what);
}

/* Builds an archive of the given entries in memory. */
static char *
make_zip(const char *const *names_, const char *const *datas, int zip64,
    size_t *len)
{
	struct mem_sink m;
	struct export_sink s;
	struct export_zip *z;
	int rc = 0;

	mem_sink_init(&m, &s);
	z = export_zip_new(&s, 6, 0);
	if (zip64)
		export_zip_set_zip64_limit(z, 0);
	for (size_t i = 0; names_[i]; i++) {
		rc |= export_zip_entry_begin(z, names_[i], UINT64_MAX,
		    1700000000);
		rc |= export_zip_entry_write(z, datas[i], strlen(datas[i]));
		rc |= export_zip_entry_end(z);
	}
	rc |= export_zip_finish(z);
	export_zip_free(z);
	*len = m.ms_buf.b_len;
	ok(rc == 0, "zip: archive built%s", zip64 ? " (ZIP64 forced)" : "");
	return m.ms_buf.b_data;
}

static void
test_zip(const char *dir)
{
	static const char data[] = "hello hello hello\n";
	const char *n1[] = {"a.txt", NULL}, *d1[] = {data, NULL};
	const char *n2[] = {"\xd0\xbe\xd1\x82\xd1\x87\xd1\x91\xd1\x82.csv",
	    "b.json", NULL};
	const char *d2[] = {"x,y\r\n1,2\r\n", "[]", NULL};
	char *z;
	const char *p;
	size_t len;
	int py = have("python3"), uz = have("unzip");

	is_int(crc32(0, (const Bytef *)data, sizeof(data) - 1), 0xdf8a7c3b,
	    "zip: zlib CRC-32 of the sample");
	z = make_zip(n1, d1, 0, &len);
	check_zip((unsigned char *)z, len, "a.txt", data, 0, 1, "zip");
	p = save(dir, "plain.zip", z, len);
	if (uz)
		is_int(run("unzip -tqq %s >/dev/null 2>&1", p), 0,
		    "zip: unzip -t accepts it");
	if (py)
		is_int(run("python3 -c 'import sys, zipfile; z = "
		    "zipfile.ZipFile(sys.argv[1]); assert z.testzip() is None; "
		    "assert z.read(\"a.txt\") == b\"hello hello hello\\n\"' %s",
		    p), 0, "zip: Python zipfile reads it");
	free(z);

	z = make_zip(n1, d1, 1, &len);
	check_zip((unsigned char *)z, len, "a.txt", data, 1, 1, "zip64");
	p = save(dir, "z64.zip", z, len);
	if (uz)
		is_int(run("unzip -tqq %s >/dev/null 2>&1", p), 0,
		    "zip64: unzip -t accepts it");
	if (py)
		is_int(run("python3 -c 'import sys, zipfile; z = "
		    "zipfile.ZipFile(sys.argv[1]); assert z.testzip() is None; "
		    "assert z.read(\"a.txt\") == b\"hello hello hello\\n\"' %s",
		    p), 0, "zip64: Python zipfile reads it");
	free(z);

	z = make_zip(n2, d2, 0, &len);
	check_zip((unsigned char *)z, len, n2[0], d2[0], 0, 2, "zip utf8");
	p = save(dir, "two.zip", z, len);
	if (py)
		is_int(run("python3 -c 'import sys, zipfile; z = "
		    "zipfile.ZipFile(sys.argv[1]); assert z.namelist() == "
		    "[\"\\u043e\\u0442\\u0447\\u0451\\u0442.csv\", \"b.json\"]; "
		    "assert z.read(\"b.json\") == b\"[]\"' %s", p), 0,
		    "zip: two entries, UTF-8 name, Python reads both");
	if (uz)
		is_int(run("unzip -tqq %s >/dev/null 2>&1", p), 0,
		    "zip: unzip -t accepts two entries");
	free(z);
	if (!py || !uz)
		printf("# skipped external zip checks (python3: %d, unzip: "
		    "%d)\n", py, uz);
}

static void
test_xlsx(const char *dir)
{
	static const char *const ev[] = {"{\"a\":1,\"b\":\"x\"}",
	    "{\"a\":9007199254740993,\"c\":[1]}", NULL};
	struct fieldset *cols = cols_of(ev);
	struct export_opts o = {.eo_cols = cols, .eo_formula_guard = 1,
	    .eo_tmpdir = dir};
	struct export_sink s;
	struct export_writer *w;
	struct mem_sink m;
	char err[256], tmp[512], path[1024];
	int fds = count_fds(), rc = 0;

	snprintf(tmp, sizeof(tmp), "%s/xtmp", dir);
	mkdir(tmp, 0700);
	o.eo_tmpdir = tmp;
	mem_sink_init(&m, &s);
	w = export_xlsx_new(&s, &o, err, sizeof(err));
	ok(w != NULL, "xlsx: writer created");
	if (w == NULL)
		return;
	is_int(tap_count_dir(tmp), 1, "xlsx: its file is in the temporary dir");
	for (int i = 0; ev[i]; i++)
		rc |= w->ew_row(w, ev[i], strlen(ev[i]));
	rc |= w->ew_finish(w);
	ok(rc == 0, "xlsx: rows and finish");
	is_int(tap_count_dir(tmp), 0, "xlsx: file removed once complete");
	ok(m.ms_buf.b_len > 100 && memcmp(m.ms_buf.b_data, "PK\3\4", 4) == 0,
	    "xlsx: the output is a zip container");
	w->ew_free(w);
	if (have("python3")) {
		const char *p = save(dir, "t.xlsx", m.ms_buf.b_data,
		    m.ms_buf.b_len);

		is_int(run("python3 -c 'import sys, zipfile; z = "
		    "zipfile.ZipFile(sys.argv[1]); assert z.testzip() is None; "
		    "s = z.read(\"xl/worksheets/sheet1.xml\").decode(); "
		    "assert \"9007199254740993\" in s and \"[1]\" in s' %s", p),
		    0, "xlsx: a valid package with the big integer as text");
	}
	buf_free(&m.ms_buf);

	/* Streamed: rows reach the sink before the workbook is finished. */
	mem_sink_init(&m, &s);
	w = export_xlsx_new(&s, &o, err, sizeof(err));
	rc = 0;
	for (int i = 0; w && i < 20000; i++)
		rc |= w->ew_row(w, ev[i % 2], strlen(ev[i % 2]));
	ok(w && rc == 0 && m.ms_buf.b_len > 0 &&
	    memcmp(m.ms_buf.b_data, "PK\3\4", 4) == 0,
	    "xlsx: 20,000 rows are streamed before the finish (%zu bytes)",
	    m.ms_buf.b_len);
	ok(w && w->ew_finish(w) == 0, "xlsx: and the finish completes it");
	if (w)
		w->ew_free(w);
	buf_free(&m.ms_buf);

	/* Abandoned half way: nothing left on disk, no descriptor leaked. */
	mem_sink_init(&m, &s);
	w = export_xlsx_new(&s, &o, err, sizeof(err));
	for (int i = 0; w && i < 1000; i++)
		w->ew_row(w, ev[i % 2], strlen(ev[i % 2]));
	if (w)
		w->ew_free(w);
	is_int(tap_count_dir(tmp), 0, "xlsx: abandoned writer leaves no file");
	is_int(count_fds(), fds, "xlsx: and no open descriptor");

	/* A client that leaves while the file is sent. */
	mem_sink_init(&m, &s);
	m.ms_fail_after = 10;
	w = export_xlsx_new(&s, &o, err, sizeof(err));
	rc = 0;
	for (int i = 0; w && i < 10; i++)
		rc |= w->ew_row(w, ev[i % 2], strlen(ev[i % 2]));
	ok(w && rc == 0 && w->ew_finish(w) == -1 && w->ew_gone,
	    "xlsx: a failing sink is reported as gone");
	if (w)
		w->ew_free(w);
	is_int(tap_count_dir(tmp), 0, "xlsx: and the file is gone too");
	buf_free(&m.ms_buf);

	/* Files of dead processes are swept, those of live ones kept. */
	save(tmp, "export-999999999-abcdef.xlsx", "x", 1);
	snprintf(err, sizeof(err), "export-%ld-abcdef.xlsx", (long)getpid());
	save(tmp, err, "x", 1);
	is_int(export_xlsx_sweep(tmp), 1, "xlsx: sweep removes a dead "
	    "process's file");
	is_int(tap_count_dir(tmp), 1, "xlsx: and keeps a live one's");
	snprintf(path, sizeof(path), "%s/export-%ld-abcdef.xlsx", tmp,
	    (long)getpid());
	unlink(path);
	rmdir(tmp);
	fieldset_free(cols);
}

/*
 * Exports the events ev (NULL-terminated) with an xlsx writer of options
 * o into the file dir/name. Returns 0, or -1 (says why as a test point).
 */
static int
xlsx_save(const char *dir, const char *name, const char *const *ev,
    const struct export_opts *o, const char *what)
{
	struct export_sink s;
	struct export_writer *w;
	struct mem_sink m;
	char err[256];
	int rc = 0;

	mem_sink_init(&m, &s);
	if ((w = export_xlsx_new(&s, o, err, sizeof(err))) == NULL) {
		ok(0, "%s: writer created (%s)", what, err);
		return -1;
	}
	for (int i = 0; ev[i]; i++)
		rc |= w->ew_row(w, ev[i], strlen(ev[i]));
	rc |= w->ew_finish(w);
	w->ew_free(w);
	if (rc == 0)
		save(dir, name, m.ms_buf.b_data, m.ms_buf.b_len);
	buf_free(&m.ms_buf);
	ok(rc == 0, "%s: %s written", what, name);
	return rc ? -1 : 0;
}

/*
 * The sheet XML the xlsx writer streams is the XML libxlsxwriter's
 * constant-memory mode writes for the same cells: a workbook made by
 * libxlsxwriter itself is the reference, byte for byte, for text that
 * needs escaping (XML, control characters, a literal _xHHHH_, white space
 * at either end), numbers and blanks.
 */
static void
test_xlsx_reference(const char *dir)
{
	/* The events; then what libxlsxwriter is given for column s (a
	 * literal "_xHHHH_" arrives guarded) and for column n. */
	static const char *const ev[] = {
		"{\"s\":\"plain\",\"n\":1}",
		"{\"s\":\" lead\",\"n\":-2.5}",
		"{\"s\":\"trail\\n\",\"n\":0.1}",
		"{\"s\":\"a\\r\\nb\\tc\",\"n\":123456789}",
		"{\"s\":\"\\u0001\\u001f <&>\\\"'\"}",
		"{\"s\":\"_x0041_ and _x00\",\"n\":7}",
		"{\"n\":8}",
		"{\"s\":\"\u00fcn\u00efc\u00f6d\u00e9 \\u20ac\"}",
		NULL};
	static const char *const ref_s[] = {"plain", " lead", "trail\n",
	    "a\r\nb\tc", "\x01\x1f <&>\"'", "_x005F_x0041_ and _x00", NULL,
	    "\u00fcn\u00efc\u00f6d\u00e9 \u20ac"};
	static const double ref_n[] = {1, -2.5, 0.1, 123456789, NAN, 7, 8, NAN};
	struct fieldset *cols = cols_of(ev);
	struct export_opts o = {.eo_cols = cols, .eo_formula_guard = 1,
	    .eo_tmpdir = dir, .eo_threads = 2, .eo_rows = 8};
	lxw_workbook_options lo = {.constant_memory = LXW_TRUE};
	lxw_workbook *wb;
	lxw_worksheet *ws;
	char path[1024];

	xlsx_save(dir, "ours.xlsx", ev, &o, "xlsx reference");
	snprintf(path, sizeof(path), "%s/lxw.xlsx", dir);
	lo.tmpdir = (char *)(uintptr_t)dir;
	wb = workbook_new_opt(path, &lo);
	ws = wb ? workbook_add_worksheet(wb, NULL) : NULL;
	ok(ws != NULL, "xlsx reference: libxlsxwriter workbook started");
	if (ws == NULL)
		return;
	worksheet_write_string(ws, 0, 0, "s", NULL);
	worksheet_write_string(ws, 0, 1, "n", NULL);
	for (int i = 0; ev[i]; i++) {
		if (ref_s[i])
			worksheet_write_string(ws, (lxw_row_t)i + 1, 0,
			    ref_s[i], NULL);
		if (!isnan(ref_n[i]))
			worksheet_write_number(ws, (lxw_row_t)i + 1, 1,
			    ref_n[i], NULL);
	}
	is_int(workbook_close(wb), LXW_NO_ERROR,
	    "xlsx reference: libxlsxwriter workbook written");
	if (!have("python3"))
		return;
	is_int(run("cd %s && python3 -c 'import zipfile; "
	    "a = zipfile.ZipFile(\"ours.xlsx\"); b = zipfile.ZipFile(\"lxw.xlsx\"); "
	    "n = \"xl/worksheets/sheet1.xml\"; "
	    "assert a.read(n) == b.read(n), (a.read(n), b.read(n)); "
	    "assert sorted(a.namelist()) == sorted(b.namelist())'", dir), 0,
	    "xlsx reference: sheet XML byte for byte as libxlsxwriter's, "
	    "the same parts");
	fieldset_free(cols);
}

/*
 * What libxlsxwriter would pass on but XML does not allow (U+FFFE, U+FFFF)
 * is escaped, so the file parses; numbers keep their JSON text.
 */
static void
test_xlsx_xml_chars(const char *dir)
{
	static const char *const ev[] = {
		"{\"s\":\"a\\ufffeb\\uffffc\",\"n\":1.5e3}",
		"{\"s\":\"ok\",\"n\":-0}",
		NULL};
	struct fieldset *cols = cols_of(ev);
	struct export_opts o = {.eo_cols = cols, .eo_tmpdir = dir};
	int rc = xlsx_save(dir, "chars.xlsx", ev, &o, "xlsx xml chars");

	fieldset_free(cols);
	if (rc == -1 || !have("python3"))
		return;
	is_int(run("cd %s && python3 -c 'import zipfile; "
	    "s = zipfile.ZipFile(\"chars.xlsx\").read(\"xl/worksheets/sheet1.xml\"); "
	    "assert b\"<t>a_xFFFE_b_xFFFF_c</t>\" in s, s; "
	    "assert b\"<v>1.5e3</v>\" in s and b\"<v>-0</v>\" in s, s; "
	    "import xml.dom.minidom; xml.dom.minidom.parseString(s)'", dir), 0,
	    "xlsx xml chars: U+FFFE and U+FFFF as _xFFFE_ and _xFFFF_, numbers "
	    "as written, the sheet parses as XML");
}

/*
 * A header name that would be a formula in a CSV (timechart ... by f makes
 * event values into names) is a text cell, as a text value is: the sheet
 * has no formula (<f>) and the name reads back as it is.
 */
static void
test_xlsx_risky_head(const char *dir)
{
	static const char *const ev[] = {
		"{\"=HYPERLINK(\\\"http://x\\\",\\\"y\\\")\":1,"
		    "\"@timestamp\":\"=1+2\"}",
		NULL};
	struct fieldset *cols = cols_of(ev);
	struct export_opts o = {.eo_cols = cols, .eo_formula_guard = 1,
	    .eo_tmpdir = dir};
	int rc = xlsx_save(dir, "head.xlsx", ev, &o, "xlsx risky header");

	fieldset_free(cols);
	if (rc == -1 || !have("python3"))
		return;
	is_int(run("cd %s && python3 -c 'import zipfile; "
	    "s = zipfile.ZipFile(\"head.xlsx\").read(\"xl/worksheets/sheet1.xml\"); "
	    "want = b\"<row r=\\\"1\\\"><c r=\\\"A1\\\" t=\\\"inlineStr\\\"><is><t>"
	    "=HYPERLINK(\\\"http://x\\\",\\\"y\\\")</t></is></c>"
	    "<c r=\\\"B1\\\" t=\\\"inlineStr\\\"><is><t>@timestamp</t></is></c>"
	    "</row>\"; "
	    "assert want in s, s; assert b\"<f>\" not in s, s'", dir), 0,
	    "xlsx risky header: names are text cells like values, no formula");
}

static void
name_case(const char *in, size_t len, size_t max, const char *want,
    const char *what)
{
	char *got = export_file_name_clean(in, len, max);

	is_str(got, want, "file name: %s", what);
	free(got);
}

static void
test_names(void)
{
	char long_in[2001], long_out[201], *d;

	name_case("../../etc/passwd", 16, 200, "etcpasswd", "../../etc/passwd");
	name_case("a\"b\r\nSet-Cookie: x", 18, 200, "abSet-Cookie: x",
	    "quotes and CR LF dropped");
	memset(long_in, 'a', 2000);
	long_in[2000] = '\0';
	memset(long_out, 'a', 200);
	long_out[200] = '\0';
	name_case(long_in, 2000, 200, long_out, "2000 characters cut to 200");
	name_case("", 0, 200, "results", "empty becomes results");
	name_case("...", 3, 200, "results", "only dots becomes results");
	name_case(".hidden", 7, 200, "hidden", "leading dot dropped");
	name_case("a.b.c", 5, 200, "a.b.c", "inner dots kept");
	name_case("a/b\\c", 5, 200, "abc", "both separators dropped");
	name_case("x\x01y\x7fz\xc2\x85w", 9, 200, "xyzw",
	    "C0, DEL and C1 controls dropped");
	name_case("a\xff\xc3(b", 5, 200, "a(b", "invalid UTF-8 dropped");
	name_case("evil\xe2\x80\xaegpj.exe", 14, 200, "evilgpj.exe",
	    "bidirectional override dropped");
	name_case("'q' `r`", 7, 200, "q `r`", "single quotes dropped");
	name_case("\xd0\xbe\xd1\x82\xd1\x87\xd1\x91\xd1\x82", 10, 200,
	    "\xd0\xbe\xd1\x82\xd1\x87\xd1\x91\xd1\x82", "non-ASCII kept");
	name_case("\xc3\xa9\xc3\xa9\xc3\xa9", 6, 5, "\xc3\xa9\xc3\xa9",
	    "cut does not split a UTF-8 sequence");
	name_case("ab\xf0\x9f\x9a\x80", 6, 5, "ab", "nor a 4-byte one");
	name_case("my report 2026", 14, 200, "my report 2026", "spaces kept");

	d = export_content_disposition("report", "csv");
	is_str(d, "attachment; filename=\"report.csv\"",
	    "disposition: ASCII name");
	free(d);
	d = export_content_disposition("\xd0\xbe\xd1\x82\xd1\x87\xd1\x91\xd1\x82"
	    " 1", "zip");
	is_str(d, "attachment; filename=\"_____ 1.zip\"; filename*=UTF-8''"
	    "%D0%BE%D1%82%D1%87%D1%91%D1%82%201.zip",
	    "disposition: non-ASCII name adds filename*");
	free(d);
	d = export_content_disposition("a;b=c%", "xlsx");
	is_str(d, "attachment; filename=\"a;b=c%.xlsx\"",
	    "disposition: separators stay inside the quotes");
	free(d);
}

int
main(void)
{
	char dir[] = "/tmp/test_export.XXXXXX";

	if (mkdtemp(dir) == NULL) {
		printf("Bail out! cannot make a temporary directory\n");
		return 1;
	}
	test_fields();
	test_decode();
	test_csv();
	test_json();
	test_client_gone();
	test_zip(dir);
	test_xlsx(dir);
	test_xlsx_reference(dir);
	test_xlsx_risky_head(dir);
	test_xlsx_xml_chars(dir);
	test_names();
	run("rm -rf %s", dir);
	return done_testing();
}
