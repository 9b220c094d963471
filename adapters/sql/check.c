/* check.c - `gasvoucher mapping check`: proves a mapping on the live
 * database, changing nothing.
 *
 * Preparing a statement and looking at its column names proves little: a
 * mapping passed that way while a Cyrillic literal was corrupted on its way
 * to SQLite, while `||` meant OR on MariaDB (every account NOT_FOUND), and
 * while CAST(x AS DATE) gave SQLite a number that billing then refused.  So
 * this check runs every read of the mapping on sample accounts, reads each
 * value the way gasvoucher reads it, asks the engine how it behaves where
 * engines differ, names each trap a statement falls into with file and
 * line, and shows what gasvoucher would see of each sample.  Bill writes
 * are only prepared: running them could leave rows behind (a table without
 * transactions, a trigger, a sequence).
 */
#include "config.h"
#include "adapter.h"
#include "buf.h"
#include "check.h"
#include "consumption.h"
#include "mask.h"
#include "money.h"
#include "params.h"
#include "sqlrun.h"
#include "column.h"
#include "utf8.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_SAMPLES 5       /* rows of [query.sample_accounts] tried */
#define MAX_ROWS 1000       /* rows of one statement checked per sample */
#define MAX_COLS 64

/* How the engine behaves where engines differ, asked of the engine itself. */
typedef struct engine {
    char name[32];              /* "SQLite", "MariaDB", "PostgreSQL", ... */
    char sql_mode[512];         /* MariaDB and MySQL */
    int concat_ok;              /* 'a' || 'b' gives 'ab' */
    char concat_gives[64];
    int cast_date_ok;           /* CAST('2025-09-01' AS DATE) gives that date */
    char cast_date_gives[64];
    int text_ok;                /* non-ASCII SQL text arrives as written */
    int fold_ok;                /* UPPER('д') gives 'Д' */
} engine_t;

typedef struct check {
    const gv_conf_t *conf;
    const gv_mapping_t *map;
    gv_errlist_t *errs;
    FILE *out;
    gv_db_t *db;
    engine_t eng;
    gv_buf_t sql;
    gv_params_t *params;            /* the billing program, for volumes; may be NULL */
    gv_period_t period;
    gv_site_period_t sp;            /* the period in every form a statement binds */
    int prepared[GV_STMT_COUNT];    /* prepares and returns its columns */
    size_t problems[GV_STMT_COUNT]; /* problems reported against each statement */
    unsigned seen[GV_STMT_COUNT];   /* column roles with a value problem reported */
    gv_errlist_t said;              /* "kind what" of problems said once per statement */
} check_t;

/* ---- reporting ---------------------------------------------------------- */

static void problem(check_t *k, int kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Adds a problem once: the same fault seen on every sample is one line. */
static void problem(check_t *k, int kind, const char *fmt, ...)
{
    char msg[2048];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    for (size_t i = 0; i < k->errs->count; i++)
        if (!strcmp(k->errs->items[i], msg))
            return;
    gv_errlist_add(k->errs, "%s", msg);
    if (kind >= 0)
        k->problems[kind]++;
}

/* 1 the first time it is asked for statement kind and what: a fault seen
 * on every sample is said once, of the first. */
static int first_time(check_t *k, int kind, const char *what)
{
    char key[96];

    snprintf(key, sizeof key, "%d %s", kind, what);
    for (size_t i = 0; i < k->said.count; i++)
        if (!strcmp(k->said.items[i], key))
            return 0;
    gv_errlist_add(&k->said, "%s", key);
    return 1;
}

/* The file line of the nl-th line of a value that starts on line first:
 * the mapping loader joins a value's continuation lines with newlines,
 * and libinih skips the blank and comment lines between them. */
static int source_line(const char *path, int first, size_t nl)
{
    FILE *f;
    char buf[4096];
    int line = 0;

    if (nl == 0 || !(f = fopen(path, "r")))
        return first + (int)nl;
    while (fgets(buf, sizeof buf, f)) {
        const char *p = buf;
        line++;
        if (line <= first)
            continue;
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p == '\n' || *p == '\r' || !*p || *p == ';' || *p == '#')
            continue;
        if (p == buf)
            break;           /* not indented: the value ended */
        if (--nl == 0) {
            fclose(f);
            return line;
        }
    }
    fclose(f);
    return first;
}

static void where_at(const check_t *k, const char *section, int first, const char *src,
                     size_t off, char *out, size_t sz)
{
    size_t nl = 0;

    for (size_t i = 0; i < off && src[i]; i++)
        nl += src[i] == '\n';
    snprintf(out, sz, "%s:%d: [%s]", k->map->path, source_line(k->map->path, first, nl),
             section);
}

static void where_of(const check_t *k, int kind, char *out, size_t sz)
{
    snprintf(out, sz, "%s:%d: [%s]", k->map->path, k->map->stmts[kind].line,
             gv_stmt_specs[kind].section);
}

/* Database text for a message: bytes that are not printable UTF-8 as \xNN
 * (a corrupted literal is exactly that), at most about 80 characters. */
static void shown(const char *s, char *out, size_t sz)
{
    size_t n = 0;

    for (const char *p = s; *p && n + 8 < sz && p - s < 240;) {
        size_t len = gv_utf8_seqlen(p);
        unsigned char c = (unsigned char)*p;
        if ((len == 1 && (c < 0x20 || c >= 0x7f)) || !gv_utf8_valid(p, len, NULL)) {
            n += (size_t)snprintf(out + n, sz - n, "\\x%02x", c);
            p++;
        } else {
            memcpy(out + n, p, len);
            n += len;
            p += len;
        }
    }
    out[n] = '\0';
}

/* ---- the engine --------------------------------------------------------- */

/* A one-row probe, its one parameter (if any) bound to the text bound:
 * its first column as text.  0, or -1 when refused. */
static int probe_bound(check_t *k, const char *sql, const char *bound, char *out, size_t sz,
                       gv_db_error_t *e)
{
    gv_db_stmt_t *st = gv_db_prepare(k->db, sql, e);
    int is_null = 0, rc = -1;

    out[0] = '\0';
    if (!st)
        return -1;
    if ((!bound || gv_db_bind_text(st, 1, bound, e) == 0) && gv_db_execute(st, e) == 0 &&
        gv_db_fetch(st, e) == 1 &&
        gv_db_get_text(st, 1, out, sz, &is_null, e) == 0)
        rc = 0;
    gv_db_stmt_free(st);
    return rc;
}

