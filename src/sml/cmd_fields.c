/* cmd_fields.c - placeholder, being written. */
