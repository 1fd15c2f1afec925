/*
 * fuzz_sml_query.c - libFuzzer target: whole SML queries, parsed with
 * sml_parse() and run with sml_run() over a small fixed event store and
 * lookup tables made at start in a temporary directory.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "common/csvtab.h"
#include "common/timeutil.h"
#include "sml/sml.h"
#include "store/events.h"
#include "store/lookups.h"

#include "ref_utf8.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FQ_USER		"fuzz"
#define FQ_MAX_RESULTS	1000		/* results taken from a run */
#define FQ_BUDGET_MS	200		/* a run is stopped after this */
#define FQ_MAP_SIZE	(64u << 20)
#define FQ_T0		1767225600000LL	/* 2026-01-01T00:00:00Z */
#define FQ_DAY		86400000LL

static char fq_root[4096];		/* the temporary directory */
static char fq_storage[4200];		/* fq_root/storage */
static struct evstore *fq_ev;
static int fq_show;			/* FUZZ_SML_QUERY_SHOW=1: print */

static const char *const fq_indices[] = {"web", "app", "metrics", "secret"};
#define FQ_NINDICES	(sizeof(fq_indices) / sizeof(fq_indices[0]))

/* The state of one run, which the callbacks check. */
struct fq_run {
	int r_utf8;		/* the query is valid UTF-8 */
	int r_stopped;		/* sx_emit or sx_poll asked to stop */
	int r_put;		/* outputlookup was called */
	int64_t r_deadline;	/* monotonic ms */
	uint64_t r_results;
};

/* A small deterministic generator (an LCG), so the events never change. */
static uint64_t fq_seed = 0x9e3779b97f4a7c15ULL;

/* Returns the next pseudo-random number below n (n > 0). */
static uint32_t
fq_rand(uint32_t n)
{
	fq_seed = fq_seed * 6364136223846793005ULL + 1442695040888963407ULL;
	return (uint32_t)(fq_seed >> 33) % n;
}

/* Aborts with a message: an invariant of the target does not hold. */
static void
fq_die(const char *what, const char *detail)
{
	fprintf(stderr, "fuzz_sml_query: %s%s%s\n", what,
	    detail != NULL ? ": " : "", detail != NULL ? detail : "");
	abort();
}

/* Removes path and everything under it (best effort). */
static void
fq_rm_rf(const char *path)
{
	struct dirent *d;
	struct stat st;
	char sub[8192];
	DIR *dp;

	if (lstat(path, &st) == -1)
		return;
	if (!S_ISDIR(st.st_mode)) {
		unlink(path);
		return;
	}
	if ((dp = opendir(path)) != NULL) {
		while ((d = readdir(dp)) != NULL) {
			if (strcmp(d->d_name, ".") == 0 ||
			    strcmp(d->d_name, "..") == 0)
				continue;
			snprintf(sub, sizeof(sub), "%s/%s", path, d->d_name);
			fq_rm_rf(sub);
		}
		closedir(dp);
	}
	rmdir(path);
}

/* atexit: closes the store and removes the temporary directory. */
static void
fq_cleanup(void)
{
	if (fq_ev != NULL)
		evstore_close(fq_ev);
	fq_ev = NULL;
	if (fq_root[0] != '\0')
		fq_rm_rf(fq_root);
	fq_root[0] = '\0';
}

/*
 * Returns 1 when directory path holds exactly the entries of names (a NULL
 * terminated list), else 0.
 */
static int
fq_dir_is(const char *path, const char *const *names)
{
	struct dirent *d;
	size_t n = 0, want = 0;
	DIR *dp;

	while (names[want] != NULL)
		want++;
	if ((dp = opendir(path)) == NULL)
		return 0;
	while ((d = readdir(dp)) != NULL) {
		size_t i;

		if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0)
			continue;
		for (i = 0; i < want; i++)
			if (strcmp(d->d_name, names[i]) == 0)
				break;
		if (i == want) {
			closedir(dp);
			return 0;
		}
		n++;
	}
	closedir(dp);
	return n == want;
}

