/* test_config.c - asyncreq.conf: defaults, every value type, every error. */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/config.h"
#include "tap.h"

static char tmpdir[256];
static char conf_path[320];
static char err[1024];

/* Writes text to tmpdir/name and returns its path (static storage). */
static const char *
write_conf(const char *name, const char *text)
{
	FILE *fp;

	snprintf(conf_path, sizeof(conf_path), "%s/%s", tmpdir, name);
	if ((fp = fopen(conf_path, "w")) == NULL)
		return NULL;
	fputs(text, fp);
	fclose(fp);
	return conf_path;
}

/* Loads text as a configuration over the defaults; returns config_load's. */
static int
load(struct config *cfg, const char *text)
{
	const char *path = write_conf("asyncreq.conf", text);

	config_defaults(cfg);
	err[0] = '\0';
	return config_load(cfg, path, err, sizeof(err));
}

/* Checks that text fails with "PATH:LINE: reason" (LINE 0: "PATH: reason"). */
#define LOAD_ERR(text, line, reason) do { \
	struct config le_c_; \
	char le_w_[2048]; \
	int le_r_ = load(&le_c_, (text)); \
	if ((line) > 0) \
		snprintf(le_w_, sizeof(le_w_), "%s:%d: %s", conf_path, \
		    (line), (reason)); \
	else \
		snprintf(le_w_, sizeof(le_w_), "%s: %s", conf_path, \
		    (reason)); \
	ok(le_r_ == -1, "fails: %s", (reason)); \
	is_str(err, le_w_, "error text: %s", (reason)); \
	config_free(&le_c_); \
} while (0)

static void
test_defaults(void)
{
	struct config c;

	config_defaults(&c);
	ok(c.storage_path == NULL, "storage.path has no default");
	ok(c.storage_map_size == 1024ULL * 1024 * 1024 &&
	    c.storage_events_map_size == 64ULL * 1024 * 1024 * 1024,
	    "map sizes 1GiB and 64GiB");
	is_str(c.dt_field_name, "@timestamp", "dt_field_name");
	is_str(c.dt_start, "now-15m", "dt_start");
	is_str(c.dt_end, "now", "dt_end");
	ok(c.sort_limit == 10000 && c.list_limit == 100, "sort and list limits");
	ok(strcmp(c.http_listen, "") == 0 && c.http_workers == 4 &&
	    c.http_max_requests_per_worker == 10000 &&
	    c.http_max_body_bytes == 1048576 &&
	    strcmp(c.http_access_log, "off") == 0, "http.*");
	ok(c.auth_require_user == 0 && strcmp(c.auth_admin_users, "") == 0 &&
	    strcmp(c.auth_ingest_users, "") == 0, "auth.*");
	ok(c.ingest_max_body_bytes == 100ULL * 1024 * 1024 &&
	    strcmp(c.ingest_time_field, "@timestamp") == 0, "ingest.*");
	is_int(config_ingest_enabled(&c), 0, "ingest is off by default");
	ok(c.limits_max_active_tasks_per_user == 8 &&
	    c.limits_max_queued_tasks == 1000 &&
	    c.limits_max_runtime_seconds == 3600 &&
	    c.limits_max_memory_bytes == 512ULL * 1024 * 1024 &&
	    c.limits_max_log_lines == 1000 &&
	    c.limits_max_qsize == 10000000 &&
	    c.limits_max_groups == 100000 &&
	    c.limits_max_query_bytes == 65536, "limits.*");
	ok(c.runner_max_concurrent == 2 && c.runner_cancel_latency_ms == 200 &&
	    c.runner_poll_ms == 500 && c.runner_flush_ms == 200 &&
	    c.runner_page_bytes == 65536 && c.runner_idle_exit_seconds == 0 &&
	    c.runner_max_running_per_user == 0, "runner.*");
	is_int(config_running_per_user(&c), 1,
	    "runner.max_running_per_user 0: max(1, 2 / 2) = 1");
	ok(c.retention_ttl_seconds == 86400 && c.retention_sweep_seconds == 60 &&
	    strcmp(c.retention_index_rules, "") == 0 &&
	    c.retention_index_sweep_seconds == 60, "retention.*");
	is_str(c.auth_index_access, "", "auth.index_access: everyone reads all");
	ok(c.stats_sidebar_top == 10 && c.stats_sidebar_exact_distinct == 10000 &&
	    c.stats_timeline_max_buckets == 200, "stats.*");
	ok(c.export_csv_formula_guard == 1 && c.export_max_file_name_bytes == 200 &&
	    c.export_deflate_threads == 2, "export.*");
	is_str(c.log_level, "info", "log.level");
	ok(strcmp(c.alert_sendmail, "/usr/sbin/sendmail -t -oi") == 0 &&
	    strcmp(c.alert_from, "asyncreq@localhost") == 0 &&
	    strcmp(c.alert_base_url, "") == 0 &&
	    c.alert_retry_base_seconds == 30 &&
	    c.alert_retry_max_seconds == 3600 && c.alert_max_attempts == 8 &&
	    c.alert_timeout_seconds == 10 &&
	    c.alert_keep_seconds == 2592000, "alert.*");
	config_free(&c);
	ok(c.dt_start == NULL && c.log_level == NULL, "config_free clears");
	config_free(&c);
	ok(1, "config_free twice is harmless");

	is_str(strrchr(config_default_path(), '/'), "/asyncreq.conf",
	    "default path ends in /asyncreq.conf");
	ok(config_default_path()[0] == '/', "default path is absolute");
}

