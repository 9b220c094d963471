/* test_params.c - the program file (R12-R17): the shipped default loads,
 * every validation problem is refused with file:line and what is wrong,
 * and the effective-date lookups at their boundaries. */
#include "config.h"

#include "testutil.h"

#include "calendar.h"
#include "discount.h"
#include "params.h"

static int32_t day_of(const char *s)
{
    int32_t d;
    assert_int_equal(gv_date_parse(s, &d), 0);
    return d;
}

/* Loads content from a temporary file; *path_out gets the path (freed by
 * the caller with tu_remove). */
static gv_params_t *load_text(const char *content, char **path_out, gv_errlist_t *errs)
{
    *path_out = tu_temp_file(content);
    return gv_params_load(*path_out, errs);
}

/* ---- the shipped file ---------------------------------------------------- */

static void test_shipped_file_loads(void **state)
{
    (void)state;
    char *path = tu_srcdir_path("contrib/program.ini");
    gv_errlist_t errs = { 0 };
    gv_params_t *p;
    const void *rp = NULL;
    const gv_discount_rule_t *rule;
    int64_t v;
    int32_t bp;

    if (access(path, R_OK) != 0) {
        free(path);
        path = strdup("contrib/program.ini");
    }
    p = gv_params_load(path, &errs);
    tu_print_errs("shipped", &errs);
    assert_int_equal(errs.count, 0);
    assert_non_null(p);

    assert_int_equal(gv_params_vat(p, day_of("2025-12-31"), &bp), 0);
    assert_int_equal(bp, 1200);
    assert_int_equal(gv_params_vat(p, day_of("2026-01-01"), &bp), 0);
    assert_int_equal(bp, 1600);
    assert_int_equal(gv_params_price(p, "KZ-79", day_of("2025-09-01"), &v), 0);
    assert_int_equal(v, 5178266);
    assert_int_equal(gv_params_price(p, "KZ-23", day_of("2026-06-01"), &v), 0);
    assert_int_equal(v, 1169195);
    /* the samples are dated 2025-08-01: nothing before */
    assert_int_equal(gv_params_price(p, "KZ-79", day_of("2025-07-01"), &v), -1);
    /* regions without a price are absent on purpose */
    assert_int_equal(gv_params_price(p, "KZ-27", day_of("2025-09-01"), &v), -1);
    assert_int_equal(gv_params_price(p, "KZ-11", day_of("2025-09-01"), &v), -1);
    /* every month has a "*" norm, the heating season higher */
    for (int m = 1; m <= 12; m++)
        assert_int_equal(gv_params_norm(p, "KZ-11", m, &v), 0);
    {
        int64_t jan, jul, oct, apr, may, sep;
        assert_int_equal(gv_params_norm(p, "KZ-79", 1, &jan), 0);
        assert_int_equal(gv_params_norm(p, "KZ-79", 7, &jul), 0);
        assert_int_equal(gv_params_norm(p, "KZ-79", 10, &oct), 0);
        assert_int_equal(gv_params_norm(p, "KZ-79", 4, &apr), 0);
        assert_int_equal(gv_params_norm(p, "KZ-79", 5, &may), 0);
        assert_int_equal(gv_params_norm(p, "KZ-79", 9, &sep), 0);
        assert_true(jan > jul && oct > sep && apr > may);
    }
    rule = gv_params_rule(p, day_of("2025-09-01"), &rp);
    assert_non_null(rule);
    assert_string_equal(rule->name, "percent_within_cap");
    assert_non_null(rp);
    assert_null(gv_params_rule(p, day_of("2025-07-01"), &rp));
    assert_int_equal(gv_params_plausibility_milli(p), 5000000);
    assert_int_equal(gv_params_pending_deadline_days(p), 30);

    gv_params_free(p);
    gv_errlist_free(&errs);
    free(path);
}

/* ---- refused files -------------------------------------------------------- */

/* A valid head of four lines; each case's snippet starts on line 5. */
#define HEAD "[vat]\n2009-01-01 = 12\n[discount]\n2025-08-01 = face_value\n"

