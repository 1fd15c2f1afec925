/* test_alert.c - alerts: spec errors, conditions, backoff, and firing,
 * throttling and the delivery queue over a real task store with an
 * injected clock. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <jansson.h>

#include "alert/alert.h"
#include "common/buf.h"
#include "common/config.h"
#include "common/timeutil.h"
#include "store/store.h"
#include "tap.h"

/* Parses text; returns the error message ("" when it parsed). */
static const char *
spec_err(const char *text)
{
	static char err[512];
	struct alert_spec s;

	err[0] = '\0';
	if (alert_spec_parse(text, strlen(text), &s, err, sizeof(err)) == 0)
		alert_spec_free(&s);
	return err;
}

#define WH ",\"actions\":[{\"type\":\"webhook\"," \
    "\"url\":\"http://127.0.0.1:9/x\"}]}"

static void
test_spec_errors(void)
{
	static const struct {
		const char *text, *err;
	} c[] = {
		{"[1]", "alert: must be an object, not an array"},
		{"{\"condition\":\"always\"", "alert: not JSON: '}' expected "
		    "near end of file at line 1, column 21"},
		{"{\"condition\":\"always\",\"x\":1" WH, "alert: unknown "
		    "member 'x' (known: condition, throttle, actions)"},
		{"{\"actions\":[]}", "alert.condition: missing (\"always\", "
		    "{\"results\": \">\", \"value\": N} or "
		    "{\"where\": \"EXPR\"})"},
		{"{\"condition\":\"sometimes\"" WH, "alert.condition: the only "
		    "string condition is \"always\", not \"sometimes\""},
		{"{\"condition\":{\"results\":\"=>\",\"value\":1}" WH,
		    "alert.condition.results: must be one of \">\", \">=\", "
		    "\"<\", \"<=\", \"==\", \"!=\""},
		{"{\"condition\":{\"results\":\">\"}" WH,
		    "alert.condition.value: missing"},
		{"{\"condition\":{\"results\":\">\",\"value\":-1}" WH,
		    "alert.condition.value: must be from 0 to "
		    "9223372036854775807, not -1"},
		{"{\"condition\":{\"results\":\">\",\"value\":1,"
		    "\"where\":\"x\"}" WH, "alert.condition: unknown member "
		    "'results' (known: where)"},
		{"{\"condition\":{\"where\":\"count >= \"}" WH,
		    "alert.condition.where: expected an expression after '>=' "
		    "at character 10 of the expression"},
		{"{\"condition\":{\"where\":\"x=1 | stats count\"}" WH,
		    "alert.condition.where: must be one expression, without "
		    "'|'"},
		{"{\"condition\":{\"where\":\"\"}" WH,
		    "alert.condition.where: must be 1 to 4096 bytes, not 0"},
		{"{\"condition\":{}" WH, "alert.condition: needs member "
		    "'results' or 'where'"},
		{"{\"condition\":\"always\",\"throttle\":{\"seconds\":0}" WH,
		    "alert.throttle.seconds: must be from 1 to 31622400, "
		    "not 0"},
		{"{\"condition\":\"always\",\"throttle\":{\"field\":\"u\"}" WH,
		    "alert.throttle.seconds: missing"},
		{"{\"condition\":\"always\",\"throttle\":{\"seconds\":5,"
		    "\"by\":\"u\"}" WH, "alert.throttle: unknown member 'by' "
		    "(known: seconds, field)"},
		{"{\"condition\":\"always\",\"actions\":[]}", "alert.actions: "
		    "must be an array of 1 to 8 actions"},
		{"{\"condition\":\"always\",\"actions\":[{\"type\":\"sms\"}]}",
		    "alert.actions[0].type: must be \"webhook\" or \"email\", "
		    "not \"sms\""},
		{"{\"condition\":\"always\",\"actions\":[{\"type\":\"webhook\","
		    "\"url\":\"https://example.org/\"}]}",
		    "alert.actions[0].url: only http:// urls are supported "
		    "(no TLS: put a relay in front for https)"},
		{"{\"condition\":\"always\",\"actions\":[{\"type\":\"webhook\","
		    "\"url\":\"http://127.0.0.1:99999/\"}]}",
		    "alert.actions[0].url: bad port"},
		{"{\"condition\":\"always\",\"actions\":[{\"type\":\"webhook\","
		    "\"url\":\"http://[::1]:80/\"}]}",
		    "alert.actions[0].url: IPv6 literal hosts are not "
		    "supported (use a host name)"},
		{"{\"condition\":\"always\",\"actions\":[{\"type\":\"webhook\","
		    "\"url\":\"http:///x\"}]}",
		    "alert.actions[0].url: no host"},
		{"{\"condition\":\"always\",\"actions\":[{\"type\":\"webhook\","
		    "\"url\":\"http://u:p@h/\"}]}",
		    "alert.actions[0].url: user information is not allowed"},
		{"{\"condition\":\"always\",\"actions\":[{\"type\":\"webhook\","
		    "\"url\":\"http://h/\",\"results\":1001}]}",
		    "alert.actions[0].results: must be from 0 to 1000, "
		    "not 1001"},
		{"{\"condition\":\"always\",\"actions\":[{\"type\":\"webhook\","
		    "\"url\":\"http://h/\",\"to\":[]}]}", "alert.actions[0]: "
		    "unknown member 'to' (known: type, url, results)"},
		{"{\"condition\":\"always\",\"actions\":[{\"type\":"
		    "\"email\"}]}", "alert.actions[0].to: must be an array of "
		    "1 to 20 addresses"},
		{"{\"condition\":\"always\",\"actions\":[{\"type\":\"email\","
		    "\"to\":[\"Bob <b@x>\"]}]}", "alert.actions[0].to[0]: must "
		    "be an address local@domain (at most 254 bytes, no names, "
		    "spaces or quotes)"},
		{"{\"condition\":\"always\",\"actions\":[{\"type\":\"email\","
		    "\"to\":[\"b@x\"],\"subject\":\"a\\r\\nBcc: e@x\"}]}",
		    "alert.actions[0].subject: control characters are not "
		    "allowed"},
		{"{\"condition\":\"always\",\"actions\":[{\"type\":\"email\","
		    "\"to\":[\"b@x\"],\"attach\":\"pdf\"}]}",
		    "alert.actions[0].attach: must be \"csv\", \"xlsx\" or "
		    "\"none\""},
	};
	size_t i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++)
		is_str(spec_err(c[i].text), c[i].err, "spec error %zu", i);
}

