/* kept.c - multi-row statements kept from chunk to chunk (see kept.h). */
#include "config.h"
#include "kept.h"

gv_db_stmt_t *gv_db_kept_for(gv_db_kept_t pair[2], size_t rows, size_t full,
                             gv_db_kept_t **slot)
{
    gv_db_kept_t *k = &pair[rows == full ? 0 : 1];

    if (k->st && k->rows == rows)
        return k->st;
    gv_db_stmt_free(k->st);
    k->st = NULL;
    k->rows = rows;
    *slot = k;
    return NULL;
}

void gv_db_kept_drop(gv_db_kept_t pair[2])
{
    for (int i = 0; i < 2; i++) {
        gv_db_stmt_free(pair[i].st);
        pair[i].st = NULL;
    }
}
