/* index_retention.c - the runner enforces retention.index_rules on the event store. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/config.h"
#include "common/log.h"
#include "common/retention.h"
#include "common/timeutil.h"
#include "runner/runner.h"
#include "store/events.h"

/* Events removed per write transaction: the writer lock is free between. */
#define IRET_BATCH	EVSTORE_PURGE_BATCH

/* The names of the indices, copied (the store lends them to the callback). */
struct iret_names {
	char	**in_names;
	size_t	  in_n;
	int	  in_oom;
};

/* evstore_match callback: keeps a copy of name. Returns 0, or 1 out of
 * memory (which stops the walk). */
static int
iret_name_cb(void *arg, const char *name, uint64_t count)
{
	struct iret_names *in = arg;
	char **p;

	(void)count;
	if ((p = realloc(in->in_names, (in->in_n + 1) * sizeof(*p))) == NULL ||
	    (p[in->in_n] = strdup(name)) == NULL) {
		if (p != NULL)
			in->in_names = p;
		in->in_oom = 1;
		return 1;
	}
	in->in_names = p;
	in->in_n++;
	return 0;
}

/*
 * Removes events of deleted indices, then applies the rules to every index
 * a rule matches, oldest events first, in transactions of IRET_BATCH
 * events, until done or budget_ms have passed. The store is opened and
 * closed here (the supervisor forks executors between sweeps, and a handle
 * must not cross fork()). Returns 1 when work is left (call again soon), 0
 * when done, -1 on an error (logged).
 */
int
index_retention_sweep(const struct config *cfg, int64_t budget_ms)
{
	struct retention_rule *rules = NULL;
	struct iret_names names = { NULL, 0, 0 };
	struct evstore *es = NULL;
	const struct retention_rule *r;
	int64_t deadline = time_mono_ms() + budget_ms, now = time_now_ms();
	int64_t n, total;
	size_t nrules = 0;
	char err[512], path[4200];
	int more = 0, left = 0, rc = -1;

	if (retention_parse(cfg->retention_index_rules, &rules, &nrules, err,
	    sizeof(err)) == -1) {
		log_error("retention.index_rules: %s", err);
		return -1;
	}
	snprintf(path, sizeof(path), "%s/events", cfg->storage_path);
	if (evstore_open(&es, path, cfg->storage_events_map_size, err,
	    sizeof(err)) == -1) {
		log_error("index retention: %s", err);
		goto out;
	}
	total = 0;
	do {
		if ((n = evstore_purge(es, IRET_BATCH, &more, err,
		    sizeof(err))) < 0) {
			log_error("index retention: %s", err);
			goto out;
		}
		total += n;
	} while (more && time_mono_ms() < deadline);
	if (total > 0)
		log_info("removed %lld event(s) of deleted indices",
		    (long long)total);
	if (more) {
		left = 1;
		rc = 0;
		goto out;
	}
	if (nrules == 0) {
		rc = 0;
		goto out;
	}
	if (evstore_match(es, "*", iret_name_cb, &names) < 0 ||
	    names.in_oom) {
		log_error("index retention: cannot list the indices");
		goto out;
	}
	for (size_t i = 0; i < names.in_n && !left; i++) {
		int64_t before;

		if ((r = retention_find(rules, nrules, names.in_names[i])) == NULL)
			continue;
		before = r->rr_max_age_ms > 0 ? now - r->rr_max_age_ms :
		    INT64_MIN;
		total = 0;
		do {
			n = evstore_trim(es, names.in_names[i], before,
			    r->rr_max_bytes, IRET_BATCH, &more, err,
			    sizeof(err));
			if (n < 0) {
				log_error("index retention of %s: %s",
				    names.in_names[i], err);
				goto out;
			}
			total += n;
		} while (more && time_mono_ms() < deadline);
		if (total > 0)
			log_info("retention: removed %lld event(s) of %s (rule "
			    "%s)", (long long)total, names.in_names[i],
			    r->rr_pattern);
		if (more)
			left = 1;
	}
	rc = 0;
out:
	for (size_t i = 0; i < names.in_n; i++)
		free(names.in_names[i]);
	free(names.in_names);
	free(rules);
	evstore_close(es);
	return rc == 0 ? left : -1;
}
