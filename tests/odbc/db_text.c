/* db_text - non-ASCII text through src/odbc/db.c on a real driver.
 *
 *   db_text samples
 *       prints the sample texts, "ID<TAB>TEXT" a line, for the caller to
 *       load into a table gv_text (id, val) with the engine's own client
 *   db_text check NAME CONNECTION MODE
 *       connects (MODE: the text mode expected, utf-8 or utf-16) and checks
 *       through libgv's db.h alone: every sample as a literal in prepared
 *       SQL and as a bound parameter finds its row, its fetched text is
 *       byte-identical, as a literal in a SELECT list it comes back, a
 *       Cyrillic column alias is described as written, values at the
 *       parameter and buffer limits pass and one past them is refused by
 *       name; then writes every sample into gv_text_out by parameter and
 *       into gv_text_lit by literal, for the caller to read back with the
 *       engine's own client.
 *
 * Used by tests/integration/db-text.sh on SQLite, PostgreSQL and MariaDB.
 * Output: one "ok N - NAME: what" or "not ok N - ..." line a check; exit 0
 * when all passed, 1 when any failed, 2 on bad usage or no connection.
 */
#include "config.h"
#include "db.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PARAM_CHARS GV_DB_TEXT_PARAM_UNITS
_Static_assert(PARAM_CHARS == 512, "the checks' names and expected messages say 512");

typedef struct sample {
    int64_t id;
    const char *what;
    char *text;
} sample_t;

static sample_t samples[16];
static size_t nsamples;

static void add(int64_t id, const char *what, const char *text)
{
    samples[nsamples].id = id;
    samples[nsamples].what = what;
    samples[nsamples].text = strdup(text);
    if (!samples[nsamples].text) {
        fputs("db_text: out of memory\n", stderr);
        exit(2);
    }
    nsamples++;
}

/* UNIT repeated count times. */
static char *repeat(const char *unit, size_t count)
{
    size_t len = strlen(unit);
    char *s = malloc(len * count + 1);

    if (!s) {
        fputs("db_text: out of memory\n", stderr);
        exit(2);
    }
    for (size_t i = 0; i < count; i++)
        memcpy(s + i * len, unit, len);
    s[len * count] = '\0';
    return s;
}

static void add_repeated(int64_t id, const char *what, const char *unit, size_t count)
{
    char *s = repeat(unit, count);

    add(id, what, s);
    free(s);
}

static void make_samples(void)
{
    add(1, "a Cyrillic code", "НАСЕЛЕНИЕ");
    add(2, "another Cyrillic code", "ЮРИДИЧЕСКОЕ ЛИЦО");
    add(3, "a one-letter code", "Д");
    add(4, "an address with ', д. '", "ул. Абая, д. 5, кв. 12");
    add(5, "Kazakh letters", "әғқңөұүһі ӘҒҚҢӨҰҮҺІ");
    add(6, "4-byte characters", "газ 𐍈 😀");
    add(7, "a full name with a sign", "Жумабаев Ерлан Касымович №7");
    /* At the parameter limit: 512 UTF-16 units each. */
    add_repeated(100, "512 three-byte characters", "№", PARAM_CHARS);
    add_repeated(101, "256 four-byte characters", "😀", PARAM_CHARS / 2);
    add_repeated(102, "512 Kazakh letters", "ә", PARAM_CHARS);
    add_repeated(103, "512 ASCII letters", "a", PARAM_CHARS);
}

/* ---- checks ------------------------------------------------------------- */

static const char *name;
static int count, failed;

