/* intake.c - receive and process voucher batches. */
#include "config.h"
#include "intake.h"
#include "check.h"
#include "files.h"
#include "fsutil.h"
#include "judge.h"
#include "lease.h"
#include "log.h"
#include "outbox.h"
#include "result.h"
#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct gv_intake {
    gv_runtime_t *rt;
    gv_sig_verifier_t *verifier;
    gv_sig_signer_t *signer;
    gv_db_t *db;
    gv_lease_t *lease;          /* "intake": one node processes at a time */
    char spool[PATH_MAX];
};

gv_intake_t *gv_intake_new(gv_runtime_t *rt, gv_err_t *err)
{
    const gv_conf_t *conf = rt->conf;
    gv_intake_t *in = calloc(1, sizeof *in);
    gv_db_opts_t opts = gv_conf_db_opts(conf);
    static const char *const subdirs[] = { "batches", "outbox", "tmp" };

    if (!in) {
        gv_err_set(err, "out of memory");
        return NULL;
    }
    in->rt = gv_runtime_acquire(rt);
    snprintf(in->spool, sizeof in->spool, "%s", conf->spool_dir);
    if (!conf->wallet_signing_ca || !conf->signing_cert || !conf->signing_key) {
        gv_err_set(err, "%s: [signing] wallet_ca, cert and key are needed to take in voucher "
                        "lists",
                    conf->path);
        goto fail;
    }
    if (!(in->verifier = gv_sig_verifier_new(conf->wallet_signing_ca, err)) ||
        !(in->signer = gv_sig_signer_new(conf->signing_cert, conf->signing_key,
                                         conf->signing_chain, err)))
        goto fail;
    if (gv_mkdirs(in->spool, err) < 0)
        goto fail;
    for (size_t i = 0; i < sizeof subdirs / sizeof subdirs[0]; i++) {
        char path[PATH_MAX + 16];
        snprintf(path, sizeof path, "%s/%s", in->spool, subdirs[i]);
        if (gv_mkdirs(path, err) < 0)
            goto fail;
    }
    /* Batches read and write many rows: a site may give this work a
     * connection of its own settings (see gasvoucher.conf(5)). */
    if (!(in->db = gv_db_new(conf->intake_connection ? conf->intake_connection
                                                     : conf->db_connection,
                             &opts))) {
        gv_err_set(err, "out of memory");
        goto fail;
    }
    if (!(in->lease = gv_lease_new("intake", conf))) {
        gv_err_set(err, "out of memory");
        goto fail;
    }
    return in;
fail:
    gv_intake_free(in);
    return NULL;
}

void gv_intake_free(gv_intake_t *in)
{
    if (!in)
        return;
    gv_lease_free(in->lease, in->db);
    gv_db_free(in->db);
    gv_sig_verifier_free(in->verifier);
    gv_sig_signer_free(in->signer);
    gv_runtime_release(in->rt);
    free(in);
}

const char *gv_intake_spool(const gv_intake_t *in)
{
    return in->spool;
}

const gv_sig_signer_t *gv_intake_signer(const gv_intake_t *in)
{
    return in->signer;
}

gv_db_t *gv_intake_db(gv_intake_t *in)
{
    return in->db;
}

int gv_intake_tmpdir(gv_intake_t *in, char *out, size_t outsz, gv_err_t *err)
{
    if ((size_t)snprintf(out, outsz, "%s/tmp/rcv-XXXXXX", in->spool) >= outsz) {
        gv_err_set(err, "spool path too long");
        return -1;
    }
    if (!mkdtemp(out)) {
        gv_err_set(err, "%s: %s", out, strerror(errno));
        return -1;
    }
    return 0;
}

/* Connects when not connected; a failure is UNAVAILABLE for the caller. */
static int ensure_db(gv_intake_t *in, gv_db_error_t *e)
{
    gv_db_allow_now(in->db);
    return gv_db_ensure(in->db, gv_monotonic_ms(), e);
}

static int refuse(gv_receipt_t *rc, gv_fault_t f)
{
    rc->fault = f;
    return -1;
}

/* Removes the receipt's temporary folder and what is in it. */
static void drop_tmp(const char *path)
{
    char dir[PATH_MAX];
    char *slash;

    snprintf(dir, sizeof dir, "%s", path);
    if (!(slash = strrchr(dir, '/')))
        return;
    unlink(path);
    *slash = '\0';
    if (strstr(dir, "/tmp/rcv-"))
        rmdir(dir);
}

/* The batch's row and its bytes (the file and its signature, as they now
 * are in the spool) in one transaction: any node can process it from the
 * moment it is registered.  GV_DB_DUPLICATE when the batchId is there
 * already. */
static int register_batch(gv_intake_t *in, const gv_batch_row_t *row, const char *path,
                          const char *sigpath, gv_db_error_t *e)
{
    char name[GV_FILE_NAME_MAX + 1], signame[GV_FILE_NAME_MAX + 1];
    gv_db_error_t ignore;

    snprintf(name, sizeof name, "batches/%s", row->spool_name);
    snprintf(signame, sizeof signame, "batches/%s.p7s", row->spool_name);
    if (gv_db_begin(in->db, e) < 0)
        return -1;
    /* The batch row first: of two nodes receiving one batch at once, the
     * second waits on its key and is told DUPLICATE before it stores any
     * bytes. */
    if (gv_store_batch_insert(in->db, row, e) < 0 ||
        gv_store_file_put(in->db, name, path, row->received_at, e) < 0 ||
        gv_store_file_put(in->db, signame, sigpath, row->received_at, e) < 0 ||
        gv_db_commit(in->db, e) < 0) {
        gv_db_rollback(in->db, &ignore);
        return -1;
    }
    return 0;
}

