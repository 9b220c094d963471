/* report.c - writing RedemptionReport files (see report.h). */
#include "config.h"
#include "report.h"

#include "calendar.h"
#include "money.h"

gv_xml_out_t *gv_report_open(const char *path, const gv_report_head_t *h, gv_err_t *err)
{
    gv_xml_out_t *x = gv_xml_file(path, err);
    char when[32];

    if (!x)
        return NULL;
    gv_time_format_local(h->created, when);
    if (gv_xml_start(x, "RedemptionReport") < 0 || gv_xml_attr(x, "reportId", h->report_id) < 0 ||
        gv_xml_attr(x, "providerBin", h->provider_bin) < 0 ||
        gv_xml_attr(x, "period", h->period) < 0 || gv_xml_attr(x, "createdAt", when) < 0 ||
        gv_xml_attr_int(x, "redeemed", h->redeemed) < 0 ||
        gv_xml_attr_int(x, "pending", h->pending) < 0 ||
        gv_xml_attr_int(x, "totalDiscountTiyn", h->total_discount) < 0) {
        gv_err_set(err, "%s: cannot write the report: %s", path, gv_xml_why(x));
        gv_xml_abandon(x);
        return NULL;
    }
    return x;
}

int gv_report_redeemed(gv_xml_out_t *x, const char *voucher_id, const char *account,
                       int64_t volume_milli, int64_t price, int64_t charge, int64_t discount,
                       int64_t due, const char *bill_ref)
{
    char vol[32];

    gv_decimal_format(volume_milli, 3, vol, sizeof vol);
    return gv_xml_start(x, "Redeemed") < 0 || gv_xml_attr(x, "voucherId", voucher_id) < 0 ||
                   gv_xml_attr(x, "account", account) < 0 || gv_xml_attr(x, "volumeM3", vol) < 0 ||
                   gv_xml_attr_int(x, "priceTiynPer1000M3", price) < 0 ||
                   gv_xml_attr_int(x, "chargeTiyn", charge) < 0 ||
                   gv_xml_attr_int(x, "discountTiyn", discount) < 0 ||
                   gv_xml_attr_int(x, "amountDueTiyn", due) < 0 ||
                   gv_xml_attr(x, "billRef", bill_ref) < 0 || gv_xml_end(x) < 0
               ? -1
               : 0;
}

int gv_report_pending(gv_xml_out_t *x, const char *voucher_id, const char *account,
                      const char *reason)
{
    return gv_xml_start(x, "Pending") < 0 || gv_xml_attr(x, "voucherId", voucher_id) < 0 ||
                   gv_xml_attr(x, "account", account) < 0 || gv_xml_attr(x, "reason", reason) < 0 ||
                   gv_xml_end(x) < 0
               ? -1
               : 0;
}

int gv_report_commit(gv_xml_out_t *x, char sha256[65], gv_err_t *err)
{
    if (gv_xml_end(x) < 0) {
        gv_err_set(err, "cannot finish the report: %s", gv_xml_why(x));
        gv_xml_abandon(x);
        return -1;
    }
    return gv_xml_commit(x, sha256, NULL, err);
}
