/* test_events.c - the event store on a real LMDB in a temporary directory. */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "store/events.h"
#include "tap.h"

#define MAP_SIZE	(64ULL << 20)

struct ev {
	int64_t		 ev_ms;
	const char	*ev_json;
};

/* Loads events into index; returns 0 or -1 (err holds the reason). */
static int
load(struct evstore *es, const char *index, const struct ev *evs, size_t n,
    char *err, size_t errlen)
{
	struct evstore_ingest *ei;
	size_t i;

	if (evstore_ingest_begin(es, index, "@timestamp", &ei, err,
	    errlen) == -1)
		return -1;
	for (i = 0; i < n; i++)
		if (evstore_ingest_add(ei, evs[i].ev_ms, evs[i].ev_json,
		    strlen(evs[i].ev_json), err, errlen) == -1) {
			evstore_ingest_end(ei, NULL, 0);
			return -1;
		}
	return evstore_ingest_end(ei, err, errlen);
}

/*
 * Scans indices over [start, end) and writes the events as
 * "json@ms#index_no" joined by spaces into out. Returns the number of
 * events, or -1.
 */
static int
scan(struct evstore *es, const char *const *indices, size_t n, int64_t start,
    int64_t end, char *out, size_t outlen)
{
	struct evstore_scan *sc;
	const char *json;
	size_t len, no, used = 0;
	int64_t ms;
	int rc, count = 0;
	char err[256];

	out[0] = '\0';
	if (evstore_scan_open(es, indices, n, start, end, &sc, err,
	    sizeof(err)) == -1) {
		snprintf(out, outlen, "error: %s", err);
		return -1;
	}
	while ((rc = evstore_scan_next(sc, &json, &len, &ms, &no)) == 1) {
		used += snprintf(out + used, outlen - used, "%s%.*s@%lld#%zu",
		    count ? " " : "", (int)len, json, (long long)ms, no);
		if (used >= outlen)
			used = outlen - 1;
		count++;
	}
	evstore_scan_close(sc);
	return rc == 0 ? count : -1;
}

struct matches {
	char	m_text[512];
	int	m_stop_after;
};

static int
match_cb(void *arg, const char *name, uint64_t count)
{
	struct matches *m = arg;
	size_t used = strlen(m->m_text);

	snprintf(m->m_text + used, sizeof(m->m_text) - used, "%s%s=%llu",
	    used ? " " : "", name, (unsigned long long)count);
	return m->m_stop_after > 0 && --m->m_stop_after == 0;
}

/* Returns the matches of pattern as "name=count ..." (static storage). */
static const char *
match(struct evstore *es, const char *pattern, int stop_after, int *n)
{
	static struct matches m;

	memset(&m, 0, sizeof(m));
	m.m_stop_after = stop_after;
	*n = evstore_match(es, pattern, match_cb, &m);
	return m.m_text;
}

/*
 * In a child process with its own handle (never one across fork()), loads
 * 3000 1 KiB events into index "grown" with a 16 MiB map. Returns 0 when
 * the child reported success through a pipe (not its exit status, which
 * a leak checker would change: the child inherits the parent's handle).
 */
static int
grow_elsewhere(const char *dir)
{
	struct evstore *es = NULL;
	struct evstore_ingest *ei;
	char ev[1024], err[256], res = 0;
	int fds[2], rc;
	pid_t pid;

	fflush(stdout);
	if (pipe(fds) == -1 || (pid = fork()) == -1)
		return -1;
	if (pid == 0) {
		close(fds[0]);
		memset(ev, 'z', sizeof(ev));
		rc = evstore_open(&es, dir, 16 << 20, err, sizeof(err));
		if (rc == 0)
			rc = evstore_ingest_begin(es, "grown", "@timestamp",
			    &ei, err, sizeof(err));
		for (int i = 0; rc == 0 && i < 3000; i++)
			rc = evstore_ingest_add(ei, i, ev, sizeof(ev), err,
			    sizeof(err));
		if (rc == 0)
			rc = evstore_ingest_end(ei, err, sizeof(err));
		if (rc != 0)
			fprintf(stderr, "child: %s\n", err);
		evstore_close(es);
		res = rc == 0 ? 'y' : 'n';
		(void)write(fds[1], &res, 1);
		_exit(0);
	}
	close(fds[1]);
	if (read(fds[0], &res, 1) != 1)
		res = 0;
	close(fds[0]);
	waitpid(pid, NULL, 0);
	return res == 'y' ? 0 : -1;
}

