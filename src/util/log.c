/* log.c - timestamped log lines on standard error. */
#include "config.h"
#include "log.h"
#include "calendar.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <time.h>

static atomic_int min_level = GV_LOG_INFO;

void gv_log_set_level(gv_log_level_t level)
{
    atomic_store(&min_level, (int)level);
}

void gv_log(gv_log_level_t level, const char *fmt, ...)
{
    static const char *const names[] = { "debug", "info", "warning", "error" };
    char line[2048], when[32];
    va_list ap;
    int n;

    if ((int)level < atomic_load(&min_level))
        return;
    gv_time_format_local(time(NULL), when);
    n = snprintf(line, sizeof line, "%s %s: ", when, names[level]);
    va_start(ap, fmt);
    vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
    va_end(ap);
    /* One fputs per line: lines from different threads never interleave. */
    fprintf(stderr, "%s\n", line);
}