static void
test_spec_good(void)
{
	const char *text = "{\"condition\":{\"where\":\"count >= 3\"},"
	    "\"throttle\":{\"seconds\":600,\"field\":\"user\"},"
	    "\"actions\":[{\"type\":\"webhook\",\"url\":\"http://h:81/p?q\"},"
	    "{\"type\":\"email\",\"to\":[\"a@b\",\"c@d\"],\"attach\":\"xlsx\","
	    "\"subject\":\"Logons\",\"results\":50}]}";
	struct alert_spec s;
	char err[512] = "";

	is_int(alert_spec_parse(text, strlen(text), &s, err, sizeof(err)), 0,
	    "a full spec parses");
	is_str(err, "", "no error");
	ok(s.as_cond == ALERT_COND_WHERE && s.as_throttle == 600 &&
	    strcmp(s.as_throttle_field, "user") == 0 && s.as_nactions == 2,
	    "condition, throttle, two actions");
	ok(s.as_actions[0].aa_kind == ALERT_WEBHOOK &&
	    s.as_actions[0].aa_results == 10 &&
	    strcmp(s.as_actions[0].aa_url, "http://h:81/p?q") == 0,
	    "webhook: url, 10 results by default");
	ok(s.as_actions[1].aa_kind == ALERT_EMAIL &&
	    s.as_actions[1].aa_nto == 2 &&
	    s.as_actions[1].aa_attach == ALERT_ATTACH_XLSX &&
	    s.as_actions[1].aa_results == 50 &&
	    strcmp(s.as_actions[1].aa_subject, "Logons") == 0,
	    "email: recipients, xlsx, 50 rows, subject");
	alert_spec_free(&s);
	is_str(spec_err("{\"condition\":\"always\",\"actions\":[{\"type\":"
	    "\"email\",\"to\":[\"ops@example.org\"]}]}"), "",
	    "a weekly report parses (csv by default)");
}