static void
test_minimal(void)
{
	struct config c;

	is_int(load(&c, "storage.path = /srv/asyncreq\n"), 0,
	    "one storage.path line is a complete file");
	is_str(c.storage_path, "/srv/asyncreq", "storage.path read");
	ok(c.runner_max_concurrent == 2 && c.http_workers == 4 &&
	    strcmp(c.dt_end, "now") == 0, "everything else at its default");
	config_free(&c);

	is_int(load(&c, "storage.path=/srv/x"), 0,
	    "no spaces, no final newline");
	is_str(c.storage_path, "/srv/x", "value read");
	config_free(&c);
}

static void
test_types(void)
{
	struct config c;

	is_int(load(&c,
	    "# a full-line comment\n"
	    "\n"
	    "   \t\n"
	    "  storage.path   =   /data/ar   # trailing comment\n"
	    "runner.max_concurrent = 16\n"
	    "http.max_requests_per_worker = 0\n"
	    "storage.map_size = 64MiB\n"
	    "storage.events_map_size = 1t\n"
	    "http.max_body_bytes = 512k\n"
	    "runner.page_bytes = 2 KiB\n"
	    "limits.max_memory_bytes = 1G\n"
	    "auth.require_user = YES\n"
	    "export.csv_formula_guard = off\n"
	    "http.access_log = syslog\n"
	    "log.level = DEBUG\n"
	    "auth.admin_users = \"alice, bob\"   # quoted\n"
	    "http.listen = \"unix:/run/a #1.sock\"\n"
	    "sme.core.global_dt_params.dt_field_name = event#time\n"
	    "sme.core.global_dt_params.dt_start = now-1d/d\n"
	    "sme.core.global_dt_params.dt_end = 2026-11-28T10:00:00+03:00\n"
	    "limits.max_qsize = 1000000000000\r\n"
	    "runner.poll_ms = 100\n"
	    "runner.poll_ms = 250\n"), 0, "a file using every value type loads");
	ok(err[0] == '\0', "no error text on success");
	is_str(c.storage_path, "/data/ar", "spaces and trailing comment dropped");
	is_int(c.runner_max_concurrent, 16, "integer");
	is_int(config_running_per_user(&c), 8,
	    "runner.max_running_per_user unset: half of max_concurrent 16");
	is_int(c.http_max_requests_per_worker, 0, "integer at its minimum");
	is_int(c.storage_map_size, 64LL << 20, "size 64MiB");
	is_int(c.storage_events_map_size, 1LL << 40, "size 1t (case-insensitive)");
	is_int(c.http_max_body_bytes, 512LL << 10, "size 512k");
	is_int(c.runner_page_bytes, 2048, "size '2 KiB'");
	is_int(c.limits_max_memory_bytes, 1LL << 30, "size 1G");
	is_int(c.auth_require_user, 1, "bool YES");
	is_int(c.export_csv_formula_guard, 0, "bool off");
	is_str(c.http_access_log, "syslog", "choice");
	is_str(c.log_level, "debug", "choice stored in canonical case");
	is_str(c.auth_admin_users, "alice, bob", "quoted string, then comment");
	is_str(c.http_listen, "unix:/run/a #1.sock", "'#' inside quotes kept");
	is_str(c.dt_field_name, "event#time", "'#' not after a space kept");
	is_str(c.dt_start, "now-1d/d", "date math kept as written");
	is_str(c.dt_end, "2026-11-28T10:00:00+03:00", "ISO date accepted");
	is_int(c.limits_max_qsize, 1000000000000LL, "CRLF line end");
	is_int(c.runner_poll_ms, 250, "duplicate key: the later wins");
	config_free(&c);

	is_int(load(&c, "storage.path = /x\nrunner.max_running_per_user = 3\n"
	    "runner.max_concurrent = 1\n"), 0, "runner.max_running_per_user set");
	ok(c.runner_max_running_per_user == 3 &&
	    config_running_per_user(&c) == 3,
	    "runner.max_running_per_user 3 is used as given");
	config_free(&c);
	is_int(load(&c, "storage.path = /x\nrunner.max_concurrent = 1\n"), 0,
	    "runner.max_concurrent 1");
	is_int(config_running_per_user(&c), 1,
	    "runner.max_running_per_user 0 with max_concurrent 1: 1");
	config_free(&c);

	is_int(load(&c, "storage.path = /x\nhttp.listen = \"a\\\"b\\\\c\\d\"\n"
	    "http.access_log = \"stderr\"\nauth.admin_users =\n"
	    "http.max_body_bytes = 1024\n"), 0, "escapes, empty value, bytes");
	is_str(c.http_listen, "a\"b\\c\\d", "\\\" and \\\\ unescaped, \\d kept");
	is_str(c.http_access_log, "stderr", "quoted choice");
	is_str(c.auth_admin_users, "", "empty value");
	is_int(c.http_max_body_bytes, 1024, "plain bytes at the minimum");
	config_free(&c);
}

