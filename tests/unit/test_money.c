/* test_money.c - integer tiyn, rounding and the R16 charge (src/domain/money.h).
 *
 * Every rounding is to the nearest tiyn with halves away from zero (R11),
 * so the tables put a case exactly on a half wherever one can occur, for
 * positive and negative amounts and for odd and even divisors.  The worked
 * example of the rules is checked to the tiyn.  Decimal text is parsed
 * exactly: "1." and ".5" are accepted (the parser needs a digit on either
 * side of the point, not both - a NUMERIC never prints them, but refusing
 * them would buy nothing), '+' is refused (the header allows only '-'),
 * and "-9223372036854775808" is refused: the magnitude is accumulated as a
 * positive int64, so the parse range is -INT64_MAX..INT64_MAX. */
#include "config.h"

#include "testutil.h"

#include <inttypes.h>

#include "money.h"

/* ---- gv_div_round -------------------------------------------------------- */

typedef struct {
    int64_t num;
    int64_t den;
    int64_t expected;
} div_case_t;

static const div_case_t div_cases[] = {
    /* even divisor: exact halves go away from zero, both signs */
    { 1, 2, 1 },
    { -1, 2, -1 },
    { 3, 2, 2 },
    { -3, 2, -2 },
    { 5, 2, 3 },   /* not banker's rounding: 2.5 -> 3, not 2 */
    { -5, 2, -3 },
    { 7, 2, 4 },
    { -7, 2, -4 },
    { 4, 2, 2 },
    { -4, 2, -2 },
    { 15, 10, 2 },
    { -15, 10, -2 },
    { 25, 10, 3 },
    { -25, 10, -3 },
    { 14, 10, 1 },
    { -14, 10, -1 },
    { 16, 10, 2 },
    { -16, 10, -2 },
    { 5000, 10000, 1 },
    { -5000, 10000, -1 },
    { 4999, 10000, 0 },
    { -4999, 10000, 0 },
    { 12500000, 1000000, 13 },
    { -12500000, 1000000, -13 },
    { 12499999, 1000000, 12 },
    { -12499999, 1000000, -12 },
    { 12500001, 1000000, 13 },
    { -12500001, 1000000, -13 },
    /* odd divisor: no exact half, nearest wins */
    { 1, 3, 0 },
    { 2, 3, 1 },
    { -1, 3, 0 },
    { -2, 3, -1 },
    { 7, 3, 2 },
    { 8, 3, 3 },
    { -7, 3, -2 },
    { -8, 3, -3 },
    { 2, 5, 0 },
    { 3, 5, 1 },
    { -3, 5, -1 },
    { 4, 7, 1 },
    { 3, 7, 0 },
    { -4, 7, -1 },
    /* divisor 1 and zero numerator */
    { 0, 1, 0 },
    { 0, 2, 0 },
    { 0, 3, 0 },
    { 42, 1, 42 },
    { -42, 1, -42 },
    { INT64_MAX, 1, INT64_MAX },
    { -INT64_MAX, 1, -INT64_MAX },
    { INT64_MIN, 1, INT64_MIN },
    /* large numerators */
    { INT64_MAX, 2, INT64_MAX / 2 + 1 },   /* ...3.5 -> ...4 */
    { -INT64_MAX, 2, -(INT64_MAX / 2 + 1) },
    { INT64_MAX, INT64_MAX, 1 },
    { INT64_MAX - 1, INT64_MAX, 1 },
    { INT64_MAX / 2, INT64_MAX, 0 },       /* just under a half */
    { INT64_MAX / 2 + 1, INT64_MAX, 1 },   /* just over a half */
};

/* An independent statement of R11: truncate, then step away from zero when
 * the remainder is at least half the divisor. */
static int64_t ref_div_round(int64_t num, int64_t den)
{
    int64_t q = num / den, rem = num % den;
    int64_t arem = rem < 0 ? -rem : rem;
    if (arem >= den - arem)
        q += num < 0 ? -1 : 1;
    return q;
}

