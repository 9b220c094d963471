/* billing.c - what billing reads from and writes to a site, through the
 * mapping: [query.billing_accounts], [query.readings], [write.*] and
 * [query.bill_ref] (see adapter.h for the contract).
 *
 * A chunk's statements carry its accounts as one list parameter
 * (:accounts, "?, ?, ..."); the writes are one multi-row INSERT per
 * [write.*] section, inside the caller's transaction.
 */
#include "config.h"
#include "sql.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "column.h"
#include "money.h"
#include "sqlrun.h"

/* Parameters one statement may carry (kept.h): a chunk's rows, and the
 * accounts a read binds (each use of :accounts binds them all), are split
 * into statements of at most this many. */
#define MAX_STMT_PARAMS GV_DB_MULTIROW_PARAMS
/* Rows a block when reading (gv_db_rows_fetch). */
#define READ_ROWS 256

/* A failure no retry mends: "subject: what". */
static void permanent(gv_db_error_t *e, const char *what, const char *subject)
{
    e->action = GV_DB_PERMANENT;
    e->sqlstate[0] = '\0';
    snprintf(e->msg, sizeof e->msg, "%s: %s", subject, what);
}

static int cmp_account(const void *key, const void *elem)
{
    return strcmp(key, ((const gv_site_account_t *)elem)->account);
}

/* The chunk's account the site returned a row for; NULL when the row is
 * of an account not asked for (a mapping's WHERE may be wider). */
static gv_site_account_t *find_account(gv_site_account_t *acc, size_t n, const char *account)
{
    return n ? bsearch(account, acc, n, sizeof *acc, cmp_account) : NULL;
}

/* Accounts one statement of kind may bind: each use of :accounts binds
 * them all. */
static size_t accounts_per_stmt(const gv_stmt_t *s)
{
    size_t lists = 0;

    for (size_t i = 0; i < s->nparams; i++)
        lists += gv_param_is_list(s->params[i]) != 0;
    if (!lists)
        return (size_t)-1;
    return (MAX_STMT_PARAMS - (s->nparams - lists)) / lists;
}

/* The least and the greatest of the n accounts (numerically when they
 * are bound as integers, else byte by byte): :first_account and
 * :last_account, a range of the site's index around the list. */
static void account_range(const gv_mapping_t *map, const gv_site_account_t *acc,
                          const gv_site_bill_t *bills, size_t n, const char **first,
                          const char **last)
{
    *first = *last = acc ? acc[0].account : bills[0].account;
    for (size_t k = 1; k < n; k++) {
        const char *a = acc ? acc[k].account : bills[k].account;
        int below, above;
        if (map->account_bind == GV_BIND_INTEGER) {
            long long v = strtoll(a, NULL, 10);
            below = v < strtoll(*first, NULL, 10);
            above = v > strtoll(*last, NULL, 10);
        } else {
            below = strcmp(a, *first) < 0;
            above = strcmp(a, *last) > 0;
        }
        if (below)
            *first = a;
        if (above)
            *last = a;
    }
}

/* Prepares, binds and runs a chunk statement of the mapping for the
 * accounts acc[0..n) (or, with bills, those of bills[0..n)). */
static gv_db_stmt_t *chunk_stmt(sql_ctx_t *c, gv_stmt_kind_t kind, const gv_site_period_t *p,
                                const gv_site_account_t *acc, const gv_site_bill_t *bills,
                                size_t n, int *cols, gv_db_error_t *e)
{
    const gv_mapping_t *map = c->map;
    const gv_stmt_t *s = &map->stmts[kind];
    char where[300];
    const char *first, *last;
    gv_db_stmt_t *st;
    int pos = 1;

    account_range(map, acc, bills, n, &first, &last);
    if (gv_stmt_expand(s, n, &c->sql) < 0) {
        permanent(e, gv_buf_why("statement too long for the chunk"),
                  gv_stmt_specs[kind].section);
        return NULL;
    }
    if (!(st = gv_db_prepare(c->db, c->sql.data, e)))
        return NULL;
    for (size_t i = 0; i < s->nparams; i++) {
        if (gv_param_is_list(s->params[i])) {
            for (size_t k = 0; k < n; k++)
                if (gv_sql_bind_named(st, pos++, s->params[i], map,
                                      acc ? acc[k].account : bills[k].account, p, e) < 0)
                    goto fail;
            continue;
        }
        if (gv_sql_bind_named(st, pos++, s->params[i], map,
                              !strcmp(s->params[i], "first_account")  ? first
                              : !strcmp(s->params[i], "last_account") ? last
                                                                      : NULL,
                              p, e) < 0)
            goto fail;
    }
    snprintf(where, sizeof where, "%s:%d: [%s]", map->path, s->line,
             gv_stmt_specs[kind].section);
    if (gv_db_execute(st, e) < 0 ||
        gv_stmt_columns(st, &gv_stmt_specs[kind], cols, where, NULL, e) < 0)
        goto fail;
    return st;
fail:
    gv_db_stmt_free(st);
    return NULL;
}

