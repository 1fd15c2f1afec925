/* tasks.c - asyncreq tasks and check: look at a storage directory. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "common/config.h"
#include "common/timeutil.h"
#include "store/events.h"
#include "store/store.h"

static int
tasks_print(void *arg, const struct task *t)
{
	char when[32];

	(void)arg;
	printf("%s  %-9s  %-12s  %s  %8llu  %s\n", t->t_id,
	    task_state_name(t->t_state), t->t_owner,
	    time_format_iso(t->t_created, when),
	    (unsigned long long)t->t_results, t->t_query);
	return 0;
}

int
cli_tasks(const struct config *cfg, int argc, char **argv)
{
	struct store *st;
	char err[512];

	(void)argv;
	if (argc != 1) {
		fprintf(stderr, "usage: asyncreq tasks\n");
		return 2;
	}
	if (store_open(&st, cfg, err, sizeof(err)) != AR_OK) {
		fprintf(stderr, "asyncreq: %s\n", err);
		return 1;
	}
	printf("%-22s  %-9s  %-12s  %-24s  %8s  %s\n", "ID", "STATUS", "OWNER",
	    "CREATED", "RESULTS", "QUERY");
	store_task_list(st, NULL, -1, tasks_print, NULL);
	store_close(st);
	return 0;
}

/* What check_index needs: the store and whether to seal tails first. */
struct check {
	struct evstore	*ck_es;
	int		 ck_upgrade;
	int		 ck_bad;
};

/*
 * Prints one index: its events, and (verified) how many sit in sealed
 * blocks and in the tail, and the blocks' bytes; with --upgrade, seals its
 * tail into blocks first. A damaged index is printed with the reason and
 * counted in ck_bad. Returns 0 (go on).
 */
static int
check_index(void *arg, const char *name, uint64_t count)
{
	struct check *ck = arg;
	struct evstore_verify v;
	char err[512];
	int64_t made;
	int rc;

	if (ck->ck_upgrade) {
		if ((made = evstore_seal_index(ck->ck_es, name, err,
		    sizeof(err))) < 0) {
			printf("index %s: sealing failed: %s\n", name, err);
			ck->ck_bad++;
			return 0;
		}
		if (made > 0)
			printf("index %s: sealed %lld blocks\n", name,
			    (long long)made);
	}
	rc = evstore_verify(ck->ck_es, name, &v, err, sizeof(err));
	if (rc != 0) {
		printf("index %s: %llu events: DAMAGED: %s\n", name,
		    (unsigned long long)count, err);
		ck->ck_bad++;
		return 0;
	}
	printf("index %s: %llu events (%llu in %llu blocks of %llu bytes, "
	    "%.3f of their %llu raw bytes; %llu in the tail), verified\n",
	    name, (unsigned long long)v.ev_count,
	    (unsigned long long)v.ev_block_events,
	    (unsigned long long)v.ev_blocks,
	    (unsigned long long)v.ev_block_bytes,
	    v.ev_raw_bytes ? (double)v.ev_block_bytes / (double)v.ev_raw_bytes :
	    0.0, (unsigned long long)v.ev_raw_bytes,
	    (unsigned long long)v.ev_tail);
	return 0;
}

/*
 * asyncreq check [--upgrade]: the task store's space and queue, then each
 * index verified (docs/operations.md). --upgrade first seals the events a
 * store made before blocks holds one by one. Returns 0, or 1 when a store
 * cannot be opened or an index is damaged.
 */
int
cli_check(const struct config *cfg, int argc, char **argv)
{
	struct store *st;
	struct check ck = {NULL, 0, 0};
	uint64_t used, map, queued, running;
	char err[512], path[4200];

	if (argc == 2 && strcmp(argv[1], "--upgrade") == 0)
		ck.ck_upgrade = 1;
	else if (argc != 1) {
		fprintf(stderr, "usage: asyncreq check [--upgrade]\n");
		return 2;
	}
	if (store_open(&st, cfg, err, sizeof(err)) != AR_OK) {
		fprintf(stderr, "asyncreq: %s\n", err);
		return 1;
	}
	store_space(st, &used, &map);
	store_queue_counts(st, &queued, &running);
	printf("task store: %llu of %llu bytes used (%.1f%%), %llu queued, "
	    "%llu running\n", (unsigned long long)used,
	    (unsigned long long)map, map ? 100.0 * (double)used / (double)map :
	    0.0, (unsigned long long)queued, (unsigned long long)running);
	store_close(st);
	snprintf(path, sizeof(path), "%s/events", cfg->storage_path);
	if (evstore_open(&ck.ck_es, path, cfg->storage_events_map_size, err,
	    sizeof(err)) == -1) {
		fprintf(stderr, "asyncreq: %s\n", err);
		return 1;
	}
	evstore_set_block_bytes(ck.ck_es, (size_t)cfg->storage_block_bytes);
	evstore_match(ck.ck_es, "*", check_index, &ck);
	evstore_close(ck.ck_es);
	if (ck.ck_bad > 0) {
		fprintf(stderr, "asyncreq: check: %d damaged "
		    "ind%s\n", ck.ck_bad, ck.ck_bad == 1 ? "ex" : "ices");
		return 1;
	}
	return 0;
}