static void
test_conditions(void)
{
	static const struct {
		const char *cmp;
		uint64_t n;
		int want;
	} c[] = {
		{">", 5, 0}, {">", 6, 1}, {">=", 5, 1}, {">=", 4, 0},
		{"<", 4, 1}, {"<", 5, 0}, {"<=", 5, 1}, {"<=", 6, 0},
		{"==", 5, 1}, {"==", 0, 0}, {"!=", 0, 1}, {"!=", 5, 0},
	};
	struct alert_spec s;
	char text[256], err[512];
	size_t i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		snprintf(text, sizeof(text), "{\"condition\":{\"results\":"
		    "\"%s\",\"value\":5}" WH, c[i].cmp);
		if (alert_spec_parse(text, strlen(text), &s, err,
		    sizeof(err)) == -1) {
			ok(0, "parse %s: %s", text, err);
			continue;
		}
		is_int(alert_count_met(&s, c[i].n), c[i].want,
		    "results %s 5 with %llu results", c[i].cmp,
		    (unsigned long long)c[i].n);
		is_int(alert_row_met(&s, "{}", 2, 0, err, sizeof(err)), 1,
		    "every row counts for a results condition");
		alert_spec_free(&s);
	}
	snprintf(text, sizeof(text), "{\"condition\":\"always\"" WH);
	alert_spec_parse(text, strlen(text), &s, err, sizeof(err));
	is_int(alert_count_met(&s, 0), 1, "always: met with no results");
	alert_spec_free(&s);

	snprintf(text, sizeof(text), "{\"condition\":{\"where\":\"count >= 3 "
	    "AND like(user, \\\"adm%%\\\")\"}" WH);
	is_int(alert_spec_parse(text, strlen(text), &s, err, sizeof(err)), 0,
	    "where with a function parses");
	is_int(alert_row_met(&s, "{\"user\":\"admin\",\"count\":3}", 27, 0,
	    err, sizeof(err)), 1, "where: true row");
	is_int(alert_row_met(&s, "{\"user\":\"admin\",\"count\":2}", 27, 0,
	    err, sizeof(err)), 0, "where: count too small");
	is_int(alert_row_met(&s, "{\"user\":\"bob\",\"count\":\"7\"}", 27, 0,
	    err, sizeof(err)), 0, "where: other user");
	is_int(alert_row_met(&s, "{\"count\":9}", 11, 0, err, sizeof(err)), 0,
	    "where: a missing field is null, false");
	is_int(alert_count_met(&s, 0), 0, "where: no matching row, not met");
	is_int(alert_count_met(&s, 1), 1, "where: one matching row, met");
	alert_spec_free(&s);
}

static void
test_backoff(void)
{
	static const int64_t want[] = {30, 60, 120, 240, 480, 960, 1920, 3600,
	    3600, 3600};
	int i;

	for (i = 0; i < 10; i++)
		is_int(alert_backoff(30, 3600, i + 1), want[i],
		    "backoff after failure %d", i + 1);
	is_int(alert_backoff(7, 5, 1), 5, "never over the maximum");
	is_int(alert_backoff(1, 100000, 60), 100000, "no overflow");
}

