#!/bin/bash
# run.sh - fuzzes the SML parser with libFuzzer, ASan and UBSan.
#
# Usage: tests/fuzz/run.sh [--merge] [LIBFUZZER-ARGS...]
#
# Builds tests/fuzz/fuzz_sml_parse.c with the project's sources
# (src/sml/*.c src/common/*.c src/store/*.c, which exec.c links against)
# using Debian clang (clang-14, else clang; `scripts/deps` installs it) and
# -fsanitize=fuzzer,address,undefined, then runs it for FUZZ_SECONDS
# (default 600) with -max_len=4096, starting from the checked-in seed corpus
# tests/fuzz/corpus and the dictionary tests/fuzz/sml.dict. New inputs go to
# a temporary directory. Exits 1 on any crash, leak, sanitizer report or
# timeout, printing the reproducer (kept in tests/fuzz/crashes/).
#
# First every input of tests/fuzz/regressions (inputs that crashed once) is
# run; any failure there fails at once.
#
# --merge: afterwards, minimise the seeds plus what the run found into
# tests/fuzz/corpus (libFuzzer -merge=1), to be checked in.
#
# Environment: FUZZ_SECONDS (600), FUZZ_CC (compiler), FUZZ_JOBS (parallel
# fuzzing processes, default 1), KEEP_TMP=1 keeps the work directory.
# A crash reproduces with: <binary> tests/fuzz/crashes/crash-...
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
seconds=${FUZZ_SECONDS:-600}
jobs=${FUZZ_JOBS:-1}
merge=0
if [ "${1:-}" = --merge ]; then
	merge=1
	shift
fi

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

bin=$work/fuzz_sml_parse
# shellcheck disable=SC2046 # pkg-config output is meant to be split
if ! "$cc" -g -O1 -fno-omit-frame-pointer \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	-I"$top/src" -I"$top" \
	$(pkg-config --cflags jansson libpcre2-8 lmdb) \
	"$here/fuzz_sml_parse.c" "$top"/src/sml/*.c "$top"/src/common/*.c \
	"$top"/src/store/*.c \
	$(pkg-config --libs jansson libpcre2-8 lmdb) -lm -o "$bin" \
	2>"$work/build.log"; then
	echo "fuzz: build failed:" >&2
	cat "$work/build.log" >&2
	exit 2
fi
echo "fuzz: built $bin with $cc"

if ls "$here"/regressions/* >/dev/null 2>&1; then
	if ! "$bin" "$here"/regressions/* >"$work/regress.log" 2>&1; then
		grep -E 'ERROR|SUMMARY|Running:' "$work/regress.log" | tail -n 20 >&2
		echo "fuzz: FAILED: an input of tests/fuzz/regressions crashes" >&2
		exit 1
	fi
	echo "fuzz: $(ls "$here"/regressions | wc -l) regression inputs pass"
fi

mkdir -p "$work/new" "$here/crashes"
dict=()
[ -f "$here/sml.dict" ] && dict=(-dict="$here/sml.dict")
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
fork=()
[ "$jobs" -gt 1 ] && fork=(-fork="$jobs" -ignore_crashes=0)
echo "fuzz: running for $seconds s (max_len 4096)"
"$bin" "$work/new" "$here/corpus" "${dict[@]}" "${fork[@]}" \
	-max_len=4096 -max_total_time="$seconds" -timeout=10 \
	-rss_limit_mb=2048 -print_final_stats=1 \
	-artifact_prefix="$here/crashes/" "$@" >"$work/fuzz.log" 2>&1
rc=$?
tail -n 25 "$work/fuzz.log"
if [ "$rc" != 0 ]; then
	echo "fuzz: FAILED (exit $rc); reproducers:" >&2
	ls -l "$here/crashes/" >&2
	KEEP_TMP=1
	exit 1
fi
echo "fuzz: no crash in $seconds s; $(ls "$work/new" | wc -l) new inputs"
if [ "$merge" = 1 ]; then
	mkdir -p "$work/merged"
	"$bin" -merge=1 -max_len=4096 "$work/merged" "$here/corpus" "$work/new" \
		>"$work/merge.log" 2>&1 || { cat "$work/merge.log" >&2; exit 1; }
	rm -f "$here"/corpus/*
	cp "$work"/merged/* "$here/corpus/"
	echo "fuzz: corpus minimised: $(ls "$here/corpus" | wc -l) files in tests/fuzz/corpus"
fi
rmdir "$here/crashes" 2>/dev/null
exit 0
