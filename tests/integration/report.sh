#!/usr/bin/env bash
# The reconciliation report for billing clerks, on SQLite, PostgreSQL and
# MariaDB, site-a and site-b, over a billed period with Pending vouchers, a
# conflict (a bill the utility wrote by hand) and outcomes a later part
# changed (R7: part 2 arrives first).  For each:
#   - the text report in ru, kk and en: every voucher listed, the columns
#     of each register line up by display width with Cyrillic in them, no
#     English word left in ru and kk except identifiers;
#   - CSV (one file per register) read back with Python's csv: a row per
#     voucher, sums equal to SUM over the site's bill tables, to the tiyn;
#   - XLSX read back with openpyxl: money as numbers, dates as dates, the
#     totals rows as formulas whose values equal the same bill tables;
#   - HTML: one self-contained page (no external asset), rendered by
#     headless Chromium to PDF (A4) and PNG;
#   - report --check: nothing on a clean period (exit 0 once nothing needs
#     a person); a bill amount changed by hand, a bill deleted and a
#     foreign bill naming a voucher each found (exit 4), in the register
#     and in the log.
# GVT_REPORT_ENGINES / GVT_REPORT_SITES choose a subset (default: all).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/db.sh"
. "$here/../lib/certs.sh"
. "$here/../lib/daemon.sh"

gvt_begin report
GV=$top_builddir/gasvoucher
SIM="$GVT_PYTHON $top_srcdir/contrib/wallet-sim"
READINGS="$GVT_PYTHON $top_srcdir/tests/sites/readings.py"
CHECK="$GVT_PYTHON $top_srcdir/tests/sites/check_report.py"
export GASVOUCHER_LOCALEDIR=${GASVOUCHER_LOCALEDIR:-$top_builddir/po/locale}
BIN=990340001234
NOW=(--now 2025-09-30T18:00:00+05:00)
LATE=(--now 2025-11-15T09:00:00+05:00)     # past the Pending deadline (30 days)
N=120
SEED=7
ENGINES=${GVT_REPORT_ENGINES:-sqlite postgresql mariadb}
SITES=${GVT_REPORT_SITES:-a b}

# The list: every account the wallet would find, some twice (R7), some
# ids twice with other content, invalid ones; two parts.
$GVT_PYTHON "$top_srcdir/tests/sites/gen.py" --site a --engine sqlite --random $N --seed $SEED \
    --expect "$dir/accounts.csv" > /dev/null
grep ',FOUND$' "$dir/accounts.csv" | cut -d, -f1 > "$dir/found.csv"
$SIM gen --bin $BIN --period 2025-09 --accounts "$dir/found.csv" --count "$(wc -l < "$dir/found.csv")" \
    --parts 2 --seed report --dup-accounts 0.15 --dup-vouchers 0.05 --invalid-frac 0.05 \
    --out "$dir/xml" --sign-cert "$dir/certs/wallet-signer.pem" \
    --sign-key "$dir/certs/wallet-signer.key" > /dev/null

sqlite_q() { sqlite3 -separator $'\t' "$dir/site-$SITE.db" "$1"; }
pg_q() { gvt_pg_sql "$dir" -c "$1"; }
maria_q() { gvt_maria_sql "$dir" -e "$1"; }

# The site's bills as the independent side of every comparison:
# "account voucher volume_milli charge discount due" per line.
site_bills() {
    local q=$1 site=$2
    if [ "$site" = a ]; then
        $q "SELECT lic_schet, vaucher, obem, summa, skidka, k_oplate FROM nachislenie
            WHERE period = '202509' AND vaucher LIKE 'GV-%'"
    else
        $q "SELECT c.account_no, d.reference, g.quantity_m3, g.amount_tiyn, -d.amount_tiyn, i.total_tiyn
            FROM invoices i JOIN customers c ON c.id = i.customer_id
            JOIN invoice_lines g ON g.invoice_id = i.id AND g.line_type = 'GAS'
            JOIN invoice_lines d ON d.invoice_id = i.id AND d.line_type = 'VOUCHER_DISCOUNT'
            WHERE i.period_start = '2025-09-01'"
    fi
}

