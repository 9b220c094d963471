/* calendar.c - civil dates (H. Hinnant's days_from_civil), periods,
 * xs:dateTime parsing, and local time in the pinned zone. */
#include "config.h"
#include "calendar.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int32_t gv_days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    int era = (y >= 0 ? y : y - 399) / 400;
    int yoe = y - era * 400;
    int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void gv_civil_from_days(int32_t z, int *y, int *m, int *d)
{
    z += 719468;
    int era = (z >= 0 ? z : z - 146096) / 146097;
    int doe = z - era * 146097;
    int yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = yoe + era * 400 + (*m <= 2);
}

int gv_days_in_month(int y, int m)
{
    static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 ? 28 + leap : days[m - 1];
}

/* Reads exactly n digits. */
static int digits(const char *s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

int gv_date_parse(const char *s, int32_t *days)
{
    int y, m, d;

    if (strlen(s) != 10 || s[4] != '-' || s[7] != '-' || digits(s, 4, &y) ||
        digits(s + 5, 2, &m) || digits(s + 8, 2, &d))
        return -1;
    if (m < 1 || m > 12 || d < 1 || d > gv_days_in_month(y, m))
        return -1;
    *days = gv_days_from_civil(y, m, d);
    return 0;
}

void gv_date_format(int32_t days, char out[11])
{
    int y, m, d;
    char tmp[48];
    gv_civil_from_days(days, &y, &m, &d);
    snprintf(tmp, sizeof tmp, "%04d-%02d-%02d", y % 10000, m, d);
    memcpy(out, tmp, 10);
    out[10] = '\0';
}

int gv_period_parse(const char *s, gv_period_t *p)
{
    int y, m;

    if (strlen(s) != 7 || s[4] != '-' || digits(s, 4, &y) || digits(s + 5, 2, &m) ||
        m < 1 || m > 12)
        return -1;
    p->year = y;
    p->month = m;
    return 0;
}

int32_t gv_period_first_day(gv_period_t p)
{
    return gv_days_from_civil(p.year, p.month, 1);
}

int32_t gv_period_last_day(gv_period_t p)
{
    return gv_days_from_civil(p.year, p.month, gv_days_in_month(p.year, p.month));
}

int gv_datetime_parse(const char *s, time_t *instant)
{
    int y, mo, d, h, mi, sec, oh = 0, om = 0, sign = 0;
    const char *p;

    if (strlen(s) < 19 || s[4] != '-' || s[7] != '-' || s[10] != 'T' ||
        s[13] != ':' || s[16] != ':' || digits(s, 4, &y) || digits(s + 5, 2, &mo) ||
        digits(s + 8, 2, &d) || digits(s + 11, 2, &h) || digits(s + 14, 2, &mi) ||
        digits(s + 17, 2, &sec))
        return -1;
    if (mo < 1 || mo > 12 || d < 1 || d > gv_days_in_month(y, mo) || h > 23 ||
        mi > 59 || sec > 59)
        return -1;
    p = s + 19;
    if (*p == '.') {               /* fractional seconds: truncated */
        p++;
        if (*p < '0' || *p > '9')
            return -1;
        while (*p >= '0' && *p <= '9')
            p++;
    }
    if (*p == '\0')
        return -2;
    if (*p == 'Z') {
        if (p[1])
            return -1;
    } else if (*p == '+' || *p == '-') {
        sign = *p == '-' ? -1 : 1;
        if (strlen(p) != 6 || p[3] != ':' || digits(p + 1, 2, &oh) || digits(p + 4, 2, &om) ||
            oh > 14 || om > 59)
            return -1;
    } else {
        return -1;
    }
    *instant = (time_t)gv_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec -
               sign * (oh * 3600 + om * 60);
    return 0;
}

int gv_time_zone_exists(const char *zone)
{
    char path[512];
    struct stat sb;

    if (!zone || !*zone || zone[0] == '/' || strstr(zone, ".."))
        return 0;
    snprintf(path, sizeof path, "/usr/share/zoneinfo/%s", zone);
    return stat(path, &sb) == 0 && S_ISREG(sb.st_mode);
}

int gv_time_init(const char *zone)
{
    /* tzset() silently falls back to UTC for an unknown zone: refuse. */
    if (!gv_time_zone_exists(zone))
        return -1;
    if (setenv("TZ", zone, 1) != 0)
        return -1;
    tzset();
    return 0;
}

void gv_time_format_local(time_t t, char out[32])
{
    struct tm tm;
    long off;

    char tmp[96];

    localtime_r(&t, &tm);
    off = tm.tm_gmtoff;
    snprintf(tmp, sizeof tmp, "%04d-%02d-%02dT%02d:%02d:%02d%c%02ld:%02ld", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, off < 0 ? '-' : '+',
             labs(off) / 3600, (labs(off) % 3600) / 60);
    snprintf(out, 32, "%.31s", tmp);
}

int32_t gv_time_local_day(time_t t)
{
    struct tm tm;
    localtime_r(&t, &tm);
    return gv_days_from_civil(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}
