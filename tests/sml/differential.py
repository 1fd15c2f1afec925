#!/usr/bin/env python3
"""differential.py - the SML engine against independent oracles.

Generates events with scripts/gen-events (100,000 Sysmon-style events and
20,000 Security-style events over one day, with ties), ingests them with
`asyncreq ingest`, loads the same NDJSON into SQLite (the Debian sqlite3
program and its JSON functions) and runs each query of QUERIES through
`asyncreq query` and through its oracle: an SQL query (sqlite3 -json) or a
jq program. Two lookup tables it writes (hostinfo, eventinfo) are stored
with `asyncreq lookups put` and imported into SQLite for the lookup,
inputlookup and subsearch queries. The answers must be equal: the same rows in the same order with
the same keys in the same order; integers and strings exactly (an integer in
the oracle must be an integer in the engine's output), floats to 1e-9
relative. Prints TAP.

Usage: differential.py WORKDIR   (called by tests/sml/differential.sh)
Environment: ASYNCREQ (the program), DIFF_COUNT (events, default 100000),
DIFF_ONLY (run only queries whose name contains this text).
"""

import csv
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP_SRC = os.environ.get("top_srcdir") or os.path.dirname(os.path.dirname(HERE))
TOP_BUILD = os.environ.get("top_builddir") or TOP_SRC
PROG = os.environ.get("ASYNCREQ") or os.path.join(TOP_BUILD, "asyncreq")
GEN = os.path.join(TOP_SRC, "scripts", "gen-events")
COUNT = int(os.environ.get("DIFF_COUNT", "100000"))
START, END = "2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z"


def x(path, t="s"):
    """SQL for the value at a dotted JSON path of table t's event."""
    parts = ".".join('"%s"' % p for p in path.split("."))
    return "json_extract(%s.j, '$.%s')" % (t, parts)


# Source order: newest first, ties in ingest order.
ORDER = "s.t DESC, s.seq"
HOST, EID, IMG, USER = x("Hostname"), x("EventID"), x("Image"), x("User")


def sql_bucket(minutes):
    """SQL for the ISO start of the bucket of s.t, for spans below a day."""
    if minutes % 60 == 0:
        h = minutes // 60
        return ("substr(s.t, 1, 11) || printf('%%02d', (CAST(substr(s.t, 12, 2) AS INT) / %d) * %d)"
                " || ':00:00.000Z'" % (h, h))
    return ("substr(s.t, 1, 14) || printf('%%02d', (CAST(substr(s.t, 15, 2) AS INT) / %d) * %d)"
            " || ':00.000Z'" % (minutes, minutes))


def sql_top(field, n, by=None, rare=False, table="s"):
    f = x(field)
    order = "cnt ASC" if rare else "cnt DESC"
    if by is None:
        return ("SELECT v AS \"{field}\", cnt AS count, 100.0 * cnt / tot AS percent FROM "
                "(SELECT {f} AS v, count(*) AS cnt FROM {t} s WHERE {f} IS NOT NULL GROUP BY v), "
                "(SELECT count(*) AS tot FROM {t} s WHERE {f} IS NOT NULL) "
                "ORDER BY {order}, v LIMIT {n}").format(field=field, f=f, t=table, order=order, n=n)
    b = x(by)
    return ("SELECT g AS \"{by}\", v AS \"{field}\", cnt AS count, percent FROM ("
            "SELECT g, v, cnt, 100.0 * cnt / sum(cnt) OVER (PARTITION BY g) AS percent, "
            "row_number() OVER (PARTITION BY g ORDER BY {order}, v) AS rn FROM "
            "(SELECT {b} AS g, {f} AS v, count(*) AS cnt FROM {t} s "
            "WHERE {f} IS NOT NULL AND {b} IS NOT NULL GROUP BY g, v)) "
            "WHERE rn <= {n} ORDER BY g, rn").format(by=by, field=field, b=b, f=f, t=table,
                                                    order=order, n=n)


def sample_stdev(vals):
    n = len(vals)
    m = sum(vals) / n
    return (sum((v - m) ** 2 for v in vals) / (n - 1)) ** 0.5


# (name, SML, oracle): oracle is ("sql", SQL), ("jq", program, slurp) over
# the Sysmon NDJSON (slurp: the events as one array; raw: lines as text),
# or ("py", function of the list of Sysmon events).
def iso_ms(t):
    """Milliseconds of an ISO-8601 UTC time as gen-events writes it."""
    import datetime
    d = datetime.datetime.fromisoformat(t.replace("Z", "+00:00"))
    return int(d.timestamp() * 1000 + 0.5)


