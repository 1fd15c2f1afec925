/* ingest.c - "asyncreq ingest": load NDJSON or a log file format (plain or
 * gzip) into an index. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <zlib.h>

#include "cli/cli.h"
#include "common/config.h"
#include "common/evtime.h"
#include "common/timeutil.h"
#include "ingest/doc.h"
#include "ingest/fmt.h"
#include "store/events.h"

#define INGEST_LINE_MAX		(16u << 20)	/* longer lines are rejected */
#define INGEST_BUF_START	(256u << 10)
#define INGEST_GZ_BUF		(128u << 10)
#define INGEST_SHOW_REJECTS	20

struct ingest {
	struct evstore_ingest	*in_ei;
	const char		*in_field;	/* time field path */
	const char		*in_file;	/* current file, for messages */
	unsigned long long	 in_lineno;
	unsigned long long	 in_loaded;
	unsigned long long	 in_rejected;
	unsigned long long	 in_unparsed;	/* kept with _parse_error */
	enum fmt_kind		 in_fmt;
	const char		*in_fmt_name;
	char			*in_buf;	/* line buffer, grows */
	size_t			 in_cap;
	int			 in_failed;	/* storage error: stop */
	int			 in_progress;	/* stderr is a terminal */
	int64_t			 in_t0;		/* this file's start, mono ms */
	int64_t			 in_tlast;	/* last progress line, mono ms */
	unsigned long long	 in_loaded0;	/* in_loaded at this file's start */
	long long		 in_total;	/* this file's size, or -1 */
};

#define INGEST_PROGRESS_MS	250

/* Writes n bytes as "12.3 MB" into buf. Returns buf. */
static char *
ingest_size(char *buf, size_t len, long long n)
{
	if (n >= 1000000000LL)
		snprintf(buf, len, "%.2f GB", (double)n / 1e9);
	else if (n >= 1000000)
		snprintf(buf, len, "%.1f MB", (double)n / 1e6);
	else
		snprintf(buf, len, "%.1f kB", (double)n / 1e3);
	return buf;
}

/*
 * On a terminal, rewrites the progress line of the file being read: bytes
 * done (of the file's bytes on disk: compressed ones for .gz) of total,
 * events/s and the time left; at most every INGEST_PROGRESS_MS unless
 * final, which ends the line.
 */
static void
ingest_show_progress(struct ingest *in, long long done, int final)
{
	char a[32], b[32], eta[32] = "";
	int64_t now = time_mono_ms(), el;
	double rate;

	if (!in->in_progress || (!final &&
	    now - in->in_tlast < INGEST_PROGRESS_MS))
		return;
	in->in_tlast = now;
	el = now - in->in_t0 > 0 ? now - in->in_t0 : 1;
	rate = (double)(in->in_loaded - in->in_loaded0) * 1000.0 / (double)el;
	if (in->in_total > 0 && done > 0 && !final) {
		long long left = (long long)((double)el *
		    (double)(in->in_total - done) / (double)done / 1000.0);

		snprintf(eta, sizeof(eta), ", ETA %lld:%02lld", left / 60,
		    left % 60);
	}
	if (in->in_total >= 0)
		fprintf(stderr, "\r%s: %s of %s (%d%%), %.0f events/s%s\033[K",
		    in->in_file, ingest_size(a, sizeof(a), done),
		    ingest_size(b, sizeof(b), in->in_total),
		    in->in_total > 0 ? (int)(done * 100 / in->in_total) : 100,
		    rate, eta);
	else
		fprintf(stderr, "\r%s: %s, %.0f events/s\033[K", in->in_file,
		    ingest_size(a, sizeof(a), done), rate);
	if (final)
		fputc('\n', stderr);
	fflush(stderr);
}

static void
ingest_usage(FILE *fp)
{
	fprintf(fp, "usage: asyncreq [-c CONF] ingest [--format F] "
	    "[--time-field F] [--follow [--once]] INDEX FILE...\n"
	    "       FILE may be gzip-compressed; '-' reads standard input.\n"
	    "       formats: %s (default ndjson)\n", fmt_names());
}

static void
ingest_reject(struct ingest *, const char *, ...)
    __attribute__((format(printf, 2, 3)));

/* Reports one rejected line; only the first INGEST_SHOW_REJECTS print. */
static void
ingest_reject(struct ingest *in, const char *fmt, ...)
{
	va_list ap;

	if (++in->in_rejected > INGEST_SHOW_REJECTS)
		return;
	fprintf(stderr, "%s:%llu: ", in->in_file, in->in_lineno);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static int ingest_json(struct ingest *, const char *, size_t);

static int
ingest_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' ||
	    c == '\v';
}

