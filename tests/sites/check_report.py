#!/usr/bin/env python3
"""Reads a gasvoucher reconciliation report back, independently of gasvoucher.

  check_report.py text --lang LL --vouchers FILE REPORT.txt
      every voucher listed; every line of a table as wide (in display
      columns) as its rule; in ru and kk no English word left outside
      identifiers (ids, codes, rules).
  check_report.py csv --site a|b --vouchers FILE --bills FILE FOLDER
      RFC 4180 files read with Python's csv; one voucher row per voucher;
      the sums of the money and volume columns equal the site's bills
      (--bills: "account voucher volume charge discount due", tab-separated,
      as the site's own tables hold them), per register.
  check_report.py xlsx --site a|b [--lang LL] --vouchers FILE --bills FILE BOOK.xlsx
      the workbook read with openpyxl: sheets, numeric money cells, dates
      as dates, totals as formulas whose cached values equal the bills; in
      ru and kk no English word in any cell or sheet name.
  check_report.py html [--lang LL] --vouchers FILE REPORT.html
      one self-contained file: no external reference, every voucher; in ru
      and kk no English word in the text.

Prints one summary line; exits 1 with the problems on stderr.
"""
import argparse
import csv
import os
import re
import sys
import unicodedata
from decimal import Decimal

problems = []


def bad(msg):
    problems.append(msg)


def width(s):
    return sum(0 if unicodedata.combining(ch) else
               2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in s)


IDENTIFIERS = [
    re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"),  # run, report
    re.compile(r"GVB?-[0-9A-Za-z-]+(#\d+)?"),           # voucher and list ids
    re.compile(r"\b[A-Z][A-Z0-9_]*[A-Z0-9]\b"),           # codes: NO_TARIFF, KZ-79, R7
    re.compile(r"\b\w*\d\w*\b"),                          # anything with a digit
]
# Proper names a translation keeps as they are.
NAMES = {"eGov", "gasvoucher"}


def english_words(text):
    for rx in IDENTIFIERS:
        text = rx.sub(" ", text)
    return [w for w in re.findall(r"[A-Za-z]+", text) if w not in NAMES]


def load_vouchers(path):
    with open(path, encoding="utf-8") as f:
        return [l.strip() for l in f if l.strip()]


def check_text(a):
    text = open(a.report, encoding="utf-8").read()
    lines = text.split("\n")
    for v in load_vouchers(a.vouchers):
        if v not in text:
            bad("voucher %s not in the report" % v)
    # Tables: a rule line of dashes; the header above it and every row
    # below it up to a blank line must be exactly as wide.
    tables = 0
    for i, line in enumerate(lines):
        if not re.fullmatch(r"  -+", line):
            continue
        tables += 1
        want = width(line)
        if width(lines[i - 1]) != want:
            bad("line %d (header) is %d columns wide, its rule %d" % (i, width(lines[i - 1]), want))
        for j in range(i + 1, len(lines)):
            row = lines[j]
            if not row.strip():
                break
            if row.strip() in ("нет", "жоқ", "none"):
                continue
            if width(row) != want:
                bad("line %d is %d columns wide, its table %d: %r" % (j + 1, width(row), want, row[:80]))
                break
    if tables < 9:
        bad("only %d tables" % tables)
    if a.lang in ("ru", "kk"):
        words = english_words(text)
        if words:
            bad("English words left in %s: %s" % (a.lang, " ".join(sorted(set(words))[:30])))
        if not re.search("[А-Яа-яЁёӘәҒғҚқҢңӨөҰұҮүҺһІі]", text):
            bad("no Cyrillic in the %s report" % a.lang)
        if a.lang == "kk" and not re.search("[ӘәҒғҚқҢңӨөҰұҮүІі]", text):
            bad("no Kazakh letter in the kk report")
    return "%d tables, %d lines" % (tables, len(lines))


def tiyn(s, site):
    """A site's amount as integer tiyn: site-a keeps tenge, site-b tiyn."""
    return int((Decimal(s) * 100).to_integral_value()) if site == "a" else int(s)


def load_bills(path, site):
    bills = []
    with open(path) as f:
        for line in f:
            if not line.strip():
                continue
            acc, voucher, vol, charge, disc, due = line.rstrip("\n").split("\t")
            bills.append(dict(account=acc.strip(), voucher=voucher, volume=int(Decimal(vol) * 1000),
                              charge=tiyn(charge, site), discount=tiyn(disc, site),
                              due=tiyn(due, site)))
    return bills


def bill_sums(bills):
    return {k: sum(b[k] for b in bills) for k in ("volume", "charge", "discount", "due")}


