/* test_formats.c - the log file formats of "asyncreq ingest --format":
 * exact JSON for the RFC 3164 and RFC 5424 examples and for lines that
 * nginx, Apache and lighttpd write. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ingest/fmt.h"

#include "tap.h"

/* 2026-12-03T10:00:00Z, the "now" of every case. */
#define NOW_MS	1796292000000LL

/*
 * Checks that line, read as kind, gives exactly want and return code rc
 * (1 parsed, 0 kept unparsed).
 */
static void
check(enum fmt_kind kind, const char *line, int rc, const char *want,
    const char *name)
{
	char *out = NULL;
	size_t outlen = 0;
	int got = fmt_line(kind, line, strlen(line), "@timestamp", NOW_MS,
	    &out, &outlen);

	ok(got == rc && out != NULL && strcmp(out, want) == 0 &&
	    outlen == strlen(out), "%s", name);
	if (got != rc || out == NULL || strcmp(out, want) != 0)
		printf("#   rc %d, got  %s\n#   want %s\n", got,
		    out != NULL ? out : "(null)", want);
	free(out);
}

static void
test_names(void)
{
	enum fmt_kind k = FMT_NDJSON;

	ok(fmt_from_name("combined", &k) == 0 && k == FMT_COMBINED,
	    "combined is a format");
	ok(fmt_from_name("syslog", &k) == 0 && k == FMT_SYSLOG,
	    "syslog is a format");
	ok(fmt_from_name("nginx-error", &k) == 0 && k == FMT_NGINX_ERROR,
	    "nginx-error is a format");
	ok(fmt_from_name("apache", &k) == -1, "apache is not a format");
}

/* RFC 5424 section 6.5, examples 1-4. */
static void
test_rfc5424(void)
{
	check(FMT_SYSLOG, "<34>1 2003-10-11T22:14:15.003Z "
	    "mymachine.example.com su - ID47 - \xef\xbb\xbf'su root' failed "
	    "for lonvick on /dev/pts/8", 1,
	    "{\"@timestamp\":\"2003-10-11T22:14:15.003Z\",\"facility\":"
	    "\"auth\",\"severity\":\"crit\",\"host\":\"mymachine.example.com\","
	    "\"app\":\"su\",\"msgid\":\"ID47\",\"message\":\"'su root' failed "
	    "for lonvick on /dev/pts/8\"}", "RFC 5424 example 1");
	check(FMT_SYSLOG, "<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 "
	    "myproc 8710 - - %% It's time to make the do-nuts.", 1,
	    "{\"@timestamp\":\"2003-08-24T05:14:15.000003-07:00\",\"facility\":"
	    "\"local4\",\"severity\":\"notice\",\"host\":\"192.0.2.1\",\"app\":"
	    "\"myproc\",\"pid\":8710,\"message\":\"%% It's time to make "
	    "the do-nuts.\"}", "RFC 5424 example 2");
	check(FMT_SYSLOG, "<165>1 2003-10-11T22:14:15.003Z "
	    "mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut=\"3\" "
	    "eventSource=\"Application\" eventID=\"1011\"] \xef\xbb\xbf"
	    "An application event log entry...", 1,
	    "{\"@timestamp\":\"2003-10-11T22:14:15.003Z\",\"facility\":"
	    "\"local4\",\"severity\":\"notice\",\"host\":"
	    "\"mymachine.example.com\",\"app\":\"evntslog\",\"msgid\":\"ID47\","
	    "\"structured_data\":{\"exampleSDID@32473\":{\"iut\":\"3\","
	    "\"eventSource\":\"Application\",\"eventID\":\"1011\"}},"
	    "\"message\":\"An application event log entry...\"}",
	    "RFC 5424 example 3: structured data");
	check(FMT_SYSLOG, "<165>1 2003-10-11T22:14:15.003Z "
	    "mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut=\"3\" "
	    "eventSource=\"Application\" eventID=\"1011\"][examplePriority@32473 "
	    "class=\"high\"]", 1,
	    "{\"@timestamp\":\"2003-10-11T22:14:15.003Z\",\"facility\":"
	    "\"local4\",\"severity\":\"notice\",\"host\":"
	    "\"mymachine.example.com\",\"app\":\"evntslog\",\"msgid\":\"ID47\","
	    "\"structured_data\":{\"exampleSDID@32473\":{\"iut\":\"3\","
	    "\"eventSource\":\"Application\",\"eventID\":\"1011\"},"
	    "\"examplePriority@32473\":{\"class\":\"high\"}}}",
	    "RFC 5424 example 4: two elements, no MSG");
	check(FMT_SYSLOG, "<13>1 - - - - - [a x=\"q\\\"b\\]c\\\\\"] m", 1,
	    "{\"@timestamp\":\"2026-12-03T10:00:00.000Z\",\"facility\":"
	    "\"user\",\"severity\":\"notice\",\"structured_data\":{\"a\":{\"x\":"
	    "\"q\\\"b]c\\\\\"}},\"message\":\"m\",\"_time_missing\":true}",
	    "RFC 5424: NILVALUEs, escapes in a PARAM-VALUE, no time");
	check(FMT_SYSLOG, "<13>1 2003-10-11T22:14:15 h a - - - m", 0,
	    "{\"@timestamp\":\"2026-12-03T10:00:00.000Z\",\"message\":"
	    "\"<13>1 2003-10-11T22:14:15 h a - - - m\",\"_parse_error\":"
	    "\"not an RFC 5424 syslog line\",\"_time_missing\":true}",
	    "RFC 5424: a time without a zone does not parse");
	check(FMT_SYSLOG, "<13>1 2003-10-11T22:14:15Z h a - - [x", 0,
	    "{\"@timestamp\":\"2026-12-03T10:00:00.000Z\",\"message\":"
	    "\"<13>1 2003-10-11T22:14:15Z h a - - [x\",\"_parse_error\":"
	    "\"not an RFC 5424 syslog line\",\"_time_missing\":true}",
	    "RFC 5424: unterminated structured data does not parse");
}

