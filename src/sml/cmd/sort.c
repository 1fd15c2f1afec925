/*
 * cmd/sort.c - sort: sorts the events, stable, holding at most limit of
 * them (blocking).
 *
 *	sort [limit=<n>] [+|-]f1[, [+|-]f2...]
 *
 * Ascending, or descending for a field after '-'; numbers (and numeric
 * strings) sort before strings, missing and null last.
 */
#include <stdint.h>
#include <stdlib.h>

#include "sml/parse.h"
#include "sml/stage.h"

/* ---- Parsing ---- */

/* Returns 1 when the current token can start a sort key. */
static int
sort_at_key(struct sml_parser *p)
{
	return p->sp_tok.lt_kind == LEX_PLUS || p->sp_tok.lt_kind == LEX_MINUS ||
	    sml_at_name(p, 0);
}

/*
 * Parses sort [limit=n] [+|-]f1[, [+|-]f2...] into c->sc_u.sort. Returns 0
 * with the current token at '|' or the end, or -1 with the error reported.
 */
int
cmd_sort_parse(struct sml_parser *p, struct sml_command *c)
{
	struct sml_sort *so = &c->sc_u.sort;
	unsigned seen = 0;
	int desc;
	char *name;

	so->so_limit = -1;
	if (sml_next(p) == -1)
		return -1;
	for (;;) {
		if (sml_at_param(p)) {
			if (!sml_at_key(p, "limit"))
				return sml_param_unknown(p, "sort");
			if (sml_param_once(p, &seen, SML_SEEN_A, "sort") == -1 ||
			    sml_param_int(p, "limit", 1, "a positive integer",
			    &so->so_limit) == -1 || sml_next(p) == -1)
				return -1;
			continue;
		}
		if (!sort_at_key(p))
			break;
		desc = p->sp_tok.lt_kind == LEX_MINUS;
		if ((p->sp_tok.lt_kind == LEX_PLUS ||
		    p->sp_tok.lt_kind == LEX_MINUS) && sml_next(p) == -1)
			return -1;
		if (sml_name(p, 0, &name) == -1)
			return -1;
		if (SML_ROOM(p, so->so_keys, so->so_n) == -1) {
			free(name);
			return -1;
		}
		so->so_keys[so->so_n].sk_field = name;
		so->so_keys[so->so_n++].sk_desc = desc;
		if (sml_next(p) == -1)
			return -1;
		if (p->sp_tok.lt_kind == LEX_COMMA) {
			if (sml_next(p) == -1)
				return -1;
			if (!sort_at_key(p))
				return sml_fail_expected(p, "a field name");
		}
	}
	if (so->so_n == 0)
		return sml_fail_expected(p, "a field name");
	return sml_end(p);
}

/* Frees what cmd_sort_parse() stored in c (not c itself). */
void
cmd_sort_clear(struct sml_command *c)
{
	for (size_t i = 0; i < c->sc_u.sort.so_n; i++)
		free(c->sc_u.sort.so_keys[i].sk_field);
	free(c->sc_u.sort.so_keys);
}

/* ---- Running ---- */

/*
 * sort reads all of its input but holds at most limit events (limit= or
 * sme.core.sort_limit): a max-heap whose top is the last event kept. An
 * event that sorts before the top replaces it, any other is dropped, so the
 * answer is the first limit events of the full sort, in bounded memory.
 * Ties keep the input order (each event is numbered as it arrives), so the
 * sort is stable. A WARN line says how many events were dropped.
 */

struct sort_item {
	struct event *si_ev;
	uint64_t si_order;	/* arrival number */
	int64_t si_cost;	/* run_mem of the item */
	json_t **si_keys;	/* one per sort key, owned (NULL missing) */
	unsigned char *si_cls;	/* the sort class of each key */
};

struct sort_state {
	struct sort_item **ss_heap;
	size_t ss_n, ss_cap;
	size_t ss_limit;
	uint64_t ss_arrived;
	uint64_t ss_dropped;
	json_t **ss_keys;	/* the incoming event's keys, borrowed */
	unsigned char *ss_cls;	/* ... and their classes */
};

/*
 * Orders two events: by the keys (by class, then by value_cmp inside a
 * class, reversed for a descending key), then by arrival. The classes
 * (value_sort_class: numbers and numeric strings, then strings and
 * booleans, then arrays and objects, then missing or null) keep their
 * order in a descending sort too; only the order inside one is reversed.
 */