def read_csv(path, bom):
    raw = open(path, "rb").read()
    if bom and not raw.startswith(b"\xef\xbb\xbf"):
        bad("%s: no byte order mark" % os.path.basename(path))
    if b"\r\n" not in raw:
        bad("%s: lines do not end in CRLF (RFC 4180)" % os.path.basename(path))
    text = raw.decode("utf-8-sig")
    rows = list(csv.reader(text.splitlines(), strict=True))
    return rows[0], rows[1:]


# Column positions of the CSV registers (money fields are two columns:
# tiyn, then tenge).
V_VOUCHER, V_VOLUME, V_CHARGE, V_DISCOUNT, V_DUE = 0, 12, 15, 17, 19
G_COUNT, G_VOLUME, G_CHARGE, G_DISCOUNT, G_DUE = 2, 3, 4, 6, 8


def milli(s):
    return int(Decimal(s) * 1000) if s else 0


def check_sums(name, got, want):
    for k in want:
        if got[k] != want[k]:
            bad("%s: %s sums to %d, the bill tables to %d" % (name, k, got[k], want[k]))


def check_csv(a):
    bills = load_bills(a.bills, a.site)
    want = bill_sums(bills)
    files = sorted(os.listdir(a.folder))
    for f in ("summary.csv", "vouchers.csv", "pending.csv", "conflicts.csv", "changes.csv",
              "regions.csv", "assistance.csv", "runs.csv", "reports.csv"):
        if f not in files:
            bad("no %s" % f)
    head, rows = read_csv(os.path.join(a.folder, "vouchers.csv"), True)
    ids = [r[V_VOUCHER] for r in rows]
    vouchers = load_vouchers(a.vouchers)
    if sorted(ids) != sorted(vouchers):
        bad("vouchers.csv has %d rows, the period %d vouchers" % (len(ids), len(vouchers)))
    for r in rows:
        if len(r) != len(head):
            bad("vouchers.csv: a row of %d fields under %d titles" % (len(r), len(head)))
            break
        for t, d in ((V_CHARGE, V_CHARGE + 1), (V_DISCOUNT, V_DISCOUNT + 1), (V_DUE, V_DUE + 1)):
            if r[t] and Decimal(r[d]) * 100 != int(r[t]):
                bad("vouchers.csv: %s tiyn and %s tenge differ" % (r[t], r[d]))
    got = dict(volume=sum(milli(r[V_VOLUME]) for r in rows),
               charge=sum(int(r[V_CHARGE] or 0) for r in rows),
               discount=sum(int(r[V_DISCOUNT] or 0) for r in rows),
               due=sum(int(r[V_DUE] or 0) for r in rows))
    check_sums("vouchers.csv", got, want)
    billed = sum(1 for r in rows if r[V_CHARGE])
    if billed != len(bills):
        bad("vouchers.csv: %d billed rows, %d bills" % (billed, len(bills)))
    for name in ("regions.csv", "assistance.csv"):
        _, g = read_csv(os.path.join(a.folder, name), True)
        got = dict(volume=sum(milli(r[G_VOLUME]) for r in g),
                   charge=sum(int(r[G_CHARGE]) for r in g),
                   discount=sum(int(r[G_DISCOUNT]) for r in g),
                   due=sum(int(r[G_DUE]) for r in g))
        check_sums(name, got, want)
        if sum(int(r[G_COUNT]) for r in g) != len(bills):
            bad("%s: vouchers billed do not add up to %d" % (name, len(bills)))
    if not any(re.search("[А-Яа-я]", h) for h in head):
        bad("vouchers.csv: no Cyrillic in the titles")
    return "CSV: %d vouchers, %d bills, due %d tiyn" % (len(rows), len(bills), want["due"])


