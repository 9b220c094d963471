#!/usr/bin/python3
"""Generate meter readings for the sample billing sites and the bills to expect.

    readings.py --site {a,b,c} --engine {sqlite,postgresql,mariadb} --period YYYY-MM
                [--random N] [--seed S] [--program FILE] [--expect OUT.csv]
                [--only FILE] [--scenarios OUT.csv] [--batch ROWS]
    readings.py --selftest

The accounts are tests/sites/gen.py's (its fixture plus --random N accounts of
--seed S, imported from gen.py, so give both scripts the same --random and
--seed). The database must already hold them (gen.py); this script writes, on
stdout, SQL text for ENGINE that adds readings for every METERED account (or
those listed by --only), in one transaction:

  site-a  INSERT INTO pokazaniya (lic_schet, zavod_nomer, razryadnost,
          data_pokaz, znachenie)
  site-b  INSERT INTO meter_reads (meter_id, read_on, value_m3, kind), the
          meter found by serial; for a meter replacement also
          UPDATE meters SET removed_on and INSERT INTO meters for the new meter
          (serial 'N' + the 10-digit number, customer by account_no).
          Meters are looked up through a temporary table gvr_meter (serial ->
          id, primary key on serial: meters.serial has no index), dropped
          before COMMIT.
  site-c  INSERT INTO schetchik, one row per meter with its installation
          (and, for a replaced meter, removal) date and register value, and
          INSERT INTO pokazaniya_god, one row per meter and year with the
          month-end values read (NULL for a month not read); the meter found
          by zav_nomer (indexed; on PostgreSQL after ANALYZE schetchik).
          gen.py makes no site-c meters.

Readings cover the previous month's closing reading and the period. Run it
once per database: a second run (or another period) adds a second history.

Each account gets a scenario chosen from (seed, number) by a hash, so the
scenario does not depend on --random N or --only (shares in SCENARIOS below):

  normal       previous closing in the last 5 days of the previous month
               (sometimes also an older one mid-month), 1-3 readings in the
               period, the last one the closing; 0-400 m3; some on the
               period's first day; 10 % also read after the period (ignored)
  large        as normal, 450-1500 m3 (over the discount caps 500/631/833)
  zero         as normal, 0 m3
  rollover     site-a razryadnost 4, site-b the 5-dial meter: previous
               value 9 9xx / 99 9xx m3, closing small (wrapped once)
  replace      meter replaced mid-period: old meter's last reading (site-b
               REMOVAL, meter removed_on that day), new meter 'N'+number from
               a small value (site-b INSTALL, installed_on that day; site-a the
               same day or the next), then a later closing (site-b ACTUAL)
  noclose      no reading in the period (half read after it) -> NO_METER_READING
  noprior      readings only in the period                 -> NO_METER_READING
  est_only     site-b: the only reading in the period is ESTIMATED
                                                           -> NO_METER_READING
  est_late     site-b: ESTIMATED after the ACTUAL closing (and half also an
               ESTIMATED after the previous ACTUAL closing): bill the ACTUALs
  gap          site-c: the previous month not read; the previous closing is
               2 to 14 month-ends back (for 2025-09 often in 2024's row);
               0-1500 m3 since then
  implausible  half +6000 m3 in the month, half a closing value below the
               previous one on a large register (site-a 8 digits, site-b 5
               dials) which R14 reads as a wrap of ~10^n m3
                                            -> INVALID_METER_READING (limit)

--expect OUT.csv writes one row for every account of the site (metered or
not; only those of --only when given), whatever its eligibility (R8):

  number,status,reason,volume_milli,price_tiyn,vat_bp,net_tiyn,vat_tiyn,
  charge_tiyn,discount_tiyn,due_tiyn

number as the site stores it (site-a 10-digit zero-padded, site-b the
integer, site-c RR-NNNNNNN); status BILLED or PENDING; reason NO_TARIFF, NO_METER_READING or
INVALID_METER_READING for PENDING (then every other column is empty);
volume in thousandths of m3, price in tiyn per 1000 m3 without VAT, VAT in
basis points (12 % = 1200), money in tiyn. Computed in integers from what was
generated (not from the SQL) and the program file (--program, default
contrib/program.ini): prices, VAT, norms, discount rule and plausibility
limit in force on the period's first day. With the face_value discount rule
discount_tiyn and due_tiyn are empty (they depend on the voucher).

--scenarios OUT.csv writes number,scenario for every metered account generated.

Standard library only.
"""

import argparse
import csv
import datetime
import hashlib
import os
import random
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import gen  # noqa: E402  (tests/sites/gen.py: the accounts)

DEFAULT_PROGRAM = os.path.join(os.path.dirname(os.path.dirname(HERE)),
                               "contrib", "program.ini")

NO_TARIFF = "NO_TARIFF"
NO_READING = "NO_METER_READING"
INVALID = "INVALID_METER_READING"

# Scenario shares in basis points (sum 10000) per site.
SCENARIOS = {
    "a": (("normal", 8100), ("large", 200), ("zero", 300), ("rollover", 300),
          ("replace", 400), ("noclose", 400), ("noprior", 200), ("implausible", 100)),
    "b": (("normal", 7700), ("large", 200), ("zero", 300), ("rollover", 300),
          ("replace", 400), ("noclose", 400), ("noprior", 200), ("est_only", 200),
          ("est_late", 200), ("implausible", 100)),
    "c": (("normal", 7800), ("gap", 300), ("large", 200), ("zero", 300), ("rollover", 300),
          ("replace", 400), ("noclose", 400), ("noprior", 200), ("implausible", 100)),
}

