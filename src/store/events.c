/* events.c - the embedded event store: LMDB indices keyed by event time. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <lmdb.h>

#include "common/util.h"
#include "store/block.h"
#include "store/events.h"

/*
 * Layout of the environment:
 *
 *   meta     "next_index" -> u32 BE	next index id to hand out
 *            "seq"        -> u64 BE	next global ingest sequence number
 *            "bytes" ‖ u32 BE id -> u64 BE	bytes of an index's events
 *				(keys + values); missing for an index
 *				loaded before it was kept: counted on
 *				demand
 *            "drop" ‖ u32 BE id  -> ""	a deleted index whose events are
 *				still being removed (in bounded batches)
 *   indices  name (no NUL) -> u32 BE id ‖ u64 BE event count ‖ time field
 *            "span" ‖ u32 BE id  -> u64 BE	the longest time a block of the
 *				index covers (newest - oldest, ms)
 *            "tail" ‖ u32 BE id  -> u64 BE	bytes (keys + values) of the
 *				index's events not yet in a block
 *   events   u32 BE id ‖ u64 BE (time ms ^ sign bit) ‖ u64 BE ~seq -> JSON
 *            (the tail: events not yet sealed into a block)
 *   blocks   the key of the newest event of the block -> a block
 *            (store/block.h): the index's older events, compressed, in
 *            key order
 *
 * LMDB compares keys with memcmp, so events of one index lie together in
 * time order; within one millisecond the inverted sequence makes a backwards
 * walk (newest first) return the earliest ingested event first.
 */

#define EVSTORE_MAXDBS		5
#define EVSTORE_KEY_LEN		20	/* id 4 + time 8 + ~seq 8 */
#define EVSTORE_SUFFIX_LEN	16	/* time ‖ ~seq: the merge order */
#define EVSTORE_REC_HDR		12	/* id 4 + count 8, then time field */
#define EVSTORE_NAME_MAX	200
#define EVSTORE_FIELD_MAX	255
#define EVSTORE_BATCH_EVENTS	2000
#define EVSTORE_BATCH_BYTES	(4u << 20)
#define EVSTORE_SIGN		0x8000000000000000ULL
#define EVSTORE_BLOCK_DEFAULT	(256u << 10)
#define EVSTORE_SEAL_MAX	64	/* blocks sealed in one commit */
/* Not an LMDB code: a block could not be made; err already says why. */
#define EVSTORE_EBLOCK		(-30000)

struct evstore {
	MDB_env		*es_env;
	MDB_dbi		 es_meta;
	MDB_dbi		 es_indices;
	MDB_dbi		 es_events;
	MDB_dbi		 es_blocks;
	int		 es_ntxn;	/* live transactions of this handle */
	size_t		 es_block_bytes;	/* 0: never seal */
};

/* Whether the highest key put by a batch ends the events DB (see
 * evstore_tail_put): et_state 1 yes, 0 no, -1 not known yet. */
struct evstore_tail {
	int		 et_state;
	unsigned char	 et_maxkey[EVSTORE_KEY_LEN];
};

struct evstore_ingest {
	struct evstore	*ei_store;
	MDB_txn		*ei_txn;	/* open batch, or NULL */
	uint32_t	 ei_id;
	uint64_t	 ei_count;	/* index count, with the open batch */
	uint64_t	 ei_seq;	/* next sequence number to use */
	size_t		 ei_nbatch;	/* events in the open batch */
	size_t		 ei_batch_bytes;
	int		 ei_failed;	/* a batch was lost: refuse more */
	struct evstore_tail ei_tail;	/* for evstore_tail_put */
	char		 ei_index[EVSTORE_NAME_MAX + 1];
	char		 ei_field[EVSTORE_FIELD_MAX + 1];
	uint64_t	 ei_count0;	/* index count when the batch opened */
};

/* A block of a scan, decompressed: the records in the scan's range. */
struct evstore_dblk {
	unsigned char	*db_raw;
	size_t		*db_off;	/* their offsets, in key order */
	size_t		 db_n;		/* left: db_off[db_n - 1] is next */
};

/*
 * One index of a scan: its tail (events DB) and its blocks merged newest
 * first. A block is keyed by its newest event, so a block whose key is
 * below the best event at hand holds nothing newer: blocks are read only
 * when their key passes that event, and their records wait in cu_d.
 */
struct evstore_cur {
	MDB_cursor	*cu_cur;	/* the tail */
	MDB_val		 cu_key;	/* its current event, in the map */
	MDB_val		 cu_val;
	int		 cu_tail;	/* cu_cur holds an event in range */
	MDB_cursor	*cu_bcur;	/* the blocks */
	MDB_val		 cu_bkey, cu_bval;
	int		 cu_blk;	/* cu_bcur holds a block still to read */
	struct evstore_dblk *cu_d;
	size_t		 cu_nd, cu_dcap;
	const unsigned char *cu_suf;	/* the current event: key suffix */
	const char	*cu_json;
	size_t		 cu_len;
	ssize_t		 cu_from;	/* -1: the tail, else in cu_d */
	uint64_t	 cu_skipped;	/* events of blocks the filter ruled out */
	uint64_t	 cu_skipped_bytes;
	uint32_t	 cu_id;
	size_t		 cu_no;		/* position in the caller's list */
};

struct evstore_scan {
	struct evstore		*sc_store;
	MDB_txn			*sc_txn;
	struct evstore_cur	*sc_curs;	/* one per index */
	struct evstore_cur	**sc_heap;	/* live ones, newest on top */
	size_t			 sc_ncurs;
	size_t			 sc_nheap;
	int64_t			 sc_start;
	int64_t			 sc_end;
	int			 sc_advance;	/* top returned: step it */
	int			 sc_started;	/* the indices are positioned */
	int			 (*sc_filter)(void *, const struct block_hdr *);
	void			*sc_farg;
};

static const char evstore_key_next[] = "next_index";
static const char evstore_key_seq[] = "seq";

static void
evstore_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
evstore_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* Returns 1 when k is the key of an event of index id, else 0. */
static int
evstore_key_in(const MDB_val *k, uint32_t id)
{
	return k->mv_size == EVSTORE_KEY_LEN &&
	    util_get_be32(k->mv_data) == id;
}

static void
evstore_key(unsigned char key[EVSTORE_KEY_LEN], uint32_t id, int64_t ms,
    uint64_t seq)
{
	util_put_be32(key, id);
	util_put_be64(key + 4, (uint64_t)ms ^ EVSTORE_SIGN);
	util_put_be64(key + 12, UINT64_MAX - seq);
}

static int64_t
evstore_key_time(const unsigned char *key)
{
	return (int64_t)(util_get_be64(key + 4) ^ EVSTORE_SIGN);
}

/*
 * Begins a transaction, adopting a map that another process has grown past
 * ours. Remapping would pull the map from under live transactions (scans
 * return pointers into it), so that is only done when this handle has none;
 * otherwise MDB_MAP_RESIZED is returned. Returns 0 or an LMDB error code.
 * End the transaction with evstore_txn_commit or evstore_txn_abort.
 */
static int
evstore_txn_begin(struct evstore *es, unsigned int flags, MDB_txn **txn)
{
	int rc;

	rc = mdb_txn_begin(es->es_env, NULL, flags, txn);
	if (rc == MDB_MAP_RESIZED && es->es_ntxn == 0) {
		if ((rc = mdb_env_set_mapsize(es->es_env, 0)) != 0)
			return rc;
		rc = mdb_txn_begin(es->es_env, NULL, flags, txn);
	}
	if (rc == 0)
		es->es_ntxn++;
	return rc;
}

/* Commits txn (freed even on failure). Returns 0 or an LMDB error code. */
static int
evstore_txn_commit(struct evstore *es, MDB_txn *txn)
{
	es->es_ntxn--;
	return mdb_txn_commit(txn);
}

static void
evstore_txn_abort(struct evstore *es, MDB_txn *txn)
{
	es->es_ntxn--;
	mdb_txn_abort(txn);
}

/* Formats an LMDB error, naming the map size when the map is full. */
static void
evstore_mdb_err(struct evstore *es, int rc, const char *what, char *err,
    size_t errlen)
{
	MDB_envinfo info;

	if (rc == EVSTORE_EBLOCK)
		return;
	if (rc == MDB_MAP_FULL && mdb_env_info(es->es_env, &info) == 0)
		evstore_err(err, errlen, "event store is full "
		    "(storage.events_map_size = %zu bytes)", info.me_mapsize);
	else
		evstore_err(err, errlen, "event store: %s: %s", what,
		    mdb_strerror(rc));
}

int
evstore_index_name_ok(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > EVSTORE_NAME_MAX)
		return 0;
	if (strchr("._-", name[0]) != NULL)
		return 0;
	return strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789._-") == n;
}

/*
 * Opens the four databases (a store made before blocks gains "blocks"), creating them in a write transaction only when
 * a read transaction does not find them, so that opening a store does not
 * wait behind a running ingest. Returns 0 or an LMDB error code.
 */
static int
evstore_open_dbs(struct evstore *es)
{
	MDB_txn *txn;
	unsigned int flags = MDB_RDONLY;
	int rc;

	for (;;) {
		unsigned int dbf = flags == MDB_RDONLY ? 0 : MDB_CREATE;

		if ((rc = evstore_txn_begin(es, flags, &txn)) != 0)
			return rc;
		if ((rc = mdb_dbi_open(txn, "meta", dbf, &es->es_meta)) == 0 &&
		    (rc = mdb_dbi_open(txn, "indices", dbf,
		    &es->es_indices)) == 0 &&
		    (rc = mdb_dbi_open(txn, "events", dbf,
		    &es->es_events)) == 0 &&
		    (rc = mdb_dbi_open(txn, "blocks", dbf,
		    &es->es_blocks)) == 0)
			/* Commit, even read-only: that keeps the handles. */
			return evstore_txn_commit(es, txn);
		evstore_txn_abort(es, txn);
		if (rc != MDB_NOTFOUND || flags == 0)
			return rc;
		flags = 0;
	}
}

int
evstore_open(struct evstore **out, const char *dir, uint64_t map_size,
    char *err, size_t errlen)
{
	struct evstore *es;
	int rc, dead;

	*out = NULL;
	if (mkdir(dir, 0700) == -1 && errno != EEXIST) {
		evstore_err(err, errlen, "cannot create %s: %s", dir,
		    strerror(errno));
		return -1;
	}
	if ((es = calloc(1, sizeof(*es))) == NULL) {
		evstore_err(err, errlen, "out of memory");
		return -1;
	}
	es->es_block_bytes = EVSTORE_BLOCK_DEFAULT;
	if ((rc = mdb_env_create(&es->es_env)) != 0) {
		es->es_env = NULL;
		goto fail;
	}
	if ((rc = mdb_env_set_maxdbs(es->es_env, EVSTORE_MAXDBS)) != 0 ||
	    (rc = mdb_env_set_mapsize(es->es_env, (size_t)map_size)) != 0)
		goto fail;
	/*
	 * MDB_NOTLS ties reader slots to transactions, not threads, so one
	 * thread may hold several scans (a subsearch inside a query) and a
	 * scan while it ingests.
	 */
	if ((rc = mdb_env_open(es->es_env, dir, MDB_NOTLS, 0600)) != 0)
		goto fail;
	/* Slots of readers that died (a killed executor) pin old pages. */
	(void)mdb_reader_check(es->es_env, &dead);
	if ((rc = evstore_open_dbs(es)) != 0)
		goto fail;
	*out = es;
	return 0;
fail:
	evstore_err(err, errlen, "cannot open event store %s: %s", dir,
	    mdb_strerror(rc));
	if (es->es_env != NULL)
		mdb_env_close(es->es_env);
	free(es);
	return -1;
}

