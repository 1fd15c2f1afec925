/* commands.c - stage_init: sets up the pipeline stage of each command. */
#include "sml/stage.h"

/*
 * Every command of spec/sml.md after the first (source and makeresults are
 * run by exec.c itself) is a stage built here. Returns 0, or -1 with the
 * reason recorded by run_fail().
 */
int
stage_init(struct stage *s, const struct sml_command *c)
{
	switch (c->sc_kind) {
	case SML_CMD_SEARCH:
		return cmd_search_init(s, c);
	case SML_CMD_WHERE:
		return cmd_where_init(s, c);
	case SML_CMD_EVAL:
		return cmd_eval_init(s, c);
	case SML_CMD_FIELDS:
		return cmd_fields_init(s, c);
	case SML_CMD_TABLE:
		return cmd_table_init(s, c);
	case SML_CMD_RENAME:
		return cmd_rename_init(s, c);
	case SML_CMD_SORT:
		return cmd_sort_init(s, c);
	case SML_CMD_HEAD:
		return cmd_head_init(s, c);
	case SML_CMD_TAIL:
		return cmd_tail_init(s, c);
	case SML_CMD_DEDUP:
		return cmd_dedup_init(s, c);
	case SML_CMD_STATS:
		return cmd_stats_init(s, c);
	case SML_CMD_EVENTSTATS:
		return cmd_eventstats_init(s, c);
	case SML_CMD_STREAMSTATS:
		return cmd_streamstats_init(s, c);
	case SML_CMD_TOP:
	case SML_CMD_RARE:
		return cmd_top_init(s, c);
	case SML_CMD_TIMECHART:
		return cmd_timechart_init(s, c);
	case SML_CMD_BIN:
		return cmd_bin_init(s, c);
	case SML_CMD_REX:
		return cmd_rex_init(s, c);
	case SML_CMD_FILLNULL:
		return cmd_fillnull_init(s, c);
	case SML_CMD_REPLACE:
		return cmd_replace_init(s, c);
	case SML_CMD_SOURCE:
	case SML_CMD_MAKERESULTS:
		break;
	}
	return run_fail(s->sg_run, "command '%s' must be the first command",
	    c->sc_name);
}
