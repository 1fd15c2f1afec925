/* sidebar.c - per-field statistics of a task's results, in bounded memory. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/buf.h"
#include "common/util.h"
#include "export/export.h"
#include "runner/taskstats.h"

#define SIDEBAR_MAX_FIELDS 1000	/* further fields are not reported */
#define SIDEBAR_TOP_MIN 1000	/* heavy-hitter slots per field, at least */
#define HLL_P 14		/* 2^14 registers: ~0.8 % standard error */
#define HLL_M (1u << HLL_P)
#define SB_NUM_MAX 41		/* a number's canonical text, with its NUL */

enum { T_NUMBER = 1, T_STRING = 2, T_BOOLEAN = 4, T_OBJECT = 8, T_ARRAY = 16 };

/* One heavy-hitter slot: a value (its JSON text) and its count. */
struct sb_slot {
	char *sl_text;		/* NUL-terminated */
	size_t sl_len;
	uint64_t sl_hash;
	uint64_t sl_count;
	size_t sl_heap;		/* position in the min-heap (once built) */
};

struct sb_field {
	char *f_name;
	unsigned f_types;
	uint64_t f_count;
	/*
	 * Values: one slot each, up to sb_top_cap slots. While there are at
	 * most sb_exact values, every value has its slot, so the slots are
	 * the exact distinct count and the exact top. Past sb_exact values a
	 * HyperLogLog estimates distinct; past sb_top_cap the slots become a
	 * Space-Saving table (the new value takes the least counted slot),
	 * with a min-heap built then.
	 */
	uint8_t *f_hll;
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
	size_t f_name_len;
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
	uint32_t *sb_pos;	/* leaf number -> field, of the last result */
	size_t sb_npos, sb_pos_cap;
	struct buf sb_names;	/* sidebar_add's scratch for dotted names */
	struct buf sb_text;	/* a value's canonical text */
	struct buf sb_dec;	/* a string's decoded text */
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
	free(sb->sb_pos);
	buf_free(&sb->sb_names);
	buf_free(&sb->sb_text);
	buf_free(&sb->sb_dec);
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
	f->f_name_len = len;
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

/* Builds the min-heap over the (full) slot table. Returns 0 or -1. */
static int
heap_build(struct sidebar *sb, struct sb_field *f)
{
	if ((f->f_heap = malloc(f->f_nslots * sizeof(*f->f_heap))) == NULL)
		return -1;
	sb->sb_bytes += f->f_nslots * sizeof(*f->f_heap);
	for (size_t k = 0; k < f->f_nslots; k++) {
		f->f_heap[k] = k;
		f->f_slots[k].sl_heap = k;
	}
	for (size_t k = f->f_nslots / 2; k-- > 0;)
		heap_down(f, k);
	return 0;
}

/* Finds the index position of the value text (len bytes, hash h): its
 * entry, or the empty entry where it goes. */
static size_t
index_find(struct sb_field *f, uint64_t h, const char *text, size_t len)
{
	size_t i;

	for (i = h & (f->f_index_cap - 1); f->f_index[i] >= 0;
	    i = (i + 1) & (f->f_index_cap - 1)) {
		struct sb_slot *s = &f->f_slots[f->f_index[i]];
		if (s->sl_hash == h && s->sl_len == len &&
		    memcmp(s->sl_text, text, len) == 0)
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
 * more slot fits; never past sb_top_cap, so never once the heap exists.
 * Returns 0, or -1 out of memory.
 */
static int
sb_slots_grow(struct sidebar *sb, struct sb_field *f)
{
	size_t cap = f->f_slots_cap ? f->f_slots_cap * 2 : 16, icap;
	struct sb_slot *slots;
	int32_t *index;

	if (cap > sb->sb_top_cap)
		cap = sb->sb_top_cap;
	if ((slots = realloc(f->f_slots, cap * sizeof(*slots))) == NULL)
		return -1;
	f->f_slots = slots;
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
			    f->f_slots[k].sl_text, f->f_slots[k].sl_len)] =
			    (int32_t)k;
	}
	sb->sb_bytes += (cap - f->f_slots_cap) * sizeof(*slots);
	f->f_slots_cap = cap;
	return 0;
}

/* Sets slot s's value to text (len bytes, hash h). Returns 0 or -1. */
static int
slot_set(struct sidebar *sb, struct sb_slot *s, const char *text,
    size_t len, uint64_t h)
{
	if (s->sl_text == NULL || len > s->sl_len) {
		char *t = realloc(s->sl_text, len + 1);

		if (t == NULL)
			return -1;
		sb->sb_bytes += len - (s->sl_text ? s->sl_len : 0);
		s->sl_text = t;
	}
	memcpy(s->sl_text, text, len);
	s->sl_text[len] = '\0';
	s->sl_len = len;
	s->sl_hash = h;
	return 0;
}

