/*
 * codec.c - which block codec and block size for the event store (issue 13).
 *
 * Usage: codec FILE [MAX_BYTES]
 *
 * Reads NDJSON events from FILE (plain or gzip, at most MAX_BYTES of them,
 * default 256 MiB), cuts them into blocks of consecutive events as the
 * store would (a block closes at the first event that takes it to the block
 * size or past it), and for each codec and block size prints: compressed /
 * raw bytes, the LMDB pages a block would take as one value (overflow pages
 * of 4096 bytes), compression and decompression speed in MB/s of raw text,
 * on one core. Every block is decompressed and compared with the original.
 * bench/codec builds and runs it.
 */
#define _GNU_SOURCE	/* memrchr */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <lz4.h>
#include <lz4hc.h>
#include <zlib.h>
#include <zstd.h>

#define PAGE		4096
#define PAGE_HDR	16	/* LMDB's page header before overflow data */

enum codec { C_LZ4, C_LZ4HC, C_ZSTD, C_ZLIB };

struct conf {
	const char	*name;
	enum codec	 codec;
	int		 level;
};

static const struct conf confs[] = {
	{ "lz4", C_LZ4, 1 },
	{ "lz4hc-9", C_LZ4HC, 9 },
	{ "zstd-1", C_ZSTD, 1 },
	{ "zstd-3", C_ZSTD, 3 },
	{ "zstd-6", C_ZSTD, 6 },
	{ "zstd-9", C_ZSTD, 9 },
	{ "zlib-1", C_ZLIB, 1 },
	{ "zlib-6", C_ZLIB, 6 },
};

static const size_t sizes[] = { 16 << 10, 64 << 10, 256 << 10, 1 << 20 };

struct block {
	const char	*raw;
	size_t		 len;
};

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Returns the compressed size of src into dst (cap bytes), or 0 on error. */
static size_t
pack(const struct conf *c, const char *src, size_t n, char *dst, size_t cap,
    ZSTD_CCtx *zc)
{
	uLongf zl = cap;

	switch (c->codec) {
	case C_LZ4:
		return (size_t)LZ4_compress_default(src, dst, (int)n, (int)cap);
	case C_LZ4HC:
		return (size_t)LZ4_compress_HC(src, dst, (int)n, (int)cap,
		    c->level);
	case C_ZSTD: {
		size_t r = ZSTD_compressCCtx(zc, dst, cap, src, n, c->level);

		return ZSTD_isError(r) ? 0 : r;
	}
	case C_ZLIB:
		return compress2((Bytef *)dst, &zl, (const Bytef *)src, n,
		    c->level) == Z_OK ? (size_t)zl : 0;
	}
	return 0;
}

/* Returns the size src (n bytes) inflates to in dst, or 0 on error. */
static size_t
unpack(const struct conf *c, const char *src, size_t n, char *dst, size_t cap,
    ZSTD_DCtx *zd)
{
	uLongf zl = cap;

	switch (c->codec) {
	case C_LZ4:
	case C_LZ4HC: {
		int r = LZ4_decompress_safe(src, dst, (int)n, (int)cap);

		return r < 0 ? 0 : (size_t)r;
	}
	case C_ZSTD: {
		size_t r = ZSTD_decompressDCtx(zd, dst, cap, src, n);

		return ZSTD_isError(r) ? 0 : r;
	}
	case C_ZLIB:
		return uncompress((Bytef *)dst, &zl, (const Bytef *)src, n) ==
		    Z_OK ? (size_t)zl : 0;
	}
	return 0;
}

/* Reads up to max bytes of whole lines of path into a malloc'd buffer. */
static char *
slurp(const char *path, size_t max, size_t *len)
{
	gzFile gz = gzopen(path, "rb");
	char *b, *nl;
	size_t n = 0;
	int r;

	if (gz == NULL || (b = malloc(max + 1)) == NULL)
		return NULL;
	while (n < max && (r = gzread(gz, b + n, (unsigned)(max - n >
	    (1u << 30) ? (1u << 30) : max - n))) > 0)
		n += (size_t)r;
	gzclose(gz);
	b[n] = '\0';
	/* Only whole lines. */
	if (n > 0 && b[n - 1] != '\n' && (nl = memrchr(b, '\n', n)) != NULL)
		n = (size_t)(nl - b) + 1;
	*len = n;
	return b;
}

