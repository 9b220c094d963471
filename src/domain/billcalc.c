/* billcalc.c - one voucher's bill from its inputs (R13-R17, pure logic). */
#include "config.h"

#include "billcalc.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *const pending_names[GV_PENDING_COUNT] = {
    [GV_PENDING_NONE] = "",
    [GV_PENDING_NO_TARIFF] = "NO_TARIFF",
    [GV_PENDING_NO_FACE_VALUE] = "NO_FACE_VALUE",
    [GV_PENDING_NO_METER_READING] = "NO_METER_READING",
    [GV_PENDING_INVALID_METER_READING] = "INVALID_METER_READING",
};

const char *gv_pending_name(gv_pending_t p)
{
    return (unsigned)p < GV_PENDING_COUNT ? pending_names[p] : "";
}

gv_pending_t gv_pending_find(const char *name)
{
    for (int p = GV_PENDING_NONE + 1; name && p < GV_PENDING_COUNT; p++)
        if (strcmp(name, pending_names[p]) == 0)
            return (gv_pending_t)p;
    return GV_PENDING_NONE;
}

const char *gv_refused_name(gv_refused_t r)
{
    switch (r) {
    case GV_REFUSED_NONE:
        return "";
    case GV_REFUSED_SITE_VALUE:
        return "SITE_VALUE";
    case GV_REFUSED_RULE:
        return "RULE_REFUSED";
    }
    return "";
}

