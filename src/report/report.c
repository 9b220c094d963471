/* report.c - the reconciliation report: queries to tables (see report.h). */
#include "config.h"
#include "report.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calendar.h"
#include "check.h"
#include "l10n.h"
#include "reconcile.h"

/* ---- codes in words ------------------------------------------------- */

/* gettext, remembered: the same few words are looked up for each of a
 * million rows, and every gettext call takes a lock and a search.  Keyed
 * by the msgid's address (static strings); the language never changes
 * within a run. */
static const char *tr(const char *msgid)
{
    static struct { const char *id, *text; } memo[256];
    size_t i = ((uintptr_t)msgid >> 3) % 256;

    for (size_t k = 0; k < 256; k++, i = (i + 1) % 256) {
        if (memo[i].id == msgid)
            return memo[i].text;
        if (!memo[i].id) {
            memo[i].id = msgid;
            memo[i].text = gettext(msgid);
            return memo[i].text;
        }
    }
    return gettext(msgid);
}

typedef struct code_words {
    const char *code;
    const char *rule;
    const char *words;          /* N_(): translated when shown */
} code_words_t;

/* Every reason a voucher can end with: the wallet's R0 reasons, the
 * RedemptionReport's Pending reasons and billing's conflicts. */
static const code_words_t reasons[] = {
    { "WRONG_PERIOD", "R6", N_("the voucher id names another period") },
    { "PERIOD_OUTSIDE_PILOT", "R2", N_("the period or the activation lies outside the pilot") },
    { "ACTIVATED_OUTSIDE_WINDOW", "R4",
      N_("activated outside the 7th to the 29th of the period") },
    { "DUPLICATE_VOUCHER", "R7", N_("the same voucher id arrived with other content") },
    { "UNKNOWN_ACCOUNT", "R8", N_("no such account at this provider") },
    { "ACCOUNT_CLOSED", "R8", N_("the account was closed before the period") },
    { "NOT_HOUSEHOLD", "R8", N_("not a household account (tariff group 1)") },
    { "REGION_NOT_IN_PILOT", "R8", N_("the account's region is not in the pilot") },
    { "DUPLICATE_ACCOUNT_PERIOD", "R7",
      N_("another voucher of this account and period was activated first") },
    { "NO_TARIFF", "R13", N_("no group-1 price for the region and period") },
    { "NO_METER_READING", "R14",
      N_("no meter reading closing the period, or none before it to compare with") },
    { "INVALID_METER_READING", "R14",
      N_("the meter readings give a negative or implausible volume") },
    { "NO_FACE_VALUE", "R17", N_("the face-value rule is in force and the voucher has none") },
    { "SITE_DUPLICATE", "R18",
      N_("the billing database already holds a bill for this account and period") },
    { "ACCOUNT_GONE", "R8", N_("the billing database no longer has the account") },
    { "SITE_VALUE", "R14",
      N_("the billing database gave a value for the account that cannot be used") },
    { "RULE_REFUSED", "R16", N_("the discount rule in force does not cover this voucher") },
    { "SITE_REFUSED", "R18", N_("the billing database refused this bill") },
};

static const code_words_t *find_code(const code_words_t *t, size_t n, const char *code)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(t[i].code, code))
            return &t[i];
    return NULL;
}

#define FIND(t, code) find_code(t, sizeof t / sizeof t[0], code)

const char *gv_report_reason_words(const char *code)
{
    const code_words_t *c = FIND(reasons, code);
    return c ? tr(c->words) : code;
}

const char *gv_report_reason_rule(const char *code)
{
    const code_words_t *c = FIND(reasons, code);
    return c ? c->rule : "";
}

static const code_words_t channels[] = {
    { "EGOV_MOBILE", "", N_("eGov mobile app") },
    { "PSC", "", N_("public service centre") },
};
static const code_words_t assistance[] = {
    { "TSA", "", N_("targeted social assistance") },
    { "HOUSING", "", N_("housing assistance") },
};
static const code_words_t outbox_states[] = {
    { "PENDING", "", N_("to be delivered") },
    { "DELIVERED", "", N_("delivered") },
    { "FAILED", "", N_("refused by the wallet") },
};
static const code_words_t batch_states[] = {
    { "RECEIVED", "", N_("received, not processed yet") },
    { "PROCESSED", "", N_("processed") },
};
static const code_words_t bill_states[] = {
    { "BILLED", "", N_("billed") },
    { "PENDING", "", N_("pending") },
    { "CONFLICT", "", N_("conflict") },
};
static const code_words_t regions[] = {
    { "KZ-10", "", N_("Abai Region") },         { "KZ-11", "", N_("Akmola Region") },
    { "KZ-15", "", N_("Aktobe Region") },       { "KZ-19", "", N_("Almaty Region") },
    { "KZ-23", "", N_("Atyrau Region") },       { "KZ-27", "", N_("West Kazakhstan Region") },
    { "KZ-31", "", N_("Zhambyl Region") },      { "KZ-33", "", N_("Zhetisu Region") },
    { "KZ-35", "", N_("Karaganda Region") },    { "KZ-39", "", N_("Kostanay Region") },
    { "KZ-43", "", N_("Kyzylorda Region") },    { "KZ-47", "", N_("Mangystau Region") },
    { "KZ-55", "", N_("Pavlodar Region") },     { "KZ-59", "", N_("North Kazakhstan Region") },
    { "KZ-61", "", N_("Turkistan Region") },    { "KZ-62", "", N_("Ulytau Region") },
    { "KZ-63", "", N_("East Kazakhstan Region") }, { "KZ-71", "", N_("Astana") },
    { "KZ-75", "", N_("Almaty") },              { "KZ-79", "", N_("Shymkent") },
};

/* A code in words; "" stays "", an unknown code is shown as it is. */
static const char *words_of(const code_words_t *t, size_t n, const char *code)
{
    const code_words_t *c;

    if (!code || !*code)
        return "";
    c = find_code(t, n, code);
    return c ? tr(c->words) : code;
}
#define WORDS(t, code) words_of(t, sizeof t / sizeof t[0], code)

/* The widest of a set's words in the current language, after prefix: a
 * text column of words from a closed set is made that wide, so a register
 * streamed row by row still lines up. */
static int widest(const code_words_t *t, size_t n, const char *prefix, int at_least)
{
    int w = at_least;

    for (size_t i = 0; i < n; i++) {
        char buf[300];
        int k;
        snprintf(buf, sizeof buf, "%s%s", prefix, _(t[i].words));
        k = (int)gv_display_width(buf);
        if (k > w)
            w = k;
    }
    return w;
}
#define WIDEST(t, prefix, at_least) widest(t, sizeof t / sizeof t[0], prefix, at_least)

/* The rule a bill's discount came from. */
static const char *discount_rule(const char *name)
{
    if (!strcmp(name, "face_value"))
        return "R17";
    return "R16";
}

/* ---- cells -------------------------------------------------------- */