static int probe(check_t *k, const char *sql, char *out, size_t sz, gv_db_error_t *e)
{
    return probe_bound(k, sql, NULL, out, sz, e);
}

static void ask_engine(check_t *k)
{
    engine_t *g = &k->eng;
    gv_db_error_t e;
    char v[512];

    /* Which engine, for the messages; the traps below are asked of its
     * behaviour, not inferred from its name. */
    if (probe(k, "SELECT sqlite_version()", v, sizeof v, &e) == 0) {
        snprintf(g->name, sizeof g->name, "SQLite");
    } else if (probe(k, "SELECT @@sql_mode", g->sql_mode, sizeof g->sql_mode, &e) == 0) {
        probe(k, "SELECT version()", v, sizeof v, &e);
        snprintf(g->name, sizeof g->name, "%s", strstr(v, "MariaDB") ? "MariaDB" : "MySQL");
    } else if (probe(k, "SELECT version()", v, sizeof v, &e) == 0 &&
               !strncmp(v, "PostgreSQL", 10)) {
        snprintf(g->name, sizeof g->name, "PostgreSQL");
    } else {
        snprintf(g->name, sizeof g->name, "this database");
    }
    g->concat_ok = probe(k, "SELECT 'a' || 'b'", v, sizeof v, &e) == 0 && !strcmp(v, "ab");
    shown(v[0] ? v : "an error", g->concat_gives, sizeof g->concat_gives);
    g->cast_date_ok = probe(k, "SELECT CAST('2025-09-01' AS DATE)", v, sizeof v, &e) == 0 &&
                      !strncmp(v, "2025-09-01", 10);
    shown(v[0] ? v : "an error", g->cast_date_gives, sizeof g->cast_date_gives);
    g->text_ok = probe(k, "SELECT 'Жқд'", v, sizeof v, &e) == 0 && !strcmp(v, "Жқд");
    /* Bound, so that it holds whatever happens to non-ASCII SQL text. */
    g->fold_ok = probe_bound(k, "SELECT UPPER(?)", "д", v, sizeof v, &e) == 0 &&
                 !strcmp(v, "Д");
}

/* ---- what the SQL text says --------------------------------------------- */

typedef enum { EV_LITERAL, EV_CONCAT, EV_CAST_DATE, EV_CASEFOLD, EV_NONASCII_NAME } sql_ev_t;

typedef void (*sql_event_fn)(void *user, sql_ev_t ev, size_t off, const char *text,
                             size_t len);

static int word_char(unsigned char c)
{
    return isalnum(c) || c == '_' || c == '$' || c >= 0x80;
}

static int word_is(const char *w, size_t n, const char *what)
{
    return strlen(what) == n && !strncasecmp(w, what, n);
}

static int has_non_ascii(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)p[i] >= 0x80)
            return 1;
    return 0;
}

/* p at a quote: the byte after its closing quote (a doubled quote stays
 * inside), or the end of the text. */
static const char *skip_quoted(const char *p)
{
    char q = *p++;

    for (; *p; p++)
        if (*p == q) {
            if (p[1] != q)
                return p + 1;
            p++;
        }
    return p;
}

/* p at '(': its ')' (quotes and comments skipped), or NULL. */
static const char *matching_paren(const char *p)
{
    int depth = 0;

    while (*p) {
        if (*p == '\'' || *p == '"' || *p == '`') {
            p = skip_quoted(p);
            continue;
        }
        if (*p == '(')
            depth++;
        else if (*p == ')' && --depth == 0)
            return p;
        p++;
    }
    return NULL;
}

/* CAST(... AS DATE) (or DATETIME, TIMESTAMP): the last two words before
 * the closing parenthesis. */
static int casts_to_date(const char *open, const char *close)
{
    const char *e = close, *b;

    while (e > open && isspace((unsigned char)e[-1]))
        e--;
    for (b = e; b > open && word_char((unsigned char)b[-1]); b--)
        ;
    if (!word_is(b, (size_t)(e - b), "date") && !word_is(b, (size_t)(e - b), "datetime") &&
        !word_is(b, (size_t)(e - b), "timestamp"))
        return 0;
    for (e = b; e > open && isspace((unsigned char)e[-1]); e--)
        ;
    return e - open > 2 && word_is(e - 2, 2, "as") && !word_char((unsigned char)e[-3]);
}

/* Walks SQL text as written (with :names) and reports what the engine
 * checks need: string literals (with an N or E prefix), '||', CAST to a
 * date, case folding, and the first non-ASCII name. */
static void scan_sql(const char *src, sql_event_fn fn, void *user)
{
    const char *p = src;
    int named = 0;

    while (*p) {
        unsigned char c = (unsigned char)*p;
        if (c == '\'') {
            const char *e = skip_quoted(p);
            fn(user, EV_LITERAL, (size_t)(p - src), p, (size_t)(e - p));
            p = e;
        } else if (c == '"' || c == '`') {
            const char *e = skip_quoted(p);
            if (!named && has_non_ascii(p, (size_t)(e - p))) {
                fn(user, EV_NONASCII_NAME, (size_t)(p - src), p, (size_t)(e - p));
                named = 1;
            }
            p = e;
        } else if (c == '-' && p[1] == '-') {
            while (*p && *p != '\n')
                p++;
        } else if (c == '/' && p[1] == '*') {
            const char *e = strstr(p + 2, "*/");
            p = e ? e + 2 : p + strlen(p);
        } else if (c == '|' && p[1] == '|') {
            fn(user, EV_CONCAT, (size_t)(p - src), p, 2);
            p += 2;
        } else if (word_char(c)) {
            const char *w = p, *q;
            size_t n;
            while (word_char((unsigned char)*p))
                p++;
            n = (size_t)(p - w);
            if (n == 1 && strchr("NnEe", *w) && *p == '\'') {
                const char *e = skip_quoted(p);
                fn(user, EV_LITERAL, (size_t)(w - src), w, (size_t)(e - w));
                p = e;
                continue;
            }
            if (!named && has_non_ascii(w, n)) {
                fn(user, EV_NONASCII_NAME, (size_t)(w - src), w, n);
                named = 1;
            }
            for (q = p; isspace((unsigned char)*q); q++)
                ;
            if (*q == '(' && word_is(w, n, "cast")) {
                const char *close = matching_paren(q);
                if (close && casts_to_date(q, close))
                    fn(user, EV_CAST_DATE, (size_t)(w - src), w, (size_t)(close + 1 - w));
            } else if (*q == '(' && (word_is(w, n, "upper") || word_is(w, n, "lower") ||
                                     word_is(w, n, "ucase") || word_is(w, n, "lcase"))) {
                fn(user, EV_CASEFOLD, (size_t)(w - src), w, n);
            } else if (word_is(w, n, "nocase")) {
                fn(user, EV_CASEFOLD, (size_t)(w - src), w, n);
            }
        } else {
            p++;
        }
    }
}

