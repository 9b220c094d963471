/* sql.c - the mapping-driven SQL adapter over unixODBC.
 *
 * Everything site-specific comes from the mapping: the statements, their
 * named parameters and the result columns they return.  This file knows
 * only the column *roles* (gv_stmt_specs in adapters/sql/mapping.c).
 */
#include "config.h"
#include "adapter.h"
#include "sqlrun.h"
#include "sql.h"
#include "column.h"
#include "retry.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *sql_open(const gv_conf_t *conf, const gv_mapping_t *map, gv_err_t *err)
{
    sql_ctx_t *c = calloc(1, sizeof *c);
    gv_db_opts_t opts = gv_conf_db_opts(conf);

    opts.read_only = 1;     /* a worker's context looks accounts up, never writes */
    if (!c || !(c->db = gv_db_new(conf->db_connection, &opts))) {
        free(c);
        gv_err_set(err, "out of memory");
        return NULL;
    }
    c->conf = conf;
    c->map = map;
    gv_buf_init(&c->sql, 64u << 20);
    return c;
}

static void *sql_open_shared(const gv_conf_t *conf, const gv_mapping_t *map, gv_db_t *db,
                             gv_err_t *err)
{
    sql_ctx_t *c = calloc(1, sizeof *c);

    if (!c) {
        gv_err_set(err, "out of memory");
        return NULL;
    }
    c->conf = conf;
    c->map = map;
    c->db = db;
    c->shared = 1;
    gv_buf_init(&c->sql, 64u << 20);
    return c;
}

static void drop_statements(sql_ctx_t *c)
{
    gv_db_stmt_free(c->account_stmt);
    c->account_stmt = NULL;
    gv_db_kept_drop(c->accounts_st);
    gv_sql_forget_writes(c);
}

static void sql_forget(void *ctx)
{
    drop_statements(ctx);
}

static int sql_canonicalise(void *ctx, const char *typed, char *out, size_t outsz)
{
    const sql_ctx_t *c = ctx;

    return gv_account_normalise(&c->map->account, typed, out, outsz);
}

static void sql_close(void *ctx)
{
    sql_ctx_t *c = ctx;

    if (!c)
        return;
    drop_statements(c);
    gv_buf_free(&c->sql);
    if (!c->shared)
        gv_db_free(c->db);
    free(c);
}

static int prepare_account(sql_ctx_t *c, gv_db_error_t *e)
{
    if (c->account_stmt)
        return 0;
    c->account_stmt = gv_db_prepare(c->db, c->map->stmts[GV_STMT_ACCOUNT].sql, e);
    if (!c->account_stmt)
        return -1;
    if (gv_stmt_columns(c->account_stmt, &gv_stmt_specs[GV_STMT_ACCOUNT], c->account_cols,
                        "[query.account]", NULL, e) < 0) {
        drop_statements(c);
        return -1;
    }
    return 0;
}

static int bind_account_params(sql_ctx_t *c, const char *canonical, gv_period_t period,
                               gv_db_error_t *e)
{
    const gv_stmt_t *s = &c->map->stmts[GV_STMT_ACCOUNT];
    gv_site_period_t p;

    gv_site_period_init(&p, period, 0);
    for (size_t i = 0; i < s->nparams; i++)
        if (gv_sql_bind_named(c->account_stmt, (int)i + 1, s->params[i], c->map, canonical, &p,
                              e) < 0)
            return -1;
    return 0;
}

/* The row st is on, by the column map of [query.account] or
 * [query.accounts] (section, for the message). */
static int read_account_row(gv_db_stmt_t *st, const int *cols, const char *section,
                            gv_account_record_t *rec, gv_db_error_t *e)
{
    struct { int role; char *buf; size_t size; } text[] = {
        { GV_ACOL_ACCOUNT, rec->account, sizeof rec->account },
        { GV_ACOL_HOLDER, rec->holder, sizeof rec->holder },
        { GV_ACOL_ADDRESS, rec->address, sizeof rec->address },
        { GV_ACOL_SETTLEMENT, rec->settlement, sizeof rec->settlement },
        { GV_ACOL_REGION, rec->region, sizeof rec->region },
    };
    struct { int role; int *out; } flags[] = {
        { GV_ACOL_HOUSEHOLD, &rec->household },
        { GV_ACOL_METERED, &rec->metered },
        { GV_ACOL_RESIDENTS, &rec->residents },
    };
    char tmp[64];
    int is_null;

    memset(rec, 0, sizeof *rec);
    for (size_t i = 0; i < sizeof text / sizeof text[0]; i++) {
        int col = cols[text[i].role];
        if (!col)
            continue;
        if (gv_db_col_text(st, col, text[i].buf, text[i].size, e) < 0)
            return -1;
    }
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++) {
        if (gv_db_get_text(st, cols[flags[i].role], tmp, sizeof tmp, &is_null, e) < 0)
            return -1;
        if (is_null || gv_sql_parse_flag(tmp, flags[i].out) < 0)
            goto bad;
    }
    if (gv_db_get_text(st, cols[GV_ACOL_CLOSED_ON], tmp, sizeof tmp, &is_null, e) < 0)
        return -1;
    if (!is_null) {
        tmp[10] = '\0';     /* a timestamp's date part */
        if (gv_date_parse(tmp, &rec->closed_on) < 0)
            goto bad;
        rec->closed = 1;
    }
    return 0;
