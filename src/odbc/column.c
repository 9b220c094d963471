/* column.c - reading columns into record fields (see column.h). */
#include "config.h"
#include "column.h"

#include <string.h>

void gv_rtrim_blanks(char *s)
{
    size_t n = strlen(s);

    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        s[--n] = '\0';
}

int gv_db_col_text(gv_db_stmt_t *st, int col, char *buf, size_t bufsz, gv_db_error_t *e)
{
    int is_null;

    if (gv_db_get_text(st, col, buf, bufsz, &is_null, e) < 0)
        return -1;
    if (is_null)
        buf[0] = '\0';
    gv_rtrim_blanks(buf);
    return 0;
}

int gv_db_col_int64(gv_db_stmt_t *st, int col, int64_t *v, gv_db_error_t *e)
{
    int is_null;

    if (gv_db_get_int64(st, col, v, &is_null, e) < 0)
        return -1;
    if (is_null)
        *v = 0;
    return 0;
}

int gv_db_col_long(gv_db_stmt_t *st, int col, long *v, gv_db_error_t *e)
{
    int64_t n;

    if (gv_db_col_int64(st, col, &n, e) < 0)
        return -1;
    *v = (long)n;
    return 0;
}

int gv_db_bind_text_or_null(gv_db_stmt_t *st, int idx, const char *s, gv_db_error_t *e)
{
    return s && *s ? gv_db_bind_text(st, idx, s, e) : gv_db_bind_null(st, idx, e);
}