/* RFC 3164 section 5.4, examples 1-4, read in UTC in 2026. */
static void
test_rfc3164(void)
{
	check(FMT_SYSLOG, "<34>Oct 11 22:14:15 mymachine su: 'su root' failed "
	    "for lonvick on /dev/pts/8", 1,
	    "{\"@timestamp\":\"2026-10-11T22:14:15+00:00\",\"facility\":"
	    "\"auth\",\"severity\":\"crit\",\"host\":\"mymachine\",\"app\":"
	    "\"su\",\"message\":\"'su root' failed for lonvick on "
	    "/dev/pts/8\"}", "RFC 3164 example 1");
	check(FMT_SYSLOG, "<13>Feb  5 17:32:18 10.0.0.99 Use the BFG!", 1,
	    "{\"@timestamp\":\"2026-02-05T17:32:18+00:00\",\"facility\":"
	    "\"user\",\"severity\":\"notice\",\"host\":\"10.0.0.99\","
	    "\"message\":\"Use the BFG!\"}",
	    "RFC 3164 example 2: no TAG, day padded with a space");
	check(FMT_SYSLOG, "<165>Aug 24 05:34:00 CST 1987 mymachine myproc[10]: "
	    "%% It's time to make the do-nuts.  %%  Ingredients: Mix=OK, "
	    "Jumbo=OK, Grill=OK", 1,
	    "{\"@timestamp\":\"2026-08-24T05:34:00+00:00\",\"facility\":"
	    "\"local4\",\"severity\":\"notice\",\"host\":\"CST\",\"message\":"
	    "\"1987 mymachine myproc[10]: %% It's time to make the do-nuts.  "
	    "%%  Ingredients: Mix=OK, Jumbo=OK, Grill=OK\"}",
	    "RFC 3164 example 3: 'CST' is where HOSTNAME stands");
	check(FMT_SYSLOG, "<0>1990 Oct 22 10:52:01 TZ-6 scapegoat.dmz.example.org "
	    "10.1.2.3 sched[0]: That's All Folks!", 1,
	    "{\"@timestamp\":\"2026-12-03T10:00:00.000Z\",\"facility\":"
	    "\"kern\",\"severity\":\"emerg\",\"message\":\"1990 Oct 22 "
	    "10:52:01 TZ-6 scapegoat.dmz.example.org 10.1.2.3 sched[0]: "
	    "That's All Folks!\",\"_time_missing\":true}",
	    "RFC 3164 example 4: no valid TIMESTAMP, all MSG (4.3.2)");
	check(FMT_SYSLOG, "Dec  3 09:59:01 web1 CRON[4242]: (root) CMD (true)",
	    1, "{\"@timestamp\":\"2026-12-03T09:59:01+00:00\",\"host\":\"web1\","
	    "\"app\":\"CRON\",\"pid\":4242,\"message\":\"(root) CMD "
	    "(true)\"}", "a syslog file line without PRI");
	check(FMT_SYSLOG, "Dec  5 09:59:01 web1 app: two days ahead", 1,
	    "{\"@timestamp\":\"2025-12-05T09:59:01+00:00\",\"host\":\"web1\","
	    "\"app\":\"app\",\"message\":\"two days ahead\"}",
	    "a date more than a day ahead is last year's");
	check(FMT_SYSLOG, "Dec  4 09:59:01 web1 app: within a day", 1,
	    "{\"@timestamp\":\"2026-12-04T09:59:01+00:00\",\"host\":\"web1\","
	    "\"app\":\"app\",\"message\":\"within a day\"}",
	    "a date less than a day ahead is this year's (clock skew)");
	check(FMT_SYSLOG, "2026-12-03T09:58:00.123456+01:00 web1 sshd[77]: "
	    "Accepted publickey", 1,
	    "{\"@timestamp\":\"2026-12-03T09:58:00.123456+01:00\",\"host\":"
	    "\"web1\",\"app\":\"sshd\",\"pid\":77,\"message\":\"Accepted "
	    "publickey\"}", "rsyslog's file format (RFC 3339 time)");
	check(FMT_SYSLOG, "<13>1 2003-10-11T22:14:15Z h app worker-3 - - m", 1,
	    "{\"@timestamp\":\"2003-10-11T22:14:15Z\",\"facility\":\"user\","
	    "\"severity\":\"notice\",\"host\":\"h\",\"app\":\"app\",\"pid\":"
	    "\"worker-3\",\"message\":\"m\"}",
	    "RFC 5424: a PROCID that is not a number stays text");
	check(FMT_SYSLOG, "hello world", 0,
	    "{\"@timestamp\":\"2026-12-03T10:00:00.000Z\",\"message\":\"hello "
	    "world\",\"_parse_error\":\"not a syslog line\",\"_time_missing\":"
	    "true}", "a line that is not syslog is kept unparsed");
	check(FMT_SYSLOG, "<192>Oct 11 22:14:15 h a: m", 0,
	    "{\"@timestamp\":\"2026-12-03T10:00:00.000Z\",\"message\":\"<192>Oct "
	    "11 22:14:15 h a: m\",\"_parse_error\":\"not a syslog line\","
	    "\"_time_missing\":true}", "PRI 192 is out of range");
}

