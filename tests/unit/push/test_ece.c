/* The aes128gcm content coding against the RFC 8188 §3 examples and Web Push
 * encryption against the RFC 8291 Appendix A example, byte for byte, then
 * round trips and every kind of damaged or foreign input. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "dragoman/webpush.h"

#define BIG 8192

/* RFC 8188 §3.1 and §3.2. */
#define R1_IKM "yqdlZ-tYemfogSmv7Ws5PQ"
#define R1_SALT "I1BsxtFttlv3u_Oo94xnmw"
#define R1_BODY "I1BsxtFttlv3u_Oo94xnmwAAEAAA-NAVub2qFgBEuQKRapoZu-IxkIva3MEB1PD-ly8Thjg"
#define R2_IKM "BO3ZVPxUlnLORbVGMpbT1Q"
#define R2_SALT "uNCkWiNYzKTnBN9ji3-qWA"
#define R2_BODY                                                                                    \
    "uNCkWiNYzKTnBN9ji3-qWAAAABkCYTHOG8chz_gnvgOqdGYovxyjuqRyJFjEDyoF1Fvkj6hQPdPHI51OEUKEpgz3SsLW" \
    "IqS_uA"
#define WALRUS "I am the walrus"

/* RFC 8291 Appendix A. */
#define WP_PLAIN "When I grow up, I want to be a watermelon"
#define WP_AS_PRIVATE "yfWPiYE-n46HLnH0KqZOF1fJJU3MYrct3AELtAQ-oRw"
#define WP_UA_PUBLIC                                                                               \
    "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4"
#define WP_UA_PRIVATE "q1dXpw3UpT5VOmu_cf_v6ih07Aems3njxI-JWgLcM94"
#define WP_AUTH "BTBZMqHH6r4Tts7J_aSIgg"
#define WP_SALT "DGv6ra1nlYgDCS1FRnbzlw"
#define WP_BODY                                                                                    \
    "DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS" \
    "6TlzAC8wEqKK6PBru3jl7A_yl95bQpu6cVPTpK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQexSgSxsj_Q" \
    "ulcy4a-fN"

/* Decodes a base64url constant, which must have exactly want bytes when
 * want is not 0. */
static size_t unb64(const char *s, uint8_t *out, size_t cap, size_t want)
{
    size_t n = 0;
    assert_true(dm_b64url_decode(s, strlen(s), out, cap, &n));
    if (want)
        assert_int_equal(n, want);
    return n;
}

static void assert_b64(const uint8_t *bytes, size_t len, const char *want)
{
    char s[BIG];
    assert_true(dm_b64url_encode(bytes, len, s, sizeof s));
    assert_string_equal(s, want);
}

static void rfc8188_check(const char *ikm_s, const char *salt_s, uint32_t rs, const char *keyid,
                          size_t pad, const char *body_s)
{
    uint8_t ikm[16], salt[16], out[256], back[256];
    size_t n = 0, m = 0;
    unb64(ikm_s, ikm, sizeof ikm, 16);
    unb64(salt_s, salt, sizeof salt, 16);
    dm_ece_params p = {.ikm = ikm, .ikm_len = 16, .salt = salt, .rs = rs,
                       .keyid = (const uint8_t *)keyid, .keyid_len = strlen(keyid), .pad = pad};
    assert_true(dm_ece_encrypt(&p, (const uint8_t *)WALRUS, strlen(WALRUS), out, sizeof out, &n));
    assert_int_equal(n, dm_ece_encrypted_len(&p, strlen(WALRUS)));
    assert_b64(out, n, body_s);

    uint8_t body[256];
    size_t len = unb64(body_s, body, sizeof body, 0);
    assert_true(dm_ece_decrypt(ikm, 16, body, len, back, sizeof back, &m));
    assert_int_equal(m, strlen(WALRUS));
    assert_memory_equal(back, WALRUS, m);
}

static void rfc8188_single_record(void **state)
{
    (void)state;
    rfc8188_check(R1_IKM, R1_SALT, 4096, "", 0, R1_BODY);
}

