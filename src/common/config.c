/* config.c - the configuration file asyncreq.conf, read by every program. */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/access.h"
#include "common/config.h"
#include "common/datemath.h"
#include "common/retention.h"

#ifndef SYSCONFDIR
#define SYSCONFDIR "/etc"
#endif

/* Longest line accepted, without its newline. */
#define CONFIG_LINE_MAX	8192

#define KIB	1024LL
#define MIB	(1024LL * KIB)
#define GIB	(1024LL * MIB)
#define TIB	(1024LL * GIB)

enum config_type {
	CONFIG_STRING,	/* any text, char * */
	CONFIG_WORD,	/* non-empty text, char * */
	CONFIG_CHOICE,	/* one of ck_choices, char * (canonical spelling) */
	CONFIG_DATE,	/* date math, checked with datemath_parse, char * */
	CONFIG_PATH,	/* a directory; relative to the file's directory */
	CONFIG_FILE,	/* "" or a file; relative to the file's directory */
	CONFIG_INT,	/* decimal integer in [ck_min, ck_max], int64_t */
	CONFIG_SIZE,	/* bytes with K/M/G/T suffix, uint64_t; ck_max 0 = none */
	CONFIG_BOOL,	/* true/false/yes/no/on/off/1/0, int */
	CONFIG_TOKENS,	/* "TOKEN=INDEX, ..." (config_tokens_check), char * */
	CONFIG_ACCESS,	/* "USER=PATTERN,...; ..." (access_check), char * */
	CONFIG_RETENTION /* "PATTERN:AGE[:SIZE], ..." (retention_parse), char * */
};

static const char *const config_access_logs[] = { "off", "stderr", "syslog",
    NULL };
static const char *const config_log_levels[] = { "debug", "info", "warn",
    "error", NULL };

/* One setting: its key, where it lives in struct config, how to read it. */
struct config_key {
	const char *ck_name;
	enum config_type ck_type;
	size_t ck_off;
	int64_t ck_min;
	int64_t ck_max;
	int64_t ck_def;			/* numeric default */
	const char *ck_def_str;		/* string default (NULL: none) */
	const char *const *ck_choices;	/* CONFIG_CHOICE only */
};

#define OFF(m)	offsetof(struct config, m)
#define S(k, t, m, d)		{ k, t, OFF(m), 0, 0, 0, d, NULL }
#define C(k, m, d, c)		{ k, CONFIG_CHOICE, OFF(m), 0, 0, 0, d, c }
#define N(k, t, m, d, lo, hi)	{ k, t, OFF(m), lo, hi, d, NULL, NULL }

