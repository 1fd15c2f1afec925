#!/usr/bin/env bash
# follow.sh - "asyncreq follow": lines appended to a file are ingested;
# rotation by rename and by copytruncate loses nothing; a follower killed
# with SIGKILL mid-way and started again ingests every line exactly once;
# SIGTERM stops it cleanly; --once reads what is new and exits; a file
# rotated while nobody follows and then renamed further or gzip-compressed
# (logrotate's compress, delaycompress, dateext) is read from where it went,
# nothing twice; a real
# nginx access log rotated as logrotate does (rename, USR1) loses nothing.
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/harness.sh"

ar_init
ar_require_programs
ar_conf main
L=$T/data/app.log
N=0	# lines written so far, numbered 1..N

# add COUNT: appends COUNT numbered NDJSON lines to $L
add() {
	local k
	for ((k = 0; k < $1; k++)); do
		N=$((N + 1))
		printf '{"@timestamp":"2026-12-03T10:00:00Z","n":%d}\n' "$N"
	done >>"$L"
}
# the n of every event, sorted, one a line
got() { "$AR_CLI" -c "$T/main.conf" query --from 2026-01-01 --to 2027-01-01 'source app | fields n' 2>/dev/null | sed 's/{"n":\([0-9]*\)}/\1/' | sort -n; }
count() { got | wc -l; }
has() { [ "$(count)" -ge "$1" ]; }
want() { seq 1 "$N"; }
start() {
	ar_spawn follow "$AR_CLI" -c "$T/main.conf" follow --interval 50 app "$L"
}

add 100
start
ar_check "the file's 100 lines are ingested" ar_wait_until 20 has 100
add 50
ar_check "50 appended lines are ingested" ar_wait_until 20 has 150

mv "$L" "$L.1"
add 20		# to the new file
printf '{"@timestamp":"2026-12-03T10:00:00Z","n":%d}\n' 999999 >>"$L.1"
ar_check "rotated by rename: the new file's lines are ingested" ar_wait_until 20 has 171
ar_is "rotated by rename: a line written to the old file after the rename is read too, nothing twice" \
    "$(got | tr '\n' ' ')" "$(want | tr '\n' ' ')999999 "
N_EXTRA=1

cp "$L" "$L.1" && : >"$L"
add 30		# after the truncation
ar_check "rotated by copytruncate: the lines after the truncation are ingested" \
    ar_wait_until 20 has $((N + N_EXTRA))
ar_is "rotated by copytruncate: nothing twice" "$(got | grep -vx 999999 | tr '\n' ' ')" "$(want | tr '\n' ' ')"

# SIGKILL in the middle of a large append, then a restart.
awk -v a=$((N + 1)) -v b=$((N + 300000)) 'BEGIN { for (i = a; i <= b; i++) printf "{\"@timestamp\":\"2026-12-03T10:00:00Z\",\"n\":%d}\n", i }' >>"$L"
N=$((N + 300000))
ar_check "a large append is being ingested" ar_wait_until 30 has $((N - 300000 + N_EXTRA + 1))
ar_stop follow KILL
c=$(count)
ar_check "killed mid-way ($c of $((N + N_EXTRA)) ingested)" test "$c" -lt $((N + N_EXTRA))
mv "$L" "$L.1"	# rotated while nobody follows
add 10
start
ar_check "after a restart every line is there" ar_wait_until 60 has $((N + N_EXTRA))
ar_is "after a restart every line is there exactly once" "$(got | grep -vx 999999 | md5sum)" "$(want | md5sum)"
ar_is "(the count is exact)" "$(count)" $((N + N_EXTRA))

pid=${AR_PID[follow]}
: >"$T/logs/follow.log"
kill -TERM "$pid"
ar_check "SIGTERM stops it" ar_wait_gone "$pid" 10
wait "$pid"
ar_is "(with status 0)" "$?" 0
ar_check "(and says what it did)" grep -q "^followed [0-9]* events into app (0 lines did not parse as ndjson" "$T/logs/follow.log"

add 5
out=$("$AR_CLI" -c "$T/main.conf" follow --once app "$L" 2>"$T/once.err")
ar_is "--once reads what is new and exits" "$?:$out" \
    "0:followed 5 events into app (0 lines did not parse as ndjson, kept with _parse_error)"
out=$("$AR_CLI" -c "$T/main.conf" follow --once app "$L" 2>"$T/once.err")
ar_is "--once again: nothing is new" "$out" \
    "followed 0 events into app (0 lines did not parse as ndjson, kept with _parse_error)"
ar_is "every line exactly once in the end" "$(got | grep -vx 999999 | md5sum)" "$(want | md5sum)"

add 2
out=$("$AR_CLI" -c "$T/main.conf" ingest --format ndjson --follow --once app "$L" 2>"$T/once.err")
ar_is "ingest --follow is follow" "$?:$out" \
    "0:followed 2 events into app (0 lines did not parse as ndjson, kept with _parse_error)"

# Rotated while nobody follows, then renamed further or compressed, as
# logrotate's compress, delaycompress and dateext do: the rest of the old
# file is read from wherever it went, nothing twice.
rm -f "$L".* "$L"-*
once() {	# one pass; prints its summary's count and what it said on stderr
	local out
	out=$("$AR_CLI" -c "$T/main.conf" follow --once app "$L" 2>"$T/once.err")
	echo "$out" | sed 's/^followed \([0-9]*\) events.*/\1/'
	sed "s|$T/data/||g" "$T/once.err"
}
add 7
mv "$L" "$L.1" && gzip "$L.1"	# compress: app.log.1.gz, app.log.1 gone
add 3
ar_is "compress: the 7 lines left in the file now app.log.1.gz, then the new file's 3" \
    "$(once)" "10
