/* test_billcalc.c - one voucher's bill (R13-R17 in their order): the worked
 * example of rules.md to the tiyn, the VAT change, the cap, zero volumes,
 * unmetered homes by month, Pending reasons and their precedence
 * (NO_TARIFF, NO_FACE_VALUE, then the reading reasons), the face-value
 * rule, rules switching by date, vouchers refused for a reason of their
 * own, and parameters that cannot bill a period at all. */
#include "config.h"

#include "testutil.h"

#include "billcalc.h"
#include "calendar.h"
#include "params.h"

/* Prices: KZ-79 the sample figure of the worked example; KZ-71 the sample
 * figure; KZ-27 synthetic.  Norms and the "*" cap are synthetic. */
static const char main_file[] =
    "[vat]\n"
    "2009-01-01 = 12\n"
    "2026-01-01 = 16\n"
    "[prices]\n"
    "KZ-79 2025-08-01 = 5178266\n"
    "KZ-71 2025-08-01 = 4723048\n"
    "KZ-27 2025-08-01 = 4000000 ; synthetic\n"
    "[norms]\n"
    "KZ-71 01 = 30.000\n"
    "* 01 = 25.000\n"
    "* 04 = 12.000\n"
    "* 07 = 4.000\n"
    "* 11 = 20.000\n"
    "[discount]\n"
    "2025-08-01 = percent_within_cap\n"
    "2026-03-01 = face_value\n"
    "2026-05-01 = percent_within_cap\n"
    "[rule.percent_within_cap]\n"
    "KZ-79 2025-08-01 = 24 631\n"
    "KZ-27 2025-08-01 = 24 833\n"
    "* 2025-08-01 = 10 300 ; synthetic\n"
    "[limits]\n"
    "plausibility_m3 = 5000\n";

/* VAT only from 2025-09-01, a rule only from 2025-10-01, no "*" cap. */
static const char broken_file[] =
    "[vat]\n"
    "2025-09-01 = 12\n"
    "2026-01-01 = 16\n"
    "[prices]\n"
    "KZ-79 2025-08-01 = 5178266\n"
    "KZ-27 2025-08-01 = 4000000\n"
    "[discount]\n"
    "2025-10-01 = percent_within_cap\n"
    "[rule.percent_within_cap]\n"
    "KZ-79 2025-08-01 = 24 631\n";

/* percent_within_cap in force from 2025-08-01, its caps only from 2026. */
static const char late_caps_file[] =
    "[vat]\n"
    "2009-01-01 = 12\n"
    "[prices]\n"
    "KZ-79 2025-08-01 = 5178266\n"
    "[discount]\n"
    "2025-08-01 = percent_within_cap\n"
    "[rule.percent_within_cap]\n"
    "KZ-79 2026-01-01 = 24 631\n"
    "* 2026-02-01 = 10 300\n";

#define NFILES 3

typedef struct {
    char *path[NFILES];
    gv_params_t *p[NFILES];
} fixture_t;

static int setup(void **state)
{
    static fixture_t fx;
    const char *texts[NFILES] = { main_file, broken_file, late_caps_file };

    for (int i = 0; i < NFILES; i++) {
        gv_errlist_t errs = { 0 };
        fx.path[i] = tu_temp_file(texts[i]);
        fx.p[i] = gv_params_load(fx.path[i], &errs);
        tu_print_errs("params", &errs);
        gv_errlist_free(&errs);
        if (!fx.p[i])
            return -1;
    }
    *state = &fx;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *fx = *state;
    for (int i = 0; i < NFILES; i++) {
        gv_params_free(fx->p[i]);
        tu_remove(fx->path[i]);
    }
    return 0;
}

