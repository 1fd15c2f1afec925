#!/bin/bash
# hostile.sh - requests an attacker or a careless client would send, through
# a real nginx (issue 10, defects 5 to 7), and a master killed with -9.
#
# - Text that is not UTF-8 (path, query string, REMOTE_USER) is refused
#   with a clear error that does not quote it, and every JSON body the
#   service writes is valid UTF-8, also when a message cuts a quoted text
#   inside a character.
# - Cross-site request forgery: a body must be typed application/json
#   (415), a state change without a body needs X-Requested-With or a
#   same-origin Origin (403).
# - An admin's break says who cancelled the task.
# - kill -9 of the asyncreq-fcgi master: its workers exit, and a fresh
#   master serves on the same socket and storage.
#
# Every reply is checked to be strict UTF-8 JSON (Python, errors="strict").

. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/harness.sh"

ar_init
ar_require_programs

ar_conf main "auth.admin_users = carol" "runner.flush_ms = 20" \
    "runner.max_concurrent = 2" "limits.max_qsize = 1000000000"
ar_htpasswd
# A user whose name is not UTF-8: nginx checks the bytes against this
# file and passes them on as REMOTE_USER.
printf '\xff\xfeuser:%s\n' "$(openssl passwd -apr1 pw-bad)" >>"$T/htpasswd"

ar_check "asyncreq-runner starts" ar_start_runner main
ar_check "asyncreq-fcgi (2 workers) listens" ar_start_fcgi main 2
ar_check "nginx starts" ar_nginx_start "|$T/main.sock|0" "/auth|$T/main.sock|1"
ar_check "health answers 200 through nginx" \
    ar_wait_health "$AR_BASE/_sme/async_requests/health" 15
[ "$AR_TAP_FAIL" -eq 0 ] || ar_done

API=/_sme/async_requests
A=/auth$API

# hx METHOD PATH [OPTION...]: one raw request; prints "STATUS BODY" where
# BODY is the reply when it is strict UTF-8 JSON, or "NOT-JSON: <why>".
# Options: user=NAME (basic auth; NAME may hold \xHH escapes, password
# pw-NAME, or pw-bad for the non-UTF-8 user), body=TEXT (\xHH escapes
# allowed), H=Name:value (a header; repeatable).
hx() {
	"$AR_PYTHON" - "$AR_PORT" "$@" <<'EOF'
import base64, codecs, http.client, json, sys
port, method, path = int(sys.argv[1]), sys.argv[2], sys.argv[3]
h, body = {}, None
def unesc(s):
    return codecs.escape_decode(s.encode())[0]
for opt in sys.argv[4:]:
    k, v = opt.split("=", 1)
    if k == "user":
        name = unesc(v)
        pw = b"pw-" + name if name.isascii() else b"pw-bad"
        h["Authorization"] = "Basic " + base64.b64encode(name + b":" + pw).decode()
    elif k == "body":
        body = unesc(v)
    elif k == "H":
        n, val = v.split(":", 1)
        h[n] = val
c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
c.putrequest(method, path, skip_accept_encoding=True)
for n, val in h.items():
    c.putheader(n, val)
if body is not None:
    c.putheader("Content-Length", str(len(body)))
elif method in ("POST", "PUT", "DELETE"):
    c.putheader("Content-Length", "0")
c.endheaders(body)
r = c.getresponse()
raw = r.read()
try:
    text = raw.decode("utf-8", "strict")
    json.loads(text)
    out = text
except Exception as e:
    out = "NOT-JSON: %s: %r" % (type(e).__name__, raw[:200])
print(r.status, out)
EOF
}

# is_reply NAME GOT EXPECTED: ar_is for "STATUS BODY" lines.
is_reply() { ar_is "$@"; }

err() {	# STATUS TYPE REASON: the exact error envelope
	printf '%s {"error":{"type":"%s","reason":"%s"},"status":%s}' \
	    "$1" "$2" "$3" "$1"
}

# json_ok REPLY: true when REPLY's body is strict UTF-8 JSON
json_ok() { case $1 in *NOT-JSON:*) return 1 ;; esac; return 0; }

XRW=H=X-Requested-With:asyncreq
JS=H=Content-Type:application/json