static void
rm_store(const char *dir)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/events/data.mdb", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/events/lock.mdb", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/events", dir);
	rmdir(path);
	rmdir(dir);
}

static void
test_names(void)
{
	char longname[202];

	ok(evstore_index_name_ok("win-events_2024.01"), "plain name is valid");
	ok(evstore_index_name_ok("A"), "one letter is valid");
	ok(!evstore_index_name_ok(""), "empty name is invalid");
	ok(!evstore_index_name_ok("-a"), "leading '-' is invalid");
	ok(!evstore_index_name_ok(".a"), "leading '.' is invalid");
	ok(!evstore_index_name_ok("a b"), "space is invalid");
	ok(!evstore_index_name_ok("a/b"), "slash is invalid");
	ok(!evstore_index_name_ok("a*"), "star is invalid");
	memset(longname, 'x', 200);
	longname[200] = '\0';
	ok(evstore_index_name_ok(longname), "200 bytes is valid");
	longname[200] = 'x';
	longname[201] = '\0';
	ok(!evstore_index_name_ok(longname), "201 bytes is invalid");
}

/* Writes the indices matching pattern as "name:events:oldest..newest"
 * joined by spaces into out; returns out. */
static const char *
list(struct evstore *es, const char *pattern, char *out, size_t outlen)
{
	struct evstore_index_info *ii;
	size_t n, used = 0;
	char err[256];

	out[0] = '\0';
	if (evstore_indices(es, pattern, &ii, &n, err, sizeof(err)) == -1) {
		snprintf(out, outlen, "error: %s", err);
		return out;
	}
	for (size_t i = 0; i < n && used < outlen; i++)
		used += snprintf(out + used, outlen - used, "%s%s:%llu:%lld..%lld",
		    i ? " " : "", ii[i].ii_name,
		    (unsigned long long)ii[i].ii_events,
		    (long long)ii[i].ii_oldest, (long long)ii[i].ii_newest);
	free(ii);
	return out;
}

/* Returns the bytes evstore_indices reports for index, or 0. */
static uint64_t
index_bytes(struct evstore *es, const char *index)
{
	struct evstore_index_info *ii;
	size_t n;
	uint64_t b = 0;
	char err[256];

	if (evstore_indices(es, index, &ii, &n, err, sizeof(err)) == 0 &&
	    n == 1)
		b = ii[0].ii_bytes;
	free(ii);
	return b;
}

/* Returns the size of file path, or -1. */
static long long
file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? (long long)st.st_size : -1;
}

