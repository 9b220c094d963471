/* test_account.c - gv_account_normalise: how a typed account number becomes
 * a provider's canonical form (wallet-interface.md section 1, rules R7/R8). */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "account.h"

#define FAIL NULL   /* expected: -1, "cannot be an account number here" */

/* mappings/site-a.ini: CHAR(10), zero-padded. */
static const gv_account_rules_t site_a = {
    .strip = GV_STRIP_SPACE | GV_STRIP_DASH,
    .digits_only = 1,
    .uppercase = 0,
    .zero_pad = 10,
    .trim_zeros = 0,
    .max_length = 10,
};

/* mappings/site-b.ini: BIGINT, leading zeros meaningless. */
static const gv_account_rules_t site_b = {
    .strip = GV_STRIP_SPACE | GV_STRIP_DASH,
    .digits_only = 1,
    .uppercase = 0,
    .zero_pad = 0,
    .trim_zeros = 1,
    .max_length = 18,
};

/* A text account (letters allowed), folded to upper case, slashes stripped. */
static const gv_account_rules_t text_upper = {
    .strip = GV_STRIP_SPACE | GV_STRIP_DASH | GV_STRIP_SLASH,
    .digits_only = 0,
    .uppercase = 1,
};

/* Text, nothing stripped or folded: the XSD's alphabet passes as typed. */
static const gv_account_rules_t text_plain = {
    .strip = 0,
    .digits_only = 0,
    .uppercase = 0,
};

/* Digits only, but slashes stripped too (some sites print "12/345678"). */
static const gv_account_rules_t digits_slash = {
    .strip = GV_STRIP_SPACE | GV_STRIP_DASH | GV_STRIP_SLASH,
    .digits_only = 1,
    .zero_pad = 10,
    .max_length = 10,
};

typedef struct {
    const char *name;
    const gv_account_rules_t *rules;
    const char *typed;
    const char *expected;   /* FAIL = -1 */
} norm_case_t;

#define S33 "123456789012345678901234567890123"   /* 33 characters */
#define S32 "12345678901234567890123456789012"    /* 32 characters */
#define A32 "ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEF"    /* 32 letters */
#define A33 A32 "G"

