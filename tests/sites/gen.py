#!/usr/bin/python3
"""Generate test data for the sample billing sites (site-a, site-b, site-c).

Loads the hand-written fixture (accounts.csv beside this script) plus N random
accounts, either as SQL text for one engine on stdout or, with --sqlite-db,
straight into an existing SQLite database (fast path for large N).

    gen.py --site {a,b,c} --engine {sqlite,postgresql,mariadb}
           [--random N] [--seed S] [--expect FILE]
    gen.py --site {a,b,c} --sqlite-db FILE [--random N] [--seed S] [--expect FILE]

The schema must already exist (tests/sites/site-X.ENGINE.sql).

--expect FILE writes "number,expect_2025_09" for every account (fixture and
random), number as the 10-digit zero-padded string (site-c: as site-c
stores it, RR-NNNNNNN), expectation by the rule of expectation() below.

site-c's number is the region's two digits, a dash and the last 7 digits
of the 10-digit number (site_c_number); an account whose site-c number an
earlier one already has, or whose serial is 0, is not at site-c (for_site).
site-c keeps names and addresses in parts (site_c_row) and gets no meters
here: tests/sites/readings.py creates them with their readings.

Random accounts are deterministic for a given seed (and N: the first N
accounts of a seed do not depend on N), never reuse a fixture number and are
unique among themselves.

Standard library only.
"""

import argparse
import csv
import datetime
import itertools
import os
import random
import re
import sqlite3
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURE = os.path.join(HERE, "accounts.csv")

FIELDS = ["number", "holder", "settlement", "street", "region", "class",
          "closed_on", "metered", "residents", "expect_2025_09"]
CLASSES = ("HOUSEHOLD", "BUSINESS", "PUBLIC")
GRUPPA = {"HOUSEHOLD": 1, "BUSINESS": 2, "PUBLIC": 3}   # site-a tariff group
NOT_PILOT = ("KZ-10", "KZ-55", "KZ-59")                 # pilot = all other KZ codes
PERIOD_START = "2025-09-01"                              # period 2025-09
OPENED_ON = "2020-01-01"                                 # site-b opened_on, meter installed_on
# site-c's codes: kategoriya by class, uchet (metered), sostoyanie (closed).
KATEGORIYA = {"HOUSEHOLD": "НАСЕЛЕНИЕ", "BUSINESS": "ПРЕДПРИЯТИЕ", "PUBLIC": "БЮДЖЕТ"}
UCHET = {1: "Д", 0: "Н"}
SOSTOYANIE_OPEN, SOSTOYANIE_CLOSED = "ОТКРЫТ", "ЗАКРЫТ"
SITE_C_SERIALS = 10 ** 7                                # 7-digit serial
METER_DIALS = 5


def expectation(acc):
    """Expected account-check result for period 2025-09.

    Precedence: CLOSED (closed before the period starts; closed during or
    after September still counts as found) > NOT_HOUSEHOLD > REGION_NOT_IN_PILOT
    > FOUND.
    """
    if acc["closed_on"] and acc["closed_on"] < PERIOD_START:
        return "CLOSED"
    if acc["class"] != "HOUSEHOLD":
        return "NOT_HOUSEHOLD"
    if acc["region"] in NOT_PILOT:
        return "REGION_NOT_IN_PILOT"
    return "FOUND"


# --------------------------------------------------------------------------
# Fixture

