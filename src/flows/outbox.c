/* outbox.c - delivery with retries. */
#include "config.h"
#include "outbox.h"
#include "fsutil.h"
#include "log.h"
#include "sig.h"
#include "store.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { ROWS = 64 };

/* One attempt at one message; records the outcome.  Returns the client's
 * verdict, or -1 when the database cannot record it or this process failed
 * before the wallet could answer (out of memory, a read error): then
 * nothing is recorded, as nothing was tried, and err says why. */
static int deliver_one(gv_db_t *db, gv_wallet_client_t *client, const char *spool,
                       const gv_outbox_row_t *m, long retry_min_s, long retry_max_s, time_t now,
                       gv_err_t *err)
{
    char body[PATH_MAX + 128], sigpath[PATH_MAX + 136], sha[65];
    unsigned char *der = NULL;
    size_t derlen = 0;
    char *b64 = NULL;
    long status = 0, retry_after = 0, attempts = m->attempts + 1;
    gv_err_t why = { "" };
    gv_db_error_t dbe;
    gv_wc_result_t r = GV_WC_REFUSED;
    int rc;

    snprintf(body, sizeof body, "%s/outbox/%s", spool, m->body_name);
    snprintf(sigpath, sizeof sigpath, "%s.p7s", body);
    /* The bytes must be the ones queued: a file changed on disk is not
     * sent, whatever else happens. */
    if (gv_sha256_file(body, sha, &why) < 0 || strcmp(sha, m->sha256) != 0) {
        if (!why.msg[0])
            gv_err_set(&why, "%s: the file no longer has the bytes that were queued", body);
    } else if (gv_read_small_file(sigpath, 1 << 20, &der, &derlen, &why) < 0) {
        if (errno != ENOENT && errno != EFBIG)
            r = GV_WC_LOCAL;    /* there, but not read: no verdict on the message */
    } else if (!(b64 = gv_sig_base64_encode(der, derlen))) {
        gv_err_set(&why, "%s: out of memory", sigpath);
        r = GV_WC_LOCAL;
    } else {
        r = gv_wallet_post_file(client, m->endpoint, body, b64, &status, &retry_after, &why);
    }
    free(der);
    free(b64);
    if (r == GV_WC_LOCAL) {
        gv_err_set(err, "outbox: %s %s not sent, try again: %s", m->kind, m->ref, why.msg);
        return -1;
    }
    if (r == GV_WC_OK) {
        rc = gv_store_outbox_attempt(db, m->msg_id, "DELIVERED", attempts, m->next_attempt_at,
                                     status, "", now, &dbe);
        gv_log(GV_LOG_INFO, "outbox: %s %s delivered (HTTP %ld, attempt %ld)", m->kind, m->ref,
               status, attempts);
    } else if (r == GV_WC_RETRY) {
        long delay = gv_backoff_delay_s(retry_min_s, retry_max_s, (unsigned)attempts,
                                        (unsigned long)m->created_at);
        if (retry_after > delay)
            delay = retry_after > retry_max_s ? retry_max_s : retry_after;
        rc = gv_store_outbox_attempt(db, m->msg_id, "PENDING", attempts, now + delay, status,
                                     why.msg, 0, &dbe);
        gv_log(GV_LOG_WARNING, "outbox: %s %s not delivered (attempt %ld): %s; next try in %ld s",
               m->kind, m->ref, attempts, why.msg, delay);
    } else {
        rc = gv_store_outbox_attempt(db, m->msg_id, "FAILED", attempts, m->next_attempt_at,
                                     status, why.msg, 0, &dbe);
        gv_log(GV_LOG_ERROR, "outbox: %s %s refused (attempt %ld): %s; held as FAILED, "
                             "see gasvoucher outbox",
               m->kind, m->ref, attempts, why.msg);
    }
    if (rc < 0) {
        gv_err_set(err, "outbox: cannot record the attempt: %s", dbe.msg);
        return -1;
    }
    return (int)r;
}

int gv_outbox_deliver(gv_db_t *db, gv_wallet_client_t *client, const char *spool,
                      long retry_min_s, long retry_max_s, time_t now, gv_outbox_stats_t *st,
                      gv_err_t *err)
{
    gv_outbox_row_t *rows = calloc(ROWS, sizeof *rows);
    gv_db_error_t dbe;
    int n, rc = 0;

    memset(st, 0, sizeof *st);
    if (!rows) {
        gv_err_set(err, "out of memory");
        return -1;
    }
    for (;;) {
        int stop = 0;
        if ((n = gv_store_outbox_list(db, "PENDING", now, rows, ROWS, &dbe)) < 0) {
            gv_err_set(err, "outbox: %s", dbe.msg);
            rc = -1;
            break;
        }
        for (int i = 0; i < n && !stop; i++) {
            int r = deliver_one(db, client, spool, &rows[i], retry_min_s, retry_max_s, now, err);
            if (r < 0) {
                rc = -1;
                stop = 1;
            } else if (r == GV_WC_OK) {
                st->delivered++;
            } else if (r == GV_WC_RETRY) {
                st->retrying++;
                stop = 1;
            } else {
                st->refused++;
            }
        }
        if (stop || n < ROWS)
            break;
    }
    free(rows);
    return rc;
}

int gv_outbox_retry(gv_db_t *db, const char *msg_id, time_t now, gv_err_t *err)
{
    gv_outbox_row_t row;
    gv_db_error_t dbe;
    int found = gv_store_outbox_get(db, msg_id, &row, &dbe);

    if (found < 0) {
        gv_err_set(err, "outbox: %s", dbe.msg);
        return -1;
    }
    if (!found || !strcmp(row.state, "DELIVERED")) {
        gv_err_set(err, "outbox: no pending or failed message %s", msg_id);
        return -1;
    }
    if (gv_store_outbox_attempt(db, msg_id, "PENDING", row.attempts, now, row.last_status,
                                row.last_error, 0, &dbe) < 0) {
        gv_err_set(err, "outbox: %s", dbe.msg);
        return -1;
    }
    return 0;
}

gv_wallet_client_t *gv_outbox_client(const gv_conf_t *conf, gv_err_t *err)
{
    gv_wallet_client_opts_t o = {
        .base_url = conf->outbound_url,
        .ca_file = conf->outbound_ca,
        .cert_file = conf->outbound_cert,
        .key_file = conf->outbound_key,
        .connect_timeout_ms = conf->outbound_connect_timeout * 1000,
        .timeout_ms = conf->outbound_timeout * 1000,
        .max_body = conf->batch_body_limit,
    };

    if (!conf->outbound_url) {
        gv_err_set(err, "%s: [outbound] url is not set", conf->path);
        return NULL;
    }
    return gv_wallet_client_new(&o, err);
}