static void
test_errors(void)
{
	char longline[9000];

	LOAD_ERR("storage.path = /x\n\n# c\n\n\n\nstorage.pth = /y\n", 7,
	    "unknown key 'storage.pth'");
	LOAD_ERR("storage.path = /x\n\nstorage.map_size = 12Q\n", 3,
	    "storage.map_size: '12Q' is not a size");
	LOAD_ERR("storage.map_size = 64MB\n", 1,
	    "storage.map_size: '64MB' is not a size");
	LOAD_ERR("storage.map_size = -1M\n", 1,
	    "storage.map_size: '-1M' is not a size");
	LOAD_ERR("storage.map_size = 512K\n", 1,
	    "storage.map_size: '512K' is less than the minimum 1MiB");
	LOAD_ERR("storage.map_size = 99999999T\n", 1,
	    "storage.map_size: '99999999T' is too large");
	LOAD_ERR("http.max_body_bytes = 2G\n", 1,
	    "http.max_body_bytes: '2G' is out of range 1KiB..1GiB");
	LOAD_ERR("ingest.max_body_bytes = 2G\n", 1,
	    "ingest.max_body_bytes: '2G' is out of range 1KiB..1GiB");
	LOAD_ERR("ingest.hec_tokens = short=idx\n", 1,
	    "ingest.hec_tokens: a token must be 8 to 128 letters, digits or '-'");
	LOAD_ERR("ingest.hec_tokens = abcdefgh\n", 1, "ingest.hec_tokens: "
	    "expected TOKEN=INDEX pairs separated by commas");
	LOAD_ERR("ingest.hec_tokens = abcdefgh=Logs\n", 1, "ingest.hec_tokens: "
	    "an index must be 1 to 200 lower-case letters, digits, '.', '_' or "
	    "'-', not starting with '.', '_' or '-'");
	LOAD_ERR("ingest.hec_tokens = abcdefgh=logs;x\n", 1, "ingest.hec_tokens: "
	    "expected TOKEN=INDEX pairs separated by commas");
	LOAD_ERR("ingest.hec_tokens = abcdefgh=_all\n", 1, "ingest.hec_tokens: "
	    "an index must be 1 to 200 lower-case letters, digits, '.', '_' or "
	    "'-', not starting with '.', '_' or '-'");
	LOAD_ERR("ingest.hec_tokens = \"abcdefgh=a, abcdefgh=b\"\n", 1,
	    "ingest.hec_tokens: a token is listed twice");
	LOAD_ERR("storage.path = /x\ningest.time_field = \"\"\n", 2,
	    "ingest.time_field: must not be empty");
	LOAD_ERR("limits.max_memory_bytes = 1M\n", 1,
	    "limits.max_memory_bytes: '1M' is out of range 16MiB..1TiB");
	LOAD_ERR("a = 1\n#\n#\n#\n#\n#\n#\n#\nrunner.max_concurrent = 0\n", 1,
	    "unknown key 'a'");
	LOAD_ERR("#\n#\n#\n#\n#\n#\n#\n#\nrunner.max_concurrent = 0\n", 9,
	    "runner.max_concurrent: 0 is out of range 1..256");
	LOAD_ERR("runner.max_running_per_user = 257\n", 1,
	    "runner.max_running_per_user: 257 is out of range 0..256");
	LOAD_ERR("runner.max_running_per_user = -1\n", 1,
	    "runner.max_running_per_user: -1 is out of range 0..256");
	LOAD_ERR("http.max_requests_per_worker = -1\n", 1,
	    "http.max_requests_per_worker: -1 is out of range 0..1000000000");
	LOAD_ERR("http.workers = 99999999999999999999\n", 1,
	    "http.workers: 99999999999999999999 is out of range 1..256");
	LOAD_ERR("export.deflate_threads = 17\n", 1,
	    "export.deflate_threads: 17 is out of range 0..16");
	LOAD_ERR("http.workers = four\n", 1,
	    "http.workers: 'four' is not an integer");
	LOAD_ERR("http.workers = 4x\n", 1,
	    "http.workers: '4x' is not an integer");
	LOAD_ERR("http.workers =\n", 1, "http.workers: '' is not an integer");
	LOAD_ERR("auth.require_user = maybe\n", 1,
	    "auth.require_user: 'maybe' is not a boolean (true or false)");
	LOAD_ERR("http.access_log = file\n", 1,
	    "http.access_log: 'file' is not one of off, stderr, syslog");
	LOAD_ERR("log.level = verbose\n", 1,
	    "log.level: 'verbose' is not one of debug, info, warn, error");
	LOAD_ERR("sme.core.global_dt_params.dt_start = now-1x\n", 1,
	    "sme.core.global_dt_params.dt_start: 'now-1x' is not a valid date: "
	    "unknown unit 'x'");
	LOAD_ERR("sme.core.global_dt_params.dt_end = 2026-02-30\n", 1,
	    "sme.core.global_dt_params.dt_end: '2026-02-30' is not a valid "
	    "date: not a date: '2026-02-30'");
	LOAD_ERR("sme.core.global_dt_params.dt_field_name = \"\"\n", 1,
	    "sme.core.global_dt_params.dt_field_name: must not be empty");
	LOAD_ERR("storage.path =\n", 1, "storage.path: must not be empty");
	LOAD_ERR("storage.path /x\n", 1, "expected 'key = value'");
	LOAD_ERR("= /x\n", 1, "expected 'key = value'");
	LOAD_ERR("storage path = /x\n", 1, "expected 'key = value'");
	LOAD_ERR("http.listen = \"abc\n", 1, "missing closing quote");
	LOAD_ERR("http.listen = \"abc\" def\n", 1,
	    "unexpected text after the closing quote");
	LOAD_ERR("http.workers = 4\n", 0, "storage.path is not set");
	LOAD_ERR("", 0, "storage.path is not set");

	memset(longline, 'x', sizeof(longline));
	memcpy(longline, "# ", 2);
	longline[8195] = '\0';		/* 8195 bytes: 3 over the bound */
	{
		char text[9100];

		snprintf(text, sizeof(text), "storage.path = /x\n%s\n",
		    longline);
		LOAD_ERR(text, 2, "line is longer than 8192 bytes");
		longline[8192] = '\0';	/* exactly the bound: fine */
		snprintf(text, sizeof(text), "storage.path = /x\n%s\n",
		    longline);
		{
			struct config c;

			is_int(load(&c, text), 0, "a line of 8192 bytes is read");
			config_free(&c);
		}
	}

	{
		struct config c;
		char want[PATH_MAX + 64];

		config_defaults(&c);
		snprintf(conf_path, sizeof(conf_path), "%s/missing.conf",
		    tmpdir);
		snprintf(want, sizeof(want), "%s: No such file or directory",
		    conf_path);
		ok(config_load(&c, conf_path, err, sizeof(err)) == -1,
		    "a missing file fails");
		is_str(err, want, "missing file: FILE: reason");
		config_free(&c);
	}
}