enum { MAIN = 0, BROKEN = 1, LATE_CAPS = 2 };
#define NP GV_PENDING_NONE
#define NO_TARIFF GV_PENDING_NO_TARIFF
#define NO_FACE GV_PENDING_NO_FACE_VALUE
#define NO_READING GV_PENDING_NO_METER_READING
#define INVALID GV_PENDING_INVALID_METER_READING
#define UNMETERED 0, NULL, 0, NULL, 0
/* Two actual readings of one meter: the previous closing and this one. */
#define READS(prev_day, prev, close_day, close) 1, prev_day, prev, close_day, close
#define NO_READS 1, NULL, 0, NULL, 0
#define NOBILL NULL, 0, 0, 0, 0, 0, 0, 0

typedef struct {
    const char *name;
    int file;
    const char *period;
    const char *region;
    int residents;
    int metered;
    const char *prev_day;           /* NULL: no reading before the period */
    int64_t prev;
    const char *close_day;          /* NULL: no reading inside it */
    int64_t close;
    int64_t nominal;
    int rc;
    gv_pending_t pending;
    const char *why;                /* Pending: a part of out->why; -1: of err */
    const char *rule;
    int64_t volume, net, charge, cap_milli, cap_charge, discount, due;
} bill_case_t;

static const bill_case_t cases[] = {
    /* R16's worked example, to the tiyn */
    { "worked example: Shymkent Sep 2025", MAIN, "2025-09", "KZ-79", 0,
      READS("2025-08-31", 1000000, "2025-09-30", 1084250), -1, 0, NP, NULL,
      "percent_within_cap", 84250, 436269, 488621, 84250, 488621, 117269, 371352 },
    { "same volume, Jan 2026: VAT 16 %", MAIN, "2026-01", "KZ-79", 0,
      READS("2025-12-31", 1000000, "2026-01-30", 1084250), -1, 0, NP, NULL,
      "percent_within_cap", 84250, 436269, 506072, 84250, 506072, 121457, 384615 },
    { "Dec 2025 still 12 %", MAIN, "2025-12", "KZ-79", 0,
      READS("2025-11-30", 1000000, "2025-12-31", 1084250), -1, 0, NP, NULL,
      "percent_within_cap", 84250, 436269, 488621, 84250, 488621, 117269, 371352 },
    { "above the cap: 700 m3 in KZ-79 (cap 631)", MAIN, "2025-09", "KZ-79", 0,
      READS("2025-08-31", 0, "2025-09-30", 700000), -1, 0, NP, NULL,
      "percent_within_cap", 700000, 3624786, 4059760, 631000, 3659584, 878300, 3181460 },
    { "exactly the cap: 631 m3", MAIN, "2025-09", "KZ-79", 0,
      READS("2025-08-31", 0, "2025-09-30", 631000), -1, 0, NP, NULL,
      "percent_within_cap", 631000, 3267486, 3659584, 631000, 3659584, 878300, 2781284 },
    { "KZ-27 cap 833, 900 m3", MAIN, "2025-09", "KZ-27", 0,
      READS("2025-08-31", 0, "2025-09-30", 900000), -1, 0, NP, NULL,
      "percent_within_cap", 900000, 3600000, 4032000, 833000, 3731840, 895642, 3136358 },
    { "zero consumption", MAIN, "2025-09", "KZ-79", 0,
      READS("2025-08-31", 1234567, "2025-09-30", 1234567), -1, 0, NP, NULL,
      "percent_within_cap", 0, 0, 0, 0, 0, 0, 0 },
    { "\"*\" cap: KZ-71 400 m3 (10 % within 300)", MAIN, "2025-09", "KZ-71", 0,
      READS("2025-08-31", 0, "2025-09-30", 400000), -1, 0, NP, NULL,
      "percent_within_cap", 400000, 1889219, 2115925, 300000, 1586944, 158694, 1957231 },

    /* R15: unmetered, by month */
    { "unmetered, heating: KZ-71 own Jan norm 30 x 3", MAIN, "2026-01", "KZ-71", 3, UNMETERED,
      -1, 0, NP, NULL, "percent_within_cap", 90000, 425074, 493086, 90000, 493086, 49309,
      443777 },
    { "unmetered, heating: \"*\" Nov norm 20 x 2", MAIN, "2025-11", "KZ-71", 2, UNMETERED,
      -1, 0, NP, NULL, "percent_within_cap", 40000, 188922, 211593, 40000, 211593, 21159,
      190434 },
    { "unmetered, summer: \"*\" Jul norm 4 x 3", MAIN, "2026-07", "KZ-71", 3, UNMETERED,
      -1, 0, NP, NULL, "percent_within_cap", 12000, 56677, 65745, 12000, 65745, 6575, 59170 },
    { "unmetered, no residents", MAIN, "2026-07", "KZ-71", 0, UNMETERED, -1, 0, NP, NULL,
      "percent_within_cap", 0, 0, 0, 0, 0, 0, 0 },
    { "unmetered, no norm for the month: NO_TARIFF", MAIN, "2025-10", "KZ-71", 3, UNMETERED,
      -1, 0, NO_TARIFF, "no consumption norm for region KZ-71 in month 10", NOBILL },

    /* Pending, and its precedence (R13, R14) */
    { "no price for the region: NO_TARIFF", MAIN, "2025-09", "KZ-11", 0,
      READS("2025-08-31", 0, "2025-09-30", 84250), -1, 0, NO_TARIFF,
      "no group-1 price for region KZ-11 in force on 2025-09-01 (period 2025-09)", NOBILL },
    { "period before the program's first rule: -1, not NO_TARIFF", MAIN, "2025-07", "KZ-79",
      0, READS("2025-06-30", 0, "2025-07-31", 84250), -1, -1, NP,
      "no discount rule in force on 2025-07-01", NOBILL },
    { "NO_TARIFF wins over a missing reading", MAIN, "2025-09", "KZ-11", 0, NO_READS, -1, 0,
      NO_TARIFF, "KZ-11", NOBILL },
    { "NO_TARIFF wins over an invalid reading", MAIN, "2025-09", "KZ-11", 0,
      READS("2025-08-31", 0, "2025-09-30", 6000000), -1, 0, NO_TARIFF, "KZ-11", NOBILL },
    { "unmetered without price: NO_TARIFF names the price", MAIN, "2025-09", "KZ-11", 3,
      UNMETERED, -1, 0, NO_TARIFF, "no group-1 price", NOBILL },
    { "no readings: NO_METER_READING", MAIN, "2025-09", "KZ-79", 0, NO_READS, -1, 0,
      NO_READING, "no closing meter reading in period 2025-09", NOBILL },
    { "no closing reading: NO_METER_READING", MAIN, "2025-09", "KZ-79", 0,
      READS("2025-08-31", 0, NULL, 0), -1, 0, NO_READING, "meter reading", NOBILL },
    { "no previous reading: NO_METER_READING", MAIN, "2025-09", "KZ-79", 0,
      READS(NULL, 0, "2025-09-30", 84250), -1, 0, NO_READING, "meter reading", NOBILL },
    { "above plausibility: INVALID_METER_READING", MAIN, "2025-09", "KZ-79", 0,
      READS("2025-08-31", 0, "2025-09-30", 5000001), -1, 0, INVALID,
      "plausibility limit of 5000.000 m3", NOBILL },
    { "exactly the plausibility limit bills", MAIN, "2025-09", "KZ-79", 0,
      READS("2025-08-31", 0, "2025-09-30", 5000000), -1, 0, NP, NULL, "percent_within_cap",
      5000000, 25891330, 28998290, 631000, 3659584, 878300, 28119990 },

    /* R17 and the rule by effective date */
    { "Feb 2026: still percent_within_cap", MAIN, "2026-02", "KZ-79", 0,
      READS("2026-01-31", 0, "2026-02-28", 84250), 100000, 0, NP, NULL, "percent_within_cap",
      84250, 436269, 506072, 84250, 506072, 121457, 384615 },
    { "Mar 2026: face_value, face below charge", MAIN, "2026-03", "KZ-79", 0,
      READS("2026-02-28", 0, "2026-03-31", 84250), 100000, 0, NP, NULL, "face_value", 84250,
      436269, 506072, -1, 0, 100000, 406072 },
    { "Apr 2026: face_value, face above charge", MAIN, "2026-04", "KZ-79", 0,
      READS("2026-03-31", 0, "2026-04-30", 84250), 1000000, 0, NP, NULL, "face_value", 84250,
      436269, 506072, -1, 0, 506072, 0 },
    { "face_value, face equal to charge", MAIN, "2026-04", "KZ-79", 0,
      READS("2026-03-31", 0, "2026-04-30", 84250), 506072, 0, NP, NULL, "face_value", 84250,
      436269, 506072, -1, 0, 506072, 0 },
    { "face_value, face 0", MAIN, "2026-03", "KZ-79", 0,
      READS("2026-02-28", 0, "2026-03-31", 84250), 0, 0, NP, NULL, "face_value", 84250,
      436269, 506072, -1, 0, 0, 506072 },
    { "face_value, zero consumption", MAIN, "2026-03", "KZ-79", 0,
      READS("2026-02-28", 500, "2026-03-31", 500), 100000, 0, NP, NULL, "face_value", 0, 0,
      0, -1, 0, 0, 0 },
    { "face_value, unmetered without a norm: NO_TARIFF", MAIN, "2026-03", "KZ-71", 0,
      UNMETERED, 100000, 0, NO_TARIFF, "no consumption norm", NOBILL },
    { "face_value, unmetered by the \"*\" Apr norm 12 x 3, face below charge", MAIN,
      "2026-04", "KZ-71", 3, UNMETERED, 100000, 0, NP, NULL, "face_value", 36000, 170030,
      197235, -1, 0, 100000, 97235 },

    /* R17: under the face-value rule a voucher without one waits, in its
     * place between NO_TARIFF and the reading reasons */
    { "face_value without a face value: NO_FACE_VALUE", MAIN, "2026-03", "KZ-79", 0,
      READS("2026-02-28", 0, "2026-03-31", 84250), -1, 0, NO_FACE, "no face value", NOBILL },
    { "unmetered, a norm, no face value: NO_FACE_VALUE", MAIN, "2026-04", "KZ-71", 3,
      UNMETERED, -1, 0, NO_FACE, "NominalTiyn", NOBILL },
    { "NO_TARIFF wins over NO_FACE_VALUE", MAIN, "2026-03", "KZ-11", 0,
      READS("2026-02-28", 0, "2026-03-31", 84250), -1, 0, NO_TARIFF,
      "no group-1 price for region KZ-11", NOBILL },
    { "no norm (NO_TARIFF) wins over NO_FACE_VALUE", MAIN, "2026-03", "KZ-71", 2, UNMETERED,
      -1, 0, NO_TARIFF, "no consumption norm for region KZ-71 in month 03", NOBILL },
    { "NO_FACE_VALUE wins over a missing reading", MAIN, "2026-03", "KZ-79", 0, NO_READS, -1,
      0, NO_FACE, "no face value", NOBILL },
    { "NO_FACE_VALUE wins over an invalid reading", MAIN, "2026-04", "KZ-79", 0,
      READS("2026-03-31", 0, "2026-04-30", 6000000), -1, 0, NO_FACE, "no face value",
      NOBILL },
    { "a face value and no reading: NO_METER_READING", MAIN, "2026-03", "KZ-79", 0, NO_READS,
      100000, 0, NO_READING, "no closing meter reading", NOBILL },
    { "a face value and an invalid reading: INVALID_METER_READING", MAIN, "2026-04", "KZ-79",
      0, READS("2026-03-31", 0, "2026-04-30", 6000000), 100000, 0, INVALID,
      "plausibility limit", NOBILL },
    { "percent rule: no face value needed", MAIN, "2025-09", "KZ-79", 0,
      READS("2025-08-31", 1000000, "2025-09-30", 1084250), -1, 0, NP, NULL,
      "percent_within_cap", 84250, 436269, 488621, 84250, 488621, 117269, 371352 },
    { "May 2026: back to percent_within_cap", MAIN, "2026-05", "KZ-79", 0,
      READS("2026-04-30", 0, "2026-05-31", 84250), 100000, 0, NP, NULL, "percent_within_cap",
      84250, 436269, 506072, 84250, 506072, 121457, 384615 },

    /* parameters that cannot bill the period: -1 with err, not Pending,
     * whatever the voucher (a run checks this before it writes) */
    { "no rule in force: -1", BROKEN, "2025-09", "KZ-79", 0,
      READS("2025-08-31", 0, "2025-09-30", 84250), -1, -1, NP,
      "no discount rule in force on 2025-09-01", NOBILL },
    { "no VAT in force: -1", BROKEN, "2025-08", "KZ-79", 0,
      READS("2025-07-31", 0, "2025-08-31", 84250), -1, -1, NP,
      "no VAT rate in force on 2025-08-01", NOBILL },
    { "no VAT in force: -1 even for a voucher without a price", BROKEN, "2025-08", "KZ-71", 0,
      NO_READS, -1, -1, NP, "[vat] starts later", NOBILL },
    { "broken file, a covered voucher bills", BROKEN, "2026-01", "KZ-79", 0,
      READS("2025-12-31", 1000000, "2026-01-30", 1084250), -1, 0, NP, NULL,
      "percent_within_cap", 84250, 436269, 506072, 84250, 506072, 121457, 384615 },
};

