/* adapter.h - a way into a billing system.
 *
 * An adapter is a const table of functions (compare FreeRADIUS
 * rlm_sql_driver_t, curl's vtls backends); gv_adapters[] in adapters.c
 * lists them all.  Adding one touches its own folder and that one array.
 * An adapter's context belongs to one worker thread: never share it.
 */
#ifndef GV_ADAPTER_H
#define GV_ADAPTER_H

#include <stdint.h>

#include "calendar.h"
#include "conf.h"
#include "db.h"
#include "err.h"
#include "mapping.h"
#include "record.h"

/* Three outcomes, never two: a database that cannot answer is never
 * "not found" (compare Postfix DICT_ERR_RETRY). */
typedef enum {
    GV_LOOKUP_FOUND,
    GV_LOOKUP_NOT_FOUND,
    GV_LOOKUP_RETRY,
} gv_lookup_t;

/* One bill as the billing system holds it (read_bills).  Strings are
 * valid during the call only. */
typedef struct gv_site_bill {
    const char *account;        /* canonical, as the site keeps it */
    const char *voucher_id;     /* the voucher it names; "" = none */
    const char *bill_ref;       /* the site's reference; "" = not returned */
    int64_t volume_milli;       /* thousandths of m3 */
    int64_t charge, discount, due;  /* tiyn */
} gv_site_bill_t;

/* Return -1 to stop reading. */
typedef int (*gv_site_bill_fn)(void *ud, const gv_site_bill_t *bill);

typedef struct gv_adapter {
    const char *name;
    /* A worker's context; NULL with err on failure.  Does not connect. */
    void *(*open)(const gv_conf_t *conf, const gv_mapping_t *map, gv_err_t *err);
    /* A context that works on the caller's connection, inside the
     * caller's transaction (batch processing); the caller keeps db and
     * closes this context before it disconnects or frees db. */
    void *(*open_shared)(const gv_conf_t *conf, const gv_mapping_t *map, gv_db_t *db,
                         gv_err_t *err);
    void (*close)(void *ctx);
    /* Finds the account by its canonical number. */
    gv_lookup_t (*find_account)(void *ctx, const char *canonical, gv_period_t period,
                                int64_t now_ms, gv_account_record_t *rec, gv_db_error_t *e);
    /* 0 when the billing database answers now, else -1. */
    int (*ping)(void *ctx, int64_t now_ms, gv_db_error_t *e);
    /* How long a caller should wait before asking again, in ms. */
    int64_t (*retry_after_ms)(void *ctx, int64_t now_ms);
    /* Checks the mapping against the live database; every problem goes to
     * errs.  0 when none. */
    int (*check_mapping)(const gv_conf_t *conf, const gv_mapping_t *map, gv_errlist_t *errs);
    /* Streams every bill of the period to fn, in no particular order, and
     * changes nothing.  0, or -1 with e (GV_DB_PERMANENT when the site
     * cannot say: no statement for it; -1 from fn stops with action
     * GV_DB_OK). */
    int (*read_bills)(void *ctx, gv_period_t period, int64_t now_ms, gv_site_bill_fn fn,
                      void *ud, gv_db_error_t *e);
} gv_adapter_t;

extern const gv_adapter_t *const gv_adapters[];

const gv_adapter_t *gv_adapter_find(const char *name);

#endif