static void
test_access(void)
{
	check(FMT_COMBINED, "127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "
	    "\"GET /apache_pb.gif HTTP/1.0\" 200 2326 "
	    "\"http://www.example.com/start.html\" \"Mozilla/4.08 [en] "
	    "(Win98; I ;Nav)\"", 1,
	    "{\"@timestamp\":\"2000-10-10T13:55:36-07:00\",\"client\":"
	    "\"127.0.0.1\",\"user\":\"frank\",\"method\":\"GET\",\"path\":"
	    "\"/apache_pb.gif\",\"protocol\":\"HTTP/1.0\",\"status\":200,"
	    "\"bytes\":2326,\"referrer\":\"http://www.example.com/start.html\","
	    "\"user_agent\":\"Mozilla/4.08 [en] (Win98; I ;Nav)\"}",
	    "Apache's combined example");
	check(FMT_COMMON, "127.0.0.1 user-identifier frank "
	    "[10/Oct/2000:13:55:36 +0530] \"GET /a%20b?q=1 HTTP/1.1\" 404 -",
	    1, "{\"@timestamp\":\"2000-10-10T13:55:36+05:30\",\"client\":"
	    "\"127.0.0.1\",\"ident\":\"user-identifier\",\"user\":\"frank\","
	    "\"method\":\"GET\",\"path\":\"/a%20b?q=1\",\"protocol\":"
	    "\"HTTP/1.1\",\"status\":404,\"bytes\":0}",
	    "common: ident, '-' bytes are 0, a half-hour offset");
	check(FMT_COMBINED, "::1 - - [03/Dec/2026:10:49:16 +0000] \"POST "
	    "/x HTTP/2.0\" 201 17 \"-\" \"curl/8.5.0\" 0.003", 1,
	    "{\"@timestamp\":\"2026-12-03T10:49:16+00:00\",\"client\":\"::1\","
	    "\"method\":\"POST\",\"path\":\"/x\",\"protocol\":\"HTTP/2.0\","
	    "\"status\":201,\"bytes\":17,\"user_agent\":\"curl/8.5.0\","
	    "\"duration\":0.003}",
	    "nginx combined with $request_time: duration in seconds");
	check(FMT_COMBINED, "10.0.0.1 - - [03/Dec/2026:10:49:16 +0000] "
	    "\"\\x16\\x03\\x01\" 400 157 \"-\" \"-\"", 1,
	    "{\"@timestamp\":\"2026-12-03T10:49:16+00:00\",\"client\":"
	    "\"10.0.0.1\",\"request\":\"\\\\x16\\\\x03\\\\x01\",\"status\":400,"
	    "\"bytes\":157}", "a TLS probe on a plain port: request kept whole");
	check(FMT_COMBINED, "10.0.0.1 - - [03/Dec/2026:10:49:16 +0000] "
	    "\"GET /q=\\\"x\\\" HTTP/1.1\" 200 5 \"-\" \"a \\\"b\\\"\" extra "
	    "words", 1,
	    "{\"@timestamp\":\"2026-12-03T10:49:16+00:00\",\"client\":"
	    "\"10.0.0.1\",\"method\":\"GET\",\"path\":\"/q=\\\"x\\\"\","
	    "\"protocol\":\"HTTP/1.1\",\"status\":200,\"bytes\":5,"
	    "\"user_agent\":\"a \\\"b\\\"\",\"extra\":\"extra words\"}",
	    "Apache's \\\" escapes; trailing text kept as extra");
	check(FMT_COMBINED, "127.0.0.1 - - [10/Oct/2000:13:55:36 -0700] "
	    "\"GET / HTTP/1.0\" 200 2326", 0,
	    "{\"@timestamp\":\"2026-12-03T10:00:00.000Z\",\"message\":"
	    "\"127.0.0.1 - - [10/Oct/2000:13:55:36 -0700] \\\"GET / HTTP/1.0\\\" "
	    "200 2326\",\"_parse_error\":\"not a combined access log line\","
	    "\"_time_missing\":true}",
	    "a common line is not combined: kept unparsed");
	check(FMT_COMMON, "127.0.0.1 - - [31/Feb/2000:13:55:36 -0700] "
	    "\"GET / HTTP/1.0\" 200 1\r", 0,
	    "{\"@timestamp\":\"2026-12-03T10:00:00.000Z\",\"message\":"
	    "\"127.0.0.1 - - [31/Feb/2000:13:55:36 -0700] \\\"GET / HTTP/1.0\\\" "
	    "200 1\",\"_parse_error\":\"not a common access log line\","
	    "\"_time_missing\":true}", "February 31 does not parse; \\r dropped");
	check(FMT_COMMON, "127.0.0.1 - - [30/Oct/2000:13:55:36 -2400] "
	    "\"GET / HTTP/1.0\" 200 1", 0,
	    "{\"@timestamp\":\"2026-12-03T10:00:00.000Z\",\"message\":"
	    "\"127.0.0.1 - - [30/Oct/2000:13:55:36 -2400] \\\"GET / HTTP/1.0\\\" "
	    "200 1\",\"_parse_error\":\"not a common access log line\","
	    "\"_time_missing\":true}", "an offset of 24 hours does not parse "
	    "(the store reads none)");
	check(FMT_COMMON, "1.2.3.4 - \xff\xfe [10/Oct/2000:13:55:36 -0700] "
	    "\"GET / HTTP/1.0\" 200 1", 1,
	    "{\"@timestamp\":\"2000-10-10T13:55:36-07:00\",\"client\":"
	    "\"1.2.3.4\",\"user\":\"\xef\xbf\xbd\xef\xbf\xbd\",\"method\":"
	    "\"GET\",\"path\":\"/\",\"protocol\":\"HTTP/1.0\",\"status\":200,"
	    "\"bytes\":1}", "invalid UTF-8 becomes U+FFFD");
	check(FMT_LIGHTTPD, "127.0.0.1 127.0.0.1:8080 - [03/Dec/2026:10:49:16 "
	    "+0000] \"GET /index.html HTTP/1.1\" 200 12 \"-\" \"curl/8.5.0\"",
	    1, "{\"@timestamp\":\"2026-12-03T10:49:16+00:00\",\"client\":"
	    "\"127.0.0.1\",\"host\":\"127.0.0.1:8080\",\"method\":\"GET\","
	    "\"path\":\"/index.html\",\"protocol\":\"HTTP/1.1\",\"status\":200,"
	    "\"bytes\":12,\"user_agent\":\"curl/8.5.0\"}",
	    "lighttpd: the virtual host stands where ident is");
}

