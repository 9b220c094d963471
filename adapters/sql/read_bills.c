/* read_bills.c - a period's bills read back through [query.bills] (see sql.h).
 *
 * One statement for the whole period, streamed a row at a time: nothing
 * of the period is held.  Amounts come as the site keeps them, tiyn
 * (charge_tiyn) or tenge as exact decimals (charge_tenge), one of the two
 * per amount; a value gasvoucher cannot read is an error naming the column
 * and the account, never a guess.
 */
#include "config.h"
#include "sql.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "money.h"
#include "sqlrun.h"

static int bind_period(gv_db_stmt_t *st, int idx, const char *name, gv_period_t p,
                       gv_db_error_t *e)
{
    char text[16], day[11];

    if (!strcmp(name, "period")) {
        snprintf(text, sizeof text, "%04d-%02d", p.year, p.month);
        return gv_db_bind_text(st, idx, text, e);
    }
    if (!strcmp(name, "period_yyyymm")) {
        snprintf(text, sizeof text, "%04d%02d", p.year, p.month);
        return gv_db_bind_text(st, idx, text, e);
    }
    gv_date_format(!strcmp(name, "period_start") ? gv_period_first_day(p)
                                                 : gv_period_last_day(p), day);
    return gv_db_bind_date(st, idx, day, e);
}

static int fail(gv_db_error_t *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(gv_db_error_t *e, const char *fmt, ...)
{
    va_list ap;

    e->action = GV_DB_PERMANENT;
    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    va_end(ap);
    return -1;
}

/* Text of column col (0 = absent), trimmed; "" for NULL. */
static int text_at(gv_db_stmt_t *st, int col, char *buf, size_t n, gv_db_error_t *e)
{
    int is_null;
    size_t len;

    buf[0] = '\0';
    if (!col)
        return 0;
    if (gv_db_get_text(st, col, buf, n, &is_null, e) < 0)
        return -1;
    if (is_null)
        buf[0] = '\0';
    len = strlen(buf);
    while (len && (buf[len - 1] == ' ' || buf[len - 1] == '\t'))
        buf[--len] = '\0';
    return 0;
}

/* An amount from its tiyn or its tenge column; NULL is 0 (a bill line
 * the site does not have). */
static int amount_at(gv_db_stmt_t *st, const int *cols, int tiyn_col, int tenge_col,
                     const char *account, int64_t *out, gv_db_error_t *e)
{
    const gv_col_spec_t *spec = gv_stmt_specs[GV_STMT_BILLS].columns;
    int tenge = cols[tiyn_col] == 0;
    int role = tenge ? tenge_col : tiyn_col;
    char text[64];

    if (text_at(st, cols[role], text, sizeof text, e) < 0)
        return -1;
    *out = 0;
    if (!text[0])
        return 0;
    if (gv_decimal_parse(text, tenge ? 2 : 0, out) < 0)
        return fail(e, "[query.bills] column '%s' holds a value gasvoucher cannot read for "
                       "account %s", spec[role].name, account);
    return 0;
}

int gv_sql_read_bills(gv_db_t *db, const gv_mapping_t *map, gv_period_t period,
                      gv_site_bill_fn fn, void *ud, gv_db_error_t *e)
{
    const gv_stmt_t *s = &map->stmts[GV_STMT_BILLS];
    const gv_stmt_spec_t *spec = &gv_stmt_specs[GV_STMT_BILLS];
    static const int pairs[3][2] = { { GV_LCOL_CHARGE_TIYN, GV_LCOL_CHARGE_TENGE },
                                     { GV_LCOL_DISCOUNT_TIYN, GV_LCOL_DISCOUNT_TENGE },
                                     { GV_LCOL_DUE_TIYN, GV_LCOL_DUE_TENGE } };
    int cols[GV_LCOL_COUNT], row = 0;
    char where[300];
    gv_db_stmt_t *st;

    if (!s->sql)
        return fail(e, "%s: no [query.bills]: the mapping does not say how to read the "
                       "period's bills back", map->path);
    snprintf(where, sizeof where, "%s:%d: [query.bills]", map->path, s->line);
    if (!(st = gv_db_prepare(db, s->sql, e)))
        return -1;
    for (size_t i = 0; i < s->nparams; i++)
        if (bind_period(st, (int)i + 1, s->params[i], period, e) < 0)
            goto done;
    if (gv_db_execute(st, e) < 0 || gv_stmt_columns(st, spec, cols, where, NULL, e) < 0) {
        row = -1;
        goto done;
    }
    for (int k = 0; k < 3; k++)
        if (!cols[pairs[k][0]] == !cols[pairs[k][1]]) {
            fail(e, "%s: return exactly one of the columns %s and %s", where,
                 spec->columns[pairs[k][0]].name, spec->columns[pairs[k][1]].name);
            row = -1;
            goto done;
        }
    while ((row = gv_db_fetch(st, e)) == 1) {
        char account[128], voucher[128], ref[128], volume[64];
        gv_site_held_bill_t b;
        if (text_at(st, cols[GV_LCOL_ACCOUNT], account, sizeof account, e) < 0 ||
            text_at(st, cols[GV_LCOL_VOUCHER], voucher, sizeof voucher, e) < 0 ||
            text_at(st, cols[GV_LCOL_BILL_REF], ref, sizeof ref, e) < 0 ||
            text_at(st, cols[GV_LCOL_VOLUME], volume, sizeof volume, e) < 0) {
            row = -1;
            break;
        }
        memset(&b, 0, sizeof b);
        b.account = account;
        b.voucher_id = voucher;
        b.bill_ref = ref;
        if (volume[0] && gv_decimal_parse(volume, 3, &b.volume_milli) < 0) {
            row = fail(e, "[query.bills] column 'volume_m3' holds a value gasvoucher cannot "
                          "read for account %s", account);
            break;
        }
        if (amount_at(st, cols, GV_LCOL_CHARGE_TIYN, GV_LCOL_CHARGE_TENGE, account, &b.charge,
                      e) < 0 ||
            amount_at(st, cols, GV_LCOL_DISCOUNT_TIYN, GV_LCOL_DISCOUNT_TENGE, account,
                      &b.discount, e) < 0 ||
            amount_at(st, cols, GV_LCOL_DUE_TIYN, GV_LCOL_DUE_TENGE, account, &b.due, e) < 0) {
            row = -1;
            break;
        }
        if (fn(ud, &b) < 0) {
            e->action = GV_DB_OK;
            e->msg[0] = '\0';
            row = -1;
            break;
        }
    }
done:
    gv_db_stmt_free(st);
    return row < 0 ? -1 : 0;
}
