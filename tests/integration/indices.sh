#!/usr/bin/env bash
# indices.sh - indices through the command line and the ingest API behind
# nginx: the list (events, bytes, oldest, newest), delete (admin only on the
# API), retention enforced by the runner (an index pattern with a short
# age: old events gone, recent kept), and auth.index_access: two users, two
# indices, exact results of `source *`, a forbidden pattern answering as a
# missing one, an admin seeing all, _cat/indices listing what each may
# read; the sidebar's _index.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/harness.sh"

ar_init
ar_require_programs
ar_conf main 'auth.admin_users = "carol"' 'auth.ingest_users = "alice"' \
    'auth.index_access = "alice=web-*; bob=db-*"' \
    'retention.index_rules = "tmp-*:1h"' 'retention.index_sweep_seconds = 1'
C=$T/main.conf
mkdir -p "$T/data"
NOW=$(date +%s)
# web-1: 3 events, db-1: 2, tmp-1: 2 from 2020 and 1 of now.
printf '{"@timestamp":%d,"n":1}\n{"@timestamp":%d,"n":2}\n{"@timestamp":%d,"n":3}\n' \
    $((NOW - 30)) $((NOW - 20)) $((NOW - 10)) >"$T/data/web.ndjson"
printf '{"@timestamp":%d,"n":4}\n{"@timestamp":%d,"n":5}\n' $((NOW - 30)) $((NOW - 20)) >"$T/data/db.ndjson"
printf '{"@timestamp":1577836800,"n":6}\n{"@timestamp":1577836801,"n":7}\n{"@timestamp":%d,"n":8}\n' \
    $((NOW - 5)) >"$T/data/tmp.ndjson"
ar_check "ingest web-1" ar_ingest main web-1 "$T/data/web.ndjson"
ar_check "ingest db-1" ar_ingest main db-1 "$T/data/db.ndjson"
ar_check "ingest tmp-1" ar_ingest main tmp-1 "$T/data/tmp.ndjson"

# ------------------------------------------------------------ the CLI list
listing() {	# PATTERN: "name events oldest newest" lines of asyncreq indices
	"$AR_CLI" -c "$C" indices "$@" | awk 'NR > 1 { print $1, $2, $4 }'
}
iso() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%S.000Z; }
ar_is "asyncreq indices: header" "$("$AR_CLI" -c "$C" indices | head -1 | tr -s ' ')" \
    "index events bytes oldest newest"
ar_is "asyncreq indices: events and oldest of each, by name" "$(listing)" \
    "db-1 2 $(iso $((NOW - 30)))
tmp-1 3 2020-01-01T00:00:00.000Z
web-1 3 $(iso $((NOW - 30)))"
ar_is "asyncreq indices web-*: newest" \
    "$("$AR_CLI" -c "$C" indices 'web-*' | awk 'NR > 1 { print $1, $5 }')" "web-1 $(iso $((NOW - 10)))"
B=$(cat "$T/data/web.ndjson" | awk '{ s += length($0) + 20 } END { print s }')
ar_is "asyncreq indices: bytes of web-1 are its events' keys and values" \
    "$("$AR_CLI" -c "$C" indices web-1 | awk 'NR > 1 { print $3 }')" "$B"

# ------------------------------------------------------ retention by the runner
ar_check "runner starts" ar_start_runner main
tmp_is_one() { [ "$(listing 'tmp-*')" = "tmp-1 1 $(iso $((NOW - 5)))" ]; }
ar_check "the runner's retention (tmp-*:1h) removed the 2 old events of tmp-1, kept the recent one" \
    ar_wait_until 20 tmp_is_one
ar_check "and logged it" grep -q "retention: removed 2 event(s) of tmp-1 (rule tmp-\*)" "$T/logs/runner-main.log"
ar_is "indices no rule matches are untouched" "$(listing 'web-*'; listing 'db-*')" \
    "web-1 3 $(iso $((NOW - 30)))
db-1 2 $(iso $((NOW - 30)))"

# ---------------------------------------------------------------- the API
ar_check "asyncreq-fcgi listens" ar_start_fcgi main 2
ar_htpasswd
AR_NGINX_INGEST=$T/main.sock
ar_check "nginx starts with the ingest server block" ar_nginx_start "/auth|$T/main.sock|1"
[ "$AR_TAP_FAIL" -eq 0 ] || ar_done

ar_py "$(cat <<'PY'
import base64, http.client, json, sys, time, urllib.parse
from api_test import say
ingest, api = sys.argv[1], sys.argv[2]
IU, AU = urllib.parse.urlsplit(ingest), urllib.parse.urlsplit(api)


def call(u, method, path, user, body=None):
    h = {"Authorization": "Basic " + base64.b64encode(("%s:pw-%s" % (user, user)).encode()).decode()}
    if body is not None:
        h["Content-Type"] = "application/json"
    if u is AU and method != "GET":
        h["X-Requested-With"] = "asyncreq"
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
    try:
        c.request(method, path, body=body, headers=h)
        r = c.getresponse()
        return r.status, r.read().decode()
    finally:
        c.close()


def search(user, q):
    st, d = call(AU, "POST", "/auth/_sme/async_requests/request", user,
                 json.dumps({"query": q, "dtStart": "2000-01-01T00:00:00Z", "dtEnd": "2100-01-01T00:00:00Z"}))
    tid = json.loads(d)["id"]
    for _ in range(1500):
        st, d = call(AU, "GET", "/auth/_sme/async_requests/status/" + tid, user)
        if json.loads(d)["status"] in ("DONE", "FAILED", "CANCELLED"):
            break
        time.sleep(0.02)
    st, d = call(AU, "GET", "/auth/_sme/async_requests/response/" + tid, user)
    r = json.loads(d)
    return r.get("status"), sorted(e["n"] for e in r.get("events", []))


