/* log.h - the programs' log: one line per event on standard error (the
 * journal under systemd, with each line's priority: see log.c).  Libraries
 * do not log; the programs do. */
#ifndef GV_LOG_H
#define GV_LOG_H

#include "conf.h"

void gv_log_set_level(gv_log_level_t level);
/* Whether standard error is systemd's journal stream (JOURNAL_STREAM). */
int gv_log_to_journal(void);
void gv_log(gv_log_level_t level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* on: debug and info lines wait in a buffer of 64 KB, written when it
 * fills, with the next warning or error, and by gv_log_flush (the daemon
 * calls it five times a second and when it stops), so a crash loses at
 * most the last 0.2 s of them; off (the default): each line at once. */
void gv_log_buffer(int on);
void gv_log_flush(void);

#endif
