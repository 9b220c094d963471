/* check.h - the account check's verdict (pure logic, rules R0, R3, R8). */
#ifndef GV_CHECK_H
#define GV_CHECK_H

#include "calendar.h"
#include "conf.h"
#include "record.h"

typedef enum {
    GV_CHECK_FOUND,
    GV_CHECK_NOT_FOUND,
    GV_CHECK_CLOSED,
    GV_CHECK_NOT_HOUSEHOLD,
    GV_CHECK_REGION_NOT_IN_PILOT,
    GV_CHECK_COUNT
} gv_check_result_t;

/* rec is NULL when the account does not exist.  The first failing check
 * in the order of R0 wins: not found, closed before the period's first
 * day, not a household, region outside the pilot. */
gv_check_result_t gv_check_decide(const gv_account_record_t *rec, gv_period_t period,
                                  const gv_conf_t *conf);
const char *gv_check_result_name(gv_check_result_t r);

#endif