static int32_t day_of(const char *s)
{
    int32_t d;
    assert_int_equal(gv_date_parse(s, &d), 0);
    return d;
}

static void test_cases(void **state)
{
    fixture_t *fx = *state;

    for (size_t i = 0; i < TU_COUNT(cases); i++) {
        const bill_case_t *c = &cases[i];
        gv_reading_t r[2];
        gv_bill_in_t in;
        gv_bill_calc_t out;
        gv_err_t err = { "" };
        int rc;

        print_message("[%s]\n", c->name);
        memset(&in, 0, sizeof in);
        memset(r, 0, sizeof r);
        assert_int_equal(gv_period_parse(c->period, &in.period), 0);
        in.region = c->region;
        in.metered = c->metered;
        in.residents = c->residents;
        in.nominal_tiyn = c->nominal;
        in.readings = r;
        if (c->prev_day) {
            snprintf(r[in.nreadings].meter, sizeof r[0].meter, "M1");
            r[in.nreadings].digits = 5;
            r[in.nreadings].day = day_of(c->prev_day);
            r[in.nreadings].value_milli = c->prev;
            r[in.nreadings].kind = GV_READ_ACTUAL;
            r[in.nreadings].seq = 1;
            in.nreadings++;
        }
        if (c->close_day) {
            snprintf(r[in.nreadings].meter, sizeof r[0].meter, "M1");
            r[in.nreadings].digits = 5;
            r[in.nreadings].day = day_of(c->close_day);
            r[in.nreadings].value_milli = c->close;
            r[in.nreadings].kind = GV_READ_ACTUAL;
            r[in.nreadings].seq = 2;
            in.nreadings++;
        }

        rc = gv_bill_compute(fx->p[c->file], &in, &out, &err);
        if (rc != c->rc || out.pending != c->pending)
            print_message("  rc %d pending %s why '%s' err '%s'\n", rc,
                          gv_pending_name(out.pending), out.why, err.msg);
        assert_int_equal(rc, c->rc);
        if (rc == 0)
            assert_int_equal(out.refused, GV_REFUSED_NONE);
        if (rc < 0) {
            if (!strstr(err.msg, c->why))
                print_message("  err '%s' lacks '%s'\n", err.msg, c->why);
            assert_non_null(strstr(err.msg, c->why));
            continue;
        }
        assert_int_equal(out.pending, c->pending);
        if (c->pending != GV_PENDING_NONE) {
            if (!strstr(out.why, c->why))
                print_message("  why '%s' lacks '%s'\n", out.why, c->why);
            assert_non_null(strstr(out.why, c->why));
            continue;
        }
        assert_non_null(out.rule);
        assert_string_equal(out.rule, c->rule);
        assert_int_equal(out.charge.volume_milli, c->volume);
        assert_int_equal(out.charge.net, c->net);
        assert_int_equal(out.charge.vat, c->charge - c->net);
        assert_int_equal(out.charge.charge, c->charge);
        assert_int_equal(out.discount.cap_milli, c->cap_milli);
        assert_int_equal(out.discount.cap_charge, c->cap_charge);
        assert_int_equal(out.discount.discount, c->discount);
        assert_int_equal(out.due, c->due);
        assert_int_equal(out.due, out.charge.charge - out.discount.discount);
        assert_true(out.discount.discount >= 0 && out.discount.discount <= out.charge.charge);
        if (!strcmp(c->rule, "percent_within_cap")) {
            assert_int_equal(out.discount.percent_bp, !strcmp(c->region, "KZ-71") ? 1000 : 2400);
            assert_int_equal(out.discount.cap_charge,
                             out.discount.cap_net + out.discount.cap_vat);
        } else {
            assert_int_equal(out.discount.percent_bp, -1);
        }
    }
}