int
main(int argc, char **argv)
{
	size_t max = argc > 2 ? strtoull(argv[2], NULL, 10) : (256u << 20);
	size_t len, nb, cap = 0, ztotal;
	struct block *bl;
	char *all, *zbuf, *out;
	size_t *zlen;
	ZSTD_CCtx *zc = ZSTD_createCCtx();
	ZSTD_DCtx *zd = ZSTD_createDCtx();

	if (argc < 2) {
		fprintf(stderr, "usage: codec FILE [MAX_BYTES]\n");
		return 2;
	}
	if ((all = slurp(argv[1], max, &len)) == NULL || len == 0) {
		fprintf(stderr, "codec: cannot read %s\n", argv[1]);
		return 1;
	}
	printf("%zu bytes of events from %s\n\n", len, argv[1]);
	printf("%-8s %8s %8s %9s %9s %10s %10s\n", "codec", "block", "blocks",
	    "ratio", "on-disk", "pack MB/s", "unpack MB/s");
	for (size_t si = 0; si < sizeof(sizes) / sizeof(sizes[0]); si++) {
		size_t bs = sizes[si], off = 0;

		/* Blocks of whole events. */
		nb = 0;
		bl = malloc(sizeof(*bl) * (len / 64 + 2));
		while (off < len) {
			size_t start = off;
			char *nl;

			while (off < len && off - start < bs) {
				nl = memchr(all + off, '\n', len - off);
				off = nl ? (size_t)(nl - all) + 1 : len;
			}
			bl[nb].raw = all + start;
			bl[nb].len = off - start;
			if (bl[nb].len + 1024 > cap)
				cap = bl[nb].len + 1024;
			nb++;
		}
		/* Room for every block's worst case, one after another. */
		ztotal = len + len / 64 + nb * 1024;
		zbuf = malloc(ztotal);
		zlen = calloc(nb, sizeof(*zlen));
		out = malloc(cap);
		if (bl == NULL || zbuf == NULL || zlen == NULL || out == NULL) {
			fprintf(stderr, "codec: out of memory\n");
			return 1;
		}
		for (size_t ci = 0; ci < sizeof(confs) / sizeof(confs[0]); ci++) {
			const struct conf *c = &confs[ci];
			size_t zoff = 0, ztot = 0, pages = 0;
			double t0, t1, t2;

			t0 = now();
			for (size_t i = 0; i < nb; i++) {
				zlen[i] = pack(c, bl[i].raw, bl[i].len,
				    zbuf + zoff, ztotal - zoff, zc);
				if (zlen[i] == 0) {
					fprintf(stderr, "codec: %s failed\n",
					    c->name);
					return 1;
				}
				zoff += zlen[i];
			}
			t1 = now();
			zoff = 0;
			for (size_t i = 0; i < nb; i++) {
				size_t n = unpack(c, zbuf + zoff, zlen[i], out,
				    cap, zd);

				if (n != bl[i].len ||
				    memcmp(out, bl[i].raw, n) != 0) {
					fprintf(stderr, "codec: %s: block %zu "
					    "does not round-trip\n", c->name, i);
					return 1;
				}
				zoff += zlen[i];
				ztot += zlen[i];
				pages += (zlen[i] + PAGE_HDR + PAGE - 1) / PAGE;
			}
			t2 = now();
			printf("%-8s %7zuK %8zu %9.4f %9.4f %10.0f %10.0f\n",
			    c->name, bs >> 10, nb, (double)ztot / (double)len,
			    (double)pages * PAGE / (double)len,
			    (double)len / 1e6 / (t1 - t0),
			    (double)len / 1e6 / (t2 - t1));
			fflush(stdout);
		}
		free(zbuf);
		free(zlen);
		free(out);
		free(bl);
		printf("\n");
	}
	ZSTD_freeCCtx(zc);
	ZSTD_freeDCtx(zd);
	free(all);
	return 0;
}