static void test_div_round_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < TU_COUNT(div_cases); i++) {
        const div_case_t *c = &div_cases[i];
        int64_t got = gv_div_round(c->num, c->den);
        if (got != c->expected)
            print_message("FAIL div_round(%" PRId64 ", %" PRId64 ") = %" PRId64
                          ", expected %" PRId64 "\n",
                          c->num, c->den, got, c->expected);
        assert_int_equal(got, c->expected);
    }
}

/* Every small numerator against every small divisor, odd and even. */
static void test_div_round_exhaustive(void **state)
{
    (void)state;
    for (int64_t den = 1; den <= 40; den++)
        for (int64_t num = -2000; num <= 2000; num++) {
            int64_t got = gv_div_round(num, den);
            if (got != ref_div_round(num, den))
                print_message("FAIL div_round(%" PRId64 ", %" PRId64 ")\n", num, den);
            assert_int_equal(got, ref_div_round(num, den));
        }
}

/* Numerators beyond int64 (the 128-bit products) whose quotient fits. */
static void test_div_round_wide(void **state)
{
    (void)state;
    __int128 big = (__int128)INT64_MAX * 1000000;

    assert_int_equal(gv_div_round(big, 1000000), INT64_MAX);
    assert_int_equal(gv_div_round(big + 499999, 1000000), INT64_MAX);
    assert_int_equal(gv_div_round(-big, 1000000), -INT64_MAX);
    assert_int_equal(gv_div_round(-big - 499999, 1000000), -INT64_MAX);
    assert_int_equal(gv_div_round(big - 500000, 1000000), INT64_MAX);      /* half up */
    assert_int_equal(gv_div_round(big - 500001, 1000000), INT64_MAX - 1);
    assert_int_equal(gv_div_round(-big + 500000, 1000000), -INT64_MAX);    /* half down */
    assert_int_equal(gv_div_round(-big + 500001, 1000000), -INT64_MAX + 1);
    /* the largest divisor: 2 x den does not overflow inside */
    assert_int_equal(gv_div_round((__int128)INT64_MAX * 3, INT64_MAX), 3);
    assert_int_equal(gv_div_round((__int128)INT64_MAX * 5 / 2, INT64_MAX), 2);
    assert_int_equal(gv_div_round((__int128)INT64_MAX * 5 / 2 + 1, INT64_MAX), 3);
}

/* ---- gv_money_volume_cost ------------------------------------------------- */

typedef struct {
    int64_t volume_milli;
    int64_t price;   /* tiyn per 1000 m3 */
    int64_t expected;
} cost_case_t;

static const cost_case_t cost_cases[] = {
    { 84250, 5178266, 436269 },          /* the worked example: 436268.9105 */
    { -84250, 5178266, -436269 },
    { 1000, 1000, 1 },                   /* 1 m3 at 1 tiyn per m3 */
    { 1000000, 1000, 1000 },             /* 1000 m3 */
    { 1, 12500000, 13 },                 /* 12.5 -> 13 */
    { -1, 12500000, -13 },               /* -12.5 -> -13 */
    { 1, 12499999, 12 },
    { 1, 12500001, 13 },
    { -1, 12499999, -12 },
    { 1, 500000, 1 },                    /* 0.5 -> 1 */
    { -1, 500000, -1 },
    { 1, 499999, 0 },
    { -1, 499999, 0 },
    { 1500, 1000, 2 },                   /* 1.5 -> 2 */
    { 2500, 1000, 3 },                   /* 2.5 -> 3, not 2 */
    { -2500, 1000, -3 },
    { 2499, 1000, 2 },
    { 3, 166667, 1 },                    /* 0.500001 */
    { 3, 166666, 0 },                    /* 0.499998 */
    { 0, 5178266, 0 },
    { 84250, 0, 0 },
    { 5000000, 1000000000, 5000000000 }, /* 5000 m3 x 10^9: product 5e15 */
    { 5000000, 999999999, 4999999995 },
    { 5000001, 1000000000, 5000001000 },
    { 1000000000000, 1000000000000, 1000000000000000000 }, /* product 1e24 */
    { INT64_MAX, 1000000, INT64_MAX },   /* product far beyond int64 */
    { 1000000, INT64_MAX, INT64_MAX },
};

