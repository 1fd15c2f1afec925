#!/usr/bin/env bash
# ingest.sh - the Elasticsearch-compatible ingest API behind nginx: _bulk and
# _doc with exact answers, malformed bodies, auth, gzip, limits, the probes
# shippers make, and the events found again by a background search. Real
# shippers (rsyslog, syslog-ng) are driven by ingest-shippers.sh, Splunk's
# collector by hec.sh.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/harness.sh"

ar_init
ar_require_programs
ar_conf main "auth.ingest_users = alice, carol" "ingest.max_body_bytes = 64KiB" \
    "auth.admin_users = alice"
ar_check "runner starts" ar_start_runner main
ar_check "asyncreq-fcgi (2 workers) listens" ar_start_fcgi main 2
# The ingest block on a pool of its own, as conf/nginx/asyncreq-ingest.conf
# and the quickstart have it, at a lower CPU priority.
cp "$T/main.conf" "$T/ingest.conf"
ar_check "the ingest pool (asyncreq-fcgi --nice 7, 2 workers) listens" \
    ar_start_fcgi ingest 2 "$T/ingest.sock" --nice 7
nices=$(for p in $(pgrep -P "${AR_PID[fcgi-ingest]}"); do
	awk '{ print $19 }' "/proc/$p/stat"
done | sort | uniq -c | awk '{ print $1 "x" $2 }')
ar_is "--nice 7: both workers run at nice 7" "$nices" "2x7"
ar_is "--nice 7: the pool's autogroup (it leads its session) has nice 7" \
    "$(sed 's/.* nice //' "/proc/${AR_PID[fcgi-ingest]}/autogroup")" "7"
out=$("$AR_FCGI" -c "$T/main.conf" --listen "unix:$T/x.sock" --nice 20 2>&1)
ar_is "--nice 20: refused (exit 2) with a clear message" "$?:$out" \
    "2:asyncreq-fcgi: --nice must be 0..19"
ar_htpasswd
AR_NGINX_INGEST=$T/ingest.sock
ar_check "nginx starts with the API and the ingest server block" \
    ar_nginx_start "|$T/main.sock|0" "/auth|$T/main.sock|1"
ar_check "health answers 200 through nginx" \
    ar_wait_health "$AR_BASE/_sme/async_requests/health" 15
[ "$AR_TAP_FAIL" -eq 0 ] || ar_done

ar_py "$(cat <<'EOF'
import base64, gzip, http.client, json, re, sys, time, urllib.parse
from api_test import say

ingest, api = sys.argv[1], sys.argv[2]
IU, AU = urllib.parse.urlsplit(ingest), urllib.parse.urlsplit(api)
NDJSON = {"Content-Type": "application/x-ndjson"}


def auth(user):
    if user is None:
        return {}
    return {"Authorization": "Basic " + base64.b64encode(
        ("%s:pw-%s" % (user, user)).encode()).decode()}


def call(u, method, path, body=None, user="alice", headers=None):
    h = dict(headers or {})
    h.update(auth(user))
    if isinstance(body, str):
        body = body.encode()
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
    try:
        c.request(method, path, body=body, headers=h)
        r = c.getresponse()
        data = r.read()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, data
    finally:
        c.close()


def es(method, path, body=None, user="alice", headers=NDJSON):
    return call(IU, method, path, body, user, headers)


def j(data):
    try:
        return json.loads(data)
    except Exception:
        return None


def took0(data):
    """The answer with "took" (a duration) set to 0, for exact checks."""
    return re.sub(rb'^\{"took":[0-9]+,', b'{"took":0,', data).decode()


def count(index):
    st, _, data = es("GET", "/_cat/indices?format=json", headers={})
    for row in j(data) or []:
        if row["index"] == index:
            return int(row["docs.count"])
    return 0


