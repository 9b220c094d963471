/* test_conf.c - gasvoucher.conf is checked whole at load: defaults, every
 * error named by file, line and key; and the account check's verdict
 * (check.h, rules R0, R3, R8), which needs a loaded configuration. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calendar.h"
#include "check.h"
#include "conf.h"
#include "record.h"
#include "testutil.h"

#define BASE                                                                             \
    "[provider]\n"                 /* 1 */                                               \
    "bin = 990340001234\n"         /* 2 */                                               \
    "name = АО \"Test Gas\"\n"     /* 3 */                                               \
    "[database]\n"                 /* 4 */                                               \
    "connection = DSN=test;UID=gv\n" /* 5 */                                             \
    "mapping = site-a.ini\n"       /* 6 */                                               \
    "[wallet]\n"                   /* 7 */                                               \
    "tls = no\n"                   /* 8 */                                               \
    "listen = 127.0.0.1:18443\n"   /* 9 */

/* Writes text as DIR/gasvoucher.conf in a fresh directory and loads it. */
typedef struct {
    char *dir;
    char *path;
    gv_errlist_t errs;
    gv_conf_t *conf;
} loaded_t;

static void load_text(loaded_t *l, const char *text)
{
    memset(l, 0, sizeof *l);
    l->dir = tu_temp_dir();
    l->path = tu_path_in(l->dir, "gasvoucher.conf");
    tu_write_file(l->path, text);
    l->conf = gv_conf_load(l->path, &l->errs);
}

static void unload(loaded_t *l)
{
    gv_conf_free(l->conf);
    gv_errlist_free(&l->errs);
    tu_remove(l->path);
    tu_remove_dir(l->dir);
}

/* ---- a valid file -------------------------------------------------------- */

static const char *const pilot_regions[] = {
    "KZ-71", "KZ-75", "KZ-79", "KZ-11", "KZ-15", "KZ-19", "KZ-23", "KZ-63", "KZ-31",
    "KZ-33", "KZ-27", "KZ-35", "KZ-39", "KZ-43", "KZ-47", "KZ-61", "KZ-62",
};

static void test_minimal_defaults(void **state)
{
    loaded_t l;
    char *want;
    int32_t d;
    (void)state;

    load_text(&l, BASE);
    tu_print_errs("unexpected", &l.errs);
    assert_int_equal(l.errs.count, 0);
    assert_non_null(l.conf);

    assert_string_equal(l.conf->provider_bin, "990340001234");
    assert_string_equal(l.conf->provider_name, "АО \"Test Gas\"");
    assert_string_equal(l.conf->db_connection, "DSN=test;UID=gv");
    /* a relative mapping path is resolved against the file's directory */
    want = tu_path_in(l.dir, "site-a.ini");
    assert_string_equal(l.conf->mapping_path, want);
    free(want);

    assert_int_equal(l.conf->wallet_tls, 0);
    assert_string_equal(l.conf->wallet_listen.host, "127.0.0.1");
    assert_int_equal(l.conf->wallet_listen.port, 18443);
    assert_null(l.conf->tls_cert);

    /* documented defaults */
    assert_int_equal(l.conf->header_limit, 8192);
    assert_int_equal(l.conf->account_check_body_limit, 16384);
    assert_int_equal(l.conf->batch_body_limit, (size_t)64 << 20);
    assert_int_equal(l.conf->header_timeout, 10);
    assert_int_equal(l.conf->idle_timeout, 60);
    assert_int_equal(l.conf->body_timeout, 120);
    assert_int_equal(l.conf->body_min_rate, 1024);
    assert_int_equal(l.conf->body_rate_window, 10);
    assert_int_equal(l.conf->discard_limit, (size_t)1 << 20);
    assert_int_equal(l.conf->db_login_timeout, 5);
    assert_int_equal(l.conf->db_query_timeout, 5);
    assert_int_equal(l.conf->db_reconnect_min_ms, 100);
    assert_int_equal(l.conf->db_reconnect_max_ms, 5000);
    assert_int_equal(l.conf->threads, 2);
    assert_int_equal(l.conf->max_connections, 2048);
    assert_int_equal(l.conf->max_connections_per_ip, 256);
    assert_int_equal(l.conf->rate_limit, 100);
    assert_int_equal(l.conf->rate_burst, 200);
    assert_int_equal(l.conf->drain_timeout, 10);
    assert_string_equal(l.conf->ops_listen.host, "127.0.0.1");
    assert_int_equal(l.conf->ops_listen.port, 9464);
    assert_string_equal(l.conf->time_zone, "Asia/Almaty");
    assert_int_equal(l.conf->log_level, GV_LOG_INFO);

    /* R2, R3 */
    assert_int_equal(gv_date_parse("2025-08-28", &d), 0);
    assert_int_equal(l.conf->pilot_start, d);
    assert_int_equal(gv_date_parse("2026-06-30", &d), 0);
    assert_int_equal(l.conf->pilot_end, d);
    assert_int_equal(l.conf->pilot_region_count, 17);
    for (size_t i = 0; i < TU_COUNT(pilot_regions); i++)
        assert_true(gv_conf_region_in_pilot(l.conf, pilot_regions[i]));
    assert_true(gv_conf_region_in_pilot(l.conf, "KZ-75"));
    assert_false(gv_conf_region_in_pilot(l.conf, "KZ-55"));   /* Pavlodar */
    assert_false(gv_conf_region_in_pilot(l.conf, "KZ-10"));   /* Abai */
    assert_false(gv_conf_region_in_pilot(l.conf, "KZ-59"));   /* North Kazakhstan */
    assert_false(gv_conf_region_in_pilot(l.conf, ""));
    assert_false(gv_conf_region_in_pilot(l.conf, "kz-75"));
    assert_false(gv_conf_region_in_pilot(l.conf, "KZ-75 "));
    assert_false(gv_conf_region_in_pilot(l.conf, "KZ-7"));
    unload(&l);
}

