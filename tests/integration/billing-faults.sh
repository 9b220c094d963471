#!/usr/bin/env bash
# Billing through real database faults, on real drivers (~200 accounts):
#   a. the connection dropped mid-transaction, repeatedly (PostgreSQL:
#      pg_terminate_backend; MariaDB: KILL CONNECTION), each time while a
#      chunk's INSERT is running (a trigger makes it take a while): the run
#      reconnects, ends 0, counts the reconnections, and every billed voucher
#      has exactly one bill with the right amounts; then cut at any moment
#      of a run (between statements and chunks, while reporting);
#      GVT_BILLING_CUT_ANYWHERE=0 leaves that second part out;
#   b. a deadlock / serialisation failure raised by a trigger on the site's
#      bill table for the first 2 statements: the chunks are tried again,
#      the run ends 0; then a trigger that fails with 40001 on every insert
#      once the first few have gone through (so that some chunks committed
#      first): the run gives up after [billing] retries with exit 1 and a
#      clear message, and what committed is whole (bills = BILLED rows of
#      gv_bill, each right); once the trigger is gone a run completes it;
#   c. a bill the utility wrote by hand for an account with an accepted
#      voucher: exit 4 within seconds, a "conflict" line naming the voucher
#      and account, that voucher CONFLICT SITE_DUPLICATE, every other voucher
#      billed; again: exit 4, nothing new, no duplicate. SQLite, PostgreSQL
#      and MariaDB, site-a and site-b.
# SQLite has no way to raise a transient error from a trigger (RAISE() is a
# constraint error, and a held lock is waited out by the busy timeout) and
# no connection to cut: it takes part in c only.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/db.sh"
. "$here/../lib/bills.sh"
. "$here/../lib/certs.sh"
. "$here/../lib/daemon.sh"

gvt_begin billing-faults
GV=$top_builddir/gasvoucher
SIM="$GVT_PYTHON $top_srcdir/contrib/wallet-sim"
BIN=990340001234
NOW=2025-09-30T12:00:00+05:00
NACC=200
SEED=4711
RETRIES=2
# Cuts at any moment of a run (a.2); 0 leaves them out.
ANYWHERE=${GVT_BILLING_CUT_ANYWHERE:-1}
t_start=$(date +%s)

gvt_pg_start "$dir"
gvt_maria_start "$dir"

# ---- helpers ---------------------------------------------------------------

# q ENGINE SQL: rows, tab-separated (site-b and site-a SQLite files apart).
q() {
    case $1 in
        sqlite) sqlite3 -batch -noheader -separator $'\t' "$dir/$site.db" "$2" ;;
        postgresql) gvt_pg_sql "$dir" -c "$2" ;;
        mariadb) gvt_maria_sql "$dir" -e "$2" ;;
    esac
}
# qin ENGINE: a script on stdin.
qin() {
    case $1 in
        sqlite) sqlite3 -batch -bail "$dir/$site.db" > /dev/null ;;
        postgresql) gvt_pg_sql "$dir" > /dev/null ;;
        mariadb) gvt_maria_sql "$dir" > /dev/null ;;
    esac
}
conn_of() {
    case $1 in
        sqlite) gvt_sqlite_create "$dir/$site.db" > /dev/null; echo "$GVT_SQLITE_CONN" ;;
        postgresql) echo "$GVT_PG_CONN" ;;
        mariadb) echo "$GVT_MARIA_CONN" ;;
    esac
}

