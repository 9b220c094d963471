/* billing.c - a billing run for one period (see billing.h): the checks
 * before it, the loop over its chunks (billing_chunk.c, read ahead by
 * billing_reader.c) and the redemption report after it. */
#include "config.h"
#include "billing_int.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "fsutil.h"
#include "lease.h"
#include "outbox.h"
#include "recording.h"
#include "report.h"
#include "result.h"
#include "store.h"

static void new_uuid(char out[37])
{
    unsigned char b[16];

    if (RAND_bytes(b, sizeof b) != 1)
        abort();                    /* no randomness: nothing sensible to do */
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    snprintf(out, 37,
             "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0],
             b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
             b[14], b[15]);
}

static void forget_statements(void *ud)
{
    run_t *r = ud;

    r->adapter->forget(r->site);
    gv_store_bills_forget(r->own);
}

int run_open(run_t *r, gv_db_t *db, gv_err_t *err)
{
    const gv_billing_env_t *env = r->env;

    r->db = db;
    gv_site_period_init(&r->sp, r->opts->period, r->opts->now);
    r->adapter = env->adapter;
    if (!(r->site = env->adapter->open_shared(env->conf, env->map, db, err)))
        return -1;
    if (r->opts->dry_run) {
        /* Bills go to the recording adapter, over the real one's reads. */
        r->site_inner = r->site;
        r->adapter = &gv_adapter_record;
        if (!(r->site = gv_record_over(env->adapter, r->site_inner, r->opts->dry_out))) {
            gv_err_set(err, "out of memory");
            return -1;
        }
    }
    if (!(r->own = gv_store_bills_new(db, r->sp.text, r->sum->run_id, r->report_id,
                                      r->opts->now))) {
        gv_err_set(err, "out of memory");
        return -1;
    }
    r->retry.tx_retries = r->opts->retries;
    r->retry.reconnect_for_ms = r->opts->reconnect_for_s * 1000;
    r->retry.forget = forget_statements;
    r->retry.forget_ud = r;
    return 0;
}

void run_close(run_t *r)
{
    if (r->site)
        r->adapter->close(r->site);
    if (r->site_inner)
        r->env->adapter->close(r->site_inner);
    gv_store_bills_free(r->own);
    r->site = r->site_inner = NULL;
    r->own = NULL;
}

/* ---- the report ---------------------------------------------------------- */

static int report_row(void *ud, const gv_reported_row_t *row)
{
    gv_xml_out_t *x = ud;

    if (row->billed)
        return gv_report_redeemed(x, row->voucher_id, row->account, row->volume_milli,
                                  row->price, row->charge, row->discount, row->due,
                                  row->bill_ref);
    return gv_report_pending(x, row->voucher_id, row->account, row->reason);
}

/* Streams the unreported rows into path; counts and total come first.
 * 1 written, 0 nothing to report, -1 failed (err set for a file's failure,
 * else e). */
static int write_report(run_t *r, const char *path, char sha256[65], gv_err_t *err,
                        gv_db_error_t *e)
{
    gv_billing_summary_t *s = r->sum;
    gv_unreported_t t;
    gv_report_head_t h;
    gv_xml_out_t *x;
    int rc;

    if (gv_store_bills_unreported(r->own, &t, e) < 0)
        return -1;
    s->report_redeemed = (long)t.redeemed;
    s->report_pending = (long)t.pending;
    s->report_discount = t.discount;
    if (t.redeemed + t.pending == 0)
        return 0;
    h.report_id = s->report_id;
    h.provider_bin = r->env->provider_bin;
    h.period = r->sp.text;
    h.created = r->opts->now;
    h.redeemed = t.redeemed;
    h.pending = t.pending;
    h.total_discount = t.discount;
    if (!(x = gv_report_open(path, &h, err)))
        return -1;
    if ((rc = gv_store_bills_each_unreported(r->own, report_row, x, e)) < 0) {
        if (rc == -2)
            gv_err_set(err, "%s: cannot write the report: %s", path, gv_xml_why(x));
        gv_xml_abandon(x);
        return -1;
    }
    return gv_report_commit(x, sha256, err) < 0 ? -1 : 1;
}

/* The report of everything not yet reported, its outbox row, the
 * leftover rows marked as carried and the run's record: one transaction.
 * The run's own rows already name its report, so only rows of a run killed
 * before reporting (or unreported Pending) are updated here.  On failure
 * e->action says whether trying again may help. */
