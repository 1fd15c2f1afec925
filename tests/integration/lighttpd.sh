#!/bin/bash
# lighttpd.sh - the API suite (api_test.py) through a real lighttpd, in both
# ways lighttpd runs a FastCGI application:
#
#  1. "bin-path": lighttpd spawns asyncreq-fcgi itself and hands it the
#     listening socket on fd 0 (no --listen) - the full suite;
#  2. "socket": lighttpd connects to asyncreq-fcgi --listen unix:... started
#     on its own - the full suite again.
#
# Mounts as in nginx.sh: /_sme/ anonymous, /auth/_sme/ with basic auth,
# /strict/_sme/ and /strict-auth/_sme/ to a responder requiring a user.

. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/harness.sh"
. "$AR_SRCDIR/tests/lib/page.sh"

ar_init
ar_require_programs
ar_htpasswd

confs() {	# SUFFIX: the main and strict configurations of one mode
	ar_conf "main$1" \
	    "limits.max_active_tasks_per_user = 3" \
	    "http.max_body_bytes = 4096" \
	    "auth.admin_users = carol" \
	    "runner.flush_ms = 20" \
	    "runner.page_bytes = 16KiB"
	ar_conf "strict$1" \
	    "storage.path = $T/store-main$1" \
	    "auth.require_user = true" \
	    "auth.admin_users = carol" \
	    "limits.max_queued_tasks = 2" \
	    "http.max_body_bytes = 4096"
}

# ---- mode 1: bin-path (lighttpd spawns asyncreq-fcgi on fd 0)
echo "# lighttpd mode 1: bin-path"
confs 1
ar_check "bin-path: asyncreq-runner starts" ar_start_runner main1
ar_check "bin-path: lighttpd starts and spawns asyncreq-fcgi" ar_lighttpd_start lighttpd1 \
    "|bin:main1|0" "/auth|bin:main1|1" "/strict|bin:strict1|0" "/strict-auth|bin:strict1|1"
ar_check "bin-path: health answers 200 through lighttpd" \
    ar_wait_health "$AR_BASE/_sme/async_requests/health" 15
if [ "$AR_TAP_FAIL" -eq 0 ]; then
	ar_check "bin-path: lighttpd spawned asyncreq-fcgi processes" \
	    test -n "$(pgrep -P "${AR_PID[lighttpd1]}")"
	mkdir -p "$T/data1"
	ar_run_api_test --base "$AR_BASE" --auth-prefix /auth \
	    --strict-prefix /strict --strict-auth-prefix /strict-auth \
	    --runner-pid "${AR_PID[runner-main1]}" --max-body 4096 \
	    --conf "$T/main1.conf" --cli "$AR_CLI" --gen "$AR_GEN" --data-dir "$T/data1"
fi
ar_stop lighttpd1
ar_stop runner-main1

# ---- mode 2: socket (asyncreq-fcgi --listen started on its own)
echo "# lighttpd mode 2: external socket"
confs 2
ar_check "socket: asyncreq-runner starts" ar_start_runner main2
ar_check "socket: asyncreq-fcgi listens" ar_start_fcgi main2 2
ar_check "socket: asyncreq-fcgi with auth.require_user listens" ar_start_fcgi strict2 1
# / is the search page: conf/lighttpd/asyncreq-www.conf as shipped.
sed "s#/usr/share/asyncreq/www#$AR_SRCDIR/www#g" "$AR_SRCDIR/conf/lighttpd/asyncreq-www.conf" >"$T/www.conf"
AR_LIGHTTPD_EXTRA="include \"$T/www.conf\""
ar_check "socket: lighttpd starts" ar_lighttpd_start lighttpd2 \
    "|socket:$T/main2.sock|0" "/auth|socket:$T/main2.sock|1" \
    "/strict|socket:$T/strict2.sock|0" "/strict-auth|socket:$T/strict2.sock|1"
if ar_wait_health "$AR_BASE/_sme/async_requests/health" 15; then
	ar_ok "socket: health answers 200 through lighttpd"
	ar_check_page "$AR_BASE" "socket: the search page"
	mkdir -p "$T/data2"
	ar_run_api_test --base "$AR_BASE" --auth-prefix /auth \
	    --strict-prefix /strict --strict-auth-prefix /strict-auth \
	    --runner-pid "${AR_PID[runner-main2]}" --max-body 4096 \
	    --conf "$T/main2.conf" --cli "$AR_CLI" --gen "$AR_GEN" --data-dir "$T/data2"
else
	ar_not_ok "socket: health answers 200 through lighttpd" "last answer: $HTTP_STATUS $HTTP_BODY"
fi

ar_done
