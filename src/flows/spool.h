/* spool.h - retention of the spool: `gasvoucher spool prune`.
 *
 * Removes the files of batches and messages older than a number of days
 * that nothing may need any more (retention.h says which), receipts left
 * half-written in tmp/ by a crash, and files the inbox took in (done/).
 * Never a batch not yet processed, a result or report not yet delivered,
 * or anything of a period not yet billed and reported; refused inbox files
 * stay for a person to look at.  The gv_* rows stay: they are the record.
 */
#ifndef GV_SPOOL_H
#define GV_SPOOL_H

#include <stdint.h>
#include <time.h>

#include "db.h"
#include "err.h"

typedef struct gv_prune_stats {
    long batches;          /* batch files (with signatures) */
    long messages;         /* outbox files (with signatures) */
    long leftovers;        /* tmp/ receipts and inbox done/ files */
    int64_t bytes;
    int64_t batches_kept;  /* batches old enough but still needed */
} gv_prune_stats_t;

/* Each path removed (or, with dry_run, that would be). */
typedef void (*gv_prune_each_fn)(void *ud, const char *path);

/* inbox may be NULL.  Files older than days (1 or more) before now go. */
int gv_spool_prune(gv_db_t *db, const char *spool, const char *inbox, long days, time_t now,
                   int dry_run, gv_prune_each_fn each, void *ud, gv_prune_stats_t *st,
                   gv_err_t *err);

#endif
