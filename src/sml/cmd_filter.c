/* cmd_filter.c - placeholder, being written. */
