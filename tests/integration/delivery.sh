#!/usr/bin/env bash
# Talking to the wallet (contrib/wallet-sim, real mutual TLS): pull with
# the wallet failing and then answering, results delivered once the wallet
# recovers from 503s, dropped connections and a timeout, across a daemon
# restart, each delivered with exactly the bytes stored and signed; the
# inbox takes in good drops and sets bad ones aside with the reason.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/db.sh"
. "$here/../lib/certs.sh"
. "$here/../lib/daemon.sh"

gvt_begin delivery
GV=$top_builddir/gasvoucher
SIM="$GVT_PYTHON $top_srcdir/contrib/wallet-sim"
BIN=990340001234
C=$dir/certs
store=$dir/wallet
mkdir -p "$store/outgoing" "$dir/inbox"
ctl_port=$(gvt_free_port)
gvt_wallet_sim_start "$C" "$store" --control-port "$ctl_port" --hold-seconds 30 ||
    fail "the wallet simulator did not start"
ctl() { curl -sS -X POST "http://127.0.0.1:$ctl_port/fail?$1" > /dev/null; }

$SIM gen --bin $BIN --period 2025-09 --accounts "$top_srcdir/tests/sites/accounts.csv" --count 20 \
    --parts 2 --seed delivery --dup-accounts 0.2 --out "$store/outgoing" \
    --sign-cert "$C/wallet-signer.pem" --sign-key "$C/wallet-signer.key" > /dev/null

gvt_sqlite_create "$dir/billing.db"
gvt_load_site a sqlite "$dir/billing.db"
gvt_write_conf "$dir/gv.conf" "$GVT_SQLITE_CONN" "$top_srcdir/mappings/site-a.ini" "$C" \
    "$(gvt_intake_ini "$C" "$dir/spool" "https://127.0.0.1:$sim_port" |
       sed "s|^spool_dir = .*|&\ninbox_dir = $dir/inbox\ninbox_interval = 1|")"
"$GV" -c "$dir/gv.conf" db migrate > /dev/null
sq() { sqlite3 -batch -noheader "$dir/billing.db" "$1"; }

# ---- pull ------------------------------------------------------------
ctl "mode=503"
if "$GV" -c "$dir/gv.conf" pull --period 2025-09 > "$dir/pull1.out" 2>&1; then
    fail "pull succeeded while the wallet answered 503"
fi
[ "$(sq 'SELECT COUNT(*) FROM gv_batch')" = 0 ] && echo "ok   pull with the wallet failing: nothing stored" ||
    fail "a failed pull stored something"
ctl "mode=ok"
"$GV" -c "$dir/gv.conf" pull --period 2025-09 > "$dir/pull2.out" 2>&1 || fail "pull: $(cat "$dir/pull2.out")"
grep -q '2 listed, 2 fetched, 0 held' "$dir/pull2.out" && echo "ok   pull fetched both parts" ||
    fail "pull: $(cat "$dir/pull2.out")"
"$GV" -c "$dir/gv.conf" pull --period 2025-09 > "$dir/pull3.out" 2>&1 || fail "pull again"
grep -q '2 listed, 0 fetched, 2 held' "$dir/pull3.out" && echo "ok   pull again fetches nothing" ||
    fail "pull again: $(cat "$dir/pull3.out")"
[ "$(sq "SELECT COUNT(*) FROM gv_batch WHERE channel = 'pull' AND state = 'PROCESSED'")" = 2 ] ||
    fail "pulled batches not processed"

# ---- delivery through failures and a restart -----------------------------
ctl "mode=503"
gvt_daemon_start "$dir/gv.conf" "$dir/gv1.log"
for i in $(seq 1 100); do
    [ "$(sq "SELECT MIN(attempts) FROM gv_outbox")" -ge 2 ] 2> /dev/null && break
    sleep 0.2
done
gvt_daemon_stop || fail "daemon exit status (1)"
[ "$(sq "SELECT COUNT(*) FROM gv_outbox WHERE state = 'PENDING' AND last_error LIKE '%503%'")" -ge 1 ] &&
    echo "ok   the wallet answering 503: results stay pending, retried" ||
    fail "outbox after 503s: $(sq 'SELECT msg_id, state, attempts, last_error FROM gv_outbox')"
"$GV" -c "$dir/gv.conf" outbox > "$dir/outbox1.out"
grep -q 'PENDING' "$dir/outbox1.out" || fail "gasvoucher outbox does not list the pending results"
ctl "mode=drop&count=2"
gvt_daemon_start "$dir/gv.conf" "$dir/gv2.log"
for i in $(seq 1 150); do
    [ "$(sq "SELECT COUNT(*) FROM gv_outbox WHERE state <> 'DELIVERED'")" = 0 ] && break
    sleep 0.2
done
[ "$(sq "SELECT COUNT(*) FROM gv_outbox WHERE state <> 'DELIVERED'")" = 0 ] &&
    echo "ok   delivered after the wallet recovered, across a restart" ||
    fail "not delivered: $(sq 'SELECT msg_id, state, attempts, last_error FROM gv_outbox')"

# A batch taken in while the daemon runs, its result delivered past a timeout.
ctl "mode=timeout&count=1&path=/v1/voucher-batch-results"
$SIM gen --bin $BIN --period 2025-09 --accounts "$top_srcdir/tests/sites/accounts.csv" --count 5 \
    --parts 1 --seq-start 7 --seed late --out "$dir/late" \
    --sign-cert "$C/wallet-signer.pem" --sign-key "$C/wallet-signer.key" > /dev/null