/* Every key given, with TLS, relative and absolute paths, size suffixes. */
static void test_full_file(void **state)
{
    loaded_t l;
    char *want;
    int32_t d;
    (void)state;

    load_text(&l,
              "; a comment\n"
              "# another\n"
              "[provider]\n"
              "bin = 990340001234\n"
              "name = Test Gas\n"
              "\n"
              "[database]\n"
              "connection = DSN=test\n"
              "mapping = /etc/gasvoucher/mappings/site-b.ini\n"
              "login_timeout = 7\n"
              "query_timeout = 3600\n"
              "reconnect_min_ms = 10\n"
              "reconnect_max_ms = 600000\n"
              "[wallet]\n"
              "listen = 0.0.0.0:8443\n"
              "tls = yes\n"
              "tls_cert = tls/server.pem\n"
              "tls_key = tls/server.key\n"
              "tls_client_ca = /etc/ssl/wallet-ca.pem\n"
              "threads = 256\n"
              "max_connections = 1\n"
              "max_connections_per_ip = 100000\n"
              "header_limit = 16k\n"
              "account_check_body_limit = 256\n"
              "batch_body_limit = 1G\n"
              "discard_limit = 0\n"
              "header_timeout = 1\n"
              "idle_timeout = 3600\n"
              "body_timeout = 86400\n"
              "body_min_rate = 0\n"
              "body_rate_window = 1\n"
              "rate_limit = 0\n"
              "rate_burst = 1\n"
              "drain_timeout = 0\n"
              "[ops]\n"
              "listen = [::1]:9464\n"
              "[pilot]\n"
              "start = 2025-08-01\n"
              "end = 2026-12-31\n"
              "regions = KZ-75, KZ-55\tKZ-10\n"
              "[time]\n"
              "zone = Asia/Almaty\n"
              "[log]\n"
              "level = DEBUG\n");
    tu_print_errs("unexpected", &l.errs);
    assert_int_equal(l.errs.count, 0);
    assert_non_null(l.conf);

    assert_string_equal(l.conf->mapping_path, "/etc/gasvoucher/mappings/site-b.ini");
    want = tu_path_in(l.dir, "tls/server.pem");
    assert_string_equal(l.conf->tls_cert, want);
    free(want);
    want = tu_path_in(l.dir, "tls/server.key");
    assert_string_equal(l.conf->tls_key, want);
    free(want);
    assert_string_equal(l.conf->tls_client_ca, "/etc/ssl/wallet-ca.pem");
    assert_int_equal(l.conf->wallet_tls, 1);
    assert_string_equal(l.conf->wallet_listen.host, "0.0.0.0");
    assert_int_equal(l.conf->wallet_listen.port, 8443);
    assert_int_equal(l.conf->db_login_timeout, 7);
    assert_int_equal(l.conf->db_query_timeout, 3600);
    assert_int_equal(l.conf->threads, 256);
    assert_int_equal(l.conf->header_limit, 16384);
    assert_int_equal(l.conf->account_check_body_limit, 256);
    assert_int_equal(l.conf->batch_body_limit, (size_t)1 << 30);
    assert_int_equal(l.conf->discard_limit, 0);
    assert_int_equal(l.conf->body_timeout, 86400);
    assert_int_equal(l.conf->body_min_rate, 0);
    assert_int_equal(l.conf->body_rate_window, 1);
    assert_int_equal(l.conf->rate_limit, 0);
    assert_string_equal(l.conf->ops_listen.host, "::1");
    assert_int_equal(l.conf->ops_listen.port, 9464);
    assert_int_equal(gv_date_parse("2026-12-31", &d), 0);
    assert_int_equal(l.conf->pilot_end, d);
    assert_int_equal(l.conf->pilot_region_count, 3);
    assert_true(gv_conf_region_in_pilot(l.conf, "KZ-55"));
    assert_true(gv_conf_region_in_pilot(l.conf, "KZ-10"));
    assert_false(gv_conf_region_in_pilot(l.conf, "KZ-71"));
    assert_int_equal(l.conf->log_level, GV_LOG_DEBUG);
    unload(&l);
}

