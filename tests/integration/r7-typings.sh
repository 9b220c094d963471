#!/usr/bin/env bash
# R7 with two typings of one account: an earlier activation typed one way
# and a later one typed another way, in two parts delivered in both orders
# and in one part, on SQLite, PostgreSQL and MariaDB, at every sample site
# and at a site whose mapping leaves the typings apart (its [account] does
# not pad; the site's SQL finds both as one account).  Every time: exactly
# one voucher ACCEPTED, the earliest; the other DUPLICATE_ACCOUNT_PERIOD;
# one bill, for the earliest voucher, under the account as the site keeps it.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/db.sh"
. "$here/../lib/certs.sh"
. "$here/../lib/daemon.sh"

gvt_begin r7typings
GVT_CERTS=$dir/certs
GV=$top_builddir/gasvoucher
BIN=990340001234
NS='xmlns="urn:socialwallet:gas-voucher:v1"'
NOW=(--now 2025-09-30T18:00:00+05:00)
EARLY=GV-202509-7E000001
LATE=GV-202509-7E000002

v() {
    printf '<Voucher id="%s"><Account>%s</Account><ActivatedAt>%s</ActivatedAt>' "$1" "$2" "$3"
    printf '<Channel>EGOV_MOBILE</Channel><AssistanceType>TSA</AssistanceType></Voucher>'
}
# batch FILE PART PARTS VOUCHER-XML...
batch() {
    local file=$1 part=$2 parts=$3 id
    shift 3
    id=$(basename "$file" .xml)
    {
        printf '<?xml version="1.0" encoding="UTF-8"?>\n'
        printf '<VoucherBatch %s batchId="%s" providerBin="%s" period="2025-09" ' "$NS" "$id" "$BIN"
        printf 'createdAt="2025-09-30T00:05:00+05:00" part="%s" parts="%s" voucherCount="%s">\n' \
            "$part" "$parts" "$#"
        printf '%s\n' "$@"
        printf '</VoucherBatch>\n'
    } > "$file"
    gvt_wallet_sign "$file"
}

# The lists for typings T1 (the earlier activation) and T2 (the later):
# in $1/two, part 1 holds the later one and part 2 the earlier; in $1/one
# a single part holds both.
make_lists() {
    local d=$1 t1=$2 t2=$3
    mkdir -p "$d/two" "$d/one"
    batch "$d/two/GVB-$BIN-202509-001.xml" 1 2 "$(v $LATE "$t2" 2025-09-12T09:00:00+05:00)"
    batch "$d/two/GVB-$BIN-202509-002.xml" 2 2 "$(v $EARLY "$t1" 2025-09-10T09:00:00+05:00)"
    batch "$d/one/GVB-$BIN-202509-001.xml" 1 1 "$(v $LATE "$t2" 2025-09-12T09:00:00+05:00)" \
        "$(v $EARLY "$t1" 2025-09-10T09:00:00+05:00)"
}

clear_own="DELETE FROM gv_bill; DELETE FROM gv_run; DELETE FROM gv_outbox; DELETE FROM gv_occurrence;
  DELETE FROM gv_trail; DELETE FROM gv_batch"

