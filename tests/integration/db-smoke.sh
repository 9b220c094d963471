#!/bin/bash
# db-smoke: the test database infrastructure works end to end.
#
# For each engine (SQLite, PostgreSQL, MariaDB) start a throw-away server
# (tests/lib/db.sh), load site-a and site-b (fixture + 200 random accounts,
# tests/sites/gen.py) and read them back through unixODBC's isql with the
# connection strings the library exports: row counts, a Cyrillic name, the
# zero-padded site-a account number, a site-b meter. Then restart the server
# and read again (same port, same data).
#
# Exit 0 pass, 1 fail. A database that cannot be started is a failure, never a
# skip. Files are found from this script's own location, so it runs from any
# directory and under automake (srcdir) alike.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
tests=$(cd "$here/.." && pwd)
# shellcheck source=../lib/db.sh
. "$tests/lib/db.sh"

N_RANDOM=200
SEED=20250901
passed=0
work=""

# Keep the script's own stdout/stderr: a signal's trap runs inside whatever
# command was running, with that command's redirections (a log file, or
# /dev/null) still in place.
exec 3>&1 4>&2

cleanup() {
    local rc=$?
    trap - EXIT INT TERM HUP
    exec 1>&3 2>&4
    if [ -n "$work" ]; then
        gvt_stop_all "$work" || rc=1
        rm -rf "$work"
    fi
    if [ "$rc" -ne 0 ]; then
        echo "db-smoke: $passed passed, 1 failed"
        exit 1          # never 77 (skip) or any other code: a failure
    fi
    echo "db-smoke: $passed passed, 0 failed"
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
    echo "ok $passed - $*"
}

for tool in isql sqlite3 "$GVT_PG_BIN/psql" mariadb mariadbd "$GVT_PYTHON"; do
    command -v "$tool" >/dev/null 2>&1 || [ -x "/usr/sbin/$tool" ] ||
        fail "$tool not found (contrib/install-deps.sh installs the test dependencies)"
done

work=$(mktemp -d "${TMPDIR:-/tmp}/gv-db-smoke.XXXXXX")
chmod 755 "$work"

fixture_n=$(($(wc -l <"$tests/sites/accounts.csv") - 1))
expected=$((fixture_n + N_RANDOM))

# odbc_value CONN SQL: print the single value SQL returns through ODBC.
# isql -b exits 0 even when a statement fails, so its stderr is checked too.
odbc_value() {
    local conn=$1 sql=$2 out
    if ! out=$(printf '%s\n' "$sql" | isql -b -v -d'|' -k "$conn" 2>"$work/isql.err"); then
        cat "$work/isql.err" >&2
        echo "$out" >&2
        fail "isql could not connect with: $conn"
    fi
    if [ -s "$work/isql.err" ] || [ "$(printf '%s\n' "$out" | wc -l)" -ne 1 ]; then
        cat "$work/isql.err" >&2
        echo "$out" >&2
        fail "isql: '$sql' did not return one value (connection: $conn)"
    fi
    printf '%s\n' "$out"
}

# expect_value CONN SQL WANT WHAT
expect_value() {
    local got
    got=$(odbc_value "$1" "$2")
    [ "$got" = "$3" ] || fail "$4: '$2' gave '$got', expected '$3'"
    ok "$4"
}

# check_site SITE ENGINE CONN: the loaded site reads back correctly.
check_site() {
    local site=$1 engine=$2 conn=$3
    if [ "$site" = a ]; then
        expect_value "$conn" "SELECT COUNT(*) FROM abonent" "$expected" \
            "$engine site-a: abonent has $expected rows"
        expect_value "$conn" "SELECT fio FROM abonent WHERE lic_schet = '0012345678'" \
            "Жумабаев Ерлан Касымович" "$engine site-a: Cyrillic fio of 0012345678"
        expect_value "$conn" "SELECT lic_schet FROM abonent WHERE fio = 'Иванова Мария Петровна'" \
            "0000000042" "$engine site-a: lic_schet keeps its leading zeros"
    else
        expect_value "$conn" "SELECT COUNT(*) FROM customers" "$expected" \
            "$engine site-b: customers has $expected rows"
        expect_value "$conn" "SELECT full_name FROM customers WHERE account_no = 42" \
            "Иванова Мария Петровна" "$engine site-b: Cyrillic full_name of 42"
        expect_value "$conn" "SELECT m.serial FROM meters m JOIN customers c ON c.id = m.customer_id WHERE c.account_no = 12345678" \
            "M0012345678" "$engine site-b: meter of 12345678"
    fi
}

# load SITE ENGINE TARGET: load fixture + random accounts, check --expect.
load() {
    local site=$1 engine=$2 target=$3 lines
    gvt_load_site "$site" "$engine" "$target" --random "$N_RANDOM" --seed "$SEED" \
        --expect "$work/expect-$site-$engine.csv" || fail "loading site-$site on $engine"
    lines=$(($(wc -l <"$work/expect-$site-$engine.csv") - 1))
    [ "$lines" -eq "$expected" ] || fail "expect file has $lines accounts, not $expected"
}

start=$SECONDS

# --- SQLite: one database file per site
for site in a b; do
    gvt_sqlite_create "$work/site-$site.db" || fail "creating SQLite database"
    load "$site" sqlite "$work/site-$site.db"
    check_site "$site" sqlite "$GVT_SQLITE_CONN"
done
expect_value "$GVT_SQLITE_CONN" "PRAGMA journal_mode" "wal" "sqlite: ODBC connection in WAL mode"

# --- PostgreSQL: one server, both sites in database gv (no table in common)
gvt_pg_start "$work" || fail "starting PostgreSQL"
for site in a b; do
    load "$site" postgresql "$work"
    check_site "$site" postgresql "$GVT_PG_CONN"
done
port=$GVT_PG_PORT
gvt_pg_restart "$work" || fail "restarting PostgreSQL"
[ "$GVT_PG_PORT" = "$port" ] || fail "PostgreSQL came back on port $GVT_PG_PORT, not $port"
expect_value "$GVT_PG_CONN" "SELECT COUNT(*) FROM abonent" "$expected" "postgresql: data kept across restart"
gvt_pg_stop "$work" || fail "stopping PostgreSQL"

# --- MariaDB: the same
gvt_maria_start "$work" || fail "starting MariaDB"
for site in a b; do
    load "$site" mariadb "$work"
    check_site "$site" mariadb "$GVT_MARIA_CONN"
done
port=$GVT_MARIA_PORT
gvt_maria_restart "$work" || fail "restarting MariaDB"
[ "$GVT_MARIA_PORT" = "$port" ] || fail "MariaDB came back on port $GVT_MARIA_PORT, not $port"
expect_value "$GVT_MARIA_CONN" "SELECT COUNT(*) FROM customers" "$expected" "mariadb: data kept across restart"
gvt_maria_stop "$work" || fail "stopping MariaDB"

# The same seed gives the same accounts on every engine.
for site in a b; do
    cmp -s "$work/expect-$site-sqlite.csv" "$work/expect-$site-postgresql.csv" &&
        cmp -s "$work/expect-$site-sqlite.csv" "$work/expect-$site-mariadb.csv" ||
        fail "site-$site: expect files differ between engines"
done
ok "expect files agree across engines"

echo "# db-smoke took $((SECONDS - start)) s"