static const struct config_key config_keys[] = {
	S("storage.path", CONFIG_PATH, storage_path, NULL),
	N("storage.map_size", CONFIG_SIZE, storage_map_size, GIB, MIB, 0),
	N("storage.events_map_size", CONFIG_SIZE, storage_events_map_size,
	    64 * GIB, MIB, 0),
	N("storage.block_bytes", CONFIG_SIZE, storage_block_bytes,
	    256 * 1024, 0, 64 * MIB),
	N("storage.min_free_disk", CONFIG_SIZE, storage_min_free_disk,
	    64 * MIB, 0, 0),

	S("sme.core.global_dt_params.dt_field_name", CONFIG_WORD,
	    dt_field_name, "@timestamp"),
	S("sme.core.global_dt_params.dt_start", CONFIG_DATE, dt_start,
	    "now-15m"),
	S("sme.core.global_dt_params.dt_end", CONFIG_DATE, dt_end, "now"),
	N("sme.core.sort_limit", CONFIG_INT, sort_limit, 10000, 1, 10000000),
	N("sme.core.list_limit", CONFIG_INT, list_limit, 100, 1, 100000),

	S("http.listen", CONFIG_STRING, http_listen, ""),
	N("http.workers", CONFIG_INT, http_workers, 4, 1, 256),
	N("http.max_requests_per_worker", CONFIG_INT,
	    http_max_requests_per_worker, 10000, 0, 1000000000),
	N("http.max_body_bytes", CONFIG_SIZE, http_max_body_bytes, MIB, KIB,
	    GIB),
	C("http.access_log", http_access_log, "off", config_access_logs),

	N("auth.require_user", CONFIG_BOOL, auth_require_user, 0, 0, 1),
	S("auth.admin_users", CONFIG_STRING, auth_admin_users, ""),
	S("auth.ingest_users", CONFIG_STRING, auth_ingest_users, ""),
	S("auth.index_access", CONFIG_ACCESS, auth_index_access, ""),
	S("auth.index_access_file", CONFIG_FILE, auth_index_access_file, ""),

	N("ingest.max_body_bytes", CONFIG_SIZE, ingest_max_body_bytes,
	    100 * MIB, KIB, GIB),
	S("ingest.time_field", CONFIG_WORD, ingest_time_field, "@timestamp"),
	S("ingest.hec_tokens", CONFIG_TOKENS, ingest_hec_tokens, ""),

	N("limits.max_active_tasks_per_user", CONFIG_INT,
	    limits_max_active_tasks_per_user, 8, 1, 100000),
	N("limits.max_queued_tasks", CONFIG_INT, limits_max_queued_tasks,
	    1000, 1, 10000000),
	N("limits.max_runtime_seconds", CONFIG_INT, limits_max_runtime_seconds,
	    3600, 1, 10000000),
	N("limits.max_memory_bytes", CONFIG_SIZE, limits_max_memory_bytes,
	    512 * MIB, 16 * MIB, TIB),
	N("limits.max_log_lines", CONFIG_INT, limits_max_log_lines, 1000, 10,
	    1000000),
	N("limits.max_qsize", CONFIG_INT, limits_max_qsize, 10000000, 1,
	    1000000000000LL),
	N("limits.max_subsearch_results", CONFIG_INT,
	    limits_max_subsearch_results, 10000, 1, 10000000),
	N("limits.max_groups", CONFIG_INT, limits_max_groups, 100000, 1,
	    100000000),
	N("limits.max_query_bytes", CONFIG_INT, limits_max_query_bytes, 65536,
	    64, 16 * MIB),
	N("limits.regex_match_limit", CONFIG_INT, limits_regex_match_limit,
	    10000000, 1000, 1000000000),
	N("limits.regex_depth_limit", CONFIG_INT, limits_regex_depth_limit,
	    1000000, 100, 1000000000),
	N("limits.max_lookup_bytes", CONFIG_SIZE, limits_max_lookup_bytes,
	    64 * MIB, KIB, GIB),
	N("limits.max_lookup_rows", CONFIG_INT, limits_max_lookup_rows,
	    1000000, 1, 100000000),

	S("geoip.database", CONFIG_FILE, geoip_database,
	    "/usr/share/GeoIP/GeoIP.dat"),
	S("geoip.database_v6", CONFIG_FILE, geoip_database_v6,
	    "/usr/share/GeoIP/GeoIPv6.dat"),

	N("runner.max_concurrent", CONFIG_INT, runner_max_concurrent, 2, 1,
	    256),
	N("runner.max_running_per_user", CONFIG_INT,
	    runner_max_running_per_user, 0, 0, 256),
	N("runner.cancel_latency_ms", CONFIG_INT, runner_cancel_latency_ms,
	    200, 10, 60000),
	N("runner.poll_ms", CONFIG_INT, runner_poll_ms, 500, 10, 60000),
	N("runner.flush_ms", CONFIG_INT, runner_flush_ms, 200, 10, 60000),
	N("runner.page_bytes", CONFIG_SIZE, runner_page_bytes, 64 * KIB, KIB,
	    16 * MIB),
	N("runner.idle_exit_seconds", CONFIG_INT, runner_idle_exit_seconds, 0,
	    0, 10000000),
	N("runner.start_on_demand", CONFIG_BOOL, runner_start_on_demand, 0, 0,
	    1),
	S("runner.program", CONFIG_STRING, runner_program, ""),

	N("retention.ttl_seconds", CONFIG_INT, retention_ttl_seconds, 86400, 1,
	    1000000000),
	N("retention.sweep_seconds", CONFIG_INT, retention_sweep_seconds, 60,
	    1, 86400),
	S("retention.index_rules", CONFIG_RETENTION, retention_index_rules, ""),
	N("retention.index_sweep_seconds", CONFIG_INT,
	    retention_index_sweep_seconds, 60, 1, 86400),

	N("stats.sidebar_top", CONFIG_INT, stats_sidebar_top, 10, 1, 1000),
	N("stats.sidebar_exact_distinct", CONFIG_INT,
	    stats_sidebar_exact_distinct, 10000, 1, 10000000),
	N("stats.timeline_max_buckets", CONFIG_INT, stats_timeline_max_buckets,
	    200, 2, 10000),

	N("export.csv_formula_guard", CONFIG_BOOL, export_csv_formula_guard, 1,
	    0, 1),
	N("export.max_file_name_bytes", CONFIG_INT, export_max_file_name_bytes,
	    200, 16, 1000),
	N("export.deflate_threads", CONFIG_INT, export_deflate_threads, 2, 0,
	    16),

	C("log.level", log_level, "info", config_log_levels),

	S("alert.sendmail", CONFIG_WORD, alert_sendmail,
	    "/usr/sbin/sendmail -t -oi"),
	S("alert.from", CONFIG_WORD, alert_from, "asyncreq@localhost"),
	S("alert.base_url", CONFIG_STRING, alert_base_url, ""),
	N("alert.retry_base_seconds", CONFIG_INT, alert_retry_base_seconds, 30,
	    1, 86400),
	N("alert.retry_max_seconds", CONFIG_INT, alert_retry_max_seconds, 3600,
	    1, 604800),
	N("alert.max_attempts", CONFIG_INT, alert_max_attempts, 8, 1, 100),
	N("alert.timeout_seconds", CONFIG_INT, alert_timeout_seconds, 10, 1,
	    600),
	N("alert.keep_seconds", CONFIG_INT, alert_keep_seconds, 2592000, 60,
	    315360000),
};

