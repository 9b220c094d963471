/* pull.c - GET /v1/voucher-batches. */
#include "config.h"
#include "pull.h"
#include "fsutil.h"
#include "log.h"
#include "store.h"
#include "xmlsafe.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct listed {
    char batch_id[GV_BATCH_ID_LEN + 1];
    char sha256[65];
} listed_t;

struct index_state {
    const char *bin, *period;
    listed_t *items;
    size_t n, cap;
};

static gv_fault_t index_start(void *ud, int depth, const char *name, xmlTextReaderPtr r,
                              gv_err_t *err)
{
    struct index_state *st = ud;
    xmlChar *a, *b;

    if (depth == 0) {
        gv_fault_t f = GV_FAULT_NONE;
        if (strcmp(name, "VoucherBatchIndex") != 0) {
            gv_err_set(err, "the answer is a %s, not a VoucherBatchIndex", name);
            return GV_FAULT_SCHEMA_VIOLATION;
        }
        a = xmlTextReaderGetAttribute(r, (const xmlChar *)"providerBin");
        b = xmlTextReaderGetAttribute(r, (const xmlChar *)"period");
        if (!a || !b || strcmp((char *)a, st->bin) || strcmp((char *)b, st->period)) {
            gv_err_set(err, "the index is for %s %s, not %s %s", a ? (char *)a : "?",
                       b ? (char *)b : "?", st->bin, st->period);
            f = GV_FAULT_WRONG_PROVIDER;
        }
        xmlFree(a);
        xmlFree(b);
        return f;
    }
    if (depth == 1 && strcmp(name, "Batch") == 0) {
        if (st->n == st->cap) {
            size_t cap = st->cap ? st->cap * 2 : 16;
            void *p = realloc(st->items, cap * sizeof *st->items);
            if (!p) {
                gv_err_set(err, "out of memory");
                return GV_FAULT_INTERNAL;
            }
            st->items = p;
            st->cap = cap;
        }
        a = xmlTextReaderGetAttribute(r, (const xmlChar *)"batchId");
        b = xmlTextReaderGetAttribute(r, (const xmlChar *)"sha256");
        snprintf(st->items[st->n].batch_id, sizeof st->items[0].batch_id, "%s",
                 a ? (char *)a : "");
        snprintf(st->items[st->n].sha256, sizeof st->items[0].sha256, "%s", b ? (char *)b : "");
        st->n++;
        xmlFree(a);
        xmlFree(b);
    }
    return GV_FAULT_NONE;
}

static int fetch_index(gv_intake_t *in, gv_wallet_client_t *client, struct index_state *st,
                       gv_err_t *err)
{
    static const gv_xml_visitor_t visitor = { index_start, NULL };
    char dir[PATH_MAX], file[PATH_MAX + 16], url[256];
    char *ebin = gv_wallet_escape(client, st->bin), *eperiod = gv_wallet_escape(client, st->period);
    long status = 0;
    gv_fault_t f;
    int rc = -1;

    if (!ebin || !eperiod) {
        gv_err_set(err, "out of memory");
        goto out;
    }
    snprintf(url, sizeof url, "/v1/voucher-batches?providerBin=%s&period=%s", ebin, eperiod);
    if (gv_intake_tmpdir(in, dir, sizeof dir, err) < 0)
        goto out;
    snprintf(file, sizeof file, "%s/index.xml", dir);
    if (gv_wallet_get_file(client, url, file, NULL, &status, err) != GV_WC_OK) {
        rmdir(dir);
        goto out;
    }
    f = gv_xml_scan_file(file, NULL, &visitor, st, err);
    unlink(file);
    rmdir(dir);
    if (f != GV_FAULT_NONE) {
        char why[sizeof err->msg];
        snprintf(why, sizeof why, "%s", err->msg);
        gv_err_set(err, "the batch index is not usable (%s): %s", gv_fault_name(f), why);
        goto out;
    }
    rc = 0;
out:
    free(ebin);
    free(eperiod);
    return rc;
}