/* ---- reads --------------------------------------------------------------- */

/* A chunk's rows are read in blocks into bound text columns (one driver
 * call for READ_ROWS rows).  Every value is read as text and parsed here,
 * exactly: a driver may silently turn what is no number into 0 (SQLite's
 * libsqlite3odbc does with 'abc') or cut what does not fit.  A block the
 * driver cannot convert (SQLSTATE 22...) sends that part of the chunk back
 * through SQLGetData a value at a time, so that only the account with
 * that value is held (SITE_VALUE). */

/* A getter failed on a value of the row (not a number, out of range),
 * as opposed to the statement or the connection failing. */
static int value_error(const gv_db_error_t *e)
{
    return e->action == GV_DB_PERMANENT && !strncmp(e->sqlstate, "22", 2);
}

/* The account's values cannot be used: the first reason stays. */
static void unusable(gv_site_account_t *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void unusable(gv_site_account_t *a, const char *fmt, ...)
{
    va_list ap;

    if (a->unusable[0])
        return;
    va_start(ap, fmt);
    vsnprintf(a->unusable, sizeof a->unusable, fmt, ap);
    va_end(ap);
}

/* An integer given as text; 1 when it is none ("" for NULL is none). */
static int parse_integer(const char *text, int64_t *v)
{
    *v = 0;
    return gv_decimal_parse(text, 0, v) < 0 ? 1 : 0;
}

/* The columns of a read as blocks of rows, all as text of bytes[r]
 * (the largest read has GV_RCOL_COUNT). */
static gv_db_rows_t *bind_rows(gv_db_stmt_t *st, const int *cols, const size_t *bytes,
                               size_t n, gv_db_error_t *e)
{
    gv_db_colspec_t spec[GV_RCOL_COUNT];

    for (size_t r = 0; r < n; r++)
        spec[r] = (gv_db_colspec_t){ cols[r], GV_DB_COL_TEXT, bytes[r] };
    return gv_db_rows_bind(st, spec, n, READ_ROWS, e);
}

/* One row of [query.billing_accounts], as text. */
static void take_account(const sql_ctx_t *c, gv_site_account_t *a, const char *region,
                         const char *mtext, const char *rtext)
{
    const char *section = gv_stmt_specs[GV_STMT_BILLING_ACCOUNTS].section;
    int64_t metered, residents;
    int mbad = parse_integer(mtext, &metered), rbad = parse_integer(rtext, &residents);

    a->found = 1;
    if (strlen(region) >= sizeof a->region)
        unusable(a, "%s: [%s] gave the region '%.40s', longer than a code KZ-NN", c->map->path,
                 section, region);
    if (mbad)
        unusable(a, "%s: [%s] gave metered '%.20s', not 0 or 1", c->map->path, section, mtext);
    /* residents count only for a home billed by norm (R15) */
    if (metered == 0 && (rbad || residents < INT_MIN || residents > INT_MAX))
        unusable(a, "%s: [%s] gave residents '%.20s', not a number of people", c->map->path,
                 section, rtext);
    if (rbad || residents < INT_MIN || residents > INT_MAX)
        residents = 0;
    snprintf(a->region, sizeof a->region, "%.7s", region);
    a->metered = metered != 0;
    a->residents = (int)residents;
}

/* The part read a value at a time: 0, or -1 on a failure. */
static int read_accounts_slowly(sql_ctx_t *c, const gv_site_period_t *p, gv_site_account_t *all,
                                size_t nall, const gv_site_account_t *part, size_t n,
                                gv_db_error_t *e)
{
    int cols[GV_BCOL_COUNT], row;
    gv_db_stmt_t *st = chunk_stmt(c, GV_STMT_BILLING_ACCOUNTS, p, part, NULL, n, cols, e);
    const char *section = gv_stmt_specs[GV_STMT_BILLING_ACCOUNTS].section;

    if (!st)
        return -1;
    while ((row = gv_db_fetch(st, e)) == 1) {
        char account[64], region[64], mtext[32], rtext[32];
        gv_site_account_t *a;
        if (gv_db_col_text(st, cols[GV_BCOL_ACCOUNT], account, sizeof account, e) < 0) {
            row = -1;
            break;
        }
        if (!(a = find_account(all, nall, account)))
            continue;
        if (gv_db_col_text(st, cols[GV_BCOL_REGION], region, sizeof region, e) < 0 ||
            gv_db_col_text(st, cols[GV_BCOL_METERED], mtext, sizeof mtext, e) < 0 ||
            gv_db_col_text(st, cols[GV_BCOL_RESIDENTS], rtext, sizeof rtext, e) < 0) {
            if (!value_error(e)) {
                row = -1;
                break;
            }
            a->found = 1;
            unusable(a, "%s: [%s] gave a value that cannot be read: %.120s", c->map->path,
                     section, e->msg);
            continue;
        }
        take_account(c, a, region, mtext, rtext);
    }
    gv_db_stmt_free(st);
    return row < 0 ? -1 : 0;
}

static int read_accounts_part(sql_ctx_t *c, const gv_site_period_t *p, gv_site_account_t *all,
                              size_t nall, const gv_site_account_t *part, size_t n,
                              gv_db_error_t *e)
{
    static const size_t bytes[GV_BCOL_COUNT] = { 64, 64, 32, 32 };
    int cols[GV_BCOL_COUNT];
    gv_db_stmt_t *st = chunk_stmt(c, GV_STMT_BILLING_ACCOUNTS, p, part, NULL, n, cols, e);
    gv_db_rows_t *rows;
    long got;

    if (!st)
        return -1;
    if (!(rows = bind_rows(st, cols, bytes, GV_BCOL_COUNT, e))) {
        gv_db_stmt_free(st);
        return -1;
    }
    while ((got = gv_db_rows_fetch(rows, e)) > 0)
        for (size_t i = 0; i < (size_t)got; i++) {
            gv_site_account_t *a =
                find_account(all, nall, gv_db_rows_text(rows, i, GV_BCOL_ACCOUNT, NULL));
            if (a)
                take_account(c, a, gv_db_rows_text(rows, i, GV_BCOL_REGION, NULL),
                             gv_db_rows_text(rows, i, GV_BCOL_METERED, NULL),
                             gv_db_rows_text(rows, i, GV_BCOL_RESIDENTS, NULL));
        }
    gv_db_rows_free(rows);
    gv_db_stmt_free(st);
    if (got < 0 && value_error(e))
        return read_accounts_slowly(c, p, all, nall, part, n, e);
    return got < 0 ? -1 : 0;
}

static int read_accounts(sql_ctx_t *c, const gv_site_period_t *p, gv_site_account_t *acc,
                         size_t n, gv_db_error_t *e)
{
    size_t per = accounts_per_stmt(&c->map->stmts[GV_STMT_BILLING_ACCOUNTS]);

    for (size_t done = 0; done < n; done += per)
        if (read_accounts_part(c, p, acc, n, acc + done, n - done < per ? n - done : per, e) < 0)
            return -1;
    return 0;
}

static int add_reading(gv_site_readings_t *rd, size_t owner, const gv_reading_t *r)
{
    if (rd->n == rd->cap) {
        size_t cap = rd->cap ? rd->cap * 2 : 1024;
        gv_reading_t *nr = realloc(rd->r, cap * sizeof *nr);
        size_t *no;
        if (!nr)
            return -1;
        rd->r = nr;
        if (!(no = realloc(rd->owner, cap * sizeof *no)))
            return -1;
        rd->owner = no;
        rd->cap = cap;
    }
    rd->r[rd->n] = *r;
    rd->owner[rd->n++] = owner;
    return 0;
}

/* Orders the readings by owner so each account's are one slice. */
static int group_readings(gv_site_account_t *acc, size_t n, gv_site_readings_t *rd)
{
    gv_reading_t *sorted = malloc((rd->n ? rd->n : 1) * sizeof *sorted);
    size_t at = 0;

    if (!sorted)
        return -1;
    for (size_t i = 0; i < n; i++)
        acc[i].rcount = 0;
    for (size_t i = 0; i < rd->n; i++)
        acc[rd->owner[i]].rcount++;
    for (size_t i = 0; i < n; i++) {
        acc[i].rfirst = at;
        at += acc[i].rcount;
        acc[i].rcount = 0;
    }
    for (size_t i = 0; i < rd->n; i++) {
        gv_site_account_t *a = &acc[rd->owner[i]];
        sorted[a->rfirst + a->rcount++] = rd->r[i];
    }
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < acc[i].rcount; k++)
            rd->owner[acc[i].rfirst + k] = i;
    if (rd->n)
        memcpy(rd->r, sorted, rd->n * sizeof *sorted);
    free(sorted);
    return 0;
}

