/* mapping.h - a site's mapping file: everything gasvoucher knows of one
 * provider's billing schema.
 *
 * No table or column name of any site is compiled into gasvoucher.  A
 * mapping (mappings/<site>.ini) says how a typed account number becomes the
 * provider's canonical form and holds the parameterised SQL for each thing
 * gasvoucher needs from the site.  C knows only the *kinds* of statement
 * (the table gv_stmt_specs in mapping.c): for each, which named parameters
 * (:account, :period_start, ...) it may use and which result columns it
 * must return.  Later kinds (meter readings, bill writes) are new rows in
 * that table and new sections in the same file.
 */
#ifndef GV_MAPPING_H
#define GV_MAPPING_H

#include <stddef.h>

#include "account.h"
#include "err.h"

#define GV_STMT_MAX_PARAMS 16

typedef enum { GV_COL_TEXT, GV_COL_INT, GV_COL_DATE } gv_col_kind_t;

typedef struct gv_col_spec {
    const char *name;
    gv_col_kind_t kind;
    int optional;
} gv_col_spec_t;

typedef struct gv_stmt_spec {
    const char *section;               /* "query.account" */
    const char *purpose;               /* for messages */
    const char *const *params;         /* allowed :names, NULL-terminated */
    const gv_col_spec_t *columns;      /* expected result columns, {NULL} ends */
    int required;
} gv_stmt_spec_t;

/* Statement kinds, indexes into gv_stmt_specs. */
typedef enum { GV_STMT_ACCOUNT = 0, GV_STMT_COUNT } gv_stmt_kind_t;

extern const gv_stmt_spec_t gv_stmt_specs[GV_STMT_COUNT];

/* Columns of GV_STMT_ACCOUNT, in gv_stmt_specs order. */
enum {
    GV_ACOL_ACCOUNT, GV_ACOL_HOLDER, GV_ACOL_ADDRESS, GV_ACOL_SETTLEMENT, GV_ACOL_REGION,
    GV_ACOL_HOUSEHOLD, GV_ACOL_CLOSED_ON, GV_ACOL_METERED, GV_ACOL_RESIDENTS, GV_ACOL_COUNT
};

typedef struct gv_stmt {
    char *sql;                              /* with ? placeholders, for ODBC */
    char *source;                           /* as written, with :names */
    size_t nparams;
    const char *params[GV_STMT_MAX_PARAMS]; /* name of each ?, in order */
    int line;                               /* where it is defined */
} gv_stmt_t;

typedef enum { GV_BIND_TEXT, GV_BIND_INTEGER } gv_bind_kind_t;

typedef struct gv_mapping {
    char *path;
    char *name;
    gv_account_rules_t account;
    gv_bind_kind_t account_bind;
    char **settlement_markers;              /* NULL-terminated; NULL = defaults */
    gv_stmt_t stmts[GV_STMT_COUNT];
} gv_mapping_t;

gv_mapping_t *gv_mapping_load(const char *path, gv_errlist_t *errs);
void gv_mapping_free(gv_mapping_t *m);

/* Rewrites ":name" placeholders to "?" (outside quotes and comments),
 * recording the names in order and checking each against allowed.
 * Returns 0, or -1 with a message in err.  Pure; exposed for tests. */
int gv_sql_compile(const char *source, const char *const *allowed, gv_stmt_t *out,
                   gv_err_t *err);

#endif