# prepare ENGINE SITE: the site's accounts and readings, gasvoucher's tables,
# the vouchers taken in. Sets conf, d, bill (the command), bills_table.
prepare() {
    engine=$1 site=$2
    d=$dir/$engine-$site
    mkdir -p "$d"
    local target=$dir
    if [ "$engine" = sqlite ]; then
        target=$dir/$site.db
        gvt_sqlite_create "$target"
    fi
    gvt_load_site "$site" "$engine" "$target" --random $NACC --seed $SEED
    "$GVT_PYTHON" "$top_srcdir/tests/sites/readings.py" --site "$site" --engine "$engine" \
        --period 2025-09 --random $NACC --seed $SEED --program "$top_srcdir/contrib/program.ini" \
        --expect "$d/expect.csv" | qin "$engine"
    conf=$d/gv.conf
    gvt_bills_conf "$conf" "$(conn_of "$engine")" "$site" "$dir/certs" "$d/spool" \
        "program = $top_srcdir/contrib/program.ini
chunk = 10
retries = $RETRIES
reconnect_for = 20"
    "$GV" -c "$conf" --now "$NOW" db migrate > /dev/null || fail "$engine site-$site: migrate"
    # At the machine's clock: certs.sh's certificates are valid from today.
    "$GV" -c "$conf" ingest "$dir"/xml/*.xml > "$d/ingest.out" 2>&1 ||
        fail "$engine site-$site: ingest: $(cat "$d/ingest.out")"
    bill=("$GV" -c "$conf" --now "$NOW" bill --period 2025-09 --no-send)
    bills_table=nachislenie
    [ "$site" = a ] || bills_table=invoices
}

# reset ENGINE: no bills, no gasvoucher billing records, no reports.
reset() { gvt_bills_reset "$site" "$d/spool/outbox" q "$1"; }

# set_chunk N: vouchers per transaction from now on.
set_chunk() { sed -i "s/^chunk = .*/chunk = $1/" "$conf"; }

# run NAME: the bill command under `timeout 60`; sets rc and ms.
run() {
    local t0 t1
    t0=$(date +%s%N)
    rc=0
    timeout 60 "${bill[@]}" > "$d/$1.out" 2>&1 || rc=$?
    t1=$(date +%s%N)
    ms=$(((t1 - t0) / 1000000))
}

# check ENGINE LABEL MODE [HAND_ACCOUNT CONFLICT_VOUCHER]: the database
# against readings.py's expectation. MODE complete: every accepted voucher
# has its outcome and the recorded reports carry every bill once; partial:
# what is there is whole and right (a run that gave up).
check() {
    local engine=$1 label=$2 mode=$3 hand=${4:-} conflict=${5:-} out=$d/check-$2
    mkdir -p "$out"
    q "$engine" "SELECT voucher_id, account_norm FROM gv_occurrence WHERE period = '2025-09'
        AND status = 'ACCEPTED' AND standing = 1" > "$out/accepted.tsv"
    q "$engine" "$(gvt_gv_bill_sql "$engine" 2025-09)" > "$out/gv_bill.tsv"
    q "$engine" "$(gvt_bills_sql "$site" "$engine")" > "$out/bills.tsv"
    q "$engine" "SELECT msg_id, body_name FROM gv_outbox WHERE kind = 'RedemptionReport'
        AND period = '2025-09'" > "$out/outbox.tsv"
    gvt_bills_check "$out" "$d/spool/outbox" "$site" "$d/expect.csv" "$label" \
        "$engine site-$site $label" "$mode" "$hand" "$conflict"
}

# Rows of the site's bill table, and BILLED rows of gv_bill.
count_bills() { q "$1" "SELECT COUNT(*) FROM $bills_table"; }
count_billed() { q "$1" "SELECT COUNT(*) FROM gv_bill WHERE status = 'BILLED'"; }

# ---- vouchers: one for every FOUND account -----------------------------------
"$GVT_PYTHON" "$top_srcdir/tests/sites/gen.py" --site a --engine sqlite --random $NACC --seed $SEED \
    --expect "$dir/accounts.csv" > /dev/null
grep ',FOUND$' "$dir/accounts.csv" | cut -d, -f1 > "$dir/found.csv"
nfound=$(wc -l < "$dir/found.csv")
$SIM gen --bin $BIN --period 2025-09 --accounts "$dir/found.csv" --count "$nfound" --parts 1 \
    --seed faults --out "$dir/xml" --sign-cert "$dir/certs/wallet-signer.pem" \
    --sign-key "$dir/certs/wallet-signer.key" > /dev/null
echo "== $nfound vouchers for the FOUND accounts of $NACC random ones and the fixture"

# ---- a. the connection dropped mid-run ------------------------------------------

# drop_sessions ENGINE [busy]: cut gasvoucher's connections (busy: only one
# that is inside the slow trigger, i.e. mid-INSERT in a chunk's
# transaction); prints how many were cut.
drop_sessions() {
    local busy=${2:-}
    case $1 in
        postgresql)
            gvt_pg_sql "$dir" -c "SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity
                WHERE datname = 'gv' AND pid <> pg_backend_pid() AND backend_type = 'client backend'
                $([ -n "$busy" ] && echo "AND wait_event = 'PgSleep'")" ;;
        mariadb)
            local ids id k=0
            # gasvoucher's connections come over TCP (HOST is host:port),
            # this client's through the socket. (Not by USER: inside a
            # trigger the processlist shows the trigger's definer, root.)
            ids=$(gvt_maria_sql "$dir" -e "SELECT ID FROM information_schema.PROCESSLIST
                WHERE HOST LIKE '%:%' AND ID <> CONNECTION_ID()
                $([ -n "$busy" ] && echo "AND STATE = 'User sleep'")")
            for id in $ids; do
                gvt_maria_sql "$dir" -e "KILL CONNECTION $id" 2> /dev/null && k=$((k + 1))
            done
            echo "$k" ;;
    esac
}

