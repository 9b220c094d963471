#!/usr/bin/env bash
# Two nodes on one PostgreSQL (site-a, ~1500 accounts, readings for
# 2025-09, real TLS, the wallet simulator): the same voucher list is run
# twice on the same site, first by one node alone (the reference), then by
# two daemons, node-a and node-b, each with a spool of its own:
#   - account checks answered by both;
#   - the parts pushed alternately to node-a and node-b, one of them taken
#     in by `gasvoucher ingest --no-process` on node-a and processed by
#     node-b from the bytes in the database, the last one pushed to both at
#     the same moment (one RECEIVED, one DUPLICATE);
#   - `gasvoucher bill` started on both hosts at the same moment; the one
#     holding the billing lease killed with SIGKILL mid-run; the other takes
#     the lease over once it has not been renewed for lease_ttl and bills
#     the rest.
# Afterwards: every batch processed once; every voucher's outcome, every
# result, every gv_bill row and site bill and the redemption report the
# same as the single node's (ids, instants and bill numbers aside); exactly
# one bill per billed voucher; every result and report the wallet received
# exactly once, with the bytes queued.  Last, an upgrade: a batch that only
# node-a's spool holds (a database at schema version 4) is stored in the
# database by `db migrate` and processed by node-b.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/db.sh"
. "$here/../lib/certs.sh"
. "$here/../lib/daemon.sh"

gvt_begin two-nodes
GV=$top_builddir/gasvoucher
SIM="$GVT_PYTHON $top_srcdir/contrib/wallet-sim"
BIN=990340001234
NOW=2025-09-30T12:00:00+05:00
NACC=1500           # random accounts on top of the fixture
SEED=20250931
PARTS=6
CHUNK=20
TTL=10              # [cluster] lease_ttl; > connect_timeout + timeout below
C=$dir/certs
t_start=$(date +%s)

echo "== PostgreSQL, site-a with $NACC random accounts, readings for 2025-09"
gvt_pg_start "$dir"
gvt_load_site a postgresql "$dir" --random "$NACC" --seed "$SEED" --expect "$dir/accounts.csv"
"$GVT_PYTHON" "$top_srcdir/tests/sites/readings.py" --site a --engine postgresql --period 2025-09 \
    --random "$NACC" --seed "$SEED" --program "$top_srcdir/contrib/program.ini" \
    --expect "$dir/expect.csv" | gvt_pg_sql "$dir" > /dev/null
grep ',FOUND$' "$dir/accounts.csv" | cut -d, -f1 > "$dir/found.csv"
nfound=$(wc -l < "$dir/found.csv")
q() { gvt_pg_sql "$dir" -c "$1"; }
# Every bill statement waits 0.1 s: a run lasts a few seconds, long enough
# to be killed in the middle.
gvt_pg_sql "$dir" > /dev/null <<'SQL'
CREATE OR REPLACE FUNCTION gvt_slow_fn() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_sleep(0.1);
    RETURN NULL;
END $$;
CREATE TRIGGER gvt_slow BEFORE INSERT ON nachislenie FOR EACH STATEMENT EXECUTE FUNCTION gvt_slow_fn();
SQL

echo "== the wallet simulator"
store=$dir/wallet
mkdir -p "$store/outgoing"
gvt_wallet_sim_start "$C" "$store" || fail "the wallet simulator did not start"
pid_a= pid_b=
stop_node() { # PID
    [ -n "$1" ] || return 0
    GVT_DAEMON_PID=$1
    gvt_daemon_stop
}
trap 'stop_node "$pid_a" || true; stop_node "$pid_b" || true
      kill $sim_pid 2> /dev/null; wait $sim_pid 2> /dev/null; _gvt_cleanup' EXIT

echo "== $nfound vouchers in $PARTS parts, 10% of accounts with two vouchers (R7 across parts)"
$SIM gen --bin $BIN --period 2025-09 --accounts "$dir/found.csv" --count "$nfound" --parts $PARTS \
    --seed two-nodes --dup-accounts 0.1 --out "$dir/xml" \
    --sign-cert "$C/wallet-signer.pem" --sign-key "$C/wallet-signer.key" > /dev/null
part() { printf '%s/xml/GVB-%s-202509-%03d.xml' "$dir" "$BIN" "$1"; }