static int
sort_cmp(const struct sml_sort *so, json_t *const *ka,
    const unsigned char *ca, uint64_t oa, json_t *const *kb,
    const unsigned char *cb, uint64_t ob)
{
	int c;

	for (size_t i = 0; i < so->so_n; i++) {
		if (ca[i] != cb[i])
			return ca[i] < cb[i] ? -1 : 1;
		if (ca[i] == 3)
			continue;
		c = value_cmp(ka[i], kb[i]);
		if (c != 0)
			return so->so_keys[i].sk_desc ? -c : c;
	}
	return oa < ob ? -1 : oa > ob;
}

static int
item_cmp(const struct sml_sort *so, const struct sort_item *a,
    const struct sort_item *b)
{
	return sort_cmp(so, a->si_keys, a->si_cls, a->si_order, b->si_keys,
	    b->si_cls, b->si_order);
}

/* Restores the heap (largest on top) below position i. */
static void
heap_down(const struct sml_sort *so, struct sort_item **h, size_t n, size_t i)
{
	struct sort_item *x = h[i];
	size_t c;

	for (;;) {
		c = 2 * i + 1;
		if (c >= n)
			break;
		if (c + 1 < n && item_cmp(so, h[c + 1], h[c]) > 0)
			c++;
		if (item_cmp(so, h[c], x) <= 0)
			break;
		h[i] = h[c];
		i = c;
	}
	h[i] = x;
}

/* Restores the heap above position i. */
static void
heap_up(const struct sml_sort *so, struct sort_item **h, size_t i)
{
	struct sort_item *x = h[i];
	size_t p;

	while (i > 0) {
		p = (i - 1) / 2;
		if (item_cmp(so, h[p], x) >= 0)
			break;
		h[i] = h[p];
		i = p;
	}
	h[i] = x;
}

static void
item_free(const struct sml_sort *so, struct sort_item *it)
{
	if (it == NULL)
		return;
	for (size_t i = 0; i < so->so_n; i++)
		json_decref(it->si_keys[i]);
	event_free(it->si_ev);
	free(it);
}

/* Makes an item of e with the keys in ss_keys. NULL with the run failed. */
static struct sort_item *
item_new(struct stage *s, struct sort_state *ss, struct event *e,
    uint64_t order)
{
	const struct sml_sort *so = &s->sg_cmd->sc_u.sort;
	struct sort_item *it;
	int64_t cost;

	if ((it = calloc(1, sizeof(*it) + so->so_n * (sizeof(json_t *) +
	    1))) == NULL) {
		run_fail(s->sg_run, "out of memory");
		return NULL;
	}
	it->si_keys = (json_t **)(it + 1);
	it->si_cls = (unsigned char *)(it->si_keys + so->so_n);
	if ((it->si_ev = agg_keep_event(e, &cost)) == NULL) {
		free(it);
		run_fail(s->sg_run, "out of memory");
		return NULL;
	}
	it->si_order = order;
	cost += (int64_t)(sizeof(*it) + so->so_n * (sizeof(json_t *) + 1));
	for (size_t i = 0; i < so->so_n; i++) {
		/* The keys outlive e's parsed values by their reference. */
		it->si_keys[i] = json_incref(ss->ss_keys[i]);
		it->si_cls[i] = ss->ss_cls[i];
		cost += agg_json_cost(it->si_keys[i]);
	}
	it->si_cost = cost;
	if (run_mem(s->sg_run, cost) == -1) {
		item_free(so, it);
		return NULL;
	}
	return it;
}