# slow_trigger ENGINE on [SECONDS] | off: each insert into the site's bill
# table waits (PostgreSQL SECONDS a statement, default 0.1 s; MariaDB half
# that a row), so the run lasts a few seconds and spends most of it inside
# chunk transactions.
slow_trigger() {
    local secs=${3:-0.1}
    case $1-$2 in
        postgresql-on) qin postgresql <<SQL ;;
CREATE OR REPLACE FUNCTION gvt_slow_fn() RETURNS trigger LANGUAGE plpgsql AS \$\$
BEGIN
    PERFORM pg_sleep($secs);
    RETURN NULL;
END \$\$;
CREATE TRIGGER gvt_slow BEFORE INSERT ON $bills_table
    FOR EACH STATEMENT EXECUTE FUNCTION gvt_slow_fn();
SQL
        postgresql-off) q postgresql "DROP TRIGGER gvt_slow ON $bills_table" > /dev/null ;;
        mariadb-on) q mariadb "CREATE TRIGGER gvt_slow BEFORE INSERT ON $bills_table
            FOR EACH ROW SET @gvt_slept = SLEEP($secs / 2)" > /dev/null ;;
        mariadb-off) q mariadb "DROP TRIGGER gvt_slow" > /dev/null ;;
    esac
}

# connection_drops ENGINE busy|anywhere: cut the connection while a run goes.
#   busy      only while gasvoucher is inside a chunk's INSERT (the slow
#             trigger sleeping): mid-transaction, every time; up to 6 cuts.
#   anywhere  every 20-60 ms from the first chunk on, whatever it is doing
#             (between statements, between chunks, while reporting).
connection_drops() {
    local engine=$1 how=$2 pid landed=0 cut rounds=0 state pause reconnects
    echo "== $engine site-$site: connection cut while the run goes ($how)"
    reset "$engine"
    set_chunk 2
    # Anywhere: paced a little, so that on a fast machine the run still
    # outlasts the first cuts (it took 0.2 s unpaced, less than a round).
    case $how in
        busy) slow_trigger "$engine" on ;;
        anywhere) slow_trigger "$engine" on 0.01 ;;
    esac
    "${bill[@]}" > "$d/drop-$how.out" 2>&1 &
    pid=$!
    alive() { read -r _ _ state _ 2> /dev/null < "/proc/$pid/stat" && [ "$state" != Z ]; }
    if [ "$how" = anywhere ]; then
        # From the first chunk on: a cut while it connects at start is
        # refused as "cannot connect" (not a run in progress).
        while alive && [ "$(q "$engine" "SELECT COUNT(*) FROM gv_bill")" = 0 ]; do sleep 0.01; done
    fi
    while alive && [ "$rounds" -lt 2000 ]; do
        rounds=$((rounds + 1))
        if [ "$how" = busy ]; then
            [ "$landed" -lt 6 ] || { sleep 0.05; continue; }
            cut=$(drop_sessions "$engine" busy 2> /dev/null || echo 0)
            pause=0.3                   # let a few chunks through
            [ "${cut:-0}" -gt 0 ] || pause=0.02
        else
            cut=$(drop_sessions "$engine" 2> /dev/null || echo 0)
            pause=0.0$((RANDOM % 5 + 2))
        fi
        # Counted when a session was cut and the run was still going after.
        if [ "${cut:-0}" -gt 0 ] && alive; then
            landed=$((landed + 1))
        fi
        sleep "$pause"
    done
    rc=0
    { wait "$pid"; } 2> /dev/null || rc=$?
    set_chunk 10
    slow_trigger "$engine" off
    reconnects=$(sed -n 's/.* \([0-9]*\) reconnection(s)$/\1/p' "$d/drop-$how.out")
    echo "   $landed cut(s) while the run went on; exit $rc; ${reconnects:-no} reconnection(s)"
    [ "$landed" -ge 1 ] || fail "$engine ($how): no connection was cut while the run was going"
    [ "$how" = anywhere ] || [ "$landed" -ge 3 ] ||
        fail "$engine ($how): only $landed cut(s) landed mid-INSERT"
    if [ "$rc" != 0 ]; then
        fail "$engine ($how): the run with its connection cut ended $rc: $(head -c 1500 "$d/drop-$how.out")"
        return
    fi
    # Every cut mid-INSERT is noticed; a cut at any moment may land after
    # the run's last statement.
    if [ "$how" = busy ]; then
        [ "${reconnects:-0}" -ge "$landed" ] ||
            fail "$engine ($how): $landed cut(s) but ${reconnects:-no} reconnection(s) counted: $(cat "$d/drop-$how.out")"
    else
        [ "${reconnects:-0}" -ge 1 ] ||
            fail "$engine ($how): no reconnection counted: $(cat "$d/drop-$how.out")"
    fi
    check "$engine" "drops-$how" complete
}

