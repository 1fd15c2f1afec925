/* block.c - sealed blocks of events: format, compression and summaries. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zstd.h>

#include "common/number.h"
#include "common/util.h"
#include "store/block.h"

/*
 * Both summaries are bloom filters sized from the number of distinct
 * entries, counted exactly while the block is made: BLOCK_TEXT_BITS bits
 * per distinct 3-byte run with one hash (a rare word of n letters passes
 * a block without it with odds about 0.12^(n-2)), BLOCK_FIELD_BITS bits
 * per distinct field=value with three hashes (about 2 %).
 */
#define BLOCK_MAGIC		"ARB1"
#define BLOCK_TEXT_BITS		8
#define BLOCK_FIELD_BITS	10
#define BLOCK_FIELD_HASHES	3
#define BLOCK_ZSTD_LEVEL	1
#define BLOCK_DEPTH_MAX		64	/* nesting the field walk follows */
#define BLOCK_PATH_MAX		1024

static inline unsigned char
lc(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c + 32) : c;
}

/* 64-bit FNV-1a of p[0..n), continuing from h. */
static uint64_t
fnv(uint64_t h, const void *p, size_t n)
{
	const unsigned char *s = p;

	while (n--) {
		h ^= *s++;
		h *= 0x100000001b3ULL;
	}
	return h;
}

#define FNV_SEED	0xcbf29ce484222325ULL

/* Mixes a 64-bit value (the finalizer of MurmurHash3). */
static uint64_t
mix(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h;
}

/* The bit of a bloom filter of nbits bits hash h falls on. */
static inline uint64_t
bit_of(uint64_t h, uint64_t nbits)
{
	return (uint64_t)(((unsigned __int128)(h & 0xffffffffULL) * nbits) >>
	    32);
}

/* The hash of a 3-byte run (its bytes already folded). */
static inline uint64_t
tri_hash(uint32_t tri)
{
	return mix(tri);
}

/* ------------------------------------------------------------ building */

void
block_build_init(struct block_build *bb)
{
	memset(bb, 0, sizeof(*bb));
	bb->bb_tmin = INT64_MAX;
	bb->bb_tmax = INT64_MIN;
	bb->bb_fields_ok = 1;
}

void
block_build_free(struct block_build *bb)
{
	free(bb->bb_raw);
	block_build_init(bb);
}

int
block_build_add(struct block_build *bb, const unsigned char *suffix,
    int64_t time_ms, const char *json, size_t len)
{
	size_t need = bb->bb_len + BLOCK_REC_HDR + len;
	unsigned char *p;

	if (len > UINT32_MAX || need > UINT32_MAX)
		return -1;
	if (need > bb->bb_cap) {
		size_t cap = bb->bb_cap ? bb->bb_cap : 64 * 1024;

		while (cap < need)
			cap *= 2;
		if ((p = realloc(bb->bb_raw, cap)) == NULL)
			return -1;
		bb->bb_raw = p;
		bb->bb_cap = cap;
	}
	p = bb->bb_raw + bb->bb_len;
	memcpy(p, suffix, 16);
	util_put_be32(p + 16, (uint32_t)len);
	memcpy(p + BLOCK_REC_HDR, json, len);
	bb->bb_len = need;
	bb->bb_count++;
	bb->bb_bytes += 20 + len;	/* the event's key and value */
	if (time_ms < bb->bb_tmin)
		bb->bb_tmin = time_ms;
	if (time_ms > bb->bb_tmax)
		bb->bb_tmax = time_ms;
	return 0;
}

/* A growable set of 64-bit hashes (duplicates removed at the end). */
struct hset {
	uint64_t	*h_v;
	size_t		 h_n, h_cap;
	int		 h_oom;
};

static void
hset_add(struct hset *s, uint64_t h)
{
	uint64_t *v;

	if (s->h_oom)
		return;
	if (s->h_n == s->h_cap) {
		size_t cap = s->h_cap ? s->h_cap * 2 : 4096;

		if ((v = realloc(s->h_v, cap * sizeof(*v))) == NULL) {
			s->h_oom = 1;
			return;
		}
		s->h_v = v;
		s->h_cap = cap;
	}
	s->h_v[s->h_n++] = h;
}

static int
u64_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Sorts s and removes duplicates. */
static void
hset_unique(struct hset *s)
{
	size_t i, j = 0;

	qsort(s->h_v, s->h_n, sizeof(*s->h_v), u64_cmp);
	for (i = 0; i < s->h_n; i++)
		if (j == 0 || s->h_v[j - 1] != s->h_v[i])
			s->h_v[j++] = s->h_v[i];
	s->h_n = j;
}

