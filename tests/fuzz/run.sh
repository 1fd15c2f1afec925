#!/bin/bash
# run.sh - fuzzes asyncreq's parsers and decoders with libFuzzer, ASan, UBSan.
#
# Usage: tests/fuzz/run.sh [--merge] [--list] [TARGET...]
#
# A TARGET is a file tests/fuzz/fuzz_TARGET.c (sml_parse, request_body,
# request_path, datemath, task_record, export_scan, bulk, formats,
# sml_query); none named: all of them, one after the other.
#
# The project's sources (src/*/*.c and src/*/*/*.c but the programs' main
# files) are built once into a library with Debian clang (clang-14, else
# clang; `scripts/deps` installs it), -fsanitize=fuzzer-no-link,address,undefined and
# -fno-sanitize-recover=all, and each target is linked with
# -fsanitize=fuzzer,address,undefined. Then, for each target:
#
#   1. every input of tests/fuzz/regressions/TARGET/ (inputs that crashed
#      once) is run: each must now pass;
#   2. the target fuzzes for FUZZ_SECONDS (default 600) with -max_len=4096,
#      from the checked-in seed corpus tests/fuzz/corpus/TARGET/ and, when
#      there is one, the dictionary tests/fuzz/TARGET.dict. New inputs go to
#      a temporary directory.
#   3. --merge: the seeds plus what the run found are minimised into
#      tests/fuzz/corpus/TARGET/ (libFuzzer -merge=1), to be checked in.
#
# Each target ends with one line "fuzz: RESULT TARGET ok|FAILED ..." (the ok
# line carries libFuzzer's final figures: seconds, executions, exec/s, cov,
# ft, corpus); tests/fuzz/check.sh reads them. Any crash, leak, sanitizer
# report, timeout or broken invariant (the targets abort) fails the target,
# and the reproducer is left in FUZZ_CRASH_DIR (default tests/fuzz/crashes)
# as TARGET-crash-...; reproduce with the binary it names (KEEP_TMP=1 keeps
# the build): fuzz_TARGET tests/fuzz/crashes/TARGET-crash-...
# Exits 0 when every target passed, 1 when one failed, 2 when it cannot
# build.
#
# Environment: FUZZ_SECONDS (600 per target), FUZZ_CC (compiler), FUZZ_JOBS
# (parallel fuzzing processes per target, default 1), FUZZ_CRASH_DIR,
# KEEP_TMP=1 keeps the work directory.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
seconds=${FUZZ_SECONDS:-600}
jobs=${FUZZ_JOBS:-1}
crashes=${FUZZ_CRASH_DIR:-$here/crashes}
merge=0
all=()
for f in "$here"/fuzz_*.c; do
	f=${f##*/fuzz_}
	all+=("${f%.c}")
done
while [ $# -gt 0 ]; do
	case $1 in
	--merge) merge=1; shift ;;
	--list) printf '%s\n' "${all[@]}"; exit 0 ;;
	-*) echo "usage: $0 [--merge] [--list] [TARGET...]" >&2; exit 2 ;;
	*) break ;;
	esac
done
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=("${all[@]}")
for t in "${targets[@]}"; do
	if [ ! -f "$here/fuzz_$t.c" ]; then
		echo "fuzz: no target '$t' (there are: ${all[*]})" >&2
		exit 2
	fi
done

cc=${FUZZ_CC:-}
if [ -z "$cc" ]; then
	for c in clang-14 clang; do
		if command -v "$c" >/dev/null 2>&1; then cc=$c; break; fi
	done
fi
if [ -z "$cc" ]; then
	echo "fuzz: no clang found (install the Debian package clang: scripts/deps)" >&2
	exit 2
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/asyncreq-fuzz.XXXXXX")
cleanup() {
	if [ -n "${KEEP_TMP:-}" ]; then
		echo "fuzz: kept $work"
	else
		rm -rf "$work"
	fi
}
trap cleanup EXIT
# The targets' own temporary files (the responder's store) go with it.
mkdir -p "$work/tmp"
export TMPDIR=$work/tmp

# The project as a library: every source but the programs' main files.
pkgs="fcgi jansson lmdb zlib xlsxwriter libpcre2-8 libzstd geoip"
# shellcheck disable=SC2086 # pkg-config output is meant to be split
# _GNU_SOURCE as configure's AC_USE_SYSTEM_EXTENSIONS asks (memmem);
# an undeclared function (a missing feature macro) is an error, not a
# silent int.
cflags="-g -O1 -fno-omit-frame-pointer -fno-sanitize-recover=all -D_GNU_SOURCE -Werror=implicit-function-declaration -I$top/src -I$top $(pkg-config --cflags $pkgs)"
# shellcheck disable=SC2086
libs="$(pkg-config --libs $pkgs) -lpthread -lm"
mkdir -p "$work/obj"
objs=()
for src in "$top"/src/*/*.c "$top"/src/*/*/*.c; do
	case $src in
	*/src/cli/*|*/fcgi_main.c|*/runner_main.c) continue ;;
	esac
	o=$work/obj/$(basename "$(dirname "$src")")_$(basename "$src" .c).o
	objs+=("$o")
	echo "$cc $cflags -fsanitize=fuzzer-no-link,address,undefined -c $src -o $o"
