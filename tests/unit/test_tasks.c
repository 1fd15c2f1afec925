/* test_tasks.c - the task store on a real LMDB in a temporary directory. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <lmdb.h>

#include "common/buf.h"
#include "common/config.h"
#include "common/timeutil.h"
#include "store/store.h"
#include "page.h"
#include "tap.h"

static struct buf got = BUF_INIT;
static uint64_t got_from, got_to, got_total;

static int
on_begin(void *arg, const struct task *t, uint64_t from, uint64_t to)
{
	(void)arg;
	got_from = from;
	got_to = to;
	got_total = t->t_results;
	return 0;
}

static int
on_event(void *arg, const char *json, size_t len)
{
	(void)arg;
	if (got.b_len)
		buf_putc(&got, ',');
	return buf_append(&got, json, len);
}

static int
on_log(void *arg, const char *json, size_t len)
{
	(void)arg;
	buf_append(&got, json, len);
	return buf_putc(&got, '\n');
}

/* Builds a page of events {"n":first}..{"n":first+count-1}. */
/* Claims queued tasks with token until id is claimed. Returns 1 when it
 * was, 0 when the queue ran out first. */
static int
claim_until(struct store *st, uint64_t token, const char *id)
{
	struct task t;

	for (int n = 0; n < 10; n++) {
		int mine;

		if (store_task_claim(st, token, 1, &t) != AR_OK)
			return 0;
		mine = strcmp(t.t_id, id) == 0;
		task_clear(&t);
		if (mine)
			return 1;
	}
	return 0;
}

static void
new_task(struct task *t, const char *owner)
{
	memset(t, 0, sizeof(*t));
	t->t_owner = strdup(owner);
	t->t_query = strdup("makeresults count=3");
	t->t_dt_field = strdup("@timestamp");
	t->t_dt_start = strdup("now-15m");
	t->t_dt_end = strdup("now");
	t->t_created = t->t_now = time_now_ms();
}

static int
count_cb(void *arg, const struct task *t)
{
	(void)t;
	(*(int *)arg)++;
	return 0;
}

/* Tasks of the fairness test: their labels ("A1") and ids. */
static char fair_label[16][8];
static char fair_id[16][TASK_ID_LEN + 1];
static int fair_n;

/* Creates a QUEUED task of owner labelled label. Returns its index. */
static int
fair_create(struct store *st, const char *owner, const char *label)
{
	char err[256];
	struct task t;
	int i = fair_n++;

	new_task(&t, owner);
	if (store_task_create(st, &t, err, sizeof(err)) != AR_OK)
		printf("# create %s: %s\n", label, err);
	snprintf(fair_label[i], sizeof(fair_label[i]), "%s", label);
	memcpy(fair_id[i], t.t_id, sizeof(fair_id[i]));
	task_clear(&t);
	return i;
}

/*
 * Claims n times and returns the labels claimed, space-separated, "-" for
 * a claim that found nothing (static storage).
 */
static const char *
fair_claims(struct store *st, int n)
{
	static char out[256];
	struct task t;

	out[0] = '\0';
	for (int c = 0; c < n; c++) {
		const char *l = "?";

		if (c > 0)
			strcat(out, " ");
		if (store_task_claim(st, 10 + (uint64_t)c, 1, &t) != AR_OK) {
			strcat(out, "-");
			continue;
		}
		for (int i = 0; i < fair_n; i++)
			if (strcmp(t.t_id, fair_id[i]) == 0)
				l = fair_label[i];
		strcat(out, l);
		task_clear(&t);
	}
	return out;
}

/* Ends task i (RUNNING under any token) DONE. Returns store_task_finish's. */
static int
fair_finish(struct store *st, int i)
{
	return store_task_finish(st, fair_id[i], 0, TASK_DONE, NULL, "INFO",
	    "done");
}

/*
 * Fair claiming across users (issue 10, defect 4): one user's queue does
 * not hold another's task back, runner.max_running_per_user caps a user's
 * RUNNING tasks, and equal users take turns.
 */
