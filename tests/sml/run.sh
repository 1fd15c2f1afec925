#!/bin/bash
# run.sh - the SML conformance cases (tests/sml/cases/*.test): each query runs
# through `asyncreq query` against the data sets of tests/sml/data, ingested
# once into a temporary storage directory, and its output must equal the
# expected NDJSON (or error) exactly. Prints TAP.
#
# Usage: tests/sml/run.sh [--show] [PATTERN...]   (see sml_cases.py)
here=$(cd "$(dirname "$0")" && pwd)
: "${top_srcdir:=$(cd "$here/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
export top_srcdir top_builddir
if [ ! -f "$here/sml_cases.py" ]; then
	echo "1..0 # SKIP tests/sml/sml_cases.py is not in this tree"
	exit 0
fi
exec "${AR_PYTHON:-python3}" "$here/sml_cases.py" "$@"
