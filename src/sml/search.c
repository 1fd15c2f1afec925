/* search.c - search conditions: a raw-text pre-filter and the exact match. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "sml/agg.h"
#include "sml/engine.h"
#include "store/block.h"

/*
 * Each condition node gets a cache on first use (c_cache): its literals
 * read as numbers once, and substring finders for its field name and its
 * term pieces. The finder compares two "rare" bytes of the needle 16
 * positions at a time (SSE2), folding ASCII case with |0x20 where the
 * search ignores case, and checks the whole needle only where both agree.
 *
 * cond_maybe works on the raw text only. A field comparison looks at every
 * place where "name": stands in the text (the last segment for dotted
 * names) and tests the value written there; the real value is at one of
 * them, so when none can match, the event cannot. A term is matched
 * exactly, as cond_match does on an unchanged event. Inside it a
 * three-valued answer (no, yes, unknown) lets NOT use exact answers.
 */

/* Longest decoded string value cond_maybe tests; longer ones are "maybe". */
#define SRCH_DECODE_MAX	4096

/*
 * An IN list of at least this many values, none with '*' (a subsearch's
 * results, cmd/search.c), is matched through a hash set of its values:
 * each literal's text, case folded, and for a number its value, so that a
 * scalar equals one of them when its number or its folded text is in the
 * set; that is slit_test's equality, without the walk over the list.
 */
#define SRCH_SET_MIN	16

struct sfind {
	char *f_pat;		/* needle, lower-cased when f_ci */
	size_t f_len;
	int f_ci;
	size_t f_i1, f_i2;	/* probe positions */
	unsigned char f_b1, f_b2;	/* probe bytes */
	unsigned char f_m1, f_m2;	/* 0x20 when the probe folds case */
};

struct slit {
	const char *l_text;	/* borrowed from the cond */
	size_t l_len;
	int l_num;		/* 0 text, 1 integer, 2 real */
	int64_t l_i;
	double l_d;
};

/* A term: its pieces between stars, as written and as JSON escapes it. */
struct sterm {
	struct sfind *t_pieces;
	size_t t_n;
};

struct scache {
	struct slit *s_lits;	/* CD_CMP: 1, CD_IN: c_nvalues */
	size_t s_nlits;
	struct sfind s_keys[2];	/* "name" and "last-segment" */
	size_t s_nkeys;
	int s_keys_unsafe;	/* the name may be written escaped */
	struct sterm s_forms[2];
	size_t s_nforms;
	struct gtab s_set;	/* CD_IN of SRCH_SET_MIN values or more */
	int s_has_set;
};

enum { SM_NO = 0, SM_YES = 1, SM_UNKNOWN = 2 };

