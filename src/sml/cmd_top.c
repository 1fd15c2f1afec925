/* cmd_top.c - placeholder, being written. */