static void test_volume_cost_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < TU_COUNT(cost_cases); i++) {
        const cost_case_t *c = &cost_cases[i];
        int64_t got = gv_money_volume_cost(c->volume_milli, c->price);
        if (got != c->expected)
            print_message("FAIL volume_cost(%" PRId64 ", %" PRId64 ") = %" PRId64
                          ", expected %" PRId64 "\n",
                          c->volume_milli, c->price, got, c->expected);
        assert_int_equal(got, c->expected);
    }
}

/* ---- gv_money_rate -------------------------------------------------------- */

typedef struct {
    int64_t amount;
    int32_t bp;
    int64_t expected;
} rate_case_t;

static const rate_case_t rate_cases[] = {
    { 436269, 1200, 52352 },     /* VAT 12 %: 52352.28 */
    { 436269, 1600, 69803 },     /* VAT 16 %: 69803.04 */
    { 488621, 2400, 117269 },    /* discount 24 %: 117269.04 */
    { -436269, 1200, -52352 },
    { 50, 100, 1 },              /* 0.5 -> 1 */
    { -50, 100, -1 },
    { 150, 100, 2 },             /* 1.5 -> 2 */
    { 250, 100, 3 },             /* 2.5 -> 3 */
    { -250, 100, -3 },
    { 49, 100, 0 },
    { -49, 100, 0 },
    { 51, 100, 1 },
    { 1, 5000, 1 },              /* half of a tiyn */
    { -1, 5000, -1 },
    { 3, 5000, 2 },
    { 1, 4999, 0 },
    { 1, 5001, 1 },
    { 0, 1200, 0 },
    { 436269, 0, 0 },
    { 436269, 10000, 436269 },   /* 100 % */
    { 125, 1000, 13 },           /* 12.5 -> 13 */
    { -125, 1000, -13 },
    { 125, 1250, 16 },           /* 15.625 */
    { 1, 1, 0 },
    { 5000, 1, 1 },              /* 0.5 */
    { INT64_MAX, 10000, INT64_MAX },  /* the product needs 128 bits */
    { INT64_MAX, 5000, INT64_MAX / 2 + 1 },
};

static void test_rate_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < TU_COUNT(rate_cases); i++) {
        const rate_case_t *c = &rate_cases[i];
        int64_t got = gv_money_rate(c->amount, c->bp);
        if (got != c->expected)
            print_message("FAIL rate(%" PRId64 ", %d) = %" PRId64 ", expected %" PRId64 "\n",
                          c->amount, (int)c->bp, got, c->expected);
        assert_int_equal(got, c->expected);
    }
}

/* ---- gv_charge_compute ---------------------------------------------------- */

typedef struct {
    const char *name;
    int64_t volume_milli;
    int64_t price;
    int32_t vat_bp;
    int64_t net, vat, charge;
} charge_case_t;

static const charge_case_t charge_cases[] = {
    { "worked example, VAT 12 %", 84250, 5178266, 1200, 436269, 52352, 488621 },
    { "worked example, VAT 16 % (2026)", 84250, 5178266, 1600, 436269, 69803, 506072 },
    { "worked example negated", -84250, 5178266, 1200, -436269, -52352, -488621 },
    { "net on a half: 12.5 -> 13", 1, 12500000, 1200, 13, 2, 15 },   /* vat 1.56 */
    { "net on a half, negative", -1, 12500000, 1200, -13, -2, -15 },
    { "vat on a half: 12.5 -> 13", 125000, 1000, 1000, 125, 13, 138 },
    { "vat on a half, negative", -125000, 1000, 1000, -125, -13, -138 },
    { "vat rounds the rounded net", 1, 12500000, 2000, 13, 3, 16 },  /* not 12.5 x 0.2 */
    { "zero volume", 0, 5178266, 1200, 0, 0, 0 },
    { "zero VAT", 84250, 5178266, 0, 436269, 0, 436269 },
    { "zero price", 84250, 0, 1200, 0, 0, 0 },
    { "5000 m3 at 10^9", 5000000, 1000000000, 1200, 5000000000, 600000000, 5600000000 },
    { "5000 m3 at 10^9, 16 %", 5000000, 1000000000, 1600, 5000000000, 800000000,
      5800000000 },
    { "1 m3 at 1000", 1000, 1000, 1200, 1, 0, 1 },
};