/* The worked example's intermediate lines, spelled out (rules.md R16). */
static void test_worked_example_steps(void **state)
{
    fixture_t *fx = *state;
    gv_reading_t r[2] = {
        { "SN-1", 5, 0, 1000000, GV_READ_ACTUAL, 1 },
        { "SN-1", 5, 0, 1084250, GV_READ_ACTUAL, 2 },
    };
    gv_bill_in_t in = { { 2025, 9 }, "KZ-79", 1, 0, r, 2, -1 };
    gv_bill_calc_t out;
    gv_err_t err = { "" };

    r[0].day = day_of("2025-08-31");
    r[1].day = day_of("2025-09-30");
    assert_int_equal(gv_bill_compute(fx->p[MAIN], &in, &out, &err), 0);
    assert_int_equal(out.pending, GV_PENDING_NONE);
    assert_string_equal(gv_pending_name(out.pending), "");
    assert_int_equal(out.charge.price, 5178266);
    assert_int_equal(out.charge.vat_bp, 1200);
    assert_int_equal(out.charge.net, 436269);
    assert_int_equal(out.charge.vat, 52352);
    assert_int_equal(out.charge.charge, 488621);
    assert_int_equal(out.discount.cap_milli, 84250);
    assert_int_equal(out.discount.cap_net, 436269);
    assert_int_equal(out.discount.cap_vat, 52352);
    assert_int_equal(out.discount.cap_charge, 488621);
    assert_int_equal(out.discount.percent_bp, 2400);
    assert_int_equal(out.discount.discount, 117269);
    assert_int_equal(out.due, 371352);
}

