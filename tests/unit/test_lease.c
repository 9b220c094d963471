/* test_lease.c - when a lease held by someone else may be taken over
 * (lease.h): silence measured by the taker's own clock, a process of this
 * node that has ended, and never a live holder whatever the clocks say. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "lease.h"

static const char *ended;       /* the process key gone() says has ended */

static int gone(const char *process)
{
    return ended && !strcmp(process, ended);
}

static gv_lease_row_t row(const char *holder, const char *process, const char *token,
                          int64_t beat)
{
    gv_lease_row_t r;

    memset(&r, 0, sizeof r);
    snprintf(r.name, sizeof r.name, "billing");
    snprintf(r.holder, sizeof r.holder, "%s", holder);
    snprintf(r.process, sizeof r.process, "%s", process);
    snprintf(r.token, sizeof r.token, "%s", token);
    r.beat = beat;
    r.ttl_s = 30;
    /* The holder's clock, days off: never looked at. */
    r.taken_at = r.renewed_at = 4102444800;
    return r;
}

#define ME "3f2a9b1c/4026531836/100/5000"
#define OTHER_HERE "3f2a9b1c/4026531836/200/6000"
#define OTHER_HOST "77aa00ff/4026531836/200/6000"

static void free_and_ours(void **state)
{
    gv_lease_watch_t w = { 0 };
    gv_lease_row_t r = row("node-a", OTHER_HERE, "", 7);

    (void)state;
    assert_int_equal(gv_lease_judge(&r, "node-a", ME, "", &w, 0, gone), GV_LEASE_FREE);
    r = row("node-a", ME, "tok1", 8);
    assert_int_equal(gv_lease_judge(&r, "node-a", ME, "tok1", &w, 0, gone), GV_LEASE_OURS);
    /* Our process, another token: not ours (lost and retaken). */
    assert_int_equal(gv_lease_judge(&r, "node-a", ME, "tok0", &w, 0, gone), GV_LEASE_ALIVE);
}

static void silence_by_own_clock(void **state)
{
    gv_lease_watch_t w = { 0 };
    gv_lease_row_t r = row("node-b", OTHER_HOST, "tokb", 3);

    (void)state;
    ended = NULL;
    /* First sight: alive, counted from now, however old the row looks. */
    assert_int_equal(gv_lease_judge(&r, "node-a", ME, "", &w, 1000000, gone), GV_LEASE_ALIVE);
    assert_int_equal(gv_lease_judge(&r, "node-a", ME, "", &w, 1029999, gone), GV_LEASE_ALIVE);
    /* Renewed (beat moved): the silence starts again. */
    r.beat = 4;
    assert_int_equal(gv_lease_judge(&r, "node-a", ME, "", &w, 1029999, gone), GV_LEASE_ALIVE);
    assert_int_equal(gv_lease_judge(&r, "node-a", ME, "", &w, 1059998, gone), GV_LEASE_ALIVE);
    assert_int_equal(gv_lease_judge(&r, "node-a", ME, "", &w, 1059999, gone), GV_LEASE_SILENT);
    /* Taken by a third holder meanwhile: alive again. */
    r = row("node-c", OTHER_HOST, "tokc", 5);
    assert_int_equal(gv_lease_judge(&r, "node-a", ME, "", &w, 1070000, gone), GV_LEASE_ALIVE);
}

static void ended_process_of_this_node(void **state)
{
    gv_lease_watch_t w = { 0 };
    gv_lease_row_t r = row("node-a", OTHER_HERE, "tokx", 9);

    (void)state;
    ended = OTHER_HERE;
    assert_int_equal(gv_lease_judge(&r, "node-a", ME, "", &w, 0, gone), GV_LEASE_DEAD);
    /* Another node's name, or another kernel: its pids mean nothing here. */
    memset(&w, 0, sizeof w);
    r = row("node-b", OTHER_HERE, "tokx", 9);
    assert_int_equal(gv_lease_judge(&r, "node-a", ME, "", &w, 0, gone), GV_LEASE_ALIVE);
    memset(&w, 0, sizeof w);
    ended = OTHER_HOST;
    r = row("node-a", OTHER_HOST, "tokx", 9);
    assert_int_equal(gv_lease_judge(&r, "node-a", ME, "", &w, 0, gone), GV_LEASE_ALIVE);
    /* Still running: alive. */
    memset(&w, 0, sizeof w);
    ended = NULL;
    r = row("node-a", OTHER_HERE, "tokx", 9);
    assert_int_equal(gv_lease_judge(&r, "node-a", ME, "", &w, 0, gone), GV_LEASE_ALIVE);
}

static void same_host(void **state)
{
    (void)state;
    assert_true(gv_lease_same_host(ME, OTHER_HERE));
    assert_false(gv_lease_same_host(ME, OTHER_HOST));
    assert_false(gv_lease_same_host(ME, "3f2a9b1c/4026532000/200/6000"));
    assert_false(gv_lease_same_host("?/4026531836/1/2", "?/4026531836/1/2"));
    assert_false(gv_lease_same_host(ME, "garbage"));
    assert_false(gv_lease_same_host(ME, ""));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(free_and_ours),
        cmocka_unit_test(silence_by_own_clock),
        cmocka_unit_test(ended_process_of_this_node),
        cmocka_unit_test(same_host),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