/* Plain HTTP is fine on every loopback spelling. */
static void test_plain_http_on_loopback(void **state)
{
    static const char *const listens[] = {
        "127.0.0.1:8080", "127.1.2.3:8080", "[::1]:8080", "localhost:8080",
    };
    (void)state;

    for (size_t i = 0; i < TU_COUNT(listens); i++) {
        char text[1024];
        loaded_t l;
        snprintf(text, sizeof text,
                 "[provider]\nbin = 990340001234\nname = x\n[database]\nconnection = x\n"
                 "mapping = m.ini\n[wallet]\ntls = no\nlisten = %s\n", listens[i]);
        load_text(&l, text);
        tu_print_errs(listens[i], &l.errs);
        assert_int_equal(l.errs.count, 0);
        assert_non_null(l.conf);
        unload(&l);
    }
}

/* ---- errors ---------------------------------------------------------------- */

typedef struct {
    const char *name;
    const char *text;
    size_t count;               /* exact number of messages */
    const char *expect[8];      /* substrings; '@' = the file's path */
} err_case_t;

static const err_case_t err_cases[] = {
    { "unknown key", BASE "colour = blue\n", 1,
      { "@:10: [wallet] unknown key 'colour'" } },
    { "unknown section", BASE "[cache]\nsize = 10\n", 1,
      { "@:11: unknown section [cache]" } },
    { "key before any section", "threads = 2\n" BASE, 1,
      { "@:1: unknown section []" } },
    { "bad number", BASE "threads = two\n", 1,
      { "@:10: [wallet] threads: expected a whole number from 1 to 256, got 'two'" } },
    { "number with a unit", BASE "header_timeout = 10s\n", 1,
      { "@:10: [wallet] header_timeout: expected a whole number" } },
    { "number too small", BASE "threads = 0\n", 1,
      { "@:10: [wallet] threads: expected a whole number from 1 to 256, got '0'" } },
    { "number too large", BASE "threads = 257\n", 1,
      { "@:10: [wallet] threads: expected a whole number from 1 to 256, got '257'" } },
    { "negative number", BASE "idle_timeout = -1\n", 1,
      { "@:10: [wallet] idle_timeout: expected a whole number from 1 to 3600" } },
    { "huge number", BASE "idle_timeout = 99999999999999999999999\n", 1,
      { "@:10: [wallet] idle_timeout:" } },
    { "size too small", BASE "header_limit = 512\n", 1,
      { "@:10: [wallet] header_limit: expected a whole number of bytes" } },
    { "size too large", BASE "header_limit = 2G\n", 1,
      { "@:10: [wallet] header_limit:" } },
    { "size bad suffix", BASE "batch_body_limit = 64MB\n", 1,
      { "@:10: [wallet] batch_body_limit:", "'64MB'" } },
    { "size overflows", BASE "batch_body_limit = 99999999999999G\n", 1,
      { "@:10: [wallet] batch_body_limit:" } },
    { "bad bool",
      "[provider]\nbin = 990340001234\nname = x\n[database]\nconnection = x\nmapping = m\n"
      "[wallet]\ntls = maybe\nlisten = 127.0.0.1:1\n", 1,
      { "@:8: [wallet] tls: expected yes or no, got 'maybe'" } },
    { "BIN with 11 digits",
      "[provider]\nbin = 99034000123\nname = x\n[database]\nconnection = x\nmapping = m\n"
      "[wallet]\ntls = no\nlisten = 127.0.0.1:1\n", 1,
      { "@:2: [provider] bin: expected a 12-digit BIN, got '99034000123'" } },
    { "BIN with 13 digits",
      "[provider]\nbin = 9903400012345\nname = x\n[database]\nconnection = x\nmapping = m\n"
      "[wallet]\ntls = no\nlisten = 127.0.0.1:1\n", 1,
      { "@:2: [provider] bin: expected a 12-digit BIN" } },
    { "BIN with a letter",
      "[provider]\nbin = 99034000123A\nname = x\n[database]\nconnection = x\nmapping = m\n"
      "[wallet]\ntls = no\nlisten = 127.0.0.1:1\n", 1,
      { "@:2: [provider] bin: expected a 12-digit BIN" } },
    { "bad date", BASE "[pilot]\nstart = 2025-02-30\n", 1,
      { "@:11: [pilot] start: expected a date YYYY-MM-DD, got '2025-02-30'" } },
    { "bad date form", BASE "[pilot]\nstart = 28.08.2025\n", 1,
      { "@:11: [pilot] start: expected a date YYYY-MM-DD, got '28.08.2025'" } },
    { "start after end", BASE "[pilot]\nstart = 2026-07-01\nend = 2026-06-30\n", 1,
      { "@: [pilot] start is after end" } },
    { "bad region", BASE "[pilot]\nregions = KZ-75 KZ-7\n", 1,
      { "@:11: [pilot] regions:", "'KZ-7'" } },
    { "bad region country", BASE "[pilot]\nregions = KZ-75 UZ-11\n", 1,
      { "@:11: [pilot] regions:", "'UZ-11'" } },
    { "lowercase region", BASE "[pilot]\nregions = kz-75\n", 1,
      { "@:11: [pilot] regions:", "'kz-75'" } },
    { "no region", BASE "[pilot]\nregions = , ,\n", 1,
      { "@:11: [pilot] regions: must list at least one region" } },
    { "key set twice", BASE "threads = 2\nthreads = 4\n", 1,
      { "@:11: [wallet] threads: set again (first set on line 10)" } },
    { "key set twice across sections",
      BASE "[ops]\nlisten = 127.0.0.1:9000\n[provider]\nname = other\n", 1,
      { "@:13: [provider] name: set again (first set on line 3)" } },
    { "bad log level", BASE "[log]\nlevel = verbose\n", 1,
      { "@:11: [log] level: expected debug, info, warning or error, got 'verbose'" } },
    { "bad listen", BASE "[ops]\nlisten = 127.0.0.1\n", 1,
      { "@:11: [ops] listen: expected host:port" } },
    { "bad port", BASE "[ops]\nlisten = 127.0.0.1:65536\n", 1,
      { "@:11: [ops] listen: expected host:port" } },
    { "empty string",
      "[provider]\nbin = 990340001234\nname =\n[database]\nconnection = x\nmapping = m\n"
      "[wallet]\ntls = no\nlisten = 127.0.0.1:1\n", 1,
      { "@:3: [provider] name: must not be empty" } },
    { "unknown time zone", BASE "[time]\nzone = Nowhere/City\n", 1,
      { "@:11: [time] zone:" } },
    { "time zone that is a directory", BASE "[time]\nzone = Asia\n", 1,
      { "[time] zone:" } },
    { "time zone path traversal", BASE "[time]\nzone = ../../../etc/passwd\n", 1,
      { "[time] zone:" } },
    { "multi-line value",
      "[provider]\nbin = 990340001234\nname = Test\n  Gas\n[database]\nconnection = x\n"
      "mapping = m\n[wallet]\ntls = no\nlisten = 127.0.0.1:1\n", 1,
      { "@:4: [provider] name: values are one line in this file" } },
    { "missing required keys (empty file)", "", 7,
      { "@: [provider] bin is required", "@: [provider] name is required",
        "@: [database] connection is required", "@: [database] mapping is required",
        "@: [wallet] tls_cert is required when tls = yes",
        "@: [wallet] tls_key is required when tls = yes",
        "@: [wallet] tls_client_ca is required when tls = yes" } },
    { "missing provider bin",
      "[provider]\nname = x\n[database]\nconnection = x\nmapping = m\n"
      "[wallet]\ntls = no\nlisten = 127.0.0.1:1\n", 1,
      { "@: [provider] bin is required" } },
    { "tls = no on 0.0.0.0",
      "[provider]\nbin = 990340001234\nname = x\n[database]\nconnection = x\nmapping = m\n"
      "[wallet]\ntls = no\nlisten = 0.0.0.0:8080\n", 1,
      { "@: [wallet] tls = no is allowed only on a loopback address", "'0.0.0.0'" } },
    { "tls = no on the default listen address",
      "[provider]\nbin = 990340001234\nname = x\n[database]\nconnection = x\nmapping = m\n"
      "[wallet]\ntls = no\n", 1,
      { "@: [wallet] tls = no is allowed only on a loopback address" } },
    { "tls = no on a public address",
      "[provider]\nbin = 990340001234\nname = x\n[database]\nconnection = x\nmapping = m\n"
      "[wallet]\ntls = no\nlisten = 10.1.2.3:8080\n", 1,
      { "@: [wallet] tls = no is allowed only on a loopback address" } },
    { "tls = yes without cert",
      "[provider]\nbin = 990340001234\nname = x\n[database]\nconnection = x\nmapping = m\n"
      "[wallet]\ntls = yes\ntls_key = k.pem\ntls_client_ca = ca.pem\n", 1,
      { "@: [wallet] tls_cert is required when tls = yes" } },
    { "reconnect min above max", BASE "[database]\nreconnect_min_ms = 6000\n", 1,
      { "@: [database] reconnect_min_ms is larger than reconnect_max_ms" } },
    { "syntax error line", BASE "this line has no equals sign\n", 1,
      { "@:10: syntax error" } },
    { "unterminated section", BASE "[wallet\nthreads = 2\n", 1,
      { "@:10: syntax error" } },
};

