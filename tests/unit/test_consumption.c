/* test_consumption.c - metered (R14) and unmetered (R15) volumes.
 *
 * The metered table lists each account's readings in the site's row order
 * (the row number is the reading's seq); every case is then run on that
 * order, reversed, and shuffled several ways with a fixed seed, because a
 * site may hand readings over in any order and the volume must not depend
 * on it.  Values are thousandths of a cubic metre: 9990000 is 9990.000 m3.
 * The plausibility limit is 5000 m3 unless a case says otherwise.
 *
 * One choice the rules leave open is pinned here: only the readings the
 * volume is built from (the previous closing reading and everything after
 * it up to the closing reading) are checked for a possible register value;
 * an impossible estimated reading, one after the period or one older than
 * the previous closing reading is ignored like any other reading that does
 * not count. */
#include "config.h"

#include "testutil.h"

#include <inttypes.h>

#include "calendar.h"
#include "consumption.h"

#define OK GV_CONS_OK
#define NOREAD GV_CONS_NO_READING
#define INVALID GV_CONS_INVALID

#define LIMIT 5000000 /* 5000 m3 */
#define MAXR 12

static int setup(void **state)
{
    (void)state;
    return gv_time_init("Asia/Almaty") == 0 ? 0 : -1;
}

typedef struct {
    const char *meter;     /* NULL ends the list */
    int digits;
    const char *date;
    int64_t value_milli;
    gv_read_kind_t kind;
} rspec_t;

#define A(m, d, date, v) { m, d, date, v, GV_READ_ACTUAL }
#define INS(m, d, date, v) { m, d, date, v, GV_READ_INSTALL }
#define REM(m, d, date, v) { m, d, date, v, GV_READ_REMOVAL }
#define EST(m, d, date, v) { m, d, date, v, GV_READ_ESTIMATED }

typedef struct {
    const char *name;
    const char *period;
    gv_cons_status_t status;
    int64_t volume;        /* when OK */
    rspec_t r[MAXR];
} cons_case_t;

