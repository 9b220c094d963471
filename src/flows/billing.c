/* billing.c - a billing run for one period (see billing.h). */
#include "config.h"
#include "billing.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "billcalc.h"
#include "buf.h"
#include "fsutil.h"
#include "money.h"
#include "result.h"
#include "sqlrun.h"
#include "store.h"

/* One voucher of a chunk, from gv_occurrence to its outcome. */
typedef enum { OUT_BILL, OUT_PENDING, OUT_CONFLICT } outcome_t;

typedef struct item {
    char account[49];
    char voucher_id[33];
    int64_t nominal;                /* -1 = none */
    int found;                      /* the site still has the account */
    int done;                       /* billed by an earlier run */
    char region[8];
    int metered, residents;
    size_t rfirst, rcount;          /* its readings in the chunk's array */
    gv_bill_calc_t calc;
    outcome_t outcome;
    char reason[32], detail[256];
    char bill_ref[65];
    char old_report[40];            /* report that carried an unchanged Pending */
} item_t;

typedef struct chunk {
    item_t *items;
    size_t n, cap;
    gv_reading_t *reads;
    size_t *read_owner;
    size_t nreads, capreads;
    size_t prior;                   /* earlier non-BILLED gv_bill rows in the chunk's range */
    size_t *all, capall;            /* 0..n-1: every item */
} chunk_t;

static void chunk_free(chunk_t *c)
{
    free(c->items);
    free(c->reads);
    free(c->read_owner);
    free(c->all);
}

typedef struct kept {
    gv_db_stmt_t *st;
    size_t rows;
} kept_t;

typedef struct run {
    const gv_billing_env_t *env;
    const gv_billing_opts_t *opts;
    gv_billing_summary_t *sum;
    char period[8];                 /* YYYY-MM */
    char yyyymm[7];
    char start[11], end[11];
    char created_at[20];            /* local YYYY-MM-DD HH:MM:SS */
    gv_buf_t sql;
    int printed_sql;
    char last_account[64];          /* of the last chunk, in the engine's order */
    size_t fetched;                 /* rows the last chunk query returned */
    /* Prepared INSERTs kept from chunk to chunk (most chunks have the
     * same number of rows, and preparing costs a round trip and a plan):
     * per statement, one of a full part and one of a chunk's remainder. */
    kept_t write_st[GV_MAX_WRITES][2];
    kept_t own_st[2];
    char report_id[37];             /* the id this run's report will have */
    int report_unsure;              /* the report step's COMMIT went unanswered */
} run_t;

/* ---- small helpers ---------------------------------------------------- */

static void drop_kept(kept_t pair[2])
{
    for (int i = 0; i < 2; i++) {
        gv_db_stmt_free(pair[i].st);
        pair[i].st = NULL;
    }
}

static void drop_cached(run_t *r)
{
    for (size_t w = 0; w < GV_MAX_WRITES; w++)
        drop_kept(r->write_st[w]);
    drop_kept(r->own_st);
}

/* The kept statement for a part of `rows` rows (parts are `full` rows but
 * for a chunk's last); NULL when it has to be prepared, into *slot. */
static gv_db_stmt_t *kept_for(kept_t pair[2], size_t rows, size_t full, kept_t **slot)
{
    kept_t *k = &pair[rows == full ? 0 : 1];

    if (k->st && k->rows == rows)
        return k->st;
    gv_db_stmt_free(k->st);
    k->st = NULL;
    k->rows = rows;
    *slot = k;
    return NULL;
}

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

static void rtrim(char *s)
{
    size_t n = strlen(s);
    while (n && s[n - 1] == ' ')
        s[--n] = '\0';
}

static int cmp_item(const void *a, const void *b)
{
    return strcmp(((const item_t *)a)->account, ((const item_t *)b)->account);
}

static item_t *find_item(chunk_t *c, const char *account)
{
    item_t key;
    snprintf(key.account, sizeof key.account, "%s", account);
    return bsearch(&key, c->items, c->n, sizeof *c->items, cmp_item);
}

static int bind_account(gv_db_stmt_t *st, int pos, const gv_mapping_t *map, const char *account,
                        gv_db_error_t *e)
{
    if (map->account_bind == GV_BIND_INTEGER)
        return gv_db_bind_int64(st, pos, strtoll(account, NULL, 10), e);
    return gv_db_bind_text(st, pos, account, e);
}

/* Binds the period-level parameters every chunk statement may use;
 * 1 when name was one of them, 0 when not, -1 on error. */
static int bind_period_param(run_t *r, gv_db_stmt_t *st, int pos, const char *name,
                             gv_db_error_t *e)
{
    if (!strcmp(name, "period"))
        return gv_db_bind_text(st, pos, r->period, e) < 0 ? -1 : 1;
    if (!strcmp(name, "period_yyyymm"))
        return gv_db_bind_text(st, pos, r->yyyymm, e) < 0 ? -1 : 1;
    if (!strcmp(name, "period_start"))
        return gv_db_bind_date(st, pos, r->start, e) < 0 ? -1 : 1;
    if (!strcmp(name, "period_end"))
        return gv_db_bind_date(st, pos, r->end, e) < 0 ? -1 : 1;
    return 0;
}

/* Prepares a chunk statement of the mapping for the accounts idx[0..n). */
static gv_db_stmt_t *chunk_stmt(run_t *r, gv_stmt_kind_t kind, chunk_t *c, const size_t *idx,
                                size_t n, int *cols, gv_db_error_t *e)
{
    const gv_mapping_t *map = r->env->map;
    const gv_stmt_t *s = &map->stmts[kind];
    char where[160];
    gv_db_stmt_t *st;
    int pos = 1;

    if (gv_stmt_expand(s, n, &r->sql) < 0) {
        e->action = GV_DB_PERMANENT;
        snprintf(e->msg, sizeof e->msg, "[%s]: statement too long for %zu accounts",
                 gv_stmt_specs[kind].section, n);
        return NULL;
    }
    if (!(st = gv_db_prepare(r->env->db, r->sql.data, e)))
        return NULL;
    for (size_t i = 0; i < s->nparams; i++) {
        int rc;
        if (gv_param_is_list(s->params[i])) {
            for (size_t k = 0; k < n; k++)
                if (bind_account(st, pos++, map, c->items[idx[k]].account, e) < 0)
                    goto fail;
            continue;
        }
        if ((rc = bind_period_param(r, st, pos++, s->params[i], e)) < 0)
            goto fail;
    }
    snprintf(where, sizeof where, "%s:%d: [%s]", map->path, s->line,
             gv_stmt_specs[kind].section);
    if (gv_db_execute(st, e) < 0 || gv_stmt_columns(st, &gv_stmt_specs[kind], cols, where,
                                                    NULL, e) < 0)
        goto fail;
    return st;
fail:
    gv_db_stmt_free(st);
    return NULL;
}

static int get_text(gv_db_stmt_t *st, int col, char *buf, size_t sz, gv_db_error_t *e)
{
    int is_null;

    if (gv_db_get_text(st, col, buf, sz, &is_null, e) < 0)
        return -1;
    if (is_null)
        buf[0] = '\0';
    rtrim(buf);
    return 0;
}

static int get_int(gv_db_stmt_t *st, int col, int64_t *v, gv_db_error_t *e)
{
    int is_null;

    if (gv_db_get_int64(st, col, v, &is_null, e) < 0)
        return -1;
    if (is_null)
        *v = 0;
    return 0;
}

