/* result.c - writing VoucherBatchResult files. */
#include "config.h"
#include "result.h"
#include "calendar.h"
#include "fsutil.h"
#include "xmlout.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The document, and whether it is what failed (not the database). */
struct items {
    gv_xml_out_t *x;
    int failed;
};

static int write_item(void *ud, const char *voucher_id, int accepted, const char *reason)
{
    struct items *it = ud;
    gv_xml_out_t *x = it->x;

    if (gv_xml_start(x, "Item") < 0 || gv_xml_attr(x, "voucherId", voucher_id) < 0 ||
        gv_xml_attr(x, "status", accepted ? "ACCEPTED" : "REJECTED") < 0 ||
        (!accepted && gv_xml_attr(x, "reason", reason) < 0) || gv_xml_end(x) < 0) {
        it->failed = 1;
        return -1;
    }
    return 0;
}

int gv_result_write(gv_db_t *db, const gv_batch_row_t *b, time_t now, const char *path,
                    char sha256[65], gv_err_t *err)
{
    char when[32];
    gv_db_error_t dbe;
    long accepted, rejected;
    gv_xml_out_t *x;
    struct items it;

    if (gv_store_batch_items(db, b->batch_id, &accepted, &rejected, NULL, NULL, &dbe) < 0) {
        gv_err_set(err, "batch %s: %s", b->batch_id, dbe.msg);
        return -1;
    }
    if (!(x = gv_xml_file(path, err)))
        return -1;
    gv_time_format_local(now, when);
    if (gv_xml_start(x, "VoucherBatchResult") < 0 || gv_xml_attr(x, "batchId", b->batch_id) < 0 ||
        gv_xml_attr(x, "providerBin", b->provider_bin) < 0 ||
        gv_xml_attr(x, "period", b->period) < 0 || gv_xml_attr(x, "processedAt", when) < 0 ||
        gv_xml_attr_int(x, "accepted", accepted) < 0 ||
        gv_xml_attr_int(x, "rejected", rejected) < 0) {
        gv_err_set(err, "%s: cannot write the result: %s", path, gv_xml_why(x));
        gv_xml_abandon(x);
        return -1;
    }
    it.x = x;
    it.failed = 0;
    if (gv_store_batch_items(db, b->batch_id, &accepted, &rejected, write_item, &it, &dbe) < 0) {
        if (it.failed)
            gv_err_set(err, "%s: cannot write the result: %s", path, gv_xml_why(x));
        else
            gv_err_set(err, "batch %s: %s", b->batch_id, dbe.msg);
        gv_xml_abandon(x);
        return -1;
    }
    if (gv_xml_end(x) < 0) {
        gv_err_set(err, "%s: cannot write the result: %s", path, gv_xml_why(x));
        gv_xml_abandon(x);
        return -1;
    }
    return gv_xml_commit(x, sha256, NULL, err);
}

int gv_result_sign(const gv_sig_signer_t *signer, const char *path, time_t now, gv_err_t *err)
{
    char sigpath[PATH_MAX + 8];
    unsigned char *der = NULL;
    size_t derlen = 0;
    int rc;

    if (gv_sig_sign_file(signer, path, now, &der, &derlen, err) < 0)
        return -1;
    snprintf(sigpath, sizeof sigpath, "%s.p7s", path);
    rc = gv_write_file_durably(sigpath, der, derlen, err);
    free(der);
    return rc;
}