#undef OFF
#undef S
#undef C
#undef N

#define CONFIG_NKEYS	(sizeof(config_keys) / sizeof(config_keys[0]))

/* Returns 1 when the setting is held as a string owned by the struct. */
static int
config_is_string(const struct config_key *k)
{
	return k->ck_type == CONFIG_STRING || k->ck_type == CONFIG_WORD ||
	    k->ck_type == CONFIG_TOKENS || k->ck_type == CONFIG_ACCESS ||
	    k->ck_type == CONFIG_RETENTION ||
	    k->ck_type == CONFIG_CHOICE || k->ck_type == CONFIG_DATE ||
	    k->ck_type == CONFIG_PATH || k->ck_type == CONFIG_FILE;
}

/* Returns the address of the string member of cfg that k describes. */
static char **
config_str_slot(struct config *cfg, const struct config_key *k)
{
	return (char **)(void *)((char *)cfg + k->ck_off);
}

void
config_defaults(struct config *cfg)
{
	const struct config_key *k;
	char *base = (char *)cfg;

	memset(cfg, 0, sizeof(*cfg));
	for (k = config_keys; k < config_keys + CONFIG_NKEYS; k++) {
		switch (k->ck_type) {
		case CONFIG_INT:
			*(int64_t *)(void *)(base + k->ck_off) = k->ck_def;
			break;
		case CONFIG_SIZE:
			*(uint64_t *)(void *)(base + k->ck_off) =
			    (uint64_t)k->ck_def;
			break;
		case CONFIG_BOOL:
			*(int *)(void *)(base + k->ck_off) = (int)k->ck_def;
			break;
		default:
			/* A failed strdup leaves NULL; config_load reports it. */
			if (k->ck_def_str != NULL)
				*config_str_slot(cfg, k) = strdup(k->ck_def_str);
			break;
		}
	}
}

void
config_free(struct config *cfg)
{
	const struct config_key *k;
	char **slot;

	for (k = config_keys; k < config_keys + CONFIG_NKEYS; k++) {
		if (!config_is_string(k))
			continue;
		slot = config_str_slot(cfg, k);
		free(*slot);
		*slot = NULL;
	}
	free(cfg->config_file);
	cfg->config_file = NULL;
	free(cfg->index_rules);
	cfg->index_rules = NULL;
}

const char *
config_default_path(void)
{
	return SYSCONFDIR "/asyncreq.conf";
}

/*
 * Returns 1 when user is a name of the comma list list, else 0. White space
 * around each name is not part of it. An empty user never matches.
 */
static int
config_list_has(const char *list, const char *user)
{
	const char *p, *e, *end;
	size_t ulen;

	if (list == NULL || user == NULL || *user == '\0')
		return 0;
	ulen = strlen(user);
	p = list;
	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		end = strchr(p, ',');
		if (end == NULL)
			end = p + strlen(p);
		e = end;
		while (e > p && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
		if ((size_t)(e - p) == ulen && memcmp(p, user, ulen) == 0)
			return 1;
		if (*end == '\0')
			return 0;
		p = end + 1;
	}
}