# One configuration per node: its own spool and ports, the same database.
node_conf() { # NAME
    mkdir -p "$dir/$1"
    gvt_write_conf "$dir/$1/gv.conf" "$GVT_PG_CONN" "$top_srcdir/mappings/site-a.ini" "$C" \
        "$(gvt_intake_ini "$C" "$dir/$1/spool" "https://127.0.0.1:$sim_port")
[billing]
program = $top_srcdir/contrib/program.ini
chunk = $CHUNK
[cluster]
node = $1
lease_ttl = $TTL
[time]
# --now: a pinned clock, for tests only
allow_pinned_now = yes"
    eval "url_${1//-/_}=\$GVT_URL ops_${1//-/_}=\$GVT_OPS_PORT"
}
node_conf node-a
node_conf node-b
start_node() { # NAME -> pid in $started
    local n=${1//-/_} url ops
    eval "ops=\$ops_$n"
    GVT_OPS_PORT=$ops gvt_daemon_start "$dir/$1/gv.conf" "$dir/$1/gv-$phase.log"
    started=$GVT_DAEMON_PID
}
push() { # PART NODE [FILE] -> prints "STATUS RESULT"
    local f=${3:-} n=${2//-/_} url
    [ -n "$f" ] || f=$(part "$1")
    eval "url=\$url_$n"
    GVT_URL=$url GVT_PATH=/v1/voucher-batches gvt_post "$f" -H "X-Signature: $(base64 -w0 "$f.p7s")"
}
wait_for() { # SECONDS SQL WANT
    local i
    for ((i = 0; i < $1 * 5; i++)); do
        [ "$(q "$2")" = "$3" ] && return 0
        sleep 0.2
    done
    return 1
}
wait_processed() { # N
    wait_for 60 "SELECT COUNT(*) FROM gv_batch WHERE state = 'PROCESSED'" "$1" ||
        fail "$phase: $(q "SELECT COUNT(*) FROM gv_batch WHERE state = 'PROCESSED'") of $1 batches processed"
}
wait_delivered() {
    wait_for 90 "SELECT COUNT(*) FROM gv_outbox WHERE state <> 'DELIVERED'" 0 ||
        fail "$phase: not delivered: $(q "SELECT msg_id, state, attempts, last_error FROM gv_outbox WHERE state <> 'DELIVERED'")"
}
bill=(--now "$NOW" bill --period 2025-09)

# What a run leaves, without what differs between runs by nature (ids,
# instants, the site's bill numbers, who did it).
snapshot() { # PHASE
    local p=$dir/$1
    q "SELECT batch_id, item_no, voucher_id, status, COALESCE(reason, ''), standing, dupv
       FROM gv_occurrence ORDER BY batch_id, item_no" > "$p.occ"
    q "SELECT batch_id, part, voucher_count, state, revision FROM gv_batch ORDER BY batch_id" > "$p.batches"
    q "SELECT voucher_id, account, status, COALESCE(reason, ''), COALESCE(detail, ''),
       volume_milli, price_tiyn, vat_bp, net_tiyn, vat_tiyn, charge_tiyn, discount_tiyn,
       due_tiyn, COALESCE(rule_name, '') FROM gv_bill ORDER BY voucher_id" > "$p.bill"
    q "SELECT lic_schet, period, vaucher, obem::text, tarif::text, summa::text, skidka::text,
       k_oplate::text FROM nachislenie ORDER BY vaucher" > "$p.nach"
    q "SELECT kind, ref FROM gv_outbox WHERE kind = 'VoucherBatchResult' ORDER BY ref, msg_id" > "$p.results"
    q "SELECT msg_id, sha256 FROM gv_outbox ORDER BY msg_id" > "$p.outbox"
    q "SELECT COUNT(*) FROM gv_outbox WHERE kind = 'RedemptionReport'" > "$p.reports"
}

# ---- the reference: one node ---------------------------------------------------
phase=single
echo "== one node alone: every part pushed to node-a, then one billing run"
"$GV" -c "$dir/node-a/gv.conf" db migrate > /dev/null || fail "db migrate"
start_node node-a; pid_a=$started
for i in $(seq 1 $PARTS); do
    got=$(push "$i" node-a)
    [ "$got" = "202 RECEIVED" ] || fail "single: part $i: $got"
    wait_processed "$i"
done
wait_delivered
rc=0
"$GV" -c "$dir/node-a/gv.conf" "${bill[@]}" > "$dir/single-bill.out" 2>&1 || rc=$?
[ "$rc" = 0 ] || fail "single: bill ended with $rc: $(cat "$dir/single-bill.out")"
wait_delivered
snapshot single
stop_node "$pid_a" || fail "single: node-a did not stop cleanly"
pid_a=
sed -n 's/^ *\(billed\|pending\) */   single node: \1 /p' "$dir/single-bill.out"
single_lines=$(wc -l < "$store/received.jsonl")

# ---- the same on a fresh start: two nodes -----------------------------------------
echo "== the same list again from scratch: gasvoucher's tables dropped, the site's bills deleted"
for t in $(q "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename LIKE 'gv\_%'"); do
    q "DROP TABLE $t" > /dev/null
done
q "DELETE FROM nachislenie" > /dev/null
rm -rf "$dir/node-a/spool" "$dir/node-b/spool"
phase=two
"$GV" -c "$dir/node-b/gv.conf" db migrate > /dev/null || fail "db migrate (node-b)"
start_node node-a; pid_a=$started
start_node node-b; pid_b=$started

echo "== account checks on both nodes"
gvt_request "$(sed -n 1p "$dir/found.csv")" > "$dir/check.xml"
for n in a b; do
    got=$(eval "GVT_URL=\$url_node_$n" gvt_post "$dir/check.xml")
    case $got in 200\ *) echo "ok   node-$n answers an account check: $got" ;;
                 *) fail "node-$n account check: $got ($(cat "$dir/check.xml.out"))" ;; esac
