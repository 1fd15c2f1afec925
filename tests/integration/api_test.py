#!/usr/bin/env python3
"""api_test.py - checks the asyncreq HTTP API (spec/api.md) through a real web
server, printing TAP. Standard library only.

The harness (tests/lib/harness.sh) starts asyncreq-runner, asyncreq-fcgi and a
web server whose mounts are:

  BASE/_sme/...                 anonymous (no REMOTE_USER)
  BASE{--auth-prefix}/_sme/...  HTTP basic auth, users alice bob carol dave
                                erin with password pw-<user>; carol is admin
  BASE{--strict-prefix}/_sme/   a responder whose config says
                                auth.require_user = true and
                                limits.max_queued_tasks = 2 (same storage)
  BASE{--strict-auth-prefix}/_sme/  the same, behind basic auth

and the main configuration has limits.max_active_tasks_per_user = 3,
http.max_body_bytes = --max-body, auth.admin_users = carol.

This script generates its events with scripts/gen-events, loads them with
`asyncreq ingest`, and computes every expected answer independently from the
generated NDJSON.
"""

import argparse
import base64
import datetime as dt
import http.client
import json
import os
import re
import signal
import subprocess
import sys
import time
import traceback
import urllib.parse

API = "/_sme/async_requests"
JSON_CT = "application/json; charset=utf-8"
ID_RE = re.compile(r"^[A-Za-z0-9_-]{22,}$")
TIME_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
FINAL = ("DONE", "FAILED", "CANCELLED")
STATES = ("QUEUED", "RUNNING", "DONE", "FAILED", "CANCELLED")
TASK_KEYS = {"id", "status", "owner", "query", "dtFieldName", "dtStart", "dtEnd",
             "rangeStart", "rangeEnd", "calculateStats", "calculateExecutionCost",
             "createdAt", "startedAt", "finishedAt", "expiresAt", "progress",
             "scannedEvents", "resultCount", "error"}
UNKNOWN_ID = "AAAAAAAAAAAAAAAAAAAAAA"
LONG_QUERY = "makeresults count=1000000 shownumbers=true"

H0 = "2026-01-01T00:00:00Z"
H1 = "2026-01-01T01:00:00Z"

# Indices loaded by the suite: name -> (gen-events args, time field).
DATASETS = {
    # one event per second over the hour, ties every 7th, file shuffled
    "sysmon_operational-a": (["--count", "3600", "--seed", "11", "--start", H0, "--end", H1,
                              "--tie-every", "7", "--shuffle"], "@timestamp"),
    # times at .250 + 3.6 s steps: never equal to a time of another index
    "sysmon_operational-b": (["--count", "1000", "--seed", "12",
                              "--start", "2026-01-01T00:00:00.250Z",
                              "--end", "2026-01-01T01:00:00.250Z", "--shuffle"], "@timestamp"),
    "security-main": (["--count", "500", "--seed", "13", "--index-style", "security",
                       "--start", "2026-01-01T00:00:00.500Z",
                       "--end", "2026-01-01T01:00:00.500Z"], "@timestamp"),
    # epoch seconds in the field EventTime
    "epoch-idx": (["--count", "300", "--seed", "14", "--start", H0, "--end", H1,
                   "--time-field", "EventTime", "--time-format", "epoch_s"], "EventTime"),
    # the last hour, for the default range now-15m..now
    "recent-sysmon": (["--count", "720", "--seed", "15", "--hours-back", "1"], "@timestamp"),
}
SMOKE_DATASETS = ("sysmon_operational-a",)


# ------------------------------------------------------------------ time

def iso_to_ms(s):
    """Epoch ms of an ISO-8601 date-time (UTC when no zone)."""
    s = s.strip()
    if s.endswith("Z"):
        s = s[:-1] + "+00:00"
    if "T" not in s and len(s) == 10:
        s += "T00:00:00+00:00"
    d = dt.datetime.fromisoformat(s)
    if d.tzinfo is None:
        d = d.replace(tzinfo=dt.timezone.utc)
    return (int(d.timestamp()) * 1000) + d.microsecond // 1000