static void
test_relative(void)
{
	struct config c;
	char sub[PATH_MAX + 8], real[PATH_MAX], want[PATH_MAX + 16];
	char cwd[PATH_MAX];
	FILE *fp;

	snprintf(sub, sizeof(sub), "%s/etc", tmpdir);
	mkdir(sub, 0700);
	if (realpath(sub, real) == NULL)
		real[0] = '\0';
	snprintf(want, sizeof(want), "%s/data", real);

	config_defaults(&c);
	snprintf(conf_path, sizeof(conf_path), "%s/etc/rel.conf", tmpdir);
	if ((fp = fopen(conf_path, "w")) != NULL) {
		fputs("storage.path = data\n", fp);
		fclose(fp);
	}
	is_int(config_load(&c, conf_path, err, sizeof(err)), 0,
	    "relative storage.path loads");
	is_str(c.storage_path, want, "resolved against the file's directory");
	config_free(&c);

	if ((fp = fopen(conf_path, "w")) != NULL) {
		fputs("storage.path = ./data\n", fp);
		fclose(fp);
	}
	config_defaults(&c);
	is_int(config_load(&c, conf_path, err, sizeof(err)), 0, "./data loads");
	is_str(c.storage_path, want, "leading ./ dropped");
	config_free(&c);

	/* A relative config path still gives an absolute storage path. */
	if (getcwd(cwd, sizeof(cwd)) != NULL && chdir(tmpdir) == 0) {
		config_defaults(&c);
		is_int(config_load(&c, "etc/rel.conf", err, sizeof(err)), 0,
		    "relative config file path loads");
		is_str(c.storage_path, want, "still resolved to an absolute path");
		config_free(&c);
		if (chdir(cwd) != 0)
			ok(0, "chdir back");
	}
}

