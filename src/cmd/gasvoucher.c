/* gasvoucher - the command for a site's engineers and billing clerks. */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "calendar.h"
#include "billing.h"
#include "check.h"
#include "fsutil.h"
#include "intake.h"
#include "jobs.h"
#include "log.h"
#include "mask.h"
#include "money.h"
#include "outbox.h"
#include "params.h"
#include "pull.h"
#include "reportcmd.h"
#include "runtime.h"
#include "store.h"
#include "walletclient.h"
#include "xmlsafe.h"

#ifndef SYSCONFDIR
#define SYSCONFDIR "/etc"
#endif
#define DEFAULT_CONF SYSCONFDIR "/gasvoucher/gasvoucher.conf"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: gasvoucher [-c FILE] COMMAND ...\n"
            "  config check              check gasvoucher.conf and its mapping\n"
            "  config keys               list every configuration key\n"
            "  mapping check [MAPPING]   check a mapping against the live database\n"
            "  account NUMBER [--period YYYY-MM]\n"
            "                            look an account up as the wallet would\n"
            "  db migrate                create or upgrade gasvoucher's own tables\n"
            "  ingest FILE...            take in batch files (NAME.xml or NAME.csv, each\n"
            "                            with NAME.xml.p7s), then process them\n"
            "      --no-process          only check and store them\n"
            "  process                   process every batch received and not processed\n"
            "  pull --period YYYY-MM     fetch the period's lists from the wallet, process\n"
            "  batches [--period YYYY-MM]  list the batches received\n"
            "  trail --period YYYY-MM    outcomes a later part changed (R7)\n"
            "  report --period YYYY-MM   the period's reconciliation for billing clerks:\n"
            "                            summary and registers (exit 4: needs a person)\n"
            "      --format text|csv|xlsx|html  --lang ru|kk|en  --output FILE|FOLDER\n"
            "      --register NAME --bom  one CSV register; a byte order mark for Excel\n"
            "      --check               compare the bills with the billing database\n"
            "  bill --period YYYY-MM     bill the period's accepted vouchers (R9-R20), send\n"
            "                            the redemption report\n"
            "  bill --due                process, then bill every period due today (R5) or\n"
            "                            still retrying Pending vouchers (the daily timer)\n"
            "      --dry-run             print the bills and the SQL, change nothing\n"
            "      --allow-partial       bill although parts of the list are missing\n"
            "      --no-send             leave the report in the outbox for the daemon\n"
            "  outbox [--all]            list messages for the wallet not yet delivered\n"
            "  outbox send               deliver what is due now\n"
            "  outbox retry MSG_ID       try a failed message again\n"
            "  version                   print the version\n"
            "  --now DATETIME            take this instant as now (R1a), e.g.\n"
            "                            2025-09-30T10:00:00+05:00\n"
            "  -c, --config FILE         configuration (default %s)\n",
            DEFAULT_CONF);
}

static void print_errors(gv_errlist_t *errs)
{
    for (size_t i = 0; i < errs->count; i++)
        fprintf(stderr, "%s\n", errs->items[i]);
}

static int cmd_config_check(const char *conf_path)
{
    gv_errlist_t errs = { 0 };
    gv_runtime_t *rt = gv_runtime_load(conf_path, &errs);

    print_errors(&errs);
    gv_errlist_free(&errs);
    if (!rt)
        return 1;
    printf("%s: valid (mapping %s)\n", conf_path, rt->map->path);
    gv_runtime_release(rt);
    return 0;
}

static int cmd_mapping_check(const char *conf_path, const char *mapping_path)
{
    gv_errlist_t errs = { 0 };
    gv_conf_t *conf = gv_conf_load(conf_path, &errs);
    gv_mapping_t *map = NULL;
    int rc = 1;

    if (conf)
        map = gv_mapping_load(mapping_path ? mapping_path : conf->mapping_path, &errs);
    if (map && gv_adapter_find("sql")->check_mapping(conf, map, &errs) == 0) {
        printf("%s: every statement prepares and returns the columns gasvoucher needs\n",
               map->path);
        rc = 0;
    }
    print_errors(&errs);
    if (rc)
        fprintf(stderr, "%zu problem%s\n", errs.count, errs.count == 1 ? "" : "s");
    gv_errlist_free(&errs);
    gv_mapping_free(map);
    gv_conf_free(conf);
    return rc;
}

