/* access.h - auth.index_access: which users may read which indices. */
#ifndef AR_ACCESS_H
#define AR_ACCESS_H

#include <stddef.h>

/*
 * The rules are "USER=PATTERN[,PATTERN...]; USER=...": each user reads the
 * indices matching one of its patterns ('*' any run). A user named in no
 * rule reads nothing once any rule exists; with no rule everyone reads
 * everything. Admins are not checked here (the caller knows them).
 */

/* Returns 0 when spec is well formed, or -1 with the reason in err. */
int access_check(const char *spec, char *err, size_t errlen);
/* Returns 1 when spec holds at least one rule, else 0. */
int access_configured(const char *spec);
/*
 * Returns 1 when user may read index under spec (always 1 when spec holds
 * no rule), else 0.
 */
int access_may_read(const char *spec, const char *user, const char *index);

/*
 * Reads the rules of the file at path (auth.index_access_file): one or
 * more rules a line in the syntax above, blank lines and '#' comments (a
 * '#' first or after a blank) skipped. Returns 0 and in *rules the rules
 * joined with ';' (malloc'd, the caller frees), or -1 with "PATH:LINE:
 * reason" (or "PATH: reason") in err: the file cannot be read, a line is
 * longer than 8192 bytes or holds a NUL byte, a rule is bad (the reason of
 * access_check), the rules exceed 1 MiB, or the file holds no rule.
 */
int access_load_file(const char *path, char **rules, char *err,
    size_t errlen);

#endif
