/* cost.c - the execution cost document of a finished run. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "common/buf.h"
#include "runner/taskstats.h"
#include "sml/sml.h"
#include "store/store.h"

char *
cost_json(const struct sml_cost *co, const struct task *t, int debug,
    size_t *len)
{
	struct buf b = BUF_INIT;
	struct rusage ru;
	const char *q = t->t_query;
	size_t qlen = strlen(q);
	int fail = 0;

	fail |= buf_printf(&b, "{\"level\":\"%s\",\"totalMs\":%.3f,"
	    "\"commands\":[", debug ? "DEBUG" : "INFO", co->co_total_ms);
	for (size_t i = 0; i < co->co_ncmds && !fail; i++) {
		const struct sml_cmd_cost *c = &co->co_cmds[i];
		size_t off = c->cc_off < qlen ? c->cc_off : qlen;
		size_t n = c->cc_len < qlen - off ? c->cc_len : qlen - off;

		fail |= buf_printf(&b, "%s{\"command\":\"%s\",\"text\":",
		    i ? "," : "", c->cc_name);
		fail |= buf_json_str(&b, q + off, n);
		fail |= buf_printf(&b, ",\"ms\":%.3f,\"eventsIn\":%llu,"
		    "\"eventsOut\":%llu", c->cc_ms,
		    (unsigned long long)c->cc_in,
		    (unsigned long long)c->cc_out);
		if (debug)
			fail |= buf_printf(&b, ",\"bytesRead\":%llu,"
			    "\"peakMemoryBytes\":%llu",
			    (unsigned long long)c->cc_bytes,
			    (unsigned long long)c->cc_peak_mem);
		fail |= buf_putc(&b, '}');
	}
	fail |= buf_putc(&b, ']');
	if (debug && !fail) {
		fail |= buf_puts(&b, ",\"indices\":[");
		for (size_t i = 0; i < co->co_nindices && !fail; i++) {
			const struct sml_index_cost *ic = &co->co_indices[i];

			fail |= buf_puts(&b, i ? ",{\"pattern\":" :
			    "{\"pattern\":");
			fail |= buf_json_str(&b, ic->ic_pattern,
			    strlen(ic->ic_pattern));
			fail |= buf_puts(&b, ",\"index\":");
			fail |= buf_json_str(&b, ic->ic_index,
			    strlen(ic->ic_index));
			fail |= buf_printf(&b, ",\"eventsScanned\":%llu}",
			    (unsigned long long)ic->ic_scanned);
		}
		getrusage(RUSAGE_SELF, &ru);
		fail |= buf_printf(&b, "],\"resultPages\":%llu,"
		    "\"resultBytes\":%llu,\"queueMs\":%lld,"
		    "\"peakMemoryBytes\":%lld",
		    (unsigned long long)t->t_pages,
		    (unsigned long long)t->t_result_bytes,
		    (long long)(t->t_started - t->t_created),
		    (long long)ru.ru_maxrss * 1024);
	}
	fail |= buf_putc(&b, '}');
	if (fail) {
		buf_free(&b);
		return NULL;
	}
	*len = b.b_len;
	return b.b_data;
}