static int cmd_account(const char *conf_path, const char *number, const char *period_text)
{
    gv_errlist_t errs = { 0 };
    gv_runtime_t *rt = gv_runtime_load(conf_path, &errs);
    gv_period_t period;
    gv_account_record_t rec;
    gv_db_error_t e;
    gv_err_t err;
    gv_lookup_t found = GV_LOOKUP_NOT_FOUND;
    char canonical[GV_ACCOUNT_MAX + 1], holder[512], address[1024], when[11];
    void *actx;
    int rc = 0;

    print_errors(&errs);
    gv_errlist_free(&errs);
    if (!rt)
        return 1;
    if (gv_time_init(rt->conf->time_zone) < 0) {
        fprintf(stderr, "time zone %s is not in the tz database\n", rt->conf->time_zone);
        gv_runtime_release(rt);
        return 1;
    }
    if (period_text) {
        if (gv_period_parse(period_text, &period) < 0) {
            fprintf(stderr, "--period: expected YYYY-MM, got '%s'\n", period_text);
            gv_runtime_release(rt);
            return 2;
        }
    } else {
        int y, m, d;
        gv_civil_from_days(gv_time_local_day(time(NULL)), &y, &m, &d);
        period.year = y;
        period.month = m;
    }
    actx = rt->adapter->open(rt->conf, rt->map, &err);
    if (!actx) {
        fprintf(stderr, "%s\n", err.msg);
        gv_runtime_release(rt);
        return 1;
    }
    if (gv_account_normalise(&rt->map->account, number, canonical, sizeof canonical) == 0)
        found = rt->adapter->find_account(actx, canonical, period, 0, &rec, &e);
    if (found == GV_LOOKUP_RETRY) {
        fprintf(stderr, "the billing database did not answer: %s\n", e.msg);
        rc = 1;
    } else {
        gv_check_result_t r = gv_check_decide(found == GV_LOOKUP_FOUND ? &rec : NULL, period,
                                              rt->conf);
        printf("result: %s\n", gv_check_result_name(r));
        if (found == GV_LOOKUP_FOUND) {
            gv_mask_holder(rec.holder, holder, sizeof holder);
            gv_mask_address(rec.settlement[0] ? rec.settlement : NULL, rec.address,
                            (const char *const *)rt->map->settlement_markers, address,
                            sizeof address);
            printf("account: %s\nholder: %s\naddress: %s\nregion: %s\nhousehold: %s\n"
                   "metered: %s\nresidents: %d\n",
                   rec.account, holder, address, rec.region, rec.household ? "yes" : "no",
                   rec.metered ? "yes" : "no", rec.residents);
            if (rec.closed) {
                gv_date_format(rec.closed_on, when);
                printf("closed: %s\n", when);
            }
        }
    }
    rt->adapter->close(actx);
    gv_runtime_release(rt);
    return rc;
}

/* Everything the list commands need: configuration, spool, database. */
typedef struct session {
    gv_runtime_t *rt;
    gv_intake_t *in;
} session_t;