/* Listing, retention and deletion of indices on a store of its own. */
static void
test_admin(void)
{
	char tmpl[] = "/tmp/test_events3.XXXXXX";
	char dir[PATH_MAX], path[PATH_MAX + 16], err[256], out[4096];
	static char ev[1000];
	struct evstore *es;
	struct evstore_ingest *ei;
	const char *web[] = {"web"};
	long long size1;
	int64_t n;
	int rc, more, i;

	if (mkdtemp(tmpl) == NULL)
		return;
	snprintf(dir, sizeof(dir), "%s/events", tmpl);
	snprintf(path, sizeof(path), "%s/data.mdb", dir);
	if (evstore_open(&es, dir, MAP_SIZE, err, sizeof(err)) != 0) {
		ok(0, "open: %s", err);
		return;
	}
	memset(ev, 'x', sizeof(ev));
	ev[0] = '{';
	ev[sizeof(ev) - 1] = '}';
	is_str(list(es, "*", out, sizeof(out)), "", "an empty store lists none");
	/* web: 10 events at 1000..10000 ms; app: 3 at 5..7 ms. */
	rc = evstore_ingest_begin(es, "web", "@timestamp", &ei, err,
	    sizeof(err));
	for (i = 1; rc == 0 && i <= 10; i++)
		rc = evstore_ingest_add(ei, i * 1000, ev, sizeof(ev), err,
		    sizeof(err));
	if (rc == 0)
		rc = evstore_ingest_end(ei, err, sizeof(err));
	is_int(rc, 0, "load web (%s)", rc ? err : "ok");
	{
		static const struct ev app[] = {{5, "{}"}, {6, "{}"}, {7, "{}"}};

		is_int(load(es, "app", app, 3, err, sizeof(err)), 0, "load app");
	}
	is_str(list(es, "*", out, sizeof(out)),
	    "app:3:5..7 web:10:1000..10000", "list: events, oldest, newest");
	is_str(list(es, "w*", out, sizeof(out)), "web:10:1000..10000",
	    "list by pattern");
	is_int((int)index_bytes(es, "web"), 10 * (1000 + 20),
	    "bytes of web: keys and values");
	is_int((int)index_bytes(es, "app"), 3 * (2 + 20), "bytes of app");

	/* Age: everything before 4000 ms goes, 3 per transaction. */
	n = evstore_trim(es, "web", 4000, 0, 2, &more, err, sizeof(err));
	is_int((int)n, 2, "trim removes at most the batch");
	is_int(more, 1, "and says more is left");
	n = evstore_trim(es, "web", 4000, 0, 2, &more, err, sizeof(err));
	is_int((int)n, 1, "the rest of the old events");
	is_int(more, 0, "then nothing is left to do");
	n = evstore_trim(es, "web", 4000, 0, 2, &more, err, sizeof(err));
	is_int((int)n, 0, "a second pass removes nothing");
	is_str(list(es, "web", out, sizeof(out)), "web:7:4000..10000",
	    "events before the cutoff gone, the 7 at or after it kept");
	is_int(scan(es, web, 1, INT64_MIN, INT64_MAX, out, sizeof(out)), 7,
	    "a scan sees the 7");
	is_int((int)index_bytes(es, "web"), 7 * 1020, "bytes follow the trim");
	/* Size: at most 3 events' worth. */
	n = evstore_trim(es, "web", INT64_MIN, 3 * 1020, 100, &more, err,
	    sizeof(err));
	is_int((int)n, 4, "size limit removes the 4 oldest");
	is_str(list(es, "web", out, sizeof(out)), "web:3:8000..10000",
	    "the newest 3 kept");
	n = evstore_trim(es, "nope", 4000, 0, 10, &more, err, sizeof(err));
	is_int((int)n, 0, "trimming a missing index is nothing");

	/* Delete while a scan is open: the scan keeps its snapshot. */
	{
		struct evstore_scan *sc;
		const char *json;
		size_t len, no;
		int64_t ms;
		int cnt = 0;

		rc = evstore_scan_open(es, web, 1, INT64_MIN, INT64_MAX, &sc,
		    err, sizeof(err));
		is_int(rc, 0, "scan open before the delete");
		is_int(evstore_delete_index(es, "web", err, sizeof(err)), 0,
		    "delete web while a scan reads it");
		while (rc == 0 && evstore_scan_next(sc, &json, &len, &ms,
		    &no) == 1)
			cnt++;
		if (rc == 0)
			evstore_scan_close(sc);
		is_int(cnt, 3, "the open scan still reads its 3 events");
	}
	is_str(list(es, "*", out, sizeof(out)), "app:3:5..7",
	    "web is gone from the list");
	is_int(scan(es, web, 1, INT64_MIN, INT64_MAX, out, sizeof(out)), -1,
	    "a new scan of web fails");
	is_str(out, "error: no index 'web'", "as for a missing index");
	is_int(evstore_delete_index(es, "web", err, sizeof(err)), 1,
	    "deleting it again: no such index");
	is_str(err, "no index 'web'", "named in the reason");
	n = evstore_purge(es, 100, &more, err, sizeof(err));
	is_int((int)n, 0, "nothing is left to purge");

	/* Space is reused: load 2000 events, delete, load 2000 again. */
	rc = evstore_ingest_begin(es, "big", "@timestamp", &ei, err,
	    sizeof(err));
	for (i = 0; rc == 0 && i < 12000; i++)
		rc = evstore_ingest_add(ei, i, ev, sizeof(ev), err,
		    sizeof(err));
	if (rc == 0)
		rc = evstore_ingest_end(ei, err, sizeof(err));
	is_int(rc, 0, "load 12000 events into big (%s)", rc ? err : "ok");
	size1 = file_size(path);
	is_int(evstore_delete_index(es, "big", err, sizeof(err)), 0,
	    "delete big (3 purge transactions)");
	rc = evstore_ingest_begin(es, "big2", "@timestamp", &ei, err,
	    sizeof(err));
	for (i = 0; rc == 0 && i < 12000; i++)
		rc = evstore_ingest_add(ei, i, ev, sizeof(ev), err,
		    sizeof(err));
	if (rc == 0)
		rc = evstore_ingest_end(ei, err, sizeof(err));
	is_int(rc, 0, "load 12000 events again");
	ok(file_size(path) <= size1 + size1 / 10,
	    "the file did not grow by the second load (%lld -> %lld bytes)",
	    size1, file_size(path));
	is_str(list(es, "big*", out, sizeof(out)), "big2:12000:0..11999",
	    "only the new index");

	/* Delete while another process writes: both finish, nothing lost. */
	{
		pid_t pid;
		int status = -1;

		fflush(stdout);
		if ((pid = fork()) == 0) {
			struct evstore *ces;
			struct evstore_batch *eb;
			char f[64], cerr[256];
			uint64_t seq;
			int k, j, crc = 0;

			if (evstore_open(&ces, dir, MAP_SIZE, cerr,
			    sizeof(cerr)) != 0)
				_exit(1);
			for (k = 0; crc == 0 && k < 40; k++) {
				crc = evstore_batch_begin(ces, &eb, cerr,
				    sizeof(cerr));
				if (crc == 0)
					crc = evstore_batch_index(eb, "busy",
					    "@timestamp", f, sizeof(f), cerr,
					    sizeof(cerr));
				for (j = 0; crc == 0 && j < 500; j++)
					crc = evstore_batch_add(eb, "busy",
					    k * 500 + j, "{}", 2, &seq, cerr,
					    sizeof(cerr));
				if (crc == 0)
					crc = evstore_batch_commit(eb, cerr,
					    sizeof(cerr));
				else
					evstore_batch_abort(eb);
			}
			evstore_close(ces);
			_exit(crc == 0 ? 0 : 1);
		}
		rc = evstore_delete_index(es, "big2", err, sizeof(err));
		is_int(rc, 0, "delete big2 while another process writes (%s)",
		    rc ? err : "ok");
		waitpid(pid, &status, 0);
		ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		    "the writer's 40 batches all committed");
		is_str(list(es, "b*", out, sizeof(out)), "busy:20000:0..19999",
		    "every event of the writer is there, big2 is gone");
	}
	evstore_close(es);
	rm_store(tmpl);
}