typedef struct text_check {
    check_t *k;
    int kind;                   /* statement kind, or -1 for a write */
    const char *section;
    int first;                  /* its first line */
    const char *src;
    int concat, named;          /* reported once per statement */
    int fold_at;                /* offset of the first case folding + 1; 0 = none */
    char fold_word[16];
    int cyrillic_literal;       /* a literal with non-ASCII text */
} text_check_t;

/* SELECTs a non-ASCII literal back and compares the bytes. */
static void round_trip(text_check_t *t, const char *where, const char *lit, size_t len)
{
    check_t *k = t->k;
    const char *open = memchr(lit, '\'', len);
    char sql[2200], want[2048], got[2048], gots[512], lits[256];
    gv_db_error_t e;
    size_t n = 0;

    /* Backslashes mean different things per engine; such a literal is not
     * compared. */
    if (!open || memchr(lit, '\\', len) || len >= sizeof want)
        return;
    for (const char *p = open + 1; p < lit + len - 1; p++) {
        want[n++] = *p;
        if (*p == '\'')
            p++;                /* '' is one quote */
    }
    want[n] = '\0';
    snprintf(sql, sizeof sql, "SELECT %.*s", (int)len, lit);
    shown(want, lits, sizeof lits);
    if (probe(k, sql, got, sizeof got, &e) < 0) {
        problem(k, t->kind, "%s: the literal '%s' does not survive the way to %s (%s): "
                "non-ASCII SQL text is corrupted between gasvoucher and the database",
                where, lits, k->eng.name, e.msg);
        return;
    }
    if (strcmp(got, want) != 0) {
        shown(got, gots, sizeof gots);
        problem(k, t->kind, "%s: the literal '%s' comes back from %s as '%s': non-ASCII SQL "
                "text is corrupted between gasvoucher and the database, so the statement "
                "compares with other text", where, lits, k->eng.name, gots);
    }
}

static void on_sql_event(void *user, sql_ev_t ev, size_t off, const char *text, size_t len)
{
    text_check_t *t = user;
    check_t *k = t->k;
    char where[1200];

    where_at(k, t->section, t->first, t->src, off, where, sizeof where);
    switch (ev) {
    case EV_LITERAL:
        if (has_non_ascii(text, len)) {
            t->cyrillic_literal = 1;
            round_trip(t, where, text, len);
        }
        break;
    case EV_CONCAT:
        if (k->eng.concat_ok || t->concat++)
            break;
        if (k->eng.sql_mode[0] || !strcmp(k->eng.name, "MySQL"))
            problem(k, t->kind, "%s: '||' is logical OR on %s, not string concatenation "
                    "(sql_mode '%s' lacks PIPES_AS_CONCAT; 'a' || 'b' gives %s): use "
                    "CONCAT(a, b), or add PIPES_AS_CONCAT to sql_mode for gasvoucher's "
                    "connection", where, k->eng.name, k->eng.sql_mode, k->eng.concat_gives);
        else
            problem(k, t->kind, "%s: '||' is not string concatenation on %s ('a' || 'b' "
                    "gives %s): use the engine's concatenation function", where,
                    k->eng.name, k->eng.concat_gives);
        break;
    case EV_CAST_DATE:
        if (!k->eng.cast_date_ok)
            problem(k, t->kind, "%s: CAST(... AS DATE) gives a number on %s; return the date "
                    "as text, e.g. date(x) (CAST('2025-09-01' AS DATE) gives %s, and it "
                    "compares as a number)", where, k->eng.name, k->eng.cast_date_gives);
        break;
    case EV_CASEFOLD:
        if (!t->fold_at) {
            t->fold_at = (int)off + 1;
            snprintf(t->fold_word, sizeof t->fold_word, "%.*s", (int)len, text);
        }
        break;
    case EV_NONASCII_NAME:
        if (!k->eng.text_ok && !t->named++)
            problem(k, t->kind, "%s: non-ASCII names in the SQL text are corrupted on the way "
                    "to %s, as literals are ('Жқд' does not come back as written)", where,
                    k->eng.name);
        break;
    }
}

static void check_text(check_t *k, int kind, const char *section, int first, const char *src)
{
    text_check_t t;
    char where[1200];

    if (!src)
        return;
    memset(&t, 0, sizeof t);
    t.k = k;
    t.kind = kind;
    t.section = section;
    t.first = first;
    t.src = src;
    scan_sql(src, on_sql_event, &t);
    /* Case folding matters where the statement compares with Cyrillic. */
    if (t.fold_at && t.cyrillic_literal && !k->eng.fold_ok) {
        where_at(k, section, first, src, (size_t)t.fold_at - 1, where, sizeof where);
        problem(k, kind, "%s: %s%s changes only ASCII letters on %s (UPPER('д') is not 'Д'): "
                "Cyrillic text keeps its case, so it will not match the Cyrillic literals; "
                "compare with the case the data has", where,
                strcasecmp(t.fold_word, "nocase") ? "" : "COLLATE ", t.fold_word,
                k->eng.name);
    }
}

/* ---- running a statement ------------------------------------------------ */

