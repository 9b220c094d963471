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

static int read_account_row(sql_ctx_t *c, gv_account_record_t *rec, gv_db_error_t *e)
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
        int col = c->account_cols[text[i].role];
        if (!col)
            continue;
        if (gv_db_col_text(c->account_stmt, col, text[i].buf, text[i].size, e) < 0)
            return -1;
    }
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++) {
        if (gv_db_get_text(c->account_stmt, c->account_cols[flags[i].role], tmp, sizeof tmp,
                           &is_null, e) < 0)
            return -1;
        if (is_null || gv_sql_parse_flag(tmp, flags[i].out) < 0)
            goto bad;
    }
    if (gv_db_get_text(c->account_stmt, c->account_cols[GV_ACOL_CLOSED_ON], tmp, sizeof tmp,
                       &is_null, e) < 0)
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
                 "[query.account] returned a value gasvoucher cannot read for account %s",
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
        if (read_account_row(c, rec, e) < 0)
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
    .read_for_billing = gv_sql_read_for_billing,
    .write_bills = gv_sql_write_bills,
    .forget = sql_forget,
    .describe_writes = gv_sql_describe_writes,
    .ping = sql_ping,
    .retry_after_ms = sql_retry_after_ms,
    .check_mapping = gv_sql_check_mapping,    /* check.c */
    .read_bills = sql_read_bills,
};
