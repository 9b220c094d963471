/* adapters.c - the list of adapters compiled in. */
#include "config.h"
#include "adapter.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern const gv_adapter_t gv_adapter_sql;
extern const gv_adapter_t gv_adapter_record;

const gv_adapter_t *const gv_adapters[] = {
    &gv_adapter_sql,
    &gv_adapter_record,
    NULL,
};

const gv_adapter_t *gv_adapter_find(const char *name)
{
    for (const gv_adapter_t *const *a = gv_adapters; *a; a++)
        if (strcmp((*a)->name, name) == 0)
            return *a;
    return NULL;
}

int gv_find_accounts(const gv_adapter_t *a, void *ctx, const char *const *canonical, size_t n,
                     gv_period_t period, int64_t now_ms, gv_account_record_t *recs,
                     gv_lookup_t *found, gv_db_error_t *e)
{
    if (a->find_accounts)
        return a->find_accounts(ctx, canonical, n, period, now_ms, recs, found, e);
    for (size_t i = 0; i < n; i++)
        if ((found[i] = a->find_account(ctx, canonical[i], period, now_ms, &recs[i], e)) ==
            GV_LOOKUP_RETRY)
            return -1;
    return 0;
}

void gv_site_period_init(gv_site_period_t *p, gv_period_t period, time_t now)
{
    char when[32];

    memset(p, 0, sizeof *p);
    p->period = period;
    snprintf(p->text, sizeof p->text, "%04d-%02d", period.year, period.month);
    snprintf(p->yyyymm, sizeof p->yyyymm, "%04d%02d", period.year, period.month);
    gv_date_format(gv_period_first_day(period), p->start);
    gv_date_format(gv_period_last_day(period), p->end);
    if (now > 0) {      /* only writes need it; lookups pass 0 */
        gv_time_format_local(now, when);
        snprintf(p->created_at, sizeof p->created_at, "%.10s %.8s", when, when + 11);
    }
}

void gv_site_readings_free(gv_site_readings_t *rd)
{
    free(rd->r);
    free(rd->owner);
    memset(rd, 0, sizeof *rd);
}