static void test_charge_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < TU_COUNT(charge_cases); i++) {
        const charge_case_t *c = &charge_cases[i];
        gv_charge_t ch;

        memset(&ch, 0xA5, sizeof ch);
        gv_charge_compute(c->volume_milli, c->price, c->vat_bp, &ch);
        if (ch.net != c->net || ch.vat != c->vat || ch.charge != c->charge)
            print_message("FAIL %s: net %" PRId64 " vat %" PRId64 " charge %" PRId64 "\n",
                          c->name, ch.net, ch.vat, ch.charge);
        assert_int_equal(ch.volume_milli, c->volume_milli);
        assert_int_equal(ch.price, c->price);
        assert_int_equal(ch.vat_bp, c->vat_bp);
        assert_int_equal(ch.net, c->net);
        assert_int_equal(ch.vat, c->vat);
        assert_int_equal(ch.charge, c->charge);
        assert_int_equal(ch.charge, ch.net + ch.vat);
    }
}

/* The rules' worked example through to the amount due: the discount is a
 * rate on the capped charge, rounded once. */
static void test_worked_example(void **state)
{
    (void)state;
    gv_charge_t ch;
    int64_t vol, price;
    int32_t vat, disc;

    assert_int_equal(gv_decimal_parse("84.250", 3, &vol), 0);
    assert_int_equal(gv_decimal_parse("51782.66", 2, &price), 0);
    assert_int_equal(gv_percent_parse("12", &vat), 0);
    assert_int_equal(gv_percent_parse("24", &disc), 0);
    assert_int_equal(vol, 84250);
    assert_int_equal(price, 5178266);
    gv_charge_compute(vol, price, vat, &ch);
    assert_int_equal(ch.net, 436269);
    assert_int_equal(ch.vat, 52352);
    assert_int_equal(ch.charge, 488621);
    int64_t discount = gv_money_rate(ch.charge, disc);
    assert_int_equal(discount, 117269);
    assert_int_equal(ch.charge - discount, 371352);

    char buf[32];
    assert_int_equal(gv_decimal_format(ch.charge - discount, 2, buf, sizeof buf), 0);
    assert_string_equal(buf, "3713.52");
}

/* ---- gv_decimal_parse ----------------------------------------------------- */

typedef struct {
    const char *s;
    int scale;
    int rc;           /* 0 or -1 */
    int64_t value;    /* when rc == 0 */
} parse_case_t;

#define OK_(s, sc, v) { s, sc, 0, v }
#define BAD(s, sc) { s, sc, -1, 0 }