static void
test_admin(void)
{
	struct config c;

	is_int(load(&c, "storage.path = /x\n"
	    "auth.admin_users = \" alice ,bob,, carol smith \"\n"), 0,
	    "admin list loads");
	is_int(config_is_admin(&c, "alice"), 1, "admin with spaces around");
	is_int(config_is_admin(&c, "bob"), 1, "admin in the middle");
	is_int(config_is_admin(&c, "carol smith"), 1, "admin with inner space");
	is_int(config_is_admin(&c, "al"), 0, "prefix is not a match");
	is_int(config_is_admin(&c, "Alice"), 0, "match is exact (case)");
	is_int(config_is_admin(&c, ""), 0, "empty user never matches");
	is_int(config_is_admin(&c, NULL), 0, "NULL user never matches");
	config_free(&c);
	config_defaults(&c);
	is_int(config_is_admin(&c, "alice"), 0, "no admins by default");
	config_free(&c);
}

/* auth.index_access and retention.index_rules: checked at load. */
static void
test_index_keys(void)
{
	struct config c;

	is_int(load(&c, "storage.path = /x\n"
	    "auth.index_access = \"alice=web-*; bob=db-*,app\"\n"
	    "retention.index_rules = \"web-*:30d:10GiB, *:90d\"\n"
	    "retention.index_sweep_seconds = 5\n"), 0, "index keys load");
	is_str(c.auth_index_access, "alice=web-*; bob=db-*,app", "access kept");
	is_str(c.index_rules, "alice=web-*; bob=db-*,app", "the rules applied");
	is_str(c.retention_index_rules, "web-*:30d:10GiB, *:90d", "rules kept");
	is_int((int)c.retention_index_sweep_seconds, 5, "sweep interval");
	config_free(&c);
	LOAD_ERR("storage.path = /x\nauth.index_access = alice\n", 2,
	    "auth.index_access: a rule is USER=PATTERN[,PATTERN...] "
	    "(at \"alice\")");
	LOAD_ERR("storage.path = /x\nretention.index_rules = \"web:30x\"\n", 2,
	    "retention.index_rules: rule \"web:30x\": bad age \"30x\" (a "
	    "positive number with s, m, h, d or w, or '-')");
	LOAD_ERR("storage.path = /x\nretention.index_sweep_seconds = 0\n", 2,
	    "retention.index_sweep_seconds: 0 is out of range 1..86400");
}