static gv_cell_t text_cell(const char *s)
{
    gv_cell_t c = { GV_CELL_TEXT, !s || !*s, s ? s : "", 0 };
    return c;
}

static gv_cell_t num_cell(gv_cell_kind_t kind, const gv_rec_value_t *v)
{
    gv_cell_t c = { kind, v->is_null, NULL, v->num };
    return c;
}

static gv_cell_t value_cell(gv_cell_kind_t kind, int64_t n)
{
    gv_cell_t c = { kind, 0, NULL, n };
    return c;
}

static gv_cell_t empty_cell(gv_cell_kind_t kind)
{
    gv_cell_t c = { kind, 1, "", 0 };
    return c;
}

const char *gv_cell_format(const gv_cell_t *c, char *buf, size_t n)
{
    if (c->empty)
        return "";
    switch (c->kind) {
    case GV_CELL_TEXT: return c->text;
    case GV_CELL_COUNT: return gv_fmt_int(c->num, buf, n);
    case GV_CELL_MONEY:
    case GV_CELL_PRICE: return gv_fmt_money(c->num, buf, n);
    case GV_CELL_VOLUME: return gv_fmt_decimal(c->num, 3, buf, n);
    case GV_CELL_TIME: return gv_fmt_time(c->num, buf, n);
    case GV_CELL_DATE: return gv_fmt_date((int32_t)c->num, buf, n);
    }
    return "";
}

int gv_report_copy_stream(FILE *src, FILE *dst)
{
    char buf[1 << 16];
    size_t n;

    rewind(src);
    while ((n = fread(buf, 1, sizeof buf, src)) > 0)
        if (fwrite(buf, 1, n, dst) != n)
            return -1;
    return ferror(src) ? -1 : 0;
}

/* ---- writing a table, with its sums ---------------------------------- */

typedef struct table_run {
    gv_writer_t *w;
    const gv_table_t *t;
    int64_t sums[32];
    long rows;
    gv_err_t *err;
    int failed;                 /* the writer failed: err says why */
} table_run_t;

static int table_start(table_run_t *tr, gv_writer_t *w, const gv_table_t *t, gv_err_t *err)
{
    memset(tr, 0, sizeof *tr);
    tr->w = w;
    tr->t = t;
    tr->err = err;
    return w->ops->table_begin(w->w, t, err);
}

static int table_row(table_run_t *tr, const gv_cell_t *cells)
{
    for (size_t i = 0; i < tr->t->ncols && i < 32; i++)
        if (tr->t->cols[i].summed && !cells[i].empty)
            tr->sums[i] += cells[i].num;
    tr->rows++;
    if (tr->w->ops->row(tr->w->w, tr->t, cells, tr->err) < 0) {
        tr->failed = 1;
        return -1;
    }
    return 0;
}

static int table_finish(table_run_t *tr, int with_totals)
{
    gv_cell_t totals[32];
    int any = 0;

    for (size_t i = 0; i < tr->t->ncols && i < 32; i++) {
        if (tr->t->cols[i].summed) {
            totals[i] = value_cell(tr->t->cols[i].kind, tr->sums[i]);
            any = 1;
        } else {
            totals[i] = empty_cell(tr->t->cols[i].kind);
        }
    }
    if (tr->t->ncols && tr->t->cols[0].kind == GV_CELL_TEXT)
        totals[0] = text_cell(_("Total"));
    return tr->w->ops->table_end(tr->w->w, tr->t, with_totals && any ? totals : NULL, tr->rows,
                                 tr->err);
}

/* ---- the summary ------------------------------------------------------ */

#define SUMMARY_MAX 96

typedef struct summary_row {
    const char *section;        /* translated */
    char item[200];
    char code[48];
    int64_t count;
    int has_money;
    int64_t volume, charge, discount, due;
} summary_row_t;

/* Counts and sums under up to two keys, folded from the rows as they pass. */
#define TALLY_MAX 512
typedef struct tally {
    char key[2][48];
    int64_t count, volume, charge, discount, due;
} tally_t;

typedef struct tallies {
    tally_t t[TALLY_MAX];
    size_t n;
} tallies_t;

typedef struct summary {
    summary_row_t rows[SUMMARY_MAX];
    size_t n;
    const char *section;
    /* the voucher register, folded by what each total needs */
    tallies_t judged, bills, pending_reasons, regions, assistance;
    tallies_t lists_t, trail_t, reports_t;      /* counted by SQL */
    int overflow;               /* more distinct codes than a tally holds */
    /* what the verdict needs */
    long conflicts, pending, not_billed, withdrawn, refused;
} summary_t;

static summary_row_t *summary_add(summary_t *s, const char *item, const char *code,
                                  int64_t count)
{
    summary_row_t *r;

    if (s->n == SUMMARY_MAX)
        return NULL;
    r = &s->rows[s->n++];
    memset(r, 0, sizeof *r);
    r->section = s->section;
    snprintf(r->item, sizeof r->item, "%s", item);
    snprintf(r->code, sizeof r->code, "%s", code ? code : "");
    r->count = count;
    return r;
}


/* "ACCEPTED", "REJECTED REASON", "NONE" of gv_trail in words. */
static const char *outcome_words(const char *o, char *buf, size_t n)
{
    if (!strcmp(o, "ACCEPTED"))
        snprintf(buf, n, "%s", tr(N_("accepted")));
    else if (!strncmp(o, "REJECTED ", 9))
        snprintf(buf, n, "%s: %s", tr(N_("rejected")), gv_report_reason_words(o + 9));
    else if (!strcmp(o, "NONE"))
        snprintf(buf, n, "%s", tr(N_("not judged yet")));
    else
        snprintf(buf, n, "%s", o);
    return buf;
}


typedef struct tally_amounts {
    int64_t count, volume, charge, discount, due;
} tally_amounts_t;

static void tally_add(summary_t *s, tallies_t *ts, const char *k1, const char *k2,
                      const tally_amounts_t *v)
{
    tally_t *t = NULL;

    for (size_t i = 0; i < ts->n && !t; i++)
        if (!strcmp(ts->t[i].key[0], k1) && !strcmp(ts->t[i].key[1], k2))
            t = &ts->t[i];
    if (!t) {
        if (ts->n == TALLY_MAX) {
            s->overflow = 1;
            return;
        }
        t = &ts->t[ts->n++];
        memset(t, 0, sizeof *t);
        snprintf(t->key[0], sizeof t->key[0], "%s", k1);
        snprintf(t->key[1], sizeof t->key[1], "%s", k2);
    }
    t->count += v->count;
    t->volume += v->volume;
    t->charge += v->charge;
    t->discount += v->discount;
    t->due += v->due;
}

static int tally_cmp(const void *a, const void *b)
{
    const tally_t *x = a, *y = b;
    int c = strcmp(x->key[0], y->key[0]);
    return c ? c : strcmp(x->key[1], y->key[1]);
}

