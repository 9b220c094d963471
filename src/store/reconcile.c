/* reconcile.c - the period's reconciliation queries (see reconcile.h). */
#include "config.h"
#include "reconcile.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


/* A column's kind: 't' text, 'i' a number (BIGINT). */
typedef struct rec_query {
    const char *sql;
    int nbind;                  /* '?' placeholders, each bound to the period */
    const char *kinds;
} rec_query_t;

/* The occurrence that stands for a voucher: the first of its id (lowest
 * part, then position), and beside it a different content under the same
 * id (DUPLICATE_VOUCHER).  The same content delivered again is not a
 * voucher of its own. */
#define VOUCHER_ROWS "(o.standing = 1 OR o.dupv = 1)"
/* A voucher's bill: gasvoucher's row for its account and id, which only
 * the standing occurrence can have. */
#define REGISTER_JOIN                                                     \
    "LEFT JOIN gv_bill b ON o.standing = 1 AND b.period = o.period"      \
    " AND b.account = o.account_norm AND b.voucher_id = o.voucher_id"

static const rec_query_t queries[GV_REC_COUNT] = {
    [GV_REC_LISTS] = {
        "SELECT state, COUNT(*), SUM(voucher_count) FROM gv_batch WHERE period = ?"
        " GROUP BY state ORDER BY state", 1, "tii" },
    [GV_REC_TRAIL_COUNTS] = {
        "SELECT new_outcome, COUNT(*) FROM gv_trail WHERE period = ?"
        " GROUP BY new_outcome ORDER BY new_outcome", 1, "ti" },
    [GV_REC_REPORT_STATES] = {
        "SELECT state, COUNT(*) FROM gv_outbox WHERE period = ? AND kind = 'RedemptionReport'"
        " GROUP BY state ORDER BY state", 1, "ti" },
    [GV_REC_BILLED_COUNT] = {
        "SELECT COUNT(*) FROM gv_bill WHERE period = ? AND status = 'BILLED'", 1, "i" },
    [GV_REC_VOUCHERS] = {
        "SELECT o.voucher_id, o.account_typed, o.account_norm, b.region, o.assistance, o.channel,"
        " o.activated_at, o.status, o.reason, b.status, b.reason, b.volume_milli, b.price_tiyn,"
        " b.charge_tiyn, b.discount_tiyn, b.due_tiyn, b.rule_name, b.bill_ref, b.report_id,"
        " x.state, o.batch_id, o.item_no"
        " FROM gv_occurrence o " REGISTER_JOIN
        " LEFT JOIN gv_outbox x ON x.kind = 'RedemptionReport' AND x.ref = b.report_id"
        " WHERE o.period = ? AND " VOUCHER_ROWS
        " ORDER BY o.account_norm, o.voucher_id, o.batch_id, o.item_no",
        1, "tttttti" "tttt" "iiiii" "tttt" "ti" },
    [GV_REC_PENDING] = {
        "SELECT voucher_id, account, region, reason, updated_at, report_id FROM gv_bill"
        " WHERE period = ? AND status = 'PENDING' ORDER BY reason, account", 1, "ttttit" },
    [GV_REC_CONFLICTS] = {
        "SELECT voucher_id, account, region, reason, updated_at, report_id FROM gv_bill"
        " WHERE period = ? AND status = 'CONFLICT' ORDER BY reason, account", 1, "ttttit" },
    [GV_REC_TRAIL] = {
        "SELECT at, voucher_id, batch_id, item_no, old_outcome, new_outcome, cause_batch"
        " FROM gv_trail WHERE period = ? ORDER BY at, trail_id", 1, "ittittt" },
    [GV_REC_RUNS] = {
        "SELECT run_id, started_at, finished_at, billed, pending, conflicts, charge_tiyn,"
        " discount_tiyn, due_tiyn, report_id FROM gv_run WHERE period = ?"
        " ORDER BY started_at, run_id", 1, "tiiiiiiiit" },
    [GV_REC_REPORTS] = {
        "SELECT ref, created_at, state, attempts, delivered_at, last_error, body_name"
        " FROM gv_outbox WHERE period = ? AND kind = 'RedemptionReport'"
        " ORDER BY created_at, ref", 1, "titiitt" },
};

/* Text values are at most a VARCHAR(255) of UTF-8. */
#define TEXT_MAX 1024
#define MAX_COLS 32

typedef struct row_buf {
    char text[MAX_COLS][TEXT_MAX];
    gv_rec_value_t v[MAX_COLS];
} row_buf_t;