void
evstore_set_block_bytes(struct evstore *es, size_t bytes)
{
	es->es_block_bytes = bytes;
}

void
evstore_close(struct evstore *es)
{
	if (es == NULL)
		return;
	mdb_env_close(es->es_env);
	free(es);
}

/*
 * Reads the record of index name in txn. Returns 0 with the id, count and
 * (when field is not NULL) the NUL-terminated time field, MDB_NOTFOUND, or
 * another LMDB error (MDB_CORRUPTED for a malformed record).
 */
static int
evstore_index_get(struct evstore *es, MDB_txn *txn, const char *name,
    uint32_t *id, uint64_t *count, char field[EVSTORE_FIELD_MAX + 1])
{
	MDB_val k, v;
	size_t flen;
	int rc;

	k.mv_data = (void *)name;
	k.mv_size = strlen(name);
	if ((rc = mdb_get(txn, es->es_indices, &k, &v)) != 0)
		return rc;
	if (v.mv_size < EVSTORE_REC_HDR ||
	    (flen = v.mv_size - EVSTORE_REC_HDR) > EVSTORE_FIELD_MAX)
		return MDB_CORRUPTED;
	*id = util_get_be32(v.mv_data);
	*count = util_get_be64((const unsigned char *)v.mv_data + 4);
	if (field != NULL) {
		memcpy(field, (const char *)v.mv_data + EVSTORE_REC_HDR, flen);
		field[flen] = '\0';
	}
	return 0;
}

/* Writes the record of index name. Returns 0 or an LMDB error code. */
static int
evstore_index_put(struct evstore *es, MDB_txn *txn, const char *name,
    uint32_t id, uint64_t count, const char *field)
{
	unsigned char rec[EVSTORE_REC_HDR + EVSTORE_FIELD_MAX];
	size_t flen = strlen(field);
	MDB_val k, v;

	util_put_be32(rec, id);
	util_put_be64(rec + 4, count);
	memcpy(rec + EVSTORE_REC_HDR, field, flen);
	k.mv_data = (void *)name;
	k.mv_size = strlen(name);
	v.mv_data = rec;
	v.mv_size = EVSTORE_REC_HDR + flen;
	return mdb_put(txn, es->es_indices, &k, &v, 0);
}

/*
 * Reads the meta counter key (a u32 or u64, by its size). A missing key
 * reads as 1 so that id and sequence 0 are never used. Returns 0 or an LMDB
 * error code.
 */
static int
evstore_meta_get(struct evstore *es, MDB_txn *txn, const char *key,
    uint64_t *val)
{
	MDB_val k, v;
	int rc;

	k.mv_data = (void *)key;
	k.mv_size = strlen(key);
	rc = mdb_get(txn, es->es_meta, &k, &v);
	if (rc == MDB_NOTFOUND) {
		*val = 1;
		return 0;
	}
	if (rc != 0)
		return rc;
	if (v.mv_size == 4)
		*val = util_get_be32(v.mv_data);
	else if (v.mv_size == 8)
		*val = util_get_be64(v.mv_data);
	else
		return MDB_CORRUPTED;
	return 0;
}

/* Writes a meta counter of width bytes (4 or 8). 0 or an LMDB error. */
static int
evstore_meta_put(struct evstore *es, MDB_txn *txn, const char *key,
    uint64_t val, size_t width)
{
	unsigned char buf[8];
	MDB_val k, v;

	if (width == 4)
		util_put_be32(buf, (uint32_t)val);
	else
		util_put_be64(buf, val);
	k.mv_data = (void *)key;
	k.mv_size = strlen(key);
	v.mv_data = buf;
	v.mv_size = width;
	return mdb_put(txn, es->es_meta, &k, &v, 0);
}

static const char evstore_key_bytes[] = "bytes";
static const char evstore_key_drop[] = "drop";
static const char evstore_key_span[] = "span";
static const char evstore_key_tail[] = "tail";

/* Builds the meta key prefix ‖ id into key (at most 9 bytes). Returns the
 * key length. */
static size_t
evstore_id_key(unsigned char key[9], const char *prefix, uint32_t id)
{
	size_t n = strlen(prefix);

	memcpy(key, prefix, n);
	util_put_be32(key + n, id);
	return n + 4;
}

/*
 * Reads the u64 kept under prefix ‖ id in the meta DB. Returns 0 with *val,
 * MDB_NOTFOUND when none is kept, or another LMDB error.
 */
static int
evstore_idval_get(struct evstore *es, MDB_txn *txn, const char *prefix,
    uint32_t id, uint64_t *val)
{
	unsigned char key[9];
	MDB_val k, v;
	int rc;

	k.mv_data = key;
	k.mv_size = evstore_id_key(key, prefix, id);
	if ((rc = mdb_get(txn, es->es_meta, &k, &v)) != 0)
		return rc;
	if (v.mv_size != 8)
		return MDB_CORRUPTED;
	*val = util_get_be64(v.mv_data);
	return 0;
}

/* Writes val under prefix ‖ id in the meta DB. Returns 0 or an LMDB error. */
static int
evstore_idval_put(struct evstore *es, MDB_txn *txn, const char *prefix,
    uint32_t id, uint64_t val)
{
	unsigned char key[9], buf[8];
	MDB_val k, v;

	k.mv_data = key;
	k.mv_size = evstore_id_key(key, prefix, id);
	util_put_be64(buf, val);
	v.mv_data = buf;
	v.mv_size = 8;
	return mdb_put(txn, es->es_meta, &k, &v, 0);
}

/* Removes prefix ‖ id from the meta DB (fine when missing). 0 or an error. */
static int
evstore_idval_del(struct evstore *es, MDB_txn *txn, const char *prefix,
    uint32_t id)
{
	unsigned char key[9];
	MDB_val k;
	int rc;

	k.mv_data = key;
	k.mv_size = evstore_id_key(key, prefix, id);
	rc = mdb_del(txn, es->es_meta, &k, NULL);
	return rc == MDB_NOTFOUND ? 0 : rc;
}

/* The byte count of index id: as evstore_idval_get. */
static int
evstore_bytes_get(struct evstore *es, MDB_txn *txn, uint32_t id,
    uint64_t *bytes)
{
	return evstore_idval_get(es, txn, evstore_key_bytes, id, bytes);
}

/* Writes the byte count of index id. Returns 0 or an LMDB error. */
static int
evstore_bytes_put(struct evstore *es, MDB_txn *txn, uint32_t id,
    uint64_t bytes)
{
	return evstore_idval_put(es, txn, evstore_key_bytes, id, bytes);
}

/*
 * Adds added bytes to the count of index id, which held count0 events
 * before: an index that was empty starts its count here; one whose count
 * is not kept (loaded before counts were) stays uncounted. Returns 0 or an
 * LMDB error.
 */
static int
evstore_bytes_add(struct evstore *es, MDB_txn *txn, uint32_t id,
    uint64_t count0, uint64_t added)
{
	uint64_t bytes = 0;
	int rc;

	rc = evstore_bytes_get(es, txn, id, &bytes);
	if (rc == MDB_NOTFOUND && count0 > 0)
		return 0;
	if (rc != 0 && rc != MDB_NOTFOUND)
		return rc;
	return evstore_bytes_put(es, txn, id, bytes + added);
}

/* Returns the length of the literal prefix of pattern, up to its first '*'. */
static size_t
evstore_glob_prefix(const char *pattern)
{
	const char *star = strchr(pattern, '*');

	return star != NULL ? (size_t)(star - pattern) : strlen(pattern);
}

/*
 * Walks the indices whose names begin with the literal prefix of pattern
 * (a cursor range, not the whole DB) and reports those matching it. The
 * name passed to cb is a copy valid during the call. Returns the number of
 * indices reported, or -1 on a storage error.
 */
int
evstore_match(struct evstore *es, const char *pattern,
    int (*cb)(void *arg, const char *name, uint64_t count), void *arg)
{
	char name[EVSTORE_NAME_MAX + 1];
	MDB_txn *txn = NULL;
	MDB_cursor *cur = NULL;
	MDB_val k, v;
	size_t plen = evstore_glob_prefix(pattern);
	int rc, n = 0;

	if ((rc = evstore_txn_begin(es, MDB_RDONLY, &txn)) != 0)
		return -1;
	if ((rc = mdb_cursor_open(txn, es->es_indices, &cur)) != 0)
		goto fail;
	k.mv_data = (void *)pattern;
	k.mv_size = plen;
	rc = plen > 0 ? mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE) :
	    mdb_cursor_get(cur, &k, &v, MDB_FIRST);
	for (; rc == 0; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if (k.mv_size < plen || memcmp(k.mv_data, pattern, plen) != 0)
			break;	/* past the prefix: no later key can match */
		if (k.mv_size > EVSTORE_NAME_MAX || v.mv_size < EVSTORE_REC_HDR)
			continue;
		memcpy(name, k.mv_data, k.mv_size);
		name[k.mv_size] = '\0';
		if (!util_glob(pattern, name))
			continue;
		n++;
		if (cb(arg, name,
		    util_get_be64((const unsigned char *)v.mv_data + 4)) != 0)
			break;
	}
	if (rc != 0 && rc != MDB_NOTFOUND)
		goto fail;
	mdb_cursor_close(cur);
	evstore_txn_abort(es, txn);
	return n;
fail:
	if (cur != NULL)
		mdb_cursor_close(cur);
	evstore_txn_abort(es, txn);
	return -1;
}

/*
 * Creates index in its own short write transaction, or checks the time
 * field of an existing one. The handle owns nothing from the caller.
 * Note that LMDB has one writer at a time: while a handle has an open batch
 * no other write transaction can start, so one thread must not interleave
 * two ingest handles.
 */
