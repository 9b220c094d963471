/* billing_reader.c - reading ahead.
 *
 * A chunk is read and computed on a second connection, by a second thread,
 * while the one before it is written: the chunks' account ranges are
 * disjoint, so what the reader sees of gv_bill cannot depend on the write
 * in flight.  Two chunk buffers go back and forth between the threads.
 */
#include "config.h"
#include "billing_int.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "fsutil.h"

struct reader {
    run_t r;                        /* the run, on the reader's connection */
    gv_billing_summary_t sum;       /* the reader's retries and reconnects */
    gv_db_t *db;
    int past_deadline;
    char after[64];
    pthread_t thread;
    int started;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    chunk_t buf[2];
    int full[2];                    /* buf[k] is the writer's until it empties it */
    read_result_t result[2];
    int stop;                       /* the writer has given up */
    gv_err_t err;
};

/* The site's view of the chunk's accounts: acc[i] for items.v[i]. */
static int chunk_accounts(chunk_t *c)
{
    size_t n = c->items.n;

    if (n > c->capacc) {
        gv_site_account_t *na = realloc(c->acc, n * sizeof *na);
        size_t *nall;
        if (!na)
            return -1;
        c->acc = na;
        if (!(nall = realloc(c->all, n * sizeof *nall)))
            return -1;
        c->all = nall;
        c->capacc = c->capall = n;
    }
    for (size_t i = 0; i < n; i++) {
        memset(&c->acc[i], 0, sizeof c->acc[i]);
        snprintf(c->acc[i].account, sizeof c->acc[i].account, "%s", c->items.v[i].account);
        c->all[i] = i;
    }
    return 0;
}

/* The next chunk after `after` (advanced), read and computed. */
static read_result_t read_chunk(run_t *r, int past_deadline, char after[64], chunk_t *c,
                                gv_err_t *err)
{
    gv_db_error_t e;

    for (long tries = 0;;) {
        e.msg[0] = '\0';
        if (gv_store_bills_next(r->own, past_deadline, after, r->opts->chunk, &c->items, &e) ==
            0) {
            if (chunk_accounts(c) < 0) {
                gv_err_set(err, "reading the vouchers to bill: out of memory");
                return READ_FAILED;
            }
            if (r->adapter->read_for_billing(r->site, &r->sp, c->acc, c->items.n, &c->reads,
                                             &e) == 0)
                break;
        }
        if (!gv_db_again(r->db, &r->retry, &e, &tries)) {
            gv_err_set(err, "reading the vouchers to bill: %s", e.msg);
            return READ_FAILED;
        }
    }
    if (c->items.fetched == 0)
        return READ_END;
    /* The keyset resumes after the chunk's last account in the engine's
     * own order (its collation may not be strcmp's). */
    snprintf(after, 64, "%s", c->items.last_account);
    if (c->items.n == 0)
        return READ_EMPTY;
    return chunk_compute(r, c, err) < 0 ? READ_FAILED : READ_CHUNK;
}

static void *reader_main(void *arg)
{
    reader_t *rd = arg;

    for (int k = 0;; k ^= 1) {
        read_result_t res;
        int stop;
        pthread_mutex_lock(&rd->mu);
        while (rd->full[k] && !rd->stop)
            pthread_cond_wait(&rd->cv, &rd->mu);
        stop = rd->stop;
        pthread_mutex_unlock(&rd->mu);
        if (stop)
            break;
        do
            res = read_chunk(&rd->r, rd->past_deadline, rd->after, &rd->buf[k], &rd->err);
        while (res == READ_EMPTY);
        pthread_mutex_lock(&rd->mu);
        rd->result[k] = res;
        rd->full[k] = 1;
        pthread_cond_broadcast(&rd->cv);
        pthread_mutex_unlock(&rd->mu);
        if (res != READ_CHUNK)
            break;
    }
    return NULL;
}

reader_t *reader_start(const run_t *r, int past_deadline, gv_err_t *err)
{
    reader_t *rd = calloc(1, sizeof *rd);
    gv_db_error_t e;

    if (!rd || !(rd->db = gv_db_new_like(r->db))) {
        free(rd);
        gv_err_set(err, "out of memory");
        return NULL;
    }
    rd->r.env = r->env;
    rd->r.opts = r->opts;
    rd->r.sum = &rd->sum;
    rd->past_deadline = past_deadline;
    pthread_mutex_init(&rd->mu, NULL);
    pthread_cond_init(&rd->cv, NULL);
    if (run_open(&rd->r, rd->db, err) < 0) {
        reader_end(rd, NULL);
        return NULL;
    }
    if (gv_db_connect_within(rd->db, &rd->r.retry, &e) < 0) {
        gv_err_set(err, "cannot open the reading connection: %s", e.msg);
        reader_end(rd, NULL);
        return NULL;
    }
    if (pthread_create(&rd->thread, NULL, reader_main, rd) != 0) {
        gv_err_set(err, "cannot start the reading thread: %s", strerror(errno));
        reader_end(rd, NULL);
        return NULL;
    }
    rd->started = 1;
    return rd;
}

read_result_t reader_take(reader_t *rd, int k, chunk_t **c, gv_err_t *err)
{
    read_result_t res;

    pthread_mutex_lock(&rd->mu);
    while (!rd->full[k])
        pthread_cond_wait(&rd->cv, &rd->mu);
    res = rd->result[k];
    pthread_mutex_unlock(&rd->mu);
    *c = &rd->buf[k];
    if (res == READ_FAILED)
        *err = rd->err;
    return res;
}

void reader_give_back(reader_t *rd, int k)
{
    pthread_mutex_lock(&rd->mu);
    rd->full[k] = 0;
    pthread_cond_broadcast(&rd->cv);
    pthread_mutex_unlock(&rd->mu);
}

void reader_end(reader_t *rd, run_t *r)
{
    if (!rd)
        return;
    if (rd->started) {
        pthread_mutex_lock(&rd->mu);
        rd->stop = 1;
        pthread_cond_broadcast(&rd->cv);
        pthread_mutex_unlock(&rd->mu);
        pthread_join(rd->thread, NULL);
    }
    pthread_mutex_destroy(&rd->mu);
    pthread_cond_destroy(&rd->cv);
    if (r) {
        r->sum->reconnects += rd->r.retry.reconnects;
        r->sum->tx_retries += rd->r.retry.retried;
    }
    for (int k = 0; k < 2; k++)
        chunk_free(&rd->buf[k]);
    run_close(&rd->r);
    gv_db_free(rd->db);
    free(rd);
}
