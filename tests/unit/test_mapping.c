/* test_mapping.c - site mapping files and the SQL they hold: named
 * parameters become ODBC '?' placeholders, nothing else is touched, and a
 * bad mapping reports every problem with file and line. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mapping.h"
#include "testutil.h"

/* ---- gv_sql_compile --------------------------------------------------------- */

static const char *const acct_params[] = { "account", "period_start", "period_end", NULL };

typedef struct {
    const char *name;
    const char *source;
    const char *sql;            /* NULL: refused */
    size_t nparams;
    const char *params[6];
    const char *err;            /* substring of the message when refused */
} sql_case_t;

static const sql_case_t sql_cases[] = {
    { "one parameter", "SELECT a FROM t WHERE a = :account", "SELECT a FROM t WHERE a = ?", 1,
      { "account" }, NULL },
    { "three in order",
      "SELECT a FROM t WHERE a = :account AND d BETWEEN :period_start AND :period_end",
      "SELECT a FROM t WHERE a = ? AND d BETWEEN ? AND ?", 3,
      { "account", "period_start", "period_end" }, NULL },
    { "reversed and repeated", ":period_end :account :period_start :account", "? ? ? ?", 4,
      { "period_end", "account", "period_start", "account" }, NULL },
    { "no space around", "WHERE a=:account)", "WHERE a=?)", 1, { "account" }, NULL },
    { "at the very start", ":account", "?", 1, { "account" }, NULL },
    { "no parameters", "SELECT 1", "SELECT 1", 0, { NULL }, NULL },
    { "colon in single quotes", "SELECT 'a:b' FROM t WHERE a = :account",
      "SELECT 'a:b' FROM t WHERE a = ?", 1, { "account" }, NULL },
    { "parameter name in quotes", "SELECT ':account', a FROM t WHERE a = :account",
      "SELECT ':account', a FROM t WHERE a = ?", 1, { "account" }, NULL },
    { "time literal", "SELECT '10:30:00' WHERE a = :account", "SELECT '10:30:00' WHERE a = ?",
      1, { "account" }, NULL },
    { "colon in double quotes", "SELECT \"x:y\" FROM t WHERE a = :account",
      "SELECT \"x:y\" FROM t WHERE a = ?", 1, { "account" }, NULL },
    { "colon in backticks", "SELECT `x:y` FROM t WHERE a = :account",
      "SELECT `x:y` FROM t WHERE a = ?", 1, { "account" }, NULL },
    { "doubled quote inside quotes", "SELECT 'it''s :x' WHERE a = :account",
      "SELECT 'it''s :x' WHERE a = ?", 1, { "account" }, NULL },
    { "question mark in quotes", "SELECT '?' WHERE a = :account", "SELECT '?' WHERE a = ?", 1,
      { "account" }, NULL },
    { "PostgreSQL cast", "SELECT '2025-01-01'::date, a::text FROM t WHERE a = :account",
      "SELECT '2025-01-01'::date, a::text FROM t WHERE a = ?", 1, { "account" }, NULL },
    { "parameter then cast", "WHERE d >= :period_start::date",
      "WHERE d >= ?::date", 1, { "period_start" }, NULL },
    { "line comment skipped", "SELECT a -- :bogus isn't a parameter\nFROM t WHERE a = :account",
      "SELECT a \nFROM t WHERE a = ?", 1, { "account" }, NULL },
    { "comment at the end", "SELECT a FROM t WHERE a = :account -- by :account",
      "SELECT a FROM t WHERE a = ? ", 1, { "account" }, NULL },
    { "lone colon", "SELECT a : b WHERE a = :account", "SELECT a : b WHERE a = ?", 1,
      { "account" }, NULL },
    { "single dash", "SELECT a - 1 WHERE a = :account", "SELECT a - 1 WHERE a = ?", 1,
      { "account" }, NULL },
    { "multi-line", "SELECT a\nFROM t\nWHERE a = :account\n  AND b < :period_end",
      "SELECT a\nFROM t\nWHERE a = ?\n  AND b < ?", 2, { "account", "period_end" }, NULL },
    /* refused */
    { "unknown parameter", "SELECT a FROM t WHERE a = :customer", NULL, 0, { NULL },
      "unknown parameter :customer" },
    { "parameter prefix", "SELECT a FROM t WHERE a = :acc", NULL, 0, { NULL },
      "unknown parameter :acc" },
    { "parameter with suffix", "SELECT a FROM t WHERE a = :accounts", NULL, 0, { NULL },
      "unknown parameter :accounts" },
    { "parameter with digit", "SELECT a FROM t WHERE a = :account1", NULL, 0, { NULL },
      "unknown parameter :account1" },
    { "question mark", "SELECT a FROM t WHERE a = ?", NULL, 0, { NULL }, "'?'" },
    { "unterminated single quote", "SELECT 'abc FROM t WHERE a = :account", NULL, 0, { NULL },
      "unterminated quote '" },
    { "unterminated double quote", "SELECT \"abc FROM t", NULL, 0, { NULL },
      "unterminated quote \"" },
    { "empty", "", NULL, 0, { NULL }, "empty statement" },
    { "only a comment", "-- nothing here", NULL, 0, { NULL }, "empty statement" },
};

