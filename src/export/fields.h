/* fields.h - the column set of a task's results, recorded as pages are written. */
#ifndef AR_FIELDS_H
#define AR_FIELDS_H

#include <stddef.h>

struct fieldset;

/*
 * Returns a new empty set that keeps at most max_fields names (further
 * names are counted as dropped), or NULL out of memory. Caller frees with
 * fieldset_free().
 */
struct fieldset *fieldset_new(size_t max_fields);
void fieldset_free(struct fieldset *);

/*
 * Adds the column names of one event (JSON object text, len bytes) in
 * order of first appearance: nested objects flatten to dotted names
 * ("process.name"), arrays and scalars are leaves. Returns 0, or -1 when
 * the text is not a JSON object or memory runs out.
 */
int fieldset_add_event(struct fieldset *, const char *json, size_t len);

/* Returns 1 when names were added since the last fieldset_encode(). */
int fieldset_dirty(const struct fieldset *);

/*
 * Returns the names as a JSON array text (malloc'd, caller frees), its
 * length in *len, and clears the dirty flag; NULL out of memory.
 */
char *fieldset_encode(struct fieldset *, size_t *len);

#endif
