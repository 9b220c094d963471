/* test_judge.c - judging one voucher (R0, R2, R4, R6), the account
 * verdict (R8), the reason names, and R7 over one account's group.
 * The suite runs with TZ=America/Los_Angeles: the setup pins Asia/Almaty
 * and nothing here may depend on the machine's zone. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calendar.h"
#include "judge.h"

#define NONE GV_REASON_NONE
#define WRONG GV_REASON_WRONG_PERIOD
#define PILOT GV_REASON_PERIOD_OUTSIDE_PILOT
#define WINDOW GV_REASON_ACTIVATED_OUTSIDE_WINDOW

static int setup(void **state)
{
    (void)state;
    return gv_time_init("Asia/Almaty") == 0 ? 0 : -1;
}

static gv_pilot_dates_t pilot_of(const char *start, const char *end)
{
    gv_pilot_dates_t p;

    assert_int_equal(gv_date_parse(start, &p.start), 0);
    assert_int_equal(gv_date_parse(end, &p.end), 0);
    return p;
}

/* ---- gv_judge_voucher ---------------------------------------------------- */

typedef struct {
    const char *name;
    const char *period;       /* the batch's */
    const char *voucher_id;   /* NULL: GV-<period>-000001 */
    const char *activated;
    const char *pilot_end;    /* NULL: 2026-06-30 (start is always 2025-08-28) */
    gv_reason_t expected;
} judge_case_t;