int
evstore_ingest_begin(struct evstore *es, const char *index,
    const char *time_field, struct evstore_ingest **out,
    char *err, size_t errlen)
{
	struct evstore_ingest *ei = NULL;
	char field[EVSTORE_FIELD_MAX + 1];
	MDB_txn *txn = NULL;
	uint64_t next;
	int rc;

	*out = NULL;
	if (!evstore_index_name_ok(index)) {
		evstore_err(err, errlen, "invalid index name '%s' (letters, "
		    "digits, '.', '_', '-', not starting with a punctuation "
		    "mark, at most %d bytes)", index, EVSTORE_NAME_MAX);
		return -1;
	}
	if (time_field[0] == '\0' || strlen(time_field) > EVSTORE_FIELD_MAX) {
		evstore_err(err, errlen, "invalid time field name '%s'",
		    time_field);
		return -1;
	}
	if ((ei = calloc(1, sizeof(*ei))) == NULL) {
		evstore_err(err, errlen, "out of memory");
		return -1;
	}
	ei->ei_store = es;
	strcpy(ei->ei_index, index);
	strcpy(ei->ei_field, time_field);

	/* rc != 0 at fail: an LMDB error still to be described. */
	if ((rc = evstore_txn_begin(es, 0, &txn)) != 0) {
		txn = NULL;
		goto fail;
	}
	rc = evstore_index_get(es, txn, index, &ei->ei_id, &ei->ei_count,
	    field);
	if (rc == 0 && strcmp(field, time_field) != 0) {
		evstore_err(err, errlen,
		    "index '%s' is keyed by '%s', not '%s'", index, field,
		    time_field);
		goto fail;
	}
	if (rc == MDB_NOTFOUND) {
		if ((rc = evstore_meta_get(es, txn, evstore_key_next,
		    &next)) != 0)
			goto fail;
		if (next > UINT32_MAX) {
			evstore_err(err, errlen,
			    "event store: out of index ids");
			goto fail;
		}
		ei->ei_id = (uint32_t)next;
		ei->ei_count = 0;
		if ((rc = evstore_meta_put(es, txn, evstore_key_next, next + 1,
		    4)) != 0 ||
		    (rc = evstore_index_put(es, txn, index, ei->ei_id, 0,
		    time_field)) != 0)
			goto fail;
	} else if (rc != 0)
		goto fail;
	rc = evstore_txn_commit(es, txn);
	txn = NULL;
	if (rc != 0)
		goto fail;
	*out = ei;
	return 0;
fail:
	if (rc != 0)
		evstore_mdb_err(es, rc, "creating index", err, errlen);
	if (txn != NULL)
		evstore_txn_abort(es, txn);
	free(ei);
	return -1;
}

static int evstore_seal(struct evstore *, MDB_txn *, uint32_t, uint64_t,
    char *, size_t);

/*
 * Commits the open batch with the index count and the sequence counter.
 * Returns 0, or -1 (the batch is lost and the handle refuses more).
 */
static int
evstore_ingest_commit(struct evstore_ingest *ei, char *err, size_t errlen)
{
	struct evstore *es = ei->ei_store;
	int rc;

	if (ei->ei_txn == NULL)
		return 0;
	if ((rc = evstore_meta_put(es, ei->ei_txn, evstore_key_seq, ei->ei_seq,
	    8)) != 0 ||
	    (rc = evstore_index_put(es, ei->ei_txn, ei->ei_index, ei->ei_id,
	    ei->ei_count, ei->ei_field)) != 0 ||
	    (rc = evstore_bytes_add(es, ei->ei_txn, ei->ei_id, ei->ei_count0,
	    ei->ei_batch_bytes)) != 0 ||
	    (rc = evstore_seal(es, ei->ei_txn, ei->ei_id, ei->ei_batch_bytes,
	    err, errlen)) != 0)
		goto fail;
	rc = evstore_txn_commit(es, ei->ei_txn);
	ei->ei_txn = NULL;
	if (rc != 0)
		goto fail;
	ei->ei_nbatch = 0;
	ei->ei_batch_bytes = 0;
	return 0;
fail:
	if (ei->ei_txn != NULL)
		evstore_txn_abort(es, ei->ei_txn);
	ei->ei_txn = NULL;
	ei->ei_failed = 1;
	evstore_mdb_err(es, rc, "committing events", err, errlen);
	return -1;
}

/*
 * Opens a batch: a write transaction, with the counters re-read because
 * other processes may have ingested since the last batch. 0 or -1.
 */
static int
evstore_ingest_open_batch(struct evstore_ingest *ei, char *err, size_t errlen)
{
	struct evstore *es = ei->ei_store;
	uint32_t id;
	int rc;

	if ((rc = evstore_txn_begin(es, 0, &ei->ei_txn)) != 0) {
		ei->ei_txn = NULL;
		goto fail;
	}
	if ((rc = evstore_meta_get(es, ei->ei_txn, evstore_key_seq,
	    &ei->ei_seq)) != 0 ||
	    (rc = evstore_index_get(es, ei->ei_txn, ei->ei_index, &id,
	    &ei->ei_count, NULL)) != 0)
		goto fail;
	if (id != ei->ei_id) {
		rc = MDB_CORRUPTED;
		goto fail;
	}
	ei->ei_count0 = ei->ei_count;
	ei->ei_nbatch = 0;
	ei->ei_batch_bytes = 0;
	ei->ei_tail.et_state = -1;
	return 0;
fail:
	if (ei->ei_txn != NULL)
		evstore_txn_abort(es, ei->ei_txn);
	ei->ei_txn = NULL;
	ei->ei_failed = 1;
	evstore_mdb_err(es, rc, "starting a batch", err, errlen);
	return -1;
}

/*
 * Puts one event into the events DB in txn. A plain put into the middle of
 * a page splits it in half, so time-ordered input would leave every leaf
 * half empty; MDB_APPEND splits at the end instead. It is only valid past
 * the last key of the whole DB, which holds for the newest index loaded in
 * ascending time: the first put of a batch tries it, and after a success
 * every key above the batch's highest key (t->et_maxkey) is known to be
 * past the end (nobody else writes during the batch). The same holds for a
 * batch over several indices: it is about the end of the whole DB.
 * Returns 0 or an LMDB error code.
 */
static int
evstore_tail_put(MDB_txn *txn, MDB_dbi dbi, struct evstore_tail *t,
    MDB_val *k, MDB_val *v)
{
	int rc;

	if (t->et_state == 0 || (t->et_state == 1 &&
	    memcmp(k->mv_data, t->et_maxkey, EVSTORE_KEY_LEN) < 0))
		return mdb_put(txn, dbi, k, v, 0);
	rc = mdb_put(txn, dbi, k, v, MDB_APPEND);
	if (rc == MDB_KEYEXIST) {	/* not past the end: nothing written */
		t->et_state = 0;
		return mdb_put(txn, dbi, k, v, 0);
	}
	if (rc == 0) {
		t->et_state = 1;
		memcpy(t->et_maxkey, k->mv_data, EVSTORE_KEY_LEN);
	}
	return rc;
}

static int evstore_first_event(MDB_cursor *, uint32_t, MDB_val *, MDB_val *);
static int evstore_tail_count(MDB_cursor *, uint32_t, uint64_t *);

/*
 * Seals the oldest events of index id's tail into one block, in txn:
 * events in key order up to es_block_bytes of them (keys and values), or
 * all of the tail when last is set; the block goes into the blocks DB
 * under the key of its newest event and the events leave the tail.
 * Returns 0 with *sealed the bytes moved (0: the tail was empty), or an
 * LMDB error (EVSTORE_EBLOCK, with the reason in err, for a block that
 * could not be made).
 */
static int
evstore_seal_one(struct evstore *es, MDB_txn *txn, uint32_t id, int last,
    uint64_t *sealed, char *err, size_t errlen)
{
	struct block_build bb;
	unsigned char lastkey[EVSTORE_KEY_LEN];
	MDB_cursor *cur = NULL;
	MDB_val k, v;
	void *blk = NULL;
	size_t blen, n = 0;
	uint64_t span;
	int rc;

	*sealed = 0;
	block_build_init(&bb);
	if ((rc = mdb_cursor_open(txn, es->es_events, &cur)) != 0)
		return rc;
	for (rc = evstore_first_event(cur, id, &k, &v); rc == 0;
	    rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if (!evstore_key_in(&k, id))
			break;
		if (!last && bb.bb_bytes >= es->es_block_bytes)
			break;
		if (block_build_add(&bb, (const unsigned char *)k.mv_data + 4,
		    evstore_key_time(k.mv_data), v.mv_data, v.mv_size) == -1) {
			evstore_err(err, errlen, "event block: out of memory");
			rc = EVSTORE_EBLOCK;
			goto out;
		}
		memcpy(lastkey, k.mv_data, EVSTORE_KEY_LEN);
		n++;
	}
	if (rc != 0 && rc != MDB_NOTFOUND)
		goto out;
	rc = 0;
	if (n == 0)
		goto out;
	if (block_build_finish(&bb, &blk, &blen, err, errlen) == -1) {
		rc = EVSTORE_EBLOCK;
		goto out;
	}
	k.mv_data = lastkey;
	k.mv_size = EVSTORE_KEY_LEN;
	v.mv_data = blk;
	v.mv_size = blen;
	if ((rc = mdb_put(txn, es->es_blocks, &k, &v, 0)) != 0)
		goto out;
	/* The events are in the block: they leave the tail. */
	for (size_t i = 0; i < n; i++) {
		if ((rc = evstore_first_event(cur, id, &k, &v)) != 0 ||
		    (rc = mdb_cursor_del(cur, 0)) != 0)
			goto out;
	}
	rc = evstore_idval_get(es, txn, evstore_key_span, id, &span);
	if (rc == MDB_NOTFOUND)
		span = 0;
	else if (rc != 0)
		goto out;
	if ((uint64_t)(bb.bb_tmax - bb.bb_tmin) > span || rc == MDB_NOTFOUND)
		rc = evstore_idval_put(es, txn, evstore_key_span, id,
		    (uint64_t)(bb.bb_tmax - bb.bb_tmin) > span ?
		    (uint64_t)(bb.bb_tmax - bb.bb_tmin) : span);
	else
		rc = 0;
	*sealed = bb.bb_bytes;
out:
	free(blk);
	block_build_free(&bb);
	mdb_cursor_close(cur);
	return rc;
}

/*
 * After a write of added bytes to index id's tail, in txn: seals blocks
 * from the oldest end while the tail holds es_block_bytes or more, at most
 * EVSTORE_SEAL_MAX of them (the next commit goes on). Returns 0 or an LMDB
 * error (see evstore_seal_one).
 */
static int
evstore_seal(struct evstore *es, MDB_txn *txn, uint32_t id, uint64_t added,
    char *err, size_t errlen)
{
	MDB_cursor *cur;
	uint64_t tail, sealed;
	int rc, n;

	rc = evstore_idval_get(es, txn, evstore_key_tail, id, &tail);
	if (rc == MDB_NOTFOUND) {	/* a store made before blocks */
		if ((rc = mdb_cursor_open(txn, es->es_events, &cur)) != 0)
			return rc;
		rc = evstore_tail_count(cur, id, &tail);
		mdb_cursor_close(cur);
		added = 0;	/* counted in the walk */
	}
	if (rc != 0)
		return rc;
	tail += added;
	for (n = 0; es->es_block_bytes > 0 && tail >= es->es_block_bytes &&
	    n < EVSTORE_SEAL_MAX; n++) {
		if ((rc = evstore_seal_one(es, txn, id, 0, &sealed, err,
		    errlen)) != 0)
			return rc;
		if (sealed == 0)
			break;
		tail = tail > sealed ? tail - sealed : 0;
	}
	return evstore_idval_put(es, txn, evstore_key_tail, id, tail);
}