/* Strings of the events: ASCII, Unicode, quotes, escapes, empty. */
static const char *const fq_words[] = {
	"GET", "POST", "error", "Error", "ok", "timeout", "", " ", "a b",
	"caf\xc3\xa9", "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e",
	"\xf0\x9f\x98\x80 smile",
	"\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82",
	"quote\"d", "back\\slash", "tab\there", "new\nline", "42", "-7",
	"3.14", "1e3", "true", "null", "*", "a*b", "x=y", "a,b", "O'Brien",
	"%41", "http://example.com/a?b=c&d=e", "10.0.0.1", "::1",
	"zero\xc2\xa0space", "\xe2\x80\x8b", "\xc3\x85ngstr\xc3\xb6m",
};
#define FQ_NWORDS	(sizeof(fq_words) / sizeof(fq_words[0]))

static const char *const fq_hosts[] = {
	"web-1", "web-2", "db-1", "DB-1", "cache", "h\xc3\xb4te", "",
};
#define FQ_NHOSTS	(sizeof(fq_hosts) / sizeof(fq_hosts[0]))

/* Numbers of the events: limits of the types, signs, fractions. */
static json_t *
fq_number(void)
{
	static const json_int_t ints[] = {
		0, 1, -1, 42, 200, 404, 500, 9007199254740993LL,
		INT64_MAX, INT64_MIN, 2147483648LL, -2147483649LL,
	};
	static const double reals[] = {
		0.5, -0.0, 1e300, -1e-300, 3.141592653589793, 1e15, 123456.789,
	};

	if (fq_rand(3) == 0)
		return json_real(reals[fq_rand(sizeof(reals) /
		    sizeof(reals[0]))]);
	return json_integer(ints[fq_rand(sizeof(ints) / sizeof(ints[0]))]);
}

/* Returns a random leaf value (new reference). */
static json_t *
fq_leaf(void)
{
	switch (fq_rand(6)) {
	case 0:
		return fq_number();
	case 1:
		return json_integer((json_int_t)fq_rand(1000));
	case 2:
		return fq_rand(2) ? json_true() : json_false();
	case 3:
		return json_null();
	default:
		return json_string(fq_words[fq_rand(FQ_NWORDS)]);
	}
}

/* Sets key of o to v (reference stolen), aborting when out of memory. */
static void
fq_set(json_t *o, const char *key, json_t *v)
{
	if (v == NULL || json_object_set_new(o, key, v) == -1)
		fq_die("init", "out of memory");
}

/*
 * Returns event number i of index ix (a new reference): times over three
 * days (some equal, some outside the task's range), a mix of value types,
 * nested objects, arrays and fields that are missing from some events.
 */
