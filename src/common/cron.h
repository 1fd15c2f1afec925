/* cron.h - 5-field cron expressions: parsing and the next fire time. */
#ifndef AR_CRON_H
#define AR_CRON_H

#include <stddef.h>
#include <stdint.h>

/*
 * A parsed schedule: one bit per allowed value of each field. cr_dom_star
 * and cr_dow_star say whether that field was written starting with '*'
 * (Vixie cron: when both day fields are restricted a day matches when
 * either matches, else both must).
 */
struct cron {
	uint64_t cr_min;	/* bit 0..59 */
	uint32_t cr_hour;	/* bit 0..23 */
	uint32_t cr_dom;	/* bit 1..31 */
	uint16_t cr_mon;	/* bit 1..12 */
	uint8_t cr_dow;		/* bit 0..6, Sunday 0 */
	int cr_dom_star;
	int cr_dow_star;
};

/*
 * Parses expr: five fields "minute hour day-of-month month day-of-week",
 * each a comma list of '*', N or N-M, any of them with "/STEP"
 * ("N/STEP" is N to the field's end), months jan-dec and days sun-sat by
 * name (any case), day-of-week 7 for Sunday; or one of @yearly @annually
 * @monthly @weekly @daily @midnight @hourly. Returns 0, or -1 with a
 * reason naming the field and value in err ("field 2 (hour): 24 is out
 * of range 0-23"). A valid expression that never fires (30 February) is
 * refused by cron_next, not here.
 */
int cron_parse(const char *expr, struct cron *c, char *err, size_t errlen);

/*
 * Sets *next to the first fire time strictly after after (epoch seconds)
 * in the process's time zone (TZ, as localtime_r reads it), or in UTC
 * when utc is set. A wall time that a DST change skips does not fire that
 * day; one that it repeats fires once, at its first occurrence. Returns
 * 0, or -1 when the schedule does not fire within nine years (it never
 * does: "0 0 30 2 *").
 */
int cron_next(const struct cron *c, int64_t after, int utc, int64_t *next);

/*
 * Checks that c never fires twice within limit seconds, on the wall clock
 * (UTC: DST is ignored). Returns 0, or -1 with *gap set to a gap shorter
 * than limit that it has (the shortest one, as far as the search went).
 */
int cron_min_gap_ok(const struct cron *c, int64_t limit, int64_t *gap);

#endif