static void test_error_table(void **state)
{
    int failures = 0;
    (void)state;

    for (size_t i = 0; i < TU_COUNT(err_cases); i++) {
        const err_case_t *c = &err_cases[i];
        loaded_t l;
        int bad = 0;

        if (getenv("GV_TEST_VERBOSE"))
            print_message("case %s\n", c->name);
        load_text(&l, c->text);
        if (l.conf) {
            print_message("FAIL %s: loaded\n", c->name);
            bad = 1;
        }
        if (l.errs.count != c->count) {
            print_message("FAIL %s: %zu messages, expected %zu\n", c->name, l.errs.count,
                          c->count);
            bad = 1;
        }
        for (int k = 0; k < 8 && c->expect[k]; k++) {
            char *needle = tu_expand(c->expect[k], l.path);
            if (tu_errs_count(&l.errs, needle) == 0) {
                print_message("FAIL %s: no message contains \"%s\"\n", c->name, needle);
                bad = 1;
            }
            free(needle);
        }
        if (bad) {
            tu_print_errs(c->name, &l.errs);
            failures++;
        }
        unload(&l);
    }
    assert_int_equal(failures, 0);
}

/* An empty value of a key with a default is an error, not the default and
 * not a crash (it has crashed: a NULL time zone reached strstr). */
