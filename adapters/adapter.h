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
#include <stdio.h>

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

/* What `gasvoucher mapping check` runs the mapping on. */
typedef struct gv_mapping_check_opts {
    const char *const *samples;   /* account numbers as typed; none = the
                                   * mapping's own sample accounts */
    size_t nsamples;
    gv_period_t period;           /* billing reads and readings for it */
    FILE *out;                    /* what gasvoucher would see of each sample */
} gv_mapping_check_opts_t;

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
    /* Proves the mapping on the live database, changing nothing: runs its
     * reads on sample accounts, checks every value converts and names the
     * engine's known traps.  Every problem goes to errs ("file:line:
     * [section]: ..."); what gasvoucher would see of each sample goes to
     * opts->out.  0 when there is no problem. */
    int (*check_mapping)(const gv_conf_t *conf, const gv_mapping_t *map,
                         const gv_mapping_check_opts_t *opts, gv_errlist_t *errs);
} gv_adapter_t;

extern const gv_adapter_t *const gv_adapters[];

const gv_adapter_t *gv_adapter_find(const char *name);

#endif