static void
test_errorlog(void)
{
	check(FMT_NGINX_ERROR, "2026/12/03 10:49:16 [error] 4242#4242: *7 "
	    "open() \"/srv/www/missing\" failed (2: No such file or "
	    "directory), client: 127.0.0.1, server: localhost, request: "
	    "\"GET /missing HTTP/1.1\", host: \"127.0.0.1:8080\"", 1,
	    "{\"@timestamp\":\"2026-12-03T10:49:16+00:00\",\"severity\":"
	    "\"error\",\"pid\":4242,\"tid\":4242,\"connection\":7,\"message\":"
	    "\"open() \\\"/srv/www/missing\\\" failed (2: No such file or "
	    "directory)\",\"client\":\"127.0.0.1\",\"server\":\"localhost\","
	    "\"request\":\"GET /missing HTTP/1.1\",\"host\":\"127.0.0.1:8080\"}",
	    "nginx error with its context");
	check(FMT_NGINX_ERROR, "2026/12/03 10:49:16 [notice] 1#1: using the "
	    "\"epoll\" event method", 1,
	    "{\"@timestamp\":\"2026-12-03T10:49:16+00:00\",\"severity\":"
	    "\"notice\",\"pid\":1,\"tid\":1,\"message\":\"using the \\\"epoll\\\" "
	    "event method\"}", "nginx notice without a connection");
	check(FMT_NGINX_ERROR, "2026/12/03 10:49:16 [loud] 1#1: x", 0,
	    "{\"@timestamp\":\"2026-12-03T10:00:00.000Z\",\"message\":"
	    "\"2026/12/03 10:49:16 [loud] 1#1: x\",\"_parse_error\":\"not an "
	    "nginx error log line\",\"_time_missing\":true}",
	    "an unknown nginx level does not parse");
	check(FMT_APACHE_ERROR, "[Thu Dec 03 10:49:16.123456 2026] "
	    "[core:error] [pid 4242:tid 140000] [client 127.0.0.1:50000] "
	    "AH00128: File does not exist: /var/www/missing", 1,
	    "{\"@timestamp\":\"2026-12-03T10:49:16.123456+00:00\",\"module\":"
	    "\"core\",\"severity\":\"error\",\"pid\":4242,\"tid\":140000,"
	    "\"client\":\"127.0.0.1:50000\",\"code\":\"AH00128\",\"message\":"
	    "\"File does not exist: /var/www/missing\"}", "Apache 2.4 error");
	check(FMT_APACHE_ERROR, "[Thu Dec 03 10:49:16.000001 2026] "
	    "[mpm_event:notice] [pid 99:tid 1] AH00489: Apache/2.4 configured",
	    1, "{\"@timestamp\":\"2026-12-03T10:49:16.000001+00:00\",\"module\":"
	    "\"mpm_event\",\"severity\":\"notice\",\"pid\":99,\"tid\":1,\"code\":"
	    "\"AH00489\",\"message\":\"Apache/2.4 configured\"}",
	    "Apache 2.4 notice without a client");
	check(FMT_APACHE_ERROR, "[Thu Dec 03 10:58:02.456478 2026] "
	    "[proxy:error] [pid 2849:tid 2857] (2)No such file or directory: "
	    "AH02454: FCGI: attempt to connect to Unix domain socket /s "
	    "(asyncreq-1:8000) failed", 1,
	    "{\"@timestamp\":\"2026-12-03T10:58:02.456478+00:00\",\"module\":"
	    "\"proxy\",\"severity\":\"error\",\"pid\":2849,\"tid\":2857,"
	    "\"os_error\":\"(2)No such file or directory\",\"code\":"
	    "\"AH02454\",\"message\":\"FCGI: attempt to connect to Unix "
	    "domain socket /s (asyncreq-1:8000) failed\"}",
	    "Apache 2.4 error with the system's error before the code");
	check(FMT_APACHE_ERROR, "[Wed Oct 11 14:32:52 2000] [error] [client "
	    "127.0.0.1] client denied by server configuration: /export/home", 1,
	    "{\"@timestamp\":\"2000-10-11T14:32:52+00:00\",\"severity\":"
	    "\"error\",\"client\":\"127.0.0.1\",\"message\":\"client denied by "
	    "server configuration: /export/home\"}",
	    "Apache 2.2's documented example");
	check(FMT_APACHE_ERROR, "[Wed Oct 11 14:32:52 2000 [error] x", 0,
	    "{\"@timestamp\":\"2026-12-03T10:00:00.000Z\",\"message\":\"[Wed "
	    "Oct 11 14:32:52 2000 [error] x\",\"_parse_error\":\"not an Apache "
	    "error log line\",\"_time_missing\":true}",
	    "a broken Apache time does not parse");
}

/* Times without a zone are local: in UTC+2 (POSIX "XYZ-2"). */
static void
test_local_zone(void)
{
	setenv("TZ", "XYZ-2", 1);
	tzset();
	check(FMT_NGINX_ERROR, "2026/12/03 10:49:16 [warn] 1#1: w", 1,
	    "{\"@timestamp\":\"2026-12-03T10:49:16+02:00\",\"severity\":"
	    "\"warn\",\"pid\":1,\"tid\":1,\"message\":\"w\"}",
	    "nginx time is local time, with the local offset");
	check(FMT_SYSLOG, "<14>Dec  3 11:30:00 h t: m", 1,
	    "{\"@timestamp\":\"2026-12-03T11:30:00+02:00\",\"facility\":"
	    "\"user\",\"severity\":\"info\",\"host\":\"h\",\"app\":\"t\","
	    "\"message\":\"m\"}", "RFC 3164 time is local time");
	setenv("TZ", "UTC", 1);
	tzset();
}

int
main(void)
{
	setenv("TZ", "UTC", 1);
	tzset();
	test_names();
	test_rfc5424();
	test_rfc3164();
	test_access();
	test_errorlog();
	test_local_zone();
	return done_testing();
}
