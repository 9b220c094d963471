/* billing.h - a billing run for one period (R9-R20).
 *
 * Takes the period's accepted vouchers not yet billed, a chunk at a time
 * (ordered by the site's canonical account), reads the accounts' region,
 * metering and readings through the adapter, computes each bill
 * (billcalc.h) and writes the chunk's bills through the adapter together
 * with gasvoucher's own record of them (gv_bill), in one transaction (R18).
 * A crash loses at most the chunk in flight, whole (R19); a re-run takes
 * only what is left, Pending vouchers included (R20).  After the run a
 * signed RedemptionReport of everything billed or newly pending since the
 * last report goes to the outbox.
 *
 * No single voucher stops a run: one that cannot be billed for a reason
 * of its own is Pending when it may become billable (the report's
 * reasons, R13, R14, R17), or else a conflict in gv_bill a person must
 * look at (the site no longer has the account, a value the site gave for
 * it cannot be used, the rule refuses it, the site refuses its bill), and
 * the others are billed.  What concerns every voucher of the period (no
 * VAT rate or rule in force) stops the run before it writes anything.
 *
 * One run at a time, on this node or any other on the same database: a
 * run holds the "billing" lease (lease.h) and renews it inside each
 * chunk's transaction; a second run (the timer on another host, an
 * operator) waits for it, and takes over from a run that died once its
 * lease is no longer renewed.  A dry run goes through the recording adapter
 * (adapters/record): the site is read, nothing is written, the bills are
 * printed.
 */
#ifndef GV_BILLING_H
#define GV_BILLING_H

#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "adapter.h"
#include "billcalc.h"
#include "calendar.h"
#include "conf.h"
#include "db.h"
#include "err.h"
#include "mapping.h"
#include "params.h"
#include "sig.h"

typedef struct gv_billing_env {
    gv_db_t *db;
    const gv_adapter_t *adapter;        /* the site's; opened on db for the run */
    const gv_conf_t *conf;
    const gv_mapping_t *map;
    const gv_params_t *params;
    const char *provider_bin;
    const char *spool;                  /* spool_dir: the outbox */
    const gv_sig_signer_t *signer;      /* signs the report; NULL in a dry run */
} gv_billing_env_t;

typedef struct gv_billing_opts {
    gv_period_t period;
    time_t now;
    int dry_run;                        /* compute and print, write nothing */
    int allow_partial;                  /* bill although parts are missing */
    long chunk;                         /* vouchers per transaction */
    long retries;                       /* per chunk, after deadlock/serialisation */
    long reconnect_for_s;               /* keep reconnecting this long */
    FILE *dry_out;                      /* where a dry run prints */
    /* Called after each chunk; total is the count at the start. */
    void (*progress)(void *ud, long done, long total);
    void *progress_ud;
} gv_billing_opts_t;

typedef struct gv_billing_summary {
    char run_id[37];
    long todo;                          /* vouchers this run looked at */
    long billed, pending, conflicts;
    long pending_by[GV_PENDING_COUNT];  /* pending, by reason */
    long deadline_passed;               /* Pending vouchers no longer retried */
    int64_t charge, discount, due;      /* of what this run billed */
    long tx_retries, reconnects;
    char missing_parts[256];            /* when the list is incomplete */
    char report_id[37];                 /* "" when no report was due */
    long report_redeemed, report_pending;
    int64_t report_discount;
    gv_errlist_t conflict_msgs;         /* one line per conflict */
} gv_billing_summary_t;

typedef enum {
    GV_BILLING_DONE = 0,
    GV_BILLING_CONFLICTS,               /* done, but some bills could not be written */
    GV_BILLING_INCOMPLETE,              /* parts of the list missing: nothing done */
    GV_BILLING_FAILED,                  /* err says why; what committed stays */
} gv_billing_result_t;

gv_billing_result_t gv_billing_run(const gv_billing_env_t *env, const gv_billing_opts_t *opts,
                                   gv_billing_summary_t *sum, gv_err_t *err);

void gv_billing_summary_free(gv_billing_summary_t *sum);

#endif
