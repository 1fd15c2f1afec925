/* lookups.c - lookup tables: CSV files under STORAGE/lookups. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/config.h"
#include "common/csvtab.h"
#include "store/lookups.h"

#define LOOKUP_PATH_MAX	4096

/* Sets *status (when not NULL) and the reason. Returns -1. */
static int
lookup_fail(int *status, int code, char *err, size_t errlen,
    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static int
lookup_fail(int *status, int code, char *err, size_t errlen,
    const char *fmt, ...)
{
	va_list ap;

	if (status != NULL)
		*status = code;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* The reason a bad name is refused, the same everywhere. */
#define LOOKUP_BAD_NAME	"invalid lookup name: " CSVTAB_NAME_RULE

/*
 * Writes the directory of user's tables (shared: the shared ones) into
 * out (LOOKUP_PATH_MAX bytes). Returns 0, or -1 when it does not fit.
 */
static int
lookup_dir(const char *storage, const char *user, int shared, char *out)
{
	size_t n;
	int w;

	if (shared)
		w = snprintf(out, LOOKUP_PATH_MAX, "%s/lookups/shared",
		    storage);
	else
		w = snprintf(out, LOOKUP_PATH_MAX, "%s/lookups/users/",
		    storage);
	if (w < 0 || w >= LOOKUP_PATH_MAX)
		return -1;
	if (shared)
		return 0;
	n = (size_t)w;
	for (size_t i = 0; user[i] != '\0'; i++) {
		unsigned char c = (unsigned char)user[i];
		int keep = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '_' || c == '@' ||
		    c == '-' || (c == '.' && i > 0);

		if (n + 4 >= LOOKUP_PATH_MAX)
			return -1;
		if (keep)
			out[n++] = (char)c;
		else
			n += (size_t)sprintf(out + n, "%%%02X", c);
	}
	if (user[0] == '\0') {
		if (n + 4 >= LOOKUP_PATH_MAX)
			return -1;
		n += (size_t)sprintf(out + n, "%%00");
	}
	out[n] = '\0';
	return 0;
}

/* Writes the path of table name in dir into out. 0, or -1 too long. */
static int
lookup_file(const char *dir, const char *name, char *out)
{
	int w = snprintf(out, LOOKUP_PATH_MAX, "%s/%s.csv", dir, name);

	return w < 0 || w >= LOOKUP_PATH_MAX ? -1 : 0;
}

/* Makes dir and its parents up to STORAGE/lookups. 0, or -1 (errno). */
static int
lookup_mkdirs(char *dir)
{
	for (char *p = dir + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(dir, 0700) == -1 && errno != EEXIST) {
			*p = '/';
			return -1;
		}
		*p = '/';
	}
	return mkdir(dir, 0700) == -1 && errno != EEXIST ? -1 : 0;
}

/* Writes all of data to fd. 0, or -1 (errno). */
static int
lookup_write_all(int fd, const char *data, size_t len)
{
	while (len > 0) {
		ssize_t w = write(fd, data, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		data += w;
		len -= (size_t)w;
	}
	return 0;
}

int
lookup_put(const char *storage, const char *user, int shared,
    const char *name, const char *data, size_t len,
    const struct lookup_limits *lim, uint64_t *rows, int *status,
    char *err, size_t errlen)
{
	char dir[LOOKUP_PATH_MAX], path[LOOKUP_PATH_MAX], tmp[LOOKUP_PATH_MAX];
	char why[256];
	struct csvtab *t;
	int fd, w;

	if (!csvtab_name_ok(name))
		return lookup_fail(status, 400, err, errlen, LOOKUP_BAD_NAME);
	if (len > lim->ll_max_bytes)
		return lookup_fail(status, 413, err, errlen, "the table is %zu "
		    "bytes, more than limits.max_lookup_bytes (%llu)", len,
		    (unsigned long long)lim->ll_max_bytes);
	if (csvtab_parse(data, len, lim->ll_max_rows, &t, why,
	    sizeof(why)) == -1) {
		if (strncmp(why, "more than ", 10) == 0)
			return lookup_fail(status, 413, err, errlen, "the table "
			    "has %s (limits.max_lookup_rows)", why);
		return lookup_fail(status, strcmp(why, "out of memory") == 0 ?
		    500 : 400, err, errlen, "invalid CSV: %s", why);
	}
	if (rows != NULL)
		*rows = t->ct_nrows;
	csvtab_free(t);
	if (lookup_dir(storage, user, shared, dir) == -1 ||
	    lookup_file(dir, name, path) == -1 ||
	    (w = snprintf(tmp, sizeof(tmp), "%s/.%s.csv.%ld.tmp", dir, name,
	    (long)getpid())) < 0 || w >= (int)sizeof(tmp))
		return lookup_fail(status, 500, err, errlen, "the storage "
		    "path is too long");
	if (lookup_mkdirs(dir) == -1)
		return lookup_fail(status, 500, err, errlen, "cannot make %s: "
		    "%s", dir, strerror(errno));
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0600)) == -1)
		return lookup_fail(status, 500, err, errlen, "cannot write %s: "
		    "%s", tmp, strerror(errno));
	if (lookup_write_all(fd, data, len) == -1 || fsync(fd) == -1) {
		int e = errno;

		close(fd);
		unlink(tmp);
		return lookup_fail(status, e == ENOSPC || e == EDQUOT ? 507 :
		    500, err, errlen, "cannot write %s: %s", tmp, strerror(e));
	}
	if (close(fd) == -1 || rename(tmp, path) == -1) {
		int e = errno;

		unlink(tmp);
		return lookup_fail(status, 500, err, errlen, "cannot store %s: "
		    "%s", path, strerror(e));
	}
	/* The rename itself is durable once the directory is. */
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) != -1) {
		(void)fsync(fd);
		close(fd);
	}
	return 0;
}