/* Counts the value text (canonical JSON, len bytes, hash h) of field f. */
static int
sb_count_value(struct sidebar *sb, struct sb_field *f, const char *text,
    size_t len, uint64_t h)
{
	struct sb_slot *s;
	size_t i;

	if (f->f_hll)
		hll_add(f->f_hll, h);
	if (f->f_nslots == f->f_slots_cap && f->f_slots_cap < sb->sb_top_cap &&
	    sb_slots_grow(sb, f) == -1)
		return -1;
	i = index_find(f, h, text, len);
	if (f->f_index[i] >= 0) {
		s = &f->f_slots[f->f_index[i]];
		s->sl_count++;
		if (f->f_heap)
			heap_down(f, s->sl_heap);
		return 0;
	}
	/* A new value. Past sb_exact of them: estimate from here on, the
	 * slots holding every value seen so far. */
	if (f->f_hll == NULL && f->f_nslots >= sb->sb_exact) {
		if ((f->f_hll = calloc(HLL_M, 1)) == NULL)
			return -1;
		sb->sb_bytes += HLL_M;
		for (size_t k = 0; k < f->f_nslots; k++)
			hll_add(f->f_hll, f->f_slots[k].sl_hash);
		hll_add(f->f_hll, h);
	}
	if (f->f_nslots < f->f_slots_cap) {
		s = &f->f_slots[f->f_nslots];
		memset(s, 0, sizeof(*s));
		if (slot_set(sb, s, text, len, h) == -1)
			return -1;
		s->sl_count = 1;
		f->f_index[i] = (int32_t)f->f_nslots++;
		return 0;
	}
	/* Space-Saving: the new value takes the place of the least counted
	 * one and inherits its count. */
	if (f->f_heap == NULL && heap_build(sb, f) == -1)
		return -1;
	s = &f->f_slots[f->f_heap[0]];
	index_remove(f, index_find(f, s->sl_hash, s->sl_text, s->sl_len));
	if (slot_set(sb, s, text, len, h) == -1)
		return -1;
	s->sl_count++;
	f->f_index[index_find(f, h, text, len)] = (int32_t)f->f_heap[0];
	heap_down(f, 0);
	return 0;
}

/* ---- Leaves of a result, as export_scan_event() reports them ---- */

/*
 * Returns 1 when the real number text v (n bytes, digits '.' digits) is
 * what util_fmt_real writes for its value: no exponent, no needless zeros, at
 * most 15 significant digits (DBL_DIG: such a decimal is the shortest that
 * reads back as its double) and at least 1e-4 (util_fmt_real has no exponent
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

/*
 * Returns 1 when the string body s (n bytes, between the quotes) is as
 * buf_json_str writes its text: no DEL, no escapes but \\ \" \n \r \t.
 */
static int
str_is_canonical(const char *s, size_t n, int escaped)
{
	const char *e = s + n;

	if (memchr(s, 0x7f, n) != NULL)
		return 0;
	if (!escaped)
		return 1;
	while ((s = memchr(s, '\\', (size_t)(e - s))) != NULL) {
		if (++s >= e)
			return 0;
		if (*s != '\\' && *s != '"' && *s != 'n' && *s != 'r' &&
		    *s != 't')
			return 0;
		s++;
	}
	return 1;
}

/*
 * Sets *text and *len to the canonical JSON text of leaf l's value, so that
 * equal values count as one: strings re-escaped when written otherwise,
 * numbers as integers or shortest floats, arrays and objects compact. The
 * text is the leaf's own when it already is canonical (the common case),
 * else sb_text. Sets *type and, for a number, *d. Returns 0; 1 for a value
 * not counted (null, or one JSON readers refuse: a number out of range, an
 * array holding one); -1 out of memory.
 */
