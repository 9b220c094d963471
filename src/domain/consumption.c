/* consumption.c - how much gas an account used in a period (R14, R15).
 *
 * Metered volume: the readings that count (actual, install, removal; not
 * estimated; not after the period) are put in one order - day, then the
 * meters in the order they first appeared (so on a replacement day the old
 * meter's readings precede the new one's; two meters first seen the same
 * day: the one removed that day before the one installed), then
 * INSTALL < ACTUAL < REMOVAL
 * within a meter, then the site's row order.  P is the last of them before
 * the period, C the last inside it.  Walking P..C, a step on the same meter
 * adds (next - prev), plus 10^digits m3 when the register went down (it
 * wrapped once); a step from one meter to another adds nothing.  The sum
 * therefore telescopes to (C - P) on one meter and to (removal - P) +
 * (C - installation) across a replacement.
 */
#include "config.h"

#include "consumption.h"

#include <stdint.h>
#include <string.h>

int gv_read_kind_parse(const char *s, gv_read_kind_t *kind)
{
    static const struct {
        const char *name;
        gv_read_kind_t kind;
    } names[] = {
        { "ACTUAL", GV_READ_ACTUAL },
        { "INSTALL", GV_READ_INSTALL },
        { "REMOVAL", GV_READ_REMOVAL },
        { "ESTIMATED", GV_READ_ESTIMATED },
    };

    if (!s || !kind)
        return -1;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(s, names[i].name) == 0) {
            *kind = names[i].kind;
            return 0;
        }
    return -1;
}

/* INSTALL < ACTUAL < REMOVAL on one meter and one day: the installation
 * opens the meter's day, the removal closes it. */
static int kind_rank(gv_read_kind_t k)
{
    switch (k) {
    case GV_READ_INSTALL:
        return 0;
    case GV_READ_ACTUAL:
        return 1;
    case GV_READ_REMOVAL:
        return 2;
    default:
        return 3;
    }
}

/* When a meter first appears among the counting readings all[0..n): its
 * earliest day, and the smallest row number on that day (which breaks the
 * tie when two meters first appear on the same day). */
static void meter_first(const gv_reading_t *all, size_t n, const char *meter, int32_t *day,
                        int64_t *seq)
{
    int found = 0;

    *day = 0;
    *seq = 0;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(all[i].meter, meter) != 0)
            continue;
        if (!found || all[i].day < *day || (all[i].day == *day && all[i].seq < *seq)) {
            *day = all[i].day;
            *seq = all[i].seq;
            found = 1;
        }
    }
}

/* Whether meter has a reading of kind on day among all[0..n). */
static int has_on(const gv_reading_t *all, size_t n, const char *meter, int32_t day,
                  gv_read_kind_t kind)
{
    for (size_t i = 0; i < n; i++)
        if (all[i].day == day && all[i].kind == kind && strcmp(all[i].meter, meter) == 0)
            return 1;
    return 0;
}

/* The order described at the top.  all[0..n) are the counting readings;
 * the meters' first appearance is a property of that set, so it does not
 * change while the window inside it is being sorted.  The last keys (value,
 * digits) only make the order total, so any input order gives one result. */
static int cmp_reading(const gv_reading_t *a, const gv_reading_t *b, const gv_reading_t *all,
                       size_t n)
{
    if (a->day != b->day)
        return a->day < b->day ? -1 : 1;
    int m = strcmp(a->meter, b->meter);
    if (m != 0) {
        int32_t da, db;
        int64_t sa, sb;
        meter_first(all, n, a->meter, &da, &sa);
        meter_first(all, n, b->meter, &db, &sb);
        if (da != db)
            return da < db ? -1 : 1;
        /* Both first seen on a replacement day (a query that starts at
         * the previous closing reading's day): the meter removed that day
         * is the old one, the one installed that day the new one,
         * whatever their names or row numbers say. */
        if (has_on(all, n, a->meter, da, GV_READ_INSTALL) !=
            has_on(all, n, b->meter, db, GV_READ_INSTALL)) {
            int a_new = has_on(all, n, a->meter, da, GV_READ_INSTALL) &&
                        has_on(all, n, b->meter, db, GV_READ_REMOVAL);
            int b_new = has_on(all, n, b->meter, db, GV_READ_INSTALL) &&
                        has_on(all, n, a->meter, da, GV_READ_REMOVAL);
            if (a_new || b_new)
                return a_new ? 1 : -1;
        }
        if (sa != sb)
            return sa < sb ? -1 : 1;
        return m;
    }
    int ka = kind_rank(a->kind), kb = kind_rank(b->kind);
    if (ka != kb)
        return ka < kb ? -1 : 1;
    if (a->seq != b->seq)
        return a->seq < b->seq ? -1 : 1;
    if (a->value_milli != b->value_milli)
        return a->value_milli < b->value_milli ? -1 : 1;
    if (a->digits != b->digits)
        return a->digits < b->digits ? -1 : 1;
    return 0;
}