# ---- b. deadlock / serialisation failure from a trigger ---------------------------

# fault_trigger ENGINE SQLSTATE MODE K: on the site's bill table, fail with
# SQLSTATE the first K inserting statements (MODE first) or every one after
# the first K rows/statements (MODE after).
fault_trigger() {
    local engine=$1 code=$2 mode=$3 k=$4
    case $engine in
        postgresql)
            # A sequence counts: nextval() is not undone when the failed
            # transaction rolls back (an UPDATE of a counter table would be,
            # and the failure would repeat for ever).
            qin postgresql <<SQL
SET client_min_messages = warning;
DROP TRIGGER IF EXISTS gvt_fault ON $bills_table;
DROP SEQUENCE IF EXISTS gvt_fault_seq;
CREATE SEQUENCE gvt_fault_seq;
CREATE OR REPLACE FUNCTION gvt_fault_fn() RETURNS trigger LANGUAGE plpgsql AS \$\$
DECLARE n bigint := nextval('gvt_fault_seq');
BEGIN
    IF (TG_ARGV[1] = 'first' AND n <= TG_ARGV[2]::int)
       OR (TG_ARGV[1] = 'after' AND n > TG_ARGV[2]::int) THEN
        RAISE EXCEPTION 'gvt: injected failure % (statement %)', TG_ARGV[0], n
            USING ERRCODE = TG_ARGV[0];
    END IF;
    RETURN NULL;
END \$\$;
CREATE TRIGGER gvt_fault BEFORE INSERT ON $bills_table
    FOR EACH STATEMENT EXECUTE FUNCTION gvt_fault_fn('$code', '$mode', '$k');
SQL
            ;;
        mariadb)
            # Row triggers only; the counter table is MyISAM, so its
            # decrement survives the rollback of the failed transaction.
            # The first row of a statement fails it, so "first K" counts
            # statements; "after K" lets K rows through.
            qin mariadb <<SQL