/*
 * The key a scalar is filed under in the field summary, for field path
 * path[0..plen): a number (a JSON number, or a string that
 * value_parse_number reads) as "#" and its integer value (a real that is
 * a whole number within int64 counts as that integer) or its %.17g form;
 * anything else as "$" and its text with ASCII letters folded. Search
 * compares numbers numerically and text ignoring ASCII case, so equal
 * values by its rules get one key. Returns the 64-bit hash.
 */
static uint64_t
field_key(const char *path, size_t plen, const char *text, size_t tlen)
{
	char num[64], buf[256];
	int64_t iv;
	double dv;
	int kind = value_parse_number(text, tlen, &iv, &dv);
	uint64_t h = fnv(FNV_SEED, path, plen);
	size_t i, n;

	h = fnv(h, "", 1);
	if (kind == 2 && dv == floor(dv) && dv >= -9223372036854775808.0 &&
	    dv < 9223372036854775808.0) {
		iv = (int64_t)dv;
		kind = 1;
	}
	if (kind == 1) {
		n = (size_t)snprintf(num, sizeof(num), "#%lld", (long long)iv);
		return mix(fnv(h, num, n));
	}
	if (kind == 2) {
		n = (size_t)snprintf(num, sizeof(num), "#%.17g", dv);
		return mix(fnv(h, num, n));
	}
	h = fnv(h, "$", 1);
	while (tlen > 0) {	/* folded a piece at a time */
		n = tlen < sizeof(buf) ? tlen : sizeof(buf);
		for (i = 0; i < n; i++)
			buf[i] = (char)lc((unsigned char)text[i]);
		h = fnv(h, buf, n);
		text += n;
		tlen -= n;
	}
	return mix(h);
}

/* The JSON walk that files every scalar of an event under its path. */
struct walk {
	const char	*w_p, *w_end;
	char		 w_path[BLOCK_PATH_MAX];
	size_t		 w_plen;
	char		*w_str;		/* a decoded string */
	size_t		 w_slen, w_scap;
	struct hset	*w_set;
	int		 w_bad;
};

static void
walk_ws(struct walk *w)
{
	while (w->w_p < w->w_end && (*w->w_p == ' ' || *w->w_p == '\t' ||
	    *w->w_p == '\n' || *w->w_p == '\r'))
		w->w_p++;
}

static int
walk_putc(struct walk *w, char c)
{
	char *p;

	if (w->w_slen == w->w_scap) {
		size_t cap = w->w_scap ? w->w_scap * 2 : 256;

		if ((p = realloc(w->w_str, cap)) == NULL)
			return -1;
		w->w_str = p;
		w->w_scap = cap;
	}
	w->w_str[w->w_slen++] = c;
	return 0;
}

/* Writes code point cp as UTF-8 into the decoded string. */
static int
walk_utf8(struct walk *w, unsigned cp)
{
	if (cp < 0x80)
		return walk_putc(w, (char)cp);
	if (cp < 0x800)
		return walk_putc(w, (char)(0xc0 | cp >> 6)) ||
		    walk_putc(w, (char)(0x80 | (cp & 0x3f)));
	if (cp < 0x10000)
		return walk_putc(w, (char)(0xe0 | cp >> 12)) ||
		    walk_putc(w, (char)(0x80 | (cp >> 6 & 0x3f))) ||
		    walk_putc(w, (char)(0x80 | (cp & 0x3f)));
	return walk_putc(w, (char)(0xf0 | cp >> 18)) ||
	    walk_putc(w, (char)(0x80 | (cp >> 12 & 0x3f))) ||
	    walk_putc(w, (char)(0x80 | (cp >> 6 & 0x3f))) ||
	    walk_putc(w, (char)(0x80 | (cp & 0x3f)));
}

/* Decodes the string at w_p (its opening quote) into w_str. 0 or -1. */
static int
walk_string(struct walk *w)
{
	const char *p = w->w_p + 1;
	unsigned cp, lo;

	w->w_slen = 0;
	while (p < w->w_end && *p != '"') {
		if (*p != '\\') {
			if (walk_putc(w, *p++) == -1)
				return -1;
			continue;
		}
		if (p + 1 >= w->w_end)
			return -1;
		switch (p[1]) {
		case 'b': cp = '\b'; break;
		case 'f': cp = '\f'; break;
		case 'n': cp = '\n'; break;
		case 'r': cp = '\r'; break;
		case 't': cp = '\t'; break;
		case 'u':
			if (p + 6 > w->w_end || util_hex4(p + 2, &cp) == -1)
				return -1;
			if (cp >= 0xd800 && cp < 0xdc00 && p + 12 <= w->w_end &&
			    p[6] == '\\' && p[7] == 'u' &&
			    util_hex4(p + 8, &lo) == 0 && lo >= 0xdc00 &&
			    lo < 0xe000) {
				cp = 0x10000 + ((cp - 0xd800) << 10) +
				    (lo - 0xdc00);
				p += 6;
			}
			if (walk_utf8(w, cp) == -1)
				return -1;
			p += 6;
			continue;
		default: cp = p[1]; break;
		}
		if (walk_putc(w, (char)cp) == -1)
			return -1;
		p += 2;
	}
	if (p >= w->w_end)
		return -1;
	w->w_p = p + 1;
	return 0;
}

