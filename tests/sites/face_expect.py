#!/usr/bin/python3
"""The bills to expect in a face-value period (rules.md R17), for
tests/integration/billing-facevalue.sh.

    face_expect.py --site {a,b} --random N --seed S --period YYYY-MM
                   --program FILE --vouchers WALLET_SIM_EXPECT.csv --out DIR

The accounts and readings are readings.py's (give the same --random, --seed
and --period); the program file must have the face_value rule in force on
the period's first day.  --vouchers is `wallet-sim gen --expect`'s CSV:
which account got which voucher and its face value (nominal_tiyn, empty
for none).  Computed here, in integers, from what was generated, never
from the database:

  DIR/expect1.csv   the first run's outcome per account, in check_bills.py's
                    form: NO_TARIFF first; then, without a face value,
                    PENDING NO_FACE_VALUE; then the reading reasons; else
                    BILLED with discount = min(face value, charge), due =
                    charge - discount.  Two accounts are held as conflicts:
                    X (the test makes the site refuse its bill:
                    SITE_REFUSED) and Y (the test gives it a value billing
                    cannot use: SITE_VALUE; site-a negative residents of an
                    unmetered home, site-b a reading of an unknown kind).
  DIR/expect2.csv   after the test undoes both and adds a closing reading
                    (+42.500 m3 on the previous closing value, the period's
                    last day) for two NO_METER_READING accounts: L1, with a
                    face value, billed for 42.500 m3; L2, without one, still
                    NO_FACE_VALUE (R17 comes before the readings).
  DIR/break.sql     Y's bad value; DIR/fix.sql: Y put right, the late
                    readings (plain SQL for SQLite, PostgreSQL and MariaDB).
  DIR/picks.sh      X, Y, L1, L2 (as the site stores them) and counts:
                    NFACE (NO_FACE_VALUE), PENDING1, BILLED1, PENDING2,
                    BILLED2 over the accounts that got a voucher; for the
                    next month (face_value still in force), an unmetered
                    account Z (Z_TYPED: gen.py's number) and NEXT_EXPECT,
                    its bill with a face value of NEXT_FACE tiyn: "volume
                    price vat_bp net vat charge discount due".

Standard library only.
"""

import argparse
import csv
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import gen  # noqa: E402
import readings  # noqa: E402