EXPECT_HEADER = ("number,status,reason,volume_milli,price_tiyn,vat_bp,net_tiyn,"
                 "vat_tiyn,charge_tiyn,discount_tiyn,due_tiyn")

ACTUAL, ESTIMATED, INSTALL, REMOVAL = "ACTUAL", "ESTIMATED", "INSTALL", "REMOVAL"
COUNTED = (None, ACTUAL, INSTALL, REMOVAL)    # None: site-a (no kind column)


# --------------------------------------------------------------------------
# Integer money (R10, R11, R16)

def rdiv(n, d):
    """n / d rounded to the nearest integer, halves away from zero (d > 0)."""
    if d <= 0:
        raise ValueError("rdiv: divisor must be positive")
    q, r = divmod(abs(n), d)
    if 2 * r >= d:
        q += 1
    return q if n >= 0 else -q


def bill(volume_milli, price, vat_bp, percent_bp=None, cap_milli=None):
    """R16 step by step. Returns (net, vat, charge, discount, due); discount
    and due are None without a percent_within_cap rule."""
    net = rdiv(volume_milli * price, 10 ** 6)
    vat = rdiv(net * vat_bp, 10000)
    charge = net + vat
    if percent_bp is None:
        return net, vat, charge, None, None
    cap_net = rdiv(min(volume_milli, cap_milli) * price, 10 ** 6)
    cap_charge = cap_net + rdiv(cap_net * vat_bp, 10000)
    discount = rdiv(cap_charge * percent_bp, 10000)
    return net, vat, charge, discount, charge - discount


# --------------------------------------------------------------------------
# Program file (contrib/program.ini)

_DEC = re.compile(r"^(\d+)(?:\.(\d+))?$")
_INLINE = re.compile(r"\s;(\s|$)")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class Program:
    """The parameters the expectation needs, as integers."""

    def __init__(self, path):
        self.path = path
        self.vat = []          # (date, basis points)
        self.prices = {}       # region -> [(date, tiyn per 1000 m3)]
        self.norms = {}        # (region, "MM") -> milli m3 per person
        self.discount = []     # (date, rule name)
        self.pwc = {}          # region -> [(date, percent bp, cap milli)]
        self.plaus_milli = 5000 * 1000
        self._load(path)
        for rows in [self.vat, self.discount] + list(self.prices.values()) \
                + list(self.pwc.values()):
            rows.sort()

    def _load(self, path):
        try:
            f = open(path, encoding="utf-8")
        except OSError as e:
            sys.exit("readings.py: %s" % e)
        section = None
        with f:
            for lineno, line in enumerate(f, start=1):
                def bad(msg):
                    sys.exit("readings.py: %s:%d: %s" % (path, lineno, msg))
                s = line.strip()
                if not s or s[0] in ";#":
                    continue
                if s.startswith("["):
                    if not s.endswith("]"):
                        bad("bad section line")
                    section = s[1:-1].strip()
                    continue
                if "=" not in s:
                    bad("expected key = value")
                key, value = s.split("=", 1)
                key = key.strip()
                m = _INLINE.search(value)
                if m:
                    value = value[:m.start()]
                value = value.strip()
                try:
                    self._entry(section, key, value)
                except ValueError as e:
                    bad("[%s] %s: %s" % (section, key, e))

    def _entry(self, section, key, value):
        if section == "vat":
            self.vat.append((date_key(key), dec(value, 2)))
        elif section == "prices":
            region, day = split2(key)
            price = int(value) if value.isdigit() else None
            if price is None:
                raise ValueError("price must be whole tiyn")
            self.prices.setdefault(region, []).append((date_key(day), price))
        elif section == "norms":
            region, month = split2(key)
            if not (len(month) == 2 and month.isdigit() and 1 <= int(month) <= 12):
                raise ValueError("month must be 01..12")
            self.norms[(region, month)] = dec(value, 3)
        elif section == "discount":
            self.discount.append((date_key(key), value))
        elif section == "rule.percent_within_cap":
            region, day = split2(key)
            parts = value.split()
            if len(parts) != 2:
                raise ValueError("expected PERCENT CAP_M3")
            self.pwc.setdefault(region, []).append(
                (date_key(day), dec(parts[0], 2), dec(parts[1], 3)))
        elif section == "limits":
            if key == "plausibility_m3":
                self.plaus_milli = dec(value, 3)
        # other sections ([rule.face_value], ...) carry nothing needed here

    # Lookups: the row with the greatest effective date on or before `day`.
    def price(self, region, day):
        return in_force(self.prices.get(region, ()), day)

    def vat_bp(self, day):
        return in_force(self.vat, day)

    def rule(self, day):
        return in_force(self.discount, day)

    def pwc_for(self, region, day):
        row = in_force(self.pwc.get(region, ()), day, whole=True)
        if row is None:
            row = in_force(self.pwc.get("*", ()), day, whole=True)
        return None if row is None else row[1:]

    def norm(self, region, month):
        n = self.norms.get((region, month))
        return self.norms.get(("*", month)) if n is None else n