static void report(int pass, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void report(int pass, const char *fmt, ...)
{
    va_list ap;

    count++;
    if (!pass)
        failed++;
    printf("%s %d - %s: ", pass ? "ok" : "not ok", count, name);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
    fflush(stdout);
}

static void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void note(const char *fmt, ...)
{
    va_list ap;

    fputs("#   ", stdout);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
}

/* Prints where two texts part, as bytes. */
static void show_difference(const char *got, const char *want)
{
    size_t i = 0;

    while (got[i] && got[i] == want[i])
        i++;
    note("differ at byte %zu of %zu (got %zu bytes): got 0x%02x, want 0x%02x", i + 1,
         strlen(want), strlen(got), (unsigned char)got[i], (unsigned char)want[i]);
}

/* ---- statements ----------------------------------------------------------- */

/* Runs sql and collects the first column of every row as integers. */
static int query_ids(gv_db_t *db, const char *sql, const char *text, int64_t *ids, size_t max,
                     size_t *n, gv_db_error_t *e)
{
    gv_db_stmt_t *st = gv_db_prepare(db, sql, e);
    int rc = -1, more;

    *n = 0;
    if (!st)
        return -1;
    if (text && gv_db_bind_text(st, 1, text, e) < 0)
        goto done;
    if (gv_db_execute(st, e) < 0)
        goto done;
    while ((more = gv_db_fetch(st, e)) == 1) {
        int64_t v;
        int is_null;
        if (gv_db_get_int64(st, 1, &v, &is_null, e) < 0)
            goto done;
        if (*n < max)
            ids[*n] = v;
        (*n)++;
    }
    rc = more < 0 ? -1 : 0;
done:
    gv_db_stmt_free(st);
    return rc;
}

/* Runs sql (with id bound when id >= 0) and fetches the first row's first
 * column into buf. */
static int query_text(gv_db_t *db, const char *sql, int64_t id, char *buf, size_t bufsz,
                      gv_db_error_t *e)
{
    gv_db_stmt_t *st = gv_db_prepare(db, sql, e);
    int rc = -1, is_null = 0;

    if (!st)
        return -1;
    if (id >= 0 && gv_db_bind_int64(st, 1, id, e) < 0)
        goto done;
    if (gv_db_execute(st, e) < 0)
        goto done;
    switch (gv_db_fetch(st, e)) {
    case 1:
        rc = gv_db_get_text(st, 1, buf, bufsz, &is_null, e);
        if (rc == 0 && is_null) {
            snprintf(e->msg, sizeof e->msg, "NULL");
            rc = -1;
        }
        break;
    case 0:
        snprintf(e->msg, sizeof e->msg, "no row");
        break;
    default:
        break;
    }
done:
    gv_db_stmt_free(st);
    return rc;
}

static char *sql_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *sql_printf(const char *fmt, ...)
{
    va_list ap;
    int n;
    char *s;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || !(s = malloc((size_t)n + 1))) {
        fputs("db_text: out of memory\n", stderr);
        exit(2);
    }
    va_start(ap, fmt);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return s;
}

/* The row sql finds is exactly the sample's. */
static void expect_one_id(gv_db_t *db, const sample_t *s, const char *sql, const char *param,
                          const char *how)
{
    int64_t ids[4];
    size_t n;
    gv_db_error_t e = { 0 };

    if (query_ids(db, sql, param, ids, 4, &n, &e) < 0) {
        report(0, "%s %s: %s", s->what, how, e.msg);
        return;
    }
    report(n == 1 && ids[0] == s->id, "%s %s finds row %" PRId64, s->what, how, s->id);
    if (n != 1 || ids[0] != s->id)
        note("found %zu rows%s", n, n ? ", the first with another id" : "");
}

static void expect_text(const sample_t *s, const char *how, int rc, const char *got,
                        const gv_db_error_t *e)
{
    if (rc < 0) {
        report(0, "%s %s: %s", s->what, how, e->msg);
        return;
    }
    report(strcmp(got, s->text) == 0, "%s %s is byte-identical", s->what, how);
    if (strcmp(got, s->text) != 0)
        show_difference(got, s->text);
}