done

echo "== parts pushed alternately to node-a and node-b"
for i in $(seq 1 $((PARTS - 1))); do
    if [ "$i" = 3 ]; then
        # Taken in on node-a without processing; the next push wakes node-b,
        # which processes it from the bytes in the database.
        "$GV" -c "$dir/node-a/gv.conf" ingest --no-process "$(part 3)" > "$dir/ingest3.out" 2>&1 ||
            fail "ingest --no-process of part 3: $(cat "$dir/ingest3.out")"
        continue
    fi
    node=node-$([ $((i % 2)) = 1 ] && echo a || echo b)
    got=$(push "$i" $node)
    [ "$got" = "202 RECEIVED" ] || fail "two: part $i to $node: $got"
    wait_processed "$i"
done
# The last part to both at the same moment (each from a copy of its own:
# gvt_post keeps the answer beside the file).
for n in a b; do cp "$(part $PARTS)" "$dir/last-$n.xml"; cp "$(part $PARTS).p7s" "$dir/last-$n.xml.p7s"; done
push $PARTS node-a "$dir/last-a.xml" > "$dir/last-a" & p1=$!
push $PARTS node-b "$dir/last-b.xml" > "$dir/last-b" & p2=$!
wait $p1 $p2 || true
got=$(cat "$dir/last-a" "$dir/last-b" | sort | tr '\n' ' ')
[ "$got" = "200 DUPLICATE 202 RECEIVED " ] &&
    echo "ok   the last part pushed to both at once: $got" || fail "the last part to both: $got"
wait_processed $PARTS
if grep -q "batch GVB-$BIN-202509-003: read from the database (not in this node's spool)" \
        "$dir/node-b/gv-two.log"; then
    echo "ok   part 3, taken in on node-a, processed by node-b from the database"
else
    fail "part 3 was not processed by node-b from the database: $(grep -h '003' "$dir"/node-*/gv-two.log | head -5)"
fi
[ -e "$dir/node-b/spool/batches/$(q "SELECT spool_name FROM gv_batch WHERE part = 3")" ] ||
    fail "part 3's bytes are not in node-b's spool"
for n in a b; do
    echo "   node-$n: $(grep -c 'batch .* read from the database' "$dir/node-$n/gv-two.log" || true)" \
         "batch(es) and $(grep -c 'outbox: .* read from the database' "$dir/node-$n/gv-two.log" || true)" \
         "message(s) the other node received or wrote read from the database"
done
wait_delivered