int
config_is_admin(const struct config *cfg, const char *user)
{
	return cfg != NULL && config_list_has(cfg->auth_admin_users, user);
}

int
config_is_ingest_user(const struct config *cfg, const char *user)
{
	return cfg != NULL && config_list_has(cfg->auth_ingest_users, user);
}

int
config_ingest_enabled(const struct config *cfg)
{
	const char *p;

	if (cfg == NULL || cfg->auth_ingest_users == NULL)
		return 0;
	for (p = cfg->auth_ingest_users; *p; p++)
		if (*p != ' ' && *p != '\t' && *p != ',')
			return 1;
	return 0;
}

static const char *config_tokens_walk(const char *,
    int (*)(void *, const char *, size_t, const char *, size_t), void *);

struct config_hec_find {
	const char	*hf_token;
	size_t		 hf_len;
	char		*hf_out;
	size_t		 hf_outlen;
	int		 hf_found;
};

/*
 * Compares every listed token with the one sent, in time that depends on
 * the lengths only, so that timing does not tell how much of a guess was
 * right.
 */
static int
config_hec_cb(void *arg, const char *t, size_t tl, const char *ix, size_t il)
{
	struct config_hec_find *f = arg;
	unsigned char diff = tl != f->hf_len;

	for (size_t i = 0; i < tl; i++)
		diff |= (unsigned char)(t[i] ^ f->hf_token[i < f->hf_len ? i : 0]);
	if (diff == 0 && !f->hf_found && il < f->hf_outlen) {
		memcpy(f->hf_out, ix, il);
		f->hf_out[il] = '\0';
		f->hf_found = 1;
	}
	return 0;
}

int
config_hec_index(const struct config *cfg, const char *token, char *out,
    size_t outlen)
{
	struct config_hec_find f = { token, strlen(token), out, outlen, 0 };

	if (cfg == NULL || cfg->ingest_hec_tokens == NULL || f.hf_len == 0)
		return 0;
	(void)config_tokens_walk(cfg->ingest_hec_tokens, config_hec_cb, &f);
	return f.hf_found;
}

int
config_hec_enabled(const struct config *cfg)
{
	return cfg != NULL && cfg->ingest_hec_tokens != NULL &&
	    strpbrk(cfg->ingest_hec_tokens, "=") != NULL;
}

int64_t
config_running_per_user(const struct config *cfg)
{
	int64_t half = cfg->runner_max_concurrent / 2;

	if (cfg->runner_max_running_per_user > 0)
		return cfg->runner_max_running_per_user;
	return half > 1 ? half : 1;
}

/*
 * Writes "FILE:LINE: reason" (or "FILE: reason" when line is 0) into err and
 * returns -1.
 */