static const judge_case_t judge_cases[] = {
    /* ---- September 2025: the edges from the issue ---- */
    { "Sep: 19:00Z on the 6th is the 7th", "2025-09", NULL, "2025-09-06T19:00:00Z", NULL, NONE },
    { "Sep: 18:59:59Z on the 6th is the 6th", "2025-09", NULL, "2025-09-06T18:59:59Z", NULL,
      WINDOW },
    { "Sep: 18:59:59.999Z is still the 6th", "2025-09", NULL, "2025-09-06T18:59:59.999Z", NULL,
      WINDOW },
    { "Sep: 29th 23:59:59 local inside", "2025-09", NULL, "2025-09-29T23:59:59+05:00", NULL,
      NONE },
    { "Sep: 29th 23:59:59.999 local inside", "2025-09", NULL, "2025-09-29T23:59:59.999+05:00",
      NULL, NONE },
    { "Sep: 19:00Z on the 29th is the 30th", "2025-09", NULL, "2025-09-29T19:00:00Z", NULL,
      WINDOW },
    { "Sep: 18:59:59Z on the 29th inside", "2025-09", NULL, "2025-09-29T18:59:59Z", NULL, NONE },
    /* the same instants in other offsets */
    { "Sep open +05:00", "2025-09", NULL, "2025-09-07T00:00:00+05:00", NULL, NONE },
    { "Sep open +06:00", "2025-09", NULL, "2025-09-07T01:00:00+06:00", NULL, NONE },
    { "Sep open -03:00", "2025-09", NULL, "2025-09-06T16:00:00-03:00", NULL, NONE },
    { "Sep open +00:00", "2025-09", NULL, "2025-09-06T19:00:00+00:00", NULL, NONE },
    { "Sep open -00:00", "2025-09", NULL, "2025-09-06T19:00:00-00:00", NULL, NONE },
    { "Sep before open +05:00", "2025-09", NULL, "2025-09-06T23:59:59+05:00", NULL, WINDOW },
    { "Sep before open +06:00", "2025-09", NULL, "2025-09-07T00:59:59+06:00", NULL, WINDOW },
    { "Sep before open -03:00", "2025-09", NULL, "2025-09-06T15:59:59-03:00", NULL, WINDOW },
    { "Sep before open +00:00", "2025-09", NULL, "2025-09-06T18:59:59+00:00", NULL, WINDOW },
    { "Sep close +06:00", "2025-09", NULL, "2025-09-30T00:59:59+06:00", NULL, NONE },
    { "Sep close -03:00", "2025-09", NULL, "2025-09-29T15:59:59-03:00", NULL, NONE },
    { "Sep close +00:00", "2025-09", NULL, "2025-09-29T18:59:59+00:00", NULL, NONE },
    { "Sep after close +05:00", "2025-09", NULL, "2025-09-30T00:00:00+05:00", NULL, WINDOW },
    { "Sep after close +06:00", "2025-09", NULL, "2025-09-30T01:00:00+06:00", NULL, WINDOW },
    { "Sep after close -03:00", "2025-09", NULL, "2025-09-29T16:00:00-03:00", NULL, WINDOW },
    { "Sep after close +00:00", "2025-09", NULL, "2025-09-29T19:00:00+00:00", NULL, WINDOW },
    { "Sep: +14:00 far east, local 7th", "2025-09", NULL, "2025-09-07T14:00:00+14:00", NULL,
      NONE },
    { "Sep: -12:00 far west, local 30th", "2025-09", NULL, "2025-09-29T07:00:00-12:00", NULL,
      WINDOW },
    { "Sep: mid-month", "2025-09", NULL, "2025-09-15T12:00:00+05:00", NULL, NONE },
    { "Sep: 1st", "2025-09", NULL, "2025-09-01T10:00:00+05:00", NULL, WINDOW },
    { "Sep: 30th", "2025-09", NULL, "2025-09-30T10:00:00+05:00", NULL, WINDOW },

    /* ---- February 2026: 7th..28th ---- */
    { "Feb26: 6th 23:59:59", "2026-02", NULL, "2026-02-06T23:59:59+05:00", NULL, WINDOW },
    { "Feb26: 7th 00:00", "2026-02", NULL, "2026-02-07T00:00:00+05:00", NULL, NONE },
    { "Feb26: 28th 23:59:59 inside", "2026-02", NULL, "2026-02-28T23:59:59+05:00", NULL, NONE },
    { "Feb26: 28th 18:59:59Z inside", "2026-02", NULL, "2026-02-28T18:59:59Z", NULL, NONE },
    { "Feb26: Mar 1st 00:00 outside", "2026-02", NULL, "2026-03-01T00:00:00+05:00", NULL,
      WINDOW },
    { "Feb26: 28th 19:00Z is Mar 1st", "2026-02", NULL, "2026-02-28T19:00:00Z", NULL, WINDOW },

    /* ---- leap February 2028, the pilot extended: 7th..29th ---- */
    { "Feb28: 6th 23:59:59", "2028-02", NULL, "2028-02-06T23:59:59+05:00", "2028-12-31",
      WINDOW },
    { "Feb28: 7th 00:00", "2028-02", NULL, "2028-02-07T00:00:00+05:00", "2028-12-31", NONE },
    { "Feb28: 28th", "2028-02", NULL, "2028-02-28T12:00:00+05:00", "2028-12-31", NONE },
    { "Feb28: 29th 23:59:59 inside", "2028-02", NULL, "2028-02-29T23:59:59+05:00", "2028-12-31",
      NONE },
    { "Feb28: 29th 18:59:59Z inside", "2028-02", NULL, "2028-02-29T18:59:59Z", "2028-12-31",
      NONE },
    { "Feb28: Mar 1st 00:00 outside", "2028-02", NULL, "2028-03-01T00:00:00+05:00",
      "2028-12-31", WINDOW },
    { "Feb28: 29th 19:00Z is Mar 1st", "2028-02", NULL, "2028-02-29T19:00:00Z", "2028-12-31",
      WINDOW },
    { "Feb28: not extended -> outside pilot", "2028-02", NULL, "2028-02-15T12:00:00+05:00",
      NULL, PILOT },

    /* ---- April 2026 (30 days): the 29th is the end ---- */
    { "Apr: 29th 23:59:59 inside", "2026-04", NULL, "2026-04-29T23:59:59+05:00", NULL, NONE },
    { "Apr: 30th 00:00 outside", "2026-04", NULL, "2026-04-30T00:00:00+05:00", NULL, WINDOW },
    { "Apr: 29th 19:00Z is the 30th", "2026-04", NULL, "2026-04-29T19:00:00Z", NULL, WINDOW },
    { "Apr: 7th", "2026-04", NULL, "2026-04-07T00:00:00+05:00", NULL, NONE },
    /* ---- a 31-day month ---- */
    { "Jan: 29th inside", "2026-01", NULL, "2026-01-29T23:59:59+05:00", NULL, NONE },
    { "Jan: 30th outside", "2026-01", NULL, "2026-01-30T00:00:00+05:00", NULL, WINDOW },
    { "Jan: 31st outside", "2026-01", NULL, "2026-01-31T12:00:00+05:00", NULL, WINDOW },
    { "Dec: 29th inside", "2025-12", NULL, "2025-12-29T23:59:59+05:00", NULL, NONE },
    { "Dec: 31st outside", "2025-12", NULL, "2025-12-31T23:59:59+05:00", NULL, WINDOW },

    /* ---- activation in another month than the period ---- */
    { "Sep batch, Oct 10th", "2025-09", NULL, "2025-10-10T12:00:00+05:00", NULL, WINDOW },
    { "Sep batch, Oct 7th (in Oct's window)", "2025-09", NULL, "2025-10-07T12:00:00+05:00",
      NULL, WINDOW },
    { "Sep batch, Aug 30th", "2025-09", NULL, "2025-08-30T12:00:00+05:00", NULL, WINDOW },
    { "Sep batch, Sep 10th a year later", "2025-09", NULL, "2026-09-10T12:00:00+05:00",
      "2026-12-31", WINDOW },
    { "Oct batch, Sep 15th", "2025-10", NULL, "2025-09-15T12:00:00+05:00", NULL, WINDOW },

    /* ---- R6: the id names another period ---- */
    { "id GV-202510 in Sep", "2025-09", "GV-202510-000001", "2025-09-10T12:00:00+05:00", NULL,
      WRONG },
    { "id GV-202508 in Sep", "2025-09", "GV-202508-000001", "2025-09-10T12:00:00+05:00", NULL,
      WRONG },
    { "id GV-202409 (other year) in Sep", "2025-09", "GV-202409-000001",
      "2025-09-10T12:00:00+05:00", NULL, WRONG },
    { "id GV-202609 in Sep", "2025-09", "GV-202609-ABCD", "2025-09-10T12:00:00+05:00", NULL,
      WRONG },
    { "malformed: empty", "2025-09", "", "2025-09-10T12:00:00+05:00", NULL, WRONG },
    { "malformed: GV-", "2025-09", "GV-", "2025-09-10T12:00:00+05:00", NULL, WRONG },
    { "malformed: GV-2025", "2025-09", "GV-2025", "2025-09-10T12:00:00+05:00", NULL, WRONG },
    { "malformed: GV-202509 no dash", "2025-09", "GV-202509", "2025-09-10T12:00:00+05:00", NULL,
      WRONG },
    { "malformed: prefix XX", "2025-09", "XX-202509-000001", "2025-09-10T12:00:00+05:00", NULL,
      WRONG },
    { "malformed: lowercase gv", "2025-09", "gv-202509-000001", "2025-09-10T12:00:00+05:00",
      NULL, WRONG },
    { "malformed: month 13", "2025-09", "GV-202513-000001", "2025-09-10T12:00:00+05:00", NULL,
      WRONG },
    { "malformed: month 00", "2025-09", "GV-202500-000001", "2025-09-10T12:00:00+05:00", NULL,
      WRONG },
    { "malformed: letter in YYYYMM", "2025-09", "GV-20250A-000001", "2025-09-10T12:00:00+05:00",
      NULL, WRONG },
    { "malformed: underscore", "2025-09", "GV-202509_000001", "2025-09-10T12:00:00+05:00", NULL,
      WRONG },
    { "malformed: YYYY-MM", "2025-09", "GV-2025-09-000001", "2025-09-10T12:00:00+05:00", NULL,
      WRONG },
    { "malformed: 5-digit period", "2025-09", "GV-20259-000001", "2025-09-10T12:00:00+05:00",
      NULL, WRONG },
    { "ok: letters in the tail", "2025-09", "GV-202509-0000A", "2025-09-10T12:00:00+05:00", NULL,
      NONE },

    /* ---- R2: the pilot's dates ---- */
    { "period 2025-07", "2025-07", NULL, "2025-07-10T12:00:00+05:00", NULL, PILOT },
    { "period 2026-07", "2026-07", NULL, "2026-07-10T12:00:00+05:00", NULL, PILOT },
    { "period 2025-08, activated 27th", "2025-08", NULL, "2025-08-27T12:00:00+05:00", NULL,
      PILOT },
    { "period 2025-08, 27th 23:59:59 local", "2025-08", NULL, "2025-08-27T23:59:59+05:00", NULL,
      PILOT },
    { "period 2025-08, 27th 18:59:59Z", "2025-08", NULL, "2025-08-27T18:59:59Z", NULL, PILOT },
    { "period 2025-08, 27th 19:00Z is the 28th", "2025-08", NULL, "2025-08-27T19:00:00Z", NULL,
      NONE },
    { "period 2025-08, activated 28th", "2025-08", NULL, "2025-08-28T00:00:00+05:00", NULL,
      NONE },
    { "period 2025-08, activated 29th", "2025-08", NULL, "2025-08-29T23:59:59+05:00", NULL,
      NONE },
    { "period 2025-08, activated 30th", "2025-08", NULL, "2025-08-30T00:00:00+05:00", NULL,
      WINDOW },
    { "period 2025-08, activated 10th", "2025-08", NULL, "2025-08-10T12:00:00+05:00", NULL,
      PILOT },
    { "period 2026-06, 29th inside", "2026-06", NULL, "2026-06-29T23:59:59+05:00", NULL, NONE },
    { "period 2026-06, Jul 1st (after pilot)", "2026-06", NULL, "2026-07-01T00:00:00+05:00",
      NULL, PILOT },
    { "period 2026-06, 30th (pilot's last day)", "2026-06", NULL, "2026-06-30T12:00:00+05:00",
      NULL, WINDOW },
    { "period 2025-09, activated before the pilot", "2025-09", NULL,
      "2025-08-20T12:00:00+05:00", NULL, PILOT },
    { "period 2026-07, pilot extended", "2026-07", NULL, "2026-07-10T12:00:00+05:00",
      "2026-12-31", NONE },

    /* ---- R0: the first failing check wins ---- */
    { "R0: wrong period beats outside pilot", "2025-07", "GV-202508-000001",
      "2025-07-10T12:00:00+05:00", NULL, WRONG },
    { "R0: wrong period beats window", "2025-09", "GV-202510-000001",
      "2025-09-01T12:00:00+05:00", NULL, WRONG },
    { "R0: wrong period beats all", "2026-07", "GV-202509-000001",
      "2026-07-30T12:00:00+05:00", NULL, WRONG },
    { "R0: malformed id beats outside pilot", "2025-07", "bad", "2025-07-01T12:00:00+05:00",
      NULL, WRONG },
    { "R0: outside pilot beats window (period)", "2025-07", NULL, "2025-07-01T12:00:00+05:00",
      NULL, PILOT },
    { "R0: outside pilot beats window (activation)", "2025-08", NULL,
      "2025-08-01T12:00:00+05:00", NULL, PILOT },
    { "R0: outside pilot beats window (2026-07 30th)", "2026-07", NULL,
      "2026-07-30T12:00:00+05:00", NULL, PILOT },
};

