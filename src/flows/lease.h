/* lease.h - one node at a time: leases on work two nodes on one database
 * must not do at once.
 *
 * Intake processing ("intake"), pulling from the wallet ("pull"), outbox
 * delivery ("outbox"), looking at the inbox ("inbox") and billing
 * ("billing") each take their lease before they start and give it back
 * when done.  The lease is a row of
 * gv_lease (leases.h), taken and renewed in the database by
 * compare-and-set, never a file: every node sees the same one.
 *
 * Taking over.  A lease held by another process is taken over when
 *   - its holder has not renewed it for its lease_ttl, as measured by the
 *     taker's own monotonic clock from the moment it first saw the row as
 *     it is: no two hosts' clocks are compared, so clock skew never hands
 *     a live lease over; or
 *   - its holder is a process of this node (same [cluster] node, same
 *     boot and process namespace) that is no longer running: a killed
 *     `gasvoucher bill` is taken over at once on its own host.
 *
 * Fencing.  Work done in transactions renews the lease inside each of
 * them (gv_lease_fence) as its first statement: the transaction then goes
 * on only while the lease is still this holder's, and it holds the lease
 * row until it commits, so nobody takes the lease over half-way through
 * it.  A holder that finds its lease taken stops; what it committed
 * stays, and its successor goes on from there.
 *
 * A gv_lease_t belongs to one thread and remembers what it saw of another
 * holder, so a daemon that keeps one notices a silent holder in time.
 */
#ifndef GV_LEASE_H
#define GV_LEASE_H

#include <stdint.h>

#include "conf.h"
#include "db.h"
#include "err.h"
#include "leases.h"

typedef struct gv_lease gv_lease_t;

/* A lease named name for this node ([cluster] node, else the host name)
 * with [cluster] lease_ttl.  NULL when out of memory. */
gv_lease_t *gv_lease_new(const char *name, const gv_conf_t *conf);
/* Frees l; a lease still held is given back first when db is given. */
void gv_lease_free(gv_lease_t *l, gv_db_t *db);

/* Tries once: 1 held (taken now, or held already), 0 another holds it
 * (err names it), -1 the database failed (err). */
int gv_lease_take(gv_lease_t *l, gv_db_t *db, gv_err_t *err);
/* Tries every second until taken (1) or the database fails (-1); says
 * once in the log whom it waits for. */
int gv_lease_wait(gv_lease_t *l, gv_db_t *db, gv_err_t *err);
/* Renews a held lease outside a transaction: 1 still held, 0 lost (err
 * names the new holder), -1 the database failed. */
int gv_lease_keep(gv_lease_t *l, gv_db_t *db, gv_err_t *err);
/* Renews a held lease inside the caller's transaction (its first
 * statement, see above).  0, or -1: lost (GV_DB_PERMANENT, e names it) or
 * the database failed. */
int gv_lease_fence(gv_lease_t *l, gv_db_t *db, gv_db_error_t *e);
/* Gives a held lease back.  When the database fails the lease stays this
 * gv_lease_t's (the next gv_lease_take finds it held), or expires. */
void gv_lease_release(gv_lease_t *l, gv_db_t *db);
int gv_lease_held(const gv_lease_t *l);
const char *gv_lease_name(const gv_lease_t *l);

/* ---- the rule, pure (for the tests) ------------------------------------ */

typedef enum {
    GV_LEASE_FREE,          /* given back: take it */
    GV_LEASE_OURS,          /* this gv_lease_t holds it */
    GV_LEASE_DEAD,          /* its holder is a process of this node that is gone */
    GV_LEASE_SILENT,        /* not renewed for its ttl, by our clock */
    GV_LEASE_ALIVE,         /* someone else holds it */
} gv_lease_verdict_t;

/* What a taker saw of someone else's lease, and since when. */
typedef struct gv_lease_watch {
    int seen;
    char token[GV_LEASE_TOKEN_LEN + 1];
    int64_t beat;
    int64_t since_ms;       /* monotonic */
} gv_lease_watch_t;

/* Judges row for a taker that is process me_process on node me_node
 * holding token mine ("" = none), at monotonic now_ms; updates w.
 * gone(process) says whether a process of this host with that key has
 * ended. */
gv_lease_verdict_t gv_lease_judge(const gv_lease_row_t *row, const char *me_node,
                                  const char *me_process, const char *mine,
                                  gv_lease_watch_t *w, int64_t now_ms,
                                  int (*gone)(const char *process));
/* Whether process keys a and b ("BOOT/PIDNS/PID/START") name processes of
 * one kernel and one process namespace, where a pid means the same
 * process.  Pure. */
int gv_lease_same_host(const char *a, const char *b);
/* The pid in a process key; 0 when there is none.  Pure. */
long gv_lease_pid(const char *process);

#endif
