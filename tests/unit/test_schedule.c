/* test_schedule.c - when a period's list is due for pulling (R5). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "calendar.h"
#include "jobs.h"

static int32_t day(const char *ymd)
{
    int32_t d = 0;
    assert_int_equal(gv_date_parse(ymd, &d), 0);
    return d;
}

/* today, pull_days, the periods due ("" = none), space separated */
static const struct { const char *today; long days; const char *want; } cases[] = {
    { "2025-09-29", 10, "" },
    { "2025-09-30", 10, "2025-09" },
    { "2025-10-01", 10, "2025-09" },
    { "2025-10-10", 10, "2025-09" },
    { "2025-10-11", 10, "" },
    { "2025-10-30", 10, "2025-10" },
    { "2025-10-31", 0, "" },
    { "2025-10-30", 0, "2025-10" },
    /* February: the last day, whatever the year */
    { "2026-02-27", 10, "" },
    { "2026-02-28", 10, "2026-02" },
    { "2026-03-01", 10, "2026-02" },
    { "2026-03-10", 10, "2026-02" },
    { "2026-03-11", 10, "" },
    { "2028-02-28", 10, "" },
    { "2028-02-29", 10, "2028-02" },
    /* the year's turn */
    { "2025-12-30", 10, "2025-12" },
    { "2026-01-05", 10, "2025-12" },
    /* a long tail reaches the next month's due day: both are due */
    { "2025-10-30", 31, "2025-09 2025-10" },
    /* billing's Pending deadline may reach two months back (oldest first) */
    { "2025-11-30", 61, "2025-09 2025-10 2025-11" },
    { "2025-11-29", 60, "2025-09 2025-10" },
    { "2025-11-30", 60, "2025-10 2025-11" },
    { "2026-03-01", 30, "2026-01 2026-02" },
};

static void test_due_periods(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        gv_period_t due[4];
        char got[64] = "";
        size_t len = 0;
        int n = gv_jobs_due_periods(day(cases[i].today), cases[i].days, due, 4);
        for (int k = 0; k < n; k++)
            len += (size_t)snprintf(got + len, sizeof got - len, "%s%04d-%02d", k ? " " : "",
                                    due[k].year, due[k].month);
        if (strcmp(got, cases[i].want) != 0)
            fail_msg("%s (+%ld days): got '%s', want '%s'", cases[i].today, cases[i].days, got,
                     cases[i].want);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_due_periods),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