static inline unsigned char
srch_lc(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

/* Rough frequency of a byte in Windows event JSON (higher: commoner). */
static int
srch_freq(unsigned char c)
{
	static const char common[] = "\" :,etaoinsr\\lcdhumpfgwybvkxjqz";
	const char *p;

	if (c >= 'A' && c <= 'Z')
		return 12;
	if (c >= '0' && c <= '9')
		return c <= '2' ? 45 : 35;
	if (c >= 0x80)
		return 10;
	if (c != 0 && (p = strchr(common, c)) != NULL)
		return 100 - (int)(p - common) * 3;
	if (c == '.' || c == '-' || c == '_')
		return 30;
	return 6;
}

static int
srch_freq_ci(unsigned char c, int ci)
{
	if (ci && c >= 'a' && c <= 'z')
		return srch_freq(c) + srch_freq((unsigned char)(c - 32));
	return srch_freq(c);
}

/* Sets up f for pat[0..len). Returns 0, or -1 out of memory. */
static int
sfind_init(struct sfind *f, const char *pat, size_t len, int ci)
{
	size_t i;
	int best1 = 1 << 30, best2 = 1 << 30, q;

	memset(f, 0, sizeof(*f));
	if ((f->f_pat = malloc(len + 1)) == NULL)
		return -1;
	for (i = 0; i < len; i++)
		f->f_pat[i] = ci ? (char)srch_lc((unsigned char)pat[i]) :
		    pat[i];
	f->f_pat[len] = '\0';
	f->f_len = len;
	f->f_ci = ci;
	for (i = 0; i < len; i++) {
		q = srch_freq_ci((unsigned char)f->f_pat[i], ci);
		if (q < best1) {
			best2 = best1;
			f->f_i2 = f->f_i1;
			best1 = q;
			f->f_i1 = i;
		} else if (q < best2) {
			best2 = q;
			f->f_i2 = i;
		}
	}
	if (len < 2)
		f->f_i2 = f->f_i1;
	f->f_b1 = (unsigned char)f->f_pat[f->f_i1];
	f->f_b2 = (unsigned char)f->f_pat[f->f_i2];
	f->f_m1 = ci && f->f_b1 >= 'a' && f->f_b1 <= 'z' ? 0x20 : 0;
	f->f_m2 = ci && f->f_b2 >= 'a' && f->f_b2 <= 'z' ? 0x20 : 0;
	return 0;
}

static void
sfind_free(struct sfind *f)
{
	free(f->f_pat);
	f->f_pat = NULL;
}

/* Returns 1 when the needle of f stands at t. */
static inline int
sfind_at(const struct sfind *f, const char *t)
{
	size_t i;

	if (!f->f_ci)
		return memcmp(t, f->f_pat, f->f_len) == 0;
	for (i = 0; i < f->f_len; i++)
		if (srch_lc((unsigned char)t[i]) != (unsigned char)f->f_pat[i])
			return 0;
	return 1;
}

/* Returns the first place of the needle of f in t[0..tl), or NULL. */
static const char *
sfind_next(const struct sfind *f, const char *t, size_t tl)
{
	size_t n = f->f_len, i = 0, last;

	if (n == 0)
		return t;
	if (n > tl)
		return NULL;
	last = tl - n;		/* the last place the needle can start */
#ifdef __SSE2__
	{
		const __m128i b1 = _mm_set1_epi8((char)f->f_b1);
		const __m128i b2 = _mm_set1_epi8((char)f->f_b2);
		const __m128i m1 = _mm_set1_epi8((char)f->f_m1);
		const __m128i m2 = _mm_set1_epi8((char)f->f_m2);

		/* Loads reach t + i + 15 + f_iX <= t + last + n - 1. */
		while (i + 15 <= last) {
			__m128i a = _mm_loadu_si128(
			    (const __m128i *)(const void *)(t + i + f->f_i1));
			__m128i b = _mm_loadu_si128(
			    (const __m128i *)(const void *)(t + i + f->f_i2));
			unsigned mask;

			a = _mm_cmpeq_epi8(_mm_or_si128(a, m1), b1);
			b = _mm_cmpeq_epi8(_mm_or_si128(b, m2), b2);
			mask = (unsigned)_mm_movemask_epi8(_mm_and_si128(a, b));
			while (mask != 0) {
				unsigned bit = (unsigned)__builtin_ctz(mask);

				if (sfind_at(f, t + i + bit))
					return t + i + bit;
				mask &= mask - 1;
			}
			i += 16;
		}
	}
#endif
	for (; i <= last; i++) {
		unsigned char c1 = (unsigned char)t[i + f->f_i1];

		if ((c1 | f->f_m1) == f->f_b1 && sfind_at(f, t + i))
			return t + i;
	}
	return NULL;
}

/*
 * Writes s[0..len) as a JSON string body (without quotes) into a new
 * string: \" \\ \b \f \n \r \t, other control bytes as \u00XX. Returns it
 * (malloc'd; *olen its length) or NULL out of memory.
 */
static char *
srch_json_escape(const char *s, size_t len, size_t *olen)
{
	static const char hex[] = "0123456789abcdef";
	char *o = malloc(len * 6 + 1), *p = o;
	size_t i;

	if (o == NULL)
		return NULL;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		switch (c) {
		case '"': *p++ = '\\'; *p++ = '"'; break;
		case '\\': *p++ = '\\'; *p++ = '\\'; break;
		case '\b': *p++ = '\\'; *p++ = 'b'; break;
		case '\f': *p++ = '\\'; *p++ = 'f'; break;
		case '\n': *p++ = '\\'; *p++ = 'n'; break;
		case '\r': *p++ = '\\'; *p++ = 'r'; break;
		case '\t': *p++ = '\\'; *p++ = 't'; break;
		default:
			if (c < 0x20) {
				memcpy(p, "\\u00", 4);
				p[4] = hex[c >> 4];
				p[5] = hex[c & 15];
				p += 6;
			} else
				*p++ = (char)c;
		}
	}
	*p = '\0';
	*olen = (size_t)(p - o);
	return o;
}

