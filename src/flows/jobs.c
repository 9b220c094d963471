/* jobs.c - processing, delivery, inbox and pull in the daemon. */
#include "config.h"
#include "jobs.h"
#include "clock.h"
#include "fsutil.h"
#include "intake.h"
#include "lease.h"
#include "log.h"
#include "metrics.h"
#include "outbox.h"
#include "pull.h"
#include "walletclient.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Seconds between refreshes of the figures /metrics shows from the tables. */
#define GV_STATUS_INTERVAL 15

struct gv_jobs {
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    gv_runtime_t *rt;           /* under lock */
    int kicked, stopping;       /* under lock */
};

int gv_jobs_due_periods(int32_t today, long days_after, gv_period_t *out, int max)
{
    int y, m, d, n = 0;

    gv_civil_from_days(today, &y, &m, &d);
    /* Oldest first; a period can be due at most days_after/28 + 1 months
     * back. */
    for (long back = days_after / 28 + 1; back >= 0 && n < max; back--) {
        gv_period_t p = { y, m - (int)back };
        int32_t due;
        while (p.month < 1) {
            p.month += 12;
            p.year--;
        }
        /* R5: the 30th, or the last day when the month is shorter. */
        due = gv_period_first_day(p) + 29;
        if (due > gv_period_last_day(p))
            due = gv_period_last_day(p);
        if (today >= due && today <= due + days_after)
            out[n++] = p;
    }
    return n;
}

/* The instant a local day starts, in the configured zone (the calendar
 * gives days, the zone's offset decides the instant): the one instant of
 * the day whose second before is the day before. */
static int64_t local_midnight(int32_t day)
{
    for (int64_t off = -14 * 3600; off <= 14 * 3600; off += 900) {
        int64_t t = (int64_t)day * 86400 - off;
        if (gv_time_local_day((time_t)t) == day && gv_time_local_day((time_t)(t - 1)) == day - 1)
            return t;
    }
    return (int64_t)day * 86400;
}

/* Refreshes /metrics' view of gasvoucher's tables: the outbox, the batches,
 * and the periods of the pilot up to this month (at most the last
 * GV_STATUS_PERIODS).  The clock is the machine's: Prometheus compares
 * these instants with its own. */
static void refresh_status(gv_intake_t *in, const gv_conf_t *conf)
{
    gv_store_status_t st;
    gv_db_error_t dbe;
    time_t now = time(NULL);
    int y, m, d, n = 0;

    memset(&st, 0, sizeof st);
    gv_civil_from_days(gv_time_local_day(now), &y, &m, &d);
    for (int back = GV_STATUS_PERIODS - 1; back >= 0; back--) {
        gv_period_t p = { y, m - back };
        gv_period_status_t *ps;
        int32_t due;
        while (p.month < 1) {
            p.month += 12;
            p.year--;
        }
        if (gv_period_last_day(p) < conf->pilot_start || gv_period_first_day(p) > conf->pilot_end)
            continue;
        ps = &st.periods[n++];
        snprintf(ps->period, sizeof ps->period, "%04u-%02u", (unsigned)p.year % 10000u,
                 (unsigned)p.month % 100u);
        /* R5: the 30th, or the last day when the month is shorter. */
        due = gv_period_first_day(p) + 29;
        if (due > gv_period_last_day(p))
            due = gv_period_last_day(p);
        ps->due_at = local_midnight(due);
        ps->end_at = local_midnight(gv_period_last_day(p) + 1);
    }
    st.nperiods = (size_t)n;
    if (gv_db_ensure(gv_intake_db(in), gv_monotonic_ms(), &dbe) < 0 ||
        gv_store_status(gv_intake_db(in), &st, &dbe) < 0) {
        gv_log(GV_LOG_WARNING, "metrics: reading gasvoucher's tables: %s", dbe.msg);
        return;
    }
    gv_metrics_set_status(&st, (int64_t)now);
}

