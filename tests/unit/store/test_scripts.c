/* Script texts: a script carries the shared definitions it names, directly or
 * through another, in their files' order, and no others; names in comments
 * and string literals do not count. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "dragoman/embedded.h"
#include "dragoman/store.h"

static const dm_embedded sources[] = {
    {"_a", "-- opening comment naming unused_fn\n"
           "local P = 'dm:'\n"
           "local T = redis.call('TIME')\n"
           "local NOW = tonumber(T[1])\n"
           "local LIST = {'x',\n"
           "  'y'}\n"
           "-- comment of helper\n"
           "local function helper(k)\n"
           "  return P .. k\n"
           "end\n"
           "local function uses_now()\n"
           "  return NOW -- and not unused_fn\n"
           "end\n"
           "local function unused_fn()\n"
           "  return LIST\n"
           "end\n"
           "local first, second = 1, 2\n"},
    {"_b", "local function late(x)\n"
           "  return helper(x) .. \"it's unused_fn\"\n"
           "end\n"},
    {"direct", "return helper('k')"},
    {"through", "return late(uses_now())"},
    {"quiet", "-- unused_fn, helper\nreturn 'helper' .. \"late\" .. [[it's\nhelper]]"},
    {"pair", "return second"},
    {NULL, NULL},
};

static char *compose(const char *name)
{
    char *t = dm_store_script_compose(sources, name);
    assert_non_null(t);
    return t;
}

static void test_direct(void **state)
{
    (void)state;
    char *t = compose("direct");
    assert_string_equal(t, "local P = 'dm:'\n"
                           "local function helper(k)\n"
                           "  return P .. k\n"
                           "end\n"
                           "return helper('k')");
    free(t);
}

/* late names helper (in an earlier file), uses_now names NOW, NOW names T;
 * a name inside a string or after "--" pulls nothing in. */
static void test_through_other_definitions(void **state)
{
    (void)state;
    char *t = compose("through");
    const char *order[] = {"local P", "local T", "local NOW", "local function helper", "local function uses_now",
                           "local function late", "return late"};
    const char *at = t;
    for (size_t i = 0; i < sizeof order / sizeof *order; i++) {
        const char *found = strstr(at, order[i]);
        assert_non_null(found);
        at = found;
    }
    assert_null(strstr(t, "local function unused_fn"));
    assert_null(strstr(t, "local LIST"));
    assert_null(strstr(t, "local first"));
    free(t);
}

static void test_comments_and_strings_name_nothing(void **state)
{
    (void)state;
    char *t = compose("quiet");
    assert_string_equal(t, "-- unused_fn, helper\nreturn 'helper' .. \"late\" .. [[it's\nhelper]]");
    free(t);
}

static void test_several_names_in_one_local(void **state)
{
    (void)state;
    char *t = compose("pair");
    assert_string_equal(t, "local first, second = 1, 2\nreturn second");
    free(t);
}

static void test_unknown_and_shared_names(void **state)
{
    (void)state;
    assert_null(dm_store_script_compose(sources, "nope"));
    assert_null(dm_store_script_compose(sources, "_a"));
    assert_null(dm_store_script_text("nope"));
    assert_null(dm_store_script_text("_prelude"));
}

/* The real scripts: an offer's acknowledgement needs none of the report
 * helpers; ending a session needs them, and free_sync's is_free. */
static void test_real_scripts(void **state)
{
    (void)state;
    char *ack = dm_store_script_text("ack"), *session = dm_store_script_text("session");
    assert_non_null(ack);
    assert_non_null(session);
    assert_null(strstr(ack, "local function rep_"));
    assert_non_null(strstr(ack, "local function hmget"));
    assert_non_null(strstr(session, "local function rep_session_ended"));
    assert_non_null(strstr(session, "local function is_free"));
    assert_true(strlen(ack) * 4 < strlen(session));
    free(ack);
    free(session);
}

static void test_sha(void **state)
{
    (void)state;
    char sha[41];
    assert_true(dm_store_script_sha("abc", sha)); /* FIPS 180-1 */
    assert_string_equal(sha, "a9993e364706816aba3e25717850c26c9cd0d89d");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_direct),
        cmocka_unit_test(test_through_other_definitions),
        cmocka_unit_test(test_comments_and_strings_name_nothing),
        cmocka_unit_test(test_several_names_in_one_local),
        cmocka_unit_test(test_unknown_and_shared_names),
        cmocka_unit_test(test_real_scripts),
        cmocka_unit_test(test_sha),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
