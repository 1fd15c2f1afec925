#!/usr/bin/env bash
# index-access.sh - auth.index_access_file behind nginx: the rules of a file
# (comments, blank lines, several rules a line) decide what each user's
# `source *` reads and which indices GET /_cat/indices (text and JSON) and
# /_cluster/health show (admins all, a writer in no rule none); an edit of
# the file reaches queries at once and the listings on SIGHUP; a bad line
# stops the programs with FILE:LINE and leaves a reload on the old rules.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/harness.sh"

ar_init
ar_require_programs
cat >"$T/access.rules" <<'EOF'
# who reads what (tests/integration/index-access.sh)

alice = web-*        # the web team
bob=db-*,app; dave=nothing-yet
EOF
ar_conf main 'auth.admin_users = "carol"' 'auth.ingest_users = "alice, erin"' \
    'auth.index_access_file = access.rules'
C=$T/main.conf
mkdir -p "$T/data"
NOW=$(date +%s)
n=0
for ix in web-1:2 web-2:1 db-1:2 app:1 other:1; do
	: >"$T/data/${ix%:*}.ndjson"
	for _ in $(seq "${ix#*:}"); do
		n=$((n + 1))
		printf '{"@timestamp":%d,"n":%d}\n' $((NOW - 60 + n)) $n >>"$T/data/${ix%:*}.ndjson"
	done
	ar_check "ingest ${ix%:*}" ar_ingest main "${ix%:*}" "$T/data/${ix%:*}.ndjson"
done
# web-1: n 1 2, web-2: 3, db-1: 4 5, app: 6, other: 7

# ------------------------------------------------------- a bad file stops them
printf 'alice=web-*\n\nbob=db/1\n' >"$T/bad.rules"
ar_conf bad 'auth.index_access_file = bad.rules'
ar_is "a bad line: the CLI names the file and line, exit 1" \
    "$("$AR_CLI" -c "$T/bad.conf" indices 2>&1; echo "rc=$?")" \
    "asyncreq: $T/bad.conf: auth.index_access_file: $T/bad.rules:3: an index pattern holds a character index names cannot (letters, digits, '.', '_', '-' and '*') (at \"bob=db/1\")
rc=1"
ar_is "asyncreq-fcgi does not start on it" \
    "$("$AR_FCGI" -c "$T/bad.conf" --listen "unix:$T/bad.sock" 2>&1 | grep -c "$T/bad.rules:3: an index pattern"; echo "rc=${PIPESTATUS[0]}")" \
    "1
rc=1"
ar_conf gone 'auth.index_access_file = /nonexistent/access.rules'
ar_is "a missing file: the same" "$("$AR_CLI" -c "$T/gone.conf" indices 2>&1; echo "rc=$?")" \
    "asyncreq: $T/gone.conf: auth.index_access_file: /nonexistent/access.rules: No such file or directory
rc=1"

ar_check "runner starts" ar_start_runner main
ar_check "asyncreq-fcgi listens" ar_start_fcgi main 2
ar_htpasswd
AR_NGINX_INGEST=$T/main.sock
ar_check "nginx starts with the ingest server block" ar_nginx_start "/auth|$T/main.sock|1"
[ "$AR_TAP_FAIL" -eq 0 ] || ar_done

ar_py "$(cat <<'PY'
import base64, http.client, json, os, signal, sys, time, urllib.parse
from api_test import say
ingest, api, rules, fcgi_pid = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
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


def search(user, q="source *"):
    st, d = call(AU, "POST", "/auth/_sme/async_requests/request", user,
                 json.dumps({"query": q, "dtStart": "2000-01-01T00:00:00Z", "dtEnd": "2100-01-01T00:00:00Z"}))
    tid = json.loads(d)["id"]
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        st, d = call(AU, "GET", "/auth/_sme/async_requests/status/" + tid, user)
        s = json.loads(d)
        if s["status"] in ("DONE", "FAILED", "CANCELLED"):
            break
        time.sleep(0.02)
    st, d = call(AU, "GET", "/auth/_sme/async_requests/response/" + tid, user)
    r = json.loads(d)
    return r.get("status"), sorted(e["n"] for e in r.get("events", [])), s.get("error")


