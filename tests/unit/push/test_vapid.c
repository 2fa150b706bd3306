/* VAPID: the JWT's header and claims, its ES256 signature checked with
 * OpenSSL against the public key (r||s turned back into DER), the key file,
 * and the audience taken from an endpoint. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dragoman/webpush.h"

#define AUD "https://push.example.net"
#define SUB "mailto:ops@example.org"
#define NOW 1700000000

/* The RFC 8291 example's application server key: a fixed, known key. */
static dm_vapid_key *fixed_key(void)
{
    uint8_t d[32];
    size_t n;
    const char *s = "yfWPiYE-n46HLnH0KqZOF1fJJU3MYrct3AELtAQ-oRw";
    assert_true(dm_b64url_decode(s, strlen(s), d, sizeof d, &n));
    dm_vapid_key *key = dm_vapid_from_private(d);
    assert_non_null(key);
    return key;
}

typedef struct {
    char t[DM_VAPID_HEADER_MAX], k[128];
    char *parts[3]; /* header, claims, signature, cut apart in a copy */
    char copy[DM_VAPID_HEADER_MAX];
} vapid_header;

static void split(const char *value, vapid_header *h)
{
    assert_int_equal(strncmp(value, "vapid t=", 8), 0);
    const char *k = strstr(value, ", k=");
    assert_non_null(k);
    snprintf(h->t, sizeof h->t, "%.*s", (int)(k - value - 8), value + 8);
    snprintf(h->k, sizeof h->k, "%s", k + 4);
    snprintf(h->copy, sizeof h->copy, "%s", h->t);
    h->parts[0] = h->copy;
    for (int i = 1; i < 3; i++) {
        char *dot = strchr(h->parts[i - 1], '.');
        assert_non_null(dot);
        *dot = '\0';
        h->parts[i] = dot + 1;
    }
    assert_null(strchr(h->parts[2], '.'));
}

static void assert_decodes_to(const char *b64, const char *want)
{
    char out[1024];
    size_t n;
    assert_true(dm_b64url_decode(b64, strlen(b64), (uint8_t *)out, sizeof out - 1, &n));
    out[n] = '\0';
    assert_string_equal(out, want);
}

static EVP_PKEY *public_key(const uint8_t pub[65])
{
    EVP_PKEY *key = NULL;
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0);
    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pub, 65);
    OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
    assert_int_equal(EVP_PKEY_fromdata_init(ctx), 1);
    assert_int_equal(EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params), 1);
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    return key;
}

/* Verifies a compact JWT's ES256 signature with the base64url public key,
 * the way a push service does. */
static bool verify_jwt(const char *jwt, const char *k_b64)
{
    uint8_t pub[65], sig[64], der[80];
    size_t n;
    const char *dot = strrchr(jwt, '.');
    assert_true(dm_b64url_decode(k_b64, strlen(k_b64), pub, sizeof pub, &n) && n == 65);
    if (!dm_b64url_decode(dot + 1, strlen(dot + 1), sig, sizeof sig, &n) || n != 64)
        return false;
    ECDSA_SIG *es = ECDSA_SIG_new();
    assert_int_equal(ECDSA_SIG_set0(es, BN_bin2bn(sig, 32, NULL), BN_bin2bn(sig + 32, 32, NULL)), 1);
    uint8_t *p = der;
    int der_len = i2d_ECDSA_SIG(es, &p);
    ECDSA_SIG_free(es);
    EVP_PKEY *key = public_key(pub);
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    assert_int_equal(EVP_DigestVerifyInit_ex(md, NULL, "SHA256", NULL, NULL, key, NULL), 1);
    int rc = EVP_DigestVerify(md, der, (size_t)der_len, (const uint8_t *)jwt, (size_t)(dot - jwt));
    EVP_MD_CTX_free(md);
    EVP_PKEY_free(key);
    return rc == 1;
}

