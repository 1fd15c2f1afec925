/* event.c - events in the pipeline: raw JSON text, read lazily, parsed late. */
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/evtime.h"
#include "sml/engine.h"

/*
 * Most events are only read: a search looks at one or two fields, stats at
 * a few more, and the event is written out as the bytes it came in as. So
 * event_get does not parse the event. It walks the top-level object of the
 * text, skipping values it does not need (strings with memchr), and parses
 * only the value it was asked for. The walk remembers every top-level key
 * it passed (evc_key), so later lookups of other fields never rescan, and
 * every value it parsed (evc_val), so repeated lookups cost a strcmp.
 *
 * With duplicate keys the first one wins here, where a full parse keeps the
 * last; JSON writers do not produce them.
 *
 * event_put, setting a top-level field (a name without a dot) of an event
 * still in its text, does not even splice it (event_set): the change is
 * logged in the cache (evc_op), event_get answers from the log first, and
 * the log is applied in order (evc_apply, by event_splice) only when
 * something needs the whole event (event_obj, event_text, event_keep). So
 * lookup and join add fields at the cost of the fields they add.
 */

#define EVC_NKEYS	64	/* top-level keys held in place */
#define EVC_NVALS	8	/* looked-up values held in place */
#define EVC_NAMES	256	/* bytes of looked-up names held in place */

struct evc_key {
	const char *k_name;	/* in ev_raw, without quotes */
	const char *k_val;	/* in ev_raw */
	uint32_t k_namelen;
	uint32_t k_vallen;
	int k_esc;		/* the name holds a backslash */
};

struct evc_val {
	const char *v_name;	/* in c_names or heap (v_heap) */
	json_t *v_val;		/* owned; NULL: missing */
	int v_heap;
};

struct evc_op {
	char *o_name;		/* a top-level name, no dot (heap) */
	json_t *o_val;		/* owned; NULL: deleted */
};

struct evc {
	const char *c_pos;	/* where the top-level walk resumes */
	int c_state;		/* EVC_WALK, EVC_DONE, EVC_BAD */
	size_t c_nkeys, c_capkeys;
	struct evc_key *c_keys;	/* c_inkeys or heap */
	size_t c_nvals, c_capvals;
	struct evc_val *c_vals;	/* c_invals or heap */
	size_t c_namelen;
	struct evc_key c_inkeys[EVC_NKEYS];
	struct evc_val c_invals[EVC_NVALS];
	char c_names[EVC_NAMES];
	size_t c_nops, c_capops;
	struct evc_op *c_ops;	/* changes not yet applied (heap) */
	const struct event_lazy *c_lazy;	/* a row built on demand */
	struct evc_op *c_dead;	/* changes applied: their values kept alive
				 * for who borrowed them (event_get) */
	size_t c_ndead;
	struct evc *c_old;	/* the cache before they were applied (its
				 * values borrowed too) */
};

enum { EVC_WALK, EVC_DONE, EVC_BAD };

static inline const char *
evs_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\n' || *p == '\r' ||
	    *p == '\t'))
		p++;
	return p;
}

/*
 * p is at the opening quote. Returns the byte after the closing quote, or
 * NULL when the string does not end. A quote ends the string unless an odd
 * run of backslashes stands before it.
 */
static inline const char *
evs_string(const char *p, const char *end)
{
	const char *s = p + 1, *q, *b;

	for (;;) {
		q = memchr(s, '"', (size_t)(end - s));
		if (q == NULL)
			return NULL;
		for (b = q; b > p + 1 && b[-1] == '\\'; b--)
			;
		if (((q - b) & 1) == 0)
			return q + 1;
		s = q + 1;
	}
}