/* Runs statement kind with every parameter bound: :account and :accounts
 * to one account (as bind_as says), the period values to k's period. */
static gv_db_stmt_t *run(check_t *k, int kind, const char *account, gv_db_error_t *e)
{
    const gv_stmt_t *s = &k->map->stmts[kind];
    gv_db_stmt_t *st;

    if (gv_stmt_expand(s, 1, &k->sql) < 0 || !(st = gv_db_prepare(k->db, k->sql.data, e)))
        return NULL;
    for (size_t i = 0; i < s->nparams; i++)
        if (gv_sql_bind_named(st, (int)i + 1, s->params[i], k->map, account, &k->sp, e) < 0) {
            gv_db_stmt_free(st);
            return NULL;
        }
    if (gv_db_execute(st, e) < 0) {
        gv_db_stmt_free(st);
        return NULL;
    }
    return st;
}

/* How gasvoucher reads a column, from its role. */
typedef enum {
    V_ACCOUNT, V_TEXT, V_PERSONAL, V_REGION, V_FLAG, V_INT, V_DIGITS, V_DATE, V_DECIMAL,
    V_READ_KIND
} value_rule_t;

static value_rule_t rule_of(int kind, const gv_col_spec_t *c, int *nullable)
{
    const char *n = c->name;

    *nullable = 0;
    if (!strcmp(n, "account"))
        return V_ACCOUNT;
    if (!strcmp(n, "holder") || !strcmp(n, "address") || !strcmp(n, "settlement")) {
        *nullable = 1;
        return V_PERSONAL;
    }
    if (!strcmp(n, "region"))
        return V_REGION;
    if (!strcmp(n, "kind"))
        return V_READ_KIND;
    if (!strcmp(n, "digits"))
        return V_DIGITS;
    switch (c->kind) {
    case GV_COL_INT:
        *nullable = c->optional;     /* seq: NULL is 0, a fine order */
        return kind == GV_STMT_ACCOUNT || kind == GV_STMT_ACCOUNTS ? V_FLAG : V_INT;
    case GV_COL_DATE:
        *nullable = !strcmp(n, "closed_on");
        return V_DATE;
    case GV_COL_DECIMAL:
        return V_DECIMAL;
    default:
        return V_TEXT;
    }
}

static int looks_numeric(const char *v)
{
    char *end;

    if (!*v)
        return 0;
    strtod(v, &end);
    return *end == '\0';
}

typedef struct run_result {
    long rows;              /* rows returned (up to MAX_ROWS) */
    long matching;          /* of them, rows whose account is the one asked for */
    char other[64];         /* an account returned that was not asked for */
    char first[64];         /* the account of the first row */
    int ran;
} run_result_t;

/* Checks one value of a row as gasvoucher reads it. */
static void check_value(check_t *k, int kind, const gv_col_spec_t *c, gv_db_stmt_t *st,
                        int col, const char *account, unsigned bit, run_result_t *rr)
{
    unsigned *seen = &k->seen[kind];
    char where[400], v[2048], vs[256];
    gv_db_error_t e;
    int nullable, is_null, flag;
    value_rule_t rule = rule_of(kind, c, &nullable);
    const char *why = NULL;
    int64_t n, milli;
    int32_t day;
    gv_read_kind_t rk;

    where_of(k, kind, where, sizeof where);
    if (rule == V_INT || rule == V_DIGITS) {
        /* Billing reads integers as integers (SQL_C_SBIGINT). */
        if (gv_db_get_int64(st, col, &n, &is_null, &e) < 0) {
            if (!(*seen & bit))
                problem(k, kind, "%s: column '%s' does not read as an integer for account %s: "
                        "%s", where, c->name, account, e.msg);
            *seen |= bit;
            return;
        }
        if (*seen & bit)
            return;
        if (is_null && !nullable)
            problem(k, kind, "%s: column '%s' is NULL for account %s, which billing reads as 0",
                    where, c->name, account);
        else if (!is_null && rule == V_DIGITS && (n < 1 || n > 12))
            problem(k, kind, "%s: column '%s' holds %" PRId64 " for account %s: a register has "
                    "1 to 12 digits", where, c->name, n, account);
        else
            return;
        *seen |= bit;
        return;
    }
    if (gv_db_get_text(st, col, v, sizeof v, &is_null, &e) < 0) {
        if (!(*seen & bit))
            problem(k, kind, "%s: column '%s' cannot be read for account %s: %s", where,
                    c->name, account, e.msg);
        *seen |= bit;
        return;
    }
    gv_rtrim_blanks(v);
    if (rule == V_ACCOUNT && rr->rows == 1)
        snprintf(rr->first, sizeof rr->first, "%.63s", v);
    if (rule == V_ACCOUNT && !is_null) {
        if (!account || !strcmp(v, account))
            rr->matching++;
        else if (!rr->other[0])
            snprintf(rr->other, sizeof rr->other, "%.63s", v);
    }
    if (is_null) {
        if (!nullable && !(*seen & bit))
            problem(k, kind, "%s: column '%s' is NULL for account %s; gasvoucher needs a value "
                    "there", where, c->name, account);
        if (!nullable)
            *seen |= bit;
        return;
    }
    shown(v, vs, sizeof vs);
    switch (rule) {
    case V_REGION:
        if (!gv_params_region_ok(v, 0))
            why = "not an ISO 3166-2:KZ code (KZ-NN): no price, norm or pilot region matches it";
        break;
    case V_FLAG:
        if (gv_sql_parse_flag(v, &flag) < 0)
            why = "not a number or true/false";
        break;
    case V_DATE:
        if (strlen(v) >= 10)
            v[10] = '\0';       /* a timestamp's date, as the readers take it */
        if (gv_date_parse(v, &day) == 0)
            break;
        why = "not a date (YYYY-MM-DD)";
        break;
    case V_DECIMAL:
        if (gv_decimal_parse(v, 3, &milli) < 0)
            why = "not a decimal number with at most three decimals";
        break;
    case V_READ_KIND:
        if (gv_read_kind_parse(v, &rk) < 0)
            why = "not ACTUAL, INSTALL, REMOVAL or ESTIMATED";
        break;
    default:
        break;
    }
    if (why && !(*seen & bit)) {
        if (rule == V_DATE && !k->eng.cast_date_ok && looks_numeric(v))
            problem(k, kind, "%s: column '%s' holds %s for account %s, a number, not a date: "
                    "CAST(... AS DATE) gives a number on %s; return the date as text, e.g. "
                    "date(x)", where, c->name, vs, account, k->eng.name);
        else
            problem(k, kind, "%s: column '%s' holds '%s' for account %s: %s", where, c->name,
                    vs, account, why);
    }
    if (why)
        *seen |= bit;
}

