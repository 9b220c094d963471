/* retention.h - which spool files gasvoucher's own tables say may go.
 *
 * The spool keeps every batch as received and every message as sent; the
 * gv_* rows stay forever (they are the record), the files only as long as
 * something may still need them.  A batch file may go once the batch is
 * processed, every result for it delivered, and its period billed: every
 * accepted voucher has a bill (none Pending or in Conflict), reported to
 * the wallet in a redemption report that was delivered, and no part of the
 * period waits.  A message file may go once the wallet took it.
 */
#ifndef GV_RETENTION_H
#define GV_RETENTION_H

#include <stdint.h>

#include "db.h"

/* Called with a file name under the spool's batches/ or outbox/; a
 * non-zero return stops the listing. */
typedef int (*gv_retention_fn)(void *ud, const char *name);

/* Batches received before `before` (seconds since the epoch) that may go. */
int gv_store_prunable_batches(gv_db_t *db, int64_t before, gv_retention_fn fn, void *ud,
                              gv_db_error_t *e);
/* Messages delivered before `before`. */
int gv_store_prunable_outbox(gv_db_t *db, int64_t before, gv_retention_fn fn, void *ud,
                             gv_db_error_t *e);
/* How many batches received before `before` must stay (for the summary). */
int gv_store_batches_kept(gv_db_t *db, int64_t before, int64_t *kept, gv_db_error_t *e);

#endif
