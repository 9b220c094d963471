#!/usr/bin/env bash
# site-c, the third sample schema (tests/sites/site-c.*.sql), served by its
# mapping alone (mappings/site-c.ini) on SQLite, PostgreSQL and MariaDB:
# account numbers RR-NNNNNNN typed 75-123, "75 0000123", 750000123; names
# and addresses in parts; Cyrillic codes in the data and in the SQL;
# month-end readings in a wide yearly table; bills into an import table.
# On each engine, one database, the same data:
#   - mapping check passes;
#   - account check over HTTPS: every result right for the fixture and 300
#     generated accounts, each typed four ways, the canonical number
#     answered, holder and address assembled from their parts and masked,
#     no personal data in the log;
#   - intake of two parts (in another order on each engine), accounts typed
#     the four ways, eight accounts twice in two typings: R7 over the
#     canonical number (one ACCEPTED, the earliest activation), every
#     account_norm the site's own number, the same outcomes on every engine;
#   - billing: a dry run writes nothing; every accepted voucher billed or
#     Pending as tests/sites/readings.py computes independently
#     (check_bills.py), the import rows with status НОВЫЙ and gv_bill's
#     bill_ref their id, a row the utility put there by hand a CONFLICT;
#     once the import program has taken the rows, a second run bills
#     nothing; a late month-end value bills a Pending voucher (R20) as
#     computed from the program file;
#   - the reconciliation report's bills equal the import table's.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/db.sh"
. "$here/../lib/certs.sh"
. "$here/../lib/daemon.sh"

gvt_begin site-c
GV=$top_builddir/gasvoucher
SIM="$GVT_PYTHON $top_srcdir/contrib/wallet-sim"
SITES=$top_srcdir/tests/sites
BIN=990340001234
NOW=(--now 2025-09-30T18:00:00+05:00)
N=300
SEED=11
sign=(--sign-cert "$dir/certs/wallet-signer.pem" --sign-key "$dir/certs/wallet-signer.key")

# ---- what every engine gets -------------------------------------------------
"$GVT_PYTHON" "$SITES/gen.py" --site c --engine sqlite --random $N --seed $SEED \
    --expect "$dir/accounts.csv" > /dev/null
for engine in sqlite postgresql mariadb; do
    "$GVT_PYTHON" "$SITES/readings.py" --site c --engine $engine --period 2025-09 --random $N \
        --seed $SEED --program "$top_srcdir/contrib/program.ini" --expect "$dir/expect.csv" \
        > "$dir/readings.$engine.sql"
done

# The voucher list: every FOUND account once, typed in turn as stored,
# 75-123, "75 0000123" and 750000123; eight of them a second time in
# another typing (R7 across typings); and numbers that are not accounts
# there (of site-c's form or not).
"$GVT_PYTHON" - "$dir/accounts.csv" "$dir/typed.csv" <<'PY'
import csv, sys
found = [r["number"] for r in csv.DictReader(open(sys.argv[1])) if r["expect_2025_09"] == "FOUND"]
def typing(number, k):
    region, serial = number.split("-")
    return [number, "%s-%s" % (region, serial.lstrip("0")), "%s %s" % (region, serial),
            region + serial][k % 4]
with open(sys.argv[2], "w") as out:
    out.write("number\n")
    for i, number in enumerate(found):
        out.write(typing(number, i) + "\n")
    pairs = 0
    for i, number in enumerate(found):
        other = typing(number, i + 1 + i % 3)
        if other != typing(number, i):
            out.write(other + "\n")
            pairs += 1
        if pairs == 8:
            break
    for unknown in ("75-9999998", "99-0000001", "99 1", "7512345678", "750000000", "75"):
        out.write(unknown + "\n")
PY
count=$(($(wc -l < "$dir/typed.csv") - 1))
$SIM gen --bin $BIN --period 2025-09 --accounts "$dir/typed.csv" --count "$count" --parts 2 \
    --seed site-c --out "$dir/xml" --expect "$dir/vouchers.csv" \
    "${sign[@]}" > /dev/null
part1=$dir/xml/GVB-$BIN-202509-001.xml
part2=$dir/xml/GVB-$BIN-202509-002.xml