static json_t *
fq_event(size_t ix, int i, int64_t *time_ms)
{
	json_t *o = json_object(), *a, *n;
	char ts[32];
	int64_t t;

	if (o == NULL)
		fq_die("init", "out of memory");
	t = FQ_T0 + (int64_t)fq_rand(3 * 86400) * 1000 +
	    (fq_rand(4) == 0 ? 0 : fq_rand(1000));
	if (i % 50 == 7)
		t = FQ_T0 - FQ_DAY - 1000 * i;	/* before the range */
	if (i % 61 == 3)
		t = FQ_T0 + 12 * 3600000LL;	/* many at the same time */
	*time_ms = t;
	fq_set(o, "@timestamp", json_string(time_format_iso(t, ts)));
	fq_set(o, "host", json_string(fq_hosts[fq_rand(FQ_NHOSTS)]));
	fq_set(o, "n", json_integer(i));
	switch (ix) {
	case 0:	/* web: access logs */
		fq_set(o, "method", json_string(fq_rand(3) ? "GET" : "POST"));
		fq_set(o, "status", json_integer(fq_rand(5) ? 200 :
		    fq_rand(2) ? 404 : 500));
		if (fq_rand(5))
			fq_set(o, "bytes", json_integer(fq_rand(100000)));
		fq_set(o, "uri", json_string(fq_rand(2) ? "/index.html" :
		    "/api/v1/items?id=7"));
		if (fq_rand(3) == 0)
			fq_set(o, "status_text", json_string(fq_rand(2) ?
			    "404" : "OK"));
		break;
	case 1:	/* app: nested objects and arrays */
		n = json_object();
		fq_set(n, "name", json_string(fq_words[fq_rand(FQ_NWORDS)]));
		fq_set(n, "id", fq_number());
		a = json_array();
		for (uint32_t k = fq_rand(4); k > 0; k--)
			json_array_append_new(a, fq_leaf());
		fq_set(n, "tags", a);
		if (fq_rand(2)) {
			json_t *deep = json_object();

			fq_set(deep, "level", json_integer(fq_rand(5)));
			fq_set(deep, "x.y", fq_leaf());
			fq_set(n, "deep", deep);
		}
		fq_set(o, "user", n);
		fq_set(o, "msg", json_string(fq_words[fq_rand(FQ_NWORDS)]));
		fq_set(o, "level", json_string(fq_rand(4) ? "info" : "error"));
		if (fq_rand(3) == 0) {
			a = json_array();
			for (uint32_t k = fq_rand(3); k > 0; k--) {
				json_t *e = json_object();

				fq_set(e, "k", json_string(fq_words[
				    fq_rand(FQ_NWORDS)]));
				fq_set(e, "v", fq_leaf());
				json_array_append_new(a, e);
			}
			fq_set(o, "items", a);
		}
		if (fq_rand(4) == 0)
			fq_set(o, "a.b", fq_leaf());
		break;
	case 2:	/* metrics: numbers, some as strings */
		fq_set(o, "cpu", json_real((double)fq_rand(10000) / 100));
		fq_set(o, "mem", fq_number());
		if (fq_rand(2))
			fq_set(o, "load", json_string(fq_rand(2) ? "0.75" :
			    "n/a"));
		fq_set(o, "caf\xc3\xa9 field", fq_leaf());
		fq_set(o, "with space", fq_leaf());
		break;
	default:	/* secret: an index the task may not read */
		fq_set(o, "secret", json_string("not for this task"));
		break;
	}
	if (fq_rand(7) == 0)
		fq_set(o, "extra", fq_leaf());
	return o;
}

/* Loads index ix with count events; aborts on any failure. */
static void
fq_load(size_t ix, int count)
{
	struct evstore_ingest *in;
	struct evstore_verify v;
	char err[512];

	if (evstore_ingest_begin(fq_ev, fq_indices[ix], "@timestamp", &in, err,
	    sizeof(err)) == -1)
		fq_die("init: ingest", err);
	for (int i = 0; i < count; i++) {
		int64_t t;
		json_t *o = fq_event(ix, i, &t);
		char *s = json_dumps(o, JSON_COMPACT);

		if (s == NULL || evstore_ingest_add(in, t, s, strlen(s), err,
		    sizeof(err)) == -1)
			fq_die("init: ingest", err);
		free(s);
		json_decref(o);
	}
	if (evstore_ingest_end(in, err, sizeof(err)) == -1)
		fq_die("init: ingest", err);
	/* The newest events, a few small ones, stay in the tail. */
	if (evstore_ingest_begin(fq_ev, fq_indices[ix], "@timestamp", &in, err,
	    sizeof(err)) == -1)
		fq_die("init: ingest", err);
	for (int i = 0; i < 3; i++) {
		int64_t t = FQ_T0 + 3 * FQ_DAY - 1000 * (3 - i);
		char ts[32], ev[128];

		snprintf(ev, sizeof(ev), "{\"@timestamp\":\"%s\","
		    "\"host\":\"late\",\"n\":%d}", time_format_iso(t, ts),
		    count + i);
		if (evstore_ingest_add(in, t, ev, strlen(ev), err,
		    sizeof(err)) == -1)
			fq_die("init: ingest", err);
	}
	if (evstore_ingest_end(in, err, sizeof(err)) == -1)
		fq_die("init: ingest", err);
	/* Both the blocks and the tail are scanned. */
	if (evstore_verify(fq_ev, fq_indices[ix], &v, err, sizeof(err)) != 0)
		fq_die("init: verify", err);
	if (count > 20 && (v.ev_blocks == 0 || v.ev_tail == 0))
		fq_die("init", "an index without blocks or without a tail");
}

