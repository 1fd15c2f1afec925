/* buf.h - growable byte buffers and JSON string escaping. */
#ifndef AR_BUF_H
#define AR_BUF_H

#include <stdarg.h>
#include <stddef.h>

/*
 * A growable buffer. b_data is always NUL-terminated when b_cap > 0.
 * The buffer owns b_data; buf_free releases it.
 */
struct buf {
	char *b_data;
	size_t b_len;
	size_t b_cap;
};

#define BUF_INIT {NULL, 0, 0}

/* Each returns 0, or -1 when memory runs out (the buffer is unchanged). */
int buf_reserve(struct buf *, size_t extra);
int buf_append(struct buf *, const void *data, size_t len);
int buf_puts(struct buf *, const char *s);
int buf_putc(struct buf *, char c);
int buf_printf(struct buf *, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/*
 * Appends s (len bytes, UTF-8) as a quoted, escaped JSON string. A byte
 * that does not start a well-formed UTF-8 sequence (util_utf8_seq) is
 * written as \ufffd, so the output is valid UTF-8 whatever s holds.
 */
int buf_json_str(struct buf *, const char *s, size_t len);

void buf_reset(struct buf *);
void buf_free(struct buf *);

#endif
