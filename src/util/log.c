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

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static atomic_int min_level = GV_LOG_INFO;
static pthread_once_t journal_once = PTHREAD_ONCE_INIT;
static int to_journal;

/* Buffered lines (gv_log_buffer): a daemon writes one info line per
 * request, and one write(2) each cost as much as the lookup. */
static atomic_int buffered;
static pthread_mutex_t buf_lock = PTHREAD_MUTEX_INITIALIZER;
static char buf[64 * 1024];
static size_t buf_used;

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

/* Writes the buffer out; called with buf_lock held. */
static void write_out(void)
{
    size_t off = 0;

    while (off < buf_used) {
        ssize_t n = write(STDERR_FILENO, buf + off, buf_used - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;      /* nowhere to log to: the lines are dropped */
        off += (size_t)n;
    }
    buf_used = 0;
}

void gv_log_buffer(int on)
{
    if (!on)
        gv_log_flush();
    atomic_store(&buffered, on);
}

void gv_log_flush(void)
{
    pthread_mutex_lock(&buf_lock);
    write_out();
    pthread_mutex_unlock(&buf_lock);
}

/* The local time of a line, formatted once a second per thread. */
static const char *line_time(void)
{
    static _Thread_local time_t last = -1;
    static _Thread_local char when[32];
    time_t now = time(NULL);

    if (now != last) {
        gv_time_format_local(now, when);
        last = now;
    }
    return when;
}

void gv_log(gv_log_level_t level, const char *fmt, ...)
{
    static const char *const names[] = { "debug", "info", "warning", "error" };
    /* syslog(3) priorities: LOG_DEBUG, LOG_INFO, LOG_WARNING, LOG_ERR. */
    static const int priorities[] = { 7, 6, 4, 3 };
    char line[2048];
    va_list ap;
    int n, m;

    if ((int)level < atomic_load(&min_level))
        return;
    if (gv_log_to_journal())
        n = snprintf(line, sizeof line, "<%d>%s: ", priorities[level], names[level]);
    else
        n = snprintf(line, sizeof line, "%s %s: ", line_time(), names[level]);
    va_start(ap, fmt);
    m = vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
    va_end(ap);
    n = m < 0 ? n : n + m >= (int)sizeof line - 1 ? (int)sizeof line - 2 : n + m;
    /* The journal reads a line at a time: a message's own line breaks would
     * start lines without a priority. */
    for (char *p = line; p < line + n; p++)
        if (*p == '\n')
            *p = ' ';
    line[n++] = '\n';
    line[n] = '\0';
    if (!atomic_load(&buffered)) {
        /* One write per line: lines from different threads never interleave. */
        fputs(line, stderr);
        return;
    }
    pthread_mutex_lock(&buf_lock);
    if (buf_used + (size_t)n > sizeof buf)
        write_out();
    memcpy(buf + buf_used, line, (size_t)n);
    buf_used += (size_t)n;
    /* What needs a person is written at once, with what came before it. */
    if (level >= GV_LOG_WARNING)
        write_out();
    pthread_mutex_unlock(&buf_lock);
}