static int __attribute__((format(printf, 5, 6)))
config_fail(char *err, size_t errlen, const char *file, unsigned line,
    const char *fmt, ...)
{
	char reason[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	if (err != NULL && errlen > 0) {
		if (line > 0)
			snprintf(err, errlen, "%s:%u: %s", file, line, reason);
		else
			snprintf(err, errlen, "%s: %s", file, reason);
	}
	return -1;
}

/* Returns the table entry of the key name, or NULL. */
static const struct config_key *
config_key_find(const char *name)
{
	const struct config_key *k;

	for (k = config_keys; k < config_keys + CONFIG_NKEYS; k++)
		if (strcmp(k->ck_name, name) == 0)
			return k;
	return NULL;
}

/*
 * Parses all of s as a decimal integer with an optional '-'. Returns 0 and
 * *v; 1 when s is an integer too large for int64; -1 when s is not one.
 */
static int
config_parse_int(const char *s, int64_t *v)
{
	char *end;
	long long r;

	if (*s != '-' && (*s < '0' || *s > '9'))
		return -1;
	if (*s == '-' && (s[1] < '0' || s[1] > '9'))
		return -1;
	errno = 0;
	r = strtoll(s, &end, 10);
	if (*end != '\0')
		return -1;
	if (errno == ERANGE)
		return 1;
	*v = r;
	return 0;
}

/*
 * Parses a size: digits, optional blanks, an optional unit B, K, M, G, T,
 * KiB, MiB, GiB or TiB (any case; binary multiples). Returns 0 and *v; 1 when
 * the value does not fit in 64 bits; -1 when s is not a size.
 */
static int
config_parse_size(const char *s, uint64_t *v)
{
	static const struct {
		const char *unit;
		uint64_t mult;
	} units[] = {
		{ "", 1 }, { "b", 1 },
		{ "k", KIB }, { "kib", KIB }, { "m", MIB }, { "mib", MIB },
		{ "g", GIB }, { "gib", GIB }, { "t", TIB }, { "tib", TIB },
	};
	uint64_t n = 0;
	int big = 0;
	size_t u;

	if (*s < '0' || *s > '9')
		return -1;
	for (; *s >= '0' && *s <= '9'; s++) {
		if (n > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
			big = 1;
		else
			n = n * 10 + (uint64_t)(*s - '0');
	}
	while (*s == ' ' || *s == '\t')
		s++;
	for (u = 0; u < sizeof(units) / sizeof(units[0]); u++)
		if (strcasecmp(s, units[u].unit) == 0)
			break;
	if (u == sizeof(units) / sizeof(units[0]))
		return -1;
	if (big || n > UINT64_MAX / units[u].mult)
		return 1;
	*v = n * units[u].mult;
	return 0;
}

/* Writes v as "16MiB"-style text (the largest exact binary unit) into buf. */
static const char *
config_size_str(uint64_t v, char *buf, size_t len)
{
	static const struct {
		const char *unit;
		uint64_t mult;
	} units[] = {
		{ "TiB", TIB }, { "GiB", GIB }, { "MiB", MIB }, { "KiB", KIB },
	};

	for (size_t u = 0; u < sizeof(units) / sizeof(units[0]); u++)
		if (v != 0 && v % units[u].mult == 0) {
			snprintf(buf, len, "%llu%s",
			    (unsigned long long)(v / units[u].mult),
			    units[u].unit);
			return buf;
		}
	snprintf(buf, len, "%llu", (unsigned long long)v);
	return buf;
}

/* Parses a boolean word. Returns 0 or 1, or -1 when s is none of them. */
static int
config_parse_bool(const char *s)
{
	static const char *const yes[] = { "true", "yes", "on", "1" };
	static const char *const no[] = { "false", "no", "off", "0" };

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcasecmp(s, yes[i]) == 0)
			return 1;
		if (strcasecmp(s, no[i]) == 0)
			return 0;
	}
	return -1;
}

/*
 * Returns the absolute form of a relative storage path, resolved against the
 * directory of the configuration file (malloc'd), or NULL with errno set.
 * Leading "./" components of rel are dropped.
 */
static char *
config_resolve_path(const char *file, const char *rel)
{
	const char *slash;
	char *dir, *abs, *out;
	size_t dlen, n;

	slash = strrchr(file, '/');
	if (slash == NULL)
		dir = strdup(".");
	else if (slash == file)
		dir = strdup("/");
	else
		dir = strndup(file, (size_t)(slash - file));
	if (dir == NULL)
		return NULL;
	abs = realpath(dir, NULL);
	free(dir);
	if (abs == NULL)
		return NULL;
	for (;;) {
		if (strncmp(rel, "./", 2) == 0)
			rel += 2;
		else if (*rel == '/')
			rel++;
		else
			break;
	}
	if (strcmp(rel, ".") == 0)
		rel = "";
	dlen = strlen(abs);
	if (*rel == '\0')
		return abs;
	n = dlen + 1 + strlen(rel) + 1;
	if ((out = malloc(n)) == NULL) {
		free(abs);
		return NULL;
	}
	snprintf(out, n, "%s%s%s", abs, abs[dlen - 1] == '/' ? "" : "/", rel);
	free(abs);
	return out;
}

/* Returns 1 when c may be in an HEC token (letters, digits, '-'). */
static int
config_token_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '-';
}

/* Returns 1 when c may be in an index name written by ingest. */
static int
config_index_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
	    c == '_' || c == '-';
}

/*
 * Walks "TOKEN=INDEX, TOKEN=INDEX": calls cb (when not NULL) for each pair
 * with the token and index as (pointer, length). Returns NULL when the
 * whole list is well-formed (an empty list is), else the reason (static):
 * a token is 8..128 letters, digits and '-', an index 1..200 lower-case
 * letters, digits, '.', '_', '-' not starting with one of ".-_", and no
 * token appears twice. cb returning 1 stops the walk early (still NULL).
 */
