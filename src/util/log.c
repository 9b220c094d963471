/* log.c - log lines on standard error.
 *
 * Under systemd, standard error is a stream to the journal, which adds its
 * own time stamp and takes a line's priority from a "<N>" prefix
 * (sd-daemon(3)).  systemd names that stream in JOURNAL_STREAM
 * ("device:inode"); when standard error is that very stream, every line
 * carries its priority and no time stamp, so `journalctl -p err` finds the
 * errors.  Anywhere else (a terminal, a file, a pipe that merely inherited
 * the variable) a line starts with the local time. */
#include "config.h"
#include "log.h"
#include "calendar.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static atomic_int min_level = GV_LOG_INFO;
static pthread_once_t journal_once = PTHREAD_ONCE_INIT;
static int to_journal;

void gv_log_set_level(gv_log_level_t level)
{
    atomic_store(&min_level, (int)level);
}

static void detect_journal(void)
{
    const char *js = getenv("JOURNAL_STREAM");
    unsigned long long dev, ino;
    struct stat st;
    char end;

    to_journal = js && sscanf(js, "%llu:%llu%c", &dev, &ino, &end) == 2 &&
                 fstat(STDERR_FILENO, &st) == 0 && (unsigned long long)st.st_dev == dev &&
                 (unsigned long long)st.st_ino == ino;
}

int gv_log_to_journal(void)
{
    pthread_once(&journal_once, detect_journal);
    return to_journal;
}

void gv_log(gv_log_level_t level, const char *fmt, ...)
{
    static const char *const names[] = { "debug", "info", "warning", "error" };
    /* syslog(3) priorities: LOG_DEBUG, LOG_INFO, LOG_WARNING, LOG_ERR. */
    static const int priorities[] = { 7, 6, 4, 3 };
    char line[2048], when[32];
    va_list ap;
    int n;

    if ((int)level < atomic_load(&min_level))
        return;
    if (gv_log_to_journal()) {
        n = snprintf(line, sizeof line, "<%d>%s: ", priorities[level], names[level]);
    } else {
        gv_time_format_local(time(NULL), when);
        n = snprintf(line, sizeof line, "%s %s: ", when, names[level]);
    }
    va_start(ap, fmt);
    vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
    va_end(ap);
    /* The journal reads a line at a time: a message's own line breaks would
     * start lines without a priority. */
    for (char *p = line + n; *p; p++)
        if (*p == '\n')
            *p = ' ';
    /* One fprintf per line: lines from different threads never interleave. */
    fprintf(stderr, "%s\n", line);
}
