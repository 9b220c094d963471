/* gasvoucher - the command for a site's engineers and billing clerks. */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "calendar.h"
#include "check.h"
#include "mask.h"
#include "runtime.h"

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
            "  version                   print the version\n"
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

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        { "config", required_argument, NULL, 'c' },
        { "period", required_argument, NULL, 'p' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *conf_path = DEFAULT_CONF, *period = NULL;
    int c;

    while ((c = getopt_long(argc, argv, "+c:h", opts, NULL)) != -1) {
        switch (c) {
        case 'c': conf_path = optarg; break;
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
    usage(stderr);
    return 2;
}
