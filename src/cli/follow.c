/* follow.c - "asyncreq follow": tail log files into an index, through
 * rotation, with each file's offset committed with its events. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <zlib.h>

#include "cli/cli.h"
#include "common/config.h"
#include "common/timeutil.h"
#include "ingest/doc.h"
#include "ingest/fmt.h"
#include "store/events.h"

#define FOLLOW_CHUNK		(1u << 20)	/* bytes read per batch, at most */
#define FOLLOW_BATCH_LINES	2000		/* lines per commit, at most */
#define FOLLOW_HEAD		1024		/* bytes hashed to know a file */
#define FOLLOW_SHOW		20		/* unparsed lines named */
/*
 * A file renamed away is still read until it has not grown for this long:
 * a writer keeps writing to it until it reopens its log (nginx on USR1,
 * Apache on a graceful restart, after logrotate's postrotate script).
 */
#define FOLLOW_ROTATE_GRACE_MS	1000
/* Rotated copies (gzip or not) whose head is compared, newest first. */
#define FOLLOW_COPY_TRY		32

/* One followed path and the file open under it. */
struct fwfile {
	const char	*ff_path;
	char		 ff_state[PATH_MAX + 300];	/* state name */
	int		 ff_fd;		/* -1: not open */
	dev_t		 ff_dev;
	ino_t		 ff_ino;
	long long	 ff_off;	/* bytes committed */
	size_t		 ff_nhead;	/* bytes of the head hashed */
	unsigned long long ff_hash;	/* FNV-1a of them */
	int64_t		 ff_rot_since;	/* renamed away: quiet since (mono ms) */
	long long	 ff_rot_off;	/* ff_off then */
	int		 ff_gz;		/* a copy read as a stream: no pread */
};

struct follow {
	struct evstore		*fw_es;
	const char		*fw_index;
	const char		*fw_field;
	const char		*fw_fmtname;
	enum fmt_kind		 fw_fmt;
	char			*fw_buf;	/* FOLLOW_CHUNK bytes */
	unsigned long long	 fw_events;
	unsigned long long	 fw_unparsed;
	int			 fw_once;	/* --once: no waiting */
};

static volatile sig_atomic_t follow_stop;

static void
follow_on_signal(int sig)
{
	(void)sig;
	follow_stop = 1;
}

static void
follow_usage(FILE *fp)
{
	fprintf(fp, "usage: asyncreq [-c CONF] follow [--format F] "
	    "[--time-field F] [--once] [--interval MS] INDEX FILE...\n"
	    "       formats: %s (default ndjson)\n", fmt_names());
}