/* Splits pat[0..len) at its stars into t. Returns 0, or -1 out of memory. */
static int
sterm_init(struct sterm *t, const char *pat, size_t len)
{
	size_t i, start = 0;

	t->t_n = 0;
	if ((t->t_pieces = calloc(len / 2 + 1, sizeof(*t->t_pieces))) == NULL)
		return -1;
	for (i = 0; i <= len; i++) {
		if (i < len && pat[i] != '*')
			continue;
		if (i > start) {
			if (sfind_init(&t->t_pieces[t->t_n], pat + start,
			    i - start, 1) == -1)
				return -1;
			t->t_n++;
		}
		start = i + 1;
	}
	return 0;
}

static void
sterm_free(struct sterm *t)
{
	size_t i;

	for (i = 0; i < t->t_n; i++)
		sfind_free(&t->t_pieces[i]);
	free(t->t_pieces);
}

/* Returns 1 when the pieces of t occur in order in text[0..len). */
static int
sterm_match(const struct sterm *t, const char *text, size_t len)
{
	const char *p = text, *end = text + len, *hit;
	size_t i;

	for (i = 0; i < t->t_n; i++) {
		if ((hit = sfind_next(&t->t_pieces[i], p, (size_t)(end - p))) ==
		    NULL)
			return 0;
		p = hit + t->t_pieces[i].f_len;
	}
	return 1;
}

static void
scache_free(void *arg)
{
	struct scache *sc = arg;
	size_t i;

	if (sc == NULL)
		return;
	for (i = 0; i < sc->s_nkeys; i++)
		sfind_free(&sc->s_keys[i]);
	for (i = 0; i < sc->s_nforms; i++)
		sterm_free(&sc->s_forms[i]);
	free(sc->s_lits);
	gtab_free(&sc->s_set);
	free(sc);
}

size_t
value_numkey(int kind, int64_t i, double d, char *k)
{
	if (kind == 2 && d == floor(d) && d >= -9223372036854775808.0 &&
	    d < 9223372036854775808.0) {
		i = (int64_t)d;
		kind = 1;
	}
	k[0] = kind == 1 ? 'i' : 'd';
	if (kind == 1)
		memcpy(k + 1, &i, sizeof(i));
	else {
		if (d == 0)
			d = 0;	/* -0 */
		memcpy(k + 1, &d, sizeof(d));
	}
	return 9;
}

/*
 * Writes the set key of text s[0..n) ('s', then s case folded) into a new
 * buffer. Returns it (malloc'd; *klen its length), or NULL out of memory.
 */
static char *
sset_strkey(const char *s, size_t n, size_t *klen)
{
	char *k = malloc(n + 1);

	if (k == NULL)
		return NULL;
	k[0] = 's';
	for (size_t i = 0; i < n; i++)
		k[i + 1] = (char)srch_lc((unsigned char)s[i]);
	*klen = n + 1;
	return k;
}

/* Fills the set of an IN list from its literals. Returns 0, or -1. */
static int
sset_build(struct scache *sc)
{
	char nk[9], *k;
	size_t i, klen;

	for (i = 0; i < sc->s_nlits; i++) {
		const struct slit *l = &sc->s_lits[i];

		if (l->l_num != 0 && gtab_get(&sc->s_set, nk, value_numkey(
		    l->l_num, l->l_i, l->l_d, nk), 1, NULL) == -2)
			return -1;
		if ((k = sset_strkey(l->l_text, l->l_len, &klen)) == NULL)
			return -1;
		if (gtab_get(&sc->s_set, k, klen, 1, NULL) == -2) {
			free(k);
			return -1;
		}
		free(k);
	}
	sc->s_has_set = 1;
	return 0;
}

static void
slit_init(struct slit *l, const char *text)
{
	l->l_text = text ? text : "";
	l->l_len = strlen(l->l_text);
	l->l_num = value_parse_number(l->l_text, l->l_len, &l->l_i, &l->l_d);
}

