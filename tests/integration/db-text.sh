#!/bin/bash
# db-text: Cyrillic, Kazakh and 4-byte text through src/odbc/db.c, intact,
# on SQLite, PostgreSQL and MariaDB.
#
# For each engine (servers from tests/lib/db.sh) the engine's own client
# creates gv_text and loads the samples of tests/odbc/db_text ("db_text
# samples"); then "db_text check" goes through libgv alone, once under the
# C locale (a daemon's with no LANG) and once under C.UTF-8: the text mode
# chosen at connect (UTF-8 through the narrow ODBC functions for SQLite and
# MariaDB; for PostgreSQL, whose driver takes its client encoding from the
# locale, UTF-8 under C and UTF-16 through the wide functions under
# C.UTF-8), every sample as a literal in prepared SQL and as a bound
# parameter finding its row, fetched byte-identical, as a literal in a
# SELECT list, values at the parameter and buffer limits and one past them,
# a Cyrillic column alias; and it writes every sample by parameter and by
# literal. The engine's client then reads the tables back as hex, which
# must be the samples' bytes.
#
# Exit 0 pass, 1 fail. A database that cannot be started is a failure, never
# a skip.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
tests=$(cd "$here/.." && pwd)
# shellcheck source=../lib/db.sh
. "$tests/lib/db.sh"
: "${top_builddir:=$(cd "$tests/.." && pwd)}"
prog=$top_builddir/tests/odbc/db_text
# Bytes are bytes in every comparison here.
export LC_ALL=C

passed=0
work=""

# Keep the script's own stdout/stderr: a signal's trap runs inside whatever
# command was running, with that command's redirections still in place.
exec 3>&1 4>&2