/* Returns FNV-1a 64 of p[0..n). */
static unsigned long long
follow_fnv(const char *p, size_t n)
{
	unsigned long long h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)p[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

/*
 * Hashes the first n bytes of fd into *hash. Returns 0, or -1 when the
 * file has fewer bytes (it was truncated) or cannot be read.
 */
static int
follow_head(int fd, size_t n, unsigned long long *hash)
{
	char buf[FOLLOW_HEAD];
	ssize_t r;

	if (n > sizeof(buf))
		n = sizeof(buf);
	if ((r = pread(fd, buf, n, 0)) < 0 || (size_t)r != n)
		return -1;
	*hash = follow_fnv(buf, n);
	return 0;
}

/*
 * Commits lines buf[0..len) (each ending in '\n', the last one maybe not
 * when final) of ff as events, with ff's new offset in the same
 * transaction. Returns 0, or -1 on a storage error (reported).
 */
static int
follow_commit(struct follow *fw, struct fwfile *ff, const char *buf,
    size_t len)
{
	struct evstore_batch *eb = NULL;
	char err[512], field[256], state[128], *conv, *out;
	const char *p = buf, *end = buf + len, *nl, *etype;
	size_t n, outlen, convlen, hn;
	unsigned long long hash = ff->ff_hash, events = 0, unparsed = 0;
	long long off = ff->ff_off + (long long)len;
	int64_t ms, now = time_now_ms();
	uint64_t seq;
	int rc;

	if (evstore_batch_begin(fw->fw_es, &eb, err, sizeof(err)) == -1)
		goto fail;
	if ((rc = evstore_batch_index(eb, fw->fw_index, fw->fw_field, field,
	    sizeof(field), err, sizeof(err))) != 0)
		goto fail;
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		n = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
		if (n > 0 && p[n - 1] == '\r')
			n--;
		conv = out = NULL;
		if (n == 0)
			goto next;
		if (fw->fw_fmt != FMT_NDJSON) {
			if ((rc = fmt_line(fw->fw_fmt, p, n, field, now, &conv,
			    &convlen)) == -1) {
				snprintf(err, sizeof(err), "out of memory");
				goto fail;
			}
		} else {
			conv = NULL;
			convlen = 0;
			rc = 1;
		}
		if (ingest_doc_prepare(conv != NULL ? conv : p,
		    conv != NULL ? convlen : n, field, now, &ms, &out, &outlen,
		    &etype, err, sizeof(err)) == -1) {
			/* Not a JSON object: kept as its message. */
			free(conv);
			if (fmt_line(FMT_NDJSON, p, n, field, now, &conv,
			    &convlen) == -1 || ingest_doc_prepare(conv, convlen,
			    field, now, &ms, &out, &outlen, &etype, err,
			    sizeof(err)) == -1) {
				free(conv);
				snprintf(err, sizeof(err), "out of memory");
				goto fail;
			}
			rc = 0;
		}
		if (rc == 0 && fw->fw_unparsed + ++unparsed <= FOLLOW_SHOW)
			fprintf(stderr, "asyncreq: follow: %s: a line does not "
			    "parse as %s: kept with _parse_error\n",
			    ff->ff_path, fw->fw_fmtname);
		if (evstore_batch_add(eb, fw->fw_index, ms,
		    out != NULL ? out : conv != NULL ? conv : p,
		    out != NULL ? outlen : conv != NULL ? convlen : n, &seq,
		    err, sizeof(err)) == -1) {
			free(out);
			free(conv);
			goto fail;
		}
		events++;
		free(out);
		free(conv);
next:
		p = nl != NULL ? nl + 1 : end;
	}
	/* Hash more of the head while it is short. */
	hn = off < FOLLOW_HEAD ? (size_t)off : FOLLOW_HEAD;
	if (hn != ff->ff_nhead && (ff->ff_gz ||
	    follow_head(ff->ff_fd, hn, &hash) == -1))
		hn = ff->ff_nhead;
	snprintf(state, sizeof(state), "%llu %llu %lld %zu %016llx",
	    (unsigned long long)ff->ff_dev, (unsigned long long)ff->ff_ino,
	    off, hn, hash);
	if (evstore_batch_state_put(eb, ff->ff_state, state, strlen(state),
	    err, sizeof(err)) == -1)
		goto fail;
	if (evstore_batch_commit(eb, err, sizeof(err)) == -1) {
		eb = NULL;
		goto fail;
	}
	ff->ff_off = off;
	ff->ff_nhead = hn;
	ff->ff_hash = hash;
	fw->fw_events += events;
	fw->fw_unparsed += unparsed;
	return 0;
fail:
	evstore_batch_abort(eb);
	fprintf(stderr, "asyncreq: follow: %s: %s\n", ff->ff_path, err);
	return -1;
}

/*
 * Reads what ff's open file has past its offset and commits it in
 * batches of whole lines; final also takes a last line without '\n' (the
 * file was rotated away: nobody writes to it any more). Returns 0, or -1
 * on a read or storage error (reported).
 */
static int
follow_drain(struct follow *fw, struct fwfile *ff, int final)
{
	ssize_t r;
	size_t use, lines;
	char *p;

	while (!follow_stop) {
		r = pread(ff->ff_fd, fw->fw_buf, FOLLOW_CHUNK, ff->ff_off);
		if (r < 0) {
			fprintf(stderr, "asyncreq: follow: %s: %s\n",
			    ff->ff_path, strerror(errno));
			return -1;
		}
		if (r == 0)
			return 0;
		/* Whole lines only, and at most FOLLOW_BATCH_LINES. */
		use = 0;
		lines = 0;
		for (p = fw->fw_buf; p < fw->fw_buf + r &&
		    lines < FOLLOW_BATCH_LINES; lines++) {
			char *nl = memchr(p, '\n',
			    (size_t)(fw->fw_buf + r - p));

			if (nl == NULL)
				break;
			p = nl + 1;
			use = (size_t)(p - fw->fw_buf);
		}
		if (use == 0) {
			if ((size_t)r == FOLLOW_CHUNK || final)
				use = (size_t)r;	/* an overlong line */
			else
				return 0;	/* wait for its end */
		}
		if (follow_commit(fw, ff, fw->fw_buf, use) == -1)
			return -1;
	}
	return 0;
}

