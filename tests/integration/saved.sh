#!/usr/bin/env bash
# saved.sh - saved searches and schedules behind nginx
# (docs/saved-searches.md): create, list, read, update, delete and run now
# with exact bodies and errors (bad JSON, an unknown member, a broken
# query, a bad cron, over schedule.max_saved_per_user, another user's
# search a 404); then, with the test clock (AR_TEST_CLOCK_FILE, moved by
# rewriting the file), a "*/5 * * * *" search runs exactly 12 times across
# a simulated hour, a runner killed across three scheduled times runs one
# catch-up when it is back, and a long run is never overlapped by the next.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/harness.sh"

ar_init
ar_require_programs
# 2030-01-01T00:00:00Z: the test clock starts there.
export AR_TEST_CLOCK_FILE="$T/clock"
echo 1893456000 >"$AR_TEST_CLOCK_FILE"
ar_conf main 'auth.admin_users = "carol"' 'runner.poll_ms = 20' \
    'schedule.max_saved_per_user = 3' 'schedule.runs_kept = 20' \
    'schedule.min_interval_seconds = 300' 'limits.max_qsize = 1000000000'
ar_htpasswd
ar_check "asyncreq-runner starts" ar_start_runner main
ar_check "asyncreq-fcgi listens" ar_start_fcgi main 2
ar_check "nginx starts" ar_nginx_start "|$T/main.sock|0" "/auth|$T/main.sock|1"
ar_check "health answers 200 through nginx" \
    ar_wait_health "$AR_BASE/_sme/async_requests/health" 15
[ "$AR_TAP_FAIL" -eq 0 ] || ar_done

# Helpers shared by the Python parts.
LIB=$(cat <<'PY'
import base64, calendar, http.client, json, os, sys, time, urllib.parse
from api_test import say
base = sys.argv[1]
u = urllib.parse.urlsplit(base)
clock = os.environ["AR_TEST_CLOCK_FILE"]
T0 = 1893456000

def call(m, path, user, body=None, ctype="application/json", xrw=True):
    h = {"Authorization": "Basic " + base64.b64encode(
        ("%s:pw-%s" % (user, user)).encode()).decode()}
    if body is not None:
        h["Content-Type"] = ctype
        if not isinstance(body, (bytes, str)):
            body = json.dumps(body)
    if xrw and m != "GET":
        h["X-Requested-With"] = "asyncreq"
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    c.request(m, "/auth/_sme/" + path, body=body, headers=h)
    r = c.getresponse()
    data = r.read()
    try:
        return r.status, json.loads(data)
    except Exception:
        return r.status, data

def err(d):
    try:
        return d["status"], d["error"]["type"], d["error"]["reason"]
    except Exception:
        return repr(d)

def iso(s):
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(s))

def set_clock(s):
    with open(clock + ".tmp", "w") as f:
        f.write("%d\n" % s)
    os.rename(clock + ".tmp", clock)

def wait(fn, secs=20):
    """Polls fn() until it returns a true value or secs pass."""
    end = time.time() + secs
    while True:
        v = fn()
        if v or time.time() > end:
            return v
        time.sleep(0.02)

def get(name, user="alice"):
    st, d = call("GET", "saved_searches/" + name, user)
    return d if st == 200 else None

def runs(name, user="alice"):
    st, d = call("GET", "saved_searches/%s/runs" % name, user)
    return d["runs"] if st == 200 else None
PY
)

