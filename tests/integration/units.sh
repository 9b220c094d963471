#!/usr/bin/env bash
# The systemd units as built: every placeholder filled in, and each service
# rated 2.0 or lower ("OK") by `systemd-analyze security --offline=yes`,
# which scores what the unit still allows (capabilities, address families,
# system calls, file system, namespaces...).  debian-package.sh runs
# `systemd-analyze verify` on the installed units.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
: "${top_srcdir:=$(cd "$here/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
command -v systemd-analyze > /dev/null || { echo "FAIL: systemd-analyze is missing (package systemd)"; exit 1; }

for unit in gasvoucherd.service gasvoucher-billing.service gasvoucher-spool-prune.service; do
    f=$top_builddir/contrib/$unit
    [ -f "$f" ] || (cd "$top_builddir" && make -s "contrib/$unit") || { fail "cannot make $f"; continue; }
    grep -n '@[a-z]*@' "$f" && fail "$unit: a placeholder is left"
    # --threshold counts tenths: 20 = an exposure of 2.0.
    if ! out=$(systemd-analyze security --offline=yes --threshold=20 "$f" 2>&1); then
        fail "$unit: rated above 2.0: $(grep -v '✓' <<< "$out")"
    fi
    echo "$unit: $(grep -o 'Overall exposure level.*' <<< "$out")"
done
[ "$failures" = 0 ] || { echo "$failures failures"; exit 1; }
echo "units: every service rated 2.0 or lower"