def search(query, start="2000-01-01T00:00:00Z", end="2100-01-01T00:00:00Z"):
    body = json.dumps({"query": query, "dtStart": start, "dtEnd": end})
    st, _, data = call(AU, "POST", "/auth/_sme/async_requests/request", body,
                       headers={"Content-Type": "application/json"})
    tid = (j(data) or {}).get("id")
    if st != 201 or not tid:
        return None, "create: %s %r" % (st, data)
    deadline = time.time() + 30
    while time.time() < deadline:
        st, _, data = call(AU, "GET", "/auth/_sme/async_requests/status/" + tid)
        if (j(data) or {}).get("status") in ("DONE", "FAILED", "CANCELLED"):
            break
        time.sleep(0.02)
    st, _, data = call(AU, "GET", "/auth/_sme/async_requests/response/" + tid)
    return j(data), data


def item(action, index, seq, id_=None):
    return ('{"%s":{"_index":"%s","_id":"%s","_version":1,"result":"created",'
            '"_shards":{"total":1,"successful":1,"failed":0},"_seq_no":%d,'
            '"_primary_term":1,"status":201}}'
            % (action, index, id_ or "%016x" % seq, seq))


# -- probes: what shippers ask before they send ------------------------------
st, h, data = es("GET", "/", headers={})
d = j(data) or {}
say(st == 200 and d.get("version", {}).get("number") == "8.11.0" and
    d.get("tagline") == "You Know, for Search", "GET / answers a version document "
    "(8.11.0)", data)
say(h.get("x-elastic-product") == "Elasticsearch",
    "answers carry X-Elastic-Product: Elasticsearch (clients 7.14+ check it)", h)
st, h, data = es("HEAD", "/", headers={})
say(st == 200 and data == b"", "HEAD / is 200 without a body", st, data)
st, h, data = es("GET", "/_cluster/health", headers={})
say(st == 200 and (j(data) or {}).get("status") == "green", "GET /_cluster/health "
    "is green", data)
st, h, data = es("GET", "/_license", headers={})
say(st == 200 and (j(data) or {}).get("license", {}).get("status") == "active",
    "GET /_license is an active basic license", data)
st, h, data = es("GET", "/_index_template/logs", headers={})
say(st == 404 and (j(data) or {}).get("error", {}).get("type") ==
    "resource_not_found_exception", "GET /_index_template/NAME: 404 (none kept)", data)
st, h, data = es("PUT", "/_index_template/logs", '{"index_patterns":["x*"]}',
                 headers={"Content-Type": "application/json"})
say(st == 200 and data == b'{"acknowledged":true}', "PUT /_index_template/NAME is "
    "acknowledged", st, data)
st, h, data = es("PUT", "/_ilm/policy/p", '{"policy":{}}',
                 headers={"Content-Type": "application/json"})
say(st == 200 and data == b'{"acknowledged":true}', "PUT /_ilm/policy/NAME is "
    "acknowledged", st, data)
st, h, data = es("GET", "/_cat/indices?format=json", headers={})
say(st == 200 and data == b"[]", "GET /_cat/indices?format=json: no index yet",
    st, data)

# -- _bulk: exact answers ----------------------------------------------------
body = ('{"index":{"_index":"web"}}\n'
        '{"@timestamp":"2026-12-03T10:00:00.250+01:00","msg":"first","n":1}\n'
        '{"create":{"_index":"web","_id":"abc"}}\n'
        '{"@timestamp":1796288460,"msg":"second","n":2}\n'
        '{"index":{}}\n'
        '{"@timestamp":1796288520500,"msg":"third","n":3}\n')
st, h, data = es("POST", "/web/_bulk", body)
say(st == 200 and took0(data) == '{"took":0,"errors":false,"items":[' +
    item("index", "web", 1) + "," + item("create", "web", 2, "abc") + "," +
    item("index", "web", 3) + "]}",
    "POST /web/_bulk: three items 201, exact answer", st, data)
say(h.get("content-type", "").startswith("application/json"),
    "the answer is JSON", h)
say(count("web") == 3, "index web was created on the first write, 3 events")

st, h, data = es("POST", "/_doc_bad_path", "{}")
say(st == 404, "an unknown path is 404", st, data)
st, h, data = es("POST", "/web/_doc",
                 '{"@timestamp":"2026-12-03T09:03:00Z","msg":"single"}',
                 headers={"Content-Type": "application/json"})
say(st == 201 and data.decode() == item("x", "web", 4)[5:-len(',"status":201}}')] + "}",
    "POST /web/_doc: 201 with the document's result", st, data)

