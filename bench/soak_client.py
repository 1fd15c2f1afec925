#!/usr/bin/env python3
"""soak_client.py - the clients, the kills, the memory watch and the report of bench/soak.

bench/soak starts the stack (nginx on a loopback port, asyncreq-fcgi, a
loop that restarts asyncreq-runner) and runs this program against it. It
only ever connects to 127.0.0.1. Python 3 standard library only.

Phases:
  1. load: CLIENTS threads, each one user's browser tab, run task life
     cycles for SECONDS (create, poll status, page results, sometimes logs,
     the task list, a download, a break; most tasks are deleted at the end);
     a chaos thread kill -9s an executor, a FastCGI worker or the runner at
     random moments; a monitor thread samples RssAnon of every long-lived
     process once a second.
  2. settle: every task whose create answered 201 and that was not deleted
     is polled until it is final (at most SETTLE seconds). A task that
     answers 404 without having been deleted, or is still not final then,
     is lost.
  3. report: tasks, 5xx (explained or not), latency per endpoint, memory,
     and the goals with PASS/FAIL. Exit status: 0, or 3 when a goal failed
     and --strict was given.
"""
import argparse
import http.client
import json
import os
import random
import signal
import sys
import threading
import time

API = "/_sme/async_requests"
FINAL = ("DONE", "FAILED", "CANCELLED")


def now():
    return time.monotonic()


# ------------------------------------------------------------------ records

class Record:
    """Everything the threads observe, behind one lock."""

    def __init__(self):
        self.lock = threading.Lock()
        self.lat = {}		# endpoint -> [ms]
        self.codes = {}		# (endpoint, status) -> count
        self.fivexx = []	# (t, endpoint, status, reason)
        self.conn_err = []	# (t, endpoint, error)
        self.tasks = {}		# id -> {"user", "kind", "final", "deleted"}
        self.kills = []		# (t, what, pid)
        self.mem = {}		# pid -> {"role", "first_t", "samples": [(t, kB)]}

    def request(self, ep, status, ms, t, reason):
        with self.lock:
            self.lat.setdefault(ep, []).append(ms)
            self.codes[(ep, status)] = self.codes.get((ep, status), 0) + 1
            if status >= 500:
                self.fivexx.append((t, ep, status, reason))

    def error(self, ep, t, err):
        with self.lock:
            self.conn_err.append((t, ep, err))


REC = Record()
T0 = now()


class Client:
    """One keep-alive HTTP connection to nginx, as one user."""

    def __init__(self, port, user):
        self.port, self.user, self.conn = port, user, None

    def call(self, ep, method, path, body=None, read=True):
        """Sends one request; returns (status, parsed JSON or raw bytes or
        None). status 0: the connection failed (recorded)."""
        h = {"X-Soak-User": self.user, "X-Requested-With": "asyncreq",
             "Content-Type": "application/json"}
        data = json.dumps(body).encode() if body is not None else None
        t = now()
        try:
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
            self.conn.request(method, API + path, body=data, headers=h)
            r = self.conn.getresponse()
            raw = r.read()
            ms = (now() - t) * 1000.0
        except (OSError, http.client.HTTPException) as e:
            REC.error(ep, t - T0, "%s: %s" % (type(e).__name__, e))
            if self.conn is not None:
                self.conn.close()
            self.conn = None
            return 0, None
        reason = ""
        parsed = raw
        ctype = r.getheader("Content-Type", "")
        if ctype.startswith("application/json") and ep != "download":
            try:
                parsed = json.loads(raw)
            except ValueError:
                parsed = None
        if r.status >= 500:
            reason = raw[:300].decode("utf-8", "replace")
        REC.request(ep, r.status, ms, t - T0, reason)
        if r.getheader("Connection", "").lower() == "close":
            self.conn.close()
            self.conn = None
        return r.status, parsed


# ------------------------------------------------------------------ the mix

QUERIES = [
    # (weight, kind, body)
    (30, "fast", {"query": "source soak qsize=200", "dtStart": "now-2d"}),
    (20, "fast", {"query": "source soak | stats count BY EventID", "dtStart": "now-2d"}),
    (15, "fast", {"query": "source soak | search powershell | head 50", "dtStart": "now-2d"}),
    (15, "fast", {"query": "| makeresults count=1000 shownumbers=true | eval x = number * 2"}),
    # 5,000 events: a full read of the generated set; of the real one (40,569
    # events of about 2 KB), reading all of it in 10 % of the tasks would fill
    # the 1 GiB task store in under a minute, and the run would measure that.
    (10, "medium", {"query": "source soak qsize=5000", "dtStart": "now-2d"}),
    (10, "slow", {"query": "| makeresults count=8000000 | stats count"}),
]
WEIGHTS = [q[0] for q in QUERIES]


