#!/usr/bin/env bash
# blocks.sh - the event store's compressed blocks (docs/DESIGN.md, "Event
# blocks") through the command line: the same events in a store that never
# seals (storage.block_bytes = 0) and in one of 4 KiB blocks answer every
# query alike, in order, with the same counts; `asyncreq check` verifies
# the blocks; `check --upgrade` seals a store made without blocks and its
# answers stay; a byte flipped inside a block is found; events ingested out
# of order across blocks come back newest first; delete and retention drop
# blocks; a kill -9 in the middle of a large ingest keeps every committed
# batch, loses at most the one in flight and leaves the store readable.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/harness.sh"

ar_init
ar_require_programs
mkdir -p "$T/data"
ar_conf flat "storage.block_bytes = 0"
ar_conf blk "storage.block_bytes = 4KiB"
# 3000 generated Sysmon events over two hours, and 40 late ones written in
# between (times inside the range of the first blocks).
"$AR_PYTHON" "$AR_GEN" --count 3000 --seed 11 --start 2026-01-01T00:00:00Z \
    --end 2026-01-01T02:00:00Z >"$T/data/ev.ndjson" || ar_bail "gen-events failed"
"$AR_PYTHON" "$AR_GEN" --count 40 --seed 12 --start 2026-01-01T00:00:00Z \
    --end 2026-01-01T00:20:00Z >"$T/data/late.ndjson" || ar_bail "gen-events failed"
for c in flat blk; do
	ar_check "$c: ingest 3000 events" ar_ingest "$c" ev "$T/data/ev.ndjson"
	ar_check "$c: ingest 40 late events" ar_ingest "$c" ev "$T/data/late.ndjson"
done
blocks_of() {	# CONF: entries of the blocks DB
	mdb_stat -s blocks "$T/store-$1/events" | awk '/Entries:/ { print $2 }'
}
ar_is "flat: no block" "$(blocks_of flat)" 0
nb=$(blocks_of blk)
ar_check "blk: the events are in many blocks ($nb)" test "$nb" -gt 100

