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

/* GV_COL_DECIMAL: an exact number read as text; SQLite keeps NUMERIC
 * columns as doubles, so a floating type is accepted too (15 significant
 * digits carry a NUMERIC(12,3) exactly). */
typedef enum { GV_COL_TEXT, GV_COL_INT, GV_COL_DATE, GV_COL_DECIMAL } gv_col_kind_t;

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
typedef enum {
    GV_STMT_ACCOUNT = 0,        /* [query.account]: the account check */
    GV_STMT_BILLING_ACCOUNTS,   /* [query.billing_accounts]: region, metered, residents */
    GV_STMT_READINGS,           /* [query.readings]: meter readings for R14 */
    GV_STMT_BILL_REF,           /* [query.bill_ref]: the site's reference of a bill written */
    GV_STMT_SAMPLE_ACCOUNTS,    /* [query.sample_accounts]: accounts `mapping check` tries */
    GV_STMT_BILLS,              /* [query.bills]: a period's bills, read back (report --check) */
    GV_STMT_ACCOUNTS,           /* [query.accounts]: [query.account] for many at once */
    GV_STMT_COUNT
} gv_stmt_kind_t;

/* A list parameter (:accounts) stands for as many values as a chunk holds;
 * gv_sql_compile leaves this byte where it stood and gv_stmt_expand turns
 * it into "?, ?, ...". */
#define GV_SQL_LIST_MARK '\x01'

/* Columns of the billing statements, in gv_stmt_specs order. */
enum { GV_BCOL_ACCOUNT, GV_BCOL_REGION, GV_BCOL_METERED, GV_BCOL_RESIDENTS, GV_BCOL_COUNT };
enum {
    GV_RCOL_ACCOUNT, GV_RCOL_METER, GV_RCOL_DIGITS, GV_RCOL_READ_ON, GV_RCOL_VALUE,
    GV_RCOL_KIND, GV_RCOL_SEQ, GV_RCOL_COUNT
};
enum { GV_FCOL_ACCOUNT, GV_FCOL_BILL_REF, GV_FCOL_COUNT };
enum { GV_SCOL_ACCOUNT, GV_SCOL_COUNT };
/* [query.bills]: each amount in tiyn or in tenge, whichever the site keeps. */
enum {
    GV_LCOL_ACCOUNT, GV_LCOL_VOUCHER, GV_LCOL_BILL_REF, GV_LCOL_VOLUME, GV_LCOL_CHARGE_TIYN,
    GV_LCOL_CHARGE_TENGE, GV_LCOL_DISCOUNT_TIYN, GV_LCOL_DISCOUNT_TENGE, GV_LCOL_DUE_TIYN,
    GV_LCOL_DUE_TENGE, GV_LCOL_COUNT
};

/* Values a bill write may use, by name (see mapping.c bill_params). */
extern const char *const gv_bill_params[];

extern const gv_stmt_spec_t gv_stmt_specs[GV_STMT_COUNT];

/* Columns of GV_STMT_ACCOUNT and GV_STMT_ACCOUNTS, in gv_stmt_specs order. */
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

/* One [write.NAME] section: "insert" is the statement head, "values" one
 * voucher's row(s); a chunk's statement is head VALUES row, row, ... so
 * every engine gets one multi-row INSERT per chunk and table. */
#define GV_MAX_WRITES 8
typedef struct gv_write {
    char *name;                 /* "bill" of [write.bill] */
    char *insert;
    gv_stmt_t values;
    int line;
} gv_write_t;

typedef struct gv_mapping {
    char *path;
    char *name;
    gv_account_rules_t account;
    gv_bind_kind_t account_bind;
    char **settlement_markers;              /* NULL-terminated; NULL = defaults */
    gv_stmt_t stmts[GV_STMT_COUNT];
    gv_write_t writes[GV_MAX_WRITES];      /* in file order */
    size_t nwrites;
} gv_mapping_t;

gv_mapping_t *gv_mapping_load(const char *path, gv_errlist_t *errs);
void gv_mapping_free(gv_mapping_t *m);

/* Rewrites ":name" placeholders to "?" (outside quotes and comments),
 * recording the names in order and checking each against allowed.
 * Returns 0, or -1 with a message in err.  Pure; exposed for tests. */
int gv_sql_compile(const char *source, const char *const *allowed, gv_stmt_t *out,
                   gv_err_t *err);

/* The statement's SQL with each list mark turned into nlist placeholders,
 * into out (reset first).  0, or -1 when it does not fit. */
struct gv_buf;
int gv_stmt_expand(const gv_stmt_t *st, size_t nlist, struct gv_buf *out);
/* "head VALUES values, values, ..." for nrows rows. */
int gv_write_expand(const gv_write_t *w, size_t nrows, struct gv_buf *out);
/* 1 when name is a list parameter. */
int gv_param_is_list(const char *name);

#endif