static const cons_case_t cons_cases[] = {
    /* ---- one meter, simple months ---- */
    { "simple month", "2025-09", OK, 84250,
      { A("M1", 5, "2025-08-31", 1000000), A("M1", 5, "2025-09-30", 1084250) } },
    { "closing mid-month, previous mid last month", "2025-09", OK, 50500,
      { A("M1", 5, "2025-08-25", 100000), A("M1", 5, "2025-09-20", 150500) } },
    { "several inside telescope", "2025-09", OK, 40250,
      { A("M1", 5, "2025-08-31", 100000), A("M1", 5, "2025-09-10", 110000),
        A("M1", 5, "2025-09-20", 125000), A("M1", 5, "2025-09-30", 140250) } },
    { "previous is the last before the period", "2025-09", OK, 20000,
      { A("M1", 5, "2025-07-31", 50000), A("M1", 5, "2025-08-15", 80000),
        A("M1", 5, "2025-08-31", 100000), A("M1", 5, "2025-09-30", 120000) } },
    { "readings a year back do not matter", "2025-09", OK, 7000,
      { A("M1", 5, "2024-09-30", 1000), A("M1", 5, "2025-01-31", 50000),
        A("M1", 5, "2025-08-31", 100000), A("M1", 5, "2025-09-30", 107000) } },
    { "two readings on the closing day: the row order decides", "2025-09", OK, 31000,
      { A("M1", 5, "2025-08-31", 100000), A("M1", 5, "2025-09-30", 130000),
        A("M1", 5, "2025-09-30", 131000) } },
    { "two readings on the previous day: the row order decides", "2025-09", OK, 29000,
      { A("M1", 5, "2025-08-31", 100000), A("M1", 5, "2025-08-31", 101000),
        A("M1", 5, "2025-09-30", 130000) } },
    { "same day: the row order decides, not the value", "2025-09", OK, 30000,
      { A("M1", 5, "2025-08-31", 101000), A("M1", 5, "2025-08-31", 100000),
        A("M1", 5, "2025-09-30", 130000) } },

    /* ---- ESTIMATED never counts ---- */
    { "estimated ignored as closing", "2025-09", OK, 20000,
      { A("M1", 5, "2025-08-31", 100000), A("M1", 5, "2025-09-15", 120000),
        EST("M1", 5, "2025-09-30", 200000) } },
    { "estimated ignored as previous", "2025-09", OK, 40000,
      { A("M1", 5, "2025-08-15", 90000), EST("M1", 5, "2025-08-31", 100000),
        A("M1", 5, "2025-09-30", 130000) } },
    { "estimated in between ignored (it would look like a wrap)", "2025-09", OK, 30000,
      { A("M1", 5, "2025-08-31", 100000), EST("M1", 5, "2025-09-10", 50000),
        A("M1", 5, "2025-09-30", 130000) } },
    { "estimated on both sides ignored", "2025-09", OK, 25000,
      { EST("M1", 5, "2025-07-31", 1), A("M1", 5, "2025-08-20", 95000),
        EST("M1", 5, "2025-08-31", 99000000), A("M1", 5, "2025-09-25", 120000),
        EST("M1", 5, "2025-09-30", 0) } },
    { "closing only estimated", "2025-09", NOREAD, 0,
      { A("M1", 5, "2025-08-31", 100000), EST("M1", 5, "2025-09-30", 130000) } },
    { "previous only estimated", "2025-09", NOREAD, 0,
      { EST("M1", 5, "2025-08-31", 100000), A("M1", 5, "2025-09-30", 130000) } },
    { "all estimated", "2025-09", NOREAD, 0,
      { EST("M1", 5, "2025-08-31", 100000), EST("M1", 5, "2025-09-30", 130000) } },
    { "impossible estimated value ignored", "2025-09", OK, 30000,
      { A("M1", 4, "2025-08-31", 100000), EST("M1", 4, "2025-09-15", 99999999),
        EST("M1", 0, "2025-09-16", -5), A("M1", 4, "2025-09-30", 130000) } },

    /* ---- readings after the period ---- */
    { "later readings ignored", "2025-09", OK, 30000,
      { A("M1", 5, "2025-08-31", 100000), A("M1", 5, "2025-09-30", 130000),
        A("M1", 5, "2025-10-01", 10000), A("M1", 5, "2025-10-15", 200000) } },
    { "only a later reading", "2025-09", NOREAD, 0,
      { A("M1", 5, "2025-08-31", 100000), A("M1", 5, "2025-10-01", 130000) } },
    { "impossible later value ignored", "2025-09", OK, 30000,
      { A("M1", 5, "2025-08-31", 100000), A("M1", 5, "2025-09-30", 130000),
        A("M1", 5, "2025-10-05", -1) } },
    { "later removal and installation ignored", "2025-09", OK, 30000,
      { A("M1", 5, "2025-08-31", 100000), A("M1", 5, "2025-09-30", 130000),
        REM("M1", 5, "2025-10-02", 131000), INS("M2", 5, "2025-10-02", 0) } },

    /* ---- missing readings ---- */
    { "no readings at all", "2025-09", NOREAD, 0, { { NULL, 0, NULL, 0, 0 } } },
    { "no closing: only earlier readings", "2025-09", NOREAD, 0,
      { A("M1", 5, "2025-08-01", 100000), A("M1", 5, "2025-08-31", 110000) } },
    { "no previous: only readings inside", "2025-09", NOREAD, 0,
      { A("M1", 5, "2025-09-01", 100000), A("M1", 5, "2025-09-30", 130000) } },
    { "single reading inside", "2025-09", NOREAD, 0,
      { A("M1", 5, "2025-09-15", 100000) } },
    { "single reading before", "2025-09", NOREAD, 0,
      { A("M1", 5, "2025-08-15", 100000) } },
    { "no previous and an impossible value", "2025-09", NOREAD, 0,
      { A("M1", 5, "2025-09-15", -1) } },

    /* ---- the period's boundaries ---- */
    { "last day of the previous month is before, first day is inside", "2025-09", OK, 5000,
      { A("M1", 5, "2025-08-31", 100000), A("M1", 5, "2025-09-01", 105000) } },
    { "a first-day reading is not the previous one", "2025-09", OK, 40000,
      { A("M1", 5, "2025-08-20", 90000), A("M1", 5, "2025-09-01", 100000),
        A("M1", 5, "2025-09-30", 130000) } },
    { "first day of the next month is after", "2025-09", OK, 30000,
      { A("M1", 5, "2025-08-31", 100000), A("M1", 5, "2025-09-30", 130000),
        A("M1", 5, "2025-10-01", 140000) } },
    { "31-day month: the 31st is inside", "2025-10", OK, 31000,
      { A("M1", 5, "2025-09-30", 100000), A("M1", 5, "2025-10-31", 131000) } },
    { "January: previous in December", "2026-01", OK, 45000,
      { A("M1", 5, "2025-12-31", 100000), A("M1", 5, "2026-01-31", 145000) } },
    { "December: January is after", "2025-12", OK, 45000,
      { A("M1", 5, "2025-11-30", 100000), A("M1", 5, "2025-12-31", 145000),
        A("M1", 5, "2026-01-01", 150000) } },

    /* ---- February and leap years ---- */
    { "February 2024 (leap): the 29th is inside", "2024-02", OK, 30000,
      { A("M1", 5, "2024-01-31", 100000), A("M1", 5, "2024-02-29", 130000),
        A("M1", 5, "2024-03-01", 140000) } },
    { "March 2024: February 29th is before", "2024-03", OK, 10000,
      { A("M1", 5, "2024-02-28", 90000), A("M1", 5, "2024-02-29", 130000),
        A("M1", 5, "2024-03-01", 140000) } },
    { "February 2025: the 28th is the last day", "2025-02", OK, 28000,
      { A("M1", 5, "2025-01-31", 100000), A("M1", 5, "2025-02-28", 128000),
        A("M1", 5, "2025-03-01", 140000) } },
    { "March 2025: February 28th is before", "2025-03", OK, 12000,
      { A("M1", 5, "2025-02-28", 128000), A("M1", 5, "2025-03-01", 140000) } },
    { "February 2025 with only a March 1st reading", "2025-02", NOREAD, 0,
      { A("M1", 5, "2025-01-31", 100000), A("M1", 5, "2025-03-01", 140000) } },
    { "February 2000 (leap, /400)", "2000-02", OK, 29000,
      { A("M1", 5, "2000-01-31", 100000), A("M1", 5, "2000-02-29", 129000) } },
    { "February 2100 (not leap, /100)", "2100-02", OK, 28000,
      { A("M1", 5, "2100-01-31", 100000), A("M1", 5, "2100-02-28", 128000),
        A("M1", 5, "2100-03-01", 200000) } },
    { "February 2028 (leap)", "2028-02", OK, 1000,
      { A("M1", 5, "2028-01-31", 100000), A("M1", 5, "2028-02-01", 100500),
        A("M1", 5, "2028-02-29", 101000) } },

    /* ---- roll-over at 10^digits m3 ---- */
    { "4 digits: 9990.000 -> 0012.500", "2025-09", OK, 22500,
      { A("M1", 4, "2025-08-31", 9990000), A("M1", 4, "2025-09-30", 12500) } },
    { "4 digits: wrap between readings inside", "2025-09", OK, 22500,
      { A("M1", 4, "2025-08-31", 9990000), A("M1", 4, "2025-09-15", 9999999),
        A("M1", 4, "2025-09-20", 500), A("M1", 4, "2025-09-30", 12500) } },
    { "4 digits: wrap to exactly zero", "2025-09", OK, 1000,
      { A("M1", 4, "2025-08-31", 9999000), A("M1", 4, "2025-09-30", 0) } },
    { "4 digits: from 9999.999 to 0.000", "2025-09", OK, 1,
      { A("M1", 4, "2025-08-31", 9999999), A("M1", 4, "2025-09-30", 0) } },
    { "5 digits: 99950.000 -> 00020.000", "2025-09", OK, 70000,
      { A("M1", 5, "2025-08-31", 99950000), A("M1", 5, "2025-09-30", 20000) } },
    { "6 digits: 999999.000 -> 000001.000", "2025-09", OK, 2000,
      { A("M1", 6, "2025-08-31", 999999000), A("M1", 6, "2025-09-30", 1000) } },
    { "8 digits: 99999000.000 -> 00000500.000", "2025-09", OK, 1500000,
      { A("M1", 8, "2025-08-31", 99999000000), A("M1", 8, "2025-09-30", 500000) } },
    { "1 digit", "2025-09", OK, 2000,
      { A("M1", 1, "2025-08-31", 9000), A("M1", 1, "2025-09-30", 1000) } },
    { "12 digits", "2025-09", OK, 2,
      { A("M1", 12, "2025-08-31", 999999999999999), A("M1", 12, "2025-09-30", 1) } },
    { "wrap where the previous reading is", "2025-09", OK, 3000,
      { A("M1", 4, "2025-08-20", 9998000), A("M1", 4, "2025-08-31", 500),
        A("M1", 4, "2025-09-30", 3500) } },
    { "wrap after the period is not counted", "2025-09", OK, 9000,
      { A("M1", 4, "2025-08-31", 9990000), A("M1", 4, "2025-09-30", 9999000),
        A("M1", 4, "2025-10-05", 100) } },
    { "5 digits: a small decrease is a full wrap, over the limit", "2025-09", INVALID, 0,
      { A("M1", 5, "2025-08-31", 100000), A("M1", 5, "2025-09-30", 99999) } },
    { "4 digits: 5000 -> 4999 is 9999 m3, over the limit", "2025-09", INVALID, 0,
      { A("M1", 4, "2025-08-31", 5000000), A("M1", 4, "2025-09-30", 4999000) } },
    { "3 digits: 500 -> 499 is 999 m3, under the limit", "2025-09", OK, 999000,
      { A("M1", 3, "2025-08-31", 500000), A("M1", 3, "2025-09-30", 499000) } },

    /* ---- replacement with INSTALL / REMOVAL (site-b) ---- */
    { "site-b: replacement mid-period", "2025-09", OK, 80000,
      { A("M1", 5, "2025-08-31", 100000), REM("M1", 5, "2025-09-15", 150000),
        INS("M2", 5, "2025-09-15", 0), A("M2", 5, "2025-09-30", 30000) } },
    { "site-b: new meter installed at a non-zero value", "2025-09", OK, 80000,
      { A("M1", 5, "2025-08-31", 100000), REM("M1", 5, "2025-09-15", 150000),
        INS("M2", 5, "2025-09-15", 5000), A("M2", 5, "2025-09-30", 35000) } },
    { "site-b: new serial sorts before the old one", "2025-09", OK, 80000,
      { A("Z-OLD", 5, "2025-08-31", 100000), REM("Z-OLD", 5, "2025-09-15", 150000),
        INS("A-NEW", 5, "2025-09-15", 0), A("A-NEW", 5, "2025-09-30", 30000) } },
    { "site-b: rows listed new meter first", "2025-09", OK, 80000,
      { A("M2", 5, "2025-09-30", 30000), INS("M2", 5, "2025-09-15", 0),
        REM("M1", 5, "2025-09-15", 150000), A("M1", 5, "2025-08-31", 100000) } },
    { "site-b: removal a day before installation", "2025-09", OK, 80000,
      { A("M1", 5, "2025-08-31", 100000), REM("M1", 5, "2025-09-14", 150000),
        INS("M2", 5, "2025-09-15", 0), A("M2", 5, "2025-09-30", 30000) } },
    { "site-b: actual and removal of the old meter on one day", "2025-09", OK, 80000,
      /* REMOVAL listed first: the kind, not the row, puts the actual first */
      { A("M1", 5, "2025-08-31", 100000), REM("M1", 5, "2025-09-15", 150000),
        A("M1", 5, "2025-09-15", 140000), INS("M2", 5, "2025-09-15", 0),
        A("M2", 5, "2025-09-30", 30000) } },
    { "site-b: installation and actual of the new meter on one day", "2025-09", OK, 80000,
      { A("M1", 5, "2025-08-31", 100000), REM("M1", 5, "2025-09-15", 150000),
        A("M2", 5, "2025-09-15", 2000), INS("M2", 5, "2025-09-15", 0),
        A("M2", 5, "2025-09-30", 30000) } },
    { "site-b: replacement on the closing day", "2025-09", OK, 50000,
      { A("M1", 5, "2025-08-31", 100000), REM("M1", 5, "2025-09-30", 150000),
        INS("M2", 5, "2025-09-30", 0) } },
    { "site-b: replacement and a reading on the closing day", "2025-09", OK, 52000,
      { A("M1", 5, "2025-08-31", 100000), REM("M1", 5, "2025-09-30", 150000),
        INS("M2", 5, "2025-09-30", 0), A("M2", 5, "2025-09-30", 2000) } },
    { "site-b: replacement on the first day", "2025-09", OK, 31000,
      { A("M1", 5, "2025-08-31", 100000), REM("M1", 5, "2025-09-01", 101000),
        INS("M2", 5, "2025-09-01", 0), A("M2", 5, "2025-09-30", 30000) } },
    { "site-b: replacement on the previous closing day", "2025-09", OK, 30000,
      { A("M1", 5, "2025-08-20", 90000), REM("M1", 5, "2025-08-31", 100000),
        INS("M2", 5, "2025-08-31", 0), A("M2", 5, "2025-09-30", 30000) } },
    { "site-b: replaced on the previous closing day, only that day's rows, new name first",
      "2025-09", OK, 50000,
      { REM("Z9", 5, "2025-08-31", 100000), INS("A1", 5, "2025-08-31", 0),
        A("A1", 5, "2025-09-30", 50000) } },
    { "site-b: removed before the period, installed inside", "2025-09", OK, 30000,
      { A("M1", 5, "2025-08-20", 90000), REM("M1", 5, "2025-08-31", 100000),
        INS("M2", 5, "2025-09-05", 0), A("M2", 5, "2025-09-30", 30000) } },
    { "site-b: the removal closes the period", "2025-09", OK, 50000,
      { A("M1", 5, "2025-08-31", 100000), REM("M1", 5, "2025-09-20", 150000) } },
    { "site-b: the installation closes the period", "2025-09", OK, 50000,
      { A("M1", 5, "2025-08-31", 100000), REM("M1", 5, "2025-09-20", 150000),
        INS("M2", 5, "2025-09-25", 7000) } },
    { "site-b: two replacements in one period", "2025-09", OK, 60000,
      { A("M1", 5, "2025-08-31", 100000), REM("M1", 5, "2025-09-05", 110000),
        INS("M2", 5, "2025-09-05", 0), A("M2", 5, "2025-09-10", 5000),
        REM("M2", 5, "2025-09-12", 20000), INS("M3", 5, "2025-09-12", 1000),
        A("M3", 5, "2025-09-30", 31000) } },
    { "site-b: different register sizes", "2025-09", OK, 80000,
      { A("M1", 4, "2025-08-31", 100000), REM("M1", 4, "2025-09-15", 150000),
        INS("M2", 6, "2025-09-15", 0), A("M2", 6, "2025-09-30", 30000) } },
    { "site-b: estimated reading of the new meter ignored", "2025-09", OK, 80000,
      { A("M1", 5, "2025-08-31", 100000), REM("M1", 5, "2025-09-15", 150000),
        INS("M2", 5, "2025-09-15", 0), EST("M2", 5, "2025-09-20", 90000000),
        A("M2", 5, "2025-09-30", 30000) } },
    { "site-b: estimated removal does not count", "2025-09", OK, 30000,
      /* without the removal the old meter's gas since 08-31 is lost */
      { A("M1", 5, "2025-08-31", 100000), EST("M1", 5, "2025-09-15", 150000),
        INS("M2", 5, "2025-09-15", 0), A("M2", 5, "2025-09-30", 30000) } },

    /* ---- replacement without kinds (site-a): a new serial ---- */
    { "site-a: new serial mid-period", "2025-09", OK, 80000,
      { A("M1", 5, "2025-08-31", 100000), A("M1", 5, "2025-09-15", 150000),
        A("M2", 5, "2025-09-15", 0), A("M2", 5, "2025-09-30", 30000) } },
    { "site-a: new serial sorts before the old one", "2025-09", OK, 80000,
      { A("Z9", 5, "2025-08-31", 100000), A("Z9", 5, "2025-09-15", 150000),
        A("A1", 5, "2025-09-15", 0), A("A1", 5, "2025-09-30", 30000) } },
    { "site-a: new meter's rows listed first", "2025-09", OK, 80000,
      { A("A1", 5, "2025-09-15", 0), A("A1", 5, "2025-09-30", 30000),
        A("Z9", 5, "2025-08-31", 100000), A("Z9", 5, "2025-09-15", 150000) } },
    { "site-a: replaced on the closing day", "2025-09", OK, 50000,
      { A("M1", 5, "2025-08-31", 100000), A("M1", 5, "2025-09-30", 150000),
        A("M2", 5, "2025-09-30", 0) } },
    { "site-a: replaced on the previous closing day", "2025-09", OK, 30000,
      { A("M1", 5, "2025-08-31", 100000), A("M2", 5, "2025-08-31", 0),
        A("M2", 5, "2025-09-30", 30000) } },
    { "site-a: replaced on the first day", "2025-09", OK, 31000,
      { A("M1", 5, "2025-08-31", 100000), A("M1", 5, "2025-09-01", 101000),
        A("M2", 5, "2025-09-01", 0), A("M2", 5, "2025-09-30", 30000) } },
    { "site-a: both meters first seen on one day: the row order decides", "2025-09", OK,
      30000,
      { A("Z9", 5, "2025-08-31", 100000), A("A1", 5, "2025-08-31", 0),
        A("A1", 5, "2025-09-30", 30000) } },
    { "site-b: both meters first seen on one day", "2025-09", OK, 30000,
      { REM("Z9", 5, "2025-08-31", 100000), INS("A1", 5, "2025-08-31", 0),
        A("A1", 5, "2025-09-30", 30000) } },
    { "site-a: no reading of the old meter at the swap", "2025-09", OK, 30000,
      { A("M1", 5, "2025-08-31", 100000), A("M2", 5, "2025-09-15", 0),
        A("M2", 5, "2025-09-30", 30000) } },
    { "site-a: new meter with a lower reading on the swap day", "2025-09", OK, 80000,
      /* the same rows in the other meter order would be a wrap: INVALID */
      { A("M1", 5, "2025-08-31", 100000), A("M2", 5, "2025-09-15", 0),
        A("M1", 5, "2025-09-15", 150000), A("M2", 5, "2025-09-30", 30000) } },

    /* ---- replacement plus roll-over ---- */
    { "site-b: old meter wraps, then is replaced", "2025-09", OK, 30000,
      { A("M1", 4, "2025-08-31", 9990000), REM("M1", 4, "2025-09-15", 12500),
        INS("M2", 5, "2025-09-15", 0), A("M2", 5, "2025-09-30", 7500) } },
    { "site-b: old meter wraps exactly at removal", "2025-09", OK, 17500,
      { A("M1", 4, "2025-08-31", 9990000), REM("M1", 4, "2025-09-15", 0),
        INS("M2", 5, "2025-09-15", 0), A("M2", 5, "2025-09-30", 7500) } },
    { "site-a: old meter wraps, then is replaced", "2025-09", OK, 30000,
      { A("M1", 4, "2025-08-31", 9990000), A("M1", 4, "2025-09-15", 12500),
        A("M2", 5, "2025-09-15", 0), A("M2", 5, "2025-09-30", 7500) } },
    { "site-b: new meter wraps", "2025-09", OK, 10000,
      { A("M1", 5, "2025-08-31", 100000), REM("M1", 5, "2025-09-15", 105000),
        INS("M2", 4, "2025-09-15", 9999000), A("M2", 4, "2025-09-30", 4000) } },

    /* ---- zero consumption is a volume ---- */
    { "zero: same value", "2025-09", OK, 0,
      { A("M1", 5, "2025-08-31", 100000), A("M1", 5, "2025-09-30", 100000) } },
    { "zero: several equal readings", "2025-09", OK, 0,
      { A("M1", 5, "2025-08-31", 0), A("M1", 5, "2025-09-10", 0),
        A("M1", 5, "2025-09-30", 0) } },
    { "zero: replacement without gas", "2025-09", OK, 0,
      { A("M1", 5, "2025-08-31", 100000), REM("M1", 5, "2025-09-15", 100000),
        INS("M2", 5, "2025-09-15", 0), A("M2", 5, "2025-09-30", 0) } },

    /* ---- the plausibility limit ---- */
    { "exactly at the limit", "2025-09", OK, 5000000,
      { A("M1", 5, "2025-08-31", 0), A("M1", 5, "2025-09-30", 5000000) } },
    { "one thousandth over the limit", "2025-09", INVALID, 0,
      { A("M1", 5, "2025-08-31", 0), A("M1", 5, "2025-09-30", 5000001) } },
    { "at the limit through a wrap", "2025-09", OK, 5000000,
      { A("M1", 4, "2025-08-31", 9000000), A("M1", 4, "2025-09-30", 4000000) } },
    { "over the limit through a wrap", "2025-09", INVALID, 0,
      { A("M1", 4, "2025-08-31", 9000000), A("M1", 4, "2025-09-30", 4000001) } },
    { "at the limit across a replacement", "2025-09", OK, 5000000,
      { A("M1", 5, "2025-08-31", 0), REM("M1", 5, "2025-09-15", 2500000),
        INS("M2", 5, "2025-09-15", 0), A("M2", 5, "2025-09-30", 2500000) } },
    { "over the limit across a replacement", "2025-09", INVALID, 0,
      { A("M1", 5, "2025-08-31", 0), REM("M1", 5, "2025-09-15", 2500000),
        INS("M2", 5, "2025-09-15", 0), A("M2", 5, "2025-09-30", 2500001) } },
    { "over the limit in steps", "2025-09", INVALID, 0,
      { A("M1", 5, "2025-08-31", 0), A("M1", 5, "2025-09-10", 2000000),
        A("M1", 5, "2025-09-20", 4000000), A("M1", 5, "2025-09-30", 6000000) } },
    /* ---- impossible register values ---- */
    { "closing value = 10^4 m3 on 4 digits", "2025-09", INVALID, 0,
      { A("M1", 4, "2025-08-31", 9990000), A("M1", 4, "2025-09-30", 10000000) } },
    { "closing value 9999.999 on 4 digits is fine", "2025-09", OK, 9999,
      { A("M1", 4, "2025-08-31", 9990000), A("M1", 4, "2025-09-30", 9999999) } },
    { "previous value = 10^5 m3 on 5 digits", "2025-09", INVALID, 0,
      { A("M1", 5, "2025-08-31", 100000000), A("M1", 5, "2025-09-30", 1000) } },
    { "value in between too large", "2025-09", INVALID, 0,
      { A("M1", 5, "2025-08-31", 1000), A("M1", 5, "2025-09-15", 200000000),
        A("M1", 5, "2025-09-30", 2000) } },
    { "negative closing value", "2025-09", INVALID, 0,
      { A("M1", 5, "2025-08-31", 1000), A("M1", 5, "2025-09-30", -1) } },
    { "negative previous value", "2025-09", INVALID, 0,
      { A("M1", 5, "2025-08-31", -1000), A("M1", 5, "2025-09-30", 1000) } },
    { "0 digits", "2025-09", INVALID, 0,
      { A("M1", 0, "2025-08-31", 0), A("M1", 0, "2025-09-30", 0) } },
    { "13 digits", "2025-09", INVALID, 0,
      { A("M1", 13, "2025-08-31", 0), A("M1", 13, "2025-09-30", 1000) } },
    { "negative digits", "2025-09", INVALID, 0,
      { A("M1", -4, "2025-08-31", 0), A("M1", -4, "2025-09-30", 1000) } },
    { "impossible removal value", "2025-09", INVALID, 0,
      { A("M1", 4, "2025-08-31", 1000), REM("M1", 4, "2025-09-15", 10000000),
        INS("M2", 5, "2025-09-15", 0), A("M2", 5, "2025-09-30", 1000) } },
    { "impossible installation value", "2025-09", INVALID, 0,
      { A("M1", 5, "2025-08-31", 1000), REM("M1", 5, "2025-09-15", 2000),
        INS("M2", 4, "2025-09-15", 10000000), A("M2", 4, "2025-09-30", 1000) } },
    { "one meter, two register sizes", "2025-09", INVALID, 0,
      { A("M1", 5, "2025-08-31", 1000), A("M1", 6, "2025-09-30", 2000) } },
    { "an impossible value older than the previous one is ignored", "2025-09", OK, 1000,
      { A("M1", 5, "2025-07-31", -1), A("M1", 0, "2025-08-15", 5),
        A("M1", 5, "2025-08-31", 1000), A("M1", 5, "2025-09-30", 2000) } },
    { "an impossible value before P on P's day is ignored", "2025-09", OK, 1000,
      { A("M1", 5, "2025-08-31", -1), A("M1", 5, "2025-08-31", 1000),
        A("M1", 5, "2025-09-30", 2000) } },
};

