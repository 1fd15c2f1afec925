#!/bin/sh
# asyncreq-fcgi.sh - start asyncreq-fcgi on a unix socket with spawn-fcgi.
#
# spawn-fcgi creates the socket, hands it to asyncreq-fcgi on fd 0 and (as
# root) drops privileges. asyncreq-fcgi then serves that inherited socket;
# with -F N spawn-fcgi starts N such processes. The web server connects to
# the socket (conf/nginx/asyncreq.conf, conf/lighttpd/asyncreq-socket.conf).
#
# The settings below can be overridden in the environment or in
# /etc/default/asyncreq-fcgi. Run as root; add -n to keep spawn-fcgi in the
# foreground (for a supervisor such as runit or daemontools).
#
# The single line this amounts to:
#   spawn-fcgi -s /run/asyncreq/fcgi.sock -U www-data -- /usr/bin/asyncreq-fcgi -c /etc/asyncreq.conf
set -e

# shellcheck source=/dev/null
[ -r /etc/default/asyncreq-fcgi ] && . /etc/default/asyncreq-fcgi

ASYNCREQ_FCGI=${ASYNCREQ_FCGI:-/usr/bin/asyncreq-fcgi}
ASYNCREQ_CONF=${ASYNCREQ_CONF:-/etc/asyncreq.conf}
SOCKET=${SOCKET:-/run/asyncreq/fcgi.sock}
SOCKET_USER=${SOCKET_USER:-www-data}	# who may connect: the web server
RUN_USER=${RUN_USER:-asyncreq}		# who asyncreq-fcgi runs as
CHILDREN=${CHILDREN:-4}			# processes serving the socket
PIDFILE=${PIDFILE:-/run/asyncreq/fcgi.pid}

mkdir -p "$(dirname "$SOCKET")"
rm -f "$SOCKET"
exec spawn-fcgi -s "$SOCKET" -M 0660 -U "$SOCKET_USER" \
	-u "$RUN_USER" -F "$CHILDREN" -P "$PIDFILE" "$@" \
	-- "$ASYNCREQ_FCGI" -c "$ASYNCREQ_CONF"
