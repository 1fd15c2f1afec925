/* test_pdeflate.c - block-parallel raw deflate: round trips, order, failures. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <zlib.h>

#include "export/pdeflate.h"
#include "tap.h"

/* pdeflate.c's block size, which the lengths below straddle. */
#define BLOCK (256 * 1024)
/* The longest input: 5 MiB. */
#define BIG (5 * 1024 * 1024)

/* ------------------------------------------------------------ helpers */

static pthread_t main_thread;

/*
 * Where compressed bytes go: a growing buffer that refuses (returns -1)
 * a chunk that would take it past limit, and notes how out was called.
 */
struct sink {
	unsigned char *s_data;
	size_t s_len;
	size_t s_cap;
	size_t s_limit;		/* SIZE_MAX: takes everything */
	int s_refused;		/* out returned -1 */
	int s_after;		/* calls after it returned -1 */
	int s_foreign;		/* calls from another thread than main's */
	size_t s_nchunks;	/* calls that were taken */
	size_t s_chunks[64];	/* the sizes of the first ones */
};

static void
sink_init(struct sink *s, size_t limit)
{
	memset(s, 0, sizeof(*s));
	s->s_limit = limit;
}

static void
sink_free(struct sink *s)
{
	free(s->s_data);
	memset(s, 0, sizeof(*s));
}

static int
sink_out(void *arg, const void *data, size_t len)
{
	struct sink *s = arg;
	unsigned char *p;
	size_t cap;

	if (!pthread_equal(pthread_self(), main_thread))
		s->s_foreign++;
	if (s->s_refused)
		s->s_after++;
	if (len > s->s_limit - s->s_len) {
		s->s_refused = 1;
		return -1;
	}
	if (s->s_len + len > s->s_cap) {
		cap = s->s_cap ? s->s_cap : 4096;
		while (cap < s->s_len + len)
			cap *= 2;
		if ((p = realloc(s->s_data, cap)) == NULL)
			return -1;
		s->s_data = p;
		s->s_cap = cap;
	}
	memcpy(s->s_data + s->s_len, data, len);
	s->s_len += len;
	if (s->s_nchunks < sizeof(s->s_chunks) / sizeof(s->s_chunks[0]))
		s->s_chunks[s->s_nchunks] = len;
	s->s_nchunks++;
	return 0;
}

