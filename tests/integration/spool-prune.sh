#!/usr/bin/env bash
# `gasvoucher spool prune --older-than DAYS` on a spool made by the real
# flow (SQLite, the wallet simulator): September's list taken in, its result
# delivered, September billed and its redemption report delivered; October's
# list taken in while the wallet is away (its result still in the outbox),
# not billed.  Pruning removes September's batch and the delivered messages
# and a crashed receipt in tmp/, never October's batch or the undelivered
# result; the database keeps every row.  Every file gasvoucher wrote is
# 0640 or tighter under umask 022.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/db.sh"
. "$here/../lib/certs.sh"
. "$here/../lib/daemon.sh"

gvt_begin spool-prune
sim_pid=
trap '[ -z "$sim_pid" ] || kill "$sim_pid" 2> /dev/null || true; _gvt_cleanup' EXIT
umask 022
GV=$top_builddir/gasvoucher
SIM="$GVT_PYTHON $top_srcdir/contrib/wallet-sim"
BIN=990340001234
N=40
SEED=5
db=$dir/billing.db
spool=$dir/spool
q() { sqlite3 "$db" "$1"; }

gvt_sqlite_create "$db"
gvt_load_site a sqlite "$db" --random $N --seed $SEED
$GVT_PYTHON "$top_srcdir/tests/sites/readings.py" --site a --engine sqlite --period 2025-09 \
    --random $N --seed $SEED --program "$top_srcdir/contrib/program.ini" \
    --expect "$dir/expect.csv" | sqlite3 "$db"
# Only accounts that bill at once: September ends with nothing Pending.
awk -F, 'NR > 1 && $2 == "BILLED" { print $1 }' "$dir/expect.csv" > "$dir/billed.csv"
[ -s "$dir/billed.csv" ] || { fail "no account bills at once"; exit 1; }
for p in 2025-09 2025-10; do
    $SIM gen --bin $BIN --period $p --accounts "$dir/billed.csv" --count "$(wc -l < "$dir/billed.csv")" \
        --parts 1 --seed prune --out "$dir/xml-$p" --sign-cert "$dir/certs/wallet-signer.pem" \
        --sign-key "$dir/certs/wallet-signer.key" > /dev/null
done

sim_port=$(gvt_free_port)
mkdir -p "$dir/wallet"
$SIM serve --listen "127.0.0.1:$sim_port" --cert "$dir/certs/wallet-server.pem" \
    --key "$dir/certs/wallet-server.key" --client-ca "$dir/certs/provider-ca.pem" \
    --store "$dir/wallet" --verify-ca "$dir/certs/provider-ca.pem" > "$dir/wallet.out" 2> "$dir/wallet.log" &
sim_pid=$!
for i in $(seq 1 50); do grep -q READY "$dir/wallet.out" && break; sleep 0.1; done
gvt_write_conf "$dir/gv.conf" "$GVT_SQLITE_CONN" "$top_srcdir/mappings/site-a.ini" "$dir/certs" \
    "$(gvt_intake_ini "$dir/certs" "$spool" "https://127.0.0.1:$sim_port")
[billing]
program = $top_srcdir/contrib/program.ini
[time]
# --now below: a pinned clock, for tests only
allow_pinned_now = yes"