static int
sb_canon(struct sidebar *sb, const struct export_leaf *l, unsigned *type,
    double *d, const char **text, size_t *len)
{
	struct buf *t = &sb->sb_text;
	const char *v = l->el_val;
	size_t vlen = l->el_val_len;
	int rc;

	t->b_len = 0;
	*text = v;
	*len = vlen;
	switch (l->el_type) {
	case EXPORT_V_STRING: {
		struct buf *dec = &sb->sb_dec;

		*type = T_STRING;
		if (str_is_canonical(v, vlen, l->el_escaped)) {
			*text = v - 1;	/* with its quotes */
			*len = vlen + 2;
			return 0;
		}
		dec->b_len = 0;
		if (export_str_decode(dec, v, vlen, 0) == -1 ||
		    buf_json_str(t, dec->b_data ? dec->b_data : "",
		    dec->b_len) == -1)
			return -1;
		break;
	}
	case EXPORT_V_TRUE:
	case EXPORT_V_FALSE:
		*type = T_BOOLEAN;
		return 0;
	case EXPORT_V_NULL:
		return 1;
	case EXPORT_V_ARRAY:
	case EXPORT_V_OBJECT: {
		json_t *j = json_loadb(v, vlen, JSON_DECODE_ANY, NULL);
		char *dump = j ? json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY) :
		    NULL;

		*type = l->el_type == EXPORT_V_ARRAY ? T_ARRAY : T_OBJECT;
		rc = j == NULL ? 1 : dump ? buf_puts(t, dump) : -1;
		free(dump);
		json_decref(j);
		if (rc != 0)
			return rc;
		break;
	}
	case EXPORT_V_NUMBER:
	default: {
		char num[SB_NUM_MAX];
		const char *q = v + (vlen > 0 && *v == '-');
		int64_t i = 0;
		int integral = 1;

		*type = T_NUMBER;
		for (const char *p = q; p < v + vlen; p++) {
			if (*p < '0' || *p > '9') {
				integral = 0;
				break;
			}
			i = i * 10 + (*p - '0');
		}
		if (integral && vlen <= 16) {
			/* Exact in a double: strtod is slow. */
			*d = (double)(q > v ? -i : i);
		} else {
			if (buf_append(t, v, vlen) == -1)
				return -1;
			*d = strtod(t->b_data, NULL);
			t->b_len = 0;
		}
		if (!isfinite(*d))
			return 1;
		if (integral && (*q != '0' || q + 1 == v + vlen) &&
		    !(q > v && *q == '0'))
			return 0;	/* an integer's digits: canonical */
		if (!integral && real_is_canonical(v, vlen))
			return 0;
		util_fmt_real(*d, num);
		if (integral)
			snprintf(num, sizeof(num), "%.0f", *d);	/* "-0" */
		if (buf_puts(t, num) == -1)
			return -1;
		break;
	}
	}
	*text = t->b_data;
	*len = t->b_len;
	return 0;
}

/*
 * Returns the field of leaf number i of the result (name, len bytes): the
 * field leaf i had in the last result when the name is the same (results
 * of one query mostly share their layout), else a lookup. NULL as
 * sb_field().
 */
static struct sb_field *
sb_leaf_field(struct sidebar *sb, size_t i, const char *name, size_t len)
{
	struct sb_field *f;

	if (i < sb->sb_npos && sb->sb_pos[i] < sb->sb_n) {
		f = &sb->sb_fields[sb->sb_pos[i]];
		if (f->f_name_len == len && memcmp(f->f_name, name, len) == 0)
			return f;
	}
	if ((f = sb_field(sb, name, len)) == NULL)
		return NULL;
	if (i >= sb->sb_pos_cap) {
		size_t cap = sb->sb_pos_cap ? sb->sb_pos_cap * 2 : 64;
		uint32_t *pos;

		if (i >= SIDEBAR_MAX_FIELDS * 4 ||
		    (pos = realloc(sb->sb_pos, cap * sizeof(*pos))) == NULL)
			return f;	/* just no cache for it */
		sb->sb_pos = pos;
		sb->sb_pos_cap = cap;
	}
	while (sb->sb_npos <= i)
		sb->sb_pos[sb->sb_npos++] = UINT32_MAX;
	sb->sb_pos[i] = (uint32_t)(f - sb->sb_fields);
	return f;
}

int
sidebar_leaf(struct sidebar *sb, size_t i, const struct export_leaf *l)
{
	struct sb_field *f;
	unsigned type = 0;
	double d = 0;
	const char *text;
	size_t len;
	int rc;

	if ((rc = sb_canon(sb, l, &type, &d, &text, &len)) != 0)
		return rc == 1 ? 0 : -1;	/* 1: null, or unreadable */
	if ((f = sb_leaf_field(sb, i, l->el_name, l->el_name_len)) == NULL)
		return sb->sb_n >= SIDEBAR_MAX_FIELDS ? 0 : -1;
	f->f_count++;
	f->f_types |= type;
	if (type == T_NUMBER) {
		size_t n = len < SB_NUM_MAX - 1 ? len : SB_NUM_MAX - 1;

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
	return sb_count_value(sb, f, text, len, sb_hash(text, len));
}

void
sidebar_begin(struct sidebar *sb)
{
	sb->sb_total++;
}

struct sb_add {
	struct sidebar *sa_sb;
	size_t sa_i;
};

static int
sb_add_leaf(void *arg, const struct export_leaf *l)
{
	struct sb_add *a = arg;

	return sidebar_leaf(a->sa_sb, a->sa_i++, l) == -1 ? -1 : 0;
}

static int
sb_no_leaf(void *arg, const struct export_leaf *l)
{
	(void)arg;
	(void)l;
	return 0;
}

int
sidebar_add(struct sidebar *sb, const char *json, size_t len)
{
	struct sb_add a = { sb, 0 };

	/* A result that is not a JSON object is not counted: check it whole
	 * first (the runner's results always are; this is for other callers). */
	if (export_scan_event(json, len, &sb->sb_names, sb_no_leaf, NULL) != 0)
		return 0;
	sidebar_begin(sb);
	return export_scan_event(json, len, &sb->sb_names, sb_add_leaf, &a) ==
	    -1 ? -1 : 0;
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

	util_fmt_real(d, num);
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
		    hll_estimate(f->f_hll)) : f->f_nslots;
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
