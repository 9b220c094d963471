/* report.h - the reconciliation report a billing clerk reads.
 *
 * gv_report_run reads the period from gasvoucher's own tables
 * (src/store/reconcile.h, streamed), turns codes into words in the
 * current language (l10n.h), sums every table it totals, and hands the
 * rows to one writer (model.h).  With check set it first reads the bills
 * back from the billing database through the adapter and compares them
 * with gasvoucher's record (check.h).  Nothing is written to any
 * database.
 *
 * Whether a person is needed: Pending vouchers past their deadline (R20),
 * conflicts, bills whose acceptance a later part withdrew (R7), accepted
 * vouchers still unbilled past the deadline, redemption reports the wallet
 * refused, and every difference the check finds.
 */
#ifndef GV_REPORT_H
#define GV_REPORT_H

#include <stdint.h>
#include <stdio.h>

#include "adapter.h"
#include "db.h"
#include "err.h"
#include "model.h"

typedef struct gv_report_opts {
    const char *period;             /* YYYY-MM */
    int64_t now;                    /* the report's instant (R1a) */
    int pending_deadline_days;      /* after the period's last day; < 0 = unknown */
    const char *provider;           /* "name (BIN)" for the title */
    const char *spool;              /* spool_dir: the redemption reports' bodies */
    /* --check: the site's bills through the adapter; NULL = no check. */
    const gv_adapter_t *adapter;
    void *adapter_ctx;
    /* Each difference the check finds, for the log; NULL = none. */
    void (*log_difference)(void *ud, const char *line);
    void *log_ud;
} gv_report_opts_t;

typedef struct gv_report_result {
    long vouchers;                  /* rows of the voucher register */
    long past_deadline;             /* Pending past the deadline */
    long conflicts;
    long withdrawn;                 /* billed, acceptance withdrawn (R7) */
    long unbilled_late;             /* accepted, unbilled past the deadline */
    long refused_reports;
    long differences;               /* found by the check */
    int needs_person;
} gv_report_result_t;

/* Writes the report of opts->period with writer.  0, or -1 with err
 * (a database or output failure: the output is then incomplete). */
int gv_report_run(gv_db_t *db, const gv_report_opts_t *opts, gv_writer_t *writer,
                  gv_report_result_t *res, gv_err_t *err);

/* Words for codes, in the current language (for the writers and the
 * command's messages). */
const char *gv_report_reason_words(const char *code);
const char *gv_report_reason_rule(const char *code);

#endif