/*
 * Stores json (copied into the map) under its time and the next sequence
 * number, committing when the batch reaches EVSTORE_BATCH_EVENTS events or
 * EVSTORE_BATCH_BYTES bytes. Returns 0, or -1 with a reason; after -1 the
 * uncommitted part of the batch is lost and every later call fails.
 */
int
evstore_ingest_add(struct evstore_ingest *ei, int64_t time_ms,
    const char *json, size_t len, char *err, size_t errlen)
{
	unsigned char key[EVSTORE_KEY_LEN];
	MDB_val k, v;
	int rc;

	if (ei->ei_failed) {
		evstore_err(err, errlen, "event store: ingest into '%s' "
		    "has already failed", ei->ei_index);
		return -1;
	}
	if (len == 0) {
		evstore_err(err, errlen, "event store: empty event");
		return -1;
	}
	if (ei->ei_txn == NULL &&
	    evstore_ingest_open_batch(ei, err, errlen) == -1)
		return -1;
	evstore_key(key, ei->ei_id, time_ms, ei->ei_seq);
	k.mv_data = key;
	k.mv_size = sizeof(key);
	v.mv_data = (void *)json;
	v.mv_size = len;
	if ((rc = evstore_tail_put(ei->ei_txn, ei->ei_store->es_events,
	    &ei->ei_tail, &k, &v)) != 0) {
		evstore_txn_abort(ei->ei_store, ei->ei_txn);
		ei->ei_txn = NULL;
		ei->ei_failed = 1;
		evstore_mdb_err(ei->ei_store, rc, "storing an event", err,
		    errlen);
		return -1;
	}
	ei->ei_seq++;
	ei->ei_count++;
	ei->ei_nbatch++;
	ei->ei_batch_bytes += len + sizeof(key);
	if (ei->ei_nbatch >= EVSTORE_BATCH_EVENTS ||
	    ei->ei_batch_bytes >= EVSTORE_BATCH_BYTES)
		return evstore_ingest_commit(ei, err, errlen);
	return 0;
}

int
evstore_ingest_end(struct evstore_ingest *ei, char *err, size_t errlen)
{
	int rc = 0;

	if (ei == NULL)
		return 0;
	if (ei->ei_failed) {
		evstore_err(err, errlen, "event store: ingest into '%s' "
		    "has failed", ei->ei_index);
		rc = -1;
	} else
		rc = evstore_ingest_commit(ei, err, errlen);
	free(ei);
	return rc;
}

/* One index a batch writes to. */
struct evstore_bidx {
	char		 bx_name[EVSTORE_NAME_MAX + 1];
	char		 bx_field[EVSTORE_FIELD_MAX + 1];
	uint32_t	 bx_id;
	uint64_t	 bx_count;	/* with the batch's events */
	uint64_t	 bx_count0;	/* before the batch */
	uint64_t	 bx_bytes;	/* bytes the batch added */
	int		 bx_dirty;	/* record to rewrite at commit */
};

struct evstore_batch {
	struct evstore		*eb_store;
	MDB_txn			*eb_txn;
	uint64_t		 eb_seq;	/* next sequence number */
	int			 eb_failed;	/* only abort is left */
	struct evstore_tail	 eb_tail;	/* for evstore_tail_put */
	struct evstore_bidx	*eb_idx;
	size_t			 eb_nidx;
};

int
evstore_batch_begin(struct evstore *es, struct evstore_batch **out,
    char *err, size_t errlen)
{
	struct evstore_batch *eb;
	int rc;

	*out = NULL;
	if ((eb = calloc(1, sizeof(*eb))) == NULL) {
		evstore_err(err, errlen, "out of memory");
		return -1;
	}
	eb->eb_store = es;
	eb->eb_tail.et_state = -1;
	if ((rc = evstore_txn_begin(es, 0, &eb->eb_txn)) != 0) {
		evstore_mdb_err(es, rc, "starting a batch", err, errlen);
		free(eb);
		return -1;
	}
	if ((rc = evstore_meta_get(es, eb->eb_txn, evstore_key_seq,
	    &eb->eb_seq)) != 0) {
		evstore_mdb_err(es, rc, "starting a batch", err, errlen);
		evstore_txn_abort(es, eb->eb_txn);
		free(eb);
		return -1;
	}
	*out = eb;
	return 0;
}

/* Returns the batch's entry for index, or NULL. */
static struct evstore_bidx *
evstore_batch_find(struct evstore_batch *eb, const char *index)
{
	for (size_t i = 0; i < eb->eb_nidx; i++)
		if (strcmp(eb->eb_idx[i].bx_name, index) == 0)
			return &eb->eb_idx[i];
	return NULL;
}

int
evstore_batch_index(struct evstore_batch *eb, const char *index,
    const char *time_field, char *field, size_t fieldlen,
    char *err, size_t errlen)
{
	struct evstore *es = eb->eb_store;
	struct evstore_bidx *bx;
	uint64_t next;
	int rc;

	if (eb->eb_failed) {
		evstore_err(err, errlen, "event store: the batch has failed");
		return -1;
	}
	if ((bx = evstore_batch_find(eb, index)) != NULL)
		goto found;
	if (!evstore_index_name_ok(index)) {
		evstore_err(err, errlen, "invalid index name '%s' (letters, "
		    "digits, '.', '_', '-', not starting with a punctuation "
		    "mark, at most %d bytes)", index, EVSTORE_NAME_MAX);
		return 1;
	}
	if (time_field[0] == '\0' || strlen(time_field) > EVSTORE_FIELD_MAX) {
		evstore_err(err, errlen, "invalid time field name '%s'",
		    time_field);
		return 1;
	}
	if (eb->eb_nidx >= EVSTORE_BATCH_MAX_INDICES) {
		evstore_err(err, errlen, "more than %d indices in one request",
		    EVSTORE_BATCH_MAX_INDICES);
		return 1;
	}
	if (eb->eb_idx == NULL && (eb->eb_idx = calloc(
	    EVSTORE_BATCH_MAX_INDICES, sizeof(*eb->eb_idx))) == NULL) {
		evstore_err(err, errlen, "out of memory");
		return 1;
	}
	bx = &eb->eb_idx[eb->eb_nidx];
	memset(bx, 0, sizeof(*bx));
	strcpy(bx->bx_name, index);
	rc = evstore_index_get(es, eb->eb_txn, index, &bx->bx_id,
	    &bx->bx_count, bx->bx_field);
	if (rc == MDB_NOTFOUND) {
		if ((rc = evstore_meta_get(es, eb->eb_txn, evstore_key_next,
		    &next)) != 0)
			goto fail;
		if (next > UINT32_MAX) {
			evstore_err(err, errlen, "event store: out of index ids");
			return 1;
		}
		bx->bx_id = (uint32_t)next;
		bx->bx_count = 0;
		bx->bx_count0 = 0;
		strcpy(bx->bx_field, time_field);
		bx->bx_dirty = 1;
		if ((rc = evstore_meta_put(es, eb->eb_txn, evstore_key_next,
		    next + 1, 4)) != 0)
			goto fail;
	} else if (rc != 0)
		goto fail;
	else
		bx->bx_count0 = bx->bx_count;
	eb->eb_nidx++;
found:
	if (strlen(bx->bx_field) >= fieldlen) {
		evstore_err(err, errlen, "index '%s': time field name too long",
		    index);
		return 1;
	}
	strcpy(field, bx->bx_field);
	return 0;
fail:
	eb->eb_failed = 1;
	evstore_mdb_err(es, rc, "looking up an index", err, errlen);
	return -1;
}

int
evstore_batch_add(struct evstore_batch *eb, const char *index,
    int64_t time_ms, const char *json, size_t len, uint64_t *seq,
    char *err, size_t errlen)
{
	unsigned char key[EVSTORE_KEY_LEN];
	struct evstore_bidx *bx;
	MDB_val k, v;
	int rc;

	if (eb->eb_failed) {
		evstore_err(err, errlen, "event store: the batch has failed");
		return -1;
	}
	if ((bx = evstore_batch_find(eb, index)) == NULL) {
		eb->eb_failed = 1;
		evstore_err(err, errlen, "event store: index '%s' was not "
		    "opened in this batch", index);
		return -1;
	}
	if (len == 0) {
		eb->eb_failed = 1;
		evstore_err(err, errlen, "event store: empty event");
		return -1;
	}
	evstore_key(key, bx->bx_id, time_ms, eb->eb_seq);
	k.mv_data = key;
	k.mv_size = sizeof(key);
	v.mv_data = (void *)json;
	v.mv_size = len;
	if ((rc = evstore_tail_put(eb->eb_txn, eb->eb_store->es_events,
	    &eb->eb_tail, &k, &v)) != 0) {
		eb->eb_failed = 1;
		evstore_mdb_err(eb->eb_store, rc, "storing an event", err,
		    errlen);
		return -1;
	}
	*seq = eb->eb_seq++;
	bx->bx_count++;
	bx->bx_bytes += len + sizeof(key);
	bx->bx_dirty = 1;
	return 0;
}

int
evstore_batch_commit(struct evstore_batch *eb, char *err, size_t errlen)
{
	struct evstore *es = eb->eb_store;
	int rc = 0;

	if (eb->eb_failed) {
		evstore_err(err, errlen, "event store: the batch has failed");
		evstore_batch_abort(eb);
		return -1;
	}
	for (size_t i = 0; i < eb->eb_nidx && rc == 0; i++)
		if (eb->eb_idx[i].bx_dirty && eb->eb_idx[i].bx_count > 0 &&
		    (rc = evstore_index_put(es, eb->eb_txn,
		    eb->eb_idx[i].bx_name, eb->eb_idx[i].bx_id,
		    eb->eb_idx[i].bx_count, eb->eb_idx[i].bx_field)) == 0)
			if ((rc = evstore_bytes_add(es, eb->eb_txn,
			    eb->eb_idx[i].bx_id, eb->eb_idx[i].bx_count0,
			    eb->eb_idx[i].bx_bytes)) == 0)
				rc = evstore_seal(es, eb->eb_txn,
				    eb->eb_idx[i].bx_id, eb->eb_idx[i].bx_bytes,
				    err, errlen);
	if (rc == 0)
		rc = evstore_meta_put(es, eb->eb_txn, evstore_key_seq,
		    eb->eb_seq, 8);
	if (rc != 0) {
		evstore_mdb_err(es, rc, "committing events", err, errlen);
		evstore_batch_abort(eb);
		return -1;
	}
	rc = evstore_txn_commit(es, eb->eb_txn);
	free(eb->eb_idx);
	free(eb);
	if (rc != 0) {
		evstore_mdb_err(es, rc, "committing events", err, errlen);
		return -1;
	}
	return 0;
}

void
evstore_batch_abort(struct evstore_batch *eb)
{
	if (eb == NULL)
		return;
	evstore_txn_abort(eb->eb_store, eb->eb_txn);
	free(eb->eb_idx);
	free(eb);
}

