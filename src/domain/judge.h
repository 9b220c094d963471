/* judge.h - judging a voucher by the rules R0-R8 (pure logic).
 *
 * A voucher is judged in the order of R0 and keeps the first reason that
 * applies.  The checks that need only the voucher and its batch live here;
 * the checks that need other vouchers (R7) are done over a group by
 * gv_r7_resolve, which is given every voucher of one account and period,
 * so the outcome is the same whatever order the parts arrived in.
 */
#ifndef GV_JUDGE_H
#define GV_JUDGE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "calendar.h"
#include "check.h"

/* In the order of R0.  NONE: accepted (so far). */
typedef enum {
    GV_REASON_NONE = 0,
    GV_REASON_WRONG_PERIOD,
    GV_REASON_PERIOD_OUTSIDE_PILOT,
    GV_REASON_ACTIVATED_OUTSIDE_WINDOW,
    GV_REASON_DUPLICATE_VOUCHER,
    GV_REASON_UNKNOWN_ACCOUNT,
    GV_REASON_ACCOUNT_CLOSED,
    GV_REASON_NOT_HOUSEHOLD,
    GV_REASON_REGION_NOT_IN_PILOT,
    GV_REASON_DUPLICATE_ACCOUNT_PERIOD,
    GV_REASON_COUNT
} gv_reason_t;

const char *gv_reason_name(gv_reason_t r);       /* "" for NONE */
/* Name -> reason; NONE for "" or NULL; -1 for an unknown name. */
int gv_reason_parse(const char *name, gv_reason_t *r);

/* The pilot's dates (R2), days since the epoch, inclusive. */
typedef struct gv_pilot_dates {
    int32_t start;
    int32_t end;
} gv_pilot_dates_t;

/* The period a voucher id names (GV-YYYYMM-...); -1 when it names none. */
int gv_voucher_id_period(const char *voucher_id, gv_period_t *p);

/* 1 when local_day lies in the period's activation window (R4): the 7th
 * to the 29th, or to the month's last day when that comes first. */
int gv_in_activation_window(gv_period_t period, int32_t local_day);

/* R6, R2, R4 for one voucher of a batch for batch_period.  activated is
 * the instant; its local day is taken in the pinned zone (R1). */
gv_reason_t gv_judge_voucher(gv_period_t batch_period, const char *voucher_id,
                             time_t activated, const gv_pilot_dates_t *pilot);

/* R8 from the account check's verdict. */
gv_reason_t gv_judge_account(gv_check_result_t verdict);

/* One voucher occurrence of one account and period that passed the checks
 * before DUPLICATE_VOUCHER and is not itself a DUPLICATE_VOUCHER.
 * standing: the first occurrence of its voucher id (lowest part, then
 * position); the others are the same content delivered again and follow
 * the standing one. */
typedef struct gv_r7_row {
    const char *voucher_id;
    int64_t activated;
    int standing;
    gv_reason_t account_reason;   /* R8 outcome of the standing occurrence */
    gv_reason_t outcome;          /* out: NONE = accepted */
} gv_r7_row_t;

/* R7 over one account's occurrences in one period: among the standing
 * occurrences without an R8 reason, the earliest activation wins (ties:
 * the voucher id that sorts first byte by byte); every other is
 * DUPLICATE_ACCOUNT_PERIOD.  Followers get their standing occurrence's
 * outcome.  Rows may come in any order. */
void gv_r7_resolve(gv_r7_row_t *rows, size_t n);

#endif
