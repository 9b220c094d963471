/* reportcmd.h - `gasvoucher report`: what the command line asked for, and
 * the run from language to exit status.  src/cmd/gasvoucher.c parses the
 * options and opens the database; everything after is here.
 */
#ifndef GV_REPORT_COMMAND_H
#define GV_REPORT_COMMAND_H

#include <time.h>

#include "db.h"
#include "runtime.h"

typedef struct gv_report_request {
    const char *period;         /* YYYY-MM (required) */
    const char *format;         /* text | csv | xlsx | html; NULL = text */
    const char *lang;           /* ru | kk | en; NULL = [report] lang, then the locale */
    const char *output;         /* file (folder for csv); NULL = standard output */
    const char *only_table;     /* csv: one register ("vouchers") */
    int bom;                    /* csv: UTF-8 byte order mark */
    int check;                  /* compare with the billing database */
    time_t now;
} gv_report_request_t;

/* Exit statuses: 0 everything reconciles, 4 something needs a person,
 * 1 the report could not be written, 2 a bad request. */
enum { GV_REPORT_EXIT_OK = 0, GV_REPORT_EXIT_FAILED = 1, GV_REPORT_EXIT_USAGE = 2,
       GV_REPORT_EXIT_ATTENTION = 4 };

/* Sets the clerk's language from req and the configuration; call before
 * anything a clerk reads is printed.  GV_REPORT_EXIT_USAGE on a language
 * gasvoucher has no catalogue for (message printed), else 0. */
int gv_report_language(const gv_report_request_t *req, const gv_conf_t *conf);

/* Checks req (period, format, output) with messages in the clerk's
 * language.  0 or GV_REPORT_EXIT_USAGE. */
int gv_report_validate(const gv_report_request_t *req);

/* Writes the report; db is connected and at the current schema.  Returns
 * an exit status. */
int gv_report_command(const gv_report_request_t *req, gv_runtime_t *rt, gv_db_t *db,
                      const char *spool);

#endif
