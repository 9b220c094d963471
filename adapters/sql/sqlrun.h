/* sqlrun.h - running a mapping's statements.
 *
 * A mapping names result columns by role ("account", "region", ...); the
 * site's SQL may return them in any order, beside others gasvoucher does
 * not use.  Shared by the account check (adapters/sql) and billing.
 */
#ifndef GV_SQLRUN_H
#define GV_SQLRUN_H

#include "adapter.h"
#include "db.h"
#include "err.h"
#include "mapping.h"

/* Maps each column role of spec to its 1-based position in st's result
 * (0 = an optional role the statement does not return).  Missing or
 * unusable columns go to errs when given (mapping check), else fail with
 * e.  0 or -1. */
int gv_stmt_columns(gv_db_stmt_t *st, const gv_stmt_spec_t *spec, int *cols, const char *where,
                    gv_errlist_t *errs, gv_db_error_t *e);

/* A flag or count of [query.account] (household, metered, residents) as
 * the account check reads it: t/true/f/false or a number.  0, or -1 when
 * it is neither.  Pure. */
int gv_sql_parse_flag(const char *v, int *out);

/* Binds a named parameter a mapping statement may carry, other than a
 * bill's values: :account and each value of :accounts (a canonical
 * account, as [account] bind_as says; :first_account and :last_account
 * as well, for a list of one), :period, :period_yyyymm, :period_start,
 * :period_end.  1 bound, 0 not one of these, -1 error.
 * The one binder of the account check, billing and mapping check. */
int gv_sql_bind_named(gv_db_stmt_t *st, int pos, const char *name, const gv_mapping_t *map,
                      const char *account, const gv_site_period_t *p, gv_db_error_t *e);

/* The sql adapter's check_mapping (adapters/sql/check.c). */
int gv_sql_check_mapping(const gv_conf_t *conf, const gv_mapping_t *map,
                         const gv_mapping_check_opts_t *opts, gv_errlist_t *errs);

#endif