echo "== gasvoucher bill on both hosts at the same moment; the lease holder killed mid-run"
"$GV" -c "$dir/node-a/gv.conf" "${bill[@]}" > "$dir/bill-a.out" 2>&1 &
bill_a=$!
"$GV" -c "$dir/node-b/gv.conf" "${bill[@]}" > "$dir/bill-b.out" 2>&1 &
bill_b=$!
holder= killed_at=0
# (bash's own "Killed" notice about the job is not wanted here)
exec 3>&2 2> /dev/null
for ((i = 0; i < 600; i++)); do
    lease=$(q "SELECT holder, process FROM gv_lease WHERE name = 'billing' AND token <> ''")
    billed=$(q "SELECT COUNT(*) FROM gv_bill")
    pid=$(printf '%s' "$lease" | cut -f2 | cut -d/ -f3)
    if [ -n "$pid" ] && [ "$billed" -ge 100 ] && { [ "$pid" = "$bill_a" ] || [ "$pid" = "$bill_b" ]; }; then
        kill -KILL "$pid"
        killed_at=$(date +%s)
        holder=$(printf '%s' "$lease" | cut -f1)
        break
    fi
    sleep 0.1
done
exec 2>&3 3>&-
[ -n "$holder" ] || fail "no run held the billing lease with vouchers billed"
left_rows=$billed
[ "$holder" = node-a ] && { killed=$bill_a; other=$bill_b; other_out=$dir/bill-b.out; other_node=node-b; } ||
    { killed=$bill_b; other=$bill_a; other_out=$dir/bill-a.out; other_node=node-a; }
rc=0; { wait "$killed"; } 2> /dev/null || rc=$?
[ "$rc" = 137 ] || fail "the run on $holder ended with $rc before its kill"
echo "   killed the run on $holder (pid $killed) with $left_rows gv_bill rows written"
rc=0; wait "$other" || rc=$?
took=$(( $(date +%s) - killed_at ))
[ "$rc" = 0 ] || fail "the run on $other_node ended with $rc: $(cat "$other_out")"
grep -q "lease billing: taken over from $holder (pid $killed).*not renewed within its lease_ttl" "$other_out" &&
    echo "ok   $other_node waited, then took the billing lease over from $holder after $took s (lease_ttl $TTL)" ||
    fail "no takeover in $other_node's output: $(head -c 800 "$other_out")"
[ "$took" -ge $((TTL - 1)) ] || fail "the lease was taken over $took s after the kill, before lease_ttl $TTL"
sed -n 's/^ *\(billed\|pending\) */   the finishing run: \1 /p' "$other_out"
wait_delivered
"$GV" -c "$dir/node-a/gv.conf" db leases > "$dir/leases.out" || fail "db leases: $(cat "$dir/leases.out")"
grep -Eq "^billing +free +$other_node " "$dir/leases.out" &&
    echo "ok   db leases: billing free, last held by $other_node" ||
    fail "the billing lease after the run: $(cat "$dir/leases.out")"
snapshot two

# ---- the proof ----------------------------------------------------------------------
echo "== comparing with the single node"
for f in occ batches bill nach results reports; do
    if diff "$dir/single.$f" "$dir/two.$f" > "$dir/diff.$f"; then
        echo "ok   $f: the same ($(wc -l < "$dir/two.$f") rows)"
    else
        fail "$f differs from the single node's: $(head -10 "$dir/diff.$f")"
    fi
done
[ "$(cut -f2 "$dir/two.batches" | sort -u | wc -l)" = $PARTS ] || fail "not every part is there once"
"$GVT_PYTHON" - "$dir" "$store/received.jsonl" "$single_lines" > "$dir/check.out" <<'PY' || fail "$(cat "$dir/check.out")"
import collections, json, os, sys
import xml.etree.ElementTree as ET

d, jsonl, split = sys.argv[1], sys.argv[2], int(sys.argv[3])
NS = "{urn:socialwallet:gas-voucher:v1}"
errors = []

def rows(name):
    with open(os.path.join(d, name), encoding="utf-8") as f:
        return [l.rstrip("\n").split("\t") for l in f if l.strip()]

with open(jsonl, encoding="utf-8") as f:
    lines = [json.loads(l) for l in f if l.strip()]
phases = {"single": lines[:split], "two": lines[split:]}

def content(path):
    """A message's content without what differs between runs by nature."""
    root = ET.parse(path).getroot()
    if root.tag == NS + "VoucherBatchResult":
        return ("result", root.get("batchId"),
                tuple((e.get("voucherId"), e.get("status"), e.get("reason")) for e in root))
    return ("report", tuple(sorted(
        (e.tag[len(NS):],) + tuple(sorted((k, v) for k, v in e.attrib.items() if k != "billRef"))
        for e in root)), root.get("redeemed"), root.get("pending"), root.get("totalDiscountTiyn"))

