/* reportcmd.c - `gasvoucher report` after its options (see reportcmd.h). */
#include "config.h"
#include "reportcmd.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "calendar.h"
#include "l10n.h"
#include "log.h"
#include "params.h"
#include "report.h"

int gv_report_language(const gv_report_request_t *req, const gv_conf_t *conf)
{
    const char *lang = gv_l10n_pick(req->lang, req->lang ? NULL : conf->report_lang);

    if (!lang) {
        /* No catalogue to say it in: English, as the engineers read. */
        if (req->lang)
            fprintf(stderr, "report: --lang: expected ru, kk or en, got '%s'\n", req->lang);
        else
            fprintf(stderr, "%s: [report] lang: expected ru, kk or en, got '%s'\n", conf->path,
                    conf->report_lang);
        return GV_REPORT_EXIT_USAGE;
    }
    if (gv_l10n_init(lang, NULL) < 0)
        gv_log(GV_LOG_WARNING, "report: no UTF-8 character locale: columns may not line up");
    return 0;
}

static const char *const formats[] = { "text", "csv", "xlsx", "html", NULL };

int gv_report_validate(const gv_report_request_t *req)
{
    gv_period_t p;
    const char *format = req->format ? req->format : "text";
    size_t i;

    if (!req->period || gv_period_parse(req->period, &p) < 0) {
        fprintf(stderr, "%s\n", _("report: --period YYYY-MM is needed"));
        return GV_REPORT_EXIT_USAGE;
    }
    for (i = 0; formats[i] && strcmp(formats[i], format); i++)
        ;
    if (!formats[i]) {
        char list[64] = "";
        for (i = 0; formats[i]; i++)
            snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? ", " : "",
                     formats[i]);
        /* TRANSLATORS: %s are the formats (text, csv, ...), then what was given. */
        fprintf(stderr, _("report: --format: expected one of %s; got '%s'\n"), list, format);
        return GV_REPORT_EXIT_USAGE;
    }
    if (!strcmp(format, "xlsx") && !req->output) {
        fprintf(stderr, "%s\n", _("report: an Excel workbook needs --output FILE.xlsx"));
        return GV_REPORT_EXIT_USAGE;
    }
    if (!strcmp(format, "csv") && !req->output && !req->only_table) {
        fprintf(stderr, "%s\n", _("report: CSV is a file per register: give --output FOLDER, "
                                  "or --register NAME for one"));
        return GV_REPORT_EXIT_USAGE;
    }
    if ((req->only_table || req->bom) && strcmp(format, "csv") != 0) {
        fprintf(stderr, "%s\n", _("report: --register and --bom are for --format csv"));
        return GV_REPORT_EXIT_USAGE;
    }
    return 0;
}

static void log_difference(void *ud, const char *line)
{
    gv_log(GV_LOG_WARNING, "report --check %s: %s", (const char *)ud, line);
}

static int open_writer(const gv_report_request_t *req, FILE *out, gv_writer_t *w, gv_err_t *err)
{
    const char *format = req->format ? req->format : "text";
    gv_writer_target_t t = { out, req->output, req->only_table, req->bom };

    if (!strcmp(format, "csv"))
        return gv_writer_csv(&t, w, err);
    if (!strcmp(format, "xlsx"))
        return gv_writer_xlsx(&t, w, err);
    if (!strcmp(format, "html"))
        return gv_writer_html(&t, w, err);
    return gv_writer_text(&t, w, err);
}