for user, q, want, name in [
        ("alice", "source *", [1, 2, 3], "alice: source * expands to web-1 only"),
        ("bob", "source *", [4, 5], "bob: source * expands to db-1 only"),
        ("alice", "source db-*", [], "alice: a pattern of forbidden indices finds nothing"),
        ("alice", "source nope-*", [], "alice: as a pattern of no index"),
        ("alice", "source db-1", [], "alice: a forbidden index by name, the same"),
        ("dave", "source *", [], "dave (in no rule) reads nothing"),
        ("carol", "source *", [1, 2, 3, 4, 5, 8], "carol (admin) reads every index")]:
    st, got = search(user, q)
    say(st == "DONE" and got == want, name, st, got)

# The task log of a forbidden pattern says what a missing one says.
def log_of(user, q):
    st, d = call(AU, "POST", "/auth/_sme/async_requests/request", user,
                 json.dumps({"query": q, "dtStart": "2000-01-01T00:00:00Z", "dtEnd": "2100-01-01T00:00:00Z"}))
    tid = json.loads(d)["id"]
    for _ in range(1500):
        st, d = call(AU, "GET", "/auth/_sme/async_requests/status/" + tid, user)
        if json.loads(d)["status"] in ("DONE", "FAILED", "CANCELLED"):
            break
        time.sleep(0.02)
    st, d = call(AU, "GET", "/auth/_sme/async_requests/logs/" + tid, user)
    return [l["message"] for l in json.loads(d).get("logs", []) if "source" in l["message"]]
say(log_of("alice", "source db-*") == ["source db-*: no index matched"] and
    log_of("alice", "source zz-*") == ["source zz-*: no index matched"] and
    log_of("alice", "source web-*") == ["source web-*: 1 index matched"],
    "a forbidden pattern's task log line is the missing one's", log_of("alice", "source db-*"))

# The sidebar of `source *` names each event's index.
st, d = call(AU, "POST", "/auth/_sme/async_requests/request", "carol",
             json.dumps({"query": "source *", "dtStart": "2000-01-01T00:00:00Z",
                         "dtEnd": "2100-01-01T00:00:00Z", "calculateStats": True}))
tid = json.loads(d)["id"]
for _ in range(1500):
    st, d = call(AU, "GET", "/auth/_sme/async_requests/status/" + tid, "carol")
    if json.loads(d)["status"] in ("DONE", "FAILED", "CANCELLED"):
        break
    time.sleep(0.02)
st, d = call(AU, "GET", "/auth/_sme/async_requests/response/" + tid, "carol")
r = json.loads(d)
f = [x for x in r.get("sidebar", {}).get("fields", []) if x["name"] == "_index"]
say(len(f) == 1 and f[0]["count"] == 6 and
    [(t["value"], t["count"]) for t in f[0]["top"]] == [("web-1", 3), ("db-1", 2), ("tmp-1", 1)] and
    all("_index" not in e for e in r.get("events", [])),
    "the sidebar of source * counts _index per index (web-1 3, db-1 2, tmp-1 1); the events are unchanged",
    f, r.get("events"))

st, d = call(IU, "GET", "/_cat/indices?format=json", "carol")
rows = json.loads(d) if st == 200 else d
say(st == 200 and [(i["index"], i["docs.count"]) for i in rows] ==
    [("db-1", "2"), ("tmp-1", "1"), ("web-1", "3")] and
    all(int(i["store.size"]) > 0 and i["asyncreq.oldest"].endswith("Z") for i in rows),
    "GET /_cat/indices as the admin: real counts, sizes and times", st, d)
st, d = call(IU, "GET", "/_cat/indices?format=json", "alice")
say(st == 200 and [(i["index"], i["docs.count"]) for i in json.loads(d)] == [("web-1", "3")],
    "GET /_cat/indices as alice (a writer, alice=web-*): web-1 only", st, d)
st, d = call(IU, "DELETE", "/db-1", "alice")
say(st == 403 and "may not delete indices (not in auth.admin_users)" in d,
    "DELETE /db-1 by a writer who is no admin: 403", st, d)
st, d = call(IU, "DELETE", "/db-1", "bob")
say(st == 403, "DELETE /db-1 by bob (neither writer nor admin): 403", st, d)
st, d = call(IU, "DELETE", "/db-1", "carol")
say((st, d) == (200, '{"acknowledged":true}'), "DELETE /db-1 by the admin", st, d)
st, d = call(IU, "DELETE", "/db-1", "carol")
say(st == 404 and json.loads(d)["error"]["type"] == "index_not_found_exception" and
    json.loads(d)["error"]["reason"] == "no such index [db-1]", "DELETE it again: 404", st, d)
st, got = search("bob", "source *")
say(st == "DONE" and got == [], "bob's index is gone: source * finds nothing", st, got)
print("END")
PY
)" "$AR_INGEST_BASE" "$AR_BASE"

# ------------------------------------------------------------ the CLI delete
ar_is "asyncreq indices delete web-1" "$("$AR_CLI" -c "$C" indices delete web-1 2>&1; echo "rc=$?")" \
    "deleted index web-1
rc=0"
ar_is "deleting it again: no such index, exit 1" "$("$AR_CLI" -c "$C" indices delete web-1 2>&1; echo "rc=$?")" \
    "asyncreq: no index 'web-1'
rc=1"
ar_is "only tmp-1 is left" "$(listing)" "tmp-1 1 $(iso $((NOW - 5)))"
ar_is "a usage error: exit 2" "$("$AR_CLI" -c "$C" indices delete 2>&1; echo "rc=$?")" \
    "usage: asyncreq indices [PATTERN]
       asyncreq indices delete NAME
rc=2"
ar_done