static const norm_case_t cases[] = {
    /* ---- site-a: strip space+dash, digits only, zero_pad 10, max 10 ---- */
    { "a: short form", &site_a, "12345678", "0012345678" },
    { "a: canonical", &site_a, "0012345678", "0012345678" },
    { "a: spaces inside", &site_a, "0012 345 678", "0012345678" },
    { "a: dashes inside", &site_a, "0012-345-678", "0012345678" },
    { "a: leading spaces", &site_a, "  12345678", "0012345678" },
    { "a: trailing spaces", &site_a, "12345678  ", "0012345678" },
    { "a: spaces everywhere", &site_a, " 0 0 1 2 3 4 5 6 7 8 ", "0012345678" },
    { "a: mixed space and dash", &site_a, "12 - 345 - 678", "0012345678" },
    { "a: leading dash stripped", &site_a, "-12345678", "0012345678" },
    { "a: one digit", &site_a, "1", "0000000001" },
    { "a: all zeros", &site_a, "0000000000", "0000000000" },
    { "a: single zero", &site_a, "0", "0000000000" },
    { "a: ten digits", &site_a, "1234567890", "1234567890" },
    { "a: nine digits", &site_a, "123456789", "0123456789" },
    { "a: empty", &site_a, "", FAIL },
    { "a: only spaces", &site_a, "   ", FAIL },
    { "a: only dashes", &site_a, "---", FAIL },
    { "a: letters", &site_a, "abc", FAIL },
    { "a: SQL injection", &site_a, "1 OR 1=1", FAIL },
    { "a: quote injection", &site_a, "1' OR '1'='1", FAIL },
    { "a: semicolon", &site_a, "12345678;", FAIL },
    { "a: eleven digits (too long)", &site_a, "12345678901", FAIL },
    { "a: eleven with leading zero", &site_a, "00012345678", FAIL },
    { "a: 32 digits", &site_a, S32, FAIL },
    { "a: 33 digits", &site_a, S33, FAIL },
    { "a: slash not stripped here", &site_a, "0012/345/678", FAIL },
    { "a: tab is not a space", &site_a, "0012\t345678", FAIL },
    { "a: newline", &site_a, "12345678\n", FAIL },
    { "a: plus sign", &site_a, "+12345678", FAIL },
    { "a: dot", &site_a, "1234.5678", FAIL },
    { "a: fullwidth digits", &site_a, "\xef\xbc\x91\xef\xbc\x92\xef\xbc\x93", FAIL },
    { "a: Cyrillic letter", &site_a, "12345678\xd0\x90", FAIL },
    { "a: lowercase letter", &site_a, "12345678a", FAIL },

    /* ---- site-b: strip space+dash, digits only, trim zeros, max 18 ---- */
    { "b: short form", &site_b, "12345678", "12345678" },
    { "b: leading zeros trimmed", &site_b, "0012345678", "12345678" },
    { "b: spaces inside", &site_b, "0012 345 678", "12345678" },
    { "b: dashes inside", &site_b, "0012-345-678", "12345678" },
    { "b: leading spaces", &site_b, "  12345678", "12345678" },
    { "b: eleven digits fit", &site_b, "12345678901", "12345678901" },
    { "b: all zeros -> 0", &site_b, "0000000000", "0" },
    { "b: single zero", &site_b, "0", "0" },
    { "b: zeros between kept", &site_b, "00100200", "100200" },
    { "b: 18 digits", &site_b, "123456789012345678", "123456789012345678" },
    { "b: 18 significant after zeros", &site_b, "000000123456789012345678", "123456789012345678" },
    { "b: 19 digits (too long)", &site_b, "1234567890123456789", FAIL },
    { "b: int64 max (too long)", &site_b, "9223372036854775807", FAIL },
    { "b: 33 digits", &site_b, S33, FAIL },
    { "b: empty", &site_b, "", FAIL },
    { "b: letters", &site_b, "abc", FAIL },
    { "b: SQL injection", &site_b, "1 OR 1=1", FAIL },
    { "b: negative number", &site_b, "-5", "5" },   /* the dash is stripped */
    { "b: slash", &site_b, "12/34", FAIL },

    /* ---- text rules: letters allowed, uppercase fold, slash stripped ---- */
    { "t: lowercase folded", &text_upper, "ab12cd", "AB12CD" },
    { "t: mixed case folded", &text_upper, "aB-12/cD", "AB12CD" },
    { "t: slash stripped", &text_upper, "12/345/678", "12345678" },
    { "t: spaces stripped", &text_upper, " kz 001 ", "KZ001" },
    { "t: 32 letters", &text_upper, A32, A32 },
    { "t: 33 letters", &text_upper, A33, FAIL },
    { "t: 40 typed, 24 kept", &text_upper, " AB-CD-EF-GH-IJ-KL-MN-OP-QR-ST-UV-WX/ ", "ABCDEFGHIJKLMNOPQRSTUVWX" },
    { "t: Cyrillic refused", &text_upper, "\xd0\xb0\xd0\xb1\xd0\xb2", FAIL },
    { "t: quote refused", &text_upper, "AB'1", FAIL },
    { "t: semicolon refused", &text_upper, "AB;1", FAIL },
    { "t: percent refused", &text_upper, "AB%", FAIL },
    { "t: underscore refused", &text_upper, "AB_1", FAIL },
    { "t: empty", &text_upper, "", FAIL },
    { "t: only strippable", &text_upper, " -/ ", FAIL },
    { "p: lowercase kept without uppercase rule", &text_plain, "ab12cd", "ab12cd" },
    { "p: XSD alphabet kept as typed", &text_plain, "Ab-1/2 3", "Ab-1/2 3" },
    { "p: quote refused", &text_plain, "a'b", FAIL },

    /* ---- digits with slash stripping ---- */
    { "s: slash stripped", &digits_slash, "12/345678", "0012345678" },
    { "s: all three stripped", &digits_slash, "0012 345-67/8", "0012345678" },
    { "s: letters refused", &digits_slash, "12/ab", FAIL },
};