static void test_judge_voucher_table(void **state)
{
    int failures = 0;
    (void)state;

    for (size_t i = 0; i < sizeof judge_cases / sizeof judge_cases[0]; i++) {
        const judge_case_t *c = &judge_cases[i];
        gv_pilot_dates_t pilot = pilot_of("2025-08-28", c->pilot_end ? c->pilot_end : "2026-06-30");
        gv_period_t period;
        time_t t;
        char id[40];
        gv_reason_t got;

        assert_int_equal(gv_period_parse(c->period, &period), 0);
        if (gv_datetime_parse(c->activated, &t) != 0)
            fail_msg("case '%s': cannot parse %s", c->name, c->activated);
        if (c->voucher_id)
            snprintf(id, sizeof id, "%s", c->voucher_id);
        else
            snprintf(id, sizeof id, "GV-%04d%02d-000001", period.year, period.month);
        got = gv_judge_voucher(period, id, t, &pilot);
        if (got != c->expected) {
            print_message("FAIL %s: period %s id '%s' at %s: got %s, expected %s\n", c->name,
                          c->period, id, c->activated,
                          got ? gv_reason_name(got) : "NONE",
                          c->expected ? gv_reason_name(c->expected) : "NONE");
            failures++;
        }
    }
    assert_int_equal(failures, 0);
}

