/* test_utf8.c - UTF-8 validation (RFC 3629) and scrubbing: a text cut
 * inside a character, stray bytes, overlong forms and surrogates become
 * '?', well-formed text is left alone. */
#include "config.h"

#include "testutil.h"

#include "utf8.h"

static void test_valid(void **state)
{
    size_t bad = 99;

    (void)state;
    assert_true(gv_utf8_valid("", 0, NULL));
    assert_true(gv_utf8_valid("KZ-79", 5, NULL));
    assert_true(gv_utf8_valid("\xd1\x81\xd1\x87\xd1\x91\xd1\x82 \xd3\x99 \xf0\x9f\x98\x80", 16,
                              NULL));
    assert_false(gv_utf8_valid("ab\xd1", 3, &bad));      /* cut inside a character */
    assert_int_equal(bad, 2);
    assert_false(gv_utf8_valid("\xc0\xaf", 2, &bad));    /* overlong '/' */
    assert_int_equal(bad, 0);
    assert_false(gv_utf8_valid("\xed\xa0\x80", 3, NULL)); /* a surrogate */
    assert_false(gv_utf8_valid("\xf4\x90\x80\x80", 4, NULL)); /* above U+10FFFF */
}

static void test_scrub(void **state)
{
    static const struct {
        const char *in, *out;
    } cases[] = {
        { "", "" },
        { "plain ASCII", "plain ASCII" },
        { "\xd1\x81\xd1\x87\xd1\x91\xd1\x82", "\xd1\x81\xd1\x87\xd1\x91\xd1\x82" },
        { "\xd0\xb7\xd0\xb0\xd0\xbf\xd1\x80\xd0\xb5\xd1\x89\xd0\xb5\xd0",  /* cut */
          "\xd0\xb7\xd0\xb0\xd0\xbf\xd1\x80\xd0\xb5\xd1\x89\xd0\xb5?" },
        { "a\x80" "b\xff" "c", "a?b?c" },
        { "\xe2\x82" "x", "??x" },                  /* a 3-byte sequence cut short */
        { "\xc0\xaf\xed\xa0\x80", "?????" },
        { "\xf0\x9f\x98\x80\xf0\x9f", "\xf0\x9f\x98\x80??" },
    };

    (void)state;
    for (size_t i = 0; i < TU_COUNT(cases); i++) {
        char buf[64];
        snprintf(buf, sizeof buf, "%s", cases[i].in);
        gv_utf8_scrub(buf);
        assert_string_equal(buf, cases[i].out);
        assert_true(gv_utf8_valid(buf, strlen(buf), NULL));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid),
        cmocka_unit_test(test_scrub),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
