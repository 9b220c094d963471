/* reconcile.h - the period's reconciliation, for billing clerks.
 *
 * Where every voucher of a period stands, from gasvoucher's own tables
 * only: received and judged (R0-R8), outcomes a later part changed (R7),
 * billed with the sums of charge, discount and amount due, pending by
 * reason, conflicts with bills written by hand, and the redemption
 * reports and their delivery.  Account numbers and voucher ids only:
 * never a name or an address.
 */
#ifndef GV_RECONCILE_H
#define GV_RECONCILE_H

#include <stdio.h>

#include "db.h"

/* Prints the reconciliation of period (YYYY-MM) to out.  0 or -1. */
int gv_reconcile_print(gv_db_t *db, const char *period, FILE *out, gv_db_error_t *e);

#endif