static const parse_case_t parse_cases[] = {
    /* scale 0 */
    OK_("0", 0, 0),
    OK_("-0", 0, 0),
    OK_("7", 0, 7),
    OK_("-7", 0, -7),
    OK_("123", 0, 123),
    OK_("000123", 0, 123),
    OK_("123.0", 0, 123),
    OK_("123.000", 0, 123),
    OK_("1.", 0, 1),
    OK_(".0", 0, 0),
    OK_("1.000000000000000000000000000000", 0, 1), /* zeros past the scale cost nothing */
    BAD("123.5", 0),
    BAD(".5", 0),
    BAD("123.01", 0),
    /* scale 2 */
    OK_("1234.56", 2, 123456),
    OK_("-1234.56", 2, -123456),
    OK_("1234.5", 2, 123450),
    OK_("1234", 2, 123400),
    OK_("1234.560", 2, 123456),
    OK_("1234.5600", 2, 123456),
    OK_("0.01", 2, 1),
    OK_("-0.01", 2, -1),
    OK_("0.00", 2, 0),
    OK_("-0.00", 2, 0),
    OK_("51782.66", 2, 5178266),
    OK_("1.", 2, 100),
    OK_("-1.", 2, -100),
    OK_(".5", 2, 50),
    OK_("-.5", 2, -50),
    OK_(".05", 2, 5),
    BAD("1234.561", 2),
    BAD("0.001", 2),
    BAD("0.005", 2),
    /* scale 3 */
    OK_("84.250", 3, 84250),
    OK_("84.25", 3, 84250),
    OK_("84.2500", 3, 84250),     /* NUMERIC(12,3) printed with 4 places */
    OK_("84.250000", 3, 84250),
    OK_("84.2", 3, 84200),
    OK_("84", 3, 84000),
    OK_("-84.250", 3, -84250),
    OK_("0.001", 3, 1),
    OK_("-0.001", 3, -1),
    OK_("9990.000", 3, 9990000),
    OK_("0012.500", 3, 12500),
    OK_(".5", 3, 500),
    OK_("1.", 3, 1000),
    BAD("84.2501", 3),
    BAD("84.25001", 3),
    BAD("0.0005", 3),
    BAD("-84.2501", 3),
    /* malformed at every scale */
    BAD("", 0),
    BAD("", 2),
    BAD("", 3),
    BAD("-", 0),
    BAD("-", 3),
    BAD(".", 0),
    BAD(".", 3),
    BAD("-.", 3),
    BAD("1e3", 0),
    BAD("1e3", 3),
    BAD("1E3", 3),
    BAD(" 1", 3),
    BAD("1 ", 3),
    BAD("\t1", 3),
    BAD("1\n", 3),
    BAD("+1", 0),                 /* the header allows '-' only */
    BAD("+1.5", 3),
    BAD("--1", 3),
    BAD("-+1", 3),
    BAD("1-", 3),
    BAD("1.2.3", 3),
    BAD("1..2", 3),
    BAD("1,5", 3),
    BAD("0x10", 0),
    BAD("abc", 0),
    BAD("12a", 0),
    BAD("1.5x", 3),
    BAD("NaN", 3),
    BAD("inf", 3),
    /* the int64 edge: exact, not approximately */
    OK_("9223372036854775807", 0, INT64_MAX),
    OK_("-9223372036854775807", 0, -INT64_MAX),
    OK_("9223372036854775806", 0, INT64_MAX - 1),
    OK_("9223372036854775800", 0, INT64_MAX - 7),
    OK_("9223372036854775799", 0, INT64_MAX - 8),
    OK_("0009223372036854775807", 0, INT64_MAX),
    BAD("9223372036854775808", 0),
    BAD("9223372036854775810", 0),
    BAD("-9223372036854775808", 0),   /* INT64_MIN: see the top of the file */
    BAD("-9223372036854775809", 0),
    BAD("99999999999999999999", 0),
    BAD("18446744073709551616", 0),   /* 2^64: must not wrap to 0 */
    OK_("92233720368547758.07", 2, INT64_MAX),
    BAD("92233720368547758.08", 2),
    OK_("9223372036854775.807", 3, INT64_MAX),
    OK_("-9223372036854775.807", 3, -INT64_MAX),
    BAD("9223372036854775.808", 3),
    OK_("9223372036854775.8", 3, 9223372036854775800),
    OK_("9223372036854775", 3, 9223372036854775000),
    BAD("9223372036854776", 3),       /* overflows while padding the scale */
    BAD("9223372036854775.9", 3),
    OK_("92233720368547758", 2, 9223372036854775800),
    BAD("92233720368547759", 2),
    /* scales the parser does not take */
    BAD("1", -1),
    BAD("1", 7),
    OK_("1", 6, 1000000),
};

static void test_decimal_parse_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < TU_COUNT(parse_cases); i++) {
        const parse_case_t *c = &parse_cases[i];
        int64_t v = 0x5A5A5A5A;
        int rc = gv_decimal_parse(c->s, c->scale, &v);
        if (rc != c->rc || (rc == 0 && v != c->value))
            print_message("FAIL parse('%s', %d): rc %d value %" PRId64 ", expected rc %d value "
                          "%" PRId64 "\n",
                          c->s, c->scale, rc, v, c->rc, c->value);
        assert_int_equal(rc, c->rc);
        if (rc == 0)
            assert_int_equal(v, c->value);
        else
            assert_int_equal(v, 0x5A5A5A5A); /* a refusal leaves *out alone */
    }
    int64_t v;
    assert_int_equal(gv_decimal_parse(NULL, 2, &v), -1);
}

