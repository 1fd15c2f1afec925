/* commands.c - stage_init: sets up the stage of each command (placeholder). */
#include "sml/engine.h"

int
stage_init(struct stage *s, const struct sml_command *c)
{
	return run_fail(s->sg_run, "command '%s' is not supported yet",
	    c->sc_name);
}