/* Cases run with another plausibility limit than LIMIT. */
typedef struct {
    int64_t limit;
    cons_case_t c;
} limit_case_t;

static const limit_case_t limit_cases[] = {
    { 0,
      { "limit 0: zero is fine", "2025-09", OK, 0,
        { A("M1", 5, "2025-08-31", 7000), A("M1", 5, "2025-09-30", 7000) } } },
    { 0,
      { "limit 0: a thousandth is not", "2025-09", INVALID, 0,
        { A("M1", 5, "2025-08-31", 7000), A("M1", 5, "2025-09-30", 7001) } } },
    { 1000,
      { "limit 1 m3", "2025-09", OK, 1000,
        { A("M1", 5, "2025-08-31", 7000), A("M1", 5, "2025-09-30", 8000) } } },
    { -1,
      { "a negative limit admits nothing", "2025-09", INVALID, 0,
        { A("M1", 5, "2025-08-31", 7000), A("M1", 5, "2025-09-30", 7000) } } },
    { INT64_MAX,
      { "no limit to speak of: a 12-digit wrap", "2025-09", OK, 999999999999999,
        { A("M1", 12, "2025-08-31", 1), A("M1", 12, "2025-09-30", 0) } } },
};

/* ---- running a case in many orders ---------------------------------------- */

