/* xlsx.c - the report as an Excel workbook through libxlsxwriter.
 *
 * One sheet per table, the summary first.  Money is a number of tenge with
 * a number format (never text), volumes a number of m3, instants and dates
 * Excel dates in local time (R1); the header row is frozen and filtered,
 * columns are as wide as the text writer's (Cyrillic counts by letters),
 * and a totals row holds SUBTOTAL formulas Excel recomputes, with the sums
 * the report made as their cached values (what a reader without a formula
 * engine sees, and what the tests compare with the bill tables).
 *
 * Constant-memory mode: libxlsxwriter writes each row to a temporary file
 * once the next begins, so a million vouchers cost no more memory than
 * ten.  A sheet holds at most 1,048,576 rows; a register longer than that
 * goes on in a second sheet of the same name and its totals cover both.
 */
#include "config.h"
#include "model.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <xlsxwriter.h>

#include "calendar.h"
#include "l10n.h"

#define MAX_PARTS 8         /* sheets one register may take */

typedef struct xlsx_writer {
    gv_writer_target_t target;
    lxw_workbook *wb;
    lxw_worksheet *ws;
    lxw_worksheet *front;       /* the summary's sheet, first though filled last */
    lxw_format *head, *title, *text, *count, *money, *volume, *when, *day;
    lxw_format *t_text, *t_count, *t_money, *t_volume;
    lxw_row_t row;              /* next row of ws */
    lxw_row_t first;            /* first data row */
    int summary;                /* the summary sheet: the document's head above it */
    /* the sheets of the current table: name and data rows */
    char part_name[MAX_PARTS][128];
    lxw_row_t part_first[MAX_PARTS], part_last[MAX_PARTS];
    int parts;
    const gv_doc_t *doc;
} xlsx_writer_t;

static int lxw_fail(gv_err_t *err, const char *what, lxw_error e)
{
    gv_err_set(err, "%s: %s", what, lxw_strerror(e));
    return -1;
}

static lxw_format *fmt(lxw_workbook *wb, const char *num, int bold)
{
    lxw_format *f = workbook_add_format(wb);

    if (num)
        format_set_num_format(f, num);
    if (bold) {
        format_set_bold(f);
        format_set_top(f, LXW_BORDER_THIN);
    }
    return f;
}

static int xlsx_doc_begin(void *w, const gv_doc_t *doc, gv_err_t *err)
{
    xlsx_writer_t *x = w;
    lxw_workbook_options o = { .constant_memory = LXW_TRUE, .tmpdir = NULL,
                               .use_zip64 = LXW_TRUE };
    /* Excel number formats are written in the file's own neutral syntax
     * and shown with the reader's separators: "# ##0,00 ₸" in a Russian
     * Excel.  TRANSLATORS: an Excel date format; keep Excel's letters (d,
     * m, y, h, mm). */
    const char *when = C_("xlsx", "yyyy-mm-dd hh:mm");
    /* TRANSLATORS: an Excel date format; keep Excel's letters (d, m, y). */
    const char *day = C_("xlsx", "yyyy-mm-dd");

    /* libxlsxwriter creates the file only when it closes the workbook,
     * after all the work, and says why it could not in English: find out
     * first, in the clerk's words. */
    FILE *probe = fopen(x->target.path, "ab");
    if (!probe) {
        gv_err_set(err, "%s: %s", x->target.path, strerror(errno));
        return -1;
    }
    fclose(probe);
    if (!(x->wb = workbook_new_opt(x->target.path, &o))) {
        gv_err_set(err, "%s: %s", x->target.path, _("cannot create the workbook"));
        return -1;
    }
    x->head = workbook_add_format(x->wb);
    format_set_bold(x->head);
    format_set_text_wrap(x->head);
    format_set_align(x->head, LXW_ALIGN_VERTICAL_TOP);
    format_set_bg_color(x->head, 0xDDEBF7);
    format_set_bottom(x->head, LXW_BORDER_THIN);
    x->title = workbook_add_format(x->wb);
    format_set_bold(x->title);
    format_set_font_size(x->title, 14);
    x->text = NULL;
    x->count = fmt(x->wb, "#,##0", 0);
    x->money = fmt(x->wb, "#,##0.00 \"₸\"", 0);
    x->volume = fmt(x->wb, "#,##0.000", 0);
    x->when = fmt(x->wb, when, 0);
    x->day = fmt(x->wb, day, 0);
    x->t_text = fmt(x->wb, NULL, 1);
    x->t_count = fmt(x->wb, "#,##0", 1);
    x->t_money = fmt(x->wb, "#,##0.00 \"₸\"", 1);
    x->t_volume = fmt(x->wb, "#,##0.000", 1);
    x->doc = doc;
    if (!(x->front = workbook_add_worksheet(x->wb, _("Summary")))) {
        gv_err_set(err, "%s: %s", _("Summary"), _("cannot add the sheet"));
        return -1;
    }
    return 0;
}

/* A sheet name: at most 31 characters, none of []:*?/\ (Excel's rules),
 * cut at a character boundary. */
