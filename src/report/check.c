/* check.c - the bills read back from the billing database (see check.h).
 *
 * gasvoucher's BILLED rows of the period are held a partition at a time
 * (at most PART_ROWS of them, split by a hash of the account), and the
 * site's bills are streamed through the adapter once per partition.  For
 * the usual period of up to PART_ROWS bills that is one pass over each
 * side; a million bills cost five passes over the site's and never more
 * than one partition in memory.  The site's rows come in any order: the
 * hash, not an ORDER BY, pairs them, so no engine's collation can pair
 * them wrongly.
 *
 * A site row is gasvoucher's bill when it names the same account and
 * voucher.  A row of the account that names another voucher (or none) is
 * held as the candidate: if no exact row comes, that candidate is the
 * bill changed; if one does, a candidate naming a voucher is a foreign
 * bill.  A site row naming a voucher on an account gasvoucher billed
 * nothing for is foreign too; a row naming none there is the utility's
 * own business.
 */
#include "config.h"
#include "check.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fsutil.h"
#include "l10n.h"
#include "money.h"
#include "reconcile.h"

#define PART_ROWS 200000
#define PAGE_ROWS 5000

struct gv_check {
    FILE *spill;                /* the differences, a line each */
};

static const char *const kind_codes[GV_DIFF_COUNT] = { "CHANGED", "DELETED", "FOREIGN",
                                                       "REPORT_DIFFERS" };
static const char *const kind_words[GV_DIFF_COUNT] = {
    N_("bill changed in the billing database"),
    N_("bill deleted from the billing database"),
    N_("bill with a voucher gasvoucher did not bill there"),
    N_("redemption report differs from the bill"),
};
static const char *const field_codes[GV_FIELD_COUNT] = {
    "", "voucher", "volume_m3", "charge", "discount", "due", "bill_ref",
};
static const char *const field_words[GV_FIELD_COUNT] = {
    "", N_("voucher"), N_("volume, m3"), N_("charge"), N_("discount"), N_("amount due"),
    N_("bill reference"),
};

const char *gv_check_kind_words(gv_diff_kind_t k) { return _(kind_words[k]); }
const char *gv_check_kind_code(gv_diff_kind_t k) { return kind_codes[k]; }

const char *gv_check_field_words(gv_diff_field_t f)
{
    return *field_words[f] ? _(field_words[f]) : "";
}

/* ---- gasvoucher's side: one partition in a hash table ------------------ */

/* A site row held for an account until the pass ends. */
typedef struct candidate {
    char *voucher, *bill_ref;
    int64_t volume, charge, discount, due;
} candidate_t;

typedef struct own_bill {
    char *account, *voucher, *bill_ref, *report;
    int64_t volume, charge, discount, due;
    int matched;
    candidate_t *cand;
} own_bill_t;

/* Strings and candidates of one partition, freed together. */
typedef struct arena {
    char **blocks;
    size_t nblocks, used, cap;
} arena_t;

#define ARENA_BLOCK (1 << 20)

static void *arena_alloc(arena_t *a, size_t n)
{
    n = (n + 7) & ~(size_t)7;
    if (!a->nblocks || a->used + n > ARENA_BLOCK) {
        char **b = realloc(a->blocks, (a->nblocks + 1) * sizeof *b);
        if (!b || !(b[a->nblocks] = malloc(ARENA_BLOCK)))
            abort();                /* out of memory: nothing sensible to do */
        a->blocks = b;
        a->nblocks++;
        a->used = 0;
    }
    a->used += n;
    return a->blocks[a->nblocks - 1] + a->used - n;
}

static char *arena_str(arena_t *a, const char *s)
{
    size_t n = strlen(s) + 1;
    return memcpy(arena_alloc(a, n), s, n);
}

static void arena_free(arena_t *a)
{
    for (size_t i = 0; i < a->nblocks; i++)
        free(a->blocks[i]);
    free(a->blocks);
    memset(a, 0, sizeof *a);
}

static uint64_t hash_account(const char *s)
{
    uint64_t h = 1469598103934665603ULL;    /* FNV-1a */
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ULL;
    }
    return h;
}

typedef struct check_run {
    gv_check_t *c;
    gv_check_stats_t *stats;
    void (*log_line)(void *ud, const char *line);
    void *log_ud;
    const char *period;
    unsigned parts, part;
    own_bill_t *own;            /* open addressing, capacity a power of two */
    size_t cap, n;
    arena_t arena;
} check_run_t;

static own_bill_t *find_own(check_run_t *r, const char *account, int insert)
{
    size_t i = (size_t)hash_account(account) & (r->cap - 1);

    while (r->own[i].account) {
        if (!strcmp(r->own[i].account, account))
            return &r->own[i];
        i = (i + 1) & (r->cap - 1);
    }
    return insert ? &r->own[i] : NULL;
}