/* Returns the byte after the value that starts at p, or NULL. */
static const char *
evs_value(const char *p, const char *end)
{
	int depth;

	if (p >= end)
		return NULL;
	switch (*p) {
	case '"':
		return evs_string(p, end);
	case '{':
	case '[':
		depth = 0;
		while (p < end) {
			switch (*p) {
			case '"':
				if ((p = evs_string(p, end)) == NULL)
					return NULL;
				continue;
			case '{':
			case '[':
				depth++;
				break;
			case '}':
			case ']':
				if (--depth == 0)
					return p + 1;
				break;
			default:
				break;
			}
			p++;
		}
		return NULL;
	default:
		/* A number or a literal: up to the next delimiter. */
		while (p < end && *p != ',' && *p != '}' && *p != ']' &&
		    *p != ' ' && *p != '\n' && *p != '\r' && *p != '\t')
			p++;
		return p;
	}
}

/*
 * Reads one member at p (after '{' or ','): its name and value. Returns the
 * byte after the value, or NULL when the text is not an object member.
 */
static const char *
evs_member(const char *p, const char *end, struct evc_key *k)
{
	const char *q, *v;

	if (p >= end || *p != '"')
		return NULL;
	if ((q = evs_string(p, end)) == NULL)
		return NULL;
	k->k_name = p + 1;
	k->k_namelen = (uint32_t)(q - 1 - (p + 1));
	k->k_esc = memchr(k->k_name, '\\', k->k_namelen) != NULL;
	p = evs_ws(q, end);
	if (p >= end || *p != ':')
		return NULL;
	v = evs_ws(p + 1, end);
	if ((q = evs_value(v, end)) == NULL || q == v)
		return NULL;
	k->k_val = v;
	k->k_vallen = (uint32_t)(q - v);
	return q;
}

/* Returns 1 when the member name of k is name[0..len). */
static int
evs_name_is(const struct evc_key *k, const char *name, size_t len)
{
	json_t *s;
	int r;

	if (!k->k_esc)
		return k->k_namelen == len && memcmp(k->k_name, name, len) == 0;
	/* An escaped name: decode it (rare). */
	s = json_loadb(k->k_name - 1, k->k_namelen + 2, JSON_DECODE_ANY, NULL);
	r = s && json_string_length(s) == len &&
	    memcmp(json_string_value(s), name, len) == 0;
	json_decref(s);
	return r;
}

/*
 * Finds member name[0..len) of the object text obj[0..olen) without
 * remembering anything (nested objects). Returns 1 and *k, or 0.
 */
static int
evs_find(const char *obj, size_t olen, const char *name, size_t len,
    struct evc_key *k)
{
	const char *p = obj, *end = obj + olen;

	p = evs_ws(p, end);
	if (p >= end || *p != '{')
		return 0;
	p = evs_ws(p + 1, end);
	if (p < end && *p == '}')
		return 0;
	for (;;) {
		if ((p = evs_member(p, end, k)) == NULL)
			return 0;
		if (evs_name_is(k, name, len))
			return 1;
		p = evs_ws(p, end);
		if (p >= end || *p != ',')
			return 0;
		p = evs_ws(p + 1, end);
	}
}

/* A string with escapes: decoded here, not by the (slow to start) parser. */
static json_t *
evs_parse_escaped(const char *s, size_t n)
{
	char stack[1024], *buf = n + 4 <= sizeof(stack) ? stack : malloc(n + 4);
	json_t *r = NULL;
	long dn;

	if (buf == NULL)
		return NULL;
	if ((dn = value_unescape(s, n, buf, n + 4)) >= 0)
		r = json_stringn(buf, (size_t)dn);
	if (buf != stack)
		free(buf);
	return r;
}

/* Parses one value text. Returns a new reference, or NULL when bad. */
static json_t *
evs_parse(const char *v, size_t len)
{
	size_t i;

	switch (v[0]) {
	case '"':
		if (len < 2)
			break;
		if (memchr(v + 1, '\\', len - 2) == NULL)
			return json_stringn(v + 1, len - 2);
		return evs_parse_escaped(v + 1, len - 2);
	case 't':
		if (len == 4 && memcmp(v, "true", 4) == 0)
			return json_true();
		break;
	case 'f':
		if (len == 5 && memcmp(v, "false", 5) == 0)
			return json_false();
		break;
	case 'n':
		if (len == 4 && memcmp(v, "null", 4) == 0)
			return json_null();
		break;
	default:
		/* A plain integer as JSON writes it: -?(0|[1-9][0-9]*). */
		i = v[0] == '-';
		if (len - i == 0 || len - i > 18 ||
		    (v[i] == '0' && len - i > 1))
			break;
		{
			json_int_t n = 0;
			size_t k;

			for (k = i; k < len; k++) {
				if (v[k] < '0' || v[k] > '9')
					break;
				n = n * 10 + (v[k] - '0');
			}
			if (k == len)
				return json_integer(i ? -n : n);
		}
		break;
	}
	return json_loadb(v, len, JSON_DECODE_ANY, NULL);
}

