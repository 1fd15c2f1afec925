#!/bin/bash
# check.sh - the short fuzz run of `make check`, as TAP: one point per target.
#
# Runs tests/fuzz/run.sh over every target (its regressions, then
# FUZZ_SECONDS of fuzzing, 15 by default: about three minutes in
# all with the build) and turns each "fuzz: RESULT TARGET ok|FAILED" line
# into "ok N - TARGET ..." or "not ok N - TARGET". Without clang the whole
# run is one skipped point. Reproducers of a failure are kept in a
# temporary directory named in the diagnostics (the source tree may be
# read-only, as in make distcheck). The 10-minute runs are run.sh's default.

here=$(cd "$(dirname "$0")" && pwd)
targets=$("$here/run.sh" --list)
n=$(wc -w <<<"$targets")

cc=${FUZZ_CC:-}
if [ -z "$cc" ]; then
	for c in clang-14 clang; do
		if command -v "$c" >/dev/null 2>&1; then cc=$c; break; fi
	done
fi
if [ -z "$cc" ]; then
	echo "1..1"
	echo "ok 1 # SKIP no clang (the Debian package clang: scripts/deps)"
	exit 0
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/asyncreq-fuzzcheck.XXXXXX")
log=$tmp/run.log
echo "1..$n"
FUZZ_CC=$cc FUZZ_SECONDS=${FUZZ_SECONDS:-15} FUZZ_JOBS=1 \
    FUZZ_CRASH_DIR=$tmp/crashes TMPDIR=$tmp "$here/run.sh" $targets \
    >"$log" 2>&1
rc=$?
i=0
failed=0
for t in $targets; do
	i=$((i + 1))
	line=$(grep -a "^fuzz: RESULT $t " "$log")
	case $line in
	"fuzz: RESULT $t ok:"*)
		echo "ok $i - $t: ${line#*ok: }"
		;;
	*)
		failed=1
		echo "not ok $i - $t"
		if [ -n "$line" ]; then
			echo "# $line"
		else
			echo "# no result (run.sh exit $rc)"
		fi
		sed -n "/^fuzz: == $t\$/,/^fuzz: RESULT $t /p" "$log" |
		    grep -a -E '^fuzz|ERROR|SUMMARY|abort|Test unit' |
		    tail -n 15 | sed 's/^/# /'
		;;
	esac
done
if [ "$rc" = 2 ]; then
	tail -n 30 "$log" | sed 's/^/# /'
fi
if [ "$failed" = 1 ]; then
	echo "# reproducers and the log are kept in $tmp"
else
	rm -rf "$tmp"
fi
exit 0
