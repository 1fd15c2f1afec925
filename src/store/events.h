/* events.h - the embedded event store: LMDB indices keyed by event time. */
#ifndef AR_EVENTS_H
#define AR_EVENTS_H

#include <stddef.h>
#include <stdint.h>

struct evstore;
struct evstore_ingest;
struct evstore_scan;
struct evstore_batch;

/*
 * Opens (creating when missing) the event store in directory dir
 * (storage.path + "/events"). Returns 0 and *out, or -1 with a reason.
 * Each process opens its own handle; a handle is never used across fork().
 */
int evstore_open(struct evstore **out, const char *dir, uint64_t map_size,
    char *err, size_t errlen);
void evstore_close(struct evstore *);

/*
 * Sets how many bytes (keys + values) of an index's newest events stay
 * uncompressed, one by one, before the oldest of them are sealed into a
 * compressed block of about that size (store/block.h): 262144 unless set;
 * 0 never seals. Writers set it from events.block_bytes; it has no effect
 * on reading.
 */
void evstore_set_block_bytes(struct evstore *, size_t bytes);

/* Returns 1 when name is a valid index name ([A-Za-z0-9][A-Za-z0-9._-]*, at
 * most 200 bytes), else 0. */
int evstore_index_name_ok(const char *name);

/*
 * Calls cb for every index whose name matches glob pattern ('*' any run), in
 * name order. cb returns 0 to go on. Returns the number of matches, or -1.
 */
int evstore_match(struct evstore *, const char *pattern,
    int (*cb)(void *arg, const char *name, uint64_t count), void *arg);

/*
 * Copies the time field index is keyed by into out (outlen bytes).
 * Returns 0, or -1 when the index does not exist or out is too small.
 */
int evstore_index_time_field(struct evstore *, const char *index, char *out,
    size_t outlen);

/*
 * Starts loading into index (created when missing; time_field is recorded the
 * first time and must match afterwards). Events are committed in batches, so
 * queries see them while a long load runs. Returns 0 or -1 with a reason.
 */
int evstore_ingest_begin(struct evstore *, const char *index,
    const char *time_field, struct evstore_ingest **out,
    char *err, size_t errlen);
/* Adds one event (JSON object text, len bytes) with its time. 0 or -1. */
int evstore_ingest_add(struct evstore_ingest *, int64_t time_ms,
    const char *json, size_t len, char *err, size_t errlen);
/* Commits what remains and frees the handle. Returns 0 or -1. */
int evstore_ingest_end(struct evstore_ingest *, char *err, size_t errlen);

/*
 * A batch writes events into any number of indices in ONE write
 * transaction: nothing of it is visible or kept until evstore_batch_commit
 * returns 0, and then all of it is on disk (the environment is opened
 * without MDB_NOSYNC / MDB_NOMETASYNC, so a commit is fsync'd and survives
 * a machine crash). A batch holds LMDB's single writer lock from begin to
 * commit or abort: keep it short (one HTTP request). At most
 * EVSTORE_BATCH_MAX_INDICES distinct indices per batch.
 *
 * evstore_batch_begin returns 0 and *out, or -1 with a reason.
 */
#define EVSTORE_BATCH_MAX_INDICES	256
int evstore_batch_begin(struct evstore *, struct evstore_batch **out,
    char *err, size_t errlen);
/*
 * Makes index known to the batch, creating it (inside the batch) keyed by
 * time_field when it does not exist, and copies the field the index is
 * keyed by into field (fieldlen bytes): an existing index keeps its own.
 * Returns 0; 1 when the index cannot be used (an invalid name, too many
 * indices in this batch) with a reason in err, the batch still usable; or
 * -1 on a storage error, after which the batch can only be aborted.
 */
int evstore_batch_index(struct evstore_batch *, const char *index,
    const char *time_field, char *field, size_t fieldlen,
    char *err, size_t errlen);
/*
 * Adds one event (JSON object text json/len, copied) with its time to an
 * index given to evstore_batch_index before. Returns 0 and the event's
 * sequence number in *seq (unique in the store), or -1 with a reason (a
 * storage error: the batch can only be aborted).
 */
int evstore_batch_add(struct evstore_batch *, const char *index,
    int64_t time_ms, const char *json, size_t len, uint64_t *seq,
    char *err, size_t errlen);
/* Commits and frees the batch. Returns 0, or -1 with a reason (nothing of
 * the batch is kept). */
int evstore_batch_commit(struct evstore_batch *, char *err, size_t errlen);
/* Drops everything the batch wrote and frees it. NULL is fine. */
void evstore_batch_abort(struct evstore_batch *);

/*
 * Named states committed with a batch's events or not at all (what
 * "asyncreq follow" keeps its file offsets in). evstore_batch_state_put
 * writes val[0..len) under name (at most 500 bytes) in the batch; returns
 * 0, or -1 with a reason (the batch can then only be aborted).
 * evstore_state_get copies the committed value into buf (buflen bytes)
 * and its length into *len; returns 1, 0 when there is none, or -1 with a
 * reason.
 */
int evstore_batch_state_put(struct evstore_batch *, const char *name,
    const void *val, size_t len, char *err, size_t errlen);
