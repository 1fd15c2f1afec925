#!/bin/bash
# faults.sh - failures of the real processes, behind a real nginx:
#  - kill -9 of an executor: the task becomes FAILED naming the signal;
#  - kill -9 of the runner during a task, then a restart: no task stays
#    RUNNING, health is degraded meanwhile, create answers 503;
#  - kill -9 of a responder worker: respawned, requests keep working;
#    SIGHUP replaces the workers, SIGTERM stops the master gracefully;
#  - a second runner on the same storage exits 1;
#  - a small LMDB map (storage.map_size = 4MiB): the space of deleted tasks
#    is reused, many times over;
#  - a full LMDB map (storage.map_size = 2MiB): create answers 503 naming
#    storage while existing tasks stay readable, and a delete makes room;
#  - a full disk (8 MiB tmpfs under a 1 GiB map): with storage.min_free_disk
#    the writing task FAILED "storage is full" naming the disk, health
#    degraded, create 503; with min_free_disk = 0 the real ENOSPC of a
#    commit fails the task too; never DONE with results cut off (skipped
#    when tmpfs cannot be mounted);
#  - limits.max_runtime_seconds fails a long task naming the bound, and
#    retention.ttl_seconds deletes finished tasks.

. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/harness.sh"

ar_init
ar_require_programs

ar_conf f "runner.flush_ms = 20" "runner.page_bytes = 16KiB"
ar_conf reuse "storage.map_size = 4MiB" "runner.flush_ms = 20"
ar_conf full "storage.map_size = 2MiB" "runner.flush_ms = 20"
ar_conf lim "limits.max_runtime_seconds = 1" "runner.page_bytes = 4KiB" \
    "retention.ttl_seconds = 2" "retention.sweep_seconds = 1"

# Two small filesystems (tmpfs, as root) under a map far larger than they
# are; detached at exit before $T is removed.
DISK_OK=0
mkdir -p "$T/disk" "$T/raw"
if mount -t tmpfs -o size=8m asyncreq-test "$T/disk" 2>/dev/null &&
    mount -t tmpfs -o size=8m asyncreq-test "$T/raw" 2>/dev/null; then
	DISK_OK=1
	trap 'rc=$?; umount -l "$T/disk" "$T/raw" 2>/dev/null; (exit $rc); ar_cleanup' EXIT
	ar_conf disk "storage.path = $T/disk/store" "storage.map_size = 1GiB" \
	    "storage.min_free_disk = 1MiB" "runner.flush_ms = 20"
	ar_conf raw "storage.path = $T/raw/store" "storage.map_size = 1GiB" \
	    "storage.min_free_disk = 0" "runner.flush_ms = 20"
else
	umount -l "$T/disk" 2>/dev/null
fi

ar_check "asyncreq-runner starts" ar_start_runner f
ar_check "asyncreq-fcgi (2 workers) listens" ar_start_fcgi f 2
ar_check "asyncreq-runner (4 MiB map) starts" ar_start_runner reuse
ar_check "asyncreq-fcgi (4 MiB map) listens" ar_start_fcgi reuse 1
ar_check "asyncreq-runner (2 MiB map) starts" ar_start_runner full
ar_check "asyncreq-fcgi (2 MiB map) listens" ar_start_fcgi full 1
ar_check "asyncreq-runner (runtime limit, retention) starts" ar_start_runner lim
ar_check "asyncreq-fcgi (runtime limit, retention) listens" ar_start_fcgi lim 1
DISK_MOUNTS=()
if [ $DISK_OK = 1 ]; then
	ar_check "asyncreq-runner (8 MiB disk) starts" ar_start_runner disk
	ar_check "asyncreq-fcgi (8 MiB disk) listens" ar_start_fcgi disk 1
	ar_check "asyncreq-runner (8 MiB disk, no reserve) starts" ar_start_runner raw
	ar_check "asyncreq-fcgi (8 MiB disk, no reserve) listens" ar_start_fcgi raw 1
	DISK_MOUNTS=("/disk|$T/disk.sock|0" "/raw|$T/raw.sock|0")
fi
ar_check "nginx starts" ar_nginx_start "|$T/f.sock|0" "/reuse|$T/reuse.sock|0" "/full|$T/full.sock|0" \
    "/lim|$T/lim.sock|0" "${DISK_MOUNTS[@]}"