static void test_sql_compile_table(void **state)
{
    int failures = 0;
    (void)state;

    for (size_t i = 0; i < TU_COUNT(sql_cases); i++) {
        const sql_case_t *c = &sql_cases[i];
        gv_stmt_t st;
        gv_err_t err;
        int rc, bad = 0;

        memset(&st, 0, sizeof st);
        err.msg[0] = '\0';
        rc = gv_sql_compile(c->source, acct_params, &st, &err);
        if (c->sql) {
            if (rc != 0 || !st.sql || strcmp(st.sql, c->sql) != 0 || st.nparams != c->nparams) {
                bad = 1;
            } else {
                for (size_t k = 0; k < c->nparams; k++)
                    if (strcmp(st.params[k], c->params[k]) != 0)
                        bad = 1;
            }
            if (bad)
                print_message("FAIL %s: rc %d sql '%s' nparams %zu (%s)\n", c->name, rc,
                              rc == 0 && st.sql ? st.sql : "", st.nparams, err.msg);
        } else if (rc != -1 || !strstr(err.msg, c->err)) {
            print_message("FAIL %s: rc %d, message '%s', expected -1 with '%s'\n", c->name, rc,
                          err.msg, c->err);
            bad = 1;
        }
        if (rc == 0)
            free(st.sql);
        failures += bad;
    }
    assert_int_equal(failures, 0);
}

/* The names recorded are the allowed list's own strings (they outlive the
 * source text). */
static void test_sql_compile_param_pointers(void **state)
{
    gv_stmt_t st;
    gv_err_t err;
    char src[] = "WHERE a = :account AND b = :period_end";
    (void)state;

    memset(&st, 0, sizeof st);
    assert_int_equal(gv_sql_compile(src, acct_params, &st, &err), 0);
    assert_int_equal(st.nparams, 2);
    assert_ptr_equal(st.params[0], acct_params[0]);
    assert_ptr_equal(st.params[1], acct_params[2]);
    free(st.sql);
}

static void test_sql_compile_too_many(void **state)
{
    char src[2048] = "SELECT 1 WHERE a IN (";
    gv_stmt_t st;
    gv_err_t err;
    (void)state;

    for (int i = 0; i < GV_STMT_MAX_PARAMS; i++)
        strcat(src, i ? ", :account" : ":account");
    strcat(src, ")");
    memset(&st, 0, sizeof st);
    assert_int_equal(gv_sql_compile(src, acct_params, &st, &err), 0);
    assert_int_equal(st.nparams, GV_STMT_MAX_PARAMS);
    free(st.sql);

    strcat(src, " OR b = :account");
    memset(&st, 0, sizeof st);
    assert_int_equal(gv_sql_compile(src, acct_params, &st, &err), -1);
    assert_non_null(strstr(err.msg, "more than 16 parameters"));
}

/* Block comments are comments too (mapping.h: "outside quotes and
 * comments"): a name or an apostrophe inside one is not SQL. */