static int receive(gv_intake_t *in, const char *path, gv_batch_form_t form,
                   const unsigned char *sig, size_t siglen, const char *channel, time_t now,
                   gv_receipt_t *rc)
{
    const gv_conf_t *conf = in->rt->conf;
    gv_sig_info_t info;
    gv_batch_row_t row, have;
    gv_db_error_t dbe;
    char spool_name[96], dst[PATH_MAX + 128], sigpath[PATH_MAX + 136];
    const char *ext = form == GV_FORM_XML ? "xml" : "csv";
    int found;

    memset(rc, 0, sizeof *rc);
    rc->received_at = now;
    if (!sig || !siglen) {
        gv_err_set(&rc->err, "no signature came with the batch");
        return refuse(rc, GV_FAULT_BAD_SIGNATURE);
    }
    switch (gv_sig_verify_file(in->verifier, path, sig, siglen, now, &info, &rc->err)) {
    case 0:
        break;
    case -2:
        /* Our failure, not the signature's: the sender tries again. */
        return refuse(rc, GV_FAULT_INTERNAL);
    default:
        return refuse(rc, GV_FAULT_BAD_SIGNATURE);
    }
    if ((rc->fault = gv_batch_read(path, form, conf->provider_bin, &rc->head, NULL, NULL,
                                   &rc->err)) != GV_FAULT_NONE)
        return -1;
    if (gv_sha256_file(path, rc->sha256, &rc->err) < 0)
        return refuse(rc, GV_FAULT_INTERNAL);
    if (ensure_db(in, &dbe) < 0 ||
        (found = gv_store_batch_get(in->db, rc->head.batch_id, &have, &dbe)) < 0) {
        gv_err_set(&rc->err, "the database is unavailable: %s", dbe.msg);
        rc->retry_after_s = 5;
        return refuse(rc, GV_FAULT_UNAVAILABLE);
    }
    for (int attempt = 0;; attempt++) {
        if (found) {
            if (strcmp(have.sha256, rc->sha256) == 0) {
                rc->duplicate = 1;
                return 0;
            }
            gv_err_set(&rc->err, "batch %s was received before with other bytes (sha256 %s, now %s)",
                       rc->head.batch_id, have.sha256, rc->sha256);
            return refuse(rc, GV_FAULT_BATCH_CONFLICT);
        }
        if (attempt)
            break;
        /* The bytes go under a name of their own content: a conflicting
         * copy can never overwrite the one that counts. */
        snprintf(spool_name, sizeof spool_name, "%s-%.16s.%s", rc->head.batch_id, rc->sha256, ext);
        snprintf(dst, sizeof dst, "%s/batches/%s", in->spool, spool_name);
        snprintf(sigpath, sizeof sigpath, "%s.p7s", dst);
        if (gv_write_file_durably(sigpath, sig, siglen, &rc->err) < 0 ||
            gv_move_durably(path, dst, &rc->err) < 0)
            return refuse(rc, GV_FAULT_INTERNAL);
        memset(&row, 0, sizeof row);
        snprintf(row.batch_id, sizeof row.batch_id, "%s", rc->head.batch_id);
        snprintf(row.sha256, sizeof row.sha256, "%s", rc->sha256);
        snprintf(row.provider_bin, sizeof row.provider_bin, "%s", rc->head.provider_bin);
        snprintf(row.period, sizeof row.period, "%s", rc->head.period_text);
        row.part = rc->head.part;
        row.parts = rc->head.parts;
        row.voucher_count = rc->head.voucher_count;
        snprintf(row.form, sizeof row.form, "%s", ext);
        snprintf(row.channel, sizeof row.channel, "%s", channel);
        snprintf(row.signer, sizeof row.signer, "%s", info.subject);
        row.received_at = now;
        snprintf(row.spool_name, sizeof row.spool_name, "%s", spool_name);
        if (register_batch(in, &row, dst, sigpath, &dbe) == 0)
            return 0;
        if (dbe.action != GV_DB_DUPLICATE) {
            gv_err_set(&rc->err, "cannot register the batch: %s", dbe.msg);
            rc->retry_after_s = 5;
            return refuse(rc, dbe.action == GV_DB_PERMANENT ? GV_FAULT_INTERNAL
                                                            : GV_FAULT_UNAVAILABLE);
        }
        /* Someone registered it meanwhile (two deliveries at once). */
        if ((found = gv_store_batch_get(in->db, rc->head.batch_id, &have, &dbe)) < 0) {
            gv_err_set(&rc->err, "the database is unavailable: %s", dbe.msg);
            return refuse(rc, GV_FAULT_UNAVAILABLE);
        }
    }
    gv_err_set(&rc->err, "cannot register the batch");
    return refuse(rc, GV_FAULT_INTERNAL);
}

int gv_intake_receive(gv_intake_t *in, const char *path, gv_batch_form_t form,
                      const unsigned char *sig, size_t siglen, const char *channel, time_t now,
                      gv_receipt_t *rc)
{
    int r = receive(in, path, form, sig, siglen, channel, now, rc);

    drop_tmp(path);
    return r;
}