static int pull_period(gv_intake_t *in, gv_wallet_client_t *client, gv_lease_t *lease,
                       const char *bin, const char *period, time_t now, gv_pull_stats_t *ps,
                       gv_err_t *err)
{
    struct index_state st = { bin, period, NULL, 0, 0 };
    gv_db_error_t dbe;
    int rc = 0;

    if (fetch_index(in, client, &st, err) < 0)
        return -1;
    ps->listed = (long)st.n;
    if (gv_db_ensure(gv_intake_db(in), gv_monotonic_ms(), &dbe) < 0) {
        gv_err_set(err, "the database is unavailable: %s", dbe.msg);
        free(st.items);
        return -1;
    }
    for (size_t i = 0; i < st.n; i++) {
        const listed_t *b = &st.items[i];
        gv_batch_row_t have;
        char dir[PATH_MAX], file[PATH_MAX + 40], url[128], *sig_b64 = NULL;
        unsigned char *sig = NULL;
        size_t siglen = 0;
        gv_receipt_t rcpt;
        gv_err_t why;
        int found = gv_store_batch_get(gv_intake_db(in), b->batch_id, &have, &dbe);

        if (!found && gv_lease_keep(lease, gv_intake_db(in), err) <= 0) {
            rc = -1;
            break;
        }
        if (found < 0) {
            gv_err_set(err, "the database is unavailable: %s", dbe.msg);
            rc = -1;
            break;
        }
        if (found) {
            if (strcmp(have.sha256, b->sha256) != 0) {
                gv_log(GV_LOG_ERROR, "pull: the wallet lists %s with sha256 %s but the batch "
                                     "held has %s: BATCH_CONFLICT, not fetched",
                       b->batch_id, b->sha256, have.sha256);
                ps->conflicts++;
                rc = -1;
            } else {
                ps->held++;
            }
            continue;
        }
        snprintf(url, sizeof url, "/v1/voucher-batches/%s", b->batch_id);
        if (gv_intake_tmpdir(in, dir, sizeof dir, &why) < 0) {
            gv_err_set(err, "%s", why.msg);
            rc = -1;
            break;
        }
        snprintf(file, sizeof file, "%s/%s.xml", dir, b->batch_id);
        if (gv_wallet_get_file(client, url, file, &sig_b64, NULL, &why) != GV_WC_OK) {
            rmdir(dir);
            gv_log(GV_LOG_WARNING, "pull: %s: %s", b->batch_id, why.msg);
            gv_err_set(err, "%s: %s", b->batch_id, why.msg);
            rc = -1;
            continue;
        }
        if (sig_b64 && gv_sig_base64_decode(sig_b64, &sig, &siglen, &why) < 0)
            siglen = 0;
        free(sig_b64);
        gv_intake_receive(in, file, GV_FORM_XML, sig, siglen, "pull", now, &rcpt);
        free(sig);
        if (rcpt.fault != GV_FAULT_NONE) {
            gv_log(GV_LOG_ERROR, "pull: %s refused: %s: %s", b->batch_id,
                   gv_fault_name(rcpt.fault), rcpt.err.msg);
            gv_err_set(err, "%s refused: %s: %s", b->batch_id, gv_fault_name(rcpt.fault),
                       rcpt.err.msg);
            ps->refused++;
            rc = -1;
        } else if (strcmp(rcpt.sha256, b->sha256) != 0) {
            gv_log(GV_LOG_WARNING, "pull: %s came with sha256 %s, the index said %s",
                   b->batch_id, rcpt.sha256, b->sha256);
            ps->fetched++;
        } else {
            gv_log(GV_LOG_INFO, "pull: %s received (%ld vouchers)", b->batch_id,
                   rcpt.head.voucher_count);
            ps->fetched++;
        }
    }
    free(st.items);
    return rc;
}

int gv_pull_period(gv_intake_t *in, gv_wallet_client_t *client, gv_lease_t *lease, int wait,
                   const char *bin, const char *period, time_t now, gv_pull_stats_t *ps,
                   gv_err_t *err)
{
    gv_db_t *db = gv_intake_db(in);
    gv_db_error_t dbe;
    int rc;

    memset(ps, 0, sizeof *ps);
    if (gv_db_ensure(db, gv_monotonic_ms(), &dbe) < 0) {
        gv_err_set(err, "the database is unavailable: %s", dbe.msg);
        return -1;
    }
    if ((rc = wait ? gv_lease_wait(lease, db, err) : gv_lease_take(lease, db, err)) <= 0)
        return rc == 0 ? 1 : -1;
    rc = pull_period(in, client, lease, bin, period, now, ps, err);
    gv_lease_release(lease, db);
    return rc;
}
