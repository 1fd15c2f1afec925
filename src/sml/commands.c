/* commands.c - the table of commands and the dispatch through it. */
#include <stddef.h>

#include "sml/commands.h"
#include "sml/parse.h"
#include "sml/stage.h"

/*
 * One row per command name. Adding a command: its file cmd/<name>.c with
 * cmd_<name>_parse, _clear and _init (or _run for a first command), their
 * prototypes in parse.h and stage.h, and its row here (docs/DESIGN.md,
 * "Adding a command or a function").
 */
const struct sml_cmd_def sml_cmds[] = {
	/* name, kind, flags,
	 *     parse, clear, init, run */
	{ "source", SML_CMD_SOURCE, SML_CMDF_FIRST,
	    cmd_source_parse, cmd_source_clear, NULL, cmd_source_run },
	{ "makeresults", SML_CMD_MAKERESULTS, SML_CMDF_FIRST,
	    cmd_makeresults_parse, NULL, NULL, cmd_makeresults_run },
	{ "search", SML_CMD_SEARCH, 0,
	    cmd_search_parse, cmd_search_clear, cmd_search_init, NULL },
	{ "where", SML_CMD_WHERE, 0,
	    cmd_where_parse, cmd_where_clear, cmd_where_init, NULL },
	{ "eval", SML_CMD_EVAL, 0,
	    cmd_eval_parse, cmd_eval_clear, cmd_eval_init, NULL },
	/* SME's parallel eval: eval itself (docs/sml.md, "peval"). */
	{ "peval", SML_CMD_EVAL, 0,
	    cmd_eval_parse, cmd_eval_clear, cmd_eval_init, NULL },
	{ "fields", SML_CMD_FIELDS, 0,
	    cmd_fields_parse, cmd_fields_clear, cmd_fields_init, NULL },
	{ "table", SML_CMD_TABLE, 0,
	    cmd_table_parse, cmd_table_clear, cmd_table_init, NULL },
	{ "rename", SML_CMD_RENAME, 0,
	    cmd_rename_parse, cmd_rename_clear, cmd_rename_init, NULL },
	{ "sort", SML_CMD_SORT, 0,
	    cmd_sort_parse, cmd_sort_clear, cmd_sort_init, NULL },
	{ "head", SML_CMD_HEAD, 0,
	    cmd_head_parse, NULL, cmd_head_init, NULL },
	{ "tail", SML_CMD_TAIL, 0,
	    cmd_tail_parse, NULL, cmd_tail_init, NULL },
	{ "dedup", SML_CMD_DEDUP, 0,
	    cmd_dedup_parse, cmd_dedup_clear, cmd_dedup_init, NULL },
	{ "stats", SML_CMD_STATS, SML_CMDF_TRANSFORMING,
	    cmd_stats_parse, cmd_stats_clear, cmd_stats_init, NULL },
	{ "aggs", SML_CMD_STATS, SML_CMDF_TRANSFORMING,
	    cmd_stats_parse, cmd_stats_clear, cmd_stats_init, NULL },
	{ "eventstats", SML_CMD_EVENTSTATS, 0,
	    cmd_eventstats_parse, cmd_eventstats_clear, cmd_eventstats_init,
	    NULL },
	{ "streamstats", SML_CMD_STREAMSTATS, 0,
	    cmd_streamstats_parse, cmd_streamstats_clear, cmd_streamstats_init,
	    NULL },
	{ "top", SML_CMD_TOP, SML_CMDF_TRANSFORMING,
	    cmd_top_parse, cmd_top_clear, cmd_top_init, NULL },
	{ "rare", SML_CMD_RARE, SML_CMDF_TRANSFORMING,
	    cmd_top_parse, cmd_top_clear, cmd_top_init, NULL },
	{ "timechart", SML_CMD_TIMECHART, SML_CMDF_TRANSFORMING,
	    cmd_timechart_parse, cmd_timechart_clear, cmd_timechart_init,
	    NULL },
	{ "bin", SML_CMD_BIN, 0,
	    cmd_bin_parse, cmd_bin_clear, cmd_bin_init, NULL },
	{ "rex", SML_CMD_REX, 0,
	    cmd_rex_parse, cmd_rex_clear, cmd_rex_init, NULL },
	{ "fillnull", SML_CMD_FILLNULL, 0,
	    cmd_fillnull_parse, cmd_fillnull_clear, cmd_fillnull_init, NULL },
	{ "replace", SML_CMD_REPLACE, 0,
	    cmd_replace_parse, cmd_replace_clear, cmd_replace_init, NULL },
	{ "transaction", SML_CMD_TRANSACTION, 0,
	    cmd_transaction_parse, cmd_transaction_clear,
	    cmd_transaction_init, NULL },
	{ "join", SML_CMD_JOIN, 0,
	    cmd_join_parse, cmd_join_clear, cmd_join_init, NULL },
	{ "append", SML_CMD_APPEND, 0,
	    cmd_append_parse, cmd_append_clear, cmd_append_init, NULL },
	{ "regex", SML_CMD_REGEX, 0,
	    cmd_regex_parse, cmd_regex_clear, cmd_regex_init, NULL },
	{ "lookup", SML_CMD_LOOKUP, 0,
	    cmd_lookup_parse, cmd_lookup_clear, cmd_lookup_init, NULL },
	{ "inputlookup", SML_CMD_INPUTLOOKUP, SML_CMDF_FIRST,
	    cmd_inputlookup_parse, cmd_lookup_table_clear, NULL,
	    cmd_inputlookup_run },
	{ "outputlookup", SML_CMD_OUTPUTLOOKUP, 0,
	    cmd_outputlookup_parse, cmd_lookup_table_clear,
	    cmd_outputlookup_init, NULL },
	{ "mvexpand", SML_CMD_MVEXPAND, 0,
	    cmd_mvexpand_parse, cmd_mvexpand_clear, cmd_mvexpand_init, NULL },
	{ "makemv", SML_CMD_MAKEMV, 0,
	    cmd_makemv_parse, cmd_makemv_clear, cmd_makemv_init, NULL },
	{ "nomv", SML_CMD_NOMV, 0,
	    cmd_nomv_parse, cmd_nomv_clear, cmd_nomv_init, NULL },
	{ "spath", SML_CMD_SPATH, 0,
	    cmd_spath_parse, cmd_spath_clear, cmd_spath_init, NULL },
	{ "iplocation", SML_CMD_IPLOCATION, 0,
	    cmd_iplocation_parse, cmd_iplocation_clear, cmd_iplocation_init,
	    NULL },
	{ "chart", SML_CMD_CHART, SML_CMDF_TRANSFORMING,
	    cmd_chart_parse, cmd_chart_clear, cmd_chart_init, NULL },
	{ "xyseries", SML_CMD_XYSERIES, 0,
	    cmd_xyseries_parse, cmd_xyseries_clear, cmd_xyseries_init, NULL },
	{ "untable", SML_CMD_UNTABLE, 0,
	    cmd_untable_parse, cmd_xyseries_clear, cmd_untable_init, NULL },
	{ "appendpipe", SML_CMD_APPENDPIPE, 0,
	    cmd_appendpipe_parse, cmd_appendpipe_clear, cmd_appendpipe_init,
	    NULL },
};

const size_t sml_ncmds = sizeof(sml_cmds) / sizeof(sml_cmds[0]);

const struct sml_cmd_def *
sml_cmd_of(enum sml_cmd_kind k)
{
	for (size_t i = 0; i < sml_ncmds; i++)
		if (sml_cmds[i].cd_kind == k)
			return &sml_cmds[i];
	return NULL;
}

/*
 * Sets up the stage of command c, a command after the first (a first
 * command is run by sml_run() itself). Returns 0, or -1 with the reason
 * recorded by run_fail().
 */
int
stage_init(struct stage *s, const struct sml_command *c)
{
	const struct sml_cmd_def *d = sml_cmd_of(c->sc_kind);

	if (d == NULL || d->cd_init == NULL)
		return run_fail(s->sg_run, "command '%s' must be the first "
		    "command", c->sc_name);
	return d->cd_init(s, c);
}
