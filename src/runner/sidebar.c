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
	json_t *f_min_v, *f_max_v;
};

struct sidebar {
	struct sb_field *sb_fields;
	size_t sb_n, sb_cap;
	uint64_t sb_total;
	int64_t sb_top;
	size_t sb_exact;
	size_t sb_top_cap;	/* slots per field: exact up to this many */
	size_t sb_bytes;	/* memory held, approximately */
};

/* 64-bit FNV-1a followed by a mixer (splitmix64's finaliser). */
static uint64_t
sb_hash(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ULL;

	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
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
	json_decref(f->f_min_v);
	json_decref(f->f_max_v);
}

void
sidebar_free(struct sidebar *sb)
{
	if (sb == NULL)
		return;
	for (size_t i = 0; i < sb->sb_n; i++)
		sb_field_free(&sb->sb_fields[i]);
	free(sb->sb_fields);
	free(sb);
}

size_t
sidebar_memory(const struct sidebar *sb)
{
	return sb->sb_bytes;
}

/* Returns the field named name, creating it; NULL when full or no memory. */
static struct sb_field *
sb_field(struct sidebar *sb, const char *name)
{
	struct sb_field *f;

	/* Fields are few (at most SIDEBAR_MAX_FIELDS): a linear scan, most
	 * recently added first, is cheap next to parsing the event. */
	for (size_t i = sb->sb_n; i-- > 0;)
		if (strcmp(sb->sb_fields[i].f_name, name) == 0)
			return &sb->sb_fields[i];
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
	if ((f->f_name = strdup(name)) == NULL)
		return NULL;
	sb->sb_n++;
	sb->sb_bytes += sizeof(*f) + strlen(name);
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

/* Records one leaf value v of field name. */
static int
sb_value(struct sidebar *sb, const char *name, json_t *v)
{
	struct sb_field *f;
	char *text;
	uint64_t h;
	int rc;

	if (json_is_null(v))
		return 0;
	if ((f = sb_field(sb, name)) == NULL)
		return sb->sb_n >= SIDEBAR_MAX_FIELDS ? 0 : -1;
	f->f_count++;
	switch (json_typeof(v)) {
	case JSON_INTEGER:
	case JSON_REAL: {
		double d = json_number_value(v);

		f->f_types |= T_NUMBER;
		if (f->f_nnum == 0 || d < f->f_min) {
			f->f_min = d;
			json_decref(f->f_min_v);
			f->f_min_v = json_incref(v);
		}
		if (f->f_nnum == 0 || d > f->f_max) {
			f->f_max = d;
			json_decref(f->f_max_v);
			f->f_max_v = json_incref(v);
		}
		f->f_sum += d;
		f->f_nnum++;
		break;
	}
	case JSON_STRING: f->f_types |= T_STRING; break;
	case JSON_TRUE: case JSON_FALSE: f->f_types |= T_BOOLEAN; break;
	case JSON_ARRAY: f->f_types |= T_ARRAY; break;
	default: f->f_types |= T_OBJECT; break;
	}
	if ((text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY)) == NULL)
		return -1;
	h = sb_hash(text, strlen(text));
	rc = sb_distinct(sb, f, h) == 0 && sb_top(sb, f, text, h) == 0 ? 0 : -1;
	free(text);
	return rc;
}

/* Walks object o, reporting leaves under dotted names. */
static int
sb_walk(struct sidebar *sb, struct buf *name, json_t *o, int depth)
{
	const char *key;
	json_t *v;
	size_t keep = name->b_len;

	json_object_foreach(o, key, v) {
		name->b_len = keep;
		if ((keep && buf_putc(name, '.') == -1) || buf_puts(name, key) == -1)
			return -1;
		if (json_is_object(v) && json_object_size(v) > 0 && depth < 32) {
			if (sb_walk(sb, name, v, depth + 1) == -1)
				return -1;
		} else if (sb_value(sb, name->b_data, v) == -1)
			return -1;
	}
	name->b_len = keep;
	if (name->b_data)
		name->b_data[keep] = '\0';
	return 0;
}

int
sidebar_add(struct sidebar *sb, const char *json, size_t len)
{
	struct buf name = BUF_INIT;
	json_t *o = json_loadb(json, len, 0, NULL);
	int rc;

	if (o == NULL)
		return 0;	/* results are JSON objects; nothing to count */
	sb->sb_total++;
	rc = json_is_object(o) ? sb_walk(sb, &name, o, 0) : 0;
	json_decref(o);
	buf_free(&name);
	return rc;
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

/* Appends d as a JSON float: shortest exact form, with ".0" when
 * integral (percent and avg are floats). */
static int
put_float(struct buf *b, double d)
{
	char num[40];

	snprintf(num, sizeof(num), "%.17g", d);
	/* Prefer the shortest text that reads back as the same double. */
	for (int prec = 1; prec < 17; prec++) {
		char shorter[40];

		snprintf(shorter, sizeof(shorter), "%.*g", prec, d);
		if (strtod(shorter, NULL) == d && (strchr(shorter, 'e') == NULL ||
		    strchr(num, 'e') != NULL)) {
			memcpy(num, shorter, sizeof(num));
			break;
		}
	}
	if (strpbrk(num, ".eEn") == NULL)
		strcat(num, ".0");
	return buf_puts(b, num);
}

char *
sidebar_json(struct sidebar *sb, size_t *len)
{
	struct buf b = BUF_INIT;
	struct sb_slot **order = NULL;
	int fail = 0;

	qsort(sb->sb_fields, sb->sb_n, sizeof(*sb->sb_fields), field_cmp);
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
			char *mn = json_dumps(f->f_min_v, JSON_ENCODE_ANY);
			char *mx = json_dumps(f->f_max_v, JSON_ENCODE_ANY);

			fail |= !mn || !mx;
			if (!fail)
				fail |= buf_printf(&b, ",\"min\":%s,\"max\":%s,"
				    "\"avg\":", mn, mx);
			free(mn);
			free(mx);
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
