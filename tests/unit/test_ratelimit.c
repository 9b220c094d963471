/* test_ratelimit.c - token buckets per client, time passed in (R1a). */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ratelimit.h"

#define T0 ((int64_t)1000000)   /* any monotonic reading */

static gv_ratelimit_t *new_rl(long per_second, long burst)
{
    gv_ratelimit_t *rl = malloc(sizeof *rl);
    assert_non_null(rl);
    gv_ratelimit_init(rl, per_second, burst);
    return rl;
}

static void free_rl(gv_ratelimit_t *rl)
{
    gv_ratelimit_destroy(rl);
    free(rl);
}

/* Takes until refused at one instant; returns how many were allowed. */
static int drain(gv_ratelimit_t *rl, const char *key, int64_t now, int64_t *retry)
{
    int n = 0;
    while (n < 100000 && gv_ratelimit_take(rl, key, now, retry))
        n++;
    return n;
}

static void test_burst_then_refusal(void **state)
{
    static const struct {
        long rate, burst;
    } t[] = { { 10, 5 }, { 1, 1 }, { 100, 200 }, { 1000, 1 }, { 3, 7 } };
    (void)state;

    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        gv_ratelimit_t *rl = new_rl(t[i].rate, t[i].burst);
        int64_t retry = -1;
        int64_t one_token_ms = (1000 + t[i].rate - 1) / t[i].rate;

        assert_int_equal(drain(rl, "cert:aa", T0, &retry), t[i].burst);
        /* refused, and told how long: about one token's time */
        retry = -1;
        assert_int_equal(gv_ratelimit_take(rl, "cert:aa", T0, &retry), 0);
        assert_true(retry >= 1);
        assert_true(retry <= one_token_ms + 1);
        /* just before that it is still refused, at that moment allowed */
        if (retry > 1)
            assert_int_equal(gv_ratelimit_take(rl, "cert:aa", T0 + retry - 2, NULL), 0);
        assert_int_equal(gv_ratelimit_take(rl, "cert:aa", T0 + retry, NULL), 1);
        free_rl(rl);
    }
}

/* A NULL retry_after is allowed. */
static void test_null_retry(void **state)
{
    gv_ratelimit_t *rl = new_rl(1, 1);
    (void)state;

    assert_int_equal(gv_ratelimit_take(rl, "k", T0, NULL), 1);
    assert_int_equal(gv_ratelimit_take(rl, "k", T0, NULL), 0);
    free_rl(rl);
}

static void test_refill(void **state)
{
    gv_ratelimit_t *rl = new_rl(10, 5);    /* one token per 100 ms */
    int64_t retry;
    (void)state;

    assert_int_equal(drain(rl, "ip:10.0.0.1", T0, &retry), 5);
    /* 100 ms: one token */
    assert_int_equal(drain(rl, "ip:10.0.0.1", T0 + 100, &retry), 1);
    /* 350 ms later: three (the half token stays) */
    assert_int_equal(drain(rl, "ip:10.0.0.1", T0 + 450, &retry), 3);
    assert_int_equal(drain(rl, "ip:10.0.0.1", T0 + 500, &retry), 1);
    /* a long pause refills to the burst, never beyond */
    assert_int_equal(drain(rl, "ip:10.0.0.1", T0 + 3600 * 1000, &retry), 5);
    /* steady traffic at the rate is always allowed */
    for (int i = 1; i <= 1000; i++)
        assert_int_equal(gv_ratelimit_take(rl, "ip:10.0.0.1", T0 + 3600 * 1000 + i * 100, NULL),
                         1);
    /* time going backwards adds nothing and breaks nothing */
    assert_int_equal(drain(rl, "ip:10.0.0.1", T0, &retry), 0);
    free_rl(rl);
}

/* Over a long run the allowed count follows the rate (+ the burst). */
static void test_long_run_rate(void **state)
{
    gv_ratelimit_t *rl = new_rl(50, 10);
    int allowed = 0;
    (void)state;

    /* 10 attempts per ms for 10 seconds */
    for (int64_t ms = 0; ms < 10000; ms++)
        for (int k = 0; k < 10; k++)
            allowed += gv_ratelimit_take(rl, "flood", T0 + ms, NULL);
    assert_true(allowed >= 10 + 50 * 10 - 2);
    assert_true(allowed <= 10 + 50 * 10 + 1);
    free_rl(rl);
}