static void jwt_header_and_claims(void **state)
{
    (void)state;
    dm_vapid_key *key = fixed_key();
    char value[DM_VAPID_HEADER_MAX], pub[DM_VAPID_PUBLIC_B64_LEN + 1];
    assert_true(dm_vapid_authorization(key, AUD, SUB, NOW, 12 * 3600, value, sizeof value));
    vapid_header h;
    split(value, &h);
    assert_true(dm_vapid_public_b64url(key, pub));
    assert_string_equal(pub, "BP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A8");
    assert_string_equal(h.k, pub);
    assert_decodes_to(h.parts[0], "{\"typ\":\"JWT\",\"alg\":\"ES256\"}");
    assert_decodes_to(h.parts[1], "{\"aud\":\"" AUD "\",\"exp\":1700043200,\"sub\":\"" SUB "\"}");
    assert_int_equal(strlen(h.parts[2]), DM_B64URL_LEN(64));
    uint8_t raw[65];
    assert_true(dm_vapid_public_raw(key, raw));
    assert_int_equal(raw[0], 0x04);
    dm_vapid_free(key);
}

static void signature_verifies(void **state)
{
    (void)state;
    dm_vapid_key *key = dm_vapid_generate();
    assert_non_null(key);
    char value[DM_VAPID_HEADER_MAX];
    /* ECDSA is randomised and r or s may be short: sign several times. */
    for (int i = 0; i < 20; i++) {
        assert_true(dm_vapid_authorization(key, AUD, SUB, NOW + i, 3600, value, sizeof value));
        vapid_header h;
        split(value, &h);
        assert_true(verify_jwt(h.t, h.k));
    }
    dm_vapid_free(key);
}

static void tampered_jwt_fails(void **state)
{
    (void)state;
    dm_vapid_key *key = fixed_key(), *other = dm_vapid_generate();
    char value[DM_VAPID_HEADER_MAX], other_pub[DM_VAPID_PUBLIC_B64_LEN + 1];
    assert_true(dm_vapid_authorization(key, AUD, SUB, NOW, 3600, value, sizeof value));
    vapid_header h;
    split(value, &h);
    assert_true(verify_jwt(h.t, h.k));
    char *claims = strchr(h.t, '.') + 1;
    claims[5] = claims[5] == 'A' ? 'B' : 'A';
    assert_false(verify_jwt(h.t, h.k));
    claims[5] = h.parts[1][5];
    char *sig = strrchr(h.t, '.') + 1;
    sig[10] = sig[10] == 'A' ? 'B' : 'A';
    assert_false(verify_jwt(h.t, h.k));
    sig[10] = h.parts[2][10];
    assert_true(verify_jwt(h.t, h.k));
    assert_true(dm_vapid_public_b64url(other, other_pub));
    assert_false(verify_jwt(h.t, other_pub));
    dm_vapid_free(other);
    dm_vapid_free(key);
}

static void bad_arguments_refused(void **state)
{
    (void)state;
    dm_vapid_key *key = fixed_key();
    char v[DM_VAPID_HEADER_MAX];
    assert_true(dm_vapid_authorization(key, AUD, SUB, NOW, DM_VAPID_MAX_LIFETIME, v, sizeof v));
    assert_false(dm_vapid_authorization(key, AUD, SUB, NOW, DM_VAPID_MAX_LIFETIME + 1, v, sizeof v));
    assert_false(dm_vapid_authorization(key, AUD, SUB, NOW, 0, v, sizeof v));
    assert_false(dm_vapid_authorization(key, AUD, SUB, NOW, -5, v, sizeof v));
    assert_true(dm_vapid_authorization(key, AUD, "https://example.org/contact", NOW, 60, v, sizeof v));
    assert_false(dm_vapid_authorization(key, AUD, "ops@example.org", NOW, 60, v, sizeof v));
    assert_false(dm_vapid_authorization(key, AUD, "mailto:a\"b@example.org", NOW, 60, v, sizeof v));
    assert_false(dm_vapid_authorization(key, AUD, "mailto:a\\b@example.org", NOW, 60, v, sizeof v));
    assert_false(dm_vapid_authorization(key, AUD, "mailto:a\nb@example.org", NOW, 60, v, sizeof v));
    assert_false(dm_vapid_authorization(key, "ftp://push.example.net", SUB, NOW, 60, v, sizeof v));
    assert_false(dm_vapid_authorization(key, NULL, SUB, NOW, 60, v, sizeof v));
    assert_false(dm_vapid_authorization(NULL, AUD, SUB, NOW, 60, v, sizeof v));
    char long_sub[300] = "mailto:";
    memset(long_sub + 7, 'a', 260);
    long_sub[267] = '\0';
    assert_false(dm_vapid_authorization(key, AUD, long_sub, NOW, 60, v, sizeof v));
    assert_false(dm_vapid_authorization(key, AUD, SUB, NOW, 60, v, 100));
    dm_vapid_free(key);
}

