#!/usr/bin/env bash
# Failure injection (a build configured with --enable-fault-injection, see
# src/util/inject.h): every ODBC call, every allocation of gasvoucher's own
# and every file write or fsync of three flows fails in turn, k = 1, 2, ...
# until the flow completes without reaching k (tests/lib/faultstep.py):
#   intake    gasvoucher ingest of a list's second part (5 vouchers; R7 is
#             judged again over both parts) on SQLite;
#   billing   gasvoucher bill --no-send of the period's vouchers, 3 a chunk
#             (two connections, a reading thread), with its report; here
#             also every ODBC call made and then reported timed out;
#   delivery  gasvoucher outbox send of the results and the redemption
#             report to contrib/wallet-sim (mutual TLS, signatures checked).
# After each failure: no crash, no sanitizer report; a non-zero exit with a
# message naming what failed (or the whole work done); the tables as before
# or with whole steps applied (the receipt; whole chunks; whole rows of the
# outbox); and a run without a fault after it ends exactly as a run that
# never had one: the same outcomes, bills, results and reports.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/db.sh"
. "$here/../lib/certs.sh"
. "$here/../lib/daemon.sh"

gvt_begin fault-injection
if ! grep -q '^#define GV_FAULT_INJECTION 1' "$top_builddir/config.h"; then
    fail "$top_builddir is not a fault-injection build (configure --enable-fault-injection)"
    gvt_end ""
fi
GV=$top_builddir/gasvoucher
SIM="$GVT_PYTHON $top_srcdir/contrib/wallet-sim"
STEP="$GVT_PYTHON $top_srcdir/tests/lib/faultstep.py"
C=$dir/certs
BIN=990340001234
# Receipts are checked at "now" against certs.sh's certificates, valid from
# today: one pinned instant of today for intake and delivery, so every run
# writes the same times; billing at the period's end.
NOW_IN=$(date -d '+1 min' +%Y-%m-%dT%H:%M:%S%:z)
NOW_SEND=$(date -d '+2 min' +%Y-%m-%dT%H:%M:%S%:z)
NOW_BILL=2025-09-30T18:00:00+05:00
# Knobs for looking again: parallel lanes, the kinds stepped (odbc:SQLSTATE
# for an ODBC fault with another diagnostic, odbc:SQLSTATE:after for one
# after the call was made), the flows.  Billing also steps odbc:HYT00:after:
# every call, the COMMITs above all, carried out and then reported timed
# out, where exactly once is at stake (odbc:08S01:after, the answer lost
# with the connection, passes too; billing-lost-commit.sh cuts it for real).
# And it steps its fetches refused with 22018, a value the driver cannot
# convert: a block of the site's rows so refused is read again a value at a
# time, so those runs end as the reference by themselves ("absorbed").
LANES=${GVT_FAULT_LANES:-2}
KINDS=${GVT_FAULT_KINDS:-odbc,alloc,write}
BILLING_KINDS=${GVT_FAULT_KINDS:-odbc,alloc,write,odbc:HYT00:after,odbc/SQLFetch:22018}
FLOWS=${GVT_FAULT_FLOWS:-intake billing delivery}
t_start=$(date +%s)

# ---- the wallet ------------------------------------------------------------
gvt_wallet_sim_start "$C" "$dir/wallet" ||
    fail "the wallet simulator did not start: $(cat "$dir/sim.log")"

# ---- the site and the list -------------------------------------------------
# Ten vouchers: seven accounts billed, one without a meter reading and one
# without a tariff (Pending), one account twice (R7: the later voucher is
# rejected).
N=12
SEED=15
$GVT_PYTHON "$top_srcdir/tests/sites/gen.py" --site a --engine sqlite --random $N --seed $SEED \
    --expect "$dir/accounts.csv" > /dev/null
$GVT_PYTHON "$top_srcdir/tests/sites/readings.py" --site a --engine sqlite --period 2025-09 \
    --random $N --seed $SEED --program "$top_srcdir/contrib/program.ini" \
    --expect "$dir/expect.csv" > "$dir/readings.sql"
