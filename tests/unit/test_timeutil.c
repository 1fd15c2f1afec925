/* test_timeutil.c - calendar arithmetic, ISO-8601, event time fields. */
#include <stdint.h>
#include <string.h>

#include <jansson.h>

#include "common/evtime.h"
#include "common/timeutil.h"
#include "tap.h"

/* Parses s (whole string); returns the ms, or INT64_MIN when rejected. */
static int64_t
parse(const char *s)
{
	int64_t ms;

	if (time_parse_iso(s, strlen(s), &ms) == -1)
		return INT64_MIN;
	return ms;
}

/* Calendar conversions; expected values from `date -u -d ... +%s`. */
static void
test_civil(void)
{
	int64_t y, bad = 0;
	unsigned m, d;

	is_int(time_days_from_civil(1970, 1, 1), 0, "epoch is day 0");
	is_int(time_days_from_civil(1969, 12, 31), -1, "1969-12-31 is day -1");
	is_int(time_days_from_civil(2000, 3, 1), 11017, "2000-03-01");
	is_int(time_days_from_civil(2026, 11, 28), 20785, "2026-11-28");
	is_int(time_days_from_civil(2400, 2, 29), 157113, "2400-02-29");
	is_int(time_days_from_civil(1900, 3, 1), -25508, "1900-03-01");
	is_int(time_days_from_civil(1600, 1, 1), -135140, "1600-01-01");
	is_int(time_days_from_civil(0, 1, 1), -719528, "year 0");

	time_civil_from_days(20785, &y, &m, &d);
	ok(y == 2026 && m == 11 && d == 28, "day 20785 is 2026-11-28");
	time_civil_from_days(-1, &y, &m, &d);
	ok(y == 1969 && m == 12 && d == 31, "day -1 is 1969-12-31");
	time_civil_from_days(11016, &y, &m, &d);
	ok(y == 2000 && m == 2 && d == 29, "day 11016 is 2000-02-29");

	/* Round trip and continuity over about +-2700 years. */
	{
		int64_t py;
		unsigned pm, pd;

		time_civil_from_days(-1000001, &py, &pm, &pd);
		for (int64_t day = -1000000; day <= 1000000; day++) {
			time_civil_from_days(day, &y, &m, &d);
			if (time_days_from_civil(y, m, d) != day)
				bad++;
			/* The next day is either d+1, or the 1st. */
			if (!(y == py && m == pm && d == pd + 1) &&
			    !(d == 1 && (m == pm + 1 || (m == 1 && pm == 12 &&
			    y == py + 1))))
				bad++;
			py = y;
			pm = m;
			pd = d;
		}
	}
	is_int(bad, 0, "days <-> civil round trip, 2 million days");
}

static void
test_format(void)
{
	char buf[32];

	is_str(time_format_iso(0, buf), "1970-01-01T00:00:00.000Z", "epoch");
	is_str(time_format_iso(-1, buf), "1969-12-31T23:59:59.999Z",
	    "one ms before the epoch");
	is_str(time_format_iso(1795862956123LL, buf),
	    "2026-11-28T10:49:16.123Z", "2026 with ms");
	is_str(time_format_iso(951868799999LL, buf),
	    "2000-02-29T23:59:59.999Z", "leap day 2000");
	is_str(time_format_iso(253402300799999LL, buf),
	    "9999-12-31T23:59:59.999Z", "last ms of year 9999");
	is_str(time_format_iso(-62167219200000LL, buf),
	    "0000-01-01T00:00:00.000Z", "year 0");
	ok(strlen(time_format_iso(INT64_MIN, buf)) < 32 &&
	    strlen(time_format_iso(INT64_MAX, buf)) < 32,
	    "extreme values fit the 32-byte buffer");
}