# ---- checks -----------------------------------------------------------------

# r7 ENGINE D: outcomes.tsv (voucher, typed, account_norm, activated_at,
# status, reason) against R7 over site-c's canonical number, worked out
# here from the typed text.
r7() {
    "$GVT_PYTHON" - "$2/outcomes.tsv" "$dir/accounts.csv" "$dir/vouchers.csv" <<'PY'
import csv, re, sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1], encoding="utf-8") if l.strip()]
found = {r["number"] for r in csv.DictReader(open(sys.argv[2])) if r["expect_2025_09"] == "FOUND"}
part = {r["voucher_id"]: r["part"] for r in csv.DictReader(open(sys.argv[3]))}
def canonical(typed):
    m = re.fullmatch(r"(\d\d)(\d{1,7})", typed.replace(" ", "").replace("-", ""))
    return m and "%s-%07d" % (m.group(1), int(m.group(2)))
bad, groups = [], {}
for vid, typed, norm, at, status, reason in rows:
    c = canonical(typed)
    if c in found:
        if norm != c:
            bad.append("%s typed %r: account_norm %s, the site's number is %s" % (vid, typed, norm, c))
        if status == "ACCEPTED" or reason == "DUPLICATE_ACCOUNT_PERIOD":
            groups.setdefault(c, []).append((int(at), vid, typed, status))
    elif status == "ACCEPTED":
        bad.append("%s typed %r accepted: not a FOUND account" % (vid, typed))
spelled = across = 0
for c, g in groups.items():
    g.sort()
    if [x[3] for x in g] != ["ACCEPTED"] + ["REJECTED"] * (len(g) - 1):
        bad.append("account %s: %s (the earliest activation must be the one ACCEPTED)" % (c, g))
    if len({x[2] for x in g}) > 1:
        spelled += 1
        across += len({part[x[1]] for x in g}) > 1
if spelled < 8 or not across:
    bad.append("%d accounts in two typings, %d across parts: R7 not exercised" % (spelled, across))
if bad:
    print("\n".join(bad[:20])); sys.exit(1)
print("%d accounts, %d of them typed two ways (%d across parts): one ACCEPTED each, the earliest"
      % (len(groups), spelled, across))
PY
}

# bills ENGINE D MODE [HAND CONFLICT]: the database against readings.py's
# expectation (tests/sites/check_bills.py).
bills() {
    local q=$1 d=$2 mode=$3 out=$2/check
    mkdir -p "$out"
    $q "SELECT voucher_id, account_norm FROM gv_occurrence WHERE period = '2025-09'
        AND status = 'ACCEPTED' AND standing = 1" > "$out/accepted.tsv"
    $q "SELECT voucher_id, account, status, COALESCE(reason, ''), volume_milli, price_tiyn,
        vat_bp, net_tiyn, vat_tiyn, charge_tiyn, discount_tiyn, due_tiyn, COALESCE(bill_ref, '')
        FROM gv_bill WHERE period = '2025-09'" > "$out/gv_bill.tsv"
    $q "SELECT id, nomer_ls, COALESCE(vaucher, ''), obem, tarif_tiyn, summa_tiyn, skidka_tiyn,
        k_oplate_tiyn, 1 FROM import_nachisleniy WHERE period = '202509'" > "$out/bills.tsv"
    $q "SELECT msg_id, body_name FROM gv_outbox WHERE kind = 'RedemptionReport'
        AND period = '2025-09'" > "$out/outbox.tsv"
    "$GVT_PYTHON" "$SITES/check_bills.py" "$out" "$d/expect.csv" "$d/spool/outbox" c "$mode" \
        "${@:4}"
}

# billrun NAME NOW-ARGS...: a billing run of run()'s engine, into $d/NAME.out;
# the hand-written bill makes every run end with exit status 4 and the
# conflict named.
billrun() {
    local name=$1 rc=0
    shift
    "$GV" -c "$d/gv.conf" "$@" bill --period 2025-09 --no-send > "$d/$name.out" 2>&1 || rc=$?
    [ "$rc" = 4 ] || fail "$engine: $name: exit $rc, expected 4 (a conflict): $(tail -5 "$d/$name.out")"
    grep -q "conflict: voucher $conflict, account $hand: SITE_DUPLICATE" "$d/$name.out" ||
        fail "$engine: $name: the conflict of voucher $conflict is not named"
}