int gv_intake_receive_file(gv_intake_t *in, const char *path, const char *channel, time_t now,
                           gv_receipt_t *rc)
{
    char dir[PATH_MAX], copy[PATH_MAX + 64], sigpath[PATH_MAX + 8];
    const char *base = strrchr(path, '/');
    unsigned char *sig = NULL;
    size_t siglen = 0;
    gv_batch_form_t form;
    int r;

    memset(rc, 0, sizeof *rc);
    base = base ? base + 1 : path;
    if (gv_batch_form_of(path, &form) < 0) {
        gv_err_set(&rc->err, "%s: a batch file is NAME.xml or NAME.csv", path);
        return refuse(rc, GV_FAULT_UNSUPPORTED_MEDIA_TYPE);
    }
    snprintf(sigpath, sizeof sigpath, "%s.p7s", path);
    if (gv_read_small_file(sigpath, 1 << 20, &sig, &siglen, &rc->err) < 0) {
        if (errno == ENOENT)
            gv_err_set(&rc->err, "%s: no signature beside it", sigpath);
        return refuse(rc, GV_FAULT_BAD_SIGNATURE);
    }
    if (gv_intake_tmpdir(in, dir, sizeof dir, &rc->err) < 0) {
        free(sig);
        return refuse(rc, GV_FAULT_INTERNAL);
    }
    snprintf(copy, sizeof copy, "%s/%s", dir, base);
    if (gv_copy_file(path, copy, &rc->err) < 0) {
        free(sig);
        drop_tmp(copy);
        return refuse(rc, GV_FAULT_INTERNAL);
    }
    r = gv_intake_receive(in, copy, form, sig, siglen, channel, now, rc);
    free(sig);
    return r;
}

/* ---- processing ------------------------------------------------------ */

/* Vouchers read before their accounts are looked up and they are stored:
 * a chunk costs one many-accounts lookup (gv_find_accounts) and a few
 * multi-row INSERTs instead of two round trips a voucher. */
#ifdef GV_INTAKE_CHUNK
#define INTAKE_CHUNK GV_INTAKE_CHUNK
#else
#define INTAKE_CHUNK 1000
#endif
/* Chunks on their way from the reader to the writer: memory holds these
 * whatever the size of the batch. */
#define CHUNKS_IN_FLIGHT 3

typedef struct chunk {
    size_t n;
    gv_voucher_in_t *v;
    gv_occurrence_in_t *o;
    char (*norm)[GV_SITE_ACCOUNT_MAX + 2];
    char (*canonical)[GV_ACCOUNT_MAX + 1];
    size_t *need;                   /* vouchers whose account is looked up */
    size_t *ask_of;                 /* for each of them, its account in ask */
    const char **ask;               /* the chunk's distinct accounts to look up */
    gv_account_record_t *recs;
    gv_lookup_t *found;
} chunk_t;

/* Reading a list and storing it overlap.  A reader thread parses the
 * file, judges each voucher as far as it alone decides (R6, R2, R4, R8)
 * and looks each chunk's accounts up, while this thread writes the chunk
 * before into gasvoucher's tables, inside the batch's one transaction.
 * The lookups go over a connection of the reader's own where the engine
 * lets a reader read beside an open write transaction; on SQLite outside
 * WAL mode (whose writer locks the file once its changes outgrow the
 * cache) over the batch's connection, taken in turn with the writer. */
typedef struct pipeline {
    gv_intake_t *in;
    const char *path;
    gv_batch_form_t form;
    void *actx;                     /* the reader's adapter context */
    pthread_mutex_t *db_lock;       /* the batch's connection, when lookups share it */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    chunk_t ring[CHUNKS_IN_FLIGHT];
    size_t filling, storing, ready; /* reader's slot, writer's slot, chunks ready */
    int done;                       /* the reader has finished; fault says how */
    int stop;                       /* the writer has given up */
    gv_fault_t fault;
    gv_err_t err;
    gv_db_error_t dbe;
    gv_batch_head_t seen;
} pipeline_t;

static int chunk_alloc(chunk_t *c)
{
    return (c->v = calloc(INTAKE_CHUNK, sizeof *c->v)) &&
                   (c->o = calloc(INTAKE_CHUNK, sizeof *c->o)) &&
                   (c->norm = calloc(INTAKE_CHUNK, sizeof *c->norm)) &&
                   (c->canonical = calloc(INTAKE_CHUNK, sizeof *c->canonical)) &&
                   (c->need = calloc(INTAKE_CHUNK, sizeof *c->need)) &&
                   (c->ask_of = calloc(INTAKE_CHUNK, sizeof *c->ask_of)) &&
                   (c->ask = calloc(INTAKE_CHUNK, sizeof *c->ask)) &&
                   (c->recs = calloc(INTAKE_CHUNK, sizeof *c->recs)) &&
                   (c->found = calloc(INTAKE_CHUNK, sizeof *c->found))
               ? 0
               : -1;
}

static void chunk_free(chunk_t *c)
{
    free(c->v);
    free(c->o);
    free(c->norm);
    free(c->canonical);
    free(c->need);
    free(c->ask_of);
    free(c->ask);
    free(c->recs);
    free(c->found);
}

static int cmp_need(const void *a, const void *b, void *ud)
{
    const chunk_t *c = ud;
    return strcmp(c->canonical[*(const size_t *)a], c->canonical[*(const size_t *)b]);
}

/* Judges the chunk's vouchers as far as each alone decides (R6, R2, R4,
 * R8), its accounts looked up at once. */
