/* sql.c - the mapping-driven SQL adapter over unixODBC.
 *
 * Everything site-specific comes from the mapping: the statements, their
 * named parameters and the result columns they return.  This file knows
 * only the column *roles* (gv_stmt_specs in adapters/sql/mapping.c).
 */
#include "config.h"
#include "adapter.h"
#include "bills.h"
#include "buf.h"
#include "sqlrun.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct sql_ctx {
    const gv_conf_t *conf;
    const gv_mapping_t *map;
    gv_db_t *db;
    int shared;                         /* db belongs to the caller */
    gv_db_stmt_t *account_stmt;
    int account_cols[GV_ACOL_COUNT];    /* 1-based result column; 0 = absent */
} sql_ctx_t;

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
    return c;
}

static void drop_statements(sql_ctx_t *c)
{
    gv_db_stmt_free(c->account_stmt);
    c->account_stmt = NULL;
}

static void sql_close(void *ctx)
{
    sql_ctx_t *c = ctx;

    if (!c)
        return;
    drop_statements(c);
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
    char first[11], last[11];

    gv_date_format(gv_period_first_day(period), first);
    gv_date_format(gv_period_last_day(period), last);
    for (size_t i = 0; i < s->nparams; i++) {
        int idx = (int)i + 1, rc;
        if (!strcmp(s->params[i], "account"))
            rc = c->map->account_bind == GV_BIND_INTEGER
                     ? gv_db_bind_int64(c->account_stmt, idx, strtoll(canonical, NULL, 10), e)
                     : gv_db_bind_text(c->account_stmt, idx, canonical, e);
        else if (!strcmp(s->params[i], "period_start"))
            rc = gv_db_bind_date(c->account_stmt, idx, first, e);
        else
            rc = gv_db_bind_date(c->account_stmt, idx, last, e);
        if (rc < 0)
            return -1;
    }
    return 0;
}

static void trim(char *s)
{
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        s[--n] = '\0';
}

static int parse_flag(const char *v, int *out)
{
    char *end;
    long n;

    if (!strcasecmp(v, "t") || !strcasecmp(v, "true")) { *out = 1; return 0; }
    if (!strcasecmp(v, "f") || !strcasecmp(v, "false")) { *out = 0; return 0; }
    n = strtol(v, &end, 10);
    if (end == v || (*end && *end != '.'))
        return -1;
    *out = (int)n;
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
        if (gv_db_get_text(c->account_stmt, col, text[i].buf, text[i].size, &is_null, e) < 0)
            return -1;
        trim(text[i].buf);
    }
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++) {
        if (gv_db_get_text(c->account_stmt, c->account_cols[flags[i].role], tmp, sizeof tmp,
                           &is_null, e) < 0)
            return -1;
        if (is_null || parse_flag(tmp, flags[i].out) < 0)
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

    /* A connection that worked before may have been cut (database
     * restarted): one immediate reconnect, then back-off. */
    for (int attempt = 0; attempt < 2; attempt++) {
        int was_connected = gv_db_is_connected(c->db), row;
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
        return GV_LOOKUP_FOUND;
    failed:
        if (c->account_stmt)
            gv_db_close_cursor(c->account_stmt);
        /* On a caller's connection a transaction is open: reconnecting
         * would lose it, so the caller hears of the failure instead. */
        if (e->action == GV_DB_RETRY || c->shared)
            return GV_LOOKUP_RETRY;
        drop_statements(c);
        gv_db_disconnect(c->db, now_ms);
        if (!(was_connected && e->action == GV_DB_RECONNECT))
            return GV_LOOKUP_RETRY;
        gv_db_allow_now(c->db);       /* the one immediate retry */
    }
    return GV_LOOKUP_RETRY;
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

static int sql_check_mapping(const gv_conf_t *conf, const gv_mapping_t *map, gv_errlist_t *errs)
{
    gv_err_t err;
    gv_db_error_t e;
    sql_ctx_t *c = sql_open(conf, map, &err);
    size_t before = errs->count;
    gv_buf_t sql;

    if (!c) {
        gv_errlist_add(errs, "%s", err.msg);
        return -1;
    }
    gv_buf_init(&sql, 1 << 20);
    if (gv_db_ensure(c->db, 0, &e) < 0) {
        gv_errlist_add(errs, "cannot connect to the database: %s", e.msg);
        goto done;
    }
    for (int i = 0; i < GV_STMT_COUNT; i++) {
        const gv_stmt_t *s = &map->stmts[i];
        const gv_stmt_spec_t *spec = &gv_stmt_specs[i];
        char where[300];
        int cols[32], n;
        gv_db_stmt_t *st;

        if (!s->sql)
            continue;
        snprintf(where, sizeof where, "%s:%d: [%s]", map->path, s->line, spec->section);
        /* A list parameter is checked as a list of one. */
        if (gv_stmt_expand(s, 1, &sql) < 0 || !(st = gv_db_prepare(c->db, sql.data, &e))) {
            gv_errlist_add(errs, "%s: does not prepare: %s", where, e.msg);
            continue;
        }
        if (gv_db_num_params(st, &n, &e) == 0 && n != (int)s->nparams)
            gv_errlist_add(errs, "%s: the driver counts %d parameters, the mapping %zu", where, n,
                           s->nparams);
        gv_stmt_columns(st, spec, cols, where, errs, &e);
        gv_db_stmt_free(st);
    }
    for (size_t i = 0; i < map->nwrites; i++) {
        const gv_write_t *w = &map->writes[i];
        char where[300];
        gv_db_stmt_t *st;
        int n;

        snprintf(where, sizeof where, "%s:%d: [write.%s]", map->path, w->line, w->name);
        if (gv_write_expand(w, 1, &sql) < 0 || !(st = gv_db_prepare(c->db, sql.data, &e))) {
            gv_errlist_add(errs, "%s: does not prepare: %s", where, e.msg);
            continue;
        }
        if (gv_db_num_params(st, &n, &e) == 0 && n != (int)w->values.nparams)
            gv_errlist_add(errs, "%s: the driver counts %d parameters, the mapping %zu", where, n,
                           w->values.nparams);
        gv_db_stmt_free(st);
    }
done:
    gv_buf_free(&sql);
    sql_close(c);
    return errs->count == before ? 0 : -1;
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
    .find_account = sql_find_account,
    .ping = sql_ping,
    .retry_after_ms = sql_retry_after_ms,
    .check_mapping = sql_check_mapping,
    .read_bills = sql_read_bills,
};