static void
test_fair(void)
{
	char dir[] = "/tmp/asyncreq-fair-XXXXXX", err[512], cmd[600];
	struct config cfg;
	struct store *st;
	uint64_t q, r;
	int a1, a2, a3, b1, b2, b3, c1, c2;

	if (mkdtemp(dir) == NULL) {
		ok(0, "fair: temporary directory");
		return;
	}
	config_defaults(&cfg);
	cfg.storage_path = strdup(dir);
	cfg.storage_map_size = 4u << 20;
	is_int(config_running_per_user(&cfg), 1,
	    "fair: default cap with max_concurrent 2 is 1");
	cfg.runner_max_concurrent = 9;
	is_int(config_running_per_user(&cfg), 4,
	    "fair: default cap with max_concurrent 9 is 4");
	cfg.runner_max_concurrent = 2;
	cfg.runner_max_running_per_user = 2;
	is_int(config_running_per_user(&cfg), 2, "fair: the key wins");
	ok(store_open(&st, &cfg, err, sizeof(err)) == AR_OK, "fair: open store");
	{
		struct task t;

		new_task(&t, "");
		is_int(store_task_create(st, &t, err, sizeof(err)), AR_EINVAL,
		    "fair: a task without an owner is refused");
		is_str(err, "user name is empty", "fair: with the reason");
		task_clear(&t);
	}

	/* A, A, A queued, then B: B comes second, not fourth. Cap 2. */
	a1 = fair_create(st, "anna", "A1");
	a2 = fair_create(st, "anna", "A2");
	a3 = fair_create(st, "anna", "A3");
	b1 = fair_create(st, "bert", "B1");
	is_str(fair_claims(st, 4), "A1 B1 A2 -",
	    "fair: A,A,A,B queued are claimed A1 B1 A2, then A3 waits (cap 2)");
	store_queue_counts(st, &q, &r);
	ok(q == 1 && r == 3, "fair: 1 queued, 3 running");
	is_int(fair_finish(st, a1), AR_OK, "fair: A1 done");
	is_str(fair_claims(st, 2), "A3 -", "fair: then A3, and the queue is empty");
	fair_finish(st, a2);
	fair_finish(st, a3);
	fair_finish(st, b1);

	/* Cap 1: anna's older task is passed over while anna runs one. */
	cfg.runner_max_running_per_user = 1;
	a1 = fair_create(st, "anna", "A1");
	a2 = fair_create(st, "anna", "A2");
	b1 = fair_create(st, "bert", "B1");
	is_str(fair_claims(st, 3), "A1 B1 -",
	    "fair: cap 1: A1, then B1 before the older A2, then nothing");
	store_queue_counts(st, &q, &r);
	ok(q == 1 && r == 2, "fair: A2 still queued with a slot to spare");

	/* Equal running counts: the user served least recently goes first,
	 * even with the younger task. */
	b2 = fair_create(st, "bert", "B2");
	c1 = fair_create(st, "carl", "C1");
	fair_finish(st, a1);
	fair_finish(st, b1);
	is_str(fair_claims(st, 4), "C1 A2 B2 -",
	    "fair: carl (never served), anna (served before bert), bert");
	a3 = fair_create(st, "anna", "A3");
	b3 = fair_create(st, "bert", "B3");
	c2 = fair_create(st, "carl", "C2");
	fair_finish(st, c1);
	fair_finish(st, a2);
	fair_finish(st, b2);
	is_str(fair_claims(st, 4), "C2 A3 B3 -",
	    "fair: served carl < anna < bert, so C2 A3 B3 though C2 is the "
	    "youngest");

	/* A break of a queued head and a delete of a running task re-key the
	 * user's turn. */
	{
		enum task_state s;

		a1 = fair_create(st, "anna", "A4");
		a2 = fair_create(st, "anna", "A5");
		is_int(store_task_break(st, fair_id[a1], "x", &s), AR_OK,
		    "fair: break queued A4");
		is_str(fair_claims(st, 1), "-", "fair: anna still at the cap");
		is_int(store_task_delete(st, fair_id[a3]), AR_OK,
		    "fair: delete running A3");
		is_str(fair_claims(st, 2), "A5 -",
		    "fair: A5 claimed once A3 is gone, then nothing");
	}
	store_queue_counts(st, &q, &r);
	ok(q == 0 && r == 3, "fair: 0 queued, 3 running (B3, C2, A5)");
	(void)b3;
	(void)c2;
	is_int(store_reader_count(st), 0, "fair: no read transaction left open");

	/* A store made before these indices: they are built at open from
	 * the queue and the RUNNING tasks. */
	fair_create(st, "bert", "B4");
	fair_create(st, "dave", "D1");
	store_close(st);
	{
		static const char *const drop[] = { "uqueue", "users", "turns" };
		char path[600];
		MDB_env *env;
		MDB_txn *txn;
		MDB_dbi dbi;
		MDB_val k = { 6, "layout" };
		int bad = 0;

		snprintf(path, sizeof(path), "%s/tasks", dir);
		mdb_env_create(&env);
		mdb_env_set_maxdbs(env, 16);
		mdb_env_set_mapsize(env, cfg.storage_map_size);
		bad |= mdb_env_open(env, path, MDB_NOTLS, 0600) != 0 ||
		    mdb_txn_begin(env, NULL, 0, &txn) != 0;
		for (int i = 0; !bad && i < 3; i++)
			bad |= mdb_dbi_open(txn, drop[i], 0, &dbi) != 0 ||
			    mdb_drop(txn, dbi, 0) != 0;
		bad |= bad || mdb_dbi_open(txn, "meta", 0, &dbi) != 0 ||
		    mdb_del(txn, dbi, &k, NULL) != 0 || mdb_txn_commit(txn) != 0;
		mdb_env_close(env);
		ok(!bad, "fair: indices emptied, layout mark removed");
	}
	cfg.runner_max_running_per_user = 2;
	ok(store_open(&st, &cfg, err, sizeof(err)) == AR_OK,
	    "fair: store opened again");
	is_str(fair_claims(st, 3), "D1 B4 -", "fair: rebuilt: dave (none "
	    "running) before the older B4 of bert (B3 running)");

	/* A RUNNING count gone wrong (erin's running task removed behind the
	 * store's back) is mended by the runner's rebuild at start. */
	cfg.runner_max_running_per_user = 1;
	a1 = fair_create(st, "erin", "E1");
	is_str(fair_claims(st, 1), "E1", "fair: erin's E1 claimed");
	store_close(st);
	{
		char path[600];
		MDB_env *env;
		MDB_txn *txn;
		MDB_dbi dt, dr;
		MDB_val k = { TASK_ID_LEN, fair_id[a1] };

		snprintf(path, sizeof(path), "%s/tasks", dir);
		mdb_env_create(&env);
		mdb_env_set_maxdbs(env, 16);
		mdb_env_set_mapsize(env, cfg.storage_map_size);
		ok(mdb_env_open(env, path, MDB_NOTLS, 0600) == 0 &&
		    mdb_txn_begin(env, NULL, 0, &txn) == 0 &&
		    mdb_dbi_open(txn, "tasks", 0, &dt) == 0 &&
		    mdb_dbi_open(txn, "running", 0, &dr) == 0 &&
		    mdb_del(txn, dt, &k, NULL) == 0 &&
		    mdb_del(txn, dr, &k, NULL) == 0 &&
		    mdb_txn_commit(txn) == 0, "fair: E1 removed behind the store");
		mdb_env_close(env);
	}
	ok(store_open(&st, &cfg, err, sizeof(err)) == AR_OK,
	    "fair: store opened again");
	fair_create(st, "erin", "E2");
	is_str(fair_claims(st, 1), "-", "fair: erin counted at her cap");
	is_int(store_fair_rebuild(st), AR_OK, "fair: rebuild");
	is_str(fair_claims(st, 2), "E2 -", "fair: rebuilt: E2 claimed");
	is_int(store_reader_count(st), 0, "fair: no read transaction left open");
	store_close(st);
	config_free(&cfg);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		ok(0, "fair: remove %s", dir);
}

