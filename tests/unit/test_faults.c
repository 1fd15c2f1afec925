/* test_faults.c - failure injection: the Nth store write, commit or read fails. */
#define _GNU_SOURCE	/* memmem */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <lmdb.h>

#include "common/buf.h"
#include "common/config.h"
#include "common/timeutil.h"
#include "runner/runner.h"
#include "store/store.h"
#include "page.h"
#include "tap.h"

/*
 * The hook: counts the operations of the kinds in fault_mask and fails the
 * fault_at-th with fault_err; with fault_sticky, every later one too (a
 * disk that stays full). The counters live in a shared mapping so that a
 * forked executor's count reaches the parent.
 */
struct fault_state {
	unsigned fs_mask;
	long fs_at;
	int fs_err;
	int fs_sticky;
	long fs_count;
	long fs_fired;
};
static struct fault_state *fs;

static int
fault_hook(enum store_op op)
{
	if (!(fs->fs_mask & (1u << op)))
		return 0;
	fs->fs_count++;
	if (fs->fs_count == fs->fs_at ||
	    (fs->fs_sticky && fs->fs_count > fs->fs_at)) {
		fs->fs_fired++;
		return fs->fs_err;
	}
	return 0;
}

static void
fault_arm(unsigned mask, long at, int err, int sticky)
{
	fs->fs_mask = mask;
	fs->fs_at = at;
	fs->fs_err = err;
	fs->fs_sticky = sticky;
	fs->fs_count = fs->fs_fired = 0;
	store_fault = fault_hook;
}

static void
fault_disarm(void)
{
	store_fault = NULL;
}

#define WRITES ((1u << STORE_OP_PUT) | (1u << STORE_OP_COMMIT))
#define READS (1u << STORE_OP_READ)

static void
new_task(struct task *t, const char *query)
{
	memset(t, 0, sizeof(*t));
	t->t_owner = strdup("alice");
	t->t_query = strdup(query);
	t->t_dt_field = strdup("@timestamp");
	t->t_dt_start = strdup("now-15m");
	t->t_dt_end = strdup("now");
	t->t_created = t->t_now = time_now_ms();
	t->t_range_start = t->t_now - 15 * 60000;
	t->t_range_end = t->t_now;
	t->t_calc_stats = 1;
}

/* Reading results: counts them and checks each is the next number. */
struct seen {
	uint64_t sn_count;
	uint64_t sn_first;	/* number expected first */
	int sn_order;		/* 1 while every event was the expected one */
	const char *sn_key;	/* "n" (store walk) or "number" (executor) */
};

static int
seen_begin(void *arg, const struct task *t, uint64_t from, uint64_t to)
{
	(void)arg;
	(void)t;
	(void)from;
	(void)to;
	return 0;
}

static int
seen_event(void *arg, const char *json, size_t len)
{
	struct seen *s = arg;
	char want[64];
	int n = snprintf(want, sizeof(want), "\"%s\":%llu", s->sn_key,
	    (unsigned long long)(s->sn_first + s->sn_count));

	if (memmem(json, len, want, (size_t)n) == NULL)
		s->sn_order = 0;
	s->sn_count++;
	return 0;
}

/* Reads every result of id (faults off): AR_OK and *seen filled. */
static int
read_all(struct store *st, const char *id, const char *key, uint64_t first,
    struct seen *s, struct task *t)
{
	memset(s, 0, sizeof(*s));
	s->sn_order = 1;
	s->sn_key = key;
	s->sn_first = first;
	return store_results_read(st, id, 0, UINT64_MAX, t, seen_begin,
	    seen_event, s);
}

/* Deletes every task (faults off), so each walk step starts alike. */
static int
del_cb(void *arg, const struct task *t)
{
	struct buf *ids = arg;

	return buf_append(ids, t->t_id, TASK_ID_LEN);
}

static void
delete_all(struct store *st)
{
	struct buf ids = BUF_INIT;
	char id[TASK_ID_LEN + 1];

	store_task_list(st, NULL, -1, del_cb, &ids);
	for (size_t i = 0; i + TASK_ID_LEN <= ids.b_len; i += TASK_ID_LEN) {
		memcpy(id, ids.b_data + i, TASK_ID_LEN);
		id[TASK_ID_LEN] = '\0';
		store_task_delete(st, id);
	}
	buf_free(&ids);
}

/* Outcomes of a walk, for the summary line. */
struct tally {
	int ty_done, ty_failed, ty_refused, ty_bad;
	char ty_first_bad[400];
};

static void
tally_bad(struct tally *ty, long n, const char *what)
{
	if (ty->ty_bad++ == 0)
		snprintf(ty->ty_first_bad, sizeof(ty->ty_first_bad),
		    "N = %ld: %s", n, what);
}

#define PAGES 5
#define PER_PAGE 300