static int
sort_push(struct stage *s, struct event *e)
{
	const struct sml_sort *so = &s->sg_cmd->sc_u.sort;
	struct sort_state *ss = s->sg_state;
	uint64_t order = ss->ss_arrived++;
	struct sort_item *it;

	for (size_t i = 0; i < so->so_n; i++) {
		ss->ss_keys[i] = event_get(e, so->so_keys[i].sk_field);
		ss->ss_cls[i] =
		    (unsigned char)value_sort_class(ss->ss_keys[i]);
	}
	if (ss->ss_n == ss->ss_limit) {
		ss->ss_dropped++;
		/* Full: only an event before the last kept one gets in. */
		if (ss->ss_n == 0 || sort_cmp(so, ss->ss_keys, ss->ss_cls,
		    order, ss->ss_heap[0]->si_keys, ss->ss_heap[0]->si_cls,
		    ss->ss_heap[0]->si_order) >= 0)
			return 0;
		if ((it = item_new(s, ss, e, order)) == NULL)
			return -1;
		run_mem(s->sg_run, -ss->ss_heap[0]->si_cost);
		item_free(so, ss->ss_heap[0]);
		ss->ss_heap[0] = it;
		heap_down(so, ss->ss_heap, ss->ss_n, 0);
		return 0;
	}
	if (ss->ss_n == ss->ss_cap) {
		size_t cap = ss->ss_cap ? ss->ss_cap * 2 : 64;
		struct sort_item **h;

		if (cap > ss->ss_limit)
			cap = ss->ss_limit;
		if (run_mem(s->sg_run, (int64_t)((cap - ss->ss_cap) *
		    sizeof(*h))) == -1)
			return -1;
		if ((h = realloc(ss->ss_heap, cap * sizeof(*h))) == NULL)
			return run_fail(s->sg_run, "out of memory");
		ss->ss_heap = h;
		ss->ss_cap = cap;
	}
	if ((it = item_new(s, ss, e, order)) == NULL)
		return -1;
	ss->ss_heap[ss->ss_n++] = it;
	heap_up(so, ss->ss_heap, ss->ss_n - 1);
	return 0;
}

static int
sort_finish(struct stage *s)
{
	const struct sml_sort *so = &s->sg_cmd->sc_u.sort;
	struct sort_state *ss = s->sg_state;
	struct sort_item *it;
	size_t i;
	int rc = 0;

	if (ss->ss_dropped > 0)
		run_log(s->sg_run, SML_LOG_WARN, "sort: kept the first %zu of "
		    "%llu events in sort order (limit %zu); %llu events "
		    "dropped", ss->ss_n, (unsigned long long)ss->ss_arrived,
		    ss->ss_limit, (unsigned long long)ss->ss_dropped);
	/* Heapsort: the largest goes to the end, and so on. */
	for (i = ss->ss_n; i > 1; i--) {
		it = ss->ss_heap[0];
		ss->ss_heap[0] = ss->ss_heap[i - 1];
		ss->ss_heap[i - 1] = it;
		heap_down(so, ss->ss_heap, i - 1, 0);
		if ((i & 1023) == 0 && run_poll_now(s->sg_run))
			return 0;
	}
	for (i = 0; i < ss->ss_n && rc == 0; i++) {
		it = ss->ss_heap[i];
		ss->ss_heap[i] = NULL;
		rc = stage_emit(s, it->si_ev);
		run_mem(s->sg_run, -it->si_cost);
		item_free(so, it);
		if (rc == 0 && run_poll_now(s->sg_run))
			break;
	}
	return rc < 0 ? -1 : 0;
}

static void
sort_free(struct stage *s)
{
	struct sort_state *ss = s->sg_state;

	if (ss == NULL)
		return;
	for (size_t i = 0; i < ss->ss_n; i++)
		item_free(&s->sg_cmd->sc_u.sort, ss->ss_heap[i]);
	free(ss->ss_heap);
	free(ss->ss_keys);
	free(ss->ss_cls);
	free(ss);
	s->sg_state = NULL;
}

int
cmd_sort_init(struct stage *s, const struct sml_command *c)
{
	const struct sml_sort *so = &c->sc_u.sort;
	struct sort_state *ss;
	int64_t limit;

	if (so->so_n == 0)
		return run_fail(s->sg_run, "sort: no field");
	limit = so->so_limit > 0 ? so->so_limit :
	    run_limits(s->sg_run)->rl_sort_limit;
	if ((ss = calloc(1, sizeof(*ss))) == NULL)
		return run_fail(s->sg_run, "out of memory");
	s->sg_state = ss;
	s->sg_free = sort_free;
	if ((ss->ss_keys = calloc(so->so_n, sizeof(json_t *))) == NULL ||
	    (ss->ss_cls = calloc(so->so_n, 1)) == NULL)
		return run_fail(s->sg_run, "out of memory");
	/* A limit of 0 or less in the settings: no limit but memory. */
	ss->ss_limit = limit > 0 && (uint64_t)limit < SIZE_MAX / 2 ?
	    (size_t)limit : SIZE_MAX / 2;
	s->sg_push = sort_push;
	s->sg_finish = sort_finish;
	return 0;
}
