#!/bin/bash
# taskstats.sh - calculateStats and calculateExecutionCost through nginx,
# cross-checked against the engine's own commands: each sidebar field's
# count, distinct and top list equal what `stats count BY field` and `top
# field` return for the same search; the timeline's counts sum to the events
# the search part matched (also under a transforming command); a year's
# range gives weekly buckets aligned to Monday with the default 200 buckets
# and monthly buckets aligned to the 1st when stats.timeline_max_buckets is
# below 53; the execution cost's figures are consistent (the commands' times
# add up to at most the total, events flow from one command to the next) and
# appear as lines of the task log; a field with 1,000,000 distinct values
# gets an estimate within 2 % while the executor stays under 64 MB.

. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/harness.sh"

ar_init
ar_require_programs

ar_conf main "runner.flush_ms = 20"
ar_conf monthly "stats.timeline_max_buckets = 40"

# A day of Sysmon-like events, and a year of Security-like events (in both
# stores, so that the two timeline settings see the same data).
ar_check "a day of events ingested" ar_gen_ingest main day --count 20000 \
    --seed 11 --start 2026-03-01T00:00:00Z --end 2026-03-02T00:00:00Z
ar_check "a year of events generated" sh -c "'$AR_PYTHON' '$AR_GEN' --count 6000 \
    --seed 12 --index-style security --start 2025-01-01T00:00:00Z \
    --end 2026-01-01T00:00:00Z > '$T/data/year.ndjson'"
ar_check "a year of events ingested (main)" ar_ingest main year "$T/data/year.ndjson"
ar_check "a year of events ingested (monthly)" ar_ingest monthly year "$T/data/year.ndjson"

ar_check "runner (main) starts" ar_start_runner main
ar_check "runner (monthly) starts" ar_start_runner monthly
ar_check "asyncreq-fcgi (main) listens" ar_start_fcgi main 2
ar_check "asyncreq-fcgi (monthly) listens" ar_start_fcgi monthly 1
ar_check "nginx starts" ar_nginx_start "|$T/main.sock|0" "/monthly|$T/monthly.sock|0"
ar_check "health answers 200 through nginx" \
    ar_wait_health "$AR_BASE/_sme/async_requests/health" 15
[ "$AR_TAP_FAIL" -eq 0 ] || ar_done

ar_py "$(cat <<'EOF'
import datetime, json, sys, time
from api_test import Client, say

base, year_file = sys.argv[1], sys.argv[2]
C = Client(base, "/auth", timeout=120)
DAY = {"dtStart": "2026-03-01T00:00:00Z", "dtEnd": "2026-03-02T00:00:00Z"}
YEAR = {"dtStart": "2025-01-01T00:00:00Z", "dtEnd": "2026-01-01T00:00:00Z"}


def run(query, prefix="", **body):
    """Creates a task, waits until it is final; returns (status doc, response doc)."""
    r = C.call("POST", "request", dict(body, query=query), mount=prefix)
    if r.status != 201:
        raise RuntimeError("create %r: %r" % (query, r))
    tid = r.json["id"]
    end = time.time() + 120
    while time.time() < end:
        s = C.call("GET", "status/" + tid, mount=prefix).json
        if s["status"] in ("DONE", "FAILED", "CANCELLED"):
            break
        time.sleep(0.05)
    r = C.call("GET", "response/" + tid, mount=prefix).json
    r["_logs"] = C.call("GET", "logs/" + tid, mount=prefix).json.get("logs", [])
    return s, r


def field(sb, name):
    for f in sb["fields"]:
        if f["name"] == name:
            return f
    return None


def iso(dt):
    return dt.strftime("%Y-%m-%dT%H:%M:%S.000Z")


# ---- 1. sidebar against stats count BY / top, timeline against the matches
SEARCH = "source day | search EventID=1"
s, r = run(SEARCH, calculateStats=True, **DAY)
say(s["status"] == "DONE", "search with calculateStats: DONE", s)
sb, tl = r.get("sidebar"), r.get("timeline")
total = r["total"]
say(total > 1000 and sb["totalEvents"] == total,
    "sidebar totalEvents equals the results (%d)" % total, sb.get("totalEvents"))