def load_fixture(path):
    """Read and validate accounts.csv; numbers are normalised to 10 digits."""
    accounts = []
    seen = set()
    c_numbers = {}          # site-c number -> number: every fixture account is at every site
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        if reader.fieldnames != FIELDS:
            sys.exit("gen.py: %s: columns must be exactly %s" % (path, ",".join(FIELDS)))
        for line, row in enumerate(reader, start=2):
            def bad(msg):
                sys.exit("gen.py: %s:%d: %s" % (path, line, msg))
            num = row["number"]
            if not (num.isdigit() and num.isascii() and 1 <= len(num) <= 10) or int(num) == 0:
                bad("number must be 1-10 digits, not zero: %r" % num)
            num = num.zfill(10)
            if num in seen:
                bad("duplicate number %s" % num)
            seen.add(num)
            if row["class"] not in CLASSES:
                bad("bad class %r" % row["class"])
            if not (len(row["region"]) == 5 and row["region"].startswith("KZ-")):
                bad("bad region %r" % row["region"])
            if row["closed_on"]:
                try:
                    datetime.date.fromisoformat(row["closed_on"])
                except ValueError:
                    bad("bad closed_on %r" % row["closed_on"])
            if row["metered"] not in ("0", "1"):
                bad("metered must be 0 or 1")
            if not (row["residents"].isdigit() and 1 <= int(row["residents"]) <= 8):
                bad("residents must be 1..8")
            if not row["holder"] or not row["settlement"] or not row["street"]:
                bad("empty holder/settlement/street")
            acc = {
                "number": num,
                "holder": row["holder"],
                "settlement": row["settlement"],
                "street": row["street"],
                "region": row["region"],
                "class": row["class"],
                "closed_on": row["closed_on"] or None,
                "metered": int(row["metered"]),
                "residents": int(row["residents"]),
            }
            # The fixture states its expectation; it must agree with the rule.
            if expectation(acc) != row["expect_2025_09"]:
                bad("expect_2025_09 is %s but the rule gives %s"
                    % (row["expect_2025_09"], expectation(acc)))
            try:
                c_number = site_c_number(acc)
                site_c_row(acc)
            except ValueError as e:
                bad("site-c: %s" % e)
            if c_number in c_numbers:
                bad("site-c number %s is also that of %s" % (c_number, c_numbers[c_number]))
            c_numbers[c_number] = num
            accounts.append(acc)
    return accounts


# --------------------------------------------------------------------------
# Random accounts

# (settlement, ISO 3166-2:KZ region); out-of-pilot regions are KZ-10/55/59.
SETTLEMENTS = [
    ("г. Алматы", "KZ-75"), ("г. Алматы", "KZ-75"), ("г. Алматы", "KZ-75"),
    ("г. Астана", "KZ-71"), ("г. Астана", "KZ-71"), ("г. Шымкент", "KZ-79"),
    ("г. Шымкент", "KZ-79"), ("г. Каскелен", "KZ-19"), ("г. Талгар", "KZ-19"),
    ("с. Узынагаш", "KZ-19"), ("с. Шамалган", "KZ-19"), ("г. Кокшетау", "KZ-11"),
    ("г. Актобе", "KZ-15"), ("г. Атырау", "KZ-23"), ("г. Уральск", "KZ-27"),
    ("г. Тараз", "KZ-31"), ("г. Талдыкорган", "KZ-33"), ("г. Караганда", "KZ-35"),
    ("г. Темиртау", "KZ-35"), ("г. Костанай", "KZ-39"), ("г. Кызылорда", "KZ-43"),
    ("г. Актау", "KZ-47"), ("г. Туркестан", "KZ-61"), ("с. Аксукент", "KZ-61"),
    ("г. Жезказган", "KZ-62"), ("г. Усть-Каменогорск", "KZ-63"),
    ("г. Риддер", "KZ-63"),
    # out of the pilot
    ("г. Семей", "KZ-10"), ("г. Аягоз", "KZ-10"), ("г. Павлодар", "KZ-55"),
    ("г. Экибастуз", "KZ-55"), ("г. Петропавловск", "KZ-59"), ("с. Бесколь", "KZ-59"),
]

STREETS = [
    "ул. Абая", "ул. Жамбыла", "ул. Толе би", "ул. Сейфуллина", "ул. Ауэзова",
    "ул. Пушкина", "ул. Гагарина", "ул. Байтурсынова", "ул. Жандосова",
    "ул. Кабанбай батыра", "ул. Желтоксан", "ул. Республики", "ул. Мира",
    "ул. Шевченко", "ул. Сатпаева", "ул. Айтеке би", "ул. Казыбек би",
    "ул. Бейбітшілік", "ул. Тәуелсіздік", "пр. Абая", "пр. Достык",
    "пр. Назарбаева", "пр. Республики", "пр. Аль-Фараби", "пр. Независимости",
    "мкр. Самал-2", "мкр. Аксай-4", "мкр. Орбита-1", "мкр. Нурсат", "мкр. 5",
    "мкр. 12", "пер. Садовый", "пер. Школьный",
]

