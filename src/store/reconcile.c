/* reconcile.c - the period's reconciliation (see reconcile.h). */
#include "config.h"
#include "reconcile.h"

#include <string.h>

#include "money.h"

/* Runs sql with the period bound to every '?' and prints each row through
 * fmt-like column kinds: 't' text, 'n' number, 'm' money in tiyn. */
static int print_rows(gv_db_t *db, const char *sql, int nbind, const char *period,
                      const char *kinds, const char *indent, FILE *out, long *rows,
                      gv_db_error_t *e)
{
    gv_db_stmt_t *st = gv_db_prepare(db, sql, e);
    int row;

    *rows = 0;
    if (!st)
        return -1;
    for (int i = 1; i <= nbind; i++)
        if (gv_db_bind_text(st, i, period, e) < 0)
            goto fail;
    if (gv_db_execute(st, e) < 0)
        goto fail;
    while ((row = gv_db_fetch(st, e)) == 1) {
        fputs(indent, out);
        for (int c = 0; kinds[c]; c++) {
            char text[256];
            int64_t v;
            int is_null;
            if (kinds[c] == 't') {
                if (gv_db_get_text(st, c + 1, text, sizeof text, &is_null, e) < 0)
                    goto fail;
                fprintf(out, "%-24s", is_null ? "-" : text);
            } else {
                if (gv_db_get_int64(st, c + 1, &v, &is_null, e) < 0)
                    goto fail;
                if (is_null)
                    v = 0;
                if (kinds[c] == 'm') {
                    gv_decimal_format(v, 2, text, sizeof text);
                    fprintf(out, " %16s", text);
                } else {
                    fprintf(out, " %9lld", (long long)v);
                }
            }
        }
        fputc('\n', out);
        (*rows)++;
    }
    gv_db_stmt_free(st);
    return row < 0 ? -1 : 0;
fail:
    gv_db_stmt_free(st);
    return -1;
}

int gv_reconcile_print(gv_db_t *db, const char *period, FILE *out, gv_db_error_t *e)
{
    static const struct section {
        const char *title;
        const char *sql;
        int nbind;
        const char *kinds;
        const char *none;
    } sections[] = {
        { "Voucher lists (batches, parts)",
          "SELECT state, COUNT(*), SUM(voucher_count) FROM gv_batch WHERE period = ?"
          " GROUP BY state ORDER BY state",
          1, "tnn", "no list received" },
        { "Vouchers judged (standing occurrences; R0 reasons)",
          "SELECT CASE WHEN status = 'ACCEPTED' THEN 'ACCEPTED' ELSE reason END, COUNT(*)"
          " FROM gv_occurrence WHERE period = ? AND standing = 1"
          " GROUP BY CASE WHEN status = 'ACCEPTED' THEN 'ACCEPTED' ELSE reason END ORDER BY 1",
          1, "tn", "none" },
        { "Outcomes a later part changed (R7; gasvoucher trail shows each)",
          "SELECT new_outcome, COUNT(*) FROM gv_trail WHERE period = ?"
          " GROUP BY new_outcome ORDER BY 1",
          1, "tn", "none" },
        { "Bills (status, vouchers, charge, discount, amount due; tenge)",
          "SELECT status, COUNT(*), SUM(charge_tiyn), SUM(discount_tiyn), SUM(due_tiyn)"
          " FROM gv_bill WHERE period = ? GROUP BY status ORDER BY status",
          1, "tnmmm", "nothing billed yet" },
        { "Accepted vouchers no billing run has looked at yet",
          "SELECT 'NOT_YET_BILLED', COUNT(*) FROM gv_occurrence o WHERE o.period = ?"
          " AND o.status = 'ACCEPTED' AND o.standing = 1 AND NOT EXISTS (SELECT 1 FROM gv_bill b"
          " WHERE b.period = o.period AND b.account = o.account_norm)",
          1, "tn", "none" },
        { "Pending vouchers by reason (R20: retried by every run until the deadline)",
          "SELECT reason, COUNT(*) FROM gv_bill WHERE period = ? AND status = 'PENDING'"
          " GROUP BY reason ORDER BY reason",
          1, "tn", "none" },
        { "Pending and conflicting vouchers (voucher, account, reason)",
          "SELECT voucher_id, account, reason FROM gv_bill WHERE period = ?"
          " AND status <> 'BILLED' ORDER BY status, reason, account",
          1, "ttt", "none" },
        { "Billed vouchers whose acceptance a later part withdrew (R7; bill stands, check by hand)",
          "SELECT b.voucher_id, b.account, 'BILLED' FROM gv_bill b WHERE b.period = ?"
          " AND b.status = 'BILLED' AND NOT EXISTS (SELECT 1 FROM gv_occurrence o"
          " WHERE o.period = b.period AND o.voucher_id = b.voucher_id"
          " AND o.status = 'ACCEPTED' AND o.standing = 1)",
          1, "ttt", "none" },
        { "Redemption reports (state, reports)",
          "SELECT state, COUNT(*) FROM gv_outbox WHERE period = ?"
          " AND kind = 'RedemptionReport' GROUP BY state ORDER BY state",
          1, "tn", "none sent" },
        { "Billing runs (run, billed, pending, conflicts, discount)",
          "SELECT run_id, billed, pending, conflicts, discount_tiyn FROM gv_run"
          " WHERE period = ? ORDER BY started_at, run_id",
          1, "tnnnm", "none" },
    };

    fprintf(out, "Reconciliation of period %s\n", period);
    for (size_t i = 0; i < sizeof sections / sizeof sections[0]; i++) {
        long rows;
        fprintf(out, "\n%s\n", sections[i].title);
        if (print_rows(db, sections[i].sql, sections[i].nbind, period, sections[i].kinds, "  ",
                       out, &rows, e) < 0)
            return -1;
        if (rows == 0)
            fprintf(out, "  %s\n", sections[i].none);
    }
    return 0;
}
