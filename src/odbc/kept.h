/* kept.h - multi-row statements kept from chunk to chunk.
 *
 * A chunk's INSERT has one row of placeholders per voucher, so its text
 * depends on the row count; most chunks have the same count, and
 * preparing costs a round trip and a plan.  A pair keeps one statement of
 * a full part and one of a chunk's remainder. */
#ifndef GV_KEPT_H
#define GV_KEPT_H

#include <stddef.h>

#include "db.h"

/* Parameters one multi-row statement may carry: libpq refuses a
 * parameter description over 30000 bytes (about 7500 parameters) and
 * psqlODBC prepares on the server, so a chunk's rows (or a list's
 * values) are split into statements of at most this many, all in the
 * caller's one transaction; MariaDB allows 65535 and SQLite 32766. */
#define GV_DB_MULTIROW_PARAMS 7000

typedef struct gv_db_kept {
    gv_db_stmt_t *st;
    size_t rows;
} gv_db_kept_t;

/* The kept statement for `rows` rows (parts are `full` rows but for a
 * chunk's last); NULL when it has to be prepared: the caller prepares it
 * into (*slot)->st. */
gv_db_stmt_t *gv_db_kept_for(gv_db_kept_t pair[2], size_t rows, size_t full,
                             gv_db_kept_t **slot);
/* Frees both (the connection went, or the run ends). */
void gv_db_kept_drop(gv_db_kept_t pair[2]);

#endif
