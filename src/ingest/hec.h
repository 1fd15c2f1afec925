/* hec.h - Splunk HTTP Event Collector bodies turned into stored events. */
#ifndef AR_HEC_H
#define AR_HEC_H

#include <stddef.h>
#include <stdint.h>

/* Splunk's answer codes that a body can cause. */
#define HEC_NO_DATA		5	/* "No data" */
#define HEC_INVALID_FORMAT	6	/* "Invalid data format" */
#define HEC_INCORRECT_INDEX	7	/* "Incorrect index" */
#define HEC_EVENT_REQUIRED	12	/* "Event field is required" */
#define HEC_EVENT_BLANK		13	/* "Event field cannot be blank" */

/* Defaults an event takes when it names none (query-string parameters). */
struct hec_defaults {
	const char	*hd_host;	/* NULL when not given */
	const char	*hd_source;
	const char	*hd_sourcetype;
	const char	*hd_index;	/* the token's index: the only one allowed */
	const char	*hd_time_field;	/* where the time is written */
	int64_t		 hd_now_ms;	/* receipt time */
};

/* Walks a body; holds only positions in it (the caller keeps the body). */
struct hec_reader {
	const char	*hr_p;
	const char	*hr_end;
	size_t		 hr_n;		/* events read */
	int		 hr_raw;	/* /raw: one event per line */
};

/* One event ready to store. he_json is malloc'd (caller frees). */
struct hec_event {
	char		*he_json;
	size_t		 he_len;
	int64_t		 he_ms;
};

/* Starts reading body[0..len); raw selects the /raw format. */
void hec_reader_init(struct hec_reader *, const char *body, size_t len,
    int raw);

/*
 * Reads the next event. For /event: one JSON object {"event": string or
 * object (required, not blank), "time": epoch seconds (a number or a string
 * of one, fractions kept to the millisecond), "host", "source",
 * "sourcetype", "index" (must be the token's, when given), "fields":
 * object}; objects follow one another with or without white space. For
 * /raw: each line that is not blank is one event {"message": line}.
 *
 * The stored object is the event object's members (a string event becomes
 * "message"), then host, source, sourcetype and the members of "fields"
 * that it does not already have, and the time field (d->hd_time_field):
 * the HEC "time" when given; else the event's own time field when it is
 * readable; else the receipt time with "_time_missing": true.
 *
 * Returns 1 and *ev; 0 at the end; or -1 with a Splunk code in *code and a
 * reason in err (the event is hr_n - 1, 0-based, in Splunk's
 * "invalid-event-number").
 */
int hec_next(struct hec_reader *, const struct hec_defaults *d,
    struct hec_event *ev, int *code, char *err, size_t errlen);

#endif