int gv_report_command(const gv_report_request_t *req, gv_runtime_t *rt, gv_db_t *db,
                      const char *spool)
{
    const gv_conf_t *conf = rt->conf;
    const char *format = req->format ? req->format : "text";
    int streamed = strcmp(format, "xlsx") && strcmp(format, "csv");
    gv_report_opts_t opts;
    gv_report_result_t res;
    gv_writer_t w = { NULL, NULL };
    gv_params_t *params = NULL;
    gv_err_t err;
    FILE *out = stdout;
    char provider[300];
    void *actx = NULL;
    int rc = GV_REPORT_EXIT_FAILED, created = 0;

    memset(&opts, 0, sizeof opts);
    opts.period = req->period;
    opts.now = req->now;
    opts.spool = spool;
    opts.pending_deadline_days = -1;
    snprintf(provider, sizeof provider, "%s (%s)", conf->provider_name, conf->provider_bin);
    opts.provider = provider;
    if (conf->billing_program) {
        gv_errlist_t errs = { 0 };
        if (!(params = gv_params_load(conf->billing_program, &errs))) {
            for (size_t i = 0; i < errs.count; i++)
                fprintf(stderr, "%s\n", errs.items[i]);
            gv_errlist_free(&errs);
            return GV_REPORT_EXIT_FAILED;
        }
        opts.pending_deadline_days = gv_params_pending_deadline_days(params);
        gv_params_free(params);
    }
    if (req->check) {
        if (!(actx = rt->adapter->open(conf, rt->map, &err))) {
            fprintf(stderr, "%s: %s\n", _("report --check"), err.msg);
            return GV_REPORT_EXIT_FAILED;
        }
        opts.adapter = rt->adapter;
        opts.adapter_ctx = actx;
        opts.log_difference = log_difference;
        opts.log_ud = (void *)req->period;
    }
    if (streamed && req->output) {
        if (!(out = fopen(req->output, "w"))) {
            fprintf(stderr, "%s: %s\n", req->output, strerror(errno));
            goto done;
        }
        created = 1;
    }
    if (open_writer(req, out, &w, &err) < 0) {
        fprintf(stderr, "report: %s\n", err.msg);
        goto done;
    }
    created |= req->output != NULL;
    if (gv_report_run(db, &opts, &w, &res, &err) < 0) {
        fprintf(stderr, "report: %s\n", err.msg);
        goto done;
    }
    if (req->output) {
        /* TRANSLATORS: %s is where the report went (a file or a folder). */
        fprintf(stderr, _("report written to %s\n"), req->output);
    }
    if (res.needs_person) {
        fprintf(stderr, "%s\n", _("report: something needs a person:"));
        if (res.past_deadline)
            fprintf(stderr, "  %s: %ld\n", _("pending past the deadline"), res.past_deadline);
        if (res.conflicts)
            fprintf(stderr, "  %s: %ld\n", _("conflicts"), res.conflicts);
        if (res.withdrawn)
            fprintf(stderr, "  %s: %ld\n", _("billed, acceptance withdrawn later (R7)"),
                    res.withdrawn);
        if (res.unbilled_late)
            fprintf(stderr, "  %s: %ld\n", _("accepted, not billed by the deadline"),
                    res.unbilled_late);
        if (res.refused_reports)
            fprintf(stderr, "  %s: %ld\n", _("redemption reports refused by the wallet"),
                    res.refused_reports);
        if (res.differences)
            fprintf(stderr, "  %s: %ld\n", _("differences from the billing database"),
                    res.differences);
        rc = GV_REPORT_EXIT_ATTENTION;
    } else {
        rc = GV_REPORT_EXIT_OK;
    }
    gv_log(GV_LOG_INFO, "report %s: %s, %s, %ld vouchers, %ld differences, %s", req->period,
           format, gv_l10n_lang(), res.vouchers, res.differences,
           res.needs_person ? "needs a person" : "reconciles");
done:
    if (w.ops)
        w.ops->free(w.w);
    if (out != stdout && out && fclose(out) != 0 && rc != GV_REPORT_EXIT_FAILED) {
        fprintf(stderr, "%s: %s\n", req->output, strerror(errno));
        rc = GV_REPORT_EXIT_FAILED;
    }
    if (actx)
        rt->adapter->close(actx);
    /* Half a report is worse than none: a clerk might send it on. */
    if (rc == GV_REPORT_EXIT_FAILED && created && strcmp(format, "csv") != 0)
        unlink(req->output);
    return rc;
}
