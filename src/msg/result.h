/* result.h - the VoucherBatchResult of a batch, as a file in the outbox.
 *
 * Written once, signed once: the outbox sends these very bytes on every
 * retry, so the wallet can de-duplicate.
 */
#ifndef GV_RESULT_H
#define GV_RESULT_H

#include <time.h>

#include "db.h"
#include "err.h"
#include "sig.h"
#include "store.h"

/* Writes the result of batch b as its outcomes stand in the database,
 * streaming one Item per occurrence; durably; sha256 of the bytes out. */
int gv_result_write(gv_db_t *db, const gv_batch_row_t *b, time_t now, const char *path,
                    char sha256[65], gv_err_t *err);
/* Writes PATH.p7s, the detached signature of PATH. */
int gv_result_sign(const gv_sig_signer_t *signer, const char *path, time_t now, gv_err_t *err);

#endif
