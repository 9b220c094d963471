/* test_mask.c - what an account check shows of a holder: surname and
 * initials, settlement with the street's first letter, no numbers
 * (wallet-interface.md section 1, AccountInfo). */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "mask.h"

/* ---- holders ------------------------------------------------------------ */

typedef struct {
    const char *full;
    const char *masked;
} holder_case_t;

static const holder_case_t holders[] = {
    { "Ахметова Айгуль Бековна", "Ахметова А. Б." },
    { "Ахметова Айгуль", "Ахметова А." },
    { "Ахметова", "Ахметова" },
    { "Петрова-Водкина Анна Сергеевна", "Петрова-Водкина А. С." },
    { "  Ахметова   Айгуль  Бековна  ", "Ахметова А. Б." },
    { "Ахметова\tАйгуль\tБековна", "Ахметова А. Б." },
    { "Ахметова Айгуль Бековна Кызы", "Ахметова А. Б." },          /* 4 words */
    { "Нурланұлы Ержан Серікұлы Бірінші Екінші", "Нурланұлы Е. С." }, /* 5 words */
    { "Әлиев Өмір Ұлы", "Әлиев Ө. Ұ." },                           /* Kazakh letters */
    { "Smith John Paul", "Smith J. P." },                           /* Latin */
    { "Smith John", "Smith J." },
    { "O'Brien Kate", "O'Brien K." },
    { "Ли Ён", "Ли Ё." },
    { "", "" },
    { "   ", "" },
};

static void test_holder_table(void **state)
{
    int failures = 0;
    (void)state;

    for (size_t i = 0; i < sizeof holders / sizeof holders[0]; i++) {
        char out[256];
        int rc = gv_mask_holder(holders[i].full, out, sizeof out);
        if (rc != 0 || strcmp(out, holders[i].masked) != 0) {
            print_message("FAIL holder '%s' -> rc %d '%s', expected '%s'\n", holders[i].full, rc,
                          rc == 0 ? out : "", holders[i].masked);
            failures++;
        }
    }
    assert_int_equal(failures, 0);
}

/* Given names and patronymics never appear in full. */
static void test_holder_hides_given_names(void **state)
{
    static const struct {
        const char *full;
        const char *hidden[3];
    } t[] = {
        { "Ахметова Айгуль Бековна", { "Айгуль", "Бековна", NULL } },
        { "Петрова-Водкина Анна Сергеевна", { "Анна", "Сергеевна", NULL } },
        { "Ахметова Айгуль Бековна Кызы", { "Айгуль", "Бековна", "Кызы" } },
        { "Smith John Paul", { "John", "Paul", NULL } },
    };
    (void)state;

    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        char out[256];
        assert_int_equal(gv_mask_holder(t[i].full, out, sizeof out), 0);
        for (int k = 0; k < 3 && t[i].hidden[k]; k++)
            assert_null(strstr(out, t[i].hidden[k]));
    }
}

static void test_holder_small_buffer(void **state)
{
    char out[64];
    const char *expect = "Ахметова А. Б.";
    size_t need = strlen(expect) + 1;
    (void)state;

    assert_int_equal(gv_mask_holder("Ахметова Айгуль Бековна", out, need - 1), -1);
    assert_int_equal(gv_mask_holder("Ахметова Айгуль Бековна", out, need), 0);
    assert_string_equal(out, expect);
    assert_int_equal(gv_mask_holder("Ахметова", out, 1), -1);
}

/* ---- addresses ---------------------------------------------------------- */

typedef struct {
    const char *settlement;      /* NULL: the site keeps none apart */
    const char *address;
    const char *masked;
} address_case_t;

