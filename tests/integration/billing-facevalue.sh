#!/usr/bin/env bash
# A face-value period (rules.md R17) on SQLite, PostgreSQL and MariaDB,
# site-a and site-b: the program file puts the face_value rule in force for
# 2025-09, and about 60 % of the vouchers carry a NominalTiyn.  No single
# voucher stops the run:
#   run 1  every voucher with a face value is billed exactly as an
#          independent computation says (tests/sites/face_expect.py:
#          discount = min(face value, charge)); those without one are Pending
#          NO_FACE_VALUE (NO_TARIFF still first) in the XSD-valid redemption
#          report and the summary; one voucher whose bill the site refuses
#          (a trigger or CHECK) is CONFLICT SITE_REFUSED, one whose values
#          the site gives wrong (site-a: negative residents; site-b: a
#          reading of an unknown kind) is CONFLICT SITE_VALUE; exit 4.
#   run 2  a day later, both put right and two late closing readings: the
#          two conflicts and the NO_METER_READING voucher with a face value
#          are billed, the one without stays NO_FACE_VALUE (retried, R20,
#          and never billed without one); the report carries only the new.
#   run 3  after pending_deadline_days: the Pending ones are no longer tried.
# On SQLite site-a also: a program file without VAT for the period stops the
# run before anything is written; a site that refuses every bill stops the
# run after the first 20 refusals, naming the cause; text in an INTEGER
# column (which the driver would read as 0) is SITE_VALUE.
#   next month: a voucher whose part 2 (no face value) arrived first is
#          Pending NO_FACE_VALUE in a run on the incomplete list; part 1
#          then brings the same id with a face value, which stands (R7: the
#          lower part's content, whatever the order of arrival), and the
#          next run bills it with that face value.  (The other way round,
#          a face value in a later part number, R7 keeps the first content:
#          no face value, so nothing to bill.)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/db.sh"
. "$here/../lib/bills.sh"
. "$here/../lib/certs.sh"
. "$here/../lib/daemon.sh"

gvt_begin billing-facevalue
GV=$top_builddir/gasvoucher
SIM="$GVT_PYTHON $top_srcdir/contrib/wallet-sim"
BIN=990340001234
N=600
SEED=23
t_start=$(date +%s)

# The program: the shipped one with face_value in force from 2025-09-01.
PROGRAM=$dir/program-face.ini
sed 's/^2025-08-01 = percent_within_cap$/&\n2025-09-01 = face_value/' \
    "$top_srcdir/contrib/program.ini" > "$PROGRAM"
grep -q '^2025-09-01 = face_value$' "$PROGRAM" || fail "program-face.ini: no face_value line"
# The same without VAT until after the period: a configuration error.
sed 's/^2009-01-01 = 12$/2025-10-01 = 12/' "$PROGRAM" > "$dir/program-novat.ini"

# The vouchers: one for every account the wallet would find, 60 % with a
# face value, in two parts.
$GVT_PYTHON "$top_srcdir/tests/sites/gen.py" --site a --engine sqlite --random $N --seed $SEED \
    --expect "$dir/accounts.csv" > /dev/null
grep ',FOUND$' "$dir/accounts.csv" | cut -d, -f1 > "$dir/found.csv"
$SIM gen --bin $BIN --period 2025-09 --accounts "$dir/found.csv" --count "$(wc -l < "$dir/found.csv")" \
    --parts 2 --nominal-frac 0.6 --seed facevalue --out "$dir/xml" --expect "$dir/vouchers.csv" \
    --sign-cert "$dir/certs/wallet-signer.pem" --sign-key "$dir/certs/wallet-signer.key" > /dev/null
