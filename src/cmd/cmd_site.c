/* cmd_site.c - the commands about the site: the configuration, the
 * mapping, one account as the wallet would see it, gasvoucher's tables. */
#include "config.h"
#include "commands.h"

#include <stdio.h>
#include <string.h>

#include "adapter.h"
#include "calendar.h"
#include "check.h"
#include "files.h"
#include "intake.h"
#include "fsutil.h"
#include "lease.h"
#include "mask.h"
#include "session.h"
#include "store.h"

int cmd_config_check(const cmd_args_t *a)
{
    const char *conf_path = a->conf_path;
    gv_errlist_t errs = { 0 };
    gv_runtime_t *rt = gv_runtime_load(conf_path, &errs);

    gv_print_errors(&errs);
    gv_errlist_free(&errs);
    if (!rt)
        return 1;
    printf("%s: valid (mapping %s)\n", conf_path, rt->map->path);
    gv_runtime_release(rt);
    return 0;
}

int cmd_config_keys(const cmd_args_t *a)
{
    char name[128];

    (void)a;
    for (size_t i = 0; gv_conf_key_name(i, name, sizeof name); i++)
        printf("%s\n", name);
    return 0;
}

/* gasvoucher mapping check [MAPPING] [--sample NUMBER...] [--period P] */
int cmd_mapping_check(const cmd_args_t *a)
{
    gv_errlist_t errs = { 0 };
    gv_mapping_check_opts_t opts = { .out = stdout };
    const char *mapping_path = a->argc ? a->argv[0] : NULL;
    gv_conf_t *conf = NULL;
    gv_mapping_t *map = NULL;
    int rc = 2, y, m, d;

    opts.samples = a->samples;
    opts.nsamples = a->nsamples;
    if (a->period && gv_period_parse(a->period, &opts.period) < 0) {
        fprintf(stderr, "--period: expected YYYY-MM, got '%s'\n", a->period);
        goto out;
    }
    rc = 1;
    if ((conf = gv_conf_load(a->conf_path, &errs)) && gv_session_check_now(conf, a->pinned_now) < 0)
        goto out;
    if (conf && gv_time_init(conf->time_zone) < 0)
        gv_errlist_add(&errs, "time zone %s is not in the tz database", conf->time_zone);
    else if (conf && !a->period) {
        gv_civil_from_days(gv_time_local_day(a->now), &y, &m, &d);
        opts.period = (gv_period_t){ y, m };
    }
    if (conf && !errs.count)
        map = gv_mapping_load(mapping_path ? mapping_path : conf->mapping_path, &errs);
    if (map && gv_adapter_find("sql")->check_mapping(conf, map, &opts, &errs) == 0) {
        printf("\n%s: proved: every statement runs on the samples, every value reads as "
               "gasvoucher reads it, no engine trap\n", map->path);
        rc = 0;
    }
    fflush(stdout);
    gv_print_errors(&errs);
    if (rc)
        fprintf(stderr, "%zu problem%s\n", errs.count, errs.count == 1 ? "" : "s");
out:
    gv_errlist_free(&errs);
    gv_mapping_free(map);
    gv_conf_free(conf);
    return rc;
}

int cmd_account(const cmd_args_t *a)
{
    const char *conf_path = a->conf_path, *number = a->argv[0], *period_text = a->period;
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

    gv_print_errors(&errs);
    gv_errlist_free(&errs);
    if (!rt)
        return 1;
    if (gv_session_check_now(rt->conf, a->pinned_now) < 0) {
        gv_runtime_release(rt);
        return 1;
    }
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
        gv_civil_from_days(gv_time_local_day(a->now), &y, &m, &d);
        period.year = y;
        period.month = m;
    }
    actx = rt->adapter->open(rt->conf, rt->map, &err);
    if (!actx) {
        fprintf(stderr, "%s\n", err.msg);
        gv_runtime_release(rt);
        return 1;
    }
    if (rt->adapter->canonicalise(actx, number, canonical, sizeof canonical) == 0)
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