/* Returns the cache of e, made on first use, or NULL out of memory. */
static struct evc *
evc_get(struct event *e)
{
	struct evc *c = e->ev_cache;
	const char *p, *end;

	if (c != NULL)
		return c;
	if ((c = malloc(sizeof(*c))) == NULL)
		return NULL;
	c->c_nkeys = 0;
	c->c_capkeys = EVC_NKEYS;
	c->c_keys = c->c_inkeys;
	c->c_nvals = 0;
	c->c_capvals = EVC_NVALS;
	c->c_vals = c->c_invals;
	c->c_namelen = 0;
	c->c_state = EVC_BAD;
	c->c_pos = NULL;
	c->c_nops = c->c_capops = 0;
	c->c_ops = NULL;
	c->c_lazy = NULL;
	c->c_dead = NULL;
	c->c_ndead = 0;
	c->c_old = NULL;
	if (e->ev_raw != NULL) {
		p = e->ev_raw;
		end = p + e->ev_rawlen;
		p = evs_ws(p, end);
		if (p < end && *p == '{') {
			p = evs_ws(p + 1, end);
			c->c_state = p < end && *p == '}' ? EVC_DONE : EVC_WALK;
			c->c_pos = p;
		}
	}
	e->ev_cache = c;
	return c;
}

/* Drops the logged changes of c. */
static void
evc_ops_free(struct evc *c)
{
	for (size_t i = 0; i < c->c_nops; i++) {
		free(c->c_ops[i].o_name);
		json_decref(c->c_ops[i].o_val);
	}
	free(c->c_ops);
	c->c_ops = NULL;
	c->c_nops = c->c_capops = 0;
}

/* Logs field = val (reference stolen, NULL: deleted) in c. Returns 0, or
 * -1 out of memory (val released). */
static int
evc_op(struct evc *c, const char *field, json_t *val)
{
	struct evc_op *o;

	if (c->c_nops == c->c_capops) {
		size_t cap = c->c_capops ? c->c_capops * 2 : 4;

		if ((o = realloc(c->c_ops, cap * sizeof(*o))) == NULL) {
			json_decref(val);
			return -1;
		}
		c->c_ops = o;
		c->c_capops = cap;
	}
	o = &c->c_ops[c->c_nops];
	if ((o->o_name = strdup(field)) == NULL) {
		json_decref(val);
		return -1;
	}
	o->o_val = val;
	c->c_nops++;
	return 0;
}

/*
 * The logged value of field: 1 and *val (borrowed, NULL when deleted) when
 * the log has it, 0 when not, -1 when a dotted field goes through a logged
 * name (the caller parses).
 */
static int
evc_op_get(const struct evc *c, const char *field, json_t **val)
{
	const char *dot = strchr(field, '.');
	size_t n = dot ? (size_t)(dot - field) : 0;

	for (size_t i = c->c_nops; i-- > 0;) {
		const char *name = c->c_ops[i].o_name;

		if (dot == NULL) {
			if (strcmp(name, field) == 0) {
				*val = c->c_ops[i].o_val;
				return 1;
			}
		} else if (strncmp(name, field, n) == 0 && name[n] == '\0')
			return -1;
	}
	return 0;
}

/* The logged changes of e's cache, or NULL when none. */
static struct evc *
evc_changed(const struct event *e)
{
	struct evc *c = e->ev_cache;

	return c != NULL && c->c_nops > 0 ? c : NULL;
}