got = {}
for phase, entries in phases.items():
    outbox = dict(rows(phase + ".outbox"))           # msg_id -> sha256
    queued = collections.Counter(outbox.values())
    ok = [e for e in entries if e.get("ok")]
    bad = [e for e in entries if not e.get("ok")]
    if bad:
        errors.append("%s: the wallet refused %d message(s): %s" % (phase, len(bad), bad[0].get("reason")))
    seen = collections.Counter(e["sha256"] for e in ok)
    for sha, n in seen.items():
        if sha not in queued:
            errors.append("%s: the wallet received bytes that were never queued (sha256 %s)" % (phase, sha))
        elif n != 1:
            errors.append("%s: a message was delivered %d times (sha256 %s)" % (phase, n, sha))
    for msg, sha in outbox.items():
        if sha not in seen:
            errors.append("%s: %s was never received by the wallet" % (phase, msg))
    got[phase] = collections.Counter(content(e["path"]) for e in ok)
    print("%s: %d messages queued, %d received once each" % (phase, len(outbox), len(ok)))
if got["single"] != got["two"]:
    only1 = got["single"] - got["two"]
    only2 = got["two"] - got["single"]
    errors.append("the messages' contents differ: %d only from the single node, %d only from two"
                  % (sum(only1.values()), sum(only2.values())))
    for c in list(only1)[:2] + list(only2)[:2]:
        errors.append("  %s" % (str(c)[:300],))
nach = rows("two.nach")
per = collections.Counter(r[2] for r in nach)
billed = [r for r in rows("two.bill") if r[2] == "BILLED"]
if any(n != 1 for n in per.values()):
    errors.append("a voucher has more than one site bill")
if sorted(per) != sorted(r[0] for r in billed):
    errors.append("the site's bills and the BILLED gv_bill rows are not the same vouchers")
if errors:
    print("\n".join(errors))
    sys.exit(1)
print("%d billed vouchers, one site bill each; results and report the same as one node's"
      % len(billed))
PY
sed 's/^/   /' "$dir/check.out"
grep -q ' 0 billed vouchers' "$dir/check.out" && fail "nothing was billed: the test data gives no bills"

# ---- an upgrade: what one node's spool alone held goes into the database ----------
echo "== upgrading from schema version 4: a batch only node-a's spool holds, processed by node-b"
stop_node "$pid_a" || fail "node-a did not stop cleanly"; pid_a=
stop_node "$pid_b" || fail "node-b did not stop cleanly"; pid_b=
$SIM gen --bin $BIN --period 2025-09 --accounts "$dir/found.csv" --count 5 --parts 1 \
    --seq-start 7 --seed upgrade --out "$dir/late" \
    --sign-cert "$C/wallet-signer.pem" --sign-key "$C/wallet-signer.key" > /dev/null
"$GV" -c "$dir/node-a/gv.conf" ingest --no-process "$dir/late"/GVB-*.xml > "$dir/late.out" 2>&1 ||
    fail "ingest of the late batch: $(cat "$dir/late.out")"
# As a version-4 database: no leases, no bytes.
q "DROP TABLE gv_file_part" > /dev/null
q "DROP TABLE gv_file" > /dev/null
q "DROP TABLE gv_lease" > /dev/null
q "DELETE FROM gv_schema WHERE version = 5" > /dev/null
"$GV" -c "$dir/node-a/gv.conf" db migrate > "$dir/migrate.out" 2>&1 || fail "db migrate: $(cat "$dir/migrate.out")"
grep -q 'from version 4 to 5' "$dir/migrate.out" && grep -q '^2 file(s) of batches' "$dir/migrate.out" &&
    echo "ok   db migrate to version 5 stored the batch node-a alone held: $(tail -1 "$dir/migrate.out")" ||
    fail "db migrate: $(cat "$dir/migrate.out")"
"$GV" -c "$dir/node-b/gv.conf" process > "$dir/late-process.out" 2>&1 ||
    fail "process on node-b: $(cat "$dir/late-process.out")"
grep -q "GVB-$BIN-202509-007: read from the database" "$dir/late-process.out" &&
    grep -q '^1 batch processed' "$dir/late-process.out" &&
    echo "ok   node-b processed it from the database" || fail "process on node-b: $(cat "$dir/late-process.out")"

gvt_end "two-nodes: parts pushed to both nodes processed once, bill on both with the lease holder killed, the same outcomes, bills and messages as one node, each delivered once ($(( $(date +%s) - t_start )) s)"
