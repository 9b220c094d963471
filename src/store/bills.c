/* bills.c - gasvoucher's own billing rows (see bills.h). */
#include "config.h"
#include "bills.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "column.h"
#include "kept.h"
#include "utf8.h"

/* Parameters one statement may carry (kept.h): the own rows of a large
 * chunk are split likewise. */
#define MAX_STMT_PARAMS GV_DB_MULTIROW_PARAMS

#define OWN_COLUMNS                                                                         \
    "period, account, voucher_id, status, reason, detail, volume_milli, price_tiyn, vat_bp, " \
    "net_tiyn, vat_tiyn, charge_tiyn, discount_tiyn, due_tiyn, rule_name, bill_ref, run_id, " \
    "updated_at, report_id, region"
#define OWN_NCOLS 20
#define OWN_ROWS (MAX_STMT_PARAMS / OWN_NCOLS)

struct gv_store_bills {
    gv_db_t *db;
    char period[8];
    char run_id[37];
    char report_id[37];             /* the id this run's report will have */
    time_t now;
    gv_buf_t sql;
    gv_db_kept_t own_st[2];               /* a full part and a chunk's remainder */
};

const char *gv_bill_status_name(gv_bill_status_t s)
{
    static const char *const names[] = { "BILLED", "PENDING", "CONFLICT" };
    return names[s];
}

static int cmp_item(const void *a, const void *b)
{
    return strcmp(((const gv_bill_item_t *)a)->account, ((const gv_bill_item_t *)b)->account);
}

static int cmp_key(const void *key, const void *elem)
{
    return strcmp(key, ((const gv_bill_item_t *)elem)->account);
}

gv_bill_item_t *gv_bill_items_find(gv_bill_items_t *c, const char *account)
{
    return c->n ? bsearch(account, c->v, c->n, sizeof *c->v, cmp_key) : NULL;
}

void gv_bill_items_free(gv_bill_items_t *c)
{
    free(c->v);
    memset(c, 0, sizeof *c);
}

gv_store_bills_t *gv_store_bills_new(gv_db_t *db, const char *period, const char *run_id,
                                     const char *report_id, time_t now)
{
    gv_store_bills_t *sb = calloc(1, sizeof *sb);

    if (!sb)
        return NULL;
    sb->db = db;
    snprintf(sb->period, sizeof sb->period, "%s", period);
    snprintf(sb->run_id, sizeof sb->run_id, "%s", run_id);
    snprintf(sb->report_id, sizeof sb->report_id, "%s", report_id);
    sb->now = now;
    gv_buf_init(&sb->sql, 64u << 20);
    return sb;
}

void gv_store_bills_forget(gv_store_bills_t *sb)
{
    gv_db_kept_drop(sb->own_st);
}

void gv_store_bills_free(gv_store_bills_t *sb)
{
    if (!sb)
        return;
    gv_store_bills_forget(sb);
    gv_buf_free(&sb->sql);
    free(sb);
}

/* Prepares sql (sb->sql's own text is checked whole, gv_db_prepare_built)
 * with the period bound first; NULL on error. */
static gv_db_stmt_t *prepare_period(gv_store_bills_t *sb, const char *sql, gv_db_error_t *e)
{
    gv_db_stmt_t *st = sql == sb->sql.data ? gv_db_prepare_built(sb->db, &sb->sql, e)
                                           : gv_db_prepare(sb->db, sql, e);

    if (st && gv_db_bind_text(st, 1, sb->period, e) < 0) {
        gv_db_stmt_free(st);
        return NULL;
    }
    return st;
}

/* ---- what there is to do --------------------------------------------------- */

