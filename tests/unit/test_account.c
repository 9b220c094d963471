/* test_account.c - a site's account form ([account] match/output) and how a
 * typed account number becomes the provider's canonical form
 * (wallet-interface.md section 1, rules R7/R8). */
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
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* ---- the forms under test --------------------------------------------------- */

typedef struct {
    const char *name;
    unsigned strip;
    int uppercase;
    const char *match, *output;
    unsigned max_length;
    gv_account_rules_t rules;   /* compiled by setup */
} form_t;

enum { SITE_A, SITE_B, REGION, REGION_DASH, LETTER, LETTER_STRIP, ALNUM_UPPER, ALNUM_CASE, DIGITS_SLASH,
       SUFFIX, SPLIT, FORM_COUNT };

#define SD (GV_STRIP_SPACE | GV_STRIP_DASH)
#define SDS (GV_STRIP_SPACE | GV_STRIP_DASH | GV_STRIP_SLASH)

static form_t forms[FORM_COUNT] = {
    /* mappings/site-a.ini: CHAR(10), zero-padded. */
    [SITE_A] = { "a", SD, 0, "number:digit{1,10}", "{number:010}", 10, { 0 } },
    /* mappings/site-b.ini: BIGINT, leading zeros meaningless. */
    [SITE_B] = { "b", SD, 0, "number:digit{1,18}", "{number:int}", 18, { 0 } },
    /* RR-NNNNNNN: two-digit region, a dash, the serial padded to seven. */
    [REGION] = { "r", SDS, 0, "region:digit{2} \"-\"? serial:digit{1,7}",
                 "{region}-{serial:07}", 10, { 0 } },
    /* The same with the dash kept: it then separates, and "7-123" is no
     * longer read as region 71. */
    [REGION_DASH] = { "rd", GV_STRIP_SPACE, 0, "region:digit{2} \"-\"? serial:digit{1,7}",
                      "{region}-{serial:07}", 10, { 0 } },
    /* AL-000123, the dash kept in what is typed (strip only spaces). */
    [LETTER] = { "l", GV_STRIP_SPACE, 1, "\"AL\" \"-\"? serial:digit{1,6}", "AL-{serial:06}",
                 9, { 0 } },
    /* The same with dashes stripped: "-"? is then never there, harmlessly. */
    [LETTER_STRIP] = { "ls", SD, 1, "\"AL\" \"-\"? serial:digit{1,6}", "AL-{serial:06}", 9,
                       { 0 } },
    /* Any letters and digits, folded to upper case. */
    [ALNUM_UPPER] = { "u", SDS, 1, "code:alnum{1,32}", "{code}", 32, { 0 } },
    /* Letters and digits kept in the case typed. */
    [ALNUM_CASE] = { "c", 0, 0, "code:alnum{1,32}", "{code}", 32, { 0 } },
    /* Digits, slashes stripped too (some sites print "12/345678"). */
    [DIGITS_SLASH] = { "s", SDS, 0, "number:digit{1,10}", "{number:010}", 10, { 0 } },
    /* An optional letter after the number: a part with MIN 0. */
    [SUFFIX] = { "x", SD, 1, "number:digit{1,6} flat:letter{0,1}", "{number:06}{flat}", 7,
                 { 0 } },
    /* Two parts of one class side by side: greedy, then backtracking. */
    [SPLIT] = { "p", SD, 0, "head:digit{1,5} tail:digit{3}", "{head}/{tail}", 9, { 0 } },
};

static int setup_forms(void **state)
{
    (void)state;
    for (size_t i = 0; i < FORM_COUNT; i++) {
        form_t *f = &forms[i];
        gv_account_form_err_t err;

        memset(&f->rules, 0, sizeof f->rules);
        f->rules.strip = f->strip;
        f->rules.uppercase = f->uppercase;
        if (gv_account_form_compile(f->match, f->output, f->max_length, &f->rules, &err) < 0) {
            print_message("form %s does not compile: %s %s\n", f->name,
                          err.key == GV_FORM_AT_MATCH ? "match" : "output", err.msg);
            return -1;
        }
    }
    return 0;
}

#define R(form) (&forms[form].rules)

/* ---- normalising ----------------------------------------------------------- */

typedef struct {
    const char *name;
    int form;
    const char *typed;
    const char *expected;   /* FAIL = -1 */
} norm_case_t;

#define S33 "123456789012345678901234567890123"   /* 33 characters */
#define S32 "12345678901234567890123456789012"    /* 32 characters */
#define A32 "ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEF"    /* 32 letters */
#define A33 A32 "G"