/* Returns 1 when cursor a's event comes before b's in the scan order. */
static int
evstore_cur_before(const struct evstore_cur *a, const struct evstore_cur *b)
{
	return memcmp(a->cu_suf, b->cu_suf, EVSTORE_SUFFIX_LEN) > 0;
}

static void
evstore_heap_down(struct evstore_scan *sc, size_t i)
{
	struct evstore_cur **h = sc->sc_heap, *t;
	size_t n = sc->sc_nheap, c;

	for (;;) {
		c = 2 * i + 1;
		if (c >= n)
			break;
		if (c + 1 < n && evstore_cur_before(h[c + 1], h[c]))
			c++;
		if (!evstore_cur_before(h[c], h[i]))
			break;
		t = h[c];
		h[c] = h[i];
		h[i] = t;
		i = c;
	}
}

/* The time of a key suffix (time ‖ ~seq). */
static int64_t
evstore_suffix_time(const unsigned char *suf)
{
	return (int64_t)(util_get_be64(suf) ^ EVSTORE_SIGN);
}

/*
 * Checks that a cursor (just positioned with rc) holds a key of index id
 * at or after the scan start. Returns 1 when it does, 0 when the cursor
 * is exhausted, -1 on a storage error.
 */
static int
evstore_cur_valid(struct evstore_scan *sc, uint32_t id, const MDB_val *k,
    int rc)
{
	if (rc == MDB_NOTFOUND)
		return 0;
	if (rc != 0)
		return -1;
	if (!evstore_key_in(k, id))
		return 0;
	return evstore_key_time(k->mv_data) >= sc->sc_start;
}

/*
 * Positions cur on the last key of index id before (id, ms): the first key
 * at or after it and one step back. Returns as evstore_cur_valid.
 */
static int
evstore_seek_before(struct evstore_scan *sc, MDB_cursor *cur, uint32_t id,
    int64_t ms, MDB_val *k, MDB_val *v)
{
	unsigned char key[EVSTORE_KEY_LEN];
	int rc;

	util_put_be32(key, id);
	util_put_be64(key + 4, (uint64_t)ms ^ EVSTORE_SIGN);
	memset(key + 12, 0, 8);
	k->mv_data = key;
	k->mv_size = sizeof(key);
	rc = mdb_cursor_get(cur, k, v, MDB_SET_RANGE);
	if (rc == 0)
		rc = mdb_cursor_get(cur, k, v, MDB_PREV);
	else if (rc == MDB_NOTFOUND)
		rc = mdb_cursor_get(cur, k, v, MDB_LAST);
	return evstore_cur_valid(sc, id, k, rc);
}

/* Frees decoded block i of cu and closes the gap. */
static void
evstore_dblk_drop(struct evstore_cur *cu, size_t i)
{
	free(cu->cu_d[i].db_raw);
	free(cu->cu_d[i].db_off);
	cu->cu_d[i] = cu->cu_d[--cu->cu_nd];
}

/*
 * Reads the block cu_bcur holds: skips it when no event of it lies in the
 * scan's range, or when the scan's filter rules it out (only a block
 * wholly inside the range: its events count as skipped), else decodes it
 * into cu_d keeping the records in range. Returns 0, or -1 for a damaged
 * block or no memory.
 */
static int
evstore_cur_take(struct evstore_scan *sc, struct evstore_cur *cu)
{
	struct evstore_dblk d = {0};
	struct block_hdr h;
	const unsigned char *suf;
	const char *json;
	size_t off = 0, jlen, n = 0;
	char why[160];
	int64_t t;
	int rc;

	if (block_parse(cu->cu_bval.mv_data, cu->cu_bval.mv_size, &h) == -1)
		return -1;
	if (h.bh_tmin >= sc->sc_end || h.bh_tmax < sc->sc_start)
		return 0;
	if (sc->sc_filter && h.bh_tmin >= sc->sc_start &&
	    h.bh_tmax < sc->sc_end && !sc->sc_filter(sc->sc_farg, &h)) {
		cu->cu_skipped += h.bh_count;
		cu->cu_skipped_bytes += h.bh_bytes -
		    (uint64_t)EVSTORE_KEY_LEN * h.bh_count;
		return 0;
	}
	if (block_decode(&h, &d.db_raw, why, sizeof(why)) == -1)
		return -1;
	if ((d.db_off = malloc(h.bh_count * sizeof(*d.db_off))) == NULL)
		goto fail;
	while ((rc = block_next(d.db_raw, h.bh_raw_len, &off, &suf, &json,
	    &jlen)) == 1) {
		if (n == h.bh_count)
			goto fail;	/* more records than the header says */
		t = evstore_suffix_time(suf);
		if (t >= sc->sc_start && t < sc->sc_end)
			d.db_off[d.db_n++] = (size_t)(suf - d.db_raw);
		n++;
	}
	if (rc == -1 || n != h.bh_count)
		goto fail;
	if (d.db_n == 0) {
		free(d.db_raw);
		free(d.db_off);
		return 0;
	}
	if (cu->cu_nd == cu->cu_dcap) {
		size_t cap = cu->cu_dcap ? cu->cu_dcap * 2 : 4;
		struct evstore_dblk *p = realloc(cu->cu_d, cap * sizeof(*p));

		if (p == NULL)
			goto fail;
		cu->cu_d = p;
		cu->cu_dcap = cap;
	}
	cu->cu_d[cu->cu_nd++] = d;
	return 0;
fail:
	free(d.db_raw);
	free(d.db_off);
	return -1;
}

/*
 * Makes cu's current event the newest of its tail and its blocks, reading
 * the blocks whose newest event passes the best one at hand. Returns 1
 * with cu_suf/cu_json/cu_len set, 0 when the index has no more, -1 on a
 * storage error.
 */
static int
evstore_cur_fill(struct evstore_scan *sc, struct evstore_cur *cu)
{
	const unsigned char *best, *p;
	ssize_t from;

	for (;;) {
		best = NULL;
		from = -1;
		if (cu->cu_tail)
			best = (const unsigned char *)cu->cu_key.mv_data + 4;
		for (size_t i = 0; i < cu->cu_nd; i++) {
			p = cu->cu_d[i].db_raw +
			    cu->cu_d[i].db_off[cu->cu_d[i].db_n - 1];
			if (best == NULL || memcmp(p, best,
			    EVSTORE_SUFFIX_LEN) > 0) {
				best = p;
				from = (ssize_t)i;
			}
		}
		if (cu->cu_blk && (best == NULL ||
		    memcmp((const unsigned char *)cu->cu_bkey.mv_data + 4,
		    best, EVSTORE_SUFFIX_LEN) > 0)) {
			if (evstore_cur_take(sc, cu) == -1)
				return -1;
			cu->cu_blk = evstore_cur_valid(sc, cu->cu_id,
			    &cu->cu_bkey, mdb_cursor_get(cu->cu_bcur,
			    &cu->cu_bkey, &cu->cu_bval, MDB_PREV));
			if (cu->cu_blk == -1)
				return -1;
			continue;
		}
		break;
	}
	if (best == NULL)
		return 0;
	cu->cu_from = from;
	cu->cu_suf = best;
	if (from < 0) {
		cu->cu_json = cu->cu_val.mv_data;
		cu->cu_len = cu->cu_val.mv_size;
	} else {
		p = best + 16;
		cu->cu_len = (size_t)util_get_be32(p);
		cu->cu_json = (const char *)p + 4;
	}
	return 1;
}

/* Moves cu past its current event. Returns as evstore_cur_fill. */
static int
evstore_cur_step(struct evstore_scan *sc, struct evstore_cur *cu)
{
	if (cu->cu_from < 0) {
		cu->cu_tail = evstore_cur_valid(sc, cu->cu_id, &cu->cu_key,
		    mdb_cursor_get(cu->cu_cur, &cu->cu_key, &cu->cu_val,
		    MDB_PREV));
		if (cu->cu_tail == -1)
			return -1;
	} else if (--cu->cu_d[cu->cu_from].db_n == 0)
		evstore_dblk_drop(cu, (size_t)cu->cu_from);
	return evstore_cur_fill(sc, cu);
}

/*
 * Positions cu for a scan ending before end_ms: its tail on the newest
 * event before end_ms, its blocks on the newest block whose events may lie
 * before end_ms (a block keyed up to the index's longest block span past
 * it), then fills it. Returns as evstore_cur_fill.
 */
static int
evstore_cur_open(struct evstore_scan *sc, struct evstore_cur *cu,
    int64_t end_ms)
{
	uint64_t span = 0;
	int64_t bend;
	int rc;

	cu->cu_tail = evstore_seek_before(sc, cu->cu_cur, cu->cu_id, end_ms,
	    &cu->cu_key, &cu->cu_val);
	if (cu->cu_tail == -1)
		return -1;
	rc = evstore_idval_get(sc->sc_store, sc->sc_txn, evstore_key_span,
	    cu->cu_id, &span);
	if (rc != 0 && rc != MDB_NOTFOUND)
		return -1;
	bend = end_ms > INT64_MAX - (int64_t)(span + 1) || span >= INT64_MAX ?
	    INT64_MAX : end_ms + (int64_t)span + 1;
	cu->cu_blk = evstore_seek_before(sc, cu->cu_bcur, cu->cu_id, bend,
	    &cu->cu_bkey, &cu->cu_bval);
	if (cu->cu_blk == -1)
		return -1;
	return evstore_cur_fill(sc, cu);
}

/*
 * One read transaction for the whole scan, so it sees one snapshot of every
 * index. The index names must exist (they come from evstore_match); an
 * unknown name is an error. Returns 0 with *out (free with
 * evstore_scan_close), or -1 with a reason.
 */
int
evstore_scan_open(struct evstore *es, const char *const *indices,
    size_t nindices, int64_t start_ms, int64_t end_ms,
    struct evstore_scan **out, char *err, size_t errlen)
{
	struct evstore_scan *sc;
	struct evstore_cur *cu;
	uint64_t count;
	size_t i;
	int rc;

	*out = NULL;
	if ((sc = calloc(1, sizeof(*sc))) == NULL ||
	    (nindices > 0 &&
	    ((sc->sc_curs = calloc(nindices, sizeof(*sc->sc_curs))) == NULL ||
	    (sc->sc_heap = calloc(nindices, sizeof(*sc->sc_heap))) == NULL))) {
		evstore_err(err, errlen, "out of memory");
		goto fail;
	}
	sc->sc_store = es;
	sc->sc_start = start_ms;
	sc->sc_end = end_ms;
	if ((rc = evstore_txn_begin(es, MDB_RDONLY, &sc->sc_txn)) != 0) {
		sc->sc_txn = NULL;
		evstore_mdb_err(es, rc, "starting a scan", err, errlen);
		goto fail;
	}
	for (i = 0; i < nindices; i++) {
		cu = &sc->sc_curs[i];
		cu->cu_no = i;
		rc = evstore_index_get(es, sc->sc_txn, indices[i], &cu->cu_id,
		    &count, NULL);
		if (rc == MDB_NOTFOUND) {
			evstore_err(err, errlen, "no index '%s'", indices[i]);
			goto fail;
		}
		if (rc != 0) {
			evstore_mdb_err(es, rc, "reading an index", err,
			    errlen);
			goto fail;
		}
		if ((rc = mdb_cursor_open(sc->sc_txn, es->es_events,
		    &cu->cu_cur)) != 0 ||
		    (rc = mdb_cursor_open(sc->sc_txn, es->es_blocks,
		    &cu->cu_bcur)) != 0) {
			evstore_mdb_err(es, rc, "opening a cursor", err,
			    errlen);
			sc->sc_ncurs = i + 1;
			goto fail;
		}
		sc->sc_ncurs = i + 1;
	}
	*out = sc;
	return 0;
fail:
	evstore_scan_close(sc);
	return -1;
}