/* Writes text to tmpdir/name without touching conf_path. */
static void
write_side(const char *name, const char *text)
{
	char p[PATH_MAX];
	FILE *fp;

	snprintf(p, sizeof(p), "%s/%s", tmpdir, name);
	if ((fp = fopen(p, "w")) != NULL) {
		fputs(text, fp);
		fclose(fp);
	}
}

/*
 * auth.index_access_file: its rules (relative to the configuration's
 * directory) follow the inline ones; a bad line is named by file and line.
 */
static void
test_index_access_file(void)
{
	struct config c;
	char want[1024], rp[PATH_MAX], rt[PATH_MAX];

	if (realpath(tmpdir, rt) == NULL)
		snprintf(rt, sizeof(rt), "%s", tmpdir);
	write_side("access.rules", "\xef\xbb\xbf# who reads what\n"
	    "\n"
	    "alice = web-*, app   # the web team\n"
	    "  bob=db-*;\r\n"
	    "#carol=*\n"
	    "dave=x-1; erin=y-*\n");
	is_int(load(&c, "storage.path = /x\n"
	    "auth.index_access_file = access.rules\n"), 0,
	    "a relative access file loads");
	is_str(c.index_rules, "alice = web-*, app;bob=db-*;dave=x-1; "
	    "erin=y-*", "its rules, comments and blank lines skipped");
	is_str(c.auth_index_access, "", "auth.index_access stays as written");
	snprintf(rp, sizeof(rp), "%s/access.rules", tmpdir);
	{
		char *real = realpath(rp, NULL);

		is_str(c.auth_index_access_file, real ? real : "?",
		    "the file's absolute path is kept");
		free(real);
	}
	config_free(&c);
	is_int(load(&c, "storage.path = /x\n"
	    "auth.index_access = \"zed=z\"\n"
	    "auth.index_access_file = access.rules\n"), 0,
	    "inline rules and a file load");
	is_str(c.index_rules, "zed=z;alice = web-*, app;bob=db-*;"
	    "dave=x-1; erin=y-*", "the file's rules follow the inline ones");
	config_free(&c);
	is_int(load(&c, "storage.path = /x\nauth.index_access_file = \"\"\n"),
	    0, "an empty auth.index_access_file is none");
	is_str(c.index_rules, "", "and adds no rule");
	config_free(&c);

	write_side("bad.rules", "alice=web-*\n# fine so far\nbob\n");
	snprintf(want, sizeof(want), "auth.index_access_file: %s/bad.rules:3: "
	    "a rule is USER=PATTERN[,PATTERN...] (at \"bob\")", rt);
	LOAD_ERR("storage.path = /x\nauth.index_access_file = bad.rules\n", 0,
	    want);
	write_side("bad.rules", "alice=web/*\n");
	snprintf(want, sizeof(want), "auth.index_access_file: %s/bad.rules:1: "
	    "an index pattern holds a character index names cannot (letters, "
	    "digits, '.', '_', '-' and '*') (at \"alice=web/*\")", rt);
	LOAD_ERR("storage.path = /x\nauth.index_access_file = bad.rules\n", 0,
	    want);
	write_side("bad.rules", "# nobody yet\n\n");
	snprintf(want, sizeof(want), "auth.index_access_file: %s/bad.rules: "
	    "holds no rule (USER=PATTERN[,PATTERN...]); an empty file would "
	    "let everyone read every index", rt);
	LOAD_ERR("storage.path = /x\nauth.index_access_file = bad.rules\n", 0,
	    want);
	snprintf(want, sizeof(want), "auth.index_access_file: %s/none.rules: "
	    "No such file or directory", rt);
	LOAD_ERR("storage.path = /x\nauth.index_access_file = none.rules\n", 0,
	    want);
}