static int report_and_record(run_t *r, gv_db_error_t *e, gv_err_t *err)
{
    gv_billing_summary_t *s = r->sum;
    gv_outbox_row_t o;
    gv_db_error_t ignore;
    gv_run_row_t run;
    char path[PATH_MAX + 128], sig[PATH_MAX + 136];
    int wrote = 0, committed;

    e->action = GV_DB_PERMANENT;
    e->msg[0] = '\0';
    err->msg[0] = '\0';
    snprintf(s->report_id, sizeof s->report_id, "%s", r->report_id);
    memset(&o, 0, sizeof o);
    snprintf(o.msg_id, sizeof o.msg_id, "RR-%s", s->report_id);
    if (r->report_unsure) {
        /* The last try's COMMIT may have been carried out before the
         * connection went: the run's gv_run row, written in it, tells. */
        int found = gv_store_run_find(r->own, s->report_id, sizeof s->report_id, e);
        if (found < 0)
            goto dbfail;
        if (found)
            return 0;
        r->report_unsure = 0;
        snprintf(s->report_id, sizeof s->report_id, "%s", r->report_id);
    }
    snprintf(o.kind, sizeof o.kind, "RedemptionReport");
    snprintf(o.ref, sizeof o.ref, "%s", s->report_id);
    snprintf(o.period, sizeof o.period, "%s", r->sp.text);
    snprintf(o.endpoint, sizeof o.endpoint, "/v1/redemption-reports");
    snprintf(o.body_name, sizeof o.body_name, "%s.xml", o.msg_id);
    o.created_at = r->opts->now;
    snprintf(o.state, sizeof o.state, "PENDING");
    o.next_attempt_at = r->opts->now;
    snprintf(path, sizeof path, "%s/outbox/%s", r->env->spool, o.body_name);
    snprintf(sig, sizeof sig, "%s.p7s", path);

    /* Under the lease, held until the report is recorded (lease.h). */
    if (gv_db_begin(r->db, e) < 0)
        goto dbfail;
    if (gv_lease_fence(r->lease, r->db, e) < 0) {
        gv_db_rollback(r->db, &ignore);
        goto dbfail;
    }
    if ((wrote = write_report(r, path, o.sha256, err, e)) < 0) {
        gv_db_rollback(r->db, &ignore);
        if (err->msg[0])
            goto fail;
        goto dbfail;
    }
    if (wrote == 0) {
        s->report_id[0] = '\0';
    } else if (gv_result_sign(r->env->signer, path, r->opts->now, err) < 0) {
        gv_db_rollback(r->db, &ignore);
        goto fail;
    } else if (gv_store_bills_mark_reported(r->own, s->report_id, e) < 0 ||
               gv_outbox_queue(r->db, &o, path, e) < 0) {
        gv_db_rollback(r->db, &ignore);
        goto dbfail;
    }
    memset(&run, 0, sizeof run);
    run.started = run.finished = r->opts->now;
    run.billed = s->billed;
    run.pending = s->pending;
    run.conflicts = s->conflicts;
    run.charge = s->charge;
    run.discount = s->discount;
    run.due = s->due;
    run.report_id = s->report_id;
    if (gv_store_run_insert(r->own, &run, e) < 0) {
        gv_db_rollback(r->db, &ignore);
        goto dbfail;
    }
    if ((committed = gv_db_commit(r->db, e)) < 0) {
        gv_db_rollback(r->db, &ignore);
        if (committed == -2 && e->action != GV_DB_RECONNECT) {
            /* The COMMIT may have been carried out, and the connection
             * still answers: the run's gv_run row, written in it, tells. */
            gv_db_error_t asked;
            int found = gv_store_run_find(r->own, s->report_id, sizeof s->report_id, &asked);
            if (found > 0)
                return 0;
            if (found == 0)
                goto dbfail;            /* not carried out: its files go */
        }
        if (committed == -2 || e->action == GV_DB_RECONNECT) {
            r->report_unsure = 1;
            wrote = 0;      /* keep its files until the outcome is known */
        }
        goto dbfail;
    }
    return 0;
dbfail:
    gv_err_set(err, "the redemption report could not be recorded (the next run will send "
                    "it): %s", e->msg);
fail:
    s->report_id[0] = '\0';
    if (wrote > 0) {
        unlink(sig);
        unlink(path);
    }
    return -1;
}

/* ---- the run ------------------------------------------------------------- */

/* The billing lease, waited for (a run on another node, or another run
 * here, goes first; one that died is taken over, lease.h). */
static int take_lease(run_t *r, gv_err_t *err)
{
    if (!(r->lease = gv_lease_new("billing", r->env->conf))) {
        gv_err_set(err, "out of memory");
        return -1;
    }
    return gv_lease_wait(r->lease, r->db, err) < 0 ? -1 : 0;
}