def client_loop(idx, args, stop_at):
    rnd = random.Random(args.seed * 100003 + idx)
    user = "user%03d" % (idx % args.users)
    c = Client(args.port, user)
    time.sleep(rnd.uniform(0, 2.0))	# do not all start in the same ms
    while now() < stop_at:
        _, kind, body = rnd.choices(QUERIES, WEIGHTS)[0]
        st, d = c.call("create", "POST", "/request", body)
        if st != 201 or not isinstance(d, dict) or "id" not in d:
            time.sleep(rnd.uniform(0.2, 1.0))
            continue
        tid = d["id"]
        with REC.lock:
            REC.tasks[tid] = {"user": user, "kind": kind, "final": None, "deleted": False}
        want_break = kind == "slow" and rnd.random() < 0.6 or rnd.random() < 0.03
        final = None
        polls = 0
        deadline = now() + 60
        while now() < deadline and now() < stop_at + 5:
            time.sleep(rnd.uniform(0.1, 0.5))
            st, d = c.call("status", "GET", "/status/" + tid)
            polls += 1
            if st == 200 and isinstance(d, dict):
                if d.get("status") in FINAL:
                    final = d["status"]
                    break
                if want_break and polls >= 1:
                    c.call("break", "POST", "/break/" + tid)
                    want_break = False
            elif st == 404:
                break
        if final:
            with REC.lock:
                REC.tasks[tid]["final"] = final
        # Results: the first page, sometimes the second.
        st, d = c.call("response", "GET", "/response/%s?from=0&to=100" % tid)
        if st == 200 and isinstance(d, dict) and d.get("total", 0) > 100 and rnd.random() < 0.5:
            c.call("response", "GET", "/response/%s?from=100&to=200" % tid)
        if rnd.random() < 0.15:
            c.call("logs", "GET", "/logs/" + tid)
        if rnd.random() < 0.05:
            c.call("list", "GET", "/status")
        if final and rnd.random() < 0.25:
            ftype = rnd.choice(["json", "csv"])
            c.call("download", "POST", "/file_download/" + tid,
                   {"file_name": "soak", "file_type": ftype,
                    "compress_results": rnd.random() < 0.5,
                    "download_results_size": 500})
        if rnd.random() < 0.8:
            st, _ = c.call("delete", "DELETE", "/delete/" + tid)
            with REC.lock:
                REC.tasks[tid]["deleted"] = True if st == 200 else "maybe"
        time.sleep(rnd.uniform(0.0, 0.5))


# ------------------------------------------------------------------ processes

def children(pid):
    try:
        with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        return []


def comm(pid):
    try:
        with open("/proc/%d/comm" % pid) as f:
            return f.read().strip()
    except OSError:
        return ""


def rss_anon(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("RssAnon:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def runner_pid(args):
    for p in children(args.runner_loop):
        if comm(p).startswith("asyncreq-runne"):
            return p
    return None


def long_lived(args):
    """{pid: role} of nginx (master, workers), asyncreq-fcgi (master,
    workers) and the runner (not its executors)."""
    out = {args.nginx: "nginx master", args.fcgi: "fcgi master"}
    for p in children(args.nginx):
        out[p] = "nginx worker"
    for p in children(args.fcgi):
        out[p] = "fcgi worker"
    r = runner_pid(args)
    if r:
        out[r] = "runner"
    return out


def monitor_loop(args, stop):
    while not stop.is_set():
        t = now() - T0
        for pid, role in long_lived(args).items():
            kb = rss_anon(pid)
            if kb is None:
                continue
            with REC.lock:
                m = REC.mem.setdefault(pid, {"role": role, "first_t": t, "samples": []})
                m["samples"].append((t, kb))
        stop.wait(1.0)


def chaos_loop(args, stop_at, stop):
    rnd = random.Random(args.seed + 7)
    order = []
    while not stop.is_set() and now() < stop_at:
        if stop.wait(rnd.uniform(args.kill_min, args.kill_max)) or now() >= stop_at:
            break
        if not order:
            order = ["executor", "worker", "runner"]
            rnd.shuffle(order)
        what = order.pop()
        pid = None
        if what == "executor":
            r = runner_pid(args)
            kids = children(r) if r else []
            pid = rnd.choice(kids) if kids else None
        elif what == "worker":
            kids = children(args.fcgi)
            pid = rnd.choice(kids) if kids else None
        else:
            pid = runner_pid(args)
        if pid is None:
            order.insert(0, what)	# try it again later
            continue
        try:
            os.kill(pid, signal.SIGKILL)
            with REC.lock:
                REC.kills.append((now() - T0, what, pid))
        except OSError:
            pass


# ------------------------------------------------------------------ settle

def settle(args):
    """Polls the tasks not deleted until final; returns (lost list, maybe
    deleted count)."""
    c = {}
    with REC.lock:
        pending = {tid: dict(v) for tid, v in REC.tasks.items() if v["deleted"] is not True}
    deadline = now() + args.settle
    lost, maybe_deleted = [], 0
    while pending:
        for tid in list(pending):
            v = pending[tid]
            cl = c.setdefault(v["user"], Client(args.port, v["user"]))
            st, d = cl.call("settle", "GET", "/status/" + tid)
            if st == 404:
                if v["deleted"] == "maybe":
                    maybe_deleted += 1
                else:
                    lost.append((tid, "404 without a delete"))
                del pending[tid]
            elif st == 200 and isinstance(d, dict) and d.get("status") in FINAL:
                with REC.lock:
                    REC.tasks[tid]["final"] = d["status"]
                    REC.tasks[tid]["error"] = d.get("error")
                del pending[tid]
        if not pending or now() > deadline:
            break
        time.sleep(0.5)
    for tid, v in pending.items():
        lost.append((tid, "not final %d s after the end" % args.settle))
    return lost, maybe_deleted


# ------------------------------------------------------------------ report

def pct(values, p):
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100.0 * (len(s) - 1))))]


