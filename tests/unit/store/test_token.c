/* Tokens: their form, their hash, and that a server at its open-file limit
 * (one descriptor per phone) can still make one for a hello. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "dragoman/token.h"

static void test_form(void **state)
{
    (void)state;
    char a[64], b[64];
    assert_true(dm_token_new("guest", a, sizeof a));
    assert_true(dm_token_new("guest", b, sizeof b));
    assert_int_equal(strlen(a), 49);
    assert_int_equal(a[0], 'g');
    assert_int_equal(strspn(a + 1, "0123456789abcdef"), 48);
    assert_string_not_equal(a, b);
    char small[49];
    assert_false(dm_token_new("guest", small, sizeof small));
}

static void test_hash(void **state)
{
    (void)state;
    char h[65];
    dm_token_hash("abc", h); /* SHA-256 of "abc", FIPS 180-2 */
    assert_string_equal(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

static void test_at_the_descriptor_limit(void **state)
{
    (void)state;
    struct rlimit saved, low;
    assert_int_equal(getrlimit(RLIMIT_NOFILE, &saved), 0);
    low = saved;
    low.rlim_cur = 64;
    assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
    int fds[64], n = 0;
    while (n < 64 && (fds[n] = dup(0)) >= 0)
        n++;
    char tok[64];
    bool ok = dm_token_new("interpreter", tok, sizeof tok);
    while (n > 0)
        close(fds[--n]);
    assert_int_equal(setrlimit(RLIMIT_NOFILE, &saved), 0);
    assert_true(ok);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_form),
        cmocka_unit_test(test_hash),
        cmocka_unit_test(test_at_the_descriptor_limit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