/* auth.ingest_users: who may write events; empty (or only commas) is off. */
static void
test_ingest_users(void)
{
	struct config c;

	is_int(load(&c, "storage.path = /x\n"
	    "auth.ingest_users = \"rsyslog, syslog-ng\"\n"
	    "ingest.max_body_bytes = 10MiB\n"
	    "ingest.time_field = ts\n"), 0, "ingest keys load");
	is_int(config_ingest_enabled(&c), 1, "a listed user turns ingest on");
	is_int(config_is_ingest_user(&c, "rsyslog"), 1, "first writer");
	is_int(config_is_ingest_user(&c, "syslog-ng"), 1, "second writer");
	is_int(config_is_ingest_user(&c, "syslog"), 0, "prefix is no writer");
	is_int(config_is_ingest_user(&c, "anonymous"), 0, "others are not");
	is_int(config_is_admin(&c, "rsyslog"), 0, "a writer is no admin");
	is_int((long long)c.ingest_max_body_bytes, 10LL << 20, "body bound");
	is_str(c.ingest_time_field, "ts", "time field");
	config_free(&c);
	is_int(load(&c, "storage.path = /x\ningest.hec_tokens = "
	    "\"11111111-2222-3333-4444-555555555555=firewall, "
	    "abcdefgh=app.logs\"\n"), 0, "HEC tokens load");
	{
		char ix[64];

		is_int(config_hec_enabled(&c), 1, "HEC is on with a token");
		is_int(config_hec_index(&c, "abcdefgh", ix, sizeof(ix)), 1,
		    "a listed token");
		is_str(ix, "app.logs", "gives its index");
		is_int(config_hec_index(&c,
		    "11111111-2222-3333-4444-555555555555", ix, sizeof(ix)), 1,
		    "the first token");
		is_str(ix, "firewall", "gives its own index");
		is_int(config_hec_index(&c, "abcdefg", ix, sizeof(ix)), 0,
		    "a prefix of a token is not one");
		is_int(config_hec_index(&c, "abcdefghi", ix, sizeof(ix)), 0,
		    "a longer token is not one");
		is_int(config_hec_index(&c, "", ix, sizeof(ix)), 0,
		    "no token is not one");
	}
	config_free(&c);
	config_defaults(&c);
	is_int(config_hec_enabled(&c), 0, "HEC is off by default");
	config_free(&c);
	is_int(load(&c, "storage.path = /x\nauth.ingest_users = \" , ,\"\n"),
	    0, "a list of no names loads");
	is_int(config_ingest_enabled(&c), 0, "and leaves ingest off");
	config_free(&c);
}

/* The shipped example must load and hold the defaults. */
static void
test_example(void)
{
	struct config c, d;
	const char *top = getenv("top_srcdir");
	char path[PATH_MAX + 32];

	snprintf(path, sizeof(path), "%s/conf/asyncreq.conf",
	    top != NULL && *top != '\0' ? top : ".");
	config_defaults(&c);
	config_defaults(&d);
	is_int(config_load(&c, path, err, sizeof(err)), 0,
	    "conf/asyncreq.conf loads");
	if (err[0] != '\0')
		printf("#   %s\n", err);
	is_str(c.storage_path, "/var/lib/asyncreq", "its storage.path");
	ok(c.storage_map_size == d.storage_map_size &&
	    c.runner_max_concurrent == d.runner_max_concurrent &&
	    c.limits_max_memory_bytes == d.limits_max_memory_bytes &&
	    strcmp(c.log_level, d.log_level) == 0,
	    "everything else at its default");
	config_free(&c);
	config_free(&d);
}

