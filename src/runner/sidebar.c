/* sidebar.c - per-field statistics of a task's results, in bounded memory. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/buf.h"
#include "runner/taskstats.h"

#define SIDEBAR_MAX_FIELDS 1000	/* further fields are not reported */
#define SIDEBAR_TOP_MIN 1000	/* heavy-hitter slots per field, at least */
#define HLL_P 14		/* 2^14 registers: ~0.8 % standard error */
#define HLL_M (1u << HLL_P)
#define SB_NUM_MAX 41		/* a number's canonical text, with its NUL */
#define SB_MAX_DEPTH 32		/* deeper objects are reported as values */

enum { T_NUMBER = 1, T_STRING = 2, T_BOOLEAN = 4, T_OBJECT = 8, T_ARRAY = 16 };

/* One heavy-hitter slot: a value (its JSON text) and its count. */
struct sb_slot {
	char *sl_text;
	uint64_t sl_hash;
	uint64_t sl_count;
	size_t sl_heap;		/* position in the min-heap */
};

struct sb_field {
	char *f_name;
	unsigned f_types;
	uint64_t f_count;
	/* distinct: exact hash set, then HyperLogLog */
	uint64_t *f_set;	/* open addressing, 0 = empty */
	size_t f_set_n, f_set_cap;
	uint8_t *f_hll;
	/* top: Space-Saving over at most sb_top_cap slots */
	struct sb_slot *f_slots;
	size_t f_nslots;
	size_t f_slots_cap;
	size_t *f_heap;		/* slot indices, min count at the root */
	int32_t *f_index;	/* hash -> slot, open addressing, -1 empty */
	size_t f_index_cap;
	/* numbers */
	uint64_t f_nnum;
	double f_sum, f_min, f_max;
	char f_min_t[SB_NUM_MAX], f_max_t[SB_NUM_MAX];	/* their JSON text */
	uint64_t f_name_hash;
};

struct sidebar {
	struct sb_field *sb_fields;
	size_t sb_n, sb_cap;
	uint64_t sb_total;
	int64_t sb_top;
	size_t sb_exact;
	size_t sb_top_cap;	/* slots per field: exact up to this many */
	size_t sb_bytes;	/* memory held, approximately */
	int32_t *sb_index;	/* name hash -> field, open addressing, -1 */
	size_t sb_index_cap;
	struct buf sb_names;	/* the current result's leaves (sidebar_add) */
	struct buf sb_text;	/* a value's canonical text */
	struct sb_leaf *sb_leaves;
	size_t sb_nleaves, sb_leaves_cap;
};

/* One leaf value of the result being added: its dotted name (in sb_names)
 * and its JSON text in the result. */
struct sb_leaf {
	size_t lf_name, lf_name_len;
	const char *lf_v;
	size_t lf_vlen;
	int lf_plain;		/* a string in its canonical form (js_string) */
};

/*
 * 64-bit hash of s (n bytes), never 0: eight bytes at a time, each word
 * mixed in with a multiply, then splitmix64's finaliser (HyperLogLog uses
 * the top bits).
 */
