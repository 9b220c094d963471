/* sqlrun.c - running a mapping's statements: result columns by role. */
#include "config.h"
#include "sqlrun.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int gv_sql_parse_flag(const char *v, int *out)
{
    char *end;
    long n;

    if (!strcasecmp(v, "t") || !strcasecmp(v, "true")) { *out = 1; return 0; }
    if (!strcasecmp(v, "f") || !strcasecmp(v, "false")) { *out = 0; return 0; }
    n = strtol(v, &end, 10);
    if (end == v || (*end && *end != '.'))
        return -1;
    *out = (int)n;
    return 0;
}

/* Maps each expected column role to its position in the result.  Missing
 * or unusable columns go to errs when given (mapping check), else fail. */
int gv_stmt_columns(gv_db_stmt_t *st, const gv_stmt_spec_t *spec, int *cols,
                           const char *where, gv_errlist_t *errs, gv_db_error_t *e)
{
    int n, problems = 0;
    size_t ncols = 0;
    gv_errlist_t mine = { 0 };

    /* Without a caller's list the problems still go into e's message. */
    if (!errs)
        errs = &mine;

    while (spec->columns[ncols].name)
        ncols++;
    memset(cols, 0, ncols * sizeof *cols);
    if (gv_db_num_cols(st, &n, e) < 0)
        return -1;
    for (int i = 1; i <= n; i++) {
        char name[256];
        int type;
        size_t k;
        if (gv_db_describe_col(st, i, name, sizeof name, &type, e) < 0)
            return -1;
        for (k = 0; k < ncols; k++)
            if (strcmp(spec->columns[k].name, name) == 0)
                break;
        if (k == ncols)
            continue;      /* a column gasvoucher does not use: harmless */
        /* Drivers describe expressions loosely (SQLite calls most of them
         * text), so text is accepted for every role; what can never be
         * read as the role's kind is refused. */
        if (!gv_db_type_is_text(type) &&
            ((spec->columns[k].kind == GV_COL_INT && !gv_db_type_is_numeric(type)) ||
             (spec->columns[k].kind == GV_COL_DATE && !gv_db_type_is_datetime(type)) ||
             (spec->columns[k].kind == GV_COL_TEXT && !gv_db_type_is_numeric(type)) ||
             (spec->columns[k].kind == GV_COL_DECIMAL && !gv_db_type_is_numeric(type) &&
              !gv_db_type_is_float(type)))) {
            gv_errlist_add(errs, "%s: column '%s' has SQL type %d, not usable as %s", where,
                           name, type,
                           spec->columns[k].kind == GV_COL_INT    ? "a number"
                           : spec->columns[k].kind == GV_COL_DATE ? "a date"
                           : spec->columns[k].kind == GV_COL_DECIMAL ? "a decimal"
                                                                   : "text");
            problems++;
        }
        cols[k] = i;
    }
    for (size_t k = 0; k < ncols; k++)
        if (!cols[k] && !spec->columns[k].optional) {
            gv_errlist_add(errs, "%s: the statement returns no column '%s'", where,
                               spec->columns[k].name);
            problems++;
        }
    if (problems && e) {
        e->action = GV_DB_PERMANENT;
        snprintf(e->msg, sizeof e->msg, "%s", mine.count ? mine.items[0]
                 : "result columns do not match the mapping");
    }
    gv_errlist_free(&mine);
    return problems ? -1 : 0;
}


int gv_sql_bind_named(gv_db_stmt_t *st, int pos, const char *name, const gv_mapping_t *map,
                      const char *account, const gv_site_period_t *p, gv_db_error_t *e)
{
    int rc;

    if (!strcmp(name, "account") || !strcmp(name, "accounts") ||
        !strcmp(name, "first_account") || !strcmp(name, "last_account"))
        rc = map->account_bind == GV_BIND_INTEGER
                 ? gv_db_bind_int64(st, pos, strtoll(account, NULL, 10), e)
                 : gv_db_bind_text(st, pos, account, e);
    else if (!strcmp(name, "period"))
        rc = gv_db_bind_text(st, pos, p->text, e);
    else if (!strcmp(name, "period_yyyymm"))
        rc = gv_db_bind_text(st, pos, p->yyyymm, e);
    else if (!strcmp(name, "period_start"))
        rc = gv_db_bind_date(st, pos, p->start, e);
    else if (!strcmp(name, "period_end"))
        rc = gv_db_bind_date(st, pos, p->end, e);
    else
        return 0;
    return rc < 0 ? -1 : 1;
}