static size_t case_len(const cons_case_t *c)
{
    size_t n = 0;
    while (n < MAXR && c->r[n].meter)
        n++;
    return n;
}

static void build(const cons_case_t *c, gv_reading_t *out, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        memset(&out[i], 0, sizeof out[i]);
        snprintf(out[i].meter, sizeof out[i].meter, "%s", c->r[i].meter);
        out[i].digits = c->r[i].digits;
        assert_int_equal(gv_date_parse(c->r[i].date, &out[i].day), 0);
        out[i].value_milli = c->r[i].value_milli;
        out[i].kind = c->r[i].kind;
        out[i].seq = (int64_t)i + 1; /* the row order as listed */
    }
}

/* xorshift64: the same shuffles on every machine. */
static uint64_t rng_next(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *s = x;
}

static void shuffle(gv_reading_t *r, size_t n, uint64_t *seed)
{
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)(rng_next(seed) % i);
        gv_reading_t t = r[i - 1];
        r[i - 1] = r[j];
        r[j] = t;
    }
}

/* The function may reorder the array but must keep every reading. */
static void assert_same_set(const gv_reading_t *before, const gv_reading_t *after, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        size_t found = 0;
        for (size_t j = 0; j < n; j++)
            if (memcmp(&before[i], &after[j], sizeof before[i]) == 0)
                found++;
        assert_int_equal(found, 1);
    }
}

