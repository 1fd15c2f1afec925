/* test_bulk.c - the _bulk framing, a document's time, index names, and the
 * event store's batch (one transaction over several indices). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ingest/bulk.h"
#include "ingest/doc.h"
#include "ingest/jscan.h"
#include "store/events.h"
#include <jansson.h>

#include "tap.h"

/*
 * Reads body to the end, writing each item as "action:index:id:doc" joined
 * by " | " into out, or "ERR <reason>" for a refused body. Returns the
 * number of items, or -1.
 */
static int
walk(const char *body, char *out, size_t outlen)
{
	struct bulk_reader br;
	struct bulk_item it;
	char err[512];
	size_t used = 0;
	int rc, n = 0;

	out[0] = '\0';
	bulk_reader_init(&br, body, strlen(body));
	while ((rc = bulk_next(&br, &it, err, sizeof(err))) == 1) {
		used += (size_t)snprintf(out + used, outlen - used, "%s%s:%s:%s:%.*s",
		    n ? " | " : "", bulk_action_name(it.bi_action), it.bi_index,
		    it.bi_id, it.bi_doc ? (int)it.bi_doc_len : 0,
		    it.bi_doc ? it.bi_doc : "");
		n++;
	}
	if (rc == -1) {
		snprintf(out, outlen, "ERR %s", err);
		return -1;
	}
	return n;
}

static void
test_framing(void)
{
	char out[2048];

	is_int(walk("{\"index\":{\"_index\":\"a\",\"_id\":\"7\"}}\n"
	    "{\"m\":1}\n{\"create\":{}}\r\n  {\"m\":2}  \n\n"
	    "{\"delete\":{\"_index\":\"b\",\"_id\":\"1\"}}\n"
	    "{\"update\":{\"_id\":\"2\"}}\n{\"doc\":{}}", out, sizeof(out)), 4,
	    "four items, blank lines and CRLF, no final newline");
	is_str(out, "index:a:7:{\"m\":1} | create:::{\"m\":2} | delete:b:1: | "
	    "update::2:{\"doc\":{}}", "items with their documents");
	is_int(walk("", out, sizeof(out)), 0, "an empty body has no items");
	is_int(walk("{\"index\":{\"_type\":\"_doc\",\"pipeline\":\"p\"}}\n{}\n",
	    out, sizeof(out)), 1, "ignored metadata (_type, pipeline)");

	walk("{\"index\":{}}\nnot json\n{\"index\":{}}\n{\"m\":1}\n", out,
	    sizeof(out));
	is_str(out, "index:::not json | index:::{\"m\":1}",
	    "a bad document is located, not judged (a per-item error)");
	walk("{\"index\":{}}\n{\"m\":1}\n{\"m\":2}\n{\"index\":{}}\n{}\n", out,
	    sizeof(out));
	is_str(out, "ERR line 3: unknown action 'm' (expected index, create, "
	    "delete or update; is this a document without its action line?)",
	    "a document without its action line");
	walk("{\"index\":{}}\n{\"create\":{\"_index\":\"x\"}}\n{\"m\":1}\n", out,
	    sizeof(out));
	is_str(out, "ERR line 2: the index action of line 1 is followed by "
	    "another action line, not a document",
	    "an action without its document (another action follows)");
	walk("{\"index\":{}}\n{\"m\":1}\n{\"index\":{}}\n", out, sizeof(out));
	is_str(out, "ERR line 3: the index action is not followed by a document",
	    "an action without its document at the end");
	walk("{\"index\":{}\n{}\n", out, sizeof(out));
	ok(strncmp(out, "ERR line 1: the action line is not JSON: ", 41) == 0,
	    "a broken action line: %s", out);
	walk("[1]\n{}\n", out, sizeof(out));
	is_str(out, "ERR line 1: an action line must be a JSON object with one "
	    "member (index, create, delete or update)", "an array action");
	walk("{\"index\":{},\"create\":{}}\n{}\n", out, sizeof(out));
	is_str(out, "ERR line 1: an action line must be a JSON object with one "
	    "member (index, create, delete or update)", "two actions in one");
	walk("{\"index\":{\"_index\":5}}\n{}\n", out, sizeof(out));
	is_str(out, "ERR line 1: the action's _index must be a string",
	    "a number as _index");
	walk("{\"index\":{\"colour\":\"red\"}}\n{}\n", out, sizeof(out));
	is_str(out, "ERR line 1: the index action has an unknown parameter "
	    "'colour'", "an unknown metadata member");
	walk("{\"index\":[]}\n{}\n", out, sizeof(out));
	is_str(out, "ERR line 1: the index action's metadata must be an object",
	    "metadata not an object");
	walk("{\"index\":{\"_index\":\"\xff\"}}\n{}\n", out, sizeof(out));
	ok(strncmp(out, "ERR line 1: the action line is not JSON", 39) == 0,
	    "an action line that is not UTF-8: %s", out);
}

