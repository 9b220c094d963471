#!/usr/bin/env bash
# contrib/demo.sh - the main job on the embedded SQLite default, end to end:
# a site-a billing database with sample accounts, gasvoucherd serving the
# wallet over mutual TLS with certificates made for the demo, and the
# wallet's account checks for several accounts and typings, then on the 30th
# the month's activated-voucher list pushed by the wallet (contrib/wallet-sim
# plays the wallet) in two parts, the later part first: every voucher judged
# by rules R0-R8, the signed results delivered back to the wallet, and the
# trail of what the second part changed (R7); then the billing run (R9-R20):
# meter readings in the site's own table, a dry run, the bills written with
# the signed redemption report delivered to the wallet, a late reading that
# turns a Pending voucher into a bill on the next day's run, and the
# reconciliation report a billing clerk reads: checked against the billing
# database and written as an Excel workbook, a printable HTML page and CSV.
# Run from a built source tree: ./configure && make && contrib/demo.sh
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
export top_srcdir=$top top_builddir=${top_builddir:-$top}
. "$top/tests/lib/db.sh"
. "$top/tests/lib/certs.sh"
. "$top/tests/lib/daemon.sh"

[ -x "$top_builddir/gasvoucherd" ] || { echo "build first: ./configure && make" >&2; exit 1; }
dir=${GASVOUCHER_DEMO_DIR:-$(mktemp -d /tmp/gasvoucher-demo.XXXXXX)}
mkdir -p "$dir"
chmod 755 "$dir"
sim_pid=
trap 'gvt_daemon_stop || true; [ -z "$sim_pid" ] || kill "$sim_pid" 2> /dev/null || true' EXIT
GV=$top_builddir/gasvoucher
# The clerk's languages, from the build tree until installed.
[ ! -d "$top_builddir/po/locale" ] || export GASVOUCHER_LOCALEDIR=${GASVOUCHER_LOCALEDIR:-$top_builddir/po/locale}
SIM="$GVT_PYTHON $top/contrib/wallet-sim"

echo "== a site-a billing database (SQLite) with the sample accounts and 1000 more"
gvt_make_certs "$dir/certs"
rm -f "$dir/billing.db"
gvt_sqlite_create "$dir/billing.db"
gvt_load_site a sqlite "$dir/billing.db" --random 1000 --seed 1
"$GVT_PYTHON" "$top/tests/sites/readings.py" --site a --engine sqlite --period 2025-09 \
    --random 1000 --seed 1 --program "$top/contrib/program.ini" | sqlite3 "$dir/billing.db"
echo "   $(sqlite3 "$dir/billing.db" 'SELECT COUNT(*) FROM abonent') accounts," \
     "$(sqlite3 "$dir/billing.db" 'SELECT COUNT(*) FROM pokazaniya') meter readings in $dir/billing.db"

echo "== the wallet (contrib/wallet-sim) on https, requiring our client certificate"
mkdir -p "$dir/wallet"
sim_port=$(gvt_free_port)
$SIM serve --listen "127.0.0.1:$sim_port" --cert "$dir/certs/wallet-server.pem" \
    --key "$dir/certs/wallet-server.key" --client-ca "$dir/certs/provider-ca.pem" \
    --store "$dir/wallet" --verify-ca "$dir/certs/provider-ca.pem" \
    --xsd "$top/src/msg/wallet-gas-voucher-v1.xsd" > "$dir/wallet.out" 2> "$dir/wallet.log" &
sim_pid=$!
for i in $(seq 1 50); do grep -q READY "$dir/wallet.out" && break; sleep 0.1; done
echo "   listening on https://127.0.0.1:$sim_port"

echo "== gasvoucherd on https with a required wallet client certificate"
rm -rf "$dir/spool"
gvt_write_conf "$dir/gasvoucher.conf" "$GVT_SQLITE_CONN" "$top/mappings/site-a.ini" "$dir/certs" \
    "$(gvt_intake_ini "$dir/certs" "$dir/spool" "https://127.0.0.1:$sim_port")
[billing]
program = $top/contrib/program.ini
chunk = 100
[time]
# --now below: a pinned clock, for the demonstration only
allow_pinned_now = yes"
"$GV" -c "$dir/gasvoucher.conf" mapping check
"$GV" -c "$dir/gasvoucher.conf" db migrate
gvt_daemon_start "$dir/gasvoucher.conf" "$dir/gasvoucherd.log"
echo "   listening on $GVT_URL (operations on 127.0.0.1:$GVT_OPS_PORT)"