/* The judgement uses the pinned zone, not TZ as it was. */
static void test_judge_ignores_machine_zone(void **state)
{
    gv_pilot_dates_t pilot = pilot_of("2025-08-28", "2026-06-30");
    gv_period_t sep = { 2025, 9 };
    time_t open, before;
    (void)state;

    assert_int_equal(gv_datetime_parse("2025-09-06T19:00:00Z", &open), 0);
    assert_int_equal(gv_datetime_parse("2025-09-06T18:59:59Z", &before), 0);
    assert_int_equal(gv_time_local_day(open), gv_days_from_civil(2025, 9, 7));
    assert_int_equal(gv_time_local_day(before), gv_days_from_civil(2025, 9, 6));
    assert_int_equal(gv_judge_voucher(sep, "GV-202509-000001", open, &pilot), NONE);
    assert_int_equal(gv_judge_voucher(sep, "GV-202509-000001", before, &pilot), WINDOW);
}

static void test_voucher_id_period(void **state)
{
    gv_period_t p = { 0, 0 };
    (void)state;

    assert_int_equal(gv_voucher_id_period("GV-202509-000001", &p), 0);
    assert_int_equal(p.year, 2025);
    assert_int_equal(p.month, 9);
    assert_int_equal(gv_voucher_id_period("GV-202612-ABCD", &p), 0);
    assert_int_equal(p.year, 2026);
    assert_int_equal(p.month, 12);
    assert_int_equal(gv_voucher_id_period("GV-202601-0000A", &p), 0);
    assert_int_equal(p.month, 1);
    assert_int_equal(gv_voucher_id_period("GV-202513-0001", &p), -1);
    assert_int_equal(gv_voucher_id_period("GV-202500-0001", &p), -1);
    assert_int_equal(gv_voucher_id_period("GV-2025", &p), -1);
    assert_int_equal(gv_voucher_id_period("", &p), -1);
    assert_int_equal(gv_voucher_id_period("GVB-990340001234-202509-001", &p), -1);
}

