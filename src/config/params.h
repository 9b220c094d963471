/* params.h - the program's parameters, with effective dates (R12-R17).
 *
 * One INI file (contrib/program.ini is the shipped default, its sample
 * figures marked as such), named by [pilot] parameters in gasvoucher.conf.
 * Loaded whole and checked at load: any problem names file and line and
 * the caller refuses to run.  Lookups are by the period's first day.
 *
 *   [vat]          2009-01-01 = 12            ; effective from = percent
 *   [prices]       KZ-79 2025-08-01 = 5178266 ; region from = tiyn/1000 m3, no VAT
 *   [norms]        KZ-79 01 = 25.000          ; region month = m3 per person
 *                  * 01 = 20.000              ; any other region
 *   [discount]     2025-08-01 = percent_within_cap   ; from = rule
 *   [rule.NAME]    the rule's own parameters (see discount.h)
 *   [limits]       plausibility_m3 = 5000
 *                  pending_deadline_days = 30
 */
#ifndef GV_PARAMS_H
#define GV_PARAMS_H

#include <stddef.h>
#include <stdint.h>

#include "discount.h"
#include "err.h"

typedef struct gv_params gv_params_t;

/* NULL with every problem in errs. */
gv_params_t *gv_params_load(const char *path, gv_errlist_t *errs);
void gv_params_free(gv_params_t *p);

/* Group-1 price in force on day for region (R13).  0, or -1 when none. */
int gv_params_price(const gv_params_t *p, const char *region, int32_t day, int64_t *price);
/* VAT in force on day, basis points.  0, or -1 when none. */
int gv_params_vat(const gv_params_t *p, int32_t day, int32_t *vat_bp);
/* Norm per person for region in month (1..12), thousandths of m3; the
 * region's own figure, else the "*" one.  0, or -1 when none. */
int gv_params_norm(const gv_params_t *p, const char *region, int month, int64_t *milli);
/* The discount rule in force on day and its parameters.  NULL when none. */
const gv_discount_rule_t *gv_params_rule(const gv_params_t *p, int32_t day,
                                         const void **rule_params);
int64_t gv_params_plausibility_milli(const gv_params_t *p);
int gv_params_pending_deadline_days(const gv_params_t *p);

/* Helpers for every parser of program-file lines, the rules' included:
 * an ISO 3166-2:KZ region code ("KZ-NN"; "*" too when star), and a key or
 * value split at white space into exactly two words of bounded size
 * (0, or -1 when there are not exactly two or one is too long). */
int gv_params_region_ok(const char *s, int star);
int gv_params_two_words(const char *s, char *a, size_t asz, char *b, size_t bsz);

#endif