static void test_normalise_table(void **state)
{
    (void)state;
    int failures = 0;

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const norm_case_t *c = &cases[i];
        char out[GV_ACCOUNT_MAX + 1];
        int rc;

        memset(out, 'x', sizeof out);
        out[GV_ACCOUNT_MAX] = '\0';
        rc = gv_account_normalise(c->rules, c->typed, out, sizeof out);
        if (c->expected == FAIL) {
            if (rc != -1) {
                print_message("FAIL %s: '%s' -> rc %d '%s', expected -1\n", c->name, c->typed,
                              rc, out);
                failures++;
            }
        } else if (rc != 0 || strcmp(out, c->expected) != 0) {
            print_message("FAIL %s: '%s' -> rc %d '%s', expected '%s'\n", c->name, c->typed,
                          rc, rc == 0 ? out : "", c->expected);
            failures++;
        }
    }
    assert_int_equal(failures, 0);
}

/* A canonical form is its own canonical form: normalising twice changes
 * nothing (the adapter may normalise stored and typed numbers alike). */
static void test_normalise_idempotent(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const norm_case_t *c = &cases[i];
        char once[GV_ACCOUNT_MAX + 1], twice[GV_ACCOUNT_MAX + 1];

        if (c->expected == FAIL)
            continue;
        assert_int_equal(gv_account_normalise(c->rules, c->typed, once, sizeof once), 0);
        assert_int_equal(gv_account_normalise(c->rules, once, twice, sizeof twice), 0);
        assert_string_equal(once, twice);
    }
}

/* R7: every way of typing one account gives one canonical form. */
static void test_normalise_same_account(void **state)
{
    static const char *const typings[] = {
        "12345678", "0012345678", "0012 345 678", "0012-345-678", "  12345678",
        "12345678  ", "012345678", "00 12 34 56 78", "12-34-56-78",
    };
    static const struct {
        const gv_account_rules_t *rules;
        const char *canonical;
    } sites[] = { { &site_a, "0012345678" }, { &site_b, "12345678" } };
    (void)state;

    for (size_t s = 0; s < sizeof sites / sizeof sites[0]; s++)
        for (size_t i = 0; i < sizeof typings / sizeof typings[0]; i++) {
            char out[GV_ACCOUNT_MAX + 1];
            assert_int_equal(gv_account_normalise(sites[s].rules, typings[i], out, sizeof out),
                             0);
            assert_string_equal(out, sites[s].canonical);
        }
}

/* The output buffer must hold GV_ACCOUNT_MAX + 1 bytes; less is refused
 * rather than overrun. */
static void test_normalise_small_buffer(void **state)
{
    char out[GV_ACCOUNT_MAX + 8];
    (void)state;

    memset(out, 'Z', sizeof out);
    assert_int_equal(gv_account_normalise(&site_a, "12345678", out, GV_ACCOUNT_MAX), -1);
    for (size_t i = 0; i < sizeof out; i++)
        assert_int_equal(out[i], 'Z');
    assert_int_equal(gv_account_normalise(&site_a, "12345678", out, GV_ACCOUNT_MAX + 1), 0);
    assert_string_equal(out, "0012345678");
}

/* Every 1..10-digit number pads to exactly ten digits at site-a and keeps
 * its value; every digit string up to 18 digits keeps its value at site-b. */
static void test_normalise_lengths(void **state)
{
    const char *digits = "987654321098765432109876543210";
    (void)state;

    for (size_t len = 1; len <= 30; len++) {
        char typed[64], out[GV_ACCOUNT_MAX + 1];
        int rc;

        memcpy(typed, digits, len);
        typed[len] = '\0';

        rc = gv_account_normalise(&site_a, typed, out, sizeof out);
        if (len <= 10) {
            assert_int_equal(rc, 0);
            assert_int_equal(strlen(out), 10);
            assert_string_equal(out + 10 - len, typed);
            for (size_t k = 0; k < 10 - len; k++)
                assert_int_equal(out[k], '0');
        } else {
            assert_int_equal(rc, -1);
        }

        rc = gv_account_normalise(&site_b, typed, out, sizeof out);
        if (len <= 18) {
            assert_int_equal(rc, 0);
            assert_string_equal(out, typed);
        } else {
            assert_int_equal(rc, -1);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_normalise_table),
        cmocka_unit_test(test_normalise_idempotent),
        cmocka_unit_test(test_normalise_same_account),
        cmocka_unit_test(test_normalise_small_buffer),
        cmocka_unit_test(test_normalise_lengths),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