asyncreq: follow: app.log: rotated: read the rest of app.log.1.gz"
ar_is "(and again: nothing new)" "$(once)" 0
add 4
mv "$L" "$L-20261203"	# dateext, delaycompress: renamed only
add 2
ar_is "dateext: the rest of app.log-20261203, then the new file's" "$(once)" "6
asyncreq: follow: app.log: rotated: read the rest of app.log-20261203"
add 5
mv "$L" "$L-20261204" && gzip "$L-20261203"	# the next rotation compresses the last
add 1
ar_is "delaycompress: the rest of app.log-20261204 (by inode; the .gz beside it is another file)" \
    "$(once)" "6
asyncreq: follow: app.log: rotated: read the rest of app.log-20261204"
add 3
mv "$L" "$L-20261205" && gzip "$L-20261205"	# no new file yet
ar_is "dateext and compress: the rest of app.log-20261205.gz" "$(once)" "3
asyncreq: follow: app.log: rotated: read the rest of app.log-20261205.gz"
ar_is "found again while no new file exists: nothing twice" "$(once)" "0
asyncreq: follow: app.log: rotated: read the rest of app.log-20261205.gz"
add 2
ar_is "the new file (the old one found again, nothing read from it)" "$(once)" "2
asyncreq: follow: app.log: rotated: read the rest of app.log-20261205.gz"
ar_is "every line exactly once through the compressed rotations" \
    "$(got | grep -vx 999999 | md5sum)" "$(want | md5sum)"

# While following: the old file is renamed and compressed (and removed) at
# once, with lines still written to it before: they are read all the same.
start
add 5
ar_check "(following again)" ar_wait_until 20 has $((N + N_EXTRA))
mv "$L" "$L.3"
add 4 && mv "$L" "$L.x" && cat "$L.x" >>"$L.3" && rm "$L.x"	# late lines to the old file
gzip "$L.3"
add 6
ar_check "compressed while followed: the late lines and the new file's are read" \
    ar_wait_until 20 has $((N + N_EXTRA))
ar_is "compressed while followed: every line exactly once" \
    "$(got | grep -vx 999999 | md5sum)" "$(want | md5sum)"
# copytruncate while the follower is frozen: the lines written after its
# last look are only in the copy, and are read from it before the rest.
pid=${AR_PID[follow]}
kill -STOP "$pid"
add 5
cp "$L" "$L.5" && : >"$L"
add 3
kill -CONT "$pid"
ar_check "copytruncate past the follower: the copy's 5 new lines and the 3 after" \
    ar_wait_until 20 has $((N + N_EXTRA))
ar_is "(every line exactly once)" "$(got | grep -vx 999999 | md5sum)" "$(want | md5sum)"
ar_check "(it said where they came from)" grep -q "app.log: rotated: read the rest of $L.5" "$T/logs/follow.log"
ar_stop follow TERM

# copytruncate while nobody follows: the same, on the next start.
add 4
cp "$L" "$L.6" && : >"$L"
add 2
ar_is "copytruncate while stopped: the copy's 4, then the file's 2" "$(once)" "6
asyncreq: follow: app.log: rotated: read the rest of app.log.6"
ar_is "(every line exactly once)" "$(got | grep -vx 999999 | md5sum)" "$(want | md5sum)"

# A real writer: nginx's access log, rotated as logrotate does it (rename,
# requests still logged to the old file, USR1 to reopen, requests logged to
# the new one).
ar_check "nginx starts" ar_nginx_start
A=$T/nginx/access.log
req() {	# FROM TO: GET /r/FROM .. /r/TO (404s, each one logged)
	local k
	for ((k = $1; k <= $2; k++)); do
		curl -s -o /dev/null -m 10 "$AR_BASE/r/$k"
	done
}
paths() { "$AR_CLI" -c "$T/main.conf" query --from now-1d --to now+1d 'source web | fields path' 2>/dev/null | sed 's|{"path":"/r/\([0-9]*\)"}|\1|' | sort -n; }
npaths() { [ "$(paths | wc -l)" -ge "$1" ]; }
ar_spawn followweb "$AR_CLI" -c "$T/main.conf" follow --interval 50 --format combined web "$A"
req 1 10
ar_check "nginx: 10 requests are followed" ar_wait_until 20 npaths 10
mv "$A" "$A.1"
req 11 20	# still written to the renamed file
kill -USR1 "$(cat "$T/nginx/nginx.pid")"
ar_check "nginx reopened its access log" ar_wait_until 10 test -f "$A"
req 21 30
ar_check "nginx: the requests before and after the reopen are followed" ar_wait_until 20 npaths 30
ar_is "nginx: every request exactly once, across the rotation" "$(paths | tr '\n' ' ')" "$(seq 1 30 | tr '\n' ' ')"
ar_stop followweb TERM

# A log format, and a line that does not parse.
printf '%s\n' '<34>Oct 11 22:14:15 mymachine su: hello' 'no syslog here' >"$T/data/sys.log"
out=$("$AR_CLI" -c "$T/main.conf" follow --once --format syslog sys "$T/data/sys.log" 2>"$T/sys.err")
ar_is "--format syslog: one parsed, one kept unparsed" "$out" \
    "followed 2 events into sys (1 lines did not parse as syslog, kept with _parse_error)"
ar_is "(the unparsed line is named on stderr)" "$(cat "$T/sys.err")" \
    "asyncreq: follow: $T/data/sys.log: a line does not parse as syslog: kept with _parse_error"
ar_done