for name in ("Image", "User", "Hostname", "EventID"):
    f = field(sb, name)
    _, st = run(SEARCH + " | stats count BY " + name, **DAY)
    groups = [(e[name], e["count"]) for e in st["events"] if name in e]
    groups.sort(key=lambda g: (-g[1], g[0]))
    say(f is not None and f["count"] == sum(c for _, c in groups),
        "sidebar %s: count equals the sum of stats count BY %s" % (name, name),
        f and f["count"], sum(c for _, c in groups))
    say(f is not None and f["distinct"] == len(groups) and "distinctIsEstimate" not in f,
        "sidebar %s: distinct equals the number of groups (%d)" % (name, len(groups)),
        f and f["distinct"])
    _, tp = run(SEARCH + " | top " + name, **DAY)
    top = [(e[name], e["count"]) for e in tp["events"]]
    side = [(t["value"], t["count"]) for t in f["top"]] if f else None
    say(side == top, "sidebar %s: top equals `top %s`" % (name, name),
        "sidebar: %r" % side, "top:     %r" % top)
    say(side == groups[:10], "sidebar %s: top equals the 10 largest groups of stats count BY" % name,
        "sidebar: %r" % side, "stats:   %r" % groups[:10])
    pct = [round(t["percent"], 6) for t in f["top"]] if f else None
    tpct = [round(e["percent"], 6) for e in tp["events"]]
    say(pct == tpct, "sidebar %s: top percents equal `top %s`'s" % (name, name), pct, tpct)

say(tl["interval"] == "10m" and len(tl["fields"]) == 144,
    "day: 144 buckets of 10m", tl["interval"], len(tl["fields"]))
say(sum(b["count"] for b in tl["fields"]) == total,
    "timeline counts sum to the events the search matched (%d)" % total,
    sum(b["count"] for b in tl["fields"]))
_, tm = run(SEARCH + " | timechart span=10m count", **DAY)
tmc = {e["_time"] if "_time" in e else e.get("@timestamp"): e["count"] for e in tm["events"]}
say([b["count"] for b in tl["fields"]] == [tmc.get(b["@timestamp"], 0) for b in tl["fields"]],
    "timeline buckets equal timechart span=10m count", tm["events"][:3], tl["fields"][:3])

# Under a transforming command the timeline still counts the search's matches.
s, r2 = run(SEARCH + " | stats count BY Image", calculateStats=True, **DAY)
tl2 = r2.get("timeline") or {"fields": []}
say(sum(b["count"] for b in tl2["fields"]) == total,
    "stats count BY Image: timeline still sums to the %d matched events" % total,
    sum(b["count"] for b in tl2["fields"]))
say(r2["sidebar"]["totalEvents"] == r2["total"] and field(r2["sidebar"], "count")["count"] == r2["total"],
    "stats count BY Image: the sidebar describes the results (the groups)", r2["sidebar"]["totalEvents"])
say(field(r2["sidebar"], "count")["min"] >= 1 and
    abs(field(r2["sidebar"], "count")["avg"] * r2["total"] - total) < 1e-6 * total,
    "stats count BY Image: sidebar avg of count x groups = matched events")

# ---- 2. a year: weekly by default, monthly with fewer buckets
times = []
with open(year_file) as fh:
    for line in fh:
        e = json.loads(line)
        times.append(datetime.datetime.strptime(e["@timestamp"][:19], "%Y-%m-%dT%H:%M:%S"))
s, ry = run("source year", calculateStats=True, **YEAR)
tly = ry.get("timeline") or {}
monday = datetime.datetime(2024, 12, 30)
weeks = [monday + datetime.timedelta(days=7 * i) for i in range(53)]
wcount = [sum(1 for t in times if w <= t < w + datetime.timedelta(days=7)) for w in weeks]
exp = {"interval": "1w", "fields": [{"@timestamp": iso(w), "count": c} for w, c in zip(weeks, wcount)]}
say(tly == exp, "one year, 200 buckets: 53 weeks from Monday 2024-12-30 with exact counts",
    json.dumps(tly)[:600], json.dumps(exp)[:600])
s, rm = run("source year", prefix="/monthly", calculateStats=True, **YEAR)
tlm = rm.get("timeline") or {}
months = [datetime.datetime(2025, m, 1) for m in range(1, 13)]
mcount = [sum(1 for t in times if t.year == 2025 and t.month == m.month) for m in months]
exp = {"interval": "1M", "fields": [{"@timestamp": iso(m), "count": c} for m, c in zip(months, mcount)]}
say(tlm == exp, "one year, 40 buckets: 12 months from the 1st with exact counts",
    json.dumps(tlm)[:600], json.dumps(exp)[:600])
say(sum(mcount) == len(times) == ry["total"], "the year's buckets hold every event (%d)" % len(times))

# ---- 3. execution cost: consistent figures, and the same in the task log
Q = "source day | search EventID=3 | eval d = Network.DestinationPort + 0 | stats count BY d | sort -count | head 5"
s, rc = run(Q, calculateExecutionCost="INFO", **DAY)
ec = rc.get("executionCost") or {}
cmds = ec.get("commands") or []
say([c.get("command") for c in cmds] == ["source", "search", "eval", "stats", "sort", "head"],
    "cost INFO: one entry per command, in order", [c.get("command") for c in cmds])
say([c.get("text") for c in cmds] == [t.strip() for t in Q.split("|")],
    "cost INFO: each command's text", [c.get("text") for c in cmds])
