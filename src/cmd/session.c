/* session.c - opening what a command needs (see session.h). */
#include "config.h"
#include "session.h"

#include <limits.h>
#include <string.h>

#include "calendar.h"
#include "fsutil.h"
#include "log.h"
#include "store.h"
#include "xmlsafe.h"

void gv_print_errors(gv_errlist_t *errs)
{
    for (size_t i = 0; i < errs->count; i++)
        fprintf(stderr, "%s\n", errs->items[i]);
}

/* Connects and checks that gasvoucher's tables are at this version. */
static int connect_store(gv_db_t *db, int check_version)
{
    gv_db_error_t dbe;
    int version;

    if (gv_db_ensure(db, gv_monotonic_ms(), &dbe) < 0) {
        fprintf(stderr, "cannot connect to the database: %s\n", dbe.msg);
        return -1;
    }
    if (!check_version)
        return 0;
    if (gv_store_version(db, &version, &dbe) < 0) {
        fprintf(stderr, "%s\n", dbe.msg);
        return -1;
    }
    if (version != GV_SCHEMA_VERSION) {
        fprintf(stderr,
                "gasvoucher's tables are at version %d, this program needs %d: run "
                "'gasvoucher db migrate'\n",
                version, GV_SCHEMA_VERSION);
        return -1;
    }
    return 0;
}

int gv_session_check_now(const gv_conf_t *conf, const char *pinned_now)
{
    gv_err_t err;

    if (!pinned_now)
        return 0;
    if (gv_conf_pinned_now(conf, "--now", pinned_now, &err) < 0) {
        gv_log(GV_LOG_ERROR, "%s", err.msg);
        return -1;
    }
    gv_log(GV_LOG_WARNING, "%s", err.msg);
    return 0;
}

int gv_session_open(const char *conf_path, const char *pinned_now, unsigned needs,
                    session_t *s)
{
    gv_errlist_t errs = { 0 };
    gv_err_t err;
    const gv_conf_t *conf;

    memset(s, 0, sizeof *s);
    s->rt = gv_runtime_load(conf_path, &errs);
    gv_print_errors(&errs);
    gv_errlist_free(&errs);
    if (!s->rt)
        return -1;
    conf = s->rt->conf;
    gv_log_set_level(conf->log_level);
    if (gv_session_check_now(conf, pinned_now) < 0)
        goto fail;
    s->spool = conf->spool_dir;
    if (gv_time_init(conf->time_zone) < 0) {
        fprintf(stderr, "time zone %s is not in the tz database\n", conf->time_zone);
        goto fail;
    }
    if (gv_xml_init(&err) < 0) {
        fprintf(stderr, "%s\n", err.msg);
        goto fail;
    }
    if (needs & GV_NEED_INTAKE) {
        if (!(s->in = gv_intake_new(s->rt, &err))) {
            fprintf(stderr, "%s\n", err.msg);
            goto fail;
        }
        s->db = gv_intake_db(s->in);
        s->signer = gv_intake_signer(s->in);
    } else if (needs & (GV_NEED_STORE | GV_NEED_BULK)) {
        gv_db_opts_t opts = gv_conf_db_opts(conf);
        const char *connstr = (needs & GV_NEED_BULK) && conf->intake_connection
                                  ? conf->intake_connection
                                  : conf->db_connection;
        if (!(s->db = s->own_db = gv_db_new(connstr, &opts))) {
            fprintf(stderr, "out of memory\n");
            goto fail;
        }
    }
    if (s->db && connect_store(s->db, !(needs & GV_NEED_NO_VERSION)) < 0)
        goto fail;
    if ((needs & GV_NEED_SIGNER) && !s->signer) {
        if (!conf->signing_cert || !conf->signing_key) {
            fprintf(stderr, "%s: [signing] cert and key are needed to sign what is sent\n",
                    conf->path);
            goto fail;
        }
        char outbox[PATH_MAX];
        if (!(s->signer = s->own_signer = gv_sig_signer_new(conf->signing_cert,
                                                             conf->signing_key,
                                                             conf->signing_chain, &err))) {
            fprintf(stderr, "%s\n", err.msg);
            goto fail;
        }
        snprintf(outbox, sizeof outbox, "%s/outbox", s->spool);
        if (gv_mkdirs(outbox, &err) < 0) {
            fprintf(stderr, "%s\n", err.msg);
            goto fail;
        }
    }
    return 0;
fail:
    gv_session_close(s);
    return -1;
}

void gv_session_close(session_t *s)
{
    if (!s->rt)
        return;
    gv_sig_signer_free(s->own_signer);
    gv_intake_free(s->in);
    gv_db_free(s->own_db);
    gv_runtime_release(s->rt);
    gv_xml_cleanup();
    memset(s, 0, sizeof *s);
}