q() {	# CONF QUERY: asyncreq query over the whole range
	"$AR_CLI" -c "$T/$1.conf" query --from 2025-12-31T00:00:00Z --to 2026-01-02T00:00:00Z "$2"
}
same() {	# QUERY: both stores answer it byte for byte alike
	local a b
	a=$(q flat "$1" 2>&1)
	b=$(q blk "$1" 2>&1)
	if [ "$a" = "$b" ] && [ -n "$a" ]; then
		ar_ok "same answer: $1"
	else
		ar_not_ok "same answer: $1" "flat: ${a:0:300}" "blk:  ${b:0:300}"
	fi
}
same 'source ev | stats count'
same 'source ev | table @timestamp, RecordNumber'
same 'source ev | search EventID=1 | stats count BY Image'
same 'source ev | search EventID=3 | table @timestamp, RecordNumber'
same 'source ev | search EventID IN (1, 3) | stats count BY EventID'
same 'source ev | search powershell | stats count'
same 'source ev | search NOT EventID=1 | stats count'
same 'source ev | search Hostname=ws-00* | stats count BY Hostname'
same 'source ev qsize=17 | search EventID=1 | table RecordNumber'
same 'source ev earliest=2026-01-01T00:10:00Z latest=2026-01-01T00:11:00Z | table @timestamp, RecordNumber'
same 'source ev EventID=1 | head 5 | table RecordNumber'
same 'source ev | search nosuchwordanywhere | stats count'
same 'source ev | search RecordNumber=999999999 | stats count'
same 'source ev | dedup Hostname | table Hostname'
# Newest first with the late events in place: the times never go up.
order=$(q blk 'source ev | table @timestamp' | "$AR_PYTHON" -c '
import json, sys
t = [json.loads(l)["@timestamp"] for l in sys.stdin]
print(len(t), all(a >= b for a, b in zip(t, t[1:])))')
ar_is "blk: 3040 events newest first, the late ones in place" "$order" "3040 True"

# asyncreq check: the blocks verified, counts adding up.
out=$("$AR_CLI" -c "$T/blk.conf" check 2>&1)
ar_check "blk: check exits 0" test $? = 0
line=$(grep '^index ev:' <<<"$out")
ar_check "blk: check verifies ev: ${line:0:160}" grep -Eq '^index ev: 3040 events \([0-9]+ in '"$nb"' blocks of [0-9]+ bytes, 0\.[0-9]+ of their [0-9]+ raw bytes; [0-9]+ in the tail\), verified$' <<<"$line"

# --upgrade: the flat store sealed into blocks, the same answers.
cp "$T/flat.conf" "$T/up.conf"
echo "storage.block_bytes = 4KiB" >>"$T/up.conf"
out=$("$AR_CLI" -c "$T/up.conf" check --upgrade 2>&1)
ar_check "check --upgrade seals the flat store: $(grep sealed <<<"$out")" grep -Eq '^index ev: sealed [0-9]+ blocks$' <<<"$out"
ar_check "after --upgrade: verified" grep -Eq '^index ev: 3040 events .*verified$' <<<"$out"
ar_check "after --upgrade: the flat store has blocks" test "$(blocks_of flat)" -gt 100
same 'source ev | search EventID=1 | stats count BY Image'
same 'source ev | table @timestamp, RecordNumber'

# A byte flipped inside a block's compressed records is found.
cp -r "$T/store-blk" "$T/store-bad"
ar_conf bad "storage.path = $T/store-bad"
off=$("$AR_PYTHON" - "$T/store-bad/events/data.mdb" <<'PY'
import sys
d = open(sys.argv[1], "rb").read()
i = d.find(b"ARB1")
# header 52 bytes, then the summaries (their lengths at 40 and 44), then zstd
tl = int.from_bytes(d[i + 40:i + 44], "big")
fl = int.from_bytes(d[i + 44:i + 48], "big")
print(i + 52 + tl + fl + 40)
PY
)
printf '\x55' | dd of="$T/store-bad/events/data.mdb" bs=1 seek="$off" conv=notrunc 2>/dev/null
out=$("$AR_CLI" -c "$T/bad.conf" check 2>&1)
rc=$?
ar_is "a damaged block: check exits 1" "$rc" 1
ar_check "a damaged block: check names it: $(grep DAMAGED <<<"$out" | cut -c1-160)" grep -q '^index ev: 3040 events: DAMAGED: ' <<<"$out"
out=$(q bad 'source ev | stats count' 2>&1)
rc=$?
ar_check "a damaged block: a query fails (exit $rc) saying why: ${out:0:120}" \
    test "$rc" -ne 0 -a -n "$(grep -i 'event store' <<<"$out")"

# Delete drops the blocks with the events.
ar_check "delete the index" sh -c '"$1" -c "$2" indices delete ev >/dev/null' sh "$AR_CLI" "$T/blk.conf"
ar_is "after delete: no block left" "$(blocks_of blk)" 0
ar_is "after delete: no index" "$("$AR_CLI" -c "$T/blk.conf" indices | tail -n +2)" ""

# Retention by the runner drops whole blocks: 2000 events of 2020 in
# blocks, 50 of the last minutes; the rule keeps a day.
ar_conf ret "storage.block_bytes = 4KiB" 'retention.index_rules = "ret-*:1d"' \
    'retention.index_sweep_seconds = 1'
"$AR_PYTHON" "$AR_GEN" --count 2000 --seed 14 --start 2020-01-01T00:00:00Z \
    --end 2020-01-02T00:00:00Z >"$T/data/old.ndjson" || ar_bail "gen-events failed"
"$AR_PYTHON" "$AR_GEN" --count 50 --seed 15 --hours-back 1 >"$T/data/new.ndjson" || ar_bail "gen-events failed"
ar_check "ret: ingest 2000 old and 50 recent events" sh -c \
    '"$1" -c "$2" ingest ret-1 "$3" >/dev/null && "$1" -c "$2" ingest ret-1 "$4" >/dev/null' \
    sh "$AR_CLI" "$T/ret.conf" "$T/data/old.ndjson" "$T/data/new.ndjson"
nold=$(blocks_of ret)
ar_check "ret: the old events are in blocks ($nold)" test "$nold" -gt 20
ar_check "ret: the runner starts" ar_start_runner ret
ret_done() { [ "$("$AR_CLI" -c "$T/ret.conf" indices ret-1 | awk 'NR == 2 { print $2 }')" = 50 ]; }
ar_check "ret: retention (ret-*:1d) leaves the 50 recent events" ar_wait_until 30 ret_done
ar_check "ret: the old blocks are gone ($(blocks_of ret) left, of $nold)" test "$(blocks_of ret)" -lt $((nold / 5))
out=$("$AR_CLI" -c "$T/ret.conf" check 2>&1)
ar_check "ret: the index verifies: $(grep '^index ret-1' <<<"$out" | cut -c1-100)" \
    grep -Eq '^index ret-1: 50 events .*verified$' <<<"$out"
ar_is "ret: a query counts the 50" "$(q ret 'source ret-1 earliest=2019-01-01 latest=now | stats count')" '{"count":50}'
ar_stop runner-ret

# kill -9 in the middle of a large ingest: committed batches stay.
"$AR_PYTHON" "$AR_GEN" --count 200000 --seed 13 --start 2026-01-01T00:00:00Z \
    --end 2026-01-02T00:00:00Z >"$T/data/big.ndjson" || ar_bail "gen-events failed"
"$AR_CLI" -c "$T/blk.conf" ingest big "$T/data/big.ndjson" >"$T/logs/big.log" 2>&1 &
pid=$!
count_big() {
	"$AR_CLI" -c "$T/blk.conf" indices big 2>/dev/null | awk 'NR == 2 { print $2 }'
}
committed() { n=$(count_big); [ -n "$n" ] && [ "$n" -ge 4000 ]; }
if ar_wait_until 60 committed && kill -0 "$pid" 2>/dev/null; then
	kill -9 "$pid"
	wait "$pid" 2>/dev/null
	seen=$n
	after=$(count_big)
	ar_check "kill -9 during ingest: $after events kept (>= $seen seen committed, < 200000)" \
	    test "$after" -ge "$seen" -a "$after" -lt 200000
	out=$("$AR_CLI" -c "$T/blk.conf" check 2>&1)
	ar_check "kill -9 during ingest: the store verifies: $(grep '^index big' <<<"$out" | cut -c1-120)" \
	    grep -Eq "^index big: $after events .*verified$" <<<"$out"
	ar_is "kill -9 during ingest: a query counts what is kept" \
	    "$(q blk 'source big | stats count')" "{\"count\":$after}"
	ar_check "kill -9 during ingest: ingest goes on afterwards" ar_ingest blk big "$T/data/late.ndjson"
	ar_is "kill -9 during ingest: and counts it" \
	    "$(q blk 'source big | stats count')" "{\"count\":$((after + 40))}"
else
	ar_not_ok "kill -9 during ingest: the ingest committed batches while running" \
	    "count $(count_big); $(tail -n 3 "$T/logs/big.log")"
fi
ar_done