static int open_session(const char *conf_path, session_t *s, int connect)
{
    gv_errlist_t errs = { 0 };
    gv_err_t err;
    gv_db_error_t dbe;

    memset(s, 0, sizeof *s);
    s->rt = gv_runtime_load(conf_path, &errs);
    print_errors(&errs);
    gv_errlist_free(&errs);
    if (!s->rt)
        return -1;
    gv_log_set_level(s->rt->conf->log_level);
    if (gv_time_init(s->rt->conf->time_zone) < 0) {
        fprintf(stderr, "time zone %s is not in the tz database\n", s->rt->conf->time_zone);
        goto fail;
    }
    if (gv_xml_init(&err) < 0 || !(s->in = gv_intake_new(s->rt, &err))) {
        fprintf(stderr, "%s\n", err.msg);
        goto fail;
    }
    if (connect) {
        int version;
        if (gv_db_ensure(gv_intake_db(s->in), gv_monotonic_ms(), &dbe) < 0) {
            fprintf(stderr, "cannot connect to the database: %s\n", dbe.msg);
            goto fail;
        }
        if (gv_store_version(gv_intake_db(s->in), &version, &dbe) < 0) {
            fprintf(stderr, "%s\n", dbe.msg);
            goto fail;
        }
        if (version != GV_SCHEMA_VERSION) {
            fprintf(stderr,
                    "gasvoucher's tables are at version %d, this program needs %d: run "
                    "'gasvoucher db migrate'\n",
                    version, GV_SCHEMA_VERSION);
            goto fail;
        }
    }
    return 0;
fail:
    gv_intake_free(s->in);
    gv_runtime_release(s->rt);
    s->in = NULL;
    s->rt = NULL;
    return -1;
}

static void close_session(session_t *s)
{
    gv_intake_free(s->in);
    gv_runtime_release(s->rt);
    gv_xml_cleanup();
}

static int cmd_db_migrate(const char *conf_path, time_t now)
{
    session_t s;
    gv_db_error_t dbe;
    int from, to, rc = 0;

    if (open_session(conf_path, &s, 0) < 0)
        return 1;
    if (gv_db_ensure(gv_intake_db(s.in), gv_monotonic_ms(), &dbe) < 0 ||
        gv_store_migrate(gv_intake_db(s.in), now, &from, &to, &dbe) < 0) {
        fprintf(stderr, "migration failed: %s\n", dbe.msg);
        rc = 1;
    } else if (from == to) {
        printf("gasvoucher's tables are at version %d: nothing to do\n", to);
    } else {
        printf("gasvoucher's tables migrated from version %d to %d\n", from, to);
    }
    close_session(&s);
    return rc;
}

static int run_processing(session_t *s, time_t now)
{
    gv_err_t err;
    long done = 0;

    if (gv_intake_process(s->in, now, &done, &err) < 0) {
        fprintf(stderr, "processing stopped: %s\n", err.msg);
        if (done)
            fprintf(stderr, "%ld batch%s processed before that\n", done, done == 1 ? "" : "es");
        return 1;
    }
    printf("%ld batch%s processed\n", done, done == 1 ? "" : "es");
    return 0;
}

static int cmd_ingest(const char *conf_path, int nfiles, char **files, int process, time_t now)
{
    session_t s;
    int rc = 0;

    if (open_session(conf_path, &s, 1) < 0)
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
    if (process && run_processing(&s, now) != 0)
        rc = 1;
    close_session(&s);
    return rc;
}

static int cmd_process(const char *conf_path, time_t now)
{
    session_t s;
    int rc;

    if (open_session(conf_path, &s, 1) < 0)
        return 1;
    rc = run_processing(&s, now);
    close_session(&s);
    return rc;
}

static gv_wallet_client_t *open_client(const gv_conf_t *conf)
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

static int cmd_pull(const char *conf_path, const char *period, time_t now)
{
    session_t s;
    gv_wallet_client_t *c;
    gv_pull_stats_t ps;
    gv_period_t p;
    gv_err_t err;
    int rc = 0;

    if (!period || gv_period_parse(period, &p) < 0) {
        fprintf(stderr, "pull: --period YYYY-MM is needed\n");
        return 2;
    }
    if (open_session(conf_path, &s, 1) < 0)
        return 1;
    if (!(c = open_client(s.rt->conf))) {
        close_session(&s);
        return 1;
    }
    if (gv_pull_period(s.in, c, s.rt->conf->provider_bin, period, now, &ps, &err) < 0) {
        fprintf(stderr, "pull: %s\n", err.msg);
        rc = 1;
    }
    printf("pull %s: %ld listed, %ld fetched, %ld held already, %ld conflicts, %ld refused\n",
           period, ps.listed, ps.fetched, ps.held, ps.conflicts, ps.refused);
    if (run_processing(&s, now) != 0)
        rc = 1;
    gv_wallet_client_free(c);
    gv_wallet_client_global_cleanup();
    close_session(&s);
    return rc;
}

