/* The reservations of interpreters named in offer calls on their way. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>

#include "../../../src/server/server.h"

static void test_counted(void **state)
{
    (void)state;
    dm_reserve *r = dm_reserve_new();
    assert_non_null(r);
    assert_false(dm_reserve_has(r, "i-a1"));
    assert_true(dm_reserve_add(r, "i-a1"));
    assert_true(dm_reserve_add(r, "i-a1")); /* named by a second call */
    assert_true(dm_reserve_add(r, "i-a2"));
    assert_int_equal(dm_reserve_size(r), 2);
    dm_reserve_del(r, "i-a1");
    assert_true(dm_reserve_has(r, "i-a1")); /* the second call still names it */
    dm_reserve_del(r, "i-a1");
    assert_false(dm_reserve_has(r, "i-a1"));
    assert_true(dm_reserve_has(r, "i-a2"));
    dm_reserve_del(r, "i-absent"); /* releasing what was never taken changes nothing */
    assert_int_equal(dm_reserve_size(r), 1);
    dm_reserve_free(r);
}

static void test_many(void **state)
{
    (void)state;
    dm_reserve *r = dm_reserve_new();
    char id[16];
    /* More ids than buckets: chains hold them all, and each comes out once. */
    for (int i = 0; i < 10000; i++) {
        snprintf(id, sizeof id, "i-%d", i);
        assert_true(dm_reserve_add(r, id));
    }
    assert_int_equal(dm_reserve_size(r), 10000);
    for (int i = 0; i < 10000; i += 2) {
        snprintf(id, sizeof id, "i-%d", i);
        dm_reserve_del(r, id);
    }
    for (int i = 0; i < 10000; i++) {
        snprintf(id, sizeof id, "i-%d", i);
        assert_true(dm_reserve_has(r, id) == (i % 2 == 1));
    }
    assert_int_equal(dm_reserve_size(r), 5000);
    dm_reserve_free(r); /* frees what is left */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_counted),
        cmocka_unit_test(test_many),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
