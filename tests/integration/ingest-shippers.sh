#!/usr/bin/env bash
# ingest-shippers.sh - real log shippers into the ingest API behind nginx:
# rsyslog with omelasticsearch (package rsyslog-elasticsearch) and syslog-ng
# with elasticsearch-http() (syslog-ng-core, -mod-http and -scl unpacked by
# scripts/deps under /var/cache/asyncreq-deps/syslog-ng, since Debian's
# rsyslog and syslog-ng conflict). Each runs in the foreground on loopback
# with its own configuration, pid, state and input socket in $T; `logger`
# lines sent to that socket are found by a background search with their
# fields and times. The system's own syslog services are never touched.
#
# Environment: AR_RSYSLOGD (default /usr/sbin/rsyslogd), AR_SYSLOG_NG_ROOT
# (default /var/cache/asyncreq-deps/syslog-ng).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/harness.sh"

RSYSLOGD=${AR_RSYSLOGD:-/usr/sbin/rsyslogd}
SNG=${AR_SYSLOG_NG_ROOT:-/var/cache/asyncreq-deps/syslog-ng}
N=5

ar_init
ar_require_programs
ar_check "rsyslogd with omelasticsearch is installed (scripts/deps)" \
    test -x "$RSYSLOGD" -a -e /usr/lib/x86_64-linux-gnu/rsyslog/omelasticsearch.so
ar_check "syslog-ng is unpacked under $SNG (scripts/deps)" \
    test -x "$SNG/usr/sbin/syslog-ng" -a -e "$SNG/usr/lib/syslog-ng/3.38/libhttp.so"
ar_check "logger is there" test -x "$(command -v logger)"
ar_conf main "auth.ingest_users = rsyslog, syslogng"
ar_check "runner starts" ar_start_runner main
ar_check "asyncreq-fcgi (2 workers) listens" ar_start_fcgi main 2
AR_USERS="$AR_USERS rsyslog syslogng"
ar_htpasswd
AR_NGINX_INGEST=$T/main.sock
ar_check "nginx starts with the ingest server block" \
    ar_nginx_start "/auth|$T/main.sock|1"
[ "$AR_TAP_FAIL" -eq 0 ] || ar_done

# count INDEX: events in INDEX, by the ingest API's _cat/indices.
count() {
	curl -s -u rsyslog:pw-rsyslog "$AR_INGEST_BASE/_cat/indices?format=json" |
		"$AR_PYTHON" -c 'import json, sys
n = [int(r["docs.count"]) for r in json.load(sys.stdin) if r["index"] == sys.argv[1]]
print(n[0] if n else 0)' "$1"
}
has_n() { [ "$(count "$1")" = "$2" ]; }

