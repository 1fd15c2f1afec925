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
	struct evstore_index_info *ii = NULL;
	struct evstore *es = NULL;
	const struct retention_rule *r;
	int64_t deadline = time_mono_ms() + budget_ms, now = time_now_ms();
	int64_t n, total;
	size_t nrules = 0, nidx = 0;
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
	if (evstore_indices(es, "*", &ii, &nidx, err, sizeof(err)) == -1) {
		log_error("index retention: %s", err);
		goto out;
	}
	for (size_t i = 0; i < nidx && !left; i++) {
		int64_t before;

		if ((r = retention_find(rules, nrules, ii[i].ii_name)) == NULL)
			continue;
		before = r->rr_max_age_ms > 0 ? now - r->rr_max_age_ms :
		    INT64_MIN;
		total = 0;
		do {
			n = evstore_trim(es, ii[i].ii_name, before,
			    r->rr_max_bytes, IRET_BATCH, &more, err,
			    sizeof(err));
			if (n < 0) {
				log_error("index retention of %s: %s",
				    ii[i].ii_name, err);
				goto out;
			}
			total += n;
		} while (more && time_mono_ms() < deadline);
		if (total > 0)
			log_info("retention: removed %lld event(s) of %s (rule "
			    "%s)", (long long)total, ii[i].ii_name,
			    r->rr_pattern);
		if (more)
			left = 1;
	}
	rc = 0;
out:
	free(ii);
	free(rules);
	evstore_close(es);
	return rc == 0 ? left : -1;
}
