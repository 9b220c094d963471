/* fuzz_datetime.c - the date, period and xs:dateTime parsers (calendar.h).
 *
 * What they accept they must read right: a date or period formats back to
 * the very text; an instant, moved by the offset it was written with,
 * falls on the written wall-clock time (checked against gmtime_r); and an
 * instant without an offset is -2, never a guess. */
#include "config.h"
#include "fuzz.h"

#include "calendar.h"

#include <string.h>
#include <time.h>

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    gv_fuzz_setup();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = gv_fuzz_cstr(data, size);
    size_t n = strlen(s);
    int32_t days;
    gv_period_t p;
    time_t t;
    int rc;

    if (gv_date_parse(s, &days) == 0) {
        char back[11];
        gv_date_format(days, back);
        GV_FUZZ_CHECK(strcmp(back, s) == 0, "date '%s' reads as %d, which is %s", s, days,
                      back);
    }
    if (gv_period_parse(s, &p) == 0) {
        char back[16];
        snprintf(back, sizeof back, "%04d-%02d", p.year, p.month);
        GV_FUZZ_CHECK(strcmp(back, s) == 0 && gv_period_first_day(p) <= gv_period_last_day(p),
                      "period '%s' reads as %s", s, back);
    }
    rc = gv_datetime_parse(s, &t);
    GV_FUZZ_CHECK(rc == 0 || rc == -1 || rc == -2, "returned %d", rc);
    if (rc == 0) {
        long off = 0;
        const char *z = s + n - 1;
        struct tm tm;
        char wall[32];
        time_t local;
        if (*z != 'Z') {
            z = s + n - 6;
            GV_FUZZ_CHECK(*z == '+' || *z == '-', "'%s' accepted without an offset", s);
            off = ((z[1] - '0') * 10 + (z[2] - '0')) * 3600L + ((z[4] - '0') * 10 + (z[5] - '0')) * 60L;
            if (*z == '-')
                off = -off;
        }
        local = t + off;
        GV_FUZZ_CHECK(gmtime_r(&local, &tm), "gmtime");
        snprintf(wall, sizeof wall, "%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900,
                 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
        GV_FUZZ_CHECK(strncmp(wall, s, 19) == 0, "'%s' read as %lld, which is %s at that offset",
                      s, (long long)t, wall);
    }
    if (rc == -2)
        GV_FUZZ_CHECK(!strchr(s + (n > 19 ? 19 : n), 'Z') && !strchr(s + (n > 19 ? 19 : n), '+'),
                      "'%s' has an offset yet was called offset-less", s);
    free(s);
    return 0;
}