/*
 * One whole task through the store functions the executor uses, with the
 * caller's fault armed, handled as the executor and the runner handle
 * failures: a failed page or progress write ends the task FAILED; a failed
 * end is retried once, then left to the runner (which fails it). Checks
 * the outcome with faults off.
 */
static void
walk_task(struct store *st, long n, struct tally *ty)
{
	struct buf page = BUF_INIT;
	struct task t, got;
	struct seen s;
	uint64_t token = 1000 + (uint64_t)n, written = 0;
	int rc, cancel, failed = 0;
	char why[300];

	new_task(&t, "makeresults count=1500");
	if ((rc = store_task_create(st, &t, why, sizeof(why))) != AR_OK) {
		fault_disarm();
		if (rc != AR_EFULL && rc != AR_EINTERNAL)
			tally_bad(ty, n, "create: an unexpected code");
		else if (store_task_get(st, t.t_id, &got) != AR_ENOTFOUND)
			tally_bad(ty, n, "a failed create left a task");
		else if (strncmp(why, rc == AR_EFULL ? "storage is full" :
		    "task store write failed", 15) != 0)
			tally_bad(ty, n, why);
		else
			ty->ty_refused++;
		task_clear(&got);
		task_clear(&t);
		return;
	}
	task_clear(&t);
	if (store_task_claim(st, token, 1, &t) != AR_OK) {
		fault_disarm();
		/* Not claimed: still QUEUED, and the next claim gets it. */
		if (store_task_claim(st, token, 1, &t) != AR_OK ||
		    t.t_state != TASK_RUNNING)
			tally_bad(ty, n, "a failed claim lost the task");
		else
			ty->ty_refused++;
		task_clear(&t);
		return;
	}
	(void)store_task_set_exec(st, t.t_id, token, 42);	/* ignored */
	for (int p = 0; p < PAGES && !failed; p++) {
		make_page(&page, p * PER_PAGE, PER_PAGE);
		rc = store_page_append(st, t.t_id, token, page.b_data,
		    page.b_len, PER_PAGE, 0, 0.1 * p, p == 0 ? "[\"n\"]" : NULL,
		    p == 0 ? 5 : 0, &cancel);
		if (rc == AR_OK)
			written += PER_PAGE;
		else
			failed = 1;
	}
	if (!failed && store_task_progress(st, t.t_id, token, 1500, 0.9,
	    &cancel) != AR_OK)
		failed = 1;
	if (!failed)
		(void)store_stats_put(st, t.t_id, token, "sidebar", "{}", 2);
	snprintf(why, sizeof(why), "storage write failed (%s)", store_error());
	rc = store_task_finish(st, t.t_id, token, failed ? TASK_FAILED :
	    TASK_DONE, failed ? why : NULL, failed ? "ERROR" : "INFO", "end");
	if (rc != AR_OK)
		rc = store_task_finish(st, t.t_id, token, failed ?
		    TASK_FAILED : TASK_DONE, failed ? why : NULL, "INFO", "end");
	fault_disarm();
	if (rc != AR_OK) {
		/* The runner's part: an executor that could not end its task
		 * exits 3, and the runner fails the task. */
		if (store_task_get(st, t.t_id, &got) != AR_OK ||
		    got.t_state != TASK_RUNNING)
			tally_bad(ty, n, "an end that failed changed the task");
		task_clear(&got);
		store_task_finish(st, t.t_id, 0, TASK_FAILED,
		    "executor died: exited with status 3", "ERROR", "died");
	}
	if ((rc = read_all(st, t.t_id, "n", 0, &s, &got)) != AR_OK)
		tally_bad(ty, n, "the results cannot be read");
	else if (got.t_state == TASK_DONE) {
		if (got.t_results != PAGES * PER_PAGE ||
		    s.sn_count != PAGES * PER_PAGE || !s.sn_order)
			tally_bad(ty, n, "DONE without all its results");
		else
			ty->ty_done++;
	} else if (got.t_state == TASK_FAILED) {
		if (got.t_error == NULL || got.t_error[0] == '\0')
			tally_bad(ty, n, "FAILED without a reason");
		else if (got.t_results != s.sn_count || !s.sn_order ||
		    s.sn_count % PER_PAGE != 0 || s.sn_count > written)
			tally_bad(ty, n, "FAILED with results that do not add up");
		else
			ty->ty_failed++;
	} else
		tally_bad(ty, n, "neither DONE nor FAILED");
	task_clear(&got);
	task_clear(&t);
	buf_free(&page);
}

/*
 * One download's reads (the column list, then every result, then a range)
 * with the read fault armed: each call answers its error or the exact
 * full answer.
 */
