/* session.h - what a command opens, by role, and nothing more: the
 * configuration always; gasvoucher's own tables on the site's connection
 * (STORE); the connection for bulk work (BULK: [database]
 * intake_connection, else connection); the signing key (SIGNER) only for
 * a command that signs; intake as a whole (INTAKE: the wallet's signing CA,
 * our signing key, the spool) only for a command that takes lists in.
 * A command that reads a report does not load the key that signs one. */
#ifndef GV_SESSION_H
#define GV_SESSION_H

#include <stdio.h>

#include "db.h"
#include "err.h"
#include "intake.h"
#include "runtime.h"
#include "sig.h"

enum {
    GV_NEED_STORE = 1 << 0,     /* db on [database] connection, tables at this version */
    GV_NEED_BULK = 1 << 1,      /* db on the bulk connection, tables at this version */
    GV_NEED_SIGNER = 1 << 2,    /* signer, and the spool's outbox/ to sign into */
    GV_NEED_INTAKE = 1 << 3,    /* in (and db is its bulk connection) */
    GV_NEED_NO_VERSION = 1 << 4, /* connect without checking the tables' version */
};

typedef struct session {
    gv_runtime_t *rt;
    gv_db_t *db;                /* per STORE / BULK / INTAKE; NULL otherwise */
    gv_intake_t *in;            /* INTAKE */
    const gv_sig_signer_t *signer;  /* SIGNER, or intake's */
    gv_sig_signer_t *own_signer;    /* signer when the session made it */
    const char *spool;          /* [intake] spool_dir */
    gv_db_t *own_db;            /* db when the session made it */
} session_t;

/* Loads the configuration and opens what needs says; messages on stderr.
 * pinned_now: the --now the command was given (NULL: none), refused unless
 * the configuration allows a pinned now ([time] allow_pinned_now), and
 * logged as a warning when it is.  0, or -1 with nothing left open. */
int gv_session_open(const char *conf_path, const char *pinned_now, unsigned needs,
                    session_t *s);
/* The same check of a --now for a command that loads the configuration
 * itself: 0 allowed (warned), -1 refused (said). */
int gv_session_check_now(const gv_conf_t *conf, const char *pinned_now);
void gv_session_close(session_t *s);

void gv_print_errors(gv_errlist_t *errs);

#endif
