/* store.h - gasvoucher's own tables in the provider's database.
 *
 * Beside the site's tables (reached only through the mapping) the adapter
 * keeps its own, named gv_*: the batches it received, every voucher
 * occurrence with its outcome, the trail of outcomes a later part
 * changed, and the outbox of messages for the wallet.  They are created by
 * versioned migrations (gasvoucher db migrate) with SQL every supported
 * engine understands, so there is one text of each statement.
 *
 * Instants are BIGINT seconds since the epoch (UTC): no engine's idea of
 * time zones touches them.
 */
#ifndef GV_STORE_H
#define GV_STORE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "batch.h"
#include "db.h"
#include "judge.h"

#define GV_SCHEMA_VERSION 5
/* From this version on, accounts are the site's own key. */
#define GV_SCHEMA_SITE_KEYS 3
/* From this version on, leases coordinate the nodes and the spool's
 * files are in the database (leases.h, files.h). */
#define GV_SCHEMA_SHARED 5

/* Brings the tables to GV_SCHEMA_VERSION; *from / *to say what it did. */
int gv_store_migrate(gv_db_t *db, time_t now, int *from, int *to, gv_db_error_t *e);
/* The version the database is at (0 = none); -1 on a database error. */
int gv_store_version(gv_db_t *db, int *version, gv_db_error_t *e);

/* ---- batches ----------------------------------------------------------- */

typedef struct gv_batch_row {
    char batch_id[GV_BATCH_ID_LEN + 1];
    char sha256[65];
    char provider_bin[13];
    char period[8];
    long part, parts, voucher_count;
    char form[4];               /* xml | csv */
    char channel[8];            /* push | pull | file */
    char signer[256];
    int64_t received_at;
    char spool_name[96];        /* under spool_dir/batches */
    char state[12];             /* RECEIVED | PROCESSED */
    long revision;              /* results sent so far */
} gv_batch_row_t;

/* 1 found, 0 not, -1 error. */
int gv_store_batch_get(gv_db_t *db, const char *batch_id, gv_batch_row_t *row,
                       gv_db_error_t *e);
/* GV_DB_DUPLICATE in e->action when the batchId is there already. */
int gv_store_batch_insert(gv_db_t *db, const gv_batch_row_t *row, gv_db_error_t *e);
/* Batches received but not yet processed, oldest period and part first;
 * at most max rows into rows.  Returns how many, or -1. */
int gv_store_batches_pending(gv_db_t *db, gv_batch_row_t *rows, int max, gv_db_error_t *e);
/* Every batch of a period ordered by part (for listings). */
int gv_store_batches_of_period(gv_db_t *db, const char *period, gv_batch_row_t *rows, int max,
                               gv_db_error_t *e);

/* ---- processing one batch (inside the caller's transaction) ----------- */

typedef struct gv_store_proc gv_store_proc_t;

gv_store_proc_t *gv_store_proc_new(gv_db_t *db, const gv_batch_head_t *head,
                                   gv_db_error_t *e);
void gv_store_proc_free(gv_store_proc_t *p);
/* What the trail names as the cause of changes (default: the batch being
 * processed), at most 32 bytes: the period is judged again as of that
 * batch, processed before (db migrate). */
void gv_store_proc_set_cause(gv_store_proc_t *p, const char *cause);

typedef struct gv_occurrence_in {
    const gv_voucher_in_t *v;
    const char *account_norm;   /* canonical, or "?" + typed when it cannot be one */
    gv_reason_t pre_reason;     /* R6, R2, R4 */
    gv_reason_t account_reason; /* R8; NONE when not looked up or fine */
} gv_occurrence_in_t;

/* Stores o[0..n), in multi-row INSERTs, each with the outcome it has
 * when no other occurrence of the period shares its voucher id or its
 * account; gv_store_proc_finish corrects those R7 decides otherwise. */
int gv_store_proc_add(gv_store_proc_t *p, const gv_occurrence_in_t *o, size_t n,
                      gv_db_error_t *e);