/* Reads the committed state of ff. Returns 1 with the fields, 0, or -1. */
static int
follow_state(struct follow *fw, struct fwfile *ff,
    unsigned long long *dev, unsigned long long *ino, long long *off,
    size_t *nhead, unsigned long long *hash)
{
	char buf[128], err[512];
	size_t len;
	int rc;

	rc = evstore_state_get(fw->fw_es, ff->ff_state, buf, sizeof(buf) - 1,
	    &len, err, sizeof(err));
	if (rc == -1) {
		fprintf(stderr, "asyncreq: follow: %s\n", err);
		return -1;
	}
	if (rc == 0)
		return 0;
	buf[len] = '\0';
	if (sscanf(buf, "%llu %llu %lld %zu %llx", dev, ino, off, nhead,
	    hash) != 5)
		return 0;
	return 1;
}

/*
 * Opens path as ff's file at offset off when its head still hashes to
 * hash (else from 0: a new file under an old inode). Returns 0, 1 when
 * the path does not exist, or -1.
 */
static int
follow_open_at(struct fwfile *ff, const char *path, long long off,
    size_t nhead, unsigned long long hash)
{
	struct stat st;
	unsigned long long h;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		if (errno == ENOENT)
			return 1;
		fprintf(stderr, "asyncreq: follow: %s: %s\n", path,
		    strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1) {
		close(fd);
		return -1;
	}
	ff->ff_fd = fd;
	ff->ff_dev = st.st_dev;
	ff->ff_ino = st.st_ino;
	if (off > st.st_size || (nhead > 0 &&
	    (follow_head(fd, nhead, &h) == -1 || h != hash))) {
		off = 0;	/* truncated, or another file */
		nhead = 0;
		hash = follow_fnv(NULL, 0);
	}
	ff->ff_off = off;
	ff->ff_nhead = nhead;
	ff->ff_hash = hash;
	return 0;
}

/*
 * Commits the lines of the stream gz (a copy of ff's file, gunzipped when
 * it is gzip) past ff's offset (offsets count its uncompressed bytes), the
 * last one without '\n' too. Returns 1 when done,
 * 0 when the stream ends before the offset (it is not ff's file: nothing
 * is committed), or -1 on a read or storage error (reported).
 */
static int
follow_drain_copy(struct follow *fw, struct fwfile *ff, gzFile gz,
    const char *name)
{
	long long skip = ff->ff_off;
	size_t have = 0, use, lines;
	const char *zmsg;
	int r, zerr;
	char *p;

	while (skip > 0) {
		r = gzread(gz, fw->fw_buf, skip < FOLLOW_CHUNK ?
		    (unsigned)skip : FOLLOW_CHUNK);
		if (r <= 0)
			return 0;
		skip -= r;
	}
	while (!follow_stop) {
		r = gzread(gz, fw->fw_buf + have, (unsigned)(FOLLOW_CHUNK -
		    have));
		if (r < 0) {
			zmsg = gzerror(gz, &zerr);
			fprintf(stderr, "asyncreq: follow: %s: %s\n", name,
			    zmsg);
			return -1;
		}
		have += (size_t)r;
		if (have == 0)
			break;
		use = 0;
		lines = 0;
		for (p = fw->fw_buf; p < fw->fw_buf + have &&
		    lines < FOLLOW_BATCH_LINES; lines++) {
			char *nl = memchr(p, '\n',
			    (size_t)(fw->fw_buf + have - p));

			if (nl == NULL)
				break;
			p = nl + 1;
			use = (size_t)(p - fw->fw_buf);
		}
		if (use == 0) {
			if (have < FOLLOW_CHUNK && r > 0)
				continue;	/* read on to the line's end */
			use = have;	/* an overlong or last line */
		}
		if (follow_commit(fw, ff, fw->fw_buf, use) == -1)
			return -1;
		memmove(fw->fw_buf, fw->fw_buf + use, have - use);
		have -= use;
	}
	return 1;
}

