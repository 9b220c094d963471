/* status.c - the counts behind /metrics (status.h). */
#include "config.h"
#include "status.h"

#include <string.h>

static gv_period_status_t *period_of(gv_store_status_t *st, const char *period)
{
    for (size_t i = 0; i < st->nperiods; i++)
        if (!strcmp(st->periods[i].period, period))
            return &st->periods[i];
    return NULL;
}

/* Runs sql (one text parameter: the oldest period, or none) and calls row
 * for each row with its first column as text and the next two as numbers. */
static int each_row(gv_db_t *db, const char *sql, const char *since, gv_store_status_t *st,
                    void (*row)(gv_store_status_t *, const char *, int64_t, int64_t),
                    gv_db_error_t *e)
{
    gv_db_stmt_t *s = gv_db_prepare(db, sql, e);
    int r;

    if (!s)
        return -1;
    if ((since && gv_db_bind_text(s, 1, since, e) < 0) || gv_db_execute(s, e) < 0) {
        gv_db_stmt_free(s);
        return -1;
    }
    while ((r = gv_db_fetch(s, e)) == 1) {
        char key[16];
        int64_t a = 0, b = 0;
        int null_key, null_a, null_b;
        if (gv_db_get_text(s, 1, key, sizeof key, &null_key, e) < 0 ||
            gv_db_get_int64(s, 2, &a, &null_a, e) < 0 || gv_db_get_int64(s, 3, &b, &null_b, e) < 0) {
            r = -1;
            break;
        }
        if (!null_key)
            row(st, key, null_a ? 0 : a, null_b ? 0 : b);
    }
    gv_db_stmt_free(s);
    return r < 0 ? -1 : 0;
}

static void outbox_row(gv_store_status_t *st, const char *state, int64_t n, int64_t oldest)
{
    if (!strcmp(state, "DELIVERED")) {
        st->outbox_delivered = n;
        return;
    }
    if (!strcmp(state, "PENDING"))
        st->outbox_pending = n;
    else if (!strcmp(state, "FAILED"))
        st->outbox_failed = n;
    if (oldest && (!st->outbox_oldest_at || oldest < st->outbox_oldest_at))
        st->outbox_oldest_at = oldest;
}

static void batch_row(gv_store_status_t *st, const char *state, int64_t n, int64_t unused)
{
    (void)unused;
    if (!strcmp(state, "PROCESSED"))
        st->batches_processed = n;
    else
        st->batches_received += n;
}

static void period_batches(gv_store_status_t *st, const char *period, int64_t n, int64_t parts)
{
    gv_period_status_t *p = period_of(st, period);
    if (p) {
        p->batches = n;
        p->parts = parts;
    }
}

static void period_run(gv_store_status_t *st, const char *period, int64_t finished, int64_t unused)
{
    gv_period_status_t *p = period_of(st, period);
    (void)unused;
    if (p)
        p->billed_at = finished;
}

static void period_pending(gv_store_status_t *st, const char *period, int64_t n, int64_t unused)
{
    gv_period_status_t *p = period_of(st, period);
    (void)unused;
    if (p)
        p->pending = n;
}

int gv_store_status(gv_db_t *db, gv_store_status_t *st, gv_db_error_t *e)
{
    const char *since = NULL;

    st->outbox_pending = st->outbox_failed = st->outbox_delivered = st->outbox_oldest_at = 0;
    st->batches_received = st->batches_processed = 0;
    for (size_t i = 0; i < st->nperiods; i++) {
        gv_period_status_t *p = &st->periods[i];
        p->batches = p->parts = p->billed_at = p->pending = 0;
        if (!since || strcmp(p->period, since) < 0)
            since = p->period;
    }
    if (each_row(db, "SELECT state, COUNT(*), MIN(created_at) FROM gv_outbox GROUP BY state",
                 NULL, st, outbox_row, e) < 0 ||
        each_row(db, "SELECT state, COUNT(*), 0 FROM gv_batch GROUP BY state", NULL, st,
                 batch_row, e) < 0)
        return -1;
    if (!since)
        return 0;
    if (each_row(db,
                 "SELECT period, COUNT(*), MAX(parts) FROM gv_batch WHERE period >= ?"
                 " GROUP BY period",
                 since, st, period_batches, e) < 0 ||
        each_row(db,
                 "SELECT period, MAX(finished_at), 0 FROM gv_run WHERE period >= ? GROUP BY period",
                 since, st, period_run, e) < 0 ||
        each_row(db,
                 "SELECT period, COUNT(*), 0 FROM gv_bill WHERE period >= ? AND status = 'PENDING'"
                 " GROUP BY period",
                 since, st, period_pending, e) < 0)
        return -1;
    return 0;
}
