/* agg.c - the stats functions' running state, group tables and keys. */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/evtime.h"
#include "sml/agg.h"
#include "sml/stage.h"

/* ---- Group tables ---- */

/* A fast 64-bit hash of n bytes (multiply-xorshift over 8-byte words). */
static uint64_t
gtab_hash(const void *p, size_t n)
{
	const unsigned char *s = p;
	uint64_t h = 0x9e3779b97f4a7c15ULL ^ (n * 0xff51afd7ed558ccdULL), w;

	while (n >= 8) {
		memcpy(&w, s, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdULL;
		h ^= h >> 32;
		s += 8;
		n -= 8;
	}
	w = 0;
	if (n > 0)
		memcpy(&w, s, n);
	h = (h ^ w) * 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 29;
	h *= 0xff51afd7ed558ccdULL;
	return h ^ (h >> 32);
}

/* Doubles the slots of t (or makes the first 16). Returns 0 or -1. */
static int
gtab_grow(struct gtab *t)
{
	size_t cap = t->gt_cap ? t->gt_cap * 2 : 16, i, j;
	uint32_t *slots;

	if (cap > (size_t)UINT32_MAX || (slots = calloc(cap, sizeof(*slots))) ==
	    NULL)
		return -1;
	for (i = 0; i < t->gt_n; i++) {
		j = t->gt_keys[i].gk_hash & (cap - 1);
		while (slots[j] != 0)
			j = (j + 1) & (cap - 1);
		slots[j] = (uint32_t)i + 1;
	}
	free(t->gt_slots);
	t->gt_slots = slots;
	t->gt_cap = cap;
	return 0;
}

long
gtab_get(struct gtab *t, const void *key, size_t len, int add, int *added)
{
	uint64_t h;
	struct gkey *k;
	size_t j;

	if (key == NULL)
		key = "";	/* an empty key (no BY fields) */
	h = gtab_hash(key, len);

	if (added)
		*added = 0;
	if (t->gt_cap > 0) {
		for (j = h & (t->gt_cap - 1); t->gt_slots[j] != 0;
		    j = (j + 1) & (t->gt_cap - 1)) {
			k = &t->gt_keys[t->gt_slots[j] - 1];
			if (k->gk_hash == h && k->gk_len == len &&
			    memcmp(k->gk_data, key, len) == 0)
				return (long)(t->gt_slots[j] - 1);
		}
	}
	if (!add)
		return -1;
	if (t->gt_n >= (size_t)UINT32_MAX - 1)
		return -2;
	if ((t->gt_n + 1) * 2 > t->gt_cap && gtab_grow(t) == -1)
		return -2;
	if (t->gt_n == t->gt_keycap) {
		size_t cap = t->gt_keycap ? t->gt_keycap * 2 : 16;

		if ((k = realloc(t->gt_keys, cap * sizeof(*k))) == NULL)
			return -2;
		t->gt_keys = k;
		t->gt_keycap = cap;
	}
	k = &t->gt_keys[t->gt_n];
	if ((k->gk_data = malloc(len ? len : 1)) == NULL)
		return -2;
	memcpy(k->gk_data, key, len);
	k->gk_len = len;
	k->gk_hash = h;
	for (j = h & (t->gt_cap - 1); t->gt_slots[j] != 0;
	    j = (j + 1) & (t->gt_cap - 1))
		;
	t->gt_slots[j] = (uint32_t)t->gt_n + 1;
	if (added)
		*added = 1;
	return (long)t->gt_n++;
}

void
gtab_reset(struct gtab *t)
{
	for (size_t i = 0; i < t->gt_n; i++)
		free(t->gt_keys[i].gk_data);
	t->gt_n = 0;
	if (t->gt_slots)
		memset(t->gt_slots, 0, t->gt_cap * sizeof(*t->gt_slots));
}

void
gtab_free(struct gtab *t)
{
	gtab_reset(t);
	free(t->gt_slots);
	free(t->gt_keys);
	memset(t, 0, sizeof(*t));
}

int64_t
gtab_cost(size_t len)
{
	/* The copy, its entry, and two slots at the table's load. */
	return (int64_t)len + 16 + (int64_t)sizeof(struct gkey) +
	    2 * (int64_t)sizeof(uint32_t);
}

/* ---- Keys and values ---- */

/* Appends a 4-byte length and len bytes. */
static int
key_put_len(struct buf *b, char tag, const char *s, size_t len)
{
	uint32_t n = (uint32_t)len;

	if (len > UINT32_MAX)
		return -1;
	return buf_putc(b, tag) == -1 || buf_append(b, &n, sizeof(n)) == -1 ||
	    buf_append(b, s, len) == -1 ? -1 : 0;
}

int
agg_key_put(struct buf *b, const json_t *v)
{
	json_int_t i;
	char *s;
	size_t len;
	int rc;

	if (v == NULL || json_is_null(v))
		return buf_putc(b, 'n');
	switch (json_typeof(v)) {
	case JSON_STRING:
		return key_put_len(b, 's', json_string_value(v),
		    json_string_length(v));
	case JSON_INTEGER:
		i = json_integer_value(v);
		return buf_putc(b, 'i') == -1 ||
		    buf_append(b, &i, sizeof(i)) == -1 ? -1 : 0;
	case JSON_TRUE:
		return buf_putc(b, 't');
	case JSON_FALSE:
		return buf_putc(b, 'f');
	default:
		/* Reals, arrays, objects: their compact text. */
		if ((s = value_json(v, &len)) == NULL)
			return -1;
		rc = key_put_len(b, 'j', s, len);
		free(s);
		return rc;
	}
}

/* The rank of a JSON type, to order values value_cmp finds equal. */
static int
value_type_rank(const json_t *v)
{
	if (v == NULL)
		return 0;
	switch (json_typeof(v)) {
	case JSON_INTEGER: return 1;
	case JSON_REAL: return 2;
	case JSON_STRING: return 3;
	case JSON_TRUE: return 4;
	case JSON_FALSE: return 5;
	case JSON_ARRAY: return 6;
	case JSON_OBJECT: return 7;
	default: return 0;
	}
}

int
agg_value_cmp(const json_t *a, const json_t *b)
{
	int r = value_cmp(a, b), ra, rb;
	size_t la, lb;

	if (r != 0)
		return r;
	ra = value_type_rank(a);
	rb = value_type_rank(b);
	if (ra != rb)
		return ra < rb ? -1 : 1;
	if (ra == 3) {
		/* "5" and "5.0" are equal numbers but different strings. */
		la = json_string_length(a);
		lb = json_string_length(b);
		r = memcmp(json_string_value(a), json_string_value(b),
		    la < lb ? la : lb);
		if (r != 0)
			return r < 0 ? -1 : 1;
		return la < lb ? -1 : la > lb;
	}
	return 0;
}

json_t *
agg_hold(const json_t *v)
{
	if (json_is_array(v) || json_is_object(v))
		return json_deep_copy(v);
	return json_incref((json_t *)v);
}

/* Merges sorted runs a[lo..mid) and a[mid..hi) through tmp. */
static void
agg_merge(void **a, void **tmp, size_t lo, size_t mid, size_t hi,
    int (*cmp)(const void *, const void *, void *), void *arg)
{
	size_t i = lo, j = mid, k = lo;

	while (i < mid && j < hi)
		tmp[k++] = cmp(a[j], a[i], arg) < 0 ? a[j++] : a[i++];
	while (i < mid)
		tmp[k++] = a[i++];
	while (j < hi)
		tmp[k++] = a[j++];
	memcpy(a + lo, tmp + lo, (hi - lo) * sizeof(*a));
}

int
agg_sort_ptrs(void **a, size_t n,
    int (*cmp)(const void *, const void *, void *), void *arg)
{
	void **tmp;
	size_t w, lo;

	if (n < 2)
		return 0;
	if ((tmp = malloc(n * sizeof(*tmp))) == NULL)
		return -1;
	/* Bottom-up merge sort: stable, n log n. */
	for (w = 1; w < n; w *= 2)
		for (lo = 0; lo + w < n; lo += 2 * w)
			agg_merge(a, tmp, lo, lo + w,
			    lo + 2 * w < n ? lo + 2 * w : n, cmp, arg);
	free(tmp);
	return 0;
}

int64_t
agg_json_cost(const json_t *v)
{
	const char *key;
	json_t *el;
	size_t i;
	int64_t n;

	if (v == NULL)
		return 0;
	switch (json_typeof(v)) {
	case JSON_STRING:
		return 48 + (int64_t)json_string_length(v);
	case JSON_ARRAY:
		n = 48 + 8 * (int64_t)json_array_size(v);
		json_array_foreach(v, i, el)
			n += agg_json_cost(el);
		return n;
	case JSON_OBJECT:
		n = 64;
		json_object_foreach((json_t *)v, key, el)
			n += 48 + (int64_t)strlen(key) + agg_json_cost(el);
		return n;
	case JSON_TRUE:
	case JSON_FALSE:
	case JSON_NULL:
		return 0;	/* singletons */
	default:
		return 40;
	}
}

int64_t
agg_event_time(struct event *e, const char *dt_field)
{
	int64_t t;

	if (e->ev_time != INT64_MIN)
		return e->ev_time;
	if (dt_field != NULL &&
	    evtime_from_json(event_get(e, dt_field), &t) == 0)
		return t;
	return INT64_MIN;
}

#define COMBO_FIELDS	8	/* fields handled without allocating */

/*
 * Collects the distinct non-null elements of array v into *out (malloc'd)
 * and *n. Returns 0 or -1 out of memory.
 */
static int
combo_elements(const json_t *v, const json_t ***out, size_t *n)
{
	size_t i, j, m = json_array_size(v), k = 0;
	const json_t **el;
	struct gtab seen = GTAB_INIT;
	struct buf b = BUF_INIT;
	int added;

	*out = NULL;
	*n = 0;
	if (m == 0)
		return 0;
	if ((el = malloc(m * sizeof(*el))) == NULL)
		return -1;
	for (i = 0; i < m; i++) {
		const json_t *x = json_array_get(v, i);

		if (json_is_null(x))
			continue;
		if (m <= 16) {
			for (j = 0; j < k; j++)
				if (agg_value_cmp(el[j], x) == 0)
					break;
			if (j < k)
				continue;
		} else {
			buf_reset(&b);
			if (agg_key_put(&b, x) == -1 || gtab_get(&seen,
			    b.b_data, b.b_len, 1, &added) == -2) {
				gtab_free(&seen);
				buf_free(&b);
				free(el);
				return -1;
			}
			if (!added)
				continue;
		}
		el[k++] = x;
	}
	gtab_free(&seen);
	buf_free(&b);
	*out = el;
	*n = k;
	return 0;
}

long
agg_combos(struct event *e, char *const *fields, size_t n,
    int (*fn)(void *arg, const json_t *const *vals), void *arg)
{
	const json_t *in_one[COMBO_FIELDS] = {NULL}, **one = in_one;
	const json_t **in_lists[COMBO_FIELDS], ***lists = in_lists;
	size_t in_cnt[COMBO_FIELDS], *cnt = in_cnt;
	size_t in_pos[COMBO_FIELDS], *pos = in_pos;
	const json_t *in_tuple[COMBO_FIELDS], **tuple = in_tuple;
	long combos = 0;
	size_t i;
	int arrays = 0;

	if (n > COMBO_FIELDS) {
		one = calloc(n, sizeof(*one));
		lists = calloc(n, sizeof(*lists));
		cnt = calloc(n, sizeof(*cnt));
		pos = calloc(n, sizeof(*pos));
		tuple = calloc(n, sizeof(*tuple));
		if (!one || !lists || !cnt || !pos || !tuple) {
			combos = -1;
			goto out;
		}
	} else
		memset(in_lists, 0, sizeof(in_lists));
	for (i = 0; i < n; i++) {
		json_t *v = event_get(e, fields[i]);

		lists[i] = NULL;
		if (v == NULL || json_is_null(v))
			goto out;
		if (json_is_array(v)) {
			if (combo_elements(v, &lists[i], &cnt[i]) == -1) {
				combos = -1;
				goto out;
			}
			if (cnt[i] == 0)
				goto out;
			arrays = 1;
		} else {
			one[i] = v;
			cnt[i] = 1;
		}
		pos[i] = 0;
	}
	if (!arrays) {
		combos = fn(arg, one) == -1 ? -1 : 1;
		goto out;
	}
	for (;;) {
		for (i = 0; i < n; i++)
			tuple[i] = lists[i] ? lists[i][pos[i]] : one[i];
		if (fn(arg, tuple) == -1) {
			combos = -1;
			goto out;
		}
		combos++;
		for (i = n; i-- > 0;) {
			if (++pos[i] < cnt[i])
				break;
			pos[i] = 0;
		}
		if (i == (size_t)-1)
			break;
	}
out:
	for (i = 0; i < n && lists; i++)
		free(lists[i]);
	if (n > COMBO_FIELDS) {
		free(one);
		free(lists);
		free(cnt);
		free(pos);
		free(tuple);
	}
	return combos;
}

struct event *
agg_keep_event(struct event *e, int64_t *cost)
{
	struct event *k;
	size_t len;

	if (event_text(e, &len) == NULL || (k = event_keep(e)) == NULL)
		return NULL;
	/* The text says it all: the tree would cost several times more. */
	if (k->ev_obj != NULL && k->ev_raw != NULL && !k->ev_dirty) {
		json_decref(k->ev_obj);
		k->ev_obj = NULL;
	}
	*cost = (int64_t)sizeof(*k) + (int64_t)k->ev_rawlen + 32;
	return k;
}

/* ---- Aggregation state ---- */

/* Accounts delta bytes for st. Returns 0 or -1 (the run failed). */
static int
agg_mem(struct agg_state *st, struct run *r, int64_t delta)
{
	st->as_mem += delta;
	return run_mem(r, delta);
}

/*
 * Doubles the capacity *cap (from 8) of the array of st at arrp (a pointer
 * to the array pointer) of elements of size sz, the growth counted against
 * the run's memory first. Returns 0, or -1 (the run failed) with the array
 * left as it was.
 */
static int
agg_grow(struct agg_state *st, struct run *r, void *arrp, size_t *cap,
    size_t sz)
{
	size_t ncap = *cap ? *cap * 2 : 8;
	void *a, *na;

	if (agg_mem(st, r, (int64_t)((ncap - *cap) * sz)) == -1)
		return -1;
	memcpy(&a, arrp, sizeof(a));
	if ((na = realloc(a, ncap * sz)) == NULL)
		return run_fail(r, "out of memory");
	memcpy(arrp, &na, sizeof(na));
	*cap = ncap;
	return 0;
}

#define AGG_GROW(st, r, arr, cap) \
	agg_grow((st), (r), &(arr), (cap), sizeof(*(arr)))

/* Reads v as a number: 1 integer (*i, *d), 2 real (*d), 0 not a number. */
static int
agg_num(const json_t *v, int64_t *i, double *d)
{
	switch (json_typeof(v)) {
	case JSON_INTEGER:
		*i = json_integer_value(v);
		*d = (double)*i;
		return 1;
	case JSON_REAL:
		*d = json_real_value(v);
		return isfinite(*d) ? 2 : 0;
	case JSON_STRING:
		return value_parse_number(json_string_value(v),
		    json_string_length(v), i, d);
	default:
		return 0;
	}
}

/*
 * Double-double arithmetic: a value is hi + lo with |lo| <= ulp(hi) / 2.
 * Additions and products keep their rounding errors (Knuth's two-sum,
 * Dekker's product), so long sums stay exact to about 106 bits.
 */
struct dd {
	double hi, lo;
};

static struct dd
dd_quick(double a, double b)
{
	double s = a + b;

	return (struct dd){ s, b - (s - a) };
}

static struct dd
dd_two_sum(double a, double b)
{
	double s = a + b, bb = s - a;

	return (struct dd){ s, (a - (s - bb)) + (b - bb) };
}

static struct dd
dd_add(struct dd a, struct dd b)
{
	struct dd s = dd_two_sum(a.hi, b.hi), t = dd_two_sum(a.lo, b.lo);

	s.lo += t.hi;
	s = dd_quick(s.hi, s.lo);
	s.lo += t.lo;
	return dd_quick(s.hi, s.lo);
}

/*
 * The exact product a * b as p + e. With a hardware fma that is fma's job;
 * else Dekker's product of halves split by Veltkamp's method (plain double
 * operations, so it gives the same bits everywhere, valgrind included).
 */
static struct dd
dd_two_prod(double a, double b)
{
	double p = a * b;
#ifdef __FP_FAST_FMA
	return (struct dd){ p, fma(a, b, -p) };
#else
	double t, ah, al, bh, bl;

	t = 134217729.0 * a;	/* 2^27 + 1 */
	ah = t - (t - a);
	al = a - ah;
	t = 134217729.0 * b;
	bh = t - (t - b);
	bl = b - bh;
	return (struct dd){ p, ((ah * bh - p) + ah * bl + al * bh) + al * bl };
#endif
}

static struct dd
dd_mul(struct dd a, struct dd b)
{
	struct dd p = dd_two_prod(a.hi, b.hi);

	p.lo += a.hi * b.lo + a.lo * b.hi;
	return dd_quick(p.hi, p.lo);
}

static struct dd
dd_div_d(struct dd a, double b)
{
	double q1 = a.hi / b;
	struct dd p = dd_two_prod(q1, b), r;

	/* The remainder a - q1 * b, then the correction. */
	r = dd_add(a, (struct dd){ -p.hi, -p.lo });
	return dd_quick(q1, r.hi / b);
}

/* An integer as a double-double, exactly. */
static struct dd
dd_from_i64(int64_t i)
{
	double hi = (double)i;

	/* Near INT64_MAX hi rounds up to 2^63, which (int64_t) cannot
	 * hold: take the difference from INT64_MAX instead. */
	if (hi >= 9223372036854775807.0)
		return (struct dd){ hi, (double)(i - INT64_MAX) - 1.0 };
	return (struct dd){ hi, (double)(i - (int64_t)hi) };
}

/* Adds a number (kind k, integer i, double d) to the numeric state. */
static int
agg_add_num(struct agg_state *st, const struct agg *a, int k, int64_t i,
    double d, struct run *r)
{
	struct dd acc, x;
	int64_t s;

	st->as_nnum++;
	switch (a->a_fn) {
	case AGG_SUM:
	case AGG_AVG:
		if (k == 1 && !st->as_notint &&
		    !__builtin_add_overflow(st->as_isum, i, &s))
			st->as_isum = s;
		else
			st->as_notint = 1;
		x = k == 1 ? dd_from_i64(i) : (struct dd){ d, 0 };
		acc = dd_add((struct dd){ st->as_sum_hi, st->as_sum_lo }, x);
		st->as_sum_hi = acc.hi;
		st->as_sum_lo = acc.lo;
		return 0;
	case AGG_MIN:
	case AGG_MAX:
	case AGG_RANGE:
		if (st->as_mink == 0 || value_num_cmp3(k, i, d, st->as_mink,
		    st->as_mini, st->as_mind) < 0) {
			st->as_mink = k;
			st->as_mini = i;
			st->as_mind = d;
		}
		if (st->as_maxk == 0 || value_num_cmp3(k, i, d, st->as_maxk,
		    st->as_maxi, st->as_maxd) > 0) {
			st->as_maxk = k;
			st->as_maxi = i;
			st->as_maxd = d;
		}
		return 0;
	case AGG_STDEV:
	case AGG_VAR:
		x = k == 1 ? dd_from_i64(i) : (struct dd){ d, 0 };
		acc = dd_add((struct dd){ st->as_sum_hi, st->as_sum_lo }, x);
		st->as_sum_hi = acc.hi;
		st->as_sum_lo = acc.lo;
		acc = dd_add((struct dd){ st->as_sq_hi, st->as_sq_lo },
		    dd_mul(x, x));
		st->as_sq_hi = acc.hi;
		st->as_sq_lo = acc.lo;
		return 0;
	case AGG_MEDIAN:
	case AGG_PERC:
		if (st->as_nnums == st->as_capnums &&
		    AGG_GROW(st, r, st->as_nums, &st->as_capnums) == -1)
			return -1;
		st->as_nums[st->as_nnums++] = d;
		return 0;
	default:
		return 0;
	}
}

/* Inserts v into the sorted distinct values, keeping at most limit. */
static int
agg_add_value(struct agg_state *st, const json_t *v, int64_t limit,
    struct run *r)
{
	size_t lo = 0, hi = st->as_nvals, mid;
	json_t *held;
	int c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = agg_value_cmp(st->as_vals[mid], v);
		if (c == 0)
			return 0;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if ((int64_t)lo >= limit)
		return 0;
	if (st->as_nvals == st->as_capvals &&
	    AGG_GROW(st, r, st->as_vals, &st->as_capvals) == -1)
		return -1;
	if ((held = agg_hold(v)) == NULL)
		return run_fail(r, "out of memory");
	memmove(&st->as_vals[lo + 1], &st->as_vals[lo],
	    (st->as_nvals - lo) * sizeof(*st->as_vals));
	st->as_vals[lo] = held;
	st->as_nvals++;
	if (agg_mem(st, r, agg_json_cost(v)) == -1)
		return -1;
	if ((int64_t)st->as_nvals > limit) {
		json_t *last = st->as_vals[--st->as_nvals];

		agg_mem(st, r, -agg_json_cost(last));
		json_decref(last);
	}
	return 0;
}

/* Appends v to the list when it holds fewer than limit values. */
static int
agg_add_list(struct agg_state *st, const json_t *v, int64_t limit,
    struct run *r)
{
	if ((int64_t)st->as_nvals >= limit)
		return 0;
	if (st->as_nvals == st->as_capvals &&
	    AGG_GROW(st, r, st->as_vals, &st->as_capvals) == -1)
		return -1;
	if ((st->as_vals[st->as_nvals] = agg_hold(v)) == NULL)
		return run_fail(r, "out of memory");
	st->as_nvals++;
	return agg_mem(st, r, agg_json_cost(v));
}

/* Adds one scalar (or an element of an array value). */
static int
agg_add_one(struct agg_state *st, const struct agg *a, const json_t *v,
    struct run *r)
{
	struct buf b = BUF_INIT;
	int64_t i = 0;
	double d = 0;
	size_t len;
	int k, added;
	long rc;

	if (json_is_null(v))
		return 0;
	switch (a->a_fn) {
	case AGG_DC:
		if (agg_key_put(&b, v) == -1) {
			buf_free(&b);
			return run_fail(r, "out of memory");
		}
		len = b.b_len;
		rc = gtab_get(&st->as_set, b.b_data, len, 1, &added);
		buf_free(&b);
		if (rc == -2)
			return run_fail(r, "out of memory");
		return added ? agg_mem(st, r, gtab_cost(len)) : 0;
	case AGG_VALUES:
		return agg_add_value(st, v, run_limits(r)->rl_list_limit, r);
	case AGG_LIST:
		return agg_add_list(st, v, run_limits(r)->rl_list_limit, r);
	default:
		if ((k = agg_num(v, &i, &d)) == 0)
			return 0;	/* numeric functions skip the rest */
		return agg_add_num(st, a, k, i, d, r);
	}
}

/* Replaces the kept value of first/last/earliest/latest with v. */
static int
agg_set_val(struct agg_state *st, const json_t *v, int64_t t, struct run *r)
{
	int64_t old = agg_json_cost(st->as_val);

	json_decref(st->as_val);
	if ((st->as_val = agg_hold(v)) == NULL)
		return run_fail(r, "out of memory");
	st->as_time = t;
	return agg_mem(st, r, agg_json_cost(v) - old);
}

int
agg_add(struct agg_state *st, const struct agg *a, const json_t *v,
    int64_t t, struct run *r)
{
	size_t i;

	if (a->a_fn == AGG_COUNT) {
		if (a->a_field == NULL || (v != NULL && !json_is_null(v)))
			st->as_count++;
		return 0;
	}
	if (v == NULL || json_is_null(v))
		return 0;
	st->as_count++;
	switch (a->a_fn) {
	case AGG_FIRST:
		return st->as_val == NULL ? agg_set_val(st, v, t, r) : 0;
	case AGG_LAST:
		return agg_set_val(st, v, t, r);
	case AGG_EARLIEST:
		if (t == INT64_MIN || (st->as_val != NULL && t >= st->as_time))
			return 0;
		return agg_set_val(st, v, t, r);
	case AGG_LATEST:
		if (t == INT64_MIN || (st->as_val != NULL && t <= st->as_time))
			return 0;
		return agg_set_val(st, v, t, r);
	default:
		break;
	}
	if (!json_is_array(v))
		return agg_add_one(st, a, v, r);
	for (i = 0; i < json_array_size(v); i++)
		if (agg_add_one(st, a, json_array_get(v, i), r) == -1)
			return -1;
	return 0;
}

static int
agg_dbl_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Sorts the kept numbers: new ones are inserted when few, else qsort. */
static void
agg_sort_nums(struct agg_state *st)
{
	size_t i, lo, hi, mid;
	double d;

	if (st->as_nsorted == st->as_nnums)
		return;
	if (st->as_nnums - st->as_nsorted > 16) {
		qsort(st->as_nums, st->as_nnums, sizeof(double), agg_dbl_cmp);
		st->as_nsorted = st->as_nnums;
		return;
	}
	for (i = st->as_nsorted; i < st->as_nnums; i++) {
		d = st->as_nums[i];
		lo = 0;
		hi = i;
		while (lo < hi) {
			mid = lo + (hi - lo) / 2;
			if (st->as_nums[mid] <= d)
				lo = mid + 1;
			else
				hi = mid;
		}
		memmove(&st->as_nums[lo + 1], &st->as_nums[lo],
		    (i - lo) * sizeof(double));
		st->as_nums[lo] = d;
	}
	st->as_nsorted = st->as_nnums;
}

/*
 * The p-th percentile (0..100) of the kept numbers, interpolated linearly
 * between the closest ranks (rank p/100 * (n-1), as numpy and Excel's
 * PERCENTILE.INC do): the median of 1,2,3,4 is 2.5.
 */
static double
agg_percentile(struct agg_state *st, double p)
{
	double rank, lo;
	size_t i;

	agg_sort_nums(st);
	rank = p / 100.0 * (double)(st->as_nnums - 1);
	lo = floor(rank);
	i = (size_t)lo;
	if (i + 1 >= st->as_nnums)
		return st->as_nums[st->as_nnums - 1];
	return st->as_nums[i] + (st->as_nums[i + 1] - st->as_nums[i]) *
	    (rank - lo);
}

/* A kept number (kind k) as JSON. */
static json_t *
agg_num_json(int k, int64_t i, double d)
{
	return k == 1 ? json_integer(i) : json_real(d);
}

/* Returns a new array of the kept values. */
static json_t *
agg_vals_json(const struct agg_state *st)
{
	json_t *arr = json_array();

	for (size_t i = 0; arr && i < st->as_nvals; i++)
		if (json_array_append(arr, st->as_vals[i]) == -1) {
			json_decref(arr);
			return NULL;
		}
	return arr;
}

json_t *
agg_result(struct agg_state *st, const struct agg *a)
{
	struct dd sum, var;
	int64_t r;

	switch (a->a_fn) {
	case AGG_COUNT:
		return json_integer(st->as_count);
	case AGG_DC:
		return json_integer((json_int_t)st->as_set.gt_n);
	case AGG_VALUES:
	case AGG_LIST:
		return st->as_nvals ? agg_vals_json(st) : json_null();
	case AGG_FIRST:
	case AGG_LAST:
	case AGG_EARLIEST:
	case AGG_LATEST:
		return st->as_val ? json_incref(st->as_val) : json_null();
	default:
		break;
	}
	if (st->as_nnum == 0)
		return json_null();
	switch (a->a_fn) {
	case AGG_SUM:
		return st->as_notint ? json_real(st->as_sum_hi) :
		    json_integer(st->as_isum);
	case AGG_AVG:
		return json_real(dd_div_d((struct dd){ st->as_sum_hi,
		    st->as_sum_lo }, (double)st->as_nnum).hi);
	case AGG_MIN:
		return agg_num_json(st->as_mink, st->as_mini, st->as_mind);
	case AGG_MAX:
		return agg_num_json(st->as_maxk, st->as_maxi, st->as_maxd);
	case AGG_RANGE:
		if (st->as_mink == 1 && st->as_maxk == 1 &&
		    !__builtin_sub_overflow(st->as_maxi, st->as_mini, &r))
			return json_integer(r);
		return json_real(st->as_maxd - st->as_mind);
	case AGG_STDEV:
	case AGG_VAR:
		/* The sample variance: none for a single value. */
		if (st->as_nnum < 2)
			return json_null();
		sum = (struct dd){ st->as_sum_hi, st->as_sum_lo };
		/* (sum of squares - sum^2 / n) / (n - 1) */
		var = dd_div_d(dd_add((struct dd){ st->as_sq_hi, st->as_sq_lo },
		    dd_div_d(dd_mul(sum, (struct dd){ -sum.hi, -sum.lo }),
		    (double)st->as_nnum)), (double)(st->as_nnum - 1));
		if (var.hi < 0)
			var.hi = 0;	/* rounding on equal values */
		return json_real(a->a_fn == AGG_VAR ? var.hi : sqrt(var.hi));
	case AGG_MEDIAN:
		return value_from_double(agg_percentile(st, 50));
	case AGG_PERC:
		return value_from_double(agg_percentile(st, a->a_perc));
	default:
		return json_null();
	}
}

void
agg_clear(struct agg_state *st, struct run *r)
{
	for (size_t i = 0; i < st->as_nvals; i++)
		json_decref(st->as_vals[i]);
	free(st->as_vals);
	free(st->as_nums);
	gtab_free(&st->as_set);
	json_decref(st->as_val);
	if (st->as_mem != 0 && r != NULL)
		run_mem(r, -st->as_mem);
	memset(st, 0, sizeof(*st));
}