DROP TRIGGER IF EXISTS gvt_fault;
DROP TABLE IF EXISTS gvt_fault_left;
CREATE TABLE gvt_fault_left (id INT PRIMARY KEY, n INT NOT NULL) ENGINE=MyISAM;
INSERT INTO gvt_fault_left VALUES (1, $k);
DELIMITER ;;
CREATE TRIGGER gvt_fault BEFORE INSERT ON $bills_table FOR EACH ROW
BEGIN
    DECLARE left_ INT;
    SELECT n INTO left_ FROM gvt_fault_left WHERE id = 1;
    UPDATE gvt_fault_left SET n = n - 1 WHERE id = 1;
    IF ('$mode' = 'first' AND left_ > 0) OR ('$mode' = 'after' AND left_ <= 0) THEN
        SIGNAL SQLSTATE '$code' SET MESSAGE_TEXT = 'gvt: injected failure $code';
    END IF;
END;;
DELIMITER ;
SQL
            ;;
    esac
}
drop_fault() {
    case $1 in
        postgresql) q postgresql "DROP TRIGGER gvt_fault ON $bills_table" > /dev/null ;;
        mariadb) q mariadb "DROP TRIGGER gvt_fault" > /dev/null ;;
    esac
}

tx_failures() {
    local engine=$1 code=40001 nb nbilled
    [ "$engine" = postgresql ] && code=40P01
    echo "== $engine site-$site: $code for the first 2 inserting statements"
    reset "$engine"
    fault_trigger "$engine" "$code" first 2
    run retry
    drop_fault "$engine"
    [ "$rc" = 0 ] || fail "$engine: the run with 2 transient failures ended $rc: $(head -c 1500 "$d/retry.out")"
    grep -Eq '^  2 chunk\(s\) tried again' "$d/retry.out" ||
        fail "$engine: expected \"2 chunk(s) tried again\": $(cat "$d/retry.out")"
    echo "   exit $rc in $ms ms, $(grep -o '[0-9]* chunk(s) tried again' "$d/retry.out" || echo 'no retry line')"
    check "$engine" retried complete

    echo "== $engine site-$site: 40001 on every insert after the first rows: give up"
    reset "$engine"
    fault_trigger "$engine" 40001 after 3
    run giveup
    drop_fault "$engine"
    nb=$(count_bills "$engine")
    nbilled=$(count_billed "$engine")
    echo "   exit $rc in $ms ms: $(grep '^bill 2025-09' "$d/giveup.out" | head -1 | cut -c1-160)"
    [ "$rc" = 1 ] || fail "$engine: the run against an always failing trigger ended $rc, not 1: $(cat "$d/giveup.out")"
    grep -q "^bill 2025-09: writing bills (retry): .*40001" "$d/giveup.out" ||
        fail "$engine: no clear message of the failure: $(cat "$d/giveup.out")"
    grep -Eq "^  $RETRIES chunk\(s\) tried again" "$d/giveup.out" ||
        fail "$engine: expected $RETRIES tries again before giving up: $(cat "$d/giveup.out")"
    [ "$nb" = "$nbilled" ] || fail "$engine: after giving up $nb bills but $nbilled BILLED rows in gv_bill"
    [ "$nb" -gt 0 ] || fail "$engine: nothing billed before the failures (the test wants a partial run)"
    check "$engine" gave-up partial
    # The trigger gone, a run completes the period.
    run after-giveup
    [ "$rc" = 0 ] || fail "$engine: the run after the failures ended $rc: $(head -c 1500 "$d/after-giveup.out")"
    check "$engine" after-giveup complete
}

# ---- c. a bill the utility wrote by hand ---------------------------------------------

