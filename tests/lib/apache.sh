# apache.sh - Apache httpd for the integration tests (sourced after harness.sh).
#
# Starts Debian's /usr/sbin/apache2 in the foreground with a minimal
# httpd.conf of its own in $T/NAME (no /etc/apache2, no system service), on
# a free loopback port, passing the API to asyncreq-fcgi either with
# mod_proxy_fcgi (to a responder listening on a unix socket) or with
# mod_fcgid (Apache spawns the responders itself, on fd 0).
#
# Apache refuses to serve as root: as root it needs "User", and everything
# the children touch must be reachable by that account. So, as root,
# ar_apache_drop_root makes every asyncreq program of the test run as one
# unprivileged account (AR_APACHE_USER, created if missing), from copies in
# $T/bin (the build tree may sit below a directory that account cannot
# enter), and gives it $T. Not as root, everything runs as the caller and
# Apache needs no User.
#
# Typical use:
#   ar_init; ar_require_programs; ar_conf main ...; ar_htpasswd
#   ar_apache_drop_root
#   ar_start_runner main; ar_start_fcgi main 2
#   ar_apache_start apache proxy "|$T/main.sock|0" "/auth|$T/main.sock|1"
#   ar_apache_start apache fcgid "|main|0" "/auth|main|1"

AR_APACHE=${AR_APACHE:-/usr/sbin/apache2}
AR_APACHE_MODULES=${AR_APACHE_MODULES:-/usr/lib/apache2/modules}
AR_APACHE_USER=${AR_APACHE_USER:-arhttpd}
AR_AS_USER=""		# set by ar_apache_drop_root when running as root

ar_apache_have() {	# true when apache2 and the modules MODE needs are installed
	[ -x "$AR_APACHE" ] || return 1
	local m
	for m in mpm_event authz_core authn_core authn_file auth_basic authz_user \
	    alias mime "$@"; do
		[ -f "$AR_APACHE_MODULES/mod_$m.so" ] || return 1
	done
}

# ar_apache_drop_root: as root, runs the programs as $AR_APACHE_USER (see
# the top of this file); resets AR_FCGI, AR_RUNNER and AR_CLI. Call after
# the ar_conf and ar_htpasswd calls (it hands $T to that account).
ar_apache_drop_root() {
	[ "$(id -u)" = 0 ] || return 0
	local u=$AR_APACHE_USER p
	if ! id -u "$u" >/dev/null 2>&1; then
		useradd --system --no-create-home --home-dir /nonexistent \
		    --shell /usr/sbin/nologin "$u" || return 1
	fi
	mkdir -p "$T/bin"
	cp "$AR_FCGI" "$T/bin/asyncreq-fcgi"
	cp "$AR_RUNNER" "$T/bin/asyncreq-runner"
	cp "$AR_CLI" "$T/bin/asyncreq"
	AR_AS_USER=$u
	# setpriv execs (no fork), so the pids the harness records are the
	# programs' own (api_test.py stops the runner by its pid).
	for p in asyncreq-fcgi asyncreq-runner asyncreq; do
		printf '#!/bin/sh\nexec setpriv --reuid=%s --regid=%s --init-groups -- %s "$@"\n' \
		    "$u" "$u" "$T/bin/$p" >"$T/bin/as-user-$p"
		chmod 755 "$T/bin/as-user-$p"
	done
	AR_FCGI=$T/bin/as-user-asyncreq-fcgi
	AR_RUNNER=$T/bin/as-user-asyncreq-runner
	AR_CLI=$T/bin/as-user-asyncreq
	chown -R "$u:" "$T"
	chmod 755 "$T/bin"
}

ar_apache_fcgi_prog() {	# the asyncreq-fcgi program Apache itself should run
	if [ -n "$AR_AS_USER" ]; then echo "$T/bin/asyncreq-fcgi"; else echo "$AR_FCGI"; fi
}

# ar_apache_start NAME MODE ROUTE...: Apache on a free port as "NAME"; sets
# AR_PORT and AR_BASE. MODE is "proxy" (mod_proxy_fcgi) or "fcgid"
# (mod_fcgid). ROUTE is "PREFIX|BACKEND|AUTH": PREFIX/_sme/ goes to BACKEND,
# a unix socket path (proxy) or a configuration name (fcgid: Apache runs
# asyncreq-fcgi -c $T/BACKEND.conf); AUTH=1 adds basic auth with
# $T/htpasswd. Extra httpd.conf lines may be given in AR_APACHE_EXTRA.
ar_apache_start() {
	local name=$1 mode=$2 d="$T/$1" r prefix be auth mods routes="" n=0
	shift 2
	mkdir -p "$d/run" "$d/www"
	AR_PORT=$(ar_free_port)
	case $mode in
	proxy) mods="proxy proxy_fcgi" ;;
	fcgid) mods="fcgid" ;;
	*) echo "# ar_apache_start: unknown mode $mode" >&2; return 1 ;;
	esac
	for r in "$@"; do
		IFS='|' read -r prefix be auth <<<"$r"
		n=$((n + 1))
		case $mode in
		proxy)
			# REQUEST_URI (what asyncreq routes on) is the client's
			# own request line, whatever ProxyPass maps to.
			routes+="
