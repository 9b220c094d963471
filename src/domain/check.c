/* check.c - deciding an account check. */
#include "config.h"
#include "check.h"

gv_check_result_t gv_check_decide(const gv_account_record_t *rec, gv_period_t period,
                                  const gv_conf_t *conf)
{
    if (!rec)
        return GV_CHECK_NOT_FOUND;
    /* An account closed during the period is still billed for it (R8). */
    if (rec->closed && rec->closed_on < gv_period_first_day(period))
        return GV_CHECK_CLOSED;
    if (!rec->household)
        return GV_CHECK_NOT_HOUSEHOLD;
    if (!gv_conf_region_in_pilot(conf, rec->region))
        return GV_CHECK_REGION_NOT_IN_PILOT;
    return GV_CHECK_FOUND;
}

const char *gv_check_result_name(gv_check_result_t r)
{
    static const char *const names[] = { "FOUND", "NOT_FOUND", "CLOSED", "NOT_HOUSEHOLD",
                                         "REGION_NOT_IN_PILOT" };
    return r < GV_CHECK_COUNT ? names[r] : "?";
}