# A bill the utility wrote by hand for an account with an accepted voucher.
hand_bill() {
    local q=$1 site=$2 acc=$3
    if [ "$site" = a ]; then
        $q "INSERT INTO nachislenie (lic_schet, period, obem, tarif, summa, skidka, k_oplate,
            vaucher, sozdano) VALUES ('$acc', '202509', 1.000, 100.00, 50.00, 0.00, 50.00, NULL,
            '2025-09-29 10:00:00')" > /dev/null
    else
        $q "INSERT INTO invoices (customer_id, period_start, period_end, issued_at, total_tiyn)
            SELECT id, '2025-09-01', '2025-09-30', '2025-09-29 10:00:00', 5000 FROM customers
            WHERE account_no = $acc" > /dev/null
    fi
}

# render FILE.html OUT: headless Chromium prints it to OUT.pdf (A4, as a
# clerk would print it) and takes OUT.png of the first screen; both must
# come out non-empty, the PDF a real one.
render() {
    local html=$1 out=$2 profile
    profile=$(mktemp -d "$dir/chromium.XXXXXX")
    timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-dev-shm-usage \
        --user-data-dir="$profile" --no-pdf-header-footer --print-to-pdf="$out.pdf" \
        "file://$html" > "$out.chromium.log" 2>&1 || return 1
    timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-dev-shm-usage \
        --user-data-dir="$profile" --window-size=1600,1100 --screenshot="$out.png" \
        "file://$html" >> "$out.chromium.log" 2>&1 || return 1
    rm -rf "$profile"
    [ -s "$out.png" ] && head -c 5 "$out.pdf" | grep -q '%PDF-'
}

# The differences register of report --check as "CODE VOUCHER" lines.
differences() {
    "$GV" -c "$1/gv.conf" "${NOW[@]}" report --period 2025-09 --check --format csv \
        --register differences --lang en > "$1/differences.csv" 2> "$1/check.err"
    local rc=$?
    $GVT_PYTHON -c 'import csv, sys
for r in list(csv.reader(open(sys.argv[1], encoding="utf-8")))[1:]: print(r[1], r[2], r[5])' \
        "$1/differences.csv" > "$1/differences.txt"
    return $rc
}

