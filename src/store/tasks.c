/* tasks.c - the task store in LMDB: records, queue, pages, logs, expiry. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include <jansson.h>
#include <lmdb.h>

#include "common/buf.h"
#include "common/config.h"
#include "common/timeutil.h"
#include "store/store.h"

/*
 * Databases of the task environment (docs/DESIGN.md has the full layout):
 *   tasks    id                          -> task record (JSON)
 *   queue    created(8) id               -> ""   QUEUED tasks, claim order
 *   running  id                          -> ""   RUNNING tasks
 *   bytime   created(8) id               -> ""   every task, for listing
 *   owner    owner \0 created(8) id      -> ""   a user's tasks
 *   active   owner \0 id                 -> ""   QUEUED/RUNNING per user
 *   pages    id first(8)                 -> page (see page_layout below)
 *   logs     id seq(4)                   -> log line (JSON)
 *   stats    id kind                     -> JSON (sidebar, timeline, cost)
 *   expiry   expires(8) id               -> ""   final tasks, by expiry
 *   uqueue   owner \0 created(8) id      -> ""   QUEUED tasks per user, FIFO
 *   users    owner  -> running(4) served(8) head(8)   users with QUEUED or
 *            RUNNING tasks (see "Fair claiming" below)
 *   turns    running(4) served(8) head(8) owner -> ""   users with QUEUED
 *            tasks, in the order they are served
 *   meta     name                        -> value   "serve_seq", "layout"
 * Numbers in keys are big-endian so byte order is numeric order.
 *
 * page_layout: u32 count, u32 offsets[count] (offset of each event in the
 * text area), then the events' JSON texts back to back.
 */
enum {
	DB_TASKS, DB_QUEUE, DB_RUNNING, DB_BYTIME, DB_OWNER, DB_ACTIVE,
	DB_PAGES, DB_LOGS, DB_STATS, DB_EXPIRY, DB_UQUEUE, DB_USERS, DB_TURNS,
	DB_META, DB__COUNT
};
static const char *const db_names[DB__COUNT] = {
	"tasks", "queue", "running", "bytime", "owner", "active",
	"pages", "logs", "stats", "expiry", "uqueue", "users", "turns", "meta"
};

#define OWNER_MAX 256

struct store {
	MDB_env *st_env;
	char st_path[4096];	/* the environment's directory */
	MDB_dbi st_dbi[DB__COUNT];
	const struct config *st_cfg;
	uint64_t st_map;
	uint64_t st_appended;	/* page bytes since the last map_release */
	/* This env's mapping of data.mdb (map_release), found for a map of
	 * st_rel_size bytes; st_rel_hi is 0 when not found. */
	size_t st_rel_size;
	uintptr_t st_rel_lo, st_rel_hi;
};

/* Map bytes read or written between two map_release calls. */
#define RELEASE_BYTES (4u << 20)
static void map_release(struct store *);
static int fair_layout(struct store *, MDB_txn *, int force);

/* Encodes v big-endian into p[0..8). */
static void
be64_put(unsigned char *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (unsigned char)v;
}

