/* result.c - writing VoucherBatchResult files. */
#include "config.h"
#include "result.h"
#include "calendar.h"
#include "fsutil.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NS "urn:socialwallet:gas-voucher:v1"

/* Every value written comes from a schema-checked batch or from our own
 * tables (voucher ids match [0-9A-Z-], reasons are enumerations), so no
 * escaping is needed; an unexpected byte is refused rather than sent. */
static int plain(const char *s)
{
    for (; *s; s++)
        if (!((*s >= '0' && *s <= '9') || (*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
              *s == '-' || *s == '_' || *s == ':' || *s == '+'))
            return 0;
    return 1;
}

static int write_item(void *ud, const char *voucher_id, int accepted, const char *reason)
{
    FILE *f = ud;

    if (!plain(voucher_id) || !plain(reason))
        return -1;
    if (accepted)
        return fprintf(f, "  <Item voucherId=\"%s\" status=\"ACCEPTED\"/>\n", voucher_id) < 0
                   ? -1
                   : 0;
    return fprintf(f, "  <Item voucherId=\"%s\" status=\"REJECTED\" reason=\"%s\"/>\n",
                   voucher_id, reason) < 0
               ? -1
               : 0;
}

int gv_result_write(gv_db_t *db, const gv_batch_row_t *b, time_t now, const char *path,
                    char sha256[65], gv_err_t *err)
{
    char tmp[PATH_MAX + 16], when[32];
    gv_db_error_t dbe;
    long accepted, rejected;
    FILE *f;

    if (gv_store_batch_items(db, b->batch_id, &accepted, &rejected, NULL, NULL, &dbe) < 0) {
        gv_err_set(err, "batch %s: %s", b->batch_id, dbe.msg);
        return -1;
    }
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    if (!(f = gv_fopen_write(tmp))) {
        gv_err_set(err, "%s: %s", tmp, strerror(errno));
        return -1;
    }
    gv_time_format_local(now, when);
    fprintf(f,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<VoucherBatchResult xmlns=\"" NS "\" batchId=\"%s\" providerBin=\"%s\" "
            "period=\"%s\" processedAt=\"%s\" accepted=\"%ld\" rejected=\"%ld\">\n",
            b->batch_id, b->provider_bin, b->period, when, accepted, rejected);
    if (gv_store_batch_items(db, b->batch_id, &accepted, &rejected, write_item, f, &dbe) < 0) {
        gv_err_set(err, "batch %s: %s", b->batch_id, dbe.msg);
        fclose(f);
        unlink(tmp);
        return -1;
    }
    fprintf(f, "</VoucherBatchResult>\n");
    if (fflush(f) != 0 || fsync(fileno(f)) < 0 || ferror(f)) {
        gv_err_set(err, "%s: %s", tmp, strerror(errno));
        fclose(f);
        unlink(tmp);
        return -1;
    }
    fclose(f);
    if (gv_sha256_file(tmp, sha256, err) < 0)
        return -1;
    return gv_move_durably(tmp, path, err);
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
