/* zip.c - a streaming zip writer on zlib, and the file names of a download. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <zlib.h>

#include "common/buf.h"
#include "export/export.h"
#include "export/pdeflate.h"

/*
 * Layout (APPNOTE.TXT 6.3): each entry is a local header with zero sizes
 * and general purpose bit 3, the deflate data, then a data descriptor with
 * the CRC and sizes; the central directory at the end repeats them. Nothing
 * is ever seeked back, so the archive streams to the client as it is made.
 * Sizes or offsets that do not fit 32 bits move to ZIP64 extra fields
 * (0x0001) and a ZIP64 end record, as readers expect. The deflating is
 * pdeflate's, on worker threads when asked.
 */

#define ZIP_SIG_LOCAL	0x04034b50u
#define ZIP_SIG_DESC	0x08074b50u
#define ZIP_SIG_CENTRAL	0x02014b50u
#define ZIP_SIG_END64	0x06064b50u
#define ZIP_SIG_LOC64	0x07064b50u
#define ZIP_SIG_END	0x06054b50u
#define ZIP_FLAG_DESC	0x0008u	/* sizes in the data descriptor */
#define ZIP_FLAG_UTF8	0x0800u	/* the name is UTF-8 */
#define ZIP_VER_DEFLATE	20
#define ZIP_VER_ZIP64	45
#define ZIP_MADE_UNIX	(3u << 8)
#define ZIP_MODE_FILE	(0100644u << 16)	/* -rw-r--r-- */
#define ZIP_MAX32	0xffffffffu

/* What the central directory needs of an entry. */
struct zip_rec {
	char *zr_name;
	size_t zr_name_len;
	uint16_t zr_flags;
	uint16_t zr_time;
	uint16_t zr_date;
	uint32_t zr_crc;
	uint64_t zr_csize;
	uint64_t zr_usize;
	uint64_t zr_offset;	/* of its local header */
	int zr_zip64_local;	/* its local header has a ZIP64 extra field */
};

struct export_zip {
	struct export_out zp_out;
	struct pdeflate *zp_pd;
	uint64_t zp_offset;	/* bytes of the archive produced so far */
	uint64_t zp_limit;	/* values >= this do not fit 32 bits */
	struct zip_rec *zp_recs;
	size_t zp_n;
	size_t zp_cap;
	int zp_open;		/* zp_recs[zp_n - 1] is being written */
	int zp_failed;
	int zp_gone;
};

static inline unsigned char *
le16(unsigned char *p, unsigned v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
	return p + 2;
}

static inline unsigned char *
le32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
	return p + 4;
}

static inline unsigned char *
le64(unsigned char *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * i));
	return p + 8;
}

/* Appends archive bytes; flushes full chunks to the sink. Returns 0 or -1. */
static int
zip_put(struct export_zip *z, const void *data, size_t len)
{
	if (z->zp_failed)
		return -1;
	if (buf_append(&z->zp_out.eo_buf, data, len) == -1) {
		z->zp_failed = 1;
		return -1;
	}
	z->zp_offset += len;
	if (export_out_maybe_flush(&z->zp_out) == -1) {
		z->zp_failed = z->zp_gone = 1;
		return -1;
	}
	return 0;
}

struct export_zip *
export_zip_new(const struct export_sink *out, int level, int threads)
{
	struct export_zip *z = calloc(1, sizeof(*z));

	if (z == NULL)
		return NULL;
	export_out_init(&z->zp_out, out);
	if (buf_reserve(&z->zp_out.eo_buf, EXPORT_CHUNK * 2) == -1 ||
	    (z->zp_pd = pdeflate_new(level, threads)) == NULL) {
		export_out_free(&z->zp_out);
		free(z);
		return NULL;
	}
	z->zp_limit = ZIP_MAX32;
	return z;
}

void
export_zip_set_zip64_limit(struct export_zip *z, uint64_t limit)
{
	z->zp_limit = limit;
}

int
export_zip_gone(const struct export_zip *z)
{
	return z->zp_gone;
}

void
export_zip_free(struct export_zip *z)
{
	if (z == NULL)
		return;
	pdeflate_free(z->zp_pd);
	for (size_t i = 0; i < z->zp_n; i++)
		free(z->zp_recs[i].zr_name);
	free(z->zp_recs);
	export_out_free(&z->zp_out);
	free(z);
}