/* ---- gv_in_activation_window ------------------------------------------ */

static int month_len(int y, int m)
{
    static const int len[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : len[m - 1];
}

/* Every day of 2025..2028 against every period of 2025..2028: inside only
 * for the period's own month, day 7..min(29, month length). */
static void test_window_exhaustive(void **state)
{
    int failures = 0;
    long inside = 0;
    (void)state;

    for (int py = 2025; py <= 2028; py++)
        for (int pm = 1; pm <= 12; pm++) {
            gv_period_t period = { py, pm };
            int32_t day = gv_days_from_civil(2025, 1, 1);
            for (int y = 2025; y <= 2028; y++)
                for (int m = 1; m <= 12; m++)
                    for (int d = 1; d <= month_len(y, m); d++, day++) {
                        int last = month_len(y, m) < 29 ? month_len(y, m) : 29;
                        int want = y == py && m == pm && d >= 7 && d <= last;
                        int got = gv_in_activation_window(period, day);
                        assert_int_equal(day, gv_days_from_civil(y, m, d));
                        if (got != want) {
                            if (failures++ < 20)
                                print_message("FAIL period %04d-%02d day %04d-%02d-%02d: "
                                              "got %d, expected %d\n",
                                              py, pm, y, m, d, got, want);
                        }
                        inside += got;
                    }
        }
    assert_int_equal(failures, 0);
    /* 48 months: 23 days each, 22 for the 28-day Februaries (2025, 2026,
     * 2027), 23 for February 2028. */
    assert_int_equal(inside, 48 * 23 - 3);
}

/* ---- gv_judge_account, reason names ----------------------------------- */

static void test_judge_account(void **state)
{
    static const struct {
        gv_check_result_t verdict;
        gv_reason_t reason;
    } t[] = {
        { GV_CHECK_FOUND, GV_REASON_NONE },
        { GV_CHECK_NOT_FOUND, GV_REASON_UNKNOWN_ACCOUNT },
        { GV_CHECK_CLOSED, GV_REASON_ACCOUNT_CLOSED },
        { GV_CHECK_NOT_HOUSEHOLD, GV_REASON_NOT_HOUSEHOLD },
        { GV_CHECK_REGION_NOT_IN_PILOT, GV_REASON_REGION_NOT_IN_PILOT },
    };
    (void)state;

    assert_int_equal(sizeof t / sizeof t[0], GV_CHECK_COUNT);
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        assert_int_equal(gv_judge_account(t[i].verdict), t[i].reason);
    /* Anything unknown is never accepted. */
    assert_int_not_equal(gv_judge_account(GV_CHECK_COUNT), GV_REASON_NONE);
}

static void test_reason_names(void **state)
{
    static const char *const names[GV_REASON_COUNT] = {
        "", "WRONG_PERIOD", "PERIOD_OUTSIDE_PILOT", "ACTIVATED_OUTSIDE_WINDOW",
        "DUPLICATE_VOUCHER", "UNKNOWN_ACCOUNT", "ACCOUNT_CLOSED", "NOT_HOUSEHOLD",
        "REGION_NOT_IN_PILOT", "DUPLICATE_ACCOUNT_PERIOD",
    };
    gv_reason_t r;
    (void)state;

    for (int i = 0; i < GV_REASON_COUNT; i++) {
        const char *n = gv_reason_name((gv_reason_t)i);
        assert_string_equal(n, names[i]);
        r = (gv_reason_t)-7;
        assert_int_equal(gv_reason_parse(n, &r), 0);
        assert_int_equal(r, i);
    }
    r = GV_REASON_WRONG_PERIOD;
    assert_int_equal(gv_reason_parse(NULL, &r), 0);
    assert_int_equal(r, GV_REASON_NONE);
    assert_int_equal(gv_reason_parse("NONE", &r), -1);
    assert_int_equal(gv_reason_parse("wrong_period", &r), -1);
    assert_int_equal(gv_reason_parse("WRONG_PERIOD ", &r), -1);
    assert_int_equal(gv_reason_parse("DUPLICATE", &r), -1);
    assert_string_equal(gv_reason_name(GV_REASON_COUNT), "?");
    assert_string_equal(gv_reason_name((gv_reason_t)-1), "?");
}

/* ---- gv_r7_resolve ---------------------------------------------------- */

typedef struct {
    const char *id;
    int64_t at;
    int standing;
    gv_reason_t account_reason;
    gv_reason_t expected;
} r7_in_t;

typedef struct {
    const char *name;
    size_t n;
    r7_in_t rows[8];
} r7_case_t;

#define DUP GV_REASON_DUPLICATE_ACCOUNT_PERIOD
#define UNK GV_REASON_UNKNOWN_ACCOUNT
#define CLO GV_REASON_ACCOUNT_CLOSED
#define NHH GV_REASON_NOT_HOUSEHOLD
#define REG GV_REASON_REGION_NOT_IN_PILOT

static const r7_case_t r7_cases[] = {
    { "one voucher", 1, { { "GV-202509-0001", 100, 1, NONE, NONE } } },
    { "earliest wins", 3,
      { { "GV-202509-0001", 300, 1, NONE, DUP },
        { "GV-202509-0002", 100, 1, NONE, NONE },
        { "GV-202509-0003", 200, 1, NONE, DUP } } },
    { "earliest wins over the id order", 2,
      { { "GV-202509-0001", 101, 1, NONE, DUP }, { "GV-202509-9999", 100, 1, NONE, NONE } } },
    { "tie: '9' (0x39) sorts before 'A' (0x41)", 2,
      { { "GV-202509-0000A", 500, 1, NONE, DUP }, { "GV-202509-00009", 500, 1, NONE, NONE } } },
    { "tie: shorter prefix sorts first", 2,
      { { "GV-202509-00001", 500, 1, NONE, DUP }, { "GV-202509-0000", 500, 1, NONE, NONE } } },
    { "tie among three", 3,
      { { "GV-202509-B000", 7, 1, NONE, DUP },
        { "GV-202509-A000", 7, 1, NONE, NONE },
        { "GV-202509-C000", 7, 1, NONE, DUP } } },
    { "earliest has an account reason: next wins", 3,
      { { "GV-202509-0001", 100, 1, UNK, UNK },
        { "GV-202509-0002", 200, 1, NONE, NONE },
        { "GV-202509-0003", 300, 1, NONE, DUP } } },
    { "followers follow the winner", 4,
      { { "GV-202509-0001", 100, 1, NONE, NONE },
        { "GV-202509-0001", 100, 0, NONE, NONE },
        { "GV-202509-0002", 200, 1, NONE, DUP },
        { "GV-202509-0002", 200, 0, NONE, DUP } } },
    { "follower listed before its standing row", 3,
      { { "GV-202509-0002", 200, 0, NONE, DUP },
        { "GV-202509-0001", 100, 1, NONE, NONE },
        { "GV-202509-0002", 200, 1, NONE, DUP } } },
    { "followers of a standing row with an account reason", 4,
      { { "GV-202509-0001", 100, 1, CLO, CLO },
        { "GV-202509-0001", 100, 0, CLO, CLO },
        { "GV-202509-0002", 200, 1, NONE, NONE },
        { "GV-202509-0002", 200, 0, NONE, NONE } } },
    { "all have account reasons", 4,
      { { "GV-202509-0001", 100, 1, UNK, UNK },
        { "GV-202509-0002", 200, 1, CLO, CLO },
        { "GV-202509-0003", 300, 1, NHH, NHH },
        { "GV-202509-0004", 50, 1, REG, REG } } },
    { "all have account reasons, with followers", 3,
      { { "GV-202509-0001", 100, 1, UNK, UNK },
        { "GV-202509-0001", 100, 0, UNK, UNK },
        { "GV-202509-0002", 200, 1, REG, REG } } },
    { "negative and large instants", 3,
      { { "GV-202509-0001", INT64_C(9000000000), 1, NONE, DUP },
        { "GV-202509-0002", -5, 1, NONE, NONE },
        { "GV-202509-0003", 0, 1, NONE, DUP } } },
};

static void test_r7_table(void **state)
{
    int failures = 0;
    (void)state;

    for (size_t c = 0; c < sizeof r7_cases / sizeof r7_cases[0]; c++) {
        const r7_case_t *k = &r7_cases[c];
        gv_r7_row_t rows[8];

        for (size_t i = 0; i < k->n; i++)
            rows[i] = (gv_r7_row_t){ k->rows[i].id, k->rows[i].at, k->rows[i].standing,
                                     k->rows[i].account_reason, (gv_reason_t)-1 };
        gv_r7_resolve(rows, k->n);
        for (size_t i = 0; i < k->n; i++)
            if (rows[i].outcome != k->rows[i].expected) {
                print_message("FAIL %s: row %zu (%s): got '%s', expected '%s'\n", k->name, i,
                              k->rows[i].id, gv_reason_name(rows[i].outcome),
                              gv_reason_name(k->rows[i].expected));
                failures++;
            }
        /* And reversed. */
        for (size_t i = 0; i < k->n; i++) {
            const r7_in_t *in = &k->rows[k->n - 1 - i];
            rows[i] = (gv_r7_row_t){ in->id, in->at, in->standing, in->account_reason,
                                     (gv_reason_t)-1 };
        }
        gv_r7_resolve(rows, k->n);
        for (size_t i = 0; i < k->n; i++)
            if (rows[i].outcome != k->rows[k->n - 1 - i].expected) {
                print_message("FAIL %s (reversed): row %zu: got '%s', expected '%s'\n", k->name,
                              i, gv_reason_name(rows[i].outcome),
                              gv_reason_name(k->rows[k->n - 1 - i].expected));
                failures++;
            }
    }
    gv_r7_resolve(NULL, 0);      /* an empty group is nothing to do */
    assert_int_equal(failures, 0);
}

/* A small, seeded PRNG (xorshift64*) so the property test is repeatable. */
static uint64_t rng_state = UINT64_C(0x9E3779B97F4A7C15);

static uint32_t rnd(uint32_t n)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (uint32_t)((rng_state * UINT64_C(2685821657736338717)) >> 33) % n;
}

