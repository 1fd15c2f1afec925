#!/bin/bash
# apache-proxy-fcgi.sh - the API suite (api_test.py) through a real Apache
# with mod_proxy_fcgi, passing to asyncreq-fcgi --listen unix:... --workers 2.
#
# Mounts as in nginx.sh: /_sme/ anonymous (the shipped
# conf/apache/asyncreq-proxy-fcgi.conf, paths replaced), /auth/_sme/ with Apache's basic
# auth (REMOTE_USER: alice, bob, carol, dave, erin), /strict/_sme/ and
# /strict-auth/_sme/ to a second responder on the same storage whose
# configuration requires a user. Apache runs from its own httpd.conf in the
# temporary directory (tests/lib/apache.sh); run as root, Apache and the
# asyncreq programs run as an unprivileged account.

. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/harness.sh"
. "$AR_SRCDIR/tests/lib/apache.sh"
. "$AR_SRCDIR/tests/lib/page.sh"

ar_init
ar_require_programs
if ! ar_apache_have proxy proxy_fcgi; then
	echo "1..0 # SKIP apache2 with mod_proxy_fcgi is not installed (scripts/deps)"
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
ar_check "asyncreq-fcgi (2 workers) listens on a unix socket" ar_start_fcgi main 2
ar_check "asyncreq-fcgi with auth.require_user listens" ar_start_fcgi strict 1
# /_sme/ is conf/apache/asyncreq-proxy-fcgi.conf as shipped (paths replaced).
# / is the search page, conf/apache/asyncreq-www.conf as shipped.
AR_APACHE_EXTRA="$(ar_apache_shipped asyncreq-proxy-fcgi.conf "$T/main.sock" main)
$(ar_apache_shipped asyncreq-www.conf "$T/main.sock" main)"
ar_check "apache2 (mod_proxy_fcgi) starts" ar_apache_start apache proxy \
    "/auth|$T/main.sock|1" \
    "/strict|$T/strict.sock|0" "/strict-auth|$T/strict.sock|1"
[ "$AR_TAP_FAIL" -eq 0 ] || { ar_apache_diag apache; ar_done; }
ar_check "health answers 200 through Apache" \
    ar_wait_health "$AR_BASE/_sme/async_requests/health" 15
if [ "$AR_TAP_FAIL" -eq 0 ]; then
	ar_http GET "$AR_BASE/auth/_sme/async_requests/status"
	ar_is "basic auth: no credentials, 401 from Apache" "$HTTP_STATUS" 401
	ar_check_page "$AR_BASE"
	ar_run_api_test --base "$AR_BASE" --auth-prefix /auth \
	    --strict-prefix /strict --strict-auth-prefix /strict-auth \
	    --runner-pid "${AR_PID[runner-main]}" --max-body 4096 \
	    --conf "$T/main.conf" --cli "$AR_CLI" --gen "$AR_GEN" --data-dir "$T/data"
fi

[ "$AR_TAP_FAIL" -eq 0 ] || ar_apache_diag apache
ar_done
