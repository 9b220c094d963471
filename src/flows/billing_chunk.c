/* billing_chunk.c - one chunk of a billing run: its bills computed from
 * what the site said (R9-R17), then written through the adapter together
 * with gasvoucher's own rows in one transaction (R18, R19). */
#include "config.h"
#include "billing_int.h"

#include <stdlib.h>
#include <string.h>

#include "money.h"

void chunk_free(chunk_t *c)
{
    gv_bill_items_free(&c->items);
    free(c->acc);
    gv_site_readings_free(&c->reads);
    free(c->all);
    free(c->bills);
    memset(c, 0, sizeof *c);
}

/* ---- computing -------------------------------------------------------- */

int chunk_compute(run_t *r, chunk_t *c, gv_err_t *err)
{
    for (size_t i = 0; i < c->items.n; i++) {
        gv_bill_item_t *it = &c->items.v[i];
        const gv_site_account_t *a = &c->acc[i];
        gv_bill_in_t in;

        it->reason[0] = it->detail[0] = '\0';
        if (!a->found) {
            it->status = GV_BILL_CONFLICT;
            snprintf(it->reason, sizeof it->reason, "ACCOUNT_GONE");
            snprintf(it->detail, sizeof it->detail,
                     "the billing database no longer has account %s", it->account);
            continue;
        }
        memset(&in, 0, sizeof in);
        in.period = r->opts->period;
        in.region = a->region;
        in.metered = a->metered;
        in.residents = a->residents;
        in.readings = c->reads.r + a->rfirst;
        in.nreadings = a->rcount;
        in.nominal_tiyn = it->nominal;
        if (gv_bill_compute(r->env->params, &in, &it->calc, err) < 0) {
            char msg[sizeof err->msg];
            snprintf(msg, sizeof msg, "%s", err->msg);
            gv_err_set(err, "voucher %s (account %s): %s", it->voucher_id, it->account, msg);
            return -1;
        }
        if (it->calc.pending != GV_PENDING_NONE) {
            it->status = GV_BILL_PENDING;
            snprintf(it->reason, sizeof it->reason, "%s", gv_pending_name(it->calc.pending));
            snprintf(it->detail, sizeof it->detail, "%s", it->calc.why);
        } else {
            it->status = GV_BILL_BILLED;
        }
    }
    return 0;
}

void chunk_count(run_t *r, chunk_t *c, const size_t *idx, size_t n)
{
    for (size_t k = 0; k < n; k++) {
        const gv_bill_item_t *it = &c->items.v[idx[k]];
        switch (it->status) {
        case GV_BILL_BILLED:
            r->sum->billed++;
            r->sum->charge += it->calc.charge.charge;
            r->sum->discount += it->calc.discount.discount;
            r->sum->due += it->calc.due;
            break;
        case GV_BILL_PENDING:
            r->sum->pending++;
            break;
        case GV_BILL_CONFLICT:
            r->sum->conflicts++;
            gv_errlist_add(&r->sum->conflict_msgs, "voucher %s, account %s: %s: %s",
                           it->voucher_id, it->account, it->reason, it->detail);
            break;
        }
    }
}

/* ---- writing ------------------------------------------------------------ */

/* The site's bills for the billable items among idx[0..n), in
 * c->bills[0..*nb) (sorted by account, as the items are). */
static int site_bills(chunk_t *c, const size_t *idx, size_t n, size_t *nb)
{
    if (n > c->capbills) {
        gv_site_bill_t *nbills = realloc(c->bills, n * sizeof *nbills);
        if (!nbills)
            return -1;
        c->bills = nbills;
        c->capbills = n;
    }
    *nb = 0;
    for (size_t k = 0; k < n; k++) {
        gv_bill_item_t *it = &c->items.v[idx[k]];
        if (it->status != GV_BILL_BILLED)
            continue;
        c->bills[*nb].account = it->account;
        c->bills[*nb].voucher_id = it->voucher_id;
        c->bills[*nb].calc = &it->calc;
        c->bills[*nb].bill_ref[0] = '\0';
        (*nb)++;
    }
    return 0;
}

/* One transaction: the bills of idx[0..n) and gasvoucher's record.  -2
 * when its COMMIT failed without saying whether it took effect. */