# check_events INDEX T0 T1 N WHAT PROGRAM: a background search over [T0-1s, T1+1s]
# (epoch seconds) finds the N lines with their fields.
check_events() {
	ar_py "$(cat <<'EOF'
import base64, http.client, json, sys, time, urllib.parse
from api_test import say
base, index, t0, t1, n, what, prog = sys.argv[1], sys.argv[2], float(sys.argv[3]), \
    float(sys.argv[4]), int(sys.argv[5]), sys.argv[6], sys.argv[7]
u = urllib.parse.urlsplit(base)
H = {"Authorization": "Basic " + base64.b64encode(b"alice:pw-alice").decode(),
     "Content-Type": "application/json"}

def call(m, p, body=None):
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    c.request(m, "/auth/_sme/async_requests/" + p, body=body, headers=H)
    r = c.getresponse()
    return r.status, json.loads(r.read() or b"null")

def iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + ".%03dZ" % int((t % 1) * 1000)

def search(q, start, end):
    st, d = call("POST", "request", json.dumps({"query": q, "dtStart": iso(start), "dtEnd": iso(end)}))
    tid = d["id"]
    for _ in range(1500):
        st, s = call("GET", "status/" + tid)
        if s["status"] in ("DONE", "FAILED", "CANCELLED"):
            break
        time.sleep(0.02)
    return call("GET", "response/" + tid)[1]

d = search("source %s | sort message | table message, program, host, severity, facility, @timestamp" % index,
           t0 - 1, t1 + 1)
ev = d.get("events", [])
msgs = [e.get("message", "").strip() for e in ev]
say(msgs == ["%s line %d" % (what, i) for i in range(1, n + 1)],
    "%s: the %d logger lines are found in the sending window" % (what, n), msgs)
say(all(e.get("program") == prog for e in ev), "%s: program is the logger tag" % what,
    [e.get("program") for e in ev])
say(all(e.get("severity") in ("notice", "5") and e.get("facility") in ("user", "1")
        for e in ev), "%s: severity notice, facility user" % what,
    [(e.get("severity"), e.get("facility")) for e in ev])
say(all(e.get("host") for e in ev), "%s: the host is named" % what, [e.get("host") for e in ev])
say(all(isinstance(e.get("@timestamp"), str) and "T" in e["@timestamp"] and
        "_time_missing" not in e for e in ev),
    "%s: each has its own ISO-8601 @timestamp (not the receipt time)" % what,
    [e.get("@timestamp") for e in ev])
d = search("source %s | stats count" % index, t0 - 1, t1 + 1)
say(d.get("events") == [{"count": n}], "%s: a time range around the sending finds all %d" % (what, n), d)
d = search("source %s | stats count" % index, t1 + 3600, t1 + 7200)
say(d.get("events") in ([{"count": 0}], []), "%s: a later range finds none" % what, d)
print("END")
EOF
)" "$AR_BASE" "$@"
}

# ---------------------------------------------------------------- rsyslog
mkdir -p "$T/rsyslog"
cat >"$T/rsyslog.conf" <<EOF
# rsyslog -> asyncreq (docs/ingest.md), as the test runs it.
global(workDirectory="$T/rsyslog")
module(load="imuxsock" SysSock.Use="off")
input(type="imuxsock" Socket="$T/rsyslog.sock")
module(load="omelasticsearch")
template(name="asyncreq-json" type="list" option.jsonf="on") {
	property(outname="@timestamp" name="timereported" dateFormat="rfc3339" format="jsonf")
	property(outname="host" name="hostname" format="jsonf")
	property(outname="severity" name="syslogseverity-text" format="jsonf")
	property(outname="facility" name="syslogfacility-text" format="jsonf")
	property(outname="program" name="programname" format="jsonf")
	property(outname="message" name="msg" format="jsonf")
}
action(type="omelasticsearch"
	server="127.0.0.1" serverport="$AR_INGEST_PORT" usehttps="off"
	uid="rsyslog" pwd="pw-rsyslog"
	searchIndex="rsyslog" template="asyncreq-json"
	esVersion.major="8" bulkmode="on" maxbytes="1m"
	errorFile="$T/rsyslog/es-errors.json"
	action.resumeRetryCount="-1" action.resumeInterval="1"
	queue.type="linkedList" queue.timeoutEnqueue="0")
EOF
ar_check "rsyslogd accepts the configuration" \
    "$RSYSLOGD" -N1 -f "$T/rsyslog.conf" -i "$T/rsyslog/check.pid" 2>/dev/null
ar_spawn rsyslog "$RSYSLOGD" -n -f "$T/rsyslog.conf" -i "$T/rsyslog/rsyslogd.pid"
ar_check "rsyslogd (foreground, its own socket) is up" ar_wait_path "$T/rsyslog.sock" 10
t0=$(date +%s.%N)
for i in $(seq 1 $N); do
	logger -u "$T/rsyslog.sock" -t asyncreq-rs "rsyslog line $i"