static int evc_apply(struct event *);

/* The maker of e's fields when e is a row built on demand, else NULL. */
static const struct event_lazy *
evc_lazy(const struct event *e)
{
	const struct evc *c = e->ev_cache;

	return e->ev_obj == NULL && c != NULL ? c->c_lazy : NULL;
}

static void
evc_free(struct evc *c)
{
	size_t i;

	if (c == NULL)
		return;
	evc_ops_free(c);
	for (i = 0; i < c->c_ndead; i++) {
		free(c->c_dead[i].o_name);
		json_decref(c->c_dead[i].o_val);
	}
	free(c->c_dead);
	evc_free(c->c_old);
	for (i = 0; i < c->c_nvals; i++) {
		json_decref(c->c_vals[i].v_val);
		if (c->c_vals[i].v_heap)
			free((char *)c->c_vals[i].v_name);
	}
	if (c->c_vals != c->c_invals)
		free(c->c_vals);
	if (c->c_keys != c->c_inkeys)
		free(c->c_keys);
	free(c);
}

/*
 * Walks on until the member name[0..len) is passed (stop) or the object
 * ends (stop == 0: walk to the end). Returns the index of the member found,
 * or -1.
 */
static long
evc_walk(struct event *e, struct evc *c, const char *name, size_t len,
    int stop)
{
	const char *p = c->c_pos, *end = e->ev_raw + e->ev_rawlen;
	struct evc_key *k;

	while (c->c_state == EVC_WALK) {
		if (c->c_nkeys == c->c_capkeys) {
			size_t cap = c->c_capkeys * 2;
			struct evc_key *nk = malloc(cap * sizeof(*nk));

			if (nk == NULL) {
				c->c_state = EVC_BAD;
				break;
			}
			memcpy(nk, c->c_keys, c->c_nkeys * sizeof(*nk));
			if (c->c_keys != c->c_inkeys)
				free(c->c_keys);
			c->c_keys = nk;
			c->c_capkeys = cap;
		}
		k = &c->c_keys[c->c_nkeys];
		if ((p = evs_member(p, end, k)) == NULL) {
			c->c_state = EVC_BAD;
			break;
		}
		c->c_nkeys++;
		p = evs_ws(p, end);
		if (p < end && *p == ',')
			p = evs_ws(p + 1, end);
		else if (p < end && *p == '}')
			c->c_state = EVC_DONE;
		else
			c->c_state = EVC_BAD;
		c->c_pos = p;
		if (stop && name != NULL && evs_name_is(k, name, len))
			return (long)(c->c_nkeys - 1);
	}
	return -1;
}

/* Returns the index of top-level member name[0..len), or -1. */
static long
evc_member(struct event *e, struct evc *c, const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < c->c_nkeys; i++)
		if (evs_name_is(&c->c_keys[i], name, len))
			return (long)i;
	return evc_walk(e, c, name, len, 1);
}

/*
 * Finds the text of field in the raw event. Returns 1 and v[0..*vlen), or
 * 0 when missing.
 */
static int
evc_locate(struct event *e, struct evc *c, const char *field,
    const char **v, size_t *vlen)
{
	const char *dot = strchr(field, '.'), *seg;
	struct evc_key k;
	long i;

	if (dot != NULL) {
		/* The whole dotted name as a top-level key wins: walk all. */
		evc_walk(e, c, NULL, 0, 0);
	}
	if ((i = evc_member(e, c, field, strlen(field))) >= 0) {
		*v = c->c_keys[i].k_val;
		*vlen = c->c_keys[i].k_vallen;
		return 1;
	}
	if (dot == NULL)
		return 0;
	if ((i = evc_member(e, c, field, (size_t)(dot - field))) < 0)
		return 0;
	*v = c->c_keys[i].k_val;
	*vlen = c->c_keys[i].k_vallen;
	seg = dot + 1;
	for (;;) {
		dot = strchr(seg, '.');
		if (!evs_find(*v, *vlen, seg,
		    dot ? (size_t)(dot - seg) : strlen(seg), &k))
			return 0;
		*v = k.k_val;
		*vlen = k.k_vallen;
		if (dot == NULL)
			return 1;
		seg = dot + 1;
	}
}

