/* sql.h - the SQL adapter's context, shared by its files (sql.c: the
 * account lookup; billing.c: billing's reads and writes; check.c: the
 * self-check).  Nothing outside adapters/sql/ includes this. */
#ifndef GV_ADAPTER_SQL_H
#define GV_ADAPTER_SQL_H

#include "adapter.h"
#include "buf.h"
#include "kept.h"

typedef struct sql_ctx {
    const gv_conf_t *conf;
    const gv_mapping_t *map;
    gv_db_t *db;
    int shared;                         /* db belongs to the caller */
    gv_db_stmt_t *account_stmt;
    int account_cols[GV_ACOL_COUNT];    /* 1-based result column; 0 = absent */
    /* [query.accounts]: of a full part and of a remainder; one column map */
    gv_db_kept_t accounts_st[2];
    int accounts_cols[GV_ACOL_COUNT];
    /* billing: per [write.*], one statement of a full part and one of a
     * chunk's remainder */
    gv_db_kept_t write_st[GV_MAX_WRITES][2];
    gv_buf_t sql;                       /* statement text being built */
} sql_ctx_t;

/* billing.c */
int gv_sql_read_for_billing(void *ctx, const gv_site_period_t *p, gv_site_account_t *acc,
                            size_t n, gv_site_readings_t *rd, gv_db_error_t *e);
int gv_sql_write_bills(void *ctx, const gv_site_period_t *p, gv_site_bill_t *bills, size_t n,
                       gv_db_error_t *e);
void gv_sql_forget_writes(sql_ctx_t *c);
void gv_sql_describe_writes(void *ctx, FILE *out);

/* read_bills.c: a period's bills read back through [query.bills] (report
 * --check), on a connected db; see gv_adapter_t.read_bills. */
int gv_sql_read_bills(gv_db_t *db, const gv_mapping_t *map, gv_period_t period,
                      gv_site_bill_fn fn, void *ud, gv_db_error_t *e);

#endif