static void test_sql_compile_block_comment(void **state)
{
    static const struct {
        const char *source;
        size_t nparams;
    } t[] = {
        { "SELECT a /* :bogus */ FROM t WHERE a = :account", 1 },
        { "SELECT a /* look up by :account */ FROM t WHERE a = :account", 1 },
        { "SELECT a /* don't */ FROM t WHERE a = :account", 1 },
        { "SELECT a /* ? */ FROM t WHERE a = :account", 1 },
    };
    int failures = 0;
    (void)state;

    for (size_t i = 0; i < TU_COUNT(t); i++) {
        gv_stmt_t st;
        gv_err_t err;
        int rc;

        memset(&st, 0, sizeof st);
        err.msg[0] = '\0';
        rc = gv_sql_compile(t[i].source, acct_params, &st, &err);
        if (rc != 0 || st.nparams != t[i].nparams) {
            print_message("FAIL '%s': rc %d nparams %zu (%s)\n", t[i].source, rc,
                          rc == 0 ? st.nparams : 0, rc ? err.msg : "");
            failures++;
        }
        if (rc == 0)
            free(st.sql);
    }
    assert_int_equal(failures, 0);
}

/* ---- the shipped mappings ----------------------------------------------------- */

static void test_site_a(void **state)
{
    char *path = tu_srcdir_path("mappings/site-a.ini");
    gv_errlist_t errs = { 0 };
    gv_mapping_t *m;
    const gv_stmt_t *st;
    (void)state;

    m = gv_mapping_load(path, &errs);
    tu_print_errs("site-a", &errs);
    assert_int_equal(errs.count, 0);
    assert_non_null(m);
    assert_string_equal(m->name, "site-a");
    assert_int_equal(m->account.strip, GV_STRIP_SPACE | GV_STRIP_DASH);
    assert_int_equal(m->account.uppercase, 0);
    /* match = number:digit{1,10}, output = {number:010} */
    assert_int_equal(m->account.nitems, 1);
    assert_true(m->account.items[0].is_part);
    assert_int_equal(m->account.items[0].cls, GV_CLASS_DIGIT);
    assert_int_equal(m->account.items[0].min, 1);
    assert_int_equal(m->account.items[0].max, 10);
    assert_int_equal(m->account.npieces, 1);
    assert_int_equal(m->account.pieces[0].kind, GV_PIECE_PADDED);
    assert_int_equal(m->account.pieces[0].width, 10);
    assert_int_equal(m->account.max_length, 10);
    assert_int_equal(m->account_bind, GV_BIND_TEXT);
    assert_null(m->settlement_markers);

    st = &m->stmts[GV_STMT_ACCOUNT];
    assert_true(st->line > 0);
    assert_non_null(st->source);
    assert_non_null(st->sql);
    /* the indented continuation lines are one statement */
    assert_non_null(strstr(st->source, "SELECT lic_schet AS account,\n"));
    assert_non_null(strstr(st->source, "FROM abonent\nWHERE lic_schet = :account"));
    assert_non_null(strstr(st->sql, "WHERE lic_schet = ?"));
    assert_null(strstr(st->sql, ":account"));
    assert_non_null(strstr(st->sql, "'1900-01-01'"));
    assert_int_equal(st->nparams, 1);
    assert_string_equal(st->params[0], "account");
    gv_mapping_free(m);
    gv_errlist_free(&errs);
    free(path);
}

static void test_site_b(void **state)
{
    char *path = tu_srcdir_path("mappings/site-b.ini");
    gv_errlist_t errs = { 0 };
    gv_mapping_t *m;
    const gv_stmt_t *st;
    (void)state;

    m = gv_mapping_load(path, &errs);
    tu_print_errs("site-b", &errs);
    assert_int_equal(errs.count, 0);
    assert_non_null(m);
    assert_string_equal(m->name, "site-b");
    assert_int_equal(m->account.strip, GV_STRIP_SPACE | GV_STRIP_DASH);
    /* match = number:digit{1,18}, output = {number:int} */
    assert_int_equal(m->account.nitems, 1);
    assert_int_equal(m->account.items[0].cls, GV_CLASS_DIGIT);
    assert_int_equal(m->account.items[0].min, 1);
    assert_int_equal(m->account.items[0].max, 18);
    assert_int_equal(m->account.npieces, 1);
    assert_int_equal(m->account.pieces[0].kind, GV_PIECE_INT);
    assert_int_equal(m->account.max_length, 18);
    assert_int_equal(m->account.output_digits, 1);
    assert_int_equal(m->account_bind, GV_BIND_INTEGER);

    st = &m->stmts[GV_STMT_ACCOUNT];
    assert_non_null(strstr(st->source, "city AS settlement"));
    assert_non_null(strstr(st->sql, "WHERE account_no = ?"));
    assert_int_equal(st->nparams, 1);
    assert_string_equal(st->params[0], "account");
    gv_mapping_free(m);
    gv_errlist_free(&errs);
    free(path);
}