static void swap_readings(gv_reading_t *a, gv_reading_t *b)
{
    gv_reading_t t = *a;
    *a = *b;
    *b = t;
}

/* Moves the readings satisfying keep() to the front; returns how many. */
static size_t partition(gv_reading_t *r, size_t n, int (*keep)(const gv_reading_t *, int32_t),
                        int32_t arg)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (keep(&r[i], arg)) {
            if (i != k)
                swap_readings(&r[i], &r[k]);
            k++;
        }
    return k;
}

static int counts(const gv_reading_t *x, int32_t last_day)
{
    return x->kind != GV_READ_ESTIMATED && x->day <= last_day;
}

static int from_day(const gv_reading_t *x, int32_t day)
{
    return x->day >= day;
}

/* 10^digits m3 in thousandths, or -1 when digits is outside 1..12. */
static int64_t register_span(int digits)
{
    if (digits < 1 || digits > 12)
        return -1;
    int64_t span = 1000;
    for (int i = 0; i < digits; i++)
        span *= 10;
    return span;
}

static int reading_valid(const gv_reading_t *x)
{
    int64_t span = register_span(x->digits);
    return span > 0 && x->value_milli >= 0 && x->value_milli < span;
}

gv_cons_status_t gv_consumption_metered(gv_reading_t *r, size_t n, gv_period_t period,
                                        int64_t limit_milli, int64_t *volume_milli)
{
    int32_t first = gv_period_first_day(period);
    int32_t last = gv_period_last_day(period);

    if (n > 0 && !r)
        return GV_CONS_NO_READING;

    /* The readings that count, at r[0..m). */
    size_t m = partition(r, n, counts, last);

    /* P's day: the last day before the period with a reading.  C exists
     * when some reading is dated inside the period. */
    int have_prev = 0, have_close = 0;
    int32_t prev_day = 0;
    for (size_t i = 0; i < m; i++) {
        if (r[i].day < first) {
            if (!have_prev || r[i].day > prev_day)
                prev_day = r[i].day;
            have_prev = 1;
        } else {
            have_close = 1;
        }
    }
    if (!have_close || !have_prev)
        return GV_CONS_NO_READING;

    /* Only the window from P's day on needs ordering; readings before it
     * cannot be P nor lie between P and C.  Insertion sort: the window is
     * about a month of readings, and the comparison needs all of r[0..m). */
    size_t w = partition(r, m, from_day, prev_day);
    for (size_t i = 1; i < w; i++)
        for (size_t j = i; j > 0 && cmp_reading(&r[j - 1], &r[j], r, m) > 0; j--)
            swap_readings(&r[j - 1], &r[j]);

    /* P is the last reading of its day; C is the last of the window. */
    size_t p = 0;
    while (p + 1 < w && r[p + 1].day < first)
        p++;

    /* Every reading the walk uses must be a possible register value. */
    for (size_t i = p; i < w; i++)
        if (!reading_valid(&r[i]))
            return GV_CONS_INVALID;

    /* The sum only grows (a decrease is a wrap), so it is checked against
     * the limit at each step, which also keeps it from overflowing. */
    if (limit_milli < 0)
        return GV_CONS_INVALID;
    int64_t sum = 0;
    for (size_t i = p + 1; i < w; i++) {
        const gv_reading_t *a = &r[i - 1], *b = &r[i];
        if (strcmp(a->meter, b->meter) != 0)
            continue; /* removal -> installation: no gas went through */
        if (a->digits != b->digits)
            return GV_CONS_INVALID; /* one register cannot change its size */
        int64_t step = b->value_milli - a->value_milli;
        if (step < 0)
            step += register_span(a->digits);
        if (step > limit_milli - sum)
            return GV_CONS_INVALID;
        sum += step;
    }
    *volume_milli = sum;
    return GV_CONS_OK;
}

int64_t gv_consumption_unmetered(int64_t norm_milli_per_person, int residents)
{
    if (norm_milli_per_person < 0 || residents < 0)
        return -1;
    /* A product that does not fit is as meaningless as a negative input. */
    if (residents > 0 && norm_milli_per_person > INT64_MAX / residents)
        return -1;
    return norm_milli_per_person * residents;
}