/* The key needle for name[0..len): "name" with its quotes. */
static int
scache_key(struct scache *sc, const char *name, size_t len)
{
	char *k = malloc(len + 3);
	int r;

	if (k == NULL)
		return -1;
	k[0] = '"';
	memcpy(k + 1, name, len);
	k[len + 1] = '"';
	r = sfind_init(&sc->s_keys[sc->s_nkeys], k, len + 2, 0);
	free(k);
	if (r == 0)
		sc->s_nkeys++;
	return r;
}

/* Returns the cache of c, made on first use, or NULL out of memory. */
static struct scache *
scache_get(struct cond *c)
{
	struct scache *sc = c->c_cache;
	const char *f, *dot;
	size_t i, elen;
	char *esc;

	if (sc != NULL)
		return sc;
	if ((sc = calloc(1, sizeof(*sc))) == NULL)
		return NULL;
	switch (c->c_kind) {
	case CD_CMP:
	case CD_IN:
	case CD_EXISTS:
		sc->s_nlits = c->c_kind == CD_CMP ? 1 :
		    c->c_kind == CD_IN ? c->c_nvalues : 0;
		if (sc->s_nlits > 0 && (sc->s_lits = calloc(sc->s_nlits,
		    sizeof(*sc->s_lits))) == NULL)
			goto fail;
		if (c->c_kind == CD_CMP)
			slit_init(&sc->s_lits[0], c->c_value);
		for (i = 0; c->c_kind == CD_IN && i < c->c_nvalues; i++)
			slit_init(&sc->s_lits[i], c->c_values[i]);
		for (i = 0; c->c_kind == CD_IN && i < c->c_nvalues; i++)
			if (c->c_values[i] == NULL ||
			    strchr(c->c_values[i], '*') != NULL)
				break;
		if (c->c_kind == CD_IN && c->c_nvalues >= SRCH_SET_MIN &&
		    i == c->c_nvalues && sset_build(sc) == -1)
			goto fail;
		f = c->c_field ? c->c_field : "";
		for (i = 0; f[i] != '\0'; i++) {
			unsigned char ch = (unsigned char)f[i];

			if (ch < 0x20 || ch >= 0x80 || ch == '"' ||
			    ch == '\\' || ch == '/')
				sc->s_keys_unsafe = 1;
		}
		if (scache_key(sc, f, strlen(f)) == -1)
			goto fail;
		if ((dot = strrchr(f, '.')) != NULL &&
		    scache_key(sc, dot + 1, strlen(dot + 1)) == -1)
			goto fail;
		break;
	case CD_TERM:
		f = c->c_value ? c->c_value : "";
		sc->s_nforms = 1;
		if (sterm_init(&sc->s_forms[0], f, strlen(f)) == -1)
			goto fail;
		if ((esc = srch_json_escape(f, strlen(f), &elen)) == NULL)
			goto fail;
		if (elen != strlen(f)) {
			sc->s_nforms = 2;
			if (sterm_init(&sc->s_forms[1], esc, elen) == -1) {
				free(esc);
				goto fail;
			}
		}
		free(esc);
		break;
	default:
		break;
	}
	c->c_cache = sc;
	c->c_cache_free = scache_free;
	return sc;
fail:
	scache_free(sc);
	return NULL;
}

/* A scalar to test: a string (v_kind 0) or a number (1 integer, 2 real). */
struct sval {
	int v_kind;
	int64_t v_i;
	double v_d;
	const char *v_s;
	size_t v_n;
};

/*
 * Returns the text of v: a string as it is, a number written into buf
 * (buflen bytes, at least 32), its length in *n.
 */
static const char *
sval_text(const struct sval *v, char *buf, size_t buflen, size_t *n)
{
	if (v->v_kind == 0) {
		*n = v->v_n;
		return v->v_s;
	}
	if (v->v_kind == 1)
		snprintf(buf, buflen, "%lld", (long long)v->v_i);
	else
		value_fmt_real(v->v_d, buf, buflen);
	*n = strlen(buf);
	return buf;
}

