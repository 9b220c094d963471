/* test_clock.c - the programs' one clock (clock.h): real, or pinned and
 * moving on with the real clock; a bad pin is refused and changes nothing. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>
#include <time.h>
#include <unistd.h>

#include "calendar.h"
#include "clock.h"

static void test_real_until_pinned(void **state)
{
    time_t before = time(NULL), now = gv_clock_now();
    (void)state;

    assert_false(gv_clock_pinned());
    assert_true(now >= before && now <= time(NULL));
}

static void test_bad_pins_refused(void **state)
{
    static const char *const bad[] = {
        "", "2025-09-30", "2025-09-30T10:00:00", "2025-09-30 10:00:00+05:00",
        "2025-02-30T10:00:00+05:00", "yesterday",
    };
    gv_err_t err;
    (void)state;

    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err.msg[0] = '\0';
        assert_int_equal(gv_clock_pin(bad[i], &err), -1);
        assert_non_null(strstr(err.msg, "is not a date and time with its offset"));
        assert_false(gv_clock_pinned());
    }
    assert_int_equal(gv_clock_pin(NULL, &err), -1);
    assert_false(gv_clock_pinned());
}

/* Pinned: the instant named, then moving on second by second. */
static void test_pinned_moves_on(void **state)
{
    gv_err_t err;
    time_t want, first, later;
    (void)state;

    assert_int_equal(gv_datetime_parse("2025-09-30T10:00:00+05:00", &want), 0);
    assert_int_equal(gv_clock_pin("2025-09-30T10:00:00+05:00", &err), 0);
    assert_true(gv_clock_pinned());
    first = gv_clock_now();
    assert_true(first >= want && first <= want + 1);
    sleep(1);
    later = gv_clock_now();
    assert_true(later >= first + 1 && later <= first + 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_real_until_pinned),
        cmocka_unit_test(test_bad_pins_refused),
        cmocka_unit_test(test_pinned_moves_on),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
