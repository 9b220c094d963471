/* column.h - the one way to read a result column into a record field and
 * to bind a value that may be absent.
 *
 * A record field has no NULL: a NULL text column reads as "", a NULL
 * number as 0 (callers that must tell NULL apart use gv_db_get_text and
 * gv_db_get_int64 themselves).  Trailing blanks are dropped: CHAR(n)
 * columns come back padded on some engines, and no value gasvoucher reads
 * (an account, a code, an id) ends in a blank.
 */
#ifndef GV_COLUMN_H
#define GV_COLUMN_H

#include <stddef.h>
#include <stdint.h>

#include "db.h"

int gv_db_col_text(gv_db_stmt_t *st, int col, char *buf, size_t bufsz, gv_db_error_t *e);
int gv_db_col_int64(gv_db_stmt_t *st, int col, int64_t *v, gv_db_error_t *e);
int gv_db_col_long(gv_db_stmt_t *st, int col, long *v, gv_db_error_t *e);

/* NULL or "" binds SQL NULL. */
int gv_db_bind_text_or_null(gv_db_stmt_t *st, int idx, const char *s, gv_db_error_t *e);

/* Drops trailing spaces and tabs in place (exposed for values read by
 * other means). */
void gv_rtrim_blanks(char *s);

#endif