typedef struct {
    const char *name;
    int whole;              /* 1: text is the whole file; 0: HEAD + text */
    const char *text;
    const char *expect;     /* a message must contain this ('@' = the file's path) */
} bad_case_t;

static const bad_case_t bad_cases[] = {
    /* sections and keys */
    { "unknown section", 0, "[tariffs]\nKZ-79 2025-08-01 = 1\n", "@:6: unknown section [tariffs]" },
    { "key outside any section", 1, "x = 1\n" HEAD, "@:1: 'x' outside any section" },
    { "unknown [limits] key", 0, "[limits]\nplausibility = 5000\n",
      "@:6: [limits] unknown key 'plausibility'" },
    { "continuation line", 0, "[prices]\nKZ-79 2025-08-01 = 5178266\n  KZ-79 2025-09-01 = 1\n",
      "@:7: [prices] KZ-79 2025-08-01: values are one line" },
    { "syntax error", 0, "[prices]\nKZ-79 2025-08-01 5178266\n", "@:6: syntax error" },
    /* [vat] */
    { "vat: bad date", 0, "[vat]\n2026-02-30 = 16\n", "@:6: [vat] '2026-02-30': expected an effective-from date" },
    { "vat: percent > 100", 0, "[vat]\n2026-01-01 = 101\n", "@:6: [vat] 2026-01-01: percent must be a number from 0 to 100" },
    { "vat: negative percent", 0, "[vat]\n2026-01-01 = -1\n", "@:6: [vat] 2026-01-01: percent must be" },
    { "vat: not a number", 0, "[vat]\n2026-01-01 = 16%\n", "@:6: [vat] 2026-01-01: percent must be" },
    { "vat: comment without a space", 0, "[vat]\n2026-01-01 = 16;new code\n", "@:6: [vat] 2026-01-01: percent must be" },
    { "vat: duplicate date", 0, "[vat]\n2009-01-01 = 12\n", "@:6: [vat] 2009-01-01: duplicate date (first on line 2)" },
    { "no [vat] entry", 1, "[discount]\n2025-08-01 = face_value\n", "@: no [vat] entry" },
    { "empty [vat]", 1, "[vat]\n[discount]\n2025-08-01 = face_value\n", "@: no [vat] entry" },
    /* [prices] */
    { "price: not the first of a month", 0, "[prices]\nKZ-79 2025-08-15 = 5178266\n",
      "@:6: [prices] 'KZ-79 2025-08-15': a price takes effect on the first day of a month (R13)" },
    { "price: last day of a month", 0, "[prices]\nKZ-79 2025-12-31 = 5178266\n", "@:6: [prices] 'KZ-79 2025-12-31': a price takes effect on the first day of a month (R13)" },
    { "price: invalid date", 0, "[prices]\nKZ-79 2025-13-01 = 5178266\n", "@:6: [prices] 'KZ-79 2025-13-01': invalid date '2025-13-01'" },
    { "price: date not ISO", 0, "[prices]\nKZ-79 01.08.2025 = 5178266\n", "@:6: [prices] 'KZ-79 01.08.2025': invalid date" },
    { "price: region lower case", 0, "[prices]\nkz-79 2025-08-01 = 5178266\n", "@:6: [prices] 'kz-79 2025-08-01': region must be of the form KZ-NN, got 'kz-79'" },
    { "price: region name", 0, "[prices]\nShymkent 2025-08-01 = 5178266\n", "@:6: [prices] 'Shymkent 2025-08-01': region must be of the form KZ-NN" },
    { "price: star region", 0, "[prices]\n* 2025-08-01 = 5178266\n", "@:6: [prices] '* 2025-08-01': region must be of the form KZ-NN" },
    { "price: three digits", 0, "[prices]\nKZ-791 2025-08-01 = 5178266\n", "@:6: [prices] 'KZ-791 2025-08-01': region must be" },
    { "price: no date", 0, "[prices]\nKZ-79 = 5178266\n", "@:6: [prices] 'KZ-79': expected 'REGION YYYY-MM-DD'" },
    { "price: three words", 0, "[prices]\nKZ-79 2025-08-01 x = 5178266\n", "@:6: [prices] 'KZ-79 2025-08-01 x': expected 'REGION YYYY-MM-DD'" },
    { "price: zero", 0, "[prices]\nKZ-79 2025-08-01 = 0\n", "@:6: [prices] KZ-79 2025-08-01: price must be a whole number of tiyn per 1000 m3 greater than 0, got '0'" },
    { "price: negative", 0, "[prices]\nKZ-79 2025-08-01 = -5178266\n", "@:6: [prices] KZ-79 2025-08-01: price must be a whole number" },
    { "price: fraction", 0, "[prices]\nKZ-79 2025-08-01 = 5178266.5\n", "@:6: [prices] KZ-79 2025-08-01: price must be a whole number" },
    { "price: in tenge with a comma", 0, "[prices]\nKZ-79 2025-08-01 = 51782,66\n", "@:6: [prices] KZ-79 2025-08-01: price must be a whole number" },
    { "price: empty", 0, "[prices]\nKZ-79 2025-08-01 =\n", "@:6: [prices] KZ-79 2025-08-01: price must be a whole number" },
    { "price: overflow", 0, "[prices]\nKZ-79 2025-08-01 = 99999999999999999999\n", "@:6: [prices] KZ-79 2025-08-01: price must be a whole number" },
    { "price: duplicate", 0, "[prices]\nKZ-79 2025-08-01 = 5178266\nKZ-79 2025-08-01 = 5178267\n",
      "@:7: [prices] KZ-79 2025-08-01: duplicate row for KZ-79 on 2025-08-01 (first on line 6)" },
    /* [norms] */
    { "norm: month 13", 0, "[norms]\nKZ-79 13 = 25\n", "@:6: [norms] 'KZ-79 13': month must be 01..12, got '13'" },
    { "norm: month 00", 0, "[norms]\nKZ-79 00 = 25\n", "@:6: [norms] 'KZ-79 00': month must be 01..12" },
    { "norm: month 1 digit", 0, "[norms]\nKZ-79 1 = 25\n", "@:6: [norms] 'KZ-79 1': month must be 01..12" },
    { "norm: negative", 0, "[norms]\n* 01 = -1.5\n", "@:6: [norms] * 01: negative norm '-1.5'" },
    { "norm: four decimals", 0, "[norms]\n* 01 = 1.0005\n", "@:6: [norms] * 01: norm must be m3 per person, up to three decimals" },
    { "norm: not a number", 0, "[norms]\n* 01 = lots\n", "@:6: [norms] * 01: norm must be" },
    { "norm: bad region", 0, "[norms]\nKZ79 01 = 25\n", "@:6: [norms] 'KZ79 01': region must be of the form KZ-NN or *" },
    { "norm: duplicate", 0, "[norms]\n* 01 = 25\n* 01 = 26\n", "@:7: [norms] * 01: duplicate row for * month 01 (first on line 6)" },
    /* [discount] and the rules */
    { "discount: unknown rule", 0, "[discount]\n2026-01-01 = half_price\n",
      "@:6: [discount] 2026-01-01: unknown rule 'half_price' (known: percent_within_cap, face_value)" },
    { "discount: bad date", 0, "[discount]\n2026-1-1 = face_value\n", "@:6: [discount] '2026-1-1': expected an effective-from date" },
    { "discount: duplicate date", 0, "[discount]\n2025-08-01 = percent_within_cap\n", "@:6: [discount] 2025-08-01: duplicate date (first on line 4)" },
    { "no [discount] entry", 1, "[vat]\n2009-01-01 = 12\n", "@: no [discount] entry" },
    { "section for an unknown rule", 0, "[rule.half_price]\nKZ-79 2025-08-01 = 50\n",
      "@:6: section [rule.half_price] is for an unknown rule 'half_price'" },
    { "face_value takes no key", 0, "[rule.face_value]\nfactor = 1\n", "@:6: [rule.face_value] takes no parameters, got 'factor'" },
    { "cap: percent > 100", 0, "[rule.percent_within_cap]\nKZ-79 2025-08-01 = 124 631\n",
      "@:6: [rule.percent_within_cap] KZ-79 2025-08-01: percent must be a number from 0 to 100" },
    { "cap: negative cap", 0, "[rule.percent_within_cap]\nKZ-79 2025-08-01 = 24 -631\n", "@:6: [rule.percent_within_cap] KZ-79 2025-08-01: cap must be a volume in m3 >= 0" },
    { "cap: one number", 0, "[rule.percent_within_cap]\nKZ-79 2025-08-01 = 24\n", "@:6: [rule.percent_within_cap] KZ-79 2025-08-01: expected 'percent cap_m3'" },
    { "cap: bad region", 0, "[rule.percent_within_cap]\nKZ 2025-08-01 = 24 631\n", "@:6: [rule.percent_within_cap] 'KZ 2025-08-01': region must be of the form KZ-NN or *" },
    { "cap: bad date", 0, "[rule.percent_within_cap]\nKZ-79 2025-02-29 = 24 631\n", "@:6: [rule.percent_within_cap] 'KZ-79 2025-02-29': invalid date '2025-02-29'" },
    { "cap: duplicate", 0, "[rule.percent_within_cap]\n* 2025-08-01 = 24 631\n* 2025-08-01 = 20 631\n",
      "@:7: [rule.percent_within_cap] * 2025-08-01: duplicate row for * on 2025-08-01 (first on line 6)" },
    { "percent rule used without rows", 0, "[discount]\n2026-01-01 = percent_within_cap\n", "@: [rule.percent_within_cap] has no rows" },
    /* [limits] */
    { "plausibility zero", 0, "[limits]\nplausibility_m3 = 0\n", "@:6: [limits] plausibility_m3: must be a volume in m3 greater than 0" },
    { "plausibility negative", 0, "[limits]\nplausibility_m3 = -5\n", "@:6: [limits] plausibility_m3: must be" },
    { "plausibility twice", 0, "[limits]\nplausibility_m3 = 5000\nplausibility_m3 = 6000\n", "@:7: [limits] plausibility_m3: set again (first set on line 6)" },
    { "deadline not a number", 0, "[limits]\npending_deadline_days = soon\n", "@:6: [limits] pending_deadline_days: must be a whole number of days" },
    { "deadline negative", 0, "[limits]\npending_deadline_days = -1\n", "@:6: [limits] pending_deadline_days: must be" },
};

