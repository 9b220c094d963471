/* pull.h - fetching a period's lists from the wallet (section 2, "pull").
 *
 * GET the VoucherBatchIndex for our BIN and the period, then each batch
 * not yet held, with its X-Signature; each goes through the same receipt
 * as a pushed batch.  A batch the index lists with other bytes than the
 * ones held is a conflict: reported, not fetched again.
 */
#ifndef GV_PULL_H
#define GV_PULL_H

#include <time.h>

#include "err.h"
#include "intake.h"
#include "lease.h"
#include "walletclient.h"

typedef struct gv_pull_stats {
    long listed, fetched, held, conflicts, refused;
} gv_pull_stats_t;

/* Under the "pull" lease (lease.h; with wait it waits for it, without it
 * returns 1 at once when another node pulls, err naming it).  0 when
 * every listed batch is now held; -1 with err otherwise (what was fetched
 * stays fetched). */
int gv_pull_period(gv_intake_t *in, gv_wallet_client_t *client, gv_lease_t *lease, int wait,
                   const char *bin, const char *period, time_t now, gv_pull_stats_t *st,
                   gv_err_t *err);

#endif