/* Appends a page of the rows (JSON texts) to task id under token. */
static int
add_page(struct store *st, const char *id, uint64_t token,
    const char *const *rows, uint32_t n, const char *fields)
{
	struct buf p = BUF_INIT, text = BUF_INIT;
	uint32_t off, i;
	int cancel, rc;

	buf_append(&p, &n, 4);
	for (i = 0; i < n; i++) {
		off = (uint32_t)text.b_len;
		buf_append(&p, &off, 4);
		buf_puts(&text, rows[i]);
	}
	buf_append(&p, text.b_data, text.b_len);
	rc = store_page_append(st, id, token, p.b_data, p.b_len, n, n, 1.0,
	    fields, strlen(fields), &cancel);
	buf_free(&p);
	buf_free(&text);
	return rc;
}

/* Makes a DONE task with rows. Returns 0 and its id in id. */
static int
make_task(struct store *st, const char *const *rows, uint32_t n,
    const char *fields, char *id)
{
	struct task t;
	char err[256];

	memset(&t, 0, sizeof(t));
	t.t_owner = strdup("alice");
	t.t_query = strdup("source security | stats count by user");
	t.t_dt_field = strdup("@timestamp");
	t.t_dt_start = strdup("now-1h");
	t.t_dt_end = strdup("now");
	t.t_created = t.t_now = time_now_ms();
	if (store_task_create(st, &t, err, sizeof(err)) != AR_OK)
		return -1;
	task_clear(&t);
	if (store_task_claim(st, 5, 1, &t) != AR_OK)
		return -1;
	strcpy(id, t.t_id);
	task_clear(&t);
	if (n > 0 && add_page(st, id, 5, rows, n, fields) != AR_OK)
		return -1;
	return store_task_finish(st, id, 5, TASK_DONE, NULL, "INFO", "done") ==
	    AR_OK ? 0 : -1;
}

/* A loopback port that refuses connections. */
static int
dead_port(void)
{
	struct sockaddr_in a;
	socklen_t l = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	bind(fd, (struct sockaddr *)&a, sizeof(a));
	getsockname(fd, (struct sockaddr *)&a, &l);
	port = ntohs(a.sin_port);
	close(fd);
	return port;
}

/* Returns history entry i's member key as text (static), "" if none. */
static const char *
hist(const struct config *cfg, const char *path)
{
	static char out[512];
	char err[256], *text;
	json_t *h, *v;
	json_error_t je;
	size_t i, a, b;

	out[0] = '\0';
	if ((text = alert_history(cfg, NULL, NULL, 100, err,
	    sizeof(err))) == NULL)
		return "<history failed>";
	h = json_loads(text, 0, &je);
	free(text);
	/* path: "FIRING/DELIVERY/key" with DELIVERY "-" for the firing. */
	if (sscanf(path, "%zu/%zu/", &a, &b) == 2) {
		v = json_object_get(json_array_get(json_object_get(
		    json_array_get(h, a), "deliveries"), b),
		    strrchr(path, '/') + 1);
	} else {
		sscanf(path, "%zu", &a);
		v = json_object_get(json_array_get(h, a),
		    strrchr(path, '/') + 1);
	}
	if (json_is_string(v))
		snprintf(out, sizeof(out), "%s", json_string_value(v));
	else if (v != NULL) {
		text = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
		snprintf(out, sizeof(out), "%s", text ? text : "");
		free(text);
	}
	(void)i;
	json_decref(h);
	return out;
}