static uint64_t
sb_hash(const char *s, size_t n)
{
	uint64_t h = 0x9e3779b97f4a7c15ULL ^ n, w;

	for (; n >= 8; s += 8, n -= 8) {
		memcpy(&w, s, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdULL;
		h ^= h >> 32;
	}
	if (n > 0) {
		w = 0;
		memcpy(&w, s, n);
		h = (h ^ w) * 0xff51afd7ed558ccdULL;
	}
	h ^= h >> 30;
	h *= 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 27;
	h *= 0x94d049bb133111ebULL;
	h ^= h >> 31;
	return h ? h : 1;
}

struct sidebar *
sidebar_new(int64_t top_n, int64_t exact_distinct)
{
	struct sidebar *sb = calloc(1, sizeof(*sb));

	if (sb == NULL)
		return NULL;
	sb->sb_top = top_n;
	sb->sb_exact = (size_t)exact_distinct;
	/* Top values are exact while a field has at most as many values as
	 * distinct counts are; past that they are Space-Saving estimates. */
	sb->sb_top_cap = sb->sb_exact > SIDEBAR_TOP_MIN ? sb->sb_exact :
	    SIDEBAR_TOP_MIN;
	return sb;
}

static void
sb_field_free(struct sb_field *f)
{
	free(f->f_name);
	free(f->f_set);
	free(f->f_hll);
	for (size_t i = 0; i < f->f_nslots; i++)
		free(f->f_slots[i].sl_text);
	free(f->f_slots);
	free(f->f_heap);
	free(f->f_index);
}

void
sidebar_free(struct sidebar *sb)
{
	if (sb == NULL)
		return;
	for (size_t i = 0; i < sb->sb_n; i++)
		sb_field_free(&sb->sb_fields[i]);
	free(sb->sb_fields);
	free(sb->sb_index);
	buf_free(&sb->sb_names);
	buf_free(&sb->sb_text);
	free(sb->sb_leaves);
	free(sb);
}

size_t
sidebar_memory(const struct sidebar *sb)
{
	return sb->sb_bytes;
}

/* Rebuilds the name index for cap slots (a power of two). Returns 0 or -1. */
static int
sb_index_build(struct sidebar *sb, size_t cap)
{
	int32_t *ix = malloc(cap * sizeof(*ix));

	if (ix == NULL)
		return -1;
	memset(ix, 0xff, cap * sizeof(*ix));
	for (size_t k = 0; k < sb->sb_n; k++) {
		size_t i = sb->sb_fields[k].f_name_hash & (cap - 1);

		while (ix[i] >= 0)
			i = (i + 1) & (cap - 1);
		ix[i] = (int32_t)k;
	}
	free(sb->sb_index);
	sb->sb_bytes += (cap - sb->sb_index_cap) * sizeof(*ix);
	sb->sb_index = ix;
	sb->sb_index_cap = cap;
	return 0;
}

/*
 * Returns the field named name (len bytes), creating it; NULL when there
 * are SIDEBAR_MAX_FIELDS already or no memory.
 */
static struct sb_field *
sb_field(struct sidebar *sb, const char *name, size_t len)
{
	uint64_t h = sb_hash(name, len);
	struct sb_field *f;
	size_t i = 0;

	if (sb->sb_index_cap > 0)
		for (i = h & (sb->sb_index_cap - 1); sb->sb_index[i] >= 0;
		    i = (i + 1) & (sb->sb_index_cap - 1)) {
			f = &sb->sb_fields[sb->sb_index[i]];
			if (f->f_name_hash == h &&
			    strncmp(f->f_name, name, len) == 0 &&
			    f->f_name[len] == '\0')
				return f;
		}
	if (sb->sb_n >= SIDEBAR_MAX_FIELDS)
		return NULL;
	if (sb->sb_n == sb->sb_cap) {
		size_t cap = sb->sb_cap ? sb->sb_cap * 2 : 32;
		if ((f = realloc(sb->sb_fields, cap * sizeof(*f))) == NULL)
			return NULL;
		sb->sb_fields = f;
		sb->sb_cap = cap;
	}
	f = &sb->sb_fields[sb->sb_n];
	memset(f, 0, sizeof(*f));
	if ((f->f_name = strndup(name, len)) == NULL)
		return NULL;
	f->f_name_hash = h;
	sb->sb_n++;
	sb->sb_bytes += sizeof(*f) + len;
	/* The index stays at most half full. */
	if (sb->sb_n * 2 > sb->sb_index_cap) {
		if (sb_index_build(sb, sb->sb_index_cap ?
		    sb->sb_index_cap * 2 : 64) == -1) {
			sb->sb_n--;
			free(f->f_name);
			return NULL;
		}
	} else {
		while (sb->sb_index[i] >= 0)
			i = (i + 1) & (sb->sb_index_cap - 1);
		sb->sb_index[i] = (int32_t)(sb->sb_n - 1);
	}
	return f;
}

/* Adds hash h to the HyperLogLog registers. */
static void
hll_add(uint8_t *reg, uint64_t h)
{
	uint32_t idx = (uint32_t)(h >> (64 - HLL_P));
	uint64_t w = h << HLL_P;
	uint8_t rank = w ? (uint8_t)(__builtin_clzll(w) + 1) : 64 - HLL_P + 1;

	if (rank > reg[idx])
		reg[idx] = rank;
}

/* Returns the HyperLogLog estimate (with linear counting when small). */
static double
hll_estimate(const uint8_t *reg)
{
	double sum = 0, m = HLL_M, est;
	unsigned zeros = 0;

	for (unsigned i = 0; i < HLL_M; i++) {
		sum += ldexp(1.0, -reg[i]);
		zeros += reg[i] == 0;
	}
	est = 0.7213 / (1 + 1.079 / m) * m * m / sum;
	if (est <= 2.5 * m && zeros > 0)
		est = m * log(m / zeros);
	return est;
}

/* Counts h as a distinct value: exact set first, HyperLogLog past it. */
static int
sb_distinct(struct sidebar *sb, struct sb_field *f, uint64_t h)
{
	size_t i;

	if (f->f_hll) {
		hll_add(f->f_hll, h);
		return 0;
	}
	if ((f->f_set_n + 1) * 2 > f->f_set_cap) {
		size_t cap = f->f_set_cap ? f->f_set_cap * 2 : 16;
		uint64_t *set;

		if (f->f_set_n >= sb->sb_exact) {
			/* Too many values to keep: switch to an estimate. */
			if ((f->f_hll = calloc(HLL_M, 1)) == NULL)
				return -1;
			for (i = 0; i < f->f_set_cap; i++)
				if (f->f_set[i])
					hll_add(f->f_hll, f->f_set[i]);
			hll_add(f->f_hll, h);
			sb->sb_bytes += HLL_M;
			sb->sb_bytes -= f->f_set_cap * 8;
			free(f->f_set);
			f->f_set = NULL;
			f->f_set_cap = 0;
			return 0;
		}
		if ((set = calloc(cap, 8)) == NULL)
			return -1;
		for (size_t k = 0; k < f->f_set_cap; k++) {
			uint64_t v = f->f_set[k];
			if (v == 0)
				continue;
			for (i = v & (cap - 1); set[i]; i = (i + 1) & (cap - 1))
				;
			set[i] = v;
		}
		sb->sb_bytes += (cap - f->f_set_cap) * 8;
		free(f->f_set);
		f->f_set = set;
		f->f_set_cap = cap;
	}
	for (i = h & (f->f_set_cap - 1); f->f_set[i];
	    i = (i + 1) & (f->f_set_cap - 1))
		if (f->f_set[i] == h)
			return 0;
	f->f_set[i] = h;
	f->f_set_n++;
	return 0;
}

static void
heap_swap(struct sb_field *f, size_t a, size_t b)
{
	size_t t = f->f_heap[a];

	f->f_heap[a] = f->f_heap[b];
	f->f_heap[b] = t;
	f->f_slots[f->f_heap[a]].sl_heap = a;
	f->f_slots[f->f_heap[b]].sl_heap = b;
}

/* Restores the heap below position i after a count grew. */
static void
heap_down(struct sb_field *f, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;

		if (l < f->f_nslots && f->f_slots[f->f_heap[l]].sl_count <
		    f->f_slots[f->f_heap[m]].sl_count)
			m = l;
		if (r < f->f_nslots && f->f_slots[f->f_heap[r]].sl_count <
		    f->f_slots[f->f_heap[m]].sl_count)
			m = r;
		if (m == i)
			return;
		heap_swap(f, i, m);
		i = m;
	}
}

