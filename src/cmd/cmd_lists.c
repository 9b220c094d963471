/* cmd_lists.c - the commands about voucher lists: taking them in
 * (ingest, process, pull) and what became of them (batches, trail,
 * report). */
#include "config.h"
#include "commands.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calendar.h"
#include "fault.h"
#include "intake.h"
#include "lease.h"
#include "outbox.h"
#include "pull.h"
#include "reportcmd.h"
#include "session.h"
#include "store.h"
#include "walletclient.h"

int cmd_run_processing(session_t *s, time_t now)
{
    gv_err_t err;
    long done = 0;

    if (gv_intake_process(s->in, now, 1, &done, &err) < 0) {
        fprintf(stderr, "processing stopped: %s\n", err.msg);
        if (done)
            fprintf(stderr, "%ld batch%s processed before that\n", done, done == 1 ? "" : "es");
        return 1;
    }
    printf("%ld batch%s processed\n", done, done == 1 ? "" : "es");
    return 0;
}

gv_wallet_client_t *cmd_open_client(const gv_conf_t *conf)
{
    gv_wallet_client_t *c;
    gv_err_t err;

    if (gv_wallet_client_global_init() < 0) {
        fprintf(stderr, "cannot initialise libcurl\n");
        return NULL;
    }
    if (!(c = gv_outbox_client(conf, &err)))
        fprintf(stderr, "[outbound]: %s\n", err.msg);
    return c;
}

void cmd_close_client(gv_wallet_client_t *c)
{
    if (!c)
        return;
    gv_wallet_client_free(c);
    gv_wallet_client_global_cleanup();
}

void cmd_print_instant(long long t)
{
    char buf[32];

    if (t <= 0) {
        printf("%-25s", "-");
        return;
    }
    gv_time_format_local((time_t)t, buf);
    printf("%-25s", buf);
}

int cmd_ingest(const cmd_args_t *a)
{
    int nfiles = a->argc, process = a->process;
    char **files = a->argv;
    time_t now = a->now;
    session_t s;
    int rc = 0;

    if (gv_session_open(a->conf_path, a->pinned_now, GV_NEED_INTAKE, &s) < 0)
        return 1;
    for (int i = 0; i < nfiles; i++) {
        gv_receipt_t r;
        if (gv_intake_receive_file(s.in, files[i], "file", now, &r) < 0) {
            fprintf(stderr, "%s: refused, %s: %s\n", files[i], gv_fault_name(r.fault), r.err.msg);
            rc = 1;
        } else {
            printf("%s: %s %s (%ld vouchers, sha256 %s)\n", files[i],
                   r.duplicate ? "DUPLICATE" : "RECEIVED", r.head.batch_id, r.head.voucher_count,
                   r.sha256);
        }
    }
    if (process && cmd_run_processing(&s, now) != 0)
        rc = 1;
    gv_session_close(&s);
    return rc;
}

int cmd_process(const cmd_args_t *a)
{
    session_t s;
    int rc;

    if (gv_session_open(a->conf_path, a->pinned_now, GV_NEED_INTAKE, &s) < 0)
        return 1;
    rc = cmd_run_processing(&s, a->now);
    gv_session_close(&s);
    return rc;
}

int cmd_pull(const cmd_args_t *a)
{
    const char *period = a->period;
    time_t now = a->now;
    session_t s;
    gv_wallet_client_t *c;
    gv_lease_t *lease;
    gv_pull_stats_t ps = { 0 };
    gv_period_t p;
    gv_err_t err;
    int rc = 0;

    if (!period || gv_period_parse(period, &p) < 0) {
        fprintf(stderr, "pull: --period YYYY-MM is needed\n");
        return 2;
    }
    if (gv_session_open(a->conf_path, a->pinned_now, GV_NEED_INTAKE, &s) < 0)
        return 1;
    if (!(c = cmd_open_client(s.rt->conf))) {
        gv_session_close(&s);
        return 1;
    }
    if (!(lease = gv_lease_new("pull", s.rt->conf)) ||
        gv_pull_period(s.in, c, lease, 1, s.rt->conf->provider_bin, period, now, &ps, &err) < 0) {
        fprintf(stderr, "pull: %s\n", lease ? err.msg : "out of memory");
        rc = 1;
    }
    gv_lease_free(lease, s.db);
    printf("pull %s: %ld listed, %ld fetched, %ld held already, %ld conflicts, %ld refused\n",
           period, ps.listed, ps.fetched, ps.held, ps.conflicts, ps.refused);
    if (cmd_run_processing(&s, now) != 0)
        rc = 1;
    cmd_close_client(c);
    gv_session_close(&s);
    return rc;
}

