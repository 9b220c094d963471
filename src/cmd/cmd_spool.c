/* cmd_spool.c - gasvoucher spool prune: retention of the spool's files
 * (src/flows/spool.c decides what nothing needs any more). */
#include "config.h"
#include "commands.h"

#include <stdio.h>
#include <stdlib.h>

#include "session.h"
#include "spool.h"

static void print_pruned(void *ud, const char *path)
{
    printf("%s%s\n", *(const int *)ud ? "would remove " : "removed ", path);
}

int cmd_spool_prune(const cmd_args_t *a)
{
    session_t s;
    gv_prune_stats_t st;
    gv_err_t err;
    const char *days_text = a->older_than;
    char *end = NULL;
    long days = days_text ? strtol(days_text, &end, 10) : 0;
    int dry_run = a->dry_run, rc;

    if (!days_text || *end || end == days_text || days < 1 || days > 36500) {
        fprintf(stderr,
                "spool prune: --older-than DAYS, a whole number of days from 1 to 36500%s%s%s\n",
                days_text ? ", got '" : "", days_text ? days_text : "", days_text ? "'" : "");
        return 2;
    }
    if (gv_session_open(a->conf_path, a->pinned_now, GV_NEED_STORE, &s) < 0)
        return 1;
    rc = gv_spool_prune(s.db, s.spool, s.rt->conf->inbox_dir, days, a->now, dry_run,
                        print_pruned, &dry_run, &st, &err);
    if (rc < 0)
        fprintf(stderr, "spool prune: %s\n", err.msg);
    else
        printf("spool prune%s: %ld batches, %ld messages, %ld leftovers, %lld bytes%s; "
               "%lld batches older than %ld days kept (not yet processed, delivered or billed)\n",
               dry_run ? " (dry run)" : "", st.batches, st.messages, st.leftovers,
               (long long)st.bytes, dry_run ? " would go" : " removed", (long long)st.batches_kept,
               days);
    gv_session_close(&s);
    return rc < 0 ? 1 : 0;
}