def transactions(evs, key, maxpause_ms, maxevents=1000):
    """The transactions of `transaction KEY maxpause=...` (docs/sml.md):
    events newest first (ties in file order), each joining the open
    transaction of its value unless the gap to its oldest event passes
    maxpause or it holds maxevents. Returns (newest, oldest, count)."""
    t = [iso_ms(e["@timestamp"]) for e in evs]
    opened, done = {}, []
    for i in sorted(range(len(evs)), key=lambda i: (-t[i], i)):
        k = evs[i].get(key)
        if k is None:
            continue
        cur = opened.get(json.dumps(k))
        if cur and (cur[1] - t[i] > maxpause_ms or cur[2] >= maxevents):
            done.append(cur)
            cur = None
        if cur is None:
            cur = [t[i], t[i], 0]
            opened[json.dumps(k)] = cur
        cur[1] = t[i]
        cur[2] += 1
    return done + list(opened.values())


def txn_summary(evs):
    tx = transactions(evs, "Hostname", 60000)
    d = max(a - b for a, b, _ in tx)
    return [{"n": len(tx), "ev": sum(c for _, _, c in tx),
             "d": d // 1000 if d % 1000 == 0 else d / 1000,
             "long": sum(1 for a, b, _ in tx if a - b > 600000)}]


