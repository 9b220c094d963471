/* clock.c - the programs' one source of "now" (see clock.h). */
#include "config.h"
#include "clock.h"
#include "calendar.h"

/* Written once before threads start (gv_clock_pin), read after. */
static time_t offset;
static int pinned;

int gv_clock_pin(const char *datetime, gv_err_t *err)
{
    time_t at;

    if (!datetime || gv_datetime_parse(datetime, &at) != 0) {
        gv_err_set(err, "'%s' is not a date and time with its offset, e.g. "
                        "2025-09-30T10:00:00+05:00", datetime ? datetime : "");
        return -1;
    }
    offset = at - time(NULL);
    pinned = 1;
    return 0;
}

int gv_clock_pinned(void)
{
    return pinned;
}

time_t gv_clock_now(void)
{
    return time(NULL) + offset;
}