# check_bills ENGINE SITE QUERY-FUNCTION DIR HAND-ACCOUNT: report --check
# on a clean period finds nothing (exit 0 once the hand-written bill is
# gone and its voucher billed); then a bill changed by hand, a bill
# deleted and a foreign bill naming a voucher are each found (exit 4), in
# the register and in the log.
check_bills() {
    local engine=$1 site=$2 q=$3 d=$4 hand=$5 label="$1 site-$2" rc changed deleted ref pend
    if [ "$site" = a ]; then
        $q "DELETE FROM nachislenie WHERE lic_schet = '$hand' AND vaucher IS NULL" > /dev/null
    else
        $q "DELETE FROM invoices WHERE customer_id = (SELECT id FROM customers WHERE account_no = $hand)" > /dev/null
    fi
    "$GV" -c "$d/gv.conf" "${NOW[@]}" bill --period 2025-09 --no-send > "$d/bill-again.out" 2>&1 ||
        fail "$label: billing the conflict's voucher again: $(tail -3 "$d/bill-again.out")"
    rc=0; differences "$d" || rc=$?
    [ "$rc" = 0 ] || fail "$label: report --check on a clean period ended $rc: $(cat "$d/check.err")"
    [ ! -s "$d/differences.txt" ] || fail "$label: a clean period has differences: $(head -3 "$d/differences.txt")"
    rc=0; "$GV" -c "$d/gv.conf" "${NOW[@]}" report --period 2025-09 --check --lang ru > "$d/check.ru.txt" 2>&1 || rc=$?
    [ "$rc" = 0 ] || fail "$label: report --check ended $rc, not 0"
    grep -q 'каждый счёт в биллинговой базе таков' "$d/check.ru.txt" || fail "$label: no clean verdict in ru"
    # Past the Pending deadline (R20) the same period needs a person.
    rc=0; "$GV" -c "$d/gv.conf" "${LATE[@]}" report --period 2025-09 --lang en > "$d/late.txt" 2> "$d/late.err" || rc=$?
    [ "$rc" = 4 ] || fail "$label: report past the Pending deadline ended $rc, not 4"
    grep -q 'pending past the deadline: [1-9]' "$d/late.err" ||
        fail "$label: past the deadline, Pending vouchers are not named: $(cat "$d/late.err")"

    changed=$($q "SELECT voucher_id FROM gv_bill WHERE period = '2025-09' AND status = 'BILLED' ORDER BY account" | sed -n 2p)
    deleted=$($q "SELECT voucher_id FROM gv_bill WHERE period = '2025-09' AND status = 'BILLED' ORDER BY account" | sed -n 3p)
    pend=$($q "SELECT account FROM gv_bill WHERE period = '2025-09' AND status = 'PENDING' ORDER BY account" | sed -n 1p)
    if [ "$site" = a ]; then
        $q "UPDATE nachislenie SET k_oplate = k_oplate + 1.00 WHERE vaucher = '$changed'" > /dev/null
        $q "DELETE FROM nachislenie WHERE vaucher = '$deleted'" > /dev/null
        $q "INSERT INTO nachislenie (lic_schet, period, obem, tarif, summa, skidka, k_oplate, vaucher, sozdano)
            VALUES ('$pend', '202509', 10.000, 100.00, 1000.00, 240.00, 760.00, 'GV-202509-FOREIGN01',
            '2025-09-30 12:00:00')" > /dev/null
    else
        ref=$($q "SELECT bill_ref FROM gv_bill WHERE voucher_id = '$changed'")
        $q "UPDATE invoices SET total_tiyn = total_tiyn + 100 WHERE id = $ref" > /dev/null
        ref=$($q "SELECT bill_ref FROM gv_bill WHERE voucher_id = '$deleted'")
        $q "DELETE FROM invoice_lines WHERE invoice_id = $ref" > /dev/null
        $q "DELETE FROM invoices WHERE id = $ref" > /dev/null
        $q "INSERT INTO invoices (customer_id, period_start, period_end, issued_at, total_tiyn)
            SELECT id, '2025-09-01', '2025-09-30', '2025-09-30 12:00:00', 76000 FROM customers
            WHERE account_no = $pend" > /dev/null
        $q "INSERT INTO invoice_lines (invoice_id, line_type, quantity_m3, unit_price_tiyn, amount_tiyn, reference)
            SELECT i.id, 'VOUCHER_DISCOUNT', NULL, NULL, -24000, 'GV-202509-FOREIGN01' FROM invoices i
            JOIN customers c ON c.id = i.customer_id WHERE c.account_no = $pend
            AND i.period_start = '2025-09-01'" > /dev/null
    fi
    rc=0; differences "$d" || rc=$?
    [ "$rc" = 4 ] || fail "$label: report --check with tampered bills ended $rc, not 4: $(cat "$d/check.err")"
    grep -qx "CHANGED $changed amount due" "$d/differences.txt" ||
        fail "$label: the changed bill of $changed is not found: $(cat "$d/differences.txt")"
    grep -q "^REPORT_DIFFERS $changed " "$d/differences.txt" ||
        fail "$label: the report that carried $changed is not flagged"
    grep -q "^DELETED $deleted " "$d/differences.txt" ||
        fail "$label: the deleted bill of $deleted is not found: $(cat "$d/differences.txt")"
    grep -q "^FOREIGN GV-202509-FOREIGN01 " "$d/differences.txt" ||
        fail "$label: the foreign bill is not found: $(cat "$d/differences.txt")"
    [ "$(grep -vc '^REPORT_DIFFERS' "$d/differences.txt")" = 3 ] ||
        fail "$label: more than the three differences made: $(cat "$d/differences.txt")"
    grep -q "report --check 2025-09: CHANGED voucher $changed" "$d/check.err" ||
        fail "$label: the change is not in the log: $(head -3 "$d/check.err")"
    echo "   check: clean period 0 differences; then $(tr '\n' ';' < "$d/differences.txt")"
}