# run ENGINE CONN QUERY-FUNCTION FIRST-PART SECOND-PART
run() {
    local engine=$1 conn=$2 q=$3 d=$dir/$1 out hand late conflict
    shift 3
    mkdir -p "$d"
    cp "$dir/expect.csv" "$d/expect.csv"
    echo "== $engine"
    gvt_write_conf "$d/gv.conf" "$conn" "$top_srcdir/mappings/site-c.ini" "$dir/certs" \
        "$(gvt_intake_ini "$dir/certs" "$d/spool")
[billing]
program = $top_srcdir/contrib/program.ini
chunk = 37
[time]
# --now: a pinned clock, for tests only
allow_pinned_now = yes"
    "$GV" -c "$d/gv.conf" mapping check > "$d/mapping.out" 2>&1 ||
        { fail "$engine: mapping check: $(cat "$d/mapping.out")"; return; }
    "$GV" -c "$d/gv.conf" db migrate > /dev/null || { fail "$engine: migrate"; return; }

    # Account check over HTTPS, every typing.
    gvt_daemon_start "$d/gv.conf" "$d/daemon.log"
    out=$(gvt_client check --expect "$dir/accounts.csv" --site c \
        --fixture "$SITES/accounts.csv") || fail "$engine: account check: $(echo "$out" | head -20)"
    echo "   account check: $(echo "$out" | tail -1)"
    gvt_daemon_stop || fail "$engine: daemon exit status"
    if grep -qE 'Жандосова|Касымович|Самал-2' "$d/daemon.log"; then
        fail "$engine: the log holds personal data"
    fi

    # Intake, one part after the other in this engine's order.
    "$GV" -c "$d/gv.conf" ingest "$1" > "$d/ingest.out" 2>&1 &&
        "$GV" -c "$d/gv.conf" ingest "$2" >> "$d/ingest.out" 2>&1 ||
        { fail "$engine: ingest: $(tail -5 "$d/ingest.out")"; return; }
    $q "SELECT voucher_id, account_typed, account_norm, activated_at, COALESCE(status, ''),
        COALESCE(reason, '') FROM gv_occurrence WHERE period = '2025-09' AND standing = 1
        ORDER BY voucher_id" > "$d/outcomes.tsv"
    out=$(r7 "$engine" "$d") || fail "$engine: R7: $out"
    echo "   intake:$(cut -f5,6 "$d/outcomes.tsv" | sort | uniq -c | tr -s ' \t\n' '   ')"
    echo "   R7: $out"

    # A bill the utility put into the import table by hand, for an account
    # that is billed otherwise.
    hand=$("$GVT_PYTHON" - "$d/expect.csv" "$d/outcomes.tsv" <<'PY'
import csv, sys
billed = {r["number"] for r in csv.DictReader(open(sys.argv[1])) if r["status"] == "BILLED"}
for l in open(sys.argv[2], encoding="utf-8"):
    vid, _, norm, _, status, _ = l.rstrip("\n").split("\t")
    if status == "ACCEPTED" and norm in billed:
        print(norm, vid); break
PY
) || true
    set -- $hand
    [ $# = 2 ] || { fail "$engine: no billable account for a hand-written bill"; return; }
    hand=$1 conflict=$2
    $q "INSERT INTO import_nachisleniy (nomer_ls, period, obem, tarif_tiyn, summa_tiyn,
        skidka_tiyn, k_oplate_tiyn, vaucher, sozdano, status) VALUES ('$hand', '202509',
        10.000, 5000000, 56000, 0, 56000, NULL, '2025-09-29 10:00:00', 'ЗАГРУЖЕН')" > /dev/null

    # A dry run writes nothing.
    "$GV" -c "$d/gv.conf" "${NOW[@]}" bill --period 2025-09 --dry-run > "$d/dry.out" 2>&1 ||
        fail "$engine: dry run: $(tail -3 "$d/dry.out")"
    grep -q '^BILL ' "$d/dry.out" && grep -q 'INSERT INTO import_nachisleniy' "$d/dry.out" ||
        fail "$engine: the dry run prints no bills or SQL"
    [ "$($q "SELECT COUNT(*) FROM gv_bill")" = 0 ] || fail "$engine: the dry run wrote gv_bill rows"
    [ "$($q "SELECT COUNT(*) FROM import_nachisleniy")" = 1 ] || fail "$engine: the dry run wrote bills"

    billrun bill1 "${NOW[@]}"
    out=$(bills "$q" "$d" complete "$hand" "$conflict") || fail "$engine: bills: $out"
    echo "   bills: $out"
    [ "$($q "SELECT COUNT(*) FROM import_nachisleniy WHERE vaucher IS NOT NULL AND status <> 'НОВЫЙ'")" = 0 ] ||
        fail "$engine: gasvoucher's import rows are not all НОВЫЙ"

    # The import program takes them; the next run has nothing to bill.
    $q "UPDATE import_nachisleniy SET status = 'ЗАГРУЖЕН', zagruzheno = '2025-09-30 20:00:00'
        WHERE status = 'НОВЫЙ'" > /dev/null
    billrun bill2 "${NOW[@]}"
    grep -Eq '^  billed +0$' "$d/bill2.out" || fail "$engine: the second run billed again"

    # R20: September's end value of a Pending NO_METER_READING account
    # arrives late: the August value + 42.5 m3.
    late=$($q "SELECT b.account FROM gv_bill b JOIN schetchik s ON s.nomer_ls = b.account
        JOIN pokazaniya_god g ON g.schetchik_id = s.id AND g.god = 2025
        WHERE b.status = 'PENDING' AND b.reason = 'NO_METER_READING' AND s.snyat IS NULL
          AND g.m08 IS NOT NULL AND g.m09 IS NULL ORDER BY b.account LIMIT 1")
    if [ -z "$late" ]; then
        fail "$engine: no Pending NO_METER_READING voucher with an August value (R20 untested)"
    else
        $q "UPDATE pokazaniya_god SET m09 = m08 + 42.5 WHERE god = 2025 AND schetchik_id =
            (SELECT id FROM schetchik WHERE nomer_ls = '$late' AND snyat IS NULL)" > /dev/null
        billrun bill3 --now 2025-10-01T06:00:00+05:00
        grep -q 'redemption report .*: 1 redeemed' "$d/bill3.out" || fail "$engine: the late bill's report"
        # The late bill, computed here from the program file.
        "$GVT_PYTHON" - "$dir/expect.csv" "$late" "$top_srcdir/contrib/program.ini" "$SITES" \
            > "$d/expect.csv" <<'PY'
import csv, sys
path, late, program, sites = sys.argv[1:5]
sys.path.insert(0, sites)
import readings
prog, day = readings.Program(program), "2025-09-01"
region = "KZ-" + late[:2]
pct, cap = prog.pwc_for(region, day)
net, vat, charge, disc, due = readings.bill(42500, prog.price(region, day), prog.vat_bp(day), pct, cap)
rows = list(csv.DictReader(open(path)))
w = csv.DictWriter(sys.stdout, fieldnames=rows[0].keys(), lineterminator="\n")
w.writeheader()
for r in rows:
    if r["number"] == late:
        r.update(status="BILLED", reason="", volume_milli=42500, price_tiyn=prog.price(region, day),
                 vat_bp=prog.vat_bp(day), net_tiyn=net, vat_tiyn=vat, charge_tiyn=charge,
                 discount_tiyn=disc, due_tiyn=due)
    w.writerow(r)
PY
        out=$(bills "$q" "$d" complete "$hand" "$conflict") || fail "$engine: bills after R20: $out"
        echo "   late reading of $late billed; bills: $out"
        [ "$($q "SELECT status FROM import_nachisleniy WHERE nomer_ls = '$late'")" = НОВЫЙ ] ||
            fail "$engine: the late bill's import row is not НОВЫЙ"
    fi

    # The reconciliation report's voucher register (CSV, amounts in tiyn):
    # billed vouchers, charge, discount and due as the import table holds
    # them.  Exit 4: Pending past the deadline and a conflict need a person.
    local got want rc=0
    rm -rf "$d/report"
    "$GV" -c "$d/gv.conf" "${NOW[@]}" report --period 2025-09 --format csv --lang en \
        --output "$d/report" > "$d/report.out" 2>&1 || rc=$?
    [ "$rc" = 4 ] || fail "$engine: report ended $rc, not 4: $(tail -3 "$d/report.out")"
    got=$($GVT_PYTHON - "$top_srcdir/tests/sites" "$d/report/vouchers.csv" <<'PY'
import sys
sys.path.insert(0, sys.argv[1])
import check_report as c
_, rows = c.read_csv(sys.argv[2], False)
billed = [r for r in rows if r[c.V_CHARGE]]
print(len(billed), "%.2f %.2f %.2f" % tuple(sum(int(r[k]) for r in billed) / 100
                                          for k in (c.V_CHARGE, c.V_DISCOUNT, c.V_DUE)))
PY
)
    want=$($q "SELECT COUNT(*), SUM(summa_tiyn), SUM(skidka_tiyn), SUM(k_oplate_tiyn)
        FROM import_nachisleniy WHERE vaucher IS NOT NULL" |
        awk -F'\t' '{printf "%s %.2f %.2f %.2f\n", $1, $2 / 100, $3 / 100, $4 / 100}')
    [ -n "$got" ] && [ "$got" = "$want" ] ||
        fail "$engine: the report's bills '$got', the import table's '$want'"
    [ -s "$d/report/conflicts.csv" ] && [ "$(wc -l < "$d/report/conflicts.csv")" -gt 1 ] ||
        fail "$engine: the report shows no conflict"

    # What is compared across engines.
    $q "SELECT voucher_id, status, COALESCE(reason, ''), COALESCE(volume_milli, 0),
        COALESCE(due_tiyn, 0) FROM gv_bill WHERE period = '2025-09' ORDER BY voucher_id" \
        > "$d/gv_bill.sorted"
    cut -f1,5,6 "$d/outcomes.tsv" > "$d/outcomes.cmp"
}

sqlite_q() { sqlite3 -separator $'\t' "$dir/site-c.db" "$1"; }
pg_q() { gvt_pg_sql "$dir" -c "$1"; }
maria_q() { gvt_maria_sql "$dir" -e "$1"; }

gvt_sqlite_create "$dir/site-c.db"
gvt_load_site c sqlite "$dir/site-c.db" --random $N --seed $SEED
sqlite3 -bail "$dir/site-c.db" < "$dir/readings.sqlite.sql"
run sqlite "$GVT_SQLITE_CONN" sqlite_q "$part1" "$part2"

gvt_pg_start "$dir"
gvt_load_site c postgresql "$dir" --random $N --seed $SEED
gvt_pg_sql "$dir" < "$dir/readings.postgresql.sql" > /dev/null
run postgresql "$GVT_PG_CONN" pg_q "$part2" "$part1"
gvt_pg_stop "$dir"

gvt_maria_start "$dir"
gvt_load_site c mariadb "$dir" --random $N --seed $SEED
gvt_maria_sql "$dir" < "$dir/readings.mariadb.sql" > /dev/null
run mariadb "$GVT_MARIA_CONN" maria_q "$part1" "$part2"
gvt_maria_stop "$dir"

for engine in postgresql mariadb; do
    for f in outcomes.cmp gv_bill.sorted; do
        [ -f "$dir/$engine/$f" ] && [ -f "$dir/sqlite/$f" ] ||
            { fail "$engine: no $f to compare"; continue; }
        cmp -s "$dir/sqlite/$f" "$dir/$engine/$f" ||
            fail "$engine's $f differs from sqlite's: $(diff "$dir/sqlite/$f" "$dir/$engine/$f" | head -5)"
    done
done
gvt_end "site-c on sqlite, postgresql and mariadb: account check, intake (R7 across typings), bills equal the independent computation, R20, the report"
