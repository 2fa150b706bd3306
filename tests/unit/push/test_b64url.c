/* base64url: the RFC 4648 vectors, padding accepted on input, and every
 * malformed spelling refused. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "dragoman/webpush.h"

static void encode(const char *in, const char *want)
{
    char out[32];
    size_t n = strlen(in);
    assert_true(dm_b64url_encode((const uint8_t *)in, n, out, sizeof out));
    assert_string_equal(out, want);
    assert_int_equal(strlen(out), DM_B64URL_LEN(n));
}

static void decode(const char *in, const char *want)
{
    uint8_t out[32];
    size_t n = 0;
    assert_true(dm_b64url_decode(in, strlen(in), out, sizeof out, &n));
    assert_int_equal(n, strlen(want));
    assert_memory_equal(out, want, n);
}

static void refuse(const char *in)
{
    uint8_t out[32];
    size_t n = 0;
    assert_false(dm_b64url_decode(in, strlen(in), out, sizeof out, &n));
}

static void rfc4648_vectors(void **state)
{
    (void)state;
    static const char *pairs[][2] = {
        {"", ""},         {"f", "Zg"},         {"fo", "Zm8"},       {"foo", "Zm9v"},
        {"foob", "Zm9vYg"}, {"fooba", "Zm9vYmE"}, {"foobar", "Zm9vYmFy"},
    };
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
        encode(pairs[i][0], pairs[i][1]);
        decode(pairs[i][1], pairs[i][0]);
    }
}

static void url_alphabet(void **state)
{
    (void)state;
    static const uint8_t bytes[] = {0xfb, 0xff, 0xbf};
    char out[8];
    assert_true(dm_b64url_encode(bytes, sizeof bytes, out, sizeof out));
    assert_string_equal(out, "-_-_");
    uint8_t back[3];
    size_t n;
    assert_true(dm_b64url_decode(out, 4, back, sizeof back, &n));
    assert_int_equal(n, 3);
    assert_memory_equal(back, bytes, 3);
    refuse("+/+/");
}

static void padding_accepted(void **state)
{
    (void)state;
    decode("Zg==", "f");
    decode("Zm8=", "fo");
    decode("Zm9v", "foo");
    refuse("Zg=");   /* padded, but not to a whole quantum */
    refuse("Zg===");
    refuse("Z===");
    refuse("Zm=9v");
}

static void malformed_refused(void **state)
{
    (void)state;
    refuse("Z");       /* one character is never a whole byte */
    refuse("Zm9vY");
    refuse("Zm 9v");
    refuse("Zm9v\n");
    refuse("Zh");      /* non-canonical: "f" is Zg, the low bits must be zero */
    refuse("Zm9");
    uint8_t out[4];
    size_t n;
    assert_false(dm_b64url_decode("Zm\0v", 4, out, sizeof out, &n));
}

static void small_buffers(void **state)
{
    (void)state;
    char out[5];
    assert_false(dm_b64url_encode((const uint8_t *)"foob", 4, out, sizeof out)); /* needs 7 */
    assert_true(dm_b64url_encode((const uint8_t *)"foo", 3, out, sizeof out));
    uint8_t b[2];
    size_t n;
    assert_false(dm_b64url_decode("Zm9v", 4, b, sizeof b, &n));
    assert_true(dm_b64url_decode("Zm8", 3, b, sizeof b, &n));
    assert_int_equal(n, 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rfc4648_vectors),  cmocka_unit_test(url_alphabet),
        cmocka_unit_test(padding_accepted), cmocka_unit_test(malformed_refused),
        cmocka_unit_test(small_buffers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