/* Takes in what was dropped in the inbox: NAME.xml or NAME.csv with its
 * NAME.ext.p7s, left alone until both are older than one interval (an
 * SFTP upload in progress keeps touching them; file ages are real time).
 * Each file is received, and its signature checked, at the moment it is
 * taken (gv_clock_now).  Done files go to inbox/done, refused ones to
 * inbox/refused with NAME.error saying why. */
static void scan_inbox(gv_intake_t *in, const gv_conf_t *conf)
{
    DIR *d = opendir(conf->inbox_dir);
    struct dirent *e;

    if (!d) {
        gv_log(GV_LOG_WARNING, "inbox %s: %s", conf->inbox_dir, strerror(errno));
        return;
    }
    while ((e = readdir(d))) {
        char path[PATH_MAX], sig[PATH_MAX + 8], dst[PATH_MAX + 32], dstsig[PATH_MAX + 40];
        struct stat a, b;
        gv_batch_form_t form;
        gv_receipt_t rc;
        const char *where;
        gv_err_t err;

        if (e->d_name[0] == '.' || gv_batch_form_of(e->d_name, &form) < 0)
            continue;
        snprintf(path, sizeof path, "%s/%s", conf->inbox_dir, e->d_name);
        snprintf(sig, sizeof sig, "%s.p7s", path);
        if (stat(path, &a) < 0 || !S_ISREG(a.st_mode) || stat(sig, &b) < 0)
            continue;
        if (time(NULL) - a.st_mtime < conf->inbox_interval ||
            time(NULL) - b.st_mtime < conf->inbox_interval)
            continue;
        gv_intake_receive_file(in, path, "file", gv_clock_now(), &rc);
        if (rc.fault == GV_FAULT_UNAVAILABLE) {
            gv_log(GV_LOG_WARNING, "inbox %s: %s; will try again", e->d_name, rc.err.msg);
            continue;
        }
        where = rc.fault == GV_FAULT_NONE ? "done" : "refused";
        if (rc.fault == GV_FAULT_NONE)
            gv_log(GV_LOG_INFO, "inbox %s: %s %s (%ld vouchers)", e->d_name,
                   rc.duplicate ? "DUPLICATE" : "RECEIVED", rc.head.batch_id,
                   rc.head.voucher_count);
        else
            gv_log(rc.fault == GV_FAULT_BATCH_CONFLICT ? GV_LOG_ERROR : GV_LOG_WARNING,
                   "%sinbox %s refused: %s: %s",
                   rc.fault == GV_FAULT_BATCH_CONFLICT ? "ALERT " : "", e->d_name,
                   gv_fault_name(rc.fault), rc.err.msg);
        snprintf(dst, sizeof dst, "%s/%s", conf->inbox_dir, where);
        if (gv_mkdirs(dst, &err) < 0) {
            gv_log(GV_LOG_ERROR, "inbox: %s", err.msg);
            continue;
        }
        snprintf(dst, sizeof dst, "%s/%s/%s", conf->inbox_dir, where, e->d_name);
        snprintf(dstsig, sizeof dstsig, "%s.p7s", dst);
        if (rc.fault != GV_FAULT_NONE) {
            char errpath[PATH_MAX + 48];
            char line[sizeof rc.err.msg + 64];
            int n = snprintf(line, sizeof line, "%s: %s\n", gv_fault_name(rc.fault), rc.err.msg);
            snprintf(errpath, sizeof errpath, "%s.error", dst);
            gv_write_file_durably(errpath, line, (size_t)n, &err);
        }
        if (rename(path, dst) < 0 || rename(sig, dstsig) < 0)
            gv_log(GV_LOG_ERROR, "inbox: moving %s: %s", e->d_name, strerror(errno));
    }
    closedir(d);
}

static gv_wallet_client_t *client_for(const gv_conf_t *conf)
{
    gv_err_t err;
    gv_wallet_client_t *c;

    if (!conf->outbound_url)
        return NULL;
    if (!(c = gv_outbox_client(conf, &err)))
        gv_log(GV_LOG_ERROR, "[outbound]: %s: nothing is sent to the wallet", err.msg);
    return c;
}