static const char *
config_tokens_walk(const char *list, int (*cb)(void *, const char *, size_t,
    const char *, size_t), void *arg)
{
	const char *p = list, *t, *ix, *q;
	size_t tl, il;

	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (*p == '\0')
			return NULL;
		for (t = p; config_token_char(*p); p++)
			;
		tl = (size_t)(p - t);
		if (*p != '=')
			return "expected TOKEN=INDEX pairs separated by commas";
		if (tl < 8 || tl > 128)
			return "a token must be 8 to 128 letters, digits or '-'";
		for (ix = ++p; config_index_char(*p); p++)
			;
		il = (size_t)(p - ix);
		if (il == 0 || il > 200 || strchr("._-", *ix) != NULL)
			return "an index must be 1 to 200 lower-case letters, "
			    "digits, '.', '_' or '-', not starting with '.', '_' "
			    "or '-'";
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p != ',' && *p != '\0')
			return "expected TOKEN=INDEX pairs separated by commas";
		/* A token named twice would make the index ambiguous. */
		for (q = strstr(list, "="); q != NULL && q < t; q = strstr(q + 1, "=")) {
			const char *a = q;

			while (a > list && config_token_char(a[-1]))
				a--;
			if ((size_t)(q - a) == tl && memcmp(a, t, tl) == 0)
				return "a token is listed twice";
		}
		if (cb != NULL && cb(arg, t, tl, ix, il) == 1)
			return NULL;
	}
}

/* Returns NULL when value is a valid ingest.hec_tokens list, else why. */
static const char *
config_tokens_check(const char *value)
{
	return config_tokens_walk(value, NULL, NULL);
}

/*
 * Stores value into the setting k of cfg, after checking it. Returns 0, or
 * -1 with "FILE:LINE: key: reason" in err.
 */
