/* block.h - sealed blocks of events: their format, zstd compression and the
 * summaries that let a scan skip a block (docs/DESIGN.md, "Event blocks"). */
#ifndef AR_BLOCK_H
#define AR_BLOCK_H

#include <stddef.h>
#include <stdint.h>

/*
 * A block is one LMDB value holding events of one index in key order:
 *
 *   header (BLOCK_HDR_LEN bytes, integers big-endian)
 *     0  "ARB1"               magic and version
 *     4  u32 flags            BLOCK_F_FIELDS: the field summary is whole
 *     8  i64 tmin, 16 i64 tmax   the events' times (ms)
 *    24  u32 count            events
 *    28  u32 raw_len          bytes of the records, uncompressed
 *    32  u64 bytes            keys + values of the events, as the index's
 *                             byte count has them
 *    40  u32 text_len         bytes of the text summary
 *    44  u32 field_len        bytes of the field summary
 *    48  u32 comp_len         bytes of the zstd frame
 *   text summary: a bloom filter (one hash) of every 3-byte run of the
 *     events' text, ASCII letters folded to lower case
 *   field summary: a bloom filter (three hashes) of field=value for every
 *     scalar of every event (see block_field_key)
 *   a zstd frame (with its content checksum) of the records, each
 *     16-byte key suffix (time ‖ ~seq) ‖ u32 length ‖ the event's JSON
 */
#define BLOCK_HDR_LEN	52
#define BLOCK_REC_HDR	20	/* key suffix 16 + length 4 */
#define BLOCK_F_FIELDS	1u

/* A block's header read in place from its value (pointers into it). */
struct block_hdr {
	uint32_t	 bh_flags;
	int64_t		 bh_tmin, bh_tmax;
	uint32_t	 bh_count;
	uint32_t	 bh_raw_len;
	uint64_t	 bh_bytes;
	const unsigned char *bh_text;
	uint32_t	 bh_text_len;
	const unsigned char *bh_field;
	uint32_t	 bh_field_len;
	const unsigned char *bh_comp;
	uint32_t	 bh_comp_len;
};

/* A block being built: the records, uncompressed, and the summaries. */
struct block_build {
	unsigned char	*bb_raw;
	size_t		 bb_len, bb_cap;
	uint32_t	 bb_count;
	uint64_t	 bb_bytes;
	int64_t		 bb_tmin, bb_tmax;
	int		 bb_fields_ok;	/* every event's fields were read */
};

/* Starts an empty build. */
void block_build_init(struct block_build *);
/* Frees what the build holds; it can be initialised again. */
void block_build_free(struct block_build *);
/*
 * Appends one event: suffix (the 16-byte key suffix, time ‖ ~seq; events
 * must come in key order), time_ms and its JSON text (copied). Returns 0,
 * or -1 out of memory.
 */
int block_build_add(struct block_build *, const unsigned char *suffix,
    int64_t time_ms, const char *json, size_t len);
/*
 * Makes the block's value: the summaries, then the records compressed
 * with zstd at level 1. Returns 0 with *out (malloc'd; the caller frees
 * it) and *outlen, or -1 with a reason in err.
 */
int block_build_finish(struct block_build *, void **out, size_t *outlen,
    char *err, size_t errlen);

/*
 * Reads the header of block value val[0..len) into *h (pointing into val).
 * Returns 0, or -1 when it is not a block of this version or its parts
 * do not fit in len.
 */
int block_parse(const void *val, size_t len, struct block_hdr *h);
/*
 * Decompresses the records of h (zstd checks the frame's checksum) into
 * *raw (malloc'd, h->bh_raw_len bytes; the caller frees it). Returns 0, or
 * -1 with a reason (a damaged block).
 */
int block_decode(const struct block_hdr *h, unsigned char **raw,
    char *err, size_t errlen);
/*
 * Steps through decoded records: from offset *off of raw[0..len), sets
 * *suffix, *json and *jlen to the record there and moves *off past it.
 * Returns 1, 0 at the end, -1 when the record does not fit (damage).
 */
int block_next(const unsigned char *raw, size_t len, size_t *off,
    const unsigned char **suffix, const char **json, size_t *jlen);

/*
 * Returns 0 when the block's events cannot contain text[0..len) (ASCII
 * letters of text already folded to lower case), 1 when they may. Text
 * shorter than 3 bytes always may.
 */
int block_may_have_text(const struct block_hdr *, const char *text,
    size_t len);
/*
 * Returns 0 when no event of the block has field (a dotted path) with a
 * scalar equal to the literal value[0..vlen) by the rules of search
 * field=value without wildcards (numbers numerically, text ignoring ASCII
 * case), 1 when one may.
 */
int block_may_have_field(const struct block_hdr *, const char *field,
    const char *value, size_t vlen);

#endif
