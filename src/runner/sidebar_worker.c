/*
 * sidebar_worker.c - a sidebar fed from result pages on a thread of its
 * own, so that its work overlaps the executor's waits for storage (every
 * page is a synchronous LMDB commit) instead of adding to them.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "export/export.h"
#include "runner/taskstats.h"
#include "store/store.h"

struct sbw_page {
	struct sbw_page *p_next;
	char *p_data;		/* count(4), offsets(4 each), texts */
	size_t p_len;
	const char **p_ixs;	/* index of each result, or NULL */
};

struct sbworker {
	struct sidebar *w_sb;
	pthread_t w_thread;
	pthread_mutex_t w_lock;
	pthread_cond_t w_cond;		/* a page came, or room was made */
	struct sbw_page *w_head, *w_tail;
	size_t w_bytes, w_max;		/* queued bytes, and their bound */
	int w_done;			/* no more pages will come */
	int w_failed;			/* the sidebar ran out of memory */
	struct buf w_names;		/* export_scan_event's scratch */
	size_t w_leaf;
	const char **w_ixs;		/* of the page being counted */
	size_t w_result;		/* its result being counted */
};

static int
sbw_leaf(void *arg, const struct export_leaf *l)
{
	struct sbworker *w = arg;

	return sidebar_leaf(w->w_sb, w->w_leaf++, l);
}

/* store_page_walk's callback: one result of a page. Nonzero: out of
 * memory. */
static int
sbw_result(void *arg, const char *json, size_t len)
{
	struct sbworker *w = arg;

	const char *ix = w->w_ixs != NULL ? w->w_ixs[w->w_result] : NULL;

	w->w_result++;
	w->w_leaf = 0;
	sidebar_begin(w->w_sb);
	if (export_scan_event(json, len, &w->w_names, sbw_leaf, w) == -1)
		return 1;
	if (ix != NULL) {
		/* ix is in double quotes (see sbworker_push_ix). */
		struct export_leaf l = { "_index", 6, EXPORT_V_STRING, ix + 1,
		    strlen(ix) - 2, 0 };

		return sidebar_leaf(w->w_sb, w->w_leaf++, &l) == -1;
	}
	return 0;
}

/* Counts the results of one page. Returns 0, or -1 out of memory. */
static int
sbw_page(struct sbworker *w, const char *data, size_t len, const char **ixs)
{
	uint64_t n;

	w->w_ixs = ixs;
	w->w_result = 0;
	return store_page_walk(data, len, 0, UINT64_MAX, sbw_result, w,
	    &n) == 1 ? -1 : 0;
}

static void *
sbw_main(void *arg)
{
	struct sbworker *w = arg;
	struct sbw_page *p;
	int failed;

	pthread_mutex_lock(&w->w_lock);
	for (;;) {
		while (w->w_head == NULL && !w->w_done)
			pthread_cond_wait(&w->w_cond, &w->w_lock);
		if ((p = w->w_head) == NULL)
			break;		/* done, and nothing left */
		failed = w->w_failed;
		pthread_mutex_unlock(&w->w_lock);
		if (!failed && sbw_page(w, p->p_data, p->p_len, p->p_ixs) == -1)
			failed = 1;
		pthread_mutex_lock(&w->w_lock);
		w->w_failed = failed;
		w->w_head = p->p_next;
		if (w->w_head == NULL)
			w->w_tail = NULL;
		w->w_bytes -= p->p_len;
		pthread_cond_broadcast(&w->w_cond);
		free(p->p_data);
		free(p->p_ixs);
		free(p);
	}
	pthread_mutex_unlock(&w->w_lock);
	return NULL;
}

struct sbworker *
sbworker_start(struct sidebar *sb, size_t max_bytes)
{
	struct sbworker *w = calloc(1, sizeof(*w));

	if (w == NULL)
		return NULL;
	w->w_sb = sb;
	w->w_max = max_bytes;
	pthread_mutex_init(&w->w_lock, NULL);
	pthread_cond_init(&w->w_cond, NULL);
	if (pthread_create(&w->w_thread, NULL, sbw_main, w) != 0) {
		pthread_cond_destroy(&w->w_cond);
		pthread_mutex_destroy(&w->w_lock);
		free(w);
		return NULL;
	}
	return w;
}

int
sbworker_push(struct sbworker *w, char *page, size_t len)
{
	return sbworker_push_ix(w, page, len, NULL);
}

int
sbworker_push_ix(struct sbworker *w, char *page, size_t len,
    const char **ixs)
{
	struct sbw_page *p = malloc(sizeof(*p));
	int failed;

	if (p == NULL) {
		free(page);
		free(ixs);
		return -1;
	}
	p->p_next = NULL;
	p->p_data = page;
	p->p_len = len;
	p->p_ixs = ixs;
	pthread_mutex_lock(&w->w_lock);
	/* Bounded memory: wait while the queue is full (one page always
	 * goes in, however large). */
	while (w->w_head != NULL && w->w_bytes + len > w->w_max)
		pthread_cond_wait(&w->w_cond, &w->w_lock);
	if (w->w_tail)
		w->w_tail->p_next = p;
	else
		w->w_head = p;
	w->w_tail = p;
	w->w_bytes += len;
	pthread_cond_broadcast(&w->w_cond);
	failed = w->w_failed;
	pthread_mutex_unlock(&w->w_lock);
	return failed ? -1 : 0;
}

int
sbworker_finish(struct sbworker *w)
{
	int failed;

	if (w == NULL)
		return 0;
	pthread_mutex_lock(&w->w_lock);
	w->w_done = 1;
	pthread_cond_broadcast(&w->w_cond);
	pthread_mutex_unlock(&w->w_lock);
	pthread_join(w->w_thread, NULL);
	failed = w->w_failed;
	pthread_cond_destroy(&w->w_cond);
	pthread_mutex_destroy(&w->w_lock);
	buf_free(&w->w_names);
	free(w);
	return failed ? -1 : 0;
}