static void rfc8188_two_records(void **state)
{
    (void)state;
    rfc8188_check(R2_IKM, R2_SALT, 25, "a1", 1, R2_BODY);
    uint8_t body[128];
    size_t len = unb64(R2_BODY, body, sizeof body, 73);
    dm_ece_header h;
    assert_true(dm_ece_parse_header(body, len, &h));
    assert_int_equal(h.rs, 25);
    assert_int_equal(h.keyid_len, 2);
    assert_memory_equal(h.keyid, "a1", 2);
}

/* Dropping the last record, or swapping the two, must not go unnoticed. */
static void rfc8188_truncated_or_reordered(void **state)
{
    (void)state;
    uint8_t ikm[16], body[128], swapped[128], out[128];
    size_t n;
    unb64(R2_IKM, ikm, sizeof ikm, 16);
    unb64(R2_BODY, body, sizeof body, 73);
    assert_false(dm_ece_decrypt(ikm, 16, body, 48, out, sizeof out, &n));
    assert_false(dm_ece_decrypt(ikm, 16, body, 23, out, sizeof out, &n));
    assert_false(dm_ece_decrypt(ikm, 16, body, 72, out, sizeof out, &n));
    memcpy(swapped, body, 23);
    memcpy(swapped + 23, body + 48, 25);
    memcpy(swapped + 48, body + 23, 25);
    assert_false(dm_ece_decrypt(ikm, 16, swapped, 73, out, sizeof out, &n));
    ikm[0] ^= 1;
    assert_false(dm_ece_decrypt(ikm, 16, body, 73, out, sizeof out, &n));
}

/* Every small size, record size and padding: the length formula holds and
 * the content comes back. */
static void ece_round_trips(void **state)
{
    (void)state;
    uint8_t ikm[7] = "secret", salt[16] = {1, 2, 3}, plain[100], body[4096], back[4096];
    for (size_t i = 0; i < sizeof plain; i++)
        plain[i] = (uint8_t)(i * 7 + 1);
    for (uint32_t rs = DM_ECE_MIN_RS; rs < 44; rs += 5)
        for (size_t pad = 0; pad < 20; pad += 3)
            for (size_t len = 0; len <= sizeof plain; len += 9) {
                dm_ece_params p = {.ikm = ikm, .ikm_len = 6, .salt = salt, .rs = rs, .pad = pad};
                size_t n, m;
                assert_true(dm_ece_encrypt(&p, plain, len, body, sizeof body, &n));
                assert_int_equal(n, dm_ece_encrypted_len(&p, len));
                assert_true(dm_ece_decrypt(ikm, 6, body, n, back, sizeof back, &m));
                assert_int_equal(m, len);
                assert_memory_equal(back, plain, len);
            }
}

static void ece_bad_params(void **state)
{
    (void)state;
    uint8_t ikm[16] = {1}, salt[16] = {0}, out[256], keyid[256] = {0};
    size_t n;
    dm_ece_params p = {.ikm = ikm, .ikm_len = 16, .salt = salt, .rs = DM_ECE_MIN_RS - 1};
    assert_int_equal(dm_ece_encrypted_len(&p, 5), 0);
    assert_false(dm_ece_encrypt(&p, (const uint8_t *)"hello", 5, out, sizeof out, &n));
    p.rs = 4096;
    p.keyid = keyid;
    p.keyid_len = 256;
    assert_false(dm_ece_encrypt(&p, (const uint8_t *)"hello", 5, out, sizeof out, &n));
    p.keyid_len = 0;
    assert_false(dm_ece_encrypt(&p, (const uint8_t *)"hello", 5, out, 21 + 5 + 16, &n));
    p.ikm_len = 0;
    assert_false(dm_ece_encrypt(&p, (const uint8_t *)"hello", 5, out, sizeof out, &n));
    /* A header claiming a record size below the minimum. */
    uint8_t body[64] = {0};
    body[19] = 17;
    dm_ece_header h;
    assert_false(dm_ece_parse_header(body, sizeof body, &h));
    assert_false(dm_ece_parse_header(body, 20, &h));
}