/* Fetches every row of an executed statement into rb and hands it on. */
static int stream_rows(gv_db_stmt_t *st, const char *kinds, gv_rec_row_fn fn, void *ud,
                       gv_db_error_t *e)
{
    size_t n = strlen(kinds);
    row_buf_t *rb = malloc(sizeof *rb);
    int row;

    if (!rb) {
        e->action = GV_DB_PERMANENT;
        snprintf(e->msg, sizeof e->msg, "out of memory");
        return -1;
    }
    while ((row = gv_db_fetch(st, e)) == 1) {
        for (size_t c = 0; c < n; c++) {
            gv_rec_value_t *v = &rb->v[c];
            if (kinds[c] == 't') {
                if (gv_db_get_text(st, (int)c + 1, rb->text[c], TEXT_MAX, &v->is_null, e) < 0)
                    goto fail;
                if (v->is_null)
                    rb->text[c][0] = '\0';
                else {          /* CHAR(n) columns come back padded */
                    size_t len = strlen(rb->text[c]);
                    while (len && rb->text[c][len - 1] == ' ')
                        rb->text[c][--len] = '\0';
                }
                v->text = rb->text[c];
                v->num = 0;
            } else {
                if (gv_db_get_int64(st, (int)c + 1, &v->num, &v->is_null, e) < 0)
                    goto fail;
                if (v->is_null)
                    v->num = 0;
                v->text = "";
            }
        }
        if (fn(ud, rb->v, n) < 0) {
            e->action = GV_DB_OK;
            e->msg[0] = '\0';
            goto fail;
        }
    }
    free(rb);
    return row < 0 ? -1 : 0;
fail:
    free(rb);
    return -1;
}

size_t gv_reconcile_ncols(gv_rec_query_t q)
{
    return strlen(queries[q].kinds);
}

int gv_reconcile_query(gv_db_t *db, gv_rec_query_t q, const char *period, gv_rec_row_fn fn,
                       void *ud, gv_db_error_t *e)
{
    const rec_query_t *rq = &queries[q];
    gv_db_stmt_t *st = gv_db_prepare(db, rq->sql, e);
    int rc = -1;

    if (!st)
        return -1;
    for (int i = 1; i <= rq->nbind; i++)
        if (gv_db_bind_text(st, i, period, e) < 0)
            goto done;
    if (gv_db_execute(st, e) < 0)
        goto done;
    rc = stream_rows(st, rq->kinds, fn, ud, e);
done:
    gv_db_stmt_free(st);
    return rc;
}

#define BILL_COLS                                                                     \
    "b.account, b.voucher_id, b.status, b.volume_milli, b.charge_tiyn, b.discount_tiyn," \
    " b.due_tiyn, b.bill_ref, (SELECT MAX(r.report_id) FROM gv_run r"                  \
    " WHERE r.period = b.period AND r.report_id = b.report_id)"
#define BILL_KINDS "tttiiiitt"

int gv_reconcile_billed_page(gv_db_t *db, const char *period, const char *after, long limit,
                             gv_rec_row_fn fn, void *ud, gv_db_error_t *e)
{
    /* A key range of gv_bill's primary key, in its own order: no engine
     * has to sort, and each page starts where the last ended.  LIMIT is
     * the one spelling SQLite, PostgreSQL and MariaDB share. */
    char sql[512];
    gv_db_stmt_t *st;
    int rc = -1;

    snprintf(sql, sizeof sql,
             "SELECT " BILL_COLS " FROM gv_bill b WHERE b.period = ? AND b.account > ?"
             " AND b.status = 'BILLED' ORDER BY b.period, b.account LIMIT %ld", limit);
    if (!(st = gv_db_prepare(db, sql, e)))
        return -1;
    if (gv_db_bind_text(st, 1, period, e) == 0 && gv_db_bind_text(st, 2, after, e) == 0 &&
        gv_db_execute(st, e) == 0)
        rc = stream_rows(st, BILL_KINDS, fn, ud, e);
    gv_db_stmt_free(st);
    return rc;
}

/* ---- reading ahead -------------------------------------------------- */

/* A block of rows copied out of the statement's buffers: the reader
 * thread fills one while the caller's thread hands the other's rows on. */
#define BLOCK_ROWS 2048
#define BLOCK_BYTES (2u << 20)

typedef struct block {
    size_t nrows, ncols, used;
    gv_rec_value_t *v;          /* nrows * ncols */
    char *text;                 /* BLOCK_BYTES of copied text */
} block_t;

typedef struct ahead {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    block_t blocks[2];
    int full[2];                /* a block waiting for the consumer */
    int fill;                   /* the block the reader fills */
    int done;                   /* the reader finished */
    atomic_int stop;            /* the consumer gave up */
    int rc;                     /* the reader's result */
    gv_db_error_t e;
    gv_db_t *db;
    gv_rec_query_t q;
    const char *period;
    size_t ncols;
} ahead_t;