static void test_pending_names(void **state)
{
    (void)state;
    assert_string_equal(gv_pending_name(GV_PENDING_NONE), "");
    assert_string_equal(gv_pending_name(GV_PENDING_NO_TARIFF), "NO_TARIFF");
    assert_string_equal(gv_pending_name(GV_PENDING_NO_FACE_VALUE), "NO_FACE_VALUE");
    assert_string_equal(gv_pending_name(GV_PENDING_NO_METER_READING), "NO_METER_READING");
    assert_string_equal(gv_pending_name(GV_PENDING_INVALID_METER_READING),
                        "INVALID_METER_READING");
    assert_string_equal(gv_pending_name(GV_PENDING_COUNT), "");
    /* the enum is the precedence of R14 and R17 */
    assert_true(GV_PENDING_NO_TARIFF < GV_PENDING_NO_FACE_VALUE);
    assert_true(GV_PENDING_NO_FACE_VALUE < GV_PENDING_NO_METER_READING);
    assert_true(GV_PENDING_NO_METER_READING < GV_PENDING_INVALID_METER_READING);
    for (int p = GV_PENDING_NONE + 1; p < GV_PENDING_COUNT; p++)
        assert_int_equal(gv_pending_find(gv_pending_name((gv_pending_t)p)), p);
    assert_int_equal(gv_pending_find(""), GV_PENDING_NONE);
    assert_int_equal(gv_pending_find("NO_FACE"), GV_PENDING_NONE);
    assert_int_equal(gv_pending_find(NULL), GV_PENDING_NONE);
    assert_string_equal(gv_refused_name(GV_REFUSED_NONE), "");
    assert_string_equal(gv_refused_name(GV_REFUSED_SITE_VALUE), "SITE_VALUE");
    assert_string_equal(gv_refused_name(GV_REFUSED_RULE), "RULE_REFUSED");
}

