/* config.h - the configuration file asyncreq.conf, read by every program. */
#ifndef AR_CONFIG_H
#define AR_CONFIG_H

#include <stddef.h>
#include <stdint.h>

/*
 * Every setting, with its key in asyncreq.conf in the comment. Defaults are
 * set by config_defaults(); docs/configuration and conf/asyncreq.conf list
 * them all. Strings are owned by the struct and freed by config_free().
 */
struct config {
	char *storage_path;		/* storage.path (required) */
	uint64_t storage_map_size;	/* storage.map_size, bytes: task store */
	uint64_t storage_events_map_size; /* storage.events_map_size, bytes */
	uint64_t storage_block_bytes;	/* storage.block_bytes: events sealed
					 * into a block of about this size;
					 * 0 never */
	uint64_t storage_min_free_disk;	/* storage.min_free_disk, bytes */

	char *dt_field_name;	/* sme.core.global_dt_params.dt_field_name */
	char *dt_start;		/* sme.core.global_dt_params.dt_start */
	char *dt_end;		/* sme.core.global_dt_params.dt_end */
	int64_t sort_limit;	/* sme.core.sort_limit */
	int64_t list_limit;	/* sme.core.list_limit */

	char *http_listen;		/* http.listen: "" = inherited fd */
	int64_t http_workers;		/* http.workers */
	int64_t http_max_requests_per_worker; /* http.max_requests_per_worker */
	uint64_t http_max_body_bytes;	/* http.max_body_bytes */
	char *http_access_log;		/* http.access_log: off|stderr|syslog */

	int auth_require_user;		/* auth.require_user */
	char *auth_admin_users;		/* auth.admin_users: comma list */
	char *auth_ingest_users;	/* auth.ingest_users: comma list; "" =
					 * ingest off */
	char *auth_index_access;	/* auth.index_access: "USER=PATTERN,...;
					 * ..."; "" = everyone reads all */
	char *auth_index_access_file;	/* auth.index_access_file: absolute
					 * path, "" = none */

	uint64_t ingest_max_body_bytes;	/* ingest.max_body_bytes (after gzip) */
	char *ingest_time_field;	/* ingest.time_field */
	char *ingest_hec_tokens;	/* ingest.hec_tokens: "TOKEN=INDEX, ..." */

	int64_t limits_max_active_tasks_per_user; /* limits.max_active_tasks_per_user */
	int64_t limits_max_queued_tasks;	/* limits.max_queued_tasks */
	int64_t limits_max_runtime_seconds;	/* limits.max_runtime_seconds */
	uint64_t limits_max_memory_bytes;	/* limits.max_memory_bytes */
	int64_t limits_max_log_lines;		/* limits.max_log_lines */
	int64_t limits_max_qsize;		/* limits.max_qsize */
	int64_t limits_max_groups;		/* limits.max_groups */
	int64_t limits_max_subsearch_results;	/* limits.max_subsearch_results */
	int64_t limits_max_query_bytes;		/* limits.max_query_bytes */
	int64_t limits_regex_match_limit;	/* limits.regex_match_limit */
	int64_t limits_regex_depth_limit;	/* limits.regex_depth_limit */
	uint64_t limits_max_lookup_bytes;	/* limits.max_lookup_bytes */
	int64_t limits_max_lookup_rows;		/* limits.max_lookup_rows */
	char *geoip_database;			/* geoip.database */
	char *geoip_database_v6;		/* geoip.database_v6 */

	int64_t runner_max_concurrent;	/* runner.max_concurrent */
	int64_t runner_max_running_per_user; /* runner.max_running_per_user:
					      * 0 = config_running_per_user */
	int64_t runner_cancel_latency_ms; /* runner.cancel_latency_ms */
	int64_t runner_poll_ms;		/* runner.poll_ms */
	int64_t runner_flush_ms;	/* runner.flush_ms */
	uint64_t runner_page_bytes;	/* runner.page_bytes */
	int64_t runner_idle_exit_seconds; /* runner.idle_exit_seconds: 0 = never */
	int runner_start_on_demand;	/* runner.start_on_demand */
	char *runner_program;		/* runner.program: "" = beside me */