/* Runs statement kind for account and checks its result columns and the
 * values of up to MAX_ROWS rows as gasvoucher reads them.  The column
 * types are checked after execution: SQLite's driver describes a column
 * by the value of the first row, as billing then sees it. */
static void check_run(check_t *k, int kind, const char *account, run_result_t *rr)
{
    const gv_stmt_spec_t *spec = &gv_stmt_specs[kind];
    char where[400];
    int cols[MAX_COLS], order[MAX_COLS], ncols = 0, norder = 0, row = 0;
    gv_errlist_t typed = { 0 };
    gv_db_error_t e;
    gv_db_stmt_t *st;

    memset(rr, 0, sizeof *rr);
    if (!k->map->stmts[kind].sql || !k->prepared[kind])
        return;
    where_of(k, kind, where, sizeof where);
    if (!(st = run(k, kind, account, &e))) {
        if (first_time(k, kind, "run"))
            problem(k, kind, "%s: does not run for account %s: %s", where, account, e.msg);
        return;
    }
    rr->ran = 1;
    while (spec->columns[ncols].name)
        ncols++;
    gv_stmt_columns(st, spec, cols, where, &typed, &e);
    /* The roles in result order: some drivers read columns no other way. */
    for (int r = 0; r < ncols; r++) {
        int i = norder;
        if (!cols[r])
            continue;
        for (; i > 0 && cols[order[i - 1]] > cols[r]; i--)
            order[i] = order[i - 1];
        order[i] = r;
        norder++;
    }
    while (rr->rows < MAX_ROWS && (row = gv_db_fetch(st, &e)) == 1) {
        rr->rows++;
        for (int i = 0; i < norder; i++)
            check_value(k, kind, &spec->columns[order[i]], st, cols[order[i]], account,
                        1u << order[i], rr);
    }
    if (rr->rows < MAX_ROWS && row < 0 && first_time(k, kind, "fetch"))
        problem(k, kind, "%s: fetching rows for account %s failed: %s", where, account, e.msg);
    /* A type the readers refuse, unless the value said it better. */
    for (size_t i = 0; i < typed.count; i++) {
        int said = 0;
        for (int r = 0; r < ncols; r++) {
            char prefix[300];
            snprintf(prefix, sizeof prefix, ": column '%s' has SQL type", spec->columns[r].name);
            if ((k->seen[kind] & (1u << r)) && strstr(typed.items[i], prefix))
                said = 1;
        }
        if (!said)
            problem(k, kind, "%s", typed.items[i]);
    }
    gv_errlist_free(&typed);
    gv_db_stmt_free(st);
}

/* ---- preparing ---------------------------------------------------------- */

static void check_prepare(check_t *k)
{
    const gv_mapping_t *map = k->map;
    gv_db_error_t e;
    char where[400];

    for (int i = 0; i < GV_STMT_COUNT; i++) {
        const gv_stmt_t *s = &map->stmts[i];
        int cols[MAX_COLS], n;
        size_t before;
        gv_db_stmt_t *st;

        if (!s->sql)
            continue;
        check_text(k, i, gv_stmt_specs[i].section, s->line, s->source);
        before = k->errs->count;
        where_of(k, i, where, sizeof where);
        /* A list parameter is checked as a list of one. */
        if (gv_stmt_expand(s, 1, &k->sql) < 0 || !(st = gv_db_prepare(k->db, k->sql.data, &e))) {
            problem(k, i, "%s: does not prepare: %s", where, e.msg);
            continue;
        }
        if (gv_db_num_params(st, &n, &e) == 0 && n != (int)s->nparams)
            problem(k, i, "%s: the driver counts %d parameters, the mapping %zu", where, n,
                    s->nparams);
        if (gv_stmt_columns(st, &gv_stmt_specs[i], cols, where, k->errs, &e) < 0)
            k->problems[i]++;
        k->prepared[i] = k->errs->count == before;
        gv_db_stmt_free(st);
    }
    for (size_t i = 0; i < map->nwrites; i++) {
        const gv_write_t *w = &map->writes[i];
        char section[80];
        gv_db_stmt_t *st;
        int n;

        snprintf(section, sizeof section, "write.%s", w->name);
        check_text(k, -1, section, w->line, w->insert);
        check_text(k, -1, section, w->values.line, w->values.source);
        snprintf(where, sizeof where, "%s:%d: [%s]", map->path, w->line, section);
        if (gv_write_expand(w, 1, &k->sql) < 0 || !(st = gv_db_prepare(k->db, k->sql.data, &e))) {
            problem(k, -1, "%s: does not prepare: %s", where, e.msg);
            continue;
        }
        if (gv_db_num_params(st, &n, &e) == 0 && n != (int)w->values.nparams)
            problem(k, -1, "%s: the driver counts %d parameters, the mapping %zu", where, n,
                    w->values.nparams);
        gv_db_stmt_free(st);
    }
}

/* ---- sample accounts ---------------------------------------------------- */

typedef struct sample {
    char typed[256];
    int from_table;         /* from [query.sample_accounts], as stored */
} sample_t;