echo "== the wallet checks accounts for September 2025"
for typed in "12345678" "0012 345 678" "0000000042" "4200" "0099999999"; do
    gvt_request "$typed" 2025-09 > "$dir/req.xml"
    gvt_post "$dir/req.xml" > /dev/null
    printf -- '-- typed %-14s -> HTTP %s\n' "\"$typed\"" "$(cat "$dir/req.xml.status")"
    sed -n 's/^ *<\(Result\|Account\|HolderMasked\|AddressMasked\|Region\|Metered\)>\(.*\)<\/.*/   \1: \2/p' \
        "$dir/req.xml.out"
done
python3 - "$top/tests/sites/accounts.csv" <<'PY' > "$dir/others.txt"
import csv, sys
seen = set()
for row in csv.DictReader(open(sys.argv[1], encoding="utf-8")):
    if row["expect_2025_09"] != "FOUND" and row["expect_2025_09"] not in seen:
        seen.add(row["expect_2025_09"])
        print(row["number"])
PY
while read -r number; do
    gvt_request "$number" 2025-09 > "$dir/req.xml"
    printf -- '-- typed %-14s -> HTTP %s\n' "\"$number\"" "$(gvt_post "$dir/req.xml")"
done < "$dir/others.txt"

echo "== a caller without a wallet certificate never reaches HTTP"
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$dir/certs/provider-ca.pem" \
    -H 'Content-Type: application/xml' --data-binary @"$dir/req.xml" \
    "$GVT_URL/v1/account-check" || true)
echo "   HTTP status: $code (000 = refused at the TLS handshake)"

echo "== 2025-09-30: the wallet pushes September's list in two parts, part 2 first"
$SIM gen --bin 990340001234 --period 2025-09 --accounts "$top/tests/sites/accounts.csv" --count 24 \
    --parts 2 --seed demo --dup-accounts 0.3 --dup-vouchers 0.2 --invalid-frac 0.1 --tz-edges \
    --out "$dir/list" --sign-cert "$dir/certs/wallet-signer.pem" \
    --sign-key "$dir/certs/wallet-signer.key" > /dev/null
for part in 002 001; do
    f=$dir/list/GVB-990340001234-202509-$part.xml
    GVT_PATH=/v1/voucher-batches gvt_post "$f" -H "X-Signature: $(base64 -w0 "$f.p7s")" > /dev/null
    printf -- '-- POST %s -> HTTP %s\n' "$(basename "$f")" "$(cat "$f.status")"
    sed 's/^/   /' "$f.out" | grep BatchReceipt
    sleep 1
done
for i in $(seq 1 100); do
    [ "$("$GV" -c "$dir/gasvoucher.conf" outbox | tail -1)" = "0 messages" ] && break
    sleep 0.2
done
"$GV" -c "$dir/gasvoucher.conf" batches --period 2025-09
echo "== what part 1 changed in part 2's outcomes (R7: the earliest activation wins)"
"$GV" -c "$dir/gasvoucher.conf" trail --period 2025-09
echo "== the results the wallet received (signed, checked against the XSD)"
sed -n 's/.*"root": "\([A-Za-z]*\)", "id": "\([^"]*\)".*"verified": \(true\|false\).*/   \1 \2 signature verified: \3/p' \
    "$dir/wallet/received.jsonl"
