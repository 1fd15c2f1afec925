/* alert.c - asyncreq alert: check a spec, fire it over a finished task,
 * run the delivery queue once, print the history (docs/alerts.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alert/alert.h"
#include "cli/cli.h"
#include "common/buf.h"
#include "common/config.h"
#include "common/timeutil.h"
#include "common/util.h"
#include "store/store.h"

static int
alert_usage(void)
{
	fprintf(stderr, "usage: asyncreq alert check SPEC\n"
	    "       asyncreq alert fire --name NAME --task ID --spec SPEC "
	    "[--now MS]\n"
	    "       asyncreq alert deliver [--now MS]\n"
	    "       asyncreq alert history [--name NAME] [--owner USER] "
	    "[--max N]\n");
	return 2;
}

/*
 * Reads and parses the spec file path into *spec. Returns 0, or -1 after
 * printing the reason.
 */
static int
alert_load(const char *path, struct alert_spec *spec)
{
	struct buf b = BUF_INIT;
	char chunk[8192], err[512];
	size_t n;
	FILE *f;
	int rc;

	if ((f = fopen(path, "r")) == NULL) {
		perror(path);
		return -1;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0 &&
	    b.b_len <= ALERT_SPEC_MAX)
		if (buf_append(&b, chunk, n) == -1)
			break;
	fclose(f);
	rc = alert_spec_parse(b.b_data ? b.b_data : "", b.b_len, spec, err,
	    sizeof(err));
	buf_free(&b);
	if (rc == -1)
		fprintf(stderr, "asyncreq: %s: %s\n", path, err);
	return rc;
}

/* Reads option --now (ms) or the clock. Returns 0 or -1. */
static int
alert_now(const char *s, int64_t *now)
{
	if (s == NULL) {
		*now = time_now_ms();
		return 0;
	}
	return util_parse_i64(s, 0, INT64_MAX / 2, now);
}

int
cli_alert(const struct config *cfg, int argc, char **argv)
{
	const char *name = NULL, *task = NULL, *file = NULL, *nows = NULL;
	const char *maxs = NULL, *owner = NULL, *sub;
	struct alert_spec spec;
	struct alert_fired af;
	struct alert_delivered ad;
	struct store *st = NULL;
	char err[512], *text;
	int64_t now, max = 100;
	int i, rc = 1;

	if (argc < 2)
		return alert_usage();
	sub = argv[1];
	if (strcmp(sub, "check") == 0) {
		if (argc != 3)
			return alert_usage();
		if (alert_load(argv[2], &spec) == -1)
			return 1;
		alert_spec_free(&spec);
		printf("%s: ok\n", argv[2]);
		return 0;
	}
	for (i = 2; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--name") == 0)
			name = argv[i + 1];
		else if (strcmp(argv[i], "--task") == 0)
			task = argv[i + 1];
		else if (strcmp(argv[i], "--spec") == 0)
			file = argv[i + 1];
		else if (strcmp(argv[i], "--now") == 0)
			nows = argv[i + 1];
		else if (strcmp(argv[i], "--max") == 0)
			maxs = argv[i + 1];
		else if (strcmp(argv[i], "--owner") == 0)
			owner = argv[i + 1];
		else
			return alert_usage();
	}
	if (i != argc || alert_now(nows, &now) == -1 ||
	    (maxs && util_parse_i64(maxs, 1, 100000, &max) == -1))
		return alert_usage();
	if (strcmp(sub, "history") == 0) {
		if (task || file || nows)
			return alert_usage();
		if ((text = alert_history(cfg, name, owner, (size_t)max, err,
		    sizeof(err))) == NULL) {
			fprintf(stderr, "asyncreq: %s\n", err);
			return 1;
		}
		printf("%s\n", text);
		free(text);
		return 0;
	}
	if (strcmp(sub, "fire") != 0 && strcmp(sub, "deliver") != 0)
		return alert_usage();
	if (owner != NULL)
		return alert_usage();
	if (strcmp(sub, "fire") == 0 && (!name || !task || !file || maxs))
		return alert_usage();
	if (strcmp(sub, "deliver") == 0 && (name || task || file || maxs))
		return alert_usage();
	if (store_open(&st, cfg, err, sizeof(err)) != AR_OK) {
		fprintf(stderr, "asyncreq: %s\n", err);
		return 1;
	}
	if (strcmp(sub, "deliver") == 0) {
		if (alert_deliver(cfg, st, now, &ad, err, sizeof(err)) == -1)
			fprintf(stderr, "asyncreq: %s\n", err);
		else {
			printf("attempted %u, delivered %u, to retry %u, "
			    "failed %u\n", ad.ad_attempted, ad.ad_delivered,
			    ad.ad_retry, ad.ad_failed);
			rc = 0;
		}
		store_close(st);
		return rc;
	}
	if (alert_load(file, &spec) == -1) {
		store_close(st);
		return 1;
	}
	if (alert_fire(cfg, st, name, &spec, task, now, &af, err,
	    sizeof(err)) == -1)
		fprintf(stderr, "asyncreq: %s\n", err);
	else {
		if (af.af_outcome == ALERT_FIRED)
			printf("fired %s: %llu rows, %zu deliveries queued\n",
			    af.af_id, (unsigned long long)af.af_rows,
			    af.af_deliveries);
		else if (af.af_outcome == ALERT_THROTTLED)
			printf("throttled %s\n", af.af_id);
		else
			printf("condition not met\n");
		rc = 0;
	}
	alert_spec_free(&spec);
	store_close(st);
	return rc;
}