static void tally_sort(tallies_t *ts)
{
    qsort(ts->t, ts->n, sizeof ts->t[0], tally_cmp);
}

/* Folds one voucher of the register into the summary's tallies: every
 * total is the sum of the rows the register lists, counted as they pass. */
static void tally_voucher(summary_t *s, const gv_rec_value_t *v)
{
    const char *status = v[GV_RV_STATUS].text, *bill = v[GV_RV_BILL_STATUS].text;
    int billed = !strcmp(bill, "BILLED");
    tally_amounts_t a = { 1, 0, 0, 0, 0 };

    if (billed) {
        a.volume = v[GV_RV_VOLUME].num;
        a.charge = v[GV_RV_CHARGE].num;
        a.discount = v[GV_RV_DISCOUNT].num;
        a.due = v[GV_RV_DUE].num;
    }
    tally_add(s, &s->judged, status, v[GV_RV_REASON].text, &a);
    if (*bill)
        tally_add(s, &s->bills, bill, "", &a);
    if (!strcmp(bill, "PENDING")) {
        tally_add(s, &s->pending_reasons, v[GV_RV_BILL_REASON].text, "", &a);
        s->pending++;
    } else if (!strcmp(bill, "CONFLICT")) {
        s->conflicts++;
    } else if (billed) {
        tally_add(s, &s->regions, v[GV_RV_REGION].text, "", &a);
        tally_add(s, &s->assistance, v[GV_RV_ASSISTANCE].text, "", &a);
        if (strcmp(status, "ACCEPTED") != 0)
            s->withdrawn++;
    } else if (!strcmp(status, "ACCEPTED")) {
        s->not_billed++;
    }
}


static int db_fail(gv_err_t *err, const gv_db_error_t *e)
{
    if (e->msg[0])
        gv_err_set(err, "%s: %s", _("the database"), e->msg);
    return -1;
}

/* Where a small counting query's rows go. */
typedef struct count_target {
    summary_t *s;
    tallies_t *t;
} count_target_t;

static int on_count_row(void *ud, const gv_rec_value_t *v, size_t n)
{
    count_target_t *x = ud;
    tally_amounts_t a = { v[n - 1].num, 0, 0, 0, 0 };

    /* (key, count) or (key, count, sum): the last column counts. */
    if (n == 3) {
        a.count = v[1].num;
        a.volume = v[2].num;
    }
    tally_add(x->s, x->t, v[0].text, "", &a);
    return 0;
}

/* The small summaries SQL counts best: lists, R7 changes, reports. */
static int read_counts(gv_db_t *db, const char *period, summary_t *s, gv_err_t *err)
{
    struct { gv_rec_query_t q; tallies_t *t; } qs[] = {
        { GV_REC_LISTS, &s->lists_t },
        { GV_REC_TRAIL_COUNTS, &s->trail_t },
        { GV_REC_REPORT_STATES, &s->reports_t },
    };
    gv_db_error_t e;

    for (size_t i = 0; i < sizeof qs / sizeof qs[0]; i++) {
        count_target_t x = { s, qs[i].t };
        if (gv_reconcile_query(db, qs[i].q, period, on_count_row, &x, &e) < 0)
            return db_fail(err, &e);
    }
    for (size_t i = 0; i < s->reports_t.n; i++)
        if (!strcmp(s->reports_t.t[i].key[0], "FAILED"))
            s->refused += (long)s->reports_t.t[i].count;
    return 0;
}

/* The summary's rows, once the registers have been counted. */
static int build_summary(summary_t *s, gv_err_t *err)
{
    char item[200];

    if (s->overflow) {
        gv_err_set(err, "%s", _("more distinct reasons, regions or assistance types than the "
                                "report can total"));
        return -1;
    }
    tally_sort(&s->judged);
    tally_sort(&s->bills);
    tally_sort(&s->pending_reasons);
    tally_sort(&s->regions);
    tally_sort(&s->assistance);
    s->section = _("Voucher lists (batches)");
    for (size_t i = 0; i < s->lists_t.n; i++) {
        const tally_t *t = &s->lists_t.t[i];
        summary_add(s, WORDS(batch_states, t->key[0]), t->key[0], t->count);
        /* TRANSLATORS: vouchers listed in the batches of one state. */
        snprintf(item, sizeof item, "%s: %s", WORDS(batch_states, t->key[0]),
                 _("vouchers listed"));
        summary_add(s, item, "", t->volume);
    }
    if (!s->lists_t.n)
        summary_add(s, _("no list received"), "", 0);
    s->section = _("Vouchers judged (R0-R8)");
    for (size_t i = 0; i < s->judged.n; i++) {
        const tally_t *t = &s->judged.t[i];
        if (!strcmp(t->key[0], "ACCEPTED"))
            snprintf(item, sizeof item, "%s", _("accepted"));
        else if (!*t->key[0])
            snprintf(item, sizeof item, "%s", _("not judged yet"));
        else
            snprintf(item, sizeof item, "%s: %s", _("rejected"), gv_report_reason_words(t->key[1]));
        summary_add(s, item, *t->key[1] ? t->key[1] : t->key[0], t->count);
    }
    s->section = _("Outcomes a later part changed (R7)");
    for (size_t i = 0; i < s->trail_t.n; i++) {
        const char *o = s->trail_t.t[i].key[0];
        summary_add(s, outcome_words(o, item, sizeof item),
                    !strncmp(o, "REJECTED ", 9) ? o + 9 : o, s->trail_t.t[i].count);
    }
    s->section = _("Bills (R9-R20)");
    for (size_t i = 0; i < s->bills.n; i++) {
        const tally_t *t = &s->bills.t[i];
        summary_row_t *r = summary_add(s, WORDS(bill_states, t->key[0]), t->key[0], t->count);
        if (r && !strcmp(t->key[0], "BILLED")) {
            r->has_money = 1;
            r->volume = t->volume;
            r->charge = t->charge;
            r->discount = t->discount;
            r->due = t->due;
        }
    }
    summary_add(s, _("accepted, not billed yet"), "", s->not_billed);
    summary_add(s, _("billed, acceptance withdrawn later (R7)"), "", s->withdrawn);
    s->section = _("Pending vouchers by reason (R20)");
    for (size_t i = 0; i < s->pending_reasons.n; i++)
        summary_add(s, gv_report_reason_words(s->pending_reasons.t[i].key[0]),
                    s->pending_reasons.t[i].key[0], s->pending_reasons.t[i].count);
    s->section = _("Redemption reports");
    for (size_t i = 0; i < s->reports_t.n; i++)
        summary_add(s, WORDS(outbox_states, s->reports_t.t[i].key[0]), s->reports_t.t[i].key[0],
                    s->reports_t.t[i].count);
    return 0;
}

/* ---- the tables ---------------------------------------------------- */

enum { TB_SUMMARY, TB_VOUCHERS, TB_PENDING, TB_CONFLICTS, TB_CHANGES, TB_REGIONS,
       TB_ASSISTANCE, TB_RUNS, TB_REPORTS, TB_DIFFERENCES, TB_COUNT };