/* The shipped mappings' account rules normalise the usual typings. */
static void test_site_rules_normalise(void **state)
{
    static const struct {
        const char *file, *typed, *canonical;
    } t[] = {
        { "mappings/site-a.ini", "12345678", "0012345678" },
        { "mappings/site-a.ini", "0012 345 678", "0012345678" },
        { "mappings/site-a.ini", "0012-345-678", "0012345678" },
        { "mappings/site-b.ini", "0012345678", "12345678" },
        { "mappings/site-b.ini", "0012 345 678", "12345678" },
        { "mappings/site-b.ini", "000000000000000000", "0" },
    };
    (void)state;

    for (size_t i = 0; i < TU_COUNT(t); i++) {
        char *path = tu_srcdir_path(t[i].file);
        gv_errlist_t errs = { 0 };
        gv_mapping_t *m = gv_mapping_load(path, &errs);
        char out[GV_ACCOUNT_MAX + 1];

        assert_non_null(m);
        assert_int_equal(gv_account_normalise(&m->account, t[i].typed, out, sizeof out), 0);
        assert_string_equal(out, t[i].canonical);
        assert_int_equal(gv_account_normalise(&m->account, "1 OR 1=1", out, sizeof out), -1);
        gv_mapping_free(m);
        gv_errlist_free(&errs);
        free(path);
    }
}

/* ---- mappings written here -------------------------------------------------- */

/* The form is compiled when the whole file is read: strip and uppercase may
 * follow match and output. */
static void test_form_keys_any_order(void **state)
{
    static const struct {
        const char *text;
        const char *typed[4], *canonical;
    } t[] = {
        { "[mapping]\nname = r\n[account]\nmatch = region:digit{2} \"-\"? serial:digit{1,7}\n"
          "output = {region}-{serial:07}\nmax_length = 10\nstrip = space\n",
          { "75-123", "75 0000123", "750000123", "75-0000123" }, "75-0000123" },
        { "[mapping]\nname = l\n[account]\nmatch = \"AL\" \"-\"? serial:digit{1,6}\n"
          "output = AL-{serial:06}\nuppercase = yes\n",
          { "al123", "AL-000123", "Al-123", "aL0123" }, "AL-000123" },
    };
    (void)state;

    for (size_t i = 0; i < TU_COUNT(t); i++) {
        char *path = tu_temp_file(t[i].text);
        char *text = malloc(strlen(t[i].text) + 128);
        gv_errlist_t errs = { 0 };
        gv_mapping_t *m;

        assert_non_null(text);
        strcpy(text, t[i].text);
        strcat(text, "[query.account]\nsql = SELECT a AS account FROM t WHERE a = :account\n");
        tu_write_file(path, text);
        m = gv_mapping_load(path, &errs);
        tu_print_errs("form", &errs);
        assert_non_null(m);
        for (size_t k = 0; k < 4; k++) {
            char out[GV_ACCOUNT_MAX + 1];
            assert_int_equal(gv_account_normalise(&m->account, t[i].typed[k], out, sizeof out),
                             0);
            assert_string_equal(out, t[i].canonical);
        }
        gv_mapping_free(m);
        gv_errlist_free(&errs);
        free(text);
        tu_remove(path);
    }
}

#define MAP_HEAD                                   \
    "[mapping]\n"              /* 1 */             \
    "name = test\n"            /* 2 */             \
    "[account]\n"              /* 3 */             \
    "match = n:digit{1,10}\n"  /* 4 */             \
    "output = {n:010}\n"       /* 5 */

