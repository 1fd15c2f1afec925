/* test_cron.c - cron expressions: parsing, next fire times, DST, gaps. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/cron.h"
#include "common/timeutil.h"
#include "tap.h"

/* Parses iso (UTC) into epoch seconds. */
static int64_t
at(const char *iso)
{
	int64_t ms = 0;

	if (time_parse_iso(iso, strlen(iso), &ms) == -1)
		printf("# bad date %s\n", iso);
	return ms / 1000;
}

/* Returns the next fire of expr after iso as ISO UTC text (static). */
static const char *
next(const char *expr, const char *iso, int utc)
{
	static char out[300];
	struct cron c;
	char err[256];
	int64_t n;

	if (cron_parse(expr, &c, err, sizeof(err)) == -1) {
		snprintf(out, sizeof(out), "parse: %s", err);
		return out;
	}
	if (cron_next(&c, at(iso), utc, &n) == -1)
		return "never";
	time_format_iso(n * 1000, out);
	return out;
}

/* Returns cron_parse's message for expr, or "ok" (static). */
static const char *
perr(const char *expr)
{
	static char err[256];
	struct cron c;

	if (cron_parse(expr, &c, err, sizeof(err)) == 0)
		return "ok";
	return err;
}

static void
test_utc(void)
{
	is_str(next("*/5 * * * *", "2026-12-04T10:02:30Z", 1),
	    "2026-12-04T10:05:00.000Z", "*/5 from 10:02:30");
	is_str(next("*/5 * * * *", "2026-12-04T10:05:00Z", 1),
	    "2026-12-04T10:10:00.000Z", "strictly after: 10:05 -> 10:10");
	is_str(next("*/5 * * * *", "2026-12-31T23:59:00Z", 1),
	    "2027-01-01T00:00:00.000Z", "*/5 across the new year");
	is_str(next("0 0 29 2 *", "2026-03-01T00:00:00Z", 1),
	    "2028-02-29T00:00:00.000Z", "29 February: the next leap year");
	is_str(next("0 0 29 2 *", "2028-02-29T00:00:00Z", 1),
	    "2032-02-29T00:00:00.000Z", "29 February after one");
	is_str(next("0 0 30 2 *", "2026-01-01T00:00:00Z", 1), "never",
	    "30 February never fires");
	is_str(next("@hourly", "2026-12-04T10:00:00Z", 1),
	    "2026-12-04T11:00:00.000Z", "@hourly");
	is_str(next("@daily", "2026-12-04T10:00:00Z", 1),
	    "2026-12-05T00:00:00.000Z", "@daily");
	is_str(next("@midnight", "2026-12-04T10:00:00Z", 1),
	    "2026-12-05T00:00:00.000Z", "@midnight");
	/* 2026-12-04 is a Friday. */
	is_str(next("@weekly", "2026-12-04T10:00:00Z", 1),
	    "2026-12-06T00:00:00.000Z", "@weekly: Sunday 00:00");
	is_str(next("@monthly", "2026-12-04T10:00:00Z", 1),
	    "2027-01-01T00:00:00.000Z", "@monthly");
	is_str(next("@yearly", "2026-12-04T10:00:00Z", 1),
	    "2027-01-01T00:00:00.000Z", "@yearly");
	is_str(next("@annually", "2027-01-01T00:00:00Z", 1),
	    "2028-01-01T00:00:00.000Z", "@annually");
	is_str(next("0 9 * * mon-fri", "2026-12-04T10:00:00Z", 1),
	    "2026-12-07T09:00:00.000Z", "weekdays at 9: Friday 10:00 -> "
	    "Monday");
	is_str(next("0 9 * * 7", "2026-12-04T10:00:00Z", 1),
	    "2026-12-06T09:00:00.000Z", "day 7 is Sunday");
	is_str(next("30 8 * JAN,jul *", "2026-12-04T10:00:00Z", 1),
	    "2027-01-01T08:30:00.000Z", "month names, any case");
	is_str(next("15,45 1-3/2 * * *", "2026-12-04T01:50:00Z", 1),
	    "2026-12-04T03:15:00.000Z", "lists, a range with a step");
	is_str(next("10/20 * * * *", "2026-12-04T10:31:00Z", 1),
	    "2026-12-04T10:50:00.000Z", "N/STEP runs to the field's end");
	/* Vixie: both day fields restricted -> either; one '*' -> both. */
	is_str(next("0 0 13 * fri", "2026-12-04T10:00:00Z", 1),
	    "2026-12-11T00:00:00.000Z", "13th OR Friday: Friday 11th first");
	is_str(next("0 0 13 * fri", "2026-12-12T00:00:00Z", 1),
	    "2026-12-13T00:00:00.000Z", "13th OR Friday: then the 13th");
	/* Odd days AND Friday: not Saturday 5th (odd), but Friday 11th. */
	is_str(next("0 0 */2 * fri", "2026-12-04T10:00:00Z", 1),
	    "2026-12-11T00:00:00.000Z", "*/2 day-of-month is a star: AND");
	is_str(next("0 0 1 * *", "2026-01-31T00:00:00Z", 1),
	    "2026-02-01T00:00:00.000Z", "first of the month");
}

