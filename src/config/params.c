/* params.c - the program's parameters, with effective dates (R12-R17).
 *
 * The file is read whole through gv_ini_parse; every line is checked and
 * every problem collected (file:line and what is wrong) before the caller
 * decides.  [rule.NAME] lines go to that rule's params_add: this file
 * knows the rules only through gv_discount_rules[].
 *
 * Tables are small (a row per region and tariff change), so lookups scan.
 */
#include "config.h"

#include "params.h"

#include "calendar.h"
#include "inifile.h"
#include "money.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ROWS 100000                      /* per table: a bound, not a limit in practice */
#define DEFAULT_PLAUSIBILITY_MILLI 5000000   /* 5000 m3 (R14) */
#define DEFAULT_PENDING_DEADLINE_DAYS 30
#define MAX_PENDING_DEADLINE_DAYS 3660

typedef struct vat_row {
    int32_t from;
    int32_t bp;
    int line;
} vat_row_t;

typedef struct price_row {
    char region[16];
    int32_t from;
    int64_t price;
    int line;
} price_row_t;

typedef struct norm_row {
    char region[16];         /* "KZ-NN" or "*" */
    int month;
    int64_t milli;
    int line;
} norm_row_t;

typedef struct rule_row {
    int32_t from;
    size_t rule;            /* index in gv_discount_rules[] */
    int line;
} rule_row_t;

typedef struct table {
    void *rows;
    size_t n, cap;
} table_t;

struct gv_params {
    table_t vat, prices, norms, discount;
    size_t nrules;
    void **rule_params;     /* per gv_discount_rules[] entry, owned */
    int *rule_section_line; /* first line of [rule.NAME], 0 when absent */
    int64_t plausibility_milli;
    int pending_deadline_days;
    int plausibility_line, deadline_line;
};

struct load_state {
    gv_params_t *p;
    gv_errlist_t *errs;
    int oom;
};

/* ---- helpers -------------------------------------------------------------- */

static void *table_push(struct load_state *st, table_t *t, size_t size, const char *file,
                        int line)
{
    if (t->n == t->cap) {
        size_t ncap = t->cap ? t->cap * 2 : 16;
        void *nr = ncap <= MAX_ROWS ? realloc(t->rows, ncap * size) : NULL;
        if (!nr) {
            if (!st->oom)
                gv_errlist_add(st->errs, "%s:%d: too many rows or out of memory", file, line);
            st->oom = 1;
            return NULL;
        }
        t->rows = nr;
        t->cap = ncap;
    }
    return (char *)t->rows + size * t->n++;
}

int gv_params_region_ok(const char *s, int star)
{
    if (star && strcmp(s, "*") == 0)
        return 1;
    return strlen(s) == 5 && s[0] == 'K' && s[1] == 'Z' && s[2] == '-' && s[3] >= '0' &&
           s[3] <= '9' && s[4] >= '0' && s[4] <= '9';
}

int gv_params_two_words(const char *s, char *a, size_t asz, char *b, size_t bsz)
{
    const char *p = s, *e;
    size_t n;

    while (*p == ' ' || *p == '\t')
        p++;
    for (e = p; *e && *e != ' ' && *e != '\t'; e++)
        ;
    n = (size_t)(e - p);
    if (n == 0 || n >= asz)
        return -1;
    memcpy(a, p, n);
    a[n] = '\0';
    for (p = e; *p == ' ' || *p == '\t'; p++)
        ;
    for (e = p; *e && *e != ' ' && *e != '\t'; e++)
        ;
    n = (size_t)(e - p);
    if (n == 0 || n >= bsz)
        return -1;
    memcpy(b, p, n);
    b[n] = '\0';
    while (*e == ' ' || *e == '\t')
        e++;
    return *e ? -1 : 0;
}

/* Digits only, no sign, no fraction: a whole number. */
static int parse_whole(const char *s, int64_t max, int64_t *out)
{
    int64_t v = 0;

    if (!*s)
        return -1;
    for (; *s; s++) {
        if (*s < '0' || *s > '9' || v > (max - (*s - '0')) / 10)
            return -1;
        v = v * 10 + (*s - '0');
    }
    *out = v;
    return 0;
}

