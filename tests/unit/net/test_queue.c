/* dm_queue: FIFO batches and the empty → non-empty signal, including with
 * producers on other threads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "dragoman/queue.h"

#include <pthread.h>
#include <sched.h>
#include <stdlib.h>

typedef struct item {
    dm_queue_node node;
    int producer;
    int seq;
} item;

static void test_push_reports_empty(void **state)
{
    (void)state;
    dm_queue *q = dm_queue_new();
    assert_non_null(q);
    item a = {.seq = 1}, b = {.seq = 2}, c = {.seq = 3};
    assert_null(dm_queue_take(q));
    assert_true(dm_queue_push(q, &a.node));
    assert_false(dm_queue_push(q, &b.node));
    dm_queue_node *batch = dm_queue_take(q);
    assert_ptr_equal(batch, &a.node);
    assert_ptr_equal(batch->next, &b.node);
    assert_null(batch->next->next);
    assert_null(dm_queue_take(q));
    assert_true(dm_queue_push(q, &c.node));
    assert_ptr_equal(dm_queue_take(q), &c.node);
    dm_queue_free(q);
}

static void test_free_null(void **state)
{
    (void)state;
    dm_queue_free(NULL);
}

enum { PRODUCERS = 2, PER_PRODUCER = 10000 };

typedef struct producer_arg {
    dm_queue *q;
    item *items;
    int id;
    int wakeups;
} producer_arg;

static void *produce(void *p)
{
    producer_arg *arg = p;
    for (int i = 0; i < PER_PRODUCER; i++) {
        item *it = &arg->items[arg->id * PER_PRODUCER + i];
        it->producer = arg->id;
        it->seq = i;
        if (dm_queue_push(arg->q, &it->node))
            arg->wakeups++;
        if (i % 1000 == 0)
            sched_yield();
    }
    return NULL;
}

static void test_concurrent_producers(void **state)
{
    (void)state;
    dm_queue *q = dm_queue_new();
    item *items = calloc(PRODUCERS * PER_PRODUCER, sizeof *items);
    assert_non_null(items);
    pthread_t threads[PRODUCERS];
    producer_arg args[PRODUCERS];
    for (int p = 0; p < PRODUCERS; p++) {
        args[p] = (producer_arg){.q = q, .items = items, .id = p};
        assert_int_equal(pthread_create(&threads[p], NULL, produce, &args[p]), 0);
    }
    int next[PRODUCERS] = {0};
    int received = 0, batches = 0;
    while (received < PRODUCERS * PER_PRODUCER) {
        dm_queue_node *n = dm_queue_take(q);
        if (!n) {
            sched_yield();
            continue;
        }
        batches++;
        for (; n; n = n->next) {
            item *it = (item *)n;
            assert_int_equal(it->seq, next[it->producer]);
            next[it->producer]++;
            received++;
        }
    }
    for (int p = 0; p < PRODUCERS; p++)
        assert_int_equal(pthread_join(threads[p], NULL), 0);
    /* Every non-empty batch was announced by exactly one push. */
    assert_int_equal(args[0].wakeups + args[1].wakeups, batches);
    assert_null(dm_queue_take(q));
    dm_queue_free(q);
    free(items);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_push_reports_empty),
        cmocka_unit_test(test_free_null),
        cmocka_unit_test(test_concurrent_producers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
