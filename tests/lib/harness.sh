# harness.sh - shared setup for the integration tests (sourced, bash).
#
# Starts the real programs (asyncreq-runner, asyncreq-fcgi) and real web
# servers (nginx, lighttpd) on loopback ports in a temporary directory, and
# prints TAP. Everything a script starts is killed on exit, even on failure:
# each service runs in its own process group (setsid), and the EXIT trap
# signals those groups (which also reaches orphaned executor children).
#
# Environment: top_srcdir, top_builddir (set by make check; default: the
# repository holding this file); AR_TIMEOUT (seconds before the watchdog
# stops a script, default 150); AR_KEEP_TMP=1 keeps $T for inspection;
# AR_DIAG_LINES (log lines shown on failure, default 25); AR_FCGI,
# AR_RUNNER, AR_CLI, AR_NGINX, AR_LIGHTTPD, AR_PYTHON override programs.
#
# Typical use:
#   . "$top_srcdir/tests/lib/harness.sh"
#   ar_init
#   ar_require_programs
#   ar_conf main "limits.max_active_tasks_per_user = 3"
#   ar_start_runner main
#   ar_start_fcgi main 2
#   ar_htpasswd
#   ar_nginx_start "|$T/main.sock|0" "/auth|$T/main.sock|1"
#   ar_wait_health "$AR_BASE/_sme/async_requests/health"
#   ...
#   ar_done

set -u

