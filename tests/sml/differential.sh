#!/bin/bash
# differential.sh - the SML engine against independent oracles (SQLite's
# JSON functions through the sqlite3 program, and jq) on 120,000 generated
# events: at least 30 queries (stats, top, rare, dedup, sort | head,
# timechart, bin, where with functions, eval, fields, search terms and
# comparisons, qsize, earliest/latest, eventstats, streamstats, rex, regex,
# spath, mvexpand, makemv, subsearches in search and where, lookup and
# inputlookup over tables it stores) must give the same answers. Prints
# TAP; see differential.py.
#
# Usage: tests/sml/differential.sh   (DIFF_COUNT, DIFF_ONLY: see differential.py)
here=$(cd "$(dirname "$0")" && pwd)
: "${top_srcdir:=$(cd "$here/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
export top_srcdir top_builddir
if [ ! -f "$here/differential.py" ]; then
	echo "1..0 # SKIP tests/sml/differential.py is not in this tree"
	exit 0
fi
for p in sqlite3 jq; do
	if ! command -v "$p" >/dev/null 2>&1; then
		echo "1..0 # SKIP $p is not installed (scripts/deps installs it)"
		exit 0
	fi
done
work=$(mktemp -d "${TMPDIR:-/tmp}/asyncreq-diff.XXXXXX") || exit 99
trap 'rm -rf "$work"' EXIT
"${AR_PYTHON:-python3}" "$here/differential.py" "$work"
