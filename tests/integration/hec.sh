#!/usr/bin/env bash
# hec.sh - Splunk's HTTP Event Collector behind nginx: tokens bound to an
# index, /event (objects one after another), /raw (one event a line),
# /health, Splunk's answers and codes, nothing kept of a refused body, and
# the events found by a background search with their fields and times.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/harness.sh"

ar_init
ar_require_programs
ar_conf main "ingest.hec_tokens = \"0123abcd-0000-4000-8000-00000000f00d=hec, feedbeef-feed=other\"" \
    "ingest.max_body_bytes = 64KiB"
ar_check "runner starts" ar_start_runner main
ar_check "asyncreq-fcgi listens" ar_start_fcgi main 2
ar_htpasswd
AR_NGINX_INGEST=$T/main.sock
ar_check "nginx starts with the ingest server block" \
    ar_nginx_start "/auth|$T/main.sock|1"
[ "$AR_TAP_FAIL" -eq 0 ] || ar_done

ar_py "$(cat <<'PY'
import base64, gzip, http.client, json, sys, time, urllib.parse
from api_test import say
ingest, api = sys.argv[1], sys.argv[2]
IU, AU = urllib.parse.urlsplit(ingest), urllib.parse.urlsplit(api)
TOK = "0123abcd-0000-4000-8000-00000000f00d"


def call(u, method, path, body=None, headers=None):
    if isinstance(body, str):
        body = body.encode()
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
    try:
        c.request(method, path, body=body, headers=headers or {})
        r = c.getresponse()
        return r.status, r.read()
    finally:
        c.close()


def hec(path, body=None, token=TOK, method="POST", headers=None):
    h = dict(headers or {})
    if token is not None:
        h["Authorization"] = "Splunk " + token
    st, data = call(IU, method, path, body, h)
    return st, data.decode()


def search(q, start="2000-01-01T00:00:00Z", end="2100-01-01T00:00:00Z"):
    h = {"Authorization": "Basic " + base64.b64encode(b"alice:pw-alice").decode(),
         "Content-Type": "application/json"}
    st, data = call(AU, "POST", "/auth/_sme/async_requests/request",
                    json.dumps({"query": q, "dtStart": start, "dtEnd": end}), h)
    tid = json.loads(data)["id"]
    for _ in range(1500):
        st, data = call(AU, "GET", "/auth/_sme/async_requests/status/" + tid, None, h)
        if json.loads(data)["status"] in ("DONE", "FAILED", "CANCELLED"):
            break
        time.sleep(0.02)
    return json.loads(call(AU, "GET", "/auth/_sme/async_requests/response/" + tid, None, h)[1])


st, d = hec("/services/collector/health", method="GET", token=None)
say((st, d) == (200, '{"text":"HEC is healthy","code":17}'), "GET health: healthy", st, d)
st, d = hec("/services/collector/event", '{"event":"x"}', token=None)
say((st, d) == (401, '{"text":"Token is required","code":2}'), "no token: 401 code 2", st, d)
st, d = hec("/services/collector/event", '{"event":"x"}', headers={"Authorization": "Basic YTpi"}, token=None)
say((st, d) == (401, '{"text":"Invalid authorization","code":3}'), "another scheme: 401 code 3", st, d)
st, d = hec("/services/collector/event", '{"event":"x"}', token="0123abcd-0000-4000-8000-00000000f00e")
say((st, d) == (403, '{"text":"Invalid token","code":4}'), "a wrong token: 403 code 4", st, d)

body = ('{"time": 1796288400.25, "host": "fw1", "source": "udp:514", "sourcetype": "syslog", '
        '"event": "deny tcp 10.0.0.1"}\n'
        '{"time": "1796288460", "index": "hec", "event": {"action": "allow", "bytes": 10}, '
        '"fields": {"zone": "dmz", "action": "ignored"}}'
        '{"event": "no time here"}')
st, d = hec("/services/collector/event?host=default-host", body)
say((st, d) == (200, '{"text":"Success","code":0}'), "three events: Success code 0", st, d)
st, d = hec("/services/collector/raw?sourcetype=access&source=web", "line one\n\nline two\n")
say((st, d) == (200, '{"text":"Success","code":0}'), "/raw: two lines stored", st, d)
st, d = hec("/services/collector", gzip.compress(b'{"time":1796288520,"event":"zipped"}'),
            headers={"Content-Encoding": "gzip"})