static void
test_queue(const char *dir)
{
	static const char *const rows[] = {
		"{\"user\":\"admin\",\"ip\":\"10.0.0.1\",\"count\":5}",
		"{\"user\":\"bob\",\"ip\":\"10.0.0.2\",\"count\":1}",
		"{\"user\":\"eve\",\"ip\":\"10.0.0.3\",\"count\":12}",
	};
	const char *fields = "[\"user\",\"ip\",\"count\"]";
	struct config cfg;
	struct store *st;
	struct alert_spec s;
	struct alert_fired af;
	struct alert_delivered ad;
	char err[512], id[TASK_ID_LEN + 1], text[1024], mail[600], cmd[700];
	char *data;
	int64_t t0 = 1767225600000LL;	/* 2026-01-01T00:00:00Z */
	FILE *f;
	long n;

	config_defaults(&cfg);
	cfg.storage_path = strdup(dir);
	cfg.storage_map_size = 4u << 20;
	cfg.alert_retry_base_seconds = 10;
	cfg.alert_retry_max_seconds = 15;
	cfg.alert_max_attempts = 3;
	cfg.alert_timeout_seconds = 5;
	snprintf(mail, sizeof(mail), "%s/mail.out", dir);
	snprintf(cmd, sizeof(cmd), "cat >> %s", mail);
	free(cfg.alert_sendmail);
	cfg.alert_sendmail = strdup(cmd);
	if (store_open(&st, &cfg, err, sizeof(err)) != AR_OK) {
		ok(0, "open store: %s", err);
		return;
	}
	ok(make_task(st, rows, 3, fields, id) == 0, "a DONE task with 3 rows");

	snprintf(text, sizeof(text), "{\"condition\":{\"where\":"
	    "\"count >= 3\"},"
	    "\"throttle\":{\"seconds\":60,\"field\":\"user\"},\"actions\":["
	    "{\"type\":\"webhook\",\"url\":\"http://127.0.0.1:%d/hook\"},"
	    "{\"type\":\"email\",\"to\":[\"ops@example.org\"]}]}", dead_port());
	is_int(alert_spec_parse(text, strlen(text), &s, err, sizeof(err)), 0,
	    "spec parses");
	is_int(alert_fire(&cfg, st, "brute", &s, id, t0, &af, err,
	    sizeof(err)), 0, "fire");
	is_int(af.af_outcome, ALERT_FIRED, "fired");
	is_int(af.af_rows, 2, "on the 2 rows with count >= 3");
	is_int(af.af_deliveries, 2, "2 deliveries queued");
	is_str(hist(&cfg, "0/0/state"), "pending", "webhook pending");
	is_str(hist(&cfg, "0/1/state"), "pending", "email pending");
	is_str(hist(&cfg, "0/-/outcome"), "fired", "history: fired");
	is_str(hist(&cfg, "0/-/owner"), "alice", "history: the run's owner");
	data = alert_history(&cfg, NULL, "bob", 10, err, sizeof(err));
	is_str(data, "[]", "history of another owner's runs: none");
	free(data);
	data = alert_history(&cfg, "brute", "alice", 10, err, sizeof(err));
	ok(data != NULL && strncmp(data, "[{\"id\":", 7) == 0,
	    "history of alert and owner: the firing");
	free(data);

	/* Attempt 1 at t0: the webhook is refused, the mail goes. */
	is_int(alert_deliver(&cfg, st, t0, &ad, err, sizeof(err)), 0,
	    "deliver at t0");
	ok(ad.ad_attempted == 2 && ad.ad_delivered == 1 && ad.ad_retry == 1 &&
	    ad.ad_failed == 0, "2 attempted, the mail delivered, the hook to "
	    "retry (%u %u %u %u)", ad.ad_attempted, ad.ad_delivered,
	    ad.ad_retry, ad.ad_failed);
	is_str(hist(&cfg, "0/1/state"), "delivered", "mail delivered");
	is_str(hist(&cfg, "0/0/next_attempt"), "2026-01-01T00:00:10.000Z",
	    "next attempt after retry_base_seconds");
	is_str(hist(&cfg, "0/0/last_error"),
	    "connect: Connection refused", "the reason is kept");
	is_int(alert_deliver(&cfg, st, t0 + 9999, &ad, err, sizeof(err)), 0,
	    "deliver before the time");
	is_int(ad.ad_attempted, 0, "nothing is due yet");
	is_int(alert_deliver(&cfg, st, t0 + 10000, &ad, err, sizeof(err)), 0,
	    "deliver at t0 + 10 s");
	ok(ad.ad_attempted == 1 && ad.ad_retry == 1, "attempt 2 failed");
	is_str(hist(&cfg, "0/0/next_attempt"), "2026-01-01T00:00:25.000Z",
	    "then 15 s (10 doubled, capped at retry_max_seconds)");
	is_int(alert_deliver(&cfg, st, t0 + 25000, &ad, err, sizeof(err)), 0,
	    "deliver at t0 + 25 s");
	ok(ad.ad_attempted == 1 && ad.ad_failed == 1,
	    "attempt 3 of max_attempts 3 failed for good");
	is_str(hist(&cfg, "0/0/state"), "failed", "webhook failed");
	is_str(hist(&cfg, "0/0/attempts"), "3", "after 3 attempts");
	is_int(alert_deliver(&cfg, st, t0 + 999999, &ad, err, sizeof(err)), 0,
	    "deliver later");
	is_int(ad.ad_attempted, 0, "nothing is attempted again");

	/* The mail: once, with its id and the CSV of the 2 rows. */
	f = fopen(mail, "r");
	data = calloc(1, 65536);
	n = f ? (long)fread(data, 1, 65535, f) : 0;
	if (f)
		fclose(f);
	ok(n > 0 && strstr(data, "To: ops@example.org\r\n") &&
	    strstr(data, "Subject: asyncreq alert: brute\r\n") &&
	    strstr(data, "Date: Thu, 01 Jan 2026 00:00:00 +0000\r\n") &&
	    strstr(data, "Content-Disposition: attachment; "
	    "filename=\"brute.csv\"\r\n"), "the mail's headers");
	/* user,ip,count CRLF admin,10.0.0.1,5 CRLF eve,10.0.0.3,12 CRLF */
	ok(strstr(data, "dXNlcixpcCxjb3VudA0KYWRtaW4sMTAuMC4wLjEsNQ0KZXZlLDEw"
	    "LjAuMC4zLDEyDQo=\r\n") != NULL, "the attachment is the CSV of "
	    "the rows that fired");
	ok(strstr(data, "Message-ID: <") && strstr(strstr(data,
	    "Message-ID: <") + 13, "-2@asyncreq>\r\n") &&
	    strstr(data + 1, "From: ") == NULL, "one message, with its id");
	free(data);

	/* Throttling per user: admin and eve are quiet for 60 s. */
	is_int(alert_fire(&cfg, st, "brute", &s, id, t0 + 30000, &af, err,
	    sizeof(err)), 0, "fire again at t0 + 30 s");
	is_int(af.af_outcome, ALERT_THROTTLED, "throttled: every value fired "
	    "on is within its period");
	is_str(hist(&cfg, "0/-/outcome"), "throttled", "history: throttled");
	is_int(alert_fire(&cfg, st, "other", &s, id, t0 + 30000, &af, err,
	    sizeof(err)), 0, "another alert");
	is_int(af.af_outcome, ALERT_FIRED, "has its own throttle state");
	is_int(alert_fire(&cfg, st, "brute", &s, id, t0 + 60000, &af, err,
	    sizeof(err)), 0, "fire at t0 + 60 s");
	is_int(af.af_outcome, ALERT_FIRED, "fires again once the period ends");
	alert_spec_free(&s);

	/* Throttling of the alert as a whole. */
	snprintf(text, sizeof(text), "{\"condition\":\"always\",\"throttle\":"
	    "{\"seconds\":100},\"actions\":[{\"type\":\"email\","
	    "\"to\":[\"a@b\"],\"attach\":\"none\"}]}");
	is_int(alert_spec_parse(text, strlen(text), &s, err, sizeof(err)), 0,
	    "a spec throttled as a whole");
	is_int(alert_fire(&cfg, st, "whole", &s, id, t0, &af, err,
	    sizeof(err)), 0, "fire at t0");
	is_int(af.af_outcome, ALERT_FIRED, "fired");
	is_int(af.af_rows, 3, "on every row");
	is_int(alert_fire(&cfg, st, "whole", &s, id, t0 + 99999, &af, err,
	    sizeof(err)), 0, "fire at t0 + 99.999 s");
	is_int(af.af_outcome, ALERT_THROTTLED, "throttled within the period");
	is_int(alert_fire(&cfg, st, "whole", &s, id, t0 + 100000, &af, err,
	    sizeof(err)), 0, "fire at t0 + 100 s");
	is_int(af.af_outcome, ALERT_FIRED, "fires when the period is over");
	alert_spec_free(&s);

	snprintf(text, sizeof(text), "{\"condition\":{\"results\":\">\","
	    "\"value\":3},\"actions\":[{\"type\":\"email\","
	    "\"to\":[\"a@b\"]}]}");
	alert_spec_parse(text, strlen(text), &s, err, sizeof(err));
	is_int(alert_fire(&cfg, st, "many", &s, id, t0, &af, err, sizeof(err)),
	    0, "results > 3 on 3 results");
	is_int(af.af_outcome, ALERT_NOT_MET, "not met, nothing queued");
	is_int(alert_fire(&cfg, st, "many", &s, "AAAAAAAAAAAAAAAAAAAAAA", t0,
	    &af, err, sizeof(err)), -1, "an unknown task");
	is_str(err, "task 'AAAAAAAAAAAAAAAAAAAAAA' not found", "says so");
	alert_spec_free(&s);
	store_close(st);
	config_free(&cfg);
}