static void test_empty_zone(void **state)
{
    loaded_t l;
    (void)state;

    load_text(&l, BASE "[time]\nzone =\n");
    assert_null(l.conf);
    tu_print_errs("empty zone", &l.errs);
    tu_assert_err(&l.errs, "@:11: [time] zone: must not be empty", l.path);
    unload(&l);
}

/* Lines up to 1024 characters are read; longer ones are reported, never
 * cut (inifile.h). */
static char *long_line_conf(size_t line_len, const char *prefix)
{
    size_t blen = strlen(BASE), plen = strlen(prefix);
    char *text = malloc(blen + line_len + 2);

    assert_non_null(text);
    assert_true(line_len >= plen);
    memcpy(text, BASE, blen);
    memcpy(text + blen, prefix, plen);
    memset(text + blen + plen, 'x', line_len - plen);
    text[blen + line_len] = '\n';
    text[blen + line_len + 1] = '\0';
    return text;
}

static void test_line_length(void **state)
{
    static const struct {
        size_t len;
        int ok;
    } t[] = {
        { 100, 1 }, { 1000, 1 }, { 1023, 1 }, { 1024, 1 },
        { 1025, 0 }, { 1026, 0 }, { 1027, 0 }, { 1100, 0 }, { 5000, 0 },
    };
    int failures = 0;
    (void)state;

    for (size_t i = 0; i < TU_COUNT(t); i++) {
        /* a comment line: its content is never looked at */
        char *text = long_line_conf(t[i].len, "; ");
        loaded_t l;

        load_text(&l, text);
        if (t[i].ok ? l.errs.count != 0
                    : l.errs.count != 1 ||
                          tu_errs_count(&l.errs, ":10: line longer than 1024 characters") != 1) {
            print_message("FAIL a %zu-character line: %zu messages\n", t[i].len, l.errs.count);
            tu_print_errs("got", &l.errs);
            failures++;
        }
        unload(&l);
        free(text);
    }
    assert_int_equal(failures, 0);
}

/* A long value is reported, and the rest of the file still checked. */
static void test_long_value_line(void **state)
{
    char *text = long_line_conf(1100, "[ops]\nlisten = ");
    char *full = malloc(strlen(text) + 64);
    loaded_t l;
    (void)state;

    assert_non_null(full);
    sprintf(full, "%sthreads = 0\n", text);   /* [ops] threads: unknown key, line 12 */
    load_text(&l, full);
    assert_null(l.conf);
    tu_assert_err(&l.errs, "@:11: line longer than 1024 characters", l.path);
    tu_assert_err(&l.errs, "@:12: [ops] unknown key 'threads'", l.path);
    assert_int_equal(l.errs.count, 2);
    unload(&l);
    free(text);
    free(full);
}