static int
config_set(struct config *cfg, const struct config_key *k, const char *value,
    const char *file, unsigned line, char *err, size_t errlen)
{
	char *base = (char *)cfg, *copy = NULL, **slot;
	char dmerr[128], lo[32], hi[32];
	const char *const *c;
	const char *why;
	char reason[300];
	int64_t iv;
	uint64_t sv;
	int r;

	switch (k->ck_type) {
	case CONFIG_INT:
		r = config_parse_int(value, &iv);
		if (r == -1)
			return config_fail(err, errlen, file, line,
			    "%s: '%s' is not an integer", k->ck_name, value);
		if (r == 1)
			return config_fail(err, errlen, file, line,
			    "%s: %s is out of range %lld..%lld", k->ck_name,
			    value, (long long)k->ck_min, (long long)k->ck_max);
		if (iv < k->ck_min || iv > k->ck_max)
			return config_fail(err, errlen, file, line,
			    "%s: %lld is out of range %lld..%lld", k->ck_name,
			    (long long)iv, (long long)k->ck_min,
			    (long long)k->ck_max);
		*(int64_t *)(void *)(base + k->ck_off) = iv;
		return 0;
	case CONFIG_SIZE:
		r = config_parse_size(value, &sv);
		if (r == -1)
			return config_fail(err, errlen, file, line,
			    "%s: '%s' is not a size", k->ck_name, value);
		config_size_str((uint64_t)k->ck_min, lo, sizeof(lo));
		if (k->ck_max == 0 && r == 1)
			return config_fail(err, errlen, file, line,
			    "%s: '%s' is too large", k->ck_name, value);
		if (k->ck_max == 0 && sv < (uint64_t)k->ck_min)
			return config_fail(err, errlen, file, line,
			    "%s: '%s' is less than the minimum %s", k->ck_name,
			    value, lo);
		if (k->ck_max != 0 && (r == 1 || sv < (uint64_t)k->ck_min ||
		    sv > (uint64_t)k->ck_max))
			return config_fail(err, errlen, file, line,
			    "%s: '%s' is out of range %s..%s", k->ck_name,
			    value, lo, config_size_str((uint64_t)k->ck_max,
			    hi, sizeof(hi)));
		*(uint64_t *)(void *)(base + k->ck_off) = sv;
		return 0;
	case CONFIG_BOOL:
		if ((r = config_parse_bool(value)) == -1)
			return config_fail(err, errlen, file, line,
			    "%s: '%s' is not a boolean (true or false)",
			    k->ck_name, value);
		*(int *)(void *)(base + k->ck_off) = r;
		return 0;
	case CONFIG_CHOICE:
		for (c = k->ck_choices; *c != NULL; c++)
			if (strcasecmp(value, *c) == 0)
				break;
		if (*c == NULL) {
			char list[128] = "";

			for (c = k->ck_choices; *c != NULL; c++) {
				if (c != k->ck_choices)
					strncat(list, ", ",
					    sizeof(list) - strlen(list) - 1);
				strncat(list, *c,
				    sizeof(list) - strlen(list) - 1);
			}
			return config_fail(err, errlen, file, line,
			    "%s: '%s' is not one of %s", k->ck_name, value,
			    list);
		}
		copy = strdup(*c);
		break;
	case CONFIG_DATE:
		if (datemath_parse(value, 0, &iv, dmerr, sizeof(dmerr)) == -1)
			return config_fail(err, errlen, file, line,
			    "%s: '%s' is not a valid date: %s", k->ck_name,
			    value, dmerr);
		copy = strdup(value);
		break;
	case CONFIG_PATH:
		if (*value == '\0')
			return config_fail(err, errlen, file, line,
			    "%s: must not be empty", k->ck_name);
		if (*value == '/')
			copy = strdup(value);
		else if ((copy = config_resolve_path(file, value)) == NULL &&
		    errno != ENOMEM)
			return config_fail(err, errlen, file, line,
			    "%s: cannot resolve '%s': %s", k->ck_name, value,
			    strerror(errno));
		break;
	case CONFIG_FILE:
		if (*value == '\0' || *value == '/')
			copy = strdup(value);
		else if ((copy = config_resolve_path(file, value)) == NULL &&
		    errno != ENOMEM)
			return config_fail(err, errlen, file, line,
			    "%s: cannot resolve '%s': %s", k->ck_name, value,
			    strerror(errno));
		break;
	case CONFIG_WORD:
		if (*value == '\0')
			return config_fail(err, errlen, file, line,
			    "%s: must not be empty", k->ck_name);
		copy = strdup(value);
		break;
	case CONFIG_STRING:
		copy = strdup(value);
		break;
	case CONFIG_TOKENS:
		if ((why = config_tokens_check(value)) != NULL)
			return config_fail(err, errlen, file, line, "%s: %s",
			    k->ck_name, why);
		copy = strdup(value);
		break;
	case CONFIG_ACCESS:
		if (access_check(value, reason, sizeof(reason)) == -1)
			return config_fail(err, errlen, file, line, "%s: %s",
			    k->ck_name, reason);
		copy = strdup(value);
		break;
	case CONFIG_RETENTION: {
		struct retention_rule *rules;
		size_t nrules;

		if (retention_parse(value, &rules, &nrules, reason,
		    sizeof(reason)) == -1)
			return config_fail(err, errlen, file, line, "%s: %s",
			    k->ck_name, reason);
		free(rules);
		copy = strdup(value);
		break;
	}
	}
	if (copy == NULL)
		return config_fail(err, errlen, file, line, "out of memory");
	slot = config_str_slot(cfg, k);
	free(*slot);
	*slot = copy;
	return 0;
}

/*
 * Splits one line (NUL-terminated, newline removed) in place. Returns 1 with
 * *key and *value pointing into line, 0 for a blank or comment line, or -1
 * with the reason in *why.
 */