typedef struct tables {
    gv_column_t cols[TB_COUNT][24];
    gv_table_t t[TB_COUNT];
} tables_t;

static void col(tables_t *ts, int tb, const char *id, const char *title, gv_cell_kind_t kind,
                int width, int summed)
{
    gv_table_t *t = &ts->t[tb];
    gv_column_t *c = &ts->cols[tb][t->ncols++];

    c->id = id;
    c->title = title;
    c->kind = kind;
    c->width = width;
    c->summed = summed;
    t->cols = ts->cols[tb];
}

static void table(tables_t *ts, int tb, const char *id, const char *title, const char *note)
{
    ts->t[tb].id = id;
    ts->t[tb].title = title;
    ts->t[tb].note = note;
}

/* Every table's columns, titles in the current language. */
static void build_tables(tables_t *ts)
{
    char rejected[64];
    int reason_w, outcome_w, bill_w, state_w, kind_w;

    memset(ts, 0, sizeof *ts);
    snprintf(rejected, sizeof rejected, "%s: ", _("rejected"));
    reason_w = WIDEST(reasons, "", 10);
    outcome_w = WIDEST(reasons, rejected, 10);
    bill_w = WIDEST(bill_states, "", (int)gv_display_width(_("not billed yet")));
    state_w = WIDEST(outbox_states, "", (int)gv_display_width(_("not reported yet")));
    kind_w = 10;
    for (int k = 0; k < GV_DIFF_COUNT; k++)
        if ((int)gv_display_width(gv_check_kind_words((gv_diff_kind_t)k)) > kind_w)
            kind_w = (int)gv_display_width(gv_check_kind_words((gv_diff_kind_t)k));
    table(ts, TB_SUMMARY, "summary", _("Summary"), NULL);
    ts->t[TB_SUMMARY].front = 1;
    col(ts, TB_SUMMARY, "section", _("Section"), GV_CELL_TEXT, 34, 0);
    col(ts, TB_SUMMARY, "item", _("Item"), GV_CELL_TEXT, outcome_w > 48 ? outcome_w : 48, 0);
    col(ts, TB_SUMMARY, "code", _("Code"), GV_CELL_TEXT, 24, 0);
    col(ts, TB_SUMMARY, "count", _("Count"), GV_CELL_COUNT, 9, 0);
    col(ts, TB_SUMMARY, "volume_m3", _("Volume, m3"), GV_CELL_VOLUME, 14, 0);
    col(ts, TB_SUMMARY, "charge", _("Charge"), GV_CELL_MONEY, 18, 0);
    col(ts, TB_SUMMARY, "discount", _("Discount"), GV_CELL_MONEY, 18, 0);
    col(ts, TB_SUMMARY, "due", _("Amount due"), GV_CELL_MONEY, 18, 0);

    table(ts, TB_VOUCHERS, "vouchers", _("Vouchers of the period"),
          _("Every voucher the wallet listed, its outcome and its bill."));
    col(ts, TB_VOUCHERS, "voucher_id", _("Voucher"), GV_CELL_TEXT, 22, 0);
    col(ts, TB_VOUCHERS, "account_typed", _("Account as typed"), GV_CELL_TEXT, 20, 0);
    col(ts, TB_VOUCHERS, "account", _("Account at the site"), GV_CELL_TEXT, 12, 0);
    col(ts, TB_VOUCHERS, "region", _("Region"), GV_CELL_TEXT, 6, 0);
    col(ts, TB_VOUCHERS, "assistance", _("Assistance"), GV_CELL_TEXT, WIDEST(assistance, "", 8), 0);
    col(ts, TB_VOUCHERS, "channel", _("Channel"), GV_CELL_TEXT, WIDEST(channels, "", 8), 0);
    col(ts, TB_VOUCHERS, "activated_at", _("Activated"), GV_CELL_TIME, 16, 0);
    col(ts, TB_VOUCHERS, "outcome", _("Outcome"), GV_CELL_TEXT, 14, 0);
    col(ts, TB_VOUCHERS, "bill_status", _("Bill"), GV_CELL_TEXT, bill_w, 0);
    col(ts, TB_VOUCHERS, "reason_code", _("Reason code"), GV_CELL_TEXT, 24, 0);
    col(ts, TB_VOUCHERS, "rule", _("Rule"), GV_CELL_TEXT, 4, 0);
    col(ts, TB_VOUCHERS, "reason", _("Reason"), GV_CELL_TEXT, reason_w, 0);
    col(ts, TB_VOUCHERS, "volume_m3", _("Volume, m3"), GV_CELL_VOLUME, 10, 1);
    col(ts, TB_VOUCHERS, "price", _("Price per 1000 m3 without VAT"), GV_CELL_PRICE, 14, 0);
    col(ts, TB_VOUCHERS, "charge", _("Charge"), GV_CELL_MONEY, 14, 1);
    col(ts, TB_VOUCHERS, "discount", _("Discount"), GV_CELL_MONEY, 14, 1);
    col(ts, TB_VOUCHERS, "due", _("Amount due"), GV_CELL_MONEY, 14, 1);
    col(ts, TB_VOUCHERS, "bill_ref", _("Bill reference"), GV_CELL_TEXT, 12, 0);
    col(ts, TB_VOUCHERS, "report_id", _("Redemption report"), GV_CELL_TEXT, 36, 0);
    col(ts, TB_VOUCHERS, "report_state", _("Report delivery"), GV_CELL_TEXT, state_w, 0);
    col(ts, TB_VOUCHERS, "list_item", _("List and position"), GV_CELL_TEXT, 30, 0);

    table(ts, TB_PENDING, "pending", _("Pending vouchers"),
          _("Retried by every billing run until the deadline (R20)."));
    col(ts, TB_PENDING, "voucher_id", _("Voucher"), GV_CELL_TEXT, 22, 0);
    col(ts, TB_PENDING, "account", _("Account at the site"), GV_CELL_TEXT, 12, 0);
    col(ts, TB_PENDING, "region", _("Region"), GV_CELL_TEXT, 6, 0);
    col(ts, TB_PENDING, "reason_code", _("Reason code"), GV_CELL_TEXT, 24, 0);
    col(ts, TB_PENDING, "rule", _("Rule"), GV_CELL_TEXT, 4, 0);
    col(ts, TB_PENDING, "reason", _("Reason"), GV_CELL_TEXT, reason_w, 0);
    col(ts, TB_PENDING, "updated_at", _("Last tried"), GV_CELL_TIME, 16, 0);
    col(ts, TB_PENDING, "deadline", _("Deadline"), GV_CELL_DATE, 10, 0);
    col(ts, TB_PENDING, "past_deadline", _("Needs a person"), GV_CELL_TEXT, 8, 0);

    table(ts, TB_CONFLICTS, "conflicts", _("Conflicts"),
          _("Vouchers gasvoucher could not bill: a person must decide."));
    col(ts, TB_CONFLICTS, "voucher_id", _("Voucher"), GV_CELL_TEXT, 22, 0);
    col(ts, TB_CONFLICTS, "account", _("Account at the site"), GV_CELL_TEXT, 12, 0);
    col(ts, TB_CONFLICTS, "region", _("Region"), GV_CELL_TEXT, 6, 0);
    col(ts, TB_CONFLICTS, "reason_code", _("Reason code"), GV_CELL_TEXT, 24, 0);
    col(ts, TB_CONFLICTS, "rule", _("Rule"), GV_CELL_TEXT, 4, 0);
    col(ts, TB_CONFLICTS, "reason", _("Reason"), GV_CELL_TEXT, reason_w, 0);
    col(ts, TB_CONFLICTS, "updated_at", _("Found"), GV_CELL_TIME, 16, 0);

    table(ts, TB_CHANGES, "changes", _("Outcomes a later part changed (R7)"),
          _("The earliest activation wins, whatever order the parts arrived in."));
    col(ts, TB_CHANGES, "at", _("Changed"), GV_CELL_TIME, 16, 0);
    col(ts, TB_CHANGES, "voucher_id", _("Voucher"), GV_CELL_TEXT, 22, 0);
    col(ts, TB_CHANGES, "list_item", _("List and position"), GV_CELL_TEXT, 30, 0);
    col(ts, TB_CHANGES, "old_outcome", _("Was"), GV_CELL_TEXT, outcome_w, 0);
    col(ts, TB_CHANGES, "new_outcome", _("Now"), GV_CELL_TEXT, outcome_w, 0);
    col(ts, TB_CHANGES, "cause", _("Because of list"), GV_CELL_TEXT, 28, 0);

    table(ts, TB_REGIONS, "regions", _("Totals by region"),
          _("Billed vouchers; the budget programme reconciles per region."));
    col(ts, TB_REGIONS, "region", _("Region"), GV_CELL_TEXT, 6, 0);
    col(ts, TB_REGIONS, "region_name", _("Region name"), GV_CELL_TEXT, WIDEST(regions, "", (int)gv_display_width(_("not recorded"))), 0);
    col(ts, TB_REGIONS, "vouchers", _("Vouchers billed"), GV_CELL_COUNT, 9, 1);
    col(ts, TB_REGIONS, "volume_m3", _("Volume, m3"), GV_CELL_VOLUME, 14, 1);
    col(ts, TB_REGIONS, "charge", _("Charge"), GV_CELL_MONEY, 18, 1);
    col(ts, TB_REGIONS, "discount", _("Discount"), GV_CELL_MONEY, 18, 1);
    col(ts, TB_REGIONS, "due", _("Amount due"), GV_CELL_MONEY, 18, 1);

    table(ts, TB_ASSISTANCE, "assistance", _("Totals by assistance type"), NULL);
    col(ts, TB_ASSISTANCE, "assistance", _("Assistance type"), GV_CELL_TEXT, 10, 0);
    col(ts, TB_ASSISTANCE, "assistance_name", _("Assistance"), GV_CELL_TEXT, WIDEST(assistance, "", 8), 0);
    col(ts, TB_ASSISTANCE, "vouchers", _("Vouchers billed"), GV_CELL_COUNT, 9, 1);
    col(ts, TB_ASSISTANCE, "volume_m3", _("Volume, m3"), GV_CELL_VOLUME, 14, 1);
    col(ts, TB_ASSISTANCE, "charge", _("Charge"), GV_CELL_MONEY, 18, 1);
    col(ts, TB_ASSISTANCE, "discount", _("Discount"), GV_CELL_MONEY, 18, 1);
    col(ts, TB_ASSISTANCE, "due", _("Amount due"), GV_CELL_MONEY, 18, 1);

    table(ts, TB_RUNS, "runs", _("Billing runs"), NULL);
    col(ts, TB_RUNS, "run_id", _("Run"), GV_CELL_TEXT, 36, 0);
    col(ts, TB_RUNS, "started_at", _("Started"), GV_CELL_TIME, 16, 0);
    col(ts, TB_RUNS, "finished_at", _("Finished"), GV_CELL_TIME, 16, 0);
    col(ts, TB_RUNS, "billed", _("Billed"), GV_CELL_COUNT, 8, 1);
    col(ts, TB_RUNS, "pending", _("Pending"), GV_CELL_COUNT, 8, 0);
    col(ts, TB_RUNS, "conflicts", _("Conflicts"), GV_CELL_COUNT, 8, 0);
    col(ts, TB_RUNS, "charge", _("Charge"), GV_CELL_MONEY, 18, 1);
    col(ts, TB_RUNS, "discount", _("Discount"), GV_CELL_MONEY, 18, 1);
    col(ts, TB_RUNS, "due", _("Amount due"), GV_CELL_MONEY, 18, 1);
    col(ts, TB_RUNS, "report_id", _("Redemption report"), GV_CELL_TEXT, 36, 0);

    table(ts, TB_REPORTS, "reports", _("Redemption reports sent"),
          _("The state reimburses the provider from these reports."));
    col(ts, TB_REPORTS, "report_id", _("Redemption report"), GV_CELL_TEXT, 36, 0);
    col(ts, TB_REPORTS, "created_at", _("Written"), GV_CELL_TIME, 16, 0);
    col(ts, TB_REPORTS, "state", _("Delivery"), GV_CELL_TEXT, state_w, 0);
    col(ts, TB_REPORTS, "attempts", _("Attempts"), GV_CELL_COUNT, 8, 0);
    col(ts, TB_REPORTS, "delivered_at", _("Delivered"), GV_CELL_TIME, 16, 0);
    col(ts, TB_REPORTS, "redeemed", _("Redeemed"), GV_CELL_COUNT, 9, 1);
    col(ts, TB_REPORTS, "pending", _("Pending"), GV_CELL_COUNT, 9, 0);
    col(ts, TB_REPORTS, "discount", _("Discount"), GV_CELL_MONEY, 18, 1);

    table(ts, TB_DIFFERENCES, "differences", _("Differences from the billing database"),
          _("Every bill gasvoucher wrote, read back from the billing database."));
    col(ts, TB_DIFFERENCES, "kind", _("Difference"), GV_CELL_TEXT, kind_w, 0);
    col(ts, TB_DIFFERENCES, "code", _("Code"), GV_CELL_TEXT, 14, 0);
    col(ts, TB_DIFFERENCES, "voucher_id", _("Voucher"), GV_CELL_TEXT, 22, 0);
    col(ts, TB_DIFFERENCES, "account", _("Account at the site"), GV_CELL_TEXT, 12, 0);
    col(ts, TB_DIFFERENCES, "bill_ref", _("Bill reference"), GV_CELL_TEXT, 12, 0);
    col(ts, TB_DIFFERENCES, "field", _("What"), GV_CELL_TEXT, 16, 0);
    col(ts, TB_DIFFERENCES, "ours", _("gasvoucher wrote"), GV_CELL_TEXT, 16, 0);
    col(ts, TB_DIFFERENCES, "site", _("The billing database holds"), GV_CELL_TEXT, 16, 0);
    col(ts, TB_DIFFERENCES, "report_id", _("Redemption report"), GV_CELL_TEXT, 36, 0);

    /* A totals row says so in its first column. */
    for (int tb = 0; tb < TB_COUNT; tb++) {
        int summed = 0, total_w = (int)gv_display_width(_("Total"));
        for (size_t i = 0; i < ts->t[tb].ncols; i++)
            summed |= ts->cols[tb][i].summed;
        if (summed && ts->cols[tb][0].width < total_w)
            ts->cols[tb][0].width = total_w;
    }
}

