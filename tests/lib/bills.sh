# shellcheck shell=bash
# shellcheck disable=SC2154 # top_srcdir (and fail) come from daemon.sh
# tests/lib/bills.sh - the site's bills as billing tests compare them, on
# SQLite, PostgreSQL and MariaDB.  Source it after db.sh, with daemon.sh
# (gvt_bills_check and gvt_bills_conf use its fail and gvt_write_conf):
#
#     . "$here/../lib/bills.sh"
#     q "$(gvt_bills_sql a postgresql)" > "$out/bills.tsv"
#     gvt_bills_reset a "$d/spool/outbox" q
#
#   gvt_sql_text ENGINE EXPR [SCALE]
#        SQL giving the exact text of EXPR, '' for NULL.  With SCALE (a
#        decimal column) SQLite prints that many decimals: it keeps NUMERIC
#        values with decimals as REAL, whose own text would be a float's.
#   gvt_bills_sql SITE ENGINE
#        the SQL exporting every bill of site-a (nachislenie) or site-b
#        (invoices, customers, invoice_lines) in one shape, one row a bill:
#        id, account, voucher, volume, price, charge, discount, due, lines
#        (tests/sites/check_bills.py reads it); site-a has 2 lines a bill
#   gvt_gv_bill_sql ENGINE PERIOD
#        the SQL exporting gasvoucher's gv_bill rows of PERIOD in the shape
#        check_bills.py reads: voucher, account, status, reason, the eight
#        amounts as exact text, bill_ref
#   gvt_bills_reset SITE OUTBOX QUERY...
#        no bills, no gv_bill and gv_run rows, no RedemptionReport outbox
#        rows or OUTBOX/RR-* files (the vouchers stay); every statement is
#        run as `QUERY... SQL`, e.g. `q` or `q postgresql`
#   gvt_gv_clear QUERY...
#        nothing of gasvoucher's own left (vouchers, batches, trail, bills,
#        runs, outbox), so that the next site can share the database; run
#        as `QUERY... SQL` (one string of statements)
#   gvt_bills_check OUT OUTBOX SITE EXPECT LABEL WHO MODE [HAND CONFLICT]
#        every OUTBOX/RR-*.xml valid against the XSD, then the dumps in OUT
#        (accepted.tsv, gv_bill.tsv, bills.tsv, outbox.tsv) against EXPECT
#        by tests/sites/check_bills.py (MODE, HAND, CONFLICT as it takes
#        them); prints "   ok LABEL: " and its summary, or calls fail()
#        (daemon.sh) with "WHO: " and what is wrong; returns 0 either way
#   gvt_bills_conf FILE CONN SITE CERTDIR SPOOL BILLING_INI
#        gvt_write_conf (daemon.sh) for mappings/site-SITE.ini with intake
#        on SPOOL, a [billing] section of the lines BILLING_INI and --now
#        allowed

_gvt_bills_err() {
    echo "bills.sh: $*" >&2
    return 1
}

gvt_sql_text() {
    local engine=${1:-} expr=${2:-} scale=${3:-}
    [ -n "$expr" ] || { _gvt_bills_err "gvt_sql_text: no expression given"; return 1; }
    case $engine in
        postgresql) echo "COALESCE(($expr)::text, '')" ;;
        mariadb) echo "COALESCE(CAST($expr AS CHAR), '')" ;;
        sqlite)
            if [ -n "$scale" ]; then
                echo "CASE WHEN $expr IS NULL THEN '' ELSE printf('%.${scale}f', $expr) END"
            else
                echo "COALESCE(CAST($expr AS TEXT), '')"
            fi ;;
        *) _gvt_bills_err "gvt_sql_text: unknown engine '$engine' (sqlite, postgresql, mariadb)"; return 1 ;;
    esac
}

gvt_bills_sql() {
    local site=${1:-} e=${2:-}
    gvt_sql_text "$e" x > /dev/null || return 1
    case $site in
        a) echo "SELECT $(gvt_sql_text "$e" id), lic_schet, COALESCE(vaucher, ''),
            $(gvt_sql_text "$e" obem 3), $(gvt_sql_text "$e" tarif 2), $(gvt_sql_text "$e" summa 2),
            $(gvt_sql_text "$e" skidka 2), $(gvt_sql_text "$e" k_oplate 2), 2 FROM nachislenie" ;;
        b) echo "SELECT $(gvt_sql_text "$e" i.id), $(gvt_sql_text "$e" c.account_no),
            COALESCE(dl.reference, ''), $(gvt_sql_text "$e" gl.quantity_m3 3),
            $(gvt_sql_text "$e" gl.unit_price_tiyn), $(gvt_sql_text "$e" gl.amount_tiyn),
            $(gvt_sql_text "$e" -dl.amount_tiyn), $(gvt_sql_text "$e" i.total_tiyn),
            (SELECT COUNT(*) FROM invoice_lines l WHERE l.invoice_id = i.id)
            FROM invoices i JOIN customers c ON c.id = i.customer_id
            LEFT JOIN invoice_lines gl ON gl.invoice_id = i.id AND gl.line_type = 'GAS'
            LEFT JOIN invoice_lines dl ON dl.invoice_id = i.id
                AND dl.line_type = 'VOUCHER_DISCOUNT'" ;;
        *) _gvt_bills_err "gvt_bills_sql: unknown site '$site' (a, b)"; return 1 ;;
    esac
}

