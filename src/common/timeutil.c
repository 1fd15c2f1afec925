/* timeutil.c - placeholder, being written. */