say(all(isinstance(c.get("ms"), (int, float)) and c["ms"] >= 0 for c in cmds)
    and isinstance(ec.get("totalMs"), (int, float))
    and sum(c["ms"] for c in cmds) <= ec["totalMs"] + 0.01,
    "cost INFO: command times are numbers that add up to at most totalMs",
    [c.get("ms") for c in cmds], ec.get("totalMs"))
flow = all(cmds[i]["eventsIn"] == cmds[i - 1]["eventsOut"] for i in range(1, len(cmds)))
say(cmds and cmds[0]["eventsIn"] == 0 and cmds[0]["eventsOut"] == 20000 and flow
    and cmds[-1]["eventsOut"] == rc["total"] == 5,
    "cost INFO: events flow from each command to the next (20000 read, 5 results)",
    [(c.get("eventsIn"), c.get("eventsOut")) for c in cmds])
say(set(ec) == {"level", "totalMs", "commands"} and ec["level"] == "INFO"
    and all(set(c) == {"command", "text", "ms", "eventsIn", "eventsOut"} for c in cmds),
    "cost INFO: exactly the INFO keys", sorted(ec))
msgs = [l["message"] for l in rc["_logs"]]
for c in cmds:
    line = "cost: %s: %.3f ms, %d events in, %d out" % (c["command"], c["ms"], c["eventsIn"], c["eventsOut"])
    say(line in msgs, "task log has: " + line.split(":")[0] + ": " + c["command"], msgs)
say("cost: total %.3f ms" % ec["totalMs"] in msgs, "task log has the total", msgs)

s, rd = run("source day,year qsize=300 | search EventID=1", calculateExecutionCost="DEBUG", **DAY)
ec = rd.get("executionCost") or {}
say(set(ec) == {"level", "totalMs", "commands", "indices", "resultPages", "resultBytes",
                "queueMs", "peakMemoryBytes"} and ec["level"] == "DEBUG",
    "cost DEBUG: the DEBUG keys", sorted(ec))
say(ec.get("indices") == [{"pattern": "day", "index": "day", "eventsScanned": 300},
                          {"pattern": "year", "index": "year", "eventsScanned": 0}],
    "cost DEBUG: indices per pattern with the events scanned each", ec.get("indices"))
say(all(set(c) == {"command", "text", "ms", "eventsIn", "eventsOut", "bytesRead", "peakMemoryBytes"}
        for c in ec.get("commands", [])) and ec["commands"][0]["bytesRead"] > 300 * 100,
    "cost DEBUG: bytesRead and peakMemoryBytes per command", ec.get("commands"))
say(ec.get("resultPages", 0) >= 1 and ec.get("resultBytes", 0) >= sum(len(json.dumps(e)) for e in rd["events"]) * 0.9
    and isinstance(ec.get("queueMs"), int) and ec["queueMs"] >= 0,
    "cost DEBUG: result pages, bytes and queue time", ec)
msgs = [l["message"] for l in rd["_logs"]]
want = ["cost: index day (pattern day): 300 events scanned",
        "cost: index year (pattern year): 0 events scanned",
        "cost: results %d pages, %d bytes; queued %d ms" % (ec.get("resultPages", -1),
                                                            ec.get("resultBytes", -1), ec.get("queueMs", -1))]
for c in ec.get("commands", []):
    want.append("cost: %s: %.3f ms, %d events in, %d out, %d bytes read, peak memory %d bytes"
                % (c["command"], c["ms"], c["eventsIn"], c["eventsOut"], c["bytesRead"], c["peakMemoryBytes"]))
for w in want:
    say(w in msgs, "task log (DEBUG) has: " + w[:60], msgs)
# ---- 4. a field with 1,000,000 distinct values: bounded, estimated
s, rb = run("| makeresults count=1000000 shownumbers=true", calculateStats=True,
            calculateExecutionCost="DEBUG", **DAY)
f = field(rb.get("sidebar") or {"fields": []}, "number") or {}
say(s["status"] == "DONE" and rb["total"] == 1000000, "1,000,000 results with calculateStats: DONE", s)
say(f.get("distinctIsEstimate") is True and abs(f.get("distinct", 0) - 1000000) <= 20000,
    "1,000,000 distinct values: an estimate within 2%% (%s)" % f.get("distinct"), f)
say(f.get("count") == 1000000 and f.get("min") == 1 and f.get("max") == 1000000,
    "1,000,000 distinct values: exact count, min and max", f)
peak = (rb.get("executionCost") or {}).get("peakMemoryBytes", 1 << 40)
say(peak < 64 << 20, "1,000,000 distinct values: the executor's peak memory %.1f MB < 64 MB" % (peak / 1e6),
    rb.get("executionCost"))
print("END")
EOF
)" "$AR_BASE" "$T/data/year.ndjson"

ar_done