static int rule_index(const char *name, size_t *idx)
{
    for (size_t i = 0; gv_discount_rules[i]; i++)
        if (strcmp(gv_discount_rules[i]->name, name) == 0) {
            *idx = i;
            return 0;
        }
    return -1;
}

static void known_rules(char *buf, size_t sz)
{
    size_t off = 0;
    buf[0] = '\0';
    for (size_t i = 0; gv_discount_rules[i] && off < sz; i++) {
        int n = snprintf(buf + off, sz - off, "%s%s", i ? ", " : "", gv_discount_rules[i]->name);
        if (n < 0)
            break;
        off += (size_t)n;
    }
}

/* ---- sections ------------------------------------------------------------- */

static void on_vat(struct load_state *st, const char *file, int line, const char *name,
                   const char *value)
{
    table_t *t = &st->p->vat;
    vat_row_t row = { 0, 0, line };
    int bad = 0;

    if (gv_date_parse(name, &row.from) < 0) {
        gv_errlist_add(st->errs, "%s:%d: [vat] '%s': expected an effective-from date "
                       "YYYY-MM-DD", file, line, name);
        bad = 1;
    }
    if (gv_percent_parse(value, &row.bp) < 0) {
        gv_errlist_add(st->errs, "%s:%d: [vat] %s: percent must be a number from 0 to 100 "
                       "(up to two decimals), got '%s'", file, line, name, value);
        bad = 1;
    }
    if (bad)
        return;
    for (size_t i = 0; i < t->n; i++) {
        const vat_row_t *r = (const vat_row_t *)t->rows + i;
        if (r->from == row.from) {
            gv_errlist_add(st->errs, "%s:%d: [vat] %s: duplicate date (first on line %d)", file,
                           line, name, r->line);
            return;
        }
    }
    vat_row_t *slot = table_push(st, t, sizeof row, file, line);
    if (slot)
        *slot = row;
}

static void on_price(struct load_state *st, const char *file, int line, const char *name,
                     const char *value)
{
    table_t *t = &st->p->prices;
    char region[16], date[16];
    price_row_t row;
    int bad = 0, y, m, d;

    memset(&row, 0, sizeof row);
    row.line = line;
    if (gv_params_two_words(name, region, sizeof region, date, sizeof date) < 0) {
        gv_errlist_add(st->errs, "%s:%d: [prices] '%s': expected 'REGION YYYY-MM-DD' (region "
                       "KZ-NN, effective-from date)", file, line, name);
        return;
    }
    if (!gv_params_region_ok(region, 0)) {
        gv_errlist_add(st->errs, "%s:%d: [prices] '%s': region must be of the form KZ-NN, "
                       "got '%s'", file, line, name, region);
        bad = 1;
    }
    if (gv_date_parse(date, &row.from) < 0) {
        gv_errlist_add(st->errs, "%s:%d: [prices] '%s': invalid date '%s' (expected "
                       "YYYY-MM-DD)", file, line, name, date);
        bad = 1;
    } else {
        gv_civil_from_days(row.from, &y, &m, &d);
        if (d != 1) {
            gv_errlist_add(st->errs, "%s:%d: [prices] '%s': a price takes effect on the "
                           "first day of a month (R13), not on %s", file, line, name, date);
            bad = 1;
        }
    }
    if (parse_whole(value, INT64_MAX / 1000000, &row.price) < 0 || row.price <= 0) {
        gv_errlist_add(st->errs, "%s:%d: [prices] %s: price must be a whole number of tiyn per "
                       "1000 m3 greater than 0, got '%s'", file, line, name, value);
        bad = 1;
    }
    if (bad)
        return;
    snprintf(row.region, sizeof row.region, "%s", region);
    for (size_t i = 0; i < t->n; i++) {
        const price_row_t *r = (const price_row_t *)t->rows + i;
        if (r->from == row.from && strcmp(r->region, row.region) == 0) {
            gv_errlist_add(st->errs, "%s:%d: [prices] %s: duplicate row for %s on %s (first "
                           "on line %d)", file, line, name, region, date, r->line);
            return;
        }
    }
    price_row_t *slot = table_push(st, t, sizeof row, file, line);
    if (slot)
        *slot = row;
}