int
main(void)
{
	char dir[] = "/tmp/asyncreq-test-XXXXXX", err[512], cmd[600];
	struct config cfg;
	struct store *st;
	struct task a, b, t, c;
	struct buf page = BUF_INIT;
	enum task_state s;
	uint64_t q, r, used, map;
	int cancel, n;

	if (mkdtemp(dir) == NULL)
		return 1;
	config_defaults(&cfg);
	cfg.storage_path = strdup(dir);
	cfg.storage_map_size = 4u << 20;
	cfg.limits_max_active_tasks_per_user = 2;
	cfg.limits_max_log_lines = 10;
	ok(store_open(&st, &cfg, err, sizeof(err)) == AR_OK, "open store");

	new_task(&a, "alice");
	is_int(store_task_create(st, &a, err, sizeof(err)), AR_OK, "create a");
	is_int(strlen(a.t_id), 22, "id chosen by the store");
	usleep(2000);
	new_task(&b, "alice");
	is_int(store_task_create(st, &b, err, sizeof(err)), AR_OK, "create b");
	new_task(&c, "alice");
	is_int(store_task_create(st, &c, err, sizeof(err)), AR_EBUSY,
	    "third active task of alice refused");
	is_str(err, "user 'alice' has 2 unfinished tasks "
	    "(limits.max_active_tasks_per_user = 2)", "limit reason");
	task_clear(&c);

	is_int(store_task_get(st, a.t_id, &t), AR_OK, "get a");
	is_int(t.t_state, TASK_QUEUED, "a is QUEUED");
	is_str(t.t_owner, "alice", "owner kept");
	task_clear(&t);
	is_int(store_task_get(st, "AAAAAAAAAAAAAAAAAAAAAA", &t), AR_ENOTFOUND,
	    "unknown id");

	n = 0;
	store_task_list(st, "alice", -1, count_cb, &n);
	is_int(n, 2, "alice lists 2 tasks");
	n = 0;
	store_task_list(st, "bob", -1, count_cb, &n);
	is_int(n, 0, "bob lists none");
	store_queue_counts(st, &q, &r);
	ok(q == 2 && r == 0, "2 queued, 0 running");

	/* Claim takes the oldest. */
	is_int(store_task_claim(st, 77, 1234, &t), AR_OK, "claim");
	is_str(t.t_id, a.t_id, "oldest claimed first");
	is_int(t.t_state, TASK_RUNNING, "claimed is RUNNING");
	task_clear(&t);
	store_queue_counts(st, &q, &r);
	ok(q == 1 && r == 1, "1 queued, 1 running");

	/* Pages and reads. */
	make_page(&page, 0, 3);
	is_int(store_page_append(st, a.t_id, 77, page.b_data, page.b_len, 3,
	    10, 0.3, NULL, 0, &cancel), AR_OK, "append page 1");
	make_page(&page, 3, 2);
	is_int(store_page_append(st, a.t_id, 77, page.b_data, page.b_len, 2,
	    20, 0.5, "[\"a\"]", 5, &cancel), AR_OK, "append page 2 with fields");
	{
		char *doc = NULL;
		size_t dlen = 0;

		is_int(store_stats_get(st, a.t_id, "fields", &doc, &dlen), AR_OK,
		    "fields document stored with the page");
		ok(doc && dlen == 5 && memcmp(doc, "[\"a\"]", 5) == 0,
		    "fields document as given");
		free(doc);
	}
	is_int(store_page_append(st, a.t_id, 99, page.b_data, page.b_len, 2,
	    20, 0.5, NULL, 0, &cancel), AR_ELOST, "wrong token refused");
	buf_reset(&got);
	store_results_read(st, a.t_id, 0, UINT64_MAX, &t, on_begin, on_event,
	    NULL);
	is_str(got.b_data, "{\"n\":0},{\"n\":1},{\"n\":2},{\"n\":3},{\"n\":4}",
	    "all results in order");
	ok(got_from == 0 && got_to == 5 && got_total == 5, "range 0..5");
	task_clear(&t);
	buf_reset(&got);
	store_results_read(st, a.t_id, 2, 4, &t, on_begin, on_event, NULL);
	is_str(got.b_data, "{\"n\":2},{\"n\":3}", "slice across pages");
	task_clear(&t);
	buf_reset(&got);
	store_results_read(st, a.t_id, 4, 100, &t, on_begin, on_event, NULL);
	is_str(got.b_data, "{\"n\":4}", "slice cut at the end");
	ok(got_to == 5, "to cut to total");
	task_clear(&t);
	buf_reset(&got);
	store_results_read(st, a.t_id, 9, 12, &t, on_begin, on_event, NULL);
	ok(got.b_len == 0 && got_from == 5 && got_to == 5, "past the end");
	task_clear(&t);

	/* Break of a running task sets the flag; the executor sees it. */
	is_int(store_task_break(st, a.t_id, "x", &s), AR_OK, "break running");
	is_int(s, TASK_RUNNING, "still running after break");
	store_task_progress(st, a.t_id, 77, 30, 0.6, &cancel);
	is_int(cancel, 1, "executor sees the cancel flag");
	is_int(store_task_finish(st, a.t_id, 77, TASK_CANCELLED, "cancelled",
	    "INFO", "stopped"), AR_OK, "finish cancelled");
	is_int(store_task_break(st, a.t_id, "x", &s), AR_ESTATE,
	    "break of a final task");
	store_task_get(st, a.t_id, &t);
	is_int(t.t_results, 5, "results kept after cancel");
	ok(t.t_finished > 0 && t.t_expires == t.t_finished +
	    cfg.retention_ttl_seconds * 1000, "expiry re-keyed on finish");
	task_clear(&t);

	/* Break of a queued task cancels at once. */
	is_int(store_task_break(st, b.t_id, "x", &s), AR_OK, "break queued");
	is_int(s, TASK_CANCELLED, "queued becomes CANCELLED");

	/* Logs: limited to max_log_lines, last line says what was dropped. */
	for (int i = 0; i < 20; i++)
		store_log_append(st, a.t_id, "INFO", "line");
	buf_reset(&got);
	store_log_read(st, a.t_id, on_log, NULL);
	n = 0;
	for (char *p = got.b_data; (p = strchr(p, '\n')); p++)
		n++;
	is_int(n, 10, "log kept at limits.max_log_lines");
	ok(strstr(got.b_data, "log lines dropped (limits.max_log_lines = 10)")
	    != NULL, "last line tells about dropped lines");
	ok(strstr(got.b_data, "\"message\":\"task created by alice\"") != NULL,
	    "creation line");

	/* Recovery: a RUNNING task of a dead runner becomes FAILED. */
	new_task(&c, "bob");
	store_task_create(st, &c, err, sizeof(err));
	store_task_claim(st, 5, 999, &t);
	task_clear(&t);
	is_int(store_recover(st, "runner died"), 1, "recover fails 1 task");
	store_task_get(st, c.t_id, &t);
	is_int(t.t_state, TASK_FAILED, "recovered task FAILED");
	is_str(t.t_error, "runner died", "with the reason");
	task_clear(&t);

	/* Expiry deletes final tasks past their time. */
	is_int(store_expire(st, time_now_ms() + 86400 * 1000LL + 5000, 100), 3,
	    "3 expired tasks deleted");
	is_int(store_task_get(st, a.t_id, &t), AR_ENOTFOUND, "a is gone");

	/* Full map: page writes refused, reads fine, delete frees. */
	new_task(&c, "carol");
	store_task_create(st, &c, err, sizeof(err));
	store_task_claim(st, 6, 999, &t);
	task_clear(&t);
	make_page(&page, 0, 4000);
	n = 0;
	while (store_page_append(st, c.t_id, 6, page.b_data, page.b_len, 4000,
	    0, 0, NULL, 0, &cancel) == AR_OK && n < 1000)
		n++;
	ok(n > 0 && n < 1000, "pages until full (%d)", n);
	is_int(store_page_append(st, c.t_id, 6, page.b_data, page.b_len, 4000,
	    0, 0, NULL, 0, &cancel), AR_EFULL, "page append: AR_EFULL");
	new_task(&b, "dave");
	is_int(store_task_create(st, &b, err, sizeof(err)), AR_EFULL,
	    "create refused when full");
	ok(strstr(err, "storage is full") != NULL, "reason says full");
	task_clear(&b);
	is_int(store_task_finish(st, c.t_id, 6, TASK_FAILED, "full", "ERROR",
	    "full"), AR_OK, "state change still fits when full");
	is_int(store_task_get(st, c.t_id, &t), AR_OK, "status when full");
	task_clear(&t);
	is_int(store_task_delete(st, c.t_id), AR_OK, "delete when full");
	store_space(st, &used, &map);
	ok(used < map / 2, "space freed (%llu of %llu)",
	    (unsigned long long)used, (unsigned long long)map);
	new_task(&b, "dave");
	is_int(store_task_create(st, &b, err, sizeof(err)), AR_OK,
	    "create works again");
	task_clear(&b);

	/* Pages stored in chunks: one of exactly two full chunks (3,968
	 * bytes: nothing marks its end but the next page's key), then a
	 * short one; read back whole, and from inside the first. */
	new_task(&b, "frank");
	is_int(store_task_create(st, &b, err, sizeof(err)), AR_OK,
	    "create f");
	ok(claim_until(st, 99, b.t_id), "claim f");
	{
		struct buf p2 = BUF_INIT, want = BUF_INIT;
		uint32_t one = 1, zero = 0;
		size_t fill = 3968 - 8 - 8;	/* count, offset, {"x":""} */

		buf_append(&p2, &one, 4);
		buf_append(&p2, &zero, 4);
		buf_puts(&p2, "{\"x\":\"");
		for (size_t i = 0; i < fill; i++)
			buf_putc(&p2, 'a');
		buf_puts(&p2, "\"}");
		is_int(p2.b_len, 3968, "page of two full chunks");
		is_int(store_page_append(st, b.t_id, 99, p2.b_data, p2.b_len,
		    1, 0, 0, NULL, 0, &cancel), AR_OK, "append it");
		buf_append(&want, p2.b_data + 8, p2.b_len - 8);
		make_page(&p2, 1, 2);
		is_int(store_page_append(st, b.t_id, 99, p2.b_data, p2.b_len,
		    2, 0, 0, NULL, 0, &cancel), AR_OK, "append a short page");
		buf_puts(&want, ",{\"n\":1},{\"n\":2}");
		buf_reset(&got);
		store_results_read(st, b.t_id, 0, UINT64_MAX, &t, on_begin,
		    on_event, NULL);
		task_clear(&t);
		ok(got.b_len == want.b_len &&
		    memcmp(got.b_data, want.b_data, want.b_len) == 0,
		    "chunked pages read back whole");
		buf_reset(&got);
		store_results_read(st, b.t_id, 2, UINT64_MAX, &t, on_begin,
		    on_event, NULL);
		task_clear(&t);
		is_str(got.b_data, "{\"n\":2}", "read from inside a page");
		buf_free(&p2);
		buf_free(&want);
	}
	task_clear(&b);

	/* A delete that stopped after removing the task but before its
	 * pages (simulated: the task record removed behind the store's
	 * back) leaves orphan pages; the runner's start purges them. */
	new_task(&b, "erin");
	is_int(store_task_create(st, &b, err, sizeof(err)), AR_OK,
	    "create e");
	/* Claim until e comes (older tasks are still queued). */
	ok(claim_until(st, 88, b.t_id), "claim e");
	make_page(&page, 0, 50);
	for (n = 0; n < 150; n++)
		if (store_page_append(st, b.t_id, 88, page.b_data, page.b_len,
		    50, 0, 0, NULL, 0, &cancel) != AR_OK)
			break;
	is_int(n, 150, "150 pages of e");
	store_space(st, &used, &map);
	store_close(st);
	{
		char path[600];
		MDB_env *env;
		MDB_txn *txn;
		MDB_dbi dbi;
		MDB_val k = { TASK_ID_LEN, b.t_id };
		MDB_stat ms;

		snprintf(path, sizeof(path), "%s/tasks", dir);
		mdb_env_create(&env);
		mdb_env_set_maxdbs(env, 16);
		mdb_env_set_mapsize(env, cfg.storage_map_size);
		ok(mdb_env_open(env, path, MDB_NOTLS, 0600) == 0 &&
		    mdb_txn_begin(env, NULL, 0, &txn) == 0 &&
		    mdb_dbi_open(txn, "tasks", 0, &dbi) == 0 &&
		    mdb_del(txn, dbi, &k, NULL) == 0 &&
		    mdb_txn_commit(txn) == 0, "task record of e removed");
		ok(store_open(&st, &cfg, err, sizeof(err)) == AR_OK,
		    "store opened again");
		is_int(store_purge_orphans(st), 1, "orphan pages of 1 task purged");
		is_int(store_purge_orphans(st), 0, "none left");
		mdb_txn_begin(env, NULL, MDB_RDONLY, &txn);
		mdb_dbi_open(txn, "pages", 0, &dbi);
		mdb_stat(txn, dbi, &ms);
		mdb_txn_abort(txn);
		is_int(ms.ms_entries, 3, "no page record of e left (f's 3 "
		    "chunks remain)");
		mdb_env_close(env);
	}
	task_clear(&b);

	/* Every call above ended its transactions. */
	store_queue_counts(st, &q, &r);
	store_space(st, &used, &map);
	is_int(store_reader_count(st), 0, "no read transaction left open");

	task_clear(&a);
	task_clear(&c);
	buf_free(&page);
	buf_free(&got);
	store_close(st);
	config_free(&cfg);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		return 1;
	test_fair();
	return done_testing();
}