int
main(void)
{
	static char out[1 << 16];
	char tmpl[] = "/tmp/test_events.XXXXXX";
	char tmpl2[] = "/tmp/test_events2.XXXXXX";
	char dir[PATH_MAX], err[256];
	struct evstore *es;
	struct evstore_ingest *ei;
	const char *both[] = {"alpha", "beta"}, *one[] = {"beta"};
	const char *three[] = {"alpha", "beta", "gamma"}, *nope[] = {"nope"};
	const char *bulkv[] = {"bulk"};
	static const struct ev alpha1[] = {
		{1000, "a1"}, {3000, "a2"},
	}, beta1[] = {
		{3000, "b1"},
	}, alpha2[] = {
		{2000, "a3"}, {3000, "a4"},
	}, beta2[] = {
		{500, "b2"}, {2000, "b3"},
	}, gamma1[] = {
		{-1, "g1"}, {0, "g2"}, {-86400000, "g3"}, {INT64_MIN, "g4"},
		{INT64_MAX, "g5"},
	};
	const char *exact =
	    "{ \"msg\": \"caf\xc3\xa9  \\u00e9\", \"n\" : 1.50 }";
	char *big;
	int n, rc;

	test_names();

	if (mkdtemp(tmpl) == NULL || mkdtemp(tmpl2) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(dir, sizeof(dir), "%s/events", tmpl);
	rc = evstore_open(&es, dir, MAP_SIZE, err, sizeof(err));
	is_int(rc, 0, "open creates the store (%s)", rc ? err : "ok");
	if (rc != 0)
		return done_testing();
	ok(access(dir, R_OK | W_OK | X_OK) == 0, "store directory exists");

	/* Interleaved loads: global ingest order a1 a2 b1 a3 a4 b2 b3. */
	is_int(load(es, "alpha", alpha1, 2, err, sizeof(err)), 0, "load alpha");
	is_int(load(es, "beta", beta1, 1, err, sizeof(err)), 0, "load beta");
	is_int(load(es, "alpha", alpha2, 2, err, sizeof(err)), 0,
	    "load alpha again");
	is_int(load(es, "beta", beta2, 2, err, sizeof(err)), 0,
	    "load beta again");

	n = scan(es, both, 2, INT64_MIN, INT64_MAX, out, sizeof(out));
	is_int(n, 7, "full scan of two indices returns all events");
	is_str(out, "a2@3000#0 b1@3000#1 a4@3000#0 a3@2000#0 b3@2000#1 "
	    "a1@1000#0 b2@500#1",
	    "merged newest first, equal times in ingest order");
	n = scan(es, one, 1, 0, 10000, out, sizeof(out));
	is_str(out, "b1@3000#0 b3@2000#0 b2@500#0", "one index alone");

	scan(es, both, 2, 1000, 3000, out, sizeof(out));
	is_str(out, "a3@2000#0 b3@2000#1 a1@1000#0",
	    "start inclusive, end exclusive");
	scan(es, both, 2, 3000, 3001, out, sizeof(out));
	is_str(out, "a2@3000#0 b1@3000#1 a4@3000#0", "one millisecond");
	scan(es, both, 2, 2001, 3000, out, sizeof(out));
	is_str(out, "", "range between events is empty");
	n = scan(es, both, 2, 3001, 10000, out, sizeof(out));
	is_int(n, 0, "range after every event is empty");
	n = scan(es, both, 2, 0, 500, out, sizeof(out));
	is_int(n, 0, "range ending at the oldest event is empty");
	n = scan(es, both, 2, 3000, 3000, out, sizeof(out));
	is_int(n, 0, "start == end is empty");
	n = scan(es, both, 2, 5000, 1000, out, sizeof(out));
	is_int(n, 0, "start > end is empty");
	n = scan(es, both, 0, 0, 10000, out, sizeof(out));
	is_int(n, 0, "no indices is empty");
	n = scan(es, nope, 1, 0, 10000, out, sizeof(out));
	is_int(n, -1, "unknown index is an error");
	is_str(out, "error: no index 'nope'", "unknown index message");

	/* Times around zero and at the ends of the range. */
	is_int(load(es, "gamma", gamma1, 5, err, sizeof(err)), 0, "load gamma");
	scan(es, three, 3, INT64_MIN, INT64_MAX, out, sizeof(out));
	is_str(out, "a2@3000#0 b1@3000#1 a4@3000#0 a3@2000#0 b3@2000#1 "
	    "a1@1000#0 b2@500#1 g2@0#2 g1@-1#2 g3@-86400000#2 "
	    "g4@-9223372036854775808#2",
	    "negative times sort before zero; INT64_MAX is past every end");
	scan(es, three, 3, -1, 1, out, sizeof(out));
	is_str(out, "g2@0#2 g1@-1#2", "range across zero");

	/* Glob matching, name order, counts. */
	is_str(match(es, "*", 0, &n), "alpha=4 beta=3 gamma=5",
	    "'*' matches all");
	is_int(n, 3, "'*' count");
	is_str(match(es, "al*", 0, &n), "alpha=4", "prefix pattern");
	is_str(match(es, "*a", 0, &n), "alpha=4 beta=3 gamma=5",
	    "suffix pattern");
	is_str(match(es, "*mm*", 0, &n), "gamma=5", "infix pattern");
	is_str(match(es, "beta", 0, &n), "beta=3", "exact name");
	is_str(match(es, "bet", 0, &n), "", "a prefix of a name is no match");
	is_int(n, 0, "no match is 0, not an error");
	is_str(match(es, "*", 2, &n), "alpha=4 beta=3", "callback stops walk");
	is_int(n, 2, "count when stopped");

	/* Errors at ingest_begin. */
	rc = evstore_ingest_begin(es, "alpha", "ts", &ei, err, sizeof(err));
	is_int(rc, -1, "time field mismatch fails");
	is_str(err, "index 'alpha' is keyed by '@timestamp', not 'ts'",
	    "time field mismatch message");
	rc = evstore_ingest_begin(es, "bad name", "@timestamp", &ei, err,
	    sizeof(err));
	is_int(rc, -1, "invalid index name fails");
	ok(strncmp(err, "invalid index name 'bad name'", 29) == 0,
	    "invalid index name message: %s", err);
	is_str(match(es, "bad*", 0, &n), "", "no index created for a bad name");

	/* Bytes are kept exactly, and large events work (overflow pages). */
	big = malloc(300000);
	memset(big, 'x', 299999);
	memcpy(big, "{\"k\":\"", 6);
	memcpy(big + 299999 - 2, "\"}", 2);
	big[299999] = '\0';
	{
		const struct ev ex[] = {{42, exact}, {41, big}};
		struct evstore_scan *sc;
		const char *json;
		size_t len, no;
		int64_t ms;
		const char *ix[] = {"exact"};

		is_int(load(es, "exact", ex, 2, err, sizeof(err)), 0,
		    "load exact");
		evstore_scan_open(es, ix, 1, 0, 100, &sc, err, sizeof(err));
		rc = evstore_scan_next(sc, &json, &len, &ms, &no);
		ok(rc == 1 && len == strlen(exact) &&
		    memcmp(json, exact, len) == 0,
		    "event stored byte for byte");
		rc = evstore_scan_next(sc, &json, &len, &ms, &no);
		ok(rc == 1 && len == 299999 && memcmp(json, big, len) == 0,
		    "large event stored byte for byte");
		is_int(evstore_scan_next(sc, &json, &len, &ms, &no), 0,
		    "then the end");
		is_int(evstore_scan_next(sc, &json, &len, &ms, &no), 0,
		    "and the end again");
		evstore_scan_close(sc);
	}
	free(big);

	/* Batches commit while the load runs: readers see progress. */
	rc = evstore_ingest_begin(es, "bulk", "@timestamp", &ei, err,
	    sizeof(err));
	for (int i = 0; rc == 0 && i < 4500; i++) {
		char ev[64];

		snprintf(ev, sizeof(ev), "{\"i\":%d}", i);
		rc = evstore_ingest_add(ei, 1000000 + i, ev, strlen(ev), err,
		    sizeof(err));
	}
	is_int(rc, 0, "4500 adds");
	is_str(match(es, "bulk", 0, &n), "bulk=4000",
	    "two committed batches visible during the load");
	n = scan(es, bulkv, 1, 0, INT64_MAX, out, sizeof(out));
	is_int(n, 4000, "scan during the load sees the committed batches");
	is_int(evstore_ingest_end(ei, err, sizeof(err)), 0, "end commits rest");
	is_str(match(es, "bulk", 0, &n), "bulk=4500", "count after the load");
	n = scan(es, bulkv, 1, 1004000, 1004003, out, sizeof(out));
	is_str(out, "{\"i\":4002}@1004002#0 {\"i\":4001}@1004001#0 "
	    "{\"i\":4000}@1004000#0", "last batch in order");

	/* A batch also commits at 4 MiB: 100000-byte events, 42 per batch. */
	big = malloc(100000);
	memset(big, ' ', 100000);
	big[0] = '{';
	big[99999] = '}';
	rc = evstore_ingest_begin(es, "wide", "@timestamp", &ei, err,
	    sizeof(err));
	for (int i = 0; rc == 0 && i < 45; i++)
		rc = evstore_ingest_add(ei, i, big, 100000, err, sizeof(err));
	is_str(match(es, "wide", 0, &n), "wide=42", "4 MiB batch committed");
	is_int(evstore_ingest_end(ei, err, sizeof(err)), 0, "end wide");
	is_str(match(es, "wide", 0, &n), "wide=45", "count after wide load");
	free(big);

	/* Reopen and add more: sequence continues after the old events. */
	evstore_close(es);
	rc = evstore_open(&es, dir, MAP_SIZE, err, sizeof(err));
	is_int(rc, 0, "reopen");
	{
		const struct ev more[] = {{3000, "a5"}, {999, "a6"}};

		is_int(load(es, "alpha", more, 2, err, sizeof(err)), 0,
		    "load after reopen");
	}
	scan(es, both, 2, 0, 10000, out, sizeof(out));
	is_str(out, "a2@3000#0 b1@3000#1 a4@3000#0 a5@3000#0 a3@2000#0 "
	    "b3@2000#1 a1@1000#0 a6@999#0 b2@500#1",
	    "new events merge after older ones of the same time");
	is_str(match(es, "*a", 0, &n), "alpha=6 beta=3 gamma=5",
	    "counts after reopen");
	{
		const struct ev d[] = {{1, "d1"}};

		is_int(load(es, "delta", d, 1, err, sizeof(err)), 0,
		    "new index after reopen");
		is_str(match(es, "*", 0, &n),
		    "alpha=6 beta=3 bulk=4500 delta=1 exact=2 gamma=5 wide=45",
		    "all indices in name order");
	}
	evstore_close(es);
	rm_store(tmpl);

	/* A tiny map fills up with a clear error. */
	snprintf(dir, sizeof(dir), "%s/events", tmpl2);
	rc = evstore_open(&es, dir, 1 << 20, err, sizeof(err));
	is_int(rc, 0, "open with a 1 MiB map");
	if (rc == 0) {
		char ev[1024];
		int i;

		memset(ev, 'y', sizeof(ev));
		rc = evstore_ingest_begin(es, "full", "@timestamp", &ei, err,
		    sizeof(err));
		for (i = 0; rc == 0 && i < 5000; i++)
			rc = evstore_ingest_add(ei, i, ev, sizeof(ev), err,
			    sizeof(err));
		if (rc == 0)
			rc = evstore_ingest_end(ei, err, sizeof(err));
		else
			evstore_ingest_end(ei, NULL, 0);
		is_int(rc, -1, "ingest into a full map fails");
		is_str(err, "event store is full "
		    "(storage.events_map_size = 1048576 bytes)",
		    "map full message");
		is_str(match(es, "full", 0, &n), "full=0",
		    "the lost batch is not counted");
		rc = evstore_ingest_begin(es, "full", "@timestamp", &ei, err,
		    sizeof(err));
		is_int(rc, 0, "begin after a failed ingest");
		if (rc == 0) {
			for (i = 0; rc == 0 && i < 100; i++)
				rc = evstore_ingest_add(ei, i, ev, sizeof(ev),
				    err, sizeof(err));
			if (rc == 0)
				rc = evstore_ingest_end(ei, err, sizeof(err));
			else
				evstore_ingest_end(ei, NULL, 0);
			is_int(rc, 0, "a small load still fits (%s)",
			    rc ? err : "ok");
		}
		is_int(grow_elsewhere(dir), 0,
		    "another process grows the map to 16 MiB and fills 3 MB");
		rc = evstore_ingest_begin(es, "full", "@timestamp", &ei, err,
		    sizeof(err));
		for (i = 0; rc == 0 && i < 2000; i++)
			rc = evstore_ingest_add(ei, i, ev, sizeof(ev), err,
			    sizeof(err));
		if (rc == 0)
			rc = evstore_ingest_end(ei, err, sizeof(err));
		is_int(rc, 0, "this handle adopts the grown map (%s)",
		    rc ? err : "ok");
		is_str(match(es, "*", 0, &n), "full=2100 grown=3000",
		    "both loads visible");
		evstore_close(es);
	}
	rm_store(tmpl2);
	test_admin();
	return done_testing();
}
