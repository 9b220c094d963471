#!/usr/bin/env bash
# The benchmarks still run, each on a few rows: bench/intake on PostgreSQL
# and on MariaDB, bench/billing/run, bench/billing/insert-forms,
# bench/report/run and bench/account-check, each ending 0 and (but for
# insert-forms, which has no goal) with its RESULT line last.  A benchmark
# that no longer runs makes its README's figures a claim nobody can check
# again; the figures themselves are never judged here (bench/*.md).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/db.sh"
. "$here/../lib/certs.sh"
. "$here/../lib/daemon.sh"

gvt_begin bench
bench=$top_srcdir/bench
RESULT='^RESULT [a-z0-9-]+ ratio=[0-9.]+ goal=[0-9.]+ rss_mb=[0-9.]+$'

# Each through bash: a copy of the tree (make distcheck) need not keep
# the scripts executable.
smoke() { # NAME WANT_RESULT COMMAND...
    local name=$1 want=$2 out="$dir/$1.out" t0=$SECONDS
    shift 2
    if ! timeout 900 "$@" > "$out" 2>&1; then
        fail "$name: $* ended non-zero: $(tail -5 "$out" | tr '\n' ' ')"
        return 0
    fi
    if [ "$want" = yes ] && ! tail -1 "$out" | grep -Eq "$RESULT"; then
        fail "$name: its last line is not a RESULT line: $(tail -2 "$out" | tr '\n' ' ')"
        return 0
    fi
    echo "== $name: $(( SECONDS - t0 )) s: $(tail -1 "$out")"
}

smoke intake-postgresql yes bash "$bench/intake" 2000 postgresql
smoke intake-mariadb yes bash "$bench/intake" 2000 mariadb
smoke billing yes bash "$bench/billing/run" 2000
smoke insert-forms no bash "$bench/billing/insert-forms" 2000
smoke report yes bash "$bench/report/run" 2000
smoke account-check yes bash "$bench/account-check" --accounts 2000 --seconds 1 --connections 4

gvt_end "bench-smoke: every benchmark runs on a few rows and prints its RESULT line"