/* Every Pending reason is one the RedemptionReport's schema knows. */
static void test_pending_names_in_xsd(void **state)
{
    char *path = tu_srcdir_path("src/msg/wallet-gas-voucher-v1.xsd");
    FILE *f = fopen(path, "r");
    static char xsd[1 << 16];
    size_t n;

    (void)state;
    if (!f)
        f = fopen("src/msg/wallet-gas-voucher-v1.xsd", "r");
    assert_non_null(f);
    n = fread(xsd, 1, sizeof xsd - 1, f);
    fclose(f);
    xsd[n] = '\0';
    for (int p = GV_PENDING_NONE + 1; p < GV_PENDING_COUNT; p++) {
        char want[80];
        snprintf(want, sizeof want, "<xs:enumeration value=\"%s\"/>",
                 gv_pending_name((gv_pending_t)p));
        if (!strstr(xsd, want))
            print_message("the XSD lacks %s\n", want);
        assert_non_null(strstr(xsd, want));
    }
    free(path);
}

/* A voucher refused for a reason of its own: 0, nothing billable, the
 * reason in words; the next voucher is not concerned. */
static void test_refused(void **state)
{
    fixture_t *fx = *state;
    static const struct {
        const char *name;
        int file;
        const char *period, *region;
        int metered, residents;
        gv_refused_t refused;
        const char *why;
    } kases[] = {
        { "an empty region from the site", MAIN, "2025-09", "", 0, 2, GV_REFUSED_SITE_VALUE,
          "region ''" },
        { "a region name, not a code", MAIN, "2025-09", "Shymkent", 0, 2, GV_REFUSED_SITE_VALUE,
          "'Shymkent', not a code of the form KZ-NN" },
        { "a short code", MAIN, "2025-09", "KZ-7", 1, 0, GV_REFUSED_SITE_VALUE, "KZ-7" },
        { "negative residents of an unmetered home", MAIN, "2025-11", "KZ-79", 0, -1,
          GV_REFUSED_SITE_VALUE, "-1 registered residents" },
        { "no cap for the region, no \"*\" row: the rule refuses", BROKEN, "2026-01", "KZ-27",
          1, 0, GV_REFUSED_RULE, "no cap for region KZ-27 on 2026-01-01" },
    };
    gv_reading_t r[2] = {
        { "M1", 5, 0, 0, GV_READ_ACTUAL, 1 },
        { "M1", 5, 0, 84250, GV_READ_ACTUAL, 2 },
    };

    for (size_t i = 0; i < TU_COUNT(kases); i++) {
        gv_bill_in_t in;
        gv_bill_calc_t out;
        gv_err_t err = { "" };

        print_message("[%s]\n", kases[i].name);
        memset(&in, 0, sizeof in);
        assert_int_equal(gv_period_parse(kases[i].period, &in.period), 0);
        r[0].day = gv_period_first_day(in.period) - 1;
        r[1].day = gv_period_last_day(in.period);
        in.region = kases[i].region;
        in.metered = kases[i].metered;
        in.residents = kases[i].residents;
        in.readings = r;
        in.nreadings = 2;
        in.nominal_tiyn = -1;
        assert_int_equal(gv_bill_compute(fx->p[kases[i].file], &in, &out, &err), 0);
        if (out.refused != kases[i].refused)
            print_message("  refused %d, pending '%s': %s\n", out.refused,
                          gv_pending_name(out.pending), out.why);
        assert_int_equal(out.refused, kases[i].refused);
        assert_int_equal(out.pending, GV_PENDING_NONE);
        if (!strstr(out.why, kases[i].why))
            print_message("  why '%s' lacks '%s'\n", out.why, kases[i].why);
        assert_non_null(strstr(out.why, kases[i].why));
        assert_string_equal(err.msg, "");
    }
}