cp "$dir/late"/GVB-*.xml "$dir/late"/GVB-*.xml.p7s "$dir/inbox/"
mkdir -p "$dir/bad"
$SIM gen --bin $BIN --period 2025-09 --accounts "$top_srcdir/tests/sites/accounts.csv" --count 3 \
    --parts 1 --seq-start 8 --seed bad --form csv --out "$dir/bad" \
    --sign-cert "$C/wallet-signer.pem" --sign-key "$C/wallet-signer.key" > /dev/null
sed -i 's/TSA/HOUSING/' "$dir/bad"/GVB-*.csv
cp "$dir/bad"/GVB-* "$dir/inbox/"
for i in $(seq 1 200); do
    [ "$(sq "SELECT COUNT(*) FROM gv_outbox WHERE state = 'DELIVERED'")" = 3 ] && break
    sleep 0.2
done
[ "$(sq "SELECT COUNT(*) FROM gv_outbox WHERE state = 'DELIVERED'")" = 3 ] &&
    echo "ok   an inbox drop processed, its result delivered past a timeout" ||
    fail "inbox/timeout: $(sq 'SELECT msg_id, state, attempts, last_error FROM gv_outbox')"
ls "$dir/inbox/done"/GVB-$BIN-202509-007.xml > /dev/null 2>&1 || fail "the good drop is not in inbox/done"
ls "$dir/inbox/refused"/GVB-$BIN-202509-008.csv.error > /dev/null 2>&1 &&
    grep -q BAD_SIGNATURE "$dir/inbox/refused"/GVB-$BIN-202509-008.csv.error &&
    echo "ok   a tampered drop set aside in inbox/refused with the reason" ||
    fail "the tampered drop: $(ls -R "$dir/inbox")"
[ "$(sq "SELECT COUNT(*) FROM gv_batch WHERE batch_id = 'GVB-$BIN-202509-008'")" = 0 ] ||
    fail "the tampered drop was stored"
gvt_daemon_stop || fail "daemon exit status (2)"

# A queued file changed on disk is never sent: held FAILED until an
# operator puts it right and says so (gasvoucher outbox retry).
$SIM gen --bin $BIN --period 2025-09 --accounts "$top_srcdir/tests/sites/accounts.csv" --count 3 \
    --parts 1 --seq-start 9 --seed failed --out "$dir/failed" \
    --sign-cert "$C/wallet-signer.pem" --sign-key "$C/wallet-signer.key" > /dev/null
"$GV" -c "$dir/gv.conf" ingest "$dir/failed"/GVB-*.xml > /dev/null || fail "ingest of batch 009"
msg=VBR-GVB-$BIN-202509-009-1
cp "$dir/spool/outbox/$msg.xml" "$dir/$msg.keep"
echo "<!-- changed -->" >> "$dir/spool/outbox/$msg.xml"
if "$GV" -c "$dir/gv.conf" outbox send > "$dir/send1.out" 2>&1; then fail "a changed file was sent"; fi
[ "$(sq "SELECT state FROM gv_outbox WHERE msg_id = '$msg'")" = FAILED ] ||
    fail "a changed file is not held as FAILED: $(cat "$dir/send1.out")"
"$GV" -c "$dir/gv.conf" outbox | grep -q "$msg.*FAILED" || fail "gasvoucher outbox does not list the failed message"
cp "$dir/$msg.keep" "$dir/spool/outbox/$msg.xml"
"$GV" -c "$dir/gv.conf" outbox retry "$msg" > /dev/null || fail "outbox retry"
"$GV" -c "$dir/gv.conf" outbox send > "$dir/send2.out" 2>&1 || fail "outbox send: $(cat "$dir/send2.out")"
[ "$(sq "SELECT state FROM gv_outbox WHERE msg_id = '$msg'")" = DELIVERED ] &&
    echo "ok   a changed outbox file held FAILED, sent after 'outbox retry' once put right" ||
    fail "after retry: $(sq "SELECT state, last_error FROM gv_outbox WHERE msg_id = '$msg'")"

# Every result the wallet accepted has the bytes stored in the outbox.
"$GVT_PYTHON" - "$store/received.jsonl" "$dir/spool/outbox" > "$dir/bytes.out" <<'PY' || fail "bytes: $(cat "$dir/bytes.out")"
import hashlib, json, os, sys
got = {}
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r.get("ok"):
        got.setdefault(r["id"], set()).add(r["sha256"])
mine = {}
for name in os.listdir(sys.argv[2]):
    if name.endswith(".xml"):
        batch = name[len("VBR-"):].rsplit("-", 1)[0]
        mine.setdefault(batch, set()).add(hashlib.sha256(open(os.path.join(sys.argv[2], name), "rb").read()).hexdigest())
bad = [b for b in got if not got[b] <= mine.get(b, set())]
missing = [b for b in mine if not mine[b] <= got.get(b, set())]
if bad or missing:
    print("received with other bytes:", bad, "never received:", missing)
    sys.exit(1)
print(len(mine), "batches, every result received with the stored bytes")
PY
echo "ok   $(cat "$dir/bytes.out")"
gvt_end "delivery: pull, retries through 503/drop/timeout and a restart, inbox"
