/* test_calendar.c - civil dates, periods, xs:dateTime and Kazakhstan local
 * time (rules R1, R1a).  The suite runs with TZ=America/Los_Angeles: no
 * result here may depend on the machine's zone. */
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

/* ---- civil dates -------------------------------------------------------- */

static int is_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int month_len(int y, int m)
{
    static const int len[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    return m == 2 && is_leap(y) ? 29 : len[m - 1];
}

/* Every day from 1970-01-01 to 2100-12-31: consecutive day numbers from 0,
 * and back to the same date; the text form round-trips too. */
static void test_civil_round_trip(void **state)
{
    int32_t expect = 0;
    (void)state;

    for (int y = 1970; y <= 2100; y++)
        for (int m = 1; m <= 12; m++)
            for (int d = 1; d <= month_len(y, m); d++) {
                int yy, mm, dd;
                int32_t parsed;
                char text[11], want[48];

                int32_t days = gv_days_from_civil(y, m, d);
                if (days != expect)
                    fail_msg("%04d-%02d-%02d -> %d, expected %d", y, m, d, days, expect);
                gv_civil_from_days(days, &yy, &mm, &dd);
                if (yy != y || mm != m || dd != d)
                    fail_msg("%d -> %04d-%02d-%02d, expected %04d-%02d-%02d", days, yy, mm, dd,
                             y, m, d);
                gv_date_format(days, text);
                snprintf(want, sizeof want, "%04d-%02d-%02d", y, m, d);
                assert_string_equal(text, want);
                assert_int_equal(gv_date_parse(text, &parsed), 0);
                assert_int_equal(parsed, days);
                expect++;
            }
    /* 131 years, 32 of them leap (1972..2096) */
    assert_int_equal(expect, 131 * 365 + 32);
}

static void test_known_days(void **state)
{
    (void)state;
    assert_int_equal(gv_days_from_civil(1970, 1, 1), 0);
    assert_int_equal(gv_days_from_civil(1969, 12, 31), -1);
    assert_int_equal(gv_days_from_civil(2000, 3, 1), 11017);
    assert_int_equal(gv_days_from_civil(2025, 9, 7), 20338);
    assert_int_equal(gv_days_from_civil(2026, 6, 30), 20634);
}

static void test_days_in_month(void **state)
{
    static const struct {
        int y, m, days;
    } t[] = {
        { 2024, 2, 29 }, { 2026, 2, 28 }, { 2025, 2, 28 }, { 2000, 2, 29 }, { 2100, 2, 28 },
        { 1900, 2, 28 }, { 2400, 2, 29 }, { 2028, 2, 29 },
        { 2025, 1, 31 }, { 2025, 3, 31 }, { 2025, 4, 30 }, { 2025, 5, 31 }, { 2025, 6, 30 },
        { 2025, 7, 31 }, { 2025, 8, 31 }, { 2025, 9, 30 }, { 2025, 10, 31 },
        { 2025, 11, 30 }, { 2025, 12, 31 },
    };
    (void)state;

    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        if (gv_days_in_month(t[i].y, t[i].m) != t[i].days)
            fail_msg("days_in_month(%d, %d) = %d, expected %d", t[i].y, t[i].m,
                     gv_days_in_month(t[i].y, t[i].m), t[i].days);
    for (int y = 1970; y <= 2100; y++)
        for (int m = 1; m <= 12; m++)
            assert_int_equal(gv_days_in_month(y, m), month_len(y, m));
}

/* ---- dates as text ------------------------------------------------------ */

static void test_date_parse(void **state)
{
    static const struct {
        const char *text;
        int ok;
        int y, m, d;
    } t[] = {
        { "2025-09-07", 1, 2025, 9, 7 },
        { "1970-01-01", 1, 1970, 1, 1 },
        { "2024-02-29", 1, 2024, 2, 29 },
        { "2000-02-29", 1, 2000, 2, 29 },
        { "2026-02-28", 1, 2026, 2, 28 },
        { "2100-12-31", 1, 2100, 12, 31 },
        { "2025-02-29", 0, 0, 0, 0 },
        { "2026-02-29", 0, 0, 0, 0 },
        { "2100-02-29", 0, 0, 0, 0 },
        { "2025-04-31", 0, 0, 0, 0 },
        { "2025-13-01", 0, 0, 0, 0 },
        { "2025-00-10", 0, 0, 0, 0 },
        { "2025-01-00", 0, 0, 0, 0 },
        { "2025-01-32", 0, 0, 0, 0 },
        { "2025-1-01", 0, 0, 0, 0 },
        { "2025-01-1", 0, 0, 0, 0 },
        { "25-01-01", 0, 0, 0, 0 },
        { "", 0, 0, 0, 0 },
        { "2025/01/01", 0, 0, 0, 0 },
        { "20250101", 0, 0, 0, 0 },
        { " 2025-01-01", 0, 0, 0, 0 },
        { "2025-01-01 ", 0, 0, 0, 0 },
        { "2025-01-01T00:00:00Z", 0, 0, 0, 0 },
        { "2025-01-0a", 0, 0, 0, 0 },
        { "+025-01-01", 0, 0, 0, 0 },
        { "2025-+1-01", 0, 0, 0, 0 },
        { "abcd-ef-gh", 0, 0, 0, 0 },
    };
    (void)state;

    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        int32_t days = 12345;
        int rc = gv_date_parse(t[i].text, &days);
        if (t[i].ok) {
            if (rc != 0 || days != gv_days_from_civil(t[i].y, t[i].m, t[i].d))
                fail_msg("date '%s': rc %d days %d", t[i].text, rc, days);
        } else if (rc != -1) {
            fail_msg("date '%s': rc %d, expected -1", t[i].text, rc);
        }
    }
}

