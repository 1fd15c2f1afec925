#!/usr/bin/env bash
# ingest-progress.sh - "asyncreq ingest" shows a progress line on a terminal
# (stderr a tty: util-linux's script gives it one) and writes nothing to
# stderr otherwise.
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/harness.sh"

ar_init
ar_require_programs
ar_conf main
for i in $(seq 1 2000); do
	printf '{"@timestamp":"2026-12-03T10:00:00Z","n":%d}\n' "$i"
done >"$T/data/e.ndjson"
size=$(stat -c %s "$T/data/e.ndjson")

out=$("$AR_CLI" -c "$T/main.conf" ingest quiet "$T/data/e.ndjson" 2>"$T/quiet.err")
ar_is "not on a terminal: the summary on stdout" "$out" "ingested 2000 events into quiet (0 lines rejected)"
ar_is "not on a terminal: nothing on stderr" "$(cat "$T/quiet.err")" ""

if ! command -v script >/dev/null 2>&1; then
	ar_ok "# SKIP script (util-linux) is not installed"
	ar_done
fi
script -qec "$AR_CLI -c $T/main.conf ingest tty $T/data/e.ndjson" /dev/null </dev/null >"$T/tty.out" 2>&1
ar_is "on a terminal: it succeeds" "$?" 0
# The last progress line: the whole file, then the summary.
last=$(tr '\r' '\n' <"$T/tty.out" | grep -a 'events/s' | tail -n 1 | sed 's/[0-9]* events\/s/N events\/s/; s/\x1b\[K//')
ar_is "on a terminal: the final progress line shows all bytes of the total" "$last" \
    "$T/data/e.ndjson: $(awk -v n="$size" 'BEGIN { printf "%.1f kB", n / 1e3 }') of $(awk -v n="$size" 'BEGIN { printf "%.1f kB", n / 1e3 }') (100%), N events/s"
ar_check "on a terminal: the summary follows" grep -aq "ingested 2000 events into tty (0 lines rejected)" "$T/tty.out"
ar_done
