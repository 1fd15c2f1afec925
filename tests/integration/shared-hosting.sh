#!/bin/bash
# shared-hosting.sh - asyncreq as an unprivileged user with everything under
# one directory, as on shared hosting (docs/shared-hosting.md):
#
#  1. the release tree (make distdir) is built and installed by that user
#     with ./configure --prefix=$HOME/asyncreq (HOME: a temporary home);
#  2. the user's own Apache (started as that user, on a free loopback port)
#     runs with a host-like configuration: mod_fcgid, .fcgi files handled by
#     fcgid-script, AllowOverride All. The user adds only files in their
#     home: public_html/asyncreq.fcgi (a two-line wrapper) and
#     public_html/.htaccess (route /_sme/ to it, basic auth);
#  3. with runner.start_on_demand = true and runner.idle_exit_seconds = 3,
#     nobody starts asyncreq-runner: the API tour (create, DONE, response,
#     logs, delete) makes a responder start it, and it exits when idle; the
#     next create starts it again;
#  4. make uninstall removes everything make install put there, except the
#     configuration file the user edited; an install with DESTDIR, too.
#
# Run as root, the user is "arhost" (created when missing, kept) and every
# step above runs as arhost (runuser); run as another user, as that user.

. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/harness.sh"
. "$AR_SRCDIR/tests/lib/apache.sh"
. "$AR_SRCDIR/tests/lib/page.sh"

ar_init
if ! ar_apache_have fcgid rewrite; then
	echo "1..0 # SKIP apache2 with mod_fcgid and mod_rewrite is not installed (scripts/deps)"
	exit 0
fi
[ -f "$AR_BUILDDIR/Makefile" ] || ar_bail "the build tree has a Makefile" \
    "top_builddir=$AR_BUILDDIR (run ./configure first)"

IDLE=3
if [ "$(id -u)" = 0 ]; then
	HU=arhost
	if ! id -u "$HU" >/dev/null 2>&1; then
		useradd -m -s /bin/bash "$HU" || ar_bail "useradd $HU"
	fi
else
	HU=$(id -un)
fi
H=$T/home		# the user's (temporary) home: $HOME in every step below
P=$H/asyncreq		# the prefix
mkdir -p "$H"
chmod 711 "$T"

as_user() {	# COMMAND...: runs COMMAND as $HU with HOME=$H, in $H
	if [ "$(id -u)" = 0 ]; then
		(cd "$H" && runuser -u "$HU" -- env HOME="$H" USER="$HU" LOGNAME="$HU" "$@")
	else
		(cd "$H" && env HOME="$H" "$@")
	fi
}

# The runner is started by a responder, in a session of its own, so it is
# no descendant of anything the harness started: stop it by pid on exit.
runner_pids() {	# the pids of asyncreq-runner processes of this prefix, not
		# their executors (forked children with the same command line)
	local all p pp
	all=" $(pgrep -u "$HU" -f "^$P/bin/asyncreq-runner( |$)" | tr '\n' ' ') "
	for p in $all; do
		pp=$(ps -o ppid= -p "$p" 2>/dev/null | tr -d ' ')
		case $all in *" $pp "*) ;; *) echo "$p" ;; esac
	done
}
sh_cleanup() {
	local p
	for p in $(runner_pids); do kill -TERM "$p" 2>/dev/null; done
	for p in $(runner_pids); do ar_wait_gone "$p" 5 || kill -KILL "$p" 2>/dev/null; done
	ar_cleanup
}
trap sh_cleanup EXIT

# ---------------------------------------------------------------- 1. install
src=$H/src/asyncreq
mkdir -p "$H/src"
if make -s -C "$AR_BUILDDIR" distdir distdir="$src" >"$T/logs/distdir.log" 2>&1; then
	ar_ok "the release tree (make distdir) is copied into the home"
else
	ar_bail "the release tree (make distdir) is copied into the home" "$(tail -n 20 "$T/logs/distdir.log")"
fi
[ "$(id -u)" = 0 ] && chown -R "$HU:" "$H"

