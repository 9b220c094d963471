#!/usr/bin/env bash
# contrib/demo.sh - the main job on the embedded SQLite default, end to end:
# a site-a billing database with sample accounts, gasvoucherd serving the
# wallet over mutual TLS with certificates made for the demo, and the
# wallet's account checks for several accounts and typings, then /metrics.
# Run from a built source tree: ./configure && make && contrib/demo.sh
# (Later versions grow this into a whole simulated month: voucher lists,
# billing and the reconciliation report.)
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
trap 'gvt_daemon_stop || true' EXIT

echo "== a site-a billing database (SQLite) with the sample accounts and 1000 more"
gvt_make_certs "$dir/certs"
rm -f "$dir/billing.db"
gvt_sqlite_create "$dir/billing.db"
gvt_load_site a sqlite "$dir/billing.db" --random 1000 --seed 1
echo "   $(sqlite3 "$dir/billing.db" 'SELECT COUNT(*) FROM abonent') accounts in $dir/billing.db"

echo "== gasvoucherd on https with a required wallet client certificate"
gvt_write_conf "$dir/gasvoucher.conf" "$GVT_SQLITE_CONN" "$top/mappings/site-a.ini" "$dir/certs"
"$top_builddir/gasvoucher" -c "$dir/gasvoucher.conf" mapping check
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

echo "== /metrics"
curl -s "http://127.0.0.1:$GVT_OPS_PORT/metrics" | grep -E '_total\{outcome="(FOUND|NOT_FOUND|CLOSED|NOT_HOUSEHOLD|REGION_NOT_IN_PILOT)"|_seconds_count'
gvt_daemon_stop
echo "== the daemon's log (no full names, no addresses)"
sed -n '1,12p' "$dir/gasvoucherd.log"
echo "demo files are in $dir"