int gv_store_bills_missing_parts(gv_store_bills_t *sb, char *missing, size_t sz,
                                 gv_db_error_t *e)
{
    gv_db_stmt_t *st;
    long parts = 0, nbatches = 0;
    unsigned char have[1024] = { 0 };
    int row;
    gv_buf_t miss;

    missing[0] = '\0';
    st = prepare_period(sb, "SELECT part, parts, state FROM gv_batch WHERE period = ? ORDER BY part",
                        e);
    if (!st)
        return -1;
    if (gv_db_execute(st, e) < 0) {
        gv_db_stmt_free(st);
        return -1;
    }
    while ((row = gv_db_fetch(st, e)) == 1) {
        int64_t part, n;
        char state[16];
        if (gv_db_col_int64(st, 1, &part, e) < 0 || gv_db_col_int64(st, 2, &n, e) < 0 ||
            gv_db_col_text(st, 3, state, sizeof state, e) < 0) {
            row = -1;
            break;
        }
        nbatches++;
        if (n > parts)
            parts = (long)n;
        if (part >= 1 && part < (int64_t)sizeof have)
            have[part] = !strcmp(state, "PROCESSED") ? 2 : 1;
    }
    gv_db_stmt_free(st);
    if (row < 0)
        return -1;
    gv_buf_init(&miss, sz - 1);
    if (nbatches == 0)
        gv_buf_puts(&miss, "no list for this period has arrived");
    for (long p = 1; p <= parts && p < (long)sizeof have; p++)
        if (have[p] != 2)
            gv_buf_printf(&miss, "%spart %ld of %ld %s", miss.len ? ", " : "", p, parts,
                          have[p] ? "received but not yet processed" : "not received");
    if (miss.len)
        snprintf(missing, sz, "%s", miss.data);
    gv_buf_free(&miss);
    return 0;
}

static const char work_where[] =
    " FROM gv_occurrence o WHERE o.period = ? AND o.status = 'ACCEPTED' AND o.standing = 1"
    " AND NOT EXISTS (SELECT 1 FROM gv_bill b WHERE b.period = o.period"
    " AND b.account = o.account_norm AND (b.status = 'BILLED'%s))";

int gv_store_bills_count(gv_store_bills_t *sb, int past_deadline, long *todo, long *skipped,
                         gv_db_error_t *e)
{
    for (int pass = 0; pass < 2; pass++) {
        gv_db_stmt_t *st;
        int64_t v = 0;
        int row;
        gv_buf_reset(&sb->sql);
        gv_buf_puts(&sb->sql, "SELECT COUNT(*)");
        gv_buf_printf(&sb->sql, work_where,
                      pass == 0 ? (past_deadline ? " OR b.status = 'PENDING'" : "") : "");
        if (!(st = prepare_period(sb, sb->sql.data, e)))
            return -1;
        if (gv_db_execute(st, e) < 0 || (row = gv_db_fetch(st, e)) < 0 ||
            (row == 1 && gv_db_col_int64(st, 1, &v, e) < 0)) {
            gv_db_stmt_free(st);
            return -1;
        }
        gv_db_stmt_free(st);
        if (pass == 0)
            *todo = (long)v;
        else
            *skipped = (long)v - *todo;
    }
    return 0;
}

/* gasvoucher's earlier rows in the chunk's account range, read as one
 * range of gv_bill's primary key whatever the planner's statistics say (an
 * anti-join in the chunk query was planned on an empty gv_bill and cost
 * n^2).  Accounts billed (or Pending past the deadline) leave the chunk;
 * the others' rows are counted so that replacing runs only when needed. */
static int drop_done(gv_store_bills_t *sb, int past_deadline, const char *after,
                     gv_bill_items_t *c, gv_db_error_t *e)
{
    gv_db_stmt_t *st;
    size_t kept = 0;
    int row;

    c->prior = 0;
    st = prepare_period(sb,
                        "SELECT account, status FROM gv_bill WHERE period = ?"
                        " AND account > ? AND account <= ?",
                        e);
    if (!st)
        return -1;
    if (gv_db_bind_text(st, 2, after, e) < 0 || gv_db_bind_text(st, 3, c->last_account, e) < 0 ||
        gv_db_execute(st, e) < 0) {
        gv_db_stmt_free(st);
        return -1;
    }
    while ((row = gv_db_fetch(st, e)) == 1) {
        char account[64], status[16];
        gv_bill_item_t *it;
        if (gv_db_col_text(st, 1, account, sizeof account, e) < 0 ||
            gv_db_col_text(st, 2, status, sizeof status, e) < 0) {
            row = -1;
            break;
        }
        if (!(it = gv_bill_items_find(c, account)))
            continue;   /* a row whose voucher a later part withdrew */
        if (!strcmp(status, "BILLED") || (past_deadline && !strcmp(status, "PENDING")))
            it->done = 1;
        else
            c->prior++;
    }
    gv_db_stmt_free(st);
    if (row < 0)
        return -1;
    for (size_t k = 0; k < c->n; k++)
        if (!c->v[k].done)
            c->v[kept++] = c->v[k];
    c->n = kept;
    return 0;
}