bad:
    if (e) {
        e->action = GV_DB_PERMANENT;
        snprintf(e->msg, sizeof e->msg,
                 "[%s] returned a value gasvoucher cannot read for account %s", section,
                 rec->account);
    }
    return -1;
}

static gv_lookup_t sql_find_account(void *ctx, const char *canonical, gv_period_t period,
                                    int64_t now_ms, gv_account_record_t *rec, gv_db_error_t *e)
{
    sql_ctx_t *c = ctx;
    /* The account check answers now: a connection that worked before may
     * have been cut (database restarted), so one immediate reconnect, then
     * UNAVAILABLE and the back-off.  On a caller's connection a
     * transaction is open: reconnecting would lose it, so the caller
     * hears of the failure instead. */
    gv_db_retry_t policy = { .forget = sql_forget, .forget_ud = c };
    long tries = 0;

    for (;;) {
        int row;
        if (gv_db_ensure(c->db, now_ms, e) < 0)
            return GV_LOOKUP_RETRY;
        if (prepare_account(c, e) < 0 || bind_account_params(c, canonical, period, e) < 0 ||
            gv_db_execute(c->account_stmt, e) < 0)
            goto failed;
        row = gv_db_fetch(c->account_stmt, e);
        if (row < 0)
            goto failed;
        if (row == 0) {
            gv_db_close_cursor(c->account_stmt);
            return GV_LOOKUP_NOT_FOUND;
        }
        if (read_account_row(c->account_stmt, c->account_cols, "query.account", rec, e) < 0)
            goto failed;
        gv_db_close_cursor(c->account_stmt);
        if (!rec->account[0])   /* the site's key is what it was asked for */
            snprintf(rec->account, sizeof rec->account, "%s", canonical);
        return GV_LOOKUP_FOUND;
    failed:
        if (c->account_stmt)
            gv_db_close_cursor(c->account_stmt);
        if (c->shared || !gv_db_again(c->db, &policy, e, &tries))
            return GV_LOOKUP_RETRY;
    }
}

/* ---- many accounts at once ([query.accounts]) ------------------------- */

typedef struct asked {
    const char *const *canonical;
    size_t *order;                  /* indexes into canonical, sorted by it */
    size_t n;
} asked_t;

static int cmp_asked(const void *a, const void *b, void *ud)
{
    const char *const *canonical = ud;
    return strcmp(canonical[*(const size_t *)a], canonical[*(const size_t *)b]);
}

