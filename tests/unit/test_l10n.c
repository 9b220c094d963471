/* test_l10n.c - the clerk's language (src/report/l10n.h): money, numbers
 * and dates as each language writes them, through the catalogues the build
 * made (GASVOUCHER_LOCALEDIR, set by make check), and display widths.
 *
 * ru and kk write 3 713,52 ₸ with no-break spaces, en 3,713.52 ₸; dates
 * are 30.09.2025 in ru and kk, 2025-09-30 in en, in Asia/Almaty whatever
 * the machine's zone (R1).  A Cyrillic or Kazakh letter is one column and
 * two bytes. */
#include "config.h"

#include "testutil.h"

#include "calendar.h"
#include "l10n.h"

#define NB "\xc2\xa0"           /* U+00A0 NO-BREAK SPACE */

typedef struct {
    const char *lang;
    int64_t tiyn;
    const char *money;
    const char *volume;         /* 84250 thousandths */
    const char *date;           /* 2025-09-30 */
    const char *time;           /* 2025-09-06T19:00:00Z: the 7th in Almaty (R1) */
} lang_case_t;

static const lang_case_t cases[] = {
    { "ru", 371352, "3" NB "713,52" NB "₸", "84,250", "30.09.2025", "07.09.2025 00:00" },
    { "kk", 371352, "3" NB "713,52" NB "₸", "84,250", "30.09.2025", "07.09.2025 00:00" },
    { "en", 371352, "3,713.52 ₸", "84.250", "2025-09-30", "2025-09-07 00:00" },
    { "ru", -123456789, "-1" NB "234" NB "567,89" NB "₸", "84,250", "30.09.2025",
      "07.09.2025 00:00" },
    { "en", 5, "0.05 ₸", "84.250", "2025-09-30", "2025-09-07 00:00" },
};

static void test_formats(void **state)
{
    char buf[128];
    int32_t day;
    time_t t;

    (void)state;
    assert_int_equal(gv_time_init(GV_TIMEZONE), 0);
    assert_int_equal(gv_date_parse("2025-09-30", &day), 0);
    assert_int_equal(gv_datetime_parse("2025-09-06T19:00:00Z", &t), 0);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const lang_case_t *c = &cases[i];
        gv_l10n_init(c->lang, NULL);
        assert_string_equal(gv_l10n_lang(), c->lang);
        assert_string_equal(gv_fmt_money(c->tiyn, buf, sizeof buf), c->money);
        assert_string_equal(gv_fmt_decimal(84250, 3, buf, sizeof buf), c->volume);
        assert_string_equal(gv_fmt_date(day, buf, sizeof buf), c->date);
        assert_string_equal(gv_fmt_time((int64_t)t, buf, sizeof buf), c->time);
    }
}

static void test_translated(void **state)
{
    (void)state;
    gv_l10n_init("ru", NULL);
    assert_string_equal(_("Total"), "Итого");
    gv_l10n_init("kk", NULL);
    assert_string_equal(_("Total"), "Барлығы");
    gv_l10n_init("en", NULL);
    assert_string_equal(_("Total"), "Total");
}

static void test_pick(void **state)
{
    (void)state;
    assert_string_equal(gv_l10n_pick("kk", "ru"), "kk");
    assert_string_equal(gv_l10n_pick(NULL, "ru"), "ru");
    assert_null(gv_l10n_pick("de", NULL));
    assert_null(gv_l10n_pick(NULL, "xx"));
    setenv("LANGUAGE", "", 1);
    setenv("LC_ALL", "", 1);
    setenv("LC_MESSAGES", "", 1);
    setenv("LANG", "kk_KZ.UTF-8", 1);
    assert_string_equal(gv_l10n_pick(NULL, NULL), "kk");
    setenv("LANG", "de_DE.UTF-8", 1);
    assert_string_equal(gv_l10n_pick(NULL, NULL), "en");
    unsetenv("LANG");
    unsetenv("LANGUAGE");
    unsetenv("LC_ALL");
    unsetenv("LC_MESSAGES");
    assert_string_equal(gv_l10n_pick(NULL, NULL), "en");
}

static void test_width(void **state)
{
    (void)state;
    gv_l10n_init("ru", NULL);
    assert_int_equal(gv_display_width(""), 0);
    assert_int_equal(gv_display_width("KZ-79"), 5);
    assert_int_equal(gv_display_width("Итого"), 5);                 /* 10 bytes */
    assert_int_equal(gv_display_width("Барлығы"), 7);
    assert_int_equal(gv_display_width("Өңір атауы"), 10);
    assert_int_equal(gv_display_width("3" NB "713,52" NB "₸"), 10);
    assert_int_equal(gv_display_width("\xff" "ab"), 3);              /* a bad byte: a cell */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_formats),
        cmocka_unit_test(test_translated),
        cmocka_unit_test(test_pick),
        cmocka_unit_test(test_width),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