#define ORDERS 10 /* as listed, reversed, and 8 shuffles */

static void run_case(const cons_case_t *c, int64_t limit, uint64_t *seed)
{
    size_t n = case_len(c);
    gv_reading_t base[MAXR], r[MAXR], kept[MAXR];
    gv_period_t period;

    assert_int_equal(gv_period_parse(c->period, &period), 0);
    build(c, base, n);
    for (int order = 0; order < ORDERS; order++) {
        memcpy(r, base, n * sizeof r[0]);
        if (order == 1)
            for (size_t i = 0; i < n / 2; i++) {
                gv_reading_t t = r[i];
                r[i] = r[n - 1 - i];
                r[n - 1 - i] = t;
            }
        else if (order > 1)
            shuffle(r, n, seed);
        memcpy(kept, r, n * sizeof r[0]);

        int64_t vol = -777;
        gv_cons_status_t st = gv_consumption_metered(n ? r : NULL, n, period, limit, &vol);
        if (st != c->status || (st == OK && vol != c->volume))
            print_message("FAIL %s (order %d): status %d volume %" PRId64
                          ", expected %d %" PRId64 "\n",
                          c->name, order, (int)st, vol, (int)c->status, c->volume);
        assert_int_equal(st, c->status);
        if (st == OK)
            assert_int_equal(vol, c->volume);
        assert_same_set(kept, r, n);
    }
}