build() {
	as_user sh -c 'cd "$HOME/src/asyncreq" && ./configure --prefix="$HOME/asyncreq" &&
	    make -j2 && make install' >"$T/logs/build.log" 2>&1
}
if build; then
	ar_ok "as $HU: ./configure --prefix=\$HOME/asyncreq && make && make install"
else
	ar_bail "as $HU: ./configure --prefix=\$HOME/asyncreq && make && make install" \
	    "$(tail -n 30 "$T/logs/build.log")"
fi
missing=""
for f in bin/asyncreq bin/asyncreq-fcgi bin/asyncreq-runner etc/asyncreq.conf \
    share/man/man1/asyncreq.1 share/man/man8/asyncreq-fcgi.8 share/man/man8/asyncreq-runner.8 \
    share/doc/asyncreq/shared-hosting.md share/doc/asyncreq/examples/apache/asyncreq-fcgid.conf \
    share/asyncreq/www/index.html share/asyncreq/www/app.css share/asyncreq/www/js/main.js; do
	[ -f "$P/$f" ] || missing="$missing $f"
done
ar_is "installed under the prefix: programs, configuration, man pages, examples, the search page" "${missing:-none missing}" "none missing"
owner=$(find "$P" ! -user "$HU" | head -n 3)
ar_is "everything installed belongs to $HU" "$owner" ""

# ---------------------------------------------------------------- 2. configure
# The configuration the user writes over the installed example.
as_user sh -c 'mkdir -p "$HOME/asyncreq/var" && cat >"$HOME/asyncreq/etc/asyncreq.conf"' <<EOF
# asyncreq on shared hosting: everything under \$HOME/asyncreq.
storage.path = $P/var/storage
runner.start_on_demand = true
runner.idle_exit_seconds = $IDLE
http.max_body_bytes = 65536
limits.max_qsize = 1000000000
EOF
events=$T/data/demo.ndjson
"$AR_PYTHON" "$AR_GEN" --count 50 --seed 7 --hours-back 1 >"$events" 2>>"$T/logs/gen.log"
chmod 755 "$T/data"; chmod 644 "$events"
as_user "$P/bin/asyncreq" -c "$P/etc/asyncreq.conf" ingest demo-events "$events" >>"$T/logs/ingest.log" 2>&1
ar_is "as $HU: asyncreq ingest loads events into the storage" "$?" 0

# The web space: the two files the user adds (docs/shared-hosting.md).
as_user sh -c 'mkdir -p "$HOME/public_html" && chmod 755 "$HOME/public_html"'
as_user sh -c 'cat >"$HOME/public_html/asyncreq.fcgi" && chmod 755 "$HOME/public_html/asyncreq.fcgi"' <<EOF
#!/bin/sh
exec $P/bin/asyncreq-fcgi -c $P/etc/asyncreq.conf
EOF
# The search page beside them (docs/shared-hosting.md, step 3).
as_user sh -c 'cp -R "$HOME/asyncreq/share/asyncreq/www/." "$HOME/public_html/"'
as_user sh -c 'cat >"$HOME/public_html/.htaccess"' <<EOF
Options +ExecCGI
AddHandler fcgid-script .fcgi
AddType text/javascript .js
AddType text/css .css
AddType text/html .html
DirectoryIndex index.html
RewriteEngine On
RewriteRule ^_sme/ asyncreq.fcgi [L]
AuthType Basic
AuthName "asyncreq"
AuthUserFile "$H/.htpasswd"
Require valid-user
EOF
as_user sh -c 'umask 077; cat >"$HOME/.htpasswd"' <<EOF
alice:$(openssl passwd -apr1 pw-alice)
EOF

