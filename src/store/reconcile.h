/* reconcile.h - the period's reconciliation, read from gasvoucher's own
 * tables, for billing clerks.
 *
 * Where every voucher of a period stands: received and judged (R0-R8),
 * outcomes a later part changed (R7), billed with the sums of charge,
 * discount and amount due, pending by reason, conflicts with bills written
 * by hand, and the redemption reports and their delivery.  Account numbers
 * and voucher ids only: never a name or an address.
 *
 * Every register is streamed: the caller's function sees one row at a
 * time, in a buffer reused for the next, so a period of a million vouchers
 * costs no more memory than one of ten.  What a row means and how it is
 * shown is the report's business (src/report/); this file only holds the
 * SQL, one statement per register, the same text on every engine.
 */
#ifndef GV_RECONCILE_H
#define GV_RECONCILE_H

#include <stddef.h>
#include <stdint.h>

#include "db.h"

typedef enum {
    /* Summaries: a handful of rows each. */
    GV_REC_LISTS,           /* batch state, batches, vouchers in them */
    GV_REC_TRAIL_COUNTS,    /* new outcome, changes */
    GV_REC_REPORT_STATES,   /* outbox state, reports */
    GV_REC_BILLED_COUNT,    /* BILLED rows of gv_bill */
    /* Registers: a row per voucher (or per change, run, report). */
    GV_REC_VOUCHERS,
    GV_REC_PENDING,
    GV_REC_CONFLICTS,
    GV_REC_TRAIL,
    GV_REC_RUNS,
    GV_REC_REPORTS,
    GV_REC_COUNT
} gv_rec_query_t;

/* Columns of GV_REC_VOUCHERS, in order. */
enum {
    GV_RV_VOUCHER, GV_RV_TYPED, GV_RV_ACCOUNT, GV_RV_REGION, GV_RV_ASSISTANCE, GV_RV_CHANNEL,
    GV_RV_ACTIVATED, GV_RV_STATUS, GV_RV_REASON, GV_RV_BILL_STATUS, GV_RV_BILL_REASON,
    GV_RV_VOLUME, GV_RV_PRICE, GV_RV_CHARGE, GV_RV_DISCOUNT, GV_RV_DUE, GV_RV_RULE,
    GV_RV_BILL_REF, GV_RV_REPORT, GV_RV_REPORT_STATE, GV_RV_BATCH, GV_RV_ITEM, GV_RV_COUNT
};
/* GV_REC_PENDING and GV_REC_CONFLICTS. */
enum { GV_RP_VOUCHER, GV_RP_ACCOUNT, GV_RP_REGION, GV_RP_REASON, GV_RP_UPDATED, GV_RP_REPORT,
       GV_RP_COUNT };
/* GV_REC_TRAIL. */
enum { GV_RT_AT, GV_RT_VOUCHER, GV_RT_BATCH, GV_RT_ITEM, GV_RT_OLD, GV_RT_NEW, GV_RT_CAUSE,
       GV_RT_COUNT };
/* GV_REC_RUNS. */
enum { GV_RR_RUN, GV_RR_STARTED, GV_RR_FINISHED, GV_RR_BILLED, GV_RR_PENDING, GV_RR_CONFLICTS,
       GV_RR_CHARGE, GV_RR_DISCOUNT, GV_RR_DUE, GV_RR_REPORT, GV_RR_COUNT };
/* GV_REC_REPORTS. */
/* GV_REC_REPORTS: the outbox row; the report's own totals are in its body
 * (spool_dir/outbox/BODY), written once and signed. */
enum { GV_RS_REPORT, GV_RS_CREATED, GV_RS_STATE, GV_RS_ATTEMPTS, GV_RS_DELIVERED,
       GV_RS_ERROR, GV_RS_BODY, GV_RS_COUNT };


/* One value of a row: text for text columns (never NULL: "" for SQL
 * NULL; "" for number columns), the number for number columns.  is_null
 * tells a NULL apart from "" or 0. */
typedef struct gv_rec_value {
    const char *text;
    int64_t num;
    int is_null;
} gv_rec_value_t;

/* Called for each row with the query's columns; return -1 to stop (the
 * query then returns -1 with e->action GV_DB_OK and an empty message). */
typedef int (*gv_rec_row_fn)(void *ud, const gv_rec_value_t *row, size_t ncols);

/* Runs the query for period (YYYY-MM) and streams its rows to fn.
 * 0, or -1 with e. */
int gv_reconcile_query(gv_db_t *db, gv_rec_query_t q, const char *period, gv_rec_row_fn fn,
                       void *ud, gv_db_error_t *e);

/* The same, with the rows read on a second thread a block ahead (a
 * couple of thousand rows; a few MB at most), so the database's time and
 * the caller's overlap.  db must not be used by anyone else meanwhile. */
int gv_reconcile_query_ahead(gv_db_t *db, gv_rec_query_t q, const char *period,
                             gv_rec_row_fn fn, void *ud, gv_db_error_t *e);

/* Number of columns each query returns. */
size_t gv_reconcile_ncols(gv_rec_query_t q);

/* gasvoucher's own record of a period's bills, for comparing with what
 * the site holds (report --check): account, voucher_id, status,
 * volume_milli, charge, discount, due, bill_ref, and the report that
 * carried the row once that report was recorded ("" before). */
enum { GV_RB_ACCOUNT, GV_RB_VOUCHER, GV_RB_STATUS, GV_RB_VOLUME, GV_RB_CHARGE, GV_RB_DISCOUNT,
       GV_RB_DUE, GV_RB_BILL_REF, GV_RB_REPORT, GV_RB_COUNT };
/* The BILLED rows of a period in account order, from after `after`
 * ("" = the start), at most `limit` of them (keyset pages). */
int gv_reconcile_billed_page(gv_db_t *db, const char *period, const char *after, long limit,
                             gv_rec_row_fn fn, void *ud, gv_db_error_t *e);

#endif