st, h, data = es("POST", "/_bulk", '{"index":{"_index":"nots"}}\n{"msg":"no time"}\n')
say(st == 200 and (j(data) or {}).get("errors") is False, "an event without a time "
    "is stored", st, data)

# -- malformed bodies: per item, or the whole request ------------------------
before = count("web")
st, h, data = es("POST", "/_bulk",
                 b'{"index":{"_index":"web"}}\n{"msg":"ok 1","@timestamp":1796288400}\n'
                 b'{"index":{"_index":"web"}}\n{"msg": broken\n'
                 b'{"index":{"_index":"web"}}\n{"msg":"\xff"}\n'
                 b'{"index":{"_index":"../x"}}\n{"msg":"x"}\n'
                 b'{"index":{"_index":"_all"}}\n{"msg":"x"}\n'
                 b'{"index":{"_index":"Web"}}\n{"msg":"x"}\n'
                 b'{"delete":{"_index":"web","_id":"abc"}}\n'
                 b'{"update":{"_index":"web","_id":"abc"}}\n{"doc":{}}\n'
                 b'{"index":{}}\n{"msg":"x"}\n'
                 b'{"index":{"_index":"web"}}\n[1]\n')
d = j(data) or {}
items = d.get("items", [])
errs = [(list(i)[0], i[list(i)[0]].get("status"), i[list(i)[0]].get("error", {}).get("type"),
         i[list(i)[0]].get("error", {}).get("reason")) for i in items]
say(st == 200 and d.get("errors") is True and len(items) == 10,
    "a body with bad items: 200, errors true, one result per item", st, data)
say(errs[0][:2] == ("index", 201), "the good item is stored", errs)
say(errs[1][1:3] == (400, "mapper_parsing_exception") and
    errs[1][3].startswith("failed to parse: the document is not JSON: "),
    "a bad JSON document: 400 mapper_parsing_exception, reason names it", errs[1])
say(errs[2][1:] == (400, "mapper_parsing_exception",
                    "failed to parse: the document is not valid UTF-8"),
    "a document that is not UTF-8: named", errs[2])
say(errs[3][1:] == (400, "invalid_index_name_exception",
    "Invalid index name [../x], must not contain the following characters "
    "[\\, /, *, ?, \", <, >, |, ' ', ',', #, :]"), "index ../x is refused", errs[3])
say(errs[4][1:] == (400, "invalid_index_name_exception",
    "Invalid index name [_all], must not start with '_', '-', or '+'"),
    "index _all is refused", errs[4])
say(errs[5][1:] == (400, "invalid_index_name_exception",
    "Invalid index name [Web], must be lowercase"), "an upper-case index", errs[5])
say(errs[6] == ("delete", 400, "illegal_argument_exception", "the delete action "
    "is not supported: ingest only adds events (index or create)"),
    "delete: a per-item error", errs[6])
say(errs[7] == ("update", 400, "illegal_argument_exception", "the update action "
    "is not supported: ingest only adds events (index or create)"),
    "update: a per-item error", errs[7])
say(errs[8] == ("index", 400, "action_request_validation_exception",
                "Validation Failed: 1: index is missing;"),
    "no index in the action nor the path", errs[8])
say(errs[9][1:3] == (400, "mapper_parsing_exception") and
    errs[9][3] == "failed to parse: the document must be a JSON object",
    "a document that is not an object", errs[9])
say(count("web") == before + 1, "only the good item was kept", count("web"))
say(count("x") == 0 and count("_all") == 0, "no index ../x or _all exists")