static void print_instant(int64_t t)
{
    char buf[32];

    if (t <= 0) {
        printf("%-25s", "-");
        return;
    }
    gv_time_format_local((time_t)t, buf);
    printf("%-25s", buf);
}

static int cmd_batches(const char *conf_path, const char *period)
{
    enum { MAX = 4096 };
    session_t s;
    gv_batch_row_t *rows = calloc(MAX, sizeof *rows);
    gv_db_error_t dbe;
    int n, rc = 0;

    if (!rows || open_session(conf_path, &s, 1) < 0) {
        free(rows);
        return 1;
    }
    n = period ? gv_store_batches_of_period(gv_intake_db(s.in), period, rows, MAX, &dbe)
               : gv_store_batches_pending(gv_intake_db(s.in), rows, MAX, &dbe);
    if (n < 0) {
        fprintf(stderr, "%s\n", dbe.msg);
        rc = 1;
    } else {
        printf("%-28s %-7s %-9s %8s %8s %8s %-9s %-5s %-25s %s\n", "batch", "period", "part",
               "vouchers", "accepted", "rejected", "state", "sent", "received", "via");
        for (int i = 0; i < n; i++) {
            long acc = 0, rej = 0;
            char part[24];
            gv_store_batch_items(gv_intake_db(s.in), rows[i].batch_id, &acc, &rej, NULL, NULL,
                                 &dbe);
            if (rows[i].parts)
                snprintf(part, sizeof part, "%ld/%ld", rows[i].part, rows[i].parts);
            else
                snprintf(part, sizeof part, "%ld/?", rows[i].part);
            printf("%-28s %-7s %-9s %8ld %8ld %8ld %-9s %-5ld ", rows[i].batch_id, rows[i].period,
                   part, rows[i].voucher_count, acc, rej, rows[i].state, rows[i].revision);
            print_instant(rows[i].received_at);
            printf(" %s\n", rows[i].channel);
        }
    }
    free(rows);
    close_session(&s);
    return rc;
}

static int print_trail(void *ud, int64_t at, const char *voucher_id, const char *batch_id,
                       long item, const char *old_outcome, const char *new_outcome,
                       const char *cause_batch)
{
    long *count = ud;

    print_instant(at);
    printf(" %-22s %s#%ld: %s -> %s (after %s)\n", voucher_id, batch_id, item, old_outcome,
           new_outcome, cause_batch);
    (*count)++;
    return 0;
}

/* gasvoucher report: options here, the rest in src/report/reportcmd.c. */
static int cmd_report(const char *conf_path, int argc, char **argv, time_t now)
{
    static const struct option opts[] = {
        { "period", required_argument, NULL, 'p' },
        { "format", required_argument, NULL, 'f' },
        { "lang", required_argument, NULL, 'l' },
        { "output", required_argument, NULL, 'o' },
        { "register", required_argument, NULL, 'r' },
        { "bom", no_argument, NULL, 'B' },
        { "check", no_argument, NULL, 'C' },
        { "now", required_argument, NULL, 'n' },
        { NULL, 0, NULL, 0 },
    };
    gv_report_request_t req = { .now = now };
    gv_errlist_t errs = { 0 };
    gv_conf_t *conf;
    session_t s;
    int c, rc;

    optind = 1;
    while ((c = getopt_long(argc, argv, "p:f:l:o:", opts, NULL)) != -1) {
        switch (c) {
        case 'p': req.period = optarg; break;
        case 'f': req.format = optarg; break;
        case 'l': req.lang = optarg; break;
        case 'o': req.output = optarg; break;
        case 'r': req.only_table = optarg; break;
        case 'B': req.bom = 1; break;
        case 'C': req.check = 1; break;
        case 'n':
            if (gv_datetime_parse(optarg, &req.now) != 0) {
                fprintf(stderr, "--now: '%s' is not a date and time with an offset\n", optarg);
                return 2;
            }
            break;
        default: usage(stderr); return 2;
        }
    }
    if (optind != argc) {
        usage(stderr);
        return 2;
    }
    /* The clerk's language first: [report] lang is in the configuration. */
    if (!(conf = gv_conf_load(conf_path, &errs))) {
        print_errors(&errs);
        gv_errlist_free(&errs);
        return 1;
    }
    rc = gv_report_language(&req, conf);
    gv_conf_free(conf);
    if (rc || (rc = gv_report_validate(&req)))
        return rc;
    if (open_session(conf_path, &s, 1) < 0)
        return 1;
    rc = gv_report_command(&req, s.rt, gv_intake_db(s.in), gv_intake_spool(s.in));
    close_session(&s);
    return rc;
}

