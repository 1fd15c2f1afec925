/* evtime.h - reading an event's time field. */
#ifndef AR_EVTIME_H
#define AR_EVTIME_H

#include <stdint.h>
#include <jansson.h>

/*
 * Returns the value at path in obj (borrowed), or NULL. A top-level key equal
 * to the whole path wins; otherwise dots walk nested objects
 * ("process.name" reads {"process":{"name":...}}).
 */
json_t *field_get(json_t *obj, const char *path);

/*
 * Reads a time value: an ISO-8601 string, or a number of epoch milliseconds
 * (seconds when below 10^11), or a string of digits read the same way.
 * Returns 0 and *ms, or -1 when the value is not a time.
 */
int evtime_from_json(const json_t *v, int64_t *ms);

#endif