before = count("web")
for name, body, reason in [
        ("a document without its action line",
         '{"index":{"_index":"web"}}\n{"m":1}\n{"m":2}\n{"index":{"_index":"web"}}\n{"m":3}\n',
         "line 3: unknown action 'm' (expected index, create, delete or update; "
         "is this a document without its action line?)"),
        ("an action without its document (another action follows)",
         '{"index":{"_index":"web"}}\n{"m":1}\n{"index":{"_index":"web"}}\n'
         '{"index":{"_index":"web"}}\n{"m":3}\n',
         "line 4: the index action of line 3 is followed by another action "
         "line, not a document"),
        ("an action without its document at the end",
         '{"index":{"_index":"web"}}\n{"m":1}\n{"index":{"_index":"web"}}\n',
         "line 3: the index action is not followed by a document"),
        ("an action line that is not JSON",
         '{"index":{"_index":"web"}}\n{"m":1}\nnonsense\n{"m":2}\n', None),
        ("an empty body", "", "Validation Failed: 1: no requests added;")]:
    st, h, data = es("POST", "/_bulk", body)
    e = (j(data) or {}).get("error", {})
    say(st == 400 and (reason is None or e.get("reason") == reason) and
        (reason is not None or e.get("reason", "").startswith(
            "line 3: the action line is not JSON: ")),
        name + ": 400 for the whole request, the line named", st, data)
say(count("web") == before, "nothing of a refused request was kept, nothing "
    "committed before was lost", count("web"), before)

st, h, data = es("POST", "/_bulk", '{"index":{"_index":"web"}}\n{"m":1}\n',
                 headers={"Content-Type": "text/plain"})
say(st == 415 and (j(data) or {}).get("error", {}).get("reason") ==
    "Content-Type 'text/plain' is not supported: send application/x-ndjson "
    "or application/json", "text/plain is refused (415: cross-site forms "
    "cannot send events)", st, data)
big = '{"index":{"_index":"web"}}\n{"pad":"%s"}\n' % ("x" * 70000)
st, h, data = es("POST", "/_bulk", big)
say(st == 413 and (j(data) or {}).get("error", {}).get("reason") ==
    "the body is larger than ingest.max_body_bytes (65536 bytes)",
    "a body over ingest.max_body_bytes: 413 naming the limit", st, data)
st, h, data = es("POST", "/_bulk", gzip.compress(big.encode()),
                 headers={"Content-Type": "application/x-ndjson",
                          "Content-Encoding": "gzip"})
say(st == 413 and (j(data) or {}).get("error", {}).get("reason") ==
    "the gzip body inflates to more than ingest.max_body_bytes (65536 bytes)",
    "a small gzip body that inflates past the limit: 413", st, data)
st, h, data = es("POST", "/_bulk", b"\x1f\x8b\x08\x00garbage garbage",
                 headers={"Content-Type": "application/x-ndjson",
                          "Content-Encoding": "gzip"})
say(st == 400 and (j(data) or {}).get("error", {}).get("reason", "").startswith(
    "the body is not valid gzip (Content-Encoding: gzip): "),
    "gzip garbage: 400 naming it", st, data)
c = http.client.HTTPConnection(IU.hostname, IU.port, timeout=30)
c.putrequest("POST", "/_bulk")
for k, v in dict(auth("alice"), **NDJSON).items():
    c.putheader(k, v)
c.putheader("Content-Length", str(2 << 30))
c.endheaders()
r = c.getresponse()
data = r.read()
c.close()
say(r.status == 413 and (j(data) or {}).get("error", {}).get("type") ==
    "request_entity_too_large", "a 2 GB Content-Length: 413 before any byte "
    "is read", r.status, data)
st, h, data = es("POST", "/gz/_bulk", gzip.compress(
    b'{"index":{}}\n{"@timestamp":"2026-12-03T09:05:00Z","msg":"zipped"}\n'),
    headers={"Content-Type": "application/x-ndjson", "Content-Encoding": "gzip"})
say(st == 200 and took0(data).startswith('{"took":0,"errors":false,'),
    "a gzip body (Content-Encoding: gzip) is inflated and stored", st, data)
st, h, data = es("POST", "/gz/_bulk", gzip.compress(
    b'{"index":{}}\n{"@timestamp":"2026-12-03T09:06:00Z","msg":"member 1"}\n') +
    gzip.compress(b'{"index":{}}\n{"@timestamp":"2026-12-03T09:07:00Z","msg":"member 2"}\n'),
    headers={"Content-Type": "application/x-ndjson", "Content-Encoding": "gzip"})
d = j(data) or {}
say(st == 200 and d.get("errors") is False and len(d.get("items", [])) == 2,
    "a gzip body of two members: both inflated", st, data)
