/* billcalc.h - one voucher's bill from its inputs (pure logic).
 *
 * Puts R13-R17 together in their order: a price for the region on the
 * period's first day (else Pending NO_TARIFF, which comes first), then the
 * volume (metered R14 or unmetered R15), then the charge (R16 lines 1-2),
 * then the discount rule in force.  No I/O: the caller brings the account,
 * its readings and the parameters, and writes the result.
 */
#ifndef GV_BILLCALC_H
#define GV_BILLCALC_H

#include <stddef.h>
#include <stdint.h>

#include "calendar.h"
#include "consumption.h"
#include "discount.h"
#include "money.h"
#include "params.h"

/* The Pending reasons of the RedemptionReport, in precedence order. */
typedef enum {
    GV_PENDING_NONE = 0,
    GV_PENDING_NO_TARIFF,
    GV_PENDING_NO_METER_READING,
    GV_PENDING_INVALID_METER_READING,
} gv_pending_t;

const char *gv_pending_name(gv_pending_t p);   /* "NO_TARIFF", ... ; "" for NONE */

typedef struct gv_bill_in {
    gv_period_t period;
    const char *region;
    int metered;
    int residents;                  /* unmetered homes */
    gv_reading_t *readings;         /* metered homes; may be reordered */
    size_t nreadings;
    int64_t nominal_tiyn;           /* the voucher's face value, -1 when none */
} gv_bill_in_t;

typedef struct gv_bill_calc {
    gv_pending_t pending;           /* NONE: the rest is filled */
    char why[256];                  /* for Pending and errors: in words */
    gv_charge_t charge;
    gv_discount_out_t discount;
    const char *rule;               /* name of the rule applied */
    int64_t due;                    /* charge - discount */
} gv_bill_calc_t;

/* 0 with *out filled (billable or Pending), or -1 with err when the
 * parameters are broken for this voucher (no VAT, no rule, the rule
 * refuses): a configuration problem, not a Pending voucher. */
int gv_bill_compute(const gv_params_t *params, const gv_bill_in_t *in, gv_bill_calc_t *out,
                    gv_err_t *err);

#endif
