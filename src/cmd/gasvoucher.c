/* gasvoucher - the command for a site's engineers and billing clerks:
 * the options, then one row of the command table per command
 * (commands.h; the commands live in cmd_*.c). */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "calendar.h"
#include "commands.h"

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
            "  mapping check [MAPPING] [--sample NUMBER...] [--period YYYY-MM]\n"
            "                            run the mapping on sample accounts, name its\n"
            "                            problems and show what gasvoucher would see\n"
            "  account NUMBER [--period YYYY-MM]\n"
            "                            look an account up as the wallet would\n"
            "  db migrate                create or upgrade gasvoucher's own tables; from\n"
            "                            before version 3, move rows kept under another\n"
            "                            spelling of an account to the site's own key (R7\n"
            "                            judged again)\n"
            "      --rekey               look every kept account up again and do that now\n"
            "  db leases                 which node holds which work (nodes sharing the\n"
            "                            database)\n"
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
            "  spool prune --older-than DAYS [--dry-run]\n"
            "                            remove spool files older than DAYS that nothing\n"
            "                            needs any more (processed, delivered, billed)\n"
            "  version                   print the version\n"
            "  --now DATETIME            take this instant as now (R1a), e.g.\n"
            "                            2025-09-30T10:00:00+05:00\n"
            "  -c, --config FILE         configuration (default %s)\n",
            DEFAULT_CONF);
}

/* A command: its words, how many further words it takes, what runs it. */
typedef struct command {
    const char *word, *sub;         /* "outbox", "send"; sub NULL: none */
    int min_args, max_args;         /* words after the command's own */
    int (*run)(const cmd_args_t *a);
} command_t;

static const command_t commands[] = {
    { "config", "check", 0, 0, cmd_config_check },
    { "config", "keys", 0, 0, cmd_config_keys },
    { "mapping", "check", 0, 1, cmd_mapping_check },
    { "account", NULL, 1, 1, cmd_account },
    { "db", "migrate", 0, 0, cmd_db_migrate },
    { "db", "leases", 0, 0, cmd_db_leases },
    { "ingest", NULL, 1, 1 << 20, cmd_ingest },
    { "process", NULL, 0, 0, cmd_process },
    { "pull", NULL, 0, 0, cmd_pull },
    { "batches", NULL, 0, 0, cmd_batches },
    { "trail", NULL, 0, 0, cmd_trail },
    { "report", NULL, 0, 0, cmd_report },
    { "bill", NULL, 0, 0, cmd_bill },
    { "outbox", "send", 0, 0, cmd_outbox_send },
    { "outbox", "retry", 1, 1, cmd_outbox_retry },
    { "outbox", NULL, 0, 0, cmd_outbox_list },
    { "spool", "prune", 0, 0, cmd_spool_prune },
};

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        { "config", required_argument, NULL, 'c' },
        { "now", required_argument, NULL, 'n' },
        { "period", required_argument, NULL, 'p' },
        { "no-process", no_argument, NULL, 'N' },
        { "all", no_argument, NULL, 'a' },
        { "dry-run", no_argument, NULL, 'D' },
        { "allow-partial", no_argument, NULL, 'P' },
        { "no-send", no_argument, NULL, 'S' },
        { "due", no_argument, NULL, 'U' },
        { "rekey", no_argument, NULL, 'R' },
        { "sample", no_argument, NULL, 'Z' },
        { "older-than", required_argument, NULL, 'O' },
        { "format", required_argument, NULL, 'f' },
        { "lang", required_argument, NULL, 'l' },
        { "output", required_argument, NULL, 'o' },
        { "register", required_argument, NULL, 'r' },
        { "bom", no_argument, NULL, 'B' },
        { "check", no_argument, NULL, 'C' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    cmd_args_t a;
    const char *now_text = NULL;
    char **words;
    int c, nwords = 0, sampling = 0;

    memset(&a, 0, sizeof a);
    a.conf_path = DEFAULT_CONF;
    a.now = time(NULL);
    a.process = 1;
    a.send = 1;
    while ((c = getopt_long(argc, argv, "+c:h", opts, NULL)) != -1) {
        switch (c) {
        case 'c': a.conf_path = optarg; break;
        case 'n': now_text = a.pinned_now = optarg; break;
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
    if (now_text && gv_datetime_parse(now_text, &a.now) != 0) {
        fprintf(stderr, "--now: expected a date and time with its offset, e.g. "
                        "2025-09-30T10:00:00+05:00; got '%s'\n", now_text);
        return 2;
    }
    if (argc >= 1 && !strcmp(argv[0], "version")) {
        printf("gasvoucher %s\n", PACKAGE_VERSION);
        return 0;
    }
    if (argc < 1) {
        usage(stderr);
        return 2;
    }
    /* A command's options follow its words, in any order with them. */
    if (!(words = calloc((size_t)argc + 1, sizeof *words)) ||
        !(a.samples = calloc((size_t)argc + 1, sizeof *a.samples))) {
        fprintf(stderr, "gasvoucher: out of memory\n");
        free(words);
        return 1;
    }
    optind = 0;     /* GNU getopt starts anew (at argv[1]) with the new option string */
    for (;;) {
        if ((c = getopt_long(argc, argv, "-p:f:l:o:", opts, NULL)) == -1)
            break;
        switch (c) {
        case 1:
            /* After --sample every word is a sample account. */
            if (a.nsamples || sampling)
                a.samples[a.nsamples++] = optarg;
            else
                words[nwords++] = optarg;
            break;
        case 'Z': sampling = 1; break;
        case 'p': a.period = optarg; break;
        case 'n':
            a.pinned_now = optarg;
            if (gv_datetime_parse(optarg, &a.now) != 0) {
                fprintf(stderr, "--now: '%s' is not a date and time with an offset\n", optarg);
                free(words);
                free(a.samples);
                return 2;
            }
            break;
        case 'N': a.process = 0; break;
        case 'a': a.all = 1; break;
        case 'D': a.dry_run = 1; break;
        case 'P': a.allow_partial = 1; break;
        case 'S': a.send = 0; break;
        case 'U': a.due = 1; break;
        case 'R': a.rekey = 1; break;
        case 'O': a.older_than = optarg; break;
        case 'f': a.format = optarg; break;
        case 'l': a.lang = optarg; break;
        case 'o': a.output = optarg; break;
        case 'r': a.only_table = optarg; break;
        case 'B': a.bom = 1; break;
        case 'C': a.check = 1; break;
        default: usage(stderr); free(words); free(a.samples); return 2;
        }
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        const command_t *cmd = &commands[i];
        int own = cmd->sub ? 2 : 1, rc;
        if (strcmp(argv[0], cmd->word) != 0 ||
            (cmd->sub && (nwords < 1 || strcmp(words[0], cmd->sub) != 0)))
            continue;
        a.argc = nwords - (own - 1);
        a.argv = words + (own - 1);
        if (a.argc < cmd->min_args || a.argc > cmd->max_args)
            break;
        rc = cmd->run(&a);
        free(words);
        free(a.samples);
        return rc;
    }
    free(words);
    free(a.samples);
    usage(stderr);
    return 2;
}