static size_t table_samples(check_t *k, sample_t *out, size_t max)
{
    const int kind = GV_STMT_SAMPLE_ACCOUNTS;
    char where[400];
    int cols[GV_SCOL_COUNT], row, is_null;
    gv_db_error_t e;
    gv_db_stmt_t *st;
    size_t n = 0;

    where_of(k, kind, where, sizeof where);
    if (!k->prepared[kind])
        return 0;
    if (!(st = run(k, kind, "", &e))) {
        problem(k, kind, "%s: does not run: %s", where, e.msg);
        return 0;
    }
    if (gv_stmt_columns(st, &gv_stmt_specs[kind], cols, where, k->errs, &e) == 0)
        while (n < max && (row = gv_db_fetch(st, &e)) == 1) {
            if (gv_db_get_text(st, cols[GV_SCOL_ACCOUNT], out[n].typed, sizeof out[n].typed,
                               &is_null, &e) < 0 || is_null) {
                problem(k, kind, "%s: column 'account' is NULL or unreadable%s%s", where,
                        is_null ? "" : ": ", is_null ? "" : e.msg);
                break;
            }
            gv_rtrim_blanks(out[n].typed);
            out[n++].from_table = 1;
        }
    gv_db_stmt_free(st);
    if (n == 0 && !k->problems[kind])
        problem(k, kind, "%s: returns no account to try", where);
    return n;
}

/* ---- what billing reads ----------------------------------------------------
 *
 * What billing reads of one account for the period, read by billing's own
 * reader (the adapter's read_for_billing, adapters/sql/billing.c) on a
 * chunk of one account: the view is exactly what a billing run gets. */

typedef struct billing_view {
    int found;
    char region[8];
    int metered, residents;
    gv_reading_t reads[64];
    size_t nreads;          /* up to 64 kept; more_reads counts the rest */
    size_t more_reads;
} billing_view_t;

static int billing_read_one(check_t *k, const char *account, billing_view_t *bv,
                            gv_db_error_t *e)
{
    const gv_adapter_t *sql = gv_adapter_find("sql");
    gv_site_account_t acc;
    gv_site_readings_t rd = { 0 };
    gv_site_period_t p;
    gv_err_t err;
    void *ctx;
    int rc;

    memset(bv, 0, sizeof *bv);
    memset(&acc, 0, sizeof acc);
    snprintf(acc.account, sizeof acc.account, "%s", account);
    p = k->sp;
    if (!(ctx = sql->open_shared(k->conf, k->map, k->db, &err))) {
        e->action = GV_DB_PERMANENT;
        snprintf(e->msg, sizeof e->msg, "%s", err.msg);
        return -1;
    }
    rc = sql->read_for_billing(ctx, &p, &acc, 1, &rd, e);
    sql->close(ctx);
    if (rc == 0 && acc.unusable[0]) {
        /* billing would hold the account as a conflict: a problem here */
        e->action = GV_DB_PERMANENT;
        e->sqlstate[0] = '\0';
        snprintf(e->msg, sizeof e->msg, "%s (billing would hold it as a conflict, SITE_VALUE)",
                 acc.unusable);
        rc = -1;
    }
    if (rc == 0) {
        bv->found = acc.found;
        snprintf(bv->region, sizeof bv->region, "%s", acc.region);
        bv->metered = acc.metered;
        bv->residents = acc.residents;
        for (size_t i = 0; i < rd.n; i++) {
            if (bv->nreads < sizeof bv->reads / sizeof bv->reads[0])
                bv->reads[bv->nreads++] = rd.r[i];
            else
                bv->more_reads++;
        }
    }
    gv_site_readings_free(&rd);
    return rc;
}

/* ---- what gasvoucher would see ------------------------------------------ */

static const char *kind_name(gv_read_kind_t kind)
{
    static const char *const names[] = { "ACTUAL", "INSTALL", "REMOVAL", "ESTIMATED" };
    return (unsigned)kind < sizeof names / sizeof names[0] ? names[kind] : "?";
}

static void show_account(check_t *k, const gv_account_record_t *rec, gv_lookup_t found)
{
    char holder[512], address[1024], when[11];
    gv_check_result_t r;

    if (found == GV_LOOKUP_RETRY) {
        fprintf(k->out, "  found:      cannot tell (see the problems below)\n");
        return;
    }
    r = gv_check_decide(found == GV_LOOKUP_FOUND ? rec : NULL, k->period, k->conf);
    fprintf(k->out, "  found:      %s\n  result:     %s\n",
            found == GV_LOOKUP_FOUND ? "yes" : "no", gv_check_result_name(r));
    if (found != GV_LOOKUP_FOUND)
        return;
    /* Masked exactly as the wallet is answered: never a full name or
     * address on the screen either. */
    if (gv_mask_holder(rec->holder, holder, sizeof holder) < 0)
        snprintf(holder, sizeof holder, "(does not fit)");
    if (gv_mask_address(rec->settlement[0] ? rec->settlement : NULL, rec->address,
                        (const char *const *)k->map->settlement_markers, address,
                        sizeof address) < 0)
        snprintf(address, sizeof address, "(does not fit)");
    fprintf(k->out, "  site has:   %s\n  holder:     %s\n  address:    %s\n"
            "  household:  %s\n", rec->account, holder, address, rec->household ? "yes" : "no");
    if (rec->closed) {
        gv_date_format(rec->closed_on, when);
        fprintf(k->out, "  closed:     %s\n", when);
    } else {
        fprintf(k->out, "  closed:     no\n");
    }
    fprintf(k->out, "  region:     %s\n  metered:    %s\n  residents:  %d\n", rec->region,
            rec->metered ? "yes" : "no", rec->residents);
}

static void show_billing(check_t *k, billing_view_t *bv)
{
    char value[32], day[11];
    int64_t vol, norm;

    fprintf(k->out, "  billing:    region %s, %s, %d resident%s\n", bv->region,
            bv->metered ? "metered" : "by norm", bv->residents, bv->residents == 1 ? "" : "s");
    for (size_t i = 0; i < bv->nreads; i++) {
        const gv_reading_t *rd = &bv->reads[i];
        gv_date_format(rd->day, day);
        gv_decimal_format(rd->value_milli, 3, value, sizeof value);
        fprintf(k->out, "  %-11s %s meter %s (%d digits) %s m3 %s\n", i ? "" : "readings:",
                day, rd->meter, rd->digits, value, kind_name(rd->kind));
    }
    if (!bv->nreads)
        fprintf(k->out, "  readings:   none\n");
    if (bv->more_reads)
        fprintf(k->out, "              ... and %zu more\n", bv->more_reads);
    if (bv->metered) {
        int64_t limit = k->params ? gv_params_plausibility_milli(k->params) : INT64_MAX;
        gv_cons_status_t cs = gv_consumption_metered(bv->reads, bv->nreads, k->period, limit,
                                                     &vol);
        if (cs == GV_CONS_OK) {
            gv_decimal_format(vol, 3, value, sizeof value);
            fprintf(k->out, "  volume:     %s m3%s\n", value,
                    k->params ? "" : " (no plausibility limit: no billing program)");
        } else {
            fprintf(k->out, "  volume:     none: Pending %s\n",
                    cs == GV_CONS_NO_READING ? "NO_METER_READING" : "INVALID_METER_READING");
        }
    } else if (!k->params) {
        fprintf(k->out, "  volume:     by norm (no billing program to give the norm)\n");
    } else if (gv_params_norm(k->params, bv->region, k->period.month, &norm) < 0) {
        fprintf(k->out, "  volume:     none: no norm for %s (Pending NO_TARIFF)\n", bv->region);
    } else {
        gv_decimal_format(gv_consumption_unmetered(norm, bv->residents), 3, value,
                          sizeof value);
        fprintf(k->out, "  volume:     %s m3 by norm\n", value);
    }
}