static void
test_long_names(void)
{
	char body[1400], out[400];
	struct bulk_reader br;
	struct bulk_item it;
	char err[256];

	memset(out, 'a', 300);
	out[300] = '\0';
	snprintf(body, sizeof(body), "{\"index\":{\"_index\":\"%s\"}}\n{}\n",
	    out);
	bulk_reader_init(&br, body, strlen(body));
	is_int(bulk_next(&br, &it, err, sizeof(err)), 1, "a long _index reads");
	ok(it.bi_index_long && strlen(it.bi_index) == BULK_NAME_MAX,
	    "and is cut to %d bytes and flagged", BULK_NAME_MAX);
}

static void
test_doc(void)
{
	const char *etype;
	char err[256], *rep;
	size_t replen;
	int64_t ms;

#define PREP(d, f) ingest_doc_prepare(d, strlen(d), f, 1000, &ms, &rep, \
	&replen, &etype, err, sizeof(err))
	is_int(PREP("{\"@timestamp\":\"2026-12-03T10:00:00.5+01:00\"}",
	    "@timestamp"), 0, "ISO with an offset");
	ok(ms == 1796288400500LL && rep == NULL, "read, stored as sent");
	is_int(PREP("{\"@timestamp\":\"2026-12-03T09:00:00.123456+00:00\"}",
	    "@timestamp"), 0, "ISO with microseconds (rsyslog)");
	is_int((long long)ms, 1796288400123LL, "cut to milliseconds");
	is_int(PREP("{\"t\":1796288400}", "t"), 0, "epoch seconds");
	is_int((long long)ms, 1796288400000LL, "as milliseconds");
	is_int(PREP("{\"t\":1796288400123}", "t"), 0, "epoch milliseconds");
	is_int((long long)ms, 1796288400123LL, "kept");
	is_int(PREP("{\"a\":{\"b\":\"2026-12-03T09:00:00Z\"}}", "a.b"), 0,
	    "a nested time field");
	is_int((long long)ms, 1796288400000LL, "read through the dots");
	is_int(PREP("{\"m\":1}", "@timestamp"), 0, "no time field");
	ok(ms == 1000 && rep != NULL, "gets the receipt time and a new text");
	is_str(rep ? rep : "", "{\"m\":1,\"@timestamp\":"
	    "\"1970-01-01T00:00:01.000Z\",\"_time_missing\":true}",
	    "receipt time written, _time_missing says so");
	free(rep);
	is_int(PREP("{\"@timestamp\":\"yesterday\"}", "@timestamp"), 0,
	    "an unreadable time");
	is_str(rep ? rep : "", "{\"@timestamp\":\"1970-01-01T00:00:01.000Z\","
	    "\"_time_original\":\"yesterday\",\"_time_missing\":true}",
	    "is kept as _time_original");
	free(rep);
	is_int(PREP("{\"m\":", "@timestamp"), -1, "not JSON");
	is_str(etype, "mapper_parsing_exception", "its type");
	ok(strncmp(err, "failed to parse: the document is not JSON: ", 43) == 0,
	    "its reason: %s", err);
	is_int(PREP("[1,2]", "@timestamp"), -1, "an array");
	is_str(err, "failed to parse: the document must be a JSON object",
	    "must be an object");
	is_int(PREP("{\"m\":\"\xc3\x28\"}", "@timestamp"), -1, "not UTF-8");
	is_str(err, "failed to parse: the document is not valid UTF-8",
	    "named as such");
#undef PREP
}

