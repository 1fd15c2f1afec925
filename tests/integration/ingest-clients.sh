#!/usr/bin/env bash
# ingest-clients.sh - the official client libraries against the ingest API
# behind nginx: Elastic's Node.js client (@elastic/elasticsearch: info(),
# index(), helpers.bulk) and Splunk's splunk-logging, both installed by
# scripts/deps from tests/node/package-lock.json under
# /var/cache/asyncreq-deps/node; their events are found by a background
# search with their fields and times.
#
# Environment: AR_NODE_MODULES (default /var/cache/asyncreq-deps/node/node_modules).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/harness.sh"

NODE_MODULES=${AR_NODE_MODULES:-/var/cache/asyncreq-deps/node/node_modules}
TOKEN=5eed5eed-aaaa-4bbb-8ccc-0123456789ab
N=500

ar_init
ar_require_programs
ar_check "node is installed (scripts/deps)" test -x "$(command -v node)"
ar_check "the Node.js clients are installed (scripts/deps)" \
    test -d "$NODE_MODULES/@elastic/elasticsearch" -a -d "$NODE_MODULES/splunk-logging"
ar_conf main "auth.ingest_users = alice" "ingest.hec_tokens = $TOKEN=hec-node"
ar_check "runner starts" ar_start_runner main
ar_check "asyncreq-fcgi listens" ar_start_fcgi main 2
ar_htpasswd
AR_NGINX_INGEST=$T/main.sock
ar_check "nginx starts with the ingest server block" \
    ar_nginx_start "/auth|$T/main.sock|1"
[ "$AR_TAP_FAIL" -eq 0 ] || ar_done

# node_run SCRIPT ARGS...: runs a Node.js script with the clients on its
# path; its "ok - " / "not ok - " lines are TAP points.
node_run() {
	local line ended=0
	while IFS= read -r line; do
		case $line in
		"ok - "*) ar_ok "${line#ok - }" ;;
		"not ok - "*) ar_not_ok "${line#not ok - }" ;;
		END) ended=1 ;;
		*) echo "#   $line" ;;
		esac
	done < <(NODE_PATH=$NODE_MODULES timeout 120 node -e "$1" "${@:2}" 2>&1)
	[ $ended = 1 ] || ar_not_ok "node script ran to the end"
}

node_run "$(cat <<'JS'
const { Client } = require('@elastic/elasticsearch');
const [base, n] = [process.argv[1], Number(process.argv[2])];
const say = (c, name, ...d) => { console.log((c ? 'ok - ' : 'not ok - ') + name); if (!c) d.forEach(x => console.log(JSON.stringify(x))); };
(async () => {
  const client = new Client({ node: base, auth: { username: 'alice', password: 'pw-alice' } });
  try {
    const info = await client.info();
    say(info.version && info.version.number === '8.11.0', 'client.info(): the version document', info);
    const one = await client.index({ index: 'node', document: { '@timestamp': '2026-12-03T08:00:00.000Z', message: 'single', n: -1 } });
    say(one.result === 'created' && one._index === 'node', 'client.index(): created', one);
    const t0 = Date.parse('2026-12-03T08:10:00Z');
    const docs = Array.from({ length: n }, (_, i) => ({ '@timestamp': new Date(t0 + i * 1000).toISOString(), n: i, message: 'node ' + i }));
    const res = await client.helpers.bulk({ datasource: docs, onDocument () { return { index: { _index: 'node' } }; }, flushBytes: 8000, concurrency: 3 });
    say(res.total === n && res.successful === n && res.failed === 0, 'helpers.bulk: ' + n + ' documents in several requests, none failed', res);
    const bad = [];
    const res2 = await client.helpers.bulk({ datasource: [{ m: 1 }, { m: 2 }], onDocument (d) { return { index: { _index: d.m === 1 ? 'node' : '_bad' } }; }, onDrop (x) { bad.push(x.error.type); }, retries: 0 });
    say(res2.successful === 1 && res2.failed === 1 && bad[0] === 'invalid_index_name_exception', 'helpers.bulk: a refused item is dropped with its error type, the other stored', res2, bad);
  } catch (e) {
    say(false, 'the Elastic client ran without an exception', String(e), e.meta && e.meta.body);
  }
  console.log('END');
})();
JS
)" "$AR_INGEST_BASE" "$N"

node_run "$(cat <<'JS'
const SplunkLogger = require('splunk-logging').Logger;
const [base, token] = [process.argv[1], process.argv[2]];
const say = (c, name, ...d) => { console.log((c ? 'ok - ' : 'not ok - ') + name); if (!c) d.forEach(x => console.log(JSON.stringify(x))); };
const logger = new SplunkLogger({ token, url: base });
const bad = new SplunkLogger({ token: 'nope-nope-nope', url: base });
const send = (lg, payload) => new Promise(res => lg.send(payload, (err, resp, body) => res({ err, status: resp && resp.statusCode, body })));
(async () => {
  const got = [];
  for (let i = 0; i < 5; i++)
    got.push(await send(logger, { message: { text: 'splunk ' + i, i }, severity: 'info', metadata: { source: 'node-test', sourcetype: 'json', host: 'h1' } }));
  say(got.every(r => !r.err && r.status === 200 && r.body && r.body.code === 0), 'splunk-logging: 5 events, each answered Success', got);
  bad.error = () => {};
  const r = await send(bad, { message: 'x' });
  say(r.status === 403 && r.body && r.body.code === 4, 'splunk-logging with a wrong token: 403 Invalid token', r);
  console.log('END');
})();
JS
)" "$AR_INGEST_BASE" "$TOKEN"

ar_py "$(cat <<'PY'
import base64, http.client, json, sys, time, urllib.parse
from api_test import say
u = urllib.parse.urlsplit(sys.argv[1]); n = int(sys.argv[2])
H = {"Authorization": "Basic " + base64.b64encode(b"alice:pw-alice").decode(), "Content-Type": "application/json"}

def call(m, p, body=None):
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    c.request(m, "/auth/_sme/async_requests/" + p, body=body, headers=H)
    return json.loads(c.getresponse().read())

def search(q, start="2000-01-01T00:00:00Z", end="2100-01-01T00:00:00Z"):
    tid = call("POST", "request", json.dumps({"query": q, "dtStart": start, "dtEnd": end}))["id"]
    for _ in range(1500):
        if call("GET", "status/" + tid)["status"] in ("DONE", "FAILED", "CANCELLED"):
            break
        time.sleep(0.02)
    return call("GET", "response/" + tid)

d = search("source node | stats count, min(n), max(n)")
say(d.get("events") == [{"count": n + 2, "min(n)": -1, "max(n)": n - 1}],
    "source node: the single document, the %d of helpers.bulk and the good one of the second bulk" % n, d)
d = search("source node | stats count", "2026-12-03T08:10:00Z", "2026-12-03T08:10:10Z")
say(d.get("events") == [{"count": 10}], "their @timestamp is their time (10 in the first 10 s)", d)
d = search("source hec-node | sort message.i | table message.text, message.i, severity, source, sourcetype, host, _time_missing", "now-1h", "now+1h")
ev = [{k: v for k, v in e.items() if v is not None} for e in d.get("events", [])]
say(ev == [{"message.text": "splunk %d" % i, "message.i": i, "severity": "info", "source": "node-test", "sourcetype": "json", "host": "h1"} for i in range(5)],
    "source hec-node: splunk-logging's events ({message, severity}) with their fields and its time", ev)
print("END")
PY
)" "$AR_BASE" "$N"

ar_done