/* An account form, for mappings that test other [account] keys. */
#define FORM "match = n:digit{1,10}\noutput = {n}\n"

#define MAP_SQL                                    \
    "[query.account]\n"                            \
    "sql = SELECT a AS account FROM t WHERE a = :account\n"

static void test_multiline_sql(void **state)
{
    char *path = tu_temp_file(MAP_HEAD
                              "[query.account]\n"                   /* 6 */
                              "; a comment before\n"                /* 7 */
                              "sql = SELECT a AS account,\n"        /* 8 */
                              "        b AS holder\n"               /* 9 */
                              "      FROM t\n"                      /* 10 */
                              "\tWHERE a = :account\n"              /* 11 */
                              "        AND d >= :period_start\n"    /* 12 */
                              "[mask]\n"                            /* 13 */
                              "settlement_markers = г. с. қ.\n");   /* 14 */
    gv_errlist_t errs = { 0 };
    gv_mapping_t *m;
    const gv_stmt_t *st;
    (void)state;

    m = gv_mapping_load(path, &errs);
    tu_print_errs("multiline", &errs);
    assert_non_null(m);
    st = &m->stmts[GV_STMT_ACCOUNT];
    assert_int_equal(st->line, 8);
    assert_string_equal(st->source, "SELECT a AS account,\nb AS holder\nFROM t\n"
                                    "WHERE a = :account\nAND d >= :period_start");
    assert_string_equal(st->sql, "SELECT a AS account,\nb AS holder\nFROM t\n"
                                 "WHERE a = ?\nAND d >= ?");
    assert_int_equal(st->nparams, 2);
    assert_string_equal(st->params[0], "account");
    assert_string_equal(st->params[1], "period_start");
    assert_non_null(m->settlement_markers);
    assert_string_equal(m->settlement_markers[0], "г.");
    assert_string_equal(m->settlement_markers[1], "с.");
    assert_string_equal(m->settlement_markers[2], "қ.");
    assert_null(m->settlement_markers[3]);
    gv_mapping_free(m);
    gv_errlist_free(&errs);
    tu_remove(path);
}

typedef struct {
    const char *name;
    const char *text;
    size_t count;
    const char *expect[8];      /* '@' = the file's path */
} map_err_case_t;

