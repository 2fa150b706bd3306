/* This server's copy of the candidates' registry entries (CREC). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../../src/server/server.h"

/* An array reply of n strings (id, entry, ...), all owned by the reply. */
typedef struct reply {
    redisReply top;
    redisReply *items;
    redisReply **ptrs;
} reply;

static void reply_init(reply *r, size_t n)
{
    r->items = calloc(n ? n : 1, sizeof *r->items);
    r->ptrs = calloc(n ? n : 1, sizeof *r->ptrs);
    assert_non_null(r->items);
    assert_non_null(r->ptrs);
    for (size_t i = 0; i < n; i++)
        r->ptrs[i] = &r->items[i];
    r->top = (redisReply){.type = REDIS_REPLY_ARRAY, .elements = n, .element = r->ptrs};
}

static void reply_set(reply *r, size_t i, const char *s)
{
    free(r->items[i].str);
    r->items[i] = (redisReply){.type = REDIS_REPLY_STRING, .str = strdup(s), .len = strlen(s)};
}

static void reply_free(reply *r)
{
    for (size_t i = 0; i < r->top.elements; i++)
        free(r->items[i].str);
    free(r->items);
    free(r->ptrs);
}

static redisReply version_of(const char *v)
{
    return (redisReply){.type = REDIS_REPLY_STRING, .str = (char *)v, .len = strlen(v)};
}

static bool update(dm_crecs *cs, const char *sent, const char *version, const char *const *kv, size_t n)
{
    reply r;
    reply_init(&r, n);
    for (size_t i = 0; i < n; i++)
        reply_set(&r, i, kv[i]);
    redisReply v = version_of(version);
    bool ok = dm_crecs_update(cs, sent, &v, &r.top);
    reply_free(&r);
    return ok;
}

static void test_changes_apply_to_their_version(void **state)
{
    (void)state;
    dm_crecs *cs = dm_crecs_new();
    assert_string_equal(dm_crecs_version(cs), "");
    static const char *const all[] = {"i-a", "ar:certified\tfemale\tvideo\t\t1", "i-b", "ar:trained\tmale\tphone\t\t1"};
    assert_true(update(cs, "", "9:4", all, 4));
    assert_string_equal(dm_crecs_version(cs), "9:4");
    assert_int_equal(dm_crecs_get(cs, "i-a", 3)->gender, DM_GENDER_FEMALE);
    /* The id need not be terminated: it is a line of a longer reply. */
    assert_non_null(dm_crecs_get(cs, "i-bXX", 3));
    assert_null(dm_crecs_get(cs, "i-", 2));
    assert_null(dm_crecs_get(cs, "i-c", 3));

    /* A change since 9:4 replaces the entry. */
    static const char *const change[] = {"i-a", "ar:certified\tfemale\tphone\t\t0"};
    assert_true(update(cs, "9:4", "9:5", change, 2));
    assert_string_equal(dm_crecs_version(cs), "9:5");
    assert_false(dm_crecs_get(cs, "i-a", 3)->active);

    /* A reply to a call made with 9:4 came second: it is not the difference
     * from 9:5, so the copy stays as it is. */
    static const char *const stale[] = {"i-b", "ar:trained\tmale\tphone\t\t0"};
    assert_true(update(cs, "9:4", "9:6", stale, 2));
    assert_string_equal(dm_crecs_version(cs), "9:5");
    assert_true(dm_crecs_get(cs, "i-b", 3)->active);
    dm_crecs_free(cs);
}

static void test_bad_replies(void **state)
{
    (void)state;
    dm_crecs *cs = dm_crecs_new();
    static const char *const good[] = {"i-a", "ar:certified\tfemale\tvideo\t\t1"};
    assert_true(update(cs, "", "1:1", good, 2));
    redisReply none = {.type = REDIS_REPLY_NIL};
    reply empty;
    reply_init(&empty, 0);
    assert_false(dm_crecs_update(cs, "1:1", &none, &empty.top));
    assert_false(dm_crecs_update(cs, "1:1", NULL, &empty.top));
    redisReply v = version_of("1:2");
    assert_false(dm_crecs_update(cs, "1:1", &v, &none));
    reply_free(&empty);
    assert_string_equal(dm_crecs_version(cs), "1:1");

    /* An entry that does not parse drops the version: the next call reads all. */
    static const char *const broken[] = {"i-b", "broken"};
    assert_false(update(cs, "1:1", "1:2", broken, 2));
    assert_string_equal(dm_crecs_version(cs), "");
    assert_non_null(dm_crecs_get(cs, "i-a", 3));

    /* An odd count leaves the last id without an entry: it is ignored. */
    static const char *const odd[] = {"i-c", "fa:trained\tmale\tphone\t\t1", "i-d"};
    assert_true(update(cs, "", "1:3", odd, 3));
    assert_non_null(dm_crecs_get(cs, "i-c", 3));
    assert_null(dm_crecs_get(cs, "i-d", 3));
    dm_crecs_forget(cs);
    assert_string_equal(dm_crecs_version(cs), "");
    dm_crecs_free(cs);
}

static void test_many(void **state)
{
    (void)state;
    dm_crecs *cs = dm_crecs_new();
    enum { N = 20000 };
    reply r;
    reply_init(&r, 2 * N);
    char id[16];
    for (int i = 0; i < N; i++) {
        snprintf(id, sizeof id, "i-%d", i);
        reply_set(&r, 2 * (size_t)i, id);
        reply_set(&r, 2 * (size_t)i + 1, i % 2 ? "ar:trained\tmale\tphone\t\t1" : "fa:certified\tfemale\tvideo\t\t1");
    }
    redisReply v = version_of("3:20000");
    assert_true(dm_crecs_update(cs, "", &v, &r.top));
    reply_free(&r);
    /* Far more entries than the first buckets: the table grew and finds each. */
    for (int i = 0; i < N; i++) {
        snprintf(id, sizeof id, "i-%d", i);
        const dm_candidate *c = dm_crecs_get(cs, id, strlen(id));
        assert_non_null(c);
        assert_string_equal(c->id, id);
        assert_int_equal(c->gender, i % 2 ? DM_GENDER_MALE : DM_GENDER_FEMALE);
    }
    dm_crecs_free(cs);
    dm_crecs_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_changes_apply_to_their_version),
        cmocka_unit_test(test_bad_replies),
        cmocka_unit_test(test_many),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
