/* test_block.c - sealed blocks of events (store/block.c): the format round
 * trip, the summaries never ruling out what is there, and damage found. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/block.h"
#include "tap.h"

/* Key suffix i: time ‖ ~seq as the event store writes it (ascending i). */
static void
suffix(unsigned char s[16], int64_t t, uint64_t seq)
{
	uint64_t a = (uint64_t)t ^ 0x8000000000000000ULL, b = UINT64_MAX - seq;

	for (int i = 7; i >= 0; i--, a >>= 8, b >>= 8) {
		s[i] = (unsigned char)a;
		s[8 + i] = (unsigned char)b;
	}
}

static const char *const EVENTS[] = {
	"{\"@timestamp\":\"2026-01-01T00:00:00Z\",\"EventID\":1,\"Image\":\"C:\\\\Windows\\\\System32\\\\CMD.EXE\"}",
	"{\"EventID\":10,\"User\":\"corp\\\\alice\",\"Tags\":[\"lolbin\",\"x\"]}",
	"{\"EventID\":\"4688\",\"n\":1.5e3,\"nested\":{\"a\":{\"b\":true}},\"arr\":[{\"k\":7},{\"k\":8}]}",
	"{\"name\":\"\\u00e9t\\u00e9\",\"big\":-9223372036854775808,\"z\":null,\"f\":1.0}",
	"{ \"spaced\" : \"Value With Spaces\" , \"e\" : 2E2 }",
};
#define NEV (sizeof(EVENTS) / sizeof(EVENTS[0]))

/* Builds a block of the events; returns its value (malloc'd). */
static void *
build(const char *const *evs, size_t n, size_t *len)
{
	struct block_build bb;
	unsigned char s[16];
	char err[200];
	void *v = NULL;

	block_build_init(&bb);
	for (size_t i = 0; i < n; i++) {
		suffix(s, 1000 + (int64_t)i, i);
		if (block_build_add(&bb, s, 1000 + (int64_t)i, evs[i],
		    strlen(evs[i])) == -1)
			return NULL;
	}
	if (block_build_finish(&bb, &v, len, err, sizeof(err)) == -1) {
		printf("# %s\n", err);
		v = NULL;
	}
	block_build_free(&bb);
	return v;
}

static int
field(const struct block_hdr *h, const char *f, const char *v)
{
	return block_may_have_field(h, f, v, strlen(v));
}

static int
text(const struct block_hdr *h, const char *t)
{
	return block_may_have_text(h, t, strlen(t));
}

static void
test_round_trip(void)
{
	struct block_hdr h;
	unsigned char *raw = NULL, s[16];
	const unsigned char *suf;
	const char *json;
	size_t len, off = 0, jlen, n = 0;
	char err[200];
	void *v = build(EVENTS, NEV, &len);
	int same = 1;

	ok(v != NULL, "a block of %zu events is made", NEV);
	if (v == NULL)
		return;
	ok(block_parse(v, len, &h) == 0, "its header parses");
	ok(h.bh_count == NEV && h.bh_tmin == 1000 &&
	    h.bh_tmax == 1000 + (int64_t)NEV - 1, "count %u, times %lld..%lld",
	    h.bh_count, (long long)h.bh_tmin, (long long)h.bh_tmax);
	ok(h.bh_flags & BLOCK_F_FIELDS, "every event's fields were read");
	ok(block_decode(&h, &raw, err, sizeof(err)) == 0, "it decompresses");
	while (raw && block_next(raw, h.bh_raw_len, &off, &suf, &json,
	    &jlen) == 1) {
		suffix(s, 1000 + (int64_t)n, n);
		if (n >= NEV || memcmp(suf, s, 16) != 0 ||
		    jlen != strlen(EVENTS[n]) || memcmp(json, EVENTS[n], jlen))
			same = 0;
		n++;
	}
	ok(same && n == NEV, "the records come back byte for byte, in order");

	/* What is there is never ruled out. */
	ok(field(&h, "EventID", "1") && field(&h, "EventID", "1.0") &&
	    field(&h, "EventID", "01"), "EventID=1 (also as 1.0 and 01)");
	ok(field(&h, "EventID", "4688"), "a number written as a string");
	ok(field(&h, "Image", "c:\\windows\\system32\\cmd.exe"),
	    "text in another case");
	ok(field(&h, "Tags", "LOLBIN") && field(&h, "Tags", "x"),
	    "array elements under the array's name");
	ok(field(&h, "n", "1500") && field(&h, "e", "200") &&
	    field(&h, "f", "1"), "reals equal to whole numbers");
	ok(field(&h, "nested.a.b", "true"), "nested objects by dotted path");
	ok(field(&h, "arr.k", "7") && field(&h, "arr.k", "8"),
	    "objects in arrays by dotted path");
	ok(field(&h, "name", "\xc3\xa9t\xc3\xa9"), "\\u escapes decoded");
	ok(field(&h, "big", "-9223372036854775808"), "the smallest int64");
	ok(field(&h, "spaced", "value with spaces"), "white space around");
	ok(field(&h, "User", "corp\\alice"), "a backslash escaped");
	ok(text(&h, "lolbin") && text(&h, "cmd.exe") && text(&h, "eventid"),
	    "words of the text");
	/* What is not there is (here) ruled out. */
	ok(!field(&h, "EventID", "2") && !field(&h, "EventID", "100"),
	    "EventID=2 and EventID=100 ruled out");
	ok(!field(&h, "Image", "notepad.exe"), "another Image ruled out");
	ok(!field(&h, "Nope", "1"), "a field no event has");
	ok(!text(&h, "mimikatz") && !text(&h, "qqzzxx"), "absent words");
	ok(text(&h, "zz"), "text under 3 bytes is never ruled out");

	/* Damage: a byte of the frame changed, a header cut. */
	((unsigned char *)v)[len - 10] ^= 0x55;
	free(raw);
	raw = NULL;
	ok(block_parse(v, len, &h) == 0 &&
	    block_decode(&h, &raw, err, sizeof(err)) == -1,
	    "a changed byte of the frame is found: %s", err);
	ok(block_parse(v, 30, &h) == -1, "a cut header is refused");
	ok(block_parse("XXXX0000000000000000000000000000000000000000000000000",
	    52, &h) == -1, "another magic is refused");
	free(raw);
	free(v);
}

