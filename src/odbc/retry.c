/* retry.c - the reconnect policy (see retry.h). */
#include "config.h"
#include "retry.h"

#include <errno.h>
#include <time.h>

#include "fsutil.h"

static void sleep_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

/* Waits out the back-off and connects until reconnect_for_ms has passed. */
static int reconnect(gv_db_t *db, gv_db_retry_t *p, gv_db_error_t *e)
{
    int64_t give_up = gv_monotonic_ms() + p->reconnect_for_ms;

    for (;;) {
        int64_t now = gv_monotonic_ms();
        int64_t wait = gv_db_backoff_left_ms(db, now);
        if (wait > 0) {
            if (now + wait > give_up)
                return -1;
            sleep_ms((long)wait);
        }
        if (gv_db_ensure(db, gv_monotonic_ms(), e) == 0)
            return 0;
        if (gv_monotonic_ms() >= give_up)
            return -1;
    }
}

int gv_db_again(gv_db_t *db, gv_db_retry_t *p, gv_db_error_t *e, long *tries)
{
    switch (e->action) {
    case GV_DB_RETRY:
        if ((*tries)++ >= p->tx_retries)
            return 0;
        p->retried++;
        sleep_ms(50L << (*tries < 6 ? *tries : 6));
        return 1;
    case GV_DB_RECONNECT:
        if (p->forget)
            p->forget(p->forget_ud);
        gv_db_disconnect(db, gv_monotonic_ms());
        p->reconnects++;
        if (p->reconnect_for_ms > 0)
            return reconnect(db, p, e) == 0;
        /* One immediate attempt per step: the caller answers its client. */
        if ((*tries)++ >= 1)
            return 0;
        gv_db_allow_now(db);
        return gv_db_ensure(db, gv_monotonic_ms(), e) == 0;
    default:
        return 0;
    }
}

int gv_db_connect_within(gv_db_t *db, gv_db_retry_t *p, gv_db_error_t *e)
{
    if (gv_db_ensure(db, gv_monotonic_ms(), e) == 0)
        return 0;
    if (p->reconnect_for_ms <= 0)
        return -1;
    p->reconnects++;
    return reconnect(db, p, e);
}
