#!/bin/bash
# distcheck.sh - `make distcheck` on a copy of the release tree: the tarball
# builds out of tree with a read-only source, passes `make check` (every
# test, this one excepted), installs and uninstalls with DESTDIR and leaves
# nothing behind. The checkout and its build stay untouched: the copy is
# made with `make distdir` into the temporary directory.
#
# One TAP point; on failure, the end of the distcheck log.

: "${AR_TIMEOUT:=3000}"		# the whole suite runs inside
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/harness.sh"

if [ -n "${AR_IN_DISTCHECK:-}" ]; then
	echo "1..0 # SKIP inside make distcheck already"
	exit 0
fi
ar_init
[ -f "$AR_BUILDDIR/Makefile" ] || ar_bail "the build tree has a Makefile" \
    "top_builddir=$AR_BUILDDIR (run ./configure first)"

src=$T/src
log=$T/distcheck.log		# not in logs/, which ar_done would show again
# The inner make must not take part in the outer one's job server.
unset MAKEFLAGS MFLAGS MAKELEVEL
if ! make -s -C "$AR_BUILDDIR" distdir distdir="$src" >"$log" 2>&1; then
	ar_bail "make distdir (a copy of the release tree)" "$(tail -n 20 "$log")"
fi
chmod 755 "$T"
t0=$(date +%s)
if (cd "$src" && ./configure && AR_IN_DISTCHECK=1 make distcheck) >>"$log" 2>&1; then
	ar_ok "make distcheck passes ($(($(date +%s) - t0)) s)"
else
	# The failing tests' names and the end of the log.
	ar_not_ok "make distcheck passes" \
	    "$(grep -E '^(FAIL|ERROR|XPASS): ' "$log" | head -n 40)" \
	    "---- last lines of make distcheck:" "$(tail -n 40 "$log")"
fi
ar_done