/* Tests v against literal l with op, by the rules of search. */
static int
slit_test(const struct slit *l, enum expr_op op, const struct sval *v)
{
	int vk = v->v_kind, cmp, eq;
	int64_t vi = v->v_i;
	double vd = v->v_d;
	char buf[64];
	const char *s = v->v_s;
	size_t n = v->v_n;

	if (vk == 0)
		vk = value_parse_number(s, n, &vi, &vd);
	switch (op) {
	case EXOP_LT:
	case EXOP_GT:
	case EXOP_LE:
	case EXOP_GE:
		if (vk == 0 || l->l_num == 0)
			return 0;
		cmp = value_num_cmp3(vk, vi, vd, l->l_num, l->l_i, l->l_d);
		return op == EXOP_LT ? cmp < 0 : op == EXOP_GT ? cmp > 0 :
		    op == EXOP_LE ? cmp <= 0 : cmp >= 0;
	default:
		break;
	}
	if (vk != 0 && l->l_num != 0)
		eq = value_num_cmp3(vk, vi, vd, l->l_num, l->l_i, l->l_d) == 0;
	else {
		s = sval_text(v, buf, sizeof(buf), &n);
		eq = value_wildcard(l->l_text, s, n, 1);
	}
	return op == EXOP_NE ? !eq : eq;
}

/*
 * Returns 1 when v equals a literal of the set of sc (see SRCH_SET_MIN),
 * 0 when not, -1 out of memory.
 */
static int
sset_test(const struct scache *sc, const struct sval *v)
{
	struct gtab *t = (struct gtab *)&sc->s_set;
	char nk[9], buf[64], *k;
	const char *s = v->v_s;
	size_t n = v->v_n, klen;
	int64_t vi = v->v_i;
	double vd = v->v_d;
	int vk = v->v_kind;
	long hit;

	if (vk == 0)
		vk = value_parse_number(s, n, &vi, &vd);
	if (vk != 0 && gtab_get(t, nk, value_numkey(vk, vi, vd, nk), 0,
	    NULL) >= 0)
		return 1;
	s = sval_text(v, buf, sizeof(buf), &n);
	if ((k = sset_strkey(s, n, &klen)) == NULL)
		return -1;
	hit = gtab_get(t, k, klen, 0, NULL);
	free(k);
	return hit >= 0;
}

/* Tests a scalar against the literals of c (CMP: its op; IN: any equal). */
static int
scond_test(const struct cond *c, const struct scache *sc,
    const struct sval *v)
{
	size_t i;

	if (c->c_kind == CD_EXISTS)
		return 1;
	if (c->c_kind == CD_CMP)
		return slit_test(&sc->s_lits[0], c->c_op, v);
	if (sc->s_has_set) {
		int r = sset_test(sc, v);

		if (r >= 0)
			return r;
		/* Out of memory there: the walk gives the same answer. */
	}
	for (i = 0; i < sc->s_nlits; i++)
		if (slit_test(&sc->s_lits[i], EXOP_EQ, v))
			return 1;
	return 0;
}

/* Tests a JSON scalar; null, arrays and objects match nothing. */
static int
scond_json(const struct cond *c, const struct scache *sc, const json_t *v)
{
	struct sval sv = {0, 0, 0, NULL, 0};

	switch (json_typeof(v)) {
	case JSON_STRING:
		sv.v_s = json_string_value(v);
		sv.v_n = json_string_length(v);
		break;
	case JSON_INTEGER:
		sv.v_kind = 1;
		sv.v_i = json_integer_value(v);
		sv.v_d = (double)sv.v_i;
		break;
	case JSON_REAL:
		sv.v_kind = 2;
		sv.v_d = json_real_value(v);
		break;
	case JSON_TRUE:
		sv.v_s = "true";
		sv.v_n = 4;
		break;
	case JSON_FALSE:
		sv.v_s = "false";
		sv.v_n = 5;
		break;
	default:
		return 0;
	}
	return scond_test(c, sc, &sv);
}

/* Returns the truth of a field condition on e (1, 0). */
static int
scond_field(const struct cond *c, const struct scache *sc, struct event *e)
{
	json_t *v = event_get(e, c->c_field ? c->c_field : ""), *el;
	size_t i;

	if (v == NULL || json_is_null(v))
		return 0;
	if (c->c_kind == CD_EXISTS)
		return 1;
	if (json_is_array(v)) {
		json_array_foreach(v, i, el)
			if (scond_json(c, sc, el))
				return 1;
		return 0;
	}
	return scond_json(c, sc, v);
}