int gv_store_bills_next(gv_store_bills_t *sb, int past_deadline, const char *after, long limit,
                        gv_bill_items_t *c, gv_db_error_t *e)
{
    const gv_db_colspec_t spec[3] = {
        { 1, GV_DB_COL_TEXT, sizeof c->v[0].account },
        { 2, GV_DB_COL_TEXT, sizeof c->v[0].voucher_id },
        { 3, GV_DB_COL_INT64, 0 },
    };
    gv_db_stmt_t *st;
    gv_db_rows_t *rows;
    long row;

    gv_buf_reset(&sb->sql);
    gv_buf_puts(&sb->sql, "SELECT o.account_norm, o.voucher_id, o.nominal_tiyn"
                          " FROM gv_occurrence o WHERE o.period = ? AND o.status = 'ACCEPTED'"
                          " AND o.standing = 1");
    gv_buf_printf(&sb->sql, " AND o.account_norm > ? ORDER BY o.account_norm LIMIT %ld", limit);
    c->n = 0;
    c->fetched = 0;
    if (!(st = prepare_period(sb, sb->sql.data, e)))
        return -1;
    if (gv_db_bind_text(st, 2, after, e) < 0 || gv_db_execute(st, e) < 0) {
        gv_db_stmt_free(st);
        return -1;
    }
    if (!(rows = gv_db_rows_bind(st, spec, 3, 256, e))) {
        gv_db_stmt_free(st);
        return -1;
    }
    while ((row = gv_db_rows_fetch(rows, e)) > 0) {
        for (long i = 0; i < row; i++) {
            gv_bill_item_t *it;
            int is_null;
            if (c->n == c->cap) {
                size_t cap = c->cap ? c->cap * 2 : 64;
                gv_bill_item_t *ni = realloc(c->v, cap * sizeof *ni);
                if (!ni) {
                    e->action = GV_DB_PERMANENT;
                    snprintf(e->msg, sizeof e->msg, "out of memory");
                    row = -1;
                    break;
                }
                c->v = ni;
                c->cap = cap;
            }
            it = &c->v[c->n];
            memset(it, 0, sizeof *it);
            snprintf(it->account, sizeof it->account, "%s", gv_db_rows_text(rows, (size_t)i, 0, NULL));
            snprintf(it->voucher_id, sizeof it->voucher_id, "%s",
                     gv_db_rows_text(rows, (size_t)i, 1, NULL));
            it->nominal = gv_db_rows_int64(rows, (size_t)i, 2, &is_null);
            if (is_null)
                it->nominal = -1;
            snprintf(c->last_account, sizeof c->last_account, "%s", it->account);
            c->n++;
        }
        if (row < 0)
            break;
    }
    gv_db_rows_free(rows);
    gv_db_stmt_free(st);
    c->fetched = c->n;
    if (row < 0)
        return -1;
    if (c->n == 0)
        return 0;   /* c->v may still be NULL: qsort must not see it */
    qsort(c->v, c->n, sizeof *c->v, cmp_item);
    return drop_done(sb, past_deadline, after, c, e);
}

/* ---- writing --------------------------------------------------------------- */

int gv_store_bills_replace(gv_store_bills_t *sb, gv_bill_items_t *c, const size_t *idx,
                           size_t n, gv_db_error_t *e)
{
    gv_db_stmt_t *st;
    int pos, row = 0;

    if (c->prior == 0)
        return 0;   /* no earlier Pending or conflict rows in this chunk's range */
    for (int pass = 0; pass < 2; pass++) {
        gv_buf_reset(&sb->sql);
        gv_buf_puts(&sb->sql, pass == 0 ? "SELECT account, status, reason, report_id FROM gv_bill"
                                        : "DELETE FROM gv_bill");
        gv_buf_puts(&sb->sql, " WHERE period = ? AND status <> 'BILLED' AND account IN (");
        for (size_t k = 0; k < n; k++)
            gv_buf_puts(&sb->sql, k ? ", ?" : "?");
        gv_buf_puts(&sb->sql, ")");
        if (!(st = prepare_period(sb, sb->sql.data, e)))
            return -1;
        pos = 2;
        for (size_t k = 0; k < n; k++)
            if (gv_db_bind_text(st, pos++, c->v[idx[k]].account, e) < 0)
                goto fail;
        if (gv_db_execute(st, e) < 0)
            goto fail;
        while (pass == 0 && (row = gv_db_fetch(st, e)) == 1) {
            char account[64], status[16], reason[40], report[48];
            gv_bill_item_t *it;
            if (gv_db_col_text(st, 1, account, sizeof account, e) < 0 ||
                gv_db_col_text(st, 2, status, sizeof status, e) < 0 ||
                gv_db_col_text(st, 3, reason, sizeof reason, e) < 0 ||
                gv_db_col_text(st, 4, report, sizeof report, e) < 0)
                goto fail;
            if ((it = gv_bill_items_find(c, account)) && it->status == GV_BILL_PENDING &&
                !strcmp(status, "PENDING") && !strcmp(reason, it->reason))
                snprintf(it->old_report, sizeof it->old_report, "%.39s", report);
        }
        if (pass == 0 && row < 0)
            goto fail;
        gv_db_stmt_free(st);
    }
    return 0;
fail:
    gv_db_stmt_free(st);
    return -1;
}