# case LABEL ENGINE MAPPING KEY T1 T2 QUERY-FUNCTION CLEAR-BILLS-SQL BILL-SQL
# BILL-SQL prints the voucher of every bill of KEY in the site's tables.
case_r7() {
    local label=$1 engine=$2 mapping=$3 key=$4 t1=$5 t2=$6 q=$7 clear_bills=$8 bill_sql=$9
    local d=$dir/$label order
    make_lists "$d/lists" "$t1" "$t2"
    for order in "1 2" "2 1" "one"; do
        local o=$d/run-${order// /}
        mkdir -p "$o"
        gvt_write_conf "$o/gv.conf" "$conn" "$mapping" "$dir/certs" \
            "$(gvt_intake_ini "$dir/certs" "$o/spool")
[billing]
program = $top_srcdir/contrib/program.ini"
        "$GV" -c "$o/gv.conf" db migrate > /dev/null || { fail "$label: migrate"; continue; }
        $q "$clear_own" > /dev/null
        $q "$clear_bills" > /dev/null
        case $order in
            one) files=("$d/lists/one/GVB-$BIN-202509-001.xml") ;;
            *) files=()
               for p in $order; do files+=("$d/lists/two/GVB-$BIN-202509-00$p.xml"); done ;;
        esac
        for f in "${files[@]}"; do
            "$GV" -c "$o/gv.conf" ingest "$f" >> "$o/ingest.out" 2>&1 ||
                fail "$label order $order: ingest $(basename "$f"): $(tail -2 "$o/ingest.out")"
        done
        got=$($q "SELECT voucher_id, status, COALESCE(reason, '-'), account_norm FROM gv_occurrence
                  WHERE standing = 1 ORDER BY voucher_id" | tr '\t' ' ' | tr '\n' ';')
        want="$EARLY ACCEPTED - $key;$LATE REJECTED DUPLICATE_ACCOUNT_PERIOD $key;"
        [ "$got" = "$want" ] || fail "$label order $order: outcomes '$got', expected '$want'"
        "$GV" -c "$o/gv.conf" "${NOW[@]}" bill --period 2025-09 --no-send > "$o/bill.out" 2>&1 ||
            fail "$label order $order: bill: $(tail -3 "$o/bill.out")"
        got=$($q "$bill_sql" | tr '\n' ' ')
        [ "$got" = "$EARLY " ] || fail "$label order $order: the site's bills of $key carry '$got', expected '$EARLY '"
        got=$($q "SELECT voucher_id, status FROM gv_bill WHERE account = '$key'" | tr '\t' ' ')
        [ "$got" = "$EARLY BILLED" ] || fail "$label order $order: gv_bill '$got'"
    done
    echo "== $label: one accepted (the earliest), one bill, in every order"
}

# rekey LABEL MAPPING Q: tables kept by a version before 3, which keyed
# vouchers by what [account] made of the typed text: the later voucher
# under 61000004, both ACCEPTED.  db migrate moves it to the site's key
# and judges the period again: one ACCEPTED, the change in the trail, a
# revised result for the part that held it.
rekey() {
    local label=$1 mapping=$2 q=$3 o=$dir/$1-rekey got
    mkdir -p "$o"
    gvt_write_conf "$o/gv.conf" "$conn" "$mapping" "$dir/certs" \
        "$(gvt_intake_ini "$dir/certs" "$o/spool")"
    "$GV" -c "$o/gv.conf" db migrate > /dev/null || { fail "$label: migrate"; return; }
    $q "$clear_own" > /dev/null
    "$GV" -c "$o/gv.conf" ingest "$dir/$label/lists/two/"*.xml > "$o/ingest.out" 2>&1 ||
        fail "$label: ingest: $(tail -2 "$o/ingest.out")"
    $q "UPDATE gv_occurrence SET account_norm = '61000004', status = 'ACCEPTED', reason = NULL
        WHERE voucher_id = '$LATE'; DELETE FROM gv_schema WHERE version >= 3" > /dev/null
    results=$($q "SELECT COUNT(*) FROM gv_outbox WHERE ref = 'GVB-$BIN-202509-001'")
    "$GV" -c "$o/gv.conf" "${NOW[@]}" db migrate > "$o/migrate.out" 2>&1 ||
        fail "$label: migrate from version 2: $(cat "$o/migrate.out")"
    grep -q '1 kept under another spelling' "$o/migrate.out" ||
        fail "$label: migrate did not re-key: $(cat "$o/migrate.out")"
    got=$($q "SELECT voucher_id, status, COALESCE(reason, '-'), account_norm FROM gv_occurrence
              WHERE standing = 1 ORDER BY voucher_id" | tr '\t' ' ' | tr '\n' ';')
    [ "$got" = "$EARLY ACCEPTED - 0061000004;$LATE REJECTED DUPLICATE_ACCOUNT_PERIOD 0061000004;" ] ||
        fail "$label: after re-keying: $got"
    [ "$($q "SELECT COUNT(*) FROM gv_trail WHERE voucher_id = '$LATE'
            AND cause_batch LIKE 'db-migrate-%'")" = 1 ] ||
        fail "$label: the change is not in the trail"
    [ "$($q "SELECT COUNT(*) FROM gv_outbox WHERE ref = 'GVB-$BIN-202509-001'")" = $((results + 1)) ] ||
        fail "$label: no revised result for the part that held the later voucher"
    "$GV" -c "$o/gv.conf" "${NOW[@]}" db migrate > "$o/migrate2.out" 2>&1 &&
        ! grep -q 'looked up' "$o/migrate2.out" || fail "$label: a second migrate re-keyed again"
    echo "== $label: rows of a version before 3 re-keyed to the site's key, R7 judged again"
}

# A site-a mapping that keeps what was typed apart (no padding): the site
# pads in its SQL, so 61000004 and 0061000004 are one account only there.
loose_a() { # ENGINE FILE
    local pad
    case $1 in
        sqlite) pad="substr('0000000000' || :account, -10, 10)" ;;
        *) pad="LPAD(:account, 10, '0')" ;;
    esac
    sed -e 's/^match = .*/match = number:digit{1,10}/' -e 's/^output = .*/output = {number}/' \
        -e "s/WHERE lic_schet = :account\$/WHERE lic_schet = $pad/" \
        "$top_srcdir/mappings/site-a.ini" > "$2"
    grep -q "lic_schet = $pad" "$2" || { echo "loose mapping not made" >&2; return 1; }
}

