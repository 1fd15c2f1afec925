/* test_saved.c - saved searches: definitions, the store on a real LMDB
 * in a temporary directory, runs and their limit. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/config.h"
#include "common/error.h"
#include "saved/savedsearch.h"
#include "store/saved.h"
#include "store/store.h"
#include "tap.h"

static struct config cfg;

/* Parses text as a definition of owner (name from the body when NULL).
 * Returns saved_def_parse's code; the message is in err. */
static int
def(const char *text, const char *name, struct saved *sv, char *err,
    size_t errlen)
{
	struct saved_qerr qe;
	json_t *body = json_loads(text, 0, NULL);
	int rc;

	if (body == NULL) {
		snprintf(err, errlen, "bad test JSON");
		return -1;
	}
	rc = saved_def_parse(&cfg, body, name, "alice", 1893456000000LL, sv,
	    &qe, err, errlen);
	json_decref(body);
	return rc;
}

/* saved_list's callback: appends "owner/name " to the buffer arg. */
static int
names(void *arg, const struct saved *sv)
{
	char *out = arg;

	snprintf(out + strlen(out), 512 - strlen(out), "%s/%s ",
	    sv->sv_owner, sv->sv_name);
	return 0;
}

/* saved_update's callback: records a run "id-N" of the counter arg. */
static int
add_run(void *arg, struct saved *sv)
{
	int *n = arg;
	char id[TASK_ID_LEN + 1], dropped[TASK_ID_LEN + 1];

	snprintf(id, sizeof(id), "run-%d", ++*n);
	return saved_record_run(&cfg, sv, id, *n * 1000LL, dropped) == 0 ?
	    AR_OK : AR_ENOMEM;
}

/* saved_update's callback that changes nothing. */
static int
no_change(void *arg, struct saved *sv)
{
	(void)arg;
	sv->sv_skipped = 99;
	return -1;
}