"$GV" -c "$dir/gv.conf" db migrate > /dev/null || fail "db migrate"
"$GV" -c "$dir/gv.conf" ingest "$dir"/xml-2025-09/*.xml > "$dir/ingest9.out" 2>&1 ||
    fail "ingest September: $(cat "$dir/ingest9.out")"
"$GV" -c "$dir/gv.conf" outbox send > "$dir/send.out" 2>&1 || fail "outbox send: $(cat "$dir/send.out")"
"$GV" -c "$dir/gv.conf" --now 2025-09-30T18:00:00+05:00 bill --period 2025-09 > "$dir/bill.out" 2>&1 ||
    fail "bill: $(cat "$dir/bill.out")"
[ "$(q "SELECT COUNT(*) FROM gv_bill WHERE status <> 'BILLED'")" = 0 ] ||
    fail "September has vouchers not billed: $(q "SELECT status, reason FROM gv_bill WHERE status <> 'BILLED'")"
[ "$(q "SELECT COUNT(*) FROM gv_outbox WHERE state <> 'DELIVERED'")" = 0 ] ||
    fail "September's messages were not all delivered: $(q "SELECT kind, state FROM gv_outbox")"
kill "$sim_pid"; wait "$sim_pid" 2> /dev/null || true; sim_pid=
"$GV" -c "$dir/gv.conf" ingest "$dir"/xml-2025-10/*.xml > "$dir/ingest10.out" 2>&1 ||
    fail "ingest October: $(cat "$dir/ingest10.out")"
# What gasvoucher wrote is for its user and group only.
loose=$(find "$spool" \( \( -type f -perm /0137 \) -o \( -type d -perm /0027 \) \) -printf '%m %p\n')
[ -z "$loose" ] || fail "files or folders beyond 0640/0750 under umask 022: $loose"

# A receipt a crash left half-written ten days ago.
mkdir -p "$spool/tmp/rcv-crashed"
echo partial > "$spool/tmp/rcv-crashed/body"
touch -d '10 days ago' "$spool/tmp/rcv-crashed/body" "$spool/tmp/rcv-crashed"

sep=$(q "SELECT spool_name FROM gv_batch WHERE period = '2025-09'")
oct=$(q "SELECT spool_name FROM gv_batch WHERE period = '2025-10'")
delivered=$(q "SELECT body_name FROM gv_outbox WHERE state = 'DELIVERED' ORDER BY body_name")
waiting=$(q "SELECT body_name FROM gv_outbox WHERE state <> 'DELIVERED'")
[ -n "$sep" ] && [ -n "$oct" ] && [ "$(wc -w <<< "$delivered")" = 2 ] && [ -n "$waiting" ] ||
    fail "unexpected spool: batches '$sep' '$oct', delivered '$delivered', waiting '$waiting'"
rows_before=$(q "SELECT (SELECT COUNT(*) FROM gv_batch), (SELECT COUNT(*) FROM gv_outbox), (SELECT COUNT(*) FROM gv_occurrence)")

# Three days on, older than two days.
later=$(TZ=Asia/Almaty date -d '+3 days' +%Y-%m-%dT%H:%M:%S%:z)
prune() { "$GV" -c "$dir/gv.conf" --now "$later" spool prune "$@"; }

prune --older-than 2 --dry-run > "$dir/dry.out" 2>&1 || fail "dry run: $(cat "$dir/dry.out")"
grep -q "^would remove $spool/batches/$sep$" "$dir/dry.out" || fail "the dry run does not list September's batch"
[ -f "$spool/batches/$sep" ] || fail "the dry run removed a file"
# Older than five days: the crashed receipt, and the report, delivered by
# the billing run at its pinned "now" (2025-09-30).
prune --older-than 5 > "$dir/five.out" 2>&1 || fail "prune 5: $(cat "$dir/five.out")"
grep -q '^spool prune: 0 batches, 1 messages, 1 leftovers' "$dir/five.out" ||
    fail "older than 5 days: $(tail -1 "$dir/five.out")"
[ -f "$spool/batches/$sep" ] || fail "a batch younger than 5 days went"

prune --older-than 2 > "$dir/prune.out" 2>&1 || fail "prune: $(cat "$dir/prune.out")"
grep -q '^spool prune: 1 batches, 1 messages, 0 leftovers, [0-9]* bytes removed; 1 batches older than 2 days kept' \
    "$dir/prune.out" || fail "summary: $(tail -1 "$dir/prune.out")"
for f in "batches/$sep" "batches/$sep.p7s" $(for m in $delivered; do echo "outbox/$m" "outbox/$m.p7s"; done); do
    [ ! -e "$spool/$f" ] || fail "$f was not removed"
done
for f in "batches/$oct" "batches/$oct.p7s" "outbox/$waiting" "outbox/$waiting.p7s"; do
    [ -f "$spool/$f" ] || fail "$f (not yet billed or delivered) was removed"
done
[ ! -e "$spool/tmp/rcv-crashed" ] || fail "the crashed receipt is still in tmp/"
[ "$(q "SELECT (SELECT COUNT(*) FROM gv_batch), (SELECT COUNT(*) FROM gv_outbox), (SELECT COUNT(*) FROM gv_occurrence)")" = "$rows_before" ] ||
    fail "pruning changed the database"
prune --older-than 2 > "$dir/again.out" 2>&1 || fail "prune again: $(cat "$dir/again.out")"
grep -q '^spool prune: 0 batches, 0 messages, 0 leftovers, 0 bytes' "$dir/again.out" ||
    fail "a second prune: $(tail -1 "$dir/again.out")"

for bad in "--older-than 0" "--older-than two" ""; do
    rc=0
    # shellcheck disable=SC2086
    "$GV" -c "$dir/gv.conf" spool prune $bad > "$dir/bad.out" 2>&1 || rc=$?
    [ "$rc" = 2 ] && grep -q -- '--older-than DAYS' "$dir/bad.out" ||
        fail "spool prune $bad: exit $rc, $(cat "$dir/bad.out")"
done

gvt_end "spool-prune: billed and delivered files removed, the rest kept, files 0640"