static int cmd_trail(const char *conf_path, const char *period)
{
    session_t s;
    gv_db_error_t dbe;
    long count = 0;
    int rc = 0;

    if (!period) {
        fprintf(stderr, "trail: --period YYYY-MM is needed\n");
        return 2;
    }
    if (open_session(conf_path, &s, 1) < 0)
        return 1;
    if (gv_store_trail(gv_intake_db(s.in), period, print_trail, &count, &dbe) < 0) {
        fprintf(stderr, "%s\n", dbe.msg);
        rc = 1;
    } else {
        printf("%ld change%s\n", count, count == 1 ? "" : "s");
    }
    close_session(&s);
    return rc;
}

static int cmd_outbox_list(const char *conf_path, int all)
{
    enum { MAX = 4096 };
    session_t s;
    gv_outbox_row_t *rows = calloc(MAX, sizeof *rows);
    gv_db_error_t dbe;
    int n, rc = 0, shown = 0;

    if (!rows || open_session(conf_path, &s, 1) < 0) {
        free(rows);
        return 1;
    }
    if ((n = gv_store_outbox_list(gv_intake_db(s.in), NULL, 0, rows, MAX, &dbe)) < 0) {
        fprintf(stderr, "%s\n", dbe.msg);
        rc = 1;
    } else {
        printf("%-36s %-19s %-10s %8s %-25s %s\n", "message", "kind", "state", "attempts",
               "next try", "last error");
        for (int i = 0; i < n; i++) {
            if (!all && !strcmp(rows[i].state, "DELIVERED"))
                continue;
            printf("%-36s %-19s %-10s %8ld ", rows[i].msg_id, rows[i].kind, rows[i].state,
                   rows[i].attempts);
            print_instant(strcmp(rows[i].state, "PENDING") ? 0 : rows[i].next_attempt_at);
            printf(" %s\n", rows[i].last_error);
            shown++;
        }
        printf("%d message%s\n", shown, shown == 1 ? "" : "s");
    }
    free(rows);
    close_session(&s);
    return rc;
}

static int cmd_outbox_send(const char *conf_path, time_t now)
{
    session_t s;
    gv_wallet_client_t *c;
    gv_outbox_stats_t st;
    gv_err_t err;
    int rc = 0;

    if (open_session(conf_path, &s, 1) < 0)
        return 1;
    if (!(c = open_client(s.rt->conf))) {
        close_session(&s);
        return 1;
    }
    if (gv_outbox_deliver(gv_intake_db(s.in), c, gv_intake_spool(s.in), s.rt->conf->retry_min,
                          s.rt->conf->retry_max, now, &st, &err) < 0) {
        fprintf(stderr, "%s\n", err.msg);
        rc = 1;
    }
    printf("outbox: %ld delivered, %ld to retry, %ld refused\n", st.delivered, st.retrying,
           st.refused);
    if (st.retrying || st.refused)
        rc = 1;
    gv_wallet_client_free(c);
    gv_wallet_client_global_cleanup();
    close_session(&s);
    return rc;
}

