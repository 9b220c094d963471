#!/usr/bin/env bash
# Billing through COMMITs whose answer is lost, on PostgreSQL through
# psqlODBC, site-a and site-b (~200 accounts): gasvoucher reaches the
# server through tests/lib/pg-commit-cut.py, a proxy that lets PostgreSQL
# carry out the first COMMIT of every connection but never passes its
# answer on (it resets the connection instead). Every chunk's COMMIT and the
# redemption report's COMMIT is lost in this way, so each time gasvoucher
# has to reconnect and find out from its own gv_bill rows (run_id of the
# run) or gv_run row that the transaction did commit, instead of writing it
# again (a second run, with nothing new to report, loses its gv_run COMMIT). The run ends 0, counts a reconnection for every cut, and then:
# every billed voucher has exactly one bill with the right amounts
# (tests/sites/readings.py's independent computation), the recorded report
# carries every bill exactly once and its total equals the bills, no report
# file is left beside it; a second run through the proxy bills nothing new
# and records no new report.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/db.sh"
. "$here/../lib/bills.sh"
. "$here/../lib/certs.sh"
. "$here/../lib/daemon.sh"

gvt_begin billing-lost-commit
GV=$top_builddir/gasvoucher
SIM="$GVT_PYTHON $top_srcdir/contrib/wallet-sim"
PROXY=$top_srcdir/tests/lib/pg-commit-cut.py
BIN=990340001234
NOW=2025-09-30T12:00:00+05:00
NACC=200
SEED=4711
CHUNK=10
t_start=$(date +%s)
proxy_pid=

# The proxy goes first, then the daemon (none here) and the servers.
proxy_stop() {
    local rc=0
    [ -n "$proxy_pid" ] || return 0
    kill -TERM "$proxy_pid" 2> /dev/null || true
    { wait "$proxy_pid"; } 2> /dev/null || rc=$?
    proxy_pid=
    return "$rc"
}
trap 'proxy_stop || true; _gvt_cleanup' EXIT

gvt_pg_start "$dir"

# ---- helpers ---------------------------------------------------------------

q() { gvt_pg_sql "$dir" -c "$1"; }
qin() { gvt_pg_sql "$dir" > /dev/null; }

# proxy_start LOG: the proxy on a free port in front of the server's TCP
# port; sets proxy_pid, proxy_port, proxy_log.
proxy_start() {
    local attempt i
    proxy_log=$1
    for attempt in 1 2 3 4 5; do
        proxy_port=$(gvt_free_port)
        rm -f "$proxy_log.ready"
        "$GVT_PYTHON" "$PROXY" --listen-port "$proxy_port" --server-host 127.0.0.1 \
            --server-port "$GVT_PG_PORT" --log "$proxy_log" --ready "$proxy_log.ready" \
            2>> "$proxy_log.err" &
        proxy_pid=$!
        for ((i = 0; i < 100; i++)); do
            [ -e "$proxy_log.ready" ] && return 0
            kill -0 "$proxy_pid" 2> /dev/null || break
            sleep 0.05
        done
        proxy_stop || true
        grep -q 'cannot listen' "$proxy_log.err" 2> /dev/null || break
    done
    echo "the proxy did not start: $(cat "$proxy_log.err" 2> /dev/null)" >&2
    return 1
}