QUERIES = [
    ("count", "source sysmon | stats count",
     ("sql", "SELECT count(*) AS count FROM s")),
    ("count-by-eventid", "source sysmon | stats count BY EventID",
     ("sql", "SELECT %s AS EventID, count(*) AS count FROM s GROUP BY 1 ORDER BY 1" % EID)),
    ("count-dc-avg-by", "source sysmon | stats count, dc(Hostname), avg(Severity) BY EventID",
     ("sql", "SELECT %s AS EventID, count(*) AS count, count(DISTINCT %s) AS \"dc(Hostname)\", "
             "avg(%s) AS \"avg(Severity)\" FROM s GROUP BY 1 ORDER BY 1" % (EID, HOST, x("Severity")))),
    ("dc-min-max-sum-by-host",
     "source sysmon | stats dc(User) AS users, min(ProcessId) AS lo, max(ProcessId) AS hi, sum(ProcessId) AS s BY Hostname",
     ("sql", "SELECT %s AS Hostname, count(DISTINCT %s) AS users, min(%s) AS lo, max(%s) AS hi, "
             "sum(%s) AS s FROM s GROUP BY 1 ORDER BY 1" % (HOST, USER, x("ProcessId"), x("ProcessId"), x("ProcessId")))),
    ("search-eventid-count-by-image", "source sysmon | search EventID=1 | stats count BY Image",
     ("sql", "SELECT %s AS Image, count(*) AS count FROM s WHERE %s = 1 GROUP BY 1 ORDER BY 1" % (IMG, EID))),
    ("inline-search-eventid", "source sysmon EventID=22 | stats count",
     ("sql", "SELECT count(*) AS count FROM s WHERE %s = 22" % EID)),
    ("bare-term", "source sysmon | search powershell | stats count",
     ("jq-raw", 'reduce (inputs | select(test("powershell"; "i"))) as $l (0; . + 1) | {count: .}')),
    ("bare-term-phrase", 'source sysmon | search "encodedcommand SQBFAFgA" | stats count',
     ("sql", "SELECT count(*) AS count FROM s WHERE instr(lower(s.j), 'encodedcommand sqbfafga') > 0")),
    ("search-two-fields-by", "source sysmon | search EventID=3 Network.DestinationPort=443 | stats count BY Hostname",
     ("sql", "SELECT %s AS Hostname, count(*) AS count FROM s WHERE %s = 3 AND %s = 443 GROUP BY 1 ORDER BY 1"
             % (HOST, EID, x("Network.DestinationPort")))),
    ("search-in-not-wildcard", "source sysmon | search EventID IN (1, 3, 22) NOT Hostname=ws-* | stats count BY EventID",
     ("sql", "SELECT %s AS EventID, count(*) AS count FROM s WHERE %s IN (1, 3, 22) AND NOT (%s LIKE 'ws-%%') "
             "GROUP BY 1 ORDER BY 1" % (EID, EID, HOST))),
    ("search-comparison-or", "source sysmon | search Severity>=75 OR ProcessId<100 | stats count",
     ("sql", "SELECT count(*) AS count FROM s WHERE %s >= 75 OR %s < 100" % (x("Severity"), x("ProcessId")))),
    ("search-nonascii-value", 'source sysmon | search Hostname="LAPTOP-ÆØÅ" | stats count',
     ("sql", "SELECT count(*) AS count FROM s WHERE %s = 'LAPTOP-ÆØÅ'" % HOST)),
    ("search-backslash-value", 'source sysmon | search User="CORP\\\\alice" | stats count',
     ("sql", "SELECT count(*) AS count FROM s WHERE %s = 'CORP\\alice'" % USER)),
    ("search-multivalue", "source sysmon | search Tags=t1059 | stats count",
     ("sql", "SELECT count(*) AS count FROM s WHERE EXISTS (SELECT 1 FROM json_each(s.j, '$.Tags') "
             "WHERE value = 't1059')")),
    ("search-null-not-exists", "source sysmon | search ParentUser=* | stats count",
     ("sql", "SELECT count(*) AS count FROM s WHERE %s IS NOT NULL" % x("ParentUser"))),
    ("search-not-exists", "source sysmon | search NOT TargetObject=* | stats count",
     ("sql", "SELECT count(*) AS count FROM s WHERE %s IS NULL" % x("TargetObject"))),
    ("top-host", "source sysmon | top 5 Hostname", ("sql", sql_top("Hostname", 5))),
    ("rare-user", "source sysmon | rare 3 User", ("sql", sql_top("User", 3, rare=True))),
    ("top-by", "source sysmon | top 2 Image BY EventID", ("sql", sql_top("Image", 2, by="EventID"))),
    ("dedup", "source sysmon | dedup Hostname | table Hostname, RecordNumber",
     ("sql", "SELECT h AS Hostname, rn AS RecordNumber FROM (SELECT %s AS h, %s AS rn, s.t, s.seq, "
             "row_number() OVER (PARTITION BY %s ORDER BY %s) AS k FROM s) s WHERE k = 1 ORDER BY %s"
             % (HOST, x("RecordNumber"), HOST, ORDER, ORDER))),
    ("sort-head", "source sysmon | sort -ProcessId, RecordNumber | head 20 | table RecordNumber, ProcessId",
     ("sql", "SELECT %s AS RecordNumber, %s AS ProcessId FROM s ORDER BY 2 DESC, 1 LIMIT 20"
             % (x("RecordNumber"), x("ProcessId")))),
    ("sort-limit", "source sysmon | sort limit=50 Hostname, -RecordNumber | table Hostname, RecordNumber",
     ("sql", "SELECT %s AS Hostname, %s AS RecordNumber FROM s ORDER BY 1, 2 DESC LIMIT 50"
             % (HOST, x("RecordNumber")))),
    ("timechart-1h", "source sysmon | timechart span=1h count",
     ("sql", "SELECT %s AS _time, count(*) AS count FROM s GROUP BY 1 ORDER BY 1" % sql_bucket(60))),
    ("timechart-6h-avg", "source sysmon | timechart span=6h avg(Severity)",
     ("sql", "SELECT %s AS _time, avg(%s) AS \"avg(Severity)\" FROM s GROUP BY 1 ORDER BY 1"
             % (sql_bucket(360), x("Severity")))),
    ("bin-stats-sort", "source sysmon | bin span=15m @timestamp | stats count BY @timestamp | sort -count, @timestamp | head 3",
     ("sql", "SELECT %s AS \"@timestamp\", count(*) AS count FROM s GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 3"
             % sql_bucket(15))),
    ("where-like-mod", 'source sysmon | where like(User, "CORP%") AND ProcessId % 2 == 0 | stats count',
     ("sql", "SELECT count(*) AS count FROM s WHERE %s GLOB 'CORP*' AND %s %% 2 = 0" % (USER, x("ProcessId")))),
    ("where-match-by", 'source sysmon | where match(CommandLine, "-EncodedCommand") | stats count BY Hostname',
     ("sql", "SELECT %s AS Hostname, count(*) AS count FROM s WHERE instr(%s, '-EncodedCommand') > 0 "
             "GROUP BY 1 ORDER BY 1" % (HOST, x("CommandLine")))),
    ("where-len", "source sysmon | where len(Hostname) > 6 | stats count",
     ("sql", "SELECT count(*) AS count FROM s WHERE length(%s) > 6" % HOST)),
    ("where-mvcount", "source sysmon | where mvcount(Tags) >= 2 | stats count",
     ("sql", "SELECT count(*) AS count FROM s WHERE json_array_length(s.j, '$.Tags') >= 2")),
    ("where-cidrmatch", 'source sysmon | where cidrmatch("10.0.0.0/9", Network.DestinationIp) | stats count',
     ("sql", "SELECT count(*) AS count FROM (SELECT %s AS ip FROM s) WHERE ip IS NOT NULL AND "
             "CAST(substr(ip, 4, instr(substr(ip, 4), '.') - 1) AS INT) < 128" % x("Network.DestinationIp"))),
    ("eval-arithmetic-nested", "source sysmon | eval pp = process.parent.pid * 2 + 1 | stats sum(pp) AS s, max(pp) AS m",
     ("sql", "SELECT sum(%s * 2 + 1) AS s, max(%s * 2 + 1) AS m FROM s" % (x("process.parent.pid"), x("process.parent.pid")))),
    ("eval-string-functions", "source sysmon | eval h = lower(substr(Hostname, 1, 2)) | stats count BY h",
     ("sql", "SELECT lower(substr(%s, 1, 2)) AS h, count(*) AS count FROM s GROUP BY 1 ORDER BY 1" % HOST)),
    ("fields-head", "source sysmon | fields EventID, RecordNumber | head 5",
     ("sql", "SELECT %s AS EventID, %s AS RecordNumber FROM s ORDER BY %s LIMIT 5" % (EID, x("RecordNumber"), ORDER))),
    ("qsize", "source sysmon qsize=1000 | stats count, min(RecordNumber), max(RecordNumber)",
     ("sql", "SELECT count(*) AS count, min(rn) AS \"min(RecordNumber)\", max(rn) AS \"max(RecordNumber)\" FROM "
             "(SELECT %s AS rn FROM s ORDER BY %s LIMIT 1000)" % (x("RecordNumber"), ORDER))),
    ("earliest-latest", "source sysmon earliest=2026-01-01T06:00:00Z latest=2026-01-01T07:30:00Z | stats count",
     ("sql", "SELECT count(*) AS count FROM s WHERE s.t >= '2026-01-01T06:00:00.000Z' AND s.t < '2026-01-01T07:30:00.000Z'")),
    ("stats-by-multivalue", "source sysmon | stats count BY Tags",
     ("sql", "SELECT value AS Tags, count(*) AS count FROM s, json_each(s.j, '$.Tags') GROUP BY 1 ORDER BY 1")),
    ("stats-big-integers", "source sysmon | stats max(Counter) AS m, min(Counter) AS n",
     ("sql", "SELECT max(%s) AS m, min(%s) AS n FROM s" % (x("Counter"), x("Counter")))),
    ("stats-values", "source sysmon | stats values(EventID) AS v, dc(Image) AS d",
     ("sql", "SELECT (SELECT json_group_array(e) FROM (SELECT DISTINCT %s AS e FROM s ORDER BY 1)) AS v__json, "
             "count(DISTINCT %s) AS d FROM s" % (EID, IMG))),
    ("eventstats-where", "source sysmon | eventstats count AS n BY Hostname | where n > 6666 | stats count",
     ("sql", "SELECT coalesce(sum(c), 0) AS count FROM (SELECT count(*) AS c FROM s GROUP BY %s) WHERE c > 6666" % HOST)),
    ("streamstats-by", "source sysmon | streamstats count AS c BY Hostname | where c == 100 | table RecordNumber, Hostname",
     ("sql", "SELECT rn AS RecordNumber, h AS Hostname FROM (SELECT %s AS rn, %s AS h, s.t, s.seq, "
             "row_number() OVER (PARTITION BY %s ORDER BY %s) AS k FROM s) s WHERE k = 100 ORDER BY %s"
             % (x("RecordNumber"), HOST, HOST, ORDER, ORDER))),
    ("rex-stats", 'source sysmon | rex field=CommandLine "(?<flag>-[A-Z][a-zA-Z]+)" | stats count BY flag',
     ("jq-slurp", '[.[] | (.CommandLine // "") | capture("(?<flag>-[A-Z][a-zA-Z]+)") | .flag] '
                  '| group_by(.) | map({flag: .[0], count: length}) | .[]')),
    ("where-not-match-avg-stdev",
     'source sysmon | where Severity > 50 AND NOT match(Image, "(?i)system32") | stats avg(Severity) AS a, stdev(ProcessId) AS sd, count',
     ("py", lambda evs: [(lambda sel: {"a": sum(e["Severity"] for e in sel) / len(sel),
                                       "sd": sample_stdev([e["ProcessId"] for e in sel]),
                                       "count": len(sel)})(
         [e for e in evs if e["Severity"] > 50 and "system32" not in e["Image"].lower()])])),
    ("transaction-maxpause",
     "source sysmon | transaction Hostname maxpause=1m | eval l = if(duration > 600, 1, 0) "
     "| stats count AS n, sum(eventcount) AS ev, max(duration) AS d, sum(l) AS long",
     ("py", txn_summary)),
    ("join-subsearch", "source sysmon | join Hostname [ source sysmon | stats count AS n BY Hostname ] | stats count BY n",
     ("sql", "SELECT h.n AS n, count(*) AS count FROM s JOIN (SELECT %s AS host, count(*) AS n FROM s GROUP BY 1) h "
             "ON %s = h.host GROUP BY 1 ORDER BY 1" % (HOST, HOST))),
    ("security-by-two", "source security | stats count BY event.outcome, LogonType",
     ("sql", "SELECT %s AS \"event.outcome\", %s AS LogonType, count(*) AS count FROM sec s GROUP BY 1, 2 ORDER BY 1, 2"
             % (x("event.outcome"), x("LogonType")))),
    ("security-numeric-string-top", "source security | search event.code=4625 | top 3 TargetUserName",
     ("sql", sql_top("TargetUserName", 3, table="(SELECT * FROM sec WHERE json_extract(sec.j, '$.event.code') = '4625')"))),
    ("two-indices", "source sysmon, security | stats count BY Channel",
     ("sql", "SELECT c AS Channel, count(*) AS count FROM (SELECT %s AS c FROM s UNION ALL SELECT %s FROM sec s) "
             "GROUP BY 1 ORDER BY 1" % (x("Channel"), x("Channel")))),
    # An event per element; an empty array passes the event unchanged.
    ("mvexpand-count", "source sysmon | mvexpand Tags | stats count",
     ("sql", "SELECT sum(CASE WHEN json_array_length(s.j, '$.Tags') > 0 THEN json_array_length(s.j, '$.Tags') "
             "ELSE 1 END) AS count FROM s")),
    ("mvexpand-limit-by", "source sysmon | mvexpand Tags limit=1 | stats count BY Tags",
     ("sql", "SELECT json_extract(s.j, '$.Tags[0]') AS Tags, count(*) AS count FROM s "
             "WHERE json_extract(s.j, '$.Tags[0]') IS NOT NULL GROUP BY 1 ORDER BY 1")),
    ("spath-path", "source sysmon | spath output=pp path=process.parent.pid | stats sum(pp) AS s, dc(pp) AS d, count(pp) AS n",
     ("sql", "SELECT sum(%s) AS s, count(DISTINCT %s) AS d, count(%s) AS n FROM s"
             % (x("process.parent.pid"), x("process.parent.pid"), x("process.parent.pid")))),
    ("spath-every-leaf-array", "source sysmon | spath | stats count BY 'Tags{}'",
     ("sql", "SELECT value AS \"Tags{}\", count(*) AS count FROM s, json_each(s.j, '$.Tags') GROUP BY 1 ORDER BY 1")),
    ("makemv-mvexpand", 'source sysmon | makemv delim="\\\\" User | mvexpand User | stats count BY User',
     ("py", lambda evs: [{"User": k, "count": v} for k, v in sorted(
         __import__("collections").Counter(p for e in evs for p in e["User"].split("\\") if p).items())])),
    ("regex-raw-not", 'source sysmon | regex _raw!="TargetObject" | regex Image=~"(?i)system32" | stats count',
     ("sql", "SELECT count(*) AS count FROM s WHERE instr(s.j, 'TargetObject') = 0 AND instr(lower(%s), 'system32') > 0"
             % IMG)),
    # Subsearches (docs/sml.md, search and where): the OR over results of
    # the AND over their fields; search's = ignores case, where's does not.
    ("subsearch-search-top-hosts",
     "source sysmon | search [ source sysmon | search EventID=22 | stats count BY Hostname "
     "| sort -count, Hostname | head 3 | fields Hostname ] | stats count BY EventID",
     ("sql", "SELECT %s AS EventID, count(*) AS count FROM s WHERE lower(%s) IN (SELECT lower(h) FROM "
             "(SELECT %s AS h, count(*) AS c FROM s WHERE %s = 22 GROUP BY 1 ORDER BY c DESC, h LIMIT 3)) "
             "GROUP BY 1 ORDER BY 1" % (EID, HOST, HOST, EID))),
    ("subsearch-search-two-fields",
     "source sysmon | search [ source sysmon | search EventID=3 | stats count BY Hostname, User "
     "| sort -count, Hostname, User | head 10 | fields Hostname, User ] | stats count BY Hostname",
     ("sql", "WITH t AS MATERIALIZED (SELECT %s AS h, %s AS u, count(*) AS c FROM s WHERE %s = 3 "
             "AND %s IS NOT NULL AND %s IS NOT NULL GROUP BY 1, 2 ORDER BY c DESC, h, u LIMIT 10) "
             "SELECT %s AS Hostname, count(*) AS count FROM s WHERE lower(%s) || char(31) || lower(%s) "
             "IN (SELECT lower(h) || char(31) || lower(u) FROM t) GROUP BY 1 ORDER BY 1"
             % (HOST, USER, EID, HOST, USER, HOST, HOST, USER))),
    ("subsearch-search-not-multivalue",
     "source sysmon | search NOT [ source sysmon | search EventID=1 | where mvcount(Tags) >= 2 "
     "| head 1 | fields Tags ] | stats count",
     ("sql", "WITH t AS MATERIALIZED (SELECT value AS v FROM json_each((SELECT json_extract(s.j, '$.Tags') FROM s "
             "WHERE %s = 1 AND json_array_length(s.j, '$.Tags') >= 2 ORDER BY %s LIMIT 1))) "
             "SELECT count(*) AS count FROM s WHERE NOT EXISTS (SELECT 1 FROM json_each(s.j, '$.Tags') e "
             "WHERE lower(e.value) IN (SELECT lower(v) FROM t))" % (EID, ORDER))),
    ("subsearch-where-images",
     "source sysmon | where [ source sysmon | search EventID=1 | stats count BY Image "
     "| sort -count, Image | head 2 | fields Image ] | stats count BY EventID",
     ("sql", "SELECT %s AS EventID, count(*) AS count FROM s WHERE %s IN (SELECT i FROM "
             "(SELECT %s AS i, count(*) AS c FROM s WHERE %s = 1 GROUP BY 1 ORDER BY c DESC, i LIMIT 2)) "
             "GROUP BY 1 ORDER BY 1" % (EID, IMG, IMG, EID))),
    ("subsearch-where-not-or",
     "source sysmon | where NOT [ source sysmon | search EventID=7 | dedup User | head 3 | fields User ] "
     "OR Severity > 90 | stats count",
     ("sql", "WITH u AS MATERIALIZED (SELECT u FROM (SELECT %s AS u, s.t AS t, s.seq AS q, row_number() OVER "
             "(PARTITION BY %s ORDER BY %s) AS k FROM s WHERE %s = 7 AND %s IS NOT NULL) WHERE k = 1 "
             "ORDER BY t DESC, q LIMIT 3) SELECT count(*) AS count FROM s WHERE NOT coalesce(%s IN "
             "(SELECT u FROM u), 0) OR %s > 90" % (USER, USER, ORDER, EID, USER, USER, x("Severity")))),
    # Subsearches of hundreds of results of one field: the hash sets.
    ("subsearch-search-many-numbers",
     "source sysmon | search [ source sysmon | search EventID=22 | head 500 | fields RecordNumber ] "
     "| stats count BY EventID",
     ("sql", "SELECT %s AS EventID, count(*) AS count FROM s WHERE %s IN (SELECT rn FROM (SELECT %s AS rn "
             "FROM s WHERE %s = 22 ORDER BY %s LIMIT 500)) GROUP BY 1 ORDER BY 1"
             % (EID, x("RecordNumber"), x("RecordNumber"), EID, ORDER))),
    ("subsearch-where-many-strings",
     "source sysmon | where NOT [ source sysmon | search EventID=3 | head 300 | fields ProcessGuid ] "
     "| stats count BY EventID",
     ("sql", "SELECT %s AS EventID, count(*) AS count FROM s WHERE NOT coalesce(%s IN (SELECT g FROM "
             "(SELECT %s AS g FROM s WHERE %s = 3 ORDER BY %s LIMIT 300)), 0) GROUP BY 1 ORDER BY 1"
             % (EID, x("ProcessGuid"), x("ProcessGuid"), EID, ORDER))),
    # Lookup tables (tests/sml/differential.py writes hostinfo and
    # eventinfo, uploads them with `asyncreq lookups put` and loads them
    # into SQLite): lookup matches exactly, its columns set as strings.
    ("subsearch-inputlookup",
     'source sysmon | search [ | inputlookup hostinfo | where tier == "gold" | fields Hostname ] '
     '| stats count BY Hostname',
     ("sql", "SELECT %s AS Hostname, count(*) AS count FROM s WHERE lower(%s) IN (SELECT lower(Hostname) "
             "FROM hostinfo WHERE tier = 'gold') GROUP BY 1 ORDER BY 1" % (HOST, HOST))),
    ("lookup-output", "source sysmon | lookup hostinfo Hostname OUTPUT site | stats count BY site",
     ("sql", "SELECT h.site AS site, count(*) AS count FROM s JOIN hostinfo h ON h.Hostname = %s "
             "GROUP BY 1 ORDER BY 1" % HOST)),
    ("lookup-as-all-columns",
     "source sysmon | eval host = Hostname | lookup hostinfo Hostname AS host | stats count BY tier, site",
     ("sql", "SELECT h.tier AS tier, h.site AS site, count(*) AS count FROM s JOIN hostinfo h "
             "ON h.Hostname = %s GROUP BY 1, 2 ORDER BY 1, 2" % HOST)),
    ("lookup-numeric-key", "source sysmon | lookup eventinfo EventID OUTPUT name AS ename | stats count BY ename",
     ("sql", "SELECT e.name AS ename, count(*) AS count FROM s JOIN eventinfo e ON e.EventID = "
             "CAST(%s AS TEXT) GROUP BY 1 ORDER BY 1" % EID)),
    ("lookup-outputnew",
     'source sysmon | eval site = if(EventID == 3, "own", null) | lookup hostinfo Hostname OUTPUTNEW site '
     '| stats count BY site',
     ("sql", "SELECT v AS site, count(*) AS count FROM (SELECT coalesce(CASE WHEN %s = 3 THEN 'own' END, "
             "h.site) AS v FROM s LEFT JOIN hostinfo h ON h.Hostname = %s) WHERE v IS NOT NULL "
             "GROUP BY 1 ORDER BY 1" % (EID, HOST))),
    ("inputlookup", "| inputlookup hostinfo",
     ("sql", "SELECT Hostname, site, tier FROM hostinfo ORDER BY rowid")),
]