/* A fixed-seed generator (splitmix64), so every run sees the same data. */
static uint64_t
rnd(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Fills p with len bytes of noise that deflate cannot shrink. */
static void
make_noise(unsigned char *p, size_t len, uint64_t seed)
{
	uint64_t v;

	for (size_t i = 0; i < len; i += 8) {
		v = rnd(&seed);
		for (size_t k = 0; k < 8 && i + k < len; k++)
			p[i + k] = (unsigned char)(v >> (8 * k));
	}
}

/*
 * Fills p with len bytes of XML-like rows, like a sheet of a workbook:
 * the same tags over and over around numbers and names that vary.
 */
static void
make_text(unsigned char *p, size_t len, uint64_t seed)
{
	static const char *hosts[] = { "WORKSTATION5", "dc01.corp.local",
	    "web-frontend-02", "SQLSRV", "laptop-jdoe" };
	char row[512];
	size_t o = 0, n;
	unsigned r = 1;
	uint64_t v;
	int w;

	while (o < len) {
		v = rnd(&seed);
		w = snprintf(row, sizeof(row), "<row r=\"%u\"><c r=\"A%u\" "
		    "t=\"n\"><v>%u</v></c><c r=\"B%u\" t=\"inlineStr\"><is>"
		    "<t>%s</t></is></c><c r=\"C%u\"><v>%u.%02u</v></c>"
		    "<c r=\"D%u\" t=\"inlineStr\"><is><t>user%u@example.com"
		    "</t></is></c></row>\n", r, r, (unsigned)(v % 100000),
		    r, hosts[(v >> 20) % 5], r, (unsigned)((v >> 24) % 5000),
		    (unsigned)((v >> 40) % 100), r, (unsigned)((v >> 48) % 300));
		n = (size_t)w < len - o ? (size_t)w : len - o;
		memcpy(p + o, row, n);
		o += n;
		r++;
	}
}

/* Piece sizes for pdeflate_write, used in turn. */
static const size_t pieces[] = { 1, 7, 4096, 100000, 300000 };

/*
 * Writes len bytes of data to pd (in the pieces above when irregular, in
 * one call when not) and finishes the stream. Returns 0, or -1 when a
 * call returned -1.
 */
static int
deflate_stream(struct pdeflate *pd, const unsigned char *data, size_t len,
    int irregular, struct sink *s, uint32_t *crc, uint64_t *total)
{
	size_t o = 0, n;

	for (int i = 0; o < len; i++) {
		n = irregular ? pieces[i % 5] : len;
		if (n > len - o)
			n = len - o;
		if (pdeflate_write(pd, data + o, n, sink_out, s) == -1)
			return -1;
		o += n;
	}
	return pdeflate_finish(pd, sink_out, s, crc, total);
}

/* One stream through a new compressor; see deflate_stream. */
static int
deflate_once(int level, int threads, const unsigned char *data, size_t len,
    int irregular, struct sink *s, uint32_t *crc, uint64_t *total)
{
	struct pdeflate *pd = pdeflate_new(level, threads);
	int rc;

	if (pd == NULL)
		return -1;
	rc = deflate_stream(pd, data, len, irregular, s, crc, total);
	pdeflate_free(pd);
	return rc;
}

/* What inflating a raw deflate stream gave. */
struct unz {
	int u_rc;		/* inflate's */
	size_t u_left;		/* compressed bytes not consumed */
	size_t u_len;		/* bytes out */
	int u_same;		/* they are the wanted ones */
};

/*
 * Inflates in (inlen bytes) with one Z_FINISH into room for one byte more
 * than the wantlen bytes at want, and compares.
 */
static struct unz
unz(const unsigned char *in, size_t inlen, const unsigned char *want,
    size_t wantlen)
{
	struct unz u = { Z_ERRNO, inlen, 0, 0 };
	unsigned char *out = malloc(wantlen + 1);
	z_stream z;

	memset(&z, 0, sizeof(z));
	if (out == NULL || inflateInit2(&z, -MAX_WBITS) != Z_OK) {
		free(out);
		return u;
	}
	z.next_in = (Bytef *)(uintptr_t)in;
	z.avail_in = (uInt)inlen;
	z.next_out = out;
	z.avail_out = (uInt)(wantlen + 1);
	u.u_rc = inflate(&z, Z_FINISH);
	u.u_left = z.avail_in;
	u.u_len = wantlen + 1 - z.avail_out;
	u.u_same = u.u_len == wantlen && memcmp(out, want, wantlen) == 0;
	inflateEnd(&z);
	free(out);
	return u;
}

/* The CRC-32 of len bytes at p, as zlib computes it. */
static uint32_t
crc_of(const unsigned char *p, size_t len)
{
	return (uint32_t)crc32(crc32(0, NULL, 0), p, (uInt)len);
}

/*
 * The threads of this process (entries of /proc/self/task), -1 unknown,
 * once they are want, or as they are after 2 s: a joined thread leaves
 * /proc/self/task only when the kernel has reaped it, a moment after
 * pthread_join returned.
 */
static int
count_tasks(int want)
{
	struct timespec ms = {0, 1000000};
	int n = tap_count_dir("/proc/self/task");

	for (int i = 0; i < 2000 && n != want; i++) {
		nanosleep(&ms, NULL);
		n = tap_count_dir("/proc/self/task");
	}
	return n;
}

/* Checks that one stream's output decodes to data and says so. */
static void
check_stream(const char *what, const struct sink *s, const unsigned char *data,
    size_t len, uint32_t crc, uint64_t total)
{
	struct unz u = unz(s->s_data, s->s_len, data, len);

	is_int(u.u_rc, Z_STREAM_END, "%s: inflate ends the stream", what);
	is_int(u.u_left, 0, "%s: the stream takes all the output", what);
	is_int(u.u_len, len, "%s: inflates to the input's length", what);
	ok(u.u_same, "%s: inflates to the input", what);
	is_int(crc, crc_of(data, len), "%s: *crc is the input's CRC-32", what);
	is_int(total, len, "%s: *len is the input's length", what);
}

/* ------------------------------------------------------------ tests */

/*
 * Round trips at every length around the block size, on every thread
 * count, of text and of noise; threads change nothing in the output.
 */
static void
test_round_trip(const unsigned char *text, const unsigned char *noise)
{
	static const size_t lens[] = { 0, 1, BLOCK - 1, BLOCK, BLOCK + 1,
	    3 * BLOCK + 12345, BIG };
	static const int threads[] = { 0, 1, 2, 4 };
	struct sink s, ref;
	const unsigned char *data;
	uint32_t crc;
	uint64_t total;
	char what[128];
	int rc;

	for (int kind = 0; kind < 2; kind++) {
		data = kind == 0 ? text : noise;
		for (size_t l = 0; l < sizeof(lens) / sizeof(lens[0]); l++) {
			sink_init(&ref, SIZE_MAX);
			for (size_t t = 0; t < 4; t++) {
				snprintf(what, sizeof(what), "round trip: %s, "
				    "%zu bytes, %d threads", kind == 0 ?
				    "text" : "noise", lens[l], threads[t]);
				sink_init(&s, SIZE_MAX);
				crc = 0xdeadbeef;
				total = 12345;
				rc = deflate_once(6, threads[t], data, lens[l],
				    1, &s, &crc, &total);
				is_int(rc, 0, "%s: write and finish return 0",
				    what);
				check_stream(what, &s, data, lens[l], crc,
				    total);
				is_int(s.s_foreign, 0, "%s: out is called in "
				    "the caller's thread", what);
				if (threads[t] == 0) {
					ref = s;
					continue;
				}
				ok(s.s_len == ref.s_len &&
				    memcmp(s.s_data, ref.s_data, s.s_len) == 0,
				    "%s: the output is that of 0 threads", what);
				sink_free(&s);
			}
			sink_free(&ref);
		}
	}
}

/*
 * Streams in a row on one compressor: each stands alone. The second
 * begins with the end of the first, so a dictionary kept across streams
 * would show as matches that reach before the stream.
 */
static void
test_streams(const unsigned char *text, const unsigned char *noise)
{
	struct {
		const unsigned char *st_data;
		size_t st_len;
	} st[3] = {
		{ text, 700000 },
		{ text + 700000 - 300000, 300000 },
		{ noise, 5 },
	};
	static const int threads[] = { 0, 3 };
	struct pdeflate *pd;
	struct sink s, fresh;
	uint32_t crc, fcrc;
	uint64_t total, ftotal;
	char what[128];

	for (size_t t = 0; t < 2; t++) {
		pd = pdeflate_new(6, threads[t]);
		for (int i = 0; i < 3; i++) {
			snprintf(what, sizeof(what), "streams: %d threads, "
			    "stream %d of %zu bytes", threads[t], i + 1,
			    st[i].st_len);
			sink_init(&s, SIZE_MAX);
			is_int(deflate_stream(pd, st[i].st_data, st[i].st_len,
			    1, &s, &crc, &total), 0, "%s: write and finish "
			    "return 0", what);
			check_stream(what, &s, st[i].st_data, st[i].st_len,
			    crc, total);
			sink_init(&fresh, SIZE_MAX);
			deflate_once(6, 0, st[i].st_data, st[i].st_len, 1,
			    &fresh, &fcrc, &ftotal);
			ok(s.s_len == fresh.s_len &&
			    memcmp(s.s_data, fresh.s_data, s.s_len) == 0,
			    "%s: the output is that of a new compressor", what);
			sink_free(&fresh);
			sink_free(&s);
		}
		pdeflate_free(pd);
	}
}

/*
 * Deflates len bytes of data at level 1 both with pdeflate (in pieces, on
 * 2 threads) and as one zlib stream; checks that pdeflate's output is
 * within 2% of zlib's, and prints both sizes.
 */
static void
check_ratio(const char *what, const unsigned char *data, size_t len)
{
	size_t bound, zlen;
	unsigned char *zout;
	struct sink s;
	z_stream z;
	uint32_t crc;
	uint64_t total;

	sink_init(&s, SIZE_MAX);
	is_int(deflate_once(1, 2, data, len, 1, &s, &crc, &total), 0,
	    "ratio: %s: pdeflate at level 1 returns 0", what);
	memset(&z, 0, sizeof(z));
	deflateInit2(&z, 1, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
	bound = deflateBound(&z, len);
	zout = malloc(bound);
	z.next_in = (Bytef *)(uintptr_t)data;
	z.avail_in = (uInt)len;
	z.next_out = zout;
	z.avail_out = (uInt)bound;
	is_int(deflate(&z, Z_FINISH), Z_STREAM_END,
	    "ratio: %s: one zlib stream at level 1 ends", what);
	zlen = z.total_out;
	deflateEnd(&z);
	printf("# ratio: %s, %zu bytes at level 1: pdeflate %zu bytes, "
	    "one zlib stream %zu bytes (%+.2f%%)\n", what, len, s.s_len, zlen,
	    100.0 * ((double)s.s_len - (double)zlen) / (double)zlen);
	ok(s.s_len * 100 <= zlen * 102 && s.s_len * 100 >= zlen * 98,
	    "ratio: %s: pdeflate's output is within 2%% of one zlib stream's",
	    what);
	free(zout);
	sink_free(&s);
}

/*
 * Priming each block with the 32 KiB before it costs next to nothing:
 * the output is within 2% of one zlib stream at the same level. Noise
 * repeated every 32000 bytes shows the whole window is primed: unprimed
 * (or primed with less), each block would store its first 32000 bytes
 * again, 4 times the output.
 */
static void
test_ratio(const unsigned char *text, const unsigned char *noise)
{
	size_t len = 1024 * 1024, period = 32000;
	unsigned char *rep = malloc(len);

	check_ratio("text", text, 4 * 1024 * 1024);
	for (size_t i = 0; i < len; i++)
		rep[i] = noise[i % period];
	check_ratio("noise repeated every 32000 bytes", rep, len);
	free(rep);
}

/*
 * Blocks are cut at the same places whatever the writes' sizes, and
 * deflated alike on any thread: 4 threads fed in one call give the bytes
 * 0 threads fed in pieces give.
 */
static void
test_identity(const unsigned char *text, const unsigned char *noise)
{
	struct sink a, b;
	uint32_t crc;
	uint64_t total;

	for (int kind = 0; kind < 2; kind++) {
		sink_init(&a, SIZE_MAX);
		sink_init(&b, SIZE_MAX);
		deflate_once(6, 0, kind ? noise : text, BIG, 1, &a, &crc,
		    &total);
		deflate_once(6, 4, kind ? noise : text, BIG, 0, &b, &crc,
		    &total);
		is_int(b.s_len, a.s_len, "identity: %s: 4 threads in one write "
		    "give as many bytes as 0 threads in pieces",
		    kind ? "noise" : "text");
		ok(a.s_len == b.s_len &&
		    memcmp(a.s_data, b.s_data, a.s_len) == 0,
		    "identity: %s: ... and the same bytes",
		    kind ? "noise" : "text");
		is_int(a.s_nchunks, BIG / BLOCK + 1, "identity: %s: one out "
		    "call per block and one for the end",
		    kind ? "noise" : "text");
		sink_free(&a);
		sink_free(&b);
	}
}

/*
 * An out that fails: the call that meets it returns -1, every later one
 * too, out is not called again, and the threads are joined on free.
 */
static void
test_failing_out(const unsigned char *noise)
{
	static const int threads[] = { 0, 2 };
	size_t len = 8 * BLOCK, piece = 64 * 1024, o, want;
	struct pdeflate *pd;
	struct sink ref, s;
	uint32_t crc;
	uint64_t total;
	int tasks = count_tasks(1), failed_at, rc;

	/* Where the blocks of the noise end in the output. */
	sink_init(&ref, SIZE_MAX);
	deflate_once(6, 0, noise, len, 0, &ref, &crc, &total);
	is_int(ref.s_nchunks, 9, "failing out: 8 blocks and the end come "
	    "in 9 calls");

	for (size_t t = 0; t < 2; t++) {
		/* It takes two blocks and refuses the third. */
		want = ref.s_chunks[0] + ref.s_chunks[1];
		sink_init(&s, want + ref.s_chunks[2] / 2);
		pd = pdeflate_new(6, threads[t]);
		failed_at = -1;
		for (o = 0; o < len; o += piece)
			if (pdeflate_write(pd, noise + o, piece, sink_out,
			    &s) == -1) {
				failed_at = (int)(o / piece);
				break;
			}
		if (failed_at == -1 &&
		    pdeflate_finish(pd, sink_out, &s, &crc, &total) == -1)
			failed_at = (int)(len / piece);
		/*
		 * The third block is full with the 12th piece; 0 threads
		 * send it then. With 2 threads (a ring of 4 jobs), the 7th
		 * block cannot begin (25th piece) before it is sent.
		 */
		if (threads[t] == 0)
			is_int(failed_at, 11, "failing out: 0 threads: the "
			    "write that fills the third block returns -1");
		else
			ok(failed_at >= 11 && failed_at <= 24, "failing out: "
			    "2 threads: a write from the 12th to the 25th "
			    "returns -1 (piece %d)", failed_at + 1);
		is_int(s.s_refused, 1, "failing out: %d threads: out "
		    "returned -1", threads[t]);
		is_int(s.s_len, want, "failing out: %d threads: out took the "
		    "first two blocks", threads[t]);
		ok(s.s_len <= ref.s_len &&
		    memcmp(s.s_data, ref.s_data, s.s_len) == 0, "failing out: "
		    "%d threads: ... as they are in a whole stream", threads[t]);
		is_int(pdeflate_write(pd, noise, 1, sink_out, &s), -1,
		    "failing out: %d threads: the next write returns -1",
		    threads[t]);
		is_int(pdeflate_write(pd, noise, 2 * BLOCK, sink_out, &s), -1,
		    "failing out: %d threads: and a write of 2 blocks after it",
		    threads[t]);
		is_int(pdeflate_finish(pd, sink_out, &s, &crc, &total), -1,
		    "failing out: %d threads: finish returns -1", threads[t]);
		is_int(s.s_after, 0, "failing out: %d threads: out is not "
		    "called after it returned -1", threads[t]);
		is_int(count_tasks(tasks + threads[t]), tasks + threads[t],
		    "failing out: %d "
		    "threads: the workers still run", threads[t]);
		pdeflate_free(pd);
		is_int(count_tasks(tasks), tasks, "failing out: %d threads: free "
		    "joins them", threads[t]);
		sink_free(&s);

		/* It takes the first block and refuses the end. */
		sink_init(&s, ref.s_chunks[0]);
		pd = pdeflate_new(6, threads[t]);
		is_int(pdeflate_write(pd, noise, BLOCK + 1000, sink_out, &s),
		    0, "failing end: %d threads: the write returns 0",
		    threads[t]);
		is_int(pdeflate_finish(pd, sink_out, &s, &crc, &total), -1,
		    "failing end: %d threads: finish returns -1", threads[t]);
		is_int(s.s_len, ref.s_chunks[0], "failing end: %d threads: "
		    "out took the first block", threads[t]);
		is_int(pdeflate_finish(pd, sink_out, &s, &crc, &total), -1,
		    "failing end: %d threads: finish again returns -1",
		    threads[t]);
		is_int(pdeflate_write(pd, noise, 1, sink_out, &s), -1,
		    "failing end: %d threads: a write returns -1", threads[t]);
		is_int(s.s_after, 0, "failing end: %d threads: out is not "
		    "called after it returned -1", threads[t]);
		pdeflate_free(pd);
		is_int(count_tasks(tasks), tasks, "failing end: %d threads: free "
		    "joins the workers", threads[t]);
		sink_free(&s);

		/* It refuses everything: even an empty stream fails. */
		sink_init(&s, 0);
		pd = pdeflate_new(6, threads[t]);
		rc = pdeflate_finish(pd, sink_out, &s, &crc, &total);
		is_int(rc, -1, "failing empty: %d threads: finish of an empty "
		    "stream returns -1", threads[t]);
		is_int(s.s_len, 0, "failing empty: %d threads: out took nothing",
		    threads[t]);
		pdeflate_free(pd);
		sink_free(&s);
	}
	sink_free(&ref);
}

/* Threads start with the first full block; free joins any there are. */
static void
test_lifecycle(const unsigned char *text)
{
	int tasks = count_tasks(1);
	struct pdeflate *pd;
	struct sink s;
	uint32_t crc;
	uint64_t total;

	ok(tasks >= 1, "lifecycle: /proc/self/task counts %d threads", tasks);
	pdeflate_free(NULL);
	ok(1, "lifecycle: pdeflate_free(NULL) returns");

	pd = pdeflate_new(6, 4);
	ok(pd != NULL, "lifecycle: a compressor with 4 threads");
	is_int(count_tasks(tasks), tasks, "lifecycle: no thread before a write");
	pdeflate_free(pd);
	is_int(count_tasks(tasks), tasks, "lifecycle: one never written to is "
	    "freed");

	sink_init(&s, SIZE_MAX);
	pd = pdeflate_new(6, 4);
	is_int(pdeflate_write(pd, text, BLOCK - 1, sink_out, &s), 0,
	    "lifecycle: a write of less than a block returns 0");
	is_int(count_tasks(tasks), tasks, "lifecycle: no thread before a full "
	    "block");
	is_int(s.s_len, 0, "lifecycle: nothing goes out before a full block");
	is_int(pdeflate_write(pd, text + BLOCK - 1, 1, sink_out, &s), 0,
	    "lifecycle: the byte that fills the block");
	is_int(count_tasks(tasks + 4), tasks + 4,
	    "lifecycle: 4 threads with the first "
	    "full block");
	is_int(pdeflate_write(pd, text + BLOCK, 3 * BLOCK, sink_out, &s), 0,
	    "lifecycle: 3 more blocks");
	pdeflate_free(pd);
	is_int(count_tasks(tasks), tasks, "lifecycle: free of an unfinished stream "
	    "joins the threads");
	sink_free(&s);

	sink_init(&s, SIZE_MAX);
	pd = pdeflate_new(6, 100);
	is_int(pdeflate_write(pd, text, BLOCK, sink_out, &s), 0,
	    "lifecycle: a block with 100 threads asked");
	is_int(count_tasks(tasks + PDEFLATE_MAX_THREADS),
	    tasks + PDEFLATE_MAX_THREADS, "lifecycle: "
	    "threads are capped at PDEFLATE_MAX_THREADS");
	is_int(pdeflate_finish(pd, sink_out, &s, &crc, &total), 0,
	    "lifecycle: finish returns 0");
	check_stream("lifecycle: 16 threads", &s, text, BLOCK, crc, total);
	pdeflate_free(pd);
	is_int(count_tasks(tasks), tasks, "lifecycle: free joins 16 threads");
	sink_free(&s);
}

/*
 * Walks a deflate stream made only of stored blocks, copying their bytes
 * to out. Returns the number of blocks, or -1 when a block is not stored,
 * its lengths disagree, or bytes follow the final block.
 */
static long
walk_stored(const unsigned char *p, size_t len, unsigned char *out,
    size_t cap, size_t *outlen)
{
	size_t o = 0, n;
	long blocks = 0;
	int final = 0;

	*outlen = 0;
	while (!final) {
		/* After a stored block, the next header is byte-aligned. */
		if (len - o < 5 || (p[o] & 0x06) != 0)
			return -1;
		final = p[o] & 1;
		n = (size_t)p[o + 1] | (size_t)p[o + 2] << 8;
		if (((p[o + 3] | p[o + 4] << 8) ^ 0xffff) != (int)n ||
		    len - o - 5 < n || cap - *outlen < n)
			return -1;
		memcpy(out + *outlen, p + o + 5, n);
		*outlen += n;
		o += 5 + n;
		blocks++;
	}
	return o == len ? blocks : -1;
}

/* Level 0 stores: every block is a stored one, and it round-trips. */
static void
test_level0(const unsigned char *text)
{
	static const int threads[] = { 0, 2 };
	size_t len = 3 * BLOCK + 12345, outlen;
	unsigned char *out = malloc(len);
	struct sink s;
	uint32_t crc;
	uint64_t total;
	char what[64];
	long blocks;

	for (size_t t = 0; t < 2; t++) {
		snprintf(what, sizeof(what), "level 0: %d threads", threads[t]);
		sink_init(&s, SIZE_MAX);
		is_int(deflate_once(0, threads[t], text, len, 1, &s, &crc,
		    &total), 0, "%s: write and finish return 0", what);
		check_stream(what, &s, text, len, crc, total);
		blocks = walk_stored(s.s_data, s.s_len, out, len, &outlen);
		ok(blocks > 0, "%s: the output is %ld stored blocks", what,
		    blocks);
		is_int(outlen, len, "%s: they hold the input's length", what);
		ok(outlen == len && memcmp(out, text, len) == 0,
		    "%s: they hold the input", what);
		ok(s.s_len > len, "%s: the output (%zu) is longer than the "
		    "input", what, s.s_len);
		sink_free(&s);
	}
	free(out);
}

int
main(void)
{
	unsigned char *text = malloc(BIG), *noise = malloc(BIG);

	if (text == NULL || noise == NULL) {
		printf("Bail out! out of memory\n");
		return 1;
	}
	/* A hang (threads never joined) fails rather than waits forever. */
	alarm(120);
	main_thread = pthread_self();
	make_text(text, BIG, 1);
	make_noise(noise, BIG, 2);
	test_round_trip(text, noise);
	test_streams(text, noise);
	test_ratio(text, noise);
	test_identity(text, noise);
	test_failing_out(noise);
	test_lifecycle(text);
	test_level0(text);
	free(text);
	free(noise);
	return done_testing();
}
