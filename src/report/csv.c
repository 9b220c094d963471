/* csv.c - the registers as CSV (RFC 4180) through libcsv.
 *
 * One file per register in a folder (summary.csv, vouchers.csv, ...), or
 * one chosen register to a file or standard output.  UTF-8, CRLF line
 * ends, a header row of translated column titles, fields quoted when they
 * hold a comma, a quote or a line end.  Values are for machines: money in
 * tiyn and beside it in tenge with a decimal point ("3713.52"), volumes in
 * m3 with a point, instants as local "YYYY-MM-DD HH:MM:SS" (R1).  No
 * totals row: a sum over the column must equal the register's total.
 *
 * Excel opens a UTF-8 file with Cyrillic intact when it starts with a byte
 * order mark (--bom) or through Data > From Text/CSV with "65001: UTF-8".
 */
#include "config.h"
#include "model.h"

#include <csv.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "calendar.h"
#include "l10n.h"
#include "money.h"

typedef struct csv_writer {
    gv_writer_target_t target;
    FILE *out;                  /* the current table's file */
    int own;                    /* out was opened here */
    int skip;                   /* this table is not the one asked for */
    char path[1024];
} csv_writer_t;

static int two_columns(gv_cell_kind_t k)
{
    return k == GV_CELL_MONEY || k == GV_CELL_PRICE;
}

static void field_sep(csv_writer_t *c, int first)
{
    if (!first)
        fputc(',', c->out);
}

static void text_field(csv_writer_t *c, const char *s)
{
    if (strpbrk(s, ",\"\r\n"))
        csv_fwrite(c->out, s, strlen(s));        /* quoted, quotes doubled */
    else
        fputs(s, c->out);
}

static int csvw_doc_begin(void *w, const gv_doc_t *doc, gv_err_t *err)
{
    csv_writer_t *c = w;

    if (!c->target.only_table && c->target.path && mkdir(c->target.path, 0777) < 0 &&
        errno != EEXIST) {
        gv_err_set(err, "%s: %s", c->target.path, strerror(errno));
        return -1;
    }
    return 0;
}

static int csvw_table_begin(void *w, const gv_table_t *t, gv_err_t *err)
{
    csv_writer_t *c = w;
    char title[300];

    c->skip = c->target.only_table && strcmp(c->target.only_table, t->id) != 0;
    if (c->skip)
        return 0;
    if (c->target.only_table) {
        if (c->target.path) {
            snprintf(c->path, sizeof c->path, "%s", c->target.path);
            c->out = fopen(c->path, "w");
            c->own = 1;
        } else {
            c->out = c->target.out;
            c->own = 0;
        }
    } else {
        snprintf(c->path, sizeof c->path, "%s/%s.csv", c->target.path, t->id);
        c->out = fopen(c->path, "w");
        c->own = 1;
    }
    if (!c->out) {
        gv_err_set(err, "%s: %s", c->path, strerror(errno));
        return -1;
    }
    if (c->target.bom)
        fputs("\xEF\xBB\xBF", c->out);
    for (size_t i = 0; i < t->ncols; i++) {
        const gv_column_t *col = &t->cols[i];
        field_sep(c, i == 0);
        if (two_columns(col->kind)) {
            /* TRANSLATORS: a CSV column of an amount in tiyn; %s is its title. */
            snprintf(title, sizeof title, _("%s, tiyn"), col->title);
            text_field(c, title);
            fputc(',', c->out);
            /* TRANSLATORS: a CSV column of an amount in tenge; %s is its title. */
            snprintf(title, sizeof title, _("%s, tenge"), col->title);
            text_field(c, title);
        } else {
            text_field(c, col->title);
        }
    }
    fputs("\r\n", c->out);
    return 0;
}

static void local_iso(int64_t instant, char *out, size_t n)
{
    time_t t = (time_t)instant;
    struct tm tm;

    localtime_r(&t, &tm);
    snprintf(out, n, "%04d-%02d-%02d %02d:%02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

static int csvw_row(void *w, const gv_table_t *t, const gv_cell_t *cells, gv_err_t *err)
{
    csv_writer_t *c = w;
    char buf[64];

    if (c->skip)
        return 0;
    for (size_t i = 0; i < t->ncols; i++) {
        const gv_cell_t *cell = &cells[i];
        field_sep(c, i == 0);
        if (two_columns(cell->kind)) {
            if (!cell->empty) {
                gv_decimal_format(cell->num, 2, buf, sizeof buf);
                fprintf(c->out, "%lld,%s", (long long)cell->num, buf);
            } else {
                fputc(',', c->out);
            }
            continue;
        }
        if (cell->empty)
            continue;
        switch (cell->kind) {
        case GV_CELL_TEXT: text_field(c, cell->text); break;
        case GV_CELL_COUNT: fprintf(c->out, "%lld", (long long)cell->num); break;
        case GV_CELL_VOLUME:
            gv_decimal_format(cell->num, 3, buf, sizeof buf);
            fputs(buf, c->out);
            break;
        case GV_CELL_TIME:
            local_iso(cell->num, buf, sizeof buf);
            fputs(buf, c->out);
            break;
        case GV_CELL_DATE: {
            char d[11];
            gv_date_format((int32_t)cell->num, d);
            fputs(d, c->out);
            break;
        }
        default: break;
        }
    }
    fputs("\r\n", c->out);
    if (ferror(c->out)) {
        gv_err_set(err, "%s: %s", c->path[0] ? c->path : "-", strerror(errno));
        return -1;
    }
    return 0;
}

static int csvw_table_end(void *w, const gv_table_t *t, const gv_cell_t *totals, long rows,
                         gv_err_t *err)
{
    csv_writer_t *c = w;
    int bad;

    if (c->skip)
        return 0;
    bad = fflush(c->out) != 0 || ferror(c->out);
    if (c->own && fclose(c->out) != 0)
        bad = 1;
    c->out = NULL;
    if (bad) {
        gv_err_set(err, "%s: %s", c->path[0] ? c->path : "-", strerror(errno));
        return -1;
    }
    return 0;
}

static int csvw_doc_end(void *w, const gv_doc_t *doc, gv_err_t *err)
{
    return 0;
}

static void csvw_free(void *w)
{
    csv_writer_t *c = w;

    if (c && c->out && c->own)
        fclose(c->out);
    free(c);
}

static const gv_writer_ops_t csvw_ops = {
    "csv", csvw_doc_begin, csvw_table_begin, csvw_row, csvw_table_end, csvw_doc_end, csvw_free,
};

int gv_writer_csv(const gv_writer_target_t *target, gv_writer_t *out, gv_err_t *err)
{
    csv_writer_t *c;

    if (!target->only_table && !target->path) {
        gv_err_set(err, "%s", _("CSV is a file per register: give --output FOLDER, or "
                                "--register NAME for one"));
        return -1;
    }
    if (!(c = calloc(1, sizeof *c))) {
        gv_err_set(err, "out of memory");
        return -1;
    }
    c->target = *target;
    out->ops = &csvw_ops;
    out->w = c;
    return 0;
}
