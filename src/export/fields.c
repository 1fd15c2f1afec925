/* fields.c - the column set of results, and the event scan the writers share. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/buf.h"
#include "export/export.h"
#include "common/util.h"
#include "export/fields.h"

/*
 * The scan is a small hand-written JSON walker rather than a Jansson tree:
 * it runs on every result the executor writes and on every row exported,
 * and it only needs the leaves and their names, borrowed from the text.
 */

struct scan {
	const char *sc_p;
	const char *sc_end;
	struct buf *sc_name;
	int (*sc_cb)(void *, const struct export_leaf *);
	void *sc_arg;
};

static inline const char *
skip_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\n' || *p == '\r' ||
	    *p == '\t'))
		p++;
	return p;
}

/*
 * p is just after an opening quote. Returns the closing quote, or NULL when
 * the string does not end before end; sets *esc when it holds escapes.
 * Raw control characters are accepted: they are data, not structure.
 */
static inline const char *
str_end(const char *p, const char *end, int *esc)
{
	const char *q, *b;

	/* Most strings hold no backslash: two memchr calls settle them. */
	if ((q = memchr(p, '"', (size_t)(end - p))) == NULL)
		return NULL;
	if ((b = memchr(p, '\\', (size_t)(q - p))) == NULL)
		return q;
	*esc = 1;
	for (p = b; p < end;) {
		if (*p == '"')
			return p;
		if (*p == '\\') {
			if (end - p < 2)
				return NULL;
			p += 2;
		} else
			p++;
	}
	return NULL;
}

/* p is at '[' or '{'. Returns the byte after the matching close, or NULL. */
static const char *
skip_composite(const char *p, const char *end)
{
	const char *q;
	size_t depth = 0;
	int esc;

	while (p < end) {
		switch (*p) {
		case '"':
			if ((q = str_end(p + 1, end, &esc)) == NULL)
				return NULL;
			p = q + 1;
			continue;
		case '[': case '{':
			depth++;
			break;
		case ']': case '}':
			if (depth == 0)
				return NULL;
			if (--depth == 0)
				return p + 1;
			break;
		default:
			break;
		}
		p++;
	}
	return NULL;
}

/* p is at the start of a number. Returns the byte after it, or NULL. */
static const char *
number_end(const char *p, const char *end)
{
	const char *s = p;

	if (p < end && *p == '-')
		p++;
	if (p >= end || *p < '0' || *p > '9')
		return NULL;
	while (p < end && ((*p >= '0' && *p <= '9') || *p == '.' ||
	    *p == 'e' || *p == 'E' || *p == '+' || *p == '-'))
		p++;
	return p > s ? p : NULL;
}

/* buf_append with the common case (room enough) inline: it runs per key. */
static inline int
name_put(struct buf *b, const char *s, size_t n)
{
	if (b->b_len + n >= b->b_cap)
		return buf_append(b, s, n);
	memcpy(b->b_data + b->b_len, s, n);
	b->b_len += n;
	b->b_data[b->b_len] = '\0';
	return 0;
}

static int
leaf(struct scan *s, enum export_vtype type, const char *v, size_t vlen,
    int esc)
{
	struct export_leaf l;

	l.el_name = s->sc_name->b_data;
	l.el_name_len = s->sc_name->b_len;
	l.el_type = type;
	l.el_val = v;
	l.el_val_len = vlen;
	l.el_escaped = esc;
	return s->sc_cb(s->sc_arg, &l);
}

/*
 * Walks the members of an object; sc_p is just after its '{' and sc_name
 * holds the prefix of its members' names. Returns 0, 1 (stopped by the
 * callback) or -1 (bad text, out of memory).
 */
