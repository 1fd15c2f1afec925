#!/bin/bash
# cli.sh - the asyncreq command line: ingest (plain, gzip, stdin, several
# files, bad lines reported with their line numbers while the rest loads,
# exit status) and `asyncreq query`, whose NDJSON must equal both the
# events computed from the source files and the API's events for the same
# query (through nginx).

. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/harness.sh"

ar_init
ar_require_programs
ar_conf c
C="$T/c.conf"
D=$T/data
H0=2026-01-01T00:00:00Z
H1=2026-01-01T01:00:00Z

gen() {	# FILE ARGS...: gen-events into FILE
	local f=$1
	shift
	"$AR_PYTHON" "$AR_GEN" "$@" >"$f"
}

ingest() {	# ARGS...: asyncreq ingest; sets RC, OUT, ERR
	"$AR_CLI" -c "$C" ingest "$@" >"$T/ingest.out" 2>"$T/ingest.err" </dev/null
	RC=$?
	OUT=$(cat "$T/ingest.out")
	ERR=$(cat "$T/ingest.err")
}

# ---------------------------------------------------------------- ingest
gen "$D/plain.ndjson" --count 400 --seed 21 --start $H0 --end $H1 --tie-every 5 --shuffle
ingest idx-plain "$D/plain.ndjson"
ar_is "ingest plain NDJSON: exit 0 and the count" "$RC $OUT" "0 ingested 400 events into idx-plain (0 lines rejected)"

gen "$D/gz.ndjson" --count 300 --seed 22 --start 2026-01-01T00:00:00.400Z --end 2026-01-01T01:00:00.400Z \
    --index-style security
gzip -c "$D/gz.ndjson" >"$D/gz.ndjson.gz"
ingest idx-gz "$D/gz.ndjson.gz"
ar_is "ingest gzip NDJSON: exit 0 and the count" "$RC $OUT" "0 ingested 300 events into idx-gz (0 lines rejected)"

gen "$D/stdin.ndjson" --count 150 --seed 23 --start $H0 --end $H1
"$AR_CLI" -c "$C" ingest idx-stdin - <"$D/stdin.ndjson" >"$T/ingest.out" 2>"$T/ingest.err"
RC=$?
ar_is "ingest from stdin (-): exit 0 and the count" "$RC $(cat "$T/ingest.out")" \
    "0 ingested 150 events into idx-stdin (0 lines rejected)"

gen "$D/m1.ndjson" --count 100 --seed 24 --start 2026-01-01T00:00:00.700Z --end 2026-01-01T00:30:00.700Z
gen "$D/m2.ndjson" --count 100 --seed 25 --start 2026-01-01T00:30:00.700Z --end 2026-01-01T01:00:00.700Z
gzip -c "$D/m2.ndjson" >"$D/m2.ndjson.gz"
ingest idx-multi "$D/m1.ndjson" "$D/m2.ndjson.gz"
ar_is "ingest of two files (plain + gzip): one total" "$RC $OUT" "0 ingested 200 events into idx-multi (0 lines rejected)"

# Bad lines: 2 (not JSON), 4 (an array), 6 (a string) are rejected.
gen "$D/good4.ndjson" --count 4 --seed 26 --start 2026-01-01T00:10:00Z --end 2026-01-01T00:10:04Z
{
	sed -n 1p "$D/good4.ndjson"
	echo '{"@timestamp": "2026-01-01T00:10:00.500Z", broken'
	sed -n 2p "$D/good4.ndjson"
	echo '[1, 2, 3]'
	sed -n 3p "$D/good4.ndjson"
	echo '"just a string"'
	sed -n 4p "$D/good4.ndjson"
} >"$D/bad.ndjson"
ingest idx-bad "$D/bad.ndjson"
ar_is "ingest with 3 bad lines: exit 1" "$RC" 1
ar_is "ingest with 3 bad lines: the rest is loaded" "$OUT" "ingested 4 events into idx-bad (3 lines rejected)"
ar_is "ingest with 3 bad lines: stderr names FILE:LINE of each" \
    "$(grep -o "^$D/bad.ndjson:[0-9]*: " "$T/ingest.err" | tr -d ' ' | tr '\n' ' ')" \
    "$D/bad.ndjson:2: $D/bad.ndjson:4: $D/bad.ndjson:6: "
