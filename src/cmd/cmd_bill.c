/* cmd_bill.c - gasvoucher bill: one period's billing run, or every
 * period due today (the daily timer), and its summary. */
#include "config.h"
#include "commands.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "billing.h"
#include "calendar.h"
#include "fsutil.h"
#include "jobs.h"
#include "lease.h"
#include "money.h"
#include "outbox.h"
#include "params.h"
#include "session.h"
#include "walletclient.h"

/* Progress on a terminal: count, rate and time left, one line redrawn. */
typedef struct progress {
    int64_t started_ms;
    const char *period;
} progress_t;

static void show_progress(void *ud, long done, long total)
{
    progress_t *p = ud;
    double secs = (double)(gv_monotonic_ms() - p->started_ms) / 1000.0;
    double rate = secs > 0 ? done / secs : 0;
    long left = rate > 0 && total > done ? (long)((total - done) / rate) : 0;

    fprintf(stderr, "\rbilling %s: %ld of %ld vouchers, %.0f/s, %ldm%02lds left   ", p->period,
            done, total, rate, left / 60, left % 60);
    fflush(stderr);
}

static void print_money(const char *label, int64_t tiyn)
{
    char text[40];
    gv_decimal_format(tiyn, 2, text, sizeof text);
    printf("  %-22s %16s tenge (%lld tiyn)\n", label, text, (long long)tiyn);
}

/* One period's run and its summary.  Exit status: 0 done, 1 failed,
 * 3 list incomplete, 4 done with conflicts an operator must look at. */
static int bill_period(session_t *s, const gv_params_t *params, gv_period_t period, time_t now,
                       int dry_run, int allow_partial)
{
    const gv_conf_t *conf = s->rt->conf;
    gv_billing_env_t env;
    gv_billing_opts_t opts;
    gv_billing_summary_t sum;
    gv_billing_result_t res;
    progress_t prog;
    char period_text[8];
    gv_err_t err;

    snprintf(period_text, sizeof period_text, "%04d-%02d", period.year, period.month);
    memset(&opts, 0, sizeof opts);
    env.db = s->db;
    env.adapter = s->rt->adapter;
    env.conf = conf;
    env.map = s->rt->map;
    env.params = params;
    env.provider_bin = conf->provider_bin;
    env.spool = s->spool;
    env.signer = s->signer;
    opts.period = period;
    opts.now = now;
    opts.dry_run = dry_run;
    opts.allow_partial = allow_partial;
    opts.chunk = conf->billing_chunk;
    opts.retries = conf->billing_retries;
    opts.reconnect_for_s = conf->billing_reconnect_for;
    opts.dry_out = stdout;
    prog.started_ms = gv_monotonic_ms();
    prog.period = period_text;
    if (!dry_run && isatty(STDERR_FILENO)) {
        opts.progress = show_progress;
        opts.progress_ud = &prog;
    }
    res = gv_billing_run(&env, &opts, &sum, &err);
    if (opts.progress)
        fputc('\n', stderr);
    if (sum.missing_parts[0] && res != GV_BILLING_INCOMPLETE)
        fprintf(stderr, "bill: warning: billing an incomplete list (--allow-partial): %s\n",
                sum.missing_parts);
    if (res == GV_BILLING_FAILED || res == GV_BILLING_INCOMPLETE)
        fprintf(stderr, "bill %s: %s\n", period_text, err.msg);
    for (size_t i = 0; i < sum.conflict_msgs.count; i++)
        fprintf(stderr, "bill %s: conflict: %s\n", period_text, sum.conflict_msgs.items[i]);
    /* A run that stopped before it looked at any voucher has only its
     * error to tell. */
    if (res != GV_BILLING_INCOMPLETE && (res != GV_BILLING_FAILED || sum.todo > 0)) {
        double secs = (double)(gv_monotonic_ms() - prog.started_ms) / 1000.0;
        printf("%s %s, run %s: %ld vouchers looked at in %.1f s\n",
               dry_run ? "dry run of" : "billing", period_text, sum.run_id, sum.todo, secs);
        printf("  %-22s %16ld\n  %-22s %16ld\n", dry_run ? "would bill" : "billed", sum.billed,
               "pending", sum.pending);
        for (int p = GV_PENDING_NONE + 1; p < GV_PENDING_COUNT; p++)
            if (sum.pending_by[p])
                printf("    %-20s %16ld\n", gv_pending_name((gv_pending_t)p), sum.pending_by[p]);
        printf("  %-22s %16ld\n", "conflicts", sum.conflicts);
        if (sum.deadline_passed)
            printf("  %-22s %16ld\n", "pending, past deadline", sum.deadline_passed);
        print_money("charge", sum.charge);
        print_money("discount", sum.discount);
        print_money("amount due", sum.due);
        if (sum.tx_retries || sum.reconnects)
            printf("  %ld chunk(s) tried again, %ld reconnection(s)\n", sum.tx_retries,
                   sum.reconnects);
        if (sum.report_id[0])
            printf("  redemption report %s: %ld redeemed, %ld pending, discount %lld tiyn\n",
                   sum.report_id, sum.report_redeemed, sum.report_pending,
                   (long long)sum.report_discount);
    }
    gv_billing_summary_free(&sum);
    return res == GV_BILLING_DONE ? 0 : res == GV_BILLING_CONFLICTS ? 4
         : res == GV_BILLING_INCOMPLETE ? 3 : 1;
}