hand_bill() {
    local engine=$1 acc voucher nb
    echo "== $engine site-$site: a hand-written bill for an account with a voucher"
    reset "$engine"
    # An account to be billed (not Pending), with an accepted voucher.
    acc=$(awk -F, '$2 == "BILLED" {print $1}' "$d/expect.csv" |
          grep -xF -f <(q "$engine" "SELECT account_norm FROM gv_occurrence WHERE period = '2025-09'
              AND status = 'ACCEPTED' AND standing = 1") | sed -n 3p)
    [ -n "$acc" ] || { fail "$engine site-$site: no billable account"; return; }
    voucher=$(q "$engine" "SELECT voucher_id FROM gv_occurrence WHERE period = '2025-09'
        AND status = 'ACCEPTED' AND standing = 1 AND account_norm = '$acc'")
    if [ "$site" = a ]; then
        q "$engine" "INSERT INTO nachislenie (lic_schet, period, obem, tarif, summa, skidka, k_oplate,
            vaucher, sozdano) VALUES ('$acc', '202509', 1.000, 100.00, 50.00, 0.00, 50.00, 'HAND',
            '2025-09-29 10:00:00')" > /dev/null
    else
        q "$engine" "INSERT INTO invoices (customer_id, period_start, period_end, issued_at, total_tiyn)
            SELECT id, '2025-09-01', '2025-09-30', '2025-09-29 10:00:00', 5000 FROM customers
            WHERE account_no = $acc" > /dev/null
    fi
    run dup1
    nb=$(count_bills "$engine")
    echo "   exit $rc in $ms ms: $(grep 'conflict' "$d/dup1.out" | head -1 | cut -c1-150)"
    [ "$rc" = 4 ] || fail "$engine site-$site: the run with a hand-written bill ended $rc, not 4: $(head -c 1500 "$d/dup1.out")"
    [ "$ms" -lt 10000 ] || fail "$engine site-$site: the run with a hand-written bill took $ms ms"
    grep -q "conflict: voucher $voucher, account $acc: SITE_DUPLICATE" "$d/dup1.out" ||
        fail "$engine site-$site: no conflict line for voucher $voucher account $acc: $(cat "$d/dup1.out")"
    grep -Eq '^  conflicts +1$' "$d/dup1.out" || fail "$engine site-$site: not 1 conflict: $(cat "$d/dup1.out")"
    check "$engine" duplicate complete "$acc" "$voucher"
    run dup2
    echo "   again: exit $rc in $ms ms"
    [ "$rc" = 4 ] || fail "$engine site-$site: the second run ended $rc, not 4: $(head -c 1500 "$d/dup2.out")"
    [ "$ms" -lt 10000 ] || fail "$engine site-$site: the second run took $ms ms"
    grep -Eq '^  billed +0$' "$d/dup2.out" || fail "$engine site-$site: the second run billed: $(cat "$d/dup2.out")"
    [ "$(count_bills "$engine")" = "$nb" ] || fail "$engine site-$site: the second run added bills"
    grep -q "conflict: voucher $voucher, account $acc: SITE_DUPLICATE" "$d/dup2.out" ||
        fail "$engine site-$site: the second run did not report the conflict again"
    check "$engine" duplicate-again complete "$acc" "$voucher"
}

# ---- the runs ----------------------------------------------------------------------

# Site-a and site-b share the server databases (different tables);
# gasvoucher's own tables are emptied between the sites.

site=a
prepare postgresql a
connection_drops postgresql busy
[ "$ANYWHERE" = 1 ] && connection_drops postgresql anywhere
tx_failures postgresql
hand_bill postgresql
prepare mariadb a
connection_drops mariadb busy
[ "$ANYWHERE" = 1 ] && connection_drops mariadb anywhere
tx_failures mariadb
hand_bill mariadb
prepare sqlite a
hand_bill sqlite

site=b
gvt_gv_clear q postgresql
gvt_gv_clear q mariadb
for engine in sqlite postgresql mariadb; do
    prepare "$engine" b
    hand_bill "$engine"
done

gvt_end "billing-faults: reconnections, retried deadlocks, giving up whole, hand-written bills as conflicts on sqlite, postgresql and mariadb ($(( $(date +%s) - t_start )) s)"