ar_check "health answers 200" ar_wait_health "$AR_BASE/_sme/async_requests/health" 15
ar_check "health (4 MiB map) answers 200" ar_wait_health "$AR_BASE/reuse/_sme/async_requests/health" 15
ar_check "health (2 MiB map) answers 200" ar_wait_health "$AR_BASE/full/_sme/async_requests/health" 15
[ "$AR_TAP_FAIL" -eq 0 ] || ar_done

U=$AR_BASE/_sme/async_requests
LONG='{"query": "makeresults count=1000000 shownumbers=true"}'
FINAL='d.get("status") in ("DONE", "FAILED", "CANCELLED")'

create() {	# URL BODY: POST URL/request; sets TID ("" on failure)
	ar_http POST "$1/request" "$2"
	TID=""
	[ "$HTTP_STATUS" = 201 ] && TID=$(ar_json 'd["id"]')
}

children() {	# PID: its child pids, sorted
	pgrep -P "$1" | sort
}

# ---------------------------------------------------------------- executor
RUNNER=${AR_PID[runner-f]}
idle_children=$(children "$RUNNER")
create "$U" "$LONG"
ar_is "long task: created" "$HTTP_STATUS" 201
if ar_wait_json "$U/status/$TID" 20 'd["status"] == "RUNNING" and d["resultCount"] > 0'; then
	ar_ok "long task: RUNNING with results"
else
	ar_not_ok "long task: RUNNING with results" "$HTTP_STATUS $HTTP_BODY"
fi
EXEC=$(comm -13 <(echo "$idle_children") <(children "$RUNNER") | tr '\n' ' ')
if [ "$(echo $EXEC | wc -w)" = 1 ]; then
	ar_ok "the runner has one new child, the executor ($EXEC)"
	kill -9 $EXEC
	if ar_wait_json "$U/status/$TID" 10 "$FINAL"; then
		ar_is "executor killed by SIGKILL: task FAILED" "$(ar_json 'd["status"]')" FAILED
		err=$(ar_json 'd["error"]')
		ar_check "executor killed: the error names the signal ($err)" \
		    "$AR_PYTHON" -c 'import re, sys; e = sys.argv[1]; sys.exit(0 if re.search("signal", e, re.I) and re.search(r"\b9\b|KILL", e) else 1)' "$err"
	else
		ar_not_ok "executor killed by SIGKILL: task FAILED" "still: $HTTP_BODY"
	fi
	ar_http GET "$U/response/$TID?from=0&to=2"
	ar_is "failed task: results it wrote stay readable (status, isPartial, numbers)" \
	    "$HTTP_STATUS $(ar_json '[d["status"], d["isPartial"], [e["number"] for e in d["events"]]]')" \
	    '200 ["FAILED", false, [1, 2]]'
	ar_http GET "$U/logs/$TID"
	ar_is "failed task: an ERROR log line" "$(ar_json 'any(x["level"] == "ERROR" for x in d["logs"])')" true
else
	ar_not_ok "the runner has one new child, the executor" "children before: $idle_children" \
	    "children now: $(children "$RUNNER")"
	ar_http POST "$U/break/$TID"
fi
ar_check "runner survives its executor's death" kill -0 "$RUNNER"
create "$U" '{"query": "| makeresults count=5"}'
ar_wait_json "$U/status/$TID" 10 "$FINAL"
ar_is "next task after the executor kill: DONE with 5 results" \
    "$(ar_json '[d["status"], d["resultCount"]]')" '["DONE", 5]'

# ---------------------------------------------------------------- runner
create "$U" "$LONG"
LT=$TID
ar_wait_json "$U/status/$LT" 20 'd["status"] == "RUNNING" and d["resultCount"] > 0'
ar_is "long task 2: RUNNING" "$(ar_json 'd["status"]')" RUNNING
EXEC=$(comm -13 <(echo "$idle_children") <(children "$RUNNER") | tr '\n' ' ')
kill -9 "$RUNNER"
wait "$RUNNER" 2>/dev/null
if ar_wait_json "$U/health" 5 'd["status"] == "degraded" and d["runner"]["alive"] is False'; then
	ar_is "runner killed: health degraded with HTTP 503" "$HTTP_STATUS" 503
else
	ar_not_ok "runner killed: health degraded with HTTP 503" "$HTTP_STATUS $HTTP_BODY"
fi
ar_http POST "$U/request" '{"query": "| makeresults"}'
ar_is "runner killed: create answers 503 unavailable" \
    "$HTTP_STATUS $(ar_json 'd["error"]["type"]')" "503 unavailable"