grep ',FOUND$' "$dir/accounts.csv" | cut -d, -f1 | sort > "$dir/found.csv"
pick() { grep ",$1,$2," "$dir/expect.csv" | cut -d, -f1 | sort | join - "$dir/found.csv" | head -"$3"; }
{ pick BILLED '' 7; pick PENDING NO_METER_READING 1; pick PENDING NO_TARIFF 1; } > "$dir/chosen.csv"
[ "$(wc -l < "$dir/chosen.csv")" = 9 ] || fail "the sample site lacks the accounts wanted: $(cat "$dir/chosen.csv")"
$SIM gen --bin $BIN --period 2025-09 --accounts "$dir/chosen.csv" --count 10 --dup-accounts 0.1 \
    --parts 2 --seed faults --out "$dir/xml" --sign-cert "$C/wallet-signer.pem" \
    --sign-key "$C/wallet-signer.key" > "$dir/gen.out"
part1=$(sed -n 1p "$dir/gen.out" | cut -d' ' -f1)
part2=$(sed -n 2p "$dir/gen.out" | cut -d' ' -f1)

# A starting state: DIR/site.db, DIR/spool, DIR/gv.conf naming them.
make_state() {
    local d=$1
    mkdir -p "$d"
    gvt_sqlite_create "$d/site.db"
    gvt_load_site a sqlite "$d/site.db" --random $N --seed $SEED
    sqlite3 -bail "$d/site.db" < "$dir/readings.sql"
    gvt_write_conf "$d/gv.conf" "$GVT_SQLITE_CONN" "$top_srcdir/mappings/site-a.ini" "$C" \
        "$(gvt_intake_ini "$C" "$d/spool" "https://127.0.0.1:$sim_port")
[billing]
program = $top_srcdir/contrib/program.ini
chunk = 3
reconnect_for = 5
[time]
# --now: a pinned clock, for tests only
allow_pinned_now = yes"
    "$GV" -c "$d/gv.conf" db migrate > /dev/null
}
# clone SRC DST: a copy of a state, its configuration naming the copy.
clone() {
    cp -a "$1" "$2"
    sed -i "s|$1/|$2/|g" "$2/gv.conf"
}
# quiesce DIR: the database in one file (no WAL left), as copied.
quiesce() { sqlite3 "$1/site.db" 'PRAGMA wal_checkpoint(TRUNCATE)' > /dev/null; }
gv() { local d=$1; shift; "$GV" -c "$d/gv.conf" "$@"; }

make_state "$dir/intake"
gv "$dir/intake" --now "$NOW_IN" ingest "$part1" > "$dir/intake.out" 2>&1 ||
    fail "ingest of the first part: $(cat "$dir/intake.out")"
clone "$dir/intake" "$dir/received"
gv "$dir/received" --now "$NOW_IN" ingest --no-process "$part2" > "$dir/received.out" 2>&1 ||
    fail "ingest --no-process of the second part: $(cat "$dir/received.out")"
clone "$dir/intake" "$dir/billing"
gv "$dir/billing" --now "$NOW_IN" ingest "$part2" > "$dir/billing.out" 2>&1 ||
    fail "ingest of the second part: $(cat "$dir/billing.out")"
clone "$dir/billing" "$dir/delivery"
gv "$dir/delivery" --now "$NOW_BILL" bill --period 2025-09 --no-send > "$dir/delivery.out" 2>&1 ||
    fail "bill: $(cat "$dir/delivery.out")"
for s in intake received billing delivery; do quiesce "$dir/$s"; done
echo "== $(sqlite3 "$dir/delivery/site.db" "SELECT COUNT(*) FROM gv_occurrence") vouchers: $(
    sqlite3 "$dir/delivery/site.db" "SELECT status || COALESCE(' ' || reason, '') || ' ' || COUNT(*)
        FROM gv_bill GROUP BY status, reason" | paste -sd, -); $(
    sqlite3 "$dir/delivery/site.db" "SELECT COUNT(*) FROM gv_outbox") messages to deliver"

# ---- the three flows, every call failed in turn -------------------------------
flow() { # NAME KINDS [faultstep options] -- COMMAND
    local name=$1 kinds=$2
    shift 2
    case " $FLOWS " in *" $name "*) ;; *) return 0 ;; esac
    echo "== $name: $title"
    if $STEP --name "$name" --work "$dir/work-$name" --lanes "$LANES" --kinds "$kinds" "$@" \
            > "$dir/$name.step" 2>&1; then
        sed 's/^/   /' "$dir/$name.step"
    else
        sed 's/^/   /' "$dir/$name.step" | grep -v '^   FAIL' || true
        while IFS= read -r line; do fail "${line#FAIL: }"; done < <(grep '^FAIL: ' "$dir/$name.step" | head -40)
        grep -q '^FAIL: ' "$dir/$name.step" || fail "$name: faultstep.py: $(tail -5 "$dir/$name.step")"
    fi
}