void
evstore_scan_filter(struct evstore_scan *sc,
    int (*may_match)(void *arg, const struct block_hdr *), void *arg)
{
	sc->sc_filter = may_match;
	sc->sc_farg = arg;
}

void
evstore_scan_skipped(const struct evstore_scan *sc, size_t index_no,
    uint64_t *events, uint64_t *bytes)
{
	*events = *bytes = 0;
	if (index_no < sc->sc_ncurs) {
		*events = sc->sc_curs[index_no].cu_skipped;
		*bytes = sc->sc_curs[index_no].cu_skipped_bytes;
	}
}

/* Positions every index on its newest event (at the first next). 0 or -1. */
static int
evstore_scan_start(struct evstore_scan *sc)
{
	int live;

	sc->sc_started = 1;
	if (sc->sc_start >= sc->sc_end)
		return 0;
	for (size_t i = 0; i < sc->sc_ncurs; i++) {
		struct evstore_cur *cu = &sc->sc_curs[i];

		if ((live = evstore_cur_open(sc, cu, sc->sc_end)) == -1)
			return -1;
		if (live)
			sc->sc_heap[sc->sc_nheap++] = cu;
	}
	for (size_t i = sc->sc_nheap / 2; i-- > 0;)
		evstore_heap_down(sc, i);
	return 0;
}

int
evstore_scan_next(struct evstore_scan *sc, const char **json, size_t *len,
    int64_t *time_ms, size_t *index_no)
{
	struct evstore_cur *cu;
	int live;

	if (!sc->sc_started && evstore_scan_start(sc) == -1)
		return -1;
	if (sc->sc_advance && sc->sc_nheap > 0) {
		cu = sc->sc_heap[0];
		if ((live = evstore_cur_step(sc, cu)) == -1)
			return -1;
		if (!live)
			sc->sc_heap[0] = sc->sc_heap[--sc->sc_nheap];
		evstore_heap_down(sc, 0);
	}
	sc->sc_advance = 0;
	if (sc->sc_nheap == 0)
		return 0;
	cu = sc->sc_heap[0];
	*json = cu->cu_json;
	*len = cu->cu_len;
	*time_ms = evstore_suffix_time(cu->cu_suf);
	*index_no = cu->cu_no;
	sc->sc_advance = 1;
	return 1;
}

void
evstore_scan_close(struct evstore_scan *sc)
{
	size_t i;

	if (sc == NULL)
		return;
	for (i = 0; i < sc->sc_ncurs; i++) {
		struct evstore_cur *cu = &sc->sc_curs[i];

		if (cu->cu_cur != NULL)
			mdb_cursor_close(cu->cu_cur);
		if (cu->cu_bcur != NULL)
			mdb_cursor_close(cu->cu_bcur);
		while (cu->cu_nd > 0)
			evstore_dblk_drop(cu, 0);
		free(cu->cu_d);
	}
	if (sc->sc_txn != NULL)
		evstore_txn_abort(sc->sc_store, sc->sc_txn);
	free(sc->sc_curs);
	free(sc->sc_heap);
	free(sc);
}

int
evstore_index_time_field(struct evstore *es, const char *index, char *out,
    size_t outlen)
{
	char field[EVSTORE_FIELD_MAX + 1];
	MDB_txn *txn = NULL;
	uint64_t count;
	uint32_t id;
	int rc;

	if (evstore_txn_begin(es, MDB_RDONLY, &txn) != 0)
		return -1;
	rc = evstore_index_get(es, txn, index, &id, &count, field);
	evstore_txn_abort(es, txn);
	if (rc != 0 || strlen(field) >= outlen)
		return -1;
	strcpy(out, field);
	return 0;
}

/*
 * Positions cur on the oldest event of index id (the first key at or after
 * id ‖ lowest time). Returns 0 with the key in *k, MDB_NOTFOUND when the
 * index has none, or another LMDB error.
 */
static int
evstore_first_event(MDB_cursor *cur, uint32_t id, MDB_val *k, MDB_val *v)
{
	unsigned char key[EVSTORE_KEY_LEN];
	int rc;

	util_put_be32(key, id);
	memset(key + 4, 0, EVSTORE_KEY_LEN - 4);
	k->mv_data = key;
	k->mv_size = sizeof(key);
	if ((rc = mdb_cursor_get(cur, k, v, MDB_SET_RANGE)) != 0)
		return rc;
	if (!evstore_key_in(k, id))
		return MDB_NOTFOUND;
	return 0;
}

/*
 * Positions cur on the newest event of index id. Returns as
 * evstore_first_event.
 */
static int
evstore_last_event(MDB_cursor *cur, uint32_t id, MDB_val *k, MDB_val *v)
{
	unsigned char key[EVSTORE_KEY_LEN];
	int rc;

	memset(key, 0, sizeof(key));
	if (id == UINT32_MAX)
		rc = mdb_cursor_get(cur, k, v, MDB_LAST);
	else {
		util_put_be32(key, id + 1);
		k->mv_data = key;
		k->mv_size = sizeof(key);
		rc = mdb_cursor_get(cur, k, v, MDB_SET_RANGE);
		if (rc == 0)
			rc = mdb_cursor_get(cur, k, v, MDB_PREV);
		else if (rc == MDB_NOTFOUND)
			rc = mdb_cursor_get(cur, k, v, MDB_LAST);
	}
	if (rc != 0)
		return rc;
	if (!evstore_key_in(k, id))
		return MDB_NOTFOUND;
	return 0;
}

/*
 * Counts the bytes (keys and values) of index id's tail by walking it.
 * Returns 0 with *bytes, or an LMDB error.
 */
static int
evstore_tail_count(MDB_cursor *cur, uint32_t id, uint64_t *bytes)
{
	MDB_val k, v;
	int rc;

	*bytes = 0;
	for (rc = evstore_first_event(cur, id, &k, &v); rc == 0;
	    rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if (!evstore_key_in(&k, id))
			break;
		*bytes += k.mv_size + v.mv_size;
	}
	return rc == MDB_NOTFOUND ? 0 : rc;
}

/*
 * Counts the bytes (keys and values) of index id, its tail and its blocks,
 * by walking them. Returns 0 with *bytes, or an LMDB error.
 */
static int
evstore_bytes_count(MDB_cursor *ecur, MDB_cursor *bcur, uint32_t id,
    uint64_t *bytes)
{
	struct block_hdr h;
	MDB_val k, v;
	int rc;

	if ((rc = evstore_tail_count(ecur, id, bytes)) != 0)
		return rc;
	for (rc = evstore_first_event(bcur, id, &k, &v); rc == 0;
	    rc = mdb_cursor_get(bcur, &k, &v, MDB_NEXT)) {
		if (!evstore_key_in(&k, id))
			break;
		if (block_parse(v.mv_data, v.mv_size, &h) == -1)
			return MDB_CORRUPTED;
		*bytes += h.bh_bytes;
	}
	return rc == MDB_NOTFOUND ? 0 : rc;
}

/*
 * The oldest and newest times of index id's blocks (INT64_MIN when it has
 * none), in the cursor's transaction. A block is keyed by its newest event,
 * so the last block holds the newest; the oldest event is in one of the
 * first blocks: none keyed more than the index's span past the first
 * block's oldest event can hold an older one. Returns 0 or an LMDB error.
 */
static int
evstore_block_times(struct evstore *es, MDB_txn *txn, MDB_cursor *bcur,
    uint32_t id, int64_t *oldest, int64_t *newest)
{
	struct block_hdr h;
	MDB_val k, v;
	uint64_t span = 0;
	int64_t stop;
	int rc;

	*oldest = *newest = INT64_MIN;
	if ((rc = evstore_last_event(bcur, id, &k, &v)) != 0)
		return rc == MDB_NOTFOUND ? 0 : rc;
	*newest = evstore_key_time(k.mv_data);
	rc = evstore_idval_get(es, txn, evstore_key_span, id, &span);
	if (rc != 0 && rc != MDB_NOTFOUND)
		return rc;
	if ((rc = evstore_first_event(bcur, id, &k, &v)) != 0)
		return rc;
	if (block_parse(v.mv_data, v.mv_size, &h) == -1)
		return MDB_CORRUPTED;
	*oldest = h.bh_tmin;
	stop = h.bh_tmin > INT64_MAX - (int64_t)span ? INT64_MAX :
	    h.bh_tmin + (int64_t)span;
	while ((rc = mdb_cursor_get(bcur, &k, &v, MDB_NEXT)) == 0 &&
	    evstore_key_in(&k, id) && evstore_key_time(k.mv_data) <= stop) {
		if (block_parse(v.mv_data, v.mv_size, &h) == -1)
			return MDB_CORRUPTED;
		if (h.bh_tmin < *oldest)
			*oldest = h.bh_tmin;
	}
	return rc == MDB_NOTFOUND || rc == 0 ? 0 : rc;
}

/*
 * Fills info for the index of record k/v, in read transaction txn.
 * Returns 0 or an LMDB error.
 */
static int
evstore_info_fill(struct evstore *es, MDB_txn *txn, MDB_cursor *ecur,
    MDB_cursor *bcur, const MDB_val *k, const MDB_val *v,
    struct evstore_index_info *info)
{
	MDB_val ek, ev;
	int64_t bold, bnew;
	uint32_t id;
	int rc;

	memset(info, 0, sizeof(*info));
	memcpy(info->ii_name, k->mv_data, k->mv_size);
	info->ii_name[k->mv_size] = '\0';
	id = util_get_be32(v->mv_data);
	info->ii_events = util_get_be64((const unsigned char *)v->mv_data + 4);
	info->ii_oldest = info->ii_newest = INT64_MIN;
	rc = evstore_bytes_get(es, txn, id, &info->ii_bytes);
	if (rc == MDB_NOTFOUND)
		rc = evstore_bytes_count(ecur, bcur, id, &info->ii_bytes);
	if (rc != 0)
		return rc;
	if ((rc = evstore_first_event(ecur, id, &ek, &ev)) == 0) {
		info->ii_oldest = evstore_key_time(ek.mv_data);
		if ((rc = evstore_last_event(ecur, id, &ek, &ev)) == 0)
			info->ii_newest = evstore_key_time(ek.mv_data);
	}
	if (rc != 0 && rc != MDB_NOTFOUND)
		return rc;
	if ((rc = evstore_block_times(es, txn, bcur, id, &bold, &bnew)) != 0)
		return rc;
	if (bnew != INT64_MIN) {
		if (info->ii_oldest == INT64_MIN || bold < info->ii_oldest)
			info->ii_oldest = bold;
		if (bnew > info->ii_newest)
			info->ii_newest = bnew;
	}
	return 0;
}

