/* metrics.c - request counters, a latency histogram, database errors. */
#include "config.h"
#include "metrics.h"

#include <pthread.h>
#include <stddef.h>
#include <stdatomic.h>
#include <string.h>

static const double bucket_le[] = { 0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05,
                                    0.1, 0.25, 0.5, 1.0, 2.5 };
#define NBUCKETS (sizeof bucket_le / sizeof bucket_le[0])

static atomic_ulong requests[GV_OUTCOMES];
static atomic_ulong buckets[NBUCKETS + 1];      /* last = +Inf */
static atomic_ulong latency_sum_us;
static atomic_ulong db_errors[GV_DB_PERMANENT + 1];
static atomic_ulong cuts[2][GV_CUT_COUNT];

const char *gv_cut_reason_name(gv_cut_reason_t why)
{
    static const char *const names[GV_CUT_COUNT] = {
        "header_timeout", "body_timeout", "body_min_rate", "idle_timeout"
    };
    return why >= 0 && why < GV_CUT_COUNT ? names[why] : "none";
}

void gv_metrics_connection_cut(int ops_listener, gv_cut_reason_t why)
{
    if (why >= 0 && why < GV_CUT_COUNT)
        atomic_fetch_add_explicit(&cuts[ops_listener ? 1 : 0][why], 1, memory_order_relaxed);
}

static atomic_int database_up = -1;         /* -1: not looked yet */

/* The tables' status: written by the jobs thread, read by scrapes. */
static pthread_mutex_t status_lock = PTHREAD_MUTEX_INITIALIZER;
static gv_store_status_t tables;            /* under status_lock */
static int64_t status_at;                   /* under status_lock; 0 = never */

void gv_metrics_set_status(const gv_store_status_t *st, int64_t updated_at)
{
    pthread_mutex_lock(&status_lock);
    tables = *st;
    status_at = updated_at;
    pthread_mutex_unlock(&status_lock);
}

void gv_metrics_set_database_up(int up)
{
    atomic_store(&database_up, up ? 1 : 0);
}


/* One gauge a period, each a field of gv_period_status_t. */
typedef struct period_gauge {
    const char *name, *help;
    size_t field;               /* offsetof an int64_t */
} period_gauge_t;

static const period_gauge_t period_gauges[] = {
    { "gasvoucher_period_due_timestamp_seconds",
      "A period's due day (R5), 00:00 local time.", offsetof(gv_period_status_t, due_at) },
    { "gasvoucher_period_end_timestamp_seconds", "The first instant after a period.",
      offsetof(gv_period_status_t, end_at) },
    { "gasvoucher_period_batches_received", "Parts of a period's voucher list received.",
      offsetof(gv_period_status_t, batches) },
    { "gasvoucher_period_batches_expected",
      "Parts a period's list says it has (0 = none received).",
      offsetof(gv_period_status_t, parts) },
    { "gasvoucher_billing_last_success_timestamp_seconds",
      "End of the last billing run that finished for a period (0 = never billed).",
      offsetof(gv_period_status_t, billed_at) },
    { "gasvoucher_period_vouchers_pending", "Vouchers of a period still Pending (R20).",
      offsetof(gv_period_status_t, pending) },
};

static int render_status(gv_buf_t *out)
{
    gv_store_status_t st;
    int64_t at;
    int rc = 0;

    pthread_mutex_lock(&status_lock);
    st = tables;
    at = status_at;
    pthread_mutex_unlock(&status_lock);
    rc |= gv_buf_printf(out,
                        "# HELP gasvoucher_status_updated_timestamp_seconds When the figures below "
                        "were read from gasvoucher's tables (0 = not yet).\n"
                        "# TYPE gasvoucher_status_updated_timestamp_seconds gauge\n"
                        "gasvoucher_status_updated_timestamp_seconds %lld\n",
                        (long long)at);
    if (!at)
        return rc ? -1 : 0;
    rc |= gv_buf_printf(out,
                        "# HELP gasvoucher_outbox_messages Messages for the wallet, by state.\n"
                        "# TYPE gasvoucher_outbox_messages gauge\n"
                        "gasvoucher_outbox_messages{state=\"PENDING\"} %lld\n"
                        "gasvoucher_outbox_messages{state=\"FAILED\"} %lld\n"
                        "gasvoucher_outbox_messages{state=\"DELIVERED\"} %lld\n"
                        "# HELP gasvoucher_outbox_oldest_undelivered_timestamp_seconds When the "
                        "oldest message not yet delivered was made (0 = none).\n"
                        "# TYPE gasvoucher_outbox_oldest_undelivered_timestamp_seconds gauge\n"
                        "gasvoucher_outbox_oldest_undelivered_timestamp_seconds %lld\n"
                        "# HELP gasvoucher_outbox_oldest_undelivered_age_seconds Age of the oldest "
                        "message not yet delivered (0 = none).\n"
                        "# TYPE gasvoucher_outbox_oldest_undelivered_age_seconds gauge\n"
                        "gasvoucher_outbox_oldest_undelivered_age_seconds %lld\n"
                        "# HELP gasvoucher_batches Voucher-list parts received, by state.\n"
                        "# TYPE gasvoucher_batches gauge\n"
                        "gasvoucher_batches{state=\"RECEIVED\"} %lld\n"
                        "gasvoucher_batches{state=\"PROCESSED\"} %lld\n",
                        (long long)st.outbox_pending, (long long)st.outbox_failed,
                        (long long)st.outbox_delivered, (long long)st.outbox_oldest_at,
                        (long long)(st.outbox_oldest_at ? at - st.outbox_oldest_at : 0),
                        (long long)st.batches_received, (long long)st.batches_processed);
    for (size_t g = 0; g < sizeof period_gauges / sizeof period_gauges[0]; g++) {
        const period_gauge_t *pg = &period_gauges[g];
        rc |= gv_buf_printf(out, "# HELP %s %s\n# TYPE %s gauge\n", pg->name, pg->help,
                            pg->name);
        for (size_t i = 0; i < st.nperiods; i++) {
            int64_t v;
            memcpy(&v, (const char *)&st.periods[i] + pg->field, sizeof v);
            rc |= gv_buf_printf(out, "%s{period=\"%s\"} %lld\n", pg->name,
                                st.periods[i].period, (long long)v);
        }
    }
    return rc ? -1 : 0;
}

