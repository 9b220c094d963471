/* bills.h - gasvoucher's own record of billing: gv_bill (one row per
 * voucher a run looked at: BILLED, PENDING or CONFLICT) and gv_run (one row
 * per run, with the report it sent).  Every statement on these tables is
 * here; billing (src/flows/billing*.c) says when to run them.
 *
 * A run writes its gv_bill rows with the id its report will have; a row
 * counts as reported once gv_run records that id, written in the report's
 * own transaction.
 */
#ifndef GV_BILLS_H
#define GV_BILLS_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "billcalc.h"
#include "db.h"
#include "record.h"

typedef enum { GV_BILL_BILLED, GV_BILL_PENDING, GV_BILL_CONFLICT } gv_bill_status_t;

const char *gv_bill_status_name(gv_bill_status_t s);   /* "BILLED", ... */

/* One voucher of a billing chunk, from gv_occurrence to its outcome. */
typedef struct gv_bill_item {
    char account[GV_SITE_ACCOUNT_MAX + 1];  /* the site's canonical key */
    char voucher_id[33];
    char region[8];                 /* as billing read it; "" when the site lost the account */
    int64_t nominal;                /* face value; -1 = none */
    int done;                       /* billed by an earlier run (or past the deadline) */
    gv_bill_status_t status;
    char reason[32], detail[256];
    gv_bill_calc_t calc;
    char bill_ref[65];
    char old_report[40];            /* the report that carried an unchanged Pending */
} gv_bill_item_t;

/* A growable chunk of items, sorted by account (strcmp). */
typedef struct gv_bill_items {
    gv_bill_item_t *v;
    size_t n, cap;
    size_t prior;                   /* earlier non-BILLED gv_bill rows in the chunk's range */
    char last_account[64];          /* of the rows fetched, in the engine's order */
    size_t fetched;                 /* rows the chunk query returned */
} gv_bill_items_t;

void gv_bill_items_free(gv_bill_items_t *c);
gv_bill_item_t *gv_bill_items_find(gv_bill_items_t *c, const char *account);

/* One run's statements on one connection; prepared INSERTs are kept
 * from chunk to chunk. */
typedef struct gv_store_bills gv_store_bills_t;

gv_store_bills_t *gv_store_bills_new(gv_db_t *db, const char *period, const char *run_id,
                                     const char *report_id, time_t now);
void gv_store_bills_free(gv_store_bills_t *sb);
/* The connection was dropped: its statements are gone. */
void gv_store_bills_forget(gv_store_bills_t *sb);

/* Every part of the period's list in and processed (R5)?  missing gets
 * "" or what is missing, in words. */
int gv_store_bills_missing_parts(gv_store_bills_t *sb, char *missing, size_t sz,
                                 gv_db_error_t *e);
/* Accepted vouchers not yet billed (todo) and those Pending past the
 * deadline that are no longer retried (skipped). */
int gv_store_bills_count(gv_store_bills_t *sb, int past_deadline, long *todo, long *skipped,
                         gv_db_error_t *e);
/* The next chunk of at most limit accepted vouchers after account
 * `after`, without those billed (or, past the deadline, Pending). */
int gv_store_bills_next(gv_store_bills_t *sb, int past_deadline, const char *after, long limit,
                        gv_bill_items_t *c, gv_db_error_t *e);

/* Inside the caller's transaction: earlier Pending and conflict rows of
 * the items' accounts make way (an unchanged Pending keeps the report
 * that carried it, in old_report), then the items' rows are written. */
int gv_store_bills_replace(gv_store_bills_t *sb, gv_bill_items_t *c, const size_t *idx,
                           size_t n, gv_db_error_t *e);
int gv_store_bills_write(gv_store_bills_t *sb, const gv_bill_items_t *c, const size_t *idx,
                         size_t n, gv_db_error_t *e);
/* Whether this run wrote a row for account (a COMMIT whose answer was
 * lost): 1 yes, 0 no, -1 error. */
int gv_store_bills_written(gv_store_bills_t *sb, const char *account, gv_db_error_t *e);

/* ---- the report -------------------------------------------------------- */

typedef struct gv_unreported {
    int64_t redeemed, pending, discount;
} gv_unreported_t;

int gv_store_bills_unreported(gv_store_bills_t *sb, gv_unreported_t *t, gv_db_error_t *e);

typedef struct gv_reported_row {
    int billed;                     /* else Pending */
    char voucher_id[40], account[64], reason[40], bill_ref[80];
    int64_t volume_milli, price, charge, discount, due;
} gv_reported_row_t;

/* Each unreported row, BILLED first, by account. */
int gv_store_bills_each_unreported(gv_store_bills_t *sb,
                                   int (*fn)(void *ud, const gv_reported_row_t *row), void *ud,
                                   gv_db_error_t *e);
/* Rows left over from runs killed before reporting now name report_id. */
int gv_store_bills_mark_reported(gv_store_bills_t *sb, const char *report_id, gv_db_error_t *e);

typedef struct gv_run_row {
    time_t started, finished;
    long billed, pending, conflicts;
    int64_t charge, discount, due;
    const char *report_id;          /* NULL or "" when none was due */
} gv_run_row_t;

int gv_store_run_insert(gv_store_bills_t *sb, const gv_run_row_t *run, gv_db_error_t *e);
/* Whether this run's gv_run row is in: 1 (report_id set to what it
 * records, "" for none), 0 when not, -1 on error. */
int gv_store_run_find(gv_store_bills_t *sb, char *report_id, size_t sz, gv_db_error_t *e);

#endif