static void test_metered_table(void **state)
{
    (void)state;
    uint64_t seed = 0x9E3779B97F4A7C15u;

    for (size_t i = 0; i < TU_COUNT(cons_cases); i++)
        run_case(&cons_cases[i], LIMIT, &seed);
    for (size_t i = 0; i < TU_COUNT(limit_cases); i++)
        run_case(&limit_cases[i].c, limit_cases[i].limit, &seed);
}

/* ---- generated histories --------------------------------------------------- */

/* Random histories whose true volume is known by construction: one or two
 * meters (the second replacing the first inside the period), registers of
 * 4 to 8 digits that may wrap, readings on random days around the period
 * (several per day), estimated readings with arbitrary values and readings
 * after the period.  The generator keeps the gas that went through each
 * reading, so the expected volume is a difference of running totals. */
typedef struct {
    gv_reading_t r[64];
    int64_t gas[64];   /* total gas through all meters when read; -1: does not count */
    size_t n;
} history_t;

static int64_t span_of(int digits)
{
    int64_t s = 1000;
    for (int i = 0; i < digits; i++)
        s *= 10;
    return s;
}

static void add(history_t *h, const char *meter, int digits, int32_t day, int64_t value,
                gv_read_kind_t kind, int64_t gas)
{
    gv_reading_t *x = &h->r[h->n];
    memset(x, 0, sizeof *x);
    snprintf(x->meter, sizeof x->meter, "%s", meter);
    x->digits = digits;
    x->day = day;
    x->value_milli = value;
    x->kind = kind;
    x->seq = (int64_t)h->n + 1;
    h->gas[h->n] = gas;
    h->n++;
}

