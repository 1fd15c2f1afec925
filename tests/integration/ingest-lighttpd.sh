#!/usr/bin/env bash
# ingest-lighttpd.sh - the shipped conf/lighttpd/asyncreq-ingest.conf (its
# port and paths replaced by the test's) in front of asyncreq-fcgi: the
# ingest API at the root with basic auth, ASYNCREQ_API from
# setenv.add-environment, Splunk's collector by token without basic auth.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/harness.sh"

TOKEN=abcdef01-2345-4678-9abc-def012345678
ar_init
ar_require_programs
ar_conf main "auth.ingest_users = alice" "ingest.hec_tokens = $TOKEN=hec"
ar_check "asyncreq-fcgi listens" ar_start_fcgi main 1
ar_htpasswd
P=$(ar_free_port)
mkdir -p "$T/lt/www"
sed -e "s|\":9200\"|\"127.0.0.1:$P\"|" -e "s|/run/asyncreq/fcgi.sock|$T/main.sock|" \
    -e "s|/etc/lighttpd/asyncreq-ingest.htpasswd|$T/htpasswd|" \
    "$AR_SRCDIR/conf/lighttpd/asyncreq-ingest.conf" >"$T/lt/ingest.conf"
ar_check "the shipped file's port and socket are replaced" \
    grep -q "127.0.0.1:$P" "$T/lt/ingest.conf"
ar_check "(the socket too)" grep -q "$T/main.sock" "$T/lt/ingest.conf"
cat >"$T/lt/lighttpd.conf" <<EOF2
server.document-root = "$T/lt/www"
server.errorlog = "$T/lt/error.log"
server.bind = "127.0.0.1"
server.port = $(ar_free_port)
include "$T/lt/ingest.conf"
EOF2
ar_check "lighttpd accepts the configuration" "$AR_LIGHTTPD" -tt -f "$T/lt/lighttpd.conf"
ar_spawn lighttpd "$AR_LIGHTTPD" -D -f "$T/lt/lighttpd.conf"
ar_check "lighttpd listens on the ingest port" ar_wait_port "$P" 10
B=http://127.0.0.1:$P

r=$(curl -s -u alice:pw-alice "$B/")
ar_is "GET / with credentials: the version document" \
    "$(ar_json 'd["version"]["number"]' "$r")" "8.11.0"
r=$(curl -s -u alice:pw-alice -H 'Content-Type: application/x-ndjson' \
    --data-binary $'{"index":{"_index":"lt"}}\n{"@timestamp":1796288400,"m":1}\n' "$B/_bulk")
ar_is "POST /_bulk: stored" "$(ar_json '[d["errors"], d["items"][0]["index"]["status"]]' "$r")" \
    "[false, 201]"
ar_is "no credentials: lighttpd's 401" \
    "$(curl -s -o /dev/null -w '%{http_code}' "$B/_cat/indices")" 401
r=$(curl -s -u bob:pw-bob "$B/_cat/indices")
ar_is "bob (not in auth.ingest_users): 403" "$(ar_json 'd["status"]' "$r")" 403
r=$(curl -s "$B/services/collector/event" -H "Authorization: Splunk $TOKEN" -d '{"event":"via lighttpd"}')
ar_is "HEC with its token and no basic auth: Success" "$r" '{"text":"Success","code":0}'
r=$(curl -s -u alice:pw-alice "$B/_cat/indices?format=json")
ar_is "both events are there" "$(ar_json '[[i["index"], i["docs.count"]] for i in d]' "$r")" \
    '[["hec", "1"], ["lt", "1"]]'
ar_done