gzip -c "$D/bad.ndjson" >"$D/badgz.ndjson.gz"
ingest idx-badgz "$D/badgz.ndjson.gz"
ar_is "gzip with bad lines: exit 1, counts, line numbers" \
    "$RC $OUT | $(grep -o "^$D/badgz.ndjson.gz:[0-9]*: " "$T/ingest.err" | tr -d ' ' | tr '\n' ' ')" \
    "1 ingested 4 events into idx-badgz (3 lines rejected) | $D/badgz.ndjson.gz:2: $D/badgz.ndjson.gz:4: $D/badgz.ndjson.gz:6: "

gen "$D/epoch.ndjson" --count 120 --seed 27 --start $H0 --end $H1 --time-field EventTime --time-format epoch_ms
ingest --time-field EventTime idx-epoch "$D/epoch.ndjson"
ar_is "ingest --time-field EventTime (epoch ms)" "$RC $OUT" "0 ingested 120 events into idx-epoch (0 lines rejected)"

ingest idx-missing "$D/does-not-exist.ndjson"
ar_check "ingest of a missing file: exit 1 naming the file" \
    test "$RC" = 1 -a -n "$(grep -F "does-not-exist.ndjson" "$T/ingest.err")"
ingest "bad/name" "$D/good4.ndjson"
ar_check "ingest into an invalid index name fails" test "$RC" -ne 0

# ---------------------------------------------------------------- query
query() {	# ARGS...: asyncreq query; sets RC, output in $T/query.out
	"$AR_CLI" -c "$C" query "$@" >"$T/query.out" 2>"$T/query.err" </dev/null
	RC=$?
}

# The NDJSON output of a query against the events computed from the files:
# cmp_events NAME OUTFILE LIMIT START END TIMEFIELD INDEX=FILE...
CMP_PY='
import json, sys
from api_test import Data, iso_to_ms, compare_events, Tap
name, out, limit, start, end, tf = sys.argv[1:7]
specs = [x.split("=", 1) for x in sys.argv[7:]]
data = Data()
for idx, path in specs:
    data.load(idx, path, tf)
exp = data.expect([idx for idx, _ in specs], iso_to_ms(start), iso_to_ms(end),
                  None if limit == "-" else int(limit))
got, bad = [], None
for n, line in enumerate(open(out, "rb").read().split(b"\n")):
    if line:
        try:
            got.append(json.loads(line.decode("utf-8")))
        except ValueError as e:
            bad = "line %d of the output is not JSON: %r" % (n + 1, e)
            break
class P(Tap):
    def ok(self, cond, name, *diag):
        print(("ok" if cond else "not ok") + " - " + name)
        if not cond:
            for d in diag:
                for l in str(d).splitlines():
                    print("#   " + l)
        return cond
if bad:
    P(0).ok(False, name, bad)
else:
    compare_events(P(0), got, exp, name)
print("END")
'
cmp_events() { ar_py "$CMP_PY" "$@"; }

query() {	# ARGS...: asyncreq query; sets RC, output in $T/query.out
	"$AR_CLI" -c "$C" query "$@" >"$T/query.out" 2>"$T/query.err" </dev/null
	RC=$?
}

query --from $H0 --to $H1 "source idx-plain qsize=25"
ar_is "query source qsize=25: exit 0" "$RC" 0
cp "$T/query.out" "$T/q-plain.out"
cmp_events "query source qsize=25: the 25 newest events as NDJSON" "$T/q-plain.out" 25 $H0 $H1 @timestamp \
    "idx-plain=$D/plain.ndjson"

query --from 2026-01-01T00:20:00Z --to 2026-01-01T00:40:00Z "source idx-plain,idx-gz"
ar_is "query over two indices: exit 0" "$RC" 0
cp "$T/query.out" "$T/q-two.out"
cmp_events "query over two indices: merged newest first" "$T/q-two.out" - 2026-01-01T00:20:00Z \
    2026-01-01T00:40:00Z @timestamp "idx-plain=$D/plain.ndjson" "idx-gz=$D/gz.ndjson"

query --from $H0 --to $H1 "source idx-stdin"
cmp_events "events ingested from stdin: all there" "$T/query.out" - $H0 $H1 @timestamp \
    "idx-stdin=$D/stdin.ndjson"
query --from $H0 --to $H1 "source idx-multi"
"$AR_PYTHON" -c 'import sys; sys.stdout.buffer.write(open(sys.argv[1], "rb").read() + open(sys.argv[2], "rb").read())' \
    "$D/m1.ndjson" "$D/m2.ndjson" >"$D/multi.ndjson"