/* Remembers field -> val (reference stolen by c on success) in c. Returns
 * 0, or -1 out of memory (val still the caller's). */
static int
evc_remember(struct evc *c, const char *field, json_t *val)
{
	size_t n = strlen(field) + 1;
	struct evc_val *vv;

	if (c->c_nvals == c->c_capvals) {
		size_t cap = c->c_capvals * 2;
		struct evc_val *nv = malloc(cap * sizeof(*nv));

		if (nv == NULL)
			return -1;
		memcpy(nv, c->c_vals, c->c_nvals * sizeof(*nv));
		if (c->c_vals != c->c_invals)
			free(c->c_vals);
		c->c_vals = nv;
		c->c_capvals = cap;
	}
	vv = &c->c_vals[c->c_nvals];
	if (c->c_namelen + n <= EVC_NAMES) {
		vv->v_name = memcpy(c->c_names + c->c_namelen, field, n);
		vv->v_heap = 0;
		c->c_namelen += n;
	} else {
		char *h = malloc(n);

		if (h == NULL)
			return -1;
		vv->v_name = memcpy(h, field, n);
		vv->v_heap = 1;
	}
	vv->v_val = val;
	c->c_nvals++;
	return 0;
}

void
event_init(struct event *e, const char *raw, size_t len, int64_t time,
    uint64_t seq)
{
	memset(e, 0, sizeof(*e));
	e->ev_raw = raw;
	e->ev_rawlen = len;
	e->ev_time = time;
	e->ev_seq = seq;
}

void
event_init_obj(struct event *e, json_t *obj, int64_t time, uint64_t seq)
{
	memset(e, 0, sizeof(*e));
	e->ev_obj = obj;
	e->ev_dirty = 1;
	e->ev_time = time;
	e->ev_seq = seq;
}

int
event_init_lazy(struct event *e, const struct event_lazy *lz, int64_t time,
    uint64_t seq)
{
	struct evc *c;

	memset(e, 0, sizeof(*e));
	e->ev_dirty = 1;
	e->ev_time = time;
	e->ev_seq = seq;
	if ((c = evc_get(e)) == NULL)
		return -1;
	c->c_lazy = lz;
	return 0;
}

void
event_clear(struct event *e)
{
	if (e->ev_owned)
		free((char *)e->ev_raw);
	json_decref(e->ev_obj);
	evc_free(e->ev_cache);
	memset(e, 0, sizeof(*e));
}

/*
 * The copy shares the parsed object (a reference): event_set, event_del and
 * event_obj_mut copy it before changing it while it is shared.
 */
struct event *
event_keep(const struct event *e)
{
	struct event *k;
	char *raw;

	if (evc_changed(e) != NULL && e->ev_obj == NULL &&
	    evc_apply((struct event *)e) == -1)
		return NULL;
	if (evc_lazy(e) != NULL && event_obj((struct event *)e) == NULL)
		return NULL;
	if ((k = calloc(1, sizeof(*k))) == NULL)
		return NULL;
	*k = *e;
	k->ev_cache = NULL;
	k->ev_obj = e->ev_obj ? json_incref(e->ev_obj) : NULL;
	if (e->ev_raw && !e->ev_dirty) {
		if ((raw = malloc(e->ev_rawlen + 1)) == NULL) {
			json_decref(k->ev_obj);
			free(k);
			return NULL;
		}
		memcpy(raw, e->ev_raw, e->ev_rawlen);
		raw[e->ev_rawlen] = '\0';
		k->ev_raw = raw;
		k->ev_owned = 1;
	} else {
		k->ev_raw = NULL;
		k->ev_rawlen = 0;
		k->ev_owned = 0;
		k->ev_dirty = 1;
	}
	return k;
}

void
event_free(struct event *e)
{
	if (e == NULL)
		return;
	event_clear(e);
	free(e);
}