static void check_sample(gv_db_t *db, const sample_t *s)
{
    size_t len = strlen(s->text);
    char *buf = malloc(len + 1);
    char *sql;
    gv_db_error_t e = { 0 };
    int rc;

    if (!buf)
        exit(2);
    sql = sql_printf("SELECT id FROM gv_text WHERE val = '%s'", s->text);
    expect_one_id(db, s, sql, NULL, "as a literal in WHERE");
    free(sql);
    expect_one_id(db, s, "SELECT id FROM gv_text WHERE val = ?", s->text, "as a parameter");

    /* Fetched into a buffer of exactly its size, NUL included. */
    rc = query_text(db, "SELECT val FROM gv_text WHERE id = ?", s->id, buf, len + 1, &e);
    expect_text(s, "fetched", rc, buf, &e);

    sql = sql_printf("SELECT '%s'", s->text);
    rc = query_text(db, sql, -1, buf, len + 1, &e);
    free(sql);
    expect_text(s, "as a literal in the SELECT list", rc, buf, &e);

    /* One byte short: refused, and said so. */
    rc = query_text(db, "SELECT val FROM gv_text WHERE id = ?", s->id, buf, len, &e);
    report(rc < 0 && strstr(e.msg, "does not fit"), "%s into %zu bytes is refused", s->what, len);
    if (rc == 0 || !strstr(e.msg, "does not fit"))
        note("gave %s", rc == 0 ? "success" : e.msg);
    free(buf);
}

/* A parameter one unit past the limit is refused, by name, before the
 * driver sees it; so is text that is not UTF-8. */
static void check_refused(gv_db_t *db, const char *what, const char *text, const char *words)
{
    gv_db_stmt_t *st;
    gv_db_error_t e = { 0 };
    int rc;

    if (!(st = gv_db_prepare(db, "SELECT id FROM gv_text WHERE val = ?", &e))) {
        report(0, "%s: prepare: %s", what, e.msg);
        return;
    }
    rc = gv_db_bind_text(st, 1, text, &e);
    report(rc < 0 && strstr(e.msg, words), "%s is refused (\"%s\")", what, words);
    if (rc == 0 || !strstr(e.msg, words))
        note("gave %s", rc == 0 ? "success" : e.msg);
    gv_db_stmt_free(st);
}

/* Text longer than any parameter, as SQL only: a 2000-letter literal
 * fetched into a buffer over 1024 UTF-16 units. */
static void check_long_literal(gv_db_t *db)
{
    char *text = repeat("Ж", 2000), *sql = sql_printf("SELECT '%s'", text);
    size_t len = strlen(text);
    char *buf = malloc(len + 1);
    gv_db_error_t e = { 0 };
    int rc;

    if (!buf)
        exit(2);
    rc = query_text(db, sql, -1, buf, len + 1, &e);
    if (rc < 0)
        report(0, "a 2000-letter literal: %s", e.msg);
    else
        report(strcmp(buf, text) == 0, "a 2000-letter literal comes back whole (%zu bytes)",
               len);
    rc = query_text(db, sql, -1, buf, len, &e);
    report(rc < 0 && strstr(e.msg, "does not fit"),
           "a 2000-letter literal into %zu bytes is refused", len);
    free(buf);
    free(sql);
    free(text);
}

static void check_alias(gv_db_t *db)
{
    gv_db_error_t e = { 0 };
    gv_db_stmt_t *st = gv_db_prepare(db, "SELECT val AS категория_ә FROM gv_text WHERE id = 1", &e);
    char col[64];
    int type;

    if (!st) {
        report(0, "a Cyrillic column alias: %s", e.msg);
        return;
    }
    if (gv_db_describe_col(st, 1, col, sizeof col, &type, &e) < 0)
        report(0, "a Cyrillic column alias: %s", e.msg);
    else
        report(strcmp(col, "категория_ә") == 0 && gv_db_type_is_text(type),
               "a Cyrillic column alias is described as written, a text column");
    gv_db_stmt_free(st);
}

/* Every sample into gv_text_out through a parameter and into gv_text_lit
 * as a literal; the caller reads both back with the engine's client. */