# The host's side: Apache with mod_fcgid and mod_rewrite, running as the user
# (a shared host's suEXEC does the same for the user's scripts).
d=$H/httpd
as_user mkdir -p "$d/run" "$d/fcgid"
PORT=$(ar_free_port)
{
	echo "ServerRoot \"$d\""
	echo "DefaultRuntimeDir \"$d/run\""
	echo "PidFile \"$d/run/httpd.pid\""
	echo "ServerName localhost"
	echo "Listen 127.0.0.1:$PORT"
	for m in mpm_event authz_core authn_core authn_file auth_basic authz_user alias mime dir rewrite fcgid; do
		echo "LoadModule ${m}_module \"$AR_APACHE_MODULES/mod_$m.so\""
	done
	cat <<EOF
ErrorLog "$d/error.log"
LogLevel warn
LogFormat "%h %u \"%r\" %>s %B %D" short
CustomLog "$d/access.log" short
TypesConfig /dev/null
StartServers 1
ServerLimit 2
ThreadsPerChild 16
MinSpareThreads 8
MaxSpareThreads 32
MaxRequestWorkers 32
FcgidIPCDir "$d/fcgid"
FcgidProcessTableFile "$d/fcgid/shm"
FcgidIOTimeout 60
DocumentRoot "$H/public_html"
<Directory />
    AllowOverride None
    Require all denied
</Directory>
<Directory "$H/public_html">
    AllowOverride All
    Options FollowSymLinks
    Require all granted
</Directory>
EOF
} | as_user sh -c "cat >'$d/httpd.conf'"
if as_user "$AR_APACHE" -t -f "$d/httpd.conf" >"$T/logs/apache-t.log" 2>&1; then
	if [ "$(id -u)" = 0 ]; then
		ar_spawn apache runuser -u "$HU" -- env HOME="$H" "$AR_APACHE" -f "$d/httpd.conf" -DFOREGROUND
	else
		ar_spawn apache "$AR_APACHE" -f "$d/httpd.conf" -DFOREGROUND
	fi
	ar_wait_port "$PORT" 10
fi
B=http://127.0.0.1:$PORT/_sme/async_requests
sh_diag() {
	local f
	for f in "$T/logs/apache-t.log" "$d/error.log"; do
		[ -s "$f" ] || continue
		echo "# ---- tail of ${f#$T/}"
		tail -n 25 "$f" | sed 's/^/#   /'
	done
}
ar_http GET "$B/health" "" alice
if [ "$HTTP_STATUS" = 000 ]; then
	ar_not_ok "as $HU: Apache (mod_fcgid) answers on port $PORT" "$HTTP_BODY"
	sh_diag
	ar_done
fi
ar_ok "as $HU: Apache (mod_fcgid) answers on port $PORT"

# ---------------------------------------------------------------- 3. the tour
ar_is "before any task: no runner is running" "$(runner_pids)" ""
alive=$(ar_json 'd["runner"]["alive"]')
ar_is "before any task: health says the runner is not alive ($HTTP_STATUS)" "$alive" false
ar_http GET "$B/status"
ar_is "no credentials: 401 from .htaccess basic auth" "$HTTP_STATUS" 401
ar_check_page "http://127.0.0.1:$PORT" "the search page in public_html" alice

ar_http POST "$B/request" '{"query": "source demo-events qsize=5", "dtStart": "now-2h"}' alice
ar_is "create: 201 (no runner was running)" "$HTTP_STATUS" 201
ID=$(ar_json 'd["id"]')
if ar_wait_json "$B/status/$ID" 20 'd["status"] in ("DONE", "FAILED", "CANCELLED")' alice; then
	ar_is "the task ends DONE" "$(ar_json 'd["status"]')" DONE
else
	ar_not_ok "the task ends DONE" "last answer: $HTTP_STATUS $HTTP_BODY"
fi
ar_is "owner is the basic-auth user (REMOTE_USER through mod_rewrite and mod_fcgid)" \
    "$(ar_json 'd["owner"]')" alice
# The runner started on demand exits runner.idle_exit_seconds (3 s) after
# its last task: on a busy machine the checks after the DONE above can take
# longer than that, and health then rightly says "not alive" (point 14 once
# failed so inside make distcheck). So look at the runner while a task that
# runs until it is stopped keeps it busy, then stop that task.
ar_http POST "$B/request" '{"query": "| makeresults count=1000000000 | stats count"}' alice
HOLD=$(ar_json 'd["id"]')
ar_wait_json "$B/status/$HOLD" 20 'd["status"] == "RUNNING"' alice
ar_is "a task that runs until it is stopped keeps the runner busy: RUNNING" \
    "$HTTP_STATUS $(ar_json 'd["status"]')" "200 RUNNING"
