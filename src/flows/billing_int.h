/* billing_int.h - the parts of a billing run, shared by its files:
 *   billing.c         the run: checks, the chunk loop, the report;
 *   billing_chunk.c   one chunk: computing its bills, committing them
 *                     with gasvoucher's own rows in one transaction;
 *   billing_reader.c  reading and computing the next chunk on a second
 *                     connection while the current one is written.
 * Nothing outside these files includes this. */
#ifndef GV_BILLING_INT_H
#define GV_BILLING_INT_H

#include "adapter.h"
#include "billing.h"
#include "bills.h"
#include "lease.h"
#include "retry.h"

/* A chunk: gasvoucher's items and what the site said of their accounts
 * (acc[i] is items.v[i]'s account). */
typedef struct chunk {
    gv_bill_items_t items;
    gv_site_account_t *acc;
    size_t capacc;
    gv_site_readings_t reads;
    size_t *all, capall;            /* 0..n-1: every item */
    gv_site_bill_t *bills;          /* scratch for the site's write */
    size_t capbills;
} chunk_t;

void chunk_free(chunk_t *c);

/* One run on one connection (the writer's, or the reader's). */
typedef struct run {
    const gv_billing_env_t *env;
    const gv_billing_opts_t *opts;
    gv_billing_summary_t *sum;
    gv_db_t *db;
    gv_site_period_t sp;
    const gv_adapter_t *adapter;    /* the recording one in a dry run */
    void *site;                     /* its context, on db */
    void *site_inner;               /* a dry run's real context under it */
    gv_store_bills_t *own;          /* gasvoucher's rows, on db */
    gv_db_retry_t retry;
    gv_lease_t *lease;              /* "billing", held by the writer; NULL in the reader
                                     * and in a dry run */
    char report_id[37];             /* the id this run's report will have */
    int report_unsure;              /* the report step's COMMIT went unanswered */
    long site_refused;              /* bills the site refused (SITE_REFUSED) */
    char first_refusal[240];        /* what it said the first time */
} run_t;

/* A run whose first this many bills the site all refused stops: that is
 * no voucher's own problem (see chunk_commit). */
#define GV_REFUSALS_TO_STOP 20

/* Opens the run's parts on db (the adapter's context, gasvoucher's
 * statements, the retry policy); run_close undoes it. */
int run_open(run_t *r, gv_db_t *db, gv_err_t *err);
void run_close(run_t *r);

/* billing_chunk.c */
int chunk_compute(run_t *r, chunk_t *c, gv_err_t *err);
int chunk_commit(run_t *r, chunk_t *c, const size_t *idx, size_t n, gv_db_error_t *e);
void chunk_count(run_t *r, chunk_t *c, const size_t *idx, size_t n);
void chunk_dry_run(run_t *r, chunk_t *c);

/* billing_reader.c */
typedef struct reader reader_t;
typedef enum { READ_CHUNK, READ_EMPTY, READ_END, READ_FAILED } read_result_t;

reader_t *reader_start(const run_t *r, int past_deadline, gv_err_t *err);
/* Waits for chunk k (0, 1, 0, ...); the result says what is in it. */
read_result_t reader_take(reader_t *rd, int k, chunk_t **c, gv_err_t *err);
void reader_give_back(reader_t *rd, int k);
/* Stops the reader and adds its retry counts to r's. */
void reader_end(reader_t *rd, run_t *r);

#endif
