/* text.c - the report as plain text, columns aligned by display width.
 *
 * A Cyrillic letter takes two bytes and one column, so columns are padded
 * by what the terminal shows (wcwidth), never by bytes.  Text goes left,
 * numbers right, every column padded to its width, so each line of a
 * table is as wide as its rule.  A value wider than its column pushes the
 * rest of its line along rather than being cut: a clerk must see every
 * digit.  The summary comes first in the file though it is counted last:
 * the registers wait in a temporary file meanwhile.
 */
#include "config.h"
#include "model.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "l10n.h"

typedef struct text_writer {
    FILE *final;                /* where the report goes */
    FILE *front, *body;         /* the summary, the registers: held until doc_end */
    FILE *out;                  /* the one being written */
    int width[32];
} text_writer_t;

static void pad(FILE *out, size_t n)
{
    static const char spaces[] = "                                                                ";

    while (n) {
        size_t k = n < sizeof spaces - 1 ? n : sizeof spaces - 1;
        fwrite(spaces, 1, k, out);
        n -= k;
    }
}

static void cell_out(FILE *out, const char *s, int width, int right)
{
    size_t w = gv_display_width(s);

    if (right && (int)w < width)
        pad(out, (size_t)width - w);
    fputs(s, out);
    if (!right && (int)w < width)
        pad(out, (size_t)width - w);
}

static int is_number(gv_cell_kind_t k)
{
    return k != GV_CELL_TEXT && k != GV_CELL_TIME && k != GV_CELL_DATE;
}

static int check_out(text_writer_t *t, gv_err_t *err)
{
    if (ferror(t->out)) {
        gv_err_set(err, "%s: %s", _("cannot write the report"), strerror(errno));
        return -1;
    }
    return 0;
}

static int text_doc_begin(void *w, const gv_doc_t *doc, gv_err_t *err)
{
    text_writer_t *t = w;

    if (!(t->front = tmpfile()) || !(t->body = tmpfile())) {
        gv_err_set(err, "%s: %s", _("cannot write the report"), strerror(errno));
        return -1;
    }
    t->out = t->body;
    return 0;
}


static void line(text_writer_t *t, const gv_table_t *tb, char ch)
{
    size_t n = 0;
    for (size_t i = 0; i < tb->ncols; i++)
        n += (size_t)t->width[i] + (i ? 2 : 0);
    fputs("  ", t->out);
    while (n--)
        fputc(ch, t->out);
    fputc('\n', t->out);
}

static int text_table_begin(void *w, const gv_table_t *tb, gv_err_t *err)
{
    text_writer_t *t = w;

    t->out = tb->front ? t->front : t->body;
    fprintf(t->out, "\n%s\n", tb->title);
    if (tb->note)
        fprintf(t->out, "%s\n", tb->note);
    fputs("  ", t->out);
    for (size_t i = 0; i < tb->ncols && i < 32; i++) {
        int tw = (int)gv_display_width(tb->cols[i].title);
        t->width[i] = tb->cols[i].width > tw ? tb->cols[i].width : tw;
        if (i)
            fputs("  ", t->out);
        cell_out(t->out, tb->cols[i].title, t->width[i], is_number(tb->cols[i].kind));
    }
    fputc('\n', t->out);
    line(t, tb, '-');
    return check_out(t, err);
}

static void cells_out(text_writer_t *t, const gv_table_t *tb, const gv_cell_t *cells)
{
    char buf[256];

    fputs("  ", t->out);
    for (size_t i = 0; i < tb->ncols && i < 32; i++) {
        if (i)
            fputs("  ", t->out);
        cell_out(t->out, gv_cell_format(&cells[i], buf, sizeof buf), t->width[i],
                 is_number(cells[i].kind));
    }
    fputc('\n', t->out);
}

static int text_row(void *w, const gv_table_t *tb, const gv_cell_t *cells, gv_err_t *err)
{
    text_writer_t *t = w;

    cells_out(t, tb, cells);
    return check_out(t, err);
}

static int text_table_end(void *w, const gv_table_t *tb, const gv_cell_t *totals, long rows,
                          gv_err_t *err)
{
    text_writer_t *t = w;

    if (rows == 0)
        fprintf(t->out, "  %s\n", _("none"));
    else if (totals) {
        line(t, tb, '=');
        cells_out(t, tb, totals);
    }
    return check_out(t, err);
}

static int text_doc_end(void *w, const gv_doc_t *doc, gv_err_t *err)
{
    text_writer_t *t = w;
    char when[64];

    t->out = t->final;
    fprintf(t->out, "%s\n", doc->title);
    if (doc->provider && *doc->provider)
        fprintf(t->out, "%s: %s\n", _("Provider"), doc->provider);
    fprintf(t->out, "%s: %s\n", _("Written"), gv_fmt_time(doc->generated_at, when, sizeof when));
    fprintf(t->out, "%s\n", doc->verdict);
    if (gv_report_copy_stream(t->front, t->out) < 0 || gv_report_copy_stream(t->body, t->out) < 0)
        return check_out(t, err) < 0 ? -1 : (gv_err_set(err, "%s", strerror(errno)), -1);
    fprintf(t->out, "\n%s\n", doc->verdict);
    if (fflush(t->out) != 0)
        return check_out(t, err) < 0 ? -1 : (gv_err_set(err, "%s", strerror(errno)), -1);
    return check_out(t, err);
}

static void text_free(void *w)
{
    text_writer_t *t = w;

    if (t && t->front)
        fclose(t->front);
    if (t && t->body)
        fclose(t->body);
    free(t);
}

static const gv_writer_ops_t text_ops = {
    "text", text_doc_begin, text_table_begin, text_row, text_table_end, text_doc_end, text_free,
};

int gv_writer_text(const gv_writer_target_t *target, gv_writer_t *out, gv_err_t *err)
{
    text_writer_t *t = calloc(1, sizeof *t);

    if (!t) {
        gv_err_set(err, "out of memory");
        return -1;
    }
    t->final = t->out = target->out;
    out->ops = &text_ops;
    out->w = t;
    return 0;
}
