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

static int
check_index(void *arg, const char *name, uint64_t count)
{
	(void)arg;
	printf("index %s: %llu events\n", name, (unsigned long long)count);
	return 0;
}

int
cli_check(const struct config *cfg, int argc, char **argv)
{
	struct store *st;
	struct evstore *ev;
	uint64_t used, map, queued, running;
	char err[512], path[4200];

	(void)argv;
	if (argc != 1) {
		fprintf(stderr, "usage: asyncreq check\n");
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
	if (evstore_open(&ev, path, cfg->storage_events_map_size, err,
	    sizeof(err)) == -1) {
		fprintf(stderr, "asyncreq: %s\n", err);
		return 1;
	}
	evstore_match(ev, "*", check_index, NULL);
	evstore_close(ev);
	return 0;
}