json_t *
event_obj(struct event *e)
{
	const struct event_lazy *lz;

	if ((lz = evc_lazy(e)) != NULL) {
		e->ev_obj = lz->el_obj(lz->el_arg);
		((struct evc *)e->ev_cache)->c_lazy = NULL;
	}
	if (e->ev_obj == NULL && evc_changed(e) != NULL && evc_apply(e) == -1)
		return NULL;
	if (e->ev_obj == NULL && e->ev_raw)
		e->ev_obj = json_loadb(e->ev_raw, e->ev_rawlen, 0, NULL);
	return json_is_object(e->ev_obj) ? e->ev_obj : NULL;
}

json_t *
event_obj_mut(struct event *e)
{
	json_t *o = event_obj(e), *copy;

	if (o == NULL)
		return NULL;
	if (o->refcount > 1) {
		if ((copy = json_deep_copy(o)) == NULL)
			return NULL;
		json_decref(o);
		e->ev_obj = o = copy;
	}
	e->ev_dirty = 1;
	return o;
}

json_t *
event_get(struct event *e, const char *field)
{
	const struct event_lazy *lz;
	struct evc *c;
	const char *v;
	size_t vlen, i;
	json_t *val;
	int whole = 0;

	if ((lz = evc_lazy(e)) != NULL) {
		c = e->ev_cache;
		for (i = 0; i < c->c_nvals; i++)
			if (strcmp(c->c_vals[i].v_name, field) == 0)
				return c->c_vals[i].v_val;
		val = lz->el_get(lz->el_arg, field, &whole);
		if (whole || evc_remember(c, field, val) == -1) {
			json_decref(val);
			return field_get(event_obj(e), field);
		}
		return val;
	}
	if (e->ev_obj != NULL || e->ev_raw == NULL)
		return field_get(event_obj(e), field);
	if ((c = evc_get(e)) == NULL)
		return NULL;
	if (c->c_nops > 0) {
		switch (evc_op_get(c, field, &val)) {
		case 1:
			return val;
		case -1:
			return field_get(event_obj(e), field);
		default:
			break;
		}
	}
	for (i = 0; i < c->c_nvals; i++)
		if (strcmp(c->c_vals[i].v_name, field) == 0)
			return c->c_vals[i].v_val;
	if (c->c_state == EVC_BAD && c->c_nkeys == 0)
		return field_get(event_obj(e), field);
	val = NULL;
	if (evc_locate(e, c, field, &v, &vlen))
		val = evs_parse(v, vlen);
	if (c->c_state == EVC_BAD && val == NULL) {
		/* Text the walk cannot read: let the parser decide. */
		return field_get(event_obj(e), field);
	}
	if (evc_remember(c, field, val) == -1) {
		json_decref(val);
		return field_get(event_obj(e), field);
	}
	return val;
}

/* A change of field that can be logged: e still in its text, field a
 * top-level name. Returns the cache to log it in, or NULL. */
static struct evc *
evc_loggable(struct event *e, const char *field)
{
	struct evc *c;

	if (e->ev_obj != NULL || e->ev_raw == NULL ||
	    strchr(field, '.') != NULL || (c = evc_get(e)) == NULL ||
	    (c->c_state == EVC_BAD && c->c_nkeys == 0))
		return NULL;
	return c;
}

/*
 * Sets or (v NULL or json null) removes the top-level member field of an
 * event that is still only text, by writing new text around the old: the
 * parse and the dump of the whole event, most of what an eval costs, are
 * saved, and the members not touched keep their bytes (64-bit integers,
 * number spellings, escapes). Returns 1 when done (v consumed), 0 when
 * the text does not allow it (not an object the walk reads, or field twice
 * in it: Jansson keeps the last) and the caller must parse, -1 out of
 * memory (v still the caller's).
 */