/*
 * Parses and stores one line (without its '\n'). A bad line is counted and
 * reported; only a storage error returns -1.
 */
static int
ingest_line(struct ingest *in, const char *p, size_t n)
{
	char *conv = NULL;
	int rc;

	in->in_lineno++;
	while (n > 0 && ingest_space(*p)) {
		p++;
		n--;
	}
	while (n > 0 && ingest_space(p[n - 1]))
		n--;
	if (n == 0)
		return 0;
	if (in->in_fmt != FMT_NDJSON) {
		rc = fmt_line(in->in_fmt, p, n, in->in_field, time_now_ms(),
		    &conv, &n);
		if (rc == -1) {
			fprintf(stderr, "asyncreq: ingest: out of memory\n");
			in->in_failed = 1;
			return -1;
		}
		if (rc == 0 && ++in->in_unparsed <= INGEST_SHOW_REJECTS)
			fprintf(stderr, "%s:%llu: does not parse as %s: kept "
			    "with _parse_error\n", in->in_file, in->in_lineno,
			    in->in_fmt_name);
		p = conv;
	}
	rc = ingest_json(in, p, n);
	free(conv);
	return rc;
}

/*
 * Stores the checked event p[0..n) at time ms. Returns 0, or -1 on a
 * storage error (reported; the ingest stops).
 */
static int
ingest_store(struct ingest *in, int64_t ms, const char *p, size_t n)
{
	char err[512];

	if (evstore_ingest_add(in->in_ei, ms, p, n, err, sizeof(err)) == -1) {
		fprintf(stderr, "asyncreq: ingest: %s:%llu: %s\n", in->in_file,
		    in->in_lineno, err);
		in->in_failed = 1;
		return -1;
	}
	in->in_loaded++;
	return 0;
}

/*
 * Stores one JSON object text p[0..n). A bad one is counted and reported;
 * only a storage error returns -1.
 */
static int
ingest_json(struct ingest *in, const char *p, size_t n)
{
	json_error_t jerr;
	json_t *obj, *tv;
	int64_t ms;

	if (ingest_doc_fast(p, n, in->in_field, &ms) == 0)
		return ingest_store(in, ms, p, n);
	if ((obj = json_loadb(p, n, 0, &jerr)) == NULL) {
		ingest_reject(in, "invalid JSON: %s", jerr.text);
		return 0;
	}
	if (!json_is_object(obj)) {
		ingest_reject(in, "not a JSON object");
		goto done;
	}
	if ((tv = field_get(obj, in->in_field)) == NULL) {
		ingest_reject(in, "time field '%s' is missing", in->in_field);
		goto done;
	}
	if (evtime_from_json(tv, &ms) == -1) {
		ingest_reject(in, "time field '%s' is not a time",
		    in->in_field);
		goto done;
	}
	json_decref(obj);
	return ingest_store(in, ms, p, n);
done:
	json_decref(obj);
	return 0;
}

/* Returns zlib's message for gz without its "<fd:N>: " prefix. */
static const char *
ingest_gzerror(gzFile gz, int *zerr)
{
	const char *msg = gzerror(gz, zerr), *colon;

	if (strncmp(msg, "<fd:", 4) == 0 && (colon = strstr(msg, ": ")) != NULL)
		msg = colon + 2;
	return msg;
}

/*
 * Reads one file (path "-" is standard input) line by line. zlib reads
 * plain and gzip input alike: gzread checks the gzip magic bytes and passes
 * other data through. Returns 0, or -1 on an I/O or storage error (already
 * reported).
 */