/* Matches a term on text, as written or as JSON escapes it. */
static int
sterm_any(const struct scache *sc, const char *text, size_t len)
{
	size_t i;

	for (i = 0; i < sc->s_nforms; i++)
		if (sterm_match(&sc->s_forms[i], text, len))
			return 1;
	return 0;
}

int
cond_match(struct cond *c, struct event *e, struct eval_ctx *ctx)
{
	struct scache *sc;
	const char *text;
	size_t i, len;
	int r;

	switch (c->c_kind) {
	case CD_NOT:
		if (c->c_nkids < 1)
			return 1;
		r = cond_match(c->c_kids[0], e, ctx);
		return r < 0 ? r : !r;
	case CD_AND:
		for (i = 0; i < c->c_nkids; i++)
			if ((r = cond_match(c->c_kids[i], e, ctx)) <= 0)
				return r;
		return 1;
	case CD_OR:
		for (i = 0; i < c->c_nkids; i++)
			if ((r = cond_match(c->c_kids[i], e, ctx)) != 0)
				return r;
		return 0;
	case CD_SUBSEARCH:
		/* The stage ran it before the first event (cmd/search.c). */
		if (c->c_nkids < 1) {
			if (ctx && ctx->ec_err && ctx->ec_errlen)
				snprintf(ctx->ec_err, ctx->ec_errlen,
				    "search: the subsearch did not run");
			return -1;
		}
		return cond_match(c->c_kids[0], e, ctx);
	default:
		break;
	}
	if ((sc = scache_get(c)) == NULL)
		goto nomem;
	if (c->c_kind == CD_TERM) {
		if ((text = event_text(e, &len)) == NULL)
			goto nomem;
		return sterm_any(sc, text, len);
	}
	return scond_field(c, sc, e);
nomem:
	if (ctx && ctx->ec_err && ctx->ec_errlen)
		snprintf(ctx->ec_err, ctx->ec_errlen, "out of memory");
	return -1;
}

static const char *
smaybe_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	return p;
}

/*
 * Tests the scalar written at v with c. Returns SM_NO when it cannot match,
 * else SM_UNKNOWN; *next is set after the scalar when it could be read
 * (NULL when not: an array, an object, a bad or long text).
 */
static int
smaybe_scalar(const struct cond *c, const struct scache *sc, const char *v,
    const char *end, const char **next)
{
	char buf[SRCH_DECODE_MAX];
	struct sval sv = {0, 0, 0, NULL, 0};
	const char *q, *s;
	long n;

	*next = NULL;
	if (v >= end)
		return SM_UNKNOWN;
	switch (*v) {
	case '"':
		/* The end: a quote after an even run of backslashes. */
		for (s = v + 1;; s = q + 1) {
			const char *b;

			if ((q = memchr(s, '"', (size_t)(end - s))) == NULL)
				return SM_UNKNOWN;
			for (b = q; b > v + 1 && b[-1] == '\\'; b--)
				;
			if (((q - b) & 1) == 0)
				break;
		}
		*next = q + 1;
		if (memchr(v + 1, '\\', (size_t)(q - v - 1)) == NULL) {
			sv.v_s = v + 1;
			sv.v_n = (size_t)(q - v - 1);
		} else {
			n = value_unescape(v + 1, (size_t)(q - v - 1), buf,
			    sizeof(buf));
			if (n < 0)
				return SM_UNKNOWN;
			sv.v_s = buf;
			sv.v_n = (size_t)n;
		}
		break;
	case 't':
		if (end - v < 4 || memcmp(v, "true", 4) != 0)
			return SM_UNKNOWN;
		*next = v + 4;
		sv.v_s = "true";
		sv.v_n = 4;
		break;
	case 'f':
		if (end - v < 5 || memcmp(v, "false", 5) != 0)
			return SM_UNKNOWN;
		*next = v + 5;
		sv.v_s = "false";
		sv.v_n = 5;
		break;
	case 'n':
		if (end - v < 4 || memcmp(v, "null", 4) != 0)
			return SM_UNKNOWN;
		*next = v + 4;
		return SM_NO;
	case '-':
	case '0': case '1': case '2': case '3': case '4':
	case '5': case '6': case '7': case '8': case '9':
		for (q = v + 1; q < end && ((*q >= '0' && *q <= '9') ||
		    *q == '.' || *q == 'e' || *q == 'E' || *q == '+' ||
		    *q == '-'); q++)
			;
		sv.v_kind = value_parse_number(v, (size_t)(q - v), &sv.v_i,
		    &sv.v_d);
		/* Integers past int64 fail the parser: leave them to it. */
		if (sv.v_kind != 1 && memchr(v, '.', (size_t)(q - v)) == NULL &&
		    memchr(v, 'e', (size_t)(q - v)) == NULL &&
		    memchr(v, 'E', (size_t)(q - v)) == NULL)
			return SM_UNKNOWN;
		if (sv.v_kind == 0)
			return SM_UNKNOWN;
		*next = q;
		break;
	default:
		return SM_UNKNOWN;
	}
	if (c->c_kind == CD_EXISTS)
		return SM_UNKNOWN;
	return scond_test(c, sc, &sv) ? SM_UNKNOWN : SM_NO;
}

