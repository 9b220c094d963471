/* outbox.h - delivering what the adapter owes the wallet.
 *
 * Every message (VoucherBatchResult, RedemptionReport) is a signed file
 * in spool/outbox, its bytes in the database (files.h) and a row in
 * gv_outbox, committed before the first try.
 * Delivery sends those bytes, the same on every retry, oldest first; a
 * failure the wallet may get over (network, 5xx, 429) is retried after a
 * capped exponential back-off, which survives restarts because it lives in
 * the row; a refusal (4xx) stops that message as FAILED for an operator
 * (gasvoucher outbox retry).
 */
#ifndef GV_OUTBOX_H
#define GV_OUTBOX_H

#include <time.h>

#include "db.h"
#include "conf.h"
#include "err.h"
#include "lease.h"
#include "store.h"
#include "walletclient.h"

typedef struct gv_outbox_stats {
    long delivered;
    long retrying;       /* failed this time, will be tried again */
    long refused;        /* marked FAILED */
} gv_outbox_stats_t;

/* Queues message o, whose signed body is at body_path (signature beside
 * it): its bytes and its row, inside the caller's transaction. */
int gv_outbox_queue(gv_db_t *db, const gv_outbox_row_t *o, const char *body_path,
                    gv_db_error_t *e);

/* Tries every due PENDING message once, oldest first; stops at the first
 * that cannot reach the wallet (the rest would fail the same way).  Under
 * the "outbox" lease (lease.h): with wait it waits for it, without it
 * returns 1 at once when another node delivers (err names it).  A message
 * written by another node is read from the database into spool first.
 * 0, or -1 with err when the database fails or the lease is lost. */
int gv_outbox_deliver(gv_db_t *db, gv_wallet_client_t *client, const char *spool,
                      gv_lease_t *lease, int wait, long retry_min_s, long retry_max_s, time_t now,
                      gv_outbox_stats_t *st, gv_err_t *err);

/* A client for the wallet from [outbound]; NULL with err when url is unset
 * or the settings are unusable. */
gv_wallet_client_t *gv_outbox_client(const gv_conf_t *conf, gv_err_t *err);

/* Puts a FAILED (or PENDING) message back to be tried at once. */
int gv_outbox_retry(gv_db_t *db, const char *msg_id, time_t now, gv_err_t *err);

#endif