# run ENGINE SITE CONN QUERY-FUNCTION
run() {
    local engine=$1 site=$2 conn=$3 q=$4 d=$dir/$1-$2 label="$1 site-$2" rc acc
    mkdir -p "$d"
    gvt_write_conf "$d/gv.conf" "$conn" "$top_srcdir/mappings/site-$site.ini" "$dir/certs" \
        "$(gvt_intake_ini "$dir/certs" "$d/spool")
[billing]
program = $top_srcdir/contrib/program.ini
chunk = 29
[time]
# --now: a pinned clock, for tests only
allow_pinned_now = yes"
    "$GV" -c "$d/gv.conf" db migrate > /dev/null || fail "$label: migrate"
    # Part 2 first, then part 1: part 1's earlier activations change
    # outcomes part 2 had (R7).
    "$GV" -c "$d/gv.conf" ingest "$dir"/xml/*-002.xml > "$d/ingest2.out" 2>&1 ||
        fail "$label: ingest part 2: $(cat "$d/ingest2.out")"
    "$GV" -c "$d/gv.conf" ingest "$dir"/xml/*-001.xml > "$d/ingest1.out" 2>&1 ||
        fail "$label: ingest part 1: $(cat "$d/ingest1.out")"
    [ "$($q "SELECT COUNT(*) FROM gv_trail WHERE period = '2025-09'")" -gt 0 ] ||
        fail "$label: part 1 changed no outcome of part 2 (R7 untested)"
    acc=$($q "SELECT account_norm FROM gv_occurrence WHERE period = '2025-09' AND status = 'ACCEPTED'
        AND standing = 1 ORDER BY account_norm" | sed -n 5p)
    hand_bill "$q" "$site" "$acc"
    rc=0; "$GV" -c "$d/gv.conf" "${NOW[@]}" bill --period 2025-09 --no-send > "$d/bill.out" 2>&1 || rc=$?
    [ "$rc" = 4 ] || fail "$label: bill with a hand-written bill ended $rc, not 4: $(tail -5 "$d/bill.out")"
    [ "$($q "SELECT COUNT(*) FROM gv_bill WHERE status = 'PENDING'")" -gt 0 ] ||
        fail "$label: no Pending voucher (R20 untested)"
    site_bills "$q" "$site" > "$d/site-bills.tsv"
    $q "SELECT voucher_id FROM gv_occurrence WHERE period = '2025-09' AND (standing = 1 OR dupv = 1)" \
        > "$d/vouchers.txt"

    # Text in every language: with a conflict the status is 4.
    for lang in ru kk en; do
        rc=0; "$GV" -c "$d/gv.conf" "${NOW[@]}" report --period 2025-09 --lang $lang \
            > "$d/report.$lang.txt" 2> "$d/report.$lang.err" || rc=$?
        [ "$rc" = 4 ] || fail "$label: report --lang $lang ended $rc, not 4: $(cat "$d/report.$lang.err")"
        out=$($CHECK text --lang $lang --vouchers "$d/vouchers.txt" "$d/report.$lang.txt" 2>&1) ||
            fail "$label: text report in $lang: $out"
    done
    # CSV, one file per register, with a byte order mark for Excel.
    rc=0; "$GV" -c "$d/gv.conf" "${NOW[@]}" report --period 2025-09 --lang ru --format csv --bom \
        --output "$d/csv" > "$d/csv.out" 2>&1 || rc=$?
    [ "$rc" = 4 ] || fail "$label: report --format csv ended $rc: $(cat "$d/csv.out")"
    out=$($CHECK csv --site $site --vouchers "$d/vouchers.txt" --bills "$d/site-bills.tsv" "$d/csv" 2>&1) ||
        fail "$label: CSV: $out"
    echo "== $label: $out"
    # Excel, read back by openpyxl: numbers, dates, formulas and their values.
    rc=0; "$GV" -c "$d/gv.conf" "${NOW[@]}" report --period 2025-09 --lang kk --format xlsx \
        --output "$d/report.xlsx" > "$d/xlsx.out" 2>&1 || rc=$?
    [ "$rc" = 4 ] || fail "$label: report --format xlsx ended $rc: $(cat "$d/xlsx.out")"
    out=$($CHECK xlsx --site $site --lang kk --vouchers "$d/vouchers.txt" --bills "$d/site-bills.tsv" "$d/report.xlsx" 2>&1) ||
        fail "$label: XLSX: $out"
    echo "   $out"
    # HTML: one self-contained page, rendered by headless Chromium.
    rc=0; "$GV" -c "$d/gv.conf" "${NOW[@]}" report --period 2025-09 --lang ru --format html \
        --output "$d/report.html" > "$d/html.out" 2>&1 || rc=$?
    [ "$rc" = 4 ] || fail "$label: report --format html ended $rc: $(cat "$d/html.out")"
    out=$($CHECK html --lang ru --vouchers "$d/vouchers.txt" "$d/report.html" 2>&1) || fail "$label: HTML: $out"
    render "$d/report.html" "$d/report" || fail "$label: Chromium could not render the HTML: $(tail -3 "$d/report.chromium.log")"
    echo "   $out, rendered to $(( $(stat -c %s "$d/report.pdf") / 1024 )) KB of PDF"
    # One register to standard output.
    "$GV" -c "$d/gv.conf" "${NOW[@]}" report --period 2025-09 --format csv --register regions \
        > "$d/regions.csv" 2> /dev/null || true
    head -1 "$d/regions.csv" | grep -q . || fail "$label: --register regions wrote nothing"
    check_bills "$engine" "$site" "$q" "$d" "$acc"
    # GVT_REPORT_KEEP=DIR keeps the reports to look at.
    [ -z "${GVT_REPORT_KEEP:-}" ] || { mkdir -p "$GVT_REPORT_KEEP" && cp -r "$d" "$GVT_REPORT_KEEP/"; }
}

for site in a b; do
    for engine in sqlite postgresql mariadb; do
        $READINGS --site $site --engine $engine --period 2025-09 --random $N --seed $SEED \
            --program "$top_srcdir/contrib/program.ini" > "$dir/readings-$site.$engine.sql"
    done
done
case " $ENGINES " in *" postgresql "*) gvt_pg_start "$dir" ;; esac
case " $ENGINES " in *" mariadb "*) gvt_maria_start "$dir" ;; esac
clear_own="DELETE FROM gv_bill; DELETE FROM gv_run; DELETE FROM gv_outbox; DELETE FROM gv_occurrence;
  DELETE FROM gv_trail; DELETE FROM gv_batch"
for site in $SITES; do
    SITE=$site
    for engine in $ENGINES; do
        case $engine in
            sqlite)
                gvt_sqlite_create "$dir/site-$site.db"
                gvt_load_site $site sqlite "$dir/site-$site.db" --random $N --seed $SEED
                sqlite3 "$dir/site-$site.db" < "$dir/readings-$site.sqlite.sql"
                run sqlite $site "$GVT_SQLITE_CONN" sqlite_q ;;
            postgresql)
                gvt_load_site $site postgresql "$dir" --random $N --seed $SEED
                gvt_pg_sql "$dir" < "$dir/readings-$site.postgresql.sql" > /dev/null
                run postgresql $site "$GVT_PG_CONN" pg_q
                pg_q "$clear_own" > /dev/null ;;
            mariadb)
                gvt_load_site $site mariadb "$dir" --random $N --seed $SEED
                gvt_maria_sql "$dir" < "$dir/readings-$site.mariadb.sql" > /dev/null
                run mariadb $site "$GVT_MARIA_CONN" maria_q
                maria_q "$clear_own" > /dev/null ;;
        esac
    done
done
gvt_end "report on every engine and site: registers in text and CSV agree with the bill tables, every language"