/* Waits until the block being filled is free; 0, or -1 when told to stop. */
static int wait_free(ahead_t *a)
{
    int stop;

    pthread_mutex_lock(&a->mu);
    while (a->full[a->fill] && !atomic_load(&a->stop))
        pthread_cond_wait(&a->cv, &a->mu);
    stop = atomic_load(&a->stop);
    pthread_mutex_unlock(&a->mu);
    return stop ? -1 : 0;
}

static void hand_over(ahead_t *a)
{
    pthread_mutex_lock(&a->mu);
    a->full[a->fill] = 1;
    a->fill ^= 1;
    pthread_cond_broadcast(&a->cv);
    pthread_mutex_unlock(&a->mu);
}

static int copy_row(void *ud, const gv_rec_value_t *row, size_t n)
{
    ahead_t *a = ud;
    block_t *b = &a->blocks[a->fill];
    size_t need = 0;

    if (atomic_load(&a->stop))
        return -1;
    for (size_t c = 0; c < n; c++)
        need += strlen(row[c].text) + 1;
    if (b->nrows == BLOCK_ROWS || b->used + need > BLOCK_BYTES) {
        hand_over(a);
        if (wait_free(a) < 0)
            return -1;
        b = &a->blocks[a->fill];
        b->nrows = b->used = 0;
    }
    for (size_t c = 0; c < n; c++) {
        gv_rec_value_t *v = &b->v[b->nrows * a->ncols + c];
        size_t len = strlen(row[c].text) + 1;
        memcpy(b->text + b->used, row[c].text, len);
        *v = row[c];
        v->text = b->text + b->used;
        b->used += len;
    }
    b->nrows++;
    return 0;
}

static void *reader(void *arg)
{
    ahead_t *a = arg;
    int rc = gv_reconcile_query(a->db, a->q, a->period, copy_row, a, &a->e);

    pthread_mutex_lock(&a->mu);
    if (a->blocks[a->fill].nrows && !atomic_load(&a->stop))
        a->full[a->fill] = 1;           /* the last, partly filled block */
    a->rc = rc;
    a->done = 1;
    pthread_cond_broadcast(&a->cv);
    pthread_mutex_unlock(&a->mu);
    return NULL;
}

int gv_reconcile_query_ahead(gv_db_t *db, gv_rec_query_t q, const char *period,
                             gv_rec_row_fn fn, void *ud, gv_db_error_t *e)
{
    ahead_t a;
    pthread_t th;
    int take = 0, stopped = 0;

    memset(&a, 0, sizeof a);
    a.db = db;
    a.q = q;
    a.period = period;
    a.ncols = gv_reconcile_ncols(q);
    for (int i = 0; i < 2; i++) {
        a.blocks[i].ncols = a.ncols;
        a.blocks[i].v = malloc(BLOCK_ROWS * a.ncols * sizeof *a.blocks[i].v);
        a.blocks[i].text = malloc(BLOCK_BYTES);
        if (!a.blocks[i].v || !a.blocks[i].text) {
            for (int k = 0; k < 2; k++)
                free(a.blocks[k].v), free(a.blocks[k].text);
            return gv_reconcile_query(db, q, period, fn, ud, e);   /* no memory to read ahead */
        }
    }
    pthread_mutex_init(&a.mu, NULL);
    pthread_cond_init(&a.cv, NULL);
    if (pthread_create(&th, NULL, reader, &a) != 0) {
        pthread_mutex_destroy(&a.mu);
        pthread_cond_destroy(&a.cv);
        for (int i = 0; i < 2; i++)
            free(a.blocks[i].v), free(a.blocks[i].text);
        return gv_reconcile_query(db, q, period, fn, ud, e);
    }
    for (;;) {
        block_t *b;
        pthread_mutex_lock(&a.mu);
        while (!a.full[take] && !a.done)
            pthread_cond_wait(&a.cv, &a.mu);
        if (!a.full[take]) {            /* done, nothing more */
            pthread_mutex_unlock(&a.mu);
            break;
        }
        pthread_mutex_unlock(&a.mu);
        b = &a.blocks[take];
        for (size_t r = 0; r < b->nrows && !stopped; r++)
            if (fn(ud, &b->v[r * a.ncols], a.ncols) < 0)
                stopped = 1;
        pthread_mutex_lock(&a.mu);
        a.full[take] = 0;
        b->nrows = b->used = 0;
        if (stopped)
            atomic_store(&a.stop, 1);
        pthread_cond_broadcast(&a.cv);
        pthread_mutex_unlock(&a.mu);
        take ^= 1;
        if (stopped)
            break;
    }
    pthread_join(th, NULL);
    pthread_mutex_destroy(&a.mu);
    pthread_cond_destroy(&a.cv);
    for (int i = 0; i < 2; i++)
        free(a.blocks[i].v), free(a.blocks[i].text);
    if (stopped) {
        e->action = GV_DB_OK;
        e->msg[0] = '\0';
        return -1;
    }
    if (a.rc < 0)
        *e = a.e;
    return a.rc;
}