typedef struct {
    uint8_t ua_public[DM_WEBPUSH_PUBLIC_LEN], ua_private[DM_WEBPUSH_PRIVATE_LEN];
    uint8_t as_private[DM_WEBPUSH_PRIVATE_LEN], auth[DM_WEBPUSH_AUTH_LEN], salt[16];
} example;

static void load_example(example *e)
{
    unb64(WP_UA_PUBLIC, e->ua_public, sizeof e->ua_public, DM_WEBPUSH_PUBLIC_LEN);
    unb64(WP_UA_PRIVATE, e->ua_private, sizeof e->ua_private, DM_WEBPUSH_PRIVATE_LEN);
    unb64(WP_AS_PRIVATE, e->as_private, sizeof e->as_private, DM_WEBPUSH_PRIVATE_LEN);
    unb64(WP_AUTH, e->auth, sizeof e->auth, DM_WEBPUSH_AUTH_LEN);
    unb64(WP_SALT, e->salt, sizeof e->salt, 16);
}

static void rfc8291_example(void **state)
{
    (void)state;
    example e;
    load_example(&e);
    uint8_t body[512], back[512];
    size_t n, m, len = strlen(WP_PLAIN);
    assert_true(dm_webpush_encrypt(e.ua_public, e.auth, (const uint8_t *)WP_PLAIN, len,
                                   e.as_private, e.salt, body, sizeof body, &n));
    assert_int_equal(n, DM_WEBPUSH_BODY_LEN(len));
    assert_b64(body, n, WP_BODY);
    assert_true(dm_webpush_decrypt(e.ua_private, e.auth, body, n, back, sizeof back, &m));
    assert_int_equal(m, len);
    assert_memory_equal(back, WP_PLAIN, len);
}

static void webpush_round_trip(void **state)
{
    (void)state;
    uint8_t priv[32], pub[65], auth[16] = "sixteen byte key";
    static uint8_t plain[DM_WEBPUSH_MAX_PLAINTEXT + 1], body[BIG], body2[BIG], back[BIG];
    for (size_t i = 0; i < sizeof plain; i++)
        plain[i] = (uint8_t)(i % 251);
    assert_true(dm_webpush_keypair(priv, pub));
    static const size_t lens[] = {0, 1, 41, 1000, DM_WEBPUSH_MAX_PLAINTEXT};
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        size_t n, m;
        assert_true(dm_webpush_encrypt(pub, auth, plain, lens[i], NULL, NULL, body, sizeof body, &n));
        assert_int_equal(n, DM_WEBPUSH_BODY_LEN(lens[i]));
        assert_true(n <= 4096);
        assert_true(dm_webpush_decrypt(priv, auth, body, n, back, sizeof back, &m));
        assert_int_equal(m, lens[i]);
        assert_memory_equal(back, plain, m);
    }
    size_t n, n2;
    /* Fresh salt and key each time: the same message never looks the same. */
    assert_true(dm_webpush_encrypt(pub, auth, plain, 10, NULL, NULL, body, sizeof body, &n));
    assert_true(dm_webpush_encrypt(pub, auth, plain, 10, NULL, NULL, body2, sizeof body2, &n2));
    assert_int_equal(n, n2);
    assert_memory_not_equal(body, body2, 16);
    assert_memory_not_equal(body + 21, body2 + 21, 65);
    assert_false(dm_webpush_encrypt(pub, auth, plain, DM_WEBPUSH_MAX_PLAINTEXT + 1, NULL, NULL,
                                    body, sizeof body, &n));
    assert_false(dm_webpush_encrypt(pub, auth, plain, 10, NULL, NULL, body,
                                    DM_WEBPUSH_BODY_LEN(10) - 1, &n));
}