st, h, data = es("PUT", "/gz/_doc/my-id", '{"@timestamp":"2026-12-03T09:08:00Z","msg":"put"}',
                 headers={"Content-Type": "application/json"})
say(st == 201 and (j(data) or {}).get("_id") == "my-id", "PUT /{index}/_doc/{id}: 201 "
    "echoing the id", st, data)
st, h, data = es("GET", "/web/_bulk", headers={})
say(st == 405 and (j(data) or {}).get("error", {}).get("reason") == "Incorrect HTTP "
    "method for uri [/web/_bulk] and method [GET], allowed: [POST, PUT]",
    "GET on _bulk: 405", st, data)
say(count("web") == before, "still nothing more in web", count("web"))

# -- who may write ------------------------------------------------------------
st, h, data = es("POST", "/_bulk", '{"index":{"_index":"web"}}\n{"m":1}\n', user=None)
say(st == 401 and (j(data) or {}).get("error", {}).get("type") ==
    "security_exception" and "www-authenticate" in h,
    "no credentials: 401 in the error envelope, with WWW-Authenticate", st, data)
st, h, data = es("POST", "/_bulk", '{"index":{"_index":"web"}}\n{"m":1}\n', user="bob")
say(st == 403 and (j(data) or {}).get("error", {}).get("reason") ==
    "user 'bob' may not write events (not in auth.ingest_users)",
    "a user not in auth.ingest_users: 403", st, data)
st, h, data = es("GET", "/_cat/indices", user="bob", headers={})
say(st == 403, "and may not list indices either", st, data)
say(count("web") == before, "nothing written by them", count("web"))

# -- a background search finds the events -------------------------------------
d, raw = search("source web | table n, msg, @timestamp")
ev = (d or {}).get("events", [])
want = [[None, "single", "2026-12-03T09:03:00Z"],
        [3, "third", 1796288520500],
        [2, "second", 1796288460],
        [1, "first", "2026-12-03T10:00:00.250+01:00"],
        [None, "ok 1", 1796288400]]
got = [[e.get("n"), e.get("msg"), e.get("@timestamp")] for e in ev]
say(got == want, "source web finds every stored event with its fields, "
    "newest first", got)
for start, end, n, what in [
        ("09:00:00.250", "09:00:00.251", 1, "ISO-8601 with an offset (+01:00)"),
        ("09:00:00.000", "09:00:00.001", 1, "epoch seconds (bulk)"),
        ("09:01:00.000", "09:01:00.001", 1, "epoch seconds"),
        ("09:02:00.500", "09:02:00.501", 1, "epoch milliseconds"),
        ("09:03:00.000", "09:03:00.001", 1, "ISO-8601 Z (_doc)"),
        ("09:00:30", "09:02:30", 2, "a range of two")]:
    d, raw = search("source web | stats count", "2026-12-03T%sZ" % start,
                    "2026-12-03T%sZ" % end)
    say((d or {}).get("events") == [{"count": n}],
        "event time to the millisecond: %s" % what, raw)
now = time.time()
d, raw = search("source nots | table msg, _time_missing, @timestamp", "now-1h", "now+1h")
ev = (d or {}).get("events", [])
ok_time = False
if len(ev) == 1:
    ts = ev[0].get("@timestamp", "")
    try:
        t = time.mktime(time.strptime(ts[:19], "%Y-%m-%dT%H:%M:%S")) - time.timezone
        ok_time = abs(t - now) < 300
    except Exception:
        pass
say(len(ev) == 1 and ev[0].get("msg") == "no time" and
    ev[0].get("_time_missing") is True and ok_time,
    "an event without a time has the receipt time and _time_missing: true", ev)
d, raw = search("source gz | table msg")
say((d or {}).get("events") == [{"msg": "put"}, {"msg": "member 2"}, {"msg": "member 1"},
                                {"msg": "zipped"}], "the gzip events are found", raw)
d, raw = search("source nots | search _time_missing=true | stats count", "now-1h", "now+1h")
say((d or {}).get("events") == [{"count": 1}], "search _time_missing=true finds "
    "the events that had no time", raw)
print("END")
EOF
)" "$AR_INGEST_BASE" "$AR_BASE"

ar_done