say((st, d) == (200, '{"text":"Success","code":0}'), "a gzip body on /services/collector", st, d)

for name, b, want in [
        ("no event field", '{"event":"ok"}{"host":"x"}',
         '{"text":"Event field is required","code":12,"invalid-event-number":1}'),
        ("a blank event", '{"event":""}',
         '{"text":"Event field cannot be blank","code":13,"invalid-event-number":0}'),
        ("another index than the token's", '{"event":"a","index":"other"}',
         '{"text":"Incorrect index: this token writes to \'hec\' only","code":7,"invalid-event-number":0}'),
        ("broken JSON after a good event", '{"event":"a"} {"event": nope}', None),
        ("a bad time", '{"event":"a","time":"yesterday"}',
         '{"text":"Invalid data format: \\"time\\" must be epoch seconds","code":6,"invalid-event-number":0}'),
        ("no data", '', '{"text":"No data","code":5}')]:
    st, d = hec("/services/collector/event", b)
    ok = st == 400 and (d == want if want else
                         d.startswith('{"text":"Invalid data format: not JSON: ') and
                         d.endswith('"code":6,"invalid-event-number":1}'))
    say(ok, "%s: 400 with Splunk's code" % name, st, d)

st, d = hec("/services/collector/event?index=other", '{"event":"a"}')
say((st, d) == (400, '{"text":"Incorrect index","code":7}'), "?index= of another index: 400", st, d)
st, d = hec("/services/collector/event", '{"event":"b"}', token="feedbeef-feed")
say((st, d) == (200, '{"text":"Success","code":0}'), "the second token writes to its own index", st, d)
st, d = hec("/services/collector/event", '{"event":"a"}', method="GET")
say(st == 405, "GET on event: 405", st, d)

r = search("source hec | table message, action, bytes, zone, host, source, sourcetype, @timestamp, _time_missing", "now-10y", "now+1h")
ev = [{k: v for k, v in e.items() if v is not None} for e in r.get("events", [])]
got = sorted(json.dumps(e, sort_keys=True) for e in ev
             if e.get("message") != "no time here" and e.get("sourcetype") != "access")
want = sorted(json.dumps(e, sort_keys=True) for e in [
    {"message": "zipped", "@timestamp": "2026-12-03T09:02:00.000Z"},
    {"action": "allow", "bytes": 10, "zone": "dmz", "host": "default-host", "@timestamp": "2026-12-03T09:01:00.000Z"},
    {"message": "deny tcp 10.0.0.1", "host": "fw1", "source": "udp:514", "sourcetype": "syslog", "@timestamp": "2026-12-03T09:00:00.250Z"},
])
say(got == want, "the /event events: fields, defaults from ?host=, HEC time as @timestamp", got)
nt = [e for e in ev if e.get("message") == "no time here"]
say(len(nt) == 1 and nt[0].get("_time_missing") is True and nt[0].get("host") == "default-host",
    "an event without time: receipt time and _time_missing", nt)
say(len(ev) == 6, "nothing of a refused body was kept (3 + 1 + 2 raw events in hec)", len(ev))
r = search("source hec | stats count", "2026-12-03T09:00:00.250Z", "2026-12-03T09:00:00.251Z")
say(r.get("events") == [{"count": 1}], "the HEC time is the event time to the millisecond", r)
r = search("source hec* | search sourcetype=access | table message, source", "now-1h", "now+1h")
say(r.get("events") == [{"message": "line two", "source": "web"}, {"message": "line one", "source": "web"}] or
    r.get("events") == [{"message": "line one", "source": "web"}, {"message": "line two", "source": "web"}],
    "/raw lines are events with ?source= and ?sourcetype=", r)
r = search("source other | table message", "now-1h", "now+1h")
say(r.get("events") == [{"message": "b"}], "index other holds the second token's event", r)
print("END")
PY
)" "$AR_INGEST_BASE" "$AR_BASE"

ar_done
