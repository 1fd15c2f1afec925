#!/usr/bin/env python3
"""bench/ingest_load.py - sends NDJSON events to an HTTP endpoint from N senders.

Usage: ingest_load.py asyncreq|clickhouse URL FILE SENDERS BATCH_BYTES [AUTH]

Cuts FILE (one JSON event per line) into bodies of about BATCH_BYTES of
events: for asyncreq a _bulk body ({"index":{}} before each event, sent to
URL = .../INDEX/_bulk), for clickhouse the events as they are (URL holds the
INSERT ... FORMAT JSONEachRow query). SENDERS threads, one keep-alive
connection each, take the bodies in turn. Every answer must be 200 (and for
asyncreq "errors":false). Prints one line: "EVENTS MB SECONDS" (MB of the
events' own bytes, not of the _bulk framing).
"""
import base64, http.client, json, sys, threading, time, urllib.parse

kind, url, path, senders, batch = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
auth = sys.argv[6] if len(sys.argv) > 6 else ""
u = urllib.parse.urlsplit(url)
target = u.path + ("?" + u.query if u.query else "")

bodies, events, raw = [], 0, 0
cur, n = [], 0
with open(path, "rb") as f:
    for line in f:
        if not line.strip():
            continue
        events += 1
        raw += len(line)
        cur.append(b'{"index":{}}\n' + line if kind == "asyncreq" else line)
        n += len(line)
        if n >= batch:
            bodies.append(b"".join(cur))
            cur, n = [], 0
if cur:
    bodies.append(b"".join(cur))

headers = {"Content-Type": "application/x-ndjson" if kind == "asyncreq" else "application/octet-stream"}
if auth:
    headers["Authorization"] = "Basic " + base64.b64encode(auth.encode()).decode()
lock = threading.Lock()
next_i = [0]
errors = []


def sender():
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=600)
    while True:
        with lock:
            i = next_i[0]
            next_i[0] += 1
        if i >= len(bodies) or errors:
            break
        c.request("POST", target, body=bodies[i], headers=headers)
        r = c.getresponse()
        data = r.read()
        if r.status != 200 or (kind == "asyncreq" and b'"errors":false' not in data[:200]):
            errors.append("%d %s" % (r.status, data[:300]))
    c.close()


t0 = time.monotonic()
ts = [threading.Thread(target=sender) for _ in range(senders)]
for t in ts:
    t.start()
for t in ts:
    t.join()
dt = time.monotonic() - t0
if errors:
    sys.stderr.write("ingest_load: %s\n" % errors[0])
    sys.exit(1)
print("%d %.1f %.3f" % (events, raw / 1e6, dt))
