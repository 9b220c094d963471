/* intake.h - taking in activated-voucher lists, whatever the channel.
 *
 * Push, pull and file all end in the same two steps:
 *
 *  receive: the bytes are already in a file under the spool; the detached
 *    signature is verified, the batch read through once against the schema
 *    and the batch-level rules, its batchId and SHA-256 compared with what
 *    was received before (DUPLICATE / BATCH_CONFLICT), and only then is it
 *    moved into the spool (fsync) and registered: its row and its bytes
 *    in the database in one transaction (files.h), so that any node can
 *    process it.  A refused batch leaves nothing behind.
 *
 *  process: each registered batch is read again, every voucher judged
 *    (R0-R8), the period judged anew across all its parts (R7), and the
 *    outcomes, the trail and a signed VoucherBatchResult in the outbox are
 *    committed in one transaction, under the "intake" lease.
 */
#ifndef GV_INTAKE_H
#define GV_INTAKE_H

#include <stddef.h>
#include <time.h>

#include "batch.h"
#include "err.h"
#include "fault.h"
#include "runtime.h"
#include "sig.h"

typedef struct gv_intake gv_intake_t;

/* Opens the spool (creating batches/, outbox/, tmp/), the signature
 * verifier and signer, and a database handle (connected on first use). */
gv_intake_t *gv_intake_new(gv_runtime_t *rt, gv_err_t *err);
void gv_intake_free(gv_intake_t *in);

const char *gv_intake_spool(const gv_intake_t *in);
gv_db_t *gv_intake_db(gv_intake_t *in);
/* The provider's signing key, for anything sent to the wallet. */
const gv_sig_signer_t *gv_intake_signer(const gv_intake_t *in);

/* A private folder under spool/tmp for one receipt's bytes; the caller
 * writes NAME into it and hands the path to gv_intake_receive, which
 * removes the folder whatever happens.  0 or -1. */
int gv_intake_tmpdir(gv_intake_t *in, char *out, size_t outsz, gv_err_t *err);

typedef struct gv_receipt {
    gv_fault_t fault;           /* NONE: received or a duplicate */
    int duplicate;
    gv_batch_head_t head;
    char sha256[65];
    time_t received_at;
    long retry_after_s;         /* with UNAVAILABLE */
    gv_err_t err;
} gv_receipt_t;

/* path: a file in a gv_intake_tmpdir folder (for the CSV form named
 * <batchId>.csv).  sig: the detached DER CMS, NULL when none came.
 * channel: "push", "pull" or "file".  Always fills rc; returns 0 when the
 * batch is held (new or duplicate), -1 when refused. */
int gv_intake_receive(gv_intake_t *in, const char *path, gv_batch_form_t form,
                      const unsigned char *sig, size_t siglen, const char *channel, time_t now,
                      gv_receipt_t *rc);

/* Reads a file and its NAME.p7s from anywhere (the command line, the
 * inbox) and receives them. */
int gv_intake_receive_file(gv_intake_t *in, const char *path, const char *channel, time_t now,
                           gv_receipt_t *rc);

/* Processes every received batch not yet processed, oldest first, by
 * whichever node received it.  *done counts them.  Holds the "intake"
 * lease meanwhile (lease.h), so no two processes, on this node or
 * another, judge at once; with wait it waits for the lease, without it
 * returns 1 at once when another holds it (err names the holder).  0, or
 * -1 with err (what was processed before the failure stays processed; the
 * failed batch stays pending). */
int gv_intake_process(gv_intake_t *in, time_t now, int wait, long *done, gv_err_t *err);

typedef struct gv_rekey_stats {
    long looked_up;             /* accounts asked of the site */
    long rekeyed;               /* kept in another spelling than the site's key */
    long clashes;               /* billed under two spellings in one period */
    long changed;               /* outcomes that changed when judged again (R7) */
    long results;               /* revised results queued */
} gv_rekey_stats_t;

/* Looks every account gasvoucher keeps up at the site again and moves the
 * rows kept under another spelling to the site's own key (the account the
 * lookup returns), then judges each period it touched anew (R7), with the
 * trail and revised results as processing does.  One transaction. */
int gv_intake_rekey(gv_intake_t *in, time_t now, gv_rekey_stats_t *st, gv_err_t *err);

#endif