/* ---- one sample --------------------------------------------------------- */

static void check_sample(check_t *k, void *actx, const sample_t *s)
{
    static const int billing[] = { GV_STMT_BILLING_ACCOUNTS, GV_STMT_READINGS,
                                   GV_STMT_BILL_REF };
    const gv_adapter_t *sql = gv_adapter_find("sql");
    char canonical[GV_ACCOUNT_MAX + 1], where[400];
    gv_account_record_t rec;
    gv_lookup_t found;
    gv_db_error_t e;
    run_result_t rr;
    billing_view_t *bv;
    size_t before;

    if (k->out)
        fprintf(k->out, "\nsample %s%s\n", s->typed,
                s->from_table ? " (from [query.sample_accounts])" : "");
    if (gv_account_normalise(&k->map->account, s->typed, canonical, sizeof canonical) < 0) {
        if (k->out)
            fprintf(k->out, "  canonical:  none: [account] refuses it (NOT_FOUND)\n");
        if (s->from_table && first_time(k, -1, "refuses"))
            problem(k, -1, "%s: [account] refuses the account '%s' that "
                    "[query.sample_accounts] returned, as stored", k->map->path, s->typed);
        return;
    }
    if (k->out)
        fprintf(k->out, "  canonical:  %s\n", canonical);
    if (s->from_table && strcmp(canonical, s->typed) != 0 && first_time(k, -1, "form"))
        problem(k, -1, "%s: [account] turns the stored account '%s' into '%s': typed as "
                "stored, an account must come out as stored", k->map->path, s->typed,
                canonical);

    where_of(k, GV_STMT_ACCOUNT, where, sizeof where);
    check_run(k, GV_STMT_ACCOUNT, canonical, &rr);
    if (rr.rows > 1 && first_time(k, GV_STMT_ACCOUNT, "rows"))
        problem(k, GV_STMT_ACCOUNT, "%s: returns %ld rows for account %s: gasvoucher reads "
                "only the first", where, rr.rows, canonical);
    /* The site may store another form of the same account; [account]
     * makes the canonical form of it again.  Anything else is another
     * account. */
    if (rr.first[0] && strcmp(rr.first, canonical) != 0) {
        char again[GV_ACCOUNT_MAX + 1];
        if ((gv_account_normalise(&k->map->account, rr.first, again, sizeof again) < 0 ||
             strcmp(again, canonical) != 0) && first_time(k, GV_STMT_ACCOUNT, "other"))
            problem(k, GV_STMT_ACCOUNT, "%s: returns account '%s' when asked for '%s': the "
                    "wallet would be answered about another account", where, rr.first,
                    canonical);
    }
    if (rr.ran && rr.rows == 0 && s->from_table && first_time(k, GV_STMT_ACCOUNT, "none"))
        problem(k, GV_STMT_ACCOUNT, "%s: does not find account %s, which "
                "[query.sample_accounts] returned", where, canonical);

    /* The account check itself, through the adapter, as the wallet is
     * answered. */
    if (!k->prepared[GV_STMT_ACCOUNT]) {
        if (k->out)
            fprintf(k->out, "  found:      cannot tell: [query.account] does not prepare\n");
        return;
    }
    found = sql->find_account(actx, canonical, k->period, 0, &rec, &e);
    if (found == GV_LOOKUP_RETRY && !k->problems[GV_STMT_ACCOUNT])
        problem(k, GV_STMT_ACCOUNT, "%s: the account check fails for account %s: %s", where,
                canonical, e.msg);
    if (k->out)
        show_account(k, &rec, found);
    /* Voucher lists ask [query.accounts] for many accounts at once and
     * take its rows as [query.account]'s. */
    if (k->map->stmts[GV_STMT_ACCOUNTS].sql && k->prepared[GV_STMT_ACCOUNTS]) {
        char again[GV_ACCOUNT_MAX + 1];
        where_of(k, GV_STMT_ACCOUNTS, where, sizeof where);
        check_run(k, GV_STMT_ACCOUNTS, canonical, &rr);
        if (found == GV_LOOKUP_FOUND && rr.ran && !rr.rows && first_time(k, GV_STMT_ACCOUNTS, "none"))
            problem(k, GV_STMT_ACCOUNTS, "%s: does not find account %s, which [query.account] "
                    "finds: each such account of a voucher list is looked up again alone",
                    where, canonical);
        else if (found == GV_LOOKUP_FOUND && rr.rows && strcmp(rr.first, rec.account) != 0 &&
                 (gv_account_normalise(&k->map->account, rr.first, again, sizeof again) < 0 ||
                  strcmp(again, canonical) != 0) &&
                 first_time(k, GV_STMT_ACCOUNTS, "other"))
            problem(k, GV_STMT_ACCOUNTS, "%s: returns account '%s' when asked for '%s', "
                    "[query.account] '%s'", where, rr.first, canonical, rec.account);
    }
    /* Billing asks for the account as the site returned it; when the
     * account check could not read the row, as it was asked for, so that
     * billing's problems are seen in the same run. */
    if (found == GV_LOOKUP_RETRY && rr.rows)
        snprintf(rec.account, sizeof rec.account, "%s", canonical);
    else if (found != GV_LOOKUP_FOUND)
        return;
    if (!k->map->stmts[GV_STMT_BILLING_ACCOUNTS].sql)
        return;
    for (size_t i = 0; i < sizeof billing / sizeof billing[0]; i++) {
        int kind = billing[i];
        check_run(k, kind, rec.account, &rr);
        where_of(k, kind, where, sizeof where);
        if (rr.rows && !rr.matching && first_time(k, kind, "other"))
            problem(k, kind, "%s: returns account '%s' when asked for '%s': billing matches "
                    "rows by the account it asked for, so it would not see them", where,
                    rr.other, rec.account);
        else if (kind == GV_STMT_BILLING_ACCOUNTS && rr.ran && !rr.rows &&
                 first_time(k, kind, "none"))
            problem(k, kind, "%s: does not find account %s, which [query.account] found: "
                    "billing would call it ACCOUNT_GONE", where, rec.account);
    }
    if (!k->prepared[GV_STMT_BILLING_ACCOUNTS] || !k->prepared[GV_STMT_READINGS]) {
        if (k->out)
            fprintf(k->out, "  billing:    cannot tell: %s\n",
                    k->map->stmts[GV_STMT_READINGS].sql ? "a billing read does not prepare"
                                                        : "no [query.readings]");
        return;
    }
    if (!(bv = calloc(1, sizeof *bv)))
        abort();
    before = k->problems[GV_STMT_BILLING_ACCOUNTS] + k->problems[GV_STMT_READINGS];
    if (billing_read_one(k, rec.account, bv, &e) < 0) {
        if (!before && first_time(k, GV_STMT_READINGS, "stand-in"))
            problem(k, GV_STMT_READINGS, "%s: billing cannot read account %s: %s", k->map->path,
                    rec.account, e.msg);
        if (k->out)
            fprintf(k->out, "  billing:    cannot read (see the problems below)\n");
    } else if (bv->found) {
        where_of(k, GV_STMT_BILLING_ACCOUNTS, where, sizeof where);
        if (found == GV_LOOKUP_FOUND &&
            (strcmp(bv->region, rec.region) || bv->metered != (rec.metered != 0) ||
             bv->residents != rec.residents) && first_time(k, GV_STMT_BILLING_ACCOUNTS, "differ"))
            problem(k, GV_STMT_BILLING_ACCOUNTS, "%s: says region %s, %s, %d residents for "
                    "account %s, [query.account] region %s, %s, %d residents", where,
                    bv->region, bv->metered ? "metered" : "not metered", bv->residents,
                    rec.account, rec.region, rec.metered ? "metered" : "not metered",
                    rec.residents);
        if (k->out)
            show_billing(k, bv);
    } else if (k->out) {
        fprintf(k->out, "  billing:    not found (ACCOUNT_GONE)\n");
    }
    free(bv);
}