static gv_fault_t judge_chunk(pipeline_t *pl, chunk_t *c, const gv_batch_head_t *head,
                              gv_err_t *err)
{
    const gv_runtime_t *rt = pl->in->rt;
    gv_pilot_dates_t pilot = { rt->conf->pilot_start, rt->conf->pilot_end };
    size_t nneed = 0, nask = 0;
    int looked;

    for (size_t i = 0; i < c->n; i++) {
        const gv_voucher_in_t *v = &c->v[i];
        gv_occurrence_in_t *o = &c->o[i];
        *o = (gv_occurrence_in_t){ v, c->norm[i], GV_REASON_NONE, GV_REASON_NONE };
        o->pre_reason = gv_judge_voucher(head->period, v->id, v->activated, &pilot);
        if (rt->adapter->canonicalise(pl->actx, v->account, c->canonical[i],
                                      sizeof c->canonical[i]) < 0) {
            /* Cannot be a number of this provider; kept apart from every
             * real number so R7 never groups it with one. */
            snprintf(c->norm[i], sizeof c->norm[i], "?%s", v->account);
            o->account_reason = GV_REASON_UNKNOWN_ACCOUNT;
            continue;
        }
        snprintf(c->norm[i], sizeof c->norm[i], "%s", c->canonical[i]);
        if (o->pre_reason == GV_REASON_NONE)
            c->need[nneed++] = i;
    }
    /* Each account once, however many vouchers of the chunk name it. */
    qsort_r(c->need, nneed, sizeof *c->need, cmp_need, c);
    for (size_t k = 0; k < nneed; k++) {
        const char *acc = c->canonical[c->need[k]];
        if (!nask || strcmp(c->ask[nask - 1], acc) != 0)
            c->ask[nask++] = acc;
        c->ask_of[k] = nask - 1;
    }
    if (pl->db_lock)
        pthread_mutex_lock(pl->db_lock);
    looked = gv_find_accounts(rt->adapter, pl->actx, c->ask, nask, head->period,
                              gv_monotonic_ms(), c->recs, c->found, &pl->dbe);
    if (pl->db_lock)
        pthread_mutex_unlock(pl->db_lock);
    if (looked < 0) {
        gv_err_set(err, "vouchers %s to %s: account lookup failed: %s", c->v[0].id,
                   c->v[c->n - 1].id, pl->dbe.msg);
        return GV_FAULT_UNAVAILABLE;
    }
    for (size_t k = 0; k < nneed; k++) {
        size_t i = c->need[k], a = c->ask_of[k];
        int got = c->found[a] == GV_LOOKUP_FOUND;
        c->o[i].account_reason =
            gv_judge_account(gv_check_decide(got ? &c->recs[a] : NULL, head->period, rt->conf));
        /* From here on the account is the site's own key, as the site
         * returned it: two typings the mapping spells differently but
         * the site finds as one account are one account for R7, the
         * billing chunks, the bills and the reports. */
        if (got && c->recs[a].account[0])
            snprintf(c->norm[i], sizeof c->norm[i], "%s", c->recs[a].account);
    }
    return GV_FAULT_NONE;
}

/* The reader's chunk is judged and goes to the writer; the reader waits
 * while every chunk is on its way. */
static gv_fault_t pass_chunk(pipeline_t *pl, const gv_batch_head_t *head, gv_err_t *err)
{
    gv_fault_t f = judge_chunk(pl, &pl->ring[pl->filling], head, err);
    int stop;

    if (f != GV_FAULT_NONE)
        return f;
    pthread_mutex_lock(&pl->mu);
    pl->ready++;
    pl->filling = (pl->filling + 1) % CHUNKS_IN_FLIGHT;
    pthread_cond_broadcast(&pl->cv);
    while (pl->ready == CHUNKS_IN_FLIGHT && !pl->stop)
        pthread_cond_wait(&pl->cv, &pl->mu);
    stop = pl->stop;
    pthread_mutex_unlock(&pl->mu);
    if (stop) {
        gv_err_set(err, "storing the vouchers failed");
        return GV_FAULT_INTERNAL;
    }
    pl->ring[pl->filling].n = 0;
    return GV_FAULT_NONE;
}

static gv_fault_t on_voucher(void *ud, const gv_batch_head_t *head, const gv_voucher_in_t *v,
                             gv_err_t *err)
{
    pipeline_t *pl = ud;
    chunk_t *c = &pl->ring[pl->filling];

    c->v[c->n++] = *v;
    return c->n == INTAKE_CHUNK ? pass_chunk(pl, head, err) : GV_FAULT_NONE;
}

static void *reader_main(void *arg)
{
    pipeline_t *pl = arg;
    gv_fault_t f = gv_batch_read(pl->path, pl->form, pl->in->rt->conf->provider_bin, &pl->seen,
                                 on_voucher, pl, &pl->err);

    if (f == GV_FAULT_NONE && pl->ring[pl->filling].n)
        f = pass_chunk(pl, &pl->seen, &pl->err);
    pthread_mutex_lock(&pl->mu);
    pl->fault = f;
    pl->done = 1;
    pthread_cond_broadcast(&pl->cv);
    pthread_mutex_unlock(&pl->mu);
    return NULL;
}

/* Stores the chunks of the list at path as the reader passes them; the
 * vouchers stored counted in *vouchers.  0, or -1 with err. */
