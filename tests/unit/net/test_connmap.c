/* The lws thread's id → connection map: growth past 20,000 entries and
 * deletion (backward shift) checked against a plain array model. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "../../../src/net/connmap.h"

#include <stdbool.h>
#include <stdlib.h>

enum { N = 50000 };

static uint64_t rng_state = 88172645463325252ull;

static uint64_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static void *value_of(uint64_t id)
{
    return (void *)(uintptr_t)(id * 2 + 1);
}

static void test_put_get_del(void **state)
{
    (void)state;
    dm_connmap m;
    assert_int_equal(dm_connmap_init(&m), 0);
    bool *live = calloc(N + 1, sizeof *live);
    for (uint64_t id = 1; id <= N; id++) {
        assert_int_equal(dm_connmap_put(&m, id, value_of(id)), 0);
        live[id] = true;
    }
    assert_int_equal(m.count, N);
    /* Random deletions exercise probe runs that wrap around the table. */
    for (int i = 0; i < N; i++) {
        uint64_t id = 1 + rng() % N;
        dm_connmap_del(&m, id);
        live[id] = false;
    }
    size_t expected = 0;
    for (uint64_t id = 1; id <= N; id++) {
        expected += live[id];
        assert_ptr_equal(dm_connmap_get(&m, id), live[id] ? value_of(id) : NULL);
    }
    assert_int_equal(m.count, expected);
    size_t cursor = 0, seen = 0;
    while (dm_connmap_next(&m, &cursor))
        seen++;
    assert_int_equal(seen, expected);
    for (uint64_t id = 1; id <= N; id++)
        dm_connmap_del(&m, id);
    assert_int_equal(m.count, 0);
    assert_null(dm_connmap_get(&m, 7));
    assert_null(dm_connmap_get(&m, 0));
    dm_connmap_free(&m);
    free(live);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_put_get_del),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