/* One row of [query.readings], as text (kind NULL when the mapping has
 * no kinds, stext "" when it has no sequence): 0, or -1 out of memory. */
static int take_reading(sql_ctx_t *c, gv_site_account_t *acc, gv_site_account_t *a,
                        gv_site_readings_t *rd, const char *meter, const char *dtext,
                        const char *read_on, const char *value, const char *kind,
                        const char *stext)
{
    const char *where = c->map->path;
    char date[32];
    int64_t digits, seq = 0;
    int dbad = parse_integer(dtext, &digits), sbad = stext[0] && parse_integer(stext, &seq);
    gv_reading_t r;

    memset(&r, 0, sizeof r);
    /* A value of this row that cannot be used holds its account apart,
     * not the chunk (a reading typed in by hand, a kind the site added). */
    if (dbad || digits < 0 || digits > INT_MAX || sbad) {
        unusable(a, "%s: [query.readings] gave a reading with digits '%.20s' and seq "
                    "'%.20s', not integers", where, dtext, stext);
        return 0;
    }
    snprintf(r.meter, sizeof r.meter, "%s", meter);
    snprintf(date, sizeof date, "%.10s", read_on);     /* a driver may add a time of day */
    if (gv_date_parse(date, &r.day) < 0 || gv_decimal_parse(value, 3, &r.value_milli) < 0) {
        unusable(a, "%s: [query.readings] gave a reading dated '%.20s' of '%.30s', not a "
                    "date and a decimal", where, date, value);
        return 0;
    }
    if (!kind)
        r.kind = GV_READ_ACTUAL;
    else if (gv_read_kind_parse(kind, &r.kind) < 0) {
        unusable(a, "%s: [query.readings] gave a reading of the kind '%.23s' (known: "
                    "ACTUAL, INSTALL, REMOVAL, ESTIMATED)", where, kind);
        return 0;
    }
    r.digits = (int)digits;
    r.seq = seq;
    return add_reading(rd, (size_t)(a - acc), &r);
}

