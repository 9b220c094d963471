/* test_db_readonly.c - a read-only connection (gv_db_opts_t.read_only,
 * the account check's) reads but cannot change a real SQLite database,
 * and an ordinary one can; through the real driver (libsqlite3odbc). */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db.h"

static char path[64], connstr[160];

static int setup(void **state)
{
    int fd;

    (void)state;
    snprintf(path, sizeof path, "/tmp/gv-readonly-XXXXXX");
    if ((fd = mkstemp(path)) < 0)
        return -1;
    close(fd);
    snprintf(connstr, sizeof connstr, "Driver=SQLite3;Database=%s;Timeout=10000", path);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    unlink(path);
    return 0;
}

static gv_db_t *connect_db(int read_only)
{
    gv_db_opts_t opts = { 5, 5, 100, 1000, read_only };
    gv_db_t *db = gv_db_new(connstr, &opts);
    gv_db_error_t e;

    assert_non_null(db);
    if (gv_db_ensure(db, 0, &e) < 0)
        fail_msg("cannot connect to %s: %s", path, e.msg);
    return db;
}

static void test_read_only_refuses_writes(void **state)
{
    gv_db_t *rw, *ro;
    gv_db_stmt_t *st;
    gv_db_error_t e;
    char v[16];
    int is_null = 1;

    (void)state;
    rw = connect_db(0);
    assert_int_equal(gv_db_exec(rw, "CREATE TABLE t (x TEXT)", &e), 0);
    assert_int_equal(gv_db_exec(rw, "INSERT INTO t VALUES ('kept')", &e), 0);

    ro = connect_db(1);
    assert_int_not_equal(gv_db_exec(ro, "INSERT INTO t VALUES ('written')", &e), 0);
    assert_int_not_equal(gv_db_exec(ro, "UPDATE t SET x = 'changed'", &e), 0);
    assert_int_not_equal(gv_db_exec(ro, "CREATE TABLE u (y TEXT)", &e), 0);
    /* and it still reads */
    assert_non_null(st = gv_db_prepare(ro, "SELECT x FROM t", &e));
    assert_int_equal(gv_db_execute(st, &e), 0);
    assert_int_equal(gv_db_fetch(st, &e), 1);
    assert_int_equal(gv_db_get_text(st, 1, v, sizeof v, &is_null, &e), 0);
    assert_string_equal(v, "kept");
    assert_int_equal(gv_db_fetch(st, &e), 0);
    gv_db_stmt_free(st);
    gv_db_free(ro);

    /* nothing changed, and the ordinary connection still writes */
    assert_non_null(st = gv_db_prepare(rw, "SELECT COUNT(*), MIN(x) FROM t", &e));
    assert_int_equal(gv_db_execute(st, &e), 0);
    assert_int_equal(gv_db_fetch(st, &e), 1);
    assert_int_equal(gv_db_get_text(st, 1, v, sizeof v, &is_null, &e), 0);
    assert_string_equal(v, "1");
    assert_int_equal(gv_db_get_text(st, 2, v, sizeof v, &is_null, &e), 0);
    assert_string_equal(v, "kept");
    gv_db_stmt_free(st);
    assert_int_equal(gv_db_exec(rw, "INSERT INTO t VALUES ('more')", &e), 0);
    gv_db_free(rw);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_read_only_refuses_writes),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