/* Stores a lookup table; aborts on failure. */
static void
fq_table(int shared, const char *name, const char *csv)
{
	struct lookup_limits lim = {1u << 20, 10000};
	char err[512];

	if (lookup_put(fq_storage, FQ_USER, shared, name, csv, strlen(csv),
	    &lim, NULL, NULL, err, sizeof(err)) == -1)
		fq_die("init: lookup", err);
}

/*
 * Makes the temporary storage in TMPDIR (run.sh's work directory, which it
 * removes even after a crash, when no atexit handler runs): the event
 * store with its indices and the lookup tables.
 */
int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *tmp = getenv("TMPDIR");
	char err[512], path[4300];

	(void)argc;
	(void)argv;
	fq_show = getenv("FUZZ_SML_QUERY_SHOW") != NULL;
	snprintf(fq_root, sizeof(fq_root), "%s/asyncreq-fq.XXXXXX",
	    tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp");
	if (mkdtemp(fq_root) == NULL) {
		fq_root[0] = '\0';
		fq_die("init", "mkdtemp");
	}
	atexit(fq_cleanup);
	snprintf(fq_storage, sizeof(fq_storage), "%s/storage", fq_root);
	snprintf(path, sizeof(path), "%s/events", fq_storage);
	if (mkdir(fq_storage, 0700) == -1 || mkdir(path, 0700) == -1)
		fq_die("init", "mkdir");
	if (evstore_open(&fq_ev, path, FQ_MAP_SIZE, err, sizeof(err)) == -1)
		fq_die("init: open", err);
	evstore_set_block_bytes(fq_ev, 1024);
	fq_load(0, 200);
	fq_load(1, 120);
	fq_load(2, 80);
	fq_load(3, 10);
	fq_table(1, "hosts",
	    "host,owner,zone,weight\n"
	    "web-1,alice,eu,1\n"
	    "web-2,bob,us,2\n"
	    "db-1,\"carol, the dba\",eu,3\n"
	    "cache,,us,\n"
	    "h\xc3\xb4te,\xc3\xa9lise,\xe6\x97\xa5,4.5\n"
	    "web-1,dup,eu,9\n");
	fq_table(1, "codes",
	    "status,meaning\n"
	    "200,OK\n"
	    "404,Not Found\n"
	    "500,\"Internal \"\"Server\"\" Error\"\n");
	fq_table(0, "mine",
	    "level,sev\n"
	    "info,1\n"
	    "error,3\n");
	return 0;
}

/* sx_emit_index: checks one result; stops the run at FQ_MAX_RESULTS. */
static int
fq_emit(void *arg, const char *json, size_t len, const char *index)
{
	struct fq_run *r = arg;
	json_error_t je;
	json_t *o;

	if (r->r_results >= FQ_MAX_RESULTS)
		fq_die("a result after the run was asked to stop", NULL);
	r->r_results++;
	if (index != NULL) {
		size_t i;

		for (i = 0; i < FQ_NINDICES - 1; i++)
			if (strcmp(index, fq_indices[i]) == 0)
				break;
		if (i == FQ_NINDICES - 1)
			fq_die("a result from an index the task may not read "
			    "or that does not exist", index);
	}
	if (len < 2 || json[0] != '{' || json[len - 1] != '}')
		fq_die("a result that is not an object", NULL);
	if (r->r_utf8) {
		if (!ref_utf8_ok((const unsigned char *)json, len))
			fq_die("a result that is not valid UTF-8 (the query "
			    "and the events are)", NULL);
		o = json_loadb(json, len, JSON_ALLOW_NUL, &je);
		if (o == NULL)
			fq_die("a result Jansson does not read", je.text);
		if (!json_is_object(o))
			fq_die("a result that is not an object", NULL);
		json_decref(o);
	}
	if (fq_show)
		fprintf(stderr, "result %s: %.*s\n", index != NULL ? index :
		    "-", (int)len, json);
	if (r->r_results >= FQ_MAX_RESULTS) {
		r->r_stopped = 1;
		return 1;
	}
	return 0;
}

