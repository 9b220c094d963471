# shellcheck shell=bash
# tests/lib/bills.sh - the site's bills as billing tests compare them, on
# SQLite, PostgreSQL and MariaDB.  Source it after db.sh:
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
#   gvt_bills_reset SITE OUTBOX QUERY...
#        no bills, no gv_bill and gv_run rows, no RedemptionReport outbox
#        rows or OUTBOX/RR-* files (the vouchers stay); every statement is
#        run as `QUERY... SQL`, e.g. `q` or `q postgresql`

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