static int cmd_outbox_retry(const char *conf_path, const char *msg_id, time_t now)
{
    session_t s;
    gv_err_t err;
    int rc = 0;

    if (open_session(conf_path, &s, 1) < 0)
        return 1;
    if (gv_outbox_retry(gv_intake_db(s.in), msg_id, now, &err) < 0) {
        fprintf(stderr, "%s\n", err.msg);
        rc = 1;
    } else {
        printf("%s will be tried again at the next delivery\n", msg_id);
    }
    close_session(&s);
    return rc;
}

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
    env.db = gv_intake_db(s->in);
    env.map = s->rt->map;
    env.params = params;
    env.provider_bin = conf->provider_bin;
    env.spool = gv_intake_spool(s->in);
    env.signer = gv_intake_signer(s->in);
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
    if (res != GV_BILLING_INCOMPLETE) {
        double secs = (double)(gv_monotonic_ms() - prog.started_ms) / 1000.0;
        printf("%s %s, run %s: %ld vouchers looked at in %.1f s\n",
               dry_run ? "dry run of" : "billing", period_text, sum.run_id, sum.todo, secs);
        printf("  %-22s %16ld\n  %-22s %16ld\n  %-22s %16ld\n", dry_run ? "would bill" : "billed",
               sum.billed, "pending", sum.pending, "conflicts", sum.conflicts);
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
static int cmd_bill(const char *conf_path, const char *period_text, int due, time_t now,
                    int dry_run, int allow_partial, int send)
{
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
    if (open_session(conf_path, &s, 1) < 0)
        return 1;
    if (!s.rt->conf->billing_program) {
        fprintf(stderr, "%s: [billing] program is not set: billing needs the program's "
                        "prices, VAT, norms and discount rule\n", s.rt->conf->path);
        close_session(&s);
        return 1;
    }
    params = gv_params_load(s.rt->conf->billing_program, &errs);
    print_errors(&errs);
    gv_errlist_free(&errs);
    if (!params) {
        close_session(&s);
        return 1;
    }
    if (period_text) {
        n = 1;
    } else {
        /* Lists received but not processed yet belong in the bills. */
        if (!dry_run && run_processing(&s, now) != 0)
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
        gv_wallet_client_t *c = open_client(s.rt->conf);
        gv_outbox_stats_t ost;
        if (c && gv_outbox_deliver(gv_intake_db(s.in), c, gv_intake_spool(s.in),
                                   s.rt->conf->retry_min, s.rt->conf->retry_max, now, &ost,
                                   &err) == 0)
            printf("outbox: %ld delivered, %ld left for the daemon to retry\n", ost.delivered,
                   ost.retrying + ost.refused);
        else if (c)
            fprintf(stderr, "bill: reports stay in the outbox: %s\n", err.msg);
        gv_wallet_client_free(c);
        gv_wallet_client_global_cleanup();
    }
    gv_params_free(params);
    close_session(&s);
    return rc;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        { "config", required_argument, NULL, 'c' },
        { "period", required_argument, NULL, 'p' },
        { "now", required_argument, NULL, 'n' },
        { "no-process", no_argument, NULL, 'N' },
        { "all", no_argument, NULL, 'a' },
        { "dry-run", no_argument, NULL, 'D' },
        { "allow-partial", no_argument, NULL, 'P' },
        { "no-send", no_argument, NULL, 'S' },
        { "due", no_argument, NULL, 'U' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *conf_path = DEFAULT_CONF, *period = NULL, *now_text = NULL;
    int c, process = 1, all = 0, dry_run = 0, allow_partial = 0, send = 1, due = 0;
    time_t now = time(NULL);

    while ((c = getopt_long(argc, argv, "+c:h", opts, NULL)) != -1) {
        switch (c) {
        case 'c': conf_path = optarg; break;
        case 'n': now_text = optarg; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    argc -= optind;
    argv += optind;
    if (gv_time_init(GV_TIMEZONE) < 0) {
        fprintf(stderr, "gasvoucher: time zone %s is not in the tz database (install tzdata)\n",
                GV_TIMEZONE);
        return 1;
    }
    if (now_text && gv_datetime_parse(now_text, &now) != 0) {
        fprintf(stderr, "--now: expected a date and time with its offset, e.g. "
                        "2025-09-30T10:00:00+05:00; got '%s'\n", now_text);
        return 2;
    }
    if (argc >= 1 && !strcmp(argv[0], "version")) {
        printf("gasvoucher %s\n", PACKAGE_VERSION);
        return 0;
    }
    if (argc == 2 && !strcmp(argv[0], "config") && !strcmp(argv[1], "check"))
        return cmd_config_check(conf_path);
    if (argc == 2 && !strcmp(argv[0], "config") && !strcmp(argv[1], "keys")) {
        char name[128];
        for (size_t i = 0; gv_conf_key_name(i, name, sizeof name); i++)
            printf("%s\n", name);
        return 0;
    }
    if ((argc == 2 || argc == 3) && !strcmp(argv[0], "mapping") && !strcmp(argv[1], "check"))
        return cmd_mapping_check(conf_path, argc == 3 ? argv[2] : NULL);
    if (argc >= 2 && !strcmp(argv[0], "account")) {
        const char *number = argv[1];
        optind = 2;
        while ((c = getopt_long(argc, argv, "p:", opts, NULL)) != -1) {
            if (c == 'p')
                period = optarg;
            else {
                usage(stderr);
                return 2;
            }
        }
        return cmd_account(conf_path, number, period);
    }
    if (argc >= 1 && !strcmp(argv[0], "report"))
        return cmd_report(conf_path, argc, argv, now);
    /* The list commands take their options after the command word. */
    if (argc >= 1) {
        optind = 1;
        while ((c = getopt_long(argc, argv, "+p:", opts, NULL)) != -1) {
            switch (c) {
            case 'p': period = optarg; break;
            case 'n':
                if (gv_datetime_parse(optarg, &now) != 0) {
                    fprintf(stderr, "--now: '%s' is not a date and time with an offset\n",
                            optarg);
                    return 2;
                }
                break;
            case 'N': process = 0; break;
            case 'a': all = 1; break;
            case 'D': dry_run = 1; break;
            case 'P': allow_partial = 1; break;
            case 'S': send = 0; break;
            case 'U': due = 1; break;
            default: usage(stderr); return 2;
            }
        }
        {
            const char *cmd = argv[0];
            char **rest = argv + optind;
            int nrest = argc - optind;
            if (!strcmp(cmd, "db") && nrest == 1 && !strcmp(rest[0], "migrate"))
                return cmd_db_migrate(conf_path, now);
            if (!strcmp(cmd, "ingest") && nrest >= 1)
                return cmd_ingest(conf_path, nrest, rest, process, now);
            if (!strcmp(cmd, "process") && nrest == 0)
                return cmd_process(conf_path, now);
            if (!strcmp(cmd, "pull") && nrest == 0)
                return cmd_pull(conf_path, period, now);
            if (!strcmp(cmd, "batches") && nrest == 0)
                return cmd_batches(conf_path, period);
            if (!strcmp(cmd, "trail") && nrest == 0)
                return cmd_trail(conf_path, period);
            if (!strcmp(cmd, "bill") && nrest == 0)
                return cmd_bill(conf_path, period, due, now, dry_run, allow_partial, send);
            if (!strcmp(cmd, "outbox") && nrest == 0)
                return cmd_outbox_list(conf_path, all);
            if (!strcmp(cmd, "outbox") && nrest == 1 && !strcmp(rest[0], "send"))
                return cmd_outbox_send(conf_path, now);
            if (!strcmp(cmd, "outbox") && nrest == 2 && !strcmp(rest[0], "retry"))
                return cmd_outbox_retry(conf_path, rest[1], now);
        }
    }
    usage(stderr);
    return 2;
}