static uint64_t
be64_get(const unsigned char *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

int (*store_fault)(enum store_op);

/* The reason of the last failed write (store_error). */
static char store_errtext[256];

const char *
store_error(void)
{
	return store_errtext;
}

/*
 * Maps an LMDB error to a project error, noting its text for store_error.
 * A full disk is "full" like a full map: the writer fails its task with
 * "storage is full", and creates answer 503.
 */
static int
mdb_to_ar(int rc)
{
	if (rc != 0 && rc != MDB_NOTFOUND)
		snprintf(store_errtext, sizeof(store_errtext), "%s",
		    mdb_strerror(rc));
	switch (rc) {
	case 0: return AR_OK;
	case MDB_NOTFOUND: return AR_ENOTFOUND;
	case MDB_MAP_FULL: return AR_EFULL;
	case ENOSPC: return AR_EFULL;
	case EDQUOT: return AR_EFULL;
	case ENOMEM: return AR_ENOMEM;
	default: return AR_EINTERNAL;
	}
}

/* mdb_put through the failure-injection seam (store_fault). */
static int
db_put(MDB_txn *txn, MDB_dbi dbi, MDB_val *k, MDB_val *v, unsigned flags)
{
	int rc;

	if (store_fault != NULL && (rc = store_fault(STORE_OP_PUT)) != 0)
		return rc;
	return mdb_put(txn, dbi, k, v, flags);
}

/* mdb_txn_commit through the seam; txn is gone either way. */
static int
db_commit(MDB_txn *txn)
{
	int rc;

	if (store_fault != NULL && (rc = store_fault(STORE_OP_COMMIT)) != 0) {
		mdb_txn_abort(txn);
		return rc;
	}
	return mdb_txn_commit(txn);
}

/* mdb_cursor_get of a result read through the seam. */
static int
db_read(MDB_cursor *c, MDB_val *k, MDB_val *v, MDB_cursor_op op)
{
	int rc;

	if (store_fault != NULL && (rc = store_fault(STORE_OP_READ)) != 0)
		return rc;
	return mdb_cursor_get(c, k, v, op);
}

int
store_open(struct store **out, const struct config *cfg, char *err,
    size_t errlen)
{
	struct store *st;
	MDB_txn *txn = NULL;
	char path[4096];
	int rc;

	*out = NULL;
	if ((st = calloc(1, sizeof(*st))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return AR_ENOMEM;
	}
	st->st_cfg = cfg;
	st->st_map = cfg->storage_map_size;
	if (snprintf(path, sizeof(path), "%s/tasks", cfg->storage_path) >=
	    (int)sizeof(path)) {
		snprintf(err, errlen, "storage.path is too long");
		goto fail;
	}
	(void)mkdir(cfg->storage_path, 0700);
	if (mkdir(path, 0700) == -1 && errno != EEXIST) {
		snprintf(err, errlen, "cannot create %s: %s", path,
		    strerror(errno));
		goto fail;
	}
	snprintf(st->st_path, sizeof(st->st_path), "%s", path);
	if ((rc = mdb_env_create(&st->st_env)) != 0 ||
	    (rc = mdb_env_set_maxdbs(st->st_env, DB__COUNT)) != 0 ||
	    (rc = mdb_env_set_mapsize(st->st_env, cfg->storage_map_size)) != 0 ||
	    (rc = mdb_env_set_maxreaders(st->st_env, 1024)) != 0 ||
	    (rc = mdb_env_open(st->st_env, path, MDB_NOTLS, 0600)) != 0) {
		snprintf(err, errlen, "cannot open task store %s: %s", path,
		    mdb_strerror(rc));
		goto fail;
	}
	if ((rc = mdb_txn_begin(st->st_env, NULL, 0, &txn)) != 0)
		goto lmdb_fail;
	for (int i = 0; i < DB__COUNT; i++)
		if ((rc = mdb_dbi_open(txn, db_names[i], MDB_CREATE,
		    &st->st_dbi[i])) != 0)
			goto lmdb_fail;
	if ((rc = fair_layout(st, txn, 0)) != 0)
		goto lmdb_fail;
	if ((rc = db_commit(txn)) != 0) {
		txn = NULL;
		goto lmdb_fail;
	}
	*out = st;
	return AR_OK;
lmdb_fail:
	snprintf(err, errlen, "cannot open task store %s: %s", path,
	    mdb_strerror(rc));
	if (txn)
		mdb_txn_abort(txn);
fail:
	if (st->st_env)
		mdb_env_close(st->st_env);
	free(st);
	return AR_EINTERNAL;
}

void
store_close(struct store *st)
{
	if (st == NULL)
		return;
	mdb_env_close(st->st_env);
	free(st);
}

/*
 * Begins a transaction, adopting a map size grown by another process.
 * Returns an LMDB code.
 */
static int
txn_begin(struct store *st, unsigned flags, MDB_txn **txn)
{
	int rc = mdb_txn_begin(st->st_env, NULL, flags, txn);

	if (rc == MDB_MAP_RESIZED) {
		mdb_env_set_mapsize(st->st_env, 0);
		rc = mdb_txn_begin(st->st_env, NULL, flags, txn);
	}
	return rc;
}

/*
 * Measures txn's snapshot: bytes in use (allocated minus free), bytes never
 * allocated at the end of the map (tail), bytes on the free list, and the
 * map size.
 */
static int
space_in(struct store *st, MDB_txn *txn, uint64_t *used, uint64_t *tail,
    uint64_t *freeb, uint64_t *map)
{
	MDB_envinfo info;
	MDB_stat stat;
	MDB_cursor *c;
	MDB_val k, v;
	uint64_t freepages = 0, alloc;
	int rc;

	mdb_env_info(st->st_env, &info);
	mdb_env_stat(st->st_env, &stat);
	/* The free list is database 0; each value is a page-number list
	 * whose first word is its length. */
	if ((rc = mdb_cursor_open(txn, 0, &c)) != 0)
		return rc;
	while ((rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) == 0)
		if (v.mv_size >= sizeof(size_t))
			freepages += *(const size_t *)v.mv_data;
	mdb_cursor_close(c);
	alloc = ((uint64_t)info.me_last_pgno + 1) * stat.ms_psize;
	*map = info.me_mapsize;
	*freeb = freepages * stat.ms_psize;
	*used = alloc - *freeb;
	*tail = *map > alloc ? *map - alloc : 0;
	return 0;
}

int
store_space(struct store *st, uint64_t *used, uint64_t *map)
{
	uint64_t tail, freeb;
	MDB_txn *txn;
	int rc;

	if ((rc = txn_begin(st, MDB_RDONLY, &txn)) != 0)
		return mdb_to_ar(rc);
	rc = space_in(st, txn, used, &tail, &freeb, map);
	mdb_txn_abort(txn);
	return mdb_to_ar(rc);
}

/*
 * Sets *avail to the bytes the task store can still grow by on its disk:
 * the filesystem's free bytes for this process plus the store's free
 * pages (reused before the file grows). Returns 0, or -1 when statvfs
 * fails.
 */
static int
disk_avail(struct store *st, uint64_t freeb, uint64_t *avail)
{
	struct statvfs sv;

	if (statvfs(st->st_path, &sv) == -1)
		return -1;
	*avail = (uint64_t)sv.f_bavail * sv.f_frsize + freeb;
	return 0;
}

/*
 * Returns AR_EFULL when writing need more bytes would leave less than 1/16
 * of storage.map_size unused (allocated minus freed pages), or, when
 * creating a task, would pass 90 % of it; likewise when it would leave
 * less than storage.min_free_disk free on the disk (twice that for a
 * create). Result pages and creates are refused from then on, so that
 * state changes, log lines and deletes still fit. The reason is noted for
 * store_error. Called before the write transaction: only read
 * transactions may open the free list.
 */
static int
space_check(struct store *st, size_t need, int creating)
{
	uint64_t used, tail, freeb, map, avail;
	uint64_t reserve = st->st_cfg->storage_min_free_disk;
	MDB_txn *txn;
	int rc;

	if ((rc = txn_begin(st, MDB_RDONLY, &txn)) != 0)
		return mdb_to_ar(rc);
	rc = space_in(st, txn, &used, &tail, &freeb, &map);
	mdb_txn_abort(txn);
	if (rc != 0)
		return AR_EINTERNAL;
	/* New work is refused earlier, at the 90 % where health reports
	 * "degraded", so running tasks keep room to finish. */
	if (used + need + st->st_map / 16 > st->st_map ||
	    (creating && (used + need) * 10 > st->st_map * 9)) {
		snprintf(store_errtext, sizeof(store_errtext), "the task store "
		    "uses nearly all of storage.map_size, %llu bytes",
		    (unsigned long long)st->st_map);
		return AR_EFULL;
	}
	if (disk_avail(st, freeb, &avail) == 0 &&
	    avail < need + (creating ? 2 * reserve : reserve)) {
		snprintf(store_errtext, sizeof(store_errtext), "the disk of "
		    "storage.path has %llu bytes free, storage.min_free_disk "
		    "is %llu bytes", (unsigned long long)avail,
		    (unsigned long long)reserve);
		return AR_EFULL;
	}
	return AR_OK;
}

int
store_disk(struct store *st, uint64_t *avail, int *full)
{
	uint64_t used, tail, freeb = 0, map;
	MDB_txn *txn;

	*avail = 0;
	*full = 0;
	if (txn_begin(st, MDB_RDONLY, &txn) == 0) {
		if (space_in(st, txn, &used, &tail, &freeb, &map) != 0)
			freeb = 0;
		mdb_txn_abort(txn);
	}
	if (disk_avail(st, freeb, avail) == -1)
		return AR_EINTERNAL;
	*full = *avail < 4096 + 2 * st->st_cfg->storage_min_free_disk;
	return AR_OK;
}

/*
 * Grows the map by 1/16 of storage.map_size, up to 1/8 over it. LMDB needs
 * room at the end of the map for large values and for its own free-list
 * bookkeeping, which freed pages cannot always give; this headroom is used
 * only so that a state change or a delete never fails on a full store.
 * Returns 0, or -1 when the headroom is used up.
 */
static int
store_grow(struct store *st)
{
	MDB_envinfo info;

	mdb_env_info(st->st_env, &info);
	if (info.me_mapsize >= st->st_map + st->st_map / 8)
		return -1;
	return mdb_env_set_mapsize(st->st_env, info.me_mapsize +
	    st->st_map / 16) == 0 ? 0 : -1;
}

/* Reads the record of id in txn into *t. Returns an LMDB code. */
static int
task_load(struct store *st, MDB_txn *txn, const char *id, struct task *t)
{
	MDB_val k = {strlen(id), (void *)id}, v;
	int rc;

	if ((rc = mdb_get(txn, st->st_dbi[DB_TASKS], &k, &v)) != 0)
		return rc;
	if (task_record_decode(v.mv_data, v.mv_size, t) == -1)
		return MDB_CORRUPTED;
	return 0;
}

/* Writes the record of t in txn. Returns an LMDB code. */
static int
task_save(struct store *st, MDB_txn *txn, const struct task *t)
{
	MDB_val k = {strlen(t->t_id), (void *)t->t_id}, v;
	size_t len;
	char *s;
	int rc;

	if ((s = task_record_encode(t, &len)) == NULL)
		return ENOMEM;
	v.mv_size = len;
	v.mv_data = s;
	rc = db_put(txn, st->st_dbi[DB_TASKS], &k, &v, 0);
	free(s);
	return rc;
}

/* Builds key "prefix \0 [created(8)] id" for the owner/active databases. */
static size_t
owner_key(unsigned char *out, const char *owner, int64_t created,
    const char *id)
{
	size_t n = strlen(owner), idn = strlen(id);

	memcpy(out, owner, n);
	out[n++] = '\0';
	if (created >= 0) {
		be64_put(out + n, (uint64_t)created);
		n += 8;
	}
	memcpy(out + n, id, idn);
	return n + idn;
}

/* Builds key "time(8) id". */
static size_t
time_key(unsigned char *out, int64_t ms, const char *id)
{
	size_t idn = strlen(id);

	be64_put(out, (uint64_t)ms);
	memcpy(out + 8, id, idn);
	return 8 + idn;
}

static int
put_empty(MDB_txn *txn, MDB_dbi dbi, const void *key, size_t klen)
{
	MDB_val k = {klen, (void *)key}, v = {0, ""};

	return db_put(txn, dbi, &k, &v, 0);
}

static int
del_key(MDB_txn *txn, MDB_dbi dbi, const void *key, size_t klen)
{
	MDB_val k = {klen, (void *)key};
	int rc = mdb_del(txn, dbi, &k, NULL);

	return rc == MDB_NOTFOUND ? 0 : rc;
}

/*
 * Fair claiming (docs/DESIGN.md, "Claiming tasks fairly"). The next task
 * is the oldest QUEUED task (uqueue, FIFO per user) of the first user in
 * turns: turns orders the users who have QUEUED tasks by
 *   1. fewest tasks RUNNING,
 *   2. then least recently served (served: the serve_seq of that user's
 *      last claim; 0 for a user not served since their record was made),
 *   3. then oldest QUEUED task (head: its creation time),
 *   4. then the user name.
 * A user with runner.max_running_per_user tasks RUNNING is not served; as
 * turns is sorted by the running count first, when the first user is at
 * the cap, every user is. So a claim reads one turns key and one uqueue
 * key and rewrites one users record and one turns key: O(log n) in the
 * number of tasks and users, whatever the queue holds.
 */
#define TURN_HEAD 20		/* running(4) served(8) head(8) */

/* A users record, decoded. */
struct fair_user {
	uint32_t fu_running;	/* tasks RUNNING */
	uint64_t fu_served;	/* serve_seq of the last claim; 0 none */
	uint64_t fu_head;	/* created of the oldest QUEUED task; 0 none */
};

/* Builds the turns key of owner (olen bytes) with u. Returns its length. */
static size_t
turn_key(unsigned char *out, const struct fair_user *u, const char *owner,
    size_t olen)
{
	out[0] = (unsigned char)(u->fu_running >> 24);
	out[1] = (unsigned char)(u->fu_running >> 16);
	out[2] = (unsigned char)(u->fu_running >> 8);
	out[3] = (unsigned char)u->fu_running;
	be64_put(out + 4, u->fu_served);
	be64_put(out + 12, u->fu_head);
	memcpy(out + TURN_HEAD, owner, olen);
	return TURN_HEAD + olen;
}

/* Returns the running count at the start of a turns key. */
static uint32_t
turn_running(const unsigned char *k)
{
	return (uint32_t)k[0] << 24 | (uint32_t)k[1] << 16 |
	    (uint32_t)k[2] << 8 | k[3];
}

/*
 * Reads meta "serve_seq", increments it and writes it back. Sets *seq to
 * the new value. Returns an LMDB code.
 */
static int
fair_next_seq(struct store *st, MDB_txn *txn, uint64_t *seq)
{
	unsigned char b[8];
	MDB_val k = {9, "serve_seq"}, v;
	int rc = mdb_get(txn, st->st_dbi[DB_META], &k, &v);

	if (rc != 0 && rc != MDB_NOTFOUND)
		return rc;
	*seq = (rc == 0 && v.mv_size == 8 ? be64_get(v.mv_data) : 0) + 1;
	be64_put(b, *seq);
	v.mv_size = 8;
	v.mv_data = b;
	return db_put(txn, st->st_dbi[DB_META], &k, &v, 0);
}

/*
 * Recomputes owner's users record and turns key in txn after a change of
 * its tasks: drun (-1, 0 or +1) to its RUNNING count, serve set when one
 * of its tasks was just claimed. The uqueue entries must already be as
 * they will be committed (the head is read from there). Returns an LMDB
 * code.
 */
static int
fair_update(struct store *st, MDB_txn *txn, const char *owner, int drun,
    int serve)
{
	unsigned char tk[TURN_HEAD + OWNER_MAX], qk[OWNER_MAX + 1], rec[20];
	struct fair_user u = {0, 0, 0};
	size_t olen = strlen(owner), n;
	MDB_cursor *c;
	MDB_val k = {olen, (void *)owner}, v;
	int rc;

	if (olen == 0 || olen > OWNER_MAX)
		return 0;	/* refused by store_task_create: never queued */
	rc = mdb_get(txn, st->st_dbi[DB_USERS], &k, &v);
	if (rc == 0 && v.mv_size == sizeof(rec)) {
		const unsigned char *p = v.mv_data;

		u.fu_running = turn_running(p);
		u.fu_served = be64_get(p + 4);
		u.fu_head = be64_get(p + 12);
	} else if (rc != 0 && rc != MDB_NOTFOUND)
		return rc;
	if (u.fu_head != 0) {
		n = turn_key(tk, &u, owner, olen);
		if ((rc = del_key(txn, st->st_dbi[DB_TURNS], tk, n)) != 0)
			return rc;
	}
	if (drun < 0 && u.fu_running > 0)
		u.fu_running--;
	else if (drun > 0)
		u.fu_running++;
	if (serve && (rc = fair_next_seq(st, txn, &u.fu_served)) != 0)
		return rc;
	/* The head: the first uqueue key under "owner \0". */
	memcpy(qk, owner, olen);
	qk[olen] = '\0';
	u.fu_head = 0;
	if ((rc = mdb_cursor_open(txn, st->st_dbi[DB_UQUEUE], &c)) != 0)
		return rc;
	k.mv_size = olen + 1;
	k.mv_data = qk;
	rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
	if (rc == 0 && k.mv_size == olen + 1 + 8 + TASK_ID_LEN &&
	    memcmp(k.mv_data, qk, olen + 1) == 0)
		u.fu_head = be64_get((unsigned char *)k.mv_data + olen + 1);
	mdb_cursor_close(c);
	if (rc != 0 && rc != MDB_NOTFOUND)
		return rc;
	k.mv_size = olen;
	k.mv_data = (void *)owner;
	if (u.fu_running == 0 && u.fu_head == 0)
		return del_key(txn, st->st_dbi[DB_USERS], owner, olen);
	n = turn_key(tk, &u, owner, 0);
	memcpy(rec, tk, sizeof(rec));
	v.mv_size = sizeof(rec);
	v.mv_data = rec;
	if ((rc = db_put(txn, st->st_dbi[DB_USERS], &k, &v, 0)) != 0)
		return rc;
	if (u.fu_head == 0)
		return 0;
	n = turn_key(tk, &u, owner, olen);
	return put_empty(txn, st->st_dbi[DB_TURNS], tk, n);
}

/*
 * Builds uqueue, users and turns from queue and running, in the caller's
 * write transaction: at open when the store was made by a version without
 * them (meta "layout" below 2), or always with force. O(n log n) in the
 * QUEUED and RUNNING tasks. Returns an LMDB code.
 */
static int
fair_layout(struct store *st, MDB_txn *txn, int force)
{
	unsigned char key[OWNER_MAX + 40], two[4] = {0, 0, 0, 2};
	char id[TASK_ID_LEN + 1];
	MDB_val k = {6, "layout"}, v, ck, cv;
	MDB_cursor *c;
	struct task t;
	size_t n;
	int rc, pass;

	rc = mdb_get(txn, st->st_dbi[DB_META], &k, &v);
	if (!force && rc == 0 && v.mv_size == 4 &&
	    memcmp(v.mv_data, two, 4) >= 0)
		return 0;
	if (rc != 0 && rc != MDB_NOTFOUND)
		return rc;
	if ((rc = mdb_drop(txn, st->st_dbi[DB_UQUEUE], 0)) != 0 ||
	    (rc = mdb_drop(txn, st->st_dbi[DB_USERS], 0)) != 0 ||
	    (rc = mdb_drop(txn, st->st_dbi[DB_TURNS], 0)) != 0)
		return rc;
	/* Pass 0: QUEUED tasks into uqueue; pass 1: RUNNING counts. */
	for (pass = 0; pass < 2; pass++) {
		if ((rc = mdb_cursor_open(txn, st->st_dbi[pass == 0 ? DB_QUEUE :
		    DB_RUNNING], &c)) != 0)
			return rc;
		for (rc = mdb_cursor_get(c, &ck, &cv, MDB_FIRST); rc == 0;
		    rc = mdb_cursor_get(c, &ck, &cv, MDB_NEXT)) {
			if (ck.mv_size != (pass == 0 ? 8u : 0u) + TASK_ID_LEN)
				continue;
			memcpy(id, (char *)ck.mv_data + (pass == 0 ? 8 : 0),
			    TASK_ID_LEN);
			id[TASK_ID_LEN] = '\0';
			if (task_load(st, txn, id, &t) != 0)
				continue;
			rc = 0;
			if (pass == 0 && t.t_state == TASK_QUEUED &&
			    strlen(t.t_owner) <= OWNER_MAX) {
				n = owner_key(key, t.t_owner, t.t_created,
				    t.t_id);
				rc = put_empty(txn, st->st_dbi[DB_UQUEUE], key, n);
			}
			if (rc == 0 && (pass == 1 ? t.t_state == TASK_RUNNING :
			    t.t_state == TASK_QUEUED))
				rc = fair_update(st, txn, t.t_owner, pass, 0);
			task_clear(&t);
			if (rc != 0)
				break;
		}
		mdb_cursor_close(c);
		if (rc != MDB_NOTFOUND)
			return rc;
	}
	v.mv_size = 4;
	v.mv_data = two;
	return db_put(txn, st->st_dbi[DB_META], &k, &v, 0);
}

/*
 * Appends a log line to t in txn, keeping at most limits.max_log_lines: the
 * last slot is rewritten to say how many lines were dropped. t is updated
 * (the caller saves it). Returns an LMDB code.
 */
static int
log_put(struct store *st, MDB_txn *txn, struct task *t, const char *level,
    const char *msg)
{
	unsigned char key[TASK_ID_LEN + 4];
	char when[32], dropped[128];
	struct buf b = BUF_INIT;
	uint32_t max = (uint32_t)st->st_cfg->limits_max_log_lines, seq;
	MDB_val k, v;
	int rc;

	if (t->t_log_lines + 1 < max) {
		seq = t->t_log_lines++;
	} else {
		t->t_log_dropped++;
		seq = max - 1;
		t->t_log_lines = max;
		snprintf(dropped, sizeof(dropped), "%u log lines dropped "
		    "(limits.max_log_lines = %u)", t->t_log_dropped, max);
		level = "WARN";
		msg = dropped;
	}
	memcpy(key, t->t_id, TASK_ID_LEN);
	key[TASK_ID_LEN] = (unsigned char)(seq >> 24);
	key[TASK_ID_LEN + 1] = (unsigned char)(seq >> 16);
	key[TASK_ID_LEN + 2] = (unsigned char)(seq >> 8);
	key[TASK_ID_LEN + 3] = (unsigned char)seq;
	if (buf_printf(&b, "{\"time\":\"%s\",\"level\":\"%s\",\"message\":",
	    time_format_iso(time_now_ms(), when), level) == -1 ||
	    buf_json_str(&b, msg, strlen(msg)) == -1 || buf_putc(&b, '}') == -1) {
		buf_free(&b);
		return ENOMEM;
	}
	k.mv_size = sizeof(key);
	k.mv_data = key;
	v.mv_size = b.b_len;
	v.mv_data = b.b_data;
	rc = db_put(txn, st->st_dbi[DB_LOGS], &k, &v, 0);
	buf_free(&b);
	return rc;
}

/* Commits txn, or aborts it when rc is already an error. Returns AR code. */
static int
txn_end(MDB_txn *txn, int rc)
{
	if (rc != 0) {
		mdb_txn_abort(txn);
		return mdb_to_ar(rc);
	}
	return mdb_to_ar(db_commit(txn));
}

int
store_task_create(struct store *st, struct task *t, char *err, size_t errlen)
{
	const struct config *cfg = st->st_cfg;
	unsigned char key[OWNER_MAX + 40];
	MDB_txn *txn;
	MDB_cursor *c;
	MDB_stat ms;
	MDB_val k, v;
	size_t n, plen;
	int64_t active = 0;
	char msg[OWNER_MAX + 64];
	int rc, ar;

	if (t->t_owner[0] == '\0') {
		/* The user's turn (users, turns) needs a non-empty key. */
		snprintf(err, errlen, "user name is empty");
		return AR_EINVAL;
	}
	if (strlen(t->t_owner) > OWNER_MAX) {
		snprintf(err, errlen, "user name is longer than %d bytes",
		    OWNER_MAX);
		return AR_EINVAL;
	}
	if (util_task_id(t->t_id) == -1) {
		snprintf(err, errlen, "no random source");
		return AR_EINTERNAL;
	}
	if ((ar = space_check(st, 4096, 1)) != AR_OK) {
		snprintf(err, errlen, "storage is full: %s; delete tasks to "
		    "make room", store_error());
		return ar;
	}
	if ((rc = txn_begin(st, 0, &txn)) != 0)
		return mdb_to_ar(rc);
	mdb_stat(txn, st->st_dbi[DB_QUEUE], &ms);
	if ((int64_t)ms.ms_entries >= cfg->limits_max_queued_tasks) {
		mdb_txn_abort(txn);
		snprintf(err, errlen, "the queue is full: %llu tasks are queued "
		    "(limits.max_queued_tasks = %lld)",
		    (unsigned long long)ms.ms_entries,
		    (long long)cfg->limits_max_queued_tasks);
		return AR_EBUSY;
	}
	/* Count the caller's unfinished tasks. */
	plen = strlen(t->t_owner) + 1;
	memcpy(key, t->t_owner, plen);
	k.mv_size = plen;
	k.mv_data = key;
	if ((rc = mdb_cursor_open(txn, st->st_dbi[DB_ACTIVE], &c)) != 0)
		return txn_end(txn, rc);
	rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
	while (rc == 0 && k.mv_size >= plen &&
	    memcmp(k.mv_data, key, plen) == 0) {
		active++;
		rc = mdb_cursor_get(c, &k, &v, MDB_NEXT);
	}
	mdb_cursor_close(c);
	if (active >= cfg->limits_max_active_tasks_per_user) {
		mdb_txn_abort(txn);
		snprintf(err, errlen, "user '%s' has %lld unfinished tasks "
		    "(limits.max_active_tasks_per_user = %lld)", t->t_owner,
		    (long long)active,
		    (long long)cfg->limits_max_active_tasks_per_user);
		return AR_EBUSY;
	}
	/* Creation times are kept strictly increasing so that every list
	 * (queue, newest first) keeps creation order even within one ms. */
	if ((rc = mdb_cursor_open(txn, st->st_dbi[DB_BYTIME], &c)) != 0)
		return txn_end(txn, rc);
	if (mdb_cursor_get(c, &k, &v, MDB_LAST) == 0 && k.mv_size >= 8 &&
	    (int64_t)be64_get(k.mv_data) >= t->t_created)
		t->t_created = (int64_t)be64_get(k.mv_data) + 1;
	mdb_cursor_close(c);
	t->t_state = TASK_QUEUED;
	t->t_expires = t->t_created + cfg->retention_ttl_seconds * 1000;
	snprintf(msg, sizeof(msg), "task created by %s", t->t_owner);
	if ((rc = log_put(st, txn, t, "INFO", msg)) != 0 ||
	    (rc = task_save(st, txn, t)) != 0)
		goto out;
	n = time_key(key, t->t_created, t->t_id);
	if ((rc = put_empty(txn, st->st_dbi[DB_QUEUE], key, n)) != 0 ||
	    (rc = put_empty(txn, st->st_dbi[DB_BYTIME], key, n)) != 0)
		goto out;
	n = owner_key(key, t->t_owner, t->t_created, t->t_id);
	if ((rc = put_empty(txn, st->st_dbi[DB_OWNER], key, n)) != 0)
		goto out;
	n = owner_key(key, t->t_owner, -1, t->t_id);
	if ((rc = put_empty(txn, st->st_dbi[DB_ACTIVE], key, n)) != 0)
		goto out;
	n = owner_key(key, t->t_owner, t->t_created, t->t_id);
	if ((rc = put_empty(txn, st->st_dbi[DB_UQUEUE], key, n)) != 0)
		goto out;
	rc = fair_update(st, txn, t->t_owner, 0, 0);
out:
	ar = txn_end(txn, rc);
	if (ar == AR_EFULL)
		snprintf(err, errlen, "storage is full: %s; delete tasks to "
		    "make room", store_error());
	else if (ar != AR_OK)
		snprintf(err, errlen, "task store write failed");
	return ar;
}

int
store_task_get(struct store *st, const char *id, struct task *t)
{
	MDB_txn *txn;
	int rc;

	memset(t, 0, sizeof(*t));
	if (strlen(id) != TASK_ID_LEN)
		return AR_ENOTFOUND;
	if ((rc = txn_begin(st, MDB_RDONLY, &txn)) != 0)
		return mdb_to_ar(rc);
	rc = task_load(st, txn, id, t);
	mdb_txn_abort(txn);
	return mdb_to_ar(rc);
}

int
store_task_list(struct store *st, const char *owner, int state,
    int (*cb)(void *, const struct task *), void *arg)
{
	unsigned char key[OWNER_MAX + 40];
	char id[TASK_ID_LEN + 1];
	MDB_txn *txn;
	MDB_cursor *c;
	MDB_val k, v;
	size_t plen = 0;
	int rc, dbi;
	struct task t;

	if (owner && strlen(owner) > OWNER_MAX)
		return AR_OK;
	if ((rc = txn_begin(st, MDB_RDONLY, &txn)) != 0)
		return mdb_to_ar(rc);
	dbi = owner ? DB_OWNER : DB_BYTIME;
	if ((rc = mdb_cursor_open(txn, st->st_dbi[dbi], &c)) != 0) {
		mdb_txn_abort(txn);
		return mdb_to_ar(rc);
	}
	if (owner) {
		/* Position after the owner's last key, then walk back. */
		plen = strlen(owner) + 1;
		memcpy(key, owner, plen);
		memset(key + plen, 0xff, 9);
		k.mv_size = plen + 9;
		k.mv_data = key;
		rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
		rc = rc == 0 ? mdb_cursor_get(c, &k, &v, MDB_PREV) :
		    mdb_cursor_get(c, &k, &v, MDB_LAST);
	} else
		rc = mdb_cursor_get(c, &k, &v, MDB_LAST);
	for (; rc == 0; rc = mdb_cursor_get(c, &k, &v, MDB_PREV)) {
		if (owner && (k.mv_size < plen + 8 + TASK_ID_LEN ||
		    memcmp(k.mv_data, key, plen) != 0))
			break;
		if (k.mv_size < 8 + TASK_ID_LEN)
			continue;
		memcpy(id, (char *)k.mv_data + k.mv_size - TASK_ID_LEN,
		    TASK_ID_LEN);
		id[TASK_ID_LEN] = '\0';
		if (task_load(st, txn, id, &t) != 0)
			continue;
		if (state < 0 || (int)t.t_state == state) {
			if (cb(arg, &t) != 0) {
				task_clear(&t);
				break;
			}
		}
		task_clear(&t);
	}
	mdb_cursor_close(c);
	mdb_txn_abort(txn);
	return AR_OK;
}

/* Removes the queue/active/running index entries of t (leaving a final
 * state) and updates its owner's turn (fair_update) by t's state before
 * the change. Returns an LMDB code. */
static int
index_unactive(struct store *st, MDB_txn *txn, const struct task *t)
{
	unsigned char key[OWNER_MAX + 40];
	size_t n;
	int rc;

	n = time_key(key, t->t_created, t->t_id);
	if ((rc = del_key(txn, st->st_dbi[DB_QUEUE], key, n)) != 0)
		return rc;
	if ((rc = del_key(txn, st->st_dbi[DB_RUNNING], t->t_id,
	    TASK_ID_LEN)) != 0)
		return rc;
	n = owner_key(key, t->t_owner, -1, t->t_id);
	if ((rc = del_key(txn, st->st_dbi[DB_ACTIVE], key, n)) != 0)
		return rc;
	if (t->t_state == TASK_QUEUED) {
		n = owner_key(key, t->t_owner, t->t_created, t->t_id);
		if ((rc = del_key(txn, st->st_dbi[DB_UQUEUE], key, n)) != 0)
			return rc;
		return fair_update(st, txn, t->t_owner, 0, 0);
	}
	if (t->t_state == TASK_RUNNING)
		return fair_update(st, txn, t->t_owner, -1, 0);
	return 0;
}

/*
 * Moves t (loaded in txn) to a final state: times, indices, expiry, log
 * line. t is saved. Returns an LMDB code.
 */
static int
finish_in(struct store *st, MDB_txn *txn, struct task *t,
    enum task_state state, const char *error, const char *level,
    const char *msg)
{
	unsigned char key[40];
	size_t n;
	int rc;

	if ((rc = index_unactive(st, txn, t)) != 0)
		return rc;
	t->t_state = state;
	t->t_finished = time_now_ms();
	if (state == TASK_DONE)
		t->t_progress = 1.0;
	/* A cancelled task keeps the reason its break recorded (who asked),
	 * not the executor's generic one. */
	if (!(state == TASK_CANCELLED && t->t_cancel && t->t_error)) {
		free(t->t_error);
		t->t_error = error ? strdup(error) : NULL;
	}
	/* Re-key the expiry: ttl after the end. */
	t->t_expires = t->t_finished + st->st_cfg->retention_ttl_seconds * 1000;
	n = time_key(key, t->t_expires, t->t_id);
	if ((rc = put_empty(txn, st->st_dbi[DB_EXPIRY], key, n)) != 0)
		return rc;
	if (msg && (rc = log_put(st, txn, t, level, msg)) != 0)
		return rc;
	return task_save(st, txn, t);
}

static int
once_task_break(struct store *st, const char *id, const char *reason,
    enum task_state *state_out)
{
	MDB_txn *txn;
	struct task t;
	char msg[256];
	int rc;

	if (strlen(id) != TASK_ID_LEN)
		return AR_ENOTFOUND;
	if ((rc = txn_begin(st, 0, &txn)) != 0)
		return mdb_to_ar(rc);
	if ((rc = task_load(st, txn, id, &t)) != 0)
		return txn_end(txn, rc);
	*state_out = t.t_state;
	if (task_state_final(t.t_state)) {
		task_clear(&t);
		mdb_txn_abort(txn);
		return AR_ESTATE;
	}
	snprintf(msg, sizeof(msg), "%s%s", reason, t.t_state == TASK_QUEUED ?
	    " while queued" : ": cancellation requested");
	if (t.t_state == TASK_QUEUED) {
		rc = finish_in(st, txn, &t, TASK_CANCELLED, reason, "INFO",
		    msg);
		*state_out = TASK_CANCELLED;
	} else if (!t.t_cancel) {
		t.t_cancel = 1;
		t.t_cancel_at = time_now_ms();
		/* Kept as the error the task ends with (finish_in), so that
		 * it says who cancelled it; shown only once it is final. */
		free(t.t_error);
		t.t_error = strdup(reason);
		rc = log_put(st, txn, &t, "INFO", msg);
		if (rc == 0)
			rc = task_save(st, txn, &t);
	}
	task_clear(&t);
	return txn_end(txn, rc);
}

int
store_task_break(struct store *st, const char *id, const char *reason,
    enum task_state *state_out)
{
	int rc = once_task_break(st, id, reason, state_out);

	if (rc == AR_EFULL && store_grow(st) == 0)
		rc = once_task_break(st, id, reason, state_out);
	return rc;
}

/* Deletes every key of dbi starting with prefix. Returns an LMDB code. */
static int
del_prefix(MDB_txn *txn, MDB_dbi dbi, const void *prefix, size_t plen)
{
	MDB_cursor *c;
	MDB_val k = {plen, (void *)prefix}, v;
	int rc;

	if ((rc = mdb_cursor_open(txn, dbi, &c)) != 0)
		return rc;
	rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
	while (rc == 0 && k.mv_size >= plen &&
	    memcmp(k.mv_data, prefix, plen) == 0) {
		if ((rc = mdb_cursor_del(c, 0)) != 0)
			break;
		/* After a delete, NEXT yields the item that followed. */
		rc = mdb_cursor_get(c, &k, &v, MDB_NEXT);
	}
	mdb_cursor_close(c);
	return rc == MDB_NOTFOUND ? 0 : rc;
}

/*
 * A page of results is stored as records of at most PAGE_CHUNK bytes, keyed
 * id ‖ index of the page's first result (8, big-endian) ‖ chunk number (2,
 * big-endian). A record that size fits in an LMDB leaf page: larger values
 * go to runs of contiguous "overflow" pages, and finding such runs in a
 * large free list (after big tasks were deleted) made LMDB merge and scan
 * its whole free list on every write. Single pages come off the free list
 * at once. (4096-byte pages hold a leaf node of 2,038 bytes: 8 of node
 * header, 32 of key, so at most 1,998 of data.)
 */
#define PAGE_CHUNK 1984
#define PAGE_KEY_LEN (TASK_ID_LEN + 8 + 2)

/*
 * Deletes the result pages of task id, PURGE_BATCH records a transaction,
 * once its record is gone. One transaction for all the pages of a large
 * task would leave LMDB one free-list record of hundreds of thousands of
 * pages, which every later write transaction merges and writes back: the
 * writes of the next large task would crawl. Small batches keep the
 * free-list records small. Returns AR_OK or an AR_ code; pages left by a
 * crash or an error are found again by store_purge_orphans().
 */
#define PURGE_BATCH 2048
static int
pages_purge(struct store *st, const char *id)
{
	MDB_txn *txn;
	MDB_cursor *c;
	MDB_val k, v;
	int rc, n;

	do {
		if ((rc = txn_begin(st, 0, &txn)) != 0)
			return mdb_to_ar(rc);
		if ((rc = mdb_cursor_open(txn, st->st_dbi[DB_PAGES], &c)) != 0)
			return txn_end(txn, rc);
		k.mv_size = TASK_ID_LEN;
		k.mv_data = (void *)id;
		n = 0;
		rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
		while (rc == 0 && k.mv_size >= TASK_ID_LEN &&
		    memcmp(k.mv_data, id, TASK_ID_LEN) == 0) {
			if (n == PURGE_BATCH)
				break;
			if ((rc = mdb_cursor_del(c, 0)) != 0)
				break;
			n++;
			rc = mdb_cursor_get(c, &k, &v, MDB_NEXT);
		}
		mdb_cursor_close(c);
		if (rc != 0 && rc != MDB_NOTFOUND) {
			mdb_txn_abort(txn);
			return mdb_to_ar(rc);
		}
		if ((rc = txn_end(txn, 0)) != AR_OK)
			return rc;
	} while (n == PURGE_BATCH);
	return AR_OK;
}

int
store_fair_rebuild(struct store *st)
{
	MDB_txn *txn;
	int rc;

	if ((rc = txn_begin(st, 0, &txn)) != 0)
		return mdb_to_ar(rc);
	return txn_end(txn, fair_layout(st, txn, 1));
}

int
store_purge_orphans(struct store *st)
{
	char ids[64][TASK_ID_LEN + 1];
	unsigned char from[TASK_ID_LEN + 1];
	MDB_txn *txn;
	MDB_cursor *c;
	MDB_val k, v, tk;
	int rc, n, total = 0, more = 1;

	memset(from, 0, sizeof(from));
	while (more) {
		/* Walk the ids that have pages, one seek each, from `from`;
		 * note those without a task record (64 at a time). */
		n = 0;
		if (txn_begin(st, MDB_RDONLY, &txn) != 0)
			return total;
		if (mdb_cursor_open(txn, st->st_dbi[DB_PAGES], &c) != 0) {
			mdb_txn_abort(txn);
			return total;
		}
		k.mv_size = sizeof(from);
		k.mv_data = from;
		rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
		while (rc == 0 && k.mv_size >= TASK_ID_LEN && n < 64) {
			memcpy(from, k.mv_data, TASK_ID_LEN);
			tk.mv_size = TASK_ID_LEN;
			tk.mv_data = from;
			if (mdb_get(txn, st->st_dbi[DB_TASKS], &tk, &v) ==
			    MDB_NOTFOUND) {
				memcpy(ids[n], from, TASK_ID_LEN);
				ids[n++][TASK_ID_LEN] = '\0';
			}
			/* Past every key of this id (ids are followed by an
			 * 8-byte page number, far below 0xff...). */
			from[TASK_ID_LEN] = 0xff;
			k.mv_size = sizeof(from);
			k.mv_data = from;
			rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
		}
		more = rc == 0;
		mdb_cursor_close(c);
		mdb_txn_abort(txn);
		for (int i = 0; i < n; i++)
			if (pages_purge(st, ids[i]) == AR_OK)
				total++;
	}
	return total;
}

/*
 * Deletes t and all that belongs to it in txn but its result pages: the
 * caller purges those after the commit (pages_purge). Returns an LMDB code.
 */
static int
delete_in(struct store *st, MDB_txn *txn, const struct task *t)
{
	unsigned char key[OWNER_MAX + 40];
	size_t n;
	int rc;

	if ((rc = index_unactive(st, txn, t)) != 0)
		return rc;
	n = time_key(key, t->t_created, t->t_id);
	if ((rc = del_key(txn, st->st_dbi[DB_BYTIME], key, n)) != 0)
		return rc;
	n = time_key(key, t->t_expires, t->t_id);
	if ((rc = del_key(txn, st->st_dbi[DB_EXPIRY], key, n)) != 0)
		return rc;
	n = owner_key(key, t->t_owner, t->t_created, t->t_id);
	if ((rc = del_key(txn, st->st_dbi[DB_OWNER], key, n)) != 0)
		return rc;
	/* Result pages go after the commit, in batches (pages_purge). */
	if ((rc = del_prefix(txn, st->st_dbi[DB_LOGS], t->t_id,
	    TASK_ID_LEN)) != 0 ||
	    (rc = del_prefix(txn, st->st_dbi[DB_STATS], t->t_id,
	    TASK_ID_LEN)) != 0)
		return rc;
	return del_key(txn, st->st_dbi[DB_TASKS], t->t_id, TASK_ID_LEN);
}

static int
once_task_delete(struct store *st, const char *id)
{
	MDB_txn *txn;
	struct task t;
	int rc;

	if (strlen(id) != TASK_ID_LEN)
		return AR_ENOTFOUND;
	if ((rc = txn_begin(st, 0, &txn)) != 0)
		return mdb_to_ar(rc);
	if ((rc = task_load(st, txn, id, &t)) != 0)
		return txn_end(txn, rc);
	/* A running executor finds its record gone at its next write and
	 * stops (store_page_append returns AR_ELOST). */
	rc = delete_in(st, txn, &t);
	task_clear(&t);
	if ((rc = txn_end(txn, rc)) != AR_OK)
		return rc;
	/* The task is gone for every reader; its pages follow. A failure
	 * here leaves orphans for store_purge_orphans, not an error. */
	pages_purge(st, id);
	return AR_OK;
}

int
store_task_delete(struct store *st, const char *id)
{
	int rc = once_task_delete(st, id);

	if (rc == AR_EFULL && store_grow(st) == 0)
		rc = once_task_delete(st, id);
	return rc;
}

int
store_queue_counts(struct store *st, uint64_t *queued, uint64_t *running)
{
	MDB_txn *txn;
	MDB_stat ms;
	int rc;

	if ((rc = txn_begin(st, MDB_RDONLY, &txn)) != 0)
		return mdb_to_ar(rc);
	mdb_stat(txn, st->st_dbi[DB_QUEUE], &ms);
	*queued = ms.ms_entries;
	mdb_stat(txn, st->st_dbi[DB_RUNNING], &ms);
	*running = ms.ms_entries;
	mdb_txn_abort(txn);
	return AR_OK;
}

/*
 * Picks the next task as "Fair claiming" above says: the first turns key
 * names the user, the first uqueue key under that user the task. Both
 * index entries go, and the user's turn is re-keyed. O(log n).
 */
int
store_task_claim(struct store *st, uint64_t token, int runner_pid,
    struct task *t)
{
	unsigned char qk[OWNER_MAX + 40];
	char id[TASK_ID_LEN + 1], msg[64], owner[OWNER_MAX + 1];
	int64_t cap = config_running_per_user(st->st_cfg);
	uint64_t created;
	MDB_txn *txn;
	MDB_cursor *c;
	MDB_val k, v;
	size_t olen, n;
	int rc;

	memset(t, 0, sizeof(*t));
	if ((rc = txn_begin(st, 0, &txn)) != 0)
		return mdb_to_ar(rc);
	if ((rc = mdb_cursor_open(txn, st->st_dbi[DB_TURNS], &c)) != 0)
		return txn_end(txn, rc);
	rc = mdb_cursor_get(c, &k, &v, MDB_FIRST);
	if (rc == 0 && (k.mv_size <= TURN_HEAD ||
	    k.mv_size > TURN_HEAD + OWNER_MAX))
		rc = MDB_CORRUPTED;
	else if (rc == 0 && (int64_t)turn_running(k.mv_data) >= cap)
		rc = MDB_NOTFOUND;	/* every waiting user is at the cap */
	if (rc == 0) {
		olen = k.mv_size - TURN_HEAD;
		memcpy(owner, (char *)k.mv_data + TURN_HEAD, olen);
		owner[olen] = '\0';
	}
	mdb_cursor_close(c);
	if (rc != 0) {
		mdb_txn_abort(txn);
		return mdb_to_ar(rc);
	}
	/* That user's oldest QUEUED task. */
	memcpy(qk, owner, olen + 1);
	k.mv_size = olen + 1;
	k.mv_data = qk;
	if ((rc = mdb_cursor_open(txn, st->st_dbi[DB_UQUEUE], &c)) != 0)
		return txn_end(txn, rc);
	rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
	if (rc == 0 && k.mv_size == olen + 1 + 8 + TASK_ID_LEN &&
	    memcmp(k.mv_data, qk, olen + 1) == 0) {
		created = be64_get((unsigned char *)k.mv_data + olen + 1);
		memcpy(id, (char *)k.mv_data + olen + 9, TASK_ID_LEN);
		id[TASK_ID_LEN] = '\0';
		rc = mdb_cursor_del(c, 0);
	} else if (rc == 0 || rc == MDB_NOTFOUND)
		rc = MDB_CORRUPTED;	/* a turn without a queued task */
	mdb_cursor_close(c);
	if (rc != 0)
		return txn_end(txn, rc);
	n = time_key(qk, (int64_t)created, id);
	if ((rc = del_key(txn, st->st_dbi[DB_QUEUE], qk, n)) != 0 ||
	    (rc = fair_update(st, txn, owner, 1, 1)) != 0)
		return txn_end(txn, rc);
	if ((rc = task_load(st, txn, id, t)) != 0)
		return txn_end(txn, rc);
	t->t_state = TASK_RUNNING;
	t->t_started = time_now_ms();
	t->t_token = token;
	t->t_runner_pid = runner_pid;
	snprintf(msg, sizeof(msg), "started by runner pid %d", runner_pid);
	if ((rc = put_empty(txn, st->st_dbi[DB_RUNNING], id, TASK_ID_LEN)) ==
	    0 && (rc = log_put(st, txn, t, "INFO", msg)) == 0)
		rc = task_save(st, txn, t);
	rc = txn_end(txn, rc);
	if (rc != AR_OK)
		task_clear(t);
	return rc;
}

/*
 * Loads id in txn and checks that it still runs under token. Returns 0,
 * MDB_NOTFOUND-like codes, or -1 for "not ours" (mapped to AR_ELOST).
 */
static int
load_owned(struct store *st, MDB_txn *txn, const char *id, uint64_t token,
    struct task *t)
{
	int rc = task_load(st, txn, id, t);

	if (rc == MDB_NOTFOUND)
		return -1;
	if (rc != 0)
		return rc;
	if (t->t_state != TASK_RUNNING || (token && t->t_token != token)) {
		task_clear(t);
		return -1;
	}
	return 0;
}

int
store_task_set_exec(struct store *st, const char *id, uint64_t token,
    int exec_pid)
{
	MDB_txn *txn;
	struct task t;
	int rc;

	if ((rc = txn_begin(st, 0, &txn)) != 0)
		return mdb_to_ar(rc);
	if ((rc = load_owned(st, txn, id, token, &t)) != 0) {
		mdb_txn_abort(txn);
		return rc == -1 ? AR_ELOST : mdb_to_ar(rc);
	}
	t.t_exec_pid = exec_pid;
	rc = task_save(st, txn, &t);
	task_clear(&t);
	return txn_end(txn, rc);
}

static size_t stats_key(unsigned char *out, size_t cap, const char *id,
    const char *kind);

int
store_page_append(struct store *st, const char *id, uint64_t token,
    const char *data, size_t len, uint32_t count, uint64_t scanned,
    double progress, const char *fields, size_t fields_len, int *cancel)
{
	unsigned char key[PAGE_KEY_LEN], skey[TASK_ID_LEN + 32];
	MDB_txn *txn;
	MDB_val k, v;
	struct task t;
	int rc, ar;

	*cancel = 0;
	if (count > 0 && (len + PAGE_CHUNK - 1) / PAGE_CHUNK > UINT16_MAX)
		return AR_EINTERNAL;	/* runner.page_bytes keeps pages small */
	if ((count > 0 || fields != NULL) &&
	    (ar = space_check(st, len + fields_len, 0)) != AR_OK)
		return ar;
	if ((rc = txn_begin(st, 0, &txn)) != 0)
		return mdb_to_ar(rc);
	if ((rc = load_owned(st, txn, id, token, &t)) != 0) {
		mdb_txn_abort(txn);
		return rc == -1 ? AR_ELOST : mdb_to_ar(rc);
	}
	*cancel = t.t_cancel;
	if (count > 0) {
		memcpy(key, id, TASK_ID_LEN);
		be64_put(key + TASK_ID_LEN, t.t_results);
		for (size_t off = 0, chunk = 0; off < len; off += v.mv_size,
		    chunk++) {
			key[TASK_ID_LEN + 8] = (unsigned char)(chunk >> 8);
			key[TASK_ID_LEN + 9] = (unsigned char)chunk;
			k.mv_size = sizeof(key);
			k.mv_data = key;
			v.mv_size = len - off < PAGE_CHUNK ? len - off :
			    PAGE_CHUNK;
			v.mv_data = (void *)(data + off);
			if ((rc = db_put(txn, st->st_dbi[DB_PAGES], &k, &v,
			    0)) != 0)
				goto out;
		}
		t.t_results += count;
		t.t_result_bytes += len;
		t.t_pages++;
		st->st_appended += len;
	}
	if (fields != NULL) {
		if ((k.mv_size = stats_key(skey, sizeof(skey), id,
		    "fields")) == 0) {
			rc = MDB_BAD_VALSIZE;
			goto out;
		}
		k.mv_data = skey;
		v.mv_size = fields_len;
		v.mv_data = (void *)fields;
		if ((rc = db_put(txn, st->st_dbi[DB_STATS], &k, &v, 0)) != 0)
			goto out;
	}
	t.t_scanned = scanned;
	if (progress > t.t_progress && progress < 1.0)
		t.t_progress = progress;
	rc = task_save(st, txn, &t);
out:
	task_clear(&t);
	rc = txn_end(txn, rc);
	/* Writing pages reads the tree's leaves through the map: drop them
	 * now and then, or the executor's RSS grows with its results. */
	if (st->st_appended >= RELEASE_BYTES) {
		map_release(st);
		st->st_appended = 0;
	}
	return rc;
}

int
store_task_progress(struct store *st, const char *id, uint64_t token,
    uint64_t scanned, double progress, int *cancel)
{
	return store_page_append(st, id, token, NULL, 0, 0, scanned, progress,
	    NULL, 0, cancel);
}

static int
once_task_finish(struct store *st, const char *id, uint64_t token,
    enum task_state state, const char *error, const char *level,
    const char *msg)
{
	MDB_txn *txn;
	struct task t;
	int rc;

	if ((rc = txn_begin(st, 0, &txn)) != 0)
		return mdb_to_ar(rc);
	if ((rc = load_owned(st, txn, id, token, &t)) != 0) {
		mdb_txn_abort(txn);
		return rc == -1 ? AR_ELOST : mdb_to_ar(rc);
	}
	rc = finish_in(st, txn, &t, state, error, level, msg);
	task_clear(&t);
	return txn_end(txn, rc);
}

int
store_task_finish(struct store *st, const char *id, uint64_t token,
    enum task_state state, const char *error, const char *level,
    const char *msg)
{
	int rc = once_task_finish(st, id, token, state, error, level, msg);

	if (rc == AR_EFULL && store_grow(st) == 0)
		rc = once_task_finish(st, id, token, state, error, level, msg);
	return rc;
}

static int
once_log_append(struct store *st, const char *id, const char *level,
    const char *msg)
{
	MDB_txn *txn;
	struct task t;
	int rc;

	if ((rc = txn_begin(st, 0, &txn)) != 0)
		return mdb_to_ar(rc);
	if ((rc = task_load(st, txn, id, &t)) != 0)
		return txn_end(txn, rc);
	if ((rc = log_put(st, txn, &t, level, msg)) == 0)
		rc = task_save(st, txn, &t);
	task_clear(&t);
	return txn_end(txn, rc);
}

int
store_log_append(struct store *st, const char *id, const char *level,
    const char *msg)
{
	int rc = once_log_append(st, id, level, msg);

	if (rc == AR_EFULL && store_grow(st) == 0)
		rc = once_log_append(st, id, level, msg);
	return rc;
}

int
store_log_read(struct store *st, const char *id,
    int (*cb)(void *, const char *, size_t), void *arg)
{
	MDB_txn *txn;
	MDB_cursor *c;
	MDB_val k = {TASK_ID_LEN, (void *)id}, v;
	int rc;

	if (strlen(id) != TASK_ID_LEN)
		return AR_ENOTFOUND;
	if ((rc = txn_begin(st, MDB_RDONLY, &txn)) != 0)
		return mdb_to_ar(rc);
	if ((rc = mdb_cursor_open(txn, st->st_dbi[DB_LOGS], &c)) != 0) {
		mdb_txn_abort(txn);
		return mdb_to_ar(rc);
	}
	for (rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE); rc == 0;
	    rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		if (k.mv_size != TASK_ID_LEN + 4 ||
		    memcmp(k.mv_data, id, TASK_ID_LEN) != 0)
			break;
		if (cb(arg, v.mv_data, v.mv_size) != 0)
			break;
	}
	mdb_cursor_close(c);
	mdb_txn_abort(txn);
	return AR_OK;
}


/*
 * Drops the pages of the store's map from this process's page tables. A
 * long read (a download of gigabytes) would otherwise keep every page it
 * touched resident in the responder, counted as its RSS though it is page
 * cache. The map is a read-only shared file mapping, so MADV_DONTNEED loses
 * nothing: the pages stay in the page cache and a later access faults them
 * back. Callers must not hold pointers into the map across it.
 */
static void
map_release(struct store *st)
{
	char line[4600];
	unsigned long lo, hi;
	uintptr_t probe = 0;
	MDB_envinfo info;
	MDB_txn *txn;
	MDB_cursor *c;
	MDB_dbi main;
	MDB_val k, v;
	FILE *f;

	if (mdb_env_info(st->st_env, &info) != 0)
		return;
	if (info.me_mapsize != st->st_rel_size) {
		/* LMDB tells the map's address only for MDB_FIXEDMAP, and it
		 * moves when the map is resized. A read transaction's key
		 * points into the map: the line of /proc/self/maps holding
		 * it is this env's mapping (another env of this process may
		 * map the same file). */
		st->st_rel_size = info.me_mapsize;
		st->st_rel_lo = st->st_rel_hi = 0;
		if (mdb_txn_begin(st->st_env, NULL, MDB_RDONLY, &txn) != 0)
			return;
		if (mdb_dbi_open(txn, NULL, 0, &main) == 0 &&
		    mdb_cursor_open(txn, main, &c) == 0) {
			if (mdb_cursor_get(c, &k, &v, MDB_FIRST) == 0)
				probe = (uintptr_t)k.mv_data;
			mdb_cursor_close(c);
		}
		mdb_txn_abort(txn);
		if (probe == 0 || (f = fopen("/proc/self/maps", "r")) == NULL)
			return;
		while (fgets(line, sizeof(line), f) != NULL)
			if (sscanf(line, "%lx-%lx", &lo, &hi) == 2 &&
			    lo <= probe && probe < hi) {
				st->st_rel_lo = lo;
				st->st_rel_hi = hi;
				break;
			}
		fclose(f);
	}
	if (st->st_rel_hi > st->st_rel_lo)
		madvise((void *)st->st_rel_lo, st->st_rel_hi - st->st_rel_lo,
		    MADV_DONTNEED);
}

int
store_page_walk(const void *page, size_t len, uint64_t skip, uint64_t max,
    int (*cb)(void *, const char *, size_t), void *arg, uint64_t *n)
{
	const unsigned char *p = page;
	uint32_t count, s, e;
	size_t base;

	*n = 0;
	if (len < 4)
		return -1;
	memcpy(&count, p, 4);
	if ((uint64_t)count * 4 + 4 > len)
		return -1;
	base = 4 + (size_t)count * 4;
	/* Stored records are only 2-byte aligned: offsets are copied out. */
	for (uint64_t i = skip; i < count && *n < max; i++) {
		memcpy(&s, p + 4 + i * 4, 4);
		if (i + 1 < count)
			memcpy(&e, p + 4 + (i + 1) * 4, 4);
		else
			e = (uint32_t)(len - base);
		if (s > e || base + e > len)
			return -1;
		(*n)++;
		if (cb(arg, (const char *)p + base + s, e - s) != 0)
			return 1;
	}
	return 0;
}

/*
 * Reads the page whose first chunk the cursor is on (key k, data v) into
 * *page and *len: the record itself when it is the only chunk, else the
 * chunks joined in buf. Leaves the cursor on the record after the page and
 * sets *rc to that move's code. Returns 0, or -1 out of memory.
 */
static int
page_gather(MDB_cursor *c, MDB_val *k, MDB_val *v, struct buf *buf,
    const unsigned char **page, size_t *len, int *rc)
{
	unsigned char key[PAGE_KEY_LEN];

	*page = v->mv_data;
	*len = v->mv_size;
	memcpy(key, k->mv_data, TASK_ID_LEN + 8);
	*rc = db_read(c, k, v, MDB_NEXT);
	if (*len < PAGE_CHUNK)
		return 0;	/* a short chunk ends its page */
	buf->b_len = 0;
	if (buf_append(buf, *page, *len) == -1)
		return -1;
	while (*rc == 0 && k->mv_size == PAGE_KEY_LEN &&
	    memcmp(k->mv_data, key, TASK_ID_LEN + 8) == 0) {
		if (buf_append(buf, v->mv_data, v->mv_size) == -1)
			return -1;
		*rc = db_read(c, k, v, MDB_NEXT);
	}
	*page = (const unsigned char *)buf->b_data;
	*len = buf->b_len;
	return 0;
}

int
store_results_read(struct store *st, const char *id, uint64_t from,
    uint64_t to, struct task *t,
    int (*begin)(void *, const struct task *, uint64_t, uint64_t),
    int (*cb)(void *, const char *, size_t), void *arg)
{
	unsigned char key[PAGE_KEY_LEN];
	struct buf joined = BUF_INIT;
	MDB_txn *txn;
	MDB_cursor *c = NULL;
	MDB_val k, v;
	uint64_t first, idx, n;
	const unsigned char *page;
	size_t plen, read = 0;
	int rc, walk;

	memset(t, 0, sizeof(*t));
	if (strlen(id) != TASK_ID_LEN)
		return AR_ENOTFOUND;
	if ((rc = txn_begin(st, MDB_RDONLY, &txn)) != 0)
		return mdb_to_ar(rc);
	if ((rc = task_load(st, txn, id, t)) != 0)
		goto out;
	if (to > t->t_results)
		to = t->t_results;
	if (from > to)
		from = to;
	if (begin(arg, t, from, to) != 0 || from == to)
		goto out;
	if ((rc = mdb_cursor_open(txn, st->st_dbi[DB_PAGES], &c)) != 0)
		goto out;
	/* Find the page holding result 'from': the last page whose first
	 * index is <= from; then its first chunk. */
	memcpy(key, id, TASK_ID_LEN);
	be64_put(key + TASK_ID_LEN, from);
	key[TASK_ID_LEN + 8] = key[TASK_ID_LEN + 9] = 0;
	k.mv_size = sizeof(key);
	k.mv_data = key;
	rc = db_read(c, &k, &v, MDB_SET_RANGE);
	if (rc != 0 && rc != MDB_NOTFOUND)
		goto out;
	if (rc != 0 || memcmp(k.mv_data, id, TASK_ID_LEN) != 0 ||
	    be64_get((unsigned char *)k.mv_data + TASK_ID_LEN) > from) {
		rc = db_read(c, &k, &v, rc == MDB_NOTFOUND ?
		    MDB_LAST : MDB_PREV);
		if (rc == 0 && k.mv_size == PAGE_KEY_LEN &&
		    memcmp(k.mv_data, id, TASK_ID_LEN) == 0) {
			memcpy(key + TASK_ID_LEN, (unsigned char *)k.mv_data +
			    TASK_ID_LEN, 8);
			k.mv_size = sizeof(key);
			k.mv_data = key;
			rc = db_read(c, &k, &v, MDB_SET_KEY);
		}
	}
	idx = from;
	while (rc == 0 && idx < to) {
		if (k.mv_size != PAGE_KEY_LEN ||
		    memcmp(k.mv_data, id, TASK_ID_LEN) != 0 || v.mv_size < 4)
			break;
		/* Between pages, now and then: drop the map pages read so
		 * far from this process (see map_release). */
		if (read >= RELEASE_BYTES) {
			map_release(st);
			read = 0;
		}
		first = be64_get((unsigned char *)k.mv_data + TASK_ID_LEN);
		if (page_gather(c, &k, &v, &joined, &page, &plen, &rc) == -1) {
			rc = ENOMEM;
			goto out;
		}
		read += plen;
		if (first > idx)
			break;
		walk = store_page_walk(page, plen, idx - first, to - idx, cb,
		    arg, &n);
		idx += n;
		if (walk == 1)
			goto done;
		if (walk == -1)
			break;
	}
	/* The record counts the results of the pages committed with it, in
	 * this snapshot: stopping short of them (a failed read, a missing or
	 * malformed page) is an error, never a shorter answer. */
	if (idx < to) {
		if (rc == 0 || rc == MDB_NOTFOUND)
			rc = MDB_CORRUPTED;
		goto out;
	}
done:
	rc = 0;
out:
	buf_free(&joined);
	if (c)
		mdb_cursor_close(c);
	mdb_txn_abort(txn);
	if (rc != 0)
		task_clear(t);
	return mdb_to_ar(rc);
}

int
store_recover(struct store *st, const char *reason)
{
	char ids[64][TASK_ID_LEN + 1];
	MDB_txn *txn;
	MDB_cursor *c;
	MDB_val k, v;
	int n, rc, total = 0;

	/* Collect a batch of RUNNING ids, then fail them one by one. */
	do {
		n = 0;
		if ((rc = txn_begin(st, MDB_RDONLY, &txn)) != 0)
			return -1;
		if (mdb_cursor_open(txn, st->st_dbi[DB_RUNNING], &c) == 0) {
			for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST);
			    rc == 0 && n < 64;
			    rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
				if (k.mv_size != TASK_ID_LEN)
					continue;
				memcpy(ids[n], k.mv_data, TASK_ID_LEN);
				ids[n++][TASK_ID_LEN] = '\0';
			}
			mdb_cursor_close(c);
		}
		mdb_txn_abort(txn);
		for (int i = 0; i < n; i++) {
			rc = store_task_finish(st, ids[i], 0, TASK_FAILED,
			    reason, "ERROR", reason);
			if (rc == AR_ELOST) {
				/* Not RUNNING any more: drop the stale entry. */
				if (txn_begin(st, 0, &txn) == 0)
					txn_end(txn, del_key(txn,
					    st->st_dbi[DB_RUNNING], ids[i],
					    TASK_ID_LEN));
			} else if (rc != AR_OK)
				return total;
			total++;
		}
	} while (n == 64);
	return total;
}