static void test_bad_files(void **state)
{
    (void)state;
    for (size_t i = 0; i < TU_COUNT(bad_cases); i++) {
        const bad_case_t *c = &bad_cases[i];
        size_t n = strlen(HEAD) + strlen(c->text) + 1;
        char *text = malloc(n), *path;
        gv_errlist_t errs = { 0 };
        gv_params_t *p;

        assert_non_null(text);
        snprintf(text, n, "%s%s", c->whole ? "" : HEAD, c->text);
        p = load_text(text, &path, &errs);
        if (p || errs.count == 0)
            print_message("case '%s' was accepted\n", c->name);
        assert_null(p);
        print_message("[%s]\n", c->name);
        tu_assert_err(&errs, c->expect, path);
        gv_errlist_free(&errs);
        tu_remove(path);
        free(text);
    }
}

/* Every problem is reported, not the first. */
static void test_all_problems_reported(void **state)
{
    (void)state;
    char *path;
    gv_errlist_t errs = { 0 };
    gv_params_t *p = load_text("[prices]\n"
                               "KZ-79 2025-08-15 = 5178266\n"
                               "KZ-27 2025-08-01 = 0\n"
                               "[norms]\n"
                               "* 13 = 5\n"
                               "[bogus]\n"
                               "a = b\n",
                               &path, &errs);
    assert_null(p);
    tu_assert_err(&errs, "@:2: [prices]", path);
    tu_assert_err(&errs, "@:3: [prices]", path);
    tu_assert_err(&errs, "@:5: [norms]", path);
    tu_assert_err(&errs, "@:7: unknown section [bogus]", path);
    tu_assert_err(&errs, "@: no [vat] entry", path);
    tu_assert_err(&errs, "@: no [discount] entry", path);
    assert_int_equal(errs.count, 6);
    gv_errlist_free(&errs);
    tu_remove(path);
}