# (male, female) surname forms; Kazakh and Russian, some without a female form
# change (Ким, Ли, Цой) and a few in Kazakh spelling.
SURNAMES = [
    ("Ахметов", "Ахметова"), ("Жумабаев", "Жумабаева"), ("Нурланов", "Нурланова"),
    ("Сулейменов", "Сулейменова"), ("Касымов", "Касымова"), ("Оспанов", "Оспанова"),
    ("Сейткалиев", "Сейткалиева"), ("Омаров", "Омарова"), ("Искаков", "Искакова"),
    ("Мукашев", "Мукашева"), ("Байжанов", "Байжанова"), ("Тулегенов", "Тулегенова"),
    ("Әбдірахманов", "Әбдірахманова"), ("Құдайбергенов", "Құдайбергенова"),
    ("Иванов", "Иванова"), ("Смирнов", "Смирнова"), ("Кузнецов", "Кузнецова"),
    ("Попов", "Попова"), ("Волков", "Волкова"), ("Петров", "Петрова"),
    ("Ким", "Ким"), ("Ли", "Ли"), ("Цой", "Цой"), ("Шевченко", "Шевченко"),
    ("Головко", "Головко"), ("Романенко", "Романенко"),
]
MALE_NAMES = ["Ерлан", "Нурлан", "Арман", "Данияр", "Серик", "Марат", "Бауыржан",
              "Талгат", "Ержан", "Асхат", "Ринат", "Сергей", "Андрей", "Дмитрий",
              "Олег", "Игорь", "Виктор", "Александр", "Нұрсұлтан", "Әлихан"]
FEMALE_NAMES = ["Айгерим", "Динара", "Асель", "Гульнара", "Салтанат", "Жанар",
                "Мадина", "Алия", "Гаухар", "Айжан", "Мария", "Елена", "Ольга",
                "Ирина", "Светлана", "Наталья", "Татьяна", "Әсел", "Ақмарал"]
# Father's names as (Russian-style male, female patronymic) or Kazakh style.
PATRONYMICS = [
    ("Касымович", "Касымовна"), ("Болатович", "Болатовна"), ("Маратович", "Маратовна"),
    ("Серикович", "Сериковна"), ("Нурланович", "Нурлановна"), ("Ерланович", "Ерлановна"),
    ("Кайратович", "Кайратовна"), ("Муратович", "Муратовна"), ("Ахметович", "Ахметовна"),
    ("Петрович", "Петровна"), ("Викторович", "Викторовна"), ("Олегович", "Олеговна"),
    ("Николаевич", "Николаевна"), ("Александрович", "Александровна"),
    ("Серікұлы", "Серікқызы"), ("Жұмабекұлы", "Жұмабекқызы"), ("Сәкенұлы", "Сәкенқызы"),
]

# Weighted draws (cumulative weights, precomputed for speed).
DIGITS, DIGITS_CUM = (10, 9, 8, 7), (70, 85, 95, 100)              # number length
CLASSES_CUM = (85, 95, 100)                                        # 85/10/5 %
RESIDENTS = tuple(range(1, 9))
RESIDENTS_CUM = tuple(itertools.accumulate((15, 25, 22, 18, 10, 5, 3, 2)))

DAY0 = datetime.date(2015, 1, 1).toordinal()
DAY1 = datetime.date(2025, 12, 31).toordinal()


