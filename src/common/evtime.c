/* evtime.c - placeholder, being written. */
