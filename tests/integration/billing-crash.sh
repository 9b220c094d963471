#!/usr/bin/env bash
# Billing survives kill -9 at any moment (R18-R20). PostgreSQL, site-a,
# ~3000 accounts (tests/sites/gen.py --random), one voucher for every FOUND
# account, readings and the bills to expect from tests/sites/readings.py,
# small chunks. `gasvoucher bill` is killed with SIGKILL at random moments
# until at least 20 kills have landed while it was running (and once more
# while it writes its redemption report), then run to the end. Afterwards:
#   - every accepted voucher has exactly one gv_bill row; every BILLED one
#     exactly one nachislenie row (vaucher = voucher id) and no nachislenie
#     row lacks a BILLED gv_bill row: no chunk was half written or written
#     twice;
#   - every account's bill equals readings.py's expectation, compared as
#     integers (tiyn, thousandths of m3), never as floats; Pending ones
#     carry the expected reason;
#   - the redemption reports recorded in gv_outbox carry every billed
#     voucher exactly once as Redeemed, with the bill's amounts, and their
#     totalDiscountTiyn add up to SUM(skidka); every report file is valid;
#   - one more run bills nothing and reports no Redeemed voucher again.
# GVT_CRASH_SEED=N repeats a run with the kill delays of seed N.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/db.sh"
. "$here/../lib/certs.sh"
. "$here/../lib/daemon.sh"

gvt_begin billing-crash
GV=$top_builddir/gasvoucher
SIM="$GVT_PYTHON $top_srcdir/contrib/wallet-sim"
BIN=990340001234
NOW=2025-09-30T12:00:00+05:00
NACC=3000           # random accounts on top of the fixture
SEED=20250930       # gen.py and readings.py
CHUNK=50            # a whole run takes 2-3 s
WANT_KILLS=20
MAX_ITER=200
t_start=$(date +%s)

echo "== PostgreSQL, site-a with $NACC random accounts, readings for 2025-09"
gvt_pg_start "$dir"
gvt_load_site a postgresql "$dir" --random "$NACC" --seed "$SEED" --expect "$dir/accounts.csv"
"$GVT_PYTHON" "$top_srcdir/tests/sites/readings.py" --site a --engine postgresql --period 2025-09 \
    --random "$NACC" --seed "$SEED" --program "$top_srcdir/contrib/program.ini" \
    --expect "$dir/expect.csv" | gvt_pg_sql "$dir" > /dev/null
grep ',FOUND$' "$dir/accounts.csv" | cut -d, -f1 > "$dir/found.csv"
nfound=$(wc -l < "$dir/found.csv")

d=$dir/gv
mkdir -p "$d"
conf=$d/gv.conf
gvt_write_conf "$conf" "$GVT_PG_CONN" "$top_srcdir/mappings/site-a.ini" "$dir/certs" \
    "$(gvt_intake_ini "$dir/certs" "$d/spool")
[billing]
program = $top_srcdir/contrib/program.ini
chunk = $CHUNK
retries = 5
reconnect_for = 30
[time]
# --now below: a pinned clock, for tests only
allow_pinned_now = yes"
outbox=$d/spool/outbox

echo "== $nfound vouchers, one per FOUND account"
$SIM gen --bin $BIN --period 2025-09 --accounts "$dir/found.csv" --count "$nfound" --parts 1 \
    --seed crash --out "$dir/xml" --sign-cert "$dir/certs/wallet-signer.pem" \
    --sign-key "$dir/certs/wallet-signer.key" > /dev/null