ar_check "runner restarts" ar_start_runner f
RUNNER=${AR_PID[runner-f]}
ar_check "health answers 200 again" ar_wait_health "$U/health" 10
if ar_wait_json "$U/status/$LT" 10 "$FINAL"; then
	ar_is "task of the killed runner: FAILED with a reason" \
	    "$(ar_json '[d["status"], isinstance(d["error"], str) and len(d["error"]) > 0]')" '["FAILED", true]'
else
	ar_not_ok "task of the killed runner: FAILED with a reason" "still: $HTTP_BODY"
fi
ar_http GET "$U/status?status=RUNNING"
ar_is "no task stays RUNNING" "$HTTP_STATUS $(ar_json 'd["tasks"]')" "200 []"
if [ -n "$EXEC" ]; then
	ar_check "the orphaned executor ($EXEC) exits" ar_wait_gone $EXEC 10
fi
create "$U" '{"query": "| makeresults count=7"}'
ar_wait_json "$U/status/$TID" 10 "$FINAL"
ar_is "restarted runner runs new tasks" "$(ar_json '[d["status"], d["resultCount"]]')" '["DONE", 7]'

# ---------------------------------------------------------------- second runner
timeout 10 "$AR_RUNNER" -c "$T/f.conf" >"$T/logs/runner2.out" 2>&1
rc=$?
ar_is "a second runner on the same storage exits 1" "$rc" 1
ar_check "the second runner says why" test -s "$T/logs/runner2.out"
ar_check "the first runner keeps running" kill -0 "$RUNNER"
create "$U" '{"query": "| makeresults count=2"}'
ar_wait_json "$U/status/$TID" 10 "$FINAL"
ar_is "tasks still run after the second runner's attempt" "$(ar_json 'd["status"]')" DONE

# ---------------------------------------------------------------- responder workers
FCGI=${AR_PID[fcgi-f]}
W=$(children "$FCGI")
ar_is "asyncreq-fcgi master has 2 workers" "$(echo $W | wc -w)" 2
victim=$(echo "$W" | head -n 1)
kill -9 "$victim"
respawned_two() {	# the master has two workers again, none of them $victim
	local now
	now=$(children "$FCGI")
	[ "$(echo $now | wc -w)" = 2 ] && ! echo "$now" | grep -qx "$victim"
}
respawned=0
ar_wait_until 15 respawned_two && respawned=1
ar_is "killed worker is respawned" "$respawned" 1
ar_py '
from api_test import Client
import sys
c = Client(sys.argv[1], "")
codes = [c.call("GET", "health").status for _ in range(20)]
r = c.call("POST", "request", body={"query": "| makeresults"})
ok = all(x == 200 for x in codes) and r.status == 201
print(("ok" if ok else "not ok") + " - after the worker kill, 20 requests answer 200 and create 201")
if not ok:
    print("# codes %s, create %r" % (codes, r))
print("END")
' "$AR_BASE"
W=$(children "$FCGI")
kill -HUP "$FCGI"
replaced_both() {	# the master has two workers, none of those in $W
	local now
	now=$(children "$FCGI")
	[ "$(echo $now | wc -w)" = 2 ] && [ -z "$(comm -12 <(echo "$W") <(echo "$now"))" ]
}
replaced=0
ar_wait_until 15 replaced_both && replaced=1
ar_is "SIGHUP: the master replaces both workers" "$replaced" 1
ar_http GET "$U/health"
ar_is "SIGHUP: requests keep working" "$HTTP_STATUS" 200
ar_check "SIGHUP: the master is still running" kill -0 "$FCGI"

# ---------------------------------------------------------------- map space
PY_COMMON='
from api_test import Client
import sys, time
c = Client(sys.argv[1], "")
S = sys.argv[2]

def wait(tid, secs=20):
    d = {}
    end = time.time() + secs
    while time.time() < end:
        r = c.call("GET", "status/" + tid, mount=S)
        d = r.json or {}
        if r.status != 200 or d.get("status") in ("DONE", "FAILED", "CANCELLED"):
            break
        time.sleep(0.01)
    return d

def ok(cond, name, *diag):
    print(("ok" if cond else "not ok") + " - " + name)
    if not cond:
        for x in diag:
            print("#   " + str(x)[:1500])
    return cond

def create(q):
    r = c.call("POST", "request", body={"query": q}, mount=S)
    return r, (r.json.get("id") if r.status == 201 else None)