static void on_norm(struct load_state *st, const char *file, int line, const char *name,
                    const char *value)
{
    table_t *t = &st->p->norms;
    char region[16], month[16];
    norm_row_t row;
    int bad = 0;

    memset(&row, 0, sizeof row);
    row.line = line;
    if (gv_params_two_words(name, region, sizeof region, month, sizeof month) < 0) {
        gv_errlist_add(st->errs, "%s:%d: [norms] '%s': expected 'REGION MM' (region KZ-NN "
                       "or *, month 01..12)", file, line, name);
        return;
    }
    if (!gv_params_region_ok(region, 1)) {
        gv_errlist_add(st->errs, "%s:%d: [norms] '%s': region must be of the form KZ-NN or "
                       "*, got '%s'", file, line, name, region);
        bad = 1;
    }
    if (strlen(month) != 2 || month[0] < '0' || month[0] > '9' || month[1] < '0' ||
        month[1] > '9' || (row.month = (month[0] - '0') * 10 + (month[1] - '0')) < 1 ||
        row.month > 12) {
        gv_errlist_add(st->errs, "%s:%d: [norms] '%s': month must be 01..12, got '%s'", file,
                       line, name, month);
        bad = 1;
    }
    if (value[0] == '+' || gv_decimal_parse(value, 3, &row.milli) < 0) {
        gv_errlist_add(st->errs, "%s:%d: [norms] %s: norm must be m3 per person, up to three "
                       "decimals, got '%s'", file, line, name, value);
        bad = 1;
    } else if (row.milli < 0) {
        gv_errlist_add(st->errs, "%s:%d: [norms] %s: negative norm '%s'", file, line, name,
                       value);
        bad = 1;
    }
    if (bad)
        return;
    snprintf(row.region, sizeof row.region, "%s", region);
    for (size_t i = 0; i < t->n; i++) {
        const norm_row_t *r = (const norm_row_t *)t->rows + i;
        if (r->month == row.month && strcmp(r->region, row.region) == 0) {
            gv_errlist_add(st->errs, "%s:%d: [norms] %s: duplicate row for %s month %02d "
                           "(first on line %d)", file, line, name, region, row.month, r->line);
            return;
        }
    }
    norm_row_t *slot = table_push(st, t, sizeof row, file, line);
    if (slot)
        *slot = row;
}

static void on_discount(struct load_state *st, const char *file, int line, const char *name,
                        const char *value)
{
    table_t *t = &st->p->discount;
    rule_row_t row = { 0, 0, line };
    int bad = 0;

    if (gv_date_parse(name, &row.from) < 0) {
        gv_errlist_add(st->errs, "%s:%d: [discount] '%s': expected an effective-from date "
                       "YYYY-MM-DD", file, line, name);
        bad = 1;
    }
    if (rule_index(value, &row.rule) < 0) {
        char known[256];
        known_rules(known, sizeof known);
        gv_errlist_add(st->errs, "%s:%d: [discount] %s: unknown rule '%s' (known: %s)", file,
                       line, name, value, known);
        bad = 1;
    }
    if (bad)
        return;
    for (size_t i = 0; i < t->n; i++) {
        const rule_row_t *r = (const rule_row_t *)t->rows + i;
        if (r->from == row.from) {
            gv_errlist_add(st->errs, "%s:%d: [discount] %s: duplicate date (first on line %d)",
                           file, line, name, r->line);
            return;
        }
    }
    rule_row_t *slot = table_push(st, t, sizeof row, file, line);
    if (slot)
        *slot = row;
}