# ------------------------------------------------ 5. text that is not UTF-8
is_reply "status/%ff%fe: 400, path is not valid UTF-8" \
    "$(hx GET "$A/status/%ff%fe" user=alice)" \
    "$(err 400 illegal_argument_exception "path is not valid UTF-8")"
is_reply "status?status=%ff: 400, query string is not valid UTF-8" \
    "$(hx GET "$A/status?status=%ff" user=alice)" \
    "$(err 400 illegal_argument_exception "query string is not valid UTF-8")"
is_reply "unknown path with %ff: 400, path is not valid UTF-8" \
    "$(hx GET "$API/nope%ff")" \
    "$(err 400 illegal_argument_exception "path is not valid UTF-8")"
is_reply "path outside the API with %ff: 400, not quoted" \
    "$(hx GET "/_sme/x%c0%af")" \
    "$(err 400 illegal_argument_exception "path is not valid UTF-8")"
is_reply "unknown query parameter name %fe: 400, not quoted" \
    "$(hx GET "$A/status?%fe=1" user=alice)" \
    "$(err 400 illegal_argument_exception "query string is not valid UTF-8")"
is_reply "REMOTE_USER \\xff\\xfeuser: status list 403" \
    "$(hx GET "$A/status" 'user=\xff\xfeuser')" \
    "$(err 403 security_exception "the user name (REMOTE_USER) is not valid UTF-8")"
is_reply "REMOTE_USER \\xff\\xfeuser: create 403, nothing stored" \
    "$(hx POST "$A/request" 'user=\xff\xfeuser' "$JS" 'body={"query":"| makeresults"}')" \
    "$(err 403 security_exception "the user name (REMOTE_USER) is not valid UTF-8")"