static void
test_names(void)
{
	const char *r;

	ok(ingest_index_name_check("logs-2026.12.03") == NULL, "a dated name");
	ok(ingest_index_name_check("a_b-c.d1") == NULL, "inner punctuation");
	r = ingest_index_name_check("../x");
	is_str(r ? r : "", "must not contain the following characters "
	    "[\\, /, *, ?, \", <, >, |, ' ', ',', #, :]", "../x");
	r = ingest_index_name_check("_all");
	is_str(r ? r : "", "must not start with '_', '-', or '+'", "_all");
	r = ingest_index_name_check("..");
	is_str(r ? r : "", "must not be '.' or '..'", "..");
	r = ingest_index_name_check("Logs");
	is_str(r ? r : "", "must be lowercase", "upper case");
	r = ingest_index_name_check("a b");
	ok(r != NULL, "a space");
	r = ingest_index_name_check(".hidden");
	ok(r != NULL && strstr(r, "must not start with '.'") != NULL,
	    "a leading dot (the store's rule)");
	r = ingest_index_name_check("caf\xc3\xa9");
	ok(r != NULL && strstr(r, "ASCII") != NULL, "non-ASCII");
	r = ingest_index_name_check("");
	is_str(r ? r : "", "must not be empty", "empty");
}

/*
 * jscan: what it vouches for (1) Jansson accepts; what it leaves to Jansson
 * (0) includes everything Jansson refuses. "got" is "KIND:value" or "0".
 */
static void
test_jscan(void)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
		{ "{}", "none:" },
		{ " {\"a\":1} \n", "none:" },
		{ "{\"@timestamp\":\"x y\"}", "string:x y" },
		{ "{\"@timestamp\":1,\"b\":[{},[]],\"@timestamp\":-2}",
		    "integer:-2" },
		{ "{\"@timestamp\":1.5e3}", "real:1.5e3" },
		{ "{\"@timestamp\":\"a\\\"b\"}", "other:a\\\"b" },
		{ "{\"@timestamp\":{\"x\":1}}", "other:{\"x\":1}" },
		{ "{\"a\":\"\\u00e9\\n\\/\"}", "none:" },
		{ "{\"a\":\"\\u0000\"}", "0" },
		{ "{\"a\":\"\\ud83d\\ude00\"}", "0" },
		{ "{\"a\":\"\\x\"}", "0" },
		{ "{\"a\":01}", "0" },
		{ "{\"a\":1.}", "0" },
		{ "{\"a\":1e400}", "0" },
		{ "{\"a\":12345678901234567890}", "0" },
		{ "{\"@timestamp\":9223372036854775807}",
		    "integer:9223372036854775807" },
		{ "{\"@timestamp\":-9223372036854775808}",
		    "integer:-9223372036854775808" },
		{ "{\"a\":9223372036854775808}", "0" },
		{ "{\"a\":-9223372036854775809}", "0" },
		{ "{\"a\":9999999999999999999}", "0" },
		{ "{\"a\":\"tab\there\"}", "0" },
		{ "{\"a\":1,}", "0" },
		{ "{\"a\":1} x", "0" },
		{ "[1]", "0" },
		{ "{\"a\":tru}", "0" },
		{ "{\"\\u0040timestamp\":1}", "0" },
	};
	char got[128];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		static const char *const names[] = { "none", "string",
		    "integer", "real", "other" };
		enum jscan_kind k;
		const char *v;
		size_t vl;
		json_error_t jerr;
		json_t *o;
		int rc = jscan_object(cases[i].in, strlen(cases[i].in),
		    "@timestamp", &k, &v, &vl);

		if (rc)
			snprintf(got, sizeof(got), "%s:%.*s", names[k], (int)vl,
			    v ? v : "");
		else
			snprintf(got, sizeof(got), "0");
		is_str(got, cases[i].want, "jscan %s", cases[i].in);
		o = json_loads(cases[i].in, 0, &jerr);
		if (rc)
			ok(o != NULL && json_is_object(o), "  and Jansson "
			    "accepts it");
		json_decref(o);
	}
}

struct cnt {
	char		 names[512];
};

static int
count_cb(void *arg, const char *name, uint64_t count)
{
	struct cnt *c = arg;
	size_t n = strlen(c->names);

	snprintf(c->names + n, sizeof(c->names) - n, "%s%s=%llu",
	    n ? " " : "", name, (unsigned long long)count);
	return 0;
}