int
main(void)
{
	char dir[] = "/tmp/asyncreq-test-XXXXXX", err[600], list[512];
	struct savedstore *ss;
	struct saved sv, got;
	int n = 0;

	if (mkdtemp(dir) == NULL)
		return 1;
	config_defaults(&cfg);
	cfg.storage_path = strdup(dir);
	cfg.schedule_max_saved_per_user = 2;
	cfg.schedule_runs_kept = 3;
	cfg.schedule_min_interval_seconds = 300;

	ok(saved_name_ok("errors-5m.v2_x") && !saved_name_ok("") &&
	    !saved_name_ok(".x") && !saved_name_ok("-x") &&
	    !saved_name_ok("a/b") && !saved_name_ok("a b") &&
	    saved_name_ok("x123456789012345678901234567890123456789012345678"
	    "9012345678901") && !saved_name_ok("x1234567890123456789012345"
	    "67890123456789012345678901234567890123456"), "saved_name_ok");

	/* Definitions. */
	is_int(def("{\"name\":\"a\",\"query\":\"| makeresults\","
	    "\"schedule\":\"*/5 * * * *\",\"calculateStats\":true}", NULL, &sv,
	    err, sizeof(err)), AR_OK, "a definition with a schedule");
	ok(strcmp(sv.sv_name, "a") == 0 && strcmp(sv.sv_owner, "alice") == 0 &&
	    strcmp(sv.sv_dt_start, "now-15m") == 0 &&
	    strcmp(sv.sv_dt_end, "now") == 0 && sv.sv_calc_stats &&
	    strcmp(sv.sv_schedule, "*/5 * * * *") == 0 && sv.sv_next_run == 0,
	    "its members, the dates' defaults, no next run yet");
	saved_clear(&sv);
	is_int(def("{\"name\":\"a\",\"query\":\"| makeresults\","
	    "\"alert\":{}}", NULL, &sv, err, sizeof(err)), AR_EINVAL,
	    "alert is not a member yet");
	is_str(err, "unknown field 'alert' in request body", "... named");
	saved_clear(&sv);
	is_int(def("{\"query\":\"| makeresults |\"}", "a", &sv, err,
	    sizeof(err)), AR_EQUERY, "a broken query");
	saved_clear(&sv);
	is_int(def("{\"name\":\"b\",\"query\":\"| makeresults\"}", "a", &sv,
	    err, sizeof(err)), AR_EINVAL, "a name other than the path's");
	saved_clear(&sv);
	is_int(def("{\"query\":\"| makeresults\",\"schedule\":\"*/4 * * * *\"}",
	    "a", &sv, err, sizeof(err)), AR_EINVAL, "*/4 under 300 s");
	is_str(err, "schedule '*/4 * * * *' runs 240 s apart; "
	    "schedule.min_interval_seconds is 300 s", "... says so");
	saved_clear(&sv);
	is_int(def("{\"query\":\"| makeresults\",\"dtStart\":\"now\","
	    "\"dtEnd\":\"now-1h\"}", "a", &sv, err, sizeof(err)), AR_EINVAL,
	    "dtStart after dtEnd");
	saved_clear(&sv);

	/* The store. */
	ok(saved_open(&ss, &cfg, err, sizeof(err)) == AR_OK, "open the store");
	def("{\"name\":\"a\",\"query\":\"| makeresults\",\"schedule\":"
	    "\"@hourly\"}", NULL, &sv, err, sizeof(err));
	is_int(saved_put(ss, &sv, 1, 2, err, sizeof(err)), AR_OK, "create a");
	is_int(saved_put(ss, &sv, 1, 2, err, sizeof(err)), AR_ESTATE,
	    "create a again");
	is_str(err, "a saved search named 'a' already exists; PUT "
	    "_sme/saved_searches/a changes it", "... says so");
	saved_clear(&sv);
	def("{\"name\":\"b\",\"query\":\"| makeresults\"}", NULL, &sv, err,
	    sizeof(err));
	is_int(saved_put(ss, &sv, 1, 2, err, sizeof(err)), AR_OK, "create b");
	saved_clear(&sv);
	def("{\"name\":\"c\",\"query\":\"| makeresults\"}", NULL, &sv, err,
	    sizeof(err));
	is_int(saved_put(ss, &sv, 1, 2, err, sizeof(err)), AR_EBUSY,
	    "a third is over the limit");
	free(sv.sv_owner);
	sv.sv_owner = strdup("bob");
	is_int(saved_put(ss, &sv, 1, 2, err, sizeof(err)), AR_OK,
	    "bob's first");
	saved_clear(&sv);
	list[0] = '\0';
	saved_list(ss, "alice", names, list);
	is_str(list, "alice/a alice/b ", "alice's list");
	list[0] = '\0';
	saved_list(ss, NULL, names, list);
	is_str(list, "alice/a alice/b bob/c ", "everyone's, by owner");
	is_int(saved_get(ss, "bob", "a", &got), AR_ENOTFOUND,
	    "bob has no a");

	/* Runs: the last three are kept. */
	for (int i = 0; i < 5; i++)
		saved_update(ss, "alice", "a", add_run, &n);
	ok(saved_get(ss, "alice", "a", &got) == AR_OK && got.sv_nruns == 3 &&
	    strcmp(got.sv_runs[0], "run-3") == 0 &&
	    strcmp(got.sv_runs[2], "run-5") == 0 &&
	    strcmp(got.sv_running, "run-5") == 0 && got.sv_last_run == 5000,
	    "five runs: the last three kept, the last one running");
	saved_clear(&got);
	is_int(saved_update(ss, "alice", "a", no_change, NULL), AR_OK,
	    "an update that changes nothing");
	ok(saved_get(ss, "alice", "a", &got) == AR_OK && got.sv_skipped == 0,
	    "... is not stored");
	/* The scheduler's next run, then a replacement. */
	saved_clear(&got);

	def("{\"query\":\"| makeresults count=2\",\"schedule\":\"@hourly\"}",
	    "a", &sv, err, sizeof(err));
	is_int(saved_put(ss, &sv, 0, 2, err, sizeof(err)), AR_OK, "replace a");
	ok(saved_get(ss, "alice", "a", &got) == AR_OK &&
	    strcmp(got.sv_query, "| makeresults count=2") == 0 &&
	    got.sv_nruns == 3 && strcmp(got.sv_running, "run-5") == 0,
	    "the new query; the runs stay");
	saved_clear(&got);
	saved_clear(&sv);
	def("{\"query\":\"| makeresults\"}", "nosuch", &sv, err, sizeof(err));
	is_int(saved_put(ss, &sv, 0, 2, err, sizeof(err)), AR_ENOTFOUND,
	    "replace one that does not exist");
	saved_clear(&sv);
	is_int(saved_delete(ss, "alice", "a"), AR_OK, "delete a");
	is_int(saved_delete(ss, "alice", "a"), AR_ENOTFOUND, "twice");
	is_int(saved_update(ss, "alice", "a", add_run, &n), AR_ENOTFOUND,
	    "update a deleted one");
	saved_close(ss);

	snprintf(err, sizeof(err), "rm -rf %s", dir);
	if (system(err) != 0)
		printf("# cannot remove %s\n", dir);
	config_free(&cfg);
	return done_testing();
}