def random_accounts(n, seed, taken):
    """Yield n random accounts; numbers avoid `taken` (which grows)."""
    rng = random.Random(seed)
    for _ in range(n):
        # Mostly full 10-digit numbers, a good share with leading zeros.
        digits = rng.choices(DIGITS, cum_weights=DIGITS_CUM)[0]
        while True:
            num = str(rng.randrange(10 ** (digits - 1), 10 ** digits)).zfill(10)
            if num not in taken:
                break
        taken.add(num)

        female = rng.random() < 0.5
        sur = rng.choice(SURNAMES)[female]
        given = rng.choice(FEMALE_NAMES if female else MALE_NAMES)
        if rng.random() < 0.1:
            holder = "%s %s" % (sur, given)          # no patronymic
        else:
            holder = "%s %s %s" % (sur, given, rng.choice(PATRONYMICS)[female])

        settlement, region = rng.choice(SETTLEMENTS)
        street = "%s, д. %d" % (rng.choice(STREETS), rng.randint(1, 250))
        if rng.random() < 0.7:
            street += ", кв. %d" % rng.randint(1, 300)

        cls = rng.choices(CLASSES, cum_weights=CLASSES_CUM)[0]
        closed_on = None
        if rng.random() < 0.1:
            closed_on = datetime.date.fromordinal(rng.randint(DAY0, DAY1)).isoformat()
        yield {
            "number": num,
            "holder": holder,
            "settlement": settlement,
            "street": street,
            "region": region,
            "class": cls,
            "closed_on": closed_on,
            "metered": 1 if rng.random() < 0.85 else 0,
            "residents": rng.choices(RESIDENTS, cum_weights=RESIDENTS_CUM)[0],
        }


# --------------------------------------------------------------------------
# Row mapping per site

def site_a_row(acc):
    """abonent (lic_schet, fio, adres, region, gruppa, sostoyanie,
    data_zakrytiya, kol_prozhiv, est_schetchik)"""
    return (acc["number"], acc["holder"], acc["settlement"] + ", " + acc["street"],
            acc["region"], GRUPPA[acc["class"]], "Z" if acc["closed_on"] else "A",
            acc["closed_on"], acc["residents"], acc["metered"])


def site_b_row(acc):
    """customers (account_no, full_name, street, city, region_iso,
    customer_class, opened_on, closed_on, occupants)"""
    return (int(acc["number"]), acc["holder"], acc["street"], acc["settlement"],
            acc["region"], acc["class"], OPENED_ON, acc["closed_on"], acc["residents"])


def site_c_number(acc):
    """RR-NNNNNNN: the region's number, a dash, the number's last 7 digits."""
    serial = int(acc["number"]) % SITE_C_SERIALS
    if serial == 0:
        raise ValueError("number %s has serial 0 at site-c" % acc["number"])
    return "%s-%07d" % (acc["region"][3:], serial)


def site_number(site, acc):
    """The account number as the site stores it (as text)."""
    if site == "a":
        return acc["number"]
    if site == "b":
        return str(int(acc["number"]))
    return site_c_number(acc)


def for_site(site, accounts):
    """The accounts the site holds: all, but at site-c not one whose
    RR-NNNNNNN an earlier account has, nor one with serial 0 (the fixture
    has neither: load_fixture checks)."""
    if site != "c":
        yield from accounts
        return
    seen = set()
    for acc in accounts:
        if int(acc["number"]) % SITE_C_SERIALS == 0:
            continue
        num = site_c_number(acc)
        if num not in seen:
            seen.add(num)
            yield acc


# "ул. Жандосова, д. 12, кв. 34": the street, the house, the flat if any.
STREET_PARTS = re.compile(r"^(.+), д\. ([^,]+?)(?:, кв\. ([^,]+))?$")


def site_c_row(acc):
    """lits_schet (nomer, familiya, imya, otchestvo, nas_punkt, ulitsa, dom,
    kvartira, kategoriya, uchet, sostoyanie, data_zakrytiya, zhiltsov): the
    holder split at spaces into surname, first name and the rest (the
    patronymic, NULL when absent); the street split at ", д. " and ", кв. "."""
    names = acc["holder"].split(" ", 2)
    if len(names) < 2:
        raise ValueError("holder %r has no first name" % acc["holder"])
    m = STREET_PARTS.match(acc["street"])
    if not m:
        raise ValueError("street %r is not 'STREET, д. HOUSE[, кв. FLAT]'" % acc["street"])
    return (site_c_number(acc), names[0], names[1], names[2] if len(names) > 2 else None,
            acc["settlement"], m.group(1), m.group(2), m.group(3), KATEGORIYA[acc["class"]],
            UCHET[acc["metered"]], SOSTOYANIE_CLOSED if acc["closed_on"] else SOSTOYANIE_OPEN,
            acc["closed_on"], acc["residents"])


