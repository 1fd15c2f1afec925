/* value.c - placeholder, being written. */