static void *jobs_main(void *arg)
{
    gv_jobs_t *j = arg;
    gv_runtime_t *rt = NULL;
    gv_intake_t *in = NULL;
    gv_wallet_client_t *client = NULL;
    /* Kept from one round to the next: a holder on another node that
     * stops renewing is noticed by watching it (lease.h). */
    gv_lease_t *pull_lease = NULL, *outbox_lease = NULL, *inbox_lease = NULL;
    time_t next_process = 0, next_outbox = 0, next_inbox = 0, next_pull = 0, next_status = 0;
    int said_why = 0;

    for (;;) {
        int kicked;
        time_t wake;
        struct timespec until;

        pthread_mutex_lock(&j->lock);
        if (j->stopping) {
            pthread_mutex_unlock(&j->lock);
            break;
        }
        if (rt != j->rt) {
            /* A new configuration: everything built on the old one goes. */
            gv_lease_free(pull_lease, NULL);
            gv_lease_free(outbox_lease, NULL);
            gv_lease_free(inbox_lease, NULL);
            gv_intake_free(in);
            gv_wallet_client_free(client);
            in = NULL;
            client = NULL;
            pull_lease = outbox_lease = inbox_lease = NULL;
            gv_runtime_release(rt);
            rt = gv_runtime_acquire(j->rt);
            next_process = next_outbox = next_inbox = next_pull = next_status = 0;
            said_why = 0;
        }
        kicked = j->kicked;
        j->kicked = 0;
        pthread_mutex_unlock(&j->lock);

        if (!in) {
            gv_err_t err;
            if (!(in = gv_intake_new(rt, &err))) {
                /* Said once per configuration, not every ten seconds. */
                if (!said_why)
                    gv_log(GV_LOG_WARNING, "voucher lists are not taken in: %s", err.msg);
                said_why = 1;
            } else if (!(pull_lease = gv_lease_new("pull", rt->conf)) ||
                       !(outbox_lease = gv_lease_new("outbox", rt->conf)) ||
                       !(inbox_lease = gv_lease_new("inbox", rt->conf))) {
                gv_log(GV_LOG_ERROR, "out of memory");
                gv_lease_free(pull_lease, NULL);
                gv_lease_free(outbox_lease, NULL);
                gv_intake_free(in);
                in = NULL;
                pull_lease = outbox_lease = NULL;
            } else {
                client = client_for(rt->conf);
            }
        }
        /* Every instant a job stores, checks or signs is gv_clock_now() at
         * that moment; the jobs' own schedule (next_*) is real time. */
        if (in) {
            const gv_conf_t *conf = rt->conf;
            gv_err_t err;
            /* An inbox may be one folder the nodes share: one looks at a
             * time, so a file is never taken in and set aside by two. */
            if (conf->inbox_dir && time(NULL) >= next_inbox &&
                gv_db_ensure(gv_intake_db(in), gv_monotonic_ms(), &(gv_db_error_t){ 0 }) == 0 &&
                gv_lease_take(inbox_lease, gv_intake_db(in), &err) == 1) {
                scan_inbox(in, conf);
                gv_lease_release(inbox_lease, gv_intake_db(in));
                next_inbox = time(NULL) + conf->inbox_interval;
                kicked = 1;
            }
            if (client && conf->pull && time(NULL) >= next_pull) {
                gv_period_t due[2];
                int n = gv_jobs_due_periods(gv_time_local_day(gv_clock_now()), conf->pull_days,
                                            due, 2);
                for (int i = 0; i < n; i++) {
                    char period[8];
                    gv_pull_stats_t ps;
                    int r;
                    snprintf(period, sizeof period, "%04d-%02d", due[i].year, due[i].month);
                    /* Another node pulling does it for both. */
                    if ((r = gv_pull_period(in, client, pull_lease, 0, conf->provider_bin, period,
                                            gv_clock_now(), &ps, &err)) < 0)
                        gv_log(GV_LOG_WARNING, "pull %s: %s", period, err.msg);
                    else if (r == 1)
                        gv_log(GV_LOG_DEBUG, "pull %s: %s", period, err.msg);
                    else if (ps.fetched)
                        gv_log(GV_LOG_INFO, "pull %s: %ld new batch%s", period, ps.fetched,
                               ps.fetched == 1 ? "" : "es");
                    kicked |= ps.fetched > 0;
                }
                next_pull = time(NULL) + conf->pull_interval;
            }
            if (kicked || time(NULL) >= next_process) {
                long done = 0;
                int r = gv_intake_process(in, gv_clock_now(), 0, &done, &err);
                if (r < 0)
                    gv_log(GV_LOG_ERROR, "processing voucher lists: %s", err.msg);
                /* Another node is processing: it takes what is pending
                 * when it lists again, or this node does shortly. */
                next_process = time(NULL) + (r == 1 ? 2 : 60);
                if (done)
                    next_outbox = next_status = 0;
            }
            if (client && time(NULL) >= next_outbox) {
                gv_outbox_stats_t st;
                if (gv_db_ensure(gv_intake_db(in), gv_monotonic_ms(), &(gv_db_error_t){ 0 }) == 0 &&
                    gv_outbox_deliver(gv_intake_db(in), client, gv_intake_spool(in), outbox_lease,
                                      0, conf->retry_min, conf->retry_max, gv_clock_now(), &st,
                                      &err) < 0)
                    gv_log(GV_LOG_WARNING, "outbox: %s", err.msg);
                next_outbox = time(NULL) + conf->outbox_interval;
            }
            if (time(NULL) >= next_status) {
                refresh_status(in, conf);
                next_status = time(NULL) + GV_STATUS_INTERVAL;
            }
        }
        /* Sleep until the next job is due or a push wakes us. */
        wake = time(NULL) + (in ? 1 : 10);
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec = wake;
        pthread_mutex_lock(&j->lock);
        if (!j->kicked && !j->stopping)
            pthread_cond_timedwait(&j->cond, &j->lock, &until);
        pthread_mutex_unlock(&j->lock);
    }
    gv_lease_free(pull_lease, NULL);
    gv_lease_free(outbox_lease, NULL);
    gv_lease_free(inbox_lease, NULL);
    gv_intake_free(in);
    gv_wallet_client_free(client);
    gv_runtime_release(rt);
    return NULL;
}

