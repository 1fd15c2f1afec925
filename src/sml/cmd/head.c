/*
 * cmd/head.c - head: keeps the first n events (default 10), then stops
 * the input (streaming).
 *
 *	head [<n>]
 */
#include <stdint.h>
#include <stdlib.h>

#include "sml/parse.h"
#include "sml/stage.h"

/* ---- Parsing ---- */

/*
 * Parses head [<n>] into c->sc_u.head (with sml_head_count(), as tail).
 * Returns 0 with the current token at '|' or the end, or -1 with the error
 * reported.
 */
int
cmd_head_parse(struct sml_parser *p, struct sml_command *c)
{
	return sml_head_count(p, c);
}

/* ---- Running ---- */

struct head_state {
	int64_t hs_seen;
};

static int
head_push(struct stage *s, struct event *e)
{
	struct head_state *hs = s->sg_state;
	int64_t n = s->sg_cmd->sc_u.head.hd_n;
	int rc;

	if (hs->hs_seen >= n)
		return 1;
	hs->hs_seen++;
	if ((rc = stage_emit(s, e)) != 0)
		return rc;
	return hs->hs_seen >= n ? 1 : 0;
}

static void
state_free(struct stage *s)
{
	free(s->sg_state);
	s->sg_state = NULL;
}

int
cmd_head_init(struct stage *s, const struct sml_command *c)
{
	(void)c;
	if ((s->sg_state = calloc(1, sizeof(struct head_state))) == NULL)
		return run_fail(s->sg_run, "out of memory");
	s->sg_push = head_push;
	s->sg_free = state_free;
	return 0;
}