static void test_missing_file(void **state)
{
    (void)state;
    gv_errlist_t errs = { 0 };
    char *dir = tu_temp_dir();
    char *path = tu_path_in(dir, "nope.ini");

    assert_null(gv_params_load(path, &errs));
    tu_assert_err(&errs, "@: cannot open", path);
    assert_int_equal(errs.count, 1);
    gv_errlist_free(&errs);
    free(path);
    tu_remove_dir(dir);
}

/* libinih through the wrapper: keys with a space, inline " ; " comments,
 * white space around '=', a face_value section that is empty. */
static void test_syntax_accepted(void **state)
{
    (void)state;
    char *path;
    gv_errlist_t errs = { 0 };
    int64_t v;
    int32_t bp;
    gv_params_t *p = load_text("; a comment\n"
                               "# another\n"
                               "[vat]\n"
                               "2009-01-01=12 ; no spaces around '='\n"
                               "2026-01-01   =   16.5   ; more\n"
                               "[prices]\n"
                               "KZ-79\t2025-08-01 = 5178266 ; a tab between the words\n"
                               "KZ-27  2025-09-01 = 100 ; two spaces\n"
                               "[norms]\n"
                               "* 07 = 4.5\n"
                               "[discount]\n"
                               "2025-08-01 = face_value ; comment\n"
                               "[rule.face_value]\n"
                               "[limits]\n"
                               "plausibility_m3 = 1234.5\n"
                               "pending_deadline_days = 0\n",
                               &path, &errs);
    tu_print_errs("syntax", &errs);
    assert_non_null(p);
    assert_int_equal(gv_params_vat(p, day_of("2026-01-01"), &bp), 0);
    assert_int_equal(bp, 1650);
    assert_int_equal(gv_params_price(p, "KZ-79", day_of("2025-08-01"), &v), 0);
    assert_int_equal(v, 5178266);
    assert_int_equal(gv_params_price(p, "KZ-27", day_of("2025-09-01"), &v), 0);
    assert_int_equal(v, 100);
    assert_int_equal(gv_params_norm(p, "KZ-01", 7, &v), 0);
    assert_int_equal(v, 4500);
    assert_int_equal(gv_params_plausibility_milli(p), 1234500);
    assert_int_equal(gv_params_pending_deadline_days(p), 0);
    gv_params_free(p);
    gv_errlist_free(&errs);
    tu_remove(path);
}