AR_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${top_srcdir:=$(cd "$AR_HERE/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
AR_SRCDIR=$top_srcdir
AR_BUILDDIR=$top_builddir
AR_FCGI=${AR_FCGI:-$AR_BUILDDIR/asyncreq-fcgi}
AR_RUNNER=${AR_RUNNER:-$AR_BUILDDIR/asyncreq-runner}
AR_CLI=${AR_CLI:-$AR_BUILDDIR/asyncreq}
AR_GEN=$AR_SRCDIR/scripts/gen-events
AR_API_TEST=$AR_SRCDIR/tests/integration/api_test.py
AR_PYTHON=${AR_PYTHON:-python3}
AR_NGINX=${AR_NGINX:-/usr/sbin/nginx}
AR_LIGHTTPD=${AR_LIGHTTPD:-/usr/sbin/lighttpd}
# Users of the htpasswd file; each one's password is "pw-<user>".
AR_USERS="alice bob carol dave erin"

AR_TAP_N=0
AR_TAP_FAIL=0
AR_PIDS=()		# process group leaders started by ar_spawn
declare -A AR_PID=()	# name -> pid
T=""

# ---------------------------------------------------------------- TAP

ar_ok() {	# NAME: a passing point
	AR_TAP_N=$((AR_TAP_N + 1))
	echo "ok $AR_TAP_N - $*"
}

ar_not_ok() {	# NAME [DIAG...]: a failing point, with # diagnostics
	AR_TAP_N=$((AR_TAP_N + 1))
	AR_TAP_FAIL=$((AR_TAP_FAIL + 1))
	echo "not ok $AR_TAP_N - $1"
	shift
	local l
	for l in "$@"; do
		printf '%s\n' "$l" | sed 's/^/#   /'
	done
}

ar_check() {	# NAME COMMAND...: passes when COMMAND exits 0
	local name=$1
	shift
	if "$@"; then ar_ok "$name"; else ar_not_ok "$name" "command failed: $*"; fi
}

ar_is() {	# NAME GOT EXPECTED: exact string comparison
	if [ "$2" = "$3" ]; then
		ar_ok "$1"
	else
		ar_not_ok "$1" "expected: $3" "got:      $2"
	fi
}

ar_diag() {	# prints the tail of every log as # lines
	local f
	[ -n "$T" ] && [ -d "$T" ] || return 0
	for f in "$T"/logs/*.log "$T"/nginx/error.log "$T"/lighttpd*/error.log; do
		[ -s "$f" ] || continue
		echo "# ---- tail of ${f#$T/}"
		tail -n "${AR_DIAG_LINES:-25}" "$f" | sed 's/^/#   /'
	done
}

ar_done() {	# prints the plan and exits 0 only when every point passed
	echo "1..$AR_TAP_N"
	if [ "$AR_TAP_FAIL" -ne 0 ]; then
		echo "# $AR_TAP_FAIL of $AR_TAP_N failed"
		ar_diag
		exit 1
	fi
	exit 0
}

ar_bail() {	# REASON: fails the script at once (setup could not be done)
	ar_not_ok "$1" "${@:2}"
	ar_done
}

# ---------------------------------------------------------------- processes

ar_init() {	# creates $T and installs the cleanup trap and a watchdog
	T=$(mktemp -d "${TMPDIR:-/tmp}/asyncreq-test.XXXXXX") || exit 99
	mkdir -p "$T/logs" "$T/data"
	trap ar_cleanup EXIT
	trap 'trap - INT TERM HUP; ar_sync_api; ar_not_ok "finished before the watchdog or a signal stopped it"; ar_done' \
	    INT TERM HUP
	# A hung program must not hang make check: after AR_TIMEOUT seconds
	# the services (listed in $T/pids) are killed, so that pending
	# requests fail at once, and the script is terminated; its EXIT trap
	# then cleans up.
	: >"$T/pids"
	setsid bash -c 'sleep "$1"
		echo "# watchdog: $1 s passed, stopping" >&2
		while read -r p; do kill -KILL -- "-$p"; done <"$3"
		kill -TERM "$2"
		pkill -TERM -P "$2"' \
	    _ "${AR_TIMEOUT:-150}" "$$" "$T/pids" >/dev/null </dev/null &
	AR_WATCHDOG=$!
}

ar_descendants() {	# PID: prints PID's descendants, deepest last
	local c
	for c in $(pgrep -P "$1" 2>/dev/null); do
		echo "$c"
		ar_descendants "$c"
	done
}

ar_cleanup() {	# EXIT trap: stops everything started, removes $T
	local rc=$? p i all=()
	for ((i = ${#AR_PIDS[@]} - 1; i >= 0; i--)); do
		p=${AR_PIDS[$i]}
		all+=("$p" $(ar_descendants "$p"))
	done
	for ((i = ${#AR_PIDS[@]} - 1; i >= 0; i--)); do
		kill -TERM -- "-${AR_PIDS[$i]}" 2>/dev/null
	done
	for p in "${all[@]}"; do kill -TERM "$p" 2>/dev/null; done
	for i in $(seq 1 30); do
		local alive=0
		for p in "${AR_PIDS[@]}" "${all[@]}"; do
			kill -0 "$p" 2>/dev/null && ! ar_is_zombie "$p" && alive=1
		done
		[ $alive -eq 0 ] && break
		sleep 0.1
	done
	for ((i = ${#AR_PIDS[@]} - 1; i >= 0; i--)); do
		kill -KILL -- "-${AR_PIDS[$i]}" 2>/dev/null
	done
	for p in "${all[@]}"; do kill -KILL "$p" 2>/dev/null; done
	[ -n "${AR_WATCHDOG:-}" ] && kill -TERM -- "-$AR_WATCHDOG" 2>/dev/null
	wait 2>/dev/null
	if [ -n "$T" ] && [ -d "$T" ]; then
		if [ -n "${AR_KEEP_TMP:-}" ]; then
			echo "# kept $T"
		else
			rm -rf "$T"
		fi
	fi
	exit $rc
}

ar_spawn() {	# NAME COMMAND...: starts COMMAND in its own process group
	local name=$1
	shift
	setsid "$@" >>"$T/logs/$name.log" 2>&1 </dev/null &
	local pid=$!
	AR_PIDS+=("$pid")
	AR_PID[$name]=$pid
	echo "$pid" >>"$T/pids"
}

ar_stop() {	# NAME [SIGNAL]: signals NAME's group and descendants, waits
		# (5 s) for them, then kills what is left
	local pid=${AR_PID[$1]:-} sig=${2:-TERM} i p all
	[ -n "$pid" ] || return 0
	all=$(ar_descendants "$pid")
	kill "-$sig" -- "-$pid" 2>/dev/null
	for p in $all; do kill "-$sig" "$p" 2>/dev/null; done
	for i in $(seq 1 50); do
		local alive=0
		for p in $pid $all; do
			kill -0 "$p" 2>/dev/null && ! ar_is_zombie "$p" && alive=1
		done
		[ $alive -eq 0 ] && break
		sleep 0.1
	done
	kill -KILL -- "-$pid" 2>/dev/null
	for p in $all; do kill -KILL "$p" 2>/dev/null; done
	wait "$pid" 2>/dev/null
	return 0
}

ar_is_zombie() {	# PID: true when PID is a zombie
	[ "$(ps -o stat= -p "$1" 2>/dev/null | cut -c1)" = Z ]
}

ar_wait_gone() {	# PID [SECONDS]: waits until process PID has exited
	local i n=$((${2:-5} * 20))
	for ((i = 0; i < n; i++)); do
		kill -0 "$1" 2>/dev/null || return 0
		ar_is_zombie "$1" && return 0
		sleep 0.05
	done
	return 1
}

ar_require_programs() {	# fails the script when the programs are not built
	local p missing=""
	for p in "$AR_FCGI" "$AR_RUNNER" "$AR_CLI"; do
		[ -x "$p" ] || missing="$missing $p"
	done
	[ -z "$missing" ] || ar_bail "programs are built" "missing:$missing" \
	    "top_builddir=$AR_BUILDDIR (run make first)"
}

ar_free_port() {	# prints a free loopback TCP port
	"$AR_PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

ar_wait_path() {	# PATH [SECONDS]: waits until PATH exists
	local i n=$((${2:-10} * 20))
	for ((i = 0; i < n; i++)); do
		[ -e "$1" ] && return 0
		sleep 0.05
	done
	return 1
}

ar_wait_port() {	# PORT [SECONDS]: waits until 127.0.0.1:PORT accepts
	"$AR_PYTHON" - "$1" "${2:-10}" <<'EOF'
import socket, sys, time
port, limit = int(sys.argv[1]), time.time() + float(sys.argv[2])
while time.time() < limit:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        sys.exit(0)
    except OSError:
        time.sleep(0.05)
sys.exit(1)
EOF
}

# ---------------------------------------------------------------- asyncreq

ar_conf() {	# NAME [LINE...]: writes $T/NAME.conf (storage.path = $T/store-NAME
		# unless a LINE sets it); prints nothing
	local name=$1
	local f="$T/$name.conf"
	shift
	{
		echo "# asyncreq test configuration '$name'"
		case " $* " in
		*storage.path*) ;;
		*) echo "storage.path = $T/store-$name" ;;
		esac
		local l
		for l in "$@"; do echo "$l"; done
	} >"$f"
	mkdir -p "$T/store-$name"
}

ar_start_runner() {	# NAME: starts asyncreq-runner with $T/NAME.conf as "runner-NAME";
			# waits (15 s) until it holds the storage lock and has
			# recovered, i.e. has logged "runner started (pid PID"
	local pid
	ar_spawn "runner-$1" "$AR_RUNNER" -c "$T/$1.conf"
	pid=${AR_PID[runner-$1]}
	ar_wait_until 15 ar_runner_ready "$1" "$pid"
}

ar_runner_ready() {	# NAME PID: true once runner PID logged that it started;
			# false, and stops the caller's wait, when it has exited
	if ! kill -0 "$2" 2>/dev/null || ar_is_zombie "$2"; then
		AR_WAIT_ABORT=1
		return 1
	fi
	grep -q "runner started (pid $2," "$T/logs/runner-$1.log" 2>/dev/null
}

# ar_wait_until SECONDS COMMAND...: runs COMMAND every 50 ms until it exits 0
# (returns 0) or SECONDS have passed (returns 1). COMMAND may set
# AR_WAIT_ABORT=1 to end the wait at once (returns 1): the condition can no
# longer come true. Use it instead of a fixed sleep before a check.
ar_wait_until() {
	local secs=$1 end
	shift
	end=$(($(date +%s%N) + secs * 1000000000))
	AR_WAIT_ABORT=0
	while :; do
		"$@" && return 0
		[ "$AR_WAIT_ABORT" = 1 ] && return 1
		[ "$(date +%s%N)" -lt "$end" ] || return 1
		sleep 0.05
	done
}

ar_start_fcgi() {	# NAME [WORKERS] [SOCKET] [ARGS...]: asyncreq-fcgi --listen
			# unix:SOCKET (default $T/NAME.sock) ARGS as "fcgi-NAME";
			# waits for the socket
	local name=$1 workers=${2:-2} sock=${3:-$T/$1.sock}
	shift $(($# < 3 ? $# : 3))
	rm -f "$sock"
	ar_spawn "fcgi-$name" "$AR_FCGI" -c "$T/$name.conf" --listen "unix:$sock" --workers "$workers" "$@"
	ar_wait_path "$sock" 10
}

ar_ingest() {	# NAME INDEX FILE [ARGS...]: asyncreq ingest into storage NAME
	local name=$1 index=$2 file=$3
	shift 3
	"$AR_CLI" -c "$T/$name.conf" ingest "$@" "$index" "$file" >>"$T/logs/ingest.log" 2>&1
}

ar_gen_ingest() {	# NAME INDEX GEN-ARGS...: gen-events > $T/data/INDEX.ndjson, ingested
	local name=$1 index=$2
	shift 2
	"$AR_PYTHON" "$AR_GEN" "$@" >"$T/data/$index.ndjson" || return 1
	ar_ingest "$name" "$index" "$T/data/$index.ndjson"
}

# ---------------------------------------------------------------- HTTP

# ar_http METHOD URL [BODY [USER]]: one request; sets HTTP_STATUS (000 when
# the connection failed) and HTTP_BODY. USER authenticates with Basic
# user:pw-USER. Never waits more than 30 s.
ar_http() {
	local out
	out=$("$AR_PYTHON" - "$@" <<'EOF'
import base64, http.client, sys, urllib.parse
m, url = sys.argv[1], sys.argv[2]
body = sys.argv[3] if len(sys.argv) > 3 and sys.argv[3] != "" else None
user = sys.argv[4] if len(sys.argv) > 4 else ""
u = urllib.parse.urlsplit(url)
h = {}
if body is not None:
    h["Content-Type"] = "application/json"
if m not in ("GET", "HEAD"):
    h["X-Requested-With"] = "asyncreq"	# docs/api.md, "Request headers"
if user:
    h["Authorization"] = "Basic " + base64.b64encode(("%s:pw-%s" % (user, user)).encode()).decode()
try:
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    c.request(m, u.path + ("?" + u.query if u.query else ""),
              body=body.encode() if body is not None else None, headers=h)
    r = c.getresponse()
    data = r.read()
    sys.stdout.write("%d\n%s" % (r.status, data.decode("utf-8", "replace")))
except Exception as e:
    sys.stdout.write("000\n%r" % (e,))
EOF
)
	HTTP_STATUS=${out%%$'\n'*}
	HTTP_BODY=${out#*$'\n'}
}

# ar_json EXPR [JSON]: evaluates the Python expression EXPR with d = the
# parsed JSON (default $HTTP_BODY); prints strings raw, others as JSON.
ar_json() {
	"$AR_PYTHON" -c '
import json, sys
try:
    d = json.loads(sys.argv[2])
    v = eval(sys.argv[1])
except Exception as e:
    print("<error: %r>" % (e,))
    sys.exit(0)
print(v if isinstance(v, str) else json.dumps(v))
' "$1" "${2-$HTTP_BODY}"
}

# ar_wait_json URL SECONDS EXPR [USER]: polls GET URL until the Python
# expression EXPR (d = the parsed body) is true; HTTP_STATUS/HTTP_BODY hold
# the last answer. Returns 1 on timeout.
ar_wait_json() {
	local out head
	out=$("$AR_PYTHON" - "$@" <<'EOF'
import base64, http.client, json, sys, time, urllib.parse
url, secs, expr = sys.argv[1], float(sys.argv[2]), sys.argv[3]
user = sys.argv[4] if len(sys.argv) > 4 else ""
u = urllib.parse.urlsplit(url)
h = {}
if user:
    h["Authorization"] = "Basic " + base64.b64encode(("%s:pw-%s" % (user, user)).encode()).decode()
deadline, st, body, good = time.time() + secs, 0, "", False
while True:
    try:
        c = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
        c.request("GET", u.path + ("?" + u.query if u.query else ""), headers=h)
        r = c.getresponse()
        st, body = r.status, r.read().decode("utf-8", "replace")
        c.close()
        d = json.loads(body)
        good = bool(eval(expr))
    except Exception as e:
        good = False
        if not body:
            body = repr(e)
    if good or time.time() > deadline:
        break
    time.sleep(0.01)
sys.stdout.write("%d %03d\n%s" % (1 if good else 0, st, body))
EOF
)
	head=${out%%$'\n'*}
	HTTP_BODY=${out#*$'\n'}
	HTTP_STATUS=${head#* }
	[ "${head%% *}" = 1 ]
}

# ar_relay WHAT: reads a checker's lines on stdin: "ok - NAME" and
# "not ok - NAME" become TAP points numbered into ours, "# ..." lines pass
# through, anything else is shown as a diagnostic. The checker prints "END"
# last; without it (a crash, a timeout) "WHAT ran to the end" fails.
ar_relay() {
	local line ended=0
	while IFS= read -r line; do
		case $line in
		"ok - "*) ar_ok "${line#ok - }" ;;
		"not ok - "*) ar_not_ok "${line#not ok - }" ;;
		"#"*) echo "$line" ;;
		END) ended=1 ;;
		*) echo "#   $line" ;;
		esac
	done
	[ $ended = 1 ] || ar_not_ok "$1 ran to the end" "it crashed or timed out (see above)"
}

# ar_py CODE [ARGS...]: runs Python CODE (api_test.py importable, so
# "from api_test import Client") through ar_relay.
ar_py() {
	ar_relay "python check" < <(PYTHONPATH="$AR_SRCDIR/tests/integration" "$AR_PYTHON" -u -c "$1" "${@:2}" 2>&1)
}

ar_wait_health() {	# URL [SECONDS]: waits until URL answers 200
	local i n=$((${2:-15} * 10))
	for ((i = 0; i < n; i++)); do
		ar_http GET "$1"
		[ "$HTTP_STATUS" = 200 ] && return 0
		sleep 0.1
	done
	return 1
}

# ---------------------------------------------------------------- web servers

ar_htpasswd() {	# writes $T/htpasswd for $AR_USERS (apr1 hashes)
	local u
	: >"$T/htpasswd"
	for u in $AR_USERS; do
		echo "$u:$(openssl passwd -apr1 "pw-$u")" >>"$T/htpasswd"
	done
}

# ar_nginx_start ROUTE...: nginx on a free port; sets AR_PORT and AR_BASE.
# ROUTE is "PREFIX|SOCKET|AUTH": location PREFIX/_sme/ passes to the
# FastCGI unix SOCKET; AUTH=1 adds basic auth with $T/htpasswd.
# With AR_NGINX_INGEST="SOCKET" set, a second server block on another free
# port serves the ingest API at its root (ASYNCREQ_API=ingest, basic auth
# with $T/htpasswd, as conf/nginx/asyncreq-ingest.conf); it sets
# AR_INGEST_PORT and AR_INGEST_BASE.
# With AR_NGINX_WWW=DIR set, the server also serves the static files of DIR
# (the search page, www/) at / and, for each ROUTE with a PREFIX, at
# PREFIX/ (with basic auth when AUTH=1), as conf/nginx does; unset, every
# path outside the routes answers 404.
ar_nginx_start() {
	local d="$T/nginx" r prefix sock auth locs="" ingest="" root_loc
	local www=${AR_NGINX_WWW:-} auth_lines
	root_loc="location / { return 404; }"
	mkdir -p "$d/tmp"
	AR_PORT=$(ar_free_port)
	if [ -n "${AR_NGINX_INGEST:-}" ]; then
		AR_INGEST_PORT=$(ar_free_port)
		while [ "$AR_INGEST_PORT" = "$AR_PORT" ]; do
			AR_INGEST_PORT=$(ar_free_port)
		done
		ingest="
    server {
        listen 127.0.0.1:$AR_INGEST_PORT;
        server_name localhost;
        client_max_body_size 200m;
        error_page 401 @ingest401;
        error_page 413 @ingest413;
        location @ingest401 {
            default_type application/json;
            return 401 '{\"error\":{\"root_cause\":[{\"type\":\"security_exception\",\"reason\":\"missing authentication credentials\"}],\"type\":\"security_exception\",\"reason\":\"missing authentication credentials\"},\"status\":401}';
        }
        location @ingest413 {
            default_type application/json;
            return 413 '{\"error\":{\"root_cause\":[{\"type\":\"request_entity_too_large\",\"reason\":\"the body is larger than the web server accepts (client_max_body_size)\"}],\"type\":\"request_entity_too_large\",\"reason\":\"the body is larger than the web server accepts (client_max_body_size)\"},\"status\":413}';
        }
        location /services/collector {
            fastcgi_pass unix:$AR_NGINX_INGEST;
            include /etc/nginx/fastcgi_params;
            fastcgi_param ASYNCREQ_API ingest;
            fastcgi_param REMOTE_USER \"\";
        }
        location / {
            auth_basic \"asyncreq ingest\";
            auth_basic_user_file $T/htpasswd;
            fastcgi_pass unix:$AR_NGINX_INGEST;
            include /etc/nginx/fastcgi_params;
            fastcgi_param ASYNCREQ_API ingest;
            fastcgi_request_buffering on;
        }
    }"
		AR_INGEST_BASE="http://127.0.0.1:$AR_INGEST_PORT"
	fi
	for r in "$@"; do
		IFS='|' read -r prefix sock auth <<<"$r"
		auth_lines=""
		if [ "$auth" = 1 ]; then
			auth_lines="
            auth_basic \"asyncreq\";
            auth_basic_user_file $T/htpasswd;"
		fi
		if [ -n "$www" ]; then
			if [ -n "$prefix" ]; then
				locs+="
        location $prefix/ {$auth_lines
            alias $www/;
            include /etc/nginx/mime.types;
        }"
			else
				root_loc="location / {$auth_lines
            root $www;
            include /etc/nginx/mime.types;
        }"
			fi
		fi
		locs+="
        location $prefix/_sme/ {$auth_lines
            fastcgi_pass unix:$sock;
            include /etc/nginx/fastcgi_params;"
		# Without auth_basic, $remote_user is whatever the client
		# claims: the shipped conf/nginx/asyncreq.conf blanks it, and
		# so do we (the last REMOTE_USER wins in asyncreq).
		[ "$auth" = 1 ] || locs+="
            fastcgi_param REMOTE_USER \"\";"
		locs+="
        }"
	done
	if [ -n "$www" ] && [ "$root_loc" = "location / { return 404; }" ]; then
		root_loc="location / {
            root $www;
            include /etc/nginx/mime.types;
        }"
	fi
	{
		[ "$(id -u)" = 0 ] && echo "user root;"
		cat <<EOF
daemon off;
master_process on;
worker_processes 2;
pid $d/nginx.pid;
error_log $d/error.log warn;
events { worker_connections 256; }
http {
    access_log $d/access.log;
    client_body_temp_path $d/tmp/body;
    proxy_temp_path $d/tmp/proxy;
    fastcgi_temp_path $d/tmp/fastcgi;
    uwsgi_temp_path $d/tmp/uwsgi;
    scgi_temp_path $d/tmp/scgi;
    client_max_body_size 0;
    fastcgi_read_timeout 60s;
    server {
        listen 127.0.0.1:$AR_PORT;
        server_name localhost;
        $root_loc$locs
    }$ingest
}
EOF
	} >"$d/nginx.conf"
	ar_spawn nginx "$AR_NGINX" -p "$d/" -c "$d/nginx.conf" -e "$d/error.log"
	AR_BASE="http://127.0.0.1:$AR_PORT"
	ar_wait_port "$AR_PORT" 10
	[ -z "$ingest" ] || ar_wait_port "$AR_INGEST_PORT" 10
}

# ar_lighttpd_start NAME ROUTE...: lighttpd on a free port as "NAME"; sets
# AR_PORT and AR_BASE. ROUTE is "PREFIX|BACKEND|AUTH" where BACKEND is
# "socket:PATH" (an asyncreq-fcgi already listening there) or "bin:CONFNAME"
# (lighttpd spawns asyncreq-fcgi -c $T/CONFNAME.conf itself, handing it the
# listening socket on fd 0). lighttpd 1.4 does not run bin-path through a
# shell: it splits it on white space and execs it, so no quoting is
# possible (and none is needed: $T holds no spaces). It listens on
# "socket" + "-0" and passes its own environment to the child. Extra
# lighttpd.conf lines may be given in AR_LIGHTTPD_EXTRA.
ar_lighttpd_start() {
	local name=$1 d="$T/$1" r prefix be auth srv="" req="" n=0
	shift
	mkdir -p "$d/www" "$d/uploads"
	AR_PORT=$(ar_free_port)
	for r in "$@"; do
		IFS='|' read -r prefix be auth <<<"$r"
		n=$((n + 1))
		case $be in
		socket:*)
			srv+="
    \"$prefix/_sme/\" => ((
        \"socket\" => \"${be#socket:}\",
        \"check-local\" => \"disable\"
    )),"
			;;
		bin:*)
			srv+="
    \"$prefix/_sme/\" => ((
        \"bin-path\" => \"$AR_FCGI -c $T/${be#bin:}.conf\",
        \"socket\" => \"$d/spawn-$n.sock\",
        \"max-procs\" => 1,
        \"check-local\" => \"disable\"
    )),"
			;;
		esac
		if [ "$auth" = 1 ]; then
			req+="
    \"$prefix/\" => ( \"method\" => \"basic\", \"realm\" => \"asyncreq\", \"require\" => \"valid-user\" ),"
		fi
	done
	cat >"$d/lighttpd.conf" <<EOF
server.modules = ( "mod_auth", "mod_authn_file", "mod_fastcgi" )
server.document-root = "$d/www"
server.upload-dirs = ( "$d/uploads" )
server.errorlog = "$d/error.log"
server.bind = "127.0.0.1"
server.port = $AR_PORT
auth.backend = "htpasswd"
auth.backend.htpasswd.userfile = "$T/htpasswd"
auth.require = ($req
)
fastcgi.server = ($srv
)
${AR_LIGHTTPD_EXTRA:-}
EOF
	ar_spawn "$name" "$AR_LIGHTTPD" -D -f "$d/lighttpd.conf"
	AR_BASE="http://127.0.0.1:$AR_PORT"
	ar_wait_port "$AR_PORT" 10
}

# ---------------------------------------------------------------- api_test.py

AR_API_RES=""	# result file of the api_test.py run in progress

ar_sync_api() {	# takes over the TAP count of the api_test.py run in progress
	local n=0 f=0 done=""
	[ -n "$AR_API_RES" ] && [ -s "$AR_API_RES" ] || return 1
	read -r n f done <"$AR_API_RES"
	AR_API_RES=""
	AR_TAP_N=$n
	AR_TAP_FAIL=$((AR_TAP_FAIL + f))
	[ "$done" = done ]
}

# ar_run_api_test ARGS...: runs api_test.py, its TAP numbered after ours.
# api_test.py rewrites "LAST_NUMBER FAILURES" in the result file after each
# point, and adds "done" at the end, so that even a crash or the watchdog
# leaves a consistent numbering.
ar_run_api_test() {
	AR_API_RES="$T/api_result.$AR_TAP_N"
	: >"$AR_API_RES"
	"$AR_PYTHON" "$AR_API_TEST" --tap-offset "$AR_TAP_N" --result-file "$AR_API_RES" "$@"
	local before=$AR_TAP_FAIL
	if ! ar_sync_api; then
		ar_not_ok "api_test.py ran to the end" "it crashed or stopped early (see above)"
		return 1
	fi
	[ "$AR_TAP_FAIL" -eq "$before" ]
}