static void walk_value(struct walk *, int);

/* Files the scalar text[0..n) under the current path. */
static void
walk_file(struct walk *w, const char *text, size_t n)
{
	hset_add(w->w_set, field_key(w->w_path, w->w_plen, text, n));
}

static void
walk_object(struct walk *w, int depth)
{
	size_t base = w->w_plen;

	w->w_p++;
	walk_ws(w);
	if (w->w_p < w->w_end && *w->w_p == '}') {
		w->w_p++;
		return;
	}
	for (;;) {
		walk_ws(w);
		if (w->w_p >= w->w_end || *w->w_p != '"' ||
		    walk_string(w) == -1) {
			w->w_bad = 1;
			return;
		}
		/* path = path "." key (no dot before the first key) */
		if (base + 1 + w->w_slen >= sizeof(w->w_path)) {
			w->w_bad = 1;
			return;
		}
		w->w_plen = base;
		if (base > 0)
			w->w_path[w->w_plen++] = '.';
		memcpy(w->w_path + w->w_plen, w->w_str, w->w_slen);
		w->w_plen += w->w_slen;
		walk_ws(w);
		if (w->w_p >= w->w_end || *w->w_p != ':') {
			w->w_bad = 1;
			return;
		}
		w->w_p++;
		walk_value(w, depth + 1);
		if (w->w_bad)
			return;
		w->w_plen = base;
		walk_ws(w);
		if (w->w_p < w->w_end && *w->w_p == ',') {
			w->w_p++;
			continue;
		}
		if (w->w_p < w->w_end && *w->w_p == '}') {
			w->w_p++;
			return;
		}
		w->w_bad = 1;
		return;
	}
}

/* An array's elements are filed under the array's own path. */
static void
walk_array(struct walk *w, int depth)
{
	w->w_p++;
	walk_ws(w);
	if (w->w_p < w->w_end && *w->w_p == ']') {
		w->w_p++;
		return;
	}
	for (;;) {
		walk_value(w, depth + 1);
		if (w->w_bad)
			return;
		walk_ws(w);
		if (w->w_p < w->w_end && *w->w_p == ',') {
			w->w_p++;
			continue;
		}
		if (w->w_p < w->w_end && *w->w_p == ']') {
			w->w_p++;
			return;
		}
		w->w_bad = 1;
		return;
	}
}

static void
walk_value(struct walk *w, int depth)
{
	const char *s;

	walk_ws(w);
	if (w->w_p >= w->w_end || depth > BLOCK_DEPTH_MAX) {
		w->w_bad = 1;
		return;
	}
	switch (*w->w_p) {
	case '{':
		walk_object(w, depth);
		return;
	case '[':
		walk_array(w, depth);
		return;
	case '"':
		if (walk_string(w) == -1) {
			w->w_bad = 1;
			return;
		}
		walk_file(w, w->w_str, w->w_slen);
		return;
	default:	/* a number, true, false or null: its text */
		s = w->w_p;
		while (w->w_p < w->w_end && *w->w_p != ',' && *w->w_p != '}' &&
		    *w->w_p != ']' && *w->w_p != ' ' && *w->w_p != '\t' &&
		    *w->w_p != '\n' && *w->w_p != '\r')
			w->w_p++;
		if (w->w_p == s) {
			w->w_bad = 1;
			return;
		}
		walk_file(w, s, (size_t)(w->w_p - s));
		return;
	}
}

/* Files every scalar of event json[0..len) into set. 0, or -1 when the
 * event could not be read whole (then the block has no field summary). */
static int
walk_event(struct walk *w, const char *json, size_t len)
{
	w->w_p = json;
	w->w_end = json + len;
	w->w_plen = 0;
	w->w_bad = 0;
	walk_ws(w);
	if (w->w_p >= w->w_end || *w->w_p != '{')
		return -1;
	walk_value(w, 0);
	return w->w_bad ? -1 : 0;
}