static void
test_parse(void)
{
	int64_t ms = 0;

	is_int(parse("2026-11-28"), 1795824000000LL, "date only is 00:00 UTC");
	is_int(parse("2026-11-28T10:00"), 1795860000000LL, "no seconds");
	is_int(parse("2026-11-28T10:00:00"), 1795860000000LL, "no zone is UTC");
	is_int(parse("2026-11-28T10:00:00Z"), 1795860000000LL, "Z");
	is_int(parse("2026-11-28 10:00:00Z"), 1795860000000LL,
	    "space instead of T");
	is_int(parse("2026-11-28T10:49:16.123Z"), 1795862956123LL, "fraction");
	is_int(parse("2026-11-28T10:49:16.1Z"), 1795862956100LL,
	    "one fraction digit is tenths");
	is_int(parse("2026-11-28T10:49:16.123456789Z"), 1795862956123LL,
	    "nine fraction digits truncated to ms");
	is_int(parse("2026-11-28T10:49:16.9999"), 1795862956999LL,
	    "fraction truncated, not rounded");
	is_int(parse("2026-11-28T10:00:00+03:00"), 1795849200000LL, "+03:00");
	is_int(parse("2026-11-28T10:00:00+0300"), 1795849200000LL, "+0300");
	is_int(parse("2026-11-28T10:00:00-03"), 1795870800000LL, "-03");
	is_int(parse("2026-11-28T10:00:00-05:30"), 1795879800000LL, "-05:30");
	is_int(parse("2026-11-28T10:00-0530"), 1795879800000LL,
	    "zone after minutes");
	is_int(parse("2024-02-29"), 1709164800000LL, "leap day 2024");
	is_int(parse("2000-02-29T23:59:59.999Z"), 951868799999LL,
	    "leap day 2000");
	is_int(parse("1969-12-31"), -86400000LL, "before the epoch");
	ok(time_parse_iso("2026-11-28XYZ", 10, &ms) == 0 &&
	    ms == 1795824000000LL, "only len bytes are read");

	is_int(parse("2026-13-01"), INT64_MIN, "month 13 rejected");
	is_int(parse("2026-00-01"), INT64_MIN, "month 0 rejected");
	is_int(parse("2026-11-00"), INT64_MIN, "day 0 rejected");
	is_int(parse("2026-02-29"), INT64_MIN, "Feb 29 of 2026 rejected");
	is_int(parse("2100-02-29"), INT64_MIN, "Feb 29 of 2100 rejected");
	is_int(parse("2026-02-30"), INT64_MIN, "Feb 30 rejected");
	is_int(parse("2026-04-31"), INT64_MIN, "Apr 31 rejected");
	is_int(parse("2026-11-28T24:00"), INT64_MIN, "hour 24 rejected");
	is_int(parse("2026-11-28T10:60"), INT64_MIN, "minute 60 rejected");
	is_int(parse("2026-11-28T10:00:60"), INT64_MIN, "second 60 rejected");
	is_int(parse("2026-11-28x"), INT64_MIN, "trailing garbage rejected");
	is_int(parse("2026-11-28T10:00:00Zx"), INT64_MIN,
	    "garbage after the zone rejected");
	is_int(parse("2026-11-28T10"), INT64_MIN, "hour alone rejected");
	is_int(parse("2026-11-28T"), INT64_MIN, "bare T rejected");
	is_int(parse("2026-11-28T10:00:00."), INT64_MIN,
	    "empty fraction rejected");
	is_int(parse("2026-11-28T10:00:00.1234567891"), INT64_MIN,
	    "ten fraction digits rejected");
	is_int(parse("2026-11-28T10:00:00+3"), INT64_MIN,
	    "one-digit zone rejected");
	is_int(parse("2026-11-28T10:00:00+03:0"), INT64_MIN,
	    "short zone minutes rejected");
	is_int(parse("2026-11-28T10:00:00+24:00"), INT64_MIN,
	    "zone hour 24 rejected");
	is_int(parse("2026-11-28Z"), INT64_MIN, "zone without a time rejected");
	is_int(parse("26-11-28"), INT64_MIN, "two-digit year rejected");
	is_int(parse("2026-1-28"), INT64_MIN, "one-digit month rejected");
	is_int(parse(""), INT64_MIN, "empty rejected");
	is_int(parse("now"), INT64_MIN, "words rejected");
}

