/* html.c - the report as one self-contained HTML page, printable on A4.
 *
 * No external asset: the style sheet is in the page, no script, no image,
 * no font to fetch (the reader's sans-serif has Cyrillic and Kazakh
 * letters).  The summary comes first, then the registers, each a table
 * whose header row repeats on every printed page; printed A4 landscape.
 * Streamed like the other writers: a row is written as it comes, to a
 * temporary file until the summary (counted last, shown first) is known.
 */
#include "config.h"
#include "model.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "l10n.h"

typedef struct html_writer {
    FILE *final;                /* where the page goes */
    FILE *front, *body;         /* the summary, the registers: held until doc_end */
    FILE *out;                  /* the one being written */
    gv_buf_t esc;
} html_writer_t;

static const char style[] =
    "@page{size:A4 landscape;margin:10mm}"
    "body{font-family:\"DejaVu Sans\",\"Liberation Sans\",Arial,sans-serif;font-size:9pt;"
    "color:#111;margin:12px}"
    "h1{font-size:15pt;margin:0 0 4px}h2{font-size:11.5pt;margin:18px 0 2px}"
    "p{margin:2px 0}.note{color:#555;font-style:italic}"
    ".verdict{padding:5px 8px;margin:8px 0;border-radius:3px;font-weight:bold}"
    ".ok{background:#e3f4e1;border:1px solid #7bb274}"
    ".attention{background:#fde8e4;border:1px solid #d9826f}"
    "table{border-collapse:collapse;width:100%;margin-top:4px}"
    "table.wide{font-size:6pt}"
    "th,td{border:1px solid #bbb;padding:1px 4px;vertical-align:top}"
    "th{background:#ddebf7;text-align:left;font-weight:bold}"
    "td.n{text-align:right;white-space:nowrap}th.n{text-align:right}"
    "table.wide td.w{min-width:7em}"
    "td.t{white-space:nowrap}td.id{word-break:break-all}"
    "tfoot td{font-weight:bold;border-top:2px solid #555}"
    "thead{display:table-header-group}tfoot{display:table-row-group}"
    "tr{break-inside:avoid;page-break-inside:avoid}"
    "tbody tr:nth-child(even){background:#f6f8fa}"
    "section{break-inside:auto}"
    "@media print{body{margin:0}.verdict{border-width:2px}}";

static void esc(html_writer_t *h, const char *s)
{
    gv_buf_reset(&h->esc);
    if (gv_buf_xml_escape(&h->esc, s) < 0)
        fputs("…", h->out);
    else if (h->esc.data)
        fputs(h->esc.data, h->out);
}

static int check_out(html_writer_t *h, gv_err_t *err)
{
    if (ferror(h->out)) {
        gv_err_set(err, "%s: %s", _("cannot write the report"), strerror(errno));
        return -1;
    }
    return 0;
}

static int is_number(gv_cell_kind_t k)
{
    return k != GV_CELL_TEXT;
}

static int html_doc_begin(void *w, const gv_doc_t *doc, gv_err_t *err)
{
    html_writer_t *h = w;

    if (!(h->front = tmpfile()) || !(h->body = tmpfile())) {
        gv_err_set(err, "%s: %s", _("cannot write the report"), strerror(errno));
        return -1;
    }
    h->out = h->body;
    return 0;
}

static int html_table_begin(void *w, const gv_table_t *t, gv_err_t *err)
{
    html_writer_t *h = w;

    h->out = t->front ? h->front : h->body;
    fprintf(h->out, "<section id=\"%s\">\n<h2>", t->id);
    esc(h, t->title);
    fputs("</h2>\n", h->out);
    if (t->note) {
        fputs("<p class=\"note\">", h->out);
        esc(h, t->note);
        fputs("</p>\n", h->out);
    }
    fprintf(h->out, "<table class=\"%s%s\">\n<thead><tr>", t->id, t->ncols > 12 ? " wide" : "");
    for (size_t i = 0; i < t->ncols; i++) {
        fprintf(h->out, "<th class=\"%s\">", is_number(t->cols[i].kind) ? "n" : "t");
        esc(h, t->cols[i].title);
        fputs("</th>", h->out);
    }
    fputs("</tr></thead>\n<tbody>\n", h->out);
    return check_out(h, err);
}