/* ---- gv_decimal_format ---------------------------------------------------- */

typedef struct {
    int64_t v;
    int scale;
    const char *expected;
} format_case_t;

static const format_case_t format_cases[] = {
    { 0, 0, "0" },
    { 0, 2, "0.00" },
    { 0, 3, "0.000" },
    { 7, 0, "7" },
    { -7, 0, "-7" },
    { 123456, 2, "1234.56" },
    { -123456, 2, "-1234.56" },
    { 100, 2, "1.00" },
    { 5, 2, "0.05" },
    { -1, 2, "-0.01" },
    { -99, 2, "-0.99" },
    { 84250, 3, "84.250" },
    { -84250, 3, "-84.250" },
    { 5, 3, "0.005" },
    { -500, 3, "-0.500" },
    { 12500, 3, "12.500" },
    { 9990000, 3, "9990.000" },
    { 371352, 2, "3713.52" },
    { 1, 6, "0.000001" },
    { INT64_MAX, 0, "9223372036854775807" },
    { INT64_MIN, 0, "-9223372036854775808" },
    { INT64_MAX, 2, "92233720368547758.07" },
    { INT64_MIN, 2, "-92233720368547758.08" },
    { INT64_MAX, 3, "9223372036854775.807" },
    { INT64_MIN, 3, "-9223372036854775.808" },
};

static void test_decimal_format_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < TU_COUNT(format_cases); i++) {
        const format_case_t *c = &format_cases[i];
        char buf[40];
        size_t len = strlen(c->expected);

        assert_int_equal(gv_decimal_format(c->v, c->scale, buf, sizeof buf), 0);
        if (strcmp(buf, c->expected) != 0)
            print_message("FAIL format(%" PRId64 ", %d) = '%s', expected '%s'\n", c->v,
                          c->scale, buf, c->expected);
        assert_string_equal(buf, c->expected);
        /* exactly big enough fits; one byte less is refused */
        assert_int_equal(gv_decimal_format(c->v, c->scale, buf, len + 1), 0);
        assert_string_equal(buf, c->expected);
        assert_int_equal(gv_decimal_format(c->v, c->scale, buf, len), -1);
    }
    char buf[8];
    assert_int_equal(gv_decimal_format(1, -1, buf, sizeof buf), -1);
    assert_int_equal(gv_decimal_format(1, 7, buf, sizeof buf), -1);
}

/* format -> parse gives the value back, and parse -> format gives the
 * canonical text, at the scales the program uses. */
static void test_decimal_round_trip(void **state)
{
    (void)state;
    static const int scales[] = { 0, 2, 3 };
    static const int64_t values[] = {
        0, 1, -1, 5, -5, 9, 10, 99, 100, 101, 999, 1000, 1001, 84250, -84250, 436269,
        488621, 5178266, 12500, 9990000, 99999999999, 1000000000000000000, INT64_MAX,
        -INT64_MAX, INT64_MAX - 1, -INT64_MAX + 1,
    };

    for (size_t s = 0; s < TU_COUNT(scales); s++) {
        for (size_t i = 0; i < TU_COUNT(values); i++) {
            char buf[40];
            int64_t back = 0;
            assert_int_equal(gv_decimal_format(values[i], scales[s], buf, sizeof buf), 0);
            if (gv_decimal_parse(buf, scales[s], &back) != 0 || back != values[i])
                print_message("FAIL round trip %" PRId64 " at %d via '%s'\n", values[i],
                              scales[s], buf);
            assert_int_equal(gv_decimal_parse(buf, scales[s], &back), 0);
            assert_int_equal(back, values[i]);
        }
        /* every value in a dense range */
        for (int64_t v = -20000; v <= 20000; v++) {
            char buf[40], again[40];
            int64_t back = 0;
            assert_int_equal(gv_decimal_format(v, scales[s], buf, sizeof buf), 0);
            assert_int_equal(gv_decimal_parse(buf, scales[s], &back), 0);
            assert_int_equal(back, v);
            assert_int_equal(gv_decimal_format(back, scales[s], again, sizeof again), 0);
            assert_string_equal(again, buf);
        }
    }
    /* text that is not canonical comes back canonical */
    static const struct {
        const char *in;
        int scale;
        const char *out;
    } canon[] = {
        { "84.2500", 3, "84.250" }, { "84.25", 3, "84.250" }, { "-0", 0, "0" },
        { "-0.000", 3, "0.000" },   { ".5", 2, "0.50" },      { "1.", 3, "1.000" },
        { "007", 0, "7" },          { "-.5", 3, "-0.500" },   { "1234.5", 2, "1234.50" },
    };
    for (size_t i = 0; i < TU_COUNT(canon); i++) {
        int64_t v;
        char buf[40];
        assert_int_equal(gv_decimal_parse(canon[i].in, canon[i].scale, &v), 0);
        assert_int_equal(gv_decimal_format(v, canon[i].scale, buf, sizeof buf), 0);
        assert_string_equal(buf, canon[i].out);
    }
    /* INT64_MIN formats but does not parse back (see the top of the file) */
    char buf[40];
    int64_t v;
    assert_int_equal(gv_decimal_format(INT64_MIN, 0, buf, sizeof buf), 0);
    assert_int_equal(gv_decimal_parse(buf, 0, &v), -1);
}