static void on_limits(struct load_state *st, const char *file, int line, const char *name,
                      const char *value)
{
    gv_params_t *p = st->p;

    if (strcmp(name, "plausibility_m3") == 0) {
        int64_t v;
        if (p->plausibility_line) {
            gv_errlist_add(st->errs, "%s:%d: [limits] plausibility_m3: set again (first set on "
                           "line %d)", file, line, p->plausibility_line);
            return;
        }
        p->plausibility_line = line;
        if (value[0] == '+' || gv_decimal_parse(value, 3, &v) < 0 || v <= 0)
            gv_errlist_add(st->errs, "%s:%d: [limits] plausibility_m3: must be a volume in m3 "
                           "greater than 0 (up to three decimals), got '%s'", file, line,
                           value);
        else
            p->plausibility_milli = v;
    } else if (strcmp(name, "pending_deadline_days") == 0) {
        int64_t v;
        if (p->deadline_line) {
            gv_errlist_add(st->errs, "%s:%d: [limits] pending_deadline_days: set again (first "
                           "set on line %d)", file, line, p->deadline_line);
            return;
        }
        p->deadline_line = line;
        if (parse_whole(value, MAX_PENDING_DEADLINE_DAYS, &v) < 0)
            gv_errlist_add(st->errs, "%s:%d: [limits] pending_deadline_days: must be a whole "
                           "number of days from 0 to %d, got '%s'", file, line,
                           MAX_PENDING_DEADLINE_DAYS, value);
        else
            p->pending_deadline_days = (int)v;
    } else {
        gv_errlist_add(st->errs, "%s:%d: [limits] unknown key '%s' (expected plausibility_m3 "
                       "or pending_deadline_days)", file, line, name);
    }
}

static void on_pair(void *user, const char *file, int line, const char *section,
                    const char *name, const char *value, int cont)
{
    struct load_state *st = user;

    if (cont) {
        gv_errlist_add(st->errs, "%s:%d: [%s] %s: values are one line in this file (an "
                       "indented line continues the previous value; start entries in the "
                       "first column)", file, line, section, name);
        return;
    }
    if (!*section) {
        gv_errlist_add(st->errs, "%s:%d: '%s' outside any section", file, line, name);
    } else if (!strcmp(section, "vat")) {
        on_vat(st, file, line, name, value);
    } else if (!strcmp(section, "prices")) {
        on_price(st, file, line, name, value);
    } else if (!strcmp(section, "norms")) {
        on_norm(st, file, line, name, value);
    } else if (!strcmp(section, "discount")) {
        on_discount(st, file, line, name, value);
    } else if (!strcmp(section, "limits")) {
        on_limits(st, file, line, name, value);
    } else if (!strncmp(section, "rule.", 5)) {
        size_t idx;
        if (rule_index(section + 5, &idx) < 0) {
            char known[256];
            known_rules(known, sizeof known);
            gv_errlist_add(st->errs, "%s:%d: section [%s] is for an unknown rule '%s' (known: "
                           "%s)", file, line, section, section + 5, known);
            return;
        }
        if (!st->p->rule_section_line[idx])
            st->p->rule_section_line[idx] = line;
        gv_discount_rules[idx]->params_add(st->p->rule_params[idx], file, line, name, value,
                                           st->errs);
    } else {
        gv_errlist_add(st->errs, "%s:%d: unknown section [%s] (expected vat, prices, norms, "
                       "discount, limits or rule.NAME)", file, line, section);
    }
}

/* ---- load and free -------------------------------------------------------- */

void gv_params_free(gv_params_t *p)
{
    if (!p)
        return;
    if (p->rule_params)
        for (size_t i = 0; i < p->nrules; i++)
            if (p->rule_params[i])
                gv_discount_rules[i]->params_free(p->rule_params[i]);
    free(p->rule_params);
    free(p->rule_section_line);
    free(p->vat.rows);
    free(p->prices.rows);
    free(p->norms.rows);
    free(p->discount.rows);
    free(p);
}