static int read_readings_slowly(sql_ctx_t *c, const gv_site_period_t *p, gv_site_account_t *acc,
                                size_t nall, const gv_site_account_t *part, size_t n,
                                gv_site_readings_t *rd, gv_db_error_t *e)
{
    int cols[GV_RCOL_COUNT], row;
    gv_db_stmt_t *st = chunk_stmt(c, GV_STMT_READINGS, p, part, NULL, n, cols, e);

    if (!st)
        return -1;
    while ((row = gv_db_fetch(st, e)) == 1) {
        char account[64], meter[sizeof(((gv_reading_t *)0)->meter)], dtext[32], date[32],
            value[48], kind[24], stext[32] = "";
        gv_site_account_t *a;

        if (gv_db_col_text(st, cols[GV_RCOL_ACCOUNT], account, sizeof account, e) < 0) {
            row = -1;
            break;
        }
        if (!(a = find_account(acc, nall, account)))
            continue;
        if (gv_db_col_text(st, cols[GV_RCOL_METER], meter, sizeof meter, e) < 0 ||
            gv_db_col_text(st, cols[GV_RCOL_DIGITS], dtext, sizeof dtext, e) < 0 ||
            gv_db_col_text(st, cols[GV_RCOL_READ_ON], date, sizeof date, e) < 0 ||
            gv_db_col_text(st, cols[GV_RCOL_VALUE], value, sizeof value, e) < 0 ||
            (cols[GV_RCOL_KIND] &&
             gv_db_col_text(st, cols[GV_RCOL_KIND], kind, sizeof kind, e) < 0) ||
            (cols[GV_RCOL_SEQ] && gv_db_col_text(st, cols[GV_RCOL_SEQ], stext, sizeof stext, e) < 0)) {
            if (!value_error(e)) {
                row = -1;
                break;
            }
            unusable(a, "%s: [query.readings] gave a value that cannot be read: %.120s",
                     c->map->path, e->msg);
            continue;
        }
        if (take_reading(c, acc, a, rd, meter, dtext, date, value,
                         cols[GV_RCOL_KIND] ? kind : NULL, stext) < 0) {
            permanent(e, "out of memory", c->map->path);
            row = -1;
            break;
        }
    }
    gv_db_stmt_free(st);
    return row < 0 ? -1 : 0;
}

