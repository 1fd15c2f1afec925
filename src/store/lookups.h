/* lookups.h - lookup tables: CSV files under STORAGE/lookups. */
#ifndef AR_LOOKUPS_H
#define AR_LOOKUPS_H

#include <stddef.h>
#include <stdint.h>

/*
 * A table is the file STORAGE/lookups/users/USER/NAME.csv (the user's
 * own) or STORAGE/lookups/shared/NAME.csv (shared, written by admins).
 * USER is the user name with every byte outside [A-Za-z0-9_@-] (and a
 * leading '.') written as %XX, so any REMOTE_USER is one safe directory
 * name. A write is a temporary file in the same directory, fsync'd, then
 * renamed over the table and the directory fsync'd: a reader sees the
 * old table or the new one, never a part. docs/DESIGN.md, "Lookups".
 *
 * Every function returns 0, or -1 with the reason in err (errlen bytes)
 * and in *status the HTTP status it means when status is not NULL: 400
 * (a bad name, invalid CSV), 404 (no such table), 413 (over the bounds),
 * 500 (the file system).
 */

/* The bounds of a table (limits.max_lookup_bytes, limits.max_lookup_rows). */
struct lookup_limits {
	uint64_t ll_max_bytes;
	uint64_t ll_max_rows;
};

/* Names are checked with csvtab_name_ok (common/csvtab.h). */

/*
 * Checks data (len bytes) as a table under lim and stores it as name of
 * user (shared: a shared table; user is then unused), replacing one of
 * that name. *rows (when not NULL) gets its row count.
 */
int lookup_put(const char *storage, const char *user, int shared,
    const char *name, const char *data, size_t len,
    const struct lookup_limits *lim, uint64_t *rows, int *status,
    char *err, size_t errlen);

/*
 * Reads table name: the user's own, else (when shared_too) the shared one
 * (shared: the shared one only). Returns its bytes in *data (malloc'd,
 * NUL-terminated; the caller frees) and *len, and in *was_shared which of
 * the two it is. A file over max_bytes is refused (413), unread.
 */
int lookup_get(const char *storage, const char *user, int shared,
    int shared_too, const char *name, uint64_t max_bytes, char **data,
    size_t *len, int *was_shared, int *status, char *err, size_t errlen);

/* Deletes table name of user (shared: the shared one). */
int lookup_delete(const char *storage, const char *user, int shared,
    const char *name, int *status, char *err, size_t errlen);

/* One table as lookup_list reports it (strings borrowed for the call). */
struct lookup_info {
	const char *li_name;
	const char *li_owner;	/* the user, or "" for a shared table */
	int li_shared;
	uint64_t li_bytes;
	int64_t li_rows;	/* -1: the file is not a valid table now */
	int64_t li_modified;	/* ms since the epoch */
};

/*
 * Calls fn for each table user may use: theirs, then the shared ones,
 * each set in name order. rows are counted by reading the table (up to
 * lim). fn returns 0 to go on; nonzero stops the walk, which then returns
 * -1 (without a reason).
 */
int lookup_list(const char *storage, const char *user,
    const struct lookup_limits *lim,
    int (*fn)(void *arg, const struct lookup_info *), void *arg,
    char *err, size_t errlen);

/*
 * The lookup tables of one user for a query: the arg of lookup_sml_get and
 * lookup_sml_put, which sml_ctx's sx_lookup_get and sx_lookup_put call.
 */
struct lookup_user {
	const char *lu_storage;
	const char *lu_user;
	struct lookup_limits lu_lim;
};

struct config;
/* Fills lu for user (borrowed) from the configuration. */
void lookup_user_init(struct lookup_user *lu, const struct config *cfg,
    const char *user);
/* sx_lookup_get: the user's table name, else the shared one. */
int lookup_sml_get(void *lu, const char *name, uint64_t max_bytes,
    char **data, size_t *len, char *err, size_t errlen);
/* sx_lookup_put: stores the user's table name. */
int lookup_sml_put(void *lu, const char *name, const char *data, size_t len,
    char *err, size_t errlen);

#endif