ProxyPass \"$prefix/_sme/\" \"unix:$be|fcgi://asyncreq-$n$prefix/_sme/\""
			;;
		fcgid)
			routes+="
Alias \"$prefix/_sme\" \"$(ar_apache_fcgi_prog)\"
<Location \"$prefix/_sme/\">
    SetHandler fcgid-script
    Options +ExecCGI
    FcgidWrapper \"$(ar_apache_fcgi_prog) -c $T/$be.conf\" virtual
    Require all granted
</Location>"
			;;
		esac
		if [ "$auth" = 1 ]; then
			routes+="
<Location \"$prefix/_sme/\">
    AuthType Basic
    AuthName \"asyncreq\"
    AuthBasicProvider file
    AuthUserFile \"$T/htpasswd\"
    Require valid-user
</Location>"
		fi
	done
	{
		echo "ServerRoot \"$d\""
		echo "DefaultRuntimeDir \"$d/run\""
		echo "PidFile \"$d/run/httpd.pid\""
		echo "ServerName localhost"
		echo "Listen 127.0.0.1:$AR_PORT"
		local m
		for m in mpm_event authz_core authn_core authn_file auth_basic authz_user alias mime dir headers $mods; do
			echo "LoadModule ${m}_module \"$AR_APACHE_MODULES/mod_$m.so\""
		done
		if [ -n "$AR_AS_USER" ]; then
			echo "User $AR_AS_USER"
			echo "Group $AR_AS_USER"
		fi
		cat <<EOF
ErrorLog "$d/error.log"
LogLevel warn
LogFormat "%h %u \"%r\" %>s %B %D" short
CustomLog "$d/access.log" short
TypesConfig /dev/null
DocumentRoot "$d/www"
StartServers 1
ServerLimit 4
ThreadsPerChild 16
MinSpareThreads 8
MaxSpareThreads 32
MaxRequestWorkers 64
Timeout 60
<Directory />
    AllowOverride None
    Require all denied
</Directory>
<Directory "$d/www">
    Require all granted
</Directory>
EOF
		case $mode in
		proxy)
			cat <<EOF
# asyncreq routes on REQUEST_URI; GENERIC: no PHP-FPM path rewriting.
ProxyFCGIBackendType GENERIC
ProxyTimeout 60
EOF
			;;
		fcgid)
			cat <<EOF
FcgidIPCDir "$d/fcgid"
FcgidProcessTableFile "$d/fcgid/shm"
# Above http.max_body_bytes (and the suite's 2 MiB body): asyncreq answers
# 413 itself.
FcgidMaxRequestLen 8388608
FcgidMaxRequestInMem 65536
FcgidIOTimeout 60
FcgidMaxProcessesPerClass 4
FcgidMinProcessesPerClass 0
FcgidInitialEnv TZ UTC
EOF
			;;
		esac
		echo "$routes"
		echo "${AR_APACHE_EXTRA:-}"
	} >"$d/httpd.conf"
	AR_BASE="http://127.0.0.1:$AR_PORT"
	if ! "$AR_APACHE" -t -f "$d/httpd.conf" >"$d/configtest.log" 2>&1; then
		sed 's/^/# apache2 -t: /' "$d/configtest.log"
		return 1
	fi
	ar_spawn "$name" "$AR_APACHE" -f "$d/httpd.conf" -DFOREGROUND
	ar_wait_port "$AR_PORT" 10
}

ar_apache_diag() {	# NAME: prints the tail of Apache NAME's error log as # lines
	local f="$T/$1/error.log"
	[ -s "$f" ] || return 0
	echo "# ---- tail of ${f#$T/}"
	tail -n "${AR_DIAG_LINES:-25}" "$f" | sed 's/^/#   /'
}

# ar_apache_shipped FILE SOCKET CONFNAME: prints an Include line for a copy
# of the shipped conf/apache/FILE with its paths replaced by the test's:
# the socket /run/asyncreq/fcgi.sock by SOCKET, /usr/bin/asyncreq-fcgi by
# the program, /etc/asyncreq.conf by $T/CONFNAME.conf, the search page's
# /usr/share/asyncreq/www by the checkout's www/. The copy is checked as it
# ships, mount point and all (/_sme/, and / for the page).
ar_apache_shipped() {
	local out="$T/shipped-$1"
	sed -e "s#/run/asyncreq/fcgi.sock#$2#g" \
	    -e "s#/usr/bin/asyncreq-fcgi#$(ar_apache_fcgi_prog)#g" \
	    -e "s#/etc/asyncreq.conf#$T/$3.conf#g" \
	    -e "s#/usr/share/asyncreq/www#$AR_SRCDIR/www#g" \
	    "$AR_SRCDIR/conf/apache/$1" >"$out"
	echo "Include \"$out\""
}