/* ---- the check ---------------------------------------------------------- */

int gv_sql_check_mapping(const gv_conf_t *conf, const gv_mapping_t *map,
                         const gv_mapping_check_opts_t *opts, gv_errlist_t *errs)
{
    const gv_adapter_t *sql = gv_adapter_find("sql");
    gv_db_opts_t dbo = gv_conf_db_opts(conf);
    size_t before = errs->count, nsamples = 0;
    sample_t *samples = NULL;
    void *actx = NULL;
    gv_db_error_t e;
    gv_err_t err;
    char note[1200] = "";
    check_t k;

    memset(&k, 0, sizeof k);
    k.conf = conf;
    k.map = map;
    k.errs = errs;
    k.out = opts->out;
    k.period = opts->period;
    gv_site_period_init(&k.sp, opts->period, 0);
    gv_buf_init(&k.sql, 1 << 20);
    /* The program only gives the view its volumes (norms, the plausibility
     * limit); `bill` and `config check` judge the program itself. */
    if (conf->billing_program) {
        gv_errlist_t perrs = { 0 };
        if (!(k.params = gv_params_load(conf->billing_program, &perrs)))
            snprintf(note, sizeof note, "volumes without the billing program: %s\n",
                     perrs.count ? perrs.items[0] : conf->billing_program);
        gv_errlist_free(&perrs);
    }
    if (!(k.db = gv_db_new(conf->db_connection, &dbo))) {
        gv_errlist_add(errs, "out of memory");
        goto done;
    }
    if (gv_db_ensure(k.db, 0, &e) < 0) {
        gv_errlist_add(errs, "cannot connect to the database: %s", e.msg);
        goto done;
    }
    ask_engine(&k);
    if (k.out)
        fprintf(k.out, "%s: mapping %s on %s (text through the driver as %s), period %s\n%s",
                map->path, map->name, k.eng.name,
                gv_db_text_mode_name(gv_db_text_mode(k.db)), k.sp.text, note);
    check_prepare(&k);

    if (!(samples = calloc(opts->nsamples > MAX_SAMPLES ? opts->nsamples : MAX_SAMPLES,
                           sizeof *samples)))
        abort();
    for (size_t i = 0; i < opts->nsamples; i++)
        snprintf(samples[nsamples++].typed, sizeof samples[0].typed, "%s", opts->samples[i]);
    if (!opts->nsamples && map->stmts[GV_STMT_SAMPLE_ACCOUNTS].sql)
        nsamples = table_samples(&k, samples, MAX_SAMPLES);
    else if (!opts->nsamples)
        gv_errlist_add(errs, "%s: no sample accounts, so no statement was run: give "
                       "--sample NUMBER..., or add [query.sample_accounts] to the mapping "
                       "(gasvoucher.conf(5))", map->path);
    if (nsamples && !(actx = sql->open_shared(conf, map, k.db, &err)))
        gv_errlist_add(errs, "%s", err.msg);
    for (size_t i = 0; actx && i < nsamples; i++)
        check_sample(&k, actx, &samples[i]);
done:
    if (actx)
        sql->close(actx);
    free(samples);
    gv_db_free(k.db);
    gv_params_free(k.params);
    gv_buf_free(&k.sql);
    gv_errlist_free(&k.said);
    return errs->count == before ? 0 : -1;
}