static void
test_dst(void)
{
	setenv("TZ", "Europe/Berlin", 1);
	tzset();
	/* Spring: 2026-03-29 02:00 CET -> 03:00 CEST (01:00Z). */
	is_str(next("30 2 * * *", "2026-03-28T12:00:00Z", 0),
	    "2026-03-30T00:30:00.000Z", "02:30 skipped on 29 March; "
	    "next is 30 March 02:30 CEST");
	is_str(next("30 2 * * *", "2026-03-27T12:00:00Z", 0),
	    "2026-03-28T01:30:00.000Z", "02:30 CET on 28 March");
	is_str(next("0 3 * * *", "2026-03-28T12:00:00Z", 0),
	    "2026-03-29T01:00:00.000Z", "03:00 CEST exists on 29 March");
	is_str(next("*/30 * * * *", "2026-03-29T00:45:00Z", 0),
	    "2026-03-29T01:00:00.000Z", "*/30: 01:30 CET then 03:00 CEST");
	/* Autumn: 2026-10-25 03:00 CEST -> 02:00 CET (01:00Z). */
	is_str(next("30 2 * * *", "2026-10-24T12:00:00Z", 0),
	    "2026-10-25T00:30:00.000Z", "02:30 repeated: first (CEST)");
	is_str(next("30 2 * * *", "2026-10-25T00:30:00Z", 0),
	    "2026-10-26T01:30:00.000Z", "... and not again at 02:30 CET");
	is_str(next("0 * * * *", "2026-10-25T00:00:00Z", 0),
	    "2026-10-25T02:00:00.000Z", "hourly: 02:00 CEST, then 03:00 CET "
	    "(02:00 CET is a repeat)");
	is_str(next("0 0 * * *", "2026-12-04T10:00:00Z", 0),
	    "2026-12-04T23:00:00.000Z", "@daily in Berlin is 23:00Z");
	setenv("TZ", "UTC", 1);
	tzset();
	is_str(next("0 0 * * *", "2026-12-04T10:00:00Z", 0),
	    "2026-12-05T00:00:00.000Z", "TZ=UTC: local is UTC");
}

static void
test_errors(void)
{
	is_str(perr("* * * *"), "a schedule has 5 fields (minute hour "
	    "day-of-month month day-of-week) or is a name such as @hourly; "
	    "'* * * *' has 4", "four fields");
	is_str(perr("* * * * * *"), "a schedule has 5 fields (minute hour "
	    "day-of-month month day-of-week) or is a name such as @hourly; "
	    "'* * * * * *' has more than 5", "six fields");
	is_str(perr(""), "a schedule has 5 fields (minute hour "
	    "day-of-month month day-of-week) or is a name such as @hourly; "
	    "'' has 0", "empty");
	is_str(perr("60 * * * *"), "field 1 (minute): 60 is out of range "
	    "0-59", "minute 60");
	is_str(perr("0 24 * * *"), "field 2 (hour): 24 is out of range 0-23",
	    "hour 24");
	is_str(perr("0 0 0 * *"), "field 3 (day-of-month): 0 is out of "
	    "range 1-31", "day 0");
	is_str(perr("0 0 1 13 *"), "field 4 (month): 13 is out of range "
	    "1-12", "month 13");
	is_str(perr("0 0 * * 8"), "field 5 (day-of-week): 8 is out of range "
	    "0-7 (0 and 7 are Sunday)", "day-of-week 8");
	is_str(perr("0 0 * foo *"), "field 4 (month): 'foo' is not a month "
	    "(1-12 or jan-dec)", "bad month name");
	is_str(perr("0 0 * * funday"), "field 5 (day-of-week): 'funday' is "
	    "not a day of the week (0-7 or sun-sat)", "bad day name");
	is_str(perr("x * * * *"), "field 1 (minute): 'x' is not a number",
	    "letters in minute");
	is_str(perr("*/0 * * * *"), "field 1 (minute): step in '*/0' must "
	    "be a number from 1 to 59", "step 0");
	is_str(perr("5-1 * * * *"), "field 1 (minute): range '5-1' ends "
	    "before it starts", "backwards range");
	is_str(perr("1,,2 * * * *"), "field 1 (minute): '1,,2' has an empty "
	    "list item", "empty list item");
	is_str(perr("1-2-3 * * * *"), "field 1 (minute): '1-2-3' is not *, "
	    "N, N-M or one of them with /STEP", "junk after a range");
	is_str(perr("@every5m"), "'@every5m' is not one of @yearly, "
	    "@annually, @monthly, @weekly, @daily, @midnight, @hourly",
	    "unknown name");
	is_str(perr("  @HOURLY "), "ok", "names in any case, blanks around");
}

static void
test_gap(void)
{
	struct cron c;
	char err[256];
	int64_t gap = 0;

	cron_parse("*/5 * * * *", &c, err, sizeof(err));
	is_int(cron_min_gap_ok(&c, 300, &gap), 0, "*/5 with a 300 s floor");
	is_int(cron_min_gap_ok(&c, 301, &gap), -1, "*/5 with a 301 s floor");
	is_int(gap, 300, "... its gap is 300 s");
	cron_parse("0,1 * * * *", &c, err, sizeof(err));
	gap = 0;
	is_int(cron_min_gap_ok(&c, 3600, &gap), -1, "0,1: 60 s apart");
	is_int(gap, 60, "... gap 60 s");
	cron_parse("0 0,23 * * *", &c, err, sizeof(err));
	gap = 0;
	is_int(cron_min_gap_ok(&c, 7200, &gap), -1, "23:00 then 00:00");
	is_int(gap, 3600, "... gap one hour across midnight");
	cron_parse("0 0,23 * * 1", &c, err, sizeof(err));
	is_int(cron_min_gap_ok(&c, 7200, &gap), 0, "Mondays only: the "
	    "midnight wrap never happens");
	cron_parse("@daily", &c, err, sizeof(err));
	is_int(cron_min_gap_ok(&c, 86400, &gap), 0, "@daily: one day");
}

int
main(void)
{
	test_utc();
	test_dst();
	test_errors();
	test_gap();
	return done_testing();
}