static int
ingest_file(struct ingest *in, const char *path)
{
	gzFile gz = NULL;
	size_t len = 0, start = 0, scan = 0, cap;
	char *nl, *nbuf;
	const char *zmsg;
	int fd, n, zerr, eof = 0, skipping = 0;

	in->in_file = strcmp(path, "-") == 0 ? "(standard input)" : path;
	in->in_lineno = 0;
	fd = strcmp(path, "-") == 0 ? dup(STDIN_FILENO) :
	    open(path, O_RDONLY | O_CLOEXEC);
	if (fd == -1) {
		fprintf(stderr, "asyncreq: ingest: %s: %s\n", in->in_file,
		    strerror(errno));
		return -1;
	}
	if ((gz = gzdopen(fd, "rb")) == NULL) {
		close(fd);
		fprintf(stderr, "asyncreq: ingest: %s: out of memory\n",
		    in->in_file);
		return -1;
	}
	gzbuffer(gz, INGEST_GZ_BUF);
	if (in->in_progress) {
		struct stat st;

		in->in_total = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) ?
		    (long long)st.st_size : -1;
		in->in_t0 = in->in_tlast = time_mono_ms();
		in->in_loaded0 = in->in_loaded;
	}

	for (;;) {
		nl = scan < len ? memchr(in->in_buf + scan, '\n', len - scan) :
		    NULL;
		if (nl != NULL) {
			size_t end = (size_t)(nl - in->in_buf);

			if (skipping) {
				/* End of an overlong line: counted. */
				skipping = 0;
			} else if (ingest_line(in, in->in_buf + start,
			    end - start) == -1)
				goto fail;
			start = scan = end + 1;
			continue;
		}
		if (eof) {
			if (!skipping && start < len && ingest_line(in,
			    in->in_buf + start, len - start) == -1)
				goto fail;
			break;
		}
		/* Keep the partial line; make room for more input. */
		if (skipping)
			start = len;
		memmove(in->in_buf, in->in_buf + start, len - start);
		len -= start;
		start = 0;
		scan = len;
		if (len == in->in_cap) {
			if (in->in_cap > INGEST_LINE_MAX) {
				/* No '\n' within the limit: drop the line. */
				in->in_lineno++;
				ingest_reject(in, "line longer than %u bytes",
				    INGEST_LINE_MAX);
				skipping = 1;
				len = scan = 0;
			} else {
				cap = in->in_cap * 2;
				if (cap > INGEST_LINE_MAX + 1)
					cap = INGEST_LINE_MAX + 1;
				if ((nbuf = realloc(in->in_buf, cap)) == NULL) {
					fprintf(stderr, "asyncreq: ingest: "
					    "out of memory\n");
					goto fail;
				}
				in->in_buf = nbuf;
				in->in_cap = cap;
			}
		}
		n = gzread(gz, in->in_buf + len,
		    (unsigned int)(in->in_cap - len));
		if (n < 0) {
			zmsg = ingest_gzerror(gz, &zerr);
			if (zerr == Z_ERRNO)
				zmsg = strerror(errno);
			fprintf(stderr, "asyncreq: ingest: %s: %s\n",
			    in->in_file, zmsg);
			goto fail;
		}
		if (n == 0) {
			/* A truncated gzip stream ends without an error. */
			zmsg = ingest_gzerror(gz, &zerr);
			if (zerr != Z_OK) {
				fprintf(stderr, "asyncreq: ingest: %s: %s\n",
				    in->in_file, zmsg);
				goto fail;
			}
			eof = 1;
		}
		len += (size_t)n;
		if (in->in_progress)
			ingest_show_progress(in, (long long)gzoffset(gz), 0);
	}
	if (in->in_progress)
		ingest_show_progress(in, in->in_total >= 0 ? in->in_total :
		    (long long)gzoffset(gz), 1);
	gzclose(gz);
	return 0;
fail:
	gzclose(gz);
	return -1;
}

static int
ingest_count_cb(void *arg, const char *name, uint64_t count)
{
	(void)name;
	*(uint64_t *)arg = count;
	return 1;
}

/*
 * Returns the number of events of index now, or 0 when it cannot be read:
 * after a storage error this tells how much of the load was committed.
 */
static uint64_t
ingest_count(struct evstore *es, const char *index)
{
	uint64_t count = 0;

	evstore_match(es, index, ingest_count_cb, &count);
	return count;
}

/*
 * The "ingest" subcommand. Returns 0 when every line loaded, 1 when some
 * lines were rejected or on an I/O or storage error, 2 on a usage error.
 */
