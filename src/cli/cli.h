/* cli.h - subcommands of the asyncreq command line program. */
#ifndef AR_CLI_H
#define AR_CLI_H

struct config;

/*
 * Each subcommand gets the loaded configuration and its own arguments
 * (argv[0] is the subcommand name). Returns the process exit status:
 * 0 success, 1 runtime failure (or, for ingest, some lines rejected),
 * 2 usage error.
 */
int cli_ingest(const struct config *, int argc, char **argv);
int cli_follow(const struct config *, int argc, char **argv);
int cli_query(const struct config *, int argc, char **argv);
int cli_tasks(const struct config *, int argc, char **argv);
int cli_indices(const struct config *, int argc, char **argv);
int cli_check(const struct config *, int argc, char **argv);
int cli_lookups(const struct config *, int argc, char **argv);
int cli_alert(const struct config *, int argc, char **argv);

#endif