/*
 * Reads the file path into *data (NUL-terminated) and *len. Returns 0, 1
 * when it does not exist, or -1 with the reason.
 */
static int
lookup_read(const char *path, const char *name, uint64_t max_bytes,
    char **data, size_t *len, int *status, char *err, size_t errlen)
{
	struct stat st;
	size_t got = 0;
	char *d;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		if (errno == ENOENT)
			return 1;
		return lookup_fail(status, 500, err, errlen, "cannot read "
		    "lookup '%s': %s", name, strerror(errno));
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		close(fd);
		return lookup_fail(status, 500, err, errlen, "cannot read "
		    "lookup '%s': not a regular file", name);
	}
	if ((uint64_t)st.st_size > max_bytes) {
		close(fd);
		return lookup_fail(status, 413, err, errlen, "lookup '%s' is "
		    "%lld bytes, more than limits.max_lookup_bytes (%llu)",
		    name, (long long)st.st_size,
		    (unsigned long long)max_bytes);
	}
	if ((d = malloc((size_t)st.st_size + 1)) == NULL) {
		close(fd);
		return lookup_fail(status, 500, err, errlen, "out of memory");
	}
	while (got < (size_t)st.st_size) {
		ssize_t r = read(fd, d + got, (size_t)st.st_size - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	if (got != (size_t)st.st_size) {
		free(d);
		return lookup_fail(status, 500, err, errlen, "cannot read "
		    "lookup '%s': it changed while read", name);
	}
	d[got] = '\0';
	*data = d;
	*len = got;
	return 0;
}

int
lookup_get(const char *storage, const char *user, int shared,
    int shared_too, const char *name, uint64_t max_bytes, char **data,
    size_t *len, int *was_shared, int *status, char *err, size_t errlen)
{
	char dir[LOOKUP_PATH_MAX], path[LOOKUP_PATH_MAX];
	int rc = 1;

	*data = NULL;
	*len = 0;
	if (!csvtab_name_ok(name))
		return lookup_fail(status, 400, err, errlen, LOOKUP_BAD_NAME);
	/* The user's own table first, then the shared one. */
	for (int sh = shared; sh <= (shared || shared_too ? 1 : 0); sh++) {
		if (lookup_dir(storage, user, sh, dir) == -1 ||
		    lookup_file(dir, name, path) == -1)
			return lookup_fail(status, 500, err, errlen, "the "
			    "storage path is too long");
		rc = lookup_read(path, name, max_bytes, data, len, status, err,
		    errlen);
		if (rc <= 0) {
			if (was_shared != NULL)
				*was_shared = sh;
			return rc;
		}
	}
	return lookup_fail(status, 404, err, errlen, "no lookup table named "
	    "'%s'", name);
}

int
lookup_delete(const char *storage, const char *user, int shared,
    const char *name, int *status, char *err, size_t errlen)
{
	char dir[LOOKUP_PATH_MAX], path[LOOKUP_PATH_MAX];
	int fd;

	if (!csvtab_name_ok(name))
		return lookup_fail(status, 400, err, errlen, LOOKUP_BAD_NAME);
	if (lookup_dir(storage, user, shared, dir) == -1 ||
	    lookup_file(dir, name, path) == -1)
		return lookup_fail(status, 500, err, errlen, "the storage "
		    "path is too long");
	if (unlink(path) == -1) {
		if (errno == ENOENT)
			return lookup_fail(status, 404, err, errlen, "no %s"
			    "lookup table named '%s'", shared ? "shared " : "",
			    name);
		return lookup_fail(status, 500, err, errlen, "cannot delete "
		    "lookup '%s': %s", name, strerror(errno));
	}
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) != -1) {
		(void)fsync(fd);
		close(fd);
	}
	return 0;
}

