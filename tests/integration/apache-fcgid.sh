#!/bin/bash
# apache-fcgid.sh - the API suite (api_test.py) through a real Apache with
# mod_fcgid: Apache's process manager spawns asyncreq-fcgi -c CONF itself,
# each process serving the socket it inherits on fd 0, as on shared hosting.
#
# Mounts as in nginx.sh: /_sme/ anonymous (the shipped
# conf/apache/asyncreq-fcgid.conf, paths replaced), /auth/_sme/ with Apache's basic
# auth (REMOTE_USER: alice, bob, carol, dave, erin), /strict/_sme/ and
# /strict-auth/_sme/ to responders (another FcgidWrapper) on the same
# storage whose configuration requires a user. FcgidMaxRequestLen is above
# http.max_body_bytes, so asyncreq answers 413 itself. Apache runs from its
# own httpd.conf in the temporary directory (tests/lib/apache.sh); run as
# root, Apache, its responders and the runner run as an unprivileged account.

. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/harness.sh"
. "$AR_SRCDIR/tests/lib/apache.sh"

ar_init
ar_require_programs
if ! ar_apache_have fcgid; then
	echo "1..0 # SKIP apache2 with mod_fcgid is not installed (scripts/deps)"
	exit 0
fi

ar_conf main \
    "limits.max_active_tasks_per_user = 3" \
    "http.max_body_bytes = 4096" \
    "auth.admin_users = carol" \
    "runner.flush_ms = 20"
ar_conf strict \
    "storage.path = $T/store-main" \
    "auth.require_user = true" \
    "auth.admin_users = carol" \
    "limits.max_queued_tasks = 2" \
    "http.max_body_bytes = 4096"
ar_htpasswd
if [ "$(id -u)" = 0 ]; then
	ar_check "as root: the programs and Apache's children run as $AR_APACHE_USER" ar_apache_drop_root
fi

ar_check "asyncreq-runner starts" ar_start_runner main
# /_sme/ is conf/apache/asyncreq-fcgid.conf as shipped (paths replaced).
AR_APACHE_EXTRA=$(ar_apache_shipped asyncreq-fcgid.conf "" main)
ar_check "apache2 (mod_fcgid) starts" ar_apache_start apache fcgid \
    "/auth|main|1" "/strict|strict|0" "/strict-auth|strict|1"
[ "$AR_TAP_FAIL" -eq 0 ] || { ar_apache_diag apache; ar_done; }
ar_check "health answers 200 through Apache" \
    ar_wait_health "$AR_BASE/_sme/async_requests/health" 15
if [ "$AR_TAP_FAIL" -eq 0 ]; then
	fcgi=$(ar_apache_fcgi_prog)
	spawned() { pgrep -f "^$fcgi -c $T/main.conf" >/dev/null; }
	ar_check "mod_fcgid spawned asyncreq-fcgi processes" spawned
	if [ -n "$AR_AS_USER" ]; then
		users=$(ps -o user= -p "$(pgrep -d, -f "^$fcgi -c $T/main.conf")" | sort -u | tr -d ' \n')
		ar_is "the spawned responders run as Apache's User" "$users" "$AR_AS_USER"
	fi
	ar_http GET "$AR_BASE/auth/_sme/async_requests/status"
	ar_is "basic auth: no credentials, 401 from Apache" "$HTTP_STATUS" 401
	ar_run_api_test --base "$AR_BASE" --auth-prefix /auth \
	    --strict-prefix /strict --strict-auth-prefix /strict-auth \
	    --runner-pid "${AR_PID[runner-main]}" --max-body 4096 \
	    --conf "$T/main.conf" --cli "$AR_CLI" --gen "$AR_GEN" --data-dir "$T/data"
fi

[ "$AR_TAP_FAIL" -eq 0 ] || ar_apache_diag apache
ar_done
