/* commands.h - the commands of gasvoucher(1), one function each, listed
 * in the table in gasvoucher.c.  Each opens what it needs (session.h). */
#ifndef GV_COMMANDS_H
#define GV_COMMANDS_H

#include <time.h>

/* What the command line said, parsed once. */
typedef struct cmd_args {
    const char *conf_path;
    const char *period;         /* --period */
    time_t now;                 /* --now, else the clock */
    const char *pinned_now;     /* --now as given, NULL when the clock */
    const char *older_than;     /* spool prune --older-than DAYS */
    const char *format, *lang;  /* report --format, --lang */
    const char *output;         /* report --output */
    const char *only_table;     /* report --register */
    int bom, check;             /* report --bom, --check */
    int process;                /* not --no-process */
    int all;                    /* --all */
    int dry_run, allow_partial, due;
    int send;                   /* not --no-send */
    int rekey;                  /* db migrate --rekey */
    const char **samples;       /* mapping check --sample NUMBER... */
    size_t nsamples;
    int argc;                   /* words after the command's own */
    char **argv;
} cmd_args_t;

/* cmd_site.c: the configuration, the mapping, the site, the tables */
int cmd_config_check(const cmd_args_t *a);
int cmd_config_keys(const cmd_args_t *a);
int cmd_mapping_check(const cmd_args_t *a);
int cmd_account(const cmd_args_t *a);
int cmd_db_migrate(const cmd_args_t *a);
int cmd_db_leases(const cmd_args_t *a);
/* cmd_lists.c: voucher lists and what became of them */
int cmd_ingest(const cmd_args_t *a);
int cmd_process(const cmd_args_t *a);
int cmd_pull(const cmd_args_t *a);
int cmd_batches(const cmd_args_t *a);
int cmd_trail(const cmd_args_t *a);
int cmd_report(const cmd_args_t *a);
/* cmd_bill.c */
int cmd_bill(const cmd_args_t *a);
/* cmd_spool.c */
int cmd_spool_prune(const cmd_args_t *a);
/* cmd_outbox.c */
int cmd_outbox_list(const cmd_args_t *a);
int cmd_outbox_send(const cmd_args_t *a);
int cmd_outbox_retry(const cmd_args_t *a);

/* Shared by the command files. */
struct gv_wallet_client;
struct gv_conf;
struct gv_wallet_client *cmd_open_client(const struct gv_conf *conf);
void cmd_close_client(struct gv_wallet_client *c);
void cmd_print_instant(long long t);
struct session;
/* Processes every batch received and not processed; prints the count. */
int cmd_run_processing(struct session *s, time_t now);

#endif