static void test_date_format(void **state)
{
    char out[11];
    (void)state;

    gv_date_format(0, out);
    assert_string_equal(out, "1970-01-01");
    gv_date_format(gv_days_from_civil(2024, 2, 29), out);
    assert_string_equal(out, "2024-02-29");
    gv_date_format(gv_days_from_civil(2026, 6, 30), out);
    assert_string_equal(out, "2026-06-30");
    gv_date_format(-1, out);
    assert_string_equal(out, "1969-12-31");
}

/* ---- periods ------------------------------------------------------------ */

static void test_period_parse(void **state)
{
    static const struct {
        const char *text;
        int ok, y, m;
    } t[] = {
        { "2025-09", 1, 2025, 9 },
        { "2026-02", 1, 2026, 2 },
        { "2025-01", 1, 2025, 1 },
        { "2025-12", 1, 2025, 12 },
        { "2025-13", 0, 0, 0 },
        { "2025-00", 0, 0, 0 },
        { "25-09", 0, 0, 0 },
        { "2025-9", 0, 0, 0 },
        { "2025-09-01", 0, 0, 0 },
        { "202509", 0, 0, 0 },
        { "2025/09", 0, 0, 0 },
        { " 2025-09", 0, 0, 0 },
        { "2025-09 ", 0, 0, 0 },
        { "2025-1a", 0, 0, 0 },
        { "", 0, 0, 0 },
    };
    (void)state;

    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        gv_period_t p = { 1, 1 };
        int rc = gv_period_parse(t[i].text, &p);
        if (t[i].ok) {
            if (rc != 0 || p.year != t[i].y || p.month != t[i].m)
                fail_msg("period '%s': rc %d -> %d-%d", t[i].text, rc, p.year, p.month);
        } else if (rc != -1) {
            fail_msg("period '%s': rc %d, expected -1", t[i].text, rc);
        }
    }
}

static void test_period_bounds(void **state)
{
    static const struct {
        int y, m;
        const char *first, *last;
    } t[] = {
        { 2026, 2, "2026-02-01", "2026-02-28" },
        { 2024, 2, "2024-02-01", "2024-02-29" },
        { 2025, 9, "2025-09-01", "2025-09-30" },
        { 2025, 12, "2025-12-01", "2025-12-31" },
        { 2100, 2, "2100-02-01", "2100-02-28" },
        { 2000, 2, "2000-02-01", "2000-02-29" },
    };
    (void)state;

    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        gv_period_t p = { t[i].y, t[i].m };
        char a[11], b[11];
        gv_date_format(gv_period_first_day(p), a);
        gv_date_format(gv_period_last_day(p), b);
        assert_string_equal(a, t[i].first);
        assert_string_equal(b, t[i].last);
    }
}

/* ---- xs:dateTime -------------------------------------------------------- */

/* 2025-09-06T19:00:00Z */
#define T_0706 ((time_t)1757185200)