/* What judging the period anew changed in batches processed before. */
typedef struct gv_recompute_stats {
    long occurrences;           /* rows judged */
    long changed_before;        /* outcomes of earlier batches that changed */
    char (*revised)[GV_BATCH_ID_LEN + 1];   /* earlier batches whose result changed */
    size_t nrevised;
} gv_recompute_stats_t;

/* Judges every occurrence of the batch's period again (R7 over all parts
 * received so far), writes the outcomes that differ, a trail row for each
 * that had one before, and marks the batch PROCESSED; a batch already
 * PROCESSED (by another process) fails with GV_DB_PERMANENT, unless a
 * cause was set. */
int gv_store_proc_finish(gv_store_proc_t *p, time_t now, gv_recompute_stats_t *stats,
                         gv_db_error_t *e);
void gv_recompute_stats_free(gv_recompute_stats_t *s);

/* ---- re-keying (gasvoucher db migrate) ---------------------------------- */

/* Every account gasvoucher keeps as a site's key (occurrences that were
 * looked up and found), for fn; -1 on error (fn's -1 stops with
 * GV_DB_PERMANENT). */
int gv_store_site_accounts(gv_db_t *db, int (*fn)(void *ud, const char *account), void *ud,
                           gv_db_error_t *e);
/* Moves every row of account `from` to `to`: occurrences always, gv_bill
 * rows unless `to` already has one in the same period (*clash = 1: two
 * spellings of one account were billed; a person decides).  Each period
 * it touched goes to fn. */
int gv_store_rekey(gv_db_t *db, const char *from, const char *to, int *clash,
                   int (*fn)(void *ud, const char *period), void *ud, gv_db_error_t *e);

/* ---- results -------------------------------------------------------- */

/* Calls fn for each occurrence of the batch in document order. */
typedef int (*gv_item_fn)(void *ud, const char *voucher_id, int accepted, const char *reason);
int gv_store_batch_items(gv_db_t *db, const char *batch_id, long *accepted, long *rejected,
                         gv_item_fn fn, void *ud, gv_db_error_t *e);
/* Sets the number of results sent for a batch. */
int gv_store_batch_set_revision(gv_db_t *db, const char *batch_id, long revision,
                                gv_db_error_t *e);

/* ---- outbox --------------------------------------------------------- */

typedef struct gv_outbox_row {
    char msg_id[80];
    char kind[24];              /* VoucherBatchResult | RedemptionReport */
    char ref[64];               /* batchId or reportId */
    char period[8];
    char endpoint[64];          /* path on the wallet */
    char body_name[96];         /* under spool_dir/outbox; signature in NAME.p7s */
    char sha256[65];
    int64_t created_at;
    char state[12];             /* PENDING | DELIVERED | FAILED */
    long attempts;
    int64_t next_attempt_at;
    long last_status;
    char last_error[256];
    int64_t delivered_at;
} gv_outbox_row_t;

int gv_store_outbox_insert(gv_db_t *db, const gv_outbox_row_t *row, gv_db_error_t *e);
/* Rows in state (NULL = every state), due ones only when due_before > 0,
 * oldest first; at most max.  Returns how many, or -1. */
int gv_store_outbox_list(gv_db_t *db, const char *state, int64_t due_before,
                         gv_outbox_row_t *rows, int max, gv_db_error_t *e);
/* One message: 1 found, 0 not, -1 error. */
int gv_store_outbox_get(gv_db_t *db, const char *msg_id, gv_outbox_row_t *row, gv_db_error_t *e);
/* Records one attempt's outcome. */
int gv_store_outbox_attempt(gv_db_t *db, const char *msg_id, const char *state, long attempts,
                            int64_t next_attempt_at, long status, const char *error,
                            int64_t delivered_at, gv_db_error_t *e);

/* ---- reading outcomes (reports, tests) ---------------------------- */

/* Each trail row of a period: what changed and why. */
typedef int (*gv_trail_fn)(void *ud, int64_t at, const char *voucher_id, const char *batch_id,
                           long position, const char *old_outcome, const char *new_outcome,
                           const char *cause_batch);
int gv_store_trail(gv_db_t *db, const char *period, gv_trail_fn fn, void *ud,
                   gv_db_error_t *e);

#endif