static int
scan_object(struct scan *s, int depth)
{
	const char *p = s->sc_p, *end = s->sc_end, *k, *q;
	struct buf *name = s->sc_name;
	size_t base = name->b_len;
	int esc, rc;

	p = skip_ws(p, end);
	if (p < end && *p == '}') {
		s->sc_p = p + 1;
		return 0;
	}
	for (;;) {
		p = skip_ws(p, end);
		if (p >= end || *p != '"')
			return -1;
		k = p + 1;
		esc = 0;
		if ((q = str_end(k, end, &esc)) == NULL)
			return -1;
		name->b_len = base;
		if (esc ? export_str_decode(name, k, (size_t)(q - k), 0) :
		    name_put(name, k, (size_t)(q - k)))
			return -1;
		p = skip_ws(q + 1, end);
		if (p >= end || *p != ':')
			return -1;
		p = skip_ws(p + 1, end);
		if (p >= end)
			return -1;
		rc = 0;
		switch (*p) {
		case '{':
			q = skip_ws(p + 1, end);
			if (q < end && *q == '}') {
				rc = leaf(s, EXPORT_V_OBJECT, p,
				    (size_t)(q + 1 - p), 0);
				p = q + 1;
			} else if (depth + 1 >= EXPORT_SCAN_MAX_DEPTH) {
				if ((q = skip_composite(p, end)) == NULL)
					return -1;
				rc = leaf(s, EXPORT_V_OBJECT, p,
				    (size_t)(q - p), 0);
				p = q;
			} else {
				if (name_put(name, ".", 1) == -1)
					return -1;
				s->sc_p = p + 1;
				if ((rc = scan_object(s, depth + 1)) != 0)
					return rc;
				p = s->sc_p;
			}
			break;
		case '[':
			if ((q = skip_composite(p, end)) == NULL)
				return -1;
			rc = leaf(s, EXPORT_V_ARRAY, p, (size_t)(q - p), 0);
			p = q;
			break;
		case '"':
			esc = 0;
			if ((q = str_end(p + 1, end, &esc)) == NULL)
				return -1;
			rc = leaf(s, EXPORT_V_STRING, p + 1,
			    (size_t)(q - p - 1), esc);
			p = q + 1;
			break;
		case 't':
			if (end - p < 4 || memcmp(p, "true", 4) != 0)
				return -1;
			rc = leaf(s, EXPORT_V_TRUE, p, 4, 0);
			p += 4;
			break;
		case 'f':
			if (end - p < 5 || memcmp(p, "false", 5) != 0)
				return -1;
			rc = leaf(s, EXPORT_V_FALSE, p, 5, 0);
			p += 5;
			break;
		case 'n':
			if (end - p < 4 || memcmp(p, "null", 4) != 0)
				return -1;
			rc = leaf(s, EXPORT_V_NULL, p, 4, 0);
			p += 4;
			break;
		default:
			if ((q = number_end(p, end)) == NULL)
				return -1;
			rc = leaf(s, EXPORT_V_NUMBER, p, (size_t)(q - p), 0);
			p = q;
			break;
		}
		if (rc != 0)
			return rc;
		p = skip_ws(p, end);
		if (p < end && *p == ',') {
			p++;
			continue;
		}
		if (p < end && *p == '}') {
			s->sc_p = p + 1;
			name->b_len = base;
			name->b_data[base] = '\0';
			return 0;
		}
		return -1;
	}
}

int
export_scan_event(const char *json, size_t len, struct buf *name,
    int (*cb)(void *, const struct export_leaf *), void *arg)
{
	struct scan s;
	const char *p = skip_ws(json, json + len);
	int rc;

	if (p >= json + len || *p != '{')
		return -1;
	buf_reset(name);
	if (buf_reserve(name, 64) == -1)
		return -1;
	name->b_data[0] = '\0';
	s.sc_p = p + 1;
	s.sc_end = json + len;
	s.sc_name = name;
	s.sc_cb = cb;
	s.sc_arg = arg;
	if ((rc = scan_object(&s, 0)) != 0)
		return rc;
	return skip_ws(s.sc_p, s.sc_end) == s.sc_end ? 0 : -1;
}

