/* discount.h - discount rules behind one small interface (R16, R17).
 *
 * A rule is a const table of functions, listed in gv_discount_rules[] in
 * discount.c.  Each rule reads its own parameters from the program file's
 * section named after it ([rule.percent_within_cap], ...), so adding a
 * rule touches its own source file and that one array, nothing else.
 */
#ifndef GV_DISCOUNT_H
#define GV_DISCOUNT_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "money.h"

/* What a rule may look at for one voucher. */
typedef struct gv_discount_in {
    const char *region;         /* ISO 3166-2:KZ of the account */
    int32_t period_first_day;   /* the period's first day (R12) */
    const gv_charge_t *charge;  /* volume, price, VAT, net, charge; NULL in lacks() */
    int64_t nominal_tiyn;       /* the voucher's face value; -1 when none */
} gv_discount_in_t;

/* What it decided, with the steps for reports and --dry-run. */
typedef struct gv_discount_out {
    int64_t discount;           /* tiyn, 0 <= discount <= charge */
    int64_t cap_milli;          /* R16: min(volume, cap); -1 when unused */
    int64_t cap_net, cap_vat, cap_charge;
    int32_t percent_bp;         /* R16 percentage; -1 when unused */
} gv_discount_out_t;

typedef struct gv_discount_rule {
    const char *name;
    /* Fresh parameter state; NULL on allocation failure. */
    void *(*params_new)(void);
    void (*params_free)(void *params);
    /* One "key = value" line of the rule's section; problems go to errs
     * naming file and line. */
    void (*params_add)(void *params, const char *file, int line, const char *key,
                       const char *value, gv_errlist_t *errs);
    /* After the whole file: anything missing or inconsistent. */
    void (*params_check)(void *params, const char *file, gv_errlist_t *errs);
    /* Optional (NULL: the parameters cover every period they are in force
     * for).  -1 with err when they cover no voucher at all of the period
     * starting on first_day: a billing run then stops before it writes. */
    int (*covers_period)(const void *params, int32_t first_day, gv_err_t *err);
    /* Optional (NULL: the rule needs nothing of the voucher itself).  What
     * the voucher lacks for this rule, asked before its volume is known
     * (in->charge is NULL) so that the reason comes in R17's place, after
     * NO_TARIFF and before the reading reasons: NULL when nothing, else
     * the RedemptionReport's Pending reason ("NO_FACE_VALUE", a name
     * billcalc.h lists) with why filled in words.  Such a voucher is never
     * billed by this rule and waits (R20). */
    const char *(*lacks)(const void *params, const gv_discount_in_t *in, char *why,
                         size_t whysz);
    /* 0 and *out filled; -1 with err when the parameters do not cover this
     * voucher (say, no cap for its region on that day): billing holds that
     * voucher as a conflict (RULE_REFUSED) and bills the others. */
    int (*compute)(const void *params, const gv_discount_in_t *in, gv_discount_out_t *out,
                   gv_err_t *err);
} gv_discount_rule_t;

extern const gv_discount_rule_t *const gv_discount_rules[];

const gv_discount_rule_t *gv_discount_rule_find(const char *name);

#endif