static void sheet_name(const char *title, int part, char *out, size_t n)
{
    char suffix[8] = "";
    size_t chars = 0, pos = 0, limit;

    if (part > 0)
        snprintf(suffix, sizeof suffix, " (%d)", (part + 1) % 100);
    limit = 31 - strlen(suffix);
    for (const char *p = title; *p && chars < limit && pos + 5 < n;) {
        size_t len = 1;
        unsigned char c = (unsigned char)*p;
        if (c >= 0xF0) len = 4; else if (c >= 0xE0) len = 3; else if (c >= 0xC0) len = 2;
        if (strchr("[]:*?/\\", *p)) {
            out[pos++] = ' ';
            p++;
        } else {
            memcpy(out + pos, p, len);
            pos += len;
            p += len;
        }
        chars++;
    }
    out[pos] = '\0';
    snprintf(out + pos, n - pos, "%s", suffix);
}

static int header_row(xlsx_writer_t *x, const gv_table_t *t, gv_err_t *err)
{
    lxw_error e;

    worksheet_set_row(x->ws, x->row, 32, NULL);
    for (size_t i = 0; i < t->ncols; i++)
        if ((e = worksheet_write_string(x->ws, x->row, (lxw_col_t)i, t->cols[i].title,
                                        x->head)) != LXW_NO_ERROR)
            return lxw_fail(err, t->id, e);
    worksheet_freeze_panes(x->ws, x->row + 1, 0);
    x->row++;
    x->first = x->row;
    return 0;
}

static int new_sheet(xlsx_writer_t *x, const gv_table_t *t, gv_err_t *err)
{
    char *name = x->part_name[x->parts];

    sheet_name(t->title, x->parts, name, sizeof x->part_name[0]);
    if (x->summary)
        x->ws = x->front;
    else if (!(x->ws = workbook_add_worksheet(x->wb, name))) {
        gv_err_set(err, "%s: %s", name, _("cannot add the sheet"));
        return -1;
    }
    x->row = 0;
    for (size_t i = 0; i < t->ncols; i++) {
        double width = t->cols[i].width + 2;
        if (t->cols[i].kind == GV_CELL_MONEY || t->cols[i].kind == GV_CELL_PRICE)
            width = width < 16 ? 16 : width;
        worksheet_set_column(x->ws, (lxw_col_t)i, (lxw_col_t)i, width > 60 ? 60 : width, NULL);
    }
    if (x->summary) {
        /* The document's head above the summary; the verdict is known now. */
        char when[64];
        worksheet_write_string(x->ws, 0, 0, x->doc->title, x->title);
        worksheet_write_string(x->ws, 1, 0, x->doc->provider ? x->doc->provider : "", NULL);
        worksheet_write_string(x->ws, 2, 0, gv_fmt_time(x->doc->generated_at, when, sizeof when),
                               NULL);
        worksheet_write_string(x->ws, 3, 0, x->doc->verdict, x->t_text);
        x->row = 5;
    }
    return header_row(x, t, err);
}

static int xlsx_table_begin(void *w, const gv_table_t *t, gv_err_t *err)
{
    xlsx_writer_t *x = w;

    x->summary = t->front;
    x->parts = 0;
    return new_sheet(x, t, err);
}

static void to_datetime(int64_t instant, lxw_datetime *dt)
{
    time_t tt = (time_t)instant;
    struct tm tm;

    localtime_r(&tt, &tm);
    dt->year = tm.tm_year + 1900;
    dt->month = tm.tm_mon + 1;
    dt->day = tm.tm_mday;
    dt->hour = tm.tm_hour;
    dt->min = tm.tm_min;
    dt->sec = tm.tm_sec;
}

static lxw_error write_cell(xlsx_writer_t *x, lxw_row_t r, lxw_col_t c, const gv_cell_t *cell)
{
    lxw_datetime dt;

    if (cell->empty)
        return LXW_NO_ERROR;
    switch (cell->kind) {
    case GV_CELL_TEXT: return worksheet_write_string(x->ws, r, c, cell->text, x->text);
    case GV_CELL_COUNT: return worksheet_write_number(x->ws, r, c, (double)cell->num, x->count);
    case GV_CELL_MONEY:
    case GV_CELL_PRICE:
        return worksheet_write_number(x->ws, r, c, (double)cell->num / 100.0, x->money);
    case GV_CELL_VOLUME:
        return worksheet_write_number(x->ws, r, c, (double)cell->num / 1000.0, x->volume);
    case GV_CELL_TIME:
        to_datetime(cell->num, &dt);
        return worksheet_write_datetime(x->ws, r, c, &dt, x->when);
    case GV_CELL_DATE: {
        int y, m, d;
        gv_civil_from_days((int32_t)cell->num, &y, &m, &d);
        memset(&dt, 0, sizeof dt);
        dt.year = y;
        dt.month = (uint8_t)m;
        dt.day = (uint8_t)d;
        return worksheet_write_datetime(x->ws, r, c, &dt, x->day);
    }
    }
    return LXW_NO_ERROR;
}