void gv_metrics_request(int outcome, int64_t micros)
{
    size_t b = 0;

    if (outcome >= 0 && outcome < GV_OUTCOMES)
        atomic_fetch_add_explicit(&requests[outcome], 1, memory_order_relaxed);
    while (b < NBUCKETS && (double)micros / 1e6 > bucket_le[b])
        b++;
    atomic_fetch_add_explicit(&buckets[b], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&latency_sum_us, (unsigned long)(micros > 0 ? micros : 0),
                              memory_order_relaxed);
}

void gv_metrics_db_error(gv_db_action_t action)
{
    if (action <= GV_DB_PERMANENT)
        atomic_fetch_add_explicit(&db_errors[action], 1, memory_order_relaxed);
}

int gv_metrics_render(gv_buf_t *out)
{
    unsigned long cumulative = 0;
    int rc = 0, up = atomic_load(&database_up);

    rc |= gv_buf_puts(out, "# HELP gasvoucher_build_info The running version.\n"
                           "# TYPE gasvoucher_build_info gauge\n"
                           "gasvoucher_build_info{version=\"" PACKAGE_VERSION "\"} 1\n");
    if (up >= 0)
        rc |= gv_buf_printf(out, "# HELP gasvoucher_database_up Whether the billing database "
                                 "answered (1) or not (0).\n# TYPE gasvoucher_database_up gauge\n"
                                 "gasvoucher_database_up %d\n", up);
    rc |= render_status(out);

    rc |= gv_buf_puts(out, "# HELP gasvoucher_account_check_requests_total Account checks "
                           "answered, by result or fault and HTTP status.\n"
                           "# TYPE gasvoucher_account_check_requests_total counter\n");
    for (int i = 0; i < GV_OUTCOMES; i++) {
        const char *name;
        int status;
        if (i < GV_CHECK_COUNT) {
            name = gv_check_result_name((gv_check_result_t)i);
            status = 200;
        } else {
            gv_fault_t f = (gv_fault_t)(i - GV_CHECK_COUNT);
            if (f == GV_FAULT_NONE)
                continue;
            name = gv_fault_name(f);
            status = gv_fault_http_status(f);
        }
        rc |= gv_buf_printf(out,
                            "gasvoucher_account_check_requests_total{outcome=\"%s\",status=\"%d\"} "
                            "%lu\n", name, status, atomic_load(&requests[i]));
    }
    rc |= gv_buf_puts(out, "# HELP gasvoucher_account_check_seconds Time to answer an account "
                           "check.\n# TYPE gasvoucher_account_check_seconds histogram\n");
    for (size_t b = 0; b <= NBUCKETS; b++) {
        cumulative += atomic_load(&buckets[b]);
        if (b < NBUCKETS)
            rc |= gv_buf_printf(out, "gasvoucher_account_check_seconds_bucket{le=\"%g\"} %lu\n",
                                bucket_le[b], cumulative);
        else
            rc |= gv_buf_printf(out, "gasvoucher_account_check_seconds_bucket{le=\"+Inf\"} %lu\n",
                                cumulative);
    }
    rc |= gv_buf_printf(out, "gasvoucher_account_check_seconds_sum %.6f\n"
                             "gasvoucher_account_check_seconds_count %lu\n",
                        (double)atomic_load(&latency_sum_us) / 1e6, cumulative);
    rc |= gv_buf_puts(out, "# HELP gasvoucher_db_errors_total Database errors, by what they "
                           "call for.\n# TYPE gasvoucher_db_errors_total counter\n");
    for (int a = GV_DB_RETRY; a <= GV_DB_PERMANENT; a++)
        rc |= gv_buf_printf(out, "gasvoucher_db_errors_total{action=\"%s\"} %lu\n",
                            gv_db_action_name((gv_db_action_t)a), atomic_load(&db_errors[a]));
    rc |= gv_buf_puts(out, "# HELP gasvoucher_connections_cut_total Connections a listener "
                           "shut for being too slow, by the limit they broke.\n"
                           "# TYPE gasvoucher_connections_cut_total counter\n");
    for (int l = 0; l < 2; l++)
        for (int w = 0; w < GV_CUT_COUNT; w++)
            rc |= gv_buf_printf(out, "gasvoucher_connections_cut_total{listener=\"%s\","
                                     "reason=\"%s\"} %lu\n", l ? "ops" : "wallet",
                                gv_cut_reason_name((gv_cut_reason_t)w), atomic_load(&cuts[l][w]));
    return rc ? -1 : 0;
}
