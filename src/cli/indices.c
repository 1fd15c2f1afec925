/* indices.c - asyncreq indices: list the indices of the event store, delete one. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "common/config.h"
#include "common/timeutil.h"
#include "store/events.h"

/* Formats ms as ISO-8601 UTC into out (32 bytes), "-" when unknown. */
static const char *
indices_time(int64_t ms, char out[32])
{
	if (ms == INT64_MIN)
		return strcpy(out, "-");
	return time_format_iso(ms, out);
}

/*
 * Prints one line per index matching pattern: name, events, bytes, oldest
 * and newest event time. Returns the exit status.
 */
static int
indices_list(struct evstore *es, const char *pattern)
{
	struct evstore_index_info *ii;
	char err[512], t1[32], t2[32];
	size_t n;

	if (evstore_indices(es, pattern, &ii, &n, err, sizeof(err)) == -1) {
		fprintf(stderr, "asyncreq: %s\n", err);
		return 1;
	}
	printf("%-24s %12s %14s %-24s %s\n", "index", "events", "bytes",
	    "oldest", "newest");
	for (size_t i = 0; i < n; i++)
		printf("%-24s %12llu %14llu %-24s %s\n", ii[i].ii_name,
		    (unsigned long long)ii[i].ii_events,
		    (unsigned long long)ii[i].ii_bytes,
		    indices_time(ii[i].ii_oldest, t1),
		    indices_time(ii[i].ii_newest, t2));
	free(ii);
	return 0;
}

/*
 * asyncreq indices [PATTERN] | asyncreq indices delete NAME.
 * Returns 0, 1 on failure (no such index included), 2 on a usage error.
 */
int
cli_indices(const struct config *cfg, int argc, char **argv)
{
	struct evstore *es;
	char err[512], path[4200];
	int rc;

	if (argc > 3 || (argc >= 2 && strcmp(argv[1], "delete") == 0 &&
	    argc != 3) || (argc == 3 && strcmp(argv[1], "delete") != 0)) {
		fprintf(stderr, "usage: asyncreq indices [PATTERN]\n"
		    "       asyncreq indices delete NAME\n");
		return 2;
	}
	snprintf(path, sizeof(path), "%s/events", cfg->storage_path);
	if (evstore_open(&es, path, cfg->storage_events_map_size, err,
	    sizeof(err)) == -1) {
		fprintf(stderr, "asyncreq: %s\n", err);
		return 1;
	}
	if (argc == 3) {
		rc = evstore_delete_index(es, argv[2], err, sizeof(err));
		if (rc == 0)
			printf("deleted index %s\n", argv[2]);
		else
			fprintf(stderr, "asyncreq: %s\n", err);
		rc = rc == 0 ? 0 : 1;
	} else
		rc = indices_list(es, argc == 2 ? argv[1] : "*");
	evstore_close(es);
	return rc;
}