done
t1=$(date +%s.%N)
ar_check "rsyslog's $N lines arrive in index rsyslog" ar_wait_until 30 has_n rsyslog $N
check_events rsyslog "$t0" "$t1" $N rsyslog asyncreq-rs
ar_is "rsyslog wrote no error file (every item was accepted)" \
    "$(cat "$T/rsyslog/es-errors.json" 2>/dev/null)" ""

ar_stop rsyslog TERM

# ---------------------------------------------------------------- syslog-ng
mkdir -p "$T/syslog-ng"
cat >"$T/syslog-ng.conf" <<EOF
@version: 3.38
# syslog-ng -> asyncreq (docs/ingest.md), as the test runs it.
@include "$SNG/usr/share/syslog-ng/include/scl/elasticsearch/elastic-http.conf"
options { stats-freq(0); keep-hostname(yes); time-reopen(1); };
source s_test { unix-dgram("$T/syslog-ng.sock"); };
destination d_asyncreq {
	elasticsearch-http(
		url("http://127.0.0.1:$AR_INGEST_PORT/_bulk")
		index("syslog-ng")
		type("")
		user("syslogng")
		password("pw-syslogng")
		template("\$(format-json @timestamp=\${ISODATE} host=\${HOST} program=\${PROGRAM} severity=\${LEVEL} facility=\${FACILITY} message=\${MESSAGE})")
		batch-lines(10)
		batch-timeout(200)
		workers(1)
	);
};
log { source(s_test); destination(d_asyncreq); };
EOF
SNG_RUN=(env LD_LIBRARY_PATH="$SNG/usr/lib/syslog-ng" "$SNG/usr/sbin/syslog-ng"
	-f "$T/syslog-ng.conf" --module-path="$SNG/usr/lib/syslog-ng/3.38"
	-R "$T/syslog-ng/persist" -c "$T/syslog-ng/ctl" -p "$T/syslog-ng/pid")
ar_check "syslog-ng accepts the configuration" "${SNG_RUN[@]}" --syntax-only
ar_spawn syslog-ng "${SNG_RUN[@]}" -F
ar_check "syslog-ng (foreground, its own socket) is up" ar_wait_path "$T/syslog-ng.sock" 10
t0=$(date +%s.%N)
for i in $(seq 1 $N); do
	logger -u "$T/syslog-ng.sock" -d -t asyncreq-sng "syslog-ng line $i"
done
t1=$(date +%s.%N)
ar_check "syslog-ng's $N lines arrive in index syslog-ng" ar_wait_until 30 has_n syslog-ng $N
check_events syslog-ng "$t0" "$t1" $N syslog-ng asyncreq-sng

# The responder down: nginx answers 502, syslog-ng keeps the lines and
# re-sends them once asyncreq is back; each arrives exactly once.
bulk_502s() { grep -c '"POST /_bulk HTTP/1.1" 502' "$T/nginx/access.log"; }
more_502s() { [ "$(bulk_502s)" -gt "$1" ]; }
more_than() { [ "$(count "$1")" -gt "$2" ]; }
no_more_within() { ! ar_wait_until "$1" more_than "$2" "$3"; }
before=$(bulk_502s)
ar_stop fcgi-main TERM
for i in $(seq 1 $N); do
	logger -u "$T/syslog-ng.sock" -d -t asyncreq-sng "syslog-ng retry $i"
done
ar_check "with asyncreq-fcgi stopped, syslog-ng's _bulk gets 502" \
    ar_wait_until 30 more_502s "$before"
ar_check "asyncreq-fcgi starts again" ar_start_fcgi main 2
ar_check "syslog-ng re-sends: the $N lines arrive" \
    ar_wait_until 60 has_n syslog-ng $((2 * N)) ||
	echo "#   index syslog-ng holds $(count syslog-ng) events"
ar_check "and each exactly once (no more events within 3 s)" \
    no_more_within 3 syslog-ng $((2 * N))
ar_stop syslog-ng TERM

ar_done