/* The summary is held whole (a few dozen rows): its text columns are as
 * wide as their widest value. */
static void fit_summary(tables_t *ts, const summary_t *s)
{
    for (size_t i = 0; i < s->n; i++) {
        int ws = (int)gv_display_width(s->rows[i].section);
        int wi = (int)gv_display_width(s->rows[i].item);
        if (ws > ts->cols[TB_SUMMARY][0].width)
            ts->cols[TB_SUMMARY][0].width = ws;
        if (wi > ts->cols[TB_SUMMARY][1].width)
            ts->cols[TB_SUMMARY][1].width = wi;
    }
}

/* ---- streaming the registers ----------------------------------------- */

typedef struct reg_ctx {
    table_run_t tr;
    const gv_report_opts_t *opts;
    summary_t *summary;         /* the voucher register's tallies */
    int32_t deadline;           /* day; -1 unknown */
    int past_deadline;          /* today is after it */
} reg_ctx_t;

static int on_voucher(void *ud, const gv_rec_value_t *v, size_t n)
{
    reg_ctx_t *rc = ud;
    gv_cell_t c[GV_RV_COUNT];
    const char *status = v[GV_RV_STATUS].text, *bill = v[GV_RV_BILL_STATUS].text;
    const char *reason = *v[GV_RV_BILL_REASON].text ? v[GV_RV_BILL_REASON].text
                                                    : v[GV_RV_REASON].text;
    const char *outcome, *bill_words, *rule;
    char item[96];
    int billed = !strcmp(bill, "BILLED");

    if (!strcmp(status, "ACCEPTED"))
        outcome = tr(N_("accepted"));
    else if (!strcmp(status, "REJECTED"))
        outcome = tr(N_("rejected"));
    else
        outcome = tr(N_("not judged yet"));
    if (*bill)
        bill_words = WORDS(bill_states, bill);
    else if (!strcmp(status, "ACCEPTED"))
        bill_words = tr(N_("not billed yet"));
    else
        bill_words = "";
    rule = billed ? discount_rule(v[GV_RV_RULE].text) : gv_report_reason_rule(reason);
    tally_voucher(rc->summary, v);
    snprintf(item, sizeof item, "%s#%lld", v[GV_RV_BATCH].text, (long long)v[GV_RV_ITEM].num);
    c[0] = text_cell(v[GV_RV_VOUCHER].text);
    c[1] = text_cell(v[GV_RV_TYPED].text);
    c[2] = text_cell(v[GV_RV_ACCOUNT].text);
    c[3] = text_cell(v[GV_RV_REGION].text);
    c[4] = text_cell(WORDS(assistance, v[GV_RV_ASSISTANCE].text));
    c[5] = text_cell(WORDS(channels, v[GV_RV_CHANNEL].text));
    c[6] = num_cell(GV_CELL_TIME, &v[GV_RV_ACTIVATED]);
    c[7] = text_cell(outcome);
    c[8] = text_cell(bill_words);
    c[9] = text_cell(reason);
    c[10] = text_cell(rule);
    c[11] = text_cell(*reason ? gv_report_reason_words(reason) : "");
    c[12] = billed ? num_cell(GV_CELL_VOLUME, &v[GV_RV_VOLUME]) : empty_cell(GV_CELL_VOLUME);
    c[13] = billed ? num_cell(GV_CELL_PRICE, &v[GV_RV_PRICE]) : empty_cell(GV_CELL_PRICE);
    c[14] = billed ? num_cell(GV_CELL_MONEY, &v[GV_RV_CHARGE]) : empty_cell(GV_CELL_MONEY);
    c[15] = billed ? num_cell(GV_CELL_MONEY, &v[GV_RV_DISCOUNT]) : empty_cell(GV_CELL_MONEY);
    c[16] = billed ? num_cell(GV_CELL_MONEY, &v[GV_RV_DUE]) : empty_cell(GV_CELL_MONEY);
    c[17] = text_cell(v[GV_RV_BILL_REF].text);
    /* A report id counts once the report was recorded (it is in the outbox). */
    c[18] = text_cell(*v[GV_RV_REPORT_STATE].text ? v[GV_RV_REPORT].text : "");
    c[19] = text_cell(*v[GV_RV_REPORT_STATE].text
                          ? WORDS(outbox_states, v[GV_RV_REPORT_STATE].text)
                          : (billed || !strcmp(bill, "PENDING")) ? tr(N_("not reported yet")) : "");
    c[20] = text_cell(item);
    return table_row(&rc->tr, c);
}

