/* billcalc.c - one voucher's bill from its inputs (R13-R17, pure logic). */
#include "config.h"

#include "billcalc.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *gv_pending_name(gv_pending_t p)
{
    switch (p) {
    case GV_PENDING_NONE:
        return "";
    case GV_PENDING_NO_TARIFF:
        return "NO_TARIFF";
    case GV_PENDING_NO_METER_READING:
        return "NO_METER_READING";
    case GV_PENDING_INVALID_METER_READING:
        return "INVALID_METER_READING";
    }
    return "";
}

static int pending(gv_bill_calc_t *out, gv_pending_t why, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int pending(gv_bill_calc_t *out, gv_pending_t why, const char *fmt, ...)
{
    va_list ap;

    out->pending = why;
    va_start(ap, fmt);
    vsnprintf(out->why, sizeof out->why, fmt, ap);
    va_end(ap);
    return 0;
}

int gv_bill_compute(const gv_params_t *params, const gv_bill_in_t *in, gv_bill_calc_t *out,
                    gv_err_t *err)
{
    const gv_discount_rule_t *rule;
    const void *rule_params = NULL;
    gv_discount_in_t din;
    int64_t price, volume, plausibility;
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

    /* R13: the price in force on the period's first day; without it the
     * voucher waits, whatever else is missing. */
    if (gv_params_price(params, in->region, first, &price) < 0)
        return pending(out, GV_PENDING_NO_TARIFF,
                       "no group-1 price for region %s in force on %s (period %04d-%02d)",
                       in->region, day, in->period.year, in->period.month);
    /* R12: VAT is configuration; none is a broken file, not a Pending voucher. */
    if (gv_params_vat(params, first, &vat_bp) < 0) {
        gv_err_set(err, "no VAT rate in force on %s (period %04d-%02d): the program file's "
                        "[vat] starts later", day, in->period.year, in->period.month);
        return -1;
    }

    if (in->metered) {
        /* R14 */
        plausibility = gv_params_plausibility_milli(params);
        switch (gv_consumption_metered(in->readings, in->nreadings, in->period, plausibility,
                                       &volume)) {
        case GV_CONS_OK:
            break;
        case GV_CONS_NO_READING:
            return pending(out, GV_PENDING_NO_METER_READING,
                           "no closing meter reading in period %04d-%02d, or no earlier "
                           "reading to compare it with",
                           in->period.year, in->period.month);
        case GV_CONS_INVALID:
        default:
            gv_decimal_format(plausibility, 3, limit, sizeof limit);
            return pending(out, GV_PENDING_INVALID_METER_READING,
                           "meter readings for period %04d-%02d give a negative volume or "
                           "one above the plausibility limit of %s m3",
                           in->period.year, in->period.month, limit);
        }
    } else {
        /* R15 */
        int64_t norm;
        if (gv_params_norm(params, in->region, in->period.month, &norm) < 0)
            return pending(out, GV_PENDING_NO_TARIFF,
                           "no consumption norm for region %s in month %02d (nor a '*' "
                           "row) to bill an unmetered home by",
                           in->region, in->period.month);
        volume = gv_consumption_unmetered(norm, in->residents);
        if (volume < 0) {
            gv_err_set(err, "bill: cannot compute an unmetered volume for %d residents",
                       in->residents);
            return -1;
        }
    }

    /* R16, lines 1-2 */
    gv_charge_compute(volume, price, vat_bp, &out->charge);

    /* The rule in force on the period's first day (R12, R16, R17). */
    rule = gv_params_rule(params, first, &rule_params);
    if (!rule) {
        gv_err_set(err, "no discount rule in force on %s (period %04d-%02d): the program "
                        "file's [discount] starts later", day, in->period.year,
                   in->period.month);
        return -1;
    }
    out->rule = rule->name;
    din.region = in->region;
    din.period_first_day = first;
    din.charge = &out->charge;
    din.nominal_tiyn = in->nominal_tiyn;
    if (rule->compute(rule_params, &din, &out->discount, err) < 0)
        return -1;
    if (out->discount.discount < 0 || out->discount.discount > out->charge.charge) {
        gv_err_set(err, "rule %s gave a discount of %lld tiyn outside 0..%lld (the charge): "
                        "a bug in the rule", rule->name, (long long)out->discount.discount,
                   (long long)out->charge.charge);
        return -1;
    }
    out->due = out->charge.charge - out->discount.discount;
    return 0;
}