def cat(user, fmt="?format=json"):
    st, d = call(IU, "GET", "/_cat/indices" + fmt, user)
    if st != 200 or not fmt:
        return st, d
    return st, [(i["index"], i["docs.count"]) for i in json.loads(d)]


def shards(user):
    st, d = call(IU, "GET", "/_cluster/health", user)
    return st, json.loads(d).get("active_shards")


for user, want, name in [
        ("alice", [1, 2, 3], "alice (alice = web-*): source * reads web-1 and web-2"),
        ("bob", [4, 5, 6], "bob (bob=db-*,app on a line with dave's rule): db-1 and app"),
        ("dave", [], "dave (dave=nothing-yet): nothing"),
        ("erin", [], "erin (a writer in no rule): nothing"),
        ("carol", [1, 2, 3, 4, 5, 6, 7], "carol (admin): every index")]:
    st, got, _ = search(user)
    say(st == "DONE" and got == want, name, st, got)

say(cat("alice") == (200, [("web-1", "2"), ("web-2", "1")]),
    "GET /_cat/indices?format=json as alice: web-1 and web-2 only", cat("alice"))
say(cat("erin") == (200, []), "as erin (a writer in no rule): none", cat("erin"))
say(cat("carol") == (200, [("app", "1"), ("db-1", "2"), ("other", "1"), ("web-1", "2"), ("web-2", "1")]),
    "as carol (admin): all five", cat("carol"))
st, d = cat("alice", "")
say(st == 200 and [l.split()[2] for l in d.splitlines()] == ["web-1", "web-2"],
    "GET /_cat/indices (text) as alice: web-1 and web-2 only", st, d)
st, d = cat("bob")
say(st == 403, "as bob (a reader, no writer): 403 as before", st, d)
say(shards("alice") == (200, 2) and shards("erin") == (200, 0),
    "/_cluster/health (for writers) counts the indices each may read (2, 0)",
    shards("alice"), shards("erin"))

# An edit reaches the next query with no restart; the listings on SIGHUP.
with open(rules + ".new", "w") as f:
    f.write("alice=web-2, app\nbob=db-*,app\n")
os.rename(rules + ".new", rules)
st, got, _ = search("alice")
say(st == "DONE" and got == [3, 6], "after an edit alice's next query reads web-2 and app", st, got)
say(cat("alice") == (200, [("web-1", "2"), ("web-2", "1")]),
    "her listing is the old one until SIGHUP", cat("alice"))
os.kill(fcgi_pid, signal.SIGHUP)
deadline = time.monotonic() + 20
while time.monotonic() < deadline and cat("alice") != (200, [("app", "1"), ("web-2", "1")]):
    time.sleep(0.05)
say(cat("alice") == (200, [("app", "1"), ("web-2", "1")]),
    "after SIGHUP her listing is app and web-2", cat("alice"))

# A bad edit: queries fail with the file and line; a reload keeps the old rules.
with open(rules + ".new", "w") as f:
    f.write("alice=web-2, app\n# oops\nbob\n")
os.rename(rules + ".new", rules)
st, got, err = search("alice")
want = "auth.index_access_file: %s:3: a rule is USER=PATTERN[,PATTERN...] (at \"bob\")" % rules
say(st == "FAILED" and err == want, "a bad line fails the next query, naming file and line",
    st, got, err)
os.kill(fcgi_pid, signal.SIGHUP)
print("END")
PY
)" "$AR_INGEST_BASE" "$AR_BASE" "$T/access.rules" "${AR_PID[fcgi-main]}"

kept() { grep -q "reload failed, keeping the running configuration: $C: auth.index_access_file: $T/access.rules:3: a rule is" "$T/logs/fcgi-main.log"; }
ar_check "the reload failed and says why" ar_wait_until 20 kept
ar_is "and alice's listing is still app and web-2" \
    "$(curl -s -u alice:pw-alice "$AR_INGEST_BASE/_cat/indices" | awk '{ print $3 }' | tr '\n' ' ')" "app web-2 "
ar_done
