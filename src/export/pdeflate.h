/* pdeflate.h - one raw deflate stream at a time, cut in blocks deflated on threads. */
#ifndef AR_PDEFLATE_H
#define AR_PDEFLATE_H

#include <stddef.h>
#include <stdint.h>

struct pdeflate;

/* Where compressed bytes go, in order. Returns 0, or -1 to stop. */
typedef int (*pdeflate_out)(void *arg, const void *data, size_t len);

/* The most worker threads a stream may use. */
#define PDEFLATE_MAX_THREADS 16

/*
 * Returns a compressor at level (0-9) deflating on threads worker threads
 * (0: in the caller's thread; more than PDEFLATE_MAX_THREADS are that
 * many), or NULL out of memory. The threads start with the first full
 * block; the caller frees it with pdeflate_free.
 */
struct pdeflate *pdeflate_new(int level, int threads);

/*
 * Adds len bytes to the stream. Compressed bytes of the blocks done so far
 * go to out, in order, from the caller's thread. Returns 0, or -1 when out
 * returned -1 or memory ran out (the stream is then unusable).
 */
int pdeflate_write(struct pdeflate *, const void *data, size_t len,
    pdeflate_out out, void *arg);

/*
 * Ends the stream: the rest goes to out. Sets *crc to the CRC-32 and *len
 * to the length of all the bytes written since the stream began. The next
 * write begins a new stream. Returns 0 or -1 as pdeflate_write.
 */
int pdeflate_finish(struct pdeflate *, pdeflate_out out, void *arg,
    uint32_t *crc, uint64_t *len);

/* Stops and joins the threads, then frees everything. NULL is a no-op. */
void pdeflate_free(struct pdeflate *);

#endif