static void test_datetime_valid(void **state)
{
    static const struct {
        const char *text;
        time_t instant;
    } t[] = {
        { "2025-09-06T19:00:00Z", T_0706 },
        { "2025-09-07T00:00:00+05:00", T_0706 },
        { "2025-09-06T19:00:00+00:00", T_0706 },
        { "2025-09-06T19:00:00-00:00", T_0706 },
        { "2025-09-06T15:30:00-03:30", T_0706 },
        { "2025-09-07T00:45:00+05:45", T_0706 },
        { "2025-09-07T09:00:00+14:00", T_0706 },
        { "2025-09-06T19:00:00.5Z", T_0706 },                /* truncated */
        { "2025-09-06T19:00:00.999999999Z", T_0706 },
        { "2025-09-07T00:00:00.123+05:00", T_0706 },
        { "2025-09-07T09:15:02+05:00", T_0706 + 9 * 3600 + 15 * 60 + 2 },
        { "1970-01-01T00:00:00Z", 0 },
        { "1970-01-01T05:00:00+05:00", 0 },
        { "2024-02-29T23:59:59Z", (time_t)1709251199 },
        { "2026-06-30T23:59:59+05:00", (time_t)1782845999 },
    };
    (void)state;

    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        time_t got = -12345;
        int rc = gv_datetime_parse(t[i].text, &got);
        if (rc != 0 || got != t[i].instant)
            fail_msg("'%s': rc %d, instant %lld, expected %lld", t[i].text, rc, (long long)got,
                     (long long)t[i].instant);
    }
}

static void test_datetime_invalid(void **state)
{
    static const struct {
        const char *text;
        int rc;
    } t[] = {
        /* no offset: -2 */
        { "2025-09-06T19:00:00", -2 },
        { "2025-09-07T09:15:02", -2 },
        { "2025-09-06T19:00:00.250", -2 },
        /* malformed: -1 */
        { "", -1 },
        { "2025-09-06", -1 },
        { "2025-09-06T19:00Z", -1 },
        { "2025-09-06 19:00:00Z", -1 },
        { "2025-09-06t19:00:00Z", -1 },
        { "2025-09-06T19:00:00z", -1 },
        { "2025-09-06T19:00:00ZZ", -1 },
        { "2025-09-06T19:00:00Z ", -1 },
        { " 2025-09-06T19:00:00Z", -1 },
        { "2025-09-06T19:00:00 +05:00", -1 },
        { "2025-09-06T19:00:00+0500", -1 },
        { "2025-09-06T19:00:00+05", -1 },
        { "2025-09-06T19:00:00+5:00", -1 },
        { "2025-09-06T19:00:00+05:00:00", -1 },
        { "2025-09-06T19:00:00+15:00", -1 },
        { "2025-09-06T19:00:00+05:60", -1 },
        { "2025-09-06T19:00:00.Z", -1 },
        { "2025-09-06T19:00:00,5Z", -1 },
        { "2025-09-06T24:00:00Z", -1 },
        { "2025-09-06T19:60:00Z", -1 },
        { "2025-09-06T19:00:60Z", -1 },
        { "2025-02-29T00:00:00Z", -1 },
        { "2025-13-06T19:00:00Z", -1 },
        { "2025-00-06T19:00:00Z", -1 },
        { "2025-09-00T19:00:00Z", -1 },
        { "2025-9-06T19:00:00Z", -1 },
        { "25-09-06T19:00:00Z", -1 },
        { "2025-09-06T1a:00:00Z", -1 },
        { "yesterday", -1 },
    };
    (void)state;

    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        time_t got = 0;
        int rc = gv_datetime_parse(t[i].text, &got);
        if (rc != t[i].rc)
            fail_msg("'%s': rc %d, expected %d", t[i].text, rc, t[i].rc);
    }
}

/* ---- local time: Asia/Almaty whatever TZ says ---------------------------- */

