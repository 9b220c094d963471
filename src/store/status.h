/* status.h - what gasvoucher's own tables say about the work, for
 * monitoring (/metrics): the outbox, the batches, and per period the list
 * received, the last billing run and the vouchers still Pending. */
#ifndef GV_STATUS_H
#define GV_STATUS_H

#include <stddef.h>
#include <stdint.h>

#include "db.h"

#define GV_STATUS_PERIODS 14

typedef struct gv_period_status {
    char period[8];             /* YYYY-MM, given by the caller */
    int64_t due_at;             /* the due day (R5) at 00:00 local, given by the caller */
    int64_t end_at;             /* the first instant after the period, given by the caller */
    int64_t batches;            /* parts received */
    int64_t parts;              /* parts the list says it has; 0 = none received */
    int64_t billed_at;          /* end of the last billing run; 0 = never billed */
    int64_t pending;            /* vouchers Pending after the last run */
} gv_period_status_t;

typedef struct gv_store_status {
    int64_t outbox_pending, outbox_failed, outbox_delivered;
    int64_t outbox_oldest_at;   /* created_at of the oldest undelivered message; 0 = none */
    int64_t batches_received, batches_processed;
    gv_period_status_t periods[GV_STATUS_PERIODS];
    size_t nperiods;            /* set by the caller, with period, due_at, end_at */
} gv_store_status_t;

/* Fills in the counts; st->periods[].period (and the caller's fields) are
 * kept, the rest set.  -1 on a database error. */
int gv_store_status(gv_db_t *db, gv_store_status_t *st, gv_db_error_t *e);

#endif
