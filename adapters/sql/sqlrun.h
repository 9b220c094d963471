/* sqlrun.h - running a mapping's statements.
 *
 * A mapping names result columns by role ("account", "region", ...); the
 * site's SQL may return them in any order, beside others gasvoucher does
 * not use.  Shared by the account check (adapters/sql) and billing.
 */
#ifndef GV_SQLRUN_H
#define GV_SQLRUN_H

#include "db.h"
#include "err.h"
#include "mapping.h"

/* Maps each column role of spec to its 1-based position in st's result
 * (0 = an optional role the statement does not return).  Missing or
 * unusable columns go to errs when given (mapping check), else fail with
 * e.  0 or -1. */
int gv_stmt_columns(gv_db_stmt_t *st, const gv_stmt_spec_t *spec, int *cols, const char *where,
                    gv_errlist_t *errs, gv_db_error_t *e);

#endif
