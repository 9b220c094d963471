#!/usr/bin/env bash
# Monitoring: the alert rules (contrib/prometheus/gasvoucher-alerts.yml) pass
# `promtool check rules` and their unit tests (tests/prometheus/), and the
# live /metrics of a real daemon carry what the rules and the Grafana
# dashboard (contrib/grafana/gasvoucher.json) read: build info, database up,
# the outbox backlog and its oldest message, batches by state, per period
# the list received, the due day, the last billing run and Pending vouchers.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/db.sh"
. "$here/../lib/certs.sh"
. "$here/../lib/daemon.sh"

command -v promtool > /dev/null || { echo "FAIL: promtool is missing (Debian package prometheus)"; exit 1; }
gvt_begin prometheus
rules=$top_srcdir/contrib/prometheus/gasvoucher-alerts.yml
dashboard=$top_srcdir/contrib/grafana/gasvoucher.json

out=$(promtool check rules "$rules" 2>&1) || fail "promtool check rules: $out"
# promtool reads rule_files relative to the test file: run it from a copy
# that names the rules by their absolute path.
sed "s|^  - \.\./\.\./contrib/prometheus/gasvoucher-alerts.yml$|  - $rules|" \
    "$top_srcdir/tests/prometheus/alerts.test.yml" > "$dir/alerts.test.yml"
out=$(promtool test rules "$dir/alerts.test.yml" 2>&1) || fail "promtool test rules: $out"

metrics() { curl -sf "http://127.0.0.1:$GVT_OPS_PORT/metrics"; }
# Waits up to 20 s for a line of /metrics matching PATTERN.
wait_metric() {
    local i
    for i in $(seq 1 100); do
        metrics > "$dir/metrics.txt" 2> /dev/null && grep -q -- "$1" "$dir/metrics.txt" && return 0
        sleep 0.2
    done
    return 1
}

# ---- a daemon whose database answers, with a list taken in ------------------------
gvt_sqlite_create "$dir/billing.db"
gvt_load_site a sqlite "$dir/billing.db"
# The wallet is away: the result waits in the outbox.
gvt_write_conf "$dir/gv.conf" "$GVT_SQLITE_CONN" "$top_srcdir/mappings/site-a.ini" "$dir/certs" \
    "$(gvt_intake_ini "$dir/certs" "$dir/spool")"
"$top_builddir/gasvoucher" -c "$dir/gv.conf" db migrate > /dev/null || fail "db migrate"
gvt_daemon_start "$dir/gv.conf" "$dir/gv.log"
wait_metric '^gasvoucher_status_updated_timestamp_seconds [1-9]' || fail "the tables' figures never came"
grep -qx "gasvoucher_build_info{version=\"$("$top_builddir/gasvoucher" version | cut -d' ' -f2)\"} 1" \
    "$dir/metrics.txt" || fail "no build info for this version"
grep -qx 'gasvoucher_database_up 1' "$dir/metrics.txt" || fail "the database is not up"
# The periods are the pilot's months up to this one (at most 14); the
# newest takes a pushed list.
period=$(sed -n 's/^gasvoucher_period_due_timestamp_seconds{period="\([0-9-]*\)"}.*/\1/p' "$dir/metrics.txt" | tail -1)
[ -n "$period" ] || fail "no period in /metrics"
# Its due day (R5: the 30th, or a shorter month's last day) at 00:00 in Almaty.
y=${period%-*} m=${period#*-}
last=$(date -d "$y-$m-01 +1 month -1 day" +%d)
due_day=$(( 10#$last < 30 ? 10#$last : 30 ))
want_due=$(TZ=Asia/Almaty date -d "$y-$m-$(printf %02d $due_day) 00:00" +%s)
grep -qx "gasvoucher_period_due_timestamp_seconds{period=\"$period\"} $want_due" "$dir/metrics.txt" ||
    fail "due day of $period: $(grep "due_timestamp_seconds{period=\"$period\"" "$dir/metrics.txt"), expected $want_due"

printf 'number\n0012345678\n0000000042\n' > "$dir/accounts.csv"
$GVT_PYTHON "$top_srcdir/contrib/wallet-sim" gen --bin 990340001234 --period "$period" \
    --accounts "$dir/accounts.csv" --count 2 --parts 2 --seed metrics --out "$dir/xml" \
    --sign-cert "$dir/certs/wallet-signer.pem" --sign-key "$dir/certs/wallet-signer.key" > /dev/null
f=$(ls "$dir"/xml/*.xml | head -1)
st=$(GVT_PATH=/v1/voucher-batches gvt_post "$f" -H "X-Signature: $(base64 -w0 "$f.p7s")")
[ "$st" = "202 RECEIVED" ] || fail "push: $st"
wait_metric '^gasvoucher_batches{state="PROCESSED"} 1$' || fail "the processed batch is not counted"
for want in "gasvoucher_period_batches_received{period=\"$period\"} 1" \
    "gasvoucher_period_batches_expected{period=\"$period\"} 2" \
    "gasvoucher_billing_last_success_timestamp_seconds{period=\"$period\"} 0" \
    "gasvoucher_period_vouchers_pending{period=\"$period\"} 0" \
    'gasvoucher_outbox_messages{state="PENDING"} 1' 'gasvoucher_batches{state="RECEIVED"} 0'; do
    grep -qxF "$want" "$dir/metrics.txt" || fail "no '$want' in /metrics"
done
age=$(sed -n 's/^gasvoucher_outbox_oldest_undelivered_age_seconds \([0-9]*\)$/\1/p' "$dir/metrics.txt")
oldest=$(sed -n 's/^gasvoucher_outbox_oldest_undelivered_timestamp_seconds \([0-9]*\)$/\1/p' "$dir/metrics.txt")
[ -n "$age" ] && [ "$age" -lt 600 ] && [ "$oldest" -gt $(( $(date +%s) - 600 )) ] ||
    fail "the oldest undelivered message: age '$age', made at '$oldest'"
out=$(promtool check metrics < "$dir/metrics.txt" 2>&1) || fail "promtool check metrics: $out"

# Every gasvoucher_ series the rules and the dashboard read is served.
names() { grep -o 'gasvoucher_[a-z_]*' "$1" | sed 's/_\(bucket\|sum\|count\)$//' | sort -u; }
for f in "$rules" "$dashboard"; do
    for n in $(names "$f"); do
        grep -q "^$n\(_bucket\|_sum\|_count\)\?[{ ]" "$dir/metrics.txt" ||
            fail "$(basename "$f") reads $n, which /metrics does not serve"
    done
done
python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); assert d["panels"] and d["title"]' \
    "$dashboard" || fail "the dashboard is not a Grafana dashboard"
gvt_daemon_stop || fail "gasvoucherd did not stop"

# ---- a database that does not answer ------------------------------------------------
gvt_write_conf "$dir/down.conf" "Driver=SQLite3;Database=$dir/no-such.db;NoCreat=1" \
    "$top_srcdir/mappings/site-a.ini" "$dir/certs"
gvt_daemon_start "$dir/down.conf" "$dir/down.log"
wait_metric '^gasvoucher_database_up 0$' || fail "a database that does not answer is up: $(grep database_up "$dir/metrics.txt")"
gvt_daemon_stop || fail "gasvoucherd did not stop"

gvt_end "prometheus: rules checked and unit-tested, /metrics serves what they and the dashboard read"