static void test_local_time(void **state)
{
    time_t t;
    char out[32];
    (void)state;

    assert_int_equal(gv_time_init("Asia/Almaty"), 0);
    assert_string_equal(getenv("TZ"), "Asia/Almaty");

    /* R1: 2025-09-06T19:00:00Z is the 7th in Kazakhstan. */
    assert_int_equal(gv_datetime_parse("2025-09-06T19:00:00Z", &t), 0);
    assert_int_equal(gv_time_local_day(t), gv_days_from_civil(2025, 9, 7));
    assert_int_equal(gv_datetime_parse("2025-09-06T18:59:59Z", &t), 0);
    assert_int_equal(gv_time_local_day(t), gv_days_from_civil(2025, 9, 6));
    /* The window closes at 23:59:59 local on the 29th. */
    assert_int_equal(gv_datetime_parse("2025-09-29T18:59:59Z", &t), 0);
    assert_int_equal(gv_time_local_day(t), gv_days_from_civil(2025, 9, 29));
    assert_int_equal(gv_datetime_parse("2025-09-29T19:00:00Z", &t), 0);
    assert_int_equal(gv_time_local_day(t), gv_days_from_civil(2025, 9, 30));
    /* A Los Angeles evening is already the next day in Almaty. */
    assert_int_equal(gv_datetime_parse("2026-02-28T20:00:00-08:00", &t), 0);
    assert_int_equal(gv_time_local_day(t), gv_days_from_civil(2026, 3, 1));

    assert_int_equal(gv_datetime_parse("2025-09-07T09:15:02+05:00", &t), 0);
    gv_time_format_local(t, out);
    assert_string_equal(out, "2025-09-07T09:15:02+05:00");
    assert_int_equal(gv_datetime_parse("2025-09-06T19:00:00Z", &t), 0);
    gv_time_format_local(t, out);
    assert_string_equal(out, "2025-09-07T00:00:00+05:00");
    /* The formatted text parses back to the same instant. */
    {
        time_t back;
        assert_int_equal(gv_datetime_parse(out, &back), 0);
        assert_int_equal(back, t);
    }
    /* Before 2024-03-01 Almaty was UTC+06:00: the tz database, not a
     * hard-coded +05:00, decides. */
    assert_int_equal(gv_datetime_parse("2024-01-15T00:00:00Z", &t), 0);
    gv_time_format_local(t, out);
    assert_string_equal(out, "2024-01-15T06:00:00+06:00");
    assert_int_equal(gv_datetime_parse("2026-06-30T23:59:59+05:00", &t), 0);
    gv_time_format_local(t, out);
    assert_string_equal(out, "2026-06-30T23:59:59+05:00");
}

/* Every instant of a whole pilot day maps to that day, every hour. */
static void test_local_day_hours(void **state)
{
    time_t start;
    (void)state;

    assert_int_equal(gv_time_init("Asia/Almaty"), 0);
    assert_int_equal(gv_datetime_parse("2026-02-01T00:00:00+05:00", &start), 0);
    for (int day = 0; day < 28; day++)
        for (int h = 0; h < 24; h++) {
            time_t t = start + (time_t)day * 86400 + h * 3600;
            assert_int_equal(gv_time_local_day(t), gv_days_from_civil(2026, 2, 1 + day));
            assert_int_equal(gv_time_local_day(t + 3599), gv_days_from_civil(2026, 2, 1 + day));
        }
}

/* An unknown zone is refused and the pinned zone stays. */
static void test_time_init_unknown(void **state)
{
    static const char *const bad[] = {
        "Nowhere/City", "Asia/Nowhere", "NotAZone",
        "Asia",   /* a directory of the tz database, not a zone */
        "",       /* the tz database's top directory */
    };
    char out[32];
    time_t t;
    int failures = 0;
    (void)state;

    assert_int_equal(gv_time_init("Asia/Almaty"), 0);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int rc = gv_time_init(bad[i]);
        const char *tz = getenv("TZ");
        if (rc != -1 || !tz || strcmp(tz, "Asia/Almaty") != 0) {
            print_message("FAIL gv_time_init(\"%s\") = %d, TZ is now '%s'\n", bad[i], rc,
                          tz ? tz : "(unset)");
            failures++;
            assert_int_equal(gv_time_init("Asia/Almaty"), 0);   /* restore */
        }
    }
    assert_int_equal(gv_datetime_parse("2025-09-06T19:00:00Z", &t), 0);
    gv_time_format_local(t, out);
    assert_string_equal(out, "2025-09-07T00:00:00+05:00");
    assert_int_equal(failures, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_civil_round_trip),
        cmocka_unit_test(test_known_days),
        cmocka_unit_test(test_days_in_month),
        cmocka_unit_test(test_date_parse),
        cmocka_unit_test(test_date_format),
        cmocka_unit_test(test_period_parse),
        cmocka_unit_test(test_period_bounds),
        cmocka_unit_test(test_datetime_valid),
        cmocka_unit_test(test_datetime_invalid),
        cmocka_unit_test(test_local_time),
        cmocka_unit_test(test_local_day_hours),
        cmocka_unit_test(test_time_init_unknown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