static void same_public(const dm_vapid_key *a, const dm_vapid_key *b)
{
    uint8_t pa[65], pb[65];
    assert_true(dm_vapid_public_raw(a, pa));
    assert_true(dm_vapid_public_raw(b, pb));
    assert_memory_equal(pa, pb, 65);
}

static void key_file(void **state)
{
    (void)state;
    char dir[] = "/tmp/dm-vapid-XXXXXX", path[64], fresh[64];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/vapid.pem", dir);
    snprintf(fresh, sizeof fresh, "%s/new.pem", dir);
    dm_vapid_key *key = dm_vapid_generate();
    assert_true(dm_vapid_save(key, path));
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    dm_vapid_key *loaded = dm_vapid_load(path);
    assert_non_null(loaded);
    same_public(key, loaded);
    /* The loaded key signs what the saved key's public half verifies. */
    char value[DM_VAPID_HEADER_MAX], pub[DM_VAPID_PUBLIC_B64_LEN + 1];
    assert_true(dm_vapid_authorization(loaded, AUD, SUB, NOW, 60, value, sizeof value));
    vapid_header h;
    split(value, &h);
    assert_true(dm_vapid_public_b64url(key, pub));
    assert_true(verify_jwt(h.t, pub));

    bool created = false;
    dm_vapid_key *again = dm_vapid_load_or_create(path, &created);
    assert_false(created);
    same_public(key, again);
    dm_vapid_key *made = dm_vapid_load_or_create(fresh, &created);
    assert_true(created);
    dm_vapid_key *reread = dm_vapid_load_or_create(fresh, &created);
    assert_false(created);
    same_public(made, reread);
    assert_int_equal(stat(fresh, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    dm_vapid_free(reread);
    dm_vapid_free(made);
    dm_vapid_free(again);
    dm_vapid_free(loaded);
    dm_vapid_free(key);

    /* A damaged file is refused and left alone, never replaced. */
    FILE *f = fopen(path, "w");
    fputs("not a key\n", f);
    fclose(f);
    assert_null(dm_vapid_load(path));
    assert_null(dm_vapid_load_or_create(path, &created));
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_size, 10);
    assert_null(dm_vapid_load("/nonexistent/dir/vapid.pem"));
    unlink(path);
    unlink(fresh);
    rmdir(dir);
}

static void origin(const char *endpoint, const char *want)
{
    char out[128];
    assert_true(dm_webpush_origin(endpoint, out, sizeof out));
    assert_string_equal(out, want);
}

static void origins(void **state)
{
    (void)state;
    origin("https://push.example.net/wpush/v2/gAAAA?x=1", "https://push.example.net");
    origin("https://fcm.googleapis.com", "https://fcm.googleapis.com");
    origin("HTTPS://Web.Push.Apple.COM:443/QO2P", "https://web.push.apple.com");
    origin("https://push.example.net:8443/a", "https://push.example.net:8443");
    origin("http://127.0.0.1:40123/push/7", "http://127.0.0.1:40123");
    origin("http://127.0.0.1:80/push/7", "http://127.0.0.1");
    origin("http://[::1]:9000/p#frag", "http://[::1]:9000");
    char out[128];
    assert_false(dm_webpush_origin("ftp://push.example.net/x", out, sizeof out));
    assert_false(dm_webpush_origin("https://user:pw@push.example.net/x", out, sizeof out));
    assert_false(dm_webpush_origin("https:///x", out, sizeof out));
    assert_false(dm_webpush_origin("https://push.example.net:/x", out, sizeof out));
    assert_false(dm_webpush_origin("https://push example.net/x", out, sizeof out));
    assert_false(dm_webpush_origin("push.example.net", out, sizeof out));
    assert_false(dm_webpush_origin(NULL, out, sizeof out));
    assert_false(dm_webpush_origin("https://push.example.net/x", out, 10));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(jwt_header_and_claims), cmocka_unit_test(signature_verifies),
        cmocka_unit_test(tampered_jwt_fails),    cmocka_unit_test(bad_arguments_refused),
        cmocka_unit_test(key_file),              cmocka_unit_test(origins),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