static const map_err_case_t map_err_cases[] = {
    { "unknown section", MAP_HEAD MAP_SQL "[queries]\nsql = SELECT 1\n", 1,
      { "@:9: unknown section [queries]" } },
    { "unknown key in [account]", MAP_HEAD "pad = 10\n" MAP_SQL, 1,
      { "@:6: [account] unknown key 'pad'" } },
    { "bad strip word", "[mapping]\nname = t\n[account]\nstrip = space comma\n" FORM MAP_SQL, 1,
      { "@:4: [account] strip: expected space, dash or slash, got 'comma'" } },
    { "two bad strip words",
      "[mapping]\nname = t\n[account]\nstrip = dot space comma\n" FORM MAP_SQL,
      2, { "@:4: [account] strip:", "got 'dot'", "got 'comma'" } },
    /* ---- the removed keys name what replaces them ---- */
    { "site-a's old keys",
      "[mapping]\nname = t\n[account]\nstrip = space dash\ndigits_only = yes\nzero_pad = 10\n"
      "max_length = 10\nbind_as = text\n" MAP_SQL, 2,
      { "@:5: [account] digits_only was removed: the account form is written as match and "
        "output; in place of digits_only and zero_pad write \"match = number:digit{1,10}\" and "
        "\"output = {number:010}\"",
        "@:6: [account] zero_pad was removed: the account form is written as match and "
        "output; in place of digits_only and zero_pad write \"match = number:digit{1,10}\" and "
        "\"output = {number:010}\"" } },
    { "site-b's old keys",
      "[mapping]\nname = t\n[account]\nstrip = space dash\ndigits_only = yes\ntrim_zeros = yes\n"
      "max_length = 18\nbind_as = integer\n" MAP_SQL, 2,
      { "@:5: [account] digits_only was removed: the account form is written as match and "
        "output; in place of digits_only and trim_zeros write \"match = number:digit{1,18}\" and "
        "\"output = {number:int}\"",
        "@:6: [account] trim_zeros was removed:" } },
    { "digits_only alone", "[mapping]\nname = t\n[account]\ndigits_only = yes\n" MAP_SQL, 1,
      { "@:4: [account] digits_only was removed: the account form is written as match and "
        "output; in place of digits_only write \"match = number:digit{1,32}\" and "
        "\"output = {number}\"" } },
    { "digits_only = no", "[mapping]\nname = t\n[account]\ndigits_only = no\nmax_length = 20\n"
      MAP_SQL, 1,
      { "@:4: [account] digits_only was removed: the account form is written as match and "
        "output; in place of digits_only write \"match = number:alnum{1,20}\" and "
        "\"output = {number}\"" } },
    { "zero_pad alone, next to a form", MAP_HEAD "zero_pad = 8\n" MAP_SQL, 1,
      { "@:6: [account] zero_pad was removed: the account form is written as match and "
        "output; in place of zero_pad write \"match = number:digit{1,32}\" and "
        "\"output = {number:08}\"" } },
    { "trim_zeros = no", "[mapping]\nname = t\n[account]\ntrim_zeros = no\n" MAP_SQL, 1,
      { "@:4: [account] trim_zeros was removed:", "\"match = number:alnum{1,32}\" and "
        "\"output = {number}\"" } },
    { "all three", "[mapping]\nname = t\n[account]\ntrim_zeros = yes\nzero_pad = 4\n"
      "digits_only = yes\n" MAP_SQL, 3,
      { "@:4: [account] trim_zeros was removed:", "@:5: [account] zero_pad was removed:",
        "@:6: [account] digits_only was removed: the account form is written as match and "
        "output; in place of digits_only, zero_pad and trim_zeros write "
        "\"match = number:digit{1,32}\" and \"output = {number:04}\"" } },
    { "zero_pad not a number", "[mapping]\nname = t\n[account]\nzero_pad = eleven\n" MAP_SQL, 1,
      { "@:4: [account] zero_pad was removed:" } },

    /* ---- match and output ---- */
    { "no form", "[mapping]\nname = t\n[account]\nstrip = space\n" MAP_SQL, 1,
      { "@: [account] match and output are required: the site's account form, e.g. "
        "\"match = number:digit{1,10}\" and \"output = {number:010}\"" } },
    { "no [account] at all", "[mapping]\nname = t\n" MAP_SQL, 1,
      { "@: [account] match and output are required" } },
    { "no output", "[mapping]\nname = t\n[account]\nmatch = n:digit{1,3}\n" MAP_SQL, 1,
      { "@: [account] output is required" } },
    { "no match", "[mapping]\nname = t\n[account]\noutput = {n}\n" MAP_SQL, 1,
      { "@: [account] match is required" } },
    { "match set twice", MAP_HEAD "match = n:digit{1,3}\n" MAP_SQL, 1,
      { "@:6: [account] match: set again (first set on line 4)" } },
    { "output set twice", MAP_HEAD "output = {n}\n" MAP_SQL, 1,
      { "@:6: [account] output: set again (first set on line 5)" } },
    { "match error names its line and column",
      "[mapping]\nname = t\n[account]\nmatch = \"AL\" n:digits{1,6}\noutput = AL-{n:06}\n"
      MAP_SQL, 1,
      { "@:4: [account] match, column 8: part 'n': unknown class 'digits' (expected digit, "
        "letter or alnum)" } },
    { "output error names its line and column",
      "[mapping]\nname = t\n[account]\nmatch = n:digit{1,6}\noutput = AL-{m:06}\n" MAP_SQL, 1,
      { "@:5: [account] output, column 4: {m:06}: match has no part named 'm'" } },
    { "output longer than max_length",
      "[mapping]\nname = t\n[account]\nmax_length = 8\nmatch = n:digit{1,6}\n"
      "output = AL-{n:06}\n" MAP_SQL, 1,
      { "@:6: [account] output can be 9 characters long (every part at its MAX), more than "
        "max_length = 8" } },
    { "part not in output", "[mapping]\nname = t\n[account]\nmatch = r:digit{2} n:digit{1,6}\n"
      "output = {n}\n" MAP_SQL, 1,
      { "@:5: [account] output does not use part 'r' (match column 1)" } },
    { "strip after match makes a literal impossible",
      "[mapping]\nname = t\n[account]\nmatch = r:digit{2} \"-\" n:digit{1,6}\n"
      "output = {r}-{n}\nstrip = dash\n" MAP_SQL, 1,
      { "@:4: [account] match, column 12: the literal \"-\" can never be typed: strip removes "
        "'-'" } },
    { "uppercase after match",
      "[mapping]\nname = t\n[account]\nmatch = \"al\" n:digit{1,6}\noutput = AL{n}\n"
      "uppercase = yes\n" MAP_SQL, 1,
      { "@:4: [account] match, column 1: the literal \"al\" can never match: uppercase = yes" } },
    { "bind_as integer with letters in output",
      "[mapping]\nname = t\n[account]\nmatch = n:digit{1,6}\noutput = AL-{n:06}\n"
      "bind_as = integer\n" MAP_SQL, 1,
      { "@:6: [account] bind_as = integer needs an output of digits only (output on line 5 "
        "can write other characters)" } },
    { "bind_as integer with a letter part",
      "[mapping]\nname = t\n[account]\nbind_as = integer\nmatch = n:alnum{1,6}\noutput = {n}\n"
      MAP_SQL, 1,
      { "@:4: [account] bind_as = integer needs an output of digits only (output on line 6" } },
    { "bind_as integer over 18 digits",
      "[mapping]\nname = t\n[account]\nmatch = n:digit{1,19}\noutput = {n:int}\n"
      "bind_as = integer\n" MAP_SQL, 1,
      { "@:6: [account] bind_as = integer: output can be 19 digits long, more than the 18 a "
        "BIGINT always holds" } },
    { "bad bind_as", MAP_HEAD "bind_as = float\n" MAP_SQL, 1,
      { "@:6: [account] bind_as: expected text or integer, got 'float'" } },
    { "bad yes/no", MAP_HEAD "uppercase = sometimes\n" MAP_SQL, 1,
      { "@:6: [account] uppercase: expected yes or no, got 'sometimes'" } },
    { "max_length too large", MAP_HEAD "max_length = 33\n" MAP_SQL, 1,
      { "@:6: [account] max_length: expected a number from 1 to 32, got '33'" } },
    { "max_length 0", MAP_HEAD "max_length = 0\n" MAP_SQL, 1,
      { "@:6: [account] max_length: expected a number from 1 to 32, got '0'" } },
    { "negative max_length", MAP_HEAD "max_length = -1\n" MAP_SQL, 1,
      { "@:6: [account] max_length: expected a number from 1 to 32, got '-1'" } },
    { "missing sql", MAP_HEAD, 1, { "@: [query.account] sql is required" } },
    { "missing name", "[account]\n" FORM MAP_SQL, 1,
      { "@: [mapping] name is required" } },
    { "unknown parameter",
      MAP_HEAD "[query.account]\nsql = SELECT a FROM t\n  WHERE a = :customer\n", 1,
      { "@:7: [query.account] sql: unknown parameter :customer" } },
    { "question mark placeholder", MAP_HEAD "[query.account]\nsql = SELECT a WHERE a = ?\n", 1,
      { "@:7: [query.account] sql:", "'?'" } },
    { "unknown key in a query", MAP_HEAD MAP_SQL "query = SELECT 2\n", 1,
      { "@:8: [query.account] unknown key 'query' (expected sql)" } },
    { "sql set twice", MAP_HEAD MAP_SQL "sql = SELECT 2\n", 1,
      { "@:8: [query.account] sql: set again (first set on line 7)" } },
    { "continuation outside sql", MAP_HEAD "  {n}\n" MAP_SQL, 1,
      { "@:6: [account] output: only sql values may span lines" } },
    { "unknown key in [mapping]", MAP_HEAD MAP_SQL "[mapping]\nversion = 2\n", 1,
      { "@:9: [mapping] unknown key 'version'" } },
    { "unknown key in [mask]", MAP_HEAD MAP_SQL "[mask]\nmarkers = г.\n", 1,
      { "@:9: [mask] unknown key 'markers'" } },
    { "syntax error", MAP_HEAD "this is not a pair\n" MAP_SQL, 1, { "@:6: syntax error" } },
    { "every problem at once",
      "[mapping]\n"                        /* 1  no name */
      "[account]\n"                        /* 2 */
      "strip = space tab\n"                /* 3  bad strip word */
      "match = n:digit{1,10}\n"            /* 4 */
      "output = {n}-{x}\n"                 /* 5  no part x */
      "bind_as = integer\n"                /* 6 */
      "pad = 1\n"                          /* 7  unknown key */
      "[cache]\n"                          /* 8 */
      "size = 1\n"                         /* 9  unknown section */
      "[query.account]\n"                  /* 10 */
      "sql = SELECT a FROM t\n"            /* 11 */
      "  WHERE a = :acct\n",               /* 12 unknown parameter */
      6,
      { "@: [mapping] name is required", "@:3: [account] strip:", "got 'tab'",
        "@:5: [account] output, column 5: {x}: match has no part named 'x'",
        "@:7: [account] unknown key 'pad'", "@:9: unknown section [cache]",
        "@:11: [query.account] sql: unknown parameter :acct" } },
};