def dec(text, places):
    """'84.25' -> 8425 with places=2 (exact, integers only)."""
    m = _DEC.match(text)
    if not m or (m.group(2) is not None and len(m.group(2)) > places):
        raise ValueError("%r is not a number with at most %d decimals" % (text, places))
    frac = (m.group(2) or "").ljust(places, "0")
    return int(m.group(1)) * 10 ** places + (int(frac) if frac else 0)


def date_key(text):
    if not _DATE.match(text):
        raise ValueError("%r is not a date YYYY-MM-DD" % text)
    datetime.date.fromisoformat(text)
    return text


def split2(key):
    parts = key.split()
    if len(parts) != 2:
        raise ValueError("expected two words in the key")
    return parts[0], parts[1]


def in_force(rows, day, whole=False):
    found = None
    for row in rows:
        if row[0] <= day:
            found = row
        else:
            break
    if found is None:
        return None
    return found if whole else found[1]


# --------------------------------------------------------------------------
# Scenarios

class Period:
    def __init__(self, text):
        m = re.match(r"^(\d{4})-(\d{2})$", text or "")
        if not m or not 1 <= int(m.group(2)) <= 12:
            raise ValueError("period must be YYYY-MM, not %r" % text)
        y, mo = int(m.group(1)), int(m.group(2))
        first = datetime.date(y, mo, 1)
        nxt = datetime.date(y + (mo == 12), mo % 12 + 1, 1)
        self.text = text
        self.index = y * 12 + mo - 1                # months since year 0
        self.month = "%02d" % mo
        self.first_iso = first.isoformat()
        self.P = first.toordinal()                  # first day
        self.L = nxt.toordinal() - 1                # last day
        self.iso = {o: datetime.date.fromordinal(o).isoformat()
                    for o in range(self.P - 62, self.L + 10)}


def month_end(index):
    """Ordinal of the last day of month `index` (year * 12 + month - 1)."""
    y, m = divmod(index + 1, 12)
    return datetime.date(y, m + 1, 1).toordinal() - 1


class Plan:
    """What one metered account gets: readings (serial, digits, day ordinal,
    value milli, kind), the replacement day (site-b: removal of the 'M' meter,
    installation of the 'N' meter) and the outcome (volume milli by R14 with
    wrap, before the plausibility limit, or a pending reason)."""
    __slots__ = ("scenario", "reads", "replaced_on", "outcome")

    def __init__(self, scenario):
        self.scenario = scenario
        self.reads = []
        self.replaced_on = None
        self.outcome = None


def account_hash(seed, number):
    d = hashlib.blake2b(b"%d:%s" % (seed, number.encode()), digest_size=8).digest()
    return int.from_bytes(d, "little")


def pick_scenario(site, h):
    x = h % 10000
    for name, share in SCENARIOS[site]:
        if x < share:
            return name
        x -= share
    raise AssertionError("shares do not add up to 10000")