static int in_part(const check_run_t *r, const char *account)
{
    /* The upper bits pick the partition, the lower ones the slot. */
    return (unsigned)((hash_account(account) >> 40) % r->parts) == r->part;
}

/* ---- differences ------------------------------------------------------ */

static void clean_copy(char *dst, size_t n, const char *src)
{
    snprintf(dst, n, "%s", src ? src : "");
    for (char *p = dst; *p; p++)
        if (*p == '\t' || *p == '\n' || *p == '\r')
            *p = ' ';
}

static void emit(check_run_t *r, gv_diff_kind_t kind, gv_diff_field_t field,
                 const char *voucher, const char *account, const char *bill_ref,
                 const char *ours, const char *site, const char *report, const char *ours_raw,
                 const char *site_raw)
{
    gv_difference_t d;
    char line[768];

    memset(&d, 0, sizeof d);
    d.kind = kind;
    d.field = field;
    clean_copy(d.voucher_id, sizeof d.voucher_id, voucher);
    clean_copy(d.account, sizeof d.account, account);
    clean_copy(d.bill_ref, sizeof d.bill_ref, bill_ref);
    clean_copy(d.ours, sizeof d.ours, ours);
    clean_copy(d.site, sizeof d.site, site);
    clean_copy(d.report_id, sizeof d.report_id, report);
    r->stats->count[kind]++;
    r->stats->total++;
    fprintf(r->c->spill, "%d\t%d\t%s\t%s\t%s\t%s\t%s\t%s\n", kind, field, d.voucher_id,
            d.account, d.bill_ref, d.ours, d.site, d.report_id);
    if (r->log_line) {
        /* The log is for engineers: English and plain numbers. */
        int len = snprintf(line, sizeof line, "%s voucher %s, account %s, bill %s",
                           kind_codes[kind], *d.voucher_id ? d.voucher_id : "-", d.account,
                           *d.bill_ref ? d.bill_ref : "-");
        if (field && len > 0 && (size_t)len < sizeof line)
            len += snprintf(line + len, sizeof line - (size_t)len,
                            ": %s: gasvoucher wrote %s, the billing database holds %s",
                            field_codes[field], ours_raw && *ours_raw ? ours_raw : "nothing",
                            site_raw && *site_raw ? site_raw : "nothing");
        if (*d.report_id && len > 0 && (size_t)len < sizeof line)
            snprintf(line + len, sizeof line - (size_t)len, " (reported in %s)", d.report_id);
        r->log_line(r->log_ud, line);
    }
}

/* Compares one amount or volume; a difference of it, and of the report
 * that carried it. */
static void compare_num(check_run_t *r, const own_bill_t *o, const char *site_ref,
                        gv_diff_field_t field, int64_t ours, int64_t site)
{
    char a[64], b[64], ra[32], rb[32];
    int scale = field == GV_FIELD_VOLUME ? 3 : 2;

    if (ours == site)
        return;
    if (field == GV_FIELD_VOLUME) {
        gv_fmt_decimal(ours, 3, a, sizeof a);
        gv_fmt_decimal(site, 3, b, sizeof b);
    } else {
        gv_fmt_money(ours, a, sizeof a);
        gv_fmt_money(site, b, sizeof b);
    }
    gv_decimal_format(ours, scale, ra, sizeof ra);
    gv_decimal_format(site, scale, rb, sizeof rb);
    emit(r, GV_DIFF_CHANGED, field, o->voucher, o->account, site_ref, a, b, o->report, ra, rb);
    if (*o->report)
        emit(r, GV_DIFF_REPORT, field, o->voucher, o->account, site_ref, a, b, o->report, ra,
             rb);
}

static void compare_bill(check_run_t *r, const own_bill_t *o, const char *voucher,
                         const char *bill_ref, int64_t volume, int64_t charge,
                         int64_t discount, int64_t due)
{
    const char *ref = *bill_ref ? bill_ref : o->bill_ref;

    if (strcmp(voucher, o->voucher) != 0)
        emit(r, GV_DIFF_CHANGED, GV_FIELD_VOUCHER, o->voucher, o->account, ref, o->voucher,
             voucher, o->report, o->voucher, voucher);
    if (*bill_ref && *o->bill_ref && strcmp(bill_ref, o->bill_ref) != 0)
        emit(r, GV_DIFF_CHANGED, GV_FIELD_BILL_REF, o->voucher, o->account, bill_ref,
             o->bill_ref, bill_ref, o->report, o->bill_ref, bill_ref);
    compare_num(r, o, ref, GV_FIELD_VOLUME, o->volume, volume);
    compare_num(r, o, ref, GV_FIELD_CHARGE, o->charge, charge);
    compare_num(r, o, ref, GV_FIELD_DISCOUNT, o->discount, discount);
    compare_num(r, o, ref, GV_FIELD_DUE, o->due, due);
}