static void test_mapping_errors(void **state)
{
    int failures = 0;
    (void)state;

    for (size_t i = 0; i < TU_COUNT(map_err_cases); i++) {
        const map_err_case_t *c = &map_err_cases[i];
        char *path = tu_temp_file(c->text);
        gv_errlist_t errs = { 0 };
        gv_mapping_t *m = gv_mapping_load(path, &errs);
        int bad = 0;

        if (m) {
            print_message("FAIL %s: loaded\n", c->name);
            bad = 1;
        }
        if (errs.count != c->count) {
            print_message("FAIL %s: %zu messages, expected %zu\n", c->name, errs.count, c->count);
            bad = 1;
        }
        for (int k = 0; k < 8 && c->expect[k]; k++) {
            char *needle = tu_expand(c->expect[k], path);
            if (tu_errs_count(&errs, needle) == 0) {
                print_message("FAIL %s: no message contains \"%s\"\n", c->name, needle);
                bad = 1;
            }
            free(needle);
        }
        if (bad) {
            tu_print_errs(c->name, &errs);
            failures++;
        }
        gv_mapping_free(m);
        gv_errlist_free(&errs);
        tu_remove(path);
    }
    assert_int_equal(failures, 0);
}

static void test_mapping_missing_file(void **state)
{
    gv_errlist_t errs = { 0 };
    gv_mapping_t *m;
    (void)state;

    m = gv_mapping_load("/nonexistent/site.ini", &errs);
    assert_null(m);
    assert_true(tu_errs_count(&errs, "/nonexistent/site.ini: cannot open") == 1);
    gv_errlist_free(&errs);
}

