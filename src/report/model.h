/* model.h - a reconciliation report as the writers see it.
 *
 * A report is a document of tables: the summary first, then the
 * registers.  The summary is handed over last, though (it is counted from
 * the registers' rows as they stream by, so every total is the sum of the
 * rows shown), with front set: each writer puts it first: xlsx in its
 * first sheet, csv in its own file, text and html by holding the
 * registers in a temporary file until the summary and the verdict are
 * known.  Each table has columns of a kind (text, count, money in
 * tiyn, volume in thousandths of m3, an instant, a date) and streams its
 * rows to the writer one at a time; a table may end with a totals row the
 * driver summed (every total is the sum of its rows).  Writers are one
 * file each (text.c, csv.c, xlsx.c, html.c) behind gv_writer_ops_t;
 * they never see SQL, and the queries never see a format.
 *
 * Texts in a table (titles, words) are already translated: writers only
 * format numbers and dates for the language (l10n.h) or for the machine.
 */
#ifndef GV_REPORT_MODEL_H
#define GV_REPORT_MODEL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "err.h"

typedef enum {
    GV_CELL_TEXT,       /* words, identifiers */
    GV_CELL_COUNT,      /* a whole number */
    GV_CELL_MONEY,      /* tiyn */
    GV_CELL_VOLUME,     /* thousandths of m3 */
    GV_CELL_PRICE,      /* tiyn per 1000 m3 */
    GV_CELL_TIME,       /* seconds since the epoch, shown in local time (R1) */
    GV_CELL_DATE,       /* days since the epoch */
} gv_cell_kind_t;

typedef struct gv_cell {
    gv_cell_kind_t kind;        /* usually the column's; the summary mixes kinds */
    int empty;                  /* no value (shown blank) */
    const char *text;           /* GV_CELL_TEXT */
    int64_t num;                /* every other kind */
} gv_cell_t;

typedef struct gv_column {
    const char *id;             /* machine name: CSV files, HTML classes */
    const char *title;          /* translated */
    gv_cell_kind_t kind;
    int width;                  /* display cells the text writer gives it */
    int summed;                 /* the totals row holds its sum */
} gv_column_t;

typedef struct gv_table {
    const char *id;             /* "vouchers": file and sheet names */
    const char *title;          /* translated */
    const char *note;           /* translated; what the table shows, or NULL */
    const gv_column_t *cols;
    size_t ncols;
    int front;                  /* the summary: shown first, handed over last */
} gv_table_t;

typedef struct gv_doc {
    const char *title;          /* "Reconciliation of period 2025-09", translated */
    const char *period;         /* YYYY-MM */
    const char *provider;       /* name and BIN */
    int64_t generated_at;       /* the report's "now" */
    const char *lang;           /* ru | kk | en */
    const char *verdict;        /* translated: reconciles, or what needs a person; */
    int needs_person;           /* both known at doc_end only ("" and 0 before) */
} gv_doc_t;

/* A writer.  Every function returns 0, or -1 with err.  Tables come one
 * after the other (begin, rows, end); a writer may keep nothing of a row
 * after row() returns. */
typedef struct gv_writer_ops {
    const char *name;           /* "text", "csv", "xlsx", "html" */
    int (*doc_begin)(void *w, const gv_doc_t *doc, gv_err_t *err);
    int (*table_begin)(void *w, const gv_table_t *t, gv_err_t *err);
    int (*row)(void *w, const gv_table_t *t, const gv_cell_t *cells, gv_err_t *err);
    /* totals: one cell per column (empty where not summed), label in the
     * first; NULL when the table has no totals row.  rows: rows written. */
    int (*table_end)(void *w, const gv_table_t *t, const gv_cell_t *totals, long rows,
                     gv_err_t *err);
    /* The verdict again at the end (text and HTML close with it). */
    int (*doc_end)(void *w, const gv_doc_t *doc, gv_err_t *err);
    void (*free)(void *w);
} gv_writer_ops_t;

typedef struct gv_writer {
    const gv_writer_ops_t *ops;
    void *w;
} gv_writer_t;

/* Where a writer writes.  out: a stream (text, html; csv with one table);
 * path: a file (xlsx) or a folder (csv, a file per table). */
typedef struct gv_writer_target {
    FILE *out;
    const char *path;
    const char *only_table;     /* csv: write just this table ("vouchers"), NULL = all */
    int bom;                    /* csv: start each file with a UTF-8 byte order mark */
} gv_writer_target_t;

int gv_writer_text(const gv_writer_target_t *t, gv_writer_t *out, gv_err_t *err);
int gv_writer_csv(const gv_writer_target_t *t, gv_writer_t *out, gv_err_t *err);
int gv_writer_xlsx(const gv_writer_target_t *t, gv_writer_t *out, gv_err_t *err);
int gv_writer_html(const gv_writer_target_t *t, gv_writer_t *out, gv_err_t *err);

/* Appends src (rewound) to dst; 0 or -1.  For writers holding parts. */
int gv_report_copy_stream(FILE *src, FILE *dst);

/* Formats a cell for people in the current language (text and HTML
 * writers); "" for an empty cell. */
const char *gv_cell_format(const gv_cell_t *c, char *buf, size_t n);

#endif