/* sx_log: a message must be a terminated string of a known level. */
static void
fq_log(void *arg, enum sml_log_level lvl, const char *msg)
{
	(void)arg;
	if (lvl < SML_LOG_DEBUG || lvl > SML_LOG_ERROR || msg == NULL)
		fq_die("a log line without a level or text", NULL);
	(void)strlen(msg);
}

/* sx_poll: stops the run once its time budget is spent. */
static int
fq_poll(void *arg, uint64_t scanned, double progress)
{
	struct fq_run *r = arg;

	(void)scanned;
	if (!(progress >= 0 && progress <= 1))
		fq_die("a progress outside [0, 1]", NULL);
	if (time_mono_ms() > r->r_deadline) {
		r->r_stopped = 1;
		return 1;
	}
	return 0;
}

/* sx_may_read: every index but "secret". */
static int
fq_may_read(void *arg, const char *index)
{
	(void)arg;
	return strcmp(index, "secret") != 0;
}

/* sx_lookup_get: the store's own. */
static int
fq_lookup_get(void *arg, const char *name, uint64_t max_bytes, char **data,
    size_t *len, char *err, size_t errlen)
{
	struct lookup_user lu = {fq_storage, FQ_USER, {1u << 20, 10000}};

	(void)arg;
	if (lookup_sml_get(&lu, name, max_bytes, data, len, err, errlen) == 0)
		return 0;
	if (err[0] == '\0')
		fq_die("a lookup refused without a reason", name);
	return -1;
}

/*
 * sx_lookup_put: the store's own, which must refuse a name that is not a
 * table name and write nothing but the table in the user's directory.
 */
static int
fq_lookup_put(void *arg, const char *name, const char *data, size_t len,
    char *err, size_t errlen)
{
	struct lookup_user lu = {fq_storage, FQ_USER, {1u << 20, 10000}};
	struct fq_run *r = arg;
	struct stat st;
	char path[8192];

	r->r_put = 1;
	if (lookup_sml_put(&lu, name, data, len, err, errlen) == -1) {
		if (err[0] == '\0')
			fq_die("outputlookup refused without a reason", name);
		return -1;
	}
	if (!csvtab_name_ok(name))
		fq_die("outputlookup wrote a table of a bad name", name);
	snprintf(path, sizeof(path), "%s/lookups/users/%s/%s.csv", fq_storage,
	    FQ_USER, name);
	if (stat(path, &st) == -1 || !S_ISREG(st.st_mode))
		fq_die("outputlookup wrote no table where it belongs", name);
	return 0;
}

/*
 * After a run that wrote lookup tables: nothing was written outside the
 * user's lookup directory, which is then emptied but for the fixed table
 * "mine" (rewritten), so every run sees the same tables.
 */
static void
fq_after_put(void)
{
	static const char *const root[] = {"storage", NULL};
	static const char *const st[] = {"events", "lookups", NULL};
	static const char *const lk[] = {"shared", "users", NULL};
	static const char *const us[] = {FQ_USER, NULL};
	static const char *const sh[] = {"hosts.csv", "codes.csv", NULL};
	char path[8192];

	if (!fq_dir_is(fq_root, root))
		fq_die("outputlookup wrote outside the storage", NULL);
	if (!fq_dir_is(fq_storage, st))
		fq_die("outputlookup wrote outside STORAGE/lookups", NULL);
	snprintf(path, sizeof(path), "%s/lookups", fq_storage);
	if (!fq_dir_is(path, lk))
		fq_die("outputlookup wrote outside the lookup tables", NULL);
	snprintf(path, sizeof(path), "%s/lookups/shared", fq_storage);
	if (!fq_dir_is(path, sh))
		fq_die("outputlookup wrote a shared table", NULL);
	snprintf(path, sizeof(path), "%s/lookups/users", fq_storage);
	if (!fq_dir_is(path, us))
		fq_die("outputlookup wrote another user's table", NULL);
	snprintf(path, sizeof(path), "%s/lookups/users/%s", fq_storage,
	    FQ_USER);
	fq_rm_rf(path);
	fq_table(0, "mine",
	    "level,sev\n"
	    "info,1\n"
	    "error,3\n");
}