/* MS-DOS time and date of t, in local time (as zip tools expect). */
static void
dos_time(time_t t, uint16_t *dtime, uint16_t *ddate)
{
	struct tm tm;

	if (localtime_r(&t, &tm) == NULL || tm.tm_year < 80) {
		*dtime = 0;
		*ddate = (0 << 9) | (1 << 5) | 1;	/* 1980-01-01 */
		return;
	}
	if (tm.tm_year > 80 + 127)
		tm.tm_year = 80 + 127;
	*dtime = (uint16_t)(tm.tm_hour << 11 | tm.tm_min << 5 | tm.tm_sec / 2);
	*ddate = (uint16_t)((tm.tm_year - 80) << 9 | (tm.tm_mon + 1) << 5 |
	    tm.tm_mday);
}

int
export_zip_entry_begin(struct export_zip *z, const char *name, uint64_t size,
    time_t mtime)
{
	unsigned char h[30 + 20], *p = h;
	struct zip_rec *r;
	size_t len = strlen(name);

	if (z->zp_failed || z->zp_open || len > 0xffff)
		return -1;
	if (z->zp_n == z->zp_cap) {
		size_t cap = z->zp_cap ? z->zp_cap * 2 : 4;

		if ((r = realloc(z->zp_recs, cap * sizeof(*r))) == NULL)
			goto nomem;
		z->zp_recs = r;
		z->zp_cap = cap;
	}
	r = &z->zp_recs[z->zp_n];
	memset(r, 0, sizeof(*r));
	if ((r->zr_name = malloc(len + 1)) == NULL)
		goto nomem;
	memcpy(r->zr_name, name, len + 1);
	r->zr_name_len = len;
	r->zr_flags = ZIP_FLAG_DESC;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)name[i] >= 0x80)
			r->zr_flags |= ZIP_FLAG_UTF8;
	dos_time(mtime, &r->zr_time, &r->zr_date);
	r->zr_offset = z->zp_offset;
	/* A known size that may not fit (deflate can grow data a little):
	 * announce ZIP64 now, so the descriptor's 64-bit sizes are expected. */
	r->zr_zip64_local = size != UINT64_MAX &&
	    size + (size >> 8) + 1024 >= z->zp_limit;
	z->zp_n++;
	z->zp_open = 1;

	p = le32(p, ZIP_SIG_LOCAL);
	p = le16(p, r->zr_zip64_local ? ZIP_VER_ZIP64 : ZIP_VER_DEFLATE);
	p = le16(p, r->zr_flags);
	p = le16(p, Z_DEFLATED);
	p = le16(p, r->zr_time);
	p = le16(p, r->zr_date);
	p = le32(p, 0);				/* crc: in the descriptor */
	p = le32(p, r->zr_zip64_local ? ZIP_MAX32 : 0);
	p = le32(p, r->zr_zip64_local ? ZIP_MAX32 : 0);
	p = le16(p, (unsigned)len);
	p = le16(p, r->zr_zip64_local ? 20 : 0);
	if (zip_put(z, h, (size_t)(p - h)) == -1 || zip_put(z, name, len) == -1)
		return -1;
	if (r->zr_zip64_local) {
		p = h;
		p = le16(p, 0x0001);
		p = le16(p, 16);
		p = le64(p, 0);
		p = le64(p, 0);
		if (zip_put(z, h, (size_t)(p - h)) == -1)
			return -1;
	}
	return 0;
nomem:
	z->zp_failed = 1;
	return -1;
}

/* Takes compressed bytes of the open entry from pdeflate. */
static int
zip_deflated(void *arg, const void *data, size_t len)
{
	struct export_zip *z = arg;

	z->zp_recs[z->zp_n - 1].zr_csize += len;
	return zip_put(z, data, len);
}

/* Records a failure of pdeflate: the sink's, or memory. Returns -1. */
static int
zip_deflate_failed(struct export_zip *z)
{
	z->zp_failed = 1;
	return -1;
}

int
export_zip_entry_write(struct export_zip *z, const void *data, size_t len)
{
	if (z->zp_failed || !z->zp_open)
		return -1;
	if (pdeflate_write(z->zp_pd, data, len, zip_deflated, z) == -1)
		return zip_deflate_failed(z);
	return 0;
}