static void write_samples(gv_db_t *db)
{
    gv_db_error_t e = { 0 };
    gv_db_stmt_t *st = gv_db_prepare(db, "INSERT INTO gv_text_out (id, val) VALUES (?, ?)", &e);
    int ok = st != NULL;

    for (size_t i = 0; ok && i < nsamples; i++)
        ok = gv_db_bind_int64(st, 1, samples[i].id, &e) == 0 &&
             gv_db_bind_text(st, 2, samples[i].text, &e) == 0 && gv_db_execute(st, &e) == 0;
    gv_db_stmt_free(st);
    report(ok, "every sample written as a parameter%s%s", ok ? "" : ": ", ok ? "" : e.msg);

    ok = 1;
    for (size_t i = 0; ok && i < nsamples; i++) {
        char *sql = sql_printf("INSERT INTO gv_text_lit (id, val) VALUES (%" PRId64 ", '%s')",
                               samples[i].id, samples[i].text);
        ok = gv_db_exec(db, sql, &e) == 0;
        free(sql);
    }
    report(ok, "every sample written as a literal%s%s", ok ? "" : ": ", ok ? "" : e.msg);
}

static int check(const char *conn, const char *mode)
{
    gv_db_opts_t opts = { .login_timeout_s = 10, .query_timeout_s = 60,
                          .reconnect_min_ms = 100, .reconnect_max_ms = 1000 };
    gv_db_t *db = gv_db_new(conn, &opts);
    gv_db_text_t want = !strcmp(mode, "utf-8") ? GV_DB_TEXT_UTF8 : GV_DB_TEXT_UTF16;
    gv_db_error_t e = { 0 };
    char *too_long;

    if (!db || gv_db_ensure(db, 0, &e) < 0) {
        fprintf(stderr, "db_text: %s: cannot connect: %s\n", name, db ? e.msg : "out of memory");
        gv_db_free(db);
        return 2;
    }
    report(gv_db_text_mode(db) == want, "text goes as %s", gv_db_text_mode_name(gv_db_text_mode(db)));

    for (size_t i = 0; i < nsamples; i++)
        check_sample(db, &samples[i]);

    too_long = repeat("№", PARAM_CHARS + 1);
    check_refused(db, "513 three-byte characters", too_long, "longer than 512 characters");
    free(too_long);
    too_long = repeat("😀", PARAM_CHARS / 2 + 1);
    check_refused(db, "257 four-byte characters", too_long, "longer than 512 characters");
    free(too_long);
    too_long = repeat("a", PARAM_CHARS + 1);
    check_refused(db, "513 ASCII letters", too_long, "longer than 512 characters");
    free(too_long);
    check_refused(db, "a cut 2-byte sequence", "НАСЕЛЕНИ\xD0", "not valid UTF-8 (byte 17)");
    check_refused(db, "an encoded surrogate", "\xED\xA0\x80", "not valid UTF-8 (byte 1)");

    check_long_literal(db);
    check_alias(db);
    write_samples(db);

    gv_db_free(db);
    printf("# %s: %d checks, %d failed\n", name, count, failed);
    return failed ? 1 : 0;
}

int main(int argc, char **argv)
{
    int rc;

    make_samples();
    if (argc == 2 && !strcmp(argv[1], "samples")) {
        for (size_t i = 0; i < nsamples; i++)
            printf("%" PRId64 "\t%s\n", samples[i].id, samples[i].text);
        rc = 0;
    } else if (argc == 5 && !strcmp(argv[1], "check") &&
               (!strcmp(argv[4], "utf-8") || !strcmp(argv[4], "utf-16"))) {
        name = argv[2];
        rc = check(argv[3], argv[4]);
    } else {
        fputs("usage: db_text samples | db_text check NAME CONNECTION utf-8|utf-16\n", stderr);
        rc = 2;
    }
    for (size_t i = 0; i < nsamples; i++)
        free(samples[i].text);
    return rc;
}
