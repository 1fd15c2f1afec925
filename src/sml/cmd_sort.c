/* cmd_sort.c - placeholder, being written. */
