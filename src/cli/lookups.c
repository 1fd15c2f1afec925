/* lookups.c - asyncreq lookups: list, put, get and delete lookup tables. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "common/buf.h"
#include "common/config.h"
#include "common/timeutil.h"
#include "store/lookups.h"

#define LOOKUPS_USAGE \
	"usage: asyncreq lookups list [--user U]\n" \
	"       asyncreq lookups put NAME FILE [--user U] [--shared]\n" \
	"       asyncreq lookups get NAME [--user U] [--shared]\n" \
	"       asyncreq lookups delete NAME [--user U] [--shared]\n"

/* lookup_list's callback: one line per table. */
static int
lookups_print(void *arg, const struct lookup_info *li)
{
	char when[32], rows[24];

	(void)arg;
	if (li->li_rows < 0)
		strcpy(rows, "invalid");
	else
		snprintf(rows, sizeof(rows), "%lld", (long long)li->li_rows);
	printf("%-32s %-16s %-6s %12llu %10s %s\n", li->li_name,
	    li->li_shared ? "-" : li->li_owner, li->li_shared ? "yes" : "no",
	    (unsigned long long)li->li_bytes, rows,
	    time_format_iso(li->li_modified, when));
	return 0;
}

/*
 * Reads all of path ("-": standard input) into b, at most max bytes (one
 * more is read, so that lookup_put reports the size). Returns 0, or -1
 * with the reason printed.
 */
static int
lookups_read(const char *path, uint64_t max, struct buf *b)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	char chunk[65536];
	size_t n;

	if (f == NULL) {
		fprintf(stderr, "asyncreq: %s: %s\n", path, strerror(errno));
		return -1;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (buf_append(b, chunk, n) == -1) {
			fprintf(stderr, "asyncreq: out of memory\n");
			break;
		}
		if (b->b_len > max)
			break;
	}
	if (ferror(f) || (n > 0 && b->b_len <= max)) {
		if (ferror(f))
			fprintf(stderr, "asyncreq: %s: read error\n", path);
		if (f != stdin)
			fclose(f);
		return -1;
	}
	if (f != stdin)
		fclose(f);
	return 0;
}

/*
 * asyncreq lookups list|put|get|delete: the lookup tables of a user
 * (--user, default "anonymous", the API's user without REMOTE_USER) or
 * the shared ones (--shared). Returns 0, 1 on failure, 2 on a usage error.
 */
int
cli_lookups(const struct config *cfg, int argc, char **argv)
{
	const char *user = "anonymous", *args[3];
	struct lookup_limits lim = { cfg->limits_max_lookup_bytes,
	    (uint64_t)cfg->limits_max_lookup_rows };
	struct buf b = BUF_INIT;
	char err[512], *data;
	size_t nargs = 0, len;
	uint64_t rows;
	int shared = 0, rc;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--user") == 0 && i + 1 < argc)
			user = argv[++i];
		else if (strcmp(argv[i], "--shared") == 0)
			shared = 1;
		else if (argv[i][0] != '-' || strcmp(argv[i], "-") == 0) {
			if (nargs == 3)
				goto usage;
			args[nargs++] = argv[i];
		} else
			goto usage;
	}
	if (nargs == 1 && strcmp(args[0], "list") == 0 && !shared) {
		if (printf("%-32s %-16s %-6s %12s %10s %s\n", "name", "owner",
		    "shared", "bytes", "rows", "modified") < 0 ||
		    lookup_list(cfg->storage_path, user, &lim, lookups_print,
		    NULL, err, sizeof(err)) == -1) {
			fprintf(stderr, "asyncreq: %s\n", err);
			return 1;
		}
		return fflush(stdout) == EOF ? 1 : 0;
	}
	if (nargs == 3 && strcmp(args[0], "put") == 0) {
		if (lookups_read(args[2], lim.ll_max_bytes, &b) == -1) {
			buf_free(&b);
			return 1;
		}
		rc = lookup_put(cfg->storage_path, user, shared, args[1],
		    b.b_data ? b.b_data : "", b.b_len, &lim, &rows, NULL, err,
		    sizeof(err));
		buf_free(&b);
		if (rc == -1) {
			fprintf(stderr, "asyncreq: %s\n", err);
			return 1;
		}
		printf("stored %slookup %s: %llu rows\n", shared ? "shared " :
		    "", args[1], (unsigned long long)rows);
		return 0;
	}
	if (nargs == 2 && strcmp(args[0], "get") == 0) {
		if (lookup_get(cfg->storage_path, user, shared, 1, args[1],
		    lim.ll_max_bytes, &data, &len, NULL, NULL, err,
		    sizeof(err)) == -1) {
			fprintf(stderr, "asyncreq: %s\n", err);
			return 1;
		}
		rc = fwrite(data, 1, len, stdout) != len || fflush(stdout) ==
		    EOF;
		free(data);
		return rc;
	}
	if (nargs == 2 && strcmp(args[0], "delete") == 0) {
		if (lookup_delete(cfg->storage_path, user, shared, args[1],
		    NULL, err, sizeof(err)) == -1) {
			fprintf(stderr, "asyncreq: %s\n", err);
			return 1;
		}
		printf("deleted %slookup %s\n", shared ? "shared " : "",
		    args[1]);
		return 0;
	}
usage:
	fprintf(stderr, LOOKUPS_USAGE);
	return 2;
}