def make_plan(site, seed, number, per):
    if site == "c":
        return make_plan_c(seed, number, per)
    h = account_hash(seed, number)
    scen = pick_scenario(site, h)
    rng = random.Random(h >> 14)
    plan = Plan(scen)
    reads = plan.reads
    P, L = per.P, per.L
    PL = P - 1                                   # previous month's last day
    old, new = "M" + number, "N" + number
    b = site == "b"
    kind = ACTUAL if b else None

    def digits_normal():
        if b:
            return gen.METER_DIALS
        x = rng.randrange(20)
        return 5 if x < 12 else 6 if x < 17 else 8

    def start(digits, headroom):
        return rng.randrange(0, 10 ** digits * 1000 - headroom)

    def prev_close(digits, p, older=True):
        if older and rng.random() < 0.3:        # an older reading mid-month
            reads.append((old, digits, PL - 10 - rng.randrange(10),
                          p - rng.randint(0, min(p, 300000)), kind))
        reads.append((old, digits, PL - rng.randrange(5), p, kind))

    def in_period(serial, digits, p, v, lo=None, hi=None):
        """1-3 readings in [lo, hi], increasing to p + v, the last the closing."""
        lo = P if lo is None else lo
        hi = L if hi is None else hi
        if lo == P and rng.random() < 0.08:
            days = [P]                          # closing on the first day
        else:
            k = min(rng.randint(1, 3), hi - lo + 1)
            days = sorted(rng.sample(range(lo, hi + 1), k))
        vals = sorted(rng.randint(0, v) for _ in range(len(days) - 1)) + [v]
        for day, x in zip(days, vals):
            reads.append((serial, digits, day, p + x, kind))
        return days[-1]

    def after(serial, digits, value):
        reads.append((serial, digits, L + 1 + rng.randrange(3), value, kind))

    if scen in ("normal", "large", "zero"):
        digits = digits_normal()
        p = start(digits, 2000000)
        prev_close(digits, p)
        v = (rng.randint(0, 400000) if scen == "normal" else
             rng.randint(450000, 1500000) if scen == "large" else 0)
        in_period(old, digits, p, v)
        if rng.random() < 0.1:
            after(old, digits, p + v + rng.randint(0, 50000))
        plan.outcome = v

    elif scen == "rollover":
        digits = gen.METER_DIALS if b else 4
        M = 10 ** digits * 1000
        p = M - rng.randint(1, 100000)          # 9 9xx.xxx / 99 9xx.xxx m3
        c = rng.randint(0, 300000)
        prev_close(digits, p, older=False)
        mid = rng.randint(P + 5, L - 5)
        if rng.random() < 0.5:                  # a reading before the wrap
            reads.append((old, digits, rng.randint(P, mid - 1),
                           rng.randint(p, M - 1), kind))
        reads.append((old, digits, rng.randint(mid, L), c, kind))
        plan.outcome = M - p + c

    elif scen == "replace":
        digits = 5
        p = start(digits, 1000000)
        prev_close(digits, p)
        d = rng.randint(P + 1, L - 2)
        a = rng.randint(0, 200000)
        if rng.random() < 0.3:
            reads.append((old, digits, rng.randint(P, d - 1), p + rng.randint(0, a), kind))
        reads.append((old, digits, d, p + a, REMOVAL if b else None))
        di = d if (b or rng.random() < 0.5) else d + 1
        s = rng.randint(0, 10000)
        bvol = rng.randint(0, 200000)
        reads.append((new, digits, di, s, INSTALL if b else None))
        reads.append((new, digits, rng.randint(di + 1, L), s + bvol, kind))
        if rng.random() < 0.1:
            after(new, digits, s + bvol + rng.randint(0, 50000))
        if b:
            plan.replaced_on = d
        plan.outcome = a + bvol

    elif scen == "noclose":
        digits = digits_normal()
        p = start(digits, 1000000)
        prev_close(digits, p)
        if rng.random() < 0.5:
            after(old, digits, p + rng.randint(0, 400000))
        plan.outcome = NO_READING

    elif scen == "noprior":
        digits = digits_normal()
        p = start(digits, 1000000)
        days = sorted(rng.sample(range(P, L + 1), rng.randint(1, 2)))
        if rng.random() < 0.3:
            days[0] = P
        v = 0
        for day in days:
            reads.append((old, digits, day, p + v, kind))
            v += rng.randint(1000, 200000)
        plan.outcome = NO_READING

    elif scen == "est_only":
        digits = gen.METER_DIALS
        p = start(digits, 1000000)
        prev_close(digits, p)
        reads.append((old, digits, rng.randint(P, L), p + rng.randint(0, 400000), ESTIMATED))
        if rng.random() < 0.3:
            after(old, digits, p + rng.randint(0, 400000))
        plan.outcome = NO_READING

    elif scen == "est_late":
        digits = gen.METER_DIALS
        p = start(digits, 1000000)
        reads.append((old, digits, PL - 1 - rng.randrange(4), p, ACTUAL))
        if rng.random() < 0.5:                  # estimate after the previous ACTUAL
            reads.append((old, digits, PL, p + rng.randint(1000, 50000), ESTIMATED))
        v = rng.randint(0, 400000)
        x = in_period(old, digits, p, v, hi=L - 1)
        reads.append((old, digits, rng.randint(x + 1, L),
                      p + v + rng.randint(1000, 100000), ESTIMATED))
        plan.outcome = v

    elif scen == "implausible":
        if rng.random() < 0.5:                  # about 6000 m3 in the month
            digits = gen.METER_DIALS if b else rng.choice((5, 6))
            v = 6000000 + rng.randint(0, 999)
            p = start(digits, v + 1000000)
            prev_close(digits, p)
            in_period(old, digits, p, v)
            plan.outcome = v
        else:                                   # value went down: a wrap of ~10^n
            digits = gen.METER_DIALS if b else 8
            M = 10 ** digits * 1000
            p = rng.randint(M // 5, M - 1000)
            delta = rng.randint(1000, min(5000000, p))
            prev_close(digits, p, older=False)
            reads.append((old, digits, rng.randint(P, L), p - delta, kind))
            plan.outcome = M - delta
    else:
        raise AssertionError(scen)
    return plan


SITE_C_INSTALLED = datetime.date.fromisoformat(gen.OPENED_ON).toordinal()


def make_plan_c(seed, number, per):
    """site-c: month-end values (ACTUAL on a month's last day), each meter's
    installation reading (INSTALL) and a replaced meter's removal reading
    (REMOVAL).  The first meter 'M'+number is installed at 0 on gen.py's
    OPENED_ON, except in noprior (installed inside the period)."""
    h = account_hash(seed, number)
    scen = pick_scenario("c", h)
    rng = random.Random(h >> 14)
    plan = Plan(scen)
    reads = plan.reads
    P, L = per.P, per.L
    old, new = "M" + number, "N" + number

    def end(k):                                 # k month-ends before the period's
        return month_end(per.index - k)

    def digits_normal():
        x = rng.randrange(20)
        return 5 if x < 12 else 6 if x < 17 else 8

    def start(digits, headroom):
        return rng.randrange(0, 10 ** digits * 1000 - headroom)

    def installed(serial, digits, day=SITE_C_INSTALLED, value=0):
        reads.append((serial, digits, day, value, INSTALL))

    def prev_close(digits, p, k=1, older=True):
        """The previous closing p at month-end k; sometimes older ones."""
        installed(old, digits)
        if older and rng.random() < 0.3:        # earlier month-ends, some not read
            step = rng.randint(0, min(p, 300000) // 3)
            for j in (k + 3, k + 2, k + 1):
                if rng.random() < 0.6:
                    reads.append((old, digits, end(j), p - step * (j - k), ACTUAL))
        reads.append((old, digits, end(k), p, ACTUAL))

    def after(serial, digits, value):           # next month's end: ignored
        reads.append((serial, digits, end(-1), value, ACTUAL))

    if scen in ("normal", "large", "zero"):
        digits = digits_normal()
        p = start(digits, 2000000)
        prev_close(digits, p)
        v = (rng.randint(0, 400000) if scen == "normal" else
             rng.randint(450000, 1500000) if scen == "large" else 0)
        reads.append((old, digits, L, p + v, ACTUAL))
        if rng.random() < 0.1:
            after(old, digits, p + v + rng.randint(0, 50000))
        plan.outcome = v

    elif scen == "gap":
        digits = digits_normal()
        p = start(digits, 2000000)
        prev_close(digits, p, k=rng.randint(2, 14), older=False)
        v = rng.randint(0, 1500000)
        reads.append((old, digits, L, p + v, ACTUAL))
        plan.outcome = v

    elif scen == "rollover":
        digits = 4
        M = 10 ** digits * 1000
        p = M - rng.randint(1, 100000)          # 9 9xx.xxx m3
        c = rng.randint(0, 300000)
        prev_close(digits, p, older=False)
        reads.append((old, digits, L, c, ACTUAL))
        plan.outcome = M - p + c

    elif scen == "replace":
        digits = 5
        p = start(digits, 1000000)
        prev_close(digits, p)
        d = rng.randint(P, L - 1)
        a = rng.randint(0, 200000)
        reads.append((old, digits, d, p + a, REMOVAL))
        s = rng.randint(0, 10000)
        bvol = rng.randint(0, 200000)
        installed(new, digits, d if rng.random() < 0.7 else d + 1, s)
        reads.append((new, digits, L, s + bvol, ACTUAL))
        if rng.random() < 0.1:
            after(new, digits, s + bvol + rng.randint(0, 50000))
        plan.replaced_on = d
        plan.outcome = a + bvol

    elif scen == "noclose":
        digits = digits_normal()
        p = start(digits, 1000000)
        prev_close(digits, p)
        if rng.random() < 0.5:
            after(old, digits, p + rng.randint(0, 400000))
        plan.outcome = NO_READING

    elif scen == "noprior":                     # the first meter came in the period
        digits = digits_normal()
        s = start(digits, 1000000)
        installed(old, digits, rng.randint(P, L - 1), s)
        reads.append((old, digits, L, s + rng.randint(0, 200000), ACTUAL))
        plan.outcome = NO_READING

    elif scen == "implausible":
        if rng.random() < 0.5:                  # about 6000 m3 in the month
            digits = rng.choice((5, 6))
            v = 6000000 + rng.randint(0, 999)
            p = start(digits, v + 1000000)
            prev_close(digits, p)
            reads.append((old, digits, L, p + v, ACTUAL))
            plan.outcome = v
        else:                                   # value went down: a wrap of ~10^8
            digits = 8
            M = 10 ** digits * 1000
            p = rng.randint(M // 5, M - 1000)
            delta = rng.randint(1000, min(5000000, p))
            prev_close(digits, p, older=False)
            reads.append((old, digits, L, p - delta, ACTUAL))
            plan.outcome = M - delta
    else:
        raise AssertionError(scen)
    return plan


def r14(reads, P, L):
    """A plain reading of R14 over a plan's readings (for --selftest: it must
    agree with the outcome each scenario states). Readings of one day keep
    their order of generation."""
    counted = sorted((r for r in reads if r[4] in COUNTED), key=lambda r: r[2])
    before = [r for r in counted if r[2] < P]
    inside = [r for r in counted if P <= r[2] <= L]
    if not before or not inside:
        return NO_READING
    prev, close = before[-1], inside[-1]

    def diff(a, z):
        d = z[3] - a[3]
        return d + 10 ** z[1] * 1000 if d < 0 else d

    if prev[0] == close[0]:
        return diff(prev, close)
    removal = [r for r in inside if r[0] == prev[0]][-1]
    install = [r for r in counted if r[0] == close[0]][0]
    return diff(prev, removal) + diff(install, close)


# --------------------------------------------------------------------------
# Expectation

class Expecter:
    def __init__(self, prog, per, site):
        self.prog, self.per, self.site = prog, per, site
        day = per.first_iso
        self.vat_bp = prog.vat_bp(day)
        rule = prog.rule(day)
        if rule not in (None, "percent_within_cap", "face_value"):
            sys.exit("readings.py: %s: unknown discount rule %r" % (prog.path, rule))
        self.rule = rule
        self.cache = {}

    def region(self, region):
        """(price, percent_bp, cap_milli) for a region, cached."""
        r = self.cache.get(region)
        if r is None:
            day = self.per.first_iso
            price = self.prog.price(region, day)
            pc = self.prog.pwc_for(region, day) if self.rule == "percent_within_cap" else None
            r = self.cache[region] = (price, pc)
        return r

    def row(self, acc, plan):
        number = gen.site_number(self.site, acc)
        price, pc = self.region(acc["region"])
        if price is None or self.vat_bp is None:
            return "%s,PENDING,%s,,,,,,,,\n" % (number, NO_TARIFF)
        if acc["metered"]:
            vol = plan.outcome
            if isinstance(vol, str):
                return "%s,PENDING,%s,,,,,,,,\n" % (number, vol)
            if vol < 0 or vol > self.prog.plaus_milli:
                return "%s,PENDING,%s,,,,,,,,\n" % (number, INVALID)
        else:
            norm = self.prog.norm(acc["region"], self.per.month)
            if norm is None:
                return "%s,PENDING,%s,,,,,,,,\n" % (number, NO_TARIFF)
            vol = norm * acc["residents"]
        net, vat, charge, disc, due = bill(vol, price, self.vat_bp,
                                           *(pc if pc else (None, None)))
        return "%s,BILLED,,%d,%d,%d,%d,%d,%d,%s,%s\n" % (
            number, vol, price, self.vat_bp, net, vat, charge,
            "" if disc is None else disc, "" if due is None else due)


# --------------------------------------------------------------------------
# SQL text

def milli(v):
    return "%d.%03d" % divmod(v, 1000)


def preamble(out, engine):
    if engine == "postgresql":
        out.write("SET client_encoding = 'UTF8';\nBEGIN;\n")
    elif engine == "mariadb":
        out.write("SET NAMES utf8mb4;\nSTART TRANSACTION;\n")
    else:
        out.write("PRAGMA foreign_keys = ON;\nBEGIN;\n")


TEMP_CREATE = {
    "sqlite": "CREATE TEMP TABLE gvr_meter (serial VARCHAR(30) NOT NULL PRIMARY KEY, "
              "id BIGINT NOT NULL);\n",
    "postgresql": "CREATE TEMP TABLE gvr_meter (serial VARCHAR(30) NOT NULL PRIMARY KEY, "
                  "id BIGINT NOT NULL) ON COMMIT DROP;\n",
    "mariadb": "CREATE TEMPORARY TABLE gvr_meter (serial VARCHAR(30) NOT NULL PRIMARY KEY, "
               "id BIGINT NOT NULL);\n",
}
TEMP_DROP = {
    "sqlite": "DROP TABLE temp.gvr_meter;\n",
    "postgresql": "DROP TABLE gvr_meter;\n",
    "mariadb": "DROP TEMPORARY TABLE gvr_meter;\n",
}
TEMP_FILL = ("INSERT INTO gvr_meter (serial, id) SELECT serial, MAX(id) FROM meters "
             "GROUP BY serial;\n")


class Writer:
    """Multi-row INSERTs of `batch` rows, streamed."""

    def __init__(self, out, head, batch):
        self.out, self.head, self.batch = out, head, batch
        self.rows = []

    def add(self, row):
        self.rows.append(row)
        if len(self.rows) >= self.batch:
            self.flush()

    def flush(self):
        if self.rows:
            self.out.write(self.head)
            self.out.write(",\n".join(self.rows))
            self.out.write(";\n")
            self.rows = []


SITE_C_METER = ("INSERT INTO schetchik (nomer_ls, zav_nomer, razryadnost, ustanovlen, "
                "pokaz_ustanovki, snyat, pokaz_snyatiya) VALUES\n")
SITE_C_YEAR = ("INSERT INTO pokazaniya_god (schetchik_id, god, m01, m02, m03, m04, m05, m06, "
               "m07, m08, m09, m10, m11, m12) VALUES\n")


def site_c_rows(number, plan):
    """A plan's readings as schetchik rows (serial, digits, installed on,
    value, removed on, value) and pokazaniya_god rows (serial, year, twelve
    values or None), month-end values checked to lie on a month's end."""
    meters, years = {}, {}
    for serial, digits, day, value, kind in plan.reads:
        m = meters.setdefault(serial, [serial, digits, None, None, None, None])
        if kind == INSTALL:
            m[2], m[3] = day, value
        elif kind == REMOVAL:
            m[4], m[5] = day, value
        else:
            d = datetime.date.fromordinal(day)
            if (d + datetime.timedelta(days=1)).day != 1:
                raise AssertionError("%s: a month-end value on %s" % (number, d))
            row = years.setdefault((serial, d.year), [None] * 12)
            row[d.month - 1] = value
    for m in meters.values():
        if m[2] is None:
            raise AssertionError("%s: meter %s has no installation" % (number, m[0]))
    return list(meters.values()), sorted(years.items())


def write_sql(out, site, engine, per, items, batch):
    """items yields (account, plan); plan is None for an unmetered account."""
    iso = per.iso
    preamble(out, engine)
    if site == "c":
        def day(o):
            return "NULL" if o is None else "'%s'" % datetime.date.fromordinal(o).isoformat()

        def val(v):
            return "NULL" if v is None else milli(v)

        wm = Writer(out, SITE_C_METER, batch)
        pending = []                    # yearly rows, after every meter exists
        for acc, plan in items:
            if plan is None:
                continue
            number = gen.site_c_number(acc)
            meters, years = site_c_rows(number, plan)
            for serial, digits, inst, inst_v, rem, rem_v in meters:
                wm.add("('%s', '%s', %d, %s, %s, %s, %s)" % (
                    number, serial, digits, day(inst), val(inst_v), day(rem), val(rem_v)))
            for (serial, year), months in years:
                pending.append("((SELECT id FROM schetchik WHERE zav_nomer = '%s'), %d, %s)"
                               % (serial, year, ", ".join(val(v) for v in months)))
        wm.flush()
        if engine == "postgresql":
            # Without statistics the planner takes the lookups by zav_nomer
            # for costly and JIT-compiles every statement (4 s per 500 rows).
            out.write("ANALYZE schetchik;\n")
        wy = Writer(out, SITE_C_YEAR, batch)
        for row in pending:
            wy.add(row)
        wy.flush()
    elif site == "a":
        w = Writer(out, "INSERT INTO pokazaniya (lic_schet, zavod_nomer, razryadnost, "
                        "data_pokaz, znachenie) VALUES\n", batch)
        for acc, plan in items:
            if plan is None:
                continue
            num = acc["number"]
            for serial, digits, day, value, _ in plan.reads:
                w.add("('%s', '%s', %d, '%s', %s)" % (num, serial, digits, iso[day], milli(value)))
        w.flush()
    else:
        out.write(TEMP_CREATE[engine])
        out.write(TEMP_FILL)
        head = "INSERT INTO meter_reads (meter_id, read_on, value_m3, kind) VALUES\n"
        w = Writer(out, head, batch)
        fmt = "((SELECT id FROM gvr_meter WHERE serial = '%s'), '%s', %s, '%s')"
        replaced = []           # (account_no, day, new meter's readings): held back
        for acc, plan in items:
            if plan is None:
                continue
            later = []
            for serial, digits, day, value, kind in plan.reads:
                row = fmt % (serial, iso[day], milli(value), kind)
                if serial[0] == "N":
                    later.append(row)
                else:
                    w.add(row)
            if plan.replaced_on is not None:
                replaced.append((acc["number"], plan.replaced_on, later))
        w.flush()
        if replaced:
            for num, day, _ in replaced:
                out.write("UPDATE meters SET removed_on = '%s' WHERE id = "
                          "(SELECT id FROM gvr_meter WHERE serial = 'M%s');\n" % (iso[day], num))
            m = Writer(out, "INSERT INTO meters (customer_id, serial, dials, installed_on) "
                            "VALUES\n", batch)
            for num, day, _ in replaced:
                m.add("((SELECT id FROM customers WHERE account_no = %d), 'N%s', %d, '%s')"
                      % (int(num), num, gen.METER_DIALS, iso[day]))
            m.flush()
            out.write("DELETE FROM gvr_meter;\n")
            out.write(TEMP_FILL)
            for _, _, rows in replaced:
                for row in rows:
                    w.add(row)
            w.flush()
        out.write(TEMP_DROP[engine])
    out.write("COMMIT;\n")


# --------------------------------------------------------------------------

def read_only(path, site):
    """The first column's numbers: site-c's as stored, else 10-digit."""
    nums = set()
    with open(path, newline="", encoding="utf-8") as f:
        for i, row in enumerate(csv.reader(f)):
            if not row or not row[0].strip():
                continue
            cell = row[0].strip()
            if i == 0 and cell == "number":
                continue
            if site == "c":
                if not re.fullmatch(r"\d\d-\d{7}", cell):
                    sys.exit("readings.py: %s:%d: not a site-c number RR-NNNNNNN: %r"
                             % (path, i + 1, cell))
                nums.add(cell)
                continue
            if not cell.isdigit():
                sys.exit("readings.py: %s:%d: not an account number: %r" % (path, i + 1, cell))
            nums.add(cell.zfill(10))
    return nums


def accounts(site, n, seed):
    fixture = gen.load_fixture(gen.FIXTURE)

    def every():
        yield from fixture
        yield from gen.random_accounts(n, seed, {a["number"] for a in fixture})
    yield from gen.for_site(site, every())


def selftest():
    # The worked example of rules.md (R16).
    assert bill(84250, 5178266, 1200, 2400, 631000) == (436269, 52352, 488621, 117269, 371352)
    # Halves away from zero.
    assert [rdiv(n, 10) for n in (5, 15, 14, -5, -15, -14, 0)] == [1, 2, 1, -1, -2, -1, 0]
    assert rdiv(1, 2) == 1 and rdiv(-1, 2) == -1 and rdiv(499999, 10 ** 6) == 0
    # 0.500 m3 at 1000 tiyn per 1000 m3 = 0.5 tiyn -> 1; VAT 12 % of 1 = 0.12 -> 0.
    assert bill(500, 1000, 1200, 2400, 500000) == (1, 0, 1, 0, 1)
    # net 125 x 12 % = 15 exactly; 25 x 12 % = 3; 0.5 -> 1 in the discount.
    assert bill(125, 10 ** 6, 1200, 5000, 10 ** 6)[:3] == (125, 15, 140)
    assert dec("12", 2) == 1200 and dec("16.5", 2) == 1650 and dec("25.000", 3) == 25000
    # The shipped program file.
    if os.path.isfile(DEFAULT_PROGRAM):
        prog = Program(DEFAULT_PROGRAM)
        assert prog.vat_bp("2025-09-01") == 1200 and prog.vat_bp("2026-01-01") == 1600
        assert prog.price("KZ-79", "2025-09-01") == 5178266
        assert prog.price("KZ-79", "2025-07-01") is None
        assert prog.price("KZ-19", "2025-09-01") is None
        assert prog.pwc_for("KZ-79", "2025-09-01") == (2400, 631000)
        assert prog.pwc_for("KZ-75", "2025-09-01") == (2400, 500000)
        assert prog.norm("KZ-75", "09") == 5000
        assert prog.rule("2025-09-01") == "percent_within_cap"
    # Every scenario states the outcome a plain reading of R14 gives, values
    # stay on the register, and nothing but the 'after' readings lies past
    # the period (site-c: its meters' installation, month-ends back to the
    # previous year and the next month's end).  site-c's plans turn into
    # whole meter and year rows.
    assert [datetime.date.fromordinal(month_end(2024 * 12 + m)).day for m in range(12)] == \
        [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
    for text in ("2025-09", "2026-02", "2025-12", "2024-02", "2026-01"):
        per = Period(text)
        for site in "abc":
            seen = set()
            for i in range(20000):
                number = "%010d" % (i * 7919 + 13)
                if site == "c":
                    number = "75-%07d" % (i * 7919 % 10 ** 7 + 1)
                plan = make_plan(site, 7, number, per)
                seen.add(plan.scenario)
                assert r14(plan.reads, per.P, per.L) == plan.outcome, (site, number, plan.scenario)
                lo, hi = (per.P - 40, per.L + 3) if site != "c" else \
                    (SITE_C_INSTALLED - 1, month_end(per.index + 1))
                for serial, digits, day, value, kind in plan.reads:
                    assert 0 <= value < 10 ** digits * 1000, (number, plan.scenario)
                    assert lo < day <= hi, (site, number, plan.scenario)
                    assert (kind is None) == (site == "a")
                if site == "c":
                    site_c_rows(number, plan)
            assert seen == {s for s, _ in SCENARIOS[site]}, seen
    print("readings.py: selftest passed")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--site", choices=("a", "b", "c"))
    ap.add_argument("--engine", choices=("sqlite", "postgresql", "mariadb"))
    ap.add_argument("--period", metavar="YYYY-MM")
    ap.add_argument("--random", type=int, default=0, metavar="N",
                    help="random accounts, as given to gen.py (default 0)")
    ap.add_argument("--seed", type=int, default=1, metavar="S",
                    help="seed, as given to gen.py (default 1); also picks scenarios")
    ap.add_argument("--program", default=DEFAULT_PROGRAM, metavar="FILE",
                    help="program parameters (default contrib/program.ini)")
    ap.add_argument("--expect", metavar="OUT.csv", help="write the bills to expect")
    ap.add_argument("--only", metavar="FILE",
                    help="CSV whose first column lists the accounts to generate for")
    ap.add_argument("--scenarios", metavar="OUT.csv",
                    help="write number,scenario for every metered account generated")
    ap.add_argument("--batch", type=int, default=500, metavar="ROWS",
                    help="rows per INSERT statement (default 500)")
    ap.add_argument("--selftest", action="store_true",
                    help="check the calculation and the scenarios, then exit")
    args = ap.parse_args()
    if args.selftest:
        selftest()
        return
    if not (args.site and args.engine and args.period):
        ap.error("--site, --engine and --period are required")
    if args.random < 0 or args.batch < 1:
        ap.error("--random must be >= 0 and --batch >= 1")
    try:
        per = Period(args.period)
    except ValueError as e:
        ap.error(str(e))
    only = read_only(args.only, args.site) if args.only else None
    expecter = None
    if args.expect:
        expecter = Expecter(Program(args.program), per, args.site)

    files = []

    def open_out(path, header):
        f = open(path, "w", newline="", encoding="utf-8")
        f.write(header + "\n")
        files.append(f)
        return f

    expect_f = open_out(args.expect, EXPECT_HEADER) if args.expect else None
    scen_f = open_out(args.scenarios, "number,scenario") if args.scenarios else None
    found = set() if only is not None else None

    def items():
        for acc in accounts(args.site, args.random, args.seed):
            # The key of --only and of the scenario: site-c's own number.
            num = gen.site_c_number(acc) if args.site == "c" else acc["number"]
            if only is not None:
                if num not in only:
                    continue
                found.add(num)
            plan = make_plan(args.site, args.seed, num, per) if acc["metered"] else None
            if expect_f:
                expect_f.write(expecter.row(acc, plan))
            if scen_f and plan:
                scen_f.write("%s,%s\n" % (gen.site_number(args.site, acc), plan.scenario))
            yield acc, plan

    try:
        out = open(sys.stdout.fileno(), "w", encoding="utf-8", newline="\n",
                   buffering=1 << 20, closefd=False)
        write_sql(out, args.site, args.engine, per, items(), args.batch)
        out.flush()
    except BrokenPipeError:
        sys.stderr.close()
        sys.exit(1)
    finally:
        for f in files:
            f.close()
    if only is not None and len(found) < len(only):
        print("readings.py: %d account(s) of %s are not at the site (ignored)"
              % (len(only) - len(found), args.only), file=sys.stderr)


if __name__ == "__main__":
    main()