/* The cells Pending and conflicting rows share: voucher, account,
 * region, reason as code, rule and words, when it was last tried. */
static void bill_row_cells(gv_cell_t *c, const gv_rec_value_t *v)
{
    c[0] = text_cell(v[GV_RP_VOUCHER].text);
    c[1] = text_cell(v[GV_RP_ACCOUNT].text);
    c[2] = text_cell(v[GV_RP_REGION].text);
    c[3] = text_cell(v[GV_RP_REASON].text);
    c[4] = text_cell(gv_report_reason_rule(v[GV_RP_REASON].text));
    c[5] = text_cell(gv_report_reason_words(v[GV_RP_REASON].text));
    c[6] = num_cell(GV_CELL_TIME, &v[GV_RP_UPDATED]);
}

static int on_pending(void *ud, const gv_rec_value_t *v, size_t n)
{
    reg_ctx_t *rc = ud;
    gv_cell_t c[9];

    bill_row_cells(c, v);
    c[7] = rc->deadline >= 0 ? value_cell(GV_CELL_DATE, rc->deadline) : empty_cell(GV_CELL_DATE);
    /* TRANSLATORS: "yes", in a column saying whether a person is needed. */
    c[8] = text_cell(rc->past_deadline ? tr(N_("yes")) : tr(N_("no")));
    return table_row(&rc->tr, c);
}

static int on_conflict(void *ud, const gv_rec_value_t *v, size_t n)
{
    reg_ctx_t *rc = ud;
    gv_cell_t c[7];

    bill_row_cells(c, v);
    return table_row(&rc->tr, c);
}