	int64_t retention_ttl_seconds;	/* retention.ttl_seconds */
	int64_t retention_sweep_seconds; /* retention.sweep_seconds */
	char *retention_index_rules;	/* retention.index_rules */
	int64_t retention_index_sweep_seconds; /* retention.index_sweep_seconds */

	int64_t stats_sidebar_top;		/* stats.sidebar_top */
	int64_t stats_sidebar_exact_distinct;	/* stats.sidebar_exact_distinct */
	int64_t stats_timeline_max_buckets;	/* stats.timeline_max_buckets */

	int export_csv_formula_guard;	/* export.csv_formula_guard */
	int64_t export_max_file_name_bytes; /* export.max_file_name_bytes */
	int64_t export_deflate_threads;	/* export.deflate_threads */

	char *log_level;	/* log.level: debug|info|warn|error */

	char *alert_sendmail;		/* alert.sendmail: shell command */
	char *alert_from;		/* alert.from: mail From address */
	char *alert_base_url;		/* alert.base_url: links; "" = path */
	int64_t alert_retry_base_seconds; /* alert.retry_base_seconds */
	int64_t alert_retry_max_seconds; /* alert.retry_max_seconds */
	int64_t alert_max_attempts;	/* alert.max_attempts */
	int64_t alert_timeout_seconds;	/* alert.timeout_seconds */
	int64_t alert_keep_seconds;	/* alert.keep_seconds: history */

	char *config_file;	/* absolute path of the file loaded */
	char *index_rules;	/* auth.index_access followed by the rules of
				 * auth.index_access_file, as config_load
				 * read them (the rules to apply) */
};

/* Fills every setting with its default (storage_path stays NULL). */
void config_defaults(struct config *);

/*
 * Reads the file at path over the defaults already in cfg. Returns 0, or -1
 * with "FILE:LINE: reason" in err for: a file that cannot be read, a line that
 * is not "key = value", an unknown key, a bad value (type, range), or a
 * missing storage.path, or an auth.index_access_file that cannot be read or
 * holds a bad rule ("FILE: auth.index_access_file: RULES:LINE: reason").
 * On -1 cfg may hold some values of the file.
 */
int config_load(struct config *cfg, const char *path, char *err, size_t errlen);

/*
 * Reads the rules of auth.index_access and auth.index_access_file now.
 * Returns 0 and in *rules the inline rules followed by the file's, joined
 * with ';' (malloc'd, the caller frees), or -1 with "auth.index_access_file:
 * PATH:LINE: reason" (or "out of memory") in err. config_load keeps the
 * result in cfg->index_rules; an executor calls it again so that a query
 * sees the file as it is when the query starts.
 */
int config_access_rules(const struct config *cfg, char **rules, char *err,
    size_t errlen);

/* Frees the strings of cfg (not cfg itself). */
void config_free(struct config *);

/* Returns the path used when no -c is given (static storage). */
const char *config_default_path(void);

/*
 * Returns 1 when user is listed in auth.admin_users, else 0.
 */
int config_is_admin(const struct config *, const char *user);

/* Returns 1 when user is listed in auth.ingest_users, else 0. */
int config_is_ingest_user(const struct config *, const char *user);

/* Returns 1 when auth.ingest_users names at least one user, else 0. */
int config_ingest_enabled(const struct config *);

/*
 * Looks token up in ingest.hec_tokens (compared in constant time). Returns
 * 1 and the index it is bound to in out (outlen bytes), or 0 when it is
 * not listed.
 */
int config_hec_index(const struct config *, const char *token, char *out,
    size_t outlen);

/* Returns 1 when ingest.hec_tokens lists at least one token, else 0. */
int config_hec_enabled(const struct config *);

/*
 * Returns the tasks one user may have RUNNING at once: the value of
 * runner.max_running_per_user, or, when it is 0 (the default),
 * max(1, runner.max_concurrent / 2). Always >= 1.
 */
int64_t config_running_per_user(const struct config *);

#endif