static void example_body(const example *e, uint8_t *body, size_t *n)
{
    assert_true(dm_webpush_encrypt(e->ua_public, e->auth, (const uint8_t *)WP_PLAIN,
                                   strlen(WP_PLAIN), e->as_private, e->salt, body, 512, n));
}

static void webpush_tampering_rejected(void **state)
{
    (void)state;
    example e;
    load_example(&e);
    uint8_t body[512], back[512] = {0};
    size_t n, m;
    example_body(&e, body, &n);
    /* Each part of the body in turn: salt, keyid, ciphertext, tag. (rs is
     * not authenticated; a changed one only moves record boundaries.) */
    static const size_t spots[] = {0, 15, 21, 22, 60, 85, 86, 100, 127, 143};
    for (size_t i = 0; i < sizeof spots / sizeof spots[0]; i++) {
        body[spots[i]] ^= 0x01;
        assert_false(dm_webpush_decrypt(e.ua_private, e.auth, body, n, back, sizeof back, &m));
        body[spots[i]] ^= 0x01;
    }
    assert_true(dm_webpush_decrypt(e.ua_private, e.auth, body, n, back, sizeof back, &m));
    e.auth[3] ^= 0x80;
    assert_false(dm_webpush_decrypt(e.ua_private, e.auth, body, n, back, sizeof back, &m));
    e.auth[3] ^= 0x80;
    uint8_t other_priv[32], other_pub[65];
    assert_true(dm_webpush_keypair(other_priv, other_pub));
    assert_false(dm_webpush_decrypt(other_priv, e.auth, body, n, back, sizeof back, &m));
    /* Nothing of a rejected message is left in the output buffer, though
     * GCM wrote its unauthenticated plaintext there. */
    uint8_t zero[sizeof back] = {0};
    assert_memory_equal(back, zero, sizeof back);
}

static void webpush_bad_inputs(void **state)
{
    (void)state;
    example e;
    load_example(&e);
    uint8_t body[512], back[512];
    size_t n, m;
    example_body(&e, body, &n);
    for (size_t len = 0; len < 104; len++)
        assert_false(dm_webpush_decrypt(e.ua_private, e.auth, body, len, back, sizeof back, &m));
    assert_false(dm_webpush_decrypt(e.ua_private, e.auth, body, n, back, 10, &m));
    /* A keyid that is not a 65-byte key. */
    body[20] = 64;
    assert_false(dm_webpush_decrypt(e.ua_private, e.auth, body, n, back, sizeof back, &m));
    body[20] = 65;

    uint8_t bad[65];
    memcpy(bad, e.ua_public, 65);
    bad[64] ^= 1; /* off the curve */
    assert_false(dm_webpush_encrypt(bad, e.auth, (const uint8_t *)"x", 1, NULL, NULL, body,
                                    sizeof body, &n));
    bad[64] ^= 1;
    bad[0] = 0x02; /* compressed form, not allowed */
    assert_false(dm_webpush_encrypt(bad, e.auth, (const uint8_t *)"x", 1, NULL, NULL, body,
                                    sizeof body, &n));
    memset(bad, 0, sizeof bad);
    bad[0] = 0x04;
    assert_false(dm_webpush_encrypt(bad, e.auth, (const uint8_t *)"x", 1, NULL, NULL, body,
                                    sizeof body, &n));
    uint8_t zero_key[32] = {0};
    assert_false(dm_webpush_encrypt(e.ua_public, e.auth, (const uint8_t *)"x", 1, zero_key, NULL,
                                    body, sizeof body, &n));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rfc8188_single_record),
        cmocka_unit_test(rfc8188_two_records),
        cmocka_unit_test(rfc8188_truncated_or_reordered),
        cmocka_unit_test(ece_round_trips),
        cmocka_unit_test(ece_bad_params),
        cmocka_unit_test(rfc8291_example),
        cmocka_unit_test(webpush_round_trip),
        cmocka_unit_test(webpush_tampering_rejected),
        cmocka_unit_test(webpush_bad_inputs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
