#!/bin/bash
# fairness.sh - one user's long tasks do not hold back another's (issue
# 10, defect 4), behind nginx with basic auth (REMOTE_USER): with the
# default runner.max_concurrent = 2 and runner.max_running_per_user (0:
# max(1, 2 / 2) = 1), alice queues three long tasks, then bob's `|
# makeresults count=1` ends DONE while alice's tasks are still RUNNING (one,
# her cap) and QUEUED (two, with a slot free); breaks then end all three.
# Before fair claiming, bob's task waited behind alice's three, that is
# until two of them ended (here: about 1,000 s).

. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/harness.sh"

ar_init
ar_require_programs

# A long task: 10^9 events into stats, one result at the end. The bound
# on makeresults is raised so the task is allowed whatever it is capped by.
ar_conf main "runner.max_concurrent = 2" "limits.max_qsize = 1000000000"
ar_check "asyncreq-runner starts" ar_start_runner main
ar_check "asyncreq-fcgi listens" ar_start_fcgi main 2
ar_htpasswd
ar_check "nginx starts (basic auth under /auth)" ar_nginx_start "|$T/main.sock|0" \
    "/auth|$T/main.sock|1"
ar_check "health answers 200" ar_wait_health "$AR_BASE/_sme/async_requests/health" 15
[ "$AR_TAP_FAIL" -eq 0 ] || ar_done

U=$AR_BASE/auth/_sme/async_requests
LONG='{"query": "| makeresults count=1000000000 | stats count"}'
FINAL='d.get("status") in ("DONE", "FAILED", "CANCELLED")'

# post USER PATH [BODY]: a state-changing POST as USER, with the headers the
# API wants of one (Content-Type on a body, X-Requested-With); sets
# HTTP_STATUS and HTTP_BODY.
post() {
	local args=(-s -o "$T/post.out" -w '%{http_code}' -u "$1:pw-$1"
	    -H 'X-Requested-With: asyncreq' -X POST)
	[ $# -gt 2 ] && args+=(-H 'Content-Type: application/json' --data-binary "$3")
	HTTP_STATUS=$(curl "${args[@]}" "$U/$2")
	HTTP_BODY=$(cat "$T/post.out")
}

# states USER ID...: prints the status of each task, as a JSON list.
states() {
	local user=$1 id out=()
	shift
	for id in "$@"; do
		ar_http GET "$U/status/$id" "" "$user"
		out+=("\"$(ar_json 'd["status"]')\"")
	done
	local IFS=,
	echo "[${out[*]}]"
}

A=()
for i in 1 2 3; do
	post alice request "$LONG"
	ar_is "alice's long task $i: created" "$HTTP_STATUS" 201
	A+=("$(ar_json 'd["id"]')")
done
if ar_wait_json "$U/status/${A[0]}" 20 'd["status"] == "RUNNING"' alice; then
	ar_ok "alice's first long task RUNNING"
else
	ar_not_ok "alice's first long task RUNNING" "$HTTP_STATUS $HTTP_BODY"
fi

post bob request '{"query": "| makeresults count=1"}'
ar_is "bob's makeresults count=1: created" "$HTTP_STATUS" 201
B=$(ar_json 'd["id"]')
if ar_wait_json "$U/status/$B" 20 "$FINAL" bob; then
	ar_is "bob's task ends DONE with 1 result, within 20 s" \
	    "$(ar_json '[d["status"], d["resultCount"]]')" '["DONE", 1]'
else
	ar_not_ok "bob's task ends DONE with 1 result, within 20 s" \
	    "still: $HTTP_STATUS $HTTP_BODY"
fi
ar_is "meanwhile alice's tasks: one RUNNING (her cap), two QUEUED" \
    "$(states alice "${A[@]}")" '["RUNNING","QUEUED","QUEUED"]'
ar_http GET "$U/response/$B" "" bob
ar_is "bob's result: one event" "$HTTP_STATUS $(ar_json '[sorted(e) for e in d["events"]]')" \
    '200 [["@timestamp"]]'

# Alice's tasks end fast: a break each.
for id in "${A[@]}"; do
	post alice "break/$id"
	case $HTTP_STATUS in
	200 | 202) ar_ok "break of alice's task ($HTTP_STATUS)" ;;
	*) ar_not_ok "break of alice's task" "$HTTP_STATUS $HTTP_BODY" ;;
	esac
done
for id in "${A[@]}"; do
	ar_wait_json "$U/status/$id" 15 "$FINAL" alice
done
ar_is "alice's tasks all CANCELLED" "$(states alice "${A[@]}")" \
    '["CANCELLED","CANCELLED","CANCELLED"]'
ar_http GET "$U/status?status=RUNNING" "" alice
ar_is "alice has no task left RUNNING" \
    "$HTTP_STATUS $(ar_json 'd["tasks"]')" "200 []"

ar_done