int
store_expire(struct store *st, int64_t now_ms, int max)
{
	unsigned char key[40];
	char id[TASK_ID_LEN + 1];
	MDB_txn *txn;
	MDB_cursor *c;
	MDB_val k, v;
	struct task t;
	int rc, n = 0, purge;

	while (n < max) {
		if ((rc = txn_begin(st, 0, &txn)) != 0)
			return n;
		if ((rc = mdb_cursor_open(txn, st->st_dbi[DB_EXPIRY], &c)) != 0) {
			mdb_txn_abort(txn);
			return n;
		}
		rc = mdb_cursor_get(c, &k, &v, MDB_FIRST);
		if (rc != 0 || k.mv_size != 8 + TASK_ID_LEN ||
		    (int64_t)be64_get(k.mv_data) > now_ms) {
			mdb_cursor_close(c);
			mdb_txn_abort(txn);
			return n;
		}
		memcpy(key, k.mv_data, k.mv_size);
		memcpy(id, key + 8, TASK_ID_LEN);
		id[TASK_ID_LEN] = '\0';
		mdb_cursor_close(c);
		rc = task_load(st, txn, id, &t);
		purge = 0;
		if (rc == 0 && (int64_t)be64_get(key) == t.t_expires) {
			rc = delete_in(st, txn, &t);
			task_clear(&t);
			purge = 1;
		} else {
			/* A stale entry (re-keyed or task gone). */
			if (rc == 0)
				task_clear(&t);
			rc = del_key(txn, st->st_dbi[DB_EXPIRY], key,
			    8 + TASK_ID_LEN);
		}
		if (txn_end(txn, rc) != AR_OK)
			return n;
		if (purge)
			pages_purge(st, id);
		n++;
	}
	return n;
}