/*
 * Input: a query text. One that sml_parse() accepts is run over the fixed
 * store with tight limits: at most FQ_MAX_RESULTS results (the sink then
 * asks to stop), FQ_BUDGET_MS of time (sx_poll then asks to stop), 64 MiB
 * of memory held by commands, 100 subsearch results, max_qsize 100000.
 * Aborts when: a result is not a JSON object, or not valid UTF-8 (and read
 * by Jansson) when the query is valid UTF-8; a result comes after the sink
 * asked to stop, or from an index that does not exist or may not be read;
 * a run fails without a reason, or reports an unknown result, or DONE
 * after a callback asked to stop; a progress is outside [0, 1]; a lookup
 * or outputlookup is refused without a reason; outputlookup accepts a
 * name that is not a table name, or writes anything but the user's table.
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sml_limits plim = {
		.sl_max_qsize = 100000,
		.sl_max_query_bytes = 65536,
	};
	struct sml_run_limits rlim = {
		.rl_sort_limit = 10000,
		.rl_list_limit = 100,
		.rl_max_groups = 1000,
		.rl_max_memory = 64u << 20,
		.rl_timeline_buckets = 200,
		.rl_max_qsize = 100000,
		.rl_regex_match_limit = 100000,
		.rl_regex_depth_limit = 10000,
		.rl_max_lookup_bytes = 1u << 20,
		.rl_max_lookup_rows = 10000,
		.rl_max_subsearch = 100,
	};
	struct sml_query *q = NULL;
	struct sml_error perr;
	struct sml_ctx ctx;
	struct fq_run r;
	enum sml_run_result res;
	uint64_t scanned = 12345;
	char err[512];

	if (sml_parse((const char *)data, size, &plim, &q, &perr) == -1) {
		if (fq_show)
			fprintf(stderr, "parse: %s\n", perr.se_msg);
		return 0;
	}
	if (q == NULL)
		fq_die("a parse without a query", NULL);
	memset(&r, 0, sizeof(r));
	r.r_utf8 = ref_utf8_ok(data, size);
	r.r_deadline = time_mono_ms() + FQ_BUDGET_MS;
	memset(&ctx, 0, sizeof(ctx));
	ctx.sx_events = fq_ev;
	ctx.sx_now = FQ_T0 + 3 * FQ_DAY;
	ctx.sx_range_start = FQ_T0 - 2 * FQ_DAY;
	ctx.sx_range_end = FQ_T0 + 4 * FQ_DAY;
	ctx.sx_dt_field = "@timestamp";
	ctx.sx_limits = &rlim;
	ctx.sx_arg = &r;
	ctx.sx_emit_index = fq_emit;
	ctx.sx_log = fq_log;
	ctx.sx_poll = fq_poll;
	ctx.sx_may_read = fq_may_read;
	ctx.sx_lookup_get = fq_lookup_get;
	ctx.sx_lookup_put = fq_lookup_put;
	ctx.sx_lookup_arg = &r;
	memset(err, 0x5a, sizeof(err));
	res = sml_run(q, &ctx, &scanned, err, sizeof(err));
	sml_query_free(q);
	if (memchr(err, '\0', sizeof(err)) == NULL)
		fq_die("an unterminated reason", NULL);
	if (fq_show)
		fprintf(stderr, "run: %d, %llu results, %llu scanned: %s\n",
		    (int)res, (unsigned long long)r.r_results,
		    (unsigned long long)scanned, err);
	switch (res) {
	case SML_RUN_ERROR:
		if (err[0] == '\0')
			fq_die("a failed run without a reason", NULL);
		break;
	case SML_RUN_DONE:
		if (r.r_stopped)
			fq_die("a run done after it was asked to stop", NULL);
		break;
	case SML_RUN_STOPPED:
		if (!r.r_stopped)
			fq_die("a run stopped that nothing stopped", NULL);
		break;
	default:
		fq_die("an unknown run result", NULL);
	}
	if (r.r_results > FQ_MAX_RESULTS)
		fq_die("more results than the cap", NULL);
	if (r.r_put)
		fq_after_put();
	return 0;
}
