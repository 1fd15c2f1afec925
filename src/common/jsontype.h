/* jsontype.h - the name of a JSON value's type, for error messages. */
#ifndef AR_JSONTYPE_H
#define AR_JSONTYPE_H

struct json_t;

/*
 * Returns "an object", "an array", "a string", "a number", "a boolean" or
 * "null" for v (static storage), as the API's messages name a wrong type.
 */
const char *json_type_name(const struct json_t *v);

#endif