void
store_reader_check(struct store *st)
{
	int dead;

	mdb_reader_check(st->st_env, &dead);
}

/* Builds the stats key "id kind"; returns its length, 0 when too long. */
static size_t
stats_key(unsigned char *out, size_t cap, const char *id, const char *kind)
{
	size_t n = strlen(kind);

	if (TASK_ID_LEN + n > cap)
		return 0;
	memcpy(out, id, TASK_ID_LEN);
	memcpy(out + TASK_ID_LEN, kind, n);
	return TASK_ID_LEN + n;
}

int
store_stats_put(struct store *st, const char *id, uint64_t token,
    const char *kind, const char *data, size_t len)
{
	unsigned char key[TASK_ID_LEN + 32];
	MDB_txn *txn;
	MDB_val k, v;
	struct task t;
	int rc;

	if ((k.mv_size = stats_key(key, sizeof(key), id, kind)) == 0)
		return AR_EINTERNAL;
	if ((rc = space_check(st, len, 0)) != AR_OK)
		return rc;
	if ((rc = txn_begin(st, 0, &txn)) != 0)
		return mdb_to_ar(rc);
	if ((rc = load_owned(st, txn, id, token, &t)) != 0) {
		mdb_txn_abort(txn);
		return rc == -1 ? AR_ELOST : mdb_to_ar(rc);
	}
	task_clear(&t);
	k.mv_data = key;
	v.mv_size = len;
	v.mv_data = (void *)data;
	return txn_end(txn, db_put(txn, st->st_dbi[DB_STATS], &k, &v, 0));
}