int
export_zip_entry_end(struct export_zip *z)
{
	unsigned char h[24], *p = h;
	struct zip_rec *r;

	if (z->zp_failed || !z->zp_open)
		return -1;
	r = &z->zp_recs[z->zp_n - 1];
	if (pdeflate_finish(z->zp_pd, zip_deflated, z, &r->zr_crc,
	    &r->zr_usize) == -1)
		return zip_deflate_failed(z);
	z->zp_open = 0;
	p = le32(p, ZIP_SIG_DESC);
	p = le32(p, r->zr_crc);
	if (r->zr_zip64_local || r->zr_csize >= z->zp_limit ||
	    r->zr_usize >= z->zp_limit) {
		p = le64(p, r->zr_csize);
		p = le64(p, r->zr_usize);
	} else {
		p = le32(p, (uint32_t)r->zr_csize);
		p = le32(p, (uint32_t)r->zr_usize);
	}
	return zip_put(z, h, (size_t)(p - h));
}

/* Writes the central directory record of r. */
static int
zip_central(struct export_zip *z, const struct zip_rec *r)
{
	unsigned char h[46 + 28], *p = h, *x;
	int big_u = r->zr_usize >= z->zp_limit;
	int big_c = r->zr_csize >= z->zp_limit;
	int big_o = r->zr_offset >= z->zp_limit;
	int z64 = big_u || big_c || big_o;
	unsigned xlen = z64 ? 4 + 8 * (unsigned)(big_u + big_c + big_o) : 0;
	unsigned ver = z64 || r->zr_zip64_local ? ZIP_VER_ZIP64 :
	    ZIP_VER_DEFLATE;

	p = le32(p, ZIP_SIG_CENTRAL);
	p = le16(p, ZIP_MADE_UNIX | ver);
	p = le16(p, ver);
	p = le16(p, r->zr_flags);
	p = le16(p, Z_DEFLATED);
	p = le16(p, r->zr_time);
	p = le16(p, r->zr_date);
	p = le32(p, r->zr_crc);
	p = le32(p, big_c ? ZIP_MAX32 : (uint32_t)r->zr_csize);
	p = le32(p, big_u ? ZIP_MAX32 : (uint32_t)r->zr_usize);
	p = le16(p, (unsigned)r->zr_name_len);
	p = le16(p, xlen);
	p = le16(p, 0);				/* comment */
	p = le16(p, 0);				/* disk */
	p = le16(p, 0);				/* internal attributes */
	p = le32(p, ZIP_MODE_FILE);
	p = le32(p, big_o ? ZIP_MAX32 : (uint32_t)r->zr_offset);
	if (zip_put(z, h, (size_t)(p - h)) == -1 ||
	    zip_put(z, r->zr_name, r->zr_name_len) == -1)
		return -1;
	if (!z64)
		return 0;
	/* The ZIP64 extra holds only the fields marked 0xffffffff, in this
	 * order (APPNOTE 4.5.3). */
	x = p = h;
	p = le16(p, 0x0001);
	p = le16(p, xlen - 4);
	if (big_u)
		p = le64(p, r->zr_usize);
	if (big_c)
		p = le64(p, r->zr_csize);
	if (big_o)
		p = le64(p, r->zr_offset);
	return zip_put(z, x, (size_t)(p - x));
}

int
export_zip_finish(struct export_zip *z)
{
	unsigned char h[56 + 20 + 22], *p = h;
	uint64_t cd_start, cd_size, end64;
	int need64;

	if (z->zp_open && export_zip_entry_end(z) == -1)
		return -1;
	if (z->zp_failed)
		return -1;
	cd_start = z->zp_offset;
	for (size_t i = 0; i < z->zp_n; i++)
		if (zip_central(z, &z->zp_recs[i]) == -1)
			return -1;
	cd_size = z->zp_offset - cd_start;
	end64 = z->zp_offset;
	need64 = z->zp_n >= 0xffff || cd_start >= z->zp_limit ||
	    cd_size >= z->zp_limit;
	if (need64) {
		p = le32(p, ZIP_SIG_END64);
		p = le64(p, 44);		/* size of the rest */
		p = le16(p, ZIP_MADE_UNIX | ZIP_VER_ZIP64);
		p = le16(p, ZIP_VER_ZIP64);
		p = le32(p, 0);			/* this disk */
		p = le32(p, 0);			/* disk of the directory */
		p = le64(p, z->zp_n);
		p = le64(p, z->zp_n);
		p = le64(p, cd_size);
		p = le64(p, cd_start);
		p = le32(p, ZIP_SIG_LOC64);
		p = le32(p, 0);
		p = le64(p, end64);
		p = le32(p, 1);			/* disks */
	}
	p = le32(p, ZIP_SIG_END);
	p = le16(p, 0);
	p = le16(p, 0);
	p = le16(p, need64 ? 0xffff : (unsigned)z->zp_n);
	p = le16(p, need64 ? 0xffff : (unsigned)z->zp_n);
	p = le32(p, need64 ? ZIP_MAX32 : (uint32_t)cd_size);
	p = le32(p, need64 ? ZIP_MAX32 : (uint32_t)cd_start);
	p = le16(p, 0);				/* comment */
	if (zip_put(z, h, (size_t)(p - h)) == -1)
		return -1;
	if (export_out_flush(&z->zp_out) == -1) {
		z->zp_failed = z->zp_gone = 1;
		return -1;
	}
	return 0;
}