static int read_readings_part(sql_ctx_t *c, const gv_site_period_t *p, gv_site_account_t *acc,
                              size_t nall, const gv_site_account_t *part, size_t n,
                              gv_site_readings_t *rd, gv_db_error_t *e)
{
    static const size_t bytes[GV_RCOL_COUNT] = { 64, sizeof(((gv_reading_t *)0)->meter), 32, 32,
                                                 48, 24, 32 };
    int cols[GV_RCOL_COUNT];
    gv_db_stmt_t *st = chunk_stmt(c, GV_STMT_READINGS, p, part, NULL, n, cols, e);
    size_t before = rd->n;
    gv_db_rows_t *rows;
    long got;

    if (!st)
        return -1;
    if (!(rows = bind_rows(st, cols, bytes, GV_RCOL_COUNT, e))) {
        gv_db_stmt_free(st);
        return -1;
    }
    while ((got = gv_db_rows_fetch(rows, e)) > 0) {
        for (size_t i = 0; i < (size_t)got; i++) {
            gv_site_account_t *a =
                find_account(acc, nall, gv_db_rows_text(rows, i, GV_RCOL_ACCOUNT, NULL));
            if (a && take_reading(c, acc, a, rd, gv_db_rows_text(rows, i, GV_RCOL_METER, NULL),
                                  gv_db_rows_text(rows, i, GV_RCOL_DIGITS, NULL),
                                  gv_db_rows_text(rows, i, GV_RCOL_READ_ON, NULL),
                                  gv_db_rows_text(rows, i, GV_RCOL_VALUE, NULL),
                                  cols[GV_RCOL_KIND] ? gv_db_rows_text(rows, i, GV_RCOL_KIND, NULL)
                                                     : NULL,
                                  gv_db_rows_text(rows, i, GV_RCOL_SEQ, NULL)) < 0) {
                permanent(e, "out of memory", c->map->path);
                got = -1;     /* no SQLSTATE: not read again */
                break;
            }
        }
        if (got < 0)
            break;
    }
    gv_db_rows_free(rows);
    gv_db_stmt_free(st);
    if (got < 0 && value_error(e)) {
        rd->n = before;         /* what the block read of this part is read again */
        return read_readings_slowly(c, p, acc, nall, part, n, rd, e);
    }
    return got < 0 ? -1 : 0;
}

static int read_readings(sql_ctx_t *c, const gv_site_period_t *p, gv_site_account_t *acc,
                         size_t n, gv_site_readings_t *rd, gv_db_error_t *e)
{
    size_t per = accounts_per_stmt(&c->map->stmts[GV_STMT_READINGS]);

    rd->n = 0;
    for (size_t done = 0; done < n; done += per)
        if (read_readings_part(c, p, acc, n, acc + done, n - done < per ? n - done : per, rd,
                               e) < 0)
            return -1;
    if (group_readings(acc, n, rd) < 0) {
        permanent(e, "out of memory", c->map->path);
        return -1;
    }
    return 0;
}