static const address_case_t addresses[] = {
    /* the example in the spec */
    { NULL, "г. Алматы, ул. Жандосова, д. 12, кв. 34", "г. Алматы, ул. Ж***, д. **, кв. **" },
    { NULL, "с. Каскелен, ул. Наурызбай батыра, д. 21", "с. Каскелен, ул. Н*** б***, д. **" },
    { NULL, "Алматинская обл., Карасайский р-н, с. Каскелен, мкр. Самал-2, д. 5",
      "Алматинская обл., Карасайский р-н, с. Каскелен, мкр. **, д. **" },
    /* the settlement apart (site-b's city column) */
    { "г. Шымкент", "ул. Абая, д. 5, кв. 7", "г. Шымкент, ул. А***, д. **, кв. **" },
    /* given apart, a settlement-looking part of the address is masked too */
    { "г. Алматы", "г. Алматы, ул. Жандосова, д. 12", "г. Алматы, г. А***, ул. Ж***, д. **" },
    { "г. Шымкент", "", "г. Шымкент" },
    { "", "г. Алматы, ул. Абая, д. 1", "г. Алматы, ул. А***, д. **" },   /* "" = none */
    /* house numbers with letters and fractions */
    { NULL, "г. Алматы, ул. Абая, д. 12А", "г. Алматы, ул. А***, д. **" },
    { NULL, "г. Алматы, ул. Абая, д. 12/1, кв. 3", "г. Алматы, ул. А***, д. **, кв. **" },
    { NULL, "г. Алматы, ул. Абая, 12/1-5", "г. Алматы, ул. А***, **" },
    { NULL, "г. Алматы, ул. Абая, д.12", "г. Алматы, ул. А***, **" },
    /* a marker as the last word */
    { NULL, "Медеуский р-н, ул. Абая, д. 5", "Медеуский р-н, ул. А***, д. **" },
    /* spacing and empty parts */
    { NULL, "  г. Алматы ,ул.  Абая ,, д. 5  ", "г. Алматы, ул. А***, д. **" },
    /* a street with a number in its name */
    { NULL, "г. Алматы, ул. 8 Марта, д. 5", "г. Алматы, ул. ** М***, д. **" },
    /* an unknown word is masked, never kept */
    { NULL, "Неизвестно", "Н***" },
    { NULL, "", "" },
    /* Latin */
    { NULL, "Abay street, 5", "A*** s***, **" },
};

static void test_address_table(void **state)
{
    int failures = 0;
    (void)state;

    for (size_t i = 0; i < sizeof addresses / sizeof addresses[0]; i++) {
        const address_case_t *c = &addresses[i];
        char out[512];
        int rc = gv_mask_address(c->settlement, c->address, gv_default_settlement_markers, out,
                                 sizeof out);
        if (rc != 0 || strcmp(out, c->masked) != 0) {
            print_message("FAIL address '%s' (settlement '%s') -> rc %d '%s', expected '%s'\n",
                          c->address, c->settlement ? c->settlement : "(null)", rc,
                          rc == 0 ? out : "", c->masked);
            failures++;
        }
    }
    assert_int_equal(failures, 0);
}

/* NULL markers mean the defaults. */
static void test_address_null_markers(void **state)
{
    char a[512], b[512];
    (void)state;

    assert_int_equal(gv_mask_address(NULL, "г. Алматы, ул. Жандосова, д. 12, кв. 34", NULL, a,
                                     sizeof a), 0);
    assert_int_equal(gv_mask_address(NULL, "г. Алматы, ул. Жандосова, д. 12, кв. 34",
                                     gv_default_settlement_markers, b, sizeof b), 0);
    assert_string_equal(a, b);
    assert_string_equal(a, "г. Алматы, ул. Ж***, д. **, кв. **");
}

/* A mapping's own markers replace the defaults. */
static void test_address_custom_markers(void **state)
{
    static const char *const markers[] = { "қ.", "ауылы", NULL };
    char out[512];
    (void)state;

    assert_int_equal(gv_mask_address(NULL, "Алматы қ., Абай даңғылы, 12", markers, out,
                                     sizeof out), 0);
    assert_string_equal(out, "Алматы қ., А*** д***, **");
    /* "г." is not among these markers: the part is masked. */
    assert_int_equal(gv_mask_address(NULL, "г. Алматы, ул. Абая, 5", markers, out, sizeof out),
                     0);
    assert_string_equal(out, "г. А***, ул. А***, **");
}

static void test_address_small_buffer(void **state)
{
    char out[512];
    const char *expect = "г. Алматы, ул. Ж***, д. **, кв. **";
    size_t need = strlen(expect) + 1;
    (void)state;

    assert_int_equal(gv_mask_address(NULL, "г. Алматы, ул. Жандосова, д. 12, кв. 34", NULL, out,
                                     need - 1), -1);
    assert_int_equal(gv_mask_address(NULL, "г. Алматы, ул. Жандосова, д. 12, кв. 34", NULL, out,
                                     need), 0);
    assert_string_equal(out, expect);
}