/* gasvoucher bill --period P, or --due: every period whose list is due
 * and whose Pending deadline has not passed (the daily timer). */
int cmd_bill(const cmd_args_t *a)
{
    const char *period_text = a->period;
    int due = a->due, dry_run = a->dry_run, allow_partial = a->allow_partial, send = a->send;
    time_t now = a->now;
    /* A dry run signs nothing; --due processes what was received first. */
    unsigned needs = due ? GV_NEED_INTAKE : dry_run ? GV_NEED_BULK : GV_NEED_BULK | GV_NEED_SIGNER;
    session_t s;
    gv_errlist_t errs = { 0 };
    gv_params_t *params;
    gv_period_t periods[8];
    int n = 0, rc = 0;
    gv_err_t err;

    if (due == (period_text != NULL) ||
        (period_text && gv_period_parse(period_text, &periods[0]) < 0)) {
        fprintf(stderr, "bill: --period YYYY-MM or --due is needed\n");
        return 2;
    }
    if (gv_session_open(a->conf_path, a->pinned_now, needs, &s) < 0)
        return 1;
    if (!s.rt->conf->billing_program) {
        fprintf(stderr, "%s: [billing] program is not set: billing needs the program's "
                        "prices, VAT, norms and discount rule\n", s.rt->conf->path);
        gv_session_close(&s);
        return 1;
    }
    params = gv_params_load(s.rt->conf->billing_program, &errs);
    gv_print_errors(&errs);
    gv_errlist_free(&errs);
    if (!params) {
        gv_session_close(&s);
        return 1;
    }
    if (period_text) {
        n = 1;
    } else {
        /* Lists received but not processed yet belong in the bills. */
        if (!dry_run && cmd_run_processing(&s, now) != 0)
            rc = 1;
        n = gv_jobs_due_periods(gv_time_local_day(now),
                                gv_params_pending_deadline_days(params), periods, 8);
        if (n == 0)
            printf("bill --due: no period is due today\n");
    }
    for (int i = 0; i < n; i++) {
        int r = bill_period(&s, params, periods[i], now, dry_run, allow_partial);
        /* Waiting for parts on a daily schedule is not a failure: the
         * timer comes back tomorrow and the message is in the journal. */
        if (due && r == 3)
            r = 0;
        if (r > rc)
            rc = r;
    }
    if (send && !dry_run && s.rt->conf->outbound_url) {
        gv_wallet_client_t *c = cmd_open_client(s.rt->conf);
        gv_lease_t *lease = gv_lease_new("outbox", s.rt->conf);
        gv_outbox_stats_t ost;
        int r = c && lease ? gv_outbox_deliver(s.db, c, s.spool, lease, 0, s.rt->conf->retry_min,
                                               s.rt->conf->retry_max, now, &ost, &err)
                           : -1;
        /* A daemon delivering at this moment sends the reports as well. */
        if (r == 0)
            printf("outbox: %ld delivered, %ld left for the daemon to retry\n", ost.delivered,
                   ost.retrying + ost.refused);
        else if (r == 1)
            printf("outbox: left to the daemon: %s\n", err.msg);
        else if (c)
            fprintf(stderr, "bill: reports stay in the outbox: %s\n",
                    lease ? err.msg : "out of memory");
        gv_lease_free(lease, s.db);
        cmd_close_client(c);
    }
    gv_params_free(params);
    gv_session_close(&s);
    return rc;
}