gv_jobs_t *gv_jobs_start(gv_runtime_t *rt)
{
    gv_jobs_t *j = calloc(1, sizeof *j);

    if (!j)
        return NULL;
    pthread_mutex_init(&j->lock, NULL);
    pthread_cond_init(&j->cond, NULL);
    j->rt = gv_runtime_acquire(rt);
    if (gv_wallet_client_global_init() < 0 ||
        pthread_create(&j->thread, NULL, jobs_main, j) != 0) {
        gv_runtime_release(j->rt);
        free(j);
        return NULL;
    }
    return j;
}

void gv_jobs_swap(gv_jobs_t *j, gv_runtime_t *rt)
{
    gv_runtime_t *old;

    pthread_mutex_lock(&j->lock);
    old = j->rt;
    j->rt = gv_runtime_acquire(rt);
    j->kicked = 1;
    pthread_cond_signal(&j->cond);
    pthread_mutex_unlock(&j->lock);
    gv_runtime_release(old);
}

void gv_jobs_kick(void *ud)
{
    gv_jobs_t *j = ud;

    pthread_mutex_lock(&j->lock);
    j->kicked = 1;
    pthread_cond_signal(&j->cond);
    pthread_mutex_unlock(&j->lock);
}

void gv_jobs_stop(gv_jobs_t *j)
{
    if (!j)
        return;
    pthread_mutex_lock(&j->lock);
    j->stopping = 1;
    pthread_cond_signal(&j->cond);
    pthread_mutex_unlock(&j->lock);
    pthread_join(j->thread, NULL);
    gv_runtime_release(j->rt);
    pthread_mutex_destroy(&j->lock);
    pthread_cond_destroy(&j->cond);
    gv_wallet_client_global_cleanup();
    free(j);
}