int evstore_state_get(struct evstore *, const char *name, void *buf,
    size_t buflen, size_t *len, char *err, size_t errlen);

/*
 * Opens a scan of the events of the named indices whose time lies in
 * [start_ms, end_ms), newest first across all of them (ties in ingest order).
 * Returns 0 and *out, or -1 with a reason.
 */
int evstore_scan_open(struct evstore *, const char *const *indices,
    size_t nindices, int64_t start_ms, int64_t end_ms,
    struct evstore_scan **out, char *err, size_t errlen);
/*
 * Returns 1 and the next event (json/len borrowed, valid until the next call
 * or close; *time_ms its time; *index_no which of the indices), 0 at the
 * end, or -1 on a storage error.
 */
int evstore_scan_next(struct evstore_scan *, const char **json, size_t *len,
    int64_t *time_ms, size_t *index_no);
void evstore_scan_close(struct evstore_scan *);

struct block_hdr;
/*
 * Lets the scan skip blocks: before it decompresses a block whose events
 * all lie in the scan's range, it calls may_match(arg, header), which
 * returns 0 when no event of the block can be wanted (from the block's
 * summaries, store/block.h), else 1. Call before the first
 * evstore_scan_next. The events of a skipped block are counted by
 * evstore_scan_skipped.
 */
void evstore_scan_filter(struct evstore_scan *,
    int (*may_match)(void *arg, const struct block_hdr *), void *arg);
/* The events and their JSON bytes the filter ruled out so far in index
 * index_no of the scan. */
void evstore_scan_skipped(const struct evstore_scan *, size_t index_no,
    uint64_t *events, uint64_t *bytes);

/* What evstore_indices reports of one index. */
struct evstore_index_info {
	char		 ii_name[201];
	uint64_t	 ii_events;
	uint64_t	 ii_bytes;	/* keys + values of its events */
	int64_t		 ii_oldest;	/* ms; INT64_MIN when empty */
	int64_t		 ii_newest;
};

/*
 * Lists the indices whose names match glob pattern, in name order, from one
 * snapshot. Returns 0 with *out (malloc'd array of *n entries, the caller
 * frees it; NULL when none), or -1 with a reason.
 */
int evstore_indices(struct evstore *, const char *pattern,
    struct evstore_index_info **out, size_t *n, char *err, size_t errlen);

/*
 * Deletes index name: its name goes in one short write transaction (scans
 * already open keep their snapshot and finish; a later write of the name
 * creates a new, empty index), then its events are removed in transactions
 * of EVSTORE_PURGE_BATCH events, so the writer lock is never held long and
 * writers in between proceed. LMDB reuses the freed pages once no read
 * transaction needs them. When this process dies half-way, evstore_purge
 * (the runner calls it) finishes the job. Returns 0; 1 when there is no
 * such index (reason in err); -1 on a storage error.
 */
#define EVSTORE_PURGE_BATCH	5000
int evstore_delete_index(struct evstore *, const char *name, char *err,
    size_t errlen);

/*
 * Removes at most max_events events of deleted indices in one write
 * transaction. Returns the number removed (0: nothing to do) with *more = 1
 * when some remain, or -1 with a reason.
 */
int64_t evstore_purge(struct evstore *, size_t max_events, int *more,
    char *err, size_t errlen);

/*
 * Retention of index name: removes its oldest events while they are older
 * than before_ms or the index holds more than max_bytes bytes (0: no size
 * limit), at most max_events in this one write transaction. Returns the
 * number removed, with *more = 1 when the limit stopped it (call again), or
 * -1 with a reason. A missing index is 0.
 */
int64_t evstore_trim(struct evstore *, const char *name, int64_t before_ms,
    uint64_t max_bytes, size_t max_events, int *more, char *err,
    size_t errlen);

/* What evstore_verify found in one index. */
struct evstore_verify {
	uint64_t	 ev_count;	/* the index's event count */
	uint64_t	 ev_blocks;	/* sealed blocks */
	uint64_t	 ev_block_events;	/* events in them */
	uint64_t	 ev_block_bytes;	/* their LMDB values (compressed) */
	uint64_t	 ev_raw_bytes;	/* their events' keys and values */
	uint64_t	 ev_tail;	/* events not yet in a block */
};

/*
 * Checks index name in one snapshot: every block parses, decompresses
 * (zstd checks its checksum), holds as many records as its header says,
 * in key order, inside its time range, ending at its key, with its byte
 * count; and the blocks' events and the tail's add up to the index's
 * count. Returns 0 with *out; 1 when something does not hold (the reason
 * in err, *out as far as it got); -1 on a storage error.
 */
int evstore_verify(struct evstore *, const char *name,
    struct evstore_verify *out, char *err, size_t errlen);

/*
 * Seals the tail of index name into blocks (storage.block_bytes, set with
 * evstore_set_block_bytes) until less than one block is left: what a
 * store made before blocks needs once (asyncreq check --upgrade), in
 * write transactions of at most 64 blocks. Returns the number of blocks
 * made, or -1 with a reason.
 */
int64_t evstore_seal_index(struct evstore *, const char *name, char *err,
    size_t errlen);

#endif