static void foreign(check_run_t *r, const char *voucher, const char *account,
                    const char *bill_ref)
{
    emit(r, GV_DIFF_FOREIGN, GV_FIELD_VOUCHER, voucher, account, bill_ref, "", voucher, "", "",
         voucher);
}

/* ---- the passes ------------------------------------------------------ */

typedef struct loader {
    check_run_t *r;
    char last[128];
    long rows;
} loader_t;

static int on_own(void *ud, const gv_rec_value_t *v, size_t n)
{
    loader_t *l = ud;
    check_run_t *r = l->r;
    own_bill_t *o;

    snprintf(l->last, sizeof l->last, "%s", v[GV_RB_ACCOUNT].text);
    l->rows++;
    if (r->part == 0)
        r->stats->our_bills++;
    if (!in_part(r, v[GV_RB_ACCOUNT].text))
        return 0;
    if (r->n * 2 >= r->cap) {           /* keep the table at most half full */
        own_bill_t *old = r->own;
        size_t oldcap = r->cap;
        r->cap *= 2;
        if (!(r->own = calloc(r->cap, sizeof *r->own)))
            abort();
        for (size_t i = 0; i < oldcap; i++)
            if (old[i].account)
                *find_own(r, old[i].account, 1) = old[i];
        free(old);
    }
    o = find_own(r, v[GV_RB_ACCOUNT].text, 1);
    o->account = arena_str(&r->arena, v[GV_RB_ACCOUNT].text);
    o->voucher = arena_str(&r->arena, v[GV_RB_VOUCHER].text);
    o->bill_ref = arena_str(&r->arena, v[GV_RB_BILL_REF].text);
    o->report = arena_str(&r->arena, v[GV_RB_REPORT].text);
    o->volume = v[GV_RB_VOLUME].num;
    o->charge = v[GV_RB_CHARGE].num;
    o->discount = v[GV_RB_DISCOUNT].num;
    o->due = v[GV_RB_DUE].num;
    r->n++;
    return 0;
}

static int load_partition(gv_db_t *db, check_run_t *r, gv_err_t *err)
{
    loader_t l;
    gv_db_error_t e;

    memset(&l, 0, sizeof l);
    l.r = r;
    do {
        l.rows = 0;
        if (gv_reconcile_billed_page(db, r->period, l.last, PAGE_ROWS, on_own, &l, &e) < 0) {
            gv_err_set(err, "%s: %s", _("the database"), e.msg);
            return -1;
        }
    } while (l.rows == PAGE_ROWS);
    return 0;
}

static int on_site(void *ud, const gv_site_held_bill_t *b)
{
    check_run_t *r = ud;
    own_bill_t *o;

    if (r->part == 0)
        r->stats->site_bills++;
    if (!in_part(r, b->account))
        return 0;
    o = find_own(r, b->account, 0);
    if (!o) {
        if (*b->voucher_id)
            foreign(r, b->voucher_id, b->account, b->bill_ref);
        return 0;
    }
    if (!strcmp(b->voucher_id, o->voucher) && !o->matched) {
        o->matched = 1;
        compare_bill(r, o, b->voucher_id, b->bill_ref, b->volume_milli, b->charge,
                     b->discount, b->due);
        return 0;
    }
    if (!o->cand) {
        candidate_t *c = arena_alloc(&r->arena, sizeof *c);
        c->voucher = arena_str(&r->arena, b->voucher_id);
        c->bill_ref = arena_str(&r->arena, b->bill_ref);
        c->volume = b->volume_milli;
        c->charge = b->charge;
        c->discount = b->discount;
        c->due = b->due;
        o->cand = c;
    } else if (*b->voucher_id) {
        foreign(r, b->voucher_id, b->account, b->bill_ref);
    }
    return 0;
}

/* What the pass left: candidates and bills the site no longer has. */
static void finish_partition(check_run_t *r)
{
    for (size_t i = 0; i < r->cap; i++) {
        own_bill_t *o = &r->own[i];
        if (!o->account)
            continue;
        if (o->matched) {
            if (o->cand && *o->cand->voucher)
                foreign(r, o->cand->voucher, o->account, o->cand->bill_ref);
        } else if (o->cand) {
            compare_bill(r, o, o->cand->voucher, o->cand->bill_ref, o->cand->volume,
                         o->cand->charge, o->cand->discount, o->cand->due);
        } else {
            char due[64], raw[32];
            gv_fmt_money(o->due, due, sizeof due);
            gv_decimal_format(o->due, 2, raw, sizeof raw);
            emit(r, GV_DIFF_DELETED, GV_FIELD_NONE, o->voucher, o->account, o->bill_ref, "", "",
                 o->report, NULL, NULL);
            if (*o->report)
                emit(r, GV_DIFF_REPORT, GV_FIELD_DUE, o->voucher, o->account, o->bill_ref, due,
                     "", o->report, raw, "");
        }
    }
}