static void test_metered_generated(void **state)
{
    (void)state;
    uint64_t seed = 0xC0FFEE1234567ULL;
    gv_period_t period = { 2025, 9 };
    int32_t first = gv_period_first_day(period), last = gv_period_last_day(period);
    int ok = 0, noread = 0, replaced = 0;

    for (int iter = 0; iter < 3000; iter++) {
        history_t h;
        h.n = 0;
        int replace = rng_next(&seed) % 3 == 0;
        int site_b = rng_next(&seed) % 2;
        int d1 = 4 + (int)(rng_next(&seed) % 5), d2 = 4 + (int)(rng_next(&seed) % 5);
        int32_t swap = first + (int32_t)(rng_next(&seed) % 30);
        int64_t v = (int64_t)(rng_next(&seed) % (uint64_t)span_of(d1));
        int64_t gas = 0;
        const char *m1 = rng_next(&seed) % 2 ? "OLD" : "ZZ-OLD";
        const char *m2 = rng_next(&seed) % 2 ? "NEW" : "AA-NEW";
        int on_new = 0;

        /* walk day by day from 40 days before the period to 20 after */
        for (int32_t day = first - 40; day <= last + 20 && h.n < 56; day++) {
            if (replace && !on_new && day == swap) {
                add(&h, m1, d1, day, v, site_b ? GV_READ_REMOVAL : GV_READ_ACTUAL, gas);
                v = (int64_t)(rng_next(&seed) % (uint64_t)span_of(d2));
                add(&h, m2, d2, day, v, site_b ? GV_READ_INSTALL : GV_READ_ACTUAL, gas);
                on_new = 1;
                replaced++;
            }
            uint64_t roll = rng_next(&seed) % 20; /* 0 to 3 readings a day */
            for (uint64_t k = 0; k < (roll < 17 ? 0 : roll - 16); k++) {
                /* gas flows, then someone reads (or estimates) */
                int64_t flow = (int64_t)(rng_next(&seed) % 400000);
                int digits = on_new ? d2 : d1;
                gas += flow;
                v = (v + flow) % span_of(digits);
                if (rng_next(&seed) % 5 == 0)
                    add(&h, on_new ? m2 : m1, digits, day,
                        (int64_t)(rng_next(&seed) % 100000000), GV_READ_ESTIMATED, -1);
                else
                    add(&h, on_new ? m2 : m1, digits, day, v, GV_READ_ACTUAL, gas);
            }
        }

        /* the expectation: the last counting row before the period and
         * inside it, in row order (rows were generated in time order) */
        int64_t prev = -1, close = -1;
        for (size_t i = 0; i < h.n; i++) {
            if (h.gas[i] < 0)
                continue;
            if (h.r[i].day < first)
                prev = h.gas[i];
            else if (h.r[i].day <= last)
                close = h.gas[i];
        }
        gv_cons_status_t want = prev < 0 || close < 0 ? NOREAD : OK;
        int64_t want_vol = want == OK ? close - prev : 0;
        if (want == OK && want_vol > LIMIT)
            want = INVALID;

        for (int order = 0; order < 3; order++) {
            gv_reading_t r[64];
            memcpy(r, h.r, h.n * sizeof r[0]);
            if (order)
                shuffle(r, h.n, &seed);
            int64_t vol = -777;
            gv_cons_status_t st = gv_consumption_metered(r, h.n, period, LIMIT, &vol);
            if (st != want || (st == OK && vol != want_vol))
                print_message("FAIL generated %d order %d: status %d volume %" PRId64
                              ", expected %d %" PRId64 "\n",
                              iter, order, (int)st, vol, (int)want, want_vol);
            assert_int_equal(st, want);
            if (st == OK)
                assert_int_equal(vol, want_vol);
        }
        ok += want == OK;
        noread += want == NOREAD;
    }
    /* the generator reaches every interesting branch */
    assert_true(ok > 1000);
    assert_true(noread > 10);
    assert_true(replaced > 500);
}