static void
walk_download(struct store *st, const char *id, long n, struct tally *ty)
{
	struct seen s;
	struct task t;
	char *doc;
	size_t len;
	int rc, bad = 0, failed = 0;

	rc = store_stats_get(st, id, "fields", &doc, &len);
	if (rc == AR_OK) {
		bad |= len != 5 || memcmp(doc, "[\"n\"]", 5) != 0;
		free(doc);
	} else
		failed = 1;
	memset(&s, 0, sizeof(s));
	s.sn_order = 1;
	s.sn_key = "n";
	rc = store_results_read(st, id, 0, UINT64_MAX, &t, seen_begin,
	    seen_event, &s);
	if (rc == AR_OK) {
		bad |= t.t_results != PAGES * PER_PAGE ||
		    s.sn_count != PAGES * PER_PAGE || !s.sn_order;
		task_clear(&t);
	} else
		failed = 1;
	memset(&s, 0, sizeof(s));
	s.sn_order = 1;
	s.sn_key = "n";
	s.sn_first = 700;
	rc = store_results_read(st, id, 700, 1000, &t, seen_begin,
	    seen_event, &s);
	if (rc == AR_OK) {
		bad |= s.sn_count != 300 || !s.sn_order;
		task_clear(&t);
	} else
		failed = 1;
	if (bad)
		tally_bad(ty, n, "a read answered AR_OK with a wrong answer");
	else if (failed)
		ty->ty_failed++;
	else
		ty->ty_done++;
}

/*
 * One run of the real executor (executor_main, in a child as the runner
 * runs it) on a claimed task, with the fault armed in the child only.
 * Checks the end with faults off: DONE with every result, or FAILED with
 * "storage is full" / "storage write failed" and the results it counts,
 * or left RUNNING by an executor that exited nonzero (the runner fails
 * it).
 */
static void
walk_executor(struct store *st, const struct config *cfg, long n,
    struct tally *ty, uint64_t results)
{
	struct task t, got;
	struct seen s;
	char why[300];
	uint64_t token = 5000 + (uint64_t)n;
	pid_t pid;
	int status;

	new_task(&t, "makeresults count=1000 shownumbers=true");
	if (store_task_create(st, &t, why, sizeof(why)) != AR_OK ||
	    store_task_claim(st, token, 1, &got) != AR_OK) {
		tally_bad(ty, n, "setup: create or claim failed");
		task_clear(&t);
		return;
	}
	task_clear(&t);
	if ((pid = fork()) == 0) {
		/* Its log lines (cannot store ..., cannot write its end)
		 * are expected here. */
		if (freopen("/dev/null", "w", stderr) == NULL)
			_exit(99);
		store_fault = fault_hook;
		executor_main(cfg, &got);
	}
	waitpid(pid, &status, 0);
	if (store_task_get(st, got.t_id, &t) != AR_OK) {
		tally_bad(ty, n, "the task is gone");
		task_clear(&got);
		return;
	}
	if (t.t_state == TASK_RUNNING) {
		if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
			tally_bad(ty, n, "the executor exited 0, task RUNNING");
		store_task_finish(st, got.t_id, 0, TASK_FAILED,
		    "executor died", "ERROR", "died");
	} else if (!WIFEXITED(status))
		tally_bad(ty, n, "the executor crashed");
	task_clear(&t);
	if (read_all(st, got.t_id, "number", 1, &s, &t) != AR_OK)
		tally_bad(ty, n, "the results cannot be read");
	else if (t.t_state == TASK_DONE) {
		if (t.t_results != results || s.sn_count != results ||
		    !s.sn_order) {
			snprintf(why, sizeof(why), "DONE with %llu of %llu "
			    "results", (unsigned long long)s.sn_count,
			    (unsigned long long)results);
			tally_bad(ty, n, why);
		} else
			ty->ty_done++;
	} else if (t.t_state == TASK_FAILED) {
		if (t.t_error == NULL || (strncmp(t.t_error, "storage is full",
		    15) != 0 && strncmp(t.t_error, "storage write failed",
		    20) != 0 && strncmp(t.t_error, "executor died", 13) != 0 &&
		    strcmp(t.t_error, "lost") != 0))
			tally_bad(ty, n, t.t_error ? t.t_error : "no reason");
		else if (t.t_results != s.sn_count || !s.sn_order ||
		    s.sn_count > results)
			tally_bad(ty, n, "FAILED with results that do not add up");
		else
			ty->ty_failed++;
	} else
		tally_bad(ty, n, "neither DONE nor FAILED");
	task_clear(&t);
	task_clear(&got);
}

static const struct {
	int e_code;
	const char *e_name;
} errs[] = {
	{ENOSPC, "ENOSPC"}, {EIO, "EIO"}, {MDB_MAP_FULL, "MDB_MAP_FULL"},
};