title="ingest of the second part"
flow intake "$KINDS" --base "$dir/intake" --units states --state "received=$dir/received" \
    -- "$GV" -c '{conf}' --now "$NOW_IN" ingest "$part2"
title="bill --no-send, 3 vouchers a chunk, and the report"
flow billing "$BILLING_KINDS" --base "$dir/billing" --units billing:3 \
    -- "$GV" -c '{conf}' --now "$NOW_BILL" bill --period 2025-09 --no-send
# The value-at-a-time reads were reached: a refused block, and still exit 0.
case ",$BILLING_KINDS, $FLOWS " in
*,odbc/SQLFetch:22018,*" billing "*)
    grep -q 'odbc/SQLFetch:22018: .*([1-9][0-9]* of them absorbed' "$dir/billing.step" ||
        fail "billing: no refused block of rows was read again a value at a time" ;;
esac
title="outbox send to the wallet simulator"
flow delivery "$KINDS" --base "$dir/delivery" --units rows:gv_outbox \
    -- "$GV" -c '{conf}' --now "$NOW_SEND" outbox send

# ---- PostgreSQL (GVT_FAULT_PG=1: some minutes more) ----------------------------
# The intake again on PostgreSQL, whose driver takes other paths (UTF-16
# text, its own SQLSTATEs): by default its ODBC calls.  Each lane's database
# is made anew from the start's as a template.
if [ "${GVT_FAULT_PG:-0}" = 1 ]; then
    gvt_pg_start "$dir"
    PSQL="$GVT_PG_BIN/psql -h $dir/pgsock -p $GVT_PG_PORT -U postgres"
    pg() { $PSQL -X -q -v ON_ERROR_STOP=1 -d postgres -c "$1" > /dev/null; }
    pg_state() { # DIR DATABASE TEMPLATE: a state on PostgreSQL
        mkdir -p "$1"
        echo "$2" > "$1/database"
        pg "CREATE DATABASE $2 TEMPLATE $3"
        gvt_write_conf "$1/gv.conf" "${GVT_PG_CONN/Database=gv;/Database=$2;}" \
            "$top_srcdir/mappings/site-a.ini" "$C" "$(gvt_intake_ini "$C" "$1/spool")
[time]
allow_pinned_now = yes"
    }
    gvt_load_site a postgresql "$dir" --random $N --seed $SEED
    $GVT_PYTHON "$top_srcdir/tests/sites/readings.py" --site a --engine postgresql --period 2025-09 \
        --random $N --seed $SEED --program "$top_srcdir/contrib/program.ini" |
        gvt_pg_sql "$dir" > /dev/null
    pg_state "$dir/pg_intake" pg_intake gv
    gv "$dir/pg_intake" db migrate > /dev/null
    gv "$dir/pg_intake" --now "$NOW_IN" ingest "$part1" > "$dir/pg_intake.out" 2>&1 ||
        fail "PostgreSQL: ingest of the first part: $(cat "$dir/pg_intake.out")"
    pg_state "$dir/pg_received" pg_received pg_intake
    cp -a "$dir/pg_intake/spool" "$dir/pg_received/"
    gv "$dir/pg_received" --now "$NOW_IN" ingest --no-process "$part2" > "$dir/pg_received.out" 2>&1 ||
        fail "PostgreSQL: ingest --no-process of the second part: $(cat "$dir/pg_received.out")"
    FLOWS="$FLOWS pg_intake"
    title="ingest of the second part, on PostgreSQL"
    flow pg_intake "${GVT_FAULT_PG_KINDS:-odbc}" --base "$dir/pg_intake" --pg "$PSQL" \
        --units states --state "received=$dir/pg_received" \
        -- "$GV" -c '{conf}' --now "$NOW_IN" ingest "$part2"
fi

gvt_end "fault-injection: every call of $(echo $FLOWS | sed 's/ /, /g') (ODBC, allocations, file writes and fsyncs) failed in turn, each cleanly ($(( $(date +%s) - t_start )) s)"