static void cells_out(html_writer_t *h, const gv_table_t *t, const gv_cell_t *cells)
{
    char buf[256];

    fputs("<tr>", h->out);
    for (size_t i = 0; i < t->ncols; i++) {
        const char *s = gv_cell_format(&cells[i], buf, sizeof buf);
        /* Words wrap; numbers and short codes stay on one line; long ids
         * (report ids, list positions) may break anywhere. */
        const char *cls = is_number(cells[i].kind)               ? " class=\"n\""
                          : strchr(s, ' ')                      ? " class=\"w\""
                          : strlen(s) > 24                       ? " class=\"id\""
                                                                 : " class=\"t\"";
        fprintf(h->out, "<td%s>", cls);
        esc(h, s);
        fputs("</td>", h->out);
    }
    fputs("</tr>\n", h->out);
}

static int html_row(void *w, const gv_table_t *t, const gv_cell_t *cells, gv_err_t *err)
{
    html_writer_t *h = w;

    cells_out(h, t, cells);
    return check_out(h, err);
}

static int html_table_end(void *w, const gv_table_t *t, const gv_cell_t *totals, long rows,
                          gv_err_t *err)
{
    html_writer_t *h = w;

    if (rows == 0)
        fprintf(h->out, "<tr><td colspan=\"%zu\">%s</td></tr>\n", t->ncols, _("none"));
    fputs("</tbody>\n", h->out);
    if (totals && rows) {
        fputs("<tfoot>", h->out);
        cells_out(h, t, totals);
        fputs("</tfoot>\n", h->out);
    }
    fputs("</table>\n</section>\n", h->out);
    return check_out(h, err);
}

static int html_doc_end(void *w, const gv_doc_t *doc, gv_err_t *err)
{
    html_writer_t *h = w;
    char when[64];

    h->out = h->final;
    fprintf(h->out, "<!DOCTYPE html>\n<html lang=\"%s\">\n<head>\n<meta charset=\"utf-8\">\n"
                    "<title>", doc->lang);
    esc(h, doc->title);
    fprintf(h->out, "</title>\n<style>%s</style>\n</head>\n<body>\n<header>\n<h1>", style);
    esc(h, doc->title);
    fputs("</h1>\n", h->out);
    if (doc->provider && *doc->provider) {
        fprintf(h->out, "<p>%s: ", _("Provider"));
        esc(h, doc->provider);
        fputs("</p>\n", h->out);
    }
    fprintf(h->out, "<p>%s: %s</p>\n", _("Written"),
            gv_fmt_time(doc->generated_at, when, sizeof when));
    fprintf(h->out, "<p class=\"verdict %s\">", doc->needs_person ? "attention" : "ok");
    esc(h, doc->verdict);
    fputs("</p>\n</header>\n", h->out);
    if (gv_report_copy_stream(h->front, h->out) < 0 || gv_report_copy_stream(h->body, h->out) < 0) {
        gv_err_set(err, "%s: %s", _("cannot write the report"), strerror(errno));
        return -1;
    }
    fprintf(h->out, "<footer><p class=\"verdict %s\">", doc->needs_person ? "attention" : "ok");
    esc(h, doc->verdict);
    fputs("</p></footer>\n</body>\n</html>\n", h->out);
    if (fflush(h->out) != 0) {
        gv_err_set(err, "%s: %s", _("cannot write the report"), strerror(errno));
        return -1;
    }
    return check_out(h, err);
}

static void html_free(void *w)
{
    html_writer_t *h = w;

    if (!h)
        return;
    if (h->front)
        fclose(h->front);
    if (h->body)
        fclose(h->body);
    gv_buf_free(&h->esc);
    free(h);
}

static const gv_writer_ops_t html_ops = {
    "html", html_doc_begin, html_table_begin, html_row, html_table_end, html_doc_end, html_free,
};

int gv_writer_html(const gv_writer_target_t *target, gv_writer_t *out, gv_err_t *err)
{
    html_writer_t *h = calloc(1, sizeof *h);

    if (!h) {
        gv_err_set(err, "out of memory");
        return -1;
    }
    h->final = h->out = target->out;
    gv_buf_init(&h->esc, 64 * 1024);
    out->ops = &html_ops;
    out->w = h;
    return 0;
}
