/* cmd_stats.c - placeholder, being written. */
