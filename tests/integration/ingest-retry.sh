#!/usr/bin/env bash
# ingest-retry.sh - a failed _bulk keeps nothing, so a re-send stores every
# event exactly once: the responder killed (kill -9) while it parses a large
# body (nginx answers 502), a full event store (503), and a body of so many
# tiny items that the answer would be too large (413); counted.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/harness.sh"

ar_init
ar_require_programs
ar_conf main "auth.ingest_users = alice" "ingest.max_body_bytes = 150MiB"
ar_conf tiny "auth.ingest_users = alice" "storage.events_map_size = 1MiB"
ar_conf small "auth.ingest_users = alice" "ingest.max_body_bytes = 4MiB"
ar_check "runner starts" ar_start_runner main
ar_check "asyncreq-fcgi (main, 2 workers) listens" ar_start_fcgi main 2
ar_check "asyncreq-fcgi (tiny event store) listens" ar_start_fcgi tiny 1
ar_check "asyncreq-fcgi (4 MiB bodies) listens" ar_start_fcgi small 1
ar_htpasswd
AR_NGINX_INGEST=$T/main.sock
ar_check "nginx starts with the ingest server block" ar_nginx_start "/auth|$T/main.sock|1"
[ "$AR_TAP_FAIL" -eq 0 ] || ar_done
# More ingest blocks (the tiny store, the 4 MiB one): the same nginx, other
# ports, the user fixed to alice.
TINY_PORT=$(ar_free_port)
SMALL_PORT=$(ar_free_port)
for b in "$TINY_PORT:tiny" "$SMALL_PORT:small"; do
	sed -i "s|^}\$|    server { listen 127.0.0.1:${b%%:*}; location / { fastcgi_pass unix:$T/${b#*:}.sock; include /etc/nginx/fastcgi_params; fastcgi_param ASYNCREQ_API ingest; fastcgi_param REMOTE_USER alice; } }\n}|" "$T/nginx/nginx.conf"
done
ar_check "nginx reloads with the two more blocks" kill -HUP "${AR_PID[nginx]}"
ar_check "the tiny store's port answers" ar_wait_port "$TINY_PORT" 10
ar_check "the 4 MiB store's port answers" ar_wait_port "$SMALL_PORT" 10

ar_py "$(cat <<'PY'
import base64, http.client, json, os, signal, subprocess, sys, time, urllib.parse
from api_test import say
u = urllib.parse.urlsplit(sys.argv[1]); master = int(sys.argv[2]); tiny = int(sys.argv[3])
small_port = int(sys.argv[4])
H = {"Authorization": "Basic " + base64.b64encode(b"alice:pw-alice").decode(),
     "Content-Type": "application/x-ndjson"}

def call(method, path, body=None, port=u.port, timeout=120):
    c = http.client.HTTPConnection(u.hostname, port, timeout=timeout)
    c.request(method, path, body=body, headers=H)
    r = c.getresponse()
    return r.status, r.read()

def count(index, port=u.port):
    for _ in range(200):
        try:
            st, data = call("GET", "/_cat/indices?format=json", port=port)
            if st == 200:
                n = [int(r["docs.count"]) for r in json.loads(data) if r["index"] == index]
                return n[0] if n else 0
        except OSError:
            pass
        time.sleep(0.05)
    return None

n = 60000
pad = "x" * 900
body = "".join('{"index":{"_index":"retry"}}\n{"@timestamp":%d,"n":%d,"pad":"%s"}\n'
               % (1796288400000 + i, i, pad) for i in range(n)).encode()

# 1. kill -9 every worker while they parse the body: nginx answers 502.
c = http.client.HTTPConnection(u.hostname, u.port, timeout=120)
c.request("POST", "/_bulk", body=body, headers=H)
time.sleep(0.3)
workers = [int(p) for p in subprocess.run(["pgrep", "-P", str(master)], capture_output=True,
                                          text=True).stdout.split()]
for p in workers:
    os.kill(p, signal.SIGKILL)
r = c.getresponse()
r.read()
say(r.status == 502 and len(workers) == 2, "workers killed mid-request: the shipper gets 502",
    r.status, workers)
say(count("retry") == 0, "nothing of the killed request was stored", count("retry"))
st, data = call("POST", "/_bulk", body)
d = json.loads(data) if st == 200 else {}
say(st == 200 and d.get("errors") is False and len(d.get("items", [])) == n,
    "the re-sent body is stored (200, %d items)" % n, st, data[:300])
say(count("retry") == n, "every event exactly once after the re-send", count("retry"))

# 2. a body of tiny items whose answer would pass 16 MiB: 413, nothing kept.
tinyitems = b'{"index":{}}\n{}\n' * 262000
st, data = call("POST", "/many/_bulk", tinyitems, port=small_port)
e = json.loads(data).get("error", {}) if data.startswith(b"{") else {}
say(st == 413 and e.get("reason", "").startswith("the answer to this many items (") and
    e.get("reason", "").endswith("would pass 16777216 bytes: nothing was stored; send fewer "
                                 "items per request"),
    "262,000 tiny items: 413, the answer would be too large", st, data[:300])
say(count("many", small_port) == 0, "nothing of them was stored", count("many", small_port))

# 3. a full event store: 503, nothing kept, the store still usable.
small = "".join('{"index":{"_index":"full"}}\n{"@timestamp":%d,"pad":"%s"}\n'
                % (1796288400000 + i, pad) for i in range(3000)).encode()
st, data = call("POST", "/_bulk", small, port=tiny)
e = json.loads(data).get("error", {}) if data.startswith(b"{") else {}
say(st == 503 and e.get("reason", "").startswith("nothing of this request was stored: event store "
    "is full (storage.events_map_size = "), "a full event store: 503 naming the limit", st, data[:300])
say(count("full", tiny) == 0, "nothing of it was stored", count("full", tiny))
st, data = call("POST", "/_bulk", b'{"index":{"_index":"full"}}\n{"@timestamp":1,"m":"fits"}\n', port=tiny)
say(st == 200 and json.loads(data).get("errors") is False and count("full", tiny) == 1,
    "a request that fits is stored afterwards", st, data)
print("END")
PY
)" "$AR_INGEST_BASE" "${AR_PID[fcgi-main]}" "$TINY_PORT" "$SMALL_PORT"

# A 2xx is a commit: kill -9 of the responder (master and workers) and of
# the runner loses nothing of what was answered 200.
retry_count() {
	curl -s -u alice:pw-alice "$AR_INGEST_BASE/_cat/indices?format=json" |
		"$AR_PYTHON" -c 'import json, sys
print(sum(int(r["docs.count"]) for r in json.load(sys.stdin) if r["index"] == "retry"))'
}
ar_check "kill -9 of asyncreq-fcgi (master and workers)" ar_stop fcgi-main KILL
ar_check "kill -9 of the runner" ar_stop runner-main KILL
ar_check "a fresh asyncreq-fcgi starts on the same storage" ar_start_fcgi main 2
ar_is "every event answered 200 is still there" "$(retry_count)" 60000

ar_done