/* The detail as well-formed UTF-8 (a bound text must be), whoever made it. */
static const char *clean_detail(const char *in, char *out, size_t outsz)
{
    snprintf(out, outsz, "%s", in);
    gv_utf8_scrub(out);
    return out;
}

static int write_part(gv_store_bills_t *sb, const gv_bill_items_t *c, const size_t *idx,
                      size_t n, gv_db_error_t *e)
{
    gv_db_stmt_t *st;
    gv_db_kept_t *slot;
    int pos = 1;

    if (!(st = gv_db_kept_for(sb->own_st, n, OWN_ROWS, &slot))) {
        gv_buf_reset(&sb->sql);
        gv_buf_puts(&sb->sql, "INSERT INTO gv_bill (" OWN_COLUMNS ") VALUES ");
        for (size_t k = 0; k < n; k++)
            gv_buf_puts(&sb->sql, k ? ", (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
                                    : "(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
        if (!(st = slot->st = gv_db_prepare_built(sb->db, &sb->sql, e)))
            return -1;
    }
    for (size_t k = 0; k < n; k++) {
        const gv_bill_item_t *it = &c->v[idx[k]];
        const gv_charge_t *ch = &it->calc.charge;
        int billed = it->status == GV_BILL_BILLED;
        const char *report = it->status == GV_BILL_CONFLICT ? NULL
                             : it->old_report[0]            ? it->old_report
                                                            : sb->report_id;
        char detail[sizeof it->detail];
        if (gv_db_bind_text(st, pos++, sb->period, e) < 0 ||
            gv_db_bind_text(st, pos++, it->account, e) < 0 ||
            gv_db_bind_text(st, pos++, it->voucher_id, e) < 0 ||
            gv_db_bind_text(st, pos++, gv_bill_status_name(it->status), e) < 0 ||
            gv_db_bind_text_or_null(st, pos++, it->reason, e) < 0 ||
            gv_db_bind_text_or_null(st, pos++, clean_detail(it->detail, detail, sizeof detail),
                                    e) < 0 ||
            gv_db_bind_int64(st, pos++, billed ? ch->volume_milli : 0, e) < 0 ||
            gv_db_bind_int64(st, pos++, billed ? ch->price : 0, e) < 0 ||
            gv_db_bind_int64(st, pos++, billed ? ch->vat_bp : 0, e) < 0 ||
            gv_db_bind_int64(st, pos++, billed ? ch->net : 0, e) < 0 ||
            gv_db_bind_int64(st, pos++, billed ? ch->vat : 0, e) < 0 ||
            gv_db_bind_int64(st, pos++, billed ? ch->charge : 0, e) < 0 ||
            gv_db_bind_int64(st, pos++, billed ? it->calc.discount.discount : 0, e) < 0 ||
            gv_db_bind_int64(st, pos++, billed ? it->calc.due : 0, e) < 0 ||
            gv_db_bind_text_or_null(st, pos++, billed ? it->calc.rule : NULL, e) < 0 ||
            gv_db_bind_text_or_null(st, pos++, billed ? it->bill_ref : NULL, e) < 0 ||
            gv_db_bind_text(st, pos++, sb->run_id, e) < 0 ||
            gv_db_bind_int64(st, pos++, (int64_t)sb->now, e) < 0 ||
            gv_db_bind_text_or_null(st, pos++, report, e) < 0 ||
            gv_db_bind_text_or_null(st, pos++, it->region, e) < 0) {
            gv_store_bills_forget(sb);
            return -1;
        }
    }
    if (gv_db_execute(st, e) < 0) {
        gv_store_bills_forget(sb);
        return -1;
    }
    return 0;
}

int gv_store_bills_write(gv_store_bills_t *sb, const gv_bill_items_t *c, const size_t *idx,
                         size_t n, gv_db_error_t *e)
{
    for (size_t done = 0; done < n; done += OWN_ROWS)
        if (write_part(sb, c, idx + done, n - done < OWN_ROWS ? n - done : OWN_ROWS, e) < 0)
            return -1;
    return 0;
}

int gv_store_bills_written(gv_store_bills_t *sb, const char *account, gv_db_error_t *e)
{
    gv_db_stmt_t *st = prepare_period(
        sb, "SELECT COUNT(*) FROM gv_bill WHERE period = ? AND account = ? AND run_id = ?", e);
    int64_t v = 0;
    int row = -1;

    if (st && gv_db_bind_text(st, 2, account, e) == 0 &&
        gv_db_bind_text(st, 3, sb->run_id, e) == 0 && gv_db_execute(st, e) == 0 &&
        (row = gv_db_fetch(st, e)) == 1 && gv_db_col_int64(st, 1, &v, e) < 0)
        row = -1;
    gv_db_stmt_free(st);
    return row < 0 ? -1 : v > 0;
}

/* ---- the report ------------------------------------------------------------- */

/* Rows no recorded report carries: those of this run (written with the
 * id its report will have), of a run killed before its report was
 * recorded, and Pending rows whose state changed.  Binds the period twice. */
static const char unreported[] =
    " FROM gv_bill WHERE period = ? AND status IN ('BILLED', 'PENDING') AND (report_id IS NULL"
    " OR report_id NOT IN (SELECT report_id FROM gv_run WHERE period = ?"
    " AND report_id IS NOT NULL))";

static gv_db_stmt_t *query_unreported(gv_store_bills_t *sb, const char *head, const char *tail,
                                      gv_db_error_t *e)
{
    gv_db_stmt_t *st;

    gv_buf_reset(&sb->sql);
    gv_buf_puts(&sb->sql, head);
    gv_buf_puts(&sb->sql, unreported);
    gv_buf_puts(&sb->sql, tail);
    if (!(st = prepare_period(sb, sb->sql.data, e)))
        return NULL;
    if (gv_db_bind_text(st, 2, sb->period, e) < 0 || gv_db_execute(st, e) < 0) {
        gv_db_stmt_free(st);
        return NULL;
    }
    return st;
}

int gv_store_bills_unreported(gv_store_bills_t *sb, gv_unreported_t *t, gv_db_error_t *e)
{
    gv_db_stmt_t *st = query_unreported(sb,
                                        "SELECT SUM(CASE WHEN status = 'BILLED' THEN 1 ELSE 0 END),"
                                        " SUM(CASE WHEN status = 'PENDING' THEN 1 ELSE 0 END),"
                                        " SUM(discount_tiyn)",
                                        "", e);
    int row;

    memset(t, 0, sizeof *t);
    if (!st)
        return -1;
    if ((row = gv_db_fetch(st, e)) < 0 ||
        (row == 1 && (gv_db_col_int64(st, 1, &t->redeemed, e) < 0 ||
                      gv_db_col_int64(st, 2, &t->pending, e) < 0 ||
                      gv_db_col_int64(st, 3, &t->discount, e) < 0))) {
        gv_db_stmt_free(st);
        return -1;
    }
    gv_db_stmt_free(st);
    return 0;
}

int gv_store_bills_each_unreported(gv_store_bills_t *sb,
                                   int (*fn)(void *ud, const gv_reported_row_t *row), void *ud,
                                   gv_db_error_t *e)
{
    gv_db_stmt_t *st = query_unreported(sb,
                                        "SELECT status, voucher_id, account, reason, volume_milli,"
                                        " price_tiyn, charge_tiyn, discount_tiyn, due_tiyn, bill_ref",
                                        " ORDER BY status, account", e);
    int row;

    if (!st)
        return -1;
    while ((row = gv_db_fetch(st, e)) == 1) {
        gv_reported_row_t r;
        char status[16];
        memset(&r, 0, sizeof r);
        if (gv_db_col_text(st, 1, status, sizeof status, e) < 0 ||
            gv_db_col_text(st, 2, r.voucher_id, sizeof r.voucher_id, e) < 0 ||
            gv_db_col_text(st, 3, r.account, sizeof r.account, e) < 0 ||
            gv_db_col_text(st, 4, r.reason, sizeof r.reason, e) < 0 ||
            gv_db_col_int64(st, 5, &r.volume_milli, e) < 0 ||
            gv_db_col_int64(st, 6, &r.price, e) < 0 || gv_db_col_int64(st, 7, &r.charge, e) < 0 ||
            gv_db_col_int64(st, 8, &r.discount, e) < 0 || gv_db_col_int64(st, 9, &r.due, e) < 0 ||
            gv_db_col_text(st, 10, r.bill_ref, sizeof r.bill_ref, e) < 0) {
            row = -1;
            break;
        }
        r.billed = !strcmp(status, "BILLED");
        if (fn(ud, &r) < 0) {
            gv_db_stmt_free(st);
            return -2;      /* the callback's own failure */
        }
    }
    gv_db_stmt_free(st);
    return row < 0 ? -1 : 0;
}

int gv_store_bills_mark_reported(gv_store_bills_t *sb, const char *report_id, gv_db_error_t *e)
{
    gv_db_stmt_t *st = gv_db_prepare(sb->db,
                                     "UPDATE gv_bill SET report_id = ? WHERE period = ?"
                                     " AND status IN ('BILLED', 'PENDING') AND (report_id IS NULL"
                                     " OR (report_id <> ? AND report_id NOT IN (SELECT report_id"
                                     " FROM gv_run WHERE period = ? AND report_id IS NOT NULL)))",
                                     e);
    int rc = -1;

    if (st && gv_db_bind_text(st, 1, report_id, e) == 0 &&
        gv_db_bind_text(st, 2, sb->period, e) == 0 && gv_db_bind_text(st, 3, report_id, e) == 0 &&
        gv_db_bind_text(st, 4, sb->period, e) == 0 && gv_db_execute(st, e) == 0)
        rc = 0;
    gv_db_stmt_free(st);
    return rc;
}

int gv_store_run_insert(gv_store_bills_t *sb, const gv_run_row_t *run, gv_db_error_t *e)
{
    gv_db_stmt_t *st = gv_db_prepare(
        sb->db,
        "INSERT INTO gv_run (run_id, period, started_at, finished_at, billed, pending,"
        " conflicts, charge_tiyn, discount_tiyn, due_tiyn, report_id)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        e);
    int rc = -1;

    if (st && gv_db_bind_text(st, 1, sb->run_id, e) == 0 &&
        gv_db_bind_text(st, 2, sb->period, e) == 0 &&
        gv_db_bind_int64(st, 3, (int64_t)run->started, e) == 0 &&
        gv_db_bind_int64(st, 4, (int64_t)run->finished, e) == 0 &&
        gv_db_bind_int64(st, 5, run->billed, e) == 0 &&
        gv_db_bind_int64(st, 6, run->pending, e) == 0 &&
        gv_db_bind_int64(st, 7, run->conflicts, e) == 0 &&
        gv_db_bind_int64(st, 8, run->charge, e) == 0 &&
        gv_db_bind_int64(st, 9, run->discount, e) == 0 &&
        gv_db_bind_int64(st, 10, run->due, e) == 0 &&
        gv_db_bind_text_or_null(st, 11, run->report_id, e) == 0 && gv_db_execute(st, e) == 0)
        rc = 0;
    gv_db_stmt_free(st);
    return rc;
}

int gv_store_run_find(gv_store_bills_t *sb, char *report_id, size_t sz, gv_db_error_t *e)
{
    gv_db_stmt_t *st = gv_db_prepare(sb->db, "SELECT report_id FROM gv_run WHERE run_id = ?", e);
    int row = -1;

    if (st && gv_db_bind_text(st, 1, sb->run_id, e) == 0 && gv_db_execute(st, e) == 0 &&
        (row = gv_db_fetch(st, e)) == 1 && gv_db_col_text(st, 1, report_id, sz, e) < 0)
        row = -1;
    gv_db_stmt_free(st);
    return row;
}