/* The tables first; then, once, when they come from a version that kept
 * accounts as [account] spelled them: rows kept under another spelling
 * than the site's own key move to it (R7 judged again where that groups
 * vouchers anew).  Re-keying needs the site and intake's keys; new tables
 * have nothing to re-key.  --rekey does it again on demand. */
int cmd_db_migrate(const cmd_args_t *a)
{
    session_t s;
    gv_db_error_t dbe;
    gv_rekey_stats_t st;
    gv_err_t err;
    int from, to, rc = 0;

    if (gv_session_open(a->conf_path, a->pinned_now, GV_NEED_STORE | GV_NEED_NO_VERSION, &s) < 0)
        return 1;
    if (gv_store_migrate(s.db, a->now, &from, &to, &dbe) < 0) {
        fprintf(stderr, "migration failed: %s\n", dbe.msg);
        gv_session_close(&s);
        return 1;
    }
    if (from == to)
        printf("gasvoucher's tables are at version %d: nothing to do\n", to);
    else
        printf("gasvoucher's tables migrated from version %d to %d\n", from, to);
    if (from > 0 && from < GV_SCHEMA_SHARED) {
        /* What this node's spool alone held until now: into the database,
         * so that another node can process and send it. */
        long stored;
        if (gv_store_files_adopt(s.db, s.spool, a->now, &stored, &dbe) < 0) {
            fprintf(stderr, "storing the spool's files in the database failed (run db migrate "
                            "again): %s\n",
                    dbe.msg);
            rc = 1;
        } else if (stored) {
            printf("%ld file(s) of batches not yet processed and messages not yet delivered "
                   "stored in the database\n",
                   stored);
        }
    }
    gv_session_close(&s);
    if (rc)
        return rc;
    if (!a->rekey && (from == 0 || from >= GV_SCHEMA_SITE_KEYS))
        return 0;
    if (gv_session_open(a->conf_path, a->pinned_now, GV_NEED_INTAKE, &s) < 0)
        return 1;
    if (gv_intake_rekey(s.in, a->now, &st, &err) < 0) {
        fprintf(stderr, "re-keying accounts failed (nothing changed): %s\n", err.msg);
        rc = 1;
    } else {
        printf("accounts: %ld looked up at the site, %ld kept under another spelling now "
               "under the site's key",
               st.looked_up, st.rekeyed);
        if (st.rekeyed)
            printf("; %ld outcome(s) changed (see gasvoucher trail), %ld revised result(s) "
                   "queued",
                   st.changed, st.results);
        printf("\n");
        if (st.clashes) {
            fprintf(stderr, "%ld account(s) were billed under two spellings in one period: "
                            "see the log and reconcile them by hand\n",
                    st.clashes);
            rc = 4;
        }
    }
    gv_session_close(&s);
    return rc;
}

/* gasvoucher db leases: who does (or last did) each work that one node at
 * a time may do; the times are the holder's clock. */
int cmd_db_leases(const cmd_args_t *a)
{
    enum { MAX = 32 };
    gv_lease_row_t rows[MAX];
    session_t s;
    gv_db_error_t dbe;
    int n;

    if (gv_session_open(a->conf_path, a->pinned_now, GV_NEED_STORE, &s) < 0)
        return 1;
    if ((n = gv_store_leases_list(s.db, rows, MAX, &dbe)) < 0) {
        fprintf(stderr, "%s\n", dbe.msg);
        gv_session_close(&s);
        return 1;
    }
    printf("%-8s %-5s %-24s %-8s %-25s %-25s %s\n", "lease", "state", "node", "pid", "taken",
           "renewed", "ttl");
    for (int i = 0; i < n; i++) {
        printf("%-8s %-5s %-24s %-8ld ", rows[i].name, rows[i].token[0] ? "held" : "free",
               rows[i].holder, gv_lease_pid(rows[i].process));
        cmd_print_instant(rows[i].taken_at);
        putchar(' ');
        cmd_print_instant(rows[i].renewed_at);
        printf(" %ld s\n", rows[i].ttl_s);
    }
    gv_session_close(&s);
    return 0;
}
