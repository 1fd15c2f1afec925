/* datemath.c - placeholder, being written. */