static int
config_split_line(char *line, char **key, char **value, const char **why)
{
	char *p, *eq, *e, *w;

	p = line;
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '\0' || *p == '#')
		return 0;
	*why = "expected 'key = value'";
	if ((eq = strchr(p, '=')) == NULL)
		return -1;
	e = eq;
	while (e > p && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	if (e == p)
		return -1;
	*e = '\0';
	if (strspn(p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789_.-@") != (size_t)(e - p))
		return -1;
	*key = p;

	p = eq + 1;
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '"') {
		/* Quoted: \" and \\ are escapes, other backslashes stay. */
		for (w = *value = ++p; *p != '"'; p++) {
			if (*p == '\0') {
				*why = "missing closing quote";
				return -1;
			}
			if (*p == '\\' && (p[1] == '"' || p[1] == '\\'))
				p++;
			*w++ = *p;
		}
		*w = '\0';
		p++;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p != '\0' && *p != '#') {
			*why = "unexpected text after the closing quote";
			return -1;
		}
		return 1;
	}
	/* Unquoted: a '#' after white space (or first) starts a comment. */
	*value = p;
	for (e = p; *e != '\0'; e++)
		if (*e == '#' && (e == p || e[-1] == ' ' || e[-1] == '\t'))
			break;
	while (e > p && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	*e = '\0';
	return 1;
}

int
config_access_rules(const struct config *cfg, char **rules, char *err,
    size_t errlen)
{
	const char *inl = cfg->auth_index_access != NULL ?
	    cfg->auth_index_access : "";
	char reason[700], *file, *both;
	size_t n;

	*rules = NULL;
	if (cfg->auth_index_access_file == NULL ||
	    *cfg->auth_index_access_file == '\0') {
		if ((*rules = strdup(inl)) == NULL) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		return 0;
	}
	if (access_load_file(cfg->auth_index_access_file, &file, reason,
	    sizeof(reason)) == -1) {
		snprintf(err, errlen, "auth.index_access_file: %s", reason);
		return -1;
	}
	if (!access_configured(inl)) {
		*rules = file;
		return 0;
	}
	n = strlen(inl) + 1 + strlen(file) + 1;
	if ((both = malloc(n)) == NULL) {
		free(file);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	snprintf(both, n, "%s;%s", inl, file);
	free(file);
	*rules = both;
	return 0;
}

/*
 * Reads the file line by line with getline, bounding each line to
 * CONFIG_LINE_MAX so that a stray binary file fails with a line number
 * instead of being parsed.
 */
int
config_load(struct config *cfg, const char *path, char *err, size_t errlen)
{
	const struct config_key *k;
	char *line = NULL, *key, *value;
	const char *why = NULL;
	char reason[800];
	size_t cap = 0;
	ssize_t n;
	unsigned lineno = 0;
	FILE *fp;
	int r, rc = -1;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	for (k = config_keys; k < config_keys + CONFIG_NKEYS; k++)
		if (config_is_string(k) && k->ck_def_str != NULL &&
		    *config_str_slot(cfg, k) == NULL)
			return config_fail(err, errlen, path, 0,
			    "out of memory");
	if ((fp = fopen(path, "r")) == NULL)
		return config_fail(err, errlen, path, 0, "%s",
		    strerror(errno));
	for (;;) {
		errno = 0;
		if ((n = getline(&line, &cap, fp)) == -1)
			break;
		lineno++;
		if (n > 0 && line[n - 1] == '\n')
			line[--n] = '\0';
		if (n > 0 && line[n - 1] == '\r')
			line[--n] = '\0';
		if (n > CONFIG_LINE_MAX) {
			config_fail(err, errlen, path, lineno,
			    "line is longer than %d bytes", CONFIG_LINE_MAX);
			goto done;
		}
		if (memchr(line, '\0', (size_t)n) != NULL) {
			config_fail(err, errlen, path, lineno,
			    "line holds a NUL byte");
			goto done;
		}
		key = line;
		/* A UTF-8 byte order mark some editors write. */
		if (lineno == 1 && strncmp(key, "\xef\xbb\xbf", 3) == 0)
			key += 3;
		r = config_split_line(key, &key, &value, &why);
		if (r == 0)
			continue;
		if (r == -1) {
			config_fail(err, errlen, path, lineno, "%s", why);
			goto done;
		}
		if ((k = config_key_find(key)) == NULL) {
			config_fail(err, errlen, path, lineno,
			    "unknown key '%s'", key);
			goto done;
		}
		if (config_set(cfg, k, value, path, lineno, err, errlen) == -1)
			goto done;
	}
	if (ferror(fp)) {
		config_fail(err, errlen, path, 0, "%s",
		    strerror(errno ? errno : EIO));
		goto done;
	}
	if (cfg->storage_path == NULL) {
		config_fail(err, errlen, path, 0, "storage.path is not set");
		goto done;
	}
	free(cfg->index_rules);
	if (config_access_rules(cfg, &cfg->index_rules, reason,
	    sizeof(reason)) == -1) {
		config_fail(err, errlen, path, 0, "%s", reason);
		goto done;
	}
	/* Kept so a program can hand the same file to one it starts. */
	free(cfg->config_file);
	if ((cfg->config_file = realpath(path, NULL)) == NULL) {
		config_fail(err, errlen, path, 0, "%s", strerror(errno));
		goto done;
	}
	rc = 0;
done:
	free(line);
	fclose(fp);
	return rc;
}
