#!/usr/bin/env python3
"""make-data.py - writes the small data sets of tests/sml/data (checked in;
the cases' expected outputs depend on every byte, so rerun this only to
review how they were made, never to change them silently).

Every file lists its events newest first, so `source NAME` returns them in
file order (ties keep ingest order, which is also file order). The index of
each file is its name without .ndjson."""
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
MISSING = object()


def dump(name, rows):
    with open(os.path.join(HERE, name + ".ndjson"), "w", encoding="utf-8") as f:
        for r in rows:
            r = {k: v for k, v in r.items() if v is not MISSING}
            f.write(json.dumps(r, ensure_ascii=False, separators=(",", ":")) + "\n")


def ts(minutes):
    return "2026-01-01T%02d:%02d:00Z" % divmod(minutes, 60)


# ---- web: 20 access-log-like events, 00:57 down to 00:00, 3 minutes apart;
# events 6 and 7 share 00:39. status: ints, one numeric string ("404"),
# one missing, one null; user: one missing, one null, "Carol"/"carol".
M = MISSING
web = [
    # host    method    status bytes dur     user     url                  tags        country city        msg
    ("web-1", "GET",    200,   512,  0.25,   "alice", "/index.html",       ["a", "b"], "DE", "Berlin",    "GET /index.html ok"),
    ("web-2", "GET",    404,   128,  0.5,    "bob",   "/missing",          [],         "US", "Boston",    "not found"),
    ("web-1", "POST",   200,   2048, 1.5,    "alice", "/api/items",        ["b"],      "DE", "Hamburg",   "created item"),
    ("db-1",  "GET",    500,   64,   4.0,    M,       "/api/items",        ["c"],      "FR", "Paris",     "connection timeout"),
    ("web-2", "GET",    200,   1024, 0.75,   "carol", "/index.html",       ["a"],      "US", "Boston",    "ok"),
    ("web-1", "DELETE", 403,   0,    0.125,  None,    "/api/items/7",      M,          "DE", "Berlin",    "Forbidden"),
    ("web-3", "GET",    "404", 256,  0.5,    "bob",   "/missing",          ["a", "c"], M,    M,           "not found again"),
    ("web-1", "GET",    200,   512,  0.25,   "alice", "/index.html",       ["a", "b"], "DE", "Berlin",    "ok"),
    ("db-1",  "POST",   500,   32,   8.0,    "dave",  "/api/login",        [],         "FR", "Lyon",      "Timeout while connecting"),
    ("web-2", "GET",    301,   0,    0.0625, "Carol", "/old",              ["d"],      "US", "Denver",    "moved"),
    ("web-1", "GET",    200,   4096, 2.0,    "alice", "/download?file=a b", ["a"],     "DE", "Berlin",    "ok"),
    ("web-2", "POST",   201,   300,  1.0,    "bob",   "/api/items",        ["b", "d"], "US", "Boston",    "created"),
    ("db-1",  "GET",    M,     16,   0.5,    "eve",   "/health",           ["c"],      "FR", "Paris",     "health check"),
    ("web-1", "GET",    404,   128,  0.25,   "alice", "/missing",          [],         "DE", "Munich",    "not found"),
    ("web-3", "PUT",    200,   700,  2.5,    "frank", "/api/items/9",      ["a", "d"], "NL", "Amsterdam", "updated"),
    ("web-2", "GET",    500,   64,   6.0,    "bob",   "/api/items",        ["c"],      "US", "Boston",    "internal error: timeout"),
    ("web-1", "GET",    200,   512,  0.5,    "carol", "/index.html",       ["b"],      "DE", "Berlin",    "ok"),
    ("db-1",  "GET",    200,   256,  0.375,  "dave",  "/health",           [],         "FR", "Paris",     "health check"),
    ("web-3", "GET",    None,  100,  1.25,   "alice", "/index.html",       ["a"],      "NL", "Utrecht",   "no status"),
    ("web-2", "GET",    200,   900,  0.75,   "bob",   "/index.html",       ["d", "a"], "US", "Boston",    "ok"),
]
rows = []
for i, (host, method, status, nbytes, dur, user, url, tags, country, city, msg) in enumerate(web):
    minute = 57 - 3 * i if i != 7 else 57 - 3 * 6
    geo = {"country": country, "city": city} if country is not M else M
    rows.append({"@timestamp": ts(minute), "id": i, "host": host, "method": method,
                 "status": status, "bytes": nbytes, "dur": dur, "user": user,
                 "url": url, "tags": tags, "geo": geo, "msg": msg})
dump("web", rows)

# ---- nums: numbers for the statistics functions, 1 event per minute,
# 00:13 down to 00:00. g=a: x 1..5 (as ingested: 3,1,5,2,4), g=b: 2,4,6,
# g=c: 7, "n/a", missing; y floats; w numeric strings.
nums = [
    ("a", 3, 1.5, "10"), ("a", 1, 0.5, "2"), ("b", 4, 2.0, "30"),
    ("a", 5, 2.5, "4"), ("c", 7, 0.25, M), ("b", 2, 1.0, "x"),
    ("a", 2, 1.0, "5"), ("c", "n/a", M, "6"), ("b", 6, 3.0, "7"),
    ("a", 4, 2.0, "8"), ("c", M, 0.75, "9"), ("d", M, M, M),
    (M, 100, 50.0, "1"), (None, 200, 100.0, "1"),
]
rows = []
for i, (g, x, y, w) in enumerate(nums):
    rows.append({"@timestamp": ts(13 - i), "id": i, "g": g, "x": x, "y": y, "w": w})
