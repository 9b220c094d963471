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
# a skip (tests/lib/daemon.sh: gvt_begin, fail, gvt_end).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/db.sh"
. "$here/../lib/certs.sh"
. "$here/../lib/daemon.sh"

gvt_begin db-text
prog=$top_builddir/tests/odbc/db_text
# Bytes are bytes in every comparison here.
export LC_ALL=C

[ -x "$prog" ] || { fail "$prog not built (make check builds it)"; gvt_end ""; }
locale -a 2>/dev/null | grep -qix 'c\.utf-\?8' ||
    { fail "the C.UTF-8 locale is missing (libc-bin)"; gvt_end ""; }
"$prog" samples >"$dir/samples.tsv"
# The samples go into SQL as literals below: none may hold a quote.
if grep -q "'" "$dir/samples.tsv"; then
    fail "a sample holds a quote"
    gvt_end ""
fi
# "ID HEX" a sample, the bytes every table must hold.
while IFS=$'\t' read -r id text; do
    printf '%s %s\n' "$id" "$(printf '%s' "$text" | od -An -v -tx1 | tr -d ' \n')"
done <"$dir/samples.tsv" >"$dir/expect.hex"

# inserts TABLE: the samples as INSERT statements, on stdout.
inserts() {
    local id text
    while IFS=$'\t' read -r id text; do
        printf "INSERT INTO %s (id, val) VALUES (%s, '%s');\n" "$1" "$id" "$text"
    done <"$dir/samples.tsv"
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
        "${sql[@]}" <<<"${ddl//@T@/$t}" >/dev/null
    done
    inserts gv_text | "${sql[@]}" >/dev/null
    "${sql[@]}" <<<"${hex//@T@/gv_text}" >"$dir/$name-gv_text.hex"
    if ! cmp -s "$dir/expect.hex" "$dir/$name-gv_text.hex"; then
        fail "$name: the client did not store the samples as given (see $dir/$name-gv_text.hex)"
        return
    fi

    for loc in C C.UTF-8; do
        mode=${modes[$loc]}
        echo "== $name, LC_ALL=$loc: text expected as $mode"
        "${sql[@]}" <<<"DELETE FROM gv_text_out; DELETE FROM gv_text_lit;" >/dev/null
        if ! LC_ALL=$loc "$prog" check "$name" "$conn" "$mode" >"$dir/$name-$loc.out" 2>&1; then
            cat "$dir/$name-$loc.out"
            fail "$name, LC_ALL=$loc: db_text check"
            continue
        fi
        cat "$dir/$name-$loc.out"
        for t in gv_text_out gv_text_lit; do
            "${sql[@]}" <<<"${hex//@T@/$t}" >"$dir/$name-$t.hex"
            if ! cmp -s "$dir/expect.hex" "$dir/$name-$t.hex"; then
                diff "$dir/expect.hex" "$dir/$name-$t.hex" | cut -c 1-160 || true
                fail "$name, LC_ALL=$loc: $t does not hold the samples' bytes"
            fi
        done
        echo "ok - $name, LC_ALL=$loc: what libgv wrote by parameter and by literal is the samples' bytes"
    done
}

# --- SQLite, the embedded default: no wide functions in its driver
gvt_sqlite_create "$dir/text.db"
sqlite_sql=(sqlite3 -bail "$dir/text.db")
run_engine sqlite "$GVT_SQLITE_CONN" sqlite_sql \
    "CREATE TABLE @T@ (id INTEGER PRIMARY KEY, val TEXT NOT NULL);" \
    "SELECT id || ' ' || lower(hex(val)) FROM @T@ ORDER BY id;" utf-8 utf-8

# --- PostgreSQL
gvt_pg_start "$dir"
pg_sql=(gvt_pg_sql "$dir")
run_engine postgresql "$GVT_PG_CONN" pg_sql \
    "CREATE TABLE @T@ (id INTEGER PRIMARY KEY, val TEXT NOT NULL);" \
    "SELECT id || ' ' || encode(convert_to(val, 'UTF8'), 'hex') FROM @T@ ORDER BY id;" \
    utf-8 utf-16
gvt_pg_stop "$dir"

# --- MariaDB: a binary collation, so that a match means the same bytes
# (the database's utf8mb4_unicode_ci counts every 4-byte character equal)
gvt_maria_start "$dir"
maria_sql=(gvt_maria_sql "$dir")
run_engine mariadb "$GVT_MARIA_CONN" maria_sql \
    "CREATE TABLE @T@ (id INT PRIMARY KEY, val TEXT COLLATE utf8mb4_bin NOT NULL);" \
    "SELECT CONCAT(id, ' ', LOWER(HEX(val))) FROM @T@ ORDER BY id;" utf-8 utf-8
gvt_maria_stop "$dir"

gvt_end "db-text: text intact through libgv on sqlite, postgresql and mariadb, under C and C.UTF-8"
