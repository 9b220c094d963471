/* outbox.c - delivery with retries. */
#include "config.h"
#include "outbox.h"
#include "files.h"
#include "fsutil.h"
#include "log.h"
#include "sig.h"
#include "store.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { ROWS = 64 };

int gv_outbox_queue(gv_db_t *db, const gv_outbox_row_t *o, const char *body_path,
                    gv_db_error_t *e)
{
    char name[GV_FILE_NAME_MAX + 1], signame[GV_FILE_NAME_MAX + 1], sigpath[PATH_MAX + 8];

    snprintf(name, sizeof name, "outbox/%s", o->body_name);
    snprintf(signame, sizeof signame, "outbox/%s.p7s", o->body_name);
    snprintf(sigpath, sizeof sigpath, "%s.p7s", body_path);
    /* The row first: a message queued twice is refused by its key before
     * any bytes are written. */
    return gv_store_outbox_insert(db, o, e) < 0 ||
                   gv_store_file_put(db, name, body_path, o->created_at, e) < 0 ||
                   gv_store_file_put(db, signame, sigpath, o->created_at, e) < 0
               ? -1
               : 0;
}

/* A message written by another node (or moved out of the way): its
 * bytes from the database into this node's outbox.  -1 only when the
 * database failed (why says so); a message it does not have either is
 * left to the checks below. */
static int fetch_missing(gv_db_t *db, const char *spool_name, const char *path, gv_err_t *why)
{
    char name[GV_FILE_NAME_MAX + 1];
    gv_db_error_t dbe;

    if (access(path, F_OK) == 0 || errno != ENOENT)
        return 0;
    snprintf(name, sizeof name, "outbox/%s", spool_name);
    switch (gv_store_file_get(db, name, path, &dbe)) {
    case -1:
        gv_err_set(why, "reading %s from the database: %s", name, dbe.msg);
        return -1;
    case 1:
        gv_log(GV_LOG_INFO, "outbox: %s read from the database (not in this node's spool)",
               spool_name);
        break;
    }
    return 0;
}

/* One attempt at one message; records the outcome.  Returns the client's
 * verdict, or -1 when the database cannot record it or this process failed
 * before the wallet could answer (out of memory, a read error): then
 * nothing is recorded, as nothing was tried, and err says why. */
static int deliver_one(gv_db_t *db, gv_wallet_client_t *client, const char *spool,
                       const gv_outbox_row_t *m, long retry_min_s, long retry_max_s, time_t now,
                       gv_err_t *err)
{
    char body[PATH_MAX + 128], sigpath[PATH_MAX + 136], sha[65], signame[104];
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
    snprintf(signame, sizeof signame, "%s.p7s", m->body_name);
    /* The bytes must be the ones queued: a file changed on disk is not
     * sent, whatever else happens. */
    if (fetch_missing(db, m->body_name, body, &why) < 0 ||
        fetch_missing(db, signame, sigpath, &why) < 0) {
        r = GV_WC_LOCAL;        /* our database, not the wallet: no attempt */
    } else if (gv_sha256_file(body, sha, &why) < 0 || strcmp(sha, m->sha256) != 0) {
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
                      gv_lease_t *lease, int wait, long retry_min_s, long retry_max_s, time_t now,
                      gv_outbox_stats_t *st, gv_err_t *err)
{
    gv_outbox_row_t *rows = calloc(ROWS, sizeof *rows);
    gv_db_error_t dbe;
    int n, rc = 0;

    memset(st, 0, sizeof *st);
    if (!rows) {
        gv_err_set(err, "out of memory");
        return -1;
    }
    if ((rc = wait ? gv_lease_wait(lease, db, err) : gv_lease_take(lease, db, err)) <= 0) {
        free(rows);
        return rc == 0 ? 1 : -1;
    }
    rc = 0;
    for (;;) {
        int stop = 0;
        if ((n = gv_store_outbox_list(db, "PENDING", now, rows, ROWS, &dbe)) < 0) {
            gv_err_set(err, "outbox: %s", dbe.msg);
            rc = -1;
            break;
        }
        for (int i = 0; i < n && !stop; i++) {
            int r;
            /* Renewed before each call to the wallet, which cannot renew
             * it while in flight ([cluster] lease_ttl outlasts a call). */
            if ((r = gv_lease_keep(lease, db, err)) <= 0) {
                rc = -1;
                break;
            }
            r = deliver_one(db, client, spool, &rows[i], retry_min_s, retry_max_s, now, err);
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
        if (stop || rc < 0 || n < ROWS)
            break;
    }
    gv_lease_release(lease, db);
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