LATE_MILLI = 42500          # the late reading: previous closing + 42.500 m3
NEXT_FACE = 150000          # the face value of the next month's voucher


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--site", choices=("a", "b"), required=True)
    ap.add_argument("--random", type=int, required=True)
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--period", required=True)
    ap.add_argument("--program", required=True)
    ap.add_argument("--vouchers", required=True)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    site, per = a.site, readings.Period(a.period)
    prog = readings.Program(a.program)
    expecter = readings.Expecter(prog, per, site)
    if expecter.rule != "face_value":
        sys.exit("face_expect.py: %s: the rule in force on %s is %r, not face_value"
                 % (a.program, per.first_iso, expecter.rule))

    face = {}               # site number -> face value or None
    with open(a.vouchers, newline="", encoding="utf-8") as f:
        for v in csv.DictReader(f):
            if v["kind"] != "normal":
                sys.exit("face_expect.py: voucher %s is %s: only plain vouchers are expected"
                         % (v["voucher_id"], v["kind"]))
            number = v["account_number"] if site == "a" else str(int(v["account_number"]))
            face[number] = int(v["nominal_tiyn"]) if v["nominal_tiyn"] else None

    header = readings.EXPECT_HEADER.split(",")
    rows, accs, plans = {}, {}, {}
    for acc in readings.accounts(site, a.random, a.seed):
        number = gen.site_number(site, acc)
        plan = readings.make_plan(site, a.seed, acc["number"], per) if acc["metered"] else None
        base = dict(zip(header, expecter.row(acc, plan).rstrip("\n").split(",")))
        rows[number], accs[number], plans[number] = base, acc, plan

    def face_row(number, base):
        r = dict(base)
        f = face.get(number)
        if r["status"] == "PENDING" and r["reason"] == readings.NO_TARIFF:
            return r
        if f is None:
            return dict({k: "" for k in header}, number=number, status="PENDING",
                        reason="NO_FACE_VALUE")
        if r["status"] == "BILLED":
            charge = int(r["charge_tiyn"])
            r["discount_tiyn"] = str(min(f, charge))
            r["due_tiyn"] = str(charge - min(f, charge))
        return r

    with_voucher = sorted(n for n in face if n in rows)
    if len(with_voucher) != len(face):
        sys.exit("face_expect.py: %d voucher accounts are not accounts of site-%s"
                 % (len(face) - len(with_voucher), site))
    exp1 = {n: face_row(n, rows[n]) for n in rows}

    def billed_with_face(n):
        return exp1[n]["status"] == "BILLED" and face[n] is not None

    def last_before(n):
        """The previous closing reading (serial, digits, value) when it is
        the only one on its day and the late reading stays on the register."""
        reads = [r for r in plans[n].reads if r[2] < per.P]
        if not reads:
            return None
        day = max(r[2] for r in reads)
        on_day = [r for r in reads if r[2] == day]
        if len(on_day) != 1:
            return None
        serial, digits, _, value, _ = on_day[0]
        if value + LATE_MILLI >= 10 ** digits * 1000:
            return None
        return serial, digits, value

    def late_candidate(n, with_face):
        return (exp1[n]["status"] == "PENDING" and exp1[n]["reason"] != "NO_TARIFF"
                and rows[n]["reason"] == readings.NO_READING
                and plans[n] is not None and plans[n].scenario == "noclose"
                and (face[n] is not None) == with_face and last_before(n) is not None)

    def first(pred, what):
        for n in with_voucher:
            if pred(n):
                return n
        sys.exit("face_expect.py: site-%s has no account for %s: raise --random" % (site, what))

    x = first(billed_with_face, "X (billed, with a face value)")
    if site == "a":
        y = first(lambda n: n != x and billed_with_face(n) and not accs[n]["metered"]
                  and accs[n]["residents"] > 0, "Y (billed by norm, with a face value)")
    else:
        y = first(lambda n: n != x and billed_with_face(n) and accs[n]["metered"],
                  "Y (metered, billed, with a face value)")
    l1 = first(lambda n: late_candidate(n, True), "L1 (NO_METER_READING, a face value)")
    l2 = first(lambda n: late_candidate(n, False), "L2 (NO_METER_READING, no face value)")

    conflict = dict({k: "" for k in header}, status="CONFLICT")
    exp1_held = dict(exp1)
    exp1_held[x] = dict(conflict, number=x, reason="SITE_REFUSED")
    exp1_held[y] = dict(conflict, number=y, reason="SITE_VALUE")

    exp2 = dict(exp1)
    price = prog.price(accs[l1]["region"], per.first_iso)
    net, vat, charge, _, _ = readings.bill(LATE_MILLI, price, expecter.vat_bp)
    disc = min(face[l1], charge)
    exp2[l1] = dict(number=l1, status="BILLED", reason="", volume_milli=str(LATE_MILLI),
                    price_tiyn=str(price), vat_bp=str(expecter.vat_bp), net_tiyn=str(net),
                    vat_tiyn=str(vat), charge_tiyn=str(charge), discount_tiyn=str(disc),
                    due_tiyn=str(charge - disc))

    os.makedirs(a.out, exist_ok=True)
    for name, exp in (("expect1.csv", exp1_held), ("expect2.csv", exp2)):
        with open(os.path.join(a.out, name), "w", newline="", encoding="utf-8") as f:
            w = csv.DictWriter(f, fieldnames=header, lineterminator="\n")
            w.writeheader()
            for n in sorted(exp):
                w.writerow(exp[n])

    def late_sql(n):
        serial, digits, value = last_before(n)
        v = readings.milli(value + LATE_MILLI)
        if site == "a":
            return ("INSERT INTO pokazaniya (lic_schet, zavod_nomer, razryadnost, data_pokaz, "
                    "znachenie) VALUES ('%s', '%s', %d, '%s', %s);\n"
                    % (n, serial, digits, per.iso[per.L], v))
        return ("INSERT INTO meter_reads (meter_id, read_on, value_m3, kind) SELECT id, '%s', "
                "%s, 'ACTUAL' FROM meters WHERE serial = '%s';\n" % (per.iso[per.L], v, serial))

    if site == "a":
        brk = "UPDATE abonent SET kol_prozhiv = -2 WHERE lic_schet = '%s';\n" % y
        fix = "UPDATE abonent SET kol_prozhiv = %d WHERE lic_schet = '%s';\n" % (
            accs[y]["residents"], y)
    else:
        brk = ("INSERT INTO meter_reads (meter_id, read_on, value_m3, kind) SELECT id, '%s', "
               "1.000, 'CORRECTED' FROM meters WHERE serial = 'M%s';\n"
               % (per.iso[per.P + 14], accs[y]["number"]))
        fix = "DELETE FROM meter_reads WHERE kind = 'CORRECTED';\n"
    with open(os.path.join(a.out, "break.sql"), "w", encoding="utf-8") as f:
        f.write(brk)
    with open(os.path.join(a.out, "fix.sql"), "w", encoding="utf-8") as f:
        f.write(fix + late_sql(l1) + late_sql(l2))

    def count(exp, status, reason=None):
        return sum(1 for n in with_voucher if exp[n]["status"] == status
                   and (reason is None or exp[n]["reason"] == reason))

    # The next month: an unmetered home billed by norm (no readings needed).
    nxt = readings.Period(next_month(per.text))
    nvat = prog.vat_bp(nxt.first_iso)

    def next_ok(n):
        acc = accs[n]
        return (not acc["metered"] and acc["residents"] > 0 and n not in (x, y)
                and prog.price(acc["region"], nxt.first_iso) is not None
                and prog.norm(acc["region"], nxt.month) is not None)

    z = first(next_ok, "Z (unmetered, priced, next month)")
    zvol = prog.norm(accs[z]["region"], nxt.month) * accs[z]["residents"]
    zprice = prog.price(accs[z]["region"], nxt.first_iso)
    znet, zv, zcharge, _, _ = readings.bill(zvol, zprice, nvat)
    zdisc = min(NEXT_FACE, zcharge)

    with open(os.path.join(a.out, "picks.sh"), "w", encoding="utf-8") as f:
        f.write("Z=%s\nZ_TYPED=%s\nNEXT=%s\nNEXT_FACE=%d\nNEXT_EXPECT='%d %d %d %d %d %d %d %d'\n"
                % (z, accs[z]["number"], nxt.text, NEXT_FACE, zvol, zprice, nvat, znet, zv,
                   zcharge, zdisc, zcharge - zdisc))
        f.write("X=%s\nY=%s\nL1=%s\nL2=%s\n" % (x, y, l1, l2))
        f.write("NFACE=%d\nPENDING1=%d\nBILLED1=%d\nPENDING2=%d\nBILLED2=%d\n" % (
            count(exp1_held, "PENDING", "NO_FACE_VALUE"), count(exp1_held, "PENDING"),
            count(exp1_held, "BILLED"), count(exp2, "PENDING"), count(exp2, "BILLED")))


def next_month(text):
    y, m = int(text[:4]), int(text[5:7])
    return "%04d-%02d" % (y + (m == 12), m % 12 + 1)


if __name__ == "__main__":
    main()