/* A file with several problems reports every one of them. */
static void test_all_errors_reported(void **state)
{
    static const char text[] =
        "[provider]\n"                         /* 1 */
        "bin = 12345\n"                        /* 2  bad BIN */
        "name = x\n"                           /* 3 */
        "colour = red\n"                       /* 4  unknown key */
        "[database]\n"                         /* 5 */
        "connection = x\n"                     /* 6 */
        "mapping = m.ini\n"                    /* 7 */
        "login_timeout = soon\n"               /* 8  bad number */
        "[wallet]\n"                           /* 9 */
        "tls = perhaps\n"                      /* 10 bad bool */
        "listen = 127.0.0.1:8080\n"            /* 11 */
        "threads = 1000\n"                     /* 12 out of range */
        "threads = 2\n"                        /* 13 set twice */
        "this is not a pair\n"                 /* 14 syntax */
        "[cache]\n"                            /* 15 */
        "size = 1\n"                           /* 16 unknown section */
        "[pilot]\n"                            /* 17 */
        "start = 2025-13-01\n"                 /* 18 bad date */
        "regions = KZ-75 KZ-555\n"             /* 19 bad region */
        "neither is this\n";                   /* 20 syntax */
    static const char *const expect[] = {
        "@:2: [provider] bin:",
        "@:4: [provider] unknown key 'colour'",
        "@:8: [database] login_timeout:",
        "@:10: [wallet] tls:",
        "@:12: [wallet] threads:",
        "@:13: [wallet] threads: set again (first set on line 12)",
        "@:14: syntax error",
        "@:16: unknown section [cache]",
        "@:18: [pilot] start:",
        "@:19: [pilot] regions:",
        "@:20: syntax error",
    };
    loaded_t l;
    int missing = 0;
    size_t count;
    (void)state;

    load_text(&l, text);
    assert_null(l.conf);
    for (size_t i = 0; i < TU_COUNT(expect); i++) {
        char *needle = tu_expand(expect[i], l.path);
        if (tu_errs_count(&l.errs, needle) != 1) {
            print_message("FAIL: expected one message containing \"%s\"\n", needle);
            missing++;
        }
        free(needle);
    }
    count = l.errs.count;
    if (missing || count != TU_COUNT(expect))
        tu_print_errs("got", &l.errs);
    unload(&l);
    assert_int_equal(missing, 0);
    assert_int_equal(count, TU_COUNT(expect));
}

static void test_missing_file(void **state)
{
    gv_errlist_t errs = { 0 };
    gv_conf_t *c;
    (void)state;

    c = gv_conf_load("/nonexistent/gasvoucher.conf", &errs);
    assert_null(c);
    assert_true(errs.count >= 1);
    assert_true(tu_errs_count(&errs, "/nonexistent/gasvoucher.conf: cannot open") == 1);
    gv_errlist_free(&errs);
}

/* Errors are appended to a list that already holds some. */
static void test_errors_appended(void **state)
{
    loaded_t l;
    gv_conf_t *c;
    (void)state;

    load_text(&l, BASE "threads = 0\n");
    assert_int_equal(l.errs.count, 1);
    c = gv_conf_load(l.path, &l.errs);
    assert_null(c);
    assert_int_equal(l.errs.count, 2);
    /* and a good file loads even when the list is not empty */
    tu_write_file(l.path, BASE);
    c = gv_conf_load(l.path, &l.errs);
    assert_non_null(c);
    assert_int_equal(l.errs.count, 2);
    gv_conf_free(c);
    unload(&l);
}

/* A config file given without a directory resolves paths against ".". */
static void test_relative_to_cwd(void **state)
{
    char *dir = tu_temp_dir();
    char *path = tu_path_in(dir, "gv.conf");
    char old[4096];
    gv_errlist_t errs = { 0 };
    gv_conf_t *c;
    (void)state;

    tu_write_file(path, BASE);
    assert_non_null(getcwd(old, sizeof old));
    assert_int_equal(chdir(dir), 0);
    c = gv_conf_load("gv.conf", &errs);
    assert_int_equal(chdir(old), 0);
    assert_non_null(c);
    assert_string_equal(c->mapping_path, "./site-a.ini");
    gv_conf_free(c);
    gv_errlist_free(&errs);
    tu_remove(path);
    tu_remove_dir(dir);
}

static void test_hostport_loopback(void **state)
{
    static const struct {
        const char *host;
        int loopback;
    } t[] = {
        { "127.0.0.1", 1 }, { "127.1.2.3", 1 }, { "127.255.255.254", 1 }, { "::1", 1 },
        { "localhost", 1 },
        { "0.0.0.0", 0 }, { "::", 0 }, { "10.0.0.1", 0 }, { "192.168.1.1", 0 },
        { "128.0.0.1", 0 }, { "1.127.0.0", 0 }, { "", 0 }, { "example.com", 0 },
        { "localhost.example.com", 0 },
        /* a host name that merely starts with "127." may resolve anywhere */
        { "127.example.com", 0 },
        { "127.0.0.1.nip.io", 0 },
    };
    int failures = 0;
    (void)state;

    for (size_t i = 0; i < TU_COUNT(t); i++) {
        gv_hostport_t hp;
        memset(&hp, 0, sizeof hp);
        snprintf(hp.host, sizeof hp.host, "%s", t[i].host);
        hp.port = 8080;
        if (gv_hostport_is_loopback(&hp) != t[i].loopback) {
            print_message("FAIL loopback(%s) = %d, expected %d\n", t[i].host,
                          gv_hostport_is_loopback(&hp), t[i].loopback);
            failures++;
        }
    }
    assert_int_equal(failures, 0);
}