/* A value set twice in [mask] replaces the first, without leaking it. */
static void test_markers_twice(void **state)
{
    char *path = tu_temp_file(MAP_HEAD MAP_SQL "[mask]\nsettlement_markers = a. b.\n"
                                               "settlement_markers = c.\n");
    gv_errlist_t errs = { 0 };
    gv_mapping_t *m;
    (void)state;

    m = gv_mapping_load(path, &errs);
    if (m) {
        assert_string_equal(m->settlement_markers[0], "c.");
        assert_null(m->settlement_markers[1]);
    } else {
        assert_true(errs.count > 0);
    }
    gv_mapping_free(m);
    gv_errlist_free(&errs);
    tu_remove(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sql_compile_table),
        cmocka_unit_test(test_sql_compile_param_pointers),
        cmocka_unit_test(test_sql_compile_too_many),
        cmocka_unit_test(test_sql_compile_block_comment),
        cmocka_unit_test(test_site_a),
        cmocka_unit_test(test_site_b),
        cmocka_unit_test(test_site_rules_normalise),
        cmocka_unit_test(test_form_keys_any_order),
        cmocka_unit_test(test_multiline_sql),
        cmocka_unit_test(test_mapping_errors),
        cmocka_unit_test(test_mapping_missing_file),
        cmocka_unit_test(test_markers_twice),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