/* Sets the bits of a bloom filter of nbits bits for the hashes of s. */
static void
bloom_fill(unsigned char *bits, uint64_t nbits, const struct hset *s,
    int k)
{
	for (size_t i = 0; i < s->h_n; i++) {
		uint64_t h = s->h_v[i], h2 = (h >> 32) | 1;

		for (int j = 0; j < k; j++) {
			uint64_t b = bit_of(h + (uint64_t)j * h2, nbits);

			bits[b >> 3] |= (unsigned char)(1u << (b & 7));
		}
	}
}

static int
bloom_test(const unsigned char *bits, uint32_t nbytes, uint64_t h, int k)
{
	uint64_t nbits = (uint64_t)nbytes * 8, h2 = (h >> 32) | 1;

	if (nbytes == 0)
		return 1;
	for (int j = 0; j < k; j++) {
		uint64_t b = bit_of(h + (uint64_t)j * h2, nbits);

		if (!(bits[b >> 3] & (1u << (b & 7))))
			return 0;
	}
	return 1;
}

/* Bytes of a filter of n entries at bits_per bits each (at least 8). */
static size_t
bloom_bytes(size_t n, int bits_per)
{
	size_t b = (n * (size_t)bits_per + 7) / 8;

	return b < 8 ? 8 : b;
}

int
block_build_finish(struct block_build *bb, void **out, size_t *outlen,
    char *err, size_t errlen)
{
	struct hset tri = {0}, fld = {0};
	struct walk w;
	unsigned char *v = NULL, *bits = NULL;
	size_t off, tbytes, fbytes, bound, clen;
	const unsigned char *suffix;
	const char *json;
	size_t jlen;
	ZSTD_CCtx *cc = NULL;
	int ok = 0;

	*out = NULL;
	memset(&w, 0, sizeof(w));
	w.w_set = &fld;
	/* The distinct 3-byte runs, exactly: a bit per possible run. */
	if ((bits = calloc(1, 1u << 21)) == NULL)
		goto oom;
	off = 0;
	while (block_next(bb->bb_raw, bb->bb_len, &off, &suffix, &json,
	    &jlen) == 1) {
		for (size_t i = 0; i + 2 < jlen; i++) {
			uint32_t t = lc((unsigned char)json[i]) |
			    (uint32_t)lc((unsigned char)json[i + 1]) << 8 |
			    (uint32_t)lc((unsigned char)json[i + 2]) << 16;

			if (!(bits[t >> 3] & (1u << (t & 7)))) {
				bits[t >> 3] |= (unsigned char)(1u << (t & 7));
				hset_add(&tri, tri_hash(t));
			}
		}
		if (bb->bb_fields_ok && walk_event(&w, json, jlen) == -1)
			bb->bb_fields_ok = 0;
	}
	free(bits);
	bits = NULL;
	if (tri.h_oom || fld.h_oom)
		goto oom;
	hset_unique(&fld);
	tbytes = bloom_bytes(tri.h_n, BLOCK_TEXT_BITS);
	fbytes = bb->bb_fields_ok ? bloom_bytes(fld.h_n, BLOCK_FIELD_BITS) : 0;
	bound = ZSTD_compressBound(bb->bb_len);
	if ((v = calloc(1, BLOCK_HDR_LEN + tbytes + fbytes + bound)) == NULL)
		goto oom;
	bloom_fill(v + BLOCK_HDR_LEN, (uint64_t)tbytes * 8, &tri, 1);
	if (fbytes)
		bloom_fill(v + BLOCK_HDR_LEN + tbytes, (uint64_t)fbytes * 8,
		    &fld, BLOCK_FIELD_HASHES);
	if ((cc = ZSTD_createCCtx()) == NULL)
		goto oom;
	if (ZSTD_isError(ZSTD_CCtx_setParameter(cc, ZSTD_c_compressionLevel,
	    BLOCK_ZSTD_LEVEL)) ||
	    ZSTD_isError(ZSTD_CCtx_setParameter(cc, ZSTD_c_checksumFlag, 1))) {
		snprintf(err, errlen, "event block: zstd setup failed");
		goto out;
	}
	clen = ZSTD_compress2(cc, v + BLOCK_HDR_LEN + tbytes + fbytes, bound,
	    bb->bb_raw, bb->bb_len);
	if (ZSTD_isError(clen)) {
		snprintf(err, errlen, "event block: zstd: %s",
		    ZSTD_getErrorName(clen));
		goto out;
	}
	memcpy(v, BLOCK_MAGIC, 4);
	util_put_be32(v + 4, bb->bb_fields_ok ? BLOCK_F_FIELDS : 0);
	util_put_be64(v + 8, (uint64_t)bb->bb_tmin);
	util_put_be64(v + 16, (uint64_t)bb->bb_tmax);
	util_put_be32(v + 24, bb->bb_count);
	util_put_be32(v + 28, (uint32_t)bb->bb_len);
	util_put_be64(v + 32, bb->bb_bytes);
	util_put_be32(v + 40, (uint32_t)tbytes);
	util_put_be32(v + 44, (uint32_t)fbytes);
	util_put_be32(v + 48, (uint32_t)clen);
	*out = v;
	*outlen = BLOCK_HDR_LEN + tbytes + fbytes + clen;
	v = NULL;
	ok = 1;
	goto out;
oom:
	snprintf(err, errlen, "event block: out of memory");
out:
	ZSTD_freeCCtx(cc);
	free(v);
	free(bits);
	free(tri.h_v);
	free(fld.h_v);
	free(w.w_str);
	return ok ? 0 : -1;
}