/* The statements billing needs are in the mapping. */
static int billing_ready(const sql_ctx_t *c, gv_db_error_t *e)
{
    static const gv_stmt_kind_t needed[] = { GV_STMT_BILLING_ACCOUNTS, GV_STMT_READINGS };

    for (size_t i = 0; i < sizeof needed / sizeof needed[0]; i++)
        if (!c->map->stmts[needed[i]].sql) {
            e->action = GV_DB_PERMANENT;
            e->sqlstate[0] = '\0';
            snprintf(e->msg, sizeof e->msg, "%s: [%s] is needed for billing (%s)", c->map->path,
                     gv_stmt_specs[needed[i]].section, gv_stmt_specs[needed[i]].purpose);
            return -1;
        }
    if (c->map->nwrites == 0) {
        permanent(e, "no [write.*] section says how a bill is written", c->map->path);
        return -1;
    }
    return 0;
}

int gv_sql_read_for_billing(void *ctx, const gv_site_period_t *p, gv_site_account_t *acc,
                            size_t n, gv_site_readings_t *rd, gv_db_error_t *e)
{
    sql_ctx_t *c = ctx;

    if (billing_ready(c, e) < 0)
        return -1;

    rd->n = 0;
    for (size_t i = 0; i < n; i++) {
        acc[i].found = 0;
        acc[i].rfirst = acc[i].rcount = 0;
        acc[i].unusable[0] = '\0';
    }
    if (n == 0)
        return 0;
    return read_accounts(c, p, acc, n, e) < 0 || read_readings(c, p, acc, n, rd, e) < 0 ? -1
                                                                                        : 0;
}

/* ---- writes -------------------------------------------------------------- */

void gv_sql_forget_writes(sql_ctx_t *c)
{
    for (size_t w = 0; w < GV_MAX_WRITES; w++)
        gv_db_kept_drop(c->write_st[w]);
}

static int bind_decimal(gv_db_stmt_t *st, int pos, int64_t v, int scale, gv_db_error_t *e)
{
    char text[40];

    gv_decimal_format(v, scale, text, sizeof text);
    return gv_db_bind_decimal(st, pos, text, scale, e);
}

/* Binds one named value of a bill write (gv_bill_params). */
static int bind_bill_param(sql_ctx_t *c, gv_db_stmt_t *st, int pos, const gv_site_period_t *p,
                           const char *name, const gv_site_bill_t *b, gv_db_error_t *e)
{
    const gv_charge_t *ch = &b->calc->charge;
    int64_t discount = b->calc->discount.discount;
    int rc = gv_sql_bind_named(st, pos, name, c->map, b->account, p, e);

    if (rc != 0)
        return rc < 0 ? -1 : 0;
    if (!strcmp(name, "voucher_id"))
        return gv_db_bind_text(st, pos, b->voucher_id, e);
    if (!strcmp(name, "volume_m3"))
        return bind_decimal(st, pos, ch->volume_milli, 3, e);
    if (!strcmp(name, "price_tiyn"))
        return gv_db_bind_int64(st, pos, ch->price, e);
    if (!strcmp(name, "price_tenge"))
        return bind_decimal(st, pos, ch->price, 2, e);
    if (!strcmp(name, "net_tiyn"))
        return gv_db_bind_int64(st, pos, ch->net, e);
    if (!strcmp(name, "vat_tiyn"))
        return gv_db_bind_int64(st, pos, ch->vat, e);
    if (!strcmp(name, "charge_tiyn"))
        return gv_db_bind_int64(st, pos, ch->charge, e);
    if (!strcmp(name, "charge_tenge"))
        return bind_decimal(st, pos, ch->charge, 2, e);
    if (!strcmp(name, "discount_tiyn"))
        return gv_db_bind_int64(st, pos, discount, e);
    if (!strcmp(name, "discount_tenge"))
        return bind_decimal(st, pos, discount, 2, e);
    if (!strcmp(name, "minus_discount_tiyn"))
        return gv_db_bind_int64(st, pos, -discount, e);
    if (!strcmp(name, "due_tiyn"))
        return gv_db_bind_int64(st, pos, b->calc->due, e);
    if (!strcmp(name, "due_tenge"))
        return bind_decimal(st, pos, b->calc->due, 2, e);
    if (!strcmp(name, "created_at"))
        return gv_db_bind_timestamp(st, pos, p->created_at, e);
    permanent(e, "this bill parameter has no value", name);
    return -1;
}