/* ---- the property: no numbers, no street names ---------------------------- */

typedef struct {
    const char *settlement;
    const char *address;
    const char *street;          /* must not appear in full */
} leak_case_t;

static int has_digit(const char *s)
{
    for (; *s; s++)
        if (*s >= '0' && *s <= '9')
            return 1;
    return 0;
}

static int check_no_leaks(const leak_case_t *t, size_t n)
{
    int failures = 0;

    for (size_t i = 0; i < n; i++) {
        char out[1024];
        int rc = gv_mask_address(t[i].settlement, t[i].address, NULL, out, sizeof out);
        if (rc != 0) {
            print_message("FAIL '%s': rc %d\n", t[i].address, rc);
            failures++;
            continue;
        }
        if (has_digit(out)) {
            print_message("LEAK '%s' -> '%s' contains a digit\n", t[i].address, out);
            failures++;
        }
        if (strstr(out, t[i].street)) {
            print_message("LEAK '%s' -> '%s' contains the street '%s'\n", t[i].address, out,
                          t[i].street);
            failures++;
        }
    }
    return failures;
}

static const leak_case_t well_formed[] = {
    { NULL, "г. Алматы, ул. Жандосова, д. 12, кв. 34", "Жандосова" },
    { NULL, "с. Каскелен, ул. Наурызбай батыра, д. 21", "Наурызбай" },
    { NULL, "с. Каскелен, ул. Наурызбай батыра, д. 21", "батыра" },
    { NULL, "Алматинская обл., Карасайский р-н, с. Каскелен, мкр. Самал-2, д. 5", "Самал" },
    { "г. Шымкент", "ул. Абая, д. 5, кв. 7", "Абая" },
    { "г. Шымкент", "г. Шымкент, ул. Байтурсынова, д. 5, кв. 7", "Байтурсынова" },
    { NULL, "г. Астана, пр. Мангилик Ел, д. 55/1, кв. 120", "Мангилик" },
    { NULL, "г. Алматы, мкр. Аксай-4, д. 12А, кв. 3", "Аксай" },
    { NULL, "г. Алматы, ул. Толе би, 101", "Толе" },
    { NULL, "г. Алматы, пр-т Достык, 5", "Достык" },
    { NULL, "г. Алматы, ул. 8 Марта, д. 5", "Марта" },
    { NULL, "050000, г. Алматы, ул. Жибек Жолы, 50, кв. 1", "Жибек" },
    { NULL, "Туркестанская обл., Сайрамский р-н, с. Аксукент, ул. Кожанова, 7", "Кожанова" },
    { NULL, "г. Караганда, 19 мкр., д. 33, кв. 104", "104" },
    { NULL, "пос. Отеген батыр, ул. Заводская, д. 1", "Заводская" },
    { NULL, "г. Уральск, ул. Абая, дом 12, квартира 34", "Абая" },
    { NULL, "Abay avenue, 150, apt. 12", "Abay" },
};

static void test_address_property(void **state)
{
    (void)state;
    assert_int_equal(check_no_leaks(well_formed, sizeof well_formed / sizeof well_formed[0]), 0);
}

/* Addresses as billing databases really hold them: commas missing, a stray
 * full stop.  "Every rule errs towards hiding" (mask.h), so these must not
 * leak either. */
static const leak_case_t sloppy[] = {
    { NULL, "г. Алматы ул. Жандосова д. 12 кв. 34", "Жандосова" },
    { NULL, "с. Каскелен ул. Абая 5", "Абая" },
    { NULL, "г. Алматы, ул. Абая., д. 5", "Абая" },
    { NULL, "г.Алматы,ул.Жандосова,д.12,кв.34", "Жандосова" },
};

static void test_address_property_sloppy(void **state)
{
    (void)state;
    assert_int_equal(check_no_leaks(sloppy, sizeof sloppy / sizeof sloppy[0]), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_holder_table),
        cmocka_unit_test(test_holder_hides_given_names),
        cmocka_unit_test(test_holder_small_buffer),
        cmocka_unit_test(test_address_table),
        cmocka_unit_test(test_address_null_markers),
        cmocka_unit_test(test_address_custom_markers),
        cmocka_unit_test(test_address_small_buffer),
        cmocka_unit_test(test_address_property),
        cmocka_unit_test(test_address_property_sloppy),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