a_bills="SELECT vaucher FROM nachislenie WHERE lic_schet = '0061000004'"
b_bills="SELECT l.reference FROM invoice_lines l JOIN invoices i ON i.id = l.invoice_id
  JOIN customers c ON c.id = i.customer_id WHERE c.account_no = 61000004 AND l.line_type = 'VOUCHER_DISCOUNT'"
a_clear="DELETE FROM nachislenie"
b_clear="DELETE FROM invoice_lines; DELETE FROM invoices"

for engine in sqlite postgresql mariadb; do
    case $engine in
        sqlite) gvt_sqlite_create "$dir/a.db"; gvt_load_site a sqlite "$dir/a.db"
                gvt_sqlite_create "$dir/b.db"; gvt_load_site b sqlite "$dir/b.db"
                qa() { sqlite3 -separator $'\t' "$dir/a.db" "$1"; }
                qb() { sqlite3 -separator $'\t' "$dir/b.db" "$1"; } ;;
        postgresql) gvt_pg_start "$dir"
                qa() { gvt_pg_sql "$dir" -c "$1"; }; qb() { qa "$@"; } ;;
        mariadb) gvt_pg_stop "$dir"; gvt_maria_start "$dir"
                qa() { gvt_maria_sql "$dir" -e "$1"; }; qb() { qa "$@"; } ;;
    esac
    [ "$engine" = sqlite ] || gvt_load_site a $engine "$dir"
    case $engine in sqlite) gvt_sqlite_create "$dir/a.db"; conn=$GVT_SQLITE_CONN ;;
                   postgresql) conn=$GVT_PG_CONN ;; mariadb) conn=$GVT_MARIA_CONN ;; esac
    case_r7 "$engine-a" $engine "$top_srcdir/mappings/site-a.ini" 0061000004 61000004 "0061 000 004" \
        qa "$a_clear" "$a_bills"
    loose_a $engine "$dir/loose-a-$engine.ini"
    case_r7 "$engine-a-loose" $engine "$dir/loose-a-$engine.ini" 0061000004 61000004 0061000004 \
        qa "$a_clear" "$a_bills"
    rekey "$engine-a-loose" "$dir/loose-a-$engine.ini" qa
    [ "$engine" = sqlite ] || gvt_load_site b $engine "$dir"
    if [ "$engine" = sqlite ]; then gvt_sqlite_create "$dir/b.db"; conn=$GVT_SQLITE_CONN; fi
    case_r7 "$engine-b" $engine "$top_srcdir/mappings/site-b.ini" 61000004 0061000004 "610-000-04" \
        qb "$b_clear" "$b_bills"
done
gvt_maria_stop "$dir"
gvt_end "R7 over two typings of one account: one accepted, the earliest billed, on every engine and site"
