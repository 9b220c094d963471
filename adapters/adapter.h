/* adapter.h - the one seam into a billing system.
 *
 * Everything gasvoucher does at a provider's billing system goes through
 * an adapter: turning a typed number into the site's canonical account,
 * looking accounts up, the reads billing needs (region, metering,
 * residents, meter readings), writing bills and reading their references
 * back, and checking itself against the live system.  Above the seam an
 * account is always the canonical key the site returned, never a spelling
 * of it.
 *
 * An adapter is a const table of functions (compare FreeRADIUS
 * rlm_sql_driver_t, curl's vtls backends); gv_adapters[] in adapters.c
 * lists them all.  Adding one touches its own folder and that one array.
 * An adapter's context belongs to one worker thread: never share it.
 */
#ifndef GV_ADAPTER_H
#define GV_ADAPTER_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "billcalc.h"
#include "calendar.h"
#include "consumption.h"
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

/* The period a billing run works on, in every form a site may want it. */
typedef struct gv_site_period {
    gv_period_t period;
    char text[8];                   /* YYYY-MM */
    char yyyymm[7];                 /* YYYYMM */
    char start[11], end[11];        /* its first and last day, YYYY-MM-DD */
    char created_at[20];            /* the run's local time, YYYY-MM-DD HH:MM:SS */
} gv_site_period_t;

/* now: the run's instant for created_at; 0 leaves it empty (reads). */
void gv_site_period_init(gv_site_period_t *p, gv_period_t period, time_t now);

/* One account of a billing chunk: the caller sets account (canonical; a
 * chunk's accounts are distinct and sorted by strcmp), the adapter the
 * rest. */
typedef struct gv_site_account {
    char account[GV_SITE_ACCOUNT_MAX + 1];
    int found;                      /* the site still has it */
    char region[8];
    int metered, residents;
    size_t rfirst, rcount;          /* its readings: a slice of the chunk's */
    /* "" or why a value the site gave for this account cannot be used (a
     * reading that is no date or decimal, an unknown reading kind, a
     * region too long for a code, an integer that is none): the account
     * is held apart and the chunk's others are billed. */
    char unusable[200];
} gv_site_account_t;

/* A chunk's meter readings, grouped by account (see rfirst, rcount);
 * owned by the caller, grown by the adapter. */
typedef struct gv_site_readings {
    gv_reading_t *r;
    size_t *owner;                  /* index into the chunk's accounts */
    size_t n, cap;
} gv_site_readings_t;

void gv_site_readings_free(gv_site_readings_t *rd);

/* One bill to write; bill_ref is the adapter's to fill. */
typedef struct gv_site_bill {
    const char *account;            /* canonical */
    const char *voucher_id;
    const gv_bill_calc_t *calc;     /* a billable calculation (pending NONE) */
    char bill_ref[65];              /* the site's reference of the bill written */
} gv_site_bill_t;
/* What `gasvoucher mapping check` runs the mapping on. */
typedef struct gv_mapping_check_opts {
    const char *const *samples;   /* account numbers as typed; none = the
                                   * mapping's own sample accounts */
    size_t nsamples;
    gv_period_t period;           /* billing reads and readings for it */
    FILE *out;                    /* what gasvoucher would see of each sample */
} gv_mapping_check_opts_t;

/* One bill as the billing system holds it (read_bills).  Strings are
 * valid during the call only. */
typedef struct gv_site_held_bill {
    const char *account;        /* canonical, as the site keeps it */
    const char *voucher_id;     /* the voucher it names; "" = none */
    const char *bill_ref;       /* the site's reference; "" = not returned */
    int64_t volume_milli;       /* thousandths of m3 */
    int64_t charge, discount, due;  /* tiyn */
} gv_site_held_bill_t;

/* Return -1 to stop reading. */
typedef int (*gv_site_bill_fn)(void *ud, const gv_site_held_bill_t *bill);