static void test_clients_independent(void **state)
{
    gv_ratelimit_t *rl = new_rl(10, 3);
    int64_t retry;
    (void)state;

    assert_int_equal(drain(rl, "cert:aaaa", T0, &retry), 3);
    assert_int_equal(gv_ratelimit_take(rl, "cert:aaaa", T0, &retry), 0);
    /* another client still has its whole burst */
    assert_int_equal(drain(rl, "cert:bbbb", T0, &retry), 3);
    assert_int_equal(drain(rl, "ip:192.168.0.7", T0, &retry), 3);
    /* a prefix or extension of a key is another client */
    assert_int_equal(drain(rl, "cert:aaa", T0, &retry), 3);
    assert_int_equal(drain(rl, "cert:aaaaa", T0, &retry), 3);
    /* and the first is still empty */
    assert_int_equal(gv_ratelimit_take(rl, "cert:aaaa", T0, &retry), 0);
    free_rl(rl);
}

static void test_unlimited(void **state)
{
    gv_ratelimit_t *rl = new_rl(0, 1);
    int64_t retry = -7;
    (void)state;

    for (int i = 0; i < 100000; i++)
        assert_int_equal(gv_ratelimit_take(rl, "cert:aa", T0, &retry), 1);
    assert_int_equal(retry, -7);
    free_rl(rl);
}

/* Many more clients than slots: no crash, the table stays the same size,
 * and each newcomer gets its burst. */
static void test_many_clients(void **state)
{
    gv_ratelimit_t *rl = new_rl(10, 2);
    size_t size_before = sizeof *rl;
    (void)state;

    for (int round = 0; round < 3; round++)
        for (int i = 0; i < 20 * GV_RATE_SLOTS; i++) {
            char key[72];
            int64_t retry;
            snprintf(key, sizeof key, "ip:10.%d.%d.%d", round, i / 256, i % 256);
            if (gv_ratelimit_take(rl, key, T0 + i, &retry) != 1)
                fail_msg("new client %s refused", key);
        }
    assert_int_equal(sizeof *rl, size_before);
    /* a client seen recently keeps its bucket while strangers come and go:
     * it is never the least recently seen, so it is never evicted (an
     * evicted bucket would come back full and let it through again) */
    {
        int64_t retry;
        int allowed = 0;
        gv_ratelimit_t *r2 = new_rl(1, 2);
        assert_int_equal(drain(r2, "cert:steady", T0, &retry), 2);
        for (int i = 1; i <= 4 * GV_RATE_SLOTS; i++) {
            char key[72];
            snprintf(key, sizeof key, "ip:172.16.%d.%d", i / 256, i % 256);
            assert_int_equal(gv_ratelimit_take(r2, key, T0 + i, NULL), 1);
            allowed += gv_ratelimit_take(r2, "cert:steady", T0 + i, &retry);
        }
        /* 4.096 s at one per second */
        assert_true(allowed <= 4);
        free_rl(r2);
    }
    free_rl(rl);
}

/* The longest key that fits (71 bytes) is limited like any other; a longer
 * one must not get a fresh bucket on every request. */
static void test_long_keys(void **state)
{
    char k71[72], k100[101];
    int64_t retry;
    gv_ratelimit_t *rl = new_rl(1, 3);
    (void)state;

    memset(k71, 'a', 71);
    k71[71] = '\0';
    memset(k100, 'b', 100);
    k100[100] = '\0';
    int n71 = drain(rl, k71, T0, &retry);
    int n100 = drain(rl, k100, T0, &retry);
    free_rl(rl);
    assert_int_equal(n71, 3);
    assert_int_equal(n100, 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_burst_then_refusal),
        cmocka_unit_test(test_null_retry),
        cmocka_unit_test(test_refill),
        cmocka_unit_test(test_long_run_rate),
        cmocka_unit_test(test_clients_independent),
        cmocka_unit_test(test_unlimited),
        cmocka_unit_test(test_many_clients),
        cmocka_unit_test(test_long_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