static int read_and_store(gv_intake_t *in, gv_store_proc_t *proc, const char *path,
                          gv_batch_form_t form, long *vouchers, gv_err_t *err)
{
    const gv_runtime_t *rt = in->rt;
    pthread_mutex_t db_lock = PTHREAD_MUTEX_INITIALIZER;
    pipeline_t *pl = calloc(1, sizeof *pl);
    gv_db_error_t dbe;
    pthread_t reader;
    int rc = -1, started = 0, failed = 0;

    *vouchers = 0;
    if (!pl) {
        gv_err_set(err, "out of memory");
        return -1;
    }
    pl->in = in;
    pl->path = path;
    pl->form = form;
    pthread_mutex_init(&pl->mu, NULL);
    pthread_cond_init(&pl->cv, NULL);
    for (size_t i = 0; i < CHUNKS_IN_FLIGHT; i++)
        if (chunk_alloc(&pl->ring[i]) < 0) {
            gv_err_set(err, "out of memory");
            goto out;
        }
    if (gv_db_readers_wait_for_writer(in->db) == 0) {
        pl->actx = rt->adapter->open(rt->conf, rt->map, err);
    } else {
        pl->db_lock = &db_lock;
        pl->actx = rt->adapter->open_shared(rt->conf, rt->map, in->db, err);
    }
    gv_log(GV_LOG_DEBUG, "%s: accounts looked up over %s", path,
           pl->db_lock ? "the batch's connection (SQLite outside WAL mode)"
                       : "a connection of their own");
    if (!pl->actx)
        goto out;
    if (pthread_create(&reader, NULL, reader_main, pl) != 0) {
        gv_err_set(err, "cannot start the list's reader");
        goto out;
    }
    started = 1;
    for (;;) {
        chunk_t *c;
        int stored;
        pthread_mutex_lock(&pl->mu);
        while (!pl->ready && !pl->done)
            pthread_cond_wait(&pl->cv, &pl->mu);
        if (!pl->ready) {
            pthread_mutex_unlock(&pl->mu);
            break;
        }
        c = &pl->ring[pl->storing];
        pthread_mutex_unlock(&pl->mu);
        if (pl->db_lock)
            pthread_mutex_lock(pl->db_lock);
        stored = gv_store_proc_add(proc, c->o, c->n, &dbe);
        if (pl->db_lock)
            pthread_mutex_unlock(pl->db_lock);
        if (stored < 0) {
            gv_err_set(err, "vouchers %s to %s: cannot store: %s", c->v[0].id,
                       c->v[c->n - 1].id, dbe.msg);
            failed = 1;
        }
        pthread_mutex_lock(&pl->mu);
        if (failed)
            pl->stop = 1;
        else
            *vouchers += (long)c->n;
        pl->ready--;
        pl->storing = (pl->storing + 1) % CHUNKS_IN_FLIGHT;
        pthread_cond_broadcast(&pl->cv);
        pthread_mutex_unlock(&pl->mu);
        if (failed)
            break;
    }
    pthread_join(reader, NULL);
    started = 0;
    if (failed)
        goto out;
    if (pl->fault != GV_FAULT_NONE) {
        gv_err_set(err, "%s", pl->err.msg);
        goto out;
    }
    rc = 0;
out:
    if (started) {
        pthread_mutex_lock(&pl->mu);
        pl->stop = 1;
        pthread_cond_broadcast(&pl->cv);
        pthread_mutex_unlock(&pl->mu);
        pthread_join(reader, NULL);
    }
    if (pl->actx)
        rt->adapter->close(pl->actx);
    for (size_t i = 0; i < CHUNKS_IN_FLIGHT; i++)
        chunk_free(&pl->ring[i]);
    pthread_cond_destroy(&pl->cv);
    pthread_mutex_destroy(&pl->mu);
    free(pl);
    return rc;
}

static void head_of_row(const gv_batch_row_t *b, gv_batch_head_t *h)
{
    memset(h, 0, sizeof *h);
    snprintf(h->batch_id, sizeof h->batch_id, "%s", b->batch_id);
    snprintf(h->provider_bin, sizeof h->provider_bin, "%s", b->provider_bin);
    snprintf(h->period_text, sizeof h->period_text, "%s", b->period);
    gv_period_parse(b->period, &h->period);
    h->part = b->part;
    h->parts = b->parts;
    h->voucher_count = b->voucher_count;
}

/* The processedAt of a batch's next result: now, but strictly later than
 * the result it replaces (recorded as that outbox row's created_at), so
 * that the wallet can tell which is newer even when both were made within
 * one second or under one pinned --now. */
static int next_processed_at(gv_intake_t *in, const gv_batch_row_t *b, time_t now,
                             time_t *at, gv_err_t *err)
{
    gv_outbox_row_t prev;
    gv_db_error_t dbe;
    char prev_id[sizeof prev.msg_id];
    int found;

    *at = now;
    if (b->revision < 1)
        return 0;
    snprintf(prev_id, sizeof prev_id, "VBR-%s-%ld", b->batch_id, b->revision);
    if ((found = gv_store_outbox_get(in->db, prev_id, &prev, &dbe)) < 0) {
        gv_err_set(err, "batch %s: its last result %s: %s", b->batch_id, prev_id, dbe.msg);
        return -1;
    }
    if (found && *at <= (time_t)prev.created_at)
        *at = (time_t)prev.created_at + 1;
    return 0;
}

/* Results written in one transaction wait in a folder of their own under
 * spool/tmp and move into spool/outbox only once it has committed: a
 * result of a transaction rolled back never lies in the outbox under the
 * name of one that another node commits later. */
typedef struct staged {
    char dir[PATH_MAX];         /* "" until the first result */
    char (*names)[96];
    size_t n, cap;
} staged_t;

static int stage_path(gv_intake_t *in, staged_t *sg, const char *name, char *path,
                      size_t pathsz, gv_err_t *err)
{
    if (!sg->dir[0] && gv_intake_tmpdir(in, sg->dir, sizeof sg->dir, err) < 0) {
        sg->dir[0] = '\0';
        return -1;
    }
    if (sg->n == sg->cap) {
        size_t cap = sg->cap ? sg->cap * 2 : 8;
        void *v = realloc(sg->names, cap * sizeof *sg->names);
        if (!v) {
            gv_err_set(err, "out of memory");
            return -1;
        }
        sg->names = v;
        sg->cap = cap;
    }
    snprintf(sg->names[sg->n++], sizeof sg->names[0], "%s", name);
    snprintf(path, pathsz, "%s/%s", sg->dir, name);
    return 0;
}

