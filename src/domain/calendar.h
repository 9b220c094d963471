/* calendar.h - dates, periods and instants in Kazakhstan time (pure logic).
 *
 * Dates are counted as days since 1970-01-01 (proleptic Gregorian), so
 * comparisons are integer comparisons.  Instants are seconds since the epoch
 * (UTC).  Nothing here reads the clock: "now" is always an argument (R1a).
 * Local time is the tz database zone Asia/Almaty, whatever TZ the machine
 * has (R1): gv_time_init() pins the process to it.
 */
#ifndef GV_CALENDAR_H
#define GV_CALENDAR_H

#include <stdint.h>
#include <time.h>

#define GV_TIMEZONE "Asia/Almaty"

typedef struct gv_period {
    int year;
    int month;   /* 1..12 */
} gv_period_t;

/* Days since 1970-01-01 of a civil date, and back. */
int32_t gv_days_from_civil(int y, int m, int d);
void gv_civil_from_days(int32_t days, int *y, int *m, int *d);
int gv_days_in_month(int y, int m);

/* "YYYY-MM-DD" -> days.  Returns 0 or -1. */
int gv_date_parse(const char *s, int32_t *days);
/* days -> "YYYY-MM-DD" (11 bytes). */
void gv_date_format(int32_t days, char out[11]);

/* "YYYY-MM" -> period.  Returns 0 or -1. */
int gv_period_parse(const char *s, gv_period_t *p);
int32_t gv_period_first_day(gv_period_t p);
int32_t gv_period_last_day(gv_period_t p);

/* xs:dateTime with a mandatory UTC offset ("Z" or "+05:00") -> instant.
 * Returns 0, -1 when malformed, -2 when the offset is missing. */
int gv_datetime_parse(const char *s, time_t *instant);

/* 1 when zone names a zone file of the tz database. */
int gv_time_zone_exists(const char *zone);
/* Pins the process to the local zone (setenv TZ + tzset).  0 or -1 when
 * the zone is not in the tz database. */
int gv_time_init(const char *zone);
/* instant -> "2025-09-07T09:15:02+05:00" in the pinned zone (26 bytes). */
void gv_time_format_local(time_t instant, char out[32]);
/* instant -> local calendar day (days since epoch) in the pinned zone. */
int32_t gv_time_local_day(time_t instant);

#endif