grep -c '<NominalTiyn>' "$dir"/xml/*.xml > /dev/null || fail "wallet-sim gave no voucher a face value"

gvt_pg_start "$dir"
gvt_maria_start "$dir"

# ---- helpers ---------------------------------------------------------------

q() {
    case $engine in
        sqlite) sqlite3 -batch -noheader -separator $'\t' "$dir/$site.db" "$1" ;;
        postgresql) gvt_pg_sql "$dir" -c "$1" ;;
        mariadb) gvt_maria_sql "$dir" -e "$1" ;;
    esac
}
qin() {
    case $engine in
        sqlite) sqlite3 -batch -bail "$dir/$site.db" > /dev/null ;;
        postgresql) gvt_pg_sql "$dir" > /dev/null ;;
        mariadb) gvt_maria_sql "$dir" > /dev/null ;;
    esac
}
# Exact text of a column, never a float (SQLite keeps NUMERIC as REAL).
dec() { gvt_sql_text "$engine" "$1" "$2"; } # EXPR SCALE
int() { gvt_sql_text "$engine" "$1"; } # EXPR

# bill NAME NOW [PROGRAM]: one run; rc and the output in $d/NAME.out.
bill() {
    local conf=$d/gv.conf
    if [ -n "${3:-}" ]; then
        sed "s|^program = .*|program = $3|" "$d/gv.conf" > "$d/gv-$1.conf"
        conf=$d/gv-$1.conf
    fi
    rc=0
    timeout 120 "$GV" -c "$conf" --now "$2" bill --period 2025-09 --no-send > "$d/$1.out" 2>&1 || rc=$?
}
# summary NAME LABEL: the number on the summary line LABEL ("" when none).
summary() { sed -n "s/^ \{2,4\}$2 \{2,\}\([0-9]*\)$/\1/p" "$d/$1.out"; }

# check LABEL EXPECT: the database and the reports against the expectation.
check() {
    local label=$1 expect=$2 out=$d/check-$1
    mkdir -p "$out"
    q "SELECT voucher_id, account_norm FROM gv_occurrence WHERE period = '2025-09'
        AND status = 'ACCEPTED' AND standing = 1" > "$out/accepted.tsv"
    q "$(gvt_gv_bill_sql "$engine" 2025-09)" > "$out/gv_bill.tsv"
    q "$(gvt_bills_sql "$site" "$engine")" > "$out/bills.tsv"
    q "SELECT msg_id, body_name FROM gv_outbox WHERE kind = 'RedemptionReport'
        AND period = '2025-09' ORDER BY created_at, msg_id" > "$out/outbox.tsv"
    gvt_bills_check "$out" "$d/spool/outbox" "$site" "$expect" "$label" "$label" reported
}

# refuse on|off ACCOUNT: the site refuses the bill of one account (a
# trigger's own error on SQLite and PostgreSQL, a CHECK on MariaDB).  The
# trigger's message is long and Cyrillic, as a site's would be: cut to fit
# gv_bill.detail, it must still be written as well-formed UTF-8.
AUDIT='account under audit: лицевой счёт на проверке у контролёра, начисления по нему запрещены до окончания проверки'
refuse() {
    local table=nachislenie col=lic_schet val="'$2'"
    if [ "$site" = b ]; then
        table=invoices col=customer_id
        val=$(q "SELECT id FROM customers WHERE account_no = $2")
    fi
    case $engine-$1 in
        sqlite-on) q "CREATE TRIGGER gvt_audit BEFORE INSERT ON $table WHEN NEW.$col = $val
            BEGIN SELECT RAISE(ABORT, '$AUDIT'); END" > /dev/null ;;
        sqlite-off) q "DROP TRIGGER gvt_audit" > /dev/null ;;
        postgresql-on) qin <<SQL ;;
CREATE FUNCTION gvt_audit_fn() RETURNS trigger LANGUAGE plpgsql AS \$\$
BEGIN
    IF NEW.$col = $val THEN
        RAISE EXCEPTION '$AUDIT';
    END IF;
    RETURN NEW;
END \$\$;
CREATE TRIGGER gvt_audit BEFORE INSERT ON $table FOR EACH ROW EXECUTE FUNCTION gvt_audit_fn();
SQL
        postgresql-off) q "DROP TRIGGER gvt_audit ON $table; DROP FUNCTION gvt_audit_fn()" > /dev/null ;;
        mariadb-on) q "ALTER TABLE $table ADD CONSTRAINT gvt_audit CHECK ($col <> $val)" > /dev/null ;;
        mariadb-off) q "ALTER TABLE $table DROP CONSTRAINT gvt_audit" > /dev/null ;;
    esac
}

# reset: no bills, no billing records, no reports (the vouchers stay).
reset() { gvt_bills_reset "$site" "$d/spool/outbox" q; }

count_bills() {
    if [ "$site" = a ]; then q "SELECT COUNT(*) FROM nachislenie"; else q "SELECT COUNT(*) FROM invoices"; fi
}

# ---- one engine and site ----------------------------------------------------

period() {
    engine=$1 site=$2 label="$1 site-$2"
    d=$dir/$engine-$site
    mkdir -p "$d"
    local target=$dir conn
    case $engine in
        sqlite) target=$dir/$site.db; gvt_sqlite_create "$target"; conn=$GVT_SQLITE_CONN ;;
        postgresql) conn=$GVT_PG_CONN ;;
        mariadb) conn=$GVT_MARIA_CONN ;;
    esac
    echo "== $label"
    gvt_load_site "$site" "$engine" "$target" --random $N --seed $SEED
    "$GVT_PYTHON" "$top_srcdir/tests/sites/readings.py" --site "$site" --engine "$engine" \
        --period 2025-09 --random $N --seed $SEED --program "$PROGRAM" | qin
    "$GVT_PYTHON" "$top_srcdir/tests/sites/face_expect.py" --site "$site" --random $N --seed $SEED \
        --period 2025-09 --program "$PROGRAM" --vouchers "$dir/vouchers.csv" --out "$d/exp" ||
        fail "$label: face_expect.py"
    . "$d/exp/picks.sh"
    [ "$NFACE" -gt 0 ] && [ "$BILLED1" -gt 0 ] || fail "$label: the expectation has no NO_FACE_VALUE or no bill"
    gvt_bills_conf "$d/gv.conf" "$conn" "$site" "$dir/certs" "$d/spool" "program = $PROGRAM
chunk = 37"
    "$GV" -c "$d/gv.conf" db migrate > /dev/null || fail "$label: migrate"
    "$GV" -c "$d/gv.conf" ingest "$dir"/xml/*.xml > "$d/ingest.out" 2>&1 ||
        fail "$label: ingest: $(cat "$d/ingest.out")"

    if [ "$engine-$site" = sqlite-a ]; then
        # What concerns every voucher stops the run before anything is written.
        bill novat 2025-09-30T18:00:00+05:00 "$dir/program-novat.ini"
        [ "$rc" = 1 ] || fail "$label: a program without VAT for the period ended $rc, not 1"
        grep -q 'no VAT rate in force on 2025-09-01.*nothing was billed' "$d/novat.out" ||
            fail "$label: no clear error for the missing VAT: $(head -3 "$d/novat.out")"
        [ "$(q "SELECT COUNT(*) FROM gv_bill")$(count_bills)" = 00 ] ||
            fail "$label: the run without VAT wrote something"
        # A site that refuses every bill is not one voucher's problem.
        q "CREATE TRIGGER gvt_all BEFORE INSERT ON nachislenie
            BEGIN SELECT RAISE(ABORT, 'bills are closed'); END" > /dev/null
        bill refuseall 2025-09-30T18:00:00+05:00
        q "DROP TRIGGER gvt_all" > /dev/null
        [ "$rc" = 1 ] || fail "$label: a site refusing every bill: exit $rc, not 1"
        grep -q 'refused each of the first 2[0-9] bills of the run and took none (first: SQLSTATE [^:]*: .*bills are closed' "$d/refuseall.out" ||
            fail "$label: no clear error when every bill is refused: $(grep -v conflict: "$d/refuseall.out" | head -3)"
        [ "$(count_bills)" = 0 ] || fail "$label: bills written although the site refused them"
        [ "$(q "SELECT COUNT(*) FROM gv_bill WHERE status = 'CONFLICT' AND reason = 'SITE_REFUSED'")" -ge 20 ] ||
            fail "$label: the refused vouchers are not recorded as conflicts"
        reset
        # SQLite keeps text in an INTEGER column, and its driver reads it as 0
        # residents: billing reads integers as text, so that is SITE_VALUE.
        q "UPDATE abonent SET kol_prozhiv = 'abc' WHERE lic_schet = '$Y'"
        bill textres 2025-09-30T18:00:00+05:00
        [ "$rc" = 4 ] && grep -q "account $Y: SITE_VALUE: .*gave residents 'abc', not a number" "$d/textres.out" ||
            fail "$label: residents 'abc' should hold $Y as SITE_VALUE: $(grep -v '^  ' "$d/textres.out" | head -3)"
        head -1 "$d/exp/fix.sql" | qin
        reset
    fi

    # A dry run shows the Pending NO_FACE_VALUE vouchers and writes nothing.
    "$GV" -c "$d/gv.conf" --now 2025-09-30T18:00:00+05:00 bill --period 2025-09 --dry-run > "$d/dry.out" 2>&1 ||
        fail "$label: dry run: $(tail -3 "$d/dry.out")"
    [ "$(grep -c '^PENDING .*: NO_FACE_VALUE ' "$d/dry.out")" = "$NFACE" ] ||
        fail "$label: the dry run shows $(grep -c '^PENDING .*: NO_FACE_VALUE ' "$d/dry.out") NO_FACE_VALUE, expected $NFACE"
    [ "$(q "SELECT COUNT(*) FROM gv_bill")" = 0 ] || fail "$label: the dry run wrote gv_bill rows"

    # Run 1: one bill the site refuses, one account with a value billing
    # cannot use; everything else billed or Pending, exit 4.
    refuse on "$X"
    qin < "$d/exp/break.sql"
    bill run1 2025-09-30T18:00:00+05:00
    [ "$rc" = 4 ] || fail "$label: run 1 ended $rc, not 4: $(head -c 1500 "$d/run1.out")"
    grep -Eq "^bill 2025-09: conflict: voucher [^ ]+, account 0*$X: SITE_REFUSED: the billing database refused this bill .*(account under audit|gvt_audit)" "$d/run1.out" ||
        fail "$label: run 1 names no SITE_REFUSED conflict for $X: $(grep conflict "$d/run1.out" | head -3)"
    grep -Eq "^bill 2025-09: conflict: voucher [^ ]+, account 0*$Y: SITE_VALUE: " "$d/run1.out" ||
        fail "$label: run 1 names no SITE_VALUE conflict for $Y: $(grep conflict "$d/run1.out" | head -3)"
    [ "$(summary run1 billed)" = "$BILLED1" ] && [ "$(summary run1 pending)" = "$PENDING1" ] &&
        [ "$(summary run1 NO_FACE_VALUE)" = "$NFACE" ] && [ "$(summary run1 conflicts)" = 2 ] ||
        fail "$label: run 1's summary, expected $BILLED1 billed, $PENDING1 pending ($NFACE NO_FACE_VALUE), 2 conflicts: $(cat "$d/run1.out" | grep -v conflict:)"
    grep -q "redemption report .*: $BILLED1 redeemed, $PENDING1 pending" "$d/run1.out" ||
        fail "$label: run 1's report: $(grep 'redemption report' "$d/run1.out")"
    check "$label run 1" "$d/exp/expect1.csv"

    # Run 2, a day later: both put right, two late closing readings.
    refuse off "$X"
    qin < "$d/exp/fix.sql"
    bill run2 2025-10-01T06:00:00+05:00
    [ "$rc" = 0 ] || fail "$label: run 2 ended $rc: $(head -c 1500 "$d/run2.out")"
    grep -q ": $((PENDING1 + 2)) vouchers looked at" "$d/run2.out" ||
        fail "$label: run 2 did not retry the $PENDING1 Pending and 2 conflicting vouchers: $(head -1 "$d/run2.out")"
    [ "$(summary run2 billed)" = 3 ] && [ "$(summary run2 NO_FACE_VALUE)" = "$NFACE" ] ||
        fail "$label: run 2 should bill 3 and keep $NFACE NO_FACE_VALUE: $(cat "$d/run2.out")"
    grep -q "redemption report .*: 3 redeemed, 0 pending" "$d/run2.out" ||
        fail "$label: run 2's report: $(grep 'redemption report' "$d/run2.out")"
    [ "$(q "SELECT status, reason FROM gv_bill WHERE account = '$L2'")" = "PENDING"$'\t'"NO_FACE_VALUE" ] ||
        fail "$label: $L2 has a closing reading now but no face value: it must stay NO_FACE_VALUE"
    check "$label run 2" "$d/exp/expect2.csv"

    # Run 3, past the deadline: the Pending vouchers are no longer retried.
    bill run3 2025-11-01T06:00:00+05:00
    [ "$rc" = 0 ] || fail "$label: run 3 ended $rc: $(head -c 800 "$d/run3.out")"
    grep -q ": 0 vouchers looked at" "$d/run3.out" && [ "$(summary run3 'pending, past deadline')" = "$PENDING2" ] ||
        fail "$label: run 3 (past the deadline) should look at nothing and name $PENDING2 Pending: $(cat "$d/run3.out")"
    grep -q 'redemption report' "$d/run3.out" && fail "$label: run 3 sent a report"
    check "$label run 3" "$d/exp/expect2.csv"

    next_month
}

# next_month: the voucher that a lower part, arriving later, gives a face value.
next_month() {
    local p yyyymm=${NEXT/-/} f got
    mkdir -p "$d/next"
    for p in 1 2; do
        f=$d/next/GVB-$BIN-$yyyymm-00$p.xml
        cat > "$f" <<XML
<?xml version="1.0" encoding="UTF-8"?>
<VoucherBatch xmlns="urn:socialwallet:gas-voucher:v1"
    batchId="GVB-$BIN-$yyyymm-00$p" providerBin="$BIN" period="$NEXT"
    createdAt="$NEXT-30T00:0$p:00+05:00" part="$p" parts="2" voucherCount="1">
  <Voucher id="GV-$yyyymm-FACE0001">
    <Account>$Z_TYPED</Account>
    <ActivatedAt>$NEXT-08T10:00:00+05:00</ActivatedAt>
    <Channel>EGOV_MOBILE</Channel>
    <AssistanceType>TSA</AssistanceType>
$([ "$p" != 1 ] || echo "    <NominalTiyn>$NEXT_FACE</NominalTiyn>")
  </Voucher>
</VoucherBatch>
XML
        $SIM sign --cert "$dir/certs/wallet-signer.pem" --key "$dir/certs/wallet-signer.key" "$f" > /dev/null
    done
    "$GV" -c "$d/gv.conf" ingest "$d/next/GVB-$BIN-$yyyymm-002.xml" > "$d/next/ingest2.out" 2>&1 ||
        fail "$label $NEXT: ingest part 2: $(cat "$d/next/ingest2.out")"
    rc=0
    "$GV" -c "$d/gv.conf" --now "$NEXT-30T18:00:00+05:00" bill --period "$NEXT" --allow-partial \
        --no-send > "$d/next/bill1.out" 2>&1 || rc=$?
    [ "$rc" = 0 ] && [ "$(summary next/bill1 NO_FACE_VALUE)" = 1 ] ||
        fail "$label $NEXT: part 2 alone should leave the voucher NO_FACE_VALUE: $(cat "$d/next/bill1.out")"
    "$GV" -c "$d/gv.conf" ingest "$d/next/GVB-$BIN-$yyyymm-001.xml" > "$d/next/ingest1.out" 2>&1 ||
        fail "$label $NEXT: ingest part 1: $(cat "$d/next/ingest1.out")"
    rc=0
    "$GV" -c "$d/gv.conf" --now "$NEXT-31T10:00:00+05:00" bill --period "$NEXT" --no-send \
        > "$d/next/bill2.out" 2>&1 || rc=$?
    [ "$rc" = 0 ] && [ "$(summary next/bill2 billed)" = 1 ] ||
        fail "$label $NEXT: part 1's face value should bill the voucher: $(cat "$d/next/bill2.out")"
    got=$(q "SELECT $(int volume_milli), $(int price_tiyn), $(int vat_bp), $(int net_tiyn),
        $(int vat_tiyn), $(int charge_tiyn), $(int discount_tiyn), $(int due_tiyn) FROM gv_bill
        WHERE period = '$NEXT' AND voucher_id = 'GV-$yyyymm-FACE0001' AND status = 'BILLED'" | tr '\t' ' ')
    [ "$got" = "$NEXT_EXPECT" ] || fail "$label $NEXT: the bill is '$got', expected '$NEXT_EXPECT'"
    if [ "$site" = a ]; then
        got=$(q "SELECT $(dec skidka 2), $(dec k_oplate 2) FROM nachislenie WHERE period = '$yyyymm'" | tr '\t' ' ')
    else
        got=$(q "SELECT $(int -dl.amount_tiyn), $(int i.total_tiyn) FROM invoices i
            JOIN invoice_lines dl ON dl.invoice_id = i.id AND dl.line_type = 'VOUCHER_DISCOUNT'
            WHERE i.period_start = '$NEXT-01'" | tr '\t' ' ')
    fi
    "$GVT_PYTHON" - "$got" "$NEXT_EXPECT" "$site" <<'PY' || fail "$label $NEXT: the site's bill: $got"
import sys
from decimal import Decimal
got, want, site = sys.argv[1].split(), sys.argv[2].split(), sys.argv[3]
scale = 100 if site == "a" else 1
sys.exit(len(got) != 2 or [int(Decimal(g) * scale) for g in got] != [int(want[6]), int(want[7])])
PY
    for f in "$d"/spool/outbox/RR-*.xml; do
        xmllint --noout --schema "$top_srcdir/src/msg/wallet-gas-voucher-v1.xsd" "$f" 2> /dev/null ||
            fail "$label $NEXT: $(basename "$f") is not valid"
    done
    grep -l "period=\"$NEXT\"" "$d"/spool/outbox/RR-*.xml | xargs grep -h '<Pending \|<Redeemed ' |
        sed 's/.*<\(Pending\|Redeemed\) voucherId="\([^"]*\)".*\(reason="[A-Z_]*"\|discountTiyn="[0-9]*"\).*/\1 \2 \3/' |
        sort > "$d/next/reported"
    printf 'Pending GV-%s-FACE0001 reason="NO_FACE_VALUE"\nRedeemed GV-%s-FACE0001 discountTiyn="%s"\n' \
        "$yyyymm" "$yyyymm" "$(echo "$NEXT_EXPECT" | cut -d' ' -f7)" | sort | cmp -s - "$d/next/reported" ||
        fail "$label $NEXT: the reports carry $(cat "$d/next/reported")"
    echo "   ok $label $NEXT: a face value from a later-arriving part 1 billed: $NEXT_EXPECT"
}

# Site-a and site-b share the server databases (different tables);
# gasvoucher's own tables are emptied between the sites.
for site in a b; do
    for engine in sqlite postgresql mariadb; do
        [ "$engine" = sqlite ] || [ "$site" = a ] || gvt_gv_clear q
        period "$engine" "$site"
    done
done

gvt_end "billing-facevalue: face-value periods billed exactly, NO_FACE_VALUE Pending and retried, one voucher never stops a run, on sqlite, postgresql and mariadb, site-a and site-b ($(( $(date +%s) - t_start )) s)"
