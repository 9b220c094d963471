/* billing_chunk.c - one chunk of a billing run: its bills computed from
 * what the site said (R9-R17), then written through the adapter together
 * with gasvoucher's own rows in one transaction (R18, R19). */
#include "config.h"
#include "billing_int.h"

#include <stdlib.h>
#include <string.h>

#include "money.h"
#include "utf8.h"

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

/* Holds the item as a conflict: a person must act before it can be
 * billed; every later run tries it again. */
static void hold(gv_bill_item_t *it, const char *reason, const char *detail)
{
    it->status = GV_BILL_CONFLICT;
    snprintf(it->reason, sizeof it->reason, "%s", reason);
    snprintf(it->detail, sizeof it->detail, "%s", detail);
    gv_utf8_scrub(it->detail);      /* it may quote the site's text, cut */
}

/* Each item's outcome: billable, Pending (a reason of the report), or held
 * as a conflict for a reason of its own (the site no longer has the
 * account, a value the site gave cannot be used, the rule refuses it), so
 * that no single voucher stops the run.  -1 only for what concerns the
 * whole period (the run checked it before it started: a bug). */
int chunk_compute(run_t *r, chunk_t *c, gv_err_t *err)
{
    for (size_t i = 0; i < c->items.n; i++) {
        gv_bill_item_t *it = &c->items.v[i];
        const gv_site_account_t *a = &c->acc[i];
        char detail[sizeof it->detail];
        gv_bill_in_t in;

        it->reason[0] = it->detail[0] = '\0';
        snprintf(it->region, sizeof it->region, "%s", a->found ? a->region : "");
        if (!a->found) {
            snprintf(detail, sizeof detail, "the billing database no longer has account %s",
                     it->account);
            hold(it, "ACCOUNT_GONE", detail);
            continue;
        }
        if (a->unusable[0]) {
            hold(it, gv_refused_name(GV_REFUSED_SITE_VALUE), a->unusable);
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
        if (it->calc.refused != GV_REFUSED_NONE) {
            hold(it, gv_refused_name(it->calc.refused), it->calc.why);
        } else if (it->calc.pending != GV_PENDING_NONE) {
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
            r->sum->pending_by[it->calc.pending]++;
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
    /* Only while the billing lease is this run's (lease.h: fencing). */
    if ((r->lease && gv_lease_fence(r->lease, r->db, e) < 0) ||
        gv_store_bills_replace(r->own, &c->items, idx, n, e) < 0 ||
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

/* Whether the site refused the rows' values rather than the statement:
 * a unique key (SITE_DUPLICATE: a bill the utility wrote by hand), or
 * another constraint, a value outside a column's range, a trigger's own
 * error (SITE_REFUSED).  Such a refusal concerns some vouchers, so the
 * chunk is narrowed down to them; anything else (a statement that cannot
 * run, a lost connection) concerns them all.  NULL when it is not one. */
static const char *row_refusal(const gv_db_error_t *e)
{
    if (e->action == GV_DB_DUPLICATE) {
        /* SQLite says 19 (SQLITE_CONSTRAINT) for every constraint and
         * RAISE(ABORT); only its message tells a unique key from the rest. */
        if (e->native == 19 && !strstr(e->msg, "UNIQUE") && !strstr(e->msg, "PRIMARY KEY"))
            return "SITE_REFUSED";
        return "SITE_DUPLICATE";
    }
    if (e->action != GV_DB_PERMANENT)
        return NULL;
    if (!strncmp(e->sqlstate, "22", 2) ||      /* data exception */
        !strncmp(e->sqlstate, "23", 2) ||      /* integrity constraint violation */
        !strncmp(e->sqlstate, "P0", 2) ||      /* PostgreSQL: RAISE in a trigger */
        !strcmp(e->sqlstate, "45000") ||       /* MariaDB: SIGNAL in a trigger */
        (!strcmp(e->sqlstate, "HY000") && e->native == 1644))
        return "SITE_REFUSED";
    return NULL;
}

/* Commits items idx[0..n) with retries.  A refusal of the rows' values
 * fails the whole statement, so the part is halved until the vouchers the
 * site refuses stand alone; each is recorded as a conflict (its bill
 * unwritten) and the rest is billed. */
static int commit_part(run_t *r, chunk_t *c, const size_t *idx, size_t n, gv_db_error_t *e)
{
    long tries = 0;

    for (;;) {
        const char *refusal;
        int lost, rc;
        if ((rc = commit_once(r, c, idx, n, e)) == 0) {
            chunk_count(r, c, idx, n);
            return 0;
        }
        if ((refusal = row_refusal(e))) {
            gv_bill_item_t *it = &c->items.v[idx[0]];
            if (n > 1) {
                size_t half = n / 2;
                if (commit_part(r, c, idx, half, e) < 0)
                    return -1;
                return commit_part(r, c, idx + half, n - half, e);
            }
            if (it->status != GV_BILL_BILLED)
                return -1;      /* gasvoucher's own row refused: a bug, stop */
            it->status = GV_BILL_CONFLICT;
            snprintf(it->reason, sizeof it->reason, "%s", refusal);
            if (!strcmp(refusal, "SITE_DUPLICATE")) {
                snprintf(it->detail, sizeof it->detail,
                         "the billing database already holds a bill for this account and "
                         "period that gasvoucher did not write: %.150s", e->msg);
            } else {
                snprintf(it->detail, sizeof it->detail,
                         "the billing database refused this bill (SQLSTATE %s): %.170s",
                         e->sqlstate, e->msg);
                if (r->site_refused++ == 0) {
                    snprintf(r->first_refusal, sizeof r->first_refusal, "SQLSTATE %s: %.200s",
                             e->sqlstate, e->msg);
                    gv_utf8_scrub(r->first_refusal);
                }
            }
            gv_utf8_scrub(it->detail);      /* the site's message, cut to fit */
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

int chunk_commit(run_t *r, chunk_t *c, const size_t *idx, size_t n, gv_db_error_t *e)
{
    if (commit_part(r, c, idx, n, e) < 0)
        return -1;
    /* One voucher's refusal is that voucher's; the site refusing every bill
     * of the run so far is the mapping's [write.*] or the site's schema,
     * and holding each voucher would only bury the cause under conflicts. */
    if (r->site_refused >= GV_REFUSALS_TO_STOP && r->sum->billed == 0) {
        e->action = GV_DB_PERMANENT;
        e->sqlstate[0] = '\0';
        snprintf(e->msg, sizeof e->msg,
                 "the billing database refused each of the first %ld bills of the run and "
                 "took none (first: %s): that is the mapping's [write.*] or the site's "
                 "schema, not those vouchers (they are recorded as conflicts; fix the cause "
                 "and run again)", r->site_refused, r->first_refusal);
        return -1;
    }
    return 0;
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