int
evstore_indices(struct evstore *es, const char *pattern,
    struct evstore_index_info **out, size_t *nout, char *err, size_t errlen)
{
	struct evstore_index_info *list = NULL, *p;
	size_t n = 0, cap = 0, plen = evstore_glob_prefix(pattern);
	char name[EVSTORE_NAME_MAX + 1];
	MDB_txn *txn = NULL;
	MDB_cursor *cur = NULL, *ecur = NULL, *bcur = NULL;
	MDB_val k, v;
	int rc;

	*out = NULL;
	*nout = 0;
	if ((rc = evstore_txn_begin(es, MDB_RDONLY, &txn)) != 0) {
		txn = NULL;
		goto fail;
	}
	if ((rc = mdb_cursor_open(txn, es->es_indices, &cur)) != 0 ||
	    (rc = mdb_cursor_open(txn, es->es_events, &ecur)) != 0 ||
	    (rc = mdb_cursor_open(txn, es->es_blocks, &bcur)) != 0)
		goto fail;
	k.mv_data = (void *)pattern;
	k.mv_size = plen;
	rc = plen > 0 ? mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE) :
	    mdb_cursor_get(cur, &k, &v, MDB_FIRST);
	for (; rc == 0; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if (k.mv_size < plen || memcmp(k.mv_data, pattern, plen) != 0)
			break;
		if (k.mv_size > EVSTORE_NAME_MAX || v.mv_size < EVSTORE_REC_HDR)
			continue;
		memcpy(name, k.mv_data, k.mv_size);
		name[k.mv_size] = '\0';
		if (!util_glob(pattern, name))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			if ((p = realloc(list, cap * sizeof(*p))) == NULL) {
				evstore_err(err, errlen, "out of memory");
				rc = 0;
				goto fail;
			}
			list = p;
		}
		if ((rc = evstore_info_fill(es, txn, ecur, bcur, &k, &v,
		    &list[n])) != 0)
			goto fail;
		n++;
	}
	if (rc != 0 && rc != MDB_NOTFOUND)
		goto fail;
	mdb_cursor_close(bcur);
	mdb_cursor_close(ecur);
	mdb_cursor_close(cur);
	evstore_txn_abort(es, txn);
	*out = list;
	*nout = n;
	return 0;
fail:
	if (rc != 0)
		evstore_mdb_err(es, rc, "listing indices", err, errlen);
	if (bcur != NULL)
		mdb_cursor_close(bcur);
	if (ecur != NULL)
		mdb_cursor_close(ecur);
	if (cur != NULL)
		mdb_cursor_close(cur);
	if (txn != NULL)
		evstore_txn_abort(es, txn);
	free(list);
	return -1;
}

int
evstore_delete_index(struct evstore *es, const char *name, char *err,
    size_t errlen)
{
	unsigned char key[9];
	MDB_txn *txn = NULL;
	MDB_val k, v;
	uint64_t count;
	uint32_t id;
	int rc, more = 1;

	if ((rc = evstore_txn_begin(es, 0, &txn)) != 0) {
		txn = NULL;
		goto fail;
	}
	rc = evstore_index_get(es, txn, name, &id, &count, NULL);
	if (rc == MDB_NOTFOUND) {
		evstore_txn_abort(es, txn);
		evstore_err(err, errlen, "no index '%s'", name);
		return 1;
	}
	if (rc != 0)
		goto fail;
	k.mv_data = (void *)name;
	k.mv_size = strlen(name);
	if ((rc = mdb_del(txn, es->es_indices, &k, NULL)) != 0)
		goto fail;
	k.mv_data = key;
	k.mv_size = evstore_id_key(key, evstore_key_drop, id);
	v.mv_data = (void *)"";
	v.mv_size = 0;
	if ((rc = mdb_put(txn, es->es_meta, &k, &v, 0)) != 0)
		goto fail;
	rc = evstore_txn_commit(es, txn);
	txn = NULL;
	if (rc != 0)
		goto fail;
	/* The name is gone; now the events, a batch per transaction. */
	while (more)
		if (evstore_purge(es, EVSTORE_PURGE_BATCH, &more, err,
		    errlen) < 0)
			return -1;
	return 0;
fail:
	if (txn != NULL)
		evstore_txn_abort(es, txn);
	evstore_mdb_err(es, rc, "deleting an index", err, errlen);
	return -1;
}

int64_t
evstore_purge(struct evstore *es, size_t max_events, int *more, char *err,
    size_t errlen)
{
	unsigned char key[9];
	MDB_txn *txn = NULL;
	MDB_cursor *mcur = NULL, *ecur = NULL, *bcur = NULL;
	MDB_val k, v, ek, ev;
	size_t plen = strlen(evstore_key_drop);
	int64_t done = 0;
	uint32_t id;
	int rc;

	*more = 0;
	if ((rc = evstore_txn_begin(es, 0, &txn)) != 0) {
		txn = NULL;
		goto fail;
	}
	if ((rc = mdb_cursor_open(txn, es->es_meta, &mcur)) != 0 ||
	    (rc = mdb_cursor_open(txn, es->es_events, &ecur)) != 0 ||
	    (rc = mdb_cursor_open(txn, es->es_blocks, &bcur)) != 0)
		goto fail;
	k.mv_data = (void *)evstore_key_drop;
	k.mv_size = plen;
	rc = mdb_cursor_get(mcur, &k, &v, MDB_SET_RANGE);
	if (rc == MDB_NOTFOUND || (rc == 0 && (k.mv_size != plen + 4 ||
	    memcmp(k.mv_data, evstore_key_drop, plen) != 0))) {
		mdb_cursor_close(bcur);
		mdb_cursor_close(ecur);
		mdb_cursor_close(mcur);
		evstore_txn_abort(es, txn);
		return 0;	/* nothing dropped */
	}
	if (rc != 0)
		goto fail;
	id = util_get_be32((const unsigned char *)k.mv_data + plen);
	/* The tail, then the blocks, whole: a block counts as its events.
	 * rc ends 0 when the limit stopped it, MDB_NOTFOUND when all gone. */
	rc = 0;
	while ((size_t)done < max_events) {
		struct block_hdr h;

		if ((rc = evstore_first_event(ecur, id, &ek, &ev)) == 0) {
			if ((rc = mdb_cursor_del(ecur, 0)) != 0)
				goto fail;
			done++;
			continue;
		}
		if (rc != MDB_NOTFOUND ||
		    (rc = evstore_first_event(bcur, id, &ek, &ev)) != 0)
			break;
		done += block_parse(ev.mv_data, ev.mv_size, &h) == 0 ?
		    h.bh_count : 1;
		if ((rc = mdb_cursor_del(bcur, 0)) != 0)
			goto fail;
	}
	if (rc == MDB_NOTFOUND) {	/* all gone: forget the index */
		mdb_cursor_close(mcur);
		mcur = NULL;
		k.mv_data = key;
		k.mv_size = evstore_id_key(key, evstore_key_drop, id);
		if ((rc = mdb_del(txn, es->es_meta, &k, NULL)) != 0)
			goto fail;
		k.mv_size = evstore_id_key(key, evstore_key_bytes, id);
		rc = mdb_del(txn, es->es_meta, &k, NULL);
		if (rc != 0 && rc != MDB_NOTFOUND)
			goto fail;
		if ((rc = evstore_idval_del(es, txn, evstore_key_span,
		    id)) != 0 ||
		    (rc = evstore_idval_del(es, txn, evstore_key_tail,
		    id)) != 0)
			goto fail;
		/* Another dropped index may follow. */
		rc = mdb_cursor_open(txn, es->es_meta, &mcur);
		if (rc != 0)
			goto fail;
		k.mv_data = (void *)evstore_key_drop;
		k.mv_size = plen;
		rc = mdb_cursor_get(mcur, &k, &v, MDB_SET_RANGE);
		*more = rc == 0 && k.mv_size == plen + 4 &&
		    memcmp(k.mv_data, evstore_key_drop, plen) == 0;
		if (rc != 0 && rc != MDB_NOTFOUND)
			goto fail;
	} else if (rc != 0)
		goto fail;
	else
		*more = 1;
	mdb_cursor_close(bcur);
	mdb_cursor_close(ecur);
	mdb_cursor_close(mcur);
	bcur = ecur = mcur = NULL;
	rc = evstore_txn_commit(es, txn);
	txn = NULL;
	if (rc != 0)
		goto fail;
	return done;
fail:
	if (bcur != NULL)
		mdb_cursor_close(bcur);
	if (ecur != NULL)
		mdb_cursor_close(ecur);
	if (mcur != NULL)
		mdb_cursor_close(mcur);
	if (txn != NULL)
		evstore_txn_abort(es, txn);
	evstore_mdb_err(es, rc, "removing the events of a deleted index", err,
	    errlen);
	*more = 0;
	return -1;
}