/* ------------------------------------------------------------- reading */

int
block_parse(const void *val, size_t len, struct block_hdr *h)
{
	const unsigned char *p = val;
	uint64_t need;

	if (len < BLOCK_HDR_LEN || memcmp(p, BLOCK_MAGIC, 4) != 0)
		return -1;
	h->bh_flags = util_get_be32(p + 4);
	h->bh_tmin = (int64_t)util_get_be64(p + 8);
	h->bh_tmax = (int64_t)util_get_be64(p + 16);
	h->bh_count = util_get_be32(p + 24);
	h->bh_raw_len = util_get_be32(p + 28);
	h->bh_bytes = util_get_be64(p + 32);
	h->bh_text_len = util_get_be32(p + 40);
	h->bh_field_len = util_get_be32(p + 44);
	h->bh_comp_len = util_get_be32(p + 48);
	need = (uint64_t)BLOCK_HDR_LEN + h->bh_text_len + h->bh_field_len +
	    h->bh_comp_len;
	if (need != len || h->bh_tmin > h->bh_tmax || h->bh_count == 0)
		return -1;
	h->bh_text = p + BLOCK_HDR_LEN;
	h->bh_field = h->bh_text + h->bh_text_len;
	h->bh_comp = h->bh_field + h->bh_field_len;
	return 0;
}

int
block_decode(const struct block_hdr *h, unsigned char **raw, char *err,
    size_t errlen)
{
	unsigned char *r;
	size_t n;

	*raw = NULL;
	if ((r = malloc(h->bh_raw_len ? h->bh_raw_len : 1)) == NULL) {
		snprintf(err, errlen, "event block: out of memory");
		return -1;
	}
	n = ZSTD_decompress(r, h->bh_raw_len, h->bh_comp, h->bh_comp_len);
	if (ZSTD_isError(n) || n != h->bh_raw_len) {
		snprintf(err, errlen, "event block is damaged: %s",
		    ZSTD_isError(n) ? ZSTD_getErrorName(n) :
		    "wrong uncompressed length");
		free(r);
		return -1;
	}
	*raw = r;
	return 0;
}

int
block_next(const unsigned char *raw, size_t len, size_t *off,
    const unsigned char **suffix, const char **json, size_t *jlen)
{
	size_t o = *off, n;

	if (o == len)
		return 0;
	if (len - o < BLOCK_REC_HDR)
		return -1;
	n = util_get_be32(raw + o + 16);
	if (n > len - o - BLOCK_REC_HDR)
		return -1;
	*suffix = raw + o;
	*json = (const char *)raw + o + BLOCK_REC_HDR;
	*jlen = n;
	*off = o + BLOCK_REC_HDR + n;
	return 1;
}

int
block_may_have_text(const struct block_hdr *h, const char *text, size_t len)
{
	uint64_t nbits = (uint64_t)h->bh_text_len * 8;

	if (len < 3 || h->bh_text_len == 0)
		return 1;
	for (size_t i = 0; i + 2 < len; i++) {
		uint32_t t = (unsigned char)text[i] |
		    (uint32_t)(unsigned char)text[i + 1] << 8 |
		    (uint32_t)(unsigned char)text[i + 2] << 16;
		uint64_t b = bit_of(tri_hash(t), nbits);

		if (!(h->bh_text[b >> 3] & (1u << (b & 7))))
			return 0;
	}
	return 1;
}

int
block_may_have_field(const struct block_hdr *h, const char *field,
    const char *value, size_t vlen)
{
	if (!(h->bh_flags & BLOCK_F_FIELDS))
		return 1;
	return bloom_test(h->bh_field, h->bh_field_len,
	    field_key(field, strlen(field), value, vlen), BLOCK_FIELD_HASHES);
}