echo "   the newest result of part 2:"
ls "$dir"/wallet/received/*-VoucherBatchResult-GVB-990340001234-202509-002.xml | tail -1 |
    xargs sed -n 's/^ *<Item \(.*\)\/>/     \1/p' | head -12

NOW=(--now 2025-09-30T18:00:00+05:00)
echo "== 2025-09-30 18:00: billing September, first a dry run (the first lines)"
"$GV" -c "$dir/gasvoucher.conf" "${NOW[@]}" bill --period 2025-09 --dry-run > "$dir/dry-run.out"
grep -m 3 '^BILL' "$dir/dry-run.out" | sed 's/^/   /'
grep -m 2 '^PENDING' "$dir/dry-run.out" | sed 's/^/   /'
# One metered account's September readings are held back, to come late.
late=$(grep -m 1 '^BILL' "$dir/dry-run.out" | awk '{print $3}' | tr -d :)
sqlite3 "$dir/billing.db" "CREATE TABLE demo_late AS SELECT * FROM pokazaniya
    WHERE lic_schet = '$late' AND data_pokaz >= '2025-09-01';
    DELETE FROM pokazaniya WHERE lic_schet = '$late' AND data_pokaz >= '2025-09-01'"
echo "== the billing run (account $late has no September reading yet): bills in nachislenie,"
echo "   the redemption report to the wallet"
"$GV" -c "$dir/gasvoucher.conf" "${NOW[@]}" bill --period 2025-09
sqlite3 -header "$dir/billing.db" \
    "SELECT lic_schet, period, obem, tarif, summa, skidka, k_oplate, vaucher FROM nachislenie LIMIT 3" |
    sed 's/^/   /'
echo "== the reading comes late: the next day's run (the daily timer's bill --due) bills it (R20)"
sqlite3 "$dir/billing.db" "INSERT INTO pokazaniya SELECT * FROM demo_late; DROP TABLE demo_late"
"$GV" -c "$dir/gasvoucher.conf" --now 2025-10-01T06:00:00+05:00 bill --due
echo "== the reconciliation report for September, as a billing clerk reads it (Russian)"
# Lines cut at 150 characters (not bytes) for this screen.
cut150() { "$GVT_PYTHON" -c 'import sys
for l in sys.stdin: print("   " + l.rstrip("\n")[:150].rstrip())'; }
REPORT_NOW=(--now 2025-10-01T09:00:00+05:00)
rc=0
"$GV" -c "$dir/gasvoucher.conf" "${REPORT_NOW[@]}" report --period 2025-09 --lang ru \
    > "$dir/report.ru.txt" 2> "$dir/report.ru.err" || rc=$?
sed -n '1,34p' "$dir/report.ru.txt" | cut150
echo "   ... (exit status $rc: 0 = everything reconciles, 4 = something needs a person)"
echo "== the report checked against the billing database, then written for Excel, for print and as CSV"
"$GV" -c "$dir/gasvoucher.conf" "${REPORT_NOW[@]}" report --period 2025-09 --check --lang ru \
    > "$dir/report.check.txt" 2> "$dir/report.check.err" || true
grep '^  Сверка с биллинговой базой' "$dir/report.check.txt" | sed 's/   */  /g' | cut150
tail -1 "$dir/report.check.txt" | cut150
mkdir -p "$dir/report"
"$GV" -c "$dir/gasvoucher.conf" "${REPORT_NOW[@]}" report --period 2025-09 --lang ru --format xlsx \
    --output "$dir/report/reconciliation-2025-09.xlsx" 2>&1 | grep -v ' info: ' | sed 's/^/   /' || true
"$GV" -c "$dir/gasvoucher.conf" "${REPORT_NOW[@]}" report --period 2025-09 --lang kk --format html \
    --output "$dir/report/reconciliation-2025-09.kk.html" 2>&1 | grep -v ' info: ' | sed 's/^/   /' || true
"$GV" -c "$dir/gasvoucher.conf" "${REPORT_NOW[@]}" report --period 2025-09 --lang ru --format csv --bom \
    --output "$dir/report/csv" 2>&1 | grep -v ' info: ' | sed 's/^/   /' || true
echo "== the reports the wallet received (signed, checked against the XSD)"
grep '"root": "RedemptionReport"' "$dir/wallet/received.jsonl" |
    sed -n 's/.*"id": "\([^"]*\)".*"verified": \(true\|false\).*/   RedemptionReport \1 signature verified: \2/p'
for f in "$dir"/wallet/received/*-RedemptionReport-*.xml; do
    echo "   $(basename "$f"):"
    sed -n 's/^ *<\(Redeemed\|Pending\) \(.*\)\/>/     \1 \2/p' "$f" | head -4
done

echo "== /metrics"
curl -s "http://127.0.0.1:$GVT_OPS_PORT/metrics" | grep -E '_total\{outcome="(FOUND|NOT_FOUND|CLOSED|NOT_HOUSEHOLD|REGION_NOT_IN_PILOT)"|_seconds_count'
gvt_daemon_stop
echo "== the daemon's log (no full names, no addresses)"
sed -n '1,12p' "$dir/gasvoucherd.log"
echo "== the reconciliation report for September 2025 is in $dir/report:"
echo "   reconciliation-2025-09.xlsx      Excel workbook (Russian): a sheet per register"
echo "   reconciliation-2025-09.kk.html   one page to open or print on A4 (Kazakh)"
echo "   csv/*.csv                        one CSV file per register (Russian, UTF-8 with BOM)"
echo "demo files are in $dir"