/* Random events: every scalar and every 3..12-byte run of their text may
 * be there, for each block. */
static void
test_random(void)
{
	char *evs[300], buf[512];
	const char *ptrs[300];
	unsigned seed = 4242;
	int bad = 0;

	for (int round = 0; round < 20; round++) {
		struct block_hdr h;
		size_t len, n = 1 + (size_t)(rand_r(&seed) % 300);
		void *v;

		for (size_t i = 0; i < n; i++) {
			snprintf(buf, sizeof(buf),
			    "{\"id\":%u,\"h\":\"Host-%u\",\"v\":%u.%u,"
			    "\"s\":\"w%uX\\u0041%u\",\"o\":{\"p\":[%u,\"q%u\"]}}",
			    rand_r(&seed) % 100000, rand_r(&seed) % 50,
			    rand_r(&seed) % 10, rand_r(&seed) % 10,
			    rand_r(&seed) % 1000, rand_r(&seed) % 10,
			    rand_r(&seed) % 20, rand_r(&seed) % 20);
			evs[i] = strdup(buf);
			ptrs[i] = evs[i];
		}
		if ((v = build(ptrs, n, &len)) == NULL ||
		    block_parse(v, len, &h) == -1) {
			bad++;
			goto next;
		}
		for (size_t i = 0; i < n; i++) {
			unsigned id, host, a, b, w, x, p, q;
			char t[16];
			size_t el = strlen(evs[i]);

			if (sscanf(evs[i], "{\"id\":%u,\"h\":\"Host-%u\",\"v\":"
			    "%u.%u,\"s\":\"w%uX\\u0041%u\",\"o\":{\"p\":[%u,"
			    "\"q%u\"]}}", &id, &host, &a, &b, &w, &x, &p,
			    &q) != 8) {
				bad++;
				continue;
			}
			snprintf(buf, sizeof(buf), "%u", id);
			bad += !field(&h, "id", buf);
			snprintf(buf, sizeof(buf), "host-%u", host);
			bad += !field(&h, "h", buf);
			snprintf(buf, sizeof(buf), "%u.%u", a, b);
			bad += !field(&h, "v", buf);
			snprintf(buf, sizeof(buf), "W%uXA%u", w, x);
			bad += !field(&h, "s", buf);
			snprintf(buf, sizeof(buf), "%u", p);
			bad += !field(&h, "o.p", buf);
			snprintf(buf, sizeof(buf), "Q%u", q);
			bad += !field(&h, "o.p", buf);
			for (size_t k = 0; k + 3 <= el; k += 5) {
				size_t tl = 3 + (k % 10);

				if (k + tl > el)
					tl = el - k;
				for (size_t j = 0; j < tl; j++)
					t[j] = (char)((evs[i][k + j] >= 'A' &&
					    evs[i][k + j] <= 'Z') ?
					    evs[i][k + j] + 32 : evs[i][k + j]);
				bad += !block_may_have_text(&h, t, tl);
			}
		}
next:
		free(v);
		for (size_t i = 0; i < n; i++)
			free(evs[i]);
	}
	ok(bad == 0, "20 blocks of random events: no scalar and no piece of "
	    "text ruled out (%d misses)", bad);
}

int
main(void)
{
	test_round_trip();
	test_random();
	return done_testing();
}