def verdict(ok):
    return "PASS" if ok else "FAIL"


def classify_5xx(args):
    """Splits the 5xx into (documented 503s of a runner restart, requests
    in flight on a killed worker, unexplained)."""
    runner_kills = [t for t, w, _ in REC.kills if w == "runner"]
    worker_kills = [t for t, w, _ in REC.kills if w == "worker"]
    used = set()
    doc, inflight, other = [], [], []
    for e in REC.fivexx:
        t, ep, st, reason = e
        if st == 503 and "runner is not running" in reason and \
                any(0 <= t - k <= args.restart_delay + 10 for k in runner_kills):
            doc.append(e)
            continue
        if st == 502:
            k = next((i for i, k in enumerate(worker_kills)
                      if i not in used and -0.5 <= t - k <= 5 ), None)
            if k is not None:
                used.add(k)
                inflight.append(e)
                continue
        other.append(e)
    return doc, inflight, other


def report(args, lost, maybe_deleted, duration):
    out = print
    tasks = REC.tasks
    created = len(tasks)
    finals = {}
    for v in tasks.values():
        if v["final"]:
            finals[v["final"]] = finals.get(v["final"], 0) + 1
    finished = sum(finals.values())
    deleted = sum(1 for v in tasks.values() if v["deleted"] is True)
    unfinished_deleted = sum(1 for v in tasks.values() if v["deleted"] and not v["final"])
    out("")
    out("== soak: %d clients, %d users, %.0f s of load, %d cores; kills: %s"
        % (args.clients, args.users, duration, os.cpu_count() or 0,
           ", ".join("%s %d" % (w, sum(1 for _, x, _ in REC.kills if x == w))
                     for w in ("executor", "worker", "runner"))))
    out("tasks: created %d (201), finished %d (%s), deleted before they finished %d, lost %d"
        % (created, finished, ", ".join("%s %d" % kv for kv in sorted(finals.items())),
           unfinished_deleted, len(lost)))
    out("  deleted %d (200), deletes whose answer was lost and the task is gone: %d"
        % (deleted, maybe_deleted))
    reasons = {}
    for v in tasks.values():
        if v["final"] == "FAILED" and v.get("error"):
            r = v["error"][:70]
            reasons[r] = reasons.get(r, 0) + 1
    for r, n in sorted(reasons.items(), key=lambda kv: -kv[1])[:4]:
        out("  FAILED (settle) %5d  %s" % (n, r))
    for tid, why in lost[:10]:
        out("  lost %s: %s" % (tid, why))
    total_req = sum(REC.codes.values())
    by_code = {}
    for (ep, st), n in REC.codes.items():
        by_code[st] = by_code.get(st, 0) + n
    out("requests: %d (%.0f/s); by status: %s; connection errors: %d"
        % (total_req, total_req / max(duration, 1e-9),
           " ".join("%d:%d" % kv for kv in sorted(by_code.items())), len(REC.conn_err)))
    doc, inflight, other = classify_5xx(args)
    out("5xx: %d = %d documented 503 (runner restarting) + %d 502 (the request a killed worker was serving) + %d unexplained"
        % (len(REC.fivexx), len(doc), len(inflight), len(other)))
    for t, ep, st, reason in other[:10]:
        out("  unexplained %d %s at %.1f s: %s" % (st, ep, t, reason.replace("\n", " ")[:160]))
    for t, ep, e in REC.conn_err[:5]:
        out("  connection error %s at %.1f s: %s" % (ep, t, e))
    out("")
    out("%-10s %8s %9s %9s %9s" % ("endpoint", "requests", "p50 ms", "p99 ms", "max ms"))
    for ep in ("create", "status", "response", "logs", "list", "download", "break", "delete", "settle"):
        v = REC.lat.get(ep, [])
        if v:
            out("%-10s %8d %9.1f %9.1f %9.1f" % (ep, len(v), pct(v, 50), pct(v, 99), max(v)))
    out("")
    out("anonymous memory (RssAnon kB): first sample, after %d s of its life, last sample" % args.warm)
    flat = True
    rows = []
    for pid, m in sorted(REC.mem.items(), key=lambda kv: (kv[1]["role"], kv[1]["first_t"])):
        s = m["samples"]
        life = s[-1][0] - s[0][0]
        warm = next((kb for t, kb in s if t - s[0][0] >= args.warm), None)
        growth = ""
        if warm is not None and life >= 2 * args.warm:
            g = s[-1][1] - warm
            ok = g <= max(1024, warm * 0.10)
            flat = flat and ok
            growth = "%+d kB %s" % (g, "flat" if ok else "GROWS")
        else:
            growth = "(lived %.0f s: not judged)" % life
        rows.append((m["role"], pid, s[0][1], warm, s[-1][1], s[0][0], s[-1][0], growth))
    for role, pid, first, warm, last, t1, t2, growth in rows:
        out("  %-13s pid %-7d %7d %7s %7d   (%.0f-%.0f s) %s"
            % (role, pid, first, "-" if warm is None else warm, last, t1, t2, growth))
    cp99 = pct(REC.lat.get("create", []), 99)
    out("")
    goals = [
        ("0 tasks lost", "%d lost" % len(lost), not lost),
        ("0 unexplained 5xx", "%d unexplained, %d documented 503, %d killed-worker 502"
         % (len(other), len(doc), len(inflight)), not other),
        ("0 connection errors", "%d" % len(REC.conn_err), not REC.conn_err),
        ("anonymous memory flat", "every process judged: growth <= max(1 MiB, 10 %)" if flat
         else "a process grew (see GROWS above)", flat),
        ("create p99 < 100 ms", "%.1f ms at %d clients" % (cp99, args.clients), cp99 < 100.0),
    ]
    allok = True
    for name, fig, ok in goals:
        allok = allok and ok
        out("goal %-24s %-5s %s" % (name + ":", verdict(ok), fig))
    return allok


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--clients", type=int, default=200)
    ap.add_argument("--users", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=120)
    ap.add_argument("--settle", type=float, default=60)
    ap.add_argument("--kill-min", type=float, default=3)
    ap.add_argument("--kill-max", type=float, default=10)
    ap.add_argument("--restart-delay", type=float, default=2)
    ap.add_argument("--warm", type=float, default=10)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--nginx", type=int, required=True)
    ap.add_argument("--fcgi", type=int, required=True)
    ap.add_argument("--runner-loop", type=int, required=True)
    ap.add_argument("--no-kill", action="store_true")
    ap.add_argument("--strict", action="store_true")
    args = ap.parse_args()
    threading.stack_size(256 * 1024)

    stop = threading.Event()
    mon = threading.Thread(target=monitor_loop, args=(args, stop), daemon=True)
    mon.start()
    time.sleep(1.5)		# a first memory sample before any load
    start = now()
    stop_at = start + args.seconds
    threads = [threading.Thread(target=client_loop, args=(i, args, stop_at), daemon=True)
               for i in range(args.clients)]
    for th in threads:
        th.start()
    chaos = None
    if not args.no_kill:
        chaos = threading.Thread(target=chaos_loop, args=(args, stop_at, stop), daemon=True)
        chaos.start()
    print("soak: %d clients for %.0f s (kill -9 every %.0f-%.0f s: %s)"
          % (args.clients, args.seconds, args.kill_min, args.kill_max,
             "off" if args.no_kill else "on"), flush=True)
    last = start
    while any(th.is_alive() for th in threads):
        time.sleep(0.5)
        if now() - last >= 10:
            last = now()
            with REC.lock:
                n, k = len(REC.tasks), len(REC.kills)
                r = sum(REC.codes.values())
            print("soak: %3.0f s: %d requests, %d tasks, %d kills"
                  % (now() - start, r, n, k), flush=True)
        if now() > stop_at + 130:
            print("soak: clients still busy 130 s after the end; reporting anyway", flush=True)
            break
    duration = now() - start
    if chaos is not None:
        chaos.join(timeout=5)
    time.sleep(1.5)		# a last memory sample of the loaded processes
    stop.set()
    mon.join(timeout=5)
    print("soak: load over after %.0f s; settling (at most %.0f s)" % (duration, args.settle), flush=True)
    lost, maybe_deleted = settle(args)
    ok = report(args, lost, maybe_deleted, duration)
    sys.exit(0 if ok or not args.strict else 3)


if __name__ == "__main__":
    main()