static void
test_batch(const char *dir)
{
	struct evstore *es;
	struct evstore_batch *eb;
	struct cnt c;
	char err[512], field[256];
	uint64_t s1, s2, s3;

	if (evstore_open(&es, dir, 64ULL << 20, err, sizeof(err)) == -1) {
		ok(0, "open: %s", err);
		return;
	}
	is_int(evstore_batch_begin(es, &eb, err, sizeof(err)), 0, "begin");
	is_int(evstore_batch_index(eb, "a", "@timestamp", field, sizeof(field),
	    err, sizeof(err)), 0, "new index a");
	is_str(field, "@timestamp", "keyed by the field given");
	is_int(evstore_batch_index(eb, "b", "@timestamp", field, sizeof(field),
	    err, sizeof(err)), 0, "new index b");
	is_int(evstore_batch_index(eb, "Bad/", "@timestamp", field,
	    sizeof(field), err, sizeof(err)), 1, "a bad name is refused");
	is_int(evstore_batch_add(eb, "a", 1000, "{\"x\":1}", 7, &s1, err,
	    sizeof(err)), 0, "add to a");
	is_int(evstore_batch_add(eb, "b", 2000, "{\"x\":2}", 7, &s2, err,
	    sizeof(err)), 0, "add to b");
	is_int(evstore_batch_add(eb, "a", 3000, "{\"x\":3}", 7, &s3, err,
	    sizeof(err)), 0, "add to a again");
	ok(s2 == s1 + 1 && s3 == s2 + 1, "sequence numbers follow");
	evstore_batch_abort(eb);
	memset(&c, 0, sizeof(c));
	is_int(evstore_match(es, "*", count_cb, &c), 0,
	    "an aborted batch leaves no index");

	is_int(evstore_batch_begin(es, &eb, err, sizeof(err)), 0, "begin again");
	evstore_batch_index(eb, "a", "@timestamp", field, sizeof(field), err,
	    sizeof(err));
	evstore_batch_index(eb, "b", "@timestamp", field, sizeof(field), err,
	    sizeof(err));
	evstore_batch_index(eb, "empty", "@timestamp", field, sizeof(field),
	    err, sizeof(err));
	evstore_batch_add(eb, "a", 1000, "{\"x\":1}", 7, &s1, err, sizeof(err));
	evstore_batch_add(eb, "b", 2000, "{\"x\":2}", 7, &s2, err, sizeof(err));
	evstore_batch_add(eb, "a", 3000, "{\"x\":3}", 7, &s3, err, sizeof(err));
	is_int(evstore_batch_commit(eb, err, sizeof(err)), 0, "commit");
	memset(&c, 0, sizeof(c));
	evstore_match(es, "*", count_cb, &c);
	is_str(c.names, "a=2 b=1", "both indices, counted; an index that got "
	    "no event is not created");

	/* An existing index keeps its own time field. */
	is_int(evstore_batch_begin(es, &eb, err, sizeof(err)), 0, "begin 3");
	is_int(evstore_batch_index(eb, "a", "ts", field, sizeof(field), err,
	    sizeof(err)), 0, "existing index with another field");
	is_str(field, "@timestamp", "answers the field it is keyed by");
	evstore_batch_add(eb, "a", 5000, "{\"x\":5}", 7, &s1, err, sizeof(err));
	is_int(evstore_batch_commit(eb, err, sizeof(err)), 0, "commit 3");
	memset(&c, 0, sizeof(c));
	evstore_match(es, "a", count_cb, &c);
	is_str(c.names, "a=3", "count grows across batches");
	evstore_close(es);
}

int
main(void)
{
	const char *base = getenv("TMPDIR");
	char tmpl[4096];

	snprintf(tmpl, sizeof(tmpl), "%s/test_bulk.XXXXXX",
	    base && *base ? base : "/tmp");
	test_framing();
	test_long_names();
	test_doc();
	test_names();
	test_jscan();
	if (mkdtemp(tmpl) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	test_batch(tmpl);
	{
		char cmd[4200];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpl);
		if (system(cmd) != 0)
			ok(0, "remove %s", tmpl);
	}
	return done_testing();
}