pids=$(runner_pids)
ar_is "one asyncreq-runner runs as $HU, started on demand" "$(echo $pids | wc -w)" 1
ar_http GET "$B/health" "" alice
ar_is "health: 200, runner alive, the same pid" "$HTTP_STATUS $(ar_json 'd["runner"]["alive"]') $(ar_json 'd["runner"]["pid"]')" \
    "200 true $pids"
"$AR_PYTHON" - "$B/break/$HOLD" >"$T/logs/hold-break.log" 2>&1 <<'EOF2'
import base64, http.client, sys, urllib.parse
u = urllib.parse.urlsplit(sys.argv[1])
c = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
c.request("POST", u.path, headers={"X-Requested-With": "asyncreq",
          "Authorization": "Basic " + base64.b64encode(b"alice:pw-alice").decode()})
print(c.getresponse().status)
EOF2
ar_wait_json "$B/status/$HOLD" 20 'd["status"] == "CANCELLED"' alice
ar_is "the task that kept it busy is stopped: CANCELLED" "$(ar_json 'd["status"]')" CANCELLED
ar_http GET "$B/response/$ID" "" alice
ar_is "response: 5 events" "$HTTP_STATUS $(ar_json 'd["total"]') $(ar_json 'len(d["events"])')" "200 5 5"
ar_http GET "$B/logs/$ID" "" alice
ar_is "logs: the first line names the creator" "$(ar_json 'd["logs"][0]["message"]')" "task created by alice"
ar_http DELETE "$B/delete/$ID" "" alice
ar_is "delete: 200" "$HTTP_STATUS" 200
ar_http GET "$B/status/$ID" "" alice
ar_is "status of the deleted task: 404" "$HTTP_STATUS" 404

# Idle: the runner exits after runner.idle_exit_seconds without work.
gone=1
for p in $pids; do ar_wait_gone "$p" $((IDLE + 12)) || gone=0; done
ar_is "the runner exits after runner.idle_exit_seconds = $IDLE without work" "$gone" 1
ar_http GET "$B/health" "" alice
ar_is "health then: 503, runner not alive" "$HTTP_STATUS $(ar_json 'd["runner"]["alive"]')" "503 false"

# And the next create starts it again.
ar_http POST "$B/request" '{"query": "| makeresults count=2"}' alice
ar_is "create after the idle exit: 201" "$HTTP_STATUS" 201
ID=$(ar_json 'd["id"]')
ar_wait_json "$B/status/$ID" 20 'd["status"] == "DONE"' alice
ar_is "that task ends DONE: the runner was started again" "$(ar_json 'd["status"]')" DONE
pids=$(runner_pids)
ar_is "again one asyncreq-runner" "$(echo $pids | wc -w)" 1
gone=1
for p in $pids; do ar_wait_gone "$p" $((IDLE + 12)) || gone=0; done
ar_is "and it exits again when idle" "$gone" 1

ar_stop apache
ar_is "nothing of $HU's is left running" "$(pgrep -u "$HU" -f "^$P/bin/|$AR_APACHE -f $d/" | tr '\n' ' ')" ""

# ---------------------------------------------------------------- 4. uninstall
as_user make -s -C "$src" uninstall >"$T/logs/uninstall.log" 2>&1
ar_is "as $HU: make uninstall" "$?" 0
left=$(cd "$P" && find . -path ./var -prune -o -type f -print | sort | tr '\n' ' ')
ar_is "after make uninstall only the edited configuration (and var/) is left" "$left" "./etc/asyncreq.conf "
as_user sh -c 'cd "$HOME/src/asyncreq" && make -s install DESTDIR="$HOME/stage" &&
    test -x "$HOME/stage$HOME/asyncreq/bin/asyncreq-fcgi" &&
    test -f "$HOME/stage$HOME/asyncreq/etc/asyncreq.conf" &&
    make -s uninstall DESTDIR="$HOME/stage"' >"$T/logs/destdir.log" 2>&1
ar_is "make install DESTDIR=... puts the files under DESTDIR/prefix, make uninstall DESTDIR=... removes them" \
    "$?/$(find "$H/stage" -type f 2>/dev/null | wc -l)" "0/0"

[ "$AR_TAP_FAIL" -eq 0 ] || sh_diag
ar_done
