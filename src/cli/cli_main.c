/* cli_main.c - asyncreq: the command line (ingest, follow, query, tasks,
 * indices, check, lookups). */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "common/config.h"
#include "common/log.h"

static void
usage(void)
{
	fprintf(stderr,
	    "usage: asyncreq [-c CONF] ingest [--format F] [--time-field F] "
	    "INDEX FILE...\n"
	    "       asyncreq [-c CONF] follow [--format F] [--once] INDEX "
	    "FILE...\n"
	    "       asyncreq [-c CONF] query [--from T] [--to T] [--user U] "
	    "\"SML\"\n"
	    "       asyncreq [-c CONF] tasks\n"
	    "       asyncreq [-c CONF] indices [PATTERN]\n"
	    "       asyncreq [-c CONF] indices delete NAME\n"
	    "       asyncreq [-c CONF] check\n"
	    "       asyncreq [-c CONF] lookups list|put NAME FILE|get NAME|"
	    "delete NAME [--user U] [--shared]\n"
	    "       asyncreq [-c CONF] alert check|fire|deliver|history ...\n");
}

int
main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(const struct config *, int, char **);
	} cmds[] = {
		{"ingest", cli_ingest}, {"follow", cli_follow},
		{"query", cli_query},
		{"tasks", cli_tasks}, {"check", cli_check},
		{"indices", cli_indices}, {"lookups", cli_lookups},
		{"alert", cli_alert},
	};
	struct config cfg;
	const char *conf = NULL;
	char err[1024];
	int i = 1, rc = 2;

	log_init("asyncreq", LOG_LVL_INFO);
	if (i + 1 < argc && strcmp(argv[i], "-c") == 0) {
		conf = argv[i + 1];
		i += 2;
	}
	if (i >= argc) {
		usage();
		return 2;
	}
	if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
		usage();
		return 0;
	}
	for (size_t k = 0; k < sizeof(cmds) / sizeof(cmds[0]); k++) {
		if (strcmp(argv[i], cmds[k].name) != 0)
			continue;
		config_defaults(&cfg);
		if (config_load(&cfg, conf ? conf : config_default_path(), err,
		    sizeof(err)) == -1) {
			fprintf(stderr, "asyncreq: %s\n", err);
			config_free(&cfg);
			return 1;
		}
		/* The storage directory may not exist yet on a first run. */
		(void)mkdir(cfg.storage_path, 0700);
		rc = cmds[k].fn(&cfg, argc - i, argv + i);
		config_free(&cfg);
		return rc;
	}
	fprintf(stderr, "asyncreq: unknown command '%s'\n", argv[i]);
	usage();
	return 2;
}
