/* saved.c - asyncreq saved: list, show, put, delete and run saved
 * searches (docs/saved-searches.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli/cli.h"
#include "common/config.h"
#include "common/error.h"
#include "common/timeutil.h"
#include "saved/savedsearch.h"
#include "store/saved.h"
#include "store/store.h"

#define SAVED_USAGE \
	"usage: asyncreq saved list [--user U]\n" \
	"       asyncreq saved show NAME [--user U]\n" \
	"       asyncreq saved put NAME FILE|- [--user U]\n" \
	"       asyncreq saved delete NAME [--user U]\n" \
	"       asyncreq saved run NAME [--user U]\n"

/* Returns ms as ISO text in out (32 bytes), or "-" for 0. */
static const char *
saved_when(int64_t ms, char *out)
{
	if (ms == 0)
		return strcpy(out, "-");
	return time_format_iso(ms, out);
}

/* saved_list's callback: one line per search. */
static int
saved_print(void *arg, const struct saved *sv)
{
	char a[32], b[32];

	(void)arg;
	printf("%-32s %-16s %-20s %-24s %s\n", sv->sv_name, sv->sv_owner,
	    sv->sv_schedule ? sv->sv_schedule : "-",
	    saved_when(sv->sv_schedule ? sv->sv_next_run : 0, a),
	    saved_when(sv->sv_last_run, b));
	return 0;
}

/* Prints every member of sv, one "key: value" a line. */
static void
saved_show(const struct saved *sv)
{
	char w[32];

	printf("name: %s\nowner: %s\nquery: %s\ndtStart: %s\ndtEnd: %s\n"
	    "calculateStats: %s\nschedule: %s\n", sv->sv_name, sv->sv_owner,
	    sv->sv_query, sv->sv_dt_start, sv->sv_dt_end,
	    sv->sv_calc_stats ? "true" : "false",
	    sv->sv_schedule ? sv->sv_schedule : "-");
	printf("createdAt: %s\n", saved_when(sv->sv_created, w));
	printf("updatedAt: %s\n", saved_when(sv->sv_updated, w));
	printf("lastRunAt: %s\n", saved_when(sv->sv_last_run, w));
	printf("nextRunAt: %s\n", saved_when(sv->sv_schedule ?
	    sv->sv_next_run : 0, w));
	printf("skippedRuns: %llu\nruns:", (unsigned long long)sv->sv_skipped);
	for (size_t i = sv->sv_nruns; i-- > 0; )
		printf(" %s", sv->sv_runs[i]);
	printf("\n");
}

/*
 * asyncreq saved put NAME FILE: the JSON definition in FILE ("-": standard
 * input) stored as NAME of user, created or replaced. Returns 0 or 1.
 */
static int
saved_cli_put(const struct config *cfg, struct savedstore *ss,
    const char *user, const char *name, const char *file)
{
	struct saved_qerr qe;
	struct saved sv, old;
	json_error_t jerr;
	json_t *body;
	char err[600];
	int rc, create;

	body = strcmp(file, "-") == 0 ? json_loadf(stdin,
	    JSON_REJECT_DUPLICATES, &jerr) : json_load_file(file,
	    JSON_REJECT_DUPLICATES, &jerr);
	if (body == NULL || !json_is_object(body)) {
		fprintf(stderr, "asyncreq: %s: %s\n", file, body ?
		    "not a JSON object" : jerr.text);
		json_decref(body);
		return 1;
	}
	rc = saved_def_parse(cfg, body, name, user, saved_clock_ms(), &sv, &qe,
	    err, sizeof(err));
	json_decref(body);
	if (rc != AR_OK) {
		if (rc == AR_EQUERY)
			fprintf(stderr, "asyncreq: %s: the query does not "
			    "parse: %s (line %d, column %d)\n", file, err,
			    qe.sq_line, qe.sq_column);
		else
			fprintf(stderr, "asyncreq: %s: %s\n", file, err);
		saved_clear(&sv);
		return 1;
	}
	create = saved_get(ss, user, name, &old) == AR_ENOTFOUND;
	saved_clear(&old);
	rc = saved_put(ss, &sv, create, cfg->schedule_max_saved_per_user, err,
	    sizeof(err));
	saved_clear(&sv);
	if (rc != AR_OK) {
		fprintf(stderr, "asyncreq: %s\n", *err ? err :
		    "cannot write the saved searches");
		return 1;
	}
	printf("%s saved search %s\n", create ? "created" : "replaced", name);
	return 0;
}