done >"$work/build.cmds"
# Two compilers at a time: the machine may be shared.
# shellcheck disable=SC2016
if ! xargs -P 2 -I{} sh -c '{} 2>>"$0"' "$work/build.log" <"$work/build.cmds" ||
    ! ar rcs "$work/libasyncreq.a" "${objs[@]}" 2>>"$work/build.log"; then
	echo "fuzz: build failed:" >&2
	cat "$work/build.log" >&2
	exit 2
fi
for t in "${targets[@]}"; do
	# shellcheck disable=SC2086
	if ! $cc $cflags -fsanitize=fuzzer,address,undefined \
	    "$here/fuzz_$t.c" "$work/libasyncreq.a" $libs \
	    -o "$work/fuzz_$t" 2>>"$work/build.log"; then
		echo "fuzz: build of fuzz_$t failed:" >&2
		cat "$work/build.log" >&2
		exit 2
	fi
done
echo "fuzz: built ${targets[*]} with $cc in $work"

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
mkdir -p "$crashes"
failed=0

# fail TARGET WHY: reports a failed target.
fail() {
	echo "fuzz: RESULT $1 FAILED: $2"
	failed=1
	KEEP_TMP=1
}

for t in "${targets[@]}"; do
	bin=$work/fuzz_$t
	echo "fuzz: == $t"
	reg=("$here/regressions/$t"/*)
	if [ -e "${reg[0]}" ]; then
		if ! "$bin" -runs=1 "${reg[@]}" >"$work/$t.regress.log" 2>&1; then
			grep -a -E '^fuzz|ERROR|SUMMARY|Running:|abort' \
			    "$work/$t.regress.log" | tail -n 20
			fail "$t" "an input of tests/fuzz/regressions/$t fails"
			continue
		fi
		echo "fuzz: ${#reg[@]} regression inputs of $t pass"
	fi
	mkdir -p "$work/new/$t"
	corpus=()
	[ -d "$here/corpus/$t" ] && corpus=("$here/corpus/$t")
	dict=()
	[ -f "$here/$t.dict" ] && dict=(-dict="$here/$t.dict")
	fork=()
	[ "$jobs" -gt 1 ] && fork=(-fork="$jobs" -ignore_crashes=0)
	echo "fuzz: running $t for $seconds s (max_len 4096)"
	"$bin" "$work/new/$t" "${corpus[@]}" "${dict[@]}" "${fork[@]}" \
	    -max_len=4096 -max_total_time="$seconds" -timeout=10 \
	    -rss_limit_mb=2048 -print_final_stats=1 \
	    -artifact_prefix="$crashes/$t-" >"$work/$t.log" 2>&1
	rc=$?
	tail -n 12 "$work/$t.log"
	if [ "$rc" != 0 ]; then
		grep -a -E '^fuzz|ERROR|SUMMARY|abort|Test unit written' "$work/$t.log" |
		    tail -n 10
		fail "$t" "exit $rc, reproducer in $crashes"
		continue
	fi
	# The figures: the last status line and the final stats.
	last=$(grep -E '^#[0-9]+.*(DONE|cov:)' "$work/$t.log" | tail -n 1)
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/$t.log")
	eps=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$work/$t.log")
	cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
	ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
	corp=$(sed -n 's/.* corp: \([0-9]*\/[0-9A-Za-z]*\).*/\1/p' <<<"$last")
	if [ "$merge" = 1 ]; then
		mkdir -p "$work/merged/$t"
		if ! "$bin" -merge=1 -max_len=4096 "$work/merged/$t" \
		    "${corpus[@]}" "$work/new/$t" >"$work/$t.merge.log" 2>&1; then
			tail -n 20 "$work/$t.merge.log"
			fail "$t" "merge failed"
			continue
		fi
		rm -rf "$here/corpus/$t"
		mkdir -p "$here/corpus/$t"
		cp "$work/merged/$t"/* "$here/corpus/$t/" 2>/dev/null
		echo "fuzz: corpus of $t minimised: $(ls "$here/corpus/$t" | wc -l) files"
	fi
	echo "fuzz: RESULT $t ok: ${seconds} s, ${execs:-?} execs, ${eps:-?} exec/s, cov ${cov:-?}, ft ${ft:-?}, corpus ${corp:-?} (corpus/$t: $(ls "$here/corpus/$t" 2>/dev/null | wc -l) files, new in this run: $(ls "$work/new/$t" | wc -l))"
done
rmdir "$crashes" 2>/dev/null
exit "$failed"
