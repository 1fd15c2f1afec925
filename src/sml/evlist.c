/* evlist.c - events a command keeps until its input ends (chart's second
 * pass, appendpipe's subpipeline), their memory accounted with run_mem. */
#include <stdint.h>
#include <stdlib.h>

#include "sml/stage.h"

/*
 * Appends a compact copy of e (agg_keep_event) to l, accounting it with
 * run_mem. Returns 0, or -1 with the run failed (out of memory,
 * limits.max_memory_bytes).
 */
int
evlist_keep(struct stage *s, struct evlist *l, struct event *e)
{
	struct event *kept;
	int64_t cost;

	if (l->el_n == l->el_cap) {
		size_t cap = l->el_cap ? l->el_cap * 2 : 64;
		struct event **p = realloc(l->el_ev, cap * sizeof(*p));

		if (p == NULL)
			return run_fail(s->sg_run, "out of memory");
		l->el_ev = p;
		l->el_cap = cap;
	}
	if ((kept = agg_keep_event(e, &cost)) == NULL)
		return run_fail(s->sg_run, "out of memory");
	l->el_ev[l->el_n++] = kept;
	cost += (int64_t)sizeof(kept);
	l->el_mem += cost;
	return run_mem(s->sg_run, cost);
}

/* Frees the events of l (not l), releasing their memory from r if not NULL. */
void
evlist_free(struct evlist *l, struct run *r)
{
	for (size_t i = 0; i < l->el_n; i++)
		event_free(l->el_ev[i]);
	free(l->el_ev);
	l->el_ev = NULL;
	l->el_n = l->el_cap = 0;
	if (r != NULL)
		run_mem(r, -l->el_mem);
	l->el_mem = 0;
}
