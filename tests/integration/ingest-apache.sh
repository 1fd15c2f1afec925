#!/usr/bin/env bash
# ingest-apache.sh - the shipped conf/apache/asyncreq-ingest.conf (its port
# and paths replaced by the test's) in Apache with mod_proxy_fcgi in front of
# asyncreq-fcgi: the ingest API at the root with basic auth, ASYNCREQ_API
# from SetEnv, Splunk's collector by token without basic auth.
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/harness.sh"
. "$AR_SRCDIR/tests/lib/apache.sh"

TOKEN=abcdef01-2345-4678-9abc-def012345678
ar_init
ar_require_programs
if ! ar_apache_have proxy proxy_fcgi; then
	echo "1..0 # SKIP apache2 with mod_proxy_fcgi is not installed (scripts/deps)"
	exit 0
fi
ar_conf main "auth.ingest_users = alice" "ingest.hec_tokens = $TOKEN=hec"
ar_htpasswd
if [ "$(id -u)" = 0 ]; then
	ar_check "as root: the programs and Apache's children run as $AR_APACHE_USER" ar_apache_drop_root
fi
ar_check "asyncreq-fcgi listens" ar_start_fcgi main 1
P=$(ar_free_port)
d=$T/ap
mkdir -p "$d/run" "$d/www"
sed -e "s|^Listen 9200|Listen 127.0.0.1:$P|" -e "s|<VirtualHost \*:9200>|<VirtualHost 127.0.0.1:$P>|" \
    -e "s|/run/asyncreq/fcgi.sock|$T/main.sock|" \
    -e "s|/etc/apache2/asyncreq-ingest.htpasswd|$T/htpasswd|" \
    "$AR_SRCDIR/conf/apache/asyncreq-ingest.conf" >"$d/ingest.conf"
ar_check "the shipped file's port is replaced" grep -q "Listen 127.0.0.1:$P" "$d/ingest.conf"
ar_check "(the socket too)" grep -q "$T/main.sock" "$d/ingest.conf"
{
	echo "ServerRoot \"$d\""
	echo "DefaultRuntimeDir \"$d/run\""
	echo "PidFile \"$d/run/httpd.pid\""
	echo "ServerName localhost"
	for m in mpm_event authz_core authn_core authn_file auth_basic authz_user env proxy proxy_fcgi; do
		echo "LoadModule ${m}_module \"$AR_APACHE_MODULES/mod_$m.so\""
	done
	if [ -n "${AR_AS_USER:-}" ]; then
		echo "User $AR_AS_USER"
		echo "Group $AR_AS_USER"
	fi
	cat <<EOF2
ErrorLog "$d/error.log"
LogLevel warn
DocumentRoot "$d/www"
<Directory />
    AllowOverride None
    Require all denied
</Directory>
Include "$d/ingest.conf"
EOF2
} >"$d/httpd.conf"
[ -z "${AR_AS_USER:-}" ] || chown -R "$AR_AS_USER:" "$d"
ar_check "apache2 accepts the configuration" /usr/sbin/apache2 -t -f "$d/httpd.conf"
ar_spawn apache /usr/sbin/apache2 -DFOREGROUND -f "$d/httpd.conf"
ar_check "apache2 listens on the ingest port" ar_wait_port "$P" 10
B=http://127.0.0.1:$P

r=$(curl -s -u alice:pw-alice "$B/")
ar_is "GET / with credentials: the version document" \
    "$(ar_json 'd["version"]["number"]' "$r")" "8.11.0"
r=$(curl -s -u alice:pw-alice -H 'Content-Type: application/x-ndjson' \
    --data-binary $'{"index":{"_index":"ap"}}\n{"@timestamp":1796288400,"m":1}\n' "$B/_bulk")
ar_is "POST /_bulk: stored" "$(ar_json '[d["errors"], d["items"][0]["index"]["status"]]' "$r")" \
    "[false, 201]"
ar_is "no credentials: Apache's 401" \
    "$(curl -s -o /dev/null -w '%{http_code}' "$B/_cat/indices")" 401
r=$(curl -s -u bob:pw-bob "$B/_cat/indices")
ar_is "bob (not in auth.ingest_users): 403" "$(ar_json 'd["status"]' "$r")" 403
r=$(curl -s "$B/services/collector/event" -H "Authorization: Splunk $TOKEN" -d '{"event":"via apache"}')
ar_is "HEC with its token and no basic auth: Success" "$r" '{"text":"Success","code":0}'
r=$(curl -s -u alice:pw-alice "$B/_cat/indices?format=json")
ar_is "both events are there" "$(ar_json '[[i["index"], i["docs.count"]] for i in d]' "$r")" \
    '[["ap", "1"], ["hec", "1"]]'
ar_done