int cmd_batches(const cmd_args_t *a)
{
    const char *period = a->period;
    enum { MAX = 4096 };
    session_t s;
    gv_batch_row_t *rows = calloc(MAX, sizeof *rows);
    gv_db_error_t dbe;
    int n, rc = 0;

    if (!rows || gv_session_open(a->conf_path, a->pinned_now, GV_NEED_STORE, &s) < 0) {
        free(rows);
        return 1;
    }
    n = period ? gv_store_batches_of_period(s.db, period, rows, MAX, &dbe)
               : gv_store_batches_pending(s.db, rows, MAX, &dbe);
    if (n < 0) {
        fprintf(stderr, "%s\n", dbe.msg);
        rc = 1;
    } else {
        printf("%-28s %-7s %-9s %8s %8s %8s %-9s %-5s %-25s %s\n", "batch", "period", "part",
               "vouchers", "accepted", "rejected", "state", "sent", "received", "via");
        for (int i = 0; i < n; i++) {
            long acc = 0, rej = 0;
            char part[24];
            gv_store_batch_items(s.db, rows[i].batch_id, &acc, &rej, NULL, NULL,
                                 &dbe);
            if (rows[i].parts)
                snprintf(part, sizeof part, "%ld/%ld", rows[i].part, rows[i].parts);
            else
                snprintf(part, sizeof part, "%ld/?", rows[i].part);
            printf("%-28s %-7s %-9s %8ld %8ld %8ld %-9s %-5ld ", rows[i].batch_id, rows[i].period,
                   part, rows[i].voucher_count, acc, rej, rows[i].state, rows[i].revision);
            cmd_print_instant(rows[i].received_at);
            printf(" %s\n", rows[i].channel);
        }
    }
    free(rows);
    gv_session_close(&s);
    return rc;
}

static int print_trail(void *ud, int64_t at, const char *voucher_id, const char *batch_id,
                       long item, const char *old_outcome, const char *new_outcome,
                       const char *cause_batch)
{
    long *count = ud;

    cmd_print_instant(at);
    printf(" %-22s %s#%ld: %s -> %s (after %s)\n", voucher_id, batch_id, item, old_outcome,
           new_outcome, cause_batch);
    (*count)++;
    return 0;
}

int cmd_trail(const cmd_args_t *a)
{
    const char *period = a->period;
    session_t s;
    gv_db_error_t dbe;
    long count = 0;
    int rc = 0;

    if (!period) {
        fprintf(stderr, "trail: --period YYYY-MM is needed\n");
        return 2;
    }
    if (gv_session_open(a->conf_path, a->pinned_now, GV_NEED_STORE, &s) < 0)
        return 1;
    if (gv_store_trail(s.db, period, print_trail, &count, &dbe) < 0) {
        fprintf(stderr, "%s\n", dbe.msg);
        rc = 1;
    } else {
        printf("%ld change%s\n", count, count == 1 ? "" : "s");
    }
    gv_session_close(&s);
    return rc;
}

/* gasvoucher report: the options are parsed in gasvoucher.c; the rest is
 * src/report/reportcmd.c.  Reading the report needs gasvoucher's tables
 * (and the site, for --check), never the signing key. */
int cmd_report(const cmd_args_t *a)
{
    gv_report_request_t req = { 0 };
    gv_errlist_t errs = { 0 };
    gv_conf_t *conf;
    session_t s;
    int rc;

    req.period = a->period;
    req.format = a->format;
    req.lang = a->lang;
    req.output = a->output;
    req.only_table = a->only_table;
    req.bom = a->bom;
    req.check = a->check;
    req.now = a->now;
    /* The clerk's language first: [report] lang is in the configuration. */
    if (!(conf = gv_conf_load(a->conf_path, &errs))) {
        gv_print_errors(&errs);
        gv_errlist_free(&errs);
        return 1;
    }
    rc = gv_report_language(&req, conf);
    gv_conf_free(conf);
    if (rc || (rc = gv_report_validate(&req)))
        return rc;
    if (gv_session_open(a->conf_path, a->pinned_now, GV_NEED_STORE, &s) < 0)
        return 1;
    rc = gv_report_command(&req, s.rt, s.db, s.spool);
    gv_session_close(&s);
    return rc;
}