static int
event_splice(struct event *e, const char *field, json_t *v)
{
	size_t flen = strlen(field), vlen = 0, nlen = 0, cut0, cut1, n;
	const char *raw = e->ev_raw;
	char *val = NULL, *name = NULL, *out;
	struct evc *c;
	json_t *js;
	long i, j;
	int del = v == NULL || json_is_null(v);

	if ((c = evc_get(e)) == NULL)
		return -1;
	i = evc_member(e, c, field, flen);
	evc_walk(e, c, NULL, 0, 0);
	if (c->c_state != EVC_DONE)
		return 0;
	for (j = i + 1; i >= 0 && (size_t)j < c->c_nkeys; j++)
		if (evs_name_is(&c->c_keys[j], field, flen))
			return 0;
	if (i < 0 && del) {
		json_decref(v);
		return 1;
	}
	if (!del && (val = value_json(v, &vlen)) == NULL)
		return -1;
	if (i >= 0) {
		const struct evc_key *k = &c->c_keys[i];

		if (del) {
			/* The member with the comma after it, or before it
			 * when it is the last one. */
			cut0 = (size_t)(k->k_name - 1 - raw);
			if ((size_t)i + 1 < c->c_nkeys)
				cut1 = (size_t)(c->c_keys[i + 1].k_name - 1 -
				    raw);
			else {
				cut1 = (size_t)(k->k_val + k->k_vallen - raw);
				if (i > 0)
					cut0 = (size_t)(c->c_keys[i - 1].k_val +
					    c->c_keys[i - 1].k_vallen - raw);
			}
		} else {
			cut0 = (size_t)(k->k_val - raw);
			cut1 = cut0 + k->k_vallen;
		}
	} else {
		/* A new member goes last, as Jansson puts it. */
		if ((js = json_stringn(field, flen)) == NULL ||
		    (name = value_json(js, &nlen)) == NULL) {
			json_decref(js);
			free(val);
			return -1;
		}
		json_decref(js);
		cut0 = cut1 = c->c_nkeys == 0 ? (size_t)(c->c_pos - raw) :
		    (size_t)(c->c_keys[c->c_nkeys - 1].k_val +
		    c->c_keys[c->c_nkeys - 1].k_vallen - raw);
	}
	n = cut0 + (name ? nlen + 2 : 0) + vlen + (e->ev_rawlen - cut1);
	if ((out = malloc(n + 1)) == NULL) {
		free(name);
		free(val);
		return -1;
	}
	memcpy(out, raw, cut0);
	n = cut0;
	if (name != NULL) {
		if (c->c_nkeys > 0)
			out[n++] = ',';
		memcpy(out + n, name, nlen);
		n += nlen;
		out[n++] = ':';
	}
	if (vlen > 0)
		memcpy(out + n, val, vlen);
	n += vlen;
	memcpy(out + n, raw + cut1, e->ev_rawlen - cut1);
	n += e->ev_rawlen - cut1;
	out[n] = '\0';
	free(name);
	free(val);
	json_decref(v);
	evc_free(c);
	e->ev_cache = NULL;
	if (e->ev_owned)
		free((char *)e->ev_raw);
	e->ev_raw = out;
	e->ev_rawlen = n;
	e->ev_owned = 1;
	return 1;
}

/*
 * Applies the logged changes of e (still in its text) in order: on the
 * text by event_splice, so that the event reads and is written out as when
 * each was set on it at once, or, from the first the text does not allow
 * on, on the parsed object. The cache before, with the values of the
 * changes, stays alive in the new one (c_old) for who borrowed its values.
 * Returns 0, or -1 out of memory.
 */
