/* batch.h - reading an activated-voucher list (VoucherBatch) from a file.
 *
 * Both forms of wallet-interface.md section 2, the XML and the CSV, are
 * read here and come out the same: a header and one gv_voucher_in_t per
 * voucher, in document order.  Reading streams (xmlTextReader, libcsv),
 * so memory does not grow with the batch.  Every check that refuses a
 * batch whole is made here: well-formedness, the schema, voucherCount,
 * batchId against period and providerBin, the provider's BIN.
 */
#ifndef GV_BATCH_H
#define GV_BATCH_H

#include <stdint.h>
#include <time.h>

#include "calendar.h"
#include "err.h"
#include "fault.h"

typedef enum { GV_FORM_XML, GV_FORM_CSV } gv_batch_form_t;

#define GV_BATCH_ID_LEN 27      /* GVB-<12>-<6>-<3> */

typedef struct gv_batch_head {
    char batch_id[GV_BATCH_ID_LEN + 1];
    char provider_bin[13];
    char period_text[8];
    gv_period_t period;
    char created_at[40];        /* as written; empty in the CSV form */
    long part;                  /* CSV: the batchId's sequence number */
    long parts;                 /* CSV: 0, the form does not say */
    long voucher_count;         /* vouchers present (checked against the XML's claim) */
} gv_batch_head_t;

typedef struct gv_voucher_in {
    long position;              /* 1-based, in document order */
    long line;                  /* source line, for messages */
    char id[32];
    char account[40];           /* as typed */
    char activated_text[40];
    time_t activated;
    char channel[16];
    char assistance[16];
    int has_nominal;
    int64_t nominal_tiyn;
} gv_voucher_in_t;

/* Called for each voucher; return GV_FAULT_NONE to go on. */
typedef gv_fault_t (*gv_voucher_fn)(void *ud, const gv_batch_head_t *head,
                                    const gv_voucher_in_t *v, gv_err_t *err);

/* The form a file name says: NAME.xml or NAME.csv; -1 for neither. */
int gv_batch_form_of(const char *path, gv_batch_form_t *form);

/* Reads path.  For the CSV form the batchId is the file's base name.
 * own_bin: this provider's BIN (WRONG_PROVIDER when the batch names
 * another).  fn may be NULL (check only).  Returns GV_FAULT_NONE or the
 * fault that refuses the batch, with err naming what and where; when
 * reading fails, fn may already have seen some vouchers, so a caller
 * that applies them must apply nothing before the reading succeeded. */
gv_fault_t gv_batch_read(const char *path, gv_batch_form_t form, const char *own_bin,
                         gv_batch_head_t *head, gv_voucher_fn fn, void *ud, gv_err_t *err);

/* SHA-256 of a voucher's content as R7 defines it (account as typed,
 * activation instant, channel, assistance type, face value), hex. */
void gv_voucher_content_hash(const gv_voucher_in_t *v, char out[65]);

#endif