gv_params_t *gv_params_load(const char *path, gv_errlist_t *errs)
{
    struct load_state st;
    size_t before = errs->count;
    gv_params_t *p = calloc(1, sizeof *p);

    if (!p)
        goto oom;
    while (gv_discount_rules[p->nrules])
        p->nrules++;
    p->rule_params = calloc(p->nrules + 1, sizeof *p->rule_params);
    p->rule_section_line = calloc(p->nrules + 1, sizeof *p->rule_section_line);
    if (!p->rule_params || !p->rule_section_line)
        goto oom;
    for (size_t i = 0; i < p->nrules; i++)
        if (!(p->rule_params[i] = gv_discount_rules[i]->params_new()))
            goto oom;
    p->plausibility_milli = DEFAULT_PLAUSIBILITY_MILLI;
    p->pending_deadline_days = DEFAULT_PENDING_DEADLINE_DAYS;

    memset(&st, 0, sizeof st);
    st.p = p;
    st.errs = errs;
    if (gv_ini_parse(path, on_pair, &st, errs) < 0 && errs->count > before &&
        strstr(errs->items[errs->count - 1], "cannot open"))
        goto fail;   /* nothing read: "no [vat]" and the like would only be noise */

    if (p->vat.n == 0)
        gv_errlist_add(errs, "%s: no [vat] entry: VAT must be configured with effective "
                       "dates (R12)", path);
    if (p->discount.n == 0)
        gv_errlist_add(errs, "%s: no [discount] entry: name the discount rule in force from "
                       "some date (R16, R17)", path);
    /* Check the parameters of every rule in use, and of every rule whose
     * section is written (written parameters must be right even if unused). */
    for (size_t i = 0; i < p->nrules; i++) {
        int used = p->rule_section_line[i] != 0;
        for (size_t j = 0; !used && j < p->discount.n; j++)
            used = ((const rule_row_t *)p->discount.rows)[j].rule == i;
        if (used)
            gv_discount_rules[i]->params_check(p->rule_params[i], path, errs);
    }
    if (errs->count > before)
        goto fail;
    return p;

oom:
    gv_errlist_add(errs, "%s: out of memory", path);
fail:
    gv_params_free(p);
    return NULL;
}

/* ---- lookups -------------------------------------------------------------- */

int gv_params_price(const gv_params_t *p, const char *region, int32_t day, int64_t *price)
{
    const price_row_t *best = NULL;

    if (!p || !region)
        return -1;
    for (size_t i = 0; i < p->prices.n; i++) {
        const price_row_t *r = (const price_row_t *)p->prices.rows + i;
        if (r->from <= day && strcmp(r->region, region) == 0 &&
            (!best || r->from > best->from))
            best = r;
    }
    if (!best)
        return -1;
    *price = best->price;
    return 0;
}

int gv_params_vat(const gv_params_t *p, int32_t day, int32_t *vat_bp)
{
    const vat_row_t *best = NULL;

    if (!p)
        return -1;
    for (size_t i = 0; i < p->vat.n; i++) {
        const vat_row_t *r = (const vat_row_t *)p->vat.rows + i;
        if (r->from <= day && (!best || r->from > best->from))
            best = r;
    }
    if (!best)
        return -1;
    *vat_bp = best->bp;
    return 0;
}

int gv_params_norm(const gv_params_t *p, const char *region, int month, int64_t *milli)
{
    const norm_row_t *any = NULL;

    if (!p || month < 1 || month > 12)
        return -1;
    for (size_t i = 0; i < p->norms.n; i++) {
        const norm_row_t *r = (const norm_row_t *)p->norms.rows + i;
        if (r->month != month)
            continue;
        if (region && strcmp(r->region, region) == 0) {
            *milli = r->milli;
            return 0;
        }
        if (strcmp(r->region, "*") == 0)
            any = r;
    }
    if (!any)
        return -1;
    *milli = any->milli;
    return 0;
}

const gv_discount_rule_t *gv_params_rule(const gv_params_t *p, int32_t day,
                                         const void **rule_params)
{
    const rule_row_t *best = NULL;

    if (!p)
        return NULL;
    for (size_t i = 0; i < p->discount.n; i++) {
        const rule_row_t *r = (const rule_row_t *)p->discount.rows + i;
        if (r->from <= day && (!best || r->from > best->from))
            best = r;
    }
    if (!best)
        return NULL;
    if (rule_params)
        *rule_params = p->rule_params[best->rule];
    return gv_discount_rules[best->rule];
}

int64_t gv_params_plausibility_milli(const gv_params_t *p)
{
    return p->plausibility_milli;
}

int gv_params_pending_deadline_days(const gv_params_t *p)
{
    return p->pending_deadline_days;
}