/* The seam: fails the write of files whose name ends in fault_suffix. */
static const char *fault_suffix;

static int
fault_write(const char *sub, const char *name)
{
	size_t n = strlen(name), k = strlen(fault_suffix);

	(void)sub;
	return n >= k && strcmp(name + n - k, fault_suffix) == 0 ? ENOSPC : 0;
}

/* Counts the files of dir/alerts/sub. */
static int
count_files(const char *dir, const char *sub)
{
	char cmd[700];
	FILE *p;
	int n = -1;

	snprintf(cmd, sizeof(cmd), "ls -A '%s/alerts/%s' | wc -l", dir, sub);
	if ((p = popen(cmd, "r")) != NULL) {
		if (fscanf(p, "%d", &n) != 1)
			n = -1;
		pclose(p);
	}
	return n;
}

/* Counts the lines of path starting with prefix. */
static int
count_lines(const char *path, const char *prefix)
{
	char line[1024];
	FILE *f = fopen(path, "r");
	int n = 0;

	if (f == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL)
		n += strncmp(line, prefix, strlen(prefix)) == 0;
	fclose(f);
	return n;
}

/*
 * Write failures: a firing that cannot queue all its deliveries queues
 * none; a delivery whose mark cannot be written is sent again, with the
 * same Message-ID (the duplicate docs/alerts.md owns up to).
 */