ar_py "$LIB
$(cat <<'PY'
# ---- create, read, list
body = {"name": "errors", "query": "| makeresults count=2",
        "dtStart": "now-1h", "calculateStats": True}
st, d = call("POST", "saved_searches", "alice", body)
created = d.get("createdAt") if isinstance(d, dict) else None
want = {"name": "errors", "owner": "alice", "query": "| makeresults count=2",
        "dtStart": "now-1h", "dtEnd": "now", "calculateStats": True,
        "schedule": None, "createdAt": created, "updatedAt": created,
        "lastRunAt": None, "nextRunAt": None, "runningTask": None,
        "runs": [], "skippedRuns": 0}
say(st == 201 and d == want and created.endswith("Z"),
    "POST creates a saved search: 201 with its view", st, d)
st, d = call("GET", "saved_searches/errors", "alice")
say(st == 200 and d == want, "GET gives it back", st, d)
st, d = call("GET", "saved_searches", "alice")
say(st == 200 and d == {"saved_searches": [want]}, "GET lists it", st, d)
st, d = call("POST", "saved_searches", "alice", body)
say(st == 409 and err(d) == (409, "status_exception", "a saved search "
    "named 'errors' already exists; PUT _sme/saved_searches/errors "
    "changes it"), "the same name again is a 409", st, d)

# ---- errors, each with the envelope
cases = [
    (b'{"name": "x", ', "parse_exception", 400, None),
    (b'[1]', "parse_exception", 400,
     "request body must be a JSON object, not an array"),
    ({"name": "x", "query": "| makeresults", "alert": {}},
     "illegal_argument_exception", 400,
     "unknown field 'alert' in request body"),
    ({"query": "| makeresults"}, "illegal_argument_exception", 400,
     "field 'name' is required"),
    ({"name": "a/b", "query": "| makeresults"},
     "illegal_argument_exception", 400, "saved search name 'a/b' must be "
     "1 to 64 letters, digits, '_', '-' or '.', not starting with '.' or "
     "'-'"),
    ({"name": ".x", "query": "| makeresults"},
     "illegal_argument_exception", 400, "saved search name '.x' must be "
     "1 to 64 letters, digits, '_', '-' or '.', not starting with '.' or "
     "'-'"),
    ({"name": "x"}, "illegal_argument_exception", 400,
     "field 'query' is required"),
    ({"name": "x", "query": "| makeresults", "dtStart": "now-1x"},
     "illegal_argument_exception", 400,
     "dtStart 'now-1x' is not a valid date: unknown unit 'x'"),
    ({"name": "x", "query": "| makeresults", "calculateStats": "yes"},
     "illegal_argument_exception", 400,
     "field 'calculateStats' must be a boolean, not a string"),
    ({"name": "x", "query": "| makeresults", "schedule": "*/5 * * *"},
     "illegal_argument_exception", 400, "schedule '*/5 * * *' is not a "
     "cron expression: a schedule has 5 fields (minute hour day-of-month "
     "month day-of-week) or is a name such as @hourly; '*/5 * * *' has 4"),
    ({"name": "x", "query": "| makeresults", "schedule": "0 25 * * *"},
     "illegal_argument_exception", 400, "schedule '0 25 * * *' is not a "
     "cron expression: field 2 (hour): 25 is out of range 0-23"),
    ({"name": "x", "query": "| makeresults", "schedule": "0 0 30 2 *"},
     "illegal_argument_exception", 400,
     "schedule '0 0 30 2 *' never fires (no such day)"),
    ({"name": "x", "query": "| makeresults", "schedule": "* * * * *"},
     "illegal_argument_exception", 400, "schedule '* * * * *' runs 60 s "
     "apart; schedule.min_interval_seconds is 300 s"),
    ({"name": "x", "query": "| makeresults", "schedule": 5},
     "illegal_argument_exception", 400, "field 'schedule' must be a string "
     "(a cron expression) or null, not a number"),
]
for b, typ, status, reason in cases:
    st, d = call("POST", "saved_searches", "alice", b)
    e = err(d)
    say(st == status and e[1] == typ and (reason is None or e[2] == reason),
        "refused: %s" % (reason or typ), st, d)
st, d = call("POST", "saved_searches", "alice",
             {"name": "x", "query": "| makeresults | where ("})
say(st == 400 and d == {"error": {"type": "query_parsing_exception",
    "reason": "unclosed '(' at line 1, column 23", "line": 1, "column": 23,
    "position": 22}, "status": 400},
    "a broken query: 400 query_parsing_exception with its position", st, d)
st, d = call("POST", "saved_searches", "alice", b'{"name":"x"}',
             ctype="text/plain")
say(st == 415, "a body not typed application/json: 415", st, d)
st, d = call("DELETE", "saved_searches/errors", "alice", xrw=False)
say(st == 403 and d["error"]["type"] == "security_exception",
    "DELETE without X-Requested-With: 403", st, d)
st, d = call("PATCH", "saved_searches/errors", "alice", xrw=False)
say(st == 405 and err(d)[2] == "method PATCH is not allowed on "
    "/_sme/saved_searches/errors; use GET, PUT, DELETE", "PATCH: 405", st, d)
st, d = call("GET", "saved_searches/errors/nope", "alice")
say(st == 404, "an unknown sub-path: 404", st, d)

# ---- isolation
st, d = call("GET", "saved_searches/errors", "bob")
say(st == 404 and err(d) == (404, "resource_not_found_exception",
    "saved search 'errors' not found"), "bob gets 404 for alice's", st, d)
st, d = call("GET", "saved_searches", "bob")
say(st == 200 and d == {"saved_searches": []}, "bob's list is empty", st, d)
for m, p in (("PUT", "errors"), ("DELETE", "errors"),
             ("POST", "errors/_run"), ("GET", "errors/runs")):
    st, d = call(m, "saved_searches/" + p, "bob",
                 {"query": "| makeresults"} if m == "PUT" else None)
    say(st == 404, "bob: %s %s is a 404" % (m, p), st, d)
st, d = call("GET", "saved_searches?owner=alice", "bob")
say(st == 403, "bob may not list alice's with ?owner", st, d)
st, d = call("GET", "saved_searches/errors?owner=alice", "carol")
say(st == 200 and d["owner"] == "alice", "admin carol reads it with ?owner",
    st, d)
st, d = call("GET", "saved_searches", "carol")
say(st == 200 and [x["name"] for x in d["saved_searches"]] == ["errors"],
    "admin carol's list holds every user's", st, d)

# ---- update
st, d = call("PUT", "saved_searches/errors", "alice",
             {"query": "| makeresults count=3", "dtStart": "now-2h"})
say(st == 200 and d["query"] == "| makeresults count=3" and
    d["dtStart"] == "now-2h" and d["calculateStats"] is False and
    d["createdAt"] == created and d["updatedAt"] >= created,
    "PUT replaces the definition, keeps createdAt", st, d)
st, d = call("PUT", "saved_searches/errors", "alice",
             {"name": "other", "query": "| makeresults"})
say(st == 400 and "cannot be renamed" in err(d)[2], "PUT cannot rename",
    st, d)
st, d = call("PUT", "saved_searches/nosuch", "alice",
             {"query": "| makeresults"})
say(st == 404 and err(d)[2] == "saved search 'nosuch' not found",
    "PUT of an unknown one: 404", st, d)

# ---- run now
st, d = call("POST", "saved_searches/errors/_run", "alice")
say(st == 201 and d["name"] == "errors" and d["status"] == "QUEUED" and
    len(d["id"]) == 22, "_run starts a task", st, d)
tid = d["id"]
def done():
    st, s = call("GET", "async_requests/status/" + tid, "alice")
    return s if st == 200 and s["status"] == "DONE" else None
s = wait(done)
say(s and s["owner"] == "alice" and s["query"] == "| makeresults count=3"
    and s["dtStart"] == "now-2h", "the run is an ordinary task of alice's",
    s)
st, r = call("GET", "async_requests/response/" + tid, "alice")
say(st == 200 and r["total"] == 3, "its results: 3 events", st, r)
st, d = call("GET", "async_requests/status/" + tid, "bob")
say(st == 404, "bob cannot see the run's task", st, d)
st, d = call("GET", "saved_searches/errors/runs", "alice")
say(st == 200 and len(d["runs"]) == 1 and d["runs"][0]["id"] == tid and
    d["runs"][0]["status"] == "DONE" and d["runs"][0]["resultCount"] == 3,
    "runs lists it with its state", st, d)
st, d = call("GET", "saved_searches/errors", "alice")
say(st == 200 and d["runs"] == [tid] and d["lastRunAt"] is not None and
    d["runningTask"] is None, "the search records the run", st, d)

# ---- limit, delete
for n in ("two", "three"):
    call("POST", "saved_searches", "alice", {"name": n,
         "query": "| makeresults"})
st, d = call("POST", "saved_searches", "alice", {"name": "four",
             "query": "| makeresults"})
say(st == 429 and err(d) == (429, "too_many_requests", "you have 3 saved "
    "searches, the most schedule.max_saved_per_user allows; delete one "
    "first"), "a fourth one: 429 naming schedule.max_saved_per_user", st, d)
st, d = call("POST", "saved_searches", "bob", {"name": "four",
             "query": "| makeresults"})
say(st == 201, "the limit is per user: bob may", st, d)
for n in ("two", "three", "errors"):
    st, d = call("DELETE", "saved_searches/" + n, "alice")
    say(st == 200 and d == {"name": n, "deleted": True}, "DELETE " + n,
        st, d)
st, d = call("GET", "saved_searches/errors", "alice")
say(st == 404, "deleted is gone", st, d)
st, d = call("GET", "async_requests/status/" + tid, "alice")
say(st == 200, "its run's task stays until it expires", st, d)

# ---- a five-minute schedule across a simulated hour
set_clock(T0 + 30)
st, d = call("POST", "saved_searches", "alice", {"name": "every5",
             "query": "| makeresults", "dtStart": "now-5m",
             "schedule": "*/5 * * * *"})
say(st == 201 and d["schedule"] == "*/5 * * * *", "a */5 search", st, d)
d = wait(lambda: (get("every5") or {}).get("nextRunAt"))
say(d == iso(T0 + 300), "the runner sets its next run: 00:05", d)
ok = True
for minute in range(1, 61):
    set_clock(T0 + 60 * minute)
    if minute % 5:
        continue
    k = minute // 5
    def ran():
        r = runs("every5")
        return r if r and len(r) == k and r[0]["status"] == "DONE" else None
    r = wait(ran)
    if not r:
        ok = say(False, "run %d at minute %d" % (k, minute), runs("every5"))
        break
say(ok, "one run at each five minutes, each DONE before the next")
r = runs("every5")
say(r is not None and len(r) == 12 and
    [x["scheduledFor"] for x in reversed(r)] ==
    [iso(T0 + 300 * i) for i in range(1, 13)],
    "exactly 12 runs in the hour, for 00:05 ... 01:00", r)
d = get("every5")
say(d["nextRunAt"] == iso(T0 + 3900) and d["skippedRuns"] == 0 and
    d["lastRunAt"] == iso(T0 + 3600), "next 01:05, nothing skipped", d)
last = r[0]["id"]
st, s = call("GET", "async_requests/status/" + last, "alice")
say(st == 200 and s["rangeStart"] == iso(T0 + 3300) and
    s["rangeEnd"] == iso(T0 + 3600),
    "a run's time range is relative to its scheduled time", st, s)
st, res = call("GET", "async_requests/response/" + last, "alice")
say(st == 200 and res["total"] == 1 and
    res["events"][0]["@timestamp"].startswith("2030-01-01T01:00:00"),
    "its results: makeresults at the scheduled time", st, res)
st, lg = call("GET", "async_requests/logs/" + last, "alice")
say(st == 200 and any("scheduled run of saved search 'every5' (schedule "
    "'*/5 * * * *') for 2030-01-01T01:00:00.000Z" in x.get("message", "")
    for x in lg["logs"]), "its log says which schedule started it", lg)
st, d = call("PUT", "saved_searches/every5", "alice",
             {"query": "| makeresults", "schedule": None})
say(st == 200 and d["schedule"] is None and d["nextRunAt"] is None and
    len(d["runs"]) == 12, "PUT without a schedule stops it; runs kept", d)
print("END")
PY
)" "$AR_BASE"