def run(cmd, **kw):
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kw)


def same(a, b):
    """Compares an engine value a with an oracle value b."""
    if isinstance(b, bool) or isinstance(a, bool):
        return a is b
    if isinstance(b, int) and isinstance(a, int):
        return a == b
    if isinstance(b, (int, float)) and isinstance(a, (int, float)):
        if isinstance(b, int) and not isinstance(a, int):
            return False    # an integer must stay an integer
        if a == b:
            return True
        return abs(a - b) <= 1e-9 * max(abs(a), abs(b))
    if isinstance(a, dict) and isinstance(b, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(p, q) for p, q in zip(a, b))
    return a == b and type(a) == type(b)


def main(work):
    t0 = time.time()
    conf = os.path.join(work, "c.conf")
    with open(conf, "w") as f:
        f.write("storage.path = %s\n" % os.path.join(work, "store"))
        # Blocks of 16 KiB: the queries read many sealed blocks and their
        # summaries (AR_STORAGE_BLOCK_BYTES=0: the tail alone).
        f.write("storage.block_bytes = %s\n" % os.environ.get("AR_STORAGE_BLOCK_BYTES", "16KiB"))
    files = {}
    for idx, style, count, seed in (("sysmon", "sysmon", COUNT, 4242),
                                    ("security", "security", COUNT // 5, 4343)):
        path = os.path.join(work, idx + ".ndjson")
        with open(path, "w") as out:
            p = subprocess.run([sys.executable, GEN, "--count", str(count), "--seed", str(seed),
                                "--start", START, "--end", END, "--index-style", style,
                                "--tie-every", "7"], stdout=out)
        if p.returncode != 0:
            print("Bail out! gen-events failed")
            return 1
        p = run([PROG, "-c", conf, "ingest", idx, path])
        if p.returncode != 0:
            print("Bail out! ingest %s: %s %s" % (idx, p.stdout.decode(), p.stderr.decode()))
            return 1
        files[idx] = path
    # SQLite: the raw lines in ingest order (rowid), and their time.
    db = os.path.join(work, "ev.db")
    script = []
    for idx, table in (("sysmon", "s"), ("security", "sec")):
        rs = files[idx] + ".rs"
        with open(files[idx], encoding="utf-8") as f, open(rs, "w", encoding="utf-8") as o:
            for line in f:
                o.write(line.rstrip("\n") + "\x1e")
        script += ["CREATE TABLE raw_%s(j TEXT);" % table, ".mode ascii",
                   ".import '%s' raw_%s" % (rs, table),
                   "CREATE TABLE %s AS SELECT rowid AS seq, j, json_extract(j, '$.\"@timestamp\"') AS t "
                   "FROM raw_%s ORDER BY rowid;" % (table, table)]
    # The lookup tables: a row for most hosts (every fifth left out, so
    # some events match none) and a host no event has; names for some
    # EventIDs, the key a number written as text.
    with open(files["sysmon"], encoding="utf-8") as f:
        hosts = sorted({json.loads(l).get("Hostname") for l in f} - {None})
    tables = {
        "hostinfo": [["Hostname", "site", "tier"]] +
        [[h, ("fra", "bos", "par")[i % 3], "gold" if i % 4 == 0 else "silver"]
         for i, h in enumerate(hosts) if i % 5 != 4] + [["NO-SUCH-HOST", "nowhere", "gold"]],
        "eventinfo": [["EventID", "name"], ["1", "process"], ["3", "network"],
                      ["7", "image"], ["22", "dns"], ["99", "unused"]],
    }
    for name, rows in tables.items():
        path = os.path.join(work, name + ".csv")
        with open(path, "w", encoding="utf-8", newline="") as f:
            csv.writer(f, lineterminator="\n").writerows(rows)
        p = run([PROG, "-c", conf, "lookups", "put", name, path])
        if p.returncode != 0:
            print("Bail out! lookups put %s: %s %s" % (name, p.stdout.decode(), p.stderr.decode()))
            return 1
        script += [".mode csv", ".import '%s' %s" % (path, name)]
    p = run(["sqlite3", db], input="\n".join(script).encode())
    if p.returncode != 0:
        print("Bail out! sqlite3 load: %s" % p.stderr.decode())
        return 1
    events = None
    print("# setup: %.1f s (%d + %d events)" % (time.time() - t0, COUNT, COUNT // 5))

    only = os.environ.get("DIFF_ONLY")
    queries = [q for q in QUERIES if not only or only in q[0]]
    print("1..%d" % len(queries))
    failed = 0
    for n, (name, sml, oracle) in enumerate(queries, 1):
        t1 = time.time()
        p = run([PROG, "-c", conf, "query", "--from", START, "--to", END, sml])
        t_engine = time.time() - t1
        diag = []
        got = None
        if p.returncode != 0:
            diag.append("asyncreq query failed (%d): %s" % (p.returncode, p.stderr.decode().strip()))
        else:
            try:
                got = [json.loads(l) for l in p.stdout.decode().splitlines()]
            except ValueError as e:
                diag.append("engine output is not NDJSON: %s" % e)
        t2 = time.time()
        kind = oracle[0]
        if kind == "sql":
            q = run(["sqlite3", "-json", db, oracle[1]])
            if q.returncode != 0:
                diag.append("oracle sqlite3 failed: %s" % q.stderr.decode().strip())
                want = None
            else:
                text = q.stdout.decode().strip()
                want = json.loads(text) if text else []
                want = [{(k[:-6] if k.endswith("__json") else k):
                         (json.loads(v) if k.endswith("__json") else v)
                         for k, v in row.items()} for row in want]
        elif kind in ("jq-raw", "jq-slurp"):
            args = ["jq", "-c", "-n", "-R", oracle[1], files["sysmon"]] if kind == "jq-raw" else \
                ["jq", "-c", "-s", oracle[1], files["sysmon"]]
            q = run(args)
            if q.returncode != 0:
                diag.append("oracle jq failed: %s" % q.stderr.decode().strip())
                want = None
            else:
                want = [json.loads(l) for l in q.stdout.decode().splitlines()]
        else:
            if events is None:
                with open(files["sysmon"], encoding="utf-8") as f:
                    events = [json.loads(l) for l in f]
            want = oracle[1](events)
        t_oracle = time.time() - t2
        if got is not None and want is not None and not same(got, want):
            diag.append("answers differ")
            diag.append("engine: %s" % json.dumps(got[:12], ensure_ascii=False)[:2000])
            diag.append("oracle: %s" % json.dumps(want[:12], ensure_ascii=False)[:2000])
            if len(got) != len(want):
                diag.append("rows: engine %d, oracle %d" % (len(got), len(want)))
            else:
                for a, b in zip(got, want):
                    if not same(a, b):
                        diag.append("first differing row: engine %s, oracle %s" % (
                            json.dumps(a, ensure_ascii=False), json.dumps(b, ensure_ascii=False)))
                        break
        if diag:
            failed += 1
            print("not ok %d - %s" % (n, name))
            print("#   query: %s" % sml)
            for d in diag:
                print("#   " + d)
        else:
            print("ok %d - %s (%d rows; engine %.2f s, %s %.2f s)" % (
                n, name, len(got), t_engine, kind, t_oracle))
        sys.stdout.flush()
    print("# total %.1f s" % (time.time() - t0))
    if failed:
        print("# %d of %d failed" % (failed, len(queries)))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
