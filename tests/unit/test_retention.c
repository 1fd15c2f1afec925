/* test_retention.c - retention.index_rules and auth.index_access parsing. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/access.h"
#include "common/retention.h"
#include "tap.h"

/* Parses spec and writes "pattern/age_ms/bytes" joined by spaces, or
 * "error: reason". Returns out. */
static const char *
rules(const char *spec, char *out, size_t outlen)
{
	struct retention_rule *r;
	size_t n, used = 0;
	char err[512];

	out[0] = '\0';
	if (retention_parse(spec, &r, &n, err, sizeof(err)) == -1) {
		snprintf(out, outlen, "error: %s", err);
		return out;
	}
	for (size_t i = 0; i < n && used < outlen; i++)
		used += snprintf(out + used, outlen - used, "%s%s/%lld/%llu",
		    i ? " " : "", r[i].rr_pattern,
		    (long long)r[i].rr_max_age_ms,
		    (unsigned long long)r[i].rr_max_bytes);
	free(r);
	return out;
}

static const char *
check(const char *spec, char *out, size_t outlen)
{
	char err[512];

	if (access_check(spec, err, sizeof(err)) == 0)
		snprintf(out, outlen, "ok");
	else
		snprintf(out, outlen, "error: %s", err);
	return out;
}

int
main(void)
{
	char out[1024];
	struct retention_rule *r;
	size_t n;
	const char *acl = "alice=web-*, app; bob = db-*";

	is_str(rules("", out, sizeof(out)), "", "empty: no rules");
	is_str(rules("web-*:30d:10GiB, *:90d", out, sizeof(out)),
	    "web-*/2592000000/10737418240 */7776000000/0",
	    "age and size; age only");
	is_str(rules("a:1s,b:2m,c:3h,d:1w", out, sizeof(out)),
	    "a/1000/0 b/120000/0 c/10800000/0 d/604800000/0", "units s m h w");
	is_str(rules("logs:-:500M, x:-:1024, y:-:2KB, z:-:1TiB", out,
	    sizeof(out)),
	    "logs/0/524288000 x/0/1024 y/0/2048 z/0/1099511627776",
	    "size only, with and without a unit");
	is_str(rules("web", out, sizeof(out)),
	    "error: rule \"web\": expected PATTERN:AGE[:SIZE]", "no age");
	is_str(rules("web:30x", out, sizeof(out)),
	    "error: rule \"web:30x\": bad age \"30x\" (a positive number with "
	    "s, m, h, d or w, or '-')", "bad unit");
	is_str(rules("web:0d", out, sizeof(out)),
	    "error: rule \"web:0d\": bad age \"0d\" (a positive number with "
	    "s, m, h, d or w, or '-')", "zero age");
	is_str(rules("web:1d:10Q", out, sizeof(out)),
	    "error: rule \"web:1d:10Q\": bad size \"10Q\" (a positive number "
	    "of bytes, with K, M, G or T and optionally iB)", "bad size");
	is_str(rules("web:-", out, sizeof(out)),
	    "error: rule \"web:-\": neither an age nor a size", "no limit");
	is_str(rules("../x:1d", out, sizeof(out)),
	    "error: rule \"../x:1d\": the index pattern must be letters, "
	    "digits, '.', '_', '-' and '*' (at most 200 bytes)", "bad pattern");
	is_str(rules("a:1d:1G:3", out, sizeof(out)),
	    "error: rule \"a:1d:1G:3\": expected PATTERN:AGE[:SIZE]",
	    "too many fields");
	is_int(retention_parse("web-*:1d, *:2d", &r, &n, out, sizeof(out)), 0,
	    "parse for find");
	is_str(retention_find(r, n, "web-1")->rr_pattern, "web-*",
	    "the first matching rule wins");
	is_str(retention_find(r, n, "app")->rr_pattern, "*", "the catch-all");
	free(r);
	is_int(retention_parse("web-*:1d", &r, &n, out, sizeof(out)), 0,
	    "parse one rule");
	ok(retention_find(r, n, "app") == NULL, "no rule: kept for ever");
	free(r);

	is_str(check("", out, sizeof(out)), "ok", "empty access: fine");
	is_str(check(acl, out, sizeof(out)), "ok", "two users");
	is_str(check("alice", out, sizeof(out)),
	    "error: a rule is USER=PATTERN[,PATTERN...] (at \"alice\")",
	    "no '='");
	is_str(check("=web", out, sizeof(out)),
	    "error: a rule names no user (at \"=web\")", "no user");
	is_str(check("alice=web,,x", out, sizeof(out)),
	    "error: an empty index pattern (at \"alice=web,,x\")",
	    "empty pattern");
	is_str(check("alice=../x", out, sizeof(out)),
	    "error: an index pattern holds a character index names cannot "
	    "(letters, digits, '.', '_', '-' and '*') (at \"alice=../x\")",
	    "bad pattern");
	is_int(access_configured(""), 0, "empty: not configured");
	is_int(access_configured(" ; "), 0, "blank: not configured");
	is_int(access_configured(acl), 1, "configured");
	is_int(access_may_read("", "anyone", "web-1"), 1,
	    "not configured: everyone reads everything");
	is_int(access_may_read(acl, "alice", "web-1"), 1, "alice reads web-*");
	is_int(access_may_read(acl, "alice", "app"), 1, "alice reads app");
	is_int(access_may_read(acl, "alice", "app2"), 0, "but not app2");
	is_int(access_may_read(acl, "alice", "db-1"), 0, "nor db-*");
	is_int(access_may_read(acl, "bob", "db-1"), 1, "bob reads db-*");
	is_int(access_may_read(acl, "bob", "web-1"), 0, "not web-*");
	is_int(access_may_read(acl, "carol", "web-1"), 0,
	    "a user in no rule reads nothing");
	is_int(access_may_read(acl, "ali", "web-1"), 0,
	    "a user name is matched whole");
	return done_testing();
}
