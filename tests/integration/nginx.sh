#!/bin/bash
# nginx.sh - the API suite (api_test.py) through a real nginx.
#
# nginx (master + workers) on a free loopback port passes /_sme/ (anonymous),
# /auth/_sme/ (basic auth: alice, bob, carol, dave, erin) to asyncreq-fcgi
# --listen unix:... --workers 2, and /strict/_sme/, /strict-auth/_sme/ to a
# second responder on the same storage whose configuration requires a user.

. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/harness.sh"

ar_init
ar_require_programs

ar_conf main \
    "limits.max_active_tasks_per_user = 3" \
    "http.max_body_bytes = 4096" \
    "auth.admin_users = carol" \
    "runner.flush_ms = 20" \
    "runner.page_bytes = 16KiB"
ar_conf strict \
    "storage.path = $T/store-main" \
    "auth.require_user = true" \
    "auth.admin_users = carol" \
    "limits.max_queued_tasks = 2" \
    "http.max_body_bytes = 4096"
ar_htpasswd

ar_check "asyncreq-runner starts" ar_start_runner main
ar_check "asyncreq-fcgi (2 workers) listens on a unix socket" ar_start_fcgi main 2
ar_check "asyncreq-fcgi with auth.require_user listens" ar_start_fcgi strict 1
ar_check "nginx starts" ar_nginx_start \
    "|$T/main.sock|0" "/auth|$T/main.sock|1" \
    "/strict|$T/strict.sock|0" "/strict-auth|$T/strict.sock|1"
ar_check "health answers 200 through nginx" \
    ar_wait_health "$AR_BASE/_sme/async_requests/health" 15
[ "$AR_TAP_FAIL" -eq 0 ] || ar_done

# A client that sends credentials where nginx checks none stays anonymous.
owner=$(curl -s -u mallory:x -XPOST "$AR_BASE/_sme/async_requests/request" \
    -H 'Content-Type: application/json' \
    -d '{"query": "| makeresults"}' | python3 -c '
import json, sys, urllib.request
tid = json.load(sys.stdin)["id"]
print(json.load(urllib.request.urlopen(sys.argv[1] + tid))["owner"])' \
    "$AR_BASE/_sme/async_requests/status/")
ar_is "unchecked Authorization header: the task owner is anonymous" \
    "$owner" anonymous

ar_run_api_test --base "$AR_BASE" --auth-prefix /auth \
    --strict-prefix /strict --strict-auth-prefix /strict-auth \
    --runner-pid "${AR_PID[runner-main]}" --max-body 4096 \
    --conf "$T/main.conf" --cli "$AR_CLI" --gen "$AR_GEN" --data-dir "$T/data"

ar_done