static int on_count(void *ud, const gv_rec_value_t *v, size_t n)
{
    *(long *)ud = (long)v[0].num;
    return 0;
}

gv_check_t *gv_check_run(gv_db_t *db, const gv_adapter_t *adapter, void *actx,
                         const char *period, void (*log_line)(void *ud, const char *line),
                         void *log_ud, gv_check_stats_t *stats, gv_err_t *err)
{
    check_run_t r;
    gv_db_error_t e;
    gv_period_t p;
    long billed = 0;

    memset(stats, 0, sizeof *stats);
    memset(&r, 0, sizeof r);
    if (gv_period_parse(period, &p) < 0) {
        gv_err_set(err, "%s: %s", _("not a period (YYYY-MM)"), period);
        return NULL;
    }
    if (!adapter->read_bills) {
        gv_err_set(err, "adapter %s cannot read bills back", adapter->name);
        return NULL;
    }
    if (gv_reconcile_query(db, GV_REC_BILLED_COUNT, period, on_count, &billed, &e) < 0) {
        gv_err_set(err, "%s: %s", _("the database"), e.msg);
        return NULL;
    }
    if (!(r.c = calloc(1, sizeof *r.c)) || !(r.c->spill = tmpfile())) {
        gv_err_set(err, "%s", strerror(errno));
        free(r.c);
        return NULL;
    }
    r.stats = stats;
    r.log_line = log_line;
    r.log_ud = log_ud;
    r.period = period;
    r.parts = billed > PART_ROWS ? (unsigned)((billed + PART_ROWS - 1) / PART_ROWS) : 1;
    for (r.part = 0; r.part < r.parts; r.part++) {
        r.cap = 1024;
        while (r.cap < (size_t)(billed / r.parts) * 2 + 2)
            r.cap *= 2;
        r.n = 0;
        if (!(r.own = calloc(r.cap, sizeof *r.own)))
            abort();
        if (load_partition(db, &r, err) < 0)
            goto fail;
        if (adapter->read_bills(actx, p, gv_monotonic_ms(), on_site, &r, &e) < 0) {
            gv_err_set(err, "%s: %s", _("the billing database"), e.msg);
            goto fail;
        }
        finish_partition(&r);
        free(r.own);
        r.own = NULL;
        arena_free(&r.arena);
    }
    if (fflush(r.c->spill) != 0) {
        gv_err_set(err, "%s", strerror(errno));
        goto fail;
    }
    return r.c;
fail:
    free(r.own);
    arena_free(&r.arena);
    gv_check_free(r.c);
    return NULL;
}

int gv_check_replay(gv_check_t *c, int (*fn)(void *ud, const gv_difference_t *d), void *ud,
                    gv_err_t *err)
{
    char line[1024];

    rewind(c->spill);
    while (fgets(line, sizeof line, c->spill)) {
        gv_difference_t d;
        char *f[8], *p = line;
        int k = 0;
        line[strcspn(line, "\n")] = '\0';
        /* strsep keeps empty fields, which strtok would skip. */
        while (k < 8 && (f[k] = strsep(&p, "\t")))
            k++;
        if (k != 8)
            continue;
        memset(&d, 0, sizeof d);
        d.kind = (gv_diff_kind_t)atoi(f[0]);
        d.field = (gv_diff_field_t)atoi(f[1]);
        snprintf(d.voucher_id, sizeof d.voucher_id, "%s", f[2]);
        snprintf(d.account, sizeof d.account, "%s", f[3]);
        snprintf(d.bill_ref, sizeof d.bill_ref, "%s", f[4]);
        snprintf(d.ours, sizeof d.ours, "%s", f[5]);
        snprintf(d.site, sizeof d.site, "%s", f[6]);
        snprintf(d.report_id, sizeof d.report_id, "%s", f[7]);
        if (fn(ud, &d) < 0)
            return -1;
    }
    if (ferror(c->spill)) {
        gv_err_set(err, "%s", strerror(errno));
        return -1;
    }
    return 0;
}

void gv_check_free(gv_check_t *c)
{
    if (!c)
        return;
    if (c->spill)
        fclose(c->spill);
    free(c);
}