# fill_disk(what, reason): a task of 1,000,000 results on the 8 MiB disk must
# end FAILED "storage is full (REASON); ..." with every result it counted
# readable. Returns the task id (None when the create failed).
def fill_disk(what, reason):
    import re
    r, big = create("makeresults count=1000000 shownumbers=true")
    if not ok(big, "%s: big task created" % what, r):
        return None
    d = wait(big, 60)
    n = d.get("resultCount")
    ok(d.get("status") == "FAILED" and re.match(r"storage is full \((%s)\); results written so far are kept$" % reason,
       str(d.get("error"))), "%s: the big task FAILED, storage is full" % what, d)
    print("# the task ended: %s" % d.get("error"))
    r = c.call("GET", "response/" + big, mount=S, query="from=%d" % max(0, (n or 0) - 1))
    j = r.json or {}
    ok(r.status == 200 and n and j.get("total") == n and [e.get("number") for e in j.get("events") or []] == [n],
       "%s: the %s results counted are all readable, the last one is number %s" % (what, n, n), r)
    return big
'
ar_py "$PY_COMMON"'
# About 25 x 0.45 MB of results through a 4 MiB map, deleting each.
bad = []
for i in range(25):
    r, tid = create("makeresults count=8000 shownumbers=true")
    if not tid:
        bad.append("create %d: %r" % (i, r))
        break
    d = wait(tid)
    if d.get("status") != "DONE" or d.get("resultCount") != 8000:
        bad.append("task %d: %s" % (i, d))
        break
    r = c.call("DELETE", "delete/" + tid, mount=S)
    if r.status != 200:
        bad.append("delete %d: %r" % (i, r))
        break
if bad:
    bad.append("health: %r" % c.call("GET", "health", mount=S))
ok(not bad, "space of deleted tasks is reused: 25 tasks of 8000 results, each deleted, through a 4 MiB map", *bad)
print("END")
' "$AR_BASE" /reuse
ar_py "$PY_COMMON"'
r, small_id = create("| makeresults count=3")
ok(small_id and wait(small_id).get("status") == "DONE", "2 MiB map: a small task DONE", r)
r, big = create("makeresults count=1000000 shownumbers=true")
if ok(big, "2 MiB map: big task created", r):
    d = wait(big, 60)
    ok(d.get("status") == "FAILED" and isinstance(d.get("error"), str) and d["error"],
       "big task filling the map: FAILED with a reason", d)
    print("# big task: %s" % d.get("error"))
r, x = create("| makeresults")
e = (r.json or {}).get("error") or {}
ok(r.status == 503 and e.get("type") == "unavailable" and "storage" in str(e.get("reason")).lower(),
   "map full: create answers 503 unavailable naming storage", r)
if x:
    d = wait(x, 5)
    print("# the task created on a full map ended as %s" % d)
r = c.call("GET", "health", mount=S)
ok(r.status == 503 and (r.json or {}).get("status") == "degraded", "map full: health degraded (503)", r)
if big:
    r = c.call("GET", "status/" + big, mount=S)
    ok(r.status == 200 and (r.json or {}).get("status") == "FAILED", "map full: status of the big task 200", r)
    r = c.call("GET", "response/" + big, mount=S, query="from=0&to=2")
    ok(r.status == 200 and [x.get("number") for x in (r.json or {}).get("events") or []] == [1, 2],
       "map full: results of the big task readable", r)
if small_id:
    r = c.call("GET", "response/" + small_id, mount=S)
    ok(r.status == 200 and (r.json or {}).get("total") == 3, "map full: results of the small task readable", r)
    r = c.call("GET", "logs/" + small_id, mount=S)
    ok(r.status == 200, "map full: logs 200", r)
r = c.call("GET", "status", mount=S)
ok(r.status == 200, "map full: status list 200", r)
if big:
    r = c.call("DELETE", "delete/" + big, mount=S)
    ok(r.status == 200 and r.json == {"id": big, "deleted": True}, "map full: delete of the big task 200", r)
r, tid = create("makeresults count=1000 shownumbers=true")
d = wait(tid, 8) if tid else {}
ok(tid and d.get("status") == "DONE" and d.get("resultCount") == 1000,
   "after the delete, create works and the task runs", r, d)
r = c.call("GET", "health", mount=S)
ok(r.status == 200 and (r.json or {}).get("status") == "ok", "after the delete, health ok again", r)
print("END")
' "$AR_BASE" /full

# ---------------------------------------------------------------- full disk
if [ $DISK_OK = 1 ]; then
ar_wait_health "$AR_BASE/disk/_sme/async_requests/health" 15
ar_py "$PY_COMMON"'
import re
r = c.call("GET", "health", mount=S)
st = (r.json or {}).get("storage") or {}
ok(r.status == 200 and st.get("disk_full") is False and 2 << 20 < st.get("disk_free_bytes", 0) <= 8 << 20,
   "8 MiB disk: health 200, disk_full false, disk_free_bytes within the 8 MiB", r)