static int
put_utf8(struct buf *out, unsigned cp)
{
	char u[4];
	size_t n;

	if (cp < 0x80) {
		u[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (char)(0xc0 | cp >> 6);
		u[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (char)(0xe0 | cp >> 12);
		u[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		u[0] = (char)(0xf0 | cp >> 18);
		u[1] = (char)(0x80 | (cp >> 12 & 0x3f));
		u[2] = (char)(0x80 | (cp >> 6 & 0x3f));
		u[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	return buf_append(out, u, n);
}

int
export_str_decode(struct buf *out, const char *s, size_t len, int flags)
{
	size_t i = 0, start = 0;
	unsigned cp, lo;
	char c;

	if (buf_reserve(out, len) == -1)
		return -1;
	while (i < len) {
		if (s[i] != '\\') {
			i++;
			continue;
		}
		if (buf_append(out, s + start, i - start) == -1)
			return -1;
		if (i + 1 >= len) {	/* a lone backslash at the end */
			if (put_utf8(out, 0xfffd) == -1)
				return -1;
			i = start = len;
			break;
		}
		c = s[i + 1];
		i += 2;
		switch (c) {
		case '"': case '\\': case '/':
			if (buf_putc(out, c) == -1)
				return -1;
			break;
		case 'b': if (buf_putc(out, '\b') == -1) return -1; break;
		case 'f': if (buf_putc(out, '\f') == -1) return -1; break;
		case 'n': if (buf_putc(out, '\n') == -1) return -1; break;
		case 'r': if (buf_putc(out, '\r') == -1) return -1; break;
		case 't': if (buf_putc(out, '\t') == -1) return -1; break;
		case 'u':
			if (i + 4 > len || util_hex4(s + i, &cp) == -1) {
				cp = 0xfffd;
			} else {
				i += 4;
				if (cp >= 0xd800 && cp < 0xdc00) {
					if (i + 6 <= len && s[i] == '\\' &&
					    s[i + 1] == 'u' &&
					    util_hex4(s + i + 2, &lo) == 0 &&
					    lo >= 0xdc00 && lo < 0xe000) {
						cp = 0x10000 + ((cp - 0xd800)
						    << 10) + (lo - 0xdc00);
						i += 6;
					} else
						cp = 0xfffd;
				} else if (cp >= 0xdc00 && cp < 0xe000)
					cp = 0xfffd;
				else if (cp == 0 &&
				    (flags & EXPORT_DEC_NUL_FFFD))
					cp = 0xfffd;
			}
			if (put_utf8(out, cp) == -1)
				return -1;
			break;
		default:
			/* A bad escape: the whole character after the
			 * backslash goes, or its continuation bytes would
			 * stay behind as invalid UTF-8. */
			while (i < len && ((unsigned char)s[i] & 0xc0) == 0x80)
				i++;
			if (put_utf8(out, 0xfffd) == -1)
				return -1;
			break;
		}
		start = i;
	}
	return buf_append(out, s + start, len - start);
}

int
export_json_minify(struct buf *out, const char *s, size_t len)
{
	const char *p = s, *end = s + len, *q, *run = s;
	int esc;

	if (buf_reserve(out, len) == -1)
		return -1;
	while (p < end) {
		if (*p == '"') {
			if ((q = str_end(p + 1, end, &esc)) == NULL)
				q = end - 1;	/* unterminated: keep as is */
			p = q + 1;
			continue;
		}
		if (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t') {
			if (buf_append(out, run, (size_t)(p - run)) == -1)
				return -1;
			run = ++p;
			continue;
		}
		p++;
	}
	return buf_append(out, run, (size_t)(end - run));
}

/* ------------------------------------------------------------ the set */

/* A hash slot: the name's hash and its index + 1 (0: empty slot). */
struct fs_slot {
	uint32_t sl_hash;
	uint32_t sl_idx1;
};

struct fieldset {
	size_t fs_max;
	size_t fs_count;
	size_t fs_dropped;
	int fs_dirty;
	struct buf fs_text;	/* the names, each followed by a NUL */
	size_t *fs_off;		/* where name i starts in fs_text */
	size_t fs_off_cap;
	struct fs_slot *fs_slots;
	size_t fs_mask;		/* slots - 1 (a power of two minus one) */
	struct buf fs_scratch;	/* dotted names while scanning */
};

static inline uint32_t
name_hash(const char *s, size_t len)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= 16777619u;
	}
	return h;
}

struct fieldset *
fieldset_new(size_t max_fields)
{
	struct fieldset *fs = calloc(1, sizeof(*fs));

	if (fs == NULL)
		return NULL;
	fs->fs_max = max_fields;
	fs->fs_mask = 63;
	if ((fs->fs_slots = calloc(fs->fs_mask + 1,
	    sizeof(*fs->fs_slots))) == NULL) {
		free(fs);
		return NULL;
	}
	return fs;
}

void
fieldset_free(struct fieldset *fs)
{
	if (fs == NULL)
		return;
	buf_free(&fs->fs_text);
	buf_free(&fs->fs_scratch);
	free(fs->fs_off);
	free(fs->fs_slots);
	free(fs);
}

size_t
fieldset_count(const struct fieldset *fs)
{
	return fs->fs_count;
}

size_t
fieldset_dropped(const struct fieldset *fs)
{
	return fs->fs_dropped;
}

const char *
fieldset_name(const struct fieldset *fs, size_t i, size_t *len)
{
	size_t s = fs->fs_off[i];
	size_t e = i + 1 < fs->fs_count ? fs->fs_off[i + 1] :
	    fs->fs_text.b_len;

	*len = e - s - 1;
	return fs->fs_text.b_data + s;
}

/* Returns the slot holding name, or the empty slot where it would go. */
static struct fs_slot *
find_slot(const struct fieldset *fs, const char *name, size_t len,
    uint32_t h)
{
	size_t i = h & fs->fs_mask, nlen;
	struct fs_slot *sl;
	const char *n;

	for (;;) {
		sl = &fs->fs_slots[i];
		if (sl->sl_idx1 == 0)
			return sl;
		if (sl->sl_hash == h) {
			n = fieldset_name(fs, sl->sl_idx1 - 1, &nlen);
			if (nlen == len && memcmp(n, name, len) == 0)
				return sl;
		}
		i = (i + 1) & fs->fs_mask;
	}
}

long
fieldset_lookup(const struct fieldset *fs, const char *name, size_t len)
{
	struct fs_slot *sl = find_slot(fs, name, len, name_hash(name, len));

	return sl->sl_idx1 ? (long)sl->sl_idx1 - 1 : -1;
}

/* Doubles the hash table. Returns 0 or -1. */
static int
grow_slots(struct fieldset *fs)
{
	size_t n = (fs->fs_mask + 1) * 2;
	struct fs_slot *old = fs->fs_slots, *sl;
	size_t oldn = fs->fs_mask + 1;

	if ((fs->fs_slots = calloc(n, sizeof(*sl))) == NULL) {
		fs->fs_slots = old;
		return -1;
	}
	fs->fs_mask = n - 1;
	for (size_t i = 0; i < oldn; i++) {
		if (old[i].sl_idx1 == 0)
			continue;
		for (size_t j = old[i].sl_hash & fs->fs_mask;;
		    j = (j + 1) & fs->fs_mask) {
			if (fs->fs_slots[j].sl_idx1 == 0) {
				fs->fs_slots[j] = old[i];
				break;
			}
		}
	}
	free(old);
	return 0;
}

int
fieldset_add_name(struct fieldset *fs, const char *name, size_t len)
{
	uint32_t h = name_hash(name, len);
	struct fs_slot *sl = find_slot(fs, name, len, h);
	size_t *off;

	if (sl->sl_idx1 != 0)
		return 0;
	if (fs->fs_count >= fs->fs_max || fs->fs_count >= UINT32_MAX - 1) {
		fs->fs_dropped++;
		return 0;
	}
	if (fs->fs_count == fs->fs_off_cap) {
		size_t cap = fs->fs_off_cap ? fs->fs_off_cap * 2 : 32;

		if ((off = realloc(fs->fs_off, cap * sizeof(*off))) == NULL)
			return -1;
		fs->fs_off = off;
		fs->fs_off_cap = cap;
	}
	fs->fs_off[fs->fs_count] = fs->fs_text.b_len;
	if (buf_append(&fs->fs_text, name, len) == -1 ||
	    buf_putc(&fs->fs_text, '\0') == -1) {
		fs->fs_text.b_len = fs->fs_off[fs->fs_count];
		return -1;
	}
	sl->sl_hash = h;
	sl->sl_idx1 = (uint32_t)++fs->fs_count;
	fs->fs_dirty = 1;
	/* Keep the table at most half full so probes stay short. */
	if (fs->fs_count * 2 > fs->fs_mask + 1 && grow_slots(fs) == -1)
		return -1;
	return 1;
}

static int
add_leaf(void *arg, const struct export_leaf *l)
{
	return fieldset_add_name(arg, l->el_name, l->el_name_len) == -1 ?
	    -1 : 0;
}

int
fieldset_add_event(struct fieldset *fs, const char *json, size_t len)
{
	return export_scan_event(json, len, &fs->fs_scratch, add_leaf, fs) ==
	    0 ? 0 : -1;
}

int
fieldset_dirty(const struct fieldset *fs)
{
	return fs->fs_dirty;
}

char *
fieldset_encode(struct fieldset *fs, size_t *len)
{
	struct buf b = BUF_INIT;
	const char *n;
	size_t nlen;

	if (buf_putc(&b, '[') == -1)
		goto fail;
	for (size_t i = 0; i < fs->fs_count; i++) {
		n = fieldset_name(fs, i, &nlen);
		if ((i && buf_putc(&b, ',') == -1) ||
		    buf_json_str(&b, n, nlen) == -1)
			goto fail;
	}
	if (buf_putc(&b, ']') == -1)
		goto fail;
	fs->fs_dirty = 0;
	*len = b.b_len;
	return b.b_data;
fail:
	buf_free(&b);
	return NULL;
}

struct fieldset *
fieldset_decode(const char *json, size_t len, size_t max_fields)
{
	struct fieldset *fs = NULL;
	json_t *a, *v;
	size_t i;

	a = json_loadb(json, len, JSON_ALLOW_NUL, NULL);
	if (a == NULL || !json_is_array(a))
		goto fail;
	if ((fs = fieldset_new(max_fields)) == NULL)
		goto fail;
	json_array_foreach(a, i, v) {
		if (!json_is_string(v) || fieldset_add_name(fs,
		    json_string_value(v), json_string_length(v)) == -1)
			goto fail;
	}
	json_decref(a);
	fs->fs_dirty = 0;
	return fs;
fail:
	fieldset_free(fs);
	json_decref(a);
	return NULL;
}
