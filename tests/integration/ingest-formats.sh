#!/usr/bin/env bash
# ingest-formats.sh - "asyncreq ingest --format" on the logs that the real
# nginx, Apache and lighttpd write: requests are made through each, their
# access and error logs are ingested, and a query finds the exact status,
# path, method and bytes of each request.
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/harness.sh"
. "$AR_SRCDIR/tests/lib/apache.sh"

ar_init
ar_require_programs
ar_conf main
ar_htpasswd
if [ "$(id -u)" = 0 ]; then
	ar_check "as root: the programs run as $AR_APACHE_USER" ar_apache_drop_root
fi

# ingest NAME FORMAT INDEX FILE: asyncreq ingest --format; output in $OUT
ingest() {
	OUT=$("$AR_CLI" -c "$T/main.conf" ingest --format "$2" "$3" "$4" 2>"$T/$1.err")
	RC=$?
}
# q SML: the query's NDJSON in $Q
q() { Q=$("$AR_CLI" -c "$T/main.conf" query "$1" 2>"$T/query.err" </dev/null); }
lines() { [ -f "$1" ] && [ "$(wc -l <"$1")" -ge "$2" ]; }
# get URL [CURL-ARGS...]: prints "STATUS BODYBYTES HEADERBYTES"
get() {
	local u=$1
	shift
	curl -s -o /dev/null -m 20 -w '%{http_code} %{size_download} %{size_header}' "$@" "$u"
}

# ---------------------------------------------------------------- nginx
ar_check "nginx starts" ar_nginx_start "/gone|$T/no-such.sock|0"
read -r s1 b1 _ < <(get "$AR_BASE/nope/a.html?b=1" -A "fmt-test/1" -e "http://127.0.0.1/from")
read -r s2 b2 _ < <(get "$AR_BASE/nope/form" -X POST -d x=1 -A "fmt-test/2")
read -r s3 b3 _ < <(get "$AR_BASE/gone/_sme/a" -A "fmt-test/3")
ar_is "nginx: the requests were answered" "$s1 $s2 $s3" "404 404 502"
ar_check "nginx wrote 3 access log lines" ar_wait_until 10 lines "$T/nginx/access.log" 3
ar_check "nginx wrote its error log line" ar_wait_until 10 grep -q "no-such.sock" "$T/nginx/error.log"
ingest ngx combined ngx "$T/nginx/access.log"
ar_is "nginx access log: all 3 lines parse" "$RC $OUT" \
    "0 ingested 3 events into ngx (0 lines did not parse as combined, kept with _parse_error; 0 lines rejected)"