static const norm_case_t cases[] = {
    /* ---- site-a: strip space+dash, 1-10 digits, padded to 10 ---- */
    { "a: short form", SITE_A, "12345678", "0012345678" },
    { "a: canonical", SITE_A, "0012345678", "0012345678" },
    { "a: spaces inside", SITE_A, "0012 345 678", "0012345678" },
    { "a: dashes inside", SITE_A, "0012-345-678", "0012345678" },
    { "a: leading spaces", SITE_A, "  12345678", "0012345678" },
    { "a: trailing spaces", SITE_A, "12345678  ", "0012345678" },
    { "a: spaces everywhere", SITE_A, " 0 0 1 2 3 4 5 6 7 8 ", "0012345678" },
    { "a: mixed space and dash", SITE_A, "12 - 345 - 678", "0012345678" },
    { "a: leading dash stripped", SITE_A, "-12345678", "0012345678" },
    { "a: one digit", SITE_A, "1", "0000000001" },
    { "a: all zeros", SITE_A, "0000000000", "0000000000" },
    { "a: single zero", SITE_A, "0", "0000000000" },
    { "a: ten digits", SITE_A, "1234567890", "1234567890" },
    { "a: nine digits", SITE_A, "123456789", "0123456789" },
    { "a: empty", SITE_A, "", FAIL },
    { "a: only spaces", SITE_A, "   ", FAIL },
    { "a: only dashes", SITE_A, "---", FAIL },
    { "a: letters", SITE_A, "abc", FAIL },
    { "a: SQL injection", SITE_A, "1 OR 1=1", FAIL },
    { "a: quote injection", SITE_A, "1' OR '1'='1", FAIL },
    { "a: semicolon", SITE_A, "12345678;", FAIL },
    { "a: eleven digits (too long)", SITE_A, "12345678901", FAIL },
    { "a: eleven with leading zero", SITE_A, "00012345678", FAIL },
    { "a: 32 digits", SITE_A, S32, FAIL },
    { "a: 33 digits", SITE_A, S33, FAIL },
    { "a: slash not stripped here", SITE_A, "0012/345/678", FAIL },
    { "a: tab is not a space", SITE_A, "0012\t345678", FAIL },
    { "a: newline", SITE_A, "12345678\n", FAIL },
    { "a: plus sign", SITE_A, "+12345678", FAIL },
    { "a: dot", SITE_A, "1234.5678", FAIL },
    { "a: fullwidth digits", SITE_A, "\xef\xbc\x91\xef\xbc\x92\xef\xbc\x93", FAIL },
    { "a: Cyrillic letter", SITE_A, "12345678\xd0\x90", FAIL },
    { "a: lowercase letter", SITE_A, "12345678a", FAIL },
    { "a: 40 typed, 10 kept", SITE_A, " - - - - - - - - - - - - - - -1234567890", "1234567890" },

    /* ---- site-b: strip space+dash, 1-18 digits, leading zeros dropped ---- */
    { "b: short form", SITE_B, "12345678", "12345678" },
    { "b: leading zeros trimmed", SITE_B, "0012345678", "12345678" },
    { "b: spaces inside", SITE_B, "0012 345 678", "12345678" },
    { "b: dashes inside", SITE_B, "0012-345-678", "12345678" },
    { "b: leading spaces", SITE_B, "  12345678", "12345678" },
    { "b: eleven digits fit", SITE_B, "12345678901", "12345678901" },
    { "b: all zeros -> 0", SITE_B, "0000000000", "0" },
    { "b: single zero", SITE_B, "0", "0" },
    { "b: zeros between kept", SITE_B, "00100200", "100200" },
    { "b: 18 digits", SITE_B, "123456789012345678", "123456789012345678" },
    { "b: 18 digits, zeros first", SITE_B, "000000000000012345", "12345" },
    /* At most 18 digits as typed, zeros included: a longer typing is
     * refused even when its value has fewer digits. */
    { "b: 19 digits with a leading zero", SITE_B, "0123456789012345678", FAIL },
    { "b: 18 significant after zeros", SITE_B, "000000123456789012345678", FAIL },
    { "b: 19 digits (too long)", SITE_B, "1234567890123456789", FAIL },
    { "b: int64 max (too long)", SITE_B, "9223372036854775807", FAIL },
    { "b: 33 digits", SITE_B, S33, FAIL },
    { "b: empty", SITE_B, "", FAIL },
    { "b: letters", SITE_B, "abc", FAIL },
    { "b: SQL injection", SITE_B, "1 OR 1=1", FAIL },
    { "b: negative number", SITE_B, "-5", "5" },   /* the dash is stripped */
    { "b: slash", SITE_B, "12/34", FAIL },

    /* ---- region + padded serial: RR-NNNNNNN ---- */
    { "r: dash, short serial", REGION, "75-123", "75-0000123" },
    { "r: space, padded serial", REGION, "75 0000123", "75-0000123" },
    { "r: run together", REGION, "750000123", "75-0000123" },
    { "r: run together, short", REGION, "75123", "75-0000123" },
    { "r: canonical", REGION, "75-0000123", "75-0000123" },
    { "r: slash", REGION, "75/123", "75-0000123" },
    { "r: one-digit serial", REGION, "751", "75-0000001" },
    { "r: serial zero", REGION, "75-0", "75-0000000" },
    { "r: seven-digit serial", REGION, "75-1234567", "75-1234567" },
    { "r: leading zero region kept", REGION, "05-12", "05-0000012" },
    { "r: serial too long", REGION, "75-12345678", FAIL },
    { "r: run together too long", REGION, "7512345678", FAIL },
    { "r: region only", REGION, "75", FAIL },
    { "r: region only, dash", REGION, "75-", FAIL },
    { "r: one-digit region", REGION, "7-123", "71-0000023" },   /* only the digits count */
    { "r: letters", REGION, "AB-123", FAIL },
    { "r: two dashes", REGION, "75--123", "75-0000123" },      /* both stripped */
    { "r: dot separator", REGION, "75.123", FAIL },
    { "r: empty", REGION, "", FAIL },

    { "rd: dash, short serial", REGION_DASH, "75-123", "75-0000123" },
    { "rd: space, padded serial", REGION_DASH, "75 0000123", "75-0000123" },
    { "rd: run together", REGION_DASH, "750000123", "75-0000123" },
    { "rd: canonical", REGION_DASH, "75-0000123", "75-0000123" },
    { "rd: one-digit region", REGION_DASH, "7-123", FAIL },
    { "rd: two dashes", REGION_DASH, "75--123", FAIL },
    { "rd: dash at the end", REGION_DASH, "75123-", FAIL },
    { "rd: slash", REGION_DASH, "75/123", FAIL },

    /* ---- letter prefix: AL-NNNNNN, dash not stripped ---- */
    { "l: lower case, run together", LETTER, "al123", "AL-000123" },
    { "l: canonical", LETTER, "AL-000123", "AL-000123" },
    { "l: dash, short", LETTER, "AL-123", "AL-000123" },
    { "l: mixed case", LETTER, "aL 12 3", "AL-000123" },
    { "l: six digits", LETTER, "AL999999", "AL-999999" },
    { "l: serial zero", LETTER, "al0", "AL-000000" },
    { "l: seven digits", LETTER, "AL1234567", FAIL },
    { "l: no serial", LETTER, "AL", FAIL },
    { "l: no serial, dash", LETTER, "AL-", FAIL },
    { "l: two dashes", LETTER, "AL--123", FAIL },
    { "l: dash after serial", LETTER, "AL123-", FAIL },
    { "l: other prefix", LETTER, "AK123", FAIL },
    { "l: prefix missing", LETTER, "123", FAIL },
    { "l: prefix twice", LETTER, "ALAL123", FAIL },
    { "l: slash separator", LETTER, "AL/123", FAIL },
    { "l: Cyrillic A", LETTER, "\xd0\x90L123", FAIL },
    { "ls: dash stripped", LETTER_STRIP, "al-123", "AL-000123" },
    { "ls: two dashes stripped", LETTER_STRIP, "AL--123", "AL-000123" },
    { "ls: canonical", LETTER_STRIP, "AL-000123", "AL-000123" },

    /* ---- letters and digits ---- */
    { "u: lowercase folded", ALNUM_UPPER, "ab12cd", "AB12CD" },
    { "u: mixed case folded", ALNUM_UPPER, "aB-12/cD", "AB12CD" },
    { "u: slash stripped", ALNUM_UPPER, "12/345/678", "12345678" },
    { "u: spaces stripped", ALNUM_UPPER, " kz 001 ", "KZ001" },
    { "u: 32 letters", ALNUM_UPPER, A32, A32 },
    { "u: 33 letters", ALNUM_UPPER, A33, FAIL },
    { "u: 40 typed, 24 kept", ALNUM_UPPER, " AB-CD-EF-GH-IJ-KL-MN-OP-QR-ST-UV-WX/ ",
      "ABCDEFGHIJKLMNOPQRSTUVWX" },
    { "u: Cyrillic refused", ALNUM_UPPER, "\xd0\xb0\xd0\xb1\xd0\xb2", FAIL },
    { "u: quote refused", ALNUM_UPPER, "AB'1", FAIL },
    { "u: semicolon refused", ALNUM_UPPER, "AB;1", FAIL },
    { "u: percent refused", ALNUM_UPPER, "AB%", FAIL },
    { "u: underscore refused", ALNUM_UPPER, "AB_1", FAIL },
    { "u: empty", ALNUM_UPPER, "", FAIL },
    { "u: only strippable", ALNUM_UPPER, " -/ ", FAIL },
    { "c: lowercase kept without uppercase", ALNUM_CASE, "ab12cd", "ab12cd" },
    { "c: nothing stripped: space refused", ALNUM_CASE, "ab 12", FAIL },
    { "c: quote refused", ALNUM_CASE, "a'b", FAIL },

    /* ---- digits with slash stripping ---- */
    { "s: slash stripped", DIGITS_SLASH, "12/345678", "0012345678" },
    { "s: all three stripped", DIGITS_SLASH, "0012 345-67/8", "0012345678" },
    { "s: letters refused", DIGITS_SLASH, "12/ab", FAIL },

    /* ---- a part that may be absent ---- */
    { "x: without the letter", SUFFIX, "123", "000123" },
    { "x: with the letter", SUFFIX, "123a", "000123A" },
    { "x: two letters", SUFFIX, "123ab", FAIL },
    { "x: letter first", SUFFIX, "a123", FAIL },

    /* ---- greedy with backtracking ---- */
    { "p: longest head that leaves three", SPLIT, "12345678", "12345/678" },
    { "p: head shortened", SPLIT, "1234567", "1234/567" },
    { "p: shortest head", SPLIT, "1234", "1/234" },
    { "p: too short", SPLIT, "123", FAIL },
    { "p: too long", SPLIT, "123456789", FAIL },
};