SITE_A_COLS = ("lic_schet, fio, adres, region, gruppa, sostoyanie, "
               "data_zakrytiya, kol_prozhiv, est_schetchik")
SITE_B_COLS = ("account_no, full_name, street, city, region_iso, customer_class, "
               "opened_on, closed_on, occupants")
SITE_C_COLS = ("nomer, familiya, imya, otchestvo, nas_punkt, ulitsa, dom, kvartira, "
               "kategoriya, uchet, sostoyanie, data_zakrytiya, zhiltsov")
METER_COLS = "customer_id, serial, dials, installed_on"


def meter_serial(acc):
    return "M" + acc["number"]


# meter_serial() in SQL, from customers.account_no, per engine.
SERIAL_SQL = {
    "sqlite": "'M' || printf('%010d', account_no)",
    "postgresql": "'M' || lpad(account_no::text, 10, '0')",
    "mariadb": "CONCAT('M', LPAD(account_no, 10, '0'))",
}


# --------------------------------------------------------------------------
# SQL text output

def sql_literal(value, engine):
    if value is None:
        return "NULL"
    if isinstance(value, int):
        return str(value)
    s = str(value).replace("'", "''")
    if engine == "mariadb":
        # MariaDB treats backslash as an escape character in string literals
        # (unless sql_mode has NO_BACKSLASH_ESCAPES); the others do not.
        s = s.replace("\\", "\\\\")
    return "'" + s + "'"


def batches(iterable, size):
    batch = []
    for item in iterable:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def write_sql(out, site, engine, accounts, batch_size):
    if engine == "postgresql":
        out.write("SET client_encoding = 'UTF8';\nBEGIN;\n")
    elif engine == "mariadb":
        out.write("SET NAMES utf8mb4;\nSTART TRANSACTION;\n")
    else:
        out.write("PRAGMA foreign_keys = ON;\nBEGIN;\n")

    def values(row):
        return "(" + ", ".join(sql_literal(v, engine) for v in row) + ")"

    for batch in batches(accounts, batch_size):
        if site == "a":
            out.write("INSERT INTO abonent (%s) VALUES\n" % SITE_A_COLS)
            out.write(",\n".join(values(site_a_row(a)) for a in batch))
            out.write(";\n")
        elif site == "c":
            out.write("INSERT INTO lits_schet (%s) VALUES\n" % SITE_C_COLS)
            out.write(",\n".join(values(site_c_row(a)) for a in batch))
            out.write(";\n")
        else:
            out.write("INSERT INTO customers (%s) VALUES\n" % SITE_B_COLS)
            out.write(",\n".join(values(site_b_row(a)) for a in batch))
            out.write(";\n")
            metered = [a for a in batch if a["metered"]]
            if metered:
                # customers.id is generated: take it from the rows just
                # inserted. One INSERT ... SELECT per batch is several times
                # faster than a scalar subquery per row.
                out.write("INSERT INTO meters (%s)\nSELECT id, %s, %d, %s FROM customers"
                          " WHERE account_no IN (\n"
                          % (METER_COLS, SERIAL_SQL[engine], METER_DIALS,
                             sql_literal(OPENED_ON, engine)))
                out.write(", ".join(str(int(a["number"])) for a in metered))
                out.write(");\n")
    out.write("COMMIT;\n")


# --------------------------------------------------------------------------
# SQLite fast path