static void
test_faults(const char *dir)
{
	static const char *const rows[] = {"{\"user\":\"admin\"}"};
	struct config cfg;
	struct store *st;
	struct alert_spec s;
	struct alert_fired af;
	struct alert_delivered ad;
	char err[512], id[TASK_ID_LEN + 1], mail[600], cmd[700], want[200];
	const char *text = "{\"condition\":\"always\",\"actions\":["
	    "{\"type\":\"email\",\"to\":[\"a@b\"],\"attach\":\"none\"},"
	    "{\"type\":\"email\",\"to\":[\"c@d\"],\"attach\":\"csv\"}]}";
	int64_t t0 = 1767225600000LL;
	char *h;

	config_defaults(&cfg);
	cfg.storage_path = strdup(dir);
	cfg.storage_map_size = 4u << 20;
	snprintf(mail, sizeof(mail), "%s/mail.out", dir);
	snprintf(cmd, sizeof(cmd), "cat >> %s", mail);
	free(cfg.alert_sendmail);
	cfg.alert_sendmail = strdup(cmd);
	if (store_open(&st, &cfg, err, sizeof(err)) != AR_OK) {
		ok(0, "open store: %s", err);
		return;
	}
	ok(make_task(st, rows, 1, "[\"user\"]", id) == 0, "a DONE task");
	alert_spec_parse(text, strlen(text), &s, err, sizeof(err));

	alert_write_fault = fault_write;
	fault_suffix = "-2.json";
	is_int(alert_fire(&cfg, st, "f", &s, id, t0, &af, err, sizeof(err)),
	    -1, "the second delivery record cannot be written: fire fails");
	ok(strstr(err, "-2.json: No space left on device") != NULL,
	    "with the reason (%s)", err);
	alert_write_fault = NULL;
	is_int(count_files(dir, "deliveries"), 0, "nothing is left queued");
	is_int(count_files(dir, "firings"), 0, "no firing recorded");
	h = alert_history(&cfg, NULL, NULL, 10, err, sizeof(err));
	is_str(h, "[]", "the history is empty");
	free(h);

	is_int(alert_fire(&cfg, st, "f", &s, id, t0, &af, err, sizeof(err)),
	    0, "fire without the fault");
	is_int(af.af_deliveries, 2, "2 deliveries queued");
	alert_write_fault = fault_write;
	fault_suffix = "-1.json";
	is_int(alert_deliver(&cfg, st, t0, &ad, err, sizeof(err)), -1,
	    "the mark of the first mail cannot be written");
	alert_write_fault = NULL;
	is_int(count_lines(mail, "Message-ID: "), 1, "it was sent");
	is_str(hist(&cfg, "0/0/state"), "pending", "and is still pending");
	is_int(alert_deliver(&cfg, st, t0, &ad, err, sizeof(err)), 0,
	    "deliver again");
	ok(ad.ad_attempted == 2 && ad.ad_delivered == 2, "both delivered");
	is_int(count_lines(mail, "Message-ID: "), 3, "the first mail twice");
	snprintf(want, sizeof(want), "Message-ID: <%s-1@asyncreq>\r\n",
	    af.af_id);
	is_int(count_lines(mail, want), 2, "with the same Message-ID");
	is_str(hist(&cfg, "0/0/state"), "delivered", "then delivered");
	is_int(alert_deliver(&cfg, st, t0 + 1000000, &ad, err, sizeof(err)),
	    0, "deliver later");
	is_int(ad.ad_attempted, 0, "nothing is sent again");
	alert_spec_free(&s);

	/* alert.keep_seconds: done firings go, pending ones stay. */
	text = "{\"condition\":\"always\",\"actions\":[{\"type\":"
	    "\"webhook\",\"url\":\"http://127.0.0.1:1/\"}]}";
	alert_spec_parse(text, strlen(text), &s, err, sizeof(err));
	is_int(alert_fire(&cfg, st, "g", &s, id, t0 + 1, &af, err,
	    sizeof(err)), 0, "a firing whose target is down");
	alert_spec_free(&s);
	is_int(count_files(dir, "firings"), 2, "2 firings");
	cfg.alert_keep_seconds = 60;
	is_int(alert_deliver(&cfg, st, t0 + 60000, &ad, err, sizeof(err)), 0,
	    "deliver at t0 + 60 s");
	is_int(count_files(dir, "firings"), 2, "nothing is old enough yet");
	is_int(alert_deliver(&cfg, st, t0 + 60002, &ad, err, sizeof(err)), 0,
	    "deliver at t0 + 60.002 s");
	is_int(count_files(dir, "firings"), 1, "the done firing is removed");
	is_int(count_files(dir, "deliveries"), 2, "with its 2 deliveries; "
	    "the pending one stays, its record and body");
	is_str(hist(&cfg, "0/-/alert"), "g", "the history keeps it");
	store_close(st);
	config_free(&cfg);
}

int
main(void)
{
	char dir[] = "/tmp/asyncreq-alert-XXXXXX", cmd[600];
	char dir2[] = "/tmp/asyncreq-alert-XXXXXX";

	test_spec_errors();
	test_spec_good();
	test_conditions();
	test_backoff();
	if (mkdtemp(dir) == NULL)
		return 1;
	test_queue(dir);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		ok(0, "remove %s", dir);
	if (mkdtemp(dir2) == NULL)
		return 1;
	test_faults(dir2);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir2);
	if (system(cmd) != 0)
		ok(0, "remove %s", dir2);
	return done_testing();
}
