/* The connection table: ids, delivery targets, growth and removal. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "../../../src/server/server.h"

static dm_conn *add_bound(dm_conns *t, uint64_t id, dm_role role, const char *subject)
{
    dm_conn *c = dm_conns_add(t, id);
    assert_non_null(c);
    c->actor.role = role;
    snprintf(c->actor.subject, sizeof c->actor.subject, "%s", subject);
    dm_conns_bind(t, c);
    return c;
}

static size_t count_target(dm_conns *t, const char *target)
{
    size_t n = 0;
    for (dm_conn *c = dm_conns_target(t, target); c; c = c->snext)
        n++;
    return n;
}

static void test_targets(void **state)
{
    (void)state;
    dm_conns *t = dm_conns_new();
    add_bound(t, 1, DM_ROLE_INTERPRETER, "i-amal");
    add_bound(t, 2, DM_ROLE_INTERPRETER, "i-amal"); /* a second phone */
    add_bound(t, 3, DM_ROLE_CLINIC, "c-north");
    add_bound(t, 4, DM_ROLE_COORDINATOR, "u-a");
    add_bound(t, 5, DM_ROLE_COORDINATOR, "u-b");
    assert_int_equal(count_target(t, "i:i-amal"), 2);
    assert_int_equal(count_target(t, "c:c-north"), 1);
    assert_int_equal(count_target(t, "coord"), 2);
    assert_int_equal(count_target(t, "i:i-karim"), 0);
    dm_conns_remove(t, 1);
    assert_int_equal(count_target(t, "i:i-amal"), 1);
    assert_null(dm_conns_get(t, 1));
    dm_conns_remove(t, 2);
    assert_null(dm_conns_target(t, "i:i-amal"));
    dm_conns_remove(t, 99); /* unknown ids are ignored */
    dm_conns_free(t);
}

static void count_each(dm_conn *c, void *ud)
{
    (void)c;
    (*(size_t *)ud)++;
}

static void test_growth_and_unbound(void **state)
{
    (void)state;
    dm_conns *t = dm_conns_new();
    for (uint64_t id = 1; id <= 5000; id++)
        assert_non_null(dm_conns_add(t, id));
    for (uint64_t id = 1; id <= 5000; id += 7)
        assert_int_equal(dm_conns_get(t, id)->id, id);
    for (uint64_t id = 2; id <= 5000; id += 2)
        dm_conns_remove(t, id);
    size_t n = 0;
    dm_conns_each(t, count_each, &n);
    assert_int_equal(n, 2500);
    assert_null(dm_conns_get(t, 4));
    assert_non_null(dm_conns_get(t, 4999));
    dm_conns_free(t); /* frees what is left */
}

/* Thousands of interpreters, each its own target: every one is still found
 * after the table of targets has doubled many times, and after leaving. */
static void test_many_targets(void **state)
{
    (void)state;
    dm_conns *t = dm_conns_new();
    char subject[32], key[40];
    for (uint64_t id = 1; id <= 3000; id++) {
        snprintf(subject, sizeof subject, "i-%llu", (unsigned long long)id);
        add_bound(t, id, DM_ROLE_INTERPRETER, subject);
    }
    for (uint64_t id = 1; id <= 3000; id++) {
        snprintf(key, sizeof key, "i:i-%llu", (unsigned long long)id);
        assert_int_equal(count_target(t, key), 1);
    }
    for (uint64_t id = 1; id <= 3000; id += 2)
        dm_conns_remove(t, id);
    assert_null(dm_conns_target(t, "i:i-1"));
    assert_int_equal(count_target(t, "i:i-2"), 1);
    add_bound(t, 3001, DM_ROLE_INTERPRETER, "i-2"); /* a second phone of one still there */
    assert_int_equal(count_target(t, "i:i-2"), 2);
    dm_conns_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_targets),
        cmocka_unit_test(test_growth_and_unbound),
        cmocka_unit_test(test_many_targets),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