cmp_events "events of two ingested files: all there" "$T/query.out" - $H0 $H1 @timestamp \
    "idx-multi=$D/multi.ndjson"
query --from $H0 --to $H1 "source idx-bad"
cmp_events "the good lines of a file with bad lines: loaded" "$T/query.out" - $H0 $H1 @timestamp \
    "idx-bad=$D/good4.ndjson"

query --from 2026-01-01T00:10:00Z --to 2026-01-01T00:10:03Z "source idx-bad earliest=2026-01-01T00:10:01Z"
cmp_events "query with earliest= override" "$T/query.out" - 2026-01-01T00:10:01Z 2026-01-01T00:10:03Z \
    @timestamp "idx-bad=$D/good4.ndjson"

query "| makeresults count=3 shownumbers=true"
ar_is "query makeresults count=3 shownumbers=true: numbers 1..3" \
    "$RC $("$AR_PYTHON" -c 'import json,sys; print([json.loads(l)["number"] for l in open(sys.argv[1]) if l.strip()])' "$T/query.out")" \
    "0 [1, 2, 3]"

query --from $H0 --to $H1 "source idx-plain | stat count"
ar_is "query with an unknown command: fails with its place" \
    "$RC $(cat "$T/query.err")" \
    "1 asyncreq: unknown command 'stat' at line 1, column 20 (position 19)"

# ---------------------------------------------------------------- CLI = API
ar_check "asyncreq-runner starts" ar_start_runner c
ar_check "asyncreq-fcgi listens" ar_start_fcgi c 2
ar_check "nginx starts" ar_nginx_start "|$T/c.sock|0"
ar_check "health answers 200" ar_wait_health "$AR_BASE/_sme/async_requests/health" 15

api_vs_cli() {	# NAME DTSTART DTEND DTFIELD QUERY: the API's events = asyncreq query's
	local name=$1 from=$2 to=$3 tf=$4 q=$5
	if [ "$tf" = @timestamp ]; then
		query --from "$from" --to "$to" "$q"
	else
		: >"$T/query.out"
	fi
	ar_py '
import json, sys, time
from api_test import Client, canon
name, base, f, t, tf, q, out = sys.argv[1:8]
c = Client(base, "")
body = {"query": q, "dtStart": f, "dtEnd": t, "dtFieldName": tf}
r = c.call("POST", "request", body=body)
tid = r.json.get("id") if r.status == 201 else None
d = {}
end = time.time() + 20
while tid and time.time() < end:
    d = c.call("GET", "status/" + tid).json or {}
    if d.get("status") in ("DONE", "FAILED", "CANCELLED"):
        break
    time.sleep(0.02)
r = c.call("GET", "response/" + tid) if tid else r
api = (r.json or {}).get("events")
if tf == "@timestamp":
    cli = [json.loads(l) for l in open(out, "rb").read().split(b"\n") if l]
    good = isinstance(api, list) and len(api) > 0 and [canon(x) for x in api] == [canon(x) for x in cli]
    print(("ok" if good else "not ok") + " - " + name)
    if not good:
        print("#   API (%s): %r" % (d.get("status"), r))
        print("#   CLI: %s" % json.dumps(cli)[:1500])
else:
    exp_path = sys.argv[8]
    from api_test import Data, iso_to_ms, compare_events, Tap
    data = Data()
    data.load("x", exp_path, tf)
    exp = data.expect(["x"], iso_to_ms(f), iso_to_ms(t), 10)
    class P(Tap):
        def ok(self, cond, nm, *diag):
            print(("ok" if cond else "not ok") + " - " + nm)
            for x in ([] if cond else diag):
                print("#   " + str(x)[:1500])
            return cond
    compare_events(P(0), api, exp, name)
print("END")
' "$name" "$AR_BASE" "$from" "$to" "$tf" "$q" "$T/query.out" "${@:6}"
}
api_vs_cli "asyncreq query and the API give the same events (qsize=40)" $H0 $H1 @timestamp \
    "source idx-plain qsize=40"
api_vs_cli "asyncreq query and the API give the same events (two indices, sub-range)" \
    2026-01-01T00:05:00Z 2026-01-01T00:15:00Z @timestamp "source idx-gz,idx-multi"
api_vs_cli "the API reads an index ingested with --time-field (dtFieldName EventTime)" $H0 $H1 EventTime \
    "source idx-epoch qsize=10" "$D/epoch.ndjson"

ar_done
