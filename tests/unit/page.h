/* page.h - builds result pages in the store's page layout for unit tests. */
#ifndef AR_TEST_PAGE_H
#define AR_TEST_PAGE_H

#include <stdint.h>

#include "common/buf.h"

/*
 * Fills p (reset first; the caller owns it) with a page of count events
 * {"n":first} .. {"n":first+count-1}: the count, each event's offset, then
 * the events' text, the layout store_page_append() takes.
 */
static inline void
make_page(struct buf *p, int first, int count)
{
	struct buf text = BUF_INIT;
	uint32_t c = (uint32_t)count, off;

	buf_reset(p);
	buf_append(p, &c, 4);
	for (int i = 0; i < count; i++) {
		off = (uint32_t)text.b_len;
		buf_append(p, &off, 4);
		buf_printf(&text, "{\"n\":%d}", first + i);
	}
	buf_append(p, text.b_data, text.b_len);
	buf_free(&text);
}

#endif
