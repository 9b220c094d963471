/* consumption.h - how much gas an account used in a period (pure logic).
 *
 * R14 (metered) and R15 (unmetered).  Readings arrive from the site mapping
 * in any order; this module decides which count, handles roll-over of an
 * n-digit register at 10^n m3 and meter replacement, and says why a volume
 * cannot be billed.  Volumes are thousandths of a cubic metre.
 */
#ifndef GV_CONSUMPTION_H
#define GV_CONSUMPTION_H

#include <stddef.h>
#include <stdint.h>

#include "calendar.h"

typedef enum {
    GV_READ_ACTUAL,
    GV_READ_INSTALL,
    GV_READ_REMOVAL,
    GV_READ_ESTIMATED,      /* never counts (R14) */
} gv_read_kind_t;

/* "ACTUAL", "INSTALL", "REMOVAL", "ESTIMATED" -> kind; -1 otherwise. */
int gv_read_kind_parse(const char *s, gv_read_kind_t *kind);

typedef struct gv_reading {
    char meter[64];         /* the meter's serial (or id): a new one = a replacement */
    int digits;             /* register digits: rolls over at 10^digits m3 */
    int32_t day;            /* reading date, days since epoch */
    int64_t value_milli;    /* register value, thousandths of m3 */
    gv_read_kind_t kind;
    int64_t seq;            /* the site's row order, last tie-break */
} gv_reading_t;

typedef enum {
    GV_CONS_OK,
    GV_CONS_NO_READING,     /* Pending NO_METER_READING */
    GV_CONS_INVALID,        /* Pending INVALID_METER_READING */
} gv_cons_status_t;

/* R14.  Uses the readings dated up to the period's last day (later ones
 * are ignored, estimated ones too).  May reorder r.  limit_milli is the
 * plausibility limit (a result above it is INVALID).  On GV_CONS_OK the
 * volume is in *volume_milli. */
gv_cons_status_t gv_consumption_metered(gv_reading_t *r, size_t n, gv_period_t period,
                                        int64_t limit_milli, int64_t *volume_milli);

/* R15: norm per person (thousandths of m3) x residents; -1 when negative
 * inputs make no sense. */
int64_t gv_consumption_unmetered(int64_t norm_milli_per_person, int residents);

#endif