static int write_part(sql_ctx_t *c, const gv_site_period_t *p, const gv_site_bill_t *bills,
                      size_t n, size_t most, gv_db_error_t *e)
{
    const gv_mapping_t *map = c->map;

    for (size_t w = 0; w < map->nwrites; w++) {
        const gv_write_t *wr = &map->writes[w];
        gv_db_stmt_t *st;
        gv_db_kept_t *slot;
        int pos = 1;

        if (!(st = gv_db_kept_for(c->write_st[w], n, most, &slot))) {
            if (gv_write_expand(wr, n, &c->sql) < 0) {
                permanent(e, gv_buf_why("statement too long for the chunk"), wr->name);
                return -1;
            }
            if (!(st = slot->st = gv_db_prepare(c->db, c->sql.data, e)))
                return -1;
        }
        for (size_t k = 0; k < n; k++)
            for (size_t i = 0; i < wr->values.nparams; i++)
                if (bind_bill_param(c, st, pos++, p, wr->values.params[i], &bills[k], e) < 0) {
                    gv_sql_forget_writes(c);
                    return -1;
                }
        if (gv_db_execute(st, e) < 0) {
            gv_sql_forget_writes(c);
            return -1;
        }
    }
    return 0;
}

static int cmp_bill(const void *key, const void *elem)
{
    return strcmp(key, ((const gv_site_bill_t *)elem)->account);
}

static int read_bill_refs(sql_ctx_t *c, const gv_site_period_t *p, gv_site_bill_t *bills,
                          size_t n, gv_db_error_t *e)
{
    static const size_t bytes[GV_FCOL_COUNT] = { 64, 80 };
    size_t per;

    if (!c->map->stmts[GV_STMT_BILL_REF].sql) {
        /* No reference query: the bill is known by account and period. */
        for (size_t k = 0; k < n; k++)
            snprintf(bills[k].bill_ref, sizeof bills[k].bill_ref, "%s/%s", p->text,
                     bills[k].account);
        return 0;
    }
    per = accounts_per_stmt(&c->map->stmts[GV_STMT_BILL_REF]);
    for (size_t done = 0; done < n; done += per) {
        int cols[GV_FCOL_COUNT];
        size_t part = n - done < per ? n - done : per;
        gv_db_stmt_t *st = chunk_stmt(c, GV_STMT_BILL_REF, p, NULL, bills + done, part, cols, e);
        gv_db_rows_t *rows;
        long got;
        if (!st)
            return -1;
        if (!(rows = bind_rows(st, cols, bytes, GV_FCOL_COUNT, e))) {
            gv_db_stmt_free(st);
            return -1;
        }
        while ((got = gv_db_rows_fetch(rows, e)) > 0)
            for (size_t i = 0; i < (size_t)got; i++) {
                gv_site_bill_t *b = bsearch(gv_db_rows_text(rows, i, GV_FCOL_ACCOUNT, NULL), bills,
                                            n, sizeof *bills, cmp_bill);
                if (b)
                    snprintf(b->bill_ref, sizeof b->bill_ref, "%.64s",
                             gv_db_rows_text(rows, i, GV_FCOL_BILL_REF, NULL));
            }
        gv_db_rows_free(rows);
        gv_db_stmt_free(st);
        if (got < 0)
            return -1;
    }
    return 0;
}

int gv_sql_write_bills(void *ctx, const gv_site_period_t *p, gv_site_bill_t *bills, size_t n,
                       gv_db_error_t *e)
{
    sql_ctx_t *c = ctx;
    size_t most = (size_t)-1;

    for (size_t k = 0; k < n; k++)
        bills[k].bill_ref[0] = '\0';
    for (size_t w = 0; w < c->map->nwrites; w++) {
        size_t params = c->map->writes[w].values.nparams;
        size_t rows = params ? MAX_STMT_PARAMS / params : 1000;
        if (rows == 0)
            rows = 1;
        if (rows < most)
            most = rows;
    }
    for (size_t done = 0; done < n; done += most)
        if (write_part(c, p, bills + done, n - done < most ? n - done : most, most, e) < 0)
            return -1;
    return n ? read_bill_refs(c, p, bills, n, e) : 0;
}

void gv_sql_describe_writes(void *ctx, FILE *out)
{
    const sql_ctx_t *c = ctx;

    for (size_t w = 0; w < c->map->nwrites; w++)
        fprintf(out, "-- [write.%s], one row per voucher:\n%s VALUES\n  %s, ...;\n",
                c->map->writes[w].name, c->map->writes[w].insert,
                c->map->writes[w].values.source);
}
