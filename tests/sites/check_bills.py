#!/usr/bin/env python3
"""tests/sites/check_bills.py - a billing database against readings.py's
independent expectation, for the billing fault tests.

    check_bills.py OUT EXPECT_CSV OUTBOX SITE MODE [HAND_ACCOUNT CONFLICT_VOUCHER]

OUT holds the test's dumps (tab-separated): accepted.tsv (voucher,
account), gv_bill.tsv (voucher, account, status, reason, the eight amounts,
bill_ref), bills.tsv (the site's bills: id, account, voucher, volume,
price, charge, discount, due, lines: rows of one bill, 2 invoice lines,
site-c's import table 1) and outbox.tsv (msg_id, body_name of
the recorded RedemptionReports, whose files are in OUTBOX, oldest first).
MODE complete: every accepted voucher has its outcome and the recorded
reports carry every bill exactly once, their totals equal to the bills;
reported: complete, and each Pending voucher's last mention in the reports
is Pending with its reason (a billed one's is its Redeemed); partial: what
is there is whole and right (a run that gave up).  An expectation row of
status CONFLICT names the reason its voucher must be held with (no bill).
HAND_ACCOUNT has a bill the utility wrote by hand; CONFLICT_VOUCHER must
then be CONFLICT SITE_DUPLICATE.  Prints a one-line summary; exit 1 with
the errors.
"""
import csv, os, sys
import xml.etree.ElementTree as ET
from decimal import Decimal

out, expect_csv, outbox, site, mode = sys.argv[1:6]
hand, conflict = (sys.argv[6:8] + ["", ""])[:2]
NS = "{urn:socialwallet:gas-voucher:v1}"
MONEY = 2 if site == "a" else 0     # site-a: tenge with 2 decimals; site-b, site-c: tiyn
LINES = "1" if site == "c" else "2" # rows of one bill: site-c's import row is one
errors = []

def err(msg):
    errors.append(msg)

def tsv(name):
    with open(os.path.join(out, name), encoding="utf-8") as f:
        return [line.rstrip("\n").split("\t") for line in f if line.strip()]

def scaled(text, scale):
    """Exact: '1234.5' -> 123450 for scale 2; no floats."""
    v = Decimal(text) * (10 ** scale)
    if v != v.to_integral_value():
        raise ValueError("%r has more than %d decimals" % (text, scale))
    return int(v)

accepted = dict(tsv("accepted.tsv"))
gvb = {}
for r in tsv("gv_bill.tsv"):
    if r[0] in gvb:
        err("voucher %s has two gv_bill rows" % r[0])
    gvb[r[0]] = r
expect = {}
with open(expect_csv, encoding="utf-8") as f:
    for row in csv.DictReader(f):
        expect[row["number"]] = row
bills_by_voucher, bills_by_account, hand_rows = {}, {}, []
for r in tsv("bills.tsv"):
    r[1] = r[1].strip()
    bills_by_account.setdefault(r[1], []).append(r)
    if hand and r[1] == hand and r[2] in ("", "HAND"):
        hand_rows.append(r)
    else:
        bills_by_voucher.setdefault(r[2], []).append(r)
if hand and len(bills_by_account.get(hand, [])) != 1:
    err("account %s (the hand-written bill) has %d bills"
        % (hand, len(bills_by_account.get(hand, []))))

KEYS = ("volume_milli", "price_tiyn", "vat_bp", "net_tiyn", "vat_tiyn", "charge_tiyn",
        "discount_tiyn", "due_tiyn")
billed = {}
n = {"BILLED": 0, "PENDING": 0, "CONFLICT": 0}
for v in gvb:
    if v not in accepted:
        err("gv_bill holds %s, not an accepted voucher" % v)