/* After the commit: each result and its signature into the outbox.  A
 * move that fails loses nothing: delivery reads the bytes from the
 * database. */
static void staged_publish(gv_intake_t *in, staged_t *sg)
{
    for (size_t i = 0; i < sg->n; i++)
        for (int sig = 0; sig < 2; sig++) {
            char from[PATH_MAX + 128], to[PATH_MAX + 128];
            gv_err_t err;
            snprintf(from, sizeof from, "%s/%s%s", sg->dir, sg->names[i], sig ? ".p7s" : "");
            snprintf(to, sizeof to, "%s/outbox/%s%s", in->spool, sg->names[i], sig ? ".p7s" : "");
            if (gv_move_durably(from, to, &err) < 0) {
                gv_log(GV_LOG_WARNING, "outbox: %s (sent from the database's copy)", err.msg);
                unlink(from);
            }
        }
    if (sg->dir[0])
        rmdir(sg->dir);
    free(sg->names);
    memset(sg, 0, sizeof *sg);
}

/* After a rollback: nothing of it stays. */
static void staged_discard(staged_t *sg)
{
    for (size_t i = 0; i < sg->n; i++)
        for (int sig = 0; sig < 2; sig++) {
            char path[PATH_MAX + 128];
            snprintf(path, sizeof path, "%s/%s%s", sg->dir, sg->names[i], sig ? ".p7s" : "");
            unlink(path);
        }
    if (sg->dir[0])
        rmdir(sg->dir);
    free(sg->names);
    memset(sg, 0, sizeof *sg);
}

/* Writes, signs and queues the next result of one batch.  Its processedAt
 * is also the signature's signingTime. */
static int queue_result(gv_intake_t *in, staged_t *sg, const char *batch_id, time_t now,
                        gv_err_t *err)
{
    gv_batch_row_t b;
    gv_db_error_t dbe;
    gv_outbox_row_t o;
    char path[PATH_MAX + 128];
    time_t at;

    if (gv_store_batch_get(in->db, batch_id, &b, &dbe) != 1) {
        gv_err_set(err, "batch %s: %s", batch_id, dbe.msg);
        return -1;
    }
    if (next_processed_at(in, &b, now, &at, err) < 0)
        return -1;
    memset(&o, 0, sizeof o);
    snprintf(o.msg_id, sizeof o.msg_id, "VBR-%s-%ld", batch_id, b.revision + 1);
    snprintf(o.kind, sizeof o.kind, "VoucherBatchResult");
    snprintf(o.ref, sizeof o.ref, "%s", batch_id);
    snprintf(o.period, sizeof o.period, "%s", b.period);
    snprintf(o.endpoint, sizeof o.endpoint, "/v1/voucher-batch-results");
    snprintf(o.body_name, sizeof o.body_name, "%s.xml", o.msg_id);
    o.created_at = at;
    if (stage_path(in, sg, o.body_name, path, sizeof path, err) < 0 ||
        gv_result_write(in->db, &b, at, path, o.sha256, err) < 0 ||
        gv_result_sign(in->signer, path, at, err) < 0)
        return -1;
    if (gv_outbox_queue(in->db, &o, path, &dbe) < 0 ||
        gv_store_batch_set_revision(in->db, batch_id, b.revision + 1, &dbe) < 0) {
        gv_err_set(err, "batch %s: cannot queue its result: %s", batch_id, dbe.msg);
        return -1;
    }
    return 0;
}

/* The batch's bytes in this node's spool: as received here, or read from
 * the database when another node received them. */
static int batch_bytes(gv_intake_t *in, const gv_batch_row_t *b, const char *path,
                       gv_err_t *err)
{
    char name[GV_FILE_NAME_MAX + 1], sha[65];
    gv_db_error_t dbe;
    int got;

    if (access(path, R_OK) == 0)
        return 0;
    snprintf(name, sizeof name, "batches/%s", b->spool_name);
    if ((got = gv_store_file_get(in->db, name, path, &dbe)) < 0) {
        gv_err_set(err, "%s: reading its bytes from the database: %s", b->batch_id, dbe.msg);
        return -1;
    }
    if (got == 0) {
        gv_err_set(err, "%s: its bytes are neither in %s nor in the database (received by a "
                        "node that kept them only in its own spool: run 'gasvoucher db "
                        "migrate' there)",
                   b->batch_id, path);
        return -1;
    }
    if (gv_sha256_file(path, sha, err) < 0)
        return -1;
    if (strcmp(sha, b->sha256) != 0) {
        unlink(path);
        gv_err_set(err, "%s: the bytes in the database have sha256 %s, the batch %s",
                   b->batch_id, sha, b->sha256);
        return -1;
    }
    gv_log(GV_LOG_INFO, "batch %s: read from the database (not in this node's spool)",
           b->batch_id);
    return 0;
}