/* Defaults of [limits]; a file with only what is required. */
static void test_defaults(void **state)
{
    (void)state;
    char *path;
    gv_errlist_t errs = { 0 };
    int64_t v;
    gv_params_t *p = load_text(HEAD, &path, &errs);

    assert_non_null(p);
    assert_int_equal(gv_params_plausibility_milli(p), 5000000);
    assert_int_equal(gv_params_pending_deadline_days(p), 30);
    assert_int_equal(gv_params_price(p, "KZ-79", day_of("2025-09-01"), &v), -1);
    assert_int_equal(gv_params_norm(p, "KZ-79", 1, &v), -1);
    gv_params_free(p);
    gv_errlist_free(&errs);
    tu_remove(path);
}

/* ---- effective-date lookups ---------------------------------------------- */

static const char lookup_file[] =
    "[vat]\n"
    "2009-01-01 = 12\n"
    "2026-01-01 = 16\n"
    "[prices]\n"
    "KZ-79 2025-10-01 = 6000000\n"   /* out of order on purpose */
    "KZ-79 2025-08-01 = 5178266\n"
    "KZ-27 2025-09-01 = 4000000\n"
    "[norms]\n"
    "KZ-79 01 = 30.000\n"
    "* 01 = 20.000\n"
    "* 07 = 3.250\n"
    "KZ-27 07 = 0\n"
    "[discount]\n"
    "2025-08-01 = percent_within_cap\n"
    "2026-03-01 = face_value\n"
    "2026-05-01 = percent_within_cap\n"
    "[rule.percent_within_cap]\n"
    "KZ-79 2025-08-01 = 24 631\n"
    "* 2025-08-01 = 10 300\n";