r=$(hx GET "$A/status" user=carol)
ar_check "admin's status list is strict UTF-8 JSON" json_ok "$r"
ar_is "admin's status list: 200, no task of \\xff\\xfeuser" \
    "$(printf '%s' "$r" | cut -c1-3) $(printf '%s' "${r#* }" | "$AR_PYTHON" -c '
import json, sys
try:
    d = json.load(sys.stdin)
except ValueError:
    sys.exit("not JSON")
print(sum(1 for t in d.get("tasks", []) if t["owner"] not in ("alice", "bob", "carol", "anonymous")))')" \
    "200 0"
# Bodies: Jansson refuses bytes that are not UTF-8.
is_reply "create body with \\xff in a string: 400 parse_exception" \
    "$(hx POST "$A/request" user=alice "$JS" 'body={"query":"| makeresults \xff"}')" \
    "$(err 400 parse_exception "request body is not valid JSON: unable to decode byte 0xff near '\\\"| makeresults ' at line 1, column 24")"
for b in '{"query":"| makeresults \\ud800"}' '{"query":"| makeresults \xed\xa0\x80"}' \
    '{"query":"| makeresults \xc0\xaf"}'; do
	r=$(hx POST "$A/request" user=alice "$JS" "body=$b")
	ar_check "create body $b: strict UTF-8 JSON" json_ok "$r"
	ar_is "create body $b: 400 parse_exception" \
	    "${r%% *} $(ar_json 'd["error"]["type"]' "${r#* }")" "400 parse_exception"
done
# Messages that quote request text cut it at a byte count: a cut inside a
# character must not make the reply invalid.
long=a$("$AR_PYTHON" -c 'print("\u00e9" * 150)')
r=$(hx POST "$A/request" user=alice "$JS" "body={\"query\":\"| makeresults\",\"dtStart\":\"$long\"}")
ar_check "dtStart of 301 bytes cut inside a character: strict UTF-8 JSON" json_ok "$r"
ar_is "dtStart of 301 bytes: 400" "${r%% *}" 400
r=$(hx GET "$A/status?$("$AR_PYTHON" -c 'import urllib.parse; print(urllib.parse.quote("a" + "\u00e9" * 80))')=1" user=alice)
ar_check "unknown query parameter of 161 bytes cut inside a character: strict UTF-8 JSON" json_ok "$r"
ar_is "unknown query parameter of 161 bytes: 400" "${r%% *}" 400
r=$(hx GET "$A/status/$("$AR_PYTHON" -c 'import urllib.parse; print(urllib.parse.quote("a" + "\u00e9" * 40))')" user=alice)
ar_check "task id of 81 bytes cut inside a character: strict UTF-8 JSON" json_ok "$r"
ar_is "task id of 81 bytes: 404" "${r%% *}" 404
r=$(hx POST "$A/request" user=alice "$JS" "body={\"query\":\"| nosuchcommand$long\"}")
ar_check "SML error quoting a long non-ASCII query: strict UTF-8 JSON" json_ok "$r"
ar_is "SML error quoting a long non-ASCII query: 400" "${r%% *}" 400

# ------------------------------------------------ 7. cross-site requests
ORIGIN=http://127.0.0.1:$AR_PORT
is_reply "create with Content-Type text/plain: 415" \
    "$(hx POST "$A/request" user=alice H=Content-Type:text/plain 'body={"query":"| makeresults"}')" \
    "$(err 415 unsupported_media_type "the request body must be sent with Content-Type: application/json")"
is_reply "create without Content-Type: 415" \
    "$(hx POST "$A/request" user=alice 'body={"query":"| makeresults"}')" \
    "$(err 415 unsupported_media_type "the request body must be sent with Content-Type: application/json (no Content-Type was given)")"
is_reply "create as a form: 415" \
    "$(hx POST "$A/request" user=alice H=Content-Type:application/x-www-form-urlencoded 'body=query=%7C+makeresults')" \
    "$(err 415 unsupported_media_type "the request body must be sent with Content-Type: application/json")"
r=$(hx POST "$A/request" user=alice "H=Content-Type:Application/JSON; charset=utf-8" 'body={"query":"| makeresults count=100000000"}')
ar_is "create with application/json; charset=utf-8: 201" "${r%% *}" 201
T1=$(printf '%s' "${r#* }" | "$AR_PYTHON" -c 'import json,sys; print(json.load(sys.stdin)["id"])' 2>/dev/null)
is_reply "form-encoded break: 415" \
    "$(hx POST "$A/break" user=alice H=Content-Type:application/x-www-form-urlencoded 'body=a=1')" \
    "$(err 415 unsupported_media_type "the request body must be sent with Content-Type: application/json")"
csrf_reason="cross-site request refused: a request that changes state must send an X-Requested-With header (any value) or a same-origin Origin header"
is_reply "break without X-Requested-With or Origin: 403" \
    "$(hx POST "$A/break" user=alice)" "$(err 403 security_exception "$csrf_reason")"
is_reply "break/{id} without X-Requested-With or Origin: 403" \
    "$(hx POST "$A/break/$T1" user=alice)" "$(err 403 security_exception "$csrf_reason")"
is_reply "break/{id} with a foreign Origin: 403" \
    "$(hx POST "$A/break/$T1" user=alice H=Origin:http://127.0.0.2:$AR_PORT)" \
    "$(err 403 security_exception "cross-site request refused: the Origin header is not the origin of this service; send X-Requested-With or a same-origin Origin header")"
is_reply "delete/{id} without X-Requested-With or Origin: 403" \
    "$(hx DELETE "$A/delete/$T1" user=alice)" "$(err 403 security_exception "$csrf_reason")"
is_reply "file_download with text/plain: 415" \
    "$(hx POST "$A/file_download/$T1" user=alice H=Content-Type:text/plain 'body={"file_name":"x","file_type":"csv"}')" \
    "$(err 415 unsupported_media_type "the request body must be sent with Content-Type: application/json")"
ar_wait_json "$AR_BASE$A/status/$T1" 20 'd["status"] == "RUNNING"' alice
ar_is "the task is untouched by the refused requests: RUNNING" "$(ar_json 'd["status"]')" RUNNING
r=$(hx GET "$A/status/$T1" user=alice)
ar_is "GET needs no extra header: 200" "${r%% *}" 200

r=$(hx POST "$A/break/$T1" user=alice "$XRW")
ar_check "break/{id} with X-Requested-With: 200 or 202" \
    test "${r%% *}" = 200 -o "${r%% *}" = 202
ar_wait_json "$AR_BASE$A/status/$T1" 20 'd["status"] == "CANCELLED"' alice
ar_is "break/{id} with X-Requested-With: CANCELLED" "$(ar_json 'd["status"]')" CANCELLED
# Each of these tasks writes results as fast as it can until it stops:
# delete the first once checked, so that a slow run cannot fill the task
# store before the last is stopped (T3 is read back after a restart below).
hx DELETE "$A/delete/$T1" user=alice "$XRW" >/dev/null

# ------------------------------------------------ break by an admin: who
r=$(hx POST "$A/request" user=alice "$JS" 'body={"query":"| makeresults count=100000000"}')
T3=$(printf '%s' "${r#* }" | "$AR_PYTHON" -c 'import json,sys; print(json.load(sys.stdin)["id"])' 2>/dev/null)
ar_wait_json "$AR_BASE$A/status/$T3" 20 'd["status"] == "RUNNING"' alice
r=$(hx POST "$A/break/$T3" user=carol "H=Origin:$ORIGIN")
ar_check "admin's break/{id} with a same-origin Origin: 200 or 202" \
    test "${r%% *}" = 200 -o "${r%% *}" = 202
ar_wait_json "$AR_BASE$A/status/$T3" 20 'd["status"] == "CANCELLED"' alice
ar_is "admin's break: error 'cancelled by admin carol'" \
    "$(ar_json 'd["status"] + " " + d["error"]')" "CANCELLED cancelled by admin carol"
ar_http GET "$AR_BASE$A/logs/$T3" "" alice
ar_is "admin's break: the task log says who" \
    "$(ar_json '[l["message"] for l in d["logs"] if "cancel" in l["message"]][0]')" \
    "cancelled by admin carol: cancellation requested"
r=$(hx POST "$A/request" user=alice "$JS" 'body={"query":"| makeresults count=100000000"}')
T2=$(printf '%s' "${r#* }" | "$AR_PYTHON" -c 'import json,sys; print(json.load(sys.stdin)["id"])' 2>/dev/null)
ar_wait_json "$AR_BASE$A/status/$T2" 20 'd["status"] == "RUNNING"' alice
r=$(hx POST "$A/break/$T2" user=alice "$XRW")
ar_check "owner's break/{id} with X-Requested-With: 200 or 202" \
    test "${r%% *}" = 200 -o "${r%% *}" = 202
ar_wait_json "$AR_BASE$A/status/$T2" 20 'd["status"] == "CANCELLED"' alice
ar_is "owner's break: error 'cancelled by the user'" \
    "$(ar_json 'd["status"] + " " + d["error"]')" "CANCELLED cancelled by the user"
is_reply "delete/{id} with a same-origin Origin: 200" \
    "$(hx DELETE "$A/delete/$T2" user=alice "H=Origin:$ORIGIN")" \
    "200 {\"id\":\"$T2\",\"deleted\":true}"
is_reply "break (all) with X-Requested-With: 200" \
    "$(hx POST "$A/break" user=alice "$XRW")" '200 {"cancelled":[]}'

# ------------------------------------------------ 6. kill -9 of the master
master=${AR_PID[fcgi-main]}
workers=$(pgrep -P "$master" | tr '\n' ' ')
ar_is "the master has 2 workers" "$(echo $workers | wc -w)" 2
{ kill -KILL "$master"; wait "$master"; } 2>/dev/null
workers_gone() {
	local p
	for p in $workers; do
		kill -0 "$p" 2>/dev/null && ! ar_is_zombie "$p" && return 1
	done
	return 0
}
if ar_wait_until 10 workers_gone; then
	ar_ok "after kill -9 of the master every worker exits (10 s)"
else
	ar_not_ok "after kill -9 of the master every worker exits (10 s)" \
	    "still alive: $(for p in $workers; do kill -0 "$p" 2>/dev/null && echo -n "$p "; done)"
fi
ar_spawn fcgi-again "$AR_FCGI" -c "$T/main.conf" --listen "unix:$T/main.sock" --workers 2
ar_check "a fresh master serves on the same socket and storage" \
    ar_wait_health "$AR_BASE$API/health" 15
r=$(hx GET "$A/status/$T3" user=alice)
ar_is "the fresh master reads the storage: the cancelled task" \
    "${r%% *} $(printf '%s' "${r#* }" | "$AR_PYTHON" -c 'import json,sys; print(json.load(sys.stdin)["status"])')" \
    "200 CANCELLED"

ar_done