static gv_billing_result_t bill_chunks(run_t *r, int past_deadline, gv_err_t *err)
{
    reader_t *rd = reader_start(r, past_deadline, err);
    gv_db_error_t e;
    long done = 0;
    gv_billing_result_t res = GV_BILLING_FAILED;

    if (!rd)
        return GV_BILLING_FAILED;
    for (int k = 0;; k ^= 1) {
        chunk_t *c;
        read_result_t got = reader_take(rd, k, &c, err);
        if (got == READ_END)
            break;
        if (got == READ_FAILED)
            goto out;
        if (r->opts->dry_run) {
            chunk_dry_run(r, c);
        } else if (chunk_commit(r, c, c->all, c->items.n, &e) < 0) {
            gv_err_set(err, "writing bills (%s): %s", gv_db_action_name(e.action), e.msg);
            goto out;
        }
        done += (long)c->items.n;
        reader_give_back(rd, k);
        if (r->opts->progress)
            r->opts->progress(r->opts->progress_ud, done, r->sum->todo);
    }
    res = r->sum->conflicts ? GV_BILLING_CONFLICTS : GV_BILLING_DONE;
out:
    reader_end(rd, r);
    return res;
}

gv_billing_result_t gv_billing_run(const gv_billing_env_t *env, const gv_billing_opts_t *opts,
                                   gv_billing_summary_t *sum, gv_err_t *err)
{
    run_t r;
    gv_db_error_t e;
    gv_billing_result_t res = GV_BILLING_FAILED;
    int past_deadline;
    long skipped = 0;
    int32_t today;

    memset(sum, 0, sizeof *sum);
    memset(&r, 0, sizeof r);
    err->msg[0] = '\0';
    r.env = env;
    r.opts = opts;
    r.sum = sum;
    new_uuid(sum->run_id);
    new_uuid(r.report_id);
    /* What concerns every voucher stops the run before anything is read
     * or written; what concerns one voucher holds only that one. */
    if (gv_bill_period_check(env->params, opts->period, err) < 0) {
        char msg[sizeof err->msg];
        snprintf(msg, sizeof msg, "%s", err->msg);
        gv_err_set(err, "%s; nothing was billed", msg);
        return GV_BILLING_FAILED;
    }
    if (run_open(&r, env->db, err) < 0)
        goto out;
    if (gv_db_connect_within(r.db, &r.retry, &e) < 0) {
        gv_err_set(err, "cannot connect to the database: %s", e.msg);
        goto out;
    }
    if (!opts->dry_run && take_lease(&r, err) < 0)
        goto out;
    for (long tries = 0; gv_store_bills_missing_parts(r.own, sum->missing_parts,
                                                      sizeof sum->missing_parts, &e) < 0;)
        if (!gv_db_again(r.db, &r.retry, &e, &tries)) {
            gv_err_set(err, "reading the period's batches: %s", e.msg);
            goto out;
        }
    if (sum->missing_parts[0] && !opts->allow_partial) {
        gv_err_set(err, "the list for %s is incomplete: %s (--allow-partial bills what is "
                        "there)", r.sp.text, sum->missing_parts);
        res = GV_BILLING_INCOMPLETE;
        goto out;
    }
    /* Pending vouchers are retried until the deadline (R20). */
    today = gv_time_local_day(opts->now);
    past_deadline = today > gv_period_last_day(opts->period) +
                                gv_params_pending_deadline_days(env->params);
    for (long tries = 0; gv_store_bills_count(r.own, past_deadline, &sum->todo, &skipped, &e) < 0;)
        if (!gv_db_again(r.db, &r.retry, &e, &tries)) {
            gv_err_set(err, "counting the vouchers to bill: %s", e.msg);
            goto out;
        }
    sum->deadline_passed = past_deadline ? skipped : 0;
    res = bill_chunks(&r, past_deadline, err);
    if (res == GV_BILLING_FAILED || opts->dry_run)
        goto out;
    forget_statements(&r);
    for (long tries = 0; report_and_record(&r, &e, err) < 0;)
        if (!gv_db_again(r.db, &r.retry, &e, &tries)) {
            res = GV_BILLING_FAILED;
            break;
        }
out:
    sum->reconnects += r.retry.reconnects;
    sum->tx_retries += r.retry.retried;
    gv_lease_free(r.lease, r.db);
    run_close(&r);
    return res;
}

void gv_billing_summary_free(gv_billing_summary_t *sum)
{
    gv_errlist_free(&sum->conflict_msgs);
}
