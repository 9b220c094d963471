/* discount.c - the registry of discount rules (R16, R17).
 *
 * Adding a rule: write src/discount_<name>.c defining one const
 * gv_discount_rule_t, declare it below and list it in gv_discount_rules[].
 * Nothing else in the program knows a rule's name or parameters.
 */
#include "config.h"

#include "discount.h"

#include <string.h>

extern const gv_discount_rule_t gv_discount_rule_percent_within_cap;   /* discount_percent.c */
extern const gv_discount_rule_t gv_discount_rule_face_value;           /* discount_face.c */

/* NULL-terminated; the first is the default the shipped program file names. */
const gv_discount_rule_t *const gv_discount_rules[] = {
    &gv_discount_rule_percent_within_cap,
    &gv_discount_rule_face_value,
    NULL,
};

const gv_discount_rule_t *gv_discount_rule_find(const char *name)
{
    if (!name)
        return NULL;
    for (size_t i = 0; gv_discount_rules[i]; i++)
        if (strcmp(gv_discount_rules[i]->name, name) == 0)
            return gv_discount_rules[i];
    return NULL;
}