/* The index of the account asked for as `key`, or -1. */
static long asked_index(const asked_t *q, const char *key)
{
    size_t lo = 0, hi = q->n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int d = strcmp(key, q->canonical[q->order[mid]]);
        if (d == 0)
            return (long)q->order[mid];
        if (d < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return -1;
}

/* Runs [query.accounts] for canonical[0..n) (one statement's worth) and
 * fills what it returns: a row is the account asked for by the site's key
 * itself or by what [account] makes of it. */
static int accounts_part(sql_ctx_t *c, const char *const *canonical, size_t n, size_t full,
                         gv_period_t period, gv_account_record_t *recs, gv_lookup_t *found,
                         size_t *order, gv_db_error_t *e)
{
    const gv_stmt_t *s = &c->map->stmts[GV_STMT_ACCOUNTS];
    asked_t q = { canonical, order, n };
    gv_site_period_t p;
    gv_db_kept_t *slot;
    gv_db_stmt_t *st;
    gv_account_record_t rec;
    int pos = 1, row;

    if (!(st = gv_db_kept_for(c->accounts_st, n, full, &slot))) {
        if (gv_stmt_expand(s, n, &c->sql) < 0) {
            e->action = GV_DB_PERMANENT;
            e->sqlstate[0] = '\0';
            snprintf(e->msg, sizeof e->msg, "[query.accounts]: %s",
                     gv_buf_why("statement too long"));
            return -1;
        }
        if (!(st = slot->st = gv_db_prepare(c->db, c->sql.data, e)) ||
            gv_stmt_columns(st, &gv_stmt_specs[GV_STMT_ACCOUNTS], c->accounts_cols,
                            "[query.accounts]", NULL, e) < 0) {
            gv_db_kept_drop(c->accounts_st);
            return -1;
        }
    }
    gv_site_period_init(&p, period, 0);
    for (size_t i = 0; i < s->nparams; i++) {
        if (gv_param_is_list(s->params[i])) {
            for (size_t k = 0; k < n; k++)
                if (gv_sql_bind_named(st, pos++, s->params[i], c->map, canonical[k], &p, e) < 0)
                    return -1;
        } else if (gv_sql_bind_named(st, pos++, s->params[i], c->map, NULL, &p, e) < 0) {
            return -1;
        }
    }
    for (size_t k = 0; k < n; k++)
        order[k] = k;
    qsort_r(order, n, sizeof *order, cmp_asked, (void *)canonical);
    if (gv_db_execute(st, e) < 0)
        return -1;
    while ((row = gv_db_fetch(st, e)) == 1) {
        char again[GV_ACCOUNT_MAX + 1];
        long i;
        if (read_account_row(st, c->accounts_cols, "query.accounts", &rec, e) < 0) {
            row = -1;
            break;
        }
        if ((i = asked_index(&q, rec.account)) < 0 &&
            gv_account_normalise(&c->map->account, rec.account, again, sizeof again) == 0)
            i = asked_index(&q, again);
        if (i < 0 || found[i] == GV_LOOKUP_FOUND)
            continue;       /* not asked for (a wider WHERE), or a second row: the first counts */
        recs[i] = rec;
        found[i] = GV_LOOKUP_FOUND;
    }
    gv_db_close_cursor(st);
    return row < 0 ? -1 : 0;
}

static int sql_find_accounts(void *ctx, const char *const *canonical, size_t n,
                             gv_period_t period, int64_t now_ms, gv_account_record_t *recs,
                             gv_lookup_t *found, gv_db_error_t *e)
{
    sql_ctx_t *c = ctx;
    const gv_stmt_t *s = &c->map->stmts[GV_STMT_ACCOUNTS];
    gv_db_retry_t policy = { .forget = sql_forget, .forget_ud = c };
    size_t lists = 0, per, *order;
    long tries = 0;

    for (size_t i = 0; i < n; i++)
        found[i] = GV_LOOKUP_NOT_FOUND;
    if (!s->sql || n == 0)
        goto one_by_one;
    for (size_t i = 0; i < s->nparams; i++)
        lists += gv_param_is_list(s->params[i]) != 0;
    /* Each use of :accounts binds the whole part: the part is cut so that
     * the statement stays within what every engine takes. */
    per = lists ? (GV_DB_MULTIROW_PARAMS - (s->nparams - lists)) / lists : n;
    if (per > 1000)
        per = 1000;
    if (!(order = malloc((n < per ? n : per) * sizeof *order))) {
        e->action = GV_DB_PERMANENT;
        snprintf(e->msg, sizeof e->msg, "out of memory");
        return -1;
    }
    for (;;) {
        size_t done;
        if (gv_db_ensure(c->db, now_ms, e) < 0) {
            free(order);
            return -1;
        }
        for (done = 0; done < n; done += per)
            if (accounts_part(c, canonical + done, n - done < per ? n - done : per, per, period,
                              recs + done, found + done, order, e) < 0)
                break;
        if (done >= n)
            break;
        gv_db_kept_drop(c->accounts_st);
        if (c->shared || !gv_db_again(c->db, &policy, e, &tries)) {
            free(order);
            return -1;
        }
        for (size_t i = 0; i < n; i++)
            found[i] = GV_LOOKUP_NOT_FOUND;
    }
    free(order);
one_by_one:
    /* What the list did not return is asked once more alone: a mapping
     * whose [query.account] finds spellings its list cannot (a site that
     * pads in SQL) still finds them, at a round trip each. */
    for (size_t i = 0; i < n; i++)
        if (found[i] != GV_LOOKUP_FOUND &&
            (found[i] = sql_find_account(c, canonical[i], period, now_ms, &recs[i], e)) ==
                GV_LOOKUP_RETRY)
            return -1;
    return 0;
}

static int sql_ping(void *ctx, int64_t now_ms, gv_db_error_t *e)
{
    sql_ctx_t *c = ctx;

    if (gv_db_ensure(c->db, now_ms, e) < 0)
        return -1;
    if (prepare_account(c, e) < 0) {
        drop_statements(c);
        gv_db_disconnect(c->db, now_ms);
        return -1;
    }
    return 0;
}

static int64_t sql_retry_after_ms(void *ctx, int64_t now_ms)
{
    sql_ctx_t *c = ctx;
    return gv_db_backoff_left_ms(c->db, now_ms);
}

static int sql_read_bills(void *ctx, gv_period_t period, int64_t now_ms, gv_site_bill_fn fn,
                          void *ud, gv_db_error_t *e)
{
    sql_ctx_t *c = ctx;

    if (gv_db_ensure(c->db, now_ms, e) < 0)
        return -1;
    return gv_sql_read_bills(c->db, c->map, period, fn, ud, e);
}

const gv_adapter_t gv_adapter_sql = {
    .name = "sql",
    .open = sql_open,
    .open_shared = sql_open_shared,
    .close = sql_close,
    .canonicalise = sql_canonicalise,
    .find_account = sql_find_account,
    .find_accounts = sql_find_accounts,
    .read_for_billing = gv_sql_read_for_billing,
    .write_bills = gv_sql_write_bills,
    .forget = sql_forget,
    .describe_writes = gv_sql_describe_writes,
    .ping = sql_ping,
    .retry_after_ms = sql_retry_after_ms,
    .check_mapping = gv_sql_check_mapping,    /* check.c */
    .read_bills = sql_read_bills,
};