static int on_change(void *ud, const gv_rec_value_t *v, size_t n)
{
    reg_ctx_t *rc = ud;
    gv_cell_t c[6];
    char item[96], was[200], now[200];

    snprintf(item, sizeof item, "%s#%lld", v[GV_RT_BATCH].text, (long long)v[GV_RT_ITEM].num);
    c[0] = num_cell(GV_CELL_TIME, &v[GV_RT_AT]);
    c[1] = text_cell(v[GV_RT_VOUCHER].text);
    c[2] = text_cell(item);
    c[3] = text_cell(outcome_words(v[GV_RT_OLD].text, was, sizeof was));
    c[4] = text_cell(outcome_words(v[GV_RT_NEW].text, now, sizeof now));
    c[5] = text_cell(v[GV_RT_CAUSE].text);
    return table_row(&rc->tr, c);
}

/* Totals by region or assistance type, from the summary's tallies. */
static int write_tally(gv_writer_t *w, const gv_table_t *t, const tallies_t *ts,
                       const code_words_t *names, size_t nnames, gv_err_t *err)
{
    table_run_t tr;
    gv_cell_t c[7];

    if (table_start(&tr, w, t, err) < 0)
        return -1;
    for (size_t i = 0; i < ts->n; i++) {
        const tally_t *g = &ts->t[i];
        c[0] = text_cell(g->key[0]);
        c[1] = text_cell(*g->key[0] ? words_of(names, nnames, g->key[0]) : _("not recorded"));
        c[2] = value_cell(GV_CELL_COUNT, g->count);
        c[3] = value_cell(GV_CELL_VOLUME, g->volume);
        c[4] = value_cell(GV_CELL_MONEY, g->charge);
        c[5] = value_cell(GV_CELL_MONEY, g->discount);
        c[6] = value_cell(GV_CELL_MONEY, g->due);
        if (table_row(&tr, c) < 0)
            return -1;
    }
    return table_finish(&tr, 1);
}

static int on_run(void *ud, const gv_rec_value_t *v, size_t n)
{
    reg_ctx_t *rc = ud;
    gv_cell_t c[10];

    c[0] = text_cell(v[GV_RR_RUN].text);
    c[1] = num_cell(GV_CELL_TIME, &v[GV_RR_STARTED]);
    c[2] = num_cell(GV_CELL_TIME, &v[GV_RR_FINISHED]);
    c[3] = num_cell(GV_CELL_COUNT, &v[GV_RR_BILLED]);
    c[4] = num_cell(GV_CELL_COUNT, &v[GV_RR_PENDING]);
    c[5] = num_cell(GV_CELL_COUNT, &v[GV_RR_CONFLICTS]);
    c[6] = num_cell(GV_CELL_MONEY, &v[GV_RR_CHARGE]);
    c[7] = num_cell(GV_CELL_MONEY, &v[GV_RR_DISCOUNT]);
    c[8] = num_cell(GV_CELL_MONEY, &v[GV_RR_DUE]);
    c[9] = text_cell(v[GV_RR_REPORT].text);
    return table_row(&rc->tr, c);
}

/* The totals a redemption report declared, from its body's root element
 * (the body is written once, signed, and never changed). */
static int report_totals(const char *spool, const char *body, int64_t *redeemed,
                         int64_t *pending, int64_t *discount)
{
    char path[1024], head[2048];
    FILE *f;
    size_t n;
    const char *names[] = { "redeemed=\"", "pending=\"", "totalDiscountTiyn=\"" };
    int64_t *out[] = { redeemed, pending, discount };

    if (!spool || !*body)
        return -1;
    snprintf(path, sizeof path, "%s/outbox/%s", spool, body);
    if (!(f = fopen(path, "r")))
        return -1;
    n = fread(head, 1, sizeof head - 1, f);
    fclose(f);
    head[n] = '\0';
    if (!strstr(head, "<RedemptionReport"))
        return -1;
    for (int i = 0; i < 3; i++) {
        const char *p = strstr(head, names[i]);
        if (!p)
            return -1;
        *out[i] = strtoll(p + strlen(names[i]), NULL, 10);
    }
    return 0;
}

static int on_report(void *ud, const gv_rec_value_t *v, size_t n)
{
    reg_ctx_t *rc = ud;
    gv_cell_t c[8];
    int64_t redeemed, pending, discount;
    int have = report_totals(rc->opts->spool, v[GV_RS_BODY].text, &redeemed, &pending,
                             &discount) == 0;

    c[0] = text_cell(v[GV_RS_REPORT].text);
    c[1] = num_cell(GV_CELL_TIME, &v[GV_RS_CREATED]);
    c[2] = text_cell(WORDS(outbox_states, v[GV_RS_STATE].text));
    c[3] = num_cell(GV_CELL_COUNT, &v[GV_RS_ATTEMPTS]);
    c[4] = num_cell(GV_CELL_TIME, &v[GV_RS_DELIVERED]);
    c[5] = have ? value_cell(GV_CELL_COUNT, redeemed) : empty_cell(GV_CELL_COUNT);
    c[6] = have ? value_cell(GV_CELL_COUNT, pending) : empty_cell(GV_CELL_COUNT);
    c[7] = have ? value_cell(GV_CELL_MONEY, discount) : empty_cell(GV_CELL_MONEY);
    return table_row(&rc->tr, c);
}

/* Streams query q into table tb with fn; totals when with_totals. */
static int stream_table(gv_db_t *db, gv_writer_t *w, tables_t *ts, int tb, gv_rec_query_t q,
                        gv_rec_row_fn fn, reg_ctx_t *rc, int with_totals, gv_err_t *err)
{
    gv_db_error_t e;

    if (table_start(&rc->tr, w, &ts->t[tb], err) < 0)
        return -1;
    if (gv_reconcile_query_ahead(db, q, rc->opts->period, fn, rc, &e) < 0)
        return rc->tr.failed ? -1 : db_fail(err, &e);
    return table_finish(&rc->tr, with_totals);
}

/* The check's counts and what needs a person, after the summary's own. */
static void summary_verdict(summary_t *s, const gv_check_stats_t *chk,
                            const gv_report_result_t *res)
{
    if (chk) {
        s->section = _("Check against the billing database");
        summary_add(s, _("bills read from the billing database"), "", chk->site_bills);
        for (int k = 0; k < GV_DIFF_COUNT; k++)
            summary_add(s, gv_check_kind_words((gv_diff_kind_t)k),
                        gv_check_kind_code((gv_diff_kind_t)k), chk->count[k]);
    }
    s->section = _("Needs a person");
    summary_add(s, _("pending past the deadline"), "", res->past_deadline);
    summary_add(s, _("conflicts"), "", res->conflicts);
    summary_add(s, _("billed, acceptance withdrawn later (R7)"), "", res->withdrawn);
    summary_add(s, _("accepted, not billed by the deadline"), "", res->unbilled_late);
    summary_add(s, _("redemption reports refused by the wallet"), "", res->refused_reports);
    if (chk)
        summary_add(s, _("differences from the billing database"), "", res->differences);
}