/* Every key in the table has a section and a name. */
static void test_key_names(void **state)
{
    char buf[128];
    size_t n = 0;
    int saw_bin = 0, saw_regions = 0;
    (void)state;

    for (; gv_conf_key_name(n, buf, sizeof buf); n++) {
        assert_non_null(strchr(buf, '.'));
        saw_bin |= !strcmp(buf, "provider.bin");
        saw_regions |= !strcmp(buf, "pilot.regions");
    }
    assert_true(n > 20);
    assert_true(saw_bin && saw_regions);
    assert_null(gv_conf_key_name(n, buf, sizeof buf));
}

/* ---- the account check's verdict (R0, R3, R8) ------------------------------ */

static gv_conf_t *check_conf;
static char *check_dir, *check_path;

static int check_setup(void **state)
{
    gv_errlist_t errs = { 0 };
    (void)state;

    check_dir = tu_temp_dir();
    check_path = tu_path_in(check_dir, "gasvoucher.conf");
    tu_write_file(check_path, BASE);
    check_conf = gv_conf_load(check_path, &errs);
    gv_errlist_free(&errs);
    return check_conf ? 0 : -1;
}

static int check_teardown(void **state)
{
    (void)state;
    gv_conf_free(check_conf);
    tu_remove(check_path);
    tu_remove_dir(check_dir);
    return 0;
}

typedef struct {
    const char *name;
    int exists;
    const char *closed_on;      /* NULL = open */
    int household;
    const char *region;
    const char *period;
    gv_check_result_t expect;
} check_case_t;

static const check_case_t check_cases[] = {
    { "no record", 0, NULL, 1, "KZ-75", "2025-09", GV_CHECK_NOT_FOUND },
    { "open household in pilot", 1, NULL, 1, "KZ-75", "2025-09", GV_CHECK_FOUND },
    { "closed before the period", 1, "2025-08-31", 1, "KZ-75", "2025-09", GV_CHECK_CLOSED },
    { "closed long before", 1, "1900-01-01", 1, "KZ-75", "2025-09", GV_CHECK_CLOSED },
    { "closed on the first day", 1, "2025-09-01", 1, "KZ-75", "2025-09", GV_CHECK_FOUND },
    { "closed during the period", 1, "2025-09-15", 1, "KZ-75", "2025-09", GV_CHECK_FOUND },
    { "closed on the last day", 1, "2025-09-30", 1, "KZ-75", "2025-09", GV_CHECK_FOUND },
    { "closed after the period", 1, "2025-10-01", 1, "KZ-75", "2025-09", GV_CHECK_FOUND },
    { "closed before February", 1, "2026-01-31", 1, "KZ-71", "2026-02", GV_CHECK_CLOSED },
    { "closed on 1 February", 1, "2026-02-01", 1, "KZ-71", "2026-02", GV_CHECK_FOUND },
    { "closed 29 February 2024", 1, "2024-02-29", 1, "KZ-71", "2024-03", GV_CHECK_CLOSED },
    /* R0: CLOSED before NOT_HOUSEHOLD before REGION_NOT_IN_PILOT */
    { "closed, business, out of pilot", 1, "2025-08-31", 0, "KZ-55", "2025-09",
      GV_CHECK_CLOSED },
    { "closed, business", 1, "2025-08-31", 0, "KZ-75", "2025-09", GV_CHECK_CLOSED },
    { "closed, out of pilot", 1, "2025-08-31", 1, "KZ-55", "2025-09", GV_CHECK_CLOSED },
    { "business out of pilot", 1, NULL, 0, "KZ-55", "2025-09", GV_CHECK_NOT_HOUSEHOLD },
    { "business in pilot", 1, NULL, 0, "KZ-75", "2025-09", GV_CHECK_NOT_HOUSEHOLD },
    { "closed in period, business", 1, "2025-09-10", 0, "KZ-75", "2025-09",
      GV_CHECK_NOT_HOUSEHOLD },
    { "household Pavlodar", 1, NULL, 1, "KZ-55", "2025-09", GV_CHECK_REGION_NOT_IN_PILOT },
    { "household Abai", 1, NULL, 1, "KZ-10", "2025-09", GV_CHECK_REGION_NOT_IN_PILOT },
    { "household North Kazakhstan", 1, NULL, 1, "KZ-59", "2025-09",
      GV_CHECK_REGION_NOT_IN_PILOT },
    { "household no region", 1, NULL, 1, "", "2025-09", GV_CHECK_REGION_NOT_IN_PILOT },
    { "household lowercase region", 1, NULL, 1, "kz-75", "2025-09",
      GV_CHECK_REGION_NOT_IN_PILOT },
    { "household Ulytau", 1, NULL, 1, "KZ-62", "2025-09", GV_CHECK_FOUND },
    { "household Shymkent", 1, NULL, 1, "KZ-79", "2026-06", GV_CHECK_FOUND },
};

