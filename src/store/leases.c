/* leases.c - gv_lease's statements (see leases.h). */
#include "config.h"
#include "leases.h"
#include "column.h"

#include <stdio.h>
#include <string.h>

#define LEASE_COLS "name, holder, process, token, beat, ttl_s, taken_at, renewed_at"

static int read_row(gv_db_stmt_t *st, gv_lease_row_t *r, gv_db_error_t *e)
{
    memset(r, 0, sizeof *r);
    return gv_db_col_text(st, 1, r->name, sizeof r->name, e) < 0 ||
                   gv_db_col_text(st, 2, r->holder, sizeof r->holder, e) < 0 ||
                   gv_db_col_text(st, 3, r->process, sizeof r->process, e) < 0 ||
                   gv_db_col_text(st, 4, r->token, sizeof r->token, e) < 0 ||
                   gv_db_col_int64(st, 5, &r->beat, e) < 0 ||
                   gv_db_col_long(st, 6, &r->ttl_s, e) < 0 ||
                   gv_db_col_int64(st, 7, &r->taken_at, e) < 0 ||
                   gv_db_col_int64(st, 8, &r->renewed_at, e) < 0
               ? -1
               : 0;
}

int gv_store_lease_get(gv_db_t *db, const char *name, gv_lease_row_t *row, gv_db_error_t *e)
{
    gv_db_stmt_t *st = gv_db_prepare(db, "SELECT " LEASE_COLS " FROM gv_lease WHERE name = ?", e);
    int found;

    if (!st)
        return -1;
    if (gv_db_bind_text(st, 1, name, e) < 0 || gv_db_execute(st, e) < 0 ||
        (found = gv_db_fetch(st, e)) < 0 || (found && read_row(st, row, e) < 0))
        found = -1;
    gv_db_stmt_free(st);
    return found;
}

int gv_store_lease_insert(gv_db_t *db, const gv_lease_row_t *r, gv_db_error_t *e)
{
    gv_db_stmt_t *st = gv_db_prepare(
        db, "INSERT INTO gv_lease (" LEASE_COLS ") VALUES (?, ?, ?, ?, 1, ?, ?, ?)", e);
    int rc;

    if (!st)
        return -1;
    rc = gv_db_bind_text(st, 1, r->name, e) < 0 || gv_db_bind_text(st, 2, r->holder, e) < 0 ||
                 gv_db_bind_text(st, 3, r->process, e) < 0 ||
                 gv_db_bind_text(st, 4, r->token, e) < 0 ||
                 gv_db_bind_int64(st, 5, r->ttl_s, e) < 0 ||
                 gv_db_bind_int64(st, 6, r->taken_at, e) < 0 ||
                 gv_db_bind_int64(st, 7, r->renewed_at, e) < 0 || gv_db_execute(st, e) < 0
             ? -1
             : 0;
    gv_db_stmt_free(st);
    return rc;
}

/* Runs an UPDATE already bound; 1 when it changed the row, 0 when its
 * WHERE found none.  Every UPDATE here changes beat, so rows matched and
 * rows changed (what MariaDB counts) are the same. */
static int changed_one(gv_db_stmt_t *st, gv_db_error_t *e)
{
    int64_t n = 0;

    if (gv_db_execute(st, e) < 0 || gv_db_row_count(st, &n, e) < 0)
        return -1;
    return n > 0;
}

int gv_store_lease_claim(gv_db_t *db, const gv_lease_row_t *r, const char *seen_token,
                         int64_t seen_beat, gv_db_error_t *e)
{
    gv_db_stmt_t *st = gv_db_prepare(
        db,
        "UPDATE gv_lease SET holder = ?, process = ?, token = ?, beat = beat + 1, ttl_s = ?,"
        " taken_at = ?, renewed_at = ? WHERE name = ? AND token = ? AND beat = ?",
        e);
    int rc;

    if (!st)
        return -1;
    rc = gv_db_bind_text(st, 1, r->holder, e) < 0 || gv_db_bind_text(st, 2, r->process, e) < 0 ||
                 gv_db_bind_text(st, 3, r->token, e) < 0 ||
                 gv_db_bind_int64(st, 4, r->ttl_s, e) < 0 ||
                 gv_db_bind_int64(st, 5, r->taken_at, e) < 0 ||
                 gv_db_bind_int64(st, 6, r->renewed_at, e) < 0 ||
                 gv_db_bind_text(st, 7, r->name, e) < 0 ||
                 gv_db_bind_text(st, 8, seen_token, e) < 0 ||
                 gv_db_bind_int64(st, 9, seen_beat, e) < 0
             ? -1
             : changed_one(st, e);
    gv_db_stmt_free(st);
    return rc;
}

static int by_token(gv_db_t *db, const char *sql, const char *name, const char *token,
                    int64_t now, gv_db_error_t *e)
{
    gv_db_stmt_t *st = gv_db_prepare(db, sql, e);
    int rc;

    if (!st)
        return -1;
    rc = gv_db_bind_int64(st, 1, now, e) < 0 || gv_db_bind_text(st, 2, name, e) < 0 ||
                 gv_db_bind_text(st, 3, token, e) < 0
             ? -1
             : changed_one(st, e);
    gv_db_stmt_free(st);
    return rc;
}

int gv_store_lease_renew(gv_db_t *db, const char *name, const char *token, int64_t now,
                         gv_db_error_t *e)
{
    return by_token(db,
                    "UPDATE gv_lease SET beat = beat + 1, renewed_at = ?"
                    " WHERE name = ? AND token = ?",
                    name, token, now, e);
}

int gv_store_lease_release(gv_db_t *db, const char *name, const char *token, int64_t now,
                           gv_db_error_t *e)
{
    return by_token(db,
                    "UPDATE gv_lease SET token = '', beat = beat + 1, renewed_at = ?"
                    " WHERE name = ? AND token = ?",
                    name, token, now, e);
}

int gv_store_leases_list(gv_db_t *db, gv_lease_row_t *rows, int max, gv_db_error_t *e)
{
    gv_db_stmt_t *st = gv_db_prepare(db, "SELECT " LEASE_COLS " FROM gv_lease ORDER BY name", e);
    int n = 0, row = 0;

    if (!st)
        return -1;
    if (gv_db_execute(st, e) < 0) {
        gv_db_stmt_free(st);
        return -1;
    }
    while (n < max && (row = gv_db_fetch(st, e)) == 1) {
        if (read_row(st, &rows[n], e) < 0) {
            row = -1;
            break;
        }
        n++;
    }
    if (n < max && row < 0)
        n = -1;
    gv_db_stmt_free(st);
    return n;
}