static void
test_clocks(void)
{
	int64_t a, b;

	a = time_now_ms();
	ok(a > 1577836800000LL, "wall clock is after 2020-01-01");
	a = time_mono_ms();
	b = time_mono_ms();
	ok(b >= a, "monotonic clock does not go back");
}

/* Reads the time of the JSON text js; returns ms, or INT64_MIN if none. */
static int64_t
evtime(const char *js)
{
	json_t *v = json_loads(js, JSON_DECODE_ANY, NULL);
	int64_t ms;
	int r;

	if (v == NULL)
		return INT64_MAX;
	r = evtime_from_json(v, &ms);
	json_decref(v);
	return r == 0 ? ms : INT64_MIN;
}

/* evtime.c: field paths and the time values of events. */
static void
test_evtime(void)
{
	json_t *ev;

	ev = json_loads("{\"a.b\": 1, \"a\": {\"b\": 2, \"c\": {\"d\": 3}},"
	    " \"x\": {\"y\": 4}, \"s\": \"str\"}", 0, NULL);
	ok(ev != NULL, "event parsed");
	is_int(json_integer_value(field_get(ev, "a.b")), 1,
	    "a top-level dotted key wins over the nested path");
	is_int(json_integer_value(field_get(ev, "a.c.d")), 3,
	    "dots walk nested objects");
	is_int(json_integer_value(field_get(ev, "x.y")), 4, "two levels");
	ok(field_get(ev, "x.z") == NULL, "missing nested key");
	ok(field_get(ev, "s.t") == NULL, "walking into a string");
	ok(field_get(ev, "a.c.d.e") == NULL, "walking past a number");
	ok(field_get(ev, "nope") == NULL, "missing top-level key");
	ok(json_is_object(field_get(ev, "a")), "plain key");
	ok(field_get(json_object_get(ev, "s"), "a") == NULL, "not an object");
	json_decref(ev);

	is_int(evtime("\"2026-11-28T10:00:00+03:00\""), 1795849200000LL,
	    "ISO string");
	is_int(evtime("1795862956123"), 1795862956123LL, "integer ms");
	is_int(evtime("1795862956"), 1795862956000LL, "integer seconds");
	is_int(evtime("99999999999"), 99999999999000LL,
	    "just below 10^11 is seconds");
	is_int(evtime("100000000000"), 100000000000LL, "10^11 is ms");
	is_int(evtime("-86400"), -86400000LL, "negative seconds");
	is_int(evtime("0"), 0, "zero");
	is_int(evtime("1795862956.5"), 1795862956500LL, "real seconds");
	is_int(evtime("1795862956123.0"), 1795862956123LL, "real ms");
	is_int(evtime("-1.5"), -1500LL, "negative real seconds");
	is_int(evtime("1e300"), INT64_MIN, "real too large");
	is_int(evtime("\"1795862956123\""), 1795862956123LL, "digit string ms");
	is_int(evtime("\"1795862956\""), 1795862956000LL,
	    "digit string seconds");
	is_int(evtime("\"-86400\""), -86400000LL, "negative digit string");
	is_int(evtime("\"99999999999999999999\""), INT64_MIN,
	    "digit string too large");
	is_int(evtime("\"\""), INT64_MIN, "empty string");
	is_int(evtime("\"-\""), INT64_MIN, "lone minus");
	is_int(evtime("\"12a\""), INT64_MIN, "digits then garbage");
	is_int(evtime("\"yesterday\""), INT64_MIN, "words");
	is_int(evtime("\"2026-02-30\""), INT64_MIN, "invalid date");
	is_int(evtime("true"), INT64_MIN, "boolean");
	is_int(evtime("null"), INT64_MIN, "null");
	is_int(evtime("{}"), INT64_MIN, "object");
	ok(evtime_from_json(NULL, &(int64_t){0}) == -1, "NULL value");
}

int
main(void)
{
	test_civil();
	test_format();
	test_parse();
	test_clocks();
	test_evtime();
	return done_testing();
}
