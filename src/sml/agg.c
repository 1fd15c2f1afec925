/* agg.c - placeholder, being written. */