def ms_to_iso(ms):
    d = dt.datetime.fromtimestamp(ms // 1000, tz=dt.timezone.utc)
    return d.strftime("%Y-%m-%dT%H:%M:%S") + ".%03dZ" % (ms % 1000)


def event_time(ev, field):
    v = ev.get(field)
    if isinstance(v, bool) or v is None:
        return None
    if isinstance(v, (int, float)):
        return int(v * 1000) if v < 1e11 else int(v)
    if isinstance(v, str):
        try:
            return iso_to_ms(v)
        except ValueError:
            return None
    return None


def floor_day(ms):
    return ms - ms % 86400000


def floor_week(ms):
    d = floor_day(ms)
    wd = dt.datetime.fromtimestamp(d // 1000, tz=dt.timezone.utc).weekday()  # Monday 0
    return d - wd * 86400000


def add_months(ms, n):
    d = dt.datetime.fromtimestamp(ms / 1000, tz=dt.timezone.utc)
    y, m = d.year, d.month + n
    while m <= 0:
        y, m = y - 1, m + 12
    while m > 12:
        y, m = y + 1, m - 12
    import calendar
    day = min(d.day, calendar.monthrange(y, m)[1])
    nd = d.replace(year=y, month=m, day=day)
    return int(nd.timestamp()) * 1000 + ms % 1000


# ------------------------------------------------------------------ TAP

def say(cond, name, *diag):
    """One TAP point for scripts run through ar_py: "ok - NAME" or
    "not ok - NAME" with the diagnostics as "#   " lines. Returns cond."""
    print(("ok - " if cond else "not ok - ") + name)
    if not cond:
        for d in diag:
            for line in str(d)[:3000].splitlines():
                print("#   " + line)
    sys.stdout.flush()
    return cond


def short(v, n=600):
    s = v if isinstance(v, str) else json.dumps(v, ensure_ascii=False, default=str)
    return s if len(s) <= n else s[:n] + "...(%d chars)" % len(s)


class Tap:
    def __init__(self, offset, result_file=""):
        self.n = offset
        self.fail = 0
        self.result_file = result_file

    def save(self, final=False):
        """Records "LAST_NUMBER FAILURES [done]" for the harness."""
        if self.result_file:
            tmp = self.result_file + ".tmp"
            with open(tmp, "w") as f:
                f.write("%d %d%s\n" % (self.n, self.fail, " done" if final else ""))
            os.replace(tmp, self.result_file)

    def ok(self, cond, name, *diag):
        self.n += 1
        if cond:
            print("ok %d - %s" % (self.n, name))
        else:
            self.fail += 1
            print("not ok %d - %s" % (self.n, name))
            for d in diag:
                for line in str(d).splitlines() or [""]:
                    print("#   " + line)
        sys.stdout.flush()
        self.save()
        return bool(cond)

    def eq(self, got, exp, name):
        return self.ok(got == exp, name, "expected: " + short(exp), "got:      " + short(got))

    def note(self, msg):
        for line in str(msg).splitlines():
            print("# " + line)
        sys.stdout.flush()


# ------------------------------------------------------------------ HTTP

class Resp:
    def __init__(self, status, headers, raw, elapsed):
        self.status = status
        self.headers = headers
        self.raw = raw
        self.elapsed = elapsed
        self.json = None
        self.json_error = None
        try:
            self.json = json.loads(raw.decode("utf-8"))
        except Exception as e:  # noqa: BLE001 - reported by the checks
            self.json_error = repr(e)

    @property
    def ct(self):
        return self.headers.get("content-type")

    def __repr__(self):
        return "HTTP %s %s %s" % (self.status, self.ct, short(self.raw.decode("utf-8", "replace"), 800))


class Client:
    def __init__(self, base, auth_prefix, timeout=20.0):
        u = urllib.parse.urlsplit(base)
        self.host, self.port = u.hostname, u.port
        self.mount_prefix = u.path.rstrip("/")
        self.auth_prefix = auth_prefix
        self.timeout = timeout

    def raw(self, method, path, body=None, user=None, headers=None):
        h = dict(headers or {})
        if body is not None:
            if isinstance(body, (dict, list)):
                body = json.dumps(body)
            if isinstance(body, str):
                body = body.encode("utf-8")
            h.setdefault("Content-Type", "application/json")
        # The header a state change without a body needs against
        # cross-site request forgery (docs/api.md, "Request headers").
        if method not in ("GET", "HEAD"):
            h.setdefault("X-Requested-With", "asyncreq")
        if user:
            tok = base64.b64encode(("%s:pw-%s" % (user, user)).encode()).decode()
            h["Authorization"] = "Basic " + tok
        c = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        t0 = time.time()
        try:
            c.request(method, self.mount_prefix + path, body=body, headers=h)
            r = c.getresponse()
            data = r.read()
            hdrs = {k.lower(): v for k, v in r.getheaders()}
            return Resp(r.status, hdrs, data, time.time() - t0)
        finally:
            c.close()

    def call(self, method, endpoint, body=None, user=None, mount=None, query=None):
        """endpoint is relative to _sme/async_requests ("status/ID"). The
        mount defaults to the auth prefix with a user, none without."""
        if mount is None:
            mount = self.auth_prefix if user else ""
        path = mount + API + ("/" + endpoint if endpoint else "")
        if query:
            path += "?" + query
        return self.raw(method, path, body=body, user=user)


# ------------------------------------------------------------------ events

def canon(v):
    """A comparable form of a JSON value that keeps object key order and
    number types."""
    if isinstance(v, dict):
        return ("o", tuple((k, canon(x)) for k, x in v.items()))
    if isinstance(v, list):
        return ("a", tuple(canon(x) for x in v))
    if isinstance(v, bool):
        return ("b", v)
    if isinstance(v, int):
        return ("i", v)
    if isinstance(v, float):
        return ("f", v)
    if v is None:
        return ("n",)
    return ("s", v)


class Data:
    """The generated events of each index, as parsed objects in file order."""

    def __init__(self):
        self.idx = {}   # name -> list of (time_ms, pos, obj)
        self.order = []

    def load(self, name, path, tfield):
        with open(path, "rb") as f:
            raw = f.read()
        evs = []
        for pos, line in enumerate(raw.split(b"\n")):
            if not line:
                continue
            obj = json.loads(line.decode("utf-8"))
            evs.append((event_time(obj, tfield), pos, obj))
        self.idx[name] = evs
        self.order.append(name)

    def expect(self, indices, start, end, limit=None):
        """Events of indices in [start, end), newest first, ties in file
        order, at most limit."""
        sel = []
        for ino, name in enumerate(indices):
            for t, pos, obj in self.idx[name]:
                if t is not None and start <= t < end:
                    sel.append((-t, ino, pos, obj))
        sel.sort(key=lambda x: x[:3])
        out = [x[3] for x in sel]
        return out[:limit] if limit is not None else out


def compare_events(tap, got, exp, name):
    """One point: got (list of parsed events) equals exp in order, key order
    and number types."""
    if not isinstance(got, list):
        return tap.ok(False, name, "events is not a list: " + short(got))
    diag = []
    if len(got) != len(exp):
        diag.append("expected %d events, got %d" % (len(exp), len(got)))
    for i, (g, e) in enumerate(zip(got, exp)):
        if canon(g) != canon(e):
            diag.append("first difference at event %d" % i)
            diag.append("expected: " + short(e, 1500))
            diag.append("got:      " + short(g, 1500))
            if isinstance(g, dict) and isinstance(e, dict) and g == e:
                diag.append("(same fields and values, different key order or number type)")
            break
    return tap.ok(not diag, name, *diag)


# ------------------------------------------------------------------ the suite

class Suite:
    def __init__(self, args):
        self.a = args
        self.tap = Tap(args.tap_offset, args.result_file)
        self.c = Client(args.base, args.auth_prefix)
        self.data = Data()
        self.ids = []           # every id created, for the uniqueness check
        self.t = {}             # named tasks: name -> id

    # --- helpers

    def check_json(self, r, status, name):
        """One point: status code, Content-Type and a JSON body."""
        diag = []
        if r.status != status:
            diag.append("status %s, expected %s" % (r.status, status))
        if r.ct != JSON_CT:
            diag.append("Content-Type %r, expected %r" % (r.ct, JSON_CT))
        if r.json is None:
            diag.append("body is not JSON: %s" % r.json_error)
        if diag:
            diag.append(repr(r))
        return self.tap.ok(not diag, name, *diag)

    def check_error(self, r, status, etype, name, reason_has=None, reason_any=None,
                    query_error=False, types=None):
        """One point: an error answer in the exact envelope."""
        diag = []
        if r.status != status:
            diag.append("status %s, expected %s" % (r.status, status))
        if r.ct != JSON_CT:
            diag.append("Content-Type %r, expected %r" % (r.ct, JSON_CT))
        j = r.json
        if not isinstance(j, dict):
            diag.append("body is not a JSON object")
        else:
            if set(j) != {"error", "status"}:
                diag.append("envelope keys %s, expected ['error', 'status']" % sorted(j))
            if j.get("status") != status or isinstance(j.get("status"), bool):
                diag.append("body status %r, expected %d" % (j.get("status"), status))
            e = j.get("error")
            if not isinstance(e, dict):
                diag.append("error is not an object")
            else:
                want = {"type", "reason"} | ({"line", "column", "position"} if query_error else set())
                if set(e) != want:
                    diag.append("error keys %s, expected %s" % (sorted(e), sorted(want)))
                ok_types = types or (etype,)
                if e.get("type") not in ok_types:
                    diag.append("type %r, expected %s" % (e.get("type"), " or ".join(ok_types)))
                reason = e.get("reason")
                if not isinstance(reason, str) or not reason:
                    diag.append("reason %r is not a non-empty string" % (reason,))
                else:
                    if reason_has is not None and reason_has not in reason:
                        diag.append("reason %r does not contain %r" % (reason, reason_has))
                    if reason_any is not None and not any(x in reason for x in reason_any):
                        diag.append("reason %r contains none of %r" % (reason, reason_any))
                if query_error:
                    for k in ("line", "column", "position"):
                        if not isinstance(e.get(k), int) or isinstance(e.get(k), bool):
                            diag.append("error.%s %r is not an integer" % (k, e.get(k)))
        if diag:
            diag.append(repr(r))
        return self.tap.ok(not diag, name, *diag)

    def create(self, user, query, mount=None, **fields):
        body = {"query": query}
        body.update(fields)
        r = self.c.call("POST", "request", body=body, user=user, mount=mount)
        tid = None
        if r.status == 201 and isinstance(r.json, dict):
            tid = r.json.get("id")
            if tid:
                self.ids.append(tid)
        return r, tid

    def status(self, tid, user):
        return self.c.call("GET", "status/" + tid, user=user)

    def wait_final(self, tid, user, timeout=20.0):
        """Polls status until final; returns the last task object (or None)."""
        deadline = time.time() + timeout
        last = None
        while time.time() < deadline:
            r = self.status(tid, user)
            if r.status != 200 or not isinstance(r.json, dict):
                return None
            last = r.json
            if last.get("status") in FINAL:
                return last
            time.sleep(0.02)
        return last

    def create_done(self, name, user, query, expect_state="DONE", **fields):
        """Creates a task and waits for it; one point. Returns (id, task)."""
        r, tid = self.create(user, query, **fields)
        if r.status != 201 or not tid:
            self.tap.ok(False, name, "create failed: " + repr(r))
            return None, None
        t = self.wait_final(tid, user)
        self.tap.ok(t is not None and t.get("status") == expect_state, name,
                    "task %s ended as %s, expected %s" % (tid, short(t), expect_state))
        return tid, t

    def results(self, tid, user, query=None):
        return self.c.call("GET", "response/" + tid, user=user, query=query)

    def health(self):
        return self.c.call("GET", "health")

    def wait_idle(self, timeout=15.0):
        deadline = time.time() + timeout
        while time.time() < deadline:
            r = self.health()
            q = (r.json or {}).get("queue") if isinstance(r.json, dict) else None
            if isinstance(q, dict) and q.get("queued") == 0 and q.get("running") == 0:
                return True
            time.sleep(0.05)
        return False

    # --- setup

    def setup_data(self):
        names = SMOKE_DATASETS if self.a.mode == "smoke" else list(DATASETS)
        os.makedirs(self.a.data_dir, exist_ok=True)
        for name in names:
            gen_args, tfield = DATASETS[name]
            path = os.path.join(self.a.data_dir, name + ".ndjson")
            with open(path, "wb") as f:
                subprocess.run([sys.executable, self.a.gen] + gen_args, stdout=f, check=True)
            n = sum(1 for line in open(path, "rb") if line.strip())
            cmd = [self.a.cli, "-c", self.a.conf, "ingest"]
            if tfield != "@timestamp":
                cmd += ["--time-field", tfield]
            cmd += [name, path]
            p = subprocess.run(cmd, capture_output=True, timeout=120)
            out = p.stdout.decode("utf-8", "replace").strip()
            self.tap.ok(p.returncode == 0 and out == "ingested %d events into %s (0 lines rejected)" % (n, name),
                        "ingest %s: %d events" % (name, n),
                        "exit %d" % p.returncode, "stdout: " + out,
                        "stderr: " + p.stderr.decode("utf-8", "replace")[-1500:])
            self.data.load(name, path, tfield)

    # --- sections

    def sec_health(self):
        tap = self.tap
        r = self.health()
        if self.check_json(r, 200, "health: 200 JSON"):
            j = r.json
            tap.eq(sorted(j), ["queue", "runner", "status", "storage"], "health: keys")
            tap.eq(j.get("status"), "ok", "health: status ok")
            tap.eq(j.get("runner"), {"pid": self.a.runner_pid, "alive": True},
                   "health: runner pid and alive")
            q = j.get("queue")
            tap.ok(isinstance(q, dict) and sorted(q) == ["queued", "running"]
                   and all(type(v) is int and v >= 0 for v in q.values()),
                   "health: queue counts", short(q))
            s = j.get("storage")
            good = (isinstance(s, dict) and sorted(s) == ["disk_free_bytes", "disk_full", "map_bytes", "percent", "used_bytes"]
                    and type(s.get("disk_free_bytes")) is int and s["disk_free_bytes"] > 0
                    and s.get("disk_full") is False
                    and type(s.get("used_bytes")) is int and type(s.get("map_bytes")) is int
                    and isinstance(s.get("percent"), (int, float))
                    and 0 < s["used_bytes"] <= s["map_bytes"]
                    and abs(s["percent"] - 100.0 * s["used_bytes"] / s["map_bytes"]) < 0.1)
            tap.ok(good, "health: storage used_bytes, map_bytes, percent, disk_free_bytes, disk_full", short(s))
        r = self.c.call("GET", "health", user="alice")
        self.check_json(r, 200, "health: 200 through the authenticated mount")
        r = self.c.call("POST", "health", body={})
        self.check_error(r, 405, "method_not_allowed", "health: POST is 405 method_not_allowed")

    def sec_whoami(self):
        tap = self.tap
        r = self.c.call("GET", "whoami")
        if self.check_json(r, 200, "whoami: 200 JSON without a user"):
            tap.eq(r.json, {"user": "anonymous", "admin": False}, "whoami: anonymous, not admin")
        r = self.c.call("GET", "whoami", user="alice")
        if self.check_json(r, 200, "whoami: 200 JSON as alice"):
            tap.eq(r.json, {"user": "alice", "admin": False}, "whoami: alice, not admin")
        r = self.c.call("GET", "whoami", user="carol")
        if self.check_json(r, 200, "whoami: 200 JSON as admin carol"):
            tap.eq(r.json, {"user": "carol", "admin": True}, "whoami: carol is admin")
        r = self.c.call("GET", "whoami", query="x=1")
        self.check_error(r, 400, "illegal_argument_exception", "whoami: a parameter is 400")
        r = self.c.call("POST", "whoami", body={})
        self.check_error(r, 405, "method_not_allowed", "whoami: POST is 405 method_not_allowed")

    def sec_create_basic(self):
        tap = self.tap
        q = "source sysmon_operational-a qsize=5"
        r, tid = self.create("alice", q, dtStart=H0, dtEnd=H1, calculateExecutionCost="info")
        if not self.check_json(r, 201, "create: 201 JSON"):
            return
        tap.eq(sorted(r.json), ["id", "status"], "create: body keys id, status")
        tap.eq(r.json.get("status"), "QUEUED", "create: status QUEUED")
        tap.ok(isinstance(tid, str) and ID_RE.match(tid), "create: id is 22+ of [A-Za-z0-9_-]", repr(tid))
        if not tid:
            return
        self.t["q5"] = tid
        r = self.status(tid, "alice")
        if self.check_json(r, 200, "status/{id}: 200 JSON right after create"):
            j = r.json
            tap.eq(set(j), TASK_KEYS, "status/{id}: exact key set")
            want = {"id": tid, "owner": "alice", "query": q, "dtFieldName": "@timestamp",
                    "dtStart": H0, "dtEnd": H1, "rangeStart": "2026-01-01T00:00:00.000Z",
                    "rangeEnd": "2026-01-01T01:00:00.000Z", "calculateStats": False,
                    "calculateExecutionCost": "INFO"}
            tap.eq({k: j.get(k) for k in want}, want, "status/{id}: parameters echoed, range resolved")
            tap.ok(j.get("status") in STATES, "status/{id}: a known state", j.get("status"))
            tap.ok(isinstance(j.get("createdAt"), str) and TIME_RE.match(j["createdAt"]),
                   "status/{id}: createdAt is ISO ms UTC", j.get("createdAt"))
        t = self.wait_final(tid, "alice")
        if not tap.ok(t is not None and t.get("status") == "DONE", "status/{id}: task reaches DONE", short(t)):
            return
        self.t["q5_task"] = t
        tap.eq((t.get("progress"), t.get("resultCount"), t.get("error")), (1, 5, None),
               "status/{id}: DONE has progress 1, resultCount 5, error null")
        tap.ok(type(t.get("scannedEvents")) is int and t["scannedEvents"] >= 5,
               "status/{id}: scannedEvents is an integer >= 5", t.get("scannedEvents"))
        times = [t.get(k) for k in ("createdAt", "startedAt", "finishedAt", "expiresAt")]
        good = all(isinstance(x, str) and TIME_RE.match(x) for x in times)
        if good:
            ms = [iso_to_ms(x) for x in times]
            good = ms[0] <= ms[1] <= ms[2] < ms[3]
        tap.ok(good, "status/{id}: createdAt <= startedAt <= finishedAt < expiresAt, ISO ms", short(times))
        r = self.results(tid, "alice")
        if self.check_json(r, 200, "response/{id}: 200 JSON"):
            j = r.json
            tap.eq(sorted(j), sorted(["id", "status", "isPartial", "total", "from", "to", "events",
                                      "executionCost"]),
                   "response/{id}: keys (executionCost only, no sidebar/timeline)")
            tap.eq({k: j.get(k) for k in ("id", "status", "isPartial", "total", "from", "to")},
                   {"id": tid, "status": "DONE", "isPartial": False, "total": 5, "from": 0, "to": 5},
                   "response/{id}: id, status, isPartial, total, from, to")
            exp = self.data.expect(["sysmon_operational-a"], iso_to_ms(H0), iso_to_ms(H1), 5)
            compare_events(tap, j.get("events"), exp,
                           "source qsize=5: the 5 newest events, newest first, identical to the source")

    def run_source(self, name, query, indices, start, end, limit=None, user="alice", **fields):
        """Creates a source task, waits, and compares all of its results."""
        tid, t = self.create_done(name + ": task DONE", user, query, **fields)
        if not tid:
            return None, None
        r = self.results(tid, user)
        exp = self.data.expect(indices, start, end, limit)
        if r.status == 200 and isinstance(r.json, dict):
            self.tap.eq((r.json.get("total"), t.get("resultCount") if t else None), (len(exp), len(exp)),
                        name + ": total and resultCount")
            compare_events(self.tap, r.json.get("events"), exp, name + ": events")
        else:
            self.tap.ok(False, name + ": response", repr(r))
        return tid, r

    def sec_semantics(self):
        tap = self.tap
        full = self.a.mode == "full"
        h0, h1 = iso_to_ms(H0), iso_to_ms(H1)
        m10, m20 = h0 + 600000, h0 + 1200000
        tid, r = self.run_source("range [00:10, 00:20) without qsize", "source sysmon_operational-a",
                                 ["sysmon_operational-a"], m10, m20,
                                 dtStart="2026-01-01T00:10:00Z", dtEnd="2026-01-01T00:20:00Z")
        if r is not None and r.status == 200:
            evs = r.json.get("events") or []
            tap.eq((evs[-1].get("@timestamp") if evs else None, evs[0].get("@timestamp") if evs else None),
                   ("2026-01-01T00:10:00.000Z", "2026-01-01T00:19:59.000Z"),
                   "range: dtStart inclusive, dtEnd exclusive")
        # makeresults
        tid, t = self.create_done("makeresults count=3 shownumbers=true: DONE", "alice",
                                  "makeresults count=3 shownumbers=true")
        if tid:
            r = self.results(tid, "alice")
            now = t.get("rangeEnd")
            exp = [{"@timestamp": now, "number": n} for n in (1, 2, 3)]
            if self.check_json(r, 200, "makeresults: response 200"):
                compare_events(tap, r.json.get("events"), exp,
                               "makeresults: 3 events, @timestamp = the task's now, number 1..3")
                tap.ok("sidebar" not in r.json and "timeline" not in r.json and "executionCost" not in r.json,
                       "makeresults: no sidebar/timeline/executionCost without calculateStats/cost",
                       short(sorted(r.json)))
        if not full:
            return
        tid, t = self.create_done("makeresults (default count): DONE", "alice", "makeresults")
        if tid:
            r = self.results(tid, "alice")
            compare_events(tap, (r.json or {}).get("events"), [{"@timestamp": t.get("rangeEnd")}],
                           "makeresults: default count 1, only @timestamp")
        tid, t = self.create_done("leading |, newlines, comment, spaces around =: DONE", "alice",
                                  "  \n| makeresults count = 2 /* two */\n  ")
        if tid:
            r = self.results(tid, "alice")
            tap.eq(len((r.json or {}).get("events") or []), 2, "leading | query: 2 events")
        # sml.md sets no upper bound on makeresults count
        r, tid = self.create("alice", "makeresults count=5000000")
        tap.ok(r.status == 201, "makeresults count=5000000 accepted (sml.md sets no bound on count)", repr(r))
        if tid:
            self.c.call("DELETE", "delete/" + tid, user="alice")
        # earliest/latest override the task range, also outside it
        self.run_source("earliest=/latest= override dtStart/dtEnd",
                        'source sysmon_operational-a earliest="2026-01-01T00:30:00Z" latest=2026-01-01T00:31:00Z',
                        ["sysmon_operational-a"], h0 + 1800000, h0 + 1860000, dtStart=H0, dtEnd=H1)
        self.run_source("earliest=/latest= outside the task range",
                        'source sysmon_operational-a earliest="2026-01-01T00:00:00Z" latest="2026-01-01T00:00:10Z"',
                        ["sysmon_operational-a"], h0, h0 + 10000,
                        dtStart="2026-01-01T00:30:00Z", dtEnd="2026-01-01T00:31:00Z")
        # patterns
        self.run_source("comma list of indices merges newest first",
                        "source sysmon_operational-a,security-main qsize=200",
                        ["sysmon_operational-a", "security-main"], h0, h1, 200, dtStart=H0, dtEnd=H1)
        self.run_source("wildcard pattern merges indices newest first",
                        "source sysmon_operational-* qsize=300",
                        ["sysmon_operational-a", "sysmon_operational-b"], m20, h0 + 2400000, 300,
                        dtStart="2026-01-01T00:20:00Z", dtEnd="2026-01-01T00:40:00Z")
        self.run_source("qsize above the events in range returns them all",
                        "source security-main qsize=100000", ["security-main"], h0, m10, None,
                        dtStart=H0, dtEnd="2026-01-01T00:10:00Z")
        tid, r = self.run_source("pattern matching no index", "source nomatch-* qsize=5", [], h0, h1,
                                 dtStart=H0, dtEnd=H1)
        if tid:
            r = self.c.call("GET", "logs/" + tid, user="alice")
            logs = (r.json or {}).get("logs") or []
            tap.ok(any(isinstance(x, dict) and x.get("level") == "WARN" and "nomatch-*" in str(x.get("message"))
                       for x in logs),
                   "pattern matching no index: a WARN log line names it", short(logs))
        # another time field, epoch seconds
        tid, r = self.run_source("dtFieldName EventTime (epoch seconds)", "source epoch-idx qsize=10",
                                 ["epoch-idx"], h0, h1, 10, dtFieldName="EventTime", dtStart=H0, dtEnd=H1)
        if tid:
            r = self.status(tid, "alice")
            tap.eq((r.json or {}).get("dtFieldName"), "EventTime", "dtFieldName echoed in status")
        # the default range: now-15m .. now
        r, tid = self.create("alice", "source recent-sysmon")
        if tap.ok(r.status == 201 and tid, "default range: create", repr(r)):
            t = self.wait_final(tid, "alice") or {}
            rs, re_ = t.get("rangeStart"), t.get("rangeEnd")
            good = isinstance(rs, str) and isinstance(re_, str) and TIME_RE.match(rs) and TIME_RE.match(re_)
            tap.ok(good and t.get("dtStart") == "now-15m" and t.get("dtEnd") == "now"
                   and iso_to_ms(re_) - iso_to_ms(rs) == 900000
                   and abs(iso_to_ms(re_) - time.time() * 1000) < 60000,
                   "default range: dtStart now-15m, dtEnd now, 15 minutes ending now", short(t))
            if good:
                exp = self.data.expect(["recent-sysmon"], iso_to_ms(rs), iso_to_ms(re_))
                r = self.results(tid, "alice")
                compare_events(tap, (r.json or {}).get("events"), exp,
                               "default range: the events of the last 15 minutes, newest first")

    def sec_paging(self):
        tap = self.tap
        h0, h1 = iso_to_ms(H0), iso_to_ms(H1)
        tid, t = self.create_done("paging: task of 50 results DONE", "alice",
                                  "source sysmon_operational-a qsize=50", dtStart=H0, dtEnd=H1)
        if not tid:
            return
        self.t["q50"] = tid
        exp = self.data.expect(["sysmon_operational-a"], h0, h1, 50)
        cases = [
            (None, 0, 50, exp),
            ("from=10&to=20", 10, 20, exp[10:20]),
            ("from=45&to=100", 45, 50, exp[45:50]),
            ("from=50", 50, 50, []),
            ("to=5", 0, 5, exp[0:5]),
            ("from=20", 20, 50, exp[20:50]),
            ("from=7&to=7", 7, 7, []),
            ("to=0", 0, 0, []),
        ]
        if self.a.mode == "smoke":
            cases = cases[:3]
        for q, f, to, evs in cases:
            r = self.results(tid, "alice", q)
            name = "response ?%s" % (q or "(no range)")
            if self.check_json(r, 200, name + ": 200"):
                j = r.json
                tap.eq((j.get("total"), j.get("from"), j.get("to"), j.get("isPartial")),
                       (50, f, to, False), name + ": total, from, to, isPartial")
                compare_events(tap, j.get("events"), evs, name + ": events slice")
        r = self.results(tid, "alice", "from=60&to=70")
        tap.ok(r.status == 200 and isinstance(r.json, dict) and r.json.get("events") == [],
               "response ?from=60&to=70 past the end: 200, no events", repr(r))
        bad = [("from=-1", ("from",)), ("to=-5", ("to",)), ("from=abc", ("from",)),
               ("to=1.5", ("to",)), ("from=5&to=3", ("from", "to")),
               ("from=18446744073709551616", ("from",)),
               ("to=99999999999999999999999", ("to",)), ("from=0x10", ("from",))]
        if self.a.mode == "smoke":
            bad = bad[:2]
        for q, names in bad:
            r = self.results(tid, "alice", q)
            self.check_error(r, 400, "illegal_argument_exception", "response ?%s: 400" % q, reason_any=names)
        r = self.results(tid, "alice", "size=10")
        self.check_error(r, 400, "illegal_argument_exception",
                         "response ?size=10: unknown parameter is 400 naming it", reason_has="size")

    def sec_logs(self):
        tap = self.tap
        tid = self.t.get("q5")
        if not tid:
            tap.ok(False, "logs: no task from the create section")
            return
        r = self.c.call("GET", "logs/" + tid, user="alice")
        if not self.check_json(r, 200, "logs/{id}: 200 JSON"):
            return
        j = r.json
        tap.eq((sorted(j), j.get("id")), (["id", "logs"], tid), "logs/{id}: keys id, logs")
        logs = j.get("logs")
        if not tap.ok(isinstance(logs, list) and logs, "logs/{id}: a non-empty list", short(logs)):
            return
        tap.ok(all(isinstance(x, dict) and set(x) == {"time", "level", "message"}
                   and isinstance(x["time"], str) and TIME_RE.match(x["time"])
                   and x["level"] in ("DEBUG", "INFO", "WARN", "ERROR") and isinstance(x["message"], str)
                   for x in logs), "logs/{id}: each line has time (ISO ms), level, message", short(logs))
        tap.eq({k: logs[0].get(k) for k in ("level", "message")},
               {"level": "INFO", "message": "task created by alice"}, "logs/{id}: first line 'task created by alice'")
        msgs = [str(x.get("message")) for x in logs if isinstance(x, dict)]
        tap.ok("started by runner pid %d" % self.a.runner_pid in msgs,
               "logs/{id}: 'started by runner pid %d'" % self.a.runner_pid, short(msgs))
        tap.ok(any("sysmon_operational-a" in m and "matched" in m for m in msgs),
               "logs/{id}: the indices the pattern matched", short(msgs))
        tap.ok(any(x.get("level") == "WARN" and "qsize=5" in str(x.get("message")) for x in logs),
               "logs/{id}: WARN line says qsize=5 cut the source short", short(logs))
        tap.ok(logs[-1].get("level") == "INFO" and str(logs[-1].get("message")).startswith("done: 5 results"),
               "logs/{id}: last line 'done: 5 results...'", short(logs[-1]))

    def sec_create_errors(self):
        tap = self.tap
        before = self.c.call("GET", "status", user="alice")
        n_before = len((before.json or {}).get("tasks") or [])
        pe = "parse_exception"
        ia = "illegal_argument_exception"
        cases = [
            ("malformed JSON", b'{"query": ', 400, pe, None),
            ("JSON array body", b'[{"query": "| makeresults"}]', 400, pe, None),
            ("JSON string body", b'"| makeresults"', 400, pe, None),
            ("empty body", b"", 400, pe, None),
            ("trailing garbage after the object", b'{"query": "| makeresults"} x', 400, pe, None),
            ("invalid UTF-8", b'{"query": "| makeresults \xff"}', 400, pe, None),
            ("no query field", {}, 400, ia, "query"),
            ("query is a number", {"query": 5}, 400, ia, "query"),
            ("query is null", {"query": None}, 400, ia, "query"),
            ("unknown field dtstart", {"query": "| makeresults", "dtstart": "now-1h"}, 400, ia, "dtstart"),
            ("calculateStats is a string", {"query": "| makeresults", "calculateStats": "yes"}, 400, ia,
             "calculateStats"),
            ("calculateExecutionCost is a bool", {"query": "| makeresults", "calculateExecutionCost": True},
             400, ia, "calculateExecutionCost"),
            ("dtFieldName is a number", {"query": "| makeresults", "dtFieldName": 5}, 400, ia, "dtFieldName"),
            ("dtStart is a bool", {"query": "| makeresults", "dtStart": True}, 400, ia, "dtStart"),
            ("dtStart now-1x", {"query": "| makeresults", "dtStart": "now-1x"}, 400, ia,
             "dtStart 'now-1x' is not a valid date"),
            ("dtEnd yesterday", {"query": "| makeresults", "dtEnd": "yesterday"}, 400, ia,
             "dtEnd 'yesterday' is not a valid date"),
            ("dtStart month 13", {"query": "| makeresults", "dtStart": "2026-13-01"}, 400, ia, "dtStart"),
            ("dtStart after dtEnd", {"query": "| makeresults", "dtStart": "2026-01-02", "dtEnd": "2026-01-01"},
             400, ia, "dtStart"),
        ]
        if self.a.mode == "smoke":
            cases = [c for c in cases if c[0] in ("malformed JSON", "JSON array body", "unknown field dtstart",
                                                  "dtStart now-1x")]
        for name, body, st, et, has in cases:
            r = self.c.call("POST", "request", body=body, user="alice")
            self.check_error(r, st, et, "create, %s: %d %s" % (name, st, et), reason_has=has)
        r = self.c.call("POST", "request", body={"query": "| makeresults",
                                                 "calculateExecutionCost": "LOUD"}, user="alice")
        self.check_error(r, 400, ia, "create, calculateExecutionCost LOUD: 400 naming it",
                         reason_any=("calculateExecutionCost", "LOUD"))
        r = self.c.call("POST", "request", body={"query": "  /* nothing */ \n "}, user="alice")
        qerr = bool(isinstance(r.json, dict) and isinstance(r.json.get("error"), dict)
                    and "line" in r.json["error"])
        self.check_error(r, 400, ia, "create, empty query: 400", types=(ia, "query_parsing_exception"),
                         query_error=qerr, reason_has="empty")
        r = self.c.call("POST", "request", body={"query": "| makeresults"}, user="alice", query="pretty=true")
        self.check_error(r, 400, ia, "create, unknown query-string parameter: 400 naming it",
                         reason_has="pretty")
        if self.a.mode == "full":
            self.sec_query_errors()
        after = self.c.call("GET", "status", user="alice")
        tap.eq(len((after.json or {}).get("tasks") or []), n_before, "rejected creates stored no task")

    def sec_query_errors(self):
        qp = "query_parsing_exception"
        cases = [
            ("unknown command on line 2", "source a\n| stat count", "unknown command 'stat'", (2, 3, 11)),
            ("columns count characters", "/* \u00e9 */ source a | stat count",
             "unknown command 'stat'", (1, 20, 19)),
            ("unclosed parenthesis", "makeresults | where (x=1", "unclosed '('", (1, 21, 20)),
            ("unknown command", "frobnicate x", "frobnicate", (1, 1, 0)),
            ("source without pattern", "source", None, None),
            ("unterminated string", 'source "abc', None, None),
            ("bad count", "makeresults count=abc", None, None),
            ("missing command after |", "makeresults |", None, None),
        ]
        r = self.c.call("POST", "request", body={"query": "source a earliest=now-1x"}, user="alice")
        qe = bool(isinstance(r.json, dict) and isinstance(r.json.get("error"), dict) and "line" in r.json["error"])
        self.check_error(r, 400, qp, "query error, earliest=now-1x: 400 naming earliest", reason_has="earliest",
                         types=(qp, "illegal_argument_exception"), query_error=qe)
        for name, q, reason, pos in cases:
            r = self.c.call("POST", "request", body={"query": q}, user="alice")
            self.check_error(r, 400, qp, "query error, %s: 400 %s" % (name, qp), reason_has=reason,
                             query_error=True)
            if pos is not None:
                e = (r.json or {}).get("error") or {}
                self.tap.eq((e.get("line"), e.get("column"), e.get("position")), pos,
                            "query error, %s: line, column, position" % name)

    def sec_ownership(self):
        tap = self.tap
        tid = self.t.get("q5")
        if not tid:
            tap.ok(False, "ownership: no task from the create section")
            return
        eps = [("GET", "status/"), ("GET", "response/"), ("GET", "logs/"), ("POST", "break/"),
               ("DELETE", "delete/")]
        if self.a.mode == "smoke":
            eps = eps[:1] + eps[3:]
        unknown = {}
        for m, ep in eps:
            r = self.c.call(m, ep + UNKNOWN_ID, user="alice")
            self.check_error(r, 404, "resource_not_found_exception", "%s %s<unknown id>: 404" % (m, ep))
            unknown[ep] = r
        for m, ep in eps:
            r = self.c.call(m, ep + tid, user="bob")
            u = unknown[ep]
            exp = u.raw.decode("utf-8", "replace").replace(UNKNOWN_ID, tid)
            tap.ok(r.status == 404 and r.raw.decode("utf-8", "replace") == exp and r.ct == u.ct,
                   "%s %s<alice's id> as bob: 404 exactly like an unknown id" % (m, ep),
                   "unknown: " + repr(u), "bob:     " + repr(r))
        r = self.status(tid, None)
        tap.ok(r.status == 404, "status of alice's task, anonymous: 404", repr(r))
        r = self.status(tid, "alice")
        tap.ok(r.status == 200 and (r.json or {}).get("status") == "DONE",
               "alice's task survived bob's break and delete", repr(r))
        # an anonymous caller
        r, aid = self.create(None, "| makeresults")
        if tap.ok(r.status == 201 and aid, "anonymous create: 201", repr(r)):
            self.t["anon"] = aid
            t = self.wait_final(aid, None) or {}
            tap.eq(t.get("owner"), "anonymous", "anonymous create: owner 'anonymous'")
            r = self.c.call("GET", "logs/" + aid)
            first = (((r.json or {}).get("logs") or [{}])[0]).get("message")
            tap.eq(first, "task created by anonymous", "anonymous create: log 'task created by anonymous'")
        r, bid = self.create("bob", "| makeresults")
        if bid:
            self.t["bob1"] = bid
            self.wait_final(bid, "bob")
        # lists: alice sees only hers; carol (admin) sees everyone's
        r = self.c.call("GET", "status", user="alice")
        tasks = (r.json or {}).get("tasks") or []
        ids = [x.get("id") for x in tasks]
        tap.ok(tid in ids and bid not in ids and self.t.get("anon") not in ids
               and all(x.get("owner") == "alice" for x in tasks),
               "status list of alice: only alice's tasks", short(ids))
        if self.a.mode == "full":
            r = self.c.call("GET", "status", user="carol")
            ids = [x.get("id") for x in (r.json or {}).get("tasks") or []]
            tap.ok(r.status == 200 and tid in ids and bid in ids and self.t.get("anon") in ids,
                   "status list of admin carol: every user's tasks", short(ids))
            r = self.status(tid, "carol")
            tap.ok(r.status == 200 and (r.json or {}).get("owner") == "alice",
                   "status of alice's task as admin carol: 200", repr(r))
            r = self.results(tid, "carol")
            tap.ok(r.status == 200 and (r.json or {}).get("total") == 5,
                   "response of alice's task as admin carol: 200", repr(r))

    def sec_paths(self):
        tap = self.tap
        tid = self.t.get("q5")
        if not tid:
            tap.ok(False, "paths: no task from the create section")
            return
        r = self.c.call("GET", "status/" + tid + "/", user="alice")
        tap.ok(r.status == 200 and (r.json or {}).get("id") == tid, "status/{id}/ trailing slash: 200", repr(r))
        r = self.c.call("GET", "status/", user="alice")
        tap.ok(r.status == 200 and isinstance((r.json or {}).get("tasks"), list),
               "status/ trailing slash: the list", repr(r))
        r = self.c.raw("GET", self.a.auth_prefix + API + "/%73tatus/" + tid, user="alice")
        tap.ok(r.status == 200 and (r.json or {}).get("id") == tid, "percent-encoded path %73tatus: 200", repr(r))
        nf = "resource_not_found_exception"
        for p in (API + "/nope", "/_sme/nope", API + "/status/" + tid + "/extra", API):
            r = self.c.raw("GET", self.a.auth_prefix + p, user="alice")
            self.check_error(r, 404, nf, "unknown path %s: 404" % p.replace(tid, "{id}"))
        mna = "method_not_allowed"
        for m, ep in (("GET", "request"), ("PUT", "status/" + tid), ("DELETE", "status/" + tid),
                      ("POST", "delete/" + tid), ("GET", "break/" + tid), ("GET", "break"),
                      ("POST", "logs/" + tid), ("PATCH", "response/" + tid)):
            r = self.c.call(m, ep, user="alice", body={} if m in ("PUT", "POST", "PATCH") else None)
            self.check_error(r, 405, mna, "%s %s: 405" % (m, ep.replace(tid, "{id}")))
        r = self.status(tid, "alice")
        tap.ok(r.status == 200, "task still there after the 405s", repr(r))

    def sec_status_list(self):
        tap = self.tap
        r = self.c.call("GET", "status", user="alice")
        if not self.check_json(r, 200, "status list: 200 JSON"):
            return
        tap.eq(sorted(r.json), ["tasks"], "status list: key tasks")
        tasks = r.json.get("tasks") or []
        tap.ok(all(isinstance(x, dict) and set(x) == TASK_KEYS for x in tasks),
               "status list: each task has the status key set", short(tasks[:1]))
        created = [x.get("createdAt") or "" for x in tasks]
        tap.ok(created == sorted(created, reverse=True), "status list: newest first", short(created))
        pos = {x.get("id"): i for i, x in enumerate(tasks)}
        mine = [i for i in self.ids if i in pos]
        tap.ok(len(mine) >= 2 and [pos[i] for i in mine] == sorted((pos[i] for i in mine), reverse=True),
               "status list: tasks created later come first", short(mine))
        for st in ("DONE", "CANCELLED", "RUNNING"):
            r = self.c.call("GET", "status", user="alice", query="status=" + st)
            ts = (r.json or {}).get("tasks")
            exp = [x.get("id") for x in tasks if x.get("status") == st] if st != "RUNNING" else []
            tap.ok(r.status == 200 and isinstance(ts, list) and all(x.get("status") == st for x in ts)
                   and (st == "RUNNING" or [x.get("id") for x in ts] == exp),
                   "status ?status=%s: exactly the tasks in that state" % st, repr(r))
        r = self.c.call("GET", "status", user="alice", query="status=BOGUS")
        self.check_error(r, 400, "illegal_argument_exception", "status ?status=BOGUS: 400",
                         reason_any=("status", "BOGUS"))
        r = self.c.call("GET", "status", user="alice", query="foo=1")
        self.check_error(r, 400, "illegal_argument_exception", "status ?foo=1: 400 naming foo", reason_has="foo")
        q5 = self.t.get("q5", UNKNOWN_ID)
        for m, ep in (("GET", "status/"), ("GET", "logs/"), ("POST", "break/"), ("DELETE", "delete/")):
            r = self.c.call(m, ep + q5, user="alice", query="foo=1")
            self.check_error(r, 400, "illegal_argument_exception", "%s %s{id}?foo=1: 400 naming foo" % (m, ep),
                             reason_has="foo")
        r = self.c.call("GET", "health", query="foo=1")
        self.check_error(r, 400, "illegal_argument_exception", "GET health?foo=1: 400 naming foo", reason_has="foo")
        r = self.status(q5, "alice")
        tap.ok(r.status == 200 and (r.json or {}).get("status") == "DONE",
               "delete/{id}?foo=1 was rejected without deleting the task", repr(r))

    def sec_datemath(self):
        tap = self.tap
        day = 86400000
        cases = [
            ("now-1d/d", "now", lambda n: floor_day(n - day), None),
            ("now/w", "now", floor_week, None),
            ("now-2h", "now", lambda n: n - 7200000, None),
            ("now-1H", "now", lambda n: n - 3600000, None),
            ("now-90s", "now", lambda n: n - 90000, None),
            ("now-1w", "now", lambda n: n - 7 * day, None),
            ("now-1M", "now", lambda n: add_months(n, -1), None),
            ("now-1y", "now", lambda n: add_months(n, -12), None),
            ("now-15m", "now-5m", lambda n: n - 900000, lambda n: n - 300000),
            ("now-1d/d", "now/d", lambda n: floor_day(n - day), lambda n: floor_day(n)),
            ("2026-11-28", "2026-11-29", "2026-11-28T00:00:00.000Z", "2026-11-29T00:00:00.000Z"),
            ("2026-11-28T10:00:00+03:00", "2026-11-28T12:00:00Z", "2026-11-28T07:00:00.000Z",
             "2026-11-28T12:00:00.000Z"),
            ("2026-11-28T10:00:00", "2026-11-28T10:30:00.250Z", "2026-11-28T10:00:00.000Z",
             "2026-11-28T10:30:00.250Z"),
            (1764324000000, "1764327600000", ms_to_iso(1764324000000), ms_to_iso(1764327600000)),
        ]
        for ds, de, ers, ere in cases:
            r, tid = self.create("bob", "| makeresults", dtStart=ds, dtEnd=de)
            name = "date math dtStart=%s dtEnd=%s" % (json.dumps(ds), json.dumps(de))
            if r.status != 201 or not tid:
                tap.ok(False, name, repr(r))
                continue
            t = self.wait_final(tid, "bob") or {}
            rs, re_ = t.get("rangeStart"), t.get("rangeEnd")
            if callable(ers):
                created = t.get("createdAt")
                if de == "now":
                    now = iso_to_ms(re_) if isinstance(re_, str) else None
                else:
                    now = iso_to_ms(created) if isinstance(created, str) else None
                if now is None:
                    tap.ok(False, name, short(t))
                    continue
                exp_rs = ms_to_iso(ers(now))
                exp_re = ms_to_iso(ere(now)) if callable(ere) else re_
                if de == "now-5m":
                    # now is not visible here: check the length and the end
                    ok = (isinstance(rs, str) and isinstance(re_, str)
                          and iso_to_ms(re_) - iso_to_ms(rs) == 600000
                          and abs(iso_to_ms(re_) + 300000 - iso_to_ms(created)) < 2000)
                    tap.ok(ok, name + ": 10 minutes ending 5 minutes ago", short(t))
                    continue
                tap.eq((rs, re_), (exp_rs, exp_re), name)
            else:
                tap.eq((rs, re_), (ers, ere), name)

    def sec_stats(self):
        tap = self.tap
        h0, h1 = iso_to_ms(H0), iso_to_ms(H1)
        # execution cost INFO on the first task
        tid = self.t.get("q5")
        if tid:
            r = self.results(tid, "alice")
            ec = (r.json or {}).get("executionCost")
            good = isinstance(ec, dict) and set(ec) == {"level", "totalMs", "commands"}
            if good:
                cmds = ec.get("commands")
                good = (ec.get("level") == "INFO" and isinstance(ec.get("totalMs"), (int, float))
                        and isinstance(cmds, list) and len(cmds) == 1 and isinstance(cmds[0], dict)
                        and set(cmds[0]) == {"command", "text", "ms", "eventsIn", "eventsOut"}
                        and {k: cmds[0][k] for k in ("command", "text", "eventsIn", "eventsOut")}
                        == {"command": "source", "text": "source sysmon_operational-a qsize=5",
                            "eventsIn": 0, "eventsOut": 5}
                        and isinstance(cmds[0].get("ms"), (int, float)))
            tap.ok(good, "executionCost INFO: level, totalMs, one source command with counts", short(ec))
        # calculateStats + DEBUG cost over the whole hour of index a
        tid, t = self.create_done("calculateStats + DEBUG cost: DONE", "alice", "source sysmon_operational-a",
                                  dtStart=H0, dtEnd=H1, calculateStats=True, calculateExecutionCost="debug")
        if not tid:
            return
        tap.eq((t.get("calculateStats"), t.get("calculateExecutionCost")), (True, "DEBUG"),
               "status echoes calculateStats true and calculateExecutionCost DEBUG")
        r = self.results(tid, "alice", "from=0&to=2")
        if not self.check_json(r, 200, "stats task: response 200"):
            return
        j = r.json
        tap.eq(sorted(j), sorted(["id", "status", "isPartial", "total", "from", "to", "events", "sidebar",
                                  "timeline", "executionCost"]),
               "stats task: response has sidebar, timeline, executionCost")
        evs = self.data.expect(["sysmon_operational-a"], h0, h1)
        # timeline
        tl = j.get("timeline")
        counts = [0] * 120
        for e in evs:
            counts[(event_time(e, "@timestamp") - h0) // 30000] += 1
        exp_tl = {"interval": "30s",
                  "fields": [{"@timestamp": ms_to_iso(h0 + i * 30000), "count": counts[i]} for i in range(120)]}
        tap.eq(tl, exp_tl, "timeline: 30s buckets over [rangeStart, rangeEnd) with exact counts")
        # sidebar
        sb = j.get("sidebar")
        if not tap.ok(isinstance(sb, dict) and sb.get("totalEvents") == 3600 and isinstance(sb.get("fields"), list),
                      "sidebar: totalEvents 3600 and a fields list", short(sb)):
            return
        fields = sb["fields"]
        names = [f.get("name") for f in fields if isinstance(f, dict)]
        tap.ok(names == sorted(names) and len(names) == len(fields), "sidebar: fields sorted by name", short(names))
        byname = {f.get("name"): f for f in fields if isinstance(f, dict)}
        tap.ok(all(n in byname for n in ("process.name", "process.parent.pid", "Network.DestinationPort")),
               "sidebar: nested objects reported under dotted names", short(names))

        def values(name):
            out = []
            for e in evs:
                v = e
                for part in name.split("."):
                    v = v.get(part) if isinstance(v, dict) else None
                if v is not None:
                    out.append(v)
            return out

        def top(vals):
            cnt = {}
            for v in vals:
                cnt[v] = cnt.get(v, 0) + 1
            return sorted(cnt.items(), key=lambda kv: (-kv[1], kv[0]))[:10], len(cnt)

        for fname, typ in (("EventID", "number"), ("Hostname", "string"), ("process.pid", "number"),
                           ("Channel", "string")):
            vals = values(fname)
            tv, distinct = top(vals)
            f = byname.get(fname)
            exp = {"name": fname, "type": typ, "count": len(vals), "distinct": distinct,
                   "top": [{"value": v, "count": c, "percent": 100.0 * c / len(vals)} for v, c in tv]}
            if typ == "number":
                exp.update({"min": min(vals), "max": max(vals), "avg": sum(vals) / len(vals)})
            good = isinstance(f, dict) and set(f) == set(exp)
            if good:
                for k in exp:
                    if k == "top":
                        ft = f.get("top")
                        good = good and isinstance(ft, list) and len(ft) == len(exp["top"]) and all(
                            isinstance(a, dict) and set(a) == {"value", "count", "percent"}
                            and a["value"] == b["value"] and a["count"] == b["count"]
                            and isinstance(a["percent"], (int, float)) and abs(a["percent"] - b["percent"]) < 0.01
                            for a, b in zip(ft, exp["top"]))
                    elif k == "avg":
                        good = good and isinstance(f[k], (int, float)) and abs(f[k] - exp[k]) < 1e-6 * max(1, abs(exp[k]))
                    else:
                        good = good and f[k] == exp[k]
            tap.ok(good, "sidebar: field %s (%s) exact" % (fname, typ), "expected: " + short(exp, 1500),
                   "got:      " + short(f, 1500))
        for fname, typ in (("Elevated", "boolean"), ("Tags", "array")):
            f = byname.get(fname) or {}
            tap.eq((f.get("type"), f.get("count")), (typ, len(values(fname))),
                   "sidebar: field %s has type %s and its count" % (fname, typ))
        # execution cost DEBUG
        ec = j.get("executionCost")
        good = isinstance(ec, dict) and ec.get("level") == "DEBUG" and all(
            k in ec for k in ("totalMs", "commands", "indices", "resultPages", "resultBytes", "queueMs"))
        if good:
            c0 = (ec.get("commands") or [{}])[0]
            good = (isinstance(c0, dict) and c0.get("command") == "source" and c0.get("eventsOut") == 3600
                    and "bytesRead" in c0 and "peakMemoryBytes" in c0)
        tap.ok(good, "executionCost DEBUG: per-command bytesRead, peakMemoryBytes; indices, resultPages, "
               "resultBytes, queueMs", short(ec, 1500))
        # sidebar of makeresults
        tid, t = self.create_done("makeresults with calculateStats: DONE", "alice",
                                  "makeresults count=3 shownumbers=true", calculateStats=True)
        if tid:
            r = self.results(tid, "alice")
            sb = (r.json or {}).get("sidebar")
            now = t.get("rangeEnd")
            third = 100.0 / 3
            exp = {"totalEvents": 3, "fields": [
                {"name": "@timestamp", "type": "string", "count": 3, "distinct": 1,
                 "top": [{"value": now, "count": 3, "percent": 100.0}]},
                {"name": "number", "type": "number", "count": 3, "distinct": 3,
                 "top": [{"value": 1, "count": 1, "percent": third}, {"value": 2, "count": 1, "percent": third},
                         {"value": 3, "count": 1, "percent": third}],
                 "min": 1, "max": 3, "avg": 2.0}]}

            def approx(a, b):
                if isinstance(a, dict) and isinstance(b, dict):
                    return set(a) == set(b) and all(approx(a[k], b[k]) for k in a)
                if isinstance(a, list) and isinstance(b, list):
                    return len(a) == len(b) and all(approx(x, y) for x, y in zip(a, b))
                if isinstance(b, float) and isinstance(a, (int, float)) and not isinstance(a, bool):
                    return abs(a - b) < 0.01
                return a == b and type(a) is type(b)
            tap.ok(approx(sb, exp), "sidebar of makeresults count=3 shownumbers=true exact",
                   "expected: " + short(exp), "got:      " + short(sb))

    def sec_delete(self):
        tap = self.tap
        tid = self.t.get("q5")
        if tid:
            r = self.c.call("POST", "break/" + tid, user="alice")
            self.check_error(r, 409, "status_exception", "break of a DONE task: 409 status_exception")
        r = self.c.call("POST", "break", user="alice")
        if self.check_json(r, 200, "break without id, nothing unfinished: 200"):
            tap.eq(r.json, {"cancelled": []}, "break without id, nothing unfinished: {\"cancelled\": []}")
        did, t = self.create_done("delete: task DONE", "alice", "| makeresults count=2")
        if not did:
            return
        r = self.c.call("DELETE", "delete/" + did, user="alice")
        if self.check_json(r, 200, "delete/{id}: 200"):
            tap.eq(r.json, {"id": did, "deleted": True}, "delete/{id}: {\"id\": ..., \"deleted\": true}")
        for m, ep in (("GET", "status/"), ("GET", "response/"), ("GET", "logs/"), ("POST", "break/"),
                      ("DELETE", "delete/")):
            r = self.c.call(m, ep + did, user="alice")
            self.check_error(r, 404, "resource_not_found_exception", "after delete, %s %s{id}: 404" % (m, ep))
        r = self.c.call("GET", "status", user="alice")
        tap.ok(r.status == 200 and did not in [x.get("id") for x in (r.json or {}).get("tasks") or []],
               "after delete, the task is not listed", repr(r))

    def sec_body_limit(self):
        mb = self.a.max_body
        base = b'{"query": "| makeresults"'
        exact = base + b" " * (mb - len(base) - 1) + b"}"
        r = self.c.call("POST", "request", body=exact, user="alice")
        self.tap.ok(r.status == 201, "create with a body of exactly http.max_body_bytes (%d): 201" % mb, repr(r))
        if r.status == 201 and r.json:
            self.ids.append(r.json.get("id"))
            self.wait_final(r.json.get("id"), "alice")
        over = base + b" " * (mb - len(base)) + b"}"
        r = self.c.call("POST", "request", body=over, user="alice")
        self.check_error(r, 413, "request_entity_too_large", "create with a body of %d bytes: 413" % (mb + 1))
        big = base + b" " * (2 * 1024 * 1024) + b"}"
        r = self.c.call("POST", "request", body=big, user="alice")
        self.check_error(r, 413, "request_entity_too_large", "create with a body of 2 MiB: 413")

    def sec_strict(self):
        if not self.a.strict_prefix:
            return
        tap = self.tap
        r = self.c.call("GET", "status", mount=self.a.strict_prefix)
        self.check_error(r, 401, "security_exception", "require_user, no user: status list 401")
        r = self.c.call("POST", "request", body={"query": "| makeresults"}, mount=self.a.strict_prefix)
        self.check_error(r, 401, "security_exception", "require_user, no user: create 401")
        r = self.c.call("GET", "status/" + self.t.get("q5", UNKNOWN_ID), mount=self.a.strict_prefix)
        self.check_error(r, 401, "security_exception", "require_user, no user: status/{id} 401")
        r = self.c.call("GET", "health", mount=self.a.strict_prefix)
        tap.ok(r.status == 200 and (r.json or {}).get("status") == "ok",
               "require_user: health needs no user (200)", repr(r))
        if self.a.strict_auth_prefix:
            r = self.c.call("GET", "status", user="alice", mount=self.a.strict_auth_prefix)
            ids = [x.get("id") for x in (r.json or {}).get("tasks") or []]
            tap.ok(r.status == 200 and self.t.get("q5") in ids,
                   "require_user with a user: 200, the user's tasks", repr(r))

    def sec_queued(self):
        """With the runner stopped (SIGSTOP) tasks stay QUEUED."""
        tap = self.tap
        if not self.a.runner_pid:
            return
        tap.ok(self.wait_idle(), "queue idle before stopping the runner")
        os.kill(self.a.runner_pid, signal.SIGSTOP)
        try:
            self._queued_body()
        finally:
            os.kill(self.a.runner_pid, signal.SIGCONT)
        bq = self.t.get("bob_q")
        if bq:
            t = self.wait_final(bq, "bob")
            tap.ok(t is not None and t.get("status") == "DONE", "after the runner resumes, the queued task runs",
                   short(t))

    def _queued_body(self):
        tap = self.tap
        ds = []
        for i in range(3):
            r, tid = self.create("dave", "| makeresults count=%d" % (i + 1))
            tap.ok(r.status == 201 and (r.json or {}).get("status") == "QUEUED",
                   "runner stopped: dave's task %d created QUEUED" % (i + 1), repr(r))
            if tid:
                ds.append(tid)
        r = self.c.call("GET", "status", user="dave", query="status=QUEUED")
        got = [x.get("id") for x in (r.json or {}).get("tasks") or []]
        tap.eq(got, list(reversed(ds)), "status ?status=QUEUED: dave's 3 tasks, newest first")
        r, _ = self.create("dave", "| makeresults")
        self.check_error(r, 429, "too_many_requests",
                         "4th active task of dave (limits.max_active_tasks_per_user = 3): 429")
        if self.a.strict_auth_prefix:
            r, _ = self.create("erin", "| makeresults", mount=self.a.strict_auth_prefix)
            self.check_error(r, 429, "too_many_requests", "queue over limits.max_queued_tasks (2): 429")
        r, bq = self.create("bob", "| makeresults count=4")
        tap.ok(r.status == 201, "another user may still create: 201", repr(r))
        self.t["bob_q"] = bq
        r = self.health()
        q = (r.json or {}).get("queue") or {}
        tap.ok(r.status == 200 and q.get("queued") == 4 and q.get("running") == 0
               and (r.json or {}).get("runner", {}).get("alive") is True,
               "health: 4 queued, runner (stopped) alive", repr(r))
        if len(ds) != 3:
            return
        r = self.c.call("POST", "break/" + ds[0], user="dave")
        if self.check_json(r, 200, "break/{id} of a QUEUED task: 200"):
            tap.eq(r.json, {"id": ds[0], "status": "CANCELLED"}, "break/{id} of a QUEUED task: CANCELLED at once")
        t = self.status(ds[0], "dave").json or {}
        tap.ok(t.get("status") == "CANCELLED" and isinstance(t.get("error"), str) and t["error"]
               and isinstance(t.get("finishedAt"), str),
               "cancelled QUEUED task: status CANCELLED, short reason in error, finishedAt", short(t))
        r = self.results(ds[0], "dave")
        tap.ok(r.status == 200 and (r.json or {}).get("events") == [] and (r.json or {}).get("total") == 0
               and (r.json or {}).get("isPartial") is False,
               "response of a task cancelled while QUEUED: 0 events, not partial", repr(r))
        r = self.c.call("POST", "break/" + ds[0], user="dave")
        self.check_error(r, 409, "status_exception", "break of a CANCELLED task: 409 status_exception")
        r = self.c.call("POST", "break", user="dave")
        if self.check_json(r, 200, "break without id: 200"):
            j = r.json
            tap.ok(isinstance(j, dict) and set(j) == {"cancelled"} and isinstance(j["cancelled"], list)
                   and sorted(j["cancelled"]) == sorted(ds[1:]),
                   "break without id: {\"cancelled\": [the caller's 2 unfinished ids]}", short(j))
        r = self.c.call("POST", "break", user="dave")
        tap.ok(r.status == 200 and r.json == {"cancelled": []}, "break without id again: {\"cancelled\": []}",
               repr(r))
        t = (self.status(bq, "bob").json or {}) if bq else {}
        tap.eq(t.get("status"), "QUEUED", "bob's task untouched by dave's break")
        r, d4 = self.create("dave", "| makeresults")
        tap.ok(r.status == 201, "after cancelling, dave may create again", repr(r))
        r, b2 = self.create("bob", "| makeresults")
        if b2:
            r = self.c.call("DELETE", "delete/" + b2, user="bob")
            tap.ok(r.status == 200 and r.json == {"id": b2, "deleted": True}, "delete of a QUEUED task: 200",
                   repr(r))
            r = self.status(b2, "bob")
            tap.ok(r.status == 404, "deleted QUEUED task: 404", repr(r))
        if d4:
            self.c.call("POST", "break", user="dave")

    def sec_long(self):
        tap = self.tap
        tap.ok(self.wait_idle(), "queue idle before the long tasks")
        r, tid = self.create("alice", LONG_QUERY, calculateStats=True)
        if not tap.ok(r.status == 201 and tid, "long task: create", repr(r)):
            return
        progress = []
        seen = None
        deadline = time.time() + 20
        while time.time() < deadline:
            s = self.status(tid, "alice").json or {}
            if isinstance(s.get("progress"), (int, float)):
                progress.append(s["progress"])
            if s.get("status") == "RUNNING" and (s.get("resultCount") or 0) > 0:
                seen = s
                break
            if s.get("status") in FINAL:
                break
            time.sleep(0.005)
        if not tap.ok(seen is not None, "long task: RUNNING with resultCount > 0 (results flushed while running)",
                      short(s)):
            self.c.call("DELETE", "delete/" + tid, user="alice")
            return
        tap.ok(0 <= seen["progress"] < 1, "long task: progress in [0, 1) while RUNNING", seen["progress"])
        r = self.results(tid, "alice", "from=0&to=3")
        j = r.json or {}
        tap.ok(r.status == 200 and j.get("status") == "RUNNING" and j.get("isPartial") is True
               and isinstance(j.get("total"), int) and j["total"] >= seen["resultCount"]
               and j.get("from") == 0 and j.get("to") == 3
               and [e.get("number") for e in j.get("events") or []] == [1, 2, 3],
               "partial response: RUNNING, isPartial true, total so far, events 1..3", repr(r))
        tap.ok("sidebar" in j and j.get("sidebar") is None and "timeline" in j and j.get("timeline") is None,
               "partial response: sidebar and timeline null until final", short(sorted(j)))
        s = self.status(tid, "alice").json or {}
        if isinstance(s.get("progress"), (int, float)):
            progress.append(s["progress"])
        t0 = time.time()
        r = self.c.call("POST", "break/" + tid, user="alice")
        el = time.time() - t0
        tap.ok(r.status == 200 and r.json == {"id": tid, "status": "CANCELLED"} and el < 1.0,
               "break/{id} of a RUNNING task: 200 CANCELLED (stopped within runner.cancel_latency_ms)",
               repr(r), "answered in %.0f ms" % (el * 1000))
        if r.status == 202:
            t = self.wait_final(tid, "alice", 5)
            tap.note("task became %s %.0f ms after the break" % ((t or {}).get("status"),
                                                                  (time.time() - t0) * 1000))
        s1 = self.status(tid, "alice").json or {}
        time.sleep(0.3)
        s2 = self.status(tid, "alice").json or {}
        progress.append(s2.get("progress"))
        tap.ok(s1.get("status") == "CANCELLED" and s2.get("status") == "CANCELLED"
               and isinstance(s2.get("error"), str) and s2["error"]
               and isinstance(s2.get("resultCount"), int) and s2["resultCount"] > 0
               and s1.get("resultCount") == s2.get("resultCount"),
               "cancelled task: CANCELLED with a reason, results kept and no longer growing",
               short(s1), short(s2))
        tap.ok(all(isinstance(p, (int, float)) for p in progress)
               and all(a <= b for a, b in zip(progress, progress[1:])),
               "progress never goes backwards", short(progress))
        n = s2.get("resultCount") or 0
        r = self.results(tid, "alice", "from=0&to=3")
        j = r.json or {}
        tap.ok(r.status == 200 and j.get("status") == "CANCELLED" and j.get("isPartial") is False
               and j.get("total") == n and [e.get("number") for e in j.get("events") or []] == [1, 2, 3],
               "cancelled task: results readable, isPartial false, total = resultCount", repr(r))
        if n:
            r = self.results(tid, "alice", "from=%d" % (n - 1))
            evs = (r.json or {}).get("events") or []
            tap.ok(r.status == 200 and len(evs) == 1 and evs[0].get("number") == n,
                   "cancelled task: results are exactly 1..resultCount", repr(r))
        r = self.c.call("GET", "logs/" + tid, user="alice")
        msgs = [str(x.get("message")) for x in (r.json or {}).get("logs") or [] if isinstance(x, dict)]
        tap.ok(any("cancel" in m.lower() for m in msgs), "cancelled task: the log says it was cancelled", short(msgs))
        r = self.c.call("POST", "break/" + tid, user="alice")
        self.check_error(r, 409, "status_exception", "break of the cancelled task again: 409")
        # delete of a running task stops it
        r, tid = self.create("alice", LONG_QUERY)
        if not tap.ok(r.status == 201 and tid, "long task 2: create", repr(r)):
            return
        deadline = time.time() + 20
        s = {}
        while time.time() < deadline:
            s = self.status(tid, "alice").json or {}
            if s.get("status") == "RUNNING" and (s.get("resultCount") or 0) > 0 or s.get("status") in FINAL:
                break
            time.sleep(0.005)
        tap.eq(s.get("status"), "RUNNING", "long task 2: RUNNING")
        r = self.c.call("DELETE", "delete/" + tid, user="alice")
        tap.ok(r.status == 200 and r.json == {"id": tid, "deleted": True}, "delete of a RUNNING task: 200", repr(r))
        tap.ok(all(self.c.call(m, ep + tid, user="alice").status == 404
                   for m, ep in (("GET", "status/"), ("GET", "response/"), ("GET", "logs/"))),
               "deleted RUNNING task: 404 everywhere")
        tap.ok(self.wait_idle(3), "deleted RUNNING task: its executor stopped (health shows 0 running)",
               repr(self.health()))

    def sec_unique(self):
        ids = [i for i in self.ids if i]
        self.tap.ok(len(ids) == len(set(ids)) and all(ID_RE.match(i) for i in ids),
                    "all %d task ids are distinct and well-formed" % len(ids))

    def run(self):
        full = [self.setup_data, self.sec_health, self.sec_whoami, self.sec_create_basic, self.sec_semantics, self.sec_paging,
                self.sec_logs, self.sec_create_errors, self.sec_ownership, self.sec_paths,
                self.sec_status_list, self.sec_datemath, self.sec_stats, self.sec_delete, self.sec_body_limit,
                self.sec_strict, self.sec_queued, self.sec_long, self.sec_unique]
        smoke = [self.setup_data, self.sec_health, self.sec_whoami, self.sec_create_basic, self.sec_semantics, self.sec_paging,
                 self.sec_create_errors, self.sec_ownership, self.sec_delete, self.sec_body_limit,
                 self.sec_strict, self.sec_unique]
        for sec in (full if self.a.mode == "full" else smoke):
            t0 = time.time()
            try:
                sec()
            except Exception:  # noqa: BLE001 - a crash is one failed point
                self.tap.ok(False, "%s ran without an exception" % sec.__name__, traceback.format_exc())
            self.tap.note("%s: %.1f s" % (sec.__name__, time.time() - t0))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--base", required=True, help="http://127.0.0.1:PORT")
    ap.add_argument("--auth-prefix", default="/auth")
    ap.add_argument("--strict-prefix", default="")
    ap.add_argument("--strict-auth-prefix", default="")
    ap.add_argument("--runner-pid", type=int, default=0)
    ap.add_argument("--max-body", type=int, default=4096)
    ap.add_argument("--conf", required=True, help="asyncreq.conf of the main storage (for ingest)")
    ap.add_argument("--cli", required=True, help="the asyncreq program")
    ap.add_argument("--gen", required=True, help="scripts/gen-events")
    ap.add_argument("--data-dir", required=True)
    ap.add_argument("--mode", choices=["full", "smoke"], default="full")
    ap.add_argument("--tap-offset", type=int, default=0)
    ap.add_argument("--result-file", default="", help="receives 'LAST_NUMBER FAILURES [done]'")
    ap.add_argument("--plan", action="store_true", help="print the 1..N plan at the end")
    a = ap.parse_args()
    s = Suite(a)
    try:
        s.run()
    finally:
        s.tap.save(final=True)
        if a.plan:
            print("1..%d" % s.tap.n)
    sys.exit(1 if s.tap.fail else 0)


if __name__ == "__main__":
    main()
