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

#endif