def check_xlsx(a):
    import openpyxl
    bills = load_bills(a.bills, a.site)
    want = bill_sums(bills)
    vouchers = load_vouchers(a.vouchers)
    values = openpyxl.load_workbook(a.book, data_only=True)
    formulas = openpyxl.load_workbook(a.book, data_only=False)
    if len(values.sheetnames) < 9:
        bad("only %d sheets: %s" % (len(values.sheetnames), values.sheetnames))
    ws = values.worksheets[1]           # the voucher register
    fs = formulas.worksheets[1]
    rows = list(ws.iter_rows(values_only=True))
    head, body = rows[0], rows[1:]
    total = body[-1]
    body = body[:-1]
    ids = [r[V_VOUCHER] for r in body]
    if sorted(ids) != sorted(vouchers):
        bad("voucher sheet has %d rows, the period %d vouchers" % (len(ids), len(vouchers)))
    if ws.freeze_panes != "A2":
        bad("voucher sheet: header row not frozen (%s)" % ws.freeze_panes)
    if not ws.auto_filter.ref:
        bad("voucher sheet: no autofilter")
    # Columns: as CSV but money is one numeric cell in tenge.
    X_ACT, X_VOLUME, X_PRICE, X_CHARGE, X_DISCOUNT, X_DUE = 6, 12, 13, 14, 15, 16
    import datetime
    for r in body:
        if r[X_ACT] is not None and not isinstance(r[X_ACT], datetime.datetime):
            bad("activation %r is not a date" % (r[X_ACT],))
            break
        for c in (X_CHARGE, X_DISCOUNT, X_DUE):
            if r[c] is not None and not isinstance(r[c], (int, float)):
                bad("money %r is not a number" % (r[c],))
                break
    def cents(x):
        return int(round((x or 0) * 100))
    got = dict(volume=sum(int(round((r[X_VOLUME] or 0) * 1000)) for r in body),
               charge=sum(cents(r[X_CHARGE]) for r in body),
               discount=sum(cents(r[X_DISCOUNT]) for r in body),
               due=sum(cents(r[X_DUE]) for r in body))
    check_sums("voucher sheet rows", got, want)
    tot = dict(volume=int(round(total[X_VOLUME] * 1000)), charge=cents(total[X_CHARGE]),
               discount=cents(total[X_DISCOUNT]), due=cents(total[X_DUE]))
    check_sums("voucher sheet totals row", tot, want)
    last = fs.max_row
    for c in (X_CHARGE, X_DISCOUNT, X_DUE):
        f = fs.cell(row=last, column=c + 1).value
        if not (isinstance(f, str) and f.startswith("=") and "SUBTOTAL" in f.upper()):
            bad("voucher sheet: total %s is %r, not a formula" % (fs.cell(row=last, column=c + 1).coordinate, f))
        fmt = fs.cell(row=last, column=c + 1).number_format
        cells = [r[c] for r in fs.iter_rows(min_row=2, max_row=last - 1) if r[c].value is not None]
        for cell in [fs.cell(row=last, column=c + 1)] + cells[:5]:
            if "0.00" not in cell.number_format:
                bad("money cell %s has the number format %r" % (cell.coordinate, cell.number_format))
    # Regions and assistance types total the same.
    for idx in (5, 6):
        g = list(values.worksheets[idx].iter_rows(values_only=True))[1:]
        gt = g[-1]
        tot = dict(volume=int(round(gt[G_VOLUME] * 1000)), charge=cents(gt[4]),
                   discount=cents(gt[5]), due=cents(gt[6]))
        check_sums("sheet %s totals" % values.sheetnames[idx], tot, want)
    if a.lang in ("ru", "kk"):
        words = []
        for sheet in values.worksheets:
            for r in sheet.iter_rows(values_only=True):
                words += english_words(" ".join(c for c in r if isinstance(c, str)))
        words += english_words(" ".join(values.sheetnames))
        if words:
            bad("English words left in the %s workbook: %s" % (a.lang, " ".join(sorted(set(words))[:30])))
    return "XLSX: %d sheets, %d vouchers, due %d tiyn" % (len(values.sheetnames), len(body), want["due"])


def check_html(a):
    html = open(a.report, encoding="utf-8").read()
    for rx in (r"<link\b", r"<script\b[^>]*\bsrc=", r"<img\b[^>]*\bsrc=\"(?!data:)", r"url\((?!\"?data:)",
               r"@import"):
        if re.search(rx, html, re.I):
            bad("an external reference: %s" % rx)
    if "@page" not in html or "A4" not in html:
        bad("no A4 page style")
    for v in load_vouchers(a.vouchers):
        if v not in html:
            bad("voucher %s not in the HTML" % v)
    if a.lang in ("ru", "kk"):
        import html as htmllib
        text = re.sub(r"<style>.*?</style>", " ", html, flags=re.S)
        text = htmllib.unescape(re.sub(r"<[^>]*>", " ", text))
        words = english_words(text)
        if words:
            bad("English words left in the %s page: %s" % (a.lang, " ".join(sorted(set(words))[:30])))
    return "HTML: %d bytes" % len(html)


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="what", required=True)
    t = sub.add_parser("text")
    t.add_argument("--lang", required=True)
    t.add_argument("--vouchers", required=True)
    t.add_argument("report")
    c = sub.add_parser("csv")
    c.add_argument("--site", required=True)
    c.add_argument("--vouchers", required=True)
    c.add_argument("--bills", required=True)
    c.add_argument("folder")
    x = sub.add_parser("xlsx")
    x.add_argument("--site", required=True)
    x.add_argument("--lang", default="en")
    x.add_argument("--vouchers", required=True)
    x.add_argument("--bills", required=True)
    x.add_argument("book")
    h = sub.add_parser("html")
    h.add_argument("--vouchers", required=True)
    h.add_argument("--lang", default="en")
    h.add_argument("report")
    a = p.parse_args()
    summary = {"text": check_text, "csv": check_csv, "xlsx": check_xlsx, "html": check_html}[a.what](a)
    if problems:
        print("\n".join(problems[:30]), file=sys.stderr)
        sys.exit(1)
    print(summary)


if __name__ == "__main__":
    main()
