#!/usr/bin/env bash
# browser.sh - the search page (www/) in headless Chromium behind nginx.
#
# nginx on a free loopback port serves www/ at /, /sub/ (anonymous) and
# /auth/ (basic auth: alice), each with its _sme/ passed to asyncreq-fcgi,
# over 20,000 demo events of scripts/gen-events in sysmon_operational-demo
# (the last 23 hours). tests/browser/search.test.mjs then drives Debian's
# chromium with puppeteer-core through a search, paging, an event, the
# sidebar, a timeline drag, the log, cost and tasks panels, the downloads,
# a stop, a delete, a bookmarked link, a parse error, the sub-path, the
# signed-in user and dark mode, checking each against the API. Its
# "ok - " / "not ok - " lines are TAP points of this script.
#
# Screenshots (1280x800 PNG) go to $T/shots and, when AR_SCREENSHOT_DIR is
# set, there too. Environment: AR_BROWSER_MODULES (default
# /var/cache/asyncreq-deps/browser/node_modules, where scripts/deps runs
# npm ci of tests/browser), AR_CHROMIUM (default /usr/bin/chromium), AR_WWW
# (the page served, default www/ of the source tree).
# Without node, chromium or puppeteer-core the script fails: run
# scripts/deps.
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/harness.sh"

: "${AR_TIMEOUT:=240}"
export AR_BROWSER_MODULES=${AR_BROWSER_MODULES:-/var/cache/asyncreq-deps/browser/node_modules}
export AR_CHROMIUM=${AR_CHROMIUM:-/usr/bin/chromium}
export AR_PYTHON

ar_init
ar_require_programs
# openpyxl comes from Debian (python3-openpyxl): use the interpreter that
# has it when the first python3 on PATH does not (as download.sh does).
if ! "$AR_PYTHON" -c 'import openpyxl' 2>/dev/null &&
	/usr/bin/python3 -c 'import openpyxl' 2>/dev/null; then
	AR_PYTHON=/usr/bin/python3
fi
ar_check "node is installed (scripts/deps: nodejs)" test -x "$(command -v node)"
ar_check "$AR_CHROMIUM is installed (scripts/deps: chromium)" test -x "$AR_CHROMIUM"
ar_check "puppeteer-core is in $AR_BROWSER_MODULES (scripts/deps)" \
    test -f "$AR_BROWSER_MODULES/puppeteer-core/package.json"
ar_check "openpyxl reads the XLSX download (scripts/deps: python3-openpyxl)" \
    "$AR_PYTHON" -c 'import openpyxl'
[ "$AR_TAP_FAIL" -eq 0 ] || ar_done

ar_conf main "limits.max_active_tasks_per_user = 8"
ar_htpasswd
ar_check "20,000 demo events ingested" ar_gen_ingest main sysmon_operational-demo \
    --count 20000 --hours-back 23 --index-style sysmon --seed 12
ar_check "asyncreq-runner starts" ar_start_runner main
ar_check "asyncreq-fcgi listens" ar_start_fcgi main 2
AR_NGINX_WWW=${AR_WWW:-$AR_SRCDIR/www}
ar_check "nginx serves the page at /, /sub/ and /auth/" ar_nginx_start \
    "|$T/main.sock|0" "/sub|$T/main.sock|0" "/auth|$T/main.sock|1"
ar_check "health answers 200 through nginx" \
    ar_wait_health "$AR_BASE/_sme/async_requests/health" 15
[ "$AR_TAP_FAIL" -eq 0 ] || ar_done

ar_http GET "$AR_BASE/"
ar_is "GET / answers the page" "$HTTP_STATUS $(grep -c 'id="query"' <<<"$HTTP_BODY")" "200 1"
ar_http GET "$AR_BASE/sub/js/main.js"
ar_is "GET /sub/js/main.js answers 200" "$HTTP_STATUS" 200
ar_http GET "$AR_BASE/auth/"
ar_is "GET /auth/ without credentials answers 401" "$HTTP_STATUS" 401
ar_http GET "$AR_BASE/auth/" "" alice
ar_is "GET /auth/ as alice answers 200" "$HTTP_STATUS" 200
ct=$(curl -s -o /dev/null -w '%{content_type}' "$AR_BASE/js/main.js")
ar_check "the modules are served as JavaScript ($ct)" \
    grep -Eq '^(application|text)/javascript' <<<"$ct"

# The TAP of search.test.mjs: its points numbered into ours; a crash or a
# hang (timeout) is a failed point.
ar_relay search.test.mjs < <(cd "$AR_SRCDIR/tests/browser" && AR_BASE=$AR_BASE AR_DIR=$T \
    timeout -k 5 $((AR_TIMEOUT - 40)) node search.test.mjs 2>&1)
shots=$(cd "$T/shots" 2>/dev/null && ls *.png 2>/dev/null | sort | tr '\n' ' ')
ar_is "the screenshots" "$shots" \
    "cost.png download.png event.png log.png parse-error.png search.png tasks.png "

ar_done
