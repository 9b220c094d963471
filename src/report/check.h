/* check.h - the bills read back from the billing database and compared
 * with gasvoucher's own record of them (gasvoucher report --check).
 *
 * Read-only.  The site's bills of the period come through the adapter
 * (read_bills, the mapping's [query.bills]) a row at a time and are
 * matched with gasvoucher's BILLED rows, held a bounded partition at a
 * time (check.c says how).  The differences found go to
 * a temporary file (and, a line each, to the caller's log) and are
 * replayed into the report's register afterwards, so the summary can say
 * how many there are before the register lists them.
 */
#ifndef GV_REPORT_CHECK_H
#define GV_REPORT_CHECK_H

#include "adapter.h"
#include "db.h"
#include "err.h"

typedef enum {
    GV_DIFF_CHANGED,            /* the site's bill differs from what gasvoucher wrote */
    GV_DIFF_DELETED,            /* gasvoucher wrote a bill the site no longer has */
    GV_DIFF_FOREIGN,            /* a site bill names a voucher gasvoucher did not bill there */
    GV_DIFF_REPORT,             /* a redemption report carries what the bill no longer says */
    GV_DIFF_COUNT
} gv_diff_kind_t;

typedef enum {
    GV_FIELD_NONE, GV_FIELD_VOUCHER, GV_FIELD_VOLUME, GV_FIELD_CHARGE, GV_FIELD_DISCOUNT,
    GV_FIELD_DUE, GV_FIELD_BILL_REF, GV_FIELD_COUNT
} gv_diff_field_t;

typedef struct gv_difference {
    gv_diff_kind_t kind;
    gv_diff_field_t field;
    char voucher_id[64];
    char account[64];
    char bill_ref[80];
    char ours[64];              /* the value gasvoucher recorded ("" = none) */
    char site[64];              /* the value the site holds ("" = none) */
    char report_id[48];         /* the recorded report that carried the bill */
} gv_difference_t;

typedef struct gv_check_stats {
    long count[GV_DIFF_COUNT];
    long total;
    long site_bills;            /* rows [query.bills] returned */
    long our_bills;             /* BILLED rows of gv_bill */
} gv_check_stats_t;

typedef struct gv_check gv_check_t;

/* Runs the check; NULL with err when it could not (the database, the
 * mapping has no [query.bills], ...).  log_line gets one English line
 * per difference, for the log. */
gv_check_t *gv_check_run(gv_db_t *db, const gv_adapter_t *adapter, void *actx,
                         const char *period, void (*log_line)(void *ud, const char *line),
                         void *log_ud, gv_check_stats_t *stats, gv_err_t *err);
/* Hands each difference found to fn, in the order found. */
int gv_check_replay(gv_check_t *c, int (*fn)(void *ud, const gv_difference_t *d), void *ud,
                    gv_err_t *err);
void gv_check_free(gv_check_t *c);

/* In the current language. */
const char *gv_check_kind_words(gv_diff_kind_t k);
const char *gv_check_kind_code(gv_diff_kind_t k);
const char *gv_check_field_words(gv_diff_field_t f);

#endif