/*
 * Opens path when it is the inode dev/ino whose first nhead bytes hash to
 * hash and which holds off bytes: the file the state names. Returns the
 * descriptor, or -1 when it is not (or cannot be read).
 */
static int
follow_same_open(const char *path, unsigned long long dev,
    unsigned long long ino, long long off, size_t nhead,
    unsigned long long hash)
{
	unsigned long long h;
	struct stat st;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    (unsigned long long)st.st_dev != dev ||
	    (unsigned long long)st.st_ino != ino || st.st_size < off ||
	    (nhead > 0 && (follow_head(fd, nhead, &h) == -1 || h != hash))) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * Opens path as a stream of its content, gunzipped when it is gzip (zlib
 * passes other data through), when that content starts with nhead bytes
 * hashing to hash: a copy of the file the state names. Returns the
 * stream positioned at the start, or NULL.
 */
static gzFile
follow_copy_open(const char *path, size_t nhead, unsigned long long hash)
{
	char head[FOLLOW_HEAD];
	gzFile z;
	int fd;

	if (nhead == 0 || (fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return NULL;
	if ((z = gzdopen(fd, "rb")) == NULL) {
		close(fd);
		return NULL;
	}
	if (gzread(z, head, (unsigned)nhead) == (int)nhead &&
	    follow_fnv(head, nhead) == hash && gzrewind(z) == 0)
		return z;
	gzclose(z);
	return NULL;
}

struct follow_cand {
	char	fc_name[NAME_MAX + 1];
	time_t	fc_mtime;
};

/* Newest first. */
static int
follow_cand_cmp(const void *a, const void *b)
{
	const struct follow_cand *x = a, *y = b;

	return x->fc_mtime < y->fc_mtime ? 1 : x->fc_mtime > y->fc_mtime ?
	    -1 : strcmp(x->fc_name, y->fc_name);
}

/*
 * The file ff's state names (dev, ino, off, nhead, hash) is no longer at
 * ff's path: it was rotated while nobody followed, or copied and
 * truncated. Looks for it beside the path under the names logrotate gives
 * (the path's name followed by '.', '-' or '_': NAME.1, NAME-20261203,
 * NAME.1.gz, ...): first the same inode with the same head; else, newest
 * first, a copy (gzip-compressed or not) whose content starts with the
 * same head and holds at least the offset's bytes. Commits what it holds past the
 * offset, and says so on stderr. Leaves ff's descriptor closed (-1) and
 * its dev, ino, head and hash those of the state. Returns 0 (read, or
 * nothing found: nothing to read), or -1 on a read or storage error
 * (reported).
 */
static int
follow_rotated(struct follow *fw, struct fwfile *ff, unsigned long long dev,
    unsigned long long ino, long long off, size_t nhead,
    unsigned long long hash)
{
	struct follow_cand *cand = NULL;
	size_t nc = 0, blen;
	char dir[PATH_MAX], path[PATH_MAX + NAME_MAX + 2];
	const char *base, *slash;
	struct dirent *de;
	struct stat st;
	gzFile gz;
	DIR *d;
	int fd = -1, rc = 0;

	slash = strrchr(ff->ff_path, '/');
	base = slash != NULL ? slash + 1 : ff->ff_path;
	if (slash == NULL)
		strcpy(dir, ".");
	else if (slash == ff->ff_path)
		strcpy(dir, "/");
	else if ((size_t)snprintf(dir, sizeof(dir), "%.*s",
	    (int)(slash - ff->ff_path), ff->ff_path) >= sizeof(dir))
		return 0;
	blen = strlen(base);
	ff->ff_dev = (dev_t)dev;
	ff->ff_ino = (ino_t)ino;
	ff->ff_nhead = nhead;
	ff->ff_hash = hash;
	ff->ff_off = off;
	if ((d = opendir(dir)) == NULL)
		return 0;
	if ((cand = calloc(FOLLOW_COPY_TRY * 4, sizeof(*cand))) == NULL) {
		closedir(d);
		fprintf(stderr, "asyncreq: follow: out of memory\n");
		return -1;
	}
	while (fd == -1 && (de = readdir(d)) != NULL) {
		if (strlen(de->d_name) <= blen + 1 ||
		    strncmp(de->d_name, base, blen) != 0 ||
		    strchr(".-_", de->d_name[blen]) == NULL)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (stat(path, &st) == -1 || !S_ISREG(st.st_mode))
			continue;
		if ((unsigned long long)st.st_ino == ino &&
		    (unsigned long long)st.st_dev == dev &&
		    (fd = follow_same_open(path, dev, ino, off, nhead,
		    hash)) != -1)
			break;
		/* Kept bounded: the newest are the likely ones. */
		if (nc == FOLLOW_COPY_TRY * 4) {
			qsort(cand, nc, sizeof(*cand), follow_cand_cmp);
			nc = FOLLOW_COPY_TRY;
		}
		snprintf(cand[nc].fc_name, sizeof(cand[nc].fc_name), "%s",
		    de->d_name);
		cand[nc++].fc_mtime = st.st_mtime;
	}
	closedir(d);
	if (fd != -1) {
		ff->ff_fd = fd;
		if ((rc = follow_drain(fw, ff, 1)) == 0)
			fprintf(stderr, "asyncreq: follow: %s: rotated: read "
			    "the rest of %s\n", ff->ff_path,
			    path);
		close(fd);
		goto done;
	}
	qsort(cand, nc, sizeof(*cand), follow_cand_cmp);
	for (size_t i = 0; i < nc && i < FOLLOW_COPY_TRY; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, cand[i].fc_name);
		if ((gz = follow_copy_open(path, nhead, hash)) == NULL)
			continue;
		ff->ff_gz = 1;
		ff->ff_off = off;
		rc = follow_drain_copy(fw, ff, gz, path);
		gzclose(gz);
		ff->ff_gz = 0;
		if (rc == 1)
			fprintf(stderr, "asyncreq: follow: %s: rotated: read "
			    "the rest of %s\n", ff->ff_path,
			    path);
		if (rc != 0) {
			rc = rc == 1 ? 0 : -1;
			goto done;
		}
		/* No longer than the offset: not it. */
	}
	rc = 0;
done:
	ff->ff_fd = -1;
	free(cand);
	return rc;
}

/*
 * Starts following ff: resumes at the committed offset when the file is
 * the one the state names; when that file was rotated while nobody
 * followed (renamed, maybe compressed), reads its rest first
 * (follow_rotated). Returns 0 or -1.
 */
static int
follow_start(struct follow *fw, struct fwfile *ff)
{
	unsigned long long dev, ino, hash;
	long long off;
	size_t nhead;
	int fd, rc;

	ff->ff_fd = -1;
	if ((rc = follow_state(fw, ff, &dev, &ino, &off, &nhead, &hash)) == -1)
		return -1;
	if (rc == 1 && (fd = follow_same_open(ff->ff_path, dev, ino, off,
	    nhead, hash)) != -1) {
		close(fd);
		rc = follow_open_at(ff, ff->ff_path, off, nhead, hash);
	} else {
		/* Another file, or an old inode reused by a new one. */
		if (rc == 1 && follow_rotated(fw, ff, dev, ino, off, nhead,
		    hash) == -1)
			return -1;
		rc = follow_open_at(ff, ff->ff_path, 0, 0, 0);
	}
	return rc == -1 ? -1 : 0;
}

/*
 * One look at ff: reads what is new, then notices rotation (the path now
 * names another file, or none: the old one is read to its end first) and
 * copytruncate (the file is shorter than the offset, or its head changed:
 * read again from 0). Returns 0 or -1.
 */
static int
follow_poll(struct follow *fw, struct fwfile *ff)
{
	struct stat st, fst;
	unsigned long long h;

	if (ff->ff_fd == -1) {
		if (follow_open_at(ff, ff->ff_path, 0, 0, 0) == -1)
			return -1;
		if (ff->ff_fd == -1)
			return 0;	/* not there yet */
	}
	if (fstat(ff->ff_fd, &fst) == 0 && (fst.st_size < ff->ff_off ||
	    (ff->ff_nhead > 0 && (follow_head(ff->ff_fd, ff->ff_nhead,
	    &h) == -1 || h != ff->ff_hash)))) {
		int fd = ff->ff_fd;
		dev_t dev = ff->ff_dev;
		ino_t ino = ff->ff_ino;

		/* copytruncate: the copy holds what came after our offset. */
		if (follow_rotated(fw, ff, (unsigned long long)dev,
		    (unsigned long long)ino, ff->ff_off, ff->ff_nhead,
		    ff->ff_hash) == -1) {
			ff->ff_fd = fd;
			return -1;
		}
		ff->ff_fd = fd;
		ff->ff_dev = dev;
		ff->ff_ino = ino;
		fprintf(stderr, "asyncreq: follow: %s: truncated, reading "
		    "from its start\n", ff->ff_path);
		ff->ff_off = 0;
		ff->ff_nhead = 0;
		ff->ff_hash = follow_fnv(NULL, 0);
	}
	if (follow_drain(fw, ff, 0) == -1)
		return -1;
	if (stat(ff->ff_path, &st) == -1 || st.st_ino != ff->ff_ino ||
	    st.st_dev != ff->ff_dev) {
		int64_t now = time_mono_ms();

		/* Rotated: read the old file until it has been quiet. */
		if (!fw->fw_once) {
			if (ff->ff_rot_since == 0 ||
			    ff->ff_rot_off != ff->ff_off) {
				ff->ff_rot_since = now;
				ff->ff_rot_off = ff->ff_off;
				return 0;
			}
			if (now - ff->ff_rot_since < FOLLOW_ROTATE_GRACE_MS)
				return 0;
		}
		ff->ff_rot_since = 0;
		if (follow_drain(fw, ff, 1) == -1)
			return -1;
		if (follow_stop)
			return 0;
		close(ff->ff_fd);
		ff->ff_fd = -1;
		if (follow_open_at(ff, ff->ff_path, 0, 0, 0) == -1)
			return -1;
		if (ff->ff_fd != -1)
			return follow_drain(fw, ff, 0);
	}
	return 0;
}

/*
 * The "follow" subcommand. Returns 0 when stopped by SIGTERM / SIGINT (or
 * after one pass with --once), 1 on a storage or read error, 2 on a usage
 * error.
 */
int
cli_follow(const struct config *cfg, int argc, char **argv)
{
	struct follow fw;
	struct fwfile *files = NULL;
	struct sigaction sa;
	const char *fmtname = "ndjson", *why;
	char dir[PATH_MAX], err[512], real[PATH_MAX];
	long interval = 250;
	int i, k, nfiles, once = 0, rc = 1;

	memset(&fw, 0, sizeof(fw));
	fw.fw_field = cfg->dt_field_name;
	for (i = 1; i < argc && argv[i][0] == '-' && argv[i][1] != '\0'; i++) {
		if (strcmp(argv[i], "--") == 0) {
			i++;
			break;
		}
		if (strcmp(argv[i], "--format") == 0 && i + 1 < argc)
			fmtname = argv[++i];
		else if (strncmp(argv[i], "--format=", 9) == 0)
			fmtname = argv[i] + 9;
		else if (strcmp(argv[i], "--time-field") == 0 && i + 1 < argc)
			fw.fw_field = argv[++i];
		else if (strcmp(argv[i], "--once") == 0)
			once = 1;
		else if (strcmp(argv[i], "--interval") == 0 && i + 1 < argc) {
			char *end;

			interval = strtol(argv[++i], &end, 10);
			if (*end != '\0' || interval < 10 || interval > 60000) {
				fprintf(stderr, "asyncreq: follow: --interval "
				    "is milliseconds, 10 to 60000\n");
				return 2;
			}
		} else if (strcmp(argv[i], "-h") == 0 ||
		    strcmp(argv[i], "--help") == 0) {
			follow_usage(stdout);
			return 0;
		} else {
			fprintf(stderr, "asyncreq: follow: unknown option %s\n",
			    argv[i]);
			follow_usage(stderr);
			return 2;
		}
	}
	if (argc - i < 2) {
		follow_usage(stderr);
		return 2;
	}
	fw.fw_once = once;
	if (fmt_from_name(fmtname, &fw.fw_fmt) == -1) {
		fprintf(stderr, "asyncreq: follow: unknown format '%s' (one of "
		    "%s)\n", fmtname, fmt_names());
		return 2;
	}
	fw.fw_fmtname = fmtname;
	fw.fw_index = argv[i++];
	if ((why = ingest_index_name_check(fw.fw_index)) != NULL) {
		fprintf(stderr, "asyncreq: follow: invalid index name '%s': "
		    "%s\n", fw.fw_index, why);
		return 2;
	}
	if (fw.fw_field == NULL || fw.fw_field[0] == '\0') {
		fprintf(stderr, "asyncreq: follow: empty time field name\n");
		return 2;
	}
	nfiles = argc - i;
	if ((files = calloc((size_t)nfiles, sizeof(*files))) == NULL ||
	    (fw.fw_buf = malloc(FOLLOW_CHUNK)) == NULL) {
		fprintf(stderr, "asyncreq: follow: out of memory\n");
		goto done;
	}
	for (k = 0; k < nfiles; k++) {
		const char *path = argv[i + k];
		char *slash, d[PATH_MAX];

		files[k].ff_path = path;
		files[k].ff_fd = -1;
		/* The state is named by the absolute path (its directory's
		 * real path: the file itself may not exist yet). */
		snprintf(d, sizeof(d), "%s", path);
		slash = strrchr(d, '/');
		if (slash != NULL)
			*slash = '\0';
		if (realpath(slash != NULL ? (d[0] != '\0' ? d : "/") : ".",
		    real) == NULL) {
			fprintf(stderr, "asyncreq: follow: %s: %s\n", path,
			    strerror(errno));
			goto done;
		}
		snprintf(files[k].ff_state, sizeof(files[k].ff_state),
		    "follow:%s:%s/%s", fw.fw_index, real,
		    slash != NULL ? slash + 1 : path);
	}
	if ((size_t)snprintf(dir, sizeof(dir), "%s/events",
	    cfg->storage_path) >= sizeof(dir)) {
		fprintf(stderr, "asyncreq: follow: storage path too long\n");
		goto done;
	}
	if (evstore_open(&fw.fw_es, dir, cfg->storage_events_map_size, err,
	    sizeof(err)) == -1) {
		fprintf(stderr, "asyncreq: follow: %s\n", err);
		goto done;
	}
	evstore_set_block_bytes(fw.fw_es, (size_t)cfg->storage_block_bytes);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = follow_on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	for (k = 0; k < nfiles; k++)
		if (follow_start(&fw, &files[k]) == -1)
			goto done;
	while (!follow_stop) {
		struct timespec ts;

		for (k = 0; k < nfiles && !follow_stop; k++)
			if (follow_poll(&fw, &files[k]) == -1)
				goto done;
		if (once)
			break;
		ts.tv_sec = interval / 1000;
		ts.tv_nsec = (interval % 1000) * 1000000L;
		nanosleep(&ts, NULL);	/* a signal ends it early */
	}
	rc = 0;
done:
	if (fw.fw_unparsed > FOLLOW_SHOW)
		fprintf(stderr, "asyncreq: follow: %llu more unparsed lines "
		    "not shown\n", fw.fw_unparsed - FOLLOW_SHOW);
	if (fw.fw_es != NULL) {
		printf("followed %llu events into %s (%llu lines did not parse "
		    "as %s, kept with _parse_error)\n", fw.fw_events,
		    fw.fw_index, fw.fw_unparsed, fmtname);
		fflush(stdout);
	}
	for (k = 0; files != NULL && k < nfiles; k++)
		if (files[k].ff_fd != -1)
			close(files[k].ff_fd);
	free(files);
	free(fw.fw_buf);
	evstore_close(fw.fw_es);
	return rc;
}
