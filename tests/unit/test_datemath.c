/* test_datemath.c - date math: units, rounding, anchors, every error. */
#include <stdint.h>
#include <string.h>

#include "common/datemath.h"
#include "tap.h"

/* The fixed "now" of every case: 2026-11-28T10:49:16.123Z, a Saturday. */
#define NOW	1795862956123LL

/* Checks that expr evaluates to want (epoch ms from `date -u -d`). */
#define DM_OK(expr, want) do { \
	int64_t dm_v_ = 0; \
	char dm_e_[128] = ""; \
	int dm_r_ = datemath_parse((expr), NOW, &dm_v_, dm_e_, \
	    sizeof(dm_e_)); \
	ok(dm_r_ == 0 && dm_v_ == (int64_t)(want), "%s", (expr)); \
	if (dm_r_ != 0 || dm_v_ != (int64_t)(want)) \
		printf("#   got %lld (%s), want %lld\n", (long long)dm_v_, \
		    dm_e_, (long long)(want)); \
} while (0)

/* Checks that expr fails with exactly the reason want. */
#define DM_ERR(expr, want) do { \
	int64_t dm_v_ = 0; \
	char dm_e_[128] = ""; \
	int dm_r_ = datemath_parse((expr), NOW, &dm_v_, dm_e_, \
	    sizeof(dm_e_)); \
	ok(dm_r_ == -1, "%s fails", (expr)); \
	is_str(dm_e_, (want), "%s: reason", (expr)); \
} while (0)

static void
test_units(void)
{
	DM_OK("now", NOW);
	DM_OK("now-15m", 1795862056123LL);
	DM_OK("now+1h", 1795866556123LL);
	DM_OK("now-1H", 1795859356123LL);
	DM_OK("now-1d", 1795776556123LL);
	DM_OK("now-2w", 1794653356123LL);
	DM_OK("now-1s", 1795862955123LL);
	DM_OK("now-1M", 1793184556123LL);
	DM_OK("now+14M", 1832669356123LL);
	DM_OK("now-1y", 1764326956123LL);
	DM_OK("now+1y", 1827398956123LL);
	DM_OK("now+0d", NOW);
	DM_OK("  now-1d\t", 1795776556123LL);
}

static void
test_rounding(void)
{
	DM_OK("now/s", 1795862956000LL);
	DM_OK("now/m", 1795862940000LL);
	DM_OK("now/h", 1795860000000LL);
	DM_OK("now/H", 1795860000000LL);
	DM_OK("now/d", 1795824000000LL);
	DM_OK("now/w", 1795392000000LL);	/* Monday 2026-11-23 */
	DM_OK("now/M", 1793491200000LL);	/* 2026-11-01 */
	DM_OK("now/y", 1767225600000LL);	/* 2026-01-01 */
	DM_OK("now-1d/d", 1795737600000LL);
	DM_OK("now-1M/M", 1790812800000LL);
	DM_OK("now-1d+2h/h", 1795780800000LL);
	DM_OK("2026-11-30T05:00||/w", 1795996800000LL);	/* a Monday */
	DM_OK("2026-11-29T23:00||/w", 1795392000000LL);	/* a Sunday */
	DM_OK("1969-12-31T12:00Z||/w", -259200000LL);	/* Mon 1969-12-29 */
	DM_OK("1969-12-31T23:59:59.500Z||/s", -1000LL);
	DM_OK("1969-12-15T06:00Z||/M", -2678400000LL);
	DM_OK("1969-12-15T06:00Z||/y", -31536000000LL);
}

static void
test_calendar(void)
{
	DM_OK("2026-01-31||+1M", 1772236800000LL);	/* 2026-02-28 */
	DM_OK("2024-01-31||+1M", 1709164800000LL);	/* 2024-02-29 */
	DM_OK("2024-02-29||+1y", 1740700800000LL);	/* 2025-02-28 */
	DM_OK("2026-03-31||-1M", 1772236800000LL);	/* 2026-02-28 */
	DM_OK("2024-03-31||-13M", 1677542400000LL);	/* 2023-02-28 */
	DM_OK("2026-01-31T10:30:00Z||+1M", 1772274600000LL);
}

static void
test_anchors(void)
{
	DM_OK("2026-11-28", 1795824000000LL);
	DM_OK("2026-11-28T10:00:00Z", 1795860000000LL);
	DM_OK("2026-11-28T10:00:00+03:00", 1795849200000LL);
	DM_OK("2026-11-28T10:00:00-0530", 1795879800000LL);
	DM_OK("2026-11-28T10:49:16.1Z", 1795862956100LL);
	DM_OK("2026-11-28T10:49:16.123456Z", 1795862956123LL);
	DM_OK("2026-11-28||+1d/d", 1795910400000LL);
	DM_OK("2026-11-28||", 1795824000000LL);
	DM_OK("2026-11-28T10:00:00+03:00||+1h", 1795852800000LL);
	DM_OK("1795862956123", NOW);
	DM_OK("0", 0);
	DM_OK("-86400000", -86400000LL);
	DM_OK("1795824000000||+1d", 1795910400000LL);
}

static void
test_errors(void)
{
	int64_t v = 42;

	DM_ERR("now-1x", "unknown unit 'x'");
	DM_ERR("now-1min", "unknown unit 'min'");
	DM_ERR("now/x", "unknown unit 'x'");
	DM_ERR("now-1abcdefghijklmnopqrstuvwxyz",
	    "unknown unit 'abcdefghijklmnopqrstuvwx...'");
	DM_ERR("now-d", "missing number before unit 'd'");
	DM_ERR("now-", "missing number after '-'");
	DM_ERR("now+/d", "missing number after '+'");
	DM_ERR("now-15", "missing unit after '-15'");
	DM_ERR("now/", "missing unit after '/'");
	DM_ERR("now/1d", "unexpected number after '/'");
	DM_ERR("nowx", "expected '+', '-' or '/' after 'now'");
	DM_ERR("now -1d", "expected '+', '-' or '/' after 'now'");
	DM_ERR("now-1d x", "expected '+', '-' or '/' at ' '");
	DM_ERR("2026-11-28||x", "expected '+', '-' or '/' after '||'");
	DM_ERR("2026-11-28|+1d", "expected '||' after the date");
	DM_ERR("foo", "not a date: 'foo'");
	DM_ERR("2026-13-01", "not a date: '2026-13-01'");
	DM_ERR("2026-02-30||+1d", "not a date: '2026-02-30'");
	DM_ERR("2026-11-28T10:00:00.000Zjunk",
	    "not a date: '2026-11-28T10:00:00.000Z...'");
	DM_ERR("-", "not a date: '-'");
	DM_ERR("", "empty date");
	DM_ERR(" \t ", "empty date");
	DM_ERR("||+1d", "empty date");
	DM_ERR("now-99999999999999999999d",
	    "number too large: '99999999999999999999'");
	DM_ERR("now+9999999999999d", "date out of range");
	DM_ERR("now+300000y", "date out of range");
	DM_ERR("now-9223372036854775807s", "date out of range");
	DM_ERR("now-9223372036854775807M", "date out of range");
	DM_ERR("99999999999999999999", "date out of range");
	DM_ERR("9000000000000000", "date out of range");

	ok(datemath_parse("now-1x", NOW, &v, NULL, 0) == -1 && v == 42,
	    "no error buffer: fails, *out untouched");
	ok(datemath_parse(NULL, NOW, &v, NULL, 0) == -1, "NULL expression");
}

int
main(void)
{
	test_units();
	test_rounding();
	test_calendar();
	test_anchors();
	test_errors();
	return done_testing();
}