cleanup() {
    local rc=$?
    trap - EXIT INT TERM HUP
    exec 1>&3 2>&4
    if [ -n "$work" ]; then
        gvt_stop_all "$work" || rc=1
        [ "$rc" -ne 0 ] || rm -rf "$work"
    fi
    if [ "$rc" -ne 0 ]; then
        echo "db-text: $passed passed, failed${work:+ (files kept in $work)}"
        exit 1          # never 77 (skip) or any other code: a failure
    fi
    echo "db-text: $passed passed, 0 failed"
    exit 0
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

fail() {
    echo "FAIL: $*" >&2
    exit 1
}

ok() {
    passed=$((passed + 1))
    echo "ok - $*"
}

[ -x "$prog" ] || fail "$prog not built (make check builds it)"
locale -a 2>/dev/null | grep -qix 'c\.utf-\?8' || fail "the C.UTF-8 locale is missing (libc-bin)"
for tool in sqlite3 "$GVT_PG_BIN/psql" mariadb mariadbd od; do
    command -v "$tool" >/dev/null 2>&1 || [ -x "/usr/sbin/$tool" ] ||
        fail "$tool not found (contrib/install-deps.sh installs the test dependencies)"
done

work=$(mktemp -d "${TMPDIR:-/tmp}/gv-db-text.XXXXXX")
chmod 755 "$work"

"$prog" samples >"$work/samples.tsv" || fail "db_text samples"
# The samples go into SQL as literals below: none may hold a quote.
! grep -q "'" "$work/samples.tsv" || fail "a sample holds a quote"
# "ID HEX" a sample, the bytes every table must hold.
while IFS=$'\t' read -r id text; do
    printf '%s %s\n' "$id" "$(printf '%s' "$text" | od -An -v -tx1 | tr -d ' \n')"
done <"$work/samples.tsv" >"$work/expect.hex"

# inserts TABLE: the samples as INSERT statements, on stdout.
inserts() {
    local id text
    while IFS=$'\t' read -r id text; do
        printf "INSERT INTO %s (id, val) VALUES (%s, '%s');\n" "$1" "$id" "$text"
    done <"$work/samples.tsv"
}

# run_engine NAME CONN CLIENT DDL HEX_SQL MODE_C MODE_UTF8: one engine,
# start to end. CLIENT names an array holding the command that runs SQL on
# stdin with the engine's client; DDL creates a table named @T@; HEX_SQL
# lists "ID HEX" of @T@'s rows by id. db_text runs under the C locale (a
# daemon's, with no LANG) and under C.UTF-8, expecting the text modes
# MODE_C and MODE_UTF8: psqlODBC takes its client encoding from the locale.
run_engine() {
    local name=$1 conn=$2 ddl=$4 hex=$5 t loc mode
    local -n sql=$3
    local -A modes=([C]=$6 [C.UTF-8]=$7)
    for t in gv_text gv_text_out gv_text_lit; do
        "${sql[@]}" <<<"${ddl//@T@/$t}" >/dev/null || fail "$name: creating $t"
    done
    inserts gv_text | "${sql[@]}" >/dev/null || fail "$name: loading the samples"
    "${sql[@]}" <<<"${hex//@T@/gv_text}" >"$work/$name-gv_text.hex" ||
        fail "$name: reading gv_text back"
    cmp -s "$work/expect.hex" "$work/$name-gv_text.hex" ||
        fail "$name: the client did not store the samples as given (see $work/$name-gv_text.hex)"

    for loc in C C.UTF-8; do
        mode=${modes[$loc]}
        "${sql[@]}" <<<"DELETE FROM gv_text_out; DELETE FROM gv_text_lit;" >/dev/null ||
            fail "$name: emptying gv_text_out and gv_text_lit"
        if ! LC_ALL=$loc "$prog" check "$name" "$conn" "$mode" >"$work/$name-$loc.out" 2>&1; then
            grep -v '^ok ' "$work/$name-$loc.out" >&2 || true
            fail "$name, LC_ALL=$loc: db_text check (all lines in $work/$name-$loc.out)"
        fi
        cat "$work/$name-$loc.out"
        ok "$name, LC_ALL=$loc: text as $mode, $(tail -n 1 "$work/$name-$loc.out" | sed 's/^# [^:]*: //')"

        for t in gv_text_out gv_text_lit; do
            "${sql[@]}" <<<"${hex//@T@/$t}" >"$work/$name-$t.hex" ||
                fail "$name: reading $t back"
            if ! cmp -s "$work/expect.hex" "$work/$name-$t.hex"; then
                diff "$work/expect.hex" "$work/$name-$t.hex" | cut -c 1-160 >&2 || true
                fail "$name, LC_ALL=$loc: $t does not hold the samples' bytes"
            fi
        done
        ok "$name, LC_ALL=$loc: what libgv wrote by parameter and by literal is byte for byte the samples"
    done
}

start=$SECONDS

# --- SQLite, the embedded default: no wide functions in its driver
gvt_sqlite_create "$work/text.db" || fail "creating SQLite database"
sqlite_sql=(sqlite3 -bail "$work/text.db")
run_engine sqlite "$GVT_SQLITE_CONN" sqlite_sql \
    "CREATE TABLE @T@ (id INTEGER PRIMARY KEY, val TEXT NOT NULL);" \
    "SELECT id || ' ' || lower(hex(val)) FROM @T@ ORDER BY id;" utf-8 utf-8

# --- PostgreSQL
gvt_pg_start "$work" || fail "starting PostgreSQL"
pg_sql=(gvt_pg_sql "$work")
run_engine postgresql "$GVT_PG_CONN" pg_sql \
    "CREATE TABLE @T@ (id INTEGER PRIMARY KEY, val TEXT NOT NULL);" \
    "SELECT id || ' ' || encode(convert_to(val, 'UTF8'), 'hex') FROM @T@ ORDER BY id;" \
    utf-8 utf-16
gvt_pg_stop "$work" || fail "stopping PostgreSQL"

# --- MariaDB: a binary collation, so that a match means the same bytes
# (the database's utf8mb4_unicode_ci counts every 4-byte character equal)
gvt_maria_start "$work" || fail "starting MariaDB"
maria_sql=(gvt_maria_sql "$work")
run_engine mariadb "$GVT_MARIA_CONN" maria_sql \
    "CREATE TABLE @T@ (id INT PRIMARY KEY, val TEXT COLLATE utf8mb4_bin NOT NULL);" \
    "SELECT CONCAT(id, ' ', LOWER(HEX(val))) FROM @T@ ORDER BY id;" utf-8 utf-8
gvt_maria_stop "$work" || fail "stopping MariaDB"

echo "# db-text took $((SECONDS - start)) s"
