/* test_db_table.c - the one table from SQLSTATE (and native code) to what a
 * failure means: retry, reconnect, duplicate or permanent (db.h). */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "db.h"

typedef struct {
    const char *sqlstate;
    long native;
    gv_db_action_t action;
    const char *why;
} state_case_t;

static const state_case_t cases[] = {
    /* the connection is gone */
    { "08001", 0, GV_DB_RECONNECT, "cannot connect" },
    { "08S01", 0, GV_DB_RECONNECT, "communication link failure" },
    { "08003", 0, GV_DB_RECONNECT, "connection does not exist" },
    { "08004", 0, GV_DB_RECONNECT, "server rejected the connection" },
    { "08006", 0, GV_DB_RECONNECT, "PostgreSQL connection failure" },
    { "08S01", 2013, GV_DB_RECONNECT, "any native code" },
    { "HY000", 2002, GV_DB_RECONNECT, "MariaDB cannot connect (socket)" },
    { "HY000", 2003, GV_DB_RECONNECT, "MariaDB cannot connect (TCP)" },
    { "HY000", 2006, GV_DB_RECONNECT, "MariaDB server has gone away" },
    { "HY000", 2013, GV_DB_RECONNECT, "MariaDB lost connection during query" },
    { "HY001", 2013, GV_DB_RECONNECT, "MariaDB lost connection, seen at BEGIN" },
    { "HY001", 2006, GV_DB_RECONNECT, "MariaDB server gone away, seen at BEGIN" },
    { "57P01", 0, GV_DB_RECONNECT, "PostgreSQL admin shutdown" },
    { "57P02", 0, GV_DB_RECONNECT, "PostgreSQL crash shutdown" },
    { "57P03", 0, GV_DB_RECONNECT, "PostgreSQL cannot connect now" },
    { "HYT01", 0, GV_DB_RECONNECT, "connection timeout" },
    /* run the transaction again */
    { "40001", 0, GV_DB_RETRY, "serialisation failure" },
    { "40P01", 0, GV_DB_RETRY, "PostgreSQL deadlock" },
    { "40001", 1213, GV_DB_RETRY, "MariaDB deadlock as 40001" },
    { "HY000", 1213, GV_DB_RETRY, "MariaDB deadlock" },
    { "HY000", 1205, GV_DB_RETRY, "MariaDB lock wait timeout" },
    { "HY000", 5, GV_DB_RETRY, "SQLite busy" },
    { "HY000", 6, GV_DB_RETRY, "SQLite locked" },
    { "HYT00", 0, GV_DB_RETRY, "query timeout" },
    { "HY008", 0, GV_DB_RETRY, "operation cancelled" },
    /* a unique key refused the row */
    { "23505", 0, GV_DB_DUPLICATE, "PostgreSQL unique violation" },
    { "23000", 1062, GV_DB_DUPLICATE, "MariaDB duplicate key" },
    { "HY000", 19, GV_DB_DUPLICATE, "SQLite constraint" },
    /* permanent */
    { "23503", 0, GV_DB_PERMANENT, "foreign key violation" },
    { "23502", 0, GV_DB_PERMANENT, "not null violation" },
    { "23000", 1452, GV_DB_PERMANENT, "MariaDB foreign key" },
    { "23000", 0, GV_DB_PERMANENT, "integrity violation, no code" },
    { "42P01", 0, GV_DB_PERMANENT, "PostgreSQL undefined table" },
    { "42S02", 0, GV_DB_PERMANENT, "base table not found" },
    { "42S22", 0, GV_DB_PERMANENT, "column not found" },
    { "42000", 1064, GV_DB_PERMANENT, "MariaDB syntax error" },
    { "22007", 0, GV_DB_PERMANENT, "invalid datetime format" },
    { "07002", 0, GV_DB_PERMANENT, "wrong number of parameters" },
    { "HY000", 0, GV_DB_PERMANENT, "general error without code" },
    { "HY000", 1, GV_DB_PERMANENT, "SQLite generic error" },
    { "HY001", 0, GV_DB_PERMANENT, "memory allocation" },
    { "IM002", 0, GV_DB_PERMANENT, "data source not found" },
    { "", 0, GV_DB_PERMANENT, "no SQLSTATE" },
    { "", 2006, GV_DB_PERMANENT, "no SQLSTATE, a MariaDB code" },
    { "0", 0, GV_DB_PERMANENT, "a truncated SQLSTATE" },
    { "00000", 0, GV_DB_PERMANENT, "success state" },
};