typedef struct gv_adapter {
    const char *name;
    /* A worker's context; NULL with err on failure.  Does not connect.
     * Its own connection only looks up (on SQLite it refuses writes). */
    void *(*open)(const gv_conf_t *conf, const gv_mapping_t *map, gv_err_t *err);
    /* A context that works on the caller's connection, inside the
     * caller's transaction (batch processing); the caller keeps db and
     * closes this context before it disconnects or frees db. */
    void *(*open_shared)(const gv_conf_t *conf, const gv_mapping_t *map, gv_db_t *db,
                         gv_err_t *err);
    void (*close)(void *ctx);
    /* The site's canonical form of a typed number, into out (at least
     * GV_ACCOUNT_MAX + 1 bytes); -1 when it cannot be a number of this
     * site (answer NOT_FOUND without asking the site).  Pure. */
    int (*canonicalise)(void *ctx, const char *typed, char *out, size_t outsz);
    /* Finds the account by its canonical number; rec->account is the key
     * as the site keeps it, which the caller uses from then on. */
    gv_lookup_t (*find_account)(void *ctx, const char *canonical, gv_period_t period,
                                int64_t now_ms, gv_account_record_t *rec, gv_db_error_t *e);
    /* Finds many accounts at once, as find_account finds each:
     * canonical[0..n) are distinct; found[i] and, when FOUND, recs[i]
     * are set for each.  0, or -1 with e when the database cannot answer
     * (every one of them is then RETRY).  NULL: gv_find_accounts asks one
     * by one.  Callers go through gv_find_accounts. */
    int (*find_accounts)(void *ctx, const char *const *canonical, size_t n, gv_period_t period,
                         int64_t now_ms, gv_account_record_t *recs, gv_lookup_t *found,
                         gv_db_error_t *e);
    /* 0 when the billing database answers now, else -1. */
    int (*ping)(void *ctx, int64_t now_ms, gv_db_error_t *e);
    /* How long a caller should wait before asking again, in ms. */
    int64_t (*retry_after_ms)(void *ctx, int64_t now_ms);
    /* Billing's reads for a chunk: region, metering, residents and the
     * readings from the previous closing reading to the period's end of
     * acc[0..n).  An account the site no longer has keeps found = 0; one
     * whose values cannot be used gets unusable set, and the call goes
     * on (-1 is for what concerns the whole chunk).  On the caller's
     * connection (open_shared). */
    int (*read_for_billing)(void *ctx, const gv_site_period_t *p, gv_site_account_t *acc,
                            size_t n, gv_site_readings_t *rd, gv_db_error_t *e);
    /* Writes bills[0..n) inside the caller's open transaction, then fills
     * each bill_ref.  A bill the site refuses as a duplicate fails the
     * whole call with GV_DB_DUPLICATE (the caller narrows it down). */
    int (*write_bills)(void *ctx, const gv_site_period_t *p, gv_site_bill_t *bills, size_t n,
                       gv_db_error_t *e);
    /* The connection was dropped: forget what was prepared on it. */
    void (*forget)(void *ctx);
    /* Says in words how bills are written (a dry run prints it once). */
    void (*describe_writes)(void *ctx, FILE *out);
    /* Proves the mapping on the live database, changing nothing: runs its
     * reads on sample accounts, checks every value converts and names the
     * engine's known traps.  Every problem goes to errs ("file:line:
     * [section]: ..."); what gasvoucher would see of each sample goes to
     * opts->out.  0 when there is no problem. */
    int (*check_mapping)(const gv_conf_t *conf, const gv_mapping_t *map,
                         const gv_mapping_check_opts_t *opts, gv_errlist_t *errs);
    /* Streams every bill of the period to fn, in no particular order, and
     * changes nothing.  0, or -1 with e (GV_DB_PERMANENT when the site
     * cannot say: no statement for it; -1 from fn stops with action
     * GV_DB_OK). */
    int (*read_bills)(void *ctx, gv_period_t period, int64_t now_ms, gv_site_bill_fn fn,
                      void *ud, gv_db_error_t *e);
} gv_adapter_t;

extern const gv_adapter_t *const gv_adapters[];

const gv_adapter_t *gv_adapter_find(const char *name);

/* a->find_accounts, or find_account for each when the adapter has none. */
int gv_find_accounts(const gv_adapter_t *a, void *ctx, const char *const *canonical, size_t n,
                     gv_period_t period, int64_t now_ms, gv_account_record_t *recs,
                     gv_lookup_t *found, gv_db_error_t *e);

#endif
