/* cmd_outbox.c - what gasvoucher owes the wallet: listing, sending and
 * retrying the outbox. */
#include "config.h"
#include "commands.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "outbox.h"
#include "session.h"
#include "store.h"
#include "walletclient.h"

int cmd_outbox_list(const cmd_args_t *a)
{
    int all = a->all;
    enum { MAX = 4096 };
    session_t s;
    gv_outbox_row_t *rows = calloc(MAX, sizeof *rows);
    gv_db_error_t dbe;
    int n, rc = 0, shown = 0;

    if (!rows || gv_session_open(a->conf_path, a->pinned_now, GV_NEED_STORE, &s) < 0) {
        free(rows);
        return 1;
    }
    if ((n = gv_store_outbox_list(s.db, NULL, 0, rows, MAX, &dbe)) < 0) {
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
            cmd_print_instant(strcmp(rows[i].state, "PENDING") ? 0 : rows[i].next_attempt_at);
            printf(" %s\n", rows[i].last_error);
            shown++;
        }
        printf("%d message%s\n", shown, shown == 1 ? "" : "s");
    }
    free(rows);
    gv_session_close(&s);
    return rc;
}

int cmd_outbox_send(const cmd_args_t *a)
{
    time_t now = a->now;
    session_t s;
    gv_wallet_client_t *c;
    gv_lease_t *lease;
    gv_outbox_stats_t st = { 0 };
    gv_err_t err;
    int rc = 0;

    if (gv_session_open(a->conf_path, a->pinned_now, GV_NEED_STORE, &s) < 0)
        return 1;
    if (!(c = cmd_open_client(s.rt->conf))) {
        gv_session_close(&s);
        return 1;
    }
    if (!(lease = gv_lease_new("outbox", s.rt->conf))) {
        fprintf(stderr, "out of memory\n");
        rc = 1;
    } else if (gv_outbox_deliver(s.db, c, s.spool, lease, 1, s.rt->conf->retry_min,
                                 s.rt->conf->retry_max, now, &st, &err) < 0) {
        fprintf(stderr, "%s\n", err.msg);
        rc = 1;
    }
    gv_lease_free(lease, s.db);
    printf("outbox: %ld delivered, %ld to retry, %ld refused\n", st.delivered, st.retrying,
           st.refused);
    if (st.retrying || st.refused)
        rc = 1;
    cmd_close_client(c);
    gv_session_close(&s);
    return rc;
}

int cmd_outbox_retry(const cmd_args_t *a)
{
    const char *msg_id = a->argv[0];
    time_t now = a->now;
    session_t s;
    gv_err_t err;
    int rc = 0;

    if (gv_session_open(a->conf_path, a->pinned_now, GV_NEED_STORE, &s) < 0)
        return 1;
    if (gv_outbox_retry(s.db, msg_id, now, &err) < 0) {
        fprintf(stderr, "%s\n", err.msg);
        rc = 1;
    } else {
        printf("%s will be tried again at the next delivery\n", msg_id);
    }
    gv_session_close(&s);
    return rc;
}