# ---- a runner stopped across three scheduled times: one catch-up
ar_py "$LIB
$(cat <<'PY'
set_clock(T0 + 3600)
st, d = call("POST", "saved_searches", "alice", {"name": "catchup",
             "query": "| makeresults", "schedule": "*/5 * * * *"})
d = wait(lambda: (get("catchup") or {}).get("nextRunAt"))
say(st == 201 and d == iso(T0 + 3900), "catchup: next run 01:05", st, d)
print("END")
PY
)" "$AR_BASE"
ar_stop runner-main KILL
echo $((1893456000 + 3600 + 17 * 60)) >"$AR_TEST_CLOCK_FILE"
ar_check "asyncreq-runner starts again" ar_start_runner main
ar_py "$LIB
$(cat <<'PY'
def one():
    r = runs("catchup")
    return r if r and r[0]["status"] == "DONE" else None
r = wait(one)
d = get("catchup")
say(r is not None and len(r) == 1 and
    r[0]["scheduledFor"] == iso(T0 + 3600 + 15 * 60) and
    d["nextRunAt"] == iso(T0 + 3600 + 20 * 60),
    "after 01:05, 01:10 and 01:15 passed while stopped: one run, for 01:15;"
    " next 01:20", r, d)
st, lg = call("GET", "async_requests/logs/" + r[0]["id"], "alice")
say(any("caught up: 2 earlier scheduled time(s) passed while the runner "
    "was not running and are not run" in x.get("message", "")
    for x in lg["logs"]), "its log says it was a catch-up", lg)
set_clock(T0 + 3600 + 20 * 60)
def two():
    r = runs("catchup")
    return r if r and len(r) >= 2 and r[0]["status"] == "DONE" else None
r = wait(two)
say(r is not None and len(r) == 2 and
    r[0]["scheduledFor"] == iso(T0 + 3600 + 20 * 60),
    "then the schedule goes on: 01:20", r)
call("DELETE", "saved_searches/catchup", "alice")

# ---- a long run is never overlapped
set_clock(T0 + 7200)
st, d = call("POST", "saved_searches", "alice", {"name": "long",
             "query": "| makeresults count=500000000 | stats count",
             "schedule": "*/5 * * * *"})
d = wait(lambda: (get("long") or {}).get("nextRunAt"))
say(st == 201 and d == iso(T0 + 7500), "long: next run 02:05", st, d)
set_clock(T0 + 7500)
def running():
    r = runs("long")
    return r if r and r[0]["status"] == "RUNNING" else None
r = wait(running)
say(r is not None and len(r) == 1, "the first run is RUNNING", r)
for k in (1, 2, 3):
    set_clock(T0 + 7500 + 300 * k)
    d = wait(lambda: (get("long") or {}).get("skippedRuns") == k and
             get("long"))
    if not d:
        say(False, "skip %d" % k, get("long"))
        break
r = runs("long")
d = get("long")
say(d and d["skippedRuns"] == 3 and len(r) == 1 and
    r[0]["status"] == "RUNNING" and d["runningTask"] == r[0]["id"],
    "three scheduled times while it runs: three skips, never a second run",
    d, r)
st, e = call("POST", "saved_searches/long/_run", "alice")
say(st == 409 and err(e) == (409, "status_exception", "saved search 'long' "
    "is still running (task %s); a search never runs twice at once" %
    r[0]["id"]), "nor by hand: 409", st, e)
st, lg = call("GET", "async_requests/logs/" + r[0]["id"], "alice")
say(sum("was skipped: this run is still going" in x.get("message", "")
    for x in lg["logs"]) == 3, "the running task's log names each skip", lg)
st, b = call("POST", "async_requests/break/" + r[0]["id"], "alice")
say(st in (200, 202), "break the long run", st, b)
def stopped():
    r = runs("long")
    return r if r and r[0]["status"] == "CANCELLED" else None
say(wait(stopped) is not None, "it is CANCELLED", runs("long"))
set_clock(T0 + 7500 + 300 * 4)
def next_run():
    r = runs("long")
    return r if r and len(r) == 2 else None
r = wait(next_run)
say(r is not None and r[0]["scheduledFor"] == iso(T0 + 7500 + 1200),
    "the next scheduled time runs again", r)
if r:
    call("POST", "async_requests/break/" + r[0]["id"], "alice")
call("DELETE", "saved_searches/long", "alice")
print("END")
PY
)" "$AR_BASE"

