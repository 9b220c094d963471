/* bills.h - the SQL adapter's read_bills: a period's bills read back
 * through the mapping's [query.bills] (report --check). */
#ifndef GV_SQL_BILLS_H
#define GV_SQL_BILLS_H

#include "adapter.h"

/* On a connected db; see gv_adapter_t.read_bills. */
int gv_sql_read_bills(gv_db_t *db, const gv_mapping_t *map, gv_period_t period,
                      gv_site_bill_fn fn, void *ud, gv_db_error_t *e);

#endif