/* The expected outcomes, computed independently of judge.c. */
static void r7_reference(const gv_r7_row_t *rows, size_t n, gv_reason_t *out)
{
    long best = -1;

    for (size_t i = 0; i < n; i++) {
        if (!rows[i].standing || rows[i].account_reason != NONE)
            continue;
        if (best < 0)
            best = (long)i;
        else {
            const gv_r7_row_t *b = &rows[best];
            int cmp = rows[i].activated < b->activated   ? -1
                      : rows[i].activated > b->activated ? 1
                                                         : 0;
            if (cmp == 0) {
                /* byte by byte, unsigned */
                const unsigned char *x = (const unsigned char *)rows[i].voucher_id;
                const unsigned char *y = (const unsigned char *)b->voucher_id;
                while (*x && *x == *y)
                    x++, y++;
                cmp = *x < *y ? -1 : *x > *y;
            }
            if (cmp < 0)
                best = (long)i;
        }
    }
    for (size_t i = 0; i < n; i++) {
        /* the standing row of this id */
        const gv_r7_row_t *s = NULL;
        for (size_t k = 0; k < n; k++)
            if (rows[k].standing && strcmp(rows[k].voucher_id, rows[i].voucher_id) == 0)
                s = &rows[k];
        assert_non_null(s);
        if (s->account_reason != NONE)
            out[i] = s->account_reason;
        else if (best >= 0 && strcmp(rows[best].voucher_id, s->voucher_id) == 0)
            out[i] = NONE;
        else
            out[i] = DUP;
    }
}