# prepare SITE: the site's accounts and readings, gasvoucher's tables, the
# vouchers taken in (directly); conf (direct) and pconf (through the proxy,
# whose port is filled in by run_cut).
prepare() {
    site=$1
    d=$dir/postgresql-$site
    mkdir -p "$d"
    gvt_load_site "$site" postgresql "$dir" --random $NACC --seed $SEED
    "$GVT_PYTHON" "$top_srcdir/tests/sites/readings.py" --site "$site" --engine postgresql \
        --period 2025-09 --random $NACC --seed $SEED --program "$top_srcdir/contrib/program.ini" \
        --expect "$d/expect.csv" | qin
    conf=$d/gv.conf
    gvt_bills_conf "$conf" "$GVT_PG_CONN" "$site" "$dir/certs" "$d/spool" \
        "program = $top_srcdir/contrib/program.ini
chunk = $CHUNK
retries = 2
reconnect_for = 20"
    "$GV" -c "$conf" --now "$NOW" db migrate > /dev/null || fail "site-$site: migrate"
    # At the machine's clock: certs.sh's certificates are valid from today.
    "$GV" -c "$conf" ingest "$dir"/xml/*.xml > "$d/ingest.out" 2>&1 ||
        fail "site-$site: ingest: $(cat "$d/ingest.out")"
    pconf=$d/gv-proxy.conf
    bills_table=nachislenie
    [ "$site" = a ] || bills_table=invoices
}

# run_cut NAME: the bill command through a new proxy (under `timeout 60`);
# sets rc, ms, cuts, reconnects, out, plog.
run_cut() {
    local name=$1 t0 t1
    out=$d/$name.out
    plog=$d/$name.proxy.log
    proxy_start "$plog" || { fail "site-$site $name: no proxy"; return 1; }
    # Through the proxy, without TLS (the proxy reads the messages).
    sed "s|^connection = .*|connection = Driver=PostgreSQL Unicode;Servername=127.0.0.1;Port=$proxy_port;Database=gv;UID=postgres;PWD=;SSLMode=disable|" \
        "$conf" > "$pconf"
    t0=$(date +%s%N)
    rc=0
    timeout 60 "$GV" -c "$pconf" --now "$NOW" bill --period 2025-09 --no-send > "$out" 2>&1 || rc=$?
    t1=$(date +%s%N)
    ms=$(((t1 - t0) / 1000000))
    proxy_stop || fail "site-$site $name: the proxy ended $?: $(cat "$plog.err")"
    cuts=$(grep -c '^cut COMMIT answer' "$plog" || true)
    reconnects=$(sed -n 's/.* \([0-9]*\) reconnection(s)$/\1/p' "$out")
    grep -q "^connections [0-9]*, cuts $cuts\$" "$plog" ||
        fail "site-$site $name: the proxy's closing count is missing or differs: $(tail -1 "$plog")"
    [ ! -s "$plog.err" ] || fail "site-$site $name: the proxy said: $(cat "$plog.err")"
    if grep -q 'proxy error\|unreadable\|passed through uncut' "$plog"; then
        fail "site-$site $name: the proxy could not follow a connection: $(grep 'proxy error\|unreadable\|uncut' "$plog" | head -3)"
    fi
}

# check LABEL: the database against readings.py's expectation: every
# accepted voucher has its outcome, each billed one exactly one bill with
# the right amounts, and the recorded reports carry every bill once.
check() {
    local label=$1 out=$d/check-$1
    mkdir -p "$out"
    q "SELECT voucher_id, account_norm FROM gv_occurrence WHERE period = '2025-09'
        AND status = 'ACCEPTED' AND standing = 1" > "$out/accepted.tsv"
    q "$(gvt_gv_bill_sql postgresql 2025-09)" > "$out/gv_bill.tsv"
    q "$(gvt_bills_sql "$site" postgresql)" > "$out/bills.tsv"
    q "SELECT msg_id, body_name FROM gv_outbox WHERE kind = 'RedemptionReport'
        AND period = '2025-09'" > "$out/outbox.tsv"
    # A lost COMMIT must not leave a report file without its outbox row.
    local f
    for f in "$d"/spool/outbox/RR-*.xml; do
        [ -e "$f" ] || continue
        grep -q "	$(basename "$f")\$" "$out/outbox.tsv" ||
            fail "site-$site $label: $(basename "$f") is in the spool but has no outbox row"
    done
    gvt_bills_check "$out" "$d/spool/outbox" "$site" "$d/expect.csv" "$label" "site-$site $label" complete
}

count_bills() { q "SELECT COUNT(*) FROM $bills_table"; }

# ---- vouchers: one for every FOUND account -----------------------------------
"$GVT_PYTHON" "$top_srcdir/tests/sites/gen.py" --site a --engine sqlite --random $NACC --seed $SEED \
    --expect "$dir/accounts.csv" > /dev/null
grep ',FOUND$' "$dir/accounts.csv" | cut -d, -f1 > "$dir/found.csv"
nfound=$(wc -l < "$dir/found.csv")
$SIM gen --bin $BIN --period 2025-09 --accounts "$dir/found.csv" --count "$nfound" --parts 1 \
    --seed lost-commit --out "$dir/xml" --sign-cert "$dir/certs/wallet-signer.pem" \
    --sign-key "$dir/certs/wallet-signer.key" > /dev/null
echo "== $nfound vouchers for the FOUND accounts of $NACC random ones and the fixture"

# ---- the runs ----------------------------------------------------------------

# The proxy's cut lines, one per line, for failure messages.
cut_lines() { grep '^cut COMMIT answer' "$plog" | sed 's/; last statement:.*//'; }

lost_commits() {
    local nb run_id report chunk_cuts report_cuts last
    echo "== postgresql site-$site: the answer to every connection's first COMMIT lost (chunk $CHUNK)"
    run_cut lost1
    echo "   exit $rc in $ms ms; $cuts COMMIT answer(s) cut; ${reconnects:-no} reconnection(s)"
    if [ "$rc" != 0 ]; then
        fail "site-$site: the run whose COMMIT answers were lost ended $rc: $(head -c 2000 "$out")"
        return
    fi
    [ "$cuts" -ge 3 ] || fail "site-$site: only $cuts COMMIT answer(s) cut (the test wants at least 3): $(cut_lines)"
    [ "${reconnects:-0}" -ge "$cuts" ] ||
        fail "site-$site: $cuts COMMIT answer(s) cut but ${reconnects:-no} reconnection(s) counted: $(cat "$out")"
    # Which transactions lost their answer: a chunk's writes gv_bill (and
    # the site's bills), the report's also gv_outbox and gv_run.
    chunk_cuts=$(cut_lines | grep ' wrote .*gv_bill' | grep -vc 'gv_run' || true)
    report_cuts=$(cut_lines | grep -c ' wrote .*gv_outbox.*gv_run\| wrote .*gv_run.*gv_outbox' || true)
    last=$(cut_lines | tail -1)
    echo "   cut: $chunk_cuts chunk COMMIT(s), $report_cuts report COMMIT(s)"
    [ "$chunk_cuts" -ge 3 ] || fail "site-$site: only $chunk_cuts chunk COMMIT(s) lost: $(cut_lines)"
    case $report_cuts:$last in
        1:*gv_run*) ;;
        *) fail "site-$site: the report's COMMIT was not the last one cut: $(cut_lines)" ;;
    esac
    # One run wrote every row, and its report is the one recorded.
    run_id=$(sed -n 's/^billing 2025-09, run \([0-9a-f-]*\):.*/\1/p' "$out")
    [ "$(q "SELECT COUNT(*) FROM gv_bill WHERE period = '2025-09' AND run_id <> '$run_id'")" = 0 ] ||
        fail "site-$site: gv_bill rows of another run than $run_id"
    report=$(sed -n 's/^  redemption report \([0-9a-f-]*\):.*/\1/p' "$out")
    [ -n "$report" ] || fail "site-$site: the run names no redemption report: $(cat "$out")"
    [ "$(q "SELECT ref FROM gv_outbox WHERE kind = 'RedemptionReport'")" = "$report" ] ||
        fail "site-$site: the outbox holds report(s) $(q "SELECT ref FROM gv_outbox WHERE kind = 'RedemptionReport'" | tr '\n' ' '), the run said $report"
    [ "$(q "SELECT COUNT(*) FROM gv_run WHERE run_id = '$run_id' AND report_id = '$report'")" = 1 ] ||
        fail "site-$site: no gv_run row for run $run_id with report $report"
    grep -Eq "^  billed +$(q "SELECT COUNT(*) FROM gv_bill WHERE status = 'BILLED'")\$" "$out" ||
        fail "site-$site: the summary's billed count differs from gv_bill: $(cat "$out")"
    check lost-commits
    nb=$(count_bills)

    # The Pending vouchers are tried again (R20): their chunks' COMMITs are
    # lost too, then the run's record (no new report).
    echo "== postgresql site-$site: again, through the proxy: nothing new"
    run_cut lost2
    echo "   exit $rc in $ms ms; $cuts COMMIT answer(s) cut; ${reconnects:-no} reconnection(s)"
    run_id=$(sed -n 's/^billing 2025-09, run \([0-9a-f-]*\):.*/\1/p' "$out")
    if [ "$rc" != 0 ]; then
        local why=""
        if [ -n "$run_id" ] && grep -q 'gv_run_pkey' "$out" &&
                [ "$(q "SELECT COUNT(*) FROM gv_run WHERE run_id = '$run_id'")" = 1 ]; then
            why=" [the run's own gv_run row ($run_id) is in the database: the COMMIT whose answer was lost ($(cut_lines | tail -1)) had carried it out, and the retry inserted it again]"
        fi
        fail "site-$site: the second run ended $rc: $(grep -v '^ ' "$out" | head -4)$why"
    fi
    grep -Eq '^  billed +0$' "$out" || fail "site-$site: the second run billed: $(cat "$out")"
    grep -q '^  redemption report' "$out" && fail "site-$site: the second run made a report: $(cat "$out")"
    [ "$cuts" -ge 3 ] || fail "site-$site: only $cuts COMMIT answer(s) cut in the second run: $(cut_lines)"
    [ "${reconnects:-0}" -ge "$cuts" ] ||
        fail "site-$site: $cuts COMMIT answer(s) cut but ${reconnects:-no} reconnection(s) counted: $(cat "$out")"
    [ "$(count_bills)" = "$nb" ] || fail "site-$site: the second run changed the number of bills ($nb, now $(count_bills))"
    [ "$(q "SELECT COUNT(*) FROM gv_outbox WHERE kind = 'RedemptionReport'")" = 1 ] ||
        fail "site-$site: the second run recorded another report"
    [ "$(q "SELECT COUNT(*) FROM gv_run WHERE run_id = '$run_id'")" = 1 ] ||
        fail "site-$site: the second run ($run_id) has no gv_run row"
    check again
}

# Site-a and site-b share the database (different tables); gasvoucher's
# own tables are emptied between the sites.

prepare a
lost_commits
gvt_gv_clear q
prepare b
lost_commits

gvt_end "billing-lost-commit: COMMIT answers lost on every connection, each chunk and report found committed, bills and reports whole on postgresql site-a and site-b ($(( $(date +%s) - t_start )) s)"