r, small_id = create("| makeresults count=3")
ok(small_id and wait(small_id).get("status") == "DONE", "8 MiB disk: a small task DONE", r)
big = fill_disk("full disk", r"the disk of storage\.path has \d+ bytes free, storage\.min_free_disk is 1048576 bytes")
r, x = create("| makeresults")
e = (r.json or {}).get("error") or {}
ok(r.status == 503 and e.get("type") == "unavailable" and "disk" in str(e.get("reason")),
   "full disk: create answers 503 unavailable naming the disk", r)
r = c.call("GET", "health", mount=S)
j = r.json or {}
ok(r.status == 503 and j.get("status") == "degraded" and (j.get("storage") or {}).get("disk_full") is True,
   "full disk: health 503 degraded, disk_full true", r)
if small_id:
    r = c.call("GET", "response/" + small_id, mount=S)
    ok(r.status == 200 and (r.json or {}).get("total") == 3, "full disk: results of the small task readable", r)
if big:
    r = c.call("DELETE", "delete/" + big, mount=S)
    ok(r.status == 200, "full disk: delete of the big task 200", r)
r = c.call("GET", "health", mount=S)
ok(r.status == 200 and ((r.json or {}).get("storage") or {}).get("disk_full") is False,
   "after the delete, health 200 and disk_full false (freed pages count)", r)
r, tid = create("makeresults count=1000 shownumbers=true")
d = wait(tid, 8) if tid else {}
ok(tid and d.get("status") == "DONE" and d.get("resultCount") == 1000,
   "after the delete, create works and the task runs", r, d)
print("END")
' "$AR_BASE" /disk
ar_wait_health "$AR_BASE/raw/_sme/async_requests/health" 15
ar_py "$PY_COMMON"'
import re
fill_disk("ENOSPC", r"No space left on device|the disk of storage\.path has \d+ bytes free, storage\.min_free_disk is 0 bytes")
r = c.call("GET", "health", mount=S)
j = r.json or {}
ok(r.status == 200 and 0 <= (j.get("storage") or {}).get("disk_free_bytes", -1) < 256 << 10,
   "ENOSPC: health shows under 256 KiB free on the disk", r)
print("END")
' "$AR_BASE" /raw
else
	ar_ok "full disk # SKIP cannot mount a tmpfs here"
fi

# ---------------------------------------------------------------- limits, retention
ar_py "$PY_COMMON"'
t0 = time.time()
r, tid = create("makeresults count=1000000 shownumbers=true")
if ok(tid, "runtime limit: long task created", r):
    d = wait(tid, 8)
    el = time.time() - t0
    ok(d.get("status") == "FAILED" and "max_runtime_seconds" in str(d.get("error")) and el < 4,
       "limits.max_runtime_seconds = 1: the task FAILED after about 1 s, naming the bound", d,
       "after %.1f s" % el)
    r = c.call("GET", "response/" + tid, mount=S, query="from=0&to=1")
    ok(r.status == 200 and [e.get("number") for e in (r.json or {}).get("events") or []] == [1],
       "runtime limit: the results written stay readable", r)
r, tid = create("| makeresults")
d = wait(tid) if tid else {}
good = d.get("status") == "DONE" and isinstance(d.get("expiresAt"), str) and isinstance(d.get("finishedAt"), str)
from api_test import iso_to_ms
ok(good and iso_to_ms(d["expiresAt"]) - iso_to_ms(d["finishedAt"]) == 2000,
   "retention.ttl_seconds = 2: expiresAt = finishedAt + 2 s", d)
gone = False
end = time.time() + 8
while tid and time.time() < end:
    r = c.call("GET", "status/" + tid, mount=S)
    if r.status == 404:
        gone = True
        break
    time.sleep(0.1)
ok(gone, "retention: the expired task is deleted (status 404)", r)
print("END")
' "$AR_BASE" /lim

# ---------------------------------------------------------------- graceful stop
W=$(children "$FCGI")
kill -TERM "$FCGI"
if ar_wait_gone "$FCGI" 5; then
	ar_ok "SIGTERM: the asyncreq-fcgi master exits"
else
	ar_not_ok "SIGTERM: the asyncreq-fcgi master exits"
fi
gone=1
for p in $W; do ar_wait_gone "$p" 2 || gone=0; done
ar_is "SIGTERM: its workers are gone" "$gone" 1

ar_done
