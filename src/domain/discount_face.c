/* discount_face.c - rule "face_value" (R17): the voucher carries its own
 * discount, NominalTiyn in the batch; discount = min(face value, charge).
 * A voucher without one is Pending NO_FACE_VALUE (after NO_TARIFF, before
 * the reading reasons): never billed without it, and the run bills the
 * others.
 *
 * The rule takes no parameters: any key in [rule.face_value] is an error.
 */
#include "config.h"

#include "discount.h"

#include <stdio.h>
#include <stdlib.h>

extern const gv_discount_rule_t gv_discount_rule_face_value;

typedef struct face_params {
    int unused;     /* a distinct allocation, so NULL can mean "out of memory" */
} face_params_t;

static void *face_new(void)
{
    return calloc(1, sizeof(face_params_t));
}

static void face_free(void *params)
{
    free(params);
}

static void face_add(void *params, const char *file, int line, const char *key,
                     const char *value, gv_errlist_t *errs)
{
    (void)params;
    (void)value;
    gv_errlist_add(errs, "%s:%d: [rule.face_value] takes no parameters, got '%s'", file, line,
                   key);
}

static void face_check(void *params, const char *file, gv_errlist_t *errs)
{
    (void)params;
    (void)file;
    (void)errs;
}

static const char *face_lacks(const void *params, const gv_discount_in_t *in, char *why,
                              size_t whysz)
{
    (void)params;
    if (in->nominal_tiyn >= 0)
        return NULL;
    snprintf(why, whysz, "the face-value rule is in force and the voucher has no face value "
                         "(NominalTiyn) to give as its discount (R17)");
    return "NO_FACE_VALUE";
}

static int face_compute(const void *params, const gv_discount_in_t *in, gv_discount_out_t *out,
                        gv_err_t *err)
{
    (void)params;
    if (in->nominal_tiyn < 0) {
        /* face_lacks keeps such a voucher Pending before it gets here */
        gv_err_set(err, "rule face_value: the voucher has no face value (NominalTiyn), "
                        "which this rule needs (R17)");
        return -1;
    }
    out->discount = in->nominal_tiyn < in->charge->charge ? in->nominal_tiyn
                                                          : in->charge->charge;
    out->cap_milli = -1;
    out->cap_net = out->cap_vat = out->cap_charge = 0;
    out->percent_bp = -1;
    return 0;
}

const gv_discount_rule_t gv_discount_rule_face_value = {
    .name = "face_value",
    .params_new = face_new,
    .params_free = face_free,
    .params_add = face_add,
    .params_check = face_check,
    .lacks = face_lacks,
    .compute = face_compute,
};