dump("nums", rows)

# ---- types: one field of each kind, for comparisons, sorting and typeof.
types = [
    ("n", 10), ("n", "9"), ("n", 2.5), ("n", "abc"), ("n", "Abc"),
    ("n", None), ("n", M), ("n", "-3"), ("n", 100), ("n", "b"),
    ("n", True), ("n", [5, "x"]), ("n", {"k": 1}), ("n", " 7"),
]
rows = []
for i, (_, n) in enumerate(types):
    rows.append({"@timestamp": ts(30 - i), "id": i, "n": n})
dump("types", rows)

# ---- nested: dotted names, a top-level key with a dot, quoted names,
# arrays of objects.
nested = [
    {"id": 0, "process": {"name": "cmd.exe", "pid": 10, "parent": {"name": "explorer.exe"}},
     "a.b": "top", "a": {"b": "nested"}, "field with space": "x1", "event": {"code": "4624"}},
    {"id": 1, "process": {"name": "powershell.exe", "pid": 20, "parent": {"name": "cmd.exe"}},
     "a": {"b": "only-nested"}, "field with space": "x2", "event": {"code": "4625"}},
    {"id": 2, "process": {"name": "cmd.exe", "pid": "30"}, "a.b": "only-top",
     "event": {"code": "4624"}},
    {"id": 3, "process": "flat-string", "a": {"b": None}, "event": {"code": 4624}},
    {"id": 4, "user": {"name": "alice", "groups": ["admin", "dev"]},
     "process": {"name": "CMD.EXE", "parent": {"name": "services.exe"}}},
    {"id": 5, "process": {"name": "svchost.exe", "parent": None}, "a": {"b": {"c": 1}}},
]
dump("nested", [dict([("@timestamp", ts(50 - i))] + list(r.items())) for i, r in enumerate(nested)])

# ---- unicode: non-ASCII text, one line with \u escapes (written by hand
# below, after dump, so the file keeps the escapes).
uni = [
    {"id": 0, "name": "café", "city": "Zürich"},
    {"id": 1, "name": "日本語", "city": "東京"},
    {"id": 2, "name": "emoji 🚀", "city": "Space"},
    {"id": 3, "name": "CAFÉ", "city": "Zürich"},
    {"id": 4, "name": "été", "city": "Paris"},
    {"id": 5, "name": "plain", "city": "Zurich"},
]
with open(os.path.join(HERE, "unicode.ndjson"), "w", encoding="utf-8") as f:
    for i, r in enumerate(uni):
        r = dict([("@timestamp", ts(20 - i))] + list(r.items()))
        # event 4 keeps its non-ASCII text as \u escapes
        f.write(json.dumps(r, ensure_ascii=(i == 4), separators=(",", ":")) + "\n")

# ---- series: every 10 minutes in hours 00 and 02 (none in 01), newest
# first; host A/B/C, v an integer, for timechart, bin and streamstats.
series = []
k = 0
for hour in (2, 0):
    for m in (50, 40, 30, 20, 10, 0):
        host = "ABC"[k % 3]
        series.append({"@timestamp": "2026-01-01T%02d:%02d:00Z" % (hour, m),
                       "id": k, "host": host, "v": (k * 7) % 10})
        k += 1
dump("series", series)

# ---- timeodd: the time field in every accepted form (epoch seconds,
# epoch milliseconds, digit string, ISO with an offset), two events at the
# same instant; t2 is a second time field, missing or unparsable in some.
timeodd = [
    {"@timestamp": "2026-01-01T05:00:00+01:00", "id": 0, "t2": "2026-01-01T10:00:00Z"},
    {"@timestamp": 1767229200, "id": 1, "t2": "not a time"},
    {"@timestamp": 1767229200000, "id": 2},
    {"@timestamp": "2026-01-01T01:00:00Z", "id": 3, "t2": 1767232800000},
    {"@timestamp": "1767225600000", "id": 4, "t2": None},
    {"@timestamp": "2026-01-01T00:00:00.000Z", "id": 5, "t2": "2026-01-01T09:00:00Z"},
]
dump("timeodd", timeodd)

# ---- payloads: JSON held as text in a string field, for spath input=:
# nested objects and arrays, an array of objects, an empty array, a null,
# text that is not JSON, a top-level array, a bare number, the field
# already an object, missing; and a field _raw, as in events exported from
# Splunk.
payloads = [
    {"id": 0, "payload": json.dumps({"user": {"name": "alice", "roles": ["admin", "dev"]},
                                     "items": [{"sku": "A1", "qty": 2}, {"sku": "B2", "qty": 1}],
                                     "ok": True}, separators=(",", ":"))},
    {"id": 1, "payload": json.dumps({"user": {"name": "bob", "roles": []}, "items": [],
                                     "ok": False, "note": None}, separators=(",", ":"))},
    {"id": 2, "payload": "not json {"},
    {"id": 3, "payload": json.dumps([1, [2, 3], {"k": "v"}], separators=(",", ":"))},
    {"id": 4, "payload": {"user": {"name": "carol"}}},
    {"id": 5},
    {"id": 6, "payload": "42"},
    {"id": 7, "_raw": json.dumps({"src": "10.0.0.1", "dst": {"port": 443}}, separators=(",", ":"))},
]
dump("payloads", [dict([("@timestamp", ts(10 - i))] + list(r.items())) for i, r in enumerate(payloads)])
