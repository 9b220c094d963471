/* billcalc.h - one voucher's bill from its inputs (pure logic).
 *
 * Puts R13-R17 together in their order: a price for the region on the
 * period's first day (else Pending NO_TARIFF, which comes first; an
 * unmetered home without a norm is NO_TARIFF too), then what the rule in
 * force needs of the voucher (the face-value rule: NO_FACE_VALUE, R17),
 * then the volume (metered R14: NO_METER_READING, INVALID_METER_READING;
 * unmetered R15), then the charge (R16 lines 1-2), then the discount.  No
 * I/O: the caller brings the account, its readings and the parameters,
 * and writes the result.
 *
 * Three kinds of "not billed", never mixed up:
 *   Pending   a reason of the RedemptionReport (the XSD's PendingReason):
 *             the voucher may become billable later (R20 retries it);
 *   refused   the voucher's own inputs cannot be billed and no Pending
 *             reason says why (a value from the site outside what it can
 *             mean, the rule's parameters not covering it): a person must
 *             act; billing holds it as a conflict and bills the others;
 *   -1        the parameters cannot bill any voucher of the period (no VAT,
 *             no rule in force): gv_bill_period_check says so before a run.
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

/* The Pending reasons of the RedemptionReport, in precedence order
 * (R14, R17): the first that applies is the one given. */
typedef enum {
    GV_PENDING_NONE = 0,
    GV_PENDING_NO_TARIFF,
    GV_PENDING_NO_FACE_VALUE,
    GV_PENDING_NO_METER_READING,
    GV_PENDING_INVALID_METER_READING,
    GV_PENDING_COUNT
} gv_pending_t;

const char *gv_pending_name(gv_pending_t p);   /* "NO_TARIFF", ... ; "" for NONE */
/* The reason of that name; GV_PENDING_NONE for "" or an unknown name. */
gv_pending_t gv_pending_find(const char *name);

/* Why a voucher without a Pending reason still cannot be billed. */
typedef enum {
    GV_REFUSED_NONE = 0,
    GV_REFUSED_SITE_VALUE,          /* the site's region or residents cannot be billed */
    GV_REFUSED_RULE,                /* the rule in force refuses this voucher */
} gv_refused_t;

const char *gv_refused_name(gv_refused_t r);   /* "SITE_VALUE", "RULE_REFUSED"; "" for NONE */

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
    gv_pending_t pending;           /* NONE and refused NONE: the rest is filled */
    gv_refused_t refused;
    char why[256];                  /* for Pending and refusals: in words */
    gv_charge_t charge;
    gv_discount_out_t discount;
    const char *rule;               /* name of the rule applied */
    int64_t due;                    /* charge - discount */
} gv_bill_calc_t;

/* 0 when the parameters can bill the period at all: a VAT rate and a
 * discount rule in force on its first day, and that rule's parameters
 * covering some voucher of it; -1 with err (naming the program file's
 * section) otherwise.  A billing run asks this before it writes anything. */
int gv_bill_period_check(const gv_params_t *params, gv_period_t period, gv_err_t *err);

/* 0 with *out filled: billable, Pending, or refused (see the top).  -1
 * with err only when gv_bill_period_check would fail for the period, or
 * the call itself is wrong (no parameters, no region, no valid period). */
int gv_bill_compute(const gv_params_t *params, const gv_bill_in_t *in, gv_bill_calc_t *out,
                    gv_err_t *err);

#endif