static void test_normalise_table(void **state)
{
    (void)state;
    int failures = 0;

    for (size_t i = 0; i < COUNT(cases); i++) {
        const norm_case_t *c = &cases[i];
        char out[GV_ACCOUNT_MAX + 1];
        int rc;

        memset(out, 'x', sizeof out);
        out[GV_ACCOUNT_MAX] = '\0';
        rc = gv_account_normalise(R(c->form), c->typed, out, sizeof out);
        if (c->expected == FAIL) {
            if (rc != -1) {
                print_message("FAIL %s: '%s' -> rc %d '%s', expected -1\n", c->name, c->typed,
                              rc, out);
                failures++;
            } else if (strspn(out, "x") != GV_ACCOUNT_MAX) {
                print_message("FAIL %s: out was written on failure\n", c->name);
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
    for (size_t i = 0; i < COUNT(cases); i++) {
        const norm_case_t *c = &cases[i];
        char once[GV_ACCOUNT_MAX + 1], twice[GV_ACCOUNT_MAX + 1];

        if (c->expected == FAIL || c->form == SPLIT)   /* SPLIT's output adds a '/' */
            continue;
        assert_int_equal(gv_account_normalise(R(c->form), c->typed, once, sizeof once), 0);
        assert_int_equal(gv_account_normalise(R(c->form), once, twice, sizeof twice), 0);
        assert_string_equal(once, twice);
    }
}

/* R7: every way of typing one account gives one canonical form, for each
 * of the four forms the issue names. */
static void test_normalise_same_account(void **state)
{
    static const char *const digit_typings[] = {
        "12345678", "0012345678", "0012 345 678", "0012-345-678", "  12345678",
        "12345678  ", "012345678", "00 12 34 56 78", "12-34-56-78",
    };
    static const char *const region_typings[] = {
        "75-123", "75 0000123", "750000123", "75123", "75-0000123", "75 123", "7 5 1 2 3",
        "75/000/0123", "75-00-00-123",
    };
    static const char *const letter_typings[] = {
        "al123", "AL-000123", "AL123", "al-123", "AL 000 123", "Al-0123", "aL00123",
    };
    static const struct {
        int form;
        const char *const *typings;
        size_t n;
        const char *canonical;
    } sites[] = {
        { SITE_A, digit_typings, COUNT(digit_typings), "0012345678" },
        { SITE_B, digit_typings, COUNT(digit_typings), "12345678" },
        { REGION, region_typings, COUNT(region_typings), "75-0000123" },
        { REGION_DASH, region_typings, 6, "75-0000123" },
        { LETTER, letter_typings, COUNT(letter_typings), "AL-000123" },
        { LETTER_STRIP, letter_typings, COUNT(letter_typings), "AL-000123" },
    };
    (void)state;

    for (size_t s = 0; s < COUNT(sites); s++)
        for (size_t i = 0; i < sites[s].n; i++) {
            char out[GV_ACCOUNT_MAX + 1];
            if (gv_account_normalise(R(sites[s].form), sites[s].typings[i], out, sizeof out) ||
                strcmp(out, sites[s].canonical)) {
                print_message("form %s: '%s'\n", forms[sites[s].form].name, sites[s].typings[i]);
                fail();
            }
        }
}

/* The output buffer must hold GV_ACCOUNT_MAX + 1 bytes; less is refused
 * rather than overrun. */
static void test_normalise_small_buffer(void **state)
{
    char out[GV_ACCOUNT_MAX + 8];
    (void)state;

    memset(out, 'Z', sizeof out);
    assert_int_equal(gv_account_normalise(R(SITE_A), "12345678", out, GV_ACCOUNT_MAX), -1);
    for (size_t i = 0; i < sizeof out; i++)
        assert_int_equal(out[i], 'Z');
    assert_int_equal(gv_account_normalise(R(SITE_A), "12345678", out, GV_ACCOUNT_MAX + 1), 0);
    assert_string_equal(out, "0012345678");
}

/* Rules whose form was never compiled match nothing. */
static void test_normalise_uncompiled(void **state)
{
    gv_account_rules_t none;
    char out[GV_ACCOUNT_MAX + 1];
    (void)state;

    memset(&none, 0, sizeof none);
    assert_int_equal(gv_account_normalise(&none, "12345678", out, sizeof out), -1);
}

/* Every 1..10-digit number pads to exactly ten digits at site-a and keeps
 * its value; every digit string up to 18 digits keeps its value at site-b;
 * every serial of 1..7 digits pads to seven behind the region. */
static void test_normalise_lengths(void **state)
{
    const char *digits = "987654321098765432109876543210";
    (void)state;

    for (size_t len = 1; len <= 30; len++) {
        char typed[64], out[GV_ACCOUNT_MAX + 1], expect[64];
        int rc;

        memcpy(typed, digits, len);
        typed[len] = '\0';

        rc = gv_account_normalise(R(SITE_A), typed, out, sizeof out);
        if (len <= 10) {
            assert_int_equal(rc, 0);
            assert_int_equal(strlen(out), 10);
            assert_string_equal(out + 10 - len, typed);
            for (size_t k = 0; k < 10 - len; k++)
                assert_int_equal(out[k], '0');
        } else {
            assert_int_equal(rc, -1);
        }

        rc = gv_account_normalise(R(SITE_B), typed, out, sizeof out);
        if (len <= 18) {
            assert_int_equal(rc, 0);
            assert_string_equal(out, typed);
        } else {
            assert_int_equal(rc, -1);
        }

        snprintf(typed, sizeof typed, "42-%.*s", (int)len, digits);
        rc = gv_account_normalise(R(REGION), typed, out, sizeof out);
        if (len <= 7) {
            snprintf(expect, sizeof expect, "42-%.*s%.*s", (int)(7 - len), "0000000", (int)len,
                     digits);
            assert_int_equal(rc, 0);
            assert_string_equal(out, expect);
        } else {
            assert_int_equal(rc, -1);
        }
    }
}

/* The cleaned text is at most 32 characters: 32 pass, 33 do not, however
 * many stripped characters surround them. */
static void test_normalise_32(void **state)
{
    char out[GV_ACCOUNT_MAX + 1], typed[200];
    (void)state;

    assert_int_equal(gv_account_normalise(R(ALNUM_UPPER), A32, out, sizeof out), 0);
    assert_string_equal(out, A32);
    snprintf(typed, sizeof typed, "- - - - - - - - - - %s - - - - - - -", A32);
    assert_int_equal(gv_account_normalise(R(ALNUM_UPPER), typed, out, sizeof out), 0);
    assert_string_equal(out, A32);
    assert_int_equal(gv_account_normalise(R(ALNUM_UPPER), A33, out, sizeof out), -1);
    snprintf(typed, sizeof typed, "%s-", A32);
    assert_int_equal(gv_account_normalise(R(ALNUM_UPPER), typed, out, sizeof out), 0);
}

/* Backtracking is bounded: each (item, position) is tried once, so a form
 * of 15 parts that may be empty, against 30 digits and a missing literal,
 * answers at once (without the bound it would try 3^15 splits). */
static void test_normalise_bounded(void **state)
{
    gv_account_rules_t r;
    gv_account_form_err_t err;
    char match[512] = "", output[256] = "", out[GV_ACCOUNT_MAX + 1];
    char zeros30[31], zeros29x[31];
    (void)state;

    memset(zeros30, '0', 30);
    zeros30[30] = '\0';
    memcpy(zeros29x, zeros30, 29);
    zeros29x[29] = 'X';
    zeros29x[30] = '\0';

    for (int k = 0; k < 15; k++) {
        snprintf(match + strlen(match), sizeof match - strlen(match), "p%d:digit{0,2} ", k);
        snprintf(output + strlen(output), sizeof output - strlen(output), "{p%d}", k);
    }
    strcat(match, "\"X\"");
    memset(&r, 0, sizeof r);
    assert_int_equal(gv_account_form_compile(match, output, 32, &r, &err), 0);
    for (int n = 0; n < 100; n++)
        assert_int_equal(gv_account_normalise(&r, zeros30, out, sizeof out), -1);
    assert_int_equal(gv_account_normalise(&r, zeros29x, out, sizeof out), 0);
    zeros29x[29] = '\0';
    assert_string_equal(out, zeros29x);
}

/* ---- compiling --------------------------------------------------------------- */

/* The compiled shape of the four named forms. */
static void test_compile_shapes(void **state)
{
    const gv_account_rules_t *r;
    (void)state;

    r = R(SITE_A);
    assert_int_equal(r->nitems, 1);
    assert_true(r->items[0].is_part);
    assert_string_equal(r->items[0].text, "number");
    assert_int_equal(r->items[0].cls, GV_CLASS_DIGIT);
    assert_int_equal(r->items[0].min, 1);
    assert_int_equal(r->items[0].max, 10);
    assert_int_equal(r->npieces, 1);
    assert_int_equal(r->pieces[0].kind, GV_PIECE_PADDED);
    assert_int_equal(r->pieces[0].width, 10);
    assert_int_equal(r->output_max, 10);
    assert_int_equal(r->output_digits, 1);
    assert_int_equal(r->max_length, 10);

    r = R(SITE_B);
    assert_int_equal(r->pieces[0].kind, GV_PIECE_INT);
    assert_int_equal(r->output_max, 18);
    assert_int_equal(r->output_digits, 1);

    r = R(REGION);
    assert_int_equal(r->nitems, 3);
    assert_false(r->items[1].is_part);
    assert_true(r->items[1].optional);
    assert_string_equal(r->items[1].text, "-");
    assert_int_equal(r->items[2].column, 22);
    assert_int_equal(r->npieces, 3);
    assert_int_equal(r->pieces[0].kind, GV_PIECE_VALUE);
    assert_int_equal(r->pieces[1].kind, GV_PIECE_LITERAL);
    assert_string_equal(r->pieces[1].text, "-");
    assert_int_equal(r->pieces[2].kind, GV_PIECE_PADDED);
    assert_int_equal(r->pieces[2].item, 2);
    assert_int_equal(r->output_max, 10);
    assert_int_equal(r->output_digits, 0);

    r = R(LETTER);
    assert_int_equal(r->nitems, 3);
    assert_string_equal(r->items[0].text, "AL");
    assert_false(r->items[0].optional);
    assert_string_equal(r->pieces[0].text, "AL-");
    assert_int_equal(r->output_max, 9);
    assert_int_equal(r->output_digits, 0);

    r = R(SUFFIX);
    assert_int_equal(r->items[1].min, 0);
    assert_int_equal(r->items[1].cls, GV_CLASS_LETTER);
    assert_int_equal(r->output_max, 7);
}

/* White space between items is free; a length of {N} is {N,N}. */
static void test_compile_spacing(void **state)
{
    gv_account_rules_t r;
    gv_account_form_err_t err;
    char out[GV_ACCOUNT_MAX + 1];
    (void)state;

    memset(&r, 0, sizeof r);
    assert_int_equal(gv_account_form_compile("  \t a:digit{2}\t\"-\"?   b:letter{3}  ",
                                             "{a}{b}{a:04}{b}", 32, &r, &err), 0);
    assert_int_equal(r.nitems, 3);
    assert_int_equal(r.items[0].min, 2);
    assert_int_equal(r.items[0].max, 2);
    assert_int_equal(r.output_max, 2 + 3 + 4 + 3);
    assert_int_equal(gv_account_normalise(&r, "12-abc", out, sizeof out), 0);
    assert_string_equal(out, "12abc0012abc");
    assert_int_equal(gv_account_normalise(&r, "12abc", out, sizeof out), 0);
    assert_int_equal(gv_account_normalise(&r, "1abc", out, sizeof out), -1);
}

/* {NAME:0N}: values longer than N are kept, not cut. */
static void test_compile_pad_keeps_longer(void **state)
{
    gv_account_rules_t r;
    gv_account_form_err_t err;
    char out[GV_ACCOUNT_MAX + 1];
    (void)state;

    memset(&r, 0, sizeof r);
    assert_int_equal(gv_account_form_compile("n:digit{1,8}", "{n:04}", 8, &r, &err), 0);
    assert_int_equal(r.output_max, 8);
    assert_int_equal(gv_account_normalise(&r, "12", out, sizeof out), 0);
    assert_string_equal(out, "0012");
    assert_int_equal(gv_account_normalise(&r, "1234567", out, sizeof out), 0);
    assert_string_equal(out, "1234567");
    /* :int of an all-zero value is one zero; of a value without zeros, itself */
    assert_int_equal(gv_account_form_compile("n:digit{1,8}", "N{n:int}", 9, &r, &err), 0);
    assert_int_equal(gv_account_normalise(&r, "000", out, sizeof out), 0);
    assert_string_equal(out, "N0");
    assert_int_equal(gv_account_normalise(&r, "907", out, sizeof out), 0);
    assert_string_equal(out, "N907");
    /* the widest pad and the longest output */
    assert_int_equal(gv_account_form_compile("n:digit{1,32}", "{n:032}", 32, &r, &err), 0);
    assert_int_equal(gv_account_normalise(&r, "7", out, sizeof out), 0);
    assert_string_equal(out, "00000000000000000000000000000007");
}

typedef struct {
    const char *name;
    unsigned strip;
    int uppercase;
    const char *match, *output;
    unsigned max_length;
    gv_form_key_t key;
    const char *msg;        /* the whole message */
} compile_err_case_t;

#define M GV_FORM_AT_MATCH
#define O GV_FORM_AT_OUTPUT

static const compile_err_case_t compile_errs[] = {
    /* ---- match ---- */
    { "empty match", 0, 0, "", "{n}", 32, M,
      "is empty: write the parts of an account, e.g. number:digit{1,10}" },
    { "blank match", 0, 0, " \t ", "{n}", 32, M,
      "is empty: write the parts of an account, e.g. number:digit{1,10}" },
    { "no part", 0, 0, "\"AL\" \"-\"?", "AL", 32, M,
      "has no part: every account would be the same; write at least one NAME:CLASS{MIN,MAX}" },
    { "unknown class", 0, 0, "n:digits{1,2}", "{n}", 32, M,
      "column 3: part 'n': unknown class 'digits' (expected digit, letter or alnum)" },
    { "upper-case class", 0, 0, "n:DIGIT{1,2}", "{n}", 32, M,
      "column 3: part 'n': unknown class 'DIGIT' (expected digit, letter or alnum)" },
    { "empty class", 0, 0, "n:{1,2}", "{n}", 32, M,
      "column 3: part 'n': unknown class '' (expected digit, letter or alnum)" },
    { "no class", 0, 0, "n{1,2}", "{n}", 32, M,
      "column 1: part 'n' needs a class and a length: n:digit{1,10}, got 'n{1,2}'" },
    { "not an item", 0, 0, "12", "{n}", 32, M,
      "column 1: expected a part NAME:CLASS{MIN,MAX} or a \"literal\", got '12'" },
    { "regex syntax", 0, 0, "a:digit{2} [0-9]+", "{a}", 32, M,
      "column 12: expected a part NAME:CLASS{MIN,MAX} or a \"literal\", got '[0-9]+'" },
    { "no length", 0, 0, "n:digit", "{n}", 32, M,
      "column 8: part 'n': expected {MIN,MAX} or {N} after the class, got the end" },
    { "unbalanced brace", 0, 0, "n:digit{1,10", "{n}", 32, M,
      "column 13: part 'n': unbalanced brace: expected '}' to close {MIN,MAX}, got the end" },
    { "space in braces", 0, 0, "n:digit{1, 10}", "{n}", 32, M,
      "column 11: part 'n': expected a number after ',', got a space" },
    { "no MIN", 0, 0, "n:digit{,3}", "{n}", 32, M,
      "column 9: part 'n': expected a number after '{', got ',3}'" },
    { "no MAX", 0, 0, "n:digit{1,}", "{n}", 32, M,
      "column 11: part 'n': expected a number after ',', got '}'" },
    { "negative", 0, 0, "n:digit{-1,3}", "{n}", 32, M,
      "column 9: part 'n': expected a number after '{', got '-1,3}'" },
    { "MIN > MAX", 0, 0, "n:digit{5,3}", "{n}", 32, M,
      "column 1: part 'n': MIN 5 is more than MAX 3" },
    { "MAX 0", 0, 0, "a:digit{1} n:digit{0}", "{a}{n}", 32, M,
      "column 12: part 'n' takes no characters; MAX must be at least 1" },
    { "MAX 33", 0, 0, "n:digit{1,33}", "{n}", 32, M,
      "column 1: part 'n': at most 32 characters (an account number's length)" },
    { "huge MAX", 0, 0, "n:digit{1,99999999999999999999}", "{n}", 32, M,
      "column 1: part 'n': at most 32 characters (an account number's length)" },
    { "duplicate name", 0, 0, "n:digit{2} n:digit{3}", "{n}", 32, M,
      "column 12: a second part named 'n'" },
    { "long name", 0, 0, "abcdefghijklmnopq:digit{2}", "{abcdefghijklmnopq}", 32, M,
      "column 1: the part name 'abcdefghijklmnopq' is longer than 16 characters" },
    { "name starts with a digit", 0, 0, "1n:digit{2}", "{n}", 32, M,
      "column 1: expected a part NAME:CLASS{MIN,MAX} or a \"literal\", got '1n:digit{2}'" },
    { "optional part", 0, 0, "n:digit{2}?", "{n}", 32, M,
      "column 11: only a quoted literal may be optional; part 'n' may be absent with a MIN of 0" },
    { "unbalanced quote", 0, 0, "\"AL n:digit{1,6}", "{n}", 32, M,
      "column 1: unbalanced quote: the literal \"AL has no closing '\"'" },
    { "empty literal", 0, 0, "\"\" n:digit{1,6}", "{n}", 32, M,
      "column 1: the literal \"\" is empty" },
    { "literal with underscore", 0, 0, "\"A_\" n:digit{1,6}", "{n}", 32, M,
      "column 3: the literal \"A_\" has '_'; an account number holds only A-Z, a-z, 0-9, "
      "space, '-' and '/'" },
    { "Cyrillic literal", 0, 0, "\"\xd0\x90\xd0\x9b\" n:digit{1,6}", "{n}", 32, M,
      "column 2: the literal \"\xd0\x90\xd0\x9b\" has 0xD0; an account number holds only A-Z, "
      "a-z, 0-9, space, '-' and '/'" },
    { "literal of 33", 0, 0, "\"" S33 "\" n:digit{1}", "{n}", 32, M,
      "column 1: the literal is 33 characters long; an account number has at most 32" },
    { "required literal stripped", GV_STRIP_DASH, 0, "a:digit{2} \"-\" b:digit{3}", "{a}{b}",
      32, M, "column 12: the literal \"-\" can never be typed: strip removes '-' (write it "
      "\"-\"? or leave it to strip)" },
    { "required space stripped", GV_STRIP_SPACE, 0, "\"A B\" b:digit{3}", "{b}", 32, M,
      "column 1: the literal \"A B\" can never be typed: strip removes ' ' (write it "
      "\"A B\"? or leave it to strip)" },
    { "lower-case literal folded", 0, 1, "\"al\" n:digit{1,6}", "{n}", 32, M,
      "column 1: the literal \"al\" can never match: uppercase = yes folds what was typed to "
      "upper case" },
    { "no space after a literal", 0, 0, "\"AL\"n:digit{1,6}", "{n}", 32, M,
      "column 5: expected a space between items, got 'n'" },
    { "no space after a part", 0, 0, "n:digit{1,6}\"X\"", "{n}", 32, M,
      "column 13: expected a space between items, got '\"'" },
    { "seventeen items", 0, 0,
      "a:digit{1} \"-\"? \"-\"? \"-\"? \"-\"? \"-\"? \"-\"? \"-\"? \"-\"? \"-\"? \"-\"? \"-\"? "
      "\"-\"? \"-\"? \"-\"? \"-\"? \"-\"?", "{a}", 32, M, "column 87: more than 16 items" },
    { "needs more than 32", 0, 0, "\"ACCOUNT\" a:digit{20} b:digit{6}", "{a}{b}", 32, M,
      "needs at least 33 characters; an account number has at most 32" },

    /* ---- output ---- */
    { "empty output", 0, 0, "n:digit{1,6}", "", 32, O,
      "is empty: write the canonical form, e.g. {number}" },
    { "unknown name", 0, 0, "number:digit{1,6}", "{nmber}", 32, O,
      "column 1: {nmber}: match has no part named 'nmber'" },
    { "unknown name with format", 0, 0, "region:digit{2} serial:digit{1,7}",
      "{region}-{serail:07}", 32, O, "column 10: {serail:07}: match has no part named 'serail'" },
    { "literal is not a part", 0, 0, "\"AL\" n:digit{1,6}", "{AL}{n}", 32, O,
      "column 1: {AL}: match has no part named 'AL'" },
    { "empty reference", 0, 0, "n:digit{1,6}", "{n}{}", 32, O,
      "column 4: {}: a reference needs a part name" },
    { "width without zero", 0, 0, "n:digit{1,6}", "{n:7}", 32, O,
      "column 1: {n:7}: expected {n}, {n:0N} (zeros on the left up to N) or {n:int}" },
    { "width with junk", 0, 0, "n:digit{1,6}", "{n:07x}", 32, O,
      "column 1: {n:07x}: expected {n}, {n:0N} (zeros on the left up to N) or {n:int}" },
    { "three-digit width", 0, 0, "n:digit{1,6}", "{n:0100}", 32, O,
      "column 1: {n:0100}: expected {n}, {n:0N} (zeros on the left up to N) or {n:int}" },
    { "empty format", 0, 0, "n:digit{1,6}", "{n:}", 32, O,
      "column 1: {n:}: expected {n}, {n:0N} (zeros on the left up to N) or {n:int}" },
    { "INT", 0, 0, "n:digit{1,6}", "{n:INT}", 32, O,
      "column 1: {n:INT}: expected {n}, {n:0N} (zeros on the left up to N) or {n:int}" },
    { "width 0", 0, 0, "n:digit{1,6}", "{n:00}", 32, O,
      "column 1: {n:00}: the width must be 1 to 32" },
    { "width 33", 0, 0, "n:digit{1,6}", "{n:033}", 32, O,
      "column 1: {n:033}: the width must be 1 to 32" },
    { "unclosed brace", 0, 0, "n:digit{1,6}", "AL-{n", 32, O,
      "column 4: unbalanced brace: '{' is not closed before the end" },
    { "nested brace", 0, 0, "n:digit{1,6}", "{n{n}}", 32, O,
      "column 1: unbalanced brace: '{' is not closed before the next '{'" },
    { "stray closing brace", 0, 0, "n:digit{1,6}", "{n}}", 32, O,
      "column 4: unbalanced brace: '}' closes nothing" },
    { "closing brace first", 0, 0, "n:digit{1,6}", "n}", 32, O,
      "column 2: unbalanced brace: '}' closes nothing" },
    { "int of letters", 0, 0, "n:letter{1,6}", "{n:int}", 32, O,
      "column 1: {n:int}: 'n' is a letter part; :0N and :int need a digit part" },
    { "pad of alnum", 0, 0, "n:alnum{1,6}", "{n:08}", 32, O,
      "column 1: {n:08}: 'n' is an alnum part; :0N and :int need a digit part" },
    { "underscore in output", 0, 0, "n:digit{1,6}", "AL_{n}", 32, O,
      "column 3: '_' cannot be in an account number (only A-Z, a-z, 0-9, space, '-' and '/')" },
    { "quote in output", 0, 0, "n:digit{1,6}", "\"{n}\"", 32, O,
      "column 1: '\"' cannot be in an account number (only A-Z, a-z, 0-9, space, '-' and '/')" },
    { "Cyrillic in output", 0, 0, "n:digit{1,6}", "\xd0\x90{n}", 32, O,
      "column 1: 0xD0 cannot be in an account number (only A-Z, a-z, 0-9, space, '-' and '/')" },
    { "output literal of 33", 0, 0, "n:digit{1}", S33 "{n}", 32, O,
      "column 1: the text '" S33 "' is longer than an account number (32)" },
    { "part never used", 0, 0, "region:digit{2} serial:digit{1,7}", "{serial:07}", 32, O,
      "does not use part 'region' (match column 1): every part typed is part of the account" },
    { "second part never used", 0, 0, "region:digit{2} \"-\"? serial:digit{1,7}", "{region}",
      32, O, "does not use part 'serial' (match column 22): every part typed is part of the "
      "account" },
    { "longer than max_length", 0, 0, "number:digit{1,11}", "{number:010}", 10, O,
      "can be 11 characters long (every part at its MAX), more than max_length = 10" },
    { "pad wider than max_length", 0, 0, "number:digit{1,8}", "{number:012}", 10, O,
      "can be 12 characters long (every part at its MAX), more than max_length = 10" },
    { "literals over max_length", 0, 0, "\"AL\" \"-\"? serial:digit{1,6}", "AL-{serial:06}", 8,
      O, "can be 9 characters long (every part at its MAX), more than max_length = 8" },
    { "a part used twice over 32", 0, 0, "n:digit{1,20}", "{n}{n}", 32, O,
      "can be 40 characters long (every part at its MAX), more than max_length = 32" },
    { "seventeen pieces", 0, 0, "n:digit{1}", "{n}-{n}-{n}-{n}-{n}-{n}-{n}-{n}-{n}", 32, O,
      "column 33: more than 16 pieces" },
    { "max_length 0", 0, 0, "n:digit{1}", "{n}", 0, O, "max_length must be 1 to 32, got 0" },
    { "max_length 33", 0, 0, "n:digit{1}", "{n}", 33, O, "max_length must be 1 to 32, got 33" },
};

static void test_compile_errors(void **state)
{
    int failures = 0;
    (void)state;

    for (size_t i = 0; i < COUNT(compile_errs); i++) {
        const compile_err_case_t *c = &compile_errs[i];
        gv_account_rules_t r;
        gv_account_form_err_t err;
        char out[GV_ACCOUNT_MAX + 1];
        int rc;

        memset(&r, 0, sizeof r);
        r.strip = c->strip;
        r.uppercase = c->uppercase;
        memset(&err, 0, sizeof err);
        rc = gv_account_form_compile(c->match, c->output, c->max_length, &r, &err);
        if (rc != -1 || err.key != c->key || strcmp(err.msg, c->msg) != 0) {
            print_message("FAIL %s: rc %d, %s \"%s\"\n  expected %s \"%s\"\n", c->name, rc,
                          err.key == M ? "match" : "output", err.msg,
                          c->key == M ? "match" : "output", c->msg);
            failures++;
        }
        /* a form that failed matches nothing */
        if (r.nitems != 0 || gv_account_normalise(&r, "1", out, sizeof out) != -1) {
            print_message("FAIL %s: a refused form still matches\n", c->name);
            failures++;
        }
    }
    assert_int_equal(failures, 0);
}

/* Compiling again replaces the form, not adds to it. */
static void test_compile_again(void **state)
{
    gv_account_rules_t r;
    gv_account_form_err_t err;
    char out[GV_ACCOUNT_MAX + 1];
    (void)state;

    memset(&r, 0, sizeof r);
    assert_int_equal(gv_account_form_compile("a:digit{2} b:digit{2}", "{a}-{b}", 5, &r, &err), 0);
    assert_int_equal(gv_account_form_compile("n:letter{1,3}", "{n}", 3, &r, &err), 0);
    assert_int_equal(r.nitems, 1);
    assert_int_equal(r.npieces, 1);
    assert_int_equal(gv_account_normalise(&r, "abc", out, sizeof out), 0);
    assert_string_equal(out, "abc");
    assert_int_equal(gv_account_normalise(&r, "1234", out, sizeof out), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_normalise_table),
        cmocka_unit_test(test_normalise_idempotent),
        cmocka_unit_test(test_normalise_same_account),
        cmocka_unit_test(test_normalise_small_buffer),
        cmocka_unit_test(test_normalise_uncompiled),
        cmocka_unit_test(test_normalise_lengths),
        cmocka_unit_test(test_normalise_32),
        cmocka_unit_test(test_normalise_bounded),
        cmocka_unit_test(test_compile_shapes),
        cmocka_unit_test(test_compile_spacing),
        cmocka_unit_test(test_compile_pad_keeps_longer),
        cmocka_unit_test(test_compile_errors),
        cmocka_unit_test(test_compile_again),
    };
    return cmocka_run_group_tests(tests, setup_forms, NULL);
}