for v, acc in sorted(accepted.items()):
    b = gvb.get(v)
    if b is None:
        if mode == "complete":
            err("accepted voucher %s (account %s) has no gv_bill row" % (v, acc))
        continue
    status, reason = b[2], b[3]
    n[status] = n.get(status, 0) + 1
    if b[1] != acc:
        err("gv_bill of %s is for account %s, not %s" % (v, b[1], acc))
    x = expect.get(acc)
    if x is None:
        err("account %s is not in the expectation" % acc)
        continue
    if v == conflict:
        if (status, reason) != ("CONFLICT", "SITE_DUPLICATE"):
            err("voucher %s (hand-billed account %s): %s %s, expected CONFLICT SITE_DUPLICATE"
                % (v, acc, status, reason))
        if bills_by_voucher.get(v):
            err("conflicting voucher %s got a bill" % v)
        continue
    if status != x["status"] or (status != "BILLED" and reason != x["reason"]):
        err("voucher %s account %s: %s %s, expected %s %s"
            % (v, acc, status, reason, x["status"], x["reason"]))
        continue
    rows = bills_by_voucher.get(v, [])
    if status != "BILLED":
        if rows:
            err("%s voucher %s has %d bill(s)" % (status, v, len(rows)))
        continue
    billed[v] = b
    want = {k: int(x[k]) for k in KEYS}
    got = {k: int(val) for k, val in zip(KEYS, b[4:12])}
    if got != want:
        err("gv_bill of %s (account %s): %s, expected %s" % (v, acc, got, want))
    if len(rows) != 1:
        err("billed voucher %s (account %s) has %d bills" % (v, acc, len(rows)))
        continue
    bid, bacc, _, vol, price, charge, disc, due, lines = rows[0]
    site_got = {"volume_milli": scaled(vol, 3), "price_tiyn": scaled(price, MONEY),
                "charge_tiyn": scaled(charge, MONEY), "discount_tiyn": scaled(disc, MONEY),
                "due_tiyn": scaled(due, MONEY)}
    for k, val in site_got.items():
        if val != want[k]:
            err("bill %s of voucher %s (account %s): %s %d, expected %d" % (bid, v, acc, k, val, want[k]))
    if bacc != acc:
        err("bill %s of voucher %s is for account %s" % (bid, v, bacc))
    if lines != LINES:
        err("bill %s of voucher %s has %s rows, not %s" % (bid, v, lines, LINES))
    if len(bills_by_account.get(acc, [])) != 1:
        err("account %s has %d bills" % (acc, len(bills_by_account[acc])))
    if b[12] != bid:
        err("gv_bill of %s: bill_ref %r, the bill's id is %s" % (v, b[12], bid))
for v, rows in bills_by_voucher.items():
    if v not in billed:
        for r in rows:
            err("bill %s (account %s, voucher %r) has no BILLED gv_bill row" % (r[0], r[1], v))
if conflict and conflict not in gvb:
    err("the conflicting voucher %s has no gv_bill row" % conflict)

nbills = sum(len(r) for r in bills_by_voucher.values())
discount = sum(scaled(r[6], MONEY) for rows in bills_by_voucher.values() for r in rows)
reports = tsv("outbox.tsv")
if mode in ("complete", "reported"):
    redeemed, total, last = {}, 0, {}
    for _, body in reports:
        root = ET.parse(os.path.join(outbox, body)).getroot()
        total += int(root.get("totalDiscountTiyn"))
        for e in root.iter(NS + "Pending"):
            last[e.get("voucherId")] = ("PENDING", e.get("reason"), body)
        for e in root.iter(NS + "Redeemed"):
            last[e.get("voucherId")] = ("BILLED", "", body)
            redeemed.setdefault(e.get("voucherId"), []).append(body)
            b = billed.get(e.get("voucherId"))
            if b is None:
                err("%s: Redeemed %s is not a billed voucher" % (body, e.get("voucherId")))
            elif (int(e.get("discountTiyn")), int(e.get("amountDueTiyn"))) != (int(b[10]), int(b[11])):
                err("%s: Redeemed %s: amounts differ from gv_bill" % (body, e.get("voucherId")))
    for v in billed:
        if len(redeemed.get(v, [])) != 1:
            err("billed voucher %s is Redeemed in %d recorded reports" % (v, len(redeemed.get(v, []))))
    if total != discount:
        err("reports' totalDiscountTiyn add up to %d, the bills' discounts to %d" % (total, discount))
    if not billed:
        err("nothing billed: the check proves nothing")
if mode == "reported":
    for v, b in sorted(gvb.items()):
        if b[2] == "CONFLICT":
            if v in last and last[v][0] == "BILLED":
                err("conflicting voucher %s is Redeemed in %s" % (v, last[v][2]))
            continue
        got = last.get(v)
        if got is None or got[:2] != (b[2], b[3]):
            err("voucher %s is %s %s, but its last mention in the reports is %s"
                % (v, b[2], b[3], "none" if got is None else "%s %s (%s)" % got))
if errors:
    print("\n".join(errors[:20]) + ("\n... %d more" % (len(errors) - 20) if len(errors) > 20 else ""))
    sys.exit(1)
print("%d billed, %d pending, %d conflict(s), %d bills, discount %d tiyn in %d report(s)"
      % (n["BILLED"], n["PENDING"], n["CONFLICT"], nbills, discount, len(reports)))