static int process_one(gv_intake_t *in, const gv_batch_row_t *b, time_t now, gv_err_t *err)
{
    gv_store_proc_t *proc = NULL;
    gv_recompute_stats_t stats = { 0 };
    staged_t sg = { 0 };
    gv_db_error_t dbe;
    gv_batch_head_t head;
    gv_batch_form_t form = strcmp(b->form, "csv") == 0 ? GV_FORM_CSV : GV_FORM_XML;
    char path[PATH_MAX + 128], link_dir[PATH_MAX], link_path[PATH_MAX + 64];
    long vouchers = 0;
    int rc = -1, stored;

    head_of_row(b, &head);
    snprintf(path, sizeof path, "%s/batches/%s", in->spool, b->spool_name);
    if (batch_bytes(in, b, path, err) < 0)
        return -1;
    if (form == GV_FORM_CSV) {
        /* The CSV reader takes the batchId from the file's name. */
        if (gv_intake_tmpdir(in, link_dir, sizeof link_dir, err) < 0)
            return -1;
        snprintf(link_path, sizeof link_path, "%s/%s.csv", link_dir, b->batch_id);
        if (symlink(path, link_path) < 0) {
            gv_err_set(err, "%s: %s", link_path, strerror(errno));
            rmdir(link_dir);
            return -1;
        }
    }
    /* The lease first (lease.h): this period is judged by nobody else
     * until this transaction is over. */
    if (gv_db_begin(in->db, &dbe) < 0 || gv_lease_fence(in->lease, in->db, &dbe) < 0) {
        gv_err_set(err, "%s: %s", b->batch_id, dbe.msg);
        goto done;
    }
    if (!(proc = gv_store_proc_new(in->db, &head, &dbe))) {
        gv_err_set(err, "%s: %s", b->batch_id, dbe.msg);
        goto done;
    }
    stored = read_and_store(in, proc, form == GV_FORM_CSV ? link_path : path, form, &vouchers,
                            err);
    if (stored < 0)
        goto done;
    if (gv_store_proc_finish(proc, now, &stats, &dbe) < 0) {
        gv_err_set(err, "%s: judging the period: %s", b->batch_id, dbe.msg);
        goto done;
    }
    if (queue_result(in, &sg, b->batch_id, now, err) < 0)
        goto done;
    for (size_t i = 0; i < stats.nrevised; i++)
        if (queue_result(in, &sg, stats.revised[i], now, err) < 0)
            goto done;
    if (gv_db_commit(in->db, &dbe) < 0) {
        gv_err_set(err, "%s: commit: %s", b->batch_id, dbe.msg);
        goto done;
    }
    staged_publish(in, &sg);
    gv_log(GV_LOG_INFO,
           "batch %s processed: %ld vouchers, period %s judged again over %ld occurrences, "
           "%ld earlier outcomes changed, %zu earlier results sent again",
           b->batch_id, vouchers, b->period, stats.occurrences, stats.changed_before,
           stats.nrevised);
    for (size_t i = 0; i < stats.nrevised; i++)
        gv_log(GV_LOG_WARNING, "batch %s changed outcomes in batch %s (R7): a revised result "
                               "is queued; see the trail",
               b->batch_id, stats.revised[i]);
    rc = 0;
done:
    gv_store_proc_free(proc);
    gv_recompute_stats_free(&stats);
    if (rc < 0) {
        gv_db_error_t ignored;
        gv_db_rollback(in->db, &ignored);
        staged_discard(&sg);
    }
    if (form == GV_FORM_CSV)
        drop_tmp(link_path);
    return rc;
}

int gv_intake_process(gv_intake_t *in, time_t now, int wait, long *done, gv_err_t *err)
{
    enum { BATCH_ROWS = 64 };
    gv_batch_row_t *rows = calloc(BATCH_ROWS, sizeof *rows);
    gv_db_error_t dbe;
    int n, rc = -1;

    *done = 0;
    if (!rows) {
        gv_err_set(err, "out of memory");
        return -1;
    }
    if (ensure_db(in, &dbe) < 0) {
        gv_err_set(err, "the database is unavailable: %s", dbe.msg);
        goto out;
    }
    if ((rc = wait ? gv_lease_wait(in->lease, in->db, err)
                   : gv_lease_take(in->lease, in->db, err)) <= 0) {
        rc = rc == 0 ? 1 : -1;
        goto out;
    }
    rc = -1;
    for (;;) {
        if ((n = gv_store_batches_pending(in->db, rows, BATCH_ROWS, &dbe)) < 0) {
            gv_err_set(err, "listing received batches: %s", dbe.msg);
            goto out;
        }
        if (n == 0)
            break;
        for (int i = 0; i < n; i++) {
            if (process_one(in, &rows[i], now, err) < 0)
                goto out;
            (*done)++;
        }
    }
    rc = 0;
out:
    gv_lease_release(in->lease, in->db);
    free(rows);
    return rc;
}

/* ---- re-keying ---------------------------------------------------------- */

typedef struct strset {
    char (*v)[GV_SITE_ACCOUNT_MAX + 1];
    size_t n, cap;
} strset_t;

static int strset_push(void *ud, const char *s)
{
    strset_t *set = ud;

    if (set->n == set->cap) {
        size_t cap = set->cap ? set->cap * 2 : 64;
        void *nv = realloc(set->v, cap * sizeof *set->v);
        if (!nv)
            return -1;
        set->v = nv;
        set->cap = cap;
    }
    snprintf(set->v[set->n++], sizeof set->v[0], "%s", s);
    return 0;
}

/* Adds s unless it is there (a handful of periods). */
static int strset_add(void *ud, const char *s)
{
    strset_t *set = ud;

    for (size_t i = 0; i < set->n; i++)
        if (!strcmp(set->v[i], s))
            return 0;
    return strset_push(ud, s);
}

/* Judges period anew as its latest processed batch and queues the
 * results that changed. */
