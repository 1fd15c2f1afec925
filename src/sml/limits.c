/* limits.c - the query bounds the configuration sets. */
#include "common/config.h"
#include "sml/sml.h"

void
sml_limits_from_config(const struct config *cfg, struct sml_limits *pl,
    struct sml_run_limits *rl)
{
	if (pl != NULL) {
		pl->sl_max_qsize = cfg->limits_max_qsize;
		pl->sl_max_query_bytes = (size_t)cfg->limits_max_query_bytes;
	}
	if (rl != NULL) {
		rl->rl_sort_limit = cfg->sort_limit;
		rl->rl_list_limit = cfg->list_limit;
		rl->rl_max_groups = cfg->limits_max_groups;
		rl->rl_max_memory = cfg->limits_max_memory_bytes;
		rl->rl_timeline_buckets = cfg->stats_timeline_max_buckets;
		rl->rl_max_qsize = cfg->limits_max_qsize;
		rl->rl_regex_match_limit = (uint32_t)cfg->limits_regex_match_limit;
		rl->rl_regex_depth_limit = (uint32_t)cfg->limits_regex_depth_limit;
		rl->rl_max_lookup_bytes = cfg->limits_max_lookup_bytes;
		rl->rl_max_lookup_rows = (uint64_t)cfg->limits_max_lookup_rows;
		rl->rl_max_subsearch = cfg->limits_max_subsearch_results;
		rl->rl_geoip_v4 = cfg->geoip_database;
		rl->rl_geoip_v6 = cfg->geoip_database_v6;
	}
}