int
main(void)
{
	char dir[64], err[512], cmd[600], id[32];
	struct config cfg;
	struct store *st;
	struct tally ty;
	struct task t;
	struct buf page = BUF_INIT;
	int cancel;
	long n, ops;

	fs = mmap(NULL, sizeof(*fs), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	/* Hundreds of runs of a few commits each: on a tmpfs when there is
	 * one, where LMDB's fsync costs nothing. */
	snprintf(dir, sizeof(dir), "%s/asyncreq-test-XXXXXX",
	    access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
	if (fs == MAP_FAILED || mkdtemp(dir) == NULL)
		return 1;
	config_defaults(&cfg);
	cfg.storage_path = strdup(dir);
	cfg.storage_map_size = 64u << 20;
	cfg.storage_min_free_disk = 0;
	cfg.runner_page_bytes = 4096;
	cfg.limits_max_active_tasks_per_user = 1000;
	ok(store_open(&st, &cfg, err, sizeof(err)) == AR_OK, "open store");
	ok(store_fault == NULL, "the seam is off by default");

	/* A whole task through the store, the Nth write or commit failing,
	 * once or from then on, until the walk passes every operation. */
	for (size_t e = 0; e < sizeof(errs) / sizeof(errs[0]); e++)
		for (int sticky = 0; sticky < 2; sticky++) {
			memset(&ty, 0, sizeof(ty));
			for (n = 1;; n++) {
				fault_arm(WRITES, n, errs[e].e_code, sticky);
				walk_task(st, n, &ty);
				ops = fs->fs_count;
				delete_all(st);
				if (ops < n)
					break;
			}
			ok(ty.ty_bad == 0 && ty.ty_done >= 1 && ty.ty_failed > 0,
			    "task, %s at write %s1..%ld: %d DONE whole, %d "
			    "FAILED with their results, %d refused, %d wrong",
			    errs[e].e_name, sticky ? "N.. of " : "", n - 1,
			    ty.ty_done, ty.ty_failed, ty.ty_refused, ty.ty_bad);
			if (ty.ty_bad)
				printf("#   first: %s\n", ty.ty_first_bad);
		}

	/* A download's reads of a finished task, the Nth read failing. */
	new_task(&t, "makeresults count=1500");
	store_task_create(st, &t, err, sizeof(err));
	snprintf(id, sizeof(id), "%s", t.t_id);
	task_clear(&t);
	store_task_claim(st, 1, 1, &t);
	for (int p = 0; p < PAGES; p++) {
		make_page(&page, p * PER_PAGE, PER_PAGE);
		store_page_append(st, id, 1, page.b_data, page.b_len, PER_PAGE,
		    0, 0, p == 0 ? "[\"n\"]" : NULL, p == 0 ? 5 : 0, &cancel);
	}
	is_int(store_task_finish(st, id, 1, TASK_DONE, NULL, "INFO", "done"),
	    AR_OK, "download: a DONE task of %d results", PAGES * PER_PAGE);
	task_clear(&t);
	for (size_t e = 0; e < sizeof(errs) / sizeof(errs[0]); e++) {
		memset(&ty, 0, sizeof(ty));
		for (n = 1;; n++) {
			fault_arm(READS, n, errs[e].e_code, 0);
			walk_download(st, id, n, &ty);
			ops = fs->fs_count;
			fault_disarm();
			if (ops < n)
				break;
		}
		ok(ty.ty_bad == 0 && ty.ty_done >= 1 && ty.ty_failed > 0,
		    "download, %s at read 1..%ld: %d failed with the error, "
		    "%d whole, %d wrong", errs[e].e_name, n - 1, ty.ty_failed,
		    ty.ty_done, ty.ty_bad);
		if (ty.ty_bad)
			printf("#   first: %s\n", ty.ty_first_bad);
	}
	delete_all(st);

	/* The real executor, the Nth write of its run failing. */
	for (size_t e = 0; e < sizeof(errs) / sizeof(errs[0]); e++)
		for (int sticky = 0; sticky < 2; sticky++) {
			memset(&ty, 0, sizeof(ty));
			for (n = 1;; n++) {
				fault_arm(WRITES, n, errs[e].e_code, sticky);
				store_fault = NULL;	/* armed in the child */
				walk_executor(st, &cfg, n, &ty, 1000);
				ops = fs->fs_count;
				delete_all(st);
				if (ops < n || n > 2000)
					break;
			}
			ok(ty.ty_bad == 0 && ty.ty_done >= 1 && ty.ty_failed > 0,
			    "executor, %s at write %s1..%ld: %d DONE whole, "
			    "%d FAILED with their results, %d wrong",
			    errs[e].e_name, sticky ? "N.. of " : "", n - 1,
			    ty.ty_done, ty.ty_failed, ty.ty_bad);
			if (ty.ty_bad)
				printf("#   first: %s\n", ty.ty_first_bad);
		}

	buf_free(&page);
	store_close(st);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		return 1;
	config_free(&cfg);
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}