static void
heap_up(struct sb_field *f, size_t i)
{
	while (i > 0 && f->f_slots[f->f_heap[i]].sl_count <
	    f->f_slots[f->f_heap[(i - 1) / 2]].sl_count) {
		heap_swap(f, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
}

/* Finds the index slot for hash h and text; returns its position. */
static size_t
index_find(struct sb_field *f, uint64_t h, const char *text)
{
	size_t i;

	for (i = h & (f->f_index_cap - 1); f->f_index[i] >= 0;
	    i = (i + 1) & (f->f_index_cap - 1)) {
		struct sb_slot *s = &f->f_slots[f->f_index[i]];
		if (s->sl_hash == h && strcmp(s->sl_text, text) == 0)
			break;
	}
	return i;
}

/* Removes the index entry at position i (backward-shift deletion). */
static void
index_remove(struct sb_field *f, size_t i)
{
	size_t mask = f->f_index_cap - 1, j = i;

	for (;;) {
		j = (j + 1) & mask;
		if (f->f_index[j] < 0)
			break;
		size_t k = f->f_slots[f->f_index[j]].sl_hash & mask;
		if ((j > i && (k <= i || k > j)) || (j < i && k <= i && k > j)) {
			f->f_index[i] = f->f_index[j];
			i = j;
		}
	}
	f->f_index[i] = -1;
}

/*
 * Grows the slot table (and its index, kept at most half full) so that one
 * more slot fits. Returns 0, or -1 out of memory.
 */
static int
sb_top_grow(struct sidebar *sb, struct sb_field *f)
{
	size_t cap = f->f_slots_cap ? f->f_slots_cap * 2 : 16, icap;
	struct sb_slot *slots;
	size_t *heap;
	int32_t *index;

	if (cap > sb->sb_top_cap)
		cap = sb->sb_top_cap;
	if ((slots = realloc(f->f_slots, cap * sizeof(*slots))) == NULL)
		return -1;
	f->f_slots = slots;
	if ((heap = realloc(f->f_heap, cap * sizeof(*heap))) == NULL)
		return -1;
	f->f_heap = heap;
	for (icap = 16; icap < cap * 2; icap *= 2)
		;
	if (icap > f->f_index_cap) {
		if ((index = malloc(icap * sizeof(*index))) == NULL)
			return -1;
		memset(index, 0xff, icap * sizeof(*index));
		free(f->f_index);
		f->f_index = index;
		sb->sb_bytes += (icap - f->f_index_cap) * sizeof(*index);
		f->f_index_cap = icap;
		for (size_t k = 0; k < f->f_nslots; k++)
			f->f_index[index_find(f, f->f_slots[k].sl_hash,
			    f->f_slots[k].sl_text)] = (int32_t)k;
	}
	sb->sb_bytes += (cap - f->f_slots_cap) * (sizeof(*slots) +
	    sizeof(*heap));
	f->f_slots_cap = cap;
	return 0;
}

/* Counts value text (JSON) in the field's heavy-hitter table. */
static int
sb_top(struct sidebar *sb, struct sb_field *f, const char *text, uint64_t h)
{
	struct sb_slot *s;
	size_t i;

	if (f->f_nslots == f->f_slots_cap && f->f_slots_cap < sb->sb_top_cap &&
	    sb_top_grow(sb, f) == -1)
		return -1;
	i = index_find(f, h, text);
	if (f->f_index[i] >= 0) {
		s = &f->f_slots[f->f_index[i]];
		s->sl_count++;
		heap_down(f, s->sl_heap);
		return 0;
	}
	if (f->f_nslots < f->f_slots_cap) {
		s = &f->f_slots[f->f_nslots];
		if ((s->sl_text = strdup(text)) == NULL)
			return -1;
		sb->sb_bytes += strlen(text) + 1;
		s->sl_hash = h;
		s->sl_count = 1;
		s->sl_heap = f->f_nslots;
		f->f_heap[f->f_nslots] = f->f_nslots;
		f->f_index[i] = (int32_t)f->f_nslots;
		f->f_nslots++;
		heap_up(f, s->sl_heap);
		return 0;
	}
	/* Space-Saving: the new value takes the place of the least counted
	 * one and inherits its count. */
	s = &f->f_slots[f->f_heap[0]];
	index_remove(f, index_find(f, s->sl_hash, s->sl_text));
	sb->sb_bytes -= strlen(s->sl_text) + 1;
	free(s->sl_text);
	if ((s->sl_text = strdup(text)) == NULL)
		return -1;
	sb->sb_bytes += strlen(text) + 1;
	s->sl_hash = h;
	s->sl_count++;
	f->f_index[index_find(f, h, text)] = (int32_t)f->f_heap[0];
	heap_down(f, 0);
	return 0;
}

/*
 * Writes the shortest text that reads back as d into out (SB_NUM_MAX
 * bytes), with ".0" when it looks integral: a JSON float.
 */
static void
fmt_double(char *out, double d)
{
	snprintf(out, SB_NUM_MAX, "%.17g", d);
	for (int prec = 1; prec < 17; prec++) {
		char shorter[SB_NUM_MAX];

		snprintf(shorter, sizeof(shorter), "%.*g", prec, d);
		if (strtod(shorter, NULL) == d && (strchr(shorter, 'e') == NULL ||
		    strchr(out, 'e') != NULL)) {
			memcpy(out, shorter, SB_NUM_MAX);
			break;
		}
	}
	if (strpbrk(out, ".eEn") == NULL)
		strcat(out, ".0");
}

/* ---- Reading a result's JSON text without building a tree ----
 *
 * The scanner checks the JSON syntax it walks; a result it cannot read is
 * left out of the sidebar (results are the pipeline's own JSON, so this
 * does not happen in practice). */

static const char *
js_ws(const char *p, const char *e)
{
	while (p < e && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	return p;
}

/*
 * p at '"': returns the end of the string, or NULL. *plain is 1 when the
 * text is already as buf_json_str writes it (its canonical form): no DEL,
 * and no escapes but \\ \" \n \r \t.
 */
static const char *
js_string(const char *p, const char *e, int *plain)
{
	const uint64_t ones = 0x0101010101010101ULL, highs = ones * 0x80;

	*plain = 1;
	for (p++; p < e; p++) {
		/* Skip eight bytes at a time while none of them is '"',
		 * '\\', a control character or DEL. */
		while (e - p >= 8) {
			uint64_t w, q, b, c, d;

			memcpy(&w, p, 8);
			q = w ^ (ones * '"');
			b = w ^ (ones * '\\');
			d = w ^ (ones * 0x7f);
			c = ((q - ones) & ~q) | ((b - ones) & ~b) |
			    ((d - ones) & ~d) | (w - ones * 0x20);
			if ((c & ~w & highs) != 0)
				break;
			p += 8;
		}
		if (p >= e)
			break;
		unsigned char c = (unsigned char)*p;

		if (c == '"')
			return p + 1;
		if (c < 0x20)
			return NULL;
		if (c == 0x7f)
			*plain = 0;
		if (c == '\\') {
			if (++p >= e)
				return NULL;
			if (*p != '\\' && *p != '"' && *p != 'n' && *p != 'r' &&
			    *p != 't')
				*plain = 0;
		}
	}
	return NULL;
}

/*
 * Returns 1 when the real number text v (n bytes, digits '.' digits) is
 * what fmt_double writes for its value: no exponent, no needless zeros, at
 * most 15 significant digits (DBL_DIG: such a decimal is the shortest that
 * reads back as its double) and at least 1e-4 (fmt_double has no exponent
 * there).
 */
static int
real_is_canonical(const char *v, size_t n)
{
	const char *p = v, *e = v + n, *dot;
	int sig = 0, lead = 1;

	if (p < e && *p == '-')
		p++;
	if ((dot = memchr(p, '.', (size_t)(e - p))) == NULL || dot == p ||
	    dot + 1 == e || e[-1] == '0' || (*p == '0' && dot != p + 1))
		return 0;
	for (const char *q = p; q < e; q++) {
		if (q == dot)
			continue;
		if (*q < '0' || *q > '9')
			return 0;
		if (lead && *q == '0') {
			/* zeros before the first significant digit */
			if (q > dot + 3)
				return 0;
			continue;
		}
		lead = 0;
		sig++;
	}
	return sig > 0 && sig <= 15;
}

/* Returns the end of the number at p, or NULL. *integral: no '.', 'e'. */
static const char *
js_number(const char *p, const char *e, int *integral)
{
	const char *s = p;

	*integral = 1;
	if (p < e && *p == '-')
		p++;
	if (p >= e || *p < '0' || *p > '9')
		return NULL;
	while (p < e && ((*p >= '0' && *p <= '9') || *p == '.' || *p == 'e' ||
	    *p == 'E' || *p == '+' || *p == '-')) {
		if (*p == '.' || *p == 'e' || *p == 'E')
			*integral = 0;
		p++;
	}
	return p > s ? p : NULL;
}

/* Returns the end of any JSON value at p (arrays and objects skipped
 * whole), or NULL. */
static const char *
js_value(const char *p, const char *e, int depth)
{
	int x;

	if (p >= e || depth > 512)
		return NULL;
	switch (*p) {
	case '"':
		return js_string(p, e, &x);
	case '[': case '{': {
		char close = *p == '[' ? ']' : '}';

		p = js_ws(p + 1, e);
		if (p < e && *p == close)
			return p + 1;
		for (;;) {
			if (close == '}') {
				if (p >= e || *p != '"' ||
				    (p = js_string(p, e, &x)) == NULL)
					return NULL;
				p = js_ws(p, e);
				if (p >= e || *p != ':')
					return NULL;
				p = js_ws(p + 1, e);
			}
			if ((p = js_value(p, e, depth + 1)) == NULL)
				return NULL;
			p = js_ws(p, e);
			if (p < e && *p == ',') {
				p = js_ws(p + 1, e);
				continue;
			}
			return p < e && *p == close ? p + 1 : NULL;
		}
	}
	case 't':
		return e - p >= 4 && memcmp(p, "true", 4) == 0 ? p + 4 : NULL;
	case 'f':
		return e - p >= 5 && memcmp(p, "false", 5) == 0 ? p + 5 : NULL;
	case 'n':
		return e - p >= 4 && memcmp(p, "null", 4) == 0 ? p + 4 : NULL;
	default:
		return js_number(p, e, &x);
	}
}

/* Appends the UTF-8 form of code point cp. */
static int
put_utf8(struct buf *b, unsigned long cp)
{
	char u[4];
	size_t n;

	if (cp < 0x80) {
		u[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (char)(0xc0 | (cp >> 6));
		u[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (char)(0xe0 | (cp >> 12));
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		u[0] = (char)(0xf0 | (cp >> 18));
		u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	return buf_append(b, u, n);
}

/* Reads 4 hex digits at p. Returns the value, or -1. */
static long
hex4(const char *p, const char *e)
{
	long v = 0;

	if (e - p < 4)
		return -1;
	for (int i = 0; i < 4; i++) {
		int c = (unsigned char)p[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v |= c - 'A' + 10;
		else
			return -1;
	}
	return v;
}

/* Appends the decoded text of the string s..e (inside the quotes) to b.
 * Returns 0, or -1 (a bad escape, or no memory). */
static int
js_decode(struct buf *b, const char *s, const char *e)
{
	const char *run = s;

	while (s < e) {
		long cp, lo;

		if (*s != '\\') {
			s++;
			continue;
		}
		if (buf_append(b, run, (size_t)(s - run)) == -1 || ++s >= e)
			return -1;
		switch (*s++) {
		case '"': cp = '"'; break;
		case '\\': cp = '\\'; break;
		case '/': cp = '/'; break;
		case 'b': cp = '\b'; break;
		case 'f': cp = '\f'; break;
		case 'n': cp = '\n'; break;
		case 'r': cp = '\r'; break;
		case 't': cp = '\t'; break;
		case 'u':
			if ((cp = hex4(s, e)) < 0)
				return -1;
			s += 4;
			if (cp >= 0xdc00 && cp <= 0xdfff)
				return -1;
			if (cp >= 0xd800 && cp <= 0xdbff) {
				if (e - s < 6 || s[0] != '\\' || s[1] != 'u' ||
				    (lo = hex4(s + 2, e)) < 0xdc00 || lo > 0xdfff)
					return -1;
				cp = 0x10000 + ((cp - 0xd800) << 10) +
				    (lo - 0xdc00);
				s += 6;
			}
			if (cp == 0)
				return -1;	/* as Jansson: no NUL in text */
			break;
		default:
			return -1;
		}
		if (put_utf8(b, (unsigned long)cp) == -1)
			return -1;
		run = s;
	}
	return buf_append(b, run, (size_t)(s - run));
}

/*
 * Walks the members of the object at p (just after its '{'), appending
 * each leaf to sb_leaves with its dotted name (prefix: the name of the
 * object, plen bytes of sb_names). Returns the end of the object, or NULL.
 */
static const char *
sb_scan_object(struct sidebar *sb, const char *p, const char *e,
    size_t prefix, size_t plen, int depth)
{
	struct buf *names = &sb->sb_names;
	int plain;

	p = js_ws(p, e);
	if (p < e && *p == '}')
		return p + 1;
	for (;;) {
		const char *k = p, *v, *ve;
		size_t name = names->b_len, nlen;

		if (p >= e || *p != '"' || (p = js_string(p, e, &plain)) == NULL)
			return NULL;
		/* The prefix is copied from the buffer itself: make room
		 * first, so that it does not move under the copy. */
		if (plen > 0 && (buf_reserve(names, plen + 1) == -1 ||
		    buf_append(names, names->b_data + prefix, plen) == -1 ||
		    buf_putc(names, '.') == -1))
			return NULL;
		if (plain ? buf_append(names, k + 1, (size_t)(p - k - 2)) :
		    js_decode(names, k + 1, p - 1))
			return NULL;
		nlen = names->b_len - name;
		p = js_ws(p, e);
		if (p >= e || *p != ':')
			return NULL;
		v = js_ws(p + 1, e);
		if (v < e && *v == '{' && depth < SB_MAX_DEPTH &&
		    *js_ws(v + 1, e) != '}') {
			if ((ve = sb_scan_object(sb, v + 1, e, name, nlen,
			    depth + 1)) == NULL)
				return NULL;
		} else {
			plain = 0;
			if ((ve = v < e && *v == '"' ? js_string(v, e, &plain) :
			    js_value(v, e, depth)) == NULL)
				return NULL;
			if (sb->sb_nleaves == sb->sb_leaves_cap) {
				size_t cap = sb->sb_leaves_cap ?
				    sb->sb_leaves_cap * 2 : 64;
				struct sb_leaf *l = realloc(sb->sb_leaves,
				    cap * sizeof(*l));

				if (l == NULL)
					return NULL;
				sb->sb_leaves = l;
				sb->sb_leaves_cap = cap;
			}
			sb->sb_leaves[sb->sb_nleaves++] = (struct sb_leaf){
				name, nlen, v, (size_t)(ve - v), plain };
		}
		p = js_ws(ve, e);
		if (p < e && *p == ',') {
			p = js_ws(p + 1, e);
			continue;
		}
		return p < e && *p == '}' ? p + 1 : NULL;
	}
}

/*
 * Sets sb_text to the canonical JSON text of leaf l's value, so
 * that equal values count as one: strings re-escaped when they hold
 * escapes, numbers as integers or shortest floats, arrays and objects
 * compact. Sets *type and, for a number, *d. Returns 0; 1 for a value
 * not counted (null, or one JSON readers refuse: a number out of range, a
 * "\u0000" or lone surrogate escape, an array holding such); -1 out of
 * memory.
 */
static int
sb_canon(struct sidebar *sb, const struct sb_leaf *l, unsigned *type,
    double *d)
{
	const char *v = l->lf_v;
	size_t vlen = l->lf_vlen;
	struct buf *t = &sb->sb_text;
	const char *e = v + vlen;
	int integral;

	t->b_len = 0;
	switch (*v) {
	case '"':
		*type = T_STRING;
		if (l->lf_plain)
			return buf_append(t, v, vlen);
		{
			struct buf dec = BUF_INIT;
			int rc = js_decode(&dec, v + 1, e - 1) == -1 ? 1 :
			    buf_json_str(t, dec.b_data ? dec.b_data : "",
			    dec.b_len);

			buf_free(&dec);
			return rc;
		}
	case 't': case 'f':
		*type = T_BOOLEAN;
		return buf_append(t, v, vlen);
	case 'n':
		return 1;
	case '[': case '{': {
		json_t *j = json_loadb(v, vlen, JSON_DECODE_ANY, NULL);
		char *dump = j ? json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY) :
		    NULL;
		int rc = j == NULL ? 1 : dump ? buf_puts(t, dump) : -1;

		*type = *v == '[' ? T_ARRAY : T_OBJECT;
		free(dump);
		json_decref(j);
		return rc;
	}
	default: {
		char num[SB_NUM_MAX];

		*type = T_NUMBER;
		if (js_number(v, e, &integral) != e)
			return 1;
		if (buf_append(t, v, vlen) == -1)
			return -1;
		if (integral && vlen <= 16) {
			/* Exact in a double: read it here, strtod is slow. */
			int64_t i = 0;

			for (const char *q = v + (*v == '-'); q < e; q++)
				i = i * 10 + (*q - '0');
			*d = (double)(*v == '-' ? -i : i);
		} else
			*d = strtod(t->b_data, NULL);
		if (!isfinite(*d))
			return 1;
		if (integral && (v[*v == '-'] != '0' || vlen == 1)) {
			/* An integer's digits are its canonical form. */
			return 0;
		}
		if (integral) {		/* "-0" */
			t->b_len = 0;
			*d = 0;
			return buf_puts(t, "0");
		}
		if (!integral && real_is_canonical(v, vlen))
			return 0;
		fmt_double(num, *d);
		t->b_len = 0;
		return buf_puts(t, num);
	}
	}
}

/* Records one leaf value (canonical text in sb_text) of field name. */
static int
sb_value(struct sidebar *sb, const char *name, size_t nlen, unsigned type,
    double d)
{
	const char *text = sb->sb_text.b_data;
	struct sb_field *f;
	uint64_t h;

	if ((f = sb_field(sb, name, nlen)) == NULL)
		return sb->sb_n >= SIDEBAR_MAX_FIELDS ? 0 : -1;
	f->f_count++;
	f->f_types |= type;
	if (type == T_NUMBER) {
		size_t n = sb->sb_text.b_len < SB_NUM_MAX - 1 ?
		    sb->sb_text.b_len : SB_NUM_MAX - 1;

		if (f->f_nnum == 0 || d < f->f_min) {
			f->f_min = d;
			memcpy(f->f_min_t, text, n);
			f->f_min_t[n] = '\0';
		}
		if (f->f_nnum == 0 || d > f->f_max) {
			f->f_max = d;
			memcpy(f->f_max_t, text, n);
			f->f_max_t[n] = '\0';
		}
		f->f_sum += d;
		f->f_nnum++;
	}
	h = sb_hash(text, sb->sb_text.b_len);
	return sb_distinct(sb, f, h) == 0 && sb_top(sb, f, text, h) == 0 ?
	    0 : -1;
}

int
sidebar_add(struct sidebar *sb, const char *json, size_t len)
{
	const char *e = json + len, *p = js_ws(json, e);

	sb->sb_names.b_len = 0;
	sb->sb_nleaves = 0;
	/* First read the whole result: one that does not scan counts not. */
	if (p >= e || *p != '{' ||
	    (p = sb_scan_object(sb, p + 1, e, 0, 0, 0)) == NULL ||
	    js_ws(p, e) != e)
		return 0;
	sb->sb_total++;
	for (size_t i = 0; i < sb->sb_nleaves; i++) {
		const struct sb_leaf *l = &sb->sb_leaves[i];
		unsigned type = 0;
		double d = 0;
		int rc = sb_canon(sb, l, &type, &d);

		if (rc == 1)
			continue;	/* null, or not a readable value */
		if (rc == -1)
			return -1;
		if (sb_value(sb, sb->sb_names.b_data + l->lf_name,
		    l->lf_name_len, type, d) == -1)
			return -1;
	}
	return 0;
}

static int
field_cmp(const void *a, const void *b)
{
	return strcmp(((const struct sb_field *)a)->f_name,
	    ((const struct sb_field *)b)->f_name);
}

/* Orders top values by count (descending), then value (numbers first,
 * numerically; then texts by bytes). */
static int
slot_cmp(const void *pa, const void *pb)
{
	const struct sb_slot *a = *(struct sb_slot *const *)pa;
	const struct sb_slot *b = *(struct sb_slot *const *)pb;
	char *ea, *eb;
	double da, db;
	int na, nb;

	if (a->sl_count != b->sl_count)
		return a->sl_count > b->sl_count ? -1 : 1;
	da = strtod(a->sl_text, &ea);
	db = strtod(b->sl_text, &eb);
	na = *a->sl_text != '"' && *ea == '\0' && ea != a->sl_text;
	nb = *b->sl_text != '"' && *eb == '\0' && eb != b->sl_text;
	if (na && nb && da != db)
		return da < db ? -1 : 1;
	if (na != nb)
		return na ? -1 : 1;
	return strcmp(a->sl_text, b->sl_text);
}

static const char *
type_name(unsigned t)
{
	switch (t) {
	case T_NUMBER: return "number";
	case T_STRING: return "string";
	case T_BOOLEAN: return "boolean";
	case T_OBJECT: return "object";
	case T_ARRAY: return "array";
	default: return "mixed";
	}
}

/* Appends d as a JSON float (percent and avg are floats). */
static int
put_float(struct buf *b, double d)
{
	char num[SB_NUM_MAX];

	fmt_double(num, d);
	return buf_puts(b, num);
}

char *
sidebar_json(struct sidebar *sb, size_t *len)
{
	struct buf b = BUF_INIT;
	struct sb_slot **order = NULL;
	int fail = 0;

	qsort(sb->sb_fields, sb->sb_n, sizeof(*sb->sb_fields), field_cmp);
	/* The fields moved: index them again for any later sidebar_add. */
	if (sb->sb_index_cap > 0 && sb_index_build(sb, sb->sb_index_cap) == -1)
		return NULL;
	fail |= buf_printf(&b, "{\"totalEvents\":%llu,\"fields\":[",
	    (unsigned long long)sb->sb_total);
	for (size_t i = 0; i < sb->sb_n && !fail; i++) {
		struct sb_field *f = &sb->sb_fields[i];
		uint64_t distinct = f->f_hll ? (uint64_t)llround(
		    hll_estimate(f->f_hll)) : f->f_set_n;
		size_t ntop = f->f_nslots < (size_t)sb->sb_top ? f->f_nslots :
		    (size_t)sb->sb_top;

		fail |= buf_puts(&b, i ? ",{\"name\":" : "{\"name\":");
		fail |= buf_json_str(&b, f->f_name, strlen(f->f_name));
		fail |= buf_printf(&b, ",\"type\":\"%s\",\"count\":%llu,"
		    "\"distinct\":%llu", type_name(f->f_types),
		    (unsigned long long)f->f_count,
		    (unsigned long long)distinct);
		if (f->f_hll)
			fail |= buf_puts(&b, ",\"distinctIsEstimate\":true");
		fail |= buf_puts(&b, ",\"top\":[");
		free(order);
		if ((order = malloc((f->f_nslots + 1) * sizeof(*order))) == NULL)
			fail = 1;
		for (size_t k = 0; !fail && k < f->f_nslots; k++)
			order[k] = &f->f_slots[k];
		if (!fail)
			qsort(order, f->f_nslots, sizeof(*order), slot_cmp);
		for (size_t k = 0; !fail && k < ntop; k++) {
			fail |= buf_printf(&b, "%s{\"value\":%s,\"count\":%llu,"
			    "\"percent\":", k ? "," : "", order[k]->sl_text,
			    (unsigned long long)order[k]->sl_count);
			fail |= put_float(&b, 100.0 *
			    (double)order[k]->sl_count / (double)f->f_count);
			fail |= buf_putc(&b, '}');
		}
		fail |= buf_putc(&b, ']');
		if (f->f_types == T_NUMBER && f->f_nnum > 0) {
			fail |= buf_printf(&b, ",\"min\":%s,\"max\":%s,"
			    "\"avg\":", f->f_min_t, f->f_max_t);
			if (!fail)
				fail |= put_float(&b, f->f_sum /
				    (double)f->f_nnum);
		}
		fail |= buf_putc(&b, '}');
	}
	free(order);
	fail |= buf_puts(&b, "]}");
	if (fail) {
		buf_free(&b);
		return NULL;
	}
	*len = b.b_len;
	return b.b_data;
}
