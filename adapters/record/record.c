/* record.c - the recording adapter: reads through another adapter, writes
 * nothing, and prints each bill it is given (compare FreeRADIUS
 * rlm_sql_null).  `gasvoucher bill --dry-run` goes through it, so a site
 * can try a new mapping on its live database safely.
 */
#include "config.h"
#include "recording.h"

#include <stdlib.h>
#include <string.h>

#include "money.h"

typedef struct record_ctx {
    const gv_adapter_t *inner;
    void *inner_ctx;
    int owns_inner;
    FILE *out;
    int described;
} record_ctx_t;

void *gv_record_over(const gv_adapter_t *inner, void *inner_ctx, FILE *out)
{
    record_ctx_t *c = calloc(1, sizeof *c);

    if (!c)
        return NULL;
    c->inner = inner;
    c->inner_ctx = inner_ctx;
    c->out = out ? out : stdout;
    return c;
}

/* A recording context that owns its inner one (closed with it). */
static void *own_inner(const gv_adapter_t *inner, void *ictx, gv_err_t *err)
{
    record_ctx_t *c;

    if (!ictx)
        return NULL;
    if (!(c = gv_record_over(inner, ictx, stdout))) {
        inner->close(ictx);
        gv_err_set(err, "out of memory");
        return NULL;
    }
    c->owns_inner = 1;
    return c;
}

/* Opened from the table, it reads through the mapping-driven adapter. */
static void *record_open(const gv_conf_t *conf, const gv_mapping_t *map, gv_err_t *err)
{
    const gv_adapter_t *inner = gv_adapter_find("sql");

    return own_inner(inner, inner->open(conf, map, err), err);
}

static void *record_open_shared(const gv_conf_t *conf, const gv_mapping_t *map, gv_db_t *db,
                                gv_err_t *err)
{
    const gv_adapter_t *inner = gv_adapter_find("sql");

    return own_inner(inner, inner->open_shared(conf, map, db, err), err);
}

static void record_close(void *ctx)
{
    record_ctx_t *c = ctx;

    if (!c)
        return;
    if (c->owns_inner)
        c->inner->close(c->inner_ctx);
    free(c);
}

static int record_canonicalise(void *ctx, const char *typed, char *out, size_t outsz)
{
    record_ctx_t *c = ctx;
    return c->inner->canonicalise(c->inner_ctx, typed, out, outsz);
}

static gv_lookup_t record_find_account(void *ctx, const char *canonical, gv_period_t period,
                                       int64_t now_ms, gv_account_record_t *rec,
                                       gv_db_error_t *e)
{
    record_ctx_t *c = ctx;
    return c->inner->find_account(c->inner_ctx, canonical, period, now_ms, rec, e);
}

static int record_find_accounts(void *ctx, const char *const *canonical, size_t n,
                                gv_period_t period, int64_t now_ms, gv_account_record_t *recs,
                                gv_lookup_t *found, gv_db_error_t *e)
{
    record_ctx_t *c = ctx;
    return gv_find_accounts(c->inner, c->inner_ctx, canonical, n, period, now_ms, recs, found, e);
}

static int record_ping(void *ctx, int64_t now_ms, gv_db_error_t *e)
{
    record_ctx_t *c = ctx;
    return c->inner->ping(c->inner_ctx, now_ms, e);
}

static int64_t record_retry_after_ms(void *ctx, int64_t now_ms)
{
    record_ctx_t *c = ctx;
    return c->inner->retry_after_ms(c->inner_ctx, now_ms);
}

static int record_read_for_billing(void *ctx, const gv_site_period_t *p, gv_site_account_t *acc,
                                   size_t n, gv_site_readings_t *rd, gv_db_error_t *e)
{
    record_ctx_t *c = ctx;
    return c->inner->read_for_billing(c->inner_ctx, p, acc, n, rd, e);
}

static void record_describe_writes(void *ctx, FILE *out)
{
    record_ctx_t *c = ctx;

    fprintf(out, "-- dry run: nothing is written; the %s adapter would write:\n",
            c->inner->name);
    c->inner->describe_writes(c->inner_ctx, out);
}

static int record_write_bills(void *ctx, const gv_site_period_t *p, gv_site_bill_t *bills,
                              size_t n, gv_db_error_t *e)
{
    record_ctx_t *c = ctx;

    (void)p;
    (void)e;
    if (!c->described) {
        record_describe_writes(c, c->out);
        c->described = 1;
    }
    for (size_t k = 0; k < n; k++) {
        const gv_bill_calc_t *b = bills[k].calc;
        char vol[32], charge[32], disc[32], due[32];

        gv_decimal_format(b->charge.volume_milli, 3, vol, sizeof vol);
        gv_decimal_format(b->charge.charge, 2, charge, sizeof charge);
        gv_decimal_format(b->discount.discount, 2, disc, sizeof disc);
        gv_decimal_format(b->due, 2, due, sizeof due);
        fprintf(c->out,
                "BILL %s %s: %s m3 x %lld tiyn/1000 m3, net %lld + VAT %lld = charge %lld "
                "(%s), %s discount %lld (%s), due %lld (%s)\n",
                bills[k].voucher_id, bills[k].account, vol, (long long)b->charge.price,
                (long long)b->charge.net, (long long)b->charge.vat, (long long)b->charge.charge,
                charge, b->rule, (long long)b->discount.discount, disc, (long long)b->due, due);
        snprintf(bills[k].bill_ref, sizeof bills[k].bill_ref, "dry-run");
    }
    return 0;
}

static int record_read_bills(void *ctx, gv_period_t period, int64_t now_ms, gv_site_bill_fn fn,
                             void *ud, gv_db_error_t *e)
{
    record_ctx_t *c = ctx;
    return c->inner->read_bills(c->inner_ctx, period, now_ms, fn, ud, e);
}

static void record_forget(void *ctx)
{
    record_ctx_t *c = ctx;
    c->inner->forget(c->inner_ctx);
}

static int record_check_mapping(const gv_conf_t *conf, const gv_mapping_t *map,
                                const gv_mapping_check_opts_t *opts, gv_errlist_t *errs)
{
    return gv_adapter_find("sql")->check_mapping(conf, map, opts, errs);
}

const gv_adapter_t gv_adapter_record = {
    .name = "record",
    .open = record_open,
    .open_shared = record_open_shared,
    .close = record_close,
    .canonicalise = record_canonicalise,
    .find_account = record_find_account,
    .find_accounts = record_find_accounts,
    .read_for_billing = record_read_for_billing,
    .write_bills = record_write_bills,
    .forget = record_forget,
    .describe_writes = record_describe_writes,
    .ping = record_ping,
    .retry_after_ms = record_retry_after_ms,
    .check_mapping = record_check_mapping,
    .read_bills = record_read_bills,
};
