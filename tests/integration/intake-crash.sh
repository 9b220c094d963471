#!/usr/bin/env bash
# Voucher lists survive a cut connection and kill -9 at any moment of
# `gasvoucher process`: chunks of a batch are written in one transaction
# with the period's R7 pass and the batch's result, so an interrupted
# batch leaves nothing, and processing it again ends as if nothing had
# happened.  PostgreSQL and MariaDB, site-a, three parts of 2500 vouchers
# with repeated accounts and voucher ids (every chunk, every multi-row
# INSERT and UPDATE, and the paged R7 pass have work).  For each engine:
#   - a reference run, uninterrupted, on its own copy of gasvoucher's tables;
#   - the same parts with the server ending the connection in the middle
#     of processing (pg_terminate_backend / KILL), then processed again;
#   - the same parts with `gasvoucher process` killed with SIGKILL at
#     random moments until at least 8 kills landed while it ran, then run
#     to the end.
# Each time: no batch half processed after a failure (its rows are all
# there or none), and at the end every outcome, trail row and result is
# the reference run's.  GVT_CRASH_SEED=N repeats a run with other delays.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/db.sh"
. "$here/../lib/certs.sh"
. "$here/../lib/daemon.sh"

gvt_begin intake-crash
GV=$top_builddir/gasvoucher
SIM="$GVT_PYTHON $top_srcdir/contrib/wallet-sim"
BIN=990340001234
NACC=3000
WANT_KILLS=8
MAX_ITER=150
RANDOM=${GVT_CRASH_SEED:-4242}
clear="DELETE FROM gv_occurrence; DELETE FROM gv_batch; DELETE FROM gv_trail; DELETE FROM gv_outbox"

# ENGINE: q SQL prints rows tab-separated; backend_cut ends gasvoucher's sessions.
setup() {
    case $1 in
    postgresql)
        gvt_pg_start "$dir"
        conn=$GVT_PG_CONN
        q() { gvt_pg_sql "$dir" -c "$1"; }
        backend_cut() {
            gvt_pg_sql "$dir" -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                WHERE datname = 'gv' AND pid <> pg_backend_pid() AND backend_type = 'client backend'
                  AND query NOT LIKE '%pg_stat_activity%'" > /dev/null
        } ;;
    mariadb)
        gvt_maria_start "$dir"
        conn=$GVT_MARIA_CONN
        q() { gvt_maria_sql "$dir" -e "$1"; }
        backend_cut() {
            local ids
            ids=$(gvt_maria_sql "$dir" -e "SELECT id FROM information_schema.processlist
                WHERE id <> CONNECTION_ID() AND db = 'gv' AND command <> 'Daemon'")
            for i in $ids; do gvt_maria_sql "$dir" -e "KILL $i" > /dev/null 2>&1 || true; done
        } ;;
    esac
    gvt_load_site a "$1" "$dir" --random "$NACC" --seed 7 --expect "$dir/accounts-$1.csv"
}

outcomes() { # FILE: everything processing decides, in a stable order
    q "SELECT batch_id, item_no, standing, dupv, status, COALESCE(reason, '-'), account_norm
       FROM gv_occurrence ORDER BY batch_id, item_no" > "$1.occ"
    q "SELECT trail_id, old_outcome, new_outcome FROM gv_trail ORDER BY trail_id" > "$1.trail"
    q "SELECT batch_id, state, revision FROM gv_batch ORDER BY batch_id" > "$1.batches"
}