/* Uncommenting every key of the example must load, at the same values. */
static void
test_example_uncommented(void)
{
	struct config c, d;
	const char *top = getenv("top_srcdir");
	char path[PATH_MAX + 32], line[1024];
	FILE *in, *out;
	int n = 0;

	snprintf(path, sizeof(path), "%s/conf/asyncreq.conf",
	    top != NULL && *top != '\0' ? top : ".");
	in = fopen(path, "r");
	snprintf(conf_path, sizeof(conf_path), "%s/all.conf", tmpdir);
	out = fopen(conf_path, "w");
	if (in == NULL || out == NULL) {
		ok(0, "open example and copy");
		if (in)
			fclose(in);
		if (out)
			fclose(out);
		return;
	}
	while (fgets(line, sizeof(line), in) != NULL) {
		/* "#key = value" lines are settings; "# text" is prose. */
		if (line[0] == '#' && line[1] != ' ' && line[1] != '#' &&
		    line[1] != '\n' && strchr(line, '=') != NULL) {
			fputs(line + 1, out);
			n++;
		} else
			fputs(line, out);
	}
	fclose(in);
	fclose(out);
	is_int(n, 63, "the example lists all 63 other keys");
	config_defaults(&c);
	config_defaults(&d);
	is_int(config_load(&c, conf_path, err, sizeof(err)), 0,
	    "the example with every key uncommented loads");
	if (err[0] != '\0')
		printf("#   %s\n", err);
	ok(c.storage_map_size == d.storage_map_size &&
	    c.storage_events_map_size == d.storage_events_map_size &&
	    c.http_max_body_bytes == d.http_max_body_bytes &&
	    c.ingest_max_body_bytes == d.ingest_max_body_bytes &&
	    strcmp(c.ingest_time_field, d.ingest_time_field) == 0 &&
	    strcmp(c.auth_ingest_users, d.auth_ingest_users) == 0 &&
	    strcmp(c.ingest_hec_tokens, d.ingest_hec_tokens) == 0 &&
	    c.limits_max_memory_bytes == d.limits_max_memory_bytes &&
	    c.runner_page_bytes == d.runner_page_bytes &&
	    c.limits_max_qsize == d.limits_max_qsize &&
	    c.export_csv_formula_guard == d.export_csv_formula_guard &&
	    c.export_deflate_threads == d.export_deflate_threads &&
	    c.runner_idle_exit_seconds == d.runner_idle_exit_seconds &&
	    c.runner_max_running_per_user == d.runner_max_running_per_user &&
	    strcmp(c.dt_start, d.dt_start) == 0 &&
	    strcmp(c.dt_field_name, d.dt_field_name) == 0 &&
	    strcmp(c.http_listen, d.http_listen) == 0 &&
	    strcmp(c.http_access_log, d.http_access_log) == 0,
	    "the commented values are the defaults");
	config_free(&c);
	config_free(&d);
}

int
main(void)
{
	const char *base = getenv("TMPDIR");

	snprintf(tmpdir, sizeof(tmpdir), "%s/test_config.XXXXXX",
	    base != NULL && *base != '\0' ? base : "/tmp");
	if (mkdtemp(tmpdir) == NULL) {
		printf("Bail out! mkdtemp %s\n", tmpdir);
		return 1;
	}
	test_defaults();
	test_minimal();
	test_types();
	test_errors();
	test_relative();
	test_admin();
	test_ingest_users();
	test_index_keys();
	test_index_access_file();
	test_example();
	test_example_uncommented();

	/* Clean up the temporary tree. */
	{
		static const char *const files[] = { "asyncreq.conf",
		    "all.conf", "access.rules", "bad.rules", "etc/rel.conf", "etc",
		    NULL };
		char p[PATH_MAX + 32];

		for (int i = 0; files[i] != NULL; i++) {
			snprintf(p, sizeof(p), "%s/%s", tmpdir, files[i]);
			remove(p);
		}
		rmdir(tmpdir);
	}
	return done_testing();
}