static int write_summary(gv_writer_t *w, tables_t *ts, const summary_t *s, gv_err_t *err)
{
    table_run_t tr;
    gv_cell_t c[8];

    if (table_start(&tr, w, &ts->t[TB_SUMMARY], err) < 0)
        return -1;
    for (size_t i = 0; i < s->n; i++) {
        const summary_row_t *r = &s->rows[i];
        c[0] = text_cell(r->section);
        c[1] = text_cell(r->item);
        c[2] = text_cell(r->code);
        c[3] = value_cell(GV_CELL_COUNT, r->count);
        c[4] = r->has_money ? value_cell(GV_CELL_VOLUME, r->volume) : empty_cell(GV_CELL_VOLUME);
        c[5] = r->has_money ? value_cell(GV_CELL_MONEY, r->charge) : empty_cell(GV_CELL_MONEY);
        c[6] = r->has_money ? value_cell(GV_CELL_MONEY, r->discount) : empty_cell(GV_CELL_MONEY);
        c[7] = r->has_money ? value_cell(GV_CELL_MONEY, r->due) : empty_cell(GV_CELL_MONEY);
        if (table_row(&tr, c) < 0)
            return -1;
    }
    return table_finish(&tr, 0);
}

/* The differences the check kept, replayed into their table. */
static int on_difference_row(void *ud, const gv_difference_t *d)
{
    reg_ctx_t *rc = ud;
    gv_cell_t c[9];

    c[0] = text_cell(gv_check_kind_words(d->kind));
    c[1] = text_cell(gv_check_kind_code(d->kind));
    c[2] = text_cell(d->voucher_id);
    c[3] = text_cell(d->account);
    c[4] = text_cell(d->bill_ref);
    c[5] = text_cell(gv_check_field_words(d->field));
    c[6] = text_cell(d->ours);
    c[7] = text_cell(d->site);
    c[8] = text_cell(d->report_id);
    return table_row(&rc->tr, c);
}

int gv_report_run(gv_db_t *db, const gv_report_opts_t *opts, gv_writer_t *w,
                  gv_report_result_t *res, gv_err_t *err)
{
    tables_t *ts = calloc(1, sizeof *ts);
    summary_t *s = calloc(1, sizeof *s);
    gv_check_t *chk = NULL;
    gv_check_stats_t stats;
    reg_ctx_t rc;
    gv_doc_t doc;
    gv_period_t p;
    char title[160], verdict[512];
    int rc_ = -1;

    memset(res, 0, sizeof *res);
    memset(&rc, 0, sizeof rc);
    if (!ts || !s) {
        gv_err_set(err, "out of memory");
        goto done;
    }
    if (gv_period_parse(opts->period, &p) < 0) {
        gv_err_set(err, "%s: %s", _("not a period (YYYY-MM)"), opts->period);
        goto done;
    }
    rc.opts = opts;
    rc.summary = s;
    rc.deadline = opts->pending_deadline_days >= 0
                      ? gv_period_last_day(p) + opts->pending_deadline_days : -1;
    rc.past_deadline = rc.deadline >= 0 && gv_time_local_day((time_t)opts->now) > rc.deadline;
    build_tables(ts);
    if (read_counts(db, opts->period, s, err) < 0)
        goto done;
    if (opts->adapter) {
        if (!(chk = gv_check_run(db, opts->adapter, opts->adapter_ctx, opts->period,
                                 opts->log_difference, opts->log_ud, &stats, err)))
            goto done;
        res->differences = stats.total;
    }
    /* TRANSLATORS: %s is the period, YYYY-MM. */
    snprintf(title, sizeof title, _("Reconciliation of period %s"), opts->period);
    doc.title = title;
    doc.period = opts->period;
    doc.provider = opts->provider;
    doc.generated_at = opts->now;
    doc.lang = gv_l10n_lang();
    doc.verdict = "";
    doc.needs_person = 0;
    /* The registers first, each row counted into the summary as it goes
     * by; the summary last, which every writer shows first. */
    if (w->ops->doc_begin(w->w, &doc, err) < 0 ||
        stream_table(db, w, ts, TB_VOUCHERS, GV_REC_VOUCHERS, on_voucher, &rc, 1, err) < 0)
        goto done;
    res->vouchers = rc.tr.rows;
    if (build_summary(s, err) < 0 ||
        stream_table(db, w, ts, TB_PENDING, GV_REC_PENDING, on_pending, &rc, 0, err) < 0 ||
        stream_table(db, w, ts, TB_CONFLICTS, GV_REC_CONFLICTS, on_conflict, &rc, 0, err) < 0 ||
        stream_table(db, w, ts, TB_CHANGES, GV_REC_TRAIL, on_change, &rc, 0, err) < 0 ||
        write_tally(w, &ts->t[TB_REGIONS], &s->regions, regions,
                    sizeof regions / sizeof regions[0], err) < 0 ||
        write_tally(w, &ts->t[TB_ASSISTANCE], &s->assistance, assistance,
                    sizeof assistance / sizeof assistance[0], err) < 0 ||
        stream_table(db, w, ts, TB_RUNS, GV_REC_RUNS, on_run, &rc, 1, err) < 0 ||
        stream_table(db, w, ts, TB_REPORTS, GV_REC_REPORTS, on_report, &rc, 1, err) < 0)
        goto done;
    if (chk) {
        if (table_start(&rc.tr, w, &ts->t[TB_DIFFERENCES], err) < 0 ||
            gv_check_replay(chk, on_difference_row, &rc, err) < 0 ||
            table_finish(&rc.tr, 0) < 0)
            goto done;
    }
    res->conflicts = s->conflicts;
    res->withdrawn = s->withdrawn;
    res->refused_reports = s->refused;
    res->past_deadline = rc.past_deadline ? s->pending : 0;
    res->unbilled_late = rc.past_deadline ? s->not_billed : 0;
    res->needs_person = res->past_deadline || res->conflicts || res->withdrawn ||
                        res->unbilled_late || res->refused_reports || res->differences;
    summary_verdict(s, chk ? &stats : NULL, res);
    fit_summary(ts, s);
    if (res->needs_person) {
        snprintf(verdict, sizeof verdict, "%s", _("Something needs a person: see \"Needs a "
                                                  "person\" in the summary."));
    } else {
        snprintf(verdict, sizeof verdict, "%s",
                 opts->adapter ? _("Everything reconciles, and the billing database holds "
                                   "every bill as gasvoucher wrote it.")
                               : _("Everything reconciles."));
    }
    doc.verdict = verdict;
    doc.needs_person = res->needs_person;
    if (write_summary(w, ts, s, err) < 0 || w->ops->doc_end(w->w, &doc, err) < 0)
        goto done;
    rc_ = 0;
done:
    gv_check_free(chk);
    free(ts);
    free(s);
    return rc_;
}