static int
evc_apply(struct event *e)
{
	struct evc *old = e->ev_cache, *c;
	struct evc_op *ops = old->c_ops;
	size_t n = old->c_nops, i;
	json_t *o;
	int rc = 0, r;

	old->c_ops = NULL;
	old->c_nops = old->c_capops = 0;
	old->c_dead = ops;	/* (a cache with changes has none yet) */
	old->c_ndead = n;
	e->ev_cache = NULL;
	e->ev_dirty = 0;
	for (i = 0; i < n; i++) {
		r = event_splice(e, ops[i].o_name, json_incref(ops[i].o_val));
		if (r == 1)
			continue;
		json_decref(ops[i].o_val);	/* not taken */
		break;
	}
	if (i < n) {
		o = e->ev_obj = json_loadb(e->ev_raw, e->ev_rawlen, 0, NULL);
		e->ev_dirty = 1;
		for (; i < n && json_is_object(o); i++) {
			if (ops[i].o_val == NULL)
				json_object_del(o, ops[i].o_name);
			else if (json_object_set(o, ops[i].o_name,
			    ops[i].o_val) == -1)
				rc = -1;
		}
		if (!json_is_object(o))
			rc = -1;
	}
	if ((c = evc_get(e)) == NULL) {
		evc_free(old);
		return -1;
	}
	c->c_old = old;
	return rc;
}

int
event_put(struct event *e, const char *field, json_t *v)
{
	struct evc *c;

	if ((c = evc_loggable(e, field)) == NULL)
		return event_set(e, field, v);
	if (v != NULL && json_is_null(v)) {
		json_decref(v);
		v = NULL;
	}
	if (evc_op(c, field, v) == -1)
		return -1;
	e->ev_dirty = 1;
	return 0;
}

int
event_set(struct event *e, const char *field, json_t *v)
{
	json_t *o;
	int rc;

	if (e->ev_obj == NULL && e->ev_raw != NULL && !e->ev_dirty) {
		if ((rc = event_splice(e, field, v)) != 0) {
			if (rc == -1)
				json_decref(v);
			return rc == 1 ? 0 : -1;
		}
	}
	o = event_obj_mut(e);

	if (o == NULL) {
		json_decref(v);
		return -1;
	}
	if (v == NULL || json_is_null(v)) {
		json_decref(v);
		json_object_del(o, field);
		return 0;
	}
	return json_object_set_new(o, field, v);
}

void
event_del(struct event *e, const char *field)
{
	json_t *o = event_obj(e);

	if (o == NULL || json_object_get(o, field) == NULL)
		return;
	if ((o = event_obj_mut(e)) != NULL)
		json_object_del(o, field);
}

const char *
event_text(struct event *e, size_t *len)
{
	char *s;
	size_t n;

	if (e->ev_obj == NULL && evc_changed(e) != NULL && evc_apply(e) == -1)
		return NULL;
	if (!e->ev_dirty && e->ev_raw) {
		*len = e->ev_rawlen;
		return e->ev_raw;
	}
	if (e->ev_obj == NULL && event_obj(e) == NULL)
		return NULL;
	if ((s = value_json(e->ev_obj, &n)) == NULL)
		return NULL;
	if (e->ev_owned)
		free((char *)e->ev_raw);
	e->ev_raw = s;
	e->ev_owned = 1;
	e->ev_rawlen = n;
	e->ev_dirty = 0;
	*len = e->ev_rawlen;
	return e->ev_raw;
}

int
event_project(struct event *e, char *const *fields, size_t n,
    struct buf *out)
{
	struct evc *c;
	int first = 1;

	buf_reset(out);
	if (e->ev_dirty || e->ev_obj != NULL || e->ev_raw == NULL ||
	    (c = evc_get(e)) == NULL)
		return 1;
	if (c->c_state == EVC_BAD)
		return 1;
	if (buf_putc(out, '{') == -1)
		return -1;
	for (size_t i = 0; i < n; i++) {
		const struct evc_key *k;
		long at;

		/* The walk goes only as far as the names need. */
		at = evc_member(e, c, fields[i], strlen(fields[i]));
		if (c->c_state == EVC_BAD)
			return 1;
		if (at < 0)
			continue;
		k = &c->c_keys[at];
		/* The name with its quotes, the colon, the value. */
		if ((!first && buf_putc(out, ',') == -1) ||
		    buf_append(out, k->k_name - 1, k->k_namelen + 2) == -1 ||
		    buf_putc(out, ':') == -1 ||
		    buf_append(out, k->k_val, k->k_vallen) == -1)
			return -1;
		first = 0;
	}
	return buf_putc(out, '}') == -1 ? -1 : 0;
}