static void permanent(gv_db_error_t *e, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void permanent(gv_db_error_t *e, const char *fmt, ...)
{
    va_list ap;

    e->action = GV_DB_PERMANENT;
    e->sqlstate[0] = '\0';
    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    va_end(ap);
}

/* ---- reading what a chunk needs from the site ------------------------ */

static int read_accounts(run_t *r, chunk_t *c, const size_t *idx, size_t n, gv_db_error_t *e)
{
    int cols[GV_BCOL_COUNT], row;
    gv_db_stmt_t *st = chunk_stmt(r, GV_STMT_BILLING_ACCOUNTS, c, idx, n, cols, e);

    if (!st)
        return -1;
    while ((row = gv_db_fetch(st, e)) == 1) {
        char account[64], region[16];
        int64_t metered, residents;
        item_t *it;
        if (get_text(st, cols[GV_BCOL_ACCOUNT], account, sizeof account, e) < 0 ||
            get_text(st, cols[GV_BCOL_REGION], region, sizeof region, e) < 0 ||
            get_int(st, cols[GV_BCOL_METERED], &metered, e) < 0 ||
            get_int(st, cols[GV_BCOL_RESIDENTS], &residents, e) < 0) {
            row = -1;
            break;
        }
        if (!(it = find_item(c, account)))
            continue;      /* not asked for: the mapping's WHERE is wider */
        it->found = 1;
        snprintf(it->region, sizeof it->region, "%.7s", region);
        it->metered = metered != 0;
        it->residents = (int)residents;
    }
    gv_db_stmt_free(st);
    return row < 0 ? -1 : 0;
}

static int add_reading(chunk_t *c, size_t owner, const gv_reading_t *rd)
{
    if (c->nreads == c->capreads) {
        size_t cap = c->capreads ? c->capreads * 2 : 1024;
        gv_reading_t *nr = realloc(c->reads, cap * sizeof *nr);
        size_t *no;
        if (!nr)
            return -1;
        c->reads = nr;
        if (!(no = realloc(c->read_owner, cap * sizeof *no)))
            return -1;
        c->read_owner = no;
        c->capreads = cap;
    }
    c->reads[c->nreads] = *rd;
    c->read_owner[c->nreads++] = owner;
    return 0;
}

/* Orders the chunk's readings by owner so each item's are one slice. */
static void group_readings(chunk_t *c)
{
    size_t *count = calloc(c->n + 1, sizeof *count);
    gv_reading_t *sorted = malloc((c->nreads ? c->nreads : 1) * sizeof *sorted);

    if (!count || !sorted)
        abort();
    for (size_t i = 0; i < c->nreads; i++)
        count[c->read_owner[i] + 1]++;
    for (size_t i = 0; i < c->n; i++) {
        count[i + 1] += count[i];
        c->items[i].rfirst = count[i];
        c->items[i].rcount = 0;
    }
    for (size_t i = 0; i < c->nreads; i++) {
        item_t *it = &c->items[c->read_owner[i]];
        sorted[it->rfirst + it->rcount++] = c->reads[i];
    }
    memcpy(c->reads, sorted, c->nreads * sizeof *sorted);
    free(sorted);
    free(count);
}

static int read_readings(run_t *r, chunk_t *c, const size_t *idx, size_t n, gv_db_error_t *e)
{
    int cols[GV_RCOL_COUNT], row;
    gv_db_stmt_t *st = chunk_stmt(r, GV_STMT_READINGS, c, idx, n, cols, e);
    const char *where = r->env->map->path;

    c->nreads = 0;
    if (!st)
        return -1;
    while ((row = gv_db_fetch(st, e)) == 1) {
        char account[64], date[32], value[48], kind[24];
        int64_t digits, seq = 0;
        gv_reading_t rd;
        item_t *it;

        memset(&rd, 0, sizeof rd);
        if (get_text(st, cols[GV_RCOL_ACCOUNT], account, sizeof account, e) < 0 ||
            get_text(st, cols[GV_RCOL_METER], rd.meter, sizeof rd.meter, e) < 0 ||
            get_int(st, cols[GV_RCOL_DIGITS], &digits, e) < 0 ||
            get_text(st, cols[GV_RCOL_READ_ON], date, sizeof date, e) < 0 ||
            get_text(st, cols[GV_RCOL_VALUE], value, sizeof value, e) < 0 ||
            (cols[GV_RCOL_KIND] &&
             get_text(st, cols[GV_RCOL_KIND], kind, sizeof kind, e) < 0) ||
            (cols[GV_RCOL_SEQ] && get_int(st, cols[GV_RCOL_SEQ], &seq, e) < 0)) {
            row = -1;
            break;
        }
        if (!(it = find_item(c, account)))
            continue;
        date[10] = '\0';   /* a driver may add a time of day */
        if (gv_date_parse(date, &rd.day) < 0 ||
            gv_decimal_parse(value, 3, &rd.value_milli) < 0) {
            permanent(e, "[query.readings] of %s: a reading that is not a date and a decimal "
                         "(%s)", where, value);
            row = -1;
            break;
        }
        if (!cols[GV_RCOL_KIND])
            rd.kind = GV_READ_ACTUAL;
        else if (gv_read_kind_parse(kind, &rd.kind) < 0) {
            permanent(e, "[query.readings] of %s: unknown reading kind '%s'", where, kind);
            row = -1;
            break;
        }
        rd.digits = (int)digits;
        rd.seq = seq;
        if (add_reading(c, (size_t)(it - c->items), &rd) < 0) {
            permanent(e, "out of memory");
            row = -1;
            break;
        }
    }
    gv_db_stmt_free(st);
    if (row < 0)
        return -1;
    group_readings(c);
    return 0;
}

/* ---- computing -------------------------------------------------------- */

static int compute(run_t *r, chunk_t *c, gv_err_t *err)
{
    for (size_t i = 0; i < c->n; i++) {
        item_t *it = &c->items[i];
        gv_bill_in_t in;

        it->reason[0] = it->detail[0] = '\0';
        if (!it->found) {
            it->outcome = OUT_CONFLICT;
            snprintf(it->reason, sizeof it->reason, "ACCOUNT_GONE");
            snprintf(it->detail, sizeof it->detail,
                     "the billing database no longer has account %s", it->account);
            continue;
        }
        memset(&in, 0, sizeof in);
        in.period = r->opts->period;
        in.region = it->region;
        in.metered = it->metered;
        in.residents = it->residents;
        in.readings = c->reads + it->rfirst;
        in.nreadings = it->rcount;
        in.nominal_tiyn = it->nominal;
        if (gv_bill_compute(r->env->params, &in, &it->calc, err) < 0) {
            char msg[sizeof err->msg];
            snprintf(msg, sizeof msg, "%s", err->msg);
            gv_err_set(err, "voucher %s (account %s): %s", it->voucher_id, it->account, msg);
            return -1;
        }
        if (it->calc.pending != GV_PENDING_NONE) {
            it->outcome = OUT_PENDING;
            snprintf(it->reason, sizeof it->reason, "%s", gv_pending_name(it->calc.pending));
            snprintf(it->detail, sizeof it->detail, "%s", it->calc.why);
        } else {
            it->outcome = OUT_BILL;
        }
    }
    return 0;
}

/* ---- writing ------------------------------------------------------------ */

static int bind_decimal(gv_db_stmt_t *st, int pos, int64_t v, int scale, gv_db_error_t *e)
{
    char text[40];
    gv_decimal_format(v, scale, text, sizeof text);
    return gv_db_bind_decimal(st, pos, text, scale, e);
}

/* Binds one named value of a bill write for item it. */
static int bind_bill_param(run_t *r, gv_db_stmt_t *st, int pos, const char *name,
                           const item_t *it, gv_db_error_t *e)
{
    const gv_charge_t *ch = &it->calc.charge;
    int rc = bind_period_param(r, st, pos, name, e);

    if (rc != 0)
        return rc < 0 ? -1 : 0;
    if (!strcmp(name, "account"))
        return bind_account(st, pos, r->env->map, it->account, e);
    if (!strcmp(name, "voucher_id"))
        return gv_db_bind_text(st, pos, it->voucher_id, e);
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
        return gv_db_bind_int64(st, pos, it->calc.discount.discount, e);
    if (!strcmp(name, "discount_tenge"))
        return bind_decimal(st, pos, it->calc.discount.discount, 2, e);
    if (!strcmp(name, "minus_discount_tiyn"))
        return gv_db_bind_int64(st, pos, -it->calc.discount.discount, e);
    if (!strcmp(name, "due_tiyn"))
        return gv_db_bind_int64(st, pos, it->calc.due, e);
    if (!strcmp(name, "due_tenge"))
        return bind_decimal(st, pos, it->calc.due, 2, e);
    if (!strcmp(name, "created_at"))
        return gv_db_bind_timestamp(st, pos, r->created_at, e);
    permanent(e, "bill parameter :%s has no value", name);
    return -1;
}

/* Parameters one statement may carry: libpq refuses a parameter
 * description over 30000 bytes (about 7500 parameters) and psqlODBC
 * prepares on the server, so a chunk's rows are split into statements of
 * at most this many parameters, all in the chunk's one transaction. */
#define MAX_STMT_PARAMS 7000

static size_t rows_per_stmt(size_t params_per_row)
{
    size_t rows = params_per_row ? MAX_STMT_PARAMS / params_per_row : 1000;
    return rows ? rows : 1;
}

static int write_bills_part(run_t *r, chunk_t *c, const size_t *idx, size_t n, size_t most,
                            gv_db_error_t *e);

/* One multi-row INSERT per [write.*] section for the items idx[0..n),
 * split where a statement would carry too many parameters. */
static int write_bills(run_t *r, chunk_t *c, const size_t *idx, size_t n, gv_db_error_t *e)
{
    size_t most = (size_t)-1;

    for (size_t w = 0; w < r->env->map->nwrites; w++) {
        size_t k = rows_per_stmt(r->env->map->writes[w].values.nparams);
        if (k < most)
            most = k;
    }
    for (size_t done = 0; done < n; done += most)
        if (write_bills_part(r, c, idx + done, n - done < most ? n - done : most, most, e) < 0)
            return -1;
    return 0;
}

static int write_bills_part(run_t *r, chunk_t *c, const size_t *idx, size_t n, size_t most,
                            gv_db_error_t *e)
{
    const gv_mapping_t *map = r->env->map;

    for (size_t w = 0; w < map->nwrites; w++) {
        const gv_write_t *wr = &map->writes[w];
        gv_db_stmt_t *st;
        int pos = 1;

        kept_t *slot;
        if (!(st = kept_for(r->write_st[w], n, most, &slot))) {
            if (gv_write_expand(wr, n, &r->sql) < 0) {
                permanent(e, "[write.%s]: statement too long", wr->name);
                return -1;
            }
            if (!(st = slot->st = gv_db_prepare(r->env->db, r->sql.data, e)))
                return -1;
        }
        for (size_t k = 0; k < n; k++)
            for (size_t p = 0; p < wr->values.nparams; p++)
                if (bind_bill_param(r, st, pos++, wr->values.params[p], &c->items[idx[k]],
                                    e) < 0) {
                    drop_cached(r);
                    return -1;
                }
        if (gv_db_execute(st, e) < 0) {
            drop_cached(r);
            return -1;
        }
    }
    return 0;
}

static int read_bill_refs(run_t *r, chunk_t *c, const size_t *idx, size_t n, gv_db_error_t *e)
{
    int cols[GV_FCOL_COUNT], row;
    gv_db_stmt_t *st;

    if (!r->env->map->stmts[GV_STMT_BILL_REF].sql) {
        /* No reference query: the bill is known by account and period. */
        for (size_t k = 0; k < n; k++)
            snprintf(c->items[idx[k]].bill_ref, sizeof c->items[idx[k]].bill_ref, "%s/%s",
                     r->period, c->items[idx[k]].account);
        return 0;
    }
    if (!(st = chunk_stmt(r, GV_STMT_BILL_REF, c, idx, n, cols, e)))
        return -1;
    while ((row = gv_db_fetch(st, e)) == 1) {
        char account[64], ref[80];
        item_t *it;
        if (get_text(st, cols[GV_FCOL_ACCOUNT], account, sizeof account, e) < 0 ||
            get_text(st, cols[GV_FCOL_BILL_REF], ref, sizeof ref, e) < 0) {
            row = -1;
            break;
        }
        if ((it = find_item(c, account)))
            snprintf(it->bill_ref, sizeof it->bill_ref, "%.64s", ref);
    }
    gv_db_stmt_free(st);
    return row < 0 ? -1 : 0;
}

#define OWN_COLUMNS                                                                         \
    "period, account, voucher_id, status, reason, detail, volume_milli, price_tiyn, vat_bp, " \
    "net_tiyn, vat_tiyn, charge_tiyn, discount_tiyn, due_tiyn, rule_name, bill_ref, run_id, " \
    "updated_at, report_id, region"
#define OWN_NCOLS 20

static int bind_text_or_null(gv_db_stmt_t *st, int pos, const char *s, gv_db_error_t *e)
{
    return s && *s ? gv_db_bind_text(st, pos, s, e) : gv_db_bind_null(st, pos, e);
}

static int write_own_part(run_t *r, chunk_t *c, const size_t *idx, size_t n,
                          gv_db_error_t *e);

/* gasvoucher's own record of the items idx[0..n): multi-row INSERTs. */
static int write_own(run_t *r, chunk_t *c, const size_t *idx, size_t n, gv_db_error_t *e)
{
    size_t most = rows_per_stmt(OWN_NCOLS);

    for (size_t done = 0; done < n; done += most)
        if (write_own_part(r, c, idx + done, n - done < most ? n - done : most, e) < 0)
            return -1;
    return 0;
}

static int write_own_part(run_t *r, chunk_t *c, const size_t *idx, size_t n,
                          gv_db_error_t *e)
{
    static const char *const status_name[] = { "BILLED", "PENDING", "CONFLICT" };
    gv_db_stmt_t *st;
    int pos = 1;

    kept_t *slot;

    if (!(st = kept_for(r->own_st, n, rows_per_stmt(OWN_NCOLS), &slot))) {
        gv_buf_reset(&r->sql);
        gv_buf_puts(&r->sql, "INSERT INTO gv_bill (" OWN_COLUMNS ") VALUES ");
        for (size_t k = 0; k < n; k++)
            gv_buf_puts(&r->sql, k ? ", (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
                                   : "(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
        if (!(st = slot->st = gv_db_prepare(r->env->db, r->sql.data, e)))
            return -1;
    }
    for (size_t k = 0; k < n; k++) {
        const item_t *it = &c->items[idx[k]];
        const gv_charge_t *ch = &it->calc.charge;
        int billed = it->outcome == OUT_BILL;
        if (gv_db_bind_text(st, pos++, r->period, e) < 0 ||
            gv_db_bind_text(st, pos++, it->account, e) < 0 ||
            gv_db_bind_text(st, pos++, it->voucher_id, e) < 0 ||
            gv_db_bind_text(st, pos++, status_name[it->outcome], e) < 0 ||
            bind_text_or_null(st, pos++, it->reason, e) < 0 ||
            bind_text_or_null(st, pos++, it->detail, e) < 0 ||
            gv_db_bind_int64(st, pos++, billed ? ch->volume_milli : 0, e) < 0 ||
            gv_db_bind_int64(st, pos++, billed ? ch->price : 0, e) < 0 ||
            gv_db_bind_int64(st, pos++, billed ? ch->vat_bp : 0, e) < 0 ||
            gv_db_bind_int64(st, pos++, billed ? ch->net : 0, e) < 0 ||
            gv_db_bind_int64(st, pos++, billed ? ch->vat : 0, e) < 0 ||
            gv_db_bind_int64(st, pos++, billed ? ch->charge : 0, e) < 0 ||
            gv_db_bind_int64(st, pos++, billed ? it->calc.discount.discount : 0, e) < 0 ||
            gv_db_bind_int64(st, pos++, billed ? it->calc.due : 0, e) < 0 ||
            bind_text_or_null(st, pos++, billed ? it->calc.rule : NULL, e) < 0 ||
            bind_text_or_null(st, pos++, billed ? it->bill_ref : NULL, e) < 0 ||
            gv_db_bind_text(st, pos++, r->sum->run_id, e) < 0 ||
            gv_db_bind_int64(st, pos++, (int64_t)r->opts->now, e) < 0 ||
            bind_text_or_null(st, pos++, it->outcome == OUT_CONFLICT ? NULL
                                         : it->old_report[0]   ? it->old_report
                                                               : r->report_id,
                              e) < 0 ||
            bind_text_or_null(st, pos++, it->found ? it->region : NULL, e) < 0) {
            drop_cached(r);
            return -1;
        }
    }
    if (gv_db_execute(st, e) < 0) {
        drop_cached(r);
        return -1;
    }
    return 0;
}

/* Earlier rows of these accounts (Pending, conflicts): an unchanged
 * Pending keeps the report that carried it; then they make way. */
static int replace_own(run_t *r, chunk_t *c, const size_t *idx, size_t n, gv_db_error_t *e)
{
    gv_db_stmt_t *st;
    int pos = 1, row;

    if (c->prior == 0)
        return 0;   /* no earlier Pending or conflict rows in this chunk's range */
    for (int pass = 0; pass < 2; pass++) {
        gv_buf_reset(&r->sql);
        gv_buf_puts(&r->sql, pass == 0 ? "SELECT account, status, reason, report_id FROM gv_bill"
                                       : "DELETE FROM gv_bill");
        gv_buf_puts(&r->sql, " WHERE period = ? AND status <> 'BILLED' AND account IN (");
        for (size_t k = 0; k < n; k++)
            gv_buf_puts(&r->sql, k ? ", ?" : "?");
        gv_buf_puts(&r->sql, ")");
        if (!(st = gv_db_prepare(r->env->db, r->sql.data, e)))
            return -1;
        pos = 1;
        if (gv_db_bind_text(st, pos++, r->period, e) < 0)
            goto fail;
        for (size_t k = 0; k < n; k++)
            if (gv_db_bind_text(st, pos++, c->items[idx[k]].account, e) < 0)
                goto fail;
        if (gv_db_execute(st, e) < 0)
            goto fail;
        while (pass == 0 && (row = gv_db_fetch(st, e)) == 1) {
            char account[64], status[16], reason[40], report[48];
            item_t *it;
            if (get_text(st, 1, account, sizeof account, e) < 0 ||
                get_text(st, 2, status, sizeof status, e) < 0 ||
                get_text(st, 3, reason, sizeof reason, e) < 0 ||
                get_text(st, 4, report, sizeof report, e) < 0)
                goto fail;
            if ((it = find_item(c, account)) && it->outcome == OUT_PENDING &&
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

/* One transaction: the bills of idx[0..n) and gasvoucher's record. */
static int commit_items(run_t *r, chunk_t *c, const size_t *idx, size_t n, gv_db_error_t *e)
{
    gv_db_t *db = r->env->db;
    size_t *billable = malloc((n ? n : 1) * sizeof *billable);
    size_t nb = 0;

    if (!billable)
        abort();
    for (size_t k = 0; k < n; k++) {
        c->items[idx[k]].old_report[0] = '\0';
        c->items[idx[k]].bill_ref[0] = '\0';
        if (c->items[idx[k]].outcome == OUT_BILL)
            billable[nb++] = idx[k];
    }
    if (gv_db_begin(db, e) < 0)
        goto fail;
    if (replace_own(r, c, idx, n, e) < 0 ||
        (nb && (write_bills(r, c, billable, nb, e) < 0 ||
                read_bill_refs(r, c, billable, nb, e) < 0)) ||
        write_own(r, c, idx, n, e) < 0 || gv_db_commit(db, e) < 0) {
        gv_db_error_t ignore;
        gv_db_rollback(db, &ignore);
        goto fail;
    }
    free(billable);
    return 0;
fail:
    free(billable);
    return -1;
}

static void count_outcomes(run_t *r, chunk_t *c, const size_t *idx, size_t n)
{
    for (size_t k = 0; k < n; k++) {
        const item_t *it = &c->items[idx[k]];
        switch (it->outcome) {
        case OUT_BILL:
            r->sum->billed++;
            r->sum->charge += it->calc.charge.charge;
            r->sum->discount += it->calc.discount.discount;
            r->sum->due += it->calc.due;
            break;
        case OUT_PENDING:
            r->sum->pending++;
            break;
        case OUT_CONFLICT:
            r->sum->conflicts++;
            gv_errlist_add(&r->sum->conflict_msgs, "voucher %s, account %s: %s: %s",
                           it->voucher_id, it->account, it->reason, it->detail);
            break;
        }
    }
}

static void sleep_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

/* Waits for the database to come back, within reconnect_for. */
static int reconnect(run_t *r, gv_db_error_t *e)
{
    int64_t give_up = gv_monotonic_ms() + r->opts->reconnect_for_s * 1000;

    r->sum->reconnects++;
    drop_cached(r);
    gv_db_disconnect(r->env->db, gv_monotonic_ms());
    for (;;) {
        int64_t now = gv_monotonic_ms();
        int64_t wait = gv_db_backoff_left_ms(r->env->db, now);
        if (wait > 0) {
            if (now + wait > give_up)
                return -1;
            sleep_ms((long)wait);
        }
        if (gv_db_ensure(r->env->db, gv_monotonic_ms(), e) == 0)
            return 0;
        if (gv_monotonic_ms() >= give_up)
            return -1;
    }
}

/* After a failed step: whether to try it again, having waited (a
 * deadlock or serialisation failure, [billing] retries times) or
 * reconnected (for up to [billing] reconnect_for). */
static int again(run_t *r, gv_db_error_t *e, long *tries)
{
    switch (e->action) {
    case GV_DB_RETRY:
        if ((*tries)++ >= r->opts->retries)
            return 0;
        r->sum->tx_retries++;
        sleep_ms(50L << (*tries < 6 ? *tries : 6));
        return 1;
    case GV_DB_RECONNECT:
        return reconnect(r, e) == 0;
    default:
        return 0;
    }
}

/* Whether the transaction for idx[0..n) committed although the
 * connection went before its COMMIT was answered.  Every item gets a
 * gv_bill row in that transaction, so one row of this run decides. */
static int committed_before_loss(run_t *r, chunk_t *c, const size_t *idx, gv_db_error_t *e)
{
    gv_db_stmt_t *st = gv_db_prepare(
        r->env->db, "SELECT COUNT(*) FROM gv_bill WHERE period = ? AND account = ? AND run_id = ?",
        e);
    int64_t v = 0;
    int row = -1;

    if (st && gv_db_bind_text(st, 1, r->period, e) == 0 &&
        gv_db_bind_text(st, 2, c->items[idx[0]].account, e) == 0 &&
        gv_db_bind_text(st, 3, r->sum->run_id, e) == 0 && gv_db_execute(st, e) == 0 &&
        (row = gv_db_fetch(st, e)) == 1 && get_int(st, 1, &v, e) < 0)
        row = -1;
    gv_db_stmt_free(st);
    return row < 0 ? -1 : v > 0;
}

/* Commits items idx[0..n) with retries.  A unique key the site's own
 * bill holds refuses the whole statement, so the chunk is split down to
 * the voucher that collides, which is recorded as a conflict. */
static int commit_with_retries(run_t *r, chunk_t *c, const size_t *idx, size_t n,
                               gv_db_error_t *e)
{
    long tries = 0;

    for (;;) {
        int lost;
        if (commit_items(r, c, idx, n, e) == 0) {
            count_outcomes(r, c, idx, n);
            return 0;
        }
        if (e->action == GV_DB_DUPLICATE) {
            item_t *it = &c->items[idx[0]];
            if (n > 1) {
                for (size_t k = 0; k < n; k++)
                    if (commit_with_retries(r, c, idx + k, 1, e) < 0)
                        return -1;
                return 0;
            }
            if (it->outcome == OUT_CONFLICT)
                return -1;      /* our own row collides: a bug, stop */
            it->outcome = OUT_CONFLICT;
            snprintf(it->reason, sizeof it->reason, "SITE_DUPLICATE");
            snprintf(it->detail, sizeof it->detail,
                     "the billing database already holds a bill for this account and "
                     "period that gasvoucher did not write: %.150s", e->msg);
            continue;
        }
        lost = e->action == GV_DB_RECONNECT;
        if (!again(r, e, &tries))
            return -1;
        /* The COMMIT may have been carried out just before the loss. */
        while (lost && (lost = committed_before_loss(r, c, idx, e)) < 0)
            if (!again(r, e, &tries))
                return -1;
        if (lost) {
            count_outcomes(r, c, idx, n);
            return 0;
        }
    }
}

/* ---- dry run ------------------------------------------------------------ */

static void print_dry(run_t *r, chunk_t *c)
{
    FILE *f = r->opts->dry_out ? r->opts->dry_out : stdout;
    const gv_mapping_t *map = r->env->map;

    if (!r->printed_sql) {
        fprintf(f, "-- SQL of each chunk of up to %ld vouchers, in one transaction:\n",
                r->opts->chunk);
        for (size_t w = 0; w < map->nwrites; w++)
            fprintf(f, "-- [write.%s], one row per voucher:\n%s VALUES\n  %s, ...;\n",
                    map->writes[w].name, map->writes[w].insert, map->writes[w].values.source);
        fprintf(f, "-- gasvoucher's own record:\nINSERT INTO gv_bill (" OWN_COLUMNS
                   ") VALUES (...), ...;\n");
        r->printed_sql = 1;
    }
    for (size_t i = 0; i < c->n; i++) {
        const item_t *it = &c->items[i];
        char vol[32], charge[32], disc[32], due[32];
        if (it->outcome != OUT_BILL) {
            fprintf(f, "%s %s %s: %s %s\n", it->outcome == OUT_PENDING ? "PENDING" : "CONFLICT",
                    it->voucher_id, it->account, it->reason, it->detail);
            continue;
        }
        gv_decimal_format(it->calc.charge.volume_milli, 3, vol, sizeof vol);
        gv_decimal_format(it->calc.charge.charge, 2, charge, sizeof charge);
        gv_decimal_format(it->calc.discount.discount, 2, disc, sizeof disc);
        gv_decimal_format(it->calc.due, 2, due, sizeof due);
        fprintf(f,
                "BILL %s %s: %s m3 x %lld tiyn/1000 m3, net %lld + VAT %lld = charge %lld "
                "(%s), %s discount %lld (%s), due %lld (%s)\n",
                it->voucher_id, it->account, vol, (long long)it->calc.charge.price,
                (long long)it->calc.charge.net, (long long)it->calc.charge.vat,
                (long long)it->calc.charge.charge, charge, it->calc.rule,
                (long long)it->calc.discount.discount, disc, (long long)it->calc.due, due);
    }
}

/* ---- the work ------------------------------------------------------------ */

static const char work_where[] =
    " FROM gv_occurrence o WHERE o.period = ? AND o.status = 'ACCEPTED' AND o.standing = 1"
    " AND NOT EXISTS (SELECT 1 FROM gv_bill b WHERE b.period = o.period"
    " AND b.account = o.account_norm AND (b.status = 'BILLED'%s))";

static int count_work(run_t *r, int past_deadline, long *todo, long *skipped, gv_db_error_t *e)
{
    for (int pass = 0; pass < 2; pass++) {
        gv_db_stmt_t *st;
        int64_t v = 0;
        int row;
        gv_buf_reset(&r->sql);
        gv_buf_puts(&r->sql, "SELECT COUNT(*)");
        gv_buf_printf(&r->sql, work_where,
                      pass == 0 ? (past_deadline ? " OR b.status = 'PENDING'" : "")
                                : "");
        if (!(st = gv_db_prepare(r->env->db, r->sql.data, e)))
            return -1;
        if (gv_db_bind_text(st, 1, r->period, e) < 0 || gv_db_execute(st, e) < 0 ||
            (row = gv_db_fetch(st, e)) < 0 || (row == 1 && get_int(st, 1, &v, e) < 0)) {
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
 * the others' rows are counted so that replace_own runs only when needed. */
static int drop_done(run_t *r, int past_deadline, const char *after, chunk_t *c,
                     gv_db_error_t *e)
{
    gv_db_stmt_t *st;
    size_t kept = 0;
    int row;

    c->prior = 0;
    st = gv_db_prepare(r->env->db,
                       "SELECT account, status FROM gv_bill WHERE period = ?"
                       " AND account > ? AND account <= ?",
                       e);
    if (!st)
        return -1;
    if (gv_db_bind_text(st, 1, r->period, e) < 0 || gv_db_bind_text(st, 2, after, e) < 0 ||
        gv_db_bind_text(st, 3, r->last_account, e) < 0 || gv_db_execute(st, e) < 0) {
        gv_db_stmt_free(st);
        return -1;
    }
    while ((row = gv_db_fetch(st, e)) == 1) {
        char account[64], status[16];
        item_t *it;
        if (get_text(st, 1, account, sizeof account, e) < 0 ||
            get_text(st, 2, status, sizeof status, e) < 0) {
            row = -1;
            break;
        }
        if (!(it = find_item(c, account)))
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
        if (!c->items[k].done)
            c->items[kept++] = c->items[k];
    c->n = kept;
    return 0;
}

/* The next chunk after account `after`, in the engine's order. */
static int next_chunk(run_t *r, int past_deadline, const char *after, chunk_t *c,
                      gv_db_error_t *e)
{
    gv_db_stmt_t *st;
    int row;

    gv_buf_reset(&r->sql);
    gv_buf_puts(&r->sql, "SELECT o.account_norm, o.voucher_id, o.nominal_tiyn"
                " FROM gv_occurrence o WHERE o.period = ? AND o.status = 'ACCEPTED'"
                " AND o.standing = 1");
    gv_buf_printf(&r->sql, " AND o.account_norm > ? ORDER BY o.account_norm LIMIT %ld",
                  r->opts->chunk);
    c->n = 0;
    if (!(st = gv_db_prepare(r->env->db, r->sql.data, e)))
        return -1;
    if (gv_db_bind_text(st, 1, r->period, e) < 0 || gv_db_bind_text(st, 2, after, e) < 0 ||
        gv_db_execute(st, e) < 0) {
        gv_db_stmt_free(st);
        return -1;
    }
    while ((row = gv_db_fetch(st, e)) == 1) {
        item_t *it;
        int is_null;
        if (c->n == c->cap) {
            size_t cap = c->cap ? c->cap * 2 : 64;
            item_t *ni = realloc(c->items, cap * sizeof *ni);
            if (!ni)
                abort();
            c->items = ni;
            c->cap = cap;
        }
        it = &c->items[c->n];
        memset(it, 0, sizeof *it);
        if (get_text(st, 1, it->account, sizeof it->account, e) < 0 ||
            get_text(st, 2, it->voucher_id, sizeof it->voucher_id, e) < 0 ||
            gv_db_get_int64(st, 3, &it->nominal, &is_null, e) < 0) {
            row = -1;
            break;
        }
        if (is_null)
            it->nominal = -1;
        snprintf(r->last_account, sizeof r->last_account, "%s", it->account);
        c->n++;
    }
    gv_db_stmt_free(st);
    r->fetched = c->n;
    if (row < 0)
        return -1;
    qsort(c->items, c->n, sizeof *c->items, cmp_item);
    return c->n ? drop_done(r, past_deadline, after, c, e) : 0;
}

/* Every part of the period's list must be in and processed (R5). */
static int check_complete(run_t *r, gv_db_error_t *e)
{
    gv_db_stmt_t *st;
    long parts = 0, nbatches = 0;
    unsigned char have[1024] = { 0 };
    int row;
    gv_buf_t miss;

    r->sum->missing_parts[0] = '\0';
    st = gv_db_prepare(r->env->db,
                       "SELECT part, parts, state FROM gv_batch WHERE period = ? ORDER BY part",
                       e);
    if (!st)
        return -1;
    if (gv_db_bind_text(st, 1, r->period, e) < 0 || gv_db_execute(st, e) < 0) {
        gv_db_stmt_free(st);
        return -1;
    }
    while ((row = gv_db_fetch(st, e)) == 1) {
        int64_t part, n;
        char state[16];
        if (get_int(st, 1, &part, e) < 0 || get_int(st, 2, &n, e) < 0 ||
            get_text(st, 3, state, sizeof state, e) < 0) {
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
    gv_buf_init(&miss, sizeof r->sum->missing_parts - 1);
    if (nbatches == 0)
        gv_buf_puts(&miss, "no list for this period has arrived");
    for (long p = 1; p <= parts && p < (long)sizeof have; p++)
        if (have[p] != 2)
            gv_buf_printf(&miss, "%spart %ld of %ld %s", miss.len ? ", " : "", p, parts,
                          have[p] ? "received but not yet processed" : "not received");
    if (miss.len)
        snprintf(r->sum->missing_parts, sizeof r->sum->missing_parts, "%s", miss.data);
    gv_buf_free(&miss);
    return 0;
}

/* ---- the report ---------------------------------------------------------- */

static void xml_attr(FILE *f, const char *name, const char *v)
{
    fprintf(f, " %s=\"", name);
    for (; *v; v++) {
        switch (*v) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '"': fputs("&quot;", f); break;
        default: fputc(*v, f);
        }
    }
    fputc('"', f);
}

/* Rows no recorded report carries: those of this run (written with the
 * id its report will have), of a run killed before its report was
 * recorded, and Pending rows whose state changed.  Binds the period twice. */
static const char unreported[] =
    " FROM gv_bill WHERE period = ? AND status IN ('BILLED', 'PENDING') AND (report_id IS NULL"
    " OR report_id NOT IN (SELECT report_id FROM gv_run WHERE period = ?"
    " AND report_id IS NOT NULL))";

static gv_db_stmt_t *query_period(run_t *r, const char *head, const char *tail, gv_db_error_t *e)
{
    gv_db_stmt_t *st;

    gv_buf_reset(&r->sql);
    gv_buf_puts(&r->sql, head);
    gv_buf_puts(&r->sql, unreported);
    gv_buf_puts(&r->sql, tail);
    if (!(st = gv_db_prepare(r->env->db, r->sql.data, e)))
        return NULL;
    if (gv_db_bind_text(st, 1, r->period, e) < 0 || gv_db_bind_text(st, 2, r->period, e) < 0 ||
        gv_db_execute(st, e) < 0) {
        gv_db_stmt_free(st);
        return NULL;
    }
    return st;
}

/* Streams the unreported rows into path; counts and total come first. */
static int write_report(run_t *r, const char *path, char sha256[65], gv_err_t *err,
                        gv_db_error_t *e)
{
    gv_billing_summary_t *s = r->sum;
    char tmp[PATH_MAX + 256], when[32];
    gv_db_stmt_t *st;
    int64_t redeemed = 0, pending = 0, discount = 0;
    FILE *f;
    int row;

    if (!(st = query_period(r,
                            "SELECT SUM(CASE WHEN status = 'BILLED' THEN 1 ELSE 0 END),"
                            " SUM(CASE WHEN status = 'PENDING' THEN 1 ELSE 0 END),"
                            " SUM(discount_tiyn)",
                            "", e)))
        return -1;
    if ((row = gv_db_fetch(st, e)) < 0 ||
        (row == 1 && (get_int(st, 1, &redeemed, e) < 0 || get_int(st, 2, &pending, e) < 0 ||
                      get_int(st, 3, &discount, e) < 0))) {
        gv_db_stmt_free(st);
        return -1;
    }
    gv_db_stmt_free(st);
    s->report_redeemed = (long)redeemed;
    s->report_pending = (long)pending;
    s->report_discount = discount;
    if (redeemed + pending == 0)
        return 0;

    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    if (!(f = fopen(tmp, "w"))) {
        gv_err_set(err, "%s: %s", tmp, strerror(errno));
        return -1;
    }
    gv_time_format_local(r->opts->now, when);
    fprintf(f,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<RedemptionReport xmlns=\"urn:socialwallet:gas-voucher:v1\" reportId=\"%s\" "
            "providerBin=\"%s\" period=\"%s\" createdAt=\"%s\" redeemed=\"%lld\" "
            "pending=\"%lld\" totalDiscountTiyn=\"%lld\">\n",
            s->report_id, r->env->provider_bin, r->period, when, (long long)redeemed,
            (long long)pending, (long long)discount);
    if (!(st = query_period(r,
                            "SELECT status, voucher_id, account, reason, volume_milli,"
                            " price_tiyn, charge_tiyn, discount_tiyn, due_tiyn, bill_ref",
                            " ORDER BY status, account", e))) {
        fclose(f);
        unlink(tmp);
        return -1;
    }
    while ((row = gv_db_fetch(st, e)) == 1) {
        char status[16], voucher[40], account[64], reason[40], ref[80], vol[32];
        int64_t v[5];
        if (get_text(st, 1, status, sizeof status, e) < 0 ||
            get_text(st, 2, voucher, sizeof voucher, e) < 0 ||
            get_text(st, 3, account, sizeof account, e) < 0 ||
            get_text(st, 4, reason, sizeof reason, e) < 0 ||
            get_text(st, 10, ref, sizeof ref, e) < 0) {
            row = -1;
            break;
        }
        for (int k = 0; k < 5; k++)
            if (get_int(st, 5 + k, &v[k], e) < 0)
                row = -1;
        if (row < 0)
            break;
        if (!strcmp(status, "BILLED")) {
            gv_decimal_format(v[0], 3, vol, sizeof vol);
            fputs("  <Redeemed", f);
            xml_attr(f, "voucherId", voucher);
            xml_attr(f, "account", account);
            fprintf(f,
                    " volumeM3=\"%s\" priceTiynPer1000M3=\"%lld\" chargeTiyn=\"%lld\" "
                    "discountTiyn=\"%lld\" amountDueTiyn=\"%lld\"",
                    vol, (long long)v[1], (long long)v[2], (long long)v[3], (long long)v[4]);
            xml_attr(f, "billRef", ref);
            fputs("/>\n", f);
        } else {
            fputs("  <Pending", f);
            xml_attr(f, "voucherId", voucher);
            xml_attr(f, "account", account);
            xml_attr(f, "reason", reason);
            fputs("/>\n", f);
        }
    }
    gv_db_stmt_free(st);
    fputs("</RedemptionReport>\n", f);
    if (row < 0 || fflush(f) != 0 || fsync(fileno(f)) < 0 || ferror(f)) {
        if (row >= 0)
            gv_err_set(err, "%s: %s", tmp, strerror(errno));
        fclose(f);
        unlink(tmp);
        return -1;
    }
    fclose(f);
    if (gv_sha256_file(tmp, sha256, err) < 0 || gv_move_durably(tmp, path, err) < 0)
        return -1;
    return 1;
}

static int record_run(run_t *r, time_t started, gv_db_error_t *e)
{
    gv_billing_summary_t *s = r->sum;
    gv_db_stmt_t *st = gv_db_prepare(
        r->env->db,
        "INSERT INTO gv_run (run_id, period, started_at, finished_at, billed, pending,"
        " conflicts, charge_tiyn, discount_tiyn, due_tiyn, report_id)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        e);
    int rc = -1;

    if (st && gv_db_bind_text(st, 1, s->run_id, e) == 0 &&
        gv_db_bind_text(st, 2, r->period, e) == 0 &&
        gv_db_bind_int64(st, 3, (int64_t)started, e) == 0 &&
        gv_db_bind_int64(st, 4, (int64_t)r->opts->now, e) == 0 &&
        gv_db_bind_int64(st, 5, s->billed, e) == 0 && gv_db_bind_int64(st, 6, s->pending, e) == 0 &&
        gv_db_bind_int64(st, 7, s->conflicts, e) == 0 &&
        gv_db_bind_int64(st, 8, s->charge, e) == 0 && gv_db_bind_int64(st, 9, s->discount, e) == 0 &&
        gv_db_bind_int64(st, 10, s->due, e) == 0 &&
        bind_text_or_null(st, 11, s->report_id, e) == 0 && gv_db_execute(st, e) == 0)
        rc = 0;
    gv_db_stmt_free(st);
    return rc;
}

/* Whether this run's gv_run row is in (1; report_id set to what it
 * records, "" for none), 0 when not, -1 on error. */
static int run_recorded(run_t *r, char *report_id, size_t sz, gv_db_error_t *e)
{
    gv_db_stmt_t *st = gv_db_prepare(r->env->db, "SELECT report_id FROM gv_run WHERE run_id = ?", e);
    int row = -1;

    if (st && gv_db_bind_text(st, 1, r->sum->run_id, e) == 0 && gv_db_execute(st, e) == 0 &&
        (row = gv_db_fetch(st, e)) == 1 && get_text(st, 1, report_id, sz, e) < 0)
        row = -1;
    gv_db_stmt_free(st);
    return row;
}

/* The report of everything not yet reported, its outbox row, the
 * leftover rows marked as carried and the run's record: one transaction.
 * The run's own rows already name its report, so only rows of a run killed
 * before reporting (or unreported Pending) are updated here.  On failure
 * e->action says whether trying again may help. */
static int report_and_record(run_t *r, gv_db_error_t *e, gv_err_t *err)
{
    gv_billing_summary_t *s = r->sum;
    gv_db_t *db = r->env->db;
    gv_outbox_row_t o;
    gv_db_error_t ignore;
    gv_db_stmt_t *st;
    char path[PATH_MAX + 128], sig[PATH_MAX + 136];
    int wrote = 0;

    permanent(e, "%s", "");
    err->msg[0] = '\0';
    snprintf(s->report_id, sizeof s->report_id, "%s", r->report_id);
    memset(&o, 0, sizeof o);
    snprintf(o.msg_id, sizeof o.msg_id, "RR-%s", s->report_id);
    if (r->report_unsure) {
        /* The last try's COMMIT may have been carried out before the
         * connection went: the run's gv_run row, written in it, tells. */
        int found = run_recorded(r, s->report_id, sizeof s->report_id, e);
        if (found < 0)
            goto dbfail;
        if (found)
            return 0;
        r->report_unsure = 0;
        snprintf(s->report_id, sizeof s->report_id, "%s", r->report_id);
    }
    snprintf(o.kind, sizeof o.kind, "RedemptionReport");
    snprintf(o.ref, sizeof o.ref, "%s", s->report_id);
    snprintf(o.period, sizeof o.period, "%s", r->period);
    snprintf(o.endpoint, sizeof o.endpoint, "/v1/redemption-reports");
    snprintf(o.body_name, sizeof o.body_name, "%s.xml", o.msg_id);
    o.created_at = r->opts->now;
    snprintf(o.state, sizeof o.state, "PENDING");
    o.next_attempt_at = r->opts->now;
    snprintf(path, sizeof path, "%s/outbox/%s", r->env->spool, o.body_name);
    snprintf(sig, sizeof sig, "%s.p7s", path);

    if (gv_db_begin(db, e) < 0)
        goto dbfail;
    if ((wrote = write_report(r, path, o.sha256, err, e)) < 0) {
        gv_db_rollback(db, &ignore);
        if (err->msg[0])
            goto fail;
        goto dbfail;
    }
    if (wrote == 0) {
        s->report_id[0] = '\0';
    } else if (gv_result_sign(r->env->signer, path, r->opts->now, err) < 0) {
        gv_db_rollback(db, &ignore);
        goto fail;
    } else {
        st = gv_db_prepare(db,
                           "UPDATE gv_bill SET report_id = ? WHERE period = ?"
                           " AND status IN ('BILLED', 'PENDING') AND (report_id IS NULL"
                           " OR (report_id <> ? AND report_id NOT IN (SELECT report_id FROM gv_run"
                           " WHERE period = ? AND report_id IS NOT NULL)))",
                           e);
        if (!st || gv_db_bind_text(st, 1, s->report_id, e) < 0 ||
            gv_db_bind_text(st, 2, r->period, e) < 0 ||
            gv_db_bind_text(st, 3, s->report_id, e) < 0 ||
            gv_db_bind_text(st, 4, r->period, e) < 0 || gv_db_execute(st, e) < 0 ||
            gv_store_outbox_insert(db, &o, e) < 0) {
            gv_db_stmt_free(st);
            gv_db_rollback(db, &ignore);
            goto dbfail;
        }
        gv_db_stmt_free(st);
    }
    if (record_run(r, r->opts->now, e) < 0) {
        gv_db_rollback(db, &ignore);
        goto dbfail;
    }
    if (gv_db_commit(db, e) < 0) {
        gv_db_rollback(db, &ignore);
        if (e->action == GV_DB_RECONNECT) {
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

static int take_lock(const char *spool, int *fd, gv_err_t *err)
{
    char path[PATH_MAX];

    snprintf(path, sizeof path, "%s/billing.lock", spool);
    if ((*fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0640)) < 0) {
        gv_err_set(err, "%s: %s", path, strerror(errno));
        return -1;
    }
    if (flock(*fd, LOCK_EX | LOCK_NB) < 0) {
        gv_err_set(err, "another billing run holds %s; try again when it has finished", path);
        close(*fd);
        *fd = -1;
        return -1;
    }
    return 0;
}

/* ---- reading ahead --------------------------------------------------------
 * A chunk is read and computed on a second connection, by a second thread,
 * while the one before it is written: the chunks' account ranges are
 * disjoint, so what the reader sees of gv_bill cannot depend on the write
 * in flight.  Two chunk buffers go back and forth between the threads. */

typedef enum { READ_CHUNK, READ_EMPTY, READ_END, READ_FAILED } read_result_t;

/* The next chunk after `after` (advanced), read and computed. */
static read_result_t read_chunk(run_t *r, int past_deadline, char after[64], chunk_t *c,
                                gv_err_t *err)
{
    gv_db_error_t e;

    for (long tries = 0;;) {
        e.msg[0] = '\0';
        if (next_chunk(r, past_deadline, after, c, &e) == 0) {
            if (c->n > c->capall) {
                free(c->all);
                if (!(c->all = malloc(c->n * sizeof *c->all)))
                    abort();
                c->capall = c->n;
            }
            for (size_t i = 0; i < c->n; i++)
                c->all[i] = i;
            if (c->n == 0 || (read_accounts(r, c, c->all, c->n, &e) == 0 &&
                              read_readings(r, c, c->all, c->n, &e) == 0))
                break;
        }
        if (!again(r, &e, &tries)) {
            gv_err_set(err, "reading the vouchers to bill: %s", e.msg);
            return READ_FAILED;
        }
    }
    if (r->fetched == 0)
        return READ_END;
    /* The keyset resumes after the chunk's last account in the engine's
     * own order (its collation may not be strcmp's). */
    snprintf(after, 64, "%s", r->last_account);
    if (c->n == 0)
        return READ_EMPTY;
    return compute(r, c, err) < 0 ? READ_FAILED : READ_CHUNK;
}

typedef struct reader {
    run_t r;                        /* the run, on the reader's connection */
    gv_billing_env_t env;
    gv_billing_summary_t sum;       /* the reader's retries and reconnects */
    int past_deadline;
    char after[64];
    pthread_t thread;
    int started;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    chunk_t buf[2];
    int full[2];                    /* buf[k] is the writer's until it empties it */
    read_result_t result[2];
    int stop;                       /* the writer has given up */
    gv_err_t err;
} reader_t;

static void *reader_main(void *arg)
{
    reader_t *rd = arg;

    for (int k = 0;; k ^= 1) {
        read_result_t res;
        int stop;
        pthread_mutex_lock(&rd->mu);
        while (rd->full[k] && !rd->stop)
            pthread_cond_wait(&rd->cv, &rd->mu);
        stop = rd->stop;
        pthread_mutex_unlock(&rd->mu);
        if (stop)
            break;
        do
            res = read_chunk(&rd->r, rd->past_deadline, rd->after, &rd->buf[k], &rd->err);
        while (res == READ_EMPTY);
        pthread_mutex_lock(&rd->mu);
        rd->result[k] = res;
        rd->full[k] = 1;
        pthread_cond_broadcast(&rd->cv);
        pthread_mutex_unlock(&rd->mu);
        if (res != READ_CHUNK)
            break;
    }
    return NULL;
}

static int reader_start(reader_t *rd, const run_t *r, int past_deadline, gv_err_t *err)
{
    gv_db_error_t e;

    memset(rd, 0, sizeof *rd);
    rd->env = *r->env;
    if (!(rd->env.db = gv_db_new_like(r->env->db)))
        abort();
    rd->r = *r;
    rd->r.env = &rd->env;
    rd->r.sum = &rd->sum;
    memset(rd->r.write_st, 0, sizeof rd->r.write_st);
    memset(rd->r.own_st, 0, sizeof rd->r.own_st);
    gv_buf_init(&rd->r.sql, 64u << 20);
    rd->past_deadline = past_deadline;
    pthread_mutex_init(&rd->mu, NULL);
    pthread_cond_init(&rd->cv, NULL);
    if (gv_db_ensure(rd->env.db, gv_monotonic_ms(), &e) < 0 && reconnect(&rd->r, &e) < 0) {
        gv_err_set(err, "cannot open the reading connection: %s", e.msg);
        return -1;
    }
    if (pthread_create(&rd->thread, NULL, reader_main, rd) != 0) {
        gv_err_set(err, "cannot start the reading thread: %s", strerror(errno));
        return -1;
    }
    rd->started = 1;
    return 0;
}

/* Waits for buf[k]; the result says what is in it. */
static read_result_t reader_take(reader_t *rd, int k)
{
    read_result_t res;

    pthread_mutex_lock(&rd->mu);
    while (!rd->full[k])
        pthread_cond_wait(&rd->cv, &rd->mu);
    res = rd->result[k];
    pthread_mutex_unlock(&rd->mu);
    return res;
}

static void reader_give_back(reader_t *rd, int k)
{
    pthread_mutex_lock(&rd->mu);
    rd->full[k] = 0;
    pthread_cond_broadcast(&rd->cv);
    pthread_mutex_unlock(&rd->mu);
}

/* Stops the reader (after its statement in flight) and adds its counts. */
static void reader_end(reader_t *rd, run_t *r)
{
    if (rd->started) {
        pthread_mutex_lock(&rd->mu);
        rd->stop = 1;
        pthread_cond_broadcast(&rd->cv);
        pthread_mutex_unlock(&rd->mu);
        pthread_join(rd->thread, NULL);
    }
    pthread_mutex_destroy(&rd->mu);
    pthread_cond_destroy(&rd->cv);
    r->sum->reconnects += rd->sum.reconnects;
    r->sum->tx_retries += rd->sum.tx_retries;
    for (int k = 0; k < 2; k++)
        chunk_free(&rd->buf[k]);
    gv_buf_free(&rd->r.sql);
    gv_db_free(rd->env.db);
}

static gv_billing_result_t bill_chunks(run_t *r, int past_deadline, gv_err_t *err)
{
    reader_t rd;
    gv_db_error_t e;
    long done = 0;
    gv_billing_result_t res = GV_BILLING_FAILED;

    if (reader_start(&rd, r, past_deadline, err) < 0)
        goto out;
    for (int k = 0;; k ^= 1) {
        chunk_t *c = &rd.buf[k];
        read_result_t got = reader_take(&rd, k);
        if (got == READ_END)
            break;
        if (got == READ_FAILED) {
            *err = rd.err;
            goto out;
        }
        if (r->opts->dry_run) {
            print_dry(r, c);
            count_outcomes(r, c, c->all, c->n);
        } else if (commit_with_retries(r, c, c->all, c->n, &e) < 0) {
            gv_err_set(err, "writing bills (%s): %s", gv_db_action_name(e.action), e.msg);
            goto out;
        }
        done += (long)c->n;
        reader_give_back(&rd, k);
        if (r->opts->progress)
            r->opts->progress(r->opts->progress_ud, done, r->sum->todo);
    }
    res = r->sum->conflicts ? GV_BILLING_CONFLICTS : GV_BILLING_DONE;
out:
    reader_end(&rd, r);
    return res;
}

gv_billing_result_t gv_billing_run(const gv_billing_env_t *env, const gv_billing_opts_t *opts,
                                   gv_billing_summary_t *sum, gv_err_t *err)
{
    run_t r;
    gv_db_error_t e;
    gv_billing_result_t res = GV_BILLING_FAILED;
    char when[32];
    int lock = -1, past_deadline;
    long skipped = 0;
    int32_t today;

    memset(sum, 0, sizeof *sum);
    memset(&r, 0, sizeof r);
    err->msg[0] = '\0';
    r.env = env;
    r.opts = opts;
    r.sum = sum;
    snprintf(r.period, sizeof r.period, "%04d-%02d", opts->period.year, opts->period.month);
    snprintf(r.yyyymm, sizeof r.yyyymm, "%04d%02d", opts->period.year, opts->period.month);
    gv_date_format(gv_period_first_day(opts->period), r.start);
    gv_date_format(gv_period_last_day(opts->period), r.end);
    gv_time_format_local(opts->now, when);
    snprintf(r.created_at, sizeof r.created_at, "%.10s %.8s", when, when + 11);
    new_uuid(sum->run_id);
    new_uuid(r.report_id);
    gv_buf_init(&r.sql, 64u << 20);

    static const gv_stmt_kind_t needed[] = { GV_STMT_BILLING_ACCOUNTS, GV_STMT_READINGS };
    for (size_t i = 0; i < sizeof needed / sizeof needed[0]; i++)
        if (!env->map->stmts[needed[i]].sql) {
            gv_err_set(err, "%s: [%s] is needed for billing (%s)", env->map->path,
                       gv_stmt_specs[needed[i]].section, gv_stmt_specs[needed[i]].purpose);
            goto out;
        }
    if (env->map->nwrites == 0) {
        gv_err_set(err, "%s: no [write.*] section says how a bill is written", env->map->path);
        goto out;
    }
    if (!opts->dry_run && take_lock(env->spool, &lock, err) < 0)
        goto out;
    if (gv_db_ensure(env->db, gv_monotonic_ms(), &e) < 0 && reconnect(&r, &e) < 0) {
        gv_err_set(err, "cannot connect to the database: %s", e.msg);
        goto out;
    }
    for (long tries = 0; check_complete(&r, &e) < 0;)
        if (!again(&r, &e, &tries)) {
            gv_err_set(err, "reading the period's batches: %s", e.msg);
            goto out;
        }
    if (sum->missing_parts[0] && !opts->allow_partial) {
        gv_err_set(err, "the list for %s is incomplete: %s (--allow-partial bills what is "
                        "there)", r.period, sum->missing_parts);
        res = GV_BILLING_INCOMPLETE;
        goto out;
    }
    /* Pending vouchers are retried until the deadline (R20). */
    today = gv_time_local_day(opts->now);
    past_deadline = today > gv_period_last_day(opts->period) +
                                gv_params_pending_deadline_days(env->params);
    for (long tries = 0; count_work(&r, past_deadline, &sum->todo, &skipped, &e) < 0;)
        if (!again(&r, &e, &tries)) {
            gv_err_set(err, "counting the vouchers to bill: %s", e.msg);
            goto out;
        }
    sum->deadline_passed = past_deadline ? skipped : 0;
    res = bill_chunks(&r, past_deadline, err);
    if (res == GV_BILLING_FAILED || opts->dry_run)
        goto out;
    drop_cached(&r);
    for (long tries = 0; report_and_record(&r, &e, err) < 0;)
        if (!again(&r, &e, &tries)) {
            res = GV_BILLING_FAILED;
            break;
        }
out:
    drop_cached(&r);
    if (lock >= 0)
        close(lock);
    gv_buf_free(&r.sql);
    return res;
}

void gv_billing_summary_free(gv_billing_summary_t *sum)
{
    gv_errlist_free(&sum->conflict_msgs);
}