static void test_sqlstate_table(void **state)
{
    int failures = 0;
    (void)state;

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        gv_db_action_t a = gv_sqlstate_action(cases[i].sqlstate, cases[i].native);
        if (a != cases[i].action) {
            print_message("FAIL %s (\"%s\"/%ld): %s, expected %s\n", cases[i].why,
                          cases[i].sqlstate, cases[i].native, gv_db_action_name(a),
                          gv_db_action_name(cases[i].action));
            failures++;
        }
    }
    assert_int_equal(failures, 0);
}

/* Every HY000 native code that is not in the table is permanent: a broken
 * statement is never retried for ever. */
static void test_unknown_native_codes(void **state)
{
    static const long known[] = { 2002, 2003, 2006, 2013, 1205, 1213, 5, 6, 19 };
    (void)state;

    for (long n = -10; n < 5000; n++) {
        int is_known = 0;
        for (size_t k = 0; k < sizeof known / sizeof known[0]; k++)
            is_known |= known[k] == n;
        if (!is_known)
            assert_int_equal(gv_sqlstate_action("HY000", n), GV_DB_PERMANENT);
    }
}

/* The connection class 08 reconnects whatever the subclass. */
static void test_class_08(void **state)
{
    char st[6];
    (void)state;

    for (int i = 0; i < 1000; i++) {
        snprintf(st, sizeof st, "08%03d", i);
        assert_int_equal(gv_sqlstate_action(st, 0), GV_DB_RECONNECT);
    }
}

/* psqlODBC's words for a lost connection under HY000, as seen in the
 * fault tests, and messages that must not be taken for one. */
static void test_lost_messages(void **state)
{
    static const char *const lost[] = {
        "execute: [HY000/1] FATAL:  terminating connection due to administrator command",
        "fetch: [HY000/1] server closed the connection unexpectedly",
        "commit: [HY000/1] The connection has been lost",
        "prepare: [HY000/1] no connection to the server",
    };
    static const char *const not_lost[] = {
        "execute: [HY000/7] ERROR:  column \"x\" does not exist",
        "execute: [HY000/1] ERROR:  connection limit exceeded for non-superusers",
        "prepare: [HY000/8] internal SAVEPOINT failed",
        "",
    };
    (void)state;

    for (size_t i = 0; i < sizeof lost / sizeof lost[0]; i++)
        assert_true(gv_db_message_means_lost(lost[i]));
    for (size_t i = 0; i < sizeof not_lost / sizeof not_lost[0]; i++)
        assert_false(gv_db_message_means_lost(not_lost[i]));
}

static void test_action_names(void **state)
{
    (void)state;
    assert_string_equal(gv_db_action_name(GV_DB_OK), "ok");
    assert_string_equal(gv_db_action_name(GV_DB_RETRY), "retry");
    assert_string_equal(gv_db_action_name(GV_DB_RECONNECT), "reconnect");
    assert_string_equal(gv_db_action_name(GV_DB_DUPLICATE), "duplicate");
    assert_string_equal(gv_db_action_name(GV_DB_PERMANENT), "permanent");
    assert_string_equal(gv_db_action_name((gv_db_action_t)99), "?");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sqlstate_table),
        cmocka_unit_test(test_unknown_native_codes),
        cmocka_unit_test(test_class_08),
        cmocka_unit_test(test_lost_messages),
        cmocka_unit_test(test_action_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