typedef struct {
    const char *what;     /* "price", "vat", "norm", "rule" */
    const char *region;
    const char *day;      /* or month for norms: "01" */
    int rc;
    int64_t value;        /* price, bp, milli; for rules 0/1/2: none/percent/face */
} lookup_case_t;

static const lookup_case_t lookup_cases[] = {
    { "vat", NULL, "2008-12-31", -1, 0 },
    { "vat", NULL, "2009-01-01", 0, 1200 },
    { "vat", NULL, "2025-12-31", 0, 1200 },
    { "vat", NULL, "2026-01-01", 0, 1600 },
    { "vat", NULL, "2030-06-01", 0, 1600 },
    { "price", "KZ-79", "2025-07-01", -1, 0 },        /* before the first row */
    { "price", "KZ-79", "2025-07-31", -1, 0 },
    { "price", "KZ-79", "2025-08-01", 0, 5178266 },
    { "price", "KZ-79", "2025-09-30", 0, 5178266 },
    { "price", "KZ-79", "2025-10-01", 0, 6000000 },   /* the change on a month's first day */
    { "price", "KZ-79", "2026-06-01", 0, 6000000 },
    { "price", "KZ-27", "2025-08-01", -1, 0 },
    { "price", "KZ-27", "2025-09-01", 0, 4000000 },
    { "price", "KZ-71", "2025-09-01", -1, 0 },        /* no row at all */
    { "norm", "KZ-79", "01", 0, 30000 },              /* its own figure */
    { "norm", "KZ-27", "01", 0, 20000 },              /* "*" */
    { "norm", "KZ-79", "07", 0, 3250 },               /* "*" when its own month is absent */
    { "norm", "KZ-27", "07", 0, 0 },                  /* its own zero beats "*" */
    { "norm", "KZ-79", "02", -1, 0 },                 /* neither */
    { "norm", "KZ-79", "13", -1, 0 },
    { "norm", "KZ-79", "00", -1, 0 },
    { "rule", NULL, "2025-07-31", -1, 0 },
    { "rule", NULL, "2025-08-01", 0, 1 },
    { "rule", NULL, "2026-02-28", 0, 1 },
    { "rule", NULL, "2026-03-01", 0, 2 },
    { "rule", NULL, "2026-04-30", 0, 2 },
    { "rule", NULL, "2026-05-01", 0, 1 },
};

static void test_lookups(void **state)
{
    (void)state;
    char *path;
    gv_errlist_t errs = { 0 };
    gv_params_t *p = load_text(lookup_file, &path, &errs);

    tu_print_errs("lookup file", &errs);
    assert_non_null(p);
    for (size_t i = 0; i < TU_COUNT(lookup_cases); i++) {
        const lookup_case_t *c = &lookup_cases[i];
        int64_t v = -12345;
        int rc;

        print_message("%s %s %s\n", c->what, c->region ? c->region : "", c->day);
        if (!strcmp(c->what, "vat")) {
            int32_t bp = -1;
            rc = gv_params_vat(p, day_of(c->day), &bp);
            v = bp;
        } else if (!strcmp(c->what, "price")) {
            rc = gv_params_price(p, c->region, day_of(c->day), &v);
        } else if (!strcmp(c->what, "norm")) {
            rc = gv_params_norm(p, c->region, atoi(c->day), &v);
        } else {
            const void *rp = NULL;
            const gv_discount_rule_t *r = gv_params_rule(p, day_of(c->day), &rp);
            rc = r ? 0 : -1;
            if (r) {
                assert_non_null(rp);
                v = !strcmp(r->name, "percent_within_cap") ? 1
                    : !strcmp(r->name, "face_value")       ? 2
                                                           : 9;
                assert_ptr_equal(r, gv_discount_rule_find(r->name));
            }
        }
        assert_int_equal(rc, c->rc);
        if (rc == 0)
            assert_int_equal(v, c->value);
    }
    gv_params_free(p);
    gv_errlist_free(&errs);
    tu_remove(path);
}