int
cli_ingest(const struct config *cfg, int argc, char **argv)
{
	struct ingest in;
	struct evstore *es = NULL;
	const char *index, *field = cfg->dt_field_name, *fmtname = "ndjson";
	char dir[PATH_MAX], err[512];
	uint64_t before = 0;
	int i, io_failed = 0, rc = 1;

	memset(&in, 0, sizeof(in));
	/* "ingest --follow ..." is "follow ...": the option moves out. */
	for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (strcmp(argv[i], "--follow") == 0) {
			memmove(argv + i, argv + i + 1,
			    (size_t)(argc - i) * sizeof(*argv));
			return cli_follow(cfg, argc - 1, argv);
		}
	for (i = 1; i < argc && argv[i][0] == '-' && argv[i][1] != '\0'; i++) {
		if (strcmp(argv[i], "--") == 0) {
			i++;
			break;
		}
		if (strcmp(argv[i], "--time-field") == 0 && i + 1 < argc)
			field = argv[++i];
		else if (strncmp(argv[i], "--time-field=", 13) == 0)
			field = argv[i] + 13;
		else if (strcmp(argv[i], "--format") == 0 && i + 1 < argc)
			fmtname = argv[++i];
		else if (strncmp(argv[i], "--format=", 9) == 0)
			fmtname = argv[i] + 9;
		else if (strcmp(argv[i], "-h") == 0 ||
		    strcmp(argv[i], "--help") == 0) {
			ingest_usage(stdout);
			return 0;
		} else {
			fprintf(stderr, "asyncreq: ingest: unknown option %s\n",
			    argv[i]);
			ingest_usage(stderr);
			return 2;
		}
	}
	if (argc - i < 2) {
		ingest_usage(stderr);
		return 2;
	}
	if (fmt_from_name(fmtname, &in.in_fmt) == -1) {
		fprintf(stderr, "asyncreq: ingest: unknown format '%s' (one of "
		    "%s)\n", fmtname, fmt_names());
		return 2;
	}
	in.in_fmt_name = fmtname;
	index = argv[i++];
	if (!evstore_index_name_ok(index)) {
		fprintf(stderr, "asyncreq: ingest: invalid index name '%s' "
		    "(letters, digits, '.', '_', '-', not starting with a "
		    "punctuation mark, at most 200 bytes)\n", index);
		return 2;
	}
	if (field == NULL || field[0] == '\0') {
		fprintf(stderr, "asyncreq: ingest: empty time field name\n");
		return 2;
	}
	if ((size_t)snprintf(dir, sizeof(dir), "%s/events",
	    cfg->storage_path) >= sizeof(dir)) {
		fprintf(stderr, "asyncreq: ingest: storage path too long\n");
		return 1;
	}
	if (evstore_open(&es, dir, cfg->storage_events_map_size, err,
	    sizeof(err)) == -1) {
		fprintf(stderr, "asyncreq: ingest: %s\n", err);
		return 1;
	}
	evstore_set_block_bytes(es, (size_t)cfg->storage_block_bytes);
	before = ingest_count(es, index);
	if (evstore_ingest_begin(es, index, field, &in.in_ei, err,
	    sizeof(err)) == -1) {
		fprintf(stderr, "asyncreq: ingest: %s\n", err);
		goto fail;
	}
	in.in_field = field;
	in.in_progress = isatty(STDERR_FILENO);
	in.in_cap = INGEST_BUF_START;
	if ((in.in_buf = malloc(in.in_cap)) == NULL) {
		fprintf(stderr, "asyncreq: ingest: out of memory\n");
		goto fail;
	}
	for (; i < argc && !in.in_failed; i++)
		if (ingest_file(&in, argv[i]) == -1)
			io_failed = 1;
	if (in.in_failed)
		evstore_ingest_end(in.in_ei, NULL, 0);
	else if (evstore_ingest_end(in.in_ei, err, sizeof(err)) == -1) {
		fprintf(stderr, "asyncreq: ingest: %s\n", err);
		in.in_failed = 1;
	}
	in.in_ei = NULL;
	if (in.in_failed) {
		/* The lost batch is not in the store: report what is. */
		uint64_t now = ingest_count(es, index);

		in.in_loaded = now > before ? now - before : 0;
	}
	if (in.in_rejected > INGEST_SHOW_REJECTS)
		fprintf(stderr, "asyncreq: ingest: %llu more rejected lines "
		    "not shown\n", in.in_rejected - INGEST_SHOW_REJECTS);
	if (in.in_unparsed > INGEST_SHOW_REJECTS)
		fprintf(stderr, "asyncreq: ingest: %llu more unparsed lines "
		    "not shown\n", in.in_unparsed - INGEST_SHOW_REJECTS);
	if (in.in_fmt != FMT_NDJSON)
		printf("ingested %llu events into %s (%llu lines did not parse "
		    "as %s, kept with _parse_error; %llu lines rejected)\n",
		    in.in_loaded, index, in.in_unparsed, fmtname,
		    in.in_rejected);
	else
		printf("ingested %llu events into %s (%llu lines rejected)\n",
		    in.in_loaded, index, in.in_rejected);
	if (fflush(stdout) == EOF)
		goto fail;
	rc = in.in_failed || io_failed || in.in_rejected > 0 ? 1 : 0;
fail:
	if (in.in_ei != NULL)
		evstore_ingest_end(in.in_ei, NULL, 0);
	free(in.in_buf);
	evstore_close(es);
	return rc;
}