/* ---- gv_read_kind_parse ----------------------------------------------------- */

static void test_read_kind_parse(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        int rc;
        gv_read_kind_t kind;
    } t[] = {
        { "ACTUAL", 0, GV_READ_ACTUAL },
        { "INSTALL", 0, GV_READ_INSTALL },
        { "REMOVAL", 0, GV_READ_REMOVAL },
        { "ESTIMATED", 0, GV_READ_ESTIMATED },
        { "actual", -1, 0 },
        { "Actual", -1, 0 },
        { "installed", -1, 0 },
        { "ACTUAL ", -1, 0 },
        { " ACTUAL", -1, 0 },
        { "ACTUALS", -1, 0 },
        { "ACT", -1, 0 },
        { "INSTALLATION", -1, 0 },
        { "REMOVED", -1, 0 },
        { "ESTIMATE", -1, 0 },
        { "ESTIMATED\n", -1, 0 },
        { "", -1, 0 },
        { "0", -1, 0 },
    };

    for (size_t i = 0; i < TU_COUNT(t); i++) {
        gv_read_kind_t k = (gv_read_kind_t)99;
        int rc = gv_read_kind_parse(t[i].s, &k);
        if (rc != t[i].rc)
            print_message("FAIL kind '%s': rc %d\n", t[i].s, rc);
        assert_int_equal(rc, t[i].rc);
        assert_int_equal(k, rc == 0 ? t[i].kind : (gv_read_kind_t)99);
    }
    gv_read_kind_t k;
    assert_int_equal(gv_read_kind_parse(NULL, &k), -1);
}

/* ---- R15 --------------------------------------------------------------------- */

static void test_unmetered(void **state)
{
    (void)state;
    static const struct {
        int64_t norm;
        int residents;
        int64_t expected;
    } t[] = {
        { 1500, 3, 4500 },
        { 7250, 1, 7250 },
        { 7250, 4, 29000 },
        { 0, 5, 0 },
        { 1500, 0, 0 },
        { 0, 0, 0 },
        { 1, 1000, 1000 },
        { -1, 3, -1 },
        { 1500, -1, -1 },
        { -1, -1, -1 },
        { INT64_MIN, 1, -1 },
        { 1500, INT32_MIN, -1 },
        { INT64_MAX, 1, INT64_MAX },
        { INT64_MAX / 2, 2, INT64_MAX - 1 },
        { INT64_MAX, 2, -1 },          /* does not fit: as meaningless as negative */
        { INT64_MAX / 2 + 1, 2, -1 },
        { 1000000000000, 1000000, 1000000000000000000 },
    };

    for (size_t i = 0; i < TU_COUNT(t); i++) {
        int64_t got = gv_consumption_unmetered(t[i].norm, t[i].residents);
        if (got != t[i].expected)
            print_message("FAIL unmetered(%" PRId64 ", %d) = %" PRId64 "\n", t[i].norm,
                          t[i].residents, got);
        assert_int_equal(got, t[i].expected);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_metered_table),
        cmocka_unit_test(test_metered_generated),
        cmocka_unit_test(test_read_kind_parse),
        cmocka_unit_test(test_unmetered),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