gvt_gv_bill_sql() {
    local e=${1:-} period=${2:-} c cols=""
    [ -n "$period" ] || { _gvt_bills_err "gvt_gv_bill_sql: ENGINE PERIOD expected"; return 1; }
    for c in volume_milli price_tiyn vat_bp net_tiyn vat_tiyn charge_tiyn discount_tiyn due_tiyn; do
        cols="$cols $(gvt_sql_text "$e" "$c")," || return 1
    done
    echo "SELECT voucher_id, account, status, COALESCE(reason, ''),$cols COALESCE(bill_ref, '')
        FROM gv_bill WHERE period = '$period'"
}

gvt_bills_reset() {
    local site=${1:-} outbox=${2:-} sql
    local -a bills
    case $site in
        a) bills=("DELETE FROM nachislenie") ;;
        b) bills=("DELETE FROM invoice_lines" "DELETE FROM invoices") ;;
        *) _gvt_bills_err "gvt_bills_reset: unknown site '$site' (a, b)"; return 1 ;;
    esac
    if [ -z "$outbox" ] || [ $# -le 2 ]; then
        _gvt_bills_err "gvt_bills_reset: SITE OUTBOX QUERY... expected"; return 1
    fi
    shift 2
    for sql in "${bills[@]}" "DELETE FROM gv_bill" "DELETE FROM gv_run" \
            "DELETE FROM gv_outbox WHERE kind = 'RedemptionReport'"; do
        "$@" "$sql" > /dev/null || { _gvt_bills_err "gvt_bills_reset: site-$site: $sql failed"; return 1; }
    done
    rm -f "$outbox"/RR-*
}

gvt_gv_clear() {
    [ $# -gt 0 ] || { _gvt_bills_err "gvt_gv_clear: QUERY... expected"; return 1; }
    "$@" "DELETE FROM gv_bill; DELETE FROM gv_run; DELETE FROM gv_outbox; DELETE FROM gv_trail;
DELETE FROM gv_occurrence; DELETE FROM gv_batch;" > /dev/null ||
        { _gvt_bills_err "gvt_gv_clear: emptying gasvoucher's tables failed"; return 1; }
}

gvt_bills_check() {
    local out=${1:-} outbox=${2:-} site=${3:-} expect=${4:-} label=${5:-} who=${6:-} f
    if [ $# -lt 7 ]; then
        _gvt_bills_err "gvt_bills_check: OUT OUTBOX SITE EXPECT LABEL WHO MODE [HAND CONFLICT] expected"
        return 1
    fi
    shift 6
    for f in "$outbox"/RR-*.xml; do
        [ -e "$f" ] || continue
        xmllint --noout --schema "$top_srcdir/src/msg/wallet-gas-voucher-v1.xsd" "$f" 2> "$out/xmllint.err" ||
            fail "$who: $(basename "$f") is not valid: $(head -3 "$out/xmllint.err")"
    done
    if "$GVT_PYTHON" "$top_srcdir/tests/sites/check_bills.py" "$out" "$expect" "$outbox" "$site" "$@" \
            > "$out/result"; then
        echo "   ok $label: $(cat "$out/result")"
    else
        fail "$who: $(cat "$out/result")"
    fi
}

gvt_bills_conf() {
    local file=${1:-} conn=${2:-} site=${3:-} certs=${4:-} spool=${5:-} billing=${6:-}
    if [ -z "$billing" ]; then
        _gvt_bills_err "gvt_bills_conf: FILE CONN SITE CERTDIR SPOOL BILLING_INI expected"; return 1
    fi
    gvt_write_conf "$file" "$conn" "$top_srcdir/mappings/site-$site.ini" "$certs" \
        "$(gvt_intake_ini "$certs" "$spool")
[billing]
$billing
[time]
# --now: a pinned clock, for tests only
allow_pinned_now = yes"
}