static int rejudge(gv_intake_t *in, staged_t *sg, const char *period, time_t now,
                   gv_rekey_stats_t *st, gv_err_t *err)
{
    enum { MAX = 1024 };
    gv_batch_row_t *rows = calloc(MAX, sizeof *rows);
    gv_recompute_stats_t stats = { 0 };
    gv_batch_head_t head;
    gv_store_proc_t *proc = NULL;
    gv_db_error_t e;
    int n, last = -1, rc = -1;

    if (!rows) {
        gv_err_set(err, "out of memory");
        return -1;
    }
    if ((n = gv_store_batches_of_period(in->db, period, rows, MAX, &e)) < 0) {
        gv_err_set(err, "period %s: %s", period, e.msg);
        goto out;
    }
    for (int i = 0; i < n; i++)
        if (!strcmp(rows[i].state, "PROCESSED"))
            last = i;
    if (last < 0) {
        rc = 0;         /* nothing judged yet: processing will do it */
        goto out;
    }
    head_of_row(&rows[last], &head);
    if ((proc = gv_store_proc_new(in->db, &head, &e))) {
        char cause[33];
        snprintf(cause, sizeof cause, "db-migrate-%lld", (long long)now);
        gv_store_proc_set_cause(proc, cause);
    }
    if (!proc || gv_store_proc_finish(proc, now, &stats, &e) < 0) {
        gv_err_set(err, "period %s: judging again: %s", period, e.msg);
        goto out;
    }
    st->changed += stats.changed_before;
    if (stats.changed_before) {
        if (queue_result(in, sg, head.batch_id, now, err) < 0)
            goto out;
        st->results++;
        for (size_t i = 0; i < stats.nrevised; i++) {
            if (queue_result(in, sg, stats.revised[i], now, err) < 0)
                goto out;
            st->results++;
        }
    }
    rc = 0;
out:
    gv_store_proc_free(proc);
    gv_recompute_stats_free(&stats);
    free(rows);
    return rc;
}

int gv_intake_rekey(gv_intake_t *in, time_t now, gv_rekey_stats_t *st, gv_err_t *err)
{
    const gv_runtime_t *rt = in->rt;
    strset_t accounts = { 0 }, periods = { 0 };
    staged_t sg = { 0 };
    gv_db_error_t e;
    void *actx = NULL;
    const char **ask = NULL;
    gv_account_record_t *recs = NULL;
    gv_lookup_t *found = NULL;
    gv_period_t today;
    int rc = -1, y, m, d;

    memset(st, 0, sizeof *st);
    gv_civil_from_days(gv_time_local_day(now), &y, &m, &d);
    today.year = y;
    today.month = m;
    if (ensure_db(in, &e) < 0) {
        gv_err_set(err, "the database is unavailable: %s", e.msg);
        return -1;
    }
    /* Judging periods again is processing: under the intake lease. */
    if (gv_lease_wait(in->lease, in->db, err) < 0)
        return -1;
    if (gv_db_begin(in->db, &e) < 0 || gv_lease_fence(in->lease, in->db, &e) < 0) {
        gv_err_set(err, "the database is unavailable: %s", e.msg);
        gv_db_rollback(in->db, &(gv_db_error_t){ 0 });
        gv_lease_release(in->lease, in->db);
        return -1;
    }
    if (gv_store_site_accounts(in->db, strset_push, &accounts, &e) < 0) {
        gv_err_set(err, "listing the accounts kept: %s", e.msg);
        goto done;
    }
    if (!(actx = rt->adapter->open_shared(rt->conf, rt->map, in->db, err)))
        goto done;
    if (!(ask = calloc(INTAKE_CHUNK, sizeof *ask)) || !(recs = calloc(INTAKE_CHUNK, sizeof *recs)) ||
        !(found = calloc(INTAKE_CHUNK, sizeof *found))) {
        gv_err_set(err, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < accounts.n; i++) {
        const char *kept = accounts.v[i];
        gv_account_record_t *rec = &recs[i % INTAKE_CHUNK];
        int clash;

        /* The kept accounts a chunk at a time, as voucher lists look them up. */
        if (i % INTAKE_CHUNK == 0) {
            size_t n = accounts.n - i < INTAKE_CHUNK ? accounts.n - i : INTAKE_CHUNK;
            for (size_t k = 0; k < n; k++)
                ask[k] = accounts.v[i + k];
            if (gv_find_accounts(rt->adapter, actx, ask, n, today, gv_monotonic_ms(), recs, found,
                                 &e) < 0) {
                gv_err_set(err, "accounts %s to %s: the lookup failed: %s", ask[0], ask[n - 1],
                           e.msg);
                goto done;
            }
        }
        st->looked_up++;
        if (found[i % INTAKE_CHUNK] == GV_LOOKUP_NOT_FOUND || !strcmp(rec->account, kept))
            continue;
        if (gv_store_rekey(in->db, kept, rec->account, &clash, strset_add, &periods, &e) < 0) {
            gv_err_set(err, "account %s: re-keying to %s: %s", kept, rec->account, e.msg);
            goto done;
        }
        st->rekeyed++;
        gv_log(GV_LOG_INFO, "account %s is %s at the site: its vouchers and bills now say so",
               kept, rec->account);
        if (clash) {
            st->clashes++;
            gv_log(GV_LOG_WARNING,
                   "account %s: gasvoucher billed both %s and %s in one period; the bills stay "
                   "as they are: reconcile them by hand (gasvoucher report)",
                   rec->account, kept, rec->account);
        }
    }
    rt->adapter->close(actx);
    actx = NULL;
    for (size_t i = 0; i < periods.n; i++)
        if (rejudge(in, &sg, periods.v[i], now, st, err) < 0)
            goto done;
    if (gv_db_commit(in->db, &e) < 0) {
        gv_err_set(err, "commit: %s", e.msg);
        goto done;
    }
    staged_publish(in, &sg);
    rc = 0;
done:
    if (actx)
        rt->adapter->close(actx);
    if (rc < 0) {
        gv_db_error_t ignored;
        gv_db_rollback(in->db, &ignored);
        staged_discard(&sg);
    }
    gv_lease_release(in->lease, in->db);
    free(accounts.v);
    free(periods.v);
    free(ask);
    free(recs);
    free(found);
    return rc;
}
