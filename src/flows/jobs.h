/* jobs.h - the daemon's background work, in one thread of its own.
 *
 * Processing the batches received (woken at once by a push, and every
 * minute anyway, so nothing waits on a lost wake-up), delivering the
 * outbox, taking in files dropped in the inbox, and pulling a period's
 * lists while they are due.  One thread, one database connection.
 * Processing, pulling, delivery and the inbox each hold their lease while
 * they run (lease.h), so that the command line and the daemons of other
 * nodes on the same database never do them at once; when another holds
 * one, this round leaves it (processing is tried again within seconds).
 */
#ifndef GV_JOBS_H
#define GV_JOBS_H

#include <time.h>

#include "runtime.h"

typedef struct gv_jobs gv_jobs_t;

/* Starts the thread with rt (acquired).  NULL when it cannot start. */
gv_jobs_t *gv_jobs_start(gv_runtime_t *rt);
/* A new configuration (SIGHUP). */
void gv_jobs_swap(gv_jobs_t *j, gv_runtime_t *rt);
/* A batch was stored: process now.  Safe from any thread; ud is the jobs. */
void gv_jobs_kick(void *ud);
void gv_jobs_stop(gv_jobs_t *j);

/* Which periods are due on local day 'today': from the day their list is
 * due (R5: the 30th, or the last day of a shorter month) for days_after
 * more days (pulling: pull_days; billing: the Pending deadline).  Fills
 * up to max periods, oldest first; returns how many.  Pure. */
int gv_jobs_due_periods(int32_t today, long days_after, gv_period_t *out, int max);

#endif