/* The voucher is not billed: Pending or refused, why in words. */
static int not_billed(gv_bill_calc_t *out, gv_pending_t pending, gv_refused_t refused,
                      const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int not_billed(gv_bill_calc_t *out, gv_pending_t pending, gv_refused_t refused,
                      const char *fmt, ...)
{
    va_list ap;

    out->pending = pending;
    out->refused = refused;
    va_start(ap, fmt);
    vsnprintf(out->why, sizeof out->why, fmt, ap);
    va_end(ap);
    return 0;
}

/* What the period needs whatever the voucher: VAT and a rule (R12). */
static int period_params(const gv_params_t *params, gv_period_t period, int32_t *vat_bp,
                         const gv_discount_rule_t **rule, const void **rule_params,
                         gv_err_t *err)
{
    int32_t first = gv_period_first_day(period);
    char day[11];

    gv_date_format(first, day);
    if (gv_params_vat(params, first, vat_bp) < 0) {
        gv_err_set(err, "no VAT rate in force on %s (period %04d-%02d): the program file's "
                        "[vat] starts later", day, period.year, period.month);
        return -1;
    }
    *rule = gv_params_rule(params, first, rule_params);
    if (!*rule) {
        gv_err_set(err, "no discount rule in force on %s (period %04d-%02d): the program "
                        "file's [discount] starts later", day, period.year, period.month);
        return -1;
    }
    return 0;
}

int gv_bill_period_check(const gv_params_t *params, gv_period_t period, gv_err_t *err)
{
    const gv_discount_rule_t *rule;
    const void *rule_params;
    int32_t vat_bp;

    if (!params || period.month < 1 || period.month > 12) {
        gv_err_set(err, "bill: missing parameters or a valid period");
        return -1;
    }
    if (period_params(params, period, &vat_bp, &rule, &rule_params, err) < 0)
        return -1;
    return rule->covers_period
               ? rule->covers_period(rule_params, gv_period_first_day(period), err)
               : 0;
}

int gv_bill_compute(const gv_params_t *params, const gv_bill_in_t *in, gv_bill_calc_t *out,
                    gv_err_t *err)
{
    const gv_discount_rule_t *rule;
    const void *rule_params = NULL;
    gv_discount_in_t din;
    gv_err_t rerr;
    const char *lack;
    int64_t price, volume = 0, plausibility, norm = 0;
    int32_t first, vat_bp;
    char day[11], limit[32];

    memset(out, 0, sizeof *out);
    out->discount.cap_milli = -1;
    out->discount.percent_bp = -1;
    if (!params || !in || !in->region || in->period.month < 1 || in->period.month > 12) {
        gv_err_set(err, "bill: missing parameters, region or a valid period");
        return -1;
    }
    first = gv_period_first_day(in->period);
    gv_date_format(first, day);
    if (period_params(params, in->period, &vat_bp, &rule, &rule_params, err) < 0)
        return -1;

    /* A region that is no ISO 3166-2:KZ code is the site's data, not a
     * region without a price: someone must correct it. */
    if (!gv_params_region_ok(in->region, 0))
        return not_billed(out, GV_PENDING_NONE, GV_REFUSED_SITE_VALUE,
                          "the billing database gives the account the region '%.40s', not a "
                          "code of the form KZ-NN", in->region);

    /* R13: the price in force on the period's first day; without it (or,
     * R15, without a norm for an unmetered home) the voucher waits,
     * whatever else is missing. */
    if (gv_params_price(params, in->region, first, &price) < 0)
        return not_billed(out, GV_PENDING_NO_TARIFF, GV_REFUSED_NONE,
                          "no group-1 price for region %s in force on %s (period %04d-%02d)",
                          in->region, day, in->period.year, in->period.month);
    if (!in->metered && gv_params_norm(params, in->region, in->period.month, &norm) < 0)
        return not_billed(out, GV_PENDING_NO_TARIFF, GV_REFUSED_NONE,
                          "no consumption norm for region %s in month %02d (nor a '*' row) to "
                          "bill an unmetered home by",
                          in->region, in->period.month);

    /* R17: what the rule in force needs of the voucher comes next. */
    out->rule = rule->name;
    din.region = in->region;
    din.period_first_day = first;
    din.charge = NULL;
    din.nominal_tiyn = in->nominal_tiyn;
    if (rule->lacks && (lack = rule->lacks(rule_params, &din, out->why, sizeof out->why))) {
        out->pending = gv_pending_find(lack);
        if (out->pending == GV_PENDING_NONE)
            return not_billed(out, GV_PENDING_NONE, GV_REFUSED_RULE,
                              "rule %s gives the Pending reason '%.40s', which the "
                              "RedemptionReport does not know: a bug in the rule",
                              rule->name, lack);
        return 0;
    }

    if (in->metered) {
        /* R14 */
        plausibility = gv_params_plausibility_milli(params);
        switch (gv_consumption_metered(in->readings, in->nreadings, in->period, plausibility,
                                       &volume)) {
        case GV_CONS_OK:
            break;
        case GV_CONS_NO_READING:
            return not_billed(out, GV_PENDING_NO_METER_READING, GV_REFUSED_NONE,
                              "no closing meter reading in period %04d-%02d, or no earlier "
                              "reading to compare it with",
                              in->period.year, in->period.month);
        case GV_CONS_INVALID:
        default:
            gv_decimal_format(plausibility, 3, limit, sizeof limit);
            return not_billed(out, GV_PENDING_INVALID_METER_READING, GV_REFUSED_NONE,
                              "meter readings for period %04d-%02d give a negative volume or "
                              "one above the plausibility limit of %s m3",
                              in->period.year, in->period.month, limit);
        }
    } else {
        /* R15 */
        volume = gv_consumption_unmetered(norm, in->residents);
        if (volume < 0)
            return not_billed(out, GV_PENDING_NONE, GV_REFUSED_SITE_VALUE,
                              "the billing database gives the unmetered home %d registered "
                              "residents, which no volume by norm can be computed for",
                              in->residents);
    }

    /* R16, lines 1-2 */
    gv_charge_compute(volume, price, vat_bp, &out->charge);

    /* The rule in force on the period's first day (R12, R16, R17). */
    din.charge = &out->charge;
    rerr.msg[0] = '\0';
    if (rule->compute(rule_params, &din, &out->discount, &rerr) < 0)
        return not_billed(out, GV_PENDING_NONE, GV_REFUSED_RULE, "%s", rerr.msg);
    if (out->discount.discount < 0 || out->discount.discount > out->charge.charge)
        return not_billed(out, GV_PENDING_NONE, GV_REFUSED_RULE,
                          "rule %s gave a discount of %lld tiyn outside 0..%lld (the charge): a "
                          "bug in the rule", rule->name, (long long)out->discount.discount,
                          (long long)out->charge.charge);
    out->due = out->charge.charge - out->discount.discount;
    return 0;
}