# No batch half processed: a RECEIVED batch has no rows, a PROCESSED one all.
whole() { # LABEL
    local bad
    bad=$(q "SELECT b.batch_id, b.state, b.voucher_count, COUNT(o.item_no) FROM gv_batch b
             LEFT JOIN gv_occurrence o ON o.batch_id = b.batch_id
             GROUP BY b.batch_id, b.state, b.voucher_count
             HAVING (b.state = 'RECEIVED' AND COUNT(o.item_no) > 0)
                 OR (b.state = 'PROCESSED' AND COUNT(o.item_no) <> b.voucher_count)")
    [ -z "$bad" ] || fail "$1: a batch half processed: $bad"
}

same() { # LABEL FILE: equal to the reference
    for t in occ trail batches; do
        cmp -s "$ref.$t" "$2.$t" ||
            fail "$1: $t differ from the uninterrupted run: $(diff "$ref.$t" "$2.$t" | head -4)"
    done
}

fresh() { # the parts received again, nothing processed
    q "$clear" > /dev/null
    rm -rf "$d/spool"
    "$GV" -c "$conf" ingest --no-process "$dir/xml"/*.xml > "$d/receive.out" 2>&1 ||
        fail "receive: $(cat "$d/receive.out")"
}

for engine in postgresql mariadb; do
    echo "== $engine"
    setup "$engine"
    grep ',FOUND$' "$dir/accounts-$engine.csv" | cut -d, -f1 > "$dir/found.csv"
    rm -rf "$dir/xml"
    $SIM gen --bin $BIN --period 2025-09 --accounts "$dir/found.csv" --count 2500 --parts 3 \
        --seed "crash-$engine" --dup-accounts 0.3 --dup-vouchers 0.2 --invalid-frac 0.1 \
        --out "$dir/xml" --sign-cert "$dir/certs/wallet-signer.pem" \
        --sign-key "$dir/certs/wallet-signer.key" > /dev/null
    d=$dir/$engine
    mkdir -p "$d"
    conf=$d/gv.conf
    gvt_write_conf "$conf" "$conn" "$top_srcdir/mappings/site-a.ini" "$dir/certs" \
        "$(gvt_intake_ini "$dir/certs" "$d/spool")"
    "$GV" -c "$conf" db migrate > /dev/null || fail "$engine: db migrate"
    ref=$d/ref

    # The reference: uninterrupted.
    fresh
    "$GV" -c "$conf" process > "$d/ref.out" 2>&1 || fail "$engine: process: $(tail -3 "$d/ref.out")"
    outcomes "$ref"
    [ "$(grep -c PROCESSED "$ref.batches")" = 3 ] || fail "$engine: not every part processed"
    grep -q DUPLICATE_ACCOUNT_PERIOD "$ref.occ" && grep -q DUPLICATE_VOUCHER "$ref.occ" ||
        fail "$engine: the lists hold no R7 case"
    echo "   reference: $(grep -c ACCEPTED "$ref.occ") accepted of $(wc -l < "$ref.occ"), $(wc -l < "$ref.trail") trail rows"

    # The server ends the connection while a batch is processed.
    fresh
    cuts=0
    for delay in 0.3 0.6 0.9 1.2; do
        "$GV" -c "$conf" process > "$d/cut.out" 2>&1 &
        pid=$!
        sleep "$delay"
        backend_cut
        if wait "$pid"; then :; else cuts=$((cuts + 1)); fi
        whole "$engine, connection cut after ${delay}s"
    done
    "$GV" -c "$conf" process > "$d/cut.out" 2>&1 || fail "$engine: process after the cuts: $(tail -3 "$d/cut.out")"
    outcomes "$d/cut"
    whole "$engine, after the cuts"
    same "$engine, connection cut $cuts times" "$d/cut"
    echo "   the connection cut during processing $cuts times: the same outcomes"

    # kill -9 at random moments.
    fresh
    kills=0 iter=0
    while [ "$kills" -lt "$WANT_KILLS" ] && [ "$iter" -lt "$MAX_ITER" ]; do
        iter=$((iter + 1))
        "$GV" -c "$conf" process > "$d/kill.out" 2>&1 &
        pid=$!
        sleep "0.$(printf '%03d' $((RANDOM % 1000)))"
        if kill -9 "$pid" 2> /dev/null; then
            wait "$pid" 2> /dev/null || true
            kills=$((kills + 1))
        else
            wait "$pid" || true
        fi
        whole "$engine, kill $kills"
        [ "$(q "SELECT COUNT(*) FROM gv_batch WHERE state = 'RECEIVED'")" != 0 ] || fresh
    done
    [ "$kills" -ge "$WANT_KILLS" ] || fail "$engine: only $kills kills landed in $iter runs"
    fresh
    for i in 1 2 3; do
        "$GV" -c "$conf" process > "$d/kill.out" 2>&1 &
        pid=$!
        sleep "0.$(printf '%03d' $((RANDOM % 1000)))"
        kill -9 "$pid" 2> /dev/null && kills=$((kills + 1))
        wait "$pid" 2> /dev/null || true
        whole "$engine, kill during the last runs"
    done
    "$GV" -c "$conf" process > "$d/kill.out" 2>&1 || fail "$engine: process after the kills: $(tail -3 "$d/kill.out")"
    outcomes "$d/kill"
    whole "$engine, after the kills"
    same "$engine, killed $kills times" "$d/kill"
    echo "   killed with SIGKILL $kills times ($iter runs): the same outcomes"
    case $engine in postgresql) gvt_pg_stop "$dir" ;; mariadb) gvt_maria_stop "$dir" ;; esac
done
gvt_end "intake-crash: a cut connection and kill -9 during processing leave no batch half done, and the outcomes are those of an uninterrupted run, on postgresql and mariadb"