static int
lookup_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * Lists the tables of one directory to fn, in name order. Returns 0, or
 * -1 (fn stopped, or out of memory with the reason).
 */
static int
lookup_list_dir(const char *dir, const char *owner, int shared,
    const struct lookup_limits *lim,
    int (*fn)(void *, const struct lookup_info *), void *arg, char *err,
    size_t errlen)
{
	char **names = NULL, path[LOOKUP_PATH_MAX];
	size_t n = 0, cap = 0;
	struct dirent *de;
	DIR *d;
	int rc = 0;

	if ((d = opendir(dir)) == NULL)
		return 0;	/* no tables yet */
	while ((de = readdir(d)) != NULL) {
		size_t l = strlen(de->d_name);
		char *nm;

		if (l < 5 || strcmp(de->d_name + l - 4, ".csv") != 0)
			continue;
		if ((nm = strndup(de->d_name, l - 4)) == NULL)
			goto nomem;
		if (!csvtab_name_ok(nm)) {
			free(nm);
			continue;
		}
		if (n == cap) {
			char **p = realloc(names, (cap ? cap * 2 : 16) *
			    sizeof(*p));

			if (p == NULL) {
				free(nm);
				goto nomem;
			}
			names = p;
			cap = cap ? cap * 2 : 16;
		}
		names[n++] = nm;
	}
	closedir(d);
	d = NULL;
	if (n > 0)
		qsort(names, n, sizeof(*names), lookup_cmp);
	for (size_t i = 0; i < n && rc == 0; i++) {
		struct lookup_info li = { names[i], owner, shared, 0, -1, 0 };
		struct csvtab *t;
		struct stat st;
		char *data, why[256];
		size_t len;

		if (lookup_file(dir, names[i], path) == -1 ||
		    stat(path, &st) == -1)
			continue;
		li.li_bytes = (uint64_t)st.st_size;
		li.li_modified = (int64_t)st.st_mtim.tv_sec * 1000 +
		    st.st_mtim.tv_nsec / 1000000;
		if (lookup_read(path, names[i], lim->ll_max_bytes, &data, &len,
		    NULL, why, sizeof(why)) == 0) {
			if (csvtab_parse(data, len, lim->ll_max_rows, &t, why,
			    sizeof(why)) == 0) {
				li.li_rows = (int64_t)t->ct_nrows;
				csvtab_free(t);
			}
			free(data);
		}
		if (fn(arg, &li) != 0)
			rc = -1;
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return rc;
nomem:
	if (d != NULL)
		closedir(d);
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	snprintf(err, errlen, "out of memory");
	return -1;
}

int
lookup_list(const char *storage, const char *user,
    const struct lookup_limits *lim,
    int (*fn)(void *arg, const struct lookup_info *), void *arg,
    char *err, size_t errlen)
{
	char dir[LOOKUP_PATH_MAX];

	*err = '\0';
	if (lookup_dir(storage, user, 0, dir) == -1) {
		snprintf(err, errlen, "the storage path is too long");
		return -1;
	}
	if (lookup_list_dir(dir, user, 0, lim, fn, arg, err, errlen) == -1)
		return -1;
	if (lookup_dir(storage, user, 1, dir) == -1) {
		snprintf(err, errlen, "the storage path is too long");
		return -1;
	}
	return lookup_list_dir(dir, "", 1, lim, fn, arg, err, errlen);
}

void
lookup_user_init(struct lookup_user *lu, const struct config *cfg,
    const char *user)
{
	lu->lu_storage = cfg->storage_path;
	lu->lu_user = user;
	lu->lu_lim.ll_max_bytes = cfg->limits_max_lookup_bytes;
	lu->lu_lim.ll_max_rows = (uint64_t)cfg->limits_max_lookup_rows;
}

int
lookup_sml_get(void *arg, const char *name, uint64_t max_bytes, char **data,
    size_t *len, char *err, size_t errlen)
{
	const struct lookup_user *lu = arg;

	return lookup_get(lu->lu_storage, lu->lu_user, 0, 1, name, max_bytes,
	    data, len, NULL, NULL, err, errlen);
}

int
lookup_sml_put(void *arg, const char *name, const char *data, size_t len,
    char *err, size_t errlen)
{
	const struct lookup_user *lu = arg;

	return lookup_put(lu->lu_storage, lu->lu_user, 0, name, data, len,
	    &lu->lu_lim, NULL, NULL, err, errlen);
}
