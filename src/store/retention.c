/* retention.c - the SQL behind spool retention (retention.h). */
#include "config.h"
#include "retention.h"

#include <stdio.h>

/* A period is billed when no part waits, a run has finished, and every
 * accepted voucher has a BILLED bill whose report the wallet took. */
#define PERIOD_BILLED(b)                                                                  \
    " EXISTS (SELECT 1 FROM gv_run r WHERE r.period = " b ".period)"                      \
    " AND NOT EXISTS (SELECT 1 FROM gv_batch q WHERE q.period = " b ".period"             \
    "   AND q.state <> 'PROCESSED')"                                                      \
    " AND NOT EXISTS (SELECT 1 FROM gv_occurrence o WHERE o.period = " b ".period"        \
    "   AND o.status = 'ACCEPTED' AND o.standing = 1 AND NOT EXISTS ("                    \
    "     SELECT 1 FROM gv_bill x JOIN gv_outbox m ON m.ref = x.report_id"                \
    "     WHERE x.period = o.period AND x.account = o.account_norm AND x.status = 'BILLED'" \
    "     AND m.kind = 'RedemptionReport' AND m.state = 'DELIVERED'))"                    \
    " AND NOT EXISTS (SELECT 1 FROM gv_bill p WHERE p.period = " b ".period"              \
    "   AND p.status <> 'BILLED')"                                                        \
    " AND NOT EXISTS (SELECT 1 FROM gv_outbox n WHERE n.period = " b ".period"            \
    "   AND n.kind = 'RedemptionReport' AND n.state <> 'DELIVERED')"

#define BATCH_DONE(b)                                                                     \
    " " b ".state = 'PROCESSED' AND NOT EXISTS (SELECT 1 FROM gv_outbox m2"               \
    "   WHERE m2.ref = " b ".batch_id AND m2.state <> 'DELIVERED') AND" PERIOD_BILLED(b)

static int list_names(gv_db_t *db, const char *sql, int64_t before, gv_retention_fn fn,
                      void *ud, gv_db_error_t *e)
{
    gv_db_stmt_t *st = gv_db_prepare(db, sql, e);
    int row, stop = 0;

    if (!st)
        return -1;
    if (gv_db_bind_int64(st, 1, before, e) < 0 || gv_db_execute(st, e) < 0) {
        gv_db_stmt_free(st);
        return -1;
    }
    while (!stop && (row = gv_db_fetch(st, e)) == 1) {
        char name[128];
        int is_null;
        if (gv_db_get_text(st, 1, name, sizeof name, &is_null, e) < 0) {
            row = -1;
            break;
        }
        if (!is_null && name[0])
            stop = fn(ud, name);
    }
    gv_db_stmt_free(st);
    return stop || row == 0 ? 0 : -1;
}

int gv_store_prunable_batches(gv_db_t *db, int64_t before, gv_retention_fn fn, void *ud,
                              gv_db_error_t *e)
{
    return list_names(db,
                      "SELECT b.spool_name FROM gv_batch b WHERE b.received_at < ? AND"
                      BATCH_DONE("b") " ORDER BY b.received_at, b.batch_id",
                      before, fn, ud, e);
}

int gv_store_prunable_outbox(gv_db_t *db, int64_t before, gv_retention_fn fn, void *ud,
                             gv_db_error_t *e)
{
    return list_names(db,
                      "SELECT body_name FROM gv_outbox WHERE state = 'DELIVERED'"
                      " AND delivered_at IS NOT NULL AND delivered_at < ?"
                      " ORDER BY delivered_at, msg_id",
                      before, fn, ud, e);
}

int gv_store_batches_kept(gv_db_t *db, int64_t before, int64_t *kept, gv_db_error_t *e)
{
    gv_db_stmt_t *st = gv_db_prepare(
        db,
        "SELECT COUNT(*) FROM gv_batch b WHERE b.received_at < ? AND NOT (" BATCH_DONE("b") ")",
        e);
    int row, is_null;

    if (!st)
        return -1;
    *kept = 0;
    row = gv_db_bind_int64(st, 1, before, e) < 0 || gv_db_execute(st, e) < 0
              ? -1
              : gv_db_fetch(st, e);
    if (row == 1 && gv_db_get_int64(st, 1, kept, &is_null, e) < 0)
        row = -1;
    gv_db_stmt_free(st);
    return row < 0 ? -1 : 0;
}