/*
 * asyncreq saved ...: the saved searches of a user (--user, default
 * "anonymous", the API's user without REMOTE_USER). Returns 0, 1 on
 * failure, 2 on a usage error.
 */
int
cli_saved(const struct config *cfg, int argc, char **argv)
{
	const char *user = "anonymous", *args[3];
	struct savedstore *ss = NULL;
	struct store *st = NULL;
	struct saved sv;
	char err[512], id[TASK_ID_LEN + 1];
	size_t nargs = 0;
	int rc = 1;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--user") == 0 && i + 1 < argc)
			user = argv[++i];
		else if (argv[i][0] != '-' || strcmp(argv[i], "-") == 0) {
			if (nargs == 3)
				goto usage;
			args[nargs++] = argv[i];
		} else
			goto usage;
	}
	if (nargs == 0 || !((nargs == 1 && strcmp(args[0], "list") == 0) ||
	    (nargs == 2 && (strcmp(args[0], "show") == 0 ||
	    strcmp(args[0], "delete") == 0 || strcmp(args[0], "run") == 0)) ||
	    (nargs == 3 && strcmp(args[0], "put") == 0)))
		goto usage;
	if (nargs >= 2 && !saved_name_ok(args[1])) {
		fprintf(stderr, "asyncreq: saved search name '%s' must be 1 to "
		    "%d letters, digits, '_', '-' or '.', not starting with "
		    "'.' or '-'\n", args[1], SAVED_NAME_MAX);
		return 1;
	}
	if (saved_open(&ss, cfg, err, sizeof(err)) != AR_OK ||
	    store_open(&st, cfg, err, sizeof(err)) != AR_OK) {
		fprintf(stderr, "asyncreq: %s\n", err);
		goto out;
	}
	if (strcmp(args[0], "list") == 0) {
		printf("%-32s %-16s %-20s %-24s %s\n", "name", "owner",
		    "schedule", "next run", "last run");
		rc = saved_list(ss, user, saved_print, NULL) != AR_OK;
	} else if (strcmp(args[0], "show") == 0) {
		if (saved_get(ss, user, args[1], &sv) != AR_OK) {
			fprintf(stderr, "asyncreq: saved search '%s' not "
			    "found\n", args[1]);
			goto out;
		}
		saved_show(&sv);
		saved_clear(&sv);
		rc = 0;
	} else if (strcmp(args[0], "put") == 0)
		rc = saved_cli_put(cfg, ss, user, args[1], args[2]);
	else if (strcmp(args[0], "delete") == 0) {
		if (saved_delete(ss, user, args[1]) != AR_OK) {
			fprintf(stderr, "asyncreq: saved search '%s' not "
			    "found\n", args[1]);
			goto out;
		}
		printf("deleted saved search %s\n", args[1]);
		rc = 0;
	} else {
		if (saved_run_now(ss, st, cfg, user, args[1], saved_clock_ms(),
		    id, err, sizeof(err)) != AR_OK) {
			fprintf(stderr, "asyncreq: %s\n", err);
			goto out;
		}
		/* The runner claims it at its next poll. */
		printf("%s\n", id);
		rc = 0;
	}
	if (fflush(stdout) == EOF)
		rc = 1;
out:
	store_close(st);
	saved_close(ss);
	return rc;
usage:
	fprintf(stderr, SAVED_USAGE);
	return 2;
}
