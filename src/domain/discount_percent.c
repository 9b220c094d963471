/* discount_percent.c - rule "percent_within_cap" (R16), the default.
 *
 * The discount is a percentage of the charge for the volume up to the
 * region's monthly cap.  Parameters, in [rule.percent_within_cap]:
 *
 *   KZ-79 2025-08-01 = 24 631     ; region effective-from = percent cap_m3
 *   * 2025-08-01 = 10 300         ; any region without a row of its own
 *
 * percent: 0..100, up to two decimals; cap_m3: >= 0, up to three decimals.
 * For a voucher, the row of its region with the greatest date on or before
 * the period's first day counts, else the "*" row chosen the same way;
 * with neither the rule refuses the voucher (billing holds it as a
 * conflict, RULE_REFUSED, until the program file gives its region a row),
 * and with no row at all in force the period cannot be billed.
 */
#include "config.h"

#include "calendar.h"
#include "discount.h"
#include "money.h"
#include "params.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern const gv_discount_rule_t gv_discount_rule_percent_within_cap;

typedef struct cap_row {
    char region[16];         /* "KZ-NN" or "*" */
    int32_t from;           /* effective from, days since epoch */
    int32_t percent_bp;
    int64_t cap_milli;
    int line;
} cap_row_t;

typedef struct cap_params {
    cap_row_t *rows;
    size_t n, cap;
    int oom;
} cap_params_t;

#define SECTION "[rule.percent_within_cap]"
#define MAX_ROWS 100000

static void *cap_new(void)
{
    return calloc(1, sizeof(cap_params_t));
}

static void cap_free(void *params)
{
    cap_params_t *p = params;
    if (p) {
        free(p->rows);
        free(p);
    }
}

static void cap_add(void *params, const char *file, int line, const char *key,
                    const char *value, gv_errlist_t *errs)
{
    cap_params_t *p = params;
    char region[16], date[16], pct[32], capm[32];
    cap_row_t row;
    int bad = 0;

    memset(&row, 0, sizeof row);
    row.line = line;
    if (gv_params_two_words(key, region, sizeof region, date, sizeof date) < 0) {
        gv_errlist_add(errs, "%s:%d: " SECTION " '%s': expected 'REGION YYYY-MM-DD' "
                       "(region KZ-NN or *, effective-from date)", file, line, key);
        return;
    }
    if (!gv_params_region_ok(region, 1)) {
        gv_errlist_add(errs, "%s:%d: " SECTION " '%s': region must be of the form KZ-NN "
                       "or *, got '%s'", file, line, key, region);
        bad = 1;
    }
    if (gv_date_parse(date, &row.from) < 0) {
        gv_errlist_add(errs, "%s:%d: " SECTION " '%s': invalid date '%s' (expected "
                       "YYYY-MM-DD)", file, line, key, date);
        bad = 1;
    }
    if (gv_params_two_words(value, pct, sizeof pct, capm, sizeof capm) < 0) {
        gv_errlist_add(errs, "%s:%d: " SECTION " %s: expected 'percent cap_m3' (say "
                       "'24 631'), got '%s'", file, line, key, value);
        return;
    }
    if (gv_percent_parse(pct, &row.percent_bp) < 0) {
        gv_errlist_add(errs, "%s:%d: " SECTION " %s: percent must be a number from 0 to "
                       "100 (up to two decimals), got '%s'", file, line, key, pct);
        bad = 1;
    }
    if (capm[0] == '+' || gv_decimal_parse(capm, 3, &row.cap_milli) < 0 || row.cap_milli < 0) {
        gv_errlist_add(errs, "%s:%d: " SECTION " %s: cap must be a volume in m3 >= 0 (up to "
                       "three decimals), got '%s'", file, line, key, capm);
        bad = 1;
    }
    if (bad)
        return;
    snprintf(row.region, sizeof row.region, "%s", region);
    for (size_t i = 0; i < p->n; i++)
        if (p->rows[i].from == row.from && strcmp(p->rows[i].region, row.region) == 0) {
            gv_errlist_add(errs, "%s:%d: " SECTION " %s: duplicate row for %s on %s (first "
                           "on line %d)", file, line, key, region, date, p->rows[i].line);
            return;
        }
    if (p->n == p->cap) {
        size_t ncap = p->cap ? p->cap * 2 : 16;
        cap_row_t *nr = ncap <= MAX_ROWS ? realloc(p->rows, ncap * sizeof *nr) : NULL;
        if (!nr) {
            if (!p->oom)
                gv_errlist_add(errs, "%s:%d: " SECTION " too many rows or out of memory",
                               file, line);
            p->oom = 1;
            return;
        }
        p->rows = nr;
        p->cap = ncap;
    }
    p->rows[p->n++] = row;
}

static void cap_check(void *params, const char *file, gv_errlist_t *errs)
{
    const cap_params_t *p = params;
    if (p->n == 0)
        gv_errlist_add(errs, "%s: " SECTION " has no rows: the rule needs a percent and a cap "
                       "per region (or a '*' row) from some date", file);
}

/* The row for region in force on day: greatest date <= day; NULL if none. */
static const cap_row_t *find_row(const cap_params_t *p, const char *region, int32_t day)
{
    const cap_row_t *best = NULL;
    for (size_t i = 0; i < p->n; i++) {
        const cap_row_t *r = &p->rows[i];
        if (r->from <= day && strcmp(r->region, region) == 0 && (!best || r->from > best->from))
            best = r;
    }
    return best;
}

/* Some row, of any region, in force on day: else no voucher of the
 * period has a cap, and billing it would only fill the conflicts. */
static int cap_covers(const void *params, int32_t first_day, gv_err_t *err)
{
    const cap_params_t *p = params;
    char day[11];

    for (size_t i = 0; i < p->n; i++)
        if (p->rows[i].from <= first_day)
            return 0;
    gv_date_format(first_day, day);
    gv_err_set(err, "rule percent_within_cap: no row of " SECTION " is in force on %s (each "
                    "starts later), so no voucher of the period has a cap", day);
    return -1;
}

static int cap_compute(const void *params, const gv_discount_in_t *in, gv_discount_out_t *out,
                       gv_err_t *err)
{
    const cap_params_t *p = params;
    const gv_charge_t *c = in->charge;
    const cap_row_t *row = NULL;
    char day[11];

    if (in->region)
        row = find_row(p, in->region, in->period_first_day);
    if (!row)
        row = find_row(p, "*", in->period_first_day);
    if (!row) {
        gv_date_format(in->period_first_day, day);
        gv_err_set(err, "rule percent_within_cap: no cap for region %s on %s and no '*' row "
                        "in force then (" SECTION " of the program file)",
                   in->region ? in->region : "(none)", day);
        return -1;
    }
    out->cap_milli = c->volume_milli < row->cap_milli ? c->volume_milli : row->cap_milli;
    out->cap_net = gv_money_volume_cost(out->cap_milli, c->price);
    out->cap_vat = gv_money_rate(out->cap_net, c->vat_bp);
    out->cap_charge = out->cap_net + out->cap_vat;
    out->percent_bp = row->percent_bp;
    out->discount = gv_money_rate(out->cap_charge, row->percent_bp);
    return 0;
}

const gv_discount_rule_t gv_discount_rule_percent_within_cap = {
    .name = "percent_within_cap",
    .params_new = cap_new,
    .params_free = cap_free,
    .params_add = cap_add,
    .params_check = cap_check,
    .covers_period = cap_covers,
    .compute = cap_compute,
};