"$GV" -c "$conf" --now "$NOW" db migrate > /dev/null || fail "db migrate"
# Taken in at the machine's clock: the test certificates (certs.sh) are
# valid from today only, so a wallet signature checked "on 2025-09-30"
# would be refused. Billing below runs at --now 2025-09-30.
"$GV" -c "$conf" ingest "$dir"/xml/*.xml > "$dir/ingest.out" 2>&1 ||
    fail "ingest: $(cat "$dir/ingest.out")"
naccepted=$(gvt_pg_sql "$dir" -c "SELECT COUNT(*) FROM gv_occurrence WHERE period = '2025-09'
    AND status = 'ACCEPTED' AND standing = 1")
[ "$naccepted" = "$nfound" ] || fail "$naccepted vouchers accepted, expected $nfound"

# An array, not a function: "${bill[@]}" & runs gasvoucher itself as the
# background job, so $! is its pid and kill -9 hits it (a function would
# run in a subshell, and killing that would leave gasvoucher running).
bill=("$GV" -c "$conf" --now "$NOW" bill --period 2025-09 --no-send)

# ---- kill -9 at random moments ------------------------------------------
# $RANDOM seeded from a fixed value: the same delays on every run of the
# test. A kill counts only when it found the process running (wait reports
# 128+9); a run that ended first shortens the longest delay.
kill_seed=${GVT_CRASH_SEED:-8112025}
RANDOM=$kill_seed
echo "== kill -9 loop: delay seed $kill_seed (GVT_CRASH_SEED=$kill_seed repeats it), chunk $CHUNK"
landed=0 finished=0 iter=0 maxms=1000
while [ "$landed" -lt "$WANT_KILLS" ] && [ "$iter" -lt "$MAX_ITER" ]; do
    iter=$((iter + 1))
    ms=$((50 + RANDOM % (maxms - 49)))
    "${bill[@]}" > "$dir/kill-$iter.out" 2>&1 &
    pid=$!
    sleep "$((ms / 1000)).$(printf %03d $((ms % 1000)))"
    kill -KILL "$pid" 2> /dev/null || true
    rc=0
    { wait "$pid"; } 2> /dev/null || rc=$?   # (quiet: no "Killed" line)
    if [ "$rc" = 137 ]; then
        landed=$((landed + 1))
        continue
    fi
    finished=$((finished + 1))
    case $rc in
        0) ;;
        *) fail "run $iter ended with $rc before its kill: $(head -c 600 "$dir/kill-$iter.out")" ;;
    esac
    # It ended within ms: aim below that next time.
    maxms=$((ms * 3 / 4 > 60 ? ms * 3 / 4 : 60))
done
echo "   $iter runs: $landed killed mid-run, $finished ended before the kill," \
     "$(gvt_pg_sql "$dir" -c "SELECT COUNT(*) FROM gv_bill WHERE status = 'BILLED'") vouchers billed so far"
[ "$landed" -ge "$WANT_KILLS" ] ||
    fail "only $landed of $WANT_KILLS kills landed while the run was going ($iter runs)"

# ---- one kill while the report is being written ----------------------------
# Wait for this run's report file to appear (or its .tmp) and kill then:
# between writing the file and committing its gv_outbox row. Best effort: a
# run that commits its report first leaves nothing more to report.
echo "== kill -9 while the redemption report is written"
declare -A before=()
for f in "$outbox"/RR-*; do before[$f]=1; done
new_report() { # a report file (or its .tmp) this run made; bash only, to poll fast
    local f
    for f in "$outbox"/RR-*; do
        [ -e "$f" ] && [ -z "${before[$f]:-}" ] && return 0
    done
    return 1
}
"${bill[@]}" > "$dir/kill-report.out" 2>&1 &
pid=$!
hit=0
for ((i = 0; i < 10000; i++)); do
    if new_report; then
        kill -KILL "$pid" 2> /dev/null || true
        break
    fi
    read -r _ _ state _ 2> /dev/null < "/proc/$pid/stat" && [ "$state" != Z ] || break
    sleep 0.002
done
rc=0
{ wait "$pid"; } 2> /dev/null || rc=$?
if [ "$rc" = 137 ]; then
    hit=1
    n=0
    for f in "$outbox"/RR-*; do [ -e "$f" ] && [ -z "${before[$f]:-}" ] && n=$((n + 1)); done
    echo "   killed with $n new report file(s) in the outbox"
elif [ "$rc" = 0 ]; then
    echo "   note: the run committed its report before the kill (nothing more to report now)"
else
    fail "the report run ended with $rc: $(head -c 600 "$dir/kill-report.out")"
fi

# ---- to the end -------------------------------------------------------------
echo "== the run to the end"
rc=0
"${bill[@]}" > "$dir/final.out" 2>&1 || rc=$?
sed 's/^/   /' "$dir/final.out"
[ "$rc" = 0 ] || fail "the final run ended with $rc"

# ---- the proof ---------------------------------------------------------------
echo "== checking bills, gv_bill, reports"
gvt_pg_sql "$dir" -c "SELECT voucher_id, account_norm FROM gv_occurrence
    WHERE period = '2025-09' AND status = 'ACCEPTED' AND standing = 1" > "$dir/accepted.tsv"
gvt_pg_sql "$dir" -c "SELECT voucher_id, account, status, COALESCE(reason, ''), volume_milli,
    price_tiyn, vat_bp, net_tiyn, vat_tiyn, charge_tiyn, discount_tiyn, due_tiyn,
    COALESCE(bill_ref, ''), COALESCE(report_id, '') FROM gv_bill WHERE period = '2025-09'" > "$dir/gv_bill.tsv"
# Amounts as the engine's own decimal text (NUMERIC::text), never floats.
gvt_pg_sql "$dir" -c "SELECT id, lic_schet, period, COALESCE(vaucher, ''), obem::text, tarif::text,
    summa::text, skidka::text, k_oplate::text FROM nachislenie" > "$dir/nachislenie.tsv"
gvt_pg_sql "$dir" -c "SELECT msg_id, body_name FROM gv_outbox WHERE kind = 'RedemptionReport'
    AND period = '2025-09'" > "$dir/outbox.tsv"

# Orphan RR files (in the outbox folder without a gv_outbox row) are
# allowed: a kill after the report file was written and before its
# transaction committed leaves one; the next run reports the same rows
# again under a new report id. Only reports with a gv_outbox row are ever
# sent, so only those count below.
for f in "$outbox"/RR-*.xml; do
    [ -e "$f" ] || continue
    xmllint --noout --schema "$top_srcdir/src/msg/wallet-gas-voucher-v1.xsd" "$f" 2> "$dir/xmllint.err" ||
        fail "$(basename "$f") is not valid: $(head -3 "$dir/xmllint.err")"
done

"$GVT_PYTHON" - "$dir" "$outbox" > "$dir/check.out" <<'PY' || fail "$(cat "$dir/check.out")"
import csv, os, sys
import xml.etree.ElementTree as ET
from decimal import Decimal

d, outbox = sys.argv[1], sys.argv[2]
NS = "{urn:socialwallet:gas-voucher:v1}"
errors = []

def err(msg):
    if len(errors) < 25:
        errors.append(msg)
    else:
        errors.append(None)

def tsv(name):
    with open(os.path.join(d, name), encoding="utf-8") as f:
        return [line.rstrip("\n").split("\t") for line in f if line.strip()]

def scaled(text, scale):
    """'1234.5' with at most `scale` decimals -> integer in 10^-scale units, exactly."""
    v = Decimal(text) * (10 ** scale)
    if v != v.to_integral_value():
        raise ValueError("%s has more than %d decimals" % (text, scale))
    return int(v)

accepted = {v: a for v, a in tsv("accepted.tsv")}
bills = {}
for r in tsv("gv_bill.tsv"):
    if r[0] in bills:
        err("voucher %s has two gv_bill rows" % r[0])
    bills[r[0]] = r
nach = {}
nach_by_account = {}
for r in tsv("nachislenie.tsv"):
    nid, lic, period, vaucher = r[0], r[1].strip(), r[2], r[3]
    nach.setdefault(vaucher, []).append(r)
    nach_by_account.setdefault(lic, []).append(r)
expect = {}
with open(os.path.join(d, "expect.csv"), encoding="utf-8") as f:
    for row in csv.DictReader(f):
        expect[row["number"]] = row

for v in bills:
    if v not in accepted:
        err("gv_bill holds voucher %s, which is not an accepted voucher" % v)
billed = {}
for v, acc in sorted(accepted.items()):
    b = bills.get(v)
    if b is None:
        err("accepted voucher %s (account %s) has no gv_bill row" % (v, acc))
        continue
    (_, account, status, reason, vol, price, vat_bp, net, vat, charge, disc, due,
     ref, report) = b
    if account != acc:
        err("gv_bill of voucher %s is for account %s, not %s" % (v, account, acc))
    x = expect.get(acc)
    if x is None:
        err("account %s is not in readings.py's expectation" % acc)
        continue
    if status != x["status"]:
        err("voucher %s account %s: %s %s, expected %s %s"
            % (v, acc, status, reason, x["status"], x["reason"]))
        continue
    rows = nach.get(v, [])
    if status == "PENDING":
        if reason != x["reason"]:
            err("voucher %s account %s: PENDING %s, expected PENDING %s" % (v, acc, reason, x["reason"]))
        if rows:
            err("Pending voucher %s has %d nachislenie row(s)" % (v, len(rows)))
        continue
    if status != "BILLED":
        err("voucher %s account %s: status %s" % (v, acc, status))
        continue
    billed[v] = b
    want = {k: int(x[k]) for k in ("volume_milli", "price_tiyn", "vat_bp", "net_tiyn",
                                     "vat_tiyn", "charge_tiyn", "discount_tiyn", "due_tiyn")}
    got = dict(zip(("volume_milli", "price_tiyn", "vat_bp", "net_tiyn", "vat_tiyn",
                    "charge_tiyn", "discount_tiyn", "due_tiyn"),
                   (int(vol), int(price), int(vat_bp), int(net), int(vat), int(charge),
                    int(disc), int(due))))
    if got != want:
        err("gv_bill of %s (account %s): %s, expected %s" % (v, acc, got, want))
    if len(rows) != 1:
        err("billed voucher %s (account %s) has %d nachislenie rows" % (v, acc, len(rows)))
        continue
    nid, lic, period, _, obem, tarif, summa, skidka, k_oplate = rows[0]
    site = {"volume_milli": scaled(obem, 3), "price_tiyn": scaled(tarif, 2),
            "charge_tiyn": scaled(summa, 2), "discount_tiyn": scaled(skidka, 2),
            "due_tiyn": scaled(k_oplate, 2)}
    if lic.strip() != acc or period != "202509":
        err("nachislenie %s of voucher %s: account %s period %s" % (nid, v, lic, period))
    for k, val in site.items():
        if val != want[k]:
            err("nachislenie %s of voucher %s (account %s): %s %d, expected %d"
                % (nid, v, acc, k, val, want[k]))
    if ref != nid:
        err("gv_bill of %s has bill_ref %r, nachislenie id is %s" % (v, ref, nid))
    if len(nach_by_account.get(acc, [])) != 1:
        err("account %s has %d nachislenie rows" % (acc, len(nach_by_account[acc])))
for vaucher, rows in nach.items():
    if vaucher not in billed:
        for r in rows:
            err("nachislenie %s (account %s, vaucher %r) has no BILLED gv_bill row" % (r[0], r[1], vaucher))

# The reports gv_outbox knows of: every billed voucher Redeemed in exactly one.
redeemed = {}
total_discount = 0
reports = tsv("outbox.tsv")
for msg_id, body in reports:
    path = os.path.join(outbox, body)
    if not os.path.exists(path):
        err("gv_outbox names %s, which is not in the outbox" % body)
        continue
    root = ET.parse(path).getroot()
    n_red = 0
    disc_sum = 0
    for e in root:
        if e.tag == NS + "Redeemed":
            v = e.get("voucherId")
            redeemed.setdefault(v, []).append(body)
            n_red += 1
            disc_sum += int(e.get("discountTiyn"))
            b = billed.get(v)
            if b is None:
                err("%s: Redeemed %s is not a billed voucher" % (body, v))
                continue
            got = (e.get("account"), scaled(e.get("volumeM3"), 3), int(e.get("priceTiynPer1000M3")),
                   int(e.get("chargeTiyn")), int(e.get("discountTiyn")), int(e.get("amountDueTiyn")),
                   e.get("billRef"))
            want = (b[1], int(b[4]), int(b[5]), int(b[9]), int(b[10]), int(b[11]), b[12])
            if got != want:
                err("%s: Redeemed %s says %s, gv_bill %s" % (body, v, got, want))
    if int(root.get("redeemed")) != n_red:
        err("%s: redeemed=%s but %d Redeemed elements" % (body, root.get("redeemed"), n_red))
    if int(root.get("totalDiscountTiyn")) != disc_sum:
        err("%s: totalDiscountTiyn=%s, its Redeemed add up to %d"
            % (body, root.get("totalDiscountTiyn"), disc_sum))
    total_discount += int(root.get("totalDiscountTiyn"))
for v in billed:
    n = len(redeemed.get(v, []))
    if n != 1:
        err("billed voucher %s is Redeemed in %d recorded reports" % (v, n))
skidka = sum(scaled(r[7], 2) for rows in nach.values() for r in rows)
if total_discount != skidka:
    err("the recorded reports' totalDiscountTiyn add up to %d, SUM(skidka) is %d tiyn"
        % (total_discount, skidka))
recorded = {body for _, body in reports}
orphans = [f for f in os.listdir(outbox)
           if f.startswith("RR-") and f.endswith((".xml", ".xml.tmp")) and f not in recorded]
if errors:
    print("\n".join(e for e in errors if e) + ("\n..." if None in errors else ""))
    sys.exit(1)
print("%d accepted: %d billed, %d pending; %d nachislenie rows; %d reports recorded"
      " (orphan files: %s), discount %d tiyn"
      % (len(accepted), len(billed), len(accepted) - len(billed),
         sum(len(r) for r in nach.values()), len(reports), ", ".join(sorted(orphans)) or "none", skidka))
PY
[ -s "$dir/check.out" ] && echo "   $(cat "$dir/check.out" | head -1)"
grep -q ': 0 billed' "$dir/check.out" && fail "nothing was billed: the test data gives no bills"

# ---- once more: nothing new ----------------------------------------------------
echo "== one more run"
n_nach=$(gvt_pg_sql "$dir" -c "SELECT COUNT(*) FROM nachislenie")
rc=0
"${bill[@]}" > "$dir/again.out" 2>&1 || rc=$?
[ "$rc" = 0 ] || fail "the run after the end ended with $rc: $(cat "$dir/again.out")"
grep -Eq '^  billed +0$' "$dir/again.out" || fail "the run after the end billed: $(cat "$dir/again.out")"
[ "$(gvt_pg_sql "$dir" -c "SELECT COUNT(*) FROM nachislenie")" = "$n_nach" ] ||
    fail "the run after the end added nachislenie rows"
gvt_pg_sql "$dir" -c "SELECT body_name FROM gv_outbox WHERE kind = 'RedemptionReport'" |
    grep -vxF -f <(cut -f2 "$dir/outbox.tsv") > "$dir/new-reports" || true
while read -r body; do
    grep -q '<Redeemed ' "$outbox/$body" && fail "the run after the end reported Redeemed vouchers again ($body)"
done < "$dir/new-reports"
echo "   $(awk '$1 == "billed" || $1 == "pending" {printf "%s%s %s", n++ ? ", " : "", $1, $2}' "$dir/again.out"),"\
     "$(wc -l < "$dir/new-reports") new report(s)"

gvt_end "billing-crash: $landed kills mid-run$([ "$hit" = 1 ] && echo " and one while reporting"), then one bill per voucher, amounts as expected, reports complete ($(( $(date +%s) - t_start )) s)"