/* What a run asks before it writes anything. */
static void test_period_check(void **state)
{
    fixture_t *fx = *state;
    static const struct {
        int file;
        const char *period;
        int rc;
        const char *why;
    } kases[] = {
        { MAIN, "2025-09", 0, NULL },
        { MAIN, "2026-03", 0, NULL },                   /* face_value: no parameters */
        { BROKEN, "2025-08", -1, "no VAT rate in force on 2025-08-01" },
        { BROKEN, "2025-09", -1, "no discount rule in force on 2025-09-01" },
        { BROKEN, "2025-10", 0, NULL },                 /* KZ-79's cap covers some */
        { LATE_CAPS, "2025-12", -1, "no row of [rule.percent_within_cap] is in force on "
                                    "2025-12-01" },
        { LATE_CAPS, "2026-01", 0, NULL },
    };

    for (size_t i = 0; i < TU_COUNT(kases); i++) {
        gv_period_t per;
        gv_err_t err = { "" };
        int rc;

        assert_int_equal(gv_period_parse(kases[i].period, &per), 0);
        rc = gv_bill_period_check(fx->p[kases[i].file], per, &err);
        if (rc != kases[i].rc || (kases[i].why && !strstr(err.msg, kases[i].why)))
            print_message("  case %zu: rc %d err '%s'\n", i, rc, err.msg);
        assert_int_equal(rc, kases[i].rc);
        if (kases[i].why)
            assert_non_null(strstr(err.msg, kases[i].why));
    }
}

