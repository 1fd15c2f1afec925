/* query.c - asyncreq query: run SML in the terminal, print NDJSON. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "common/config.h"
#include "common/datemath.h"
#include "common/timeutil.h"
#include "sml/sml.h"
#include "store/events.h"
#include "store/lookups.h"

static int
query_emit(void *arg, const char *json, size_t len)
{
	(void)arg;
	if (fwrite(json, 1, len, stdout) != len || putchar('\n') == EOF)
		return -1;
	return 0;
}

static void
query_log(void *arg, enum sml_log_level lvl, const char *msg)
{
	static const char *const names[] = {"DEBUG", "INFO", "WARN", "ERROR"};

	(void)arg;
	if (lvl >= SML_LOG_WARN)
		fprintf(stderr, "asyncreq: %s: %s\n", names[lvl], msg);
}

int
cli_query(const struct config *cfg, int argc, char **argv)
{
	const char *from = cfg->dt_start, *to = cfg->dt_end, *text = NULL;
	const char *user = "anonymous";
	struct lookup_user lu;
	struct sml_query *q = NULL;
	struct sml_error perr;
	struct sml_limits lim;
	struct sml_run_limits rlim;
	struct sml_ctx ctx;
	struct evstore *ev = NULL;
	char err[512], path[4200];
	uint64_t scanned;
	int64_t now = time_now_ms(), start, end;
	enum sml_run_result res;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--from") == 0 && i + 1 < argc)
			from = argv[++i];
		else if (strcmp(argv[i], "--to") == 0 && i + 1 < argc)
			to = argv[++i];
		else if (strcmp(argv[i], "--user") == 0 && i + 1 < argc)
			user = argv[++i];
		else if (text == NULL && argv[i][0] != '-')
			text = argv[i];
		else {
			fprintf(stderr, "usage: asyncreq query [--from T] "
			    "[--to T] [--user U] \"SML\"\n");
			return 2;
		}
	}
	if (text == NULL) {
		fprintf(stderr, "usage: asyncreq query [--from T] [--to T] "
		    "[--user U] \"SML\"\n");
		return 2;
	}
	if (datemath_parse(from, now, &start, err, sizeof(err)) == -1) {
		fprintf(stderr, "asyncreq: --from '%s' is not a valid date: "
		    "%s\n", from, err);
		return 2;
	}
	if (datemath_parse(to, now, &end, err, sizeof(err)) == -1) {
		fprintf(stderr, "asyncreq: --to '%s' is not a valid date: %s\n",
		    to, err);
		return 2;
	}
	sml_limits_from_config(cfg, &lim, &rlim);
	if (sml_parse(text, strlen(text), &lim, &q, &perr) == -1) {
		fprintf(stderr, "asyncreq: %s (position %zu)\n", perr.se_msg,
		    perr.se_position);
		return 1;
	}
	snprintf(path, sizeof(path), "%s/events", cfg->storage_path);
	if (evstore_open(&ev, path, cfg->storage_events_map_size, err,
	    sizeof(err)) == -1) {
		fprintf(stderr, "asyncreq: %s\n", err);
		sml_query_free(q);
		return 1;
	}
	memset(&ctx, 0, sizeof(ctx));
	ctx.sx_events = ev;
	ctx.sx_now = now;
	ctx.sx_range_start = start;
	ctx.sx_range_end = end;
	ctx.sx_dt_field = cfg->dt_field_name;
	ctx.sx_limits = &rlim;
	ctx.sx_emit = query_emit;
	ctx.sx_log = query_log;
	/* Lookup tables as the user's task would see them. */
	lookup_user_init(&lu, cfg, user);
	ctx.sx_lookup_get = lookup_sml_get;
	ctx.sx_lookup_put = lookup_sml_put;
	ctx.sx_lookup_arg = &lu;
	res = sml_run(q, &ctx, &scanned, err, sizeof(err));
	evstore_close(ev);
	sml_query_free(q);
	if (fflush(stdout) == EOF)
		return 1;
	if (res == SML_RUN_ERROR) {
		fprintf(stderr, "asyncreq: %s\n", err);
		return 1;
	}
	return 0;
}
