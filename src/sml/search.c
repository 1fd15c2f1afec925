/* search.c - search conditions (placeholder: no conditions parse yet). */
#include "sml/engine.h"

int
cond_match(struct cond *c, struct event *e, struct eval_ctx *ctx)
{
	(void)c;
	(void)e;
	(void)ctx;
	return 1;
}

int
cond_maybe(struct cond *c, const char *raw, size_t len)
{
	(void)c;
	(void)raw;
	(void)len;
	return 1;
}