/* The shipped program file bills the worked example too. */
static void test_shipped_file(void **state)
{
    (void)state;
    char *path = tu_srcdir_path("contrib/program.ini");
    gv_errlist_t errs = { 0 };
    gv_params_t *p;
    gv_bill_in_t in = { { 2025, 9 }, "KZ-79", 0, 0, NULL, 0, -1 };
    gv_bill_calc_t out;
    gv_err_t err = { "" };

    if (access(path, R_OK) != 0) {
        free(path);
        path = strdup("contrib/program.ini");
    }
    p = gv_params_load(path, &errs);
    tu_print_errs("shipped", &errs);
    assert_non_null(p);
    /* unmetered, 3 residents: the synthetic "*" September norm */
    in.residents = 3;
    assert_int_equal(gv_bill_compute(p, &in, &out, &err), 0);
    assert_int_equal(out.pending, GV_PENDING_NONE);
    assert_string_equal(out.rule, "percent_within_cap");
    assert_int_equal(out.discount.percent_bp, 2400);
    assert_int_equal(out.due, out.charge.charge - out.discount.discount);
    /* a pilot region without a shipped price */
    in.region = "KZ-27";
    assert_int_equal(gv_bill_compute(p, &in, &out, &err), 0);
    assert_int_equal(out.pending, GV_PENDING_NO_TARIFF);
    gv_params_free(p);
    gv_errlist_free(&errs);
    free(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cases),
        cmocka_unit_test(test_worked_example_steps),
        cmocka_unit_test(test_pending_names),
        cmocka_unit_test(test_pending_names_in_xsd),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_period_check),
        cmocka_unit_test(test_shipped_file),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