/*
 * Tests the value written at v (just after "name":). Arrays of scalars are
 * tested element by element (any may match); objects and nested arrays
 * give SM_UNKNOWN.
 */
static int
smaybe_value(const struct cond *c, const struct scache *sc, const char *v,
    const char *end)
{
	const char *next;

	if (v >= end || *v != '[')
		return smaybe_scalar(c, sc, v, end, &next);
	if (c->c_kind == CD_EXISTS)
		return SM_UNKNOWN;
	v = smaybe_ws(v + 1, end);
	if (v < end && *v == ']')
		return SM_NO;
	for (;;) {
		if (smaybe_scalar(c, sc, v, end, &next) != SM_NO ||
		    next == NULL)
			return SM_UNKNOWN;
		v = smaybe_ws(next, end);
		if (v < end && *v == ']')
			return SM_NO;
		if (v >= end || *v != ',')
			return SM_UNKNOWN;
		v = smaybe_ws(v + 1, end);
	}
}

/* cond_maybe for a field condition: every "name": place in the text. */
static int
smaybe_field(const struct cond *c, const struct scache *sc, const char *raw,
    size_t len)
{
	const char *end = raw + len, *p, *hit, *v;
	size_t k;

	if (sc->s_keys_unsafe)
		return SM_UNKNOWN;
	for (k = 0; k < sc->s_nkeys; k++) {
		const struct sfind *f = &sc->s_keys[k];

		for (p = raw; (hit = sfind_next(f, p, (size_t)(end - p))) !=
		    NULL; p = hit + 1) {
			v = smaybe_ws(hit + f->f_len, end);
			if (v >= end || *v != ':')
				continue;
			v = smaybe_ws(v + 1, end);
			if (smaybe_value(c, sc, v, end) != SM_NO)
				return SM_UNKNOWN;
		}
	}
	return SM_NO;
}

/* The three-valued pre-filter: SM_NO, SM_YES or SM_UNKNOWN. */
static int
smaybe(struct cond *c, const char *raw, size_t len)
{
	struct scache *sc;
	size_t i;
	int r, all;

	switch (c->c_kind) {
	case CD_NOT:
		if (c->c_nkids < 1)
			return SM_UNKNOWN;
		r = smaybe(c->c_kids[0], raw, len);
		return r == SM_UNKNOWN ? r : r == SM_YES ? SM_NO : SM_YES;
	case CD_AND:
		all = SM_YES;
		for (i = 0; i < c->c_nkids; i++) {
			if ((r = smaybe(c->c_kids[i], raw, len)) == SM_NO)
				return SM_NO;
			if (r == SM_UNKNOWN)
				all = SM_UNKNOWN;
		}
		return all;
	case CD_OR:
		all = SM_NO;
		for (i = 0; i < c->c_nkids; i++) {
			if ((r = smaybe(c->c_kids[i], raw, len)) == SM_YES)
				return SM_YES;
			if (r == SM_UNKNOWN)
				all = SM_UNKNOWN;
		}
		return all;
	case CD_SUBSEARCH:
		/* What its results match once it ran; else anything may. */
		return c->c_nkids < 1 ? SM_UNKNOWN :
		    smaybe(c->c_kids[0], raw, len);
	default:
		break;
	}
	if ((sc = scache_get(c)) == NULL)
		return SM_UNKNOWN;
	if (c->c_kind == CD_TERM)
		return sterm_any(sc, raw, len) ? SM_YES : SM_NO;
	return smaybe_field(c, sc, raw, len);
}