def write_sqlite(path, site, accounts, batch_size):
    if not os.path.isfile(path):
        sys.exit("gen.py: %s: no such SQLite database (create the schema first)" % path)
    db = sqlite3.connect(path, isolation_level=None)
    try:
        db.execute("PRAGMA foreign_keys = ON")
        db.execute("PRAGMA synchronous = OFF")
        db.execute("BEGIN")
        if site == "a":
            sql = "INSERT INTO abonent (%s) VALUES (%s)" % (SITE_A_COLS, ", ".join("?" * 9))
            for batch in batches(accounts, batch_size * 20):
                db.executemany(sql, (site_a_row(a) for a in batch))
        elif site == "c":
            sql = "INSERT INTO lits_schet (%s) VALUES (%s)" % (SITE_C_COLS, ", ".join("?" * 13))
            for batch in batches(accounts, batch_size * 20):
                db.executemany(sql, (site_c_row(a) for a in batch))
        else:
            sql = "INSERT INTO customers (%s) VALUES (%s)" % (SITE_B_COLS, ", ".join("?" * 9))
            msql = ("INSERT INTO meters (%s) SELECT id, ?, %d, ? FROM customers "
                    "WHERE account_no = ?" % (METER_COLS, METER_DIALS))
            for batch in batches(accounts, batch_size * 20):
                db.executemany(sql, (site_b_row(a) for a in batch))
                db.executemany(msql, ((meter_serial(a), OPENED_ON, int(a["number"]))
                                      for a in batch if a["metered"]))
        db.execute("COMMIT")
    except sqlite3.Error as e:
        sys.exit("gen.py: %s: %s" % (path, e))
    finally:
        db.close()


# --------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--site", required=True, choices=("a", "b", "c"))
    ap.add_argument("--engine", choices=("sqlite", "postgresql", "mariadb"),
                    help="SQL dialect for stdout (not needed with --sqlite-db)")
    ap.add_argument("--random", type=int, default=0, metavar="N",
                    help="number of random accounts to add (default 0)")
    ap.add_argument("--seed", type=int, default=1, metavar="S",
                    help="random seed (default 1)")
    ap.add_argument("--expect", metavar="FILE",
                    help="also write number,expect_2025_09 for every account")
    ap.add_argument("--sqlite-db", metavar="FILE",
                    help="insert directly into this existing SQLite database")
    ap.add_argument("--fixture", default=FIXTURE, metavar="FILE",
                    help="fixture CSV (default: accounts.csv beside this script)")
    ap.add_argument("--batch", type=int, default=500, metavar="ROWS",
                    help="rows per INSERT statement (default 500)")
    args = ap.parse_args()
    if args.sqlite_db is None and args.engine is None:
        ap.error("--engine is required unless --sqlite-db is given")
    if args.sqlite_db is not None and args.engine not in (None, "sqlite"):
        ap.error("--sqlite-db only goes with --engine sqlite")
    if args.random < 0 or args.batch < 1:
        ap.error("--random must be >= 0 and --batch >= 1")

    fixture = load_fixture(args.fixture)
    taken = {a["number"] for a in fixture}

    expect_file = None
    if args.expect:
        expect_file = open(args.expect, "w", newline="", encoding="utf-8")
        expect_file.write("number,expect_2025_09\n")

    def accounts():
        for acc in fixture:
            yield acc
        yield from random_accounts(args.random, args.seed, taken)

    def with_expect(iterable):
        for acc in for_site(args.site, iterable):
            if expect_file:
                number = site_c_number(acc) if args.site == "c" else acc["number"]
                expect_file.write("%s,%s\n" % (number, expectation(acc)))
            yield acc

    try:
        if args.sqlite_db:
            write_sqlite(args.sqlite_db, args.site, with_expect(accounts()), args.batch)
        else:
            out = open(sys.stdout.fileno(), "w", encoding="utf-8", newline="\n",
                       buffering=1 << 20, closefd=False)
            write_sql(out, args.site, args.engine, with_expect(accounts()), args.batch)
            out.flush()
    except BrokenPipeError:
        # The reader (psql, mariadb) died; it reports why. Keep quiet here.
        sys.stderr.close()
        sys.exit(1)
    finally:
        if expect_file:
            expect_file.close()


if __name__ == "__main__":
    main()