int64_t
evstore_trim(struct evstore *es, const char *name, int64_t before_ms,
    uint64_t max_bytes, size_t max_events, int *more, char *err,
    size_t errlen)
{
	char field[EVSTORE_FIELD_MAX + 1];
	MDB_txn *txn = NULL;
	MDB_cursor *ecur = NULL, *bcur = NULL;
	MDB_val ek, ev, bk, bv;
	uint64_t count, bytes, tail = 0, tail0;
	int64_t done = 0;
	uint32_t id;
	int rc, counted = 0, erc, brc, has_tail;

	*more = 0;
	if ((rc = evstore_txn_begin(es, 0, &txn)) != 0) {
		txn = NULL;
		goto fail;
	}
	rc = evstore_index_get(es, txn, name, &id, &count, field);
	if (rc == MDB_NOTFOUND) {
		evstore_txn_abort(es, txn);
		return 0;
	}
	if (rc != 0 || (rc = mdb_cursor_open(txn, es->es_events, &ecur)) != 0 ||
	    (rc = mdb_cursor_open(txn, es->es_blocks, &bcur)) != 0)
		goto fail;
	rc = evstore_bytes_get(es, txn, id, &bytes);
	if (rc == MDB_NOTFOUND) {	/* once, for an index loaded before */
		rc = evstore_bytes_count(ecur, bcur, id, &bytes);
		counted = 1;
	}
	if (rc != 0)
		goto fail;
	rc = evstore_idval_get(es, txn, evstore_key_tail, id, &tail);
	has_tail = rc == 0;
	if (rc != 0 && rc != MDB_NOTFOUND)
		goto fail;
	tail0 = tail;
	/*
	 * The oldest unit goes first: the tail's first event, or the first
	 * block when its newest event is older than that. A block goes
	 * whole, once its newest event is older than before_ms or while the
	 * index is too large; so an index keeps a few events past its age
	 * until their whole block has passed it.
	 */
	for (;;) {
		uint64_t sz;
		struct block_hdr h;
		int blk;

		erc = evstore_first_event(ecur, id, &ek, &ev);
		brc = evstore_first_event(bcur, id, &bk, &bv);
		if ((erc != 0 && erc != MDB_NOTFOUND) ||
		    (brc != 0 && brc != MDB_NOTFOUND)) {
			rc = erc != 0 && erc != MDB_NOTFOUND ? erc : brc;
			goto fail;
		}
		if (erc != 0 && brc != 0)
			break;
		blk = brc == 0 && (erc != 0 || memcmp(bk.mv_data, ek.mv_data,
		    EVSTORE_KEY_LEN) < 0);
		if (blk) {
			if (block_parse(bv.mv_data, bv.mv_size, &h) == -1) {
				rc = MDB_CORRUPTED;
				goto fail;
			}
			sz = h.bh_bytes;
		} else
			sz = ek.mv_size + ev.mv_size;
		if (evstore_key_time(blk ? bk.mv_data : ek.mv_data) >=
		    before_ms && (max_bytes == 0 || bytes <= max_bytes))
			break;		/* young enough and small enough */
		if ((size_t)done >= max_events) {
			*more = 1;
			break;
		}
		if ((rc = mdb_cursor_del(blk ? bcur : ecur, 0)) != 0)
			goto fail;
		if (blk) {
			done += h.bh_count;
			count = count > h.bh_count ? count - h.bh_count : 0;
		} else {
			done++;
			count = count > 0 ? count - 1 : 0;
			tail = tail > sz ? tail - sz : 0;
		}
		bytes = bytes > sz ? bytes - sz : 0;
	}
	mdb_cursor_close(bcur);
	mdb_cursor_close(ecur);
	bcur = ecur = NULL;
	if (done == 0 && !counted) {
		evstore_txn_abort(es, txn);
		return 0;
	}
	/* A count made here is kept, so the walk is not made again. */
	if ((done > 0 &&
	    (rc = evstore_index_put(es, txn, name, id, count, field)) != 0) ||
	    (rc = evstore_bytes_put(es, txn, id, bytes)) != 0 ||
	    (has_tail && tail != tail0 &&
	    (rc = evstore_idval_put(es, txn, evstore_key_tail, id, tail)) != 0))
		goto fail;
	rc = evstore_txn_commit(es, txn);
	txn = NULL;
	if (rc != 0)
		goto fail;
	return done;
fail:
	if (bcur != NULL)
		mdb_cursor_close(bcur);
	if (ecur != NULL)
		mdb_cursor_close(ecur);
	if (txn != NULL)
		evstore_txn_abort(es, txn);
	evstore_mdb_err(es, rc, "trimming an index", err, errlen);
	*more = 0;
	return -1;
}

/*
 * Small named states kept beside the events ("state:" keys of the meta DB),
 * written inside a batch so that they commit with its events or not at all:
 * "asyncreq follow" keeps each file's offset here.
 */
int
evstore_batch_state_put(struct evstore_batch *eb, const char *name,
    const void *val, size_t len, char *err, size_t errlen)
{
	char key[512];
	MDB_val k, v;
	int rc;

	if ((size_t)snprintf(key, sizeof(key), "state:%s", name) >=
	    sizeof(key) || strlen(key) > 511) {
		evstore_err(err, errlen, "state name too long");
		return -1;
	}
	k.mv_data = key;
	k.mv_size = strlen(key);
	v.mv_data = (void *)val;
	v.mv_size = len;
	if ((rc = mdb_put(eb->eb_txn, eb->eb_store->es_meta, &k, &v, 0)) != 0) {
		eb->eb_failed = 1;
		evstore_mdb_err(eb->eb_store, rc, "writing a state", err,
		    errlen);
		return -1;
	}
	return 0;
}

int
evstore_state_get(struct evstore *es, const char *name, void *buf,
    size_t buflen, size_t *len, char *err, size_t errlen)
{
	char key[512];
	MDB_txn *txn;
	MDB_val k, v;
	int rc;

	if ((size_t)snprintf(key, sizeof(key), "state:%s", name) >=
	    sizeof(key)) {
		evstore_err(err, errlen, "state name too long");
		return -1;
	}
	if ((rc = evstore_txn_begin(es, MDB_RDONLY, &txn)) != 0) {
		evstore_mdb_err(es, rc, "reading a state", err, errlen);
		return -1;
	}
	k.mv_data = key;
	k.mv_size = strlen(key);
	rc = mdb_get(txn, es->es_meta, &k, &v);
	if (rc == MDB_NOTFOUND) {
		evstore_txn_abort(es, txn);
		return 0;
	}
	if (rc != 0) {
		evstore_txn_abort(es, txn);
		evstore_mdb_err(es, rc, "reading a state", err, errlen);
		return -1;
	}
	if (v.mv_size > buflen) {
		evstore_txn_abort(es, txn);
		evstore_err(err, errlen, "state '%s' is too large", name);
		return -1;
	}
	memcpy(buf, v.mv_data, v.mv_size);
	*len = v.mv_size;
	evstore_txn_abort(es, txn);
	return 1;
}

int
evstore_verify(struct evstore *es, const char *name,
    struct evstore_verify *out, char *err, size_t errlen)
{
	unsigned char prev[EVSTORE_SUFFIX_LEN];
	struct block_hdr h;
	MDB_txn *txn = NULL;
	MDB_cursor *cur = NULL;
	MDB_val k, v;
	unsigned char *raw = NULL;
	const unsigned char *suf;
	const char *json;
	size_t off, jlen;
	uint64_t n, bytes;
	uint32_t id;
	int rc, bad = 0, first;
	int64_t t;

	memset(out, 0, sizeof(*out));
	if ((rc = evstore_txn_begin(es, MDB_RDONLY, &txn)) != 0) {
		txn = NULL;
		goto fail;
	}
	if ((rc = evstore_index_get(es, txn, name, &id, &out->ev_count,
	    NULL)) != 0)
		goto fail;
	if ((rc = mdb_cursor_open(txn, es->es_blocks, &cur)) != 0)
		goto fail;
	for (rc = evstore_first_event(cur, id, &k, &v); rc == 0 && !bad;
	    rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if (!evstore_key_in(&k, id))
			break;
		out->ev_blocks++;
		out->ev_block_bytes += v.mv_size;
		if (block_parse(v.mv_data, v.mv_size, &h) == -1) {
			evstore_err(err, errlen, "block %llu of '%s' (newest "
			    "event at %lld ms): not a block of this version",
			    (unsigned long long)out->ev_blocks, name,
			    (long long)evstore_key_time(k.mv_data));
			bad = 1;
			break;
		}
		if (block_decode(&h, &raw, err, errlen) == -1) {
			bad = 1;
			break;
		}
		off = 0;
		n = bytes = 0;
		first = 1;
		while ((rc = block_next(raw, h.bh_raw_len, &off, &suf, &json,
		    &jlen)) == 1) {
			t = evstore_suffix_time(suf);
			if ((!first && memcmp(prev, suf, EVSTORE_SUFFIX_LEN) >= 0) ||
			    t < h.bh_tmin || t > h.bh_tmax || jlen == 0)
				break;
			memcpy(prev, suf, EVSTORE_SUFFIX_LEN);
			first = 0;
			n++;
			bytes += EVSTORE_KEY_LEN + jlen;
		}
		if (rc != 0 || n != h.bh_count || bytes != h.bh_bytes ||
		    memcmp(prev, (const unsigned char *)k.mv_data + 4,
		    EVSTORE_SUFFIX_LEN) != 0) {
			evstore_err(err, errlen, "block %llu of '%s' (newest "
			    "event at %lld ms) is damaged: %llu of %u records "
			    "read in order and in range, or its key or byte "
			    "count disagree", (unsigned long long)out->ev_blocks,
			    name, (long long)evstore_key_time(k.mv_data),
			    (unsigned long long)n, h.bh_count);
			bad = 1;
		}
		free(raw);
		raw = NULL;
		out->ev_block_events += h.bh_count;
		out->ev_raw_bytes += h.bh_bytes;
		rc = 0;
	}
	if (rc != 0 && rc != MDB_NOTFOUND)
		goto fail;
	mdb_cursor_close(cur);
	cur = NULL;
	if (!bad) {
		if ((rc = mdb_cursor_open(txn, es->es_events, &cur)) != 0)
			goto fail;
		for (rc = evstore_first_event(cur, id, &k, &v); rc == 0;
		    rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
			if (!evstore_key_in(&k, id))
				break;
			out->ev_tail++;
		}
		if (rc != 0 && rc != MDB_NOTFOUND)
			goto fail;
		if (out->ev_tail + out->ev_block_events != out->ev_count) {
			evstore_err(err, errlen, "index '%s' counts %llu events"
			    " but holds %llu (%llu in %llu blocks, %llu in its "
			    "tail)", name, (unsigned long long)out->ev_count,
			    (unsigned long long)(out->ev_tail +
			    out->ev_block_events),
			    (unsigned long long)out->ev_block_events,
			    (unsigned long long)out->ev_blocks,
			    (unsigned long long)out->ev_tail);
			bad = 1;
		}
	}
	if (cur != NULL)
		mdb_cursor_close(cur);
	evstore_txn_abort(es, txn);
	return bad;
fail:
	free(raw);
	if (cur != NULL)
		mdb_cursor_close(cur);
	if (txn != NULL)
		evstore_txn_abort(es, txn);
	if (rc == MDB_NOTFOUND)
		evstore_err(err, errlen, "no index '%s'", name);
	else
		evstore_mdb_err(es, rc, "verifying an index", err, errlen);
	return -1;
}

int64_t
evstore_seal_index(struct evstore *es, const char *name, char *err,
    size_t errlen)
{
	MDB_txn *txn = NULL;
	MDB_stat st;
	uint64_t count, tail, before = 0;
	uint32_t id;
	int rc, first = 1;

	if (es->es_block_bytes == 0)
		return 0;
	for (;;) {
		if ((rc = evstore_txn_begin(es, 0, &txn)) != 0) {
			txn = NULL;
			goto fail;
		}
		if ((rc = evstore_index_get(es, txn, name, &id, &count,
		    NULL)) != 0 ||
		    (rc = mdb_stat(txn, es->es_blocks, &st)) != 0)
			goto fail;
		if (first)
			before = st.ms_entries;
		first = 0;
		/* Counts the tail first when the store never did (made
		 * before blocks). */
		if ((rc = evstore_seal(es, txn, id, 0, err, errlen)) != 0 ||
		    (rc = evstore_idval_get(es, txn, evstore_key_tail, id,
		    &tail)) != 0 ||
		    (rc = mdb_stat(txn, es->es_blocks, &st)) != 0)
			goto fail;
		rc = evstore_txn_commit(es, txn);
		txn = NULL;
		if (rc != 0)
			goto fail;
		if (tail < es->es_block_bytes)
			break;
	}
	return (int64_t)(st.ms_entries - before);
fail:
	if (txn != NULL)
		evstore_txn_abort(es, txn);
	if (rc == MDB_NOTFOUND)
		evstore_err(err, errlen, "no index '%s'", name);
	else
		evstore_mdb_err(es, rc, "sealing an index", err, errlen);
	return -1;
}