q 'source ngx | sort user_agent | fields client, method, path, protocol, status, bytes, referrer, user_agent'
ar_is "nginx access log: the fields of each request" "$Q" \
"{\"client\":\"127.0.0.1\",\"method\":\"GET\",\"path\":\"/nope/a.html?b=1\",\"protocol\":\"HTTP/1.1\",\"status\":404,\"bytes\":$b1,\"referrer\":\"http://127.0.0.1/from\",\"user_agent\":\"fmt-test/1\"}
{\"client\":\"127.0.0.1\",\"method\":\"POST\",\"path\":\"/nope/form\",\"protocol\":\"HTTP/1.1\",\"status\":404,\"bytes\":$b2,\"user_agent\":\"fmt-test/2\"}
{\"client\":\"127.0.0.1\",\"method\":\"GET\",\"path\":\"/gone/_sme/a\",\"protocol\":\"HTTP/1.1\",\"status\":502,\"bytes\":$b3,\"user_agent\":\"fmt-test/3\"}"
gzip -c "$T/nginx/access.log" >"$T/access.log.gz"
ingest ngxgz combined ngxgz "$T/access.log.gz"
ar_is "a gzip-compressed access log reads the same" "$RC $OUT" \
    "0 ingested 3 events into ngxgz (0 lines did not parse as combined, kept with _parse_error; 0 lines rejected)"
grep "no-such.sock" "$T/nginx/error.log" >"$T/ngx-error.log"
ingest ngxerr nginx-error ngxerr "$T/ngx-error.log"
ar_is "nginx error log: the line parses" "$RC $OUT" \
    "0 ingested 1 events into ngxerr (0 lines did not parse as nginx-error, kept with _parse_error; 0 lines rejected)"
q 'source ngxerr | fields severity, client, server, request, upstream'
ar_is "nginx error log: its fields" "$Q" \
    "{\"severity\":\"crit\",\"client\":\"127.0.0.1\",\"server\":\"localhost\",\"request\":\"GET /gone/_sme/a HTTP/1.1\",\"upstream\":\"fastcgi://unix:$T/no-such.sock:\"}"
ts=$(grep -o '"@timestamp":"[^"]*"' <<<"$("$AR_CLI" -c "$T/main.conf" query 'source ngx | head 1' 2>/dev/null)")
ar_check "nginx access log: the time is the line's, with its offset ($ts)" \
    grep -Eq '^"@timestamp":"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}[+-][0-9]{2}:[0-9]{2}"$' <<<"$ts"

# ---------------------------------------------------------------- Apache
if ar_apache_have proxy proxy_fcgi; then
	AR_APACHE_EXTRA="LoadModule log_config_module \"$AR_APACHE_MODULES/mod_log_config.so\"
LogFormat \"%h %l %u %t \\\"%r\\\" %>s %O \\\"%{Referer}i\\\" \\\"%{User-Agent}i\\\"\" combined
LogFormat \"%h %l %u %t \\\"%r\\\" %>s %b\" common
CustomLog \"$T/apache/combined.log\" combined
CustomLog \"$T/apache/common.log\" common"
	# mod_log_config is built in on Debian: load it only when it is not.
	if "$AR_APACHE" -l 2>/dev/null | grep -q mod_log_config; then
		AR_APACHE_EXTRA=${AR_APACHE_EXTRA#*$'\n'}
	fi
	mkdir -p "$T/apache/www"
	printf 'hello\n' >"$T/apache/www/hello.txt"
	[ -z "${AR_AS_USER:-}" ] || chown -R "$AR_AS_USER:" "$T/apache"
	ar_check "Apache starts" ar_apache_start apache proxy "/gone|$T/no-such.sock|0"
	read -r s1 b1 h1 < <(get "$AR_BASE/hello.txt" -A "fmt-test/1")
	read -r s2 b2 h2 < <(get "$AR_BASE/missing.html" -A "fmt-test/2" -e "http://127.0.0.1/from")
	read -r s3 b3 h3 < <(get "$AR_BASE/gone/_sme/a" -A "fmt-test/3")
	ar_is "Apache: the requests were answered" "$s1 $b1 $s2 $s3" "200 6 404 503"
	ar_check "Apache wrote 3 combined lines" ar_wait_until 10 lines "$T/apache/combined.log" 3
	ar_check "Apache wrote 3 common lines" ar_wait_until 10 lines "$T/apache/common.log" 3
	ar_check "Apache wrote its error log line" ar_wait_until 10 grep -q "AH02454" "$T/apache/error.log"
	ingest apc combined apc "$T/apache/combined.log"
	ar_is "Apache combined log: all 3 lines parse" "$RC $OUT" \
	    "0 ingested 3 events into apc (0 lines did not parse as combined, kept with _parse_error; 0 lines rejected)"
	q 'source apc | sort user_agent | fields method, path, status, bytes, referrer, user_agent'
	ar_is "Apache combined log: the fields (bytes are %O: headers and body)" "$Q" \
"{\"method\":\"GET\",\"path\":\"/hello.txt\",\"status\":200,\"bytes\":$((b1 + h1)),\"user_agent\":\"fmt-test/1\"}
{\"method\":\"GET\",\"path\":\"/missing.html\",\"status\":404,\"bytes\":$((b2 + h2)),\"referrer\":\"http://127.0.0.1/from\",\"user_agent\":\"fmt-test/2\"}
{\"method\":\"GET\",\"path\":\"/gone/_sme/a\",\"status\":503,\"bytes\":$((b3 + h3)),\"user_agent\":\"fmt-test/3\"}"
	ingest apn common apn "$T/apache/common.log"
	ar_is "Apache common log: all 3 lines parse" "$RC $OUT" \
	    "0 ingested 3 events into apn (0 lines did not parse as common, kept with _parse_error; 0 lines rejected)"
	q 'source apn | sort path | fields client, method, path, protocol, status, bytes'
	ar_is "Apache common log: the fields (bytes are %b: the body)" "$Q" \
"{\"client\":\"127.0.0.1\",\"method\":\"GET\",\"path\":\"/gone/_sme/a\",\"protocol\":\"HTTP/1.1\",\"status\":503,\"bytes\":$b3}
{\"client\":\"127.0.0.1\",\"method\":\"GET\",\"path\":\"/hello.txt\",\"protocol\":\"HTTP/1.1\",\"status\":200,\"bytes\":6}
{\"client\":\"127.0.0.1\",\"method\":\"GET\",\"path\":\"/missing.html\",\"protocol\":\"HTTP/1.1\",\"status\":404,\"bytes\":$b2}"
	cp "$T/apache/error.log" "$T/apache-error.log"
	ingest aperr apache-error aperr "$T/apache-error.log"
	ar_check "Apache error log: every line parses ($OUT)" \
	    grep -Eq '^ingested [0-9]+ events into aperr \(0 lines did not parse as apache-error' <<<"$OUT"
	q 'source aperr | where code == "AH02454" | fields module, severity, os_error, code'
	ar_is "Apache error log: the failed connection's module, level, system error, code" "$Q" \
	    '{"module":"proxy","severity":"error","os_error":"(2)No such file or directory","code":"AH02454"}'
	q 'source aperr | where code == "AH01079" | fields pid, client'
	ar_check "Apache error log: the client address and pid ($Q)" \
	    grep -Eq '^\{"pid":[0-9]+,"client":"127\.0\.0\.1:[0-9]+"\}$' <<<"$Q"
else
	ar_ok "# SKIP apache2 with mod_proxy_fcgi is not installed"
fi

# ---------------------------------------------------------------- lighttpd
mkdir -p "$T/lighttpd/www"
printf 'hello, lighttpd\n' >"$T/lighttpd/www/index.html"
AR_LIGHTTPD_EXTRA="server.modules += ( \"mod_accesslog\" )
accesslog.filename = \"$T/lighttpd/access.log\""
ar_check "lighttpd starts" ar_lighttpd_start lighttpd
read -r s1 b1 _ < <(get "$AR_BASE/index.html" -A "fmt-test/1")
read -r s2 b2 _ < <(get "$AR_BASE/none" -A "fmt-test/2" -e "http://127.0.0.1/from")
ar_is "lighttpd: the requests were answered" "$s1 $b1 $s2" "200 16 404"
ar_check "lighttpd wrote 2 access log lines" ar_wait_until 10 lines "$T/lighttpd/access.log" 2
ingest lig lighttpd lig "$T/lighttpd/access.log"
ar_is "lighttpd access log: both lines parse" "$RC $OUT" \
    "0 ingested 2 events into lig (0 lines did not parse as lighttpd, kept with _parse_error; 0 lines rejected)"
q 'source lig | sort path | fields host, method, path, status, bytes, referrer, user_agent'
ar_is "lighttpd access log: the fields" "$Q" \
"{\"host\":\"127.0.0.1:$AR_PORT\",\"method\":\"GET\",\"path\":\"/index.html\",\"status\":200,\"bytes\":16,\"user_agent\":\"fmt-test/1\"}
{\"host\":\"127.0.0.1:$AR_PORT\",\"method\":\"GET\",\"path\":\"/none\",\"status\":404,\"bytes\":$b2,\"referrer\":\"http://127.0.0.1/from\",\"user_agent\":\"fmt-test/2\"}"

# ---------------------------------------------------------------- a bad line
{ cat "$T/nginx/access.log"; echo "this is not an access log line"; } >"$T/mixed.log"
ingest mixed combined mixed "$T/mixed.log"
ar_is "a line that does not parse is kept and counted" "$RC $OUT" \
    "0 ingested 4 events into mixed (1 lines did not parse as combined, kept with _parse_error; 0 lines rejected)"
ar_is "(and named on standard error)" "$(cat "$T/mixed.err")" \
    "$T/mixed.log:4: does not parse as combined: kept with _parse_error"
q 'source mixed | where _parse_error == "not a combined access log line" | fields message, _time_missing'
ar_is "(its raw line is the message)" "$Q" '{"message":"this is not an access log line","_time_missing":true}'
ar_done
