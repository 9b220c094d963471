/* report.h - the RedemptionReport of a billing run, as a file in the
 * outbox (wallet-interface.md section 4): what was billed and what is
 * still Pending since the last report.  Written once, signed once. */
#ifndef GV_REPORT_H
#define GV_REPORT_H

#include <stdint.h>
#include <time.h>

#include "err.h"
#include "xmlout.h"

typedef struct gv_report_head {
    const char *report_id, *provider_bin, *period;
    time_t created;
    int64_t redeemed, pending, total_discount;
} gv_report_head_t;

/* Opens the report at path (via path.tmp) and writes its head. */
gv_xml_out_t *gv_report_open(const char *path, const gv_report_head_t *h, gv_err_t *err);
int gv_report_redeemed(gv_xml_out_t *x, const char *voucher_id, const char *account,
                       int64_t volume_milli, int64_t price, int64_t charge, int64_t discount,
                       int64_t due, const char *bill_ref);
int gv_report_pending(gv_xml_out_t *x, const char *voucher_id, const char *account,
                      const char *reason);
/* Ends it, durably; sha256 of its bytes.  Frees x. */
int gv_report_commit(gv_xml_out_t *x, char sha256[65], gv_err_t *err);

#endif
