/* judge.c - the per-voucher rules. */
#include "config.h"
#include "judge.h"

#include <string.h>

static const char *const reason_names[GV_REASON_COUNT] = {
    "", "WRONG_PERIOD", "PERIOD_OUTSIDE_PILOT", "ACTIVATED_OUTSIDE_WINDOW",
    "DUPLICATE_VOUCHER", "UNKNOWN_ACCOUNT", "ACCOUNT_CLOSED", "NOT_HOUSEHOLD",
    "REGION_NOT_IN_PILOT", "DUPLICATE_ACCOUNT_PERIOD",
};

const char *gv_reason_name(gv_reason_t r)
{
    return (unsigned)r < GV_REASON_COUNT ? reason_names[r] : "?";
}

int gv_reason_parse(const char *name, gv_reason_t *r)
{
    if (!name || !*name) {
        *r = GV_REASON_NONE;
        return 0;
    }
    for (int i = 1; i < GV_REASON_COUNT; i++)
        if (strcmp(name, reason_names[i]) == 0) {
            *r = (gv_reason_t)i;
            return 0;
        }
    return -1;
}

int gv_voucher_id_period(const char *id, gv_period_t *p)
{
    int y = 0, m = 0;

    if (strncmp(id, "GV-", 3) != 0)
        return -1;
    for (int i = 3; i < 9; i++) {
        if (id[i] < '0' || id[i] > '9')
            return -1;
        if (i < 7)
            y = y * 10 + (id[i] - '0');
        else
            m = m * 10 + (id[i] - '0');
    }
    if (id[9] != '-' || m < 1 || m > 12)
        return -1;
    p->year = y;
    p->month = m;
    return 0;
}

int gv_in_activation_window(gv_period_t period, int32_t local_day)
{
    int32_t first = gv_period_first_day(period);
    int32_t last = gv_period_last_day(period);
    int32_t open = first + 6;                       /* the 7th */
    int32_t close = first + 28 < last ? first + 28 : last;  /* the 29th */

    return local_day >= open && local_day <= close;
}

gv_reason_t gv_judge_voucher(gv_period_t batch_period, const char *voucher_id,
                             time_t activated, const gv_pilot_dates_t *pilot)
{
    gv_period_t named;
    int32_t day = gv_time_local_day(activated);

    if (gv_voucher_id_period(voucher_id, &named) < 0 || named.year != batch_period.year ||
        named.month != batch_period.month)
        return GV_REASON_WRONG_PERIOD;
    /* A period is inside the pilot when any of its days is. */
    if (gv_period_last_day(batch_period) < pilot->start ||
        gv_period_first_day(batch_period) > pilot->end || day < pilot->start ||
        day > pilot->end)
        return GV_REASON_PERIOD_OUTSIDE_PILOT;
    if (!gv_in_activation_window(batch_period, day))
        return GV_REASON_ACTIVATED_OUTSIDE_WINDOW;
    return GV_REASON_NONE;
}

gv_reason_t gv_judge_account(gv_check_result_t verdict)
{
    switch (verdict) {
    case GV_CHECK_FOUND: return GV_REASON_NONE;
    case GV_CHECK_NOT_FOUND: return GV_REASON_UNKNOWN_ACCOUNT;
    case GV_CHECK_CLOSED: return GV_REASON_ACCOUNT_CLOSED;
    case GV_CHECK_NOT_HOUSEHOLD: return GV_REASON_NOT_HOUSEHOLD;
    case GV_CHECK_REGION_NOT_IN_PILOT: return GV_REASON_REGION_NOT_IN_PILOT;
    default: return GV_REASON_UNKNOWN_ACCOUNT;
    }
}

/* 1 when a comes before b by R7: earlier activation, then the voucher id
 * first byte by byte. */
static int wins_over(const gv_r7_row_t *a, const gv_r7_row_t *b)
{
    if (a->activated != b->activated)
        return a->activated < b->activated;
    return strcmp(a->voucher_id, b->voucher_id) < 0;
}

void gv_r7_resolve(gv_r7_row_t *rows, size_t n)
{
    const gv_r7_row_t *winner = NULL;

    for (size_t i = 0; i < n; i++)
        if (rows[i].standing && rows[i].account_reason == GV_REASON_NONE &&
            (!winner || wins_over(&rows[i], winner)))
            winner = &rows[i];
    for (size_t i = 0; i < n; i++) {
        gv_r7_row_t *r = &rows[i];
        if (r->account_reason != GV_REASON_NONE)
            r->outcome = r->account_reason;
        else if (winner && strcmp(r->voucher_id, winner->voucher_id) == 0)
            r->outcome = GV_REASON_NONE;
        else
            r->outcome = GV_REASON_DUPLICATE_ACCOUNT_PERIOD;
    }
}