static void build_record(const check_case_t *c, gv_account_record_t *rec)
{
    memset(rec, 0, sizeof *rec);
    snprintf(rec->account, sizeof rec->account, "0012345678");
    snprintf(rec->holder, sizeof rec->holder, "Ахметова Айгуль Бековна");
    snprintf(rec->address, sizeof rec->address, "г. Алматы, ул. Жандосова, д. 12, кв. 34");
    snprintf(rec->region, sizeof rec->region, "%s", c->region);
    rec->household = c->household;
    rec->metered = 1;
    rec->residents = 3;
    if (c->closed_on) {
        rec->closed = 1;
        assert_int_equal(gv_date_parse(c->closed_on, &rec->closed_on), 0);
    }
}

static void test_check_table(void **state)
{
    int failures = 0;
    (void)state;

    for (size_t i = 0; i < TU_COUNT(check_cases); i++) {
        const check_case_t *c = &check_cases[i];
        gv_account_record_t rec;
        gv_period_t p;
        gv_check_result_t r;

        build_record(c, &rec);
        assert_int_equal(gv_period_parse(c->period, &p), 0);
        r = gv_check_decide(c->exists ? &rec : NULL, p, check_conf);
        if (r != c->expect) {
            print_message("FAIL %s: %s, expected %s\n", c->name, gv_check_result_name(r),
                          gv_check_result_name(c->expect));
            failures++;
        }
    }
    assert_int_equal(failures, 0);
}

/* closed = 0 means open, whatever closed_on holds. */
static void test_check_closed_flag(void **state)
{
    gv_account_record_t rec;
    gv_period_t p = { 2025, 9 };
    (void)state;

    build_record(&check_cases[1], &rec);
    rec.closed = 0;
    rec.closed_on = 0;     /* 1970-01-01, ignored */
    assert_int_equal(gv_check_decide(&rec, p, check_conf), GV_CHECK_FOUND);
}

/* Regions are configuration (R3): a pilot extended to Pavlodar. */
static void test_check_configured_regions(void **state)
{
    loaded_t l;
    gv_account_record_t rec;
    gv_period_t p = { 2025, 9 };
    (void)state;

    load_text(&l, BASE "[pilot]\nregions = KZ-55\n");
    assert_non_null(l.conf);
    build_record(&check_cases[1], &rec);
    snprintf(rec.region, sizeof rec.region, "KZ-55");
    assert_int_equal(gv_check_decide(&rec, p, l.conf), GV_CHECK_FOUND);
    snprintf(rec.region, sizeof rec.region, "KZ-75");
    assert_int_equal(gv_check_decide(&rec, p, l.conf), GV_CHECK_REGION_NOT_IN_PILOT);
    unload(&l);
}

static void test_check_result_names(void **state)
{
    (void)state;
    assert_string_equal(gv_check_result_name(GV_CHECK_FOUND), "FOUND");
    assert_string_equal(gv_check_result_name(GV_CHECK_NOT_FOUND), "NOT_FOUND");
    assert_string_equal(gv_check_result_name(GV_CHECK_CLOSED), "CLOSED");
    assert_string_equal(gv_check_result_name(GV_CHECK_NOT_HOUSEHOLD), "NOT_HOUSEHOLD");
    assert_string_equal(gv_check_result_name(GV_CHECK_REGION_NOT_IN_PILOT),
                        "REGION_NOT_IN_PILOT");
    assert_string_equal(gv_check_result_name(GV_CHECK_COUNT), "?");
}

int main(void)
{
    const struct CMUnitTest conf_tests[] = {
        cmocka_unit_test(test_minimal_defaults),
        cmocka_unit_test(test_full_file),
        cmocka_unit_test(test_plain_http_on_loopback),
        cmocka_unit_test(test_error_table),
        cmocka_unit_test(test_empty_zone),
        cmocka_unit_test(test_line_length),
        cmocka_unit_test(test_long_value_line),
        cmocka_unit_test(test_all_errors_reported),
        cmocka_unit_test(test_missing_file),
        cmocka_unit_test(test_errors_appended),
        cmocka_unit_test(test_relative_to_cwd),
        cmocka_unit_test(test_hostport_loopback),
        cmocka_unit_test(test_key_names),
    };
    const struct CMUnitTest check_tests[] = {
        cmocka_unit_test(test_check_table),
        cmocka_unit_test(test_check_closed_flag),
        cmocka_unit_test(test_check_configured_regions),
        cmocka_unit_test(test_check_result_names),
    };
    int rc = cmocka_run_group_tests_name("conf", conf_tests, NULL, NULL);
    rc += cmocka_run_group_tests_name("check", check_tests, check_setup, check_teardown);
    return rc;
}