static void close_part(xlsx_writer_t *x, const gv_table_t *t)
{
    x->part_first[x->parts] = x->first;
    x->part_last[x->parts] = x->row;        /* one past the last data row */
    if (x->row > x->first)
        worksheet_autofilter(x->ws, x->first - 1, 0, x->row - 1, (lxw_col_t)(t->ncols - 1));
    x->parts++;
}

static int xlsx_row(void *w, const gv_table_t *t, const gv_cell_t *cells, gv_err_t *err)
{
    xlsx_writer_t *x = w;
    lxw_error e;

    /* Leave the last row free for the totals. */
    if (x->row >= LXW_ROW_MAX - 2) {
        if (x->parts + 1 == MAX_PARTS) {
            gv_err_set(err, "%s: %s", t->id, _("too many rows for one workbook"));
            return -1;
        }
        close_part(x, t);
        if (new_sheet(x, t, err) < 0)
            return -1;
    }
    for (size_t i = 0; i < t->ncols; i++)
        if ((e = write_cell(x, x->row, (lxw_col_t)i, &cells[i])) != LXW_NO_ERROR)
            return lxw_fail(err, t->id, e);
    x->row++;
    return 0;
}

/* SUBTOTAL(9, ...) over the column's data rows in every sheet of the
 * table: a filtered view totals what it shows. */
static void total_formula(const xlsx_writer_t *x, lxw_col_t col, char *out, size_t n)
{
    char a[32], b[32], colname[8];
    size_t pos;

    lxw_col_to_name(colname, col, 0);
    pos = (size_t)snprintf(out, n, "=SUBTOTAL(9");
    for (int p = 0; p < x->parts && pos < n; p++) {
        snprintf(a, sizeof a, "%s%u", colname, (unsigned)x->part_first[p] + 1);
        snprintf(b, sizeof b, "%s%u", colname, (unsigned)x->part_last[p]);
        if (x->parts == 1)
            pos += (size_t)snprintf(out + pos, n - pos, ",%s:%s", a, b);
        else
            pos += (size_t)snprintf(out + pos, n - pos, ",'%s'!%s:%s", x->part_name[p], a, b);
    }
    if (pos < n)
        snprintf(out + pos, n - pos, ")");
}

static int xlsx_table_end(void *w, const gv_table_t *t, const gv_cell_t *totals, long rows,
                          gv_err_t *err)
{
    xlsx_writer_t *x = w;
    char formula[600];
    lxw_error e;

    close_part(x, t);
    if (rows == 0) {
        worksheet_write_string(x->ws, x->row, 0, _("none"), NULL);
        return 0;
    }
    if (!totals)
        return 0;
    for (size_t i = 0; i < t->ncols; i++) {
        const gv_cell_t *c = &totals[i];
        double v;
        lxw_format *f;
        if (c->empty) {
            continue;
        }
        if (c->kind == GV_CELL_TEXT) {
            e = worksheet_write_string(x->ws, x->row, (lxw_col_t)i, c->text, x->t_text);
        } else {
            switch (c->kind) {
            case GV_CELL_MONEY:
            case GV_CELL_PRICE: v = (double)c->num / 100.0; f = x->t_money; break;
            case GV_CELL_VOLUME: v = (double)c->num / 1000.0; f = x->t_volume; break;
            default: v = (double)c->num; f = x->t_count; break;
            }
            total_formula(x, (lxw_col_t)i, formula, sizeof formula);
            e = worksheet_write_formula_num(x->ws, x->row, (lxw_col_t)i, formula, f, v);
        }
        if (e != LXW_NO_ERROR)
            return lxw_fail(err, t->id, e);
    }
    return 0;
}

static int xlsx_doc_end(void *w, const gv_doc_t *doc, gv_err_t *err)
{
    xlsx_writer_t *x = w;
    lxw_doc_properties props;
    lxw_error e;

    memset(&props, 0, sizeof props);
    props.title = (char *)doc->title;
    props.company = (char *)doc->provider;
    props.comments = (char *)doc->verdict;
    workbook_set_properties(x->wb, &props);
    e = workbook_close(x->wb);

    x->wb = NULL;
    if (e != LXW_NO_ERROR)
        return lxw_fail(err, x->target.path, e);
    return 0;
}

static void xlsx_free(void *w)
{
    xlsx_writer_t *x = w;

    if (x && x->wb)
        workbook_close(x->wb);     /* an unfinished workbook: the file is not to be used */
    free(x);
}

static const gv_writer_ops_t xlsx_ops = {
    "xlsx", xlsx_doc_begin, xlsx_table_begin, xlsx_row, xlsx_table_end, xlsx_doc_end, xlsx_free,
};

int gv_writer_xlsx(const gv_writer_target_t *target, gv_writer_t *out, gv_err_t *err)
{
    xlsx_writer_t *x;

    if (!target->path) {
        gv_err_set(err, "%s", _("an Excel workbook needs a file (--output)"));
        return -1;
    }
    if (!(x = calloc(1, sizeof *x))) {
        gv_err_set(err, "out of memory");
        return -1;
    }
    x->target = *target;
    out->ops = &xlsx_ops;
    out->w = x;
    return 0;
}