int
cond_maybe(struct cond *c, const char *raw, size_t len)
{
	return smaybe(c, raw, len) != SM_NO;
}

/*
 * Block summaries (store/block.h): whether any event of a block can match
 * c, from its text summary (every 3-byte run of its events, letters
 * folded) and its field summary (field=value of every scalar). Two
 * answers only: 0 no event can, 1 one may. A term needs every piece of
 * one of its forms in the text; a field condition needs its key ("name"
 * or "last-segment", as cond_maybe looks for it) in the text, and
 * field=value without wildcards needs the pair in the field summary. NOT
 * may always match (an event without c matches it). A subsearch is
 * what its results match (cmd/search.c runs it before the source reads).
 */
static int
sblock_text(const struct block_hdr *h, const char *s, size_t n)
{
	char buf[256];

	if (n > sizeof(buf))
		n = sizeof(buf);	/* a prefix is enough to rule out */
	for (size_t i = 0; i < n; i++)
		buf[i] = (char)srch_lc((unsigned char)s[i]);
	return block_may_have_text(h, buf, n);
}

static int
sblock(struct cond *c, const struct block_hdr *h)
{
	struct scache *sc;
	size_t i, k;
	int any;

	switch (c->c_kind) {
	case CD_NOT:
		return 1;
	case CD_AND:
		for (i = 0; i < c->c_nkids; i++)
			if (!sblock(c->c_kids[i], h))
				return 0;
		return 1;
	case CD_OR:
		for (i = 0; i < c->c_nkids; i++)
			if (sblock(c->c_kids[i], h))
				return 1;
		return c->c_nkids == 0;
	case CD_SUBSEARCH:
		/*
		 * Expanded before the source reads (the stages are set up
		 * first): its OR of results, none of which may match a block
		 * it can skip; an empty OR matches nothing. Not yet run: a
		 * block may hold a match.
		 */
		if (c->c_nkids < 1)
			return 1;
		if (c->c_kids[0]->c_kind == CD_OR && c->c_kids[0]->c_nkids == 0)
			return 0;
		return sblock(c->c_kids[0], h);
	default:
		break;
	}
	if ((sc = scache_get(c)) == NULL)
		return 1;
	if (c->c_kind == CD_TERM) {
		for (k = 0; k < sc->s_nforms; k++) {
			const struct sterm *t = &sc->s_forms[k];

			for (i = 0; i < t->t_n; i++)
				if (!block_may_have_text(h, t->t_pieces[i].f_pat,
				    t->t_pieces[i].f_len))
					break;
			if (i == t->t_n)
				return 1;
		}
		return 0;
	}
	if (c->c_kind != CD_CMP && c->c_kind != CD_IN &&
	    c->c_kind != CD_EXISTS)
		return 1;
	if (sc->s_keys_unsafe)
		return 1;
	for (any = 0, k = 0; k < sc->s_nkeys && !any; k++)
		any = sblock_text(h, sc->s_keys[k].f_pat, sc->s_keys[k].f_len);
	if (!any)
		return 0;
	if (c->c_field == NULL || strchr(c->c_field, '*') != NULL)
		return 1;
	if (c->c_kind == CD_CMP && c->c_op == EXOP_EQ && c->c_value != NULL &&
	    strchr(c->c_value, '*') == NULL)
		return block_may_have_field(h, c->c_field, c->c_value,
		    strlen(c->c_value));
	if (c->c_kind == CD_IN) {
		for (i = 0; i < c->c_nvalues; i++)
			if (c->c_values[i] == NULL ||
			    strchr(c->c_values[i], '*') != NULL ||
			    block_may_have_field(h, c->c_field, c->c_values[i],
			    strlen(c->c_values[i])))
				return 1;
		return 0;
	}
	return 1;
}

int
cond_block_maybe(void *cond, const struct block_hdr *h)
{
	return sblock(cond, h);
}