static int commit_once(run_t *r, chunk_t *c, const size_t *idx, size_t n, gv_db_error_t *e)
{
    gv_db_error_t ignore;
    size_t nb;
    int rc;

    for (size_t k = 0; k < n; k++) {
        c->items.v[idx[k]].old_report[0] = '\0';
        c->items.v[idx[k]].bill_ref[0] = '\0';
    }
    if (site_bills(c, idx, n, &nb) < 0) {
        e->action = GV_DB_PERMANENT;
        snprintf(e->msg, sizeof e->msg, "out of memory");
        return -1;
    }
    if (gv_db_begin(r->db, e) < 0)
        return -1;
    if (gv_store_bills_replace(r->own, &c->items, idx, n, e) < 0 ||
        (nb && r->adapter->write_bills(r->site, &r->sp, c->bills, nb, e) < 0))
        goto fail;
    for (size_t b = 0, k = 0; b < nb; b++) {
        while (c->items.v[idx[k]].status != GV_BILL_BILLED)
            k++;
        snprintf(c->items.v[idx[k]].bill_ref, sizeof c->items.v[idx[k]].bill_ref, "%s",
                 c->bills[b].bill_ref);
        k++;
    }
    if (gv_store_bills_write(r->own, &c->items, idx, n, e) < 0)
        goto fail;
    if ((rc = gv_db_commit(r->db, e)) < 0) {
        gv_db_rollback(r->db, &ignore);
        return rc;
    }
    return 0;
fail:
    gv_db_rollback(r->db, &ignore);
    return -1;
}

/* Commits items idx[0..n) with retries.  A unique key the site's own
 * bill holds refuses the whole statement, so the chunk is split down to
 * the voucher that collides, which is recorded as a conflict. */
int chunk_commit(run_t *r, chunk_t *c, const size_t *idx, size_t n, gv_db_error_t *e)
{
    long tries = 0;

    for (;;) {
        int lost, rc;
        if ((rc = commit_once(r, c, idx, n, e)) == 0) {
            chunk_count(r, c, idx, n);
            return 0;
        }
        if (e->action == GV_DB_DUPLICATE) {
            gv_bill_item_t *it = &c->items.v[idx[0]];
            if (n > 1) {
                for (size_t k = 0; k < n; k++)
                    if (chunk_commit(r, c, idx + k, 1, e) < 0)
                        return -1;
                return 0;
            }
            if (it->status == GV_BILL_CONFLICT)
                return -1;      /* our own row collides: a bug, stop */
            it->status = GV_BILL_CONFLICT;
            snprintf(it->reason, sizeof it->reason, "SITE_DUPLICATE");
            snprintf(it->detail, sizeof it->detail,
                     "the billing database already holds a bill for this account and "
                     "period that gasvoucher did not write: %.150s", e->msg);
            continue;
        }
        lost = rc == -2 || e->action == GV_DB_RECONNECT;
        if (rc == -2 && e->action != GV_DB_RECONNECT) {
            /* The COMMIT may have been carried out and the connection
             * still answers: ask now, whatever its error says. */
            gv_db_error_t asked;
            int written = gv_store_bills_written(r->own, c->items.v[idx[0]].account, &asked);
            if (written > 0) {
                chunk_count(r, c, idx, n);
                return 0;
            }
            lost = written < 0;
        }
        if (!gv_db_again(r->db, &r->retry, e, &tries))
            return -1;
        /* The COMMIT may have been carried out just before the loss:
         * every item gets a gv_bill row in it, so one row decides. */
        while (lost &&
               (lost = gv_store_bills_written(r->own, c->items.v[idx[0]].account, e)) < 0)
            if (!gv_db_again(r->db, &r->retry, e, &tries))
                return -1;
        if (lost) {
            chunk_count(r, c, idx, n);
            return 0;
        }
    }
}

/* ---- dry run ------------------------------------------------------------ */

/* Bills go to the recording adapter, which prints them; what gasvoucher
 * would record of the others is printed here. */
void chunk_dry_run(run_t *r, chunk_t *c)
{
    FILE *f = r->opts->dry_out ? r->opts->dry_out : stdout;
    gv_db_error_t e;
    size_t nb;

    for (size_t i = 0; i < c->items.n; i++) {
        const gv_bill_item_t *it = &c->items.v[i];
        if (it->status != GV_BILL_BILLED)
            fprintf(f, "%s %s %s: %s %s\n", gv_bill_status_name(it->status), it->voucher_id,
                    it->account, it->reason, it->detail);
    }
    if (site_bills(c, c->all, c->items.n, &nb) == 0 && nb)
        r->adapter->write_bills(r->site, &r->sp, c->bills, nb, &e);
    chunk_count(r, c, c->all, c->items.n);
}