static void test_r7_property(void **state)
{
    static const char alphabet[] = "09AZ";
    static const gv_reason_t reasons[] = { NONE, NONE, NONE, UNK, CLO, NHH, REG };
    char ids[8][24];
    long groups_with_candidates = 0;
    (void)state;

    for (int g = 0; g < 2000; g++) {
        size_t n = 1 + rnd(8), nstanding;
        gv_r7_row_t rows[8], perm[8];
        gv_reason_t want[8];
        size_t idx[8];
        int candidates = 0, accepted = 0;

        /* Standing rows: distinct ids made of a few characters around the
         * ASCII order ('0' < '9' < 'A' < 'Z'), of length 4 or 5, so ties on
         * the instant are broken by ids that share prefixes. */
        nstanding = 1 + rnd((uint32_t)n);
        for (size_t i = 0; i < nstanding; i++) {
            int unique;
            do {
                size_t len = 4 + rnd(2);
                char tail[8];
                for (size_t k = 0; k < len; k++)
                    tail[k] = alphabet[rnd(4)];
                tail[len] = '\0';
                snprintf(ids[i], sizeof ids[i], "GV-202509-%s", tail);
                unique = 1;
                for (size_t k = 0; k < i; k++)
                    if (strcmp(ids[k], ids[i]) == 0)
                        unique = 0;
            } while (!unique);
            rows[i] = (gv_r7_row_t){ ids[i], 1757200000 + 60 * (int64_t)rnd(3), 1,
                                     reasons[rnd(sizeof reasons / sizeof reasons[0])],
                                     (gv_reason_t)-1 };
        }
        /* Followers: the same content as a standing row, same R8 outcome. */
        for (size_t i = nstanding; i < n; i++) {
            rows[i] = rows[rnd((uint32_t)nstanding)];
            rows[i].standing = 0;
        }
        r7_reference(rows, n, want);
        for (size_t i = 0; i < n; i++)
            if (rows[i].standing && rows[i].account_reason == NONE)
                candidates++;

        for (int s = 0; s < 21; s++) {
            /* s == 0: as generated; then 20 shuffles (Fisher-Yates). */
            for (size_t i = 0; i < n; i++)
                idx[i] = i;
            if (s > 0)
                for (size_t i = n - 1; i > 0; i--) {
                    size_t j = rnd((uint32_t)(i + 1)), t = idx[i];
                    idx[i] = idx[j];
                    idx[j] = t;
                }
            for (size_t i = 0; i < n; i++) {
                perm[i] = rows[idx[i]];
                perm[i].outcome = (gv_reason_t)-1;
            }
            gv_r7_resolve(perm, n);
            accepted = 0;
            for (size_t i = 0; i < n; i++) {
                if (perm[i].outcome != want[idx[i]]) {
                    print_message("FAIL group %d shuffle %d row %zu (%s at %lld, standing %d, "
                                  "reason '%s'): got '%s', expected '%s'\n",
                                  g, s, idx[i], perm[i].voucher_id,
                                  (long long)perm[i].activated, perm[i].standing,
                                  gv_reason_name(perm[i].account_reason),
                                  gv_reason_name(perm[i].outcome),
                                  gv_reason_name(want[idx[i]]));
                    fail();
                }
                if (perm[i].standing && perm[i].outcome == NONE)
                    accepted++;
                /* a row with an account reason always keeps it */
                if (perm[i].account_reason != NONE)
                    assert_int_equal(perm[i].outcome, perm[i].account_reason);
                else
                    assert_true(perm[i].outcome == NONE || perm[i].outcome == DUP);
            }
            /* exactly one accepted standing row when any could be */
            assert_int_equal(accepted, candidates ? 1 : 0);
        }
        groups_with_candidates += candidates > 0;
    }
    /* the generator is not degenerate */
    assert_true(groups_with_candidates > 1000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_judge_voucher_table),
        cmocka_unit_test(test_judge_ignores_machine_zone),
        cmocka_unit_test(test_voucher_id_period),
        cmocka_unit_test(test_window_exhaustive),
        cmocka_unit_test(test_judge_account),
        cmocka_unit_test(test_reason_names),
        cmocka_unit_test(test_r7_table),
        cmocka_unit_test(test_r7_property),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
