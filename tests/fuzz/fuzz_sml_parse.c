/* fuzz_sml_parse.c - libFuzzer target: sml_parse() on arbitrary bytes. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sml/sml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * Parses the input as a query with the default limits. A query that parses
 * is freed (leaks show up under ASan); an error must be well-formed: a
 * terminated message, a 1-based line and column, and a character offset
 * inside the text (offsets count characters, so never past the bytes).
 * Anything else aborts, which libFuzzer reports as a crash.
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sml_limits lim = {
		.sl_max_qsize = 10000000,
		.sl_max_query_bytes = 65536,
	};
	struct sml_query *q = NULL;
	struct sml_error err;

	memset(&err, 0x5a, sizeof(err));
	if (sml_parse((const char *)data, size, &lim, &q, &err) == 0) {
		if (q == NULL)
			abort();
		sml_query_free(q);
		return 0;
	}
	if (memchr(err.se_msg, '\0', sizeof(err.se_msg)) == NULL ||
	    err.se_msg[0] == '\0' || err.se_line < 1 || err.se_column < 1 ||
	    err.se_position > size)
		abort();
	return 0;
}
