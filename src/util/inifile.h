/* inifile.h - INI files through libinih, with line numbers for errors.
 *
 * libinih does not tell a handler which line it is on; this wrapper feeds
 * it line by line and keeps count, so every error can name file and line.
 * Lines longer than GV_INI_MAX_LINE are reported, never silently cut.
 */
#ifndef GV_INIFILE_H
#define GV_INIFILE_H

#include "err.h"

#define GV_INI_MAX_LINE 1024

/* Called once per name=value pair (and once per continuation line of a
 * multi-line value, with cont = 1).  Report problems with gv_errlist_add;
 * the return value is ignored. */
typedef void (*gv_ini_handler)(void *user, const char *file, int line,
                               const char *section, const char *name,
                               const char *value, int cont);

/* Parses path; every problem (unreadable file, syntax, over-long line, and
 * whatever the handler adds) goes to errs.  Returns 0 when errs gained
 * nothing, else -1. */
int gv_ini_parse(const char *path, gv_ini_handler handler, void *user, gv_errlist_t *errs);

#endif
