/* cmd_timechart.c - placeholder, being written. */