/* ---- gv_percent_parse ----------------------------------------------------- */

typedef struct {
    const char *s;
    int rc;
    int32_t bp;
} percent_case_t;

static const percent_case_t percent_cases[] = {
    { "12", 0, 1200 },
    { "12.5", 0, 1250 },
    { "12.50", 0, 1250 },
    { "12.500", 0, 1250 },
    { "24.00", 0, 2400 },
    { "24", 0, 2400 },
    { "16", 0, 1600 },
    { "100", 0, 10000 },
    { "100.00", 0, 10000 },
    { "100.000", 0, 10000 },
    { "99.99", 0, 9999 },
    { "0", 0, 0 },
    { "0.00", 0, 0 },
    { "0.01", 0, 1 },
    { ".5", 0, 50 },
    { "5.", 0, 500 },
    { "007", 0, 700 },
    { "100.01", -1, 0 },
    { "100.001", -1, 0 },   /* beyond the scale */
    { "101", -1, 0 },
    { "1000", -1, 0 },
    { "12.345", -1, 0 },
    { "12.001", -1, 0 },
    { "-1", -1, 0 },
    { "-0", -1, 0 },        /* a sign has no place in a percentage */
    { "+12", -1, 0 },
    { "abc", -1, 0 },
    { "", -1, 0 },
    { ".", -1, 0 },
    { "12%", -1, 0 },
    { " 12", -1, 0 },
    { "12 ", -1, 0 },
    { "1e1", -1, 0 },
    { "12,5", -1, 0 },
    { "99999999999999999999", -1, 0 },
};

static void test_percent_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < TU_COUNT(percent_cases); i++) {
        const percent_case_t *c = &percent_cases[i];
        int32_t bp = 777;
        int rc = gv_percent_parse(c->s, &bp);
        if (rc != c->rc || (rc == 0 && bp != c->bp))
            print_message("FAIL percent('%s'): rc %d bp %d\n", c->s, rc, (int)bp);
        assert_int_equal(rc, c->rc);
        assert_int_equal(bp, rc == 0 ? c->bp : 777);
    }
    int32_t bp;
    assert_int_equal(gv_percent_parse(NULL, &bp), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_div_round_table),
        cmocka_unit_test(test_div_round_exhaustive),
        cmocka_unit_test(test_div_round_wide),
        cmocka_unit_test(test_volume_cost_table),
        cmocka_unit_test(test_rate_table),
        cmocka_unit_test(test_charge_table),
        cmocka_unit_test(test_worked_example),
        cmocka_unit_test(test_decimal_parse_table),
        cmocka_unit_test(test_decimal_format_table),
        cmocka_unit_test(test_decimal_round_trip),
        cmocka_unit_test(test_percent_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