int
store_stats_get(struct store *st, const char *id, const char *kind,
    char **data, size_t *len)
{
	unsigned char key[TASK_ID_LEN + 32];
	MDB_txn *txn;
	MDB_val k, v;
	int rc;

	*data = NULL;
	*len = 0;
	if (strlen(id) != TASK_ID_LEN ||
	    (k.mv_size = stats_key(key, sizeof(key), id, kind)) == 0)
		return AR_ENOTFOUND;
	k.mv_data = key;
	if ((rc = txn_begin(st, MDB_RDONLY, &txn)) != 0)
		return mdb_to_ar(rc);
	if (store_fault == NULL || (rc = store_fault(STORE_OP_READ)) == 0)
		rc = mdb_get(txn, st->st_dbi[DB_STATS], &k, &v);
	if (rc == 0) {
		if ((*data = malloc(v.mv_size + 1)) == NULL)
			rc = ENOMEM;
		else {
			memcpy(*data, v.mv_data, v.mv_size);
			(*data)[v.mv_size] = '\0';
			*len = v.mv_size;
		}
	}
	mdb_txn_abort(txn);
	return mdb_to_ar(rc);
}

/* mdb_reader_list callback: counts the lines after the header. */
static int
reader_count_line(const char *msg, void *arg)
{
	if (strncmp(msg, "    pid", 7) != 0 && strncmp(msg, "(no", 3) != 0)
		(*(int *)arg)++;
	return 0;
}

int
store_reader_count(struct store *st)
{
	int n = 0;

	mdb_reader_list(st->st_env, reader_count_line, &n);
	return n;
}
