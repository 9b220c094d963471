/* retry.h - the one reconnect policy: what a failed database step does next.
 *
 * gv_db_error_t.action says what a failure means (db.h); this says what to
 * do about it, for every caller alike (billing, intake, the adapters):
 *
 *   GV_DB_RETRY      deadlock or serialisation failure: wait a little
 *                    (doubling from 100 ms) and run the step again, at most
 *                    tx_retries times;
 *   GV_DB_RECONNECT  the connection is gone: drop what belonged to it
 *                    (forget), reconnect within the back-off of db.h, for up
 *                    to reconnect_for_ms (0: one immediate attempt, for a
 *                    caller that must answer now and lets its client retry);
 *   anything else    do not try again: the caller reports e.
 *
 * A step on a connection inside an open transaction is the whole
 * transaction: the caller begins it again.
 */
#ifndef GV_RETRY_H
#define GV_RETRY_H

#include <stdint.h>

#include "db.h"

typedef struct gv_db_retry {
    long tx_retries;
    long reconnect_for_ms;
    /* Called before a reconnect: statements of the lost connection. */
    void (*forget)(void *ud);
    void *forget_ud;
    long retried;               /* steps run again after a deadlock (counts) */
    long reconnects;            /* reconnections attempted */
} gv_db_retry_t;

/* After a failed step: 1 when it should be tried again (the wait or the
 * reconnection is done), 0 when not.  *tries counts the step's attempts
 * (start it at 0 for each step). */
int gv_db_again(gv_db_t *db, gv_db_retry_t *p, gv_db_error_t *e, long *tries);

/* Connects, reconnecting within p's limits when the first try fails. */
int gv_db_connect_within(gv_db_t *db, gv_db_retry_t *p, gv_db_error_t *e);

#endif