/* The cap rule's own lookup: region row by date, else "*", else refused. */
static void test_cap_rule_fallbacks(void **state)
{
    (void)state;
    char *path;
    gv_errlist_t errs = { 0 };
    gv_params_t *p = load_text("[vat]\n2009-01-01 = 12\n"
                               "[discount]\n2025-08-01 = percent_within_cap\n"
                               "[rule.percent_within_cap]\n"
                               "KZ-79 2025-08-01 = 24 631\n"
                               "KZ-79 2026-01-01 = 30 100\n"
                               "KZ-27 2025-10-01 = 24 833\n"
                               "* 2025-09-01 = 10 50.5\n",
                               &path, &errs);
    static const struct {
        const char *region, *day;
        int rc;
        int32_t bp;
        int64_t cap_milli;   /* with a volume of 1000 m3 */
    } cases[] = {
        { "KZ-79", "2025-08-01", 0, 2400, 631000 },
        { "KZ-79", "2025-12-01", 0, 2400, 631000 },
        { "KZ-79", "2026-01-01", 0, 3000, 100000 },
        { "KZ-27", "2025-08-01", -1, 0, 0 },       /* own row later, "*" later too */
        { "KZ-27", "2025-09-01", 0, 1000, 50500 },  /* own row later: "*" */
        { "KZ-27", "2025-10-01", 0, 2400, 833000 },
        { "KZ-11", "2025-09-01", 0, 1000, 50500 },
        { "KZ-11", "2025-08-01", -1, 0, 0 },
    };
    const gv_discount_rule_t *rule;
    const void *rp;

    assert_non_null(p);
    rule = gv_discount_rule_find("percent_within_cap");
    assert_non_null(rule);
    for (size_t i = 0; i < TU_COUNT(cases); i++) {
        gv_charge_t ch;
        gv_discount_in_t in;
        gv_discount_out_t out;
        gv_err_t err = { "" };

        assert_ptr_equal(gv_params_rule(p, day_of(cases[i].day), &rp), rule);
        gv_charge_compute(1000000, 5178266, 1200, &ch);
        in.region = cases[i].region;
        in.period_first_day = day_of(cases[i].day);
        in.charge = &ch;
        in.nominal_tiyn = -1;
        memset(&out, 0, sizeof out);
        print_message("%s %s\n", cases[i].region, cases[i].day);
        assert_int_equal(rule->compute(rp, &in, &out, &err), cases[i].rc);
        if (cases[i].rc == 0) {
            assert_int_equal(out.percent_bp, cases[i].bp);
            assert_int_equal(out.cap_milli, cases[i].cap_milli);
        } else {
            assert_non_null(strstr(err.msg, cases[i].region));
            assert_non_null(strstr(err.msg, cases[i].day));
        }
    }
    assert_null(gv_discount_rule_find("nope"));
    assert_null(gv_discount_rule_find(NULL));
    gv_params_free(p);
    gv_errlist_free(&errs);
    tu_remove(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shipped_file_loads),
        cmocka_unit_test(test_bad_files),
        cmocka_unit_test(test_all_problems_reported),
        cmocka_unit_test(test_missing_file),
        cmocka_unit_test(test_syntax_accepted),
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_lookups),
        cmocka_unit_test(test_cap_rule_fallbacks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