ar_is "the CLI lists alice's saved searches" \
    "$("$AR_CLI" -c "$T/main.conf" saved list --user alice | awk 'NR > 1 {print $1, $2, $3}')" \
    "every5 alice -"
printf '{"query": "| makeresults count=2", "schedule": "@hourly"}' >"$T/def.json"
ar_is "the CLI stores one" \
    "$("$AR_CLI" -c "$T/main.conf" saved put cli1 "$T/def.json" --user dave)" \
    "created saved search cli1"
ar_is "the CLI shows it" \
    "$("$AR_CLI" -c "$T/main.conf" saved show cli1 --user dave | sed -n 's/^schedule: //p')" \
    "@hourly"
printf '{"query": "| makeresults (", "schedule": "@hourly"}' >"$T/bad.json"
ar_is "the CLI refuses a broken query" \
    "$("$AR_CLI" -c "$T/main.conf" saved put cli1 "$T/bad.json" --user dave 2>&1 >/dev/null | cut -d: -f3)" \
    " the query does not parse"
id=$("$AR_CLI" -c "$T/main.conf" saved run cli1 --user dave)
ar_check "the CLI runs it: a task DONE" ar_wait_json \
    "$AR_BASE/auth/_sme/async_requests/status/$id" 20 \
    'd.get("status") == "DONE" and d.get("resultCount") == 2' dave
ar_is "the CLI deletes it" \
    "$("$AR_CLI" -c "$T/main.conf" saved delete cli1 --user dave)" \
    "deleted saved search cli1"
ar_done