static int
zip_sink_write(void *arg, const void *data, size_t len)
{
	return export_zip_entry_write(arg, data, len);
}

void
export_zip_sink(struct export_zip *z, struct export_sink *sink)
{
	sink->es_write = zip_sink_write;
	sink->es_arg = z;
}

/* ------------------------------------------------------- file names */

/*
 * Decodes the UTF-8 sequence at s (n > 0 bytes left) into *cp. Returns its
 * length, or 0 when it is not valid UTF-8 (overlong, surrogate, too big).
 */
static size_t
utf8_next(const unsigned char *s, size_t n, unsigned *cp)
{
	unsigned c = s[0], v;
	size_t len;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		v = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		v = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		v = c & 0x07;
	} else
		return 0;
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		v = v << 6 | (s[i] & 0x3f);
	}
	if ((len == 3 && (v < 0x800 || (v >= 0xd800 && v < 0xe000))) ||
	    (len == 4 && (v < 0x10000 || v > 0x10ffff)))
		return 0;
	*cp = v;
	return len;
}

/* Returns 1 for the characters a file name must not carry. */
static int
name_drop(unsigned cp)
{
	return cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0) ||
	    cp == '/' || cp == '\\' || cp == '"' || cp == '\'' ||
	    cp == 0x200e || cp == 0x200f || cp == 0x2028 || cp == 0x2029 ||
	    (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069) ||
	    cp == 0xfeff;
}

char *
export_file_name_clean(const char *name, size_t len, size_t max_bytes)
{
	const unsigned char *s = (const unsigned char *)name;
	char *out = malloc(len + sizeof("results"));
	size_t i = 0, o = 0, n;
	unsigned cp;

	if (out == NULL)
		return NULL;
	while (i < len) {
		if ((n = utf8_next(s + i, len - i, &cp)) == 0) {
			i++;			/* invalid byte: dropped */
			continue;
		}
		if (name_drop(cp) || (o == 0 && cp == '.')) {
			i += n;
			continue;
		}
		if (o + n > max_bytes)
			break;
		memcpy(out + o, s + i, n);
		o += n;
		i += n;
	}
	if (o == 0) {
		strcpy(out, "results");
		return out;
	}
	out[o] = '\0';
	return out;
}

/* RFC 5987 attr-char: what filename*= may carry without a %XX escape. */
static int
attr_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || strchr("!#$&+-.^_`|~", c) != NULL;
}

char *
export_content_disposition(const char *base, const char *ext)
{
	static const char hex[] = "0123456789ABCDEF";
	struct buf b = BUF_INIT;
	const unsigned char *s;
	int ascii = 1;

	for (s = (const unsigned char *)base; *s; s++)
		if (*s >= 0x80)
			ascii = 0;
	if (buf_puts(&b, "attachment; filename=\"") == -1)
		goto fail;
	for (s = (const unsigned char *)base; *s; s++) {
		if (*s >= 0xc0 || (*s < 0x80 && *s >= 0x20 && *s != '"' &&
		    *s != '\\')) {
			if (buf_putc(&b, *s >= 0x80 ? '_' : (char)*s) == -1)
				goto fail;
		}
	}
	if (buf_printf(&b, ".%s\"", ext) == -1)
		goto fail;
	if (!ascii) {
		if (buf_puts(&b, "; filename*=UTF-8''") == -1)
			goto fail;
		for (s = (const unsigned char *)base; *s; s++) {
			char e[3] = {'%', hex[*s >> 4], hex[*s & 15]};

			if (attr_char(*s) ? buf_putc(&b, (char)*s) :
			    buf_append(&b, e, 3))
				goto fail;
		}
		if (buf_printf(&b, ".%s", ext) == -1)
			goto fail;
	}
	return b.b_data;
fail:
	buf_free(&b);
	return NULL;
}
